-- Migration 9: what a login sends in bulk goes into a table of the store's own. Never edit once
-- released: a change is a new migration.
--
-- Until now an import's rows (and database load's) came in a temporary table the caller made and
-- filled by COPY, which the interface's functions then read as the store's owner. But a temporary
-- object is the caller's to make: a view over a function of its own, or a table with a policy or
-- a trigger, and the caller's code ran as the owner when the function read it. Now the caller
-- COPYs into fravaer_inn.rader, which it may only add rows to, and only in the columns c0 ...
-- and tabell: who sent a row and in which transaction are the columns' defaults, which it cannot
-- set. The functions read the rows of their own transaction and remove them. No row-level
-- security on it: COPY FROM refuses a table that has it. Unlogged: the rows live for one
-- transaction, and a crash may lose them.

CREATE SCHEMA fravaer_inn AUTHORIZATION fravaer_eier;
REVOKE ALL ON SCHEMA fravaer_inn FROM PUBLIC;
CREATE UNLOGGED TABLE fravaer_inn.rader (
    innsender text NOT NULL DEFAULT session_user,
    transaksjon xid8 NOT NULL DEFAULT pg_current_xact_id(),
    tabell text NOT NULL CHECK (tabell IN ('fravaer', 'kontor', 'logg')),
    c0 text,
    c1 text,
    c2 text,
    c3 text,
    c4 text,
    c5 text,
    c6 text,
    c7 text,
    c8 text,
    c9 text,
    c10 text,
    c11 text,
    c12 text
);
CREATE INDEX rader_transaksjon ON fravaer_inn.rader (transaksjon, tabell);
ALTER TABLE fravaer_inn.rader OWNER TO fravaer_eier;
REVOKE ALL ON fravaer_inn.rader FROM PUBLIC;
