"""Output written as it is made (list --all, calendar --all --format ics): the same text as made
whole, in memory that stays flat however many offices there are (the benchmark's rows measure it)."""

import os
from datetime import date, timedelta
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from fravaer_cli.domain.model import Fravaer
from fravaer_cli.output import formats, overview
from fravaer_cli.usecases.operations import OfficeRef

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
words = st.text(alphabet="abcæøå ÆØÅ-\t\x1b.", max_size=25)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_a_simple_table_a_line_at_a_time_is_tabulates_table(data):
    columns = data.draw(st.integers(1, 6))
    headers = data.draw(
        st.lists(
            st.text(alphabet="ABCØ og", min_size=1, max_size=12).map(str.strip).filter(bool),
            min_size=columns,
            max_size=columns,
        )
    )
    rows = data.draw(st.lists(st.lists(texts | words, min_size=columns, max_size=columns), min_size=1, max_size=8))
    longest = [max(len(formats.cell_text(row[i])) for row in rows) for i in range(columns)]
    table = formats.SimpleTable(headers, longest)
    made = "\n".join([*table.head(), *(table.line(row) for row in rows)])
    assert made == formats.table(headers, rows)
    assert table.width() == max(map(len, made.splitlines()))


services = ["timebestilling", "reseptfornyelse", "e-konsultasjon", "kontakt-legekontoret"]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_list_all_as_a_table_from_a_temporary_file_is_the_table_made_whole(data):
    columns = str(data.draw(st.sampled_from([40, 80, 100, 140, 250])))
    rows = []
    for n in range(data.draw(st.integers(0, 12))):
        office = OfficeRef(f"97476067{data.draw(st.integers(0, 2))}", data.draw(words))
        fra = date(2030, 1, 1) + timedelta(days=data.draw(st.integers(0, 400)))
        closed = tuple(data.draw(st.lists(st.sampled_from(services), unique=True, max_size=4)))
        vikar = tuple(
            s for s in data.draw(st.lists(st.sampled_from(services), unique=True, max_size=2)) if s not in closed
        )
        name = data.draw(words.filter(lambda w: w.strip()) | st.sampled_from(["Kari Nordmann", "Per Hansen-Øvrebø"]))
        comment = data.draw(st.sampled_from(["", "Ferie", "  sommer  ", "x" * 90]) | texts)
        rows.append((office, Fravaer(str(n + 1), name, fra, fra, closed, vikar, comment)))
    rows.sort(key=lambda r: r[0].orgnr)
    past = data.draw(st.booleans())
    with patch.dict(os.environ, {"COLUMNS": columns}):  # the width of a pipe
        count, lines = overview.list_table_spilled(iter(rows), past)
        assert count == len(rows)
        assert "\n".join(lines) == overview.list_table(rows, every=True, include_past=past)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_status_all_as_a_table_from_temporary_files_is_the_table_made_whole(data):
    """The morning mail over every office: its sections' tables line up over all offices."""
    import shutil
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="fravaer-test-"))
    try:
        with patch.dict(os.environ, {"XDG_CACHE_HOME": str(folder / "cache")}):
            _status_all_both_ways(data, folder / "store")
    finally:
        shutil.rmtree(folder)


def _status_all_both_ways(data, folder) -> None:
    from fravaer_cli.cli.status_report import StatusReport
    from fravaer_cli.domain.model import make_draft
    from fravaer_cli.store.files.filestore import FileStore
    from fravaer_cli.usecases import operations

    store = FileStore(folder, av="test")
    orgnrs = ["974760673", "988077917", "912345675"]
    for _ in range(data.draw(st.integers(0, 14))):
        orgnr = data.draw(st.sampled_from(orgnrs))
        fra = date(2030, 3, 1) + timedelta(days=data.draw(st.integers(0, 12)))
        til = fra + timedelta(days=data.draw(st.integers(0, 6)))
        closed = data.draw(st.lists(st.sampled_from(services), unique=True, max_size=4))
        vikar = [s for s in data.draw(st.lists(st.sampled_from(services), unique=True, max_size=1)) if s not in closed]
        if not closed and not vikar:
            closed = ["timebestilling"]
        name = data.draw(st.sampled_from(["Kari Nordmann", "Per Hansen-Øvrebø", "Åse Li", "A" * 40]))
        try:
            operations.add(store, orgnr, make_draft(name, fra, til, closed, vikar), date(2030, 1, 1), False, "t")
        except Exception:  # an overlap: not this one
            continue
    if not store.orgnrs():
        return
    if store.exists(orgnrs[0]):
        operations.set_info(store, orgnrs[0], navn=data.draw(st.sampled_from(["Legesenteret Øst", "A" * 60, "Ås"])))
    day = date(2030, 3, 1) + timedelta(days=data.draw(st.integers(0, 14)))
    until = day + timedelta(days=data.draw(st.sampled_from([1, 3]))) if data.draw(st.booleans()) else None
    columns = str(data.draw(st.sampled_from([40, 80, 120])))
    with patch.dict(os.environ, {"COLUMNS": columns}):
        whole, _ = operations.status_entries(store, None, day, until)
        made = StatusReport(day, until, list(whole), single=False, errors=[])
        entries, _ = operations.status_entries(store, None, day, until)
        spilled = StatusReport(day, until, entries, single=False, errors=[])
        assert "\n".join(spilled.result().text()) == made.result().text()
        assert spilled.closed == made.closed
