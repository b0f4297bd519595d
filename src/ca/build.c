/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed X.509 extension builders (STYLE §5.6: from typed objects, never
 * from "DNS:a,DNS:b" config strings).  No I/O.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "ca/ctx.h"

certa_rc
certa_build_set_validity(X509 *x, int64_t nb, int64_t na,
    struct certa_err *err)
{
	ASN1_TIME	*t = NULL;
	certa_rc	 rc = CERTA_OK;

	/* RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime after. */
	CERTA_OSSL((t = ASN1_TIME_adj(NULL, (time_t)nb, 0, 0)) != NULL,
	    CERTA_E_CRYPTO, "encode notBefore");
	CERTA_OSSL(X509_set1_notBefore(x, t), CERTA_E_CRYPTO, "set notBefore");
	CERTA_OSSL(ASN1_TIME_adj(t, (time_t)na, 0, 0) != NULL, CERTA_E_CRYPTO,
	    "encode notAfter");
	CERTA_OSSL(X509_set1_notAfter(x, t), CERTA_E_CRYPTO, "set notAfter");
out:
	ASN1_TIME_free(t);
	return rc;
}

certa_rc
certa_build_ski(X509 *x, struct certa_err *err)
{
	/* RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits. */
	const unsigned char	*pk = NULL;
	int			 pklen = 0;
	unsigned char		 md[20];
	unsigned int		 mdlen = 0;
	ASN1_OCTET_STRING	*ski = NULL;
	X509_PUBKEY		*pub;
	certa_rc		 rc = CERTA_OK;

	pub = X509_get_X509_PUBKEY(x);
	CERTA_OSSL(pub != NULL && X509_PUBKEY_get0_param(NULL, &pk, &pklen,
	    NULL, pub), CERTA_E_CRYPTO, "read public key");
	CERTA_OSSL(EVP_Digest(pk, (size_t)pklen, md, &mdlen, EVP_sha1(),
	    NULL), CERTA_E_CRYPTO, "hash public key");
	CERTA_OSSL((ski = ASN1_OCTET_STRING_new()) != NULL &&
	    ASN1_OCTET_STRING_set(ski, md, (int)mdlen), CERTA_E_NOMEM, "oom");
	CERTA_OSSL(X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0,
	    X509V3_ADD_REPLACE), CERTA_E_CRYPTO, "add SKI");
out:
	ASN1_OCTET_STRING_free(ski);
	return rc;
}

certa_rc
certa_build_aki_ext(X509 *issuer, X509_EXTENSION **out, struct certa_err *err)
{
	AUTHORITY_KEYID			*aki = NULL;
	ASN1_OCTET_STRING		*ski;
	certa_rc			 rc = CERTA_OK;

	*out = NULL;
	/* Read the extension itself: X509_get0_subject_key_id() answers
	 * from a cache that is stale while a certificate is being built. */
	ski = X509_get_ext_d2i(issuer, NID_subject_key_identifier, NULL, NULL);
	CERTA_CHECK(ski != NULL, CERTA_E_POLICY,
	    "the CA certificate has no subject key identifier");
	CERTA_OSSL((aki = AUTHORITY_KEYID_new()) != NULL, CERTA_E_NOMEM, "oom");
	aki->keyid = ski;
	CERTA_OSSL((*out = X509V3_EXT_i2d(NID_authority_key_identifier, 0,
	    aki)) != NULL, CERTA_E_CRYPTO, "encode AKI");
out:
	AUTHORITY_KEYID_free(aki);
	return rc;
}

certa_rc
certa_build_ku(X509 *x, uint32_t ku, struct certa_err *err)
{
	ASN1_BIT_STRING	*bs = NULL;
	int		 bit;
	certa_rc	 rc = CERTA_OK;

	if (ku == 0)
		goto out;
	CERTA_OSSL((bs = ASN1_BIT_STRING_new()) != NULL, CERTA_E_NOMEM, "oom");
	/* X509v3_KU_* are masks over the first two octets (bit 0 = 0x80). */
	for (bit = 0; bit < 9; bit++) {
		uint32_t mask = bit < 8 ? 0x80u >> bit : 0x8000u;

		if (ku & mask)
			CERTA_OSSL(ASN1_BIT_STRING_set_bit(bs, bit, 1),
			    CERTA_E_NOMEM, "oom");
	}
	CERTA_OSSL(X509_add1_ext_i2d(x, NID_key_usage, bs, 1,
	    X509V3_ADD_REPLACE), CERTA_E_CRYPTO, "add keyUsage");
out:
	ASN1_BIT_STRING_free(bs);
	return rc;
}

certa_rc
certa_build_bc(X509 *x, bool ca, int pathlen, struct certa_err *err)
{
	BASIC_CONSTRAINTS	*bc = NULL;
	certa_rc		 rc = CERTA_OK;

	CERTA_OSSL((bc = BASIC_CONSTRAINTS_new()) != NULL, CERTA_E_NOMEM,
	    "oom");
	bc->ca = ca ? 0xff : 0;
	if (ca && pathlen >= 0) {
		CERTA_OSSL((bc->pathlen = ASN1_INTEGER_new()) != NULL &&
		    ASN1_INTEGER_set(bc->pathlen, pathlen), CERTA_E_NOMEM,
		    "oom");
	}
	CERTA_OSSL(X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1,
	    X509V3_ADD_REPLACE), CERTA_E_CRYPTO, "add basicConstraints");
out:
	BASIC_CONSTRAINTS_free(bc);
	return rc;
}

static certa_rc
uri_name(const char *uri, GENERAL_NAME **out, struct certa_err *err)
{
	ASN1_IA5STRING	*s = NULL;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	CERTA_OSSL((s = ASN1_IA5STRING_new()) != NULL &&
	    ASN1_STRING_set(s, uri, (int)strlen(uri)), CERTA_E_NOMEM, "oom");
	CERTA_OSSL((*out = GENERAL_NAME_new()) != NULL, CERTA_E_NOMEM, "oom");
	GENERAL_NAME_set0_value(*out, GEN_URI, s);
	s = NULL;
out:
	ASN1_IA5STRING_free(s);
	return rc;
}

certa_rc
certa_build_uri_exts(const char *base_url, const char *ca_name,
    const char *parent_name, X509_EXTENSION **crldp_out,
    X509_EXTENSION **aia_out, struct certa_err *err)
{
	char				 uri[1024];
	CRL_DIST_POINTS			*cdp = NULL;
	DIST_POINT			*dp = NULL;
	AUTHORITY_INFO_ACCESS		*aia = NULL;
	ACCESS_DESCRIPTION		*ad = NULL;
	GENERAL_NAME			*g = NULL;
	certa_rc			 rc = CERTA_OK;

	*crldp_out = *aia_out = NULL;
	/* RFC 5280 §4.2.1.13: one distribution point with a full name. */
	snprintf(uri, sizeof(uri), "%s/crl/%s.crl", base_url, ca_name);
	CERTA_OSSL((cdp = CRL_DIST_POINTS_new()) != NULL &&
	    (dp = DIST_POINT_new()) != NULL &&
	    (dp->distpoint = DIST_POINT_NAME_new()) != NULL &&
	    (dp->distpoint->name.fullname = GENERAL_NAMES_new()) != NULL,
	    CERTA_E_NOMEM, "oom");
	dp->distpoint->type = 0;
	CERTA_TRY(uri_name(uri, &g, err));
	CERTA_OSSL(sk_GENERAL_NAME_push(dp->distpoint->name.fullname, g),
	    CERTA_E_NOMEM, "oom");
	g = NULL;
	CERTA_OSSL(sk_DIST_POINT_push(cdp, dp), CERTA_E_NOMEM, "oom");
	dp = NULL;
	CERTA_OSSL((*crldp_out = X509V3_EXT_i2d(NID_crl_distribution_points, 0,
	    cdp)) != NULL, CERTA_E_CRYPTO, "encode CRL distribution points");

	/* RFC 5280 §4.2.2.1: OCSP responder and the issuer's certificate. */
	CERTA_OSSL((aia = AUTHORITY_INFO_ACCESS_new()) != NULL, CERTA_E_NOMEM,
	    "oom");
	snprintf(uri, sizeof(uri), "%s/ocsp", base_url);
	CERTA_OSSL((ad = ACCESS_DESCRIPTION_new()) != NULL, CERTA_E_NOMEM,
	    "oom");
	ad->method = OBJ_nid2obj(NID_ad_OCSP);
	GENERAL_NAME_free(ad->location);
	CERTA_TRY(uri_name(uri, &ad->location, err));
	CERTA_OSSL(sk_ACCESS_DESCRIPTION_push(aia, ad), CERTA_E_NOMEM, "oom");
	ad = NULL;
	if (parent_name != NULL) {
		snprintf(uri, sizeof(uri), "%s/ca/%s.crt", base_url,
		    parent_name);
		CERTA_OSSL((ad = ACCESS_DESCRIPTION_new()) != NULL,
		    CERTA_E_NOMEM, "oom");
		ad->method = OBJ_nid2obj(NID_ad_ca_issuers);
		GENERAL_NAME_free(ad->location);
		CERTA_TRY(uri_name(uri, &ad->location, err));
		CERTA_OSSL(sk_ACCESS_DESCRIPTION_push(aia, ad), CERTA_E_NOMEM,
		    "oom");
		ad = NULL;
	}
	CERTA_OSSL((*aia_out = X509V3_EXT_i2d(NID_info_access, 0, aia)) != NULL,
	    CERTA_E_CRYPTO, "encode authority information access");
out:
	if (rc != CERTA_OK) {
		X509_EXTENSION_free(*crldp_out);
		*crldp_out = NULL;
	}
	GENERAL_NAME_free(g);
	DIST_POINT_free(dp);
	CRL_DIST_POINTS_free(cdp);
	ACCESS_DESCRIPTION_free(ad);
	AUTHORITY_INFO_ACCESS_free(aia);
	return rc;
}
