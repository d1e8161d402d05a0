"""Writing an office as TOML (a writer of our own: the bytes of each fravær are kept for reuse and
for the cache) or JSON, and the order of an audit log entry's keys."""

from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any, cast

from fravaer_cli.domain.model import Fravaer
from fravaer_cli.domain.virksomhet import Virksomhet
from fravaer_cli.store.files.documents import SCHEMA


def file_order(entry: dict[str, Any]) -> dict[str, Any]:
    """A log entry's keys in the order this store writes them (a schema-2 database kept jsonb's own)."""
    first: dict[str, Any] = {k: entry[k] for k in ("tid", "av", "pa_vegne_av", "handling") if k in entry}
    return {**first, **entry}


def document_of(office: Virksomhet) -> dict[str, Any]:
    return {**head_of(office), "fravaer": [f.to_record() for f in office.fravaer]}


def head_of(office: Virksomhet) -> dict[str, Any]:
    """The document but its fravær."""
    document = {
        # A file is written as schema 2 or 3 only when it holds what the one before has no place
        # for, so that an older fravaer still reads every office without a roster or a rename.
        "schema": SCHEMA if office.tidligere else 2 if office.roster else 1,
        "virksomhet": {"orgnr": office.orgnr, "navn": office.navn, "info": office.info},
        "neste_id": office.next_id,
    }
    if office.roster:
        document["behandlere"] = [e.to_record() for e in office.roster]
    if office.tidligere:
        document["tidligere_navn"] = dict(office.tidligere)
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
    return toml_head(document) + "".join(map(_toml_record, document["fravaer"]))


def toml_head(document: dict[str, Any]) -> str:
    import tomli_w

    return tomli_w.dumps({k: v for k, v in document.items() if k != "fravaer" or not v})


def _toml_record(record: dict[str, Any]) -> str:
    return "\n[[fravaer]]\n" + "".join([f"{key} = {_toml_value(value)}\n" for key, value in record.items()])


def log_lines(entries: list[dict[str, Any]], now: str, av: str) -> bytes:
    """Log entries as the log's lines, each stamped with the time and who made the change."""
    import json

    from fravaer_cli.store.base import log_value

    encode = json.JSONEncoder(ensure_ascii=False, default=log_value).encode  # one encoder, not one a line
    # An add's or an import's entry, (handling, fravær) (all of a big import's), is written
    # directly: the same text, without the encoder asking log_value for the fravær.
    start, as_json, lines = encode({"tid": now, "av": av})[:-1], fravaer_json(), []
    for entry in entries:
        if tuple(entry) == _ADDED and type(f := entry["fravaer"]) is Fravaer and type(entry["handling"]) is str:
            lines.append(f'{start}, "handling": {encode(entry["handling"])}, "fravaer": {as_json(f)}}}\n')
        else:
            lines.append(encode({"tid": now, "av": av, **entry}) + "\n")
    return "".join(lines).encode("utf-8")


_ADDED = ("handling", "fravaer")  # the keys of an add's or an import's log entry, in order


def _write_fravaer_toml() -> Callable[[Fravaer], str]:
    """fravaer_toml(f): _toml_record(f.to_record()), written out field by field from Fravaer's
    declarations and compiled once, as the codec is: a big import writes 100,000 fravær, and the
    loop over each record's items, a value's type asked for each, cost twice what this does."""

    def value(name: str) -> str:
        if name in Fravaer.DATES:
            return f"f.{name}.isoformat()"
        if name in Fravaer.KEYS:
            return f"'[' + ', '.join(map(s, f.{name})) + ']'"
        return f"s(f.{name})"

    required = " + ".join(
        f"'{name} = ' + {value(name)} + '\\n'" for name in Fravaer.FIELDS if name not in Fravaer.OPTIONAL
    )
    optional = "".join(
        f"    if f.{name}:\n        text += '{name} = ' + {value(name)} + '\\n'\n" for name in Fravaer.OPTIONAL
    )
    source = f"def fravaer_toml(f):\n    text = '\\n[[fravaer]]\\n' + {required}\n{optional}    return text\n"
    made: dict[str, Any] = {}
    exec(compile(source, "<fravaer_toml>", "exec"), {"s": _toml_string}, made)
    return cast(Callable[[Fravaer], str], made["fravaer_toml"])


fravaer_toml = _write_fravaer_toml()


@cache
def fravaer_json() -> Callable[[Fravaer], str]:
    """A function that gives json.dumps(f.to_dict(), ensure_ascii=False), written out from Fravaer's
    declarations as fravaer_toml is, and made when first asked for (only what writes a log needs
    json): the fravær of an add's or an import's log line, where the encoder asking log_value
    for each fravær cost twice what this does."""
    from json.encoder import encode_basestring

    def value(name: str) -> str:
        if name in Fravaer.DATES:
            return f"'\"' + f.{name}.isoformat() + '\"'"
        if name in Fravaer.KEYS:
            return f"'[' + ', '.join(map(e, f.{name})) + ']'"
        if name in Fravaer.NULL_WHEN_EMPTY:
            return f"(e(f.{name}) if f.{name} else 'null')"
        return f"e(f.{name})"

    items = " + ', ' + ".join(f"'\"{name}\": ' + {value(name)}" for name in Fravaer.FIELDS)
    source = f"def fravaer_json(f):\n    return '{{' + {items} + '}}'\n"
    made: dict[str, Any] = {}
    exec(compile(source, "<fravaer_json>", "exec"), {"e": encode_basestring}, made)
    return cast(Callable[[Fravaer], str], made["fravaer_json"])


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
    document = head_of(office)
    if not office.fravaer:
        document["fravaer"] = []  # written as tomli-w writes an empty array
    head = toml_head(document).encode("utf-8")
    parts, starts, at = [head], [], len(head)
    for f in office.fravaer:
        hit = known.get(id(f))
        # The same object, not only the same id(): a Fravaer is frozen, so its bytes still hold.
        text = raw[hit[1] : hit[2]] if hit is not None and hit[0] is f else fravaer_toml(f).encode("utf-8")
        starts.append(at)
        at += len(text)
        parts.append(text)
    return b"".join(parts), starts
