"""The office's plan: working days and Norwegian public holidays, vikar in status, vikar against closure."""

import json
from datetime import date, timedelta

import pytest

from fravaer_cli import workdays
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


def test_a_reopening_day_that_is_no_working_day_is_noted(fravaer):
    result = fravaer(*add_args(fra="20.12.2027", til="24.12.2027"))
    assert result.exit_code == 0
    assert "Merk: åpner igjen lørdag 25.12.2027, 1. juledag, som ikke er en virkedag." in result.stderr
    weekday = fravaer(*add_args(fra="10.01.2028", til="11.01.2028"))
    assert "Merk: åpner igjen" not in weekday.stderr


def test_the_quick_easter_test_agrees_with_the_holidays_package_on_every_day():
    """workdays asks the holidays package only when its own test says a day may be a holiday."""
    from holidays.countries.norway import Norway

    for year in (2024, 2027, 2030, 2038, 2100):
        listed = set(Norway(years=year))
        day = date(year, 1, 1)
        while day.year == year:
            assert (day in listed) <= workdays._maybe_holiday(day), day
            day += timedelta(days=1)


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
