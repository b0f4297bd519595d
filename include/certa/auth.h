/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who may call the API: roles, bearer tokens and the map from client
 * certificates to roles.  Used by the daemon (src/proto/api.c) and the CLI
 * (certa token, certa role).  No OpenSSL types cross this header.
 *
 * Tokens: "certa_" + 16 hex id + "_" + 43 base64url characters of 256 CSPRNG
 * bits.  Only SHA-256 of the secret part is stored; a presented token is
 * looked up by its id and its hash compared with CRYPTO_memcmp (constant
 * time).  Every mutation here appends an audit record (actor from the ctx).
 */
#ifndef CERTA_AUTH_H
#define CERTA_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <certa/err.h>

struct certa_ctx;

/* Roles are bits so a route can name the set that may call it. */
#define CERTA_ROLE_ADMIN	0x1u	/* everything */
#define CERTA_ROLE_APPROVER	0x2u	/* approve/reject requests */
#define CERTA_ROLE_OPERATOR	0x4u	/* apps, certificates */
#define CERTA_ROLE_AUDITOR	0x8u	/* read-only, audit log */
#define CERTA_ROLE_ANY		0xfu

/* "admin"|"approver"|"operator"|"auditor" -> bit; PARSE otherwise. */
CERTA_MUST_USE certa_rc certa_role_parse(const char *s, unsigned *out,
    struct certa_err *err);
/* The name of one role bit; "none" for anything else. */
const char *certa_role_name(unsigned role);

#define CERTA_TOKEN_ID_LEN	16	/* hex characters */
#define CERTA_TOKEN_MAX		80	/* whole token, with NUL */

struct certa_token_info {
	char		 id[CERTA_TOKEN_ID_LEN + 1];
	char		*name;		/* owns; unique among live tokens */
	unsigned	 role;
	char		*created_by;	/* owns; actor */
	int64_t		 created_at;
	int64_t		 last_used_at;	/* 0: never */
	int64_t		 revoked_at;	/* 0: live */
};
void	certa_token_info_clear(struct certa_token_info *);

/*
 * Create a token.  token receives the secret (shown once; never stored;
 * "" on failure); out (may be NULL) the record, to be cleared with
 * certa_token_info_clear.  name NULL: "token-<id>".  CONFLICT when a live
 * token has that name; PARSE for a name that is empty, longer than 64
 * bytes or has control characters; INVAL for a role that is not exactly
 * one CERTA_ROLE_* bit; CRYPTO when no random bytes can be drawn.
 */
CERTA_MUST_USE certa_rc certa_token_create(struct certa_ctx *, unsigned role,
    const char *name, char token[CERTA_TOKEN_MAX],
    struct certa_token_info *out, struct certa_err *err);

/*
 * Every token (live and revoked), oldest first.  The record passed to fn
 * is borrowed for the call; a non-OK return of fn stops the walk and is
 * returned.
 */
typedef certa_rc (*certa_token_fn)(const struct certa_token_info *,
    void *arg);
CERTA_MUST_USE certa_rc certa_token_each(struct certa_ctx *, certa_token_fn fn,
    void *arg, struct certa_err *err);

/*
 * By id or by the name of a live token.  NOTFOUND; CONFLICT when revoked
 * already (by id, or a name only revoked tokens carry).
 */
CERTA_MUST_USE certa_rc certa_token_revoke(struct certa_ctx *, const char *ref,
    struct certa_err *err);

/*
 * Check a presented token.  OK fills *role and name (the token's name,
 * truncated to namelen; name may be NULL) and records last_used_at (at
 * most once a minute, so reads stay cheap; best effort).  NOTFOUND for a
 * malformed, unknown, wrong or revoked token (one message for all,
 * "invalid or revoked token": a caller learns nothing from it); STORE or
 * AGAIN when the store cannot answer.
 */
CERTA_MUST_USE certa_rc certa_token_check(struct certa_ctx *,
    const char *presented, unsigned *role, char *name, size_t namelen,
    struct certa_err *err);

/*
 * Client certificates -> roles.  kind "subject" (RFC 4514 string, as
 * certa_cert_info_get prints it, exact match) or "fingerprint" (SHA-256
 * hex, any case, ':' between bytes allowed; kept in lower case).  A
 * fingerprint mapping wins over a subject mapping.
 */
struct certa_role_map_info {
	int64_t		 id;
	char		*kind;		/* owns */
	char		*value;		/* owns */
	unsigned	 role;
	int64_t		 created_at;
};
void	certa_role_map_info_clear(struct certa_role_map_info *);

/* Add or replace the mapping of (kind, value).  PARSE for a bad kind or
 * value; INVAL for a role that is not exactly one CERTA_ROLE_* bit. */
CERTA_MUST_USE certa_rc certa_role_map_set(struct certa_ctx *,
    const char *kind, const char *value, unsigned role,
    struct certa_err *err);
/* NOTFOUND when there is no such mapping; PARSE as above. */
CERTA_MUST_USE certa_rc certa_role_map_remove(struct certa_ctx *,
    const char *kind, const char *value, struct certa_err *err);
/* Every mapping, ordered by id; the record passed to fn is borrowed. */
typedef certa_rc (*certa_role_map_fn)(const struct certa_role_map_info *,
    void *arg);
CERTA_MUST_USE certa_rc certa_role_map_each(struct certa_ctx *,
    certa_role_map_fn fn, void *arg, struct certa_err *err);
/*
 * The role of a certificate (subject or fingerprint may be NULL); NOTFOUND
 * when neither is mapped.
 */
CERTA_MUST_USE certa_rc certa_role_for_cert(struct certa_ctx *,
    const char *subject, const char *fingerprint, unsigned *role,
    struct certa_err *err);

#endif
