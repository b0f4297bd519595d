-- certa schema, version 5: the certificate lifecycle (GitHub issue 6):
-- requests that wait for an approver (issue, renew, reissue, revoke) and
-- the approval policy of organisations.  Portable SQL: both backends apply
-- this file.  Times are UTC Unix seconds (BIGINT), 0 for "not yet".
--
-- kind:  issue | renew | reissue | revoke
-- state: pending -> approved -> issued (issue, renew, reissue)
--        pending -> revoked (revoke), or rejected | cancelled | failed.
-- cert_id is the certificate a renew, reissue or revoke is about;
-- issued_cert_id the certificate an approval produced.  A revoke request
-- with grace_until > 0 is a reissue's deferred "superseded" revocation:
-- the daemon's tick carries it out once grace_until has passed.  grace
-- is a reissue's grace period in seconds (-1: the policy's, 0: at once).
CREATE TABLE cert_request (
	id		INTEGER PRIMARY KEY,
	kind		TEXT NOT NULL
			CHECK (kind IN ('issue', 'renew', 'reissue', 'revoke')),
	state		TEXT NOT NULL
			CHECK (state IN ('pending', 'approved', 'issued',
			'revoked', 'rejected', 'cancelled', 'failed')),
	app_id		BIGINT REFERENCES application(id) ON DELETE SET NULL,
	type		TEXT,
	csr		BYTEA,
	keygen		TEXT,
	subject		TEXT,
	sans		TEXT,
	validity	BIGINT NOT NULL DEFAULT 0,
	not_after	BIGINT NOT NULL DEFAULT 0,
	same_key	INTEGER NOT NULL DEFAULT 0,
	cert_id		BIGINT REFERENCES certificate(id),
	reason		INTEGER NOT NULL DEFAULT -1,
	requested_by	TEXT NOT NULL,
	requested_role	TEXT,
	decided_by	TEXT,
	comment		TEXT,
	issued_cert_id	BIGINT REFERENCES certificate(id),
	created_at	BIGINT NOT NULL,
	decided_at	BIGINT NOT NULL DEFAULT 0,
	grace_until	BIGINT NOT NULL DEFAULT 0,
	grace		BIGINT NOT NULL DEFAULT -1
);
CREATE INDEX cert_request_state ON cert_request (state, id);
CREATE INDEX cert_request_cert ON cert_request (cert_id);

-- 'required': every certificate request of the organisation waits for an
-- approver; 'none': issued at once unless the profile requires approval.
ALTER TABLE organisation ADD COLUMN approval TEXT NOT NULL DEFAULT 'none';
