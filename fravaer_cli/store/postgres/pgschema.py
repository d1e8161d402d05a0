"""The PostgreSQL schema, as numbered migrations that `fravaer database init` applies in order.

Access per office is the database's own business, so that it holds for every client, not only
for this program: from schema 6 no login reaches a table, and the functions of the schema
fravaer_api (owned by fravaer_eier, which no one logs in as) check each call's login themselves:
- a login reads and writes the offices it has been given (table tilgang);
- members of fravaer_kundesenter read every office and write none;
- members of fravaer_admin read and write every office and manage access.
The server makes the audit log, which only grows (a trigger), and the overlap rule is a trigger
on the fravær table (schema 7; an exclusion constraint before), so that two machines adding
overlapping fravær at the same moment cannot both succeed.
"""

from pathlib import Path

# Each migration is a file of SQL, frozen as it was released (tests/test_pg_migrations.py keeps a
# digest of each): a database made new and one upgraded from any earlier version run the same
# text. A change to the schema is a new file.
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
MIGRATIONS = {int(path.stem): path for path in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9].sql"))}
SCHEMA = max(MIGRATIONS)

_ROLES = """
-- fravaer_eier (schema 6 on) owns the store's schemas and no one logs in as it; fravaer_kontor is the
-- role of the logins given access to an office (fravaer_api.gi_tilgang makes a login one).
DO $$
DECLARE
    role text;
BEGIN
    FOREACH role IN ARRAY ARRAY['fravaer_admin', 'fravaer_kundesenter', 'fravaer_eier', 'fravaer_kontor'] LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', role);
        END IF;
    END LOOP;
END
$$;
GRANT fravaer_kontor TO fravaer_eier WITH ADMIN OPTION;
"""

# Logins given access before schema 6 join fravaer_kontor (once the access table is the owner's).
KONTOR_STATEMENTS = """
DO $$
DECLARE
    login text;
BEGIN
    FOR login IN SELECT DISTINCT t.login FROM fravaer.tilgang t JOIN pg_roles r ON r.rolname = t.login LOOP
        EXECUTE format('GRANT fravaer_kontor TO %I', login);
    END LOOP;
END
$$;
"""


def init_statements(current: int) -> list[tuple[int, str]]:
    """The migrations after version current, in order."""
    return [(version, path.read_text(encoding="utf-8")) for version, path in MIGRATIONS.items() if version > current]


ROLE_STATEMENTS = _ROLES
