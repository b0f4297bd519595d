-- certa schema, version 4: API bearer tokens and the map from client
-- certificates to roles (include/certa/auth.h).  Portable SQL: both
-- backends apply this file.  Times are UTC Unix seconds (BIGINT), 0 for
-- "never"; roles are the CERTA_ROLE_* bits.

-- id is the token's public 16-hex-digit id; only the SHA-256 (hex) of its
-- secret part is stored.  A name is unique among live tokens (partial
-- index: SQLite >= 3.8, PostgreSQL); revoked tokens keep theirs.
CREATE TABLE api_token (
	id		TEXT PRIMARY KEY,
	name		TEXT NOT NULL,
	role		INTEGER NOT NULL,
	secret_hash	TEXT NOT NULL,
	created_by	TEXT NOT NULL,
	created_at	BIGINT NOT NULL,
	last_used_at	BIGINT NOT NULL DEFAULT 0,
	revoked_at	BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX api_token_live_name ON api_token (name)
	WHERE revoked_at = 0;

-- A client certificate's role, by subject (RFC 4514, exact) or by SHA-256
-- fingerprint (lower-case hex).
CREATE TABLE role_map (
	id		INTEGER PRIMARY KEY,
	kind		TEXT NOT NULL
			CHECK (kind IN ('subject', 'fingerprint')),
	value		TEXT NOT NULL,
	role		INTEGER NOT NULL,
	created_at	BIGINT NOT NULL,
	UNIQUE (kind, value)
);

