/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PKCS#10 certificate requests (RFC 2986): parse PEM or DER under a size
 * ceiling and prove possession of the key by checking the self-signature.
 * No I/O here.
 *
 * HOW IT WORKS.  OpenSSL 3.0's d2i_X509_REQ decodes the embedded public key
 * through a freshly built OSSL_DECODER chain, which costs more than the
 * signature check itself.  certa therefore decodes requests with OpenSSL's
 * ASN.1 template engine into raw fields (the SubjectPublicKeyInfo stays an
 * AlgorithmIdentifier plus BIT STRING, and the signed CertificationRequest-
 * Info keeps its original encoding), then builds the EVP_PKEY straight from
 * its parameters: a named-curve EC point, Ed25519/Ed448 bytes, or an RSA
 * modulus and exponent.  Any other key or signature algorithm takes the
 * general path (d2i_X509_REQ + X509_REQ_verify_ex); both paths fill the
 * same struct certa_csr.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <certa/certa.h>
#include <certa/limits.h>

#include "core/core.h"

/* RFC 2986 §4.1, as templates over raw fields. */
typedef struct {
	X509_ALGOR		*algor;
	ASN1_BIT_STRING		*key;
} CERTA_SPKI;

typedef struct {
	ASN1_ENCODING		 enc;	/* the signed bytes, as received */
	ASN1_INTEGER		*version;
	X509_NAME		*subject;
	CERTA_SPKI		*spki;
	STACK_OF(X509_ATTRIBUTE) *attributes;
} CERTA_CSR_INFO;

typedef struct {
	CERTA_CSR_INFO		*info;
	X509_ALGOR		*sig_alg;
	ASN1_BIT_STRING		*signature;
} CERTA_CSR;

/* RFC 8017 §A.1.1 RSAPublicKey. */
typedef struct {
	ASN1_INTEGER		*n;
	ASN1_INTEGER		*e;
} CERTA_RSA_PUB;

ASN1_SEQUENCE(CERTA_SPKI) = {
	ASN1_SIMPLE(CERTA_SPKI, algor, X509_ALGOR),
	ASN1_SIMPLE(CERTA_SPKI, key, ASN1_BIT_STRING)
} static_ASN1_SEQUENCE_END(CERTA_SPKI)

ASN1_SEQUENCE_enc(CERTA_CSR_INFO, enc, NULL) = {
	ASN1_SIMPLE(CERTA_CSR_INFO, version, ASN1_INTEGER),
	ASN1_SIMPLE(CERTA_CSR_INFO, subject, X509_NAME),
	ASN1_SIMPLE(CERTA_CSR_INFO, spki, CERTA_SPKI),
	/* [0] attributes: required by RFC 2986, omitted by some tools. */
	ASN1_IMP_SET_OF_OPT(CERTA_CSR_INFO, attributes, X509_ATTRIBUTE, 0)
} static_ASN1_SEQUENCE_END_ref(CERTA_CSR_INFO, CERTA_CSR_INFO)

ASN1_SEQUENCE(CERTA_CSR) = {
	ASN1_SIMPLE(CERTA_CSR, info, CERTA_CSR_INFO),
	ASN1_SIMPLE(CERTA_CSR, sig_alg, X509_ALGOR),
	ASN1_SIMPLE(CERTA_CSR, signature, ASN1_BIT_STRING)
} static_ASN1_SEQUENCE_END(CERTA_CSR)

ASN1_SEQUENCE(CERTA_RSA_PUB) = {
	ASN1_SIMPLE(CERTA_RSA_PUB, n, ASN1_INTEGER),
	ASN1_SIMPLE(CERTA_RSA_PUB, e, ASN1_INTEGER)
} static_ASN1_SEQUENCE_END(CERTA_RSA_PUB)

bool
certa_is_pem(const uint8_t *data, size_t len)
{
	size_t	i = 0;

	while (i < len && isspace(data[i]))
		i++;
	return len - i >= 10 && memcmp(data + i, "-----BEGIN", 10) == 0;
}

void
certa_csr_free(struct certa_csr *c)
{
	if (c == NULL)
		return;
	X509_NAME_free(c->subject);
	X509_ALGOR_free(c->spki_alg);
	ASN1_BIT_STRING_free(c->spki_key);
	EVP_PKEY_free(c->pkey);
	GENERAL_NAMES_free(c->sans);
	free(c);
}

/* PEM armour off: the DER inside a (NEW) CERTIFICATE REQUEST block. */
static certa_rc
pem_to_der(const uint8_t *data, size_t len, unsigned char **der, long *dlen,
    struct certa_err *err)
{
	BIO		*bio = NULL;
	char		*name = NULL, *header = NULL;
	certa_rc	 rc = CERTA_OK;

	*der = NULL;
	CERTA_OSSL((bio = BIO_new_mem_buf(data, (int)len)) != NULL,
	    CERTA_E_NOMEM, "oom");
	CERTA_OSSL(PEM_read_bio(bio, &name, &header, der, dlen) == 1,
	    CERTA_E_PARSE, "PEM input is not a CERTIFICATE REQUEST or is "
	    "damaged");
	CERTA_CHECK(strcmp(name, PEM_STRING_X509_REQ) == 0 ||
	    strcmp(name, PEM_STRING_X509_REQ_OLD) == 0, CERTA_E_PARSE,
	    "PEM block is a %s, not a CERTIFICATE REQUEST", name);
	CERTA_CHECK(header == NULL || header[0] == '\0', CERTA_E_PARSE,
	    "PEM CSR with headers (encrypted?) is not accepted");
out:
	if (rc != CERTA_OK) {
		OPENSSL_free(*der);
		*der = NULL;
	}
	OPENSSL_free(name);
	OPENSSL_free(header);
	BIO_free(bio);
	return rc;
}

static certa_rc
pkey_from_params(OSSL_LIB_CTX *libctx, const char *propq, const char *type,
    OSSL_PARAM *params, EVP_PKEY **out, struct certa_err *err)
{
	EVP_PKEY_CTX	*pctx = NULL;
	certa_rc	 rc = CERTA_OK;

	CERTA_OSSL((pctx = EVP_PKEY_CTX_new_from_name(libctx, type, propq)) !=
	    NULL && EVP_PKEY_fromdata_init(pctx) == 1, CERTA_E_CRYPTO,
	    "prepare %s key", type);
	/* The EC import checks that the point is on the curve. */
	CERTA_OSSL(EVP_PKEY_fromdata(pctx, out, EVP_PKEY_PUBLIC_KEY, params) ==
	    1, CERTA_E_PARSE, "the CSR's %s public key is invalid", type);
out:
	EVP_PKEY_CTX_free(pctx);
	return rc;
}

/*
 * The EVP_PKEY of a SubjectPublicKeyInfo without OSSL_DECODER; NOTFOUND
 * when the algorithm is not one of the fast ones (caller falls back).
 */
static certa_rc
spki_pkey(OSSL_LIB_CTX *libctx, const char *propq, const CERTA_SPKI *spki,
    EVP_PKEY **out, struct certa_err *err)
{
	const ASN1_OBJECT	*aobj;
	const void		*pval;
	int			 ptype, nid;
	const unsigned char	*pk = ASN1_STRING_get0_data(spki->key);
	int			 pklen = ASN1_STRING_length(spki->key);
	OSSL_PARAM		 params[3];
	OSSL_PARAM_BLD		*bld = NULL;
	OSSL_PARAM		*bparams = NULL;
	CERTA_RSA_PUB		*rsa = NULL;
	BIGNUM			*n = NULL, *e = NULL;
	const unsigned char	*p;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	X509_ALGOR_get0(&aobj, &ptype, &pval, spki->algor);
	nid = OBJ_obj2nid(aobj);
	CERTA_CHECK(pklen > 0, CERTA_E_PARSE, "the CSR has an empty public key");
	switch (nid) {
	case NID_X9_62_id_ecPublicKey:
		CERTA_CHECK(ptype == V_ASN1_OBJECT, CERTA_E_POLICY,
		    "EC keys with explicit curve parameters are not accepted");
		params[0] = OSSL_PARAM_construct_utf8_string(
		    OSSL_PKEY_PARAM_GROUP_NAME,
		    (char *)OBJ_nid2sn(OBJ_obj2nid(pval)), 0);
		params[1] = OSSL_PARAM_construct_octet_string(
		    OSSL_PKEY_PARAM_PUB_KEY, (void *)pk, (size_t)pklen);
		params[2] = OSSL_PARAM_construct_end();
		CERTA_CHECK(OBJ_obj2nid(pval) != NID_undef, CERTA_E_POLICY,
		    "the CSR's EC key uses an unknown curve");
		CERTA_TRY(pkey_from_params(libctx, propq, "EC", params, out,
		    err));
		break;
	case NID_ED25519:
	case NID_ED448:
		CERTA_CHECK(ptype == V_ASN1_UNDEF, CERTA_E_PARSE,
		    "EdDSA key algorithm with parameters");
		*out = EVP_PKEY_new_raw_public_key_ex(libctx, nid == NID_ED25519
		    ? "ED25519" : "ED448", propq, pk, (size_t)pklen);
		CERTA_OSSL(*out != NULL, CERTA_E_PARSE,
		    "the CSR's EdDSA public key is invalid");
		break;
	case NID_rsaEncryption:
		/* RFC 3279 §2.3.1: parameters MUST be NULL. */
		CERTA_CHECK(ptype == V_ASN1_NULL || ptype == V_ASN1_UNDEF,
		    CERTA_E_PARSE, "RSA key algorithm with parameters");
		p = pk;
		rsa = (CERTA_RSA_PUB *)ASN1_item_d2i(NULL, &p, pklen,
		    ASN1_ITEM_rptr(CERTA_RSA_PUB));
		CERTA_OSSL(rsa != NULL && p == pk + pklen, CERTA_E_PARSE,
		    "the CSR's RSA public key is malformed");
		CERTA_OSSL((n = ASN1_INTEGER_to_BN(rsa->n, NULL)) != NULL &&
		    (e = ASN1_INTEGER_to_BN(rsa->e, NULL)) != NULL,
		    CERTA_E_NOMEM, "oom");
		CERTA_CHECK(!BN_is_negative(n) && !BN_is_negative(e) &&
		    BN_is_odd(e) && !BN_is_one(e), CERTA_E_PARSE,
		    "the CSR's RSA public key is invalid");
		CERTA_OSSL((bld = OSSL_PARAM_BLD_new()) != NULL &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
		    (bparams = OSSL_PARAM_BLD_to_param(bld)) != NULL,
		    CERTA_E_NOMEM, "oom");
		CERTA_TRY(pkey_from_params(libctx, propq, "RSA", bparams, out,
		    err));
		break;
	default:
		rc = CERTA_E_NOTFOUND;	/* general path, no message */
		break;
	}
out:
	OSSL_PARAM_free(bparams);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	ASN1_item_free((ASN1_VALUE *)rsa, ASN1_ITEM_rptr(CERTA_RSA_PUB));
	return rc;
}

/* The SANs of an extensionRequest attribute (RFC 2985 §5.4.2), if any. */
static certa_rc
requested_sans(STACK_OF(X509_ATTRIBUTE) *attrs, GENERAL_NAMES **out,
    struct certa_err *err)
{
	X509_ATTRIBUTE			*a;
	ASN1_TYPE			*t;
	STACK_OF(X509_EXTENSION)	*exts = NULL;
	int				 i, crit = -1;
	certa_rc			 rc = CERTA_OK;

	*out = NULL;
	i = X509at_get_attr_by_NID(attrs, NID_ext_req, -1);
	if (i < 0)
		goto out;
	CERTA_CHECK(X509at_get_attr_by_NID(attrs, NID_ext_req, i) < 0,
	    CERTA_E_PARSE, "the CSR has two extensionRequest attributes");
	a = X509at_get_attr(attrs, i);
	CERTA_CHECK(X509_ATTRIBUTE_count(a) == 1, CERTA_E_PARSE,
	    "the CSR's extensionRequest must hold one value");
	t = X509_ATTRIBUTE_get0_type(a, 0);
	CERTA_CHECK(t != NULL && t->type == V_ASN1_SEQUENCE, CERTA_E_PARSE,
	    "the CSR's extensionRequest is not a SEQUENCE");
	exts = ASN1_item_unpack(t->value.sequence,
	    ASN1_ITEM_rptr(X509_EXTENSIONS));
	CERTA_OSSL(exts != NULL, CERTA_E_PARSE,
	    "the CSR's requested extensions are malformed");
	*out = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	CERTA_CHECK(*out != NULL || crit == -1, CERTA_E_PARSE,
	    "the CSR's subjectAltName is malformed or repeated");
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

/* Proof of possession over the received CertificationRequestInfo bytes. */
static certa_rc
verify_sig(OSSL_LIB_CTX *libctx, const char *propq, const CERTA_CSR *r,
    EVP_PKEY *pkey, struct certa_err *err)
{
	EVP_MD_CTX	*mctx = NULL;
	int		 signid, mdnid = NID_undef, pknid = NID_undef;
	const char	*md = NULL;
	certa_rc	 rc = CERTA_OK;

	signid = OBJ_obj2nid(r->sig_alg->algorithm);
	CERTA_CHECK(OBJ_find_sigid_algs(signid, &mdnid, &pknid) &&
	    pknid != NID_undef, CERTA_E_NOTFOUND, "unknown signature");
	/* The signature algorithm must fit the key (no RSA-PSS here). */
	CERTA_CHECK(EVP_PKEY_is_a(pkey, OBJ_nid2sn(pknid)) ||
	    (pknid == NID_rsaEncryption && EVP_PKEY_is_a(pkey, "RSA")) ||
	    (pknid == NID_X9_62_id_ecPublicKey && EVP_PKEY_is_a(pkey, "EC")),
	    CERTA_E_POLICY, "the CSR's signature algorithm does not match "
	    "its key");
	if (mdnid != NID_undef)
		md = OBJ_nid2sn(mdnid);
	CERTA_CHECK(ASN1_STRING_length(r->signature) > 0, CERTA_E_POLICY,
	    "the CSR has no signature");
	CERTA_OSSL((mctx = EVP_MD_CTX_new()) != NULL, CERTA_E_NOMEM, "oom");
	CERTA_OSSL(EVP_DigestVerifyInit_ex(mctx, NULL, md, libctx, propq, pkey,
	    NULL) == 1, CERTA_E_POLICY, "the CSR's signature algorithm is "
	    "not usable");
	CERTA_OSSL(EVP_DigestVerify(mctx, ASN1_STRING_get0_data(r->signature),
	    (size_t)ASN1_STRING_length(r->signature), r->info->enc.enc,
	    (size_t)r->info->enc.len) == 1, CERTA_E_POLICY,
	    "the CSR's signature does not verify with its own public key");
out:
	EVP_MD_CTX_free(mctx);
	return rc;
}

static GENERAL_NAMES *csr_get1_sans_req(X509_REQ *req);

/* The general path, for key and signature algorithms not handled above. */
static certa_rc
parse_general(OSSL_LIB_CTX *libctx, const char *propq, const unsigned char *der,
    long dlen, struct certa_csr *c, struct certa_err *err)
{
	const unsigned char	*p = der;
	X509_REQ		*req = NULL;
	EVP_PKEY		*pkey;
	X509_ALGOR		*alg = NULL;
	const unsigned char	*pk = NULL;
	int			 pklen = 0;
	certa_rc		 rc = CERTA_OK;

	CERTA_OSSL((req = X509_REQ_new_ex(libctx, propq)) != NULL,
	    CERTA_E_NOMEM, "oom");
	CERTA_OSSL(d2i_X509_REQ(&req, &p, dlen) != NULL, CERTA_E_PARSE,
	    "input is not a certificate request");
	pkey = X509_REQ_get0_pubkey(req);
	CERTA_OSSL(pkey != NULL, CERTA_E_PARSE,
	    "the CSR's public key cannot be decoded");
	CERTA_OSSL(X509_REQ_verify_ex(req, pkey, libctx, propq) == 1,
	    CERTA_E_POLICY, "the CSR's signature does not verify with its "
	    "own public key");
	CERTA_OSSL(EVP_PKEY_up_ref(pkey), CERTA_E_INTERNAL, "up-ref");
	c->pkey = pkey;
	CERTA_OSSL(X509_PUBKEY_get0_param(NULL, &pk, &pklen, &alg,
	    X509_REQ_get_X509_PUBKEY(req)), CERTA_E_PARSE, "read public key");
	CERTA_OSSL((c->spki_alg = X509_ALGOR_dup(alg)) != NULL &&
	    (c->spki_key = ASN1_BIT_STRING_new()) != NULL &&
	    ASN1_BIT_STRING_set(c->spki_key, (unsigned char *)pk, pklen),
	    CERTA_E_NOMEM, "oom");
	c->sans = csr_get1_sans_req(req);
out:
	X509_REQ_free(req);
	return rc;
}

certa_rc
certa_csr_parse(OSSL_LIB_CTX *libctx, const char *propq, const uint8_t *data,
    size_t len, struct certa_csr **out, struct certa_err *err)
{
	unsigned char		*pemder = NULL;
	const unsigned char	*der = data, *p;
	long			 dlen = (long)len;
	CERTA_CSR		*r = NULL;
	struct certa_csr	*c = NULL;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK(len > 0, CERTA_E_PARSE, "CSR is empty");
	CERTA_CHECK(len <= CERTA_MAX_CSR_DER, CERTA_E_PARSE,
	    "CSR is %zu bytes; the limit is %d", len, CERTA_MAX_CSR_DER);
	if (certa_is_pem(data, len)) {
		CERTA_TRY(pem_to_der(data, len, &pemder, &dlen, err));
		der = pemder;
	}
	p = der;
	r = (CERTA_CSR *)ASN1_item_d2i(NULL, &p, dlen, ASN1_ITEM_rptr(CERTA_CSR));
	CERTA_OSSL(r != NULL, CERTA_E_PARSE, "input is neither a PEM nor a DER "
	    "certificate request");
	CERTA_CHECK(p == der + dlen, CERTA_E_PARSE, "%ld trailing bytes after "
	    "the CSR", (long)(der + dlen - p));
	CERTA_CHECK(ASN1_INTEGER_get(r->info->version) == X509_REQ_VERSION_1,
	    CERTA_E_PARSE, "CSR version is not v1 (0)");
	CERTA_CHECK((c = calloc(1, sizeof(*c))) != NULL, CERTA_E_NOMEM, "oom");

	rc = spki_pkey(libctx, propq, r->info->spki, &c->pkey, err);
	if (rc == CERTA_OK)
		rc = verify_sig(libctx, propq, r, c->pkey, err);
	if (rc == CERTA_E_NOTFOUND) {
		/* Not a fast-path algorithm: let OpenSSL do all of it. */
		certa_err_clear(err);
		EVP_PKEY_free(c->pkey);
		c->pkey = NULL;
		rc = parse_general(libctx, propq, der, dlen, c, err);
		CERTA_TRY(rc);
	} else {
		CERTA_TRY(rc);
		c->spki_alg = r->info->spki->algor;
		c->spki_key = r->info->spki->key;
		r->info->spki->algor = NULL;
		r->info->spki->key = NULL;
		CERTA_TRY(requested_sans(r->info->attributes, &c->sans, err));
	}
	c->subject = r->info->subject;
	r->info->subject = NULL;
	*out = c;
	c = NULL;
out:
	certa_csr_free(c);
	ASN1_item_free((ASN1_VALUE *)r, ASN1_ITEM_rptr(CERTA_CSR));
	OPENSSL_free(pemder);
	return rc;
}

certa_rc
certa_csr_set_spki(const struct certa_csr *c, X509 *x, struct certa_err *err)
{
	X509_PUBKEY		*to = X509_get_X509_PUBKEY(x);
	const ASN1_OBJECT	*aobj = NULL;
	const void		*pval = NULL;
	int			 ptype = V_ASN1_UNDEF, len;
	ASN1_OBJECT		*obj = NULL;
	void			*val = NULL;
	unsigned char		*enc = NULL;
	certa_rc		 rc = CERTA_OK;

	X509_ALGOR_get0(&aobj, &ptype, &pval, c->spki_alg);
	CERTA_OSSL(to != NULL && (obj = OBJ_dup(aobj)) != NULL, CERTA_E_NOMEM,
	    "oom");
	if (ptype == V_ASN1_OBJECT)
		CERTA_OSSL((val = OBJ_dup(pval)) != NULL, CERTA_E_NOMEM, "oom");
	else if (ptype == V_ASN1_SEQUENCE)
		CERTA_OSSL((val = ASN1_STRING_dup(pval)) != NULL,
		    CERTA_E_NOMEM, "oom");
	else
		CERTA_CHECK(ptype == V_ASN1_NULL || ptype == V_ASN1_UNDEF,
		    CERTA_E_PARSE, "unexpected key algorithm parameters");
	len = ASN1_STRING_length(c->spki_key);
	CERTA_CHECK(len > 0 && (enc = OPENSSL_memdup(ASN1_STRING_get0_data(
	    c->spki_key), (size_t)len)) != NULL, CERTA_E_NOMEM, "oom");
	CERTA_OSSL(X509_PUBKEY_set0_param(to, obj, ptype, val, enc, len),
	    CERTA_E_CRYPTO, "set public key");
	obj = NULL;
	val = NULL;
	enc = NULL;
out:
	ASN1_OBJECT_free(obj);
	if (ptype == V_ASN1_OBJECT)
		ASN1_OBJECT_free(val);
	else
		ASN1_STRING_free(val);
	OPENSSL_free(enc);
	return rc;
}

static GENERAL_NAMES *
csr_get1_sans_req(X509_REQ *req)
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
