-- Version 4: component rows are written without a foreign-key check each.
-- On PostgreSQL the check is a trigger that looks the release up once per
-- row: it took nearly half of the time of inserting a release's thousand
-- components. A release's components are only ever written inside the
-- transaction that writes the release, and only deleted (DeleteRelease,
-- DeleteProduct, a replaced release) before it, so the constraint guarded
-- nothing the code does not. SQLite's check is an index lookup in the same
-- page cache, and dropping it would rebuild the table: it stays.
{{POSTGRES}} ALTER TABLE components DROP CONSTRAINT IF EXISTS components_release_id_fkey;
