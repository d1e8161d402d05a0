-- Migration 7: the overlap rule by a trigger and a B-tree index, in place of the exclusion
-- constraint; a big import's server work cut by half; roster entries checked. Never edit once
-- released: a change is a new migration.
--
-- The GiST index behind the exclusion constraint was two fifths of the server's work on an import
-- (1.1 of 2.7 s for 100,000 fravær); the B-tree index and the trigger's look-up in it cost a
-- tenth of that. The rule holds as before for every writer, SQL by hand included: a statement
-- that stores a fravær overlapping another of the same GP and a shared service fails whole, with
-- the constraint's SQLSTATE (23P01). Two writers at once cannot both pass: the trigger locks the
-- offices' rows before it looks, so the second waits for the first and then sees its fravær (in
-- a REPEATABLE READ or SERIALIZABLE transaction, whose snapshot is older, it updates them, and
-- fails to serialize instead).

SET LOCAL search_path = fravaer, pg_catalog, pg_temp;

ALTER TABLE fravaer DROP CONSTRAINT fravaer_overlapper_ikke;
-- Only nokkel (which folds the name again) was compared: the folded name itself goes, and with it
-- a second regular expression for every fravær stored.
ALTER TABLE fravaer DROP COLUMN behandler_key;
CREATE INDEX fravaer_nokkel ON fravaer (nokkel, til);

CREATE FUNCTION fravaer_overlapper_ikke() RETURNS trigger LANGUAGE plpgsql
    -- Its plan is made once a session, for whatever the first statement was: the table read through
    -- the index (a plan made while it was empty would read all of it for every statement after),
    -- and hash joins (one made for a statement of one row would loop over one of 5,000).
    SET search_path = fravaer, pg_catalog, pg_temp SET enable_seqscan = off SET enable_nestloop = off AS $$
DECLARE
    brudd record;
BEGIN
    IF current_setting('transaction_isolation') = 'read committed' THEN
        PERFORM 1 FROM virksomhet v WHERE v.orgnr = ANY(ARRAY(SELECT DISTINCT n.orgnr FROM ny n))
            ORDER BY v.orgnr FOR UPDATE;
    ELSE  -- a snapshot older than the lock would not see what the writer before stored: this fails instead
        UPDATE virksomhet v SET versjon = v.versjon WHERE v.orgnr = ANY(ARRAY(SELECT DISTINCT n.orgnr FROM ny n));
    END IF;
    -- The fravær of the new ones' GPs (nokkel is a hash of office and GP: the office is compared too)
    -- that end on or after the first new one starts, from the index.
    SELECT n.orgnr, n.id, g.id AS annen INTO brudd
        FROM ny n JOIN fravaer g ON g.nokkel = n.nokkel AND g.orgnr = n.orgnr AND g.id <> n.id
            AND g.til >= n.fra AND g.fra <= n.til AND g.tjeneste_nr && n.tjeneste_nr
        WHERE g.nokkel = ANY(ARRAY(SELECT DISTINCT m.nokkel FROM ny m)) AND g.til >= (SELECT min(m.fra) FROM ny m)
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'fravær % i virksomhet % overlapper med fravær % (samme behandler og tjeneste)',
            brudd.id, brudd.orgnr, brudd.annen USING ERRCODE = 'exclusion_violation';
    END IF;
    RETURN NULL;
END
$$;
ALTER FUNCTION fravaer_overlapper_ikke() OWNER TO fravaer_eier;
REVOKE ALL ON FUNCTION fravaer_overlapper_ikke() FROM PUBLIC;
CREATE TRIGGER fravaer_overlapper_ikke_ny AFTER INSERT ON fravaer
    REFERENCING NEW TABLE AS ny FOR EACH STATEMENT EXECUTE FUNCTION fravaer_overlapper_ikke();
CREATE TRIGGER fravaer_overlapper_ikke_endret AFTER UPDATE ON fravaer
    REFERENCING NEW TABLE AS ny FOR EACH STATEMENT EXECUTE FUNCTION fravaer_overlapper_ikke();

-- The GP search table's rows are made only by the triggers on fravaer, from fravær whose office is
-- checked (fravaer_virksomhet_finnes), and no office is ever deleted: its foreign key checked again,
-- row by row, what was known (a twentieth of an import's time on the server).
ALTER TABLE fravaer_sok DROP CONSTRAINT fravaer_sok_orgnr_fkey;

-- A fravær as the program's JSON has it (Fravaer.to_dict()), as a row of this type: to_json() of a
-- row looks up how to write each field once a call, json_build_object() for every value (half of
-- a log entry's cost). Still one expression, which PostgreSQL writes into the query that calls it.
CREATE TYPE logg_fravaer AS (id text, behandler text, fra date, til date, tjenester text[], vikar text[],
    kommentar text, hpr text, registrert_av text, registrert text);
ALTER TYPE logg_fravaer OWNER TO fravaer_eier;
CREATE OR REPLACE FUNCTION som_json(f fravaer) RETURNS json LANGUAGE sql STABLE
    AS $$ SELECT to_json(ROW(f.id, f.behandler, f.fra, f.til, f.tjenester, f.vikar, f.kommentar, NULLIF(f.hpr, ''),
        f.registrert_av, f.registrert)::logg_fravaer) $$;

-- Whether a roster (a virksomhet's behandlere) has a GP of exactly that name (and, hpr not null,
-- that HPR number: "" for none).
CREATE FUNCTION pa_listen(behandlere jsonb, navn text, hpr text) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT EXISTS (SELECT 1 FROM jsonb_array_elements(behandlere) e
                         WHERE e ->> 'behandler' = navn AND (hpr IS NULL OR coalesce(e ->> 'hpr', '') = hpr)) $$;
ALTER FUNCTION pa_listen(jsonb, text, text) OWNER TO fravaer_eier;
REVOKE ALL ON FUNCTION pa_listen(jsonb, text, text) FROM PUBLIC;

-- Lines of migration 6's functions, replaced in them as that migration made them (an error if
-- one is not there), rather than each function written out again:
-- - skriv() found the fravær to delete by an expression no index has: every edit and delete read
--   the whole table (12 ms for 100,000 fravær; the country's years of them would be a quarter of
--   a second a change). Limited to the offices the change has locked, the primary key's first
--   column, it reads only theirs.
-- - kontorer() found the fravær that follow one back to back (fra the day after its til) through
--   an index on (orgnr, fra), kept up for that alone: a seventh of what storing a fravær costs.
--   Such a fravær also ends after it, and the index on (nokkel, til) finds it from there.
-- - sett_inn() matched each new id against its pattern three times: now once.
-- - skriv() took a roster entry's words from the client, checking only that the roster changed:
--   an entry could name another GP than the one put on or taken off. Now the GP (and HPR number)
--   an entry names must be on the roster after it (roster_add) and, as its forrige, before it, or
--   not before it when it has none; or be on it before and not after (roster_remove). (A rename's
--   entry keeps the names as typed, which the program matches by its own folding: those stay
--   the client's, as migration 6 checks them.)
DO $$
DECLARE
    r record;
    definisjon text;
BEGIN
    FOR r IN SELECT * FROM (VALUES
        ('fravaer_api.skriv(json)',
         'DELETE FROM fravaer f WHERE f.orgnr || ''|'' || f.id = ANY(borte_ids)',
         'DELETE FROM fravaer f WHERE f.orgnr = ANY(orgnrs) AND f.orgnr || ''|'' || f.id = ANY(borte_ids)'),
        ('fravaer_api.kontorer(text[], text[], text, date, date)',
         'g.fra = k.til + 1 AND g.nokkel = k.nokkel',
         'g.fra = k.til + 1 AND g.til > k.til AND g.nokkel = k.nokkel'),
        ('fravaer.sett_inn(fravaer.ny_fravaer[], text[])',
         'FROM unnest(ny) n JOIN virksomhet v ON v.orgnr = n.orgnr
        WHERE NOT (n.orgnr || ''|'' || n.id = ANY(borte))
        GROUP BY n.orgnr, v.neste_id
        HAVING NOT bool_and(n.id ~ ''^[1-9][0-9]{0,7}$'')
            OR min(n.id::bigint) FILTER (WHERE n.id ~ ''^[1-9][0-9]{0,7}$'') <> v.neste_id
            OR max(n.id::bigint) FILTER (WHERE n.id ~ ''^[1-9][0-9]{0,7}$'') <> v.neste_id + count(*) - 1',
         'FROM (SELECT n.orgnr, CASE WHEN n.id ~ ''^[1-9][0-9]{0,7}$'' THEN n.id::bigint END AS nr
              FROM unnest(ny) n WHERE NOT (n.orgnr || ''|'' || n.id = ANY(borte))) n
        JOIN virksomhet v ON v.orgnr = n.orgnr
        GROUP BY n.orgnr, v.neste_id
        HAVING count(n.nr) <> count(*) OR min(n.nr) <> v.neste_id OR max(n.nr) <> v.neste_id + count(*) - 1'),
        ('fravaer_api.skriv(json)',
         'AND foer -> o.orgnr -> ''behandlere'' = etter -> o.orgnr -> ''behandlere'')',
         'AND foer -> o.orgnr -> ''behandlere'' = etter -> o.orgnr -> ''behandlere'')
           OR (o.handling = ''roster_add'' AND NOT (
                pa_listen(etter -> o.orgnr -> ''behandlere'', o.e -> ''behandler'' ->> ''behandler'',
                          coalesce(o.e -> ''behandler'' ->> ''hpr'', ''''))
                AND CASE WHEN json_typeof(o.e -> ''forrige'') = ''object''
                    THEN pa_listen(foer -> o.orgnr -> ''behandlere'', o.e -> ''forrige'' ->> ''behandler'',
                                   coalesce(o.e -> ''forrige'' ->> ''hpr'', ''''))
                    ELSE NOT pa_listen(foer -> o.orgnr -> ''behandlere'', o.e -> ''behandler'' ->> ''behandler'', NULL)
                    END))
           OR (o.handling = ''roster_remove'' AND NOT (
                pa_listen(foer -> o.orgnr -> ''behandlere'', o.e -> ''behandler'' ->> ''behandler'',
                          coalesce(o.e -> ''behandler'' ->> ''hpr'', ''''))
                AND NOT pa_listen(etter -> o.orgnr -> ''behandlere'', o.e -> ''behandler'' ->> ''behandler'', NULL)))')
    ) AS x (funksjon, gammel, ny) LOOP
        definisjon := pg_get_functiondef(r.funksjon::regprocedure);
        IF cardinality(string_to_array(definisjon, r.gammel)) <> 2 THEN  -- there, once
            RAISE EXCEPTION '% er ikke slik migrering 6 laget den', r.funksjon;
        END IF;
        EXECUTE replace(definisjon, r.gammel, r.ny);
    END LOOP;
END
$$;
DROP INDEX fravaer_fra;
