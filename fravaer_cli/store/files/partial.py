"""A big office read in part for a change (Scope), and written back whole as a splice of bytes.

A change that concerns some days (add, edit, an import) is given only the fravær its rules and
notes are about, read from the office's cache entry (filecache.py), and the directory of the
office's GPs (GpDirectory), which the entry keeps. The write then makes the bytes a whole write
would have made: the head encoded again, the fravær not read copied as the bytes they were,
those read and changed encoded again, new ones appended; and the entry's lines the same way, the
start each names moved by what the bytes before it grew or shrank. An add in an office of 20,000
fravær so decodes, indexes and encodes a handful of them, not 20,000.
"""

import re
from collections.abc import Iterable
from typing import Any

from fravaer_cli.domain.model import Fravaer, GpDirectory
from fravaer_cli.domain.names import behandler_key
from fravaer_cli.domain.virksomhet import Virksomhet
from fravaer_cli.store.files.writer import fravaer_toml, head_of, toml_head

# A fravær's line in a cache entry: "2030-01-01 2030-01-07 [start, values...]" (an ISO date is
# always 10 characters), its values text_values() as JSON.
VALUES_AT = 22
_TABLE = b"\n[[fravaer]]\n"

# The GP's name and HPR number of a line, without decoding the rest of it (a directory made again
# reads every line): [start, id, behandler, fra, til, [tjenester], [vikar], kommentar, hpr, ...].
_TEXT = rb'"(?:[^"\\]|\\.)*"'
_LIST = rb"\[(?:" + _TEXT + rb"(?:, " + _TEXT + rb")*)?\]"
_GP_OF_LINE = re.compile(
    rb"\[\d+, "
    + _TEXT
    + rb", ("
    + _TEXT
    + rb"), "
    + _TEXT
    + rb", "
    + _TEXT
    + rb", "
    + _LIST
    + rb", "
    + _LIST
    + rb", "
    + _TEXT
    + rb", ("
    + _TEXT
    + rb"), "
)
_BEHANDLER, _HPR = Fravaer.FIELDS.index("behandler"), Fravaer.FIELDS.index("hpr")


def cache_line(start: int, f: Fravaer) -> bytes:
    """A fravær's line in a cache entry, its table starting at start in the file."""
    import json

    values = json.dumps([start, *f.text_values()], ensure_ascii=False)
    return f"{f.fra.isoformat()} {f.til.isoformat()} {values}".encode()


def directory_of(gps: Iterable[tuple[str, str, str]]) -> GpDirectory:
    """The directory of (key, behandler, hpr) of every fravær in the office's order: as the whole
    office's fravær give it (Virksomhet._remember: the first fravær of each GP, of each number)."""
    names: dict[str, str] = {}
    hprs: dict[str, str] = {}
    for key, name, hpr in gps:
        names.setdefault(key, name)
        if hpr:
            hprs.setdefault(hpr, key)
    return GpDirectory(names, hprs)


class PartialRead:
    """What a change read of an office from its entry: the office made of it (office), the entry's
    lines, the file's bytes, the lines read (picked, in the office's order) and the fravær made of
    them (read), where the first fravær's table starts (head_end), and where each line read starts
    and ends in the file."""

    __slots__ = ("office", "lines", "raw", "picked", "read", "head_end", "spans", "named")

    def __init__(
        self,
        lines: list[bytes],
        raw: bytes,
        picked: list[int],
        read: list[Fravaer],
        head_end: int,
        spans: list[tuple[int, int]],
        named: set[int],
    ) -> None:
        self.office: Virksomhet | None = None
        self.lines, self.raw, self.picked, self.read = lines, raw, picked, read
        self.head_end, self.spans = head_end, spans
        self.named = named  # the lines of the fravær the scope names by id

    def without_named(self) -> GpDirectory:
        """The directory of every fravær but those the scope names (GpDirectory.without_named)."""
        keys: dict[bytes, tuple[str, str]] = {}

        def gps() -> Iterable[tuple[str, str, str]]:
            for i, line in enumerate(self.lines):
                if i not in self.named:
                    name, hpr = _gp_of_line(line, keys)
                    yield keys[name][0], keys[name][1], hpr

        return directory_of(gps())


class Spliced:
    """An office written from a PartialRead: its cache entry's lines and its directory."""

    __slots__ = ("lines", "directory")

    def __init__(self, lines: list[bytes], directory: GpDirectory) -> None:
        self.lines, self.directory = lines, directory


def line_start(line: bytes) -> tuple[int, int]:
    """Where the line's fravær starts in the file, and where that number ends in the line."""
    comma = line.index(b",", VALUES_AT)
    return int(line[VALUES_AT + 1 : comma]), comma


def _moved(lines: list[bytes], delta: int) -> list[bytes]:
    """Lines whose fravær now start delta bytes later (or earlier) in the file."""
    if delta == 0:
        return lines
    moved = []
    for line in lines:
        start, comma = line_start(line)
        moved.append(b"%s%d%s" % (line[: VALUES_AT + 1], start + delta, line[comma:]))
    return moved


def splice(office: Virksomhet, part: PartialRead) -> tuple[bytes, Spliced]:
    """The bytes of the whole office, of which part was read: what writer.toml_office makes of the
    whole office with the same changes, and the cache entry's lines and directory for it."""
    if part.office is not office or not office.partial or len(office.fravaer) < len(part.read):
        # A store's bug: bytes spliced into the wrong office would lose fravær.
        raise AssertionError(f"{office.orgnr} was not read in part as it is to be written")
    lines, raw = part.lines, part.raw
    document = head_of(office)
    if not lines and not office.fravaer:
        document["fravaer"] = []  # written as tomli-w writes an empty array (writer.toml_office)
    head = toml_head(document).encode("utf-8")
    parts, out, at = [head], [], len(head)
    done, old_at = 0, part.head_end  # lines before done are written; old_at: where line done started
    changed = []
    for f, was, i, (start, end) in zip(office.fravaer, part.read, part.picked, part.spans, strict=False):
        if done < i:  # the fravær not read before this one: their bytes as they are
            parts.append(raw[old_at:start])
            out += _moved(lines[done:i], at - old_at)
            at += start - old_at
        if f is was:
            parts.append(raw[start:end])
            out += _moved([lines[i]], at - start)
            at += end - start
        else:
            text = fravaer_toml(f).encode("utf-8")
            parts.append(text)
            out.append(cache_line(at, f))
            at += len(text)
            changed.append((was, f))
        done, old_at = i + 1, end
    if done < len(lines):
        parts.append(raw[old_at:])
        out += _moved(lines[done:], at - old_at)
        at += len(raw) - old_at
    for f in office.fravaer[len(part.read) :]:  # new ones, after every fravær stored
        text = fravaer_toml(f).encode("utf-8")
        parts.append(text)
        out.append(cache_line(at, f))
        at += len(text)
    return b"".join(parts), Spliced(out, _directory(office, part, changed))


def _directory(office: Virksomhet, part: PartialRead, changed: list[tuple[Fravaer, Fravaer]]) -> GpDirectory:
    """The directory after the change: the one read, with the GPs and numbers of new fravær (the
    last in the office's order); made again from every line when an edit changed a fravær's GP,
    name or number (it may have been the first of its GP, or of its number)."""
    assert office.directory is not None
    new = office.fravaer[len(part.read) :]
    if all((a.key, a.behandler, a.hpr) == (b.key, b.behandler, b.hpr) for a, b in changed):
        names, hprs = dict(office.directory.names), dict(office.directory.hprs)
        for f in new:
            names.setdefault(f.key, f.behandler)
            if f.hpr:
                hprs.setdefault(f.hpr, f.key)
        return GpDirectory(names, hprs)
    now = dict(zip(part.picked, office.fravaer, strict=False))
    keys: dict[bytes, tuple[str, str]] = {}

    def gps() -> Iterable[tuple[str, str, str]]:
        for i, line in enumerate(part.lines):
            f = now.get(i)
            if f is not None:
                yield f.key, f.behandler, f.hpr
                continue
            name, hpr = _gp_of_line(line, keys)
            yield keys[name][0], keys[name][1], hpr
        for f in new:
            yield f.key, f.behandler, f.hpr

    return directory_of(gps())


def _gp_of_line(line: bytes, keys: dict[bytes, tuple[str, str]]) -> tuple[bytes, str]:
    """A line's GP's name as written in it (keys: that text -> the GP's key and name, filled as
    met: an office has far fewer GPs than fravær) and its HPR number."""
    import json

    found = _GP_OF_LINE.match(line, VALUES_AT)
    if found is not None:
        name, hpr = found[1], json.loads(found[2])
    else:  # not the shape written (it always is): the line decoded whole
        values: list[Any] = json.loads(line[VALUES_AT:])[1:]
        name, hpr = json.dumps(values[_BEHANDLER]).encode(), values[_HPR]
    if name not in keys:
        text = json.loads(name)
        keys[name] = (behandler_key(text), text)
    return name, hpr
