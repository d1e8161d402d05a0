"""Bulk registrations from CSV or JSON: reading the file, and checking every row.

Nothing here touches the store: the caller passes a function that loads an
office, and writes the checked plan afterwards.
"""

import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice

from fravaer_cli.domain.errors import InputError
from fravaer_cli.usecases import textfile

REQUIRED = ("virksomhet", "behandler", "fra", "til", "tjenester")
OPTIONAL = ("vikar", "kommentar", "hpr", "navn")  # navn: the office's name, for offices the import creates
# Header names as spreadsheets tend to have them, matched after case folding and trimming.
ALIASES = {
    "orgnr": "virksomhet",
    "organisasjonsnummer": "virksomhet",
    "fra og med": "fra",
    "til og med": "til",
    "tjeneste": "tjenester",
    "hpr-nummer": "hpr",
    "hpr nummer": "hpr",
    "merknad": "kommentar",
    "merknader": "kommentar",
    "kommentarer": "kommentar",
}
# A title and such above the header are skipped: the header is looked for in this many first rows.
HEADER_WITHIN = 10
DELIMITERS = (";", ",", "\t")
MAX_COLUMNS = 1000
MAX_LINE = 1024 * 1024  # per line of a CSV or JSON Lines file
MAX_FILE = 64 * 1024 * 1024  # a national plan of 100,000 rows is about 10 MiB
MAX_NOTES = 5
# The cells a sheet may fill: a national plan of 100,000 rows, and far more columns than a plan has.
# A stray cell far away (XFD1048576) would make the reader lay out every cell up to it.
MAX_SHEET_ROWS = 100_000
MAX_SHEET_COLUMNS = 100
MAX_SHEET_XML = 512 * 1024 * 1024  # an .xlsx's sheet unpacked, looked through before it is read


@dataclass
class Row:
    where: str  # "linje 5" (CSV, JSON Lines) or "objekt 3" (JSON array)
    values: dict


class Rows:
    """A file's rows, made as they are iterated and not held: each pass makes them anew from
    what is held (the file's bytes, or a parsed JSON document or sheet), so that an import
    that reads them twice (the offices to lock, then the check) holds no more than one row."""

    def __init__(self, make: Callable[[], Iterator[Row]]):
        self._make = make

    def __iter__(self) -> Iterator[Row]:
        return self._make()


@dataclass
class Source:
    name: str
    rows: Iterable[Row]  # Rows: made as they are checked, never all held at once
    kind: str  # "CSV (semikolon)", "JSON", "JSON Lines"
    notes: list[str] = field(default_factory=list)


# -- reading -------------------------------------------------------------------


# How spreadsheet files begin, whatever they are named.
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _spreadsheet_kind(raw: bytes) -> str | None:
    if raw.startswith(_ZIP):
        return "OpenDocument-regneark (.ods)" if b"opendocument.spreadsheet" in raw[:200] else "Excel-regneark (.xlsx)"
    if raw.startswith(_OLE):
        return "eldre Excel-regneark (.xls)"
    return None


def read(raw: bytes, name: str, sheet: str | None = None, virksomhet: str | None = None) -> Source:
    """Rows from a spreadsheet (xlsx, xls, ods), CSV, a JSON array or JSON Lines: a spreadsheet by
    its content, the others by the file's extension or else its content.

    sheet: the spreadsheet's sheet (default the first); virksomhet: the office for
    rows that name none (no such column, or an empty cell)."""
    required = tuple(c for c in REQUIRED if c != "virksomhet") if virksomhet else REQUIRED
    kind = _spreadsheet_kind(raw)
    if kind is not None:
        source = _read_spreadsheet(raw, name, kind, sheet, required)
    else:
        if sheet is not None:
            raise InputError(f"--ark gjelder regneark (.xlsx, .xls, .ods); {name} er ikke et regneark.")
        if b"\x00" in raw[:8192]:
            raise InputError(
                f"{name} er en binærfil, ikke CSV, JSON eller et regneark. Lagre planen som «CSV UTF-8 "
                "(semikolonseparert)» eller som .xlsx, og importer den filen."
            )
        source = _read_text(raw, name, required)
    if virksomhet is not None:
        rows = source.rows
        source.rows = Rows(lambda: _with_office(rows, virksomhet))
    return source


# What a spreadsheet's sum row says where a plan has its first cell ("Totalt", "Sum:").
TOTAL_WORDS = ("totalt", "total", "sum", "summert", "i alt", "antall")


def _with_office(rows, orgnr: str):
    for row in rows:
        if not str(row.values.get("virksomhet") or "").strip():
            label = _total_label(row.values)
            if label is not None:
                row.values = {"__total__": label}  # a one-office sheet's sum row: skipped with a note
            else:
                row.values["virksomhet"] = orgnr
        yield row


def _total_label(values: dict) -> str | None:
    """The word of a sum row ("Totalt") in a row with no office and no dates, else None: a row of a
    GP whose dates are missing is an error to report, not a row to skip."""
    if any(str(values.get(column) or "").strip() for column in ("fra", "til")):
        return None
    for value in values.values():
        if isinstance(value, str) and " ".join(value.split()).casefold().rstrip(":") in TOTAL_WORDS:
            return value.strip()
    return None


def _read_text(raw: bytes, name: str, required) -> Source:
    chosen, start, notes, first = textfile.encoding(raw, name)
    if not first:
        raise InputError(f"{name} er tom: ingen rader å importere.")
    lower = name.lower()
    if lower.endswith((".json", ".jsonl", ".ndjson")) or (
        not lower.endswith((".csv", ".tsv", ".txt")) and first in ("[", "{")
    ):
        source = _read_json(raw, chosen, start, name, required)
    else:
        _check_line_lengths(raw, name)
        source = _read_csv(raw, chosen, start, name, required)
    source.notes[:0] = notes
    return source


def _read_spreadsheet(raw: bytes, name: str, kind: str, sheet: str | None, required) -> Source:
    """The first sheet (or the one named), read by python-calamine: date cells as dates, numbers as numbers."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        names = book.sheet_names
        if sheet is not None and sheet not in names:
            raise InputError(f"{name} har ikke arket «{sheet}». Arkene: {', '.join(f'«{n}»' for n in names)}.")
        chosen = sheet if sheet is not None else names[0]
        if raw.startswith(_ZIP) and "ods" not in kind:
            _check_xlsx_extent(raw, name, chosen)
        loaded = book.get_sheet_by_name(chosen)
        last_row, last_column = loaded.end or (0, 0)
        _check_extent(last_row + 1, last_column + 1, name, chosen)  # .xls and .ods: laid out, not yet read
        cells = loaded.to_python(skip_empty_area=False)
    except InputError:
        raise
    except Exception as e:  # a damaged file: calamine's errors have no common base
        raise InputError(f"{name} ser ut som et {kind}, men kan ikke leses ({type(e).__name__}).") from None
    # The sheet is held as calamine gives it (it reads a sheet whole); its rows are made from it as they are checked.
    numbered = list(islice(_sheet_rows(cells), HEADER_WITHIN))
    if not numbered:
        raise InputError(f"{name}: arket «{chosen}» er tomt; ingen rader å importere.")
    at = next((n for n, (_, row) in enumerate(numbered) if _is_header(row, required)), None)
    if at is None:  # no header: the row most like one, and what it lacks
        at = _likeliest_header([row for _, row in numbered])
    _, header = numbered[at]
    _check_width(len(header), name, "kolonner")
    columns = [_column(h) for h in header]
    _check_columns(columns, [h.strip() for h in header], name, required)
    wanted = [(i, c) for i, c in enumerate(columns) if c in REQUIRED + OPTIONAL]
    rows = Rows(
        lambda: (
            Row(f"ark «{chosen}», rad {number}", {c: row[i] for i, c in wanted if i < len(row)})
            for number, row in islice(_sheet_rows(cells), at + 1, None)
        )
    )
    return Source(name, rows, kind, _above_note(f"{name}, ark «{chosen}»", [row for _, row in numbered[:at]]))


def _sheet_rows(cells: list[list]) -> Iterator[tuple[int, list[str]]]:
    """(the row's number, its cells as text) of each row of a sheet that is not empty."""
    for number, values in enumerate(cells, start=1):
        row = [_cell(v) for v in values]
        if any(c.strip() for c in row):
            yield number, row


def _column_letters(number: int) -> str:
    """1 -> A, 27 -> AA, 16384 -> XFD."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _check_extent(rows: int, columns: int, name: str, sheet: str, what: str = "arket har innhold helt ut til") -> None:
    """A cell with content beyond what a plan can fill is refused before the sheet is laid out."""
    if rows > MAX_SHEET_ROWS or columns > MAX_SHEET_COLUMNS:
        last = f"{_column_letters(MAX_SHEET_COLUMNS)}{MAX_SHEET_ROWS}"
        most_rows = f"{MAX_SHEET_ROWS:_}".replace("_", "\u00a0")
        raise InputError(
            f"{name}, ark «{sheet}»: {what} cellen {_column_letters(columns)}{rows}, men en fraværsplan kan fylle "
            f"høyst {most_rows} rader og {MAX_SHEET_COLUMNS} kolonner (A1 til {last}). Slett det som står utenfor "
            "planen, eller lagre arket som CSV, og prøv igjen."
        )


_SHEET_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)\b([^>]*)>")
_REF = re.compile(rb'\br="([A-Z]{0,3})([0-9]*)"')


def _check_xlsx_extent(raw: bytes, name: str, sheet: str) -> None:
    """The first cell with content beyond the plan's bounds in an .xlsx sheet, found by looking
    through its XML as it is unpacked (in little memory), before the reader lays out every
    cell up to the last one: one cell at XFD1048576 would be 17 billion cells."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as book:
            path = _xlsx_sheet_path(book, sheet)
            if path is None:
                return  # the reader finds the sheet its own way, and its size is checked after
            outside = _xlsx_cell_outside(book, path, name, sheet)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, RuntimeError, NotImplementedError):
        return  # a damaged or encrypted file: the reader says so
    if outside is not None:
        _check_extent(*outside, name, sheet, what="det står noe i")


def _xlsx_sheet_path(book, sheet: str) -> str | None:
    from html import unescape

    workbook = book.read("xl/workbook.xml").decode("utf-8", "replace")
    rels = book.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    for attributes in re.findall(r"<(?:\w+:)?sheet\b([^>]*)>", workbook):
        found = dict(re.findall(r'([\w:]+)="([^"]*)"', attributes))
        if unescape(found.get("name", "")) != sheet:
            continue
        rid = next((v for k, v in found.items() if k.endswith(":id")), None)
        for relation in re.findall(r"<(?:\w+:)?Relationship\b([^>]*)>", rels):
            fields = dict(re.findall(r'([\w:]+)="([^"]*)"', relation))
            if fields.get("Id") == rid and "Target" in fields:
                target = fields["Target"]
                return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return None


def _xlsx_cell_outside(book, path: str, name: str, sheet: str) -> tuple[int, int] | None:
    """(row, column), 1-based, of the first cell with content beyond the plan's bounds."""
    row = column = 0
    unpacked = 0
    rest = b""
    with book.open(path) as xml:
        while chunk := xml.read(1 << 20):
            unpacked += len(chunk)
            if unpacked > MAX_SHEET_XML:
                raise InputError(
                    f"{name}, ark «{sheet}» er over {MAX_SHEET_XML // 2**20} MiB utpakket; det er ingen fraværsplan."
                )
            text = rest + chunk
            cut = text.rfind(b"<")
            text, rest = (text[:cut], text[cut:]) if cut >= 0 else (text, b"")
            for tag, attributes in _SHEET_TAG.findall(text):
                ref = _REF.search(attributes)
                if tag == b"row":
                    row, column = (int(ref[2]) if ref and ref[2] else row + 1), 0
                    continue
                if ref and ref[1]:
                    column = _column_number(ref[1])
                    row = int(ref[2]) if ref[2] else row
                else:
                    column += 1
                if (row > MAX_SHEET_ROWS or column > MAX_SHEET_COLUMNS) and not attributes.endswith(b"/"):
                    return row, column  # an empty cell (formatting only) the reader leaves out
    return None


def _cell(value) -> str:
    """A cell as the text a CSV would have: a date as a date, a whole number without '.0'."""
    from datetime import datetime

    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_line_lengths(raw: bytes, name: str) -> None:
    """A bound on each line, before anything is decoded or split, so that one
    enormous line cannot take the machine's memory."""
    start = 0
    line = 1
    size = len(raw)
    while start < size:
        end = raw.find(b"\n", start)
        if end < 0:
            end = size
        if end - start > MAX_LINE:
            raise InputError(
                f"{name}, linje {line}: er lengre enn {MAX_LINE // 2**20} MiB. "
                "Er det riktig fil? En rad i en fraværsplan er noen hundre tegn."
            )
        start, line = end + 1, line + 1


def _column(header: str) -> str:
    name = " ".join(header.replace("\ufeff", "").split()).casefold()
    return ALIASES.get(name, name)


def _read_csv(raw: bytes, encoding: str, start: int, name: str, required=REQUIRED) -> Source:
    import csv

    # The delimiter of the header: a title line above it may have none (or a stray comma).
    first_lines = textfile.head(raw, encoding, start, HEADER_WITHIN + 1).split("\n")[: HEADER_WITHIN + 1]
    counts = [(line.count(d), d) for line in first_lines for d in DELIMITERS]
    delimiter = max(counts)[1] if max(counts)[0] > 0 else ","

    def reader():
        return csv.reader(textfile.stream(raw, encoding, start), delimiter=delimiter, strict=False)

    first_pass = reader()
    # The header is the first row with the required columns, within the first HEADER_WITHIN rows:
    # what stands above it (a title, "Sommerplan 2027 – Legesenteret") is skipped.
    above, header = [], None
    read = 0  # the records up to and with the header: each pass over the rows skips them
    try:
        for cells in first_pass:
            read += 1
            if not "".join(cells).strip():
                continue
            if _is_header(cells, required):
                header = cells
                break
            above.append(cells)
            if len(above) >= HEADER_WITHIN:
                break
    except csv.Error as e:
        raise _csv_error(name, first_pass.line_num, e) from None
    if header is None:
        if not above:
            raise InputError(f"{name} er tom: ingen rader å importere.")
        # No header: the row most like one (a title row above it is no header), and what it lacks.
        at = _likeliest_header(above)
        header, above = above[at], above[:at]
    _check_width(len(header), name, "kolonner")
    columns = [_column(h) for h in header]
    _check_columns(columns, [h.strip() for h in header], name, required)
    unused = [h.strip() for h, c in zip(header, columns, strict=True) if c not in REQUIRED + OPTIONAL and h.strip()]
    notes = _above_note(name, above)
    notes += [f"Merk: kolonnen «{h}» brukes ikke." for h in unused[:MAX_NOTES]]
    if len(unused) > MAX_NOTES:
        notes.append(f"Merk: … og {len(unused) - MAX_NOTES} kolonner til brukes ikke.")
    kind = {";": "CSV (semikolon)", ",": "CSV (komma)", "\t": "CSV (tabulator)"}[delimiter]

    def rows():
        again = reader()
        for _ in islice(again, read):
            pass  # read before without an error: the title rows and the header
        return _csv_rows(again, columns, name)

    return Source(name, Rows(rows), kind, notes)


def _likeliest_header(rows: list[list[str]]) -> int:
    """Of rows with no header among them, the one naming most of the columns (the first of those)."""
    known = set(REQUIRED + OPTIONAL)
    scores = [len({_column(c) for c in row} & known) for row in rows]
    return scores.index(max(scores))


def _is_header(cells: list[str], required) -> bool:
    columns = {_column(c) for c in cells}
    return all(c in columns for c in required)


def _above_note(name: str, rows: list[list[str]]) -> list[str]:
    if not rows:
        return []
    first = " ".join(" ".join(c.strip() for c in rows[0] if c.strip()).split())
    shown = first if len(first) <= 60 else first[:59] + "…"
    more = f" og {len(rows) - 1} til" if len(rows) > 1 else ""
    return [f"Merk: {name}: raden «{shown}»{more} over overskriftene er hoppet over."]


def _csv_rows(reader, columns: list[str], name: str):
    import csv

    wanted = [(i, c) for i, c in enumerate(columns) if c in REQUIRED + OPTIONAL]
    line = reader.line_num
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not "".join(cells).strip():
                continue  # spreadsheets leave empty rows (;;;;) at the end
            if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) : MAX_COLUMNS + 1]):
                yield Row(f"linje {start}", {"__extra__": (len(cells), len(columns))})
                continue
            yield Row(f"linje {start}", {c: cells[i] for i, c in wanted if i < len(cells)})
    except csv.Error as e:
        raise _csv_error(name, reader.line_num, e) from None


def _csv_error(name: str, line: int, error: Exception) -> InputError:
    reason = str(error)
    if "field larger than field limit" in reason:
        reason = "en celle er lengre enn 131 072 tegn"
    return InputError(f"{name}, linje {line}: kan ikke leses som CSV ({reason}).")


def _check_width(count: int, name: str, what: str) -> None:
    if count > MAX_COLUMNS:
        raise InputError(
            f"{name} har {count} {what}; høyst {MAX_COLUMNS} godtas. Påkrevd: {', '.join(REQUIRED)}; "
            f"valgfrie: {', '.join(OPTIONAL)}."
        )


def _check_columns(columns: list[str], shown: list[str], name: str, required=REQUIRED) -> None:
    from collections import Counter

    missing = [c for c in required if c not in columns]
    if missing:
        found = [s for s in shown if s]
        listed = ", ".join(found[:20]) + (f" … og {len(found) - 20} til" if len(found) > 20 else "")
        office = (
            " Gjelder planen én virksomhet, oppgi den med --virksomhet ORGNR|NAVN i stedet for kolonnen."
            if missing == ["virksomhet"]
            else ""
        )
        raise InputError(
            f"{name} mangler kolonnen{'e' if len(missing) > 1 else ''} {', '.join(missing)}. "
            f"Overskriftene som ble funnet: {listed or '(ingen)'}. Påkrevd: {', '.join(REQUIRED)}; "
            f"valgfrie: {', '.join(OPTIONAL)}.{office}"
        )
    counts = Counter(columns)
    doubled = sorted(c for c, n in counts.items() if n > 1 and c in REQUIRED + OPTIONAL)
    if doubled:
        raise InputError(f"{name} har kolonnen(e) {', '.join(doubled)} mer enn én gang.")


def _read_json(raw: bytes, encoding: str, start: int, name: str, required=REQUIRED) -> Source:
    """A JSON array is parsed whole (json has no other way) and held; its rows are made from it as
    they are checked. Anything else is tried as JSON Lines."""
    if _surely_lines(raw, encoding, start):
        _check_line_lengths(raw, name)
        return _read_json_lines(raw, encoding, start, name, required)
    text = str(memoryview(raw)[start:], encoding)
    try:
        document = json.loads(text)
    except RecursionError:
        raise _too_deep(name) from None
    except ValueError:
        del text  # JSON Lines are read a line at a time
        _check_line_lengths(raw, name)
        return _read_json_lines(raw, encoding, start, name, required)
    if isinstance(document, dict) and "\n" not in text.strip():
        document = [document]  # JSON Lines with one line
    del text
    if not isinstance(document, list):
        raise InputError(f"{name} er JSON, men ikke en liste av objekter (eller JSON Lines: ett objekt per linje).")
    for number, item in enumerate(document, start=1):
        if not isinstance(item, dict):
            raise InputError(
                f"{name}: element {number} i lista er ikke et objekt, men {json.dumps(item, ensure_ascii=False)[:40]}."
            )
    _check_json_columns(document, name, required)
    rows = Rows(lambda: (Row(f"objekt {number}", _json_values(item)) for number, item in enumerate(document, start=1)))
    return Source(name, rows, "JSON")


_NOT_BLANK = re.compile(rb"[^ \t\n\r]")  # what JSON does not take as blank


def _surely_lines(raw: bytes, encoding: str, start: int) -> bool:
    """Whether the text is no one JSON value, found without decoding it whole: its first line is a
    whole value and something follows it, so json.loads(text) would fail ('Extra data')."""
    first = _NOT_BLANK.search(raw, start)
    if first is None:
        return False
    end = raw.find(b"\n", first.start())
    if end < 0 or not _NOT_BLANK.search(raw, end):
        return False
    try:
        json.loads(str(memoryview(raw)[first.start() : end], encoding))
    except (ValueError, RecursionError):
        return False
    return True


def _read_json_lines(raw: bytes, encoding: str, start: int, name: str, required=REQUIRED) -> Source:
    """Every line is parsed first, for its errors and the columns; the rows are parsed again as
    they are checked, and not held."""
    _check_json_columns((item for _, item in _json_lines(raw, encoding, start, name)), name, required)
    rows = Rows(
        lambda: (Row(f"linje {number}", _json_values(item)) for number, item in _json_lines(raw, encoding, start, name))
    )
    return Source(name, rows, "JSON Lines")


def _json_lines(raw: bytes, encoding: str, start: int, name: str) -> Iterator[tuple[int, dict]]:
    """(the line's number, its object) of each line that is not blank. The lines are those of
    str.splitlines (also \\v, \\f, \\x85 and others end one), found in each line the stream gives."""
    number = 0
    for piece in textfile.stream(raw, encoding, start):
        for line in piece.splitlines():
            number += 1
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except RecursionError:
                raise _too_deep(name, number) from None
            except ValueError as e:
                raise InputError(f"{name}, linje {number}: ugyldig JSON ({e.args[0].split(':')[0]}).") from None
            if not isinstance(item, dict):
                raise InputError(f"{name}, linje {number}: ikke et JSON-objekt.")
            yield number, item


def _too_deep(name: str, line: int | None = None) -> InputError:
    where = f"{name}, linje {line}" if line else name
    return InputError(f"{where}: JSON-en er nestet for dypt. Hver rad skal være ett objekt med tekst og lister.")


def _json_values(item: dict) -> dict:
    return {_column(str(k)): v for k, v in item.items()}


def _check_json_columns(items: Iterable[dict], name: str, required=REQUIRED) -> None:
    present = {_column(str(k)) for item in items for k in item}
    _check_width(len(present), name, "ulike nøkler")
    _check_columns(list(present), sorted(present), name, required)


# -- checking ------------------------------------------------------------------
