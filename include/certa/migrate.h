/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Copy a whole store into an empty one (certa store migrate, issue 8),
 * through include/certa/store.h only: typically a single-node SQLite
 * store into PostgreSQL.
 */
#ifndef CERTA_MIGRATE_H
#define CERTA_MIGRATE_H

#include <stdint.h>

#include <certa/err.h>

struct certa_migrate_summary {
	const char	*from_backend;	/* static */
	const char	*to_backend;	/* static */
	int64_t		 orgs;
	int64_t		 apps;
	int64_t		 cas;
	int64_t		 certs;		/* with DER */
	int64_t		 reserved;	/* reserved rows without DER */
	int64_t		 revoked;
	int64_t		 audit;
	int64_t		 trust;
	int64_t		 trust_crls;
	int64_t		 tokens;
	int64_t		 role_maps;
	int64_t		 requests;
	int64_t		 notify_channels;
	int64_t		 notify_orgs;
	int64_t		 notify_opt_outs; /* certificates opted out */
	int64_t		 notices;	/* sent, pending or failed */
	int64_t		 notify_deliveries; /* delivery log entries */
	int64_t		 meta;
	uint64_t	 trust_generation; /* target's, after the copy */
};

/*
 * Open both stores, refuse a target that holds a CA, certificate,
 * organisation, token or audit record (CONFLICT), copy every row in one
 * target transaction with the ids, serials and audit chain of the source,
 * and verify counts, certificate fingerprints, the audit chain and the
 * notification rows (channels, opt-outs, notices, delivery log) in that
 * transaction before its commit (STORE when they differ): the target gets
 * all of it or nothing.
 */
CERTA_MUST_USE certa_rc certa_store_migrate(const char *from_dsn,
    const char *to_dsn, struct certa_migrate_summary *out,
    struct certa_err *err);

#endif
