"""Checking an import's rows against each office, as add would, before anything is written: every
error of every row (with its line), and the plan of what each office gets."""

import json
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from fravaer_cli.domain import catalogue, dates
from fravaer_cli.domain import orgnr as orgnr_check
from fravaer_cli.domain.errors import ConflictError, FravaerError, InputError
from fravaer_cli.domain.model import MAX_COMMENT, Fravaer, check_navn, checked_draft, clean_hpr, clean_name, clean_text
from fravaer_cli.domain.virksomhet import Virksomhet
from fravaer_cli.output.formats import FORMULA_START
from fravaer_cli.usecases.importer import Row, Source


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


def _keys(value, allow_all: bool) -> tuple[tuple[str, ...], bool]:
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


def office_numbers(rows: Iterable[Row], today: date) -> tuple[list[str], tuple[date, date] | None]:
    """The valid organisasjonsnumre the rows name, each once and in order: the offices an
    import may write, to be locked before its rows are checked; and the days from the earliest
    date of the rows to the latest (None: no date parses), those whose fravær a row can meet.
    Bad values are the check's to report."""
    seen, found, days = set(), set(), set()
    for row in rows:
        values = row.values
        for cell in (values.get("fra"), values.get("til")):
            if type(cell) is str or type(cell) is int:  # (any other value is an error of the row: _text)
                days.add(cell)
        value = values.get("virksomhet")
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
    parsed = []
    for cell in days:  # each distinct text once, as _FieldParser parses it
        try:
            parsed.append(_date(cell, today, "dato"))
        except FravaerError:
            pass
    return sorted(found), ((min(parsed), max(parsed)) if parsed else None)


class _RowChecker:
    def __init__(self, load, today: date, allow_past: bool, av: str, now: str, added=None):
        self.load, self.today, self.allow_past, self.av, self.now = load, today, allow_past, av, now
        self.added = added
        self.offices: dict[str, OfficePlan] = {}
        self.errors: list[str] = []
        self.notes: list[str] = []  # rows skipped as a spreadsheet's sum row
        self.fields_of = _FieldParser(today)

    def check(self, row: Row) -> list[str]:
        """The row's problems (each to follow its place in the file); a good row goes into its office's plan."""
        if "__extra__" in row.values:
            cells, columns = row.values["__extra__"]
            return [f": har {cells} celler, flere enn det er kolonner ({columns})."]
        if "__total__" in row.values:  # a one-office sheet's sum row (importer._with_office)
            self.notes.append(
                f"{row.where}: hoppet over: «{row.values['__total__']}» ser ut som en sumrad (ingen datoer)."
            )
            return []
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
            other = _where_made(plan, existing) if existing is not None else None
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
            plan.added.append((row.where, fravaer))
            if self.added is not None:
                self.added(orgnr, fravaer)
            if near:
                plan.near.append((row.where, fravaer.behandler, near))
        else:
            plan.skipped.append((row.where, fravaer))
        return []


def _where_made(plan: OfficePlan, fravaer: Fravaer) -> str | None:
    """Where in the file a new fravær was made (None: a stored one). The new ones are in plan.added
    in the order their ids were given, which rise: found by bisection, rather than by a map of
    every row's place that a big import would hold to the end."""
    if not fravaer.id.isdecimal():
        return None
    at = bisect_left(plan.added, int(fravaer.id), key=lambda made: int(made[1].id))
    return plan.added[at][0] if at < len(plan.added) and plan.added[at][1] is fravaer else None


class _FieldParser:
    """Parses a row's cells. A big file repeats its values (orgnrs, names, dates,
    tjenester), so each distinct value of a column is parsed once."""

    def __init__(self, today: date):
        self.parsers = {
            "virksomhet": _orgnr,
            "behandler": lambda v: clean_name(_text(v)),
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
            # A text (nearly every cell) is its own key. Otherwise the type is part of the key:
            # in JSON, true == 1 but only 1 is a valid value.
            key: object = raw if type(raw) is str else (type(raw), tuple(raw) if isinstance(raw, list) else raw)
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
    office = values.get("virksomhet")
    if type(office) is str and office[:1].isdigit():  # an orgnr, as nearly every row has
        return False
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


def _vikar(value) -> tuple[tuple[str, ...], bool]:
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
