"""Fravær, offices and log entries to and from the database's rows: what a SELECT gives back
becomes the domain's objects, and many new rows go to the server in one COPY."""

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from functools import partial
from typing import Any

from fravaer_cli.domain.model import Draft, Fravaer, GpDirectory, RosterEntry
from fravaer_cli.domain.names import behandler_key
from fravaer_cli.domain.virksomhet import Virksomhet
from fravaer_cli.store.base import Change, Scope, log_value

# What fravaer_api.kontorer() gives a row: the orgnr, the office's own columns (navn, info, neste_id,
# behandlere, tidligere_navn: office_of_row reads them), its version (at VERSION), then a fravær's
# fields in Fravaer.FIELDS' order from FIRST_FIELD on (None when the office has none).
OFFICE_COLUMNS = 5
VERSION = 6
FIRST_FIELD = 7


def _texts(f: Fravaer, arrays: dict[tuple[str, ...], str]) -> list[str]:
    """A fravær's fields as COPY's texts: the keys as text[] literals (arrays: those made before,
    by the keys: an import's 100,000 fravær have a few kinds of services between them)."""
    values = f.text_values()
    for at, name in _KEYS:
        keys = getattr(f, name)
        text = arrays.get(keys)
        if text is None:
            text = arrays[keys] = _array(keys)
        values[at] = text
    return values


_KEYS = tuple(zip(Fravaer.KEYS_AT, Fravaer.KEYS, strict=True))


def draft_of(f: Fravaer) -> dict[str, Any]:
    """What a request of fravaer_api.endre() gives of a fravær: the fields a user gives (Draft's).
    Its id, who registered it when, and its keys are the server's (fravaer_intern.ny_fravaer)."""
    values = f.to_dict()
    return {name: values[name] for name in Draft.FIELDS}


def request_rows(records: list[tuple[str, Fravaer]]) -> "_Rows":
    """(orgnr, fravær) pairs as the rows fravaer_api.skriv_rader() reads: orgnr, the fields a user
    gives (Draft's), and the row's place. The server gives each its id, who and when, and its keys."""
    arrays: dict[tuple[str, ...], str] = {}  # each kind of services' literal made once: a batch has many of each
    rows = []
    for n, (orgnr, f) in enumerate(records):
        texts = _texts(f, arrays)
        rows.append(("fravaer", orgnr, *[texts[at] for at in _DRAFT_AT], str(n)))
    return _Rows(rows)


def copy_rows(records: list[tuple[str, Fravaer]]) -> "_Rows":
    """(orgnr, fravær) pairs as they are stored, for fravaer_api.last_inn() (database load): orgnr,
    then every field. The search key is the server's."""
    arrays: dict[tuple[str, ...], str] = {}
    return _Rows([("fravaer", orgnr, *_texts(f, arrays)) for orgnr, f in records])


# Where Draft's fields stand among Fravaer's.
_DRAFT_AT = tuple(Fravaer.FIELDS.index(name) for name in Draft.FIELDS)


def log_rows(entries: list[tuple[str, dict[str, Any]]]) -> "_Rows":
    """(orgnr, entry) pairs, each entry as the file store's log line has it, for last_inn()."""
    rows: list[tuple[str, ...]] = []
    for n, (orgnr, e) in enumerate(entries):
        text = json.dumps(e, default=log_value)
        rows.append(
            ("logg", orgnr, str(e.get("tid", "")), str(e.get("av", "")), str(e.get("handling", "")), text, str(n))
        )
    return _Rows(rows)


def office_rows(offices: list[Virksomhet]) -> "_Rows":
    return _Rows(
        [
            (
                "kontor",
                o.orgnr,
                o.navn,
                o.info,
                str(o.next_id),
                roster_json(o),
                json.dumps(o.tidligere, ensure_ascii=False),
            )
            for o in offices
        ]
    )


class _Rows:
    """Rows of texts for one of the store's functions to read, each starting with the kind of row
    (tabell): sent by COPY into fravaer_inn.rader (columns tabell, c0, c1, ...), which the server
    reads several times faster than it parses array literals, and which the csv module writes in C.
    The table is the store's own (migration 9): the functions read no object the caller made."""

    def __init__(self, rows: list[tuple[str, ...]]) -> None:
        import csv
        import io

        self.count = len(rows)
        self.width = len(rows[0]) if rows else 0
        self.text = io.StringIO()
        # Every field quoted: COPY reads an unquoted empty field as NULL, a quoted one as ''.
        csv.writer(self.text, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
        self.size = self.text.tell()
        self.text.seek(0)

    def send(self, cur: Any) -> None:
        if self.count:
            columns = ", ".join(["tabell", *(f"c{n}" for n in range(self.width - 1))])
            # In one read: the driver takes Python's lock for each read, and while another thread
            # runs Python (an import's check) each wait for it can last a switch interval (5 ms).
            cur.copy_expert(
                f"COPY fravaer_inn.rader ({columns}) FROM STDIN WITH (FORMAT csv)", self.text, size=max(8192, self.size)
            )


def _array(keys: Iterable[str]) -> str:
    """A list of texts as one text[] literal: a row's tjenester or vikar, as one column value."""
    return "{" + ",".join('"' + k.replace("\\", "\\\\").replace('"', '\\"') + '"' for k in keys) + "}"


def roster_records(office: Virksomhet) -> list[dict[str, str]]:
    """The office's roster as the database's behandlere column holds it."""
    return [dict(zip(e.FIELDS, e.values(), strict=True)) for e in office.roster]


def roster_json(office: Virksomhet) -> str:
    return json.dumps(roster_records(office), ensure_ascii=False)


def office_of_row(orgnr: str, row: Sequence[Any], fravaer: list[Fravaer] | None = None) -> Virksomhet:
    """The office from a row that starts with navn, info, neste_id, behandlere, tidligere_navn (its
    fravær are read apart)."""
    roster = [RosterEntry.from_record(e) for e in row[3] or []]
    former = {str(k): str(v) for k, v in (row[4] or {}).items()}
    return Virksomhet(orgnr, row[0], row[1], row[2], fravaer or [], roster, former)


def like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def fravaer_of_row(row: Sequence[Any]) -> Fravaer:
    """From a fravær's fields in Fravaer.FIELDS' order."""
    return Fravaer.from_values(row)


Logged = tuple[str, str, str | None, str | None]  # (orgnr, handling, the fravær's id and GP, or None)


def requests_of(pending: list[tuple[str, Change]], sent: dict[str, int]) -> tuple[list[dict[str, Any]], list[Logged]]:
    """Each change the domain recorded, as the request that makes it (not its result), and the log
    entries the server is expected to write for it."""
    requests: list[dict[str, Any]] = []
    expected: list[Logged] = []
    for orgnr, change in pending:
        renaming = False
        for entry in change.entries[sent.get(orgnr, 0) :]:
            handling, fravaer = entry["handling"], entry.get("fravaer")
            expected.append(
                (orgnr, handling, *((fravaer.id, fravaer.behandler) if isinstance(fravaer, Fravaer) else (None, None)))
            )
            request: dict[str, Any] = {"orgnr": orgnr, "handling": handling}
            if handling == "edit" and renaming:
                continue  # the rename's own: the server renames every fravær of the GP itself
            if handling in ("add", "import", "edit", "delete"):
                if not isinstance(fravaer, Fravaer):
                    raise ValueError(f"a log entry of {handling!r} without its fravær")
                if handling != "delete":
                    request["fravaer"] = draft_of(fravaer)
                if handling != "add" and handling != "import":
                    request["id"] = fravaer.id
            elif handling == "restore":  # the fravær as the log had it before: its id
                request["id"] = entry["forrige"].id
            elif handling == "info":  # the office's name and text as the user set them
                request.update(navn=change.office.navn, info=change.office.info)
            elif handling == "roster_add":
                request.update(behandler=entry["behandler"]["behandler"], hpr=entry["behandler"]["hpr"])
            elif handling == "roster_remove":
                request["behandler"] = entry["behandler"]["behandler"]
            elif handling == "rename":
                renaming = True
                request.update(fra=entry["behandler"]["fra"], til=entry["behandler"]["til"])
            else:
                raise ValueError(f"no request for a log entry of {handling!r}")
            requests.append(request)
    return requests, expected


def described(entries: list[Logged]) -> str:
    """A few log entries for a message: «add 3 i 974760673 (Per Test), …»."""
    shown = [
        f"{handling} {fravaer_id or ''} i {orgnr}".replace("  ", " ") + (f" ({gp})" if gp else "")
        for orgnr, handling, fravaer_id, gp in entries[:5]
    ]
    return ", ".join(shown) + (" …" if len(entries) > 5 else "") if shown else "ingenting"


LEGER = "SELECT orgnr, behandler, hpr, fra, til FROM fravaer_api.leger(%s, %s, %s)"


def scoped(
    rows: list[Any], orgnrs: list[str], scope: Scope, without_named: Callable[[str], GpDirectory]
) -> tuple[dict[str, GpDirectory], tuple[date, date] | None]:
    """What a change reads of offices in part (Scope): each office's directory of GPs, made by the
    server from the first fravær of each name and HPR number (fravaer_api.leger), and the days whose
    fravær to read: the scope's, widened to those of the fravær it names. ({}, None): read them whole,
    as when there are no days to read by (an edit of an id not stored, with no days given).
    rows: fravaer_api.leger()'s (LEGER). without_named(orgnr): the office's directory without the
    fravær the scope names, asked of the server when an edit needs it (GpDirectory.without_named)."""
    directories = directories_of(rows)
    days = scope.days
    for _, _, _, fra, til in rows:
        if fra is not None:  # a fravær the scope names: its days too
            days = (min(days[0], fra), max(days[1], til)) if days else (fra, til)
    if days is None:
        return {}, None
    for orgnr in orgnrs:
        directory = directories.setdefault(orgnr, GpDirectory({}, {}))
        if scope.ids:
            directory.without_named = partial(without_named, orgnr)
    return directories, days


def directories_of(rows: list[Any]) -> dict[str, GpDirectory]:
    """The directories in rows of fravaer_api.leger() (LEGER), by orgnr."""
    directories: dict[str, GpDirectory] = {}
    for orgnr, behandler, hpr, fra, _ in rows:
        if fra is not None:
            continue  # the days of a fravær named
        directory = directories.setdefault(orgnr, GpDirectory({}, {}))
        if hpr is None:  # each spelling's first fravær, first stored first: a GP's first spelling met is its own
            directory.names.setdefault(behandler_key(behandler), behandler)
        else:
            directory.hprs[hpr] = behandler_key(behandler)
    return directories
