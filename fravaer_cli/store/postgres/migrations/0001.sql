-- Migration 1, as released. Never edit: a change is a new migration (tests/test_pg_migrations.py).
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
CREATE POLICY lese ON virksomhet FOR SELECT USING (((SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER')) OR (SELECT pg_has_role(current_user, 'fravaer_kundesenter', 'MEMBER')) OR orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user)));
CREATE POLICY ny ON virksomhet FOR INSERT WITH CHECK (((SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER')) OR orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user)));
CREATE POLICY endre ON virksomhet FOR UPDATE USING (((SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER')) OR orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user))) WITH CHECK (((SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER')) OR orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user)));

ALTER TABLE fravaer ENABLE ROW LEVEL SECURITY;
ALTER TABLE fravaer FORCE ROW LEVEL SECURITY;
CREATE POLICY lese ON fravaer FOR SELECT USING (((SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER')) OR (SELECT pg_has_role(current_user, 'fravaer_kundesenter', 'MEMBER')) OR orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user)));
CREATE POLICY ny ON fravaer FOR INSERT WITH CHECK (((SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER')) OR orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user)));
CREATE POLICY endre ON fravaer FOR UPDATE USING (((SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER')) OR orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user))) WITH CHECK (((SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER')) OR orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user)));
CREATE POLICY slette ON fravaer FOR DELETE USING (((SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER')) OR orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user)));

ALTER TABLE stengt ENABLE ROW LEVEL SECURITY;
ALTER TABLE stengt FORCE ROW LEVEL SECURITY;
CREATE POLICY lese ON stengt FOR SELECT USING (((SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER')) OR (SELECT pg_has_role(current_user, 'fravaer_kundesenter', 'MEMBER')) OR orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user)));
CREATE POLICY ny ON stengt FOR INSERT WITH CHECK (((SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER')) OR orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user)));
CREATE POLICY slette ON stengt FOR DELETE USING (((SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER')) OR orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user)));

ALTER TABLE logg ENABLE ROW LEVEL SECURITY;
ALTER TABLE logg FORCE ROW LEVEL SECURITY;
CREATE POLICY lese ON logg FOR SELECT USING (((SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER')) OR (SELECT pg_has_role(current_user, 'fravaer_kundesenter', 'MEMBER')) OR orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user)));
-- Who wrote an entry is the login; only fravaer_admin, loading an old log, keeps the entry's own.
CREATE POLICY ny ON logg FOR INSERT WITH CHECK (((SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER')) OR orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user)) AND (av = current_user OR (SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER'))));

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
