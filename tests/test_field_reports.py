"""What an office admin, the helpdesk and cron ran into when trying fravaer as new users.
Each test failed before its fix. On both stores, unless it is about files."""

import json
import os
from datetime import date

import pytest

from tests.helpers import ORGNR, add_args, write_sheet


@pytest.mark.parametrize(
    "args",
    [
        ["status", "--virksomhet", ORGNR, "--date", "31.12.9999"],
        ["status", "--all", "--date", "31.12.9999", "--until-workday"],
        ["status", "--all", "--date", "30.12.9999", "--until-workday"],
        ["preview", "--virksomhet", ORGNR, "--date", "31.12.9999"],
        ["calendar", "--virksomhet", ORGNR, "--fra", "25.12.9999"],
        ["calendar", "--virksomhet", ORGNR, "--til", "31.12.9999"],
        ["log", "--virksomhet", ORGNR, "--date", "31.12.9999"],
    ],
)
def test_a_report_on_the_calendars_last_days_is_refused_not_a_crash(fravaer, args):
    assert fravaer(*add_args(fra="01.08.2030", til="02.08.2030")).exit_code == 0
    result = fravaer(*args)
    assert result.exit_code == 2, result.stderr
    assert "9999" in result.stderr and "til og med 31.12.9998" in result.stderr and "Intern feil" not in result.stderr


def test_a_report_on_the_last_day_allowed_works(fravaer):
    assert fravaer(*add_args(fra="01.08.2030", til="02.08.2030")).exit_code == 0
    assert fravaer("status", "--all", "--date", "31.12.9998", "--until-workday").exit_code == 0
    assert fravaer("calendar", "--virksomhet", ORGNR, "--fra", "31.12.9998").exit_code == 0


def test_roster_add_takes_behandler_more_than_once_and_adds_each(fravaer):
    added = fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "A B", "--behandler", "C D")
    assert added.exit_code == 0, added.stderr
    assert "La A B på listen" in added.stderr and "La C D på listen" in added.stderr
    listed = json.loads(fravaer("roster", "list", "--virksomhet", ORGNR, "--json").stdout)
    assert [r["behandler"] for r in listed] == ["A B", "C D"]
    again = fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "A B", "--behandler", "E F")
    assert again.exit_code == 0 and "A B står allerede på listen" in again.stderr and "La E F" in again.stderr
    log = json.loads(fravaer("log", "--virksomhet", ORGNR, "--json").stdout)
    assert [e["behandler"]["behandler"] for e in log if e["handling"] == "roster_add"] == ["A B", "C D", "E F"]
    before = fravaer.snapshot()
    with_hpr = fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "G H", "--behandler", "I J", "--hpr", "1")
    assert with_hpr.exit_code == 2 and "--hpr" in with_hpr.stderr and fravaer.snapshot() == before


@pytest.mark.parametrize("option, value", [("--av", "Kari"), ("--data-dir", "/tmp"), ("--store-format", "json")])
def test_a_global_option_after_the_command_says_it_goes_before(fravaer, option, value):
    result = fravaer(*add_args(option, value))
    assert result.exit_code == 2
    assert f"{option} er et valg for fravaer selv og står foran kommandoen: «fravaer {option} ... add ...»" in (
        result.stderr
    )
    assert "Mente du" not in result.stderr


def test_log_shows_the_person_a_database_change_was_made_for(fravaer):
    assert fravaer("--av", "Kari Hansen", *add_args()).exit_code == 0
    text = fravaer("log", "--virksomhet", ORGNR).stdout
    if fravaer.database:  # the login is the database's; --av is whom it was for
        (entry,) = json.loads(fravaer("log", "--virksomhet", ORGNR, "--json").stdout)
        assert f"Kari Hansen (innlogget som {entry['av']})" in text
        assert entry["pa_vegne_av"] == "Kari Hansen"
    else:  # on files --av is who
        assert "Kari Hansen" in text and "innlogget" not in text


def as_another_user(tmp_path):
    """The command prefix that runs fravaer as someone the store folder does not let in, and the
    folder: as root, root without its power to read anyone's files (the folder is nobody's,
    mode 0700, as a store made with umask 077 is); as anyone else, their own folder at mode 000."""
    import shutil

    from tests.helpers import REPO

    folder = tmp_path / "lager"
    shutil.copytree(REPO / "data" / "eksempel", folder)
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("setpriv (util-linux) is not installed")
        os.chown(folder, 65534, 65534)
        folder.chmod(0o700)
        return [setpriv, "--bounding-set", "-dac_override,-dac_read_search"], folder
    folder.chmod(0)
    return [], folder


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--virksomhet", "910000004"],
        ["log", "--virksomhet", "910000004"],
        ["preview", "--virksomhet", "910000004"],
        ["status", "--virksomhet", "910000004"],
        ["calendar", "--virksomhet", "910000004"],
        ["status", "--all"],
        ["list", "--virksomhet", "DDFL"],
    ],
)
def test_a_store_folder_that_may_not_be_read_is_exit_5_naming_it_not_an_office_not_found(tmp_path, args):
    import subprocess

    from tests.helpers import command

    prefix, folder = as_another_user(tmp_path)
    try:
        result = subprocess.run([*prefix, *command(folder, *args)], capture_output=True, text=True)
    finally:
        folder.chmod(0o700)
    assert result.returncode == 5, result.stderr
    assert result.stderr.strip() == f"Kan ikke lese lagringsmappen {folder}: ingen tilgang."


def test_status_all_json_lists_the_files_it_could_not_read(store_dir):
    from tests.helpers import OTHER_ORGNR, Fravaer

    fravaer = Fravaer(store_dir)
    assert fravaer(*add_args()).exit_code == 0
    (store_dir / f"{OTHER_ORGNR}.toml").write_text("schema = 1\n[virksomhet\n")
    result = fravaer("status", "--all", "--date", "01.08.2030", "--json")
    assert result.exit_code == 5
    report = json.loads(result.stdout)
    assert len(report["stengt"]) == 4
    (unreadable,) = report["uleselige"]
    assert f"{OTHER_ORGNR}.toml" in unreadable and unreadable in result.stderr
    good = json.loads(fravaer("status", "--virksomhet", ORGNR, "--date", "01.08.2030", "--json").stdout)
    assert "uleselige" not in good  # one office: it is read, or the command fails


def test_counts_of_one_are_singular(pg_dsn, tmp_path):
    from tests.helpers import run, run_database

    store = tmp_path / "lager"
    assert run(store, *add_args()).returncode == 0
    loaded = run_database(pg_dsn, "database", "load", str(store))
    assert loaded.returncode == 0 and "Lastet inn 1 virksomhet;" in loaded.stderr
    dumped = run_database(pg_dsn, "database", "dump", str(tmp_path / "ut"))
    assert dumped.returncode == 0 and "Skrev 1 virksomhet til" in dumped.stderr
    created = run(tmp_path / "annet", *add_args())
    assert f"Ny virksomhet {ORGNR} opprettet" in created.stderr


# -- Ctrl-C --------------------------------------------------------------------------------


def interrupted(args: list[str], after: float):
    """The installed fravaer, sent SIGINT (what Ctrl-C sends) after some seconds."""
    import signal
    import subprocess
    import time

    from tests.helpers import EXECUTABLE

    process = subprocess.Popen([EXECUTABLE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


@pytest.mark.slow
def test_ctrl_c_during_a_file_import_stores_all_of_it_or_none_and_says_so(tmp_path):
    """SIGINT spread from the reading of the file to the putting in place of its 20 offices:
    every office or none, one line saying which, and no temporary file left."""
    import time

    from tests.benchmarks import data
    from tests.helpers import run

    plan = tmp_path / "plan.csv"
    data.write_csv(plan, 20, 2000)
    start = time.monotonic()
    assert run(tmp_path / "whole", "import", str(plan)).returncode == 0
    took = time.monotonic() - start
    seen = set()
    for n, share in enumerate((0.05, 0.3, 0.5, 0.65, 0.75, 0.85, 0.92, 0.97, 1.02)):
        store = tmp_path / f"store{n}"
        code, _, err = interrupted(["--data-dir", str(store), "import", str(plan)], took * share)
        files = sorted(p.name for p in store.iterdir()) if store.exists() else []
        offices = [f for f in files if f.endswith(".toml")]
        assert not [f for f in files if f.endswith(".tmp")], files
        assert "Traceback" not in err and "Intern feil" not in err
        if code == 130:
            last = err.strip().splitlines()[-1]
            if offices:
                assert len(offices) == 20 and last == "Avbrutt etter at endringen var lagret: den er lagret helt."
            else:
                assert last == "Avbrutt."
            seen.add(bool(offices))
        else:
            assert code == 0 and len(offices) == 20  # done before the signal came
        if offices:
            assert run(store, "status", "--all", "--json").returncode == 0
    assert False in seen  # at least one Ctrl-C came in time to stop it


def test_ctrl_c_at_the_delete_prompt_is_exit_130_and_deletes_nothing(store_dir):
    import os
    import pty
    import signal
    import time

    from tests.helpers import EXECUTABLE, Fravaer, snapshot

    assert Fravaer(store_dir)(*add_args()).exit_code == 0
    before = snapshot(store_dir)
    pid, terminal = pty.fork()
    if pid == 0:  # the child: fravaer on a terminal of its own
        os.execv(EXECUTABLE, [EXECUTABLE, "--data-dir", str(store_dir), "delete", "1", "--virksomhet", ORGNR])
    said, deadline = b"", time.monotonic() + 30
    while b"[j/N]" not in said and time.monotonic() < deadline:
        said += os.read(terminal, 1024)
    os.write(terminal, b"\x03")  # Ctrl-C: the terminal sends SIGINT
    while True:
        try:
            chunk = os.read(terminal, 1024)
        except OSError:
            break
        if not chunk:
            break
        said += chunk
    _, status = os.waitpid(pid, 0)
    os.close(terminal)
    assert os.waitstatus_to_exitcode(status) == 130, said
    text = said.decode()
    assert "Avbrutt." in text and "Ingenting er slettet" not in text
    assert snapshot(store_dir) == before
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the tests' own process is as it was


# -- import: the check-first workflow says everything the real run will --------------------


def test_import_dry_run_says_every_note_and_warning_the_real_import_says(fravaer, tmp_path):
    from tests.helpers import OTHER_ORGNR

    assert fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "Øystein Åsheim").exit_code == 0
    assert fravaer(*add_args(behandler="Øystein Åsheim", fra="01.06.2027", til="02.06.2027")).exit_code == 0
    assert fravaer("roster", "remove", "--virksomhet", ORGNR, "--behandler", "Øystein Åsheim").exit_code == 0
    plan = tmp_path / "plan.csv"
    plan.write_text(
        "virksomhet,behandler,fra,til,tjenester\n"
        f"{ORGNR},Øysten Åsheim,05.07.2027,09.07.2027,alle\n"  # a near name; the only GP away: no GP
        f"{ORGNR},Øystein Åsheim,20.12.2027,24.12.2027,alle\n"  # reopens on 1. juledag
        f"{OTHER_ORGNR},Kari Nordmann,05.07.2027,09.07.2027,alle\n",  # a new office, its one GP away, no roster
        encoding="utf-8",
    )
    dry = fravaer("import", str(plan), "--dry-run", "--allow-past")
    assert dry.exit_code == 0, dry.stderr
    real = fravaer("import", str(plan), "--allow-past")
    assert real.exit_code == 0, real.stderr

    def said(stderr: str) -> list[str]:
        return [line.replace(" blir opprettet", " opprettet") for line in stderr.splitlines() if "EPJ" not in line]

    assert said(dry.stderr) == said(real.stderr)
    lines = said(real.stderr)
    assert any("«Øysten Åsheim» er ny hos" in line and "ligner «Øystein Åsheim»" in line for line in lines)
    assert any(f"Ny virksomhet {OTHER_ORGNR} opprettet" in line for line in lines)
    # Kari Nordmann's new office has no roster: she is its only known GP, which says nothing of the others.
    assert any(f"Merk: {OTHER_ORGNR} har ingen liste over fastleger" in line for line in lines)
    assert any("Merk: åpner igjen lørdag 25.12.2027, 1. juledag" in line for line in lines)
    assert f"Ny virksomhet {OTHER_ORGNR} blir opprettet" in dry.stderr


def test_import_says_how_many_warnings_it_did_not_show_and_json_has_them_all(fravaer, tmp_path):
    from tests.benchmarks.data import orgnrs

    offices = orgnrs(35)
    plan = tmp_path / "plan.csv"
    plan.write_text(
        "virksomhet,behandler,fra,til,tjenester\n"
        + "".join(
            f"{o},Eneste Lege,05.07.2027,09.07.2027,alle\n{o},Andre Lege,05.07.2027,09.07.2027,alle\n" for o in offices
        ),
        encoding="utf-8",
    )
    result = fravaer("import", str(plan), "--allow-past", "--dry-run")
    assert result.exit_code == 0, result.stderr
    shown = [line for line in result.stderr.splitlines() if line.startswith("Advarsel: ingen fastlege")]
    assert len(shown) == 10
    assert "… og 25 advarsler til (alle står i --json)." in result.stderr
    document = json.loads(fravaer("import", str(plan), "--allow-past", "--dry-run", "--json").stdout)
    assert len(document["advarsler"]) == 35 and all(
        w.startswith("Advarsel: ingen fastlege") for w in document["advarsler"]
    )
    assert any("Nye virksomheter blir opprettet" in n for n in document["merknader"])


# -- the helpdesk must never be told a wrong "open" ------------------------------------------


def office_with_kari(fravaer):
    assert fravaer("info", "--virksomhet", ORGNR, "--navn", "Legekontoret Grünerløkka").exit_code == 0
    for name in ("Kari Vik", "Siri Hansen", "Ole Dahl"):
        assert fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", name).exit_code == 0
    fravaer.add("--behandler", "Kari Vik", "--fra", "12.07.2027", "--til", "16.07.2027", "--tjeneste", "alle")
    fravaer.add("--behandler", "Siri Hansen", "--fra", "12.07.2027", "--til", "13.07.2027", "--tjeneste", "alle")


@pytest.mark.parametrize(
    "args",
    [
        ["preview", "--virksomhet", ORGNR, "--behandler", "Kari Vikk", "--date", "14.07.2027"],
        ["list", "--virksomhet", ORGNR, "--behandler", "Kari Vikk"],
    ],
)
def test_a_misspelt_gp_is_not_found_naming_the_close_name(fravaer, args):
    office_with_kari(fravaer)
    result = fravaer(*args)
    assert result.exit_code == 3, result.stdout
    assert "«Kari Vikk» er ingen fastlege hos Legekontoret Grünerløkka (974760673)" in result.stderr
    assert "Mente du «Kari Vik»?" in result.stderr and "tilgjengelig" not in result.stdout


def test_a_gp_on_the_roster_with_nothing_stored_is_all_open(fravaer):
    office_with_kari(fravaer)
    result = fravaer("preview", "--virksomhet", ORGNR, "--behandler", "ole dahl", "--date", "14.07.2027")
    assert result.exit_code == 0, result.stderr
    assert "Ingen fravær er registrert for «Ole Dahl»" in result.stdout and "tilgjengelige" in result.stdout
    listed = fravaer("list", "--virksomhet", ORGNR, "--behandler", "Ole Dahl")
    assert listed.exit_code == 0 and "Ingen fravær" in listed.stdout
    far = fravaer("preview", "--virksomhet", ORGNR, "--behandler", "Per Hansen", "--date", "14.07.2027")
    assert far.exit_code == 3 and "Legene her: Kari Vik, Ole Dahl, Siri Hansen." in far.stderr


def test_a_search_over_every_office_that_finds_nothing_names_the_close_names(fravaer):
    office_with_kari(fravaer)
    result = fravaer("list", "--all", "--behandler", "siri hanssen", "--include-past")
    assert result.exit_code == 0
    assert "Mente du «Siri Hansen» (Legekontoret Grünerløkka (974760673))?" in result.stderr
    found = fravaer("list", "--all", "--behandler", "siri hansen", "--include-past")
    assert found.exit_code == 0 and "Mente du" not in found.stderr and "Siri Hansen" in found.stdout


def test_names_match_word_by_word_in_any_order(fravaer):
    office_with_kari(fravaer)
    shown = fravaer("info", "--virksomhet", "grunerlokka legekontor")
    assert shown.exit_code == 0 and "974760673" in shown.stdout, shown.stderr
    for query in ("hansen siri", "HANSEN", "siri"):
        listed = json.loads(fravaer("list", "--all", "--behandler", query, "--include-past", "--json").stdout)
        assert [r["behandler"] for r in listed] == ["Siri Hansen"], query
        one = json.loads(
            fravaer("list", "--virksomhet", ORGNR, "--behandler", query, "--include-past", "--json").stdout
        )
        assert [r["behandler"] for r in one] == ["Siri Hansen"]
    preview = fravaer("preview", "--virksomhet", ORGNR, "--behandler", "vik kari", "--date", "14.07.2027")
    assert (
        preview.exit_code == 0 and preview.stdout.startswith("Kari Vik:\n") and "midlertidig stengt" in preview.stdout
    )
    assert fravaer("list", "--virksomhet", ORGNR, "--behandler", "hansen per").exit_code == 3


# -- what an office reads every day fits its terminal -------------------------------------


def a_busy_office(fravaer):
    assert fravaer("info", "--virksomhet", ORGNR, "--navn", "Legesenteret på Bryn").exit_code == 0
    fravaer.add("--behandler", "Øystein Åsheim", "--fra", "05.07.2027", "--til", "23.07.2027",
                "--tjeneste", "alle", "--kommentar", "Sommerferie, ring legevakten ved behov")  # fmt: skip
    fravaer.add("--behandler", "Kari Vik", "--fra", "12.07.2027", "--til", "16.07.2027", "--tjeneste", "alle",
                "--vikar", "timebestilling", "--kommentar", "Vikar: lege Lund")  # fmt: skip
    three = ["--tjeneste", "reseptfornyelse", "--tjeneste", "e-konsultasjon", "--tjeneste", "kontakt-legekontoret"]
    fravaer.add("--behandler", "Per Hansen", "--fra", "12.07.2027", "--til", "14.07.2027", *three)


def test_list_and_log_fit_80_columns_and_say_alle(fravaer):
    a_busy_office(fravaer)
    listed = fravaer("list", "--virksomhet", ORGNR, "--include-past", env={"COLUMNS": None})
    lines = listed.stdout.splitlines()
    assert max(map(len, lines)) <= 80, listed.stdout
    kari = next(line for line in lines if "Kari Vik" in line)
    assert "Resept, E-kons, Kontakt" in kari and "Time" in kari
    assert next(line for line in lines if "Åsheim" in line).split()[-1] == "Alle"
    assert "Kommentar" not in lines[0]  # no room left for it in 80 columns: not a line that wraps
    every = fravaer("list", "--all", "--include-past", env={"COLUMNS": None})
    assert max(map(len, every.stdout.splitlines())) <= 80 and "Legesenteret på Bryn (974760673)" in every.stdout
    wide = fravaer("list", "--virksomhet", ORGNR, "--include-past", env={"COLUMNS": "200"})
    assert "Kommentar" in wide.stdout.splitlines()[0] and "Sommerferie, ring legevakten ved behov" in wide.stdout
    some = fravaer("list", "--virksomhet", ORGNR, "--include-past", "--behandler", "Åsheim", env={"COLUMNS": None})
    assert "Sommerferie, ring legev…" in some.stdout and max(map(len, some.stdout.splitlines())) <= 80
    log = fravaer("log", "--virksomhet", ORGNR, env={"COLUMNS": None})
    assert max(map(len, log.stdout.splitlines())) <= 80, log.stdout
    assert "1: Øystein Åsheim, 05.07.2027–23.07.2027: alle tjenester" in log.stdout
    as_json = json.loads(fravaer("list", "--virksomhet", ORGNR, "--json").stdout)
    assert as_json[0]["tjenester"] == ["reseptfornyelse", "e-konsultasjon", "kontakt-legekontoret", "timebestilling"]


def test_status_text_has_a_summary_and_a_row_per_gps_stretch_in_80_columns(fravaer):
    from tests.helpers import OTHER_ORGNR

    a_busy_office(fravaer)
    fravaer.add("--behandler", "Anne Berg", "--fra", "01.07.2027", "--til", "31.07.2027", "--tjeneste", "alle",
                orgnr=OTHER_ORGNR)  # fmt: skip
    result = fravaer("status", "--all", "--date", "13.07.2027", env={"COLUMNS": None})
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 80, result.stdout
    assert lines[0].startswith("13.07.2027: stengt hos 4 leger ved 2 virksomheter, 1 lege har vikar.")
    closed = result.stdout.split("\n\n")[1]
    assert sum("Åsheim" in line for line in closed.splitlines()) == 1  # one row, not four
    assert "Legesenteret på Bryn (974760673)" in closed.splitlines() and OTHER_ORGNR in closed.splitlines()
    per = next(line for line in closed.splitlines() if "Per Hansen" in line)
    assert "Resept, E-kons, Kontakt" in per and "15.07.2027" in per
    as_json = json.loads(fravaer("status", "--all", "--date", "13.07.2027", "--json").stdout)
    assert sum(e["behandler"] == "Øystein Åsheim" for e in as_json["stengt"]) == 4  # a service each


@pytest.mark.parametrize(
    "day, prints", [("25.03.2027", False), ("26.03.2027", False), ("27.03.2027", False), ("24.03.2027", True)]
)
def test_status_workdays_only_is_silent_on_days_that_are_no_working_day(fravaer, day, prints):
    """Skjærtorsdag, langfredag and a Saturday say nothing; the Wednesday before Easter reports."""
    assert fravaer(*add_args(fra="22.03.2027", til="31.03.2027")).exit_code == 0
    result = fravaer("status", "--all", "--date", day, "--until-workday", "--workdays-only")
    assert result.exit_code == 0 and result.stderr == ""
    assert (result.stdout != "") == prints


# -- the shared store's messages -------------------------------------------------------------


def test_access_grant_of_a_login_that_does_not_exist_is_refused_naming_it(pg_server, pg_dsn):
    from tests.helpers import run_database

    assert run_database(pg_dsn, *add_args()).returncode == 0
    refused = run_database(pg_dsn, "access", "grant", "kari_finnes_ikke", "--virksomhet", ORGNR)
    assert refused.returncode == 2 and "«kari_finnes_ikke» finnes ikke i PostgreSQL" in refused.stderr
    assert "CREATE ROLE kari_finnes_ikke LOGIN" in refused.stderr and "har nå tilgang" not in refused.stderr
    pg_server.sql("postgres", "CREATE ROLE grant_test_kari LOGIN")
    granted = run_database(pg_dsn, "access", "grant", "grant_test_kari", "--virksomhet", ORGNR)
    assert granted.returncode == 0, granted.stderr


def test_a_refused_database_login_is_named_and_no_password_is_shown(pg_server):
    from tests.helpers import run_database

    wrong = pg_server.dsn(login="eier", password="hunter2-feil")
    refused = run_database(wrong, "list", "--all")
    assert refused.returncode == 5 and "innloggingen «eier»" in refused.stderr and "hunter2" not in refused.stderr
    nobody = run_database(pg_server.dsn(login="ingen_slik_login"), "list", "--all")
    assert nobody.returncode == 5 and "«ingen_slik_login»" in nobody.stderr
    broken = run_database(f"host={pg_server.socket} password=hunter2 dbname='fravaer", "list", "--all")
    assert broken.returncode == 5 and "hunter2" not in broken.stderr, broken.stderr


# -- found by a reliability run ----------------------------------------------------------------


def test_the_index_of_look_alike_names_finds_what_comparing_with_every_name_finds():
    """near_names through the index: the same names, in the same order, as the plain definition
    (every GP of the office one or two letters away, after folding)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from fravaer_cli.domain.model import make_draft
    from fravaer_cli.domain.names import NEAR, behandler_key, edit_distance, search_key
    from fravaer_cli.domain.virksomhet import Virksomhet

    names = st.text(alphabet="abøå éE", min_size=1, max_size=8).filter(lambda s: s.strip())

    @settings(max_examples=400, deadline=None)
    @given(st.lists(names, max_size=12), st.lists(names, max_size=4), names)
    def agrees(stored, roster, query):
        from datetime import date

        office = Virksomhet(ORGNR)
        for n, name in enumerate(stored):
            draft = make_draft(name, date(2030, 1, 1 + n), date(2030, 1, 1 + n), ["timebestilling"])
            office.add(draft, date(2024, 1, 1), False, "test", "t")
        office.near_names("x")  # the index made before the roster changes: it must follow them
        for name in roster:
            office.roster_add(name, None)
        known = {e.key: e.behandler for e in office.roster}
        known.update((f.key, f.behandler) for f in office.fravaer if f.key not in known)
        expected = (
            []
            if office.knows(query)
            else [
                name
                for key, name in known.items()
                if key != behandler_key(query) and edit_distance(search_key(query), search_key(name), NEAR) <= NEAR
            ]
        )
        assert office.near_names(query, limit=None) == expected
        # What a note asks for: the first of them, found without looking for the rest.
        assert office.near_names(query) == expected[:4]

    agrees()


def test_a_row_not_on_a_long_roster_is_not_compared_with_every_name_on_it(monkeypatch):
    """1,000 GPs on the roster (the most it holds): a misspelt one still gets its «Mente du», and a
    name like none of them costs a few comparisons, not 1,000 (a file of 1,000 such rows took minutes
    with 5,000)."""
    from fravaer_cli.domain import names, virksomhet
    from fravaer_cli.domain.errors import InputError
    from tests.benchmarks.data import gp_name

    office = virksomhet.Virksomhet(ORGNR)
    for n in range(virksomhet.MAX_ROSTER):
        office.roster_add(gp_name(n), None)
    calls = []
    plain = names.edit_distance

    def counted(a, b, limit=names.NEAR):
        calls.append((a, b))
        return plain(a, b, limit)

    # Where each comparison is looked up: the roster's closest name, and the index's check.
    monkeypatch.setattr(virksomhet, "edit_distance", counted)
    monkeypatch.setattr(names, "near_distance", counted)
    with pytest.raises(InputError, match="Mente du «Kari Hansen»"):
        office.check_on_roster("Kari Hansenn")
    assert calls  # the comparisons are counted
    with pytest.raises(InputError, match="står ikke på listen"):
        office.check_on_roster("Zyxwv Qwerty")
    assert len(calls) < 100


def peak_mib(command: list[str]) -> float:
    """The peak memory of one run of a command, its output thrown away."""
    import subprocess

    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, process.stderr.read().decode()
    process.stderr.close()
    return usage.ru_maxrss / 1024


def write_log(path, count: int) -> None:
    """count log entries, written a line at a time: this process stays small, since a child
    process's peak memory counts its parent's size at the fork."""
    record = {"behandler": "Lege Testesen", "fra": "2030-01-01", "til": "2030-01-02"}
    rest = {"tjenester": ["timebestilling"], "vikar": [], "kommentar": "x" * 100, "registrert_av": "t"}
    line = {"tid": "2030-01-01T08:00:00+01:00", "av": "t", "handling": "add"}
    with open(path, "w", encoding="utf-8") as f:
        for n in range(1, count + 1):
            f.write(json.dumps({**line, "fravaer": {"id": str(n), **record, **rest}}, ensure_ascii=False) + "\n")


@pytest.mark.slow
def test_log_reads_a_long_log_an_entry_at_a_time_on_files(tmp_path):
    """A log of 100,000 entries (about 30 MB) costs no more memory than one of 1,000, in every
    format and with the filters: it is streamed, not read whole (a million took 4 GB)."""
    from fravaer_cli.store.files.filestore import FileStore
    from tests.helpers import command, run

    peaks = {}
    for count in (1_000, 100_000):
        store = tmp_path / f"store{count}"
        assert run(store, *add_args()).returncode == 0
        write_log(store / f"{ORGNR}.log", count)
        for args in (["--json"], ["--format", "csv"], [], ["--behandler", "testesen"], ["--date", "01.01.2030"]):
            peaks[count, tuple(args)] = peak_mib(command(store, "log", "--virksomhet", ORGNR, *args))
    for args in {a for _, a in peaks}:
        assert peaks[100_000, args] < peaks[1_000, args] + 15, (args, peaks)
    shown = json.loads(run(tmp_path / "store1000", "log", "--virksomhet", ORGNR, "--json").stdout)
    assert len(shown) == 1_000 and shown[-1]["fravaer"]["id"] == "1000"
    assert shown == FileStore(tmp_path / "store1000").read_log(ORGNR)  # the streamed JSON is the list's JSON


@pytest.mark.slow
def test_log_reads_a_long_log_an_entry_at_a_time_on_the_database(pg_server, pg_dsn):
    from tests.helpers import EXECUTABLE, run_database

    assert run_database(pg_dsn, *add_args()).returncode == 0
    database = pg_dsn.split("dbname=")[1].split()[0]
    peaks = {}
    for total in (1_000, 100_000):
        have = pg_server.sql(database, f"SELECT count(*) FROM fravaer.logg WHERE orgnr = '{ORGNR}'")[0][0]
        pg_server.sql(
            database,
            "INSERT INTO fravaer.logg (orgnr, tid, av, handling, oppforing) SELECT '974760673', "
            "'2030-01-01T08:00:00+01:00', 'eier', 'add', jsonb_build_object('tid', '2030-01-01T08:00:00+01:00', "
            "'handling', 'add', 'fravaer', jsonb_build_object('id', n::text, 'behandler', 'Lege Testesen', "
            "'fra', '2030-01-01', 'til', '2030-01-02', 'tjenester', '[\"timebestilling\"]'::jsonb, "
            f"'vikar', '[]'::jsonb, 'kommentar', repeat('x', 100))) FROM generate_series(1, {total - have}) n",
        )
        peaks[total] = peak_mib([EXECUTABLE, "--database", pg_dsn, "log", "--virksomhet", ORGNR, "--json"])
    assert peaks[100_000] < peaks[1_000] + 15, peaks
    shown = run_database(pg_dsn, "log", "--virksomhet", ORGNR, "--json").stdout
    assert shown.count('"handling": "add"') == 100_000


# -- spreadsheets as offices make them -------------------------------------------------------


def write_xlsx(path, rows: list[list]) -> None:
    """A minimal .xlsx of these rows, as a spreadsheet program would save a plan with a title row above it."""
    write_sheet(
        path, {f"{chr(65 + i)}{n}": v for n, row in enumerate(rows, start=1) for i, v in enumerate(row) if v != ""}
    )


PLAN_ROWS = [
    ["Sommerplan 2027 – Legesenteret Nord"],
    [],
    ["Virksomhet", "Navn", "Behandler", "Fra", "Til", "Tjenester", "Vikar", "Merknad"],
    [974760673, "Legesenteret Nord", "Kari Vik", "05.07.2027", "09.07.2027", "Alle tjenester", "", "Ferie"],
    [974760673, "Legesenteret Nord", "Ole Dahl", "12.07.2027", "16.07.2027", "Reseptfornyelse", "timebestilling", ""],
    ["Totalt", "", "", "", "", "", "", 2],
]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_plan_as_offices_write_it_imports_title_total_row_and_all(fravaer, tmp_path, kind):
    plan = tmp_path / f"sommer.{kind}"
    if kind == "xlsx":
        write_xlsx(plan, PLAN_ROWS)
    else:
        plan.write_text("\n".join(";".join(str(c) for c in row) for row in PLAN_ROWS) + "\n", encoding="utf-8")
    result = fravaer("import", str(plan), "--allow-past")
    assert result.exit_code == 0, result.stderr
    assert "raden «Sommerplan 2027 – Legesenteret Nord» over overskriftene er hoppet over" in result.stderr
    assert "hoppet over: «Totalt» er ikke et organisasjonsnummer og raden har ingen datoer." in result.stderr
    assert "1 ny virksomhet opprettet med navn fra filen." in result.stderr
    listed = json.loads(fravaer("list", "--virksomhet", ORGNR, "--include-past", "--json").stdout)
    assert [(r["behandler"], len(r["tjenester"]), r["vikar"], r["kommentar"]) for r in listed] == [
        ("Kari Vik", 4, [], "Ferie"),
        ("Ole Dahl", 1, ["timebestilling"], ""),
    ]
    info = json.loads(fravaer("info", "--virksomhet", ORGNR, "--json").stdout)
    assert info["navn"] == "Legesenteret Nord"
    log = json.loads(fravaer("log", "--virksomhet", ORGNR, "--json").stdout)
    assert [e["handling"] for e in log].count("info") == 1


def test_spreadsheet_cells_that_are_wrong_say_what_is_wrong_and_what_goes_where(fravaer, tmp_path):
    plan = tmp_path / "feil.xlsx"
    write_xlsx(
        plan,
        [
            ["virksomhet", "behandler", "fra", "til", "tjenester", "vikar"],
            [974760673, "Kari Vik", "05.07.2027", "", "alle", ""],
            [974760673, "Ole Dahl", "05.07.2027", "09.07.2027", "Timebestiling", ""],
            [974760673, "Per Hansen", "05.07.2027", "09.07.2027", "reseptfornyelse", "Dr. Lund"],
        ],
    )
    result = fravaer("import", str(plan), "--allow-past")
    assert result.exit_code == 2
    assert "rad 2, kolonne «til»: mangler (til og med-dato, som 12.06.2024)" in result.stderr
    assert "Ugyldig" not in result.stderr.split("rad 3")[0]
    assert "rad 3, kolonne «tjenester»: Ukjent tjeneste: «Timebestiling». Mente du «timebestilling»?" in result.stderr
    assert "Kolonnen vikar tar tjenestene som vikaren tar" in result.stderr and "kommentar" in result.stderr


def test_an_import_of_many_new_gps_compares_each_with_its_look_alikes_only(monkeypatch, tmp_path):
    """2,000 rows, each a GP of their own, into one office: the look-alike check compares a new
    name with a few names, not with every name before it (4,000 such rows took two minutes)."""
    from fravaer_cli.domain import names, virksomhet
    from fravaer_cli.store.files.filestore import FileStore
    from fravaer_cli.usecases import operations
    from tests.benchmarks import data

    plan = tmp_path / "plan.csv"
    data.write_csv(plan, 1, 2000, distinct_gps=True)
    calls = []
    plain = names.edit_distance
    for module, name in ((virksomhet, "edit_distance"), (names, "near_distance")):
        monkeypatch.setattr(module, name, lambda a, b, limit=names.NEAR: calls.append(1) or plain(a, b, limit))
    store = FileStore(tmp_path / "store", av="test")
    _, result = operations.import_rows(store, plan.read_bytes(), "plan.csv", date(2024, 1, 1), False, "t", False)
    assert not result.errors and result.added == 2000
    assert 0 < len(calls) < 20 * 2000, len(calls)  # comparing with every name before: 2,000,000


def test_the_remainders_of_a_name_are_every_way_of_taking_one_or_two_letters_out():
    import itertools

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from fravaer_cli.domain.names import _deletions

    def plain(text: str) -> frozenset:
        out = {text}
        for k in (1, 2):
            for gone in itertools.combinations(range(len(text)), k):
                out.add("".join(c for i, c in enumerate(text) if i not in gone))
        return frozenset(out)

    @settings(max_examples=500, deadline=None)
    @given(st.text(alphabet="ab cø", max_size=10))
    def agrees(text):
        assert _deletions.__wrapped__(text) == plain(text)

    agrees()


def test_add_and_edit_dry_runs_say_every_note_and_warning_the_real_runs_say(fravaer):
    """A dry run says what the run would say: the new office, the reopening day that is a public
    holiday, the look-alike name, the days without a GP; only the confirmation differs."""

    def said(stderr: str) -> list[str]:
        kept = [
            line for line in stderr.splitlines() if "EPJ" not in line and not line.startswith(("Tørr", "Reg", "End"))
        ]
        return [line.replace(" blir opprettet", " opprettet") for line in kept if not line.startswith("  til ")]

    first = add_args(behandler="Øystein Åsheim", fra="20.12.2027", til="24.12.2027")
    dry = fravaer(*first, "--allow-past", "--dry-run")
    assert dry.exit_code == 0 and dry.stdout == "", dry.stderr
    real = fravaer(*first, "--allow-past")
    assert real.exit_code == 0, real.stderr
    assert said(dry.stderr) == said(real.stderr)
    assert f"Ny virksomhet {ORGNR} blir opprettet" in dry.stderr
    assert "Merk: åpner igjen lørdag 25.12.2027, 1. juledag" in dry.stderr
    near = add_args(behandler="Øysten Åsheim", fra="05.07.2027", til="09.07.2027")
    dry, real = fravaer(*near, "--allow-past", "--dry-run"), fravaer(*near, "--allow-past")
    assert said(dry.stderr) == said(real.stderr) and "ligner «Øystein Åsheim»" in dry.stderr
    moved = ["edit", "1", "--virksomhet", ORGNR, "--til", "31.12.2027"]
    dry = fravaer(*moved, "--allow-past", "--dry-run")
    real = fravaer(*moved, "--allow-past")
    assert dry.exit_code == real.exit_code == 0, dry.stderr + real.stderr
    assert said(dry.stderr) == said(real.stderr)
    assert "Merk: åpner igjen lørdag 01.01.2028" in dry.stderr


def test_a_search_over_every_office_gives_one_answer_and_a_wrong_hpr_number_gets_close_ones(fravaer):
    """«Ingen fravær nå eller fremover» says the GP is there and at work: for a name no GP has,
    the one answer is that no GP has it, with the close names (or numbers)."""
    office_with_kari(fravaer)
    assert fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "Ole Dahl", "--hpr", "9144889").exit_code == 0
    misspelt = fravaer("list", "--all", "--behandler", "siri hanssen")
    assert misspelt.exit_code == 0 and misspelt.stdout == ""
    assert misspelt.stderr.startswith("Ingen fastlege har «siri hanssen» i navnet. Mente du «Siri Hansen»")
    wrong = fravaer("list", "--all", "--behandler", "9144898")
    assert wrong.exit_code == 0 and wrong.stdout == ""
    assert "Ingen fastlege har HPR-nummer 9144898" in wrong.stderr and "«9144889: Ole Dahl»" in wrong.stderr
    assert json.loads(fravaer("list", "--all", "--behandler", "9144898", "--json").stdout) == []
    at_work = fravaer("list", "--all", "--behandler", "Ole Dahl")  # a GP with nothing registered
    assert at_work.exit_code == 0 and "Ingen fravær" in at_work.stdout and at_work.stderr == ""


def test_without_a_roster_the_first_fravaer_says_the_office_has_no_roster_not_no_gp(fravaer):
    first = fravaer(*add_args(behandler="Kari Vik", fra="12.07.2027", til="16.07.2027"))
    assert first.exit_code == 0, first.stderr
    assert "Advarsel" not in first.stderr
    assert (
        "Merk: 974760673 har ingen liste over fastleger, og «Kari Vik» er den eneste legen med fravær" in first.stderr
    )
    assert f"«fravaer roster add --virksomhet {ORGNR} --behandler NAVN»" in first.stderr
    # With a roster, a GP alone on it who is away leaves the office without a GP: the warning.
    assert fravaer("roster", "add", "--virksomhet", ORGNR, "--behandler", "Kari Vik").exit_code == 0
    second = fravaer(*add_args(behandler="Kari Vik", fra="19.07.2027", til="20.07.2027"))
    assert "Advarsel: ingen fastlege ved 974760673 19.07.–20.07.2027 (ingen vikar registrert)." in second.stderr
