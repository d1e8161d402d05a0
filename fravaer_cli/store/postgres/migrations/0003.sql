-- Migration 3, as released. Never edit: a change is a new migration (tests/test_pg_migrations.py).
-- The overlap rule on fravaer itself, one index entry per fravær instead of a row per
-- closed service in stengt: a 100,000-row import spent 12 of its 34 seconds in stengt
-- (its rows, their foreign key and their index), and now spends about 3 in this index.
-- The services are compared as an int array (intarray's GiST operator class, since
-- PostgreSQL has none for text[]) of their hashes; GP and office are one 64-bit key, as
-- before. A shared hash can only refuse a fravær as overlapping, never let one through.
CREATE EXTENSION IF NOT EXISTS intarray;
-- PL/pgSQL: a loop over a few texts costs half of what the same in SQL (an unnest) does.
CREATE FUNCTION fravaer_tjeneste_nr(tjenester text[]) RETURNS integer[] LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    nr integer[] := '{}';
    tjeneste text;
BEGIN
    FOREACH tjeneste IN ARRAY tjenester LOOP
        nr := nr || hashtext(tjeneste);
    END LOOP;
    RETURN nr;
END
$$;
ALTER TABLE fravaer
    ADD COLUMN nokkel bigint NOT NULL
        GENERATED ALWAYS AS (hashtextextended(orgnr || '|' || behandler_key, 0)) STORED,
    ADD COLUMN tjeneste_nr integer[] NOT NULL GENERATED ALWAYS AS (fravaer_tjeneste_nr(tjenester)) STORED,
    ADD CONSTRAINT fravaer_overlapper_ikke EXCLUDE USING gist
        (nokkel WITH =, daterange(fra, til, '[]') WITH &&, tjeneste_nr gist__int_ops WITH &&);
DROP TABLE stengt;
-- A log entry is kept as the text it was written as (json, not jsonb): it is read
-- back whole and never searched inside, and jsonb's parsing was an eighth of the log's
-- share of an import.
ALTER TABLE logg ALTER COLUMN oppforing TYPE json USING oppforing::json;
