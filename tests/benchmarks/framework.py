"""The framework's part of a fravaer call, measured inside one process: the CPU time of importing
Click and Typer, and of Typer building the app and the one command a call runs (FravaerGroup builds
a command only when it is named). Prints milliseconds.

    python -m tests.benchmarks.framework status
"""

import sys
import time


def framework_ms(command: str) -> float:
    start = time.process_time()
    import click  # noqa: F401
    import typer.core  # noqa: F401
    import typer.main

    imported = time.process_time()
    from fravaer_cli.cli import app  # fravaer's own modules: not the framework's part

    building = time.process_time()
    typer.main.get_command(app).get_command(None, command)
    built = time.process_time()
    return (imported - start + built - building) * 1000


if __name__ == "__main__":
    print(f"{framework_ms(sys.argv[1]):.3f}")
