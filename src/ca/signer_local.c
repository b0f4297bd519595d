/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-process signer: holds the CA's EVP_PKEY.  See signer.h.  Nothing else
 * in certa touches a CA private key.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/signer.h"
#include "core/core.h"

struct certa_signer {
	OSSL_LIB_CTX	*libctx;	/* borrowed from the ctx */
	char		*propq;		/* owns */
	X509		*cert;		/* owns a reference */
	EVP_PKEY	*key;		/* owns a reference */
	const char	*md;		/* static string or NULL (EdDSA) */
	int64_t		 not_before, not_after;
};

struct certa_sign_session {
	struct certa_signer	*signer;	/* borrowed */
	EVP_MD_CTX		*mctx;		/* owns */
	uint8_t			*buf;		/* owns; EdDSA needs one shot */
	size_t			 len, cap;
};

certa_rc
certa_signer_local_new_key(OSSL_LIB_CTX *libctx, const char *propq,
    X509 *cert, EVP_PKEY *key, struct certa_signer **out,
    struct certa_err *err)
{
	struct certa_signer	*s = NULL;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK(X509_check_private_key(cert, key) == 1, CERTA_E_CONFLICT,
	    "the CA key does not match the CA certificate");
	ERR_clear_error();
	CERTA_CHECK((s = calloc(1, sizeof(*s))) != NULL, CERTA_E_NOMEM, "oom");
	s->libctx = libctx;
	if (propq != NULL)
		CERTA_CHECK((s->propq = strdup(propq)) != NULL, CERTA_E_NOMEM,
		    "oom");
	CERTA_OSSL(X509_up_ref(cert) && EVP_PKEY_up_ref(key), CERTA_E_INTERNAL,
	    "up-ref");
	s->cert = cert;
	s->key = key;
	s->md = certa_key_sign_md(key);
	CERTA_TRY(certa_asn1_time_to_unix(X509_get0_notBefore(cert),
	    &s->not_before, err));
	CERTA_TRY(certa_asn1_time_to_unix(X509_get0_notAfter(cert),
	    &s->not_after, err));
	*out = s;
	s = NULL;
out:
	certa_signer_free(s);
	return rc;
}

certa_rc
certa_signer_local_new(OSSL_LIB_CTX *libctx, const char *propq, X509 *cert,
    const char *key_pem, const char *pass, struct certa_signer **out,
    struct certa_err *err)
{
	EVP_PKEY	*key = NULL;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	CERTA_TRY(certa_key_from_pem(libctx, propq, key_pem, strlen(key_pem),
	    pass, &key, err));
	CERTA_TRY(certa_signer_local_new_key(libctx, propq, cert, key, out,
	    err));
out:
	EVP_PKEY_free(key);
	return rc;
}

void
certa_signer_free(struct certa_signer *s)
{
	if (s == NULL)
		return;
	X509_free(s->cert);
	EVP_PKEY_free(s->key);
	free(s->propq);
	free(s);
}

X509 *
certa_signer_get0_cert(const struct certa_signer *s)
{
	return s->cert;
}

static certa_rc
new_mctx(struct certa_signer *s, EVP_MD_CTX **out, struct certa_err *err)
{
	EVP_MD_CTX	*mctx = NULL;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	CERTA_OSSL((mctx = EVP_MD_CTX_new()) != NULL, CERTA_E_NOMEM, "oom");
	CERTA_OSSL(EVP_DigestSignInit_ex(mctx, NULL, s->md, s->libctx,
	    s->propq, s->key, NULL) == 1, CERTA_E_CRYPTO,
	    "start signing with the CA key");
	*out = mctx;
	mctx = NULL;
out:
	EVP_MD_CTX_free(mctx);
	return rc;
}

certa_rc
certa_signer_sign_cert(struct certa_signer *s, X509 *x,
    struct certa_err *err)
{
	EVP_MD_CTX	*mctx = NULL;
	int64_t		 nb, na;
	certa_rc	 rc = CERTA_OK;

	/* Re-check: the signer does not trust its caller. */
	CERTA_CHECK(X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(s->cert)) == 0, CERTA_E_POLICY,
	    "refusing to sign: issuer name is not the CA's subject");
	CERTA_TRY(certa_asn1_time_to_unix(X509_get0_notBefore(x), &nb, err));
	CERTA_TRY(certa_asn1_time_to_unix(X509_get0_notAfter(x), &na, err));
	CERTA_CHECK(nb >= s->not_before && na <= s->not_after && nb < na,
	    CERTA_E_POLICY, "refusing to sign: validity is not inside the "
	    "CA's");
	CERTA_TRY(new_mctx(s, &mctx, err));
	CERTA_OSSL(X509_sign_ctx(x, mctx) > 0, CERTA_E_CRYPTO,
	    "sign certificate");
out:
	EVP_MD_CTX_free(mctx);
	return rc;
}

certa_rc
certa_signer_sign_crl(struct certa_signer *s, X509_CRL *crl,
    struct certa_err *err)
{
	EVP_MD_CTX	*mctx = NULL;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(s->cert)) == 0, CERTA_E_POLICY,
	    "refusing to sign: CRL issuer is not the CA's subject");
	CERTA_TRY(new_mctx(s, &mctx, err));
	CERTA_OSSL(X509_CRL_sign_ctx(crl, mctx) > 0, CERTA_E_CRYPTO,
	    "sign CRL");
out:
	EVP_MD_CTX_free(mctx);
	return rc;
}

certa_rc
certa_signer_alg_der(struct certa_signer *s, uint8_t **out, size_t *len,
    struct certa_err *err)
{
	X509_CRL		*crl = NULL;
	const X509_ALGOR	*alg = NULL;
	unsigned char		*der = NULL;
	int			 n;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	/* Let OpenSSL choose the AlgorithmIdentifier by signing a dummy. */
	CERTA_OSSL((crl = X509_CRL_new()) != NULL, CERTA_E_NOMEM, "oom");
	CERTA_OSSL(X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(s->cert)), CERTA_E_CRYPTO, "set issuer");
	CERTA_TRY(certa_signer_sign_crl(s, crl, err));
	X509_CRL_get0_signature(crl, NULL, &alg);
	n = i2d_X509_ALGOR(alg, &der);
	CERTA_OSSL(n > 0, CERTA_E_CRYPTO, "encode signature algorithm");
	CERTA_CHECK((*out = malloc((size_t)n)) != NULL, CERTA_E_NOMEM, "oom");
	memcpy(*out, der, (size_t)n);
	*len = (size_t)n;
out:
	OPENSSL_free(der);
	X509_CRL_free(crl);
	return rc;
}

certa_rc
certa_signer_stream_begin(struct certa_signer *s,
    struct certa_sign_session **out, struct certa_err *err)
{
	struct certa_sign_session	*ss = NULL;
	certa_rc			 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK((ss = calloc(1, sizeof(*ss))) != NULL, CERTA_E_NOMEM,
	    "oom");
	ss->signer = s;
	CERTA_TRY(new_mctx(s, &ss->mctx, err));
	*out = ss;
	ss = NULL;
out:
	certa_signer_stream_free(ss);
	return rc;
}

certa_rc
certa_signer_stream_update(struct certa_sign_session *ss, const uint8_t *data,
    size_t len, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	if (ss->signer->md != NULL) {
		CERTA_OSSL(EVP_DigestSignUpdate(ss->mctx, data, len) == 1,
		    CERTA_E_CRYPTO, "hash data to sign");
		goto out;
	}
	if (ss->len + len > ss->cap) {
		size_t	 cap = (ss->len + len) * 2;
		uint8_t	*nb;

		CERTA_CHECK((nb = realloc(ss->buf, cap)) != NULL,
		    CERTA_E_NOMEM, "oom");
		ss->buf = nb;
		ss->cap = cap;
	}
	memcpy(ss->buf + ss->len, data, len);
	ss->len += len;
out:
	return rc;
}

certa_rc
certa_signer_stream_finish(struct certa_sign_session *ss, uint8_t **sig,
    size_t *siglen, struct certa_err *err)
{
	size_t		 n = 0;
	uint8_t		*b = NULL;
	certa_rc	 rc = CERTA_OK;

	*sig = NULL;
	if (ss->signer->md != NULL) {
		CERTA_OSSL(EVP_DigestSignFinal(ss->mctx, NULL, &n) == 1,
		    CERTA_E_CRYPTO, "size signature");
		CERTA_CHECK((b = malloc(n)) != NULL, CERTA_E_NOMEM, "oom");
		CERTA_OSSL(EVP_DigestSignFinal(ss->mctx, b, &n) == 1,
		    CERTA_E_CRYPTO, "sign");
	} else {
		CERTA_OSSL(EVP_DigestSign(ss->mctx, NULL, &n, ss->buf,
		    ss->len) == 1, CERTA_E_CRYPTO, "size signature");
		CERTA_CHECK((b = malloc(n)) != NULL, CERTA_E_NOMEM, "oom");
		CERTA_OSSL(EVP_DigestSign(ss->mctx, b, &n, ss->buf,
		    ss->len) == 1, CERTA_E_CRYPTO, "sign");
	}
	*sig = b;
	*siglen = n;
	b = NULL;
out:
	free(b);
	return rc;
}

void
certa_signer_stream_free(struct certa_sign_session *ss)
{
	if (ss == NULL)
		return;
	EVP_MD_CTX_free(ss->mctx);
	free(ss->buf);
	free(ss);
}
