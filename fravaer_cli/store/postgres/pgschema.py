"""The PostgreSQL schema, as numbered migrations that `fravaer database init` applies in order.

Access per office is the database's own business (row-level security), so that
it holds for every client, not only for this program:
- a login reads and writes the offices it has been given (table tilgang);
- members of fravaer_kundesenter read every office and write none;
- members of fravaer_admin read and write every office and manage access.
The audit log is append-only for every login, its owner included (a trigger),
and the overlap rule is an exclusion constraint, so that two machines adding
overlapping fravær at the same moment cannot both succeed.
"""

SCHEMA = 5
ROLES = ("fravaer_admin", "fravaer_kundesenter")

# Who may write an office, and who may read it, as policy expressions. Each part
# is a sub-select without outer references, so PostgreSQL evaluates it once per
# statement (an InitPlan, a hashed SubPlan), not once per row: a national report
# reads 100,000 rows, an import writes as many.
_ADMIN = "(SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER'))"
_KUNDESENTER = "(SELECT pg_has_role(current_user, 'fravaer_kundesenter', 'MEMBER'))"
_GIVEN = "orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user)"
WRITE = f"({_ADMIN} OR {_GIVEN})"
READ = f"({_ADMIN} OR {_KUNDESENTER} OR {_GIVEN})"

_ROLES = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fravaer_admin') THEN
        CREATE ROLE fravaer_admin NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fravaer_kundesenter') THEN
        CREATE ROLE fravaer_kundesenter NOLOGIN;
    END IF;
END
$$;
"""

MIGRATIONS = {
    1: """
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE fravaer_schema (versjon integer NOT NULL);
INSERT INTO fravaer_schema VALUES (0);

CREATE TABLE virksomhet (
    orgnr text PRIMARY KEY CHECK (orgnr ~ '^[0-9]{9}$'),
    navn text NOT NULL DEFAULT '',
    info text NOT NULL DEFAULT '',
    neste_id integer NOT NULL DEFAULT 1 CHECK (neste_id >= 1),
    versjon bigint NOT NULL DEFAULT 0
);

CREATE TABLE fravaer (
    orgnr text NOT NULL REFERENCES virksomhet,
    id text NOT NULL CHECK (id ~ '^[0-9A-Za-z_-]{1,8}$'),
    behandler text NOT NULL,
    behandler_key text NOT NULL,  -- who is the same GP (model.behandler_key)
    behandler_sok text NOT NULL,  -- the name folded for finding it (model.search_key)
    fra date NOT NULL,
    til date NOT NULL,
    tjenester text[] NOT NULL,
    vikar text[] NOT NULL DEFAULT '{}',
    kommentar text NOT NULL DEFAULT '',
    hpr text NOT NULL DEFAULT '',
    registrert_av text NOT NULL DEFAULT '',
    registrert text NOT NULL DEFAULT '',
    PRIMARY KEY (orgnr, id),
    CHECK (fra <= til)
);

-- One row per closed service of a fravær: the overlap rule as a constraint.
CREATE TABLE stengt (
    orgnr text NOT NULL,
    fravaer_id text NOT NULL,
    behandler_key text NOT NULL,
    tjeneste text NOT NULL,
    periode daterange NOT NULL,
    -- Office, GP and service as one 64-bit key: a GiST index over three text
    -- columns made each insert about six times as slow. The hash is the one hash
    -- partitioning relies on being stable; two keys sharing it (odds about one in
    -- 10^9 at national scale) would be refused as an overlap, never let through.
    nokkel bigint NOT NULL
        GENERATED ALWAYS AS (hashtextextended(orgnr || '|' || behandler_key || '|' || tjeneste, 0)) STORED,
    FOREIGN KEY (orgnr, fravaer_id) REFERENCES fravaer ON DELETE CASCADE,
    CONSTRAINT stengt_overlapper_ikke EXCLUDE USING gist (nokkel WITH =, periode WITH &&)
);

CREATE TABLE logg (
    nr bigserial PRIMARY KEY,
    orgnr text NOT NULL REFERENCES virksomhet,
    tid text NOT NULL,
    av text NOT NULL DEFAULT current_user,
    handling text NOT NULL,
    oppforing jsonb NOT NULL
);
CREATE INDEX logg_per_virksomhet ON logg (orgnr, nr);
CREATE INDEX fravaer_hpr ON fravaer (hpr) WHERE hpr <> '';

CREATE TABLE tilgang (
    login text NOT NULL,
    orgnr text NOT NULL CHECK (orgnr ~ '^[0-9]{9}$'),
    gitt_av text NOT NULL DEFAULT current_user,
    gitt timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (login, orgnr)
);

CREATE FUNCTION fravaer_er_admin() RETURNS boolean LANGUAGE sql STABLE
    AS $$ SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER') $$;

-- The log only grows: no login may change or remove an entry, the table's owner included.
CREATE FUNCTION logg_kan_bare_utvides() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'loggen kan bare utvides, ikke endres eller slettes' USING ERRCODE = 'insufficient_privilege';
END
$$;
-- For each statement, not row: also an UPDATE that row-level security leaves no row for is refused, not a no-op.
CREATE TRIGGER logg_uforanderlig BEFORE UPDATE OR DELETE OR TRUNCATE ON logg
    FOR EACH STATEMENT EXECUTE FUNCTION logg_kan_bare_utvides();
ALTER TABLE virksomhet ENABLE ROW LEVEL SECURITY;
ALTER TABLE virksomhet FORCE ROW LEVEL SECURITY;
CREATE POLICY lese ON virksomhet FOR SELECT USING ({READ});
CREATE POLICY ny ON virksomhet FOR INSERT WITH CHECK ({WRITE});
CREATE POLICY endre ON virksomhet FOR UPDATE USING ({WRITE}) WITH CHECK ({WRITE});

ALTER TABLE fravaer ENABLE ROW LEVEL SECURITY;
ALTER TABLE fravaer FORCE ROW LEVEL SECURITY;
CREATE POLICY lese ON fravaer FOR SELECT USING ({READ});
CREATE POLICY ny ON fravaer FOR INSERT WITH CHECK ({WRITE});
CREATE POLICY endre ON fravaer FOR UPDATE USING ({WRITE}) WITH CHECK ({WRITE});
CREATE POLICY slette ON fravaer FOR DELETE USING ({WRITE});

ALTER TABLE stengt ENABLE ROW LEVEL SECURITY;
ALTER TABLE stengt FORCE ROW LEVEL SECURITY;
CREATE POLICY lese ON stengt FOR SELECT USING ({READ});
CREATE POLICY ny ON stengt FOR INSERT WITH CHECK ({WRITE});
CREATE POLICY slette ON stengt FOR DELETE USING ({WRITE});

ALTER TABLE logg ENABLE ROW LEVEL SECURITY;
ALTER TABLE logg FORCE ROW LEVEL SECURITY;
CREATE POLICY lese ON logg FOR SELECT USING ({READ});
-- Who wrote an entry is the login; only fravaer_admin, loading an old log, keeps the entry's own.
CREATE POLICY ny ON logg FOR INSERT WITH CHECK ({WRITE} AND (av = current_user OR {ADMIN}));

ALTER TABLE tilgang ENABLE ROW LEVEL SECURITY;
ALTER TABLE tilgang FORCE ROW LEVEL SECURITY;
CREATE POLICY lese ON tilgang FOR SELECT USING (login = current_user OR fravaer_er_admin());
CREATE POLICY gi ON tilgang FOR INSERT WITH CHECK (fravaer_er_admin());
CREATE POLICY ta ON tilgang FOR DELETE USING (fravaer_er_admin());

-- Rows are guarded by the policies above; these say which statements a login may try at all.
GRANT SELECT ON fravaer_schema, tilgang TO PUBLIC;
GRANT SELECT, INSERT, UPDATE ON virksomhet TO PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON fravaer, stengt TO PUBLIC;
GRANT SELECT, INSERT ON logg TO PUBLIC;
GRANT USAGE ON SEQUENCE logg_nr_seq TO PUBLIC;
GRANT INSERT, DELETE ON tilgang TO fravaer_admin;
""",
    # The office's roster: small, always read and written whole with its office, under the
    # office's row lock, so a column of the office's row (and its policies) rather than a table.
    2: """
ALTER TABLE virksomhet ADD COLUMN behandlere jsonb NOT NULL DEFAULT '[]'
    CHECK (jsonb_typeof(behandlere) = 'array');
""",
    # The overlap rule on fravaer itself, one index entry per fravær instead of a row per
    # closed service in stengt: a 100,000-row import spent 12 of its 34 seconds in stengt
    # (its rows, their foreign key and their index), and now spends about 3 in this index.
    # The services are compared as an int array (intarray's GiST operator class, since
    # PostgreSQL has none for text[]) of their hashes; GP and office are one 64-bit key, as
    # before. A shared hash can only refuse a fravær as overlapping, never let one through.
    3: """
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
""",
    4: """
-- The GPs (by search key and HPR) each office has fravær for: what a search for a GP
-- over the whole country reads instead of every fravær. Row-level security keeps the
-- database from using an index for LIKE (LIKE is not leakproof), so a search reads a
-- whole table, and this one has a row per office and GP, not per fravær. Triggers keep
-- it, so that it is right after SQL by hand too.
CREATE TABLE fravaer_sok (
    orgnr text NOT NULL REFERENCES virksomhet,
    behandler_sok text NOT NULL,
    hpr text NOT NULL,
    antall integer NOT NULL CHECK (antall >= 0),  -- the office's fravær for this GP
    PRIMARY KEY (orgnr, behandler_sok, hpr)
);
INSERT INTO fravaer_sok SELECT orgnr, behandler_sok, hpr, count(*) FROM fravaer GROUP BY 1, 2, 3;

CREATE FUNCTION fravaer_sok_oppdater() RETURNS trigger LANGUAGE plpgsql AS $$
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
    REFERENCING NEW TABLE AS ny FOR EACH STATEMENT EXECUTE FUNCTION fravaer_sok_oppdater();
CREATE TRIGGER fravaer_sok_endret AFTER UPDATE ON fravaer
    REFERENCING OLD TABLE AS gammel NEW TABLE AS ny FOR EACH STATEMENT EXECUTE FUNCTION fravaer_sok_oppdater();
CREATE TRIGGER fravaer_sok_borte AFTER DELETE ON fravaer
    REFERENCING OLD TABLE AS gammel FOR EACH STATEMENT EXECUTE FUNCTION fravaer_sok_oppdater();

ALTER TABLE fravaer_sok ENABLE ROW LEVEL SECURITY;
ALTER TABLE fravaer_sok FORCE ROW LEVEL SECURITY;
CREATE POLICY lese ON fravaer_sok FOR SELECT USING ({READ});
CREATE POLICY ny ON fravaer_sok FOR INSERT WITH CHECK ({WRITE});
CREATE POLICY endre ON fravaer_sok FOR UPDATE USING ({WRITE}) WITH CHECK ({WRITE});
CREATE POLICY slette ON fravaer_sok FOR DELETE USING ({WRITE});
GRANT SELECT, INSERT, UPDATE, DELETE ON fravaer_sok TO PUBLIC;
""",
    5: """
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
""",
}


def init_statements(current: int) -> list[tuple[int, str]]:
    """The migrations after version current, in order."""
    return [
        (version, sql.replace("{READ}", READ).replace("{WRITE}", WRITE).replace("{ADMIN}", _ADMIN))
        for version, sql in sorted(MIGRATIONS.items())
        if version > current
    ]


ROLE_STATEMENTS = _ROLES
