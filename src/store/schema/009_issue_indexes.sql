-- certa schema, version 9: fewer random-order index inserts per issued
-- certificate (serials are random, so each index on them costs a random
-- B-tree page per insert and per commit).  The CRL walk's covering index
-- now holds the revoked certificates only (a partial index: issuing a
-- certificate costs it nothing; status is in it so that SQLite reads the
-- walk from the index alone); the serial-only index goes, and a lookup
-- by serial uses UNIQUE (ca_id, serial) for each CA (there are few).
DROP INDEX certificate_revoked;
CREATE INDEX certificate_revoked ON certificate (ca_id, serial, revoked_at,
	reason, status) WHERE status = 1;
DROP INDEX certificate_serial;
