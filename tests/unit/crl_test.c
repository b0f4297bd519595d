/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the streaming CRL writer (src/ca/crl.c) against a real
 * SQLite store in a temporary directory.  Every CRL is judged by OpenSSL's
 * own parser (d2i_X509_CRL, X509_CRL_verify, a DER re-encode) and by the
 * openssl CLI; error paths by corrupting store rows behind the store's back
 * and by failing libcrypto allocations one by one.  Fixtures (CA keys and
 * certificates) are made here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>

#include <certa/store.h>

#include "ca/crl.h"
#include "ca/signer.h"
#include "core/core.h"
#include "util/util.h"

#define NOW		1767225600	/* 2026-01-01T00:00:00Z */
#define DAY		86400

/* One CA in its own store, and the CRL number last used. */
struct fx {
	char			 dir[64];
	struct certa_store	*st;		/* owns */
	EVP_PKEY		*key;		/* owns */
	X509			*cert;		/* owns */
	struct certa_signer	*signer;	/* owns */
	int64_t			 ca_id;
	int64_t			 number;
	size_t			 entries;	/* of the last build */
};

/* A revoked (or valid, reason -1) row the test inserted. */
struct row {
	char	 serial[41];
	int64_t	 revoked_at;
	int	 reason;		/* CERTA_REASON_NONE: not revoked */
	int64_t	 id;			/* set by add_row */
	bool	 seen;
};

static void
ok(certa_rc rc, const struct certa_err *err)
{
	if (rc != CERTA_OK)
		fail_msg("rc %s: %s", certa_rc_name(rc), err->msg);
}

/* A self-signed CA certificate for key, with SKI, BC and keyUsage. */
static X509 *
make_ca_cert(EVP_PKEY *key, const char *cn, bool ski)
{
	X509			*x;
	X509_NAME		*name;
	BASIC_CONSTRAINTS	*bc;
	ASN1_BIT_STRING		*ku;
	ASN1_OCTET_STRING	*os;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen;
	const char		*mdname;

	assert_non_null(x = X509_new());
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	assert_non_null(name = X509_NAME_new());
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)"certa test", -1, -1, 0), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_subject_name(x, name), 1);
	assert_int_equal(X509_set_issuer_name(x, name), 1);
	X509_NAME_free(name);
	assert_non_null(X509_time_adj_ex(X509_getm_notBefore(x), -1, 0, NULL));
	assert_non_null(X509_time_adj_ex(X509_getm_notAfter(x), 3650, 0,
	    NULL));
	assert_int_equal(X509_set_pubkey(x, key), 1);

	assert_non_null(bc = BASIC_CONSTRAINTS_new());
	bc->ca = 1;
	assert_int_equal(X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1,
	    X509V3_ADD_DEFAULT), 1);
	BASIC_CONSTRAINTS_free(bc);
	assert_non_null(ku = ASN1_BIT_STRING_new());
	assert_int_equal(ASN1_BIT_STRING_set_bit(ku, 5, 1), 1);	/* certSign */
	assert_int_equal(ASN1_BIT_STRING_set_bit(ku, 6, 1), 1);	/* cRLSign */
	assert_int_equal(X509_add1_ext_i2d(x, NID_key_usage, ku, 1,
	    X509V3_ADD_DEFAULT), 1);
	ASN1_BIT_STRING_free(ku);
	if (ski) {
		/* RFC 5280 §4.2.1.2 method 1: SHA-1 of subjectPublicKey. */
		assert_int_equal(X509_pubkey_digest(x, EVP_sha1(), md, &mdlen),
		    1);
		assert_non_null(os = ASN1_OCTET_STRING_new());
		assert_int_equal(ASN1_OCTET_STRING_set(os, md, (int)mdlen), 1);
		assert_int_equal(X509_add1_ext_i2d(x,
		    NID_subject_key_identifier, os, 0, X509V3_ADD_DEFAULT), 1);
		ASN1_OCTET_STRING_free(os);
	}
	mdname = certa_key_sign_md(key);
	assert_true(X509_sign(x, key, mdname == NULL ? NULL :
	    EVP_get_digestbyname(mdname)) > 0);
	return x;
}

/* Put a CA (key spec) into the fixture's store and make its signer. */
static void
fx_add_ca(struct fx *f, const char *spec, const char *name, bool ski)
{
	struct certa_err	 err = { 0 };
	struct certa_ca_rec	 ca;
	uint8_t			*der = NULL;
	size_t			 len = 0;

	ok(certa_key_generate(NULL, spec, &f->key, &err), &err);
	f->cert = make_ca_cert(f->key, name, ski);
	ok(certa_cert_der(f->cert, &der, &len, &err), &err);
	memset(&ca, 0, sizeof(ca));
	ca.name = (char *)name;
	ca.role = (char *)"root";
	ca.status = (char *)"active";
	ca.cert_der = der;
	ca.cert_der_len = len;
	ca.created_at = NOW;
	ok(certa_store_ca_put(f->st, &ca, &err), &err);
	f->ca_id = ca.id;
	free(der);
	ok(certa_signer_local_new_key(NULL, NULL, f->cert, f->key, &f->signer,
	    &err), &err);
}

static struct fx *
fx_new(const char *spec)
{
	struct certa_err	 err = { 0 };
	struct fx		*f;
	char			 dsn[128];

	assert_non_null(f = calloc(1, sizeof(*f)));
	snprintf(f->dir, sizeof(f->dir), "/tmp/certa-crl-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(dsn, sizeof(dsn), "%s/certa.db", f->dir);
	ok(certa_store_open(&f->st, dsn, &err), &err);
	fx_add_ca(f, spec, "Test Root CA", true);
	return f;
}

static void
fx_free(struct fx *f)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[512];

	if (f == NULL)
		return;
	certa_signer_free(f->signer);
	certa_store_close(f->st);
	X509_free(f->cert);
	EVP_PKEY_free(f->key);
	d = opendir(f->dir);
	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", f->dir,
			    de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(f->dir);
	free(f);
}

static int
setup_p256(void **state)
{
	*state = fx_new("ec:P-256");
	return 0;
}

static int
setup_ed25519(void **state)
{
	*state = fx_new("ed25519");
	return 0;
}

static int
setup_rsa(void **state)
{
	*state = fx_new("rsa:2048");
	return 0;
}

static int
teardown(void **state)
{
	fx_free(*state);
	return 0;
}

/* Insert a finished certificate row; revoke it unless reason is NONE. */
static void
add_row(struct fx *f, int64_t ca_id, struct row *r)
{
	struct certa_err	 err = { 0 };
	struct certa_cert_rec	 rec;
	static const uint8_t	 der[] = { 0x30, 0x00 };
	char			 fp[65];

	memset(&rec, 0, sizeof(rec));
	rec.ca_id = ca_id;
	rec.serial = r->serial;
	rec.type = (char *)"transport";
	rec.profile = (char *)"default";
	rec.subject = (char *)"CN=x";
	rec.key_alg = (char *)"ec:P-256";
	rec.not_before = NOW - DAY;
	rec.not_after = NOW + 90 * DAY;
	ok(certa_store_cert_reserve(f->st, &rec, &err), &err);
	r->id = rec.id;
	certa_fingerprint(der, sizeof(der), false, fp);
	ok(certa_store_cert_finish(f->st, rec.id, der, sizeof(der), fp, &err),
	    &err);
	if (r->reason != CERTA_REASON_NONE)
		ok(certa_store_cert_revoke(f->st, rec.id, r->revoked_at,
		    r->reason, &err), &err);
}

static void
random_serial(char hex[41])
{
	struct certa_err	 err = { 0 };
	ASN1_INTEGER		*ai = NULL;

	ok(certa_serial_new(NULL, &ai, hex, &err), &err);
	ASN1_INTEGER_free(ai);
}

static certa_rc
build(struct fx *f, int64_t ca_id, int64_t this_update, int64_t next_update,
    uint8_t **der, size_t *len, struct certa_err *err)
{
	struct certa_crl_params	 p;
	certa_rc		 rc;

	memset(&p, 0, sizeof(p));
	p.ca_id = ca_id;
	p.number = ++f->number;
	p.this_update = this_update;
	p.next_update = next_update;
	p.entries = 12345;
	rc = certa_crl_build(f->st, f->signer, &p, der, len, err);
	f->entries = p.entries;
	if (rc != CERTA_OK)
		assert_int_equal(p.entries, 0);
	return rc;
}

/* The TBSCertList inside a CertificateList's DER. */
static void
tbs_of(const uint8_t *der, size_t len, const uint8_t **tbs, size_t *tbslen)
{
	const unsigned char	*p = der, *q;
	long			 l;
	int			 tag, xclass;

	assert_int_equal(ASN1_get_object(&p, &l, &tag, &xclass, (long)len),
	    V_ASN1_CONSTRUCTED);
	q = p;
	assert_int_equal(ASN1_get_object(&p, &l, &tag, &xclass,
	    (long)(der + len - p)), V_ASN1_CONSTRUCTED);
	assert_int_equal(tag, V_ASN1_SEQUENCE);
	*tbs = q;
	*tbslen = (size_t)(p - q) + (size_t)l;
}

/* The identifier octet of the TBSCertList field after nextUpdate. */
static int
tag_after_next_update(const uint8_t *tbs, size_t len)
{
	const unsigned char	*p = tbs, *end = tbs + len;
	long			 l;
	int			 tag, xclass, i;

	assert_int_equal(ASN1_get_object(&p, &l, &tag, &xclass, (long)len),
	    V_ASN1_CONSTRUCTED);
	for (i = 0; i < 5; i++) {
		assert_int_equal(ASN1_get_object(&p, &l, &tag, &xclass,
		    (long)(end - p)) & 0x80, 0);
		p += l;
	}
	assert_true(p < end);
	return *p;
}

static int64_t
unix_of(const ASN1_TIME *t)
{
	struct certa_err	 err = { 0 };
	int64_t			 v = 0;

	ok(certa_asn1_time_to_unix(t, &v, &err), &err);
	return v;
}

/*
 * Parse and judge a CRL: DER, signature, version, issuer, dates, the two
 * extensions, and every entry against rows (valid rows must be absent).
 * Returns the parsed CRL.
 */
static X509_CRL *
check_crl(struct fx *f, const uint8_t *der, size_t len, struct row *rows,
    size_t nrows, int64_t this_update, int64_t next_update)
{
	const unsigned char	*p = der;
	const uint8_t		*tbs;
	unsigned char		*re = NULL;
	X509_CRL		*crl;
	STACK_OF(X509_REVOKED)	*revs;
	X509_REVOKED		*rev;
	ASN1_INTEGER		*num;
	AUTHORITY_KEYID		*aki;
	ASN1_ENUMERATED		*reason;
	char			*hex;
	size_t			 i, j, tbslen, want = 0;
	int			 n, crit;

	assert_non_null(crl = d2i_X509_CRL(NULL, &p, (long)len));
	assert_ptr_equal(p, der + len);
	assert_int_equal(X509_CRL_verify(crl, f->key), 1);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(f->cert)), 0);
	assert_int_equal(unix_of(X509_CRL_get0_lastUpdate(crl)), this_update);
	assert_int_equal(unix_of(X509_CRL_get0_nextUpdate(crl)), next_update);

	/* DER, not merely BER: OpenSSL's re-encoding is byte-identical. */
	tbs_of(der, len, &tbs, &tbslen);
	assert_true((n = i2d_re_X509_CRL_tbs(crl, &re)) > 0);
	assert_int_equal((size_t)n, tbslen);
	assert_memory_equal(re, tbs, tbslen);
	OPENSSL_free(re);

	/* RFC 5280 §5.2: exactly AKI and cRLNumber, both non-critical. */
	assert_int_equal(X509_CRL_get_ext_count(crl), 2);
	assert_non_null(num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit,
	    NULL));
	assert_int_equal(crit, 0);
	assert_int_equal(ASN1_INTEGER_get(num), f->number);
	ASN1_INTEGER_free(num);
	assert_non_null(aki = X509_CRL_get_ext_d2i(crl,
	    NID_authority_key_identifier, &crit, NULL));
	assert_int_equal(crit, 0);
	assert_non_null(aki->keyid);
	assert_null(aki->issuer);
	assert_int_equal(ASN1_OCTET_STRING_cmp(aki->keyid,
	    X509_get0_subject_key_id(f->cert)), 0);
	AUTHORITY_KEYID_free(aki);

	for (i = 0; i < nrows; i++) {
		rows[i].seen = false;
		if (rows[i].reason != CERTA_REASON_NONE)
			want++;
	}
	assert_int_equal(f->entries, want);
	revs = X509_CRL_get_REVOKED(crl);
	if (want == 0) {
		/* §5.1.2.6: absent, not an empty SEQUENCE. */
		assert_true(revs == NULL || sk_X509_REVOKED_num(revs) == 0);
		assert_int_equal(tag_after_next_update(tbs, tbslen), 0xa0);
		return crl;
	}
	assert_non_null(revs);
	assert_int_equal((size_t)sk_X509_REVOKED_num(revs), want);
	for (i = 0; i < want; i++) {
		rev = sk_X509_REVOKED_value(revs, (int)i);
		assert_non_null(hex = certa_serial_hex(
		    X509_REVOKED_get0_serialNumber(rev)));
		for (j = 0; j < nrows; j++)
			if (strcmp(rows[j].serial, hex) == 0)
				break;
		if (j == nrows)
			fail_msg("unexpected serial %s in CRL", hex);
		free(hex);
		assert_int_not_equal(rows[j].reason, CERTA_REASON_NONE);
		assert_false(rows[j].seen);
		rows[j].seen = true;
		assert_int_equal(unix_of(X509_REVOKED_get0_revocationDate(rev)),
		    rows[j].revoked_at);
		reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, &crit,
		    NULL);
		/* §5.3.1: unspecified (0) is omitted; so is removeFromCRL. */
		if (rows[j].reason == 0) {
			assert_null(reason);
			assert_int_equal(X509_REVOKED_get_ext_count(rev), 0);
		} else {
			assert_non_null(reason);
			assert_int_equal(crit, 0);
			assert_int_equal(ASN1_ENUMERATED_get(reason),
			    rows[j].reason);
			assert_int_equal(X509_REVOKED_get_ext_count(rev), 1);
		}
		ASN1_ENUMERATED_free(reason);
	}
	return crl;
}

/* Rows with every reason, some serials at encoding edges, some valid. */
static struct row *
make_rows(struct fx *f, size_t n)
{
	static const char *const edge[] = {
		"1", "7f", "80", "ff", "100", "abcde", "8000",
		"7fffffffffffffffffffffffffffffffffffffff",
		"ffffffffffffffffffffffffffffffffffffff",	/* 19 octets + 00 */
	};
	/* Every reason the store accepts (6 and 8 are not permanent). */
	static const int reasons[] = { 0, 1, 2, 3, 4, 5, 9, 10 };
	struct certa_err	 err = { 0 };
	struct row		*rows;
	size_t			 i;

	assert_non_null(rows = calloc(n, sizeof(*rows)));
	ok(certa_store_begin(f->st, &err), &err);
	for (i = 0; i < n; i++) {
		if (i < sizeof(edge) / sizeof(edge[0]))
			snprintf(rows[i].serial, sizeof(rows[i].serial), "%s",
			    edge[i]);
		else
			random_serial(rows[i].serial);
		/* Bursts of one second, and gaps across days and years. */
		rows[i].revoked_at = NOW - (int64_t)(i / 3) * 7919;
		rows[i].reason = i % 4 == 3 ? CERTA_REASON_NONE :
		    reasons[i % (sizeof(reasons) / sizeof(reasons[0]))];
		add_row(f, f->ca_id, &rows[i]);
	}
	ok(certa_store_commit(f->st, &err), &err);
	return rows;
}

static void
test_crl_entries(void **state)
{
	struct fx		*f = *state;
	struct certa_err	 err = { 0 };
	struct row		*rows;
	uint8_t			*der = NULL;
	size_t			 len = 0, i;
	X509_CRL		*crl;

	rows = make_rows(f, 80);
	ok(build(f, f->ca_id, NOW, NOW + 7 * DAY, &der, &len, &err), &err);
	crl = check_crl(f, der, len, rows, 80, NOW, NOW + 7 * DAY);
	for (i = 0; i < 80; i++)
		assert_true(rows[i].seen ==
		    (rows[i].reason != CERTA_REASON_NONE));
	/* RFC 5280 §5.1.2.4: UTCTime through 2049. */
	assert_int_equal(ASN1_STRING_type(X509_CRL_get0_lastUpdate(crl)),
	    V_ASN1_UTCTIME);
	X509_CRL_free(crl);
	free(der);
	free(rows);
}

static void
test_crl_empty(void **state)
{
	struct fx		*f = *state;
	struct certa_err	 err = { 0 };
	struct row		 r;
	uint8_t			*der = NULL;
	size_t			 len = 0;

	/* Nothing at all, then one valid (not revoked) certificate. */
	ok(build(f, f->ca_id, NOW, NOW + DAY, &der, &len, &err), &err);
	X509_CRL_free(check_crl(f, der, len, NULL, 0, NOW, NOW + DAY));
	free(der);

	memset(&r, 0, sizeof(r));
	random_serial(r.serial);
	r.reason = CERTA_REASON_NONE;
	add_row(f, f->ca_id, &r);
	ok(build(f, f->ca_id, NOW, NOW + DAY, &der, &len, &err), &err);
	X509_CRL_free(check_crl(f, der, len, &r, 1, NOW, NOW + DAY));
	free(der);
}

/* Only the CA's own rows; another CA's revocations stay out. */
static void
test_crl_two_cas(void **state)
{
	struct fx		*f = *state;
	struct certa_err	 err = { 0 };
	struct fx		 g;
	struct row		 mine, other;
	uint8_t			*der = NULL;
	size_t			 len = 0;

	memset(&g, 0, sizeof(g));
	g.st = f->st;
	fx_add_ca(&g, "ec:P-256", "Other CA", true);
	memset(&mine, 0, sizeof(mine));
	memset(&other, 0, sizeof(other));
	random_serial(mine.serial);
	snprintf(other.serial, sizeof(other.serial), "%s", mine.serial);
	mine.reason = 1;
	mine.revoked_at = NOW - 10;
	other.reason = 2;
	other.revoked_at = NOW - 20;
	add_row(f, f->ca_id, &mine);
	add_row(f, g.ca_id, &other);	/* same serial, other CA */

	ok(build(f, f->ca_id, NOW, NOW + DAY, &der, &len, &err), &err);
	X509_CRL_free(check_crl(f, der, len, &mine, 1, NOW, NOW + DAY));
	free(der);

	/* Negative: f's signer for g's rows is refused, nothing returned. */
	der = (uint8_t *)&len;
	assert_int_equal(build(f, g.ca_id, NOW, NOW + DAY, &der, &len, &err),
	    CERTA_E_POLICY);
	assert_null(der);
	assert_int_equal(len, 0);
	assert_non_null(strstr(err.msg, "another CA"));
	certa_err_clear(&err);
	/* An unknown CA. */
	assert_int_equal(build(f, 999, NOW, NOW + DAY, &der, &len, &err),
	    CERTA_E_NOTFOUND);
	assert_null(der);
	certa_signer_free(g.signer);
	X509_free(g.cert);
	EVP_PKEY_free(g.key);
}

/* Bad parameters and a CA certificate without SKI are refused. */
static void
test_crl_refusals(void **state)
{
	struct fx		*f = *state;
	struct certa_err	 err = { 0 };
	struct certa_crl_params	 p;
	struct fx		 g;
	uint8_t			*der = NULL;
	size_t			 len = 0;

	memset(&p, 0, sizeof(p));
	p.ca_id = f->ca_id;
	p.number = 0;
	p.this_update = NOW;
	p.next_update = NOW + DAY;
	assert_int_equal(certa_crl_build(f->st, f->signer, &p, &der, &len,
	    &err), CERTA_E_INVAL);
	assert_null(der);
	p.number = 1;
	p.next_update = NOW;
	assert_int_equal(certa_crl_build(f->st, f->signer, &p, &der, &len,
	    &err), CERTA_E_INVAL);
	assert_null(der);
	p.next_update = 253402300800;	/* year 10000 */
	assert_int_equal(certa_crl_build(f->st, f->signer, &p, &der, &len,
	    &err), CERTA_E_INVAL);
	assert_null(der);

	memset(&g, 0, sizeof(g));
	g.st = f->st;
	fx_add_ca(&g, "ec:P-256", "No SKI CA", false);
	p.ca_id = g.ca_id;
	p.next_update = NOW + DAY;
	certa_err_clear(&err);
	assert_int_equal(certa_crl_build(g.st, g.signer, &p, &der, &len,
	    &err), CERTA_E_POLICY);
	assert_null(der);
	assert_non_null(strstr(err.msg, "subjectKeyIdentifier"));
	assert_int_equal(ERR_peek_error(), 0);
	certa_signer_free(g.signer);
	X509_free(g.cert);
	EVP_PKEY_free(g.key);
}

/* Run one SQL statement on the fixture's database behind the store. */
static void
corrupt(struct fx *f, const char *sql)
{
	sqlite3	*db = NULL;
	char	 path[128];

	snprintf(path, sizeof(path), "%s/certa.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_busy_timeout(db, 5000), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* A bad row met during the walk fails the build; nothing half-returned. */
static void
test_crl_store_errors(void **state)
{
	static const struct {
		const char	*sql;
		const char	*msg;
	} bad[] = {
		{ "UPDATE certificate SET reason = 7 WHERE serial = '80'",
		    "not a CRLReason" },
		{ "UPDATE certificate SET reason = 11 WHERE serial = '80'",
		    "not a CRLReason" },
		{ "UPDATE certificate SET serial = 'xyz' WHERE serial = '80'",
		    "not a hex serial" },
		{ "UPDATE certificate SET serial = '"
		    "1ffffffffffffffffffffffffffffffffffffffff' "
		    "WHERE serial = '80'", "not a hex serial" },
		{ "UPDATE certificate SET revoked_at = 253402300800 "
		    "WHERE serial = '80'", "revocation time" },
		{ "UPDATE certificate SET revoked_at = -631152001 "
		    "WHERE serial = '80'", "revocation time" },
	};
	struct fx		*f = *state;
	struct certa_err	 err = { 0 };
	struct row		*rows;
	uint8_t			*der = NULL;
	size_t			 len = 0, i;
	char			 sql[256];
	X509_CRL		*crl;

	rows = make_rows(f, 30);
	assert_string_equal(rows[2].serial, "80");
	assert_int_not_equal(rows[2].reason, CERTA_REASON_NONE);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		corrupt(f, bad[i].sql);
		certa_err_clear(&err);
		der = (uint8_t *)&len;
		len = 99;
		assert_int_equal(build(f, f->ca_id, NOW, NOW + DAY, &der, &len,
		    &err), CERTA_E_STORE);
		assert_null(der);
		assert_int_equal(len, 0);
		if (strstr(err.msg, bad[i].msg) == NULL)
			fail_msg("case %zu: message '%s'", i, err.msg);
		assert_int_equal(ERR_peek_error(), 0);
		/* Repair the row (rows[2] is serial 80). */
		snprintf(sql, sizeof(sql), "UPDATE certificate SET serial = "
		    "'80', reason = %d, revoked_at = %lld WHERE id = %lld",
		    rows[2].reason, (long long)rows[2].revoked_at,
		    (long long)rows[2].id);
		corrupt(f, sql);
	}
	ok(build(f, f->ca_id, NOW, NOW + DAY, &der, &len, &err), &err);
	crl = check_crl(f, der, len, rows, 30, NOW, NOW + DAY);
	X509_CRL_free(crl);
	free(der);
	free(rows);
}

/* RFC 5280 §5.1.2.4: GeneralizedTime from 2050 on, UTCTime before. */
static void
test_crl_times(void **state)
{
	struct fx		*f = *state;
	struct certa_err	 err = { 0 };
	struct row		 r[4];
	const int64_t		 y2049_end = 2524607999;	/* 2049-12-31 */
	const int64_t		 y2050 = 2524608000;
	uint8_t			*der = NULL;
	size_t			 len = 0;
	X509_CRL		*crl;
	X509_REVOKED		*rev;
	char			*hex;
	int			 i;

	memset(r, 0, sizeof(r));
	snprintf(r[0].serial, sizeof(r[0].serial), "a1");
	r[0].revoked_at = y2049_end;
	r[0].reason = 4;
	snprintf(r[1].serial, sizeof(r[1].serial), "a2");
	r[1].revoked_at = y2050 + 5;
	r[1].reason = 0;
	/* Before 1970: day arithmetic on negative times. */
	snprintf(r[2].serial, sizeof(r[2].serial), "a3");
	r[2].revoked_at = -1;			/* 1969-12-31T23:59:59Z */
	r[2].reason = 1;
	snprintf(r[3].serial, sizeof(r[3].serial), "a4");
	r[3].revoked_at = -631152000 + 3661;	/* 1950-01-01T01:01:01Z */
	r[3].reason = 1;
	for (i = 0; i < 4; i++)
		add_row(f, f->ca_id, &r[i]);
	ok(build(f, f->ca_id, y2049_end, y2050 + DAY, &der, &len, &err), &err);
	crl = check_crl(f, der, len, r, 4, y2049_end, y2050 + DAY);
	assert_int_equal(ASN1_STRING_type(X509_CRL_get0_lastUpdate(crl)),
	    V_ASN1_UTCTIME);
	assert_int_equal(ASN1_STRING_type(X509_CRL_get0_nextUpdate(crl)),
	    V_ASN1_GENERALIZEDTIME);
	for (i = 0; i < 4; i++) {
		rev = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), i);
		assert_non_null(hex = certa_serial_hex(
		    X509_REVOKED_get0_serialNumber(rev)));
		assert_int_equal(ASN1_STRING_type(
		    X509_REVOKED_get0_revocationDate(rev)),
		    strcmp(hex, "a2") != 0 ? V_ASN1_UTCTIME :
		    V_ASN1_GENERALIZEDTIME);
		free(hex);
	}
	X509_CRL_free(crl);
	free(der);
}

/* Enough entries for multi-octet lengths and several buffer growths. */
static void
test_crl_many(void **state)
{
	struct fx		*f = *state;
	struct certa_err	 err = { 0 };
	struct row		*rows;
	uint8_t			*der = NULL;
	size_t			 len = 0;
	const size_t		 n = 12000;

	rows = make_rows(f, n);
	ok(build(f, f->ca_id, NOW, NOW + DAY, &der, &len, &err), &err);
	assert_true(len > 256 * 1024);
	X509_CRL_free(check_crl(f, der, len, rows, n, NOW, NOW + DAY));
	free(der);
	free(rows);
}

/*
 * Fault injection (STYLE §11): the Nth libcrypto allocation fails.  Only
 * OpenSSL's allocations go through the hook (CRYPTO_set_mem_functions,
 * first thing in main); fail_at 0 means "off".
 */
static long	fail_at, alloc_count;
static bool	fault_fired;

static bool
fault_now(void)
{
	if (fail_at == 0 || ++alloc_count != fail_at)
		return false;
	fault_fired = true;
	return true;
}

static void *
fault_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return fault_now() ? NULL : malloc(n);
}

static void *
fault_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return fault_now() ? NULL : realloc(p, n);
}

static void
fault_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

static void
test_crl_alloc_faults(void **state)
{
	struct fx		*f = *state;
	struct certa_err	 err = { 0 };
	struct row		*rows;
	uint8_t			*der = NULL;
	size_t			 len = 0;
	long			 n, failures = 0;
	certa_rc		 rc;

	rows = make_rows(f, 25);
	/* Warm up OpenSSL's one-time initialisation first. */
	ok(build(f, f->ca_id, NOW, NOW + DAY, &der, &len, &err), &err);
	free(der);
	for (n = 1; n < 100000; n++) {
		certa_err_clear(&err);
		der = (uint8_t *)&len;
		len = 1;
		alloc_count = 0;
		fault_fired = false;
		fail_at = n;
		rc = build(f, f->ca_id, NOW, NOW + DAY, &der, &len, &err);
		fail_at = 0;
		ERR_clear_error();
		if (rc == CERTA_OK) {
			X509_CRL_free(check_crl(f, der, len, rows, 25, NOW,
			    NOW + DAY));
			free(der);
			if (!fault_fired)
				break;	/* every allocation has been failed */
			continue;	/* a failure OpenSSL recovered from */
		}
		failures++;
		assert_true(fault_fired);
		assert_null(der);
		assert_int_equal(len, 0);
	}
	assert_true(n < 100000);
	assert_true(failures > 10);
	print_message("%ld allocations, %ld failed builds\n", n - 1, failures);
	free(rows);
}

/* The openssl CLI as an independent judge. */
static void
test_crl_openssl_cli(void **state)
{
	struct fx		*f = *state;
	struct certa_err	 err = { 0 };
	struct row		*rows;
	uint8_t			*der = NULL;
	size_t			 len = 0, got = 0, i;
	char			 path[128], cmd[512], upper[41];
	char			*out, *s;
	FILE			*fp;
	BIO			*bio;

	rows = make_rows(f, 20);
	ok(build(f, f->ca_id, NOW, NOW + 7 * DAY, &der, &len, &err), &err);
	snprintf(path, sizeof(path), "%s/crl.der", f->dir);
	ok(certa_file_write(path, der, len, 0600, true, &err), &err);
	snprintf(path, sizeof(path), "%s/ca.pem", f->dir);
	assert_non_null(bio = BIO_new_file(path, "w"));
	assert_int_equal(PEM_write_bio_X509(bio, f->cert), 1);
	BIO_free(bio);

	snprintf(cmd, sizeof(cmd), "openssl crl -inform DER -in %s/crl.der "
	    "-noout -text -CAfile %s/ca.pem 2>&1", f->dir, f->dir);
	assert_non_null(fp = popen(cmd, "r"));
	assert_non_null(out = calloc(1, 1 << 20));
	while (got < (1 << 20) - 1 &&
	    (len = fread(out + got, 1, (1 << 20) - 1 - got, fp)) > 0)
		got += len;
	assert_int_equal(pclose(fp), 0);
	if (strstr(out, "verify OK") == NULL)
		fail_msg("openssl crl did not verify:\n%s", out);
	assert_non_null(strstr(out, "Version 2 (0x1)"));
	assert_non_null(strstr(out, "X509v3 CRL Number:"));
	assert_non_null(strstr(out, "X509v3 Authority Key Identifier:"));
	assert_non_null(strstr(out, "Key Compromise"));
	assert_non_null(strstr(out, "Cessation Of Operation"));
	assert_null(strstr(out, "Unspecified"));
	assert_null(strstr(out, "Remove From CRL"));
	for (i = 0; i < 20; i++) {
		if (rows[i].reason == CERTA_REASON_NONE || strlen(
		    rows[i].serial) % 2 == 1)
			continue;
		for (s = rows[i].serial; *s != '\0'; s++)
			upper[s - rows[i].serial] = (char)(*s >= 'a' ?
			    *s - 'a' + 'A' : *s);
		upper[s - rows[i].serial] = '\0';
		if (strstr(out, upper) == NULL)
			fail_msg("serial %s missing from:\n%s", upper, out);
	}
	free(out);
	free(der);
	free(rows);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crl_entries, setup_p256,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crl_entries,
		    setup_ed25519, teardown),
		cmocka_unit_test_setup_teardown(test_crl_entries, setup_rsa,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crl_empty, setup_p256,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crl_empty, setup_ed25519,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crl_two_cas, setup_p256,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crl_refusals, setup_p256,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crl_store_errors,
		    setup_p256, teardown),
		cmocka_unit_test_setup_teardown(test_crl_times, setup_p256,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crl_many, setup_p256,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crl_many, setup_ed25519,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crl_openssl_cli,
		    setup_p256, teardown),
		cmocka_unit_test_setup_teardown(test_crl_openssl_cli,
		    setup_rsa, teardown),
		cmocka_unit_test_setup_teardown(test_crl_alloc_faults,
		    setup_p256, teardown),
		cmocka_unit_test_setup_teardown(test_crl_alloc_faults,
		    setup_ed25519, teardown),
	};

	/* Before any libcrypto allocation. */
	if (!CRYPTO_set_mem_functions(fault_malloc, fault_realloc,
	    fault_free))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
