"""Issue 30, finding 8: what every login, even one given nothing, sees of the others through
PostgreSQL's own catalogue views and statistics functions; the block in docs/database.md («What every
login can see of the others»), run as written, hides it, `fravaer` works as before after it, and
`database status` says which it is."""

import json
import re
import time

import psycopg2
import psycopg2.errors
import pytest

from tests.helpers import ORGNR, OTHER_ORGNR, REPO, add_args, run_database

A, B = ORGNR, OTHER_ORGNR
SECTION = "## What every login can see of the others"


def the_block() -> str:
    """The SQL block the operator's guide gives to paste, as it stands there."""
    guide = (REPO / "docs" / "database.md").read_text(encoding="utf-8")
    section = guide.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sql\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the section gives one SQL block"
    return blocks[0]


def as_login(dsn: str, login: str) -> str:
    return dsn.replace("user=eier password=pw-eier", f"user={login} password=pw-{login}")


def database_of(dsn: str) -> str:
    return dsn.split("dbname=")[1].split()[0]


def _login(pg_server, name: str, extra: str = "") -> None:
    pg_server.sql(
        "postgres",
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN "
        f"CREATE ROLE {name} LOGIN PASSWORD 'pw-{name}'{extra}; END IF; END $$",
    )


@pytest.fixture
def store(pg_server, pg_dsn):
    """Offices A (kari's) and B, three fravær in all; kim is kundesenter, ada admin; nils is a login
    given nothing, and vakt a monitoring login (pg_monitor)."""
    for orgnr, count in ((A, 1), (B, 2)):
        for day in range(1, count + 1):
            done = run_database(pg_dsn, *add_args(orgnr=orgnr, fra=f"0{day}.08.2030", til=f"0{day}.08.2030"))
            assert done.returncode == 0, done.stderr
    assert run_database(pg_dsn, "access", "grant", "kari", "--virksomhet", A).returncode == 0
    pg_server.sql("postgres", "GRANT fravaer_kundesenter TO kim")
    pg_server.sql("postgres", "GRANT fravaer_admin TO ada")
    _login(pg_server, "nils")
    _login(pg_server, "vakt", " IN ROLE pg_monitor")
    return {login: as_login(pg_dsn, login) for login in ("eier", "kari", "kim", "ada", "nils", "vakt")}


def hide(pg_server, dsn: str) -> None:
    """The guide's block, as the superuser postgres, on the test's own database."""
    pg_server.sql(database_of(dsn), the_block())


def query(dsn: str, statement: str):
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
            return cur.fetchall()
    finally:
        conn.close()


# What a login given nothing reads of the others, each as the one row a query gives.
NATIONAL_COUNT = {
    "pg_stat_user_tables": "SELECT n_live_tup FROM pg_stat_user_tables "
    "WHERE schemaname = 'fravaer' AND relname = 'fravaer'",
    "pg_stat_get_live_tuples": "SELECT pg_stat_get_live_tuples(c.oid) FROM pg_class c "
    "WHERE c.relname = 'fravaer' AND c.relnamespace = 'fravaer'::regnamespace",
    "pg_class.reltuples": "SELECT reltuples::int FROM pg_class WHERE relname = 'fravaer' "
    "AND relnamespace = 'fravaer'::regnamespace",
}
SIZES = (
    "SELECT pg_relation_size(c.oid) FROM pg_class c "
    "WHERE c.relname = 'fravaer' AND c.relnamespace = 'fravaer'::regnamespace"
)
ACTIVITY = "SELECT usename FROM pg_stat_activity WHERE usename = 'kari'"
ACTIVITY_FUNCTION = "SELECT pg_stat_get_activity(NULL)"
LOCKS = (
    "SELECT a.usename, l.mode FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.relation = (SELECT oid FROM pg_class WHERE relname = 'fravaer' AND relnamespace = 'fravaer'::regnamespace)"
)
LOCK_FUNCTION = "SELECT count(*) FROM pg_lock_status()"


def _national_count(dsn: str, statement: str) -> int:
    """The count, once the writers' statistics have reached the server's (they are sent within a second)."""
    for _ in range(50):
        rows = query(dsn, statement)
        if rows and rows[0][0] == 3:
            return 3
        time.sleep(0.2)
    return rows[0][0] if rows else -1


class KariAtWork:
    """kari's session, in a transaction that has read the store through the interface: its locks on
    fravaer.fravaer held until it ends."""

    def __init__(self, dsn: str):
        self.conn = psycopg2.connect(dsn, application_name="fravaer")

    def __enter__(self):
        with self.conn.cursor() as cur:
            cur.execute("SELECT * FROM fravaer_api.status()")
        return self

    def __exit__(self, *exc):
        self.conn.close()


def test_a_login_given_nothing_sees_the_national_count_and_who_is_at_work_until_the_block(store, pg_server, pg_dsn):
    nils = store["nils"]
    pg_server.sql(database_of(pg_dsn), "ANALYZE fravaer.fravaer")
    # The finding, shown: the national count of fravær, and kari at work on fravaer.fravaer.
    for name, statement in NATIONAL_COUNT.items():
        assert _national_count(nils, statement) == 3, name
    assert query(nils, SIZES)[0][0] > 0
    with KariAtWork(store["kari"]):
        assert query(nils, ACTIVITY) == [("kari",)]
        assert ("kari", "AccessShareLock") in query(nils, LOCKS)
        assert query(nils, LOCK_FUNCTION)[0][0] > 0
        assert len(query(nils, ACTIVITY_FUNCTION)) > 1
    # Column statistics are the one thing it is not shown: none of a table it cannot read.
    assert query(nils, "SELECT count(*) FROM pg_stats WHERE schemaname = 'fravaer'") == [(0,)]
    said = json.loads(run_database(nils, "database", "status", "--json").stdout)["statistikk_for_andre"]
    assert said.startswith("synlig for alle innlogginger: pg_stat_activity, pg_locks, pg_stat_user_tables og ")
    assert said.endswith("(se docs/database.md)")

    hide(pg_server, pg_dsn)
    with KariAtWork(store["kari"]):
        for statement in (*NATIONAL_COUNT.values(), SIZES, ACTIVITY, ACTIVITY_FUNCTION, LOCKS, LOCK_FUNCTION):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                query(nils, statement)
        # A monitoring login (pg_monitor) still sees it all.
        vakt = store["vakt"]
        assert query(vakt, ACTIVITY) == [("kari",)]
        assert ("kari", "AccessShareLock") in query(vakt, LOCKS)
        for statement in NATIONAL_COUNT.values():
            assert _national_count(vakt, statement) == 3
    # pg_class's other columns, the roles and the databases are there as before.
    assert query(nils, "SELECT relname FROM pg_class WHERE relname = 'fravaer'") == [("fravaer",)]
    assert query(nils, "SELECT count(*) FROM pg_roles WHERE rolname = 'kari'") == [(1,)]
    for login in ("nils", "kari", "kim"):
        status = run_database(store[login], "database", "status")
        assert status.returncode == 0, status.stderr
        assert re.search(r"^Statistikk for andre +skjult$", status.stdout, re.M), status.stdout


def test_fravaer_works_for_an_office_login_the_kundesenter_and_an_admin_after_the_block(
    store, pg_server, pg_dsn, tmp_path
):
    hide(pg_server, pg_dsn)
    kari, kim, ada = store["kari"], store["kim"], store["ada"]

    def ok(dsn: str, *args: str) -> str:
        done = run_database(dsn, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert "Traceback" not in done.stderr
        return done.stdout

    ok(kari, *add_args(orgnr=A, fra="01.09.2030", til="02.09.2030"))
    assert {r["virksomhet"] for r in json.loads(ok(kari, "list", "--all", "--json"))} == {A}
    assert len(json.loads(ok(kari, "list", "--virksomhet", A, "--json"))) == 2
    ok(kari, "status", "--all", "--date", "01.08.2030")
    assert "lagt til" in ok(kari, "log", "--virksomhet", A)
    assert json.loads(ok(kari, "database", "status", "--json"))["fravaer"] == 2
    plan = tmp_path / "plan.csv"
    plan.write_text(f"virksomhet;behandler;fra;til;tjenester\n{A};Kari Ny;1.10.2030;2.10.2030;alle\n", encoding="utf-8")
    ok(kari, "import", str(plan))
    assert len(json.loads(ok(kari, "list", "--virksomhet", A, "--json"))) == 3

    assert len(json.loads(ok(kim, "list", "--all", "--json"))) == 5
    status = json.loads(ok(kim, "status", "--all", "--json", "--date", "01.08.2030"))
    assert {e["virksomhet"] for e in status["stengt"]} == {A, B}
    assert "lagt til" in ok(kim, "log", "--virksomhet", B)
    assert json.loads(ok(kim, "database", "status", "--json"))["statistikk_for_andre"] == "skjult"

    ok(ada, "access", "grant", "ola", "--virksomhet", B)
    assert any(r["login"] == "ola" for r in json.loads(ok(ada, "access", "list", "--json")))
    ok(store["eier"], "database", "init")


def test_an_init_kept_waiting_after_the_block_says_it_may_not_see_who(store, pg_server, pg_dsn):
    hide(pg_server, pg_dsn)
    other = psycopg2.connect(f"host={pg_server.socket} dbname={database_of(pg_dsn)} user=postgres")
    try:
        with other.cursor() as cur:
            cur.execute("LOCK TABLE fravaer.fravaer_schema IN SHARE ROW EXCLUSIVE MODE")  # as an init does
            waited = run_database(pg_dsn, "database", "init", env={"FRAVAER_LOCK_TIMEOUT": "1"}, timeout=60)
    finally:
        other.close()
    assert waited.returncode == 5 and "Traceback" not in waited.stderr
    assert "en annen «database init» kjører (eier får ikke se hvem: pg_locks er skjult" in waited.stderr, waited.stderr


def test_status_names_what_is_still_open_and_the_block_run_again_changes_nothing(store, pg_server, pg_dsn):
    database = database_of(pg_dsn)
    acls = (
        "SELECT md5(string_agg(x, ',' ORDER BY x)) FROM ("
        " SELECT oid::regclass || coalesce(relacl::text, '') AS x FROM pg_class"
        "  WHERE relnamespace = 'pg_catalog'::regnamespace"
        " UNION ALL SELECT oid::regprocedure || coalesce(proacl::text, '') FROM pg_proc"
        "  WHERE pronamespace = 'pg_catalog'::regnamespace"
        " UNION ALL SELECT attname || coalesce(attacl::text, '') FROM pg_attribute"
        "  WHERE attrelid = 'pg_class'::regclass) y"
    )
    hide(pg_server, pg_dsn)
    once = pg_server.sql(database, acls)
    hide(pg_server, pg_dsn)
    assert pg_server.sql(database, acls) == once
    pg_server.sql(database, "GRANT SELECT ON pg_catalog.pg_locks TO PUBLIC")
    said = json.loads(run_database(store["nils"], "database", "status", "--json").stdout)["statistikk_for_andre"]
    assert said == "synlig for alle innlogginger: pg_locks (se docs/database.md)"
    # Only the database it was run in: another one on the same server is as it was.
    pg_server.sql("postgres", f"CREATE DATABASE {database}_b TEMPLATE mal OWNER eier")
    other = pg_server.dsn(database=f"{database}_b")
    assert json.loads(run_database(other, "database", "status", "--json").stdout)["statistikk_for_andre"] != "skjult"
