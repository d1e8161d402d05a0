"""Hostile or broken input: never a traceback, always the SPEC's exit code, the store unchanged."""

import json
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fravaer_cli.cli import app
from tests.conftest import ORGNR, add_args, snapshot

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
        assert len(result.stderr.strip().splitlines()) <= 12


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
