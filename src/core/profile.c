/* SPDX-License-Identifier: Apache-2.0 */
/* Issuance profiles as data; see profile.h.  No I/O here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include <certa/limits.h>

#include "core/core.h"
#include "core/profile.h"
#include "util/util.h"

/*
 * The built-in profiles.  Key usages follow RFC 5280 §4.2.1.3 and the
 * REFERENCE types: transport = mTLS client (clientAuth), signing =
 * private_key_jwt / payload signatures (nonRepudiation), encryption = JWE
 * key transport or agreement.
 */
static const char builtin_json[] =
"{\"profiles\": ["
"{\"name\": \"transport\", \"key_usage\": [\"digitalSignature\"],"
" \"key_usage_ec\": [\"keyAgreement\"],"
" \"key_usage_rsa\": [\"keyEncipherment\"],"
" \"extended_key_usage\": [\"clientAuth\"],"
" \"key_algorithms\": [\"ec:P-256\", \"ec:P-384\", \"ed25519\", \"rsa\"],"
" \"default_validity\": \"365d\", \"max_validity\": \"825d\","
" \"required_subject\": [\"CN\"], \"san\": [\"DNS\", \"IP\", \"URI\", \"email\"],"
" \"approval\": \"none\", \"renew_same_key\": true},"
"{\"name\": \"signing\", \"key_usage\": [\"digitalSignature\", \"nonRepudiation\"],"
" \"extended_key_usage\": [],"
" \"key_algorithms\": [\"ec:P-256\", \"ec:P-384\", \"ed25519\", \"rsa\"],"
" \"default_validity\": \"365d\", \"max_validity\": \"825d\","
" \"required_subject\": [\"CN\"], \"san\": [\"DNS\", \"URI\", \"email\"],"
" \"approval\": \"none\", \"renew_same_key\": true},"
"{\"name\": \"encryption\", \"key_usage\": [],"
" \"key_usage_ec\": [\"keyAgreement\"],"
" \"key_usage_rsa\": [\"keyEncipherment\"],"
" \"extended_key_usage\": [],"
" \"key_algorithms\": [\"ec:P-256\", \"ec:P-384\", \"rsa\"],"
" \"default_validity\": \"365d\", \"max_validity\": \"825d\","
" \"required_subject\": [\"CN\"], \"san\": [\"DNS\", \"URI\", \"email\"],"
" \"approval\": \"none\", \"renew_same_key\": true}"
"]}";

static const struct {
	const char	*name;
	uint32_t	 bit;
} ku_names[] = {
	{ "digitalSignature", X509v3_KU_DIGITAL_SIGNATURE },
	{ "nonRepudiation", X509v3_KU_NON_REPUDIATION },
	{ "contentCommitment", X509v3_KU_NON_REPUDIATION },
	{ "keyEncipherment", X509v3_KU_KEY_ENCIPHERMENT },
	{ "dataEncipherment", X509v3_KU_DATA_ENCIPHERMENT },
	{ "keyAgreement", X509v3_KU_KEY_AGREEMENT },
};

static const struct {
	const char	*name;
	uint32_t	 bit;
} keyalg_names[] = {
	{ "ec:P-256", CERTA_KEYALG_P256 },
	{ "ec:P-384", CERTA_KEYALG_P384 },
	{ "ed25519", CERTA_KEYALG_ED25519 },
	{ "rsa", CERTA_KEYALG_RSA },
};

static const struct {
	const char	*name;
	uint32_t	 bit;
} san_names[] = {
	{ "DNS", CERTA_SAN_DNS },
	{ "IP", CERTA_SAN_IP },
	{ "URI", CERTA_SAN_URI },
	{ "email", CERTA_SAN_EMAIL },
};

#define NAMED_BITS(table, s, out) do {					\
	size_t _i;							\
	for (_i = 0; _i < sizeof(table) / sizeof(table[0]); _i++)	\
		if (strcmp(table[_i].name, (s)) == 0) {			\
			*(out) |= table[_i].bit;			\
			break;						\
		}							\
	CERTA_CHECK(_i < sizeof(table) / sizeof(table[0]),		\
	    CERTA_E_PARSE, "profile '%s': unknown value '%s'",		\
	    p->name, (s));						\
} while (0)

static certa_rc
str_array(const struct certa_profile *p, json_t *obj, const char *key,
    json_t **out, struct certa_err *err)
{
	json_t		*a = json_object_get(obj, key);
	size_t		 i;
	json_t		*v;
	certa_rc	 rc = CERTA_OK;

	*out = a;
	if (a == NULL)
		goto out;
	CERTA_CHECK(json_is_array(a), CERTA_E_PARSE,
	    "profile '%s': '%s' must be an array of strings", p->name, key);
	json_array_foreach(a, i, v)
		CERTA_CHECK(json_is_string(v), CERTA_E_PARSE,
		    "profile '%s': '%s' must be an array of strings",
		    p->name, key);
out:
	return rc;
}

static certa_rc
duration(const struct certa_profile *p, json_t *obj, const char *key,
    int64_t *out, struct certa_err *err)
{
	json_t		*v = json_object_get(obj, key);
	certa_rc	 rc = CERTA_OK;

	if (v == NULL)
		goto out;
	CERTA_CHECK(json_is_string(v), CERTA_E_PARSE,
	    "profile '%s': '%s' must be a duration string like \"365d\"",
	    p->name, key);
	CERTA_TRY(certa_duration_parse(json_string_value(v), out, err));
out:
	return rc;
}

static certa_rc
parse_profile(json_t *obj, struct certa_profile *p, struct certa_err *err)
{
	json_t		*name, *a, *v;
	size_t		 i;
	const char	*key;
	certa_rc	 rc = CERTA_OK;
	static const char *const known[] = { "name", "key_usage",
	    "key_usage_ec", "key_usage_rsa", "extended_key_usage",
	    "key_algorithms", "min_rsa_bits", "max_rsa_bits",
	    "default_validity", "max_validity", "required_subject", "san",
	    "approval", "renew_same_key" };

	memset(p, 0, sizeof(*p));
	CERTA_CHECK(json_is_object(obj), CERTA_E_PARSE,
	    "each profile must be a JSON object");
	name = json_object_get(obj, "name");
	CERTA_CHECK(json_is_string(name) && json_string_length(name) > 0 &&
	    json_string_length(name) < sizeof(p->name), CERTA_E_PARSE,
	    "a profile needs a \"name\" of 1 to %zu characters",
	    sizeof(p->name) - 1);
	memcpy(p->name, json_string_value(name), json_string_length(name) + 1);
	json_object_foreach(obj, key, v) {
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(key, known[i]) == 0)
				break;
		CERTA_CHECK(i < sizeof(known) / sizeof(known[0]),
		    CERTA_E_PARSE, "profile '%s': unknown key '%s'", p->name,
		    key);
	}
	p->min_rsa_bits = 2048;
	p->max_rsa_bits = 8192;
	p->default_validity = 365 * 86400;
	p->max_validity = 825 * 86400;
	CERTA_TRY(str_array(p, obj, "key_usage", &a, err));
	json_array_foreach(a, i, v)
		NAMED_BITS(ku_names, json_string_value(v), &p->ku);
	CERTA_TRY(str_array(p, obj, "key_usage_ec", &a, err));
	json_array_foreach(a, i, v)
		NAMED_BITS(ku_names, json_string_value(v), &p->ku_ec);
	CERTA_TRY(str_array(p, obj, "key_usage_rsa", &a, err));
	json_array_foreach(a, i, v)
		NAMED_BITS(ku_names, json_string_value(v), &p->ku_rsa);
	CERTA_TRY(str_array(p, obj, "key_algorithms", &a, err));
	CERTA_CHECK(a != NULL && json_array_size(a) > 0, CERTA_E_PARSE,
	    "profile '%s': \"key_algorithms\" must list at least one", p->name);
	json_array_foreach(a, i, v)
		NAMED_BITS(keyalg_names, json_string_value(v), &p->key_algs);
	CERTA_TRY(str_array(p, obj, "san", &a, err));
	json_array_foreach(a, i, v)
		NAMED_BITS(san_names, json_string_value(v), &p->san_kinds);
	CERTA_TRY(str_array(p, obj, "extended_key_usage", &a, err));
	json_array_foreach(a, i, v) {
		int nid = OBJ_txt2nid(json_string_value(v));

		ERR_clear_error();

		CERTA_CHECK(nid != NID_undef, CERTA_E_PARSE, "profile '%s': "
		    "unknown extended key usage '%s'", p->name,
		    json_string_value(v));
		CERTA_CHECK(p->neku < CERTA_PROFILE_MAX_EKU, CERTA_E_PARSE,
		    "profile '%s': too many extended key usages", p->name);
		p->eku[p->neku++] = nid;
	}
	CERTA_TRY(str_array(p, obj, "required_subject", &a, err));
	json_array_foreach(a, i, v) {
		int nid = OBJ_txt2nid(json_string_value(v));

		ERR_clear_error();

		CERTA_CHECK(nid != NID_undef, CERTA_E_PARSE, "profile '%s': "
		    "unknown subject attribute '%s'", p->name,
		    json_string_value(v));
		CERTA_CHECK(p->nrequired < CERTA_PROFILE_MAX_REQ,
		    CERTA_E_PARSE, "profile '%s': too many required subject "
		    "attributes", p->name);
		p->required[p->nrequired++] = nid;
	}
	if ((v = json_object_get(obj, "min_rsa_bits")) != NULL) {
		CERTA_CHECK(json_is_integer(v) && json_integer_value(v) >= 2048
		    && json_integer_value(v) <= 16384, CERTA_E_PARSE,
		    "profile '%s': min_rsa_bits must be 2048..16384", p->name);
		p->min_rsa_bits = (int)json_integer_value(v);
	}
	if ((v = json_object_get(obj, "max_rsa_bits")) != NULL) {
		CERTA_CHECK(json_is_integer(v) && json_integer_value(v) >=
		    p->min_rsa_bits && json_integer_value(v) <= 16384,
		    CERTA_E_PARSE, "profile '%s': max_rsa_bits must be "
		    "min_rsa_bits..16384", p->name);
		p->max_rsa_bits = (int)json_integer_value(v);
	}
	if ((v = json_object_get(obj, "approval")) != NULL) {
		CERTA_CHECK(json_is_string(v) && (strcmp(json_string_value(v),
		    "required") == 0 || strcmp(json_string_value(v), "none") ==
		    0), CERTA_E_PARSE, "profile '%s': approval must be "
		    "\"required\" or \"none\"", p->name);
		p->approval = strcmp(json_string_value(v), "required") == 0;
	}
	if ((v = json_object_get(obj, "renew_same_key")) != NULL) {
		CERTA_CHECK(json_is_boolean(v), CERTA_E_PARSE, "profile '%s': "
		    "renew_same_key must be true or false", p->name);
		p->renew_same_key = json_is_true(v);
	}
	CERTA_TRY(duration(p, obj, "default_validity", &p->default_validity,
	    err));
	CERTA_TRY(duration(p, obj, "max_validity", &p->max_validity, err));
	CERTA_CHECK(p->default_validity <= p->max_validity, CERTA_E_PARSE,
	    "profile '%s': default_validity exceeds max_validity", p->name);
out:
	return rc;
}

static certa_rc
merge(struct certa_profiles *ps, const char *text, const char *what,
    struct certa_err *err)
{
	json_t			*root = NULL, *arr, *v;
	json_error_t		 jerr;
	size_t			 i, j;
	struct certa_profile	 p;
	certa_rc		 rc = CERTA_OK;

	root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	CERTA_CHECK(root != NULL, CERTA_E_PARSE, "%s: line %d: %s", what,
	    jerr.line, jerr.text);
	arr = json_object_get(root, "profiles");
	CERTA_CHECK(json_is_array(arr), CERTA_E_PARSE,
	    "%s: expected {\"profiles\": [...]}", what);
	json_array_foreach(arr, i, v) {
		struct certa_profile *nv;

		CERTA_TRY(parse_profile(v, &p, err));
		for (j = 0; j < ps->n; j++)
			if (strcmp(ps->v[j].name, p.name) == 0)
				break;
		if (j == ps->n) {
			nv = realloc(ps->v, (ps->n + 1) * sizeof(*nv));
			CERTA_CHECK(nv != NULL, CERTA_E_NOMEM, "oom");
			ps->v = nv;
			ps->n++;
		}
		ps->v[j] = p;
	}
out:
	if (rc != CERTA_OK && err != NULL && strncmp(err->msg, what,
	    strlen(what)) != 0)
		certa_err_set(err, rc, __FILE__, __LINE__, "%s", what);
	json_decref(root);
	return rc;
}

certa_rc
certa_profiles_load(const char *override_json, struct certa_profiles *out,
    struct certa_err *err)
{
	struct certa_profiles	 ps = { NULL, 0 };
	certa_rc		 rc = CERTA_OK;

	CERTA_TRY(merge(&ps, builtin_json, "built-in profiles", err));
	if (override_json != NULL)
		CERTA_TRY(merge(&ps, override_json, "profiles.json", err));
	*out = ps;
	ps.v = NULL;
out:
	free(ps.v);
	return rc;
}

void
certa_profiles_clear(struct certa_profiles *ps)
{
	if (ps == NULL)
		return;
	free(ps->v);
	ps->v = NULL;
	ps->n = 0;
}

certa_rc
certa_profiles_find(const struct certa_profiles *ps, const char *name,
    const struct certa_profile **out, struct certa_err *err)
{
	char		 names[512] = "";
	size_t		 i, n = 0;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	for (i = 0; i < ps->n; i++) {
		if (strcmp(ps->v[i].name, name) == 0) {
			*out = &ps->v[i];
			goto out;
		}
		if (n < sizeof(names))
			n += (size_t)snprintf(names + n, sizeof(names) - n,
			    "%s%s", i ? ", " : "", ps->v[i].name);
	}
	CERTA_FAIL(CERTA_E_NOTFOUND, "unknown certificate type '%s' (known: "
	    "%s)", name, names);
out:
	return rc;
}

certa_rc
certa_profile_check_key(const struct certa_profile *p, EVP_PKEY *pkey,
    struct certa_err *err)
{
	char		*desc = certa_key_describe(pkey);
	uint32_t	 bit = 0;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(desc != NULL, CERTA_E_NOMEM, "oom");
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_EC:
		if (strcmp(desc, "ec:P-256") == 0)
			bit = CERTA_KEYALG_P256;
		else if (strcmp(desc, "ec:P-384") == 0)
			bit = CERTA_KEYALG_P384;
		break;
	case EVP_PKEY_ED25519:
		bit = CERTA_KEYALG_ED25519;
		break;
	case EVP_PKEY_RSA:
		bit = CERTA_KEYALG_RSA;
		CERTA_CHECK(EVP_PKEY_get_bits(pkey) >= p->min_rsa_bits,
		    CERTA_E_POLICY, "RSA key of %d bits is too weak: profile "
		    "'%s' requires at least %d", EVP_PKEY_get_bits(pkey),
		    p->name, p->min_rsa_bits);
		CERTA_CHECK(EVP_PKEY_get_bits(pkey) <= p->max_rsa_bits,
		    CERTA_E_POLICY, "RSA key of %d bits exceeds profile '%s' "
		    "maximum of %d", EVP_PKEY_get_bits(pkey), p->name,
		    p->max_rsa_bits);
		break;
	default:
		break;
	}
	CERTA_CHECK(bit != 0 && (p->key_algs & bit) != 0, CERTA_E_POLICY,
	    "key type %s is not accepted by profile '%s'", desc, p->name);
out:
	free(desc);
	return rc;
}

certa_rc
certa_profile_check_subject(const struct certa_profile *p,
    const X509_NAME *subject, struct certa_err *err)
{
	size_t		 i;
	certa_rc	 rc = CERTA_OK;

	for (i = 0; i < p->nrequired; i++)
		CERTA_CHECK(X509_NAME_get_index_by_NID(subject, p->required[i],
		    -1) >= 0, CERTA_E_POLICY, "profile '%s' requires the "
		    "subject to have %s", p->name, OBJ_nid2sn(p->required[i]));
out:
	return rc;
}

certa_rc
certa_profile_check_sans(const struct certa_profile *p,
    const GENERAL_NAMES *sans, struct certa_err *err)
{
	int		 i;
	certa_rc	 rc = CERTA_OK;

	for (i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME	*g = sk_GENERAL_NAME_value(sans, i);
		uint32_t		 bit = 0;
		const char		*kind = "other";

		switch (g->type) {
		case GEN_DNS: bit = CERTA_SAN_DNS; kind = "DNS"; break;
		case GEN_IPADD: bit = CERTA_SAN_IP; kind = "IP"; break;
		case GEN_URI: bit = CERTA_SAN_URI; kind = "URI"; break;
		case GEN_EMAIL: bit = CERTA_SAN_EMAIL; kind = "email"; break;
		default: break;
		}
		CERTA_CHECK((p->san_kinds & bit) != 0, CERTA_E_POLICY,
		    "profile '%s' does not allow %s subject alternative "
		    "names", p->name, kind);
	}
out:
	return rc;
}

uint32_t
certa_profile_key_usage(const struct certa_profile *p, EVP_PKEY *pkey)
{
	uint32_t	ku = p->ku;

	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC)
		ku |= p->ku_ec;
	else if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA)
		ku |= p->ku_rsa;
	return ku;
}
