"""Benchmarks, run as `python -m tests.benchmarks`; not collected by pytest."""
