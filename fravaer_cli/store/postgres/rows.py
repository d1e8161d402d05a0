"""Fravær, offices and log entries to and from the database's rows: what a SELECT gives back
becomes the domain's objects, and many new rows go to the server in one COPY."""

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from fravaer_cli.domain.model import Fravaer, RosterEntry
from fravaer_cli.domain.virksomhet import Virksomhet
from fravaer_cli.store.base import log_value

FRAVAER_COLUMNS = ", ".join(Fravaer.FIELDS)
# An office's own columns, as office_of_row reads them.
OFFICE_COLUMNS = "navn, info, neste_id, behandlere"

T = TypeVar("T")


def insert_fravaer(cur: Any, records: list[tuple[str, Fravaer]], meanwhile: Callable[[], T] | None = None) -> T | None:
    """(orgnr, fravær) pairs. Returns what meanwhile gives, called while the server works."""
    return fravaer_rows(records).send(cur, meanwhile)


# The columns fravaer_rows gives (c0, c1, ...): the office and the two keys the server's rules
# compare, then the fravær's own fields.
_FRAVAER = f"orgnr, behandler_key, behandler_sok, {FRAVAER_COLUMNS}"
_FIRST = 3  # where the fravær's fields start among them
_CAST = {**dict.fromkeys(Fravaer.DATES, "::date"), **dict.fromkeys(Fravaer.KEYS, "::text[]")}
_FRAVAER_SELECT = ", ".join(
    ["c0", "c1", "c2", *(f"c{_FIRST + i}{_CAST.get(name, '')}" for i, name in enumerate(Fravaer.FIELDS))]
)


def _json_value(i: int, name: str) -> str:
    column = f"c{_FIRST + i}"
    if name in Fravaer.NULL_WHEN_EMPTY:
        return f"NULLIF({column}, '')"
    return column + ("::text[]" if name in Fravaer.KEYS else "")  # a date's text is already ISO


# Fravaer.to_dict() of a row of them, as the server writes it into a log entry.
_JSON_PAIRS = ", ".join(f"'{name}', {_json_value(i, name)}" for i, name in enumerate(Fravaer.FIELDS))
_FRAVAER_JSON = f"json_build_object({_JSON_PAIRS})"
_ORDER_COLUMN = f"c{_FIRST + len(Fravaer.FIELDS)}"  # the row's place in what was sent, for the log


def _texts(f: Fravaer) -> list[str]:
    """A fravær's fields as COPY's texts: the keys as text[] literals."""
    values = f.text_values()
    for at in Fravaer.KEYS_AT:
        values[at] = _array(values[at])
    return values


def fravaer_rows(records: list[tuple[str, Fravaer]], logged: tuple[dict[str, Any], str] | None = None) -> "_Rows":
    """logged: (stamp, handling): the server also logs each fravær, as {**stamp, handling, fravaer}."""
    from fravaer_cli.domain.names import search_key

    rows = [(orgnr, f.key, search_key(f.behandler), *_texts(f)) for orgnr, f in records]
    after = None
    if logged:
        stamp, handling = logged
        rows = [row + (str(n),) for n, row in enumerate(rows)]  # the log keeps the order they came in
        first = [*stamp.items(), ("handling", handling)]  # the entry's keys before "fravaer", in order
        pairs = ", ".join(["%s::text, %s::text"] * len(first))
        after = (
            f"INSERT INTO logg (orgnr, tid, av, handling, oppforing) SELECT c0, %s, %s, %s, "
            f"json_build_object({pairs}, 'fravaer', {_FRAVAER_JSON}) FROM rader ORDER BY {_ORDER_COLUMN}::integer",
            [stamp["tid"], stamp["av"], handling, *(x for pair in first for x in pair)],
        )
    return _Rows(f"fravaer ({_FRAVAER})", _FRAVAER_SELECT, rows, after)


def insert_log(cur: Any, entries: list[tuple[str, dict[str, Any]]]) -> None:
    """(orgnr, entry) pairs; the entry as the file store's log line has it."""
    log_rows(entries).send(cur)


def log_rows(entries: list[tuple[str, dict[str, Any]]], stamp: dict[str, Any] | None = None) -> "_Rows":
    """stamp: what each entry says first (its time and login), when the entries do not have it."""
    stamp = stamp or {}
    rows: list[tuple[str, ...]] = []
    for orgnr, entry in entries:
        e = {**stamp, **entry}
        text = json.dumps(e, default=log_value)
        rows.append((orgnr, str(e.get("tid", "")), str(e.get("av", "")), str(e.get("handling", "")), text))
    return _Rows("logg (orgnr, tid, av, handling, oppforing)", "c0, c1, c2, c3, c4::json", rows)


# Above this many rows, an insert goes through COPY (an import, a load).
_COPY_FROM = 1000


class _Rows:
    """Rows of texts for a table, as the columns c0, c1, ... that select makes its values of.

    A few rows go as one array per column, unnested by the server, in one statement.
    Many go through COPY into a temporary table first: the server reads COPY's text
    several times faster than it parses array literals (3 of a 100,000-row import's
    seconds), and the csv module writes it in C, where a VALUES list is quoted row by
    row in Python. COPY cannot write the table itself: its row-level security allows
    only INSERT. after: (sql, parameters) run on that temporary table too, named rader."""

    def __init__(
        self, into: str, select: str, rows: list[tuple[str, ...]], after: tuple[str, list[Any]] | None = None
    ) -> None:
        self.into, self.select, self.count, self.after = into, select, len(rows), after
        self.names = [f"c{n}" for n in range(len(rows[0]))] if rows else []
        self.copy = self.count > _COPY_FROM or after is not None
        if not self.copy:
            self.columns = [list(column) for column in zip(*rows, strict=True)]
            return
        import csv
        import io

        self.text = io.StringIO()
        # Every field quoted: COPY reads an unquoted empty field as NULL, a quoted one as ''.
        csv.writer(self.text, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
        self.size = self.text.tell()
        self.text.seek(0)

    def send(self, cur: Any, meanwhile: Callable[[], T] | None = None) -> T | None:
        """Returns what meanwhile gives: called while the server stores the rows."""
        if not self.count:
            return meanwhile() if meanwhile else None
        if not self.copy:
            arrays = ", ".join(["%s::text[]"] * len(self.names))
            cur.execute(
                f"INSERT INTO {self.into} SELECT {self.select} FROM unnest({arrays}) AS u ({', '.join(self.names)})",
                self.columns,
            )
            return meanwhile() if meanwhile else None
        cur.execute(f"CREATE TEMPORARY TABLE rader ({', '.join(n + ' text' for n in self.names)}) ON COMMIT DROP")
        # In one read: the driver takes Python's lock for each read, and while another thread
        # runs Python (an import's check) each wait for it can last a switch interval (5 ms).
        cur.copy_expert("COPY rader FROM STDIN WITH (FORMAT csv)", self.text, size=max(8192, self.size))
        # The rest in one round trip. The driver lets go of Python while it waits for the
        # server, so meanwhile runs beside the insert (an import's longest statement).
        after, parameters = self.after or (None, None)
        sql = "; ".join(
            filter(None, (f"INSERT INTO {self.into} SELECT {self.select} FROM rader", after, "DROP TABLE rader"))
        )
        return _beside(lambda: cur.execute(sql, parameters), meanwhile)


def _beside(background: Callable[[], object], foreground: Callable[[], T] | None = None) -> T | None:
    """foreground's result, with background run in a thread meanwhile; background's error is raised here.
    Without foreground, background alone, in this thread (an import's batches: no thread a batch)."""
    if foreground is None:
        background()
        return None
    import threading

    errors: list[BaseException] = []

    def run() -> None:
        try:
            background()
        except BaseException as e:  # handed to the caller's thread
            errors.append(e)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        result = foreground()
    finally:
        thread.join()
    if errors:
        raise errors[0]
    return result


def _array(keys: Iterable[str]) -> str:
    """A list of texts as one text[] literal: a row's tjenester or vikar, as one column value."""
    return "{" + ",".join('"' + k.replace("\\", "\\\\").replace('"', '\\"') + '"' for k in keys) + "}"


def roster_json(office: Virksomhet) -> str:
    return json.dumps([dict(zip(e.FIELDS, e.values(), strict=True)) for e in office.roster], ensure_ascii=False)


def office_of_row(orgnr: str, row: Sequence[Any], fravaer: list[Fravaer] | None = None) -> Virksomhet:
    """The office from a row that starts with OFFICE_COLUMNS (its fravær are read apart)."""
    return Virksomhet(orgnr, row[0], row[1], row[2], fravaer or [], [RosterEntry.from_record(e) for e in row[3] or []])


def like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def fravaer_of_row(row: Sequence[Any]) -> Fravaer:
    """From the columns FRAVAER_COLUMNS names."""
    return Fravaer.from_values(row)
