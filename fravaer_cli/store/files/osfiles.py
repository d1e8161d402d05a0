"""The file store's use of the operating system: regular files only (never a link, a FIFO or a
device), whole writes, a log cut back, the mode of a new file, and how many files a change may
hold open."""

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from fravaer_cli.domain.errors import StoreError, os_reason


def remove(path: Path) -> None:
    """path gone, if it was there and can be removed."""
    try:
        os.unlink(path)
    except OSError:
        pass


def open_regular_fd(path: Path, flags: int, what: str = "", after: str = "") -> int:
    """A descriptor of a regular file only: never through a symbolic link, and
    never a FIFO or a device, which would hang the open or the read (O_NONBLOCK
    keeps the open itself from waiting)."""
    label = f"{what} {path}" if what else str(path)
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK, 0o666)
    except OSError as e:
        if e.errno == errno.ELOOP:
            reason = "er en symbolsk lenke; fravaer bruker bare vanlige filer i lagringsmappen"
        elif e.errno == errno.ENXIO:  # a FIFO with no reader
            reason = "er ikke en vanlig fil"
        else:
            reason = f"kan ikke åpnes: {os_reason(e)}"
        raise StoreError(f"{label[:1].upper()}{label[1:]} {reason}.{after}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise StoreError(f"{label[:1].upper()}{label[1:]} er ikke en vanlig fil; fravaer leser den ikke.{after}")
    os.set_blocking(fd, True)
    return fd


@contextmanager
def open_regular(path: Path, what: str = "") -> Iterator[BinaryIO]:
    fd = open_regular_fd(path, os.O_RDONLY, what)
    try:
        with os.fdopen(fd, "rb") as f:
            yield f
    except OSError as e:
        raise StoreError(f"Kan ikke lese {path}: {os_reason(e)}.") from None


def open_budget() -> int:
    """How many logs a change may hold open at once: the process's limit, less room for the rest."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 1 << 30 if soft == resource.RLIM_INFINITY else max(8, soft - 64)


def cut(log: tuple[int, Path], size: int) -> None:
    """The log back to size: the lines of a change that was not stored are taken out again."""
    try:
        os.ftruncate(log[0], size)
    except OSError:
        pass  # cutting a file shorter needs no room: nothing more can be done here


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def mode_for(path: Path) -> int:
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
