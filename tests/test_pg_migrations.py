"""The schema's migrations are frozen as released, and `database init` brings a database of
every earlier version, with data in it, to exactly the schema a new database gets."""

import hashlib
import json

import pytest

from fravaer_cli.store.postgres import pgschema
from tests.helpers import ORGNR, run_database

# A released migration's digest. A test that fails here means an old migration was edited:
# databases made before would then differ from new ones. Undo the edit and add a new file.
RELEASED = {
    1: "8dad7d3e7de3fbbcb0c1e74943e65b5ce79c33c23ba4b2525496234e20870cc0",
    2: "79d81de532a11e0d139739168fa8e6891dae12fccae918bdc1bb4f3834709725",
    3: "3868e3d8326edca30dee5cdf8d87e8824b0a3d97ab97a85515022b81f4d0d345",
    4: "2a6e6ef89513699bf4f909dc46c3d7d1da9ca15b39a3068ad9859c7418824f36",
    5: "8ba537d2ee26fc2740b643cc1cee758ec98b8e6dc2e2f056cf23c8458b86b720",
    6: "e7f5f1c794b47336d21c7f2199bd9ff529f2eb50e3d99398012c8c26d1090fdd",
    7: "c0ac96ebb9d41f8cf2690831ea7dee850868a54faf0de3e2e601a5c6db115f24",
    8: "de3a950a83fd96e0d07bbdb75137945b20d28761cdd143a71be89fdb2888d631",
    9: "c9263dcf936bb3b04c1c99317bc1c2373ef97eab52dba94d74af40620a3efbf3",
    10: "6c788bce961405679a481535e844efe01c57ebb1b8a3af9a70ff2a53fd80bf2c",
    11: "e18be5376462ea48431afb6a8ab41448a1f66f05bd43502382a76e35264b5f26",
}


def test_released_migrations_are_never_edited():
    files = {version: hashlib.sha256(path.read_bytes()).hexdigest() for version, path in pgschema.MIGRATIONS.items()}
    assert {v: files[v] for v in RELEASED} == RELEASED
    # Numbered from 1 with no gap; a new one gets its digest here when it is released.
    assert sorted(files) == list(range(1, pgschema.SCHEMA + 1))


# What a schema is, read from the catalogue: every column, constraint, index, trigger, policy,
# function and privilege of the store's schemas, so that two databases compare as text.
SCHEMAS = "('public', 'fravaer', 'fravaer_api', 'fravaer_intern', 'fravaer_inn')"
FINGERPRINT = f"""
SELECT 'column', n.nspname || '.' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
       || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE n.nspname IN {SCHEMAS} AND a.attnum > 0 AND NOT a.attisdropped
    AND c.relkind IN ('r', 'p')
UNION ALL
SELECT 'constraint', conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace::regnamespace::text IN {SCHEMAS}
UNION ALL
SELECT 'index', indexdef FROM pg_indexes WHERE schemaname IN {SCHEMAS}
UNION ALL
SELECT 'trigger', tgrelid::regclass || ' ' || pg_get_triggerdef(oid)
  FROM pg_trigger WHERE NOT tgisinternal
UNION ALL
SELECT 'policy', tablename || ' ' || policyname || ' ' || cmd || ' ' || coalesce(qual, '') || ' '
       || coalesce(with_check, '') FROM pg_policies WHERE schemaname IN {SCHEMAS}
UNION ALL
SELECT 'function', p.pronamespace::regnamespace || '.' || p.proname || '(' || pg_get_function_arguments(p.oid)
       || ') ' || md5(p.prosrc) || ' ' || pg_get_userbyid(p.proowner) || ' ' || p.prosecdef || ' '
       || coalesce(array_to_string(p.proconfig, ','), '') || ' ' || coalesce(array_to_string(p.proacl, ','), '')
  FROM pg_proc p WHERE p.pronamespace::regnamespace::text IN {SCHEMAS}
UNION ALL
SELECT 'privilege', c.relnamespace::regnamespace || '.' || c.relname || ' ' || pg_get_userbyid(c.relowner) || ' '
       || coalesce(array_to_string(c.relacl, ','), '')
  FROM pg_class c WHERE c.relnamespace::regnamespace::text IN {SCHEMAS}
   AND c.relkind IN ('r', 'S', 'p')
UNION ALL
SELECT 'schema', nspname || ' ' || pg_get_userbyid(nspowner) || ' ' || coalesce(array_to_string(nspacl, ','), '')
  FROM pg_namespace WHERE nspname IN {SCHEMAS}
UNION ALL
SELECT 'rls', c.relname || ' ' || c.relrowsecurity || ' ' || c.relforcerowsecurity
  FROM pg_class c WHERE c.relnamespace::regnamespace::text IN {SCHEMAS} AND c.relkind = 'r'
ORDER BY 1, 2
"""


def schema_of(pg_server, database: str) -> list[tuple[str, str]]:
    return [tuple(row) for row in pg_server.sql(database, FINGERPRINT)]


_databases = iter(range(1, 1000))


def database_at(pg_server, version: int) -> str:
    """A database made as `database init` of that version made it, with an office, a fravær and a
    log entry in it as the program of that version wrote them."""
    name = f"versjon{version}_{next(_databases)}"
    pg_server.sql("postgres", f"CREATE DATABASE {name} OWNER eier")
    # From schema 6 the tables belong to fravaer_eier, which no login is: the superuser makes them.
    login = "eier" if version < 6 else "postgres"
    pg_server.sql(name, pgschema.ROLE_STATEMENTS, login=login)
    for number, statements in pgschema.init_statements(0)[:version]:
        table = "fravaer.fravaer_schema" if number >= 6 else "fravaer_schema"  # (the owner's schema from 6 on)
        pg_server.sql(name, statements + f"UPDATE {table} SET versjon = {number};", login=login)
    # The folded name: the program's before schema 6, the server's from then.
    key, key_value = ("behandler_key, ", "'per test', ") if version < 6 else ("", "")
    pg_server.sql(
        name,
        ("SET search_path = fravaer;" if version >= 6 else "")
        + f"INSERT INTO virksomhet (orgnr, navn, neste_id) VALUES ('{ORGNR}', 'DDFL Test', 2);"
        f"INSERT INTO fravaer (orgnr, id, behandler, {key}behandler_sok, fra, til, tjenester) "
        f"VALUES ('{ORGNR}', '1', 'Per Test', {key_value}'per test', '2030-08-01', '2030-08-10', "
        "'{timebestilling}');"
        # From schema 8 the triggers that keep the GP search table are the interface's, which this
        # database, made by the migrations alone, does not have: the row they would have made.
        + (f"INSERT INTO fravaer_sok VALUES ('{ORGNR}', 'per test', '', 1);" if version >= 8 else "")
        + (
            "INSERT INTO stengt (orgnr, fravaer_id, behandler_key, tjeneste, periode) "
            f"VALUES ('{ORGNR}', '1', 'per test', 'timebestilling', '[2030-08-01,2030-08-10]');"
            if version < 3
            else ""
        )
        + "INSERT INTO logg (orgnr, tid, av, handling, oppforing) VALUES "
        f"('{ORGNR}', '2026-06-01T08:00:00+02:00', 'eier', 'add', "
        '\'{"handling": "add", "fravaer": {"id": "1", "behandler": "Per Test"}}\')',
        login=login,
    )
    return name


@pytest.mark.parametrize("version", range(1, pgschema.SCHEMA))
def test_init_upgrades_every_earlier_version_with_its_data_to_the_schema_of_a_new_database(pg_server, version):
    fresh = f"ny_{version}"
    pg_server.sql("postgres", f"CREATE DATABASE {fresh} OWNER eier")
    assert run_database(pg_server.dsn(database=fresh), "database", "init").returncode == 0

    old = database_at(pg_server, version)
    dsn = pg_server.dsn(database=old)
    upgraded = run_database(dsn, "database", "init")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.strip() == str(pgschema.SCHEMA)
    expected = schema_of(pg_server, fresh)
    assert len(expected) > 100 and {kind for kind, _ in expected} >= {"column", "constraint", "function", "trigger"}
    assert schema_of(pg_server, old) == expected

    listed = json.loads(run_database(dsn, "list", "--virksomhet", ORGNR, "--json").stdout)
    assert [(r["id"], r["behandler"], r["til"]) for r in listed] == [("1", "Per Test", "2030-08-10")]
    found = json.loads(run_database(dsn, "list", "--all", "--behandler", "per t", "--json").stdout)
    assert [r["id"] for r in found] == ["1"]
    logged = json.loads(run_database(dsn, "log", "--virksomhet", ORGNR, "--json").stdout)
    assert [e["handling"] for e in logged] == ["add"]
    # The overlap rule holds over what was there before.
    clash = run_database(
        dsn, "add", "--virksomhet", ORGNR, "--behandler", "Per Test", "--fra", "5.8.2030", "--til", "6.8.2030",
        "--tjeneste", "timebestilling",
    )  # fmt: skip
    assert clash.returncode == 4, clash.stderr
