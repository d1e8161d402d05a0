"""Setting up and moving the shared store: database init, status, load, dump; access per office."""

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from fravaer_cli import __version__
from fravaer_cli.domain.errors import InputError, StoreError
from fravaer_cli.store.base import Store
from fravaer_cli.store.postgres import faults, pgschema
from fravaer_cli.store.postgres.pgstore import PgStore


class Init(NamedTuple):
    """What `database init` did: the schema's version before (0: none) and now, whether it made the
    interface anew, and the catalogue's services it added and removed."""

    before: int
    now: int
    interface_renewed: bool
    services_added: list[str]
    services_removed: list[str]


def init(store: PgStore) -> Init:
    """Create or upgrade the schema, its interface, its catalogue of services and its roles."""
    before = store.schema_version() or 0
    if before > pgschema.SCHEMA:
        raise StoreError(
            f"{faults.sentence(store.location)} har skjema {before}, nyere enn denne versjonen av fravaer forstår: "
            "oppgrader fravaer."
        )

    def migrate(cur: Any) -> Init:
        import psycopg2
        import psycopg2.errors

        # The roles are the server's, not the database's: made by the first init on the server (which
        # needs a login that may create roles), and only used by the next (another database's owner).
        cur.execute(_ROLES_READY)
        if not cur.fetchone()[0]:
            try:
                cur.execute(pgschema.ROLE_STATEMENTS)
            except psycopg2.errors.InsufficientPrivilege:
                raise _cannot_make_roles(store) from None
            except _made_meanwhile():
                raise _Raced from None
        # The schema's administrator is an admin of its data; and while it migrates (only then), a
        # member of fravaer_eier, the role that owns the store and that no one logs in as.
        cur.execute(
            "SELECT rolsuper, pg_has_role(current_user, 'fravaer_eier', 'MEMBER'), "
            "pg_has_role(current_user, 'fravaer_admin', 'MEMBER') FROM pg_roles WHERE rolname = current_user"
        )
        superuser, owner_already, admin_already = cur.fetchone()
        if not superuser:
            if not admin_already:
                cur.execute("SAVEPOINT admin")
                try:
                    cur.execute("GRANT fravaer_admin TO CURRENT_USER")
                except psycopg2.Error:
                    cur.execute("ROLLBACK TO SAVEPOINT admin")
            if not owner_already:
                try:
                    cur.execute("GRANT fravaer_eier TO CURRENT_USER")
                except psycopg2.errors.InsufficientPrivilege:
                    raise _cannot_make_roles(store) from None
        cur.execute("SET LOCAL search_path = fravaer, public")  # the store's tables, before and after migration 6
        current = before
        cur.execute("SELECT to_regclass('fravaer_schema') IS NOT NULL")
        if cur.fetchone()[0]:
            _lock_store(cur, store)
            cur.execute("SELECT versjon FROM fravaer_schema")
            current = cur.fetchone()[0]
        for version, sql in pgschema.init_statements(current):
            try:
                cur.execute(sql)
            except _made_meanwhile():
                raise _Raced from None
            cur.execute("UPDATE fravaer_schema SET versjon = %s", (version,))  # in public, or in fravaer from 6
            if version == 6:
                cur.execute(pgschema.KONTOR_STATEMENTS)
        renewed = _interface(cur, store)
        added, removed = _catalogue(cur, store)
        if not superuser and not owner_already:
            cur.execute("REVOKE fravaer_eier FROM CURRENT_USER")
        return Init(before, max(current, pgschema.SCHEMA), renewed, added, removed)

    # Two first inits of a new store (or of a server's roles) at once: the second waits for the
    # first's new tables (or roles), finds them made when it commits, and runs again, now on a
    # store there is, whose own table it locks. No lock of a key any login may take (an advisory
    # lock) stands before the first init: a login with no grant could hold it.
    try:
        return store.in_transaction(migrate)
    except _Raced:
        return store.in_transaction(migrate)


class _Raced(Exception):
    """Another init made the store's first tables or the server's roles while this one ran."""


def _made_meanwhile() -> tuple[type[Exception], ...]:
    import psycopg2.errors

    return (psycopg2.errors.DuplicateTable, psycopg2.errors.DuplicateObject, psycopg2.errors.DuplicateSchema,
            psycopg2.errors.UniqueViolation)  # fmt: skip


# What the interface is in the database's catalogue, to see a function changed there by hand: every
# function, type, trigger, constraint and grant that interface.sql makes.
_INTERFACE_NOW = """
SELECT md5(string_agg(x, E'\n' ORDER BY x)) FROM (
    SELECT p.oid::regprocedure || ' ' || md5(p.prosrc) || ' ' || p.prosecdef || ' ' || pg_get_userbyid(p.proowner)
           || ' ' || coalesce(array_to_string(p.proconfig, ','), '')
           || ' ' || coalesce(array_to_string(p.proacl, ','), '') AS x
      FROM pg_proc p WHERE p.pronamespace IN ('fravaer_api'::regnamespace, 'fravaer_intern'::regnamespace)
    UNION ALL
    SELECT t.oid::regtype::text FROM pg_type t WHERE t.typnamespace = 'fravaer_intern'::regnamespace
    UNION ALL
    SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t
      WHERE NOT t.tgisinternal AND t.tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'fravaer'::regnamespace)
    UNION ALL
    SELECT conname || ' ' || pg_get_constraintdef(c.oid) FROM pg_constraint c
      WHERE c.connamespace = 'fravaer'::regnamespace AND c.contype = 'c'
    UNION ALL
    SELECT c.oid::regclass || ' ' || coalesce(array_to_string(c.relacl, ','), '') FROM pg_class c
      WHERE c.relnamespace = 'fravaer_inn'::regnamespace AND c.relkind = 'r'
    UNION ALL
    SELECT a.attrelid::regclass || '.' || a.attname || ' ' || array_to_string(a.attacl, ',') FROM pg_attribute a
      WHERE a.attacl IS NOT NULL
        AND a.attrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'fravaer_inn'::regnamespace)
    UNION ALL
    SELECT nspname || ' ' || coalesce(array_to_string(nspacl, ','), '') FROM pg_namespace WHERE nspname = 'fravaer_inn'
) y
"""


def _interface(cur: Any, store: PgStore) -> bool:
    """Make interface.sql's objects anew when the file or the database's own differ from what they
    were when it was made last. Not with a file older than the one that made them (an older program's).
    True when it was made anew."""
    sql, digest = pgschema.interface()
    cur.execute("SELECT grensesnitt, program, fingeravtrykk FROM fravaer_schema")
    made_by_digest, made_by, fingerprint = cur.fetchone()
    if made_by_digest == digest and _fingerprint(cur) == fingerprint:
        return False
    if made_by and made_by_digest != digest and _release(made_by) > _release(__version__):
        raise StoreError(
            f"Funksjonene i {store.location} er laget av fravaer {made_by}, nyere enn denne ({__version__}): "
            "oppgrader fravaer før du kjører «database init»."
        )
    # The server folds names as the program does with ICU's lower() (interface.sql's casefold()):
    # a server built without ICU is said so, not met with an SQL error.
    cur.execute("SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'")
    if cur.fetchone() is None:
        raise StoreError(
            f"{store.location} mangler ICU (sorteringen «und-x-icu»), som fravaer bruker for å sammenligne navn: "
            "bruk en PostgreSQL bygd med ICU (Debians, Ubuntus og PGDGs pakker er det)."
        )
    cur.execute(sql)
    cur.execute(
        "UPDATE fravaer.fravaer_schema SET grensesnitt = %s, program = %s, fingeravtrykk = %s",
        (digest, __version__, _fingerprint(cur)),
    )
    return True


def _fingerprint(cur: Any) -> str | None:
    """_INTERFACE_NOW, every name written out with its schema (as the search path is empty)."""
    cur.execute("SELECT to_regnamespace('fravaer_api') IS NOT NULL AND to_regnamespace('fravaer_intern') IS NOT NULL")
    if not cur.fetchone()[0]:
        return None
    cur.execute("SET LOCAL search_path = pg_catalog")
    cur.execute(_INTERFACE_NOW)
    fingerprint: str = cur.fetchone()[0]
    cur.execute("SET LOCAL search_path = fravaer, public")
    return fingerprint


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _catalogue(cur: Any, store: PgStore) -> tuple[list[str], list[str]]:
    """The table of services as the program's catalogue (tjenester.toml) has them: new keys added,
    names updated; a key the catalogue no longer has is removed, or refused while a fravær uses it.
    Returns (added, removed)."""
    from fravaer_cli.domain.catalogue import catalogue

    services = list(catalogue().values())
    cur.execute("SELECT nokkel FROM tjeneste")
    stored = {row[0] for row in cur.fetchall()}
    gone = sorted(stored - {t.key for t in services})
    if gone:
        cur.execute(
            "SELECT k, count(*) FROM fravaer f, unnest(f.tjenester || f.vikar) k WHERE k = ANY(%s) "
            "GROUP BY k ORDER BY k",
            (gone,),
        )
        used = cur.fetchall()
        if used:
            key, count = used[0]
            raise StoreError(
                f"Tjenesten «{key}» er brukt av {count} fravær i {store.location}, men finnes ikke i "
                "tjenestekatalogen til denne versjonen av fravaer: en tjeneste som er i bruk, kan ikke tas bort "
                "eller få ny nøkkel. Legg den tilbake i tjenester.toml."
            )
        cur.execute("DELETE FROM tjeneste WHERE nokkel = ANY(%s)", (gone,))
    for place, t in enumerate(services):
        cur.execute(
            "INSERT INTO tjeneste (nokkel, plass, nb, nn, en, kort) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (nokkel) DO UPDATE SET plass = excluded.plass, nb = excluded.nb, nn = excluded.nn, "
            "en = excluded.en, kort = excluded.kort "
            "WHERE (tjeneste.plass, tjeneste.nb, tjeneste.nn, tjeneste.en, tjeneste.kort) IS DISTINCT FROM "
            "(excluded.plass, excluded.nb, excluded.nn, excluded.en, excluded.kort)",
            (t.key, place, t.nb, t.nn, t.en, t.kort),
        )
    # (A new store's first catalogue, or one schema 8 fills, is no news.)
    return (sorted({t.key for t in services} - stored) if stored else []), gone


def _lock_store(cur: Any, store: PgStore) -> None:
    """One init at a time, on a lock of the store's own: fravaer_schema's, which only its owner (and so an
    init, a member of it while it runs) may take; no login can take or hold it to stop every init (an
    advisory lock, which it was, any login can). Waiting longer than the lock timeout, it says who holds it."""
    import psycopg2.errors

    cur.execute("SAVEPOINT laas")
    try:
        cur.execute("LOCK TABLE fravaer_schema IN SHARE ROW EXCLUSIVE MODE")
    except (psycopg2.errors.LockNotAvailable, psycopg2.errors.QueryCanceled):
        cur.execute("ROLLBACK TO SAVEPOINT laas")
        cur.execute("SAVEPOINT hvem")
        try:
            cur.execute(
                "SELECT DISTINCT a.usename, a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.relation = 'fravaer_schema'::regclass AND l.granted AND l.pid <> pg_backend_pid() ORDER BY 2"
            )
            holders = ", ".join(f"{login} (prosess {pid})" for login, pid in cur.fetchall()) or "en annen"
        except psycopg2.errors.InsufficientPrivilege:  # pg_locks hidden from PUBLIC (docs/database.md)
            cur.execute("ROLLBACK TO SAVEPOINT hvem")
            holders = f"{store.login} får ikke se hvem: pg_locks er skjult for innloggingen"
        raise StoreError(
            f"{faults.sentence(store.location)} er opptatt: en annen «database init» kjører ({holders}), og denne "
            f"ventet {store.lock_timeout:g} sekunder på den. Ingenting er endret; prøv igjen når den er "
            "ferdig."
        ) from None


# Whether the roles are there as ROLE_STATEMENTS makes them: then there is nothing to make, and a
# login without CREATEROLE (the owner of a second database on the server) need not try.
_ROLES_READY = """
SELECT count(*) = 4 AND EXISTS (
    SELECT FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
    WHERE r.rolname = 'fravaer_kontor' AND u.rolname = 'fravaer_eier' AND m.admin_option)
FROM pg_roles WHERE rolname IN ('fravaer_admin', 'fravaer_kundesenter', 'fravaer_eier', 'fravaer_kontor')
"""


def _cannot_make_roles(store: PgStore) -> StoreError:
    login = store.connection().info.user
    return StoreError(
        f"Innloggingen {login} kan ikke opprette fravaer-skjemaet i {store.location}: det trenger rollene "
        f"fravaer_eier og fravaer_admin, og {login} får verken lage dem (CREATEROLE) eller gi seg selv dem. "
        f"Be en DBA kjøre «GRANT fravaer_eier, fravaer_admin TO {login}» (finnes ikke rollene på serveren "
        "ennå, kjør init første gang med en innlogging som har CREATEROLE), og kjør «fravaer database init» "
        "igjen."
    )


def status(store: PgStore, today: date | None = None) -> dict[str, Any]:
    version = store.schema_version()
    offices, fravaer, admin, kundesenter, granted = store.query_one("SELECT * FROM fravaer_api.status()")
    access = role_access(admin, kundesenter, granted) or (
        f"leser og skriver {', '.join(granted)}" if granted else "ingen virksomheter ennå"
    )
    # Which server answered (of a multi-host string), and whether it only reads.
    info = store.connection().info
    host = info.host if info.host and not info.host.startswith("/") else f"socket i {info.host}"
    standby = store.query_one("SELECT pg_is_in_recovery()")[0]
    return {
        "database": store.location,
        "server": f"{host}:{info.port}" + (" (standby: leser bare)" if standby else " (primær: leser og skriver)"),
        "skjema": version,
        "innlogging": store.login,
        "tilgang": access,
        "virksomheter": offices,
        "fravaer": fravaer,
        "tls": tls_of(store),
        "autentisering": authentication_of(store),
        "sertifikat": certificate_of(store, today)[0],
        "statistikk_for_andre": others_statistics(store),
    }


# What docs/database.md's block («What every login can see of the others») takes from PUBLIC: the
# statistics views, pg_locks and pg_prepared_xacts, the functions behind them and the sizes, and
# pg_class's row counts. Those still open to PUBLIC, by name.
_OPEN_TO_PUBLIC = r"""
SELECT name FROM (
    SELECT 1, c.relname::text FROM pg_catalog.pg_class c
     WHERE c.relnamespace = 'pg_catalog'::regnamespace AND c.relkind = 'v'
       AND (c.relname LIKE 'pg\_stat\_%%' OR c.relname LIKE 'pg\_statio\_%%'
            OR c.relname IN ('pg_locks', 'pg_prepared_xacts'))
       AND pg_catalog.has_table_privilege('public', c.oid, 'SELECT')
    UNION ALL
    SELECT 2, 'pg_class.reltuples'
     WHERE pg_catalog.has_column_privilege('public', 'pg_catalog.pg_class', 'reltuples', 'SELECT')
    UNION ALL
    SELECT DISTINCT 3, p.proname || '()' FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'pg_catalog'::regnamespace
       AND (p.proname LIKE 'pg\_stat\_get\_%%' OR p.proname IN ('pg_lock_status', 'pg_blocking_pids',
            'pg_safe_snapshot_blocking_pids', 'pg_isolation_test_session_is_blocked', 'pg_prepared_xact',
            'pg_relation_size', 'pg_total_relation_size', 'pg_table_size', 'pg_indexes_size', 'pg_database_size',
            'pg_tablespace_size'))
       AND pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE')
) open (kind, name) ORDER BY kind, name = 'pg_stat_activity' DESC, name = 'pg_locks' DESC,
    name = 'pg_stat_user_tables' DESC, name
"""


def others_statistics(store: PgStore) -> str:
    """Whether PostgreSQL's own views show every login the others' row counts, logins at work and locks."""
    open_ = [row[0] for row in store.query_all(_OPEN_TO_PUBLIC)]
    if not open_:
        return "skjult"
    named = ", ".join(open_[:3]) + (f" og {len(open_) - 3} til" if len(open_) > 3 else "")
    return f"synlig for alle innlogginger: {named} (se docs/database.md)"


def tls_of(store: PgStore) -> str:
    """The TLS version, and whether the server was verified and against what."""
    info = store.connection().info
    settings = info.dsn_parameters
    mode = settings.get("sslmode", "prefer")
    if not info.ssl_in_use:
        where = "Unix-socket" if (info.host or "").startswith("/") else "ukryptert"
        return f"ingen ({where}, sslmode={mode})"
    root = settings.get("sslrootcert") or "~/.postgresql/root.crt"
    checked = {
        "verify-full": f"serveren verifisert, navn og utsteder (sslmode=verify-full, sslrootcert={root})",
        "verify-ca": f"serverens utsteder verifisert, ikke navnet (sslmode=verify-ca, sslrootcert={root})",
    }.get(mode, f"serveren ikke verifisert (sslmode={mode})")
    return f"{info.ssl_attribute('protocol')}, {checked}"


def authentication_of(store: PgStore) -> str:
    """How the login authenticated: the server's own word where it has one (system_user, PostgreSQL
    16 and later), else what the connection shows (a password sent, a client certificate)."""
    info = store.connection().info
    if info.server_version >= 160000:
        who = store.query_one("SELECT system_user")[0]
        if who is None:
            return "trust (ingen autentisering)"
        method = str(who).split(":", 1)[0]
        return {"cert": "sertifikat", "scram-sha-256": "passord (scram-sha-256)", "md5": "passord (md5)",
                "password": "passord (klartekst)"}.get(method, method)  # fmt: skip
    if info.used_password:
        return "passord"
    if info.ssl_in_use:
        # pg_stat_ssl tells whether this session sent a certificate, unless the operator has hidden the
        # statistics views (database.md); then the certificate the client had to send tells.
        readable = store.query_one(
            "SELECT has_table_privilege('pg_catalog.pg_stat_ssl', 'SELECT') "
            "AND has_function_privilege('pg_catalog.pg_stat_get_activity(integer)', 'EXECUTE')"
        )[0]
        if readable:
            client_dn = store.query_one("SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            if client_dn and client_dn[0]:
                return "sertifikat"
        elif certificate_of(store, None)[0] != "ingen":
            return "sertifikat (sendt av klienten)"
    if (info.host or "").startswith("/"):
        return "peer eller trust (lokal socket)"
    return "trust eller ident"


def certificate_of(store: PgStore, today: date | None) -> tuple[str, str | None]:
    """The client certificate sent (sslcert, else ~/.postgresql/postgresql.crt): its subject and
    expiry, and a warning in its last 30 days."""
    import os

    info = store.connection().info
    if not info.ssl_in_use:
        return "ingen", None
    path = info.dsn_parameters.get("sslcert") or os.path.expanduser("~/.postgresql/postgresql.crt")
    if not os.path.exists(path):
        return "ingen", None
    from fravaer_cli.store.postgres import certificate

    try:
        with open(path, encoding="ascii", errors="replace") as file:
            subject, expires = certificate.read(file.read())
    except (OSError, certificate.Unreadable):
        return f"{path} (kan ikke leses)", None
    ends = expires.date()
    shown = f"{subject}, gyldig til {ends.strftime('%d.%m.%Y')}"
    if today is None:
        return shown, None
    left = (ends - today).days
    if left < 0:
        return shown + " (utløpt)", f"Advarsel: klientsertifikatet {path} utløp {ends.strftime('%d.%m.%Y')}: forny det."
    if left <= 30:
        warning = (
            f"Advarsel: klientsertifikatet {path} utløper {ends.strftime('%d.%m.%Y')}, om {left} dager: "
            "forny virksomhetssertifikatet før det, ellers avviser serveren innloggingen."
        )
        return shown + f" (utløper om {left} dager)", warning
    return shown, None


def _require_admin(store: PgStore, what: str) -> None:
    if not store.query_one("SELECT pg_has_role(session_user, 'fravaer_admin', 'MEMBER')")[0]:
        raise StoreError(f"Bare medlemmer av fravaer_admin kan {what}; {store.login} er ikke det.")


def load(store: PgStore, files: Store, folder: Path) -> tuple[list[str], list[str]]:
    """Copy a file store (files, in folder) in: offices, fravær with their ids and next id, audit logs.
    An office already in the database is left as it is, so re-running changes nothing.
    Returns (loaded, already there)."""
    _require_admin(store, "laste inn et lager")
    if not folder.is_dir():
        raise InputError(f"Finner ikke mappen «{folder}».")
    reading = files.iter_offices()
    offices = [(office, files.read_log(office.orgnr)) for office in reading]
    if reading.unreadable:
        raise reading.unreadable[0]  # the copy is all or nothing
    loaded = store.write_copies(offices)
    return loaded, sorted({office.orgnr for office, _ in offices} - set(loaded))


def dump(store: PgStore, file_store: Callable[[Path], Store], folder: Path) -> list[str]:
    """Write what the login can read as a file store (file_store(a folder) makes one), into a folder
    that is new or empty. It is written in a folder beside it and renamed only when complete: a dump
    cut off leaves no folder that looks like a whole store."""
    import os
    import shutil

    _require_admin(store, "skrive ut hele lageret")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InputError(f"«{folder}» finnes og er ikke en tom mappe; oppgi en ny eller tom mappe.")
    partial = folder.with_name(f".{folder.name}.ufullstendig")
    shutil.rmtree(partial, ignore_errors=True)  # one an earlier dump left when it was cut off
    partial.mkdir(parents=True)
    try:
        # One office at a time, as it is read: a national store need not fit in memory.
        reading = store.iter_offices()
        written = file_store(partial).write_copies((office, store.read_log(office.orgnr)) for office in reading)
        if reading.unreadable:  # a dump without an office is no copy of the store
            raise reading.unreadable[0]
        os.replace(partial, folder)  # onto an empty folder too
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return written


def grant(store: PgStore, login: str, orgnr: str) -> bool:
    """True when the access is new. A login PostgreSQL does not know is refused: access for it
    would be a row no one can use, and "kari har nå tilgang" a promise that does not hold."""
    _require_admin(store, "gi tilgang")
    if store.query_one("SELECT count(*) FROM pg_roles WHERE rolname = %s AND rolcanlogin", (login,))[0] == 0:
        raise InputError(
            f"Innloggingen «{login}» finnes ikke i PostgreSQL (eller kan ikke logge inn). Opprett den først, "
            f"for eksempel «psql -d DATABASE -c 'CREATE ROLE {login} LOGIN'», og gi tilgang etterpå."
        )
    return _changed_rows(store, "SELECT fravaer_api.gi_tilgang(%s, %s)", login, orgnr)


def revoke(store: PgStore, login: str, orgnr: str) -> bool:
    """True when there was such access."""
    _require_admin(store, "ta bort tilgang")
    return _changed_rows(store, "SELECT fravaer_api.ta_tilgang(%s, %s)", login, orgnr)


def _changed_rows(store: PgStore, sql: str, *args: str) -> bool:
    def run(cur: Any) -> bool:
        cur.execute(sql, args)
        return bool(cur.fetchone()[0])

    return store.in_transaction(run)


def role_access(admin: bool, kundesenter: bool, granted: list[str]) -> str | None:
    """What the login's role gives it, beyond the offices it was given one by one (None: nothing)."""
    if admin:
        return "fravaer_admin: leser og skriver alle virksomheter, og gir tilgang"
    if kundesenter:
        return "fravaer_kundesenter: leser alle virksomheter" + (f"; skriver {', '.join(granted)}" if granted else "")
    return None


def own_role(store: PgStore) -> str | None:
    """role_access() of the login itself."""
    _, _, admin, kundesenter, granted = store.query_one("SELECT * FROM fravaer_api.status()")
    return role_access(admin, kundesenter, granted)


def access_list(store: PgStore, orgnr: str | None = None, login: str | None = None) -> list[dict[str, Any]]:
    rows = store.query_all("SELECT * FROM fravaer_api.tilganger(%s, %s)", (orgnr, login))
    return [dict(zip(("login", "virksomhet", "navn", "gitt_av", "gitt"), row, strict=True)) for row in rows]
