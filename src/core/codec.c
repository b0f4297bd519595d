/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Export encodings: PEM, DER, PKCS#7 certs-only (RFC 5652 degenerate
 * SignedData, what `openssl crl2pkcs7 -nocrl` makes) and PKCS#12 (RFC 7292).
 * No I/O here.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>

#include "core/core.h"

/* PKCS#12 protection: PBKDF2-HMAC-SHA256 iterations (key, certs, MAC). */
#define P12_ITER	100000
#define P12_LEGACY_ITER	2048

static const char *const format_names[CERTA_FMT__COUNT] = {
	[CERTA_FMT_PEM] = "pem",
	[CERTA_FMT_DER] = "der",
	[CERTA_FMT_P7B] = "p7b",
	[CERTA_FMT_P12] = "p12",
};

certa_rc
certa_format_parse(const char *s, enum certa_format *out,
    struct certa_err *err)
{
	int		 i;
	certa_rc	 rc = CERTA_OK;

	for (i = 0; i < CERTA_FMT__COUNT; i++)
		if (strcasecmp(s, format_names[i]) == 0) {
			*out = (enum certa_format)i;
			goto out;
		}
	if (strcasecmp(s, "pfx") == 0 || strcasecmp(s, "pkcs12") == 0) {
		*out = CERTA_FMT_P12;
		goto out;
	}
	if (strcasecmp(s, "pkcs7") == 0 || strcasecmp(s, "p7c") == 0) {
		*out = CERTA_FMT_P7B;
		goto out;
	}
	CERTA_FAIL(CERTA_E_PARSE, "unknown format '%s' (use pem, der, p7b or "
	    "p12)", s);
out:
	return rc;
}

static certa_rc
bio_to_buf(BIO *bio, uint8_t **out, size_t *len, struct certa_err *err)
{
	char		*data;
	long		 n;
	certa_rc	 rc = CERTA_OK;

	n = BIO_get_mem_data(bio, &data);
	CERTA_CHECK(n > 0, CERTA_E_INTERNAL, "empty encoding");
	CERTA_CHECK((*out = malloc((size_t)n + 1)) != NULL, CERTA_E_NOMEM,
	    "oom");
	memcpy(*out, data, (size_t)n);
	(*out)[n] = '\0';
	*len = (size_t)n;
out:
	return rc;
}

certa_rc
certa_certs_pem(STACK_OF(X509) *certs, char **out, size_t *len,
    struct certa_err *err)
{
	BIO		*bio = NULL;
	int		 i;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	CERTA_OSSL((bio = BIO_new(BIO_s_mem())) != NULL, CERTA_E_NOMEM, "oom");
	for (i = 0; i < sk_X509_num(certs); i++)
		CERTA_OSSL(PEM_write_bio_X509(bio, sk_X509_value(certs, i)),
		    CERTA_E_CRYPTO, "write PEM certificate");
	CERTA_TRY(bio_to_buf(bio, (uint8_t **)out, len, err));
out:
	BIO_free(bio);
	return rc;
}

certa_rc
certa_certs_p7b(STACK_OF(X509) *certs, uint8_t **out, size_t *len,
    struct certa_err *err)
{
	PKCS7		*p7 = NULL;
	unsigned char	*der = NULL;
	int		 i, n;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	CERTA_OSSL((p7 = PKCS7_new()) != NULL, CERTA_E_NOMEM, "oom");
	CERTA_OSSL(PKCS7_set_type(p7, NID_pkcs7_signed) &&
	    PKCS7_content_new(p7, NID_pkcs7_data), CERTA_E_CRYPTO,
	    "build PKCS#7 SignedData");
	for (i = 0; i < sk_X509_num(certs); i++)
		CERTA_OSSL(PKCS7_add_certificate(p7, sk_X509_value(certs, i)),
		    CERTA_E_CRYPTO, "add certificate to PKCS#7");
	n = i2d_PKCS7(p7, &der);
	CERTA_OSSL(n > 0, CERTA_E_CRYPTO, "encode PKCS#7");
	CERTA_CHECK((*out = malloc((size_t)n)) != NULL, CERTA_E_NOMEM, "oom");
	memcpy(*out, der, (size_t)n);
	*len = (size_t)n;
out:
	OPENSSL_free(der);
	PKCS7_free(p7);
	return rc;
}

certa_rc
certa_p12_build(OSSL_LIB_CTX *libctx, const char *propq, EVP_PKEY *key,
    X509 *cert, STACK_OF(X509) *chain, const char *friendly,
    const char *pass, bool legacy, uint8_t **out, size_t *len,
    struct certa_err *err)
{
	PKCS12		*p12 = NULL;
	unsigned char	*der = NULL;
	int		 nid, iter, n;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK(pass != NULL && *pass != '\0', CERTA_E_INVAL,
	    "a PKCS#12 needs a password");
	nid = legacy ? NID_pbe_WithSHA1And3_Key_TripleDES_CBC : NID_aes_256_cbc;
	iter = legacy ? P12_LEGACY_ITER : P12_ITER;
	/* mac_iter -1: no MAC yet; set below with an explicit digest. */
	p12 = PKCS12_create_ex(pass, friendly, key, cert, chain, key ? nid : -1,
	    nid, iter, -1, 0, libctx, propq);
	CERTA_OSSL(p12 != NULL, CERTA_E_CRYPTO, "build PKCS#12");
	CERTA_OSSL(PKCS12_set_mac(p12, pass, -1, NULL, 0, iter,
	    legacy ? EVP_sha1() : EVP_sha256()), CERTA_E_CRYPTO,
	    "set PKCS#12 MAC");
	n = i2d_PKCS12(p12, &der);
	CERTA_OSSL(n > 0, CERTA_E_CRYPTO, "encode PKCS#12");
	CERTA_CHECK((*out = malloc((size_t)n)) != NULL, CERTA_E_NOMEM, "oom");
	memcpy(*out, der, (size_t)n);
	*len = (size_t)n;
out:
	OPENSSL_free(der);
	PKCS12_free(p12);
	return rc;
}
