/* SPDX-License-Identifier: Apache-2.0 */
/* certa's own short-lived leaf certificates (leaf.c). */
#ifndef CERTA_CA_LEAF_H
#define CERTA_CA_LEAF_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <certa/err.h>

struct certa_ctx;

struct certa_leaf_spec {
	const char		*what;		/* for errors */
	const char		*cn;
	const char		*key_spec;	/* NULL: ec:P-256 */
	int64_t			 validity;	/* s */
	uint32_t		 key_usage;	/* X509v3_KU_* */
	int			 eku_nid;
	bool			 ocsp_nocheck;
	const char *const	*sans;		/* "DNS:x", "IP:y" */
	size_t			 nsans;
	const char		*audit_action;
};

/* Issue and audit; *key_out and *x_out are the caller's. */
CERTA_MUST_USE certa_rc certa_leaf_issue(struct certa_ctx *,
    const struct certa_leaf_spec *, int64_t now, EVP_PKEY **key_out,
    X509 **x_out, int64_t *not_after, struct certa_err *err);

#endif
