/* SPDX-License-Identifier: Apache-2.0 */
/* Export of issued certificates and of the CA chain in every format. */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "ca/ctx.h"
#include "core/core.h"
#include "util/util.h"

/* Chain above a leaf of the issuing CA: issuing, then root. */
static certa_rc
ca_chain(struct certa_ctx *c, bool with_root, STACK_OF(X509) *sk,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(certa_ctx_load_ca(c, err));
	CERTA_OSSL(X509_add_cert(sk, c->issuing_cert, X509_ADD_FLAG_UP_REF),
	    CERTA_E_NOMEM, "oom");
	if (with_root && c->root_cert != NULL)
		CERTA_OSSL(X509_add_cert(sk, c->root_cert,
		    X509_ADD_FLAG_UP_REF), CERTA_E_NOMEM, "oom");
out:
	return rc;
}

static certa_rc
encode(struct certa_ctx *c, STACK_OF(X509) *sk, enum certa_format f,
    uint8_t **out, size_t *len, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	switch (f) {
	case CERTA_FMT_PEM:
		CERTA_TRY(certa_certs_pem(sk, (char **)out, len, err));
		break;
	case CERTA_FMT_DER:
		CERTA_CHECK(sk_X509_num(sk) == 1, CERTA_E_PARSE,
		    "DER holds one certificate: use pem or p7b for a chain");
		CERTA_TRY(certa_cert_der(sk_X509_value(sk, 0), out, len, err));
		break;
	case CERTA_FMT_P7B:
		CERTA_TRY(certa_certs_p7b(sk, out, len, err));
		break;
	default:
		(void)c;
		CERTA_FAIL(CERTA_E_INVAL, "unsupported format here");
	}
out:
	return rc;
}

certa_rc
certa_cert_export(struct certa_ctx *c, const struct certa_cert_rec *rec,
    const struct certa_export_opts *o, uint8_t **out, size_t *len,
    struct certa_err *err)
{
	STACK_OF(X509)		*sk = NULL;	/* owns elements */
	STACK_OF(X509)		*chain = NULL;	/* owns elements */
	X509			*x = NULL;
	EVP_PKEY		*key = NULL;
	enum certa_format	 f;
	char			*pass = NULL, *friendly = NULL;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_TRY(certa_format_parse(o->format ? o->format : "pem", &f, err));
	CERTA_CHECK(rec->der != NULL, CERTA_E_NOTFOUND,
	    "certificate %lld has no DER", (long long)rec->id);
	CERTA_TRY(certa_cert_parse(rec->der, rec->der_len, &x, err));
	CERTA_OSSL((sk = sk_X509_new_null()) != NULL &&
	    (chain = sk_X509_new_null()) != NULL, CERTA_E_NOMEM, "oom");
	if (f != CERTA_FMT_P12) {
		CERTA_OSSL(X509_add_cert(sk, x, X509_ADD_FLAG_UP_REF),
		    CERTA_E_NOMEM, "oom");
		if (o->chain)
			CERTA_TRY(ca_chain(c, true, sk, err));
		CERTA_TRY(encode(c, sk, f, out, len, err));
		goto out;
	}
	CERTA_CHECK(o->password != NULL, CERTA_E_INVAL,
	    "PKCS#12 export needs a password (--password-file)");
	if (rec->key_pem != NULL) {
		/* Server-generated key: decrypt with the data-dir passphrase. */
		CERTA_TRY(certa_ctx_passphrase(c->dir, c->pass_file, &pass,
		    err));
		CERTA_TRY(certa_key_from_pem(c->libctx, c->propq, rec->key_pem,
		    strlen(rec->key_pem), pass, &key, err));
	} else if (o->key_pem != NULL) {
		CERTA_TRY(certa_key_from_pem(c->libctx, c->propq,
		    (const char *)o->key_pem, o->key_len, NULL, &key, err));
	}
	if (key != NULL)
		CERTA_OSSL(X509_check_private_key(x, key) == 1,
		    CERTA_E_INVAL, "the key does not match certificate %lld",
		    (long long)rec->id);
	if (o->chain)
		CERTA_TRY(ca_chain(c, true, chain, err));
	friendly = certa_name_get_text(X509_get_subject_name(x),
	    NID_commonName);
	CERTA_TRY(certa_p12_build(c->libctx, c->propq, key, x, chain,
	    friendly, o->password, o->legacy, out, len, err));
out:
	free(friendly);
	if (pass != NULL)
		certa_free_secret(pass, strlen(pass) + 1);
	EVP_PKEY_free(key);
	X509_free(x);
	sk_X509_pop_free(sk, X509_free);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

certa_rc
certa_ca_export(struct certa_ctx *c, bool chain, const char *format,
    uint8_t **out, size_t *len, struct certa_err *err)
{
	STACK_OF(X509)		*sk = NULL;
	enum certa_format	 f;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_TRY(certa_format_parse(format ? format : "pem", &f, err));
	CERTA_CHECK(f != CERTA_FMT_P12, CERTA_E_PARSE,
	    "CA certificates export as pem, der or p7b");
	CERTA_OSSL((sk = sk_X509_new_null()) != NULL, CERTA_E_NOMEM, "oom");
	CERTA_TRY(ca_chain(c, chain, sk, err));
	CERTA_TRY(encode(c, sk, f, out, len, err));
out:
	sk_X509_pop_free(sk, X509_free);
	return rc;
}
