-- hallmark server schema, version 1. One SQL for SQLite and PostgreSQL:
-- {{BLOB}} is BLOB or BYTEA; times are Unix milliseconds (BIGINT).
CREATE TABLE teams (
	id      TEXT PRIMARY KEY,
	name    TEXT NOT NULL UNIQUE,
	created BIGINT NOT NULL
);
CREATE TABLE tokens (
	id      TEXT PRIMARY KEY,
	hash    TEXT NOT NULL UNIQUE,
	name    TEXT NOT NULL,
	role    TEXT NOT NULL,
	team_id TEXT REFERENCES teams(id),
	created BIGINT NOT NULL
);
CREATE TABLE products (
	id      TEXT PRIMARY KEY,
	name    TEXT NOT NULL UNIQUE,
	team_id TEXT REFERENCES teams(id),
	created BIGINT NOT NULL
);
CREATE TABLE releases (
	id          TEXT PRIMARY KEY,
	product_id  TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
	version     TEXT NOT NULL,
	created     BIGINT NOT NULL,
	sbom        {{BLOB}} NOT NULL,
	sbom_format TEXT NOT NULL,
	manifest    {{BLOB}},
	components  INTEGER NOT NULL DEFAULT 0,
	UNIQUE (product_id, version)
);
CREATE TABLE components (
	release_id TEXT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
	idx        INTEGER NOT NULL,
	purl       TEXT NOT NULL,
	purl_base  TEXT NOT NULL,
	ecosystem  TEXT NOT NULL,
	name       TEXT NOT NULL,
	match_name TEXT NOT NULL,
	version    TEXT NOT NULL,
	pkg        {{BLOB}} NOT NULL,
	PRIMARY KEY (release_id, idx)
);
CREATE INDEX components_name ON components (ecosystem, match_name);
CREATE INDEX components_purl ON components (purl_base);
CREATE TABLE findings (
	release_id TEXT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
	package    TEXT NOT NULL,
	vuln_id    TEXT NOT NULL,
	ecosystem  TEXT NOT NULL,
	match_name TEXT NOT NULL,
	aliases    TEXT NOT NULL,
	severity   TEXT NOT NULL,
	score      DOUBLE PRECISION NOT NULL,
	summary    TEXT NOT NULL,
	fixed      TEXT NOT NULL,
	first_seen BIGINT NOT NULL,
	resolved   BIGINT,
	PRIMARY KEY (release_id, package, vuln_id)
);
CREATE INDEX findings_vuln ON findings (vuln_id);
CREATE TABLE finding_ids (
	release_id TEXT NOT NULL,
	package    TEXT NOT NULL,
	vuln_id    TEXT NOT NULL,
	alias      TEXT NOT NULL,
	PRIMARY KEY (release_id, package, vuln_id, alias),
	FOREIGN KEY (release_id, package, vuln_id) REFERENCES findings(release_id, package, vuln_id) ON DELETE CASCADE
);
CREATE INDEX finding_ids_alias ON finding_ids (alias);
CREATE TABLE vex (
	seq           {{SERIAL}},
	release_id    TEXT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
	vuln_id       TEXT NOT NULL,
	package       TEXT NOT NULL,
	status        TEXT NOT NULL,
	justification TEXT NOT NULL,
	detail        TEXT NOT NULL,
	fixed_in      TEXT NOT NULL,
	author        TEXT NOT NULL,
	at            BIGINT NOT NULL
);
CREATE INDEX vex_key ON vex (release_id, vuln_id, package);
CREATE TABLE name_state (
	ecosystem   TEXT NOT NULL,
	match_name  TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	PRIMARY KEY (ecosystem, match_name)
);
CREATE TABLE jobs (
	id          TEXT PRIMARY KEY,
	kind        TEXT NOT NULL,
	payload     TEXT NOT NULL,
	state       TEXT NOT NULL,
	lease_owner TEXT NOT NULL,
	lease_until BIGINT NOT NULL,
	attempts    INTEGER NOT NULL,
	created     BIGINT NOT NULL
);
CREATE INDEX jobs_state ON jobs (state, lease_until);
CREATE TABLE webhooks (
	id         TEXT PRIMARY KEY,
	product_id TEXT REFERENCES products(id) ON DELETE CASCADE,
	url        TEXT NOT NULL,
	secret     TEXT NOT NULL,
	format     TEXT NOT NULL,
	created    BIGINT NOT NULL
);
CREATE TABLE deliveries (
	id         TEXT PRIMARY KEY,
	webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
	event_id   TEXT NOT NULL,
	payload    {{BLOB}} NOT NULL,
	status     TEXT NOT NULL,
	attempts   INTEGER NOT NULL,
	next_at    BIGINT NOT NULL,
	last_error TEXT NOT NULL,
	created    BIGINT NOT NULL,
	UNIQUE (webhook_id, event_id)
);
CREATE INDEX deliveries_due ON deliveries (status, next_at);
CREATE TABLE bom_tokens (
	token      TEXT PRIMARY KEY,
	release_id TEXT NOT NULL,
	created    BIGINT NOT NULL
);
CREATE TABLE kv (
	k TEXT PRIMARY KEY,
	v TEXT NOT NULL
);
