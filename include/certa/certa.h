/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libcerta's public API: a data directory opened as a context, and the
 * operations of the private CA.  Front ends (CLI, daemon) use only this,
 * store.h and err.h.  No OpenSSL types cross this header.
 *
 * Every mutation is committed to the store, with its audit record, before
 * the call returns anything to its caller (ARCHITECTURE invariants 1, 7).
 */
#ifndef CERTA_CERTA_H
#define CERTA_CERTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <certa/err.h>
#include <certa/store.h>

#define CERTA_API_VERSION	1

/* Library-wide set-up; call once before anything else. */
void	certa_lib_init(void);

struct certa_ctx;

struct certa_init_opts {
	const char	*dir;		/* created with mode 0700 */
	const char	*key_spec;	/* CA keys; default "ec:P-256" */
	const char	*subject;	/* root DN; default "CN=certa Root CA" */
	int64_t		 validity;	/* root validity (s); default 10 y */
	const char	*base_url;	/* default "http://127.0.0.1:8080" */
	bool		 single_tier;	/* one CA that is root and issuer */
	const char	*passphrase_file; /* NULL: env, else DIR/passphrase */
	const char	*import_cert;	/* adopt an existing CA: cert file */
	const char	*import_key;	/*   and its key file (PEM) */
	const char	*import_key_pass_file; /* if that key is encrypted */
	const char	*actor;		/* for the audit log */
};

/*
 * Create a data directory: store, root + issuing CA (or one CA).  When no
 * passphrase source is given a random one is written to DIR/passphrase
 * (0600) and *created_pass (malloc'ed path) says so; else it is NULL.
 * CONFLICT if DIR is initialised already.
 */
CERTA_MUST_USE certa_rc certa_init(const struct certa_init_opts *opts,
    char **created_pass, struct certa_err *err);

/*
 * Open an initialised data directory.  The CA key passphrase is read only
 * when a key is needed, from passphrase_file, else $CERTA_PASSPHRASE_FILE,
 * else $CERTA_PASSPHRASE, else DIR/passphrase.  NOTFOUND when DIR is not
 * initialised.
 */
CERTA_MUST_USE certa_rc certa_open(const char *dir,
    const char *passphrase_file, struct certa_ctx **out,
    struct certa_err *err);
void	certa_close(struct certa_ctx *);
struct certa_store *certa_ctx_store(struct certa_ctx *);
/* Who acts, for the audit log ("cli:alice"); copied. */
void	certa_ctx_set_actor(struct certa_ctx *, const char *actor);
const char *certa_ctx_dir(const struct certa_ctx *);
/* Who acts, for audit records written by other layers. */
const char *certa_ctx_actor(const struct certa_ctx *);
/*
 * The actor's role ("admin", "approver", "operator", "auditor"; NULL:
 * unknown), copied; audit records carry it in their details as "role",
 * and the lifecycle's rules read it (an admin may cancel any request).
 */
void	certa_ctx_set_role(struct certa_ctx *, const char *role);
const char *certa_ctx_role(const struct certa_ctx *);
/*
 * Audit details (a JSON object text, or NULL) with the actor's role added
 * as "role" when known; malloc'ed, or NULL when there is nothing to say
 * or no memory (then use details as they are).  The record's other
 * fields, and so the hash chain, stay as they were.
 */
char	*certa_ctx_details(const struct certa_ctx *, const char *details);

/* Organisations and applications.  Names: 1..128 printable characters. */
CERTA_MUST_USE certa_rc certa_org_create(struct certa_ctx *, const char *name,
    struct certa_org_rec *out, struct certa_err *err);
/* By id ("12") or name. */
CERTA_MUST_USE certa_rc certa_org_resolve(struct certa_ctx *, const char *ref,
    struct certa_org_rec *out, struct certa_err *err);
CERTA_MUST_USE certa_rc certa_app_create(struct certa_ctx *,
    const char *org_ref, const char *name, struct certa_app_rec *out,
    struct certa_err *err);
/* By id, "ORG/NAME", or "NAME" when unique (INVAL when ambiguous). */
CERTA_MUST_USE certa_rc certa_app_resolve(struct certa_ctx *, const char *ref,
    struct certa_app_rec *out, struct certa_err *err);

/*
 * Rename (CONFLICT when the name is taken; PARSE for a bad name).  Delete:
 * CONFLICT while the organisation (any of its applications) or the
 * application holds a valid certificate (not revoked, not expired); the
 * certificates left keep their rows (history, CRLs) and lose the link.
 * Deleting an organisation deletes its applications.
 */
CERTA_MUST_USE certa_rc certa_org_update(struct certa_ctx *, const char *ref,
    const char *new_name, struct certa_org_rec *out, struct certa_err *err);
CERTA_MUST_USE certa_rc certa_org_delete(struct certa_ctx *, const char *ref,
    struct certa_err *err);
CERTA_MUST_USE certa_rc certa_app_update(struct certa_ctx *, const char *ref,
    const char *new_name, struct certa_app_rec *out, struct certa_err *err);
CERTA_MUST_USE certa_rc certa_app_delete(struct certa_ctx *, const char *ref,
    struct certa_err *err);

/* One issuance request.  Exactly one of csr / keygen. */
struct certa_issue_req {
	int64_t		 app_id;	/* required */
	const char	*type;		/* profile: transport|signing|... */
	const uint8_t	*csr;		/* PEM or DER PKCS#10 */
	size_t		 csr_len;
	const char	*keygen;	/* server-side key: "ec:P-256", ... */
	const char	*subject;	/* DN; required with keygen, else
					 * overrides the CSR's subject */
	const char *const *sans;	/* "DNS:x", "IP:..", "URI:..", "email:" */
	size_t		 nsans;
	int64_t		 validity;	/* seconds; 0 = profile default */
	int64_t		 predecessor_id;
	/* Lifecycle (include/certa/lifecycle.h); zero for a plain issue. */
	int64_t		 not_after;	/* absolute end (reissue); 0: none */
	const uint8_t	*same_key_der;	/* certificate DER whose public key
					 * the new one keeps (renew), instead
					 * of csr/keygen */
	size_t		 same_key_der_len;
	int64_t		 request_id;	/* approved request this completes:
					 * marked issued in the same commit */
};

/*
 * Issue one certificate.  On success *out is the committed record (with
 * der).  PARSE: malformed CSR/subject/SAN; POLICY: refused by the profile;
 * NOTFOUND: unknown app or type; CRYPTO: CA key unusable.
 */
CERTA_MUST_USE certa_rc certa_issue(struct certa_ctx *,
    const struct certa_issue_req *req, struct certa_cert_rec *out,
    struct certa_err *err);

struct certa_issue_result {
	certa_rc		rc;
	struct certa_err	err;
	struct certa_cert_rec	rec;	/* valid when rc == CERTA_OK */
};

/*
 * Issue many: res[i] for req[i].  One request's failure does not stop the
 * others.  Certificates are committed in chunks before the call returns.
 * Returns non-OK only when the batch as a whole failed (e.g. CA key).
 */
CERTA_MUST_USE certa_rc certa_issue_batch(struct certa_ctx *,
    const struct certa_issue_req *reqs, size_t n,
    struct certa_issue_result *res, struct certa_err *err);

/* RFC 5280 §5.3.1 reasons certa accepts (certificateHold is refused). */
CERTA_MUST_USE certa_rc certa_reason_parse(const char *s, int *out,
    struct certa_err *err);
const char *certa_reason_name(int reason);

/* Revoke permanently. CONFLICT when revoked already. */
CERTA_MUST_USE certa_rc certa_revoke(struct certa_ctx *, int64_t cert_id,
    int reason, struct certa_err *err);

/* A certificate by id ("42") or serial (hex, "0x" optional). */
CERTA_MUST_USE certa_rc certa_cert_resolve(struct certa_ctx *,
    const char *ref, struct certa_cert_rec *out, struct certa_err *err);

/* Facts read from a certificate's DER. */
struct certa_cert_info {
	char		*subject;	/* owns; RFC 4514 */
	char		*issuer;	/* owns */
	char		*serial;	/* owns; lower-case hex */
	char		*sans;		/* owns; or NULL */
	char		*key_alg;	/* owns */
	int64_t		 not_before, not_after;
	bool		 is_ca;
	char		 sha256[65];
	char		 sha1[41];
};
CERTA_MUST_USE certa_rc certa_cert_info_get(const uint8_t *der, size_t len,
    struct certa_cert_info *out, struct certa_err *err);
void	certa_cert_info_clear(struct certa_cert_info *);

struct certa_export_opts {
	const char	*format;	/* pem|der|p7b|p12 */
	bool		 chain;		/* add issuing CA (and root) */
	const char	*password;	/* p12 */
	bool		 legacy;	/* p12: 3DES + SHA-1 MAC */
	const uint8_t	*key_pem;	/* p12: the holder's key, if any */
	size_t		 key_len;
};
/* *out is malloc'ed. */
CERTA_MUST_USE certa_rc certa_cert_export(struct certa_ctx *,
    const struct certa_cert_rec *rec, const struct certa_export_opts *o,
    uint8_t **out, size_t *len, struct certa_err *err);
/* The issuing CA (with chain: and the root), pem or der. */
CERTA_MUST_USE certa_rc certa_ca_export(struct certa_ctx *, bool chain,
    const char *format, uint8_t **out, size_t *len, struct certa_err *err);

struct certa_crl_info {
	int64_t		 number;
	int64_t		 this_update, next_update;
	size_t		 entries;
};
/* Generate the issuing CA's CRL; *out (DER or PEM) is malloc'ed. */
CERTA_MUST_USE certa_rc certa_crl_generate(struct certa_ctx *, bool pem,
    int64_t validity, uint8_t **out, size_t *len, struct certa_crl_info *info,
    struct certa_err *err);

/*
 * A TLS server certificate for certa's own listeners: EKU serverAuth, SANs
 * from names ("DNS:x", "IP:y"; the first DNS name is also the CN), issued
 * by the issuing CA with a fresh P-256 key that never touches disk;
 * audited ("tls.server").  *chain_pem (leaf, issuing CA) and *key_pem
 * (unencrypted PKCS#8; free with certa_free_secret) are malloc'ed.
 */
CERTA_MUST_USE certa_rc certa_tls_server_issue(struct certa_ctx *,
    const char *const *names, size_t n, int64_t validity, char **chain_pem,
    char **key_pem, int64_t *not_after, struct certa_err *err);

/* Make a key and CSR locally (the "certa csr" helper); both malloc'ed. */
CERTA_MUST_USE certa_rc certa_csr_generate(const char *key_spec,
    const char *subject, const char *const *sans, size_t nsans,
    const char *key_pass, char **key_pem, char **csr_pem,
    struct certa_err *err);

/* Verdict of certa_verify_cert. */
struct certa_verdict {
	bool		 valid;
	char		 reason[32];	/* "ok", "revoked", "expired", ... */
	char		 message[256];
};
/* Check a certificate against certa's own CAs and revocation state. */
CERTA_MUST_USE certa_rc certa_verify_cert(struct certa_ctx *,
    const uint8_t *data, size_t len, int64_t at, struct certa_verdict *out,
    struct certa_err *err);

/*
 * Audit log: verify the hash chain; *bad_seq = first bad record or 0.  The
 * chain proves order and content; only a head recorded elsewhere proves
 * that no newest records were cut off (see certa_audit_check_head).
 */
CERTA_MUST_USE certa_rc certa_audit_verify(struct certa_ctx *,
    int64_t *bad_seq, int64_t *count, struct certa_err *err);

/* The newest record's seq and hash (0 and "" for an empty log). */
CERTA_MUST_USE certa_rc certa_audit_head(struct certa_ctx *, int64_t *seq,
    char hash[65], struct certa_err *err);
/*
 * Is record seq still there with this hash?  CONFLICT naming what differs
 * (missing: the log was cut; other hash: rewritten).
 */
CERTA_MUST_USE certa_rc certa_audit_check_head(struct certa_ctx *,
    int64_t seq, const char *hash, struct certa_err *err);

#endif
