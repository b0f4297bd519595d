/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SQLite store backend (the default): struct certa_store_ops for
 * "sqlite:PATH" and bare paths.  All of certa's SQLite SQL lives here.  It
 * knows records, not certificates: it never parses DER and never sees a
 * private key other than as opaque (encrypted) PEM text.
 *
 * A handle is used by one thread at a time (the connection is opened
 * SQLITE_OPEN_NOMUTEX); several processes may share one database file.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/inotify.h>

#include <sqlite3.h>

#include "store/schema.h"
#include "store/store_impl.h"
#include "util/util.h"

/* How long a statement waits for another process's lock before AGAIN. */
#define BUSY_TIMEOUT_MS		10000
#define BUSY_TIMEOUT_PRAGMA	"PRAGMA busy_timeout = 10000"

/* RFC 5280 §4.1.2.2: serials are at most 20 octets, so 40 hex digits. */
#define SERIAL_HEX_MAX		40

_Static_assert(CERTA_CERT_REVOKED == 1, "SQL below writes status 1");

/*
 * HOW IT WORKS: the statement cache.
 *
 * Every query is a fixed SQL text below, indexed by enum stmt_id.  A handle
 * prepares each one the first time it is needed (SQLITE_PREPARE_PERSISTENT,
 * so SQLite keeps it off its lookaside), binds parameters with SQLITE_STATIC
 * (the caller's memory outlives the step), resets it after use and
 * finalizes it on close.  An insert therefore costs no parsing and no
 * allocation of ours.
 *
 * An iterator callback may call back into the store.  If it runs a query
 * whose cached statement is still stepping (the outer walk), stmt_get()
 * prepares a private copy and stmt_put() finalizes it, so the outer walk
 * is never reset under its feet.
 *
 * Iterators hand the callback a record whose pointers borrow the current
 * row's column memory: no malloc per row.  Those pointers die at the next
 * step, which is why the store.h iterator records are const and borrowed.
 */
enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
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
#define TOKEN_COLS	"id, name, role, secret_hash, created_by, created_at, " \
			"last_used_at, revoked_at"
#define ROLE_MAP_COLS	"id, kind, value, role, created_at"
#define REQ_COLS_NEW	"kind, state, app_id, type, csr, keygen, subject, " \
			"sans, validity, not_after, same_key, cert_id, " \
			"reason, requested_by, requested_role, decided_by, " \
			"comment, issued_cert_id, created_at, decided_at, " \
			"grace_until, grace"
#define REQ_COLS	"id, " REQ_COLS_NEW
/* The applications of organisation ?1. */
#define ORG_APPS	"(SELECT id FROM application WHERE org_id = ?1)"
#define TRUST_CRL_COLS	"id, issuer, issuer_hash, key_id, crl_number, " \
			"this_update, next_update, der, fingerprint, " \
			"imported_at"
/*
 * cert_each: zero filter fields match everything.  ?1 app_id, ?2 ca_id,
 * ?3 type, ?4 status (-1 any), ?5 not_after_min, ?6 not_after_max,
 * ?7 after_id, ?8 limit (-1 none).
 */
#define CERT_FILTER	"(?2 = 0 OR ca_id = ?2) " \
			"AND (?3 IS NULL OR type = ?3) " \
			"AND (?4 < 0 OR status = ?4) " \
			"AND (?5 = 0 OR not_after >= ?5) " \
			"AND (?6 = 0 OR not_after < ?6) " \
			"AND id > ?7 AND der IS NOT NULL " \
			"ORDER BY id LIMIT ?8"

static const char *const stmt_sql[ST__COUNT] = {
	/* Cluster (008_cluster.sql): one upsert each. */
	[ST_NODE_PUT] = "INSERT INTO node (id, name, started_at, "
	    "last_heartbeat, generation, audit_seq) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET "
	    "name = excluded.name, started_at = excluded.started_at, "
	    "last_heartbeat = excluded.last_heartbeat, "
	    "generation = excluded.generation, audit_seq = excluded.audit_seq",
	[ST_NODE_EACH] = "SELECT id, name, started_at, last_heartbeat, "
	    "generation, audit_seq FROM node ORDER BY started_at, id",
	/* Granted (one row changed) when free, ours, or expired. */
	[ST_LEASE_GET] = "SELECT holder, expires_at FROM lease WHERE name = ?1",
	[ST_LEASE_TAKE] = "INSERT INTO lease (name, holder, expires_at) "
	    "VALUES (?1, ?2, ?4) ON CONFLICT (name) DO UPDATE SET "
	    "holder = excluded.holder, expires_at = excluded.expires_at "
	    "WHERE lease.holder = excluded.holder OR lease.expires_at < ?3",
	/* Only a newer CRL replaces the stored one. */
	[ST_CRL_PUT] = "INSERT INTO crl_latest (ca_id, crl_number, "
	    "this_update, next_update, der) VALUES (?1, ?2, ?3, ?4, ?5) "
	    "ON CONFLICT (ca_id) DO UPDATE SET "
	    "crl_number = excluded.crl_number, "
	    "this_update = excluded.this_update, "
	    "next_update = excluded.next_update, der = excluded.der "
	    "WHERE crl_latest.crl_number < excluded.crl_number",
	[ST_CRL_GET] = "SELECT crl_number, this_update, next_update, der "
	    "FROM crl_latest WHERE ca_id = ?1",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[ST_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[ST_ORG_PUT] = "INSERT INTO organisation (name, created_at) "
	    "VALUES (?1, ?2)",
	/* Imports (certa store migrate): the row's own id. */
	[ST_ORG_IMPORT] = "INSERT INTO organisation (id, name, created_at) "
	    "VALUES (?1, ?2, ?3)",
	[ST_APP_IMPORT] = "INSERT INTO application (id, org_id, name, "
	    "created_at) VALUES (?1, ?2, ?3, ?4)",
	[ST_CA_IMPORT] = "INSERT INTO ca (id, name, role, parent_id, status, "
	    "cert_der, key_pem, crl_number, created_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_CERT_IMPORT] = "INSERT INTO certificate (id, ca_id, app_id, "
	    "serial, type, profile, subject, sans, key_alg, not_before, "
	    "not_after, status, revoked_at, reason, predecessor_id, "
	    "fingerprint, der, key_pem, created_at) VALUES (?1, ?2, ?3, ?4, "
	    "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
	    "?19)",
	[ST_ORG_GET_ID] = "SELECT " ORG_COLS " FROM organisation "
	    "WHERE id = ?1",
	[ST_ORG_GET_NAME] = "SELECT " ORG_COLS " FROM organisation "
	    "WHERE name = ?1",
	[ST_ORG_EACH] = "SELECT " ORG_COLS " FROM organisation ORDER BY id",
	[ST_APP_PUT] = "INSERT INTO application (org_id, name, created_at) "
	    "VALUES (?1, ?2, ?3)",
	[ST_APP_GET] = "SELECT " APP_FROM " WHERE a.id = ?1",
	[ST_APP_FIND] = "SELECT " APP_FROM " WHERE a.name = ?1 "
	    "AND (?2 IS NULL OR o.name = ?2) ORDER BY a.id LIMIT 2",
	[ST_APP_EACH] = "SELECT " APP_FROM " WHERE ?1 = 0 OR a.org_id = ?1 "
	    "ORDER BY a.id",
	[ST_CA_PUT] = "INSERT INTO ca (name, role, parent_id, status, "
	    "cert_der, key_pem, crl_number, created_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_CA_GET] = "SELECT " CA_COLS " FROM ca WHERE id = ?1",
	[ST_CA_GET_ACTIVE] = "SELECT " CA_COLS " FROM ca WHERE role = ?1 "
	    "AND status = 'active' ORDER BY created_at DESC, id DESC LIMIT 1",
	[ST_CA_EACH] = "SELECT " CA_COLS " FROM ca ORDER BY id",
	/* One statement, so two CRL builders never get the same number. */
	[ST_CA_NEXT_CRL] = "UPDATE ca SET crl_number = crl_number + 1 "
	    "WHERE id = ?1 RETURNING crl_number",
	[ST_CERT_RESERVE] = "INSERT INTO certificate (ca_id, app_id, serial, "
	    "type, profile, subject, sans, key_alg, not_before, not_after, "
	    "predecessor_id, fingerprint, der, key_pem, created_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15)",
	[ST_CERT_FINISH] = "UPDATE certificate SET der = ?2, fingerprint = ?3 "
	    "WHERE id = ?1 AND der IS NULL",
	[ST_CERT_PROBE] = "SELECT status, der IS NOT NULL FROM certificate "
	    "WHERE id = ?1",
	[ST_CERT_GET] = "SELECT " CERT_COLS " FROM certificate WHERE id = ?1",
	/* UNIQUE (ca_id, serial) once per CA (009_issue_indexes.sql). */
	[ST_CERT_GET_SERIAL] = "SELECT " CERT_COLS " FROM certificate "
	    "WHERE ca_id IN (SELECT id FROM ca) AND serial = ?1 "
	    "ORDER BY id LIMIT 2",
	/* Walks the rowid in order: paging by after_id stops early. */
	[ST_CERT_EACH] = "SELECT " CERT_COLS " FROM certificate WHERE ?1 = 0 "
	    "AND " CERT_FILTER,
	/* One application: the certificate_app index, then a sort by id. */
	[ST_CERT_EACH_APP] = "SELECT " CERT_COLS " FROM certificate "
	    "WHERE app_id = ?1 AND " CERT_FILTER,
	[ST_CERT_REVOKE] = "UPDATE certificate SET status = 1, "
	    "revoked_at = ?2, reason = ?3 WHERE id = ?1 AND status = 0",
	/* The partial certificate_revoked index (ca_id, serial) gives order. */
	[ST_REVOKED_EACH] = "SELECT serial, revoked_at, reason "
	    "FROM certificate WHERE ca_id = ?1 AND status = 1 "
	    "ORDER BY serial",
	/* Appends only right after the last record: a chain has no gaps. */
	[ST_AUDIT_APPEND] = "INSERT INTO audit (" AUDIT_COLS ") "
	    "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 "
	    "WHERE ?1 = (SELECT coalesce(max(seq), 0) + 1 FROM audit)",
	[ST_AUDIT_LAST] = "SELECT seq, hash FROM audit ORDER BY seq DESC "
	    "LIMIT 1",
	[ST_AUDIT_EACH] = "SELECT " AUDIT_COLS " FROM audit WHERE seq > ?1 "
	    "ORDER BY seq",
	[ST_TRUST_PUT] = "INSERT INTO trust_entry (alias, list, der, "
	    "fingerprint, subject, issuer, serial, not_before, not_after, "
	    "source, first_seen, last_seen, attempts, peer_addr, subject_key) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15)",
	[ST_TRUST_GET_ALIAS] = "SELECT " TRUST_COLS " FROM trust_entry "
	    "WHERE alias = ?1",
	[ST_TRUST_GET_FP] = "SELECT " TRUST_COLS " FROM trust_entry "
	    "WHERE fingerprint = ?1",
	[ST_TRUST_EACH_ALL] = "SELECT " TRUST_COLS " FROM trust_entry "
	    "ORDER BY id",
	/* The trust_entry_list index (list, id) gives the order. */
	[ST_TRUST_EACH_LIST] = "SELECT " TRUST_COLS " FROM trust_entry "
	    "WHERE list = ?1 ORDER BY id",
	[ST_TRUST_SET_LIST] = "UPDATE trust_entry SET list = ?2 "
	    "WHERE alias = ?1 AND list <> ?2",
	[ST_TRUST_PROBE] = "SELECT list FROM trust_entry WHERE alias = ?1",
	[ST_TRUST_DELETE] = "DELETE FROM trust_entry WHERE alias = ?1",
	/* A knock on a stored certificate: counters only, list unchanged. */
	[ST_TRUST_KNOCK] = "UPDATE trust_entry SET "
	    "last_seen = max(last_seen, ?2), attempts = attempts + 1, "
	    "peer_addr = ?3 WHERE fingerprint = ?1",
	/* One CRL per issuer: a newer one replaces it, keeping its id. */
	[ST_TRUST_CRL_PUT] = "INSERT INTO trust_crl (issuer, issuer_hash, "
	    "key_id, crl_number, this_update, next_update, der, fingerprint, "
	    "imported_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
	    "ON CONFLICT (issuer_hash, key_id) DO UPDATE SET "
	    "issuer = excluded.issuer, crl_number = excluded.crl_number, "
	    "this_update = excluded.this_update, "
	    "next_update = excluded.next_update, der = excluded.der, "
	    "fingerprint = excluded.fingerprint, "
	    "imported_at = excluded.imported_at RETURNING id",
	[ST_TRUST_CRL_EACH] = "SELECT " TRUST_CRL_COLS " FROM trust_crl "
	    "ORDER BY id",
	[ST_TRUST_CRL_DELETE] = "DELETE FROM trust_crl WHERE id = ?1",
	[ST_TRUST_GEN] = "SELECT generation FROM trust_generation "
	    "WHERE id = 1",
	[ST_TRUST_BUMP] = "UPDATE trust_generation "
	    "SET generation = generation + 1 WHERE id = 1",
	/* The trust_entry_subject_key index. */
	[ST_TRUST_EACH_SUBJECT] = "SELECT " TRUST_COLS " FROM trust_entry "
	    "WHERE subject_key = ?1 ORDER BY id",
	[ST_TRUST_UNKEYED] = "SELECT count(*) FROM trust_entry "
	    "WHERE subject_key IS NULL",
	[ST_ORG_RENAME] = "UPDATE organisation SET name = ?2 WHERE id = ?1",
	[ST_ORG_DELETE] = "DELETE FROM organisation WHERE id = ?1",
	[ST_APP_RENAME] = "UPDATE application SET name = ?2 WHERE id = ?1",
	[ST_APP_DELETE] = "DELETE FROM application WHERE id = ?1",
	[ST_APP_DELETE_ORG] = "DELETE FROM application WHERE org_id = ?1",
	/* The certificate_app index (app_id, ...) finds the rows. */
	[ST_CERT_DETACH_APP] = "UPDATE certificate SET app_id = NULL "
	    "WHERE app_id = ?1",
	[ST_CERT_DETACH_ORG] = "UPDATE certificate SET app_id = NULL "
	    "WHERE app_id IN " ORG_APPS,
	[ST_CERT_COUNT_APP] = "SELECT count(*) FROM certificate "
	    "WHERE app_id = ?1 AND status = 0 AND not_after > ?2",
	[ST_CERT_COUNT_ORG] = "SELECT count(*) FROM certificate "
	    "WHERE app_id IN " ORG_APPS " AND status = 0 AND not_after > ?2",
	[ST_TOKEN_PUT] = "INSERT INTO api_token (" TOKEN_COLS ") "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_TOKEN_GET_ID] = "SELECT " TOKEN_COLS " FROM api_token "
	    "WHERE id = ?1",
	/* The partial index api_token_live_name. */
	[ST_TOKEN_GET_NAME] = "SELECT " TOKEN_COLS " FROM api_token "
	    "WHERE name = ?1 AND revoked_at = 0",
	[ST_TOKEN_EACH] = "SELECT " TOKEN_COLS " FROM api_token "
	    "ORDER BY created_at, id",
	[ST_TOKEN_REVOKE] = "UPDATE api_token SET revoked_at = ?2 "
	    "WHERE id = ?1 AND revoked_at = 0",
	[ST_TOKEN_TOUCH] = "UPDATE api_token "
	    "SET last_used_at = max(last_used_at, ?2) WHERE id = ?1",
	/* A new role for a known (kind, value) keeps its id. */
	[ST_ROLE_MAP_SET] = "INSERT INTO role_map (kind, value, role, "
	    "created_at) VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT (kind, value) DO UPDATE SET role = excluded.role "
	    "RETURNING id",
	[ST_ROLE_MAP_GET] = "SELECT " ROLE_MAP_COLS " FROM role_map "
	    "WHERE kind = ?1 AND value = ?2",
	[ST_ROLE_MAP_DELETE] = "DELETE FROM role_map WHERE kind = ?1 "
	    "AND value = ?2",
	[ST_ROLE_MAP_EACH] = "SELECT " ROLE_MAP_COLS " FROM role_map "
	    "ORDER BY id",
	[ST_REQ_PUT] = "INSERT INTO cert_request (" REQ_COLS_NEW ") VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
	    "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
	[ST_REQ_GET] = "SELECT " REQ_COLS " FROM cert_request WHERE id = ?1",
	/* ?1 state, ?2 kind, ?3 cert_id, ?4 due_before, ?5 after, ?6 limit */
	[ST_REQ_EACH] = "SELECT " REQ_COLS " FROM cert_request "
	    "WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR kind = ?2) "
	    "AND (?3 = 0 OR cert_id = ?3) AND (?4 = 0 OR (state = 'pending' "
	    "AND grace_until > 0 AND grace_until <= ?4)) AND id > ?5 "
	    "ORDER BY id LIMIT ?6",
	/* The state test in the WHERE makes a transition atomic. */
	[ST_REQ_TRANSITION] = "UPDATE cert_request SET state = ?3, "
	    "decided_by = coalesce(?4, decided_by), "
	    "comment = coalesce(?5, comment), "
	    "issued_cert_id = coalesce(?6, issued_cert_id), decided_at = ?7 "
	    "WHERE id = ?1 AND state = ?2",
	[ST_ORG_SET_APPROVAL] = "UPDATE organisation SET approval = ?2 "
	    "WHERE id = ?1",
	[ST_ORG_GET_APPROVAL] = "SELECT approval FROM organisation "
	    "WHERE id = ?1",
	[ST_NOTIFY_CHANNEL_PUT] = "INSERT INTO notify_channel (org_id, kind, "
	    "target, secret, enabled, created_at) VALUES (?1, ?2, ?3, ?4, ?5, "
	    "?6) RETURNING id",
	[ST_NOTIFY_CHANNEL_DELETE] = "DELETE FROM notify_channel WHERE id = ?1",
	[ST_NOTIFY_CHANNEL_EACH] = "SELECT id, org_id, kind, target, secret, "
	    "enabled, created_at FROM notify_channel ORDER BY id",
	[ST_NOTIFY_ORG_SET] = "INSERT INTO notify_org (org_id, thresholds, "
	    "enabled) VALUES (?1, ?2, ?3) ON CONFLICT (org_id) DO UPDATE SET "
	    "thresholds = excluded.thresholds, enabled = excluded.enabled",
	[ST_NOTIFY_ORG_EACH] = "SELECT org_id, thresholds, enabled "
	    "FROM notify_org ORDER BY org_id",
	[ST_NOTIFY_CERT_OFF] = "INSERT INTO notify_cert_off (cert_id, "
	    "created_at) VALUES (?1, CAST(strftime('%s', 'now') AS INTEGER)) "
	    "ON CONFLICT (cert_id) DO NOTHING",
	[ST_NOTIFY_CERT_ON] = "DELETE FROM notify_cert_off WHERE cert_id = ?1",
	/* ?1 now, ?2 until, ?3 after_id, ?4 limit (-1 none). */
	[ST_NOTIFY_CAND] = "SELECT c.id, c.not_after, COALESCE(a.org_id, 0) "
	    "FROM certificate c LEFT JOIN application a ON a.id = c.app_id "
	    "WHERE c.status = 0 AND c.der IS NOT NULL "
	    "AND c.not_after > ?1 AND c.not_after <= ?2 AND c.id > ?3 "
	    /* renewed or reissued: a valid successor that outlives it */
	    "AND NOT EXISTS (SELECT 1 FROM certificate s "
	    "WHERE s.predecessor_id = c.id AND s.status = 0 "
	    "AND s.der IS NOT NULL AND s.not_after > c.not_after) "
	    "AND NOT EXISTS (SELECT 1 FROM notify_cert_off x "
	    "WHERE x.cert_id = c.id) "
	    "AND NOT EXISTS (SELECT 1 FROM notify_org g "
	    "WHERE g.org_id = a.org_id AND g.enabled = 0) "
	    "ORDER BY c.id LIMIT ?4",
	[ST_NOTICE_CLAIM] = "INSERT INTO notice (cert_id, threshold_days, "
	    "channel_id, status, attempts, next_attempt_at, created_at) "
	    "VALUES (?1, ?2, ?3, 0, 0, ?4, ?5) RETURNING id",
	[ST_NOTICE_DUE] = "SELECT id, cert_id, channel_id, threshold_days, "
	    "status, attempts, next_attempt_at, created_at, done_at "
	    "FROM notice WHERE status = 0 AND next_attempt_at <= ?1 "
	    "ORDER BY next_attempt_at, id LIMIT ?2",
	[ST_NOTICE_LEASE] = "UPDATE notice SET next_attempt_at = ?3 "
	    "WHERE id = ?1 AND status = 0 AND next_attempt_at = ?2",
	[ST_NOTICE_UPDATE] = "UPDATE notice SET status = ?2, attempts = ?3, "
	    "next_attempt_at = ?4, done_at = ?5 WHERE id = ?1",
	[ST_NOTIFY_DELIVERY_PUT] = "INSERT INTO notify_delivery (notice_id, "
	    "attempt, time, ok, code, error, next_attempt_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
	[ST_NOTIFY_DELIVERY_EACH] = "SELECT d.id, d.notice_id, d.attempt, "
	    "d.time, d.ok, d.code, d.error, d.next_attempt_at, n.cert_id, "
	    "n.channel_id, n.threshold_days FROM notify_delivery d "
	    "JOIN notice n ON n.id = d.notice_id ORDER BY d.id DESC LIMIT ?1",
	[ST_NOTIFY_CERT_OFF_EACH] = "SELECT cert_id, created_at "
	    "FROM notify_cert_off ORDER BY cert_id",
	[ST_NOTICE_EACH] = "SELECT id, cert_id, channel_id, threshold_days, "
	    "status, attempts, next_attempt_at, created_at, done_at "
	    "FROM notice ORDER BY id",
	/* Imports (certa store migrate): the row's own id. */
	[ST_NOTIFY_CHANNEL_IMPORT] = "INSERT INTO notify_channel (id, org_id, "
	    "kind, target, secret, enabled, created_at) VALUES (?1, ?2, ?3, "
	    "?4, ?5, ?6, ?7)",
	[ST_NOTIFY_CERT_OFF_IMPORT] = "INSERT INTO notify_cert_off (cert_id, "
	    "created_at) VALUES (?1, ?2)",
	[ST_NOTICE_IMPORT] = "INSERT INTO notice (id, cert_id, "
	    "threshold_days, channel_id, status, attempts, next_attempt_at, "
	    "created_at, done_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_NOTIFY_DELIVERY_IMPORT] = "INSERT INTO notify_delivery (id, "
	    "notice_id, attempt, time, ok, code, error, next_attempt_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
};

struct certa_store {
	struct certa_store_base	 base;
	sqlite3			*db;		/* owns */
	char			*path;		/* owns; for messages */
	int			 version;	/* schema version once open */
	sqlite3_stmt		*st[ST__COUNT];	/* owns; prepared lazily */
	/*
	 * sqlite_trust_generation_fast (HOW IT WORKS there); like the
	 * connection (SQLITE_OPEN_NOMUTEX), used by one thread at a time.
	 */
	int			 dir_watch;	/* inotify fd; -1: none */
	bool			 watch_tried;
	bool			 gen_known;
	uint64_t		 gen;		/* the last generation read */
	int64_t			 gen_read_ms;	/* when (certa_mono_ms) */
	int64_t			 recheck_until;	/* certa_mono_ms */
};

static certa_rc	sql_err(struct certa_store *, int, int, struct certa_err *,
		    const char *, ...) CERTA_PRINTF(5, 6);

/* Like CERTA_CHECK, for a SQLite result code src; needs s and err. */
#define SQL_CHECK(c, src, ...) do {					\
	if (!(c)) {							\
		rc = sql_err(s, (src), __LINE__, err, __VA_ARGS__);	\
		goto out;						\
	}								\
} while (0)

/*
 * Map a SQLite result code to certa_rc with an operator message: busy or
 * locked past the timeout is AGAIN, a UNIQUE violation CONFLICT, a missing
 * referenced row NOTFOUND, other constraints (NOT NULL, CHECK) INVAL,
 * anything else STORE with SQLite's own message.
 */
static certa_rc
sql_err(struct certa_store *s, int src, int line, struct certa_err *err,
    const char *fmt, ...)
{
	char		 what[256];
	const char	*msg;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	msg = sqlite3_errmsg(s->db);
	switch (src & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return certa_err_set(err, CERTA_E_AGAIN, __FILE__, line,
		    "%s: store '%s' stayed locked by another process for "
		    "%d s; try again", what, s->path, BUSY_TIMEOUT_MS / 1000);
	case SQLITE_CONSTRAINT:
		if (src == SQLITE_CONSTRAINT_UNIQUE ||
		    src == SQLITE_CONSTRAINT_PRIMARYKEY)
			return certa_err_set(err, CERTA_E_CONFLICT, __FILE__,
			    line, "%s: exists already (%s)", what, msg);
		if (src == SQLITE_CONSTRAINT_FOREIGNKEY)
			return certa_err_set(err, CERTA_E_NOTFOUND, __FILE__,
			    line, "%s: it refers to a row that does not exist "
			    "(%s)", what, msg);
		return certa_err_set(err, CERTA_E_INVAL, __FILE__, line,
		    "%s: %s", what, msg);
	case SQLITE_NOTADB:
		return certa_err_set(err, CERTA_E_STORE, __FILE__, line,
		    "%s: '%s' is not a SQLite database (%s)", what, s->path,
		    msg);
	case SQLITE_NOMEM:
		return certa_err_set(err, CERTA_E_NOMEM, __FILE__, line,
		    "%s: out of memory", what);
	default:
		return certa_err_set(err, CERTA_E_STORE, __FILE__, line,
		    "%s: %s (SQLite error %d, store '%s')", what, msg, src,
		    s->path);
	}
}

/* The cached statement id, or a private one if it is busy (see above). */
static certa_rc
stmt_get(struct certa_store *s, enum stmt_id id, sqlite3_stmt **out,
    struct certa_err *err)
{
	sqlite3_stmt	*st = s->st[id];
	int		 src;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	if (st != NULL && !sqlite3_stmt_busy(st)) {
		*out = st;
		goto out;
	}
	src = sqlite3_prepare_v3(s->db, stmt_sql[id], -1,
	    st == NULL ? SQLITE_PREPARE_PERSISTENT : 0, &st, NULL);
	SQL_CHECK(src == SQLITE_OK, src, "prepare query %d", (int)id);
	if (s->st[id] == NULL)
		s->st[id] = st;
	*out = st;
out:
	return rc;
}

/* Give back a statement from stmt_get(): reset or finalize it. */
static void
stmt_put(struct certa_store *s, enum stmt_id id, sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	if (st == s->st[id])
		sqlite3_reset(st);
	else
		sqlite3_finalize(st);
}

/*
 * Binding: each helper does nothing once *src holds an error, so a run of
 * binds is checked once.  Values are SQLITE_STATIC: the caller's memory
 * outlives the step.  A zero id binds NULL (a foreign key with no target).
 */
static void
bind_text(sqlite3_stmt *st, int i, const char *v, int *src)
{
	if (*src != SQLITE_OK)
		return;
	if (v == NULL)
		*src = sqlite3_bind_null(st, i);
	else
		*src = sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static void
bind_blob(sqlite3_stmt *st, int i, const void *v, size_t len, int *src)
{
	if (*src != SQLITE_OK)
		return;
	if (v == NULL)
		*src = sqlite3_bind_null(st, i);
	else
		*src = sqlite3_bind_blob64(st, i, v, (sqlite3_uint64)len,
		    SQLITE_STATIC);
}

static void
bind_int(sqlite3_stmt *st, int i, int64_t v, int *src)
{
	if (*src == SQLITE_OK)
		*src = sqlite3_bind_int64(st, i, v);
}

static void
bind_id(sqlite3_stmt *st, int i, int64_t v, int *src)
{
	if (*src != SQLITE_OK)
		return;
	if (v == 0)
		*src = sqlite3_bind_null(st, i);
	else
		*src = sqlite3_bind_int64(st, i, v);
}

/*
 * Column readers: borrowed (copy false: valid until the next step) or a
 * malloc'ed copy.  SQL NULL reads as NULL.  false only when out of memory.
 */
static bool
col_text(sqlite3_stmt *st, int i, bool copy, char **out)
{
	const unsigned char	*t;

	*out = NULL;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return true;
	if ((t = sqlite3_column_text(st, i)) == NULL)
		return false;
	*out = copy ? certa_strdup((const char *)t) : (char *)(uintptr_t)t;
	return *out != NULL;
}

static bool
col_blob(sqlite3_stmt *st, int i, bool copy, uint8_t **out, size_t *len)
{
	const void	*b;
	int		 n;

	*out = NULL;
	*len = 0;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return true;
	b = sqlite3_column_blob(st, i);
	n = sqlite3_column_bytes(st, i);	/* after _blob, per SQLite */
	if (b == NULL || n <= 0)
		return n == 0;
	if (!copy) {
		*out = (uint8_t *)(uintptr_t)b;
	} else {
		if ((*out = malloc((size_t)n)) == NULL)
			return false;
		memcpy(*out, b, (size_t)n);
	}
	*len = (size_t)n;
	return true;
}

/* A 64-hex hash column into a fixed array. */
static bool
col_hash(sqlite3_stmt *st, int i, char out[65])
{
	const unsigned char	*t = sqlite3_column_text(st, i);
	size_t			 n;

	out[0] = '\0';
	if (t == NULL)
		return sqlite3_column_type(st, i) == SQLITE_NULL;
	if ((n = strlen((const char *)t)) > 64)
		return false;
	memcpy(out, t, n + 1);
	return true;
}

static bool
read_org(sqlite3_stmt *st, struct certa_org_rec *r, bool copy)
{
	r->id = sqlite3_column_int64(st, 0);
	r->created_at = sqlite3_column_int64(st, 2);
	return col_text(st, 1, copy, &r->name);
}

static bool
read_app(sqlite3_stmt *st, struct certa_app_rec *r, bool copy)
{
	r->id = sqlite3_column_int64(st, 0);
	r->org_id = sqlite3_column_int64(st, 1);
	r->created_at = sqlite3_column_int64(st, 4);
	return col_text(st, 2, copy, &r->name) &&
	    col_text(st, 3, copy, &r->org_name);
}

static bool
read_ca(sqlite3_stmt *st, struct certa_ca_rec *r, bool copy)
{
	r->id = sqlite3_column_int64(st, 0);
	r->parent_id = sqlite3_column_int64(st, 3);
	r->crl_number = sqlite3_column_int64(st, 7);
	r->created_at = sqlite3_column_int64(st, 8);
	return col_text(st, 1, copy, &r->name) &&
	    col_text(st, 2, copy, &r->role) &&
	    col_text(st, 4, copy, &r->status) &&
	    col_blob(st, 5, copy, &r->cert_der, &r->cert_der_len) &&
	    col_text(st, 6, copy, &r->key_pem);
}

static bool
read_cert(sqlite3_stmt *st, struct certa_cert_rec *r, bool copy)
{
	r->id = sqlite3_column_int64(st, 0);
	r->ca_id = sqlite3_column_int64(st, 1);
	r->app_id = sqlite3_column_int64(st, 2);
	r->not_before = sqlite3_column_int64(st, 9);
	r->not_after = sqlite3_column_int64(st, 10);
	r->status = sqlite3_column_int(st, 11) == CERTA_CERT_REVOKED ?
	    CERTA_CERT_REVOKED : CERTA_CERT_VALID;
	r->revoked_at = sqlite3_column_int64(st, 12);
	r->reason = sqlite3_column_int(st, 13);
	r->predecessor_id = sqlite3_column_int64(st, 14);
	r->created_at = sqlite3_column_int64(st, 18);
	return col_text(st, 3, copy, &r->serial) &&
	    col_text(st, 4, copy, &r->type) &&
	    col_text(st, 5, copy, &r->profile) &&
	    col_text(st, 6, copy, &r->subject) &&
	    col_text(st, 7, copy, &r->sans) &&
	    col_text(st, 8, copy, &r->key_alg) &&
	    col_text(st, 15, copy, &r->fingerprint) &&
	    col_blob(st, 16, copy, &r->der, &r->der_len) &&
	    col_text(st, 17, copy, &r->key_pem);
}

static bool
read_audit(sqlite3_stmt *st, struct certa_audit_rec *r, bool copy)
{
	r->seq = sqlite3_column_int64(st, 0);
	r->time = sqlite3_column_int64(st, 1);
	return col_text(st, 2, copy, &r->actor) &&
	    col_text(st, 3, copy, &r->action) &&
	    col_text(st, 4, copy, &r->object) &&
	    col_text(st, 5, copy, &r->outcome) &&
	    col_text(st, 6, copy, &r->details) &&
	    col_hash(st, 7, r->prev_hash) &&
	    col_hash(st, 8, r->hash);
}

static bool
read_trust(sqlite3_stmt *st, struct certa_trust_rec *r, bool copy)
{
	r->id = sqlite3_column_int64(st, 0);
	r->not_before = sqlite3_column_int64(st, 8);
	r->not_after = sqlite3_column_int64(st, 9);
	r->first_seen = sqlite3_column_int64(st, 11);
	r->last_seen = sqlite3_column_int64(st, 12);
	r->attempts = sqlite3_column_int64(st, 13);
	return col_text(st, 1, copy, &r->alias) &&
	    col_text(st, 2, copy, &r->list) &&
	    col_blob(st, 3, copy, &r->der, &r->der_len) &&
	    col_text(st, 4, copy, &r->fingerprint) &&
	    col_text(st, 5, copy, &r->subject) &&
	    col_text(st, 6, copy, &r->issuer) &&
	    col_text(st, 7, copy, &r->serial) &&
	    col_text(st, 10, copy, &r->source) &&
	    col_text(st, 14, copy, &r->peer_addr);
}

static bool
read_trust_crl(sqlite3_stmt *st, struct certa_trust_crl_rec *r, bool copy)
{
	r->id = sqlite3_column_int64(st, 0);
	r->this_update = sqlite3_column_int64(st, 5);
	r->next_update = sqlite3_column_int64(st, 6);
	r->imported_at = sqlite3_column_int64(st, 9);
	return col_text(st, 1, copy, &r->issuer) &&
	    col_text(st, 2, copy, &r->issuer_hash) &&
	    col_text(st, 3, copy, &r->key_id) &&
	    col_text(st, 4, copy, &r->crl_number) &&
	    col_blob(st, 7, copy, &r->der, &r->der_len) &&
	    col_text(st, 8, copy, &r->fingerprint);
}

/* Step a statement that returns no row. */
static certa_rc
step_done(struct certa_store *s, sqlite3_stmt *st, const char *what,
    struct certa_err *err)
{
	int		 src;
	certa_rc	 rc = CERTA_OK;

	src = sqlite3_step(st);
	SQL_CHECK(src == SQLITE_DONE, src, "%s", what);
out:
	return rc;
}

/* Run a parameterless cached statement (BEGIN, COMMIT, ROLLBACK). */
static certa_rc
run(struct certa_store *s, enum stmt_id id, const char *what,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, id, &st, err));
	CERTA_TRY(step_done(s, st, what, err));
out:
	stmt_put(s, id, st);
	return rc;
}

/* Run fixed SQL text (pragmas, migrations); no caller data in it. */
static certa_rc
exec_sql(struct certa_store *s, const char *sql, const char *what,
    struct certa_err *err)
{
	int		 src;
	certa_rc	 rc = CERTA_OK;

	src = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	SQL_CHECK(src == SQLITE_OK, src, "%s", what);
out:
	return rc;
}

/*
 * The DSN's file name: "sqlite:PATH" or a bare PATH.  A bare DSN with a
 * URI-like scheme ("postgresql://", "postgres:") belongs to another
 * backend.
 */
static const char *
dsn_path(const char *dsn)
{
	const char	*p;

	if (strncmp(dsn, "sqlite:", 7) == 0)
		return dsn + 7;
	if (!isalpha((unsigned char)dsn[0]))
		return dsn;
	for (p = dsn; isalnum((unsigned char)*p) || *p == '+' || *p == '-' ||
	    *p == '.'; p++)
		;
	return *p == ':' ? NULL : dsn;
}

static int
sqlite_accepts(const char *dsn)
{
	return dsn_path(dsn) != NULL;
}

/* The version in schema_version, 0 when the table does not exist yet. */
static certa_rc
read_version(struct certa_store *s, int *version, struct certa_err *err)
{
	static const char	 probe[] = "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name = 'schema_version'";
	static const char	 get[] = "SELECT version FROM schema_version "
	    "WHERE id = 1";
	sqlite3_stmt		*st = NULL;
	int			 src;
	bool			 exists;
	certa_rc		 rc = CERTA_OK;

	*version = 0;
	src = sqlite3_prepare_v3(s->db, probe, -1, 0, &st, NULL);
	SQL_CHECK(src == SQLITE_OK, src, "read the schema of '%s'", s->path);
	src = sqlite3_step(st);
	SQL_CHECK(src == SQLITE_ROW, src, "read the schema of '%s'", s->path);
	exists = sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	st = NULL;
	if (!exists)
		goto out;
	src = sqlite3_prepare_v3(s->db, get, -1, 0, &st, NULL);
	SQL_CHECK(src == SQLITE_OK, src, "'%s' is not a certa store: read "
	    "its schema version", s->path);
	src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	else
		SQL_CHECK(src == SQLITE_DONE, src, "read the schema version "
		    "of '%s'", s->path);
out:
	sqlite3_finalize(st);
	return rc;
}

static certa_rc
write_version(struct certa_store *s, int version, struct certa_err *err)
{
	static const char	 set[] = "UPDATE schema_version SET version = ?1 "
	    "WHERE id = 1";
	sqlite3_stmt		*st = NULL;
	int			 src;
	certa_rc		 rc = CERTA_OK;

	src = sqlite3_prepare_v3(s->db, set, -1, 0, &st, NULL);
	SQL_CHECK(src == SQLITE_OK, src, "record schema version %d", version);
	src = sqlite3_bind_int(st, 1, version);
	SQL_CHECK(src == SQLITE_OK, src, "record schema version %d", version);
	CERTA_TRY(step_done(s, st, "record the schema version", err));
out:
	sqlite3_finalize(st);
	return rc;
}

/*
 * HOW IT WORKS: migrations.
 *
 * The build embeds src/store/schema/NNN_*.sql as certa_schema[], in version
 * order.  The database keeps the version it is at in a one-row table
 * schema_version.  Opening reads it without a write lock: the common case
 * (up to date) costs one read.  A version newer than this build knows is
 * refused, never touched.  Otherwise, under BEGIN IMMEDIATE (the write
 * lock: a second process opening a fresh file waits here), the version is
 * read again and every newer migration is applied, with the version, in
 * that one transaction: a crash leaves the old schema or the new one.
 */
static certa_rc
migrate(struct certa_store *s, struct certa_err *err)
{
	int		 known = 0, version = 0;
	bool		 in_tx = false;
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
	    s->path, version, known);

	CERTA_TRY(exec_sql(s, "BEGIN IMMEDIATE", "lock the store to migrate "
	    "it", err));
	in_tx = true;
	CERTA_TRY(exec_sql(s, "CREATE TABLE IF NOT EXISTS schema_version ("
	    "id INTEGER PRIMARY KEY CHECK (id = 1), "
	    "version INTEGER NOT NULL); "
	    "INSERT OR IGNORE INTO schema_version (id, version) VALUES (1, 0)",
	    "create the schema_version table", err));
	CERTA_TRY(read_version(s, &version, err));
	CERTA_CHECK(version <= known, CERTA_E_CONFLICT, "store at %s has "
	    "schema version %d but this certa knows up to %d: upgrade certa",
	    s->path, version, known);
	for (i = 0; i < certa_schema_count; i++) {
		const struct certa_migration	*m = &certa_schema[i];
		char				 what[128];

		if (m->version <= version)
			continue;
		snprintf(what, sizeof(what), "apply migration %s", m->name);
		CERTA_TRY(exec_sql(s, m->sql, what, err));
		CERTA_TRY(write_version(s, m->version, err));
	}
	CERTA_TRY(exec_sql(s, "COMMIT", "commit the migrations", err));
	in_tx = false;
	version = known;
done:
	s->version = version;
out:
	if (in_tx)
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static void
sqlite_close(struct certa_store *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->st[i]);
	if (s->dir_watch >= 0)
		close(s->dir_watch);
	if (s->db != NULL) {
		if (!sqlite3_get_autocommit(s->db))
			(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL,
			    NULL);
		sqlite3_close(s->db);
	}
	free(s->path);
	free(s);
}

static certa_rc
sqlite_open(struct certa_store **out, const char *dsn, struct certa_err *err)
{
	struct certa_store	*s = NULL;
	const char		*path = dsn_path(dsn);
	const unsigned char	*mode;
	sqlite3_stmt		*st = NULL;
	int			 fd = -1, src, waited;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK(path != NULL && *path != '\0', CERTA_E_STORE,
	    "store '%s' names no SQLite file", dsn);
	CERTA_CHECK((s = calloc(1, sizeof(*s))) != NULL, CERTA_E_NOMEM,
	    "open store: out of memory");
	s->base.ops = &certa_store_sqlite_ops;
	s->dir_watch = -1;
	CERTA_CHECK((s->path = certa_strdup(path)) != NULL, CERTA_E_NOMEM,
	    "open store: out of memory");

	/*
	 * SQLite would create the file 0644 (less umask).  Create it 0600
	 * first; SQLite gives its -wal and -shm files the same mode.  Only a
	 * new file (O_EXCL): close() drops every POSIX lock this process
	 * holds on the file, so closing an fd of a database that another
	 * handle of this process has open (the daemon's notification
	 * thread) would let another process delete the WAL under it.
	 */
	if (strcmp(path, ":memory:") != 0) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOCTTY, 0600);
		CERTA_CHECK(fd >= 0 || errno == EEXIST, CERTA_E_STORE,
		    "cannot open store '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	src = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	SQL_CHECK(src == SQLITE_OK, src, "open store '%s'", path);
	sqlite3_extended_result_codes(s->db, 1);
	(void)sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);

	/* Two certa processes at once wait for each other, up to 10 s. */
	src = sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	SQL_CHECK(src == SQLITE_OK, src, "set the busy timeout");
	CERTA_TRY(exec_sql(s, BUSY_TIMEOUT_PRAGMA, "set the busy timeout",
	    err));

	/*
	 * WAL: readers (OCSP, CRL builds) never block the writer.  With
	 * synchronous=FULL each commit is fsync'ed before it returns: a
	 * certificate handed to a caller survives a power cut.
	 */
	src = sqlite3_prepare_v3(s->db, "PRAGMA journal_mode = WAL", -1, 0,
	    &st, NULL);
	SQL_CHECK(src == SQLITE_OK, src, "open store '%s'", path);
	/*
	 * Switching a fresh file to WAL takes an exclusive lock, and SQLite
	 * answers BUSY at once there instead of calling the busy handler
	 * (two processes opening a new store together), so wait here.
	 */
	for (waited = 0; ; waited += 10) {
		src = sqlite3_step(st);
		if ((src & 0xff) != SQLITE_BUSY || waited >= BUSY_TIMEOUT_MS)
			break;
		sqlite3_reset(st);
		sqlite3_sleep(10);
	}
	SQL_CHECK(src == SQLITE_ROW, src, "open store '%s': set WAL mode",
	    path);
	mode = sqlite3_column_text(st, 0);
	CERTA_CHECK(mode != NULL && (strcmp((const char *)mode, "wal") == 0 ||
	    strcmp(path, ":memory:") == 0), CERTA_E_STORE, "store '%s' "
	    "cannot use WAL mode (journal mode is %s)", path,
	    mode != NULL ? (const char *)mode : "unknown");
	sqlite3_finalize(st);
	st = NULL;
	/*
	 * A 32 MiB page cache: serials are random, so index inserts land on
	 * random B-tree pages; with SQLite's 2 MiB default a large batch keeps
	 * re-reading evicted pages from the OS.  Checkpoints every 10,000
	 * WAL pages rather than 1,000: the same index pages are rewritten by
	 * many commits, and a checkpoint copies each once (and syncs the
	 * database file once); the WAL is cut back to 16 MiB after one.
	 */
	CERTA_TRY(exec_sql(s, "PRAGMA synchronous = FULL; "
	    "PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768; "
	    "PRAGMA wal_autocheckpoint = 10000; "
	    "PRAGMA journal_size_limit = 16777216",
	    "open store: set pragmas", err));

	CERTA_TRY(migrate(s, err));
	*out = s;
	s = NULL;
out:
	sqlite3_finalize(st);
	sqlite_close(s);
	return rc;
}

static int
sqlite_schema_version(const struct certa_store *s)
{
	return s->version;
}

static certa_rc
sqlite_begin(struct certa_store *s, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(sqlite3_get_autocommit(s->db), CERTA_E_INVAL, "begin a "
	    "transaction on '%s': one is open already (they do not nest)",
	    s->path);
	CERTA_TRY(run(s, ST_BEGIN, "begin a transaction", err));
out:
	return rc;
}

/*
 * AGAIN (busy) leaves the transaction open: the caller rolls back.  Other
 * failures may have rolled it back already; rollback is then a no-op.
 */
static certa_rc
sqlite_commit(struct certa_store *s, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(!sqlite3_get_autocommit(s->db), CERTA_E_INVAL,
	    "commit on '%s': no transaction is open", s->path);
	CERTA_TRY(run(s, ST_COMMIT, "commit", err));
out:
	return rc;
}

static void
sqlite_rollback(struct certa_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void)run(s, ST_ROLLBACK, "roll back", NULL);
}

static certa_rc
sqlite_meta_get(struct certa_store *s, const char *key, char **out,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_META_GET, &st, err));
	bind_text(st, 1, key, &src);
	SQL_CHECK(src == SQLITE_OK, src, "read setting '%s'", key);
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_DONE, CERTA_E_NOTFOUND, "no setting '%s' "
	    "in the store", key);
	SQL_CHECK(src == SQLITE_ROW, src, "read setting '%s'", key);
	CERTA_CHECK(col_text(st, 0, true, out), CERTA_E_NOMEM,
	    "read setting '%s': out of memory", key);
out:
	stmt_put(s, ST_META_GET, st);
	return rc;
}

static certa_rc
sqlite_meta_set(struct certa_store *s, const char *key, const char *value,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_META_SET, &st, err));
	bind_text(st, 1, key, &src);
	bind_text(st, 2, value, &src);
	SQL_CHECK(src == SQLITE_OK, src, "write setting '%s'", key);
	src = sqlite3_step(st);
	SQL_CHECK(src == SQLITE_DONE, src, "write setting '%s'", key);
out:
	stmt_put(s, ST_META_SET, st);
	return rc;
}

static certa_rc
sqlite_org_put(struct certa_store *s, struct certa_org_rec *rec,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	if (rec->created_at == 0)
		rec->created_at = certa_now();
	CERTA_TRY(stmt_get(s, ST_ORG_PUT, &st, err));
	bind_text(st, 1, rec->name, &src);
	bind_int(st, 2, rec->created_at, &src);
	SQL_CHECK(src == SQLITE_OK, src, "add organisation '%s'", rec->name);
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_CONSTRAINT_UNIQUE, CERTA_E_CONFLICT,
	    "organisation '%s' exists already", rec->name);
	SQL_CHECK(src == SQLITE_DONE, src, "add organisation '%s'",
	    rec->name);
	rec->id = sqlite3_last_insert_rowid(s->db);
out:
	stmt_put(s, ST_ORG_PUT, st);
	return rc;
}

static certa_rc
sqlite_org_get(struct certa_store *s, int64_t id, const char *name,
    struct certa_org_rec *out, struct certa_err *err)
{
	enum stmt_id	 sid = name != NULL ? ST_ORG_GET_NAME : ST_ORG_GET_ID;
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, sid, &st, err));
	if (name != NULL)
		bind_text(st, 1, name, &src);
	else
		bind_int(st, 1, id, &src);
	SQL_CHECK(src == SQLITE_OK, src, "read organisation");
	src = sqlite3_step(st);
	if (src == SQLITE_DONE && name != NULL)
		CERTA_FAIL(CERTA_E_NOTFOUND, "no organisation '%s'", name);
	CERTA_CHECK(src != SQLITE_DONE, CERTA_E_NOTFOUND, "no organisation "
	    "with id %lld", (long long)id);
	SQL_CHECK(src == SQLITE_ROW, src, "read organisation");
	CERTA_CHECK(read_org(st, out, true), CERTA_E_NOMEM, "read "
	    "organisation: out of memory");
out:
	stmt_put(s, sid, st);
	if (rc != CERTA_OK)
		certa_org_rec_clear(out);
	return rc;
}

static certa_rc
sqlite_org_each(struct certa_store *s, certa_store_org_fn fn, void *arg,
    struct certa_err *err)
{
	struct certa_org_rec	 rec;
	sqlite3_stmt		*st = NULL;
	int			 src;
	certa_rc		 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_ORG_EACH, &st, err));
	memset(&rec, 0, sizeof(rec));
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		CERTA_CHECK(read_org(st, &rec, false), CERTA_E_NOMEM,
		    "list organisations: out of memory");
		CERTA_TRY(fn(&rec, arg));
	}
	SQL_CHECK(src == SQLITE_DONE, src, "list organisations");
out:
	stmt_put(s, ST_ORG_EACH, st);
	return rc;
}

static certa_rc
sqlite_app_put(struct certa_store *s, struct certa_app_rec *rec,
    struct certa_err *err)
{
	struct certa_org_rec	 org;
	sqlite3_stmt		*st = NULL;
	int			 src = SQLITE_OK;
	certa_rc		 rc = CERTA_OK;

	memset(&org, 0, sizeof(org));
	if (rec->created_at == 0)
		rec->created_at = certa_now();
	CERTA_TRY(stmt_get(s, ST_APP_PUT, &st, err));
	bind_int(st, 1, rec->org_id, &src);
	bind_text(st, 2, rec->name, &src);
	bind_int(st, 3, rec->created_at, &src);
	SQL_CHECK(src == SQLITE_OK, src, "add application '%s'", rec->name);
	src = sqlite3_step(st);
	if (src == SQLITE_CONSTRAINT_UNIQUE) {
		/* Name the organisation for the operator, if we can. */
		if (sqlite_org_get(s, rec->org_id, NULL, &org, NULL) ==
		    CERTA_OK)
			CERTA_FAIL(CERTA_E_CONFLICT, "application '%s' exists "
			    "already in organisation '%s'", rec->name,
			    org.name);
		CERTA_FAIL(CERTA_E_CONFLICT, "application '%s' exists already "
		    "in organisation %lld", rec->name, (long long)rec->org_id);
	}
	CERTA_CHECK(src != SQLITE_CONSTRAINT_FOREIGNKEY, CERTA_E_NOTFOUND,
	    "add application '%s': no organisation with id %lld", rec->name,
	    (long long)rec->org_id);
	SQL_CHECK(src == SQLITE_DONE, src, "add application '%s'", rec->name);
	rec->id = sqlite3_last_insert_rowid(s->db);
out:
	stmt_put(s, ST_APP_PUT, st);
	certa_org_rec_clear(&org);
	return rc;
}

static certa_rc
sqlite_app_get(struct certa_store *s, int64_t id, struct certa_app_rec *out,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_APP_GET, &st, err));
	bind_int(st, 1, id, &src);
	SQL_CHECK(src == SQLITE_OK, src, "read application %lld",
	    (long long)id);
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_DONE, CERTA_E_NOTFOUND, "no application "
	    "with id %lld", (long long)id);
	SQL_CHECK(src == SQLITE_ROW, src, "read application %lld",
	    (long long)id);
	CERTA_CHECK(read_app(st, out, true), CERTA_E_NOMEM, "read "
	    "application: out of memory");
out:
	stmt_put(s, ST_APP_GET, st);
	if (rc != CERTA_OK)
		certa_app_rec_clear(out);
	return rc;
}

static certa_rc
sqlite_app_find(struct certa_store *s, const char *org_name,
    const char *name, struct certa_app_rec *out, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_APP_FIND, &st, err));
	bind_text(st, 1, name, &src);
	bind_text(st, 2, org_name, &src);
	SQL_CHECK(src == SQLITE_OK, src, "find application '%s'", name);
	src = sqlite3_step(st);
	if (src == SQLITE_DONE && org_name != NULL)
		CERTA_FAIL(CERTA_E_NOTFOUND, "no application '%s' in "
		    "organisation '%s'", name, org_name);
	CERTA_CHECK(src != SQLITE_DONE, CERTA_E_NOTFOUND, "no application "
	    "'%s'", name);
	SQL_CHECK(src == SQLITE_ROW, src, "find application '%s'", name);
	CERTA_CHECK(read_app(st, out, true), CERTA_E_NOMEM, "find "
	    "application: out of memory");
	src = sqlite3_step(st);
	/* (org_id, name) is unique, so a second row means several orgs. */
	CERTA_CHECK(src != SQLITE_ROW, CERTA_E_CONFLICT, "application '%s' "
	    "exists in several organisations ('%s', '%s', ...): name the "
	    "organisation", name, out->org_name,
	    (const char *)sqlite3_column_text(st, 3));
	SQL_CHECK(src == SQLITE_DONE, src, "find application '%s'", name);
out:
	stmt_put(s, ST_APP_FIND, st);
	if (rc != CERTA_OK)
		certa_app_rec_clear(out);
	return rc;
}

static certa_rc
sqlite_app_each(struct certa_store *s, int64_t org_id, certa_store_app_fn fn,
    void *arg, struct certa_err *err)
{
	struct certa_app_rec	 rec;
	sqlite3_stmt		*st = NULL;
	int			 src = SQLITE_OK;
	certa_rc		 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_APP_EACH, &st, err));
	bind_int(st, 1, org_id, &src);
	SQL_CHECK(src == SQLITE_OK, src, "list applications");
	memset(&rec, 0, sizeof(rec));
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		CERTA_CHECK(read_app(st, &rec, false), CERTA_E_NOMEM,
		    "list applications: out of memory");
		CERTA_TRY(fn(&rec, arg));
	}
	SQL_CHECK(src == SQLITE_DONE, src, "list applications");
out:
	stmt_put(s, ST_APP_EACH, st);
	return rc;
}

static certa_rc
sqlite_ca_put(struct certa_store *s, struct certa_ca_rec *rec,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	if (rec->created_at == 0)
		rec->created_at = certa_now();
	CERTA_TRY(stmt_get(s, ST_CA_PUT, &st, err));
	bind_text(st, 1, rec->name, &src);
	bind_text(st, 2, rec->role, &src);
	bind_id(st, 3, rec->parent_id, &src);
	bind_text(st, 4, rec->status != NULL ? rec->status : "active", &src);
	bind_blob(st, 5, rec->cert_der, rec->cert_der_len, &src);
	bind_text(st, 6, rec->key_pem, &src);
	bind_int(st, 7, rec->crl_number, &src);
	bind_int(st, 8, rec->created_at, &src);
	SQL_CHECK(src == SQLITE_OK, src, "add CA '%s'", rec->name);
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_CONSTRAINT_UNIQUE, CERTA_E_CONFLICT,
	    "CA '%s' exists already", rec->name);
	SQL_CHECK(src == SQLITE_DONE, src, "add CA '%s'", rec->name);
	rec->id = sqlite3_last_insert_rowid(s->db);
out:
	stmt_put(s, ST_CA_PUT, st);
	return rc;
}

static certa_rc
sqlite_ca_get(struct certa_store *s, int64_t id, struct certa_ca_rec *out,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_CA_GET, &st, err));
	bind_int(st, 1, id, &src);
	SQL_CHECK(src == SQLITE_OK, src, "read CA %lld", (long long)id);
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_DONE, CERTA_E_NOTFOUND, "no CA with id "
	    "%lld", (long long)id);
	SQL_CHECK(src == SQLITE_ROW, src, "read CA %lld", (long long)id);
	CERTA_CHECK(read_ca(st, out, true), CERTA_E_NOMEM, "read CA: out of "
	    "memory");
out:
	stmt_put(s, ST_CA_GET, st);
	if (rc != CERTA_OK)
		certa_ca_rec_clear(out);
	return rc;
}

static certa_rc
sqlite_ca_get_active(struct certa_store *s, const char *role,
    struct certa_ca_rec *out, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_CA_GET_ACTIVE, &st, err));
	bind_text(st, 1, role, &src);
	SQL_CHECK(src == SQLITE_OK, src, "read the active %s CA", role);
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_DONE, CERTA_E_NOTFOUND, "no active %s CA",
	    role);
	SQL_CHECK(src == SQLITE_ROW, src, "read the active %s CA", role);
	CERTA_CHECK(read_ca(st, out, true), CERTA_E_NOMEM, "read CA: out of "
	    "memory");
out:
	stmt_put(s, ST_CA_GET_ACTIVE, st);
	if (rc != CERTA_OK)
		certa_ca_rec_clear(out);
	return rc;
}

static certa_rc
sqlite_ca_each(struct certa_store *s, certa_store_ca_fn fn, void *arg,
    struct certa_err *err)
{
	struct certa_ca_rec	 rec;
	sqlite3_stmt		*st = NULL;
	int			 src;
	certa_rc		 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_CA_EACH, &st, err));
	memset(&rec, 0, sizeof(rec));
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		CERTA_CHECK(read_ca(st, &rec, false), CERTA_E_NOMEM,
		    "list CAs: out of memory");
		CERTA_TRY(fn(&rec, arg));
	}
	SQL_CHECK(src == SQLITE_DONE, src, "list CAs");
out:
	stmt_put(s, ST_CA_EACH, st);
	return rc;
}

/* RFC 5280 §5.2.3: the CRL number is monotonically increasing. */
static certa_rc
sqlite_ca_next_crl_number(struct certa_store *s, int64_t ca_id,
    int64_t *out, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int64_t		 n;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_CA_NEXT_CRL, &st, err));
	bind_int(st, 1, ca_id, &src);
	SQL_CHECK(src == SQLITE_OK, src, "next CRL number of CA %lld",
	    (long long)ca_id);
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_DONE, CERTA_E_NOTFOUND, "no CA with id "
	    "%lld", (long long)ca_id);
	SQL_CHECK(src == SQLITE_ROW, src, "next CRL number of CA %lld",
	    (long long)ca_id);
	n = sqlite3_column_int64(st, 0);
	src = sqlite3_step(st);
	SQL_CHECK(src == SQLITE_DONE, src, "next CRL number of CA %lld",
	    (long long)ca_id);
	*out = n;
out:
	stmt_put(s, ST_CA_NEXT_CRL, st);
	return rc;
}

/* Stored serials: lower-case hex without leading zeros (the CA's job). */
static bool
serial_is_normal(const char *p)
{
	size_t	 n = 0;

	if (p[0] == '0' && p[1] != '\0')
		return false;
	for (; p[n] != '\0'; n++)
		if (!isdigit((unsigned char)p[n]) && (p[n] < 'a' ||
		    p[n] > 'f'))
			return false;
	return n > 0 && n <= SERIAL_HEX_MAX;
}

static certa_rc
sqlite_cert_reserve(struct certa_store *s, struct certa_cert_rec *rec,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(serial_is_normal(rec->serial), CERTA_E_INVAL, "reserve "
	    "serial '%s': not lower-case hex without leading zeros, or longer "
	    "than 20 octets", rec->serial);
	if (rec->created_at == 0)
		rec->created_at = certa_now();
	CERTA_TRY(stmt_get(s, ST_CERT_RESERVE, &st, err));
	bind_int(st, 1, rec->ca_id, &src);
	bind_id(st, 2, rec->app_id, &src);
	bind_text(st, 3, rec->serial, &src);
	bind_text(st, 4, rec->type, &src);
	bind_text(st, 5, rec->profile, &src);
	bind_text(st, 6, rec->subject, &src);
	bind_text(st, 7, rec->sans, &src);
	bind_text(st, 8, rec->key_alg, &src);
	bind_int(st, 9, rec->not_before, &src);
	bind_int(st, 10, rec->not_after, &src);
	bind_id(st, 11, rec->predecessor_id, &src);
	bind_text(st, 12, rec->fingerprint, &src);
	bind_blob(st, 13, rec->der, rec->der_len, &src);
	bind_text(st, 14, rec->key_pem, &src);
	bind_int(st, 15, rec->created_at, &src);
	SQL_CHECK(src == SQLITE_OK, src, "reserve serial %s", rec->serial);
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_CONSTRAINT_UNIQUE, CERTA_E_CONFLICT,
	    "serial %s exists already under CA %lld", rec->serial,
	    (long long)rec->ca_id);
	SQL_CHECK(src == SQLITE_DONE, src, "reserve serial %s under CA %lld",
	    rec->serial, (long long)rec->ca_id);
	rec->id = sqlite3_last_insert_rowid(s->db);
	rec->status = CERTA_CERT_VALID;
	rec->revoked_at = 0;
	rec->reason = CERTA_REASON_NONE;
out:
	stmt_put(s, ST_CERT_RESERVE, st);
	return rc;
}

/* Run a bound import statement (src: the binds' result) and put it back. */
static certa_rc
import_step(struct certa_store *s, enum stmt_id sid, sqlite3_stmt *st,
    int src, const char *what, int64_t id, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	SQL_CHECK(src == SQLITE_OK, src, "import %s %lld", what,
	    (long long)id);
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_CONSTRAINT_UNIQUE &&
	    src != SQLITE_CONSTRAINT_PRIMARYKEY, CERTA_E_CONFLICT, "import %s "
	    "%lld: its id, name or serial is taken", what, (long long)id);
	SQL_CHECK(src == SQLITE_DONE, src, "import %s %lld", what,
	    (long long)id);
out:
	stmt_put(s, sid, st);
	return rc;
}

static certa_rc
sqlite_org_import(struct certa_store *s, const struct certa_org_rec *rec,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_ORG_IMPORT, &st, err));
	bind_int(st, 1, rec->id, &src);
	bind_text(st, 2, rec->name, &src);
	bind_int(st, 3, rec->created_at, &src);
	return import_step(s, ST_ORG_IMPORT, st, src, "organisation", rec->id,
	    err);
out:
	return rc;
}

static certa_rc
sqlite_app_import(struct certa_store *s, const struct certa_app_rec *rec,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_APP_IMPORT, &st, err));
	bind_int(st, 1, rec->id, &src);
	bind_int(st, 2, rec->org_id, &src);
	bind_text(st, 3, rec->name, &src);
	bind_int(st, 4, rec->created_at, &src);
	return import_step(s, ST_APP_IMPORT, st, src, "application", rec->id,
	    err);
out:
	return rc;
}

static certa_rc
sqlite_ca_import(struct certa_store *s, const struct certa_ca_rec *rec,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_CA_IMPORT, &st, err));
	bind_int(st, 1, rec->id, &src);
	bind_text(st, 2, rec->name, &src);
	bind_text(st, 3, rec->role, &src);
	bind_id(st, 4, rec->parent_id, &src);
	bind_text(st, 5, rec->status, &src);
	bind_blob(st, 6, rec->cert_der, rec->cert_der_len, &src);
	bind_text(st, 7, rec->key_pem, &src);
	bind_int(st, 8, rec->crl_number, &src);
	bind_int(st, 9, rec->created_at, &src);
	return import_step(s, ST_CA_IMPORT, st, src, "CA", rec->id, err);
out:
	return rc;
}

static certa_rc
sqlite_cert_import(struct certa_store *s, const struct certa_cert_rec *rec,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(serial_is_normal(rec->serial), CERTA_E_INVAL, "import "
	    "certificate %lld: serial '%s' is not in normal form",
	    (long long)rec->id, rec->serial);
	CERTA_TRY(stmt_get(s, ST_CERT_IMPORT, &st, err));
	bind_int(st, 1, rec->id, &src);
	bind_int(st, 2, rec->ca_id, &src);
	bind_id(st, 3, rec->app_id, &src);
	bind_text(st, 4, rec->serial, &src);
	bind_text(st, 5, rec->type, &src);
	bind_text(st, 6, rec->profile, &src);
	bind_text(st, 7, rec->subject, &src);
	bind_text(st, 8, rec->sans, &src);
	bind_text(st, 9, rec->key_alg, &src);
	bind_int(st, 10, rec->not_before, &src);
	bind_int(st, 11, rec->not_after, &src);
	bind_int(st, 12, (int64_t)rec->status, &src);
	bind_int(st, 13, rec->revoked_at, &src);
	bind_int(st, 14, rec->reason, &src);
	bind_id(st, 15, rec->predecessor_id, &src);
	bind_text(st, 16, rec->fingerprint, &src);
	bind_blob(st, 17, rec->der, rec->der_len, &src);
	bind_text(st, 18, rec->key_pem, &src);
	bind_int(st, 19, rec->created_at, &src);
	return import_step(s, ST_CERT_IMPORT, st, src, "certificate", rec->id,
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
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_CERT_PROBE, &st, err));
	bind_int(st, 1, id, &src);
	SQL_CHECK(src == SQLITE_OK, src, "read certificate %lld",
	    (long long)id);
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_DONE, CERTA_E_NOTFOUND, "no certificate "
	    "with id %lld", (long long)id);
	SQL_CHECK(src == SQLITE_ROW, src, "read certificate %lld",
	    (long long)id);
	if (revoking)
		CERTA_FAIL(CERTA_E_CONFLICT, "certificate %lld is revoked "
		    "already", (long long)id);
	CERTA_FAIL(CERTA_E_CONFLICT, "certificate %lld has its DER already",
	    (long long)id);
out:
	stmt_put(s, ST_CERT_PROBE, st);
	return rc;
}

static certa_rc
sqlite_cert_finish(struct certa_store *s, int64_t id, const uint8_t *der,
    size_t der_len, const char *fingerprint, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_CERT_FINISH, &st, err));
	bind_int(st, 1, id, &src);
	bind_blob(st, 2, der, der_len, &src);
	bind_text(st, 3, fingerprint, &src);
	SQL_CHECK(src == SQLITE_OK, src, "store certificate %lld",
	    (long long)id);
	CERTA_TRY(step_done(s, st, "store a signed certificate", err));
	if (sqlite3_changes(s->db) == 0)
		CERTA_TRY(cert_probe(s, id, false, err));
out:
	stmt_put(s, ST_CERT_FINISH, st);
	return rc;
}

static certa_rc
sqlite_cert_get(struct certa_store *s, int64_t id, struct certa_cert_rec *out,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_CERT_GET, &st, err));
	bind_int(st, 1, id, &src);
	SQL_CHECK(src == SQLITE_OK, src, "read certificate %lld",
	    (long long)id);
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_DONE, CERTA_E_NOTFOUND, "no certificate "
	    "with id %lld", (long long)id);
	SQL_CHECK(src == SQLITE_ROW, src, "read certificate %lld",
	    (long long)id);
	CERTA_CHECK(read_cert(st, out, true), CERTA_E_NOMEM, "read "
	    "certificate: out of memory");
out:
	stmt_put(s, ST_CERT_GET, st);
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
sqlite_cert_get_serial(struct certa_store *s, const char *serial,
    struct certa_cert_rec *out, struct certa_err *err)
{
	char		 hex[SERIAL_HEX_MAX + 1];
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(serial_normalise(serial, hex, err));
	CERTA_TRY(stmt_get(s, ST_CERT_GET_SERIAL, &st, err));
	bind_text(st, 1, hex, &src);
	SQL_CHECK(src == SQLITE_OK, src, "read certificate %s", hex);
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_DONE, CERTA_E_NOTFOUND, "no certificate "
	    "with serial %s", hex);
	SQL_CHECK(src == SQLITE_ROW, src, "read certificate %s", hex);
	CERTA_CHECK(read_cert(st, out, true), CERTA_E_NOMEM, "read "
	    "certificate: out of memory");
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_ROW, CERTA_E_CONFLICT, "serial %s exists "
	    "under several CAs (%lld, %lld, ...): look it up by id", hex,
	    (long long)out->ca_id, (long long)sqlite3_column_int64(st, 1));
	SQL_CHECK(src == SQLITE_DONE, src, "read certificate %s", hex);
out:
	stmt_put(s, ST_CERT_GET_SERIAL, st);
	if (rc != CERTA_OK)
		certa_cert_rec_clear(out);
	return rc;
}

static certa_rc
sqlite_cert_each(struct certa_store *s, const struct certa_cert_filter *f,
    certa_store_cert_fn fn, void *arg, struct certa_err *err)
{
	enum stmt_id		 sid = f->app_id != 0 ? ST_CERT_EACH_APP :
				    ST_CERT_EACH;
	struct certa_cert_rec	 rec;
	sqlite3_stmt		*st = NULL;
	int			 src = SQLITE_OK;
	certa_rc		 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, sid, &st, err));
	bind_int(st, 1, f->app_id, &src);
	bind_int(st, 2, f->ca_id, &src);
	bind_text(st, 3, f->type, &src);
	bind_int(st, 4, f->status, &src);
	bind_int(st, 5, f->not_after_min, &src);
	bind_int(st, 6, f->not_after_max, &src);
	bind_int(st, 7, f->after_id, &src);
	bind_int(st, 8, f->limit == 0 || f->limit > INT64_MAX ? -1 :
	    (int64_t)f->limit, &src);
	SQL_CHECK(src == SQLITE_OK, src, "list certificates");
	memset(&rec, 0, sizeof(rec));
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		CERTA_CHECK(read_cert(st, &rec, false), CERTA_E_NOMEM,
		    "list certificates: out of memory");
		CERTA_TRY(fn(&rec, arg));
	}
	SQL_CHECK(src == SQLITE_DONE, src, "list certificates");
out:
	stmt_put(s, sid, st);
	return rc;
}

static certa_rc	own_begin(struct certa_store *, bool *, struct certa_err *);
static certa_rc	own_end(struct certa_store *, bool, certa_rc,
		    struct certa_err *);
static certa_rc	trust_bump(struct certa_store *, struct certa_err *);

static certa_rc
sqlite_cert_revoke(struct certa_store *s, int64_t id, int64_t revoked_at,
    int reason, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	bool		 own = false;

	/* certa_ca validators hold the revoked serials: bump (HOW IT WORKS
	 * at trust_bump). */
	CERTA_TRY(own_begin(s, &own, err));
	CERTA_TRY(stmt_get(s, ST_CERT_REVOKE, &st, err));
	bind_int(st, 1, id, &src);
	bind_int(st, 2, revoked_at, &src);
	bind_int(st, 3, reason, &src);
	SQL_CHECK(src == SQLITE_OK, src, "revoke certificate %lld",
	    (long long)id);
	CERTA_TRY(step_done(s, st, "revoke a certificate", err));
	if (sqlite3_changes(s->db) == 0)
		CERTA_TRY(cert_probe(s, id, true, err));
	CERTA_TRY(trust_bump(s, err));
out:
	stmt_put(s, ST_CERT_REVOKE, st);
	return own_end(s, own, rc, err);
}

/* The CRL's hot loop: no allocation per row, the serial is borrowed. */
static certa_rc
sqlite_revoked_each(struct certa_store *s, int64_t ca_id,
    certa_store_revoked_fn fn, void *arg, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	const char	*serial;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_REVOKED_EACH, &st, err));
	bind_int(st, 1, ca_id, &src);
	SQL_CHECK(src == SQLITE_OK, src, "list revoked certificates");
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		serial = (const char *)sqlite3_column_text(st, 0);
		CERTA_CHECK(serial != NULL, CERTA_E_NOMEM, "list revoked "
		    "certificates: out of memory");
		CERTA_TRY(fn(serial, sqlite3_column_int64(st, 1),
		    sqlite3_column_int(st, 2), arg));
	}
	SQL_CHECK(src == SQLITE_DONE, src, "list revoked certificates of CA "
	    "%lld", (long long)ca_id);
out:
	stmt_put(s, ST_REVOKED_EACH, st);
	return rc;
}

static certa_rc
sqlite_audit_last(struct certa_store *s, int64_t *seq, char hash[65],
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src;
	certa_rc	 rc = CERTA_OK;

	*seq = 0;
	hash[0] = '\0';
	CERTA_TRY(stmt_get(s, ST_AUDIT_LAST, &st, err));
	src = sqlite3_step(st);
	if (src == SQLITE_DONE)
		goto out;
	SQL_CHECK(src == SQLITE_ROW, src, "read the last audit record");
	CERTA_CHECK(col_hash(st, 1, hash), CERTA_E_STORE, "audit record "
	    "%lld has a malformed hash", (long long)sqlite3_column_int64(st,
	    0));
	*seq = sqlite3_column_int64(st, 0);
out:
	stmt_put(s, ST_AUDIT_LAST, st);
	return rc;
}

static certa_rc
sqlite_audit_append(struct certa_store *s, const struct certa_audit_rec *rec,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	char		 hash[65];
	int64_t		 last = 0;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_AUDIT_APPEND, &st, err));
	bind_int(st, 1, rec->seq, &src);
	bind_int(st, 2, rec->time, &src);
	bind_text(st, 3, rec->actor, &src);
	bind_text(st, 4, rec->action, &src);
	bind_text(st, 5, rec->object, &src);
	bind_text(st, 6, rec->outcome, &src);
	bind_text(st, 7, rec->details, &src);
	bind_text(st, 8, rec->prev_hash, &src);
	bind_text(st, 9, rec->hash, &src);
	SQL_CHECK(src == SQLITE_OK, src, "append audit record %lld",
	    (long long)rec->seq);
	CERTA_TRY(step_done(s, st, "append an audit record", err));
	if (sqlite3_changes(s->db) == 0) {
		stmt_put(s, ST_AUDIT_APPEND, st);
		st = NULL;
		CERTA_TRY(sqlite_audit_last(s, &last, hash, err));
		CERTA_FAIL(CERTA_E_CONFLICT, "audit record %lld cannot follow "
		    "the last one, %lld (another writer appended first?)",
		    (long long)rec->seq, (long long)last);
	}
out:
	stmt_put(s, ST_AUDIT_APPEND, st);
	return rc;
}

static certa_rc
sqlite_audit_each(struct certa_store *s, int64_t since,
    certa_store_audit_fn fn, void *arg, struct certa_err *err)
{
	struct certa_audit_rec	 rec;
	sqlite3_stmt		*st = NULL;
	int			 src = SQLITE_OK;
	certa_rc		 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_AUDIT_EACH, &st, err));
	bind_int(st, 1, since, &src);
	SQL_CHECK(src == SQLITE_OK, src, "list audit records");
	memset(&rec, 0, sizeof(rec));
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		CERTA_CHECK(read_audit(st, &rec, false), CERTA_E_STORE,
		    "audit record %lld is malformed or out of memory",
		    (long long)sqlite3_column_int64(st, 0));
		CERTA_TRY(fn(&rec, arg));
	}
	SQL_CHECK(src == SQLITE_DONE, src, "list audit records");
out:
	stmt_put(s, ST_AUDIT_EACH, st);
	return rc;
}

/*
 * HOW IT WORKS: trust store writes and the trust generation.
 *
 * A validator keeps an immutable snapshot of the trust store and asks, per
 * check, whether the one-row trust_generation has moved (ST_TRUST_GEN: one
 * primary-key read).  So every write that changes what a snapshot holds
 * (an entry added, moved or deleted, a CRL stored) bumps it in the same
 * transaction as the change: inside the caller's transaction if one is
 * open, else in one of our own (own_begin/own_end), so no commit can
 * show the change without the bump.  A knock that only counts an attempt
 * changes nothing a validator reads and does not bump.
 */
static certa_rc
own_begin(struct certa_store *s, bool *own, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	*own = false;
	if (!sqlite3_get_autocommit(s->db))
		goto out;
	CERTA_TRY(run(s, ST_BEGIN, "begin a transaction", err));
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
		rc = run(s, ST_COMMIT, "commit", err);
	if (rc != CERTA_OK)
		sqlite_rollback(s);
	return rc;
}

static certa_rc
trust_bump(struct certa_store *s, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(run(s, ST_TRUST_BUMP, "bump the trust generation", err));
	CERTA_CHECK(sqlite3_changes(s->db) == 1, CERTA_E_STORE, "store '%s' "
	    "has no trust generation row (damaged schema?)", s->path);
out:
	return rc;
}

static certa_rc
sqlite_trust_generation(struct certa_store *s, uint64_t *out,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_TRUST_GEN, &st, err));
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_DONE, CERTA_E_STORE, "store '%s' has no "
	    "trust generation row (damaged schema?)", s->path);
	SQL_CHECK(src == SQLITE_ROW, src, "read the trust generation");
	*out = (uint64_t)sqlite3_column_int64(st, 0);
out:
	stmt_put(s, ST_TRUST_GEN, st);
	return rc;
}

/*
 * HOW IT WORKS: the trust generation without a query.  A gate asks for
 * the generation at every handshake; reading it is a read transaction
 * (two fcntl locks and a statement, about 15 us).  Every commit, by any
 * process, writes to a file in the database's directory (the WAL, or the
 * database itself), and an inotify watch on that directory sees the
 * write when it happens.  So: while nothing was written, the last value
 * read is the answer; after a write the generation is read at every call
 * for GEN_AFTER_WRITE_MS (a commit's frames are written, and the watch
 * fires, before the commit becomes visible: after its fsync, which may
 * take a while on a loaded disk), and it is read at least once a second
 * whatever happens (a lost or overflowed event, a file system inotify
 * cannot see).  The directory is the one SQLite itself resolved
 * (sqlite3_db_filename: absolute, symbolic links followed), where the WAL
 * lives.  A watch that cannot be made means a read at every call, as
 * before.
 */
#define GEN_RECHECK_MS		1000
#define GEN_AFTER_WRITE_MS	BUSY_TIMEOUT_MS

static void
dir_watch_open(struct certa_store *s)
{
	const char	*file = sqlite3_db_filename(s->db, "main");
	char		*dir, *slash;

	s->watch_tried = true;
	/* Absolute for a file database; "" for :memory: (no watch). */
	if (file == NULL || file[0] != '/' || (dir = certa_strdup(file)) ==
	    NULL)
		return;
	slash = strrchr(dir, '/');
	slash[slash == dir ? 1 : 0] = '\0';
	if ((s->dir_watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) >= 0 &&
	    inotify_add_watch(s->dir_watch, dir, IN_MODIFY | IN_CREATE |
	    IN_DELETE | IN_MOVED_TO) < 0) {
		close(s->dir_watch);
		s->dir_watch = -1;
	}
	free(dir);
}

/* Whether the directory was written since the last call (drains). */
static bool
dir_written(struct certa_store *s)
{
	char	 buf[4096] __attribute__((aligned(
		     __alignof__(struct inotify_event))));
	bool	 any = false;

	while (read(s->dir_watch, buf, sizeof(buf)) > 0)
		any = true;
	return any;
}

static certa_rc
sqlite_trust_generation_fast(struct certa_store *s, uint64_t *out,
    struct certa_err *err)
{
	int64_t		now = certa_mono_ms();
	certa_rc	rc = CERTA_OK;

	if (!s->watch_tried)
		dir_watch_open(s);
	if (s->dir_watch < 0)
		return sqlite_trust_generation(s, out, err);
	if (dir_written(s))
		s->recheck_until = now + GEN_AFTER_WRITE_MS;
	if (!s->gen_known || now < s->recheck_until ||
	    now - s->gen_read_ms >= GEN_RECHECK_MS) {
		s->gen_known = false;
		CERTA_TRY(sqlite_trust_generation(s, &s->gen, err));
		s->gen_known = true;
		s->gen_read_ms = now;
	}
	*out = s->gen;
out:
	return rc;
}

/* Insert rec (list given); the statement is ST_TRUST_PUT. */
static certa_rc
trust_insert(struct certa_store *s, struct certa_trust_rec *rec,
    const char *list, int64_t attempts, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	if (rec->first_seen == 0)
		rec->first_seen = certa_now();
	if (rec->last_seen == 0)
		rec->last_seen = rec->first_seen;
	CERTA_TRY(stmt_get(s, ST_TRUST_PUT, &st, err));
	bind_text(st, 1, rec->alias, &src);
	bind_text(st, 2, list, &src);
	bind_blob(st, 3, rec->der, rec->der_len, &src);
	bind_text(st, 4, rec->fingerprint, &src);
	bind_text(st, 5, rec->subject, &src);
	bind_text(st, 6, rec->issuer, &src);
	bind_text(st, 7, rec->serial, &src);
	bind_int(st, 8, rec->not_before, &src);
	bind_int(st, 9, rec->not_after, &src);
	bind_text(st, 10, rec->source != NULL ? rec->source : "imported",
	    &src);
	bind_int(st, 11, rec->first_seen, &src);
	bind_int(st, 12, rec->last_seen, &src);
	bind_int(st, 13, attempts, &src);
	bind_text(st, 14, rec->peer_addr, &src);
	bind_text(st, 15, rec->subject_key, &src);
	SQL_CHECK(src == SQLITE_OK, src, "add trust entry '%s'", rec->alias);
	src = sqlite3_step(st);
	if (src == SQLITE_CONSTRAINT_UNIQUE) {
		if (strstr(sqlite3_errmsg(s->db), "trust_entry.alias") != NULL)
			CERTA_FAIL(CERTA_E_CONFLICT, "alias '%s' is taken "
			    "already", rec->alias);
		CERTA_FAIL(CERTA_E_CONFLICT, "certificate %s is in the trust "
		    "store already", rec->fingerprint);
	}
	SQL_CHECK(src == SQLITE_DONE, src, "add trust entry '%s'",
	    rec->alias);
	rec->id = sqlite3_last_insert_rowid(s->db);
	rec->attempts = attempts;
out:
	stmt_put(s, ST_TRUST_PUT, st);
	return rc;
}

static certa_rc
sqlite_trust_put(struct certa_store *s, struct certa_trust_rec *rec,
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
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, sid, &st, err));
	bind_text(st, 1, key, &src);
	SQL_CHECK(src == SQLITE_OK, src, "read trust entry '%.80s'", key);
	src = sqlite3_step(st);
	if (src == SQLITE_DONE && sid == ST_TRUST_GET_ALIAS)
		CERTA_FAIL(CERTA_E_NOTFOUND, "no trust entry '%.80s'", key);
	CERTA_CHECK(src != SQLITE_DONE, CERTA_E_NOTFOUND, "no trust entry "
	    "with fingerprint %.80s", key);
	SQL_CHECK(src == SQLITE_ROW, src, "read trust entry '%.80s'", key);
	CERTA_CHECK(read_trust(st, out, true), CERTA_E_NOMEM, "read trust "
	    "entry: out of memory");
out:
	stmt_put(s, sid, st);
	if (rc != CERTA_OK)
		certa_trust_rec_clear(out);
	return rc;
}

static certa_rc
sqlite_trust_get_alias(struct certa_store *s, const char *alias,
    struct certa_trust_rec *out, struct certa_err *err)
{
	return trust_get(s, ST_TRUST_GET_ALIAS, alias, out, err);
}

static certa_rc
sqlite_trust_get_fp(struct certa_store *s, const char *fp,
    struct certa_trust_rec *out, struct certa_err *err)
{
	return trust_get(s, ST_TRUST_GET_FP, fp, out, err);
}

static certa_rc
trust_each(struct certa_store *s, enum stmt_id sid, const char *key,
    certa_store_trust_fn fn, void *arg, struct certa_err *err)
{
	struct certa_trust_rec	 rec;
	sqlite3_stmt		*st = NULL;
	int			 src = SQLITE_OK;
	certa_rc		 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, sid, &st, err));
	if (key != NULL)
		bind_text(st, 1, key, &src);
	SQL_CHECK(src == SQLITE_OK, src, "list trust entries");
	memset(&rec, 0, sizeof(rec));
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		CERTA_CHECK(read_trust(st, &rec, false), CERTA_E_NOMEM,
		    "list trust entries: out of memory");
		CERTA_TRY(fn(&rec, arg));
	}
	SQL_CHECK(src == SQLITE_DONE, src, "list trust entries");
out:
	stmt_put(s, sid, st);
	return rc;
}

static certa_rc
sqlite_trust_each(struct certa_store *s, const char *list,
    certa_store_trust_fn fn, void *arg, struct certa_err *err)
{
	return trust_each(s, list != NULL ? ST_TRUST_EACH_LIST :
	    ST_TRUST_EACH_ALL, list, fn, arg, err);
}

static certa_rc
sqlite_trust_each_subject(struct certa_store *s, const char *subject_key,
    certa_store_trust_fn fn, void *arg, struct certa_err *err)
{
	return trust_each(s, ST_TRUST_EACH_SUBJECT, subject_key, fn, arg,
	    err);
}

static certa_rc
sqlite_trust_unkeyed(struct certa_store *s, int64_t *out,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_TRUST_UNKEYED, &st, err));
	src = sqlite3_step(st);
	SQL_CHECK(src == SQLITE_ROW, src, "count unindexed trust entries");
	*out = sqlite3_column_int64(st, 0);
out:
	stmt_put(s, ST_TRUST_UNKEYED, st);
	return rc;
}

/* NOTFOUND unless alias exists. */
static certa_rc
trust_probe(struct certa_store *s, const char *alias, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_TRUST_PROBE, &st, err));
	bind_text(st, 1, alias, &src);
	SQL_CHECK(src == SQLITE_OK, src, "read trust entry '%.80s'", alias);
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_DONE, CERTA_E_NOTFOUND, "no trust entry "
	    "'%.80s'", alias);
	SQL_CHECK(src == SQLITE_ROW, src, "read trust entry '%.80s'", alias);
out:
	stmt_put(s, ST_TRUST_PROBE, st);
	return rc;
}

static certa_rc
sqlite_trust_set_list(struct certa_store *s, const char *alias,
    const char *list, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	bool		 own = false;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(own_begin(s, &own, err));
	CERTA_TRY(stmt_get(s, ST_TRUST_SET_LIST, &st, err));
	bind_text(st, 1, alias, &src);
	bind_text(st, 2, list, &src);
	SQL_CHECK(src == SQLITE_OK, src, "move trust entry '%.80s'", alias);
	CERTA_TRY(step_done(s, st, "move a trust entry", err));
	if (sqlite3_changes(s->db) == 0)
		CERTA_TRY(trust_probe(s, alias, err));	/* there already */
	else
		CERTA_TRY(trust_bump(s, err));
out:
	stmt_put(s, ST_TRUST_SET_LIST, st);
	return own_end(s, own, rc, err);
}

static certa_rc
sqlite_trust_delete(struct certa_store *s, const char *alias,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	bool		 own = false;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(own_begin(s, &own, err));
	CERTA_TRY(stmt_get(s, ST_TRUST_DELETE, &st, err));
	bind_text(st, 1, alias, &src);
	SQL_CHECK(src == SQLITE_OK, src, "delete trust entry '%.80s'", alias);
	CERTA_TRY(step_done(s, st, "delete a trust entry", err));
	CERTA_CHECK(sqlite3_changes(s->db) == 1, CERTA_E_NOTFOUND, "no trust "
	    "entry '%.80s'", alias);
	CERTA_TRY(trust_bump(s, err));
out:
	stmt_put(s, ST_TRUST_DELETE, st);
	return own_end(s, own, rc, err);
}

/*
 * Under the write lock (BEGIN IMMEDIATE, ours or the caller's) the update
 * and the insert cannot interleave with another writer's, and the UNIQUE
 * fingerprint is the backstop: never two rows for one certificate.
 */
static certa_rc
sqlite_trust_knock(struct certa_store *s, struct certa_trust_rec *rec,
    bool *inserted, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	bool		 own = false;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	*inserted = false;
	if (rec->last_seen == 0)
		rec->last_seen = certa_now();
	CERTA_TRY(own_begin(s, &own, err));
	CERTA_TRY(stmt_get(s, ST_TRUST_KNOCK, &st, err));
	bind_text(st, 1, rec->fingerprint, &src);
	bind_int(st, 2, rec->last_seen, &src);
	bind_text(st, 3, rec->peer_addr, &src);
	SQL_CHECK(src == SQLITE_OK, src, "record a knock of %s",
	    rec->fingerprint);
	CERTA_TRY(step_done(s, st, "record a knock", err));
	if (sqlite3_changes(s->db) == 1)
		goto out;
	rec->first_seen = rec->last_seen;
	CERTA_TRY(trust_insert(s, rec, "rejected", 1, err));
	CERTA_TRY(trust_bump(s, err));
	*inserted = true;
out:
	stmt_put(s, ST_TRUST_KNOCK, st);
	rc = own_end(s, own, rc, err);
	if (rc != CERTA_OK)
		*inserted = false;
	return rc;
}

static certa_rc
sqlite_trust_crl_put(struct certa_store *s, struct certa_trust_crl_rec *rec,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	bool		 own = false;
	int		 src = SQLITE_OK;
	int64_t		 id;
	certa_rc	 rc = CERTA_OK;

	if (rec->imported_at == 0)
		rec->imported_at = certa_now();
	CERTA_TRY(own_begin(s, &own, err));
	CERTA_TRY(stmt_get(s, ST_TRUST_CRL_PUT, &st, err));
	bind_text(st, 1, rec->issuer, &src);
	bind_text(st, 2, rec->issuer_hash, &src);
	bind_text(st, 3, rec->key_id != NULL ? rec->key_id : "", &src);
	bind_text(st, 4, rec->crl_number, &src);
	bind_int(st, 5, rec->this_update, &src);
	bind_int(st, 6, rec->next_update, &src);
	bind_blob(st, 7, rec->der, rec->der_len, &src);
	bind_text(st, 8, rec->fingerprint, &src);
	bind_int(st, 9, rec->imported_at, &src);
	SQL_CHECK(src == SQLITE_OK, src, "store the CRL of %.200s",
	    rec->issuer);
	src = sqlite3_step(st);
	SQL_CHECK(src == SQLITE_ROW, src, "store the CRL of %.200s",
	    rec->issuer);
	id = sqlite3_column_int64(st, 0);
	src = sqlite3_step(st);
	SQL_CHECK(src == SQLITE_DONE, src, "store the CRL of %.200s",
	    rec->issuer);
	CERTA_TRY(trust_bump(s, err));
	rec->id = id;
out:
	stmt_put(s, ST_TRUST_CRL_PUT, st);
	return own_end(s, own, rc, err);
}

static certa_rc
sqlite_trust_crl_each(struct certa_store *s, certa_store_trust_crl_fn fn,
    void *arg, struct certa_err *err)
{
	struct certa_trust_crl_rec	 rec;
	sqlite3_stmt			*st = NULL;
	int				 src;
	certa_rc			 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_TRUST_CRL_EACH, &st, err));
	memset(&rec, 0, sizeof(rec));
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		CERTA_CHECK(read_trust_crl(st, &rec, false), CERTA_E_NOMEM,
		    "list CRLs: out of memory");
		CERTA_TRY(fn(&rec, arg));
	}
	SQL_CHECK(src == SQLITE_DONE, src, "list CRLs");
out:
	stmt_put(s, ST_TRUST_CRL_EACH, st);
	return rc;
}

static certa_rc
sqlite_trust_crl_delete(struct certa_store *s, int64_t id,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	bool		 own = false;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(own_begin(s, &own, err));
	CERTA_TRY(stmt_get(s, ST_TRUST_CRL_DELETE, &st, err));
	bind_int(st, 1, id, &src);
	SQL_CHECK(src == SQLITE_OK, src, "delete CRL %lld", (long long)id);
	CERTA_TRY(step_done(s, st, "delete a CRL", err));
	CERTA_CHECK(sqlite3_changes(s->db) == 1, CERTA_E_NOTFOUND, "no CRL "
	    "with id %lld", (long long)id);
	CERTA_TRY(trust_bump(s, err));
out:
	stmt_put(s, ST_TRUST_CRL_DELETE, st);
	return own_end(s, own, rc, err);
}

/* --- organisations and applications: rename, delete ------------------ */

/* Run cached statement sid with (?1 id, ?2 text); *changes = rows hit. */
static certa_rc
run_id_text(struct certa_store *s, enum stmt_id sid, int64_t id,
    const char *text, int64_t *changes, const char *what,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	*changes = 0;
	CERTA_TRY(stmt_get(s, sid, &st, err));
	bind_int(st, 1, id, &src);
	if (text != NULL)
		bind_text(st, 2, text, &src);
	SQL_CHECK(src == SQLITE_OK, src, "%s", what);
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_CONSTRAINT_UNIQUE, CERTA_E_CONFLICT,
	    "%s: the name '%.128s' is taken", what, text ? text : "");
	SQL_CHECK(src == SQLITE_DONE, src, "%s", what);
	*changes = sqlite3_changes(s->db);
out:
	stmt_put(s, sid, st);
	return rc;
}

static certa_rc
sqlite_org_rename(struct certa_store *s, int64_t id, const char *name,
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
sqlite_app_rename(struct certa_store *s, int64_t id, const char *name,
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
sqlite_org_delete(struct certa_store *s, int64_t id, struct certa_err *err)
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
sqlite_app_delete(struct certa_store *s, int64_t id, struct certa_err *err)
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

static certa_rc
sqlite_cert_count_valid(struct certa_store *s, int64_t org_id,
    int64_t app_id, int64_t at, int64_t *out, struct certa_err *err)
{
	enum stmt_id	 sid = app_id != 0 ? ST_CERT_COUNT_APP :
			    ST_CERT_COUNT_ORG;
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, sid, &st, err));
	bind_int(st, 1, app_id != 0 ? app_id : org_id, &src);
	bind_int(st, 2, at, &src);
	SQL_CHECK(src == SQLITE_OK, src, "count valid certificates");
	src = sqlite3_step(st);
	SQL_CHECK(src == SQLITE_ROW, src, "count valid certificates");
	*out = sqlite3_column_int64(st, 0);
out:
	stmt_put(s, sid, st);
	return rc;
}

/* --- tokens ----------------------------------------------------------- */

static bool
read_token(sqlite3_stmt *st, struct certa_token_rec *r, bool copy)
{
	r->role = (unsigned)sqlite3_column_int64(st, 2);
	r->created_at = sqlite3_column_int64(st, 5);
	r->last_used_at = sqlite3_column_int64(st, 6);
	r->revoked_at = sqlite3_column_int64(st, 7);
	return col_text(st, 0, copy, &r->id) &&
	    col_text(st, 1, copy, &r->name) &&
	    col_text(st, 3, copy, &r->secret_hash) &&
	    col_text(st, 4, copy, &r->created_by);
}

static bool
read_role_map(sqlite3_stmt *st, struct certa_role_map_rec *r, bool copy)
{
	r->id = sqlite3_column_int64(st, 0);
	r->role = (unsigned)sqlite3_column_int64(st, 3);
	r->created_at = sqlite3_column_int64(st, 4);
	return col_text(st, 1, copy, &r->kind) &&
	    col_text(st, 2, copy, &r->value);
}

static certa_rc
sqlite_token_put(struct certa_store *s, const struct certa_token_rec *rec,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_TOKEN_PUT, &st, err));
	bind_text(st, 1, rec->id, &src);
	bind_text(st, 2, rec->name, &src);
	bind_int(st, 3, rec->role, &src);
	bind_text(st, 4, rec->secret_hash, &src);
	bind_text(st, 5, rec->created_by, &src);
	bind_int(st, 6, rec->created_at != 0 ? rec->created_at : certa_now(),
	    &src);
	bind_int(st, 7, rec->last_used_at, &src);
	bind_int(st, 8, rec->revoked_at, &src);
	SQL_CHECK(src == SQLITE_OK, src, "add token '%.64s'", rec->name);
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_CONSTRAINT_PRIMARYKEY, CERTA_E_CONFLICT,
	    "a token with id %.16s exists already", rec->id);
	CERTA_CHECK(src != SQLITE_CONSTRAINT_UNIQUE, CERTA_E_CONFLICT,
	    "a live token named '%.64s' exists already", rec->name);
	SQL_CHECK(src == SQLITE_DONE, src, "add token '%.64s'", rec->name);
out:
	stmt_put(s, ST_TOKEN_PUT, st);
	return rc;
}

static certa_rc
sqlite_token_get(struct certa_store *s, const char *id, const char *name,
    struct certa_token_rec *out, struct certa_err *err)
{
	enum stmt_id	 sid = name != NULL ? ST_TOKEN_GET_NAME :
			    ST_TOKEN_GET_ID;
	const char	*key = name != NULL ? name : id;
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, sid, &st, err));
	bind_text(st, 1, key, &src);
	SQL_CHECK(src == SQLITE_OK, src, "read token");
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_DONE, CERTA_E_NOTFOUND, "no %stoken "
	    "'%.64s'", name != NULL ? "live " : "", key);
	SQL_CHECK(src == SQLITE_ROW, src, "read token");
	CERTA_CHECK(read_token(st, out, true), CERTA_E_NOMEM, "read token: "
	    "out of memory");
out:
	stmt_put(s, sid, st);
	if (rc != CERTA_OK)
		certa_token_rec_clear(out);
	return rc;
}

static certa_rc
sqlite_token_each(struct certa_store *s, certa_store_token_fn fn, void *arg,
    struct certa_err *err)
{
	struct certa_token_rec	 rec;
	sqlite3_stmt		*st = NULL;
	int			 src;
	certa_rc		 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_TOKEN_EACH, &st, err));
	memset(&rec, 0, sizeof(rec));
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		CERTA_CHECK(read_token(st, &rec, false), CERTA_E_NOMEM,
		    "list tokens: out of memory");
		CERTA_TRY(fn(&rec, arg));
	}
	SQL_CHECK(src == SQLITE_DONE, src, "list tokens");
out:
	stmt_put(s, ST_TOKEN_EACH, st);
	return rc;
}

/* Run cached statement sid with (?1 text, ?2 time); *changes = rows hit. */
static certa_rc
run_text_int(struct certa_store *s, enum stmt_id sid, const char *text,
    int64_t v, int64_t *changes, const char *what, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	*changes = 0;
	CERTA_TRY(stmt_get(s, sid, &st, err));
	bind_text(st, 1, text, &src);
	bind_int(st, 2, v, &src);
	SQL_CHECK(src == SQLITE_OK, src, "%s", what);
	CERTA_TRY(step_done(s, st, what, err));
	*changes = sqlite3_changes(s->db);
out:
	stmt_put(s, sid, st);
	return rc;
}

static certa_rc
sqlite_token_revoke(struct certa_store *s, const char *id,
    int64_t revoked_at, struct certa_err *err)
{
	struct certa_token_rec	 t;
	int64_t			 n;
	certa_rc		 rc = CERTA_OK;

	memset(&t, 0, sizeof(t));
	CERTA_TRY(run_text_int(s, ST_TOKEN_REVOKE, id, revoked_at, &n,
	    "revoke a token", err));
	if (n == 1)
		goto out;
	CERTA_TRY(sqlite_token_get(s, id, NULL, &t, err));
	CERTA_FAIL(CERTA_E_CONFLICT, "token %.16s is revoked already", id);
out:
	certa_token_rec_clear(&t);
	return rc;
}

static certa_rc
sqlite_token_touch(struct certa_store *s, const char *id, int64_t at,
    struct certa_err *err)
{
	int64_t		 n;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(run_text_int(s, ST_TOKEN_TOUCH, id, at, &n, "record the "
	    "use of a token", err));
	CERTA_CHECK(n == 1, CERTA_E_NOTFOUND, "no token '%.16s'", id);
out:
	return rc;
}

/* --- the role map ----------------------------------------------------- */

static certa_rc
sqlite_role_map_set(struct certa_store *s, struct certa_role_map_rec *rec,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	int64_t		 id;
	certa_rc	 rc = CERTA_OK;

	if (rec->created_at == 0)
		rec->created_at = certa_now();
	CERTA_TRY(stmt_get(s, ST_ROLE_MAP_SET, &st, err));
	bind_text(st, 1, rec->kind, &src);
	bind_text(st, 2, rec->value, &src);
	bind_int(st, 3, rec->role, &src);
	bind_int(st, 4, rec->created_at, &src);
	SQL_CHECK(src == SQLITE_OK, src, "map %s to a role", rec->kind);
	src = sqlite3_step(st);
	SQL_CHECK(src == SQLITE_ROW, src, "map %s to a role", rec->kind);
	id = sqlite3_column_int64(st, 0);
	src = sqlite3_step(st);
	SQL_CHECK(src == SQLITE_DONE, src, "map %s to a role", rec->kind);
	rec->id = id;
out:
	stmt_put(s, ST_ROLE_MAP_SET, st);
	return rc;
}

/* Bind (?1 kind, ?2 value) to cached statement sid. */
static certa_rc
role_map_stmt(struct certa_store *s, enum stmt_id sid, const char *kind,
    const char *value, sqlite3_stmt **st, struct certa_err *err)
{
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, sid, st, err));
	bind_text(*st, 1, kind, &src);
	bind_text(*st, 2, value, &src);
	SQL_CHECK(src == SQLITE_OK, src, "role mapping of %s", kind);
out:
	return rc;
}

static certa_rc
sqlite_role_map_get(struct certa_store *s, const char *kind,
    const char *value, struct certa_role_map_rec *out, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(role_map_stmt(s, ST_ROLE_MAP_GET, kind, value, &st, err));
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_DONE, CERTA_E_NOTFOUND, "no role mapping "
	    "for %s '%.200s'", kind, value);
	SQL_CHECK(src == SQLITE_ROW, src, "read the role mapping of %s",
	    kind);
	CERTA_CHECK(read_role_map(st, out, true), CERTA_E_NOMEM, "read role "
	    "mapping: out of memory");
out:
	stmt_put(s, ST_ROLE_MAP_GET, st);
	if (rc != CERTA_OK)
		certa_role_map_rec_clear(out);
	return rc;
}

static certa_rc
sqlite_role_map_delete(struct certa_store *s, const char *kind,
    const char *value, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(role_map_stmt(s, ST_ROLE_MAP_DELETE, kind, value, &st,
	    err));
	CERTA_TRY(step_done(s, st, "remove a role mapping", err));
	CERTA_CHECK(sqlite3_changes(s->db) == 1, CERTA_E_NOTFOUND, "no role "
	    "mapping for %s '%.200s'", kind, value);
out:
	stmt_put(s, ST_ROLE_MAP_DELETE, st);
	return rc;
}

static certa_rc
sqlite_role_map_each(struct certa_store *s, certa_store_role_map_fn fn,
    void *arg, struct certa_err *err)
{
	struct certa_role_map_rec	 rec;
	sqlite3_stmt			*st = NULL;
	int				 src;
	certa_rc			 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_ROLE_MAP_EACH, &st, err));
	memset(&rec, 0, sizeof(rec));
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		CERTA_CHECK(read_role_map(st, &rec, false), CERTA_E_NOMEM,
		    "list role mappings: out of memory");
		CERTA_TRY(fn(&rec, arg));
	}
	SQL_CHECK(src == SQLITE_DONE, src, "list role mappings");
out:
	stmt_put(s, ST_ROLE_MAP_EACH, st);
	return rc;
}

/* --- lifecycle requests ------------------------------------------------ */

static bool
read_request(sqlite3_stmt *st, struct certa_request_rec *r, bool copy)
{
	r->id = sqlite3_column_int64(st, 0);
	r->app_id = sqlite3_column_int64(st, 3);
	r->validity = sqlite3_column_int64(st, 9);
	r->not_after = sqlite3_column_int64(st, 10);
	r->same_key = sqlite3_column_int64(st, 11) != 0;
	r->cert_id = sqlite3_column_int64(st, 12);
	r->reason = sqlite3_column_int(st, 13);
	r->issued_cert_id = sqlite3_column_int64(st, 18);
	r->created_at = sqlite3_column_int64(st, 19);
	r->decided_at = sqlite3_column_int64(st, 20);
	r->grace_until = sqlite3_column_int64(st, 21);
	r->grace = sqlite3_column_int64(st, 22);
	return col_text(st, 1, copy, &r->kind) &&
	    col_text(st, 2, copy, &r->state) &&
	    col_text(st, 4, copy, &r->type) &&
	    col_blob(st, 5, copy, &r->csr, &r->csr_len) &&
	    col_text(st, 6, copy, &r->keygen) &&
	    col_text(st, 7, copy, &r->subject) &&
	    col_text(st, 8, copy, &r->sans) &&
	    col_text(st, 14, copy, &r->requested_by) &&
	    col_text(st, 15, copy, &r->requested_role) &&
	    col_text(st, 16, copy, &r->decided_by) &&
	    col_text(st, 17, copy, &r->comment);
}

static certa_rc
sqlite_request_put(struct certa_store *s, struct certa_request_rec *rec,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	if (rec->created_at == 0)
		rec->created_at = certa_now();
	CERTA_TRY(stmt_get(s, ST_REQ_PUT, &st, err));
	bind_text(st, 1, rec->kind, &src);
	bind_text(st, 2, rec->state, &src);
	bind_id(st, 3, rec->app_id, &src);
	bind_text(st, 4, rec->type, &src);
	bind_blob(st, 5, rec->csr, rec->csr_len, &src);
	bind_text(st, 6, rec->keygen, &src);
	bind_text(st, 7, rec->subject, &src);
	bind_text(st, 8, rec->sans, &src);
	bind_int(st, 9, rec->validity, &src);
	bind_int(st, 10, rec->not_after, &src);
	bind_int(st, 11, rec->same_key, &src);
	bind_id(st, 12, rec->cert_id, &src);
	bind_int(st, 13, rec->reason, &src);
	bind_text(st, 14, rec->requested_by, &src);
	bind_text(st, 15, rec->requested_role, &src);
	bind_text(st, 16, rec->decided_by, &src);
	bind_text(st, 17, rec->comment, &src);
	bind_id(st, 18, rec->issued_cert_id, &src);
	bind_int(st, 19, rec->created_at, &src);
	bind_int(st, 20, rec->decided_at, &src);
	bind_int(st, 21, rec->grace_until, &src);
	bind_int(st, 22, rec->grace, &src);
	SQL_CHECK(src == SQLITE_OK, src, "add a %s request", rec->kind);
	CERTA_TRY(step_done(s, st, "add a certificate request", err));
	rec->id = sqlite3_last_insert_rowid(s->db);
out:
	stmt_put(s, ST_REQ_PUT, st);
	return rc;
}

static certa_rc
sqlite_request_get(struct certa_store *s, int64_t id,
    struct certa_request_rec *out, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_REQ_GET, &st, err));
	bind_int(st, 1, id, &src);
	SQL_CHECK(src == SQLITE_OK, src, "read request");
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_DONE, CERTA_E_NOTFOUND, "no request %lld",
	    (long long)id);
	SQL_CHECK(src == SQLITE_ROW, src, "read request %lld", (long long)id);
	CERTA_CHECK(read_request(st, out, true), CERTA_E_NOMEM, "read "
	    "request: out of memory");
out:
	stmt_put(s, ST_REQ_GET, st);
	if (rc != CERTA_OK)
		certa_request_rec_clear(out);
	return rc;
}

static certa_rc
sqlite_request_each(struct certa_store *s,
    const struct certa_request_filter *f, certa_store_request_fn fn,
    void *arg, struct certa_err *err)
{
	struct certa_request_rec	 rec;
	sqlite3_stmt			*st = NULL;
	int				 src = SQLITE_OK;
	certa_rc			 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_REQ_EACH, &st, err));
	bind_text(st, 1, f->state, &src);
	bind_text(st, 2, f->kind, &src);
	bind_int(st, 3, f->cert_id, &src);
	bind_int(st, 4, f->due_before, &src);
	bind_int(st, 5, f->after_id, &src);
	bind_int(st, 6, f->limit > 0 ? (int64_t)f->limit : -1, &src);
	SQL_CHECK(src == SQLITE_OK, src, "list requests");
	memset(&rec, 0, sizeof(rec));
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		CERTA_CHECK(read_request(st, &rec, false), CERTA_E_NOMEM,
		    "list requests: out of memory");
		CERTA_TRY(fn(&rec, arg));
	}
	SQL_CHECK(src == SQLITE_DONE, src, "list requests");
out:
	stmt_put(s, ST_REQ_EACH, st);
	return rc;
}

static certa_rc
sqlite_request_transition(struct certa_store *s, int64_t id,
    const char *from, const char *to, const char *decided_by,
    const char *comment, int64_t issued_cert_id, int64_t at,
    struct certa_err *err)
{
	struct certa_request_rec	 cur;
	sqlite3_stmt			*st = NULL;
	int				 src = SQLITE_OK;
	certa_rc			 rc = CERTA_OK;

	memset(&cur, 0, sizeof(cur));
	CERTA_TRY(stmt_get(s, ST_REQ_TRANSITION, &st, err));
	bind_int(st, 1, id, &src);
	bind_text(st, 2, from, &src);
	bind_text(st, 3, to, &src);
	bind_text(st, 4, decided_by, &src);
	bind_text(st, 5, comment, &src);
	bind_id(st, 6, issued_cert_id, &src);
	bind_int(st, 7, at, &src);
	SQL_CHECK(src == SQLITE_OK, src, "update request %lld",
	    (long long)id);
	CERTA_TRY(step_done(s, st, "update a request", err));
	if (sqlite3_changes(s->db) == 1)
		goto out;
	stmt_put(s, ST_REQ_TRANSITION, st);
	st = NULL;
	CERTA_TRY(sqlite_request_get(s, id, &cur, err));
	CERTA_FAIL(CERTA_E_CONFLICT, "request %lld is %s, not %s",
	    (long long)id, cur.state, from);
out:
	stmt_put(s, ST_REQ_TRANSITION, st);
	certa_request_rec_clear(&cur);
	return rc;
}

static certa_rc
sqlite_org_set_approval(struct certa_store *s, int64_t org_id, bool required,
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
sqlite_org_get_approval(struct certa_store *s, int64_t org_id,
    bool *required, struct certa_err *err)
{
	sqlite3_stmt		*st = NULL;
	const unsigned char	*t;
	int			 src = SQLITE_OK;
	certa_rc		 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_ORG_GET_APPROVAL, &st, err));
	bind_int(st, 1, org_id, &src);
	SQL_CHECK(src == SQLITE_OK, src, "read the approval policy");
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_DONE, CERTA_E_NOTFOUND, "no organisation "
	    "with id %lld", (long long)org_id);
	SQL_CHECK(src == SQLITE_ROW, src, "read the approval policy");
	t = sqlite3_column_text(st, 0);
	*required = t != NULL && strcmp((const char *)t, "required") == 0;
out:
	stmt_put(s, ST_ORG_GET_APPROVAL, st);
	return rc;
}

/* --- expiry notifications --------------------------------------------- */

static bool
read_notify_channel(sqlite3_stmt *st, void *rec)
{
	struct certa_notify_channel_rec	*r = rec;
	r->id = sqlite3_column_int64(st, 0);
	r->org_id = sqlite3_column_int64(st, 1);
	r->enabled = sqlite3_column_int(st, 5) != 0;
	r->created_at = sqlite3_column_int64(st, 6);
	return col_text(st, 2, false, &r->kind) &&
	    col_text(st, 3, false, &r->target) &&
	    col_text(st, 4, false, &r->secret);
}

static bool
read_notify_org(sqlite3_stmt *st, void *rec)
{
	struct certa_notify_org_rec	*r = rec;
	r->org_id = sqlite3_column_int64(st, 0);
	r->enabled = sqlite3_column_int(st, 2) != 0;
	return col_text(st, 1, false, &r->thresholds);
}

static bool
read_notice(sqlite3_stmt *st, void *rec)
{
	struct certa_notice_rec	*r = rec;
	int			 status = sqlite3_column_int(st, 4);

	r->id = sqlite3_column_int64(st, 0);
	r->cert_id = sqlite3_column_int64(st, 1);
	r->channel_id = sqlite3_column_int64(st, 2);
	r->threshold_days = sqlite3_column_int(st, 3);
	r->status = status == 1 ? CERTA_NOTICE_SENT : status == 2 ?
	    CERTA_NOTICE_FAILED : CERTA_NOTICE_PENDING;
	r->attempts = sqlite3_column_int(st, 5);
	r->next_attempt_at = sqlite3_column_int64(st, 6);
	r->created_at = sqlite3_column_int64(st, 7);
	r->done_at = sqlite3_column_int64(st, 8);
	return true;
}

static bool
read_notify_cert_off(sqlite3_stmt *st, void *rec)
{
	struct certa_notify_cert_off_rec	*r = rec;

	r->cert_id = sqlite3_column_int64(st, 0);
	r->created_at = sqlite3_column_int64(st, 1);
	return true;
}

static bool
read_notify_delivery(sqlite3_stmt *st, void *rec)
{
	struct certa_notify_delivery_rec	*r = rec;
	r->id = sqlite3_column_int64(st, 0);
	r->notice_id = sqlite3_column_int64(st, 1);
	r->attempt = sqlite3_column_int(st, 2);
	r->time = sqlite3_column_int64(st, 3);
	r->ok = sqlite3_column_int(st, 4) != 0;
	r->code = sqlite3_column_int(st, 5);
	r->next_attempt_at = sqlite3_column_int64(st, 7);
	r->cert_id = sqlite3_column_int64(st, 8);
	r->channel_id = sqlite3_column_int64(st, 9);
	r->threshold_days = sqlite3_column_int(st, 10);
	return col_text(st, 6, false, &r->error);
}

/* Step an INSERT ... RETURNING id; *id is the new row's id. */
static certa_rc
step_returning(struct certa_store *s, sqlite3_stmt *st, int64_t *id,
    const char *what, struct certa_err *err)
{
	int		 src;
	certa_rc	 rc = CERTA_OK;

	src = sqlite3_step(st);
	SQL_CHECK(src == SQLITE_ROW, src, "%s", what);
	*id = sqlite3_column_int64(st, 0);
	src = sqlite3_step(st);
	SQL_CHECK(src == SQLITE_DONE, src, "%s", what);
out:
	return rc;
}

static certa_rc
sqlite_notify_channel_put(struct certa_store *s,
    struct certa_notify_channel_rec *rec, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	if (rec->created_at == 0)
		rec->created_at = certa_now();
	CERTA_TRY(stmt_get(s, ST_NOTIFY_CHANNEL_PUT, &st, err));
	bind_id(st, 1, rec->org_id, &src);
	bind_text(st, 2, rec->kind, &src);
	bind_text(st, 3, rec->target, &src);
	bind_text(st, 4, rec->secret, &src);
	bind_int(st, 5, rec->enabled ? 1 : 0, &src);
	bind_int(st, 6, rec->created_at, &src);
	SQL_CHECK(src == SQLITE_OK, src, "add a %s channel", rec->kind);
	CERTA_TRY(step_returning(s, st, &rec->id, "add a notification channel",
	    err));
out:
	stmt_put(s, ST_NOTIFY_CHANNEL_PUT, st);
	return rc;
}

static certa_rc
sqlite_notify_channel_delete(struct certa_store *s, int64_t id,
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

/*
 * The notification walks share one shape: bind up to two integers (?1,
 * ?2; a negative limit is "none"), read each row into a zeroed record
 * with read(), hand it to each().
 */
typedef bool	(*notify_read_fn)(sqlite3_stmt *, void *rec);
typedef certa_rc (*notify_each_fn)(const void *rec, void *arg);

static certa_rc
notify_walk(struct certa_store *s, enum stmt_id sid, int nbind, int64_t a,
    int64_t b, void *rec, size_t recsz, notify_read_fn read,
    notify_each_fn each, void *arg, const char *what, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, sid, &st, err));
	if (nbind >= 1)
		bind_int(st, 1, a, &src);
	if (nbind >= 2)
		bind_int(st, 2, b, &src);
	SQL_CHECK(src == SQLITE_OK, src, "%s", what);
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		memset(rec, 0, recsz);
		CERTA_CHECK(read(st, rec), CERTA_E_NOMEM, "%s: out of memory",
		    what);
		CERTA_TRY(each(rec, arg));
	}
	SQL_CHECK(src == SQLITE_DONE, src, "%s", what);
out:
	stmt_put(s, sid, st);
	return rc;
}

/* The typed callbacks, called through the untyped walk. */
struct notify_cb {
	certa_store_notify_channel_fn	 channel;
	certa_store_notify_org_fn	 org;
	certa_store_notice_fn		 notice;
	certa_store_notify_delivery_fn	 delivery;
	certa_store_notify_cert_off_fn	 cert_off;
	void				*arg;
};

static certa_rc
cb_channel(const void *r, void *arg)
{
	const struct notify_cb	*cb = arg;

	return cb->channel(r, cb->arg);
}

static certa_rc
cb_org(const void *r, void *arg)
{
	const struct notify_cb	*cb = arg;

	return cb->org(r, cb->arg);
}

static certa_rc
cb_notice(const void *r, void *arg)
{
	const struct notify_cb	*cb = arg;

	return cb->notice(r, cb->arg);
}

static certa_rc
cb_delivery(const void *r, void *arg)
{
	const struct notify_cb	*cb = arg;

	return cb->delivery(r, cb->arg);
}

static certa_rc
cb_cert_off(const void *r, void *arg)
{
	const struct notify_cb	*cb = arg;

	return cb->cert_off(r, cb->arg);
}

static int64_t
sql_limit(size_t limit)
{
	return limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit;
}

static certa_rc
sqlite_notify_channel_each(struct certa_store *s,
    certa_store_notify_channel_fn fn, void *arg, struct certa_err *err)
{
	struct certa_notify_channel_rec	 rec;
	struct notify_cb		 cb = { .channel = fn, .arg = arg };

	return notify_walk(s, ST_NOTIFY_CHANNEL_EACH, 0, 0, 0, &rec,
	    sizeof(rec), read_notify_channel, cb_channel, &cb, "list notification "
	    "channels", err);
}

static certa_rc
sqlite_notify_org_set(struct certa_store *s,
    const struct certa_notify_org_rec *rec, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_NOTIFY_ORG_SET, &st, err));
	bind_int(st, 1, rec->org_id, &src);
	bind_text(st, 2, rec->thresholds, &src);
	bind_int(st, 3, rec->enabled ? 1 : 0, &src);
	SQL_CHECK(src == SQLITE_OK, src, "set notification settings");
	CERTA_TRY(step_done(s, st, "set notification settings", err));
out:
	stmt_put(s, ST_NOTIFY_ORG_SET, st);
	return rc;
}

static certa_rc
sqlite_notify_org_each(struct certa_store *s, certa_store_notify_org_fn fn,
    void *arg, struct certa_err *err)
{
	struct certa_notify_org_rec	 rec;
	struct notify_cb		 cb = { .org = fn, .arg = arg };

	return notify_walk(s, ST_NOTIFY_ORG_EACH, 0, 0, 0, &rec, sizeof(rec),
	    read_notify_org, cb_org, &cb, "list notification settings", err);
}

static certa_rc
sqlite_notify_cert_set(struct certa_store *s, int64_t cert_id, bool enabled,
    struct certa_err *err)
{
	int64_t		 n;

	return run_id_text(s, enabled ? ST_NOTIFY_CERT_ON : ST_NOTIFY_CERT_OFF,
	    cert_id, NULL, &n, enabled ? "enable notifications of a "
	    "certificate" : "disable notifications of a certificate", err);
}

static certa_rc
sqlite_notify_cand_each(struct certa_store *s, int64_t now, int64_t until,
    int64_t after_id, size_t limit, certa_store_notify_cand_fn fn, void *arg,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_NOTIFY_CAND, &st, err));
	bind_int(st, 1, now, &src);
	bind_int(st, 2, until, &src);
	bind_int(st, 3, after_id, &src);
	bind_int(st, 4, sql_limit(limit), &src);
	SQL_CHECK(src == SQLITE_OK, src, "find expiring certificates");
	while ((src = sqlite3_step(st)) == SQLITE_ROW)
		CERTA_TRY(fn(sqlite3_column_int64(st, 0),
		    sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 1),
		    arg));
	SQL_CHECK(src == SQLITE_DONE, src, "find expiring certificates");
out:
	stmt_put(s, ST_NOTIFY_CAND, st);
	return rc;
}

static certa_rc
sqlite_notice_claim(struct certa_store *s, struct certa_notice_rec *rec,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	if (rec->created_at == 0)
		rec->created_at = certa_now();
	CERTA_TRY(stmt_get(s, ST_NOTICE_CLAIM, &st, err));
	bind_int(st, 1, rec->cert_id, &src);
	bind_int(st, 2, rec->threshold_days, &src);
	bind_int(st, 3, rec->channel_id, &src);
	bind_int(st, 4, rec->next_attempt_at, &src);
	bind_int(st, 5, rec->created_at, &src);
	SQL_CHECK(src == SQLITE_OK, src, "claim a notice");
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_CONSTRAINT_UNIQUE, CERTA_E_CONFLICT,
	    "certificate %lld: the %d-day notice on channel %lld is claimed "
	    "already", (long long)rec->cert_id, rec->threshold_days,
	    (long long)rec->channel_id);
	SQL_CHECK(src == SQLITE_ROW, src, "claim a notice");
	rec->id = sqlite3_column_int64(st, 0);
	src = sqlite3_step(st);
	SQL_CHECK(src == SQLITE_DONE, src, "claim a notice");
	rec->status = CERTA_NOTICE_PENDING;
	rec->attempts = 0;
out:
	stmt_put(s, ST_NOTICE_CLAIM, st);
	return rc;
}

static certa_rc
sqlite_notice_due_each(struct certa_store *s, int64_t now, size_t limit,
    certa_store_notice_fn fn, void *arg, struct certa_err *err)
{
	struct certa_notice_rec	 rec;
	struct notify_cb	 cb = { .notice = fn, .arg = arg };

	return notify_walk(s, ST_NOTICE_DUE, 2, now, sql_limit(limit), &rec,
	    sizeof(rec), read_notice, cb_notice, &cb, "list due notices", err);
}

static certa_rc
sqlite_notice_lease(struct certa_store *s, int64_t id, int64_t seen,
    int64_t until, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_NOTICE_LEASE, &st, err));
	bind_int(st, 1, id, &src);
	bind_int(st, 2, seen, &src);
	bind_int(st, 3, until, &src);
	SQL_CHECK(src == SQLITE_OK, src, "take notice %lld", (long long)id);
	CERTA_TRY(step_done(s, st, "take a notice", err));
	CERTA_CHECK(sqlite3_changes(s->db) == 1, CERTA_E_CONFLICT, "notice "
	    "%lld was taken by another process", (long long)id);
out:
	stmt_put(s, ST_NOTICE_LEASE, st);
	return rc;
}

static certa_rc
sqlite_notice_record(struct certa_store *s,
    struct certa_notify_delivery_rec *d, enum certa_notice_status status,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	enum stmt_id	 sid = ST_NOTICE_UPDATE;
	int		 src = SQLITE_OK;
	bool		 own = false;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(own_begin(s, &own, err));
	CERTA_TRY(stmt_get(s, sid, &st, err));
	bind_int(st, 1, d->notice_id, &src);
	bind_int(st, 2, (int64_t)status, &src);
	bind_int(st, 3, d->attempt, &src);
	bind_int(st, 4, d->next_attempt_at, &src);
	bind_int(st, 5, status == CERTA_NOTICE_PENDING ? 0 : d->time, &src);
	SQL_CHECK(src == SQLITE_OK, src, "record a delivery");
	CERTA_TRY(step_done(s, st, "record a delivery", err));
	CERTA_CHECK(sqlite3_changes(s->db) == 1, CERTA_E_NOTFOUND, "no "
	    "notice with id %lld", (long long)d->notice_id);
	stmt_put(s, sid, st);
	st = NULL;
	sid = ST_NOTIFY_DELIVERY_PUT;
	CERTA_TRY(stmt_get(s, sid, &st, err));
	bind_int(st, 1, d->notice_id, &src);
	bind_int(st, 2, d->attempt, &src);
	bind_int(st, 3, d->time, &src);
	bind_int(st, 4, d->ok ? 1 : 0, &src);
	bind_int(st, 5, d->code, &src);
	bind_text(st, 6, d->error, &src);
	bind_int(st, 7, d->next_attempt_at, &src);
	SQL_CHECK(src == SQLITE_OK, src, "log a delivery");
	CERTA_TRY(step_returning(s, st, &d->id, "log a delivery", err));
out:
	stmt_put(s, sid, st);
	return own_end(s, own, rc, err);
}

static certa_rc
sqlite_notify_delivery_each(struct certa_store *s, size_t limit,
    certa_store_notify_delivery_fn fn, void *arg, struct certa_err *err)
{
	struct certa_notify_delivery_rec	 rec;
	struct notify_cb			 cb = { .delivery = fn,
						    .arg = arg };

	return notify_walk(s, ST_NOTIFY_DELIVERY_EACH, 1, sql_limit(limit), 0,
	    &rec, sizeof(rec), read_notify_delivery, cb_delivery, &cb, "list "
	    "deliveries", err);
}

static certa_rc
sqlite_notify_cert_off_each(struct certa_store *s,
    certa_store_notify_cert_off_fn fn, void *arg, struct certa_err *err)
{
	struct certa_notify_cert_off_rec	 rec;
	struct notify_cb			 cb = { .cert_off = fn,
						    .arg = arg };

	return notify_walk(s, ST_NOTIFY_CERT_OFF_EACH, 0, 0, 0, &rec,
	    sizeof(rec), read_notify_cert_off, cb_cert_off, &cb, "list "
	    "notification opt-outs", err);
}

static certa_rc
sqlite_notice_each(struct certa_store *s, certa_store_notice_fn fn,
    void *arg, struct certa_err *err)
{
	struct certa_notice_rec	 rec;
	struct notify_cb	 cb = { .notice = fn, .arg = arg };

	return notify_walk(s, ST_NOTICE_EACH, 0, 0, 0, &rec, sizeof(rec),
	    read_notice, cb_notice, &cb, "list notices", err);
}

static certa_rc
sqlite_notify_channel_import(struct certa_store *s,
    const struct certa_notify_channel_rec *rec, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_NOTIFY_CHANNEL_IMPORT, &st, err));
	bind_int(st, 1, rec->id, &src);
	bind_id(st, 2, rec->org_id, &src);
	bind_text(st, 3, rec->kind, &src);
	bind_text(st, 4, rec->target, &src);
	bind_text(st, 5, rec->secret, &src);
	bind_int(st, 6, rec->enabled ? 1 : 0, &src);
	bind_int(st, 7, rec->created_at, &src);
	return import_step(s, ST_NOTIFY_CHANNEL_IMPORT, st, src,
	    "notification channel", rec->id, err);
out:
	return rc;
}

static certa_rc
sqlite_notify_cert_off_import(struct certa_store *s,
    const struct certa_notify_cert_off_rec *rec, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_NOTIFY_CERT_OFF_IMPORT, &st, err));
	bind_int(st, 1, rec->cert_id, &src);
	bind_int(st, 2, rec->created_at, &src);
	return import_step(s, ST_NOTIFY_CERT_OFF_IMPORT, st, src,
	    "notification opt-out of certificate", rec->cert_id, err);
out:
	return rc;
}

static certa_rc
sqlite_notice_import(struct certa_store *s, const struct certa_notice_rec *rec,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_NOTICE_IMPORT, &st, err));
	bind_int(st, 1, rec->id, &src);
	bind_int(st, 2, rec->cert_id, &src);
	bind_int(st, 3, rec->threshold_days, &src);
	bind_int(st, 4, rec->channel_id, &src);
	bind_int(st, 5, (int64_t)rec->status, &src);
	bind_int(st, 6, rec->attempts, &src);
	bind_int(st, 7, rec->next_attempt_at, &src);
	bind_int(st, 8, rec->created_at, &src);
	bind_int(st, 9, rec->done_at, &src);
	return import_step(s, ST_NOTICE_IMPORT, st, src, "notice", rec->id,
	    err);
out:
	return rc;
}

static certa_rc
sqlite_notify_delivery_import(struct certa_store *s,
    const struct certa_notify_delivery_rec *rec, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_NOTIFY_DELIVERY_IMPORT, &st, err));
	bind_int(st, 1, rec->id, &src);
	bind_int(st, 2, rec->notice_id, &src);
	bind_int(st, 3, rec->attempt, &src);
	bind_int(st, 4, rec->time, &src);
	bind_int(st, 5, rec->ok ? 1 : 0, &src);
	bind_int(st, 6, rec->code, &src);
	bind_text(st, 7, rec->error, &src);
	bind_int(st, 8, rec->next_attempt_at, &src);
	return import_step(s, ST_NOTIFY_DELIVERY_IMPORT, st, src, "delivery",
	    rec->id, err);
out:
	return rc;
}

/* --- cluster: nodes and leases (008_cluster.sql) ------------------------ */

static certa_rc
sqlite_node_put(struct certa_store *s, const struct certa_node_rec *rec,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_NODE_PUT, &st, err));
	bind_text(st, 1, rec->id, &src);
	bind_text(st, 2, rec->name, &src);
	bind_int(st, 3, rec->started_at, &src);
	bind_int(st, 4, rec->last_heartbeat, &src);
	bind_int(st, 5, rec->generation, &src);
	bind_int(st, 6, rec->audit_seq, &src);
	SQL_CHECK(src == SQLITE_OK, src, "store node %s", rec->id);
	CERTA_TRY(step_done(s, st, "store a node", err));
out:
	stmt_put(s, ST_NODE_PUT, st);
	return rc;
}

static void
col_copy(sqlite3_stmt *st, int col, char *out, size_t len)
{
	const unsigned char	*t = sqlite3_column_text(st, col);

	snprintf(out, len, "%s", t != NULL ? (const char *)t : "");
}

static certa_rc
sqlite_node_each(struct certa_store *s, certa_store_node_fn fn, void *arg,
    struct certa_err *err)
{
	struct certa_node_rec	 rec;
	sqlite3_stmt		*st = NULL;
	int			 src;
	certa_rc		 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_NODE_EACH, &st, err));
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&rec, 0, sizeof(rec));
		col_copy(st, 0, rec.id, sizeof(rec.id));
		col_copy(st, 1, rec.name, sizeof(rec.name));
		rec.started_at = sqlite3_column_int64(st, 2);
		rec.last_heartbeat = sqlite3_column_int64(st, 3);
		rec.generation = sqlite3_column_int64(st, 4);
		rec.audit_seq = sqlite3_column_int64(st, 5);
		CERTA_TRY(fn(&rec, arg));
	}
	SQL_CHECK(src == SQLITE_DONE, src, "list nodes");
out:
	stmt_put(s, ST_NODE_EACH, st);
	return rc;
}

static certa_rc
sqlite_lease_take(struct certa_store *s, const char *name, const char *holder,
    int64_t now, int64_t expires_at, bool *held, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_LEASE_TAKE, &st, err));
	bind_text(st, 1, name, &src);
	bind_text(st, 2, holder, &src);
	bind_int(st, 3, now, &src);
	bind_int(st, 4, expires_at, &src);
	SQL_CHECK(src == SQLITE_OK, src, "lease %s", name);
	CERTA_TRY(step_done(s, st, "take a lease", err));
	*held = sqlite3_changes(s->db) == 1;
out:
	stmt_put(s, ST_LEASE_TAKE, st);
	return rc;
}

static certa_rc
sqlite_lease_get(struct certa_store *s, const char *name, char holder[40],
    int64_t *expires_at, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_LEASE_GET, &st, err));
	bind_text(st, 1, name, &src);
	SQL_CHECK(src == SQLITE_OK, src, "lease %s", name);
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_DONE, CERTA_E_NOTFOUND, "lease '%s' was "
	    "never taken", name);
	SQL_CHECK(src == SQLITE_ROW, src, "read lease %s", name);
	col_copy(st, 0, holder, 40);
	*expires_at = sqlite3_column_int64(st, 1);
out:
	stmt_put(s, ST_LEASE_GET, st);
	return rc;
}

static certa_rc
sqlite_crl_put(struct certa_store *s, const struct certa_crl_rec *rec,
    bool *stored, struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 src = SQLITE_OK;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_CRL_PUT, &st, err));
	bind_int(st, 1, rec->ca_id, &src);
	bind_int(st, 2, rec->crl_number, &src);
	bind_int(st, 3, rec->this_update, &src);
	bind_int(st, 4, rec->next_update, &src);
	bind_blob(st, 5, rec->der, rec->der_len, &src);
	SQL_CHECK(src == SQLITE_OK, src, "store CRL %lld",
	    (long long)rec->crl_number);
	CERTA_TRY(step_done(s, st, "store a CRL", err));
	*stored = sqlite3_changes(s->db) == 1;
out:
	stmt_put(s, ST_CRL_PUT, st);
	return rc;
}

static certa_rc
sqlite_crl_get(struct certa_store *s, int64_t ca_id, struct certa_crl_rec *out,
    struct certa_err *err)
{
	sqlite3_stmt	*st = NULL;
	const void	*b;
	int		 src = SQLITE_OK, n;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(stmt_get(s, ST_CRL_GET, &st, err));
	bind_int(st, 1, ca_id, &src);
	SQL_CHECK(src == SQLITE_OK, src, "read the CRL of CA %lld",
	    (long long)ca_id);
	src = sqlite3_step(st);
	CERTA_CHECK(src != SQLITE_DONE, CERTA_E_NOTFOUND, "no CRL stored for "
	    "CA %lld", (long long)ca_id);
	SQL_CHECK(src == SQLITE_ROW, src, "read a CRL");
	out->ca_id = ca_id;
	out->crl_number = sqlite3_column_int64(st, 0);
	out->this_update = sqlite3_column_int64(st, 1);
	out->next_update = sqlite3_column_int64(st, 2);
	b = sqlite3_column_blob(st, 3);
	n = sqlite3_column_bytes(st, 3);
	CERTA_CHECK(n > 0 && (out->der = malloc((size_t)n)) != NULL,
	    CERTA_E_NOMEM, "read a CRL: out of memory");
	memcpy(out->der, b, (size_t)n);
	out->der_len = (size_t)n;
out:
	stmt_put(s, ST_CRL_GET, st);
	return rc;
}

const struct certa_store_ops certa_store_sqlite_ops = {
	.name = "sqlite",
	.accepts = sqlite_accepts,
	.open = sqlite_open,
	.close = sqlite_close,
	.schema_version = sqlite_schema_version,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.meta_get = sqlite_meta_get,
	.meta_set = sqlite_meta_set,
	.org_put = sqlite_org_put,
	.org_get = sqlite_org_get,
	.org_each = sqlite_org_each,
	.app_put = sqlite_app_put,
	.app_get = sqlite_app_get,
	.app_find = sqlite_app_find,
	.app_each = sqlite_app_each,
	.ca_put = sqlite_ca_put,
	.ca_get = sqlite_ca_get,
	.ca_get_active = sqlite_ca_get_active,
	.ca_each = sqlite_ca_each,
	.ca_next_crl_number = sqlite_ca_next_crl_number,
	.cert_reserve = sqlite_cert_reserve,
	.org_import = sqlite_org_import,
	.app_import = sqlite_app_import,
	.ca_import = sqlite_ca_import,
	.cert_import = sqlite_cert_import,
	.cert_finish = sqlite_cert_finish,
	.cert_get = sqlite_cert_get,
	.cert_get_serial = sqlite_cert_get_serial,
	.cert_each = sqlite_cert_each,
	.cert_revoke = sqlite_cert_revoke,
	.revoked_each = sqlite_revoked_each,
	.audit_append = sqlite_audit_append,
	.audit_last = sqlite_audit_last,
	.audit_each = sqlite_audit_each,
	.trust_put = sqlite_trust_put,
	.trust_get_alias = sqlite_trust_get_alias,
	.trust_get_fp = sqlite_trust_get_fp,
	.trust_each = sqlite_trust_each,
	.trust_each_subject = sqlite_trust_each_subject,
	.trust_unkeyed = sqlite_trust_unkeyed,
	.trust_set_list = sqlite_trust_set_list,
	.trust_delete = sqlite_trust_delete,
	.trust_knock = sqlite_trust_knock,
	.trust_crl_put = sqlite_trust_crl_put,
	.trust_crl_each = sqlite_trust_crl_each,
	.trust_crl_delete = sqlite_trust_crl_delete,
	.trust_generation = sqlite_trust_generation,
	.trust_generation_fast = sqlite_trust_generation_fast,
	.org_rename = sqlite_org_rename,
	.app_rename = sqlite_app_rename,
	.org_delete = sqlite_org_delete,
	.app_delete = sqlite_app_delete,
	.cert_count_valid = sqlite_cert_count_valid,
	.token_put = sqlite_token_put,
	.token_get = sqlite_token_get,
	.token_each = sqlite_token_each,
	.token_revoke = sqlite_token_revoke,
	.token_touch = sqlite_token_touch,
	.role_map_set = sqlite_role_map_set,
	.role_map_get = sqlite_role_map_get,
	.role_map_delete = sqlite_role_map_delete,
	.role_map_each = sqlite_role_map_each,
	.notify_channel_put = sqlite_notify_channel_put,
	.notify_channel_delete = sqlite_notify_channel_delete,
	.notify_channel_each = sqlite_notify_channel_each,
	.notify_org_set = sqlite_notify_org_set,
	.notify_org_each = sqlite_notify_org_each,
	.notify_cert_set = sqlite_notify_cert_set,
	.notify_cand_each = sqlite_notify_cand_each,
	.notice_claim = sqlite_notice_claim,
	.notice_due_each = sqlite_notice_due_each,
	.notice_lease = sqlite_notice_lease,
	.notice_record = sqlite_notice_record,
	.notify_delivery_each = sqlite_notify_delivery_each,
	.notify_cert_off_each = sqlite_notify_cert_off_each,
	.notice_each = sqlite_notice_each,
	.notify_channel_import = sqlite_notify_channel_import,
	.notify_cert_off_import = sqlite_notify_cert_off_import,
	.notice_import = sqlite_notice_import,
	.notify_delivery_import = sqlite_notify_delivery_import,
	.node_put = sqlite_node_put,
	.node_each = sqlite_node_each,
	.lease_take = sqlite_lease_take,
	.lease_get = sqlite_lease_get,
	.crl_put = sqlite_crl_put,
	.crl_get = sqlite_crl_get,
	.request_put = sqlite_request_put,
	.request_get = sqlite_request_get,
	.request_each = sqlite_request_each,
	.request_transition = sqlite_request_transition,
	.org_set_approval = sqlite_org_set_approval,
	.org_get_approval = sqlite_org_get_approval,
};
