"""Issue 21, findings 3 and 10: every statement ends in bounded time, and every fault of the server
or the connection is exit 5 in one Norwegian line: on a real server, with its locks held, its
backends ended, and a COMMIT whose answer never comes."""

import os
import socket
import subprocess
import time
from contextlib import contextmanager

import psycopg2
import pytest

from tests.helpers import EXECUTABLE, ORGNR, add_args, run_database

A = ORGNR
FAST = {"FRAVAER_LOCK_TIMEOUT": "2"}


def database_of(dsn: str) -> str:
    return dsn.split("dbname=")[1].split()[0]


@contextmanager
def superuser(pg_server, database: str):
    """A transaction of the server's superuser, open for as long as the block runs."""
    conn = psycopg2.connect(f"host={pg_server.socket} dbname={database} user=postgres")
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.rollback()
        conn.close()


def one_norwegian_line(result: subprocess.CompletedProcess, *said: str) -> None:
    assert result.returncode == 5, result.stderr
    assert "Traceback" not in result.stderr and "ERROR" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if line]
    assert len(lines) == 1 and all(s in lines[0] for s in said), result.stderr


def test_behind_a_held_access_exclusive_lock_every_command_ends_in_exit_5(pg_server, pg_dsn):
    assert run_database(pg_dsn, *add_args()).returncode == 0
    commands = [
        ("list", "--virksomhet", A),
        ("status", "--all"),
        add_args(fra="01.10.2030", til="02.10.2030"),
        ("database", "init"),
    ]
    with superuser(pg_server, database_of(pg_dsn)) as cur:
        cur.execute(
            "LOCK TABLE fravaer.virksomhet, fravaer.fravaer, fravaer.logg, fravaer.fravaer_schema "
            "IN ACCESS EXCLUSIVE MODE"
        )
        for args in commands:
            start = time.monotonic()
            result = run_database(pg_dsn, *args, env=FAST, timeout=60)
            one_norwegian_line(result, "Databasen er opptatt", "2 sekunder")
            assert time.monotonic() - start < 30, args
    assert run_database(pg_dsn, "list", "--virksomhet", A).returncode == 0


def test_another_init_holds_init_up_for_seconds_only(pg_server, pg_dsn):
    """An init waits for the store's own lock (no login's advisory lock: test_pg_interface.py) for the
    lock timeout, then says so in one line."""
    with superuser(pg_server, database_of(pg_dsn)) as cur:
        cur.execute("LOCK TABLE fravaer.fravaer_schema IN SHARE ROW EXCLUSIVE MODE")  # as an init does
        one_norwegian_line(run_database(pg_dsn, "database", "init", env=FAST, timeout=60), "er opptatt")
    assert run_database(pg_dsn, "database", "init").returncode == 0


def test_a_statement_that_runs_too_long_is_stopped_and_said(pg_server, pg_dsn):
    assert run_database(pg_dsn, *add_args()).returncode == 0
    with superuser(pg_server, database_of(pg_dsn)) as cur:
        cur.execute("LOCK TABLE fravaer.virksomhet IN ACCESS EXCLUSIVE MODE")
        slow = {"FRAVAER_LOCK_TIMEOUT": "30", "FRAVAER_STATEMENT_TIMEOUT": "1"}
        result = run_database(pg_dsn, "status", "--all", env=slow, timeout=60)
        one_norwegian_line(result, "Databasen er opptatt", "mer enn 1 sekunder")


def test_a_backend_ended_mid_command_is_exit_5_in_norwegian(pg_server, pg_dsn):
    assert run_database(pg_dsn, *add_args()).returncode == 0
    for args in (("status", "--all"), add_args(fra="01.10.2030", til="02.10.2030")):
        with superuser(pg_server, database_of(pg_dsn)) as cur:
            cur.execute("LOCK TABLE fravaer.virksomhet IN ACCESS EXCLUSIVE MODE")
            proc = subprocess.Popen(
                [EXECUTABLE, *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "FRAVAER_DATABASE_URL": pg_dsn, "FRAVAER_LOCK_TIMEOUT": "30"},
            )
            waiting = (
                "SELECT pg_stat_clear_snapshot(), count(*) FROM pg_stat_activity "  # this transaction's view is kept
                "WHERE application_name = 'fravaer' AND wait_event_type = 'Lock'"
            )
            for _ in range(200):  # until it waits for the lock
                cur.execute(waiting)
                if cur.fetchone()[1]:
                    break
                time.sleep(0.1)
            cur.execute(
                "SELECT pg_stat_clear_snapshot(), pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'fravaer'"
            )
            _, err = proc.communicate(timeout=60)
        one_norwegian_line(subprocess.CompletedProcess(args, proc.returncode, "", err), "Forbindelsen", "brutt")
        assert ("ikke lagret" in err) == (args[0] == "add"), err


def test_a_commit_whose_answer_never_comes_says_the_change_may_be_stored(pg_server, pg_dsn):
    """The backend ends itself as the COMMIT runs its deferred triggers: the client never learns
    whether the change was stored, and must not say it was not."""
    assert run_database(pg_dsn, *add_args()).returncode == 0
    pg_server.sql(
        database_of(pg_dsn),
        "CREATE FUNCTION public.slutt() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$ "
        "BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(1); RETURN NULL; END $$;"
        "CREATE CONSTRAINT TRIGGER slutt AFTER INSERT ON fravaer.logg DEFERRABLE INITIALLY DEFERRED "
        "FOR EACH ROW EXECUTE FUNCTION public.slutt()",
    )
    result = run_database(pg_dsn, *add_args(fra="01.10.2030", til="02.10.2030"), timeout=60)
    one_norwegian_line(result, "kan være lagret, eller ikke", "fravaer list")


def test_a_server_that_accepts_and_never_answers_is_given_up_in_bounded_time(tmp_path):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(tmp_path / ".s.PGSQL.5432"))
    listener.listen(16)
    try:
        start = time.monotonic()
        result = run_database(f"host={tmp_path} dbname=fravaer user=eier", "status", "--all", timeout=60)
        one_norwegian_line(result, "svarte ikke innen tidsfristen")
        assert time.monotonic() - start < 30
    finally:
        listener.close()


@pytest.mark.parametrize(
    "dsn",
    [
        "host=/nowhere password=hunter2 dbname='fravaer",
        "host=/nowhere password='hunter2 dbname=fravaer",
        "postgresql://eier:hunter2@/fravaer?host=/nowhere",
        "postgresql://eier:hunter2@:bad/fravaer",
        "host=/nowhere dbname=fravaer password = hunter2 port=x",
    ],
)
def test_no_message_holds_a_password(dsn):
    for args in (("status", "--all"), ("database", "status"), add_args()):
        result = run_database(dsn, *args, timeout=60)
        assert result.returncode == 5 and "hunter2" not in result.stderr + result.stdout, result.stderr


def test_a_dump_cut_off_leaves_no_folder_that_looks_like_a_store(pg_server, pg_dsn, tmp_path):
    from tests.benchmarks import data

    plan = tmp_path / "plan.csv"
    data.write_csv(plan, offices=300, per_office=5)
    assert run_database(pg_dsn, "import", str(plan)).returncode == 0
    target = tmp_path / "ut"
    proc = subprocess.Popen([EXECUTABLE, "--database", pg_dsn, "database", "dump", str(target)])
    partial = tmp_path / ".ut.ufullstendig"
    while proc.poll() is None and len(list(partial.glob("*.toml"))) < 20:
        time.sleep(0.005)
    proc.kill()
    proc.wait()
    assert not target.exists()
    # An office that cannot be read: the dump fails whole, and says which.
    pg_server.sql(
        database_of(pg_dsn),
        "ALTER TABLE fravaer.virksomhet DROP CONSTRAINT virksomhet_behandlere_ok;"
        f"UPDATE fravaer.virksomhet SET behandlere = '[1]' WHERE orgnr = '{data.orgnrs(300)[100]}'",
    )
    result = run_database(pg_dsn, "database", "dump", str(target))
    one_norwegian_line(result, data.orgnrs(300)[100])
    assert not target.exists() and not partial.exists()
    pg_server.sql(database_of(pg_dsn), "UPDATE fravaer.virksomhet SET behandlere = '[]'")
    assert run_database(pg_dsn, "database", "dump", str(target)).returncode == 0
    assert len(list(target.glob("*.toml"))) == 300 and not partial.exists()


def test_no_free_connection_is_said_in_norwegian(pg_server, pg_dsn):
    database = database_of(pg_dsn)
    pg_server.sql("postgres", f"ALTER DATABASE {database} CONNECTION LIMIT 0")
    try:
        one_norwegian_line(run_database(pg_dsn, "status", "--all", timeout=60), "ingen ledige tilkoblinger")
    finally:
        pg_server.sql("postgres", f"ALTER DATABASE {database} CONNECTION LIMIT -1")


def test_a_full_disk_is_said_in_norwegian_and_nothing_is_stored(pg_server, pg_dsn):
    """The log's table on a tablespace of its own, a 1 MiB tmpfs (needs root, as CI has), filled."""
    import pwd

    from tests.helpers import NO_SKIP

    disk = pg_server.base / f"disk-{database_of(pg_dsn)}"  # a folder the server's user can reach
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        if NO_SKIP:
            pytest.fail(f"cannot mount a tmpfs: {mounted.stderr!r}")
        pytest.skip("mounting a tmpfs needs root")
    database = database_of(pg_dsn)
    name = f"lite_{database}"
    try:
        if pg_server.user:
            entry = pwd.getpwnam(pg_server.user)
            os.chown(disk, entry.pw_uid, entry.pw_gid)
        assert run_database(pg_dsn, *add_args()).returncode == 0
        pg_server.sql("postgres", f"CREATE TABLESPACE {name} LOCATION '{disk}'")
        pg_server.sql(database, f"ALTER TABLE fravaer.logg SET TABLESPACE {name}")
        for rows in (100, 1):  # until not even one more small row fits
            with pytest.raises(psycopg2.errors.DiskFull):
                for _ in range(10000):
                    pg_server.sql(
                        database,
                        "INSERT INTO fravaer.logg (orgnr, tid, av, handling, oppforing) SELECT orgnr, 't', 'x', "
                        "'x', json_build_object('fyll', repeat('x', 100)) FROM fravaer.virksomhet, "
                        f"generate_series(1, {rows})",
                    )
        before = run_database(pg_dsn, "list", "--virksomhet", A, "--json").stdout
        result = run_database(pg_dsn, *add_args(fra="01.10.2030", til="02.10.2030"), timeout=60)
        one_norwegian_line(result, "ikke mer diskplass", "ikke lagret")
        assert run_database(pg_dsn, "list", "--virksomhet", A, "--json").stdout == before
    finally:
        # The database and its tablespace gone before the disk: the server's buffers of a relation
        # whose files vanished would fail every later test's statements when written out.
        pg_server.sql("postgres", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        pg_server.sql("postgres", f"DROP TABLESPACE IF EXISTS {name}")
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_stopped_postmaster_is_given_up_in_bounded_time(pg_server, pg_dsn):
    """SIGSTOP: the kernel still accepts connections, and no one answers them (libpq's default is to
    wait for ever; fravaer gives it 10 seconds)."""
    import signal

    postmaster = int((pg_server.data / "postmaster.pid").read_text().split()[0])
    os.kill(postmaster, signal.SIGSTOP)
    try:
        start = time.monotonic()
        for args in (("status", "--all"), add_args()):
            one_norwegian_line(run_database(pg_dsn, *args, timeout=60), "svarte ikke innen tidsfristen")
        assert time.monotonic() - start < 40
    finally:
        os.kill(postmaster, signal.SIGCONT)
    assert run_database(pg_dsn, *add_args()).returncode == 0


def test_a_commit_whose_answer_never_came_names_the_commands_to_check_with_their_options():
    from fravaer_cli.store.postgres import faults

    at = faults.Context("databasen «fravaer» på /run/postgresql", "kari", ORGNR, 10, 120, writing=True)
    said = str(faults.unknown_outcome(at))
    assert f"Sjekk med «fravaer list --virksomhet {ORGNR}» og «fravaer log --virksomhet {ORGNR}» før du" in said
