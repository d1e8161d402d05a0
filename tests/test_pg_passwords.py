"""Issue 33: no message shows a password, whatever the form of the connection string libpq
accepts, and a password given on the command line is warned of."""

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
