"""Ctrl-C, said once at the error boundary, and held back while a write must not stop half-way.

Python's own KeyboardInterrupt is caught by Typer and turned into a bare exit 130, and by
code that reads a prompt; Interrupted passes both, so the boundary is where it ends.
"""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Interrupted(BaseException):
    """Ctrl-C (SIGINT). after_commit: it came while a change was being put in place, which
    was then finished: the change is stored whole."""

    def __init__(self, after_commit: bool = False) -> None:
        super().__init__()
        self.after_commit = after_commit


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Interrupted()


# Whether a change was put in place during this call (handled() starts it anew): so that a
# Ctrl-C after it, before the command has said so, is not taken to mean nothing was stored.
_stored = [False]


def stored() -> bool:
    return _stored[0]


@contextmanager
def handled() -> Iterator[None]:
    """SIGINT raises Interrupted while the block runs (the command line's whole call)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _raise)
    _stored[0] = False
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def deferred() -> Iterator[None]:
    """Ctrl-C waits until the block is done: files being put in place one by one are all put
    in place, so an import is stored whole or not at all. Then Interrupted(after_commit)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: came.append(signum))
    try:
        yield
        _stored[0] = True
    finally:
        signal.signal(signal.SIGINT, previous)
    if came:
        raise Interrupted(after_commit=True)
