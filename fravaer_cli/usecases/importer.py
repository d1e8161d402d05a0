"""Bulk registrations from CSV or JSON: reading the file, and checking every row.

Nothing here touches the store: the caller passes a function that loads an
office, and writes the checked plan afterwards.
"""

import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from fravaer_cli.domain import catalogue, dates
from fravaer_cli.domain import orgnr as orgnr_check
from fravaer_cli.domain.errors import ConflictError, FravaerError, InputError
from fravaer_cli.domain.model import MAX_COMMENT, MAX_NAME, Fravaer, check_navn, checked_draft, clean_hpr, clean_text
from fravaer_cli.domain.virksomhet import Virksomhet
from fravaer_cli.output.formats import FORMULA_START

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


@dataclass
class Row:
    where: str  # "linje 5" (CSV, JSON Lines) or "objekt 3" (JSON array)
    values: dict


@dataclass
class Source:
    name: str
    rows: Iterable[Row]  # CSV rows are read as they are checked, not held all at once
    kind: str  # "CSV (semikolon)", "JSON", "JSON Lines"
    notes: list[str] = field(default_factory=list)


# -- reading -------------------------------------------------------------------


# A UTF-8 multi-byte sequence (lead byte and its continuation bytes).
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def decode(raw: bytes, name: str) -> tuple[str, list[str]]:
    """UTF-8 (a byte-order mark ignored), else Windows-1252 as Excel writes it, else refused."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as e:
        bad = e
    if _UTF8_SEQUENCE.search(raw):
        # Mostly UTF-8 with a stray byte: read as Windows-1252, «Åse» would become «Ã…se», a new GP.
        line = raw.count(b"\n", 0, bad.start) + 1
        raise InputError(
            f"{name}, linje {line}: byte 0x{raw[bad.start]:02X} (byte {bad.start} i filen) er ikke gyldig UTF-8, "
            "men resten av filen er UTF-8. Rett tegnet på den linjen, eller lagre filen som «CSV UTF-8»."
        )
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as e:
        raise InputError(
            f"{name} er verken UTF-8 eller Windows-1252 (byte {e.start}). Lagre filen som «CSV UTF-8» og prøv igjen."
        ) from None
    return text, [f"Merk: {name} er ikke UTF-8; den er lest som Windows-1252."]


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
        source.rows = _with_office(source.rows, virksomhet)
    return source


def _with_office(rows, orgnr: str):
    for row in rows:
        if not str(row.values.get("virksomhet") or "").strip():
            row.values["virksomhet"] = orgnr
        yield row


def _read_text(raw: bytes, name: str, required) -> Source:
    text, notes = decode(raw, name)
    if not text.strip():
        raise InputError(f"{name} er tom: ingen rader å importere.")
    lower = name.lower()
    if lower.endswith((".json", ".jsonl", ".ndjson")) or (
        not lower.endswith((".csv", ".tsv", ".txt")) and text.lstrip()[:1] in ("[", "{")
    ):
        source = _read_json(text, raw, name, required)
    else:
        _check_line_lengths(raw, name)
        source = _read_csv(text, name, required)
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
        cells = book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except InputError:
        raise
    except Exception as e:  # a damaged file: calamine's errors have no common base
        raise InputError(f"{name} ser ut som et {kind}, men kan ikke leses ({type(e).__name__}).") from None
    numbered = [(number, [_cell(v) for v in row]) for number, row in enumerate(cells, start=1)]
    numbered = [(number, row) for number, row in numbered if any(c.strip() for c in row)]
    if not numbered:
        raise InputError(f"{name}: arket «{chosen}» er tomt; ingen rader å importere.")
    at = next((n for n, (_, row) in enumerate(numbered[:HEADER_WITHIN]) if _is_header(row, required)), 0)
    _, header = numbered[at]
    _check_width(len(header), name, "kolonner")
    columns = [_column(h) for h in header]
    _check_columns(columns, [h.strip() for h in header], name, required)
    wanted = [(i, c) for i, c in enumerate(columns) if c in REQUIRED + OPTIONAL]
    rows = [
        Row(f"ark «{chosen}», rad {number}", {c: row[i] for i, c in wanted if i < len(row)})
        for number, row in numbered[at + 1 :]
    ]
    return Source(name, rows, kind, _above_note(f"{name}, ark «{chosen}»", [row for _, row in numbered[:at]]))


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


def _read_csv(text: str, name: str, required=REQUIRED) -> Source:
    import csv

    # The delimiter of the header: a title line above it may have none (or a stray comma).
    first_lines = text.lstrip("\r\n").split("\n", HEADER_WITHIN + 1)[: HEADER_WITHIN + 1]
    counts = [(line.count(d), d) for line in first_lines for d in DELIMITERS]
    delimiter = max(counts)[1] if max(counts)[0] > 0 else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    # The header is the first row with the required columns, within the first HEADER_WITHIN rows:
    # what stands above it (a title, "Sommerplan 2027 – Legesenteret") is skipped.
    above, header = [], None
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if _is_header(cells, required):
                header = cells
                break
            above.append(cells)
            if len(above) >= HEADER_WITHIN:
                break
    except csv.Error as e:
        raise _csv_error(name, reader.line_num, e) from None
    if header is None:
        if not above:
            raise InputError(f"{name} er tom: ingen rader å importere.")
        header, above = above[0], []  # no header: _check_columns says what the first row lacks
    _check_width(len(header), name, "kolonner")
    columns = [_column(h) for h in header]
    _check_columns(columns, [h.strip() for h in header], name, required)
    unused = [h.strip() for h, c in zip(header, columns, strict=True) if c not in REQUIRED + OPTIONAL and h.strip()]
    notes = _above_note(name, above)
    notes += [f"Merk: kolonnen «{h}» brukes ikke." for h in unused[:MAX_NOTES]]
    if len(unused) > MAX_NOTES:
        notes.append(f"Merk: … og {len(unused) - MAX_NOTES} kolonner til brukes ikke.")
    kind = {";": "CSV (semikolon)", ",": "CSV (komma)", "\t": "CSV (tabulator)"}[delimiter]
    return Source(name, _csv_rows(reader, columns, name), kind, notes)


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
            if not any(cell.strip() for cell in cells):
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
        raise InputError(
            f"{name} mangler kolonnen(e) {', '.join(missing)}. Påkrevd: {', '.join(REQUIRED)}; "
            f"valgfrie: {', '.join(OPTIONAL)}. Fant: {listed or '(ingen)'}."
        )
    counts = Counter(columns)
    doubled = sorted(c for c, n in counts.items() if n > 1 and c in REQUIRED + OPTIONAL)
    if doubled:
        raise InputError(f"{name} har kolonnen(e) {', '.join(doubled)} mer enn én gang.")


def _read_json(text: str, raw: bytes, name: str, required=REQUIRED) -> Source:
    try:
        document = json.loads(text)
    except RecursionError:
        raise _too_deep(name) from None
    except ValueError:
        _check_line_lengths(raw, name)
        return _read_json_lines(text, name, required)
    if isinstance(document, dict) and "\n" not in text.strip():
        document = [document]  # JSON Lines with one line
    if not isinstance(document, list):
        raise InputError(f"{name} er JSON, men ikke en liste av objekter (eller JSON Lines: ett objekt per linje).")
    rows = []
    for number, item in enumerate(document, start=1):
        if not isinstance(item, dict):
            raise InputError(
                f"{name}: element {number} i lista er ikke et objekt, men {json.dumps(item, ensure_ascii=False)[:40]}."
            )
        rows.append(Row(f"objekt {number}", _json_values(item)))
    _check_json_columns(rows, name, required)
    return Source(name, rows, "JSON")


def _read_json_lines(text: str, name: str, required=REQUIRED) -> Source:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
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
        rows.append(Row(f"linje {number}", _json_values(item)))
    _check_json_columns(rows, name, required)
    return Source(name, rows, "JSON Lines")


def _too_deep(name: str, line: int | None = None) -> InputError:
    where = f"{name}, linje {line}" if line else name
    return InputError(f"{where}: JSON-en er nestet for dypt. Hver rad skal være ett objekt med tekst og lister.")


def _json_values(item: dict) -> dict:
    return {_column(str(k)): v for k, v in item.items()}


def _check_json_columns(rows: list[Row], name: str, required=REQUIRED) -> None:
    present = {c for row in rows for c in row.values}
    _check_width(len(present), name, "ulike nøkler")
    _check_columns(list(present), sorted(present), name, required)


# -- checking ------------------------------------------------------------------


@dataclass
class OfficePlan:
    office: Virksomhet
    stamp: object  # the file's signature when it was read, to skip re-reading it under the lock
    added: list[tuple[str, Fravaer]] = field(default_factory=list)
    skipped: list[tuple[str, Fravaer]] = field(default_factory=list)
    near: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (where, new GP, stored names like it)
    named: bool = False  # a new office, named by the file's navn column


@dataclass
class Plan:
    offices: dict[str, OfficePlan]
    errors: list[str]
    row_count: int
    bad_rows: int = 0
    notes: list[str] = field(default_factory=list)  # rows skipped, said as notes

    @property
    def added(self) -> int:
        return sum(len(p.added) for p in self.offices.values())

    @property
    def skipped(self) -> int:
        return sum(len(p.skipped) for p in self.offices.values())


# Several tjenester in one cell. No display name has a comma, so a comma is
# taken too, also inside a quoted cell of a comma-separated file.
_SEPARATOR = re.compile(r"[|;,]")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError(f"skal være tekst, ikke {json.dumps(value, ensure_ascii=False)[:40]}")
    text = str(value)
    # fravaer's own CSV starts a cell a spreadsheet would run with ' (output.csv_cell): undone, so export -> import
    # gives back the same text.
    if text[:1] == "'" and text[1:2] and text[1] in FORMULA_START:
        return text[1:]
    return text


def _keys(value, allow_all: bool) -> tuple[list[str], bool]:
    if isinstance(value, list):
        parts = [_text(v) for v in value]
    else:
        parts = _SEPARATOR.split(_text(value))
    parts = [catalogue.ALL if catalogue.means_all(p) else p.strip() for p in parts if p.strip()]
    said_all = allow_all and any(p.casefold() == catalogue.ALL for p in parts)
    return catalogue.resolve_many(parts, None, allow_all), said_all


def check(
    source: Source,
    load: Callable[[str], tuple[Virksomhet, object]],
    today: date,
    allow_past: bool,
    av: str,
    now: str,
    added: Callable[[str, Fravaer], None] | None = None,
) -> Plan:
    """Check every row against the others and the store; nothing is written here.

    added(orgnr, fravær) is told of each new fravær as soon as its row is checked (a store
    that writes while the check goes on): a row checked later cannot undo it, only fail
    the whole import."""
    checker = _RowChecker(load, today, allow_past, av, now, added)
    count = bad_rows = 0
    for row in source.rows:
        count += 1
        problems = checker.check(row)
        if problems:
            bad_rows += 1
            checker.errors.extend(f"{row.where}{problem}" for problem in problems)
    if count == 0:
        raise InputError(f"{source.name} har ingen rader å importere, bare overskrifter.")
    return Plan(checker.offices, checker.errors, count, bad_rows, checker.notes)


def office_numbers(rows: Iterable[Row]) -> list[str]:
    """The valid organisasjonsnumre the rows name, each once and in order: the offices an
    import may write, to be locked before its rows are checked. Bad ones are the check's to report."""
    seen, found = set(), set()
    for row in rows:
        value = row.values.get("virksomhet")
        try:
            if value in seen:
                continue
            seen.add(value)
        except TypeError:  # unhashable (a JSON object in a cell): never a valid number
            continue
        try:
            found.add(_orgnr(value))
        except FravaerError:
            pass
    return sorted(found)


class _RowChecker:
    def __init__(self, load, today: date, allow_past: bool, av: str, now: str, added=None):
        self.load, self.today, self.allow_past, self.av, self.now = load, today, allow_past, av, now
        self.added = added
        self.offices: dict[str, OfficePlan] = {}
        self.errors: list[str] = []
        self.notes: list[str] = []  # rows skipped as a spreadsheet's sum row
        self.new_lines: dict[tuple[str, str], str] = {}  # (orgnr, new id) -> where in the file
        self.fields_of = _FieldParser(today)

    def check(self, row: Row) -> list[str]:
        """The row's problems (each to follow its place in the file); a good row goes into its office's plan."""
        if "__extra__" in row.values:
            cells, columns = row.values["__extra__"]
            return [f": har {cells} celler, flere enn det er kolonner ({columns})."]
        if _total_row(row.values):
            name = _text(row.values.get("virksomhet")).strip()
            self.notes.append(
                f"{row.where}: hoppet over: «{name}» er ikke et organisasjonsnummer og raden har ingen datoer."
            )
            return []
        fields, problems = self.fields_of.parse(row.values)
        if problems:
            return [f", kolonne «{column}»: {message}" for column, message in problems]
        try:
            draft = checked_draft(
                fields["behandler"],
                fields["fra"],
                fields["til"],
                fields["tjenester"][0],
                fields["vikar"][0],
                fields["kommentar"],
                fields["hpr"],
                all_tjenester=fields["tjenester"][1],
                all_vikar=fields["vikar"][1],
            )
        except InputError as e:
            return [f": {e}"]
        orgnr = fields["virksomhet"]
        if orgnr not in self.offices:
            self.offices[orgnr] = OfficePlan(*self.load(orgnr))
        plan = self.offices[orgnr]
        office = plan.office
        if fields["navn"] and plan.stamp is None and not office.navn:
            office.navn, plan.named = fields["navn"], True  # 300 new offices, named without 300 info calls
        near = office.near_names(draft.behandler)
        try:
            fravaer, created = office.add(draft, self.today, self.allow_past, self.av, self.now)
        except ConflictError as e:
            existing = getattr(e, "existing", None)  # none when the office has run out of ids
            other = self.new_lines.get((orgnr, existing.id)) if existing is not None else None
            if other and e.vikar:
                return [
                    f": stenger en tjeneste som {other} i filen har vikar for, eller omvendt (samme behandler og dag)."
                ]
            if other:
                return [f": overlapper med {other} i filen (samme behandler og tjeneste, virksomhet {orgnr})."]
            return [f": {e}"]
        except InputError as e:
            return [f": {e}"]
        if created:
            self.new_lines[(orgnr, fravaer.id)] = row.where
            plan.added.append((row.where, fravaer))
            if self.added is not None:
                self.added(orgnr, fravaer)
            if near:
                plan.near.append((row.where, fravaer.behandler, near))
        else:
            plan.skipped.append((row.where, fravaer))
        return []


class _FieldParser:
    """Parses a row's cells. A big file repeats its values (orgnrs, names, dates,
    tjenester), so each distinct value of a column is parsed once."""

    def __init__(self, today: date):
        self.parsers = {
            "virksomhet": _orgnr,
            "behandler": lambda v: clean_text(_text(v), "Behandler", MAX_NAME, required=True),
            "fra": lambda v: _date(v, today, "fra og med-dato"),
            "til": lambda v: _date(v, today, "til og med-dato"),
            "tjenester": lambda v: _keys(v, allow_all=True),
            "vikar": _vikar,
            "kommentar": lambda v: clean_text(_text(v), "Kommentar", MAX_COMMENT),
            "hpr": lambda v: clean_hpr(_text(v)),
            "navn": lambda v: check_navn(_text(v)) if _text(v).strip() else "",
        }
        self.cache: dict[str, dict] = {column: {} for column in self.parsers}

    def parse(self, values: dict) -> tuple[dict, list[tuple[str, str]]]:
        fields, problems = {}, []
        for column, parse in self.parsers.items():
            raw = values.get(column)
            # The type is part of the key: in JSON, true == 1 but only 1 is a valid value.
            key = (type(raw), tuple(raw) if isinstance(raw, list) else raw)
            cache = self.cache[column]
            try:
                fields[column] = cache[key]
                continue
            except KeyError:
                pass
            except TypeError:  # unhashable (a JSON object in a cell): parse it to get its error
                key = None
            try:
                fields[column] = parse(raw)
            except FravaerError as e:
                problems.append((column, str(e)))
                continue
            if key is not None:
                cache[key] = fields[column]
        return fields, problems


def _total_row(values: dict) -> bool:
    """A spreadsheet's sum row ("Totalt", =COUNTA(...)): text that is no orgnr where the office
    goes, and no dates."""
    try:
        office = _text(values.get("virksomhet")).strip()
        dated = _text(values.get("fra")).strip() or _text(values.get("til")).strip()
    except InputError:
        return False
    return bool(office) and not dated and not any(ch.isdigit() for ch in office)


def _date(value, today: date, what: str) -> date:
    if not _text(value).strip():
        raise InputError(f"mangler ({what}, som 12.06.2024)")
    return dates.parse_date(_text(value), today, what)


def _vikar(value) -> tuple[list[str], bool]:
    try:
        return _keys(value, allow_all=True)
    except InputError as e:
        # "Dr. Lund" in the vikar column: the column says which services the vikar takes.
        raise InputError(
            f"{e} Kolonnen vikar tar tjenestene som vikaren tar (som timebestilling, eller alle); "
            "vikarens navn kan stå i kommentar."
        ) from None


def _orgnr(value) -> str:
    text = _text(value).strip()
    number = orgnr_check.normalise(text)
    if not orgnr_check.is_valid(number):
        raise InputError(f"ugyldig organisasjonsnummer «{text}» (9 sifre med gyldig kontrollsiffer)")
    return number
