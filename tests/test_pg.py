"""The shared store on a real PostgreSQL server: access per office enforced by the database,
concurrent writers, the audit log, load and dump, and what a user sees when the server is not right."""

import json
import os
import random
import signal
import subprocess
import threading
import time

import psycopg2
import pytest

from tests.benchmarks import data
from tests.helpers import EXECUTABLE, ORGNR, OTHER_ORGNR, REPO, add_args, run, run_database

A, B = ORGNR, OTHER_ORGNR
# Many writers wait for one office's lock in turn; on a loaded machine that can take a while.
PATIENT = {**os.environ, "FRAVAER_LOCK_TIMEOUT": "60"}


def as_login(pg_server, dsn: str, login: str) -> str:
    """The same database, as another login."""
    return dsn.replace("user=eier password=pw-eier", f"user={login} password=pw-{login}")


@pytest.fixture
def offices(pg_server, pg_dsn):
    """Offices A and B with a fravær each; kari is given A, ola B; kim is kundesenter, ada admin."""
    for orgnr, navn in ((A, "DDFL Test"), (B, "Legesenteret på Bryn")):
        assert run_database(pg_dsn, "info", "--virksomhet", orgnr, "--navn", navn).returncode == 0
        assert run_database(pg_dsn, *add_args(orgnr=orgnr, behandler=f"Lege {orgnr}")).returncode == 0
    assert run_database(pg_dsn, "access", "grant", "kari", "--virksomhet", A).returncode == 0
    assert run_database(pg_dsn, "access", "grant", "ola", "--virksomhet", B).returncode == 0
    pg_server.sql("postgres", "GRANT fravaer_kundesenter TO kim")
    pg_server.sql("postgres", "GRANT fravaer_admin TO ada")
    return {login: as_login(pg_server, pg_dsn, login) for login in ("eier", "kari", "ola", "kim", "ada")}


def test_a_login_reads_and_changes_only_its_own_offices(offices):
    kari = offices["kari"]
    for args in (
        ["list", "--virksomhet", B],
        ["status", "--virksomhet", B],
        ["preview", "--virksomhet", B],
        ["log", "--virksomhet", B],
        ["info", "--virksomhet", B],
        add_args(orgnr=B, fra="01.09.2030", til="02.09.2030"),
        ["edit", "1", "--virksomhet", B, "--kommentar", "x"],
        ["delete", "1", "--virksomhet", B, "--yes"],
        ["info", "--virksomhet", B, "--set", "x"],
    ):
        result = run_database(kari, *args)
        assert result.returncode == 3, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert run_database(kari, "list", "--virksomhet", "bryn").returncode == 2  # a name only B has: no such office
    listed = json.loads(run_database(kari, "list", "--all", "--json").stdout)
    assert {r["virksomhet"] for r in listed} == {A}
    status = json.loads(run_database(kari, "status", "--all", "--json", "--date", "01.08.2030").stdout)
    assert {e["virksomhet"] for e in status["stengt"]} == {A}
    assert run_database(kari, *add_args(orgnr=A, fra="01.09.2030", til="02.09.2030")).returncode == 0
    assert json.loads(run_database(offices["ola"], "list", "--all", "--json").stdout)[0]["virksomhet"] == B


def test_an_import_that_names_an_office_the_login_may_not_write_stores_nothing(offices, tmp_path):
    """The import locks every office its file names before it checks a row: B's refusal comes
    first, and A, which kari may write, is left as it was too."""
    from tests.helpers import Fravaer

    plan = tmp_path / "plan.csv"
    plan.write_text(
        "virksomhet;behandler;fra;til;tjenester\n"
        + "".join(f"{orgnr};Kari Ny;1.9.2030;2.9.2030;alle\n" for orgnr in (A, B)),
        encoding="utf-8",
    )
    database = Fravaer(None, database=offices["eier"])
    before = database.snapshot()
    result = run_database(offices["kari"], "import", str(plan))
    assert result.returncode == 3 and B in result.stderr and "Traceback" not in result.stderr
    assert database.snapshot() == before
    assert run_database(offices["ada"], "import", str(plan)).returncode == 0  # an admin may write both


def test_an_import_needs_no_temp_privilege(offices, pg_server, tmp_path):
    """What an import sends goes into the store's own table (migration 9), not a temporary one: a
    database whose DBA revoked TEMP from PUBLIC imports as well."""
    database = offices["kari"].split("dbname=")[1].split()[0]
    pg_server.sql("postgres", f"REVOKE TEMP ON DATABASE {database} FROM PUBLIC")
    plan = tmp_path / "plan.csv"
    plan.write_text(f"virksomhet;behandler;fra;til;tjenester\n{A};Kari Ny;1.9.2030;2.9.2030;alle\n", encoding="utf-8")
    result = run_database(offices["kari"], "import", str(plan))
    assert result.returncode == 0, result.stderr
    listed = run_database(offices["kari"], "list", "--virksomhet", A, "--behandler", "Kari Ny", "--json")
    assert [r["fra"] for r in json.loads(listed.stdout)] == ["2030-09-01"]


def test_sql_by_hand_as_kari_reaches_no_table_and_the_interface_nothing_of_b(offices):
    """Issue 21: a login has no privilege on any table; the store's functions give and take only
    its own offices."""
    conn = psycopg2.connect(offices["kari"])
    conn.autocommit = True
    with conn.cursor() as cur:
        for statement in (
            *(f"SELECT count(*) FROM fravaer.{table}" for table in ("virksomhet", "fravaer", "fravaer_sok", "logg")),
            f"UPDATE fravaer.fravaer SET til = '2031-01-01' WHERE orgnr = '{A}'",
            f"INSERT INTO fravaer.tilgang (login, orgnr) VALUES ('kari', '{B}')",
            "SELECT nextval('fravaer.logg_nr_seq')",
        ):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute(statement)
        cur.execute("SELECT DISTINCT orgnr FROM fravaer_api.kontorer()")
        assert cur.fetchall() == [(A,)]
        cur.execute("SELECT count(*) FROM fravaer_api.logg(%s)", (B,))
        assert cur.fetchone() == (0,)
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            request = {"handlinger": [{"orgnr": B, "handling": "info", "navn": "x", "info": None}]}
            cur.execute("SELECT * FROM fravaer_api.endre(%s::json)", (json.dumps(request),))
        cur.execute("SELECT * FROM fravaer_api.laas(%s, true)", ([B],))
        assert cur.fetchall() == []  # not kari's to see, or to create
    conn.close()
    conn = psycopg2.connect(offices["kari"])  # in a transaction: a lock would last until its end
    with pytest.raises(psycopg2.errors.InsufficientPrivilege), conn.cursor() as cur:
        cur.execute("LOCK TABLE fravaer.virksomhet IN ACCESS EXCLUSIVE MODE")
    conn.close()
    listed = json.loads(run_database(offices["eier"], "list", "--virksomhet", B, "--json").stdout)
    assert [(r["id"], r["til"]) for r in listed] == [("1", "2030-08-02")]


def test_every_fravaer_and_log_row_names_a_stored_office_and_no_office_goes(offices, pg_server):
    """What a foreign key kept, kept by the schema's triggers, for the server's superuser too; no
    login reaches the tables at all."""
    missing = "123456785"  # kari is given it, but no office is stored for it
    database = offices["eier"].split("dbname=")[1].split()[0]
    pg_server.sql(database, f"INSERT INTO fravaer.tilgang (login, orgnr) VALUES ('kari', '{missing}')")
    no_office, kept, not_granted = "23503", "23001", "42501"
    statements = {
        "INSERT INTO fravaer.fravaer (orgnr, id, behandler, behandler_sok, fra, til, tjenester) "
        f"VALUES ('{missing}', '1', 'x', 'x', '2030-01-01', '2030-01-02', '{{timebestilling}}')": no_office,
        f"INSERT INTO fravaer.logg (orgnr, tid, handling, oppforing) VALUES ('{missing}', 't', 'add', '{{}}')": (
            no_office
        ),
        f"UPDATE fravaer.fravaer SET orgnr = '{missing}' WHERE orgnr = '{A}'": no_office,
        f"UPDATE fravaer.virksomhet SET orgnr = '{missing}' WHERE orgnr = '{A}'": kept,
        f"DELETE FROM fravaer.virksomhet WHERE orgnr = '{A}'": kept,
        "TRUNCATE fravaer.virksomhet CASCADE": kept,
    }
    for statement, code in statements.items():
        with pytest.raises(psycopg2.Error) as refused:
            pg_server.sql(database, statement)
        assert refused.value.pgcode == code, statement
    for login in ("eier", "ada", "kari"):
        conn = psycopg2.connect(offices[login])
        conn.autocommit = True
        with conn.cursor() as cur:
            for statement in statements:
                with pytest.raises(psycopg2.Error) as refused:
                    cur.execute(statement)
                assert refused.value.pgcode == not_granted, (login, statement)
        conn.close()
    for login in ("eier", "kari"):  # what is allowed still is
        assert run_database(offices[login], "info", "--virksomhet", A, "--set", f"Av {login}").returncode == 0
    listed = json.loads(run_database(offices["eier"], "list", "--virksomhet", A, "--json").stdout)
    assert [r["id"] for r in listed] == ["1"]
    assert len(json.loads(run_database(offices["eier"], "log", "--virksomhet", A, "--json").stdout)) == 4


def test_the_kundesenter_reads_everything_and_writes_nothing(offices):
    kim = offices["kim"]
    listed = json.loads(run_database(kim, "list", "--all", "--json").stdout)
    assert {r["virksomhet"] for r in listed} == {A, B}
    assert run_database(kim, "log", "--virksomhet", "bryn").returncode == 0
    for args in (add_args(orgnr=B, fra="01.09.2030", til="02.09.2030"), ["delete", "1", "--virksomhet", B, "--yes"]):
        result = run_database(kim, *args)
        assert result.returncode == 5, result.stderr
        assert "har ikke skrivetilgang" in result.stderr
    refused = run_database(kim, "access", "grant", "kim", "--virksomhet", B)
    assert refused.returncode == 5 and "fravaer_admin" in refused.stderr


def test_a_dry_run_checks_access_as_the_real_run_does(offices, tmp_path):
    kari, kim = offices["kari"], offices["kim"]
    new_office = "123456785"
    plan = tmp_path / "plan.csv"
    plan.write_text(f"virksomhet;behandler;fra;til;tjenester\n{B};Per Test;01.09.2030;02.09.2030;alle\n")
    before = run_database(offices["eier"], "log", "--virksomhet", B, "--json").stdout
    cases = [
        (kari, add_args(orgnr=B, fra="01.09.2030", til="02.09.2030"), 3),
        (kari, add_args(orgnr=new_office), 3),
        (kari, ["import", str(plan)], 3),
        (kim, add_args(orgnr=A, fra="01.09.2030", til="02.09.2030"), 5),
        (kim, ["import", str(plan)], 5),
        (kim, ["delete", "1", "--virksomhet", A, "--yes"], 5),
        (kim, ["edit", "1", "--virksomhet", A, "--til", "03.08.2030"], 5),
    ]
    for login, args, code in cases:
        real = run_database(login, *args)
        dry = run_database(login, *args, "--dry-run")
        assert (real.returncode, dry.returncode) == (code, code), (args, real.stderr, dry.stderr)
        assert "ville" not in dry.stderr and dry.stderr == real.stderr, args
    assert run_database(kari, *add_args(orgnr=A, fra="01.09.2030", til="02.09.2030"), "--dry-run").returncode == 0
    assert run_database(offices["eier"], "log", "--virksomhet", B, "--json").stdout == before
    assert run_database(offices["eier"], "list", "--virksomhet", new_office).returncode == 3


def test_only_admin_grants(offices):
    assert run_database(offices["kari"], "access", "grant", "kari", "--virksomhet", A).returncode == 5
    assert run_database(offices["ada"], "access", "grant", "kari", "--virksomhet", B).returncode == 0
    assert json.loads(run_database(offices["kari"], "list", "--virksomhet", B, "--json").stdout)
    assert run_database(offices["ada"], "access", "revoke", "kari", "--virksomhet", B).returncode == 0
    assert run_database(offices["kari"], "list", "--virksomhet", B).returncode == 3
    mine = json.loads(run_database(offices["kari"], "access", "list", "--json").stdout)
    assert [(r["login"], r["virksomhet"]) for r in mine] == [("kari", A)]


def test_access_list_says_what_the_logins_role_gives_it(offices):
    """The kundesenter reads every office by its role, with no grant of its own: not «Ingen tilganger»."""
    kim = run_database(offices["kim"], "access", "list")
    assert kim.returncode == 0, kim.stderr
    assert "Ingen tilganger." not in kim.stdout
    assert "kim er medlem av fravaer_kundesenter: leser alle virksomheter." in kim.stdout
    ada = run_database(offices["ada"], "access", "list")
    assert "ada er medlem av fravaer_admin: leser og skriver alle virksomheter" in ada.stdout
    kari = run_database(offices["kari"], "access", "list")
    assert "medlem av" not in kari.stdout and "kari" in kari.stdout


def test_the_log_records_the_login_and_no_login_can_change_it(offices, pg_server):
    assert run_database(offices["kari"], "--av", "Kari Nordmann", "edit", "1", "--virksomhet", A, "--til", "03.08.2030")
    log = json.loads(run_database(offices["kari"], "log", "--virksomhet", A, "--json").stdout)
    assert [(e["av"], e["handling"]) for e in log] == [("eier", "info"), ("eier", "add"), ("kari", "edit")]
    assert log[-1]["pa_vegne_av"] == "Kari Nordmann"
    for login in ("eier", "ada", "kari"):  # the schema's owner, an admin, an office's own login
        conn = psycopg2.connect(offices[login])
        conn.autocommit = True
        with conn.cursor() as cur:
            for statement in ("UPDATE logg SET av = 'x'", "DELETE FROM logg", "TRUNCATE logg"):
                with pytest.raises(psycopg2.Error):
                    cur.execute(statement)
        conn.close()
    assert len(json.loads(run_database(offices["eier"], "log", "--virksomhet", A, "--json").stdout)) == 3


@pytest.mark.slow
def test_two_machines_adding_overlapping_fravaer_at_once_one_wins(pg_dsn):
    assert run_database(pg_dsn, "info", "--virksomhet", A, "--navn", "DDFL Test").returncode == 0
    for n in range(50):
        args = add_args(orgnr=A, behandler=f"Lege {n}", fra="01.07.2030", til="10.07.2030")
        other = add_args(orgnr=A, behandler=f"LEGE  {n}", fra="05.07.2030", til="12.07.2030", tjeneste="timebestilling")
        procs = [
            subprocess.Popen(
                [EXECUTABLE, "--database", pg_dsn, *a], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=PATIENT
            )
            for a in (args, other)
        ]
        codes = sorted(p.wait(timeout=60) for p in procs)
        assert codes == [0, 4], (n, [p.stderr.read() for p in procs])


@pytest.mark.slow
def test_thirty_adds_at_once_lose_nothing_and_get_unique_ids(pg_dsn):
    procs = [
        subprocess.Popen(
            [EXECUTABLE, "--database", pg_dsn, *add_args(orgnr=A, behandler=f"Lege {n}")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=PATIENT,
        )
        for n in range(30)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 30, [err for _, err in outputs]
    ids = sorted(int(out) for out, _ in outputs)
    assert ids == list(range(1, 31))
    listed = json.loads(run_database(pg_dsn, "list", "--virksomhet", A, "--json").stdout)
    assert len(listed) == 30
    assert len(json.loads(run_database(pg_dsn, "log", "--virksomhet", A, "--json").stdout)) == 30


def test_an_office_created_by_another_writer_meanwhile_is_used_not_refused(pg_dsn):
    # Another writer's new office A, not yet committed: this add waits for it, then uses it,
    # and does not say it created the office itself.
    other = psycopg2.connect(pg_dsn)
    with other.cursor() as cur:
        cur.execute("SELECT * FROM fravaer_api.laas(%s, true)", ([A],))
        request = {"handlinger": [{"orgnr": A, "handling": "info", "navn": "DDFL Test", "info": None}]}
        cur.execute("SELECT * FROM fravaer_api.endre(%s::json)", (json.dumps(request),))
    proc = subprocess.Popen(
        [EXECUTABLE, "--database", pg_dsn, *add_args(orgnr=A)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=PATIENT,
    )
    time.sleep(1.5)  # long enough for the add to reach the office's row and wait for it
    other.commit()
    other.close()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.strip() == "1"
    assert "Ny virksomhet" not in err
    assert json.loads(run_database(pg_dsn, "info", "--virksomhet", A, "--json").stdout)["navn"] == "DDFL Test"


@pytest.mark.slow
def test_a_killed_writer_leaves_the_change_with_its_log_entry_or_neither(pg_dsn):
    started = time.monotonic()
    assert run_database(pg_dsn, "info", "--virksomhet", A, "--navn", "DDFL Test").returncode == 0
    duration = time.monotonic() - started  # how long one write takes here, so the kills land around its commit
    # From long before the commit to well after it, and many around it: one call's time on a
    # shared machine varies by half, so a narrow window could miss the commit altogether.
    delays = [0.1, 0.3, *(0.5 + 0.05 * k for k in range(16)), 2.0, 3.0]
    random.Random(9).shuffle(delays)
    for n, delay in enumerate(delays):
        proc = subprocess.Popen(
            [EXECUTABLE, "--database", pg_dsn, *add_args(orgnr=A, behandler=f"Lege {n}")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay * duration)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    stored = {r["id"] for r in json.loads(run_database(pg_dsn, "list", "--all", "--json").stdout)}
    log = json.loads(run_database(pg_dsn, "log", "--virksomhet", A, "--json").stdout)
    logged = {e["fravaer"]["id"] for e in log if e["handling"] == "add"}
    assert stored == logged
    assert 0 < len(stored) < 20, "the kills should land both before and after some commits"


def comparable(folder):
    """A file store's offices, fravær, ids, next ids and log entries, as plain data."""
    from fravaer_cli.store.files.filestore import FileStore

    store = FileStore(folder)
    result = {}
    reading = store.iter_offices()
    for office in reading:
        result[office.orgnr] = (
            office.navn,
            office.info,
            office.next_id,
            sorted((f.id, f.behandler, f.fra, f.til, f.tjenester, f.vikar, f.kommentar) for f in office.fravaer),
            store.read_log(office.orgnr),
        )
    return result


def test_load_then_dump_gives_back_the_example_store(pg_dsn, tmp_path):
    source = REPO / "data" / "eksempel"
    assert run_database(pg_dsn, "database", "load", str(source)).returncode == 0
    again = run_database(pg_dsn, "database", "load", str(source))
    assert again.returncode == 0 and "Lastet inn 0 virksomheter" in again.stderr
    assert run_database(pg_dsn, "database", "dump", str(tmp_path / "ut")).returncode == 0
    assert comparable(tmp_path / "ut") == comparable(source)
    assert run_database(pg_dsn, "database", "dump", str(tmp_path / "ut")).returncode == 2  # not empty


def test_dump_into_a_folder_under_a_file_names_the_path_and_why(pg_dsn, tmp_path):
    """The error boundary says what failed: the folder asked for, not standard output."""
    (tmp_path / "enfil").write_text("x")
    result = run_database(pg_dsn, "database", "dump", str(tmp_path / "enfil" / "under"))
    assert result.returncode == 5, result.stderr
    assert str(tmp_path / "enfil") in result.stderr and "standard ut" not in result.stderr
    assert "ikke en mappe" in result.stderr and len(result.stderr.splitlines()) == 1


@pytest.mark.slow
def test_load_then_dump_of_a_national_store(pg_dsn, tmp_path):
    plan = tmp_path / "plan.csv"
    data.write_csv(plan, 2000, 5)
    source = tmp_path / "kilde"
    assert run(source, "import", str(plan)).returncode == 0
    assert run_database(pg_dsn, "database", "load", str(source)).returncode == 0
    assert run_database(pg_dsn, "database", "load", str(source)).returncode == 0
    assert run_database(pg_dsn, "database", "dump", str(tmp_path / "ut")).returncode == 0
    assert comparable(tmp_path / "ut") == comparable(source)


def test_a_server_that_is_not_right_is_exit_5_in_one_norwegian_line(pg_server, pg_dsn, tmp_path):
    stopped = f"host={tmp_path} dbname=fravaer user=eier"
    wrong_password = pg_server.dsn(database="postgres", password="feil")
    pg_server.sql("postgres", "CREATE DATABASE tom OWNER eier")
    no_schema = pg_server.dsn(database="tom")
    pg_server.sql("postgres", "CREATE DATABASE ny TEMPLATE mal OWNER eier")
    pg_server.sql("ny", "UPDATE fravaer.fravaer_schema SET versjon = 99")
    newer = pg_server.dsn(database="ny")
    for dsn, said in (
        (stopped, "Ingen PostgreSQL-server svarer"),
        (wrong_password, "avviste innloggingen"),
        (no_schema, "database init"),
        (newer, "oppgrader fravaer"),
    ):
        result = run_database(dsn, "status", "--all")
        assert result.returncode == 5, (dsn, result.stderr)
        assert said in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr and "pw-" not in result.stderr
        assert result.stderr[0].isupper(), result.stderr  # a sentence: «Databasen «tom» …»


def test_a_refused_peer_login_is_not_called_a_wrong_password(pg_server, pg_dsn):
    pg_server.sql("postgres", "DO $$ BEGIN CREATE ROLE peer_kari LOGIN; EXCEPTION WHEN duplicate_object THEN END $$")
    result = run_database(
        as_login(pg_server, pg_dsn, "peer_kari").replace(" password=pw-peer_kari", ""), "list", "--all"
    )
    assert result.returncode == 5
    assert "feil passord" not in result.stderr
    assert (
        "«peer_kari»" in result.stderr and "peer-autentisering" in result.stderr and "systembrukeren" in result.stderr
    )
    assert len(result.stderr.strip().splitlines()) == 1


def test_init_by_the_owner_of_a_second_database_needs_no_createrole_once_the_roles_are_there(pg_server):
    """The roles are the server's, made by the first init; a second database's owner without
    CREATEROLE is told what to ask for by name, and needs only membership, not CREATEROLE."""
    pg_server.sql(
        "postgres",
        "DO $$ BEGIN CREATE ROLE eier2 LOGIN PASSWORD 'pw-eier2'; EXCEPTION WHEN duplicate_object THEN END $$",
    )
    pg_server.sql("postgres", "CREATE DATABASE andre OWNER eier2")
    dsn = pg_server.dsn(login="eier2", database="andre")
    refused = run_database(dsn, "database", "init")
    assert refused.returncode == 5, refused.stderr
    assert "Innloggingen eier2 " in refused.stderr or "«eier2»" in refused.stderr
    assert "GRANT fravaer_eier, fravaer_admin TO eier2" in refused.stderr
    assert "har ikke skrivetilgang" not in refused.stderr
    pg_server.sql("postgres", "GRANT fravaer_eier, fravaer_admin TO eier2")
    made = run_database(dsn, "database", "init")
    assert made.returncode == 0, made.stderr
    assert run_database(dsn, *add_args()).returncode == 0


def test_database_and_data_dir_together_is_exit_2(pg_dsn, tmp_path):
    result = subprocess.run(
        [EXECUTABLE, "--database", pg_dsn, "--data-dir", str(tmp_path), "list", "--all"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "--database" in result.stderr
    # With only the variable set, an explicit --data-dir wins.
    assert run(tmp_path / "filer", *add_args(), env={"FRAVAER_DATABASE_URL": pg_dsn}).returncode == 0
    assert (tmp_path / "filer" / f"{A}.toml").exists()


def test_database_init_upgrades_a_schema_1_database_and_keeps_its_data(pg_server):
    from fravaer_cli.store.postgres import pgschema

    pg_server.sql("postgres", "CREATE DATABASE gammel OWNER eier")
    pg_server.sql("gammel", pgschema.ROLE_STATEMENTS, login="eier")
    (version, statements), *_ = pgschema.init_statements(0)
    assert version == 1
    pg_server.sql("gammel", statements + "UPDATE fravaer_schema SET versjon = 1;", login="eier")
    pg_server.sql(
        "gammel",
        "INSERT INTO virksomhet (orgnr, navn, neste_id) VALUES ('974760673', 'DDFL Test', 2);"
        f"INSERT INTO fravaer (orgnr, id, behandler, behandler_key, behandler_sok, fra, til, tjenester) {GAMMEL};"
        "INSERT INTO stengt (orgnr, fravaer_id, behandler_key, tjeneste, periode) "
        "VALUES ('974760673', '1', 'per test', 'timebestilling', '[2030-08-01,2030-08-10]');"
        "INSERT INTO logg (orgnr, tid, av, handling, oppforing) VALUES ('974760673', '2026-06-01T08:00:00+02:00', "
        '\'eier\', \'add\', \'{"handling": "add", "fravaer": {"id": "1", "behandler": "Per Test"}}\')',
        login="eier",
    )
    old = pg_server.dsn(database="gammel")
    refused = run_database(old, *add_args())
    assert refused.returncode == 5 and "database init" in refused.stderr
    upgraded = run_database(old, "database", "init")
    assert upgraded.returncode == 0 and upgraded.stdout.strip() == str(pgschema.SCHEMA)
    assert "oppgradert" in upgraded.stderr
    # The fravær stored before is kept, and the overlap rule now guards it in fravaer itself.
    listed = json.loads(run_database(old, "list", "--virksomhet", A, "--json").stdout)
    assert [(r["id"], r["behandler"], r["til"]) for r in listed] == [("1", "Per Test", "2030-08-10")]
    found = json.loads(run_database(old, "list", "--all", "--behandler", "per t", "--include-past", "--json").stdout)
    assert [r["id"] for r in found] == ["1"]  # the GP search table was filled from the fravær there
    logged = json.loads(run_database(old, "log", "--virksomhet", A, "--json").stdout)
    assert [(e["handling"], e["av"], e["fravaer"]["behandler"]) for e in logged] == [("add", "eier", "Per Test")]
    with pytest.raises(psycopg2.errors.ExclusionViolation):
        pg_server.sql("gammel", OVERLAPPING.format(id="2", tjenester="timebestilling,kontakt-legekontoret"))
    assert run_database(old, "roster", "add", "--virksomhet", A, "--behandler", "Per Test").returncode == 0
    assert run_database(old, *add_args(fra="01.09.2030", til="02.09.2030")).returncode == 0
    rows = json.loads(run_database(old, "roster", "list", "--virksomhet", A, "--json").stdout)
    assert rows == [{"behandler": "Per Test", "hpr": "", "pa_listen": True}]
    assert json.loads(run_database(old, "info", "--virksomhet", A, "--json").stdout)["navn"] == "DDFL Test"


GAMMEL = "VALUES ('974760673', '1', 'Per Test', 'per test', 'per test', '2030-08-01', '2030-08-10', '{timebestilling}')"
# A fravær for the same GP written by hand, from 05.08.2030 to 06.08.2030.
OVERLAPPING = (  # as the server's superuser: no login reaches the tables
    "INSERT INTO fravaer.fravaer (orgnr, id, behandler, behandler_sok, fra, til, tjenester) "
    "VALUES ('974760673', '{id}', 'Per Test', 'per test', '2030-08-05', '2030-08-06', '{{{tjenester}}}')"
)


def test_the_overlap_rule_holds_for_sql_by_hand(pg_server, pg_dsn):
    """The exclusion constraint, not only the program: same GP, overlapping days, a shared service."""
    from fravaer_cli.domain.catalogue import catalogue

    args = add_args(behandler="Per Test", fra="01.08.2030", til="10.08.2030", tjeneste="timebestilling")
    assert run_database(pg_dsn, *args).returncode == 0
    database = pg_dsn.split("dbname=")[1].split()[0]
    with pytest.raises(psycopg2.errors.ExclusionViolation):
        pg_server.sql(database, OVERLAPPING.format(id="2", tjenester="timebestilling,kontakt-legekontoret"))
    # Another service, or only a vikar (nothing closed), on the same days is no overlap.
    pg_server.sql(database, OVERLAPPING.format(id="3", tjenester="reseptfornyelse"))
    vikar_only = OVERLAPPING.format(id="4", tjenester="").replace("tjenester)", "tjenester, vikar)")
    pg_server.sql(database, vikar_only.replace("'{}')", "'{}', '{timebestilling}')"))
    # Every pair of the catalogue's services: overlapping only when they share one.
    keys = list(catalogue())
    for first, second in ((a, b) for a in keys for b in keys):
        pg_server.sql(database, "DELETE FROM fravaer.fravaer WHERE id <> '1'")
        other = "'2030-08-01', '2030-08-10'"
        pg_server.sql(database, OVERLAPPING.format(id="5", tjenester=first).replace("'2030-08-05', '2030-08-06'", other)
                      .replace("'Per Test'", "'Ola Test'"))  # fmt: skip
        statement = OVERLAPPING.format(id="6", tjenester=second).replace("'Per Test'", "'Ola Test'")
        if first == second:
            with pytest.raises(psycopg2.errors.ExclusionViolation):
                pg_server.sql(database, statement)
        else:
            pg_server.sql(database, statement)


def test_the_overlap_rule_holds_for_two_writers_by_hand_at_once_and_for_an_update(pg_server, pg_dsn):
    """Migration 7 checks the rule in a trigger: the second of two transactions waits for the
    first, then sees its fravær and fails; under REPEATABLE READ it fails to serialize instead;
    an UPDATE that makes an overlap fails as an INSERT does."""
    args = add_args(behandler="Per Test", fra="01.08.2030", til="10.08.2030", tjeneste="timebestilling")
    assert run_database(pg_dsn, *args).returncode == 0
    database = pg_dsn.split("dbname=")[1].split()[0]

    def connection(isolation: str):
        conn = psycopg2.connect(f"host={pg_server.socket} dbname={database} user=postgres")
        conn.set_session(isolation_level=isolation)
        return conn

    insert = (
        "INSERT INTO fravaer.fravaer (orgnr, id, behandler, behandler_sok, fra, til, tjenester) "
        "VALUES ('974760673', %s, 'per  TEST', 'per test', %s, %s, '{timebestilling}')"
    )
    for isolation, refused in [("READ COMMITTED", psycopg2.errors.ExclusionViolation),
                               ("REPEATABLE READ", psycopg2.errors.SerializationFailure)]:  # fmt: skip
        first, second = connection(isolation), connection(isolation)
        try:
            with first.cursor() as a, second.cursor() as b:
                b.execute("SELECT 1")  # the second's snapshot, taken before the first commits
                a.execute(insert, ("20", "2030-09-01", "2030-09-05"))
                errors: list[BaseException] = []
                clash = (insert, ("21", "2030-09-04", "2030-09-08"))
                waiting = threading.Thread(target=_catch, args=(errors, b.execute, *clash))
                waiting.start()
                waiting.join(1)
                assert waiting.is_alive()  # it waits for the first, which holds the office
                first.commit()
                waiting.join(30)
                assert [type(e) for e in errors] == [refused], (isolation, errors)
        finally:
            first.close()
            second.close()
        pg_server.sql(database, "DELETE FROM fravaer.fravaer WHERE id = '20'")

    pg_server.sql(database, insert % ("'30'", "'2030-10-01'", "'2030-10-02'"))
    with pytest.raises(psycopg2.errors.ExclusionViolation):
        pg_server.sql(database, "UPDATE fravaer.fravaer SET fra = '2030-08-09' WHERE id = '30'")
    assert [row["id"] for row in json.loads(run_database(pg_dsn, "list", "--virksomhet", A, "--json").stdout)] == [
        "1",
        "30",
    ]


def _catch(errors: list[BaseException], call, *args) -> None:
    try:
        call(*args)
    except BaseException as e:  # noqa: BLE001 - the test looks at what it was
        errors.append(e)


def test_load_and_dump_carry_the_roster(pg_dsn, tmp_path):
    files = tmp_path / "filer"
    assert run(files, "roster", "add", "--virksomhet", A, "--behandler", "Per Test", "--hpr", "9144889").returncode == 0
    assert run(files, *add_args(behandler="per test")).returncode == 0
    assert run_database(pg_dsn, "database", "load", str(files)).returncode == 0
    rows = json.loads(run_database(pg_dsn, "roster", "list", "--virksomhet", A, "--json").stdout)
    assert rows == [{"behandler": "Per Test", "hpr": "9144889", "pa_listen": True}]
    assert run_database(pg_dsn, "database", "dump", str(tmp_path / "ut")).returncode == 0
    assert (tmp_path / "ut" / f"{A}.toml").read_text() == (files / f"{A}.toml").read_text()


@pytest.mark.parametrize("count", [3, 1500], ids=["a change", "a load"])
def test_texts_of_every_kind_are_stored_as_they_are(pg_dsn, count):
    """Both ways rows go to the server (a change's JSON, a load's COPY) keep backslashes, quotes,
    braces and letters beyond ASCII. (Control characters the program never stores, and the
    database refuses them since migration 6.)"""
    from datetime import date, timedelta

    from fravaer_cli.domain.model import Fravaer
    from fravaer_cli.domain.virksomhet import Virksomhet
    from fravaer_cli.store.postgres.pgstore import PgStore

    awkward = ['Ann \\N "Lie"', "{a,b}", "back\\slash\\", "Ærlig Øystein 🙂", "", "NULL", "'; --"]
    records = [
        Fravaer(
            str(n + 1),
            f"Lege {n} {awkward[n % len(awkward)]}".strip(),
            date(2030, 1, 1) + timedelta(days=n),
            date(2030, 1, 1) + timedelta(days=n),
            ("timebestilling",),
            ("kontakt-legekontoret",) if n % 2 else (),
            kommentar=awkward[(n + 1) % len(awkward)],
            registrert_av=awkward[(n + 2) % len(awkward)],
        )
        for n in range(count)
    ]
    store = PgStore(pg_dsn)
    if count < 1000:
        with store.change(A, create=True) as change:
            for f in records:
                change.office.fravaer.append(f)
                change.record("add", f)
            change.office.next_id = count + 1
    else:
        entries = [{"tid": "t", "av": "a", "handling": "add", "fravaer": f.to_dict()} for f in records]
        store.write_copies([(Virksomhet(A, next_id=count + 1, fravaer=records), entries)])
    back = PgStore(pg_dsn).load(A).fravaer
    if count < 1000:  # a change: who registered it when are the server's (the login, its clock), whatever was sent
        assert {(f.registrert_av, f.registrert[:2]) for f in back} == {("eier", "20")}
        records = [
            f.replace(registrert_av=g.registrert_av, registrert=g.registrert)
            for f, g in zip(records, back, strict=True)
        ]
    assert back == records
    assert [e["fravaer"]["kommentar"] for e in PgStore(pg_dsn).read_log(A)] == [f.kommentar for f in records]


def test_a_call_to_the_database_does_not_import_ssl(pg_dsn):
    """psycopg2 is imported without Python's ssl module (pgstore.driver), 20 ms of every call."""
    import sys

    assert run_database(pg_dsn, *add_args()).returncode == 0
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "fravaer_cli", "--database", pg_dsn, "status", "--virksomhet", A],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    modules = {line.split("|")[2].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "psycopg2" in modules and "_ssl" not in modules  # (ssl is listed: its import is tried, and fails)


def test_a_bulk_insert_that_breaks_the_overlap_rule_fails_whole(pg_dsn):
    """Through COPY and the server's load function: one overlap refuses the whole load."""
    from datetime import date

    from fravaer_cli.domain.errors import ConflictError
    from fravaer_cli.domain.model import Fravaer
    from fravaer_cli.domain.virksomhet import Virksomhet
    from fravaer_cli.store.postgres.pgstore import PgStore

    day = date(2030, 1, 1)
    records = [Fravaer(str(n), f"Lege {n}", day, day, ("timebestilling",)) for n in range(1, 1500)]
    clash = Fravaer("1500", "Lege 7", day, day, ("timebestilling",))  # Lege 7's same day again
    store = PgStore(pg_dsn)
    with pytest.raises(ConflictError):
        store.write_copies([(Virksomhet(A, next_id=1501, fravaer=[*records, clash]), [])])
    assert PgStore(pg_dsn).orgnrs() == []
    assert PgStore(pg_dsn).write_copies([(Virksomhet(A, next_id=1500, fravaer=records), [])]) == [A]
    assert len(PgStore(pg_dsn).load(A).fravaer) == 1499


def test_a_gp_search_finds_what_sql_by_hand_stores_changes_and_deletes(pg_server, pg_dsn):
    """The search for a GP over every office reads fravaer_sok, which triggers keep."""
    database = pg_dsn.split("dbname=")[1].split()[0]
    assert run_database(pg_dsn, *add_args(behandler="Hanne Hand", fra="01.08.2030", til="02.08.2030")).returncode == 0
    assert run_database(pg_dsn, *add_args(behandler="Hanne Hand", fra="01.09.2030", til="02.09.2030")).returncode == 0

    def found(name: str) -> list[str]:
        result = run_database(pg_dsn, "list", "--all", "--behandler", name, "--include-past", "--json")
        assert result.returncode == 0, result.stderr
        return [r["id"] for r in json.loads(result.stdout)]

    assert found("hanne") == ["1", "2"]
    pg_server.sql(
        database, "UPDATE fravaer.fravaer SET behandler = 'Helga Hand', behandler_sok = 'helga hand' WHERE id = '1'"
    )
    assert found("hanne") == ["2"] and found("helga") == ["1"]
    pg_server.sql(
        database,
        OVERLAPPING.replace("Per Test", "Hanne Hand")
        .replace("per test", "hanne hand")
        .format(id="3", tjenester="timebestilling"),
    )
    assert sorted(found("hanne")) == ["2", "3"]
    pg_server.sql(database, "DELETE FROM fravaer.fravaer WHERE id IN ('2', '3')")
    assert found("hanne") == [] and found("helga") == ["1"]
    rows = pg_server.sql(database, "SELECT behandler_sok, antall FROM fravaer.fravaer_sok ORDER BY 1")
    assert rows == [("helga hand", 1)]


def test_a_big_import_logs_each_fravaer_as_the_file_store_does(pg_dsn, tmp_path):
    """An import's fravær go to the server in batches while the rows after them are checked, and
    the server makes their log entries: a bad row after the first batches still leaves nothing
    stored, and the log says entry for entry, in order, what the file store's says."""
    from datetime import date, timedelta

    from tests.helpers import Fravaer

    offices = (A, B, data.orgnrs(1)[0])
    lines = ["virksomhet;behandler;fra;til;tjenester;vikar;kommentar;hpr"]
    for i in range(10_500):  # three batches
        fra = date(2031, 1, 1) + timedelta(days=3 * (i // 21))  # each office's GP every third day
        lines.append(
            f"{offices[i % 3]};Lege {i % 7} Ærø;{fra:%d.%m.%Y};{fra + timedelta(days=1):%d.%m.%Y};"
            + ("timebestilling;reseptfornyelse;" if i % 4 == 0 else "alle;;")
            + ('"Ferie; «sør» og ""nord"" \\ é";' if i % 5 == 0 else ";")
            + ("9144889" if i % 7 == 3 else "")
        )
    plan = tmp_path / "plan.csv"
    overlapping = f"{A};Lege 0 Ærø;01.01.2031;02.01.2031;timebestilling;;Noe annet;"  # the first row's GP and days
    plan.write_text("\n".join([*lines, overlapping]) + "\n", encoding="utf-8")
    database = Fravaer(None, database=pg_dsn)
    before = database.snapshot()
    refused = run_database(pg_dsn, "import", str(plan))
    assert refused.returncode == 2 and "linje 10502" in refused.stderr and "ingenting er importert" in refused.stderr
    assert database.snapshot() == before
    plan.write_text("\n".join(lines) + "\n", encoding="utf-8")
    files = tmp_path / "filer"
    assert run(files, "--av", "eier", "import", str(plan)).returncode == 0  # the database's login
    assert run_database(pg_dsn, "import", str(plan)).returncode == 0
    small = tmp_path / "liten.csv"
    small.write_text(f"{lines[0]}\n{OTHER_ORGNR};Per Liten;01.03.2040;02.03.2040;alle;;Kort;\n", encoding="utf-8")
    assert run(files, "--av", "eier", "import", str(small)).returncode == 0
    assert run_database(pg_dsn, "import", str(small)).returncode == 0

    def logged(result) -> list[dict]:
        """The entries, without the times they were written at."""
        assert result.returncode == 0, result.stderr
        entries = json.loads(result.stdout)
        for e in entries:
            assert e.pop("tid") and e["fravaer"].pop("registrert")
        return entries

    for orgnr in offices:
        in_files = logged(run(files, "log", "--virksomhet", orgnr, "--json"))
        in_database = logged(run_database(pg_dsn, "log", "--virksomhet", orgnr, "--json"))
        assert len(in_files) == 3500 + (orgnr == OTHER_ORGNR)
        assert in_database == in_files
        assert [list(e) for e in in_database] == [list(e) for e in in_files]  # the same keys, in the same order
        assert [list(e["fravaer"]) for e in in_database] == [list(e["fravaer"]) for e in in_files]
    # On behalf of someone (--av): the entry says so, beside the login, as any other entry does.
    small.write_text(small.read_text(encoding="utf-8").replace("2040", "2041"), encoding="utf-8")
    assert run_database(pg_dsn, "--av", "Kari Nordmann", "import", str(small)).returncode == 0
    last = json.loads(run_database(pg_dsn, "log", "--virksomhet", B, "--json").stdout)[-1]
    assert list(last) == ["tid", "av", "pa_vegne_av", "handling", "fravaer"]
    assert (last["av"], last["pa_vegne_av"], last["fravaer"]["fra"]) == ("eier", "Kari Nordmann", "2041-03-01")


def test_an_add_during_a_big_import_waits_for_it_and_both_are_kept(pg_dsn, tmp_path):
    """The import holds its offices' locks while it checks and sends its rows: an add to one of
    them waits, and gets the next id after the import's (or, first, the id before them)."""
    plan = tmp_path / "plan.csv"
    data.write_csv(plan, 2, 6000)  # three batches
    office = data.orgnrs(1)[0]
    importing = subprocess.Popen(
        [EXECUTABLE, "--database", pg_dsn, "import", str(plan)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=PATIENT,
    )
    time.sleep(0.5)
    added = run_database(
        pg_dsn, *add_args(orgnr=office, behandler="Vikar Ny", fra="1.1.2099", til="2.1.2099"), env=PATIENT
    )
    assert importing.wait(300) == 0, importing.stderr.read()
    importing.stderr.close()
    assert added.returncode == 0, added.stderr
    listed = json.loads(run_database(pg_dsn, "list", "--virksomhet", office, "--include-past", "--json").stdout)
    ids = [int(r["id"]) for r in listed]
    assert sorted(ids) == list(range(1, 6002))
    assert len(json.loads(run_database(pg_dsn, "log", "--virksomhet", office, "--json").stdout)) == 6001
