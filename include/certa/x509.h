/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For callers that already hold parsed certificates (TLS servers: certa
 * gate, certa serve's API).  Unlike the rest of the public API this header
 * exposes OpenSSL types, so that a certificate OpenSSL has decoded in a
 * handshake is not encoded and decoded again.
 */
#ifndef CERTA_X509_H
#define CERTA_X509_H

#include <openssl/x509.h>

#include <certa/certa.h>
#include <certa/trust.h>

/*
 * certa_trust_validate with a parsed leaf and the chain the peer sent
 * (both borrowed; the chain may hold the leaf too, as OpenSSL's untrusted
 * stack does).
 */
CERTA_MUST_USE certa_rc certa_trust_validate_x509(const struct certa_snapshot *,
    X509 *leaf, STACK_OF(X509) *chain, const struct certa_verify_policy *,
    struct certa_trust_verdict *out, struct certa_err *err);

/* certa_cert_info_get from a parsed certificate. */
CERTA_MUST_USE certa_rc certa_cert_info_from_x509(X509 *x,
    struct certa_cert_info *out, struct certa_err *err);

#endif
