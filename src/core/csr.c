/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PKCS#10 certificate requests (RFC 2986): parse PEM or DER under a size
 * ceiling and prove possession of the key by checking the self-signature.
 * No I/O here.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <certa/certa.h>
#include <certa/limits.h>

#include "core/core.h"

bool
certa_is_pem(const uint8_t *data, size_t len)
{
	size_t	i = 0;

	while (i < len && isspace(data[i]))
		i++;
	return len - i >= 10 && memcmp(data + i, "-----BEGIN", 10) == 0;
}

certa_rc
certa_csr_parse(OSSL_LIB_CTX *libctx, const char *propq, const uint8_t *data,
    size_t len, X509_REQ **out, struct certa_err *err)
{
	X509_REQ		*req = NULL;
	BIO			*bio = NULL;
	const unsigned char	*p = data;
	EVP_PKEY		*pkey;
	int			 ok;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK(len > 0, CERTA_E_PARSE, "CSR is empty");
	CERTA_CHECK(len <= CERTA_MAX_CSR_DER, CERTA_E_PARSE,
	    "CSR is %zu bytes; the limit is %d", len, CERTA_MAX_CSR_DER);
	if (certa_is_pem(data, len)) {
		CERTA_OSSL((bio = BIO_new_mem_buf(data, (int)len)) != NULL,
		    CERTA_E_NOMEM, "oom");
		req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
		CERTA_OSSL(req != NULL, CERTA_E_PARSE, "PEM input is not a "
		    "CERTIFICATE REQUEST or is damaged");
	} else {
		req = d2i_X509_REQ(NULL, &p, (long)len);
		CERTA_OSSL(req != NULL, CERTA_E_PARSE,
		    "input is neither a PEM nor a DER certificate request");
		CERTA_CHECK(p == data + len, CERTA_E_PARSE,
		    "%zu trailing bytes after the DER CSR",
		    (size_t)(data + len - p));
	}
	CERTA_CHECK(X509_REQ_get_version(req) == X509_REQ_VERSION_1,
	    CERTA_E_PARSE, "CSR version %ld is not v1 (0)",
	    X509_REQ_get_version(req));
	pkey = X509_REQ_get0_pubkey(req);
	CERTA_OSSL(pkey != NULL, CERTA_E_PARSE,
	    "the CSR's public key cannot be decoded");
	ok = X509_REQ_verify_ex(req, pkey, libctx, propq);
	CERTA_OSSL(ok == 1, CERTA_E_POLICY, "the CSR's signature does not "
	    "verify with its own public key");
	*out = req;
	req = NULL;
out:
	BIO_free(bio);
	X509_REQ_free(req);
	return rc;
}

GENERAL_NAMES *
certa_csr_get1_sans(X509_REQ *req)
{
	STACK_OF(X509_EXTENSION)	*exts;
	GENERAL_NAMES			*gens = NULL;

	exts = X509_REQ_get_extensions(req);
	if (exts != NULL)
		gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return gens;
}

certa_rc
certa_csr_generate(const char *spec, const char *subject,
    const char *const *sans, size_t nsans, const char *key_pass,
    char **key_pem, char **csr_pem, struct certa_err *err)
{
	EVP_PKEY			*key = NULL;
	X509_REQ			*req = NULL;
	X509_NAME			*name = NULL;
	GENERAL_NAMES			*gens = NULL;
	GENERAL_NAME			*g = NULL;
	STACK_OF(X509_EXTENSION)	*exts = NULL;
	X509_EXTENSION			*ext = NULL;
	EVP_MD_CTX			*mctx = NULL;
	BIO				*bio = NULL;
	char				*data;
	long				 n;
	size_t				 i, klen = 0;
	certa_rc			 rc = CERTA_OK;

	*key_pem = *csr_pem = NULL;
	CERTA_TRY(certa_name_parse(subject, &name, err));
	CERTA_TRY(certa_key_generate(NULL, spec, &key, err));
	CERTA_OSSL((req = X509_REQ_new()) != NULL, CERTA_E_NOMEM, "oom");
	CERTA_OSSL(X509_REQ_set_version(req, X509_REQ_VERSION_1) &&
	    X509_REQ_set_subject_name(req, name) &&
	    X509_REQ_set_pubkey(req, key), CERTA_E_CRYPTO, "build CSR");
	if (nsans > 0) {
		CERTA_OSSL((gens = GENERAL_NAMES_new()) != NULL &&
		    (exts = sk_X509_EXTENSION_new_null()) != NULL,
		    CERTA_E_NOMEM, "oom");
		for (i = 0; i < nsans; i++) {
			CERTA_TRY(certa_san_parse(sans[i], &g, err));
			CERTA_OSSL(sk_GENERAL_NAME_push(gens, g), CERTA_E_NOMEM,
			    "oom");
			g = NULL;
		}
		CERTA_OSSL((ext = X509V3_EXT_i2d(NID_subject_alt_name, 0,
		    gens)) != NULL && sk_X509_EXTENSION_push(exts, ext),
		    CERTA_E_CRYPTO, "encode subjectAltName");
		ext = NULL;
		CERTA_OSSL(X509_REQ_add_extensions(req, exts), CERTA_E_CRYPTO,
		    "add extensionRequest");
	}
	CERTA_OSSL((mctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestSignInit_ex(mctx, NULL, certa_key_sign_md(key), NULL,
	    NULL, key, NULL) == 1 && X509_REQ_sign_ctx(req, mctx) > 0,
	    CERTA_E_CRYPTO, "sign CSR");
	CERTA_OSSL((bio = BIO_new(BIO_s_mem())) != NULL &&
	    PEM_write_bio_X509_REQ(bio, req), CERTA_E_CRYPTO, "write CSR");
	n = BIO_get_mem_data(bio, &data);
	CERTA_CHECK((*csr_pem = malloc((size_t)n + 1)) != NULL, CERTA_E_NOMEM,
	    "oom");
	memcpy(*csr_pem, data, (size_t)n);
	(*csr_pem)[n] = '\0';
	CERTA_TRY(certa_key_to_pem(key, key_pass, key_pem, &klen, err));
out:
	if (rc != CERTA_OK) {
		free(*csr_pem);
		*csr_pem = NULL;
	}
	BIO_free(bio);
	EVP_MD_CTX_free(mctx);
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAME_free(g);
	GENERAL_NAMES_free(gens);
	X509_NAME_free(name);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return rc;
}
