"""import --dry-run's table of rows, written a line at a time (issue 32): the same text as the
table made whole with tabulate, in memory that does not grow with the file's rows."""

import os
import tracemalloc
from datetime import date, timedelta
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from fravaer_cli.cli import imports
from fravaer_cli.domain import catalogue
from fravaer_cli.domain.model import Fravaer
from fravaer_cli.domain.plan import stretch_text
from fravaer_cli.domain.virksomhet import Virksomhet
from fravaer_cli.output import formats
from fravaer_cli.usecases.checking import OfficePlan, Plan


def made_whole(plan, offices, dry_run: bool) -> str:
    """import_text as it was before issue 32: every row's cells in lists, the table made whole."""
    room = formats.width()
    parts = []
    if dry_run:
        several = len(offices) > 1
        rows, services, labels = rows_held(offices)
        parts.append("Tørrkjøring: ingenting er lagret.\n")
        if rows:
            headers = ["Rad", "Behandler", "Fravær", "Handling"]
            text = formats.table_with_rest(headers, rows, "Tjenester", services, room - (2 if several else 0))
            parts.append((formats.grouped(text, labels) if several else text) + "\n")
    added = "Legges til" if dry_run else "Lagt til"
    headers = ["Virksomhet", added, "Fantes fra før"]
    label_room = max(room - sum(len(h) + 4 for h in headers[1:]), 20)
    summary = [[formats.clipped(p.office.label, label_room), len(p.added), len(p.skipped)] for p in offices]
    summary.append(["Totalt", plan.added, plan.skipped])
    parts.append(formats.table(headers, summary))
    return "\n".join(parts)


def rows_held(offices) -> tuple[list, list, list]:
    rows, services, labels = [], [], []
    for p in offices:
        for action, pairs in (("legges til", p.added), ("finnes", p.skipped)):
            for where, f in pairs:
                doing = action if action != "finnes" else f"finnes ({f.id})"
                rows.append([where, formats.clipped(f.behandler, 22), stretch_text(f.fra, f.til), doing])
                vikar = f" (vikar: {catalogue.short_names(f.vikar)})" if f.vikar else ""
                services.append((catalogue.short_names(f.tjenester) or "ingen stengt") + vikar)
                labels.append(p.office.label)
    return rows, services, labels


def written(plan, offices, dry_run: bool) -> str:
    """What render() writes of import_text's pieces."""
    return "".join(part + "\n" for part in imports.import_text(plan, offices, dry_run))


# Names as a file may have them: æøå, long ones (cut at 22), wide and combining characters,
# control characters and bidi marks (shown as escapes), spaces at the ends (stripped).
names = st.text(
    alphabet=st.sampled_from(
        list("abcæøåÆØÅ -.'") + ["漢", "字", "\u0301", "\u0308", "\x1b", "\t", "\u202e", "\ufeff"]
    ),
    min_size=1,
    max_size=40,
) | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30)
keys = sorted(catalogue.catalogue())


@st.composite
def plans(draw):
    offices = {}
    line = 1
    for n in range(draw(st.integers(1, 4))):
        orgnr = f"97476067{n}"
        office = Virksomhet(orgnr, draw(st.sampled_from(["", "Legesenteret", "Ås legekontor AS" * 4]) | names))
        p = OfficePlan(office, None)
        for _ in range(draw(st.integers(0, 6))):
            line += draw(st.integers(1, 3000))
            fra = date(2030, 1, 1) + timedelta(days=draw(st.integers(0, 800)))
            til = fra + timedelta(days=draw(st.sampled_from([0, 1, 6, 400])))
            closed = tuple(draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys))))
            vikar = tuple(k for k in draw(st.lists(st.sampled_from(keys), unique=True, max_size=2)) if k not in closed)
            f = Fravaer(str(draw(st.integers(1, 10**6))), draw(names), fra, til, closed, vikar, "")
            (p.skipped if draw(st.booleans()) else p.added).append((f"linje {line}", f))
        offices[orgnr] = p
    return Plan(offices, [], line)


@settings(max_examples=500, deadline=None)
@given(plans(), st.integers(40, 200) | st.integers(-2, 2).map(str), st.booleans(), st.booleans())
def test_the_dry_runs_rows_a_line_at_a_time_are_the_table_made_whole(plan, columns, dry_run, whole):
    offices = sorted(plan.offices.values(), key=lambda p: p.office.orgnr)
    if isinstance(columns, str):  # a width where the Tjenester column just has, or just lacks, its 10 characters
        rows = rows_held(offices)[0] or [["", "", "", ""]]
        plain = max(map(len, formats.table(["Rad", "Behandler", "Fravær", "Handling"], rows).splitlines()))
        columns = plain + 2 + 10 + int(columns) + (2 if len(offices) > 1 else 0)
    with patch.dict(os.environ, {"COLUMNS": str(columns)}):  # the width of a pipe
        # whole: as where wcwidth is installed, the table made whole the old way.
        with patch.object(formats, "lines_match_table", lambda: not whole):
            assert written(plan, offices, dry_run) == made_whole(plan, offices, dry_run) + "\n"


def test_the_services_column_and_the_office_names_are_in_the_lines():
    """The examples the property covers, seen: two offices, grouped; vikar; finnes (ID)."""
    plan = Plan({}, [], 3)
    for orgnr, navn in (("974760673", "Nord"), ("974760681", "Sør")):
        plan.offices[orgnr] = OfficePlan(Virksomhet(orgnr, navn), None)
    day = date(2030, 7, 1)
    plan.offices["974760673"].added.append(
        ("linje 2", Fravaer("", "Kari Nordmann", day, day, ("timebestilling",), ("reseptfornyelse",), ""))
    )
    plan.offices["974760681"].skipped.append(("linje 3", Fravaer("7", "Per", day, day, (), (), "")))
    offices = sorted(plan.offices.values(), key=lambda p: p.office.orgnr)
    with patch.dict(os.environ, {"COLUMNS": "100"}):
        text = written(plan, offices, True)
    assert text == made_whole(plan, offices, True) + "\n"
    lines = text.splitlines()
    assert lines[2].startswith("  Rad") and lines[2].endswith("Tjenester")
    assert lines[4] == Virksomhet("974760673", "Nord").label
    assert "(vikar: Resept)" in lines[5] and "finnes (7)" in lines[7] and "ingen stengt" in lines[7]


def _big_plan(rows: int) -> Plan:
    plan = Plan({}, [], rows)
    for n in range(3):
        plan.offices[f"97476067{n}"] = OfficePlan(Virksomhet(f"97476067{n}", f"Kontor {n}"), None)
    start = date(2030, 1, 1)
    for i in range(rows):
        fra = start + timedelta(days=i % 700)
        f = Fravaer(
            str(i + 1), f"Lege {i % 997} Testesen", fra, fra + timedelta(days=i % 9), tuple(keys[: i % 4]), (), ""
        )
        p = plan.offices[f"97476067{i % 3}"]
        (p.added if i % 5 else p.skipped).append((f"linje {i + 2}", f))
    return plan


def _peak_while_written(plan: Plan) -> int:
    offices = sorted(plan.offices.values(), key=lambda p: p.office.orgnr)
    tracemalloc.start()
    try:
        for _ in imports.import_text(plan, offices, True):
            pass  # written and let go, as render() does
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_dry_runs_rows_are_not_all_held_while_written():
    small, big = _big_plan(2_000), _big_plan(20_000)
    with patch.dict(os.environ, {"COLUMNS": "120"}):
        _peak_while_written(small)  # the first call's imports (tabulate) and caches
        few, many = _peak_while_written(small), _peak_while_written(big)
    # Made whole, ten times the rows took ten times the memory (a table of 20,000 lines, ~2 MB).
    assert many < 2 * few + 100_000, (few, many)
