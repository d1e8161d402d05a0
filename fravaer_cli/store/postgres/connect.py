"""Reaching the server: the driver, imported only by the commands that use the database, and a
connection string described, and its refusals said, without ever showing a password."""

import os
import re
from typing import Any

from fravaer_cli.domain.errors import StoreError

# The driver is the extra `postgres` (pyproject.toml): an install without it still runs on files.
MISSING_DRIVER = (
    "Den delte databasen krever PostgreSQL-driveren: installer fravaer med "
    "«pip install 'fravaer[postgres]'» (eller psycopg2)."
)


def driver() -> Any:
    """psycopg2, imported without the ssl module; a StoreError saying what to install when
    psycopg2 itself is not installed (an import error inside it is left as it is: a bug).

    psycopg2 imports ssl only to share Python's OpenSSL thread callbacks with libpq,
    which OpenSSL 1.1 and later do not need; when that import fails, psycopg2 leaves
    OpenSSL to libpq, as every C program on libpq does: a call to the database does not
    pay for the ssl module. Afterwards ssl imports as usual."""
    import sys

    try:
        if "psycopg2" not in sys.modules and "ssl" not in sys.modules:
            sys.modules["ssl"] = None  # type: ignore[assignment]  # import ssl raises ImportError
            try:
                import psycopg2  # noqa: F401
            finally:
                del sys.modules["ssl"]
        import psycopg2
    except ImportError as e:
        if e.name != "psycopg2":
            raise
        raise StoreError(MISSING_DRIVER) from None
    return psycopg2


def parsed(dsn: str) -> dict[str, str] | None:
    """The connection string as libpq itself reads it (keyword/value or URI, percent-encoding,
    query parameters, several hosts); None when libpq cannot read it."""
    if not dsn:
        return {}
    driver()
    from psycopg2.extensions import parse_dsn

    try:
        return dict(parse_dsn(dsn))
    except Exception:
        return None


def describe(dsn: str) -> str:
    """Where the database is, for people: host (or socket) and database name, never the password.
    The first use of the driver: a StoreError when it is not installed."""
    parts = parsed(dsn)
    if parts is None:  # not a string libpq reads: nothing of it is said, since any of it may be a password
        return "«tilkoblingsstrengen libpq ikke kan lese»"
    host = parts.get("host") or os.environ.get("PGHOST") or parts.get("hostaddr") or "lokal socket"
    # An unencoded @ in a URI's password: libpq takes what follows the first @ as part of the host.
    host = ",".join(h.rsplit("@", 1)[-1] for h in host.split(","))
    port = parts.get("port") or os.environ.get("PGPORT")
    service = parts.get("service") or os.environ.get("PGSERVICE")
    name = parts.get("dbname") or os.environ.get("PGDATABASE") or parts.get("user") or os.environ.get("PGUSER") or ""
    if service and not parts.get("host") and not parts.get("dbname"):
        return f"tjenesten «{service}»"
    return f"«{name}» på {host}{':' + port if port else ''}"


def secrets(dsn: str) -> list[str]:
    """Every piece of dsn that is, or may be, a password, longest first: the password libpq reads,
    and for a URI whatever stands between the user name's colon and the last @ before the host."""
    from urllib.parse import unquote

    found = set()
    parts = parsed(dsn) or {}
    if parts.get("password"):
        found.add(parts["password"])
    uri = re.match(r"^postgres(?:ql)?://([^/?#]*)", dsn or "")
    if uri and "@" in uri[1]:
        userinfo = uri[1].rsplit("@", 1)[0]
        if ":" in userinfo:
            raw = userinfo.split(":", 1)[1]
            found.update({raw, unquote(raw), *raw.split("@"), *unquote(raw).split("@")})
    if parts is None or not parts:  # unread: any password= value, however spelt
        for m in re.finditer(r"pass(?:word|%77ord|%77%6f%72%64)\s*=\s*('(?:[^'\\]|\\.)*'?|[^\s&]*)", dsn or "", re.I):
            found.update({m[1], m[1].strip("'")})
    return sorted((s for s in found if s), key=len, reverse=True)


def holds_password(dsn: str) -> bool:
    """dsn carries a password (as libpq reads it, or what may be one in a string it cannot read)."""
    return bool(secrets(dsn)) or re.search(r"pass(word|%77)", dsn or "", re.I) is not None


def without_password(text: str, dsn: str = "") -> str:
    """text with any password=… value (quoted or not, quote closed or not), and every piece of
    dsn's password, left out."""
    text = re.sub(r"pass(?:word|%77ord)\s*=\s*('(?:[^'\\]|\\.)*'?|\S*)", "password=…", text, flags=re.I)
    for secret in secrets(dsn) if dsn else ():
        text = text.replace(secret, "…")
    return text


def connect_defaults(dsn: str) -> dict[str, Any]:
    """What libpq is given beside the string: a connect timeout unless the user set one (libpq's
    default is to wait for ever for a server that accepts and never answers)."""
    from fravaer_cli.store.postgres.faults import DEFAULT_CONNECT_TIMEOUT

    given = parsed(dsn) or {}
    if "connect_timeout" in given or os.environ.get("PGCONNECT_TIMEOUT"):
        return {}
    return {"connect_timeout": DEFAULT_CONNECT_TIMEOUT}


def login_of(dsn: str) -> str:
    """The login libpq uses for dsn: its user, else $PGUSER, else the system's user name (under
    cron, the user the job runs as)."""
    user = (parsed(dsn) or {}).get("user")
    if user or os.environ.get("PGUSER"):
        return user or os.environ["PGUSER"]
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return f"uid {os.getuid()}"


def _system_user() -> str:
    import getpass

    try:
        return f"«{getpass.getuser()}»"
    except Exception:
        return f"med uid {os.getuid()}"


def connection_error(dsn: str, error: Exception) -> StoreError:
    """libpq's reason, said in Norwegian with what to do."""
    text = str(error)
    if parsed(dsn) is None:
        return StoreError(
            "Tilkoblingsstrengen (--database eller $FRAVAER_DATABASE_URL) kan ikke leses av libpq: sjekk "
            "anførselstegn, prosent-koding og nøkkelordene; se libpq-dokumentasjonen."
        )
    where = describe(dsn)
    if "Peer authentication failed" in text or "Ident authentication failed" in text:
        # Peer (a Unix socket) and ident check who the user is on this machine; no password is asked.
        method = "peer" if "Peer" in text else "ident"
        return StoreError(
            f"PostgreSQL avviste innloggingen «{login_of(dsn)}» til {where}: serveren godtar den bare med "
            f"{method}-autentisering, og systembrukeren {_system_user()} er ikke den innloggingen. Kjør som "
            "den brukeren, oppgi en innlogging som svarer til systembrukeren (user=), eller be en DBA om en "
            "tilordning i pg_ident.conf."
        )
    if "certificate authentication failed" in text or "certificate" in text and "does not match" in text:
        return StoreError(
            f"PostgreSQL avviste klientsertifikatet for innloggingen «{login_of(dsn)}» til {where}: navnet i "
            "sertifikatet (CN) svarer ikke til innloggingen. Sjekk sslcert, sslkey og user=."
        )
    if "no pg_hba.conf entry" in text or "pg_hba.conf rejects connection" in text:
        return StoreError(
            f"PostgreSQL tar ikke imot innloggingen «{login_of(dsn)}» til {where} fra denne maskinen eller på "
            "denne måten (pg_hba.conf): be en DBA åpne for den, eller sjekk host= og sslmode."
        )
    if "password authentication failed" in text or "no password supplied" in text or "authentication failed" in text:
        return StoreError(
            f"PostgreSQL avviste innloggingen «{login_of(dsn)}» til {where} med passord-autentisering: feil "
            "passord eller bruker. Sjekk ~/.pgpass (PGPASSFILE), tjenestefilen (PGSERVICE) eller user=."
        )
    if "does not exist" in text and "database" in text:
        return StoreError(f"Databasen {where} finnes ikke: opprett den (createdb), og kjør «fravaer database init».")
    if "does not exist" in text and "role" in text:
        return StoreError(
            f"Innloggingen «{login_of(dsn)}» finnes ikke i PostgreSQL ({where}): be en administrator opprette den."
        )
    if "timeout expired" in text:
        return StoreError(
            f"PostgreSQL-serveren for {where} svarte ikke innen tidsfristen for tilkobling (connect_timeout). "
            "Sjekk at serveren kjører og ikke henger, og prøv igjen."
        )
    if "read-write" in text or "hot standby" in text or "read-only" in text or "writable" in text:
        return StoreError(
            f"Ingen av serverne for {where} tar imot skriving nå (target_session_attrs=read-write): de som svarer "
            "er standby. Vent til en er forfremmet til primær, eller les med target_session_attrs=any."
        )
    if "too many clients" in text or "too many connections" in text or "remaining connection slots" in text:
        from fravaer_cli.store.postgres.faults import no_free_connection

        return no_free_connection(where)
    if "starting up" in text or "shutting down" in text or "in recovery mode" in text:
        return StoreError(f"PostgreSQL-serveren for {where} starter opp eller stenger ned. Prøv igjen om litt.")
    if "could not translate host name" in text:
        return StoreError(f"Finner ikke serveren for {where} (navnet slås ikke opp i DNS): sjekk host= og nettet.")
    if "Connection refused" in text or "No such file or directory" in text or "could not connect" in text:
        return StoreError(
            f"Ingen PostgreSQL-server svarer for {where}. Start serveren, eller sjekk --database og "
            "$FRAVAER_DATABASE_URL."
        )
    if "invalid" in text or "missing" in text or "syntax" in text:
        return StoreError(f"Tilkoblingsstrengen for --database kan ikke brukes ({where}); se libpq-dokumentasjonen.")
    first = without_password(text.strip().splitlines()[0] if text.strip() else type(error).__name__, dsn)
    return StoreError(f"Kan ikke koble til PostgreSQL ({where}): {first}")
