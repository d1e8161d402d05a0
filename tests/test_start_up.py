"""What a call imports, counted exactly (timings are for the benchmark, not for tests).

Each module left out of a call is start-up time saved on every call of a shell loop.
"""

import subprocess
import sys

import pytest

from tests.helpers import ORGNR

# Typer 0.24 needs none of pydantic and rich at run time; dateutil only without tzdata;
# the database driver only with --database.
NEVER = {"pydantic", "rich", "dateutil", "psycopg2"}
# fravaer's own classes are Records, since making a dataclass costs a millisecond or more;
# dataclasses comes in only with tabulate (for tables) and import's own classes.
DATACLASSES = {"dataclasses"}
WRITING = {"tomli_w"}


def imported(args, store) -> set[str]:
    """The modules one real call of fravaer imports (python -X importtime writes them to stderr)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "fravaer_cli", "--data-dir", str(store), *args],
        capture_output=True,
        text=True,
    )
    assert result.returncode in (0, 1), result.stderr
    return {
        line.split("|")[2].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


@pytest.fixture
def store(tmp_path):
    from datetime import date

    from fravaer_cli.domain.model import make_draft
    from fravaer_cli.store.files.filestore import FileStore

    folder = tmp_path / "store"
    with FileStore(folder).change(ORGNR, create=True) as change:
        for n in range(50):
            draft = make_draft(
                f"Lege {n % 10}", date(2030, 1, 1 + n // 10 * 5), date(2030, 1, 3 + n // 10 * 5), ["timebestilling"]
            )
            f, _ = change.office.add(draft, date(2024, 1, 1), False, "test", "t")
            change.record("add", f.to_dict())
    return folder


def test_help_imports_no_store_clock_or_table(store):
    modules = imported(["--help"], store)
    assert not modules & (
        NEVER
        | WRITING
        | DATACLASSES
        | {
            "fravaer_cli.store.files.filestore",
            "fravaer_cli.usecases.importer",
            "tabulate",
            "tomllib",
            "zoneinfo",
            "json",
        }
    )


def test_status_json_reads_its_own_file_with_tomli_not_tomllib_or_tabulate(store):
    modules = imported(["status", "--virksomhet", ORGNR, "--date", "2030-01-02", "--json"], store)
    assert "fravaer_cli.store.files.filestore" in modules and "tomli" in modules
    # A written --date needs no clock, so no time zone database.
    assert not modules & (
        NEVER | WRITING | DATACLASSES | {"tabulate", "tomllib", "fravaer_cli.usecases.importer", "csv", "zoneinfo"}
    )


def test_status_table_needs_tabulate_but_not_the_importer(store):
    modules = imported(["status", "--virksomhet", ORGNR, "--date", "2030-01-02"], store)
    assert "tabulate" in modules
    # A table of a toml store needs no json.
    assert not modules & (NEVER | WRITING | {"tomllib", "fravaer_cli.usecases.importer", "json"})


ADD = [
    "add",
    "--virksomhet",
    ORGNR,
    "--behandler",
    "Ny Lege",
    "--fra",
    "1.1.2031",
    "--til",
    "2.1.2031",
    "--tjeneste",
    "alle",
]


def test_an_add_across_christmas_reads_the_holidays_from_the_table_not_the_holidays_package(store):
    """Its days without a GP and its reopening day are checked against the public holidays."""
    christmas = [*ADD[:5], "--fra", "20.12.2030", "--til", "24.12.2030", *ADD[9:]]
    assert "holidays" not in imported(christmas, store)


def test_add_writes_without_tables_or_the_importer(store):
    modules = imported(ADD, store)
    assert not modules & (
        NEVER | DATACLASSES | {"tabulate", "tomllib", "fravaer_cli.usecases.importer", "fravaer_cli.domain.schedule"}
    )


# What only calendar's other formats need: none of it in the everyday commands, nor in the grid.
CALENDAR_FORMATS = {"icalendar", "fravaer_cli.output.calendar_ics", "fravaer_cli.output.calendar_html"}


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["status", "--virksomhet", ORGNR, "--date", "2030-01-02"],
        ["list", "--virksomhet", ORGNR, "--json"],
        ADD,
        ["calendar", "--virksomhet", ORGNR, "--fra", "1.1.2030", "--til", "31.1.2030"],
    ],
    ids=["help", "status", "list", "add", "calendar"],
)
def test_the_calendar_formats_cost_the_everyday_commands_nothing(store, args):
    assert not imported(args, store) & CALENDAR_FORMATS


def test_calendar_ics_and_html_import_only_what_they_write_with(store):
    ics = imported(
        ["calendar", "--virksomhet", ORGNR, "--fra", "1.1.2030", "--til", "31.1.2030", "--format", "ics"], store
    )
    assert {"icalendar", "fravaer_cli.output.calendar_ics"} <= ics and "fravaer_cli.output.calendar_html" not in ics
    page = imported(
        ["calendar", "--virksomhet", ORGNR, "--fra", "1.1.2030", "--til", "31.1.2030", "--format", "html"], store
    )
    assert "fravaer_cli.output.calendar_html" in page and "icalendar" not in page


# Of the packages fravaer depends on or might come to import, and its own database modules: what an
# everyday call imports is exactly its own need, so a new import (a dependency, the driver, package
# metadata read at start-up, a Typer that brings pydantic or its own Click) shows here.
WATCHED = {
    "typer",
    "click",
    "tomli",
    "tomli_w",
    "tabulate",
    "dateutil",
    "psycopg2",
    "holidays",
    "python_calamine",
    "icalendar",
    "pydantic",
    "rich",
    "typer._click",
    "importlib.metadata",
    "pkg_resources",
    "setuptools",
    "fravaer_cli.store.postgres",
    "fravaer_cli.store.postgres.connect",
}
FRAMEWORK = {"typer", "click"}


@pytest.mark.parametrize(
    "args, needs",
    [
        (["--help"], FRAMEWORK),
        (["status", "--virksomhet", ORGNR, "--date", "2030-01-02"], FRAMEWORK | {"tomli", "tabulate"}),
        (["status", "--virksomhet", ORGNR, "--date", "2030-01-02", "--json"], FRAMEWORK | {"tomli"}),
        (["list", "--virksomhet", ORGNR, "--json"], FRAMEWORK | {"tomli"}),
        (ADD, FRAMEWORK | {"tomli", "tomli_w"}),
    ],
    ids=["help", "status", "status --json", "list --json", "add"],
)
def test_everyday_commands_import_nothing_new(store, args, needs):
    assert imported(args, store) & WATCHED == needs
