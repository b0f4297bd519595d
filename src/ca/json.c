/* SPDX-License-Identifier: Apache-2.0 */
/* JSON views of records (include/certa/json.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <certa/json.h>
#include <certa/util.h>

#include "core/core.h"

json_t *
certa_json_id(int64_t id)
{
	char	buf[24];

	if (id == 0)
		return json_null();
	snprintf(buf, sizeof(buf), "%" PRId64, id);
	return json_string(buf);
}

json_t *
certa_json_time(int64_t t)
{
	char		 buf[32];
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL)
		return json_null();
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

const char *
certa_cert_status_name(const struct certa_cert_rec *r, int64_t now)
{
	if (r->status == CERTA_CERT_REVOKED)
		return "revoked";
	if (r->not_after <= now)
		return "expired";
	return "valid";
}

json_t *
certa_json_cert(const struct certa_cert_rec *r, bool pem)
{
	return certa_json_cert_ex(r, pem, NULL);
}

json_t *
certa_json_cert_ex(const struct certa_cert_rec *r, bool pem,
    const char *issuer)
{
	json_t	*o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", certa_json_id(r->id));
	json_object_set_new(o, "serial", json_string(r->serial));
	json_object_set_new(o, "type", json_string(r->type));
	json_object_set_new(o, "application", certa_json_id(r->app_id));
	json_object_set_new(o, "status",
	    json_string(certa_cert_status_name(r, certa_now())));
	json_object_set_new(o, "subject", json_string(r->subject));
	if (issuer != NULL) {
		json_object_set_new(o, "issuer", json_string(issuer));
	} else if (r->der != NULL) {
		struct certa_cert_info	 ci;

		memset(&ci, 0, sizeof(ci));
		json_object_set_new(o, "issuer", certa_cert_info_get(r->der,
		    r->der_len, &ci, NULL) == CERTA_OK && ci.issuer != NULL ?
		    json_string(ci.issuer) : json_null());
		certa_cert_info_clear(&ci);
	}
	json_object_set_new(o, "sans", r->sans ? json_string(r->sans) :
	    json_null());
	json_object_set_new(o, "key_algorithm", json_string(r->key_alg));
	json_object_set_new(o, "not_before", certa_json_time(r->not_before));
	json_object_set_new(o, "not_after", certa_json_time(r->not_after));
	if (r->status == CERTA_CERT_REVOKED) {
		json_object_set_new(o, "revoked_at",
		    certa_json_time(r->revoked_at));
		json_object_set_new(o, "revocation_reason",
		    json_string(certa_reason_name(r->reason)));
	}
	json_object_set_new(o, "fingerprint_sha256",
	    json_string(r->fingerprint));
	json_object_set_new(o, "predecessor", certa_json_id(r->predecessor_id));
	json_object_set_new(o, "server_generated_key",
	    json_boolean(r->key_pem != NULL));
	if (pem && r->der != NULL) {
		char *p = certa_pem_encode("CERTIFICATE", r->der, r->der_len);

		json_object_set_new(o, "pem", p ? json_string(p) : json_null());
		free(p);
	}
	return o;
}

json_t *
certa_json_app(const struct certa_app_rec *r)
{
	return json_pack("{s:o, s:s, s:o, s:s, s:o}", "id",
	    certa_json_id(r->id), "name", r->name, "organisation_id",
	    certa_json_id(r->org_id), "organisation",
	    r->org_name ? r->org_name : "", "created_at",
	    certa_json_time(r->created_at));
}

json_t *
certa_json_org(const struct certa_org_rec *r)
{
	return json_pack("{s:o, s:s, s:o}", "id", certa_json_id(r->id),
	    "name", r->name, "created_at", certa_json_time(r->created_at));
}

json_t *
certa_json_str(const char *s)
{
	json_t	*v;

	if (s == NULL)
		return json_null();
	v = json_string(s);
	return v != NULL ? v : json_string("(not valid UTF-8)");
}

const char *
certa_trust_status_name(const struct certa_trust_rec *r, int64_t now)
{
	if (now < r->not_before)
		return "not-yet-valid";
	return now > r->not_after ? "expired" : "valid";
}

#define js certa_json_str

json_t *
certa_json_trust(const struct certa_trust_rec *r)
{
	json_t	*o = json_object();
	int64_t	 now = certa_now();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "alias", js(r->alias));
	json_object_set_new(o, "list", js(r->list));
	json_object_set_new(o, "subject", js(r->subject));
	json_object_set_new(o, "issuer", js(r->issuer));
	json_object_set_new(o, "serial", js(r->serial));
	json_object_set_new(o, "not_before", certa_json_time(r->not_before));
	json_object_set_new(o, "not_after", certa_json_time(r->not_after));
	json_object_set_new(o, "status", js(certa_trust_status_name(r, now)));
	json_object_set_new(o, "fingerprint_sha256", js(r->fingerprint));
	json_object_set_new(o, "source", js(r->source));
	json_object_set_new(o, "first_seen", certa_json_time(r->first_seen));
	json_object_set_new(o, "last_seen", certa_json_time(r->last_seen));
	json_object_set_new(o, "attempts", json_integer(r->attempts));
	json_object_set_new(o, "peer_address", js(r->peer_addr));
	return o;
}

json_t *
certa_json_audit(const struct certa_audit_rec *r)
{
	json_t	*o = json_object(), *d = NULL;

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "seq", json_integer(r->seq));
	json_object_set_new(o, "time", certa_json_time(r->time));
	json_object_set_new(o, "actor", js(r->actor));
	json_object_set_new(o, "action", js(r->action));
	json_object_set_new(o, "object", js(r->object));
	json_object_set_new(o, "outcome", js(r->outcome));
	if (r->details != NULL)
		d = json_loads(r->details, 0, NULL);
	json_object_set_new(o, "details", d != NULL ? d : js(r->details));
	json_object_set_new(o, "hash", js(r->hash));
	json_object_set_new(o, "prev_hash", js(r->prev_hash));
	return o;
}

/* RFC 7515 §2 base64url without padding, as a JSON string. */
static json_t *
b64url(const uint8_t *in, size_t len)
{
	static const char	 a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	char			*s;
	size_t			 i, j = 0;
	uint32_t		 v;
	json_t			*o;

	if ((s = malloc(len / 3 * 4 + 5)) == NULL)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		s[j++] = a[v >> 18 & 63];
		s[j++] = a[v >> 12 & 63];
		s[j++] = a[v >> 6 & 63];
		s[j++] = a[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		s[j++] = a[v >> 18 & 63];
		s[j++] = a[v >> 12 & 63];
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		s[j++] = a[v >> 18 & 63];
		s[j++] = a[v >> 12 & 63];
		s[j++] = a[v >> 6 & 63];
	}
	s[j] = '\0';
	o = json_string(s);
	free(s);
	return o;
}

/* x5c: standard base64 with padding (RFC 7517 §4.7). */
static json_t *
b64std(const uint8_t *in, size_t len)
{
	char	*s = certa_base64(in, len);
	json_t	*o = s != NULL ? json_string(s) : NULL;

	free(s);
	return o;
}

static certa_rc
bn_param(const EVP_PKEY *pk, const char *name, size_t pad, json_t *o,
    const char *key, struct certa_err *err)
{
	BIGNUM		*bn = NULL;
	uint8_t		 buf[1024];
	int		 n;
	certa_rc	 rc = CERTA_OK;

	CERTA_OSSL(EVP_PKEY_get_bn_param(pk, name, &bn), CERTA_E_CRYPTO,
	    "read key parameter %s", name);
	n = pad > 0 ? BN_bn2binpad(bn, buf, (int)pad) :
	    BN_bn2bin(bn, buf);
	CERTA_CHECK(n > 0 && (size_t)n <= sizeof(buf), CERTA_E_POLICY,
	    "key parameter %s too large", name);
	json_object_set_new(o, key, b64url(buf, (size_t)n));
out:
	BN_free(bn);
	return rc;
}

certa_rc
certa_json_jwk(const uint8_t *der, size_t len, const uint8_t *chain_der,
    size_t chain_len, json_t **out, struct certa_err *err)
{
	X509		*x = NULL;
	EVP_PKEY	*pk;
	json_t		*o = NULL, *x5c;
	uint8_t		 md[32], pub[200];
	char		 group[32];
	size_t		 publen = 0, flen;
	unsigned int	 mdlen = 0;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	CERTA_TRY(certa_cert_parse(der, len, &x, err));
	CERTA_OSSL((pk = X509_get0_pubkey(x)) != NULL, CERTA_E_PARSE,
	    "certificate public key");
	CERTA_CHECK((o = json_object()) != NULL, CERTA_E_NOMEM, "oom");
	if (EVP_PKEY_is_a(pk, "EC")) {
		CERTA_OSSL(EVP_PKEY_get_utf8_string_param(pk,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL),
		    CERTA_E_CRYPTO, "EC group");
		if (strcmp(group, "prime256v1") == 0)
			json_object_set_new(o, "crv", json_string("P-256"));
		else if (strcmp(group, "secp384r1") == 0)
			json_object_set_new(o, "crv", json_string("P-384"));
		else if (strcmp(group, "secp521r1") == 0)
			json_object_set_new(o, "crv", json_string("P-521"));
		else
			CERTA_FAIL(CERTA_E_POLICY, "EC group %s has no JWK "
			    "name", group);
		flen = ((size_t)EVP_PKEY_get_bits(pk) + 7) / 8;
		json_object_set_new(o, "kty", json_string("EC"));
		CERTA_TRY(bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, flen, o, "x",
		    err));
		CERTA_TRY(bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, flen, o, "y",
		    err));
	} else if (EVP_PKEY_is_a(pk, "RSA")) {
		json_object_set_new(o, "kty", json_string("RSA"));
		CERTA_TRY(bn_param(pk, OSSL_PKEY_PARAM_RSA_N, 0, o, "n", err));
		CERTA_TRY(bn_param(pk, OSSL_PKEY_PARAM_RSA_E, 0, o, "e", err));
	} else if (EVP_PKEY_is_a(pk, "ED25519")) {
		CERTA_OSSL(EVP_PKEY_get_octet_string_param(pk,
		    OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &publen),
		    CERTA_E_CRYPTO, "Ed25519 public key");
		json_object_set_new(o, "kty", json_string("OKP"));
		json_object_set_new(o, "crv", json_string("Ed25519"));
		json_object_set_new(o, "x", b64url(pub, publen));
	} else {
		CERTA_FAIL(CERTA_E_POLICY, "key type has no JWK form");
	}
	CERTA_OSSL(EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL),
	    CERTA_E_CRYPTO, "SHA-256");
	json_object_set_new(o, "kid", b64url(md, mdlen));
	json_object_set_new(o, "x5t#S256", b64url(md, mdlen));
	CERTA_CHECK((x5c = json_array()) != NULL, CERTA_E_NOMEM, "oom");
	json_object_set_new(o, "x5c", x5c);
	json_array_append_new(x5c, b64std(der, len));
	if (chain_der != NULL)
		json_array_append_new(x5c, b64std(chain_der, chain_len));
	*out = o;
	o = NULL;
out:
	json_decref(o);
	X509_free(x);
	return rc;
}

json_t *
certa_json_request(const struct certa_request_rec *r)
{
	json_t	*o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", certa_json_id(r->id));
	json_object_set_new(o, "kind", certa_json_str(r->kind));
	json_object_set_new(o, "state", certa_json_str(r->state));
	json_object_set_new(o, "application", certa_json_id(r->app_id));
	json_object_set_new(o, "type", certa_json_str(r->type));
	json_object_set_new(o, "certificate", certa_json_id(r->cert_id));
	json_object_set_new(o, "reason", r->reason >= 0 ?
	    json_string(certa_reason_name(r->reason)) : json_null());
	json_object_set_new(o, "subject", certa_json_str(r->subject));
	json_object_set_new(o, "requested_by", certa_json_str(r->requested_by));
	json_object_set_new(o, "requested_role",
	    certa_json_str(r->requested_role));
	json_object_set_new(o, "decided_by", certa_json_str(r->decided_by));
	json_object_set_new(o, "comment", certa_json_str(r->comment));
	json_object_set_new(o, "issued_certificate",
	    certa_json_id(r->issued_cert_id));
	json_object_set_new(o, "created_at", certa_json_time(r->created_at));
	json_object_set_new(o, "decided_at", r->decided_at != 0 ?
	    certa_json_time(r->decided_at) : json_null());
	json_object_set_new(o, "due_at", r->grace_until != 0 ?
	    certa_json_time(r->grace_until) : json_null());
	return o;
}
