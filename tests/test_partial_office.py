"""A big office changed in part (store/files/partial.py): add and edit read only the fravær of
their days from the office's cache entry, with the directory of its GPs, and write back the
bytes a whole read and write makes. Each command runs on two copies of one office: one with its
cache entry (read in part, which each test checks), one read whole (its cache folder new for
each command), and everything they say and store must be the same, the cache entries too."""

import json
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from fravaer_cli.cli import clock
from fravaer_cli.domain import catalogue
from fravaer_cli.domain.model import make_draft
from fravaer_cli.store.base import Scope
from fravaer_cli.store.files import documents, filecache
from fravaer_cli.store.files.filestore import FileStore
from fravaer_cli.store.files.writer import toml_office
from fravaer_cli.usecases import operations
from tests.helpers import ORGNR, OTHER_ORGNR, Fravaer, add_args, snapshot

TODAY = date(2030, 1, 2)
NOW = "2030-01-02T09:00:00+01:00"
GPS = [f"Lege {n} Østby" for n in range(10)]


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime.fromisoformat(NOW))


@pytest.fixture
def reads(monkeypatch) -> list:
    """What each read for a change made of an office's entry in part: a PartialRead, or None."""
    seen: list = []
    real = filecache._part

    def spy(*args):
        found = real(*args)
        seen.append(found)
        return found

    monkeypatch.setattr(filecache, "_part", spy)
    return seen


def history(store: FileStore, orgnr: str = ORGNR) -> None:
    """Years of fravær: ten GPs with one each every 150 days from 2026 to 2031, and GPs known only from
    2026 (one with an HPR number, one written surname first): a file well over SMALLEST."""

    def add(name, fra, days=4, tjenester=("alle",), hpr=None, kommentar=""):
        every = tjenester == ("alle",)  # as the CLI gives «alle»: every service
        tjenester = list(catalogue.catalogue()) if every else list(tjenester)
        draft = make_draft(name, fra, fra + timedelta(days=days), tjenester, [], kommentar, hpr, all_tjenester=every)
        operations.add(store, orgnr, draft, TODAY, True, NOW)

    add("Per Hansen", date(2026, 1, 5))
    add("Kari Nordmann", date(2026, 1, 5), hpr="9144880")
    add("Hansen, Ola", date(2026, 1, 12))
    for i in range(120):
        _, fra, _, tjenester = planned(i)
        add(GPS[i % 10], fra, 5, tjenester, kommentar=f'Ferie «{i}» "sommer"')


def planned(i: int) -> tuple[str, date, date, tuple[str, ...]]:
    """The i-th of the ten GPs' fravær in history(): its id, days and services."""
    fra = date(2026, 2, 2) + timedelta(days=150 * (i // 10))
    return str(i + 4), fra, fra + timedelta(days=5), ("alle",) if i % 3 == 0 else ("timebestilling", "reseptfornyelse")


def day(d: date) -> str:
    return d.strftime("%d.%m.%Y")


class Twins:
    """One store with its office's cache entry (part), a copy of it read whole (whole)."""

    def __init__(self, tmp_path: Path, cache_home: Path, reads: list):
        self.tmp, self.cache_home, self.reads = tmp_path, cache_home, reads
        self.part_dir, self.whole_dir = tmp_path / "part" / "store", tmp_path / "whole" / "store"
        self.part, self.whole = Fravaer(self.part_dir), Fravaer(self.whole_dir)
        self.runs = 0

    def copy(self) -> None:
        """The whole store made a copy of the part store as it is now."""
        shutil.rmtree(self.whole_dir, ignore_errors=True)
        shutil.copytree(self.part_dir, self.whole_dir)

    def __call__(self, *args: str, in_part: bool = True):
        """Runs args on both; checks that they said and stored the same, and that the part
        store read its office in part (in_part) or whole; returns the part store's result."""
        self.reads.clear()
        got = self.part(*args)
        if in_part:
            assert self.reads and all(r is not None for r in self.reads), "not read in part"
        else:
            assert not any(self.reads), "read in part"
        self.reads.clear()
        self.runs += 1
        fresh = self.tmp / f"cache-{self.runs}"  # no entry: the office is read whole
        want = self.whole(*args, env={"XDG_CACHE_HOME": str(fresh)})
        assert not any(self.reads)
        said = [
            (r.exit_code, r.stdout.replace(str(d), "<store>"), r.stderr.replace(str(d), "<store>"))
            for r, d in ((got, self.part_dir), (want, self.whole_dir))
        ]
        assert said[0] == said[1]
        assert snapshot(self.part_dir) == snapshot(self.whole_dir)
        for orgnr in (ORGNR, OTHER_ORGNR):
            # The entry a spliced write leaves is the one a whole write makes (its directory too).
            if (written := entry_of(fresh, orgnr)) is not None:
                assert entry_of(self.cache_home, orgnr) == written
        return got


def entry_of(cache_home: Path, orgnr: str) -> bytes | None:
    found = list((cache_home / "fravaer" / "kontorer").glob(f"*/{orgnr}.json"))
    return found[0].read_bytes().partition(b"\n")[2] if found else None


def whole_bytes(path: Path, orgnr: str = ORGNR) -> bytes:
    """The office's file as a whole write of what a parse of it gives makes it."""
    office = documents.office_from(documents.parse_document(path.read_bytes(), ".toml"), orgnr)
    return toml_office(office)[0]


@pytest.fixture
def twins(tmp_path, own_cache, reads) -> Twins:
    made = Twins(tmp_path, own_cache, reads)
    store = FileStore(made.part_dir, av="ola")
    history(store)
    path = made.part_dir / f"{ORGNR}.toml"
    assert path.stat().st_size > filecache.SMALLEST
    assert path.read_bytes() == whole_bytes(path)  # the adds above were spliced too
    made.copy()
    # A spelling remembered from a rename, made on both (a rename reads the office whole).
    result = made(
        "roster",
        "rename",
        "--virksomhet",
        ORGNR,
        "--behandler",
        "Lege 9 Østby",
        "--til-navn",
        "Lege Ni Østby",
        in_part=False,
    )
    assert result.exit_code == 0, result.stderr
    return made


def test_a_new_gp_whose_name_is_like_one_known_only_from_old_fravaer_is_noted(twins):
    result = twins(*add_args(behandler="Per Hanssen", fra="01.06.2032", til="04.06.2032"))
    assert "Per Hansen" in result.stdout + result.stderr
    # Now known: the same again is identical, and the GP is the one stored.
    twins(*add_args(behandler="Per Hanssen", fra="01.06.2032", til="04.06.2032"))
    twins(*add_args(behandler="Per Hanssen", fra="03.06.2032", til="08.06.2032"))


def test_a_gp_known_only_from_history_by_another_spelling_or_an_old_name(twins):
    result = twins(*add_args(behandler="Hansen, Per", fra="01.06.2032", til="02.06.2032"))
    assert result.exit_code == 0
    assert 'behandler = "Per Hansen"' in (twins.part_dir / f"{ORGNR}.toml").read_text().rsplit("[[fravaer]]", 1)[1]
    twins(*add_args(behandler="Ola Hansen", fra="01.06.2032", til="02.06.2032"))
    result = twins(*add_args(behandler="Lege 9 Østby", fra="01.06.2032", til="02.06.2032"))
    assert "Lege Ni Østby" in result.stdout + result.stderr
    twins(
        *add_args(behandler="Lege 11 Østby", fra="01.06.2032", til="02.06.2032")
    )  # look-alikes, in the office's order


def test_an_hpr_number_another_gp_has_only_on_an_old_fravaer_is_refused(twins):
    result = twins(*add_args("--hpr", "9144880", behandler="Ny Lege", fra="01.06.2032", til="02.06.2032"))
    assert result.exit_code != 0 and "Kari Nordmann" in result.stderr
    assert (
        twins(*add_args("--hpr", "9144880", behandler="Kari Nordmann", fra="01.06.2032", til="02.06.2032")).exit_code
        == 0
    )


def test_an_identical_add_an_overlap_and_a_vikar_clash(twins):
    fravaer_id, fra, til, tjenester = planned(101)  # Lege 1 Østby's, in March 2030
    assert tjenester == ("timebestilling", "reseptfornyelse") and fra > TODAY
    same = ("--tjeneste", "reseptfornyelse", "--kommentar", 'Ferie «101» "sommer"')
    result = twins(*add_args(*same, behandler="Lege 1 Østby", fra=day(fra), til=day(til), tjeneste="timebestilling"))
    assert result.exit_code == 0 and fravaer_id in result.stdout + result.stderr
    later = {"fra": day(fra + timedelta(days=3)), "til": day(til + timedelta(days=3))}
    result = twins(*add_args(behandler="Lege 1 Østby", tjeneste="reseptfornyelse", **later))
    assert result.exit_code == 4 and f"Overlapper med fravær {fravaer_id}" in result.stderr
    result = twins(*add_args("--vikar", "timebestilling", behandler="Lege 1 Østby", tjeneste="e-konsultasjon", **later))
    assert result.exit_code == 4 and "vikar" in result.stderr
    assert twins(*add_args(behandler="Kari Nordmann", **later)).exit_code == 0
    # Back to back with Lege 1's (one stretch for citizens), and a day before another of its own.
    after = {"fra": day(til + timedelta(days=1)), "til": day(til + timedelta(days=2))}
    assert twins(*add_args(behandler="Lege 1 Østby", tjeneste="timebestilling", **after)).exit_code == 0
    before = {"fra": day(fra - timedelta(days=2)), "til": day(fra - timedelta(days=1))}
    assert twins(*add_args(behandler="Lege 1 Østby", tjeneste="timebestilling", **before)).exit_code == 0
    assert twins(*add_args("--dry-run", behandler="Per Hansen", **later)).exit_code == 0


def test_no_gp_at_work_counts_the_gps_known_only_from_history(twins):
    days = {"fra": "06.01.2033", "til": "07.01.2033"}
    for name in [*GPS[:9], "Lege Ni Østby", "Kari Nordmann", "Hansen, Ola"]:
        result = twins(*add_args(behandler=name, **days))
        assert "ingen fastlege" not in result.stdout + result.stderr
    result = twins(*add_args(behandler="Per Hansen", **days))
    assert "ingen fastlege" in result.stdout + result.stderr


def test_edits_of_comment_days_gp_and_hpr(twins):
    # Fravær 4 is Lege 0 Østby's first (the first of the GPs after those of 2026).
    twins("edit", "40", "--virksomhet", ORGNR, "--kommentar", "Lengre kommentar enn før, så alt etter flyttes")
    twins("edit", "40", "--virksomhet", ORGNR, "--kommentar", "")
    result = twins("edit", "41", "--virksomhet", ORGNR, "--fra", "02.02.2040", "--til", "03.02.2040")
    assert result.exit_code == 0, result.stderr
    onto, fra, _, _ = planned(108)  # Lege 8 Østby's of 2030, closing every service
    result = twins("edit", "42", "--virksomhet", ORGNR, "--fra", day(fra), "--til", day(fra + timedelta(days=1)))
    assert result.exit_code == 4 and f"fravær {onto}" in result.stderr, result.stdout
    # A name and a comment JSON escapes, in a line the directory is made again from below.
    quoted = ("--kommentar", 'sier "hei", \\ og [ferie]', "--hpr", "9144777")
    assert twins(*add_args(*quoted, behandler='Anne "Bø" Li\\', fra="01.06.2032", til="02.06.2032")).exit_code == 0
    # Per Hansen's only fravær given to another GP: he is no GP here any more, and it is the
    # first of Lege Ni Østby now.
    assert twins("edit", "1", "--virksomhet", ORGNR, "--behandler", "Lege Ni Østby").exit_code == 0
    result = twins(*add_args(behandler="Per Hanssen", fra="01.06.2032", til="02.06.2032"))
    assert "Per Hansen" not in result.stdout + result.stderr
    # Lege 0 Østby's first fravær given to Kari Nordmann: a later one is Lege 0's first.
    assert twins("edit", "4", "--virksomhet", ORGNR, "--behandler", "Kari Nordmann").exit_code == 0
    result = twins(*add_args(behandler="Lege 12 Østby", fra="01.06.2032", til="02.06.2032"))
    assert "Lege 1 Østby" in result.stdout + result.stderr  # the look-alikes, in the office's order
    assert twins("edit", "43", "--virksomhet", ORGNR, "--hpr", "9144999").exit_code == 0
    result = twins(*add_args("--hpr", "9144999", behandler="Lege 5 Østby", fra="01.06.2032", til="02.06.2032"))
    assert result.exit_code != 0 and "Lege Ni Østby" in result.stderr
    assert twins("edit", "2", "--virksomhet", ORGNR, "--hpr", "").exit_code == 0  # 9144880 is nobody's now
    assert (
        twins(*add_args("--hpr", "9144880", behandler="Lege 5 Østby", fra="01.06.2032", til="02.06.2032")).exit_code
        == 0
    )
    assert twins("edit", "9999", "--virksomhet", ORGNR, "--kommentar", "x").exit_code != 0
    assert twins("edit", "44", "--virksomhet", ORGNR, "--kommentar", "y", "--dry-run").exit_code == 0
    path = twins.part_dir / f"{ORGNR}.toml"
    assert path.read_bytes() == whole_bytes(path)


def test_a_hand_edit_between_calls_is_read_whole(twins):
    twins(*add_args(behandler="Lege 3 Østby", fra="01.06.2032", til="02.06.2032"))
    for folder in (twins.part_dir, twins.whole_dir):
        path = folder / f"{ORGNR}.toml"
        path.write_bytes(
            path.read_bytes().replace(b'kommentar = "Ferie \xc2\xab7\xc2\xbb', b'kommentar = "Ferje \xc2\xab7\xc2\xbb')
        )
    twins(*add_args(behandler="Lege 3 Østby", fra="03.06.2032", til="04.06.2032"), in_part=False)
    twins(*add_args(behandler="Lege 3 Østby", fra="05.06.2032", til="06.06.2032"))  # its entry fits again


def test_an_entry_of_the_old_format_is_not_used(twins):
    [entry] = (twins.cache_home / "fravaer" / "kontorer").glob(f"*/{ORGNR}.json")
    head, rest = entry.read_bytes().partition(b"\n")[2].split(b"\n", 1)
    old = json.loads(head)
    old["format"] = 4
    del old["directory"]
    body = json.dumps(old, ensure_ascii=False).encode() + b"\n" + rest
    entry.write_bytes(filecache._digest(body).encode() + b"\n" + body)
    twins(*add_args(behandler="Lege 3 Østby", fra="01.06.2032", til="02.06.2032"), in_part=False)
    twins(*add_args(behandler="Lege 3 Østby", fra="03.06.2032", til="04.06.2032"))


def test_an_office_with_a_roster(twins):
    history(FileStore(twins.part_dir, av="ola"), OTHER_ORGNR)
    roster = [arg for name in GPS for arg in ("--behandler", name)]
    assert twins.part("roster", "add", "--virksomhet", OTHER_ORGNR, *roster).exit_code == 0
    twins.copy()
    days = {"fra": "06.01.2033", "til": "07.01.2033", "orgnr": OTHER_ORGNR}
    result = twins(*add_args(behandler="Lege 0 Østbye", **days))
    assert result.exit_code != 0 and "Lege 0 Østby" in result.stderr
    assert twins(*add_args(behandler="Per Hansen", **days)).exit_code != 0  # known from history, not on the roster
    for name in GPS[:9]:
        assert "ingen fastlege" not in twins(*add_args(behandler=name, **days)).stderr
    result = twins(*add_args(behandler=GPS[9], **days))
    assert "ingen fastlege" in result.stdout + result.stderr


def test_an_import_changes_offices_read_in_part_from_its_prepared_check(twins):
    """As the import does it (load_for_change, then change_many with prepared= and the same
    scope): the office checked before the lock is written while its stamp holds, also after a dry
    run read it again; it is read again under the lock when the stamp does not hold."""
    scope = Scope(days=(date(2032, 6, 1), date(2032, 6, 30)))

    def added(office, name: str):
        draft = make_draft(name, date(2032, 6, 1), date(2032, 6, 2), ["timebestilling"], [], "", None)
        new, created = office.add(draft, TODAY, False, "ola", NOW)
        assert created
        return new

    for folder, part in ((twins.part_dir, True), (twins.whole_dir, False)):
        store = FileStore(folder, av="ola")
        if not part:
            store._cache.folder = None  # read whole
        office, stamp = store.load_for_change(ORGNR, scope)
        assert office.partial is part
        new = added(office, "Lege 4 Østby")
        with store.change_many([ORGNR], dry_run=True, scope=scope) as changes:
            assert changes[ORGNR].office.partial is part
            added(changes[ORGNR].office, "Prøve Lege")
        with store.change_many([ORGNR], create=True, prepared={ORGNR: (office, stamp)}, scope=scope) as changes:
            assert changes[ORGNR].reused
            changes[ORGNR].record("import", new)
        # A stamp that no longer holds: read again under the lock, in part again.
        office, stamp = store.load_for_change(ORGNR, scope)
        with store.change_many([ORGNR], create=True, prepared={ORGNR: (office, None)}, scope=scope) as changes:
            assert not changes[ORGNR].reused and changes[ORGNR].office.partial is part
            changes[ORGNR].record("import", added(changes[ORGNR].office, "Lege 5 Østby"))
    assert snapshot(twins.part_dir) == snapshot(twins.whole_dir)
    path = twins.part_dir / f"{ORGNR}.toml"
    assert path.read_bytes() == whole_bytes(path) and "Prøve".encode() not in path.read_bytes()


def test_an_import_reads_its_days_of_a_big_office(twins, tmp_path):
    """fravaer import: each office read for the days of the file's rows, as add reads its own."""
    _, fra, til, _ = planned(101)  # Lege 1 Østby's, in 2030, closing Timebestilling and Reseptfornyelse
    rows = [
        "virksomhet;behandler;fra;til;tjenester",
        f"{ORGNR};Lege 1 Østby;{day(fra)};{day(til)};timebestilling,reseptfornyelse",  # stored: skipped
        f"{ORGNR};Per Hanssen;{day(til)};{day(til)};alle",  # a look-alike of a GP of 2026 only
        f"{ORGNR};Ola Hansen;{day(til)};{day(til)};alle",  # «Hansen, Ola» of 2026
        f"{ORGNR};Lege 9 Østby;{day(til + timedelta(days=1))};{day(til + timedelta(days=1))};alle",  # renamed since
    ]
    path = tmp_path / "rader.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = twins("import", "--dry-run", str(path))
    assert "Per Hansen" in result.stdout + result.stderr
    assert twins("import", str(path)).exit_code == 0
    clash = tmp_path / "kollisjon.csv"
    clash.write_text(f"{rows[0]}\n{ORGNR};Lege 1 Østby;{day(til)};{day(til)};alle\n", encoding="utf-8")
    refused = twins("import", str(clash))
    assert refused.exit_code == 2 and "Overlapper med fravær" in refused.stderr
    path = twins.part_dir / f"{ORGNR}.toml"
    assert path.read_bytes() == whole_bytes(path)


def test_a_json_store_is_read_whole(tmp_path, own_cache, reads):
    made = Twins(tmp_path, own_cache, reads)
    history(FileStore(made.part_dir, new_format="json", av="ola"))
    made.copy()
    made(*add_args(behandler="Per Hanssen", fra="01.06.2032", til="02.06.2032"), in_part=False)
    assert entry_of(own_cache, ORGNR) is None


def test_an_edit_that_gives_a_gps_only_fravaer_to_another_counts_the_gps_after_it(tmp_path, own_cache, reads):
    # Without a roster the office's GPs are those with fravær: once Eva Enste's one fravær is Eva
    # Eneste's, Eva Eneste is the only GP, and the same call's note says so, as when read whole
    # (the directory read counts Eva Enste: the edit asks for the one without its fravær).
    twins = Twins(tmp_path, own_cache, reads)
    store = FileStore(twins.part_dir, av="ola")
    for n in range(100):
        fra = date(2026, 1, 5) + timedelta(days=10 * n)
        draft = make_draft("Eva Eneste", fra, fra + timedelta(days=2), ["timebestilling"], [], "", None)
        operations.add(store, OTHER_ORGNR, draft, TODAY, True, NOW)
    assert (twins.part_dir / f"{OTHER_ORGNR}.toml").stat().st_size > filecache.SMALLEST
    twins.copy()
    days = {"fra": "10.11.2033", "til": "11.11.2033"}
    assert twins(*add_args(orgnr=OTHER_ORGNR, behandler="Eva Enste", **days)).exit_code == 0
    misspelt = str(101)
    result = twins("edit", misspelt, "--virksomhet", OTHER_ORGNR, "--behandler", "Eva Eneste")
    assert "eneste legen" in result.stdout + result.stderr
