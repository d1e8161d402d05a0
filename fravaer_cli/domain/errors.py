"""Errors that carry their own exit code; the CLI prints them at one boundary."""


class FravaerError(Exception):
    """A problem the user can act on. The message is Norwegian and complete."""

    exit_code = 70


class InputError(FravaerError):
    exit_code = 2


class NotFoundError(FravaerError):
    exit_code = 3


class ConflictError(FravaerError):
    exit_code = 4


class StoreError(FravaerError):
    exit_code = 5


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
