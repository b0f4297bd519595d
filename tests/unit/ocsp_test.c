/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the OCSP responder (include/certa/ocsp.h, src/ca/ocsp.c):
 * request parsing (malformed, several CertIDs, hash algorithms), status
 * per serial (good, revoked with time and reason, unknown), nonce echo,
 * the pre-signed cache and its replacement when a revocation made through
 * another handle on the store is polled.  Requests are made and responses
 * judged with OpenSSL's OCSP API (OCSP_basic_verify, OCSP_resp_find_status,
 * OCSP_check_nonce).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <certa/certa.h>
#include <certa/ocsp.h>
#include <certa/util.h>

/* STYLE §4: no call leaves entries on the OpenSSL error queue. */
#define TEST_AFTER_CALL(text) do {					\
	if (ERR_peek_error() != 0)					\
		fail_msg("%s left an OpenSSL error queued", (text));	\
} while (0)
#include "testutil.h"

#define PASS	"correct horse battery staple"

static char			 base[64], dir[128], passfile[128];
static struct certa_ctx		*ctx;
static struct certa_ocsp	*resp;
static X509			*issuer, *root;
static int64_t			 app_id;

static X509 *
x509_of(const uint8_t *der, size_t len)
{
	const unsigned char	*p = der;
	X509			*x = d2i_X509(NULL, &p, (long)len);

	assert_non_null(x);
	return x;
}

static X509 *
issue_leaf(const char *cn, struct certa_cert_rec *rec)
{
	struct certa_issue_req	 r;
	char			 subj[64];

	snprintf(subj, sizeof(subj), "CN=%s", cn);
	memset(&r, 0, sizeof(r));
	r.app_id = app_id;
	r.type = "transport";
	r.keygen = "ec:P-256";
	r.subject = subj;
	OK(certa_issue(ctx, &r, rec, &E));
	return x509_of(rec->der, rec->der_len);
}

/* DER of a request for the given CertIDs (ownership taken), nonce opt. */
static uint8_t *
make_req(OCSP_CERTID **ids, int n, bool nonce, OCSP_REQUEST **keep,
    size_t *len)
{
	OCSP_REQUEST	*req = OCSP_REQUEST_new();
	unsigned char	*der = NULL;
	int		 i, l;

	assert_non_null(req);
	for (i = 0; i < n; i++)
		assert_non_null(OCSP_request_add0_id(req, ids[i]));
	if (nonce)
		assert_int_equal(OCSP_request_add1_nonce(req, NULL, -1), 1);
	l = i2d_OCSP_REQUEST(req, &der);
	assert_true(l > 0);
	*len = (size_t)l;
	if (keep != NULL)
		*keep = req;
	else
		OCSP_REQUEST_free(req);
	return der;
}

/* Parse, verify against the chain, and return the basic response. */
static OCSP_BASICRESP *
verified(const struct certa_ocsp_answer *ans)
{
	const unsigned char	*p = ans->der;
	OCSP_RESPONSE		*r = d2i_OCSP_RESPONSE(NULL, &p, (long)ans->len);
	OCSP_BASICRESP		*bs;
	X509_STORE		*st = X509_STORE_new();
	STACK_OF(X509)		*none = sk_X509_new_null();

	assert_non_null(r);
	assert_int_equal(OCSP_response_status(r),
	    OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = OCSP_response_get1_basic(r);
	assert_non_null(bs);
	assert_int_equal(X509_STORE_add_cert(st, root), 1);
	assert_int_equal(X509_STORE_add_cert(st, issuer), 1);
	assert_int_equal(OCSP_basic_verify(bs, none, st, 0), 1);
	X509_STORE_free(st);
	sk_X509_free(none);
	OCSP_RESPONSE_free(r);
	return bs;
}

static int
status_of(OCSP_BASICRESP *bs, X509 *leaf, const EVP_MD *md, int *reason)
{
	OCSP_CERTID		*id = OCSP_cert_to_id(md, leaf, issuer);
	ASN1_GENERALIZEDTIME	*rev = NULL, *tu = NULL, *nu = NULL;
	int			 st = -1;

	*reason = -2;
	assert_int_equal(OCSP_resp_find_status(bs, id, &st, reason, &rev, &tu,
	    &nu), 1);
	assert_non_null(tu);
	assert_non_null(nu);
	assert_int_equal(OCSP_check_validity(tu, nu, 300, -1), 1);
	if (st == V_OCSP_CERTSTATUS_REVOKED)
		assert_non_null(rev);
	OCSP_CERTID_free(id);
	return st;
}

static void
ask(X509 *leaf, const EVP_MD *md, bool nonce, struct certa_ocsp_answer *ans,
    OCSP_REQUEST **keep)
{
	OCSP_CERTID	*id = OCSP_cert_to_id(md, leaf, issuer);
	uint8_t		*der;
	size_t		 len;

	der = make_req(&id, 1, nonce, keep, &len);
	OK(certa_ocsp_respond(resp, der, len, certa_now(), ans, &E));
	OPENSSL_free(der);
}

static void
test_good_and_cache(void **state)
{
	struct certa_cert_rec		 rec;
	struct certa_ocsp_answer	 a1, a2;
	OCSP_BASICRESP			*bs;
	X509				*leaf;
	uint8_t				*copy;
	int				 reason;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	leaf = issue_leaf("good", &rec);
	ask(leaf, EVP_sha1(), false, &a1, NULL);
	assert_int_equal(a1.kind, CERTA_OCSP_GOOD);
	assert_true(a1.cacheable);
	assert_false(a1.cached);
	assert_true(a1.etag[0] == '"');
	assert_true(a1.next_update > a1.this_update);
	bs = verified(&a1);
	assert_int_equal(status_of(bs, leaf, EVP_sha1(), &reason),
	    V_OCSP_CERTSTATUS_GOOD);
	OCSP_BASICRESP_free(bs);
	copy = malloc(a1.len);
	memcpy(copy, a1.der, a1.len);
	/* The second ask is served pre-signed: identical bytes. */
	ask(leaf, EVP_sha1(), false, &a2, NULL);
	assert_true(a2.cached);
	assert_int_equal(a2.len, a1.len);
	assert_memory_equal(a2.der, copy, a2.len);
	free(copy);
	/* SHA-256 CertIDs are matched too. */
	ask(leaf, EVP_sha256(), false, &a2, NULL);
	assert_int_equal(a2.kind, CERTA_OCSP_GOOD);
	bs = verified(&a2);
	assert_int_equal(status_of(bs, leaf, EVP_sha256(), &reason),
	    V_OCSP_CERTSTATUS_GOOD);
	OCSP_BASICRESP_free(bs);
	X509_free(leaf);
	certa_cert_rec_clear(&rec);
}

static void
test_nonce_echoed(void **state)
{
	struct certa_cert_rec		 rec;
	struct certa_ocsp_answer	 a;
	OCSP_REQUEST			*req = NULL;
	OCSP_BASICRESP			*bs;
	X509				*leaf;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	leaf = issue_leaf("nonce", &rec);
	ask(leaf, EVP_sha1(), true, &a, &req);
	assert_int_equal(a.kind, CERTA_OCSP_GOOD);
	assert_false(a.cacheable);
	bs = verified(&a);
	assert_int_equal(OCSP_check_nonce(req, bs), 1);
	OCSP_BASICRESP_free(bs);
	OCSP_REQUEST_free(req);
	X509_free(leaf);
	certa_cert_rec_clear(&rec);
}

static void
test_revocation_replaces_cache(void **state)
{
	struct certa_cert_rec		 rec;
	struct certa_ocsp_answer	 a;
	struct certa_ctx		*other = NULL;
	OCSP_BASICRESP			*bs;
	X509				*leaf;
	size_t				 nrev = 99;
	int				 reason;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	leaf = issue_leaf("revoke-me", &rec);
	OK(certa_ocsp_poll(resp, certa_now(), &nrev, &E));
	ask(leaf, EVP_sha1(), false, &a, NULL);
	assert_int_equal(a.kind, CERTA_OCSP_GOOD);
	ask(leaf, EVP_sha256(), false, &a, NULL);
	/* Revoked through another handle, as another process would. */
	OK(certa_open(dir, passfile, &other, &E));
	OK(certa_revoke(other, rec.id, 1, &E));
	certa_close(other);
	/* Before the poll the cache still answers good; after it, the
	 * entries are replaced (re-signed) at once. */
	ask(leaf, EVP_sha1(), false, &a, NULL);
	assert_int_equal(a.kind, CERTA_OCSP_GOOD);
	OK(certa_ocsp_poll(resp, certa_now(), &nrev, &E));
	assert_int_equal(nrev, 1);
	ask(leaf, EVP_sha1(), false, &a, NULL);
	assert_int_equal(a.kind, CERTA_OCSP_REVOKED);
	assert_true(a.cached);
	bs = verified(&a);
	assert_int_equal(status_of(bs, leaf, EVP_sha1(), &reason),
	    V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(reason, 1);	/* keyCompromise */
	OCSP_BASICRESP_free(bs);
	ask(leaf, EVP_sha256(), false, &a, NULL);
	assert_int_equal(a.kind, CERTA_OCSP_REVOKED);
	assert_true(a.cached);
	/* Nothing new: nothing seen. */
	OK(certa_ocsp_poll(resp, certa_now(), &nrev, &E));
	assert_int_equal(nrev, 0);
	X509_free(leaf);
	certa_cert_rec_clear(&rec);
}

static void
test_unknown(void **state)
{
	struct certa_ocsp_answer	 a;
	OCSP_CERTID			*id;
	ASN1_INTEGER			*serial = ASN1_INTEGER_new();
	OCSP_BASICRESP			*bs;
	uint8_t				*der;
	size_t				 len;
	int				 st, reason;
	ASN1_GENERALIZEDTIME		*rev, *tu, *nu;

	(void)state;
	/* Our issuer, a serial never issued. */
	assert_int_equal(ASN1_INTEGER_set(serial, 0x1234567), 1);
	id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer),
	    X509_get0_pubkey_bitstr(issuer), serial);
	der = make_req(&id, 1, false, NULL, &len);
	OK(certa_ocsp_respond(resp, der, len, certa_now(), &a, &E));
	OPENSSL_free(der);
	assert_int_equal(a.kind, CERTA_OCSP_UNKNOWN);
	assert_false(a.cacheable);	/* never cached: random serials */
	assert_false(a.cached);
	bs = verified(&a);
	id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer),
	    X509_get0_pubkey_bitstr(issuer), serial);
	assert_int_equal(OCSP_resp_find_status(bs, id, &st, &reason, &rev,
	    &tu, &nu), 1);
	assert_int_equal(st, V_OCSP_CERTSTATUS_UNKNOWN);
	OCSP_CERTID_free(id);
	OCSP_BASICRESP_free(bs);
	/* Another issuer (the root's name and key): unknown as well. */
	id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(root),
	    X509_get0_pubkey_bitstr(root), serial);
	der = make_req(&id, 1, false, NULL, &len);
	OK(certa_ocsp_respond(resp, der, len, certa_now(), &a, &E));
	OPENSSL_free(der);
	assert_int_equal(a.kind, CERTA_OCSP_UNKNOWN);
	assert_false(a.cacheable);
	ASN1_INTEGER_free(serial);
}

static void
test_several_ids(void **state)
{
	struct certa_cert_rec		 r1, r2;
	struct certa_ocsp_answer	 a;
	OCSP_CERTID			*ids[2];
	OCSP_BASICRESP			*bs;
	X509				*l1, *l2;
	uint8_t				*der;
	size_t				 len;
	int				 reason;

	(void)state;
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	l1 = issue_leaf("one", &r1);
	l2 = issue_leaf("two", &r2);
	OK(certa_revoke(ctx, r2.id, 4, &E));
	ids[0] = OCSP_cert_to_id(EVP_sha1(), l1, issuer);
	ids[1] = OCSP_cert_to_id(EVP_sha1(), l2, issuer);
	der = make_req(ids, 2, false, NULL, &len);
	OK(certa_ocsp_respond(resp, der, len, certa_now(), &a, &E));
	OPENSSL_free(der);
	assert_int_equal(a.kind, CERTA_OCSP_MIXED);
	bs = verified(&a);
	assert_int_equal(status_of(bs, l1, EVP_sha1(), &reason),
	    V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(status_of(bs, l2, EVP_sha1(), &reason),
	    V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(reason, 4);	/* superseded */
	OCSP_BASICRESP_free(bs);
	X509_free(l1);
	X509_free(l2);
	certa_cert_rec_clear(&r1);
	certa_cert_rec_clear(&r2);
}

static void
test_malformed(void **state)
{
	static const uint8_t	 want[] = { 0x30, 0x03, 0x0a, 0x01, 0x01 };
	static const uint8_t	 junk[] = { 0x30, 0x82, 0xff, 0xff, 0x00 };
	struct certa_ocsp_answer a;
	OCSP_CERTID		*id;
	X509			*leaf;
	struct certa_cert_rec	 rec;
	uint8_t			*der, *big;
	size_t			 len;

	(void)state;
	OK(certa_ocsp_respond(resp, junk, sizeof(junk), certa_now(), &a, &E));
	assert_int_equal(a.kind, CERTA_OCSP_MALFORMED);
	assert_int_equal(a.len, sizeof(want));
	assert_memory_equal(a.der, want, sizeof(want));
	OK(certa_ocsp_respond(resp, junk, 0, certa_now(), &a, &E));
	assert_int_equal(a.kind, CERTA_OCSP_MALFORMED);
	/* Trailing bytes after a valid request. */
	memset(&rec, 0, sizeof(rec));
	leaf = issue_leaf("trail", &rec);
	id = OCSP_cert_to_id(EVP_sha1(), leaf, issuer);
	der = make_req(&id, 1, false, NULL, &len);
	big = malloc(len + 1);
	memcpy(big, der, len);
	big[len] = 0;
	OK(certa_ocsp_respond(resp, big, len + 1, certa_now(), &a, &E));
	assert_int_equal(a.kind, CERTA_OCSP_MALFORMED);
	free(big);
	/* Over the size ceiling (CERTA_MAX_OCSP_REQ). */
	big = calloc(1, 16 * 1024 + 1);
	memcpy(big, der, len);
	OK(certa_ocsp_respond(resp, big, 16 * 1024 + 1, certa_now(), &a, &E));
	assert_int_equal(a.kind, CERTA_OCSP_MALFORMED);
	free(big);
	OPENSSL_free(der);
	X509_free(leaf);
	certa_cert_rec_clear(&rec);
	/* No request at all in the list. */
	der = make_req(NULL, 0, false, NULL, &len);
	OK(certa_ocsp_respond(resp, der, len, certa_now(), &a, &E));
	assert_int_equal(a.kind, CERTA_OCSP_MALFORMED);
	OPENSSL_free(der);
	assert_int_equal(ERR_peek_error(), 0);
}

static void
test_responder_renewed(void **state)
{
	struct certa_ocsp_opts		 o;
	struct certa_ocsp		*r2 = NULL;
	struct certa_ocsp_stats		 s1, s2;
	int64_t				 now = certa_now();

	(void)state;
	memset(&o, 0, sizeof(o));
	o.responder_validity = 600;
	o.validity = 60;
	OK(certa_ocsp_new(ctx, &o, &r2, &E));
	certa_ocsp_stats_get(r2, &s1);
	assert_true(s1.responder_not_after >= now + 599);
	/* Not yet: more than a third left. */
	OK(certa_ocsp_poll(r2, now + 300, NULL, &E));
	certa_ocsp_stats_get(r2, &s2);
	assert_int_equal(s2.responder_not_after, s1.responder_not_after);
	/* A third left: a new certificate. */
	OK(certa_ocsp_poll(r2, now + 401, NULL, &E));
	certa_ocsp_stats_get(r2, &s2);
	assert_true(s2.responder_not_after > s1.responder_not_after);
	certa_ocsp_free(r2);
	/* Refused: validities below the floors. */
	o.validity = 10;
	RC(certa_ocsp_new(ctx, &o, &r2, &E), CERTA_E_INVAL);
	assert_null(r2);
}

static void
test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(certa_ocsp_kind_name(CERTA_OCSP_GOOD), "good");
	assert_string_equal(certa_ocsp_kind_name(CERTA_OCSP_REVOKED),
	    "revoked");
	assert_string_equal(certa_ocsp_kind_name(CERTA_OCSP_KIND__COUNT), "?");
}

static int
group_setup(void **state)
{
	struct certa_init_opts	 o;
	struct certa_app_rec	 a;
	struct certa_org_rec	 org;
	uint8_t			*pem;
	size_t			 len;
	char			*created = NULL;
	FILE			*f;
	BIO			*bio;

	(void)state;
	certa_lib_init();
	snprintf(base, sizeof(base), "/tmp/certa-ocsp-XXXXXX");
	assert_non_null(mkdtemp(base));
	snprintf(dir, sizeof(dir), "%s/data", base);
	snprintf(passfile, sizeof(passfile), "%s/pass", base);
	f = fopen(passfile, "w");
	assert_non_null(f);
	fputs(PASS "\n", f);
	fclose(f);
	memset(&o, 0, sizeof(o));
	o.dir = dir;
	o.passphrase_file = passfile;
	o.actor = "test:init";
	OK(certa_init(&o, &created, &E));
	OK(certa_open(dir, passfile, &ctx, &E));
	certa_ctx_set_actor(ctx, "test:ocsp");
	OK(certa_org_create(ctx, "acme", &org, &E));
	OK(certa_app_create(ctx, "acme", "pay", &a, &E));
	app_id = a.id;
	certa_app_rec_clear(&a);
	certa_org_rec_clear(&org);
	OK(certa_ca_export(ctx, true, "pem", &pem, &len, &E));
	bio = BIO_new_mem_buf(pem, (int)len);
	issuer = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	root = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_non_null(issuer);
	assert_non_null(root);
	BIO_free(bio);
	free(pem);
	OK(certa_ocsp_new(ctx, NULL, &resp, &E));
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	certa_ocsp_free(resp);
	certa_close(ctx);
	X509_free(issuer);
	X509_free(root);
	rm_rf(base);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_and_cache),
		cmocka_unit_test(test_nonce_echoed),
		cmocka_unit_test(test_revocation_replaces_cache),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_several_ids),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_responder_renewed),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
