/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PostgreSQL store backend (the cluster store): struct certa_store_ops
 * for "postgres://..." and "postgresql://..." DSNs (libpq connection
 * URIs).  All of certa's PostgreSQL SQL lives here.  Like sqlite.c it
 * knows records, not certificates: it never parses DER and sees private
 * keys only as opaque (encrypted) PEM text.  Semantics, return codes and
 * trust-generation bumps are those of sqlite.c; the same conformance suite
 * (tests/unit/store_test.c) runs against both.
 *
 * A handle is one libpq connection, used by one thread at a time.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <certa/util.h>

#include <libpq-fe.h>

#include "store/pg_feed.h"
#include "store/schema.h"
#include "store/store_impl.h"
#include "util/util.h"

/*
 * How long a statement waits for a lock (a row, or the write lock below)
 * before AGAIN: the same 10 s as SQLite's busy timeout.
 */
#define LOCK_TIMEOUT		"10s"
#define LOCK_TIMEOUT_S		10
/* Seconds a connection attempt may take, unless the DSN says otherwise. */
#define CONNECT_TIMEOUT		"5"
/* Reconnection backoff after a lost connection: 100 ms doubling to 5 s. */
#define BACKOFF_MIN_MS		100
#define BACKOFF_MAX_MS		5000
/* Rows per FETCH of an iterator's cursor. */
#define FETCH_ROWS		500
/*
 * pg_advisory_xact_lock keys: the write lock every transaction takes
 * (certa_store_begin, and the backend's own transactions), and the
 * migration lock.  ASCII "cert" and "cmig".
 */
#define WRITE_LOCK_KEY		"1667594868"
#define MIGRATE_LOCK_KEY	"1668114791"
#define MAX_PARAMS		24

/* RFC 5280 §4.1.2.2: serials are at most 20 octets, so 40 hex digits. */
#define SERIAL_HEX_MAX		40

_Static_assert(CERTA_CERT_REVOKED == 1, "SQL below writes status 1");

/*
 * HOW IT WORKS: statements, transactions and the connection.
 *
 * Statements.  Every query is a fixed SQL text below, indexed by enum
 * stmt_id, with typed parameters ($1::bigint) so that PostgreSQL never has
 * to guess.  A connection prepares each one the first time it is needed
 * (PQprepare, named "certa_N") and runs it with PQexecPrepared: text
 * parameters, BYTEA ones in binary.  A reconnect forgets what was
 * prepared.
 *
 * Transactions.  SQLite's BEGIN IMMEDIATE makes writers take turns; here
 * every transaction (the caller's, and the ones this file opens around a
 * write that must be atomic with its trust-generation bump: own_begin)
 * is READ COMMITTED and first takes one transaction-scoped advisory lock,
 * the write lock.  So read-then-write sequences of a caller's transaction
 * (audit last + append, count + issue) see no other writer in between,
 * exactly as on SQLite.  Single statements in autocommit are atomic on
 * their own: a serial reservation is one INSERT (UNIQUE (ca_id, serial) is
 * the backstop), a CRL number one UPDATE ... RETURNING, a state transition
 * one UPDATE ... WHERE state = from.  Waits end after LOCK_TIMEOUT with
 * AGAIN (SQLSTATE 55P03), as do serialization failures and deadlocks.
 *
 * In PostgreSQL a failed statement aborts the whole transaction.  The
 * statements that may fail in an expected way (a UNIQUE or foreign-key
 * violation: CONFLICT, NOTFOUND) run, inside a transaction, under a
 * savepoint that is rolled back on failure, so the caller may go on (draw
 * another serial) as on SQLite.  A COMMIT that PostgreSQL turned into a
 * ROLLBACK is reported as an error: never a silent loss.
 *
 * The connection.  Before a statement outside a transaction, pending input
 * is consumed (a server restart shows up as a closed connection) and a
 * broken connection is re-established; attempts are spaced by a backoff
 * of 100 ms doubling to 5 s, and inside that window calls fail at once
 * with AGAIN ("PostgreSQL is unreachable"), which the HTTP front end
 * answers with 503.  A read that loses its connection is retried once
 * after a reconnect.  Inside a transaction nothing is retried: the
 * transaction is gone with the connection and the call gives AGAIN ("the
 * database connection was lost; nothing was committed").
 *
 * Iterators declare a cursor (WITH HOLD outside a transaction, so that a
 * callback may open one) and FETCH it FETCH_ROWS rows at a time: memory
 * stays bounded on a walk of a million revoked certificates, and a
 * callback may call back into the store between fetches.
 */
enum stmt_id {
	ST_META_GET,
	ST_META_SET,
	ST_ORG_PUT,
	ST_ORG_GET_ID,
	ST_ORG_GET_NAME,
	ST_ORG_EACH,
	ST_APP_PUT,
	ST_APP_GET,
	ST_APP_FIND,
	ST_APP_EACH,
	ST_CA_PUT,
	ST_CA_GET,
	ST_CA_GET_ACTIVE,
	ST_CA_EACH,
	ST_CA_NEXT_CRL,
	ST_CERT_RESERVE,
	ST_ORG_IMPORT,
	ST_APP_IMPORT,
	ST_CA_IMPORT,
	ST_CERT_IMPORT,
	ST_CERT_FINISH,
	ST_CERT_PROBE,
	ST_CERT_GET,
	ST_CERT_GET_SERIAL,
	ST_CERT_EACH,
	ST_CERT_EACH_APP,
	ST_CERT_REVOKE,
	ST_REVOKED_EACH,
	ST_AUDIT_APPEND,
	ST_AUDIT_LAST,
	ST_AUDIT_EACH,
	ST_TRUST_PUT,
	ST_TRUST_GET_ALIAS,
	ST_TRUST_GET_FP,
	ST_TRUST_EACH_ALL,
	ST_TRUST_EACH_LIST,
	ST_TRUST_SET_LIST,
	ST_TRUST_PROBE,
	ST_TRUST_DELETE,
	ST_TRUST_KNOCK,
	ST_TRUST_CRL_PUT,
	ST_TRUST_CRL_EACH,
	ST_TRUST_CRL_DELETE,
	ST_TRUST_GEN,
	ST_TRUST_BUMP,
	ST_TRUST_EACH_SUBJECT,
	ST_TRUST_UNKEYED,
	ST_ORG_RENAME,
	ST_ORG_DELETE,
	ST_APP_RENAME,
	ST_APP_DELETE,
	ST_APP_DELETE_ORG,
	ST_CERT_DETACH_APP,
	ST_CERT_DETACH_ORG,
	ST_CERT_COUNT_APP,
	ST_CERT_COUNT_ORG,
	ST_TOKEN_PUT,
	ST_TOKEN_GET_ID,
	ST_TOKEN_GET_NAME,
	ST_TOKEN_EACH,
	ST_TOKEN_REVOKE,
	ST_TOKEN_TOUCH,
	ST_ROLE_MAP_SET,
	ST_ROLE_MAP_GET,
	ST_ROLE_MAP_DELETE,
	ST_ROLE_MAP_EACH,
	ST_REQ_PUT,
	ST_REQ_GET,
	ST_REQ_EACH,
	ST_REQ_TRANSITION,
	ST_ORG_SET_APPROVAL,
	ST_ORG_GET_APPROVAL,
	ST_NOTIFY_CHANNEL_PUT,
	ST_NOTIFY_CHANNEL_DELETE,
	ST_NOTIFY_CHANNEL_EACH,
	ST_NOTIFY_ORG_SET,
	ST_NOTIFY_ORG_EACH,
	ST_NOTIFY_CERT_OFF,
	ST_NOTIFY_CERT_ON,
	ST_NOTIFY_CAND,
	ST_NOTICE_CLAIM,
	ST_NOTICE_DUE,
	ST_NOTICE_LEASE,
	ST_NOTICE_UPDATE,
	ST_NOTIFY_DELIVERY_PUT,
	ST_NOTIFY_DELIVERY_EACH,
	ST_NOTIFY_CERT_OFF_EACH,
	ST_NOTICE_EACH,
	ST_NOTIFY_CHANNEL_IMPORT,
	ST_NOTIFY_CERT_OFF_IMPORT,
	ST_NOTICE_IMPORT,
	ST_NOTIFY_DELIVERY_IMPORT,
	ST_NODE_PUT,
	ST_NODE_EACH,
	ST_LEASE_TAKE,
	ST_LEASE_GET,
	ST_CRL_PUT,
	ST_CRL_GET,
	ST__COUNT
};

#define ORG_COLS	"id, name, created_at"
#define APP_FROM	"a.id, a.org_id, a.name, o.name, a.created_at " \
			"FROM application a JOIN organisation o " \
			"ON o.id = a.org_id"
#define CA_COLS		"id, name, role, parent_id, status, cert_der, " \
			"key_pem, crl_number, created_at"
#define CERT_COLS	"id, ca_id, app_id, serial, type, profile, subject, " \
			"sans, key_alg, not_before, not_after, status, " \
			"revoked_at, reason, predecessor_id, fingerprint, " \
			"der, key_pem, created_at"
#define AUDIT_COLS	"seq, time, actor, action, object, outcome, " \
			"details, prev_hash, hash"
#define TRUST_COLS	"id, alias, list, der, fingerprint, subject, " \
			"issuer, serial, not_before, not_after, source, " \
			"first_seen, last_seen, attempts, peer_addr"
#define TOKEN_COLS	"id, name, role, secret_hash, created_by, " \
			"created_at, last_used_at, revoked_at"
#define ROLE_MAP_COLS	"id, kind, value, role, created_at"
#define REQ_COLS_NEW	"kind, state, app_id, type, csr, keygen, subject, " \
			"sans, validity, not_after, same_key, cert_id, " \
			"reason, requested_by, requested_role, decided_by, " \
			"comment, issued_cert_id, created_at, decided_at, " \
			"grace_until, grace"
#define REQ_COLS	"id, " REQ_COLS_NEW
#define ORG_APPS	"(SELECT id FROM application WHERE org_id = $1::bigint)"
#define TRUST_CRL_COLS	"id, issuer, issuer_hash, key_id, crl_number, " \
			"this_update, next_update, der, fingerprint, " \
			"imported_at"
/*
 * cert_each: zero filter fields match everything.  $1 app_id, $2 ca_id,
 * $3 type, $4 status (-1 any), $5 not_after_min, $6 not_after_max,
 * $7 after_id, $8 limit (NULL: none).
 */
#define CERT_FILTER	"($2::bigint = 0 OR ca_id = $2::bigint) " \
			"AND ($3::text IS NULL OR type = $3::text) " \
			"AND ($4::int < 0 OR status = $4::int) " \
			"AND ($5::bigint = 0 OR not_after >= $5::bigint) " \
			"AND ($6::bigint = 0 OR not_after < $6::bigint) " \
			"AND id > $7::bigint AND der IS NOT NULL " \
			"ORDER BY id LIMIT $8::bigint"

/* Run under a savepoint inside a transaction (expected failures). */
#define F_GUARD		0x1
/* Read only: safe to retry once after a lost connection. */
#define F_READ		0x2

struct stmt {
	const char	*sql;
	int		 flags;
};

static const struct stmt stmts[ST__COUNT] = {
	/* Cluster (008_cluster.sql): one upsert each. */
	[ST_NODE_PUT] = { "INSERT INTO node (id, name, started_at, "
	    "last_heartbeat, generation, audit_seq) VALUES ($1::text, "
	    "$2::text, $3::bigint, $4::bigint, $5::bigint, $6::bigint) "
	    "ON CONFLICT (id) DO UPDATE SET "
	    "name = excluded.name, started_at = excluded.started_at, "
	    "last_heartbeat = excluded.last_heartbeat, "
	    "generation = excluded.generation, audit_seq = excluded.audit_seq",
	    0 },
	[ST_NODE_EACH] = { "SELECT id, name, started_at, last_heartbeat, "
	    "generation, audit_seq FROM node ORDER BY started_at, id",
	    F_READ },
	[ST_LEASE_GET] = { "SELECT holder, expires_at FROM lease "
	    "WHERE name = $1::text", F_READ },
	/* Granted (one row changed) when free, ours, or expired. */
	[ST_LEASE_TAKE] = { "INSERT INTO lease (name, holder, expires_at) "
	    "VALUES ($1::text, $2::text, $4::bigint) ON CONFLICT (name) "
	    "DO UPDATE SET holder = excluded.holder, "
	    "expires_at = excluded.expires_at "
	    "WHERE lease.holder = excluded.holder "
	    "OR lease.expires_at < $3::bigint", 0 },
	/* Only a newer CRL replaces the stored one. */
	[ST_CRL_PUT] = { "INSERT INTO crl_latest (ca_id, crl_number, "
	    "this_update, next_update, der) VALUES ($1::bigint, $2::bigint, "
	    "$3::bigint, $4::bigint, $5::bytea) ON CONFLICT (ca_id) DO UPDATE "
	    "SET crl_number = excluded.crl_number, "
	    "this_update = excluded.this_update, "
	    "next_update = excluded.next_update, der = excluded.der "
	    "WHERE crl_latest.crl_number < excluded.crl_number", 0 },
	[ST_CRL_GET] = { "SELECT crl_number, this_update, next_update, der "
	    "FROM crl_latest WHERE ca_id = $1::bigint", F_READ },
	[ST_META_GET] = { "SELECT value FROM meta WHERE key = $1::text",
	    F_READ },
	[ST_META_SET] = { "INSERT INTO meta (key, value) "
	    "VALUES ($1::text, $2::text) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", 0 },
	[ST_ORG_PUT] = { "INSERT INTO organisation (name, created_at) "
	    "VALUES ($1::text, $2::bigint) RETURNING id", F_GUARD },
	[ST_ORG_GET_ID] = { "SELECT " ORG_COLS " FROM organisation "
	    "WHERE id = $1::bigint", F_READ },
	[ST_ORG_GET_NAME] = { "SELECT " ORG_COLS " FROM organisation "
	    "WHERE name = $1::text", F_READ },
	[ST_ORG_EACH] = { "SELECT " ORG_COLS " FROM organisation ORDER BY id",
	    F_READ },
	[ST_APP_PUT] = { "INSERT INTO application (org_id, name, created_at) "
	    "VALUES ($1::bigint, $2::text, $3::bigint) RETURNING id",
	    F_GUARD },
	[ST_APP_GET] = { "SELECT " APP_FROM " WHERE a.id = $1::bigint",
	    F_READ },
	[ST_APP_FIND] = { "SELECT " APP_FROM " WHERE a.name = $1::text "
	    "AND ($2::text IS NULL OR o.name = $2::text) ORDER BY a.id "
	    "LIMIT 2", F_READ },
	[ST_APP_EACH] = { "SELECT " APP_FROM " WHERE $1::bigint = 0 "
	    "OR a.org_id = $1::bigint ORDER BY a.id", F_READ },
	[ST_CA_PUT] = { "INSERT INTO ca (name, role, parent_id, status, "
	    "cert_der, key_pem, crl_number, created_at) VALUES ($1::text, "
	    "$2::text, $3::bigint, $4::text, $5::bytea, $6::text, $7::bigint, "
	    "$8::bigint) RETURNING id", F_GUARD },
	[ST_CA_GET] = { "SELECT " CA_COLS " FROM ca WHERE id = $1::bigint",
	    F_READ },
	[ST_CA_GET_ACTIVE] = { "SELECT " CA_COLS " FROM ca "
	    "WHERE role = $1::text AND status = 'active' "
	    "ORDER BY created_at DESC, id DESC LIMIT 1", F_READ },
	[ST_CA_EACH] = { "SELECT " CA_COLS " FROM ca ORDER BY id", F_READ },
	/*
	 * One statement: the row lock makes a second builder wait and then
	 * increment the committed value, so no number is handed out twice.
	 */
	[ST_CA_NEXT_CRL] = { "UPDATE ca SET crl_number = crl_number + 1 "
	    "WHERE id = $1::bigint RETURNING crl_number", 0 },
	/*
	 * Imports (certa store migrate): the row's own id, then the identity
	 * sequence moved to the largest id, so later puts get larger ones.
	 */
	[ST_ORG_IMPORT] = { "WITH i AS (INSERT INTO organisation (id, name, "
	    "created_at) VALUES ($1::bigint, $2::text, $3::bigint) RETURNING "
	    "id) SELECT setval(pg_get_serial_sequence('organisation', 'id'), "
	    "GREATEST((SELECT id FROM i), (SELECT COALESCE(max(id), 1) "
	    "FROM organisation)))", F_GUARD },
	[ST_APP_IMPORT] = { "WITH i AS (INSERT INTO application (id, org_id, "
	    "name, created_at) VALUES ($1::bigint, $2::bigint, $3::text, "
	    "$4::bigint) RETURNING id) SELECT setval(pg_get_serial_sequence("
	    "'application', 'id'), GREATEST((SELECT id FROM i), (SELECT "
	    "COALESCE(max(id), 1) FROM application)))", F_GUARD },
	[ST_CA_IMPORT] = { "WITH i AS (INSERT INTO ca (id, name, role, "
	    "parent_id, status, cert_der, key_pem, crl_number, created_at) "
	    "VALUES ($1::bigint, $2::text, $3::text, $4::bigint, $5::text, "
	    "$6::bytea, $7::text, $8::bigint, $9::bigint) RETURNING id) "
	    "SELECT setval(pg_get_serial_sequence('ca', 'id'), GREATEST("
	    "(SELECT id FROM i), (SELECT COALESCE(max(id), 1) FROM ca)))",
	    F_GUARD },
	[ST_CERT_IMPORT] = { "WITH i AS (INSERT INTO certificate (id, ca_id, "
	    "app_id, serial, type, profile, subject, sans, key_alg, "
	    "not_before, not_after, status, revoked_at, reason, "
	    "predecessor_id, fingerprint, der, key_pem, created_at) VALUES "
	    "($1::bigint, $2::bigint, $3::bigint, $4::text, $5::text, "
	    "$6::text, $7::text, $8::text, $9::text, $10::bigint, $11::bigint, "
	    "$12::integer, $13::bigint, $14::integer, $15::bigint, $16::text, "
	    "$17::bytea, $18::text, $19::bigint) RETURNING id) SELECT setval("
	    "pg_get_serial_sequence('certificate', 'id'), GREATEST((SELECT id "
	    "FROM i), (SELECT COALESCE(max(id), 1) FROM certificate)))",
	    F_GUARD },
	[ST_CERT_RESERVE] = { "INSERT INTO certificate (ca_id, app_id, "
	    "serial, type, profile, subject, sans, key_alg, not_before, "
	    "not_after, predecessor_id, fingerprint, der, key_pem, "
	    "created_at) VALUES ($1::bigint, $2::bigint, $3::text, $4::text, "
	    "$5::text, $6::text, $7::text, $8::text, $9::bigint, $10::bigint, "
	    "$11::bigint, $12::text, $13::bytea, $14::text, $15::bigint) "
	    "RETURNING id", F_GUARD },
	[ST_CERT_FINISH] = { "UPDATE certificate SET der = $2::bytea, "
	    "fingerprint = $3::text WHERE id = $1::bigint AND der IS NULL",
	    0 },
	[ST_CERT_PROBE] = { "SELECT status, der IS NOT NULL FROM certificate "
	    "WHERE id = $1::bigint", F_READ },
	[ST_CERT_GET] = { "SELECT " CERT_COLS " FROM certificate "
	    "WHERE id = $1::bigint", F_READ },
	/* UNIQUE (ca_id, serial) once per CA (009_issue_indexes.sql). */
	[ST_CERT_GET_SERIAL] = { "SELECT " CERT_COLS " FROM certificate "
	    "WHERE ca_id IN (SELECT id FROM ca) AND serial = $1::text "
	    "ORDER BY id LIMIT 2", F_READ },
	[ST_CERT_EACH] = { "SELECT " CERT_COLS " FROM certificate "
	    "WHERE $1::bigint = 0 AND " CERT_FILTER, F_READ },
	[ST_CERT_EACH_APP] = { "SELECT " CERT_COLS " FROM certificate "
	    "WHERE app_id = $1::bigint AND " CERT_FILTER, F_READ },
	[ST_CERT_REVOKE] = { "UPDATE certificate SET status = 1, "
	    "revoked_at = $2::bigint, reason = $3::int "
	    "WHERE id = $1::bigint AND status = 0", 0 },
	/* Byte order, as SQLite's BINARY collation sorts. */
	[ST_REVOKED_EACH] = { "SELECT serial, revoked_at, reason "
	    "FROM certificate WHERE ca_id = $1::bigint AND status = 1 "
	    "ORDER BY serial COLLATE \"C\"", F_READ },
	/* Appends only right after the last record: a chain has no gaps. */
	[ST_AUDIT_APPEND] = { "INSERT INTO audit (" AUDIT_COLS ") "
	    "SELECT $1::bigint, $2::bigint, $3::text, $4::text, $5::text, "
	    "$6::text, $7::text, $8::text, $9::text "
	    "WHERE $1::bigint = (SELECT coalesce(max(seq), 0) + 1 FROM audit)",
	    F_GUARD },
	[ST_AUDIT_LAST] = { "SELECT seq, hash FROM audit ORDER BY seq DESC "
	    "LIMIT 1", F_READ },
	[ST_AUDIT_EACH] = { "SELECT " AUDIT_COLS " FROM audit "
	    "WHERE seq > $1::bigint ORDER BY seq", F_READ },
	[ST_TRUST_PUT] = { "INSERT INTO trust_entry (alias, list, der, "
	    "fingerprint, subject, issuer, serial, not_before, not_after, "
	    "source, first_seen, last_seen, attempts, peer_addr, subject_key) "
	    "VALUES ($1::text, $2::text, $3::bytea, $4::text, $5::text, "
	    "$6::text, $7::text, $8::bigint, $9::bigint, $10::text, "
	    "$11::bigint, $12::bigint, $13::bigint, $14::text, $15::text) "
	    "RETURNING id", F_GUARD },
	[ST_TRUST_GET_ALIAS] = { "SELECT " TRUST_COLS " FROM trust_entry "
	    "WHERE alias = $1::text", F_READ },
	[ST_TRUST_GET_FP] = { "SELECT " TRUST_COLS " FROM trust_entry "
	    "WHERE fingerprint = $1::text", F_READ },
	[ST_TRUST_EACH_ALL] = { "SELECT " TRUST_COLS " FROM trust_entry "
	    "ORDER BY id", F_READ },
	[ST_TRUST_EACH_LIST] = { "SELECT " TRUST_COLS " FROM trust_entry "
	    "WHERE list = $1::text ORDER BY id", F_READ },
	[ST_TRUST_SET_LIST] = { "UPDATE trust_entry SET list = $2::text "
	    "WHERE alias = $1::text AND list <> $2::text", F_GUARD },
	[ST_TRUST_PROBE] = { "SELECT list FROM trust_entry "
	    "WHERE alias = $1::text", F_READ },
	[ST_TRUST_DELETE] = { "DELETE FROM trust_entry WHERE alias = $1::text",
	    0 },
	[ST_TRUST_KNOCK] = { "UPDATE trust_entry SET "
	    "last_seen = greatest(last_seen, $2::bigint), "
	    "attempts = attempts + 1, peer_addr = $3::text "
	    "WHERE fingerprint = $1::text", 0 },
	[ST_TRUST_CRL_PUT] = { "INSERT INTO trust_crl (issuer, issuer_hash, "
	    "key_id, crl_number, this_update, next_update, der, fingerprint, "
	    "imported_at) VALUES ($1::text, $2::text, $3::text, $4::text, "
	    "$5::bigint, $6::bigint, $7::bytea, $8::text, $9::bigint) "
	    "ON CONFLICT (issuer_hash, key_id) DO UPDATE SET "
	    "issuer = excluded.issuer, crl_number = excluded.crl_number, "
	    "this_update = excluded.this_update, "
	    "next_update = excluded.next_update, der = excluded.der, "
	    "fingerprint = excluded.fingerprint, "
	    "imported_at = excluded.imported_at RETURNING id", F_GUARD },
	[ST_TRUST_CRL_EACH] = { "SELECT " TRUST_CRL_COLS " FROM trust_crl "
	    "ORDER BY id", F_READ },
	[ST_TRUST_CRL_DELETE] = { "DELETE FROM trust_crl "
	    "WHERE id = $1::bigint", 0 },
	[ST_TRUST_GEN] = { "SELECT generation FROM trust_generation "
	    "WHERE id = 1", F_READ },
	/* The change feed (pg_feed.c) hears of it at commit. */
	[ST_TRUST_BUMP] = { "WITH u AS (UPDATE trust_generation "
	    "SET generation = generation + 1 WHERE id = 1 "
	    "RETURNING generation) SELECT generation, "
	    "pg_notify('" PG_FEED_CHANNEL "', generation::text) FROM u", 0 },
	[ST_TRUST_EACH_SUBJECT] = { "SELECT " TRUST_COLS " FROM trust_entry "
	    "WHERE subject_key = $1::text ORDER BY id", F_READ },
	[ST_TRUST_UNKEYED] = { "SELECT count(*) FROM trust_entry "
	    "WHERE subject_key IS NULL", F_READ },
	[ST_ORG_RENAME] = { "UPDATE organisation SET name = $2::text "
	    "WHERE id = $1::bigint", F_GUARD },
	[ST_ORG_DELETE] = { "DELETE FROM organisation WHERE id = $1::bigint",
	    F_GUARD },
	[ST_APP_RENAME] = { "UPDATE application SET name = $2::text "
	    "WHERE id = $1::bigint", F_GUARD },
	[ST_APP_DELETE] = { "DELETE FROM application WHERE id = $1::bigint",
	    F_GUARD },
	[ST_APP_DELETE_ORG] = { "DELETE FROM application "
	    "WHERE org_id = $1::bigint", F_GUARD },
	[ST_CERT_DETACH_APP] = { "UPDATE certificate SET app_id = NULL "
	    "WHERE app_id = $1::bigint", 0 },
	[ST_CERT_DETACH_ORG] = { "UPDATE certificate SET app_id = NULL "
	    "WHERE app_id IN " ORG_APPS, 0 },
	[ST_CERT_COUNT_APP] = { "SELECT count(*) FROM certificate "
	    "WHERE app_id = $1::bigint AND status = 0 "
	    "AND not_after > $2::bigint", F_READ },
	[ST_CERT_COUNT_ORG] = { "SELECT count(*) FROM certificate "
	    "WHERE app_id IN " ORG_APPS " AND status = 0 "
	    "AND not_after > $2::bigint", F_READ },
	[ST_TOKEN_PUT] = { "INSERT INTO api_token (" TOKEN_COLS ") "
	    "VALUES ($1::text, $2::text, $3::bigint, $4::text, $5::text, "
	    "$6::bigint, $7::bigint, $8::bigint)", F_GUARD },
	[ST_TOKEN_GET_ID] = { "SELECT " TOKEN_COLS " FROM api_token "
	    "WHERE id = $1::text", F_READ },
	[ST_TOKEN_GET_NAME] = { "SELECT " TOKEN_COLS " FROM api_token "
	    "WHERE name = $1::text AND revoked_at = 0", F_READ },
	[ST_TOKEN_EACH] = { "SELECT " TOKEN_COLS " FROM api_token "
	    "ORDER BY created_at, id", F_READ },
	[ST_TOKEN_REVOKE] = { "UPDATE api_token SET revoked_at = $2::bigint "
	    "WHERE id = $1::text AND revoked_at = 0", 0 },
	[ST_TOKEN_TOUCH] = { "UPDATE api_token "
	    "SET last_used_at = greatest(last_used_at, $2::bigint) "
	    "WHERE id = $1::text", 0 },
	[ST_ROLE_MAP_SET] = { "INSERT INTO role_map (kind, value, role, "
	    "created_at) VALUES ($1::text, $2::text, $3::bigint, $4::bigint) "
	    "ON CONFLICT (kind, value) DO UPDATE SET role = excluded.role "
	    "RETURNING id", F_GUARD },
	[ST_ROLE_MAP_GET] = { "SELECT " ROLE_MAP_COLS " FROM role_map "
	    "WHERE kind = $1::text AND value = $2::text", F_READ },
	[ST_ROLE_MAP_DELETE] = { "DELETE FROM role_map WHERE kind = $1::text "
	    "AND value = $2::text", 0 },
	[ST_ROLE_MAP_EACH] = { "SELECT " ROLE_MAP_COLS " FROM role_map "
	    "ORDER BY id", F_READ },
	[ST_REQ_PUT] = { "INSERT INTO cert_request (" REQ_COLS_NEW ") VALUES "
	    "($1::text, $2::text, $3::bigint, $4::text, $5::bytea, $6::text, "
	    "$7::text, $8::text, $9::bigint, $10::bigint, $11::int, "
	    "$12::bigint, $13::int, $14::text, $15::text, $16::text, "
	    "$17::text, $18::bigint, $19::bigint, $20::bigint, $21::bigint, "
	    "$22::bigint) RETURNING id", F_GUARD },
	[ST_REQ_GET] = { "SELECT " REQ_COLS " FROM cert_request "
	    "WHERE id = $1::bigint", F_READ },
	/* $1 state, $2 kind, $3 cert_id, $4 due_before, $5 after, $6 limit */
	[ST_REQ_EACH] = { "SELECT " REQ_COLS " FROM cert_request "
	    "WHERE ($1::text IS NULL OR state = $1::text) "
	    "AND ($2::text IS NULL OR kind = $2::text) "
	    "AND ($3::bigint = 0 OR cert_id = $3::bigint) "
	    "AND ($4::bigint = 0 OR (state = 'pending' AND grace_until > 0 "
	    "AND grace_until <= $4::bigint)) AND id > $5::bigint "
	    "ORDER BY id LIMIT $6::bigint", F_READ },
	/* The state test in the WHERE makes a transition atomic. */
	[ST_REQ_TRANSITION] = { "UPDATE cert_request SET state = $3::text, "
	    "decided_by = coalesce($4::text, decided_by), "
	    "comment = coalesce($5::text, comment), "
	    "issued_cert_id = coalesce($6::bigint, issued_cert_id), "
	    "decided_at = $7::bigint "
	    "WHERE id = $1::bigint AND state = $2::text", F_GUARD },
	[ST_ORG_SET_APPROVAL] = { "UPDATE organisation SET approval = $2::text "
	    "WHERE id = $1::bigint", 0 },
	[ST_ORG_GET_APPROVAL] = { "SELECT approval FROM organisation "
	    "WHERE id = $1::bigint", F_READ },
	[ST_NOTIFY_CHANNEL_PUT] = { "INSERT INTO notify_channel (org_id, "
	    "kind, target, secret, enabled, created_at) VALUES ($1::bigint, "
	    "$2::text, $3::text, $4::text, $5::int, $6::bigint) RETURNING id",
	    F_GUARD },
	[ST_NOTIFY_CHANNEL_DELETE] = { "DELETE FROM notify_channel "
	    "WHERE id = $1::bigint", 0 },
	[ST_NOTIFY_CHANNEL_EACH] = { "SELECT id, org_id, kind, target, "
	    "secret, enabled, created_at FROM notify_channel ORDER BY id",
	    F_READ },
	[ST_NOTIFY_ORG_SET] = { "INSERT INTO notify_org (org_id, thresholds, "
	    "enabled) VALUES ($1::bigint, $2::text, $3::int) "
	    "ON CONFLICT (org_id) DO UPDATE SET "
	    "thresholds = excluded.thresholds, enabled = excluded.enabled",
	    F_GUARD },
	[ST_NOTIFY_ORG_EACH] = { "SELECT org_id, thresholds, enabled "
	    "FROM notify_org ORDER BY org_id", F_READ },
	[ST_NOTIFY_CERT_OFF] = { "INSERT INTO notify_cert_off (cert_id, "
	    "created_at) VALUES ($1::bigint, "
	    "CAST(extract(epoch FROM now()) AS bigint)) "
	    "ON CONFLICT (cert_id) DO NOTHING", F_GUARD },
	[ST_NOTIFY_CERT_ON] = { "DELETE FROM notify_cert_off "
	    "WHERE cert_id = $1::bigint", 0 },
	/* $1 now, $2 until, $3 after_id, $4 limit (NULL none). */
	[ST_NOTIFY_CAND] = { "SELECT c.id, c.not_after, "
	    "COALESCE(a.org_id, 0) FROM certificate c "
	    "LEFT JOIN application a ON a.id = c.app_id "
	    "WHERE c.status = 0 AND c.der IS NOT NULL "
	    "AND c.not_after > $1::bigint AND c.not_after <= $2::bigint "
	    "AND c.id > $3::bigint "
	    /* renewed or reissued: a valid successor that outlives it */
	    "AND NOT EXISTS (SELECT 1 FROM certificate s "
	    "WHERE s.predecessor_id = c.id AND s.status = 0 "
	    "AND s.der IS NOT NULL AND s.not_after > c.not_after) "
	    "AND NOT EXISTS (SELECT 1 FROM notify_cert_off x "
	    "WHERE x.cert_id = c.id) "
	    "AND NOT EXISTS (SELECT 1 FROM notify_org g "
	    "WHERE g.org_id = a.org_id AND g.enabled = 0) "
	    "ORDER BY c.id LIMIT $4::bigint", F_READ },
	[ST_NOTICE_CLAIM] = { "INSERT INTO notice (cert_id, threshold_days, "
	    "channel_id, status, attempts, next_attempt_at, created_at) "
	    "VALUES ($1::bigint, $2::int, $3::bigint, 0, 0, $4::bigint, "
	    "$5::bigint) RETURNING id", F_GUARD },
	[ST_NOTICE_DUE] = { "SELECT id, cert_id, channel_id, threshold_days, "
	    "status, attempts, next_attempt_at, created_at, done_at "
	    "FROM notice WHERE status = 0 AND next_attempt_at <= $1::bigint "
	    "ORDER BY next_attempt_at, id LIMIT $2::bigint", F_READ },
	[ST_NOTICE_LEASE] = { "UPDATE notice SET next_attempt_at = $3::bigint "
	    "WHERE id = $1::bigint AND status = 0 "
	    "AND next_attempt_at = $2::bigint", 0 },
	[ST_NOTICE_UPDATE] = { "UPDATE notice SET status = $2::int, "
	    "attempts = $3::int, next_attempt_at = $4::bigint, "
	    "done_at = $5::bigint WHERE id = $1::bigint", 0 },
	[ST_NOTIFY_DELIVERY_PUT] = { "INSERT INTO notify_delivery (notice_id, "
	    "attempt, time, ok, code, error, next_attempt_at) "
	    "VALUES ($1::bigint, $2::int, $3::bigint, $4::int, $5::int, "
	    "$6::text, $7::bigint) RETURNING id", F_GUARD },
	[ST_NOTIFY_DELIVERY_EACH] = { "SELECT d.id, d.notice_id, d.attempt, "
	    "d.time, d.ok, d.code, d.error, d.next_attempt_at, n.cert_id, "
	    "n.channel_id, n.threshold_days FROM notify_delivery d "
	    "JOIN notice n ON n.id = d.notice_id ORDER BY d.id DESC "
	    "LIMIT $1::bigint", F_READ },
	[ST_NOTIFY_CERT_OFF_EACH] = { "SELECT cert_id, created_at "
	    "FROM notify_cert_off ORDER BY cert_id", F_READ },
	[ST_NOTICE_EACH] = { "SELECT id, cert_id, channel_id, threshold_days, "
	    "status, attempts, next_attempt_at, created_at, done_at "
	    "FROM notice ORDER BY id", F_READ },
	/* Imports (certa store migrate), as ST_ORG_IMPORT. */
	[ST_NOTIFY_CHANNEL_IMPORT] = { "WITH i AS (INSERT INTO notify_channel "
	    "(id, org_id, kind, target, secret, enabled, created_at) VALUES "
	    "($1::bigint, $2::bigint, $3::text, $4::text, $5::text, $6::int, "
	    "$7::bigint) RETURNING id) SELECT setval(pg_get_serial_sequence("
	    "'notify_channel', 'id'), GREATEST((SELECT id FROM i), (SELECT "
	    "COALESCE(max(id), 1) FROM notify_channel)))", F_GUARD },
	/* cert_id is no identity column: nothing to move. */
	[ST_NOTIFY_CERT_OFF_IMPORT] = { "INSERT INTO notify_cert_off (cert_id, "
	    "created_at) VALUES ($1::bigint, $2::bigint) RETURNING cert_id",
	    F_GUARD },
	[ST_NOTICE_IMPORT] = { "WITH i AS (INSERT INTO notice (id, cert_id, "
	    "threshold_days, channel_id, status, attempts, next_attempt_at, "
	    "created_at, done_at) VALUES ($1::bigint, $2::bigint, $3::int, "
	    "$4::bigint, $5::int, $6::int, $7::bigint, $8::bigint, "
	    "$9::bigint) RETURNING id) SELECT setval(pg_get_serial_sequence("
	    "'notice', 'id'), GREATEST((SELECT id FROM i), (SELECT "
	    "COALESCE(max(id), 1) FROM notice)))", F_GUARD },
	[ST_NOTIFY_DELIVERY_IMPORT] = { "WITH i AS (INSERT INTO "
	    "notify_delivery (id, notice_id, attempt, time, ok, code, error, "
	    "next_attempt_at) "
	    "VALUES ($1::bigint, $2::bigint, $3::int, $4::bigint, $5::int, "
	    "$6::int, $7::text, $8::bigint) RETURNING id) SELECT setval("
	    "pg_get_serial_sequence('notify_delivery', 'id'), GREATEST("
	    "(SELECT id FROM i), (SELECT COALESCE(max(id), 1) "
	    "FROM notify_delivery)))", F_GUARD },
};

struct certa_store {
	struct certa_store_base	 base;
	PGconn			*conn;		/* owns; NULL while down */
	char			*dsn;		/* owns; for reconnects */
	char			*label;		/* owns; host:port/db, for
						 * messages (no password) */
	int			 version;	/* schema version once open */
	bool			 in_tx;		/* a transaction is open */
	bool			 tx_lost;	/* ... and died with the
						 * connection: AGAIN until the
						 * caller ends it */
	uint64_t		 bumped;	/* trust generation the open
						 * transaction bumped to */
	bool			 prepared[ST__COUNT];
	unsigned		 cursors;	/* names certa_cN */
	int64_t			 retry_at_ms;	/* no reconnect before */
	int			 backoff_ms;
};

static certa_rc	pg_err(struct certa_store *, const PGresult *, int,
		    struct certa_err *, const char *, ...) CERTA_PRINTF(5, 6);

/* libpq's message without its trailing newline, or a stand-in. */
static const char *
pq_msg(const struct certa_store *s, const PGresult *res, char *buf,
    size_t len)
{
	const char	*m = res != NULL ? PQresultErrorMessage(res) : "";
	size_t		 n;

	if ((m == NULL || *m == '\0') && s->conn != NULL)
		m = PQerrorMessage(s->conn);
	if (m == NULL || *m == '\0')
		m = "no detail from libpq";
	/* One line: libpq's newlines and tabs become single spaces. */
	for (n = 0; *m != '\0' && n + 1 < len; m++) {
		if (*m == '\n' || *m == '\t' || *m == '\r') {
			if (n > 0 && buf[n - 1] != ' ')
				buf[n++] = ' ';
		} else {
			buf[n++] = *m;
		}
	}
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	return buf;
}

static void
conn_drop(struct certa_store *s)
{
	PQfinish(s->conn);
	s->conn = NULL;
	if (s->in_tx)
		s->tx_lost = true;
	s->in_tx = false;
	memset(s->prepared, 0, sizeof(s->prepared));
}

/*
 * Map a failed result to certa_rc with an operator message.  SQLSTATE
 * classes: 23505 unique violation CONFLICT, 23503 foreign key NOTFOUND,
 * other integrity and data errors INVAL, serialization failure, deadlock,
 * lock and statement timeouts AGAIN, anything else STORE.  A lost
 * connection is AGAIN: the caller may try again once PostgreSQL is back.
 */
static certa_rc
pg_err(struct certa_store *s, const PGresult *res, int line,
    struct certa_err *err, const char *fmt, ...)
{
	char		 what[256], msg[512];
	const char	*state = res != NULL ?
			    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	bool		 was_tx = s->in_tx;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	pq_msg(s, res, msg, sizeof(msg));
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK) {
		conn_drop(s);
		return certa_err_set(err, CERTA_E_AGAIN, __FILE__, line,
		    "%s: lost the connection to PostgreSQL %s (%s)%s", what,
		    s->label, msg, was_tx ? "; the transaction is gone, "
		    "nothing was committed" : "");
	}
	if (state == NULL)
		state = "";
	if (strcmp(state, "23505") == 0)
		return certa_err_set(err, CERTA_E_CONFLICT, __FILE__, line,
		    "%s: exists already (%s)", what, msg);
	if (strcmp(state, "23503") == 0)
		return certa_err_set(err, CERTA_E_NOTFOUND, __FILE__, line,
		    "%s: it refers to a row that does not exist (%s)", what,
		    msg);
	if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
		return certa_err_set(err, CERTA_E_INVAL, __FILE__, line,
		    "%s: %s", what, msg);
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0 || strcmp(state, "57014") == 0)
		return certa_err_set(err, CERTA_E_AGAIN, __FILE__, line,
		    "%s: PostgreSQL %s stayed busy (lock wait over %d s, or a "
		    "serialization conflict); try again (%s)", what, s->label,
		    LOCK_TIMEOUT_S, msg);
	if (strcmp(state, "25P02") == 0)
		return certa_err_set(err, CERTA_E_STORE, __FILE__, line,
		    "%s: the transaction was aborted by an earlier error; roll "
		    "it back", what);
	return certa_err_set(err, CERTA_E_STORE, __FILE__, line,
	    "%s: %s (SQLSTATE %s, PostgreSQL %s)", what, msg, state,
	    s->label);
}

/* Like CERTA_CHECK for a result; needs s, err and a failed result r. */
#define PG_FAIL(r, ...) do {						\
	rc = pg_err(s, (r), __LINE__, err, __VA_ARGS__);		\
	goto out;							\
} while (0)

/* host:port/dbname of the connection string, for messages. */
static char *
dsn_label(const char *dsn)
{
	PQconninfoOption	*opts, *o;
	const char		*host = NULL, *port = NULL, *db = NULL;
	char			 buf[256];

	if ((opts = PQconninfoParse(dsn, NULL)) == NULL)
		return certa_strdup("(unparsable DSN)");
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		if (strcmp(o->keyword, "host") == 0 ||
		    (host == NULL && strcmp(o->keyword, "hostaddr") == 0))
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
	}
	snprintf(buf, sizeof(buf), "%s:%s/%s", host != NULL ? host :
	    "(default host)", port != NULL ? port : "5432", db != NULL ? db :
	    "(default db)");
	PQconninfoFree(opts);
	return certa_strdup(buf);
}

/* Run fixed SQL text (no caller data) with the simple protocol. */
static certa_rc
exec_sql(struct certa_store *s, const char *sql, const char *what,
    struct certa_err *err)
{
	PGresult	*r = NULL;
	certa_rc	 rc = CERTA_OK;

	r = PQexec(s->conn, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		PG_FAIL(r, "%s", what);
out:
	PQclear(r);
	return rc;
}

/* Connect (once) and set the session up. */
static certa_rc
conn_open(struct certa_store *s, struct certa_err *err)
{
	static const char *const keys[] = { "connect_timeout",
	    "application_name", "dbname", NULL };
	const char	*vals[] = { CONNECT_TIMEOUT, "certa", s->dsn, NULL };
	char		 msg[512];
	certa_rc	 rc = CERTA_OK;

	conn_drop(s);
	/* Later keywords win: the DSN's own connect_timeout overrides. */
	s->conn = PQconnectdbParams(keys, vals, 1);
	CERTA_CHECK(s->conn != NULL, CERTA_E_NOMEM, "connect to PostgreSQL: "
	    "out of memory");
	if (PQstatus(s->conn) != CONNECTION_OK) {
		pq_msg(s, NULL, msg, sizeof(msg));
		conn_drop(s);
		CERTA_FAIL(CERTA_E_STORE, "PostgreSQL %s is unreachable: %s",
		    s->label, msg);
	}
	CERTA_TRY(exec_sql(s, "SET lock_timeout = '" LOCK_TIMEOUT "'; "
	    "SET client_min_messages = warning; SET TIME ZONE 'UTC'",
	    "set up the PostgreSQL session", err));
out:
	return rc;
}

/*
 * Make sure there is a usable connection before a statement outside a
 * transaction (HOW IT WORKS).  Inside one, a lost connection is final.
 */
static certa_rc
conn_ready(struct certa_store *s, struct certa_err *err)
{
	int64_t		 now;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(!s->tx_lost, CERTA_E_AGAIN, "the connection to "
	    "PostgreSQL %s was lost inside a transaction: nothing was "
	    "committed; roll back and try again", s->label);
	if (s->conn != NULL && !s->in_tx) {
		(void)PQconsumeInput(s->conn);
		if (PQstatus(s->conn) != CONNECTION_OK)
			conn_drop(s);
	}
	if (s->conn != NULL)
		goto out;
	now = certa_mono_ms();
	CERTA_CHECK(now >= s->retry_at_ms, CERTA_E_AGAIN, "PostgreSQL %s is "
	    "unreachable (next attempt in %lld ms)", s->label,
	    (long long)(s->retry_at_ms - now));
	rc = conn_open(s, err);
	if (rc != CERTA_OK) {
		s->backoff_ms = s->backoff_ms == 0 ? BACKOFF_MIN_MS :
		    s->backoff_ms * 2;
		if (s->backoff_ms > BACKOFF_MAX_MS)
			s->backoff_ms = BACKOFF_MAX_MS;
		s->retry_at_ms = certa_mono_ms() + s->backoff_ms;
		if (rc == CERTA_E_STORE)
			rc = CERTA_E_AGAIN;	/* 503: try again later */
		if (err != NULL)
			err->rc = rc;
		goto out;
	}
	s->backoff_ms = 0;
	s->retry_at_ms = 0;
out:
	return rc;
}

/*
 * Parameters: text, except BYTEA (binary).  A NULL value is SQL NULL; a
 * zero id binds NULL (a foreign key with no target).
 */
struct params {
	int		 n;
	const char	*v[MAX_PARAMS];
	int		 len[MAX_PARAMS];
	int		 fmt[MAX_PARAMS];
	char		 num[MAX_PARAMS][24];
};

static void
p_text(struct params *p, const char *v)
{
	p->v[p->n] = v;
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

static void
p_int(struct params *p, int64_t v)
{
	snprintf(p->num[p->n], sizeof(p->num[0]), "%lld", (long long)v);
	p_text(p, p->num[p->n]);
}

static void
p_id(struct params *p, int64_t v)
{
	if (v == 0)
		p_text(p, NULL);
	else
		p_int(p, v);
}

/* A LIMIT: 0 (or too big) is none. */
static void
p_limit(struct params *p, size_t v)
{
	if (v == 0 || v > INT64_MAX)
		p_text(p, NULL);
	else
		p_int(p, (int64_t)v);
}

static void
p_blob(struct params *p, const void *v, size_t len)
{
	p->v[p->n] = v;
	p->len[p->n] = (int)len;
	p->fmt[p->n] = 1;
	p->n++;
}

static certa_rc
prepare(struct certa_store *s, enum stmt_id id, struct certa_err *err)
{
	PGresult	*r = NULL;
	char		 name[16];
	certa_rc	 rc = CERTA_OK;

	if (s->prepared[id])
		goto out;
	snprintf(name, sizeof(name), "certa_%d", (int)id);
	r = PQprepare(s->conn, name, stmts[id].sql, 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		PG_FAIL(r, "prepare query %d", (int)id);
	s->prepared[id] = true;
out:
	PQclear(r);
	return rc;
}

/*
 * Run statement id with p; *out (may be NULL) gets the result, the caller
 * PQclear()s it.  F_GUARD statements run under a savepoint inside a
 * transaction; F_READ ones are retried once after a lost connection
 * outside one.
 */
static certa_rc
q(struct certa_store *s, enum stmt_id id, const struct params *p,
    PGresult **out, const char *what, struct certa_err *err)
{
	static const struct params	 none;
	PGresult			*r = NULL;
	char				 name[16];
	bool				 guard, retried = false;
	ExecStatusType			 st;
	certa_rc			 rc = CERTA_OK;

	if (out != NULL)
		*out = NULL;
	if (p == NULL)
		p = &none;
	snprintf(name, sizeof(name), "certa_%d", (int)id);
again:
	CERTA_TRY(conn_ready(s, err));
	guard = s->in_tx && (stmts[id].flags & F_GUARD);
	if (guard)
		CERTA_TRY(exec_sql(s, "SAVEPOINT certa_guard", what, err));
	rc = prepare(s, id, err);
	if (rc == CERTA_OK) {
		r = PQexecPrepared(s->conn, name, p->n, p->v, p->len, p->fmt,
		    0);
		st = PQresultStatus(r);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
			rc = pg_err(s, r, __LINE__, err, "%s", what);
	}
	if (rc == CERTA_E_AGAIN && s->conn == NULL && !s->tx_lost &&
	    !(stmts[id].flags & F_READ)) {
		/* A single write in autocommit: atomic, but was it applied? */
		rc = certa_err_set(err, CERTA_E_AGAIN, __FILE__, __LINE__,
		    "%s: lost the connection to PostgreSQL %s during the "
		    "statement; it was applied whole or not at all, check "
		    "before retrying", what, s->label);
	}
	if (rc == CERTA_E_AGAIN && s->conn == NULL && !retried &&
	    (stmts[id].flags & F_READ) && !guard && !s->tx_lost) {
		/* Outside a transaction (in_tx was false): read again. */
		PQclear(r);
		r = NULL;
		retried = true;
		certa_err_clear(err);
		goto again;
	}
	if (guard && s->conn != NULL) {
		if (rc == CERTA_OK)
			rc = exec_sql(s, "RELEASE SAVEPOINT certa_guard", what,
			    err);
		else
			(void)exec_sql(s, "ROLLBACK TO SAVEPOINT certa_guard; "
			    "RELEASE SAVEPOINT certa_guard", what, NULL);
	}
	if (rc != CERTA_OK)
		goto out;
	if (out != NULL) {
		*out = r;
		r = NULL;
	}
out:
	PQclear(r);
	return rc;
}

/* Rows an INSERT/UPDATE/DELETE touched. */
static int64_t
changes(PGresult *r)
{
	const char	*t = PQcmdTuples(r);

	return t != NULL && *t != '\0' ? strtoll(t, NULL, 10) : 0;
}

/* Run id with p, count the rows it touched. */
static certa_rc
q_changes(struct certa_store *s, enum stmt_id id, const struct params *p,
    int64_t *n, const char *what, struct certa_err *err)
{
	PGresult	*r = NULL;
	certa_rc	 rc = CERTA_OK;

	*n = 0;
	CERTA_TRY(q(s, id, p, &r, what, err));
	*n = changes(r);
out:
	PQclear(r);
	return rc;
}

/* Column readers (text results).  SQL NULL reads as 0 / NULL. */
static int64_t
col_int(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static bool
col_bool(const PGresult *r, int row, int col)
{
	const char	*v = PQgetvalue(r, row, col);

	return !PQgetisnull(r, row, col) && (v[0] == 't' || (v[0] != '0' &&
	    v[0] != 'f' && v[0] != '\0'));
}

/* A malloc'ed copy; false only when out of memory. */
static bool
col_text(const PGresult *r, int row, int col, char **out)
{
	*out = NULL;
	if (PQgetisnull(r, row, col))
		return true;
	return (*out = certa_strdup(PQgetvalue(r, row, col))) != NULL;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A BYTEA column in hex output ("\x0a0b") into a malloc'ed buffer. */
static bool
col_blob(const PGresult *r, int row, int col, uint8_t **out, size_t *len)
{
	const char	*t;
	size_t		 n, i;
	int		 hi, lo;

	*out = NULL;
	*len = 0;
	if (PQgetisnull(r, row, col))
		return true;
	t = PQgetvalue(r, row, col);
	if (t[0] != '\\' || t[1] != 'x')
		return false;
	t += 2;
	n = strlen(t) / 2;
	if ((*out = malloc(n > 0 ? n : 1)) == NULL)
		return false;
	for (i = 0; i < n; i++) {
		hi = hexval((unsigned char)t[2 * i]);
		lo = hexval((unsigned char)t[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(*out);
			*out = NULL;
			return false;
		}
		(*out)[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n;
	return true;
}

static bool
col_hash(const PGresult *r, int row, int col, char out[65])
{
	const char	*t = PQgetvalue(r, row, col);
	size_t		 n = strlen(t);

	out[0] = '\0';
	if (n > 64)
		return false;
	memcpy(out, t, n + 1);
	return true;
}

/*
 * Walk the rows of statement id (HOW IT WORKS: iterators): a cursor,
 * fetched FETCH_ROWS at a time; fn(result, row, ctx) for each row.  A
 * non-OK return of fn stops the walk and is returned.
 */
typedef certa_rc (*row_fn)(const PGresult *, int, void *);

static certa_rc
walk(struct certa_store *s, enum stmt_id id, const struct params *p,
    row_fn fn, void *ctx, const char *what, struct certa_err *err)
{
	static const struct params	 none;
	PGresult			*r = NULL;
	char				*sql = NULL, cur[32], fetch[64];
	char				 close_sql[48];
	size_t				 len;
	bool				 declared = false, retried = false;
	int				 i, n;
	certa_rc			 rc = CERTA_OK, rc2;

	if (p == NULL)
		p = &none;
	len = strlen(stmts[id].sql) + 96;
	CERTA_CHECK((sql = malloc(len)) != NULL, CERTA_E_NOMEM, "%s: out of "
	    "memory", what);
again:
	CERTA_TRY(conn_ready(s, err));
	snprintf(cur, sizeof(cur), "certa_c%u", ++s->cursors);
	snprintf(sql, len, "DECLARE %s NO SCROLL CURSOR %s FOR %s", cur,
	    s->in_tx ? "WITHOUT HOLD" : "WITH HOLD", stmts[id].sql);
	r = PQexecParams(s->conn, sql, p->n, NULL, p->v, p->len, p->fmt, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		rc = pg_err(s, r, __LINE__, err, "%s", what);
		if (rc == CERTA_E_AGAIN && s->conn == NULL && !retried &&
		    !s->tx_lost) {
			PQclear(r);
			r = NULL;
			retried = true;
			certa_err_clear(err);
			goto again;
		}
		goto out;
	}
	PQclear(r);
	r = NULL;
	declared = true;
	snprintf(fetch, sizeof(fetch), "FETCH %d FROM %s", FETCH_ROWS, cur);
	for (;;) {
		r = PQexec(s->conn, fetch);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			PG_FAIL(r, "%s", what);
		n = PQntuples(r);
		for (i = 0; i < n; i++) {
			rc = fn(r, i, ctx);
			/* A row handler's own failure: reading a row. */
			CERTA_CHECK(rc != CERTA_E_NOMEM || (err != NULL &&
			    err->rc == CERTA_E_NOMEM), CERTA_E_NOMEM, "%s: out "
			    "of memory (or a malformed row)", what);
			CERTA_TRY(rc);
		}
		PQclear(r);
		r = NULL;
		if (n < FETCH_ROWS)
			break;
	}
out:
	PQclear(r);
	if (declared && s->conn != NULL &&
	    PQstatus(s->conn) == CONNECTION_OK) {
		/* Inside a failed transaction the cursor is gone anyway. */
		snprintf(close_sql, sizeof(close_sql), "CLOSE %s", cur);
		r = PQexec(s->conn, close_sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == CERTA_OK) {
			rc2 = pg_err(s, r, __LINE__, err, "%s: close cursor",
			    what);
			rc = rc2;
		}
		PQclear(r);
	}
	free(sql);
	return rc;
}

/* Run a statement that returns at most one row; *found says if it did. */
static certa_rc
q_row(struct certa_store *s, enum stmt_id id, const struct params *p,
    PGresult **out, bool *found, const char *what, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	*found = false;
	CERTA_TRY(q(s, id, p, out, what, err));
	*found = PQntuples(*out) > 0;
out:
	return rc;
}

/*
 * HOW IT WORKS: migrations from one description.
 *
 * Both backends apply the same src/store/schema/NNN_*.sql files (see
 * src/store/schema/README.md).  They are written in SQLite's dialect where
 * the two differ, and pg_dialect() rewrites these few constructs for
 * PostgreSQL, token by token:
 *
 *   id INTEGER PRIMARY KEY     -> id BIGINT GENERATED BY DEFAULT AS
 *                                 IDENTITY PRIMARY KEY (SQLite's rowid)
 *   other INTEGER PRIMARY KEY  -> BIGINT PRIMARY KEY (a key that is also
 *                                 a foreign key: notify_org.org_id)
 *
 * Everything else (BIGINT, BYTEA, TEXT, partial indexes, ALTER TABLE ADD
 * COLUMN, ON CONFLICT) means the same in both.  The version is kept in a
 * one-row table schema_version as on SQLite.  Migrations run in one
 * transaction under an advisory lock, so two nodes starting on an empty
 * database do not both migrate; DDL is transactional in PostgreSQL, so a
 * failure leaves the old schema.
 */
static char *
pg_dialect(const char *sql)
{
	static const char	 ipk[] = "INTEGER PRIMARY KEY";
	static const char	 ident[] = "BIGINT GENERATED BY DEFAULT AS "
				    "IDENTITY PRIMARY KEY";
	static const char	 bpk[] = "BIGINT PRIMARY KEY";
	const char		*p, *hit, *b;
	char			*out, *o;
	size_t			 count = 0;
	bool			 is_id;

	for (p = sql; (hit = strstr(p, ipk)) != NULL; p = hit + 1)
		count++;
	if ((out = malloc(strlen(sql) + count * sizeof(ident) + 1)) == NULL)
		return NULL;
	o = out;
	for (p = sql; (hit = strstr(p, ipk)) != NULL; p = hit + strlen(ipk)) {
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		/* Is the column before it named "id"? */
		b = hit;
		while (b > sql && isspace((unsigned char)b[-1]))
			b--;
		is_id = b - sql >= 2 && b[-2] == 'i' && b[-1] == 'd' &&
		    (b - sql == 2 || isspace((unsigned char)b[-3]) ||
		    b[-3] == '(' || b[-3] == ',');
		memcpy(o, is_id ? ident : bpk, is_id ? strlen(ident) :
		    strlen(bpk));
		o += is_id ? strlen(ident) : strlen(bpk);
	}
	memcpy(o, p, strlen(p) + 1);
	return out;
}

/* The version in schema_version, 0 when the table does not exist yet. */
static certa_rc
read_version(struct certa_store *s, int *version, struct certa_err *err)
{
	PGresult	*r = NULL;
	certa_rc	 rc = CERTA_OK;

	*version = 0;
	r = PQexec(s->conn, "SELECT to_regclass('schema_version') IS NOT "
	    "NULL");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		PG_FAIL(r, "read the schema of %s", s->label);
	if (!col_bool(r, 0, 0))
		goto out;
	PQclear(r);
	r = PQexec(s->conn, "SELECT version FROM schema_version WHERE id = 1");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		PG_FAIL(r, "%s is not a certa store: read its schema version",
		    s->label);
	if (PQntuples(r) > 0)
		*version = (int)col_int(r, 0, 0);
out:
	PQclear(r);
	return rc;
}

static certa_rc
migrate(struct certa_store *s, struct certa_err *err)
{
	int		 known = 0, version = 0;
	bool		 in_tx = false;
	char		*sql = NULL, set[96], what[128];
	size_t		 i;
	certa_rc	 rc = CERTA_OK;

	for (i = 0; i < certa_schema_count; i++) {
		CERTA_CHECK(certa_schema[i].version > known, CERTA_E_INTERNAL,
		    "migration %s is out of order", certa_schema[i].name);
		known = certa_schema[i].version;
	}
	CERTA_TRY(read_version(s, &version, err));
	if (version == known)
		goto done;
	CERTA_CHECK(version < known, CERTA_E_CONFLICT, "store at %s has "
	    "schema version %d but this certa knows up to %d: upgrade certa",
	    s->label, version, known);
	CERTA_TRY(exec_sql(s, "BEGIN; SELECT pg_advisory_xact_lock("
	    MIGRATE_LOCK_KEY ")", "lock the store to migrate it", err));
	in_tx = true;
	CERTA_TRY(exec_sql(s, "CREATE TABLE IF NOT EXISTS schema_version ("
	    "id INTEGER PRIMARY KEY CHECK (id = 1), "
	    "version INTEGER NOT NULL); "
	    "INSERT INTO schema_version (id, version) VALUES (1, 0) "
	    "ON CONFLICT (id) DO NOTHING",
	    "create the schema_version table", err));
	CERTA_TRY(read_version(s, &version, err));
	CERTA_CHECK(version <= known, CERTA_E_CONFLICT, "store at %s has "
	    "schema version %d but this certa knows up to %d: upgrade certa",
	    s->label, version, known);
	for (i = 0; i < certa_schema_count; i++) {
		const struct certa_migration	*m = &certa_schema[i];

		if (m->version <= version)
			continue;
		snprintf(what, sizeof(what), "apply migration %s", m->name);
		free(sql);
		CERTA_CHECK((sql = pg_dialect(m->sql)) != NULL, CERTA_E_NOMEM,
		    "%s: out of memory", what);
		CERTA_TRY(exec_sql(s, sql, what, err));
		snprintf(set, sizeof(set), "UPDATE schema_version SET "
		    "version = %d WHERE id = 1", m->version);
		CERTA_TRY(exec_sql(s, set, "record the schema version", err));
	}
	CERTA_TRY(exec_sql(s, "COMMIT", "commit the migrations", err));
	in_tx = false;
	version = known;
done:
	s->version = version;
out:
	free(sql);
	if (in_tx && s->conn != NULL)
		(void)exec_sql(s, "ROLLBACK", "roll back", NULL);
	return rc;
}

static int
pg_accepts(const char *dsn)
{
	return strncmp(dsn, "postgres://", 11) == 0 ||
	    strncmp(dsn, "postgresql://", 13) == 0;
}

static void
pg_close(struct certa_store *s)
{
	if (s == NULL)
		return;
	PQfinish(s->conn);	/* an open transaction is rolled back */
	if (s->dsn != NULL)
		certa_free_secret(s->dsn, strlen(s->dsn) + 1); /* password */
	free(s->label);
	free(s);
}

static certa_rc
pg_open(struct certa_store **out, const char *dsn, struct certa_err *err)
{
	struct certa_store	*s = NULL;
	char			*errmsg = NULL;
	PQconninfoOption	*opts = NULL;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	opts = PQconninfoParse(dsn, &errmsg);
	CERTA_CHECK(opts != NULL, CERTA_E_STORE, "store DSN is not a valid "
	    "PostgreSQL connection URI: %s", errmsg != NULL ? errmsg :
	    "out of memory");
	CERTA_CHECK((s = calloc(1, sizeof(*s))) != NULL, CERTA_E_NOMEM,
	    "open store: out of memory");
	s->base.ops = &certa_store_postgres_ops;
	CERTA_CHECK((s->dsn = certa_strdup(dsn)) != NULL &&
	    (s->label = dsn_label(dsn)) != NULL, CERTA_E_NOMEM,
	    "open store: out of memory");
	CERTA_TRY(conn_open(s, err));
	CERTA_TRY(migrate(s, err));
	*out = s;
	s = NULL;
out:
	PQfreemem(errmsg);
	PQconninfoFree(opts);
	pg_close(s);
	return rc;
}

static int
pg_schema_version(const struct certa_store *s)
{
	return s->version;
}

static void
pg_rollback(struct certa_store *s)
{
	PGresult	*r;

	s->tx_lost = false;
	s->bumped = 0;
	if (!s->in_tx)
		return;
	s->in_tx = false;
	if (s->conn == NULL)
		return;
	r = PQexec(s->conn, "ROLLBACK");
	if (PQstatus(s->conn) != CONNECTION_OK)
		conn_drop(s);
	PQclear(r);
	s->tx_lost = false;
}

/* BEGIN, then the write lock (HOW IT WORKS: transactions). */
static certa_rc
pg_begin(struct certa_store *s, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(!s->in_tx && !s->tx_lost, CERTA_E_INVAL, "begin a "
	    "transaction on %s: one is open already (they do not nest)",
	    s->label);
	CERTA_TRY(conn_ready(s, err));
	CERTA_TRY(exec_sql(s, "BEGIN ISOLATION LEVEL READ COMMITTED",
	    "begin a transaction", err));
	s->in_tx = true;
	s->bumped = 0;
	rc = exec_sql(s, "SELECT pg_advisory_xact_lock(" WRITE_LOCK_KEY ")",
	    "take the store's write lock", err);
	if (rc != CERTA_OK) {
		pg_rollback(s);
		goto out;
	}
out:
	return rc;
}

/*
 * The transaction ends here whatever happens: a COMMIT that fails, or that
 * PostgreSQL answers with ROLLBACK (an earlier statement failed), is an
 * error and nothing was committed; a lost connection leaves the outcome
 * unknown, and the message says so.
 */
static certa_rc
pg_commit(struct certa_store *s, struct certa_err *err)
{
	PGresult	*r = NULL;
	certa_rc	 rc = CERTA_OK;

	if (s->tx_lost) {
		s->tx_lost = false;
		CERTA_FAIL(CERTA_E_AGAIN, "commit on %s: the connection was "
		    "lost inside the transaction; nothing was committed",
		    s->label);
	}
	CERTA_CHECK(s->in_tx, CERTA_E_INVAL, "commit on %s: no transaction "
	    "is open", s->label);
	r = PQexec(s->conn, "COMMIT");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		if (PQstatus(s->conn) != CONNECTION_OK) {
			conn_drop(s);
			s->tx_lost = false;
			CERTA_FAIL(CERTA_E_AGAIN, "commit on %s: the "
			    "connection was lost during COMMIT; the "
			    "transaction may or may not have been committed",
			    s->label);
		}
		rc = pg_err(s, r, __LINE__, err, "commit");
		s->in_tx = false;
		goto out;
	}
	s->in_tx = false;
	CERTA_CHECK(strcmp(PQcmdStatus(r), "COMMIT") == 0, CERTA_E_STORE,
	    "commit on %s: PostgreSQL rolled the transaction back (an earlier "
	    "statement in it failed); nothing was committed", s->label);
	if (s->bumped != 0)
		pg_feed_publish(s->dsn, s->bumped);
out:
	s->bumped = 0;
	PQclear(r);
	return rc;
}

static certa_rc
own_begin(struct certa_store *s, bool *own, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	*own = false;
	if (s->in_tx || s->tx_lost)
		goto out;
	CERTA_TRY(pg_begin(s, err));
	*own = true;
out:
	return rc;
}

/* End our own transaction: commit when rc is OK, else roll back. */
static certa_rc
own_end(struct certa_store *s, bool own, certa_rc rc, struct certa_err *err)
{
	if (!own)
		return rc;
	if (rc == CERTA_OK)
		rc = pg_commit(s, err);
	if (rc != CERTA_OK)
		pg_rollback(s);
	return rc;
}

/*
 * HOW IT WORKS at trust_bump in sqlite.c: the same bumps, same places.
 * The new generation is notified to the other nodes by PostgreSQL at
 * commit, and published to this process's feed by pg_commit.
 */
static certa_rc
trust_bump(struct certa_store *s, struct certa_err *err)
{
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(q_row(s, ST_TRUST_BUMP, NULL, &r, &found, "bump the trust "
	    "generation", err));
	CERTA_CHECK(found, CERTA_E_STORE, "store %s has no trust generation "
	    "row (damaged schema?)", s->label);
	s->bumped = (uint64_t)col_int(r, 0, 0);
	if (!s->in_tx) {
		pg_feed_publish(s->dsn, s->bumped);
		s->bumped = 0;
	}
out:
	PQclear(r);
	return rc;
}

/* --- records -------------------------------------------------------------- */

static bool
read_org(const PGresult *r, int i, struct certa_org_rec *o)
{
	o->id = col_int(r, i, 0);
	o->created_at = col_int(r, i, 2);
	return col_text(r, i, 1, &o->name);
}

static bool
read_app(const PGresult *r, int i, struct certa_app_rec *a)
{
	a->id = col_int(r, i, 0);
	a->org_id = col_int(r, i, 1);
	a->created_at = col_int(r, i, 4);
	return col_text(r, i, 2, &a->name) && col_text(r, i, 3, &a->org_name);
}

static bool
read_ca(const PGresult *r, int i, struct certa_ca_rec *c)
{
	c->id = col_int(r, i, 0);
	c->parent_id = col_int(r, i, 3);
	c->crl_number = col_int(r, i, 7);
	c->created_at = col_int(r, i, 8);
	return col_text(r, i, 1, &c->name) && col_text(r, i, 2, &c->role) &&
	    col_text(r, i, 4, &c->status) &&
	    col_blob(r, i, 5, &c->cert_der, &c->cert_der_len) &&
	    col_text(r, i, 6, &c->key_pem);
}

static bool
read_cert(const PGresult *r, int i, struct certa_cert_rec *c)
{
	c->id = col_int(r, i, 0);
	c->ca_id = col_int(r, i, 1);
	c->app_id = col_int(r, i, 2);
	c->not_before = col_int(r, i, 9);
	c->not_after = col_int(r, i, 10);
	c->status = col_int(r, i, 11) == CERTA_CERT_REVOKED ?
	    CERTA_CERT_REVOKED : CERTA_CERT_VALID;
	c->revoked_at = col_int(r, i, 12);
	c->reason = (int)col_int(r, i, 13);
	c->predecessor_id = col_int(r, i, 14);
	c->created_at = col_int(r, i, 18);
	return col_text(r, i, 3, &c->serial) && col_text(r, i, 4, &c->type) &&
	    col_text(r, i, 5, &c->profile) &&
	    col_text(r, i, 6, &c->subject) && col_text(r, i, 7, &c->sans) &&
	    col_text(r, i, 8, &c->key_alg) &&
	    col_text(r, i, 15, &c->fingerprint) &&
	    col_blob(r, i, 16, &c->der, &c->der_len) &&
	    col_text(r, i, 17, &c->key_pem);
}

static bool
read_audit(const PGresult *r, int i, struct certa_audit_rec *a)
{
	a->seq = col_int(r, i, 0);
	a->time = col_int(r, i, 1);
	return col_text(r, i, 2, &a->actor) && col_text(r, i, 3, &a->action) &&
	    col_text(r, i, 4, &a->object) && col_text(r, i, 5, &a->outcome) &&
	    col_text(r, i, 6, &a->details) &&
	    col_hash(r, i, 7, a->prev_hash) && col_hash(r, i, 8, a->hash);
}

static bool
read_trust(const PGresult *r, int i, struct certa_trust_rec *t)
{
	t->id = col_int(r, i, 0);
	t->not_before = col_int(r, i, 8);
	t->not_after = col_int(r, i, 9);
	t->first_seen = col_int(r, i, 11);
	t->last_seen = col_int(r, i, 12);
	t->attempts = col_int(r, i, 13);
	return col_text(r, i, 1, &t->alias) && col_text(r, i, 2, &t->list) &&
	    col_blob(r, i, 3, &t->der, &t->der_len) &&
	    col_text(r, i, 4, &t->fingerprint) &&
	    col_text(r, i, 5, &t->subject) && col_text(r, i, 6, &t->issuer) &&
	    col_text(r, i, 7, &t->serial) && col_text(r, i, 10, &t->source) &&
	    col_text(r, i, 14, &t->peer_addr);
}

static bool
read_trust_crl(const PGresult *r, int i, struct certa_trust_crl_rec *c)
{
	c->id = col_int(r, i, 0);
	c->this_update = col_int(r, i, 5);
	c->next_update = col_int(r, i, 6);
	c->imported_at = col_int(r, i, 9);
	return col_text(r, i, 1, &c->issuer) &&
	    col_text(r, i, 2, &c->issuer_hash) &&
	    col_text(r, i, 3, &c->key_id) &&
	    col_text(r, i, 4, &c->crl_number) &&
	    col_blob(r, i, 7, &c->der, &c->der_len) &&
	    col_text(r, i, 8, &c->fingerprint);
}

static bool
read_token(const PGresult *r, int i, struct certa_token_rec *t)
{
	t->role = (unsigned)col_int(r, i, 2);
	t->created_at = col_int(r, i, 5);
	t->last_used_at = col_int(r, i, 6);
	t->revoked_at = col_int(r, i, 7);
	return col_text(r, i, 0, &t->id) && col_text(r, i, 1, &t->name) &&
	    col_text(r, i, 3, &t->secret_hash) &&
	    col_text(r, i, 4, &t->created_by);
}

static bool
read_role_map(const PGresult *r, int i, struct certa_role_map_rec *m)
{
	m->id = col_int(r, i, 0);
	m->role = (unsigned)col_int(r, i, 3);
	m->created_at = col_int(r, i, 4);
	return col_text(r, i, 1, &m->kind) && col_text(r, i, 2, &m->value);
}

static bool
read_request(const PGresult *r, int i, struct certa_request_rec *q)
{
	q->id = col_int(r, i, 0);
	q->app_id = col_int(r, i, 3);
	q->validity = col_int(r, i, 9);
	q->not_after = col_int(r, i, 10);
	q->same_key = col_int(r, i, 11) != 0;
	q->cert_id = col_int(r, i, 12);
	q->reason = (int)col_int(r, i, 13);
	q->issued_cert_id = col_int(r, i, 18);
	q->created_at = col_int(r, i, 19);
	q->decided_at = col_int(r, i, 20);
	q->grace_until = col_int(r, i, 21);
	q->grace = col_int(r, i, 22);
	return col_text(r, i, 1, &q->kind) && col_text(r, i, 2, &q->state) &&
	    col_text(r, i, 4, &q->type) &&
	    col_blob(r, i, 5, &q->csr, &q->csr_len) &&
	    col_text(r, i, 6, &q->keygen) && col_text(r, i, 7, &q->subject) &&
	    col_text(r, i, 8, &q->sans) &&
	    col_text(r, i, 14, &q->requested_by) &&
	    col_text(r, i, 15, &q->requested_role) &&
	    col_text(r, i, 16, &q->decided_by) &&
	    col_text(r, i, 17, &q->comment);
}

static bool
read_notify_channel(const PGresult *r, int i,
    struct certa_notify_channel_rec *c)
{
	c->id = col_int(r, i, 0);
	c->org_id = col_int(r, i, 1);
	c->enabled = col_int(r, i, 5) != 0;
	c->created_at = col_int(r, i, 6);
	return col_text(r, i, 2, &c->kind) && col_text(r, i, 3, &c->target) &&
	    col_text(r, i, 4, &c->secret);
}

static bool
read_notify_org(const PGresult *r, int i, struct certa_notify_org_rec *o)
{
	o->org_id = col_int(r, i, 0);
	o->enabled = col_int(r, i, 2) != 0;
	return col_text(r, i, 1, &o->thresholds);
}

static void
read_notice(const PGresult *r, int i, struct certa_notice_rec *n)
{
	int64_t	 status = col_int(r, i, 4);

	n->id = col_int(r, i, 0);
	n->cert_id = col_int(r, i, 1);
	n->channel_id = col_int(r, i, 2);
	n->threshold_days = (int)col_int(r, i, 3);
	n->status = status == 1 ? CERTA_NOTICE_SENT : status == 2 ?
	    CERTA_NOTICE_FAILED : CERTA_NOTICE_PENDING;
	n->attempts = (int)col_int(r, i, 5);
	n->next_attempt_at = col_int(r, i, 6);
	n->created_at = col_int(r, i, 7);
	n->done_at = col_int(r, i, 8);
}

static bool
read_notify_delivery(const PGresult *r, int i,
    struct certa_notify_delivery_rec *d)
{
	d->id = col_int(r, i, 0);
	d->notice_id = col_int(r, i, 1);
	d->attempt = (int)col_int(r, i, 2);
	d->time = col_int(r, i, 3);
	d->ok = col_int(r, i, 4) != 0;
	d->code = (int)col_int(r, i, 5);
	d->next_attempt_at = col_int(r, i, 7);
	d->cert_id = col_int(r, i, 8);
	d->channel_id = col_int(r, i, 9);
	d->threshold_days = (int)col_int(r, i, 10);
	return col_text(r, i, 6, &d->error);
}

/*
 * Iterator rows: each handler reads row i into a record it owns, hands it
 * to the caller's callback (borrowed for the call, as store.h says) and
 * clears it.
 */
union each_fn {
	certa_store_org_fn		 org;
	certa_store_app_fn		 app;
	certa_store_ca_fn		 ca;
	certa_store_cert_fn		 cert;
	certa_store_audit_fn		 audit;
	certa_store_revoked_fn		 revoked;
	certa_store_trust_fn		 trust;
	certa_store_trust_crl_fn	 trust_crl;
	certa_store_token_fn		 token;
	certa_store_role_map_fn		 role_map;
	certa_store_request_fn		 request;
	certa_store_notify_channel_fn	 channel;
	certa_store_notify_org_fn	 norg;
	certa_store_notice_fn		 notice;
	certa_store_notify_delivery_fn	 delivery;
	certa_store_notify_cert_off_fn	 cert_off;
	certa_store_notify_cand_fn	 cand;
};

struct each {
	union each_fn	 fn;
	void		*arg;
};

#define ROW_HANDLER(name, type, reader, clear, member)			\
static certa_rc								\
name(const PGresult *r, int i, void *ctx)				\
{									\
	const struct each	*e = ctx;				\
	type			 rec;					\
	certa_rc		 rc;					\
									\
	memset(&rec, 0, sizeof(rec));					\
	if (!reader(r, i, &rec)) {					\
		clear(&rec);						\
		return CERTA_E_NOMEM;					\
	}								\
	rc = e->fn.member(&rec, e->arg);				\
	clear(&rec);							\
	return rc;							\
}

ROW_HANDLER(row_org, struct certa_org_rec, read_org, certa_org_rec_clear, org)
ROW_HANDLER(row_app, struct certa_app_rec, read_app, certa_app_rec_clear, app)
ROW_HANDLER(row_ca, struct certa_ca_rec, read_ca, certa_ca_rec_clear, ca)
ROW_HANDLER(row_cert, struct certa_cert_rec, read_cert, certa_cert_rec_clear,
    cert)
ROW_HANDLER(row_audit, struct certa_audit_rec, read_audit,
    certa_audit_rec_clear, audit)
ROW_HANDLER(row_trust, struct certa_trust_rec, read_trust,
    certa_trust_rec_clear, trust)
ROW_HANDLER(row_trust_crl, struct certa_trust_crl_rec, read_trust_crl,
    certa_trust_crl_rec_clear, trust_crl)
ROW_HANDLER(row_token, struct certa_token_rec, read_token,
    certa_token_rec_clear, token)
ROW_HANDLER(row_role_map, struct certa_role_map_rec, read_role_map,
    certa_role_map_rec_clear, role_map)
ROW_HANDLER(row_request, struct certa_request_rec, read_request,
    certa_request_rec_clear, request)
ROW_HANDLER(row_channel, struct certa_notify_channel_rec,
    read_notify_channel, certa_notify_channel_rec_clear, channel)
ROW_HANDLER(row_norg, struct certa_notify_org_rec, read_notify_org,
    certa_notify_org_rec_clear, norg)
ROW_HANDLER(row_delivery, struct certa_notify_delivery_rec,
    read_notify_delivery, certa_notify_delivery_rec_clear, delivery)

static certa_rc
row_notice(const PGresult *r, int i, void *ctx)
{
	const struct each	*e = ctx;
	struct certa_notice_rec	 rec;

	memset(&rec, 0, sizeof(rec));
	read_notice(r, i, &rec);
	return e->fn.notice(&rec, e->arg);
}

static certa_rc
row_cert_off(const PGresult *r, int i, void *ctx)
{
	const struct each			*e = ctx;
	struct certa_notify_cert_off_rec	 rec;

	memset(&rec, 0, sizeof(rec));
	rec.cert_id = col_int(r, i, 0);
	rec.created_at = col_int(r, i, 1);
	return e->fn.cert_off(&rec, e->arg);
}

/* The CRL's hot loop: the serial is borrowed from the fetched rows. */
static certa_rc
row_revoked(const PGresult *r, int i, void *ctx)
{
	const struct each	*e = ctx;

	return e->fn.revoked(PQgetvalue(r, i, 0), col_int(r, i, 1),
	    (int)col_int(r, i, 2), e->arg);
}

static certa_rc
row_cand(const PGresult *r, int i, void *ctx)
{
	const struct each	*e = ctx;

	return e->fn.cand(col_int(r, i, 0), col_int(r, i, 2),
	    col_int(r, i, 1), e->arg);
}

/* --- meta, organisations, applications ------------------------------------ */

static certa_rc
pg_meta_get(struct certa_store *s, const char *key, char **out,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	p_text(&p, key);
	CERTA_TRY(q_row(s, ST_META_GET, &p, &r, &found, "read a setting", err));
	CERTA_CHECK(found, CERTA_E_NOTFOUND, "no setting '%s' in the store",
	    key);
	CERTA_CHECK(col_text(r, 0, 0, out), CERTA_E_NOMEM, "read setting "
	    "'%s': out of memory", key);
out:
	PQclear(r);
	return rc;
}

static certa_rc
pg_meta_set(struct certa_store *s, const char *key, const char *value,
    struct certa_err *err)
{
	struct params	 p = { 0 };

	p_text(&p, key);
	p_text(&p, value);
	return q(s, ST_META_SET, &p, NULL, "write a setting", err);
}

/* Run an INSERT ... RETURNING id. */
static certa_rc
q_insert(struct certa_store *s, enum stmt_id id, const struct params *p,
    int64_t *newid, const char *what, struct certa_err *err)
{
	PGresult	*r = NULL;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(q(s, id, p, &r, what, err));
	CERTA_CHECK(PQntuples(r) == 1, CERTA_E_STORE, "%s: no id returned",
	    what);
	*newid = col_int(r, 0, 0);
out:
	PQclear(r);
	return rc;
}

static certa_rc
pg_org_put(struct certa_store *s, struct certa_org_rec *rec,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	certa_rc	 rc = CERTA_OK;

	if (rec->created_at == 0)
		rec->created_at = certa_now();
	p_text(&p, rec->name);
	p_int(&p, rec->created_at);
	rc = q_insert(s, ST_ORG_PUT, &p, &rec->id, "add an organisation", err);
	CERTA_CHECK(rc != CERTA_E_CONFLICT, CERTA_E_CONFLICT, "organisation "
	    "'%s' exists already", rec->name);
out:
	return rc;
}

static certa_rc
pg_org_get(struct certa_store *s, int64_t id, const char *name,
    struct certa_org_rec *out, struct certa_err *err)
{
	struct params	 p = { 0 };
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	if (name != NULL)
		p_text(&p, name);
	else
		p_int(&p, id);
	CERTA_TRY(q_row(s, name != NULL ? ST_ORG_GET_NAME : ST_ORG_GET_ID, &p,
	    &r, &found, "read organisation", err));
	if (!found && name != NULL)
		CERTA_FAIL(CERTA_E_NOTFOUND, "no organisation '%s'", name);
	CERTA_CHECK(found, CERTA_E_NOTFOUND, "no organisation with id %lld",
	    (long long)id);
	CERTA_CHECK(read_org(r, 0, out), CERTA_E_NOMEM, "read organisation: "
	    "out of memory");
out:
	PQclear(r);
	if (rc != CERTA_OK)
		certa_org_rec_clear(out);
	return rc;
}

static certa_rc
pg_org_each(struct certa_store *s, certa_store_org_fn fn, void *arg,
    struct certa_err *err)
{
	struct each	 e = { .fn.org = fn, .arg = arg };

	return walk(s, ST_ORG_EACH, NULL, row_org, &e, "list organisations",
	    err);
}

static certa_rc
pg_app_put(struct certa_store *s, struct certa_app_rec *rec,
    struct certa_err *err)
{
	struct certa_org_rec	 org;
	struct params		 p = { 0 };
	certa_rc		 rc = CERTA_OK;

	memset(&org, 0, sizeof(org));
	if (rec->created_at == 0)
		rec->created_at = certa_now();
	p_int(&p, rec->org_id);
	p_text(&p, rec->name);
	p_int(&p, rec->created_at);
	rc = q_insert(s, ST_APP_PUT, &p, &rec->id, "add an application", err);
	if (rc == CERTA_E_CONFLICT) {
		if (pg_org_get(s, rec->org_id, NULL, &org, NULL) == CERTA_OK)
			CERTA_FAIL(CERTA_E_CONFLICT, "application '%s' exists "
			    "already in organisation '%s'", rec->name,
			    org.name);
		CERTA_FAIL(CERTA_E_CONFLICT, "application '%s' exists already "
		    "in organisation %lld", rec->name, (long long)rec->org_id);
	}
	CERTA_CHECK(rc != CERTA_E_NOTFOUND, CERTA_E_NOTFOUND, "add "
	    "application '%s': no organisation with id %lld", rec->name,
	    (long long)rec->org_id);
out:
	certa_org_rec_clear(&org);
	return rc;
}

static certa_rc
pg_app_get(struct certa_store *s, int64_t id, struct certa_app_rec *out,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	p_int(&p, id);
	CERTA_TRY(q_row(s, ST_APP_GET, &p, &r, &found, "read application",
	    err));
	CERTA_CHECK(found, CERTA_E_NOTFOUND, "no application with id %lld",
	    (long long)id);
	CERTA_CHECK(read_app(r, 0, out), CERTA_E_NOMEM, "read application: "
	    "out of memory");
out:
	PQclear(r);
	if (rc != CERTA_OK)
		certa_app_rec_clear(out);
	return rc;
}

static certa_rc
pg_app_find(struct certa_store *s, const char *org_name, const char *name,
    struct certa_app_rec *out, struct certa_err *err)
{
	struct params	 p = { 0 };
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	p_text(&p, name);
	p_text(&p, org_name);
	CERTA_TRY(q_row(s, ST_APP_FIND, &p, &r, &found, "find application",
	    err));
	if (!found && org_name != NULL)
		CERTA_FAIL(CERTA_E_NOTFOUND, "no application '%s' in "
		    "organisation '%s'", name, org_name);
	CERTA_CHECK(found, CERTA_E_NOTFOUND, "no application '%s'", name);
	CERTA_CHECK(read_app(r, 0, out), CERTA_E_NOMEM, "find application: "
	    "out of memory");
	/* (org_id, name) is unique, so a second row means several orgs. */
	CERTA_CHECK(PQntuples(r) < 2, CERTA_E_CONFLICT, "application '%s' "
	    "exists in several organisations ('%s', '%s', ...): name the "
	    "organisation", name, out->org_name, PQgetvalue(r, 1, 3));
out:
	PQclear(r);
	if (rc != CERTA_OK)
		certa_app_rec_clear(out);
	return rc;
}

static certa_rc
pg_app_each(struct certa_store *s, int64_t org_id, certa_store_app_fn fn,
    void *arg, struct certa_err *err)
{
	struct each	 e = { .fn.app = fn, .arg = arg };
	struct params	 p = { 0 };

	p_int(&p, org_id);
	return walk(s, ST_APP_EACH, &p, row_app, &e, "list applications", err);
}

/* Run sid with ($1 id, $2 text); *n = rows hit; CONFLICT names the name. */
static certa_rc
run_id_text(struct certa_store *s, enum stmt_id sid, int64_t id,
    const char *text, int64_t *n, const char *what, struct certa_err *err)
{
	struct params	 p = { 0 };
	certa_rc	 rc = CERTA_OK;

	p_int(&p, id);
	if (text != NULL)
		p_text(&p, text);
	rc = q_changes(s, sid, &p, n, what, err);
	CERTA_CHECK(rc != CERTA_E_CONFLICT, CERTA_E_CONFLICT, "%s: the name "
	    "'%.128s' is taken", what, text != NULL ? text : "");
out:
	return rc;
}

static certa_rc
pg_org_rename(struct certa_store *s, int64_t id, const char *name,
    struct certa_err *err)
{
	int64_t		 n;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(run_id_text(s, ST_ORG_RENAME, id, name, &n, "rename "
	    "organisation", err));
	CERTA_CHECK(n == 1, CERTA_E_NOTFOUND, "no organisation with id %lld",
	    (long long)id);
out:
	return rc;
}

static certa_rc
pg_app_rename(struct certa_store *s, int64_t id, const char *name,
    struct certa_err *err)
{
	int64_t		 n;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(run_id_text(s, ST_APP_RENAME, id, name, &n, "rename "
	    "application", err));
	CERTA_CHECK(n == 1, CERTA_E_NOTFOUND, "no application with id %lld",
	    (long long)id);
out:
	return rc;
}

/* Certificates lose their link first: certificate.app_id is a foreign key. */
static certa_rc
pg_org_delete(struct certa_store *s, int64_t id, struct certa_err *err)
{
	int64_t		 n;
	bool		 own = false;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(own_begin(s, &own, err));
	CERTA_TRY(run_id_text(s, ST_CERT_DETACH_ORG, id, NULL, &n, "detach "
	    "the certificates of an organisation", err));
	CERTA_TRY(run_id_text(s, ST_APP_DELETE_ORG, id, NULL, &n, "delete "
	    "the applications of an organisation", err));
	CERTA_TRY(run_id_text(s, ST_ORG_DELETE, id, NULL, &n, "delete "
	    "organisation", err));
	CERTA_CHECK(n == 1, CERTA_E_NOTFOUND, "no organisation with id %lld",
	    (long long)id);
out:
	return own_end(s, own, rc, err);
}

static certa_rc
pg_app_delete(struct certa_store *s, int64_t id, struct certa_err *err)
{
	int64_t		 n;
	bool		 own = false;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(own_begin(s, &own, err));
	CERTA_TRY(run_id_text(s, ST_CERT_DETACH_APP, id, NULL, &n, "detach "
	    "the certificates of an application", err));
	CERTA_TRY(run_id_text(s, ST_APP_DELETE, id, NULL, &n, "delete "
	    "application", err));
	CERTA_CHECK(n == 1, CERTA_E_NOTFOUND, "no application with id %lld",
	    (long long)id);
out:
	return own_end(s, own, rc, err);
}

/* --- CAs and certificates ------------------------------------------------- */

static certa_rc
pg_ca_put(struct certa_store *s, struct certa_ca_rec *rec,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	certa_rc	 rc = CERTA_OK;

	if (rec->created_at == 0)
		rec->created_at = certa_now();
	p_text(&p, rec->name);
	p_text(&p, rec->role);
	p_id(&p, rec->parent_id);
	p_text(&p, rec->status != NULL ? rec->status : "active");
	p_blob(&p, rec->cert_der, rec->cert_der_len);
	p_text(&p, rec->key_pem);
	p_int(&p, rec->crl_number);
	p_int(&p, rec->created_at);
	rc = q_insert(s, ST_CA_PUT, &p, &rec->id, "add a CA", err);
	CERTA_CHECK(rc != CERTA_E_CONFLICT, CERTA_E_CONFLICT, "CA '%s' exists "
	    "already", rec->name);
out:
	return rc;
}

static certa_rc
ca_get1(struct certa_store *s, enum stmt_id sid, const struct params *p,
    struct certa_ca_rec *out, const char *nf, struct certa_err *err)
{
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(q_row(s, sid, p, &r, &found, "read a CA", err));
	CERTA_CHECK(found, CERTA_E_NOTFOUND, "%s", nf);
	CERTA_CHECK(read_ca(r, 0, out), CERTA_E_NOMEM, "read CA: out of "
	    "memory");
out:
	PQclear(r);
	if (rc != CERTA_OK)
		certa_ca_rec_clear(out);
	return rc;
}

static certa_rc
pg_ca_get(struct certa_store *s, int64_t id, struct certa_ca_rec *out,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	char		 nf[64];

	p_int(&p, id);
	snprintf(nf, sizeof(nf), "no CA with id %lld", (long long)id);
	return ca_get1(s, ST_CA_GET, &p, out, nf, err);
}

static certa_rc
pg_ca_get_active(struct certa_store *s, const char *role,
    struct certa_ca_rec *out, struct certa_err *err)
{
	struct params	 p = { 0 };
	char		 nf[96];

	p_text(&p, role);
	snprintf(nf, sizeof(nf), "no active %.32s CA", role);
	return ca_get1(s, ST_CA_GET_ACTIVE, &p, out, nf, err);
}

static certa_rc
pg_ca_each(struct certa_store *s, certa_store_ca_fn fn, void *arg,
    struct certa_err *err)
{
	struct each	 e = { .fn.ca = fn, .arg = arg };

	return walk(s, ST_CA_EACH, NULL, row_ca, &e, "list CAs", err);
}

/* RFC 5280 §5.2.3: the CRL number is monotonically increasing. */
static certa_rc
pg_ca_next_crl_number(struct certa_store *s, int64_t ca_id, int64_t *out,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	p_int(&p, ca_id);
	CERTA_TRY(q_row(s, ST_CA_NEXT_CRL, &p, &r, &found, "next CRL number",
	    err));
	CERTA_CHECK(found, CERTA_E_NOTFOUND, "no CA with id %lld",
	    (long long)ca_id);
	*out = col_int(r, 0, 0);
out:
	PQclear(r);
	return rc;
}

/* Stored serials: lower-case hex without leading zeros (the CA's job). */
static bool
serial_is_normal(const char *p)
{
	size_t	 n = 0;

	if (p == NULL || (p[0] == '0' && p[1] != '\0'))
		return false;
	for (; p[n] != '\0'; n++)
		if (!isdigit((unsigned char)p[n]) && (p[n] < 'a' ||
		    p[n] > 'f'))
			return false;
	return n > 0 && n <= SERIAL_HEX_MAX;
}

static certa_rc
pg_cert_reserve(struct certa_store *s, struct certa_cert_rec *rec,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(serial_is_normal(rec->serial), CERTA_E_INVAL, "reserve "
	    "serial '%s': not lower-case hex without leading zeros, or longer "
	    "than 20 octets", rec->serial != NULL ? rec->serial : "");
	if (rec->created_at == 0)
		rec->created_at = certa_now();
	p_int(&p, rec->ca_id);
	p_id(&p, rec->app_id);
	p_text(&p, rec->serial);
	p_text(&p, rec->type);
	p_text(&p, rec->profile);
	p_text(&p, rec->subject);
	p_text(&p, rec->sans);
	p_text(&p, rec->key_alg);
	p_int(&p, rec->not_before);
	p_int(&p, rec->not_after);
	p_id(&p, rec->predecessor_id);
	p_text(&p, rec->fingerprint);
	if (rec->der != NULL)
		p_blob(&p, rec->der, rec->der_len);
	else
		p_text(&p, NULL);
	p_text(&p, rec->key_pem);
	p_int(&p, rec->created_at);
	rc = q_insert(s, ST_CERT_RESERVE, &p, &rec->id, "reserve a serial",
	    err);
	CERTA_CHECK(rc != CERTA_E_CONFLICT, CERTA_E_CONFLICT, "serial %s "
	    "exists already under CA %lld", rec->serial,
	    (long long)rec->ca_id);
	CERTA_TRY(rc);
	rec->status = CERTA_CERT_VALID;
	rec->revoked_at = 0;
	rec->reason = CERTA_REASON_NONE;
out:
	return rc;
}

/* Run an import statement (one row: the sequence's new value). */
static certa_rc
pg_import(struct certa_store *s, enum stmt_id sid, const struct params *p,
    const char *what, int64_t id, struct certa_err *err)
{
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	rc = q_row(s, sid, p, &r, &found, what, err);
	CERTA_CHECK(rc != CERTA_E_CONFLICT, CERTA_E_CONFLICT, "%s %lld: its "
	    "id, name or serial is taken", what, (long long)id);
	CERTA_TRY(rc);
out:
	PQclear(r);
	return rc;
}

static certa_rc
pg_org_import(struct certa_store *s, const struct certa_org_rec *rec,
    struct certa_err *err)
{
	struct params	 p = { 0 };

	p_int(&p, rec->id);
	p_text(&p, rec->name);
	p_int(&p, rec->created_at);
	return pg_import(s, ST_ORG_IMPORT, &p, "import organisation", rec->id,
	    err);
}

static certa_rc
pg_app_import(struct certa_store *s, const struct certa_app_rec *rec,
    struct certa_err *err)
{
	struct params	 p = { 0 };

	p_int(&p, rec->id);
	p_int(&p, rec->org_id);
	p_text(&p, rec->name);
	p_int(&p, rec->created_at);
	return pg_import(s, ST_APP_IMPORT, &p, "import application", rec->id,
	    err);
}

static certa_rc
pg_ca_import(struct certa_store *s, const struct certa_ca_rec *rec,
    struct certa_err *err)
{
	struct params	 p = { 0 };

	p_int(&p, rec->id);
	p_text(&p, rec->name);
	p_text(&p, rec->role);
	p_id(&p, rec->parent_id);
	p_text(&p, rec->status);
	p_blob(&p, rec->cert_der, rec->cert_der_len);
	p_text(&p, rec->key_pem);
	p_int(&p, rec->crl_number);
	p_int(&p, rec->created_at);
	return pg_import(s, ST_CA_IMPORT, &p, "import CA", rec->id, err);
}

static certa_rc
pg_cert_import(struct certa_store *s, const struct certa_cert_rec *rec,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(serial_is_normal(rec->serial), CERTA_E_INVAL, "import "
	    "certificate %lld: serial '%s' is not in normal form",
	    (long long)rec->id, rec->serial);
	p_int(&p, rec->id);
	p_int(&p, rec->ca_id);
	p_id(&p, rec->app_id);
	p_text(&p, rec->serial);
	p_text(&p, rec->type);
	p_text(&p, rec->profile);
	p_text(&p, rec->subject);
	p_text(&p, rec->sans);
	p_text(&p, rec->key_alg);
	p_int(&p, rec->not_before);
	p_int(&p, rec->not_after);
	p_int(&p, (int64_t)rec->status);
	p_int(&p, rec->revoked_at);
	p_int(&p, rec->reason);
	p_id(&p, rec->predecessor_id);
	p_text(&p, rec->fingerprint);
	if (rec->der != NULL)
		p_blob(&p, rec->der, rec->der_len);
	else
		p_text(&p, NULL);
	p_text(&p, rec->key_pem);
	p_int(&p, rec->created_at);
	rc = pg_import(s, ST_CERT_IMPORT, &p, "import certificate", rec->id,
	    err);
out:
	return rc;
}

/*
 * After an UPDATE by id changed nothing: NOTFOUND if there is no such row,
 * else CONFLICT with why (revoked already / finished already).
 */
static certa_rc
cert_probe(struct certa_store *s, int64_t id, bool revoking,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	p_int(&p, id);
	CERTA_TRY(q_row(s, ST_CERT_PROBE, &p, &r, &found, "read certificate",
	    err));
	CERTA_CHECK(found, CERTA_E_NOTFOUND, "no certificate with id %lld",
	    (long long)id);
	if (revoking)
		CERTA_FAIL(CERTA_E_CONFLICT, "certificate %lld is revoked "
		    "already", (long long)id);
	CERTA_FAIL(CERTA_E_CONFLICT, "certificate %lld has its DER already",
	    (long long)id);
out:
	PQclear(r);
	return rc;
}

static certa_rc
pg_cert_finish(struct certa_store *s, int64_t id, const uint8_t *der,
    size_t der_len, const char *fingerprint, struct certa_err *err)
{
	struct params	 p = { 0 };
	int64_t		 n;
	certa_rc	 rc = CERTA_OK;

	p_int(&p, id);
	p_blob(&p, der, der_len);
	p_text(&p, fingerprint);
	CERTA_TRY(q_changes(s, ST_CERT_FINISH, &p, &n, "store a signed "
	    "certificate", err));
	if (n == 0)
		CERTA_TRY(cert_probe(s, id, false, err));
out:
	return rc;
}

static certa_rc
pg_cert_get(struct certa_store *s, int64_t id, struct certa_cert_rec *out,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	p_int(&p, id);
	CERTA_TRY(q_row(s, ST_CERT_GET, &p, &r, &found, "read certificate",
	    err));
	CERTA_CHECK(found, CERTA_E_NOTFOUND, "no certificate with id %lld",
	    (long long)id);
	CERTA_CHECK(read_cert(r, 0, out), CERTA_E_NOMEM, "read certificate: "
	    "out of memory");
out:
	PQclear(r);
	if (rc != CERTA_OK)
		certa_cert_rec_clear(out);
	return rc;
}

/* Any-case hex, leading zeros allowed, into the stored form. */
static certa_rc
serial_normalise(const char *in, char out[SERIAL_HEX_MAX + 1],
    struct certa_err *err)
{
	const char	*p = in;
	size_t		 n = 0;
	certa_rc	 rc = CERTA_OK;

	out[0] = '\0';
	CERTA_CHECK(*in != '\0', CERTA_E_PARSE, "empty serial number");
	while (*p == '0' && p[1] != '\0')
		p++;
	for (; p[n] != '\0'; n++) {
		CERTA_CHECK(isxdigit((unsigned char)p[n]), CERTA_E_PARSE,
		    "serial number '%.64s' is not hexadecimal", in);
		CERTA_CHECK(n < SERIAL_HEX_MAX, CERTA_E_PARSE, "serial "
		    "number '%.64s' is longer than 20 octets", in);
		out[n] = (char)tolower((unsigned char)p[n]);
	}
	out[n] = '\0';
out:
	return rc;
}

static certa_rc
pg_cert_get_serial(struct certa_store *s, const char *serial,
    struct certa_cert_rec *out, struct certa_err *err)
{
	char		 hex[SERIAL_HEX_MAX + 1];
	struct params	 p = { 0 };
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(serial_normalise(serial, hex, err));
	p_text(&p, hex);
	CERTA_TRY(q_row(s, ST_CERT_GET_SERIAL, &p, &r, &found, "read "
	    "certificate", err));
	CERTA_CHECK(found, CERTA_E_NOTFOUND, "no certificate with serial %s",
	    hex);
	CERTA_CHECK(read_cert(r, 0, out), CERTA_E_NOMEM, "read certificate: "
	    "out of memory");
	CERTA_CHECK(PQntuples(r) < 2, CERTA_E_CONFLICT, "serial %s exists "
	    "under several CAs (%lld, %lld, ...): look it up by id", hex,
	    (long long)out->ca_id, (long long)col_int(r, 1, 1));
out:
	PQclear(r);
	if (rc != CERTA_OK)
		certa_cert_rec_clear(out);
	return rc;
}

static certa_rc
pg_cert_each(struct certa_store *s, const struct certa_cert_filter *f,
    certa_store_cert_fn fn, void *arg, struct certa_err *err)
{
	struct each	 e = { .fn.cert = fn, .arg = arg };
	struct params	 p = { 0 };

	p_int(&p, f->app_id);
	p_int(&p, f->ca_id);
	p_text(&p, f->type);
	p_int(&p, f->status);
	p_int(&p, f->not_after_min);
	p_int(&p, f->not_after_max);
	p_int(&p, f->after_id);
	p_limit(&p, f->limit);
	return walk(s, f->app_id != 0 ? ST_CERT_EACH_APP : ST_CERT_EACH, &p,
	    row_cert, &e, "list certificates", err);
}

static certa_rc
pg_cert_revoke(struct certa_store *s, int64_t id, int64_t revoked_at,
    int reason, struct certa_err *err)
{
	struct params	 p = { 0 };
	int64_t		 n;
	bool		 own = false;
	certa_rc	 rc = CERTA_OK;

	/* certa_ca validators hold the revoked serials: bump. */
	CERTA_TRY(own_begin(s, &own, err));
	p_int(&p, id);
	p_int(&p, revoked_at);
	p_int(&p, reason);
	CERTA_TRY(q_changes(s, ST_CERT_REVOKE, &p, &n, "revoke a certificate",
	    err));
	if (n == 0)
		CERTA_TRY(cert_probe(s, id, true, err));
	CERTA_TRY(trust_bump(s, err));
out:
	return own_end(s, own, rc, err);
}

static certa_rc
pg_cert_count_valid(struct certa_store *s, int64_t org_id, int64_t app_id,
    int64_t at, int64_t *out, struct certa_err *err)
{
	struct params	 p = { 0 };
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	p_int(&p, app_id != 0 ? app_id : org_id);
	p_int(&p, at);
	CERTA_TRY(q_row(s, app_id != 0 ? ST_CERT_COUNT_APP :
	    ST_CERT_COUNT_ORG, &p, &r, &found, "count valid certificates",
	    err));
	*out = found ? col_int(r, 0, 0) : 0;
out:
	PQclear(r);
	return rc;
}

static certa_rc
pg_revoked_each(struct certa_store *s, int64_t ca_id,
    certa_store_revoked_fn fn, void *arg, struct certa_err *err)
{
	struct each	 e = { .fn.revoked = fn, .arg = arg };
	struct params	 p = { 0 };

	p_int(&p, ca_id);
	return walk(s, ST_REVOKED_EACH, &p, row_revoked, &e, "list revoked "
	    "certificates", err);
}

/* --- audit ---------------------------------------------------------------- */

static certa_rc
pg_audit_last(struct certa_store *s, int64_t *seq, char hash[65],
    struct certa_err *err)
{
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	*seq = 0;
	hash[0] = '\0';
	CERTA_TRY(q_row(s, ST_AUDIT_LAST, NULL, &r, &found, "read the last "
	    "audit record", err));
	if (!found)
		goto out;
	CERTA_CHECK(col_hash(r, 0, 1, hash), CERTA_E_STORE, "audit record "
	    "%lld has a malformed hash", (long long)col_int(r, 0, 0));
	*seq = col_int(r, 0, 0);
out:
	PQclear(r);
	return rc;
}

/*
 * seq = last + 1 is checked by the INSERT itself; two appenders racing for
 * the same seq meet the primary key: the second gets CONFLICT.
 */
static certa_rc
pg_audit_append(struct certa_store *s, const struct certa_audit_rec *rec,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	char		 hash[65];
	int64_t		 n, last = 0;
	certa_rc	 rc = CERTA_OK;

	p_int(&p, rec->seq);
	p_int(&p, rec->time);
	p_text(&p, rec->actor);
	p_text(&p, rec->action);
	p_text(&p, rec->object);
	p_text(&p, rec->outcome);
	p_text(&p, rec->details);
	p_text(&p, rec->prev_hash);
	p_text(&p, rec->hash);
	rc = q_changes(s, ST_AUDIT_APPEND, &p, &n, "append an audit record",
	    err);
	if (rc == CERTA_OK && n == 0)
		rc = CERTA_E_CONFLICT;
	if (rc == CERTA_E_CONFLICT) {
		certa_err_clear(err);
		CERTA_TRY(pg_audit_last(s, &last, hash, err));
		CERTA_FAIL(CERTA_E_CONFLICT, "audit record %lld cannot follow "
		    "the last one, %lld (another writer appended first?)",
		    (long long)rec->seq, (long long)last);
	}
out:
	return rc;
}

static certa_rc
pg_audit_each(struct certa_store *s, int64_t since, certa_store_audit_fn fn,
    void *arg, struct certa_err *err)
{
	struct each	 e = { .fn.audit = fn, .arg = arg };
	struct params	 p = { 0 };

	p_int(&p, since);
	return walk(s, ST_AUDIT_EACH, &p, row_audit, &e, "list audit records",
	    err);
}

/* --- the trust store ------------------------------------------------------ */

static certa_rc
pg_trust_generation(struct certa_store *s, uint64_t *out,
    struct certa_err *err)
{
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(q_row(s, ST_TRUST_GEN, NULL, &r, &found, "read the trust "
	    "generation", err));
	CERTA_CHECK(found, CERTA_E_STORE, "store %s has no trust generation "
	    "row (damaged schema?)", s->label);
	*out = (uint64_t)col_int(r, 0, 0);
out:
	PQclear(r);
	return rc;
}

static certa_rc
pg_trust_generation_fast(struct certa_store *s, uint64_t *out,
    struct certa_err *err)
{
	if (pg_feed_generation(s->dsn, out))
		return CERTA_OK;
	return pg_trust_generation(s, out, err);
}

static certa_rc
pg_watch(struct certa_store *s, certa_store_change_fn fn, void *arg,
    struct certa_store_watch **out, struct certa_err *err)
{
	return pg_feed_watch(s->dsn, s->label, fn, arg, out, err);
}

/* Insert rec (list given). */
static certa_rc
trust_insert(struct certa_store *s, struct certa_trust_rec *rec,
    const char *list, int64_t attempts, struct certa_err *err)
{
	struct params	 p = { 0 };
	struct certa_err e2;
	certa_rc	 rc = CERTA_OK;

	certa_err_clear(&e2);
	if (rec->first_seen == 0)
		rec->first_seen = certa_now();
	if (rec->last_seen == 0)
		rec->last_seen = rec->first_seen;
	p_text(&p, rec->alias);
	p_text(&p, list);
	p_blob(&p, rec->der, rec->der_len);
	p_text(&p, rec->fingerprint);
	p_text(&p, rec->subject);
	p_text(&p, rec->issuer);
	p_text(&p, rec->serial);
	p_int(&p, rec->not_before);
	p_int(&p, rec->not_after);
	p_text(&p, rec->source);
	p_int(&p, rec->first_seen);
	p_int(&p, rec->last_seen);
	p_int(&p, attempts);
	p_text(&p, rec->peer_addr);
	p_text(&p, rec->subject_key);
	rc = q_insert(s, ST_TRUST_PUT, &p, &rec->id, "add a trust entry", &e2);
	if (rc == CERTA_E_CONFLICT) {
		/* The constraint is named in the message: which one? */
		if (strstr(e2.msg, "alias") != NULL)
			CERTA_FAIL(CERTA_E_CONFLICT, "alias '%s' is taken "
			    "already", rec->alias);
		CERTA_FAIL(CERTA_E_CONFLICT, "certificate %s is in the trust "
		    "store already", rec->fingerprint);
	}
	if (rc != CERTA_OK) {
		if (err != NULL)
			*err = e2;
		goto out;
	}
	rec->attempts = attempts;
out:
	return rc;
}

static certa_rc
pg_trust_put(struct certa_store *s, struct certa_trust_rec *rec,
    struct certa_err *err)
{
	bool		 own = false;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(own_begin(s, &own, err));
	CERTA_TRY(trust_insert(s, rec, rec->list, rec->attempts, err));
	CERTA_TRY(trust_bump(s, err));
out:
	return own_end(s, own, rc, err);
}

static certa_rc
trust_get(struct certa_store *s, enum stmt_id sid, const char *key,
    struct certa_trust_rec *out, struct certa_err *err)
{
	struct params	 p = { 0 };
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	p_text(&p, key);
	CERTA_TRY(q_row(s, sid, &p, &r, &found, "read a trust entry", err));
	if (!found && sid == ST_TRUST_GET_ALIAS)
		CERTA_FAIL(CERTA_E_NOTFOUND, "no trust entry '%.80s'", key);
	CERTA_CHECK(found, CERTA_E_NOTFOUND, "no trust entry with "
	    "fingerprint %.80s", key);
	CERTA_CHECK(read_trust(r, 0, out), CERTA_E_NOMEM, "read trust entry: "
	    "out of memory");
out:
	PQclear(r);
	if (rc != CERTA_OK)
		certa_trust_rec_clear(out);
	return rc;
}

static certa_rc
pg_trust_get_alias(struct certa_store *s, const char *alias,
    struct certa_trust_rec *out, struct certa_err *err)
{
	return trust_get(s, ST_TRUST_GET_ALIAS, alias, out, err);
}

static certa_rc
pg_trust_get_fp(struct certa_store *s, const char *fp,
    struct certa_trust_rec *out, struct certa_err *err)
{
	return trust_get(s, ST_TRUST_GET_FP, fp, out, err);
}

static certa_rc
pg_trust_each(struct certa_store *s, const char *list,
    certa_store_trust_fn fn, void *arg, struct certa_err *err)
{
	struct each	 e = { .fn.trust = fn, .arg = arg };
	struct params	 p = { 0 };

	if (list != NULL)
		p_text(&p, list);
	return walk(s, list != NULL ? ST_TRUST_EACH_LIST : ST_TRUST_EACH_ALL,
	    &p, row_trust, &e, "list trust entries", err);
}

static certa_rc
pg_trust_each_subject(struct certa_store *s, const char *subject_key,
    certa_store_trust_fn fn, void *arg, struct certa_err *err)
{
	struct each	 e = { .fn.trust = fn, .arg = arg };
	struct params	 p = { 0 };

	p_text(&p, subject_key);
	return walk(s, ST_TRUST_EACH_SUBJECT, &p, row_trust, &e, "list trust "
	    "entries", err);
}

static certa_rc
pg_trust_unkeyed(struct certa_store *s, int64_t *out, struct certa_err *err)
{
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(q_row(s, ST_TRUST_UNKEYED, NULL, &r, &found, "count "
	    "unindexed trust entries", err));
	*out = found ? col_int(r, 0, 0) : 0;
out:
	PQclear(r);
	return rc;
}

/* NOTFOUND unless alias exists. */
static certa_rc
trust_probe(struct certa_store *s, const char *alias, struct certa_err *err)
{
	struct params	 p = { 0 };
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	p_text(&p, alias);
	CERTA_TRY(q_row(s, ST_TRUST_PROBE, &p, &r, &found, "read a trust "
	    "entry", err));
	CERTA_CHECK(found, CERTA_E_NOTFOUND, "no trust entry '%.80s'", alias);
out:
	PQclear(r);
	return rc;
}

static certa_rc
pg_trust_set_list(struct certa_store *s, const char *alias,
    const char *list, struct certa_err *err)
{
	struct params	 p = { 0 };
	int64_t		 n;
	bool		 own = false;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(own_begin(s, &own, err));
	p_text(&p, alias);
	p_text(&p, list);
	CERTA_TRY(q_changes(s, ST_TRUST_SET_LIST, &p, &n, "move a trust "
	    "entry", err));
	if (n == 0)
		CERTA_TRY(trust_probe(s, alias, err));	/* there already */
	else
		CERTA_TRY(trust_bump(s, err));
out:
	return own_end(s, own, rc, err);
}

static certa_rc
pg_trust_delete(struct certa_store *s, const char *alias,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	int64_t		 n;
	bool		 own = false;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(own_begin(s, &own, err));
	p_text(&p, alias);
	CERTA_TRY(q_changes(s, ST_TRUST_DELETE, &p, &n, "delete a trust entry",
	    err));
	CERTA_CHECK(n == 1, CERTA_E_NOTFOUND, "no trust entry '%.80s'", alias);
	CERTA_TRY(trust_bump(s, err));
out:
	return own_end(s, own, rc, err);
}

/*
 * Under the write lock (ours or the caller's) the update and the insert
 * cannot interleave with another knock's, and the UNIQUE fingerprint is
 * the backstop: never two rows for one certificate.
 */
static certa_rc
pg_trust_knock(struct certa_store *s, struct certa_trust_rec *rec,
    bool *inserted, struct certa_err *err)
{
	struct params	 p = { 0 };
	int64_t		 n;
	bool		 own = false;
	certa_rc	 rc = CERTA_OK;

	*inserted = false;
	if (rec->last_seen == 0)
		rec->last_seen = certa_now();
	CERTA_TRY(own_begin(s, &own, err));
	p_text(&p, rec->fingerprint);
	p_int(&p, rec->last_seen);
	p_text(&p, rec->peer_addr);
	CERTA_TRY(q_changes(s, ST_TRUST_KNOCK, &p, &n, "record a knock", err));
	if (n == 1)
		goto out;
	rec->first_seen = rec->last_seen;
	CERTA_TRY(trust_insert(s, rec, "rejected", 1, err));
	CERTA_TRY(trust_bump(s, err));
	*inserted = true;
out:
	rc = own_end(s, own, rc, err);
	if (rc != CERTA_OK)
		*inserted = false;
	return rc;
}

static certa_rc
pg_trust_crl_put(struct certa_store *s, struct certa_trust_crl_rec *rec,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	int64_t		 id;
	bool		 own = false;
	certa_rc	 rc = CERTA_OK;

	if (rec->imported_at == 0)
		rec->imported_at = certa_now();
	CERTA_TRY(own_begin(s, &own, err));
	p_text(&p, rec->issuer);
	p_text(&p, rec->issuer_hash);
	p_text(&p, rec->key_id != NULL ? rec->key_id : "");
	p_text(&p, rec->crl_number);
	p_int(&p, rec->this_update);
	p_int(&p, rec->next_update);
	p_blob(&p, rec->der, rec->der_len);
	p_text(&p, rec->fingerprint);
	p_int(&p, rec->imported_at);
	CERTA_TRY(q_insert(s, ST_TRUST_CRL_PUT, &p, &id, "store a CRL", err));
	CERTA_TRY(trust_bump(s, err));
	rec->id = id;
out:
	return own_end(s, own, rc, err);
}

static certa_rc
pg_trust_crl_each(struct certa_store *s, certa_store_trust_crl_fn fn,
    void *arg, struct certa_err *err)
{
	struct each	 e = { .fn.trust_crl = fn, .arg = arg };

	return walk(s, ST_TRUST_CRL_EACH, NULL, row_trust_crl, &e, "list CRLs",
	    err);
}

static certa_rc
pg_trust_crl_delete(struct certa_store *s, int64_t id, struct certa_err *err)
{
	struct params	 p = { 0 };
	int64_t		 n;
	bool		 own = false;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(own_begin(s, &own, err));
	p_int(&p, id);
	CERTA_TRY(q_changes(s, ST_TRUST_CRL_DELETE, &p, &n, "delete a CRL",
	    err));
	CERTA_CHECK(n == 1, CERTA_E_NOTFOUND, "no CRL with id %lld",
	    (long long)id);
	CERTA_TRY(trust_bump(s, err));
out:
	return own_end(s, own, rc, err);
}

/* --- tokens and the role map ---------------------------------------------- */

static certa_rc
pg_token_put(struct certa_store *s, const struct certa_token_rec *rec,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	struct certa_err e2;
	certa_rc	 rc = CERTA_OK;

	certa_err_clear(&e2);
	p_text(&p, rec->id);
	p_text(&p, rec->name);
	p_int(&p, (int64_t)rec->role);
	p_text(&p, rec->secret_hash);
	p_text(&p, rec->created_by);
	p_int(&p, rec->created_at);
	p_int(&p, rec->last_used_at);
	p_int(&p, rec->revoked_at);
	rc = q(s, ST_TOKEN_PUT, &p, NULL, "add a token", &e2);
	if (rc == CERTA_E_CONFLICT) {
		if (strstr(e2.msg, "api_token_pkey") != NULL)
			CERTA_FAIL(CERTA_E_CONFLICT, "a token with id %.16s "
			    "exists already", rec->id);
		CERTA_FAIL(CERTA_E_CONFLICT, "a live token named '%.64s' "
		    "exists already", rec->name);
	}
	if (rc != CERTA_OK && err != NULL)
		*err = e2;
out:
	return rc;
}

static certa_rc
pg_token_get(struct certa_store *s, const char *id, const char *name,
    struct certa_token_rec *out, struct certa_err *err)
{
	struct params	 p = { 0 };
	PGresult	*r = NULL;
	const char	*key = name != NULL ? name : id;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	p_text(&p, key);
	CERTA_TRY(q_row(s, name != NULL ? ST_TOKEN_GET_NAME : ST_TOKEN_GET_ID,
	    &p, &r, &found, "read token", err));
	CERTA_CHECK(found, CERTA_E_NOTFOUND, "no %stoken '%.64s'", name !=
	    NULL ? "live " : "", key);
	CERTA_CHECK(read_token(r, 0, out), CERTA_E_NOMEM, "read token: out of "
	    "memory");
out:
	PQclear(r);
	if (rc != CERTA_OK)
		certa_token_rec_clear(out);
	return rc;
}

static certa_rc
pg_token_each(struct certa_store *s, certa_store_token_fn fn, void *arg,
    struct certa_err *err)
{
	struct each	 e = { .fn.token = fn, .arg = arg };

	return walk(s, ST_TOKEN_EACH, NULL, row_token, &e, "list tokens", err);
}

static certa_rc
pg_token_revoke(struct certa_store *s, const char *id, int64_t revoked_at,
    struct certa_err *err)
{
	struct certa_token_rec	 t;
	struct params		 p = { 0 };
	int64_t			 n;
	certa_rc		 rc = CERTA_OK;

	memset(&t, 0, sizeof(t));
	p_text(&p, id);
	p_int(&p, revoked_at);
	CERTA_TRY(q_changes(s, ST_TOKEN_REVOKE, &p, &n, "revoke a token", err));
	if (n == 1)
		goto out;
	CERTA_TRY(pg_token_get(s, id, NULL, &t, err));
	CERTA_FAIL(CERTA_E_CONFLICT, "token %.16s is revoked already", id);
out:
	certa_token_rec_clear(&t);
	return rc;
}

static certa_rc
pg_token_touch(struct certa_store *s, const char *id, int64_t at,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	int64_t		 n;
	certa_rc	 rc = CERTA_OK;

	p_text(&p, id);
	p_int(&p, at);
	CERTA_TRY(q_changes(s, ST_TOKEN_TOUCH, &p, &n, "record the use of a "
	    "token", err));
	CERTA_CHECK(n == 1, CERTA_E_NOTFOUND, "no token '%.16s'", id);
out:
	return rc;
}

static certa_rc
pg_role_map_set(struct certa_store *s, struct certa_role_map_rec *rec,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	int64_t		 id = 0;
	certa_rc	 rc = CERTA_OK;

	if (rec->created_at == 0)
		rec->created_at = certa_now();
	p_text(&p, rec->kind);
	p_text(&p, rec->value);
	p_int(&p, (int64_t)rec->role);
	p_int(&p, rec->created_at);
	CERTA_TRY(q_insert(s, ST_ROLE_MAP_SET, &p, &id, "map a certificate to "
	    "a role", err));
	rec->id = id;
out:
	return rc;
}

static certa_rc
pg_role_map_get(struct certa_store *s, const char *kind, const char *value,
    struct certa_role_map_rec *out, struct certa_err *err)
{
	struct params	 p = { 0 };
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	p_text(&p, kind);
	p_text(&p, value);
	CERTA_TRY(q_row(s, ST_ROLE_MAP_GET, &p, &r, &found, "read a role "
	    "mapping", err));
	CERTA_CHECK(found, CERTA_E_NOTFOUND, "no role mapping for %s '%.200s'",
	    kind, value);
	CERTA_CHECK(read_role_map(r, 0, out), CERTA_E_NOMEM, "read role "
	    "mapping: out of memory");
out:
	PQclear(r);
	if (rc != CERTA_OK)
		certa_role_map_rec_clear(out);
	return rc;
}

static certa_rc
pg_role_map_delete(struct certa_store *s, const char *kind,
    const char *value, struct certa_err *err)
{
	struct params	 p = { 0 };
	int64_t		 n;
	certa_rc	 rc = CERTA_OK;

	p_text(&p, kind);
	p_text(&p, value);
	CERTA_TRY(q_changes(s, ST_ROLE_MAP_DELETE, &p, &n, "remove a role "
	    "mapping", err));
	CERTA_CHECK(n == 1, CERTA_E_NOTFOUND, "no role mapping for %s "
	    "'%.200s'", kind, value);
out:
	return rc;
}

static certa_rc
pg_role_map_each(struct certa_store *s, certa_store_role_map_fn fn,
    void *arg, struct certa_err *err)
{
	struct each	 e = { .fn.role_map = fn, .arg = arg };

	return walk(s, ST_ROLE_MAP_EACH, NULL, row_role_map, &e, "list role "
	    "mappings", err);
}

/* --- lifecycle requests --------------------------------------------------- */

static certa_rc
pg_request_put(struct certa_store *s, struct certa_request_rec *rec,
    struct certa_err *err)
{
	struct params	 p = { 0 };

	if (rec->created_at == 0)
		rec->created_at = certa_now();
	p_text(&p, rec->kind);
	p_text(&p, rec->state);
	p_id(&p, rec->app_id);
	p_text(&p, rec->type);
	if (rec->csr != NULL)
		p_blob(&p, rec->csr, rec->csr_len);
	else
		p_text(&p, NULL);
	p_text(&p, rec->keygen);
	p_text(&p, rec->subject);
	p_text(&p, rec->sans);
	p_int(&p, rec->validity);
	p_int(&p, rec->not_after);
	p_int(&p, rec->same_key ? 1 : 0);
	p_id(&p, rec->cert_id);
	p_int(&p, rec->reason);
	p_text(&p, rec->requested_by);
	p_text(&p, rec->requested_role);
	p_text(&p, rec->decided_by);
	p_text(&p, rec->comment);
	p_id(&p, rec->issued_cert_id);
	p_int(&p, rec->created_at);
	p_int(&p, rec->decided_at);
	p_int(&p, rec->grace_until);
	p_int(&p, rec->grace);
	return q_insert(s, ST_REQ_PUT, &p, &rec->id, "add a certificate "
	    "request", err);
}

static certa_rc
pg_request_get(struct certa_store *s, int64_t id,
    struct certa_request_rec *out, struct certa_err *err)
{
	struct params	 p = { 0 };
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	p_int(&p, id);
	CERTA_TRY(q_row(s, ST_REQ_GET, &p, &r, &found, "read request", err));
	CERTA_CHECK(found, CERTA_E_NOTFOUND, "no request %lld", (long long)id);
	CERTA_CHECK(read_request(r, 0, out), CERTA_E_NOMEM, "read request: "
	    "out of memory");
out:
	PQclear(r);
	if (rc != CERTA_OK)
		certa_request_rec_clear(out);
	return rc;
}

static certa_rc
pg_request_each(struct certa_store *s, const struct certa_request_filter *f,
    certa_store_request_fn fn, void *arg, struct certa_err *err)
{
	struct each	 e = { .fn.request = fn, .arg = arg };
	struct params	 p = { 0 };

	p_text(&p, f->state);
	p_text(&p, f->kind);
	p_int(&p, f->cert_id);
	p_int(&p, f->due_before);
	p_int(&p, f->after_id);
	p_limit(&p, f->limit);
	return walk(s, ST_REQ_EACH, &p, row_request, &e, "list requests", err);
}

static certa_rc
pg_request_transition(struct certa_store *s, int64_t id, const char *from,
    const char *to, const char *decided_by, const char *comment,
    int64_t issued_cert_id, int64_t at, struct certa_err *err)
{
	struct certa_request_rec	 cur;
	struct params			 p = { 0 };
	int64_t				 n;
	certa_rc			 rc = CERTA_OK;

	memset(&cur, 0, sizeof(cur));
	p_int(&p, id);
	p_text(&p, from);
	p_text(&p, to);
	p_text(&p, decided_by);
	p_text(&p, comment);
	p_id(&p, issued_cert_id);
	p_int(&p, at);
	CERTA_TRY(q_changes(s, ST_REQ_TRANSITION, &p, &n, "update a request",
	    err));
	if (n == 1)
		goto out;
	CERTA_TRY(pg_request_get(s, id, &cur, err));
	CERTA_FAIL(CERTA_E_CONFLICT, "request %lld is %s, not %s",
	    (long long)id, cur.state, from);
out:
	certa_request_rec_clear(&cur);
	return rc;
}

static certa_rc
pg_org_set_approval(struct certa_store *s, int64_t org_id, bool required,
    struct certa_err *err)
{
	int64_t		 n;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(run_id_text(s, ST_ORG_SET_APPROVAL, org_id, required ?
	    "required" : "none", &n, "set the approval policy", err));
	CERTA_CHECK(n == 1, CERTA_E_NOTFOUND, "no organisation with id %lld",
	    (long long)org_id);
out:
	return rc;
}

static certa_rc
pg_org_get_approval(struct certa_store *s, int64_t org_id, bool *required,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	p_int(&p, org_id);
	CERTA_TRY(q_row(s, ST_ORG_GET_APPROVAL, &p, &r, &found, "read the "
	    "approval policy", err));
	CERTA_CHECK(found, CERTA_E_NOTFOUND, "no organisation with id %lld",
	    (long long)org_id);
	*required = strcmp(PQgetvalue(r, 0, 0), "required") == 0;
out:
	PQclear(r);
	return rc;
}

/* --- expiry notifications ------------------------------------------------- */

static certa_rc
pg_notify_channel_put(struct certa_store *s,
    struct certa_notify_channel_rec *rec, struct certa_err *err)
{
	struct params	 p = { 0 };

	if (rec->created_at == 0)
		rec->created_at = certa_now();
	p_id(&p, rec->org_id);
	p_text(&p, rec->kind);
	p_text(&p, rec->target);
	p_text(&p, rec->secret);
	p_int(&p, rec->enabled ? 1 : 0);
	p_int(&p, rec->created_at);
	return q_insert(s, ST_NOTIFY_CHANNEL_PUT, &p, &rec->id, "add a "
	    "notification channel", err);
}

static certa_rc
pg_notify_channel_delete(struct certa_store *s, int64_t id,
    struct certa_err *err)
{
	int64_t		 n;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(run_id_text(s, ST_NOTIFY_CHANNEL_DELETE, id, NULL, &n,
	    "remove a notification channel", err));
	CERTA_CHECK(n == 1, CERTA_E_NOTFOUND, "no notification channel with "
	    "id %lld", (long long)id);
out:
	return rc;
}

static certa_rc
pg_notify_channel_each(struct certa_store *s,
    certa_store_notify_channel_fn fn, void *arg, struct certa_err *err)
{
	struct each	 e = { .fn.channel = fn, .arg = arg };

	return walk(s, ST_NOTIFY_CHANNEL_EACH, NULL, row_channel, &e, "list "
	    "notification channels", err);
}

static certa_rc
pg_notify_org_set(struct certa_store *s,
    const struct certa_notify_org_rec *rec, struct certa_err *err)
{
	struct params	 p = { 0 };

	p_int(&p, rec->org_id);
	p_text(&p, rec->thresholds);
	p_int(&p, rec->enabled ? 1 : 0);
	return q(s, ST_NOTIFY_ORG_SET, &p, NULL, "set notification settings",
	    err);
}

static certa_rc
pg_notify_org_each(struct certa_store *s, certa_store_notify_org_fn fn,
    void *arg, struct certa_err *err)
{
	struct each	 e = { .fn.norg = fn, .arg = arg };

	return walk(s, ST_NOTIFY_ORG_EACH, NULL, row_norg, &e, "list "
	    "notification settings", err);
}

static certa_rc
pg_notify_cert_set(struct certa_store *s, int64_t cert_id, bool enabled,
    struct certa_err *err)
{
	int64_t		 n;

	return run_id_text(s, enabled ? ST_NOTIFY_CERT_ON : ST_NOTIFY_CERT_OFF,
	    cert_id, NULL, &n, enabled ? "enable notifications of a "
	    "certificate" : "disable notifications of a certificate", err);
}

static certa_rc
pg_notify_cand_each(struct certa_store *s, int64_t now, int64_t until,
    int64_t after_id, size_t limit, certa_store_notify_cand_fn fn, void *arg,
    struct certa_err *err)
{
	struct each	 e = { .fn.cand = fn, .arg = arg };
	struct params	 p = { 0 };

	p_int(&p, now);
	p_int(&p, until);
	p_int(&p, after_id);
	p_limit(&p, limit);
	return walk(s, ST_NOTIFY_CAND, &p, row_cand, &e, "find expiring "
	    "certificates", err);
}

static certa_rc
pg_notice_claim(struct certa_store *s, struct certa_notice_rec *rec,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	certa_rc	 rc = CERTA_OK;

	if (rec->created_at == 0)
		rec->created_at = certa_now();
	p_int(&p, rec->cert_id);
	p_int(&p, rec->threshold_days);
	p_int(&p, rec->channel_id);
	p_int(&p, rec->next_attempt_at);
	p_int(&p, rec->created_at);
	rc = q_insert(s, ST_NOTICE_CLAIM, &p, &rec->id, "claim a notice", err);
	CERTA_CHECK(rc != CERTA_E_CONFLICT, CERTA_E_CONFLICT, "certificate "
	    "%lld: the %d-day notice on channel %lld is claimed already",
	    (long long)rec->cert_id, rec->threshold_days,
	    (long long)rec->channel_id);
	CERTA_TRY(rc);
	rec->status = CERTA_NOTICE_PENDING;
	rec->attempts = 0;
out:
	return rc;
}

static certa_rc
pg_notice_due_each(struct certa_store *s, int64_t now, size_t limit,
    certa_store_notice_fn fn, void *arg, struct certa_err *err)
{
	struct each	 e = { .fn.notice = fn, .arg = arg };
	struct params	 p = { 0 };

	p_int(&p, now);
	p_limit(&p, limit);
	return walk(s, ST_NOTICE_DUE, &p, row_notice, &e, "list due notices",
	    err);
}

static certa_rc
pg_notice_lease(struct certa_store *s, int64_t id, int64_t seen,
    int64_t until, struct certa_err *err)
{
	struct params	 p = { 0 };
	int64_t		 n;
	certa_rc	 rc = CERTA_OK;

	p_int(&p, id);
	p_int(&p, seen);
	p_int(&p, until);
	CERTA_TRY(q_changes(s, ST_NOTICE_LEASE, &p, &n, "take a notice", err));
	CERTA_CHECK(n == 1, CERTA_E_CONFLICT, "notice %lld was taken by "
	    "another process", (long long)id);
out:
	return rc;
}

static certa_rc
pg_notice_record(struct certa_store *s, struct certa_notify_delivery_rec *d,
    enum certa_notice_status status, struct certa_err *err)
{
	struct params	 p = { 0 }, p2 = { 0 };
	int64_t		 n;
	bool		 own = false;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(own_begin(s, &own, err));
	p_int(&p, d->notice_id);
	p_int(&p, (int64_t)status);
	p_int(&p, d->attempt);
	p_int(&p, d->next_attempt_at);
	p_int(&p, status == CERTA_NOTICE_PENDING ? 0 : d->time);
	CERTA_TRY(q_changes(s, ST_NOTICE_UPDATE, &p, &n, "record a delivery",
	    err));
	CERTA_CHECK(n == 1, CERTA_E_NOTFOUND, "no notice with id %lld",
	    (long long)d->notice_id);
	p_int(&p2, d->notice_id);
	p_int(&p2, d->attempt);
	p_int(&p2, d->time);
	p_int(&p2, d->ok ? 1 : 0);
	p_int(&p2, d->code);
	p_text(&p2, d->error);
	p_int(&p2, d->next_attempt_at);
	CERTA_TRY(q_insert(s, ST_NOTIFY_DELIVERY_PUT, &p2, &d->id, "log a "
	    "delivery", err));
out:
	return own_end(s, own, rc, err);
}

static certa_rc
pg_notify_delivery_each(struct certa_store *s, size_t limit,
    certa_store_notify_delivery_fn fn, void *arg, struct certa_err *err)
{
	struct each	 e = { .fn.delivery = fn, .arg = arg };
	struct params	 p = { 0 };

	p_limit(&p, limit);
	return walk(s, ST_NOTIFY_DELIVERY_EACH, &p, row_delivery, &e, "list "
	    "deliveries", err);
}

static certa_rc
pg_notify_cert_off_each(struct certa_store *s,
    certa_store_notify_cert_off_fn fn, void *arg, struct certa_err *err)
{
	struct each	 e = { .fn.cert_off = fn, .arg = arg };

	return walk(s, ST_NOTIFY_CERT_OFF_EACH, NULL, row_cert_off, &e, "list "
	    "notification opt-outs", err);
}

static certa_rc
pg_notice_each(struct certa_store *s, certa_store_notice_fn fn, void *arg,
    struct certa_err *err)
{
	struct each	 e = { .fn.notice = fn, .arg = arg };

	return walk(s, ST_NOTICE_EACH, NULL, row_notice, &e, "list notices",
	    err);
}

static certa_rc
pg_notify_channel_import(struct certa_store *s,
    const struct certa_notify_channel_rec *rec, struct certa_err *err)
{
	struct params	 p = { 0 };

	p_int(&p, rec->id);
	p_id(&p, rec->org_id);
	p_text(&p, rec->kind);
	p_text(&p, rec->target);
	p_text(&p, rec->secret);
	p_int(&p, rec->enabled ? 1 : 0);
	p_int(&p, rec->created_at);
	return pg_import(s, ST_NOTIFY_CHANNEL_IMPORT, &p, "import notification "
	    "channel", rec->id, err);
}

static certa_rc
pg_notify_cert_off_import(struct certa_store *s,
    const struct certa_notify_cert_off_rec *rec, struct certa_err *err)
{
	struct params	 p = { 0 };

	p_int(&p, rec->cert_id);
	p_int(&p, rec->created_at);
	return pg_import(s, ST_NOTIFY_CERT_OFF_IMPORT, &p, "import "
	    "notification opt-out of certificate", rec->cert_id, err);
}

static certa_rc
pg_notice_import(struct certa_store *s, const struct certa_notice_rec *rec,
    struct certa_err *err)
{
	struct params	 p = { 0 };

	p_int(&p, rec->id);
	p_int(&p, rec->cert_id);
	p_int(&p, rec->threshold_days);
	p_int(&p, rec->channel_id);
	p_int(&p, (int64_t)rec->status);
	p_int(&p, rec->attempts);
	p_int(&p, rec->next_attempt_at);
	p_int(&p, rec->created_at);
	p_int(&p, rec->done_at);
	return pg_import(s, ST_NOTICE_IMPORT, &p, "import notice", rec->id,
	    err);
}

static certa_rc
pg_notify_delivery_import(struct certa_store *s,
    const struct certa_notify_delivery_rec *rec, struct certa_err *err)
{
	struct params	 p = { 0 };

	p_int(&p, rec->id);
	p_int(&p, rec->notice_id);
	p_int(&p, rec->attempt);
	p_int(&p, rec->time);
	p_int(&p, rec->ok ? 1 : 0);
	p_int(&p, rec->code);
	p_text(&p, rec->error);
	p_int(&p, rec->next_attempt_at);
	return pg_import(s, ST_NOTIFY_DELIVERY_IMPORT, &p, "import delivery",
	    rec->id, err);
}

/* --- cluster: nodes and leases (008_cluster.sql) ------------------------ */

static certa_rc
pg_node_put(struct certa_store *s, const struct certa_node_rec *rec,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	int64_t		 n;

	p_text(&p, rec->id);
	p_text(&p, rec->name);
	p_int(&p, rec->started_at);
	p_int(&p, rec->last_heartbeat);
	p_int(&p, rec->generation);
	p_int(&p, rec->audit_seq);
	return q_changes(s, ST_NODE_PUT, &p, &n, "store a node", err);
}

struct node_walk {
	certa_store_node_fn	 fn;
	void			*arg;
};

static certa_rc
row_node(const PGresult *r, int row, void *ctx)
{
	struct node_walk	*w = ctx;
	struct certa_node_rec	 rec;

	memset(&rec, 0, sizeof(rec));
	snprintf(rec.id, sizeof(rec.id), "%s", PQgetvalue(r, row, 0));
	snprintf(rec.name, sizeof(rec.name), "%s", PQgetvalue(r, row, 1));
	rec.started_at = col_int(r, row, 2);
	rec.last_heartbeat = col_int(r, row, 3);
	rec.generation = col_int(r, row, 4);
	rec.audit_seq = col_int(r, row, 5);
	return w->fn(&rec, w->arg);
}

static certa_rc
pg_node_each(struct certa_store *s, certa_store_node_fn fn, void *arg,
    struct certa_err *err)
{
	struct node_walk	 w = { fn, arg };

	return walk(s, ST_NODE_EACH, NULL, row_node, &w, "list nodes", err);
}

static certa_rc
pg_lease_take(struct certa_store *s, const char *name, const char *holder,
    int64_t now, int64_t expires_at, bool *held, struct certa_err *err)
{
	struct params	 p = { 0 };
	int64_t		 n = 0;
	certa_rc	 rc = CERTA_OK;

	p_text(&p, name);
	p_text(&p, holder);
	p_int(&p, now);
	p_int(&p, expires_at);
	CERTA_TRY(q_changes(s, ST_LEASE_TAKE, &p, &n, "take a lease", err));
	*held = n == 1;
out:
	return rc;
}

static certa_rc
pg_lease_get(struct certa_store *s, const char *name, char holder[40],
    int64_t *expires_at, struct certa_err *err)
{
	struct params	 p = { 0 };
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	p_text(&p, name);
	CERTA_TRY(q_row(s, ST_LEASE_GET, &p, &r, &found, "read a lease", err));
	CERTA_CHECK(found, CERTA_E_NOTFOUND, "lease '%s' was never taken",
	    name);
	snprintf(holder, 40, "%s", PQgetvalue(r, 0, 0));
	*expires_at = col_int(r, 0, 1);
out:
	PQclear(r);
	return rc;
}

static certa_rc
pg_crl_put(struct certa_store *s, const struct certa_crl_rec *rec,
    bool *stored, struct certa_err *err)
{
	struct params	 p = { 0 };
	int64_t		 n = 0;
	certa_rc	 rc = CERTA_OK;

	p_int(&p, rec->ca_id);
	p_int(&p, rec->crl_number);
	p_int(&p, rec->this_update);
	p_int(&p, rec->next_update);
	p_blob(&p, rec->der, rec->der_len);
	CERTA_TRY(q_changes(s, ST_CRL_PUT, &p, &n, "store a CRL", err));
	*stored = n == 1;
out:
	return rc;
}

static certa_rc
pg_crl_get(struct certa_store *s, int64_t ca_id, struct certa_crl_rec *out,
    struct certa_err *err)
{
	struct params	 p = { 0 };
	PGresult	*r = NULL;
	bool		 found;
	certa_rc	 rc = CERTA_OK;

	p_int(&p, ca_id);
	CERTA_TRY(q_row(s, ST_CRL_GET, &p, &r, &found, "read a CRL", err));
	CERTA_CHECK(found, CERTA_E_NOTFOUND, "no CRL stored for CA %lld",
	    (long long)ca_id);
	out->ca_id = ca_id;
	out->crl_number = col_int(r, 0, 0);
	out->this_update = col_int(r, 0, 1);
	out->next_update = col_int(r, 0, 2);
	CERTA_CHECK(col_blob(r, 0, 3, &out->der, &out->der_len) &&
	    out->der != NULL, CERTA_E_NOMEM, "read a CRL: out of memory");
out:
	PQclear(r);
	return rc;
}

const struct certa_store_ops certa_store_postgres_ops = {
	.name = "postgres",
	.accepts = pg_accepts,
	.open = pg_open,
	.close = pg_close,
	.schema_version = pg_schema_version,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.meta_get = pg_meta_get,
	.meta_set = pg_meta_set,
	.org_put = pg_org_put,
	.org_get = pg_org_get,
	.org_each = pg_org_each,
	.app_put = pg_app_put,
	.app_get = pg_app_get,
	.app_find = pg_app_find,
	.app_each = pg_app_each,
	.org_rename = pg_org_rename,
	.app_rename = pg_app_rename,
	.org_delete = pg_org_delete,
	.app_delete = pg_app_delete,
	.ca_put = pg_ca_put,
	.ca_get = pg_ca_get,
	.ca_get_active = pg_ca_get_active,
	.ca_each = pg_ca_each,
	.ca_next_crl_number = pg_ca_next_crl_number,
	.cert_reserve = pg_cert_reserve,
	.org_import = pg_org_import,
	.app_import = pg_app_import,
	.ca_import = pg_ca_import,
	.cert_import = pg_cert_import,
	.cert_finish = pg_cert_finish,
	.cert_get = pg_cert_get,
	.cert_get_serial = pg_cert_get_serial,
	.cert_each = pg_cert_each,
	.cert_revoke = pg_cert_revoke,
	.cert_count_valid = pg_cert_count_valid,
	.revoked_each = pg_revoked_each,
	.audit_append = pg_audit_append,
	.audit_last = pg_audit_last,
	.audit_each = pg_audit_each,
	.trust_put = pg_trust_put,
	.trust_get_alias = pg_trust_get_alias,
	.trust_get_fp = pg_trust_get_fp,
	.trust_each = pg_trust_each,
	.trust_each_subject = pg_trust_each_subject,
	.trust_unkeyed = pg_trust_unkeyed,
	.trust_set_list = pg_trust_set_list,
	.trust_delete = pg_trust_delete,
	.trust_knock = pg_trust_knock,
	.trust_crl_put = pg_trust_crl_put,
	.trust_crl_each = pg_trust_crl_each,
	.trust_crl_delete = pg_trust_crl_delete,
	.trust_generation = pg_trust_generation,
	.token_put = pg_token_put,
	.token_get = pg_token_get,
	.token_each = pg_token_each,
	.token_revoke = pg_token_revoke,
	.token_touch = pg_token_touch,
	.role_map_set = pg_role_map_set,
	.role_map_get = pg_role_map_get,
	.role_map_delete = pg_role_map_delete,
	.role_map_each = pg_role_map_each,
	.request_put = pg_request_put,
	.request_get = pg_request_get,
	.request_each = pg_request_each,
	.request_transition = pg_request_transition,
	.org_set_approval = pg_org_set_approval,
	.org_get_approval = pg_org_get_approval,
	.notify_channel_put = pg_notify_channel_put,
	.notify_channel_delete = pg_notify_channel_delete,
	.notify_channel_each = pg_notify_channel_each,
	.notify_org_set = pg_notify_org_set,
	.notify_org_each = pg_notify_org_each,
	.notify_cert_set = pg_notify_cert_set,
	.notify_cand_each = pg_notify_cand_each,
	.notice_claim = pg_notice_claim,
	.notice_due_each = pg_notice_due_each,
	.notice_lease = pg_notice_lease,
	.notice_record = pg_notice_record,
	.notify_delivery_each = pg_notify_delivery_each,
	.notify_cert_off_each = pg_notify_cert_off_each,
	.notice_each = pg_notice_each,
	.notify_channel_import = pg_notify_channel_import,
	.notify_cert_off_import = pg_notify_cert_off_import,
	.notice_import = pg_notice_import,
	.notify_delivery_import = pg_notify_delivery_import,
	.node_put = pg_node_put,
	.node_each = pg_node_each,
	.lease_take = pg_lease_take,
	.lease_get = pg_lease_get,
	.crl_put = pg_crl_put,
	.crl_get = pg_crl_get,
	.watch = pg_watch,
	.trust_generation_fast = pg_trust_generation_fast,
};
