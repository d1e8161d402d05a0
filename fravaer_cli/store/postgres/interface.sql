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
-- - a login asks for a change (endre: add this fravær, delete that one, rename this GP; skriv_rader:
--   an import's rows), never sends its result: the server makes the record, each new fravær's id,
--   who registered it and when, the GP and search keys, and every log entry, from the rows as they
--   were before and after (tests/test_pg_record.py bends every value of the program's own calls);
-- - what a login sends is bounded: texts, rosters, requests a call, rows staged a transaction;
-- - the rules on values hold for every writer, SQL by hand included (constraints and triggers).
-- fravaer_intern holds what only these functions and the triggers call.
--
-- Where SQL lists a fravær's fields, the line before says «-- fields: Fravaer» (or «Draft» for the
-- fields a user gives, as a request carries them; and how they are named there):
-- tests/test_pg_interface.py compares each such list with the class's FIELDS, so a new field fails
-- a test until every list here has it.

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
-- no control character, line or paragraph separator, bidi override or isolate, and at most lengde
-- characters in NFC. The classes are
-- written out, not [[:space:]] or [[:cntrl:]], whose members depend on the server's locale;
-- tests/test_pg_interface.py holds them to the program's answers.
CREATE FUNCTION fravaer_intern.tekst_ok(t text, lengde integer) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT t !~ E'^[\t-\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]'
             AND t !~ E'[\t-\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$'
             AND t !~ E'[\u0001-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]'
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
-- The spellings an office's GPs had before a rename: old spelling's key -> a name (at most 1,000).
CREATE FUNCTION fravaer_intern.tidligere_ok(t jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$
    SELECT jsonb_typeof(t) = 'object' AND (SELECT count(*) FROM jsonb_object_keys(t)) <= 1000 AND NOT EXISTS (
        SELECT 1 FROM jsonb_each(t) e
        WHERE jsonb_typeof(e.value) <> 'string' OR NOT fravaer_intern.navn_ok(e.value #>> '{}')
           OR NOT fravaer_intern.navn_ok(e.key))
    $$;
ALTER TABLE virksomhet
    ADD CONSTRAINT virksomhet_tidligere_ok CHECK (fravaer_intern.tidligere_ok(tidligere_navn)) NOT VALID,
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

-- == Names folded as the program folds them =====================================================
-- Who is the same GP (names.behandler_key) and what a search finds (names.search_key) are decided
-- here for what is stored, so that no login sends a key: tests/test_pg_record.py holds both to the
-- program's over many names (æøå, accents, other alphabets). Python folds with str.casefold();
-- PostgreSQL 15 has only lower(), which under ICU's root locale lowers as Python does (under the
-- database's own locale, C say, it would lower only ASCII). casefold() then writes the letters
-- that Python's casefold() writes otherwise, from Python's unicodedata: ß as ss, final ς as σ,
-- Cherokee as capitals, ligatures apart, ...; the Greek iota subscript is taken apart by the
-- callers (U+0345, written as ι).
CREATE FUNCTION fravaer_intern.casefold(t text) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT translate(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(lower(t COLLATE "und-x-icu"), E'\u00df', E'\u0073\u0073'), E'\u0149', E'\u02bc\u006e'), E'\u0587', E'\u0565\u0582'), E'\u1e9a', E'\u0061\u02be'), E'\ufb00', E'\u0066\u0066'), E'\ufb01', E'\u0066\u0069'), E'\ufb02', E'\u0066\u006c'), E'\ufb03', E'\u0066\u0066\u0069'), E'\ufb04', E'\u0066\u0066\u006c'), E'\ufb05', E'\u0073\u0074'), E'\ufb06', E'\u0073\u0074'), E'\ufb13', E'\u0574\u0576'), E'\ufb14', E'\u0574\u0565'), E'\ufb15', E'\u0574\u056b'), E'\ufb16', E'\u057e\u0576'), E'\ufb17', E'\u0574\u056d'),
        E'\u00b5\u017f\u03c2\u03d0\u03d1\u03d5\u03d6\u03f0\u03f1\u03f5\uab70\uab71\uab72\uab73\uab74\uab75\uab76\uab77\uab78\uab79\uab7a\uab7b\uab7c\uab7d\uab7e\uab7f\uab80\uab81\uab82\uab83\uab84\uab85\uab86\uab87\uab88\uab89\uab8a\uab8b\uab8c\uab8d\uab8e\uab8f\uab90\uab91\uab92\uab93\uab94\uab95\uab96\uab97\uab98\uab99\uab9a\uab9b\uab9c\uab9d\uab9e\uab9f\uaba0\uaba1\uaba2\uaba3\uaba4\uaba5\uaba6\uaba7\uaba8\uaba9\uabaa\uabab\uabac\uabad\uabae\uabaf\uabb0\uabb1\uabb2\uabb3\uabb4\uabb5\uabb6\uabb7\uabb8\uabb9\uabba\uabbb\uabbc\uabbd\uabbe\uabbf\u13f8\u13f9\u13fa\u13fb\u13fc\u13fd\u1c80\u1c81\u1c82\u1c83\u1c84\u1c85\u1c86\u1c87\u1c88\u1e9b',
        E'\u03bc\u0073\u03c3\u03b2\u03b8\u03c6\u03c0\u03ba\u03c1\u03b5\u13a0\u13a1\u13a2\u13a3\u13a4\u13a5\u13a6\u13a7\u13a8\u13a9\u13aa\u13ab\u13ac\u13ad\u13ae\u13af\u13b0\u13b1\u13b2\u13b3\u13b4\u13b5\u13b6\u13b7\u13b8\u13b9\u13ba\u13bb\u13bc\u13bd\u13be\u13bf\u13c0\u13c1\u13c2\u13c3\u13c4\u13c5\u13c6\u13c7\u13c8\u13c9\u13ca\u13cb\u13cc\u13cd\u13ce\u13cf\u13d0\u13d1\u13d2\u13d3\u13d4\u13d5\u13d6\u13d7\u13d8\u13d9\u13da\u13db\u13dc\u13dd\u13de\u13df\u13e0\u13e1\u13e2\u13e3\u13e4\u13e5\u13e6\u13e7\u13e8\u13e9\u13ea\u13eb\u13ec\u13ed\u13ee\u13ef\u13f0\u13f1\u13f2\u13f3\u13f4\u13f5\u0432\u0434\u043e\u0441\u0442\u0442\u044a\u0463\ua64b\u1e61') $$;
-- The key of who is the same GP (names.behandler_key): case, Unicode form and white space folded.
CREATE FUNCTION fravaer_intern.gp_nokkel(t text) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT btrim(regexp_replace(normalize(replace(normalize(fravaer_intern.casefold(normalize(t, NFC)), NFD),
        E'\u0345', E'\u03b9'), NFC), E'[\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+', ' ', 'g'), ' ') $$;
-- The search key (names.search_key): accents dropped (the marks of combining class above 0, as
-- Python's unicodedata.combining() has them in Unicode 15.1) and æ, ø, œ, ð, þ, ł, đ as written on
-- a foreign keyboard.
CREATE FUNCTION fravaer_intern.sokenokkel(t text) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT btrim(regexp_replace(regexp_replace(
        replace(replace(replace(translate(
            replace(normalize(fravaer_intern.casefold(t), NFKD), E'\u0345', E'\u03b9'),
            'øðłđ', 'odld'), 'æ', 'ae'), 'œ', 'oe'), 'þ', 'th'),
        E'[\u0300-\u034e\u0350-\u036f\u0483-\u0487\u0591-\u05bd\u05bf\u05c1-\u05c2\u05c4-\u05c5\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7-\u06e8\u06ea-\u06ed\u0711\u0730-\u074a\u07eb-\u07f3\u07fd\u0816-\u0819\u081b-\u0823\u0825-\u0827\u0829-\u082d\u0859-\u085b\u0898-\u089f\u08ca-\u08e1\u08e3-\u08ff\u093c\u094d\u0951-\u0954\u09bc\u09cd\u09fe\u0a3c\u0a4d\u0abc\u0acd\u0b3c\u0b4d\u0bcd\u0c3c\u0c4d\u0c55-\u0c56\u0cbc\u0ccd\u0d3b-\u0d3c\u0d4d\u0dca\u0e38-\u0e3a\u0e48-\u0e4b\u0eb8-\u0eba\u0ec8-\u0ecb\u0f18-\u0f19\u0f35\u0f37\u0f39\u0f71-\u0f72\u0f74\u0f7a-\u0f7d\u0f80\u0f82-\u0f84\u0f86-\u0f87\u0fc6\u1037\u1039-\u103a\u108d\u135d-\u135f\u1714-\u1715\u1734\u17d2\u17dd\u18a9\u1939-\u193b\u1a17-\u1a18\u1a60\u1a75-\u1a7c\u1a7f\u1ab0-\u1abd\u1abf-\u1ace\u1b34\u1b44\u1b6b-\u1b73\u1baa-\u1bab\u1be6\u1bf2-\u1bf3\u1c37\u1cd0-\u1cd2\u1cd4-\u1ce0\u1ce2-\u1ce8\u1ced\u1cf4\u1cf8-\u1cf9\u1dc0-\u1dff\u20d0-\u20dc\u20e1\u20e5-\u20f0\u2cef-\u2cf1\u2d7f\u2de0-\u2dff\u302a-\u302f\u3099-\u309a\ua66f\ua674-\ua67d\ua69e-\ua69f\ua6f0-\ua6f1\ua806\ua82c\ua8c4\ua8e0-\ua8f1\ua92b-\ua92d\ua953\ua9b3\ua9c0\uaab0\uaab2-\uaab4\uaab7-\uaab8\uaabe-\uaabf\uaac1\uaaf6\uabed\ufb1e\ufe20-\ufe2f\U000101fd\U000102e0\U00010376-\U0001037a\U00010a0d\U00010a0f\U00010a38-\U00010a3a\U00010a3f\U00010ae5-\U00010ae6\U00010d24-\U00010d27\U00010eab-\U00010eac\U00010efd-\U00010eff\U00010f46-\U00010f50\U00010f82-\U00010f85\U00011046\U00011070\U0001107f\U000110b9-\U000110ba\U00011100-\U00011102\U00011133-\U00011134\U00011173\U000111c0\U000111ca\U00011235-\U00011236\U000112e9-\U000112ea\U0001133b-\U0001133c\U0001134d\U00011366-\U0001136c\U00011370-\U00011374\U00011442\U00011446\U0001145e\U000114c2-\U000114c3\U000115bf-\U000115c0\U0001163f\U000116b6-\U000116b7\U0001172b\U00011839-\U0001183a\U0001193d-\U0001193e\U00011943\U000119e0\U00011a34\U00011a47\U00011a99\U00011c3f\U00011d42\U00011d44-\U00011d45\U00011d97\U00011f41-\U00011f42\U00016af0-\U00016af4\U00016b30-\U00016b36\U00016ff0-\U00016ff1\U0001bc9e\U0001d165-\U0001d169\U0001d16d-\U0001d172\U0001d17b-\U0001d182\U0001d185-\U0001d18b\U0001d1aa-\U0001d1ad\U0001d242-\U0001d244\U0001e000-\U0001e006\U0001e008-\U0001e018\U0001e01b-\U0001e021\U0001e023-\U0001e024\U0001e026-\U0001e02a\U0001e08f\U0001e130-\U0001e136\U0001e2ae\U0001e2ec-\U0001e2ef\U0001e4ec-\U0001e4ef\U0001e8d0-\U0001e8d6\U0001e944-\U0001e94a]', '', 'g'), E'[\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+', ' ', 'g'), ' ') $$;

-- == The interface's helpers ======================================================================
-- Who calls: the login the session was opened as (SET ROLE changes current_user, not this;
-- inside these functions current_user is fravaer_eier).
CREATE FUNCTION fravaer_intern.leser_alt() RETURNS boolean LANGUAGE sql STABLE SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp
    AS $$ SELECT pg_has_role(session_user, 'fravaer_admin', 'MEMBER')
              OR pg_has_role(session_user, 'fravaer_kundesenter', 'MEMBER') $$;
CREATE FUNCTION fravaer_intern.skriver_alt() RETURNS boolean LANGUAGE sql STABLE SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp
    AS $$ SELECT pg_has_role(session_user, 'fravaer_admin', 'MEMBER') $$;
-- When: the time the call came (statement_timestamp), not when its transaction began (now()), which
-- a login holding a transaction open could set as far back as it liked.
CREATE FUNCTION fravaer_intern.tidspunkt() RETURNS text LANGUAGE sql STABLE
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET timezone = 'Europe/Oslo'
    AS $$ SELECT to_char(statement_timestamp(), 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM') $$;

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

-- What a login asks of a fravær: the fields a user gives (Draft.FIELDS). Its id, who registered it
-- and when, and its keys are the server's.
-- fields: Draft
CREATE TYPE fravaer_intern.onsket AS (behandler text, fra date, til date, tjenester text[], vikar text[],
    kommentar text, hpr text);

-- What a call of endre() did: one row a log entry, in its order (the fravær's id and GP, for one).
CREATE TYPE fravaer_intern.skrevet AS (orgnr text, handling text, id text, behandler text);

-- Every office in orgnrs, locked for this transaction, in orgnr order; or an error naming the first
-- this login may not write (42501) or that is not stored (P0002).
CREATE FUNCTION fravaer_intern.skrivbare(orgnrs text[]) RETURNS void LANGUAGE plpgsql
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp AS $$
DECLARE
    ikke text;
BEGIN
    -- The login stands in every entry it makes: one whose name a line break or a bidi character
    -- is part of could make the log show what never happened. Refused as a name is.
    IF NOT navn_ok(session_user::text) THEN
        RAISE EXCEPTION 'innloggingen %s navn er ikke et navn loggen kan vise', quote_ident(session_user)
            USING ERRCODE = 'check_violation';
    END IF;
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

-- A change to the offices, as every reader of them can tell (an import checked before it took the
-- locks compares it): once a transaction is enough.
CREATE FUNCTION fravaer_intern.ny_versjon(orgnrs text[]) RETURNS void LANGUAGE sql
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp AS $$
    UPDATE virksomhet v SET versjon = v.versjon + 1
        WHERE v.orgnr = ANY(orgnrs) AND v.xmin <> pg_current_xact_id()::xid
$$;

-- A request's object has these keys and no other (a key the server does not know is a mistake,
-- not something to leave out quietly).
CREATE FUNCTION fravaer_intern.nokler(o json, tillatt text[], hva text) RETURNS void LANGUAGE plpgsql
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp AS $$
DECLARE
    ukjent text;
BEGIN
    IF json_typeof(o) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION '% skal være et JSON-objekt', hva USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT k INTO ukjent FROM json_object_keys(o) k WHERE NOT (k = ANY(tillatt)) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '% har en ukjent nøkkel: %', hva, left(ukjent, 40) USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;

-- Services as the program keeps them: in the catalogue's order (one not in it last, for the rule
-- that refuses it), numbered from 1.
CREATE FUNCTION fravaer_intern.i_katalogens_orden(k text[]) RETURNS text[] LANGUAGE sql STABLE
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp AS $$
    SELECT CASE WHEN k IS NOT NULL THEN ARRAY(
        SELECT u.k FROM unnest(k) WITH ORDINALITY AS u (k, n) LEFT JOIN tjeneste t ON t.nokkel = u.k
        ORDER BY t.plass NULLS LAST, u.n) END
$$;

-- The program's rule of the roster: with a roster, a fravær's GP is one on it (by the GP key). For
-- the GPs hvem[i] of the offices orgnrs[i]: each roster's keys made once, and each name's (an
-- import's batch names thousands of pairs, of rosters of a few GPs).
CREATE FUNCTION fravaer_intern.pa_listen_ok(orgnrs text[], hvem text[]) RETURNS void LANGUAGE plpgsql
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp AS $$
DECLARE
    utenfor record;
BEGIN
    WITH par AS MATERIALIZED (SELECT p.o, p.navn, gp_nokkel(p.navn) AS k
                              FROM (SELECT DISTINCT x.o, x.navn FROM unnest(orgnrs, hvem) AS x (o, navn)) p),
         listene AS MATERIALIZED (SELECT v.orgnr, gp_nokkel(e ->> 'behandler') AS k
                                  FROM virksomhet v, jsonb_array_elements(v.behandlere) e
                                  WHERE v.orgnr IN (SELECT par.o FROM par))
    SELECT par.o, par.navn INTO utenfor FROM par
        WHERE par.o IN (SELECT l.orgnr FROM listene l)
          AND NOT EXISTS (SELECT 1 FROM listene l WHERE l.orgnr = par.o AND l.k = par.k)
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '% står ikke på listen over fastleger hos %', left(utenfor.navn, 100), utenfor.o
            USING ERRCODE = 'check_violation';
    END IF;
END
$$;

-- The fields a request asks for, over those of fra (a fravær stored, for a change; NULL for a new one).
CREATE FUNCTION fravaer_intern.onske(felter json, fra fravaer) RETURNS onsket LANGUAGE plpgsql
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp AS $$
DECLARE
    f onsket;
    feil text;
BEGIN
    PERFORM nokler(felter, '{behandler, fra, til, tjenester, vikar, kommentar, hpr}', 'fraværet');
    -- Each value of the type the program sends: a name is a text, not a number made one; a date is
    -- written YYYY-MM-DD (no 'now', 'epoch' or time of day); services are a list of texts.
    SELECT e.k INTO feil FROM json_each(felter) AS e (k, v)
        WHERE (e.k IN ('behandler', 'fra', 'til') AND json_typeof(e.v) <> 'string')
           OR (e.k IN ('fra', 'til') AND e.v #>> '{}' !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')
           OR (e.k IN ('kommentar', 'hpr') AND json_typeof(e.v) NOT IN ('string', 'null'))
           OR (e.k IN ('tjenester', 'vikar') AND json_typeof(e.v) NOT IN ('array', 'null'))
           OR (json_typeof(e.v) = 'array' AND EXISTS (
                SELECT 1 FROM json_array_elements(e.v) x WHERE json_typeof(x) <> 'string'))
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'fraværets % har feil form', feil USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- fields: Draft
    f := ROW(fra.behandler, fra.fra, fra.til, fra.tjenester, fra.vikar, fra.kommentar, fra.hpr)::onsket;
    f := json_populate_record(f, felter);
    f.tjenester := i_katalogens_orden(f.tjenester);
    f.vikar := coalesce(i_katalogens_orden(f.vikar), '{}');
    f.kommentar := coalesce(f.kommentar, '');
    f.hpr := coalesce(f.hpr, '');
    RETURN f;
END
$$;

-- A new fravær of the office: the office's next id, this login, the server's clock, and the keys.
CREATE FUNCTION fravaer_intern.ny_fravaer(o text, f onsket, tid text) RETURNS fravaer LANGUAGE plpgsql
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp AS $$
DECLARE
    nr integer;
    r fravaer;
BEGIN
    UPDATE virksomhet v SET neste_id = v.neste_id + 1 WHERE v.orgnr = o RETURNING v.neste_id - 1 INTO nr;
    IF nr > 99999999 THEN  -- (the program's MAX_ID_LENGTH: 8 digits)
        RAISE EXCEPTION 'virksomhet % har brukt opp alle fravær-id-er', o USING ERRCODE = 'program_limit_exceeded';
    END IF;
    -- fields: Fravaer also orgnr, behandler_sok
    INSERT INTO fravaer (orgnr, behandler_sok, id, behandler, fra, til, tjenester, vikar, kommentar, hpr,
            registrert_av, registrert)
        VALUES (o, sokenokkel(f.behandler), nr::text, f.behandler, f.fra, f.til, f.tjenester, f.vikar, f.kommentar, f.hpr,
            session_user, tid)
        RETURNING * INTO r;
    RETURN r;
END
$$;

-- A stored fravær given the fields f: its id and who registered it when stay.
CREATE FUNCTION fravaer_intern.endret_fravaer(o text, fravaer_id text, f onsket) RETURNS fravaer LANGUAGE plpgsql
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp AS $$
DECLARE
    r fravaer;
BEGIN
    UPDATE fravaer g SET behandler = f.behandler, behandler_sok = sokenokkel(f.behandler), fra = f.fra, til = f.til,
            tjenester = f.tjenester, vikar = f.vikar, kommentar = f.kommentar, hpr = f.hpr
        WHERE g.orgnr = o AND g.id = fravaer_id RETURNING * INTO r;
    RETURN r;
END
$$;

-- A log entry as the server writes it: its time, its login and the --av it was given, what was done,
-- the fravær it was done to (or null), then what else the entry says (resten, in its order).
CREATE FUNCTION fravaer_intern.logg_inn(o text, tid text, pa_vegne_av text, handling text, fravaer_json json,
        resten json DEFAULT NULL) RETURNS void LANGUAGE sql
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp AS $$
    INSERT INTO logg (orgnr, tid, av, handling, oppforing)
    SELECT o, tid, session_user, handling, json_object_agg(k, v ORDER BY n) FROM (
        SELECT 1 AS n, 'tid' AS k, to_json(tid) AS v
        UNION ALL SELECT 2, 'av', to_json(session_user::text)
        UNION ALL SELECT 3, 'pa_vegne_av', to_json(pa_vegne_av) WHERE pa_vegne_av IS NOT NULL
        UNION ALL SELECT 4, 'handling', to_json(handling)
        UNION ALL SELECT 5, 'fravaer', coalesce(fravaer_json, 'null'::json)
        UNION ALL SELECT 5 + e.n, e.key, e.value FROM json_each(resten) WITH ORDINALITY AS e (key, value, n)
    ) x
$$;

-- A roster entry as the log writes it: name, then HPR number.
CREATE FUNCTION fravaer_intern.post(e jsonb) RETURNS json LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN e IS NULL THEN 'null'::json
                 ELSE json_build_object('behandler', e ->> 'behandler', 'hpr', coalesce(e ->> 'hpr', '')) END $$;

-- The place in a roster (0 on) of the GP with key k, or NULL.
CREATE FUNCTION fravaer_intern.plass(liste jsonb, k text) RETURNS integer LANGUAGE sql IMMUTABLE
    AS $$ SELECT (e.n - 1)::integer FROM jsonb_array_elements(liste) WITH ORDINALITY AS e (value, n)
          WHERE fravaer_intern.gp_nokkel(e.value ->> 'behandler') = k ORDER BY e.n LIMIT 1 $$;

-- The most GPs on an office's roster (the program's MAX_ROSTER).
CREATE FUNCTION fravaer_intern.storste_liste() RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT 1000 $$;

-- The change a login asks for, made by the server, with its record: each request of handlinger, in
-- order, on offices this login may write, and a log entry for each change made, which the server
-- writes from the rows as they were before and after. The login says what is to be done, never what
-- was done: no id for something new, no who or when, no key, no log entry.
--   foresporsel: {"pa_vegne_av": text|null, "handlinger": [request, ...]}, each request one of
--     {"orgnr", "handling": "add"|"import", "fravaer": {Draft's fields}}
--     {"orgnr", "handling": "edit", "id", "fravaer": {the fields to change}}
--     {"orgnr", "handling": "delete", "id"}
--     {"orgnr", "handling": "restore", "id"}: put back as it was before the log's last change of it
--     {"orgnr", "handling": "info", "navn", "info"} (null: as it is)
--     {"orgnr", "handling": "roster_add", "behandler", "hpr"} (hpr null: as it is)
--     {"orgnr", "handling": "roster_remove", "behandler"}
--     {"orgnr", "handling": "rename", "fra", "til"}: the GP fra is called til in the roster and every fravær
-- Returns what it logged, entry by entry (the program checks that it is what it expected).
CREATE FUNCTION fravaer_api.endre(foresporsel json) RETURNS SETOF skrevet LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    tid text := tidspunkt();
    pa text;
    orgnrs text[];
    a json;
    o text;
    h text;
    gammel fravaer;
    ny fravaer;
    siste json;
    liste jsonb;
    foer jsonb;
    etter jsonb;
    i integer;
    j integer;
    k text;
    maal text;
    fk text;
    tk text;
    gamle fravaer[];
    nye fravaer[];
    noklenes text;  -- the office whose roster's GP keys nokler_her holds, in its order
    nokler_her text[];
BEGIN
    PERFORM nokler(foresporsel, '{pa_vegne_av, handlinger}', 'forespørselen');
    IF json_typeof(foresporsel -> 'handlinger') IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'handlinger skal være en liste' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF json_array_length(foresporsel -> 'handlinger') > 10000 THEN
        RAISE EXCEPTION 'høyst 10 000 handlinger i ett kall' USING ERRCODE = 'program_limit_exceeded';
    END IF;
    IF json_typeof(foresporsel -> 'pa_vegne_av') NOT IN ('string', 'null') THEN
        RAISE EXCEPTION 'pa_vegne_av skal være en tekst' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    pa := foresporsel ->> 'pa_vegne_av';
    IF pa IS NOT NULL AND NOT navn_ok(pa) THEN  -- a name's rules: one line, no control or format character
        RAISE EXCEPTION 'ugyldig pa_vegne_av (--av): %', left(pa, 100) USING ERRCODE = 'check_violation';
    END IF;
    orgnrs := ARRAY(SELECT DISTINCT e ->> 'orgnr' FROM json_array_elements(foresporsel -> 'handlinger') e);
    IF array_position(orgnrs, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'en handling uten orgnr' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM skrivbare(orgnrs);

    FOR a IN SELECT e FROM json_array_elements(foresporsel -> 'handlinger') e LOOP
        o := a ->> 'orgnr';
        h := a ->> 'handling';
        CASE h
        WHEN 'add', 'import' THEN
            PERFORM nokler(a, '{orgnr, handling, fravaer}', h);
            ny := ny_fravaer(o, onske(a -> 'fravaer', NULL), tid);
            PERFORM pa_listen_ok(ARRAY[o], ARRAY[ny.behandler]);
            PERFORM logg_inn(o, tid, pa, h, som_json(ny));
            RETURN NEXT ROW(o, h, ny.id, ny.behandler)::skrevet;
        WHEN 'edit' THEN
            PERFORM nokler(a, '{orgnr, handling, id, fravaer}', h);
            SELECT * INTO gammel FROM fravaer f WHERE f.orgnr = o AND f.id = a ->> 'id';
            IF NOT FOUND THEN
                RAISE EXCEPTION 'fravær % finnes ikke i virksomhet %', left(a ->> 'id', 20), o USING ERRCODE = 'no_data_found';
            END IF;
            ny := endret_fravaer(o, gammel.id, onske(a -> 'fravaer', gammel));
            IF som_json(ny)::jsonb = som_json(gammel)::jsonb THEN
                RAISE EXCEPTION 'fravær % er ikke endret', gammel.id USING ERRCODE = 'check_violation';
            END IF;
            IF ny.behandler <> gammel.behandler THEN
                PERFORM pa_listen_ok(ARRAY[o], ARRAY[ny.behandler]);
            END IF;
            PERFORM logg_inn(o, tid, pa, h, som_json(ny), json_build_object('forrige', som_json(gammel)));
            RETURN NEXT ROW(o, h, ny.id, ny.behandler)::skrevet;
        WHEN 'delete' THEN
            PERFORM nokler(a, '{orgnr, handling, id}', h);
            DELETE FROM fravaer f WHERE f.orgnr = o AND f.id = a ->> 'id' RETURNING * INTO gammel;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'fravær % finnes ikke i virksomhet %', left(a ->> 'id', 20), o USING ERRCODE = 'no_data_found';
            END IF;
            PERFORM logg_inn(o, tid, pa, h, som_json(gammel));
            RETURN NEXT ROW(o, h, gammel.id, gammel.behandler)::skrevet;
        WHEN 'restore' THEN
            -- As it was before the last change the log has of it: an edit undone in place; a deleted
            -- one stored again, with a new id (ids are never used twice).
            PERFORM nokler(a, '{orgnr, handling, id}', h);
            SELECT l.oppforing INTO siste FROM logg l
                WHERE l.orgnr = o AND l.oppforing -> 'fravaer' ->> 'id' = a ->> 'id' ORDER BY l.nr DESC LIMIT 1;
            SELECT * INTO gammel FROM fravaer f WHERE f.orgnr = o AND f.id = a ->> 'id';
            IF gammel.id IS NOT NULL AND siste ->> 'handling' IN ('edit', 'restore')
                    AND json_typeof(siste -> 'forrige') = 'object' THEN
                ny := endret_fravaer(o, gammel.id, onske_lagret(siste -> 'forrige'));
                IF som_json(ny)::jsonb = som_json(gammel)::jsonb THEN
                    RAISE EXCEPTION 'fravær % er allerede slik det var', gammel.id USING ERRCODE = 'check_violation';
                END IF;
                PERFORM logg_inn(o, tid, pa, h, som_json(ny), json_build_object('forrige', som_json(gammel)));
            ELSIF gammel.id IS NULL AND siste ->> 'handling' = 'delete' THEN
                ny := ny_fravaer(o, onske_lagret(siste -> 'fravaer'), tid);
                PERFORM pa_listen_ok(ARRAY[o], ARRAY[ny.behandler]);
                PERFORM logg_inn(o, tid, pa, h, som_json(ny), json_build_object('forrige', siste -> 'fravaer'));
            ELSE
                RAISE EXCEPTION 'loggen har ingen endring av fravær % å gjenopprette', left(a ->> 'id', 20)
                    USING ERRCODE = 'no_data_found';
            END IF;
            RETURN NEXT ROW(o, h, ny.id, ny.behandler)::skrevet;
        WHEN 'info' THEN
            PERFORM nokler(a, '{orgnr, handling, navn, info}', h);
            SELECT jsonb_build_object('navn', v.navn, 'info', v.info) INTO foer FROM virksomhet v WHERE v.orgnr = o;
            UPDATE virksomhet v SET navn = coalesce(a ->> 'navn', v.navn), info = coalesce(a ->> 'info', v.info)
                WHERE v.orgnr = o RETURNING jsonb_build_object('navn', v.navn, 'info', v.info) INTO etter;
            -- Logged when it changed, and for a new office, whose first entry it is.
            IF etter <> foer OR NOT EXISTS (SELECT 1 FROM logg l WHERE l.orgnr = o) THEN
                PERFORM logg_inn(o, tid, pa, h, NULL, json_build_object(
                    'virksomhet', json_build_object('navn', etter ->> 'navn', 'info', etter ->> 'info'),
                    'forrige', json_build_object('navn', foer ->> 'navn', 'info', foer ->> 'info')));
                RETURN NEXT ROW(o, h, NULL, NULL)::skrevet;
            END IF;
        WHEN 'roster_add' THEN
            PERFORM nokler(a, '{orgnr, handling, behandler, hpr}', h);
            IF NOT navn_ok(a ->> 'behandler') OR json_typeof(a -> 'behandler') <> 'string'
                    OR json_typeof(a -> 'hpr') NOT IN ('string', 'null') THEN
                RAISE EXCEPTION 'ugyldig fastlege på listen: %', left(a::text, 120) USING ERRCODE = 'check_violation';
            END IF;
            SELECT v.behandlere INTO liste FROM virksomhet v WHERE v.orgnr = o;
            IF noklenes IS DISTINCT FROM o THEN  -- the roster's keys, once for a run of requests
                nokler_her := ARRAY(SELECT gp_nokkel(e ->> 'behandler') FROM jsonb_array_elements(liste) e);
                noklenes := o;
            END IF;
            k := gp_nokkel(a ->> 'behandler');
            i := array_position(nokler_her, k) - 1;
            foer := liste -> i;  -- (NULL when the GP is new here)
            IF foer IS NULL THEN
                IF jsonb_array_length(liste) >= storste_liste() THEN
                    RAISE EXCEPTION 'listen over fastleger hos % har alt % navn', o, storste_liste()
                        USING ERRCODE = 'program_limit_exceeded';
                END IF;
                etter := jsonb_build_object('behandler', a ->> 'behandler', 'hpr', coalesce(a ->> 'hpr', ''));
                liste := liste || jsonb_build_array(etter);
                nokler_her := nokler_her || k;
            ELSE  -- the GP as the roster writes the name, with the number given
                etter := foer || jsonb_build_object('hpr', coalesce(a ->> 'hpr', foer ->> 'hpr', ''));
                liste := jsonb_set(liste, ARRAY[i::text], etter);
            END IF;
            IF etter ->> 'hpr' <> '' AND EXISTS (SELECT 1 FROM jsonb_array_elements(liste) WITH ORDINALITY AS e (v, n)
                    WHERE e.v ->> 'hpr' = etter ->> 'hpr' AND nokler_her[e.n] <> k) THEN
                RAISE EXCEPTION 'HPR-nummer % hører til en annen fastlege hos %', etter ->> 'hpr', o
                    USING ERRCODE = 'unique_violation';
            END IF;
            IF etter IS DISTINCT FROM foer THEN
                UPDATE virksomhet v SET behandlere = liste WHERE v.orgnr = o;
                PERFORM logg_inn(o, tid, pa, h, NULL, json_build_object('behandler', post(etter), 'forrige', post(foer)));
                RETURN NEXT ROW(o, h, NULL, NULL)::skrevet;
            END IF;
        WHEN 'roster_remove' THEN
            PERFORM nokler(a, '{orgnr, handling, behandler}', h);
            SELECT v.behandlere INTO liste FROM virksomhet v WHERE v.orgnr = o;
            i := plass(liste, gp_nokkel(a ->> 'behandler'));
            IF i IS NULL THEN
                RAISE EXCEPTION 'fastlegen står ikke på listen hos %', o USING ERRCODE = 'no_data_found';
            END IF;
            foer := liste -> i;
            UPDATE virksomhet v SET behandlere = liste - i WHERE v.orgnr = o;
            noklenes := NULL;
            PERFORM logg_inn(o, tid, pa, h, NULL, json_build_object('behandler', post(foer)));
            RETURN NEXT ROW(o, h, NULL, NULL)::skrevet;
        WHEN 'rename' THEN
            -- As Virksomhet.rename: the GP fra is called til everywhere in the office; into a GP known
            -- here already, the two are merged (the name that GP has, its HPR number or else fra's).
            PERFORM nokler(a, '{orgnr, handling, fra, til}', h);
            IF NOT (navn_ok(a ->> 'fra') AND navn_ok(a ->> 'til')) OR json_typeof(a -> 'fra') <> 'string'
                    OR json_typeof(a -> 'til') <> 'string' THEN
                RAISE EXCEPTION 'ugyldig navn: %', left(a::text, 240) USING ERRCODE = 'check_violation';
            END IF;
            fk := gp_nokkel(a ->> 'fra');
            tk := gp_nokkel(a ->> 'til');
            noklenes := NULL;
            SELECT v.behandlere INTO liste FROM virksomhet v WHERE v.orgnr = o;
            i := plass(liste, fk);
            j := CASE WHEN tk <> fk THEN plass(liste, tk) END;
            gamle := ARRAY(SELECT f FROM fravaer f WHERE f.orgnr = o AND gp_nokkel(f.behandler) = fk
                           ORDER BY length(f.id), f.id FOR UPDATE);
            IF i IS NULL AND cardinality(gamle) = 0 THEN
                RAISE EXCEPTION 'ingen behandler heter % hos %', left(a ->> 'fra', 100), o USING ERRCODE = 'no_data_found';
            END IF;
            maal := a ->> 'til';
            IF tk <> fk THEN  -- a merge keeps the name the other GP has: the roster's, else as first stored
                maal := coalesce(liste -> j ->> 'behandler',
                    (SELECT f.behandler FROM fravaer f WHERE f.orgnr = o AND gp_nokkel(f.behandler) = tk
                     ORDER BY length(f.id), f.id LIMIT 1), maal);
            END IF;
            foer := liste;
            IF i IS NOT NULL AND j IS NOT NULL THEN
                liste := jsonb_set(liste, ARRAY[j::text], (liste -> j) || jsonb_build_object('hpr',
                    coalesce(nullif(liste -> j ->> 'hpr', ''), liste -> i ->> 'hpr', ''))) - i;
            ELSIF i IS NOT NULL THEN
                liste := jsonb_set(liste, ARRAY[i::text], (liste -> i) || jsonb_build_object('behandler', maal));
            END IF;
            nye := ARRAY(SELECT endret_fravaer(o, g.id, ROW(maal, g.fra, g.til, g.tjenester, g.vikar, g.kommentar, g.hpr)::onsket)
                         FROM unnest(gamle) g WHERE g.behandler <> maal ORDER BY length(g.id), g.id);
            IF cardinality(nye) > 0 OR liste <> foer THEN
                -- The old spelling is remembered as the GP it is now (and spellings that meant fra
                -- mean maal); maal's own key is no former spelling of anyone (former_names()).
                UPDATE virksomhet v SET behandlere = liste, tidligere_navn = (
                        SELECT coalesce(jsonb_object_agg(e.key, CASE WHEN gp_nokkel(e.value #>> '{}') = fk
                                                                    THEN to_jsonb(maal) ELSE e.value END), '{}')
                        FROM jsonb_each(v.tidligere_navn) e WHERE e.key <> gp_nokkel(maal))
                        || CASE WHEN fk <> gp_nokkel(maal) THEN jsonb_build_object(fk, maal) ELSE '{}' END
                    WHERE v.orgnr = o;
                PERFORM logg_inn(o, tid, pa, h, NULL,
                    json_build_object('behandler', json_build_object('fra', a ->> 'fra', 'til', a ->> 'til')));
                RETURN NEXT ROW(o, h, NULL, NULL)::skrevet;
                FOR ny IN SELECT * FROM unnest(nye) LOOP
                    SELECT * INTO gammel FROM unnest(gamle) g WHERE g.id = ny.id;
                    PERFORM logg_inn(o, tid, pa, 'edit', som_json(ny), json_build_object('forrige', som_json(gammel)));
                    RETURN NEXT ROW(o, 'edit', ny.id, ny.behandler)::skrevet;
                END LOOP;
            END IF;
        ELSE
            RAISE EXCEPTION 'ukjent handling: %', left(coalesce(h, a::text), 40) USING ERRCODE = 'invalid_parameter_value';
        END CASE;
    END LOOP;
    PERFORM ny_versjon(orgnrs);
END
$$;

-- A fravær the log holds, as fields a request gives (a deleted one stored again).
CREATE FUNCTION fravaer_intern.onske_lagret(f json) RETURNS onsket LANGUAGE sql IMMUTABLE
    -- fields: Draft
    AS $$ SELECT ROW(o.behandler, o.fra, o.til, o.tjenester, coalesce(o.vikar, '{}'), coalesce(o.kommentar, ''),
        coalesce(o.hpr, ''))::fravaer_intern.onsket FROM json_populate_record(NULL::fravaer_intern.onsket, f) o $$;

-- What a login sends in bulk: the rows of fravaer_inn.rader its own transaction added (as tabell),
-- taken out as they are read; and those left by transactions that ended, whoever sent them. The
-- table is the store's own: no object the caller can make is read as the owner (migration 9).
CREATE FUNCTION fravaer_intern.innsendt(tabell text) RETURNS SETOF fravaer_inn.rader LANGUAGE plpgsql
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp AS $$
DECLARE
    tx xid8 := pg_current_xact_id();  -- (a volatile call in the WHERE would read the whole table)
BEGIN
    PERFORM rydd_innsendt();
    RETURN QUERY DELETE FROM fravaer_inn.rader r WHERE r.transaksjon = tx AND r.tabell = innsendt.tabell
        RETURNING r.*;
END
$$;

-- Rows left by transactions that ended without a call to read them (skipping rows another call is
-- removing: a login's open call must hold up no one else's).
CREATE FUNCTION fravaer_intern.rydd_innsendt() RETURNS void LANGUAGE sql
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp AS $$
    DELETE FROM fravaer_inn.rader r WHERE r.ctid = ANY(ARRAY(
        SELECT g.ctid FROM fravaer_inn.rader g WHERE g.transaksjon < pg_snapshot_xmin(pg_current_snapshot())
        FOR UPDATE SKIP LOCKED))
$$;

-- What a login may have in fravaer_inn.rader: at most 20,000 rows (four of an import's batches),
-- of its open transaction and of those that ended while another transaction's snapshot kept them
-- from being cleared; each insert clears what ended ones left. The admins' database load sends a
-- whole store at once, and is not bounded.
CREATE FUNCTION fravaer_intern.innsending_begrenset() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp AS $$
BEGIN
    PERFORM rydd_innsendt();
    IF NOT skriver_alt() AND (SELECT count(*) FROM fravaer_inn.rader r WHERE r.innsender = session_user) > 20000 THEN
        RAISE EXCEPTION 'høyst 20 000 rader sendt om gangen' USING ERRCODE = 'program_limit_exceeded';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER rader_begrenset AFTER INSERT ON fravaer_inn.rader
    FOR EACH STATEMENT EXECUTE FUNCTION fravaer_intern.innsending_begrenset();

-- An import's new fravær in batches, sent as rows of tabell 'fravaer' (columns c0 orgnr, then the
-- fields a user gives, as text, then the row's place): each is stored and logged as handling, in
-- its place's order, with the office's next id, this login and the server's clock.
-- Its statements planned once for any batch: planned for each of a session's first five batches
-- with the batch's 5,000 rows as constants, a batch took 1.1 s instead of 0.2 s.
CREATE FUNCTION fravaer_api.skriv_rader(handling text, pa_vegne_av text) RETURNS void LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET jit = off
    SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    tid text := tidspunkt();
    orgnrs text[];
    rader fravaer_inn.rader[];
BEGIN
    IF handling NOT IN ('add', 'import') THEN
        RAISE EXCEPTION 'ukjent handling %', handling USING ERRCODE = 'check_violation';
    END IF;
    IF pa_vegne_av IS NOT NULL AND NOT navn_ok(pa_vegne_av) THEN
        RAISE EXCEPTION 'ugyldig pa_vegne_av (--av): %', left(pa_vegne_av, 100) USING ERRCODE = 'check_violation';
    END IF;
    rader := ARRAY(SELECT r FROM innsendt('fravaer') r);
    orgnrs := ARRAY(SELECT DISTINCT r.c0 FROM unnest(rader) r);
    PERFORM skrivbare(orgnrs);
    PERFORM pa_listen_ok(ARRAY(SELECT r.c0 FROM unnest(rader) r), ARRAY(SELECT r.c1 FROM unnest(rader) r));
    -- Each office's next ids, in the rows' places' order; each GP's search key once.
    WITH r AS (
            -- fields: Draft also c0, c8, row_number numbered from c1
            SELECT r.c0 AS orgnr, r.c1 AS behandler, r.c2::date AS fra, r.c3::date AS til, r.c4::text[] AS tjenester,
                coalesce(r.c5::text[], '{}') AS vikar, coalesce(r.c6, '') AS kommentar, coalesce(r.c7, '') AS hpr,
                row_number() OVER (PARTITION BY r.c0 ORDER BY r.c8::integer) AS nr
            FROM unnest(rader) r),
        antall AS (
            UPDATE virksomhet v SET neste_id = v.neste_id + x.antall
            FROM (SELECT r.orgnr, count(*) AS antall FROM r GROUP BY r.orgnr) x
            WHERE v.orgnr = x.orgnr RETURNING v.orgnr, v.neste_id - x.antall AS forste),
        nokler AS (SELECT b.behandler, sokenokkel(b.behandler) AS sok FROM (SELECT DISTINCT r.behandler FROM r) b),
        n AS (
            SELECT r.*, s.sok AS behandler_sok, (a.forste + r.nr - 1)::text AS id
            FROM r JOIN antall a ON a.orgnr = r.orgnr JOIN nokler s ON s.behandler = r.behandler),
        lagt AS (
            -- fields: Fravaer also orgnr, behandler_sok
            INSERT INTO fravaer (orgnr, behandler_sok, id, behandler, fra, til, tjenester, vikar, kommentar, hpr,
                    registrert_av, registrert)
                -- fields: Fravaer also orgnr, behandler_sok renamed registrert_av as session_user, registrert as tid
                SELECT n.orgnr, n.behandler_sok, n.id, n.behandler, n.fra, n.til, n.tjenester, n.vikar, n.kommentar,
                    n.hpr, session_user, tid
                FROM n
            RETURNING *)
    INSERT INTO logg (orgnr, tid, av, handling, oppforing)
        SELECT f.orgnr, tid, session_user, handling,
            CASE WHEN pa_vegne_av IS NULL
                THEN json_build_object('tid', tid, 'av', session_user, 'handling', handling, 'fravaer', som_json(f))
                ELSE json_build_object('tid', tid, 'av', session_user, 'pa_vegne_av', pa_vegne_av,
                                       'handling', handling, 'fravaer', som_json(f)) END
        FROM lagt f ORDER BY f.orgnr, f.id::integer;  -- (each office's in the order given)
    IF EXISTS (SELECT 1 FROM virksomhet v WHERE v.orgnr = ANY(orgnrs) AND v.neste_id > 100000000) THEN
        RAISE EXCEPTION 'en virksomhet har brukt opp alle fravær-id-er' USING ERRCODE = 'program_limit_exceeded';
    END IF;
    PERFORM ny_versjon(orgnrs);
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
-- columns), each office's own columns on its first row only (null on the others: a national report
-- gets each roster and info text once, not once a fravær). orgnrs: only those; ord and hpr: only
-- offices with a GP whose search key matches every pattern of ord (LIKE), or whose HPR number (on a
-- fravær, or on the roster) is hpr, and only those fravær; fra_og_med and
-- til_og_med: only fravær that end on or after the one and start on or before the other, and
-- those that make one stretch with them (the same GP and a shared service, back to back): a report
-- for a day reads neither history nor the years ahead, but whole the stretches it shows. strekk
-- false: without the stretches, only the fravær that meet the days (what a change reads of an office
-- in part: its rules are about shared days, and a GP's years of fravær back to back are one stretch).
CREATE FUNCTION fravaer_api.kontorer(orgnrs text[] DEFAULT NULL, ord text[] DEFAULT NULL, hpr text DEFAULT NULL,
        fra_og_med date DEFAULT NULL, til_og_med date DEFAULT NULL, strekk boolean DEFAULT true)
    -- fields: Fravaer also orgnr, navn, info, neste_id, behandlere, tidligere_navn, versjon renamed hpr as hpr_nr
    RETURNS TABLE (orgnr text, navn text, info text, neste_id integer, behandlere jsonb, tidligere_navn jsonb,
        versjon bigint,
        id text, behandler text, fra date, til date, tjenester text[], vikar text[], kommentar text,
        hpr_nr text, registrert_av text, registrert text)
    -- PL/pgSQL, not SQL: its statements are planned with the call's values (an SQL function's are
    -- planned for any value, and then read every fravær), and a call without days needs no recursion.
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET jit = off AS $$
#variable_conflict use_column
DECLARE
    alt boolean := leser_alt();
    leses text[];
    listens text[] := '{}';  -- 'orgnr|GP key' of the roster's GPs whose HPR number is hpr
BEGIN
    IF hpr IS NOT NULL THEN
        listens := ARRAY(
            SELECT v.orgnr || '|' || gp_nokkel(e ->> 'behandler')
            FROM virksomhet v, jsonb_array_elements(v.behandlere) e
            WHERE v.behandlere @> jsonb_build_array(jsonb_build_object('hpr', kontorer.hpr)) AND e ->> 'hpr' = kontorer.hpr
              AND (alt OR v.orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = session_user)));
    END IF;
    leses := ARRAY(
        SELECT v.orgnr FROM virksomhet v
        WHERE (alt OR v.orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = session_user))
          AND (orgnrs IS NULL OR v.orgnr = ANY(orgnrs))
          AND (ord IS NULL OR v.orgnr IN (SELECT s.orgnr FROM fravaer_sok s
                WHERE NOT EXISTS (SELECT 1 FROM unnest(ord) w WHERE s.behandler_sok NOT LIKE w) OR s.hpr = kontorer.hpr)
               OR v.orgnr IN (SELECT split_part(x, '|', 1) FROM unnest(listens) x)));
    IF fra_og_med IS NULL AND til_og_med IS NULL THEN
        RETURN QUERY
            -- fields: Fravaer also orgnr, CASE
            SELECT v.orgnr, CASE WHEN row_number() OVER w = 1 THEN v.navn END, CASE WHEN row_number() OVER w = 1 THEN v.info END,
                CASE WHEN row_number() OVER w = 1 THEN v.neste_id END, CASE WHEN row_number() OVER w = 1 THEN v.behandlere END,
                CASE WHEN row_number() OVER w = 1 THEN v.tidligere_navn END,
                CASE WHEN row_number() OVER w = 1 THEN v.versjon END,
                f.id, f.behandler, f.fra, f.til, f.tjenester, f.vikar, f.kommentar, f.hpr, f.registrert_av, f.registrert
            FROM virksomhet v LEFT JOIN fravaer f ON f.orgnr = v.orgnr
                AND (ord IS NULL OR NOT EXISTS (SELECT 1 FROM unnest(ord) w WHERE f.behandler_sok NOT LIKE w)
                     OR f.hpr = kontorer.hpr
                     OR CASE WHEN listens <> '{}' THEN f.orgnr || '|' || gp_nokkel(f.behandler) = ANY(listens) END)
            WHERE v.orgnr = ANY(leses)
            WINDOW w AS (PARTITION BY v.orgnr ORDER BY length(f.id), f.id)
            ORDER BY v.orgnr, length(f.id), f.id;
        RETURN;
    END IF;
    RETURN QUERY
        WITH RECURSIVE valgte AS MATERIALIZED (
            SELECT f.* FROM fravaer f
            WHERE f.orgnr = ANY(leses)
              AND (fra_og_med IS NULL OR f.til >= fra_og_med) AND (til_og_med IS NULL OR f.fra <= til_og_med)
              AND (ord IS NULL OR NOT EXISTS (SELECT 1 FROM unnest(ord) w WHERE f.behandler_sok NOT LIKE w)
                   OR f.hpr = kontorer.hpr
                   OR CASE WHEN listens <> '{}' THEN f.orgnr || '|' || gp_nokkel(f.behandler) = ANY(listens) END)
        ), bakover AS (  -- back to back before them: the start of a stretch
            SELECT * FROM valgte
            UNION
            -- Looked up fravær by fravær in the index (OFFSET 0 keeps the planner from a join that
            -- reads every fravær of the table for each step, as it did for its guess of many rows).
            SELECT g.* FROM bakover k, LATERAL (
                SELECT * FROM fravaer g WHERE g.orgnr = k.orgnr AND g.til = k.fra - 1 AND g.nokkel = k.nokkel
                    AND g.tjenester && k.tjenester OFFSET 0) g
            WHERE fra_og_med IS NOT NULL AND strekk
        ), fremover AS (  -- and after them: its end
            SELECT * FROM valgte
            UNION
            SELECT g.* FROM fremover k, LATERAL (
                SELECT * FROM fravaer g WHERE g.orgnr = k.orgnr AND g.fra = k.til + 1 AND g.til > k.til AND g.nokkel = k.nokkel
                    AND g.tjenester && k.tjenester OFFSET 0) g
            WHERE til_og_med IS NOT NULL AND strekk
        ), alle AS (SELECT * FROM bakover UNION SELECT * FROM fremover)
        -- fields: Fravaer also orgnr, CASE
        SELECT v.orgnr, CASE WHEN row_number() OVER w = 1 THEN v.navn END, CASE WHEN row_number() OVER w = 1 THEN v.info END,
            CASE WHEN row_number() OVER w = 1 THEN v.neste_id END, CASE WHEN row_number() OVER w = 1 THEN v.behandlere END,
                CASE WHEN row_number() OVER w = 1 THEN v.tidligere_navn END,
            CASE WHEN row_number() OVER w = 1 THEN v.versjon END,
            f.id, f.behandler, f.fra, f.til, f.tjenester, f.vikar, f.kommentar, f.hpr, f.registrert_av, f.registrert
        FROM virksomhet v LEFT JOIN alle f ON f.orgnr = v.orgnr
        WHERE v.orgnr = ANY(leses)
        WINDOW w AS (PARTITION BY v.orgnr ORDER BY length(f.id), f.id)
        ORDER BY v.orgnr, length(f.id), f.id;
END
$$;

-- What a change reads of an office beside the fravær it concerns (Virksomhet.directory, a partial
-- office: pgstore.py): for each office in orgnrs this login may read, one row (behandler) for the
-- first fravær of each spelling of a GP's name, and one (behandler and hpr) for the first fravær of
-- each HPR number, first stored first (length(id), id: the order kontorer() gives); the program
-- folds the names into GP keys itself. With uten_ider, the fravær named in ider are not counted
-- there: once an edit gives one of them to another GP (or name, or HPR number), it may have been
-- its GP's first or only fravær (GpDirectory.without_named). And one row (fra and til) for each of
-- them: the days an edit reads around the fravær it changes. Per office a few rows, not its history. Each
-- spelling's first fravær is found by a hash aggregate, with no sort of the offices' fravær: ids
-- padded to one length compare as (length(id), id) does (an id has at most 8 characters: the
-- table's check).
CREATE FUNCTION fravaer_api.leger(orgnrs text[], ider text[] DEFAULT NULL, uten_ider boolean DEFAULT false)
    RETURNS TABLE (orgnr text, behandler text, hpr text, fra date, til date)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET jit = off AS $$
    WITH leses AS MATERIALIZED (
        SELECT v.orgnr FROM virksomhet v
        WHERE ((SELECT leser_alt()) OR v.orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = session_user))
          AND v.orgnr = ANY(orgnrs)
    ), forste AS (
        SELECT f.orgnr, f.behandler, NULL::text AS hpr, min(lpad(f.id, 20) COLLATE "C") AS plass
        FROM fravaer f
        WHERE f.orgnr = ANY(ARRAY(SELECT l.orgnr FROM leses l)) AND NOT (uten_ider AND f.id = ANY(coalesce(ider, '{}')))
        GROUP BY f.orgnr, f.behandler
        UNION ALL
        (SELECT DISTINCT ON (h.orgnr, h.hpr) h.orgnr, h.behandler, h.hpr, h.plass FROM (
            SELECT f.orgnr, f.hpr, lpad(f.id, 20) COLLATE "C" AS plass, f.behandler
            FROM fravaer f
            WHERE f.orgnr = ANY(ARRAY(SELECT l.orgnr FROM leses l)) AND f.hpr <> ''
              AND NOT (uten_ider AND f.id = ANY(coalesce(ider, '{}')))) h
        ORDER BY h.orgnr, h.hpr, h.plass)
    )
    SELECT u.orgnr, u.behandler, u.hpr, u.fra, u.til FROM (
        SELECT x.orgnr, x.behandler, x.hpr, NULL::date AS fra, NULL::date AS til, x.plass FROM forste x
        UNION ALL
        SELECT f.orgnr, NULL, NULL, f.fra, f.til, NULL FROM fravaer f
        WHERE f.orgnr = ANY(ARRAY(SELECT l.orgnr FROM leses l)) AND f.id = ANY(ider)) u
    ORDER BY u.orgnr, u.plass
$$;

-- Lock the offices in orgnrs for a change, and create those missing that this login may write when
-- opprett. Returns each office it may write, with whether this call created it; one it may read
-- but not write is an error (42501); one it may not read, or not stored and not created, is left out.
CREATE FUNCTION fravaer_api.laas(orgnrs text[], opprett boolean)
    RETURNS TABLE (orgnr text, navn text, info text, neste_id integer, behandlere jsonb, tidligere_navn jsonb,
        versjon bigint, opprettet boolean)
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
    RETURN QUERY SELECT v.orgnr, v.navn, v.info, v.neste_id, v.behandlere, v.tidligere_navn, v.versjon, v.orgnr = ANY(nye)
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
    IF NOT navn_ok(login) THEN  -- (it could write nothing: skrivbare())
        RAISE EXCEPTION 'innloggingen % har et navn loggen ikke kan vise', quote_ident(login)
            USING ERRCODE = 'check_violation';
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
-- (orgnr, navn, info, neste_id, behandlere, tidligere_navn), 'fravaer' (orgnr, then Fravaer's fields) and 'logg'
-- (orgnr, tid, av, handling, oppforing, place). An office already stored is left as it is. The one
-- call in which a login sends a record rather than a request: a copy of a store as it was, history
-- and all, into offices the database has not had; only an admin may, and the search keys are the
-- server's.
CREATE FUNCTION fravaer_api.last_inn() RETURNS SETOF text LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = fravaer, fravaer_intern, pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    nye text[];
BEGIN
    IF NOT skriver_alt() THEN
        RAISE EXCEPTION 'bare fravaer_admin laster inn' USING ERRCODE = 'insufficient_privilege';
    END IF;
    WITH n AS (INSERT INTO virksomhet (orgnr, navn, info, neste_id, behandlere, tidligere_navn)
               SELECT c0, c1, c2, c3::integer, c4::jsonb, coalesce(c5::jsonb, '{}') FROM innsendt('kontor') ORDER BY c0
               ON CONFLICT DO NOTHING RETURNING virksomhet.orgnr)
        SELECT coalesce(array_agg(n.orgnr ORDER BY n.orgnr), '{}') INTO nye FROM n;
    -- fields: Fravaer also orgnr, behandler_sok
    INSERT INTO fravaer (orgnr, behandler_sok, id, behandler, fra, til, tjenester, vikar, kommentar, hpr,
            registrert_av, registrert)
        -- fields: Fravaer also c0, sokenokkel numbered from c1
        SELECT c0, sokenokkel(c2), c1, c2, c3::date, c4::date, c5::text[], c6::text[], c7, c8, c9, c10
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
GRANT EXECUTE ON FUNCTION fravaer_api.virksomheter(text[]), fravaer_api.kontorer(text[], text[], text, date, date, boolean),
    fravaer_api.leger(text[], text[], boolean),
    fravaer_api.logg(text), fravaer_api.skjema(), fravaer_api.status(), fravaer_api.tilganger(text, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION fravaer_api.endre(json), fravaer_api.skriv_rader(text, text),
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
