"""Hostile or broken input: never a traceback, always the SPEC's exit code, the store unchanged."""

import json
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fravaer_cli.cli import app
from tests.helpers import ORGNR, add_args, snapshot

# Text as hostile as a terminal or a spreadsheet can make it: controls and NUL,
# right-to-left marks and overrides, combining characters, TOML and CSV syntax.
NASTY = st.text(
    st.one_of(
        st.characters(),
        st.sampled_from(
            [
                "\x00",
                "\n",
                "\r",
                "\t",
                "\u200f",
                "\u202e",
                "\u0301",
                "\u030a",
                '"',
                "'",
                "\\",
                "#",
                "[",
                "]",
                "=",
                ",",
                ";",
                "|",
                "+",
                "-",
                "@",
                "{",
                "}",
                "\ufeff",
                "Å",
                "Ø",
                " ",
            ]
        ),
    ),
    max_size=60,
)
LONG = st.integers(0, 3).map(lambda n: "A" * (10 ** (n + 1)))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def invoke(store, *args):
    return CliRunner().invoke(app, ["--data-dir", str(store), *args])


def assert_clean_outcome(result, allowed):
    assert result.exit_code in allowed, (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    if result.exit_code != 0:
        assert result.stderr.strip(), "an error must say something"
        # Notes ("Merk: ...") come first; the errors themselves are capped.
        assert len([line for line in result.stderr.strip().splitlines() if not line.startswith("Merk:")]) <= 12


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    store = tmp_path_factory.mktemp("hostile") / "store"
    assert (
        invoke(
            store,
            *add_args(behandler="Astrid Info", fra="01.07.2030", til="10.07.2030", tjeneste="alle"),
        ).exit_code
        == 0
    )
    return store


@SETTINGS
@given(
    field=st.sampled_from(
        ["--virksomhet", "--behandler", "--fra", "--til", "--tjeneste", "--vikar", "--kommentar", "--hpr"]
    ),
    value=st.one_of(NASTY, LONG),
)
def test_add_with_any_value_in_any_option(seeded, field, value):
    args = {
        "--virksomhet": ORGNR,
        "--behandler": "Per Test",
        "--fra": "01.08.2030",
        "--til": "02.08.2030",
        "--tjeneste": "alle",
    }
    args[field] = value
    before = snapshot(seeded)
    parent_before = sorted(p.name for p in seeded.parent.iterdir())
    result = invoke(seeded, "add", *[x for kv in args.items() for x in kv], "--dry-run")
    assert_clean_outcome(result, {0, 2, 4})
    assert snapshot(seeded) == before  # a dry run, or an error: nothing written
    assert sorted(p.name for p in seeded.parent.iterdir()) == parent_before  # nothing beside the store either


@SETTINGS
@given(value=NASTY, command=st.sampled_from(["list", "status", "preview", "log", "info"]))
def test_read_commands_with_any_virksomhet_or_date(seeded, value, command):
    before = snapshot(seeded)
    result = invoke(seeded, command, "--virksomhet", value)
    assert_clean_outcome(result, {0, 2, 3})
    if command in ("status", "preview"):
        assert_clean_outcome(invoke(seeded, command, "--virksomhet", ORGNR, "--date", value), {0, 2})
    assert snapshot(seeded) == before


@SETTINGS
@given(
    raw=st.one_of(
        st.binary(max_size=400),
        NASTY.map(lambda t: ("virksomhet;behandler;fra;til;tjenester\n" + t).encode("utf-8", "surrogatepass")),
    )
)
def test_import_of_any_bytes(seeded, raw, tmp_path_factory):
    path = tmp_path_factory.mktemp("bytes") / "fil.csv"
    path.write_bytes(raw)
    before = snapshot(seeded)
    result = invoke(seeded, "import", str(path))
    assert_clean_outcome(result, {0, 2})
    if result.exit_code != 0:
        assert snapshot(seeded) == before


PRINTABLE = st.text(
    st.characters(whitelist_categories=["L", "M", "N", "P", "S", "Zs"]), min_size=1, max_size=40
).filter(lambda t: t.strip() and not any(0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069 for c in t))


@pytest.mark.parametrize("store_format", ["toml", "json"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=PRINTABLE, comment=PRINTABLE)
def test_names_and_comments_round_trip_exactly(tmp_path_factory, store_format, name, comment):
    store = tmp_path_factory.mktemp("roundtrip") / "store"
    result = invoke(
        store,
        "--store-format",
        store_format,
        *add_args("--kommentar", comment, behandler=name, fra="01.07.2030", til="10.07.2030", tjeneste="alle"),
    )
    assert result.exit_code == 0, result.stderr
    [stored] = json.loads(invoke(store, "list", "--virksomhet", ORGNR, "--json").stdout)
    assert (stored["behandler"], stored["kommentar"]) == (name.strip(), comment.strip())


def test_a_ring_as_one_code_point_or_two_is_the_same_gp(tmp_path):
    store = tmp_path / "store"
    composed = unicodedata.normalize("NFC", "Åse Ødegård")
    decomposed = unicodedata.normalize("NFD", "Åse Ødegård")
    assert composed != decomposed
    first = invoke(
        store,
        *add_args(behandler=composed, fra="01.07.2030", til="10.07.2030", tjeneste="alle"),
    )
    again = invoke(
        store,
        *add_args(behandler=decomposed, fra="01.07.2030", til="10.07.2030", tjeneste="alle"),
    )
    assert (first.exit_code, again.exit_code, again.stdout) == (0, 0, first.stdout)
    clash = invoke(
        store,
        *add_args(behandler=decomposed.upper(), fra="05.07.2030", til="12.07.2030", tjeneste="timebestilling"),
    )
    assert clash.exit_code == 4


def test_formulas_from_a_spreadsheet_are_stored_as_text_and_cannot_run_from_csv(tmp_path):
    store = tmp_path / "store"
    plan = tmp_path / "plan.csv"
    plan.write_text(
        "virksomhet;behandler;fra;til;tjenester;kommentar\n"
        f'{ORGNR};"=HYPERLINK(""http://x"",""klikk"")";1.7.2030;2.7.2030;alle;+cmd|/C calc\n'
        f"{ORGNR};@SUM(A1);1.8.2030;2.8.2030;alle;-2+3\n"
    )
    assert invoke(store, "import", str(plan)).exit_code == 0
    rows = json.loads(invoke(store, "list", "--virksomhet", ORGNR, "--json").stdout)
    assert [(r["behandler"], r["kommentar"]) for r in rows] == [
        ('=HYPERLINK("http://x","klikk")', "+cmd|/C calc"),
        ("@SUM(A1)", "-2+3"),
    ]
    csv_text = invoke(store, "list", "--virksomhet", ORGNR, "--format", "csv").stdout
    import csv
    import io

    cells = [cell for row in csv.reader(io.StringIO(csv_text)) for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert '\'=HYPERLINK("http://x","klikk")' in cells and "'+cmd|/C calc" in cells


# -- round two ---------------------------------------------------------------------


def test_utf8_with_one_stray_byte_is_refused_naming_line_and_byte(tmp_path):
    store = tmp_path / "store"
    plan = tmp_path / "plan.csv"
    plan.write_bytes(
        f"virksomhet;behandler;fra;til;tjenester;kommentar\n{ORGNR};Åse Ødegård;1.7.2030;2.7.2030;alle;\n".encode()
        + f"{ORGNR};Per Test;1.8.2030;2.8.2030;alle;kurs \xff\n".encode("latin-1")
    )
    result = invoke(store, "import", str(plan))
    assert result.exit_code == 2, result.stderr
    assert "linje 3" in result.stderr and "0xFF" in result.stderr
    assert not store.exists()


def test_a_date_whose_reopening_day_does_not_exist_is_refused(tmp_path):
    store = tmp_path / "store"
    result = invoke(store, *add_args(til="31.12.9999"))
    assert result.exit_code == 2 and "31.12.9999" in result.stderr
    assert invoke(store, *add_args(til="30.12.9999")).exit_code == 0
    assert invoke(store, "status", "--all").exit_code == 0


@pytest.mark.parametrize("name, text", [("dyp.json", "[" * 100_000), ("dyp.jsonl", '{"a": ' + "[" * 100_000 + "\n")])
def test_deeply_nested_json_import_is_exit_2(tmp_path, name, text):
    plan = tmp_path / name
    plan.write_text(text)
    result = invoke(tmp_path / "store", "import", str(plan))
    assert result.exit_code == 2, result.stderr
    assert "nestet for dypt" in result.stderr


@pytest.mark.parametrize(
    "name, text",
    [
        ("bred.csv", "virksomhet;behandler;fra;til;tjenester" + ";" * 500_000 + "\n"),
        ("bred.json", json.dumps([{f"k{n}": "x" for n in range(200_000)}])),
    ],
)
def test_absurdly_wide_files_are_refused_at_once(tmp_path, name, text):
    """Work quadratic in the width took minutes here; the timeout guards against a hang, it times nothing."""
    from tests.helpers import run_with_timeout

    plan = tmp_path / name
    plan.write_text(text)
    result = run_with_timeout(tmp_path / "store", "import", str(plan), seconds=120)
    assert result.returncode == 2, result.stderr
    assert "høyst 1000 godtas" in result.stderr
    assert len(result.stderr.splitlines()) <= 3


@pytest.mark.parametrize(
    "args, env",
    [
        ([b"--av", b"\xff"], {}),
        ([], {"USER": b"\xff"}),
        ([b"--av", b"a\x1b[31mb"], {}),
        ([b"--av", "\u202eevil".encode()], {}),
    ],
)
def test_who_the_log_records_follows_the_text_rules_of_names(tmp_path, args, env):
    import os
    import subprocess

    from tests.helpers import command

    store = tmp_path / "store"
    full = [os.fsencode(a) for a in command(store)] + args + [a.encode() for a in add_args()]
    result = subprocess.run(full, capture_output=True, env={**os.environb, **{k.encode(): v for k, v in env.items()}})
    assert result.returncode == 2, result.stderr.decode()
    assert b"Traceback" not in result.stderr and b"\x1b" not in result.stderr
    assert not store.exists()


def test_log_never_prints_control_characters_from_an_old_entry(fravaer, store_dir):
    fravaer.add("--behandler", "Kari Test", "--fra", "01.07.2030", "--til", "02.07.2030", "--tjeneste", "alle")
    log = store_dir / f"{ORGNR}.log"
    with log.open("a") as f:
        f.write(json.dumps({"tid": "t", "av": "a\x1b[2Jb\u202e", "handling": "delete", "fravaer": None}) + "\n")
    result = fravaer("log", "--virksomhet", ORGNR)
    assert result.exit_code == 0
    assert "a\\x1b[2Jb\\u202e" in result.stdout and "\x1b" not in result.stdout


def test_an_unknown_user_in_the_data_dir_and_a_relative_xdg_data_home(tmp_path):
    import os
    import subprocess

    from tests.helpers import EXECUTABLE

    result = subprocess.run(
        [EXECUTABLE, "--data-dir", "~nosuchuser/x", "list", "--all"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "nosuchuser" in result.stderr and "Traceback" not in result.stderr
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": "relative/data"}
    env.pop("FRAVAER_DATA_DIR", None)
    added = subprocess.run([EXECUTABLE, *add_args()], capture_output=True, text=True, cwd=work, env=env)
    assert added.returncode == 0, added.stderr
    assert not (work / "relative").exists()  # the XDG spec: a relative path there is ignored
    assert (home / ".local" / "share" / "fravaer" / f"{ORGNR}.toml").exists()


def test_an_encoding_that_cannot_show_a_name_escapes_it(tmp_path):
    import os
    import subprocess

    from tests.helpers import command

    store = tmp_path / "store"
    env = {**os.environ, "PYTHONIOENCODING": "latin-1"}
    added = subprocess.run(command(store, *add_args(behandler="Per 😀")), capture_output=True, env=env)
    assert added.returncode == 0, added.stderr.decode("latin-1")
    listed = subprocess.run(command(store, "list", "--virksomhet", ORGNR), capture_output=True, env=env)
    assert listed.returncode == 0 and "Per \\U0001f600" in listed.stdout.decode("latin-1")


def test_one_enormous_line_is_refused_without_reading_it_into_memory(tmp_path):
    """100 MB on one line: before, memory grew to several times the file."""
    import subprocess
    import sys

    from tests.helpers import command

    plan = tmp_path / "linje.csv"
    with plan.open("wb") as f:
        f.write(b"virksomhet;behandler;fra;til;tjenester\n")
        f.write(b"x" * (3 * 2**20))
    result = invoke(tmp_path / "store", "import", str(plan))
    assert result.exit_code == 2 and "linje 2: er lengre enn 1 MiB" in result.stderr
    with plan.open("ab") as f:
        f.write(b"x" * (100 * 2**20))
    # The peak of this one run, measured by a parent of its own.
    measure = (
        "import resource, subprocess, sys;"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); print(r.stderr)"
    )
    run = subprocess.run(
        [sys.executable, "-c", measure, *command(tmp_path / "store", "import", str(plan))],
        capture_output=True,
        text=True,
    )
    code, peak_kib = map(int, run.stdout.split("\n", 1)[0].split())
    assert code == 2 and "større enn 64 MiB" in run.stdout
    assert peak_kib < 300 * 1024, peak_kib
