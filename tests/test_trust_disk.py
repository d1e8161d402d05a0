"""A full disk, a read-only store, a replace that fails: exit 5, and the old file intact."""

import errno
import json
import os
import subprocess
import sys

import pytest

from fravaer_cli.store.files.filestore import FileStore
from tests.helpers import NO_SKIP, ORGNR, add_args, command, run, snapshot


@pytest.fixture
def tiny_disk(tmp_path):
    """A 256 KiB tmpfs (needs root, as CI has)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        if NO_SKIP:
            pytest.fail(f"cannot mount a tmpfs: {mounted.stderr}")
        pytest.skip("mounting a tmpfs needs root")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill_office(store, count: int) -> None:
    rows = "\n".join(f"{ORGNR};Lege {n};1.7.2030;2.7.2030;alle;{'x' * 200}" for n in range(count))
    plan = store.parent / "plan.csv"
    plan.write_text("virksomhet;behandler;fra;til;tjenester;kommentar\n" + rows + "\n")
    assert run(store, "import", str(plan)).returncode == 0


def test_full_disk_gives_exit_5_and_leaves_the_file(tiny_disk):
    store = tiny_disk / "store"
    fill_office(store, 150)  # an office file of about 60 KiB
    free = subprocess.run(
        ["df", "--output=avail", "-B1", str(tiny_disk)], capture_output=True, text=True
    ).stdout.split()[-1]
    (tiny_disk / "filler").write_bytes(b"\0" * max(0, int(free) - 8192))
    before = snapshot(store)
    result = run(
        store,
        *add_args(behandler="Per Test", fra="1.8.2030", til="2.8.2030", tjeneste="alle"),
    )
    assert result.returncode == 5, result.stderr
    assert "Kunne ikke skrive" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(store) == before
    assert not list(store.glob(".*.tmp"))
    assert len(FileStore(store).load(ORGNR).fravaer) == 150
    # With room again, the same add goes through.
    (tiny_disk / "filler").unlink()
    assert (
        run(
            store,
            *add_args(behandler="Per Test", fra="1.8.2030", til="2.8.2030", tjeneste="alle"),
        ).returncode
        == 0
    )


def test_read_only_store_gives_exit_5_and_can_still_be_read(tiny_disk):
    store = tiny_disk / "store"
    fill_office(store, 3)
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    before = snapshot(store)
    for args in (
        [
            "add",
            "--virksomhet",
            ORGNR,
            "--behandler",
            "Per Test",
            "--fra",
            "1.8.2030",
            "--til",
            "2.8.2030",
            "--tjeneste",
            "alle",
        ],
        ["delete", "1", "--virksomhet", ORGNR, "--yes"],
        ["info", "--virksomhet", ORGNR, "--set", "Stengt"],
    ):
        result = run(store, *args)
        assert result.returncode == 5, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert snapshot(store) == before
    listed = run(store, "list", "--virksomhet", ORGNR, "--json")
    assert listed.returncode == 0 and listed.stdout.count('"id"') == 3


def test_a_failing_replace_leaves_the_old_file(fravaer, store_dir, monkeypatch):
    fravaer.add("--behandler", "Astrid Info", "--fra", "01.07.2030", "--til", "10.07.2030", "--tjeneste", "alle")
    before = snapshot(store_dir)

    def no_permission(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("fravaer_cli.store.files.filestore.os.replace", no_permission)
    result = fravaer(
        *add_args(behandler="Per Test", fra="01.07.2030", til="10.07.2030", tjeneste="alle"),
    )
    assert result.exit_code == 5
    assert "ingen tilgang" in result.stderr and "Permission denied" not in result.stderr  # in Norwegian
    assert snapshot(store_dir) == before
    assert not list(store_dir.glob(".*.tmp"))


# -- round two: no half-done import, no change stored without its log ----------

FIRST_ORGNR = "123456785"  # sorts before ORGNR: an import writes it first


def plan_file(folder, *orgnrs):
    rows = [f"{o};Per Test;1.8.2030;2.8.2030;alle" for o in orgnrs]
    path = folder / "plan.csv"
    path.write_text("virksomhet;behandler;fra;til;tjenester\n" + "\n".join(rows) + "\n")
    return str(path)


def test_an_import_whose_later_log_cannot_be_opened_writes_nothing(tmp_path):
    store = tmp_path / "store"
    for orgnr in (FIRST_ORGNR, ORGNR):
        assert run(store, *add_args(orgnr=orgnr, behandler="Kari Test")).returncode == 0
    log = store / f"{ORGNR}.log"
    log.unlink()
    log.mkdir()  # the second office's log cannot be opened for appending
    before = snapshot(store)
    result = run(store, "import", plan_file(tmp_path, FIRST_ORGNR, ORGNR))
    assert result.returncode == 5, result.stderr
    assert str(log) in result.stderr and "Ingenting er endret" in result.stderr
    assert snapshot(store) == before


def test_an_import_that_cannot_lock_an_office_in_time_writes_nothing(tmp_path):
    store = tmp_path / "store"
    for orgnr in (FIRST_ORGNR, ORGNR):
        assert run(store, *add_args(orgnr=orgnr, behandler="Kari Test")).returncode == 0
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR);"
            "fcntl.lockf(fd, fcntl.LOCK_EX, 1, int(sys.argv[2])); print('held', flush=True); time.sleep(60)",
            str(store / ".lock"),
            ORGNR,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        before = snapshot(store)
        result = run(store, "import", plan_file(tmp_path, FIRST_ORGNR, ORGNR), env={"FRAVAER_LOCK_TIMEOUT": "0.5"})
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 5, result.stderr
    assert f"Fikk ikke låst virksomhet {ORGNR}" in result.stderr
    assert snapshot(store) == before


def test_a_folder_that_cannot_be_listed_stores_nothing_rather_than_something_unlogged(tmp_path):
    """Mode 300: files can be opened by name, the folder not read. Root ignores modes,
    so the command runs as root without the capabilities that let it."""
    import shutil

    store = tmp_path / "store"
    assert run(store, *add_args(behandler="Kari Test")).returncode == 0
    before = snapshot(store)
    setpriv = shutil.which("setpriv")
    store.chmod(0o300)
    try:
        args = command(store, *add_args(behandler="Per Test", fra="01.09.2030", til="02.09.2030"))
        if os.geteuid() == 0:
            if not setpriv:
                pytest.skip("setpriv (util-linux) is needed to run without root's capabilities")
            args = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *args]
        result = subprocess.run(args, capture_output=True, text=True)
    finally:
        store.chmod(0o755)
    assert result.returncode == 5, result.stderr
    assert result.stdout == "" and "Ingenting er endret" in result.stderr
    assert snapshot(store) == before


# -- closed and full standard streams: the SPEC's exit code, nothing lost -------------


def shell(store, args: list[str], redirect: str, input_text=None):
    """fravaer run by a real shell with a real redirection (>&-, >/dev/full, <&-, 2>&-)."""
    import shlex

    line = " ".join(shlex.quote(a) for a in command(store, *args)) + " " + redirect
    return subprocess.run(["bash", "-c", line], capture_output=True, text=True, input=input_text)


@pytest.mark.parametrize("redirect, said", [(">&-", "standard ut er lukket"), (">/dev/full", "disken er full")])
def test_an_add_whose_id_cannot_be_printed_is_stored_and_says_so(tmp_path, redirect, said):
    store = tmp_path / "store"
    result = shell(store, add_args(), redirect)
    assert result.returncode == 0, result.stderr
    assert "Fravær 1 er lagret, men utdata kunne ikke skrives" in result.stderr and said in result.stderr
    assert "Traceback" not in result.stderr
    assert run(store, "list", "--virksomhet", ORGNR, "--json").stdout.count('"id": "1"') == 1
    assert len(FileStore(store).read_log(ORGNR)) == 1


def test_a_report_that_cannot_be_written_is_exit_5(tmp_path):
    store = tmp_path / "store"
    assert run(store, *add_args()).returncode == 0
    for args in (["list", "--all"], ["status", "--all", "--json"]):
        result = shell(store, args, ">/dev/full")
        assert result.returncode == 5, (args, result.stderr)
        assert "Kunne ikke skrive til standard ut" in result.stderr


@pytest.mark.parametrize(
    "args, redirect, code",
    [
        (add_args(fra="ikke en dato"), "2>&-", 2),
        (add_args(fra="ikke en dato"), ">&- 2>&-", 2),
        (["import", "-"], "<&-", 2),
        (["delete", "1", "--virksomhet", ORGNR], "<&-", 2),
        (["delete", "1", "--virksomhet", ORGNR, "--yes"], "<&- >&-", 0),
    ],
)
def test_closed_streams_give_the_commands_own_exit_code(tmp_path, args, redirect, code):
    store = tmp_path / "store"
    assert run(store, *add_args()).returncode == 0
    result = shell(store, args, redirect)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert len(FileStore(store).read_log(ORGNR)) == (2 if code == 0 else 1)


def test_an_import_over_more_offices_than_the_process_may_open_files(tmp_path):
    """Every log is checked before the first write, but not held open: 60 offices under a limit of 40 descriptors."""
    import resource

    from tests.benchmarks import data

    plan = tmp_path / "plan.csv"
    data.write_csv(plan, 60, 2)
    store = tmp_path / "store"

    def few_descriptors():
        resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40))

    result = subprocess.run(
        command(store, "import", str(plan)), capture_output=True, text=True, preexec_fn=few_descriptors
    )
    assert result.returncode == 0, result.stderr
    assert len(list(store.glob("*.log"))) == 60


def test_an_import_whose_office_file_cannot_be_written_changes_no_office(tmp_path):
    """Many offices: every new file is written before any is put in place, so one that cannot be
    written stops the import with every office as it was, and no temporary file left behind."""
    from tests.benchmarks import data

    orgnrs = data.orgnrs(12)
    store = tmp_path / "store"
    first = tmp_path / "first.csv"
    first.write_text(
        "virksomhet;behandler;fra;til;tjenester\n" + "".join(f"{o};Kari Test;1.7.2030;2.7.2030;alle\n" for o in orgnrs)
    )
    assert run(store, "import", str(first)).returncode == 0
    blocked = store / f".{orgnrs[7]}.toml.tmp"  # the eighth office's temporary file cannot be made
    blocked.mkdir()
    (blocked / "x").write_text("")
    before = snapshot(store)
    result = run(store, "import", plan_file(tmp_path, *orgnrs))
    assert result.returncode == 5, result.stderr
    assert f"{orgnrs[7]}.toml" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(store) == before
    assert [p.name for p in store.glob(".*.tmp")] == [blocked.name]


@pytest.mark.parametrize("written", [0, 10])  # no byte of the log line, or a part of it
def test_a_change_whose_log_line_cannot_be_written_is_not_stored_and_a_re_run_stores_both(
    fravaer, store_dir, monkeypatch, written
):
    """A full disk as the log line is appended: the change is stored with its log entry or not at
    all, so that the re-run stores both (it used to find the fravær stored, unlogged for good)."""
    from fravaer_cli.store.files import filestore

    fravaer.add(*add_args(fra="01.07.2030", til="02.07.2030")[3:])
    before = snapshot(store_dir)
    real_write = filestore.write_all

    def full_disk(fd, data):
        real_write(fd, data[:written])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(filestore, "write_all", full_disk)
    args = add_args(behandler="Kari Vik", fra="01.08.2030", til="02.08.2030")
    result = fravaer(*args)
    assert result.exit_code == 5
    assert "disken er full" in result.stderr and "Ingenting er endret" in result.stderr
    assert result.stdout == "" and snapshot(store_dir) == before
    assert not list(store_dir.glob(".*.tmp"))
    monkeypatch.setattr(filestore, "write_all", real_write)
    again = fravaer(*args)
    assert again.exit_code == 0 and again.stdout.strip() == "2" and "Registrert fravær 2" in again.stderr
    logged = [json.loads(line)["handling"] for line in (store_dir / f"{ORGNR}.log").read_text().splitlines()]
    assert logged == ["add", "add"]
