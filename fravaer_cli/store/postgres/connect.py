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
    """Where the database is, for people: host (or socket) and database name, never the password,
    as libpq finds them (the string, the service file, the environment).
    The first use of the driver: a StoreError when it is not installed."""
    parts = parsed(dsn)
    if parts is None:  # not a string libpq reads: nothing of it is said, since any of it may be a password
        return "«tilkoblingsstrengen libpq ikke kan lese»"
    settings = effective(dsn)
    service = parts.get("service") or os.environ.get("PGSERVICE")
    if service and not parts.get("host") and not parts.get("dbname"):
        return f"tjenesten «{service}»"
    host = settings.get("host") or settings.get("hostaddr") or "lokal socket"
    # An unencoded @ in a URI's password: libpq takes what follows the first @ as part of the host.
    host = ",".join(h.rsplit("@", 1)[-1] for h in host.split(","))
    port = settings.get("port")
    name = settings.get("dbname") or settings.get("user") or ""
    return f"«{name}» på {host}{':' + port if port else ''}"


def secrets(dsn: str) -> list[str]:
    """Every piece of dsn that is, or may be, a password, longest first: the password libpq reads,
    and for a URI whatever stands between the user name's colon and the last @ before the host."""
    from urllib.parse import unquote

    found = set()
    read = parsed(dsn)
    parts = read or {}
    if parts.get("password"):
        found.add(parts["password"])
    uri = re.match(r"^postgres(?:ql)?://([^/?#]*)", dsn or "")
    if uri and "@" in uri[1]:
        userinfo = uri[1].rsplit("@", 1)[0]
        if ":" in userinfo:
            raw = userinfo.split(":", 1)[1]
            found.update({raw, unquote(raw), *raw.split("@"), *unquote(raw).split("@")})
    if not read:  # unread: any password= value, however spelt
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
    default is to wait for ever for a server that accepts and never answers), and over the network
    a server that proves who it is (sslmode=verify-full) unless the string, a service file or
    $PGSSLMODE chose a mode (libpq's default, prefer, talks in clear text to whatever answers)."""
    from fravaer_cli.store.postgres.faults import DEFAULT_CONNECT_TIMEOUT

    given = parsed(dsn) or {}
    defaults: dict[str, Any] = {}
    if not ("connect_timeout" in given or os.environ.get("PGCONNECT_TIMEOUT")):
        defaults["connect_timeout"] = DEFAULT_CONNECT_TIMEOUT
    settings = effective(dsn)
    if "sslmode" not in settings and any(not local(host) for host in hosts(settings)):
        defaults["sslmode"] = "verify-full"
        if "sslrootcert" not in settings and not os.path.exists(_home_file("root.crt")):
            from psycopg2.extensions import libpq_version

            if libpq_version() >= 160000:  # the operating system's authorities (libpq 16 and later)
                defaults["sslrootcert"] = "system"
    return defaults


# Settings libpq takes from a service file or the environment when the string does not give them.
ENVIRONMENT = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "dbname": "PGDATABASE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "require_auth": "PGREQUIREAUTH",
    "channel_binding": "PGCHANNELBINDING",
    "user": "PGUSER",
    "passfile": "PGPASSFILE",
}


def effective(dsn: str) -> dict[str, str]:
    """The settings libpq will use for dsn, in its order: the string, then the service file's entry
    (service= or $PGSERVICE), then the environment. Only the settings fravaer looks at."""
    given = parsed(dsn) or {}
    service = given.get("service") or os.environ.get("PGSERVICE")
    entry = service_entry(service) if service else {}
    settings = {}
    for key, variable in ENVIRONMENT.items():
        value = given.get(key) or entry.get(key) or os.environ.get(variable)
        if value:
            settings[key] = value
    return settings


def service_entry(service: str) -> dict[str, str]:
    """A service's settings, from the user's service file ($PGSERVICEFILE, else ~/.pg_service.conf),
    else the system's ($PGSYSCONFDIR/pg_service.conf), as libpq looks them up."""
    import configparser

    files = [os.environ.get("PGSERVICEFILE") or os.path.expanduser("~/.pg_service.conf")]
    files.append(os.path.join(os.environ.get("PGSYSCONFDIR") or "/etc/postgresql-common", "pg_service.conf"))
    for file in files:
        reader = configparser.ConfigParser(interpolation=None, strict=False)
        reader.optionxform = str  # type: ignore[assignment,method-assign]  # libpq's keywords are as written
        try:
            reader.read(file, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError):
            continue
        if reader.has_section(service):
            return dict(reader.items(service))
    return {}


def hosts(settings: dict[str, str]) -> list[str]:
    """The servers named, by name (host) where there is one, else by address (hostaddr)."""
    names = (settings.get("host") or "").split(",")
    addresses = (settings.get("hostaddr") or "").split(",")
    count = max(len(names), len(addresses))
    return [(names[i] if i < len(names) else "") or (addresses[i] if i < len(addresses) else "") for i in range(count)]


def local(host: str) -> bool:
    """A Unix socket (a path, or none given), localhost, or a loopback address."""
    import ipaddress

    host = host.strip()
    if not host or host.startswith(("/", "@")) or host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _home_file(name: str) -> str:
    return os.path.join(os.path.expanduser("~"), ".postgresql", name)


def tls_refusal(dsn: str, text: str, where: str) -> StoreError | None:
    """libpq's TLS refusals: the server's certificate, or ours, or no TLS at all."""
    settings = {**effective(dsn), **{k: v for k, v in connect_defaults(dsn).items() if k.startswith("ssl")}}
    mode, root = settings.get("sslmode", "prefer"), settings.get("sslrootcert") or _home_file("root.crt")
    if "does not support SSL" in text:
        return StoreError(
            f"Serveren for {where} tilbyr ikke TLS, og fravaer sender ikke fravær og innlogging ukryptert "
            f"over nettet (sslmode={mode}): be den som drifter serveren slå på ssl, eller sett sslmode=disable "
            "bare på et nett du stoler på helt."
        )
    if "does not match host name" in text:
        return StoreError(
            f"Serveren for {where} viste et sertifikat utstedt for et annet navn, så den kan være en annen "
            "enn den skal: sjekk host= mot navnet i serverens sertifikat, og ikke koble til før det stemmer."
        )
    if "root certificate file" in text and "does not exist" in text:
        return StoreError(
            f"Serveren for {where} kan ikke verifiseres: rotsertifikatet {root} finnes ikke. Oppgi "
            "sertifikatutstederens rotsertifikat med sslrootcert= (eller i ~/.postgresql/root.crt)."
        )
    if "certificate verify failed" in text:
        return StoreError(
            f"Serveren for {where} har et sertifikat som ikke er utstedt av en utsteder fravaer stoler "
            f"på (sslrootcert={root}): oppgi riktig sertifikatutsteders rotsertifikat med sslrootcert=, og "
            "koble ikke til før det stemmer."
        )
    cert = settings.get("sslcert") or _home_file("postgresql.crt")
    if "certificate expired" in text:
        return StoreError(
            f"Serveren for {where} avviste sertifikat-innloggingen: klientsertifikatet {cert} er utløpt. "
            "Forny virksomhetssertifikatet og pek sslcert= og sslkey= på det nye."
        )
    if any(s in text for s in ("unknown ca", "bad certificate", "certificate required", "valid client certificate",
                               "certificate unknown", "unsupported certificate", "decrypt error")):  # fmt: skip
        return StoreError(
            f"Serveren for {where} avviste sertifikat-innloggingen: klientsertifikatet {cert} mangler, "
            "eller er ikke utstedt av en utsteder serveren stoler på (ssl_ca_file). Sjekk sslcert= og sslkey=, "
            "eller be den som drifter serveren godta utstederen."
        )
    if (
        "could not open certificate file" in text
        or "could not load private key" in text
        or ("private key file" in text)
    ):
        return StoreError(
            f"Klientsertifikatet eller nøkkelen for {where} kan ikke leses ({cert}, sslkey=): sjekk stiene, og at "
            "nøkkelen bare kan leses av deg (chmod 600)."
        )
    return None


def login_of(dsn: str) -> str:
    """The login libpq uses for dsn: its user, else the service file's, else $PGUSER, else the
    system's user name (under cron, the user the job runs as)."""
    if user := effective(dsn).get("user"):
        return user
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return f"uid {os.getuid()}"


def _service_file_refusal(text: str) -> StoreError | None:
    """libpq's refusals of the service file (PGSERVICEFILE, ~/.pg_service.conf): they name the file
    and line, never a value, so they are said with the file and line."""
    user_file = os.environ.get("PGSERVICEFILE") or os.path.expanduser("~/.pg_service.conf")
    if m := re.search(r'definition of service "([^"]*)" not found', text):
        return StoreError(
            f"Finner ikke tjenesten «{m[1]}» i tjenestefilen {user_file} (PGSERVICEFILE) eller systemets "
            "pg_service.conf: sjekk navnet i service= eller PGSERVICE, og [navnet] i filen."
        )
    if m := re.search(r'service file "([^"]*)" not found', text):
        return StoreError(f"Tjenestefilen {m[1]} finnes ikke: sjekk PGSERVICEFILE.")
    if at := re.search(r'service file "([^"]*)", line (\d+)', text):
        path, line = at[1], at[2]
    elif too_long := re.search(r'line (\d+) too long in service file "([^"]*)"', text):
        path, line = too_long[2], too_long[1]
    else:
        return None
    from psycopg2.extensions import libpq_version

    return StoreError(
        f"Tjenestefilen {path} kan ikke leses på linje {line}: hver linje er [tjeneste] eller nøkkelord=verdi, "
        f"med et nøkkelord libpq {libpq_version() // 10000} kjenner (require_auth krever libpq 16 eller nyere)."
    )


# libpq's reasons when require_auth refuses what the server asked for.
ASKED = {
    "server requested a cleartext password": "passordet i klartekst",
    "server requested a hashed password": "et md5-passord",
    "server requested SASL authentication": "SCRAM (scram-sha-256)",
    "server requested GSSAPI authentication": "GSSAPI (Kerberos)",
    "server requested SSPI authentication": "SSPI",
    "server requested an unknown authentication type": "en autentisering libpq ikke kjenner",
}


def _method_refusal(dsn: str, text: str, where: str) -> StoreError | None:
    """require_auth and channel_binding, refusing what the server asked for before any password is sent."""
    if m := re.search(r'authentication method requirement "([^"]*)" failed: ([^\n]*)', text):
        required, reason = m[1], m[2].strip()
        if "did not complete authentication" in reason:
            return StoreError(
                f"Serveren for {where} slapp innloggingen «{login_of(dsn)}» inn uten å be om passord (sertifikat, "
                f"peer eller trust), men require_auth={required} krever det: fravaer koblet ikke til. Sjekk host=, "
                "og bruk ikke require_auth for en sertifikat-innlogging."
            )
        asked = next((said for english, said in ASKED.items() if english in reason), "en annen autentisering")
        return StoreError(
            f"Serveren for {where} ba om {asked}, som require_auth={required} ikke tillater: fravaer sendte ikke "
            "passordet og koblet ikke til. Sjekk at host= er riktig server, og be den som drifter den kreve "
            "scram-sha-256 (pg_hba.conf, eller PgBouncers auth_type)."
        )
    if "channel binding" in text:
        return StoreError(
            f"Serveren for {where} tilbyr ikke kanalbinding (channel_binding=require), så fravaer koblet ikke til: "
            "PgBouncer kan ikke det; bruk require_auth=scram-sha-256 i stedet (libpq 16 og nyere)."
        )
    return None


def _no_password(dsn: str, where: str) -> StoreError:
    """No password found: the password file is missing a line for this server, or libpq skipped it
    because others can read it (libpq's own warning of that, in English, comes before this line)."""
    settings = effective(dsn)
    file = settings.get("passfile") or os.path.join(os.path.expanduser("~"), ".pgpass")
    login = login_of(dsn)
    try:
        readable_by_others = os.stat(file).st_mode & 0o077
    except OSError:
        return StoreError(
            f"PostgreSQL ba om passord-autentisering for innloggingen «{login}» til {where}, men passordfilen "
            f"{file} finnes ikke: legg passordet der (chmod 600), eller pek PGPASSFILE på filen."
        )
    if readable_by_others:
        return StoreError(
            f"PostgreSQL ba om passord-autentisering for innloggingen «{login}» til {where}, men passordfilen "
            f"{file} kan leses av andre, så libpq bruker den ikke: kjør «chmod 600 {file}»."
        )
    return StoreError(
        f"PostgreSQL ba om passord-autentisering for innloggingen «{login}» til {where}, men ingen linje i "
        f"{file} passer: vert:port:database:innlogging:passord, med verten skrevet som i host=."
    )


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
    if service := _service_file_refusal(text):
        return service
    where = describe(dsn)
    if refused := _method_refusal(dsn, text, where):
        return refused
    if tls := tls_refusal(dsn, text, where):
        return tls
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
            f"PostgreSQL avviste innloggingen «{login_of(dsn)}» til {where} med sertifikat-autentisering: navnet "
            "i klientsertifikatet (organisasjonsnummeret, eller CN) svarer ikke til innloggingen (pg_ident.conf). "
            "Sjekk sslcert, sslkey og user=."
        )
    if "no pg_hba.conf entry" in text or "pg_hba.conf rejects connection" in text:
        return StoreError(
            f"PostgreSQL tar ikke imot innloggingen «{login_of(dsn)}» til {where} fra denne maskinen eller på "
            "denne måten (pg_hba.conf): be en DBA åpne for den, eller sjekk host= og sslmode."
        )
    if "no password supplied" in text:
        return _no_password(dsn, where)
    if "password authentication failed" in text or "authentication failed" in text:
        return StoreError(
            f"PostgreSQL avviste innloggingen «{login_of(dsn)}» til {where} med passord-autentisering: feil "
            "passord eller bruker. Sjekk ~/.pgpass (PGPASSFILE), tjenestefilen (PGSERVICE) eller user=."
        )
    if m := re.search(r"no such database: (\S+)", text):  # PgBouncer's answer, before any server is asked
        return StoreError(
            f"PgBouncer for {where} kjenner ikke databasen «{m[1]}»: be den som drifter PgBouncer legge den under "
            "[databases] i pgbouncer.ini, eller sjekk dbname=."
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
