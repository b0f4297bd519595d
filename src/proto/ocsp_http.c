/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCSP over HTTP (RFC 6960 appendix A, RFC 5019 §5-6): request parsing
 * from GET paths and POST bodies, response headers for HTTP caches.  The
 * OCSP work itself is src/ca/ocsp.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <certa/limits.h>
#include <certa/util.h>

#include "proto/endpoints.h"

/* Base64 (RFC 4648 §4; '-' '_' of §5 accepted too), padding optional. */
static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

static bool
b64_decode(const char *s, uint8_t *out, size_t max, size_t *len)
{
	uint32_t	 acc = 0;
	size_t		 n = 0, bits = 0, i, pad = 0;
	int		 v;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64val((unsigned char)s[i])) < 0)
			return false;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == max)
				return false;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	if (pad > 2 || bits >= 6)
		return false;
	*len = n;
	return true;
}

void
certa_ocsp_http_handle(struct certa_http_req *r, void *arg)
{
	struct certa_ocsp_http		*h = arg;
	struct certa_ocsp_answer	 ans;
	struct certa_err		 err;
	const uint8_t			*body = NULL;
	const char			*path = certa_http_req_path(r), *ct;
	const char			*inm;
	uint8_t				*dec = NULL;
	size_t				 len = 0;
	int64_t				 now = certa_now(), age;
	char				 hv[96], date[30];
	int				 status;
	certa_rc			 rc;

	certa_err_clear(&err);
	if (certa_http_req_method(r) == CERTA_HTTP_POST) {
		if (strcmp(path, "/ocsp") != 0 && strcmp(path, "/ocsp/") != 0) {
			certa_http_error(r, 404, "POST to /ocsp");
			goto out;
		}
		ct = certa_http_req_header(r, "Content-Type");
		if (ct == NULL || strncasecmp(ct, "application/ocsp-request",
		    24) != 0) {
			certa_http_error(r, 415, "Content-Type must be "
			    "application/ocsp-request");
			goto out;
		}
		body = certa_http_req_body(r, &len);
		if (len > CERTA_MAX_OCSP_REQ) {
			certa_http_error(r, 413, "OCSP request too large");
			goto out;
		}
	} else {
		/* RFC 6960 A.1: GET {url}/{url-encoding of base-64 of DER}. */
		const char *b64 = path + 5;

		while (*b64 == '/')
			b64++;
		if (*b64 == '\0' ||
		    strlen(b64) > (CERTA_MAX_OCSP_REQ / 3 + 1) * 4) {
			certa_http_error(r, *b64 == '\0' ? 400 : 414,
			    "expected /ocsp/<base64 request>");
			goto out;
		}
		if ((dec = malloc(CERTA_MAX_OCSP_REQ)) == NULL) {
			certa_http_error(r, 500, "out of memory");
			goto out;
		}
		if (!b64_decode(b64, dec, CERTA_MAX_OCSP_REQ, &len))
			len = 0;	/* answered as malformed below */
		body = dec;
	}
	rc = certa_ocsp_respond(h->ocsp, body, len, now, &ans, &err);
	if (rc != CERTA_OK)
		fprintf(stderr, "certa serve: OCSP: %s\n", err.msg);
	certa_http_req_note(r, certa_ocsp_kind_name(ans.kind));
	if (h->counts != NULL && (unsigned)ans.kind < 8)
		h->counts[ans.kind]++;
	status = ans.kind == CERTA_OCSP_MALFORMED ? 400 :
	    ans.kind == CERTA_OCSP_INTERNAL ? 500 : 200;
	if (status == 200 && ans.cacheable) {
		/* RFC 5019 §6.2 */
		age = ans.next_update - now;
		if (age > h->max_age)
			age = h->max_age;
		if (age < 0)
			age = 0;
		snprintf(hv, sizeof(hv), "max-age=%lld, public, no-transform, "
		    "must-revalidate", (long long)age);
		certa_http_header(r, "Cache-Control", hv);
		certa_http_date(ans.produced_at, date);
		certa_http_header(r, "Last-Modified", date);
		certa_http_date(ans.next_update, date);
		certa_http_header(r, "Expires", date);
		certa_http_header(r, "ETag", ans.etag);
		inm = certa_http_req_header(r, "If-None-Match");
		if (inm != NULL && strcmp(inm, ans.etag) == 0 &&
		    certa_http_req_method(r) != CERTA_HTTP_POST) {
			certa_http_reply(r, 304, NULL, NULL, 0);
			goto out;
		}
	} else if (status == 200) {
		certa_http_header(r, "Cache-Control", "no-store");
	}
	certa_http_reply(r, status, "application/ocsp-response", ans.der,
	    ans.len);
out:
	free(dec);
}
