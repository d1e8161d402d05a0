"""Issue 21: the national store trusts no login. Each finding of the issue, tried by hand as a
login of the store could, with psql's SQL: the database itself must hold, whatever a client sends."""

import json
import re

import psycopg2
import pytest

from tests.helpers import ORGNR, OTHER_ORGNR, add_args, run_database

A, B = ORGNR, OTHER_ORGNR


def as_login(dsn: str, login: str) -> str:
    return dsn.replace("user=eier password=pw-eier", f"user={login} password=pw-{login}")


def database_of(dsn: str) -> str:
    return dsn.split("dbname=")[1].split()[0]


@pytest.fixture
def store(pg_server, pg_dsn):
    """Offices A (kari's) and B (ola's) with a fravær each, and nils, a login given nothing."""
    for orgnr in (A, B):
        assert run_database(pg_dsn, *add_args(orgnr=orgnr, behandler=f"Lege {orgnr}")).returncode == 0
    assert run_database(pg_dsn, "access", "grant", "kari", "--virksomhet", A).returncode == 0
    assert run_database(pg_dsn, "access", "grant", "ola", "--virksomhet", B).returncode == 0
    pg_server.sql(
        "postgres",
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nils') THEN "
        "CREATE ROLE nils LOGIN PASSWORD 'pw-nils'; END IF; END $$",
    )
    return {login: as_login(pg_dsn, login) for login in ("eier", "kari", "ola", "nils")}


def by_hand(dsn: str, *statements: str, args=()):
    """Each statement in a transaction of its own, as psql with autocommit runs them; the last's rows."""
    conn = psycopg2.connect(dsn)
    try:
        rows = None
        for statement in statements:
            with conn, conn.cursor() as cur:
                cur.execute(statement, args)
                rows = cur.fetchall() if cur.description else None
        return rows
    finally:
        conn.close()


def test_a_login_with_no_grant_holds_no_privilege_on_any_table_sequence_or_writing_function(store, pg_dsn):
    rows = by_hand(
        store["nils"],
        "SELECT c.relname, has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') "
        "FROM pg_class c WHERE c.relnamespace::regnamespace::text IN ('public', 'fravaer', 'fravaer_api') "
        "AND c.relkind IN ('r', 'S', 'v', 'm', 'p')",
    )
    assert rows and not [name for name, allowed in rows if allowed]
    writing = by_hand(
        store["nils"],
        "SELECT p.proname FROM pg_proc p WHERE p.pronamespace::regnamespace::text IN ('fravaer', 'fravaer_api') "
        "AND has_function_privilege(p.oid, 'EXECUTE') AND p.provolatile = 'v'",
    )
    assert writing == []
    # What the program shows such a login: no office, exit 5.
    result = run_database(store["nils"], "status", "--all")
    assert result.returncode == 5 and "ser ingen virksomheter" in result.stderr


def _plan_counts(dsn: str, statement: str) -> list[str]:
    """EXPLAIN ANALYZE's row counts (actual rows, rows removed), times left out."""
    plan = by_hand(dsn, f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {statement}")
    return [re.sub(r"\(actual rows=(\d+) loops=\d+\)", r"\1", line[0]) for line in plan]


def test_explain_analyze_counts_nothing_of_another_office(store):
    queries = ["SELECT * FROM fravaer_api.kontorer()", f"SELECT * FROM fravaer_api.logg('{B}')"]
    before = [_plan_counts(store["kari"], q) for q in queries]
    for day in range(1, 8):  # B gains fravær and log entries
        args = add_args(orgnr=B, behandler=f"Ny {day}", fra=f"0{day}.10.2030", til=f"0{day}.10.2030")
        assert run_database(store["eier"], *args).returncode == 0
    assert [_plan_counts(store["kari"], q) for q in queries] == before
    for table in ("virksomhet", "fravaer", "fravaer_sok", "logg", "tilgang"):  # the tables are not there to explain
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            by_hand(store["kari"], f"EXPLAIN ANALYZE SELECT * FROM fravaer.{table} WHERE orgnr = 'x'")


def test_no_login_stops_another_logins_writes(store):
    """Finding 2: log rows with the next numbers made every later write fail; 3: a lock held up all."""
    for statement in (
        "INSERT INTO fravaer.logg (orgnr, tid, av, handling, oppforing) "
        f"SELECT '{A}', 't', 'kari', 'add', '{{}}' FROM generate_series(1, 1000)",
        "SELECT setval('fravaer.logg_nr_seq', 1)",
        "LOCK TABLE fravaer.logg IN ACCESS EXCLUSIVE MODE",
        "LOCK TABLE fravaer.virksomhet IN ACCESS EXCLUSIVE MODE",
    ):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            by_hand(store["kari"], statement)
    # Through the interface kari can write only her own office, and each entry is the server's.
    change = {"kontorer": [[A, "Kari sitt", "", []]], "logg": [[A, {"handling": "info", "fravaer": None}]]}
    by_hand(store["kari"], "SELECT fravaer_api.skriv(%s::json)", args=(json.dumps(change),))
    assert run_database(store["ola"], *add_args(orgnr=B, fra="01.11.2030", til="02.11.2030")).returncode == 0


def _skriv(dsn: str, change: dict) -> None:
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT * FROM fravaer_api.laas(%s, false)", ([A],))
            cur.execute("SELECT fravaer_api.skriv(%s::json)", (json.dumps(change),))
    finally:
        conn.close()


NEW = {
    "orgnr": A,
    "behandler_sok": "per hand",
    "behandler": "Per Hand",
    "fra": "2030-12-01",
    "til": "2030-12-02",
    "tjenester": ["timebestilling"],
    "vikar": [],
    "kommentar": "",
    "hpr": None,
    "registrert_av": "",
    "registrert": "",
}


PER, ANNEN = {"behandler": "Per Hand", "hpr": ""}, {"behandler": "Noen Annen", "hpr": ""}


@pytest.mark.parametrize(
    "change",
    [
        {"nye": [{**NEW, "id": "2"}]},  # a fravær with no log entry
        {"nye": [{**NEW, "id": "1"}], "logg": [[A, {"handling": "add", "fravaer": {"id": "1"}}]]},  # an id given before
        {"nye": [{**NEW, "id": "9"}], "logg": [[A, {"handling": "add", "fravaer": {"id": "9"}}]]},  # not the next id
        {"borte": [[A, "1"]]},  # a deletion with no entry
        {"kontorer": [[A, "Nytt navn", "", []]]},  # a new name with no entry
        {"logg": [[A, {"handling": "delete", "fravaer": {"id": "1"}}]]},  # an entry for a change not made
        {"logg": [[A, {"handling": "add", "fravaer": None, "tid": "2020-01-01T00:00:00+01:00"}]]},
        {"logg": [[A, [1, 2]]]},  # an entry that is not an object
        {"nye": [{**NEW, "id": "2", "til": "9999-12-31"}], "logg": [[A, {"handling": "add", "fravaer": {"id": "2"}}]]},
        {"nye": [{**NEW, "id": "2", "tjenester": ["x"]}], "logg": [[A, {"handling": "add", "fravaer": {"id": "2"}}]]},
        {"kontorer": [[A, "", "", [1]]], "logg": [[A, {"handling": "roster_add", "fravaer": None}]]},
        # A roster entry that names another GP than the one put on; or one there before, or taken off.
        {
            "kontorer": [[A, "", "", [PER]]],
            "logg": [[A, {"handling": "roster_add", "behandler": ANNEN, "forrige": None}]],
        },
        {"kontorer": [[A, "", "", [PER]]], "logg": [[A, {"handling": "roster_add", "behandler": PER, "forrige": PER}]]},
        {"kontorer": [[A, "", "", [PER]]], "logg": [[A, {"handling": "roster_remove", "behandler": PER}]]},
        # A «restore» of a fravær never deleted: a new fravær passed off as one put back.
        {
            "nye": [{**NEW, "id": "2"}],
            "logg": [[A, {"handling": "restore", "fravaer": {"id": "2"}, "forrige": {**NEW, "id": "7"}}]],
        },
        {"nye": [{**NEW, "id": "2"}], "logg": [[A, {"handling": "restore", "fravaer": {"id": "2"}}]]},
    ],
)
def test_hand_sql_changes_nothing_of_its_own_office_behind_the_log(store, pg_server, change):
    def snapshot():
        return pg_server.sql(
            database_of(store["eier"]),
            "SELECT (SELECT json_agg(v ORDER BY orgnr)::text FROM fravaer.virksomhet v), "
            "(SELECT json_agg(f ORDER BY orgnr, id)::text FROM fravaer.fravaer f), "
            "(SELECT count(*) FROM fravaer.logg)",
        )

    before = snapshot()
    with pytest.raises(psycopg2.Error) as refused:
        _skriv(store["kari"], {"borte": [], "nye": [], "kontorer": [], "logg": [], **change})
    assert refused.value.pgcode in ("23514", "P0002", "22008", "22P02", "42501"), refused.value
    assert snapshot() == before


def test_a_roster_entry_that_names_the_change_is_taken(store):
    """The cases refused above, told truly: the GP put on, and then taken off."""
    _skriv(
        store["kari"], {"kontorer": [[A, "", "", [PER]]], "logg": [[A, {"handling": "roster_add", "behandler": PER}]]}
    )
    _skriv(
        store["kari"], {"kontorer": [[A, "", "", []]], "logg": [[A, {"handling": "roster_remove", "behandler": PER}]]}
    )
    logged = json.loads(run_database(store["eier"], "log", "--virksomhet", A, "--json").stdout)
    assert [(e["handling"], e.get("behandler")) for e in logged[-2:]] == [("roster_add", PER), ("roster_remove", PER)]


def test_the_server_makes_each_log_entry_its_time_login_and_fravaer(store):
    forged = {**NEW, "id": "2", "behandler": "Per Hand"}
    entry = {"handling": "add", "fravaer": {"id": "2", "behandler": "Noen Annen"}}
    _skriv(store["kari"], {"pa_vegne_av": "Siri", "nye": [forged], "logg": [[A, entry]]})
    logged = json.loads(run_database(store["eier"], "log", "--virksomhet", A, "--json").stdout)[-1]
    assert logged["av"] == "kari" and logged["pa_vegne_av"] == "Siri"
    assert logged["fravaer"]["behandler"] == "Per Hand"  # as stored, not as the entry said
    assert logged["tid"][:4] == "20" + logged["tid"][2:4] and logged["tid"] != "2020-01-01T00:00:00+01:00"


def test_a_temporary_table_does_not_stand_in_for_the_stores(store, pg_server):
    """Finding 6: the store's functions name their tables with the search path pinned, pg_temp last."""
    missing = "123456785"
    conn = psycopg2.connect(store["kari"])
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                f"CREATE TEMP TABLE virksomhet AS SELECT '{missing}'::text AS orgnr;"
                "CREATE TEMP TABLE tilgang AS SELECT 'kari'::text AS login, orgnr FROM virksomhet;"
                "CREATE TEMP TABLE fravaer_sok (orgnr text)"
            )
            cur.execute("SELECT * FROM fravaer_api.laas(%s, false)", ([missing],))
            assert cur.fetchall() == []
            cur.execute("SELECT DISTINCT orgnr FROM fravaer_api.kontorer()")
            assert cur.fetchall() == [(A,)]
    finally:
        conn.close()
    stored = pg_server.sql(database_of(store["eier"]), "SELECT orgnr FROM fravaer.virksomhet ORDER BY 1")
    assert stored == [(A,), (B,)]


def test_the_login_that_ran_init_does_not_own_the_store(store, pg_server):
    """Finding 7: the owner is fravaer_eier, which cannot log in; init's login is not its member after."""
    database = database_of(store["eier"])
    owners = pg_server.sql(
        database,
        "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relnamespace = 'fravaer'::regnamespace "
        "UNION SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname IN ('fravaer', 'fravaer_api')",
    )
    assert owners == [("fravaer_eier",)]
    assert pg_server.sql(database, "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'fravaer_eier'") == [(False,)]
    for statement in (
        "ALTER TABLE fravaer.logg DISABLE TRIGGER logg_uforanderlig",
        "UPDATE fravaer.logg SET av = 'noen'",
        "DROP TABLE fravaer.logg",
        "SET ROLE fravaer_eier",
    ):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            by_hand(store["eier"], statement)


def test_values_forced_past_the_rules_leave_the_reports_at_exit_5_with_the_other_offices(store, pg_server):
    """Finding 4: what even the superuser forces into one office is reported, and the others go on."""
    database = database_of(store["eier"])
    pg_server.sql(
        database,
        "ALTER TABLE fravaer.virksomhet DROP CONSTRAINT virksomhet_behandlere_ok;"
        f"UPDATE fravaer.virksomhet SET behandlere = '[1]' WHERE orgnr = '{B}';"
        "ALTER TABLE fravaer.logg DROP CONSTRAINT logg_oppforing_ok;"
        f"INSERT INTO fravaer.logg (orgnr, tid, av, handling, oppforing) VALUES ('{B}', 't', 'x', 'add', '[1]')",
    )
    for args in (("status", "--all", "--json"), ("list", "--all", "--json", "--include-past")):
        result = run_database(store["eier"], *args)
        assert result.returncode == 5 and B in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert B in result.stdout if args[0] == "status" else A in result.stdout  # "uleselige"; the rest listed
    pg_server.sql(
        database,
        "ALTER TABLE fravaer.fravaer DROP CONSTRAINT fravaer_datoer_ok;"
        f"UPDATE fravaer.fravaer SET til = '9999-12-31' WHERE orgnr = '{A}'",
    )
    result = run_database(store["eier"], "list", "--all", "--json", "--include-past")
    assert result.returncode == 5 and A in result.stderr and B in result.stderr, result.stderr
    result = run_database(store["eier"], "log", "--virksomhet", B)
    assert result.returncode == 5 and "Traceback" not in result.stderr, result.stderr
