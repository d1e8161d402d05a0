"""Issue 33: no message shows a password, whatever the form of the connection string libpq
accepts, and a password given on the command line is warned of."""

from typing import Any
from urllib.parse import quote

import pytest

from tests.helpers import EXECUTABLE, add_args, run_database

SECRET = "Hemmelig7@Ord9"
PIECES = ("Hemmelig7", "Ord9", "emmelig")

FORMS = [
    "host={host} dbname={db} user=eier password=Hemmelig7Ord9",
    "host={host} dbname={db} user=eier password = Hemmelig7Ord9",
    "host={host} dbname={db} user=eier password='Hemmelig7 Ord9'",
    r"host={host} dbname={db} user=eier password='Hemmelig7\'Ord9\\'",
    "host={host} dbname={db} user=eier password=Hemmelig7@Ord9",
    "postgresql://eier:Hemmelig7%40Ord9@/{db}?host={qhost}",
    "postgresql://eier:Hemmelig7@Ord9@/{db}?host={qhost}",
    "postgres://eier:Hemmelig7Ord9@/{db}?host={qhost}&connect_timeout=5",
    "postgresql://eier@/{db}?host={qhost}&password=Hemmelig7Ord9",
    "postgresql://eier@/{db}?host={qhost}&pass%77ord=Hemmelig7Ord9",
    "postgresql://eier@/{db}?host={qhost}&%70assword=Hemmelig7%40Ord9",
    "host={host},{host} port=5432,5432 dbname={db} user=eier password=Hemmelig7Ord9",
    "postgresql://eier:Hemmelig7Ord9@/{db}?host={qhost},{qhost}&port=5432,5432",
    # strings libpq cannot read: nothing of them is said
    "host={host} dbname={db} user=eier password='Hemmelig7Ord9",
    "postgresql://eier:Hemmelig7%ZZOrd9@/{db}?host={qhost}",
    "postgresql://eier@/{db}?host={qhost}&pass%77ord=Hemmelig7Ord9&bogus%=1",
    "host={host} dbname={db} user=eier passwrd=Hemmelig7Ord9",
]


def shown(result) -> str:
    return result.stdout + result.stderr


@pytest.mark.parametrize("form", FORMS)
def test_no_message_about_a_connection_shows_its_password(pg_server, form, tmp_path):
    places = {
        "wrong password": (str(pg_server.socket), "postgres"),
        "unknown database": (str(pg_server.socket), "finnes_ikke"),
        "no server": (str(tmp_path), "postgres"),
    }
    for what, (host, db) in places.items():
        dsn = form.format(host=host, qhost=quote(host, safe=""), db=db)
        for args in (("status", "--all"), add_args()):
            result = run_database(dsn, *args, timeout=60)
            assert result.returncode == 5, (what, dsn, result.stderr)
            assert not any(p in shown(result) for p in PIECES), (what, dsn, result.stderr)
            assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_the_server_named_in_a_uri_with_an_unencoded_at_is_only_its_host(pg_server, tmp_path):
    result = run_database(f"postgresql://kari:hun@ter2@{tmp_path.name}.invalid/fravaer", "status", "--all")
    assert result.returncode == 5 and "ter2" not in shown(result) and "hun" not in shown(result), result.stderr


def test_a_refused_password_login_names_the_method(pg_server):
    result = run_database(pg_server.dsn(password="feil"), "status", "--all")
    assert result.returncode == 5 and "passord-autentisering" in result.stderr, result.stderr


@pytest.mark.parametrize(
    "dsn",
    [
        "host=/nowhere dbname=fravaer password=Hemmelig7Ord9",
        "postgresql://eier:Hemmelig7Ord9@/fravaer?host=/nowhere",
        "postgresql://eier@/fravaer?host=/nowhere&pass%77ord=Hemmelig7Ord9",
    ],
)
def test_a_password_on_the_command_line_is_warned_of_and_the_command_still_runs(dsn):
    import subprocess

    result = subprocess.run([EXECUTABLE, "--database", dsn, "status", "--all"], capture_output=True, text=True)
    warning, error = result.stderr.strip().splitlines()
    assert "Advarsel" in warning and "~/.pgpass" in warning and "PGSERVICE" in warning and "PGPASSFILE" in warning
    assert result.returncode == 5 and "Ingen PostgreSQL-server" in error
    assert not any(p in result.stderr for p in PIECES)


def test_no_warning_without_a_password_on_the_command_line(tmp_path):
    import subprocess

    result = subprocess.run(
        [EXECUTABLE, "--database", f"host={tmp_path} dbname=fravaer user=eier", "status", "--all"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 5 and "Advarsel" not in result.stderr


# -- a password from ~/.pgpass, PGPASSFILE or a service file, watched on a real server --------
#
# The guide keeps passwords out of connection strings: in ~/.pgpass, the file PGPASSFILE names, or
# a service file. Then the password is on this machine only in that file and in libpq's memory.
# These tests watch every process's command line while fravaer runs (and the environment of
# fravaer and anything it starts), and the server's log with every connection and statement
# logged, for a login that succeeds, a statement the server refuses, and a login it refuses.

LOGGING = {
    "log_connections": "on",
    "log_disconnections": "on",
    "log_statement": "all",
    "log_min_error_statement": "error",
    # application_name on every line: a password put there would show in each.
    "log_line_prefix": "%m [%p] %u@%d app=%a ",
}

# Each form the tests above try, without its password: keyword/value (spaces, quotes and escapes),
# URIs with encoded characters, query parameters, percent-encoded keywords, several hosts, a service.
FORMS_WITHOUT_PASSWORD = [
    "host={host} hostaddr=127.0.0.1 port={port} dbname=fravaer user={user} sslrootcert={ca}",
    "host = {host} hostaddr= 127.0.0.1 port ={port} dbname=fravaer user={user} sslrootcert={ca}",
    r"host='{host}' hostaddr='127.0.0.1' port='{port}' dbname='fravaer' user='{user}' sslrootcert='{ca}'"
    r" application_name='a \'b\' c\\'",
    "postgresql://{user}@{host}:{port}/fravaer?hostaddr=127.0.0.1&sslrootcert={qca}",
    "postgres://%{hexuser}@%64b.fravaer.test:{port}/%66ravaer?hostaddr=127%2E0.0.1&sslrootcert={qca}&connect_timeout=5",
    "postgresql://{user}@/fravaer?host={host}&hostaddr=127.0.0.1&port={port}&sslrootcert={qca}",
    "postgresql://{user}@/fravaer?%68ost={host}&%68ostaddr=127.0.0.1&%70ort={port}&%73slrootcert={qca}",
    "host={host},{host} hostaddr=127.0.0.1,127.0.0.1 port={port},{port} dbname=fravaer user={user} sslrootcert={ca}",
    "postgresql://{user}@{host}:{port},{host}:{port}/fravaer?hostaddr=127.0.0.1,127.0.0.1&sslrootcert={qca}",
    "service=fravaer-{user}",
]
SOURCES = ("~/.pgpass", "PGPASSFILE", "tjenestefil")


@pytest.fixture(scope="module")
def logged_server(tmp_path_factory):
    """A server with TLS on 127.0.0.1 (db.fravaer.test), logging every connection and statement.
    kari may read and write office A, kim is in the kundesenter (reads, may not write), and the
    password files hold SECRET for both and for ola, whose real password is another."""
    import shutil

    from tests import certs, pg
    from tests.helpers import NO_SKIP

    if pg.binaries() is None or shutil.which("openssl") is None:
        if NO_SKIP:
            pytest.fail("PostgreSQL's server binaries and openssl are needed (.ci/run installs them)")
        pytest.skip("PostgreSQL's server binaries or openssl are not installed")
    tls = certs.make(tmp_path_factory.mktemp("certs"), ("974760673", "988077917"))
    server = pg.Server(tls=tls["server"], hba="hostssl all all 127.0.0.1/32 scram-sha-256\n").start()
    server.sql("postgres", "CREATE DATABASE fravaer OWNER eier")
    eier = f"host={server.socket} port={server.port} dbname=fravaer user=eier password=pw-eier"
    assert run_database(eier, "database", "init").returncode == 0
    assert run_database(eier, "access", "grant", "kari", "--virksomhet", "974760673").returncode == 0
    assert run_database(eier, *add_args()).returncode == 0
    server.sql("postgres", "GRANT fravaer_kundesenter TO kim")
    for login in ("kari", "kim"):  # before the statements are logged
        server.sql("postgres", f"ALTER ROLE {login} PASSWORD '{SECRET}'")
    # Most forms of FORMS carry this one, so that a password typed into --database also logs in.
    server.sql("postgres", "ALTER ROLE eier PASSWORD 'Hemmelig7Ord9'")
    for name, value in LOGGING.items():
        server.sql("postgres", f"ALTER SYSTEM SET {name} = '{value}'")
    server.sql("postgres", "SELECT pg_reload_conf()")
    server.ca = tls["ca"]
    yield server
    server.stop()


def _password_files(folder, server, source: str, user: str) -> dict:
    """The environment that gives libpq SECRET from one source, and a service file
    (fravaer-<login>) with every setting of the connection, the password only for that source: a
    string that names no service takes what it lacks from PGSERVICE's."""
    import os

    home = folder / "hjem"
    home.mkdir(exist_ok=True)
    lines = "".join(f"db.fravaer.test:{server.port}:fravaer:{login}:{SECRET}\n" for login in ("kari", "kim", "ola"))
    services = "".join(
        f"[fravaer-{login}]\nhost=db.fravaer.test\nhostaddr=127.0.0.1\nport={server.port}\ndbname=fravaer\n"
        f"user={login}\nsslrootcert={server.ca}\n" + (f"password={SECRET}\n" if source == "tjenestefil" else "")
        for login in ("kari", "kim", "ola")
    )
    (folder / "pg_service.conf").write_text(services)
    env = {"HOME": str(home), "PGSERVICEFILE": str(folder / "pg_service.conf"), "PGPASSFILE": "/nonexistent"}
    if source == "tjenestefil":
        env["PGSERVICE"] = f"fravaer-{user}"
    elif source == "~/.pgpass":
        (home / ".pgpass").write_text(lines)
        os.chmod(home / ".pgpass", 0o600)
        del env["PGPASSFILE"]
    elif source == "PGPASSFILE":
        (folder / "passord").write_text(lines)
        os.chmod(folder / "passord", 0o600)
        env["PGPASSFILE"] = str(folder / "passord")
    return env


def _watched(argv: list[str], env: dict) -> tuple[Any, list[tuple[int, str, str]]]:
    """argv run to its end while every process's command line is read, again and again, with the
    environment of the process and of every process it starts. Returns the result (its pid too) and
    what was seen: (pid, "cmdline" or "environ", its text)."""
    import os
    import subprocess
    import threading

    def read(path: str) -> str | None:
        try:
            with open(path, "rb") as file:
                return file.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process has ended, or is not ours to read
            return None

    def descendants(root: int) -> set[int]:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and (stat := read(f"/proc/{entry}/stat")):
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
        found, more = {root}, True
        while more:
            more = {pid for pid, parent in parents.items() if parent in found and pid not in found}
            found |= more
        return found

    seen: set[tuple[int, str, str]] = set()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            for entry in os.listdir("/proc"):
                if entry.isdigit() and (line := read(f"/proc/{entry}/cmdline")):
                    seen.add((int(entry), "cmdline", line))
            for pid in descendants(proc.pid):
                if environment := read(f"/proc/{pid}/environ"):
                    seen.add((pid, "environ", environment))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        done.set()
        watcher.join()
    result = subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)
    result.pid = proc.pid  # type: ignore[attr-defined]
    return result, sorted(seen)


def _form(form: str, server, user: str) -> str:
    from urllib.parse import quote

    return form.format(
        host="db.fravaer.test", port=server.port, user=user, hexuser=f"{ord(user[0]):02X}{user[1:]}",
        ca=server.ca, qca=quote(str(server.ca), safe=""),
    )  # fmt: skip


def test_no_password_from_a_password_file_reaches_a_command_line_an_environment_or_the_server_log(
    logged_server, tmp_path
):
    """For every form: kari lists (a login that succeeds), kim adds (a statement the server
    refuses), ola lists with a password the server refuses; each with the password from one of
    ~/.pgpass, PGPASSFILE and the service file, in turn."""
    import os

    from tests.helpers import EXECUTABLE

    cases = [
        ("kari", ["list", "--virksomhet", "974760673", "--json"], 0, ""),
        ("kim", add_args(fra="01.09.2030", til="02.09.2030"), 5, "skrive"),
        ("ola", ["list", "--virksomhet", "974760673"], 5, "passord-autentisering"),
    ]
    for i, form in enumerate(FORMS_WITHOUT_PASSWORD):
        for j, (user, args, code, said) in enumerate(cases):
            source = SOURCES[(i + j) % len(SOURCES)]
            folder = tmp_path / f"{i}-{j}"
            folder.mkdir()
            dsn = _form(form, logged_server, user)
            assert "password" not in dsn and SECRET not in dsn
            env = {**os.environ, **_password_files(folder, logged_server, source, user), "FRAVAER_DATABASE_URL": dsn}
            result, seen = _watched([EXECUTABLE, *args], env)
            assert (result.pid, "cmdline") in {s[:2] for s in seen}, "the watcher never saw fravaer run"
            what = (form, user, source, result.stderr)
            assert result.returncode == code and said in result.stderr, what
            assert len(result.stderr.strip().splitlines()) <= 1 and "Traceback" not in result.stderr, what
            shown = [text for text in (result.stdout, result.stderr, *(t for _, _, t in seen)) if _holds_a_piece(text)]
            assert not shown, (what, shown)
    _assert_the_log_shows_all_but_the_password(
        logged_server,
        'password authentication failed for user "ola"',
        "connection authorized: user=kari database=fravaer",
        "kari@fravaer app=fravaer",
        "kim@fravaer app=fravaer ERROR:",
        "kim@fravaer app=fravaer STATEMENT:",
    )


def _assert_the_log_shows_all_but_the_password(server, *shown: str) -> None:
    log = (server.base / "log").read_text(errors="replace")
    leaked = [line for line in log.splitlines() if _holds_a_piece(line)]
    assert not leaked, leaked
    # What the log holds, so that a log that shows nothing does not pass for one that shows no password.
    assert all(line in log for line in shown), [line for line in shown if line not in log]


def test_a_password_typed_into_database_stays_in_fravaers_own_command_line(logged_server, tmp_path):
    """The user's choice (warned of): it is then in fravaer's own argv, and in no other process's
    command line, in no environment of a process fravaer starts, and not in the server's log."""
    import os
    from urllib.parse import quote

    from tests.helpers import EXECUTABLE

    socket = str(logged_server.socket)
    env = {**os.environ, "HOME": str(tmp_path), "PGPASSFILE": "/nonexistent", "PGPORT": str(logged_server.port)}
    for form in FORMS:
        dsn = form.format(host=socket, qhost=quote(socket, safe=""), db="fravaer")
        dsn = dsn.replace("5432", str(logged_server.port))
        result, seen = _watched([EXECUTABLE, "--database", dsn, "status", "--all"], env)
        assert result.returncode in (0, 5) and "Traceback" not in result.stderr, (dsn, result.stderr)
        # fravaer's own command line holds it; its environment, and every other process's, must not.
        elsewhere = [s for s in seen if _holds_a_piece(s[2]) and s[:2] != (result.pid, "cmdline")]
        assert not elsewhere, (dsn, elsewhere)
        # The watcher did see it where the user put it: it reads what ps reads.
        assert any(pid == result.pid and kind == "cmdline" and _holds_a_piece(t) for pid, kind, t in seen), dsn
    _assert_the_log_shows_all_but_the_password(
        logged_server,
        "connection authorized: user=eier database=fravaer",
        "eier@fravaer app=fravaer LOG:  statement: ",
        'password authentication failed for user "eier"',
    )


def _holds_a_piece(text: str) -> bool:
    return any(piece in text for piece in PIECES)


def test_a_command_says_goodbye_to_the_server_instead_of_cutting_the_connection(logged_server, tmp_path):
    """Every command closes its connection when it ends: a reading one (whose transaction is open
    until then) and a writing one leave no «Connection reset by peer» or «unexpected EOF» in the
    server's log, which would hide a real broken connection among fravaer's own."""
    log = logged_server.base / "log"
    env = _password_files(tmp_path, logged_server, "PGPASSFILE", "kari")
    dsn = "service=fravaer-kari"
    start = log.stat().st_size
    for args in (("list", "--virksomhet", "974760673"), add_args(fra="01.03.2031", til="02.03.2031")):
        done = run_database(dsn, *args, env=env)
        assert done.returncode == 0, done.stderr
    written = log.read_bytes()[start:].decode(errors="replace")
    assert "app=fravaer" in written  # the commands were logged, so their ends would be too
    assert "disconnection" in written and "Connection reset by peer" not in written and "unexpected EOF" not in written
