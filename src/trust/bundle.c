/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Certificate and CRL bundles as files hold them (PEM, one or many; or one
 * DER object), split into DER blobs for the snapshot builder and the
 * validator.  No I/O: the caller reads the file.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <certa/limits.h>
#include <certa/trust.h>

#include "core/core.h"

/* Most objects one bundle may hold. */
#define BUNDLE_MAX	(1 << 20)

void
certa_der_list_clear(struct certa_der_list *l)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->der[i]);
	free(l->der);
	free(l->len);
	memset(l, 0, sizeof(*l));
}

/* Append a copy of der to l. */
static certa_rc
list_add(struct certa_der_list *l, const unsigned char *der, size_t len,
    struct certa_err *err)
{
	uint8_t		**d;
	size_t		 *n, cap;
	certa_rc	  rc = CERTA_OK;

	CERTA_CHECK(l->n < BUNDLE_MAX, CERTA_E_PARSE,
	    "more than %d objects in one bundle", BUNDLE_MAX);
	/* Capacity doubles: 16, 32, 64... (the size is a power of two). */
	if (l->n == 0 || (l->n >= 16 && (l->n & (l->n - 1)) == 0)) {
		cap = l->n == 0 ? 16 : l->n * 2;
		d = realloc(l->der, cap * sizeof(*d));
		CERTA_CHECK(d != NULL, CERTA_E_NOMEM, "grow bundle");
		l->der = d;
		n = realloc(l->len, cap * sizeof(*n));
		CERTA_CHECK(n != NULL, CERTA_E_NOMEM, "grow bundle");
		l->len = n;
	}
	CERTA_CHECK((l->der[l->n] = malloc(len)) != NULL, CERTA_E_NOMEM,
	    "copy bundle object");
	memcpy(l->der[l->n], der, len);
	l->len[l->n] = len;
	l->n++;
out:
	return rc;
}

/* der must decode as exactly one certificate (or CRL). */
static certa_rc
check_der(const unsigned char *der, size_t len, bool crl,
    struct certa_err *err)
{
	const unsigned char	*p = der;
	X509			*x = NULL;
	X509_CRL		*c = NULL;
	bool			 ok;
	certa_rc		 rc = CERTA_OK;

	CERTA_CHECK(len > 0 && (crl ? (uint64_t)len <= (uint64_t)CERTA_MAX_CRL :
	    len <= CERTA_MAX_CERT_DER), CERTA_E_PARSE,
	    "%s of %zu bytes out of range", crl ? "CRL" : "certificate", len);
	if (crl)
		ok = (c = d2i_X509_CRL(NULL, &p, (long)len)) != NULL;
	else
		ok = (x = d2i_X509(NULL, &p, (long)len)) != NULL;
	CERTA_OSSL(ok, CERTA_E_PARSE, "not a %s", crl ? "CRL" :
	    "certificate");
	CERTA_CHECK(p == der + len, CERTA_E_PARSE, "trailing bytes after the "
	    "%s", crl ? "CRL" : "certificate");
out:
	X509_free(x);
	X509_CRL_free(c);
	return rc;
}

certa_rc
certa_trust_decode_bundle(const uint8_t *data, size_t len, bool crl,
    struct certa_der_list *out, struct certa_err *err)
{
	const char	*want = crl ? PEM_STRING_X509_CRL : PEM_STRING_X509;
	BIO		*bio = NULL;
	char		*name = NULL, *hdr = NULL;
	unsigned char	*der = NULL;
	long		 dlen = 0;
	size_t		 before = out != NULL ? out->n : 0, found = 0;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(data != NULL && out != NULL, CERTA_E_INVAL,
	    "decode bundle: no data");
	CERTA_CHECK(len > 0 && len <= (size_t)INT32_MAX, CERTA_E_PARSE,
	    "bundle of %zu bytes out of range", len);
	if (!certa_is_pem(data, len)) {
		CERTA_TRY(check_der(data, len, crl, err));
		CERTA_TRY(list_add(out, data, len, err));
		goto out;
	}
	CERTA_OSSL((bio = BIO_new_mem_buf(data, (int)len)) != NULL,
	    CERTA_E_NOMEM, "read bundle");
	while (PEM_read_bio(bio, &name, &hdr, &der, &dlen) == 1) {
		if (strcmp(name, want) == 0 || (!crl &&
		    strcmp(name, PEM_STRING_X509_OLD) == 0)) {
			CERTA_TRY(check_der(der, (size_t)dlen, crl, err));
			CERTA_TRY(list_add(out, der, (size_t)dlen, err));
			found++;
		}
		OPENSSL_free(name);
		OPENSSL_free(hdr);
		OPENSSL_free(der);
		name = hdr = NULL;
		der = NULL;
	}
	ERR_clear_error();	/* the loop ends on "no start line" */
	CERTA_CHECK(found > 0, CERTA_E_PARSE, "no PEM %s in the file", want);
out:
	if (rc != CERTA_OK && out != NULL)
		while (out->n > before)
			free(out->der[--out->n]);
	OPENSSL_free(name);
	OPENSSL_free(hdr);
	OPENSSL_free(der);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}
