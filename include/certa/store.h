/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The only door to persistence.  No SQL crosses this line: callers see
 * records and iterators, backends (src/store/sqlite.c, src/store/postgres.c)
 * implement struct certa_store_ops.
 *
 * Ownership: records passed IN are borrowed for the call.  Records filled
 * OUT own their pointer fields; release them with the matching *_clear().
 * Times are int64_t UTC Unix seconds.  Ids are positive and grow, but need
 * not be dense (PostgreSQL skips the ids of failed inserts); 0 means "none".
 *
 * Transactions: certa_store_begin() opens a write transaction (SQLite:
 * BEGIN IMMEDIATE; PostgreSQL: READ COMMITTED plus the store's advisory
 * write lock), which must end in commit or rollback; a commit that
 * fails (AGAIN) leaves it open for the caller to roll back (on PostgreSQL
 * it is over already, and the rollback does nothing).  On PostgreSQL a
 * connection lost inside a transaction makes every call AGAIN until the
 * caller ends it: nothing of it was committed.  Calls made
 * outside a transaction run in autocommit.  Transactions do not nest
 * (INVAL).  A handle serves one thread at a time.
 *
 * Return codes every call may give besides those listed: AGAIN (the store
 * stayed busy past its timeout), STORE (the backend failed), NOTFOUND for
 * a reference to a missing row (org, CA, app, predecessor), INVAL for a
 * record that breaks a constraint (bad role, reason, serial form).
 *
 * Iterators: the record passed to a callback, and every pointer in it, is
 * borrowed for the duration of the call only.
 */
#ifndef CERTA_STORE_H
#define CERTA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <certa/err.h>

struct certa_store;

enum certa_cert_status {
	CERTA_CERT_VALID = 0,
	CERTA_CERT_REVOKED,
	CERTA_CERT_STATUS__COUNT
};

/* RFC 5280 §5.3.1 CRLReason codes certa accepts; -1 = not revoked. */
#define CERTA_REASON_NONE	-1

struct certa_org_rec {
	int64_t		 id;
	char		*name;		/* owns */
	int64_t		 created_at;
};

struct certa_app_rec {
	int64_t		 id;
	int64_t		 org_id;
	char		*name;		/* owns */
	char		*org_name;	/* owns; filled by get/find/each */
	int64_t		 created_at;
};

struct certa_ca_rec {
	int64_t		 id;
	char		*name;		/* owns; unique, e.g. "root", "issuing" */
	char		*role;		/* owns; "root" | "issuing" */
	int64_t		 parent_id;	/* 0 for a root */
	char		*status;	/* owns; "active" | "retired" */
	uint8_t		*cert_der;	/* owns */
	size_t		 cert_der_len;
	char		*key_pem;	/* owns; encrypted PKCS#8 PEM, or NULL */
	int64_t		 crl_number;	/* last CRL number issued, 0 = none */
	int64_t		 created_at;
};

struct certa_cert_rec {
	int64_t		 id;
	int64_t		 ca_id;
	int64_t		 app_id;
	char		*serial;	/* owns; lower-case hex, no "0x" */
	char		*type;		/* owns; transport|signing|encryption|.. */
	char		*profile;	/* owns; profile name used */
	char		*subject;	/* owns; RFC 4514 string */
	char		*sans;		/* owns; "DNS:a, URI:b" or NULL */
	char		*key_alg;	/* owns; "ec:P-256", "rsa:3072", ... */
	int64_t		 not_before;
	int64_t		 not_after;
	enum certa_cert_status status;
	int64_t		 revoked_at;	/* 0 unless revoked */
	int		 reason;	/* CRLReason, CERTA_REASON_NONE */
	int64_t		 predecessor_id;
	char		*fingerprint;	/* owns; SHA-256 lower-case hex */
	uint8_t		*der;		/* owns; NULL while only reserved */
	size_t		 der_len;
	char		*key_pem;	/* owns; encrypted PKCS#8 or NULL */
	int64_t		 created_at;
};

/* Filter for certa_store_cert_each; zero/NULL fields do not filter. */
struct certa_cert_filter {
	int64_t		 app_id;
	int64_t		 ca_id;
	const char	*type;
	int		 status;	/* -1 any (set it: 0 is VALID), or
					 * enum certa_cert_status */
	int64_t		 not_after_min;	/* not_after >= this (0: none) */
	int64_t		 not_after_max;	/* not_after <  this (0: none) */
	int64_t		 after_id;	/* id > this, for paging */
	size_t		 limit;		/* 0 = no limit */
};

struct certa_audit_rec {
	int64_t		 seq;
	int64_t		 time;
	char		*actor;		/* owns */
	char		*action;	/* owns */
	char		*object;	/* owns */
	char		*outcome;	/* owns */
	char		*details;	/* owns; JSON text or NULL */
	char		 prev_hash[65];	/* SHA-256 hex of previous record */
	char		 hash[65];
};

/* Iterators: a non-OK return stops the walk and is returned by *_each. */
typedef certa_rc (*certa_store_org_fn)(const struct certa_org_rec *, void *);
typedef certa_rc (*certa_store_app_fn)(const struct certa_app_rec *, void *);
typedef certa_rc (*certa_store_ca_fn)(const struct certa_ca_rec *, void *);
typedef certa_rc (*certa_store_cert_fn)(const struct certa_cert_rec *, void *);
typedef certa_rc (*certa_store_audit_fn)(const struct certa_audit_rec *,
    void *);
/* For CRLs: serial as lower-case hex, borrowed for the call. */
typedef certa_rc (*certa_store_revoked_fn)(const char *serial,
    int64_t revoked_at, int reason, void *);

void	certa_org_rec_clear(struct certa_org_rec *);
void	certa_app_rec_clear(struct certa_app_rec *);
void	certa_ca_rec_clear(struct certa_ca_rec *);
void	certa_cert_rec_clear(struct certa_cert_rec *);
void	certa_audit_rec_clear(struct certa_audit_rec *);

/*
 * Open the store named by dsn: "sqlite:PATH" or a bare PATH (SQLite), or
 * a libpq URI "postgres://..." / "postgresql://..." (PostgreSQL; the
 * database must exist).  Creates the database file (SQLite) and applies
 * migrations when needed.
 * CERTA_E_STORE when it cannot be opened (a PostgreSQL server that cannot
 * be reached: at once, "... is unreachable"), CERTA_E_CONFLICT when it was
 * written by a newer schema than this build knows.
 */
CERTA_MUST_USE certa_rc certa_store_open(struct certa_store **out,
    const char *dsn, struct certa_err *err);
void	certa_store_close(struct certa_store *);
/* "sqlite" or "postgres" */
const char *certa_store_backend(const struct certa_store *);
/* Schema version the store is at. */
int	certa_store_schema_version(const struct certa_store *);

CERTA_MUST_USE certa_rc certa_store_begin(struct certa_store *,
    struct certa_err *);
CERTA_MUST_USE certa_rc certa_store_commit(struct certa_store *,
    struct certa_err *);
void	certa_store_rollback(struct certa_store *);

/* Key/value settings. get: NOTFOUND when absent; *out is malloc'ed. */
CERTA_MUST_USE certa_rc certa_store_meta_get(struct certa_store *,
    const char *key, char **out, struct certa_err *);
CERTA_MUST_USE certa_rc certa_store_meta_set(struct certa_store *,
    const char *key, const char *value, struct certa_err *);

/* Organisations. put sets rec->id; CONFLICT when the name exists. */
CERTA_MUST_USE certa_rc certa_store_org_put(struct certa_store *,
    struct certa_org_rec *rec, struct certa_err *);
/* get by id (name == NULL) or by name (id ignored). NOTFOUND. */
CERTA_MUST_USE certa_rc certa_store_org_get(struct certa_store *, int64_t id,
    const char *name, struct certa_org_rec *out, struct certa_err *);
CERTA_MUST_USE certa_rc certa_store_org_each(struct certa_store *,
    certa_store_org_fn fn, void *arg, struct certa_err *);

/* Applications: name unique within an org.  put sets rec->id; CONFLICT. */
CERTA_MUST_USE certa_rc certa_store_app_put(struct certa_store *,
    struct certa_app_rec *rec, struct certa_err *);
CERTA_MUST_USE certa_rc certa_store_app_get(struct certa_store *, int64_t id,
    struct certa_app_rec *out, struct certa_err *);
/*
 * Find by name, within org_name when not NULL.  NOTFOUND when none,
 * CONFLICT when org_name is NULL and several orgs have such an app.
 */
CERTA_MUST_USE certa_rc certa_store_app_find(struct certa_store *,
    const char *org_name, const char *name, struct certa_app_rec *out,
    struct certa_err *);
/* All apps, or those of org_id when non-zero, ordered by id. */
CERTA_MUST_USE certa_rc certa_store_app_each(struct certa_store *,
    int64_t org_id, certa_store_app_fn fn, void *arg, struct certa_err *);

/*
 * Rename an organisation or application.  NOTFOUND for an unknown id,
 * CONFLICT when the name is taken (for an application: within its org).
 */
CERTA_MUST_USE certa_rc certa_store_org_rename(struct certa_store *,
    int64_t id, const char *name, struct certa_err *);
CERTA_MUST_USE certa_rc certa_store_app_rename(struct certa_store *,
    int64_t id, const char *name, struct certa_err *);
/*
 * Delete an application, or an organisation with all its applications.
 * Their certificates keep their rows and lose the link (app_id 0).  No
 * check of what they hold: callers count first, in the same transaction
 * (certa_store_cert_count_valid).  NOTFOUND for an unknown id.
 */
CERTA_MUST_USE certa_rc certa_store_org_delete(struct certa_store *,
    int64_t id, struct certa_err *);
CERTA_MUST_USE certa_rc certa_store_app_delete(struct certa_store *,
    int64_t id, struct certa_err *);

/* CAs. put sets rec->id; CONFLICT when the name exists. */
CERTA_MUST_USE certa_rc certa_store_ca_put(struct certa_store *,
    struct certa_ca_rec *rec, struct certa_err *);
CERTA_MUST_USE certa_rc certa_store_ca_get(struct certa_store *, int64_t id,
    struct certa_ca_rec *out, struct certa_err *);
/* The newest CA with this role and status "active". NOTFOUND. */
CERTA_MUST_USE certa_rc certa_store_ca_get_active(struct certa_store *,
    const char *role, struct certa_ca_rec *out, struct certa_err *);
CERTA_MUST_USE certa_rc certa_store_ca_each(struct certa_store *,
    certa_store_ca_fn fn, void *arg, struct certa_err *);
/* Increment the CA's CRL number and return the new value. */
CERTA_MUST_USE certa_rc certa_store_ca_next_crl_number(struct certa_store *,
    int64_t ca_id, int64_t *out, struct certa_err *);

/*
 * Reserve a serial: insert rec (der may be NULL) and set rec->id.
 * CONFLICT when (ca_id, serial) exists: the caller draws another serial.
 */
CERTA_MUST_USE certa_rc certa_store_cert_reserve(struct certa_store *,
    struct certa_cert_rec *rec, struct certa_err *);
/*
 * Attach the signed DER and fingerprint to a reserved row.  NOTFOUND, or
 * CONFLICT when the row has its DER already.
 */
CERTA_MUST_USE certa_rc certa_store_cert_finish(struct certa_store *,
    int64_t id, const uint8_t *der, size_t der_len, const char *fingerprint,
    struct certa_err *);
CERTA_MUST_USE certa_rc certa_store_cert_get(struct certa_store *, int64_t id,
    struct certa_cert_rec *out, struct certa_err *);
/*
 * By serial (hex, any case, leading zeros ignored) over all CAs; PARSE for
 * non-hex, CONFLICT when several CAs issued that serial.
 */
CERTA_MUST_USE certa_rc certa_store_cert_get_serial(struct certa_store *,
    const char *serial, struct certa_cert_rec *out, struct certa_err *);
/* Rows with der != NULL matching f, ordered by id. */
CERTA_MUST_USE certa_rc certa_store_cert_each(struct certa_store *,
    const struct certa_cert_filter *f, certa_store_cert_fn fn, void *arg,
    struct certa_err *);
/*
 * Mark revoked (permanent) and bump the trust generation (certa_ca
 * validators hold revoked serials).  NOTFOUND for an unknown id, CONFLICT
 * when it is revoked already.
 */
CERTA_MUST_USE certa_rc certa_store_cert_revoke(struct certa_store *,
    int64_t id, int64_t revoked_at, int reason, struct certa_err *);
/*
 * How many certificates of app_id (when non-zero), else of any application
 * of org_id, are valid at time at: not revoked and not_after > at.
 * Reserved rows (no DER yet) count: they are about to be issued.
 */
CERTA_MUST_USE certa_rc certa_store_cert_count_valid(struct certa_store *,
    int64_t org_id, int64_t app_id, int64_t at, int64_t *out,
    struct certa_err *);
/* Revoked certificates of ca_id, ordered by serial text, streamed. */
CERTA_MUST_USE certa_rc certa_store_revoked_each(struct certa_store *,
    int64_t ca_id, certa_store_revoked_fn fn, void *arg, struct certa_err *);

/*
 * Import (certa store migrate, include/certa/migrate.h): insert a row
 * with its own id (rec->id > 0) and every field as given, a certificate
 * with its status, revocation, DER and key, so rows that refer to it by id
 * keep doing so; ids assigned later are larger.  No defaults are filled
 * in and nothing else changes (no trust generation bump).  CONFLICT when
 * the id, a name or a (CA, serial) is taken.
 */
CERTA_MUST_USE certa_rc certa_store_org_import(struct certa_store *,
    const struct certa_org_rec *rec, struct certa_err *);
CERTA_MUST_USE certa_rc certa_store_app_import(struct certa_store *,
    const struct certa_app_rec *rec, struct certa_err *);
CERTA_MUST_USE certa_rc certa_store_ca_import(struct certa_store *,
    const struct certa_ca_rec *rec, struct certa_err *);
CERTA_MUST_USE certa_rc certa_store_cert_import(struct certa_store *,
    const struct certa_cert_rec *rec, struct certa_err *);

/* Audit log: append with rec->seq = last + 1; CONFLICT if seq exists. */
CERTA_MUST_USE certa_rc certa_store_audit_append(struct certa_store *,
    const struct certa_audit_rec *rec, struct certa_err *);
/* Last record's seq and hash; seq 0 and hash "" when the log is empty. */
CERTA_MUST_USE certa_rc certa_store_audit_last(struct certa_store *,
    int64_t *seq, char hash[65], struct certa_err *);
/* Records with seq > since, in order. */
CERTA_MUST_USE certa_rc certa_store_audit_each(struct certa_store *,
    int64_t since, certa_store_audit_fn fn, void *arg, struct certa_err *);

/*
 * Trust store (ARCHITECTURE "trust_entry", "trust_crl").  Every change of
 * an entry's presence or list, and every CRL put, bumps the trust
 * generation in the same transaction (a call made in autocommit runs in
 * one of its own), so a validator knows when its snapshot is stale.
 */
struct certa_trust_rec {
	int64_t		 id;
	char		*alias;		/* owns; unique, 1..64 bytes */
	char		*list;		/* owns; "trusted"|"issuer"|"rejected" */
	uint8_t		*der;		/* owns */
	size_t		 der_len;
	char		*fingerprint;	/* owns; SHA-256 lower-case hex, unique */
	char		*subject;	/* owns; RFC 4514 */
	char		*issuer;	/* owns; RFC 4514 */
	char		*serial;	/* owns; lower-case hex */
	int64_t		 not_before;
	int64_t		 not_after;
	char		*source;	/* owns; "imported"|"auto-rejected"|
					 * "issued"|"cluster" */
	int64_t		 first_seen;	/* 0 on put: now */
	int64_t		 last_seen;	/* 0 on put: first_seen */
	int64_t		 attempts;	/* knocks recorded */
	char		*peer_addr;	/* owns; last knock's peer, or NULL */
	char		*subject_key;	/* owns; hex of the subject Name's
					 * canonical hash (X509_NAME_hash_ex),
					 * or NULL; written by put and knock,
					 * not read back */
};

/* A CRL of a trusted or issuer CA; one per issuer (issuer_hash, key_id). */
struct certa_trust_crl_rec {
	int64_t		 id;
	char		*issuer;	/* owns; RFC 4514 */
	char		*issuer_hash;	/* owns; SHA-256 hex of the issuer
					 * Name's DER */
	char		*key_id;	/* owns; AKI keyIdentifier hex, or "" */
	char		*crl_number;	/* owns; lower-case hex, or NULL */
	int64_t		 this_update;
	int64_t		 next_update;	/* 0 when absent */
	uint8_t		*der;		/* owns */
	size_t		 der_len;
	char		*fingerprint;	/* owns; SHA-256 hex of the DER */
	int64_t		 imported_at;	/* 0 on put: now */
};

typedef certa_rc (*certa_store_trust_fn)(const struct certa_trust_rec *,
    void *);
typedef certa_rc (*certa_store_trust_crl_fn)(
    const struct certa_trust_crl_rec *, void *);

void	certa_trust_rec_clear(struct certa_trust_rec *);
void	certa_trust_crl_rec_clear(struct certa_trust_crl_rec *);

/*
 * Add an entry; sets rec->id (and first/last_seen when 0).  CONFLICT when
 * the alias or the fingerprint exists (the message says which), INVAL for
 * an unknown list or source.
 */
CERTA_MUST_USE certa_rc certa_store_trust_put(struct certa_store *,
    struct certa_trust_rec *rec, struct certa_err *);
/* By alias (exact bytes) or by SHA-256 fingerprint (hex).  NOTFOUND. */
CERTA_MUST_USE certa_rc certa_store_trust_get_alias(struct certa_store *,
    const char *alias, struct certa_trust_rec *out, struct certa_err *);
CERTA_MUST_USE certa_rc certa_store_trust_get_fp(struct certa_store *,
    const char *fingerprint, struct certa_trust_rec *out,
    struct certa_err *);
/* Entries of one list (NULL: all), ordered by id. */
CERTA_MUST_USE certa_rc certa_store_trust_each(struct certa_store *,
    const char *list, certa_store_trust_fn fn, void *arg,
    struct certa_err *);
/*
 * Entries (all lists) whose subject_key is subject_key, ordered by id: an
 * indexed lookup.  Rows stored without a key are never returned.
 */
CERTA_MUST_USE certa_rc certa_store_trust_each_subject(struct certa_store *,
    const char *subject_key, certa_store_trust_fn fn, void *arg,
    struct certa_err *);
/* How many entries have no subject_key (stored before schema 3). */
CERTA_MUST_USE certa_rc certa_store_trust_unkeyed(struct certa_store *,
    int64_t *out, struct certa_err *);
/*
 * Move an entry to another list.  NOTFOUND for an unknown alias, INVAL for
 * an unknown list; moving to the list it is in changes nothing (no bump).
 */
CERTA_MUST_USE certa_rc certa_store_trust_set_list(struct certa_store *,
    const char *alias, const char *list, struct certa_err *);
/* NOTFOUND for an unknown alias. */
CERTA_MUST_USE certa_rc certa_store_trust_delete(struct certa_store *,
    const char *alias, struct certa_err *);
/*
 * A knock (a certificate presented and refused): when rec->fingerprint is
 * stored, set its last_seen and peer_addr and add one to its attempts,
 * whatever its list; else insert rec in list "rejected" with attempts 1
 * and first_seen = last_seen (rec->list is ignored).  One row per
 * fingerprint, never two, even for concurrent knocks.  *inserted says
 * which; only an insert bumps the generation.  CONFLICT when inserting
 * and rec->alias is taken (pick another alias and retry).
 */
CERTA_MUST_USE certa_rc certa_store_trust_knock(struct certa_store *,
    struct certa_trust_rec *rec, bool *inserted, struct certa_err *);
/*
 * Store a CRL, replacing the one of the same issuer (issuer_hash, key_id);
 * sets rec->id.  Whether it is newer is the caller's question.
 */
CERTA_MUST_USE certa_rc certa_store_trust_crl_put(struct certa_store *,
    struct certa_trust_crl_rec *rec, struct certa_err *);
/* Every stored CRL, ordered by id. */
CERTA_MUST_USE certa_rc certa_store_trust_crl_each(struct certa_store *,
    certa_store_trust_crl_fn fn, void *arg, struct certa_err *);
/* NOTFOUND for an unknown id. */
CERTA_MUST_USE certa_rc certa_store_trust_crl_delete(struct certa_store *,
    int64_t id, struct certa_err *);
/* The trust generation: one indexed read, for a per-check staleness test. */
CERTA_MUST_USE certa_rc certa_store_trust_generation(struct certa_store *,
    uint64_t *out, struct certa_err *);

/*
 * The change feed, for stores that several processes share (PostgreSQL:
 * LISTEN/NOTIFY on channel "certa_trust"; each trust-generation bump -
 * trust-store change, revocation, CRL import - notifies at commit).
 * certa_store_watch starts this process's feed of s's database, or joins
 * the running one: one connection and thread per database, whatever the
 * number of watchers.  fn (may be NULL) runs on the feed's thread after
 * each notification and after each (re)connection, when changes may have
 * been missed; it must be quick and must not call into the store.  *out
 * is NULL, and the call OK, for a backend without a feed (SQLite: one
 * machine; its generation read is cheap enough to poll).  The feed
 * reconnects by itself with a backoff; it checks its connection every
 * 2 s.  certa_store_unwatch(NULL) does nothing.
 */
struct certa_store_watch;
typedef void (*certa_store_change_fn)(uint64_t generation, void *arg);
CERTA_MUST_USE certa_rc certa_store_watch(struct certa_store *,
    certa_store_change_fn fn, void *arg, struct certa_store_watch **out,
    struct certa_err *);
void	certa_store_unwatch(struct certa_store_watch *);
/*
 * The trust generation without a round trip while this process has a live
 * feed of s's database: the newest generation notified, or committed by
 * this process (never one not yet committed).  Otherwise, and on backends
 * without a feed, certa_store_trust_generation.  For hot-path staleness
 * checks (a handshake); loads that label a snapshot read the database.
 */
CERTA_MUST_USE certa_rc certa_store_trust_generation_fast(
    struct certa_store *, uint64_t *out, struct certa_err *);

/*
 * API bearer tokens (include/certa/auth.h).  id is the token's public
 * 16-hex-digit id; only the SHA-256 of the secret is stored.  A name is
 * unique among live tokens (revoked_at 0).
 */
struct certa_token_rec {
	char		*id;		/* owns; 16 lower-case hex */
	char		*name;		/* owns */
	unsigned	 role;		/* CERTA_ROLE_* bits */
	char		*secret_hash;	/* owns; SHA-256 hex of secret */
	char		*created_by;	/* owns; actor */
	int64_t		 created_at;
	int64_t		 last_used_at;	/* 0: never */
	int64_t		 revoked_at;	/* 0: live */
};

/* A client certificate's role: kind "subject" or "fingerprint". */
struct certa_role_map_rec {
	int64_t		 id;
	char		*kind;		/* owns */
	char		*value;		/* owns */
	unsigned	 role;
	int64_t		 created_at;	/* 0 on set: now */
};

typedef certa_rc (*certa_store_token_fn)(const struct certa_token_rec *,
    void *);
typedef certa_rc (*certa_store_role_map_fn)(
    const struct certa_role_map_rec *, void *);

void	certa_token_rec_clear(struct certa_token_rec *);
void	certa_role_map_rec_clear(struct certa_role_map_rec *);

/*
 * Add a token (revoked_at and last_used_at as given, normally 0).
 * CONFLICT when the id exists or a live token has the name (the message
 * says which).
 */
CERTA_MUST_USE certa_rc certa_store_token_put(struct certa_store *,
    const struct certa_token_rec *rec, struct certa_err *);
/*
 * By id (name == NULL) or by name among live tokens (id ignored).
 * NOTFOUND.
 */
CERTA_MUST_USE certa_rc certa_store_token_get(struct certa_store *,
    const char *id, const char *name, struct certa_token_rec *out,
    struct certa_err *);
/* Every token, live and revoked, ordered by created_at then id. */
CERTA_MUST_USE certa_rc certa_store_token_each(struct certa_store *,
    certa_store_token_fn fn, void *arg, struct certa_err *);
/* Set revoked_at.  NOTFOUND, or CONFLICT when revoked already. */
CERTA_MUST_USE certa_rc certa_store_token_revoke(struct certa_store *,
    const char *id, int64_t revoked_at, struct certa_err *);
/* Move last_used_at forward to at (never back).  NOTFOUND. */
CERTA_MUST_USE certa_rc certa_store_token_touch(struct certa_store *,
    const char *id, int64_t at, struct certa_err *);

/*
 * Map (kind, value) to rec->role, replacing the role of an existing
 * mapping (which keeps its id and created_at); sets rec->id.  INVAL for an
 * unknown kind.
 */
CERTA_MUST_USE certa_rc certa_store_role_map_set(struct certa_store *,
    struct certa_role_map_rec *rec, struct certa_err *);
/* By (kind, value), exact bytes.  NOTFOUND. */
CERTA_MUST_USE certa_rc certa_store_role_map_get(struct certa_store *,
    const char *kind, const char *value, struct certa_role_map_rec *out,
    struct certa_err *);
/* NOTFOUND when there is no such mapping. */
CERTA_MUST_USE certa_rc certa_store_role_map_delete(struct certa_store *,
    const char *kind, const char *value, struct certa_err *);
/* Every mapping, ordered by id. */
CERTA_MUST_USE certa_rc certa_store_role_map_each(struct certa_store *,
    certa_store_role_map_fn fn, void *arg, struct certa_err *);

/*
 * Expiry notifications (include/certa/notify.h, schema 006).  A notice
 * row is the claim that (certificate, threshold, channel) is notified:
 * claiming twice gives CONFLICT, on any node.
 */
enum certa_notice_status {
	CERTA_NOTICE_PENDING = 0,
	CERTA_NOTICE_SENT,
	CERTA_NOTICE_FAILED,		/* attempts exhausted */
	CERTA_NOTICE_STATUS__COUNT
};

struct certa_notify_channel_rec {
	int64_t		 id;
	int64_t		 org_id;	/* 0: every organisation */
	char		*kind;		/* owns; "webhook" | "smtp" */
	char		*target;	/* owns; URL or mail address */
	char		*secret;	/* owns; HMAC key or NULL; never log */
	bool		 enabled;
	int64_t		 created_at;	/* 0 on put: now */
};

/* Per-organisation settings; absent row: default thresholds, enabled. */
struct certa_notify_org_rec {
	int64_t		 org_id;
	char		*thresholds;	/* owns; "90,30,7,1" or NULL */
	bool		 enabled;
};

struct certa_notice_rec {
	int64_t		 id;
	int64_t		 cert_id;
	int64_t		 channel_id;
	int		 threshold_days;
	enum certa_notice_status status;
	int		 attempts;	/* made so far */
	int64_t		 next_attempt_at;
	int64_t		 created_at;	/* 0 on claim: now */
	int64_t		 done_at;	/* sent or given up; 0 */
};

/* One delivery attempt (the delivery log). */
struct certa_notify_delivery_rec {
	int64_t		 id;
	int64_t		 notice_id;
	int		 attempt;	/* 1, 2, ... */
	int64_t		 time;
	bool		 ok;
	int		 code;		/* HTTP status / SMTP reply; 0 none */
	char		*error;		/* owns; or NULL */
	int64_t		 next_attempt_at; /* 0: no further attempt */
	/* Filled by certa_store_notify_delivery_each: */
	int64_t		 cert_id;
	int64_t		 channel_id;
	int		 threshold_days;
};

/* A certificate opted out of notifications (certa_store_notify_cert_set). */
struct certa_notify_cert_off_rec {
	int64_t		 cert_id;
	int64_t		 created_at;	/* when it was opted out */
};

typedef certa_rc (*certa_store_notify_channel_fn)(
    const struct certa_notify_channel_rec *, void *);
typedef certa_rc (*certa_store_notify_org_fn)(
    const struct certa_notify_org_rec *, void *);
typedef certa_rc (*certa_store_notice_fn)(const struct certa_notice_rec *,
    void *);
typedef certa_rc (*certa_store_notify_cert_off_fn)(
    const struct certa_notify_cert_off_rec *, void *);
typedef certa_rc (*certa_store_notify_delivery_fn)(
    const struct certa_notify_delivery_rec *, void *);
/* A certificate to consider: valid, inside the window, not opted out. */
typedef certa_rc (*certa_store_notify_cand_fn)(int64_t cert_id,
    int64_t org_id, int64_t not_after, void *);

void	certa_notify_channel_rec_clear(struct certa_notify_channel_rec *);
void	certa_notify_org_rec_clear(struct certa_notify_org_rec *);
void	certa_notify_delivery_rec_clear(struct certa_notify_delivery_rec *);

/* Add a channel; sets rec->id.  NOTFOUND for an unknown org, INVAL kind. */
CERTA_MUST_USE certa_rc certa_store_notify_channel_put(struct certa_store *,
    struct certa_notify_channel_rec *rec, struct certa_err *);
/* NOTFOUND; its notices and their log go with it. */
CERTA_MUST_USE certa_rc certa_store_notify_channel_delete(
    struct certa_store *, int64_t id, struct certa_err *);
/* Every channel, ordered by id. */
CERTA_MUST_USE certa_rc certa_store_notify_channel_each(struct certa_store *,
    certa_store_notify_channel_fn fn, void *arg, struct certa_err *);
/* Insert or replace an organisation's settings.  NOTFOUND unknown org. */
CERTA_MUST_USE certa_rc certa_store_notify_org_set(struct certa_store *,
    const struct certa_notify_org_rec *rec, struct certa_err *);
/* Every organisation that has settings, ordered by org_id. */
CERTA_MUST_USE certa_rc certa_store_notify_org_each(struct certa_store *,
    certa_store_notify_org_fn fn, void *arg, struct certa_err *);
/* Opt a certificate out (enabled false) or back in.  NOTFOUND. */
CERTA_MUST_USE certa_rc certa_store_notify_cert_set(struct certa_store *,
    int64_t cert_id, bool enabled, struct certa_err *);
/*
 * Certificates with DER, not revoked, now < not_after <= until, not opted
 * out and not of a disabled organisation, with id > after_id, ordered by
 * id, at most limit (0: no limit).  org_id is 0 for an unlinked one.
 */
CERTA_MUST_USE certa_rc certa_store_notify_cand_each(struct certa_store *,
    int64_t now, int64_t until, int64_t after_id, size_t limit,
    certa_store_notify_cand_fn fn, void *arg, struct certa_err *);
/*
 * Claim (cert_id, threshold_days, channel_id): insert rec (pending) and set
 * rec->id.  CONFLICT when claimed already (by any node).  Run it outside a
 * transaction: on PostgreSQL the violation would abort one.
 */
CERTA_MUST_USE certa_rc certa_store_notice_claim(struct certa_store *,
    struct certa_notice_rec *rec, struct certa_err *);
/* Pending notices with next_attempt_at <= now, oldest due first. */
CERTA_MUST_USE certa_rc certa_store_notice_due_each(struct certa_store *,
    int64_t now, size_t limit, certa_store_notice_fn fn, void *arg,
    struct certa_err *);
/*
 * Take a due notice for one attempt: move its next_attempt_at from seen
 * to until if it is still pending at seen.  CONFLICT when another process
 * took it (or it changed) first.
 */
CERTA_MUST_USE certa_rc certa_store_notice_lease(struct certa_store *,
    int64_t id, int64_t seen, int64_t until, struct certa_err *);
/*
 * Record attempt d->attempt of notice d->notice_id: append d to the
 * delivery log (sets d->id) and set the notice's status, attempts,
 * next_attempt_at (d's) and done_at (d->time unless pending).  Call it in
 * a transaction.  NOTFOUND.
 */
CERTA_MUST_USE certa_rc certa_store_notice_record(struct certa_store *,
    struct certa_notify_delivery_rec *d, enum certa_notice_status status,
    struct certa_err *);
/* The delivery log, newest first, at most limit (0: all). */
CERTA_MUST_USE certa_rc certa_store_notify_delivery_each(
    struct certa_store *, size_t limit, certa_store_notify_delivery_fn fn,
    void *arg, struct certa_err *);
/* Every opted-out certificate, ordered by cert_id. */
CERTA_MUST_USE certa_rc certa_store_notify_cert_off_each(struct certa_store *,
    certa_store_notify_cert_off_fn fn, void *arg, struct certa_err *);
/* Every notice, whatever its status, ordered by id. */
CERTA_MUST_USE certa_rc certa_store_notice_each(struct certa_store *,
    certa_store_notice_fn fn, void *arg, struct certa_err *);
/*
 * Import (certa store migrate, as certa_store_org_import): a channel, an
 * opt-out, a notice or a delivery-log entry with its own id (an opt-out:
 * its cert_id) and every field as given, so notices keep pointing at
 * their channel and deliveries at their notice; ids assigned later are
 * larger.  A delivery's cert_id, channel_id and threshold_days are not
 * stored (they are its notice's).  INVAL for a missing id or reference,
 * kind or status; CONFLICT when the id is taken (or the notice's
 * certificate, threshold and channel are claimed); NOTFOUND when the
 * organisation, certificate, channel or notice referred to is missing.
 */
CERTA_MUST_USE certa_rc certa_store_notify_channel_import(
    struct certa_store *, const struct certa_notify_channel_rec *rec,
    struct certa_err *);
CERTA_MUST_USE certa_rc certa_store_notify_cert_off_import(
    struct certa_store *, const struct certa_notify_cert_off_rec *rec,
    struct certa_err *);
CERTA_MUST_USE certa_rc certa_store_notice_import(struct certa_store *,
    const struct certa_notice_rec *rec, struct certa_err *);
CERTA_MUST_USE certa_rc certa_store_notify_delivery_import(
    struct certa_store *, const struct certa_notify_delivery_rec *rec,
    struct certa_err *);

/*
 * Certificate lifecycle (include/certa/lifecycle.h): requests that wait
 * for an approver, and the approval policy of organisations.
 */
struct certa_request_rec {
	int64_t		 id;
	char		*kind;		/* owns; issue|renew|reissue|revoke */
	char		*state;		/* owns; pending|approved|issued|
					 * revoked|rejected|cancelled|failed */
	int64_t		 app_id;	/* 0: none (revoke, or app deleted) */
	char		*type;		/* owns; profile, or NULL */
	uint8_t		*csr;		/* owns; DER or PEM as given, or NULL */
	size_t		 csr_len;
	char		*keygen;	/* owns; server-side key spec or NULL */
	char		*subject;	/* owns; DN override or NULL */
	char		*sans;		/* owns; "DNS:a, URI:b" or NULL */
	int64_t		 validity;	/* seconds; 0: profile default */
	int64_t		 not_after;	/* absolute (reissue); 0: none */
	bool		 same_key;	/* renew with the predecessor's key */
	int64_t		 cert_id;	/* renew/reissue/revoke target; 0 */
	int		 reason;	/* revoke: CRLReason; -1 otherwise */
	char		*requested_by;	/* owns; actor */
	char		*requested_role; /* owns; role name or NULL */
	char		*decided_by;	/* owns; actor or NULL */
	char		*comment;	/* owns; or NULL */
	int64_t		 issued_cert_id; /* 0 until issued */
	int64_t		 created_at;	/* 0 on put: now */
	int64_t		 decided_at;	/* 0: undecided */
	int64_t		 grace_until;	/* revoke: carry out at; 0: on approval */
	int64_t		 grace;		/* reissue: seconds until the
					 * predecessor is revoked; -1 policy */
};

/* Filter for certa_store_request_each; zero/NULL fields do not filter. */
struct certa_request_filter {
	const char	*state;
	const char	*kind;
	int64_t		 cert_id;
	int64_t		 due_before;	/* pending, 0 < grace_until <= this */
	int64_t		 after_id;
	size_t		 limit;		/* 0 = no limit */
};

typedef certa_rc (*certa_store_request_fn)(const struct certa_request_rec *,
    void *);
void	certa_request_rec_clear(struct certa_request_rec *);

/* Insert; sets rec->id (and created_at when 0).  INVAL for a bad kind or
 * state, NOTFOUND for an unknown app or certificate. */
CERTA_MUST_USE certa_rc certa_store_request_put(struct certa_store *,
    struct certa_request_rec *rec, struct certa_err *);
/* NOTFOUND. */
CERTA_MUST_USE certa_rc certa_store_request_get(struct certa_store *,
    int64_t id, struct certa_request_rec *out, struct certa_err *);
/* Requests matching f, ordered by id. */
CERTA_MUST_USE certa_rc certa_store_request_each(struct certa_store *,
    const struct certa_request_filter *f, certa_store_request_fn fn,
    void *arg, struct certa_err *);
/*
 * Move request id from state from to state to, atomically (one UPDATE
 * ... WHERE state = from), recording decided_by, comment (NULL: keep),
 * issued_cert_id (0: keep) and decided_at = at.  NOTFOUND for an unknown
 * id, CONFLICT when the request is not in state from (another caller
 * decided first).
 */
CERTA_MUST_USE certa_rc certa_store_request_transition(struct certa_store *,
    int64_t id, const char *from, const char *to, const char *decided_by,
    const char *comment, int64_t issued_cert_id, int64_t at,
    struct certa_err *);
/*
 * Cluster (issue 8): one row per running `certa serve`, upserted by its
 * heartbeat, and named leases for jobs that one node at a time runs.
 */
struct certa_node_rec {
	char		 id[40];	/* random per process, hex */
	char		 name[128];	/* host:pid */
	int64_t		 started_at;
	int64_t		 last_heartbeat;
	int64_t		 generation;	/* trust generation it last read */
	int64_t		 audit_seq;	/* audit head it last read */
};
typedef certa_rc (*certa_store_node_fn)(const struct certa_node_rec *,
    void *);
/* Insert or replace the row of rec->id. */
CERTA_MUST_USE certa_rc certa_store_node_put(struct certa_store *,
    const struct certa_node_rec *rec, struct certa_err *);
/* Every node, ordered by started_at then id. */
CERTA_MUST_USE certa_rc certa_store_node_each(struct certa_store *,
    certa_store_node_fn fn, void *arg, struct certa_err *);
/*
 * Take or renew lease name for holder until expires_at, in one statement
 * (compare-and-set): granted when nobody holds it, holder holds it
 * already, or the holder's expiry is before now.  *held says which.
 */
CERTA_MUST_USE certa_rc certa_store_lease_take(struct certa_store *,
    const char *name, const char *holder, int64_t now, int64_t expires_at,
    bool *held, struct certa_err *);
/* Who holds (or last held) lease name, and until when; NOTFOUND if never
 * taken.  holder is at most 39 characters (a node id). */
CERTA_MUST_USE certa_rc certa_store_lease_get(struct certa_store *,
    const char *name, char holder[40], int64_t *expires_at,
    struct certa_err *);

/* The newest CRL of a CA, shared by the nodes (der owned by the record). */
struct certa_crl_rec {
	int64_t		 ca_id;
	int64_t		 crl_number;
	int64_t		 this_update;
	int64_t		 next_update;
	uint8_t		*der;
	size_t		 der_len;
};
void	certa_crl_rec_clear(struct certa_crl_rec *);
/* Store rec as ca_id's newest CRL unless one with a number >= rec's is
 * there already (one statement); *stored says which. */
CERTA_MUST_USE certa_rc certa_store_crl_put(struct certa_store *,
    const struct certa_crl_rec *rec, bool *stored, struct certa_err *);
/* ca_id's newest CRL into *out; NOTFOUND when none was stored. */
CERTA_MUST_USE certa_rc certa_store_crl_get(struct certa_store *,
    int64_t ca_id, struct certa_crl_rec *out, struct certa_err *);

/* An organisation's approval policy.  NOTFOUND for an unknown id. */
CERTA_MUST_USE certa_rc certa_store_org_set_approval(struct certa_store *,
    int64_t org_id, bool required, struct certa_err *);
CERTA_MUST_USE certa_rc certa_store_org_get_approval(struct certa_store *,
    int64_t org_id, bool *required, struct certa_err *);

#endif
