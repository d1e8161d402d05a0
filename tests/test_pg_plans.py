"""The planner settings in interface.sql each protect a plan: each test shows the plan the server
makes as declared, and the worse one it makes without that setting. When PostgreSQL makes the
good plan without the setting, the test fails, and the setting should go."""

import psycopg2
import pytest

from tests.helpers import NO_SKIP

OFFICE = "900000001"
FRAVAER = (
    "INSERT INTO fravaer.fravaer (orgnr, id, behandler, behandler_sok, fra, til, tjenester) "
    "VALUES ('{orgnr}', %s, 'Per Test', 'per test', %s, %s, '{{timebestilling}}')"
)
MANY = (
    "INSERT INTO fravaer.fravaer (orgnr, id, behandler, behandler_sok, fra, til, tjenester) "
    "SELECT (900000001 + g % 50)::text, (g + 10)::text, 'Lege ' || g, 'lege ' || g, "
    "date '2020-01-01' + g % 3000, date '2020-01-01' + g % 3000, '{timebestilling}' FROM generate_series(1, 30000) g"
)


def database(pg_server, pg_dsn, reset: str | None) -> str:
    """The test's database with 50 offices; the function's setting reset (not declared) when asked."""
    name = pg_dsn.split("dbname=")[1].split()[0]
    pg_server.sql(
        name,
        "ALTER TABLE fravaer.fravaer SET (autovacuum_enabled = false);"  # no ANALYZE between the statements
        "INSERT INTO fravaer.virksomhet (orgnr) SELECT (900000000 + g)::text FROM generate_series(1, 50) g;"
        + (f"ALTER FUNCTION {reset};" if reset else ""),
    )
    return name


def explaining(pg_server, name: str, **settings: str):
    """A superuser session whose statements, those inside functions and triggers too, send their plans
    to it (auto_explain, as LOG messages: psycopg2 keeps them in notices)."""
    conn = psycopg2.connect(f"host={pg_server.socket} dbname={name} user=postgres")
    conn.autocommit = True
    options = {"log_min_duration": "0", "log_nested_statements": "on", **settings}
    with conn.cursor() as cur:
        cur.execute("LOAD 'auto_explain'; SET client_min_messages = log")
        for key, value in options.items():
            cur.execute(f"SET auto_explain.{key} = {value}")
    return conn


def plan_of(conn, sql: str, args=(), containing: str = "") -> str:
    conn.notices.clear()
    with conn.cursor() as cur:
        cur.execute(sql, args)
    plans = [n for n in conn.notices if containing in n]
    assert plans, f"no plan with «{containing}» among {len(conn.notices)} messages"
    return plans[-1]


@pytest.mark.parametrize(
    "reset, good",
    [
        (None, True),
        ("fravaer_intern.overlapper_ikke() RESET enable_seqscan", False),
        ("fravaer_intern.overlapper_ikke() RESET enable_nestloop", False),
    ],
    ids=["as declared", "without enable_seqscan = off", "without enable_nestloop = off"],
)
def test_the_overlap_rules_plan_made_on_an_empty_table_still_reads_the_index(pg_server, pg_dsn, reset, good):
    """A trigger's plan is made once a session. Made while the table was empty, it must still find a GP's
    fravær through (nokkel, til) with a hash join once the table is full: not read the whole table
    (enable_seqscan) nor loop over every new row (enable_nestloop)."""
    name = database(pg_server, pg_dsn, reset)
    conn = explaining(pg_server, name)
    first = FRAVAER.format(orgnr=OFFICE)
    plan_of(conn, first, ("1", "2030-01-01", "2030-01-02"), "fravaer g")  # the plan, made on an empty table
    pg_server.sql(name, MANY)  # another session fills it
    plan = plan_of(conn, first, ("2", "2030-02-01", "2030-02-02"), "fravaer g")
    declared = "Index Scan on fravaer_nokkel" in plan and "Hash Join" in plan and "Nested Loop" not in plan
    assert declared == good, plan
    if reset and "seqscan" in reset:
        assert "Seq Scan on fravaer g" in plan, plan
    if reset and "nestloop" in reset:
        assert "Nested Loop" in plan, plan


@pytest.mark.parametrize("reset", [None, "fravaer_api.kontorer(text[], text[], text, date, date, boolean) RESET jit"])
def test_a_national_report_for_a_day_is_not_compiled(pg_server, pg_dsn, reset):
    """kontorer()'s recursive query looks costly to the planner (its guess of the stretches' rows), which
    then compiles it (JIT): a second for a query of milliseconds. jit = off keeps it from that."""
    name = database(pg_server, pg_dsn, reset)
    if not pg_server.sql(name, "SELECT pg_jit_available()")[0][0]:
        if NO_SKIP:
            pytest.fail("this PostgreSQL has no JIT (llvmjit): the setting cannot be shown to matter")
        pytest.skip("this PostgreSQL has no JIT (llvmjit)")
    pg_server.sql(name, MANY)
    conn = explaining(pg_server, name, log_analyze="on")
    plan = plan_of(conn, "SELECT count(*) FROM fravaer_api.kontorer(NULL, NULL, NULL, '2025-01-01', '2025-01-01')",
                   containing="RECURSIVE")  # fmt: skip
    assert ("JIT:" in plan) == bool(reset), plan


@pytest.mark.parametrize("reset", [None, "fravaer_api.skriv_rader(text, text) RESET plan_cache_mode"])
def test_an_imports_batch_is_planned_for_any_batch(pg_server, pg_dsn, reset):
    """skriv_rader()'s statements take a batch of thousands of fravær as an array: planned as a custom
    plan, with the batch written into it as a constant, each of a session's first five batches took five
    times as long. force_generic_plan plans them once, with the array as a parameter."""
    name = database(pg_server, pg_dsn, reset)
    conn = explaining(pg_server, name, log_verbose="on")
    conn.autocommit = False
    with conn.cursor() as cur:
        cur.execute("SET client_min_messages = warning")
        cur.execute(
            "INSERT INTO fravaer_inn.rader (tabell, " + ", ".join(f"c{i}" for i in range(9)) + ") "
            f"SELECT 'fravaer', '{OFFICE}', 'Lege ' || g, '2031-01-01', "
            "'2031-01-02', '{timebestilling}', '{}', '', '', g::text FROM generate_series(0, 99) g;"
            "SET client_min_messages = log"
        )
    plan = plan_of(conn, "SELECT fravaer_api.skriv_rader('import', NULL)", containing="Function Call: unnest(")
    conn.rollback()
    call = next(line for line in plan.splitlines() if "Function Call: unnest(" in line)
    assert call.strip().startswith("Function Call: unnest($") == (reset is None), call[:200]
