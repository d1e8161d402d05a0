"""On the database, add, edit and an import read an office in part (Scope): the fravær their days
meet, and the directory of the office's GPs that the server makes (fravaer_api.leger). Each
command here runs on two databases alike, one read in part and one read whole (the partial read
turned off), and must give the same output, exit code, stored rows and log, with the GPs it
meets known only from the office's history."""

import json
import re
from datetime import date

import pytest

from fravaer_cli.store.base import Scope
from fravaer_cli.store.postgres import pgstore
from fravaer_cli.store.postgres.pgstore import PgStore
from tests.helpers import ORGNR, OTHER_ORGNR, Fravaer

ALONE = "900000006"  # an office of its own GPs

HISTORY = """virksomhet;behandler;fra;til;tjenester;vikar;hpr
{o};Ingrid Solberg;01.03.2021;05.03.2021;alle;;9144889
{o};Per Hansen;10.05.2022;12.05.2022;timebestilling;;
{o};Kari Nordmann;01.06.2022;10.06.2022;timebestilling;reseptfornyelse;
{o};Ola Framtid;01.08.2030;05.08.2030;alle;;
{o};Ola Framtid;06.08.2030;10.08.2030;alle;;
{filler}{r};Anne Liste;01.03.2021;05.03.2021;alle;;
{r};Bo Liste;01.09.2030;05.09.2030;alle;;
"""
FILLER = "".join(f"{ORGNR};Lege {n} Testesen;{1 + n:02d}.01.2023;{1 + n:02d}.01.2023;alle;;\n" for n in range(20))
# Not a second's difference between the two databases: the server's timestamps.
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")


class Pair:
    """The two databases: every command on both, compared."""

    def __init__(self, part: Fravaer, whole: Fravaer, monkeypatch, tmp_path):
        self.part, self.whole, self.monkeypatch, self.tmp_path = part, whole, monkeypatch, tmp_path
        self.fetched = 0  # fravær read by the last command on the partial database

    def __call__(self, *args: str, code: int | None = 0):
        fetched = []
        with self.monkeypatch.context() as m:
            read = pgstore._read_fravaer
            m.setattr(pgstore, "_read_fravaer", lambda row, orgnr: fetched.append(1) or read(row, orgnr))
            part = self.part(*args)
        with self.monkeypatch.context() as m:
            m.setattr(pgstore, "scoped", lambda rows, orgnrs, scope, without_named: ({}, None))
            whole = self.whole(*args)
        assert (part.stdout, part.stderr, part.exit_code) == (whole.stdout, whole.stderr, whole.exit_code)
        if code is not None:
            assert part.exit_code == code, part.stderr
        self.fetched = len(fetched)
        return part

    def importing(self, text: str, *more: str, code: int | None = 0):
        path = self.tmp_path / "rader.csv"
        path.write_text(text, encoding="utf-8")
        return self("import", *more, str(path), code=code)

    def stored(self):
        """Both databases' rows and logs, alike but for the server's timestamps."""
        part, whole = (STAMP.sub("T", repr(store.snapshot())) for store in (self.part, self.whole))
        assert part == whole
        return part

    def ids(self, orgnr: str = ORGNR) -> dict[tuple[str, str], str]:
        listed = json.loads(self.part("list", "--virksomhet", orgnr, "--include-past", "--json").stdout)
        rows = listed if isinstance(listed, list) else listed["fravaer"]
        return {(f["behandler"], f["fra"]): f["id"] for f in rows}


@pytest.fixture
def pair(pg_server, monkeypatch, tmp_path) -> Pair:
    stores = []
    for _ in range(2):
        name = f"del{len(stores)}_{id(stores)}"
        pg_server.sql("postgres", f"CREATE DATABASE {name} TEMPLATE mal OWNER eier")
        stores.append(Fravaer(None, database=pg_server.dsn(database=name)))
    both = Pair(*stores, monkeypatch, tmp_path)
    both("roster", "add", "--virksomhet", OTHER_ORGNR, "--behandler", "Anne Liste", "--behandler", "Bo Liste")
    both.importing(HISTORY.format(o=ORGNR, r=OTHER_ORGNR, filler=FILLER), "--allow-past")
    return both


def add(pair: Pair, behandler: str, fra: str, til: str, *more: str, code: int | None = 0, orgnr: str = ORGNR):
    args = ["add", "--virksomhet", orgnr, "--behandler", behandler, "--fra", fra, "--til", til]
    return pair(*args, *(more or ("--tjeneste", "alle")), code=code)


def test_an_add_reads_its_days_and_knows_the_gps_of_the_office_history(pair):
    # A look-alike of a GP with fravær only years ago: the note names the stored GP.
    result = add(pair, "Ingrid Solbeg", "01.07.2030", "02.07.2030")
    assert "Ingrid Solberg" in result.stdout + result.stderr
    assert pair.fetched == 0  # nothing of 2021-2023 is read, nor Ola Framtid's August
    # «Hansen, Per», for a GP known only from 2022, is Per Hansen.
    result = add(pair, "Hansen, Per", "03.07.2030", "04.07.2030")
    assert "Per Hansen" in result.stdout + result.stderr
    # An HPR number another GP has only on a fravær of 2021.
    result = add(pair, "Nils Ny", "05.07.2030", "06.07.2030", "--tjeneste", "alle", "--hpr", "9144889", code=None)
    assert result.exit_code != 0 and "Ingrid Solberg" in result.stderr
    # Ola Framtid's days are read: an overlap is refused, as whole.
    result = add(pair, "Ola Framtid", "03.08.2030", "09.08.2030", code=None)
    assert result.exit_code != 0
    assert pair.fetched >= 1
    # Back to back after his August: one stretch with it, which an add needs no more of than its days.
    add(pair, "Ola Framtid", "11.08.2030", "12.08.2030")
    assert pair.fetched == 0
    pair.stored()


def test_an_add_among_history_repeats_and_clashes_as_when_read_whole(pair):
    add(pair, "Ingrid Solberg", "01.03.2021", "05.03.2021", "--tjeneste", "alle", "--allow-past")  # identical
    add(pair, "Ingrid Solberg", "04.03.2021", "08.03.2021", "--tjeneste", "alle", "--allow-past", code=None)
    add(pair, "Kari Nordmann", "05.06.2022", "06.06.2022", "--tjeneste", "reseptfornyelse", "--allow-past", code=None)
    add(pair, "Kari Nordmann", "05.06.2022", "06.06.2022", "--tjeneste", "timebestilling", "--allow-past", code=None)
    assert pair.fetched < 10  # June 2022, not the office's 24 fravær
    pair.stored()


def test_an_old_spelling_and_a_roster_office(pair):
    pair("roster", "rename", "--virksomhet", ORGNR, "--behandler", "Kari Nordmann", "--til-navn", "Kari Nordmann-Berg")
    result = add(pair, "Kari Nordmann", "01.10.2030", "02.10.2030")
    assert "Kari Nordmann-Berg" in result.stdout + result.stderr
    # A roster office: Bo Liste away in September, Anne Liste too: no GP at work.
    result = add(pair, "Anne Liste", "02.09.2030", "03.09.2030", orgnr=OTHER_ORGNR)
    assert "ingen fastlege" in result.stdout + result.stderr
    add(pair, "Anne Listr", "10.09.2030", "11.09.2030", orgnr=OTHER_ORGNR, code=None)
    pair.stored()


def test_an_edit_reads_its_fravaer_and_the_days_it_moves_to(pair):
    add(pair, "Ingrid Solberg", "01.09.2030", "02.09.2030")
    ids = pair.ids()
    moved, ola = ids[("Ingrid Solberg", "2030-09-01")], ids[("Ola Framtid", "2030-08-01")]
    # Into the days of her own fravær of 2021: an overlap, found though March 2021 is far away.
    pair("edit", moved, "--virksomhet", ORGNR, "--fra", "02.03.2021", "--til", "03.03.2021", "--allow-past", code=None)
    assert pair.fetched >= 2  # (the days from 2021 to 2030: its own, and those it moves to)
    pair("edit", moved, "--virksomhet", ORGNR, "--fra", "10.09.2030", "--til", "12.09.2030", "--dry-run")
    pair("edit", moved, "--virksomhet", ORGNR, "--fra", "10.09.2030", "--til", "12.09.2030")
    pair("edit", moved, "--virksomhet", ORGNR, "--behandler", "Ingrid Solbrg", code=None)
    pair("edit", moved, "--virksomhet", ORGNR, "--behandler", "Per Hansen")
    assert pair.fetched == 1  # its own days: itself
    pair("edit", ola, "--virksomhet", ORGNR, "--hpr", "9144889", code=None)
    pair("edit", "999", "--virksomhet", ORGNR, "--kommentar", "Borte", code=None)
    pair("edit", ola, "--virksomhet", ORGNR, "--kommentar", "Ferie", "--dry-run")
    pair.stored()


def test_an_edit_that_gives_a_gps_only_fravaer_to_another(pair):
    # Without a roster the office's GPs are those with fravær: once Eva Enste's one fravær is Eva
    # Eneste's, Eva Eneste is the only GP, and the warning says so, as when read whole.
    add(pair, "Eva Eneste", "01.11.2030", "05.11.2030", orgnr=ALONE)
    add(pair, "Eva Enste", "10.11.2030", "11.11.2030", orgnr=ALONE)
    misspelt = pair.ids(ALONE)[("Eva Enste", "2030-11-10")]
    result = pair("edit", misspelt, "--virksomhet", ALONE, "--behandler", "Eva Eneste")
    assert "eneste legen" in result.stdout + result.stderr
    pair.stored()


def test_an_edit_of_a_gps_first_fravaer_keeps_the_gps_in_the_offices_order(pair):
    # Lege Ane's first fravær stands before Lege Anu's, her second after: the note of a name like
    # both names them in that order. The edit reads her first (it names it): the directory of
    # every fravær keeps her in her place, as the whole office does.
    for name, fra in (("Lege Ane", "01.11.2030"), ("Lege Anu", "10.11.2030"), ("Lege Ane", "20.11.2030")):
        add(pair, name, fra, fra, orgnr=ALONE)
    first = pair.ids(ALONE)[("Lege Ane", "2030-11-01")]
    result = pair("edit", first, "--virksomhet", ALONE, "--behandler", "Lege Ani")
    assert "ligner «Lege Ane» eller «Lege Anu»" in result.stdout + result.stderr
    pair.stored()


def test_an_import_meets_the_history_its_days_reach(pair):
    clash = "virksomhet;behandler;fra;til;tjenester\n{o};Ingrid Solberg;04.03.2021;08.03.2021;alle\n"
    refused = pair.importing(clash.format(o=ORGNR), "--allow-past", code=None)
    assert refused.exit_code != 0
    rows = (
        "virksomhet;behandler;fra;til;tjenester\n"
        "{o};Per Hansen;10.05.2022;12.05.2022;timebestilling\n"  # stored in 2022: skipped
        "{o};Ingrid Solbeg;01.04.2022;02.04.2022;alle\n"  # a look-alike of a GP of 2021
        "{o};Hansen, Per;01.02.2022;02.02.2022;alle\n"
    )
    result = pair.importing(rows.format(o=ORGNR), "--allow-past")
    assert "Ingrid Solberg" in result.stdout + result.stderr
    assert pair.fetched < 5  # February to May 2022: not the office's 24 fravær
    pair.importing(rows.format(o=ORGNR), "--allow-past", "--dry-run")
    pair.stored()


def test_the_directory_is_what_the_whole_office_tells(pair):
    store = PgStore(pair.part.database)
    try:
        part, stamp = store.load_for_change(ORGNR, Scope(days=(date(2030, 8, 2), date(2030, 8, 3))))
        whole, whole_stamp = store.load_for_change(ORGNR)
    finally:
        store.close()
    assert stamp == whole_stamp and whole.directory is None and len(whole.fravaer) == 25
    assert [(f.behandler, f.fra) for f in part.fravaer] == [("Ola Framtid", date(2030, 8, 1))]
    names: dict[str, str] = {}
    hprs: dict[str, str] = {}
    for f in whole.fravaer:  # the first fravær of each GP and HPR number, in the office's order
        names.setdefault(f.key, f.behandler)
        if f.hpr:
            hprs.setdefault(f.hpr, f.key)
    assert list(part.directory.names.items()) == list(names.items()) and part.directory.hprs == hprs
    assert hprs == {"9144889": "ingrid solberg"}
