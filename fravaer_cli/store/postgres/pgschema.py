"""The PostgreSQL schema: numbered migrations for the tables, indexes and data, and one declared
interface (interface.sql) for everything else, which `fravaer database init` applies.

Access per office is the database's own business, so that it holds for every client, not only
for this program: no login reaches a table, and the functions of the schema fravaer_api (owned by
fravaer_eier, which no one logs in as) check each call's login themselves:
- a login reads and writes the offices it has been given (table tilgang);
- members of fravaer_kundesenter read every office and write none;
- members of fravaer_admin read and write every office and manage access.
interface.sql says the rest: how the server makes the log, the overlap rule, the rules on values.
"""

import hashlib
from pathlib import Path

# Each migration is a file of SQL, frozen as it was released (tests/test_pg_migrations.py keeps a
# digest of each): a database made new and one upgraded from any earlier version run the same
# text. A change to a table is a new file.
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
MIGRATIONS = {int(path.stem): path for path in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9].sql"))}
SCHEMA = max(MIGRATIONS)

# The functions, types, triggers, value rules and grants as they are now, made anew whole by
# `database init` whenever the file's digest differs from the one the database was made with (as
# Flyway's repeatable migrations do). From schema 8 on; earlier migrations made their own.
INTERFACE = Path(__file__).with_name("interface.sql")
INTERFACE_FROM = 8


def interface() -> tuple[str, str]:
    """The interface's SQL and its digest."""
    text = INTERFACE.read_text(encoding="utf-8")
    return text, hashlib.sha256(text.encode()).hexdigest()


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
