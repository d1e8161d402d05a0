"""Output for people (tables) and for scripts (JSON, CSV)."""

import re
import sys
from functools import cache

FORMATS = ("table", "json", "csv", "excel-csv")
# A spreadsheet runs a cell that starts with one of these as a formula.
# Full-width = + - @ too: a spreadsheet may read them as the ASCII ones (NFKC makes them so).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


# What a terminal would act on instead of showing: control characters, and
# marks that reorder or hide text (bidi overrides, isolates and marks), and
# the Unicode line and paragraph separators, which would break a line.
_UNPRINTABLE = "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"


@cache
def _unprintable():
    return re.compile(_UNPRINTABLE)  # compiled when first needed: most calls print no text of anyone's


def printable(text: str, keep: str = "") -> str:
    """Text for a person's terminal: what it would act on is shown as an escape (\\x1b)."""
    if text.isprintable() or (keep == "\n" and all(line.isprintable() for line in text.split("\n"))):
        return text  # nearly every name and message: no pattern to compile or run

    def escape(match) -> str:
        char = match[0]
        if char in keep:
            return char
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _unprintable().sub(escape, text)


# json is imported where it is used: a table or a message, most calls' output, does not need it.


def print_json(value) -> None:
    import json

    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def print_json_streaming(head: dict, lists: dict) -> None:
    """The same text as print_json({**head, **lists}), with each list written as
    its items come, so a long report is never held whole."""
    import json

    out = sys.stdout
    out.write("{\n")
    fields = [f"  {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}" for k, v in head.items()]
    out.write(",\n".join(fields))
    for i, (key, items) in enumerate(lists.items()):
        out.write((",\n" if fields or i else "") + f"  {json.dumps(key, ensure_ascii=False)}: [")
        first = True
        for item in items:
            text = json.dumps(item, ensure_ascii=False, indent=2).replace("\n", "\n    ")
            out.write(("\n    " if first else ",\n    ") + text)
            first = False
        out.write("]" if first else "\n  ]")
    out.write("\n}\n")


def count(n: int, one: str, many: str) -> str:
    """'1 virksomhet', '2 virksomheter'."""
    return f"{n} {one if n == 1 else many}"


def print_json_list_streaming(items) -> None:
    """The same text as print_json(list(items)), each item written as it comes."""
    import json

    out, first = sys.stdout, True
    for item in items:
        out.write(
            ("[\n  " if first else ",\n  ") + json.dumps(item, ensure_ascii=False, indent=2).replace("\n", "\n  ")
        )
        first = False
    out.write("[]\n" if first else "\n]\n")


def csv_cell(value) -> str:
    """A spreadsheet's cell: a formula's start defended, a control character (a hand-edited
    file's) shown as an escape, as the tables show it."""
    text = printable("" if value is None else str(value))
    return "'" + text if text.startswith(FORMULA_START) else text


_ISO_DATE = r"(\d{4})-(\d{2})-(\d{2})"


def _excel_cell(value) -> str:
    # Norwegian Excel reads dd.mm.yyyy as a date, and ISO dates as text.
    text = csv_cell(value)
    m = re.fullmatch(_ISO_DATE, text, re.ASCII)
    return f"{m[3]}.{m[2]}.{m[1]}" if m else text


# The table's words for the CSV's keys: a spreadsheet is for people, so excel-csv heads its
# columns as the tables do. import reads them back (it takes these words as column names).
EXCEL_HEADERS = {
    "id": "ID",
    "kategori": "Kategori",
    "virksomhet": "Virksomhet",
    "virksomhet_navn": "Navn",
    "orgnr": "Organisasjonsnummer",
    "navn": "Navn",
    "behandler": "Behandler",
    "hpr": "HPR",
    "pa_listen": "På listen",
    "fra": "Fra og med",
    "til": "Til og med",
    "tjenester": "Tjenester",
    "tjeneste": "Tjeneste",
    "vikar": "Vikar",
    "kommentar": "Kommentar",
    "registrert_av": "Registrert av",
    "registrert": "Registrert",
    "apner_igjen": "Åpner igjen",
    "stengt": "Stengt",
    "melding": "Melding",
    "info": "Informasjon til pasient",
    "fravaer": "Fravær",
    "tid": "Tid",
    "av": "Av",
    "pa_vegne_av": "På vegne av",
    "handling": "Handling",
    "hva": "Hva",
    "login": "Innlogging",
    "gitt_av": "Gitt av",
    "gitt": "Gitt",
}


def print_csv(headers: list[str], rows, excel: bool = False) -> None:
    """CSV for scripts (comma, UTF-8, no byte-order mark, ISO dates, the JSON's keys as
    headers), or, with excel, as Norwegian Excel opens it in columns with æøå intact:
    semicolons, a UTF-8 byte-order mark, dd.mm.yyyy dates and the table's words as headers."""
    import csv

    if excel:
        sys.stdout.write("\ufeff")
        headers = [EXCEL_HEADERS.get(h, h) for h in headers]
    writer = csv.writer(sys.stdout, delimiter=";" if excel else ",", lineterminator="\r\n" if excel else "\n")
    cell = _excel_cell if excel else csv_cell
    writer.writerow([cell(v) for v in headers])  # the calendar's headers are its days: dates too
    writer.writerows([cell(v) for v in row] for row in rows)


def width() -> int:
    """How wide output for people may be: the terminal's width; in a pipe or a cron mail 80,
    unless $COLUMNS says otherwise."""
    import os

    if sys.stdout.isatty():
        import shutil

        return shutil.get_terminal_size((80, 24)).columns
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else 80


def clipped(text: str, room: int) -> str:
    """text in at most room characters: cut with '…' when longer."""
    return text if len(text) <= room else text[: max(room - 1, 0)] + "…"


def table_with_rest(headers: list[str], rows: list[list], last: str, values: list[str], room: int) -> str:
    """A table, and one more column (last, with a value per row) only when it has room for at
    least 10 characters within room; its values are cut to fit. A comment is worth showing,
    but not at the price of lines that wrap."""
    plain = table(headers, rows)
    used = max(map(len, plain.splitlines()), default=0)
    space = room - used - 2
    if not any(values) or space < 10:
        return plain
    return table([*headers, last], [[*row, clipped(printable(v), space)] for row, v in zip(rows, values, strict=True)])


def grouped(table_text: str, groups: list[str]) -> str:
    """A table (its header lines, then a line a row) with each group's name on a line of its
    own above its first row, and the table indented under them: one table whose columns line
    up over every group, without a column that repeats the group on each row."""
    lines = table_text.split("\n")
    shown = ["  " + line for line in lines[:2]]
    for n, line in enumerate(lines[2:]):
        if n == 0 or groups[n] != groups[n - 1]:
            shown.append(printable(groups[n]))
        shown.append("  " + line)
    return "\n".join(shown)


def table(headers: list[str], rows: list[list]) -> str:
    """A plain table; tabulate never wraps, so a pipe gets whole lines."""
    from tabulate import tabulate

    rows = [["" if cell is None else printable(str(cell)) for cell in row] for row in rows]
    return tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)


class StreamedList:
    """A JSON array whose items are written as they come (print_json_list_streaming)."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items


class Streamed:
    """A JSON object whose lists are written as their items come (print_json_streaming)."""

    __slots__ = ("head", "lists")

    def __init__(self, head: dict, lists: dict):
        self.head, self.lists = head, lists


class Result:
    """What a command shows, in each of its forms; render() prints the one asked for.

    json: a JSON value, or a Streamed document or StreamedList.
    csv: (headers, rows); rows may be a generator.
    text: for people: a string, or a function that makes it (tables are built only when shown),
    or one that gives it in pieces (each written as it comes, on a line of its own).
    """

    __slots__ = ("json", "csv", "text")

    def __init__(self, json, csv: tuple[list[str], object], text):
        self.json, self.csv, self.text = json, csv, text


def render(result: Result, fmt: str) -> None:
    """The one place where a command's result becomes table, JSON or CSV."""
    if fmt == "json":
        if isinstance(result.json, Streamed):
            print_json_streaming(result.json.head, result.json.lists)
        elif isinstance(result.json, StreamedList):
            print_json_list_streaming(result.json.items)
        else:
            print_json(result.json)
    elif fmt in ("csv", "excel-csv"):
        print_csv(*result.csv, excel=fmt == "excel-csv")
    else:
        text = result.text() if callable(result.text) else result.text
        for part in [text] if isinstance(text, str) else text:
            sys.stdout.write(part + "\n")


def cell_text(value) -> str:
    """A cell as table() shows it: printable, and stripped as tabulate strips it."""
    return ("" if value is None else printable(str(value))).strip()


class SimpleTable:
    """table()'s text (tabulate's "simple" format) a line at a time, for a table over more rows
    than should be held at once: its columns' widths are found first (the longest cell_text of
    each), then each row becomes its line as it comes. A test holds it to table()."""

    __slots__ = ("headers", "widths")

    def __init__(self, headers: list[str], longest: list[int]):
        self.headers = headers
        # tabulate: a column is as wide as its longest cell, and its header and two more.
        self.widths = [max(len(h) + 2, n) for h, n in zip(headers, longest, strict=True)]

    def width(self) -> int:
        """The longest line's length: the line under the headers."""
        return sum(self.widths) + 2 * (len(self.widths) - 1)

    def head(self) -> list[str]:
        return [self._line(self.headers), "  ".join("-" * w for w in self.widths)]

    def line(self, cells: list) -> str:
        return self._line([cell_text(c) for c in cells])

    def _line(self, texts: list[str]) -> str:
        return "  ".join(t.ljust(w) for t, w in zip(texts, self.widths, strict=True)).rstrip()


def lines_match_table() -> bool:
    """Whether SimpleTable gives table()'s text here: tabulate measures a cell by its length,
    unless the optional wcwidth package is installed (then a wide character counts twice)."""
    import tabulate

    return not tabulate.WIDE_CHARS_MODE
