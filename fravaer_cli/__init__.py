"""fravaer: register and inspect fravær for Helsenorge GP services."""

__version__ = "0.4.0"
