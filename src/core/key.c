/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key pairs: generation from a spec string, description, and PKCS#8 PEM
 * encoding.  Keys at rest are always encrypted (ARCHITECTURE invariant 5):
 * PBES2 with scrypt and AES-256-CBC.  No I/O here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "core/core.h"
#include "util/util.h"

/* scrypt parameters: 2^14 * 8 * 128 = 16 MiB, under OpenSSL's 32 MiB cap. */
#define KEY_SCRYPT_N	16384
#define KEY_SCRYPT_R	8
#define KEY_SCRYPT_P	1

certa_rc
certa_key_generate(OSSL_LIB_CTX *libctx, const char *spec, EVP_PKEY **out,
    struct certa_err *err)
{
	EVP_PKEY	*pkey = NULL;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK(spec != NULL, CERTA_E_INVAL, "no key spec");
	if (strcmp(spec, "ec:P-256") == 0 || strcmp(spec, "ec:P-384") == 0 ||
	    strcmp(spec, "ec:p-256") == 0 || strcmp(spec, "ec:p-384") == 0) {
		const char *curve = spec[5] == '2' ? "P-256" : "P-384";

		pkey = EVP_PKEY_Q_keygen(libctx, NULL, "EC", curve);
	} else if (strcmp(spec, "ed25519") == 0) {
		pkey = EVP_PKEY_Q_keygen(libctx, NULL, "ED25519");
	} else if (strcmp(spec, "rsa:2048") == 0 ||
	    strcmp(spec, "rsa:3072") == 0 || strcmp(spec, "rsa:4096") == 0) {
		size_t bits = (size_t)strtoul(spec + 4, NULL, 10);

		pkey = EVP_PKEY_Q_keygen(libctx, NULL, "RSA", bits);
	} else {
		CERTA_FAIL(CERTA_E_PARSE, "unknown key type '%s' (use ec:P-256, "
		    "ec:P-384, ed25519, rsa:2048, rsa:3072 or rsa:4096)", spec);
	}
	CERTA_OSSL(pkey != NULL, CERTA_E_CRYPTO, "generate %s key", spec);
	*out = pkey;
out:
	return rc;
}

char *
certa_key_describe(const EVP_PKEY *pkey)
{
	char	 buf[64], group[64];
	size_t	 glen = 0;

	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(pkey,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen))
			return certa_strdup("ec:unknown");
		if (strcmp(group, "prime256v1") == 0 ||
		    strcmp(group, "P-256") == 0)
			return certa_strdup("ec:P-256");
		if (strcmp(group, "secp384r1") == 0 ||
		    strcmp(group, "P-384") == 0)
			return certa_strdup("ec:P-384");
		if (strcmp(group, "secp521r1") == 0 ||
		    strcmp(group, "P-521") == 0)
			return certa_strdup("ec:P-521");
		snprintf(buf, sizeof(buf), "ec:%.48s", group);
		return certa_strdup(buf);
	case EVP_PKEY_RSA:
		snprintf(buf, sizeof(buf), "rsa:%d", EVP_PKEY_get_bits(pkey));
		return certa_strdup(buf);
	case EVP_PKEY_RSA_PSS:
		snprintf(buf, sizeof(buf), "rsa-pss:%d",
		    EVP_PKEY_get_bits(pkey));
		return certa_strdup(buf);
	case EVP_PKEY_ED25519:
		return certa_strdup("ed25519");
	case EVP_PKEY_ED448:
		return certa_strdup("ed448");
	case EVP_PKEY_DSA:
		snprintf(buf, sizeof(buf), "dsa:%d", EVP_PKEY_get_bits(pkey));
		return certa_strdup(buf);
	default:
		snprintf(buf, sizeof(buf), "%s",
		    EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey)
		    : "unknown");
		return certa_strdup(buf);
	}
}

const char *
certa_key_sign_md(const EVP_PKEY *pkey)
{
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return NULL;
	case EVP_PKEY_EC:
		return EVP_PKEY_get_bits(pkey) > 256 ? "SHA384" : "SHA256";
	default:
		return "SHA256";
	}
}

static certa_rc
bio_take(BIO *bio, char **out, size_t *len, struct certa_err *err)
{
	char		*data, *s;
	long		 n;
	certa_rc	 rc = CERTA_OK;

	n = BIO_get_mem_data(bio, &data);
	CERTA_CHECK(n > 0, CERTA_E_INTERNAL, "empty encoding");
	CERTA_CHECK((s = malloc((size_t)n + 1)) != NULL, CERTA_E_NOMEM, "oom");
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	*out = s;
	if (len != NULL)
		*len = (size_t)n;
out:
	return rc;
}

certa_rc
certa_key_to_pem(const EVP_PKEY *pkey, const char *pass, char **out,
    size_t *len, struct certa_err *err)
{
	BIO			*bio = NULL;
	PKCS8_PRIV_KEY_INFO	*p8 = NULL;
	X509_ALGOR		*pbe = NULL;
	X509_SIG		*sig = NULL;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_OSSL((bio = BIO_new(BIO_s_secmem())) != NULL, CERTA_E_NOMEM,
	    "oom");
	CERTA_OSSL((p8 = EVP_PKEY2PKCS8(pkey)) != NULL, CERTA_E_CRYPTO,
	    "encode private key as PKCS#8");
	if (pass == NULL) {
		CERTA_OSSL(PEM_write_bio_PKCS8_PRIV_KEY_INFO(bio, p8),
		    CERTA_E_CRYPTO, "write private key");
	} else {
		pbe = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), NULL, 0, NULL,
		    KEY_SCRYPT_N, KEY_SCRYPT_R, KEY_SCRYPT_P);
		CERTA_OSSL(pbe != NULL, CERTA_E_CRYPTO, "set up scrypt");
		sig = PKCS8_set0_pbe(pass, (int)strlen(pass), p8, pbe);
		CERTA_OSSL(sig != NULL, CERTA_E_CRYPTO, "encrypt private key");
		pbe = NULL;	/* owned by sig now */
		CERTA_OSSL(PEM_write_bio_PKCS8(bio, sig), CERTA_E_CRYPTO,
		    "write encrypted private key");
	}
	CERTA_TRY(bio_take(bio, out, len, err));
out:
	X509_ALGOR_free(pbe);
	X509_SIG_free(sig);
	PKCS8_PRIV_KEY_INFO_free(p8);
	BIO_free(bio);
	return rc;
}

static int
pass_cb(char *buf, int size, int rwflag, void *u)
{
	const char	*pass = u;
	size_t		 n;

	(void)rwflag;
	if (pass == NULL)
		return -1;	/* never prompt on a terminal */
	n = strlen(pass);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, pass, n);
	return (int)n;
}

certa_rc
certa_key_from_pem(OSSL_LIB_CTX *libctx, const char *propq, const char *pem,
    size_t len, const char *pass, EVP_PKEY **out, struct certa_err *err)
{
	BIO		*bio = NULL;
	EVP_PKEY	*pkey = NULL;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	CERTA_OSSL((bio = BIO_new_mem_buf(pem, (int)len)) != NULL,
	    CERTA_E_NOMEM, "oom");
	pkey = PEM_read_bio_PrivateKey_ex(bio, NULL, pass_cb, (void *)pass,
	    libctx, propq);
	CERTA_OSSL(pkey != NULL, pass ? CERTA_E_CRYPTO : CERTA_E_PARSE,
	    "%s", pass ? "cannot decrypt private key (wrong passphrase?)" :
	    "cannot read private key");
	*out = pkey;
out:
	BIO_free(bio);
	return rc;
}
