"""Store files edited by hand: a clear exit 5 naming the file and the problem, and never a rewrite."""

import json

import pytest

from tests.helpers import ORGNR, OTHER_ORGNR, add_args, run, run_with_timeout, snapshot
from tests.test_store import CORRUPT

PROBLEMS = {
    "not toml": "ugyldig TOML",
    "not utf-8": "UTF-8",
    "newer schema": "schema 4 er nyere",
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


# -- round two: a stored value that breaks every later run -------------------------

OFFICE_HEAD = {"schema": 1, "neste_id": 3, "virksomhet": {"orgnr": ORGNR, "navn": "DDFL", "info": ""}}
RECORD = '{"id": "1", "behandler": "A", "fra": "2030-07-01", "til": "2030-07-08", "tjenester": ["timebestilling"]}'


@pytest.mark.parametrize(
    "text, key",
    [
        (
            '{"schema": 1, "neste_id": 3, "virksomhet": {"orgnr": "974760673"}, '
            f'"fravaer": [{RECORD}], "fravaer": []}}',
            "fravaer",
        ),
        (
            '{"schema": 1, "neste_id": 3, "virksomhet": {"orgnr": "974760673"}, '
            f'"fravaer": [{RECORD[:-1]}, "til": "2030-07-02"}}]}}',
            "til",
        ),
    ],
)
def test_a_json_key_written_twice_is_refused_and_the_file_never_rewritten(fravaer, store_dir, text, key):
    store_dir.mkdir()
    path = store_dir / f"{ORGNR}.json"
    path.write_text(text)
    before = snapshot(store_dir)
    for args in (add_args(), ["list", "--virksomhet", ORGNR], ["info", "--virksomhet", ORGNR, "--set", "x"]):
        result = fravaer(*args)
        assert result.exit_code == 5, result.stderr
        assert str(path) in result.stderr and f"nøkkelen «{key}» står to ganger" in result.stderr
    assert snapshot(store_dir) == before


def office_file(*records: str) -> str:
    return json.dumps(OFFICE_HEAD)[:-1] + ', "fravaer": [' + ", ".join(records) + "]}"


HOSTILE_FILES = {
    "reopening day after 9999-12-31": (".json", office_file(RECORD.replace("2030-07-08", "9999-12-31"))),
    "id ²": (".json", office_file(RECORD.replace('"id": "1"', '"id": "²"'))),
    "id ①": (
        ".toml",
        f'schema = 1\nneste_id = 3\n[virksomhet]\norgnr = "{ORGNR}"\n[[fravaer]]\nid = "①"\nbehandler = "A"\n'
        'fra = 2030-07-01\ntil = 2030-07-08\ntjenester = ["timebestilling"]\n',
    ),
    "toml nested 600 deep": (".toml", "schema = 1\nx = " + "[" * 600 + "]" * 600 + "\n"),
    "json nested 100,000 deep": (".json", '{"schema": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_FILES))
def test_a_hostile_stored_value_is_exit_5_for_its_file_and_status_all_goes_on(fravaer, store_dir, case):
    fravaer.add(*add_args(behandler="Kari Test", fra="01.07.2030", til="02.07.2030")[3:], orgnr=OTHER_ORGNR)
    suffix, text = HOSTILE_FILES[case]
    path = store_dir / f"{ORGNR}{suffix}"
    path.write_text(text)
    before = snapshot(store_dir)
    for args in (["status", "--virksomhet", ORGNR], ["preview", "--virksomhet", ORGNR], ["list", "--all"], add_args()):
        result = fravaer(*args)
        assert result.exit_code == 5, (args, result.exit_code, result.stderr)
        assert str(path) in result.stderr and "Traceback" not in result.stderr
    everyone = fravaer("status", "--all", "--json", "--date", "01.07.2030")
    assert everyone.exit_code == 5 and str(path) in everyone.stderr
    assert [e["behandler"] for e in json.loads(everyone.stdout)["stengt"]] == ["Kari Test"] * 4  # a whole document
    assert snapshot(store_dir) == before


@pytest.mark.parametrize(
    "line",
    [
        "[" * 2000,
        '{"tid": 5, "av": "x", "handling": "add", "fravaer": null}',
        '{"tid": "t", "av": "x", "handling": "add", "fravaer": {"id": "1", "vikar": [["x"]]}}',
        '{"tid": "t", "av": "x", "handling": "add", "fravaer": [1, 2]}',
    ],
)
def test_a_hostile_log_line_is_exit_5_naming_the_log(fravaer, store_dir, line):
    fravaer.add("--behandler", "Kari Test", "--fra", "01.07.2030", "--til", "02.07.2030", "--tjeneste", "alle")
    log = store_dir / f"{ORGNR}.log"
    with log.open("a") as f:
        f.write(line + "\n")
    for fmt in ("table", "json", "csv"):
        result = fravaer("log", "--virksomhet", ORGNR, "--format", fmt)
        assert result.exit_code == 5, result.stderr
        assert f"Linje 2 i loggen {log}" in result.stderr and "Traceback" not in result.stderr


def test_a_fifo_or_device_in_place_of_a_store_file_or_log_is_exit_5_not_a_hang(tmp_path):
    import os
    import stat

    store = tmp_path / "store"
    assert run(store, *add_args(orgnr=OTHER_ORGNR)).returncode == 0
    os.mkfifo(store / f"{ORGNR}.toml")
    for args in (["status", "--all"], ["list", "--virksomhet", ORGNR], add_args(), ["info", "--virksomhet", ORGNR]):
        result = run_with_timeout(store, *args)
        assert result.returncode == 5, (args, result.stderr)
        assert f"{ORGNR}.toml er ikke en vanlig fil" in result.stderr
    log = store / f"{OTHER_ORGNR}.log"
    log.unlink()
    os.mkfifo(log)
    for args in (["log", "--virksomhet", OTHER_ORGNR], add_args(orgnr=OTHER_ORGNR, fra="01.09.2030", til="02.09.2030")):
        result = run_with_timeout(store, *args)
        assert result.returncode == 5, (args, result.stderr)
        assert "er ikke en vanlig fil" in result.stderr
    if os.geteuid() == 0:  # a device node needs root to make, as CI has
        log.unlink()
        os.mknod(log, 0o666 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero
        result = run_with_timeout(store, "log", "--virksomhet", OTHER_ORGNR)
        assert result.returncode == 5 and "er ikke en vanlig fil" in result.stderr


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_a_file_saved_by_notepad_with_a_byte_order_mark_is_read_and_written_back_without_it(fravaer, store_dir, suffix):
    if suffix == ".json":
        fravaer = type(fravaer)(store_dir)
        fravaer.store_args += ["--store-format", "json"]
    fravaer.add(*add_args()[3:])
    path = store_dir / f"{ORGNR}{suffix}"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    listed = fravaer("list", "--virksomhet", ORGNR, "--json")
    assert listed.exit_code == 0, listed.stderr
    assert [r["behandler"] for r in json.loads(listed.stdout)] == ["Per Test"]
    assert fravaer(*add_args(fra="01.09.2030", til="02.09.2030")).exit_code == 0
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_a_control_character_edited_into_a_file_is_shown_escaped_in_every_output(fravaer, store_dir):
    """The tables show «Kari\\x07Vik»; so do CSV, the HTML page and the .ics, never the bell itself."""
    fravaer.add(*add_args(behandler="Kari Vik")[3:])
    path = store_dir / f"{ORGNR}.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('"Kari Vik"', '"Kari\\u0007Vik"'), encoding="utf-8")
    calendar = ["calendar", "--virksomhet", ORGNR, "--fra", "01.08.2030", "--til", "02.08.2030"]
    outputs = {
        "table": fravaer("list", "--virksomhet", ORGNR),
        "csv": fravaer("list", "--virksomhet", ORGNR, "--format", "csv"),
        "excel-csv": fravaer("list", "--virksomhet", ORGNR, "--format", "excel-csv"),
        "html": fravaer(*calendar, "--format", "html"),
        "ics": fravaer(*calendar, "--format", "ics"),
    }
    for fmt, result in outputs.items():
        assert result.exit_code == 0, (fmt, result.stderr)
        assert "\x07" not in result.stdout, fmt
        # (an .ics unfolds its lines and writes a backslash as two, as RFC 5545 has it)
        shown = result.stdout.replace("\r\n ", "").replace("\n ", "").replace("\\\\", "\\")
        assert "Kari\\x07Vik" in shown, fmt
