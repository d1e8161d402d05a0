-- Migration 11: an office remembers the spellings its GPs had before a rename. Never edit once
-- released: a change is a new migration.
--
-- tidligere_navn: each old spelling's GP key, with the name the GP has now ({"ingrid solbeg":
-- "Ingrid Solberg"}), made by the server when it renames a GP (fravaer_api.endre), so that a file
-- typed before the rename, imported again, names the same GP and stores nothing twice.
ALTER TABLE fravaer.virksomhet ADD COLUMN tidligere_navn jsonb NOT NULL DEFAULT '{}';
