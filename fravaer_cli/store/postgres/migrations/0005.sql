-- Migration 5, as released. Never edit: a change is a new migration (tests/test_pg_migrations.py).
-- A fravær and a log entry must name a stored office. A foreign key checks that row by row:
-- about a fifth of a 100,000-row import's time in the database. These triggers check all
-- of a statement's rows at once. What a foreign key also did, keep an office that rows
-- name from being deleted or renumbered, is kept by refusing both to every login, the
-- schema's owner included: the log, which only grows, names every office there has been.
ALTER TABLE fravaer DROP CONSTRAINT fravaer_orgnr_fkey;
ALTER TABLE logg DROP CONSTRAINT logg_orgnr_fkey;

-- As the login that writes: it may write only offices it may read (the policies), so it
-- sees every stored office it names.
CREATE FUNCTION fravaer_virksomhet_finnes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    mangler text;
BEGIN
    -- The offices once each, against one hash of the stored ones (NOT IN a sub-select without
    -- outer references): a join per row was planned as a loop over the offices for each row.
    SELECT n.orgnr INTO mangler FROM (SELECT DISTINCT orgnr FROM ny) n
        WHERE n.orgnr NOT IN (SELECT v.orgnr FROM virksomhet v) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'virksomhet % finnes ikke (tabellen %)', mangler, TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER fravaer_virksomhet_ny AFTER INSERT ON fravaer
    REFERENCING NEW TABLE AS ny FOR EACH STATEMENT EXECUTE FUNCTION fravaer_virksomhet_finnes();
CREATE TRIGGER fravaer_virksomhet_endret AFTER UPDATE ON fravaer
    REFERENCING NEW TABLE AS ny FOR EACH STATEMENT EXECUTE FUNCTION fravaer_virksomhet_finnes();
CREATE TRIGGER logg_virksomhet_ny AFTER INSERT ON logg
    REFERENCING NEW TABLE AS ny FOR EACH STATEMENT EXECUTE FUNCTION fravaer_virksomhet_finnes();

CREATE FUNCTION virksomhet_blir() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'en virksomhet kan ikke slettes eller få nytt organisasjonsnummer: loggen viser til den'
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER virksomhet_slettes_ikke BEFORE DELETE OR TRUNCATE ON virksomhet
    FOR EACH STATEMENT EXECUTE FUNCTION virksomhet_blir();
CREATE TRIGGER virksomhet_orgnr_fast BEFORE UPDATE OF orgnr ON virksomhet
    FOR EACH ROW WHEN (OLD.orgnr IS DISTINCT FROM NEW.orgnr) EXECUTE FUNCTION virksomhet_blir();

-- The services' numbers without a function call for the catalogue's own keys: the PL/pgSQL
-- call was an eighth of storing a fravær. Other keys (a catalogue's later ones, SQL by hand)
-- still go through the function, which gives the catalogue's keys the same numbers, so any
-- two fravær closing one service share its number.
ALTER TABLE fravaer DROP CONSTRAINT fravaer_overlapper_ikke;
ALTER TABLE fravaer DROP COLUMN tjeneste_nr;
CREATE OR REPLACE FUNCTION fravaer_tjeneste_nr(tjenester text[]) RETURNS integer[]
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    nr integer[] := '{}';
    tjeneste text;
BEGIN
    FOREACH tjeneste IN ARRAY tjenester LOOP
        nr := nr || CASE tjeneste
            WHEN 'reseptfornyelse' THEN 1 WHEN 'e-konsultasjon' THEN 2
            WHEN 'kontakt-legekontoret' THEN 3 WHEN 'timebestilling' THEN 4
            ELSE hashtext(tjeneste) END;
    END LOOP;
    RETURN nr;
END
$$;
ALTER TABLE fravaer
    ADD COLUMN tjeneste_nr integer[] NOT NULL GENERATED ALWAYS AS (
        CASE WHEN tjenester <@ '{reseptfornyelse,e-konsultasjon,kontakt-legekontoret,timebestilling}'::text[]
        THEN array_remove(ARRAY[
            CASE WHEN tjenester @> '{reseptfornyelse}'::text[] THEN 1 END,
            CASE WHEN tjenester @> '{e-konsultasjon}'::text[] THEN 2 END,
            CASE WHEN tjenester @> '{kontakt-legekontoret}'::text[] THEN 3 END,
            CASE WHEN tjenester @> '{timebestilling}'::text[] THEN 4 END], NULL)
        ELSE fravaer_tjeneste_nr(tjenester) END) STORED,
    ADD CONSTRAINT fravaer_overlapper_ikke EXCLUDE USING gist
        (nokkel WITH =, daterange(fra, til, '[]') WITH &&, tjeneste_nr gist__int_ops WITH &&);
