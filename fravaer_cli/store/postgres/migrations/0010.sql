-- Migration 10: from here on the interface takes requests, not results. Never edit once released: a
-- change is a new migration.
--
-- A login asks fravaer_api.endre() for a change (add this fravær, delete that one, rename this GP),
-- and the server makes the record itself: ids, who and when, the keys, and every log entry
-- (interface.sql). fravaer_api.skriv(), which took a program's finished rows and log entries and
-- checked them, is gone. No table changes: the schema's number does, so that a program of schema 9,
-- which would call skriv(), says to upgrade it instead of failing on a function it cannot find.
COMMENT ON TABLE fravaer.logg IS
    'Each office''s history, written only by the functions of fravaer_api from the rows they changed.';
