"""Two admins at once, cron in the middle of an import: nothing is lost."""

import json
import os
import subprocess
import textwrap
import time

from fravaer_cli.store.files.filestore import FileStore
from tests.helpers import ORGNR, add_args, command, run, snapshot

ENV = {**os.environ, "FRAVAER_LOCK_TIMEOUT": "60"}


def test_thirty_adds_at_once_lose_nothing(tmp_path):
    store = tmp_path / "store"
    procs = [
        subprocess.Popen(
            command(
                store,
                "--av",
                f"admin{n}",
                *add_args(behandler=f"Lege {n}", fra="01.07.2030", til="21.07.2030", tjeneste="alle"),
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        for n in range(30)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 30, [err for _, err in outputs if err and "Husk" not in err]
    ids = [out.strip() for out, _ in outputs]
    assert len(set(ids)) == 30
    office = FileStore(store).load(ORGNR)
    assert sorted(f.behandler for f in office.fravaer) == sorted(f"Lege {n}" for n in range(30))
    assert sorted(f.id for f in office.fravaer) == sorted(ids)
    log = FileStore(store).read_log(ORGNR)
    assert sorted((e["av"], e["fravaer"]["id"]) for e in log) == sorted((f"admin{n}", ids[n]) for n in range(30))


def test_import_and_edit_and_adds_at_the_same_time(tmp_path):
    store = tmp_path / "store"
    assert (
        run(
            store,
            *add_args(behandler="Astrid Info", fra="01.07.2030", til="10.07.2030", tjeneste="timebestilling"),
        ).returncode
        == 0
    )
    rows = [f"{ORGNR};Lege {n};1.8.2030;2.8.2030;alle" for n in range(400)]
    plan = tmp_path / "plan.csv"
    plan.write_text("virksomhet;behandler;fra;til;tjenester\n" + "\n".join(rows) + "\n")
    importing = subprocess.Popen(
        command(store, "import", str(plan)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV
    )
    editing = [
        subprocess.Popen(
            command(store, "edit", "1", "--virksomhet", ORGNR, "--kommentar", f"endring {n}"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=ENV,
        )
        for n in range(5)
    ]
    adding = [
        subprocess.Popen(
            command(
                store,
                *add_args(behandler=f"Vikarlege {n}", fra="+1", til="+2", tjeneste="alle"),
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=ENV,
        )
        for n in range(5)
    ]
    for p in [importing, *editing, *adding]:
        p.communicate(timeout=120)
        assert p.returncode == 0
    office = FileStore(store).load(ORGNR)
    assert len(office.fravaer) == 1 + 400 + 5
    assert len({f.id for f in office.fravaer}) == len(office.fravaer)
    assert office.get("1").kommentar.startswith("endring ")
    log = FileStore(store).read_log(ORGNR)
    assert sorted(e["handling"] for e in log) == sorted(["add"] * 6 + ["import"] * 400 + ["edit"] * 5)


def test_a_lock_not_had_in_time_is_exit_5_not_a_hang(tmp_path):
    store = tmp_path / "store"
    assert (
        run(
            store,
            *add_args(behandler="Astrid Info", fra="+1", til="+2", tjeneste="alle"),
        ).returncode
        == 0
    )
    holder = subprocess.Popen(
        [
            "python3",
            "-c",
            textwrap.dedent(f"""
            import fcntl, os, time
            fd = os.open({str(store / ".lock")!r}, os.O_RDWR)
            fcntl.lockf(fd, fcntl.LOCK_EX, 1, {int(ORGNR)})
            print("locked", flush=True)
            time.sleep(60)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = snapshot(store)
        started = time.monotonic()
        result = run(
            store,
            *add_args(behandler="Per Test", fra="+1", til="+2", tjeneste="alle"),
            env={"FRAVAER_LOCK_TIMEOUT": "1"},
        )
        assert time.monotonic() - started < 20
        assert result.returncode == 5
        assert "Fikk ikke låst" in result.stderr and "Traceback" not in result.stderr
        assert snapshot(store) == before
        # Reading needs no lock.
        assert json.loads(run(store, "list", "--virksomhet", ORGNR, "--json").stdout)[0]["behandler"] == "Astrid Info"
    finally:
        holder.kill()
        holder.wait()
