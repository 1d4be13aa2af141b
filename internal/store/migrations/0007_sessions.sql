-- Version 7: browser sessions live in the store, so that any replica
-- behind a load balancer serves any browser, and a revoked token's
-- sessions go with it. The session id is stored hashed, as tokens are.
CREATE TABLE sessions (
	id_hash  TEXT PRIMARY KEY,
	token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
	csrf     TEXT NOT NULL,
	expires  BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires);
