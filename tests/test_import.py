"""fravaer import: spreadsheets as Norwegian offices save them, JSON, and every row checked first."""

import json

import pytest

from fravaer_cli.cli import fravaer as cli_fravaer
from fravaer_cli.store.files.filestore import FileStore
from tests.helpers import EPJ_REMINDER, ORGNR, OTHER_ORGNR, VIKAR_REMINDER, snapshot, write_sheet

HEADER = "Virksomhet;Behandler;Fra;Til;Tjenester;Vikar;Kommentar"
ROWS = [
    f"{ORGNR};Astrid Info;01.07.2030;21.07.2030;alle;;Sommerferie",
    f"{ORGNR};Bjørn Ødegård;2030-07-01;2030-07-14;Timebestilling|Reseptfornyelse;e-konsultasjon;",
    f"{OTHER_ORGNR};Kari Test;1.8.2030;2.8.2030;timebestilling,kontakt legekontoret;;Kurs",
]


def write(tmp_path, name: str, text: str, encoding: str = "utf-8", bom: bool = False, newline: str = "\n") -> str:
    path = tmp_path / name
    data = text.replace("\n", newline).encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return str(path)


def stored(store_dir, orgnr=ORGNR):
    return [
        (f.behandler, f.fra.isoformat(), f.til.isoformat(), f.tjenester, f.vikar)
        for f in FileStore(store_dir).load(orgnr).fravaer
    ]


def test_semicolon_csv_from_excel_with_bom_and_crlf_imports_as_is(fravaer, store_dir, tmp_path):
    path = write(tmp_path, "sommer.csv", "\n".join([HEADER, *ROWS, ";;;;;;", ""]), bom=True, newline="\r\n")
    result = fravaer("import", path)
    assert result.exit_code == 0, result.stderr
    assert stored(store_dir) == [
        (
            "Astrid Info",
            "2030-07-01",
            "2030-07-21",
            ("reseptfornyelse", "e-konsultasjon", "kontakt-legekontoret", "timebestilling"),
            (),
        ),
        ("Bjørn Ødegård", "2030-07-01", "2030-07-14", ("reseptfornyelse", "timebestilling"), ("e-konsultasjon",)),
    ]
    assert stored(store_dir, OTHER_ORGNR) == [
        ("Kari Test", "2030-08-01", "2030-08-02", ("kontakt-legekontoret", "timebestilling"), ())
    ]
    assert "Totalt" in result.stdout and " 3 " in result.stdout.splitlines()[-1] + " "
    assert result.stderr.rstrip().endswith(EPJ_REMINDER + "\n" + VIKAR_REMINDER)


def test_windows_1252_file_is_read_with_a_note(fravaer, store_dir, tmp_path):
    path = write(tmp_path, "sommer.csv", "\n".join([HEADER, ROWS[1]]), encoding="cp1252")
    result = fravaer("import", path)
    assert result.exit_code == 0, result.stderr
    assert "Windows-1252" in result.stderr
    assert stored(store_dir)[0][0] == "Bjørn Ødegård"


def test_file_neither_utf8_nor_windows_1252_is_refused(fravaer, tmp_path):
    path = tmp_path / "rar.csv"
    path.write_bytes(HEADER.encode() + b"\n" + ORGNR.encode() + b";Astrid \x81\xff;1.7.2030;2.7.2030;alle;;\n")
    result = fravaer("import", str(path))
    assert result.exit_code == 2
    assert "verken UTF-8 eller Windows-1252" in result.stderr and "Traceback" not in result.stderr
    assert fravaer.snapshot() == {}


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_delimiter_is_detected_and_headers_match_loosely(fravaer, store_dir, tmp_path, delimiter):
    header = delimiter.join([" VIRKSOMHET ", "behandler", "Fra og med", "Til og med", "Tjenester "])
    row = delimiter.join([ORGNR, "Astrid Info", "1.7.2030", "2.7.2030", "timebestilling|reseptfornyelse"])
    result = fravaer("import", write(tmp_path, "plan.txt", f"{header}\n{row}\n"))
    assert result.exit_code == 0, result.stderr
    assert stored(store_dir)[0][3] == ("reseptfornyelse", "timebestilling")


def test_json_array_json_lines_and_stdin(fravaer, store_dir, tmp_path):
    array = [
        {
            "virksomhet": ORGNR,
            "behandler": "Astrid Info",
            "fra": "2030-07-01",
            "til": "2030-07-02",
            "tjenester": ["timebestilling"],
        },
        {
            "virksomhet": int(OTHER_ORGNR),
            "behandler": "Per Test",
            "fra": "1.7.2030",
            "til": "2.7.2030",
            "tjenester": "alle",
            "hpr": 9144889,
        },
    ]
    assert fravaer("import", write(tmp_path, "a.json", json.dumps(array))).exit_code == 0
    # Other GPs: without the HPR number, which is Per Test's (one HPR number is one GP).
    lines = "\n".join(json.dumps({**a, "behandler": "Ny " + a["behandler"], "hpr": None}) for a in array)
    result = fravaer("import", "-", input=lines + "\n")
    assert result.exit_code == 0, result.stderr
    assert [f[0] for f in stored(store_dir)] == ["Astrid Info", "Ny Astrid Info"]
    assert FileStore(store_dir).load(OTHER_ORGNR).fravaer[0].hpr == "9144889"


def test_every_bad_row_is_reported_with_line_and_column_and_nothing_is_written(fravaer, tmp_path):
    fravaer.add(
        "--behandler", "Astrid Info", "--fra", "01.07.2030", "--til", "10.07.2030", "--tjeneste", "timebestilling"
    )
    before = fravaer.snapshot()
    rows = [
        HEADER,
        f"{ORGNR};Per Test;31.02.2030;01.03.2030;alle;;",  # line 2: impossible date
        "97476067x;;1.7.2030;2.7.2030;timebestiling;;",  # line 3: orgnr, behandler, tjeneste
        f"{ORGNR};Kari Test;1.7.2030;5.7.2030;timebestilling;;",  # line 4: fine on its own
        f"{ORGNR};KARI  TEST;5.7.2030;9.7.2030;timebestilling;;",  # line 5: overlaps line 4
        f"{ORGNR};Astrid Info;10.7.2030;12.7.2030;timebestilling;;",  # line 6: overlaps stored fravær 1
        f"{ORGNR};Ola Test;1.7.2030;2.7.2030;timebestilling;timebestilling;",  # line 7: closed and vikar
        f"{ORGNR};Ola Test;3.7.2030;1.7.2030;timebestilling;;",  # line 8: fra after til
        f"{ORGNR};Ola Test;1.7.2020;2.7.2020;timebestilling;;",  # line 9: past
        f"{ORGNR};Ola Test;1.8.2030;2.8.2030;timebestilling;;;;extra",  # line 10: too many cells
    ]
    result = fravaer("import", write(tmp_path, "bad.csv", "\n".join(rows) + "\n"))
    assert result.exit_code == 2
    err = result.stderr
    assert "linje 2, kolonne «fra»: " in err and "«31.02.2030»" in err
    assert "linje 3, kolonne «virksomhet»: " in err and "«97476067x»" in err
    assert "linje 3, kolonne «behandler»: " in err
    assert "linje 3, kolonne «tjenester»: " in err and "Mente du «timebestilling»?" in err
    assert "\nlinje 4" not in "\n" + err
    assert "linje 5: overlapper med linje 4 i filen" in err
    assert "linje 6: Overlapper med fravær 1" in err
    assert "linje 7: " in err and "både som stengt og med vikar" in err
    assert "linje 8: Fra og med (03.07.2030) er etter til og med (01.07.2030)" in err
    assert "linje 9: " in err and "--allow-past" in err
    assert "linje 10: har 9 celler, flere enn det er kolonner (7)" in err
    assert "10 feil i 8 rader av 9 i " in err and "ingenting er importert" in err
    assert result.stdout == ""
    assert fravaer.snapshot() == before


def test_re_running_the_same_file_changes_nothing(fravaer, tmp_path):
    path = write(tmp_path, "sommer.csv", "\n".join([HEADER, *ROWS]))
    assert fravaer("import", path).exit_code == 0
    before = fravaer.snapshot()
    again = fravaer("import", path, "--json")
    assert again.exit_code == 0
    summary = json.loads(again.stdout)
    assert (summary["lagt_til"], summary["hoppet_over"]) == (0, 3)
    assert fravaer.snapshot() == before


def test_identical_rows_in_one_file_are_stored_once(fravaer, store_dir, tmp_path):
    result = fravaer("import", write(tmp_path, "dobbel.csv", "\n".join([HEADER, ROWS[0], ROWS[0]])), "--json")
    assert result.exit_code == 0
    assert (json.loads(result.stdout)["lagt_til"], json.loads(result.stdout)["hoppet_over"]) == (1, 1)
    assert len(stored(store_dir)) == 1


def test_dry_run_says_what_would_happen_and_writes_nothing(fravaer, tmp_path):
    fravaer.add("--behandler", "Astrid Info", "--fra", "01.07.2030", "--til", "21.07.2030", "--tjeneste", "alle")
    before = fravaer.snapshot()
    result = fravaer("import", write(tmp_path, "sommer.csv", "\n".join([HEADER, *ROWS])), "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "Tørrkjøring" in result.stdout
    assert "linje 2" in result.stdout and "finnes (1)" in result.stdout
    assert "linje 3" in result.stdout and "legges til" in result.stdout
    assert fravaer.snapshot() == before


def test_each_office_file_is_written_once_and_the_log_gets_the_import(fravaer, store_dir, tmp_path, monkeypatch):
    writes = []
    original = FileStore._replace  # every office file is put in place by a replace
    monkeypatch.setattr(
        FileStore, "_replace", lambda self, tmp, path: (writes.append(path.name), original(self, tmp, path))
    )
    rows = [f"{ORGNR};Lege {i};1.7.2030;2.7.2030;alle;;" for i in range(300)] + [ROWS[2]]
    assert (
        fravaer("--av", "importør", "import", write(tmp_path, "mange.csv", "\n".join([HEADER, *rows]))).exit_code == 0
    )
    assert sorted(writes) == [f"{ORGNR}.toml", f"{OTHER_ORGNR}.toml"]
    log = FileStore(store_dir).read_log(ORGNR)
    assert len(log) == 300 and {(e["handling"], e["av"]) for e in log} == {("import", "importør")}


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("tom.csv", "", "er tom"),
        ("bom.csv", "\ufeff\n\n", "er tom"),
        ("header.csv", HEADER + "\n", "ingen rader"),
        (
            "kolonner.csv",
            "virksomhet;navn;fra\n974760673;A;1.7.2030\n",
            "mangler kolonnene behandler, til, tjenester",
        ),
        ("tall.json", "42", "ikke en liste av objekter"),
        ("objekt.json", '{\n"virksomhet": "974760673"\n}', "ikke en liste av objekter"),
        ("liste.json", "[1, 2]", "element 1 i lista er ikke et objekt"),
        ("linjer.jsonl", '{"virksomhet": "974760673"}\nnot json\n', "linje 2: ugyldig JSON"),
    ],
)
def test_file_level_problems_exit_2_naming_what_is_wrong(fravaer, tmp_path, name, content, message):
    result = fravaer("import", write(tmp_path, name, content))
    assert result.exit_code == 2
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert fravaer.snapshot() == {}


def test_missing_file_and_folder(fravaer, tmp_path):
    result = fravaer("import", str(tmp_path / "finnes-ikke.csv"))
    assert result.exit_code == 2 and "Finner ikke filen" in result.stderr
    result = fravaer("import", str(tmp_path))
    assert result.exit_code == 2 and "er en mappe" in result.stderr


def test_corrupt_store_file_stops_the_import_before_anything_is_written(fravaer, store_dir, tmp_path):
    fravaer.add(
        "--behandler",
        "Astrid Info",
        "--fra",
        "01.07.2030",
        "--til",
        "21.07.2030",
        "--tjeneste",
        "alle",
        orgnr=OTHER_ORGNR,
    )
    (store_dir / f"{ORGNR}.toml").write_text("schema = 1\n[virksomhet\n")
    before = snapshot(store_dir)
    rows = [f"{OTHER_ORGNR};Per Test;1.7.2030;2.7.2030;alle;;", ROWS[0]]
    result = fravaer("import", write(tmp_path, "plan.csv", "\n".join([HEADER, *rows])))
    assert result.exit_code == 5
    assert f"{ORGNR}.toml" in result.stderr
    assert snapshot(store_dir) == before


def test_a_concurrent_change_after_the_check_is_caught_under_the_lock(fravaer, store_dir, tmp_path, monkeypatch):
    """Between checking and writing, another process adds an overlapping fravær: the import must not lose it."""
    from fravaer_cli.usecases import checking

    check = checking.check

    def check_then_someone_else_writes(*args, **kwargs):
        plan = check(*args, **kwargs)
        fravaer.add(
            "--behandler", "Astrid Info", "--fra", "05.07.2030", "--til", "06.07.2030", "--tjeneste", "timebestilling"
        )
        return plan

    monkeypatch.setattr(checking, "check", check_then_someone_else_writes)
    result = fravaer("import", write(tmp_path, "plan.csv", "\n".join([HEADER, ROWS[0]])))
    assert result.exit_code == 4
    assert "mens importen pågikk" in result.stderr
    assert [f[1] for f in stored(store_dir)] == ["2030-07-05"]


def test_no_progress_bar_in_a_pipe():
    assert cli_fravaer._progress_bar(10_000_000) is None


def test_progress_on_a_terminal_and_never_in_a_pipe(tmp_path):
    """A large file shows its progress on a terminal (stderr a tty), and not a byte of it in a pipe."""
    import os
    import pty
    import subprocess

    from tests.benchmarks import data
    from tests.helpers import command

    plan = tmp_path / "stor.csv"
    data.write_csv(plan, offices=300, per_office=20)  # over the 200 kB where progress starts
    leader, follower = pty.openpty()
    proc = subprocess.Popen(command(tmp_path / "tty", "import", str(plan)), stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    proc.wait()
    os.close(leader)
    assert proc.returncode == 0
    assert b"Lagrer: 300 av 300 virksomheter" in seen
    piped = subprocess.run(command(tmp_path / "pipe", "import", str(plan)), capture_output=True, text=True)
    assert piped.returncode == 0
    assert "Lagrer" not in piped.stderr and "\r" not in piped.stderr


def test_an_import_into_an_office_with_fravaer_stores_the_new_rows_beside_them(fravaer, tmp_path):
    """The office checked before the write is used as it is when no one wrote in between: what it held
    before must still be told apart from what the import adds (the database writes the difference)."""
    fravaer.add("--behandler", "Per Test", "--fra", "01.06.2030", "--til", "05.06.2030", "--tjeneste", "alle")
    result = fravaer("import", write(tmp_path, "plan.csv", "\n".join([HEADER, ROWS[0], ROWS[1]])))
    assert result.exit_code == 0, result.stderr
    listed = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    expected = [("1", "Per Test"), ("2", "Astrid Info"), ("3", "Bjørn Ødegård")]
    assert [(r["id"], r["behandler"]) for r in listed] == expected
    log = json.loads(fravaer("log", "--virksomhet", ORGNR, "--json").stdout)
    assert [e["handling"] for e in log] == ["add", "import", "import"]


# -- a spreadsheet's size ------------------------------------------------------------------


PLAN_CELLS = {
    "A1": "behandler",
    "B1": "fra",
    "C1": "til",
    "D1": "tjenester",
    "A2": "Kari Test",
    "B2": "01.08.2030",
    "C2": "02.08.2030",
    "D2": "alle",
}


@pytest.mark.parametrize("far", ["XFD1048576", "Z200000", "CW2"])
def test_a_stray_cell_far_out_is_refused_quickly_naming_the_cell_and_the_limit(tmp_path, far):
    """A 1.6 KB sheet with one cell at XFD1048576 made the reader ask for 512 GiB (a Rust abort,
    exit 134); one at Z200000 took half a minute. Refused before the sheet is laid out."""
    import time

    from tests.helpers import run

    path = tmp_path / "plan.xlsx"
    write_sheet(path, {**PLAN_CELLS, far: 1})
    started = time.monotonic()
    result = run(tmp_path / "store", "import", str(path), "--virksomhet", ORGNR)
    assert time.monotonic() - started < 5
    assert result.returncode == 2, result.stderr
    assert f"cellen {far}" in result.stderr and "100\u00a0000 rader og 100 kolonner" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "store").exists()


def test_a_sheet_within_the_bounds_imports(fravaer, tmp_path):
    path = tmp_path / "plan.xlsx"
    last_row = {"A100000": "Per Test", "B100000": "01.08.2030", "C100000": "02.08.2030", "D100000": "alle"}
    write_sheet(path, {**PLAN_CELLS, "CV2": "notat", **last_row})
    result = fravaer("import", str(path), "--virksomhet", ORGNR, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["lagt_til"] == 2


# -- a one-office plan as offices make it --------------------------------------------------------

ONE_OFFICE_PLAN = (
    "Sommerplan 2030 – DDFL Test;;;;\n"
    "Behandler;Fra og med;Til og med;Tjenester;Merknad\n"
    "Kari Vik;05.08.2030;09.08.2030;alle;Ferie\n"
    "Ole Dahl;12.08.2030;16.08.2030;alle;\n"
    "Totalt;;;;2\n"
)


def test_a_one_office_plan_without_virksomhet_names_the_one_missing_column_and_suggests_the_option(fravaer, tmp_path):
    result = fravaer("import", write(tmp_path, "plan.csv", ONE_OFFICE_PLAN))
    assert result.exit_code == 2
    assert "mangler kolonnen virksomhet." in result.stderr
    assert "Overskriftene som ble funnet: Behandler, Fra og med, Til og med, Tjenester, Merknad." in result.stderr
    assert "--virksomhet" in result.stderr and "Sommerplan" not in result.stderr
    assert fravaer.snapshot() == {}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_one_office_plan_with_virksomhet_skips_its_title_and_total_rows_with_a_note(fravaer, tmp_path, kind):
    if kind == "csv":
        path = write(tmp_path, "plan.csv", ONE_OFFICE_PLAN)
    else:
        path = str(tmp_path / "plan.xlsx")
        rows = [line.split(";") for line in ONE_OFFICE_PLAN.splitlines()]
        write_sheet(path, {f"{'ABCDE'[c]}{r + 1}": v for r, row in enumerate(rows) for c, v in enumerate(row) if v})
    result = fravaer("import", path, "--virksomhet", ORGNR, "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["lagt_til"] == 2
    assert any("«Totalt» ser ut som en sumrad" in note for note in document["merknader"])
    listed = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    assert [(r["behandler"], r["kommentar"]) for r in listed] == [("Kari Vik", "Ferie"), ("Ole Dahl", "")]


def test_a_row_of_a_one_office_plan_with_no_dates_is_still_an_error_not_a_total(fravaer, tmp_path):
    plan = "behandler;fra;til;tjenester\nKari Vik;;;alle\n"
    result = fravaer("import", write(tmp_path, "plan.csv", plan), "--virksomhet", ORGNR)
    assert result.exit_code == 2 and "linje 2, kolonne «fra»" in result.stderr


def test_the_import_tables_fit_80_columns(fravaer, tmp_path):
    long_name = "Astrid Langnavnsen-Ødegård Bergersen"
    assert (
        fravaer("info", "--virksomhet", OTHER_ORGNR, "--navn", "Legesenteret med et svært langt navn AS").exit_code == 0
    )
    rows = [*ROWS, f"{OTHER_ORGNR};{long_name};1.9.2030;2.9.2030;timebestilling;e-konsultasjon;"]
    path = write(tmp_path, "sommer.csv", "\n".join([HEADER, *rows]))
    for args in (["--dry-run"], []):
        result = fravaer("import", path, *args, env={"COLUMNS": None})
        assert result.exit_code == 0, result.stderr
        assert max(map(len, result.stdout.splitlines())) <= 80, result.stdout


def test_import_help_lists_every_column_it_reads(fravaer):
    from fravaer_cli.usecases.importer import OPTIONAL, REQUIRED

    shown = " ".join(fravaer("import", "--help").stdout.split())
    for column in (*REQUIRED, *OPTIONAL, "merknad"):
        assert column in shown, column
