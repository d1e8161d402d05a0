"""The installed `fravaer` command, run as a user runs it."""

import json
import os
import subprocess
import sys

import pytest

from fravaer_cli.cli import clock
from tests.helpers import EXECUTABLE, ORGNR, SEED_LINE, add_args


def run(*args, env=None, cwd=None):
    assert EXECUTABLE, "fravaer is not installed in this environment: pip install '.[test]'"
    return subprocess.run(
        [EXECUTABLE, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=cwd
    )


def test_installed_command_runs_the_seed_example(tmp_path):
    store = str(tmp_path / "store")
    added = run(
        "--data-dir",
        store,
        *add_args("--allow-past", behandler="Astrid Info", fra="12.06.2024", til="08.07.2024", tjeneste="alle"),
    )
    assert (added.returncode, added.stdout) == (0, "1\n"), added.stderr
    # Run from another folder: the catalogue comes from the installed package, not the checkout.
    shown = run(
        "--data-dir",
        store,
        "preview",
        "--virksomhet",
        ORGNR,
        "--tjeneste",
        "timebestilling",
        "--date",
        "20.06.2024",
        cwd=tmp_path,
    )
    assert (shown.returncode, shown.stdout, shown.stderr) == (0, f"Astrid Info:\n  {SEED_LINE}\n", "")


def test_errors_reach_the_shell_as_norwegian_without_traceback(tmp_path):
    result = run(
        "--data-dir",
        str(tmp_path),
        *add_args(behandler="A", fra="31.02.2024", til="+1", tjeneste="alle"),
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "«31.02.2024»" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC", "Europe/Oslo"])
def test_today_is_oslo_whatever_the_machine_time_zone(tmp_path, tz):
    assert run("--data-dir", str(tmp_path), *add_args()).returncode == 0
    before = clock.today()
    result = run("--data-dir", str(tmp_path), "status", "--all", "--json", env={"TZ": tz})
    after = clock.today()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["dato"] in {before.isoformat(), after.isoformat()}


@pytest.mark.parametrize("answer, deleted", [(b"n\n", False), (b"j\n", True)])
def test_delete_asks_on_a_real_terminal(tmp_path, answer, deleted):
    import os
    import pty
    import subprocess

    from tests.helpers import command

    store = tmp_path / "store"
    add = ["add", "--virksomhet", ORGNR, "--behandler", "Per Test", "--fra", "+1", "--til", "+2", "--tjeneste", "alle"]
    assert run("--data-dir", str(store), *add).returncode == 0
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        command(store, "delete", "1", "--virksomhet", ORGNR), stdin=follower, stdout=follower, stderr=follower
    )
    os.close(follower)
    seen = b""
    while b"[j/N]" not in seen:
        seen += os.read(leader, 1024)
    os.write(leader, answer)
    assert proc.wait(timeout=30) == 0
    os.close(leader)
    assert "Slette fravær 1: Per Test" in seen.decode()
    listed = json.loads(run("--data-dir", str(store), "list", "--virksomhet", ORGNR, "--json").stdout)
    assert (listed == []) == deleted


@pytest.mark.parametrize(
    "observer",
    [
        ["-m", "cProfile", "-o", "{out}", "-m"],
        ["-m", "trace", "--count", "--file", "{out}", "-C", "{out}.d", "--module"],
    ],
)
def test_under_a_profiler_or_tracer_the_process_exits_normally_so_its_results_are_written(tmp_path, observer):
    """fravaer ends with os._exit for speed, which would skip what these write at exit."""
    out = tmp_path / "out"
    args = [a.replace("{out}", str(out)) for a in observer]
    result = subprocess.run(
        [sys.executable, *args, "fravaer_cli", "--data-dir", str(tmp_path / "store"), "status", "--all"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert out.exists() and out.stat().st_size > 0
