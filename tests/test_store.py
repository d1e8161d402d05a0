"""The store on its own: formats, refusal to touch what it cannot read, locking, atomic writes."""

import json
import os
import subprocess
import sys
import textwrap
from datetime import date

import pytest

from fravaer_cli.domain.errors import NotFoundError, StoreError
from fravaer_cli.domain.model import make_draft
from fravaer_cli.domain.virksomhet import Virksomhet
from fravaer_cli.store.files import filestore as store_module
from fravaer_cli.store.files import writer
from fravaer_cli.store.files.filestore import FileStore
from tests.helpers import ORGNR, REPO, snapshot

TODAY = date(2024, 6, 1)


def add(
    store, behandler="Astrid Info", fra=date(2024, 6, 12), til=date(2024, 7, 8), tjenester=("timebestilling",), **kw
):
    draft = make_draft(behandler, fra, til, list(tjenester), **kw)
    with store.change(ORGNR, create=True) as change:
        fravaer, created = change.office.add(draft, TODAY, False, store.av, "2024-06-01T10:00:00+02:00")
        if created:
            change.record("add", fravaer.to_dict())
    return fravaer


@pytest.mark.parametrize("fmt", ["toml", "json"])
def test_round_trip_keeps_every_field(tmp_path, fmt):
    store = FileStore(tmp_path, fmt, av="ola")
    with store.change(ORGNR, create=True) as change:
        change.office.navn = 'DDFL "Test" = [x] # y'
        change.office.info = "Stengt i juli.\\n Ring 22 22 22 22."
        change.record("info", None)
    written = add(
        store,
        behandler='Åse "Ø" = Ødegård #1',
        tjenester=["timebestilling", "reseptfornyelse"],
        vikar=["e-konsultasjon"],
        kommentar="Ferie \"sommer\" 'x' [[a]] \\ # ikke kommentar",
        hpr="9144889",
    )
    assert (tmp_path / f"{ORGNR}.{fmt}").exists()
    loaded = FileStore(tmp_path).load(ORGNR)
    assert loaded.navn == 'DDFL "Test" = [x] # y'
    assert loaded.info == "Stengt i juli.\\n Ring 22 22 22 22."
    assert loaded.fravaer == [written]
    assert loaded.next_id == 2


def test_toml_file_is_what_the_spec_describes(tmp_path):
    store = FileStore(tmp_path, "toml")
    add(store)
    text = (tmp_path / f"{ORGNR}.toml").read_text()
    assert text.startswith("schema = 1\n")
    assert "fra = 2024-06-12\n" in text and "til = 2024-07-08\n" in text
    assert 'orgnr = "974760673"' in text


def test_json_file_has_iso_dates(tmp_path):
    store = FileStore(tmp_path, "json")
    add(store)
    document = json.loads((tmp_path / f"{ORGNR}.json").read_text())
    assert document["schema"] == 1
    assert document["fravaer"][0]["fra"] == "2024-06-12"
    assert document["virksomhet"]["orgnr"] == ORGNR


def test_existing_file_keeps_its_format(tmp_path):
    add(FileStore(tmp_path, "json"))
    add(FileStore(tmp_path, "toml"), behandler="Per Test")
    assert sorted(p.name for p in tmp_path.glob(f"{ORGNR}.*") if not p.name.endswith(".log")) == [f"{ORGNR}.json"]
    assert len(FileStore(tmp_path).load(ORGNR).fravaer) == 2


def test_example_store_loads():
    store = FileStore(REPO / "data" / "eksempel")
    reading = store.iter_offices()
    offices = list(reading)
    assert all(isinstance(o, Virksomhet) for o in offices) and offices and not reading.unreadable
    assert offices[0].navn == "DDFL Test"


CORRUPT = {
    "not toml": b"schema = 1\n[virksomhet\n",
    "not utf-8": b'schema = 1\nnavn = "\xff"\n',
    "newer schema": b'schema = 4\nneste_id = 1\n[virksomhet]\norgnr = "974760673"\n',
    "no schema": b'neste_id = 1\n[virksomhet]\norgnr = "974760673"\n',
    "schema as text": b'schema = "1"\nneste_id = 1\n[virksomhet]\norgnr = "974760673"\n',
    "wrong orgnr": b'schema = 1\nneste_id = 1\n[virksomhet]\norgnr = "988077917"\n',
    "unknown key": b'schema = 1\nneste_id = 1\nextra = 1\n[virksomhet]\norgnr = "974760673"\n',
    "missing neste_id": b'schema = 1\n[virksomhet]\norgnr = "974760673"\n',
}
FRAVAER_TAIL = {
    "fra after til": 'id = "1"\nbehandler = "A"\nfra = 2024-07-09\ntil = 2024-07-08\ntjenester = ["timebestilling"]\n',
    "missing behandler": 'id = "1"\nfra = 2024-07-01\ntil = 2024-07-08\ntjenester = ["timebestilling"]\n',
    "wrong type": 'id = 1\nbehandler = "A"\nfra = 2024-07-01\ntil = 2024-07-08\ntjenester = ["timebestilling"]\n',
    "text date": 'id = "1"\nbehandler = "A"\nfra = "1. juli"\ntil = 2024-07-08\ntjenester = ["timebestilling"]\n',
    "tjenester not list": (
        'id = "1"\nbehandler = "A"\nfra = 2024-07-01\ntil = 2024-07-08\ntjenester = "timebestilling"\n'
    ),
    "id reused": 'id = "5"\nbehandler = "A"\nfra = 2024-07-01\ntil = 2024-07-08\ntjenester = ["timebestilling"]\n',
}
for name, tail in FRAVAER_TAIL.items():
    CORRUPT[name] = b'schema = 1\nneste_id = 2\n[virksomhet]\norgnr = "974760673"\n[[fravaer]]\n' + tail.encode()
CORRUPT["duplicate ids"] = (
    b'schema = 1\nneste_id = 3\n[virksomhet]\norgnr = "974760673"\n'
    + b'[[fravaer]]\nid = "1"\nbehandler = "A"\nfra = 2024-07-01\ntil = 2024-07-08\ntjenester = ["timebestilling"]\n'
    * 2
)


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_unusable_file_is_named_and_never_overwritten(tmp_path, case):
    path = tmp_path / f"{ORGNR}.toml"
    path.write_bytes(CORRUPT[case])
    before = snapshot(tmp_path)
    store = FileStore(tmp_path)
    with pytest.raises(StoreError) as raised:
        store.load(ORGNR)
    assert str(path) in str(raised.value)
    assert raised.value.exit_code == 5
    with pytest.raises(StoreError):
        add(store, behandler="Per Test")
    assert snapshot(tmp_path) == before


def test_newer_schema_says_so(tmp_path):
    (tmp_path / f"{ORGNR}.toml").write_bytes(CORRUPT["newer schema"])
    with pytest.raises(StoreError, match="schema 4 er nyere"):
        FileStore(tmp_path).load(ORGNR)


def test_both_formats_at_once_is_refused(tmp_path):
    add(FileStore(tmp_path, "toml"))
    (tmp_path / f"{ORGNR}.json").write_text("{}")
    with pytest.raises(StoreError, match="både som"):
        FileStore(tmp_path).load(ORGNR)


def test_missing_office_is_not_found(tmp_path):
    with pytest.raises(NotFoundError):
        FileStore(tmp_path).load(ORGNR)


def test_failed_replace_leaves_the_old_file_and_no_temporaries(tmp_path, monkeypatch):
    store = FileStore(tmp_path)
    add(store)
    before = snapshot(tmp_path)

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module.os, "replace", broken_replace)
    with pytest.raises(StoreError, match="Kunne ikke skrive"):
        add(store, behandler="Per Test")
    assert snapshot(tmp_path) == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_stale_temporary_files_are_removed_on_the_next_write(tmp_path):
    store = FileStore(tmp_path)
    add(store)
    (tmp_path / f".{ORGNR}.toml.tmp").write_text("half, from a writer that was killed")
    add(store, behandler="Per Test")
    assert not list(tmp_path.glob(".*.tmp"))


def test_symlinked_store_file_is_not_followed(tmp_path):
    outside = tmp_path / "outside.toml"
    outside.write_bytes(b'schema = 1\nneste_id = 1\n[virksomhet]\norgnr = "974760673"\n')
    folder = tmp_path / "store"
    folder.mkdir()
    (folder / f"{ORGNR}.toml").symlink_to(outside)
    with pytest.raises(StoreError, match="symbolsk lenke"):
        FileStore(folder).load(ORGNR)


def test_audit_log_records_each_change_with_who(tmp_path):
    store = FileStore(tmp_path, av="kari", clock=lambda: "2024-06-01T10:00:00+02:00")
    add(store)
    add(store)  # identical: no change, no log line
    entries = store.read_log(ORGNR)
    assert [(e["handling"], e["av"], e["tid"], e["fravaer"]["behandler"]) for e in entries] == [
        ("add", "kari", "2024-06-01T10:00:00+02:00", "Astrid Info")
    ]


def test_dry_run_writes_nothing(tmp_path):
    store = FileStore(tmp_path)
    add(store)
    before = snapshot(tmp_path)
    with store.change(ORGNR, dry_run=True) as change:
        change.office.delete("1")
        change.record("delete", None)
    assert snapshot(tmp_path) == before


def test_lock_not_obtained_in_time_is_a_store_error(tmp_path):
    store = FileStore(tmp_path)
    add(store)
    store.lock_timeout = 0.2
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import fcntl, os, sys, time
            fd = os.open({str(tmp_path / ".lock")!r}, os.O_RDWR | os.O_CREAT)
            fcntl.lockf(fd, fcntl.LOCK_EX, 1, {int(ORGNR)})
            print("locked", flush=True)
            time.sleep(30)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = snapshot(tmp_path)
        with pytest.raises(StoreError, match="Fikk ikke låst"):
            add(store, behandler="Per Test")
        assert snapshot(tmp_path) == before
    finally:
        holder.kill()
        holder.wait()


WRITER = """
import sys
from datetime import date
from pathlib import Path
from fravaer_cli.domain.model import make_draft
from fravaer_cli.store.files.filestore import FileStore

store = FileStore(Path(sys.argv[1]), av="writer" + sys.argv[2])
for i in range(int(sys.argv[3])):
    draft = make_draft(f"Lege {sys.argv[2]}-{i}", date(2030, 1, 1), date(2030, 1, 2), ["timebestilling"])
    with store.change("974760673", create=True) as change:
        fravaer, created = change.office.add(draft, date(2024, 1, 1), False, store.av, "t")
        change.record("add", fravaer.to_dict())
"""


def test_concurrent_writers_from_several_processes_lose_nothing(tmp_path):
    writers, each = 6, 15
    env = {**os.environ, "PYTHONPATH": str(REPO), "FRAVAER_LOCK_TIMEOUT": "60"}
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(n), str(each)], env=env)
        for n in range(writers)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0] * writers
    office = FileStore(tmp_path).load(ORGNR)
    assert len(office.fravaer) == writers * each
    assert len({f.id for f in office.fravaer}) == writers * each
    assert office.next_id == writers * each + 1
    assert len(FileStore(tmp_path).read_log(ORGNR)) == writers * each


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=30)


# FileStore records with any text in them, as the writer and readers must take them.
RECORDS = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.text("0123456789", min_size=1, max_size=8),
            "behandler": TEXT,
            "fra": st.dates(),
            "til": st.dates(),
            "tjenester": st.lists(TEXT, max_size=4),
            "vikar": st.lists(TEXT, max_size=2),
        },
        optional={"kommentar": TEXT, "hpr": TEXT, "registrert_av": TEXT, "registrert": TEXT},
    ),
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(navn=TEXT, records=RECORDS)
def test_toml_writer_reads_back_exactly_and_as_tomli_w_writes_it(navn, records):
    import tomllib

    import tomli_w

    document = {
        "schema": 1,
        "virksomhet": {"orgnr": ORGNR, "navn": navn, "info": navn[::-1]},
        "neste_id": 9,
        "fravaer": records,
    }
    ours = tomllib.loads(writer.serialise(document, ".toml").decode("utf-8"))
    assert ours == tomllib.loads(tomli_w.dumps(document))
    assert ours == {**document, "fravaer": records}
