-- certa schema, version 6: expiry notifications (include/certa/notify.h).
-- Portable SQL: both backends apply this file.  Times are UTC Unix seconds
-- (BIGINT), 0 for "never".

-- Where notices go.  org_id NULL: certificates of every organisation.
-- secret is the webhook's HMAC-SHA256 key (a shared secret the receiver
-- also holds, so it is stored as it is; it is never logged or listed).
CREATE TABLE notify_channel (
	id		INTEGER PRIMARY KEY,
	org_id		BIGINT REFERENCES organisation(id) ON DELETE CASCADE,
	kind		TEXT NOT NULL CHECK (kind IN ('webhook', 'smtp')),
	target		TEXT NOT NULL,
	secret		TEXT,
	enabled		INTEGER NOT NULL DEFAULT 1,
	created_at	BIGINT NOT NULL
);

-- Per organisation: thresholds in days ("60,14,3"; NULL: the default
-- 90,30,7,1) and whether its certificates are notified at all.
CREATE TABLE notify_org (
	org_id		INTEGER PRIMARY KEY
			REFERENCES organisation(id) ON DELETE CASCADE,
	thresholds	TEXT,
	enabled		INTEGER NOT NULL DEFAULT 1
);

-- Certificates that are never notified (opted out one by one).
CREATE TABLE notify_cert_off (
	cert_id		INTEGER PRIMARY KEY REFERENCES certificate(id),
	created_at	BIGINT NOT NULL
);

-- One row per (certificate, threshold, channel): the UNIQUE constraint is
-- the claim, so a threshold is notified once even with several nodes.
-- status: 0 pending, 1 sent, 2 failed (attempts exhausted).
CREATE TABLE notice (
	id		INTEGER PRIMARY KEY,
	cert_id		BIGINT NOT NULL REFERENCES certificate(id),
	threshold_days	INTEGER NOT NULL,
	channel_id	BIGINT NOT NULL
			REFERENCES notify_channel(id) ON DELETE CASCADE,
	status		INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2)),
	attempts	INTEGER NOT NULL DEFAULT 0,
	next_attempt_at	BIGINT NOT NULL,
	created_at	BIGINT NOT NULL,
	done_at		BIGINT NOT NULL DEFAULT 0,
	UNIQUE (cert_id, threshold_days, channel_id)
);
CREATE INDEX notice_due ON notice (status, next_attempt_at);

-- The delivery log: one row per attempt.  code is the HTTP status or the
-- last SMTP reply code (0: no answer); next_attempt_at 0 when none.
CREATE TABLE notify_delivery (
	id		INTEGER PRIMARY KEY,
	notice_id	BIGINT NOT NULL REFERENCES notice(id) ON DELETE CASCADE,
	attempt		INTEGER NOT NULL,
	time		BIGINT NOT NULL,
	ok		INTEGER NOT NULL,
	code		INTEGER NOT NULL DEFAULT 0,
	error		TEXT,
	next_attempt_at	BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX notify_delivery_notice ON notify_delivery (notice_id);
