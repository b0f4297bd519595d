/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The public listener's endpoints: OCSP (ocsp_http.c) and distribution of
 * CRLs and CA certificates (dist_http.c).  Each maps library results to
 * HTTP in one place; the daemon owns the state they serve.
 */
#ifndef CERTA_PROTO_ENDPOINTS_H
#define CERTA_PROTO_ENDPOINTS_H

#include <stddef.h>
#include <stdint.h>

#include <certa/ocsp.h>

#include "proto/http.h"

struct certa_ocsp_http {
	struct certa_ocsp	*ocsp;		/* borrowed from the daemon */
	int64_t			 max_age;	/* cap on Cache-Control max-age */
	uint64_t		*counts;	/* borrowed; answers by enum
						 * certa_ocsp_kind (< 8); NULL */
};

/*
 * GET /ocsp/<base64 DER request> (RFC 6960 appendix A.1, RFC 5019 §5) and
 * POST /ocsp with Content-Type application/ocsp-request.  arg is a
 * struct certa_ocsp_http.  Statuses: 200 with the response; 304 when
 * If-None-Match matches; 400 (body: OCSP malformedRequest) for bytes that
 * are not an OCSP request; 413 over CERTA_MAX_OCSP_REQ; 415 for another
 * content type; 500 (body: OCSP internalError) when the store or signing
 * failed.
 */
void	certa_ocsp_http_handle(struct certa_http_req *, void *arg);

/* One published object (a CRL or a CA certificate), DER. */
struct certa_dist_obj {
	char		 name[64];	/* "issuing" */
	uint8_t		*der;		/* owns */
	size_t		 len;
	int64_t		 modified;	/* Last-Modified */
	int64_t		 expires;	/* 0: none (CA certificates) */
	char		 etag[40];
};

#define CERTA_DIST_MAX	8

struct certa_dist {
	struct certa_dist_obj	 crls[CERTA_DIST_MAX];
	size_t			 ncrls;
	struct certa_dist_obj	 cas[CERTA_DIST_MAX];
	size_t			 ncas;
	int64_t			 max_age;	/* CA certificates */
};

/* Replace obj's DER with a copy of der; sets etag.  NOMEM. */
CERTA_MUST_USE certa_rc certa_dist_set(struct certa_dist_obj *obj,
    const char *name, const uint8_t *der, size_t len, int64_t modified,
    int64_t expires, struct certa_err *err);
void	certa_dist_clear(struct certa_dist *);

/*
 * GET|HEAD /crl/<name>.crl (application/pkix-crl, RFC 5280 §4.2.1.13)
 * and /ca/<name>.crt (application/pkix-cert, RFC 5280 §4.2.2.1).  arg is
 * a struct certa_dist.  404 for an unknown name, 304 on If-None-Match.
 */
void	certa_dist_http_crl(struct certa_http_req *, void *arg);
void	certa_dist_http_ca(struct certa_http_req *, void *arg);

#endif
