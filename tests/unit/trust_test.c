/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The validation engine (certa_trust_validate) and snapshots: every mode
 * and reason code, a negative case next to each positive one, on chains
 * built here with OpenSSL; the bundle decoder; and a concurrency test in
 * which validators run continuously while another thread builds and swaps
 * snapshots thousands of times (no wrong verdict, clean under ASan).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <certa/trust.h>
#include <certa/x509.h>
#include <certa/util.h>

static struct certa_err	E;

#define OK(e)		RC((e), CERTA_OK)
#define RC(e, want) do {						\
	certa_rc	r_;						\
									\
	certa_err_clear(&E);						\
	r_ = (e);							\
	if (r_ != (want))						\
		fail_msg("%s = %s, want %s (%s)", #e, certa_rc_name(r_),\
		    certa_rc_name(want), E.msg);			\
} while (0)

/* --- building certificates and CRLs --------------------------------- */

struct mk {
	const char	*cn;
	bool		 ca;
	const char	*ku;		/* keyUsage value or NULL */
	const char	*eku;		/* extendedKeyUsage value or NULL */
	const char	*san;		/* subjectAltName value or NULL */
	const char	*nc;		/* nameConstraints value or NULL */
	bool		 zero_serial;
	bool		 no_aki;
	long		 nb, na;	/* validity, seconds from now */
};

static long	serial_ctr = 0x10001;

static EVP_PKEY *
key_new(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

static void
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *val)
{
	X509_EXTENSION	*e;

	e = X509V3_EXT_conf_nid(NULL, ctx, nid, val);
	if (e == NULL)
		fail_msg("extension %s=%s", OBJ_nid2sn(nid), val);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A certificate for key, issued by issuer/ikey (self-signed when NULL). */
static X509 *
mk(const struct mk *m, X509 *issuer, EVP_PKEY *ikey, EVP_PKEY *key)
{
	X509		*x = X509_new();
	X509_NAME	*n = X509_NAME_new();
	X509V3_CTX	 ctx;
	long		 na = m->na != 0 ? m->na : 30L * 86400;

	assert_non_null(x);
	assert_non_null(n);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x),
	    m->zero_serial ? 0 : serial_ctr++), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)m->cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_subject_name(x, n), 1);
	assert_int_equal(X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : n), 1);
	X509_NAME_free(n);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x),
	    m->nb != 0 ? m->nb : -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), na));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	add_ext(x, &ctx, NID_basic_constraints, m->ca ? "critical,CA:TRUE" :
	    "critical,CA:FALSE");
	add_ext(x, &ctx, NID_key_usage, m->ku != NULL ? m->ku : m->ca ?
	    "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	if (m->eku != NULL)
		add_ext(x, &ctx, NID_ext_key_usage, m->eku);
	add_ext(x, &ctx, NID_subject_key_identifier, "hash");
	if (issuer != NULL && !m->no_aki)
		add_ext(x, &ctx, NID_authority_key_identifier,
		    "keyid:always");
	if (m->san != NULL)
		add_ext(x, &ctx, NID_subject_alt_name, m->san);
	if (m->nc != NULL)
		add_ext(x, &ctx, NID_name_constraints, m->nc);
	assert_true(X509_sign(x, issuer != NULL ? ikey : key,
	    EVP_sha256()) > 0);
	return x;
}

/* A CRL of issuer revoking serials, valid from last to next (from now). */
static X509_CRL *
mk_crl_at(X509 *issuer, EVP_PKEY *ikey, X509 **revoked, size_t n,
    bool with_number, long last, long next)
{
	X509_CRL	*c = X509_CRL_new();
	ASN1_TIME	*t = ASN1_TIME_new();
	ASN1_INTEGER	*num = ASN1_INTEGER_new();
	size_t		 i;

	assert_non_null(c);
	assert_int_equal(X509_CRL_set_version(c, 1), 1);
	assert_int_equal(X509_CRL_set_issuer_name(c,
	    X509_get_subject_name(issuer)), 1);
	assert_non_null(X509_gmtime_adj(t, last));
	assert_int_equal(X509_CRL_set1_lastUpdate(c, t), 1);
	assert_non_null(X509_gmtime_adj(t, next));
	assert_int_equal(X509_CRL_set1_nextUpdate(c, t), 1);
	for (i = 0; i < n; i++) {
		X509_REVOKED *r = X509_REVOKED_new();

		assert_non_null(X509_gmtime_adj(t, -60));
		assert_int_equal(X509_REVOKED_set_serialNumber(r,
		    X509_get_serialNumber(revoked[i])), 1);
		assert_int_equal(X509_REVOKED_set_revocationDate(r, t), 1);
		assert_int_equal(X509_CRL_add0_revoked(c, r), 1);
	}
	if (with_number) {
		assert_int_equal(ASN1_INTEGER_set(num, 7), 1);
		assert_int_equal(X509_CRL_add1_ext_i2d(c, NID_crl_number, num,
		    0, 0), 1);
	}
	assert_int_equal(X509_CRL_sort(c), 1);
	assert_true(X509_CRL_sign(c, ikey, EVP_sha256()) > 0);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(num);
	return c;
}

/* A CRL of issuer revoking serials (none when n == 0), current. */
static X509_CRL *
mk_crl(X509 *issuer, EVP_PKEY *ikey, X509 **revoked, size_t n,
    bool with_number)
{
	return mk_crl_at(issuer, ikey, revoked, n, with_number, -3600,
	    7 * 86400);
}

struct der {
	uint8_t	*p;
	size_t	 n;
};

static struct der
der_of(X509 *x)
{
	struct der	d = { NULL, 0 };
	int		len = i2d_X509(x, &d.p);

	assert_true(len > 0);
	d.n = (size_t)len;
	return d;
}

static struct der
crl_der(X509_CRL *c)
{
	struct der	d = { NULL, 0 };
	int		len = i2d_X509_CRL(c, &d.p);

	assert_true(len > 0);
	d.n = (size_t)len;
	return d;
}

static void
der_free(struct der *d)
{
	OPENSSL_free(d->p);
	d->p = NULL;
}

/* A snapshot from lists of certificates and CRLs (NULL-terminated). */
static struct certa_snapshot *
snap(X509 **trusted, X509 **issuers, X509 **rejected, X509_CRL **crls,
    uint64_t gen)
{
	struct certa_snapshot_builder	*b = NULL;
	struct certa_snapshot		*s = NULL;
	struct der			 d;
	size_t				 i;

	OK(certa_snapshot_builder_new(&b, &E));
	for (i = 0; trusted != NULL && trusted[i] != NULL; i++) {
		d = der_of(trusted[i]);
		OK(certa_snapshot_add_cert(b, CERTA_LIST_TRUSTED, d.p, d.n,
		    "t", &E));
		der_free(&d);
	}
	for (i = 0; issuers != NULL && issuers[i] != NULL; i++) {
		d = der_of(issuers[i]);
		OK(certa_snapshot_add_cert(b, CERTA_LIST_ISSUER, d.p, d.n,
		    NULL, &E));
		der_free(&d);
	}
	for (i = 0; rejected != NULL && rejected[i] != NULL; i++) {
		d = der_of(rejected[i]);
		OK(certa_snapshot_add_cert(b, CERTA_LIST_REJECTED, d.p, d.n,
		    NULL, &E));
		der_free(&d);
	}
	for (i = 0; crls != NULL && crls[i] != NULL; i++) {
		d = crl_der(crls[i]);
		OK(certa_snapshot_add_crl(b, d.p, d.n, &E));
		der_free(&d);
	}
	OK(certa_snapshot_build(b, gen, &s, &E));
	return s;
}

/*
 * Validate leaf (+ chain, NULL-terminated; + crls) under p and return the
 * verdict's validity; reason must match.
 */
static bool
check(const struct certa_snapshot *s, X509 *leaf, X509 **chain,
    X509_CRL **crls, const struct certa_verify_policy *p, const char *reason)
{
	struct certa_trust_verdict	 v;
	struct der			 l = der_of(leaf), c[8], r[8];
	const uint8_t			*cp[8], *rp[8];
	size_t				 cl[8], rl[8], nc = 0, nr = 0, i;
	bool				 valid;

	for (; chain != NULL && chain[nc] != NULL; nc++) {
		c[nc] = der_of(chain[nc]);
		cp[nc] = c[nc].p;
		cl[nc] = c[nc].n;
	}
	for (; crls != NULL && crls[nr] != NULL; nr++) {
		r[nr] = crl_der(crls[nr]);
		rp[nr] = r[nr].p;
		rl[nr] = r[nr].n;
	}
	OK(certa_trust_validate(s, l.p, l.n, cp, cl, nc, rp, rl, nr, p, &v,
	    &E));
	assert_int_equal(ERR_peek_error(), 0);
	if (reason != NULL && strcmp(v.reason, reason) != 0)
		fail_msg("reason %s (%s), want %s", v.reason, v.message,
		    reason);
	assert_int_equal(strlen(v.fingerprint), 64);
	valid = v.valid;
	assert_int_equal(valid, strcmp(v.reason, "ok") == 0);
	if (nr == 0) {
		/* The parsed-certificate entry point gives the same verdict
		 * (the chain as a TLS stack: the leaf included). */
		struct certa_trust_verdict	 v2;
		STACK_OF(X509)			*sk = sk_X509_new_null();

		assert_non_null(sk);
		assert_true(sk_X509_push(sk, leaf) > 0);
		for (i = 0; i < nc; i++)
			assert_true(sk_X509_push(sk, chain[i]) > 0);
		OK(certa_trust_validate_x509(s, leaf, sk, p, &v2, &E));
		assert_int_equal(v2.valid, v.valid);
		assert_string_equal(v2.reason, v.reason);
		assert_string_equal(v2.fingerprint, v.fingerprint);
		certa_trust_verdict_clear(&v2);
		sk_X509_free(sk);
	}
	certa_trust_verdict_clear(&v);
	der_free(&l);
	for (i = 0; i < nc; i++)
		der_free(&c[i]);
	for (i = 0; i < nr; i++)
		der_free(&r[i]);
	return valid;
}

static struct certa_verify_policy
pol(enum certa_trust_mode mode)
{
	struct certa_verify_policy	p;

	memset(&p, 0, sizeof(p));
	p.mode = mode;
	p.purpose = CERTA_PURPOSE_ANY;
	return p;
}

/* A root -> intermediate -> leaf chain shared by the tests. */
struct pki {
	EVP_PKEY	*rk, *ik, *lk, *xk;
	X509		*root, *inter, *leaf, *server, *other;
};

static struct pki P;

static int
group_setup(void **state)
{
	struct mk	r = { .cn = "Root", .ca = true, .na = 60L * 86400 };
	struct mk	i = { .cn = "Intermediate", .ca = true };
	struct mk	l = { .cn = "client", .eku = "clientAuth",
			    .san = "DNS:client.example.com,IP:10.0.0.1,"
			    "email:alice@example.com" };
	struct mk	sv = { .cn = "server", .eku = "serverAuth",
			    .san = "DNS:www.example.com" };
	struct mk	o = { .cn = "Other Root", .ca = true };

	(void)state;
	P.rk = key_new();
	P.ik = key_new();
	P.lk = key_new();
	P.xk = key_new();
	P.root = mk(&r, NULL, NULL, P.rk);
	P.inter = mk(&i, P.root, P.rk, P.ik);
	P.leaf = mk(&l, P.inter, P.ik, P.lk);
	P.server = mk(&sv, P.inter, P.ik, P.lk);
	P.other = mk(&o, NULL, NULL, P.xk);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	X509_free(P.root);
	X509_free(P.inter);
	X509_free(P.leaf);
	X509_free(P.server);
	X509_free(P.other);
	EVP_PKEY_free(P.rk);
	EVP_PKEY_free(P.ik);
	EVP_PKEY_free(P.lk);
	EVP_PKEY_free(P.xk);
	return 0;
}

/* --- tests ------------------------------------------------------------ */

static void
test_names_parse(void **state)
{
	enum certa_trust_mode	m;
	enum certa_trust_list	l;

	(void)state;
	OK(certa_trust_mode_parse("trusted_ca", &m, &E));
	assert_int_equal(m, CERTA_MODE_TRUSTED_CA);
	assert_string_equal(certa_trust_mode_name(CERTA_MODE_CERTA_CA),
	    "certa_ca");
	RC(certa_trust_mode_parse("nope", &m, &E), CERTA_E_INVAL);
	OK(certa_trust_list_parse("issuer", &l, &E));
	assert_int_equal(l, CERTA_LIST_ISSUER);
	RC(certa_trust_list_parse("x", &l, &E), CERTA_E_INVAL);
}

static void
test_accept_any(void **state)
{
	struct certa_verify_policy	p = pol(CERTA_MODE_ACCEPT_ANY);

	(void)state;
	assert_true(check(NULL, P.other, NULL, NULL, &p, "ok"));
	assert_true(check(NULL, P.leaf, NULL, NULL, &p, "ok"));
}

static void
test_trusted_list(void **state)
{
	X509				*t[] = { P.leaf, NULL };
	X509				*rj[] = { P.server, NULL };
	struct certa_snapshot		*s = snap(t, NULL, rj, NULL, 1);
	struct certa_verify_policy	 p = pol(CERTA_MODE_TRUSTED_LIST);

	(void)state;
	assert_int_equal(certa_snapshot_count(s, CERTA_LIST_TRUSTED), 1);
	assert_int_equal(certa_snapshot_count(s, CERTA_LIST_REJECTED), 1);
	assert_int_equal(certa_snapshot_generation(s), 1);
	assert_true(check(s, P.leaf, NULL, NULL, &p, "ok"));
	assert_false(check(s, P.other, NULL, NULL, &p, "untrusted"));
	assert_false(check(s, P.server, NULL, NULL, &p, "rejected"));
	p.at = time(NULL) + 90L * 86400;
	assert_false(check(s, P.leaf, NULL, NULL, &p, "expired"));
	p.skip_expiry = true;
	assert_true(check(s, P.leaf, NULL, NULL, &p, "ok"));
	p.skip_expiry = false;
	p.at = 978307200;	/* 2001 */
	assert_false(check(s, P.leaf, NULL, NULL, &p, "not_yet_valid"));
	p.at = 0;
	p.names[0].kind = CERTA_NAME_DNS;
	p.names[0].value = "nope.example.com";
	p.nnames = 1;
	assert_false(check(s, P.leaf, NULL, NULL, &p, "name_mismatch"));
	certa_snapshot_unref(s);
}

static void
test_trusted_ca(void **state)
{
	X509				*t[] = { P.root, NULL };
	X509				*is[] = { P.inter, NULL };
	X509				*ch[] = { P.inter, NULL };
	struct certa_snapshot		*s = snap(t, is, NULL, NULL, 2);
	struct certa_snapshot		*s2 = snap(t, NULL, NULL, NULL, 3);
	struct certa_verify_policy	 p = pol(CERTA_MODE_TRUSTED_CA);

	(void)state;
	/* Intermediate from the issuer list, or sent by the peer. */
	assert_true(check(s, P.leaf, NULL, NULL, &p, "ok"));
	assert_true(check(s2, P.leaf, ch, NULL, &p, "ok"));
	assert_false(check(s2, P.leaf, NULL, NULL, &p, "untrusted"));
	/* An issuer-list certificate is not an anchor. */
	{
		struct certa_snapshot *s3 = snap(NULL, is, NULL, NULL, 4);

		assert_false(check(s3, P.leaf, NULL, NULL, &p, "untrusted"));
		certa_snapshot_unref(s3);
	}
	/* Time. */
	p.at = time(NULL) + 45L * 86400;
	assert_false(check(s, P.leaf, NULL, NULL, &p, "expired"));
	p.at = 978307200;
	assert_false(check(s, P.leaf, NULL, NULL, &p, "not_yet_valid"));
	p.at = 0;
	/* Purpose and EKU. */
	p.purpose = CERTA_PURPOSE_CLIENT;
	assert_true(check(s, P.leaf, NULL, NULL, &p, "ok"));
	assert_false(check(s, P.server, NULL, NULL, &p, "wrong_purpose"));
	p.purpose = CERTA_PURPOSE_SERVER;
	assert_true(check(s, P.server, NULL, NULL, &p, "ok"));
	assert_false(check(s, P.leaf, NULL, NULL, &p, "wrong_purpose"));
	p.purpose = CERTA_PURPOSE_ANY;
	p.ekus[0] = "clientAuth";
	p.nekus = 1;
	assert_true(check(s, P.leaf, NULL, NULL, &p, "ok"));
	assert_false(check(s, P.server, NULL, NULL, &p, "wrong_purpose"));
	p.nekus = 0;
	p.key_usages[0] = "keyEncipherment";
	p.nkey_usages = 1;
	assert_false(check(s, P.leaf, NULL, NULL, &p, "wrong_purpose"));
	p.key_usages[0] = "digitalSignature";
	assert_true(check(s, P.leaf, NULL, NULL, &p, "ok"));
	p.nkey_usages = 0;
	/* Signature algorithms. */
	p.sig_algs[0] = "ECDSA_WITH_SHA256";
	p.nsig_algs = 1;
	assert_true(check(s, P.leaf, NULL, NULL, &p, "ok"));
	p.sig_algs[0] = "ECDSA_WITH_SHA384";
	assert_false(check(s, P.leaf, NULL, NULL, &p, "bad_signature"));
	p.nsig_algs = 0;
	/* Names. */
	p.names[0].kind = CERTA_NAME_DNS;
	p.names[0].value = "client.example.com";
	p.names[1].kind = CERTA_NAME_IP;
	p.names[1].value = "10.0.0.1";
	p.names[2].kind = CERTA_NAME_EMAIL;
	p.names[2].value = "alice@example.com";
	p.nnames = 3;
	assert_true(check(s, P.leaf, NULL, NULL, &p, "ok"));
	p.names[1].value = "10.0.0.2";
	assert_false(check(s, P.leaf, NULL, NULL, &p, "name_mismatch"));
	p.nnames = 0;
	/* Depth. */
	p.max_depth = CERTA_DEPTH_NONE;
	assert_false(check(s, P.leaf, NULL, NULL, &p, "chain_too_long"));
	p.max_depth = 1;
	assert_true(check(s, P.leaf, NULL, NULL, &p, "ok"));
	certa_snapshot_unref(s);
	certa_snapshot_unref(s2);
}

/* Append an extension with the given DER value to x and sign it again. */
static void
add_raw_ext(X509 *x, int nid, const char *der, int len)
{
	ASN1_OCTET_STRING	*os = ASN1_OCTET_STRING_new();
	X509_EXTENSION		*e;

	assert_non_null(os);
	assert_int_equal(ASN1_OCTET_STRING_set(os, (const unsigned char *)der,
	    len), 1);
	assert_non_null(e = X509_EXTENSION_create_by_NID(NULL, nid, 0, os));
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
	assert_true(X509_sign(x, P.ik, EVP_sha256()) > 0);
}

static void
test_bad_signature_and_rules(void **state)
{
	X509				*t[] = { P.root, NULL };
	X509				*is[] = { P.inter, NULL };
	struct certa_snapshot		*s = snap(t, is, NULL, NULL, 5);
	struct certa_verify_policy	 p = pol(CERTA_MODE_TRUSTED_CA);
	EVP_PKEY			*k = key_new();
	struct mk			 m = { .cn = "forged",
					    .eku = "clientAuth" };
	X509				*x;

	(void)state;
	/* Signed by a key that is not the intermediate's. */
	x = mk(&m, P.inter, k, k);
	assert_false(check(s, x, NULL, NULL, &p, "bad_signature"));
	X509_free(x);
	/* RFC 5280 4.1.2.2: serial zero. */
	m.zero_serial = true;
	x = mk(&m, P.inter, P.ik, k);
	assert_false(check(s, x, NULL, NULL, &p, "malformed"));
	X509_free(x);
	m.zero_serial = false;
	/* RFC 5280 4.2.1.1: no AKI. */
	m.no_aki = true;
	x = mk(&m, P.inter, P.ik, k);
	assert_false(check(s, x, NULL, NULL, &p, NULL));
	X509_free(x);
	m.no_aki = false;
	/* keyCertSign without cA. */
	m.ku = "critical,digitalSignature,keyCertSign";
	x = mk(&m, P.inter, P.ik, k);
	assert_false(check(s, x, NULL, NULL, &p, "malformed"));
	X509_free(x);
	m.ku = NULL;
	/* An invalid dNSName. */
	m.san = "DNS:bad_name.example.com";
	x = mk(&m, P.inter, P.ik, k);
	assert_false(check(s, x, NULL, NULL, &p, "malformed"));
	X509_free(x);
	m.san = "DNS:good.example.com";
	x = mk(&m, P.inter, P.ik, k);
	assert_true(check(s, x, NULL, NULL, &p, "ok"));
	/* RFC 5280 4.2: an extension OpenSSL knows that does not decode
	 * (authorityInfoAccess: a truncated SEQUENCE), and, valid, twice. */
	add_raw_ext(x, NID_info_access, "\x30\x03\x02\x01", 4);
	assert_false(check(s, x, NULL, NULL, &p, "malformed"));
	X509_free(x);
	x = mk(&m, P.inter, P.ik, k);
	add_raw_ext(x, NID_info_access, "\x30\x00", 2);
	assert_true(check(s, x, NULL, NULL, &p, "ok"));
	add_raw_ext(x, NID_info_access, "\x30\x00", 2);
	assert_false(check(s, x, NULL, NULL, &p, "malformed"));
	X509_free(x);
	EVP_PKEY_free(k);
	certa_snapshot_unref(s);
}

static void
test_name_constraints(void **state)
{
	EVP_PKEY			*ck = key_new(), *k = key_new();
	struct mk			 cm = { .cn = "Constrained", .ca = true,
					    .nc = "critical,permitted;"
					    "DNS:example.com,excluded;"
					    "DNS:bar.example.com" };
	struct mk			 m = { .cn = "leaf" };
	X509				*ca = mk(&cm, P.root, P.rk, ck), *x;
	X509				*t[] = { P.root, NULL };
	X509				*is[] = { ca, NULL };
	struct certa_snapshot		*s = snap(t, is, NULL, NULL, 6);
	struct certa_verify_policy	 p = pol(CERTA_MODE_TRUSTED_CA);

	(void)state;
	m.san = "DNS:a.example.com";
	x = mk(&m, ca, ck, k);
	assert_true(check(s, x, NULL, NULL, &p, "ok"));
	X509_free(x);
	m.san = "DNS:a.example.org";
	x = mk(&m, ca, ck, k);
	assert_false(check(s, x, NULL, NULL, &p, "name_constraints"));
	X509_free(x);
	/* A wildcard that could stand for an excluded name. */
	m.san = "DNS:*.example.com";
	x = mk(&m, ca, ck, k);
	assert_false(check(s, x, NULL, NULL, &p, "name_constraints"));
	X509_free(x);
	/* A CN that is a host name is checked as one. */
	m.san = NULL;
	m.cn = "x.bar.example.com";
	x = mk(&m, ca, ck, k);
	assert_false(check(s, x, NULL, NULL, &p, "name_constraints"));
	X509_free(x);
	certa_snapshot_unref(s);
	X509_free(ca);
	EVP_PKEY_free(ck);
	EVP_PKEY_free(k);
}

/* Two intermediates of one name: the first offered leads nowhere. */
static void
test_alternate_path(void **state)
{
	struct mk			 im = { .cn = "Intermediate",
					    .ca = true };
	X509				*dead = mk(&im, P.other, P.xk, P.ik);
	X509				*t[] = { P.root, NULL };
	X509				*ch[] = { dead, P.inter, NULL };
	X509				*only_dead[] = { dead, NULL };
	struct certa_snapshot		*s = snap(t, NULL, NULL, NULL, 13);
	struct certa_verify_policy	 p = pol(CERTA_MODE_TRUSTED_CA);

	(void)state;
	assert_true(check(s, P.leaf, ch, NULL, &p, "ok"));
	assert_false(check(s, P.leaf, only_dead, NULL, &p, "untrusted"));
	certa_snapshot_unref(s);
	X509_free(dead);
}

/* CA/B Forum BR 7.1.4.3 with the serverAuth purpose. */
static void
test_server_cn(void **state)
{
	EVP_PKEY			*k = key_new();
	struct mk			 m = { .cn = "WWW.example.com",
					    .eku = "serverAuth",
					    .san = "DNS:www.example.com" };
	X509				*t[] = { P.root, NULL };
	X509				*is[] = { P.inter, NULL };
	struct certa_snapshot		*s = snap(t, is, NULL, NULL, 14);
	struct certa_verify_policy	 p = pol(CERTA_MODE_TRUSTED_CA);
	X509				*x;

	(void)state;
	p.purpose = CERTA_PURPOSE_SERVER;
	x = mk(&m, P.inter, P.ik, k);
	assert_false(check(s, x, NULL, NULL, &p, "malformed"));
	X509_free(x);
	m.cn = "192.168.001.001";
	m.san = "IP:192.168.1.1";
	x = mk(&m, P.inter, P.ik, k);
	assert_false(check(s, x, NULL, NULL, &p, "malformed"));
	X509_free(x);
	m.cn = "192.168.1.1";
	x = mk(&m, P.inter, P.ik, k);
	assert_true(check(s, x, NULL, NULL, &p, "ok"));
	/* Client certificates are not held to the web PKI's profile. */
	p.purpose = CERTA_PURPOSE_ANY;
	assert_true(check(s, x, NULL, NULL, &p, "ok"));
	X509_free(x);
	EVP_PKEY_free(k);
	certa_snapshot_unref(s);
}

static void
test_crls(void **state)
{
	X509				*rv[] = { P.leaf, NULL };
	X509_CRL	*ic = mk_crl(P.inter, P.ik, rv, 1, true);
	X509_CRL	*rc = mk_crl(P.root, P.rk, NULL, 0, true);
	X509_CRL			*nonum = mk_crl(P.inter, P.ik, NULL, 0,
					    false);
	X509_CRL			*empty = mk_crl(P.inter, P.ik, NULL, 0,
					    true);
	X509				*t[] = { P.root, NULL };
	X509				*is[] = { P.inter, NULL };
	X509_CRL			*both[] = { ic, rc, NULL };
	X509_CRL			*ok[] = { empty, rc, NULL };
	X509_CRL			*bad[] = { nonum, rc, NULL };
	X509_CRL			*only_root[] = { rc, NULL };
	struct certa_snapshot		*s = snap(t, is, NULL, NULL, 7);
	struct certa_snapshot		*sc = snap(t, is, NULL, both, 8);
	struct certa_verify_policy	 p = pol(CERTA_MODE_TRUSTED_CA);

	(void)state;
	/* CRLs given with the check. */
	assert_false(check(s, P.leaf, NULL, both, &p, "revoked"));
	assert_true(check(s, P.server, NULL, both, &p, "ok"));
	assert_true(check(s, P.leaf, NULL, ok, &p, "ok"));
	assert_false(check(s, P.leaf, NULL, bad, &p, "crl_invalid"));
	assert_false(check(s, P.leaf, NULL, only_root, &p, "crl_missing"));
	/* CRLs of the snapshot. */
	assert_false(check(sc, P.leaf, NULL, NULL, &p, "revoked"));
	assert_true(check(sc, P.server, NULL, NULL, &p, "ok"));
	/* No CRL in the store: fine, unless one is required. */
	assert_true(check(s, P.leaf, NULL, NULL, &p, "ok"));
	p.require_crl = true;
	assert_false(check(s, P.leaf, NULL, NULL, &p, "crl_missing"));
	assert_true(check(sc, P.server, NULL, NULL, &p, "ok"));
	certa_snapshot_unref(s);
	certa_snapshot_unref(sc);
	X509_CRL_free(ic);
	X509_CRL_free(rc);
	X509_CRL_free(nonum);
	X509_CRL_free(empty);
}

/* The snapshot's own CRLs (checked by validate.c, not OpenSSL). */
static void
test_store_crls(void **state)
{
	X509			*rv[] = { P.leaf, NULL };
	EVP_PKEY		*k = key_new();
	X509_CRL		*rc = mk_crl(P.root, P.rk, NULL, 0, true);
	X509_CRL		*old = mk_crl_at(P.inter, P.ik, rv, 1, true,
				    -9 * 86400, -86400);
	X509_CRL		*forged = mk_crl(P.inter, k, NULL, 0, true);
	X509_CRL		*now = mk_crl(P.inter, P.ik, rv, 1, true);
	X509			*t[] = { P.root, NULL };
	X509			*is[] = { P.inter, NULL };
	X509_CRL		*c1[] = { old, rc, NULL };
	X509_CRL		*c2[] = { forged, rc, NULL };
	X509_CRL		*c3[] = { old, now, forged, rc, NULL };
	struct certa_snapshot	*s1 = snap(t, is, NULL, c1, 20);
	struct certa_snapshot	*s2 = snap(t, is, NULL, c2, 21);
	struct certa_snapshot	*s3 = snap(t, is, NULL, c3, 22);
	struct certa_verify_policy p = pol(CERTA_MODE_TRUSTED_CA);
	int			 i;

	(void)state;
	/* Only an expired CRL: refused. */
	assert_false(check(s1, P.server, NULL, NULL, &p, "crl_invalid"));
	/* A CRL not signed by the issuer does not count. */
	assert_true(check(s2, P.leaf, NULL, NULL, &p, "ok"));
	p.require_crl = true;
	assert_false(check(s2, P.leaf, NULL, NULL, &p, "crl_missing"));
	/* The current CRL wins over the expired one; twice (cached). */
	for (i = 0; i < 2; i++) {
		assert_false(check(s3, P.leaf, NULL, NULL, &p, "revoked"));
		assert_true(check(s3, P.server, NULL, NULL, &p, "ok"));
	}
	certa_snapshot_unref(s1);
	certa_snapshot_unref(s2);
	certa_snapshot_unref(s3);
	X509_CRL_free(rc);
	X509_CRL_free(old);
	X509_CRL_free(forged);
	X509_CRL_free(now);
	EVP_PKEY_free(k);
}

/* certa_ca mode: P.root certa's root, P.inter its issuing CA, P.leaf
 * revoked. */
static struct certa_snapshot *
certa_ca_snap(uint64_t generation)
{
	struct certa_snapshot_builder	*b = NULL;
	struct certa_snapshot		*s = NULL;
	struct der			 r = der_of(P.root);
	struct der			 i = der_of(P.inter);
	char				*hex;
	BIGNUM				*bn;

	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(P.leaf), NULL);
	hex = BN_bn2hex(bn);
	OK(certa_snapshot_builder_new(&b, &E));
	OK(certa_snapshot_add_certa_ca(b, r.p, r.n, true, &E));
	OK(certa_snapshot_add_certa_ca(b, i.p, i.n, false, &E));
	OK(certa_snapshot_add_revoked(b, i.p, i.n, hex, 1700000000, 1, &E));
	RC(certa_snapshot_add_revoked(b, i.p, i.n, "xyz", 0, 0, &E),
	    CERTA_E_INVAL);
	OK(certa_snapshot_build(b, generation, &s, &E));
	OPENSSL_free(hex);
	BN_free(bn);
	der_free(&r);
	der_free(&i);
	return s;
}

static void
test_certa_ca(void **state)
{
	struct certa_snapshot		*s = certa_ca_snap(9);
	struct certa_verify_policy	 p = pol(CERTA_MODE_CERTA_CA);

	(void)state;
	assert_false(check(s, P.leaf, NULL, NULL, &p, "revoked"));
	assert_true(check(s, P.server, NULL, NULL, &p, "ok"));
	assert_false(check(s, P.other, NULL, NULL, &p, "untrusted"));
	/* The trust lists play no part in certa_ca mode. */
	{
		X509			*t[] = { P.other, NULL };
		struct certa_snapshot	*s2 = snap(t, NULL, NULL, NULL, 10);

		assert_false(check(s2, P.server, NULL, NULL, &p,
		    "untrusted"));
		certa_snapshot_unref(s2);
	}
	certa_snapshot_unref(s);
}

/*
 * certa_ca mode learns that its issuing CA's path holds (validate.c,
 * "known paths"): later checks take the short path and must give the
 * full check's verdicts, chain included, and refuse what it refuses.
 */
static void
validate_one(const struct certa_snapshot *s, X509 *leaf,
    const struct certa_verify_policy *p, struct certa_trust_verdict *v)
{
	struct der	l = der_of(leaf);

	OK(certa_trust_validate(s, l.p, l.n, NULL, NULL, 0, NULL, NULL, 0, p,
	    v, &E));
	der_free(&l);
}

static void
test_known_path(void **state)
{
	struct certa_snapshot		*s = certa_ca_snap(21);
	struct certa_verify_policy	 p = pol(CERTA_MODE_CERTA_CA);
	struct certa_trust_verdict	 v;
	struct mk			 fm = { .cn = "forged", .eku =
					    "clientAuth" };
	struct mk			 em = { .cn = "expired", .eku =
					    "clientAuth", .nb = -7200,
					    .na = -3600 };
	EVP_PKEY			*fk = key_new();
	X509				*forged, *expired;
	int				 k;

	(void)state;
	/* Named and identified (AKI) as the intermediate, signed by
	 * another key. */
	forged = mk(&fm, P.inter, fk, P.lk);
	expired = mk(&em, P.inter, P.ik, P.lk);
	for (k = 0; k < 3; k++) {
		validate_one(s, P.server, &p, &v);
		assert_true(v.valid);
		assert_string_equal(v.reason, "ok");
		assert_int_equal(v.nchain, 3);
		assert_non_null(strstr(v.chain[1], "Intermediate"));
		assert_non_null(strstr(v.chain[2], "Root"));
		certa_trust_verdict_clear(&v);
		/* Known now: what the full check refuses stays refused,
		 * for the full check's reason. */
		assert_false(check(s, P.leaf, NULL, NULL, &p, "revoked"));
		assert_false(check(s, forged, NULL, NULL, &p,
		    "bad_signature"));
		assert_false(check(s, expired, NULL, NULL, &p, "expired"));
		assert_false(check(s, P.other, NULL, NULL, &p, "untrusted"));
	}
	/*
	 * A path through a certificate the peer sent is the full check's:
	 * a self-issued CA named like the intermediate (signed by it) in
	 * front of the leaf makes OpenSSL build [leaf, X, I] on the short
	 * path, one intermediate fewer than the real [leaf, X, I, Root];
	 * with at most one intermediate allowed, refused.
	 */
	{
		struct mk	 xm = { .cn = "Intermediate", .ca = true };
		struct mk	 lm = { .cn = "behind X", .eku = "clientAuth" };
		EVP_PKEY	*xk = key_new();
		X509		*x = mk(&xm, P.inter, P.ik, xk);
		X509		*lx = mk(&lm, x, xk, P.lk);
		X509		*chain[] = { x, NULL };

		assert_true(check(s, lx, chain, NULL, &p, "ok"));
		p.max_depth = 1;
		assert_true(check(s, P.server, NULL, NULL, &p, "ok"));
		assert_false(check(s, lx, chain, NULL, &p, NULL));
		p.max_depth = 0;
		X509_free(lx);
		X509_free(x);
		EVP_PKEY_free(xk);
	}
	/* Another purpose is checked in full: the server certificate is
	 * not a client's. */
	p.purpose = CERTA_PURPOSE_CLIENT;
	assert_false(check(s, P.server, NULL, NULL, &p, "wrong_purpose"));
	assert_false(check(s, forged, NULL, NULL, &p, "bad_signature"));
	certa_snapshot_unref(s);
	X509_free(forged);
	X509_free(expired);
	EVP_PKEY_free(fk);
}

static void
test_system(void **state)
{
	struct certa_snapshot		*s = snap(NULL, NULL, NULL, NULL, 11);
	struct certa_verify_policy	 p = pol(CERTA_MODE_SYSTEM);
	struct certa_trust_verdict	 v;
	struct der			 l = der_of(P.leaf);
	certa_rc			 rc;

	(void)state;
	/* Our private root is not in /etc/ssl/certs. */
	rc = certa_trust_validate(s, l.p, l.n, NULL, NULL, 0, NULL, NULL, 0,
	    &p, &v, &E);
	if (rc == CERTA_OK) {
		assert_false(v.valid);
		assert_string_equal(v.reason, "untrusted");
		certa_trust_verdict_clear(&v);
	} else {
		assert_int_equal(rc, CERTA_E_NOTFOUND);
	}
	assert_int_equal(ERR_peek_error(), 0);
	der_free(&l);
	certa_snapshot_unref(s);
}

static void
test_bad_input(void **state)
{
	X509				*t[] = { P.root, NULL };
	struct certa_snapshot		*s = snap(t, NULL, NULL, NULL, 12);
	struct certa_verify_policy	 p = pol(CERTA_MODE_TRUSTED_CA);
	struct certa_trust_verdict	 v;
	struct der			 l = der_of(P.leaf);
	const uint8_t			 junk[] = "junk";
	const uint8_t			*jp = junk;
	size_t				 jl = 4;

	(void)state;
	/* Snapshot input: garbage, truncated, trailing bytes. */
	{
		struct certa_snapshot_builder	*b = NULL;
		uint8_t				*longer = malloc(l.n + 1);

		assert_non_null(longer);
		memcpy(longer, l.p, l.n);
		longer[l.n] = 0;
		OK(certa_snapshot_builder_new(&b, &E));
		RC(certa_snapshot_add_cert(b, CERTA_LIST_TRUSTED, junk, 4,
		    NULL, &E), CERTA_E_PARSE);
		RC(certa_snapshot_add_cert(b, CERTA_LIST_TRUSTED, l.p,
		    l.n - 1, NULL, &E), CERTA_E_PARSE);
		RC(certa_snapshot_add_cert(b, CERTA_LIST_TRUSTED, longer,
		    l.n + 1, NULL, &E), CERTA_E_PARSE);
		RC(certa_snapshot_add_crl(b, junk, 4, &E), CERTA_E_PARSE);
		certa_snapshot_builder_free(b);
		free(longer);
	}
	RC(certa_trust_validate(s, junk, 4, NULL, NULL, 0, NULL, NULL, 0, &p,
	    &v, &E), CERTA_E_PARSE);
	RC(certa_trust_validate(s, l.p, l.n - 1, NULL, NULL, 0, NULL, NULL, 0,
	    &p, &v, &E), CERTA_E_PARSE);
	RC(certa_trust_validate(s, l.p, l.n, &jp, &jl, 1, NULL, NULL, 0, &p,
	    &v, &E), CERTA_E_PARSE);
	RC(certa_trust_validate(s, l.p, l.n, NULL, NULL, 0, &jp, &jl, 1, &p,
	    &v, &E), CERTA_E_PARSE);
	RC(certa_trust_validate(NULL, l.p, l.n, NULL, NULL, 0, NULL, NULL, 0,
	    &p, &v, &E), CERTA_E_INVAL);
	p.ekus[0] = "noSuchUsage";
	p.nekus = 1;
	RC(certa_trust_validate(s, l.p, l.n, NULL, NULL, 0, NULL, NULL, 0, &p,
	    &v, &E), CERTA_E_INVAL);
	p.nekus = 0;
	p.sig_algs[0] = "MD5";
	p.nsig_algs = 1;
	RC(certa_trust_validate(s, l.p, l.n, NULL, NULL, 0, NULL, NULL, 0, &p,
	    &v, &E), CERTA_E_INVAL);
	p.nsig_algs = 0;
	p.policies[0] = "not an oid";
	p.npolicies = 1;
	p.policy_check = true;
	RC(certa_trust_validate(s, l.p, l.n, NULL, NULL, 0, NULL, NULL, 0, &p,
	    &v, &E), CERTA_E_INVAL);
	assert_int_equal(ERR_peek_error(), 0);
	der_free(&l);
	certa_snapshot_unref(s);
}

static void
test_bundle(void **state)
{
	struct certa_der_list	 l;
	struct der		 d = der_of(P.leaf);
	BIO			*b = BIO_new(BIO_s_mem());
	char			*pem;
	long			 n;

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(PEM_write_bio_X509(b, P.leaf), 1);
	assert_int_equal(PEM_write_bio_X509(b, P.inter), 1);
	n = BIO_get_mem_data(b, &pem);
	OK(certa_trust_decode_bundle((uint8_t *)pem, (size_t)n, false, &l,
	    &E));
	assert_int_equal(l.n, 2);
	assert_int_equal(l.len[0], d.n);
	assert_memory_equal(l.der[0], d.p, d.n);
	OK(certa_trust_decode_bundle(d.p, d.n, false, &l, &E));
	assert_int_equal(l.n, 3);
	RC(certa_trust_decode_bundle(d.p, d.n - 1, false, &l, &E),
	    CERTA_E_PARSE);
	RC(certa_trust_decode_bundle((const uint8_t *)"-----BEGIN X", 12,
	    false, &l, &E), CERTA_E_PARSE);
	RC(certa_trust_decode_bundle((uint8_t *)pem, (size_t)n, true, &l, &E),
	    CERTA_E_PARSE);
	assert_int_equal(l.n, 3);
	assert_int_equal(ERR_peek_error(), 0);
	certa_der_list_clear(&l);
	BIO_free(b);
	der_free(&d);
}

/* --- concurrency ----------------------------------------------------- */

/*
 * A holder: the current snapshot behind a pointer.  A reader takes a
 * reference under the lock (a few instructions), then validates with no
 * lock held; the writer builds off to the side and swaps.
 */
struct holder {
	pthread_mutex_t		 mu;
	struct certa_snapshot	*cur;		/* owns one reference */
	atomic_bool		 stop;
	atomic_long		 checks, wrong;
	X509_CRL		*crl_on;	/* revokes P.leaf */
	X509_CRL		*crl_off;	/* revokes nothing */
};

static struct certa_snapshot *
holder_get(struct holder *h)
{
	struct certa_snapshot	*s;

	pthread_mutex_lock(&h->mu);
	s = certa_snapshot_ref(h->cur);
	pthread_mutex_unlock(&h->mu);
	return s;
}

static void *
reader(void *arg)
{
	struct holder			*h = arg;
	struct certa_verify_policy	 p = pol(CERTA_MODE_TRUSTED_CA);
	struct der			 l = der_of(P.leaf);
	struct der			 sv = der_of(P.server);
	struct certa_trust_verdict	 v;
	struct certa_err		 err;

	while (!atomic_load(&h->stop)) {
		struct certa_snapshot	*s = holder_get(h);
		bool			 odd = certa_snapshot_generation(s) & 1;

		/* Odd generations revoke the leaf; the server never is. */
		if (certa_trust_validate(s, l.p, l.n, NULL, NULL, 0, NULL,
		    NULL, 0, &p, &v, &err) != CERTA_OK ||
		    v.valid == odd ||
		    strcmp(v.reason, odd ? "revoked" : "ok") != 0)
			atomic_fetch_add(&h->wrong, 1);
		certa_trust_verdict_clear(&v);
		if (certa_trust_validate(s, sv.p, sv.n, NULL, NULL, 0, NULL,
		    NULL, 0, &p, &v, &err) != CERTA_OK || !v.valid)
			atomic_fetch_add(&h->wrong, 1);
		certa_trust_verdict_clear(&v);
		certa_snapshot_unref(s);
		atomic_fetch_add(&h->checks, 2);
	}
	der_free(&l);
	der_free(&sv);
	return NULL;
}

static void
test_concurrent_swap(void **state)
{
	X509_CRL		*rcrl = mk_crl(P.root, P.rk, NULL, 0, true);
	X509			*rv[] = { P.leaf, NULL };
	X509			*t[] = { P.root, NULL };
	X509			*is[] = { P.inter, NULL };
	struct holder		 h;
	pthread_t		 th[4];
	uint64_t		 g;
	size_t			 i;
	const uint64_t		 swaps = 2000;

	(void)state;
	memset(&h, 0, sizeof(h));
	pthread_mutex_init(&h.mu, NULL);
	h.crl_on = mk_crl(P.inter, P.ik, rv, 1, true);
	h.crl_off = mk_crl(P.inter, P.ik, NULL, 0, true);
	{
		X509_CRL *c[] = { h.crl_off, rcrl, NULL };

		h.cur = snap(t, is, NULL, c, 0);
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reader, &h), 0);
	/* At least `swaps` swaps, and until 10,000 checks ran meanwhile. */
	for (g = 1; g <= swaps || atomic_load(&h.checks) < 10000; g++) {
		X509_CRL		*c[] = { g & 1 ? h.crl_on : h.crl_off,
					    rcrl, NULL };
		struct certa_snapshot	*n = snap(t, is, NULL, c, g), *old;

		pthread_mutex_lock(&h.mu);
		old = h.cur;
		h.cur = n;
		pthread_mutex_unlock(&h.mu);
		certa_snapshot_unref(old);	/* readers may still hold it */
	}
	atomic_store(&h.stop, true);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	print_message("%ld checks over %llu swaps, %ld wrong\n",
	    atomic_load(&h.checks), (unsigned long long)(g - 1),
	    atomic_load(&h.wrong));
	assert_int_equal(atomic_load(&h.wrong), 0);
	certa_snapshot_unref(h.cur);
	X509_CRL_free(h.crl_on);
	X509_CRL_free(h.crl_off);
	X509_CRL_free(rcrl);
	pthread_mutex_destroy(&h.mu);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_names_parse),
		cmocka_unit_test(test_accept_any),
		cmocka_unit_test(test_trusted_list),
		cmocka_unit_test(test_trusted_ca),
		cmocka_unit_test(test_bad_signature_and_rules),
		cmocka_unit_test(test_name_constraints),
		cmocka_unit_test(test_alternate_path),
		cmocka_unit_test(test_server_cn),
		cmocka_unit_test(test_crls),
		cmocka_unit_test(test_store_crls),
		cmocka_unit_test(test_certa_ca),
		cmocka_unit_test(test_known_path),
		cmocka_unit_test(test_system),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_bundle),
		cmocka_unit_test(test_concurrent_swap),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
