"""The console script's first module: Ctrl-C ends quietly even while Python is still importing
the command line, before its error boundary (which says "Avbrutt.") is in place."""

import os
import signal


def _before_the_boundary(signum, frame):
    # Nothing is written before the boundary is set up, so there is nothing to finish.
    os.write(2, b"Avbrutt.\n")
    os._exit(130)


def main() -> None:
    from fravaer_cli.cli import main as run

    run()


signal.signal(signal.SIGINT, _before_the_boundary)
