-- Migration 6: the store trusts no login. Never edit once released: a change is a new migration.
--
-- Until now every login reached the tables, guarded by row-level security. But privileges on a
-- table give more than its rows: EXPLAIN ANALYZE counts rows a policy hides, LOCK TABLE holds up
-- everyone, a client-given log number or key breaks the rules for all. So from here:
-- - the tables live in the schema fravaer, owned with it by fravaer_eier, a role that cannot log
--   in; no other role has any privilege on them;
-- - logins call the functions of the schema fravaer_api, which run as fravaer_eier
--   (SECURITY DEFINER) with search_path pinned (pg_temp last, so a temporary table cannot stand
--   in for a table of the store), and check the calling login's access themselves; without JIT
--   (a plan the planner guesses costly was compiled for 0.4 s to run for 0.03 s);
-- - the server makes each log entry (number, time, login, and the fravær it names, from the rows
--   it wrote), the keys the rules compare, and the ids and next id.
-- `database init` makes the roles; it runs as a member of fravaer_eier only while it migrates.

CREATE SCHEMA fravaer AUTHORIZATION fravaer_eier;
CREATE SCHEMA fravaer_api AUTHORIZATION fravaer_eier;
REVOKE ALL ON SCHEMA fravaer FROM PUBLIC;
REVOKE ALL ON SCHEMA fravaer_api FROM PUBLIC;
GRANT USAGE ON SCHEMA fravaer_api TO PUBLIC;

ALTER TABLE fravaer_schema SET SCHEMA fravaer;
ALTER TABLE virksomhet SET SCHEMA fravaer;
ALTER TABLE fravaer SET SCHEMA fravaer;
ALTER TABLE logg SET SCHEMA fravaer;
ALTER TABLE tilgang SET SCHEMA fravaer;
ALTER TABLE fravaer_sok SET SCHEMA fravaer;
ALTER FUNCTION fravaer_er_admin() SET SCHEMA fravaer;
ALTER FUNCTION logg_kan_bare_utvides() SET SCHEMA fravaer;
ALTER FUNCTION fravaer_tjeneste_nr(text[]) SET SCHEMA fravaer;
ALTER FUNCTION fravaer_sok_oppdater() SET SCHEMA fravaer;
ALTER FUNCTION fravaer_virksomhet_finnes() SET SCHEMA fravaer;
ALTER FUNCTION virksomhet_blir() SET SCHEMA fravaer;

-- (public still, for the extensions' operator classes the overlap rule uses.)
SET LOCAL search_path = fravaer, public, pg_catalog, pg_temp;

-- The owner: no login. The table's owner is not held by row-level security unless forced; the
-- functions below, running as it, are the only ones that reach the rows.
ALTER TABLE fravaer_schema OWNER TO fravaer_eier;
ALTER TABLE virksomhet OWNER TO fravaer_eier;
ALTER TABLE fravaer OWNER TO fravaer_eier;
ALTER TABLE logg OWNER TO fravaer_eier;
ALTER TABLE tilgang OWNER TO fravaer_eier;
ALTER TABLE fravaer_sok OWNER TO fravaer_eier;
ALTER FUNCTION fravaer_er_admin() OWNER TO fravaer_eier;
ALTER FUNCTION logg_kan_bare_utvides() OWNER TO fravaer_eier;
ALTER FUNCTION fravaer_tjeneste_nr(text[]) OWNER TO fravaer_eier;
ALTER FUNCTION fravaer_sok_oppdater() OWNER TO fravaer_eier;
ALTER FUNCTION fravaer_virksomhet_finnes() OWNER TO fravaer_eier;
ALTER FUNCTION virksomhet_blir() OWNER TO fravaer_eier;
ALTER FUNCTION fravaer_sok_oppdater() SET search_path = fravaer, pg_catalog, pg_temp;
ALTER FUNCTION fravaer_virksomhet_finnes() SET search_path = fravaer, pg_catalog, pg_temp;
ALTER TABLE virksomhet NO FORCE ROW LEVEL SECURITY;
ALTER TABLE fravaer NO FORCE ROW LEVEL SECURITY;
ALTER TABLE logg NO FORCE ROW LEVEL SECURITY;
ALTER TABLE tilgang NO FORCE ROW LEVEL SECURITY;
ALTER TABLE fravaer_sok NO FORCE ROW LEVEL SECURITY;
REVOKE ALL ON fravaer_schema, virksomhet, fravaer, logg, tilgang, fravaer_sok FROM PUBLIC, fravaer_admin;
REVOKE ALL ON SEQUENCE logg_nr_seq FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA fravaer FROM PUBLIC;

-- The key of who is the same GP, made by the server from the name: case, Unicode form and spacing
-- folded. It folds a little less than the program's own key (lower(), not casefold(): «Strauß» and
-- «Strauss» stay two here), so the server never refuses what the program allows; the program's
-- rule, checked first, is the wider one.
ALTER TABLE fravaer DROP CONSTRAINT fravaer_overlapper_ikke;
ALTER TABLE fravaer DROP COLUMN nokkel;
ALTER TABLE fravaer DROP COLUMN behandler_key;
ALTER TABLE fravaer
    ADD COLUMN behandler_key text NOT NULL GENERATED ALWAYS AS
        (regexp_replace(btrim(lower(normalize(behandler, NFC)), E' \t\n\r\f\v'), '\s+', ' ', 'g')) STORED,
    -- (A generated column cannot name another: nokkel makes the key again.)
    ADD COLUMN nokkel bigint NOT NULL GENERATED ALWAYS AS (hashtextextended(orgnr || '|' ||
        regexp_replace(btrim(lower(normalize(behandler, NFC)), E' \t\n\r\f\v'), '\s+', ' ', 'g'), 0)) STORED,
    ADD CONSTRAINT fravaer_overlapper_ikke EXCLUDE USING gist
        (nokkel WITH =, daterange(fra, til, '[]') WITH &&, tjeneste_nr gist__int_ops WITH &&);

-- Values the program can read, and nothing else (rows stored before this migration are
-- checked as they are read: NOT VALID keeps an upgrade from failing on them).
-- These helpers and som_json() below have no SET search_path: a SET makes every call a real
-- function call (an import's rows, five times each), where without one PostgreSQL writes the
-- expression into the constraint or query itself. They name only built-in functions, and the
-- store's own by their schema.
CREATE FUNCTION fravaer_tekst_ok(t text, lengde integer) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT t = btrim(t) AND t !~ '[[:cntrl:]]' AND char_length(t) <= lengde $$;
CREATE FUNCTION behandlere_ok(b jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$
    SELECT jsonb_typeof(b) = 'array' AND NOT EXISTS (
        SELECT 1 FROM jsonb_array_elements(b) e
        WHERE jsonb_typeof(e) <> 'object'
           OR EXISTS (SELECT 1 FROM jsonb_object_keys(e) k WHERE k NOT IN ('behandler', 'hpr'))
           OR jsonb_typeof(e -> 'behandler') IS DISTINCT FROM 'string'
           OR NOT fravaer.fravaer_tekst_ok(e ->> 'behandler', 100) OR e ->> 'behandler' = ''
           OR (e ? 'hpr' AND (jsonb_typeof(e -> 'hpr') <> 'string' OR e ->> 'hpr' !~ '^[0-9]{0,10}$')))
    $$;
ALTER TABLE virksomhet
    ADD CONSTRAINT virksomhet_navn_ok CHECK (fravaer_tekst_ok(navn, 200)) NOT VALID,
    ADD CONSTRAINT virksomhet_info_ok CHECK (fravaer_tekst_ok(info, 200)) NOT VALID,
    ADD CONSTRAINT virksomhet_behandlere_ok CHECK (behandlere_ok(behandlere)) NOT VALID;
ALTER TABLE fravaer
    ADD CONSTRAINT fravaer_datoer_ok CHECK (fra >= '0001-01-01' AND til <= '9999-12-30') NOT VALID,
    ADD CONSTRAINT fravaer_behandler_ok CHECK (behandler <> '' AND fravaer_tekst_ok(behandler, 100)) NOT VALID,
    ADD CONSTRAINT fravaer_kommentar_ok CHECK (fravaer_tekst_ok(kommentar, 500)) NOT VALID,
    ADD CONSTRAINT fravaer_hpr_ok CHECK (hpr ~ '^[0-9]{0,10}$') NOT VALID,
    ADD CONSTRAINT fravaer_tjenester_ok CHECK (
        tjenester <@ '{reseptfornyelse,e-konsultasjon,kontakt-legekontoret,timebestilling}'::text[]
        AND vikar <@ '{reseptfornyelse,e-konsultasjon,kontakt-legekontoret,timebestilling}'::text[]
        AND array_position(tjenester, NULL) IS NULL AND array_position(vikar, NULL) IS NULL
        AND array_ndims(tjenester) = 1 AND coalesce(array_ndims(vikar), 1) = 1) NOT VALID,
    ADD CONSTRAINT fravaer_registrert_ok CHECK (
        fravaer_tekst_ok(registrert_av, 100) AND fravaer_tekst_ok(registrert, 40)) NOT VALID;
ALTER TABLE logg
    ADD CONSTRAINT logg_oppforing_ok CHECK (json_typeof(oppforing) = 'object') NOT VALID;
CREATE INDEX fravaer_til ON fravaer (orgnr, til);  -- a report's days, and the stretches back to back
CREATE INDEX fravaer_fra ON fravaer (orgnr, fra);

-- Who calls: the login the session was opened as (SET ROLE changes current_user, not this;
-- inside these functions current_user is fravaer_eier).
CREATE FUNCTION leser_alt() RETURNS boolean LANGUAGE sql STABLE SET search_path = fravaer, pg_catalog, pg_temp
    AS $$ SELECT pg_has_role(session_user, 'fravaer_admin', 'MEMBER')
              OR pg_has_role(session_user, 'fravaer_kundesenter', 'MEMBER') $$;
CREATE FUNCTION skriver_alt() RETURNS boolean LANGUAGE sql STABLE SET search_path = fravaer, pg_catalog, pg_temp
    AS $$ SELECT pg_has_role(session_user, 'fravaer_admin', 'MEMBER') $$;
CREATE FUNCTION tidspunkt() RETURNS text LANGUAGE sql STABLE
    SET search_path = fravaer, pg_catalog, pg_temp SET timezone = 'Europe/Oslo'
    AS $$ SELECT to_char(now(), 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM') $$;

-- A fravær as the program's JSON has it (Fravaer.to_dict()): what a log entry holds.
CREATE FUNCTION som_json(f fravaer) RETURNS json LANGUAGE sql STABLE
    AS $$ SELECT json_build_object('id', f.id, 'behandler', f.behandler, 'fra', f.fra, 'til', f.til,
        'tjenester', f.tjenester, 'vikar', f.vikar, 'kommentar', f.kommentar, 'hpr', NULLIF(f.hpr, ''),
        'registrert_av', f.registrert_av, 'registrert', f.registrert) $$;

-- A new fravær as the program sends it: to_dict()'s fields, with its office and search key.
CREATE TYPE ny_fravaer AS (orgnr text, behandler_sok text, id text, behandler text, fra date, til date,
    tjenester text[], vikar text[], kommentar text, hpr text, registrert_av text, registrert text);

-- A log entry as the program sends it, numbered in its order.
CREATE TYPE ny_oppforing AS (n bigint, orgnr text, handling text, id text, e json);

-- Every office in orgnrs, locked for this transaction, in orgnr order; or an error naming the first
-- this login may not write (42501) or that is not stored (P0002).
CREATE FUNCTION skrivbare(orgnrs text[]) RETURNS void LANGUAGE plpgsql
    SET search_path = fravaer, pg_catalog, pg_temp AS $$
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
CREATE FUNCTION sett_inn(ny ny_fravaer[], borte text[]) RETURNS SETOF fravaer LANGUAGE plpgsql
    SET search_path = fravaer, pg_catalog, pg_temp AS $$
DECLARE
    feil text;
BEGIN
    SELECT n.orgnr INTO feil
        FROM unnest(ny) n JOIN virksomhet v ON v.orgnr = n.orgnr
        WHERE NOT (n.orgnr || '|' || n.id = ANY(borte))
        GROUP BY n.orgnr, v.neste_id
        HAVING NOT bool_and(n.id ~ '^[1-9][0-9]{0,7}$')
            OR min(n.id::bigint) FILTER (WHERE n.id ~ '^[1-9][0-9]{0,7}$') <> v.neste_id
            OR max(n.id::bigint) FILTER (WHERE n.id ~ '^[1-9][0-9]{0,7}$') <> v.neste_id + count(*) - 1
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'nye fravær i virksomhet % skal ha de neste id-ene, i rekkefølge', feil
            USING ERRCODE = 'check_violation';
    END IF;
    UPDATE virksomhet v SET neste_id = v.neste_id + x.antall
        FROM (SELECT n.orgnr, count(*) AS antall FROM unnest(ny) n
              WHERE NOT (n.orgnr || '|' || n.id = ANY(borte)) GROUP BY n.orgnr) x
        WHERE v.orgnr = x.orgnr;
    RETURN QUERY INSERT INTO fravaer (orgnr, id, behandler, behandler_sok, fra, til, tjenester, vikar, kommentar,
            hpr, registrert_av, registrert)
        SELECT n.orgnr, n.id, n.behandler, n.behandler_sok, n.fra, n.til, n.tjenester, coalesce(n.vikar, '{}'),
            coalesce(n.kommentar, ''), coalesce(n.hpr, ''), coalesce(n.registrert_av, ''), coalesce(n.registrert, '')
        FROM unnest(ny) n
        RETURNING *;
END
$$;

-- A log entry as the server writes it: its time and login first, then what the entry says.
CREATE FUNCTION oppforing(tid text, pa_vegne_av text, e json, fravaer_json json, forrige json)
    RETURNS json LANGUAGE sql STABLE SET search_path = fravaer, pg_catalog, pg_temp AS $$
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
    SET search_path = fravaer, pg_catalog, pg_temp SET jit = off AS $$
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
    WITH d AS (DELETE FROM fravaer f WHERE f.orgnr || '|' || f.id = ANY(borte_ids) RETURNING f.*)
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
           OR o.handling NOT IN ('add', 'import', 'edit', 'delete', 'info', 'roster_add', 'roster_remove', 'rename')
           OR EXISTS (SELECT 1 FROM json_object_keys(o.e) key
                      WHERE key NOT IN ('handling', 'fravaer', 'forrige', 'behandler', 'virksomhet'))
           OR (o.handling IN ('add', 'import') AND (o.orgnr || '|' || o.id = ANY(borte_ids)
                OR NOT EXISTS (SELECT 1 FROM unnest(nye) f WHERE f.orgnr = o.orgnr AND f.id = o.id)))
           OR (o.handling = 'edit' AND NOT (o.orgnr || '|' || o.id = ANY(borte_ids)
                AND EXISTS (SELECT 1 FROM unnest(nye) f WHERE f.orgnr = o.orgnr AND f.id = o.id)))
           OR (o.handling = 'delete' AND (NOT (o.orgnr || '|' || o.id = ANY(borte_ids))
                OR EXISTS (SELECT 1 FROM unnest(nye) f WHERE f.orgnr = o.orgnr AND f.id = o.id)))
           OR (o.handling IN ('info', 'roster_add', 'roster_remove', 'rename') AND o.id IS NOT NULL)
           OR (o.handling IN ('roster_add', 'roster_remove')  -- (a rename may change only fravær)
                AND foer -> o.orgnr -> 'behandlere' = etter -> o.orgnr -> 'behandlere')
        ORDER BY o.n LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'loggoppføringen (%) svarer ikke til en endring', feil USING ERRCODE = 'check_violation';
    END IF;
    SELECT x INTO feil FROM (
        SELECT f.orgnr || ' ' || f.id AS x FROM unnest(nye) f
            WHERE (SELECT count(*) FROM unnest(oppf) o WHERE o.orgnr = f.orgnr AND o.id = f.id
                   AND o.handling IN ('add', 'import', 'edit')) <> 1
        UNION ALL
        SELECT f.orgnr || ' ' || f.id FROM unnest(gamle) f
            WHERE (SELECT count(*) FROM unnest(oppf) o WHERE o.orgnr = f.orgnr AND o.id = f.id
                   AND o.handling IN ('edit', 'delete')) <> 1
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
                CASE WHEN o.handling = 'edit'
                    THEN (SELECT som_json(f) FROM unnest(gamle) f WHERE f.orgnr = o.orgnr AND f.id = o.id) END)
            END
        FROM unnest(oppf) o ORDER BY o.n;
END
$$;

-- An import's new fravær in batches, from the caller's temporary table rader (columns c0 orgnr,
-- c1 behandler_sok, then the fravær's fields as text, then the row's place): each is stored and
-- logged as handling, in its place's order.
-- Its statements planned once for any batch: planned for each of a session's first five batches
-- with the batch's 5,000 rows as constants, a batch took 1.1 s instead of 0.2 s.
CREATE FUNCTION fravaer_api.skriv_rader(handling text, pa_vegne_av text) RETURNS void LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = fravaer, pg_catalog, pg_temp SET jit = off
    SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    tid text := tidspunkt();
    orgnrs text[];
    ny ny_fravaer[];
BEGIN
    IF handling NOT IN ('add', 'import') THEN
        RAISE EXCEPTION 'ukjent handling %', handling USING ERRCODE = 'check_violation';
    END IF;
    ny := ARRAY(SELECT ROW(c0, c1, c2, c3, c4::date, c5::date, c6::text[], c7::text[], c8, c9, c10, c11)::ny_fravaer
                FROM pg_temp.rader ORDER BY c12::integer);
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
    SET search_path = fravaer, pg_catalog, pg_temp SET jit = off AS $$
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
    RETURNS TABLE (orgnr text, navn text, info text, neste_id integer, behandlere jsonb, versjon bigint,
        id text, behandler text, fra date, til date, tjenester text[], vikar text[], kommentar text,
        hpr_nr text, registrert_av text, registrert text)
    -- PL/pgSQL, not SQL: its statements are planned with the call's values (an SQL function's are
    -- planned for any value, and then read every fravær), and a call without days needs no recursion.
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = fravaer, pg_catalog, pg_temp SET jit = off AS $$
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
                    AND g.tjeneste_nr && k.tjeneste_nr OFFSET 0) g
            WHERE fra_og_med IS NOT NULL
        ), fremover AS (  -- and after them: its end
            SELECT * FROM valgte
            UNION
            SELECT g.* FROM fremover k, LATERAL (
                SELECT * FROM fravaer g WHERE g.orgnr = k.orgnr AND g.fra = k.til + 1 AND g.nokkel = k.nokkel
                    AND g.tjeneste_nr && k.tjeneste_nr OFFSET 0) g
            WHERE til_og_med IS NOT NULL
        ), alle AS (SELECT * FROM bakover UNION SELECT * FROM fremover)
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
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = fravaer, pg_catalog, pg_temp SET jit = off AS $$
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
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = fravaer, pg_catalog, pg_temp SET jit = off AS $$
    SELECT l.av, l.oppforing FROM logg l
    WHERE l.orgnr = logg.orgnr
      AND ((SELECT leser_alt()) OR l.orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = session_user))
    ORDER BY l.nr
$$;

CREATE FUNCTION fravaer_api.skjema() RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = fravaer, pg_catalog, pg_temp SET jit = off AS $$ SELECT versjon FROM fravaer_schema $$;

-- database status: what this login sees, and what it may do.
CREATE FUNCTION fravaer_api.status()
    RETURNS TABLE (virksomheter bigint, fravaer bigint, admin boolean, kundesenter boolean, tilgang text[])
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = fravaer, pg_catalog, pg_temp SET jit = off AS $$
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
    SECURITY DEFINER SET search_path = fravaer, pg_catalog, pg_temp SET jit = off AS $$
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
    SECURITY DEFINER SET search_path = fravaer, pg_catalog, pg_temp SET jit = off AS $$
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
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = fravaer, pg_catalog, pg_temp SET jit = off AS $$
    SELECT t.login, t.orgnr, coalesce(v.navn, ''), t.gitt_av, to_char(t.gitt, 'YYYY-MM-DD')
    FROM tilgang t LEFT JOIN virksomhet v ON v.orgnr = t.orgnr
    WHERE (t.login = session_user OR (SELECT skriver_alt()))
      AND (tilganger.orgnr IS NULL OR t.orgnr = tilganger.orgnr)
      AND (tilganger.login IS NULL OR t.login = tilganger.login)
    ORDER BY t.login, t.orgnr
$$;

-- database load (admins): offices, fravær and logs as they were, from the caller's temporary tables
-- rader_kontor (orgnr, navn, info, neste_id, behandlere), rader (as skriv_rader's, without the place)
-- and rader_logg (orgnr, tid, av, handling, oppforing). An office already stored is left as it is.
CREATE FUNCTION fravaer_api.last_inn() RETURNS SETOF text LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = fravaer, pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    nye text[];
BEGIN
    IF NOT skriver_alt() THEN
        RAISE EXCEPTION 'bare fravaer_admin laster inn' USING ERRCODE = 'insufficient_privilege';
    END IF;
    WITH n AS (INSERT INTO virksomhet (orgnr, navn, info, neste_id, behandlere)
               SELECT c0, c1, c2, c3::integer, c4::jsonb FROM pg_temp.rader_kontor ORDER BY c0
               ON CONFLICT DO NOTHING RETURNING virksomhet.orgnr)
        SELECT coalesce(array_agg(n.orgnr ORDER BY n.orgnr), '{}') INTO nye FROM n;
    INSERT INTO fravaer (orgnr, behandler_sok, id, behandler, fra, til, tjenester, vikar, kommentar, hpr,
            registrert_av, registrert)
        SELECT c0, c1, c2, c3, c4::date, c5::date, c6::text[], c7::text[], c8, c9, c10, c11
        FROM pg_temp.rader WHERE c0 = ANY(nye);
    INSERT INTO logg (orgnr, tid, av, handling, oppforing)
        SELECT c0, c1, c2, c3, c4::json FROM pg_temp.rader_logg WHERE c0 = ANY(nye) ORDER BY c5::integer;
    RETURN QUERY SELECT unnest(nye);
END
$$;

ALTER FUNCTION fravaer_api.skriv(json) OWNER TO fravaer_eier;
ALTER FUNCTION fravaer_api.skriv_rader(text, text) OWNER TO fravaer_eier;
ALTER FUNCTION fravaer_api.virksomheter(text[]) OWNER TO fravaer_eier;
ALTER FUNCTION fravaer_api.kontorer(text[], text[], text, date, date) OWNER TO fravaer_eier;
ALTER FUNCTION fravaer_api.laas(text[], boolean) OWNER TO fravaer_eier;
ALTER FUNCTION fravaer_api.logg(text) OWNER TO fravaer_eier;
ALTER FUNCTION fravaer_api.skjema() OWNER TO fravaer_eier;
ALTER FUNCTION fravaer_api.status() OWNER TO fravaer_eier;
ALTER FUNCTION fravaer_api.gi_tilgang(text, text) OWNER TO fravaer_eier;
ALTER FUNCTION fravaer_api.ta_tilgang(text, text) OWNER TO fravaer_eier;
ALTER FUNCTION fravaer_api.tilganger(text, text) OWNER TO fravaer_eier;
ALTER FUNCTION fravaer_api.last_inn() OWNER TO fravaer_eier;
ALTER FUNCTION fravaer_tekst_ok(text, integer) OWNER TO fravaer_eier;
ALTER FUNCTION behandlere_ok(jsonb) OWNER TO fravaer_eier;
ALTER FUNCTION leser_alt() OWNER TO fravaer_eier;
ALTER FUNCTION skriver_alt() OWNER TO fravaer_eier;
ALTER FUNCTION tidspunkt() OWNER TO fravaer_eier;
ALTER FUNCTION som_json(fravaer) OWNER TO fravaer_eier;
ALTER FUNCTION skrivbare(text[]) OWNER TO fravaer_eier;
ALTER FUNCTION sett_inn(ny_fravaer[], text[]) OWNER TO fravaer_eier;
ALTER FUNCTION oppforing(text, text, json, json, json) OWNER TO fravaer_eier;
ALTER TYPE ny_fravaer OWNER TO fravaer_eier;
ALTER TYPE ny_oppforing OWNER TO fravaer_eier;

-- Reading: any login may call (each returns only what the login may read). Writing: the offices'
-- logins and the admins, each call checked office by office.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA fravaer FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA fravaer_api FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fravaer_api.virksomheter(text[]), fravaer_api.kontorer(text[], text[], text, date, date),
    fravaer_api.logg(text), fravaer_api.skjema(), fravaer_api.status(), fravaer_api.tilganger(text, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION fravaer_api.skriv(json), fravaer_api.skriv_rader(text, text),
    fravaer_api.laas(text[], boolean) TO fravaer_kontor, fravaer_admin;
GRANT EXECUTE ON FUNCTION fravaer_api.gi_tilgang(text, text), fravaer_api.ta_tilgang(text, text),
    fravaer_api.last_inn() TO fravaer_admin;
