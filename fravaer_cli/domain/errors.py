"""Errors that carry their own exit code; the CLI prints them at one boundary."""

from typing import Any


class FravaerError(Exception):
    """A problem the user can act on. The message is Norwegian and complete."""

    exit_code = 70


class InputError(FravaerError):
    exit_code = 2


class NotFoundError(FravaerError):
    exit_code = 3


class ConflictError(FravaerError):
    """A change refused by a rule (overlap, a vikar clash). existing: the first stored fravær it
    clashes with, clashes: all of them, vikar: whether it is the vikar rule (the importer names
    the rows of the file that added them)."""

    exit_code = 4

    def __init__(self, message: str, clashes: "list[Any] | None" = None, vikar: bool = False):
        super().__init__(message)
        self.clashes = clashes or []
        self.existing = self.clashes[0] if self.clashes else None
        self.vikar = vikar


class StoreError(FravaerError):
    exit_code = 5
    # A change of several offices that failed part-way: the offices already put in place.
    written: list[str] | None = None


# Why a file or folder could not be used, in Norwegian: the C library's own text is English.
_OS_REASONS = {
    "EACCES": "ingen tilgang",
    "EPERM": "ikke tillatt",
    "ENOENT": "finnes ikke",
    "ENOTDIR": "en del av stien er ikke en mappe",
    "EISDIR": "er en mappe",
    "EEXIST": "finnes allerede",
    "ENOTEMPTY": "mappen er ikke tom",
    "ENOSPC": "disken er full",
    "EDQUOT": "diskkvoten er brukt opp",
    "EROFS": "filsystemet er skrivebeskyttet",
    "EIO": "lese- eller skrivefeil på disken",
    "EMFILE": "for mange åpne filer",
    "ENFILE": "for mange åpne filer",
    "ENAMETOOLONG": "navnet er for langt",
    "EBUSY": "er i bruk",
    "EXDEV": "ligger på et annet filsystem",
    "ELOOP": "for mange symbolske lenker",
    "EFBIG": "filen er for stor",
    "EPIPE": "mottakeren har lukket",
    "ENXIO": "ingen enhet svarer",
    "EAGAIN": "ikke tilgjengelig nå; prøv igjen",
}


def os_reason(error: OSError) -> str:
    """'ingen tilgang' for a PermissionError; an errno with no Norwegian text here keeps the
    system's text, with its name so it can be looked up."""
    import errno

    name = errno.errorcode.get(error.errno or 0)
    if name in _OS_REASONS:
        return _OS_REASONS[name]
    text = error.strerror or str(error)
    return f"{text} ({name})" if name else text
