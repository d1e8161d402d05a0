-- Migration 8: tables and data only from here; the catalogue as a table. Never edit once
-- released: a change is a new migration.
--
-- Until now each migration also made or patched the functions, types, triggers and policies, so
-- that today's functions were in no one file. From here they are in interface.sql, which
-- `database init` makes anew, whole, whenever it differs from what the database has; numbered
-- migrations keep the tables, indexes and data. This migration takes out what earlier ones made
-- of the interface, so that the file alone says what there is:
-- - the functions and types of schema fravaer, with the triggers that call them (the file makes
--   them in fravaer_intern), and the constraints that named the catalogue's keys or a function;
-- - the row-level security policies of schemas 1 to 5: since schema 6 no login reaches a table,
--   and the owner is not held by them. Row-level security stays on with no policy, so a table
--   privilege granted by mistake shows no row.
-- The catalogue: a fifth service in tjenester.toml broke every write here (a CHECK constraint and
-- the services' numbers listed the four keys). Its keys are now rows of fravaer.tjeneste, which
-- `database init` fills from the catalogue the program ships, and the services are compared as
-- the texts they are (the numbers served a GiST index, which schema 7 replaced).

SET LOCAL search_path = fravaer, pg_catalog, pg_temp;

CREATE TABLE tjeneste (
    nokkel text PRIMARY KEY CHECK (nokkel ~ '^[a-z][a-z0-9-]{0,39}$'),
    plass integer NOT NULL,  -- the catalogue's order
    nb text NOT NULL,
    nn text NOT NULL,
    en text NOT NULL,
    kort text NOT NULL
);
ALTER TABLE tjeneste OWNER TO fravaer_eier;
REVOKE ALL ON tjeneste FROM PUBLIC;
ALTER TABLE tjeneste ENABLE ROW LEVEL SECURITY;

ALTER TABLE fravaer DROP COLUMN tjeneste_nr;
ALTER TABLE fravaer DROP CONSTRAINT fravaer_tjenester_ok, DROP CONSTRAINT fravaer_behandler_ok,
    DROP CONSTRAINT fravaer_kommentar_ok, DROP CONSTRAINT fravaer_registrert_ok;
ALTER TABLE virksomhet DROP CONSTRAINT virksomhet_navn_ok, DROP CONSTRAINT virksomhet_info_ok,
    DROP CONSTRAINT virksomhet_behandlere_ok;

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT tablename, policyname FROM pg_policies WHERE schemaname = 'fravaer' LOOP
        EXECUTE format('DROP POLICY %I ON fravaer.%I', r.policyname, r.tablename);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p WHERE p.pronamespace = 'fravaer'::regnamespace LOOP
        EXECUTE format('DROP FUNCTION %s CASCADE', r.f);  -- with the triggers that call it
    END LOOP;
END
$$;
DROP TYPE ny_fravaer, ny_oppforing, logg_fravaer;
DROP SCHEMA fravaer_api CASCADE;

-- What interface.sql made the database's functions from (its digest), which program did, and the
-- fingerprint of what it made (pgadmin.py): init makes them anew when either differs, and not with
-- an older program's file.
ALTER TABLE fravaer_schema ADD COLUMN grensesnitt text, ADD COLUMN program text, ADD COLUMN fingeravtrykk text;
