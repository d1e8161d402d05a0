"""What a new user, the helpdesk and real spreadsheets ran into: one test (or more) per item of the fixes issue."""

import csv
import io
import json
import os
import zipfile

import pytest

from tests.helpers import EPJ_REMINDER, ORGNR, OTHER_ORGNR, add_args, run

SEED = ["--behandler", "Astrid Info", "--fra", "12.06.2024", "--til", "08.07.2024", "--tjeneste", "alle"]


# 1. A store folder that does not exist, or holds no office, is no "nothing to report".


@pytest.mark.parametrize(
    "args", [["status", "--all", "--quiet"], ["list", "--all"], ["status", "--virksomhet", ORGNR], ["info", "--all"]]
)
def test_reading_a_folder_that_does_not_exist_is_exit_5_and_creates_nothing(tmp_path, args):
    folder = tmp_path / "srv" / "fravear"
    result = run(folder, *args)
    assert result.returncode == 5, result.stderr
    assert f"Lagringsmappen {folder} finnes ikke" in result.stderr and result.stdout == ""
    assert not (tmp_path / "srv").exists()


def test_cron_without_a_data_dir_falls_back_to_an_empty_default_and_says_so(tmp_path):
    import subprocess

    from tests.helpers import EXECUTABLE

    env = {k: v for k, v in os.environ.items() if k not in ("FRAVAER_DATA_DIR", "XDG_DATA_HOME")}
    env["HOME"] = str(tmp_path)
    result = subprocess.run([EXECUTABLE, "status", "--all", "--quiet"], capture_output=True, text=True, env=env)
    assert result.returncode == 5 and "finnes ikke" in result.stderr


def test_all_over_a_folder_with_no_office_is_exit_5(fravaer, store_dir):
    store_dir.mkdir()
    (store_dir / "notater.txt").write_text("ikke en virksomhet")
    for args in (["status", "--all", "--json"], ["list", "--all"]):
        result = fravaer(*args)
        assert result.exit_code == 5 and "Ingen virksomheter er lagret" in result.stderr
        assert result.stdout == ""  # not half a JSON document


# 3. Export -> import round-trips, formula defence and all.


def test_export_then_import_gives_back_the_same_names(fravaer, tmp_path):
    name, comment = '=HYPERLINK("http://x","klikk")', "-2 dager"
    fravaer.add(*add_args("--kommentar", comment, behandler=name)[3:])
    exported = fravaer("list", "--virksomhet", ORGNR, "--format", "csv").stdout
    assert "'=HYPERLINK" in exported
    again = tmp_path / "again"
    path = tmp_path / "eksport.csv"
    path.write_text(exported.replace(ORGNR, OTHER_ORGNR))
    result = run(again, "import", str(path))
    assert result.returncode == 0, result.stderr
    [row] = json.loads(run(again, "list", "--all", "--json").stdout)
    assert (row["behandler"], row["kommentar"]) == (name, comment)


# 5. An orgnr as spreadsheets and people write it.


@pytest.mark.parametrize("written", ["974\u00a0760\u00a0673", "974\u2009760\u2009673", "９７４７６０６７３"])
def test_orgnr_with_any_space_or_full_width_digits(fravaer, store_dir, tmp_path, written):
    assert fravaer(*add_args(orgnr=written)).exit_code == 0
    assert (store_dir / f"{ORGNR}.toml").exists()
    assert fravaer("list", "--virksomhet", written, "--json").exit_code == 0
    plan = tmp_path / "plan.csv"
    plan.write_text(f"virksomhet;behandler;fra;til;tjenester\n{written};Kari Test;1.9.2030;2.9.2030;alle\n")
    result = fravaer("import", str(plan))
    assert result.exit_code == 0, result.stderr


# 6. A spreadsheet file is named for what it is, and no byte of it reaches the terminal.


def test_a_spreadsheet_given_to_import_is_named_and_never_echoed(fravaer, tmp_path):
    path = tmp_path / "plan.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    result = fravaer("import", str(path))
    assert result.exit_code == 2
    assert "Excel-regneark (.xlsx)" in result.stderr
    assert not any(ord(c) < 32 and c != "\n" for c in result.stderr)


# 7. CSV that Norwegian Excel opens in columns.


def test_excel_csv_has_semicolons_a_bom_norwegian_dates_and_the_formula_defence(fravaer):
    fravaer.add(*add_args(behandler="=Åse Ødegård")[3:])
    raw = fravaer("list", "--virksomhet", ORGNR, "--format", "excel-csv").stdout_bytes
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    # A spreadsheet is for people: the table's words head its columns (csv keeps the JSON's keys).
    assert rows[0][:6] == ["ID", "Virksomhet", "Behandler", "Fra og med", "Til og med", "Tjenester"]
    assert rows[1][2:5] == ["'=Åse Ødegård", "01.08.2030", "02.08.2030"]
    plain = fravaer("list", "--virksomhet", ORGNR, "--format", "csv").stdout
    assert not plain.startswith("\ufeff") and "2030-08-01" in plain and plain.startswith("id,virksomhet,behandler,fra,")


def test_excel_csv_of_list_imports_back_as_it_was(fravaer, tmp_path):
    fravaer.add(*add_args("--vikar", "timebestilling", "--kommentar", "Ferie; uke 31", tjeneste="reseptfornyelse")[3:])
    exported = tmp_path / "liste.csv"
    exported.write_bytes(fravaer("list", "--virksomhet", ORGNR, "--format", "excel-csv").stdout_bytes)
    before = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    assert fravaer("delete", before[0]["id"], "--virksomhet", ORGNR, "--yes").exit_code == 0
    imported = fravaer("import", str(exported))
    assert imported.exit_code == 0, imported.stderr
    after = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    fields = ("behandler", "fra", "til", "tjenester", "vikar", "kommentar")
    assert [{k: r[k] for k in fields} for r in after] == [{k: r[k] for k in fields} for r in before]


# 9. --vikar alle: every service this fravær does not close.


def test_vikar_alle_is_every_service_not_closed(fravaer):
    assert fravaer(*add_args("--vikar", "alle", tjeneste="timebestilling")).exit_code == 0
    [row] = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    assert row["tjenester"] == ["timebestilling"]
    assert row["vikar"] == ["reseptfornyelse", "e-konsultasjon", "kontakt-legekontoret"]
    both = fravaer(*add_args("--vikar", "alle", tjeneste="alle", fra="01.09.2030", til="02.09.2030"))
    assert both.exit_code == 2 and "både" in both.stderr
    unknown = fravaer(*add_args("--vikar", "tannlege", fra="01.10.2030", til="02.10.2030"))
    assert unknown.exit_code == 2 and "Ukjent tjeneste for --vikar: «tannlege»" in unknown.stderr


# 10. A broken file is named, not taken for a missing office.


def test_a_name_search_past_a_broken_file_names_the_file(fravaer, store_dir):
    fravaer.add(*SEED, "--allow-past")
    broken = store_dir / "920000002.toml"
    broken.write_text("schema = 1\n[virksomhet\n")
    result = fravaer("list", "--virksomhet", "bryn")
    assert result.exit_code == 5
    assert str(broken) in result.stderr and "ugyldig TOML på linje 2" in result.stderr


# 11. info --all lists the offices, with or without fravær.


def test_info_all_lists_every_office(fravaer):
    assert fravaer("info", "--virksomhet", ORGNR, "--navn", "DDFL Test").exit_code == 0
    fravaer.add(*SEED, "--allow-past", orgnr=OTHER_ORGNR)
    listed = json.loads(fravaer("info", "--all", "--json").stdout)
    assert [(o["orgnr"], o["navn"], o["antall_fravaer"]) for o in listed] == [
        (ORGNR, "DDFL Test", 0),
        (OTHER_ORGNR, "", 1),
    ]
    assert "DDFL Test" in fravaer("info", "--all").stdout
    hint = fravaer("list", "--virksomhet", "finnesikke")
    assert hint.exit_code == 2 and "«fravaer info --all»" in hint.stderr


# 12. An overlap names every stored fravær it clashes with.


def test_an_overlap_names_all_the_clashes(fravaer):
    fravaer.add(*add_args(fra="01.07.2030", til="05.07.2030", tjeneste="timebestilling")[3:])
    fravaer.add(*add_args(fra="10.07.2030", til="15.07.2030", tjeneste="reseptfornyelse")[3:])
    result = fravaer(*add_args(fra="03.07.2030", til="12.07.2030", tjeneste="alle"))
    assert result.exit_code == 4
    assert "fravær 1 og 2" in result.stderr and "Timebestilling" in result.stderr
    assert "Reseptfornyelse" in result.stderr


# 13. The TOML parser's English stays out.


def test_a_broken_toml_file_is_described_in_norwegian_with_line_and_column(fravaer, store_dir):
    fravaer.add(*SEED, "--allow-past")
    (store_dir / f"{ORGNR}.toml").write_text('schema = 1\nneste_id = 2\nneste_id = 3\n[virksomhet]\norgnr = "x"\n')
    result = fravaer("list", "--virksomhet", ORGNR)
    assert result.exit_code == 5 and "ugyldig TOML på linje 3, kolonne" in result.stderr
    assert "Cannot" not in result.stderr and "at end of document" not in result.stderr


# 14. A new office is said.


def test_adding_to_a_new_orgnr_says_the_office_was_created(fravaer):
    first = fravaer(*add_args(orgnr="987654325"))
    assert "Ny virksomhet 987654325 opprettet" in first.stderr and "--navn" in first.stderr
    second = fravaer(*add_args(orgnr="987654325", fra="01.09.2030", til="02.09.2030"))
    assert "Ny virksomhet" not in second.stderr


# 15. Wording.


def test_confirmations_name_the_office_by_name(fravaer):
    assert fravaer("info", "--virksomhet", ORGNR, "--navn", "DDFL Test").exit_code == 0
    added = fravaer(*add_args())
    assert "hos DDFL Test (974760673)" in added.stderr
    edited = fravaer("edit", "1", "--virksomhet", ORGNR, "--til", "03.08.2030")
    assert "hos DDFL Test (974760673)" in edited.stderr
    deleted = fravaer("delete", "1", "--virksomhet", ORGNR, "--yes")
    assert "hos DDFL Test (974760673)" in deleted.stderr


def test_deleting_a_fravaer_that_has_not_started_asks_nothing_to_be_switched_on(fravaer):
    fravaer.add(*add_args()[3:])  # August 2030
    deleted = fravaer("delete", "1", "--virksomhet", ORGNR, "--yes")
    assert deleted.exit_code == 0 and "skru på igjen" not in deleted.stderr
    fravaer.add(*add_args(fra="i dag", til="+3")[3:])
    current = fravaer("delete", "2", "--virksomhet", ORGNR, "--yes")
    assert "skru på igjen" in current.stderr


def test_alle_with_a_vikar_taking_everything_says_what_happened(fravaer):
    result = fravaer(*add_args("--vikar", "timebestilling,reseptfornyelse,e-konsultasjon,kontakt-legekontoret"))
    assert result.exit_code == 2
    assert "Vikaren tar alle tjenestene" in result.stderr and "(eller «alle»)" not in result.stderr


def test_help_screens_say_the_date_forms_the_columns_and_the_right_words(fravaer):
    def screen(*args):
        return " ".join(fravaer(*args, "--help").stdout.split())  # as read, whatever the wrapping

    assert "i morgen" in screen("add") and "som vikaren tar" in screen("add")
    assert "virksomhet, behandler, fra, til, tjenester" in screen("import") and "12.06.2024" in screen("import")
    assert "For eksempel 20.06.2024" in screen("status")


# 16. Helpdesk lookups.


@pytest.mark.parametrize("typed, stored", [("grunerlokka", "Legesenteret Grünerløkka"), ("pa bryn", "Lege på Bryn")])
def test_office_names_match_without_accents_and_norwegian_letters(fravaer, typed, stored):
    assert fravaer("info", "--virksomhet", ORGNR, "--navn", stored).exit_code == 0
    result = fravaer("info", "--virksomhet", typed, "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["orgnr"] == ORGNR


@pytest.mark.parametrize("typed, stored", [("bjorn", "Bjørn Test"), ("bjørn", "Bjorn Test"), ("AASE", "Åse")])
def test_gp_names_match_folded_both_ways_and_by_hpr(fravaer, typed, stored):
    fravaer.add(*add_args("--hpr", "9144889", behandler=stored)[3:])
    found = json.loads(fravaer("list", "--all", "--behandler", typed, "--json").stdout)
    assert [r["behandler"] for r in found] == ([stored] if typed != "AASE" else [])
    by_hpr = json.loads(fravaer("list", "--all", "--behandler", "9144889", "--json").stdout)
    assert [r["behandler"] for r in by_hpr] == [stored]


def test_log_shows_what_an_edit_changed_from(fravaer):
    fravaer.add(*add_args()[3:])
    assert fravaer("edit", "1", "--virksomhet", ORGNR, "--til", "09.08.2030").exit_code == 0
    text = " ".join(fravaer("log", "--virksomhet", ORGNR).stdout.split())  # wrapped to 80 columns
    assert "01.08.2030–09.08.2030" in text and "før: Per Test, 01.08.2030–02.08.2030" in text


def test_dates_in_the_past_for_the_helpdesk(fravaer):
    fravaer.add(*add_args(fra="i går", til="+2")[3:], "--allow-past")
    result = fravaer("status", "--virksomhet", ORGNR, "--date", "-1", "--json")
    assert result.exit_code == 0 and len(json.loads(result.stdout)["stengt"]) == 4


# 17. A year far away is stored, with a question.


@pytest.mark.parametrize(
    "fra, til, said",
    [("01.04.2207", "02.04.2207", "01.04.2207 er langt fram i tid"), ("01.01.2030", "31.12.2031", "730 dager")],
)
def test_a_far_date_is_stored_with_a_note(fravaer, fra, til, said):
    result = fravaer(*add_args(fra=fra, til=til))
    assert result.exit_code == 0 and result.stdout == "1\n"
    assert said in result.stderr and "Var det ment?" in result.stderr
    assert EPJ_REMINDER in result.stderr


def test_nothing_is_written_by_the_fixes_when_they_refuse(fravaer):
    fravaer.add(*add_args()[3:])
    before = fravaer.snapshot()
    assert fravaer(*add_args("--vikar", "alle", fra="01.09.2030", til="02.09.2030")).exit_code == 2
    assert fravaer.snapshot() == before


@pytest.mark.parametrize("args", [["list", "--all"], ["status", "--virksomhet", "974760673"]])
def test_no_store_found_points_to_the_database_as_well_as_the_folder(tmp_path, args):
    from tests.helpers import run

    result = run(tmp_path / "finnes-ikke", *args)
    assert result.returncode == 5
    assert "--data-dir" in result.stderr and "--database" in result.stderr and "$FRAVAER_DATABASE_URL" in result.stderr


@pytest.mark.parametrize("start", ["\uff1d", "\uff0b", "\uff0d", "\uff20"])
def test_the_formula_defence_covers_full_width_signs_and_import_takes_it_back(fravaer, tmp_path, start):
    name = f"{start}SUM(A1)"
    fravaer.add(*add_args(behandler=name)[3:])
    for fmt in ("csv", "excel-csv"):
        raw = fravaer("list", "--virksomhet", ORGNR, "--format", fmt).stdout
        assert f"'{name}" in raw, fmt
    exported = tmp_path / "ut.csv"
    exported.write_text(fravaer("list", "--virksomhet", ORGNR, "--format", "csv").stdout, encoding="utf-8")
    assert fravaer("import", str(exported), "--json").exit_code == 0
    listed = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    assert [r["behandler"] for r in listed] == [name]  # the same GP, skipped as already stored


@pytest.mark.parametrize("parent_mode, made", [(0o755, 0o700), (0o2775, 0o2770), (0o775, 0o770)])
def test_a_new_store_folder_is_readable_only_by_its_owner_or_the_shared_folders_group(tmp_path, parent_mode, made):
    import os

    from tests.helpers import run

    parent = tmp_path / "felles"
    parent.mkdir()
    os.chmod(parent, parent_mode)
    assert run(parent / "lager", *add_args()).returncode == 0
    assert os.stat(parent / "lager").st_mode & 0o7777 == made


def test_the_program_refuses_a_roster_past_a_thousand_as_the_server_does(fravaer):
    """One rule on both stores: the thousand-and-first GP is refused, exit 2, and nothing is stored."""
    from fravaer_cli.domain.virksomhet import MAX_ROSTER

    names = [f"Lege {n:04}" for n in range(MAX_ROSTER)]
    assert (
        fravaer("roster", "add", "--virksomhet", ORGNR, *[a for n in names for a in ("--behandler", n)]).exit_code == 0
    )
    refused = fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "Lege Ekstra")
    assert refused.exit_code == 2 and "1000 navn" in refused.stderr, refused.stderr
    listed = json.loads(fravaer("roster", "list", "--virksomhet", ORGNR, "--json").stdout)
    assert len(listed) == MAX_ROSTER


def test_a_rename_remembers_the_old_spelling_so_the_same_file_imports_nothing_twice(fravaer, tmp_path):
    """Issue 31, item 7: after the rename the note advised, the file with the typo imports again
    without storing the typo's row a second time, and an add with the old spelling is the GP as
    named now, and says so; a rename back makes the old spelling the GP's own again."""
    plan = tmp_path / "plan.csv"
    plan.write_text(
        "virksomhet;behandler;fra;til;tjenester\n"
        f"{ORGNR};Ingrid Solberg;1.7.2030;5.7.2030;alle\n{ORGNR};Ingrid Solbeg;1.8.2030;5.8.2030;alle\n"
    )
    first = fravaer("import", str(plan))
    assert first.exit_code == 0, first.stderr
    assert 'roster rename --virksomhet 974760673 --behandler "Ingrid Solbeg" --til-navn "Ingrid Solberg"' in (
        first.stderr
    )
    renamed = fravaer("roster", "rename", "--virksomhet", ORGNR, "--behandler", "Ingrid Solbeg", "--til-navn",
                      "Ingrid Solberg")  # fmt: skip
    assert renamed.exit_code == 0, renamed.stderr
    again = fravaer("import", str(plan), "--json")
    assert again.exit_code == 0, again.stderr
    listed = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json", "--include-past").stdout)
    assert [(f["behandler"], f["fra"]) for f in listed] == [
        ("Ingrid Solberg", "2030-07-01"),
        ("Ingrid Solberg", "2030-08-01"),
    ]

    added = fravaer(*add_args(behandler="Ingrid Solbeg", fra="01.09.2030", til="02.09.2030"))
    assert added.exit_code == 0, added.stderr
    assert "Merk: «Ingrid Solbeg» heter nå «Ingrid Solberg»" in added.stderr
    listed = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    assert {f["behandler"] for f in listed} == {"Ingrid Solberg"}

    back = fravaer("roster", "rename", "--virksomhet", ORGNR, "--behandler", "Ingrid Solberg", "--til-navn",
                   "Ingrid Solbeg")  # fmt: skip
    assert back.exit_code == 0, back.stderr
    added = fravaer(*add_args(behandler="Ingrid Solberg", fra="01.10.2030", til="02.10.2030"))
    assert added.exit_code == 0 and "heter nå «Ingrid Solbeg»" in added.stderr, added.stderr
    listed = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    assert {f["behandler"] for f in listed} == {"Ingrid Solbeg"}


def test_the_old_spelling_written_surname_first_is_the_gp_renamed(fravaer):
    """«Hansen, Per» after «Per Hansen» was renamed «Per Hansen-Berg»: the same GP, as «Per
    Hansen» is (found by a tester: it became a new GP, and «Per Hansen» then meant it)."""
    assert fravaer(*add_args(behandler="Per Hansen", fra="01.09.2030", til="02.09.2030")).exit_code == 0
    renamed = fravaer("roster", "rename", "--virksomhet", ORGNR, "--behandler", "Per Hansen", "--til-navn",
                      "Per Hansen-Berg")  # fmt: skip
    assert renamed.exit_code == 0, renamed.stderr
    added = fravaer(*add_args(behandler="Hansen, Per", fra="03.09.2030", til="04.09.2030"))
    assert added.exit_code == 0 and "Merk: «Hansen, Per» heter nå «Per Hansen-Berg»" in added.stderr, added.stderr
    added = fravaer(*add_args(behandler="Per Hansen", fra="05.09.2030", til="06.09.2030"))
    assert added.exit_code == 0 and "heter nå «Per Hansen-Berg»" in added.stderr, added.stderr
    listed = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    assert {f["behandler"] for f in listed} == {"Per Hansen-Berg"}
