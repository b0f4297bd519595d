/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct certa_ctx: an open data directory.  The issuing CA (certificate,
 * signer, pre-built extensions) is loaded lazily on the first operation that
 * signs, so read-only commands never need the passphrase.
 */
#ifndef CERTA_CA_CTX_H
#define CERTA_CA_CTX_H

#include <stdbool.h>

#include <openssl/x509v3.h>

#include <certa/certa.h>

#include "ca/signer.h"
#include "core/profile.h"

struct certa_ctx {
	char			*dir;		/* owns */
	char			*pass_file;	/* owns; explicit, or NULL */
	char			*actor;		/* owns */
	char			*role;		/* owns; or NULL: unknown */
	struct certa_store	*store;		/* owns */
	OSSL_LIB_CTX		*libctx;	/* NULL: OpenSSL's default */
	const char		*propq;		/* NULL: no property query */
	char			*base_url;	/* owns */

	bool			 profiles_loaded;
	struct certa_profiles	 profiles;	/* owns */

	/* Loaded by certa_ctx_load_ca(). */
	bool			 ca_loaded;
	struct certa_ca_rec	 issuing;	/* owns fields */
	X509			*issuing_cert;	/* owns */
	X509			*root_cert;	/* owns; NULL if single-tier */
	struct certa_signer	*signer;	/* owns; NULL until needed */
	X509_EXTENSION		*ext_bc;	/* owns; CA:FALSE, critical */
	X509_EXTENSION		*ext_aki;	/* owns */
	X509_EXTENSION		*ext_crldp;	/* owns */
	X509_EXTENSION		*ext_aia;	/* owns */
};

/* Load the issuing CA's certificate (no key). */
CERTA_MUST_USE certa_rc certa_ctx_load_ca(struct certa_ctx *,
    struct certa_err *);
/* Load the CA key into a signer (reads the passphrase). */
CERTA_MUST_USE certa_rc certa_ctx_load_signer(struct certa_ctx *,
    struct certa_err *);
CERTA_MUST_USE certa_rc certa_ctx_load_profiles(struct certa_ctx *,
    struct certa_err *);
/* The key-encryption passphrase (certa_free_secret(p, strlen(p)+1)). */
CERTA_MUST_USE certa_rc certa_ctx_passphrase(const char *dir,
    const char *explicit_file, char **out, struct certa_err *err);
/*
 * End a mutation: append its audit record (details: JSON or NULL; never a
 * secret) inside the open transaction and commit.  On failure the
 * transaction is still open: the caller rolls back.
 */
CERTA_MUST_USE certa_rc certa_ctx_audit_commit(struct certa_ctx *,
    const char *action, const char *object, const char *details,
    struct certa_err *err);
/*
 * Revoke inside the caller's open transaction and append its audit record
 * (request_id: the approved request, or 0).  CONFLICT, NOTFOUND as
 * certa_revoke.
 */
CERTA_MUST_USE certa_rc certa_revoke_in_tx(struct certa_ctx *, int64_t id,
    int reason, int64_t request_id, struct certa_err *err);
/* Path of the store in dir. */
#define CERTA_DB_NAME	"certa.db"
/* A file in dir naming another store (a PostgreSQL DSN), written by init. */
#define CERTA_STORE_NAME "store"
/*
 * The store of data directory dir: $CERTA_STORE when set (the --store
 * option sets it), else the DSN in dir/store, else the SQLite file
 * dir/certa.db.  *is_file says the last.  PARSE for an unreadable or empty
 * dir/store, INVAL when it does not fit in len.
 */
CERTA_MUST_USE certa_rc certa_ctx_store_dsn(const char *dir, char *dsn,
    size_t len, bool *is_file, struct certa_err *err);
#define CERTA_PASS_NAME	"passphrase"

/* Certificate-building helpers shared by init and issue (build.c). */
CERTA_MUST_USE certa_rc certa_build_ski(X509 *x, struct certa_err *err);
CERTA_MUST_USE certa_rc certa_build_aki_ext(X509 *issuer,
    X509_EXTENSION **out, struct certa_err *err);
CERTA_MUST_USE certa_rc certa_build_ku(X509 *x, uint32_t ku,
    struct certa_err *err);
CERTA_MUST_USE certa_rc certa_build_bc(X509 *x, bool ca, int pathlen,
    struct certa_err *err);
CERTA_MUST_USE certa_rc certa_build_set_validity(X509 *x, int64_t nb,
    int64_t na, struct certa_err *err);
CERTA_MUST_USE certa_rc certa_build_uri_exts(const char *base_url,
    const char *ca_name, const char *parent_name, X509_EXTENSION **crldp,
    X509_EXTENSION **aia, struct certa_err *err);

#endif
