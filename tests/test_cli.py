"""Every command through Typer's CliRunner: exit code, stdout and stderr asserted separately."""

import json
from datetime import timedelta

import pytest

from fravaer_cli.store.files.filestore import FileStore
from tests.helpers import EPJ_REMINDER, ORGNR, OTHER_ORGNR, SEED_LINE, VIKAR_REMINDER, add_args, snapshot

SEED = [
    "--behandler",
    "Astrid Info",
    "--fra",
    "12.06.2024",
    "--til",
    "08.07.2024",
    "--tjeneste",
    "alle",
    "--allow-past",
]


def future(today, days: int) -> str:
    return (today + timedelta(days=days)).strftime("%d.%m.%Y")


# -- the seed example ------------------------------------------------------------


def test_seed_example_prints_the_exact_citizen_line(fravaer):
    result = fravaer("add", "--virksomhet", ORGNR, *SEED)
    assert result.exit_code == 0
    assert result.stdout == "1\n"
    preview = fravaer("preview", "--virksomhet", ORGNR, "--tjeneste", "timebestilling", "--date", "20.06.2024")
    assert preview.exit_code == 0
    # The GP's name heads the lines also with one GP, so that no one takes them for another GP's.
    assert preview.stdout == f"Astrid Info:\n  {SEED_LINE}\n"
    assert preview.stderr == ""


def test_seed_example_list_row_is_the_helsenorge_overview_row(fravaer):
    fravaer.add(*SEED)
    result = fravaer("list", "--virksomhet", ORGNR, "--include-past")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    # The overview's columns, in 80 columns: every service closed is "Alle" (the JSON has each).
    assert lines[0].split() == ["ID", "Behandler", "Fra", "Til", "Stengt"]
    assert lines[2].split("  ")[0] == "1"
    assert " ".join(lines[2].split()) == "1 Astrid Info 12.06.2024 08.07.2024 Alle"


# -- add -----------------------------------------------------------------------------


def test_add_prints_only_the_id_on_stdout_and_the_reminder_on_stderr(fravaer, today):
    result = fravaer(
        *add_args(behandler="Per Test", fra="+1", til="+5", tjeneste="timebestilling"),
    )
    assert result.exit_code == 0
    assert result.stdout == "1\n"
    assert "Registrert fravær 1: Per Test" in result.stderr
    assert result.stderr.rstrip().endswith(EPJ_REMINDER)
    assert VIKAR_REMINDER not in result.stderr


def test_add_with_vikar_adds_the_vikar_reminder(fravaer):
    result = fravaer(
        *add_args("--vikar", "timebestilling", behandler="Per Test", fra="+1", til="+5", tjeneste="alle"),
    )
    assert result.exit_code == 0
    assert result.stderr.rstrip().endswith(EPJ_REMINDER + "\n" + VIKAR_REMINDER)
    listed = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    assert listed[0]["tjenester"] == ["reseptfornyelse", "e-konsultasjon", "kontakt-legekontoret"]
    assert listed[0]["vikar"] == ["timebestilling"]


def test_identical_add_prints_the_existing_id_and_changes_nothing(fravaer):
    first = fravaer.add(*SEED, "--kommentar", "første")
    before = fravaer.snapshot()
    again = fravaer(
        "add",
        "--virksomhet",
        ORGNR,
        *SEED[:-3],
        "--tjeneste",
        "Timebestilling,reseptfornyelse",
        "--tjeneste",
        "e-konsultasjon",
        "--tjeneste",
        "kontakt legekontoret",
        "--allow-past",
        "--kommentar",
        "annen",
    )
    assert again.exit_code == 0
    assert again.stdout == f"{first}\n"
    assert "finnes allerede" in again.stderr
    assert fravaer.snapshot() == before


def test_overlap_is_refused_with_exit_4_naming_the_id(fravaer):
    fravaer.add(*SEED)
    before = fravaer.snapshot()
    result = fravaer(
        *add_args(
            "--allow-past", behandler="ASTRID INFO", fra="01.07.2024", til="20.07.2024", tjeneste="timebestilling"
        ),
    )
    assert result.exit_code == 4
    assert result.stdout == ""
    assert "fravær 1" in result.stderr
    assert fravaer.snapshot() == before


def test_past_fravaer_needs_allow_past(fravaer):
    result = fravaer("add", "--virksomhet", ORGNR, *SEED[:-1])
    assert result.exit_code == 2
    assert "--allow-past" in result.stderr
    assert fravaer.snapshot() == {}


@pytest.mark.parametrize(
    "args, named",
    [
        (["--fra", "31.02.2024"], "«31.02.2024»"),
        (["--fra", "12"], "«12»"),
        (["--til", "i overmorgen"], "«i overmorgen»"),
        (["--fra", "10.07.2024", "--til", "09.07.2024"], "10.07.2024"),
        (["--tjeneste", "timebestiling"], "Mente du «timebestilling»?"),
        (["--vikar", "alle"], "«alle»"),
        (["--tjeneste", "timebestilling", "--vikar", "timebestilling"], "både som stengt og med vikar"),
        (["--hpr", "12-34"], "«12-34»"),
        (["--behandler", ""], "Behandler kan ikke være tom"),
        (["--kommentar", "x" * 501], "501 tegn"),
    ],
)
def test_bad_add_input_exits_2_naming_the_value_and_writes_nothing(fravaer, args, named):
    base = {"--behandler": "Astrid Info", "--fra": "01.07.2024", "--til": "10.07.2024", "--tjeneste": "alle"}
    given = dict(zip(args[::2], args[1::2], strict=True))
    merged = [x for k, v in {**base, **given}.items() for x in (k, v)]
    result = fravaer("add", "--virksomhet", ORGNR, *merged, "--allow-past")
    assert result.exit_code == 2, result.stderr
    assert named in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert fravaer.snapshot() == {}


@pytest.mark.parametrize(
    "orgnr", ["974760674", "97476067", "../../../tmp/x", "974760673/../x", "123 456 786", "٩٧٤٧٦٠٦٧٣"]
)
def test_bad_orgnr_exits_2_and_no_path_is_reached(fravaer, tmp_path, orgnr):
    result = fravaer("add", "--virksomhet", orgnr, *SEED)
    assert result.exit_code == 2
    assert f"«{orgnr}»" in result.stderr
    assert fravaer.snapshot() == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_orgnr_with_spaces_is_accepted(fravaer, store_dir):
    assert fravaer("add", "--virksomhet", "974 760 673", *SEED).exit_code == 0
    assert (store_dir / f"{ORGNR}.toml").exists()


def test_missing_required_option_is_norwegian(fravaer):
    result = fravaer("add", "--virksomhet", ORGNR, "--behandler", "Astrid Info")
    assert result.exit_code == 2
    assert "Mangler --fra" in result.stderr


def test_unknown_option_and_command_are_norwegian(fravaer):
    result = fravaer("add", "--virksomhett", ORGNR)
    assert result.exit_code == 2
    assert "Ukjent valg: --virksomhett" in result.stderr and "--virksomhet" in result.stderr
    result = fravaer("lsit")
    assert result.exit_code == 2
    # Commands are built when called: the close name is looked for among all of them.
    assert "Ukjent kommando: «lsit». Mente du list? Kommandoer: add, list, edit" in result.stderr
    result = fravaer("roster", "lsit")
    assert result.exit_code == 2
    assert "Ukjent kommando: «lsit». Mente du list? Kommandoer: list, add, remove, rename." in result.stderr


def test_a_call_builds_only_the_command_it_runs(capsys):
    """Typer builds a command from its function's signature, about a millisecond each:
    a call builds the one it runs, and the list in --help needs every one."""
    from typer.main import get_command

    from fravaer_cli.cli import app

    group = get_command(app)
    assert group.main(["status", "--help"], prog_name="fravaer", standalone_mode=False) == 0
    assert list(group.commands) == ["status"]
    assert group.main(["--help"], prog_name="fravaer", standalone_mode=False) == 0
    assert sorted(group.commands) == sorted(group.list_commands(None))
    listed = capsys.readouterr().out.split("Kommandoer:")[1]
    names = [line.split()[0] for line in listed.splitlines() if line.startswith("  ") and line[2] != " "]
    assert (
        " ".join(names)
        == "add list edit delete restore import status calendar preview info log completion database access roster"
    )


def test_dry_run_add_writes_nothing(fravaer):
    result = fravaer("add", "--virksomhet", ORGNR, *SEED, "--dry-run")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "Tørrkjøring" in result.stderr
    assert fravaer.snapshot() == {}


def test_store_format_json(fravaer, store_dir):
    assert fravaer("--store-format", "json", "add", "--virksomhet", ORGNR, *SEED).exit_code == 0
    assert (store_dir / f"{ORGNR}.json").exists()
    result = fravaer("--store-format", "yaml", "list", "--all")
    assert result.exit_code == 2 and "«yaml»" in result.stderr


# -- list ----------------------------------------------------------------------------


def test_list_json_shape(fravaer, today):
    fravaer.add(
        "--behandler", "Per Test", "--fra", "+1", "--til", "+3", "--tjeneste", "e-konsultasjon", "--kommentar", "Kurs"
    )
    result = fravaer("list", "--virksomhet", ORGNR, "--json")
    assert result.exit_code == 0
    [row] = json.loads(result.stdout)
    assert {k: row[k] for k in ("id", "virksomhet", "behandler", "fra", "til", "tjenester", "vikar", "kommentar")} == {
        "id": "1",
        "virksomhet": ORGNR,
        "behandler": "Per Test",
        "fra": (today + timedelta(days=1)).isoformat(),
        "til": (today + timedelta(days=3)).isoformat(),
        "tjenester": ["e-konsultasjon"],
        "vikar": [],
        "kommentar": "Kurs",
    }


def test_list_hides_past_unless_asked_and_filters(fravaer):
    fravaer.add(*SEED)
    fravaer.add("--behandler", "Per Test", "--fra", "+1", "--til", "+3", "--tjeneste", "e-konsultasjon")
    fravaer.add(
        "--behandler", "Kari Test", "--fra", "+1", "--til", "+3", "--tjeneste", "timebestilling", orgnr=OTHER_ORGNR
    )
    ids = lambda *args: [(r["virksomhet"], r["id"]) for r in json.loads(fravaer("list", *args, "--json").stdout)]  # noqa: E731
    assert ids("--virksomhet", ORGNR) == [(ORGNR, "2")]
    assert ids("--virksomhet", ORGNR, "--include-past") == [(ORGNR, "1"), (ORGNR, "2")]
    assert ids("--all", "--tjeneste", "Timebestilling") == [(OTHER_ORGNR, "1")]
    assert ids("--all", "--behandler", "astrid", "--include-past") == [(ORGNR, "1")]
    assert ids("--all", "--behandler", "TEST") == [(ORGNR, "2"), (OTHER_ORGNR, "1")]


def test_list_needs_virksomhet_or_all(fravaer):
    result = fravaer("list")
    assert result.exit_code == 2 and "--all" in result.stderr


def test_list_csv_defuses_formulas(fravaer):
    fravaer.add(
        "--behandler",
        '=HYPERLINK("http://x")',
        "--fra",
        "+1",
        "--til",
        "+3",
        "--tjeneste",
        "alle",
        "--kommentar",
        "+cmd",
    )
    result = fravaer("list", "--virksomhet", ORGNR, "--format", "csv")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("id,virksomhet,behandler,fra,til,tjenester,vikar,kommentar")
    assert '"\'=HYPERLINK(""http://x"")"' in lines[1]
    assert ",'+cmd," in lines[1]
    stored = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)[0]
    assert stored["behandler"] == '=HYPERLINK("http://x")'


def test_unknown_format_is_refused(fravaer):
    fravaer.add(*SEED)
    result = fravaer("list", "--virksomhet", ORGNR, "--format", "xml")
    assert result.exit_code == 2 and "«xml»" in result.stderr


def test_table_is_not_wrapped_at_80_columns(fravaer):
    fravaer.add(
        "--behandler",
        "Astrid Info med et svært langt navn som går langt forbi",
        "--fra",
        "+1",
        "--til",
        "+3",
        "--tjeneste",
        "alle",
    )
    result = fravaer("list", "--virksomhet", ORGNR)
    assert len(result.stdout.splitlines()) == 3
    assert max(len(line) for line in result.stdout.splitlines()) > 80


# -- virksomhet by name --------------------------------------------------------------


def test_virksomhet_by_part_of_name(fravaer):
    assert fravaer("info", "--virksomhet", ORGNR, "--navn", "Legesenteret på Bryn").exit_code == 0
    assert fravaer("info", "--virksomhet", OTHER_ORGNR, "--navn", "Bryn Legekontor Øst").exit_code == 0
    result = fravaer("info", "--virksomhet", "på bryn", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["orgnr"] == ORGNR
    ambiguous = fravaer("info", "--virksomhet", "BRYN")
    assert ambiguous.exit_code == 2
    assert ORGNR in ambiguous.stderr and OTHER_ORGNR in ambiguous.stderr
    none = fravaer("info", "--virksomhet", "Majorstuen")
    assert none.exit_code == 2 and "«Majorstuen»" in none.stderr


def test_unknown_orgnr_is_not_found(fravaer):
    fravaer.add(*SEED, orgnr=OTHER_ORGNR)  # a store that exists, without this office
    result = fravaer("list", "--virksomhet", ORGNR)
    assert result.exit_code == 3
    assert ORGNR in result.stderr


# -- edit and delete -----------------------------------------------------------------


def test_edit_changes_in_place_keeping_the_id(fravaer, store_dir):
    fravaer.add("--behandler", "Per Test", "--fra", "+1", "--til", "+3", "--tjeneste", "timebestilling")
    result = fravaer(
        "edit", "1", "--virksomhet", ORGNR, "--til", "+10", "--vikar", "reseptfornyelse", "--kommentar", "Lengre"
    )
    assert result.exit_code == 0, result.stderr
    assert "Endret fravær 1" in result.stderr
    assert result.stderr.rstrip().endswith(VIKAR_REMINDER)
    [row] = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    assert (row["id"], row["vikar"], row["kommentar"]) == ("1", ["reseptfornyelse"], "Lengre")
    log = json.loads(fravaer("log", "--virksomhet", ORGNR, "--json").stdout)
    assert [e["handling"] for e in log] == ["add", "edit"]
    assert log[1]["forrige"]["til"] != log[1]["fravaer"]["til"]


def test_edit_overlap_is_refused_and_changes_nothing(fravaer):
    fravaer.add("--behandler", "Per Test", "--fra", "+1", "--til", "+3", "--tjeneste", "timebestilling")
    fravaer.add("--behandler", "Per Test", "--fra", "+5", "--til", "+7", "--tjeneste", "timebestilling")
    before = fravaer.snapshot()
    result = fravaer("edit", "1", "--virksomhet", ORGNR, "--til", "+5")
    assert result.exit_code == 4 and "fravær 2" in result.stderr
    assert fravaer.snapshot() == before


def test_edit_unknown_id_is_not_found(fravaer):
    fravaer.add(*SEED)
    result = fravaer("edit", "9", "--virksomhet", ORGNR, "--til", "+5")
    assert result.exit_code == 3 and "«9»" in result.stderr


def test_delete_outside_a_terminal_needs_yes(fravaer):
    fravaer.add(*SEED)
    before = fravaer.snapshot()
    result = fravaer("delete", "1", "--virksomhet", ORGNR)
    assert result.exit_code == 2 and "--yes" in result.stderr
    assert fravaer.snapshot() == before
    dry = fravaer("delete", "1", "--virksomhet", ORGNR, "--dry-run")
    assert dry.exit_code == 0 and "ville slettet" in dry.stderr
    assert fravaer.snapshot() == before
    done = fravaer("delete", "1", "--virksomhet", ORGNR, "--yes")
    assert done.exit_code == 0 and "Slettet fravær 1" in done.stderr
    assert json.loads(fravaer("list", "--virksomhet", ORGNR, "--include-past", "--json").stdout) == []
    assert fravaer("delete", "1", "--virksomhet", ORGNR, "--yes").exit_code == 3
    # The id is not given out again.
    assert fravaer.add(*SEED) == "2"


def test_delete_asks_on_a_terminal(fravaer, monkeypatch):
    fravaer.add(*SEED)
    monkeypatch.setattr("fravaer_cli.cli.fravaer._stdin_is_terminal", lambda: True)
    no = fravaer("delete", "1", "--virksomhet", ORGNR, input="n\n")
    assert no.exit_code == 0 and "Ingenting er slettet" in no.stderr
    yes = fravaer("delete", "1", "--virksomhet", ORGNR, input="j\n")
    assert yes.exit_code == 0 and "Slettet fravær 1" in yes.stderr


# -- status --------------------------------------------------------------------------


def test_status_json_shape_and_exit_code(fravaer):
    fravaer.add(*SEED)
    fravaer.add(
        "--behandler",
        "Per Test",
        "--fra",
        "21.06.2024",
        "--til",
        "30.06.2024",
        "--tjeneste",
        "timebestilling",
        "--allow-past",
    )
    result = fravaer("status", "--virksomhet", ORGNR, "--date", "20.06.2024", "--json", "--exit-code")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["dato"] == "2024-06-20"
    assert len(report["stengt"]) == 4
    assert {
        k: report["stengt"][3][k] for k in ("virksomhet", "behandler", "tjeneste", "fra", "til", "apner_igjen")
    } == {
        "virksomhet": ORGNR,
        "behandler": "Astrid Info",
        "tjeneste": "timebestilling",
        "fra": "2024-06-12",
        "til": "2024-07-08",
        "apner_igjen": "2024-07-09",
    }
    assert [(e["behandler"], e["tjeneste"], e["fra"]) for e in report["starter_i_morgen"]] == [
        ("Per Test", "timebestilling", "2024-06-21")
    ]
    assert report["apner_i_morgen"] == []
    quiet_day = fravaer("status", "--virksomhet", ORGNR, "--date", "10.06.2024", "--exit-code")
    assert quiet_day.exit_code == 0


def test_status_text_names_reminders(fravaer):
    fravaer.add(*SEED)
    result = fravaer("status", "--virksomhet", ORGNR, "--date", "08.07.2024")
    assert result.exit_code == 0
    assert "Stengt 08.07.2024:" in result.stdout
    assert "Åpner igjen 09.07.2024 (husk å skru på tjenestene i EPJ):" in result.stdout
    assert "Astrid Info  Alle" in result.stdout and "09.07.2024" in result.stdout


def test_status_quiet_prints_nothing_on_a_quiet_day(fravaer):
    fravaer.add(*SEED)
    assert fravaer("status", "--virksomhet", ORGNR, "--date", "20.06.2024", "--quiet").stdout == ""
    assert (
        "Stenges fra 12.06.2024" in fravaer("status", "--virksomhet", ORGNR, "--date", "11.06.2024", "--quiet").stdout
    )


def test_status_all_reports_a_corrupt_file_and_goes_on(fravaer, store_dir):
    fravaer.add(*SEED)
    bad = store_dir / f"{OTHER_ORGNR}.toml"
    bad.write_text("schema = 1\n[virksomhet\n")
    before = snapshot(store_dir)
    result = fravaer("status", "--all", "--date", "20.06.2024", "--json")
    assert result.exit_code == 5
    assert len(json.loads(result.stdout)["stengt"]) == 4
    assert str(bad) in result.stderr
    listed = fravaer("list", "--all", "--include-past", "--json")
    assert listed.exit_code == 5 and len(json.loads(listed.stdout)) == 1
    assert str(bad) in listed.stderr
    assert fravaer("add", "--virksomhet", OTHER_ORGNR, *SEED).exit_code == 5
    assert snapshot(store_dir) == before


# -- preview -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lang, line",
    [
        ("nb", SEED_LINE),
        ("nn", "Timebestilling er mellombels stengd hos fastlegen din, og opnar igjen 9. juli 2024."),
        ("en", "Appointment booking is temporarily closed at your GP and reopens on 9 July 2024."),
    ],
)
def test_preview_languages(fravaer, lang, line):
    fravaer.add(*SEED)
    result = fravaer(
        "preview", "--virksomhet", ORGNR, "--tjeneste", "timebestilling", "--date", "20.06.2024", "--lang", lang
    )
    assert result.stdout == f"Astrid Info:\n  {line}\n"


def test_preview_unknown_lang_exits_2(fravaer):
    fravaer.add(*SEED)
    result = fravaer("preview", "--virksomhet", ORGNR, "--lang", "se")
    assert result.exit_code == 2 and "«se»" in result.stderr and "nb, nn, en" in result.stderr


def test_preview_with_info_text_and_several_behandlere(fravaer):
    fravaer.add(*SEED)
    fravaer.add(
        "--behandler",
        "Per Test",
        "--fra",
        "01.06.2024",
        "--til",
        "30.06.2024",
        "--tjeneste",
        "timebestilling",
        "--vikar",
        "reseptfornyelse",
        "--allow-past",
    )
    assert fravaer("info", "--virksomhet", ORGNR, "--set", "Sommerstengt uke 28.").exit_code == 0
    result = fravaer(
        "preview",
        "--virksomhet",
        ORGNR,
        "--date",
        "20.06.2024",
        "--tjeneste",
        "timebestilling",
        "--tjeneste",
        "reseptfornyelse",
    )
    assert result.stdout == (
        "Astrid Info:\n"
        "  Reseptfornyelse er midlertidig stengt hos fastlegen din, og åpner igjen 9. juli 2024.\n"
        "  Timebestilling er midlertidig stengt hos fastlegen din, og åpner igjen 9. juli 2024.\n"
        "Per Test:\n"
        "  Reseptfornyelse er tilgjengelig.\n"
        "  Timebestilling er midlertidig stengt hos fastlegen din, og åpner igjen 1. juli 2024.\n"
        "\n"
        "Informasjon fra legekontoret: Sommerstengt uke 28.\n"
    )
    data = json.loads(
        fravaer("preview", "--virksomhet", ORGNR, "--date", "20.06.2024", "--behandler", "per test", "--json").stdout
    )
    assert data[0] == {
        "behandler": "Per Test",
        "tjeneste": "reseptfornyelse",
        "stengt": False,
        "apner_igjen": None,
        "melding": "Reseptfornyelse er tilgjengelig.",
        "info": "Sommerstengt uke 28.",
    }
    assert data[3]["apner_igjen"] == "2024-07-01" and data[3]["stengt"] is True
    csv_text = fravaer("preview", "--virksomhet", ORGNR, "--date", "20.06.2024", "--format", "csv").stdout
    assert csv_text.splitlines()[0] == "behandler,tjeneste,stengt,apner_igjen,melding,info"
    assert csv_text.splitlines()[1].endswith(",Sommerstengt uke 28.")


def test_preview_of_a_gp_on_the_roster_without_fravaer_is_all_available(fravaer):
    fravaer.add(*SEED)
    assert fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "Astrid Info").exit_code == 0
    assert fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "Ola Nordmann").exit_code == 0
    result = fravaer(
        "preview", "--virksomhet", ORGNR, "--behandler", "Ola Nordmann", "--tjeneste", "timebestilling",
        "--date", "20.06.2024",
    )  # fmt: skip
    assert result.exit_code == 0
    # Said plainly, on stdout: not another GP's lines, and not a bare "available" that reads as an answer.
    assert result.stdout == (
        "Ingen fravær er registrert for «Ola Nordmann» hos 974760673: "
        "alle tjenestene er tilgjengelige for pasientene til denne behandleren.\n"
    )


def test_preview_of_a_gp_at_another_office_never_shows_this_offices_gps(fravaer):
    """The helpdesk asked about Bryn for a GP who is not there: before, the only GP's lines came
    back unnamed; then 'all open', which is no answer either: the GP is not found here."""
    fravaer.add(*SEED)
    result = fravaer("preview", "--virksomhet", ORGNR, "--behandler", "Kari", "--date", "20.06.2024")
    assert result.exit_code == 3
    assert "Astrid" not in result.stdout and "«Kari» er ingen fastlege hos 974760673" in result.stderr


# -- info ----------------------------------------------------------------------------


def test_info_text_over_200_characters_is_refused(fravaer):
    fravaer.add(*SEED)
    before = fravaer.snapshot()
    result = fravaer("info", "--virksomhet", ORGNR, "--set", "x" * 201)
    assert result.exit_code == 2 and "201 tegn" in result.stderr and "200" in result.stderr
    assert fravaer.snapshot() == before
    assert fravaer("info", "--virksomhet", ORGNR, "--set", "æ" * 200).exit_code == 0


def test_info_set_clear_and_show(fravaer):
    assert fravaer("info", "--virksomhet", ORGNR, "--navn", "DDFL Test", "--set", "Hei").exit_code == 0
    shown = json.loads(fravaer("info", "--virksomhet", "ddfl", "--json").stdout)
    assert shown == {"orgnr": ORGNR, "navn": "DDFL Test", "info": "Hei", "antall_fravaer": 0}
    assert fravaer("info", "--virksomhet", ORGNR, "--clear").exit_code == 0
    assert json.loads(fravaer("info", "--virksomhet", ORGNR, "--json").stdout)["info"] == ""
    table = fravaer("info", "--virksomhet", ORGNR)
    assert "Organisasjonsnummer" in table.stdout and "DDFL Test" in table.stdout


# -- log -----------------------------------------------------------------------------


@pytest.mark.files_only  # on the database, av is the login (tests/test_pg.py)
def test_log_records_who_with_av_and_user(fravaer):
    assert fravaer("--av", "kari", "add", "--virksomhet", ORGNR, *SEED).exit_code == 0
    assert (
        fravaer(
            *add_args(behandler="Per Test", fra="+1", til="+2", tjeneste="alle"),
            env={"USER": "ola", "LOGNAME": "ola"},
        ).exit_code
        == 0
    )
    assert fravaer("delete", "2", "--virksomhet", ORGNR, "--yes", env={"USER": "ola", "LOGNAME": "ola"}).exit_code == 0
    log = json.loads(fravaer("log", "--virksomhet", ORGNR, "--json").stdout)
    assert [(e["av"], e["handling"], e["fravaer"]["id"]) for e in log] == [
        ("kari", "add", "1"),
        ("ola", "add", "2"),
        ("ola", "delete", "2"),
    ]
    assert all(set(e) >= {"tid", "av", "handling", "fravaer"} for e in log)
    only_astrid = json.loads(fravaer("log", "--virksomhet", ORGNR, "--behandler", "astrid", "--json").stdout)
    assert [e["fravaer"]["id"] for e in only_astrid] == ["1"]
    on_day = json.loads(fravaer("log", "--virksomhet", ORGNR, "--date", "20.06.2024", "--json").stdout)
    assert [e["fravaer"]["id"] for e in on_day] == ["1"]
    table = fravaer("log", "--virksomhet", ORGNR)
    assert "lagt til" in table.stdout and "slettet" in table.stdout and "kari" in table.stdout


# -- the error boundary --------------------------------------------------------------


def test_a_bug_is_exit_70_with_one_line(fravaer, monkeypatch):
    fravaer.add(*SEED)

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("fravaer_cli.usecases.operations.list_fravaer", boom)
    result = fravaer("list", "--virksomhet", ORGNR)
    assert result.exit_code == 70
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr and "FRAVAER_DEBUG=1" in result.stderr
    debug = fravaer("list", "--virksomhet", ORGNR, env={"FRAVAER_DEBUG": "1"})
    assert debug.exit_code == 70 and "Traceback" in debug.stderr


def test_data_dir_from_environment(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from fravaer_cli.cli import app

    monkeypatch.setenv("FRAVAER_DATA_DIR", str(tmp_path / "env-store"))
    result = CliRunner().invoke(app, ["add", "--virksomhet", ORGNR, *SEED])
    assert result.exit_code == 0
    assert FileStore(tmp_path / "env-store").load(ORGNR).fravaer[0].behandler == "Astrid Info"
    monkeypatch.delenv("FRAVAER_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert CliRunner().invoke(app, ["add", "--virksomhet", ORGNR, *SEED]).exit_code == 0
    assert (tmp_path / "xdg" / "fravaer" / f"{ORGNR}.toml").exists()


def test_version(fravaer):
    from fravaer_cli import __version__

    result = fravaer("--version")
    assert result.exit_code == 0 and result.stdout == f"fravaer {__version__}\n"


def test_streamed_status_json_is_the_same_text_as_other_json(fravaer):
    fravaer.add(*SEED)
    fravaer.add(
        "--behandler",
        "Per Test",
        "--fra",
        "21.06.2024",
        "--til",
        "30.06.2024",
        "--tjeneste",
        "timebestilling",
        "--allow-past",
    )
    for day in ("20.06.2024", "01.01.2024"):
        text = fravaer("status", "--all", "--date", day, "--json").stdout
        assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n"


def test_status_quiet_with_exit_code_still_counts_what_is_closed(fravaer):
    fravaer.add(*SEED)
    result = fravaer("status", "--virksomhet", ORGNR, "--date", "20.06.2024", "--quiet", "--exit-code")
    assert (result.exit_code, result.stdout) == (1, "")


def test_output_has_no_colour_or_terminal_codes(fravaer):
    fravaer.add(*SEED)
    for args in (
        ["status", "--all", "--date", "20.06.2024"],
        ["list", "--all", "--include-past"],
        ["log", "--virksomhet", ORGNR],
    ):
        for env in ({}, {"NO_COLOR": "1"}):
            result = fravaer(*args, env=env)
            assert "\x1b" not in result.stdout + result.stderr
            assert "\r" not in result.stdout + result.stderr


@pytest.mark.parametrize("args", [["--help"], ["add", "--help"], ["edit", "--help"], ["status", "--help"], []])
def test_help_is_in_norwegian(args):
    from typer.testing import CliRunner

    from fravaer_cli.cli import app

    result = CliRunner().invoke(app, args, prog_name="fravaer")
    assert result.exit_code == 0
    assert result.stdout.startswith("Bruk: fravaer")
    for english in ("Usage:", "Options", "Commands", "Show this message", "[OPTIONS]", "required", "default:"):
        assert english not in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "Mangler kommando"),
        (["add", "--fra"], "Valget --fra må ha en verdi"),
        (["add", "--allow-past=ja"], "Valget --allow-past tar ingen verdi"),
        (["list", "ekstra"], "Uventet argument: ekstra"),
        (["edit"], "Mangler ID"),
        # From the exception's attributes, not its English text, which quoted «s".» for this:
        (["it's"], "Ukjent kommando: «it's». Kommandoer: add, list"),
        # Click raises these without a context: the hint names the command from the arguments.
        (["add", "--fra"], "Se «fravaer add --help»"),
        (["status", "--date"], "Valget --date må ha en verdi. Se «fravaer status --help»"),
        # Declared required, so Click says what is missing (and add --help marks it).
        (["add", "--virksomhet", ORGNR, "--fra", "1.7.2030"], "Mangler --behandler. Se «fravaer add --help»"),
    ],
)
def test_usage_errors_are_norwegian(fravaer, args, message):
    result = fravaer(*args)
    assert result.exit_code == 2
    assert message in result.stderr and result.stdout == ""


def test_add_help_marks_its_required_options():
    import re

    from typer.testing import CliRunner

    from fravaer_cli.cli import app

    screen = CliRunner().invoke(app, ["add", "--help"], prog_name="fravaer").stdout
    options = re.split(r"\n  (?=-)", screen.split("Valg:", 1)[1])  # one block per option, wrapped lines and all
    required = [block.split()[0] for block in options if "[påkrevd]" in block]
    # --tjeneste is not: a fravær may have only a vikar (SPEC part two).
    assert required == ["--virksomhet", "--behandler", "--fra", "--til"]


@pytest.mark.parametrize("value", ["inf", "nan", "1e400", "0", "-1", "30s", "86401", "ti"])
def test_a_timeout_is_seconds_up_to_a_day_and_anything_else_is_refused_naming_the_variable(fravaer, store_kind, value):
    fravaer.add(*add_args()[3:])
    before = fravaer.snapshot()
    # Only the database runs statements: the files have no statement timeout to refuse.
    variables = ["FRAVAER_LOCK_TIMEOUT"] + (["FRAVAER_STATEMENT_TIMEOUT"] if store_kind == "postgres" else [])
    for variable in variables:
        for args in (add_args(fra="01.09.2030", til="02.09.2030"), ["list", "--virksomhet", ORGNR]):
            result = fravaer(*args, env={variable: value})
            assert result.exit_code == 2, result.output
            assert f"${variable}" in result.stderr and f"«{value}»" in result.stderr and "ett døgn" in result.stderr
            assert result.stdout == "" and "Traceback" not in result.stderr
        assert fravaer("list", "--virksomhet", ORGNR, env={variable: "0.5"}).exit_code == 0
        assert fravaer("list", "--virksomhet", ORGNR, env={variable: ""}).exit_code == 0  # no limit
    assert fravaer.snapshot() == before


def test_a_timeout_below_a_millisecond_is_still_a_limit_on_the_server():
    from fravaer_cli.store.base import milliseconds

    assert [milliseconds(s) for s in (0.0004, 0.5, 10, float("inf"))] == ["1ms", "500ms", "10000ms", "0"]


@pytest.mark.parametrize(
    "text, said",
    [
        (
            "Linje 1\nLinje 2",
            "et linjeskift (U+000A), som ikke er tillatt: «Linje 1\\nLinje 2». Skriv teksten på én linje.",
        ),
        ("Stengt\tnå", "en tabulator (U+0009), som ikke er tillatt: «Stengt\\tnå»."),
        ("Ring \u202e22", "et kontrolltegn (U+202E), som ikke er tillatt: «Ring \\u202e22»."),
    ],
)
def test_a_character_the_info_text_may_not_hold_is_named_in_norwegian_not_as_python_writes_it(fravaer, text, said):
    before = fravaer.snapshot()
    result = fravaer("info", "--virksomhet", ORGNR, "--set", text)
    assert result.exit_code == 2
    assert result.stderr == f"Informasjon til pasient inneholder {said}\n"
    assert fravaer.snapshot() == before


def test_the_words_the_tables_print_are_accepted_back(fravaer):
    """The short names as --tjeneste, the office as printed and in the VAT form as --virksomhet,
    and a misspelt word of an office's name gets the close office names."""
    assert fravaer("info", "--virksomhet", ORGNR, "--navn", "DDFL Test").exit_code == 0
    for short, key in (("Time", "timebestilling"), ("Resept", "reseptfornyelse"), ("E-kons", "e-konsultasjon")):
        added = fravaer(*add_args(behandler=f"Lege {short}", tjeneste=short))
        assert added.exit_code == 0, added.stderr
        listed = json.loads(fravaer("list", "--virksomhet", ORGNR, "--tjeneste", short.lower(), "--json").stdout)
        assert [(r["behandler"], r["tjenester"]) for r in listed] == [(f"Lege {short}", [key])]
    assert fravaer(*add_args(behandler="Lege Kontakt", tjeneste="Kontakt")).exit_code == 0
    for written in (f"DDFL Test ({ORGNR})", "NO 974 760 673 MVA", "no974760673mva"):
        shown = fravaer("list", "--virksomhet", written, "--json")
        assert shown.exit_code == 0, (written, shown.stderr)
        assert len(json.loads(shown.stdout)) == 4
    misspelt = fravaer("list", "--virksomhet", "DDFL Tset")
    assert misspelt.exit_code == 2
    assert f"Ingen lagret virksomhet har «DDFL Tset» i navnet. Mente du «DDFL Test» ({ORGNR})?" in misspelt.stderr


def test_a_wide_terminal_gets_the_overview_with_the_services_names_and_80_columns_the_short_ones(fravaer):
    """As Helsenorge's «Oversikt over fravær»: «Reseptfornyelse, E-konsultasjon, …» when it fits."""
    fravaer.add(*SEED)
    fravaer.add(*add_args(behandler="Kari Vik", tjeneste="timebestilling")[3:])
    wide = fravaer("list", "--virksomhet", ORGNR, "--include-past", env={"COLUMNS": "160"}).stdout
    assert "Reseptfornyelse, E-konsultasjon, Kontakt legekontoret, Timebestilling" in wide
    assert "Fra og med" in wide and "Til og med" in wide and "Alle" not in wide
    narrow = fravaer("list", "--virksomhet", ORGNR, "--include-past", env={"COLUMNS": None}).stdout
    assert max(map(len, narrow.splitlines())) <= 80
    assert "Fra " in narrow and "Alle" in narrow and "  Time\n" in narrow


@pytest.mark.parametrize("char", ["\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad"])
def test_names_refuse_invisible_format_characters(fravaer, char):
    """A zero-width space reaches every table: «Kari\u200bVik» and «Kari Vik» look alike and are two GPs."""
    fravaer.add(*add_args()[3:])
    before = fravaer.snapshot()
    name = f"Kari{char}Vik"
    for args in (
        add_args(behandler=name, fra="01.09.2030", til="02.09.2030"),
        ["roster", "add", "--virksomhet", ORGNR, "--behandler", name],
        ["info", "--virksomhet", ORGNR, "--navn", name],
        ["--av", name, "delete", "1", "--virksomhet", ORGNR, "--yes"],
    ):
        result = fravaer(*args)
        assert result.exit_code == 2, (args, result.output)
        assert (
            f"usynlig formateringstegn (U+{ord(char):04X})" in result.stderr and f"\\u{ord(char):04x}" in result.stderr
        )
    assert fravaer.snapshot() == before


# -- restore ---------------------------------------------------------------------------------


def test_restore_puts_a_deleted_fravaer_back_with_a_new_id_and_a_changed_one_as_it_was(fravaer, store_kind):
    fravaer.add(*add_args("--kommentar", "Ferie", behandler="Kari Vik")[3:])
    fravaer.add(*add_args(behandler="Ole Dahl", fra="01.09.2030", til="05.09.2030")[3:])
    assert fravaer("delete", "1", "--virksomhet", ORGNR, "--yes").exit_code == 0
    dry = fravaer("restore", "1", "--virksomhet", ORGNR, "--dry-run")
    assert dry.exit_code == 0 and dry.stdout == "" and "Tørrkjøring" in dry.stderr
    back = fravaer("restore", "1", "--virksomhet", ORGNR)
    assert back.exit_code == 0, back.stderr
    assert back.stdout == "3\n" and "Gjenopprettet slettet fravær 1 som fravær 3" in back.stderr  # ids are never reused
    assert (
        fravaer("edit", "2", "--virksomhet", ORGNR, "--til", "09.09.2030", "--tjeneste", "timebestilling").exit_code
        == 0
    )
    undone = fravaer("restore", "2", "--virksomhet", ORGNR)
    assert undone.exit_code == 0, undone.stderr
    listed = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    assert [(r["id"], r["behandler"], r["til"], len(r["tjenester"]), r["kommentar"]) for r in listed] == [
        ("3", "Kari Vik", "2030-08-02", 4, "Ferie"),
        ("2", "Ole Dahl", "2030-09-05", 4, ""),
    ]
    logged = [x["handling"] for x in json.loads(fravaer("log", "--virksomhet", ORGNR, "--json").stdout)]
    assert logged == ["add", "add", "delete", "restore", "edit", "restore"]


def test_restore_follows_the_rules_of_add_and_changes_nothing_when_refused(fravaer):
    fravaer.add(*add_args(behandler="Kari Vik")[3:])
    assert fravaer("delete", "1", "--virksomhet", ORGNR, "--yes").exit_code == 0
    fravaer.add(*add_args(behandler="Kari Vik", fra="02.08.2030", til="03.08.2030")[3:])
    before = fravaer.snapshot()
    overlap = fravaer("restore", "1", "--virksomhet", ORGNR)
    assert overlap.exit_code == 4 and "fravær 2" in overlap.stderr
    never_changed = fravaer("restore", "2", "--virksomhet", ORGNR)
    assert never_changed.exit_code == 2 and "ikke endret eller slettet" in never_changed.stderr
    unknown = fravaer("restore", "99", "--virksomhet", ORGNR)
    assert unknown.exit_code == 3
    assert fravaer.snapshot() == before
