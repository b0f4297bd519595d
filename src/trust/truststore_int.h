/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals shared by the trust store files (truststore.c, opcua.c,
 * holder.c): certificate and CRL decoding, and the steps of an import that
 * run inside a caller's transaction.  Not a public interface.
 */
#ifndef CERTA_TRUSTSTORE_INT_H
#define CERTA_TRUSTSTORE_INT_H

#include <openssl/x509.h>

#include <certa/truststore.h>

/*
 * The certificates of a file: PEM (CERTIFICATE, TRUSTED CERTIFICATE,
 * PKCS7 blocks), DER certificate, DER PKCS#7, or PKCS#12 (password may be
 * NULL).  *out owns its certificates (sk_X509_pop_free); never empty.
 * PARSE with what was wrong.
 */
CERTA_MUST_USE certa_rc certa_trust_parse_certs(const uint8_t *data,
    size_t len, const char *password, STACK_OF(X509) **out,
    struct certa_err *err);

/* A CRL, PEM or DER.  PARSE. */
CERTA_MUST_USE certa_rc certa_trust_parse_crl(const uint8_t *data,
    size_t len, X509_CRL **out, struct certa_err *err);

/*
 * Inside the caller's transaction: add x to list under alias (NULL:
 * derived and made unique), with its audit record.  out may be NULL.
 * CONFLICT when x is stored already (naming its alias) or alias is taken.
 */
CERTA_MUST_USE certa_rc certa_trust_add_tx(struct certa_ctx *, X509 *x,
    const char *alias, const char *list, const char *source,
    struct certa_trust_rec *out, struct certa_err *err);

/*
 * Inside the caller's transaction: check crl's signature against its
 * issuer in the trusted or issuer list and store it, with its audit
 * record.  Errors as certa_trust_crl_import().
 */
CERTA_MUST_USE certa_rc certa_trust_crl_add_tx(struct certa_ctx *,
    X509_CRL *crl, struct certa_trust_crl_rec *out, char **signer,
    struct certa_err *err);

/* Begin a write transaction / commit it with nothing more. */
CERTA_MUST_USE certa_rc certa_trust_tx_begin(struct certa_ctx *,
    struct certa_err *err);
CERTA_MUST_USE certa_rc certa_trust_tx_commit(struct certa_ctx *,
    struct certa_err *err);
void	certa_trust_tx_rollback(struct certa_ctx *);

/*
 * A Name's key in the store's subject index (trust_entry.subject_key): its
 * canonical hash (X509_NAME_hash_ex, the snapshot's own match) as eight
 * lower-case hex digits.  Equal names have equal keys; unequal names may
 * share one, so a lookup may return more than the name's certificates.
 * A name that cannot be hashed gets key 0, as in the snapshot's index.
 */
#define CERTA_TRUST_NAME_KEY	17
void	certa_trust_name_key(const X509_NAME *name,
	    char out[CERTA_TRUST_NAME_KEY]);

/* SHA-256 of DER as lower-case hex. */
void	certa_trust_fp(const uint8_t *der, size_t len, char out[65]);
/* The subject CN as UTF-8 (malloc'ed), or NULL when there is none. */
char	*certa_trust_cn(X509 *x);

#endif
