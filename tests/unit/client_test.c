/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of include/certa/client.h: usage-map parsing, selection of
 * the newest valid certificate with a server-generated key (rotation,
 * revocation), the context cache, "none", and the host checks that
 * certa_client_ssl_prepare sets.  No network: the handshake is e2e's
 * (tests/e2e/test_egress.py, against nginx).
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

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <certa/certa.h>
#include <certa/client.h>
#include <certa/store.h>
#include <certa/util.h>

#include "testutil.h"

#define PASS		"client test passphrase"

static char		 base[64];
static char		 passfile[128];
static char		 dir[128];
static struct certa_ctx	*ctx;

static int
group_setup(void **state)
{
	(void)state;
	return test_data_dir("client", PASS, base, passfile, dir, &ctx);
}

static int
group_teardown(void **state)
{
	(void)state;
	certa_close(ctx);
	rm_rf(base);
	return 0;
}

static certa_rc
client_of(const char *ep, const char *spec, struct certa_client **out)
{
	struct certa_client_opts	 o;
	const char			*eps[1] = { ep }, *sps[1] = { spec };

	memset(&o, 0, sizeof(o));
	o.endpoints = eps;
	o.specs = sps;
	o.n = 1;
	return certa_client_new(ctx, &o, out, &E);
}

static void
test_specs(void **state)
{
	static const struct {
		const char	*ep, *spec;
		certa_rc	 want;
	} rows[] = {
		{ "api.example.com:443", "app:acme/payments/transport",
		    CERTA_OK },
		{ "api.example.com:443", "app:payments/transport", CERTA_OK },
		{ "api.example.com:443", "p12:/etc/certa/mx1.p12:/etc/pw",
		    CERTA_OK },
		{ "api.example.com:443", "", CERTA_OK },
		{ "api.example.com:443", "none", CERTA_OK },
		{ "api.example.com:443", NULL, CERTA_OK },
		{ "[::1]:8443", "none", CERTA_OK },
		{ "api.example.com:443", "app:", CERTA_E_PARSE },
		{ "api.example.com:443", "app:payments", CERTA_E_PARSE },
		{ "api.example.com:443", "app:payments/", CERTA_E_PARSE },
		{ "api.example.com:443", "app:/transport", CERTA_E_PARSE },
		{ "api.example.com:443", "app:a//t", CERTA_E_PARSE },
		{ "api.example.com:443", "app:a/b/c/d", CERTA_E_PARSE },
		{ "api.example.com:443", "p12:file", CERTA_E_PARSE },
		{ "api.example.com:443", "p12:file:", CERTA_E_PARSE },
		{ "api.example.com:443", "pem:/x", CERTA_E_PARSE },
		{ "api.example.com", "none", CERTA_E_PARSE },
		{ "api.example.com:", "none", CERTA_E_PARSE },
		{ ":443", "none", CERTA_E_PARSE },
		{ "api.example.com:44x", "none", CERTA_E_PARSE },
		{ "api.example.com:123456", "none", CERTA_E_PARSE },
	};
	struct certa_client	*c;
	struct certa_client_opts o;
	const char		*eps[2] = { "a:1", "a:1" };
	const char		*sps[2] = { "none", "" };
	certa_rc		 rc;
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(rows); i++) {
		c = NULL;
		certa_err_clear(&E);
		rc = client_of(rows[i].ep, rows[i].spec, &c);
		if (rc != rows[i].want)
			BAD("%s = %s: %s, want %s (%s)", rows[i].ep,
			    rows[i].spec ? rows[i].spec : "(null)",
			    certa_rc_name(rc), certa_rc_name(rows[i].want),
			    E.msg);
		if ((rc == CERTA_OK) != (c != NULL))
			BAD("%s: out and rc disagree", rows[i].spec);
		certa_client_free(c);
	}
	memset(&o, 0, sizeof(o));
	o.endpoints = eps;
	o.specs = sps;
	o.n = 2;
	RC(certa_client_new(ctx, &o, &c, &E), CERTA_E_PARSE);
	assert_null(c);
	assert_non_null(strstr(E.msg, "twice"));
	TABLE_DONE();
}

static int64_t
issue(int64_t app_id, const char *cn)
{
	struct certa_issue_req	 r;
	struct certa_cert_rec	 rec;
	int64_t			 id;

	memset(&r, 0, sizeof(r));
	r.app_id = app_id;
	r.type = "transport";
	r.keygen = "ec:P-256";
	r.subject = cn;
	OK(certa_issue(ctx, &r, &rec, &E));
	id = rec.id;
	certa_cert_rec_clear(&rec);
	return id;
}

/* The CN of the context's certificate, or "" when it has none. */
static const char *
cn_of(SSL_CTX *s)
{
	static char	 cn[64];
	X509		*x = SSL_CTX_get0_certificate(s);

	cn[0] = '\0';
	if (x != NULL)
		X509_NAME_get_text_by_NID(X509_get_subject_name(x),
		    NID_commonName, cn, sizeof(cn));
	return cn;
}

static void
test_select_rotate(void **state)
{
	struct certa_org_rec	 org;
	struct certa_app_rec	 app;
	struct certa_client	*c = NULL, *c2 = NULL;
	SSL_CTX			*s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL;
	int64_t			 id2;

	(void)state;
	OK(certa_org_create(ctx, "sel-org", &org, &E));
	OK(certa_app_create(ctx, "sel-org", "sel-app", &app, &E));
	OK(client_of("api.example.com:443", "app:sel-org/sel-app/transport",
	    &c));
	RC(certa_client_ssl_ctx(c, "api.example.com:443", &s1, &E),
	    CERTA_E_NOTFOUND);
	assert_null(s1);

	(void)issue(app.id, "CN=first");
	OK(certa_client_ssl_ctx(c, "api.example.com:443", &s1, &E));
	assert_string_equal(cn_of(s1), "first");
	assert_non_null(SSL_CTX_get0_privatekey(s1));
	/* Unchanged: the cached context again. */
	OK(certa_client_ssl_ctx(c, "api.example.com:443", &s2, &E));
	assert_ptr_equal(s1, s2);
	SSL_CTX_free(s2);

	/* Rotation: the newest one, in a new context; s1 stays usable. */
	id2 = issue(app.id, "CN=second");
	OK(certa_client_ssl_ctx(c, "api.example.com:443", &s2, &E));
	assert_ptr_not_equal(s1, s2);
	assert_string_equal(cn_of(s2), "second");
	assert_string_equal(cn_of(s1), "first");

	/* Revoked: back to the older valid one. */
	OK(certa_revoke(ctx, id2, 4, &E));
	OK(certa_client_ssl_ctx(c, "api.example.com:443", &s3, &E));
	assert_string_equal(cn_of(s3), "first");

	/* Not in the map: no certificate, none sent when asked. */
	OK(certa_client_ssl_ctx(c, "other.example.com:443", &s4, &E));
	assert_string_equal(cn_of(s4), "");
	assert_non_null(SSL_CTX_get_client_cert_cb(s4));

	/* APP/TYPE when the application name is unique. */
	OK(client_of("b:1", "app:sel-app/transport", &c2));
	SSL_CTX_free(s2);
	OK(certa_client_ssl_ctx(c2, "b:1", &s2, &E));
	assert_string_equal(cn_of(s2), "first");
	assert_int_equal(SSL_CTX_get_verify_mode(s2), SSL_VERIFY_PEER);
	assert_int_equal(SSL_CTX_get_min_proto_version(s2), TLS1_2_VERSION);

	SSL_CTX_free(s1);
	SSL_CTX_free(s2);
	SSL_CTX_free(s3);
	SSL_CTX_free(s4);
	certa_client_free(c);
	certa_client_free(c2);
	certa_org_rec_clear(&org);
	certa_app_rec_clear(&app);
}

static void
test_p12_errors(void **state)
{
	struct certa_client	*c = NULL;
	SSL_CTX			*s = NULL;
	char			 spec[300];

	(void)state;
	snprintf(spec, sizeof(spec), "p12:%s/missing.p12:%s", base, passfile);
	OK(client_of("p:1", spec, &c));
	RC(certa_client_ssl_ctx(c, "p:1", &s, &E), CERTA_E_IO);
	assert_null(s);
	certa_client_free(c);
	/* Not a PKCS#12: the passphrase file itself. */
	snprintf(spec, sizeof(spec), "p12:%s:%s", passfile, passfile);
	OK(client_of("p:1", spec, &c));
	RC(certa_client_ssl_ctx(c, "p:1", &s, &E), CERTA_E_PARSE);
	assert_null(s);
	certa_client_free(c);
}

static void
test_prepare(void **state)
{
	struct certa_client	*c = NULL;
	SSL_CTX			*s = NULL;
	SSL			*ssl;

	(void)state;
	OK(client_of("a:1", "none", &c));
	OK(certa_client_ssl_ctx(c, "a:1", &s, &E));
	assert_non_null(ssl = SSL_new(s));
	OK(certa_client_ssl_prepare(ssl, "api.example.com:443", &E));
	assert_string_equal(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name),
	    "api.example.com");
	assert_string_equal(SSL_get0_peername(ssl) != NULL ? "x" : "",
	    "");	/* set only after a verified handshake */
	SSL_free(ssl);
	assert_non_null(ssl = SSL_new(s));
	OK(certa_client_ssl_prepare(ssl, "127.0.0.1:443", &E));
	assert_null(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name));
	SSL_free(ssl);
	assert_non_null(ssl = SSL_new(s));
	OK(certa_client_ssl_prepare(ssl, "[::1]:443", &E));
	assert_null(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name));
	RC(certa_client_ssl_prepare(ssl, "nohost", &E), CERTA_E_PARSE);
	SSL_free(ssl);
	SSL_CTX_free(s);
	certa_client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_specs),
		T(test_select_rotate),
		T(test_p12_errors),
		T(test_prepare),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
