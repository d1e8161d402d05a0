"""The plan where the office looks at it: the calendar as .ics, as an HTML page, as a spreadsheet,
month names and weeks in the text grid, and `fravaer completion`. On both stores."""

import csv
import io
import json
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from tests.helpers import NO_SKIP, ORGNR, OTHER_ORGNR

SIX = ["Anne Berg", "Kari Vik", "Lise Moe", "Ole Dahl", "Per Hansen", "Øystein Åsheim"]  # in Norwegian order
JULY = ["--fra", "01.07.2027", "--til", "31.07.2027"]


def office_of_six(fravaer):
    assert fravaer("info", "--virksomhet", ORGNR, "--navn", "DDFL Test").exit_code == 0
    for name in SIX:
        assert fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", name).exit_code == 0


def summer(fravaer) -> dict[str, str]:
    """A July with every kind of period; returns the ids by a name for each fravær."""
    office_of_six(fravaer)
    ids = {
        # Anne: two fravær back to back with the same services: one period.
        "anne1": fravaer.add(
            "--behandler", "Anne Berg", "--fra", "05.07.2027", "--til", "11.07.2027", "--tjeneste", "alle"
        ),
        "anne2": fravaer.add(
            "--behandler", "Anne Berg", "--fra", "12.07.2027", "--til", "18.07.2027", "--tjeneste", "alle"
        ),
        # Kari: all closed, then, the day after, a vikar for everything: two periods.
        "kari1": fravaer.add(
            "--behandler", "Kari Vik", "--fra", "12.07.2027", "--til", "16.07.2027", "--tjeneste", "alle"
        ),
        "kari2": fravaer.add(
            "--behandler", "Kari Vik", "--fra", "17.07.2027", "--til", "23.07.2027", "--vikar", "alle"
        ),
        # Per: Timebestilling all month long, and Reseptfornyelse in the middle: three periods.
        "per1": fravaer.add(
            "--behandler", "Per Hansen", "--fra", "01.07.2027", "--til", "31.07.2027", "--tjeneste", "timebestilling"
        ),
        "per2": fravaer.add(
            "--behandler", "Per Hansen", "--fra", "12.07.2027", "--til", "14.07.2027", "--tjeneste", "reseptfornyelse"
        ),
        # Lise: outside July: not in the July file.
        "lise": fravaer.add(
            "--behandler", "Lise Moe", "--fra", "02.08.2027", "--til", "06.08.2027", "--tjeneste", "alle"
        ),
    }
    return ids


def kari_at_the_other_office(fravaer) -> None:
    fravaer.add(
        "--behandler",
        "Kari Nordmann",
        "--fra",
        "20.07.2027",
        "--til",
        "25.07.2027",
        "--tjeneste",
        "alle",
        orgnr=OTHER_ORGNR,
    )


def ics(fravaer, *args: str) -> str:
    result = fravaer("calendar", "--format", "ics", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes.decode("utf-8")  # .stdout would turn CRLF into LF


def events(text: str) -> list:
    from icalendar import Calendar

    return [c for c in Calendar.from_ical(text).walk() if c.name == "VEVENT"]


def test_ics_has_one_all_day_event_per_period_read_alike_by_two_parsers(fravaer):
    ids = summer(fravaer)
    text = ics(fravaer, "--virksomhet", ORGNR, *JULY)
    assert "\r\n" in text and all(len(line.encode()) <= 75 for line in text.split("\r\n"))  # folded, as RFC 5545 says
    found = sorted((str(e["summary"]), e.decoded("dtstart"), e.decoded("dtend"), str(e["uid"])) for e in events(text))

    def u(part: str) -> str:
        return f"{ORGNR}-{part}@fravaer"

    assert found == sorted(
        [
            (
                "Anne Berg: alle tjenester stengt",
                date(2027, 7, 5),
                date(2027, 7, 19),
                u(f"{ids['anne1']}-{ids['anne2']}"),
            ),
            ("Kari Vik: alle tjenester stengt", date(2027, 7, 12), date(2027, 7, 17), u(ids["kari1"])),
            ("Kari Vik: vikar tar alle tjenestene", date(2027, 7, 17), date(2027, 7, 24), u(ids["kari2"])),
            ("Per Hansen: Timebestilling stengt", date(2027, 7, 1), date(2027, 7, 12), u(ids["per1"])),
            (
                "Per Hansen: Reseptfornyelse, Timebestilling stengt",
                date(2027, 7, 12),
                date(2027, 7, 15),
                u(f"{ids['per1']}-{ids['per2']}"),
            ),
            ("Per Hansen: Timebestilling stengt", date(2027, 7, 15), date(2027, 8, 1), u(ids["per1"] + ".2")),
        ]
    )
    uids = [str(e["uid"]) for e in events(text)]
    assert len(set(uids)) == len(uids) == 6
    assert f"{ORGNR}-{ids['per1']}.2@fravaer" in uids  # the same fravær alone again: a uid of its own

    # Every date is a DATE value (an all-day event), as a second, independent parser reads it too.
    import vobject

    parsed = vobject.readOne(text)
    assert len(parsed.vevent_list) == 6
    for event in parsed.vevent_list:
        assert type(event.dtstart.value) is date and type(event.dtend.value) is date
        assert event.dtstart.params.get("VALUE") == ["DATE"]
    assert sorted(e.summary.value for e in parsed.vevent_list) == sorted(f[0] for f in found)


def test_ics_written_an_event_at_a_time_is_the_text_the_library_makes_of_the_whole_calendar(fravaer):
    """calendar_ics writes each event as its office is read (memory stays flat over every office):
    the same bytes as icalendar's text of the calendar holding them all."""
    from icalendar import Calendar

    summer(fravaer)
    kari_at_the_other_office(fravaer)
    for scope in (["--virksomhet", ORGNR], ["--all"], ["--virksomhet", OTHER_ORGNR, "--fra", "1.1.2020"]):
        text = ics(fravaer, *scope, *(JULY if scope[-1] != "1.1.2020" else []))
        assert Calendar.from_ical(text).to_ical().decode("utf-8") == text, scope


def test_ics_uids_stay_from_one_export_to_the_next_and_through_an_edit(fravaer):
    ids = summer(fravaer)
    first = {str(e["uid"]): e for e in events(ics(fravaer, "--virksomhet", ORGNR, *JULY))}
    second = {str(e["uid"]): e for e in events(ics(fravaer, "--virksomhet", ORGNR, *JULY))}
    assert first.keys() == second.keys()
    edited = fravaer("edit", ids["kari1"], "--virksomhet", ORGNR, "--fra", "13.07.2027", "--til", "15.07.2027")
    assert edited.exit_code == 0, edited.stderr
    after = {str(e["uid"]): e for e in events(ics(fravaer, "--virksomhet", ORGNR, *JULY))}
    kari = after[f"{ORGNR}-{ids['kari1']}@fravaer"]  # the same event, updated: no second one
    assert (kari.decoded("dtstart"), kari.decoded("dtend")) == (date(2027, 7, 13), date(2027, 7, 16))
    assert after.keys() == first.keys()


def test_ics_range_takes_whole_periods_that_meet_it_and_all_takes_every_office(fravaer):
    ids = summer(fravaer)
    kari_at_the_other_office(fravaer)
    week = events(ics(fravaer, "--virksomhet", ORGNR, "--fra", "16.07.2027", "--til", "16.07.2027"))
    assert sorted(str(e["uid"]) for e in week) == sorted(
        [
            f"{ORGNR}-{ids['anne1']}-{ids['anne2']}@fravaer",
            f"{ORGNR}-{ids['kari1']}@fravaer",
            f"{ORGNR}-{ids['per1']}.2@fravaer",
        ]
    )
    anne = next(e for e in week if str(e["summary"]).startswith("Anne"))
    assert anne.decoded("dtstart") == date(2027, 7, 5)  # whole, not cut at --fra
    every = events(ics(fravaer, "--all", *JULY))
    assert {str(e["uid"]).split("-")[0] for e in every} == {ORGNR, OTHER_ORGNR}
    assert len(every) == 7
    only_one = fravaer("calendar", "--all", *JULY)
    assert only_one.exit_code == 2 and "--format ics" in only_one.stderr


def test_ics_of_a_gp_not_on_the_roster_and_of_an_office_with_nothing(fravaer):
    assert fravaer("info", "--virksomhet", ORGNR, "--navn", "DDFL Test").exit_code == 0
    assert events(ics(fravaer, "--virksomhet", ORGNR, *JULY)) == []
    fravaer.add(
        "--behandler", "Vera Vikar", "--fra", "05.07.2027", "--til", "06.07.2027", "--tjeneste", "e-konsultasjon"
    )
    office_of_six(fravaer)
    (event,) = events(ics(fravaer, "--virksomhet", ORGNR, *JULY))
    assert str(event["summary"]) == "Vera Vikar: E-konsultasjon stengt"


# -- the HTML page ---------------------------------------------------------------------


def html(fravaer, *args: str) -> str:
    result = fravaer("calendar", "--virksomhet", ORGNR, "--format", "html", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_the_html_page_is_valid_html5_self_contained_and_holds_every_gp_and_day(fravaer):
    import html5lib

    summer(fravaer)
    page = html(fravaer, "--fra", "28.06.2027", "--til", "08.08.2027")
    document = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)  # a parse error raises
    assert document.find("head/title") is not None and document.get("lang") == "nb"
    assert not list(document.iter("script"))
    assert not re.search(r"""(src|href)\s*=|@import|url\(""", page)  # nothing fetched
    tables = list(document.iter("table"))
    assert [h.text for h in document.iter("h2")] == ["juni 2027", "juli 2027", "august 2027"]
    names = [row.find("td").text for t in tables for row in t.iter("tr") if row.find("td") is not None]
    assert names == (SIX + ["Til stede"]) * 3
    day_numbers = [th.text.rstrip("*") for t in tables for th in list(t.iter("tr"))[2].iter("th")]
    assert day_numbers == [str(d) for d in [*range(28, 31), *range(1, 32), *range(1, 9)]]
    kari = next(
        row
        for t in tables[1:2]
        for row in t.iter("tr")
        if row.find("td") is not None and row.find("td").text == "Kari Vik"
    )
    cells = [td.text for td in kari.findall("td")[1:]]
    assert cells[11:16] == ["X"] * 5 and cells[16:23] == ["v"] * 7 and cells[0] == "."
    count = [td.text for td in list(tables[1].iter("tr"))[-1].findall("td")[1:]]
    assert "!" not in "".join(count)


def test_the_html_page_names_holidays_and_marks_days_without_a_gp(fravaer):
    office_of_six(fravaer)
    for name in SIX:
        fravaer.add("--behandler", name, "--fra", "14.05.2027", "--til", "18.05.2027", "--tjeneste", "alle")
    page = html(fravaer, "--fra", "01.05.2027", "--til", "31.05.2027")
    assert (
        re.search(r'<th class="off hol" title="[^"]*Grunnlovsdag">17\*</th>', page) and "Kristi himmelfartsdag" in page
    )
    assert page.count('class="none"') == 2  # Friday the 14th and Tuesday the 18th; the 17th is a holiday
    assert "Ingen fastlege: 14.05.–18.05.2027." in page


def test_names_and_text_in_the_html_page_are_escaped(fravaer):
    fravaer.add("--behandler", "<b>Ola</b> & Co", "--fra", "05.07.2027", "--til", "06.07.2027", "--tjeneste", "alle")
    assert fravaer("info", "--virksomhet", ORGNR, "--navn", "Kontor <script>").exit_code == 0
    page = html(fravaer, *JULY)
    assert "<b>Ola" not in page and "&lt;b&gt;Ola&lt;/b&gt; &amp; Co" in page and "<script" not in page


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if NO_SKIP:
            pytest.fail("chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed (Debian package chromium)")
    return path


def in_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium'}",
    ]  # fmt: skip
    result = subprocess.run([chromium(), *flags, *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


A4_LANDSCAPE_PX = 1047  # 297 mm less 2 × 10 mm of margin, at 96 px to the inch


@pytest.mark.files_only  # the page is the same from both stores (the test above runs on both)
def test_chromium_shows_a_month_of_six_gps_without_a_scrollbar_and_prints_it_on_one_a4_page(fravaer, tmp_path):
    summer(fravaer)
    page = tmp_path / "kalender.html"
    page.write_text(html(fravaer, *JULY), encoding="utf-8")
    # The test's own copy of the page measures it; the page itself has no script.
    probe = tmp_path / "probe.html"
    probe.write_text(
        page.read_text().replace(
            "</body>",
            "<script>onload = () => document.body.dataset.probe = "
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth].join(' ')</script></body>",
        )
    )
    for width in (A4_LANDSCAPE_PX, 600):
        dom = in_chromium(tmp_path, f"--window-size={width},740", "--dump-dom", probe.as_uri()).stdout
        scroll, client = map(int, re.search(r'data-probe="(\d+) (\d+)"', dom).groups())
        assert client == width
        assert (scroll <= client) == (width == A4_LANDSCAPE_PX), (width, scroll)  # the probe sees an overflow
    pdf = tmp_path / "kalender.pdf"
    in_chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    body = pdf.read_bytes()
    assert len(re.findall(rb"/Type\s*/Page\b", body)) == 1
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", body)
    assert box and round(float(box[1])) == 842 and round(float(box[2])) == 595  # A4 landscape, in points


# -- the grid as a spreadsheet, and the text grid ---------------------------------------


def grid_letters(fravaer, *args: str) -> dict[str, list[str]]:
    text = fravaer("calendar", "--virksomhet", ORGNR, *args, env={"COLUMNS": "400"}).stdout
    rows = {}
    for line in text.splitlines():
        for name in SIX:
            if line.startswith(name):
                rows[name] = line[len(name) :].split()
    return rows


@pytest.mark.parametrize("fmt", ["csv", "excel-csv"])
def test_the_grid_as_a_spreadsheet_has_a_row_per_gp_and_a_column_per_day(fravaer, fmt):
    summer(fravaer)
    result = fravaer("calendar", "--virksomhet", ORGNR, "--format", fmt, *JULY)
    assert result.exit_code == 0, result.stderr
    text = result.stdout_bytes.decode("utf-8")
    if fmt == "excel-csv":
        assert text.startswith("\ufeff") and "\r\n" in text
        text = text[1:]
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if fmt == "excel-csv" else ","))
    header, body = rows[0], rows[1:]
    first = "01.07.2027" if fmt == "excel-csv" else "2027-07-01"
    assert header[0] == ("Behandler" if fmt == "excel-csv" else "behandler") and header[1] == first
    assert len(header) == 32
    assert [r[0] for r in body] == SIX
    assert {r[0]: r[1:] for r in body} == grid_letters(fravaer, *JULY)


def test_calendar_json_by_format_is_the_json_of_json(fravaer):
    summer(fravaer)
    by_format = fravaer("calendar", "--virksomhet", ORGNR, "--format", "json", *JULY)
    assert (
        by_format.exit_code == 0
        and by_format.stdout == fravaer("calendar", "--virksomhet", ORGNR, "--json", *JULY).stdout
    )
    assert json.loads(by_format.stdout)["behandlere"] == SIX
    unknown = fravaer("calendar", "--virksomhet", ORGNR, "--format", "pdf")
    assert unknown.exit_code == 2 and "ics" in unknown.stderr and "html" in unknown.stderr


def test_the_text_grid_names_each_month_above_its_first_day(fravaer):
    office_of_six(fravaer)
    text = fravaer(
        "calendar", "--virksomhet", ORGNR, "--fra", "28.06.2027", "--til", "08.08.2027", env={"COLUMNS": "200"}
    ).stdout
    lines = text.splitlines()
    month_line, week_line, _, day_line = lines[2:6]
    assert month_line.startswith(" " * 10) and month_line.split() == [
        "juni",
        "juli",
        "2027",
        "august",
    ]  # the year where it fits
    assert month_line.index("juli") == day_line.index(" 1 ") and month_line.index("august") == day_line.index(
        " 1 ", day_line.index(" 1 ") + 3
    )
    assert week_line.lstrip().startswith("uke 26")
    january = fravaer("calendar", "--virksomhet", ORGNR, "--fra", "27.12.2027", "--til", "09.01.2028").stdout
    assert "desember 2027" in january and "januar 2028" in january


def test_the_weeks_view_counts_working_days_away_and_fits_a_summer_in_80_columns(fravaer):
    summer(fravaer)
    result = fravaer(
        "calendar", "--virksomhet", ORGNR, "--fra", "31.05.2027", "--til", "29.08.2027", "--uker", env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 80 and "uke for uke" in lines[0]
    weeks = next(line for line in lines if line.startswith("uke")).split()[1:]
    assert weeks == [str(n) for n in range(22, 35)]  # 13 weeks in one block
    cells = {line[:16].strip(): line[16:].split() for line in lines if line[:16].strip() in SIX + ["Til stede"]}
    week = {n: i for i, n in enumerate(weeks)}
    assert cells["Anne Berg"][week["27"]] == "5X" and cells["Anne Berg"][week["28"]] == "5X"
    assert cells["Kari Vik"][week["28"]] == "5X" and cells["Kari Vik"][week["29"]] == "5v"
    assert cells["Per Hansen"][week["26"]] == "2x"  # Thursday 1 and Friday 2 July
    assert cells["Lise Moe"][week["31"]] == "5X" and cells["Ole Dahl"][week["28"]] == "."
    assert cells["Til stede"][week["28"]] == "3"
    assert "juli" in lines[2] and "august" in lines[2]
    assert fravaer("calendar", "--virksomhet", ORGNR, "--uker", "--format", "csv").exit_code == 2


# -- fravaer completion ----------------------------------------------------------------


@pytest.mark.files_only
def test_completion_of_an_unknown_shell_is_refused(fravaer):
    refused = fravaer("completion", "tcsh")
    assert refused.exit_code == 2 and "tcsh" in refused.stderr and "bash, zsh, fish" in refused.stderr


@pytest.mark.files_only
def test_completion_from_the_printed_script_works_in_real_bash(example_store):
    from tests.helpers import EXECUTABLE

    bash = shutil.which("bash")
    bin_dir = str(Path(EXECUTABLE).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"], "FRAVAER_DATA_DIR": str(example_store)}
    script = """
        eval "$(fravaer completion bash)"
        COMP_WORDS=(fravaer calendar --format i); COMP_CWORD=3
        _fravaer_completion fravaer i --format
        printf '%s\\n' "${COMPREPLY[@]}"
    """
    result = subprocess.run([bash, "--norc", "--noprofile", "-c", script], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ics"]
