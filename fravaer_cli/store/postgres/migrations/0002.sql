-- Migration 2, as released. Never edit: a change is a new migration (tests/test_pg_migrations.py).
-- The office's roster: small, always read and written whole with its office, under the
-- office's row lock, so a column of the office's row (and its policies) rather than a table.
ALTER TABLE virksomhet ADD COLUMN behandlere jsonb NOT NULL DEFAULT '[]'
    CHECK (jsonb_typeof(behandlere) = 'array');
