/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The only holder of a CA private key (STYLE §3, §5.7).  v0 signs in
 * process (signer_local.c); a privilege-separated signer process will
 * implement the same functions over a socketpair, so no other ca/ code
 * changes.  The EVP_PKEY never leaves this interface.
 *
 * Every signing call re-checks what it is asked to sign: a certificate's
 * issuer name must be the CA's subject and its validity must lie inside the
 * CA's; a CRL's issuer must be the CA's subject.
 *
 * Thread safety: after creation, all functions may be called from several
 * threads at once.
 */
#ifndef CERTA_CA_SIGNER_H
#define CERTA_CA_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <certa/err.h>

struct certa_signer;

/*
 * A signer for the CA certificate cert with its encrypted PKCS#8 key_pem,
 * decrypted with pass.  cert is up-ref'ed.  CRYPTO when the passphrase is
 * wrong, CONFLICT when the key does not match the certificate.
 */
CERTA_MUST_USE certa_rc certa_signer_local_new(OSSL_LIB_CTX *libctx,
    const char *propq, X509 *cert, const char *key_pem, const char *pass,
    struct certa_signer **out, struct certa_err *err);
/* As above with a key object (up-ref'ed); for init, before it is stored. */
CERTA_MUST_USE certa_rc certa_signer_local_new_key(OSSL_LIB_CTX *libctx,
    const char *propq, X509 *cert, EVP_PKEY *key, struct certa_signer **out,
    struct certa_err *err);
void	certa_signer_free(struct certa_signer *);

/* The CA certificate (borrowed, valid while the signer lives). */
X509	*certa_signer_get0_cert(const struct certa_signer *);

/* Check and sign a TBS certificate in place (sets its signature fields). */
CERTA_MUST_USE certa_rc certa_signer_sign_cert(struct certa_signer *,
    X509 *x, struct certa_err *err);
/* Check and sign a CRL object in place. */
CERTA_MUST_USE certa_rc certa_signer_sign_crl(struct certa_signer *,
    X509_CRL *crl, struct certa_err *err);

/*
 * The AlgorithmIdentifier this signer uses, DER-encoded (malloc'ed); for
 * writers that stream a TBS structure themselves (large CRLs).
 */
CERTA_MUST_USE certa_rc certa_signer_alg_der(struct certa_signer *,
    uint8_t **out, size_t *len, struct certa_err *err);
/*
 * Streamed signing of raw TBS bytes: begin, update any number of times,
 * finish.  The signature is malloc'ed.  For Ed25519 (one-shot only) the
 * updates are buffered internally.  A session belongs to one thread.
 */
struct certa_sign_session;
CERTA_MUST_USE certa_rc certa_signer_stream_begin(struct certa_signer *,
    struct certa_sign_session **out, struct certa_err *err);
CERTA_MUST_USE certa_rc certa_signer_stream_update(struct certa_sign_session *,
    const uint8_t *data, size_t len, struct certa_err *err);
CERTA_MUST_USE certa_rc certa_signer_stream_finish(struct certa_sign_session *,
    uint8_t **sig, size_t *siglen, struct certa_err *err);
void	certa_signer_stream_free(struct certa_sign_session *);

#endif
