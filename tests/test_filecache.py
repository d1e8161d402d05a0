"""The cache of large office files (filecache.py): used only for a file exactly as fravaer wrote it,
and what is written with it is byte for byte what is written without it."""

import json
import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from fravaer_cli.domain.model import make_draft
from fravaer_cli.store.files import documents, filecache
from fravaer_cli.store.files import filestore as store_module
from fravaer_cli.store.files.filestore import FileStore
from fravaer_cli.usecases import operations
from tests.helpers import ORGNR, run

TODAY = date(2030, 1, 1)
NOW = "2030-01-01T08:00:00+01:00"


def fill(store: FileStore, count: int = 80) -> None:
    """count fravær over 10 GPs, with comments and vikar: a file well over filecache.SMALLEST."""
    for i in range(count):
        fra = date(2030, 2, 1) + timedelta(days=40 * (i // 10))
        draft = make_draft(
            f"Lege {i % 10} Østby",
            fra,
            fra + timedelta(days=5),
            ["timebestilling", "reseptfornyelse"] if i % 3 else ["alle"],
            ["e-konsultasjon"] if i % 7 == 0 else [],
            f'Ferie «{i}» "sommer"',
            f"914488{i % 10}" if i % 4 == 0 else None,  # one HPR number is one GP
            all_tjenester=i % 3 == 0,
        )
        operations.add(store, ORGNR, draft, TODAY, False, NOW)


def entries(cache_home) -> list:
    return sorted((cache_home / "fravaer" / "kontorer").glob("*/*.json"))


def entry_body(path: Path) -> dict:
    """An entry's office and its fravær's rows, after its first line (the checksum of the rest)."""
    head, *lines = path.read_bytes().partition(b"\n")[2].split(b"\n")
    return {**json.loads(head), "fravaer": [json.loads(line[22:]) for line in lines]}


def layout(entry: dict) -> str:
    """An entry's body as fravaer writes it: the office, then a line per fravær headed by its days."""
    head = json.dumps({k: v for k, v in entry.items() if k != "fravaer"}, ensure_ascii=False)
    return "\n".join([head, *(f"{r[3]} {r[4]} {json.dumps(r, ensure_ascii=False)}" for r in entry["fravaer"])])


def sealed(text: str) -> bytes:
    """An entry's body with the checksum fravaer would give it: as someone who meant to
    change an entry would write it, so that what is checked besides the checksum is tested."""
    body = text.encode("utf-8")
    return filecache._digest(body).encode() + b"\n" + body


def no_parse(monkeypatch):
    def refuse(*_):
        raise AssertionError("the file was parsed")

    monkeypatch.setattr(store_module, "parse_document", refuse)


def test_a_large_office_is_read_from_its_entry_and_equals_the_parsed_file(tmp_path, own_cache, monkeypatch):
    store = FileStore(tmp_path / "store", av="ola")
    fill(store)
    path = tmp_path / "store" / f"{ORGNR}.toml"
    assert path.stat().st_size >= filecache.SMALLEST
    [entry] = entries(own_cache)
    assert entry.stat().st_mode & 0o777 == 0o600
    parsed = documents.office_from(documents.parse_document(path.read_bytes(), ".toml"), ORGNR)
    no_parse(monkeypatch)
    cached = FileStore(tmp_path / "store").load(ORGNR)
    assert cached == parsed
    assert len(cached.fravaer) == 80


def test_small_offices_have_no_entry(tmp_path, own_cache):
    fill(FileStore(tmp_path / "store", av="ola"), count=3)
    assert entries(own_cache) == []


def test_every_write_is_byte_for_byte_what_is_written_without_the_cache(tmp_path, own_cache, monkeypatch):
    """The same changes to two stores, one of them with no cache: after each, the files are equal.
    The changes keep some fravær as they were (their bytes are reused), and change others."""
    cached, plain = FileStore(tmp_path / "a", av="ola"), FileStore(tmp_path / "b", av="ola")
    plain._cache.folder = None  # as when there is no home to keep a cache in
    steps = [
        lambda s: fill(s),
        lambda s: operations.edit(s, ORGNR, "5", TODAY, False, kommentar="Endret «5»"),
        lambda s: operations.delete(s, ORGNR, "7"),
        lambda s: operations.set_info(s, ORGNR, navn='DDFL "Test"', info="Ring oss."),
        lambda s: operations.roster_add(s, ORGNR, "Lege 1 Østby", "1234567"),
        lambda s: operations.rename(s, ORGNR, "Lege 3 Østby", "Lege Tre Østby"),
        lambda s: operations.edit(s, ORGNR, "80", TODAY, False, til=date(2030, 11, 10)),
        lambda s: operations.add(
            s,
            ORGNR,
            make_draft("Lege 1 Østby", date(2031, 1, 5), date(2031, 1, 9), ["alle"], all_tjenester=True),
            TODAY,
            False,
            NOW,
        ),
    ]
    for number, step in enumerate(steps):
        step(cached)
        step(plain)
        a, b = (tmp_path / folder / f"{ORGNR}.toml" for folder in "ab")
        assert a.read_bytes() == b.read_bytes(), f"step {number}"
        assert len(entries(own_cache)) == 1
    # The last write's entry is what the next read uses, and it gives what the file says.
    no_parse(monkeypatch)
    office = FileStore(tmp_path / "a").load(ORGNR)
    assert office.navn == 'DDFL "Test"' and office.get("5").kommentar == "Endret «5»"
    assert {f.behandler for f in office.fravaer if f.behandler.startswith("Lege T")} == {"Lege Tre Østby"}


def test_an_import_over_many_offices_makes_the_same_files_and_entries(tmp_path, own_cache, monkeypatch):
    """An import over more than 8 offices stages every file first: the large one gets its entry
    then, and an import into offices read from entries writes what an import without them does."""
    from tests.benchmarks import data

    offices = data.orgnrs(9)
    cached, plain = FileStore(tmp_path / "a", av="ola"), FileStore(tmp_path / "b", av="ola")
    plain._cache.folder = None
    for store in (cached, plain):
        fill(store)  # the office ORGNR, large
    lines = ["virksomhet;behandler;fra;til;tjenester"]
    lines += [
        f"{orgnr};Lege {n} Testesen;01.0{1 + n % 9}.2031;05.0{1 + n % 9}.2031;alle" for n, orgnr in enumerate(offices)
    ]
    lines += [f"{ORGNR};Ny Lege;0{1 + n}.03.2031;0{1 + n}.03.2031;timebestilling" for n in range(3)]
    raw = ("\n".join(lines) + "\n").encode("utf-8")
    for _ in range(2):  # the second time, the large office is read from its entry (an identical row changes nothing)
        for store in (cached, plain):
            _, plan = operations.import_rows(store, raw, "rader.csv", TODAY, False, NOW, dry_run=False)
            assert not plan.errors
        for orgnr in (ORGNR, *offices):
            a, b = (tmp_path / folder / f"{orgnr}.toml" for folder in "ab")
            assert a.read_bytes() == b.read_bytes()
    assert [e.stem for e in entries(own_cache)] == [ORGNR]
    operations.edit(cached, ORGNR, "82", TODAY, False, kommentar="Endret")
    operations.edit(plain, ORGNR, "82", TODAY, False, kommentar="Endret")
    assert (tmp_path / "a" / f"{ORGNR}.toml").read_bytes() == (tmp_path / "b" / f"{ORGNR}.toml").read_bytes()
    no_parse(monkeypatch)
    assert FileStore(tmp_path / "a").load(ORGNR).get("82").kommentar == "Endret"


def test_a_json_store_has_no_entries(tmp_path, own_cache):
    """JSON is parsed quickly enough; a large JSON office is written and read without the cache."""
    store = FileStore(tmp_path / "store", "json", av="ola")
    fill(store)
    assert (tmp_path / "store" / f"{ORGNR}.json").stat().st_size >= filecache.SMALLEST
    assert entries(own_cache) == []
    assert len(FileStore(tmp_path / "store").load(ORGNR).fravaer) == 80


def test_a_hand_edit_of_the_same_size_is_read_from_the_file(tmp_path, own_cache):
    store = FileStore(tmp_path / "store", av="ola")
    fill(store)
    path = tmp_path / "store" / f"{ORGNR}.toml"
    text = path.read_text(encoding="utf-8")
    assert 'kommentar = "Ferie «12» \\"sommer\\""' in text
    edited = text.replace('kommentar = "Ferie «12» \\"sommer\\""', 'kommentar = "Ferie «21» \\"sommer\\""')
    path.write_text(edited, encoding="utf-8")
    assert len(edited.encode()) == os.path.getsize(path)
    assert FileStore(tmp_path / "store").load(ORGNR).get("13").kommentar == 'Ferie «21» "sommer"'
    # The next write starts from the hand-edited file, and keeps the edit.
    operations.edit(FileStore(tmp_path / "store", av="ola"), ORGNR, "1", TODAY, False, kommentar="x")
    assert 'kommentar = "Ferie «21» \\"sommer\\""' in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "spoil",
    [
        lambda e: "{not json",
        lambda e: layout({**e, "version": "0.0.1"}),
        lambda e: layout({**e, "format": 99}),
        lambda e: layout({**e, "fravaer": [row[:5] for row in e["fravaer"]]}),
        lambda e: layout({**e, "fravaer": [[*row[:3], 20300101, *row[4:]] for row in e["fravaer"]]}),
        lambda e: layout({**e, "virksomhet": [ORGNR]}),
        lambda e: "[]",
        lambda e: layout(e).replace(f"{e['fravaer'][2][3]} ", "2001-01-01 ", 1),
        lambda e: layout({**e, "fravaer": e["fravaer"][:-1]}),
        lambda e: layout({**e, "fravaer": [[row[0] + (n == 3), *row[1:]] for n, row in enumerate(e["fravaer"])]}),
        lambda e: layout(
            {**e, "fravaer": [[r[0], *s[1:]] for r, s in zip(e["fravaer"], e["fravaer"][::-1], strict=True)]}
        ),
    ],
    ids=[
        "not-json",
        "other-version",
        "other-format",
        "short-rows",
        "bad-date",
        "short-office",
        "not-an-object",
        "a-line-dated-otherwise",
        "a-fravaer-missing",
        "a-table-moved",
        "rows-at-others-tables",
    ],
)
def test_an_entry_that_does_not_fit_is_not_used(tmp_path, own_cache, spoil):
    store = FileStore(tmp_path / "store", av="ola")
    fill(store)
    [entry] = entries(own_cache)
    entry.write_bytes(sealed(spoil(entry_body(entry))))
    path = tmp_path / "store" / f"{ORGNR}.toml"
    parsed = documents.office_from(documents.parse_document(path.read_bytes(), ".toml"), ORGNR)
    assert FileStore(tmp_path / "store").load(ORGNR) == parsed
    # and a write from it keeps every fravær, once
    operations.edit(FileStore(tmp_path / "store", av="ola"), ORGNR, "2", TODAY, False, kommentar="Endret")
    written = FileStore(tmp_path / "store").load(ORGNR)
    assert [f.id for f in written.fravaer] == [f.id for f in parsed.fravaer]


def test_an_entry_of_another_office_or_store_is_not_used(tmp_path, own_cache):
    """The entry's office must be the one asked for, and the bytes must be the file's."""
    one, other = FileStore(tmp_path / "one", av="ola"), FileStore(tmp_path / "two", av="ola")
    fill(one)
    fill(other, count=81)
    first, second = entries(own_cache)
    first.write_bytes(second.read_bytes())
    for folder in ("one", "two"):
        path = tmp_path / folder / f"{ORGNR}.toml"
        parsed = documents.office_from(documents.parse_document(path.read_bytes(), ".toml"), ORGNR)
        assert FileStore(tmp_path / folder).load(ORGNR) == parsed


def test_a_cache_that_cannot_be_written_changes_nothing_the_user_sees(tmp_path, monkeypatch):
    """$XDG_CACHE_HOME is a file: no entry can be made, and add says and stores what it always does."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    store = tmp_path / "store"
    results = []
    for cache_home in (blocked, tmp_path / "cache"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
        folder = store / cache_home.name
        fill(FileStore(folder, av="ola"))
        results.append(
            run(
                folder,
                "--av",
                "ola",
                "add",
                "--virksomhet",
                ORGNR,
                "--behandler",
                "Lege 1 Østby",
                "--fra",
                "01.06.2031",
                "--til",
                "02.06.2031",
                "--tjeneste",
                "alle",
                "--kommentar",
                "k",
            )
        )
    said = [(r.returncode, r.stdout, r.stderr) for r in results]
    assert said[0] == said[1] and said[0][:2] == (0, "81\n") and said[0][2].startswith("Registrert fravær 81: ")
    assert len(entries(tmp_path / "cache")) == 1 and not list((tmp_path / "cache").glob("**/.*.tmp"))
    # Equal but for when the last add was made.
    texts = [
        re.sub(
            r'registrert = "(?!2030-01-01T08)[^"]*"', "", (store / name / f"{ORGNR}.toml").read_text(encoding="utf-8")
        )
        for name in ("not-a-folder", "cache")
    ]
    assert texts[0] == texts[1]


def test_the_status_of_a_large_office_is_what_the_file_says_after_a_hand_edit(tmp_path, own_cache):
    """Through the real program: a hand edit between two calls is seen by the second."""
    folder = tmp_path / "store"
    fill(FileStore(folder, av="ola"))
    day = ["--date", "2030-02-03"]
    before = run(folder, "status", "--virksomhet", ORGNR, *day)
    assert before.returncode == 0 and "Lege 0 Østby" in before.stdout
    path = folder / f"{ORGNR}.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("Lege 0 Østby", "Lege 0 Østbø"), encoding="utf-8")
    after = run(folder, "status", "--virksomhet", ORGNR, *day)
    assert after.returncode == 0 and "Lege 0 Østbø" in after.stdout and "Lege 0 Østby" not in after.stdout


def test_an_entry_changed_inside_with_its_size_and_hash_kept_is_not_believed(tmp_path, own_cache):
    """A fravær's dates changed in the entry itself, the file's size and hash left as they were:
    list shows the file's dates, and an add of the real fravær again is 'finnes allerede'."""
    import subprocess
    import sys

    store = FileStore(tmp_path / "store", av="ola")
    fill(store)
    [entry] = entries(own_cache)
    body = entry_body(entry)
    n = next(n for n, row in enumerate(body["fravaer"]) if "alle" not in row[5] and not row[8])
    real = body["fravaer"][n]
    body["fravaer"][n] = [*real[:3], "2031-06-01", "2031-06-02", *real[5:]]
    checksum = entry.read_bytes().partition(b"\n")[0]
    entry.write_bytes(checksum + b"\n" + layout(body).encode("utf-8"))

    def fravaer(*args):
        env = {**os.environ, "XDG_CACHE_HOME": str(own_cache)}
        command = [sys.executable, "-m", "fravaer_cli", "--data-dir", str(tmp_path / "store"), *args]
        return subprocess.run(command, capture_output=True, text=True, env=env)

    listed = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json", "--include-past").stdout)
    first = next(r for r in listed if r["id"] == real[1])
    assert (first["fra"], first["til"]) == (real[3], real[4])
    fra, til = (date.fromisoformat(d).strftime("%d.%m.%Y") for d in real[3:5])
    again = fravaer(
        "add", "--virksomhet", ORGNR, "--behandler", real[2], "--fra", fra, "--til", til,
        *(arg for key in real[5] for arg in ("--tjeneste", key)), *(arg for key in real[6] for arg in ("--vikar", key)),
        "--kommentar", real[7], "--allow-past",
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "finnes allerede" in again.stderr and again.stdout.strip() == real[1]


def chain(store: FileStore) -> None:
    """Kari Kjede away three weeks back to back: the first two share a service, the third not."""
    weeks = [(date(2031, 3, 1), ["timebestilling"]), (date(2031, 3, 8), ["timebestilling", "reseptfornyelse"])]
    weeks.append((date(2031, 3, 15), ["e-konsultasjon"]))
    for fra, tjenester in weeks:
        draft = make_draft("Kari Kjede", fra, fra + timedelta(days=6), tjenester)
        operations.add(store, ORGNR, draft, TODAY, False, NOW)


def test_a_report_about_some_days_reads_from_the_entry_only_the_fravaer_that_can_matter(tmp_path, own_cache):
    """iter_offices(days=...): those that meet the days, and those back to back with them for the
    same GP and a shared service (one stretch), as the database gives them; no more."""
    store = FileStore(tmp_path / "store", av="ola")
    fill(store)
    chain(store)
    whole = store.load(ORGNR).fravaer
    kari = [f.id for f in whole if f.behandler == "Kari Kjede"]
    for days, wanted in [
        ((date(2031, 3, 10), date(2031, 3, 10)), kari[:2]),
        ((date(2031, 3, 16), date(2031, 3, 16)), kari[2:]),
        ((date(2031, 3, 7), date(2031, 3, 8)), kari[:2]),
        ((date(2030, 2, 3), date(2030, 2, 4)), [f.id for f in whole if f.fra == date(2030, 2, 1)]),
        ((date(2031, 3, 14), None), kari),
        ((date(2031, 4, 1), None), []),
    ]:
        [office] = store.iter_offices(days=days)
        assert [f.id for f in office.fravaer] == wanted, days
        assert office.fravaer == [f for f in whole if f.id in wanted]


def test_calendar_exports_and_reports_are_the_same_read_from_the_entry_as_from_the_file(tmp_path, own_cache):
    """Through the real program, with the cache and without it (then every file is parsed whole)."""
    folder = tmp_path / "store"
    store = FileStore(folder, av="ola")
    fill(store, 120)
    chain(store)
    no_cache = tmp_path / "not-a-folder"
    no_cache.write_text("")
    calls = [
        ["calendar", "--all", "--format", "ics", "--fra", "01.03.2031", "--til", "09.03.2031"],
        ["calendar", "--virksomhet", ORGNR, "--format", "ics", "--fra", "20.03.2031", "--til", "30.03.2031"],
        ["calendar", "--virksomhet", ORGNR, "--format", "ics", "--fra", "01.02.2030", "--til", "04.02.2031"],
        ["calendar", "--virksomhet", ORGNR, "--json", "--fra", "01.03.2031", "--til", "31.03.2031"],
        ["status", "--all", "--json", "--date", "2031-03-09", "--until-workday"],
        ["list", "--all", "--json"],
    ]
    for args in calls:
        cached, parsed = (run(folder, *args, env={"XDG_CACHE_HOME": str(home)}) for home in (own_cache, no_cache))
        assert cached.returncode == parsed.returncode == 0, cached.stderr + parsed.stderr
        stamp = re.compile(r"DTSTAMP:\S+")
        assert stamp.sub("", cached.stdout) == stamp.sub("", parsed.stdout), args
        assert cached.stderr == parsed.stderr
