"""The office's plan: working days and Norwegian public holidays, vikar in status, vikar against closure."""

import itertools
import json
import os
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fravaer_cli.domain import workdays
from tests.helpers import ORGNR, REPO, add_args


def ahead(fravaer, day: str, *more: str) -> dict:
    result = fravaer("status", "--virksomhet", ORGNR, "--date", day, "--until-workday", "--json", *more)
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "day, until",
    [
        ("24.03.2027", "2027-03-30"),  # the Wednesday before Easter: through to the Tuesday after
        ("25.06.2027", "2027-06-28"),  # Friday: Saturday, Sunday and Monday
        ("24.12.2027", "2027-12-27"),  # julaften is a working day; 1. and 2. juledag fall on the weekend
        ("26.05.2027", "2027-05-27"),  # an ordinary Wednesday: tomorrow, as without the option
    ],
)
def test_until_workday_looks_through_weekends_and_holidays(fravaer, day, until):
    fravaer.add(*add_args(fra="01.01.2027", til="02.01.2027")[3:], "--allow-past")
    assert ahead(fravaer, day)["frem_til"] == until


def test_easter_closures_and_reopenings_are_seen_on_the_wednesday_before(fravaer):
    fravaer.add(*add_args(fra="26.03.2027", til="29.03.2027", tjeneste="timebestilling")[3:], "--allow-past")
    report = ahead(fravaer, "24.03.2027")
    assert [(e["fra"], e["apner_igjen"]) for e in report["starter_i_morgen"]] == [("2027-03-26", "2027-03-30")]
    assert [e["apner_igjen"] for e in report["apner_i_morgen"]] == ["2027-03-30"]
    plain = fravaer("status", "--virksomhet", ORGNR, "--date", "24.03.2027", "--json")
    assert json.loads(plain.stdout)["starter_i_morgen"] == [] and json.loads(plain.stdout)["frem_til"] == "2027-03-25"
    text = fravaer("status", "--virksomhet", ORGNR, "--date", "24.03.2027", "--until-workday").stdout
    assert "Stenges før neste virkedag, tirsdag 30.03.2027 (husk å skru av tjenestene i EPJ):" in text


def test_friday_sees_monday_and_quiet_is_silent_exactly_when_the_range_is_empty(fravaer):
    fravaer.add(*add_args(fra="28.06.2027", til="02.07.2027")[3:], "--allow-past")
    friday = ["status", "--virksomhet", ORGNR, "--date", "25.06.2027", "--quiet"]
    assert fravaer(*friday).stdout == ""  # tomorrow only: Saturday, nothing
    seen = fravaer(*friday, "--until-workday")
    assert "Stenges før neste virkedag, mandag 28.06.2027" in seen.stdout
    thursday = ["status", "--virksomhet", ORGNR, "--date", "24.06.2027", "--quiet", "--until-workday"]
    assert fravaer(*thursday).stdout == ""
    # --exit-code stays about the report's own date.
    assert fravaer(*friday, "--until-workday", "--exit-code").exit_code == 0


def test_a_vikar_is_in_status_today_and_when_it_starts(fravaer):
    fravaer.add(
        *add_args("--vikar", "timebestilling", fra="01.07.2030", til="10.07.2030", tjeneste="reseptfornyelse")[3:]
    )
    starts = json.loads(fravaer("status", "--virksomhet", ORGNR, "--date", "30.06.2030", "--json").stdout)
    assert [(e["behandler"], e["tjeneste"], e["fra"]) for e in starts["vikar_starter"]] == [
        ("Per Test", "timebestilling", "2030-07-01")
    ]
    today = json.loads(fravaer("status", "--virksomhet", ORGNR, "--date", "05.07.2030", "--json").stdout)
    assert [(e["tjeneste"], e["til"]) for e in today["vikar"]] == [("timebestilling", "2030-07-10")]
    assert "apner_igjen" not in today["vikar"][0]
    text = fravaer("status", "--virksomhet", ORGNR, "--date", "30.06.2030").stdout
    assert "Vikar starter fra 01.07.2030 (husk å registrere vikar i EPJ):" in text
    # A vikar starting is something to do in the EPJ: --quiet does not hide it.
    assert fravaer("status", "--virksomhet", ORGNR, "--date", "30.06.2030", "--quiet").stdout != ""


@pytest.mark.parametrize("first_vikar", [True, False])
def test_a_vikar_and_a_closure_for_the_same_gp_service_and_day_conflict(fravaer, first_vikar):
    vikar = add_args("--vikar", "timebestilling", fra="01.07.2030", til="10.07.2030", tjeneste="reseptfornyelse")
    closing = add_args(fra="08.07.2030", til="12.07.2030", tjeneste="timebestilling", behandler="PER TEST")
    first, second = (vikar, closing) if first_vikar else (closing, vikar)
    assert fravaer(*first).exit_code == 0
    result = fravaer(*second)
    assert result.exit_code == 4, result.stderr
    assert "fravær 1" in result.stderr and "Timebestilling kan ikke både være stengt og ha vikar" in result.stderr


def test_import_reports_a_vikar_closure_clash_as_a_row_error(fravaer, tmp_path):
    plan = tmp_path / "plan.csv"
    plan.write_text(
        "virksomhet;behandler;fra;til;tjenester;vikar\n"
        f"{ORGNR};Per Test;01.07.2030;10.07.2030;reseptfornyelse;timebestilling\n"
        f"{ORGNR};Per Test;08.07.2030;12.07.2030;timebestilling;\n"
    )
    result = fravaer("import", str(plan))
    assert result.exit_code == 2
    assert "linje 3: stenger en tjeneste som linje 2 i filen har vikar for" in result.stderr
    assert fravaer("list", "--virksomhet", ORGNR).exit_code in (3, 5)  # nothing was written


def test_a_reopening_day_that_is_a_public_holiday_is_noted_and_a_weekend_is_not(fravaer):
    result = fravaer(*add_args(fra="20.12.2027", til="24.12.2027"))
    assert result.exit_code == 0
    assert (
        "Merk: åpner igjen lørdag 25.12.2027, 1. juledag. Innbyggerne ser «åpner igjen 25. desember 2027», "
        "men legekontoret er stengt til mandag 27.12.2027; skal tjenestene være stengt til da, "
        "sett til og med til 26.12.2027."
    ) in result.stderr
    weekday = fravaer(*add_args(fra="10.01.2028", til="11.01.2028"))
    assert "Merk: åpner igjen" not in weekday.stderr
    friday = fravaer(*add_args(fra="12.07.2027", til="16.07.2027"))  # reopens on a Saturday: the normal case
    assert friday.exit_code == 0 and "Merk: åpner igjen" not in friday.stderr
    plan = fravaer.folder.parent / "plan.csv" if fravaer.folder else None
    if plan is not None:
        plan.write_text(f"virksomhet,behandler,fra,til,tjenester\n{ORGNR},Ola Test,19.07.2027,23.07.2027,alle\n")
        imported = fravaer("import", str(plan))
        assert imported.exit_code == 0 and "Merk: åpner igjen" not in imported.stderr


def test_the_table_of_public_holidays_is_the_holidays_package_for_every_year_a_date_may_have():
    """The program reads its own table (importing holidays costs 150-320 ms); the package decides.
    When they differ: .venv/bin/python -m tests.public_holidays > fravaer_cli/domain/public_holidays.py"""
    from tests.public_holidays import YEARS, from_holidays

    assert (YEARS.start, YEARS.stop - 1) == (date.min.year, date.max.year)
    for year in YEARS:
        table = [(d.month, d.day, name) for d, name in workdays.holidays_of(year).items()]
        assert table == from_holidays(year), year


@pytest.mark.parametrize(
    "day, name",
    [
        (date(2027, 12, 25), "1. juledag"),
        (date(2027, 12, 26), "2. juledag"),
        (date(2027, 12, 24), None),
        (date(2029, 5, 21), "2. pinsedag"),
        (date(2024, 5, 9), "Kristi himmelfartsdag"),
        (date(2008, 5, 1), "Arbeidernes dag og Kristi himmelfartsdag"),
        (date(2018, 5, 17), "Grunnlovsdag"),
        (date(1900, 12, 25), None),  # before the holidays package's first year
    ],
)
def test_public_holidays_are_named_in_norwegian(day, name):
    assert workdays.holiday(day) == name


# -- spreadsheets, read directly ---------------------------------------------------------

FIXTURES = REPO / "tests" / "fixtures"  # made by LibreOffice Calc from plan.csv (soffice --convert-to)


def stored_rows(listing: str) -> list[tuple]:
    return [
        (r["virksomhet"], r["id"], r["behandler"], r["fra"], r["til"], r["tjenester"], r["vikar"], r["kommentar"])
        for r in json.loads(listing)
    ]


@pytest.mark.parametrize("sheet", ["plan.xlsx", "plan.xls", "plan.ods"])
def test_a_spreadsheet_imports_exactly_like_the_same_rows_in_csv(fravaer, tmp_path, sheet):
    """A date cell (fra), a text date (til) and an orgnr in a number cell, as LibreOffice wrote them."""
    from tests.helpers import run

    csv_store = tmp_path / "fra-csv"
    assert run(csv_store, "import", str(FIXTURES / "plan.csv")).returncode == 0
    expected = stored_rows(run(csv_store, "list", "--all", "--json").stdout)
    result = fravaer("import", str(FIXTURES / sheet))
    assert result.exit_code == 0, result.stderr
    assert stored_rows(fravaer("list", "--all", "--json").stdout) == expected
    assert len(expected) == 3


def test_a_spreadsheet_error_names_the_sheet_row_and_column(fravaer, tmp_path):
    import shutil

    copy = tmp_path / "plan.xlsx"
    shutil.copy(FIXTURES / "plan.xlsx", copy)
    result = fravaer("import", str(copy), "--ark", "Ark9")
    assert result.exit_code == 2 and "har ikke arket «Ark9». Arkene: «plan»" in result.stderr
    assert fravaer("import", str(copy), "--ark", "plan", "--dry-run").exit_code == 0
    # The same rows again, now overlapping: the sheet, the row and the line of the other are named.
    assert fravaer("import", str(copy)).exit_code == 0
    clash = fravaer("import", str(FIXTURES / "plan.ods"), "--dry-run")
    assert clash.exit_code == 0 and "finnes" in clash.stdout  # identical rows are skipped, not errors


def test_import_virksomhet_gives_the_office_to_rows_without_one(fravaer, tmp_path):
    plan = tmp_path / "uten.csv"
    plan.write_text("behandler;fra;til;tjenester\nKari Test;01.09.2030;02.09.2030;alle\n")
    assert fravaer("import", str(plan)).exit_code == 2  # no virksomhet column, no --virksomhet
    result = fravaer("import", str(plan), "--virksomhet", ORGNR)
    assert result.exit_code == 0, result.stderr
    assert [r[0] for r in stored_rows(fravaer("list", "--all", "--json").stdout)] == [ORGNR]


def test_edit_changes_the_gps_name_and_hpr_under_the_same_rules(fravaer):
    fravaer.add(*add_args(behandler="Øysten Åsheim", fra="01.07.2030", til="10.07.2030")[3:])
    fravaer.add(*add_args(behandler="Øystein Åsheim", fra="11.07.2030", til="20.07.2030")[3:])
    fixed = fravaer("edit", "1", "--virksomhet", ORGNR, "--behandler", "øystein åsheim", "--hpr", "9144889")
    assert fixed.exit_code == 0, fixed.stderr
    listed = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    assert [(r["id"], r["behandler"], r["hpr"]) for r in listed] == [
        ("1", "Øystein Åsheim", "9144889"),  # the name as the GP's other fravær have it
        ("2", "Øystein Åsheim", None),
    ]
    # Now one GP: the citizen is told the end of the joined stretch.
    preview = fravaer("preview", "--virksomhet", ORGNR, "--tjeneste", "timebestilling", "--date", "05.07.2030")
    assert "åpner igjen 21. juli 2030" in preview.stdout
    clash = fravaer(*add_args(behandler="Per Test", fra="05.07.2030", til="06.07.2030"))
    assert clash.exit_code == 0
    renamed_into = fravaer("edit", "3", "--virksomhet", ORGNR, "--behandler", "Øystein Åsheim")
    assert renamed_into.exit_code == 4 and "fravær 1" in renamed_into.stderr


# The summer plan: roster, calendar, days without a GP.

SIX = ["Anne Berg", "Kari Vik", "Lise Moe", "Ole Dahl", "Per Hansen", "Øystein Åsheim"]
JULY = ["calendar", "--virksomhet", ORGNR, "--fra", "05.07.2027", "--til", "01.08.2027"]  # four whole weeks


def six_gp_office(fravaer):
    assert fravaer("info", "--virksomhet", ORGNR, "--navn", "DDFL Test").exit_code == 0
    for name in SIX:
        result = fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", name)
        assert result.exit_code == 0, result.stderr


def calendar_json(fravaer, fra="01.07.2027", til="31.07.2027") -> dict:
    result = fravaer("calendar", "--virksomhet", ORGNR, "--fra", fra, "--til", til, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_calendar_json_says_who_is_away_and_which_working_days_have_no_gp(fravaer):
    six_gp_office(fravaer)
    # Everyone away 12.07–18.07; Lise has a vikar on Wednesday 14.07; Per closes only Timebestilling.
    for name in ["Anne Berg", "Kari Vik", "Ole Dahl", "Øystein Åsheim"]:
        fravaer.add("--behandler", name, "--fra", "12.07.2027", "--til", "18.07.2027", "--tjeneste", "alle")
    fravaer.add(
        "--behandler", "Per Hansen", "--fra", "05.07.2027", "--til", "18.07.2027", "--tjeneste", "timebestilling"
    )
    fravaer.add("--behandler", "Lise Moe", "--fra", "12.07.2027", "--til", "13.07.2027", "--tjeneste", "alle")
    fravaer.add("--behandler", "Lise Moe", "--fra", "14.07.2027", "--til", "14.07.2027", "--vikar", "alle")
    last = fravaer(*add_args(behandler="Lise Moe", fra="15.07.2027", til="18.07.2027"))
    assert last.exit_code == 0, last.stderr
    assert (
        "Advarsel: ingen fastlege ved DDFL Test (974760673) 15.07.–16.07.2027 (ingen vikar registrert)." in last.stderr
    )

    cal = calendar_json(fravaer)
    assert cal["virksomhet"] == ORGNR and (cal["fra"], cal["til"]) == ("2027-07-01", "2027-07-31")
    assert sorted(cal["behandlere"]) == sorted(SIX)
    days = {d["dato"]: d for d in cal["dager"]}
    assert len(days) == 31
    assert [d for d, v in days.items() if v["uten_lege"]] == ["2027-07-12", "2027-07-13", "2027-07-15", "2027-07-16"]
    assert days["2027-07-14"]["vikar"] == ["Lise Moe"] and len(days["2027-07-14"]["borte"]) == 6
    weekend = days["2027-07-17"]  # everyone away, but no working day
    assert len(weekend["borte"]) == 6 and not weekend["virkedag"] and not weekend["uten_lege"]
    assert days["2027-07-05"]["borte"] == ["Per Hansen"] and days["2027-07-05"]["vikar"] == []
    assert days["2027-07-01"] == {
        "dato": "2027-07-01",
        "virkedag": True,
        "helligdag": None,
        "borte": [],
        "vikar": [],
        "uten_lege": False,
    }


def test_calendar_names_public_holidays_and_keeps_the_range_within_370_days(fravaer):
    fravaer.add(*add_args(fra="20.12.2027", til="31.12.2027")[3:])
    days = {d["dato"]: d for d in calendar_json(fravaer, "20.12.2027", "02.01.2028")["dager"]}
    assert days["2027-12-24"]["virkedag"] and days["2027-12-24"]["helligdag"] is None  # julaften
    assert days["2027-12-27"]["virkedag"]
    assert days["2028-01-01"]["helligdag"] == "Første nyttårsdag" or days["2028-01-01"]["helligdag"]
    assert days["2027-12-25"]["helligdag"] == "1. juledag" and not days["2027-12-25"]["virkedag"]
    ok = fravaer("calendar", "--virksomhet", ORGNR, "--fra", "01.01.2027", "--til", "05.01.2028")  # 370 days
    assert ok.exit_code == 0, ok.stderr
    for fra, til in (("01.01.2027", "06.01.2028"), ("10.01.2027", "01.01.2027")):
        refused = fravaer("calendar", "--virksomhet", ORGNR, "--fra", fra, "--til", til)
        assert refused.exit_code == 2 and refused.stderr.strip() and "Traceback" not in refused.stderr


def test_calendar_text_wraps_by_whole_weeks_and_marks_days_without_a_gp(fravaer):
    six_gp_office(fravaer)
    for name in SIX:
        fravaer.add("--behandler", name, "--fra", "14.07.2027", "--til", "15.07.2027", "--tjeneste", "alle")
    for columns, per_block in (("80", 2), ("200", 8)):
        result = fravaer(*JULY, env={"COLUMNS": columns, "NO_COLOR": None})
        assert result.exit_code == 0, result.stderr
        lines = result.stdout.splitlines()
        assert max(map(len, lines)) <= int(columns)
        assert "\033[" not in result.stdout  # not a terminal: no colour
        blocks = [line for line in lines if line.lstrip().startswith("uke")]
        assert [b.count("uke") for b in blocks] == ([per_block] * (4 // per_block) if per_block <= 4 else [4])
        assert sum(line.startswith("Øystein Åsheim") for line in lines) == len(blocks)  # names in every block
    count = next(line for line in lines if line.startswith("Til stede"))
    assert count.split()[2:] == ["6"] * 9 + ["0!", "0!"] + ["6"] * 17  # 05.07–01.08: 14. and 15. have none
    assert "Ingen fastlege: 14.07.–15.07.2027." in result.stdout


def test_a_fravaer_with_only_a_vikar_closes_nothing_and_shows_as_v(fravaer):
    without_tjeneste = add_args()[:-2]
    added = fravaer(*without_tjeneste, "--vikar", "alle")
    assert added.exit_code == 0, added.stderr
    listed = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    assert [(r["tjenester"], len(r["vikar"])) for r in listed] == [([], 4)]
    status = json.loads(fravaer("status", "--virksomhet", ORGNR, "--date", "01.08.2030", "--json").stdout)
    assert status["stengt"] == [] and len(status["vikar"]) == 4
    preview = fravaer("preview", "--virksomhet", ORGNR, "--date", "01.08.2030", "--tjeneste", "timebestilling")
    assert "midlertidig stengt" not in preview.stdout
    cell = fravaer("calendar", "--virksomhet", ORGNR, "--fra", "01.08.2030", "--til", "01.08.2030").stdout
    assert next(line for line in cell.splitlines() if line.startswith("Per Test")).split()[-1] == "v"
    neither = fravaer(*add_args(fra="05.08.2030", til="06.08.2030")[:-2])
    assert neither.exit_code == 2 and "--vikar" in neither.stderr


def test_roster_rename_joins_a_misspelt_gp_and_preview_gives_the_whole_stretch(fravaer):
    fravaer.add(*add_args(behandler="Øystein Åsheim", fra="01.07.2030", til="10.07.2030")[3:])
    misspelt = fravaer(*add_args(behandler="Øysten Åsheim", fra="11.07.2030", til="20.07.2030"))
    assert misspelt.exit_code == 0
    assert "«Øysten Åsheim» er ny hos 974760673, men ligner «Øystein Åsheim»" in misspelt.stderr  # no roster: a note
    before = fravaer("preview", "--virksomhet", ORGNR, "--tjeneste", "timebestilling", "--date", "05.07.2030")
    assert "åpner igjen 11. juli 2030" in before.stdout
    renamed = fravaer(
        "roster", "rename", "--virksomhet", ORGNR, "--behandler", "Øysten Åsheim", "--til-navn", "Øystein Åsheim"
    )
    assert renamed.exit_code == 0, renamed.stderr
    listed = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    assert [(r["id"], r["behandler"]) for r in listed] == [("1", "Øystein Åsheim"), ("2", "Øystein Åsheim")]
    after = fravaer("preview", "--virksomhet", ORGNR, "--tjeneste", "timebestilling", "--date", "05.07.2030")
    assert "åpner igjen 21. juli 2030" in after.stdout
    log = json.loads(fravaer("log", "--virksomhet", ORGNR, "--json").stdout)
    assert [e["handling"] for e in log][-2:] == ["rename", "edit"]
    assert fravaer("roster", "rename", "--virksomhet", ORGNR, "--behandler", "Nobody", "--til-navn", "X").exit_code == 3


def test_a_rename_to_a_name_like_another_gps_says_how_to_join_them(fravaer):
    """«oystein asheim», typed without ø and å, is a third spelling and not the GP it looks like:
    the rename is done as asked, with add's note on how to join the two."""
    fravaer.add(*add_args(behandler="Øystein Åsheim", fra="01.07.2030", til="10.07.2030")[3:])
    fravaer.add(*add_args(behandler="Øysten Åsheim", fra="11.07.2030", til="20.07.2030")[3:])
    renamed = fravaer(
        "roster", "rename", "--virksomhet", ORGNR, "--behandler", "Øysten Åsheim", "--til-navn", "oystein asheim"
    )
    assert renamed.exit_code == 0
    assert (
        "Merk: «oystein asheim» er ny hos 974760673, men ligner «Øystein Åsheim». Er det samme lege, rett navnet med "
        '«fravaer roster rename --virksomhet 974760673 --behandler "oystein asheim" --til-navn "Øystein Åsheim"».'
    ) in renamed.stderr
    assert "Øysten" not in renamed.stderr.split("Merk:")[1]  # the old name is not one to join
    joined = fravaer(
        "roster", "rename", "--virksomhet", ORGNR, "--behandler", "oystein asheim", "--til-navn", "Øystein Åsheim"
    )
    assert joined.exit_code == 0 and "ligner" not in joined.stderr  # no look-alike left to join
    listed = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    assert {r["behandler"] for r in listed} == {"Øystein Åsheim"}


def test_rename_into_another_gp_whose_fravaer_overlap_changes_nothing(fravaer):
    fravaer.add(*add_args(behandler="Kari Vik", fra="01.07.2030", til="10.07.2030")[3:])
    fravaer.add(*add_args(behandler="Kari Wik", fra="05.07.2030", til="12.07.2030")[3:])
    stored = fravaer.snapshot()
    merged = fravaer("roster", "rename", "--virksomhet", ORGNR, "--behandler", "Kari Wik", "--til-navn", "Kari Vik")
    assert merged.exit_code == 4 and "fravær 1" in merged.stderr
    assert fravaer.snapshot() == stored


def test_with_a_roster_a_name_not_on_it_is_refused_with_the_closest(fravaer, tmp_path):
    assert (
        fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "Øystein Åsheim", "--hpr", "9144889").exit_code
        == 0
    )
    assert fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "Kari Vik").exit_code == 0
    stored = fravaer.snapshot()
    refused = fravaer(*add_args(behandler="Øysten Åsheim"))
    assert refused.exit_code == 2 and "Mente du «Øystein Åsheim»?" in refused.stderr
    plan = tmp_path / "plan.csv"
    plan.write_text("virksomhet,behandler,fra,til,tjenester\n974760673,Kari Vikk,01.08.2030,02.08.2030,alle\n")
    imported = fravaer("import", str(plan))
    assert imported.exit_code == 2 and "linje 2" in imported.stderr and "Mente du «Kari Vik»?" in imported.stderr
    assert fravaer.snapshot() == stored
    assert fravaer(*add_args(behandler="øystein åsheim")).exit_code == 0  # on the roster, however written
    edited = fravaer("edit", "1", "--virksomhet", ORGNR, "--behandler", "Per Test")
    assert edited.exit_code == 2 and "står ikke på listen" in edited.stderr
    listed = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    assert listed[0]["behandler"] == "Øystein Åsheim"


def test_roster_add_list_and_remove(fravaer):
    fravaer.add(*add_args(behandler="Per Test")[3:])
    first = fravaer("roster", "add", "--virksomhet", "988077917", "--behandler", "Anne Berg")
    assert first.exit_code == 0 and "Ny virksomhet 988077917 opprettet" in first.stderr  # creates the office
    assert fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "Anne Berg", "--hpr", "123").exit_code == 0
    stored = fravaer.snapshot()
    again = fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "anne berg")
    assert again.exit_code == 0 and fravaer.snapshot() == stored  # identical re-add: nothing changes
    rows = json.loads(fravaer("roster", "list", "--virksomhet", ORGNR, "--json").stdout)
    assert rows == [
        {"behandler": "Anne Berg", "hpr": "123", "pa_listen": True},
        {"behandler": "Per Test", "hpr": "", "pa_listen": False},
    ]
    removed = fravaer("roster", "remove", "--virksomhet", ORGNR, "--behandler", "Anne Berg")
    assert removed.exit_code == 0
    assert fravaer("roster", "remove", "--virksomhet", ORGNR, "--behandler", "Anne Berg").exit_code == 3
    assert len(json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)) == 1  # fravær stay
    actions = [e["handling"] for e in json.loads(fravaer("log", "--virksomhet", ORGNR, "--json").stdout)]
    assert actions == ["add", "roster_add", "roster_remove"]


@pytest.mark.files_only
def test_schema_1_files_stay_readable_and_become_2_only_with_a_roster(store_dir):
    from tests.helpers import Fravaer

    fravaer = Fravaer(store_dir)
    fravaer.add(*add_args()[3:])
    path = store_dir / f"{ORGNR}.toml"
    assert path.read_text().startswith("schema = 1\n")  # no part-two data: an older fravaer still reads it
    assert fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "Per Test").exit_code == 0
    assert path.read_text().startswith("schema = 2\n") and "behandlere" in path.read_text()
    assert json.loads(fravaer("roster", "list", "--virksomhet", ORGNR, "--json").stdout)[0]["pa_listen"] is True
    assert fravaer("roster", "remove", "--virksomhet", ORGNR, "--behandler", "Per Test").exit_code == 0
    assert path.read_text().startswith("schema = 1\n")
    path.write_text(path.read_text() + '\n[[behandlere]]\nbehandler = "X"\n')  # roster in a schema-1 file: not ours
    stored = path.read_bytes()
    assert fravaer("roster", "list", "--virksomhet", ORGNR).exit_code == 5
    assert fravaer(*add_args(fra="03.08.2030", til="04.08.2030")).exit_code == 5 and path.read_bytes() == stored


_TMUX_SERVERS = itertools.count()


def _tmux_calendar(store_dir, tmp_path, width: int, env: str) -> tuple[str, str]:
    """The calendar as a real terminal of the given width shows it: (the text, the text with its colours)."""
    import shlex
    import shutil
    import subprocess
    import time

    from tests.helpers import EXECUTABLE, NO_SKIP

    tmux = shutil.which("tmux")
    if tmux is None:
        if NO_SKIP:
            pytest.fail("tmux is not installed (.ci/run installs it)")
        pytest.skip("tmux is not installed")
    # A server of its own per call: a new server on the socket of one just killed can
    # meet it still exiting ("server exited unexpectedly").
    socket = str(tmp_path / f"tmux-{next(_TMUX_SERVERS)}.sock")
    shown = tmp_path / "shown"
    shown.unlink(missing_ok=True)
    args = [EXECUTABLE, "--data-dir", str(store_dir), *JULY]
    # Unset COLUMNS: the terminal's own width must be what counts.
    line = f"env -u COLUMNS {env} {shlex.join(args)}; touch {shlex.quote(str(shown))}; sleep 60"
    base = [tmux, "-S", socket, "-f", "/dev/null"]
    subprocess.run(
        [*base, "new-session", "-d", "-x", str(width), "-y", "60", line],
        check=True,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    try:
        deadline = time.monotonic() + 30
        while not shown.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert shown.exists(), "the calendar did not finish in the terminal"
        plain = subprocess.run([*base, "capture-pane", "-p", "-J"], capture_output=True, text=True, check=True).stdout
        coloured = subprocess.run([*base, "capture-pane", "-p", "-e"], capture_output=True, text=True, check=True)
        return plain, coloured.stdout
    finally:
        subprocess.run([*base, "kill-server"], capture_output=True)


@pytest.mark.parametrize("width, weeks_per_block", [(80, 2), (200, 8)])
def test_the_calendar_in_a_real_terminal_fits_its_width_and_is_coloured_unless_no_color(
    store_dir, tmp_path, width, weeks_per_block
):
    from tests.helpers import Fravaer

    fravaer = Fravaer(store_dir)
    six_gp_office(fravaer)
    for name in SIX:
        fravaer.add("--behandler", name, "--fra", "14.07.2027", "--til", "15.07.2027", "--tjeneste", "alle")
    fravaer.add("--behandler", "Kari Vik", "--fra", "19.07.2027", "--til", "23.07.2027", "--tjeneste", "timebestilling")
    plain, coloured = _tmux_calendar(store_dir, tmp_path, width, "")
    lines = plain.rstrip("\n").splitlines()
    assert max(map(len, lines)) <= width
    week_rows = [line for line in lines if line.lstrip().startswith("uke")]
    assert [row.count("uke") for row in week_rows] == [min(weeks_per_block, 4)] * (4 // min(weeks_per_block, 4))
    assert sum(line.startswith("Kari Vik") for line in lines) == len(week_rows)
    assert "0!" in plain and " x " in plain and "Ingen fastlege: 14.07.–15.07.2027." in plain
    assert "\x1b[31m X\x1b[0m" in coloured or "\x1b[31m X" in coloured  # X in red on a terminal
    no_colour, escaped = _tmux_calendar(store_dir, tmp_path, width, "NO_COLOR=1")
    assert no_colour == plain  # the same letters
    assert "\x1b[3" not in escaped and "\x1b[2m" not in escaped and "\x1b[1" not in escaped


def test_the_quick_edit_distance_agrees_with_the_plain_one():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from fravaer_cli.domain.names import NEAR, edit_distance, near_distance

    def plain(a: str, b: str) -> int:
        previous = list(range(len(b) + 1))
        for i, ca in enumerate(a, start=1):
            current = [i]
            for j, cb in enumerate(b, start=1):
                current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
            previous = current
        return previous[-1]

    names = st.text(alphabet="aeøb ", max_size=10)

    @settings(max_examples=3000, deadline=None)
    @given(names, names, st.integers(min_value=1, max_value=4))
    def agrees(a, b, limit):
        assert edit_distance(a, b, limit) == min(plain(a, b), limit + 1)

    @settings(max_examples=3000, deadline=None)
    @given(names, names)
    def the_index_check_agrees(a, b):
        # the index's own check, by the ends of what differs: the same answer up to NEAR
        assert near_distance(a, b) == min(plain(a, b), NEAR + 1)

    agrees()
    the_index_check_agrees()


def test_the_search_key_agrees_with_its_plain_definition():
    import unicodedata

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from fravaer_cli.domain.names import search_key

    plain_letters = {"æ": "ae", "ø": "o", "œ": "oe", "ð": "d", "þ": "th", "ł": "l", "đ": "d"}

    def plain(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        return " ".join("".join(plain_letters.get(ch, ch) for ch in kept).split())

    assert search_key("  Grünerløkka  LEGESENTER ") == "grunerlokka legesenter"
    assert search_key("Bjørn Ærlig-Åsen") == "bjorn aerlig-asen"

    @settings(max_examples=3000, deadline=None)
    @given(st.text(alphabet="aAøØæÆåÅéÉüœðþłđ ̈\u0301ﬁ²ß \t", max_size=12) | st.text(max_size=12))
    def agrees(text):
        assert search_key(text) == plain(text)

    agrees()


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_days_without_a_gp_are_the_days_every_gp_is_away_and_no_vikar_serves(data):
    """plan.days_without_gp works on stretches of days; here the same, day by day."""
    from fravaer_cli.domain import plan
    from fravaer_cli.domain.model import Fravaer
    from fravaer_cli.domain.virksomhet import Virksomhet

    start = date(2030, 7, 1)
    records = []
    for n in range(data.draw(st.integers(1, 12))):
        fra = start + timedelta(days=data.draw(st.integers(0, 40)))
        til = fra + timedelta(days=data.draw(st.integers(0, 15)))
        vikar = ("e-konsultasjon",) if data.draw(st.booleans()) and data.draw(st.booleans()) else ()
        gp = data.draw(st.sampled_from(["Anne Lie", "Per Berg", "Siri Moe"]))
        records.append(Fravaer(str(n + 1), gp, fra, til, ("timebestilling",), vikar))
    office = Virksomhet("974760673", fravaer=records)
    changed = data.draw(st.lists(st.sampled_from(records), min_size=1, unique_by=id))

    def covered(f: Fravaer) -> set[date]:
        return {f.fra + timedelta(days=i) for i in range((f.til - f.fra).days + 1)}

    wanted = set().union(*map(covered, changed))
    gps = {f.key for f in records}
    expected = sorted(
        day
        for day in wanted
        if all(any(f.key == gp and day in covered(f) for f in records) for gp in gps)
        and not any(f.vikar and day in covered(f) for f in records)
        and workdays.is_workday(day)
    )
    assert plan.days_without_gp(office, changed) == expected


# -- the roster's HPR number -------------------------------------------------------------------


def test_behandler_takes_the_hpr_number_on_the_roster_everywhere(fravaer):
    """Bjørn Test is on the roster with HPR 9144889; his fravær carry no number of their own."""
    roster = ["--behandler", "Bjørn Testesen"]
    assert fravaer("roster", "add", "--virksomhet", ORGNR, *roster).exit_code == 0
    bjorn = ["--behandler", "Bjørn Test", "--hpr", "9144889"]
    assert fravaer("roster", "add", "--virksomhet", ORGNR, *bjorn).exit_code == 0
    fravaer.add(*add_args(behandler="Bjørn Test")[3:])
    fravaer.add(*add_args(behandler="Bjørn Testesen")[3:])
    for scope in (["--all"], ["--virksomhet", ORGNR]):
        found = fravaer("list", *scope, "--behandler", "9144889", "--json")
        assert found.exit_code == 0, found.stderr
        assert [r["behandler"] for r in json.loads(found.stdout)] == ["Bjørn Test"]
    shown = fravaer("preview", "--virksomhet", ORGNR, "--behandler", "9144889", "--date", "01.08.2030", "--json")
    assert shown.exit_code == 0, shown.stderr
    assert {(r["behandler"], r["stengt"]) for r in json.loads(shown.stdout)} == {("Bjørn Test", True)}
    logged = fravaer("log", "--virksomhet", ORGNR, "--behandler", "9144889", "--json")
    assert logged.exit_code == 0, logged.stderr
    assert [x["handling"] for x in json.loads(logged.stdout)] == ["roster_add", "add"]
    unknown = fravaer("list", "--virksomhet", ORGNR, "--behandler", "1111111")
    assert unknown.exit_code == 3 and "«1111111» er ingen fastlege" in unknown.stderr


def test_an_hpr_number_is_one_gps_the_roster_says_which(fravaer):
    assert (
        fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "Bjørn Test", "--hpr", "1234567").exit_code == 0
    )
    assert fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "Kari Vik").exit_code == 0
    fravaer.add(*add_args(behandler="Kari Vik", fra="01.09.2030", til="02.09.2030")[3:])
    before = fravaer.snapshot()
    wrong = fravaer(*add_args("--hpr", "7654321", behandler="Bjørn Test"))
    assert wrong.exit_code == 2
    assert "7654321" in wrong.stderr and "har HPR-nummer 1234567" in wrong.stderr
    shared = fravaer(*add_args("--hpr", "1234567", behandler="Kari Vik"))
    assert shared.exit_code == 2 and "hører til «Bjørn Test»" in shared.stderr
    on_roster = fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "Kari Vik", "--hpr", "1234567")
    assert on_roster.exit_code == 2 and "hører til «Bjørn Test»" in on_roster.stderr
    edited = fravaer("edit", "1", "--virksomhet", ORGNR, "--hpr", "1234567")
    assert edited.exit_code == 2 and "hører til «Bjørn Test»" in edited.stderr
    assert fravaer.snapshot() == before
    assert fravaer(*add_args("--hpr", "1234567", behandler="Bjørn Test")).exit_code == 0


def test_log_behandler_with_a_name_that_is_no_gp_here_is_not_found_with_the_close_names(fravaer):
    assert fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "Bjørn Ås").exit_code == 0
    fravaer.add(*add_args(behandler="Bjørn Ås")[3:])
    misspelt = fravaer("log", "--virksomhet", ORGNR, "--behandler", "Bjørn Aas")
    assert misspelt.exit_code == 3
    assert "Mente du «Bjørn Ås»?" in misspelt.stderr and misspelt.stdout == ""
    # A GP who is no longer here, but whom the log names, is still asked about.
    assert fravaer("delete", "1", "--virksomhet", ORGNR, "--yes").exit_code == 0
    assert fravaer("roster", "remove", "--virksomhet", ORGNR, "--behandler", "Bjørn Ås").exit_code == 0
    gone = fravaer("log", "--virksomhet", ORGNR, "--behandler", "Bjørn Ås", "--json")
    assert gone.exit_code == 0, gone.stderr
    assert [x["handling"] for x in json.loads(gone.stdout)] == ["roster_add", "add", "delete", "roster_remove"]


def test_the_status_text_says_who_has_a_vikar_today_and_whose_vikar_starts(fravaer):
    """The cron mail: its first line counts the GPs served by a vikar today beside the closed ones,
    and the sections name them, as the JSON does."""
    fravaer.add(
        *add_args("--vikar", "e-konsultasjon", fra="01.07.2030", til="10.07.2030", tjeneste="timebestilling")[3:]
    )
    fravaer.add(*add_args("--vikar", "e-konsultasjon", behandler="Kari Vik", fra="06.07.2030", til="10.07.2030")[3:])
    text = fravaer("status", "--virksomhet", ORGNR, "--date", "05.07.2030").stdout
    first = " ".join(text.split("\n\n")[0].split())
    assert first.startswith("05.07.2030: stengt hos 1 lege, 1 lege har vikar. ")
    assert first.endswith("1 lege får vikar.")
    today = text.split("Vikar tar tjenester 05.07.2030:\n")[1].split("\n\n")[0]
    assert "Per Test" in today and "E-kons" in today and "Kari Vik" not in today
    starting = text.split("Vikar starter fra 06.07.2030 (husk å registrere vikar i EPJ):\n")[1]
    assert "Kari Vik" in starting and "E-kons" in starting


NORWEGIAN_ORDER = ["Anne Dahl", "Émile Lie", "Ola Nordmann", "Zahid Ali", "Ærlig Test", "Øystein Lie", "Åse Berg"]


def test_gps_are_listed_in_norwegian_order_everywhere(fravaer):
    """… Z, Æ, Ø, Å: the roster, the calendar, preview and status agree (Å used to come first)."""
    shuffled = NORWEGIAN_ORDER[::-1][1:] + NORWEGIAN_ORDER[-1:]
    assert (
        fravaer("roster", "add", "--virksomhet", ORGNR, *[a for n in shuffled for a in ("--behandler", n)]).exit_code
        == 0
    )
    for name in shuffled:
        fravaer.add(*add_args(behandler=name, fra="01.07.2030", til="02.07.2030")[3:])
    roster = json.loads(fravaer("roster", "list", "--virksomhet", ORGNR, "--json").stdout)
    assert [r["behandler"] for r in roster] == NORWEGIAN_ORDER
    cal = json.loads(
        fravaer("calendar", "--virksomhet", ORGNR, "--fra", "01.07.2030", "--til", "02.07.2030", "--json").stdout
    )
    assert cal["behandlere"] == NORWEGIAN_ORDER
    shown = json.loads(fravaer("preview", "--virksomhet", ORGNR, "--date", "01.07.2030", "--json").stdout)
    assert list(dict.fromkeys(r["behandler"] for r in shown)) == NORWEGIAN_ORDER
    status = json.loads(fravaer("status", "--virksomhet", ORGNR, "--date", "01.07.2030", "--json").stdout)
    assert list(dict.fromkeys(e["behandler"] for e in status["stengt"])) == NORWEGIAN_ORDER
    text = fravaer("status", "--virksomhet", ORGNR, "--date", "01.07.2030").stdout
    assert [n for n in sorted(NORWEGIAN_ORDER, key=text.index)] == NORWEGIAN_ORDER


def test_status_behandler_says_what_is_closed_for_one_gp_on_a_day(fravaer):
    assert fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "Kari Vik", "--hpr", "1234567").exit_code == 0
    assert fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "Ole Dahl").exit_code == 0
    fravaer.add(*add_args(behandler="Kari Vik", fra="01.07.2030", til="10.07.2030", tjeneste="timebestilling")[3:])
    fravaer.add(*add_args(behandler="Ole Dahl", fra="01.07.2030", til="10.07.2030")[3:])
    for who in ("Kari Vik", "kari", "1234567"):
        for scope in (["--virksomhet", ORGNR], ["--all"]):
            result = fravaer("status", *scope, "--behandler", who, "--date", "05.07.2030", "--json")
            assert result.exit_code == 0, result.stderr
            closed = json.loads(result.stdout)["stengt"]
            assert [(e["behandler"], e["tjeneste"], e["apner_igjen"]) for e in closed] == [
                ("Kari Vik", "timebestilling", "2030-07-11")
            ], (who, scope)
    misspelt = fravaer("status", "--virksomhet", ORGNR, "--behandler", "Kari Vikk", "--date", "05.07.2030")
    assert misspelt.exit_code == 3 and "Mente du «Kari Vik»?" in misspelt.stderr and misspelt.stdout == ""


def test_a_gp_back_early_ends_a_running_fravaer_yesterday_without_allow_past(fravaer):
    fravaer.add(*add_args(behandler="Kari Vik", fra="-3", til="+5", tjeneste="timebestilling")[3:])
    back = fravaer("edit", "1", "--virksomhet", ORGNR, "--til", "-1")
    assert back.exit_code == 0, back.stderr
    too_early = fravaer("edit", "1", "--virksomhet", ORGNR, "--til", "-2")
    assert too_early.exit_code == 2 and "--allow-past" in too_early.stderr


def test_an_edit_of_the_comment_says_nothing_again_of_days_already_past(fravaer):
    for name in ("Kari Vik", "Ole Dahl"):
        fravaer.add(*add_args("--allow-past", behandler=name, fra="-20", til="-10")[3:])
    commented = fravaer("edit", "1", "--virksomhet", ORGNR, "--kommentar", "Kurs")
    assert commented.exit_code == 0, commented.stderr
    assert "Advarsel" not in commented.stderr and "Merk" not in commented.stderr


def test_edit_no_vikar_that_leaves_a_service_open_for_an_away_gp_says_so(fravaer):
    fravaer.add(
        *add_args("--vikar", "e-konsultasjon", fra="01.07.2030", til="10.07.2030", tjeneste="timebestilling")[3:]
    )
    result = fravaer("edit", "1", "--virksomhet", ORGNR, "--no-vikar")
    assert result.exit_code == 0, result.stderr
    assert (
        "Merk: E-konsultasjon er nå åpen for innbyggere mens Per Test er borte (01.07.2030–10.07.2030), uten vikar."
        in result.stderr
    )


@pytest.mark.parametrize("first, second", [("Per Hansen", "Hansen, Per"), ("Hansen, Per", "Per Hansen")])
def test_a_name_written_surname_first_is_the_gp_the_office_knows(fravaer, tmp_path, first, second):
    """«Hansen, Per» beside a stored «Per Hansen» (or the other way round) is stored as the known
    GP's name: one GP for the overlap rule, preview and the calendar (a second GP told a citizen
    the wrong reopening day and counted a GP present who was away). The name stored makes the GP,
    also in the database, whose server keys a GP by the name it stores."""
    assert fravaer.add(*add_args(behandler=first, fra="01.07.2030", til="10.07.2030")[3:]) == "1"
    overlapping = fravaer(*add_args(behandler=second, fra="05.07.2030", til="12.07.2030"))
    assert overlapping.exit_code == 4, overlapping.stderr
    assert "Overlapper med fravær 1" in overlapping.stderr
    added = fravaer(*add_args(behandler=second, fra="11.07.2030", til="20.07.2030"))
    assert (added.exit_code, added.stdout) == (0, "2\n"), added.stderr
    assert "ligner" not in added.stderr
    again = fravaer(*add_args(behandler=second, fra="11.07.2030", til="20.07.2030"))  # an identical re-add
    assert (again.exit_code, again.stdout) == (0, "2\n"), again.stderr
    plan = tmp_path / "plan.csv"
    plan.write_text(f"virksomhet;behandler;fra;til;tjenester\n{ORGNR};{second};01.08.2030;02.08.2030;alle\n")
    assert fravaer("import", str(plan)).exit_code == 0
    listed = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    assert [f["behandler"] for f in listed] == [first, first, first]
    preview = fravaer(
        "preview", "--virksomhet", ORGNR, "--behandler", "per hansen", "--date", "02.07.2030",
        "--tjeneste", "timebestilling",
    )  # fmt: skip
    assert preview.exit_code == 0, preview.stderr
    assert "åpner igjen 21. juli 2030" in preview.stdout
    calendar = json.loads(
        fravaer("calendar", "--virksomhet", ORGNR, "--fra", "15.07.2030", "--til", "15.07.2030", "--json").stdout
    )
    assert calendar["behandlere"] == [first] and calendar["dager"][0]["borte"] == [first]
    # «Hansen, Per» as a query finds no words of «Per Hansen» («hansen,»), but the GP is named.
    asked = fravaer("list", "--virksomhet", ORGNR, "--behandler", second)
    if "," in second:
        assert asked.exit_code == 3 and f"Mente du «{first}»?" in asked.stderr
    else:
        assert asked.exit_code == 0 and asked.stdout.count(first) == 3


def test_a_roster_gp_written_surname_first_is_taken_and_an_unknown_one_stays_as_written(fravaer):
    """A roster's «Per Hansen» takes «Hansen, Per» as that GP (it used to be refused as not on the
    roster); a never-seen «Hansen, Kari» is a GP of its own, stored as written."""
    assert fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "Per Hansen").exit_code == 0
    added = fravaer(*add_args(behandler="Hansen, Per"))
    assert added.exit_code == 0, added.stderr
    assert "Registrert fravær 1: Per Hansen," in added.stderr
    again = fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "Hansen, Per")
    assert again.exit_code == 0
    roster = json.loads(fravaer("roster", "list", "--virksomhet", ORGNR, "--json").stdout)
    assert [r["behandler"] for r in roster] == ["Per Hansen"]
    assert fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "Hansen, Kari").exit_code == 0
    kari = fravaer(*add_args(behandler="Hansen, Kari", fra="03.08.2030", til="04.08.2030"))
    assert kari.exit_code == 0 and "Registrert fravær 2: Hansen, Kari," in kari.stderr
    # A new spelling of the GP itself is a rename, not a merge into itself.
    renamed = fravaer(
        "roster", "rename", "--virksomhet", ORGNR, "--behandler", "Per Hansen", "--til-navn", "Hansen, Per"
    )
    assert renamed.exit_code == 0, renamed.stderr
    listed = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    assert [f["behandler"] for f in listed] == ["Hansen, Per", "Hansen, Kari"]


def test_the_look_alike_note_names_three_and_says_there_are_more(fravaer):
    """GPs all a letter or two apart («Lege 01» … «Lege 06»): the note names three of them and says
    there are more, and the check stops there (an office of 2,000 such GPs took seconds to import)."""
    for n in range(1, 7):
        fravaer.add(*add_args(behandler=f"Lege {n:02d}", fra=f"0{n}.08.2030", til=f"0{n}.08.2030")[3:])
    added = fravaer(*add_args(behandler="Lege 07", fra="10.08.2030", til="10.08.2030"))
    assert added.exit_code == 0, added.stderr
    assert (
        f"Merk: «Lege 07» er ny hos {ORGNR}, men ligner «Lege 01» eller «Lege 02» eller «Lege 03» med flere. "
        f'Er det samme lege, rett navnet med «fravaer roster rename --virksomhet {ORGNR} --behandler "Lege 07" '
        "--til-navn RIKTIG»." in added.stderr.replace("\n", " ")
    )


@pytest.mark.parametrize(
    "stored, new, two_people",
    [
        ("Kari Eriksen", "Lars Eriksen", True),
        ("Siri Jensen", "Eirik Jensen", True),
        ("Marius Lie", "Markus Lie", True),  # both among SSB's 100 most common (fornavn.txt, from Faker)
        ("Kari Vik", "Kari Vikk", False),  # a typo: the merge is advised
        ("Kari Eriksen", "Kari Eriksn", False),
    ],
)
def test_two_common_first_names_are_two_people_and_no_merge_is_advised(fravaer, stored, new, two_people):
    fravaer.add(*add_args(behandler=stored)[3:])
    added = fravaer(*add_args(behandler=new, fra="03.08.2030", til="04.08.2030"))
    assert added.exit_code == 0, added.stderr
    assert f"«{stored}»" in added.stderr
    assert ("trolig en annen lege" in added.stderr) == two_people
    assert ("--til-navn" in added.stderr) != two_people


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_away_periods_from_the_fravaer_meeting_the_days_read_are_those_of_the_whole_office_or_none(data):
    """A calendar export reads an office for the days around its range; what plan.away_periods
    makes of those fravær alone (the least a store gives) is what it makes of them all, or None,
    and then the office is read whole."""
    from fravaer_cli.domain import plan
    from fravaer_cli.domain.model import Fravaer
    from fravaer_cli.domain.virksomhet import Virksomhet

    start = date(2030, 7, 1)
    services = ["timebestilling", "reseptfornyelse", "e-konsultasjon"]
    records: list[Fravaer] = []
    for n in range(data.draw(st.integers(1, 14))):
        fra = start + timedelta(days=data.draw(st.integers(0, 60)))
        til = fra + timedelta(days=data.draw(st.integers(0, 20)))
        gp = data.draw(st.sampled_from(["Anne Lie", "Per Berg"]))
        closed = tuple(data.draw(st.lists(st.sampled_from(services), unique=True, max_size=2)))
        vikar = () if closed and data.draw(st.booleans()) else ("kontakt-legekontoret",)
        candidate = Fravaer(str(n + 1), gp, fra, til, closed, vikar)
        office = Virksomhet("974760673", fravaer=list(records))
        if not office.find_overlaps(candidate) and not office.find_vikar_clashes(candidate):
            records.append(candidate)
    first = start + timedelta(days=data.draw(st.integers(0, 70)))
    last = first + timedelta(days=data.draw(st.integers(0, 20)))
    read = (first - timedelta(days=data.draw(st.integers(0, 15))), last + timedelta(days=data.draw(st.integers(0, 15))))
    whole = plan.away_periods(Virksomhet("974760673", fravaer=records), first, last)
    meeting = [f for f in records if f.til >= read[0] and f.fra <= read[1]]
    part = plan.away_periods(Virksomhet("974760673", fravaer=meeting), first, last, read=read)

    def shown(periods):
        return [(p.behandler, p.fra, p.til, p.tjenester, p.vikar, p.ids, p.uid) for p in periods]

    assert part is None or shown(part) == shown(whole)
