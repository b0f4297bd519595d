/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The validation engine: certa_trust_validate() decides whether a peer
 * chain is acceptable under a policy, in one of five modes, and returns a
 * verdict with a stable reason code.  It reads an immutable snapshot and
 * holds no lock (except the one-time load of the OS store).  No I/O here
 * besides that load; auto-reject is recorded by callers, not here.
 *
 * HOW IT WORKS
 * 1. The candidates of a check are gathered from the snapshot's indexes,
 *    never by a scan: starting from the leaf and the certificates the peer
 *    sent, the issuer name of each is looked up (binary search by subject
 *    hash) in the anchor pool (-> trusted stack) and in the intermediate
 *    pool (-> untrusted stack, and looked up in turn), up to
 *    GATHER_MAX certificates.  CRLs are looked up by issuer name, plus the
 *    indirect CRLs (RFC 5280 §5.2.5), plus those given for this check.
 * 2. OpenSSL's X509_verify_cert() builds and checks the path (RFC 5280
 *    §6.1, X509_V_FLAG_X509_STRICT, PARTIAL_CHAIN: any trusted certificate
 *    is an anchor), with the purpose, depth, policy inputs (§6.1.1) and
 *    CRLs of the policy.
 * 3. OpenSSL 3.0 accepts many chains that RFC 5280 forbids, so certa's own
 *    rules then run over the built chain (chain_rules()): serial numbers,
 *    extension syntax and duplicates, basicConstraints / keyUsage of CAs,
 *    AKI / SKI presence, criticality, name syntax, and the name
 *    constraints re-checked against every name of every certificate below
 *    the constraining CA (RFC 5280 §6.1.3 (b), (c)).  With the serverAuth
 *    purpose the CA/Browser Forum Baseline Requirements' key and EKU rules
 *    apply too (they govern TLS server certificates).
 * 4. Then the caller's EKU, key usage, signature algorithm and name
 *    requirements, and in certa_ca mode certa's own revocation state.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <certa/certa.h>
#include <certa/limits.h>
#include <certa/util.h>
#include <certa/x509.h>

#include "core/core.h"
#include "trust/trust_impl.h"
#include "util/util.h"

/* Most certificates one check gathers from a snapshot (§1 above). */
#define GATHER_MAX		64
/* Most certificates (or CRLs) of one name one lookup returns. */
#define LOOKUP_MAX		16
/* Most CRLs one check considers. */
#define GATHER_MAX_CRLS		64
/* Default path depth (intermediates) when the policy names none. */
#define DEFAULT_DEPTH		16
/* Name-constraint comparisons one check may make (anti-DoS). */
#define NC_MAX_CHECKS		(1L << 16)
/* Other paths tried when one fails because of an intermediate. */
#define PATH_RETRIES		8
/* RFC 5280 §4.1.2.2: serial numbers are at most 20 octets. */
#define SERIAL_MAX_OCTETS	20

struct vstate {
	const struct certa_verify_policy *pol;		/* borrowed */
	bool				  crl_strict; /* CRL required */
};

/* --- verdicts -------------------------------------------------------- */

static void
verdict_set(struct certa_trust_verdict *v, bool valid, const char *reason,
    const char *fmt, ...) CERTA_PRINTF(4, 5);

static void
verdict_set(struct certa_trust_verdict *v, bool valid, const char *reason,
    const char *fmt, ...)
{
	va_list	ap;

	v->valid = valid;
	snprintf(v->reason, sizeof(v->reason), "%s", reason);
	va_start(ap, fmt);
	vsnprintf(v->message, sizeof(v->message), fmt, ap);
	va_end(ap);
}

void
certa_trust_verdict_clear(struct certa_trust_verdict *v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < v->nchain && i < CERTA_VERDICT_MAX_CHAIN; i++)
		free(v->chain[i]);
	memset(v, 0, sizeof(*v));
}

static void
verdict_chain(struct certa_trust_verdict *v, STACK_OF(X509) *chain)
{
	int	i;

	for (i = 0; chain != NULL && i < sk_X509_num(chain) &&
	    v->nchain < CERTA_VERDICT_MAX_CHAIN; i++) {
		char	*s = NULL;

		if (certa_name_format(X509_get_subject_name(sk_X509_value(chain,
		    i)), &s, NULL) != CERTA_OK || s == NULL) {
			free(s);
			s = certa_strdup("(unprintable)");
			if (s == NULL)
				break;
		}
		v->chain[v->nchain++] = s;	/* owned by the verdict */
	}
}

/* X509_V_ERR_* to the stable reason codes of trust.h. */
static const char *
reason_of(int e)
{
	switch (e) {
	case X509_V_OK:
		return "ok";
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return "expired";
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return "not_yet_valid";
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
	case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
	case X509_V_ERR_SIGNATURE_ALGORITHM_MISMATCH:
	case X509_V_ERR_CA_MD_TOO_WEAK:
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_KEY_TOO_SMALL:
		return "bad_signature";
	case X509_V_ERR_INVALID_PURPOSE:
		return "wrong_purpose";
	case X509_V_ERR_CERT_CHAIN_TOO_LONG:
	case X509_V_ERR_PATH_LENGTH_EXCEEDED:
		return "chain_too_long";
	case X509_V_ERR_CERT_REVOKED:
		return "revoked";
	case X509_V_ERR_UNABLE_TO_GET_CRL:
		return "crl_missing";
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
	case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
	case X509_V_ERR_DIFFERENT_CRL_SCOPE:
	case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
	case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
	case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
		return "crl_invalid";
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_EMAIL_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return "name_mismatch";
	case X509_V_ERR_PERMITTED_VIOLATION:
	case X509_V_ERR_EXCLUDED_VIOLATION:
	case X509_V_ERR_SUBTREE_MINMAX:
	case X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE:
	case X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX:
	case X509_V_ERR_UNSUPPORTED_NAME_SYNTAX:
		return "name_constraints";
	case X509_V_ERR_INVALID_POLICY_EXTENSION:
	case X509_V_ERR_NO_EXPLICIT_POLICY:
		return "policy";
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_REJECTED:
		return "untrusted";
	case X509_V_ERR_INVALID_CA:
		return "invalid_ca";
	default:
		return "malformed";
	}
}

/* --- parsing the inputs ---------------------------------------------- */

static certa_rc
parse_cert(const uint8_t *der, size_t len, const char *what, X509 **out,
    struct certa_err *err)
{
	const unsigned char	*p = der;
	X509			*x = NULL;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK(der != NULL && len > 0 && len <= CERTA_MAX_CERT_DER,
	    CERTA_E_PARSE, "%s: length %zu out of range", what, len);
	x = d2i_X509(NULL, &p, (long)len);
	CERTA_OSSL(x != NULL, CERTA_E_PARSE, "%s is not a DER certificate",
	    what);
	CERTA_CHECK(p == der + len, CERTA_E_PARSE, "trailing bytes after %s",
	    what);
	*out = x;		/* ownership moves to caller */
	x = NULL;
out:
	X509_free(x);
	return rc;
}

static certa_rc
parse_crl(const uint8_t *der, size_t len, X509_CRL **out,
    struct certa_err *err)
{
	const unsigned char	*p = der;
	X509_CRL		*c = NULL;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK(der != NULL && len > 0 &&
	    (uint64_t)len <= (uint64_t)CERTA_MAX_CRL, CERTA_E_PARSE,
	    "CRL length %zu out of range", len);
	c = d2i_X509_CRL(NULL, &p, (long)len);
	CERTA_OSSL(c != NULL, CERTA_E_PARSE, "CRL is not DER");
	CERTA_CHECK(p == der + len, CERTA_E_PARSE, "trailing bytes after CRL");
	*out = c;
	c = NULL;
out:
	X509_CRL_free(c);
	return rc;
}

/* --- policy names ---------------------------------------------------- */

static const struct {
	const char	*name;
	uint32_t	 bit;
} ku_names[] = {
	{ "digitalSignature", KU_DIGITAL_SIGNATURE },
	{ "contentCommitment", KU_NON_REPUDIATION },
	{ "nonRepudiation", KU_NON_REPUDIATION },
	{ "keyEncipherment", KU_KEY_ENCIPHERMENT },
	{ "dataEncipherment", KU_DATA_ENCIPHERMENT },
	{ "keyAgreement", KU_KEY_AGREEMENT },
	{ "keyCertSign", KU_KEY_CERT_SIGN },
	{ "cRLSign", KU_CRL_SIGN },
	{ "encipherOnly", KU_ENCIPHER_ONLY },
	{ "decipherOnly", KU_DECIPHER_ONLY },
};

/* x509-limbo's SignatureAlgorithm names: (key type, digest). */
static const struct {
	const char	*name;
	int		 pknid;
	int		 mdnid;
} sig_names[] = {
	{ "RSASSA_PKCS1V15_WITH_SHA256", NID_rsaEncryption, NID_sha256 },
	{ "RSASSA_PKCS1V15_WITH_SHA384", NID_rsaEncryption, NID_sha384 },
	{ "RSASSA_PKCS1V15_WITH_SHA512", NID_rsaEncryption, NID_sha512 },
	{ "RSASSA_PSS_WITH_SHA256", NID_rsassaPss, NID_sha256 },
	{ "RSASSA_PSS_WITH_SHA384", NID_rsassaPss, NID_sha384 },
	{ "RSASSA_PSS_WITH_SHA512", NID_rsassaPss, NID_sha512 },
	{ "ECDSA_WITH_SHA256", NID_X9_62_id_ecPublicKey, NID_sha256 },
	{ "ECDSA_WITH_SHA384", NID_X9_62_id_ecPublicKey, NID_sha384 },
	{ "ECDSA_WITH_SHA512", NID_X9_62_id_ecPublicKey, NID_sha512 },
	{ "ED25519", NID_ED25519, NID_undef },
	{ "ED448", NID_ED448, NID_undef },
};

static int
eku_nid(const char *name)
{
	ASN1_OBJECT	*o;
	int		 nid;

	if ((nid = OBJ_sn2nid(name)) != NID_undef)
		return nid;
	if ((nid = OBJ_ln2nid(name)) != NID_undef)
		return nid;
	if ((o = OBJ_txt2obj(name, 1)) == NULL)
		return NID_undef;
	nid = OBJ_obj2nid(o);
	ASN1_OBJECT_free(o);
	return nid;
}

/*
 * INVAL when the policy names something this build does not know (the CLI
 * reports that as "unsupported").
 */
static certa_rc
policy_check_names(const struct certa_verify_policy *pol,
    struct certa_err *err)
{
	size_t		i, j;
	certa_rc	rc = CERTA_OK;

	CERTA_CHECK((unsigned)pol->mode < CERTA_MODE__COUNT, CERTA_E_INVAL,
	    "unknown validation mode %d", (int)pol->mode);
	CERTA_CHECK((unsigned)pol->purpose < CERTA_PURPOSE__COUNT,
	    CERTA_E_INVAL, "unknown purpose %d", (int)pol->purpose);
	CERTA_CHECK(pol->nekus <= CERTA_VERIFY_MAX_ITEMS &&
	    pol->nkey_usages <= CERTA_VERIFY_MAX_ITEMS &&
	    pol->nsig_algs <= CERTA_VERIFY_MAX_ITEMS &&
	    pol->nnames <= CERTA_VERIFY_MAX_ITEMS &&
	    pol->npolicies <= CERTA_VERIFY_MAX_ITEMS, CERTA_E_INVAL,
	    "too many policy items");
	CERTA_CHECK(pol->max_depth >= CERTA_DEPTH_NONE && pol->max_depth <= 64,
	    CERTA_E_INVAL, "maximum depth %d out of range", pol->max_depth);
	for (i = 0; i < pol->nekus; i++)
		CERTA_CHECK(pol->ekus[i] != NULL &&
		    eku_nid(pol->ekus[i]) != NID_undef, CERTA_E_INVAL,
		    "unknown extended key usage '%s'",
		    pol->ekus[i] ? pol->ekus[i] : "(null)");
	for (i = 0; i < pol->nkey_usages; i++) {
		for (j = 0; j < sizeof(ku_names) / sizeof(ku_names[0]); j++)
			if (pol->key_usages[i] != NULL &&
			    strcmp(pol->key_usages[i], ku_names[j].name) == 0)
				break;
		CERTA_CHECK(j < sizeof(ku_names) / sizeof(ku_names[0]),
		    CERTA_E_INVAL, "unknown key usage '%s'",
		    pol->key_usages[i] ? pol->key_usages[i] : "(null)");
	}
	for (i = 0; i < pol->nsig_algs; i++) {
		for (j = 0; j < sizeof(sig_names) / sizeof(sig_names[0]); j++)
			if (pol->sig_algs[i] != NULL &&
			    strcmp(pol->sig_algs[i], sig_names[j].name) == 0)
				break;
		CERTA_CHECK(j < sizeof(sig_names) / sizeof(sig_names[0]),
		    CERTA_E_INVAL, "unknown signature algorithm '%s'",
		    pol->sig_algs[i] ? pol->sig_algs[i] : "(null)");
	}
	for (i = 0; i < pol->nnames; i++)
		CERTA_CHECK(pol->names[i].value != NULL &&
		    (unsigned)pol->names[i].kind < CERTA_NAME__COUNT,
		    CERTA_E_INVAL, "bad expected name");
	for (i = 0; i < pol->npolicies; i++) {
		ASN1_OBJECT *o = pol->policies[i] != NULL ?
		    OBJ_txt2obj(pol->policies[i], 1) : NULL;

		ASN1_OBJECT_free(o);
		ERR_clear_error();
		CERTA_CHECK(o != NULL, CERTA_E_INVAL,
		    "policy '%s' is not an OID",
		    pol->policies[i] ? pol->policies[i] : "(null)");
	}
out:
	return rc;
}

/* --- gathering candidates from the snapshot -------------------------- */

static bool
sk_has(STACK_OF(X509) *sk, const X509 *x)
{
	int	i;

	for (i = 0; i < sk_X509_num(sk); i++)
		if (sk_X509_value(sk, i) == x || X509_cmp(sk_X509_value(sk, i),
		    x) == 0)
			return true;
	return false;
}

/* Push x with a new reference, unless already there. */
static certa_rc
push_ref(STACK_OF(X509) *sk, X509 *x, struct certa_err *err)
{
	certa_rc	rc = CERTA_OK;

	if (sk_has(sk, x))
		goto out;
	CERTA_OSSL(X509_up_ref(x), CERTA_E_CRYPTO, "reference certificate");
	if (!sk_X509_push(sk, x)) {
		X509_free(x);
		CERTA_FAIL(CERTA_E_NOMEM, "gather chain candidates");
	}
out:
	return rc;
}

static certa_rc
push_crl(STACK_OF(X509_CRL) *sk, X509_CRL *c, struct certa_err *err)
{
	int		i;
	certa_rc	rc = CERTA_OK;

	for (i = 0; i < sk_X509_CRL_num(sk); i++)
		if (sk_X509_CRL_value(sk, i) == c)
			goto out;
	CERTA_CHECK(sk_X509_CRL_num(sk) < GATHER_MAX_CRLS, CERTA_E_POLICY,
	    "too many CRLs for one check");
	CERTA_OSSL(X509_CRL_up_ref(c), CERTA_E_CRYPTO, "reference CRL");
	if (!sk_X509_CRL_push(sk, c)) {
		X509_CRL_free(c);
		CERTA_FAIL(CERTA_E_NOMEM, "gather CRLs");
	}
out:
	return rc;
}

/* Certificates of pool named name, decoded (borrowed); at most LOOKUP_MAX. */
static size_t
lookup(const struct certa_snapshot *s, enum trust_pool pool,
    const X509_NAME *name, X509 *out[LOOKUP_MAX])
{
	const struct trust_cert	*found[LOOKUP_MAX];
	size_t			 i, n, k = 0;

	n = certa_snap_by_subject(s, pool, name, found, LOOKUP_MAX);
	for (i = 0; i < n && i < LOOKUP_MAX; i++)
		if ((out[k] = certa_snap_cert(found[i])) != NULL)
			k++;
	return k;
}

static certa_rc
crls_for(const struct certa_snapshot *s, const X509_NAME *issuer,
    STACK_OF(X509_CRL) *crls, struct certa_err *err)
{
	X509_CRL	*found[LOOKUP_MAX];
	size_t		 i, n;
	certa_rc	 rc = CERTA_OK;

	n = certa_snap_crls_by_issuer(s, issuer, found, LOOKUP_MAX);
	for (i = 0; i < n && i < LOOKUP_MAX; i++)
		CERTA_TRY(push_crl(crls, found[i], err));
out:
	return rc;
}

/*
 * Candidates of a chain from leaf (and the peer's certs already in
 * untrusted): anchors of anchor_pool into trusted, certificates of
 * inter_pool into untrusted, and (when crls != NULL) their CRLs.
 */
static certa_rc
gather(const struct certa_snapshot *s, enum trust_pool anchor_pool,
    enum trust_pool inter_pool, X509 *leaf, STACK_OF(X509) *untrusted,
    STACK_OF(X509) *trusted, STACK_OF(X509_CRL) *crls, struct certa_err *err)
{
	X509			*found[LOOKUP_MAX];
	STACK_OF(X509)		*todo = NULL; /* elements borrowed */
	size_t			 i, n, k;
	int			 j;
	certa_rc		 rc = CERTA_OK;

	CERTA_OSSL((todo = sk_X509_new_null()) != NULL &&
	    sk_X509_push(todo, leaf), CERTA_E_NOMEM, "gather candidates");
	for (j = 0; j < sk_X509_num(untrusted); j++)
		CERTA_OSSL(sk_X509_push(todo, sk_X509_value(untrusted, j)),
		    CERTA_E_NOMEM, "gather candidates");
	/* The leaf itself may be an anchor (partial chain). */
	n = lookup(s, anchor_pool, X509_get_subject_name(leaf), found);
	for (i = 0; i < n; i++)
		CERTA_TRY(push_ref(trusted, found[i], err));
	for (j = 0; j < sk_X509_num(todo) && j < GATHER_MAX; j++) {
		X509		*x = sk_X509_value(todo, j);
		const X509_NAME	*iss = X509_get_issuer_name(x);

		if (crls != NULL)
			CERTA_TRY(crls_for(s, iss, crls, err));
		n = lookup(s, anchor_pool, iss, found);
		for (i = 0; i < n; i++) {
			CERTA_TRY(push_ref(trusted, found[i], err));
			/* An anchor's own CRLs (when it is an issuer). */
			if (crls != NULL)
				CERTA_TRY(crls_for(s, X509_get_subject_name(
				    found[i]), crls, err));
		}
		n = lookup(s, inter_pool, iss, found);
		for (i = 0; i < n; i++) {
			if (sk_has(untrusted, found[i]))
				continue;
			CERTA_TRY(push_ref(untrusted, found[i], err));
			CERTA_OSSL(sk_X509_push(todo, found[i]),
			    CERTA_E_NOMEM, "gather candidates");
		}
	}
	if (crls != NULL)
		for (k = 0; k < s->nindirect; k++)
			CERTA_TRY(push_crl(crls, s->crls[s->indirect[k]].crl,
			    err));
	/* The issuers of the CRLs (a CRL issuer of an indirect CRL). */
	for (j = 0; crls != NULL && j < sk_X509_CRL_num(crls); j++) {
		const X509_NAME *ci = X509_CRL_get_issuer(
		    sk_X509_CRL_value(crls, j));

		n = lookup(s, inter_pool, ci, found);
		for (i = 0; i < n; i++)
			CERTA_TRY(push_ref(untrusted, found[i], err));
		n = lookup(s, anchor_pool, ci, found);
		for (i = 0; i < n; i++)
			CERTA_TRY(push_ref(trusted, found[i], err));
	}
out:
	sk_X509_free(todo);
	return rc;
}

/* --- OpenSSL path validation ----------------------------------------- */

static int
verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct vstate	*st = X509_STORE_CTX_get_app_data(ctx);
	int		 e = X509_STORE_CTX_get_error(ctx);

	if (ok)
		return ok;
	switch (e) {
	case X509_V_ERR_CA_CERT_MISSING_KEY_USAGE:
		/* RFC 5280 §4.2.1.3: keyUsage in CA certs is a SHOULD. */
		return 1;
	case X509_V_ERR_UNABLE_TO_GET_CRL:
		/* Store CRLs are checked when present, required on demand. */
		if (st != NULL && !st->crl_strict)
			return 1;
		break;
	default:
		break;
	}
	return ok;
}

static certa_rc
set_params(X509_STORE_CTX *vc, const struct certa_verify_policy *pol,
    bool crl_check, struct certa_err *err)
{
	X509_VERIFY_PARAM	*vp = X509_STORE_CTX_get0_param(vc);
	unsigned long		 flags = X509_V_FLAG_X509_STRICT |
				    X509_V_FLAG_PARTIAL_CHAIN |
				    X509_V_FLAG_TRUSTED_FIRST;
	int			 purpose;
	size_t			 i;
	certa_rc		 rc = CERTA_OK;

	switch (pol->purpose) {
	case CERTA_PURPOSE_CLIENT:
		purpose = X509_PURPOSE_SSL_CLIENT;
		break;
	case CERTA_PURPOSE_SERVER:
		purpose = X509_PURPOSE_SSL_SERVER;
		break;
	default:
		purpose = X509_PURPOSE_ANY;
		break;
	}
	CERTA_OSSL(X509_STORE_CTX_set_purpose(vc, purpose), CERTA_E_INTERNAL,
	    "set verification purpose");
	/* OpenSSL's depth counts intermediates, as max_depth does. */
	X509_VERIFY_PARAM_set_depth(vp, pol->max_depth > 0 ? pol->max_depth :
	    pol->max_depth < 0 ? 0 : DEFAULT_DEPTH);
	X509_VERIFY_PARAM_set_time(vp, pol->at != 0 ? (time_t)pol->at :
	    time(NULL));
	if (crl_check)
		flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL |
		    X509_V_FLAG_EXTENDED_CRL_SUPPORT | X509_V_FLAG_USE_DELTAS;
	if (pol->policy_check) {
		/* RFC 5280 §6.1.1 (c), (e), (f), (g). */
		flags |= X509_V_FLAG_POLICY_CHECK;
		if (pol->explicit_policy)
			flags |= X509_V_FLAG_EXPLICIT_POLICY;
		if (pol->inhibit_policy_mapping)
			flags |= X509_V_FLAG_INHIBIT_MAP;
		if (pol->inhibit_any_policy)
			flags |= X509_V_FLAG_INHIBIT_ANY;
		for (i = 0; i < pol->npolicies; i++) {
			ASN1_OBJECT *o = OBJ_txt2obj(pol->policies[i], 1);

			CERTA_OSSL(o != NULL, CERTA_E_INVAL,
			    "policy '%s' is not an OID", pol->policies[i]);
			if (!X509_VERIFY_PARAM_add0_policy(vp, o)) {
				ASN1_OBJECT_free(o);
				CERTA_FAIL(CERTA_E_NOMEM, "add policy");
			}
		}
	}
	CERTA_OSSL(X509_VERIFY_PARAM_set_flags(vp, flags), CERTA_E_INTERNAL,
	    "set verification flags");
out:
	return rc;
}

/* --- certa's own rules on the built chain ----------------------------- */

struct rule_fail {
	const char	*reason;
	char		 msg[200];
	int		 depth;		/* the certificate to blame, or -1 */
};

static bool
fail(struct rule_fail *f, const char *reason, const char *fmt, ...)
    CERTA_PRINTF(3, 4);

static bool
fail(struct rule_fail *f, const char *reason, const char *fmt, ...)
{
	va_list	ap;

	f->reason = reason;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return false;
}

static bool
self_issued(X509 *x)
{
	return X509_NAME_cmp(X509_get_subject_name(x),
	    X509_get_issuer_name(x)) == 0;
}

static bool
self_signed(X509 *x)
{
	return (X509_get_extension_flags(x) & EXFLAG_SS) != 0;
}

/* RFC 5280 §4.1.2.2: positive, non-zero, at most 20 octets. */
static bool
rule_serial(X509 *x, int depth, struct rule_fail *f)
{
	const ASN1_INTEGER	*s = X509_get0_serialNumber(x);
	const unsigned char	*d = ASN1_STRING_get0_data(s);
	int			 len = ASN1_STRING_length(s), i, octets;
	bool			 zero = true;

	if (ASN1_STRING_type(s) == V_ASN1_NEG_INTEGER)
		return fail(f, "malformed", "certificate at depth %d has a "
		    "negative serial number (RFC 5280 4.1.2.2)", depth);
	for (i = 0; i < len; i++)
		if (d[i] != 0)
			zero = false;
	if (zero)
		return fail(f, "malformed", "certificate at depth %d has "
		    "serial number zero (RFC 5280 4.1.2.2)", depth);
	octets = len + (len > 0 && (d[0] & 0x80) ? 1 : 0);
	if (octets > SERIAL_MAX_OCTETS)
		return fail(f, "malformed", "certificate at depth %d has a "
		    "serial number of %d octets (RFC 5280 4.1.2.2: at most 20)",
		    depth, octets);
	return true;
}

/*
 * Whether an extension OpenSSL knows (m, its method) decodes: decoded
 * with the method and freed, without our code having to know the decoded
 * type.  (Printing it to a null BIO did the same at ten times the cost:
 * 3% of a gate handshake.)
 */
static bool
ext_decodes(X509_EXTENSION *e, const X509V3_EXT_METHOD *m)
{
	void	*v = X509V3_EXT_d2i(e);

	ERR_clear_error();
	if (v == NULL)
		return false;
	if (m->it != NULL)
		ASN1_item_free(v, ASN1_ITEM_ptr(m->it));
	else if (m->ext_free != NULL)
		m->ext_free(v);
	return true;
}

/*
 * Every extension appears once (RFC 5280 §4.2), every extension OpenSSL
 * knows decodes, and certain ones carry the criticality the RFC demands.
 */
static bool
rule_extensions(X509 *x, int depth, bool policy_check, struct rule_fail *f)
{
	const X509V3_EXT_METHOD	*m;
	int			 i, j, n = X509_get_ext_count(x);

	for (i = 0; i < n; i++) {
		X509_EXTENSION	*e = X509_get_ext(x, i);
		ASN1_OBJECT	*o = X509_EXTENSION_get_object(e);
		int		 nid = OBJ_obj2nid(o);

		for (j = i + 1; j < n; j++)
			if (OBJ_cmp(o, X509_EXTENSION_get_object(
			    X509_get_ext(x, j))) == 0)
				return fail(f, "malformed", "certificate at "
				    "depth %d repeats an extension (RFC 5280 "
				    "4.2)", depth);
		if (nid != NID_undef && (m = X509V3_EXT_get(e)) != NULL &&
		    !ext_decodes(e, m))
			return fail(f, "malformed", "certificate at depth %d: "
			    "extension %s does not decode", depth,
			    OBJ_nid2sn(nid));
		/*
		 * RFC 5280 §4.2.1.11, §4.2.1.14: MUST be critical, so that a
		 * relying party that does not process policies refuses the
		 * certificate.  When the caller asked for §6.1 policy
		 * processing the constraint is enforced whatever its flag, and
		 * a non-critical one (RFC 3280-era CAs) is tolerated.
		 */
		if (!policy_check && (nid == NID_policy_constraints ||
		    nid == NID_inhibit_any_policy) &&
		    !X509_EXTENSION_get_critical(e))
			return fail(f, "malformed", "certificate at depth %d: "
			    "%s must be critical (RFC 5280)", depth,
			    OBJ_nid2sn(nid));
	}
	return true;
}

/* RFC 1034 §3.5 preferred name syntax; "*." first label when wild. */
static bool
dns_syntax_ok(const char *s, size_t n, bool wild)
{
	size_t	i, lab = 0;

	if (n == 0 || n > 253)
		return false;
	if (wild && n > 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		n -= 2;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (lab == 0 || s[i - 1] == '-')
				return false;
			lab = 0;
			continue;
		}
		if (!(isalnum(c) || c == '-'))
			return false;
		if (c == '-' && lab == 0)
			return false;
		if (++lab > 63)
			return false;
	}
	return lab > 0 && s[n - 1] != '-';
}

static bool
ia5_view(const ASN1_IA5STRING *a, const char **s, size_t *n)
{
	const unsigned char	*d = ASN1_STRING_get0_data(a);
	int			 len = ASN1_STRING_length(a);

	if (d == NULL || len < 0 || memchr(d, '\0', (size_t)len) != NULL)
		return false;
	*s = (const char *)d;
	*n = (size_t)len;
	return true;
}

static bool
ieq(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && (an == 0 || strncasecmp(a, b, an) == 0);
}

static bool
email_syntax_ok(const char *s, size_t n)
{
	const char	*at = memchr(s, '@', n);

	if (at == NULL || at == s || at == s + n - 1 ||
	    memchr(at + 1, '@', n - (size_t)(at - s) - 1) != NULL)
		return false;
	return dns_syntax_ok(at + 1, n - (size_t)(at - s) - 1, false);
}

/* RFC 5280 §4.2.1.6: the syntax of every subjectAltName entry. */
static bool
rule_san(X509 *x, int depth, struct rule_fail *f)
{
	GENERAL_NAMES	*gens;
	int		 i, crit = -1;
	bool		 ok = true;

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	if (gens == NULL) {
		ERR_clear_error();
		if (crit >= 0)
			return fail(f, "malformed", "certificate at depth %d "
			    "has an undecodable subjectAltName", depth);
		return true;
	}
	if (sk_GENERAL_NAME_num(gens) == 0)
		ok = fail(f, "malformed", "certificate at depth %d has an "
		    "empty subjectAltName (RFC 5280 4.2.1.6)", depth);
	for (i = 0; ok && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME	*g = sk_GENERAL_NAME_value(gens, i);
		const char	*s;
		size_t		 n;

		switch (g->type) {
		case GEN_DNS:
			if (!ia5_view(g->d.dNSName, &s, &n) ||
			    !dns_syntax_ok(s, n, true))
				ok = fail(f, "malformed", "certificate at "
				    "depth %d has an invalid dNSName", depth);
			break;
		case GEN_EMAIL:
			if (!ia5_view(g->d.rfc822Name, &s, &n) ||
			    !email_syntax_ok(s, n))
				ok = fail(f, "malformed", "certificate at "
				    "depth %d has an invalid rfc822Name",
				    depth);
			break;
		case GEN_IPADD:
			n = (size_t)ASN1_STRING_length(g->d.iPAddress);
			if (n != 4 && n != 16)
				ok = fail(f, "malformed", "certificate at "
				    "depth %d has an iPAddress of %zu octets",
				    depth, n);
			break;
		default:
			break;
		}
	}
	GENERAL_NAMES_free(gens);
	return ok;
}

/* An IP constraint: address + contiguous mask, 8 or 32 octets. */
static bool
ip_constraint_ok(const ASN1_OCTET_STRING *o)
{
	const unsigned char	*d = ASN1_STRING_get0_data(o);
	int			 n = ASN1_STRING_length(o), i, half;
	bool			 zero = false;

	if (n != 8 && n != 32)
		return false;
	half = n / 2;
	for (i = half; i < n; i++) {
		unsigned char	m = d[i];
		int		b;

		for (b = 7; b >= 0; b--) {
			if (m & (1u << b)) {
				if (zero)
					return false;
			} else {
				zero = true;
			}
		}
	}
	return true;
}

static bool
subtrees_ok(STACK_OF(GENERAL_SUBTREE) *st)
{
	int	i;

	for (i = 0; i < sk_GENERAL_SUBTREE_num(st); i++) {
		GENERAL_NAME	*g = sk_GENERAL_SUBTREE_value(st, i)->base;
		const char	*s;
		size_t		 n;

		switch (g->type) {
		case GEN_DNS:
			/* RFC 5280 §4.2.1.10: host.example.com, no dot. */
			if (!ia5_view(g->d.dNSName, &s, &n))
				return false;
			if (n > 0 && !dns_syntax_ok(s, n, false))
				return false;
			break;
		case GEN_IPADD:
			if (!ip_constraint_ok(g->d.iPAddress))
				return false;
			break;
		case GEN_EMAIL:
		case GEN_URI:
			if (!ia5_view(g->type == GEN_EMAIL ? g->d.rfc822Name :
			    g->d.uniformResourceIdentifier, &s, &n))
				return false;
			break;
		default:
			break;
		}
	}
	return true;
}

/* Profile rules of one certificate at depth of a chain of n. */
static bool
rule_profile(X509 *x, int depth, int n, bool anchor, bool server,
    struct rule_fail *f)
{
	uint32_t		 fl = X509_get_extension_flags(x);
	uint32_t		 ku = X509_get_key_usage(x);
	bool			 ca = (fl & EXFLAG_CA) != 0;
	AUTHORITY_KEYID		*akid = NULL;
	NAME_CONSTRAINTS	*nc = NULL;
	EXTENDED_KEY_USAGE	*eku = NULL;
	int			 crit = -1;
	bool			 ok = true;

	if (fl & EXFLAG_INVALID)
		return fail(f, "malformed", "certificate at depth %d has "
		    "invalid extensions", depth);
	/* RFC 5280 §4.1.2.4: the issuer field MUST be non-empty. */
	if (X509_NAME_entry_count(X509_get_issuer_name(x)) == 0)
		return fail(f, "malformed", "certificate at depth %d has an "
		    "empty issuer name (RFC 5280 4.1.2.4)", depth);
	/* RFC 5280 §4.1.2.6: an empty subject needs a critical SAN. */
	if (X509_NAME_entry_count(X509_get_subject_name(x)) == 0 &&
	    !(fl & EXFLAG_SAN_CRITICAL))
		return fail(f, "malformed", "certificate at depth %d has an "
		    "empty subject and no critical subjectAltName", depth);
	/* RFC 5280 §4.2.1.3: keyCertSign only with cA asserted. */
	if ((fl & EXFLAG_KUSAGE) && (ku & KU_KEY_CERT_SIGN) && !ca)
		return fail(f, "malformed", "certificate at depth %d asserts "
		    "keyCertSign without basicConstraints cA (RFC 5280 "
		    "4.2.1.3)", depth);
	/* The signature algorithm inside and outside TBS must agree. */
	{
		const X509_ALGOR	*outer = NULL;

		X509_get0_signature(NULL, &outer, x);
		if (outer == NULL || X509_ALGOR_cmp(outer,
		    X509_get0_tbs_sigalg(x)) != 0)
			return fail(f, "bad_signature", "certificate at depth "
			    "%d: signatureAlgorithm differs from the TBS "
			    "signature (RFC 5280 4.1.1.2)", depth);
	}
	if (depth > 0 && !anchor) {
		/* RFC 5280 §4.2.1.9: a CA's basicConstraints, critical. */
		if (!ca)
			return fail(f, "invalid_ca", "certificate at depth %d "
			    "issues certificates but is not a CA", depth);
		if (!(fl & EXFLAG_BCONS_CRITICAL))
			return fail(f, "invalid_ca", "CA at depth %d: "
			    "basicConstraints must be critical (RFC 5280 "
			    "4.2.1.9)", depth);
		if ((fl & EXFLAG_KUSAGE) && !(ku & KU_KEY_CERT_SIGN))
			return fail(f, "invalid_ca", "CA at depth %d lacks "
			    "keyCertSign (RFC 5280 4.2.1.3)", depth);
	}
	if (depth > 0 && anchor && (fl & EXFLAG_BCONS) && !ca)
		return fail(f, "invalid_ca", "trust anchor at depth %d is not "
		    "a CA", depth);
	/* RFC 5280 §4.2.1.2: CA certificates carry an SKI. */
	if ((ca || depth > 0) && X509_get0_subject_key_id(x) == NULL &&
	    X509_get_version(x) == X509_VERSION_3)
		return fail(f, "malformed", "CA certificate at depth %d lacks "
		    "subjectKeyIdentifier (RFC 5280 4.2.1.2)", depth);
	/* RFC 5280 §4.2.1.1: AKI with keyIdentifier unless self-signed. */
	akid = X509_get_ext_d2i(x, NID_authority_key_identifier, &crit, NULL);
	ERR_clear_error();
	if (akid == NULL && crit >= 0) {
		ok = fail(f, "malformed", "certificate at depth %d has an "
		    "undecodable authorityKeyIdentifier", depth);
		goto out;
	}
	if (!self_signed(x) && X509_get_version(x) == X509_VERSION_3 &&
	    (akid == NULL || akid->keyid == NULL)) {
		ok = fail(f, "malformed", "certificate at depth %d lacks "
		    "authorityKeyIdentifier.keyIdentifier (RFC 5280 4.2.1.1)",
		    depth);
		goto out;
	}
	/*
	 * A root (a self-issued anchor) may omit the AKI; when present it
	 * names the root's own key by keyIdentifier only (CA/B Forum BR
	 * 7.1.2.1.3).  Self-issued intermediates (key rollover) are exempt.
	 */
	if (akid != NULL && anchor && self_issued(x)) {
		const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x);

		if (akid->keyid == NULL || akid->issuer != NULL ||
		    akid->serial != NULL || (ski != NULL &&
		    ASN1_OCTET_STRING_cmp(ski, akid->keyid) != 0)) {
			ok = fail(f, "malformed", "root at depth %d: "
			    "authorityKeyIdentifier must be the keyIdentifier "
			    "of its own SKI", depth);
			goto out;
		}
	}
	/* RFC 5280 §4.2.1.12: KeyPurposeId SEQUENCE SIZE (1..MAX). */
	crit = -1;
	eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	ERR_clear_error();
	if (crit >= 0 && (eku == NULL ||
	    sk_ASN1_OBJECT_num(eku) == 0)) {
		ok = fail(f, "malformed", "certificate at depth %d has an "
		    "empty extKeyUsage (RFC 5280 4.2.1.12)", depth);
		goto out;
	}
	/* RFC 5280 §4.2.1.10: only in CA certs, never empty, valid. */
	crit = -1;
	nc = X509_get_ext_d2i(x, NID_name_constraints, &crit, NULL);
	ERR_clear_error();
	if (crit >= 0) {
		if (nc == NULL || !ca) {
			ok = fail(f, "name_constraints", "certificate at depth "
			    "%d: nameConstraints only belong in CA "
			    "certificates", depth);
			goto out;
		}
		if (sk_GENERAL_SUBTREE_num(nc->permittedSubtrees) <= 0 &&
		    sk_GENERAL_SUBTREE_num(nc->excludedSubtrees) <= 0) {
			ok = fail(f, "name_constraints", "CA at depth %d has "
			    "empty nameConstraints (RFC 5280 4.2.1.10)",
			    depth);
			goto out;
		}
		if (!subtrees_ok(nc->permittedSubtrees) ||
		    !subtrees_ok(nc->excludedSubtrees)) {
			ok = fail(f, "name_constraints", "CA at depth %d has "
			    "a malformed name constraint", depth);
			goto out;
		}
	}
	if (server) {
		/* CA/B Forum BR 7.1.2: TLS server certificate profile. */
		if (depth == 0 && eku == NULL) {
			ok = fail(f, "wrong_purpose", "TLS server certificate "
			    "without extKeyUsage (CA/B Forum BR 7.1.2)");
			goto out;
		}
		if (depth > 0 && depth == n - 1 && self_signed(x) &&
		    eku != NULL) {
			ok = fail(f, "wrong_purpose", "root CA with "
			    "extKeyUsage (CA/B Forum BR 7.1.2.1)");
			goto out;
		}
	}
out:
	AUTHORITY_KEYID_free(akid);
	NAME_CONSTRAINTS_free(nc);
	EXTENDED_KEY_USAGE_free(eku);
	return ok;
}

/* A lenient IPv4 parse (inet_aton's forms: hex, octal, 1 to 4 parts). */
static bool
ipv4_lenient(const char *s, size_t n, unsigned char out[4])
{
	char		 buf[64], *p, *end;
	unsigned long	 part[4];
	int		 np = 0;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	for (p = buf; np < 4; np++) {
		if (!isdigit((unsigned char)*p))
			return false;
		part[np] = strtoul(p, &end, 0);
		if (end == p)
			return false;
		if (*end == '\0') {
			np++;
			break;
		}
		if (*end != '.')
			return false;
		p = end + 1;
	}
	if (np == 1 && part[0] <= 0xffffffffUL) {
		out[0] = (unsigned char)(part[0] >> 24);
		out[1] = (unsigned char)(part[0] >> 16);
		out[2] = (unsigned char)(part[0] >> 8);
		out[3] = (unsigned char)part[0];
		return true;
	}
	if (np == 4 && *end == '\0' && part[0] < 256 && part[1] < 256 &&
	    part[2] < 256 && part[3] < 256) {
		out[0] = (unsigned char)part[0];
		out[1] = (unsigned char)part[1];
		out[2] = (unsigned char)part[2];
		out[3] = (unsigned char)part[3];
		return true;
	}
	return false;
}

/*
 * CA/B Forum BR 7.1.4.3: in a TLS server certificate a subject CN that
 * names one of the SAN's entries is a character-for-character copy of it
 * (a dNSName as written; an iPAddress in canonical text: RFC 3986 §3.2.2
 * dotted decimal, RFC 5952 for IPv6).  Other spellings of the same name
 * (case, hex, leading zeros, uncompressed IPv6) could make a CN-matching
 * peer see a different name than a SAN-matching one.
 */
static bool
rule_server_cn(X509 *leaf, struct rule_fail *f)
{
	const X509_NAME	*subj = X509_get_subject_name(leaf);
	GENERAL_NAMES	*gens;
	int		 i, k;
	bool		 ok = true;

	gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	ERR_clear_error();
	if (gens == NULL)
		return true;
	for (k = -1; ok && (k = X509_NAME_get_index_by_NID(subj,
	    NID_commonName, k)) >= 0;) {
		const ASN1_STRING	*cn = X509_NAME_ENTRY_get_data(
					    X509_NAME_get_entry(subj, k));
		const char		*c = (const char *)
					    ASN1_STRING_get0_data(cn);
		size_t			 cl = (size_t)ASN1_STRING_length(cn);
		unsigned char		 ip[16];
		char			 cbuf[INET6_ADDRSTRLEN];
		bool			 v4, v6 = false;

		v4 = ipv4_lenient(c, cl, ip);
		if (!v4 && cl < sizeof(cbuf) && memchr(c, ':', cl) != NULL) {
			memcpy(cbuf, c, cl);
			cbuf[cl] = '\0';
			v6 = inet_pton(AF_INET6, cbuf, ip) == 1;
		}
		for (i = 0; ok && i < sk_GENERAL_NAME_num(gens); i++) {
			GENERAL_NAME		*g = sk_GENERAL_NAME_value(gens,
						    i);
			const unsigned char	*a;
			const char		*d;
			size_t			 dl;
			char			 txt[INET6_ADDRSTRLEN];
			int			 al;

			if (g->type == GEN_DNS && ia5_view(g->d.dNSName, &d,
			    &dl)) {
				/* The same name, spelt otherwise. */
				if (ieq(d, dl, c, cl) && memcmp(d, c, cl) != 0)
					ok = false;
				continue;
			}
			if (g->type != GEN_IPADD)
				continue;
			a = ASN1_STRING_get0_data(g->d.iPAddress);
			al = ASN1_STRING_length(g->d.iPAddress);
			if (!((v4 && al == 4) || (v6 && al == 16)) ||
			    memcmp(a, ip, (size_t)al) != 0)
				continue;
			if (inet_ntop(al == 4 ? AF_INET : AF_INET6, a, txt,
			    sizeof(txt)) == NULL || strlen(txt) != cl ||
			    memcmp(txt, c, cl) != 0)
				ok = false;
		}
	}
	GENERAL_NAMES_free(gens);
	if (!ok)
		return fail(f, "malformed", "TLS server certificate: the CN "
		    "spells a subjectAltName otherwise (CA/B Forum BR "
		    "7.1.4.3)");
	return true;
}

/* CA/B Forum BR 6.1.5, 6.1.6: RSA >= 2048 (multiple of 8), P-256/384/521. */
static bool
rule_key(X509 *x, int depth, struct rule_fail *f)
{
	EVP_PKEY	*pk = X509_get0_pubkey(x);
	char		 grp[64];
	size_t		 glen = 0;
	int		 bits;

	if (pk == NULL) {
		ERR_clear_error();
		return fail(f, "malformed", "certificate at depth %d: public "
		    "key does not decode", depth);
	}
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(pk);
		if (bits < 2048 || bits % 8 != 0)
			return fail(f, "weak_key", "certificate at depth %d: "
			    "RSA key of %d bits (CA/B Forum BR 6.1.5)", depth,
			    bits);
		return true;
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(pk,
		    OSSL_PKEY_PARAM_GROUP_NAME, grp, sizeof(grp), &glen)) {
			ERR_clear_error();
			return fail(f, "weak_key", "certificate at depth %d: "
			    "EC key without a named curve (RFC 5480 2.1.1)",
			    depth);
		}
		if (strcmp(grp, "prime256v1") != 0 &&
		    strcmp(grp, "secp384r1") != 0 &&
		    strcmp(grp, "secp521r1") != 0)
			return fail(f, "weak_key", "certificate at depth %d: "
			    "EC curve %s not allowed (CA/B Forum BR 6.1.5)",
			    depth, grp);
		return true;
	default:
		return fail(f, "weak_key", "certificate at depth %d: key type "
		    "%s not allowed (CA/B Forum BR 6.1.5)", depth,
		    OBJ_nid2sn(EVP_PKEY_get_base_id(pk)));
	}
}

/* --- name constraints, re-checked (RFC 5280 §4.2.1.10, §6.1.3) --------- */

/* One name of a certificate, in the form its constraints compare. */
struct nc_name {
	int			 type;		/* GEN_DNS, GEN_EMAIL... */
	const char		*s;		/* borrowed; n bytes */
	size_t			 n;
	const X509_NAME		*dn;		/* GEN_DIRNAME, borrowed */
};

/* name is c or below c (DNS labels, case-insensitive). */
static bool
dns_within(const char *name, size_t n, const char *c, size_t cn)
{
	if (cn == 0)
		return true;
	if (ieq(name, n, c, cn))
		return true;
	return n > cn + 1 && name[n - cn - 1] == '.' &&
	    strncasecmp(name + n - cn, c, cn) == 0;
}

static bool
dns_match(const struct nc_name *nm, const char *c, size_t cn, bool excluded)
{
	const char	*b;
	size_t		 bn;

	if (!(nm->n > 2 && nm->s[0] == '*' && nm->s[1] == '.'))
		return dns_within(nm->s, nm->n, c, cn);
	/* A wildcard stands for every name L.base it can match. */
	b = nm->s + 2;
	bn = nm->n - 2;
	if (dns_within(b, bn, c, cn))
		return true;
	if (!excluded)
		return false;
	/* Excluded when some L.base is in the subtree: c == L.base. */
	return cn > bn + 1 && c[cn - bn - 1] == '.' &&
	    strncasecmp(c + cn - bn, b, bn) == 0 &&
	    memchr(c, '.', cn - bn - 1) == NULL;
}

static bool
email_match(const struct nc_name *nm, const char *c, size_t cn)
{
	const char	*at = memchr(nm->s, '@', nm->n), *cat;
	const char	*host;
	size_t		 hn;

	if (at == NULL)
		return false;
	host = at + 1;
	hn = nm->n - (size_t)(host - nm->s);
	if ((cat = memchr(c, '@', cn)) != NULL) {
		/* A mailbox: local part exact, host case-insensitive. */
		return (size_t)(at - nm->s) == (size_t)(cat - c) &&
		    memcmp(nm->s, c, (size_t)(at - nm->s)) == 0 &&
		    ieq(host, hn, cat + 1, cn - (size_t)(cat - c) - 1);
	}
	if (cn > 0 && c[0] == '.')
		return hn > cn && strncasecmp(host + hn - cn, c, cn) == 0;
	return ieq(host, hn, c, cn);
}

static bool
uri_match(const struct nc_name *nm, const char *c, size_t cn)
{
	const char	*p, *end = nm->s + nm->n, *h, *he;

	p = nm->n > 3 ? strstr(nm->s, "://") : NULL;
	if (p == NULL || p >= end)
		return false;
	h = p + 3;
	for (he = h; he < end && *he != '/' && *he != '?' && *he != '#';
	    he++)
		;
	/* Drop userinfo and port. */
	for (p = he; p > h; p--)
		if (p[-1] == '@') {
			h = p;
			break;
		}
	for (p = h; p < he && *p != ':'; p++)
		;
	he = p;
	if (he == h)
		return false;
	if (cn > 0 && c[0] == '.')
		return (size_t)(he - h) > cn &&
		    strncasecmp(he - cn, c, cn) == 0;
	return ieq(h, (size_t)(he - h), c, cn);
}

static bool
ip_match(const struct nc_name *nm, const ASN1_OCTET_STRING *c)
{
	const unsigned char	*a = (const unsigned char *)nm->s;
	const unsigned char	*cd = ASN1_STRING_get0_data(c);
	size_t			 i, len = nm->n;

	if ((size_t)ASN1_STRING_length(c) != 2 * len)
		return false;
	for (i = 0; i < len; i++)
		if ((a[i] & cd[len + i]) != (cd[i] & cd[len + i]))
			return false;
	return true;
}

/* The first RDNs of name are base (RFC 5280 §7.1 comparison). */
static bool
dn_match(const X509_NAME *name, const X509_NAME *base)
{
	X509_NAME	*cut = NULL;
	int		 i, k = X509_NAME_entry_count(base), prev = -1;
	bool		 ok = false;

	if (k == 0)
		return true;
	if (X509_NAME_entry_count(name) < k)
		return false;
	if (X509_NAME_entry_count(name) > k &&
	    X509_NAME_ENTRY_set(X509_NAME_get_entry(name, k)) ==
	    X509_NAME_ENTRY_set(X509_NAME_get_entry(name, k - 1)))
		return false;		/* base would split an RDN */
	if ((cut = X509_NAME_new()) == NULL)
		goto out;
	for (i = 0; i < k; i++) {
		const X509_NAME_ENTRY	*e = X509_NAME_get_entry(name, i);
		int			 set = X509_NAME_ENTRY_set(e);

		if (!X509_NAME_add_entry(cut, e, -1, set == prev ? -1 : 0))
			goto out;
		prev = set;
	}
	ok = X509_NAME_cmp(cut, base) == 0;
out:
	X509_NAME_free(cut);
	ERR_clear_error();
	return ok;
}

/* 1 when nm lies in (or for excluded: meets) subtree g, 0 when not. */
static bool
nc_in(const struct nc_name *nm, const GENERAL_NAME *g, bool excluded)
{
	const char	*c;
	size_t		 cn;

	switch (nm->type) {
	case GEN_DNS:
		return ia5_view(g->d.dNSName, &c, &cn) &&
		    dns_match(nm, c, cn, excluded);
	case GEN_EMAIL:
		return ia5_view(g->d.rfc822Name, &c, &cn) &&
		    email_match(nm, c, cn);
	case GEN_URI:
		return ia5_view(g->d.uniformResourceIdentifier, &c, &cn) &&
		    uri_match(nm, c, cn);
	case GEN_IPADD:
		return ip_match(nm, g->d.iPAddress);
	case GEN_DIRNAME:
		return dn_match(nm->dn, g->d.directoryName);
	default:
		return false;
	}
}

/* Check one name against a CA's constraints; budget counts comparisons. */
static bool
nc_check_name(const struct nc_name *nm, const NAME_CONSTRAINTS *nc,
    long *budget)
{
	int	i, ntype = 0;
	bool	permitted = false;

	if (nm->type != GEN_DNS && nm->type != GEN_EMAIL &&
	    nm->type != GEN_URI && nm->type != GEN_IPADD &&
	    nm->type != GEN_DIRNAME)
		return true;	/* otherName etc.: not constrained */
	for (i = 0; i < sk_GENERAL_SUBTREE_num(nc->excludedSubtrees); i++) {
		const GENERAL_NAME *g =
		    sk_GENERAL_SUBTREE_value(nc->excludedSubtrees, i)->base;

		if (g->type != nm->type)
			continue;
		if (--*budget < 0 || nc_in(nm, g, true))
			return false;
	}
	for (i = 0; i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); i++) {
		const GENERAL_NAME *g =
		    sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i)->base;

		if (g->type != nm->type)
			continue;
		ntype++;
		if (--*budget < 0)
			return false;
		if (nc_in(nm, g, false)) {
			permitted = true;
			break;
		}
	}
	return ntype == 0 || permitted;
}

/* Every name of x (SANs, subject DN, CN, emailAddress) against nc. */
static bool
nc_check_cert(X509 *x, int depth, const NAME_CONSTRAINTS *nc, long *budget,
    struct rule_fail *f)
{
	const X509_NAME	*subj = X509_get_subject_name(x);
	GENERAL_NAMES	*gens;
	struct nc_name	 nm;
	int		 i;
	bool		 ok = true;

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	ERR_clear_error();
	for (i = 0; ok && gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		memset(&nm, 0, sizeof(nm));
		nm.type = g->type;
		switch (g->type) {
		case GEN_DNS:
		case GEN_EMAIL:
		case GEN_URI:
			if (!ia5_view(g->d.ia5, &nm.s, &nm.n))
				ok = false;
			break;
		case GEN_IPADD:
			nm.s = (const char *)ASN1_STRING_get0_data(
			    g->d.iPAddress);
			nm.n = (size_t)ASN1_STRING_length(g->d.iPAddress);
			break;
		case GEN_DIRNAME:
			nm.dn = g->d.directoryName;
			break;
		default:
			continue;
		}
		if (ok)
			ok = nc_check_name(&nm, nc, budget);
	}
	GENERAL_NAMES_free(gens);
	if (ok && X509_NAME_entry_count(subj) > 0) {
		memset(&nm, 0, sizeof(nm));
		nm.type = GEN_DIRNAME;
		nm.dn = subj;
		ok = nc_check_name(&nm, nc, budget);
	}
	for (i = 0; ok && i < X509_NAME_entry_count(subj); i++) {
		const X509_NAME_ENTRY	*e = X509_NAME_get_entry(subj, i);
		int			 nid = OBJ_obj2nid(
					    X509_NAME_ENTRY_get_object(e));
		const ASN1_STRING	*v = X509_NAME_ENTRY_get_data(e);

		if (nid != NID_pkcs9_emailAddress && nid != NID_commonName)
			continue;
		memset(&nm, 0, sizeof(nm));
		nm.s = (const char *)ASN1_STRING_get0_data(v);
		nm.n = (size_t)ASN1_STRING_length(v);
		if (nm.s == NULL || memchr(nm.s, '\0', nm.n) != NULL)
			continue;
		if (nid == NID_pkcs9_emailAddress) {
			nm.type = GEN_EMAIL;
		} else {
			/* A CN that is a host name is checked as one. */
			if (memchr(nm.s, '.', nm.n) == NULL ||
			    !dns_syntax_ok(nm.s, nm.n, true))
				continue;
			nm.type = GEN_DNS;
		}
		ok = nc_check_name(&nm, nc, budget);
	}
	if (!ok)
		return fail(f, "name_constraints", "a name of the certificate "
		    "at depth %d violates the name constraints of its issuers "
		    "(RFC 5280 4.2.1.10)", depth);
	return true;
}

static bool
rule_name_constraints(STACK_OF(X509) *chain, struct rule_fail *f)
{
	int	k, j, n = sk_X509_num(chain);
	long	budget = NC_MAX_CHECKS;
	bool	ok = true;

	for (k = 1; ok && k < n; k++) {
		X509			*ca = sk_X509_value(chain, k);
		NAME_CONSTRAINTS	*nc;

		nc = X509_get_ext_d2i(ca, NID_name_constraints, NULL, NULL);
		ERR_clear_error();
		if (nc == NULL)
			continue;
		f->depth = k;		/* another path may avoid this CA */
		for (j = 0; ok && j < k; j++) {
			X509 *x = sk_X509_value(chain, j);

			/* RFC 5280 §6.1.3 (b): self-issued CAs are exempt. */
			if (j > 0 && self_issued(x))
				continue;
			ok = nc_check_cert(x, j, nc, &budget, f);
		}
		NAME_CONSTRAINTS_free(nc);
	}
	return ok;
}

/* RFC 5280 §5.2.3: conforming CRL issuers MUST include the CRL number. */
static bool
rule_crls(STACK_OF(X509_CRL) *crls, struct rule_fail *f)
{
	int	i, crit;

	for (i = 0; i < sk_X509_CRL_num(crls); i++) {
		ASN1_INTEGER *num;

		crit = -1;
		num = X509_CRL_get_ext_d2i(sk_X509_CRL_value(crls, i),
		    NID_crl_number, &crit, NULL);
		ERR_clear_error();
		ASN1_INTEGER_free(num);
		if (num == NULL)
			return fail(f, "crl_invalid", "a CRL lacks its CRL "
			    "number (RFC 5280 5.2.3)");
		if (X509_CRL_get_version(sk_X509_CRL_value(crls, i)) != 1)
			return fail(f, "crl_invalid", "a CRL is not version 2 "
			    "(RFC 5280 5.1.2.1)");
	}
	return true;
}

static bool
chain_rules(STACK_OF(X509) *chain, STACK_OF(X509_CRL) *crls, bool server,
    bool policy_check, struct rule_fail *f)
{
	int	i, n = sk_X509_num(chain);

	for (i = 0; i < n; i++) {
		X509	*x = sk_X509_value(chain, i);
		bool	 anchor = i == n - 1;

		f->depth = i;
		if (!rule_serial(x, i, f) ||
		    !rule_extensions(x, i, policy_check, f) ||
		    !rule_san(x, i, f) ||
		    !rule_profile(x, i, n, anchor, server, f))
			return false;
		if (server && (!rule_key(x, i, f) ||
		    (i == 0 && !rule_server_cn(x, f))))
			return false;
	}
	f->depth = -1;
	return rule_name_constraints(chain, f) && rule_crls(crls, f);
}

/* --- the caller's requirements on the leaf ----------------------------- */

static bool
leaf_requirements(X509 *leaf, const struct certa_verify_policy *pol,
    struct rule_fail *f)
{
	EXTENDED_KEY_USAGE	*eku;
	uint32_t		 ku = X509_get_key_usage(leaf);
	size_t			 i, j;
	int			 k;
	bool			 ok = true;

	eku = X509_get_ext_d2i(leaf, NID_ext_key_usage, NULL, NULL);
	ERR_clear_error();
	for (i = 0; ok && eku != NULL && i < pol->nekus; i++) {
		int	want = eku_nid(pol->ekus[i]);
		bool	found = false;

		for (k = 0; k < sk_ASN1_OBJECT_num(eku); k++) {
			int have = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, k));

			if (have == want || have == NID_anyExtendedKeyUsage)
				found = true;
		}
		if (!found)
			ok = fail(f, "wrong_purpose", "the certificate's "
			    "extKeyUsage lacks %s", pol->ekus[i]);
	}
	EXTENDED_KEY_USAGE_free(eku);
	/* RFC 5280 §4.2.1.3: no keyUsage extension = any usage. */
	for (i = 0; ok && ku != UINT32_MAX && i < pol->nkey_usages; i++) {
		for (j = 0; j < sizeof(ku_names) / sizeof(ku_names[0]); j++)
			if (strcmp(pol->key_usages[i], ku_names[j].name) == 0 &&
			    !(ku & ku_names[j].bit))
				ok = fail(f, "wrong_purpose", "the "
				    "certificate's keyUsage lacks %s",
				    pol->key_usages[i]);
	}
	for (i = 0; ok && i < pol->nnames; i++) {
		const char	*v = pol->names[i].value;
		int		 r;

		switch (pol->names[i].kind) {
		case CERTA_NAME_DNS:
			/* RFC 9525 §6.3: DNS-IDs only, never the CN. */
			r = X509_check_host(leaf, v, 0,
			    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
			    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL);
			break;
		case CERTA_NAME_IP:
			r = X509_check_ip_asc(leaf, v, 0);
			break;
		default:
			r = X509_check_email(leaf, v, 0, 0);
			break;
		}
		ERR_clear_error();
		if (r != 1)
			ok = fail(f, "name_mismatch", "the certificate is not "
			    "valid for '%s'", v);
	}
	return ok;
}

#define NSIG	(sizeof(sig_names) / sizeof(sig_names[0]))

/* Every signature of the chain (not the anchor's own) uses allowed algs. */
static bool
sig_requirements(STACK_OF(X509) *chain, const struct certa_verify_policy *pol,
    struct rule_fail *f)
{
	int	i, n = sk_X509_num(chain), md, pk;
	size_t	j, k;

	if (pol->nsig_algs == 0)
		return true;
	for (i = 0; i < n - 1; i++) {
		bool allowed = false;

		if (!X509_get_signature_info(sk_X509_value(chain, i), &md, &pk,
		    NULL, NULL)) {
			ERR_clear_error();
			return fail(f, "bad_signature", "unknown signature "
			    "algorithm at depth %d", i);
		}
		for (j = 0; j < pol->nsig_algs; j++)
			for (k = 0; k < NSIG; k++)
				if (strcmp(pol->sig_algs[j],
				    sig_names[k].name) == 0 &&
				    sig_names[k].pknid == pk &&
				    sig_names[k].mdnid == md)
					allowed = true;
		if (!allowed)
			return fail(f, "bad_signature", "signature algorithm "
			    "at depth %d is not allowed", i);
	}
	return true;
}

/* --- the modes --------------------------------------------------------- */

static int
at_time_cmp(const ASN1_TIME *t, int64_t at)
{
	time_t	when = at != 0 ? (time_t)at : time(NULL);

	return X509_cmp_time(t, &when);
}

static void
mode_trusted_list(const struct certa_snapshot *s, X509 *leaf,
    const uint8_t *der, size_t len, const struct certa_verify_policy *pol,
    struct certa_trust_verdict *v)
{
	uint8_t			 fp[32];
	struct rule_fail	 f;

	memset(&f, 0, sizeof(f));
	if (!EVP_Digest(der, len, fp, NULL, EVP_sha256(), NULL)) {
		ERR_clear_error();
		verdict_set(v, false, "malformed", "cannot fingerprint the "
		    "certificate");
		return;
	}
	if (certa_snap_by_fp(s, TRUST_POOL_TRUSTED, fp) == NULL) {
		if (certa_snap_by_fp(s, TRUST_POOL_REJECTED, fp) != NULL)
			verdict_set(v, false, "rejected", "the certificate is "
			    "in the rejected list");
		else
			verdict_set(v, false, "untrusted", "the certificate "
			    "is not in the trusted list");
		return;
	}
	if (!pol->skip_expiry) {
		int c;

		c = at_time_cmp(X509_get0_notBefore(leaf), pol->at);
		if (c == 0 || c > 0) {
			ERR_clear_error();
			verdict_set(v, false, "not_yet_valid", "the "
			    "certificate is not yet valid");
			return;
		}
		c = at_time_cmp(X509_get0_notAfter(leaf), pol->at);
		if (c == 0 || c < 0) {
			ERR_clear_error();
			verdict_set(v, false, "expired", "the certificate has "
			    "expired");
			return;
		}
	}
	if (!leaf_requirements(leaf, pol, &f)) {
		verdict_set(v, false, f.reason, "%s", f.msg);
		return;
	}
	verdict_set(v, true, "ok", "the certificate is in the trusted list");
}

/* --- revocation by the snapshot's simple CRLs ------------------------- */

/*
 * c's signature verifies with iss's key.  The SHA-256 of the SPKI it last
 * verified with is cached in the CRL (compare-and-swap): hashing a
 * 100,000-entry CRL costs milliseconds, so it is done once per key.
 */
static bool
crl_sig_ok(const struct trust_crl *cc, X509 *iss)
{
	struct trust_crl	*c = (struct trust_crl *)cc;
	EVP_PKEY		*pk = X509_get0_pubkey(iss);
	uint8_t			 fp[EVP_MAX_MD_SIZE], *mine, *expected = NULL;
	const uint8_t		*k;
	unsigned int		 len = 0;

	if (pk == NULL || !X509_pubkey_digest(iss, EVP_sha256(), fp, &len) ||
	    len != 32) {
		ERR_clear_error();
		return false;
	}
	k = atomic_load_explicit(&c->sig_key, memory_order_acquire);
	if (k != NULL && memcmp(k, fp, 32) == 0)
		return true;
	if (X509_CRL_verify(c->crl, pk) != 1) {
		ERR_clear_error();
		return false;
	}
	if (k == NULL && (mine = malloc(32)) != NULL) {
		memcpy(mine, fp, 32);
		if (!atomic_compare_exchange_strong_explicit(&c->sig_key,
		    &expected, mine, memory_order_acq_rel,
		    memory_order_acquire))
			free(mine);	/* another thread cached it */
	}
	return true;
}

/* All of crls are the snapshot's simple CRLs. */
static bool
crls_all_simple(const struct certa_snapshot *s, STACK_OF(X509_CRL) *crls)
{
	const struct trust_crl	*e[LOOKUP_MAX];
	size_t			 n, k;
	int			 i;

	for (i = 0; i < sk_X509_CRL_num(crls); i++) {
		X509_CRL	*c = sk_X509_CRL_value(crls, i);
		bool		 ok = false;

		n = certa_snap_crl_entries(s, X509_CRL_get_issuer(c), e,
		    LOOKUP_MAX);
		for (k = 0; k < n && k < LOOKUP_MAX; k++)
			if (e[k]->crl == c && e[k]->simple && !e[k]->indirect)
				ok = true;
		if (!ok)
			return false;
	}
	return true;
}

/*
 * RFC 5280 §6.3 for complete, direct CRLs of the snapshot: for each
 * certificate below the anchor, the newest current CRL of its issuer
 * (signature by the issuer's key, cRLSign when the issuer has a keyUsage)
 * must not list its serial (removeFromCRL entries excepted).  No CRL: fine
 * unless the policy requires one; only stale or premature CRLs: refused.
 */
static bool
crl_fast(const struct certa_snapshot *s, STACK_OF(X509) *chain,
    const struct certa_verify_policy *pol, struct rule_fail *f)
{
	const struct trust_crl	*e[LOOKUP_MAX], *best;
	time_t			 at = pol->at != 0 ? (time_t)pol->at :
				    time(NULL);
	int			 i, n = sk_X509_num(chain);
	size_t			 k, ne;

	for (i = 0; i + 1 < n; i++) {
		X509		*x = sk_X509_value(chain, i);
		X509		*iss = sk_X509_value(chain, i + 1);
		X509_REVOKED	*rev = NULL;
		bool		 stale = false;

		best = NULL;
		ne = certa_snap_crl_entries(s, X509_get_issuer_name(x), e,
		    LOOKUP_MAX);
		for (k = 0; k < ne && k < LOOKUP_MAX; k++) {
			const ASN1_TIME	*last, *next;

			if (!e[k]->simple || !crl_sig_ok(e[k], iss))
				continue;
			last = X509_CRL_get0_lastUpdate(e[k]->crl);
			next = X509_CRL_get0_nextUpdate(e[k]->crl);
			if (X509_cmp_time(last, &at) >= 0 || (next != NULL &&
			    X509_cmp_time(next, &at) <= 0)) {
				stale = true;
				continue;
			}
			if (best == NULL || ASN1_TIME_compare(last,
			    X509_CRL_get0_lastUpdate(best->crl)) > 0)
				best = e[k];
		}
		ERR_clear_error();
		if (best == NULL) {
			if (stale)
				return fail(f, "crl_invalid", "the CRL for the "
				    "certificate at depth %d is not current",
				    i);
			if (pol->require_crl)
				return fail(f, "crl_missing", "no CRL for the "
				    "certificate at depth %d", i);
			continue;
		}
		if ((X509_get_extension_flags(iss) & EXFLAG_KUSAGE) &&
		    !(X509_get_key_usage(iss) & KU_CRL_SIGN))
			return fail(f, "crl_invalid", "the issuer at depth %d "
			    "lacks cRLSign (RFC 5280 6.3.3 (f))", i + 1);
		if (X509_CRL_get0_by_serial(best->crl, &rev,
		    X509_get0_serialNumber(x)) == 1) {
			ASN1_ENUMERATED	*r;
			long		 reason = -1;

			r = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason,
			    NULL, NULL);
			if (r != NULL)
				reason = ASN1_ENUMERATED_get(r);
			ASN1_ENUMERATED_free(r);
			ERR_clear_error();
			/* RFC 5280 §5.3.1: removeFromCRL (8) un-revokes. */
			if (reason != 8)
				return fail(f, "revoked", "certificate at "
				    "depth %d is revoked", i);
		}
	}
	return true;
}

/* Position of x in sk (pointer or equal certificate), or -1. */
static int
sk_find_cert(STACK_OF(X509) *sk, X509 *x)
{
	int	i;

	for (i = 0; x != NULL && i < sk_X509_num(sk); i++)
		if (sk_X509_value(sk, i) == x ||
		    X509_cmp(sk_X509_value(sk, i), x) == 0)
			return i;
	return -1;
}

/*
 * HOW IT WORKS: known paths (certa_ca mode).  A certificate certa issued
 * comes with the path leaf <- issuing CA I <- root R, and OpenSSL checks
 * both signatures on every call, though I's signature by R is the same
 * every time.  The first check that accepts a path [leaf, I, R] of
 * certa's CAs records on I's snapshot entry that its path to R holds for
 * this purpose (known_path_record).  Later checks (known_path_check) give
 * OpenSSL I alone as a partial-chain anchor: it checks the leaf's
 * signature, and I's validity, extensions and purpose as before, but no
 * longer verifies I's signature; R's validity period is checked here, and
 * certa's rules and certa's revocation state (I included) run on the
 * whole [leaf, I, R] as before.  Only plain checks take part: no CRLs, no
 * policy processing, at the current time, the default depth or more, an
 * R without name or policy constraints (OpenSSL applies those below R).
 * A refusal on the short path is not trusted: the full check runs and
 * gives the verdict.  A snapshot never changes, so neither does what it
 * has learnt; a changed trust store is a new snapshot.
 */
struct known_path {
	X509	*above;		/* the anchor above a short path; or NULL */
	bool	 record;	/* record an accepted [leaf, I, R] */
};

static bool
known_path_usable(const struct certa_verify_policy *pol, size_t ncrls,
    STACK_OF(X509_CRL) *crlsk)
{
	return pol->at == 0 && !pol->policy_check && !pol->require_crl &&
	    pol->max_depth >= 0 && ncrls == 0 && sk_X509_CRL_num(crlsk) <= 0 &&
	    (unsigned)pol->purpose < 32;
}

/* The snapshot entry of pool whose decoded certificate is x, or NULL. */
static const struct trust_cert *
entry_of(const struct certa_snapshot *s, enum trust_pool pool, X509 *x)
{
	const struct trust_cert	*found[LOOKUP_MAX];
	size_t			 i, n;

	n = certa_snap_by_subject(s, pool, X509_get_subject_name(x), found,
	    LOOKUP_MAX);
	for (i = 0; i < n && i < LOOKUP_MAX; i++)
		if (certa_snap_cert(found[i]) == x)
			return found[i];
	return NULL;
}

/* An anchor whose constraints OpenSSL would apply to the path below it. */
static bool
constrains(X509 *x)
{
	static const int nids[] = { NID_name_constraints,
	    NID_policy_constraints, NID_policy_mappings,
	    NID_inhibit_any_policy };
	size_t	i;

	for (i = 0; i < sizeof(nids) / sizeof(nids[0]); i++)
		if (X509_get_ext_by_NID(x, nids[i], -1) >= 0)
			return true;
	return false;
}

static void
known_path_record(const struct certa_snapshot *s, STACK_OF(X509) *chain,
    const struct certa_verify_policy *pol)
{
	const struct trust_cert	*ca, *root;
	struct trust_cert	*w;
	uint32_t		 idx, cur = 0;

	if (s == NULL || sk_X509_num(chain) != 3)
		return;
	if ((ca = entry_of(s, TRUST_POOL_CERTA_CA, sk_X509_value(chain, 1))) ==
	    NULL || (root = entry_of(s, TRUST_POOL_CERTA_ANCHOR,
	    sk_X509_value(chain, 2))) == NULL || constrains(sk_X509_value(chain,
	    2)))
		return;
	idx = (uint32_t)(root - s->certs) + 1;
	w = (struct trust_cert *)ca;	/* the memo is the one mutable part */
	if (!atomic_compare_exchange_strong(&w->path_anchor, &cur, idx) &&
	    cur != idx)
		return;			/* known under another anchor */
	atomic_fetch_or(&w->path_purposes, 1u << (unsigned)pol->purpose);
}

/*
 * One path: X509_verify_cert, then certa's rules and the policy's
 * requirements.  *drop: on an invalid verdict, the position in untrusted
 * of the intermediate to blame (another path may avoid it), else -1.
 */
static certa_rc
run_once(const struct certa_snapshot *s, X509_STORE *store, X509 *leaf,
    STACK_OF(X509) *untrusted, STACK_OF(X509_CRL) *crls, bool crl_strict,
    bool fast, const struct known_path *kp,
    const struct certa_verify_policy *pol, struct certa_trust_verdict *v,
    int *drop, struct certa_err *err)
{
	X509_STORE_CTX		*vc = NULL;
	STACK_OF(X509)		*chain, *whole = NULL;
	struct vstate		 st;
	struct rule_fail	 f;
	int			 ok, e, i;
	certa_rc		 rc = CERTA_OK;

	memset(&f, 0, sizeof(f));
	f.depth = -1;
	*drop = -1;
	st.pol = pol;
	st.crl_strict = crl_strict;
	CERTA_OSSL((vc = X509_STORE_CTX_new()) != NULL, CERTA_E_NOMEM,
	    "allocate verification context");
	CERTA_OSSL(X509_STORE_CTX_init(vc, store, leaf, untrusted),
	    CERTA_E_CRYPTO, "start verification");
	if (sk_X509_CRL_num(crls) > 0)
		X509_STORE_CTX_set0_crls(vc, crls);
	X509_STORE_CTX_set_app_data(vc, &st);
	X509_STORE_CTX_set_verify_cb(vc, verify_cb);
	CERTA_TRY(set_params(vc, pol, crl_strict || sk_X509_CRL_num(crls) > 0,
	    err));

	ok = X509_verify_cert(vc);
	chain = X509_STORE_CTX_get0_chain(vc);
	if (ok == 1 && kp != NULL && kp->above != NULL) {
		/*
		 * A known path: exactly [leaf, I] (a longer one, through
		 * certificates the peer sent, is left to the full check),
		 * and the rest of it as if OpenSSL had built it.
		 */
		if (sk_X509_num(chain) != 2) {
			verdict_set(v, false, "untrusted", "not a known path");
			goto out;
		}
		CERTA_OSSL((whole = sk_X509_dup(chain)) != NULL &&
		    sk_X509_push(whole, kp->above), CERTA_E_NOMEM,
		    "copy chain");
		chain = whole;
	}
	verdict_chain(v, chain);
	if (ok != 1) {
		e = X509_STORE_CTX_get_error(vc);
		if (e == X509_V_OK)
			e = X509_V_ERR_UNSPECIFIED;
		verdict_set(v, false, reason_of(e), "%s (depth %d)",
		    X509_verify_cert_error_string(e),
		    X509_STORE_CTX_get_error_depth(vc));
		if (X509_STORE_CTX_get_error_depth(vc) > 0)
			*drop = sk_find_cert(untrusted,
			    X509_STORE_CTX_get_current_cert(vc));
		goto out;
	}
	if (!chain_rules(chain, crls, pol->purpose == CERTA_PURPOSE_SERVER,
	    pol->policy_check, &f) || !sig_requirements(chain, pol, &f) ||
	    !leaf_requirements(leaf, pol, &f)) {
		verdict_set(v, false, f.reason, "%s", f.msg);
		if (f.depth > 0 && f.depth < sk_X509_num(chain))
			*drop = sk_find_cert(untrusted,
			    sk_X509_value(chain, f.depth));
		goto out;
	}
	if (fast && !crl_fast(s, chain, pol, &f)) {
		verdict_set(v, false, f.reason, "%s", f.msg);
		goto out;
	}
	if (pol->mode == CERTA_MODE_CERTA_CA) {
		/* certa's own revocation state, every issued cert. */
		for (i = 0; i + 1 < sk_X509_num(chain); i++) {
			X509			*x = sk_X509_value(chain, i);
			const struct trust_revoked *r;

			r = certa_snap_revoked(s, X509_get_issuer_name(x),
			    X509_get0_serialNumber(x));
			if (r != NULL) {
				char when[21];

				certa_time_format(r->revoked_at, when);
				verdict_set(v, false, "revoked", "revoked at "
				    "%s (%s)%s", when,
				    certa_reason_name(r->reason),
				    i > 0 ? " (an issuing CA)" : "");
				goto out;
			}
		}
	}
	verdict_set(v, true, "ok", "certificate is valid");
	if (kp != NULL && kp->record)
		known_path_record(s, chain, pol);
out:
	sk_X509_free(whole);
	X509_STORE_CTX_free(vc);
	ERR_clear_error();
	return rc;
}

/*
 * Path building with bounded backtracking: OpenSSL 3.0 builds one path; when
 * it fails because of an intermediate the peer (or the issuer list) gave,
 * try again without that intermediate, up to PATH_RETRIES times.  Any path
 * accepted is fully validated; the verdict of a refusal is the first one.
 */
static certa_rc
run_chain(const struct certa_snapshot *s, X509_STORE *store, X509 *leaf,
    STACK_OF(X509) *untrusted, STACK_OF(X509_CRL) *crls, bool crl_strict,
    bool fast, const struct known_path *kp,
    const struct certa_verify_policy *pol, struct certa_trust_verdict *v,
    struct certa_err *err)
{
	STACK_OF(X509)			*work = NULL;	/* elements borrowed */
	struct certa_trust_verdict	 first, cur;
	char				 fp[sizeof(v->fingerprint)];
	int				 drop, attempt;
	certa_rc			 rc = CERTA_OK;

	memset(&first, 0, sizeof(first));
	memset(&cur, 0, sizeof(cur));
	memcpy(fp, v->fingerprint, sizeof(fp));
	CERTA_OSSL((work = sk_X509_dup(untrusted)) != NULL, CERTA_E_NOMEM,
	    "copy chain candidates");
	for (attempt = 0; attempt <= PATH_RETRIES; attempt++) {
		CERTA_TRY(run_once(s, store, leaf, work, crls, crl_strict,
		    fast, kp, pol, &cur, &drop, err));
		if (cur.valid) {
			certa_trust_verdict_clear(&first);
			first = cur;		/* moves: the success wins */
			memset(&cur, 0, sizeof(cur));
			break;
		}
		if (attempt == 0) {
			first = cur;		/* moves */
			memset(&cur, 0, sizeof(cur));
		} else {
			certa_trust_verdict_clear(&cur);
		}
		if (drop < 0)
			break;
		(void)sk_X509_delete(work, drop);
	}
	certa_trust_verdict_clear(v);
	*v = first;			/* moves to caller */
	memset(&first, 0, sizeof(first));
	memcpy(v->fingerprint, fp, sizeof(fp));
out:
	certa_trust_verdict_clear(&first);
	certa_trust_verdict_clear(&cur);
	sk_X509_free(work);
	return rc;
}

/*
 * certa_ca mode: the check on a known path (see "HOW IT WORKS: known
 * paths").  *done when it accepted leaf (v holds the verdict); otherwise
 * v is untouched and the full check must run.
 */
static certa_rc
known_path_check(const struct certa_snapshot *s, X509 *leaf,
    STACK_OF(X509) *untrusted, const struct certa_verify_policy *pol,
    struct certa_trust_verdict *v, bool *done, struct certa_err *err)
{
	const struct trust_cert		*cand[LOOKUP_MAX];
	struct certa_trust_verdict	 tv;
	struct known_path		 kp = { NULL, false };
	X509_STORE			*store = NULL;
	X509				*ca, *root;
	uint32_t			 bit = 1u << (unsigned)pol->purpose, a;
	size_t				 i, n;
	certa_rc			 rc = CERTA_OK;

	*done = false;
	memset(&tv, 0, sizeof(tv));
	n = certa_snap_by_subject(s, TRUST_POOL_CERTA_CA,
	    X509_get_issuer_name(leaf), cand, LOOKUP_MAX);
	for (i = 0; i < n && i < LOOKUP_MAX; i++) {
		if ((atomic_load(&cand[i]->path_purposes) & bit) == 0 ||
		    (a = atomic_load(&cand[i]->path_anchor)) == 0 ||
		    a > s->ncerts)
			continue;
		root = certa_snap_cert(&s->certs[a - 1]);
		if ((ca = certa_snap_cert(cand[i])) == NULL || root == NULL ||
		    at_time_cmp(X509_get0_notBefore(root), 0) > 0 ||
		    at_time_cmp(X509_get0_notAfter(root), 0) <= 0)
			continue;
		if (kp.above != NULL && kp.above != root)
			goto out;	/* two anchors: the full check decides */
		kp.above = root;
		if (store == NULL)
			CERTA_OSSL((store = X509_STORE_new()) != NULL,
			    CERTA_E_NOMEM, "allocate store");
		CERTA_OSSL(X509_STORE_add_cert(store, ca), CERTA_E_CRYPTO,
		    "add trust anchor");
	}
	if (store == NULL)
		goto out;
	memcpy(tv.fingerprint, v->fingerprint, sizeof(tv.fingerprint));
	CERTA_TRY(run_chain(s, store, leaf, untrusted, NULL, false, false, &kp,
	    pol, &tv, err));
	if (tv.valid && tv.nchain == 3) {
		certa_trust_verdict_clear(v);
		*v = tv;			/* moves */
		memset(&tv, 0, sizeof(tv));
		*done = true;
	}
out:
	certa_trust_verdict_clear(&tv);
	X509_STORE_free(store);
	if (rc != CERTA_OK) {
		/* Nothing decided here: the full check runs (and reports). */
		certa_err_clear(err);
		rc = CERTA_OK;
	}
	return rc;
}

/* The checks on arguments both entry points make. */
static certa_rc
validate_args(const struct certa_snapshot *s,
    const struct certa_verify_policy *pol, struct certa_trust_verdict *v,
    size_t nchain, const uint8_t *const *chain, const size_t *chain_len,
    size_t ncrls, const uint8_t *const *crls, const size_t *crl_len,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(v != NULL && pol != NULL, CERTA_E_INVAL,
	    "validate: no policy or no verdict");
	memset(v, 0, sizeof(*v));
	CERTA_CHECK(s != NULL || pol->mode == CERTA_MODE_ACCEPT_ANY,
	    CERTA_E_INVAL, "validate: no snapshot");
	CERTA_CHECK(nchain == 0 || (chain != NULL && chain_len != NULL),
	    CERTA_E_INVAL, "validate: chain without lengths");
	CERTA_CHECK(ncrls == 0 || (crls != NULL && crl_len != NULL),
	    CERTA_E_INVAL, "validate: CRLs without lengths");
	CERTA_CHECK(ncrls <= GATHER_MAX_CRLS, CERTA_E_PARSE,
	    "too many CRLs for one check");
	CERTA_TRY(policy_check_names(pol, err));
out:
	return rc;
}

/*
 * The checks proper, on parsed input: leaf (a reference the call takes),
 * its DER, untrusted and crlsk (stacks the call takes, with their
 * elements).  ncrls: how many CRLs the caller gave for this check.
 */
static certa_rc
validate_parsed(const struct certa_snapshot *s, X509 *leaf,
    const uint8_t *leaf_der, size_t leaf_len, STACK_OF(X509) *untrusted,
    STACK_OF(X509_CRL) *crlsk, size_t ncrls,
    const struct certa_verify_policy *pol, struct certa_trust_verdict *v,
    struct certa_err *err)
{
	X509_STORE		*store = NULL, *sys = NULL;
	STACK_OF(X509)		*trusted = NULL;   /* owns elements */
	struct known_path	 kp = { NULL, false };
	size_t			 i;
	bool			 fast, done = false;
	certa_rc		 rc = CERTA_OK;

	certa_fingerprint(leaf_der, leaf_len, false, v->fingerprint);
	if ((size_t)sk_X509_num(untrusted) > GATHER_MAX) {
		verdict_set(v, false, "chain_too_long", "the peer sent %d "
		    "certificates (at most %d)", sk_X509_num(untrusted),
		    GATHER_MAX);
		goto out;
	}
	CERTA_OSSL((trusted = sk_X509_new_null()) != NULL, CERTA_E_NOMEM,
	    "allocate validation stacks");
	switch (pol->mode) {
	case CERTA_MODE_ACCEPT_ANY:
		CERTA_OSSL(sk_X509_insert(untrusted, leaf, 0), CERTA_E_NOMEM,
		    "collect chain");
		verdict_chain(v, untrusted);
		(void)sk_X509_shift(untrusted);
		verdict_set(v, true, "ok", "accept_any: not validated");
		break;
	case CERTA_MODE_TRUSTED_LIST:
		CERTA_OSSL(sk_X509_insert(untrusted, leaf, 0), CERTA_E_NOMEM,
		    "collect chain");
		verdict_chain(v, untrusted);
		(void)sk_X509_shift(untrusted);
		mode_trusted_list(s, leaf, leaf_der, leaf_len, pol, v);
		break;
	case CERTA_MODE_SYSTEM:
		CERTA_TRY(certa_snap_system_store(s, &sys, err));
		CERTA_TRY(run_chain(s, sys, leaf, untrusted, crlsk,
		    ncrls > 0 || pol->require_crl, false, NULL, pol, v, err));
		break;
	case CERTA_MODE_TRUSTED_CA:
	case CERTA_MODE_CERTA_CA:
		kp.record = pol->mode == CERTA_MODE_CERTA_CA &&
		    known_path_usable(pol, ncrls, crlsk);
		if (kp.record) {
			CERTA_TRY(known_path_check(s, leaf, untrusted, pol, v,
			    &done, err));
			if (done)
				break;
		}
		if (pol->mode == CERTA_MODE_TRUSTED_CA)
			CERTA_TRY(gather(s, TRUST_POOL_TRUSTED,
			    TRUST_POOL_ISSUER, leaf, untrusted, trusted, crlsk,
			    err));
		else
			CERTA_TRY(gather(s, TRUST_POOL_CERTA_ANCHOR,
			    TRUST_POOL_CERTA_CA, leaf, untrusted, trusted,
			    NULL, err));
		/*
		 * The few anchors of this check go into a store of their
		 * own: OpenSSL validates a CRL issuer's path against the
		 * store, not against a trusted stack.
		 */
		CERTA_OSSL((store = X509_STORE_new()) != NULL, CERTA_E_NOMEM,
		    "allocate store");
		for (i = 0; i < (size_t)sk_X509_num(trusted); i++)
			CERTA_OSSL(X509_STORE_add_cert(store,
			    sk_X509_value(trusted, i)), CERTA_E_CRYPTO,
			    "add trust anchor");
		/*
		 * Only the snapshot's complete, direct CRLs: checked by
		 * crl_fast (signatures verified once), not by OpenSSL.
		 */
		fast = pol->mode == CERTA_MODE_TRUSTED_CA && ncrls == 0 &&
		    crls_all_simple(s, crlsk);
		if (fast)
			while (sk_X509_CRL_num(crlsk) > 0)
				X509_CRL_free(sk_X509_CRL_pop(crlsk));
		CERTA_TRY(run_chain(s, store, leaf, untrusted, crlsk,
		    !fast && (ncrls > 0 || pol->require_crl), fast, &kp, pol,
		    v, err));
		break;
	default:
		CERTA_FAIL(CERTA_E_INVAL, "unknown validation mode");
	}
out:
	if (rc != CERTA_OK && v != NULL)
		certa_trust_verdict_clear(v);
	X509_free(leaf);
	sk_X509_pop_free(untrusted, X509_free);
	sk_X509_pop_free(trusted, X509_free);
	sk_X509_CRL_pop_free(crlsk, X509_CRL_free);
	X509_STORE_free(store);
	ERR_clear_error();
	return rc;
}

certa_rc
certa_trust_validate(const struct certa_snapshot *s, const uint8_t *leaf_der,
    size_t leaf_len, const uint8_t *const *chain, const size_t *chain_len,
    size_t nchain, const uint8_t *const *crls, const size_t *crl_len,
    size_t ncrls, const struct certa_verify_policy *pol,
    struct certa_trust_verdict *v, struct certa_err *err)
{
	X509			*leaf = NULL, *x = NULL;
	X509_CRL		*crl = NULL;
	STACK_OF(X509)		*untrusted = NULL; /* owns elements */
	STACK_OF(X509_CRL)	*crlsk = NULL;	   /* owns elements */
	size_t			 i;
	certa_rc		 rc = CERTA_OK;

	CERTA_TRY(validate_args(s, pol, v, nchain, chain, chain_len, ncrls,
	    crls, crl_len, err));
	CERTA_TRY(parse_cert(leaf_der, leaf_len, "peer certificate", &leaf,
	    err));
	if (nchain > GATHER_MAX) {
		certa_fingerprint(leaf_der, leaf_len, false, v->fingerprint);
		verdict_set(v, false, "chain_too_long", "the peer sent %zu "
		    "certificates (at most %d)", nchain, GATHER_MAX);
		goto out;
	}
	CERTA_OSSL((untrusted = sk_X509_new_null()) != NULL &&
	    (crlsk = sk_X509_CRL_new_null()) != NULL, CERTA_E_NOMEM,
	    "allocate validation stacks");
	for (i = 0; i < nchain; i++) {
		CERTA_TRY(parse_cert(chain[i], chain_len[i], "chain "
		    "certificate", &x, err));
		CERTA_OSSL(sk_X509_push(untrusted, x), CERTA_E_NOMEM,
		    "collect chain");
		x = NULL;
	}
	for (i = 0; i < ncrls; i++) {
		CERTA_TRY(parse_crl(crls[i], crl_len[i], &crl, err));
		CERTA_OSSL(sk_X509_CRL_push(crlsk, crl), CERTA_E_NOMEM,
		    "collect CRLs");
		crl = NULL;
	}
	rc = validate_parsed(s, leaf, leaf_der, leaf_len, untrusted, crlsk,
	    ncrls, pol, v, err);
	leaf = NULL;
	untrusted = NULL;
	crlsk = NULL;
out:
	X509_free(x);
	X509_CRL_free(crl);
	X509_free(leaf);
	sk_X509_pop_free(untrusted, X509_free);
	sk_X509_CRL_pop_free(crlsk, X509_CRL_free);
	ERR_clear_error();
	return rc;
}

certa_rc
certa_trust_validate_x509(const struct certa_snapshot *s, X509 *leaf,
    STACK_OF(X509) *chain, const struct certa_verify_policy *pol,
    struct certa_trust_verdict *v, struct certa_err *err)
{
	STACK_OF(X509)		*untrusted = NULL;
	STACK_OF(X509_CRL)	*crlsk = NULL;
	uint8_t			*der = NULL;
	X509			*x;
	int			 i, n;
	certa_rc		 rc = CERTA_OK;

	CERTA_TRY(validate_args(s, pol, v, 0, NULL, NULL, 0, NULL, NULL,
	    err));
	CERTA_CHECK(leaf != NULL, CERTA_E_INVAL, "validate: no leaf");
	/* The parsed certificate keeps its encoding: no re-encoding. */
	CERTA_OSSL((n = i2d_X509(leaf, &der)) > 0, CERTA_E_PARSE,
	    "peer certificate");
	CERTA_OSSL((untrusted = sk_X509_new_null()) != NULL &&
	    (crlsk = sk_X509_CRL_new_null()) != NULL, CERTA_E_NOMEM,
	    "allocate validation stacks");
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		x = sk_X509_value(chain, i);
		if (X509_cmp(x, leaf) == 0)
			continue;	/* TLS stacks may hold the leaf */
		CERTA_OSSL(X509_up_ref(x) && sk_X509_push(untrusted, x),
		    CERTA_E_NOMEM, "collect chain");
	}
	CERTA_OSSL(X509_up_ref(leaf), CERTA_E_INTERNAL, "leaf reference");
	rc = validate_parsed(s, leaf, der, (size_t)n, untrusted, crlsk, 0,
	    pol, v, err);
	untrusted = NULL;
	crlsk = NULL;
out:
	OPENSSL_free(der);
	sk_X509_pop_free(untrusted, X509_free);
	sk_X509_CRL_pop_free(crlsk, X509_CRL_free);
	return rc;
}
