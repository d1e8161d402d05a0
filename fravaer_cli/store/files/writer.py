"""Writing an office as TOML (a writer of our own: the bytes of each fravær are kept for reuse and
for the cache) or JSON, and the order of an audit log entry's keys."""

from datetime import date
from typing import Any

from fravaer_cli.domain.model import Fravaer
from fravaer_cli.domain.virksomhet import Virksomhet
from fravaer_cli.store.files.documents import SCHEMA


def file_order(entry: dict[str, Any]) -> dict[str, Any]:
    """A log entry's keys in the order this store writes them (a schema-2 database kept jsonb's own)."""
    first: dict[str, Any] = {k: entry[k] for k in ("tid", "av", "pa_vegne_av", "handling") if k in entry}
    return {**first, **entry}


def document_of(office: Virksomhet) -> dict[str, Any]:
    return {**_head_of(office), "fravaer": [f.to_record() for f in office.fravaer]}


def _head_of(office: Virksomhet) -> dict[str, Any]:
    """The document but its fravær."""
    document = {
        # A file is written as schema 2 only when it holds what schema 1 has no place for,
        # so that an older fravaer still reads every office without a roster.
        "schema": SCHEMA if office.roster else 1,
        "virksomhet": {"orgnr": office.orgnr, "navn": office.navn, "info": office.info},
        "neste_id": office.next_id,
    }
    if office.roster:
        document["behandlere"] = [e.to_record() for e in office.roster]
    return document


def serialise(document: dict[str, Any], suffix: str) -> bytes:
    if suffix == ".toml":
        return _toml(document).encode("utf-8")
    import json

    return (json.dumps(document, ensure_ascii=False, indent=2, default=date.isoformat) + "\n").encode("utf-8")


# TOML basic strings: escape the quote, the backslash and every control character.
_TOML_ESCAPES = {c: f"\\u{c:04X}" for c in (*range(0x20), 0x7F)}
_TOML_ESCAPES.update({ord('"'): '\\"', ord("\\"): "\\\\", 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"})


def _toml_string(text: str) -> str:
    # Most texts need no escape, and isprintable() says so faster than translate() goes through them.
    if text.isprintable() and '"' not in text and "\\" not in text:
        return '"' + text + '"'
    return '"' + text.translate(_TOML_ESCAPES) + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml_string, value)) + "]"
    return str(value.isoformat())  # a date


def _toml(document: dict[str, Any]) -> str:
    """tomli-w writes the head; the fravær, the bulk of a file, have a fixed
    shape and are written directly, several times faster (tests check that
    both read back the same)."""
    return _toml_head(document) + "".join(map(_toml_record, document["fravaer"]))


def _toml_head(document: dict[str, Any]) -> str:
    import tomli_w

    return tomli_w.dumps({k: v for k, v in document.items() if k != "fravaer" or not v})


def _toml_record(record: dict[str, Any]) -> str:
    return "\n[[fravaer]]\n" + "".join([f"{key} = {_toml_value(value)}\n" for key, value in record.items()])


def toml_office(
    office: Virksomhet, read_as: tuple[list[Fravaer], bytes, list[int]] | None = None
) -> tuple[bytes, list[int]]:
    """The office as TOML, and where each fravær's table starts in it (for the cache).

    read_as: (fravær, the file's bytes, where each starts) of an office read from the
    cache; each of those fravær still in the office is written as the same bytes."""
    known = {}
    if read_as is not None:
        listed, raw, starts = read_as
        known = {id(f): (f, start, end) for f, start, end in zip(listed, starts, [*starts[1:], len(raw)], strict=True)}
    document = _head_of(office)
    if not office.fravaer:
        document["fravaer"] = []  # written as tomli-w writes an empty array
    head = _toml_head(document).encode("utf-8")
    parts, starts, at = [head], [], len(head)
    for f in office.fravaer:
        hit = known.get(id(f))
        # The same object, not only the same id(): a Fravaer is frozen, so its bytes still hold.
        text = raw[hit[1] : hit[2]] if hit is not None and hit[0] is f else _toml_record(f.to_record()).encode("utf-8")
        starts.append(at)
        at += len(text)
        parts.append(text)
    return b"".join(parts), starts
