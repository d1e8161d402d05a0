"""The shared store: a PostgreSQL database, behind the same interface as the file store.

An office's row is locked (SELECT ... FOR UPDATE) for a change, as the file store
locks its byte: the domain then decides under that lock, and the change, its
log entries and the office's next id are written in one transaction. Which
offices a login sees and may change is decided by the database (pgschema.py).
"""

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar

from fravaer_cli.domain.errors import NotFoundError, StoreError
from fravaer_cli.domain.model import Fravaer, GpDirectory
from fravaer_cli.domain.virksomhet import Virksomhet
from fravaer_cli.store import base
from fravaer_cli.store.base import Change, ChangeRequest, Changes, Days, Reading, Scope, Store, checked_orgnr
from fravaer_cli.store.postgres import faults, pgschema
from fravaer_cli.store.postgres.connect import connect_defaults, connection_error, describe, driver, login_of
from fravaer_cli.store.postgres.rows import (
    FIRST_FIELD,
    LEGER,
    OFFICE_COLUMNS,
    VERSION,
    Logged,
    copy_rows,
    described,
    directories_of,
    fravaer_of_row,
    like_escaped,
    log_rows,
    office_of_row,
    office_rows,
    requests_of,
    scoped,
)
from fravaer_cli.store.postgres.streaming import Streaming

T = TypeVar("T")


class PgStore(Store):
    streams_imports = True
    REQUESTS_A_CALL = 5000  # requests sent to fravaer_api.endre() at once: the server takes 10,000

    def __init__(self, dsn: str, av: object = None, clock: Callable[[], str] | None = None) -> None:
        """av: the --av given (kept as pa_vegne_av beside the login), or anything not a string."""
        self.dsn = dsn
        self.on_behalf_of = av if isinstance(av, str) else None
        self._clock = clock
        self.lock_timeout = base.lock_timeout()
        self.statement_timeout = faults.statement_timeout()
        self._conn: Any = None
        self._login: str | None = None
        self._stored: set[str] | None = None  # orgnrs in the database, once an import has asked
        where = describe(dsn)
        # «databasen «fravaer» på db.example», or «databasen i tjenesten «fravaer»» for a service
        self.location = f"databasen {'i ' if where.startswith('tjenesten ') else ''}{where}"

    # -- the connection ----------------------------------------------------------

    def connection(self, check_schema: bool = True) -> Any:
        if self._conn is None:
            psycopg2 = driver()
            try:
                self._conn = psycopg2.connect(self.dsn, application_name="fravaer", **connect_defaults(self.dsn))
            except psycopg2.Error as e:
                raise connection_error(self.dsn, e) from None
            if check_schema:
                self._check_schema()
        return self._conn

    def close(self) -> None:
        if self._conn is not None and not self._conn.closed:
            try:
                self._conn.close()  # (an open transaction, a dry run's, is rolled back by the server)
            except Exception:  # noqa: BLE001 - a connection already gone has nothing to say goodbye to
                pass
        self._conn = None

    def _check_schema(self) -> None:
        version = self.schema_version()
        if version is None:
            raise StoreError(
                f"{faults.sentence(self.location)} har ikke fravaer-skjemaet ennå: kjør «fravaer --database ... "
                "database init»."
            )
        if version > pgschema.SCHEMA:
            raise StoreError(
                f"{faults.sentence(self.location)} har skjema {version}, nyere enn denne versjonen av fravaer forstår "
                f"(skjema {pgschema.SCHEMA}): oppgrader fravaer."
            )
        if version < pgschema.SCHEMA:
            raise StoreError(
                f"{faults.sentence(self.location)} har skjema {version}, eldre enn denne versjonen av fravaer bruker "
                f"(skjema {pgschema.SCHEMA}): kjør «fravaer database init» for å oppgradere det."
            )

    def schema_version(self) -> int | None:
        import psycopg2

        conn = self.connection(check_schema=False)
        try:
            with conn.cursor() as cur:
                self._begin(cur)
                # The store's interface (schema 6 on) tells; before it, the table did.
                cur.execute(
                    "SELECT to_regproc('fravaer_api.skjema') IS NOT NULL, to_regclass('fravaer_schema') IS NOT NULL"
                )
                interface, table = cur.fetchone()
                if not interface and not table:
                    self._rollback()
                    return None
                cur.execute("SELECT fravaer_api.skjema()" if interface else "SELECT versjon FROM fravaer_schema")
                row = cur.fetchone()
            self._rollback()
            return row[0] if row and row[0] is not None else 0
        except psycopg2.Error as e:
            self._rollback()
            raise self.error_of(e) from None

    @property
    def login(self) -> str:
        if self._login is None:
            # The login the server writes into the log (session_user: a SET ROLE does not change it).
            self._login = str(self.query_one("SELECT session_user")[0])
        return self._login

    @property
    def av(self) -> str:
        return self.login

    def now(self) -> str:
        return self._clock() if self._clock else ""

    def query_one(self, sql: str, args: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        rows = self.query_all(sql, args)
        return rows[0] if rows else None

    def query_all(self, sql: str, args: Sequence[Any] | Mapping[str, Any] = ()) -> list[Any]:
        import psycopg2

        try:
            with self.connection().cursor() as cur:
                self._begin(cur)
                cur.execute(sql, args)
                rows: list[Any] = cur.fetchall()
                return rows
        except psycopg2.Error as e:
            self._rollback()
            raise self.error_of(e) from None

    def error_of(self, e: Exception, orgnr: str | None = None, writing: bool = False) -> Exception:
        """A driver error as the SPEC's: a conflict (4), or a store problem (5), in Norwegian (faults.py)."""
        return faults.error_of(e, self._context(orgnr, writing))

    def _context(self, orgnr: str | None, writing: bool) -> faults.Context:
        login = self._login
        if login is None:  # not asked yet: the connection's, else the one the connection string names
            connected = self._conn is not None and not self._conn.closed
            login = self._conn.info.user if connected else login_of(self.dsn)
        return faults.Context(self.location, login, orgnr, self.lock_timeout, self.statement_timeout, writing)

    def _begin(self, cur: Any) -> None:
        """A transaction's bounds, set as it starts: no statement waits for a lock, or runs, for
        ever. SET LOCAL, as PgBouncer's transaction pooling hands the connection on after it."""
        from psycopg2.extensions import TRANSACTION_STATUS_IDLE

        if self._conn.info.transaction_status == TRANSACTION_STATUS_IDLE:
            cur.execute(
                "SET LOCAL statement_timeout = %s; SET LOCAL lock_timeout = %s",
                (base.milliseconds(self.statement_timeout), base.milliseconds(self.lock_timeout)),
            )

    def _rollback(self) -> None:
        """After an error: the transaction undone, unless the connection is gone (then the server did)."""
        import psycopg2

        if self._conn is not None and not self._conn.closed:
            try:
                self._conn.rollback()
            except psycopg2.Error:
                pass

    def _commit(self, orgnr: str | None = None) -> None:
        """A change's COMMIT: an answer that never comes leaves its outcome unknown, and says so."""
        import psycopg2

        try:
            self._conn.commit()
        except psycopg2.Error as e:
            if faults.lost(e):
                raise faults.unknown_outcome(self._context(orgnr, writing=True)) from None
            self._rollback()
            raise self.error_of(e, orgnr, writing=True) from None

    # -- reading -----------------------------------------------------------------

    def orgnrs(self, must_exist: bool = False) -> list[str]:
        return [row[0] for row in self.query_all("SELECT orgnr FROM fravaer_api.virksomheter()")]

    def exists(self, orgnr: str) -> bool:
        checked_orgnr(orgnr)
        return self.query_one("SELECT 1 FROM fravaer_api.virksomheter(%s)", ([orgnr],)) is not None

    def not_found(self, orgnr: str) -> NotFoundError:
        return NotFoundError(
            f"Fant ingen virksomhet med organisasjonsnummer {orgnr} som {self.login} har tilgang til i {self.location}."
        )

    def no_offices(self) -> StoreError:
        return StoreError(
            f"Innloggingen {self.login} ser ingen virksomheter i {self.location}: databasen er tom, "
            "eller innloggingen har ikke fått tilgang til noen (fravaer access grant)."
        )

    def load(self, orgnr: str) -> Virksomhet:
        return self._office(orgnr)[0]

    def _office(self, orgnr: str, scope: Scope | None = None) -> tuple[Virksomhet, int]:
        """The office with its fravær (those scope needs, and its directory), and its version."""
        checked_orgnr(orgnr)
        directories, days = (
            scoped(self.query_all(LEGER, ([orgnr], list(scope.ids), False)), [orgnr], scope, self._without(scope))
            if scope
            else ({}, None)
        )
        rows = self.query_all(
            "SELECT * FROM fravaer_api.kontorer(%s, NULL, NULL, %s, %s, false)", ([orgnr], *_bounds(days))
        )
        if not rows:
            raise self.not_found(orgnr)
        office = _read_office(rows[0])
        if isinstance(office, StoreError):
            raise office
        office.directory = directories.get(orgnr)
        for row in rows:
            if row[FIRST_FIELD] is not None:
                office.fravaer.append(_read_fravaer(row, office.orgnr))
        return office, rows[0][VERSION]

    def _without(self, scope: Scope) -> Callable[[str], GpDirectory]:
        """An office's directory without the fravær scope names, read in the change's transaction."""

        def without_named(orgnr: str) -> GpDirectory:
            rows = self.query_all(LEGER, ([orgnr], list(scope.ids), True))
            return directories_of(rows).get(orgnr) or GpDirectory({}, {})

        return without_named

    def office_names(self, must_exist: bool = False) -> Reading[Virksomhet]:
        """Orgnr and name of every office the login can read, without their fravær (a name search)."""
        rows = self.query_all("SELECT orgnr, navn FROM fravaer_api.virksomheter()")
        return Reading(Virksomhet(orgnr, navn) for orgnr, navn in rows)

    def iter_offices(
        self, orgnrs: Iterable[str] | None = None, behandler: str | None = None, days: Days | None = None
    ) -> Reading[Virksomhet]:
        return Reading(self._offices(orgnrs, behandler, days or (None, None)))

    def _offices(
        self, orgnrs: Iterable[str] | None, behandler: str | None, days: tuple[date | None, date | None] = (None, None)
    ) -> Iterator[Virksomhet | StoreError]:
        """Every office the login can read, from one query read in batches (a server-side
        cursor), so memory stays flat.

        behandler: only offices with a GP matching it, with only that GP's fravær
        (a helpdesk question over the whole country reads a few rows, not all)."""
        import psycopg2

        from fravaer_cli.domain.names import search_key

        conn = self.connection()
        words: list[str] | None = None
        hpr = None
        if behandler is not None:
            # Every word of the name, in any order (model.name_matches), or an HPR number on a
            # fravær or a roster: the server looks in its table of each office's GPs first
            # (fravaer_sok), and the rosters. What it gives is filtered here too.
            words = [f"%{like_escaped(w)}%" for w in (search_key(behandler).split() or [""])]
            hpr = behandler.strip()
        try:
            with conn.cursor() as plain:
                self._begin(plain)
                # A cursor is planned for its first rows by default (nested loops): this one is read to the end.
                plain.execute("SET LOCAL cursor_tuple_fraction = 1")
            with conn.cursor(name="kontorer") as cur:
                cur.itersize = 5000
                cur.execute(
                    "SELECT * FROM fravaer_api.kontorer(%s, %s, %s, %s, %s)",
                    (list(orgnrs) if orgnrs is not None else None, words, hpr, *days),
                )
                office: Virksomhet | StoreError | None = None
                current = ""
                for row in cur:
                    if row[0] != current:
                        if office is not None:
                            yield office
                        office, current = _read_office(row), row[0]
                    if row[FIRST_FIELD] is not None and isinstance(office, Virksomhet):
                        try:
                            office.fravaer.append(_read_fravaer(row, current))
                        except StoreError as e:
                            office = e  # the office is reported, and the others go on
                if office is not None:
                    yield office
            conn.commit()
        except psycopg2.Error as e:
            self._rollback()
            raise self.error_of(e) from None

    def iter_log(self, orgnr: str) -> Iterator[dict[str, Any]]:
        """The audit log, oldest first, read in batches by a cursor on the server: memory stays
        flat however long the log is."""
        import psycopg2

        checked_orgnr(orgnr)
        conn = self.connection()
        try:
            with conn.cursor() as plain:
                self._begin(plain)
            with conn.cursor(name="logg") as cur:
                cur.itersize = 2000
                cur.execute("SELECT av, oppforing FROM fravaer_api.logg(%s)", (orgnr,))
                for number, (av, entry) in enumerate(cur, start=1):
                    if not isinstance(entry, dict):  # stored by hand, past the database's rules
                        raise StoreError(
                            f"Loggen til virksomhet {orgnr} i {self.location} kan ikke leses: oppføring nr. "
                            f"{number} er ikke et JSON-objekt."
                        )
                    yield {**entry, "av": av}
            # No commit here: dump reads each office's log inside its own cursor over the offices.
        except psycopg2.Error as e:
            self._rollback()
            raise self.error_of(e) from None

    # -- writing -----------------------------------------------------------------

    def write_copies(self, copies: Iterable[tuple[Virksomhet, list[dict[str, Any]]]]) -> list[str]:
        """Store offices as they are, with their audit logs, in one transaction (database load).
        An office already stored is left as it is; returns the orgnrs written."""
        present = set(self.orgnrs())

        def copy(cur: Any) -> list[str]:
            offices, records, entries = [], [], []
            for office, log in copies:
                if office.orgnr in present:
                    continue
                offices.append(office)
                records += [(office.orgnr, f) for f in office.fravaer]
                entries += [(office.orgnr, entry) for entry in log]
            office_rows(offices).send(cur)
            copy_rows(records).send(cur)
            log_rows(entries).send(cur)
            cur.execute("SELECT * FROM fravaer_api.last_inn()")
            return [row[0] for row in cur.fetchall()]

        written = self.in_transaction(copy, check_schema=True)
        if self._stored is not None:
            self._stored.update(written)
        return written

    def in_transaction(self, statements: Callable[[Any], T], check_schema: bool = False, orgnr: str | None = None) -> T:
        """statements(cursor) in one transaction, committed when it returns; driver errors become
        the SPEC's (database init runs before there is a schema to check)."""
        import psycopg2

        conn = self.connection(check_schema=check_schema)
        try:
            with conn.cursor() as cur:
                self._begin(cur)
                result = statements(cur)
            self._commit()
            return result
        except psycopg2.Error as e:
            self._rollback()
            raise self.error_of(e, orgnr, writing=True) from None
        except BaseException:
            self._rollback()
            raise

    def load_for_change(self, orgnr: str, scope: Scope | None = None) -> tuple[Virksomhet, object]:
        checked_orgnr(orgnr)
        if self._stored is None:  # an import asks for many offices: one query says which exist at all
            self._stored = set(self.orgnrs())
        if orgnr not in self._stored:
            return Virksomhet(orgnr), None
        try:
            office, version = self._office(orgnr, scope)
        except NotFoundError:
            return Virksomhet(orgnr), None
        # The stamp: the office's version, which every change raises.
        return office, version

    @contextmanager
    def _change_many(self, orgnrs: list[str], how: ChangeRequest) -> Iterator[Changes]:
        """One transaction: every office's row locked, the domain decides, the changes and
        their log entries are written, and all is committed, or nothing. A statement does
        many offices at once: an import of 2,000 offices is a few hundred statements.

        stream: the changes send what the domain adds while it goes on (streaming.py)."""
        import psycopg2

        create, dry_run, prepared, progress, stream, scope = how.values()
        conn = self.connection()
        self.login  # noqa: B018 - asked before the transaction, for the messages
        current = orgnrs[0] if len(orgnrs) == 1 else None
        try:
            with conn.cursor() as cur:
                self._begin(cur)
                if dry_run:
                    self._may_write(cur, orgnrs, create)
                changes = self._locked(cur, orgnrs, create, prepared, scope, lock=not dry_run)
                if stream and not dry_run:
                    changes = Streaming(changes, conn, self.on_behalf_of)
                    with changes.sending():
                        yield changes
                else:
                    yield changes
                if dry_run:
                    self._rollback()
                    return
                pending = [(orgnr, c) for orgnr, c in changes.items() if c.changed]
                self._write(cur, pending, changes.sent if isinstance(changes, Streaming) else None)
                if progress and pending:
                    progress(len(pending), len(pending))
            if pending:
                self._commit(current)
                if self._stored is not None:  # what load_for_change knows is stored now includes these
                    self._stored.update(orgnr for orgnr, _ in pending)
            else:
                self._rollback()  # an office created only to find nothing to change is not kept
        except psycopg2.Error as e:
            self._rollback()
            raise self.error_of(e, current, writing=not dry_run) from None
        except BaseException:
            self._rollback()
            raise

    def check_writable(self, orgnrs: Iterable[str], create: bool = False) -> None:
        """For a dry run: NotFoundError or StoreError, as the real run would get them (naming the
        office when it is one), when the login may not write (or create) one of the offices."""
        wanted = sorted(set(map(checked_orgnr, orgnrs)))
        if wanted:
            one = wanted[0] if len(wanted) == 1 else None
            self.in_transaction(lambda cur: self._may_write(cur, wanted, create), orgnr=one)

    def _may_write(self, cur: Any, orgnrs: list[str], create: bool) -> None:
        """What the real run's lock checks (fravaer_api.laas: the login may write each office, and
        create the new ones), undone at once: a dry run keeps no lock and creates nothing."""
        cur.execute("SAVEPOINT dry_run")
        cur.execute("SELECT orgnr FROM fravaer_api.laas(%s, %s)", (orgnrs, create))
        found = {row[0] for row in cur.fetchall()}
        cur.execute("ROLLBACK TO SAVEPOINT dry_run")
        missing = [o for o in orgnrs if o not in found]
        if missing:  # not stored, or not this login's to see (or, new, to create)
            raise self.not_found(missing[0])

    def _locked(
        self,
        cur: Any,
        orgnrs: list[str],
        create: bool,
        prepared: dict[str, tuple[Virksomhet, Any]],
        scope: Scope | None,
        lock: bool,
    ) -> Changes:
        """Every office's row, locked by the server (in orgnr order, so writers never wait in a circle),
        as Changes, with the fravær scope needs (all of them without one). A dry run locks and creates
        nothing: it reads."""
        rows: dict[str, tuple[Any, ...]] = {}
        created: set[str] = set()
        if lock:
            cur.execute("SELECT * FROM fravaer_api.laas(%s, %s)", (orgnrs, create))
            for row in cur.fetchall():
                rows[row[0]] = row[1:7]
                if row[7]:
                    created.add(row[0])
        # Read under the locks, so that what the change decides on is what it writes over.
        directories: dict[str, GpDirectory] = {}
        days: tuple[date, date] | None = None
        if scope is not None:
            cur.execute(LEGER, (orgnrs, list(scope.ids), False))
            directories, days = scoped(cur.fetchall(), orgnrs, scope, self._without(scope))
        if not lock:
            cur.execute(  # (an office's own columns are on its first row only)
                "SELECT orgnr, navn, info, neste_id, behandlere, tidligere_navn, versjon "
                "FROM fravaer_api.kontorer(%s, NULL, NULL, %s, %s, false) WHERE behandlere IS NOT NULL",
                (orgnrs, *_bounds(days)),
            )
            rows = {row[0]: row[1:] for row in cur.fetchall()}
        missing = [o for o in orgnrs if o not in rows]
        if missing and (lock or not create):
            raise self.not_found(missing[0])  # not stored, or not this login's to see
        changes, to_read = Changes(), []
        for orgnr in orgnrs:
            row = rows.get(orgnr)
            checked, stamp = prepared.get(orgnr) or (None, None)
            if row is None:  # a dry run: the new office, as it would be
                changes[orgnr] = Change(Virksomhet(orgnr), created_office=True)
            elif checked is not None and stamp is not None and stamp == row[VERSION - 1]:
                # Unchanged since it was checked: the checked office is used.
                changes[orgnr] = Change(checked, reused=True)
            elif checked is not None and stamp is None and orgnr in created:
                # Not stored when it was checked, and created by this transaction: still empty.
                changes[orgnr] = Change(checked, reused=True, created_office=True)
            else:
                office = _read_office((orgnr, *row))
                if isinstance(office, StoreError):
                    raise office
                office.directory = directories.get(orgnr)
                changes[orgnr] = Change(office, created_office=orgnr in created)
                to_read.append(orgnr)
        if to_read:
            cur.execute("SELECT * FROM fravaer_api.kontorer(%s, NULL, NULL, %s, %s, false)", (to_read, *_bounds(days)))
            for row in cur.fetchall():
                if row[FIRST_FIELD] is not None:
                    changes[row[0]].office.fravaer.append(_read_fravaer(row, row[0]))
        return changes

    def _write(self, cur: Any, pending: list[tuple[str, Change]], sent: dict[str, int] | None = None) -> None:
        """What the user asked of each office, as requests the server carries out and records itself
        (fravaer_api.endre): the server gives new fravær their ids, who and when, the keys and every log
        entry, from the rows as they were before and after. What it logged is then held against what
        the domain decided under the same locks: were they ever to differ, nothing is stored.
        sent: how many of each office's log entries the server has made already (streaming.py)."""
        requests, expected = requests_of(pending, sent or {})
        done: list[Logged] = []
        for at in range(0, len(requests), self.REQUESTS_A_CALL):
            call = {"pa_vegne_av": self.on_behalf_of, "handlinger": requests[at : at + self.REQUESTS_A_CALL]}
            cur.execute(
                "SELECT orgnr, handling, id, behandler FROM fravaer_api.endre(%s::json)",
                (json.dumps(call, ensure_ascii=False),),
            )
            done += [tuple(row) for row in cur.fetchall()]
        if done != expected:
            raise StoreError(
                f"{faults.sentence(self.location)} førte en annen endring enn fravaer ventet (loggen: "
                f"{described(done)}; ventet: {described(expected)}). Ingenting er lagret; meld fra om dette."
            )


def _bounds(days: tuple[date, date] | None) -> tuple[date | None, date | None]:
    return days if days is not None else (None, None)


def _read_office(row: Sequence[Any]) -> Virksomhet | StoreError:
    """The office of a row of fravaer_api.kontorer(), or why it cannot be read: a value stored past
    the database's rules (by hand, or before migration 6) is reported, and the other offices go on."""
    try:
        return office_of_row(row[0], row[1 : 1 + OFFICE_COLUMNS])
    except (TypeError, ValueError, KeyError, AttributeError):
        return StoreError(f"Virksomhet {row[0]} kan ikke leses: lista over behandlere i databasen er ugyldig.")


def _read_fravaer(row: Sequence[Any], orgnr: str) -> Fravaer:
    f = fravaer_of_row(row[FIRST_FIELD:])
    if f.til == date.max:
        raise StoreError(f"Virksomhet {orgnr} kan ikke leses: fravær {f.id} har verdier fravaer ikke godtar.")
    return f
