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

The entry is JSON lines: the office's fields, then one line per fravær, headed by its first
and last day as ISO text, so that a report about some days (iter_offices' days) decodes only
the fravær that meet them, not the years of history around them; the office's line keeps the
directory of its GPs too (GpDirectory), so that an add or an edit (a Scope) reads only the lines
of its days, and its write splices the rest back as they were (partial.py). Reading it runs no code
whatever it holds (pickle and marshal are not made for data that may have been tampered with). Its first line is the
hash of the rest, checked before anything in it is believed: an entry changed by
hand, damaged on disk or cut short is not used, whatever fields it keeps. Where each fravær's
table starts is checked against the file's bytes too, and the file must have
as many tables as the entry has fravær: a write from an entry that does not
fit its file could otherwise write a fravær twice or drop one. One entry per
office and store, overwritten by the next write. Deleting the cache at any
time loses nothing.
"""

import os
from collections.abc import Callable
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from fravaer_cli import __version__
from fravaer_cli.domain.model import Fravaer, GpDirectory, RosterEntry
from fravaer_cli.domain.virksomhet import Virksomhet
from fravaer_cli.store.base import Scope
from fravaer_cli.store.files.partial import VALUES_AT, PartialRead, Spliced, cache_line, directory_of, line_start

# json and blake2b are imported only when a large file is read or written: a status of
# small offices imports neither.

# Smaller offices get no entry: most have fewer than 60 fravær (50 are about 13 KB), parsed
# quickly enough, and an import of 2,000 of them would otherwise write 2,000 entries.
SMALLEST = 16 * 1024
# The entry's layout. An entry of another layout, or of another version of fravaer, is not used:
# change _FORMAT whenever what a read makes of a file (or what a write makes of an office) changes.
_FORMAT = 5
_TABLE = b"\n[[fravaer]]\n"
_FRA, _TIL = Fravaer.FIELDS.index("fra"), Fravaer.FIELDS.index("til")


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
        # Offices read with keep: {orgnr: {id(fravær): (the fravær, its line's days, the rest of
        # its line after its start)}}.
        self._lines_read: dict[str, dict[int, tuple[Fravaer, bytes, bytes]]] = {}

    @cached_property
    def folder(self) -> Path | None:
        root = _root()
        if root is None:
            return None
        # A folder per store, named by its path: two stores may hold the same office.
        return root / "kontorer" / _digest(os.path.abspath(self.store_folder).encode("utf-8", "surrogateescape"))[:16]

    def load(
        self,
        orgnr: str,
        raw: bytes,
        days: tuple[date, date | None] | None = None,
        keep: bool = False,
        scope: Scope | None = None,
    ) -> tuple[Virksomhet, list[int] | PartialRead] | None:
        """The office in raw, and where each fravær's table starts in it; None when the
        entry is missing, unreadable, of another fravaer or not of exactly these bytes.
        days: (first, last or None): only the fravær that meet them, and those that make one
        stretch with them (Store.iter_offices), and the starts of those. keep: the office is
        read for a change; its next save writes the lines of fravær it leaves as they were
        as the same bytes (a big office's add re-encodes one fravær, not 20,000).
        scope: the office read for a change in part (partial.py): the fravær in scope and the
        directory of its GPs, with the PartialRead its write splices the rest back from."""
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
        head, *lines = body.split(b"\n")
        part = None
        try:
            entry = json.loads(head)
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
            if stored_orgnr != orgnr or raw.count(_TABLE) != len(lines):
                return None
            if scope is not None:
                part = _part(body, lines, raw, scope)
                if part is None:
                    return None
                fravaer, starts = part.read, [start for start, _ in part.spans]
            elif days is None:
                found = _all_of(lines, raw)
                if found is None:
                    return None
                fravaer, starts, rests = found
                if keep:
                    self._lines_read[orgnr] = {
                        id(f): (f, line[:VALUES_AT], rest) for f, line, rest in zip(fravaer, lines, rests, strict=True)
                    }
            else:
                read = _Lines(lines, raw)
                starts, fravaer = [], []
                for i in read.meeting(*days):
                    one = read.fravaer(i)
                    if one is None:
                        return None
                    starts.append(read.starts[i])
                    fravaer.append(one)
            if any(a >= b for a, b in zip(starts, starts[1:], strict=False)):
                return None
            roster = [RosterEntry(*values) for values in entry["behandlere"]]
            former = entry["tidligere_navn"]
            if type(former) is not dict or not all(type(k) is str and type(v) is str for k, v in former.items()):
                return None
            directory = None
            if part is not None:
                directory = _directory(entry["directory"])
                directory.without_named = part.without_named if part.named else None
        except (ValueError, KeyError, TypeError, AttributeError, IndexError):
            return None
        # A list of its own: part.read stays what was read while the change appends to the office.
        office = Virksomhet(orgnr, navn, info, next_id, list(fravaer), roster, former, directory)
        if part is None:
            return office, starts
        part.office = office  # its write splices into this office only
        return office, part

    def wants(self, data: bytes, starts: list[int] | Spliced | None) -> bool:
        """Whether a file written as data gets an entry: a TOML file (starts is where its
        fravær are; None for JSON) large enough to gain by one, and a cache to keep it in."""
        return starts is not None and len(data) >= SMALLEST and self.folder is not None

    def save(self, office: Virksomhet, data: bytes, starts: list[int] | Spliced | None) -> None:
        """The entry for office as just written (data), if wants() it. starts: where each fravær's
        table starts in data, or, for an office written from a PartialRead, the Spliced lines.

        Best effort: a cache that cannot be written only makes the next read parse the file."""
        if starts is None or self.folder is None or not self.wants(data, starts):
            return
        import json

        if isinstance(starts, Spliced):
            directory = starts.directory
        else:
            directory = directory_of((f.key, f.behandler, f.hpr) for f in office.fravaer)

        entry = {
            "format": _FORMAT,
            "version": __version__,
            "size": len(data),
            "blake2b": _digest(data),
            "virksomhet": [office.orgnr, office.navn, office.info, office.next_id],
            "behandlere": [list(e.values()) for e in office.roster],
            "tidligere_navn": office.tidligere,
            # Of every fravær, for a change that reads only some of them (partial.py).
            "directory": {"names": directory.names, "hprs": directory.hprs},
        }
        path = self.folder / f"{office.orgnr}.json"
        tmp = path.with_name(f".{office.orgnr}.{os.getpid()}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Private to the user, as the rest of their cache: the store's own files may be shared wider.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            known = self._lines_read.pop(office.orgnr, {})
            lines = [json.dumps(entry, ensure_ascii=False).encode("utf-8")]
            if isinstance(starts, Spliced):
                lines += starts.lines
            else:
                for start, one in zip(starts, office.fravaer, strict=True):
                    hit = known.get(id(one))
                    # The same object, not only the same id(): a Fravaer is frozen, so its line still holds.
                    if hit is not None and hit[0] is one:
                        lines.append(b"%s[%d, %s" % (hit[1], start, hit[2]))
                    else:
                        lines.append(cache_line(start, one))
            body = b"\n".join(lines)
            with os.fdopen(fd, "wb") as f:
                f.write(_digest(body).encode() + b"\n" + body)
            os.replace(tmp, path)  # a reader sees the old entry or the new one, never half of one
        except (OSError, ValueError):  # ValueError: a lone surrogate cannot be encoded
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _maker() -> Callable[[list[Any]], Fravaer]:
    """Fravaer.from_text_values for a cache line's row ([start, *values]), written out field by
    field from the declarations as model.py writes its codec: a big office has 20,000 of them."""
    args = []
    for i, name in enumerate(Fravaer.FIELDS, start=1):
        if name in Fravaer.DATES:
            args.append(f"day(row[{i}])")
        elif name in Fravaer.KEYS:
            args.append(f"tuple(row[{i}])")
        else:
            args.append(f"row[{i}]")
    source = f"def make(row):\n    return F({', '.join(args)})\n"
    made: dict[str, Any] = {}
    exec(compile(source, "<cache row>", "exec"), {"F": Fravaer, "day": date.fromisoformat}, made)
    return cast(Callable[[list[Any]], Fravaer], made["make"])


_make = _maker()


def _all_of(lines: list[bytes], raw: bytes) -> tuple[list[Fravaer], list[int], list[bytes]] | None:
    """Every fravær of an entry's lines, decoded at once, with where each starts in the file and
    the rest of its line after its start; None when a line does not fit the file."""
    import json

    rows = json.loads(b"[" + b",".join([line[VALUES_AT:] for line in lines]) + b"]")
    fravaer, starts, rests = [], [], []
    width = len(Fravaer.FIELDS) + 1
    for row, line in zip(rows, lines, strict=True):
        start = row[0]
        # Where the entry says this fravær's table is, the file has a table with its id.
        # (Ids are letters, digits, _ and -: written in quotes as they are.)
        if (
            len(row) != width
            or type(start) is not int
            or not raw.startswith(b'\n[[fravaer]]\nid = "%s"\n' % row[1].encode(), start)
            or line[:VALUES_AT] != b"%s %s " % (row[_FRA + 1].encode(), row[_TIL + 1].encode())
        ):
            return None  # (a line dated otherwise would mislead a report about some days)
        fravaer.append(_make(row))
        starts.append(start)
        rests.append(line[line.index(b", ", VALUES_AT) + 2 :])
    return fravaer, starts, rests


class _Lines:
    """An entry's fravær lines, each decoded when first asked for and checked against the file."""

    def __init__(self, lines: list[bytes], raw: bytes) -> None:
        self.lines, self.raw = lines, raw
        self.starts: dict[int, int] = {}
        self._read: dict[int, Fravaer | None] = {}

    def fravaer(self, i: int) -> Fravaer | None:
        """The i-th fravær, or None when its line does not fit the file (the entry is not used)."""
        if i not in self._read:
            self._read[i] = self._decode(i)
        return self._read[i]

    def _decode(self, i: int) -> Fravaer | None:
        import json

        line = self.lines[i]
        start, *values = json.loads(line[VALUES_AT:])
        # Where the entry says this fravær's table is, the file has a table with its id.
        # (Ids are letters, digits, _ and -: written in quotes as they are.)
        if type(start) is not int or not self.raw.startswith(f'{_TABLE.decode()}id = "{values[0]}"\n'.encode(), start):
            return None
        if line[:VALUES_AT] != f"{values[_FRA]} {values[_TIL]} ".encode():
            return None
        self.starts[i] = start
        return Fravaer.from_text_values(values)

    def meeting(self, first: date, last: date | None, stretches: bool = True) -> list[int]:
        """The lines of the fravær that end on or after first and start on or before last, and
        (stretches) of those back to back with them for the same GP and a shared service (one
        stretch: a report's; a change's Scope asks for the days alone)."""
        low, high = first.isoformat().encode(), last.isoformat().encode() if last is not None else b"~"
        chosen = {i for i, line in enumerate(self.lines) if line[11:21] >= low and line[:10] <= high}
        if not chosen or not stretches:
            return sorted(chosen)
        by_til: dict[bytes, list[int]] = {}
        by_fra: dict[bytes, list[int]] = {}
        for i, line in enumerate(self.lines):
            by_til.setdefault(line[11:21], []).append(i)
            by_fra.setdefault(line[:10], []).append(i)
        todo = list(chosen)
        while todo:
            f = self.fravaer(todo.pop())
            if f is None:
                continue  # the caller finds it unusable
            nearby = []
            if f.fra > date.min:
                nearby += by_til.get((f.fra - timedelta(days=1)).isoformat().encode(), [])
            if f.til < date.max:
                nearby += by_fra.get((f.til + timedelta(days=1)).isoformat().encode(), [])
            for j in nearby:
                g = self.fravaer(j)
                if j not in chosen and g is not None and g.key == f.key and set(g.tjenester) & set(f.tjenester):
                    chosen.add(j)
                    todo.append(j)
        return sorted(chosen)


def _directory(stored: Any) -> GpDirectory:
    """The entry's directory; TypeError when it is not two maps of texts."""
    names, hprs = stored["names"], stored["hprs"]
    for part in (names, hprs):
        if type(part) is not dict or not all(type(k) is str and type(v) is str for k, v in part.items()):
            raise TypeError("not a directory")
    return GpDirectory(names, hprs)


def _part(body: bytes, lines: list[bytes], raw: bytes, scope: Scope) -> PartialRead | None:
    """The fravær a change with scope needs (Scope): those named by its ids, and those that meet
    the hull of its days and theirs; None when a line does not fit the file. body: the entry's
    lines after its checksum (lines: those of its fravær)."""
    read = _Lines(lines, raw)
    named = {i for fid in scope.ids if (i := _line_of(body, fid)) is not None}
    hull = [scope.days] if scope.days is not None else []
    for i in named:
        f = read.fravaer(i)
        if f is None:
            return None
        hull.append((f.fra, f.til))
    picked = set(named)
    if hull:
        picked.update(read.meeting(min(h[0] for h in hull), max(h[1] for h in hull), stretches=False))
    fravaer, spans = [], []
    for i in sorted(picked):
        f = read.fravaer(i)
        end = _start_of(lines, raw, i + 1)
        if f is None or end is None or end <= read.starts[i]:
            return None
        fravaer.append(f)
        spans.append((read.starts[i], end))
    head_end = _start_of(lines, raw, 0)
    if head_end is None:
        return None
    return PartialRead(lines, raw, sorted(picked), fravaer, head_end, spans, named)


def _start_of(lines: list[bytes], raw: bytes, i: int) -> int | None:
    """Where the i-th fravær's table starts in the file (the file's end after the last); None when
    its line says a place where no table starts."""
    if i == len(lines):
        return len(raw)
    start = line_start(lines[i])[0]
    return start if raw.startswith(_TABLE, start) else None


def _line_of(body: bytes, fravaer_id: str) -> int | None:
    """The line (among the fravær's) of the fravær with that id, found where its line has it:
    "2030-01-01 2030-01-07 [start, "id", ..." (ids are unique). Searched for in the entry's bytes,
    not a line at a time."""
    import json

    needle = b", %s, " % json.dumps(fravaer_id, ensure_ascii=False).encode()
    at = body.find(needle)
    while at != -1:
        begin = body.rfind(b"\n", 0, at) + 1  # 0: the office's line, no fravær's
        if (
            begin
            and body[begin + VALUES_AT : begin + VALUES_AT + 1] == b"["
            and body[begin + VALUES_AT + 1 : at].isdigit()
        ):
            return body.count(b"\n", 0, begin) - 1
        at = body.find(needle, at + 1)
    return None
