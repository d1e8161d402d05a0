"""Issue 21: every command works through PgBouncer in transaction pooling mode, as a national
deployment puts it in front of thousands of short connections: a server connection is this
client's for one transaction only, so nothing may rest on the session (SET, prepared
statements, temporary tables or cursors beyond a transaction)."""

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.benchmarks import data
from tests.helpers import EXECUTABLE, NO_SKIP, ORGNR, add_args, run_database
from tests.pg import as_server_user

A = ORGNR


def _binary() -> str | None:
    return shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None)


@pytest.fixture
def bouncer(pg_server, pg_dsn):
    """PgBouncer on a Unix socket of its own, port 6432, pooling by transaction, a pool of 3
    server connections per database and login; returns the test database's DSN through it."""
    binary = _binary()
    if binary is None:
        if NO_SKIP:
            pytest.fail("PgBouncer is not installed (.ci/run installs the package pgbouncer)")
        pytest.skip("PgBouncer is not installed (Debian package pgbouncer)")
    base = Path(tempfile.mkdtemp(prefix="fravaer-pgbouncer-"))
    users = "".join(f'"{login}" "pw-{login}"\n' for login in ("eier", "kari", "ola", "kim", "ada"))
    (base / "users.txt").write_text(users)
    (base / "pgbouncer.ini").write_text(
        f"[databases]\n* = host={pg_server.socket} port=5432\n"
        "[pgbouncer]\nlisten_addr =\n"
        f"unix_socket_dir = {base}\nlisten_port = 6432\n"
        f"auth_type = scram-sha-256\nauth_file = {base}/users.txt\n"
        "pool_mode = transaction\ndefault_pool_size = 3\nmax_client_conn = 100\n"
        f"logfile = {base}/log\npidfile = {base}/pid\n"
    )
    command = as_server_user([binary, "-q", str(base / "pgbouncer.ini")], base, pg_server.user)
    proc = subprocess.Popen(command)
    deadline = time.monotonic() + 10
    while not (base / ".s.PGSQL.6432").exists():
        assert proc.poll() is None and time.monotonic() < deadline, (base / "log").read_text(errors="replace")
        time.sleep(0.05)
    yield pg_dsn.replace(f"host={pg_server.socket}", f"host={base} port=6432")
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(base, ignore_errors=True)


def ok(dsn: str, *args: str, input: str | None = None) -> str:
    result = run_database(dsn, *args, input=input)
    assert result.returncode == 0, (args, result.stderr)
    return result.stdout


def test_every_command_works_through_pgbouncer_in_transaction_mode(bouncer, tmp_path):
    assert "primær" in json.loads(ok(bouncer, "database", "status", "--json"))["server"]
    ok(bouncer, "info", "--virksomhet", A, "--navn", "DDFL Test")
    ok(bouncer, "roster", "add", "--virksomhet", A, "--behandler", "Per Test", "--behandler", "Kari Vik")
    ok(bouncer, *add_args(behandler="Per Test"))
    ok(bouncer, "edit", "--virksomhet", A, "1", "--til", "12.08.2030")
    ok(bouncer, *add_args(behandler="Kari Vik", fra="01.09.2030", til="02.09.2030"))
    ok(bouncer, "delete", "--virksomhet", A, "2", "--yes")
    ok(bouncer, "roster", "rename", "--virksomhet", A, "--behandler", "Per Test", "--til-navn", "Per Testesen")
    listed = json.loads(ok(bouncer, "list", "--virksomhet", A, "--json"))
    assert [(r["id"], r["behandler"], r["til"]) for r in listed] == [("1", "Per Testesen", "2030-08-12")]
    ok(bouncer, "status", "--all", "--date", "05.08.2030")
    ok(bouncer, "preview", "--virksomhet", "ddfl", "--date", "05.08.2030")
    ok(bouncer, "list", "--all", "--behandler", "per test", "--include-past")
    plan = tmp_path / "plan.csv"
    rows = data.write_csv(plan, offices=30, per_office=50)
    assert rows == 1500
    ok(bouncer, "import", str(plan))
    assert len(json.loads(ok(bouncer, "list", "--all", "--json", "--include-past"))) == 1 + 1500
    logged = json.loads(ok(bouncer, "log", "--virksomhet", A, "--json"))
    assert [e["handling"] for e in logged][:4] == ["info", "roster_add", "roster_add", "add"]
    ok(bouncer, "access", "grant", "kari", "--virksomhet", A)
    ok(bouncer, "access", "list")
    ok(bouncer, "database", "dump", str(tmp_path / "ut"))
    assert len(list((tmp_path / "ut").glob("*.toml"))) == 31


def test_many_clients_at_once_share_three_server_connections(bouncer):
    adds = [
        subprocess.Popen(
            [EXECUTABLE, "--database", bouncer, *add_args(behandler=f"Lege {n}", fra="01.10.2030", til="02.10.2030")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "FRAVAER_LOCK_TIMEOUT": "60"},
        )
        for n in range(20)
    ]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in adds]
    assert all(code == 0 for code, _ in results), results
    listed = json.loads(ok(bouncer, "list", "--virksomhet", A, "--json"))
    assert sorted(int(r["id"]) for r in listed) == list(range(1, 21))
