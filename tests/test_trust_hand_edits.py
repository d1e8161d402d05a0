"""Store files edited by hand: a clear exit 5 naming the file and the problem, and never a rewrite."""

import json

import pytest

from tests.conftest import ORGNR, OTHER_ORGNR, add_args, snapshot
from tests.test_store import CORRUPT

PROBLEMS = {
    "not toml": "ugyldig TOML",
    "not utf-8": "UTF-8",
    "newer schema": "schema 2 er nyere",
    "no schema": "mangler «schema»",
    "schema as text": "schema skal være et heltall",
    "wrong orgnr": "virksomhet.orgnr er 988077917",
    "unknown key": "ukjent nøkkel «extra»",
    "missing neste_id": "neste_id mangler",
    "fra after til": "fra (2024-07-09) er etter til (2024-07-08)",
    "missing behandler": "behandler i fravær 1 mangler",
    "wrong type": "id i fravær nr. 1 skal være tekst",
    "text date": "fra i fravær 1 skal være en dato",
    "tjenester not list": "tjenester i fravær 1 skal være en liste",
    "id reused": "neste_id (2) skal være større enn id 5",
    "duplicate ids": "id 1 finnes to ganger",
}


def test_every_case_has_its_problem_named():
    assert set(PROBLEMS) == set(CORRUPT)


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_hand_edited_file_is_named_with_its_problem_and_never_rewritten(fravaer, store_dir, case):
    fravaer.add(
        "--behandler",
        "Kari Test",
        "--fra",
        "01.07.2030",
        "--til",
        "02.07.2030",
        "--tjeneste",
        "alle",
        orgnr=OTHER_ORGNR,
    )
    path = store_dir / f"{ORGNR}.toml"
    path.write_bytes(CORRUPT[case])
    before = snapshot(store_dir)
    for args in (
        ["list", "--virksomhet", ORGNR],
        ["status", "--virksomhet", ORGNR],
        ["preview", "--virksomhet", ORGNR],
        [
            "add",
            "--virksomhet",
            ORGNR,
            "--behandler",
            "Per Test",
            "--fra",
            "01.08.2030",
            "--til",
            "02.08.2030",
            "--tjeneste",
            "alle",
        ],
        ["edit", "1", "--virksomhet", ORGNR, "--kommentar", "x"],
        ["delete", "1", "--virksomhet", ORGNR, "--yes"],
        ["info", "--virksomhet", ORGNR, "--set", "x"],
    ):
        result = fravaer(*args)
        assert result.exit_code == 5, (args, result.stderr)
        assert str(path) in result.stderr and PROBLEMS[case] in result.stderr
        assert "Traceback" not in result.stderr
    everyone = fravaer("status", "--all", "--json", "--date", "01.07.2030")
    assert everyone.exit_code == 5 and str(path) in everyone.stderr
    assert [e["behandler"] for e in json.loads(everyone.stdout)["stengt"]] == ["Kari Test"] * 4
    assert snapshot(store_dir) == before


def test_unknown_keys_are_refused_not_dropped(fravaer, store_dir):
    fravaer.add("--behandler", "Astrid Info", "--fra", "01.07.2030", "--til", "02.07.2030", "--tjeneste", "alle")
    path = store_dir / f"{ORGNR}.toml"
    path.write_text(
        path.read_text().replace('behandler = "Astrid Info"', 'behandler = "Astrid Info"\nher_id = "8143060"')
    )
    before = snapshot(store_dir)
    result = fravaer(
        *add_args(behandler="Per Test", fra="01.08.2030", til="02.08.2030", tjeneste="alle"),
    )
    assert result.exit_code == 5 and "ukjent nøkkel «her_id»" in result.stderr
    assert snapshot(store_dir) == before


def test_a_hand_edited_but_valid_file_is_read_and_kept(fravaer, store_dir):
    path = store_dir / f"{ORGNR}.toml"
    store_dir.mkdir()
    path.write_text(
        "# Lagt inn for hånd\nschema = 1\nneste_id = 8\n[virksomhet]\n"
        "orgnr = '974760673'  # literal string\nnavn = \"DDFL\"\n"
        '[[fravaer]]\nid = "7"\nbehandler = "Astrid Info"\nfra = 2030-07-01\ntil = 2030-07-10\n'
        'tjenester = [\n  "timebestilling",\n]\n'
    )
    assert (
        fravaer(
            *add_args(behandler="Per Test", fra="01.08.2030", til="02.08.2030", tjeneste="alle"),
        ).stdout
        == "8\n"
    )
    rows = json.loads(fravaer("list", "--virksomhet", "ddfl", "--json").stdout)
    assert [(r["id"], r["behandler"]) for r in rows] == [("7", "Astrid Info"), ("8", "Per Test")]


def test_json_store_with_a_lone_surrogate_is_refused(fravaer, store_dir):
    store_dir.mkdir()
    path = store_dir / f"{ORGNR}.json"
    path.write_text(
        json.dumps({"schema": 1, "neste_id": 1, "virksomhet": {"orgnr": ORGNR, "navn": "\ud800", "info": ""}})
    )
    before = snapshot(store_dir)
    result = fravaer("info", "--virksomhet", ORGNR, "--set", "x")
    assert result.exit_code == 5 and str(path) in result.stderr
    assert snapshot(store_dir) == before
