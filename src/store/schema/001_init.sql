-- certa schema, version 1.  Portable SQL: both backends apply this file.
-- Times are UTC Unix seconds (BIGINT); ids are 64-bit.
CREATE TABLE meta (
	key	TEXT PRIMARY KEY,
	value	TEXT NOT NULL
);

CREATE TABLE organisation (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE,
	created_at	BIGINT NOT NULL
);

CREATE TABLE application (
	id		INTEGER PRIMARY KEY,
	org_id		BIGINT NOT NULL REFERENCES organisation(id),
	name		TEXT NOT NULL,
	created_at	BIGINT NOT NULL,
	UNIQUE (org_id, name)
);

CREATE TABLE ca (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE,
	role		TEXT NOT NULL CHECK (role IN ('root', 'issuing')),
	parent_id	BIGINT REFERENCES ca(id),
	status		TEXT NOT NULL CHECK (status IN ('active', 'retired')),
	cert_der	BYTEA NOT NULL,
	key_pem		TEXT,
	crl_number	BIGINT NOT NULL DEFAULT 0,
	created_at	BIGINT NOT NULL
);

CREATE TABLE certificate (
	id		INTEGER PRIMARY KEY,
	ca_id		BIGINT NOT NULL REFERENCES ca(id),
	app_id		BIGINT REFERENCES application(id),
	serial		TEXT NOT NULL,
	type		TEXT NOT NULL,
	profile		TEXT NOT NULL,
	subject		TEXT NOT NULL,
	sans		TEXT,
	key_alg		TEXT NOT NULL,
	not_before	BIGINT NOT NULL,
	not_after	BIGINT NOT NULL,
	status		INTEGER NOT NULL DEFAULT 0,
	revoked_at	BIGINT NOT NULL DEFAULT 0,
	reason		INTEGER NOT NULL DEFAULT -1,
	predecessor_id	BIGINT REFERENCES certificate(id),
	fingerprint	TEXT,
	der		BYTEA,
	key_pem		TEXT,
	created_at	BIGINT NOT NULL,
	UNIQUE (ca_id, serial)
);
CREATE INDEX certificate_app ON certificate (app_id, type, status);
CREATE INDEX certificate_expiry ON certificate (not_after);
CREATE INDEX certificate_serial ON certificate (serial);
-- Covering: a CRL walk reads only this index, in serial order.
CREATE INDEX certificate_revoked ON certificate (ca_id, status, serial,
	revoked_at, reason);

CREATE TABLE audit (
	seq		BIGINT PRIMARY KEY,
	time		BIGINT NOT NULL,
	actor		TEXT NOT NULL,
	action		TEXT NOT NULL,
	object		TEXT NOT NULL,
	outcome		TEXT NOT NULL,
	details		TEXT,
	prev_hash	TEXT NOT NULL,
	hash		TEXT NOT NULL
);
