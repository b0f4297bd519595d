-- certa schema, version 2: the trust store (ARCHITECTURE "trust_entry",
-- "trust_crl").  Portable SQL: both backends apply this file.
-- Times are UTC Unix seconds (BIGINT); hashes are lower-case hex.

-- One row per certificate: the SHA-256 fingerprint is unique, so a
-- certificate is in exactly one list under exactly one alias.
CREATE TABLE trust_entry (
	id		INTEGER PRIMARY KEY,
	alias		TEXT NOT NULL UNIQUE,
	list		TEXT NOT NULL
			CHECK (list IN ('trusted', 'issuer', 'rejected')),
	der		BYTEA NOT NULL,
	fingerprint	TEXT NOT NULL UNIQUE,
	subject		TEXT NOT NULL,
	issuer		TEXT NOT NULL,
	serial		TEXT NOT NULL,
	not_before	BIGINT NOT NULL,
	not_after	BIGINT NOT NULL,
	source		TEXT NOT NULL CHECK (source IN ('imported',
			'auto-rejected', 'issued', 'cluster')),
	first_seen	BIGINT NOT NULL,
	last_seen	BIGINT NOT NULL,
	attempts	BIGINT NOT NULL DEFAULT 0,
	peer_addr	TEXT
);
CREATE INDEX trust_entry_list ON trust_entry (list, id);
CREATE INDEX trust_entry_subject ON trust_entry (subject);

-- CRLs of trusted / issuer CAs, at most one per issuer (name hash + key
-- id; key_id is '' when the CRL has no authority key identifier).
CREATE TABLE trust_crl (
	id		INTEGER PRIMARY KEY,
	issuer		TEXT NOT NULL,
	issuer_hash	TEXT NOT NULL,
	key_id		TEXT NOT NULL DEFAULT '',
	crl_number	TEXT,
	this_update	BIGINT NOT NULL,
	next_update	BIGINT NOT NULL DEFAULT 0,
	der		BYTEA NOT NULL,
	fingerprint	TEXT NOT NULL,
	imported_at	BIGINT NOT NULL,
	UNIQUE (issuer_hash, key_id)
);

-- Bumped by every change of trust_entry lists or trust_crl: validators
-- compare it with their snapshot's to know when to rebuild.
CREATE TABLE trust_generation (
	id		INTEGER PRIMARY KEY CHECK (id = 1),
	generation	BIGINT NOT NULL
);
INSERT INTO trust_generation (id, generation) VALUES (1, 1);
