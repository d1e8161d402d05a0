"""A fifth service is a data change: added to tjenester.toml in a copy of the project, it works end
to end on the file store and, after `database init`, on the database, with no other change."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ORGNR, REPO

FIFTH = """
[[tjeneste]]
key = "videokonsultasjon"
nb = "Videokonsultasjon"
nn = "Videokonsultasjon"
en = "Video consultation"
kort = "Video"
"""


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    """The project's package, copied, with a fifth service in its catalogue: nothing else changed."""
    root = tmp_path_factory.mktemp("prosjekt")
    shutil.copytree(REPO / "fravaer_cli", root / "fravaer_cli", ignore=shutil.ignore_patterns("__pycache__"))
    catalogue = root / "fravaer_cli" / "domain" / "tjenester.toml"
    catalogue.write_text(catalogue.read_text(encoding="utf-8") + FIFTH, encoding="utf-8")
    return root


def fravaer(copy: Path, *args: str, database: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(copy), "COLUMNS": "200"}
    env.pop("FRAVAER_DATA_DIR", None)
    store = ["--database", database] if database else ["--data-dir", str(copy / "lager")]
    return subprocess.run(
        [sys.executable, "-m", "fravaer_cli", *store, *args], capture_output=True, text=True, env=env, cwd=copy
    )


def test_the_copy_runs_its_own_package(copy):
    found = subprocess.run(
        [sys.executable, "-c", "import fravaer_cli; print(fravaer_cli.__file__)"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(copy)},
        cwd=copy,
    )
    assert found.stdout.strip() == str(copy / "fravaer_cli" / "__init__.py")


def works_end_to_end(copy: Path, database: str | None = None) -> None:
    def ok(*args: str) -> str:
        result = fravaer(copy, *args, database=database)
        assert result.returncode == 0, (args, result.stderr)
        return result.stdout

    # add, by key and by name, with the new service as vikar too
    ok("add", "--virksomhet", ORGNR, "--behandler", "Per Test", "--fra", "01.08.2030",
       "--til", "09.08.2030", "--tjeneste", "videokonsultasjon", "--tjeneste", "timebestilling")  # fmt: skip
    ok("add", "--virksomhet", ORGNR, "--behandler", "Kari Vik", "--fra", "01.08.2030", "--til", "02.08.2030",
       "--tjeneste", "Timebestilling", "--vikar", "Videokonsultasjon")  # fmt: skip
    listed = {r["behandler"]: r for r in json.loads(ok("list", "--virksomhet", ORGNR, "--json"))}
    assert listed["Per Test"]["tjenester"] == ["timebestilling", "videokonsultasjon"]
    assert listed["Kari Vik"]["tjenester"] == ["timebestilling"]
    assert listed["Kari Vik"]["vikar"] == ["videokonsultasjon"]
    assert "Video" in ok("list", "--virksomhet", ORGNR)
    status = ok("status", "--virksomhet", ORGNR, "--date", "05.08.2030")
    assert "Time, Video" in status
    preview = ok("preview", "--virksomhet", ORGNR, "--behandler", "Per Test", "--date", "05.08.2030")
    assert "Videokonsultasjon er midlertidig stengt hos fastlegen din, og åpner igjen 10. august 2030." in preview
    # "alle" is every service of the catalogue, the new one included.
    ok("add", "--virksomhet", ORGNR, "--behandler", "Ola Dahl", "--fra", "01.09.2030", "--til", "02.09.2030",
       "--tjeneste", "alle")  # fmt: skip
    sheet = copy / f"plan-{'db' if database else 'filer'}.csv"
    sheet.write_text(
        "Virksomhet;Behandler;Fra og med;Til og med;Tjenester;Vikar;Kommentar\n"
        f"{ORGNR};Åse Ødegård;01.10.2030;05.10.2030;Videokonsultasjon|Reseptfornyelse;;Kurs\n",
        encoding="utf-8",
    )
    ok("import", str(sheet))
    listed = {r["behandler"]: r for r in json.loads(ok("list", "--virksomhet", ORGNR, "--json"))}
    assert len(listed["Ola Dahl"]["tjenester"]) == 5 and "videokonsultasjon" in listed["Ola Dahl"]["tjenester"]
    assert listed["Åse Ødegård"]["tjenester"] == ["reseptfornyelse", "videokonsultasjon"]
    # The overlap rule knows it: the same GP, the new service, overlapping days.
    clash = fravaer(copy, "add", "--virksomhet", ORGNR, "--behandler", "Per Test", "--fra", "03.08.2030",
                    "--til", "04.08.2030", "--tjeneste", "videokonsultasjon", database=database)  # fmt: skip
    assert clash.returncode == 4, clash.stderr


def test_a_fifth_service_works_on_files(copy):
    works_end_to_end(copy)


def test_a_fifth_service_works_on_the_database_after_init(copy, pg_server):
    pg_server.sql("postgres", "CREATE DATABASE femte OWNER eier")
    dsn = pg_server.dsn(database="femte")
    # A database made by the program as shipped, then init by the copy: the catalogue grows.
    shipped = subprocess.run(
        [sys.executable, "-m", "fravaer_cli", "--database", dsn, "database", "init"], capture_output=True, text=True
    )
    assert shipped.returncode == 0, shipped.stderr
    before_init = fravaer(copy, "add", "--virksomhet", ORGNR, "--behandler", "Per Test", "--fra", "01.08.2030",
                          "--til", "02.08.2030", "--tjeneste", "videokonsultasjon", database=dsn)  # fmt: skip
    assert before_init.returncode == 5 and "videokonsultasjon" in before_init.stderr
    grown = fravaer(copy, "database", "init", database=dsn)
    assert grown.returncode == 0, grown.stderr
    assert "Tjenestekatalogen: lagt til videokonsultasjon." in grown.stderr
    works_end_to_end(copy, dsn)

    # The shipped program cannot take the used service away again, and says why.
    again = subprocess.run(
        [sys.executable, "-m", "fravaer_cli", "--database", dsn, "database", "init"], capture_output=True, text=True
    )
    assert again.returncode == 5
    assert "Tjenesten «videokonsultasjon» er brukt av 4 fravær" in again.stderr, again.stderr
    assert "Traceback" not in again.stderr


def test_data_tjenester_toml_is_the_catalogue_the_program_reads():
    from fravaer_cli.domain.catalogue import CATALOGUE_FILE

    link = REPO / "data" / "tjenester.toml"
    assert link.resolve() == CATALOGUE_FILE.resolve()
    assert link.read_bytes() == CATALOGUE_FILE.read_bytes()
