-- certa schema, version 8: a cluster of `certa serve` nodes on one store
-- (issue 8).  node: one row per running daemon, upserted by its heartbeat
-- (GET /api/v1/cluster).  lease: named leases for the periodic jobs one
-- node at a time runs, taken and renewed by a compare-and-set upsert;
-- crl_latest: the CRL the lease holder made, for the other nodes.
CREATE TABLE node (
	id		TEXT PRIMARY KEY,
	name		TEXT NOT NULL,
	started_at	BIGINT NOT NULL,
	last_heartbeat	BIGINT NOT NULL,
	generation	BIGINT NOT NULL,
	audit_seq	BIGINT NOT NULL
);
CREATE TABLE lease (
	name		TEXT PRIMARY KEY,
	holder		TEXT NOT NULL,
	expires_at	BIGINT NOT NULL
);
-- The newest CRL of each CA, written by the node that generated it (the
-- holder of the "crl" lease) and served by every node.
CREATE TABLE crl_latest (
	ca_id		BIGINT PRIMARY KEY,
	crl_number	BIGINT NOT NULL,
	this_update	BIGINT NOT NULL,
	next_update	BIGINT NOT NULL,
	der		BYTEA NOT NULL
);
