-- Migration 4, as released. Never edit: a change is a new migration (tests/test_pg_migrations.py).
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
CREATE POLICY lese ON fravaer_sok FOR SELECT USING (((SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER')) OR (SELECT pg_has_role(current_user, 'fravaer_kundesenter', 'MEMBER')) OR orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user)));
CREATE POLICY ny ON fravaer_sok FOR INSERT WITH CHECK (((SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER')) OR orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user)));
CREATE POLICY endre ON fravaer_sok FOR UPDATE USING (((SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER')) OR orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user))) WITH CHECK (((SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER')) OR orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user)));
CREATE POLICY slette ON fravaer_sok FOR DELETE USING (((SELECT pg_has_role(current_user, 'fravaer_admin', 'MEMBER')) OR orgnr IN (SELECT t.orgnr FROM tilgang t WHERE t.login = current_user)));
GRANT SELECT, INSERT, UPDATE, DELETE ON fravaer_sok TO PUBLIC;
