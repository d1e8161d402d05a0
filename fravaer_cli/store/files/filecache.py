"""Large office files as fravaer last wrote them, kept with the user's other caches.

Reading an office parses its whole TOML file, and writing it writes every fravær
again. At 200 fravær that was most of an `add`: tomli alone took as long as
everything else the call does with the office, so each add of a long shell loop
took longer than the one before. When fravaer writes an office file of at least
SMALLEST bytes, it also saves here the office's fields and where each fravær's
table starts in the file. A later read uses this entry only if the file's bytes
have the hash the entry names: only if the file is, byte for byte, what fravaer
wrote. A hand edit, another user's write or another program's changes the hash,
and the file is parsed as always. A fravær read from an entry and not changed is
written back as the same bytes it was read from.

The entry is JSON: reading it runs no code whatever it holds (pickle and marshal
are not made for data that may have been tampered with). Its first line is the
hash of the rest, checked before anything in it is believed: an entry changed by
hand, damaged on disk or cut short is not used, whatever fields it keeps. Where each fravær's
table starts is checked against the file's bytes too, and the file must have
as many tables as the entry has fravær: a write from an entry that does not
fit its file could otherwise write a fravær twice or drop one. One entry per
office and store, overwritten by the next write. Deleting the cache at any
time loses nothing.
"""

import os
from functools import cached_property
from pathlib import Path

from fravaer_cli import __version__
from fravaer_cli.domain.model import Fravaer, RosterEntry
from fravaer_cli.domain.virksomhet import Virksomhet

# json and blake2b are imported only when a large file is read or written: a status of
# small offices imports neither.

# Smaller offices get no entry: most have fewer than 60 fravær (50 are about 13 KB), parsed
# quickly enough, and an import of 2,000 of them would otherwise write 2,000 entries.
SMALLEST = 16 * 1024
# The entry's layout. An entry of another layout, or of another version of fravaer, is not used:
# change _FORMAT whenever what a read makes of a file (or what a write makes of an office) changes.
_FORMAT = 2


def _digest(data: bytes) -> str:
    # hashlib is imported only here: it sets up OpenSSL on import, which a call that uses no
    # cache entry (an office under SMALLEST) need not pay for.
    from hashlib import blake2b

    return blake2b(data, digest_size=20).hexdigest()


def _root() -> Path | None:
    """$XDG_CACHE_HOME/fravaer, else ~/.cache/fravaer; None if there is no home to keep it in."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):  # the XDG spec: a relative path in the variable is ignored
        return Path(xdg) / "fravaer"
    try:
        return Path.home() / ".cache" / "fravaer"
    except (RuntimeError, KeyError):  # no $HOME and no passwd entry
        return None


class OfficeCache:
    """The entries of one file store's offices."""

    def __init__(self, store_folder: Path):
        self.store_folder = store_folder

    @cached_property
    def folder(self) -> Path | None:
        root = _root()
        if root is None:
            return None
        # A folder per store, named by its path: two stores may hold the same office.
        return root / "kontorer" / _digest(os.path.abspath(self.store_folder).encode("utf-8", "surrogateescape"))[:16]

    def load(self, orgnr: str, raw: bytes) -> tuple[Virksomhet, list[int]] | None:
        """The office in raw, and where each fravær's table starts in it; None when the
        entry is missing, unreadable, of another fravaer or not of exactly these bytes."""
        if len(raw) < SMALLEST or self.folder is None:
            return None
        try:
            with open(self.folder / f"{orgnr}.json", "rb") as f:
                text = f.read()
        except OSError:  # no entry: json is not even imported
            return None
        import json

        checksum, _, body = text.partition(b"\n")
        if checksum != _digest(body).encode():
            return None  # changed or damaged since fravaer wrote it: none of it is believed
        try:
            entry = json.loads(body)
            if (
                entry["format"] != _FORMAT
                or entry["version"] != __version__
                or entry["size"] != len(raw)
                or entry["blake2b"] != _digest(raw)
            ):
                return None
            stored_orgnr, navn, info, next_id = entry["virksomhet"]
            # A text never holds a line break as it is (TOML strings escape it), so every
            # "\n[[fravaer]]\n" in the file starts a table.
            if stored_orgnr != orgnr or raw.count(b"\n[[fravaer]]\n") != len(entry["fravaer"]):
                return None
            starts, fravaer, after = [], [], 0
            for start, *values in entry["fravaer"]:
                # Where the entry says this fravær's table is, the file has a table with its id.
                # (Ids are letters, digits, _ and -: written in quotes as they are.)
                if (
                    type(start) is not int
                    or start < after
                    or not raw.startswith(f'\n[[fravaer]]\nid = "{values[0]}"\n'.encode(), start)
                ):
                    return None
                after = start + 1
                starts.append(start)
                fravaer.append(Fravaer.from_text_values(values))
            roster = [RosterEntry(*values) for values in entry["behandlere"]]
        except (ValueError, KeyError, TypeError):
            return None
        return Virksomhet(orgnr, navn, info, next_id, fravaer, roster), starts

    def wants(self, data: bytes, starts: list[int] | None) -> bool:
        """Whether a file written as data gets an entry: a TOML file (starts is where its
        fravær are; None for JSON) large enough to gain by one, and a cache to keep it in."""
        return starts is not None and len(data) >= SMALLEST and self.folder is not None

    def save(self, office: Virksomhet, data: bytes, starts: list[int] | None) -> None:
        """The entry for office as just written (data), if wants() it.

        Best effort: a cache that cannot be written only makes the next read parse the file."""
        if starts is None or self.folder is None or not self.wants(data, starts) or office.tidligere:
            return  # (an office with renames behind it is read from its file: the entry has no place for them)
        import json

        entry = {
            "format": _FORMAT,
            "version": __version__,
            "size": len(data),
            "blake2b": _digest(data),
            "virksomhet": [office.orgnr, office.navn, office.info, office.next_id],
            "behandlere": [list(e.values()) for e in office.roster],
            "fravaer": [[start, *f.text_values()] for start, f in zip(starts, office.fravaer, strict=True)],
        }
        path = self.folder / f"{office.orgnr}.json"
        tmp = path.with_name(f".{office.orgnr}.{os.getpid()}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Private to the user, as the rest of their cache: the store's own files may be shared wider.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            body = json.dumps(entry, ensure_ascii=False).encode("utf-8")
            with os.fdopen(fd, "wb") as f:
                f.write(_digest(body).encode() + b"\n" + body)
            os.replace(tmp, path)  # a reader sees the old entry or the new one, never half of one
        except (OSError, ValueError):  # ValueError: a lone surrogate cannot be encoded
            try:
                os.unlink(tmp)
            except OSError:
                pass
