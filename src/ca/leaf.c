/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa's own short-lived leaf certificates: the OCSP responder's
 * (ocsp.c) and the API listener's TLS server certificate.  A fresh key
 * that lives only in the caller's memory, validity inside the issuing
 * CA's, signed through signer.h and audited before it is used.  These are
 * not application certificates: no profile, no store row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <certa/certa.h>
#include <certa/util.h>

#include "audit/audit.h"
#include "ca/ctx.h"
#include "ca/leaf.h"
#include "core/core.h"

static certa_rc
add_sans(X509 *x, const char *const *sans, size_t n, struct certa_err *err)
{
	GENERAL_NAMES	*gens = NULL;
	GENERAL_NAME	*g = NULL;
	size_t		 i;
	certa_rc	 rc = CERTA_OK;

	if (n == 0)
		goto out;
	CERTA_OSSL((gens = GENERAL_NAMES_new()) != NULL, CERTA_E_NOMEM, "oom");
	for (i = 0; i < n; i++) {
		CERTA_TRY(certa_san_parse(sans[i], &g, err));
		CERTA_OSSL(sk_GENERAL_NAME_push(gens, g) > 0, CERTA_E_NOMEM,
		    "oom");
		g = NULL;
	}
	CERTA_OSSL(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
	    X509V3_ADD_REPLACE), CERTA_E_CRYPTO, "add subjectAltName");
out:
	GENERAL_NAME_free(g);
	GENERAL_NAMES_free(gens);
	return rc;
}

certa_rc
certa_leaf_issue(struct certa_ctx *c, const struct certa_leaf_spec *sp,
    int64_t now, EVP_PKEY **key_out, X509 **x_out, int64_t *not_after,
    struct certa_err *err)
{
	EVP_PKEY		*key = NULL;
	X509			*x = NULL;
	X509_NAME		*name = NULL;
	ASN1_INTEGER		*serial = NULL;
	EXTENDED_KEY_USAGE	*eku = NULL;
	ASN1_NULL		*nocheck = NULL;
	char			 hex[41], obj[64], details[200], t[21];
	char			*more = NULL;
	int64_t			 nb, na, ca_nb, ca_na;
	bool			 tx = false;
	certa_rc		 rc = CERTA_OK;

	*key_out = NULL;
	*x_out = NULL;
	CERTA_TRY(certa_ctx_load_signer(c, err));
	CERTA_TRY(certa_key_generate(c->libctx, sp->key_spec != NULL ?
	    sp->key_spec : "ec:P-256", &key, err));
	CERTA_OSSL((x = X509_new_ex(c->libctx, c->propq)) != NULL,
	    CERTA_E_NOMEM, "oom");
	CERTA_OSSL(X509_set_version(x, X509_VERSION_3), CERTA_E_CRYPTO,
	    "set version");
	CERTA_TRY(certa_serial_new(c->libctx, &serial, hex, err));
	CERTA_OSSL(X509_set_serialNumber(x, serial), CERTA_E_CRYPTO,
	    "set serial");
	CERTA_OSSL(X509_set_issuer_name(x,
	    X509_get_subject_name(c->issuing_cert)), CERTA_E_CRYPTO,
	    "set issuer");
	CERTA_OSSL((name = X509_NAME_new()) != NULL &&
	    X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)sp->cn, -1, -1, 0), CERTA_E_NOMEM, "oom");
	CERTA_OSSL(X509_set_subject_name(x, name), CERTA_E_CRYPTO,
	    "set subject");
	CERTA_OSSL(X509_set_pubkey(x, key), CERTA_E_CRYPTO, "set key");
	/* Short-lived, inside the CA's validity (the signer checks it). */
	CERTA_TRY(certa_asn1_time_to_unix(X509_get0_notAfter(c->issuing_cert),
	    &ca_na, err));
	CERTA_TRY(certa_asn1_time_to_unix(
	    X509_get0_notBefore(c->issuing_cert), &ca_nb, err));
	nb = now - 300 > ca_nb ? now - 300 : ca_nb;
	na = now + sp->validity;
	if (na > ca_na)
		na = ca_na;
	CERTA_CHECK(na > now + 60, CERTA_E_POLICY, "the issuing CA expires "
	    "too soon to issue %s", sp->what);
	CERTA_TRY(certa_build_set_validity(x, nb, na, err));
	CERTA_OSSL(X509_add_ext(x, c->ext_bc, -1), CERTA_E_CRYPTO,
	    "add basicConstraints");
	CERTA_TRY(certa_build_ku(x, sp->key_usage, err));
	CERTA_OSSL((eku = sk_ASN1_OBJECT_new_null()) != NULL &&
	    sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(sp->eku_nid)),
	    CERTA_E_NOMEM, "oom");
	CERTA_OSSL(X509_add1_ext_i2d(x, NID_ext_key_usage, eku, 0,
	    X509V3_ADD_REPLACE), CERTA_E_CRYPTO, "add extendedKeyUsage");
	if (sp->ocsp_nocheck) {
		/* RFC 6960 §4.2.2.2.1: no status check of this certificate. */
		CERTA_OSSL((nocheck = ASN1_NULL_new()) != NULL, CERTA_E_NOMEM,
		    "oom");
		CERTA_OSSL(X509_add1_ext_i2d(x, NID_id_pkix_OCSP_noCheck,
		    nocheck, 0, X509V3_ADD_REPLACE), CERTA_E_CRYPTO,
		    "add ocsp-nocheck");
	}
	CERTA_TRY(add_sans(x, sp->sans, sp->nsans, err));
	CERTA_TRY(certa_build_ski(x, err));
	CERTA_OSSL(X509_add_ext(x, c->ext_aki, -1), CERTA_E_CRYPTO, "add AKI");
	CERTA_TRY(certa_signer_sign_cert(c->signer, x, err));

	/* Audited (invariant 7) before it is used. */
	snprintf(obj, sizeof(obj), "ca:%s", c->issuing.name);
	certa_time_format(na, t);
	snprintf(details, sizeof(details), "{\"serial\":\"%s\","
	    "\"not_after\":\"%s\"}", hex, t);
	CERTA_TRY(certa_store_begin(c->store, err));
	tx = true;
	more = certa_ctx_details(c, details);	/* with the role */
	CERTA_TRY(certa_audit_append(c->store, c->actor, sp->audit_action,
	    obj, "ok", more != NULL ? more : details, err));
	CERTA_TRY(certa_store_commit(c->store, err));
	tx = false;
	*key_out = key;
	*x_out = x;
	key = NULL;
	x = NULL;
	if (not_after != NULL)
		*not_after = na;
out:
	if (tx)
		certa_store_rollback(c->store);
	free(more);
	ASN1_NULL_free(nocheck);
	sk_ASN1_OBJECT_free(eku);
	ASN1_INTEGER_free(serial);
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

static certa_rc
pem_cert(BIO *b, X509 *x, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_OSSL(PEM_write_bio_X509(b, x), CERTA_E_CRYPTO,
	    "write certificate");
out:
	return rc;
}

static certa_rc
bio_take(BIO *b, char **out, struct certa_err *err)
{
	char		*p;
	long		 n;
	certa_rc	 rc = CERTA_OK;

	n = BIO_get_mem_data(b, &p);
	CERTA_CHECK(n > 0 && (*out = malloc((size_t)n + 1)) != NULL,
	    CERTA_E_NOMEM, "oom");
	memcpy(*out, p, (size_t)n);
	(*out)[n] = '\0';
out:
	return rc;
}

certa_rc
certa_tls_server_issue(struct certa_ctx *c, const char *const *names,
    size_t n, int64_t validity, char **chain_pem, char **key_pem,
    int64_t *not_after, struct certa_err *err)
{
	struct certa_leaf_spec	 sp;
	EVP_PKEY		*key = NULL;
	X509			*x = NULL;
	BIO			*b = NULL;
	size_t			 klen;
	certa_rc		 rc = CERTA_OK;

	*chain_pem = NULL;
	*key_pem = NULL;
	memset(&sp, 0, sizeof(sp));
	sp.what = "a TLS server certificate";
	sp.cn = n > 0 && strncmp(names[0], "DNS:", 4) == 0 ? names[0] + 4 :
	    "certa API";
	sp.validity = validity > 0 ? validity : 30 * 86400;
	sp.key_usage = X509v3_KU_DIGITAL_SIGNATURE;
	sp.eku_nid = NID_server_auth;
	sp.sans = names;
	sp.nsans = n;
	sp.audit_action = "tls.server";
	CERTA_TRY(certa_leaf_issue(c, &sp, certa_now(), &key, &x, not_after,
	    err));
	CERTA_OSSL((b = BIO_new(BIO_s_mem())) != NULL, CERTA_E_NOMEM, "oom");
	CERTA_TRY(pem_cert(b, x, err));
	CERTA_TRY(pem_cert(b, c->issuing_cert, err));
	CERTA_TRY(bio_take(b, chain_pem, err));
	CERTA_TRY(certa_key_to_pem(key, NULL, key_pem, &klen, err));
out:
	if (rc != CERTA_OK) {
		free(*chain_pem);
		*chain_pem = NULL;
	}
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}
