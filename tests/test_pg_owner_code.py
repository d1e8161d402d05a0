"""No login runs code of its own as the store's owner: no function of the interface, which runs as
fravaer_eier, reads an object the caller can make (temporary tables, views, functions, policies,
rules). What a login sends in bulk goes into fravaer_inn.rader, the store's own table, which it may
only add rows to, in the columns it sends."""

import psycopg2
import pytest

from tests.helpers import ORGNR, OTHER_ORGNR, add_args, run_database

A, OTHER = ORGNR, OTHER_ORGNR
COLUMNS = ", ".join(["tabell", *(f"c{n}" for n in range(13))])
# The names the interface's functions read or call, each made a temporary object of the caller's.
TABLES = ("rader", "rader_kontor", "rader_logg", "virksomhet", "fravaer", "tilgang", "logg", "fravaer_sok",
          "tjeneste", "fravaer_schema", "innsendt")  # fmt: skip
FUNCTIONS = ("skriver_alt", "leser_alt", "tidspunkt", "innsendt", "skrivbare", "ny_fravaer", "endret_fravaer", "onske",
             "som_json", "logg_inn", "nokler", "sokenokkel", "gp_nokkel", "casefold", "plass", "post", "now",
             "session_user", "pg_current_xact_id", "unnest", "lower", "normalize", "translate", "lpad")  # fmt: skip


def as_login(dsn: str, login: str) -> str:
    return dsn.replace("user=eier password=pw-eier", f"user={login} password=pw-{login}")


def spy_everywhere(cur) -> None:
    """A function that fails saying who ran it, and every kind of temporary object that would run it:
    views over it, tables whose row-level security or rules call it, functions of the interface's names."""
    cur.execute(
        "CREATE FUNCTION pg_temp.spion() RETURNS boolean LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'spionen kjørte som %', current_user; END $$"
    )
    for i, name in enumerate(TABLES):
        if i % 2:
            cur.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM (SELECT 1 AS c0) x WHERE pg_temp.spion()")
        else:
            cur.execute(f"CREATE TEMP TABLE {name} (c0 text, c12 text)")
            cur.execute(f"INSERT INTO {name} VALUES ('1', '1')")
            cur.execute(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY")
            cur.execute(f"CREATE POLICY spion ON {name} USING (pg_temp.spion())")
            cur.execute(f"CREATE RULE spion AS ON INSERT TO {name} DO ALSO SELECT pg_temp.spion()")
        cur.execute(f"GRANT ALL ON {name} TO PUBLIC")  # the store's owner may read it, as the caller wants
    cur.execute("GRANT EXECUTE ON FUNCTION pg_temp.spion() TO PUBLIC")
    for name in FUNCTIONS:
        cur.execute(f"CREATE FUNCTION pg_temp.{name}() RETURNS boolean LANGUAGE sql AS 'SELECT pg_temp.spion()'")
        cur.execute(f"CREATE FUNCTION pg_temp.{name}(text) RETURNS boolean LANGUAGE sql AS 'SELECT pg_temp.spion()'")


@pytest.fixture
def dsn(pg_dsn):
    assert run_database(pg_dsn, *add_args(orgnr=A, behandler="Lege A")).returncode == 0
    assert run_database(pg_dsn, "access", "grant", "kari", "--virksomhet", A).returncode == 0
    return pg_dsn


CALLS = [
    ("SELECT fravaer_api.skriv_rader('import', NULL)", True),
    ("SELECT count(*) FROM fravaer_api.kontorer()", False),
    ("SELECT count(*) FROM fravaer_api.kontorer(NULL, ARRAY['%lege%'], NULL, '2030-01-01', '2031-01-01')", False),
    (f"SELECT count(*) FROM fravaer_api.kontorer(ARRAY['{A}'], NULL, NULL, '2030-01-01', '2031-01-01', false)", False),
    (f"SELECT count(*) FROM fravaer_api.leger(ARRAY['{A}'], ARRAY['1'])", False),
    (f"SELECT count(*) FROM fravaer_api.leger(ARRAY['{A}'], ARRAY['1'], true)", False),
    ("SELECT count(*) FROM fravaer_api.virksomheter()", False),
    (f"SELECT count(*) FROM fravaer_api.laas(ARRAY['{A}'], false)", False),
    (f"SELECT count(*) FROM fravaer_api.logg('{A}')", False),
    ("SELECT count(*) FROM fravaer_api.status()", False),
    ("SELECT count(*) FROM fravaer_api.tilganger()", False),
    ("SELECT fravaer_api.skjema()", False),
    # Every kind of request endre() takes, on office A (one adds a fravær: "Ny Lege" is then listed).
    (
        'SELECT count(*) FROM fravaer_api.endre(\'{"handlinger": ['
        + ", ".join(
            [
                f'{{"orgnr": "{A}", "handling": "add", "fravaer": {{"behandler": "Ny Lege", "fra": "2031-01-01", '
                '"til": "2031-01-02", "tjenester": ["timebestilling"]}}',
                f'{{"orgnr": "{A}", "handling": "edit", "id": "1", "fravaer": {{"kommentar": "endret"}}}}',
                f'{{"orgnr": "{A}", "handling": "restore", "id": "1"}}',
                f'{{"orgnr": "{A}", "handling": "info", "navn": "Kontoret", "info": "Stengt i dag"}}',
                f'{{"orgnr": "{A}", "handling": "roster_add", "behandler": "Lege A", "hpr": "1234567"}}',
                f'{{"orgnr": "{A}", "handling": "roster_add", "behandler": "Ny Lege", "hpr": null}}',
                f'{{"orgnr": "{A}", "handling": "rename", "fra": "Lege A", "til": "Lege Aa"}}',
                f'{{"orgnr": "{A}", "handling": "roster_remove", "behandler": "Lege Aa"}}',
                f'{{"orgnr": "{A}", "handling": "delete", "id": "1"}}',
            ]
        )
        + "]}')",
        True,
    ),
]


@pytest.mark.parametrize("login", ["kari", "eier", "kim", "nils"])  # office, admin, helpdesk, no grant
@pytest.mark.parametrize("call, sends", CALLS, ids=[c.split("(")[0][7:] + "…" for c, _ in CALLS])
def test_no_call_of_the_interface_runs_the_callers_temporary_objects(dsn, pg_server, login, call, sends):
    pg_server.sql("postgres", "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nils') THEN "
                  "CREATE ROLE nils LOGIN PASSWORD 'pw-nils'; END IF; END $$")  # fmt: skip
    writes = login in ("kari", "eier")
    conn = psycopg2.connect(as_login(dsn, login))
    try:
        with conn, conn.cursor() as cur:
            spy_everywhere(cur)
            if sends and writes:  # a fravær to import, as the program sends it
                cur.execute(
                    f"INSERT INTO fravaer_inn.rader ({COLUMNS}) VALUES ('fravaer', '{A}', 'Ny Lege', "
                    "'2031-01-01', '2031-01-02', '{timebestilling}', '{}', '', '', '0', NULL, NULL, NULL, NULL)"
                )
            if not writes and any(f"fravaer_api.{f}(" in call for f in ("laas", "skriv_rader", "endre")):
                # refused by its privileges, before any code of the caller's could run
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cur.execute(call)
            else:
                cur.execute(call)
                cur.fetchall()
    finally:
        conn.close()
    listed = run_database(dsn, "list", "--virksomhet", A, "--behandler", "Ny Lege", "--include-past")
    assert ("Ny Lege" in listed.stdout) == (sends and writes)


def test_an_admins_database_load_runs_no_temporary_object_of_its(dsn, tmp_path):
    folder = tmp_path / "lager"
    assert run_database(dsn, "database", "dump", str(folder)).returncode == 0
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            spy_everywhere(cur)
            cur.execute("SELECT count(*) FROM fravaer_api.last_inn()")
            assert cur.fetchall() == [(0,)]
    finally:
        conn.close()


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO fravaer_inn.rader (innsender, tabell) VALUES ('ola', 'fravaer')",
        "INSERT INTO fravaer_inn.rader (transaksjon, tabell) VALUES ('1', 'fravaer')",
        "SELECT count(*) FROM fravaer_inn.rader",
        "UPDATE fravaer_inn.rader SET c0 = ''",
        "DELETE FROM fravaer_inn.rader",
        "TRUNCATE fravaer_inn.rader",
        "CREATE TRIGGER t BEFORE INSERT ON fravaer_inn.rader FOR EACH ROW EXECUTE FUNCTION pg_catalog.now()",
        "CREATE POLICY p ON fravaer_inn.rader USING (true)",
        "CREATE RULE r AS ON INSERT TO fravaer_inn.rader DO ALSO NOTHING",
        "CREATE VIEW fravaer_inn.v AS SELECT 1",
        "ALTER TABLE fravaer_inn.rader ENABLE ROW LEVEL SECURITY",
    ],
)
def test_a_login_only_adds_rows_to_what_it_sends(dsn, statement):
    conn = psycopg2.connect(as_login(dsn, "kari"))
    try:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege), conn, conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def test_rows_a_login_sent_and_left_are_taken_out_by_the_next_call(dsn, pg_server):
    """Sent and committed without the call that reads them, as a hostile login could: the next call of
    anyone's removes them, and they are never read as another transaction's."""
    conn = psycopg2.connect(as_login(dsn, "kari"))
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                f"INSERT INTO fravaer_inn.rader ({COLUMNS}) SELECT 'fravaer', '{A}', 'x', g::text, 'Søppel', "
                "'2031-01-01', '2031-01-02', '{timebestilling}', '{}', '', '', '', '', g::text "
                "FROM generate_series(1, 100) g"
            )
    finally:
        conn.close()
    database = dsn.split("dbname=")[1].split()[0]
    assert pg_server.sql(database, "SELECT count(*) FROM fravaer_inn.rader") == [(100,)]
    added = run_database(dsn, *add_args(orgnr=A, behandler="Lege B", fra="01.09.2031", til="02.09.2031"))
    assert added.returncode == 0, added.stderr
    sheet = dsn and (pg_server.base / "plan.csv")
    sheet.write_text(f"Virksomhet;Behandler;Fra og med;Til og med;Tjenester\n{A};Lege C;01.10.2031;02.10.2031;alle\n")
    imported = run_database(dsn, "import", str(sheet))
    assert imported.returncode == 0, imported.stderr
    assert pg_server.sql(database, "SELECT count(*) FROM fravaer_inn.rader") == [(0,)]
    listed = run_database(dsn, "list", "--virksomhet", A, "--json").stdout
    assert "Søppel" not in listed and "Lege C" in listed


def test_the_spy_catches_a_function_that_reads_the_callers_temporary_table(dsn, pg_server):
    """The check above can fail: a function as schema 8's skriv_rader was, reading pg_temp.rader as
    the owner, runs the caller's code, and the spy says so."""
    database = dsn.split("dbname=")[1].split()[0]
    pg_server.sql(
        database,
        "CREATE FUNCTION fravaer_api.som_for() RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER "
        "SET search_path = fravaer, pg_catalog, pg_temp "
        "AS $$ BEGIN RETURN (SELECT count(*) FROM pg_temp.rader); END $$;"
        "ALTER FUNCTION fravaer_api.som_for() OWNER TO fravaer_eier;"
        "GRANT EXECUTE ON FUNCTION fravaer_api.som_for() TO kari",
    )
    conn = psycopg2.connect(as_login(dsn, "kari"))
    try:
        with pytest.raises(psycopg2.errors.RaiseException, match="spionen kjørte som fravaer_eier"):
            with conn, conn.cursor() as cur:
                spy_everywhere(cur)
                cur.execute("SELECT fravaer_api.som_for()")
    finally:
        conn.close()


def test_a_login_holding_its_call_open_holds_up_no_other_import(dsn, pg_server, tmp_path):
    """A row left by a finished transaction is taken out by the next call; a call left open, which is
    taking it out, holds it. Another login's import at another office goes on without waiting."""
    conn = psycopg2.connect(as_login(dsn, "kari"))
    try:
        with conn, conn.cursor() as cur:
            cur.execute("INSERT INTO fravaer_inn.rader (tabell) VALUES ('logg')")  # left, committed
        with conn.cursor() as cur:  # a call, left open
            cur.execute("SELECT fravaer_api.skriv_rader('import', NULL)")
            sheet = tmp_path / "plan.csv"
            sheet.write_text(
                f"Virksomhet;Behandler;Fra og med;Til og med;Tjenester\n{OTHER};Lege D;1.10.2031;2.10.2031;alle\n"
            )
            imported = run_database(dsn, "import", str(sheet), env={"FRAVAER_LOCK_TIMEOUT": "3"}, timeout=60)
            assert imported.returncode == 0, imported.stderr
        conn.rollback()
    finally:
        conn.close()
