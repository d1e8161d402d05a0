"""A full disk, a read-only store, a replace that fails: exit 5, and the old file intact."""

import errno
import subprocess

import pytest

from fravaer_cli.store import Store
from tests.conftest import ORGNR, add_args, snapshot
from tests.trust_helpers import NO_SKIP, run


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
    assert len(Store(store).load(ORGNR).fravaer) == 150
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

    monkeypatch.setattr("fravaer_cli.store.os.replace", no_permission)
    result = fravaer(
        *add_args(behandler="Per Test", fra="01.07.2030", til="10.07.2030", tjeneste="alle"),
    )
    assert result.exit_code == 5
    assert "Permission denied" in result.stderr
    assert snapshot(store_dir) == before
    assert not list(store_dir.glob(".*.tmp"))
