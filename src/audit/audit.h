/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hash-chained audit log (ARCHITECTURE invariant 7).  Each record carries
 * the SHA-256 of the previous record; the hash covers every field, each
 * length-prefixed so that no two records can encode alike.
 */
#ifndef CERTA_AUDIT_H
#define CERTA_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include <certa/err.h>
#include <certa/store.h>

/*
 * Append a record; must run inside the caller's write transaction so the
 * record commits (or not) with the change it describes.
 */
CERTA_MUST_USE certa_rc certa_audit_append(struct certa_store *st,
    const char *actor, const char *action, const char *object,
    const char *outcome, const char *details, struct certa_err *err);

/*
 * The head of the chain, carried across appends inside one transaction so
 * that a batch does not re-read the last record each time.  Zero it to
 * start; it loads itself on first use.  Invalid after a rollback.
 */
struct certa_audit_chain {
	bool		 loaded;
	int64_t		 seq;
	char		 hash[65];
};

CERTA_MUST_USE certa_rc certa_audit_append_chain(struct certa_store *st,
    struct certa_audit_chain *chain, const char *actor, const char *action,
    const char *object, const char *outcome, const char *details,
    struct certa_err *err);

/* Walk the chain; *bad_seq = first record that does not verify, or 0. */
CERTA_MUST_USE certa_rc certa_audit_check(struct certa_store *st,
    int64_t *bad_seq, int64_t *count, struct certa_err *err);

/* The hash of rec (its hash field is ignored), hex. */
void	certa_audit_hash(const struct certa_audit_rec *rec, char out[65]);

#endif
