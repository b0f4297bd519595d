/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCSP responder (RFC 6960, RFC 5019 profile) for the issuing CA of a
 * data directory.  Transport-free: the daemon's HTTP layer (src/proto)
 * hands request bytes in and writes the answer's bytes out.  No OpenSSL
 * types cross this header.
 *
 * Thread safety: one responder serves one thread (the daemon's event loop).
 */
#ifndef CERTA_OCSP_H
#define CERTA_OCSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <certa/certa.h>
#include <certa/err.h>

struct certa_ocsp;

struct certa_ocsp_opts {
	int64_t		 validity;	/* nextUpdate - thisUpdate (s);
					 * default 3600 */
	int64_t		 responder_validity; /* delegated responder cert (s);
					 * default 2 days, renewed with a
					 * third left */
	const char	*key_spec;	/* responder key; default "ec:P-256" */
};

/* What an answer says; one name per value (certa_ocsp_kind_name). */
enum certa_ocsp_kind {
	CERTA_OCSP_GOOD = 0,
	CERTA_OCSP_REVOKED,
	CERTA_OCSP_UNKNOWN,
	CERTA_OCSP_MIXED,	/* several CertIDs in one request */
	CERTA_OCSP_MALFORMED,	/* OCSPResponse malformedRequest (1) */
	CERTA_OCSP_INTERNAL,	/* OCSPResponse internalError (2) */
	CERTA_OCSP_KIND__COUNT
};

struct certa_ocsp_answer {
	enum certa_ocsp_kind	 kind;
	const uint8_t		*der;	/* borrowed: valid until the next
					 * call on the responder */
	size_t			 len;
	bool			 cacheable; /* one CertID, no nonce: HTTP
					 * caching headers apply */
	bool			 cached;	/* served pre-signed */
	int64_t			 produced_at;
	int64_t			 this_update;
	int64_t			 next_update;
	char			 etag[40];	/* quoted; "" unless cacheable */
};

/*
 * A responder for ctx's issuing CA.  Loads the CA signer (reads the
 * passphrase), makes a responder key in memory (never written anywhere)
 * and has the CA issue it a short-lived delegated OCSP signing
 * certificate (EKU OCSPSigning, id-pkix-ocsp-nocheck), recorded in the
 * audit log.  ctx is borrowed and must outlive the responder.
 * NOTFOUND: no issuing CA or key; CRYPTO: key or signing failure.
 */
CERTA_MUST_USE certa_rc certa_ocsp_new(struct certa_ctx *ctx,
    const struct certa_ocsp_opts *opts, struct certa_ocsp **out,
    struct certa_err *err);
void	certa_ocsp_free(struct certa_ocsp *);

/*
 * Answer one DER OCSPRequest (at most CERTA_MAX_OCSP_REQ bytes).  Always
 * fills *ans with an OCSPResponse to send: a malformed request gives kind
 * MALFORMED (rc OK), a failure inside gives kind INTERNAL and returns its
 * code (STORE, AGAIN, CRYPTO, NOMEM) with detail in err.
 */
CERTA_MUST_USE certa_rc certa_ocsp_respond(struct certa_ocsp *,
    const uint8_t *req, size_t len, int64_t now,
    struct certa_ocsp_answer *ans, struct certa_err *err);

/*
 * Catch up with the store (call every ~250 ms): when the audit head moved,
 * read the new records; a revoked certificate's cached responses are
 * replaced at once, a CA change drops them all.  Renews the
 * responder certificate when a third of its validity is left.
 * *revocations (may be NULL) = revocations seen by this call.
 */
CERTA_MUST_USE certa_rc certa_ocsp_poll(struct certa_ocsp *, int64_t now,
    size_t *revocations, struct certa_err *err);

/* Counters for logs and metrics. */
struct certa_ocsp_stats {
	uint64_t	 hits, misses, signed_responses;
	size_t		 cached;
	int64_t		 responder_not_after;
	uint64_t	 audit_seq;
};
void	certa_ocsp_stats_get(const struct certa_ocsp *,
    struct certa_ocsp_stats *out);

/* "good", "revoked", "unknown", "mixed", "malformed", "internal". */
const char *certa_ocsp_kind_name(enum certa_ocsp_kind);

#endif
