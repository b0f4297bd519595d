/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the public library API (include/certa/certa.h): data
 * directories, organisations and applications, issuance one by one and in
 * batches, revocation and CRLs, verification and the audit chain.  Each
 * test works in data directories under one mkdtemp directory; requests
 * and foreign certificates are made here with OpenSSL, and every result is
 * judged by OpenSSL (X509_verify, X509_CRL_verify, PKCS12_parse).
 *
 * The one exception to "public API only" is test_audit_tamper, which edits
 * the SQLite file behind the library's back: that is the attack it
 * simulates.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>		/* test_audit_tamper only */

#include <certa/certa.h>
#include <certa/store.h>
#include <certa/util.h>

/* Every call is checked for errors left on the OpenSSL queue. */
#define TEST_AFTER_CALL(text)	note_queue(text)
#include "testutil.h"

#define DAY		86400
#define BASE_URL	"http://ca.example:8080"
#define PASS		"correct horse battery staple"

static char		 base[64];	/* mkdtemp */
static char		 passfile[128], wrongpass[128];
static char		 main_dir[128];	/* two-tier P-256, shared */




/*
 * Files and directories.
 */


/* Number of entries in dir; -1 when it does not exist. */
static int
dir_entries(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* BASE/name, in a ring of buffers. */
static const char *
path_of(const char *name)
{
	static char	 ring[8][160];
	static int	 i;
	char		*p = ring[i++ % 8];

	snprintf(p, sizeof(ring[0]), "%s/%s", base, name);
	return p;
}

static void
write_file(const char *path, const char *text)
{
	FILE	*f;

	assert_non_null(f = fopen(path, "w"));
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/*
 * OpenSSL fixtures.
 */

static X509 *
x509_of(const uint8_t *der, size_t len)
{
	const unsigned char	*p = der;
	X509			*x;

	assert_non_null(x = d2i_X509(NULL, &p, (long)len));
	assert_ptr_equal(p, der + len);
	return x;
}

/* All certificates of a PEM buffer, in order. */
static STACK_OF(X509) *
pem_certs(const uint8_t *pem, size_t len)
{
	STACK_OF(X509)	*sk;
	BIO		*bio;
	X509		*x;

	assert_non_null(sk = sk_X509_new_null());
	assert_non_null(bio = BIO_new_mem_buf(pem, (int)len));
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		assert_true(sk_X509_push(sk, x) > 0);
	ERR_clear_error();
	BIO_free(bio);
	return sk;
}

static EVP_PKEY *
keygen(const char *alg, const char *arg)
{
	EVP_PKEY	*k;

	if (strcmp(alg, "RSA") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		    (size_t)strtoul(arg, NULL, 10));
	else if (arg != NULL)
		k = EVP_PKEY_Q_keygen(NULL, NULL, alg, arg);
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, alg);
	assert_non_null(k);
	return k;
}

static const EVP_MD *
md_for(EVP_PKEY *key)
{
	if (EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448"))
		return NULL;
	if (EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) > 256)
		return EVP_sha384();
	return EVP_sha256();
}

/*
 * A DER PKCS#10 request (malloc'ed) for key: subject "O=o,CN=cn" (either
 * may be NULL), SANs "DNS:..."/"IP:..." built by hand.
 */
static uint8_t *
make_csr(EVP_PKEY *key, const char *cn, const char *o,
    const char *const *sans, size_t nsans, size_t *len)
{
	X509_REQ			*req;
	X509_NAME			*n;
	GENERAL_NAMES			*gens;
	GENERAL_NAME			*g;
	ASN1_STRING			*s;
	STACK_OF(X509_EXTENSION)	*exts;
	X509_EXTENSION			*ext;
	unsigned char			*der = NULL;
	uint8_t				*out;
	size_t				 i;
	int				 dlen;

	assert_non_null(req = X509_REQ_new());
	assert_non_null(n = X509_NAME_new());
	if (o != NULL)
		assert_int_equal(X509_NAME_add_entry_by_txt(n, "O",
		    MBSTRING_UTF8, (const unsigned char *)o, -1, -1, 0), 1);
	if (cn != NULL)
		assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN",
		    MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_REQ_set_subject_name(req, n), 1);
	X509_NAME_free(n);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	if (nsans > 0) {
		assert_non_null(gens = GENERAL_NAMES_new());
		for (i = 0; i < nsans; i++) {
			assert_non_null(g = GENERAL_NAME_new());
			if (strncmp(sans[i], "IP:", 3) == 0) {
				assert_non_null(s = a2i_IPADDRESS(sans[i] + 3));
				GENERAL_NAME_set0_value(g, GEN_IPADD, s);
			} else {
				assert_int_equal(strncmp(sans[i], "DNS:", 4),
				    0);
				assert_non_null(s = ASN1_IA5STRING_new());
				assert_int_equal(ASN1_STRING_set(s, sans[i] + 4,
				    -1), 1);
				GENERAL_NAME_set0_value(g, GEN_DNS, s);
			}
			assert_true(sk_GENERAL_NAME_push(gens, g) > 0);
		}
		assert_non_null(exts = sk_X509_EXTENSION_new_null());
		assert_non_null(ext = X509V3_EXT_i2d(NID_subject_alt_name, 0,
		    gens));
		assert_true(sk_X509_EXTENSION_push(exts, ext) > 0);
		assert_int_equal(X509_REQ_add_extensions(req, exts), 1);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
		GENERAL_NAMES_free(gens);
	}
	assert_true(X509_REQ_sign(req, key, md_for(key)) > 0);
	dlen = i2d_X509_REQ(req, &der);
	assert_true(dlen > 0);
	assert_non_null(out = malloc((size_t)dlen));
	memcpy(out, der, (size_t)dlen);
	*len = (size_t)dlen;
	OPENSSL_free(der);
	X509_REQ_free(req);
	return out;
}

/* A leaf for key signed by ikey as icert (NULL: self-signed CA). */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, EVP_PKEY *ikey, X509 *icert,
    long days)
{
	X509			*x;
	X509_NAME		*n;
	BASIC_CONSTRAINTS	*bc;

	assert_non_null(x = X509_new());
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x),
	    0x7e57), 1);
	assert_non_null(n = X509_NAME_new());
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_subject_name(x, n), 1);
	assert_int_equal(X509_set_issuer_name(x, icert ?
	    X509_get_subject_name(icert) : n), 1);
	X509_NAME_free(n);
	assert_non_null(X509_time_adj_ex(X509_getm_notBefore(x), 0, -60,
	    NULL));
	assert_non_null(X509_time_adj_ex(X509_getm_notAfter(x), days, 0,
	    NULL));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	assert_non_null(bc = BASIC_CONSTRAINTS_new());
	bc->ca = icert == NULL ? 0xff : 0;
	assert_int_equal(X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1,
	    X509V3_ADD_DEFAULT), 1);
	BASIC_CONSTRAINTS_free(bc);
	if (icert != NULL && X509_get0_subject_key_id(icert) != NULL) {
		/* Point at the issuer the way certa's leaves do. */
		AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new();

		assert_non_null(aki);
		assert_non_null(aki->keyid = ASN1_OCTET_STRING_dup(
		    X509_get0_subject_key_id(icert)));
		assert_int_equal(X509_add1_ext_i2d(x,
		    NID_authority_key_identifier, aki, 0, X509V3_ADD_DEFAULT),
		    1);
		AUTHORITY_KEYID_free(aki);
	}
	if (ikey == NULL)
		ikey = key;
	assert_true(X509_sign(x, ikey, md_for(ikey)) > 0);
	return x;
}

static uint8_t *
der_of(X509 *x, size_t *len)
{
	unsigned char	*der = NULL;
	uint8_t		*out;
	int		 n;

	n = i2d_X509(x, &der);
	assert_true(n > 0);
	assert_non_null(out = malloc((size_t)n));
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	return out;
}

static int64_t
unix_of(const ASN1_TIME *t)
{
	ASN1_TIME	*epoch;
	int		 days, secs;

	assert_non_null(epoch = ASN1_TIME_set(NULL, 0));
	assert_int_equal(ASN1_TIME_diff(&days, &secs, epoch, t), 1);
	ASN1_TIME_free(epoch);
	return (int64_t)days * DAY + secs;
}

/* URI of the first CRL distribution point, malloc'ed, or NULL. */
static char *
crldp_uri(X509 *x)
{
	CRL_DIST_POINTS	*cdp;
	DIST_POINT	*dp;
	GENERAL_NAME	*g;
	char		*s = NULL;

	cdp = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	if (cdp == NULL)
		return NULL;
	dp = sk_DIST_POINT_value(cdp, 0);
	if (dp != NULL && dp->distpoint != NULL && dp->distpoint->type == 0) {
		g = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0);
		if (g != NULL && g->type == GEN_URI)
			s = strdup((const char *)ASN1_STRING_get0_data(
			    g->d.uniformResourceIdentifier));
	}
	CRL_DIST_POINTS_free(cdp);
	return s;
}

/* URI of the AIA access description method (NID), malloc'ed, or NULL. */
static char *
aia_uri(X509 *x, int method)
{
	AUTHORITY_INFO_ACCESS	*aia;
	ACCESS_DESCRIPTION	*ad;
	char			*s = NULL;
	int			 i;

	aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
	if (aia == NULL)
		return NULL;
	for (i = 0; i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
		ad = sk_ACCESS_DESCRIPTION_value(aia, i);
		if (OBJ_obj2nid(ad->method) == method &&
		    ad->location->type == GEN_URI && s == NULL)
			s = strdup((const char *)ASN1_STRING_get0_data(
			    ad->location->d.uniformResourceIdentifier));
	}
	AUTHORITY_INFO_ACCESS_free(aia);
	return s;
}

/*
 * Library fixtures.
 */

/* Initialise BASE/name; passphrase from passfile. */
static const char *
init_ca(const char *name, const char *spec, bool single,
    const char *subject)
{
	struct certa_init_opts	 o;
	const char		*dir = path_of(name);
	char			*created = (char *)1;

	memset(&o, 0, sizeof(o));
	o.dir = dir;
	o.key_spec = spec;
	o.subject = subject;
	o.base_url = BASE_URL;
	o.single_tier = single;
	o.passphrase_file = passfile;
	o.actor = "test:init";
	OK(certa_init(&o, &created, &E));
	assert_null(created);
	return dir;
}

static struct certa_ctx *
open_ctx(const char *dir, const char *pass_file)
{
	struct certa_ctx	*c = NULL;

	OK(certa_open(dir, pass_file, &c, &E));
	assert_non_null(c);
	certa_ctx_set_actor(c, "test:alice");
	return c;
}

/* The issuing CA certificate (and the root, or NULL when single-tier). */
static X509 *
issuing_of(struct certa_ctx *c, X509 **root)
{
	STACK_OF(X509)	*sk;
	uint8_t		*pem;
	size_t		 len;
	X509		*x;

	OK(certa_ca_export(c, true, "pem", &pem, &len, &E));
	sk = pem_certs(pem, len);
	free(pem);
	assert_true(sk_X509_num(sk) >= 1 && sk_X509_num(sk) <= 2);
	x = sk_X509_shift(sk);
	if (root != NULL)
		*root = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	return x;
}

static certa_rc
count_one(const struct certa_cert_rec *r, void *arg)
{
	(void)r;
	(*(size_t *)arg)++;
	return CERTA_OK;
}

static size_t
count_certs(struct certa_ctx *c)
{
	struct certa_cert_filter	 f;
	size_t				 n = 0;

	memset(&f, 0, sizeof(f));
	f.status = -1;
	OK(certa_store_cert_each(certa_ctx_store(c), &f, count_one, &n, &E));
	return n;
}

/* Audit records, checking the chain is intact. */
static int64_t
audit_count(struct certa_ctx *c)
{
	int64_t	 bad = -1, n = -1;

	OK(certa_audit_verify(c, &bad, &n, &E));
	assert_int_equal(bad, 0);
	return n;
}

static int64_t
app_in(struct certa_ctx *c, const char *org, const char *app)
{
	struct certa_org_rec	 o;
	struct certa_app_rec	 a;
	int64_t			 id;

	if (certa_org_resolve(c, org, &o, NULL) != CERTA_OK)
		OK(certa_org_create(c, org, &o, &E));
	certa_org_rec_clear(&o);
	OK(certa_app_create(c, org, app, &a, &E));
	id = a.id;
	certa_app_rec_clear(&a);
	return id;
}

/* Issue from a fresh P-256 key's CSR; returns the record. */
static void
issue_simple(struct certa_ctx *c, int64_t app, const char *cn,
    struct certa_cert_rec *out)
{
	struct certa_issue_req	 r;
	EVP_PKEY		*k = keygen("EC", "P-256");
	uint8_t			*csr;
	size_t			 len;

	csr = make_csr(k, cn, NULL, NULL, 0, &len);
	memset(&r, 0, sizeof(r));
	r.app_id = app;
	r.type = "transport";
	r.csr = csr;
	r.csr_len = len;
	OK(certa_issue(c, &r, out, &E));
	free(csr);
	EVP_PKEY_free(k);
}

/*
 * certa_init / certa_open.
 */

/* certa's own reading of a certificate (subject, key_alg, ...). */
static void
info_of(X509 *x, struct certa_cert_info *info)
{
	uint8_t	*der;
	size_t	 len;

	der = der_of(x, &len);
	OK(certa_cert_info_get(der, len, info, &E));
	free(der);
}

/* The CA pair of an initialised directory (root NULL: single-tier). */
static void
check_cas(struct certa_ctx *c, const char *spec, const char *root_dn,
    const char *iss_dn)
{
	struct certa_cert_info	 ii, ri;
	X509			*iss, *root = NULL;
	char			*s;

	iss = issuing_of(c, &root);
	info_of(iss, &ii);
	assert_string_equal(ii.key_alg, spec);
	assert_string_equal(ii.subject, iss_dn);
	assert_true(ii.is_ca);
	assert_true(ii.not_after - ii.not_before >= 3650 * DAY);
	assert_true(ii.not_before <= certa_now() &&
	    ii.not_before >= certa_now() - 120);
	assert_int_equal(X509_check_ca(iss), 1);
	assert_true(X509_get_key_usage(iss) & KU_KEY_CERT_SIGN);
	assert_true(X509_get_key_usage(iss) & KU_CRL_SIGN);
	assert_non_null(X509_get0_subject_key_id(iss));
	if (root_dn == NULL) {
		/* Single-tier: one self-signed CA. */
		assert_null(root);
		assert_string_equal(ii.issuer, iss_dn);
		assert_int_equal(X509_verify(iss, X509_get0_pubkey(iss)), 1);
		assert_null(crldp_uri(iss));
	} else {
		assert_non_null(root);
		info_of(root, &ri);
		assert_string_equal(ri.key_alg, spec);
		assert_string_equal(ri.subject, root_dn);
		assert_string_equal(ri.issuer, root_dn);
		assert_string_equal(ii.issuer, root_dn);
		assert_true(ri.is_ca);
		certa_cert_info_clear(&ri);
		assert_int_equal(X509_verify(root, X509_get0_pubkey(root)),
		    1);
		assert_int_equal(X509_verify(iss, X509_get0_pubkey(root)), 1);
		assert_int_equal(X509_verify(iss, X509_get0_pubkey(iss)), 0);
		ERR_clear_error();
		/* RFC 5280 §4.2.1.9: the issuing CA issues leaves only. */
		assert_int_equal(X509_get_pathlen(iss), 0);
		assert_non_null(s = crldp_uri(iss));
		assert_string_equal(s, BASE_URL "/crl/root.crl");
		free(s);
	}
	certa_cert_info_clear(&ii);
	X509_free(iss);
	X509_free(root);
}

static certa_rc
note_ca(const struct certa_ca_rec *r, void *arg)
{
	struct certa_ca_rec	*seen = arg;
	size_t			 i = strcmp(r->role, "root") == 0 ? 0 : 1;

	seen[i].id = r->id;
	seen[i].parent_id = r->parent_id;
	seen[i].crl_number++;		/* counts rows per role */
	if (r->key_pem == NULL ||
	    strstr(r->key_pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----") ==
	    NULL)
		seen[i].created_at = -1;	/* flags an unencrypted key */
	return CERTA_OK;
}

/* Issue one certificate with a CSR of spec's kind and check its chain. */
static void
issue_and_verify(struct certa_ctx *c, const char *org)
{
	struct certa_cert_rec	 rec;
	struct certa_verdict	 v;
	X509			*x, *iss;

	issue_simple(c, app_in(c, org, "app"), "leaf", &rec);
	x = x509_of(rec.der, rec.der_len);
	iss = issuing_of(c, NULL);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(iss)), 1);
	OK(certa_verify_cert(c, rec.der, rec.der_len, 0, &v, &E));
	assert_true(v.valid);
	assert_string_equal(v.reason, "ok");
	X509_free(iss);
	X509_free(x);
	certa_cert_rec_clear(&rec);
}

static void
test_init_two_tier(void **state)
{
	static const char *const specs[] = { "ec:P-256", "ec:P-384",
	    "ed25519", "rsa:3072" };
	struct certa_ca_rec	 seen[2];
	struct certa_ctx	*c;
	const char		*dir;
	char			 name[32];
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(specs); i++) {
		snprintf(name, sizeof(name), "two-tier-%zu", i);
		dir = init_ca(name, specs[i], false, NULL);
		c = open_ctx(dir, passfile);
		assert_string_equal(certa_ctx_dir(c), dir);
		check_cas(c, specs[i], "CN=certa Root CA",
		    "CN=certa Issuing CA");
		memset(seen, 0, sizeof(seen));
		OK(certa_store_ca_each(certa_ctx_store(c), note_ca, seen, &E));
		assert_int_equal(seen[0].crl_number, 1);
		assert_int_equal(seen[1].crl_number, 1);
		assert_int_equal(seen[0].parent_id, 0);
		assert_int_equal(seen[1].parent_id, seen[0].id);
		assert_int_equal(seen[0].created_at, 0);
		assert_int_equal(seen[1].created_at, 0);
		/* One audit record: the init. */
		assert_int_equal(audit_count(c), 1);
		issue_and_verify(c, "org");
		certa_close(c);
		rm_rf(path_of(name));
	}
	/* A subject of our own: the issuing CA's CN says "Issuing". */
	dir = init_ca("two-tier-subject", NULL, false,
	    "CN=Acme Root CA,O=Acme,C=DE");
	c = open_ctx(dir, passfile);
	check_cas(c, "ec:P-256", "CN=Acme Root CA,O=Acme,C=DE",
	    "CN=Acme Issuing CA,O=Acme,C=DE");
	certa_close(c);
	rm_rf(path_of("two-tier-subject"));
}

static void
test_init_single_tier(void **state)
{
	struct certa_ca_rec	 seen[2];
	struct certa_ctx	*c;
	const char		*dir;

	(void)state;
	dir = init_ca("single", "ec:P-384", true, "CN=Acme CA,O=Acme");
	c = open_ctx(dir, passfile);
	check_cas(c, "ec:P-384", NULL, "CN=Acme CA,O=Acme");
	memset(seen, 0, sizeof(seen));
	OK(certa_store_ca_each(certa_ctx_store(c), note_ca, seen, &E));
	assert_int_equal(seen[0].crl_number, 0);	/* no root */
	assert_int_equal(seen[1].crl_number, 1);
	assert_int_equal(seen[1].parent_id, 0);
	assert_int_equal(audit_count(c), 1);
	issue_and_verify(c, "org");
	/* Its CRL is signed by the one CA. */
	{
		struct certa_crl_info	 info;
		const unsigned char	*p;
		X509_CRL		*crl;
		X509			*ca = issuing_of(c, NULL);
		uint8_t			*der;
		size_t			 len;

		OK(certa_crl_generate(c, false, 0, &der, &len, &info, &E));
		assert_int_equal(info.number, 1);
		p = der;
		assert_non_null(crl = d2i_X509_CRL(NULL, &p, (long)len));
		assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca)),
		    1);
		X509_CRL_free(crl);
		X509_free(ca);
		free(der);
	}
	certa_close(c);
	rm_rf(path_of("single"));
}

/* No passphrase source: init writes DIR/passphrase (0600). */
static void
test_init_generated_pass(void **state)
{
	struct certa_init_opts	 o;
	struct certa_ctx	*c;
	struct stat		 st;
	const char		*dir = path_of("genpass");
	char			*created = NULL, *pass = NULL, want[192];

	(void)state;
	memset(&o, 0, sizeof(o));
	o.dir = dir;
	o.base_url = BASE_URL;
	OK(certa_init(&o, &created, &E));
	snprintf(want, sizeof(want), "%s/passphrase", dir);
	assert_non_null(created);
	assert_string_equal(created, want);
	free(created);
	assert_int_equal(stat(want, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	OK(certa_passphrase_read(want, &pass, &E));
	assert_int_equal(strlen(pass), 64);
	assert_int_equal(strspn(pass, "0123456789abcdef"), 64);
	certa_free_secret(pass, strlen(pass) + 1);
	/* Opened without a passphrase source, the CA uses that file. */
	c = open_ctx(dir, NULL);
	check_cas(c, "ec:P-256", "CN=certa Root CA", "CN=certa Issuing CA");
	issue_and_verify(c, "org");
	certa_close(c);
	/* Without it, no key can be unlocked, and nothing is issued. */
	assert_int_equal(unlink(want), 0);
	c = open_ctx(dir, NULL);
	{
		struct certa_cert_rec	 rec;
		struct certa_issue_req	 r;

		memset(&r, 0, sizeof(r));
		r.app_id = 1;
		r.type = "transport";
		r.keygen = "ec:P-256";
		r.subject = "CN=x";
		RC(certa_issue(c, &r, &rec, &E), CERTA_E_NOTFOUND);
		assert_null(rec.der);
		assert_int_equal(count_certs(c), 1);
	}
	certa_close(c);
	rm_rf(dir);
}

/* $CERTA_PASSPHRASE_FILE and $CERTA_PASSPHRASE. */
static void
test_init_env_pass(void **state)
{
	struct certa_init_opts	 o;
	struct certa_ctx	*c;
	const char		*dir = path_of("envpass");
	char			*created = (char *)1, pf[192];

	(void)state;
	memset(&o, 0, sizeof(o));
	o.dir = dir;
	assert_int_equal(setenv("CERTA_PASSPHRASE_FILE", passfile, 1), 0);
	OK(certa_init(&o, &created, &E));
	assert_null(created);
	snprintf(pf, sizeof(pf), "%s/passphrase", dir);
	assert_int_not_equal(access(pf, F_OK), 0);
	c = open_ctx(dir, NULL);
	issue_and_verify(c, "org1");
	certa_close(c);
	assert_int_equal(unsetenv("CERTA_PASSPHRASE_FILE"), 0);
	/* The same passphrase from the environment. */
	assert_int_equal(setenv("CERTA_PASSPHRASE", PASS, 1), 0);
	c = open_ctx(dir, NULL);
	issue_and_verify(c, "org2");
	certa_close(c);
	/* An explicit file wins over the environment. */
	c = open_ctx(dir, wrongpass);
	{
		struct certa_cert_rec	 rec;
		struct certa_issue_req	 r;

		memset(&r, 0, sizeof(r));
		r.app_id = 1;
		r.type = "transport";
		r.keygen = "ec:P-256";
		r.subject = "CN=x";
		RC(certa_issue(c, &r, &rec, &E), CERTA_E_CRYPTO);
	}
	certa_close(c);
	assert_int_equal(unsetenv("CERTA_PASSPHRASE"), 0);
	rm_rf(dir);
}

static void
test_init_twice(void **state)
{
	struct certa_init_opts	 o;
	struct certa_ctx	*c;
	const char		*dir;
	uint8_t			*a, *b;
	size_t			 alen, blen;
	char			*created;
	int			 n;

	(void)state;
	dir = init_ca("twice", NULL, false, NULL);
	c = open_ctx(dir, passfile);
	OK(certa_ca_export(c, true, "pem", &a, &alen, &E));
	certa_close(c);
	n = dir_entries(dir);

	memset(&o, 0, sizeof(o));
	o.dir = dir;
	o.passphrase_file = passfile;
	created = (char *)1;
	RC(certa_init(&o, &created, &E), CERTA_E_CONFLICT);
	assert_null(created);
	assert_true(E.msg[0] != '\0');
	/* Other options, no passphrase: still refused, nothing written. */
	o.single_tier = true;
	o.key_spec = "rsa:2048";
	o.passphrase_file = NULL;
	RC(certa_init(&o, &created, &E), CERTA_E_CONFLICT);
	assert_null(created);
	assert_int_equal(dir_entries(dir), n);

	c = open_ctx(dir, passfile);
	OK(certa_ca_export(c, true, "pem", &b, &blen, &E));
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	assert_int_equal(audit_count(c), 1);
	issue_and_verify(c, "org");
	certa_close(c);
	free(a);
	free(b);
	rm_rf(dir);
}

/* Bad options: an error, and nothing left in the directory. */
static void
test_init_bad(void **state)
{
	static const struct {
		const char	*base_url;
		const char	*spec;
		const char	*subject;
		int64_t		 validity;
		bool		 nopassfile;	/* a missing passphrase file */
		certa_rc	 rc;		/* CERTA_OK: any error */
	} t[] = {
		{ "ftp://ca.example", NULL, NULL, 0, false, CERTA_E_PARSE },
		{ "", NULL, NULL, 0, false, CERTA_E_PARSE },
		{ "ca.example:8080", NULL, NULL, 0, false, CERTA_E_PARSE },
		{ "http://ca example", NULL, NULL, 0, false, CERTA_E_PARSE },
		{ "http://ca.example/\n", NULL, NULL, 0, false,
		  CERTA_E_PARSE },
		{ NULL, "ec:P-999", NULL, 0, false, CERTA_E_PARSE },
		{ NULL, "rsa:1024", NULL, 0, false, CERTA_E_PARSE },
		{ NULL, "rsa:2048", NULL, 0, false, CERTA_E_PARSE },
		{ NULL, NULL, "XX=root", 0, false, CERTA_E_PARSE },
		{ NULL, NULL, "", 0, false, CERTA_E_PARSE },
		{ NULL, NULL, NULL, -DAY, false, CERTA_OK },
		{ NULL, NULL, NULL, 0, true, CERTA_OK },
	};
	struct certa_init_opts	 o;
	struct certa_ctx	*c;
	char			 name[32], nopf[192], *created;
	const char		*dir;
	size_t			 i, pre;
	certa_rc		 rc;

	(void)state;
	snprintf(nopf, sizeof(nopf), "%s/no-such-passphrase", base);
	for (i = 0; i < NELEM(t); i++)
		for (pre = 0; pre < 2; pre++) {
			snprintf(name, sizeof(name), "bad-%zu-%zu", i, pre);
			dir = path_of(name);
			/* Once into a directory made beforehand. */
			if (pre)
				assert_int_equal(mkdir(dir, 0700), 0);
			memset(&o, 0, sizeof(o));
			o.dir = dir;
			o.base_url = t[i].base_url;
			o.key_spec = t[i].spec;
			o.subject = t[i].subject;
			o.validity = t[i].validity;
			o.passphrase_file = t[i].nopassfile ? nopf : passfile;
			created = (char *)1;
			certa_err_clear(&E);
			rc = certa_init(&o, &created, &E);
			note_queue("certa_init");
			if (rc == CERTA_OK) {
				BAD("init[%zu]: accepted", i);
				free(created);
				rm_rf(dir);
				continue;
			}
			if (t[i].rc != CERTA_OK && rc != t[i].rc)
				BAD("init[%zu]: %s, want %s", i,
				    certa_rc_name(rc), certa_rc_name(t[i].rc));
			else if (E.msg[0] == '\0')
				BAD("init[%zu]: no message", i);
			if (created != NULL)
				BAD("init[%zu]: created_pass set", i);
			if (dir_entries(dir) > 0)
				BAD("init[%zu]: %d file(s) left in %s", i,
				    dir_entries(dir), dir);
			if (dir_entries(dir) >= 0 && !pre)
				BAD("init[%zu]: %s was created", i, dir);
			c = (struct certa_ctx *)1;
			if (certa_open(dir, passfile, &c, NULL) !=
			    CERTA_E_NOTFOUND || c != NULL)
				BAD("init[%zu]: %s opens", i, dir);
			ERR_clear_error();
			rm_rf(dir);
		}
	TABLE_DONE();
}

static void
test_open_missing(void **state)
{
	struct certa_ctx	*c;
	const char		*dir = path_of("not-initialised");
	char			 pf[192];

	(void)state;
	c = (struct certa_ctx *)1;
	RC(certa_open(dir, NULL, &c, &E), CERTA_E_NOTFOUND);
	assert_null(c);
	assert_int_equal(mkdir(dir, 0700), 0);
	c = (struct certa_ctx *)1;
	RC(certa_open(dir, passfile, &c, &E), CERTA_E_NOTFOUND);
	assert_null(c);
	assert_non_null(strstr(E.msg, dir));
	snprintf(pf, sizeof(pf), "%s/passphrase", dir);
	write_file(pf, "x\n");
	RC(certa_open(dir, NULL, &c, &E), CERTA_E_NOTFOUND);
	assert_null(c);
	assert_int_equal(dir_entries(dir), 1);
	rm_rf(dir);
	certa_close(NULL);
}

/*
 * Organisations and applications.
 */

static void
test_org_app(void **state)
{
	static const char *const bad_names[] = { "", "a/b", "/", "a\tb",
	    "a\nb", "a\x7f", "\x1b[31m", "123", "0", "007" };
	struct certa_ctx	*c;
	struct certa_org_rec	 o1, o2, got;
	struct certa_app_rec	 a1, a2, a3, ga;
	char			 id[32], ref[192], longname[160];
	int64_t			 before;
	size_t			 i;

	(void)state;
	c = open_ctx(main_dir, passfile);
	before = audit_count(c);
	OK(certa_org_create(c, "acme", &o1, &E));
	assert_true(o1.id > 0);
	assert_string_equal(o1.name, "acme");
	assert_true(o1.created_at > 0);
	OK(certa_org_create(c, "beta", &o2, &E));
	assert_true(o2.id > o1.id);
	RC(certa_org_create(c, "acme", &got, &E), CERTA_E_CONFLICT);
	assert_null(got.name);
	/* By id and by name. */
	snprintf(id, sizeof(id), "%" PRId64, o1.id);
	OK(certa_org_resolve(c, id, &got, &E));
	assert_int_equal(got.id, o1.id);
	assert_string_equal(got.name, "acme");
	certa_org_rec_clear(&got);
	OK(certa_org_resolve(c, "beta", &got, &E));
	assert_int_equal(got.id, o2.id);
	certa_org_rec_clear(&got);
	RC(certa_org_resolve(c, "gamma", &got, &E), CERTA_E_NOTFOUND);
	assert_non_null(strstr(E.msg, "gamma"));
	RC(certa_org_resolve(c, "999999", &got, &E), CERTA_E_NOTFOUND);
	/* Names: 1..128 printable, no '/', not all digits. */
	for (i = 0; i < NELEM(bad_names); i++) {
		certa_err_clear(&E);
		if (certa_org_create(c, bad_names[i], &got, &E) !=
		    CERTA_E_PARSE)
			BAD("org name [%zu] not refused", i);
		if (certa_app_create(c, "acme", bad_names[i], &ga, &E) !=
		    CERTA_E_PARSE)
			BAD("app name [%zu] not refused", i);
	}
	memset(longname, 'n', sizeof(longname));
	longname[129] = '\0';
	RC(certa_org_create(c, longname, &got, &E), CERTA_E_PARSE);
	RC(certa_app_create(c, "acme", longname, &ga, &E), CERTA_E_PARSE);
	longname[128] = '\0';
	OK(certa_org_create(c, longname, &got, &E));
	certa_org_rec_clear(&got);
	OK(certa_org_create(c, "1a", &got, &E));	/* not all digits */
	certa_org_rec_clear(&got);
	OK(certa_org_create(c, "J\xc3\xbcrgen & Co.", &got, &E));
	certa_org_rec_clear(&got);

	/* Applications. */
	OK(certa_app_create(c, "acme", "web", &a1, &E));
	assert_true(a1.id > 0);
	assert_int_equal(a1.org_id, o1.id);
	assert_string_equal(a1.name, "web");
	assert_string_equal(a1.org_name, "acme");
	RC(certa_app_create(c, "acme", "web", &ga, &E), CERTA_E_CONFLICT);
	assert_null(ga.name);
	snprintf(id, sizeof(id), "%" PRId64, o2.id);
	OK(certa_app_create(c, id, "web", &a2, &E));	/* org by id */
	assert_int_equal(a2.org_id, o2.id);
	OK(certa_app_create(c, "beta", "api", &a3, &E));
	RC(certa_app_create(c, "gamma", "web", &ga, &E), CERTA_E_NOTFOUND);

	snprintf(id, sizeof(id), "%" PRId64, a2.id);
	OK(certa_app_resolve(c, id, &ga, &E));
	assert_int_equal(ga.id, a2.id);
	assert_string_equal(ga.org_name, "beta");
	certa_app_rec_clear(&ga);
	OK(certa_app_resolve(c, "acme/web", &ga, &E));
	assert_int_equal(ga.id, a1.id);
	certa_app_rec_clear(&ga);
	OK(certa_app_resolve(c, "beta/web", &ga, &E));
	assert_int_equal(ga.id, a2.id);
	certa_app_rec_clear(&ga);
	OK(certa_app_resolve(c, "api", &ga, &E));	/* unique name */
	assert_int_equal(ga.id, a3.id);
	certa_app_rec_clear(&ga);
	/* Ambiguous: bad input, naming the way out (commit b80f9e9 made
	 * this INVAL; certa.h still says CONFLICT). */
	RC(certa_app_resolve(c, "web", &ga, &E), CERTA_E_INVAL);
	assert_non_null(strstr(E.msg, "ORG/web"));
	RC(certa_app_resolve(c, "acme/api", &ga, &E), CERTA_E_NOTFOUND);
	RC(certa_app_resolve(c, "gamma/web", &ga, &E), CERTA_E_NOTFOUND);
	RC(certa_app_resolve(c, "nosuch", &ga, &E), CERTA_E_NOTFOUND);
	RC(certa_app_resolve(c, "999999", &ga, &E), CERTA_E_NOTFOUND);
	snprintf(ref, sizeof(ref), "%s/web", longname);
	RC(certa_app_resolve(c, ref, &ga, &E), CERTA_E_NOTFOUND);
	RC(certa_app_resolve(c, "", &ga, &E), CERTA_E_INVAL);

	/* One audit record per creation, chain intact. */
	assert_int_equal(audit_count(c), before + 5 + 3);
	certa_org_rec_clear(&o1);
	certa_org_rec_clear(&o2);
	certa_app_rec_clear(&a1);
	certa_app_rec_clear(&a2);
	certa_app_rec_clear(&a3);
	certa_close(c);
	TABLE_DONE();
}

/*
 * Issuance.
 */

/* Lower-case hex of a certificate's serial, computed here. */
static void
serial_hex_of(X509 *x, char *out, size_t outlen)
{
	BIGNUM	*bn;
	char	*h, *p;

	assert_non_null(bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x),
	    NULL));
	assert_non_null(h = BN_bn2hex(bn));
	for (p = h; *p == '0' && p[1] != '\0'; p++)
		;
	snprintf(out, outlen, "%s", p);
	for (p = out; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	OPENSSL_free(h);
	BN_free(bn);
}

static int64_t
issuing_id(struct certa_ctx *c)
{
	struct certa_ca_rec	 ca;
	int64_t			 id;

	OK(certa_store_ca_get_active(certa_ctx_store(c), "issuing", &ca, &E));
	id = ca.id;
	certa_ca_rec_clear(&ca);
	return id;
}

static bool
ext_critical(X509 *x, int nid)
{
	int	 i = X509_get_ext_by_NID(x, nid, -1);

	assert_true(i >= 0);
	return X509_EXTENSION_get_critical(X509_get_ext(x, i)) == 1;
}

/*
 * What every leaf certa issues must satisfy: the record matches the DER,
 * the issuing CA signed it, and the extensions are those of RFC 5280 and
 * the profile.
 */
static void
check_leaf(struct certa_ctx *c, const struct certa_cert_rec *rec,
    EVP_PKEY *key, int64_t t0, int64_t t1, int64_t validity)
{
	struct certa_cert_info	 info;
	X509			*x, *iss;
	char			 hex[48], fp[65], *s;
	unsigned char		 md[32];
	unsigned int		 mdlen = 0;
	size_t			 i;

	assert_true(rec->id > 0);
	assert_non_null(rec->der);
	x = x509_of(rec->der, rec->der_len);
	iss = issuing_of(c, NULL);
	assert_int_equal(rec->ca_id, issuing_id(c));
	assert_int_equal(X509_get_version(x), X509_VERSION_3);

	/* The record says what the DER says. */
	serial_hex_of(x, hex, sizeof(hex));
	assert_string_equal(rec->serial, hex);
	assert_true(strlen(hex) >= 36 && strlen(hex) <= 40);
	OK(certa_cert_info_get(rec->der, rec->der_len, &info, &E));
	assert_string_equal(info.serial, rec->serial);
	assert_string_equal(info.subject, rec->subject);
	assert_string_equal(info.key_alg, rec->key_alg);
	if (rec->sans == NULL)
		assert_null(info.sans);
	else
		assert_string_equal(info.sans, rec->sans);
	assert_false(info.is_ca);
	certa_cert_info_clear(&info);
	assert_int_equal(EVP_Digest(rec->der, rec->der_len, md, &mdlen,
	    EVP_sha256(), NULL), 1);
	for (i = 0; i < mdlen; i++)
		snprintf(fp + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(rec->fingerprint, fp);
	assert_int_equal(rec->status, CERTA_CERT_VALID);
	assert_int_equal(rec->reason, CERTA_REASON_NONE);
	assert_int_equal(rec->revoked_at, 0);
	assert_true(rec->created_at >= t0 && rec->created_at <= t1);

	/* Validity: backdated 60 s for clock skew (src/ca/issue.c). */
	assert_int_equal(unix_of(X509_get0_notBefore(x)), rec->not_before);
	assert_int_equal(unix_of(X509_get0_notAfter(x)), rec->not_after);
	assert_true(rec->not_before >= t0 - 60 && rec->not_before <= t1 - 60);
	assert_int_equal(rec->not_after - rec->not_before, validity + 60);

	/* Signed by the issuing CA, for the requester's key. */
	assert_int_equal(X509_verify(x, X509_get0_pubkey(iss)), 1);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(iss)), 0);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), key), 1);

	/* RFC 5280 §4.2.1.9, .3, .1, .2, .13 and §4.2.2.1. */
	assert_int_equal(X509_check_ca(x), 0);
	assert_true(ext_critical(x, NID_basic_constraints));
	assert_true(ext_critical(x, NID_key_usage));
	assert_non_null(X509_get0_subject_key_id(x));
	assert_non_null(X509_get0_authority_key_id(x));
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
	    X509_get0_subject_key_id(iss)), 0);
	assert_non_null(s = crldp_uri(x));
	assert_string_equal(s, BASE_URL "/crl/issuing.crl");
	free(s);
	assert_non_null(s = aia_uri(x, NID_ad_OCSP));
	assert_string_equal(s, BASE_URL "/ocsp");
	free(s);
	assert_non_null(s = aia_uri(x, NID_ad_ca_issuers));
	assert_string_equal(s, BASE_URL "/ca/issuing.crt");
	free(s);
	X509_free(iss);
	X509_free(x);
}

static void
test_issue_csr(void **state)
{
	static const struct {
		const char	*type;
		const char	*alg, *arg;	/* keygen() */
		const char	*key_alg;	/* expected record */
		int64_t		 validity;	/* 0: profile default */
		uint32_t	 ku;		/* X509_get_key_usage */
		uint32_t	 xku;		/* UINT32_MAX: no extension */
		bool		 ip;		/* add an IP SAN */
	} t[] = {
		{ "transport", "EC", "P-256", "ec:P-256", 0,
		  KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT, XKU_SSL_CLIENT,
		  true },
		{ "transport", "EC", "P-384", "ec:P-384", 90 * DAY,
		  KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT, XKU_SSL_CLIENT,
		  false },
		{ "transport", "RSA", "2048", "rsa:2048", 30 * DAY,
		  KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT, XKU_SSL_CLIENT,
		  true },
		{ "transport", "ED25519", NULL, "ed25519", DAY,
		  KU_DIGITAL_SIGNATURE, XKU_SSL_CLIENT, false },
		{ "signing", "EC", "P-256", "ec:P-256", 825 * DAY,
		  KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION, UINT32_MAX,
		  false },
		{ "signing", "ED25519", NULL, "ed25519", 0,
		  KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION, UINT32_MAX,
		  false },
		{ "encryption", "EC", "P-256", "ec:P-256", 0,
		  KU_KEY_AGREEMENT, UINT32_MAX, false },
		{ "encryption", "RSA", "2048", "rsa:2048", 0,
		  KU_KEY_ENCIPHERMENT, UINT32_MAX, false },
	};
	struct certa_ctx	*c;
	struct certa_issue_req	 r;
	struct certa_cert_rec	 rec, got;
	EVP_PKEY		*k;
	X509			*x;
	uint8_t			*csr;
	const char		*sans[2];
	char			 cn[32], dns[64], want[128];
	size_t			 len, i, before;
	int64_t			 app, t0, t1, audit;

	(void)state;
	c = open_ctx(main_dir, passfile);
	app = app_in(c, "issue-org", "issue-app");
	before = count_certs(c);
	audit = audit_count(c);
	for (i = 0; i < NELEM(t); i++) {
		k = keygen(t[i].alg, t[i].arg);
		snprintf(cn, sizeof(cn), "issue-%zu", i);
		snprintf(dns, sizeof(dns), "DNS:issue-%zu.example", i);
		sans[0] = dns;
		sans[1] = "IP:10.1.2.3";
		csr = make_csr(k, cn, "certa test", sans, t[i].ip ? 2 : 1,
		    &len);
		memset(&r, 0, sizeof(r));
		r.app_id = app;
		r.type = t[i].type;
		r.csr = csr;
		r.csr_len = len;
		r.validity = t[i].validity;
		t0 = certa_now();
		OK(certa_issue(c, &r, &rec, &E));
		t1 = certa_now();
		check_leaf(c, &rec, k, t0, t1, t[i].validity ? t[i].validity :
		    365 * DAY);
		assert_int_equal(rec.app_id, app);
		assert_string_equal(rec.type, t[i].type);
		assert_string_equal(rec.profile, t[i].type);
		assert_string_equal(rec.key_alg, t[i].key_alg);
		snprintf(want, sizeof(want), "CN=%s,O=certa test", cn);
		assert_string_equal(rec.subject, want);
		snprintf(want, sizeof(want), "%s%s", dns + 0, t[i].ip ?
		    ", IP:10.1.2.3" : "");
		assert_string_equal(rec.sans, want);
		assert_null(rec.key_pem);
		x = x509_of(rec.der, rec.der_len);
		if (X509_get_key_usage(x) != t[i].ku)
			BAD("issue[%zu] %s %s: keyUsage %#x, want %#x", i,
			    t[i].type, t[i].key_alg, X509_get_key_usage(x),
			    t[i].ku);
		if (X509_get_extended_key_usage(x) != t[i].xku)
			BAD("issue[%zu] %s: extKeyUsage %#x, want %#x", i,
			    t[i].type, X509_get_extended_key_usage(x),
			    t[i].xku);
		X509_free(x);
		/* The store has the same record. */
		OK(certa_store_cert_get(certa_ctx_store(c), rec.id, &got, &E));
		assert_string_equal(got.serial, rec.serial);
		assert_int_equal(got.der_len, rec.der_len);
		assert_memory_equal(got.der, rec.der, rec.der_len);
		certa_cert_rec_clear(&got);
		certa_cert_rec_clear(&rec);
		free(csr);
		EVP_PKEY_free(k);
	}
	assert_int_equal(count_certs(c), before + NELEM(t));
	assert_int_equal(audit_count(c), audit + (int64_t)NELEM(t));

	/* The request's subject and SANs override and extend the CSR's. */
	k = keygen("EC", "P-256");
	sans[0] = "DNS:csr.example";
	csr = make_csr(k, "csr-subject", NULL, sans, 1, &len);
	memset(&r, 0, sizeof(r));
	r.app_id = app;
	r.type = "transport";
	r.csr = csr;
	r.csr_len = len;
	r.subject = "CN=override,O=Other";
	sans[1] = "URI:spiffe://example/x";
	r.sans = sans + 1;
	r.nsans = 1;
	t0 = certa_now();
	OK(certa_issue(c, &r, &rec, &E));
	t1 = certa_now();
	check_leaf(c, &rec, k, t0, t1, 365 * DAY);
	assert_string_equal(rec.subject, "CN=override,O=Other");
	assert_string_equal(rec.sans,
	    "DNS:csr.example, URI:spiffe://example/x");
	certa_cert_rec_clear(&rec);
	free(csr);
	EVP_PKEY_free(k);
	certa_close(c);
	TABLE_DONE();
}

/* PKCS#12 of rec under pw: key (or NULL) and certificates. */
static void
p12_open(const uint8_t *der, size_t len, const char *pw, bool *ok,
    EVP_PKEY **key, X509 **cert, STACK_OF(X509) **ca)
{
	const unsigned char	*p = der;
	PKCS12			*p12;

	*key = NULL;
	*cert = NULL;
	*ca = NULL;
	assert_non_null(p12 = d2i_PKCS12(NULL, &p, (long)len));
	*ok = PKCS12_parse(p12, pw, key, cert, ca) == 1;
	ERR_clear_error();
	PKCS12_free(p12);
}

static void
test_issue_keygen_export(void **state)
{
	static const char *const specs[] = { "ec:P-256", "ed25519",
	    "rsa:2048" };
	struct certa_export_opts o;
	struct certa_ctx	*c;
	struct certa_issue_req	 r;
	struct certa_cert_rec	 rec;
	STACK_OF(X509)		*sk, *ca;
	EVP_PKEY		*key, *pk;
	X509			*x, *cert, *iss, *root;
	BIO			*bio;
	uint8_t			*out;
	size_t			 len, i, j;
	char			 cn[32], want[64];
	int64_t			 app, t0, t1;
	bool			 ok;

	(void)state;
	c = open_ctx(main_dir, passfile);
	app = app_in(c, "keygen-org", "keygen-app");
	iss = issuing_of(c, &root);
	for (i = 0; i < NELEM(specs); i++) {
		snprintf(cn, sizeof(cn), "kg-%zu", i);
		snprintf(want, sizeof(want), "CN=%s", cn);
		memset(&r, 0, sizeof(r));
		r.app_id = app;
		r.type = i == 2 ? "encryption" : "transport";
		r.keygen = specs[i];
		r.subject = want;
		t0 = certa_now();
		OK(certa_issue(c, &r, &rec, &E));
		t1 = certa_now();
		assert_string_equal(rec.key_alg, specs[i]);
		assert_string_equal(rec.subject, want);
		assert_null(rec.sans);
		/* The key is stored, encrypted with the CA passphrase. */
		assert_non_null(rec.key_pem);
		assert_non_null(strstr(rec.key_pem,
		    "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
		assert_non_null(bio = BIO_new_mem_buf(rec.key_pem, -1));
		assert_null(PEM_read_bio_PrivateKey(bio, NULL, NULL,
		    (void *)"not the passphrase"));
		ERR_clear_error();
		BIO_free(bio);
		assert_non_null(bio = BIO_new_mem_buf(rec.key_pem, -1));
		assert_non_null(key = PEM_read_bio_PrivateKey(bio, NULL, NULL,
		    (void *)PASS));
		BIO_free(bio);
		check_leaf(c, &rec, key, t0, t1, 365 * DAY);
		x = x509_of(rec.der, rec.der_len);
		assert_int_equal(X509_check_private_key(x, key), 1);

		/* PKCS#12, default and legacy: key, certificate, chain. */
		for (j = 0; j < 2; j++) {
			memset(&o, 0, sizeof(o));
			o.format = "p12";
			o.chain = true;
			o.password = "export pw";
			o.legacy = j == 1;
			OK(certa_cert_export(c, &rec, &o, &out, &len, &E));
			p12_open(out, len, "export pw", &ok, &pk, &cert, &ca);
			assert_true(ok);
			assert_non_null(pk);
			assert_int_equal(EVP_PKEY_eq(pk, key), 1);
			assert_int_equal(X509_cmp(cert, x), 0);
			assert_int_equal(X509_check_private_key(cert, pk), 1);
			assert_int_equal(sk_X509_num(ca), 2);
			assert_true(X509_cmp(sk_X509_value(ca, 0), iss) == 0 ||
			    X509_cmp(sk_X509_value(ca, 1), iss) == 0);
			assert_true(X509_cmp(sk_X509_value(ca, 0), root) ==
			    0 || X509_cmp(sk_X509_value(ca, 1), root) == 0);
			EVP_PKEY_free(pk);
			X509_free(cert);
			sk_X509_pop_free(ca, X509_free);
			p12_open(out, len, "export pX", &ok, &pk, &cert, &ca);
			assert_false(ok);
			assert_null(pk);
			EVP_PKEY_free(pk);
			X509_free(cert);
			sk_X509_pop_free(ca, X509_free);
			free(out);
		}
		X509_free(x);
		EVP_PKEY_free(key);
		certa_cert_rec_clear(&rec);
	}

	/* The other formats, for a CSR-issued certificate. */
	key = keygen("EC", "P-256");
	issue_simple(c, app, "exported", &rec);
	certa_cert_rec_clear(&rec);
	{
		uint8_t	*csr;

		csr = make_csr(key, "exported", NULL, NULL, 0, &len);
		memset(&r, 0, sizeof(r));
		r.app_id = app;
		r.type = "transport";
		r.csr = csr;
		r.csr_len = len;
		OK(certa_issue(c, &r, &rec, &E));
		free(csr);
	}
	x = x509_of(rec.der, rec.der_len);
	memset(&o, 0, sizeof(o));
	o.format = "der";
	OK(certa_cert_export(c, &rec, &o, &out, &len, &E));
	assert_int_equal(len, rec.der_len);
	assert_memory_equal(out, rec.der, len);
	free(out);
	o.chain = true;
	out = (uint8_t *)1;
	RC(certa_cert_export(c, &rec, &o, &out, &len, &E), CERTA_E_PARSE);
	assert_null(out);
	o.format = "pem";
	OK(certa_cert_export(c, &rec, &o, &out, &len, &E));
	sk = pem_certs(out, len);
	assert_int_equal(sk_X509_num(sk), 3);
	assert_int_equal(X509_cmp(sk_X509_value(sk, 0), x), 0);
	assert_int_equal(X509_cmp(sk_X509_value(sk, 1), iss), 0);
	assert_int_equal(X509_cmp(sk_X509_value(sk, 2), root), 0);
	sk_X509_pop_free(sk, X509_free);
	free(out);
	o.chain = false;
	OK(certa_cert_export(c, &rec, &o, &out, &len, &E));
	sk = pem_certs(out, len);
	assert_int_equal(sk_X509_num(sk), 1);
	sk_X509_pop_free(sk, X509_free);
	free(out);
	o.format = "p7b";
	o.chain = true;
	OK(certa_cert_export(c, &rec, &o, &out, &len, &E));
	{
		const unsigned char	*p = out;
		PKCS7			*p7;

		assert_non_null(p7 = d2i_PKCS7(NULL, &p, (long)len));
		assert_true(PKCS7_type_is_signed(p7));
		assert_int_equal(sk_X509_num(p7->d.sign->cert), 3);
		assert_int_equal(X509_cmp(sk_X509_value(p7->d.sign->cert, 0),
		    x), 0);
		PKCS7_free(p7);
	}
	free(out);
	o.format = "bogus";
	RC(certa_cert_export(c, &rec, &o, &out, &len, &E), CERTA_E_PARSE);
	/* PKCS#12: a password is needed; the holder's key may be given. */
	o.format = "p12";
	o.chain = false;
	RC(certa_cert_export(c, &rec, &o, &out, &len, &E), CERTA_E_INVAL);
	o.password = "pw";
	OK(certa_cert_export(c, &rec, &o, &out, &len, &E));
	p12_open(out, len, "pw", &ok, &pk, &cert, &ca);
	assert_true(ok);
	assert_null(pk);
	assert_int_equal(sk_X509_num(ca), 1);		/* the leaf alone */
	assert_int_equal(X509_cmp(sk_X509_value(ca, 0), x), 0);
	X509_free(cert);
	sk_X509_pop_free(ca, X509_free);
	free(out);
	{
		char	*kpem;
		long	 n;

		assert_non_null(bio = BIO_new(BIO_s_mem()));
		assert_int_equal(PEM_write_bio_PrivateKey(bio, key, NULL, NULL,
		    0, NULL, NULL), 1);
		n = BIO_get_mem_data(bio, &kpem);
		o.key_pem = (const uint8_t *)kpem;
		o.key_len = (size_t)n;
		OK(certa_cert_export(c, &rec, &o, &out, &len, &E));
		p12_open(out, len, "pw", &ok, &pk, &cert, &ca);
		assert_true(ok);
		assert_int_equal(EVP_PKEY_eq(pk, key), 1);
		assert_int_equal(X509_cmp(cert, x), 0);
		EVP_PKEY_free(pk);
		X509_free(cert);
		sk_X509_pop_free(ca, X509_free);
		free(out);
		BIO_free(bio);
		/* Someone else's key does not go with this certificate. */
		pk = keygen("EC", "P-256");
		assert_non_null(bio = BIO_new(BIO_s_mem()));
		assert_int_equal(PEM_write_bio_PrivateKey(bio, pk, NULL, NULL,
		    0, NULL, NULL), 1);
		n = BIO_get_mem_data(bio, &kpem);
		o.key_pem = (const uint8_t *)kpem;
		o.key_len = (size_t)n;
		out = (uint8_t *)1;
		RC(certa_cert_export(c, &rec, &o, &out, &len, &E),
		    CERTA_E_INVAL);
		assert_null(out);
		BIO_free(bio);
		EVP_PKEY_free(pk);
	}
	X509_free(x);
	EVP_PKEY_free(key);
	certa_cert_rec_clear(&rec);
	X509_free(iss);
	X509_free(root);
	certa_close(c);
}

static void
test_cert_resolve(void **state)
{
	struct certa_ctx	*c;
	struct certa_cert_rec	 rec, got;
	char			 ref[64], *p;

	(void)state;
	c = open_ctx(main_dir, passfile);
	issue_simple(c, app_in(c, "resolve-org", "resolve-app"), "resolve",
	    &rec);
	snprintf(ref, sizeof(ref), "%" PRId64, rec.id);
	OK(certa_cert_resolve(c, ref, &got, &E));
	assert_int_equal(got.id, rec.id);
	certa_cert_rec_clear(&got);
	OK(certa_cert_resolve(c, rec.serial, &got, &E));
	assert_int_equal(got.id, rec.id);
	certa_cert_rec_clear(&got);
	snprintf(ref, sizeof(ref), "0x%s", rec.serial);
	for (p = ref + 2; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	OK(certa_cert_resolve(c, ref, &got, &E));
	assert_int_equal(got.id, rec.id);
	certa_cert_rec_clear(&got);
	RC(certa_cert_resolve(c, "999999", &got, &E), CERTA_E_NOTFOUND);
	RC(certa_cert_resolve(c, "00112233445566778899aabbccddeeff", &got, &E),
	    CERTA_E_NOTFOUND);
	RC(certa_cert_resolve(c, "not-a-serial", &got, &E), CERTA_E_PARSE);
	RC(certa_cert_resolve(c, "", &got, &E), CERTA_E_INVAL);
	certa_cert_rec_clear(&rec);
	certa_close(c);
}

static void
test_issue_refused(void **state)
{
	enum csr_kind {
		CSR_NONE, CSR_P256, CSR_P256_NOCN, CSR_P256_IP, CSR_RSA1024,
		CSR_K256, CSR_ED25519, CSR_GARBAGE, CSR_TAMPERED, CSR_P256_101
	};
	static const struct {
		const char	*type;
		enum csr_kind	 csr;
		const char	*keygen;
		const char	*subject;
		const char	*san;
		int64_t		 validity;
		int64_t		 app;		/* 0: the test's app */
		certa_rc	 rc;
	} t[] = {
		{ "transport", CSR_P256, NULL, NULL, NULL, 826 * DAY, 0,
		  CERTA_E_POLICY },
		{ "signing", CSR_P256, NULL, NULL, NULL, 3650 * DAY, 0,
		  CERTA_E_POLICY },
		{ "nosuch", CSR_P256, NULL, NULL, NULL, 0, 0,
		  CERTA_E_NOTFOUND },
		{ NULL, CSR_P256, NULL, NULL, NULL, 0, 0, CERTA_E_INVAL },
		{ "transport", CSR_P256, NULL, NULL, NULL, 0, 999999,
		  CERTA_E_NOTFOUND },
		{ "transport", CSR_GARBAGE, NULL, NULL, NULL, 0, 0,
		  CERTA_E_PARSE },
		{ "transport", CSR_TAMPERED, NULL, NULL, NULL, 0, 0,
		  CERTA_E_POLICY },
		{ "transport", CSR_RSA1024, NULL, NULL, NULL, 0, 0,
		  CERTA_E_POLICY },
		{ "transport", CSR_K256, NULL, NULL, NULL, 0, 0,
		  CERTA_E_POLICY },
		{ "encryption", CSR_ED25519, NULL, NULL, NULL, 0, 0,
		  CERTA_E_POLICY },
		{ "signing", CSR_P256_IP, NULL, NULL, NULL, 0, 0,
		  CERTA_E_POLICY },
		{ "signing", CSR_P256, NULL, NULL, "IP:10.0.0.1", 0, 0,
		  CERTA_E_POLICY },
		{ "transport", CSR_P256_NOCN, NULL, NULL, NULL, 0, 0,
		  CERTA_E_POLICY },
		{ "transport", CSR_P256, NULL, "O=no common name", NULL, 0, 0,
		  CERTA_E_POLICY },
		{ "transport", CSR_P256, NULL, "XX=1", NULL, 0, 0,
		  CERTA_E_PARSE },
		{ "transport", CSR_P256, NULL, NULL, "DNS:a b", 0, 0,
		  CERTA_E_PARSE },
		{ "transport", CSR_P256, NULL, NULL, "x400:foo", 0, 0,
		  CERTA_E_PARSE },
		{ "transport", CSR_P256_101, NULL, NULL, NULL, 0, 0,
		  CERTA_E_POLICY },
		{ "transport", CSR_P256, "ec:P-256", "CN=both", NULL, 0, 0,
		  CERTA_E_INVAL },
		{ "transport", CSR_NONE, NULL, "CN=neither", NULL, 0, 0,
		  CERTA_E_INVAL },
		{ "transport", CSR_NONE, "ec:P-256", NULL, NULL, 0, 0,
		  CERTA_E_INVAL },
		{ "transport", CSR_NONE, "rsa:1024", "CN=weak", NULL, 0, 0,
		  CERTA_E_PARSE },
		{ "encryption", CSR_NONE, "ed25519", "CN=x", NULL, 0, 0,
		  CERTA_E_POLICY },
		{ "transport", CSR_NONE, "ec:P-256", "CN=x", NULL, 826 * DAY,
		  0, CERTA_E_POLICY },
	};
	struct certa_ctx	*c;
	struct certa_issue_req	 r;
	struct certa_cert_rec	 rec;
	EVP_PKEY		*p256, *rsa1024, *k256, *ed;
	uint8_t			*csr = NULL;
	const char		*sans[101];
	char			 names[101][24];
	size_t			 len = 0, i, before;
	int64_t			 app, audit;
	certa_rc		 rc;

	(void)state;
	c = open_ctx(main_dir, passfile);
	app = app_in(c, "refused-org", "refused-app");
	p256 = keygen("EC", "P-256");
	rsa1024 = keygen("RSA", "1024");
	k256 = keygen("EC", "secp256k1");
	ed = keygen("ED25519", NULL);
	for (i = 0; i < 101; i++) {
		snprintf(names[i], sizeof(names[i]), "DNS:n%zu.example", i);
		sans[i] = names[i];
	}
	before = count_certs(c);
	audit = audit_count(c);
	for (i = 0; i < NELEM(t); i++) {
		switch (t[i].csr) {
		case CSR_NONE:
			csr = NULL;
			break;
		case CSR_P256:
		case CSR_TAMPERED:
			csr = make_csr(p256, "refused", NULL, NULL, 0, &len);
			if (t[i].csr == CSR_TAMPERED)
				csr[len - 1] ^= 0x01;
			break;
		case CSR_P256_NOCN:
			csr = make_csr(p256, NULL, "only an O", NULL, 0, &len);
			break;
		case CSR_P256_IP:
			sans[100] = "IP:10.0.0.1";
			csr = make_csr(p256, "refused", NULL, sans + 100, 1,
			    &len);
			sans[100] = names[100];
			break;
		case CSR_P256_101:
			csr = make_csr(p256, "refused", NULL, sans, 101, &len);
			break;
		case CSR_RSA1024:
			csr = make_csr(rsa1024, "refused", NULL, NULL, 0, &len);
			break;
		case CSR_K256:
			csr = make_csr(k256, "refused", NULL, NULL, 0, &len);
			break;
		case CSR_ED25519:
			csr = make_csr(ed, "refused", NULL, NULL, 0, &len);
			break;
		case CSR_GARBAGE:
			assert_non_null(csr = (uint8_t *)strdup("garbage"));
			len = 7;
			break;
		}
		memset(&r, 0, sizeof(r));
		r.app_id = t[i].app ? t[i].app : app;
		r.type = t[i].type;
		r.csr = csr;
		r.csr_len = csr ? len : 0;
		r.keygen = t[i].keygen;
		r.subject = t[i].subject;
		r.sans = t[i].san ? &t[i].san : NULL;
		r.nsans = t[i].san ? 1 : 0;
		r.validity = t[i].validity;
		memset(&rec, 0x5a, sizeof(rec));
		certa_err_clear(&E);
		rc = certa_issue(c, &r, &rec, &E);
		note_queue("certa_issue (refused)");
		if (rc != t[i].rc)
			BAD("refused[%zu]: %s, want %s (%s)", i,
			    certa_rc_name(rc), certa_rc_name(t[i].rc), E.msg);
		else if (E.msg[0] == '\0')
			BAD("refused[%zu]: no message", i);
		if (rc == CERTA_OK)
			certa_cert_rec_clear(&rec);
		else if (rec.id != 0 || rec.der != NULL || rec.serial != NULL)
			BAD("refused[%zu]: *out not cleared", i);
		free(csr);
	}
	/* Nothing was stored or audited. */
	assert_int_equal(count_certs(c), before);
	assert_int_equal(audit_count(c), audit);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(k256);
	EVP_PKEY_free(ed);
	certa_close(c);
	TABLE_DONE();
}

/* A wrong CA passphrase: an error, and nothing stored. */
static void
test_issue_wrong_pass(void **state)
{
	struct certa_ctx	*c, *good;
	struct certa_issue_req	 r;
	struct certa_cert_rec	 rec;
	struct certa_issue_result res[2];
	EVP_PKEY		*k;
	uint8_t			*csr, *crl;
	char			 nopf[192];
	size_t			 len, before, crllen;
	int64_t			 app, audit;

	(void)state;
	good = open_ctx(main_dir, passfile);
	app = app_in(good, "wrongpass-org", "wrongpass-app");
	before = count_certs(good);
	audit = audit_count(good);
	k = keygen("EC", "P-256");
	csr = make_csr(k, "wrong pass", NULL, NULL, 0, &len);
	memset(&r, 0, sizeof(r));
	r.app_id = app;
	r.type = "transport";
	r.csr = csr;
	r.csr_len = len;

	c = open_ctx(main_dir, wrongpass);
	RC(certa_issue(c, &r, &rec, &E), CERTA_E_CRYPTO);
	assert_true(E.msg[0] != '\0');
	assert_null(rec.der);
	/* The whole batch fails, and says so for every request. */
	RC(certa_issue_batch(c, &r, 1, res, &E), CERTA_E_CRYPTO);
	assert_int_equal(res[0].rc, CERTA_E_CRYPTO);
	RC(certa_crl_generate(c, false, 0, &crl, &crllen, NULL, &E),
	    CERTA_E_CRYPTO);
	certa_close(c);
	/* A passphrase file that does not exist. */
	snprintf(nopf, sizeof(nopf), "%s/no-such-file", base);
	c = open_ctx(main_dir, nopf);
	certa_err_clear(&E);
	assert_int_not_equal(certa_issue(c, &r, &rec, &E), CERTA_OK);
	assert_true(E.msg[0] != '\0');
	certa_close(c);

	assert_int_equal(count_certs(good), before);
	assert_int_equal(audit_count(good), audit);
	/* The right one still works. */
	OK(certa_issue(good, &r, &rec, &E));
	certa_cert_rec_clear(&rec);
	assert_int_equal(count_certs(good), before + 1);
	certa_close(good);
	free(csr);
	EVP_PKEY_free(k);
}

/*
 * Batches.
 */

struct audit_walk {
	int64_t		*ids;		/* cert ids named by cert.issue */
	size_t		 n, cap;
	size_t		 other;		/* records of other actions */
};

static certa_rc
note_audit(const struct certa_audit_rec *r, void *arg)
{
	struct audit_walk	*w = arg;
	long long		 id;

	if (strcmp(r->action, "cert.issue") != 0 ||
	    sscanf(r->object, "cert:%lld", &id) != 1) {
		w->other++;
		return CERTA_OK;
	}
	assert_string_equal(r->actor, "test:batch");
	assert_string_equal(r->outcome, "ok");
	assert_true(w->n < w->cap);
	w->ids[w->n++] = (int64_t)id;
	return CERTA_OK;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_issue_batch(void **state)
{
	enum { N = 1100, NKEYS = 8, BAD1 = 3, BAD2 = 700 };
	struct certa_ctx		*c;
	struct certa_issue_req		*reqs;
	struct certa_issue_result	*res;
	struct audit_walk		 w;
	struct certa_cert_rec		 got;
	EVP_PKEY			*keys[NKEYS];
	uint8_t				*csrs[NKEYS];
	size_t				 lens[NKEYS], i, nok = 0;
	char				(*subj)[32], want[32], hex[48];
	char				**serials;
	int64_t				*ids, app, last_seq, audit;
	char				 last_hash[65];
	X509				*x;
	const char			*dir;

	(void)state;
	dir = init_ca("batch", NULL, false, NULL);
	c = open_ctx(dir, passfile);
	certa_ctx_set_actor(c, "test:batch");
	app = app_in(c, "batch-org", "batch-app");
	audit = audit_count(c);
	OK(certa_store_audit_last(certa_ctx_store(c), &last_seq, last_hash,
	    &E));
	assert_int_equal(last_seq, audit);
	for (i = 0; i < NKEYS; i++) {
		keys[i] = keygen("EC", "P-256");
		csrs[i] = make_csr(keys[i], "batch", NULL, NULL, 0, &lens[i]);
	}
	assert_non_null(reqs = calloc(N, sizeof(*reqs)));
	assert_non_null(res = calloc(N, sizeof(*res)));
	assert_non_null(subj = calloc(N, sizeof(*subj)));
	for (i = 0; i < N; i++) {
		snprintf(subj[i], sizeof(subj[i]), "CN=batch-%zu", i);
		reqs[i].app_id = app;
		reqs[i].type = "transport";
		reqs[i].subject = subj[i];
		if (i == BAD1 || i == BAD2) {
			reqs[i].csr = (const uint8_t *)"this is no CSR";
			reqs[i].csr_len = 14;
		} else {
			reqs[i].csr = csrs[i % NKEYS];
			reqs[i].csr_len = lens[i % NKEYS];
		}
	}
	OK(certa_issue_batch(c, reqs, N, res, &E));

	assert_non_null(serials = calloc(N, sizeof(*serials)));
	assert_non_null(ids = calloc(N, sizeof(*ids)));
	for (i = 0; i < N; i++) {
		if (i == BAD1 || i == BAD2) {
			if (res[i].rc != CERTA_E_PARSE)
				BAD("batch[%zu]: %s, want parse", i,
				    certa_rc_name(res[i].rc));
			if (res[i].err.rc != CERTA_E_PARSE ||
			    res[i].err.msg[0] == '\0')
				BAD("batch[%zu]: error not set (%s: '%s')", i,
				    certa_rc_name(res[i].err.rc),
				    res[i].err.msg);
			if (res[i].rec.id != 0 || res[i].rec.der != NULL)
				BAD("batch[%zu]: has a record", i);
			continue;
		}
		if (res[i].rc != CERTA_OK) {
			BAD("batch[%zu]: %s (%s)", i, certa_rc_name(res[i].rc),
			    res[i].err.msg);
			continue;
		}
		/* res[i] answers reqs[i]. */
		snprintf(want, sizeof(want), "CN=batch-%zu", i);
		if (res[i].rec.subject == NULL ||
		    strcmp(res[i].rec.subject, want) != 0)
			BAD("batch[%zu]: subject %s", i, res[i].rec.subject);
		if (res[i].rec.der == NULL) {
			BAD("batch[%zu]: no DER", i);
			continue;
		}
		x = x509_of(res[i].rec.der, res[i].rec.der_len);
		serial_hex_of(x, hex, sizeof(hex));
		if (strcmp(hex, res[i].rec.serial) != 0)
			BAD("batch[%zu]: serial %s in DER, %s in record", i,
			    hex, res[i].rec.serial);
		if (EVP_PKEY_eq(X509_get0_pubkey(x), keys[i % NKEYS]) != 1)
			BAD("batch[%zu]: another key", i);
		X509_free(x);
		serials[nok] = res[i].rec.serial;
		ids[nok] = res[i].rec.id;
		nok++;
	}
	assert_int_equal(nok, N - 2);
	/* Distinct serials and ids, each in the store. */
	qsort(serials, nok, sizeof(*serials), cmp_str);
	for (i = 1; i < nok; i++)
		if (strcmp(serials[i - 1], serials[i]) == 0)
			BAD("batch: serial %s twice", serials[i]);
	qsort(ids, nok, sizeof(*ids), cmp_i64);
	for (i = 1; i < nok; i++)
		if (ids[i - 1] == ids[i])
			BAD("batch: id %" PRId64 " twice", ids[i]);
	for (i = 0; i < N; i++) {
		if (res[i].rc != CERTA_OK)
			continue;
		if (certa_store_cert_get(certa_ctx_store(c), res[i].rec.id,
		    &got, &E) != CERTA_OK) {
			BAD("batch[%zu]: id %" PRId64 " not in the store", i,
			    res[i].rec.id);
			continue;
		}
		if (strcmp(got.serial, res[i].rec.serial) != 0 ||
		    got.der_len != res[i].rec.der_len)
			BAD("batch[%zu]: stored record differs", i);
		certa_cert_rec_clear(&got);
	}
	assert_int_equal(count_certs(c), nok);

	/* The audit chain holds, with one record per certificate. */
	assert_int_equal(audit_count(c), audit + (int64_t)nok);
	memset(&w, 0, sizeof(w));
	w.cap = N;
	assert_non_null(w.ids = calloc(N, sizeof(*w.ids)));
	OK(certa_store_audit_each(certa_ctx_store(c), last_seq, note_audit,
	    &w, &E));
	assert_int_equal(w.other, 0);
	assert_int_equal(w.n, nok);
	qsort(w.ids, w.n, sizeof(*w.ids), cmp_i64);
	for (i = 0; i < nok; i++)
		if (w.ids[i] != ids[i])
			BAD("batch: audit names cert %" PRId64 ", want %"
			    PRId64, w.ids[i], ids[i]);

	for (i = 0; i < N; i++)
		certa_cert_rec_clear(&res[i].rec);
	for (i = 0; i < NKEYS; i++) {
		EVP_PKEY_free(keys[i]);
		free(csrs[i]);
	}
	free(w.ids);
	free(ids);
	free(serials);
	free(subj);
	free(res);
	free(reqs);
	certa_close(c);
	rm_rf(dir);
	TABLE_DONE();
}

/* One request of each kind of failure in one batch, and empty batches. */
static void
test_issue_batch_mixed(void **state)
{
	enum { N = 10 };
	static const certa_rc	 want[N] = { CERTA_OK, CERTA_E_PARSE,
	    CERTA_E_NOTFOUND, CERTA_E_NOTFOUND, CERTA_E_INVAL, CERTA_OK,
	    CERTA_E_POLICY, CERTA_OK, CERTA_E_NOTFOUND, CERTA_OK };
	struct certa_ctx		*c;
	struct certa_issue_req		 reqs[N];
	struct certa_issue_result	 res[N];
	struct certa_cert_rec		 prev;
	EVP_PKEY			*k, *weak;
	uint8_t				*csr, *wcsr;
	size_t				 len, wlen, i, before;
	int64_t				 app, audit;

	(void)state;
	c = open_ctx(main_dir, passfile);
	app = app_in(c, "mixed-org", "mixed-app");
	issue_simple(c, app, "predecessor", &prev);
	before = count_certs(c);
	audit = audit_count(c);
	k = keygen("EC", "P-256");
	weak = keygen("RSA", "1024");
	csr = make_csr(k, "mixed", NULL, NULL, 0, &len);
	wcsr = make_csr(weak, "mixed", NULL, NULL, 0, &wlen);
	memset(reqs, 0, sizeof(reqs));
	for (i = 0; i < N; i++) {
		reqs[i].app_id = app;
		reqs[i].type = "transport";
		reqs[i].csr = csr;
		reqs[i].csr_len = len;
	}
	reqs[1].csr = (const uint8_t *)"garbage";
	reqs[1].csr_len = 7;
	reqs[2].app_id = 999999;
	reqs[3].type = "nosuch";
	reqs[4].type = NULL;
	reqs[5].csr = NULL;
	reqs[5].csr_len = 0;
	reqs[5].keygen = "ec:P-256";
	reqs[5].subject = "CN=mixed-keygen";
	reqs[6].csr = wcsr;
	reqs[6].csr_len = wlen;
	reqs[7].predecessor_id = prev.id;
	reqs[8].predecessor_id = 999999;
	reqs[9].type = "signing";
	OK(certa_issue_batch(c, reqs, N, res, &E));
	for (i = 0; i < N; i++) {
		if (res[i].rc != want[i]) {
			BAD("mixed[%zu]: %s, want %s (%s)", i,
			    certa_rc_name(res[i].rc), certa_rc_name(want[i]),
			    res[i].err.msg);
		} else if (want[i] != CERTA_OK) {
			if (res[i].err.msg[0] == '\0')
				BAD("mixed[%zu]: no message", i);
			if (res[i].rec.id != 0)
				BAD("mixed[%zu]: has a record", i);
		} else if (res[i].rec.der == NULL) {
			BAD("mixed[%zu]: no DER", i);
		}
	}
	assert_non_null(res[5].rec.key_pem);
	assert_null(res[0].rec.key_pem);
	assert_int_equal(res[7].rec.predecessor_id, prev.id);
	assert_string_equal(res[9].rec.type, "signing");
	assert_int_equal(count_certs(c), before + 4);
	assert_int_equal(audit_count(c), audit + 4);
	for (i = 0; i < N; i++)
		certa_cert_rec_clear(&res[i].rec);

	/* Nothing to do. */
	OK(certa_issue_batch(c, reqs, 0, res, &E));
	/* Nothing that succeeds: the batch itself is fine. */
	reqs[0].csr = reqs[1].csr;
	reqs[0].csr_len = reqs[1].csr_len;
	OK(certa_issue_batch(c, reqs, 2, res, &E));
	assert_int_equal(res[0].rc, CERTA_E_PARSE);
	assert_int_equal(res[1].rc, CERTA_E_PARSE);
	assert_int_equal(count_certs(c), before + 4);
	assert_int_equal(audit_count(c), audit + 4);

	certa_cert_rec_clear(&prev);
	free(csr);
	free(wcsr);
	EVP_PKEY_free(k);
	EVP_PKEY_free(weak);
	certa_close(c);
	TABLE_DONE();
}

/* RFC 5280 §6.1.3: a leaf never outlives its issuer. */
static void
test_issue_clamped(void **state)
{
	struct certa_init_opts	 o;
	struct certa_ctx	*c;
	struct certa_issue_req	 r;
	struct certa_cert_rec	 rec;
	X509			*iss;
	EVP_PKEY		*k;
	uint8_t			*csr;
	char			*created;
	size_t			 len;
	int64_t			 app, ca_na, t0, t1;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.dir = path_of("short");
	o.base_url = BASE_URL;
	o.passphrase_file = passfile;
	o.validity = 2 * DAY;
	OK(certa_init(&o, &created, &E));
	c = open_ctx(o.dir, passfile);
	iss = issuing_of(c, NULL);
	ca_na = unix_of(X509_get0_notAfter(iss));
	app = app_in(c, "short-org", "short-app");
	k = keygen("EC", "P-256");
	csr = make_csr(k, "short", NULL, NULL, 0, &len);
	memset(&r, 0, sizeof(r));
	r.app_id = app;
	r.type = "transport";
	r.csr = csr;
	r.csr_len = len;
	OK(certa_issue(c, &r, &rec, &E));
	assert_int_equal(rec.not_after, ca_na);
	assert_int_equal(unix_of(X509_get0_notAfter(iss)), rec.not_after);
	certa_cert_rec_clear(&rec);
	/* Shorter than the CA: not clamped. */
	r.validity = 3600;
	t0 = certa_now();
	OK(certa_issue(c, &r, &rec, &E));
	t1 = certa_now();
	check_leaf(c, &rec, k, t0, t1, 3600);
	certa_cert_rec_clear(&rec);
	free(csr);
	EVP_PKEY_free(k);
	X509_free(iss);
	certa_close(c);
	rm_rf(o.dir);
}

/* DIR/profiles.json: an override of a built-in and a type of its own. */
static void
test_issue_custom_profile(void **state)
{
	static const char	 json[] = "{\"profiles\": ["
	    "{\"name\": \"device\", \"key_usage\": [\"digitalSignature\"],"
	    " \"extended_key_usage\": [\"clientAuth\", \"serverAuth\"],"
	    " \"key_algorithms\": [\"ec:P-256\"], \"default_validity\": \"7d\","
	    " \"max_validity\": \"30d\", \"san\": [\"DNS\"]},"
	    "{\"name\": \"transport\", \"key_usage\": [\"digitalSignature\"],"
	    " \"extended_key_usage\": [\"clientAuth\"],"
	    " \"key_algorithms\": [\"ec:P-256\"],"
	    " \"required_subject\": [\"CN\", \"O\"], \"san\": [\"DNS\"]}]}";
	struct certa_ctx	*c;
	struct certa_issue_req	 r;
	struct certa_cert_rec	 rec;
	EVP_PKEY		*k, *k384;
	X509			*x;
	uint8_t			*csr, *csr384, *csrip, *csrcn;
	const char		*dir, *sans[1] = { "DNS:device.example" };
	const char		*ipsans[1] = { "IP:10.9.9.9" };
	char			 pj[192];
	size_t			 len, len384, lenip, lencn;
	int64_t			 app, t0, t1;

	(void)state;
	dir = init_ca("profiles", NULL, false, NULL);
	snprintf(pj, sizeof(pj), "%s/profiles.json", dir);
	write_file(pj, json);
	c = open_ctx(dir, passfile);
	app = app_in(c, "profile-org", "profile-app");
	k = keygen("EC", "P-256");
	k384 = keygen("EC", "P-384");
	csr = make_csr(k, "device", "certa test", sans, 1, &len);
	csr384 = make_csr(k384, "device", NULL, sans, 1, &len384);
	csrip = make_csr(k, "device", NULL, ipsans, 1, &lenip);
	csrcn = make_csr(k, "cn only", NULL, NULL, 0, &lencn);
	memset(&r, 0, sizeof(r));
	r.app_id = app;
	r.type = "device";
	r.csr = csr;
	r.csr_len = len;
	t0 = certa_now();
	OK(certa_issue(c, &r, &rec, &E));
	t1 = certa_now();
	check_leaf(c, &rec, k, t0, t1, 7 * DAY);
	assert_string_equal(rec.type, "device");
	assert_string_equal(rec.subject, "CN=device,O=certa test");
	assert_string_equal(rec.sans, "DNS:device.example");
	x = x509_of(rec.der, rec.der_len);
	assert_false(ext_critical(x, NID_subject_alt_name));
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_CLIENT |
	    XKU_SSL_SERVER);
	X509_free(x);
	certa_cert_rec_clear(&rec);
	r.validity = 31 * DAY;
	RC(certa_issue(c, &r, &rec, &E), CERTA_E_POLICY);
	r.validity = 0;
	r.csr = csr384;
	r.csr_len = len384;
	RC(certa_issue(c, &r, &rec, &E), CERTA_E_POLICY);
	r.csr = csrip;
	r.csr_len = lenip;
	RC(certa_issue(c, &r, &rec, &E), CERTA_E_POLICY);
	/* The overridden transport wants an O now. */
	r.type = "transport";
	r.csr = csrcn;
	r.csr_len = lencn;
	RC(certa_issue(c, &r, &rec, &E), CERTA_E_POLICY);
	r.subject = "CN=cn only,O=now with O";
	OK(certa_issue(c, &r, &rec, &E));
	x = x509_of(rec.der, rec.der_len);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	X509_free(x);
	certa_cert_rec_clear(&rec);
	/* The built-ins not overridden are still there. */
	r.type = "signing";
	OK(certa_issue(c, &r, &rec, &E));
	certa_cert_rec_clear(&rec);
	certa_close(c);

	/* A broken profiles.json stops issuance, with its name. */
	write_file(pj, "{\"profiles\": [{\"name\": \"x\"");
	c = open_ctx(dir, passfile);
	RC(certa_issue(c, &r, &rec, &E), CERTA_E_PARSE);
	assert_non_null(strstr(E.msg, "profiles.json"));
	certa_close(c);

	free(csr);
	free(csr384);
	free(csrip);
	free(csrcn);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k384);
	rm_rf(dir);
}

/*
 * Issue for an empty subject, in a child process: the child's exit status
 * says which check failed (0: all passed), so that a sanitizer abort in
 * the library fails this test instead of ending the whole run.
 */
static int
empty_subject_child(const char *dir)
{
	static const char *const sans[1] = { "DNS:nameless.example" };
	struct certa_ctx	*c = NULL;
	struct certa_issue_req	 r;
	struct certa_cert_rec	 rec;
	struct certa_err	 err;
	EVP_PKEY		*k = keygen("EC", "P-256");
	X509			*x;
	uint8_t			*csr;
	size_t			 len;
	int			 i, ret = 0;

	csr = make_csr(k, NULL, NULL, sans, 1, &len);
	certa_err_clear(&err);
	if (certa_open(dir, passfile, &c, &err) != CERTA_OK)
		return 10;
	memset(&r, 0, sizeof(r));
	r.app_id = 1;
	r.type = "device";
	r.csr = csr;
	r.csr_len = len;
	if (certa_issue(c, &r, &rec, &err) != CERTA_OK) {
		fprintf(stderr, "empty subject: %s\n", err.msg);
		return 11;
	}
	if (rec.subject == NULL || strcmp(rec.subject, "") != 0)
		ret = 12;
	x = x509_of(rec.der, rec.der_len);
	/* RFC 5280 §4.2.1.6: with an empty subject the SAN is critical. */
	i = X509_get_ext_by_NID(x, NID_subject_alt_name, -1);
	if (ret == 0 && (X509_NAME_entry_count(X509_get_subject_name(x)) !=
	    0 || i < 0 || X509_EXTENSION_get_critical(X509_get_ext(x, i)) != 1))
		ret = 13;
	X509_free(x);
	certa_cert_rec_clear(&rec);
	certa_close(c);
	free(csr);
	EVP_PKEY_free(k);
	return ret;
}

static void
test_issue_empty_subject(void **state)
{
	static const char	 json[] = "{\"profiles\": ["
	    "{\"name\": \"device\", \"key_usage\": [\"digitalSignature\"],"
	    " \"key_algorithms\": [\"ec:P-256\"], \"san\": [\"DNS\"]}]}";
	struct certa_ctx	*c;
	const char		*dir;
	char			 pj[192];
	pid_t			 pid;
	int			 status;

	(void)state;
	dir = init_ca("nameless", NULL, true, NULL);
	snprintf(pj, sizeof(pj), "%s/profiles.json", dir);
	write_file(pj, json);
	c = open_ctx(dir, passfile);
	assert_int_equal(app_in(c, "nameless-org", "nameless-app"), 1);
	certa_close(c);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(empty_subject_child(dir));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("issuing for an empty subject: killed by signal %d "
		    "(see the sanitizer report above)", WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("issuing for an empty subject: exit status %d (1: "
		    "stopped by a sanitizer, see above; 10-13: a check in "
		    "empty_subject_child)", WEXITSTATUS(status));
	rm_rf(dir);
}


/*
 * Revocation and CRLs.
 */

static void
test_reason_parse(void **state)
{
	static const struct {
		const char	*in;
		certa_rc	 rc;
		int		 reason;
	} t[] = {
		{ "unspecified", CERTA_OK, 0 },
		{ "keyCompromise", CERTA_OK, 1 },
		{ "KEYCOMPROMISE", CERTA_OK, 1 },
		{ "cACompromise", CERTA_OK, 2 },
		{ "affiliationChanged", CERTA_OK, 3 },
		{ "superseded", CERTA_OK, 4 },
		{ "cessationOfOperation", CERTA_OK, 5 },
		{ "privilegeWithdrawn", CERTA_OK, 9 },
		{ "aACompromise", CERTA_OK, 10 },
		{ "certificateHold", CERTA_E_POLICY, 0 },
		{ "removeFromCRL", CERTA_E_PARSE, 0 },
		{ "", CERTA_E_PARSE, 0 },
		{ "1", CERTA_E_PARSE, 0 },
		{ "keyCompromise ", CERTA_E_PARSE, 0 },
	};
	size_t		 i;
	int		 v;
	certa_rc	 rc;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		v = -7;
		certa_err_clear(&E);
		rc = certa_reason_parse(t[i].in, &v, &E);
		if (rc != t[i].rc || (rc == CERTA_OK && v != t[i].reason))
			BAD("reason '%s': %s %d", t[i].in, certa_rc_name(rc),
			    v);
		if (rc == CERTA_OK && strcasecmp(certa_reason_name(v),
		    t[i].in) != 0)
			BAD("reason %d is named %s", v, certa_reason_name(v));
	}
	assert_string_equal(certa_reason_name(6), "none");
	assert_string_equal(certa_reason_name(8), "none");
	assert_string_equal(certa_reason_name(-1), "none");
	assert_string_equal(certa_reason_name(11), "none");
	TABLE_DONE();
}

/* A revoked certificate the CRL must list. */
struct revoked {
	int64_t		 id;
	char		 serial[48];
	int		 reason;
	int64_t		 at;
};

static X509_CRL *
check_crl(const uint8_t *data, size_t len, bool pem, X509 *iss,
    const struct certa_crl_info *info, int64_t number,
    const struct revoked *rv, size_t nrv, int64_t validity)
{
	const unsigned char	*p = data;
	X509_CRL		*crl;
	ASN1_INTEGER		*num;
	ASN1_ENUMERATED		*reason;
	ASN1_INTEGER		*sn;
	BIGNUM			*bn = NULL;
	X509_REVOKED		*rev;
	BIO			*bio;
	size_t			 i;
	int			 n;

	if (pem) {
		assert_true(len > 30);
		assert_memory_equal(data, "-----BEGIN X509 CRL-----", 24);
		assert_non_null(bio = BIO_new_mem_buf(data, (int)len));
		assert_non_null(crl = PEM_read_bio_X509_CRL(bio, NULL, NULL,
		    NULL));
		BIO_free(bio);
	} else {
		assert_non_null(crl = d2i_X509_CRL(NULL, &p, (long)len));
		assert_ptr_equal(p, data + len);
	}
	/* Signed by the issuing CA, for the issuing CA. */
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(iss)), 1);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(iss)), 0);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	/* RFC 5280 §5.2.3 cRLNumber. */
	assert_non_null(num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL,
	    NULL));
	assert_int_equal(ASN1_INTEGER_get(num), number);
	ASN1_INTEGER_free(num);
	assert_int_equal(info->number, number);
	assert_int_equal(unix_of(X509_CRL_get0_lastUpdate(crl)),
	    info->this_update);
	assert_int_equal(unix_of(X509_CRL_get0_nextUpdate(crl)),
	    info->next_update);
	assert_int_equal(info->next_update - info->this_update, validity);
	assert_true(info->this_update >= certa_now() - 5 &&
	    info->this_update <= certa_now());
	/* Exactly the revoked certificates, with their reasons. */
	n = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));
	assert_int_equal(n < 0 ? 0 : n, (int)nrv);
	if (info->entries != nrv)
		BAD("crl %" PRId64 ": info.entries = %zu, but the CRL has %zu "
		    "entries", number, info->entries, nrv);
	for (i = 0; i < nrv; i++) {
		assert_non_null(bn = NULL == bn ? BN_new() : bn);
		assert_true(BN_hex2bn(&bn, rv[i].serial) > 0);
		assert_non_null(sn = BN_to_ASN1_INTEGER(bn, NULL));
		rev = NULL;
		assert_int_equal(X509_CRL_get0_by_serial(crl, &rev, sn), 1);
		ASN1_INTEGER_free(sn);
		assert_int_equal(unix_of(X509_REVOKED_get0_revocationDate(
		    rev)), rv[i].at);
		reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL,
		    NULL);
		/* RFC 5280 §5.3.1: unspecified SHOULD be absent. */
		if (rv[i].reason == 0) {
			assert_null(reason);
		} else {
			assert_non_null(reason);
			assert_int_equal(ASN1_ENUMERATED_get(reason),
			    rv[i].reason);
		}
		ASN1_ENUMERATED_free(reason);
	}
	BN_free(bn);
	return crl;
}

static void
test_revoke_crl(void **state)
{
	static const int	 reasons[] = { 1, 0, 4, 9 };
	struct certa_ctx	*c;
	struct certa_cert_rec	 recs[5], got;
	struct certa_crl_info	 info;
	struct revoked		 rv[NELEM(reasons)];
	X509			*iss;
	X509_CRL		*crl;
	const char		*dir;
	uint8_t			*out;
	size_t			 len, i;
	int64_t			 app, t0, t1, audit;

	(void)state;
	dir = init_ca("crl", "ec:P-256", false, NULL);
	c = open_ctx(dir, passfile);
	iss = issuing_of(c, NULL);
	app = app_in(c, "crl-org", "crl-app");
	for (i = 0; i < NELEM(recs); i++)
		issue_simple(c, app, "crl", &recs[i]);

	/* CRL 1: nothing revoked yet; default validity 7 days. */
	memset(&info, 0, sizeof(info));
	OK(certa_crl_generate(c, false, 0, &out, &len, &info, &E));
	crl = check_crl(out, len, false, iss, &info, 1, rv, 0, 7 * DAY);
	X509_CRL_free(crl);
	free(out);

	/* Revoke two, CRL 2; one more as PEM, CRL 3; one more, CRL 4. */
	for (i = 0; i < NELEM(reasons); i++) {
		t0 = certa_now();
		OK(certa_revoke(c, recs[i].id, reasons[i], &E));
		t1 = certa_now();
		OK(certa_store_cert_get(certa_ctx_store(c), recs[i].id, &got,
		    &E));
		assert_int_equal(got.status, CERTA_CERT_REVOKED);
		assert_int_equal(got.reason, reasons[i]);
		assert_true(got.revoked_at >= t0 && got.revoked_at <= t1);
		rv[i].id = recs[i].id;
		snprintf(rv[i].serial, sizeof(rv[i].serial), "%s",
		    recs[i].serial);
		rv[i].reason = reasons[i];
		rv[i].at = got.revoked_at;
		certa_cert_rec_clear(&got);
		if (i == 0)
			continue;
		memset(&info, 0, sizeof(info));
		OK(certa_crl_generate(c, i == 2, i == 3 ? 3 * DAY : 0, &out,
		    &len, &info, &E));
		crl = check_crl(out, len, i == 2, iss, &info, (int64_t)i + 1,
		    rv, i + 1, i == 3 ? 3 * DAY : 7 * DAY);
		X509_CRL_free(crl);
		free(out);
	}

	/* Twice, unknown, and reasons that are not permanent. */
	audit = audit_count(c);
	RC(certa_revoke(c, recs[0].id, 1, &E), CERTA_E_CONFLICT);
	assert_true(E.msg[0] != '\0');
	RC(certa_revoke(c, recs[1].id, 0, &E), CERTA_E_CONFLICT);
	RC(certa_revoke(c, 999999, 1, &E), CERTA_E_NOTFOUND);
	RC(certa_revoke(c, recs[4].id, 6, &E), CERTA_E_INVAL);
	RC(certa_revoke(c, recs[4].id, 8, &E), CERTA_E_INVAL);
	RC(certa_revoke(c, recs[4].id, 7, &E), CERTA_E_INVAL);
	RC(certa_revoke(c, recs[4].id, -1, &E), CERTA_E_INVAL);
	RC(certa_revoke(c, recs[4].id, 11, &E), CERTA_E_INVAL);
	assert_int_equal(audit_count(c), audit);
	OK(certa_store_cert_get(certa_ctx_store(c), recs[0].id, &got, &E));
	assert_int_equal(got.reason, 1);
	assert_int_equal(got.revoked_at, rv[0].at);
	certa_cert_rec_clear(&got);
	OK(certa_store_cert_get(certa_ctx_store(c), recs[4].id, &got, &E));
	assert_int_equal(got.status, CERTA_CERT_VALID);
	certa_cert_rec_clear(&got);

	/* The numbers keep increasing across handles. */
	certa_close(c);
	c = open_ctx(dir, passfile);
	OK(certa_crl_generate(c, false, 0, &out, &len, &info, &E));
	crl = check_crl(out, len, false, iss, &info, 5, rv, NELEM(reasons),
	    7 * DAY);
	X509_CRL_free(crl);
	free(out);

	for (i = 0; i < NELEM(recs); i++)
		certa_cert_rec_clear(&recs[i]);
	X509_free(iss);
	certa_close(c);
	rm_rf(dir);
	TABLE_DONE();
}

/*
 * Verification.
 */

static void
verdict_is(struct certa_ctx *c, const uint8_t *der, size_t len, int64_t at,
    bool valid, const char *reason)
{
	struct certa_verdict	 v;

	memset(&v, 0, sizeof(v));
	OK(certa_verify_cert(c, der, len, at, &v, &E));
	if (v.valid != valid || strcmp(v.reason, reason) != 0)
		fail_msg("verdict %s '%s' (%s), want %s '%s'", v.valid ?
		    "valid" : "invalid", v.reason, v.message, valid ? "valid" :
		    "invalid", reason);
	assert_true(v.message[0] != '\0');
}

static void
test_verify_cert(void **state)
{
	struct certa_ctx	*c, *oc;
	struct certa_cert_rec	 rec, rev, orec;
	struct certa_verdict	 v;
	struct certa_ca_rec	 ca;
	EVP_PKEY		*cakey, *k, *fkey;
	X509			*iss, *x, *fca;
	BIO			*bio;
	uint8_t			*der, *pem;
	size_t			 len, plen;
	const char		*odir;
	int64_t			 app;

	(void)state;
	c = open_ctx(main_dir, passfile);
	app = app_in(c, "verify-org", "verify-app");
	issue_simple(c, app, "valid", &rec);
	verdict_is(c, rec.der, rec.der_len, 0, true, "ok");
	/* PEM too. */
	OK(certa_ca_export(c, false, "pem", &pem, &plen, &E));
	free(pem);
	{
		struct certa_export_opts o = { .format = "pem" };

		OK(certa_cert_export(c, &rec, &o, &pem, &plen, &E));
		verdict_is(c, pem, plen, 0, true, "ok");
		free(pem);
	}
	/* Before and after its validity. */
	verdict_is(c, rec.der, rec.der_len, rec.not_after + 1, false,
	    "expired");
	verdict_is(c, rec.der, rec.der_len, rec.not_after + 400 * DAY, false,
	    "expired");
	verdict_is(c, rec.der, rec.der_len, rec.not_before - 10, false,
	    "not_yet_valid");
	verdict_is(c, rec.der, rec.der_len, rec.not_after - 10, true, "ok");

	/* Revoked. */
	issue_simple(c, app, "revoked", &rev);
	OK(certa_revoke(c, rev.id, 1, &E));
	memset(&v, 0, sizeof(v));
	OK(certa_verify_cert(c, rev.der, rev.der_len, 0, &v, &E));
	assert_false(v.valid);
	assert_string_equal(v.reason, "revoked");
	assert_non_null(strstr(v.message, "keyCompromise"));

	/* Another certa CA's certificate. */
	odir = init_ca("verify-other", NULL, true, "CN=Other CA");
	oc = open_ctx(odir, passfile);
	issue_simple(oc, app_in(oc, "o", "a"), "foreign", &orec);
	verdict_is(c, orec.der, orec.der_len, 0, false, "untrusted");
	verdict_is(oc, rec.der, rec.der_len, 0, false, "untrusted");
	verdict_is(oc, orec.der, orec.der_len, 0, true, "ok");
	certa_cert_rec_clear(&orec);
	certa_close(oc);
	rm_rf(odir);

	/* A look-alike: the issuing CA's name, another key. */
	iss = issuing_of(c, NULL);
	fkey = keygen("EC", "P-256");
	fca = make_cert(fkey, "certa Issuing CA", NULL, NULL, 30);
	k = keygen("EC", "P-256");
	x = make_cert(k, "forged", fkey, fca, 10);
	der = der_of(x, &len);
	verdict_is(c, der, len, 0, false, "bad_signature");
	free(der);
	X509_free(x);

	/* Signed by this CA's key, but not issued through certa. */
	OK(certa_store_ca_get_active(certa_ctx_store(c), "issuing", &ca, &E));
	assert_non_null(bio = BIO_new_mem_buf(ca.key_pem, -1));
	assert_non_null(cakey = PEM_read_bio_PrivateKey(bio, NULL, NULL,
	    (void *)PASS));
	BIO_free(bio);
	certa_ca_rec_clear(&ca);
	x = make_cert(k, "smuggled", cakey, iss, 10);
	der = der_of(x, &len);
	verdict_is(c, der, len, 0, false, "unknown");
	free(der);
	X509_free(x);

	/* Not a certificate. */
	RC(certa_verify_cert(c, (const uint8_t *)"junk", 4, 0, &v, &E),
	    CERTA_E_PARSE);
	RC(certa_verify_cert(c, rec.der, rec.der_len - 1, 0, &v, &E),
	    CERTA_E_PARSE);

	EVP_PKEY_free(cakey);
	EVP_PKEY_free(k);
	EVP_PKEY_free(fkey);
	X509_free(fca);
	X509_free(iss);
	certa_cert_rec_clear(&rec);
	certa_cert_rec_clear(&rev);
	certa_close(c);
}

/*
 * The audit chain, attacked through the database file.
 */

static void
sql(const char *db, const char *stmt)
{
	sqlite3	*h = NULL;
	char	*msg = NULL;

	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_busy_timeout(h, 5000), SQLITE_OK);
	if (sqlite3_exec(h, stmt, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", stmt, msg);
	assert_int_equal(sqlite3_changes(h), 1);
	sqlite3_free(msg);
	assert_int_equal(sqlite3_close(h), SQLITE_OK);
}

static void
test_audit_tamper(void **state)
{
	struct certa_ctx	*c;
	struct certa_cert_rec	 rec;
	const char		*dir;
	char			 db[192], hash[65], other[65];
	int64_t			 bad, n, head;

	(void)state;
	dir = init_ca("audit", NULL, true, NULL);
	snprintf(db, sizeof(db), "%s/certa.db", dir);
	c = open_ctx(dir, passfile);
	/* 1 init, 2 org, 3 app, 4 issue, 5 revoke. */
	issue_simple(c, app_in(c, "audit-org", "audit-app"), "audited", &rec);
	OK(certa_revoke(c, rec.id, 4, &E));
	certa_cert_rec_clear(&rec);
	OK(certa_audit_verify(c, &bad, &n, &E));
	assert_int_equal(bad, 0);
	assert_int_equal(n, 5);
	/* The head, to be kept elsewhere. */
	OK(certa_audit_head(c, &head, hash, &E));
	assert_int_equal(head, 5);
	assert_int_equal(strlen(hash), 64);
	OK(certa_audit_check_head(c, head, hash, &E));
	memcpy(other, hash, sizeof(other));
	other[0] = other[0] == '0' ? '1' : '0';
	RC(certa_audit_check_head(c, head, other, &E), CERTA_E_CONFLICT);
	RC(certa_audit_check_head(c, head + 1, hash, &E), CERTA_E_CONFLICT);
	RC(certa_audit_check_head(c, 0, hash, &E), CERTA_E_INVAL);
	certa_close(c);

	/* Another actor on record 3. */
	sql(db, "UPDATE audit SET actor = 'mallory' WHERE seq = 3");
	c = open_ctx(dir, passfile);
	bad = -1;
	OK(certa_audit_verify(c, &bad, &n, &E));
	assert_int_equal(bad, 3);
	certa_close(c);
	/* Put back, it verifies again. */
	sql(db, "UPDATE audit SET actor = 'test:alice' WHERE seq = 3");
	c = open_ctx(dir, passfile);
	OK(certa_audit_verify(c, &bad, &n, &E));
	assert_int_equal(bad, 0);
	assert_int_equal(n, 5);
	certa_close(c);
	/* Other fields, each alone. */
	sql(db, "UPDATE audit SET details = '{\"reason\":\"unspecified\"}' "
	    "WHERE seq = 5");
	c = open_ctx(dir, passfile);
	OK(certa_audit_verify(c, &bad, &n, &E));
	assert_int_equal(bad, 5);
	certa_close(c);
	sql(db, "UPDATE audit SET time = time - 3600 WHERE seq = 1");
	c = open_ctx(dir, passfile);
	OK(certa_audit_verify(c, &bad, &n, &E));
	assert_int_equal(bad, 1);
	certa_close(c);
	sql(db, "UPDATE audit SET time = time + 3600 WHERE seq = 1");
	/* A record taken out: the gap is named. */
	sql(db, "DELETE FROM audit WHERE seq = 2");
	c = open_ctx(dir, passfile);
	OK(certa_audit_verify(c, &bad, &n, &E));
	assert_int_equal(bad, 2);
	certa_close(c);
	/* The newest record cut off: only the kept head tells. */
	sql(db, "DELETE FROM audit WHERE seq = 5");
	c = open_ctx(dir, passfile);
	RC(certa_audit_check_head(c, head, hash, &E), CERTA_E_CONFLICT);
	assert_non_null(strstr(E.msg, "5"));
	certa_close(c);
	rm_rf(dir);
}

/*
 * Set-up.
 */

static int
group_setup(void **state)
{
	struct certa_init_opts	 o;
	struct certa_err	 err;
	char			*created = NULL;

	(void)state;
	unsetenv("CERTA_PASSPHRASE");
	unsetenv("CERTA_PASSPHRASE_FILE");
	certa_lib_init();
	snprintf(base, sizeof(base), "/tmp/certa-ca-test-XXXXXX");
	if (mkdtemp(base) == NULL)
		return -1;
	snprintf(passfile, sizeof(passfile), "%s/pass", base);
	snprintf(wrongpass, sizeof(wrongpass), "%s/wrong", base);
	write_file(passfile, PASS "\n");
	write_file(wrongpass, "not " PASS "\n");
	snprintf(main_dir, sizeof(main_dir), "%s/main", base);
	memset(&o, 0, sizeof(o));
	o.dir = main_dir;
	o.base_url = BASE_URL;
	o.passphrase_file = passfile;
	o.actor = "test:init";
	certa_err_clear(&err);
	if (certa_init(&o, &created, &err) != CERTA_OK) {
		fprintf(stderr, "init %s: %s\n", main_dir, err.msg);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	rm_rf(base);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_two_tier),
		T(test_init_single_tier),
		T(test_init_generated_pass),
		T(test_init_env_pass),
		T(test_init_twice),
		T(test_init_bad),
		T(test_open_missing),
		T(test_org_app),
		T(test_issue_csr),
		T(test_issue_keygen_export),
		T(test_cert_resolve),
		T(test_issue_refused),
		T(test_issue_wrong_pass),
		T(test_issue_batch),
		T(test_issue_batch_mixed),
		T(test_issue_clamped),
		T(test_issue_custom_profile),
		T(test_issue_empty_subject),
		T(test_reason_parse),
		T(test_revoke_crl),
		T(test_verify_cert),
		T(test_audit_tamper),
		T(test_error_queue_clean),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
