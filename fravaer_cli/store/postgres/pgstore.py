"""The shared store: a PostgreSQL database, behind the same interface as the file store.

An office's row is locked (SELECT ... FOR UPDATE) for a change, as the file store
locks its byte: the domain then decides under that lock, and the change, its
log entries and the office's next id are written in one transaction. Which
offices a login sees and may change is decided by the database (pgschema.py).
"""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from fravaer_cli.domain.errors import ConflictError, NotFoundError, StoreError
from fravaer_cli.domain.model import Fravaer
from fravaer_cli.domain.virksomhet import Virksomhet
from fravaer_cli.store.base import Change, ChangeRequest, Changes, Reading, Store, checked_orgnr, lock_timeout
from fravaer_cli.store.postgres import pgschema
from fravaer_cli.store.postgres.connect import connection_error, describe, driver
from fravaer_cli.store.postgres.rows import (
    FRAVAER_COLUMNS,
    OFFICE_COLUMNS,
    fravaer_of_row,
    fravaer_rows,
    insert_fravaer,
    insert_log,
    like_escaped,
    log_rows,
    office_of_row,
    roster_json,
)

_ORDER = "length(f.id), f.id"  # ids are 1, 2, 3 ...: in the order they were given

T = TypeVar("T")


class PgStore(Store):
    streams_imports = True

    def __init__(self, dsn: str, av: object = None, clock: Callable[[], str] | None = None) -> None:
        """av: the --av given (kept as pa_vegne_av beside the login), or anything not a string."""
        self.dsn = dsn
        self.on_behalf_of = av if isinstance(av, str) else None
        self._clock = clock
        self.lock_timeout = lock_timeout()
        self._conn: Any = None
        self._login: str | None = None
        self._stored: set[str] | None = None  # orgnrs in the database, once an import has asked
        self.location = f"databasen {describe(dsn)}"

    # -- the connection ----------------------------------------------------------

    def connection(self, check_schema: bool = True) -> Any:
        if self._conn is None:
            psycopg2 = driver()
            try:
                self._conn = psycopg2.connect(self.dsn, application_name="fravaer")
            except psycopg2.Error as e:
                raise connection_error(self.dsn, e) from None
            if check_schema:
                self._check_schema()
        return self._conn

    def _check_schema(self) -> None:
        version = self.schema_version()
        if version is None:
            raise StoreError(
                f"{self.location} har ikke fravaer-skjemaet ennå: kjør «fravaer --database ... database init»."
            )
        if version > pgschema.SCHEMA:
            raise StoreError(
                f"{self.location} har skjema {version}, nyere enn denne versjonen av fravaer forstår "
                f"(skjema {pgschema.SCHEMA}): oppgrader fravaer."
            )
        if version < pgschema.SCHEMA:
            raise StoreError(
                f"{self.location} har skjema {version}, eldre enn denne versjonen av fravaer bruker "
                f"(skjema {pgschema.SCHEMA}): kjør «fravaer database init» for å oppgradere det."
            )

    def schema_version(self) -> int | None:
        import psycopg2

        conn = self.connection(check_schema=False)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT versjon FROM fravaer_schema")
                row = cur.fetchone()
            return row[0] if row else 0
        except psycopg2.errors.UndefinedTable:
            conn.rollback()
            return None
        except psycopg2.Error as e:
            conn.rollback()
            raise self.error_of(e) from None

    @property
    def login(self) -> str:
        if self._login is None:
            self._login = str(self.query_one("SELECT current_user")[0])
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
                cur.execute(sql, args)
                rows: list[Any] = cur.fetchall()
                return rows
        except psycopg2.Error as e:
            self._conn.rollback()
            raise self.error_of(e) from None

    def error_of(self, e: Exception, orgnr: str | None = None) -> Exception:
        """A driver error as the SPEC's: a conflict (4), or a store problem (5)."""
        code = getattr(e, "pgcode", None)
        if code == "23P01":  # exclusion_violation: another machine stored an overlapping fravær at the same moment
            return ConflictError(
                f"Overlapper med et fravær for samme behandler og tjeneste hos {orgnr or 'virksomheten'}, "
                "lagret av noen andre i samme øyeblikk. Se «fravaer list» og prøv igjen."
            )
        if code == "42501" and "temporary tables" in (getattr(e, "pgerror", None) or ""):
            # An import writes through a temporary table; a DBA can revoke TEMP from PUBLIC.
            return StoreError(
                f"Innloggingen {self._login or ''} har ikke lov til å lage midlertidige tabeller i "
                f"{self.location}, og en import trenger det: be en DBA om «GRANT TEMP ON DATABASE ... "
                f"TO {self._login or 'innloggingen'}». Ingenting er endret."
            )
        if code == "42501":  # insufficient_privilege: a policy or grant said no
            where = f" til virksomhet {orgnr}" if orgnr else ""
            return StoreError(f"Innloggingen {self._login or ''} har ikke skrivetilgang{where} i {self.location}.")
        if code == "55P03":  # lock_not_available
            return StoreError(
                f"Fikk ikke låst virksomhet {orgnr or ''} innen {self.lock_timeout:g} sekunder: "
                "noen andre skriver til den. Prøv igjen om litt."
            )
        reason = (getattr(e, "pgerror", None) or str(e)).strip().splitlines()[0]
        return StoreError(f"Feil fra {self.location}: {reason}")

    # -- reading -----------------------------------------------------------------

    def orgnrs(self, must_exist: bool = False) -> list[str]:
        return [row[0] for row in self.query_all("SELECT orgnr FROM virksomhet ORDER BY orgnr")]

    def exists(self, orgnr: str) -> bool:
        checked_orgnr(orgnr)
        return self.query_one("SELECT 1 FROM virksomhet WHERE orgnr = %s", (orgnr,)) is not None

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
        checked_orgnr(orgnr)
        row = self.query_one(f"SELECT {OFFICE_COLUMNS} FROM virksomhet WHERE orgnr = %s", (orgnr,))
        if row is None:
            raise self.not_found(orgnr)
        return self._office(orgnr, row)

    def _office(self, orgnr: str, row: Sequence[Any]) -> Virksomhet:
        sql = f"SELECT {FRAVAER_COLUMNS} FROM fravaer f WHERE f.orgnr = %s ORDER BY {_ORDER}"
        records = self.query_all(sql, (orgnr,))
        return office_of_row(orgnr, row, [fravaer_of_row(r) for r in records])

    def office_names(self, must_exist: bool = False) -> Reading[Virksomhet]:
        """Orgnr and name of every office the login can read, without their fravær (a name search)."""
        rows = self.query_all("SELECT orgnr, navn FROM virksomhet ORDER BY orgnr")
        return Reading(Virksomhet(orgnr, navn) for orgnr, navn in rows)

    def iter_offices(self, orgnrs: Iterable[str] | None = None, behandler: str | None = None) -> Reading[Virksomhet]:
        return Reading(self._offices(orgnrs, behandler))

    def _offices(self, orgnrs: Iterable[str] | None, behandler: str | None) -> Iterator[Virksomhet]:
        """Every office the login can read, from one query read in batches (a server-side
        cursor), so memory stays flat.

        behandler: only offices with a GP matching it, with only that GP's fravær
        (a helpdesk question over the whole country reads a few rows, not all)."""
        import psycopg2

        from fravaer_cli.domain.names import search_key

        conn = self.connection()
        conditions: list[str] = []
        args: list[Any] = []
        if orgnrs is not None:
            conditions.append("v.orgnr = ANY(%s)")
            args.append(list(orgnrs))
        join = "LEFT JOIN"
        if behandler is not None:
            join = "JOIN"
            # The offices first, from the table of each office's GPs (pgschema: fravaer_sok).
            # Every word of the name, in any order (model.name_matches), or the HPR number.
            words = search_key(behandler).split() or [""]
            each = " AND ".join(["{0}.behandler_sok LIKE %s"] * len(words))
            conditions.append(
                f"v.orgnr IN (SELECT s.orgnr FROM fravaer_sok s WHERE ({each.format('s')}) OR s.hpr = %s)"
            )
            conditions.append(f"(({each.format('f')}) OR f.hpr = %s)")
            match: list[Any] = [*(f"%{like_escaped(w)}%" for w in words), behandler.strip()]
            args += [*match, *match]
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        sql = (
            f"SELECT v.orgnr, {', '.join('v.' + c for c in OFFICE_COLUMNS.split(', '))}, "
            f"{', '.join('f.' + c for c in FRAVAER_COLUMNS.split(', '))} "
            f"FROM virksomhet v {join} fravaer f ON f.orgnr = v.orgnr {where} ORDER BY v.orgnr, {_ORDER}"
        )
        try:
            with conn.cursor() as plain:
                # A cursor is planned for its first rows by default (nested loops): this one is read to the end.
                plain.execute("SET LOCAL cursor_tuple_fraction = 1")
            with conn.cursor(name="kontorer") as cur:
                cur.itersize = 5000
                cur.execute(sql, args)
                office = None
                for row in cur:
                    if office is None or row[0] != office.orgnr:
                        if office is not None:
                            yield office
                        office = office_of_row(row[0], row[1:])
                    if row[5] is not None:
                        office.fravaer.append(fravaer_of_row(row[5:]))
                if office is not None:
                    yield office
            conn.commit()
        except psycopg2.Error as e:
            conn.rollback()
            raise self.error_of(e) from None

    def iter_log(self, orgnr: str) -> Iterator[dict[str, Any]]:
        """The audit log, oldest first, read in batches by a cursor on the server: memory stays
        flat however long the log is."""
        import psycopg2

        checked_orgnr(orgnr)
        conn = self.connection()
        try:
            with conn.cursor(name="logg") as cur:
                cur.itersize = 2000
                cur.execute("SELECT av, oppforing FROM logg WHERE orgnr = %s ORDER BY nr", (orgnr,))
                for av, entry in cur:
                    yield {**entry, "av": av}
            # No commit here: dump reads each office's log inside its own cursor over the offices.
        except psycopg2.Error as e:
            conn.rollback()
            raise self.error_of(e) from None

    # -- writing -----------------------------------------------------------------

    def write_copies(self, copies: Iterable[tuple[Virksomhet, list[dict[str, Any]]]]) -> list[str]:
        """Store offices as they are, with their audit logs, in one transaction (database load).
        An office already stored is left as it is; returns the orgnrs written."""
        present = set(self.orgnrs())

        def copy(cur: Any) -> list[str]:
            written, records, entries = [], [], []
            for office, log in copies:
                if office.orgnr in present:
                    continue
                cur.execute(
                    "INSERT INTO virksomhet (orgnr, navn, info, neste_id, behandlere) "
                    "VALUES (%s, %s, %s, %s, %s::jsonb)",
                    (office.orgnr, office.navn, office.info, office.next_id, roster_json(office)),
                )
                records += [(office.orgnr, f) for f in office.fravaer]
                entries += [(office.orgnr, entry) for entry in log]
                written.append(office.orgnr)
            insert_fravaer(cur, records)
            insert_log(cur, entries)
            return written

        written = self.in_transaction(copy, check_schema=True)
        if self._stored is not None:
            self._stored.update(written)
        return written

    def in_transaction(self, statements: Callable[[Any], T], check_schema: bool = False) -> T:
        """statements(cursor) in one transaction, committed when it returns; driver errors become
        the SPEC's (database init runs before there is a schema to check)."""
        import psycopg2

        conn = self.connection(check_schema=check_schema)
        try:
            with conn.cursor() as cur:
                result = statements(cur)
            conn.commit()
            return result
        except psycopg2.Error as e:
            conn.rollback()
            raise self.error_of(e) from None
        except BaseException:
            conn.rollback()
            raise

    def load_for_change(self, orgnr: str) -> tuple[Virksomhet, object]:
        checked_orgnr(orgnr)
        if self._stored is None:  # an import asks for many offices: one query says which exist at all
            self._stored = {row[0] for row in self.query_all("SELECT orgnr FROM virksomhet")}
        if orgnr not in self._stored:
            return Virksomhet(orgnr), None
        row = self.query_one(f"SELECT {OFFICE_COLUMNS}, versjon FROM virksomhet WHERE orgnr = %s", (orgnr,))
        if row is None:
            return Virksomhet(orgnr), None
        office = self._office(orgnr, row)
        # The stamp: the office's version, and its fravær as stored (the caller adds to the office itself).
        return office, (row[4], {f.id: f for f in office.fravaer})

    @contextmanager
    def _change_many(self, orgnrs: list[str], how: ChangeRequest) -> Iterator[Changes]:
        """One transaction: every office's row locked, the domain decides, the changes and
        their log entries are written, and all is committed, or nothing. A statement does
        many offices at once: an import of 2,000 offices is a few hundred statements.

        stream: the changes send what the domain adds while it goes on (_Streaming.send)."""
        import psycopg2

        create, dry_run, prepared, progress, stream = how.values()
        conn = self.connection()
        self.login  # noqa: B018 - asked before the transaction, for the messages
        current = orgnrs[0] if len(orgnrs) == 1 else None
        try:
            with conn.cursor() as cur:
                if not dry_run:
                    cur.execute("SET LOCAL lock_timeout = %s", (f"{int(self.lock_timeout * 1000)}ms",))
                changes = self._locked(cur, orgnrs, create, prepared, lock=not dry_run)
                if stream and not dry_run:
                    changes = _Streaming(changes, conn, self._stamp())
                    with changes.sending():
                        yield changes
                else:
                    yield changes
                if dry_run:
                    conn.rollback()
                    return
                pending = [(orgnr, c) for orgnr, c in changes.items() if c.changed]
                self._write(cur, pending, changes.sent if isinstance(changes, _Streaming) else None)
                if progress and pending:
                    progress(len(pending), len(pending))
            if pending:
                conn.commit()
                if self._stored is not None:  # what load_for_change knows is stored now includes these
                    self._stored.update(orgnr for orgnr, _ in pending)
            else:
                conn.rollback()  # an office created only to find nothing to change is not kept
        except psycopg2.Error as e:
            conn.rollback()
            raise self.error_of(e, current) from None
        except BaseException:
            conn.rollback()
            raise

    def _locked(
        self, cur: Any, orgnrs: list[str], create: bool, prepared: dict[str, tuple[Virksomhet, Any]], lock: bool
    ) -> Changes:
        """Every office's row, locked (in orgnr order, so writers never wait in a circle), as Changes."""
        import psycopg2

        sql = f"SELECT orgnr, {OFFICE_COLUMNS}, versjon FROM virksomhet WHERE orgnr = ANY(%s) ORDER BY orgnr"
        sql += " FOR UPDATE" if lock else ""
        cur.execute(sql, (orgnrs,))
        rows = {row[0]: row[1:] for row in cur.fetchall()}
        missing = [o for o in orgnrs if o not in rows]
        created = set()
        if missing:
            cur.execute("SELECT orgnr FROM virksomhet WHERE orgnr = ANY(%s) ORDER BY orgnr", (missing,))
            visible = [row[0] for row in cur.fetchall()]
            if visible and lock:
                # Created and committed by another writer since the first look (30 adds to a new
                # office at once): this statement's snapshot sees it, so lock it now.
                cur.execute(sql, (visible,))
                rows.update((row[0], row[1:]) for row in cur.fetchall())
            refused = [o for o in visible if o not in rows]
            if refused:  # there, but not to be changed by this login
                raise StoreError(
                    f"Innloggingen {self.login} har ikke skrivetilgang til virksomhet {refused[0]} i {self.location}."
                )
            missing = [o for o in missing if o not in rows]
        if missing:
            if not create:
                raise self.not_found(missing[0])
            created = set(missing)
            if lock:
                cur.execute("SAVEPOINT ny")
                try:
                    cur.execute(
                        "INSERT INTO virksomhet (orgnr) SELECT unnest(%s::text[])"
                        " ON CONFLICT DO NOTHING RETURNING orgnr",
                        (missing,),
                    )
                except psycopg2.errors.InsufficientPrivilege:
                    # Not this login's office (and whether it exists elsewhere is not this login's business).
                    cur.execute("ROLLBACK TO SAVEPOINT ny")
                    raise self.not_found(missing[0]) from None
                created = {row[0] for row in cur.fetchall()}  # not those another writer created meanwhile
                cur.execute(sql, (missing,))
                rows.update((row[0], row[1:]) for row in cur.fetchall())
                lost = [o for o in missing if o not in rows]  # another's, created in the meantime
                if lost:
                    raise self.not_found(lost[0])
        changes, to_read = Changes(), []
        for orgnr in orgnrs:
            row = rows.get(orgnr)
            checked, stamp = prepared.get(orgnr) or (None, None)
            if row is None:  # a dry run: the new office, as it would be
                changes[orgnr] = Change(Virksomhet(orgnr), created_office=True)
            elif checked is not None and stamp is not None and stamp[0] == row[4]:
                # Unchanged since it was checked: the checked office is used, and what was stored then is the original.
                changes[orgnr] = Change(checked, reused=True, original=stamp[1])
            elif checked is not None and stamp is None and orgnr in created:
                # Not stored when it was checked, and created by this transaction: still empty.
                changes[orgnr] = Change(checked, reused=True, original={}, created_office=True)
            else:
                office = office_of_row(orgnr, row)
                changes[orgnr] = Change(office, created_office=orgnr in created)
                to_read.append(orgnr)
        if to_read:
            cur.execute(
                f"SELECT f.orgnr, {FRAVAER_COLUMNS} FROM fravaer f WHERE f.orgnr = ANY(%s) ORDER BY f.orgnr, {_ORDER}",
                (to_read,),
            )
            for row in cur.fetchall():
                changes[row[0]].office.fravaer.append(fravaer_of_row(row[1:]))
            for orgnr in to_read:
                changes[orgnr].original = {f.id: f for f in changes[orgnr].office.fravaer}
        return changes

    def _stamp(self) -> dict[str, Any]:
        """What each log entry of a transaction says first: when, and by whom."""
        stamp = {"tid": self.now(), "av": self.login}
        if self.on_behalf_of:
            stamp["pa_vegne_av"] = self.on_behalf_of
        return stamp

    def _write(self, cur: Any, pending: list[tuple[str, Change]], sent: dict[str, int] | None = None) -> None:
        """What the domain changed in each office, against what was read under the lock.
        sent: how many of each office's log entries are written already (_Streaming)."""
        gone, new, offices, entries = [], [], [], []
        stamp = self._stamp()
        sent = sent or {}
        for orgnr, change in pending:
            now = {f.id: f for f in change.office.fravaer}
            gone += [(orgnr, i) for i, f in change.original.items() if now.get(i) != f]
            new += [(orgnr, f) for i, f in now.items() if change.original.get(i) != f]
            office = change.office
            offices.append((orgnr, office.navn, office.info, office.next_id, roster_json(office)))
            entries += [(orgnr, entry) for entry in change.entries[sent.get(orgnr, 0) :]]
        if gone:
            cur.execute(
                "DELETE FROM fravaer WHERE (orgnr, id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
                ([o for o, _ in gone], [i for _, i in gone]),
            )
        # The log's rows are made while the server checks and stores the new fravær.
        logged = insert_fravaer(cur, new, meanwhile=lambda: log_rows(entries, stamp))
        if offices:
            cur.execute(
                "UPDATE virksomhet v SET navn = x.navn, info = x.info, neste_id = x.neste_id, "
                "behandlere = x.behandlere::jsonb, versjon = v.versjon + 1 "
                "FROM unnest(%s::text[], %s::text[], %s::text[], %s::integer[], %s::text[]) "
                "AS x (orgnr, navn, info, neste_id, behandlere) WHERE v.orgnr = x.orgnr",
                [list(column) for column in zip(*offices, strict=True)],
            )
        if logged is not None:  # always: meanwhile was given
            logged.send(cur)


class _Streaming(Changes):
    """An import's changes, whose new fravær (with their log entries, made by the server)
    go to the server in batches, by a thread of their own, while the import checks the
    rows after them. The server's share of a big import then runs beside the check instead
    of after it, on the other core. It is all the one transaction:
    committed with the rest, or rolled back with it."""

    BATCH = 5000  # fravær a batch: few statements, and the server starts early

    def __init__(self, changes: dict[str, Change], conn: Any, stamp: dict[str, Any]) -> None:
        super().__init__(changes)
        self.conn, self.stamp = conn, stamp
        self.sent: dict[str, int] = {}  # orgnr -> how many of its log entries are written
        self.batch: list[tuple[str, Fravaer]] = []
        self.handling = ""
        self.error: BaseException | None = None  # the sender's, raised in the caller's thread
        self.abandoned = False
        self.queue: Any = None

    def send(self, orgnr: str, fravaer: Fravaer, handling: str) -> None:
        """Record that the domain added fravaer to the office, and send both to the server."""
        change = self[orgnr]
        change.record(handling, fravaer)
        change.original[fravaer.id] = fravaer  # stored, as far as the final write is concerned
        self.sent[orgnr] = len(change.entries)
        if handling != self.handling:
            self._flush()
            self.handling = handling
        self.batch.append((orgnr, fravaer))
        if len(self.batch) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if self.error is not None:
            raise self.error  # the server said no: no need to check the rest
        if self.batch:
            # Made ready here, so that the sender's thread only waits for the server, which
            # then has the next batch at once.
            self.queue.put(fravaer_rows(self.batch, logged=(self.stamp, self.handling)))
            self.batch = []

    def _run(self) -> None:
        with self.conn.cursor() as cur:
            while (rows := self.queue.get()) is not None:
                if self.error is None and not self.abandoned:
                    try:
                        rows.send(cur)
                    except BaseException as e:
                        self.error = e

    @contextmanager
    def sending(self) -> Iterator["_Streaming"]:
        """The sender, for as long as the caller adds; then what is left is sent, and waited for."""
        import queue
        import threading

        self.queue = queue.Queue()
        thread = threading.Thread(target=self._run, name="fravaer-sender", daemon=True)
        thread.start()
        try:
            yield self
            self._flush()
        except BaseException:
            self.abandoned = True  # what is still queued is not sent: all is rolled back
            raise
        finally:
            self.queue.put(None)
            thread.join()
        if self.error is not None:
            raise self.error
