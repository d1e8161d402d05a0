"""A text file's bytes read as text without the text being held whole: its encoding found by
decoding a slice at a time, and the text decoded as it is read."""

import io
import re
from collections.abc import Iterator

from fravaer_cli.domain.errors import InputError

# A UTF-8 multi-byte sequence (lead byte and its continuation bytes).
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_BOM = b"\xef\xbb\xbf"
_SLICE = 1 << 18  # the text is decoded this much at a time, never whole


def _slices(raw: bytes, start: int) -> Iterator[tuple[int, int]]:
    """(start, end) of slices of raw, each ending after a line break: a line break is one byte
    that is part of no other character, so no character is cut in two."""
    while start < len(raw):
        end = raw.find(b"\n", start + _SLICE)
        end = len(raw) if end < 0 else end + 1
        yield start, end
        start = end


def _scan(raw: bytes, start: int, encoding: str) -> tuple[str, int | None]:
    """(the text's first character that is not blank, or '' if it is all blank; where the first
    byte that is not of the encoding is, counted from start, or None)."""
    first = ""
    view = memoryview(raw)
    for begin, end in _slices(raw, start):
        try:
            text = str(view[begin:end], encoding)
        except UnicodeDecodeError as e:
            return first, begin - start + e.start
        first = first or text.lstrip()[:1]
        del text  # not held while the next slice is decoded
    return first, None


def encoding(raw: bytes, name: str) -> tuple[str, int, list[str], str]:
    """UTF-8 (a byte-order mark ignored), else Windows-1252 as Excel writes it, else refused:
    (the encoding, where the text starts, notes, the first character that is not blank or '').
    The text is looked through a slice at a time, and not held."""
    start = 3 if raw.startswith(_BOM) else 0
    first, bad = _scan(raw, start, "utf-8")
    if bad is None:
        return "utf-8", start, [], first
    if _UTF8_SEQUENCE.search(raw, start):
        # Mostly UTF-8 with a stray byte: read as Windows-1252, «Åse» would become «Ã…se», a new GP.
        line = raw.count(b"\n", start, start + bad) + 1
        raise InputError(
            f"{name}, linje {line}: byte 0x{raw[start + bad]:02X} (byte {bad} i filen) er ikke gyldig UTF-8, "
            "men resten av filen er UTF-8. Rett tegnet på den linjen, eller lagre filen som «CSV UTF-8»."
        )
    first, bad = _scan(raw, start, "cp1252")
    if bad is not None:
        raise InputError(
            f"{name} er verken UTF-8 eller Windows-1252 (byte {bad}). Lagre filen som «CSV UTF-8» og prøv igjen."
        )
    return "cp1252", start, [f"Merk: {name} er ikke UTF-8; den er lest som Windows-1252."], first


def stream(raw: bytes, encoding: str, start: int) -> io.TextIOWrapper:
    """The text, decoded as it is read; the bytes are shared, not copied. Line ends are kept as
    they are (newline=""), as csv wants them."""
    buffer = io.BytesIO(raw)
    buffer.seek(start)
    return io.TextIOWrapper(buffer, encoding, newline="")


def head(raw: bytes, encoding: str, start: int, lines: int) -> str:
    """The text's first lines (split("\\n", lines)[:lines]), the line breaks before them left out:
    decoded from the bytes up to them alone."""
    while raw[start : start + 1] in (b"\r", b"\n"):
        start += 1
    end = start
    for _ in range(lines):
        end = raw.find(b"\n", end) + 1
        if end == 0:
            end = len(raw)
            break
    return str(memoryview(raw)[start:end], encoding)
