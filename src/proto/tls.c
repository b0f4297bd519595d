/* SPDX-License-Identifier: Apache-2.0 */
/* TLS server contexts (tls.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include <certa/certa.h>
#include <certa/util.h>

#include "proto/tls.h"

certa_rc
certa_tls_server_new(SSL_CTX **out, struct certa_err *err)
{
	SSL_CTX		*t = NULL;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	CERTA_OSSL((t = SSL_CTX_new_ex(NULL, NULL, TLS_server_method())) !=
	    NULL, CERTA_E_NOMEM, "TLS context");
	CERTA_OSSL(SSL_CTX_set_min_proto_version(t, TLS1_2_VERSION),
	    CERTA_E_CRYPTO, "TLS versions");
	SSL_CTX_set_options(t, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	*out = t;
	t = NULL;
out:
	SSL_CTX_free(t);
	return rc;
}

certa_rc
certa_tls_use_pem(SSL_CTX *ctx, const char *chain, const char *key,
    struct certa_err *err)
{
	BIO		*b = NULL, *kb = NULL;
	X509		*leaf = NULL, *x;
	STACK_OF(X509)	*sk = NULL;
	EVP_PKEY	*pk = NULL;
	certa_rc	 rc = CERTA_OK;

	CERTA_OSSL((b = BIO_new_mem_buf(chain, -1)) != NULL &&
	    (kb = BIO_new_mem_buf(key, -1)) != NULL &&
	    (sk = sk_X509_new_null()) != NULL, CERTA_E_NOMEM, "oom");
	CERTA_OSSL((leaf = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL,
	    CERTA_E_PARSE, "TLS certificate");
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			CERTA_FAIL(CERTA_E_NOMEM, "oom");
		}
	ERR_clear_error();	/* the end of the chain */
	CERTA_OSSL((pk = PEM_read_bio_PrivateKey_ex(kb, NULL, NULL, NULL,
	    NULL, NULL)) != NULL, CERTA_E_PARSE, "TLS key");
	CERTA_OSSL(SSL_CTX_use_cert_and_key(ctx, leaf, pk, sk, 1),
	    CERTA_E_CRYPTO, "TLS certificate and key do not match");
out:
	EVP_PKEY_free(pk);
	sk_X509_pop_free(sk, X509_free);
	X509_free(leaf);
	BIO_free(kb);
	BIO_free(b);
	return rc;
}

certa_rc
certa_tls_use_files(SSL_CTX *ctx, const char *chain_file,
    const char *key_file, struct certa_err *err)
{
	char		*chain = NULL, *key = NULL;
	size_t		 clen = 0, klen = 0;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(certa_file_read(chain_file, 1024 * 1024, (uint8_t **)&chain,
	    &clen, err));
	CERTA_TRY(certa_file_read(key_file, 1024 * 1024, (uint8_t **)&key,
	    &klen, err));
	CERTA_TRY(certa_tls_use_pem(ctx, chain, key, err));
out:
	free(chain);
	if (key != NULL)
		certa_free_secret(key, klen);
	return rc;
}

certa_rc
certa_tls_use_issued(SSL_CTX *ctx, struct certa_ctx *c,
    const char *const *names, size_t n, int64_t *not_after,
    struct certa_err *err)
{
	char		*chain = NULL, *key = NULL;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(certa_tls_server_issue(c, names, n, 30 * 86400, &chain, &key,
	    not_after, err));
	CERTA_TRY(certa_tls_use_pem(ctx, chain, key, err));
out:
	free(chain);
	if (key != NULL)
		certa_free_secret(key, strlen(key) + 1);
	return rc;
}
