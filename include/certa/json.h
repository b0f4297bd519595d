/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON views of certa's records, one shape for every front end (CLI
 * --json, REST API): ids as strings, times as RFC 3339 UTC.  jansson
 * objects; the caller owns the result (json_decref).
 */
#ifndef CERTA_JSON_H
#define CERTA_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include <certa/certa.h>
#include <certa/store.h>

/* A string that may be NULL (null) or not UTF-8 (a placeholder). */
json_t	*certa_json_str(const char *s);
/* "12", or null for 0. */
json_t	*certa_json_id(int64_t id);
/* "2026-11-22T20:30:00Z". */
json_t	*certa_json_time(int64_t t);
/* "valid" | "revoked" | "expired" at now. */
const char *certa_cert_status_name(const struct certa_cert_rec *r,
    int64_t now);
/* id, serial, type, application, status, subject, sans, key_algorithm,
 * not_before, not_after, [revoked_at, revocation_reason],
 * fingerprint_sha256, predecessor, server_generated_key, [pem]. */
json_t	*certa_json_cert(const struct certa_cert_rec *r, bool pem);
/* The same with the issuer's DN given (no parse of r->der for it). */
json_t	*certa_json_cert_ex(const struct certa_cert_rec *r, bool pem,
    const char *issuer);
json_t	*certa_json_app(const struct certa_app_rec *r);
json_t	*certa_json_org(const struct certa_org_rec *r);
/* "valid" | "expired" | "not-yet-valid" at now. */
const char *certa_trust_status_name(const struct certa_trust_rec *r,
    int64_t now);
json_t	*certa_json_trust(const struct certa_trust_rec *r);
json_t	*certa_json_audit(const struct certa_audit_rec *r);
/* A lifecycle request: id, kind, state, application, type, certificate
 * (the target), reason, requested_by, requested_role, decided_by,
 * comment, issued_certificate, created_at, decided_at, due_at (no CSR). */
json_t	*certa_json_request(const struct certa_request_rec *r);

/*
 * The public key of a certificate as an RFC 7517 JWK: kty and its
 * parameters (EC: crv, x, y; RSA: n, e; OKP: crv, x), "x5t#S256" and
 * "kid" (both the base64url SHA-256 of the DER), "x5c" (the certificate,
 * then chain_der if given).  PARSE for undecodable DER, POLICY for a key
 * type JWK cannot express.
 */
CERTA_MUST_USE certa_rc certa_json_jwk(const uint8_t *der, size_t len,
    const uint8_t *chain_der, size_t chain_len, json_t **out,
    struct certa_err *err);

#endif
