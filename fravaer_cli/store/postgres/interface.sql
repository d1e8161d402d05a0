-- The shared store's interface: every function, type, trigger, value rule and grant the database
-- has, as it is now. `database init` runs this file whole, in its transaction, whenever it differs
-- from what made the database's (fravaer_schema.grensesnitt); the numbered migrations keep the
-- tables, indexes and data (pgschema.py). Edit it in place: no change here needs a migration,
-- unless it needs a table's column.
--
-- How the store trusts no login (since schema 6):
-- - the tables live in schema fravaer, owned with it by fravaer_eier, a role no one logs in as; no
--   other role has a privilege on them;
-- - logins call the functions of fravaer_api, which run as fravaer_eier (SECURITY DEFINER) with
--   search_path pinned (pg_temp last, so a temporary table cannot stand in for one of the store's)
--   and check the calling login's access themselves; without JIT (a plan the planner guesses costly
--   was compiled for 0.4 s to run for 0.03 s: tests/test_pg_plans.py);
-- - none of them reads an object the caller can make (a temporary table, view or function would run
--   the caller's code as the owner): what a login sends in bulk comes in fravaer_inn.rader, the
--   store's own table, which it may only add rows to (tests/test_pg_owner_code.py);
-- - the server makes each log entry (number, time, login, and the fravær it names, from the rows it
--   wrote), the keys the rules compare, and the ids and next id;
-- - the rules on values hold for every writer, SQL by hand included (constraints and triggers).
-- fravaer_intern holds what only these functions and the triggers call.
--
-- Where SQL lists a fravær's fields, the line before says «-- fields: Fravaer» (and how they are
-- named there): tests/test_pg_interface.py compares each such list with Fravaer.FIELDS, so a new
-- field fails a test until every list here has it.

DROP SCHEMA IF EXISTS fravaer_api CASCADE;
DROP SCHEMA IF EXISTS fravaer_intern CASCADE;  -- with the triggers and constraints that call it
ALTER TABLE fravaer.fravaer DROP CONSTRAINT IF EXISTS fravaer_tjenester_ok;  -- (it calls none)
CREATE SCHEMA fravaer_api AUTHORIZATION fravaer_eier;
CREATE SCHEMA fravaer_intern AUTHORIZATION fravaer_eier;
REVOKE ALL ON SCHEMA fravaer_api, fravaer_intern FROM PUBLIC;
GRANT USAGE ON SCHEMA fravaer_api TO PUBLIC;
-- Everything below belongs to the store's owner, as if it had made it.
SET LOCAL ROLE fravaer_eier;
SET LOCAL search_path = fravaer, fravaer_intern, pg_catalog, pg_temp;

-- == Rules on values ==========================================================================
-- Values the program can read, and nothing else. NOT VALID: rows stored before a rule was made are
-- checked as they are read, so that an upgrade never fails on them.
-- These helpers have no SET search_path: a SET makes every call a real function call (an import's
-- rows, five times each), where without one PostgreSQL writes the expression into the constraint
-- or query itself. They name only built-in functions, and the store's own by their schema.
-- A text as the program stores it (model.clean_text): no white space at either end (Python's str.strip()),
-- no control character, bidi override or isolate, and at most lengde characters in NFC. The classes are
-- written out, not [[:space:]] or [[:cntrl:]], whose members depend on the server's locale;
-- tests/test_pg_interface.py holds them to the program's answers.
CREATE FUNCTION fravaer_intern.tekst_ok(t text, lengde integer) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT t !~ E'^[\t-\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]'
             AND t !~ E'[\t-\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$'
             AND t !~ E'[\u0001-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]'
             AND char_length(normalize(t, NFC)) <= lengde $$;
-- A name as the program stores it (model.clean_name): a text of at most 100 characters, not empty, and
-- without an invisible format character (Unicode's category Cf, as of Unicode 15.1), with which two
-- different GPs could look like one.
CREATE FUNCTION fravaer_intern.navn_ok(t text) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT t <> '' AND fravaer_intern.tekst_ok(t, 100)
             AND t !~ E'[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]' $$;
CREATE FUNCTION fravaer_intern.behandlere_ok(b jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$
    SELECT jsonb_typeof(b) = 'array' AND NOT EXISTS (
        SELECT 1 FROM jsonb_array_elements(b) e
        WHERE jsonb_typeof(e) <> 'object'
           OR EXISTS (SELECT 1 FROM jsonb_object_keys(e) k WHERE k NOT IN ('behandler', 'hpr'))
           OR jsonb_typeof(e -> 'behandler') IS DISTINCT FROM 'string'
           OR NOT fravaer_intern.navn_ok(e ->> 'behandler')
           OR (e ? 'hpr' AND (jsonb_typeof(e -> 'hpr') <> 'string' OR e ->> 'hpr' !~ '^[0-9]{0,10}$')))
    $$;
ALTER TABLE virksomhet
    ADD CONSTRAINT virksomhet_navn_ok CHECK (navn = '' OR fravaer_intern.navn_ok(navn)) NOT VALID,
    ADD CONSTRAINT virksomhet_info_ok CHECK (fravaer_intern.tekst_ok(info, 200)) NOT VALID,
    ADD CONSTRAINT virksomhet_behandlere_ok CHECK (fravaer_intern.behandlere_ok(behandlere)) NOT VALID;
ALTER TABLE fravaer
    ADD CONSTRAINT fravaer_behandler_ok CHECK (fravaer_intern.navn_ok(behandler)) NOT VALID,
    ADD CONSTRAINT fravaer_kommentar_ok CHECK (fravaer_intern.tekst_ok(kommentar, 500)) NOT VALID,
    -- Which keys there are, and how they combine, is fravaer_intern.tjenester_ok()'s business.
    ADD CONSTRAINT fravaer_tjenester_ok CHECK (
        array_position(tjenester, NULL) IS NULL AND array_position(vikar, NULL) IS NULL
        AND array_ndims(tjenester) = 1 AND coalesce(array_ndims(vikar), 1) = 1) NOT VALID,
    ADD CONSTRAINT fravaer_registrert_ok CHECK (
        fravaer_intern.tekst_ok(registrert_av, 100) AND fravaer_intern.tekst_ok(registrert, 40)) NOT VALID;

-- A fravær's services as the program has them: only services of the catalogue (the table
-- fravaer.tjeneste, which `database init` fills from tjenester.toml), none twice, none both closed
-- and with a vikar, and at least one closed or with a vikar. Checked for a statement's rows at once,
-- each of their few kinds of services once (a CHECK constraint would call a function for every row).
CREATE FUNCTION fravaer_intern.tjenester_ok() RETURNS trigger LANGUAGE plpgsql
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp AS $$
DECLARE
    s record;
    feil text;
BEGIN
    FOR s IN SELECT DISTINCT n.tjenester, coalesce(n.vikar, '{}') AS vikar FROM ny n LOOP
        SELECT 'tjenesten ' || k || ' finnes ikke i katalogen (fravaer.tjeneste)' INTO feil
            FROM unnest(s.tjenester || s.vikar) k WHERE k NOT IN (SELECT t.nokkel FROM tjeneste t) LIMIT 1;
        IF feil IS NULL AND cardinality(s.tjenester) + cardinality(s.vikar) = 0 THEN
            feil := 'et fravær må stenge minst én tjeneste eller ha vikar for én';
        ELSIF feil IS NULL AND s.tjenester && s.vikar THEN
            feil := 'en tjeneste kan ikke både stenges og ha vikar';
        ELSIF feil IS NULL AND ((SELECT count(DISTINCT k) FROM unnest(s.tjenester) k) <> cardinality(s.tjenester)
                OR (SELECT count(DISTINCT k) FROM unnest(s.vikar) k) <> cardinality(s.vikar)) THEN
            feil := 'en tjeneste står to ganger';
        END IF;
        IF feil IS NOT NULL THEN
            RAISE EXCEPTION '%: %', feil, s USING ERRCODE = 'check_violation';
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER fravaer_tjenester_ok_ny AFTER INSERT ON fravaer
    REFERENCING NEW TABLE AS ny FOR EACH STATEMENT EXECUTE FUNCTION fravaer_intern.tjenester_ok();
CREATE TRIGGER fravaer_tjenester_ok_endret AFTER UPDATE ON fravaer
    REFERENCING NEW TABLE AS ny FOR EACH STATEMENT EXECUTE FUNCTION fravaer_intern.tjenester_ok();

-- A fravær and a log entry must name a stored office. A foreign key checks that row by row: about a
-- fifth of a 100,000-row import's time. These triggers check a statement's rows at once. What a
-- foreign key also did, keep an office that rows name from being deleted or renumbered, is kept by
-- refusing both to every login, the owner included: the log, which only grows, names every office
-- there has been.
CREATE FUNCTION fravaer_intern.virksomhet_finnes() RETURNS trigger LANGUAGE plpgsql
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp AS $$
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
    REFERENCING NEW TABLE AS ny FOR EACH STATEMENT EXECUTE FUNCTION fravaer_intern.virksomhet_finnes();
CREATE TRIGGER fravaer_virksomhet_endret AFTER UPDATE ON fravaer
    REFERENCING NEW TABLE AS ny FOR EACH STATEMENT EXECUTE FUNCTION fravaer_intern.virksomhet_finnes();
CREATE TRIGGER logg_virksomhet_ny AFTER INSERT ON logg
    REFERENCING NEW TABLE AS ny FOR EACH STATEMENT EXECUTE FUNCTION fravaer_intern.virksomhet_finnes();

CREATE FUNCTION fravaer_intern.virksomhet_blir() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'en virksomhet kan ikke slettes eller få nytt organisasjonsnummer: loggen viser til den'
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER virksomhet_slettes_ikke BEFORE DELETE OR TRUNCATE ON virksomhet
    FOR EACH STATEMENT EXECUTE FUNCTION fravaer_intern.virksomhet_blir();
CREATE TRIGGER virksomhet_orgnr_fast BEFORE UPDATE OF orgnr ON virksomhet
    FOR EACH ROW WHEN (OLD.orgnr IS DISTINCT FROM NEW.orgnr) EXECUTE FUNCTION fravaer_intern.virksomhet_blir();

-- The log only grows: no login may change or remove an entry, the table's owner included. For each
-- statement, not row: an UPDATE that matches no row is refused too, not a no-op.
CREATE FUNCTION fravaer_intern.logg_kan_bare_utvides() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'loggen kan bare utvides, ikke endres eller slettes' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER logg_uforanderlig BEFORE UPDATE OR DELETE OR TRUNCATE ON logg
    FOR EACH STATEMENT EXECUTE FUNCTION fravaer_intern.logg_kan_bare_utvides();

-- The overlap rule: a statement that stores a fravær overlapping another of the same GP (nokkel: a
-- hash of office and the server's folding of the name) and a shared service fails whole, with an
-- exclusion constraint's SQLSTATE (23P01). A B-tree index on (nokkel, til) and this look-up cost a
-- tenth of the GiST exclusion constraint it replaced (schema 7). Two writers at once cannot both
-- pass: it locks the offices' rows before it looks, so the second waits for the first and then sees
-- its fravær (in a REPEATABLE READ or SERIALIZABLE transaction, whose snapshot is older, it updates
-- them, and fails to serialize instead).
CREATE FUNCTION fravaer_intern.overlapper_ikke() RETURNS trigger LANGUAGE plpgsql
    -- Its plan is made once a session, for whatever the first statement was: the table read through
    -- the index (a plan made while it was empty would read all of it for every statement after),
    -- and hash joins (one made for a statement of one row would loop over one of 5,000).
    -- tests/test_pg_plans.py shows the plans with and without these settings.
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET enable_seqscan = off SET enable_nestloop = off
    AS $$
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
            AND g.til >= n.fra AND g.fra <= n.til AND g.tjenester && n.tjenester
        WHERE g.nokkel = ANY(ARRAY(SELECT DISTINCT m.nokkel FROM ny m)) AND g.til >= (SELECT min(m.fra) FROM ny m)
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'fravær % i virksomhet % overlapper med fravær % (samme behandler og tjeneste)',
            brudd.id, brudd.orgnr, brudd.annen USING ERRCODE = 'exclusion_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER fravaer_overlapper_ikke_ny AFTER INSERT ON fravaer
    REFERENCING NEW TABLE AS ny FOR EACH STATEMENT EXECUTE FUNCTION fravaer_intern.overlapper_ikke();
CREATE TRIGGER fravaer_overlapper_ikke_endret AFTER UPDATE ON fravaer
    REFERENCING NEW TABLE AS ny FOR EACH STATEMENT EXECUTE FUNCTION fravaer_intern.overlapper_ikke();

-- The GPs (by search key and HPR) each office has fravær for: what a search for a GP over the whole
-- country reads instead of every fravær; kept by triggers, so that it is right after SQL by hand.
CREATE FUNCTION fravaer_intern.sok_oppdater() RETURNS trigger LANGUAGE plpgsql
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE fravaer_sok s SET antall = s.antall - g.antall
            FROM (SELECT orgnr, behandler_sok, hpr, count(*) AS antall FROM gammel GROUP BY 1, 2, 3) AS g
            WHERE (s.orgnr, s.behandler_sok, s.hpr) = (g.orgnr, g.behandler_sok, g.hpr);
        DELETE FROM fravaer_sok s USING (SELECT DISTINCT orgnr FROM gammel) AS g
            WHERE s.orgnr = g.orgnr AND s.antall = 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO fravaer_sok AS s
            SELECT orgnr, behandler_sok, hpr, count(*) FROM ny GROUP BY 1, 2, 3
            ON CONFLICT (orgnr, behandler_sok, hpr) DO UPDATE SET antall = s.antall + excluded.antall;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER fravaer_sok_ny AFTER INSERT ON fravaer
    REFERENCING NEW TABLE AS ny FOR EACH STATEMENT EXECUTE FUNCTION fravaer_intern.sok_oppdater();
CREATE TRIGGER fravaer_sok_endret AFTER UPDATE ON fravaer
    REFERENCING OLD TABLE AS gammel NEW TABLE AS ny FOR EACH STATEMENT EXECUTE FUNCTION fravaer_intern.sok_oppdater();
CREATE TRIGGER fravaer_sok_borte AFTER DELETE ON fravaer
    REFERENCING OLD TABLE AS gammel FOR EACH STATEMENT EXECUTE FUNCTION fravaer_intern.sok_oppdater();

-- Whether a roster (a virksomhet's behandlere) has a GP of exactly that name (and, hpr not null,
-- that HPR number: "" for none).
CREATE FUNCTION fravaer_intern.pa_listen(behandlere jsonb, navn text, hpr text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT EXISTS (SELECT 1 FROM jsonb_array_elements(behandlere) e
                         WHERE e ->> 'behandler' = navn AND (hpr IS NULL OR coalesce(e ->> 'hpr', '') = hpr)) $$;

-- == The interface's helpers ======================================================================
-- Who calls: the login the session was opened as (SET ROLE changes current_user, not this;
-- inside these functions current_user is fravaer_eier).
CREATE FUNCTION fravaer_intern.leser_alt() RETURNS boolean LANGUAGE sql STABLE SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp
    AS $$ SELECT pg_has_role(session_user, 'fravaer_admin', 'MEMBER')
              OR pg_has_role(session_user, 'fravaer_kundesenter', 'MEMBER') $$;
CREATE FUNCTION fravaer_intern.skriver_alt() RETURNS boolean LANGUAGE sql STABLE SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp
    AS $$ SELECT pg_has_role(session_user, 'fravaer_admin', 'MEMBER') $$;
CREATE FUNCTION fravaer_intern.tidspunkt() RETURNS text LANGUAGE sql STABLE
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET timezone = 'Europe/Oslo'
    AS $$ SELECT to_char(now(), 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM') $$;

-- A fravær as the program's JSON has it (Fravaer.to_dict()): what a log entry holds. As a row of a
-- type: to_json() of a row looks up how to write each field once a call, json_build_object() for
-- every value (half of a log entry's cost). One expression, which PostgreSQL writes into the query
-- that calls it (no SET, no search_path of its own: it names the type by its schema).
-- fields: Fravaer
CREATE TYPE fravaer_intern.logg_fravaer AS (id text, behandler text, fra date, til date, tjenester text[],
    vikar text[], kommentar text, hpr text, registrert_av text, registrert text);
CREATE FUNCTION fravaer_intern.som_json(f fravaer) RETURNS json LANGUAGE sql STABLE
    AS $$ SELECT to_json(
        -- fields: Fravaer
        ROW(f.id, f.behandler, f.fra, f.til, f.tjenester, f.vikar, f.kommentar,
        NULLIF(f.hpr, ''), f.registrert_av, f.registrert)::fravaer_intern.logg_fravaer) $$;

-- A new fravær as the program sends it: to_dict()'s fields, with its office and search key.
-- fields: Fravaer also orgnr, behandler_sok
CREATE TYPE fravaer_intern.ny_fravaer AS (orgnr text, behandler_sok text, id text, behandler text, fra date, til date,
    tjenester text[], vikar text[], kommentar text, hpr text, registrert_av text, registrert text);

-- A log entry as the program sends it, numbered in its order.
CREATE TYPE fravaer_intern.ny_oppforing AS (n bigint, orgnr text, handling text, id text, e json);

-- Every office in orgnrs, locked for this transaction, in orgnr order; or an error naming the first
-- this login may not write (42501) or that is not stored (P0002).
CREATE FUNCTION fravaer_intern.skrivbare(orgnrs text[]) RETURNS void LANGUAGE plpgsql
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp AS $$
DECLARE
    ikke text;
BEGIN
    IF NOT skriver_alt() THEN
        SELECT o INTO ikke FROM unnest(orgnrs) o
            WHERE o NOT IN (SELECT t.orgnr FROM tilgang t WHERE t.login = session_user) ORDER BY o LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'ingen skrivetilgang til virksomhet %', ikke USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    PERFORM 1 FROM virksomhet v WHERE v.orgnr = ANY(orgnrs) ORDER BY v.orgnr FOR UPDATE;
    SELECT o INTO ikke FROM unnest(orgnrs) o WHERE o NOT IN (SELECT v.orgnr FROM virksomhet v) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'virksomhet % finnes ikke', ikke USING ERRCODE = 'no_data_found';
    END IF;
END
$$;

-- New fravær (from ny): each id is either one this call deleted (an edit) or the office's next,
-- in order; the office's next id follows. Returns the rows as stored.
CREATE FUNCTION fravaer_intern.sett_inn(ny ny_fravaer[], borte text[]) RETURNS SETOF fravaer LANGUAGE plpgsql
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp AS $$
DECLARE
    feil text;
BEGIN
    SELECT n.orgnr INTO feil
        FROM (SELECT n.orgnr, CASE WHEN n.id ~ '^[1-9][0-9]{0,7}$' THEN n.id::bigint END AS nr
              FROM unnest(ny) n WHERE NOT (n.orgnr || '|' || n.id = ANY(borte))) n
        JOIN virksomhet v ON v.orgnr = n.orgnr
        GROUP BY n.orgnr, v.neste_id
        HAVING count(n.nr) <> count(*) OR min(n.nr) <> v.neste_id OR max(n.nr) <> v.neste_id + count(*) - 1
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'nye fravær i virksomhet % skal ha de neste id-ene, i rekkefølge', feil
            USING ERRCODE = 'check_violation';
    END IF;
    UPDATE virksomhet v SET neste_id = v.neste_id + x.antall
        FROM (SELECT n.orgnr, count(*) AS antall FROM unnest(ny) n
              WHERE NOT (n.orgnr || '|' || n.id = ANY(borte)) GROUP BY n.orgnr) x
        WHERE v.orgnr = x.orgnr;
    RETURN QUERY
        -- fields: Fravaer also orgnr, behandler_sok
        INSERT INTO fravaer (orgnr, id, behandler, behandler_sok, fra, til, tjenester, vikar, kommentar,
            hpr, registrert_av, registrert)
        -- fields: Fravaer also orgnr, behandler_sok
        SELECT n.orgnr, n.id, n.behandler, n.behandler_sok, n.fra, n.til, n.tjenester, coalesce(n.vikar, '{}'),
            coalesce(n.kommentar, ''), coalesce(n.hpr, ''), coalesce(n.registrert_av, ''), coalesce(n.registrert, '')
        FROM unnest(ny) n
        RETURNING *;
END
$$;

-- A log entry as the server writes it: its time and login first, then what the entry says.
CREATE FUNCTION fravaer_intern.oppforing(tid text, pa_vegne_av text, e json, fravaer_json json, forrige json)
    RETURNS json LANGUAGE sql STABLE SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp AS $$
    SELECT json_object_agg(k, v ORDER BY n) FROM (
        SELECT 1 AS n, 'tid' AS k, to_json(tid) AS v
        UNION ALL SELECT 2, 'av', to_json(session_user::text)
        UNION ALL SELECT 3, 'pa_vegne_av', to_json(pa_vegne_av) WHERE pa_vegne_av IS NOT NULL
        UNION ALL SELECT 4, 'handling', e -> 'handling'
        UNION ALL SELECT 5, 'fravaer', fravaer_json
        UNION ALL SELECT 5 + o.n, o.key, CASE WHEN o.key = 'forrige' AND forrige IS NOT NULL THEN forrige ELSE o.value END
            FROM json_each(e) WITH ORDINALITY AS o (key, value, n) WHERE o.key NOT IN ('handling', 'fravaer', 'tid', 'av', 'pa_vegne_av')
    ) x
$$;

-- The one write of a change (after laas): fravær gone and new, the offices' own fields, and a log
-- entry for each change, which the server completes from what it wrote. Refused whole when an
-- entry names no change made here, or a change has no entry.
--   endring: {"pa_vegne_av": text|null, "borte": [[orgnr, id]], "nye": [ny_fravaer as object],
--             "kontorer": [[orgnr, navn, info, behandlere]], "logg": [[orgnr, entry]]}
CREATE FUNCTION fravaer_api.skriv(endring json) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    tid text := tidspunkt();
    orgnrs text[];
    borte_ids text[];
    ny ny_fravaer[];
    gamle fravaer[];
    nye fravaer[];
    foer jsonb;
    etter jsonb;
    oppf ny_oppforing[];
    feil text;
BEGIN
    SELECT array_agg(DISTINCT o) INTO orgnrs FROM (
        SELECT k ->> 0 AS o FROM json_array_elements(endring -> 'kontorer') k
        UNION SELECT b ->> 0 FROM json_array_elements(endring -> 'borte') b
        UNION SELECT n ->> 'orgnr' FROM json_array_elements(endring -> 'nye') n
        UNION SELECT l ->> 0 FROM json_array_elements(endring -> 'logg') l) x;
    IF orgnrs IS NULL THEN
        RETURN;
    END IF;
    PERFORM skrivbare(orgnrs);
    SELECT jsonb_object_agg(v.orgnr, jsonb_build_object('navn', v.navn, 'info', v.info, 'behandlere', v.behandlere))
        INTO foer FROM virksomhet v WHERE v.orgnr = ANY(orgnrs);

    borte_ids := ARRAY(SELECT (b ->> 0) || '|' || (b ->> 1) FROM json_array_elements(endring -> 'borte') b);
    WITH d AS (DELETE FROM fravaer f WHERE f.orgnr = ANY(orgnrs) AND f.orgnr || '|' || f.id = ANY(borte_ids) RETURNING f.*)
        SELECT coalesce(array_agg(d), '{}') INTO gamle FROM d;
    IF cardinality(gamle) <> cardinality(borte_ids) THEN
        RAISE EXCEPTION 'et fravær som skulle slettes finnes ikke' USING ERRCODE = 'no_data_found';
    END IF;
    ny := ARRAY(SELECT r FROM json_populate_recordset(NULL::ny_fravaer, endring -> 'nye') r);
    nye := ARRAY(SELECT r FROM sett_inn(ny, borte_ids) r);

    UPDATE virksomhet v SET navn = k ->> 1, info = k ->> 2, behandlere = (k -> 3)::jsonb, versjon = v.versjon + 1
        FROM json_array_elements(endring -> 'kontorer') k WHERE v.orgnr = k ->> 0;
    SELECT jsonb_object_agg(v.orgnr, jsonb_build_object('navn', v.navn, 'info', v.info, 'behandlere', v.behandlere))
        INTO etter FROM virksomhet v WHERE v.orgnr = ANY(orgnrs);

    -- Each entry, as the server completes it; and the check that entries and changes match one to one.
    oppf := ARRAY(SELECT ROW(l.n, l.value ->> 0, l.value -> 1 ->> 'handling', l.value -> 1 -> 'fravaer' ->> 'id',
                             l.value -> 1)::ny_oppforing
                  FROM json_array_elements(endring -> 'logg') WITH ORDINALITY AS l (value, n));
    SELECT coalesce(o.orgnr || ': ' || o.handling, 'en oppføring') INTO feil FROM unnest(oppf) o
        WHERE json_typeof(o.e) IS DISTINCT FROM 'object'
           OR o.handling IS NULL
           OR o.handling NOT IN ('add', 'import', 'edit', 'delete', 'restore', 'info', 'roster_add', 'roster_remove',
                                 'rename')
           OR EXISTS (SELECT 1 FROM json_object_keys(o.e) key
                      WHERE key NOT IN ('handling', 'fravaer', 'forrige', 'behandler', 'virksomhet'))
           OR (o.handling IN ('add', 'import') AND (o.orgnr || '|' || o.id = ANY(borte_ids)
                OR NOT EXISTS (SELECT 1 FROM unnest(nye) f WHERE f.orgnr = o.orgnr AND f.id = o.id)))
           OR (o.handling = 'edit' AND NOT (o.orgnr || '|' || o.id = ANY(borte_ids)
                AND EXISTS (SELECT 1 FROM unnest(nye) f WHERE f.orgnr = o.orgnr AND f.id = o.id)))
           OR (o.handling = 'delete' AND (NOT (o.orgnr || '|' || o.id = ANY(borte_ids))
                OR EXISTS (SELECT 1 FROM unnest(nye) f WHERE f.orgnr = o.orgnr AND f.id = o.id)))
           -- A fravær put back as it was before its last change: in place (as an edit), or, deleted, with a
           -- new id, as the office's log has it deleted (its forrige: the fravær the delete's entry names).
           OR (o.handling = 'restore' AND (NOT EXISTS (SELECT 1 FROM unnest(nye) f WHERE f.orgnr = o.orgnr AND f.id = o.id)
                OR (NOT (o.orgnr || '|' || o.id = ANY(borte_ids)) AND NOT EXISTS (
                    SELECT 1 FROM logg l WHERE l.orgnr = o.orgnr AND l.handling = 'delete'
                        AND (l.oppforing -> 'fravaer')::jsonb = (o.e -> 'forrige')::jsonb))))
           OR (o.handling IN ('info', 'roster_add', 'roster_remove', 'rename') AND o.id IS NOT NULL)
           OR (o.handling IN ('roster_add', 'roster_remove')  -- (a rename may change only fravær)
                AND foer -> o.orgnr -> 'behandlere' = etter -> o.orgnr -> 'behandlere')
           OR (o.handling = 'roster_add' AND NOT (
                pa_listen(etter -> o.orgnr -> 'behandlere', o.e -> 'behandler' ->> 'behandler',
                          coalesce(o.e -> 'behandler' ->> 'hpr', ''))
                AND CASE WHEN json_typeof(o.e -> 'forrige') = 'object'
                    THEN pa_listen(foer -> o.orgnr -> 'behandlere', o.e -> 'forrige' ->> 'behandler',
                                   coalesce(o.e -> 'forrige' ->> 'hpr', ''))
                    ELSE NOT pa_listen(foer -> o.orgnr -> 'behandlere', o.e -> 'behandler' ->> 'behandler', NULL)
                    END))
           OR (o.handling = 'roster_remove' AND NOT (
                pa_listen(foer -> o.orgnr -> 'behandlere', o.e -> 'behandler' ->> 'behandler',
                          coalesce(o.e -> 'behandler' ->> 'hpr', ''))
                AND NOT pa_listen(etter -> o.orgnr -> 'behandlere', o.e -> 'behandler' ->> 'behandler', NULL)))
        ORDER BY o.n LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'loggoppføringen (%) svarer ikke til en endring', feil USING ERRCODE = 'check_violation';
    END IF;
    SELECT x INTO feil FROM (
        SELECT f.orgnr || ' ' || f.id AS x FROM unnest(nye) f
            WHERE (SELECT count(*) FROM unnest(oppf) o WHERE o.orgnr = f.orgnr AND o.id = f.id
                   AND o.handling IN ('add', 'import', 'edit', 'restore')) <> 1
        UNION ALL
        SELECT f.orgnr || ' ' || f.id FROM unnest(gamle) f
            WHERE (SELECT count(*) FROM unnest(oppf) o WHERE o.orgnr = f.orgnr AND o.id = f.id
                   AND o.handling IN ('edit', 'delete', 'restore')) <> 1
        UNION ALL
        SELECT o AS x FROM unnest(orgnrs) o
            WHERE (foer -> o -> 'navn', foer -> o -> 'info') IS DISTINCT FROM (etter -> o -> 'navn', etter -> o -> 'info')
              AND NOT EXISTS (SELECT 1 FROM unnest(oppf) e WHERE e.orgnr = o AND e.handling = 'info')
        UNION ALL
        SELECT o FROM unnest(orgnrs) o
            WHERE foer -> o -> 'behandlere' IS DISTINCT FROM etter -> o -> 'behandlere'
              AND NOT EXISTS (SELECT 1 FROM unnest(oppf) e
                              WHERE e.orgnr = o AND e.handling IN ('roster_add', 'roster_remove', 'rename'))
    ) y LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'endringen i % har ingen loggoppføring', feil USING ERRCODE = 'check_violation';
    END IF;

    INSERT INTO logg (orgnr, tid, av, handling, oppforing)
        SELECT o.orgnr, tid, session_user, o.handling,
            CASE WHEN o.handling = 'info' THEN
                oppforing(tid, endring ->> 'pa_vegne_av',
                    json_build_object('handling', 'info',
                        'virksomhet', json_build_object('navn', etter -> o.orgnr ->> 'navn', 'info', etter -> o.orgnr ->> 'info'),
                        'forrige', json_build_object('navn', foer -> o.orgnr ->> 'navn', 'info', foer -> o.orgnr ->> 'info')),
                    NULL, NULL)
            ELSE oppforing(tid, endring ->> 'pa_vegne_av', o.e,
                CASE WHEN o.handling = 'delete'
                    THEN (SELECT som_json(f) FROM unnest(gamle) f WHERE f.orgnr = o.orgnr AND f.id = o.id)
                    ELSE (SELECT som_json(f) FROM unnest(nye) f WHERE f.orgnr = o.orgnr AND f.id = o.id) END,
                CASE WHEN o.handling IN ('edit', 'restore')  -- (none for a deleted one put back: its own)
                    THEN (SELECT som_json(f) FROM unnest(gamle) f WHERE f.orgnr = o.orgnr AND f.id = o.id) END)
            END
        FROM unnest(oppf) o ORDER BY o.n;
END
$$;

-- What a login sends in bulk: the rows of fravaer_inn.rader its own transaction added (as tabell),
-- taken out as they are read; and those left by transactions that ended, whoever sent them. The
-- table is the store's own: no object the caller can make is read as the owner (migration 9).
CREATE FUNCTION fravaer_intern.innsendt(tabell text) RETURNS SETOF fravaer_inn.rader LANGUAGE plpgsql
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp AS $$
DECLARE
    tx xid8 := pg_current_xact_id();  -- (a volatile call in the WHERE would read the whole table)
BEGIN
    -- (Skipping rows another call is removing: a login's open call must hold up no one else's.)
    DELETE FROM fravaer_inn.rader r WHERE r.ctid = ANY(ARRAY(
        SELECT g.ctid FROM fravaer_inn.rader g WHERE g.transaksjon < pg_snapshot_xmin(pg_current_snapshot())
        FOR UPDATE SKIP LOCKED));
    RETURN QUERY DELETE FROM fravaer_inn.rader r WHERE r.transaksjon = tx AND r.tabell = innsendt.tabell
        RETURNING r.*;
END
$$;

-- An import's new fravær in batches, sent as rows of tabell 'fravaer' (columns c0 orgnr,
-- c1 behandler_sok, then the fravær's fields as text, then the row's place): each is stored and
-- logged as handling, in its place's order.
-- Its statements planned once for any batch: planned for each of a session's first five batches
-- with the batch's 5,000 rows as constants, a batch took 1.1 s instead of 0.2 s.
CREATE FUNCTION fravaer_api.skriv_rader(handling text, pa_vegne_av text) RETURNS void LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET jit = off
    SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    tid text := tidspunkt();
    orgnrs text[];
    ny ny_fravaer[];
BEGIN
    IF handling NOT IN ('add', 'import') THEN
        RAISE EXCEPTION 'ukjent handling %', handling USING ERRCODE = 'check_violation';
    END IF;
    ny := ARRAY(SELECT
                -- fields: Fravaer also c0, c1 numbered from c2
                ROW(c0, c1, c2, c3, c4::date, c5::date, c6::text[], c7::text[], c8, c9, c10, c11)::ny_fravaer
                FROM innsendt('fravaer') ORDER BY c12::integer);
    orgnrs := ARRAY(SELECT DISTINCT n.orgnr FROM unnest(ny) n);
    PERFORM skrivbare(orgnrs);
    INSERT INTO logg (orgnr, tid, av, handling, oppforing)
        SELECT f.orgnr, tid, session_user, handling,
            CASE WHEN pa_vegne_av IS NULL
                THEN json_build_object('tid', tid, 'av', session_user, 'handling', handling, 'fravaer', som_json(f))
                ELSE json_build_object('tid', tid, 'av', session_user, 'pa_vegne_av', pa_vegne_av,
                                       'handling', handling, 'fravaer', som_json(f)) END
        FROM sett_inn(ny, '{}') AS f;  -- in the order given: the rows' places, as the log keeps them
END
$$;

-- The offices this login may read (orgnrs: only those), orgnr order.
CREATE FUNCTION fravaer_api.virksomheter(orgnrs text[] DEFAULT NULL)
    RETURNS TABLE (orgnr text, navn text) LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET jit = off AS $$
    SELECT v.orgnr, v.navn FROM virksomhet v
    WHERE ((SELECT leser_alt()) OR v.orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = session_user))
      AND (orgnrs IS NULL OR v.orgnr = ANY(orgnrs))
    ORDER BY v.orgnr
$$;

-- Offices with their fravær, one row a fravær (an office without any: one row of nulls after its own
-- columns). orgnrs: only those; ord and hpr: only offices with a GP whose search key matches every
-- pattern of ord (LIKE), or whose HPR number is hpr, and only those fravær; fra_og_med and
-- til_og_med: only fravær that end on or after the one and start on or before the other, and
-- those that make one stretch with them (the same GP and a shared service, back to back): a report
-- for a day reads neither history nor the years ahead, but whole the stretches it shows.
CREATE FUNCTION fravaer_api.kontorer(orgnrs text[] DEFAULT NULL, ord text[] DEFAULT NULL, hpr text DEFAULT NULL,
        fra_og_med date DEFAULT NULL, til_og_med date DEFAULT NULL)
    -- fields: Fravaer also orgnr, navn, info, neste_id, behandlere, versjon renamed hpr as hpr_nr
    RETURNS TABLE (orgnr text, navn text, info text, neste_id integer, behandlere jsonb, versjon bigint,
        id text, behandler text, fra date, til date, tjenester text[], vikar text[], kommentar text,
        hpr_nr text, registrert_av text, registrert text)
    -- PL/pgSQL, not SQL: its statements are planned with the call's values (an SQL function's are
    -- planned for any value, and then read every fravær), and a call without days needs no recursion.
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET jit = off AS $$
#variable_conflict use_column
DECLARE
    alt boolean := leser_alt();
    leses text[];
BEGIN
    leses := ARRAY(
        SELECT v.orgnr FROM virksomhet v
        WHERE (alt OR v.orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = session_user))
          AND (orgnrs IS NULL OR v.orgnr = ANY(orgnrs))
          AND (ord IS NULL OR v.orgnr IN (SELECT s.orgnr FROM fravaer_sok s
                WHERE NOT EXISTS (SELECT 1 FROM unnest(ord) w WHERE s.behandler_sok NOT LIKE w) OR s.hpr = kontorer.hpr)));
    IF fra_og_med IS NULL AND til_og_med IS NULL THEN
        RETURN QUERY
            -- fields: Fravaer also orgnr, navn, info, neste_id, behandlere, versjon
            SELECT v.orgnr, v.navn, v.info, v.neste_id, v.behandlere, v.versjon, f.id, f.behandler, f.fra, f.til,
                f.tjenester, f.vikar, f.kommentar, f.hpr, f.registrert_av, f.registrert
            FROM virksomhet v LEFT JOIN fravaer f ON f.orgnr = v.orgnr
                AND (ord IS NULL OR NOT EXISTS (SELECT 1 FROM unnest(ord) w WHERE f.behandler_sok NOT LIKE w)
                     OR f.hpr = kontorer.hpr)
            WHERE v.orgnr = ANY(leses)
            ORDER BY v.orgnr, length(f.id), f.id;
        RETURN;
    END IF;
    RETURN QUERY
        WITH RECURSIVE valgte AS MATERIALIZED (
            SELECT f.* FROM fravaer f
            WHERE f.orgnr = ANY(leses)
              AND (fra_og_med IS NULL OR f.til >= fra_og_med) AND (til_og_med IS NULL OR f.fra <= til_og_med)
              AND (ord IS NULL OR NOT EXISTS (SELECT 1 FROM unnest(ord) w WHERE f.behandler_sok NOT LIKE w)
                   OR f.hpr = kontorer.hpr)
        ), bakover AS (  -- back to back before them: the start of a stretch
            SELECT * FROM valgte
            UNION
            -- Looked up fravær by fravær in the index (OFFSET 0 keeps the planner from a join that
            -- reads every fravær of the table for each step, as it did for its guess of many rows).
            SELECT g.* FROM bakover k, LATERAL (
                SELECT * FROM fravaer g WHERE g.orgnr = k.orgnr AND g.til = k.fra - 1 AND g.nokkel = k.nokkel
                    AND g.tjenester && k.tjenester OFFSET 0) g
            WHERE fra_og_med IS NOT NULL
        ), fremover AS (  -- and after them: its end
            SELECT * FROM valgte
            UNION
            SELECT g.* FROM fremover k, LATERAL (
                SELECT * FROM fravaer g WHERE g.orgnr = k.orgnr AND g.fra = k.til + 1 AND g.til > k.til AND g.nokkel = k.nokkel
                    AND g.tjenester && k.tjenester OFFSET 0) g
            WHERE til_og_med IS NOT NULL
        ), alle AS (SELECT * FROM bakover UNION SELECT * FROM fremover)
        -- fields: Fravaer also orgnr, navn, info, neste_id, behandlere, versjon
        SELECT v.orgnr, v.navn, v.info, v.neste_id, v.behandlere, v.versjon, f.id, f.behandler, f.fra, f.til,
            f.tjenester, f.vikar, f.kommentar, f.hpr, f.registrert_av, f.registrert
        FROM virksomhet v LEFT JOIN alle f ON f.orgnr = v.orgnr
        WHERE v.orgnr = ANY(leses)
        ORDER BY v.orgnr, length(f.id), f.id;
END
$$;

-- Lock the offices in orgnrs for a change, and create those missing that this login may write when
-- opprett. Returns each office it may write, with whether this call created it; one it may read
-- but not write is an error (42501); one it may not read, or not stored and not created, is left out.
CREATE FUNCTION fravaer_api.laas(orgnrs text[], opprett boolean)
    RETURNS TABLE (orgnr text, navn text, info text, neste_id integer, behandlere jsonb, versjon bigint,
        opprettet boolean)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET jit = off AS $$
#variable_conflict use_column
DECLARE
    alt boolean := skriver_alt();
    lov text[];
    ikke text;
    nye text[] := '{}';
BEGIN
    lov := ARRAY(SELECT o FROM unnest(orgnrs) o
                 WHERE alt OR o IN (SELECT t.orgnr FROM tilgang t WHERE t.login = session_user));
    IF leser_alt() THEN
        SELECT o INTO ikke FROM unnest(orgnrs) o
            WHERE NOT (o = ANY(lov)) AND o IN (SELECT v.orgnr FROM virksomhet v) ORDER BY o LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'ingen skrivetilgang til virksomhet %', ikke USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    IF opprett THEN
        WITH n AS (INSERT INTO virksomhet (orgnr) SELECT o FROM unnest(lov) o ORDER BY o
                   ON CONFLICT DO NOTHING RETURNING virksomhet.orgnr)
            SELECT coalesce(array_agg(n.orgnr), '{}') INTO nye FROM n;
    END IF;
    RETURN QUERY SELECT v.orgnr, v.navn, v.info, v.neste_id, v.behandlere, v.versjon, v.orgnr = ANY(nye)
        FROM virksomhet v WHERE v.orgnr = ANY(lov) ORDER BY v.orgnr FOR UPDATE;
END
$$;

-- An office's log, oldest first.
CREATE FUNCTION fravaer_api.logg(orgnr text) RETURNS TABLE (av text, oppforing json)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET jit = off AS $$
    SELECT l.av, l.oppforing FROM logg l
    WHERE l.orgnr = logg.orgnr
      AND ((SELECT leser_alt()) OR l.orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = session_user))
    ORDER BY l.nr
$$;

CREATE FUNCTION fravaer_api.skjema() RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET jit = off AS $$ SELECT versjon FROM fravaer_schema $$;

-- database status: what this login sees, and what it may do.
CREATE FUNCTION fravaer_api.status()
    RETURNS TABLE (virksomheter bigint, fravaer bigint, admin boolean, kundesenter boolean, tilgang text[])
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET jit = off AS $$
    SELECT (SELECT count(*) FROM virksomhet v WHERE (SELECT leser_alt())
                OR v.orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = session_user)),
           (SELECT count(*) FROM fravaer f WHERE (SELECT leser_alt())
                OR f.orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = session_user)),
           pg_has_role(session_user, 'fravaer_admin', 'MEMBER'),
           pg_has_role(session_user, 'fravaer_kundesenter', 'MEMBER'),
           ARRAY(SELECT t.orgnr FROM tilgang t WHERE t.login = session_user ORDER BY t.orgnr)
$$;

-- Access: the admins give and take it; a login given access joins fravaer_kontor, which may call the
-- functions that write (and which still check that office's access).
CREATE FUNCTION fravaer_api.gi_tilgang(login text, orgnr text) RETURNS boolean LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    ny boolean;
BEGIN
    IF NOT skriver_alt() THEN
        RAISE EXCEPTION 'bare fravaer_admin gir tilgang' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO tilgang (login, orgnr, gitt_av) VALUES (login, orgnr, session_user) ON CONFLICT DO NOTHING;
    ny := FOUND;
    EXECUTE format('GRANT fravaer_kontor TO %I', login);
    RETURN ny;
END
$$;

CREATE FUNCTION fravaer_api.ta_tilgang(login text, orgnr text) RETURNS boolean LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET jit = off AS $$
BEGIN
    IF NOT skriver_alt() THEN
        RAISE EXCEPTION 'bare fravaer_admin tar bort tilgang' USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM tilgang t WHERE t.login = ta_tilgang.login AND t.orgnr = ta_tilgang.orgnr;
    RETURN FOUND;
END
$$;

CREATE FUNCTION fravaer_api.tilganger(orgnr text DEFAULT NULL, login text DEFAULT NULL)
    RETURNS TABLE (login text, orgnr text, navn text, gitt_av text, gitt text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET jit = off AS $$
    SELECT t.login, t.orgnr, coalesce(v.navn, ''), t.gitt_av, to_char(t.gitt, 'YYYY-MM-DD')
    FROM tilgang t LEFT JOIN virksomhet v ON v.orgnr = t.orgnr
    WHERE (t.login = session_user OR (SELECT skriver_alt()))
      AND (tilganger.orgnr IS NULL OR t.orgnr = tilganger.orgnr)
      AND (tilganger.login IS NULL OR t.login = tilganger.login)
    ORDER BY t.login, t.orgnr
$$;

-- database load (admins): offices, fravær and logs as they were, sent as rows of tabell 'kontor'
-- (orgnr, navn, info, neste_id, behandlere), 'fravaer' (as skriv_rader's, without the place) and
-- 'logg' (orgnr, tid, av, handling, oppforing, place). An office already stored is left as it is.
CREATE FUNCTION fravaer_api.last_inn() RETURNS SETOF text LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    nye text[];
BEGIN
    IF NOT skriver_alt() THEN
        RAISE EXCEPTION 'bare fravaer_admin laster inn' USING ERRCODE = 'insufficient_privilege';
    END IF;
    WITH n AS (INSERT INTO virksomhet (orgnr, navn, info, neste_id, behandlere)
               SELECT c0, c1, c2, c3::integer, c4::jsonb FROM innsendt('kontor') ORDER BY c0
               ON CONFLICT DO NOTHING RETURNING virksomhet.orgnr)
        SELECT coalesce(array_agg(n.orgnr ORDER BY n.orgnr), '{}') INTO nye FROM n;
    -- fields: Fravaer also orgnr, behandler_sok
    INSERT INTO fravaer (orgnr, behandler_sok, id, behandler, fra, til, tjenester, vikar, kommentar, hpr,
            registrert_av, registrert)
        -- fields: Fravaer also c0, c1 numbered from c2
        SELECT c0, c1, c2, c3, c4::date, c5::date, c6::text[], c7::text[], c8, c9, c10, c11
        FROM innsendt('fravaer') WHERE c0 = ANY(nye);
    INSERT INTO logg (orgnr, tid, av, handling, oppforing)
        SELECT c0, c1, c2, c3, c4::json FROM innsendt('logg') WHERE c0 = ANY(nye) ORDER BY c5::integer;
    RETURN QUERY SELECT unnest(nye);
END
$$;
-- == Who may call what ============================================================================
-- Reading: any login may call (each returns only what the login may read). Writing: the offices'
-- logins and the admins, each call checked office by office. Access: the admins.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA fravaer_intern FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA fravaer_api FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fravaer_api.virksomheter(text[]), fravaer_api.kontorer(text[], text[], text, date, date),
    fravaer_api.logg(text), fravaer_api.skjema(), fravaer_api.status(), fravaer_api.tilganger(text, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION fravaer_api.skriv(json), fravaer_api.skriv_rader(text, text),
    fravaer_api.laas(text[], boolean) TO fravaer_kontor, fravaer_admin;
GRANT EXECUTE ON FUNCTION fravaer_api.gi_tilgang(text, text), fravaer_api.ta_tilgang(text, text),
    fravaer_api.last_inn() TO fravaer_admin;
-- Those who write may add rows to what they send, in these columns only (who and which transaction
-- are the defaults'), and neither read nor change any.
REVOKE ALL ON SCHEMA fravaer_inn FROM PUBLIC, fravaer_kontor, fravaer_admin;
REVOKE ALL ON fravaer_inn.rader FROM PUBLIC, fravaer_kontor, fravaer_admin;
GRANT USAGE ON SCHEMA fravaer_inn TO fravaer_kontor, fravaer_admin;
GRANT INSERT (tabell, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12) ON fravaer_inn.rader
    TO fravaer_kontor, fravaer_admin;

RESET ROLE;
