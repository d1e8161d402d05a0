"""The importer reads a big file as its rows are checked: each row is made from the file's bytes
(or the parsed JSON document or sheet) as it is wanted and let go once checked, never all held,
and the rows can be read again (an import into the database reads them twice)."""

import gc
import json
import tracemalloc
import weakref
from datetime import date

import pytest

from fravaer_cli.domain.virksomhet import Virksomhet
from fravaer_cli.usecases import checking, importer
from tests.benchmarks import data
from tests.helpers import write_sheet

COLUMNS = ["virksomhet", "behandler", "fra", "til", "tjenester", "kommentar"]
TODAY = date(2029, 12, 1)


def plan_rows(count: int) -> list[list[str]]:
    return list(data.rows(offices=-(-count // 50), per_office=min(count, 50)))[:count]


def as_bytes(kind: str, rows: list[list[str]]) -> tuple[bytes, str]:
    """The rows as a file of this kind, and its name."""
    if kind == "csv":
        return "".join(";".join(row) + "\r\n" for row in [COLUMNS, *rows]).encode(), "plan.csv"
    if kind == "csv-1252":  # as Excel saves it: Windows-1252, the header under a title
        text = "Sommerplan – Legesenteret\n" + "".join(",".join(row) + "\n" for row in [COLUMNS, *rows])
        return text.replace("Ferie", "Ferie på øya").encode("cp1252"), "plan.csv"
    objects = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    if kind == "json":
        return json.dumps(objects, ensure_ascii=False).encode(), "plan.json"
    if kind == "jsonl":
        return "\n".join(json.dumps(o, ensure_ascii=False) for o in objects).encode(), "plan.jsonl"
    raise AssertionError(kind)


def sheet_bytes(tmp_path, rows: list[list[str]]) -> tuple[bytes, str]:
    letters = "ABCDEF"
    cells = {f"{letters[c]}{r}": v for r, row in enumerate([COLUMNS, *rows], start=1) for c, v in enumerate(row)}
    path = tmp_path / "plan.xlsx"
    write_sheet(path, cells)
    return path.read_bytes(), "plan.xlsx"


KINDS = ["csv", "csv-1252", "json", "jsonl", "xlsx"]


def source_of(kind: str, tmp_path, count: int, virksomhet: str | None = None) -> importer.Source:
    rows = plan_rows(count)
    raw, name = sheet_bytes(tmp_path, rows) if kind == "xlsx" else as_bytes(kind, rows)
    return importer.read(raw, name, virksomhet=virksomhet)


def load(orgnr: str):
    return Virksomhet(orgnr), None


@pytest.mark.parametrize("kind", KINDS)
def test_each_row_is_let_go_once_it_is_checked(kind, tmp_path):
    source = source_of(kind, tmp_path, 300)
    assert not isinstance(source.rows, list | tuple)
    made: list[weakref.ref] = []

    def watched():
        for row in source.rows:
            made.append(weakref.ref(row))
            # The check holds the row before this one still; none before that.
            assert len(made) < 3 or made[-3]() is None, f"{kind}: {len(made) - 2} rows back is still held"
            yield row

    plan = checking.check(importer.Source(source.name, watched(), source.kind), load, TODAY, False, "test", "now")
    assert not plan.errors and plan.added == 300
    gc.collect()
    assert len(made) == 300 and [r for r in made if r() is not None] == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("virksomhet", [None, data.orgnrs(1)[0]])
def test_the_rows_can_be_read_twice_and_are_the_same_rows(kind, virksomhet, tmp_path):
    """As the database's import reads them: first the offices to lock, then the check."""
    source = source_of(kind, tmp_path, 120, virksomhet)
    first = [(row.where, row.values) for row in source.rows]
    assert len(first) == 120 and first[0][1]["behandler"] == "Lege 0 Testesen"
    assert checking.office_numbers(source.rows, date(2026, 1, 1))[0] == sorted(data.orgnrs(3))
    assert [(row.where, row.values) for row in source.rows] == first


def reading_peak(kind: str, count: int) -> int:
    """The most memory taken (above what was taken before) while the file is read and its rows
    gone through; the file's bytes are made before."""
    raw, name = as_bytes(kind, plan_rows(count))
    gc.collect()
    tracemalloc.start()
    try:
        assert sum(1 for _ in importer.read(raw, name).rows) == count
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("kind", ["csv", "csv-1252", "jsonl"])
def test_reading_ten_times_the_rows_takes_about_the_same_memory(kind):
    """Text is decoded a slice at a time: reading 50,000 rows takes little more memory than
    5,000 (the text held whole would take ten times as much, and more than the file)."""
    small, big = reading_peak(kind, 5_000), reading_peak(kind, 50_000)
    size = len(as_bytes(kind, plan_rows(50_000))[0])
    assert big < 2 * small, f"{kind}: {big:,} bytes for 50,000 rows, {small:,} for 5,000"
    assert big < size / 2, f"{kind}: {big:,} bytes to read a file of {size:,}"
