"""A fast reader for the plain TOML that fravaer writes, with tomllib for everything else.

tomllib is pure Python; reading every store file is most of what `status --all`
does, and one office's file is a good part of every other call. The files fravaer
writes use a small part of TOML: `key = value` lines, `[table]` and
`[[array-of-tables]]` headers one level deep, basic strings, arrays of basic
strings, dates and non-negative integers. Those are read here, with the C json
parser for the strings. Anything else (comments after values, other spacing,
literal strings, inline tables, a duplicated key, a hand-edited file) makes
`loads` hand the whole text to tomllib, so the result is always tomllib's; a
test holds the two to the same answer on mutated files.
"""

import json
import re
from datetime import date

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_INTEGER = re.compile(r"0|[1-9][0-9]*", re.ASCII)
# What JSON reads and TOML does not (or reads otherwise): a bare CR, the DEL
# character, and the escapes \/ and \u for surrogate halves (TOML has \U, JSON not).
_NOT_TOML = re.compile(r"\r|\x7f|\\/|\\U|\\u[dD][89abAB]|\\u[dD][c-fC-F]")


class _Bail(Exception):
    """Not the plain TOML read here: tomllib reads it."""


def loads(text: str) -> dict:
    """Parse TOML; raises tomllib.TOMLDecodeError for invalid TOML."""
    try:
        return _plain(text)
    except _Bail:
        import tomllib

        return tomllib.loads(text)


def _plain(text: str) -> dict:
    document: dict = {}
    table = document
    defined = set()  # tables and arrays of tables made by headers
    for line in text.split("\n"):
        if not line or line[0] == "#":
            continue
        if line[0] == "[":
            table = _header(line, document, defined)
            continue
        key, sep, raw = line.partition(" = ")
        if not sep or not _KEY.fullmatch(key) or key in table:
            raise _Bail
        table[key] = _value(raw)
    return document


def _header(line: str, document: dict, defined: set) -> dict:
    if line.startswith("[[") and line.endswith("]]"):
        name = line[2:-2]
        if not _KEY.fullmatch(name):
            raise _Bail
        if name not in document:
            document[name] = []
            defined.add(name)
        elif name not in defined or type(document[name]) is not list:
            raise _Bail
        table: dict = {}
        document[name].append(table)
        return table
    name = line[1:-1]
    if line[-1] != "]" or not _KEY.fullmatch(name) or name in document:
        raise _Bail
    table = document[name] = {}
    return table


def _value(raw: str):
    first = raw[:1]
    if first == '"' or first == "[":
        if _NOT_TOML.search(raw):
            raise _Bail
        try:
            value = json.loads(raw)
        except ValueError:
            raise _Bail from None
        # json also reads what is no string or array of strings here, and
        # whitespace after the value, which this reader does not take.
        if raw[-1] not in '"]' or (type(value) is list and not all(type(v) is str for v in value)):
            raise _Bail
        if type(value) is not str and type(value) is not list:
            raise _Bail
        return value
    if _DATE.fullmatch(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise _Bail from None
    if _INTEGER.fullmatch(raw):
        return int(raw)
    raise _Bail
