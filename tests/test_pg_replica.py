"""Issue 21, finding 9: read replicas and failover, for real: a streaming replica made with
pg_basebackup -R reads, refuses writes in one Norwegian line, and a multi-host read-write string
finds the primary; after a promotion, the same string finds the new one."""

import json
import time

import pytest

from tests.helpers import ORGNR, add_args, run_database

A = ORGNR


@pytest.fixture
def primary():
    from tests import pg

    if pg.binaries() is None:
        pytest.skip("PostgreSQL's server binaries are not installed (Debian package postgresql)")
    server = pg.Server().start()
    server.sql("postgres", "CREATE DATABASE fravaer OWNER eier")
    assert run_database(server.dsn(database="fravaer"), "database", "init").returncode == 0
    yield server
    server.stop()


def until(check, seconds: float = 30):
    print("until start", time.monotonic())
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "did not happen in time"
        time.sleep(0.2)


def test_a_standby_reads_refuses_writes_and_a_promotion_is_found(primary):
    dsn = primary.dsn(database="fravaer")
    assert run_database(dsn, *add_args()).returncode == 0
    standby = primary.standby()
    try:
        on_standby = standby.dsn(database="fravaer")

        def replicated() -> bool:
            result = run_database(on_standby, "list", "--virksomhet", A, "--json")
            return result.returncode == 0 and len(json.loads(result.stdout)) == 1

        until(replicated)
        status = json.loads(run_database(on_standby, "database", "status", "--json").stdout)
        assert "5433" in status["server"] and "standby" in status["server"]
        assert "primær" in json.loads(run_database(dsn, "database", "status", "--json").stdout)["server"]

        refused = run_database(on_standby, *add_args(fra="01.10.2030", til="02.10.2030"))
        assert refused.returncode == 5 and "Traceback" not in refused.stderr
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and "bare leser" in lines[0] and "target_session_attrs=read-write" in lines[0]

        # Both servers, standby first: read-write finds the primary.
        both = f"host={primary.socket},{primary.socket} port=5433,5432 dbname=fravaer user=eier password=pw-eier"
        writable = both + " target_session_attrs=read-write"
        assert run_database(writable, *add_args(fra="01.11.2030", til="02.11.2030")).returncode == 0

        # The primary gone: no server takes writes, and the message says that, not that none answers.
        primary._run(str(primary.bin / "pg_ctl"), "-D", str(primary.data), "-m", "fast", "stop")
        gone = run_database(writable, *add_args(fra="01.12.2030", til="02.12.2030"))
        assert gone.returncode == 5 and "tar imot skriving" in gone.stderr, gone.stderr
        assert run_database(both, "list", "--virksomhet", A).returncode == 0  # reading still works

        standby.promote()
        until(lambda: run_database(writable, *add_args(fra="01.12.2030", til="02.12.2030")).returncode == 0)
        listed = json.loads(run_database(writable, "list", "--virksomhet", A, "--json").stdout)
        assert len(listed) == 3
        status = json.loads(run_database(writable, "database", "status", "--json").stdout)
        assert "5433" in status["server"] and "primær" in status["server"]
    finally:
        standby.stop()
