/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The trust store (include/certa/truststore.h) on real data directories:
 * import of every format, aliases, duplicates, lists, knocks, CRL import,
 * snapshot loading and the current-snapshot swap under concurrent
 * readers.  Certificates, PKCS#7, PKCS#12 and CRLs are made here with
 * OpenSSL; each refusal is checked to change nothing (entries, audit
 * records, trust generation).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <certa/certa.h>
#include <certa/truststore.h>
#include <certa/util.h>

#include "core/core.h"
#include "trust/truststore_int.h"
#include "testutil.h"

static char		 base[64];	/* mkdtemp */
static char		 passfile[PATH_MAX];
static int		 ndirs;


/* --- fixtures ------------------------------------------------------- */


static int
group_setup(void **state)
{
	FILE	*f;

	(void)state;
	certa_lib_init();
	snprintf(base, sizeof(base), "/tmp/certa-trust-test-XXXXXX");
	if (mkdtemp(base) == NULL)
		return -1;
	snprintf(passfile, sizeof(passfile), "%s/pass", base);
	if ((f = fopen(passfile, "w")) == NULL)
		return -1;
	fputs("correct horse battery staple\n", f);
	fclose(f);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	certa_trust_current_reset();
	rm_rf(base);
	return 0;
}

/* A fresh data directory, opened. */
static struct certa_ctx *
new_dir(char *dir, size_t len)
{
	struct certa_init_opts	 o;
	struct certa_ctx	*c = NULL;
	char			*created = NULL;

	snprintf(dir, len, "%s/d%d", base, ndirs++);
	memset(&o, 0, sizeof(o));
	o.dir = dir;
	o.passphrase_file = passfile;
	o.actor = "test:init";
	OK(certa_init(&o, &created, &E));
	free(created);
	OK(certa_open(dir, passfile, &c, &E));
	certa_ctx_set_actor(c, "test:alice");
	return c;
}

static EVP_PKEY *
mk_key(void)
{
	EVP_PKEY	*k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	assert_non_null(k);
	return k;
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 v3;
	X509_EXTENSION	*e;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/*
 * A certificate for key, subject "CN=cn" (cn may be raw bytes via
 * X509_NAME_add_entry_by_txt's UTF8 type), signed by ikey as issuer (self
 * when issuer is NULL).  ku: NULL for none.
 */
static X509 *
mk_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
    bool ca, const char *ku, long from, long to)
{
	X509		*x = X509_new();
	X509_NAME	*n = X509_NAME_new();
	static long	 serial = 1000;

	assert_non_null(x);
	assert_non_null(n);
	assert_int_equal(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
	    (const unsigned char *)"certa tests", -1, -1, 0), 1);
	/* A plain UTF8String: no length limit, so CNs over 64 can be made. */
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", V_ASN1_UTF8STRING,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_subject_name(x, n), 1);
	assert_int_equal(X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : n), 1);
	X509_NAME_free(n);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), from));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), to));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	add_ext(x, issuer != NULL ? issuer : x, NID_basic_constraints,
	    ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	add_ext(x, issuer != NULL ? issuer : x, NID_subject_key_identifier,
	    "hash");
	if (issuer != NULL)
		add_ext(x, issuer, NID_authority_key_identifier, "keyid");
	if (ku != NULL)
		add_ext(x, issuer != NULL ? issuer : x, NID_key_usage, ku);
	assert_true(X509_sign(x, ikey != NULL ? ikey : key, EVP_sha256()) >
	    0);
	return x;
}

static X509 *
self_signed(const char *cn, bool ca)
{
	EVP_PKEY	*k = mk_key();
	X509		*x = mk_cert(cn, k, NULL, NULL, ca, ca ?
			    "critical,keyCertSign,cRLSign" : NULL, -60, 86400);

	EVP_PKEY_free(k);
	return x;
}

struct blob {
	uint8_t	*p;
	size_t	 n;
};

static void
blob_free(struct blob *b)
{
	OPENSSL_free(b->p);
	memset(b, 0, sizeof(*b));
}

static struct blob
der_of(X509 *x)
{
	struct blob	 b = { NULL, 0 };
	unsigned char	*p = NULL;
	int		 n = i2d_X509(x, &p);

	assert_true(n > 0);
	b.p = p;
	b.n = (size_t)n;
	return b;
}

static struct blob
pem_of(X509 *const *xs, size_t n, bool with_key)
{
	BIO		*bio = BIO_new(BIO_s_mem());
	EVP_PKEY	*k = NULL;
	struct blob	 b;
	char		*data;
	long		 len;
	size_t		 i;

	assert_non_null(bio);
	if (with_key) {
		k = mk_key();
		assert_int_equal(PEM_write_bio_PrivateKey(bio, k, NULL, NULL,
		    0, NULL, NULL), 1);
		EVP_PKEY_free(k);
	}
	for (i = 0; i < n; i++)
		assert_int_equal(PEM_write_bio_X509(bio, xs[i]), 1);
	BIO_puts(bio, "trailing text is ignored\n");
	len = BIO_get_mem_data(bio, &data);
	b.p = OPENSSL_malloc((size_t)len);
	memcpy(b.p, data, (size_t)len);
	b.n = (size_t)len;
	BIO_free(bio);
	return b;
}

static struct blob
p7b_of(X509 *const *xs, size_t n)
{
	STACK_OF(X509)	*sk = sk_X509_new_null();
	struct blob	 b = { NULL, 0 };
	uint8_t		*out = NULL;
	size_t		 len = 0, i;

	for (i = 0; i < n; i++)
		assert_true(sk_X509_push(sk, xs[i]) > 0);
	OK(certa_certs_p7b(sk, &out, &len, &E));
	sk_X509_free(sk);
	b.p = OPENSSL_malloc(len);
	memcpy(b.p, out, len);
	b.n = len;
	free(out);
	return b;
}

static struct blob
p12_of(X509 *leaf, X509 *ca, const char *pass)
{
	STACK_OF(X509)	*chain = sk_X509_new_null();
	EVP_PKEY	*k = mk_key();	/* any key: the store ignores it */
	struct blob	 b = { NULL, 0 };
	uint8_t		*out = NULL;
	size_t		 len = 0;

	assert_true(sk_X509_push(chain, ca) > 0);
	OK(certa_p12_build(NULL, NULL, NULL, leaf, chain, "friendly", pass,
	    false, &out, &len, &E));
	sk_X509_free(chain);
	EVP_PKEY_free(k);
	b.p = OPENSSL_malloc(len);
	memcpy(b.p, out, len);
	b.n = len;
	free(out);
	return b;
}

/* A CRL of issuer signed with key, number num, revoking rev (0: none). */
static struct blob
crl_of(X509 *issuer, EVP_PKEY *key, long num, long rev)
{
	X509_CRL	*crl = X509_CRL_new();
	X509_REVOKED	*r;
	ASN1_INTEGER	*ai = ASN1_INTEGER_new();
	ASN1_TIME	*t = ASN1_TIME_new();
	struct blob	 b = { NULL, 0 };
	unsigned char	*p = NULL;
	int		 n;

	assert_int_equal(X509_CRL_set_version(crl, 1), 1);
	assert_int_equal(X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(issuer)), 1);
	assert_non_null(X509_gmtime_adj(t, 0));
	assert_int_equal(X509_CRL_set1_lastUpdate(crl, t), 1);
	assert_non_null(X509_gmtime_adj(t, 86400));
	assert_int_equal(X509_CRL_set1_nextUpdate(crl, t), 1);
	ASN1_INTEGER_set(ai, num);
	assert_int_equal(X509_CRL_add1_ext_i2d(crl, NID_crl_number, ai, 0, 0),
	    1);
	if (rev != 0) {
		r = X509_REVOKED_new();
		ASN1_INTEGER_set(ai, rev);
		assert_int_equal(X509_REVOKED_set_serialNumber(r, ai), 1);
		assert_non_null(X509_gmtime_adj(t, 0));
		assert_int_equal(X509_REVOKED_set_revocationDate(r, t), 1);
		assert_int_equal(X509_CRL_add0_revoked(crl, r), 1);
	}
	assert_true(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
	n = i2d_X509_CRL(crl, &p);
	assert_true(n > 0);
	b.p = p;
	b.n = (size_t)n;
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(ai);
	X509_CRL_free(crl);
	return b;
}

/* What "nothing changed" compares. */
struct state {
	size_t		 entries[3];
	size_t		 crls;
	int64_t		 audit;
	uint64_t	 gen;
};

static certa_rc
count_entry(const struct certa_trust_rec *r, void *arg)
{
	struct state	*s = arg;

	if (strcmp(r->list, "trusted") == 0)
		s->entries[0]++;
	else if (strcmp(r->list, "issuer") == 0)
		s->entries[1]++;
	else
		s->entries[2]++;
	return CERTA_OK;
}

static certa_rc
count_crl(const struct certa_trust_crl_rec *r, void *arg)
{
	(void)r;
	((struct state *)arg)->crls++;
	return CERTA_OK;
}

static struct state
state_of(struct certa_ctx *c)
{
	struct certa_store	*st = certa_ctx_store(c);
	struct state		 s;
	char			 h[65];

	memset(&s, 0, sizeof(s));
	OK(certa_store_trust_each(st, NULL, count_entry, &s, &E));
	OK(certa_store_trust_crl_each(st, count_crl, &s, &E));
	OK(certa_store_audit_last(st, &s.audit, h, &E));
	OK(certa_store_trust_generation(st, &s.gen, &E));
	return s;
}

static void
assert_same_state(struct certa_ctx *c, const struct state *before)
{
	struct state	 now = state_of(c);

	assert_memory_equal(&now, before, sizeof(now));
}

static struct certa_trust_import_opts
opts(const char *alias, enum certa_trust_list list, const char *pass)
{
	struct certa_trust_import_opts	 o;

	memset(&o, 0, sizeof(o));
	o.alias = alias;
	o.list = list;
	o.password = pass;
	return o;
}

/* Import and expect n entries; their aliases into aliases[] (optional). */
static void
import_ok(struct certa_ctx *c, const struct blob *b,
    const struct certa_trust_import_opts *o, size_t n, const char **aliases)
{
	struct certa_trust_imported	 im;
	size_t				 i;

	OK(certa_trust_import(c, b->p, b->n, o, &im, &E));
	assert_int_equal(ERR_peek_error(), 0);	/* the queue is left clean */
	assert_int_equal(im.n, n);
	for (i = 0; aliases != NULL && i < n; i++)
		assert_string_equal(im.recs[i].alias, aliases[i]);
	certa_trust_imported_clear(&im);
}

static void
import_fails(struct certa_ctx *c, const struct blob *b,
    const struct certa_trust_import_opts *o, certa_rc want,
    const char *fragment)
{
	struct certa_trust_imported	 im;
	struct state			 before = state_of(c);

	RC(certa_trust_import(c, b->p, b->n, o, &im, &E), want);
	assert_int_equal(im.n, 0);
	assert_null(im.recs);
	if (fragment != NULL && strstr(E.msg, fragment) == NULL)
		fail_msg("message '%s' lacks '%s'", E.msg, fragment);
	assert_same_state(c, &before);
	assert_int_equal(ERR_peek_error(), 0);
}

/* --- tests ------------------------------------------------------------ */

static void
test_import_formats(void **state)
{
	struct certa_ctx		*c;
	struct certa_trust_import_opts	 o;
	struct certa_trust_rec		 r;
	struct blob			 b;
	X509				*x[4];
	struct state			 s;
	char				 dir[PATH_MAX];
	const char			*one[] = { "pem one" };
	const char			*two[] = { "bundle a", "bundle b" };
	const char			*p12[] = { "p12 leaf", "p12 ca" };
	size_t				 i;

	(void)state;
	c = new_dir(dir, sizeof(dir));
	x[0] = self_signed("pem one", false);
	x[1] = self_signed("bundle a", false);
	x[2] = self_signed("bundle b", true);
	x[3] = self_signed("der one", false);

	/* PEM, one certificate. */
	b = pem_of(&x[0], 1, false);
	o = opts(NULL, CERTA_LIST_TRUSTED, NULL);
	import_ok(c, &b, &o, 1, one);
	blob_free(&b);
	/* PEM bundle with a private key block in front: the key is skipped. */
	b = pem_of(&x[1], 2, true);
	o = opts(NULL, CERTA_LIST_ISSUER, NULL);
	import_ok(c, &b, &o, 2, two);
	blob_free(&b);
	OK(certa_trust_get(c, "bundle b", &r, &E));
	assert_string_equal(r.list, "issuer");
	assert_string_equal(r.source, "imported");
	assert_int_equal(r.attempts, 0);
	certa_trust_rec_clear(&r);
	/* DER. */
	b = der_of(x[3]);
	o = opts("my der", CERTA_LIST_TRUSTED, NULL);
	import_ok(c, &b, &o, 1, (const char *[]){ "my der" });
	OK(certa_trust_get(c, "my der", &r, &E));
	assert_int_equal(r.der_len, b.n);
	assert_memory_equal(r.der, b.p, b.n);
	certa_trust_rec_clear(&r);
	blob_free(&b);
	s = state_of(c);
	assert_int_equal(s.entries[0], 2);
	assert_int_equal(s.entries[1], 2);

	/* PKCS#7 bundle, in a fresh store; then PKCS#12 with a password. */
	certa_close(c);
	c = new_dir(dir, sizeof(dir));
	b = p7b_of(x, 4);
	o = opts("p7", CERTA_LIST_TRUSTED, NULL);
	import_ok(c, &b, &o, 4, (const char *[]){ "p7", "p7-2", "p7-3",
	    "p7-4" });
	blob_free(&b);
	certa_close(c);
	c = new_dir(dir, sizeof(dir));
	{
		X509	*leaf = self_signed("p12 leaf", false);
		X509	*ca = self_signed("p12 ca", true);

		b = p12_of(leaf, ca, "s3cret");
		o = opts(NULL, CERTA_LIST_TRUSTED, "wrong");
		import_fails(c, &b, &o, CERTA_E_PARSE, "wrong password");
		o = opts(NULL, CERTA_LIST_TRUSTED, NULL);
		import_fails(c, &b, &o, CERTA_E_PARSE, "--password-file");
		o = opts(NULL, CERTA_LIST_TRUSTED, "s3cret");
		import_ok(c, &b, &o, 2, p12);
		blob_free(&b);
		X509_free(leaf);
		X509_free(ca);
	}
	certa_close(c);
	for (i = 0; i < 4; i++)
		X509_free(x[i]);
}

static void
test_bad_input(void **state)
{
	struct certa_ctx		*c;
	struct certa_trust_import_opts	 o = opts(NULL, CERTA_LIST_TRUSTED,
					    NULL);
	struct blob			 good, b;
	X509				*x = self_signed("victim", false);
	uint8_t				*big;
	char				 dir[PATH_MAX];
	static const char		 key_only[] = "-----BEGIN PRIVATE KEY-----"
	    "\nMC4CAQAwBQYDK2VwBCIEIHg=\n-----END PRIVATE KEY-----\n";
	static const char		 bad_b64[] = "-----BEGIN CERTIFICATE-----"
	    "\n!!!!\n-----END CERTIFICATE-----\n";

	(void)state;
	c = new_dir(dir, sizeof(dir));
	/* Something stored, so "unchanged" is checked on a non-empty store. */
	b = pem_of(&x, 1, false);
	import_ok(c, &b, &o, 1, NULL);
	blob_free(&b);
	X509_free(x);
	x = self_signed("newcomer", false);
	good = der_of(x);

	b.p = (uint8_t *)(uintptr_t)"garbage, not a certificate";
	b.n = 26;
	import_fails(c, &b, &o, CERTA_E_PARSE, "neither PEM nor DER");
	b.p = good.p;
	b.n = 0;
	import_fails(c, &b, &o, CERTA_E_PARSE, "empty");
	b.n = good.n / 2;
	import_fails(c, &b, &o, CERTA_E_PARSE, "truncated");
	b.n = good.n - 1;
	import_fails(c, &b, &o, CERTA_E_PARSE, "truncated");
	big = calloc(1, good.n + 3);
	memcpy(big, good.p, good.n);
	b.p = big;
	b.n = good.n + 3;
	import_fails(c, &b, &o, CERTA_E_PARSE, "trailing");
	free(big);
	b.p = (uint8_t *)(uintptr_t)key_only;
	b.n = strlen(key_only);
	import_fails(c, &b, &o, CERTA_E_PARSE, "PRIVATE KEY");
	b.p = (uint8_t *)(uintptr_t)bad_b64;
	b.n = strlen(bad_b64);
	import_fails(c, &b, &o, CERTA_E_PARSE, "damaged");
	/* Oversized: refused for its size before anything is decoded. */
	big = calloc(1, CERTA_MAX_TRUST_FILE + 1);
	memcpy(big, good.p, good.n);
	b.p = big;
	b.n = CERTA_MAX_TRUST_FILE + 1;
	import_fails(c, &b, &o, CERTA_E_PARSE, "at most");
	free(big);
	/* Bad aliases. */
	o = opts("a\tb", CERTA_LIST_TRUSTED, NULL);
	import_fails(c, &good, &o, CERTA_E_PARSE, "control characters");
	o = opts("\x1b[31mred", CERTA_LIST_TRUSTED, NULL);
	import_fails(c, &good, &o, CERTA_E_PARSE, "control characters");
	o = opts("", CERTA_LIST_TRUSTED, NULL);
	import_fails(c, &good, &o, CERTA_E_PARSE, "empty");
	o = opts("x\xff", CERTA_LIST_TRUSTED, NULL);
	import_fails(c, &good, &o, CERTA_E_PARSE, "UTF-8");
	o = opts("01234567890123456789012345678901234567890123456789012345678901"
	    "234", CERTA_LIST_TRUSTED, NULL);
	import_fails(c, &good, &o, CERTA_E_PARSE, "65 bytes");
	/* The rejected list is not an import target. */
	o = opts(NULL, CERTA_LIST_REJECTED, NULL);
	import_fails(c, &good, &o, CERTA_E_INVAL, NULL);
	/* Exactly 64 bytes is fine. */
	o = opts("0123456789012345678901234567890123456789012345678901234567890"
	    "123", CERTA_LIST_TRUSTED, NULL);
	import_ok(c, &good, &o, 1, NULL);
	blob_free(&good);
	X509_free(x);
	certa_close(c);
}

static void
test_duplicates_aliases(void **state)
{
	struct certa_ctx		*c;
	struct certa_trust_import_opts	 o;
	struct certa_trust_rec		 r;
	struct blob			 b, b2;
	X509				*x, *y, *z, *w, *pair[2];
	char				 dir[PATH_MAX], longcn[200];

	(void)state;
	c = new_dir(dir, sizeof(dir));
	x = self_signed("client", false);
	y = self_signed("client", false);	/* same CN, other cert */
	b = der_of(x);
	o = opts(NULL, CERTA_LIST_TRUSTED, NULL);
	import_ok(c, &b, &o, 1, (const char *[]){ "client" });
	/* The same certificate again, under any alias: refused, named. */
	o = opts("other", CERTA_LIST_ISSUER, NULL);
	import_fails(c, &b, &o, CERTA_E_CONFLICT, "as 'client'");
	blob_free(&b);
	/* Same CN: a unique derived alias; a taken alias is refused. */
	b = der_of(y);
	o = opts("client", CERTA_LIST_TRUSTED, NULL);
	import_fails(c, &b, &o, CERTA_E_CONFLICT, "taken");
	o = opts(NULL, CERTA_LIST_TRUSTED, NULL);
	import_ok(c, &b, &o, 1, (const char *[]){ "client-2" });
	blob_free(&b);
	/* A file holding one certificate twice imports it once. */
	z = self_signed("twice", false);
	pair[0] = z;
	pair[1] = z;
	b = pem_of(pair, 2, false);
	import_ok(c, &b, &o, 1, (const char *[]){ "twice" });
	blob_free(&b);
	/* A bundle with one known certificate: all or nothing. */
	w = self_signed("fresh", false);
	pair[0] = w;
	pair[1] = x;
	b = pem_of(pair, 2, false);
	import_fails(c, &b, &o, CERTA_E_CONFLICT, "as 'client'");
	RC(certa_trust_get(c, "fresh", &r, &E), CERTA_E_NOTFOUND);
	blob_free(&b);
	/* CN with control characters, and a CN longer than an alias. */
	X509_free(z);
	z = self_signed("evil\x1b[2Jname", false);
	b = der_of(z);
	import_ok(c, &b, &o, 1, (const char *[]){ "evil_[2Jname" });
	blob_free(&b);
	memset(longcn, 'n', 100);
	memcpy(longcn + 60, "\xc3\xa9\xc3\xa9\xc3\xa9", 6);	/* é, 2 bytes */
	longcn[100] = '\0';
	X509_free(z);
	z = self_signed(longcn, false);
	b = der_of(z);
	b2 = b;
	import_ok(c, &b, &o, 1, NULL);
	{
		char	expect[65];

		memcpy(expect, longcn, 64);
		expect[64] = '\0';
		OK(certa_trust_get(c, expect, &r, &E));
		assert_memory_equal(r.der, b2.p, b2.n);
		certa_trust_rec_clear(&r);
	}
	blob_free(&b);
	X509_free(x);
	X509_free(y);
	X509_free(z);
	X509_free(w);
	certa_close(c);
}

static void
test_lists_export_delete(void **state)
{
	struct certa_ctx		*c;
	struct certa_trust_import_opts	 o = opts("e", CERTA_LIST_TRUSTED,
					    NULL);
	struct certa_trust_rec		 r;
	struct certa_trust_desc		 d;
	struct blob			 b;
	struct state			 s;
	X509				*x;
	uint8_t				*out = NULL;
	size_t				 len = 0;
	bool				 changed;
	uint64_t			 g;
	char				 dir[PATH_MAX], *pem;

	(void)state;
	c = new_dir(dir, sizeof(dir));
	x = self_signed("listed", true);
	b = der_of(x);
	import_ok(c, &b, &o, 1, NULL);

	/* Export: DER byte for byte, PEM around the same bytes. */
	OK(certa_trust_export(c, "e", false, &out, &len, &E));
	assert_int_equal(len, b.n);
	assert_memory_equal(out, b.p, b.n);
	free(out);
	OK(certa_trust_export(c, "e", true, &out, &len, &E));
	pem = certa_pem_encode("CERTIFICATE", b.p, b.n);
	assert_int_equal(len, strlen(pem));
	assert_memory_equal(out, pem, len);
	free(pem);
	free(out);
	RC(certa_trust_export(c, "nope", false, &out, &len, &E),
	    CERTA_E_NOTFOUND);
	assert_null(out);

	/* Describe. */
	OK(certa_trust_describe(b.p, b.n, 0, &d, &E));
	assert_string_equal(d.status, "valid");
	assert_string_equal(d.cn, "listed");
	assert_string_equal(d.key_alg, "ec:P-256");
	assert_string_equal(d.basic_constraints, "CA:TRUE, critical");
	assert_true(d.is_ca);
	assert_true(d.self_issued);
	assert_int_equal(strlen(d.sha1), 40);
	assert_int_equal(strlen(d.sha256), 64);
	certa_trust_desc_clear(&d);
	OK(certa_trust_describe(b.p, b.n, certa_now() + 2 * 86400, &d, &E));
	assert_string_equal(d.status, "expired");
	certa_trust_desc_clear(&d);
	OK(certa_trust_describe(b.p, b.n, certa_now() - 3600, &d, &E));
	assert_string_equal(d.status, "not-yet-valid");
	certa_trust_desc_clear(&d);

	/* Reject, reject again (nothing written), trust, issuer. */
	g = state_of(c).gen;
	OK(certa_trust_move(c, "e", CERTA_LIST_REJECTED, &changed, &E));
	assert_true(changed);
	assert_true(state_of(c).gen > g);
	s = state_of(c);
	OK(certa_trust_move(c, "e", CERTA_LIST_REJECTED, &changed, &E));
	assert_false(changed);
	assert_same_state(c, &s);
	OK(certa_trust_get(c, "e", &r, &E));
	assert_string_equal(r.list, "rejected");
	certa_trust_rec_clear(&r);
	OK(certa_trust_move(c, "e", CERTA_LIST_TRUSTED, &changed, &E));
	assert_true(changed);
	RC(certa_trust_move(c, "ghost", CERTA_LIST_TRUSTED, &changed, &E),
	    CERTA_E_NOTFOUND);
	RC(certa_trust_move(c, "bad\nalias", CERTA_LIST_TRUSTED, &changed,
	    &E), CERTA_E_PARSE);

	/* Delete: unknown alias changes nothing; then gone for good. */
	s = state_of(c);
	RC(certa_trust_delete(c, "ghost", &E), CERTA_E_NOTFOUND);
	assert_non_null(strstr(E.msg, "ghost"));
	assert_same_state(c, &s);
	OK(certa_trust_delete(c, "e", &E));
	assert_true(state_of(c).gen > s.gen);
	assert_int_equal(state_of(c).audit, s.audit + 1);
	RC(certa_trust_get(c, "e", &r, &E), CERTA_E_NOTFOUND);
	RC(certa_trust_delete(c, "e", &E), CERTA_E_NOTFOUND);
	/* It may come back. */
	import_ok(c, &b, &o, 1, (const char *[]){ "e" });
	blob_free(&b);
	X509_free(x);
	certa_close(c);
}

static void
test_knock(void **state)
{
	struct certa_ctx		*c;
	struct certa_trust_import_opts	 o = opts(NULL, CERTA_LIST_TRUSTED,
					    NULL);
	struct certa_trust_rec		 r;
	struct state			 s0, s1;
	struct blob			 b, t;
	X509				*x, *y;
	bool				 ins;
	char				 dir[PATH_MAX];
	int				 i;

	(void)state;
	c = new_dir(dir, sizeof(dir));
	x = self_signed("stranger", false);
	b = der_of(x);
	s0 = state_of(c);
	OK(certa_trust_record_rejected(c, b.p, b.n, "192.0.2.10:51000", &ins,
	    &E));
	assert_true(ins);
	s1 = state_of(c);
	assert_int_equal(s1.entries[2], 1);
	assert_int_equal(s1.audit, s0.audit + 1);
	assert_true(s1.gen > s0.gen);
	/* Recorded once; attempts count; no new audit record or bump. */
	for (i = 0; i < 4; i++) {
		OK(certa_trust_record_rejected(c, b.p, b.n, i % 2 ?
		    "[2001:db8::1]:443" : NULL, &ins, &E));
		assert_false(ins);
	}
	assert_same_state(c, &s1);
	OK(certa_trust_get(c, "stranger", &r, &E));
	assert_string_equal(r.list, "rejected");
	assert_string_equal(r.source, "auto-rejected");
	assert_int_equal(r.attempts, 5);
	assert_string_equal(r.peer_addr, "[2001:db8::1]:443");
	assert_true(r.last_seen >= r.first_seen);
	certa_trust_rec_clear(&r);
	OK(certa_trust_record_rejected(c, b.p, b.n, "198.51.100.1:1", NULL,
	    &E));
	OK(certa_trust_get(c, "stranger", &r, &E));
	assert_string_equal(r.peer_addr, "198.51.100.1:1");
	assert_int_equal(r.attempts, 6);
	certa_trust_rec_clear(&r);
	/* The last knock's address, even none: never a stale one. */
	OK(certa_trust_record_rejected(c, b.p, b.n, NULL, NULL, &E));
	OK(certa_trust_get(c, "stranger", &r, &E));
	assert_null(r.peer_addr);
	assert_int_equal(r.attempts, 7);
	certa_trust_rec_clear(&r);

	/* Another certificate of the same CN: alias CN-FP8. */
	{
		struct certa_trust_desc	 d;
		X509			*z = self_signed("stranger", false);
		struct blob		 zb = der_of(z);
		char			 want[80];

		OK(certa_trust_record_rejected(c, zb.p, zb.n, NULL, &ins,
		    &E));
		assert_true(ins);
		OK(certa_trust_describe(zb.p, zb.n, 0, &d, &E));
		snprintf(want, sizeof(want), "stranger-%.8s", d.sha256);
		OK(certa_trust_get(c, want, &r, &E));
		certa_trust_rec_clear(&r);
		certa_trust_desc_clear(&d);
		blob_free(&zb);
		X509_free(z);
	}

	/* A trusted certificate knocking stays trusted and counts. */
	y = self_signed("friend", false);
	t = der_of(y);
	import_ok(c, &t, &o, 1, NULL);
	OK(certa_trust_record_rejected(c, t.p, t.n, NULL, &ins, &E));
	assert_false(ins);
	OK(certa_trust_get(c, "friend", &r, &E));
	assert_string_equal(r.list, "trusted");
	assert_int_equal(r.attempts, 1);
	certa_trust_rec_clear(&r);
	/* A rejected one can be trusted, then imports are refused. */
	OK(certa_trust_move(c, "stranger", CERTA_LIST_TRUSTED, &ins, &E));
	import_fails(c, &b, &o, CERTA_E_CONFLICT, "as 'stranger'");

	/* Bad input: nothing recorded. */
	s1 = state_of(c);
	RC(certa_trust_record_rejected(c, b.p, b.n - 1, NULL, &ins, &E),
	    CERTA_E_PARSE);
	RC(certa_trust_record_rejected(c, b.p, b.n, "bad\naddr", &ins, &E),
	    CERTA_E_INVAL);
	RC(certa_trust_record_rejected(c, NULL, 0, NULL, &ins, &E),
	    CERTA_E_PARSE);
	assert_same_state(c, &s1);
	assert_int_equal(ERR_peek_error(), 0);
	blob_free(&b);
	blob_free(&t);
	X509_free(x);
	X509_free(y);
	certa_close(c);
}

static void
test_crl(void **state)
{
	struct certa_ctx		*c;
	struct certa_trust_import_opts	 o = opts(NULL, CERTA_LIST_ISSUER,
					    NULL);
	struct certa_trust_crl_rec	 r;
	struct state			 s;
	struct blob			 b, crl, crl2, bad, unknown, nosign;
	EVP_PKEY			*ca_key = mk_key(), *evil = mk_key();
	EVP_PKEY			*k3 = mk_key();
	X509				*ca, *other, *noku;
	char				 dir[PATH_MAX], *signer = NULL;

	(void)state;
	c = new_dir(dir, sizeof(dir));
	ca = mk_cert("CRL CA", ca_key, NULL, NULL, true,
	    "critical,keyCertSign,cRLSign", -60, 86400);
	other = mk_cert("Unknown CA", evil, NULL, NULL, true,
	    "critical,keyCertSign,cRLSign", -60, 86400);
	noku = mk_cert("No CRL CA", k3, NULL, NULL, true,
	    "critical,keyCertSign", -60, 86400);
	b = der_of(ca);
	import_ok(c, &b, &o, 1, (const char *[]){ "CRL CA" });
	blob_free(&b);
	b = der_of(noku);
	import_ok(c, &b, &o, 1, NULL);
	blob_free(&b);

	crl = crl_of(ca, ca_key, 5, 1234);
	crl2 = crl_of(ca, ca_key, 7, 0);
	bad = crl_of(ca, evil, 9, 0);		/* right name, wrong key */
	unknown = crl_of(other, evil, 1, 0);
	nosign = crl_of(noku, k3, 1, 0);

	s = state_of(c);
	RC(certa_trust_crl_import(c, bad.p, bad.n, &r, &signer, &E),
	    CERTA_E_POLICY);
	assert_non_null(strstr(E.msg, "signature"));
	RC(certa_trust_crl_import(c, unknown.p, unknown.n, &r, &signer, &E),
	    CERTA_E_NOTFOUND);
	RC(certa_trust_crl_import(c, nosign.p, nosign.n, &r, &signer, &E),
	    CERTA_E_POLICY);
	assert_non_null(strstr(E.msg, "cRLSign"));
	RC(certa_trust_crl_import(c, crl.p, crl.n / 2, &r, &signer, &E),
	    CERTA_E_PARSE);
	assert_null(signer);
	assert_same_state(c, &s);

	OK(certa_trust_crl_import(c, crl.p, crl.n, &r, &signer, &E));
	assert_int_equal(ERR_peek_error(), 0);
	assert_string_equal(signer, "CRL CA");
	assert_string_equal(r.crl_number, "5");
	assert_int_equal(r.der_len, crl.n);
	assert_memory_equal(r.der, crl.p, crl.n);
	assert_true(r.next_update > r.this_update);
	assert_int_equal(strlen(r.key_id), 40);	/* the CA's SKI */
	certa_trust_crl_rec_clear(&r);
	free(signer);
	signer = NULL;
	s = state_of(c);
	assert_int_equal(s.crls, 1);
	/* The same again, and an older one after a newer: refused. */
	RC(certa_trust_crl_import(c, crl.p, crl.n, NULL, NULL, &E),
	    CERTA_E_CONFLICT);
	OK(certa_trust_crl_import(c, crl2.p, crl2.n, NULL, NULL, &E));
	s = state_of(c);
	assert_int_equal(s.crls, 1);	/* replaced */
	RC(certa_trust_crl_import(c, crl.p, crl.n, NULL, NULL, &E),
	    CERTA_E_CONFLICT);
	assert_non_null(strstr(E.msg, "not newer"));
	assert_same_state(c, &s);

	blob_free(&crl);
	blob_free(&crl2);
	blob_free(&bad);
	blob_free(&unknown);
	blob_free(&nosign);
	X509_free(ca);
	X509_free(other);
	X509_free(noku);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(evil);
	EVP_PKEY_free(k3);
	certa_close(c);
}

static void
test_snapshot_load(void **state)
{
	struct certa_ctx		*c;
	struct certa_trust_import_opts	 o;
	struct certa_snapshot		*snap = NULL;
	struct blob			 b;
	EVP_PKEY			*k = mk_key();
	X509				*ca, *xs[3];
	uint64_t			 g;
	char				 dir[PATH_MAX];
	size_t				 i;

	(void)state;
	c = new_dir(dir, sizeof(dir));
	ca = mk_cert("Snap CA", k, NULL, NULL, true,
	    "critical,keyCertSign,cRLSign", -60, 86400);
	xs[0] = self_signed("t1", false);
	xs[1] = self_signed("t2", false);
	xs[2] = self_signed("r1", false);
	o = opts(NULL, CERTA_LIST_TRUSTED, NULL);
	b = pem_of(xs, 2, false);
	import_ok(c, &b, &o, 2, NULL);
	blob_free(&b);
	o = opts(NULL, CERTA_LIST_ISSUER, NULL);
	b = der_of(ca);
	import_ok(c, &b, &o, 1, NULL);
	blob_free(&b);
	b = der_of(xs[2]);
	OK(certa_trust_record_rejected(c, b.p, b.n, NULL, NULL, &E));
	blob_free(&b);
	b = crl_of(ca, k, 1, 42);
	OK(certa_trust_crl_import(c, b.p, b.n, NULL, NULL, &E));
	blob_free(&b);

	OK(certa_trust_snapshot_load(c, &snap, &E));
	assert_int_equal(ERR_peek_error(), 0);
	assert_non_null(snap);
	OK(certa_store_trust_generation(certa_ctx_store(c), &g, &E));
	assert_int_equal(certa_snapshot_generation(snap), g);
	assert_int_equal(certa_snapshot_count(snap, CERTA_LIST_TRUSTED), 2);
	assert_int_equal(certa_snapshot_count(snap, CERTA_LIST_ISSUER), 1);
	assert_int_equal(certa_snapshot_count(snap, CERTA_LIST_REJECTED), 1);
	certa_snapshot_unref(snap);

	/* An empty trust store still loads (certa's own CAs only). */
	certa_close(c);
	c = new_dir(dir, sizeof(dir));
	OK(certa_trust_snapshot_load(c, &snap, &E));
	for (i = 0; i < CERTA_LIST__COUNT; i++)
		assert_int_equal(certa_snapshot_count(snap,
		    (enum certa_trust_list)i), 0);
	certa_snapshot_unref(snap);
	certa_close(c);
	for (i = 0; i < 3; i++)
		X509_free(xs[i]);
	X509_free(ca);
	EVP_PKEY_free(k);
}

/* --- the targeted snapshot of one check ------------------------------- */

struct for_case {
	const char		*what;
	X509			*leaf;
	X509			*chain;		/* or NULL */
	enum certa_trust_mode	 mode;
	bool			 valid;
	const char		*reason;
};

/* One case: the full and the targeted snapshot give the same verdict. */
static void
check_for(struct certa_ctx *c, const struct certa_snapshot *full,
    const struct for_case *fc)
{
	struct certa_verify_policy	 p;
	struct certa_trust_verdict	 vf, vt;
	struct certa_snapshot		*snap = NULL;
	struct blob			 l, ch = { NULL, 0 };
	const uint8_t			*chain[1];
	size_t				 chain_len[1], n = 0;

	memset(&p, 0, sizeof(p));
	memset(&vf, 0, sizeof(vf));
	memset(&vt, 0, sizeof(vt));
	p.mode = fc->mode;
	p.purpose = CERTA_PURPOSE_ANY;
	l = der_of(fc->leaf);
	if (fc->chain != NULL) {
		ch = der_of(fc->chain);
		chain[0] = ch.p;
		chain_len[0] = ch.n;
		n = 1;
	}
	OK(certa_trust_snapshot_load_for(c, l.p, l.n, chain, chain_len, n,
	    &snap, &E));
	assert_int_equal(ERR_peek_error(), 0);
	OK(certa_trust_validate(full, l.p, l.n, chain, chain_len, n, NULL,
	    NULL, 0, &p, &vf, &E));
	OK(certa_trust_validate(snap, l.p, l.n, chain, chain_len, n, NULL,
	    NULL, 0, &p, &vt, &E));
	if (vf.valid != fc->valid || strcmp(vf.reason, fc->reason) != 0 ||
	    vt.valid != vf.valid || strcmp(vt.reason, vf.reason) != 0 ||
	    vt.nchain != vf.nchain)
		fail_msg("%s: full %d %s (%s), targeted %d %s (%s)", fc->what,
		    vf.valid, vf.reason, vf.message, vt.valid, vt.reason,
		    vt.message);
	/* Only what the check needs: never the unrelated anchors. */
	assert_true(certa_snapshot_count(snap, CERTA_LIST_TRUSTED) <
	    certa_snapshot_count(full, CERTA_LIST_TRUSTED));
	certa_trust_verdict_clear(&vf);
	certa_trust_verdict_clear(&vt);
	certa_snapshot_unref(snap);
	blob_free(&l);
	blob_free(&ch);
}

static void
test_snapshot_load_for(void **state)
{
	struct certa_ctx		*c;
	struct certa_trust_import_opts	 o;
	struct certa_snapshot		*full = NULL, *snap = NULL;
	struct blob			 b;
	EVP_PKEY			*rk = mk_key(), *ik = mk_key();
	EVP_PKEY			*lk = mk_key();
	X509				*root, *inter, *good, *bad, *tl, *unk;
	X509				*rej, *noise[4];
	struct certa_trust_rec		 tr;
	char				 dir[PATH_MAX], cn[32], fp[65];
	size_t				 i;

	(void)state;
	c = new_dir(dir, sizeof(dir));
	root = mk_cert("For Root", rk, NULL, NULL, true,
	    "critical,keyCertSign,cRLSign", -60, 86400);
	inter = mk_cert("For Inter", ik, root, rk, true,
	    "critical,keyCertSign,cRLSign", -60, 86400);
	good = mk_cert("for good", lk, inter, ik, false, NULL, -60, 86400);
	bad = mk_cert("for revoked", lk, inter, ik, false, NULL, -60, 86400);
	tl = self_signed("for listed", false);
	unk = self_signed("for unknown", false);
	rej = self_signed("for rejected", false);
	for (i = 0; i < 4; i++) {
		snprintf(cn, sizeof(cn), "For Noise %zu", i);
		noise[i] = self_signed(cn, true);
		b = der_of(noise[i]);
		o = opts(NULL, CERTA_LIST_TRUSTED, NULL);
		import_ok(c, &b, &o, 1, NULL);
		blob_free(&b);
	}
	o = opts(NULL, CERTA_LIST_TRUSTED, NULL);
	b = der_of(root);
	import_ok(c, &b, &o, 1, NULL);
	blob_free(&b);
	b = der_of(tl);
	import_ok(c, &b, &o, 1, NULL);
	blob_free(&b);
	o = opts(NULL, CERTA_LIST_ISSUER, NULL);
	b = der_of(inter);
	import_ok(c, &b, &o, 1, NULL);
	blob_free(&b);
	b = der_of(rej);
	OK(certa_trust_record_rejected(c, b.p, b.n, NULL, NULL, &E));
	blob_free(&b);
	b = crl_of(inter, ik, 1,
	    ASN1_INTEGER_get(X509_get0_serialNumber(bad)));
	OK(certa_trust_crl_import(c, b.p, b.n, NULL, NULL, &E));
	blob_free(&b);
	OK(certa_trust_snapshot_load(c, &full, &E));

	{
		const struct for_case	cases[] = {
			{ "trusted_list hit", tl, NULL,
			    CERTA_MODE_TRUSTED_LIST, true, "ok" },
			{ "trusted_list rejected", rej, NULL,
			    CERTA_MODE_TRUSTED_LIST, false, "rejected" },
			{ "trusted_list unknown", unk, NULL,
			    CERTA_MODE_TRUSTED_LIST, false, "untrusted" },
			{ "trusted_ca via issuer list", good, NULL,
			    CERTA_MODE_TRUSTED_CA, true, "ok" },
			{ "trusted_ca with peer chain", good, inter,
			    CERTA_MODE_TRUSTED_CA, true, "ok" },
			{ "trusted_ca revoked by stored CRL", bad, NULL,
			    CERTA_MODE_TRUSTED_CA, false, "revoked" },
			{ "trusted_ca unknown", unk, NULL,
			    CERTA_MODE_TRUSTED_CA, false, "untrusted" },
			{ "certa_ca unknown", good, NULL,
			    CERTA_MODE_CERTA_CA, false, "untrusted" },
		};

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			check_for(c, full, &cases[i]);
	}

	/* Bad input. */
	RC(certa_trust_snapshot_load_for(c, NULL, 0, NULL, NULL, 0, &snap,
	    &E), CERTA_E_INVAL);
	assert_null(snap);
	b = der_of(good);
	RC(certa_trust_snapshot_load_for(c, b.p, b.n / 2, NULL, NULL, 0,
	    &snap, &E), CERTA_E_PARSE);
	assert_null(snap);
	assert_int_equal(ERR_peek_error(), 0);

	/*
	 * An entry stored before schema 3 (no subject_key): the index cannot
	 * answer, so the targeted load is the full one.
	 */
	memset(&tr, 0, sizeof(tr));
	tr.alias = (char *)(uintptr_t)"pre-index";
	tr.list = (char *)(uintptr_t)"trusted";
	tr.der = b.p;
	tr.der_len = b.n;
	certa_trust_fp(b.p, b.n, fp);
	tr.fingerprint = fp;
	tr.subject = tr.issuer = (char *)(uintptr_t)"CN=for good";
	tr.serial = (char *)(uintptr_t)"1";
	tr.not_after = 1;
	OK(certa_store_trust_put(certa_ctx_store(c), &tr, &E));
	certa_snapshot_unref(full);
	OK(certa_trust_snapshot_load(c, &full, &E));
	OK(certa_trust_snapshot_load_for(c, b.p, b.n, NULL, NULL, 0, &snap,
	    &E));
	assert_int_equal(certa_snapshot_count(snap, CERTA_LIST_TRUSTED),
	    certa_snapshot_count(full, CERTA_LIST_TRUSTED));
	certa_snapshot_unref(snap);
	blob_free(&b);

	certa_snapshot_unref(full);
	certa_close(c);
	for (i = 0; i < 4; i++)
		X509_free(noise[i]);
	X509_free(root);
	X509_free(inter);
	X509_free(good);
	X509_free(bad);
	X509_free(tl);
	X509_free(unk);
	X509_free(rej);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(lk);
}

/* --- the current snapshot under concurrent readers -------------------- */

#define READERS		4
#define WRITES		25

struct reader {
	pthread_t	 t;
	const char	*dir;
	volatile int	*done;
	size_t		 gets;
	size_t		 swaps_seen;
	bool		 bad;
	char		 why[CERTA_ERR_MSG_MAX + 64];
	size_t		 final_count;
	size_t		 expect;	/* entries after the last write */
	size_t		 after_done;	/* gets after it */
};

static void *
reader_main(void *arg)
{
	struct reader		*rd = arg;
	struct certa_ctx	*c = NULL;
	struct certa_snapshot	*s, *held = NULL;
	struct certa_err	 err;
	uint64_t		 last_gen = 0;
	size_t			 last_n = 0, n;
	bool			 finished = false;

	certa_err_clear(&err);
	if (certa_open(rd->dir, passfile, &c, &err) != CERTA_OK) {
		snprintf(rd->why, sizeof(rd->why), "open: %s", err.msg);
		rd->bad = true;
		return NULL;
	}
	while (!finished) {
		/*
		 * After the last write, a get may still hand out the snapshot
		 * being replaced while another reader rebuilds; it must catch
		 * up within a few gets.
		 */
		if (__atomic_load_n(rd->done, __ATOMIC_ACQUIRE) != 0)
			finished = last_n == rd->expect ||
			    ++rd->after_done > 100000;
		if (certa_trust_current(c, &s, &err) != CERTA_OK) {
			snprintf(rd->why, sizeof(rd->why), "get: %s",
			    err.msg);
			rd->bad = true;
			break;
		}
		rd->gets++;
		n = certa_snapshot_count(s, CERTA_LIST_TRUSTED);
		/* Imports only: generations and contents never go back. */
		if (certa_snapshot_generation(s) < last_gen || n < last_n) {
			snprintf(rd->why, sizeof(rd->why), "went back: gen "
			    "%llu < %llu or %zu < %zu",
			    (unsigned long long)certa_snapshot_generation(s),
			    (unsigned long long)last_gen, n, last_n);
			rd->bad = true;
		}
		if (certa_snapshot_generation(s) != last_gen)
			rd->swaps_seen++;
		last_gen = certa_snapshot_generation(s);
		last_n = n;
		/*
		 * Keep the previous one a while: it must stay readable after
		 * the holder swapped it out (ASan would see a use after free).
		 */
		if (held != NULL && certa_snapshot_count(held,
		    CERTA_LIST_TRUSTED) > n)
			rd->bad = true;
		certa_snapshot_unref(held);
		held = s;
	}
	rd->final_count = held != NULL ? certa_snapshot_count(held,
	    CERTA_LIST_TRUSTED) : 0;
	certa_snapshot_unref(held);
	certa_close(c);
	return NULL;
}

static void
test_current_swap(void **state)
{
	struct certa_ctx		*c;
	struct certa_trust_import_opts	 o = opts(NULL, CERTA_LIST_TRUSTED,
					    NULL);
	struct certa_snapshot		*a = NULL, *b2 = NULL;
	struct certa_trust_holder	*h = NULL;
	struct reader			 rd[READERS];
	struct blob			 b;
	volatile int			 done = 0;
	char				 dir[PATH_MAX], cn[32];
	X509				*x;
	int				 i;

	(void)state;
	c = new_dir(dir, sizeof(dir));

	/* No change, no rebuild: the same snapshot comes back. */
	OK(certa_trust_current(c, &a, &E));
	OK(certa_trust_current(c, &b2, &E));
	assert_ptr_equal(a, b2);
	certa_snapshot_unref(b2);
	/* A change is seen at the next get; the old one stays readable. */
	x = self_signed("first", false);
	b = der_of(x);
	import_ok(c, &b, &o, 1, NULL);
	blob_free(&b);
	X509_free(x);
	OK(certa_trust_current(c, &b2, &E));
	assert_ptr_not_equal(a, b2);
	assert_true(certa_snapshot_generation(b2) >
	    certa_snapshot_generation(a));
	assert_int_equal(certa_snapshot_count(a, CERTA_LIST_TRUSTED), 0);
	assert_int_equal(certa_snapshot_count(b2, CERTA_LIST_TRUSTED), 1);
	certa_snapshot_unref(a);
	certa_snapshot_unref(b2);

	/* An explicit holder behaves alike; peek does not check. */
	OK(certa_trust_holder_new(&h, &E));
	assert_null(certa_trust_holder_peek(h));
	OK(certa_trust_holder_get(h, c, &a, &E));
	b2 = certa_trust_holder_peek(h);
	assert_ptr_equal(a, b2);
	certa_snapshot_unref(a);
	certa_snapshot_unref(b2);
	certa_trust_holder_free(h);

	/* Readers on their own handles while a writer imports. */
	memset(rd, 0, sizeof(rd));
	for (i = 0; i < READERS; i++) {
		rd[i].dir = dir;
		rd[i].done = &done;
		rd[i].expect = WRITES + 1;
		assert_int_equal(pthread_create(&rd[i].t, NULL, reader_main,
		    &rd[i]), 0);
	}
	for (i = 0; i < WRITES; i++) {
		snprintf(cn, sizeof(cn), "w%d", i);
		x = self_signed(cn, false);
		b = der_of(x);
		import_ok(c, &b, &o, 1, NULL);
		blob_free(&b);
		X509_free(x);
		nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
	}
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	for (i = 0; i < READERS; i++) {
		assert_int_equal(pthread_join(rd[i].t, NULL), 0);
		if (rd[i].bad)
			fail_msg("reader %d: %s", i, rd[i].why);
		assert_true(rd[i].gets > 0);
		/* The last get came after the last write. */
		assert_int_equal(rd[i].final_count, WRITES + 1);
	}
	certa_trust_current_reset();
	certa_close(c);
}

/* Another data directory replaces the process-wide one. */
static void
test_current_other_dir(void **state)
{
	struct certa_ctx	*c1, *c2;
	struct certa_snapshot	*s1 = NULL, *s2 = NULL;
	struct certa_trust_import_opts o = opts(NULL, CERTA_LIST_TRUSTED,
				    NULL);
	struct blob		 b;
	X509			*x;
	char			 d1[PATH_MAX], d2[PATH_MAX];

	(void)state;
	c1 = new_dir(d1, sizeof(d1));
	c2 = new_dir(d2, sizeof(d2));
	x = self_signed("only in one", false);
	b = der_of(x);
	import_ok(c1, &b, &o, 1, NULL);
	OK(certa_trust_current(c1, &s1, &E));
	OK(certa_trust_current(c2, &s2, &E));
	assert_int_equal(certa_snapshot_count(s1, CERTA_LIST_TRUSTED), 1);
	assert_int_equal(certa_snapshot_count(s2, CERTA_LIST_TRUSTED), 0);
	certa_snapshot_unref(s1);
	certa_snapshot_unref(s2);
	blob_free(&b);
	X509_free(x);
	certa_trust_current_reset();
	certa_close(c1);
	certa_close(c2);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_import_formats),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_duplicates_aliases),
		cmocka_unit_test(test_lists_export_delete),
		cmocka_unit_test(test_knock),
		cmocka_unit_test(test_crl),
		cmocka_unit_test(test_snapshot_load),
		cmocka_unit_test(test_snapshot_load_for),
		cmocka_unit_test(test_current_swap),
		cmocka_unit_test(test_current_other_dir),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
