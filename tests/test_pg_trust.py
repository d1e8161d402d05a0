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
    return {login: as_login(pg_dsn, login) for login in ("eier", "kari", "ola", "nils", "kim")}


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
    queries = [
        "SELECT * FROM fravaer_api.kontorer()",
        f"SELECT * FROM fravaer_api.logg('{B}')",
        f"SELECT * FROM fravaer_api.leger(ARRAY['{A}', '{B}'], ARRAY['1', '2'])",
    ]
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
    endre(store["kari"], [{"orgnr": A, "handling": "info", "navn": "Kari sitt", "info": None}])
    assert run_database(store["ola"], *add_args(orgnr=B, fra="01.11.2030", til="02.11.2030")).returncode == 0


def endre(dsn: str, requests: list, pa_vegne_av=None) -> list:
    """A call of fravaer_api.endre() by hand, as psql would make it: what the server says it logged."""
    call = {"pa_vegne_av": pa_vegne_av, "handlinger": requests}
    return by_hand(dsn, "SELECT orgnr, handling, id FROM fravaer_api.endre(%s::json)", args=(json.dumps(call),))


WANTED = {"behandler": "Per Hand", "fra": "2030-12-01", "til": "2030-12-02", "tjenester": ["timebestilling"],
          "vikar": [], "kommentar": "", "hpr": None}  # fmt: skip


def add(**bent):
    return {"orgnr": A, "handling": "add", "fravaer": {**WANTED, **bent}}


FORGED = [
    [add(id="9")],  # an id for something new
    [add(registrert_av="admin_kari")],  # who: the server's
    [add(registrert="2020-01-01T00:00:00+01:00")],  # and when
    [add(behandler_sok="x")],  # the search key
    [add(tjenester=["timebestilling", "timebestilling"])],  # a service twice
    [add(vikar=["timebestilling"])],  # closed and with a vikar
    [add(tjenester=["x"])],  # not in the catalogue
    [add(til="9999-12-31")],
    [add(behandler="Per\nHand")],
    [add(kommentar="x" * 200_000)],
    [{**add(), "forrige": {"id": "7"}}],  # a key the server does not know: refused, not ignored
    [{"orgnr": A, "handling": "edit", "id": "1", "fravaer": {}}],  # an edit that changes nothing
    [{"orgnr": A, "handling": "delete", "id": "7"}],  # nothing to delete
    [{"orgnr": A, "handling": "restore", "id": "1"}],  # never changed: nothing to put back
    [{"orgnr": A, "handling": "restore", "id": "7"}],
    [{"orgnr": A, "handling": "logg", "oppforing": {}}],  # no such request
    [{"orgnr": A, "handling": "info", "navn": "x" * 101, "info": None}],
    [{"orgnr": A, "handling": "info", "navn": "Kari\u202esitt", "info": None}],
    [{"orgnr": A, "handling": "roster_add", "behandler": "Per\u2028Hand", "hpr": None}],
    [{"orgnr": A, "handling": "roster_add", "behandler": "Per Hand", "hpr": "12345678901"}],
    [{"orgnr": A, "handling": "roster_remove", "behandler": "Noen Annen"}],
    [{"orgnr": A, "handling": "rename", "fra": "Noen Annen", "til": "Per Hand"}],
    [add(), {"orgnr": B, "handling": "add", "fravaer": WANTED}],  # another office's, with one of its own
    [add()] * 10_001,  # more than a call may carry
    [add(), "add"],
]


@pytest.mark.parametrize("requests", FORGED)
@pytest.mark.parametrize("login", ["kari", "eier"])  # an office's login, an admin (the others: below)
def test_hand_sql_changes_nothing_behind_the_log(store, pg_server, requests, login):
    if login == "eier" and any(isinstance(r, dict) and r.get("orgnr") == B for r in requests):
        return  # an admin may write every office: the request is a true one for it

    def snapshot():
        return pg_server.sql(
            database_of(store["eier"]),
            "SELECT (SELECT json_agg(v ORDER BY orgnr)::text FROM fravaer.virksomhet v), "
            "(SELECT json_agg(f ORDER BY orgnr, id)::text FROM fravaer.fravaer f), "
            "(SELECT count(*) FROM fravaer.logg)",
        )

    before = snapshot()
    with pytest.raises(psycopg2.Error) as refused:
        endre(store[login], requests)
    codes = ("22023", "23514", "P0002", "22008", "22007", "22P02", "42501", "54000")
    assert refused.value.pgcode in codes, refused.value
    assert snapshot() == before


@pytest.mark.parametrize("login", ["kim", "nils"])  # the helpdesk, a login given nothing
def test_a_login_that_may_write_nothing_is_refused_every_request(store, pg_server, login):
    before = pg_server.sql(database_of(store["eier"]), "SELECT count(*) FROM fravaer.logg")
    for requests in [*FORGED, [add()]]:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            endre(store[login], requests)
    assert pg_server.sql(database_of(store["eier"]), "SELECT count(*) FROM fravaer.logg") == before


@pytest.mark.parametrize("pa_vegne_av", ["Siri\n01.01.2027 09:00  admin_kari  slettet", "", " Siri", "x" * 101, 7])
def test_an_av_that_is_no_name_is_refused(store, pa_vegne_av):
    with pytest.raises(psycopg2.Error) as refused:
        endre(store["kari"], [add()], pa_vegne_av=pa_vegne_av)
    assert refused.value.pgcode in ("23514", "22023"), refused.value


def test_a_roster_entry_is_the_servers_account_of_the_change(store):
    """The roster's entries say what the server did, whatever the request: put on (with the entry
    before, when the GP was there), taken off."""
    per = {"behandler": "Per Hand", "hpr": ""}
    assert endre(store["kari"], [{"orgnr": A, "handling": "roster_add", "behandler": "Per Hand", "hpr": None}]) == [
        (A, "roster_add", None)
    ]
    endre(store["kari"], [{"orgnr": A, "handling": "roster_add", "behandler": "PER  hand", "hpr": "1234567"}])
    endre(store["kari"], [{"orgnr": A, "handling": "roster_remove", "behandler": "per hand"}])
    logged = json.loads(run_database(store["eier"], "log", "--virksomhet", A, "--json").stdout)
    assert [(e["handling"], e.get("behandler"), e.get("forrige")) for e in logged[-3:]] == [
        ("roster_add", per, None),
        ("roster_add", {**per, "hpr": "1234567"}, per),  # the name as the roster has it
        ("roster_remove", {**per, "hpr": "1234567"}, None),
    ]


def test_the_server_makes_each_log_entry_its_id_time_login_and_fravaer(store):
    assert endre(store["kari"], [add()], pa_vegne_av="Siri") == [(A, "add", "2")]
    logged = json.loads(run_database(store["eier"], "log", "--virksomhet", A, "--json").stdout)[-1]
    assert logged["av"] == "kari" and logged["pa_vegne_av"] == "Siri"
    stored = logged["fravaer"]
    assert stored["id"] == "2" and stored["registrert_av"] == "kari" and stored["behandler"] == "Per Hand"
    assert stored["registrert"] == logged["tid"] and logged["tid"][:2] == "20" and logged["tid"][:4] >= "2026"


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
