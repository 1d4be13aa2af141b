-- Version 3: components find their releases through one small integer
-- index. Each distinct package name (ecosystem, name, the name matching
-- looks up, purl without version) is stored once in package_names, and a
-- component row refers to it. The two text indexes this replaces took a
-- release's thousand components to about two thousand scattered index
-- pages, which every ingest rewrote; with integer keys the index is a
-- fraction of their size and ingest time no longer grows with the store as
-- fast (bench/RESULTS.md, server load test).
CREATE TABLE package_names (
	id         {{SERIAL}},
	ecosystem  TEXT NOT NULL,
	name       TEXT NOT NULL,
	match_name TEXT NOT NULL,
	purl_base  TEXT NOT NULL,
	UNIQUE (ecosystem, name, match_name, purl_base)
);
CREATE INDEX package_names_match ON package_names (ecosystem, match_name);
CREATE INDEX package_names_purl ON package_names (purl_base);
INSERT INTO package_names (ecosystem, name, match_name, purl_base)
	SELECT DISTINCT ecosystem, name, match_name, purl_base FROM components;
ALTER TABLE components ADD COLUMN name_ref BIGINT NOT NULL DEFAULT 0;
UPDATE components SET name_ref = (SELECT n.id FROM package_names n WHERE n.ecosystem = components.ecosystem
	AND n.name = components.name AND n.match_name = components.match_name AND n.purl_base = components.purl_base);
DROP INDEX components_name;
DROP INDEX components_purl;
CREATE INDEX components_name_ref ON components (name_ref);
-- A release's documents move out of its row: SQLite reads a row's columns
-- in order, and those after a megabyte of SBOM (sbom_format, components)
-- were reached through its overflow pages on every release listed.
CREATE TABLE release_documents (
	release_id TEXT PRIMARY KEY REFERENCES releases(id) ON DELETE CASCADE,
	sbom       {{BLOB}} NOT NULL,
	manifest   {{BLOB}}
);
INSERT INTO release_documents (release_id, sbom, manifest) SELECT id, sbom, manifest FROM releases;
ALTER TABLE releases DROP COLUMN sbom;
ALTER TABLE releases DROP COLUMN manifest;
