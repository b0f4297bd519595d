/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Distribution of CRLs (/crl/<ca>.crl) and CA certificates (/ca/<ca>.crt)
 * over plain HTTP, as the URLs certa writes into certificates promise
 * (RFC 5280 §4.2.1.13, §4.2.2.1).  Serves bytes the daemon prepared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <certa/util.h>

#include "proto/endpoints.h"

certa_rc
certa_dist_set(struct certa_dist_obj *obj, const char *name,
    const uint8_t *der, size_t len, int64_t modified, int64_t expires,
    struct certa_err *err)
{
	uint8_t		*copy = NULL, md[32];
	unsigned int	 mdlen = 0;
	size_t		 i;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(strlen(name) < sizeof(obj->name), CERTA_E_INVAL,
	    "CA name too long");
	CERTA_CHECK((copy = malloc(len)) != NULL, CERTA_E_NOMEM, "oom");
	memcpy(copy, der, len);
	CERTA_OSSL(EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL),
	    CERTA_E_CRYPTO, "hash %s", name);
	free(obj->der);
	obj->der = copy;
	copy = NULL;
	obj->len = len;
	obj->modified = modified;
	obj->expires = expires;
	snprintf(obj->name, sizeof(obj->name), "%s", name);
	obj->etag[0] = '"';
	for (i = 0; i < 16; i++)
		snprintf(obj->etag + 1 + 2 * i, 3, "%02x", md[i]);
	obj->etag[33] = '"';
	obj->etag[34] = '\0';
out:
	free(copy);
	return rc;
}

void
certa_dist_clear(struct certa_dist *d)
{
	size_t	i;

	for (i = 0; i < d->ncrls; i++)
		free(d->crls[i].der);
	for (i = 0; i < d->ncas; i++)
		free(d->cas[i].der);
	d->ncrls = d->ncas = 0;
}

static void
serve(struct certa_http_req *r, struct certa_dist_obj *objs, size_t n,
    const char *prefix, const char *suffix, const char *ctype,
    int64_t max_age)
{
	const char	*path = certa_http_req_path(r), *name, *inm;
	size_t		 i, nlen, plen = strlen(prefix), slen = strlen(suffix);
	int64_t		 now = certa_now(), age;
	char		 hv[96], date[30];

	name = path + plen;
	nlen = strlen(name);
	if (nlen <= slen || strcmp(name + nlen - slen, suffix) != 0) {
		certa_http_error(r, 404, "not found");
		return;
	}
	nlen -= slen;
	for (i = 0; i < n; i++)
		if (strlen(objs[i].name) == nlen &&
		    strncmp(objs[i].name, name, nlen) == 0)
			break;
	if (i == n || objs[i].der == NULL) {
		certa_http_error(r, 404, "no such CA");
		return;
	}
	age = max_age;
	if (objs[i].expires > 0 && objs[i].expires - now < age)
		age = objs[i].expires - now > 0 ? objs[i].expires - now : 0;
	snprintf(hv, sizeof(hv), "max-age=%lld, public, no-transform, "
	    "must-revalidate", (long long)age);
	certa_http_header(r, "Cache-Control", hv);
	certa_http_date(objs[i].modified, date);
	certa_http_header(r, "Last-Modified", date);
	if (objs[i].expires > 0) {
		certa_http_date(objs[i].expires, date);
		certa_http_header(r, "Expires", date);
	}
	certa_http_header(r, "ETag", objs[i].etag);
	inm = certa_http_req_header(r, "If-None-Match");
	if (inm != NULL && strcmp(inm, objs[i].etag) == 0) {
		certa_http_reply(r, 304, NULL, NULL, 0);
		return;
	}
	certa_http_reply(r, 200, ctype, objs[i].der, objs[i].len);
}

void
certa_dist_http_crl(struct certa_http_req *r, void *arg)
{
	struct certa_dist	*d = arg;

	/* CRLs change on revocation: caches revalidate within a minute. */
	serve(r, d->crls, d->ncrls, "/crl/", ".crl", "application/pkix-crl",
	    60);
}

void
certa_dist_http_ca(struct certa_http_req *r, void *arg)
{
	struct certa_dist	*d = arg;

	serve(r, d->cas, d->ncas, "/ca/", ".crt", "application/pkix-cert",
	    d->max_age);
}
