/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Conformance test of the store interface (include/certa/store.h).  Every
 * backend must pass it: the store is named by $CERTA_TEST_STORE_DSN, by
 * default a fresh SQLite file in a mkdtemp directory.  Only the public
 * interface is used, and names and serials carry a per-run tag, so the
 * suite also runs against a shared, non-empty store (PostgreSQL).
 *
 * The exceptions are the test_sqlite_* functions: they run only when the
 * store is SQLite and use sqlite3.h for what no interface call can do (a
 * file with a newer schema version, a lock held by another process); and
 * the test_postgres_* ones, which run only on PostgreSQL and use libpq to
 * cut the store's connections (reconnection, a transaction lost).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#include <sqlite3.h>		/* test_sqlite_* only */
#include <libpq-fe.h>		/* test_postgres_* only */

#include <certa/store.h>
#include "testutil.h"

static char		 tmpdir[64];
static char		 dsn[1024];
static char		 tag[32];	/* per run: hex, unique names */
static bool		 is_sqlite;
static bool		 is_postgres;
static int64_t		 now;


/* "base-TAG" into a static ring of buffers (a few live at once). */
static const char *
nm(const char *base)
{
	static char	 ring[16][96];
	static int	 i;
	char		*p = ring[i++ % 16];

	snprintf(p, sizeof(ring[0]), "%s-%s", base, tag);
	return p;
}

static int
group_teardown(void **state)
{
	DIR		*d;
	struct dirent	*e;
	char		 p[1200];

	(void)state;
	if ((d = opendir(tmpdir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(tmpdir);
	return 0;
}

static int
group_setup(void **state)
{
	const char		*env = getenv("CERTA_TEST_STORE_DSN");
	struct certa_store	*s = NULL;
	struct certa_err	 err;

	(void)state;
	certa_err_clear(&err);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/certa-store-test-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	if (env != NULL && *env != '\0')
		snprintf(dsn, sizeof(dsn), "%s", env);
	else
		snprintf(dsn, sizeof(dsn), "sqlite:%s/store.db", tmpdir);
	if (certa_store_open(&s, dsn, &err) != CERTA_OK) {
		fprintf(stderr, "open %s: %s\n", dsn, err.msg);
		(void)group_teardown(state);
		return -1;
	}
	is_sqlite = strcmp(certa_store_backend(s), "sqlite") == 0;
	is_postgres = strcmp(certa_store_backend(s), "postgres") == 0;
	certa_store_close(s);
	now = (int64_t)time(NULL);
	snprintf(tag, sizeof(tag), "%08llx%06x", (unsigned long long)now &
	    0xffffffffULL, (unsigned)getpid() & 0xffffff);
	return 0;
}

static int
setup(void **state)
{
	struct certa_store	*s = NULL;

	certa_err_clear(&E);
	if (certa_store_open(&s, dsn, &E) != CERTA_OK) {
		fprintf(stderr, "open %s: %s\n", dsn, E.msg);
		return -1;
	}
	*state = s;
	return 0;
}

static int
teardown(void **state)
{
	certa_store_close(*state);
	return 0;
}

/* Fixtures. */

static const uint8_t	 fake_der[] = { 0x30, 0x82, 0x01, 0x0a, 0x00, 0xff,
    0x02, 0x01, 0x00 };

static int64_t
mk_org(struct certa_store *s, const char *name)
{
	struct certa_org_rec	 o = { .name = (char *)(uintptr_t)name };

	OK(certa_store_org_put(s, &o, &E));
	assert_true(o.id > 0);
	return o.id;
}

static int64_t
mk_app(struct certa_store *s, int64_t org_id, const char *name)
{
	struct certa_app_rec	 a = { .org_id = org_id,
	    .name = (char *)(uintptr_t)name };

	OK(certa_store_app_put(s, &a, &E));
	assert_true(a.id > 0);
	return a.id;
}

static int64_t
mk_ca(struct certa_store *s, const char *name, const char *role,
    int64_t parent, const char *status, int64_t created_at)
{
	struct certa_ca_rec	 c = {
		.name = (char *)(uintptr_t)name,
		.role = (char *)(uintptr_t)role,
		.parent_id = parent,
		.status = (char *)(uintptr_t)status,
		.cert_der = (uint8_t *)(uintptr_t)fake_der,
		.cert_der_len = sizeof(fake_der),
		.key_pem = (char *)(uintptr_t)"-----BEGIN ENCRYPTED PRIVATE "
		    "KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
		.created_at = created_at,
	};

	OK(certa_store_ca_put(s, &c, &E));
	assert_true(c.id > 0);
	return c.id;
}

static void
fill_cert(struct certa_cert_rec *r, int64_t ca_id, int64_t app_id,
    const char *serial, const char *type, int64_t not_after)
{
	memset(r, 0, sizeof(*r));
	r->ca_id = ca_id;
	r->app_id = app_id;
	r->serial = (char *)(uintptr_t)serial;
	r->type = (char *)(uintptr_t)type;
	r->profile = (char *)(uintptr_t)"client";
	r->subject = (char *)(uintptr_t)"CN=client,O=acme";
	r->sans = (char *)(uintptr_t)"DNS:client.example, URI:spiffe://x/y";
	r->key_alg = (char *)(uintptr_t)"ec:P-256";
	r->not_before = now - 60;
	r->not_after = not_after;
}

/* Reserve and finish one certificate; returns its id. */
static int64_t
mk_cert(struct certa_store *s, int64_t ca_id, int64_t app_id,
    const char *serial, const char *type, int64_t not_after)
{
	struct certa_cert_rec	 r;

	fill_cert(&r, ca_id, app_id, serial, type, not_after);
	OK(certa_store_cert_reserve(s, &r, &E));
	assert_true(r.id > 0);
	OK(certa_store_cert_finish(s, r.id, fake_der, sizeof(fake_der),
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	    &E));
	return r.id;
}

/*
 * Iterator helpers.  A shared store may hold many rows of earlier runs, so
 * only ids >= min_id are kept (ids grow); order is checked over all rows.
 */
struct collect {
	int64_t		 ids[64];	/* kept ids, in walk order */
	size_t		 kept;
	size_t		 n;		/* rows seen */
	size_t		 stop_at;	/* fail with INTERNAL at row n; 0 never */
	int64_t		 min_id;
	int64_t		 last;
	bool		 unordered;
};

static certa_rc
note(struct collect *c, int64_t id)
{
	if (c->n > 0 && id <= c->last)
		c->unordered = true;
	c->last = id;
	c->n++;
	if (id >= c->min_id) {
		assert_true(c->kept < 64);
		c->ids[c->kept++] = id;
	}
	return c->stop_at != 0 && c->n >= c->stop_at ? CERTA_E_INTERNAL :
	    CERTA_OK;
}

static certa_rc
collect_org(const struct certa_org_rec *r, void *arg)
{
	assert_non_null(r->name);
	return note(arg, r->id);
}

static certa_rc
collect_app(const struct certa_app_rec *r, void *arg)
{
	assert_non_null(r->name);
	assert_non_null(r->org_name);
	return note(arg, r->id);
}

static certa_rc
collect_ca(const struct certa_ca_rec *r, void *arg)
{
	assert_non_null(r->name);
	assert_non_null(r->cert_der);
	return note(arg, r->id);
}

static certa_rc
collect_cert(const struct certa_cert_rec *r, void *arg)
{
	assert_non_null(r->der);
	assert_int_equal(r->der_len, sizeof(fake_der));
	assert_non_null(r->serial);
	return note(arg, r->id);
}

static bool
has(const struct collect *c, int64_t id)
{
	size_t	 i;

	for (i = 0; i < c->kept; i++)
		if (c->ids[i] == id)
			return true;
	return false;
}

static void
assert_ascending(const struct collect *c)
{
	assert_false(c->unordered);
}

/* Tests. */

static void
test_open_reopen(void **state)
{
	struct certa_store	*s = NULL, *s2 = NULL;
	int			 v;

	(void)state;
	OK(certa_store_open(&s, dsn, &E));
	v = certa_store_schema_version(s);
	assert_true(v >= 1);
	assert_non_null(certa_store_backend(s));
	if (is_sqlite)
		assert_string_equal(certa_store_backend(s), "sqlite");
	/* A second handle at the same time: migrations are idempotent. */
	OK(certa_store_open(&s2, dsn, &E));
	assert_int_equal(certa_store_schema_version(s2), v);
	certa_store_close(s2);
	certa_store_close(s);
	s = NULL;
	OK(certa_store_open(&s, dsn, &E));
	assert_int_equal(certa_store_schema_version(s), v);
	certa_store_close(s);
	certa_store_close(NULL);

	s = (struct certa_store *)(uintptr_t)1;	/* must be reset to NULL */
	RC(certa_store_open(&s, "nosuchbackend://x/y", &E), CERTA_E_STORE);
	assert_null(s);
	assert_true(E.msg[0] != '\0');
	RC(certa_store_open(&s, "", &E), CERTA_E_STORE);
	assert_null(s);
}

static void
test_meta(void **state)
{
	struct certa_store	*s = *state;
	const char		*key = nm("test.key");
	char			*v = NULL;

	RC(certa_store_meta_get(s, key, &v, &E), CERTA_E_NOTFOUND);
	assert_null(v);
	OK(certa_store_meta_set(s, key, "one", &E));
	OK(certa_store_meta_get(s, key, &v, &E));
	assert_string_equal(v, "one");
	free(v);
	OK(certa_store_meta_set(s, key, "two", &E));
	OK(certa_store_meta_get(s, key, &v, &E));
	assert_string_equal(v, "two");
	free(v);
	v = NULL;
	RC(certa_store_meta_get(s, nm("test.other"), &v, &E),
	    CERTA_E_NOTFOUND);
	assert_null(v);
}

static void
test_org(void **state)
{
	struct certa_store	*s = *state;
	const char		*acme = nm("acme"), *beta = nm("beta");
	struct certa_org_rec	 dup = { .name = (char *)(uintptr_t)acme };
	struct certa_org_rec	 got;
	struct collect		 c = { .n = 0 };
	int64_t			 a, b;

	a = mk_org(s, acme);
	b = mk_org(s, beta);
	c.min_id = a;
	assert_true(b > a);
	RC(certa_store_org_put(s, &dup, &E), CERTA_E_CONFLICT);
	assert_non_null(strstr(E.msg, acme));

	OK(certa_store_org_get(s, a, NULL, &got, &E));
	assert_int_equal(got.id, a);
	assert_string_equal(got.name, acme);
	assert_true(got.created_at > 0);
	certa_org_rec_clear(&got);
	OK(certa_store_org_get(s, 0, beta, &got, &E));
	assert_int_equal(got.id, b);
	assert_string_equal(got.name, beta);
	certa_org_rec_clear(&got);
	assert_null(got.name);
	certa_org_rec_clear(NULL);

	RC(certa_store_org_get(s, b + 1000000, NULL, &got, &E),
	    CERTA_E_NOTFOUND);
	assert_null(got.name);
	RC(certa_store_org_get(s, a, nm("nosuch"), &got, &E),
	    CERTA_E_NOTFOUND);
	assert_null(got.name);

	OK(certa_store_org_each(s, collect_org, &c, &E));
	assert_true(has(&c, a) && has(&c, b));
	assert_ascending(&c);
	/* A callback's error stops the walk and is returned. */
	memset(&c, 0, sizeof(c));
	c.min_id = a;
	c.stop_at = 1;
	RC(certa_store_org_each(s, collect_org, &c, &E), CERTA_E_INTERNAL);
	assert_int_equal(c.n, 1);
}

static void
test_app(void **state)
{
	struct certa_store	*s = *state;
	const char		*on_a = nm("org-a"), *on_b = nm("org-b");
	const char		*web = nm("web"), *api = nm("api");
	struct certa_app_rec	 dup, got;
	struct collect		 c = { .n = 0 };
	int64_t			 oa, ob, wa, wb, aa;

	oa = mk_org(s, on_a);
	ob = mk_org(s, on_b);
	wa = mk_app(s, oa, web);
	memset(&dup, 0, sizeof(dup));
	dup.org_id = oa;
	dup.name = (char *)(uintptr_t)web;
	RC(certa_store_app_put(s, &dup, &E), CERTA_E_CONFLICT);
	assert_non_null(strstr(E.msg, web));
	wb = mk_app(s, ob, web);	/* same name, other org: fine */
	aa = mk_app(s, oa, api);
	assert_true(wa != wb);
	dup.org_id = ob + 1000000;
	dup.name = (char *)(uintptr_t)nm("orphan");
	NOT_OK(certa_store_app_put(s, &dup, &E));

	RC(certa_store_app_find(s, NULL, web, &got, &E), CERTA_E_CONFLICT);
	assert_null(got.name);
	OK(certa_store_app_find(s, on_b, web, &got, &E));
	assert_int_equal(got.id, wb);
	assert_int_equal(got.org_id, ob);
	assert_string_equal(got.name, web);
	assert_string_equal(got.org_name, on_b);
	certa_app_rec_clear(&got);
	OK(certa_store_app_find(s, NULL, api, &got, &E));
	assert_int_equal(got.id, aa);
	assert_string_equal(got.org_name, on_a);
	certa_app_rec_clear(&got);
	RC(certa_store_app_find(s, on_b, api, &got, &E), CERTA_E_NOTFOUND);
	RC(certa_store_app_find(s, NULL, nm("nosuch"), &got, &E),
	    CERTA_E_NOTFOUND);
	RC(certa_store_app_find(s, nm("nosuch"), web, &got, &E),
	    CERTA_E_NOTFOUND);

	OK(certa_store_app_get(s, wa, &got, &E));
	assert_int_equal(got.org_id, oa);
	assert_string_equal(got.name, web);
	assert_string_equal(got.org_name, on_a);
	assert_true(got.created_at > 0);
	certa_app_rec_clear(&got);
	RC(certa_store_app_get(s, aa + 1000000, &got, &E), CERTA_E_NOTFOUND);
	assert_null(got.name);

	OK(certa_store_app_each(s, oa, collect_app, &c, &E));
	assert_int_equal(c.n, 2);
	assert_int_equal(c.ids[0], wa);
	assert_int_equal(c.ids[1], aa);
	memset(&c, 0, sizeof(c));
	c.min_id = wa;
	OK(certa_store_app_each(s, 0, collect_app, &c, &E));
	assert_true(has(&c, wa) && has(&c, wb) && has(&c, aa));
	assert_ascending(&c);
	memset(&c, 0, sizeof(c));
	OK(certa_store_app_each(s, ob + 1000000, collect_app, &c, &E));
	assert_int_equal(c.n, 0);
	c.stop_at = 1;
	RC(certa_store_app_each(s, oa, collect_app, &c, &E),
	    CERTA_E_INTERNAL);
	assert_int_equal(c.n, 1);
}

static void
test_ca(void **state)
{
	struct certa_store	*s = *state;
	struct certa_ca_rec	 dup, got;
	struct collect		 c = { .n = 0 };
	int64_t			 root, iss1, iss2, n;

	root = mk_ca(s, nm("root"), "root", 0, "active", now);
	/* Future creation times: newest active among any other runs' CAs. */
	iss1 = mk_ca(s, nm("issuing1"), "issuing", root, "active", now + 1000);
	iss2 = mk_ca(s, nm("issuing2"), "issuing", root, "retired",
	    now + 2000);
	memset(&dup, 0, sizeof(dup));
	dup.name = (char *)(uintptr_t)nm("root");
	dup.role = (char *)(uintptr_t)"root";
	dup.cert_der = (uint8_t *)(uintptr_t)fake_der;
	dup.cert_der_len = sizeof(fake_der);
	RC(certa_store_ca_put(s, &dup, &E), CERTA_E_CONFLICT);
	assert_non_null(strstr(E.msg, nm("root")));
	dup.name = (char *)(uintptr_t)nm("bogus");
	dup.role = (char *)(uintptr_t)"bogus";
	NOT_OK(certa_store_ca_put(s, &dup, &E));

	OK(certa_store_ca_get(s, root, &got, &E));
	assert_int_equal(got.id, root);
	assert_string_equal(got.name, nm("root"));
	assert_string_equal(got.role, "root");
	assert_string_equal(got.status, "active");
	assert_int_equal(got.parent_id, 0);
	assert_int_equal(got.cert_der_len, sizeof(fake_der));
	assert_memory_equal(got.cert_der, fake_der, sizeof(fake_der));
	assert_non_null(strstr(got.key_pem, "ENCRYPTED PRIVATE KEY"));
	assert_int_equal(got.crl_number, 0);
	assert_int_equal(got.created_at, now);
	certa_ca_rec_clear(&got);
	assert_null(got.cert_der);
	OK(certa_store_ca_get(s, iss2, &got, &E));
	assert_int_equal(got.parent_id, root);
	assert_string_equal(got.status, "retired");
	certa_ca_rec_clear(&got);
	RC(certa_store_ca_get(s, iss2 + 1000000, &got, &E), CERTA_E_NOTFOUND);
	assert_null(got.name);

	OK(certa_store_ca_get_active(s, "issuing", &got, &E));
	assert_int_equal(got.id, iss1);	/* iss2 is newer but retired */
	certa_ca_rec_clear(&got);
	RC(certa_store_ca_get_active(s, "nosuchrole", &got, &E),
	    CERTA_E_NOTFOUND);

	c.min_id = root;
	OK(certa_store_ca_each(s, collect_ca, &c, &E));
	assert_true(has(&c, root) && has(&c, iss1) && has(&c, iss2));
	assert_ascending(&c);

	/* RFC 5280 §5.2.3: monotonically increasing, per CA. */
	OK(certa_store_ca_next_crl_number(s, iss1, &n, &E));
	assert_int_equal(n, 1);
	OK(certa_store_ca_next_crl_number(s, iss1, &n, &E));
	assert_int_equal(n, 2);
	OK(certa_store_ca_next_crl_number(s, root, &n, &E));
	assert_int_equal(n, 1);
	OK(certa_store_ca_next_crl_number(s, iss1, &n, &E));
	assert_int_equal(n, 3);
	OK(certa_store_ca_get(s, iss1, &got, &E));
	assert_int_equal(got.crl_number, 3);
	certa_ca_rec_clear(&got);
	RC(certa_store_ca_next_crl_number(s, iss2 + 1000000, &n, &E),
	    CERTA_E_NOTFOUND);
}

static void
test_cert(void **state)
{
	struct certa_store	*s = *state;
	struct certa_cert_rec	 r, dup, got;
	struct collect		 c = { .n = 0 };
	struct certa_cert_filter f = { .status = -1 };
	char			 serial[64], upper[80], other[64];
	const char		*fp = "aa112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff";
	int64_t			 ca1, ca2, app, id;
	size_t			 i;

	ca1 = mk_ca(s, nm("cert-ca1"), "issuing", 0, "active", now);
	ca2 = mk_ca(s, nm("cert-ca2"), "issuing", 0, "active", now);
	app = mk_app(s, mk_org(s, nm("cert-org")), nm("cert-app"));
	snprintf(serial, sizeof(serial), "1a2b%s", tag);
	snprintf(other, sizeof(other), "3c4d%s", tag);

	fill_cert(&r, ca1, app, serial, "transport", now + 86400);
	r.key_pem = (char *)(uintptr_t)"-----BEGIN ENCRYPTED PRIVATE KEY-----";
	OK(certa_store_cert_reserve(s, &r, &E));
	assert_true(r.id > 0);
	id = r.id;
	fill_cert(&dup, ca1, app, serial, "transport", now + 86400);
	RC(certa_store_cert_reserve(s, &dup, &E), CERTA_E_CONFLICT);
	assert_non_null(strstr(E.msg, serial));
	/* Unique per CA only. */
	fill_cert(&dup, ca2, 0, other, "signing", now + 86400);
	OK(certa_store_cert_reserve(s, &dup, &E));
	fill_cert(&dup, ca1, 0, other, "signing", now + 86400);
	OK(certa_store_cert_reserve(s, &dup, &E));

	/* Reserved: readable by id, but not listed. */
	OK(certa_store_cert_get(s, id, &got, &E));
	assert_null(got.der);
	assert_int_equal(got.der_len, 0);
	assert_null(got.fingerprint);
	certa_cert_rec_clear(&got);
	f.ca_id = ca1;
	OK(certa_store_cert_each(s, &f, collect_cert, &c, &E));
	assert_int_equal(c.n, 0);

	OK(certa_store_cert_finish(s, id, fake_der, sizeof(fake_der), fp, &E));
	NOT_OK(certa_store_cert_finish(s, id, fake_der, sizeof(fake_der), fp,
	    &E));
	RC(certa_store_cert_finish(s, dup.id + 1000000, fake_der,
	    sizeof(fake_der), fp, &E), CERTA_E_NOTFOUND);
	OK(certa_store_cert_each(s, &f, collect_cert, &c, &E));
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ids[0], id);

	OK(certa_store_cert_get(s, id, &got, &E));
	assert_int_equal(got.id, id);
	assert_int_equal(got.ca_id, ca1);
	assert_int_equal(got.app_id, app);
	assert_string_equal(got.serial, serial);
	assert_string_equal(got.type, "transport");
	assert_string_equal(got.profile, "client");
	assert_string_equal(got.subject, "CN=client,O=acme");
	assert_string_equal(got.sans, "DNS:client.example, URI:spiffe://x/y");
	assert_string_equal(got.key_alg, "ec:P-256");
	assert_int_equal(got.not_before, now - 60);
	assert_int_equal(got.not_after, now + 86400);
	assert_int_equal(got.status, CERTA_CERT_VALID);
	assert_int_equal(got.revoked_at, 0);
	assert_int_equal(got.reason, CERTA_REASON_NONE);
	assert_int_equal(got.predecessor_id, 0);
	assert_string_equal(got.fingerprint, fp);
	assert_int_equal(got.der_len, sizeof(fake_der));
	assert_memory_equal(got.der, fake_der, sizeof(fake_der));
	assert_string_equal(got.key_pem,
	    "-----BEGIN ENCRYPTED PRIVATE KEY-----");
	assert_true(got.created_at > 0);
	certa_cert_rec_clear(&got);
	assert_null(got.serial);
	certa_cert_rec_clear(NULL);
	RC(certa_store_cert_get(s, dup.id + 1000000, &got, &E),
	    CERTA_E_NOTFOUND);
	assert_null(got.serial);

	/* A renewal links to its predecessor. */
	snprintf(upper, sizeof(upper), "5e%s", tag);
	fill_cert(&dup, ca1, app, upper, "transport", now + 86400);
	dup.predecessor_id = id;
	OK(certa_store_cert_reserve(s, &dup, &E));
	OK(certa_store_cert_get(s, dup.id, &got, &E));
	assert_int_equal(got.predecessor_id, id);
	certa_cert_rec_clear(&got);

	/* By serial: any case, leading zeros ignored. */
	snprintf(upper, sizeof(upper), "000%s", serial);
	for (i = 0; upper[i] != '\0'; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	OK(certa_store_cert_get_serial(s, upper, &got, &E));
	assert_int_equal(got.id, id);
	assert_string_equal(got.serial, serial);
	certa_cert_rec_clear(&got);
	OK(certa_store_cert_get_serial(s, serial, &got, &E));
	assert_int_equal(got.id, id);
	certa_cert_rec_clear(&got);
	RC(certa_store_cert_get_serial(s, "12xz", &got, &E), CERTA_E_PARSE);
	RC(certa_store_cert_get_serial(s, "", &got, &E), CERTA_E_PARSE);
	RC(certa_store_cert_get_serial(s, "0x1a", &got, &E), CERTA_E_PARSE);
	snprintf(upper, sizeof(upper), "7f%s", tag);
	RC(certa_store_cert_get_serial(s, upper, &got, &E), CERTA_E_NOTFOUND);
	assert_null(got.serial);
}

struct each_case {
	const char		*what;
	struct certa_cert_filter f;	/* ca_id/app_id set below */
	int			 app;		/* 1: app1, 2: app2 */
	const char		*want;		/* indexes, e.g. "0,3,6" */
};

static void
test_cert_each(void **state)
{
	struct certa_store	*s = *state;
	const int64_t		 base = now + 10 * 86400;
	const struct each_case	 cases[] = {
		{ "all", { .status = -1 }, 0, "0,1,2,3,4,5,6,7,8,9" },
		{ "app1", { .status = -1 }, 1, "1,3,5,7,9" },
		{ "app2", { .status = -1 }, 2, "0,2,4,6,8" },
		{ "type", { .status = -1, .type = "signing" }, 0, "0,3,6,9" },
		{ "type none", { .status = -1, .type = "nosuch" }, 0, "" },
		{ "valid", { .status = CERTA_CERT_VALID }, 0,
		    "0,1,2,3,5,6,7,8,9" },
		{ "revoked", { .status = CERTA_CERT_REVOKED }, 0, "4" },
		{ "min", { .status = -1, .not_after_min = base + 300 }, 0,
		    "3,4,5,6,7,8,9" },
		{ "max", { .status = -1, .not_after_max = base + 300 }, 0,
		    "0,1,2" },
		{ "window", { .status = -1, .not_after_min = base + 200,
		    .not_after_max = base + 500 }, 0, "2,3,4" },
		{ "app1 transport", { .status = -1, .type = "transport" }, 1,
		    "1,5,7" },
		{ "app2 valid", { .status = CERTA_CERT_VALID }, 2,
		    "0,2,6,8" },
		{ "limit", { .status = -1, .limit = 2 }, 0, "0,1" },
		{ "app1 limit", { .status = -1, .limit = 2 }, 1, "1,3" },
	};
	struct certa_cert_filter f;
	struct collect		 c;
	struct certa_cert_rec	 r;
	char			 serial[64];
	int64_t			 ca, ca_other, app1, app2, org, ids[10];
	size_t			 i, k, total;

	ca = mk_ca(s, nm("each-ca"), "issuing", 0, "active", now);
	ca_other = mk_ca(s, nm("each-ca2"), "issuing", 0, "active", now);
	org = mk_org(s, nm("each-org"));
	app1 = mk_app(s, org, nm("each-app1"));
	app2 = mk_app(s, org, nm("each-app2"));
	OK(certa_store_begin(s, &E));
	for (i = 0; i < 10; i++) {
		snprintf(serial, sizeof(serial), "e%zu%s", i, tag);
		ids[i] = mk_cert(s, ca, i % 2 ? app1 : app2, serial,
		    i % 3 == 0 ? "signing" : "transport", base + 100 * (int)i);
	}
	/* Noise: reserved only, and another CA's certificates. */
	snprintf(serial, sizeof(serial), "ee%s", tag);
	fill_cert(&r, ca, app1, serial, "transport", base);
	OK(certa_store_cert_reserve(s, &r, &E));
	snprintf(serial, sizeof(serial), "e0%s", tag);
	(void)mk_cert(s, ca_other, app1, serial, "signing", base);
	OK(certa_store_commit(s, &E));
	OK(certa_store_cert_revoke(s, ids[4], now, 1, &E));

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char		 got[64] = "", *p = got;

		f = cases[i].f;
		f.ca_id = ca;
		f.app_id = cases[i].app == 1 ? app1 : cases[i].app == 2 ?
		    app2 : 0;
		memset(&c, 0, sizeof(c));
		OK(certa_store_cert_each(s, &f, collect_cert, &c, &E));
		for (k = 0; k < c.n; k++) {
			size_t	 j;

			for (j = 0; j < 10 && ids[j] != c.ids[k]; j++)
				;
			p += snprintf(p, sizeof(got) - (size_t)(p - got),
			    "%s%zu", k ? "," : "", j);
		}
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("filter %s: got {%s}, want {%s}",
			    cases[i].what, got, cases[i].want);
	}

	/* Without ca_id: the app filter alone. */
	memset(&f, 0, sizeof(f));
	f.status = -1;
	f.app_id = app1;
	memset(&c, 0, sizeof(c));
	OK(certa_store_cert_each(s, &f, collect_cert, &c, &E));
	assert_int_equal(c.n, 6);	/* 5 of ca, 1 of ca_other */
	assert_ascending(&c);

	/* Paging: limit + after_id walks everything exactly once. */
	memset(&f, 0, sizeof(f));
	f.status = -1;
	f.ca_id = ca;
	f.limit = 3;
	total = 0;
	for (;;) {
		memset(&c, 0, sizeof(c));
		OK(certa_store_cert_each(s, &f, collect_cert, &c, &E));
		assert_true(c.n <= 3);
		if (c.n == 0)
			break;
		for (k = 0; k < c.n; k++)
			assert_int_equal(c.ids[k], ids[total + k]);
		total += c.n;
		f.after_id = c.ids[c.n - 1];
	}
	assert_int_equal(total, 10);

	/* A callback's error stops the walk and is returned. */
	memset(&f, 0, sizeof(f));
	f.status = -1;
	f.ca_id = ca;
	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	RC(certa_store_cert_each(s, &f, collect_cert, &c, &E),
	    CERTA_E_INTERNAL);
	assert_int_equal(c.n, 2);
}

struct revoked {
	char		 serials[8][64];
	int64_t		 at[8];
	int		 reason[8];
	size_t		 n;
	size_t		 stop_at;
};

static certa_rc
collect_revoked(const char *serial, int64_t revoked_at, int reason,
    void *arg)
{
	struct revoked	*rv = arg;

	assert_true(rv->n < 8);
	snprintf(rv->serials[rv->n], sizeof(rv->serials[0]), "%s", serial);
	rv->at[rv->n] = revoked_at;
	rv->reason[rv->n] = reason;
	rv->n++;
	return rv->stop_at != 0 && rv->n >= rv->stop_at ? CERTA_E_IO :
	    CERTA_OK;
}

/* Imports (certa store migrate): own ids, every field, later ids larger. */
static void
test_import(void **state)
{
	struct certa_store	*s = *state;
	struct certa_org_rec	 o, og;
	struct certa_app_rec	 a, ag;
	struct certa_ca_rec	 c, cg;
	struct certa_cert_rec	 r, rg;
	char			 serial[64];
	int64_t			 org0, app0, ca0, cert0;
	const char		*fp = "ffeeddccbbaa99887766554433221100"
				    "ffeeddccbbaa99887766554433221100";

	org0 = mk_org(s, nm("imp-org0"));
	app0 = mk_app(s, org0, nm("imp-app0"));
	ca0 = mk_ca(s, nm("imp-ca0"), "root", 0, "active", now);
	snprintf(serial, sizeof(serial), "7e%s", tag);
	cert0 = mk_cert(s, ca0, app0, serial, "transport", now + 3600);

	memset(&o, 0, sizeof(o));
	o.id = org0 + 100;
	o.name = (char *)(uintptr_t)nm("imp-org");
	o.created_at = 1234;
	OK(certa_store_org_import(s, &o, &E));
	RC(certa_store_org_import(s, &o, &E), CERTA_E_CONFLICT);
	memset(&og, 0, sizeof(og));
	OK(certa_store_org_get(s, o.id, NULL, &og, &E));
	assert_string_equal(og.name, o.name);
	assert_int_equal(og.created_at, 1234);
	certa_org_rec_clear(&og);

	memset(&a, 0, sizeof(a));
	a.id = app0 + 100;
	a.org_id = o.id;
	a.name = (char *)(uintptr_t)nm("imp-app");
	a.created_at = 1235;
	OK(certa_store_app_import(s, &a, &E));
	memset(&ag, 0, sizeof(ag));
	OK(certa_store_app_get(s, a.id, &ag, &E));
	assert_int_equal(ag.org_id, o.id);
	assert_int_equal(ag.created_at, 1235);
	certa_app_rec_clear(&ag);

	memset(&c, 0, sizeof(c));
	c.id = ca0 + 100;
	c.name = (char *)(uintptr_t)nm("imp-ca");
	c.role = (char *)(uintptr_t)"issuing";
	c.parent_id = ca0;
	c.status = (char *)(uintptr_t)"retired";
	c.cert_der = (uint8_t *)(uintptr_t)fake_der;
	c.cert_der_len = sizeof(fake_der);
	c.crl_number = 42;
	c.created_at = 1236;
	OK(certa_store_ca_import(s, &c, &E));
	memset(&cg, 0, sizeof(cg));
	OK(certa_store_ca_get(s, c.id, &cg, &E));
	assert_int_equal(cg.crl_number, 42);
	assert_int_equal(cg.parent_id, ca0);
	assert_string_equal(cg.status, "retired");
	certa_ca_rec_clear(&cg);

	fill_cert(&r, c.id, a.id, serial, "signing", now + 7200);
	r.id = cert0 + 100;
	r.status = CERTA_CERT_REVOKED;
	r.revoked_at = now - 5;
	r.reason = 1;
	r.predecessor_id = cert0;
	r.fingerprint = (char *)(uintptr_t)fp;
	r.der = (uint8_t *)(uintptr_t)fake_der;
	r.der_len = sizeof(fake_der);
	r.created_at = 1237;
	OK(certa_store_cert_import(s, &r, &E));
	RC(certa_store_cert_import(s, &r, &E), CERTA_E_CONFLICT);
	memset(&rg, 0, sizeof(rg));
	OK(certa_store_cert_get(s, r.id, &rg, &E));
	assert_int_equal(rg.status, CERTA_CERT_REVOKED);
	assert_int_equal(rg.reason, 1);
	assert_int_equal(rg.revoked_at, now - 5);
	assert_int_equal(rg.predecessor_id, cert0);
	assert_int_equal(rg.app_id, a.id);
	assert_string_equal(rg.fingerprint, fp);
	assert_int_equal(rg.der_len, sizeof(fake_der));
	assert_memory_equal(rg.der, fake_der, sizeof(fake_der));
	certa_cert_rec_clear(&rg);

	/* Ids assigned afterwards are larger than the imported ones. */
	assert_true(mk_org(s, nm("imp-org2")) > o.id);
	assert_true(mk_app(s, o.id, nm("imp-app2")) > a.id);
	assert_true(mk_ca(s, nm("imp-ca2"), "root", 0, "active", now) > c.id);
	snprintf(serial, sizeof(serial), "7f%s", tag);
	assert_true(mk_cert(s, ca0, app0, serial, "transport", now + 60) >
	    r.id);
}

/* Notification rows found by id (their walks, test_notify_import). */
struct nfind {
	int64_t					 id;
	size_t					 n;	/* rows */
	bool					 found;
	struct certa_notify_channel_rec		 chan;	/* strings: NULL */
	struct certa_notify_cert_off_rec	 off;
	struct certa_notice_rec			 notice;
	struct certa_notify_delivery_rec	 deliv;	/* error: NULL */
	char					 text[64];
					/* channel target / error */
	int64_t					 last;
	bool					 unordered;
};

static void
nfind_order(struct nfind *f, int64_t id, bool desc)
{
	if (f->n > 0 && (desc ? id >= f->last : id <= f->last))
		f->unordered = true;
	f->last = id;
	f->n++;
}

static certa_rc
find_chan(const struct certa_notify_channel_rec *r, void *arg)
{
	struct nfind	*f = arg;

	nfind_order(f, r->id, false);
	if (r->id == f->id) {
		f->found = true;
		f->chan = *r;
		f->chan.kind = f->chan.target = f->chan.secret = NULL;
		snprintf(f->text, sizeof(f->text), "%s %s %s", r->kind,
		    r->target, r->secret != NULL ? r->secret : "-");
	}
	return CERTA_OK;
}

static certa_rc
find_cert_off(const struct certa_notify_cert_off_rec *r, void *arg)
{
	struct nfind	*f = arg;

	nfind_order(f, r->cert_id, false);
	if (r->cert_id == f->id) {
		f->found = true;
		f->off = *r;
	}
	return CERTA_OK;
}

static certa_rc
find_notice(const struct certa_notice_rec *r, void *arg)
{
	struct nfind	*f = arg;

	nfind_order(f, r->id, false);
	if (r->id == f->id) {
		f->found = true;
		f->notice = *r;
	}
	return CERTA_OK;
}

static certa_rc
find_deliv(const struct certa_notify_delivery_rec *r, void *arg)
{
	struct nfind	*f = arg;

	nfind_order(f, r->id, true);
	if (r->id == f->id) {
		f->found = true;
		f->deliv = *r;
		f->deliv.error = NULL;
		snprintf(f->text, sizeof(f->text), "%s",
		    r->error != NULL ? r->error : "-");
	}
	return CERTA_OK;
}

static void
nfind_reset(struct nfind *f, int64_t id)
{
	memset(f, 0, sizeof(*f));
	f->id = id;
}

/*
 * The notification state read whole and imported with its ids
 * (certa store migrate): opt-outs, every notice whatever its status, the
 * delivery log (limit 0: all), channels.
 */
static void
test_notify_import(void **state)
{
	struct certa_store			*s = *state;
	struct certa_notify_channel_rec		 ch, ci;
	struct certa_notify_cert_off_rec	 oi;
	struct certa_notice_rec			 n1, n2, ni, n3;
	struct certa_notify_delivery_rec	 d1, di, d3;
	struct nfind				 f;
	char					 serial[64];
	int64_t					 org, app, ca, c1, c2;

	org = mk_org(s, nm("nimp-org"));
	app = mk_app(s, org, nm("nimp-app"));
	ca = mk_ca(s, nm("nimp-ca"), "root", 0, "active", now);
	snprintf(serial, sizeof(serial), "5a%s", tag);
	c1 = mk_cert(s, ca, app, serial, "transport", now + 86400);
	snprintf(serial, sizeof(serial), "5b%s", tag);
	c2 = mk_cert(s, ca, app, serial, "transport", now + 86400);

	/* The state as the scheduler leaves it. */
	memset(&ch, 0, sizeof(ch));
	ch.org_id = org;
	ch.kind = (char *)(uintptr_t)"webhook";
	ch.target = (char *)(uintptr_t)"https://hook.example/n";
	ch.enabled = true;
	OK(certa_store_notify_channel_put(s, &ch, &E));
	OK(certa_store_notify_cert_set(s, c1, false, &E));
	memset(&n1, 0, sizeof(n1));
	n1.cert_id = c1;
	n1.channel_id = ch.id;
	n1.threshold_days = 30;
	n1.next_attempt_at = now;
	OK(certa_store_notice_claim(s, &n1, &E));
	n2 = n1;
	n2.id = 0;
	n2.created_at = 0;
	n2.threshold_days = 7;
	n2.next_attempt_at = now + 999999;	/* pending, not due */
	OK(certa_store_notice_claim(s, &n2, &E));
	memset(&d1, 0, sizeof(d1));
	d1.notice_id = n1.id;
	d1.attempt = 1;
	d1.time = now + 1;
	d1.ok = true;
	d1.code = 200;
	OK(certa_store_notice_record(s, &d1, CERTA_NOTICE_SENT, &E));

	nfind_reset(&f, c1);
	OK(certa_store_notify_cert_off_each(s, find_cert_off, &f, &E));
	assert_true(f.found);
	assert_false(f.unordered);
	assert_true(f.off.created_at > 0);
	nfind_reset(&f, n1.id);
	OK(certa_store_notice_each(s, find_notice, &f, &E));
	assert_true(f.found);		/* sent: not due, still listed */
	assert_false(f.unordered);
	assert_int_equal(f.notice.status, CERTA_NOTICE_SENT);
	assert_int_equal(f.notice.attempts, 1);
	assert_int_equal(f.notice.done_at, now + 1);
	assert_int_equal(f.notice.threshold_days, 30);
	nfind_reset(&f, n2.id);
	OK(certa_store_notice_each(s, find_notice, &f, &E));
	assert_true(f.found);
	assert_int_equal(f.notice.status, CERTA_NOTICE_PENDING);
	assert_int_equal(f.notice.next_attempt_at, now + 999999);
	nfind_reset(&f, d1.id);
	OK(certa_store_notify_delivery_each(s, 0, find_deliv, &f, &E));
	assert_true(f.found);
	assert_false(f.unordered);	/* newest first */
	assert_int_equal(f.deliv.notice_id, n1.id);
	assert_int_equal(f.deliv.code, 200);
	assert_string_equal(f.text, "-");
	RC(certa_store_notice_each(s, NULL, NULL, &E), CERTA_E_INVAL);
	RC(certa_store_notify_cert_off_each(s, NULL, NULL, &E),
	    CERTA_E_INVAL);

	/* A channel with its own id. */
	memset(&ci, 0, sizeof(ci));
	ci.id = ch.id + 100;
	ci.org_id = org;
	ci.kind = (char *)(uintptr_t)"smtp";
	ci.target = (char *)(uintptr_t)"ops@example.org";
	ci.secret = (char *)(uintptr_t)"s3cret";
	ci.enabled = false;
	ci.created_at = 1111;
	OK(certa_store_notify_channel_import(s, &ci, &E));
	RC(certa_store_notify_channel_import(s, &ci, &E), CERTA_E_CONFLICT);
	nfind_reset(&f, ci.id);
	OK(certa_store_notify_channel_each(s, find_chan, &f, &E));
	assert_true(f.found);
	assert_int_equal(f.chan.org_id, org);
	assert_false(f.chan.enabled);
	assert_int_equal(f.chan.created_at, 1111);
	assert_string_equal(f.text, "smtp ops@example.org s3cret");
	ci.id++;
	ci.kind = (char *)(uintptr_t)"pigeon";
	RC(certa_store_notify_channel_import(s, &ci, &E), CERTA_E_INVAL);
	ci.kind = (char *)(uintptr_t)"smtp";
	ci.id = 0;
	RC(certa_store_notify_channel_import(s, &ci, &E), CERTA_E_INVAL);
	ci.id = ch.id + 100;

	/* An opt-out with its own time. */
	oi.cert_id = c2;
	oi.created_at = 777;
	OK(certa_store_notify_cert_off_import(s, &oi, &E));
	RC(certa_store_notify_cert_off_import(s, &oi, &E), CERTA_E_CONFLICT);
	nfind_reset(&f, c2);
	OK(certa_store_notify_cert_off_each(s, find_cert_off, &f, &E));
	assert_true(f.found);
	assert_int_equal(f.off.created_at, 777);
	oi.cert_id = c2 + 1000000000;
	RC(certa_store_notify_cert_off_import(s, &oi, &E), CERTA_E_NOTFOUND);

	/* A failed notice on the imported channel, with every field. */
	memset(&ni, 0, sizeof(ni));
	ni.id = n2.id + 100;
	ni.cert_id = c2;
	ni.channel_id = ci.id;
	ni.threshold_days = 14;
	ni.status = CERTA_NOTICE_FAILED;
	ni.attempts = 5;
	ni.next_attempt_at = 0;
	ni.created_at = 1000;
	ni.done_at = 2000;
	OK(certa_store_notice_import(s, &ni, &E));
	RC(certa_store_notice_import(s, &ni, &E), CERTA_E_CONFLICT);
	ni.id++;			/* the same claim under another id */
	RC(certa_store_notice_import(s, &ni, &E), CERTA_E_CONFLICT);
	ni.threshold_days = 13;
	ni.channel_id = ci.id + 1000000000;
	RC(certa_store_notice_import(s, &ni, &E), CERTA_E_NOTFOUND);
	ni.channel_id = 0;
	RC(certa_store_notice_import(s, &ni, &E), CERTA_E_INVAL);
	ni.id = n2.id + 100;
	ni.channel_id = ci.id;
	ni.threshold_days = 14;
	nfind_reset(&f, ni.id);
	OK(certa_store_notice_each(s, find_notice, &f, &E));
	assert_true(f.found);
	assert_int_equal(f.notice.cert_id, c2);
	assert_int_equal(f.notice.channel_id, ci.id);
	assert_int_equal(f.notice.threshold_days, 14);
	assert_int_equal(f.notice.status, CERTA_NOTICE_FAILED);
	assert_int_equal(f.notice.attempts, 5);
	assert_int_equal(f.notice.next_attempt_at, 0);
	assert_int_equal(f.notice.created_at, 1000);
	assert_int_equal(f.notice.done_at, 2000);

	/* Its last delivery attempt. */
	memset(&di, 0, sizeof(di));
	di.id = d1.id + 100;
	di.notice_id = ni.id;
	di.attempt = 5;
	di.time = 1999;
	di.ok = false;
	di.code = 550;
	di.error = (char *)(uintptr_t)"mailbox full";
	OK(certa_store_notify_delivery_import(s, &di, &E));
	RC(certa_store_notify_delivery_import(s, &di, &E), CERTA_E_CONFLICT);
	nfind_reset(&f, di.id);
	OK(certa_store_notify_delivery_each(s, 0, find_deliv, &f, &E));
	assert_true(f.found);
	assert_int_equal(f.deliv.notice_id, ni.id);
	assert_int_equal(f.deliv.attempt, 5);
	assert_int_equal(f.deliv.time, 1999);
	assert_false(f.deliv.ok);
	assert_int_equal(f.deliv.code, 550);
	assert_int_equal(f.deliv.next_attempt_at, 0);
	assert_int_equal(f.deliv.cert_id, c2);	/* joined from its notice */
	assert_int_equal(f.deliv.channel_id, ci.id);
	assert_int_equal(f.deliv.threshold_days, 14);
	assert_string_equal(f.text, "mailbox full");
	di.id++;
	di.notice_id = ni.id + 1000000000;
	RC(certa_store_notify_delivery_import(s, &di, &E), CERTA_E_NOTFOUND);
	di.notice_id = 0;
	RC(certa_store_notify_delivery_import(s, &di, &E), CERTA_E_INVAL);

	/* Ids assigned afterwards are larger than the imported ones. */
	ch.id = 0;
	ch.created_at = 0;
	OK(certa_store_notify_channel_put(s, &ch, &E));
	assert_true(ch.id > ci.id);
	memset(&n3, 0, sizeof(n3));
	n3.cert_id = c2;
	n3.channel_id = ch.id;
	n3.threshold_days = 1;
	n3.next_attempt_at = now;
	OK(certa_store_notice_claim(s, &n3, &E));
	assert_true(n3.id > ni.id);
	memset(&d3, 0, sizeof(d3));
	d3.notice_id = n3.id;
	d3.attempt = 1;
	d3.time = now;
	d3.next_attempt_at = now + 60;
	OK(certa_store_notice_record(s, &d3, CERTA_NOTICE_PENDING, &E));
	assert_true(d3.id > d1.id + 100);
}

static void
test_revoke(void **state)
{
	struct certa_store	*s = *state;
	/* Insertion order differs from serial order. */
	const char		*prefix[5] = { "a1", "31", "f0", "7", "b" };
	const int		 revoke[3] = { 0, 1, 3 };
	const int		 reasons[3] = { 1, 4, 0 };
	char			 serial[5][64];
	struct revoked		 rv;
	struct certa_cert_rec	 got;
	int64_t			 ca, empty, ids[5];
	size_t			 i, j;

	ca = mk_ca(s, nm("rev-ca"), "issuing", 0, "active", now);
	empty = mk_ca(s, nm("rev-empty"), "issuing", 0, "active", now);
	for (i = 0; i < 5; i++) {
		snprintf(serial[i], sizeof(serial[0]), "%s%s", prefix[i], tag);
		ids[i] = mk_cert(s, ca, 0, serial[i], "transport", now + 3600);
	}
	for (i = 0; i < 3; i++)
		OK(certa_store_cert_revoke(s, ids[revoke[i]], now + (int)i,
		    reasons[i], &E));
	RC(certa_store_cert_revoke(s, ids[0], now, 1, &E), CERTA_E_CONFLICT);
	RC(certa_store_cert_revoke(s, ids[4] + 1000000, now, 1, &E),
	    CERTA_E_NOTFOUND);

	OK(certa_store_cert_get(s, ids[1], &got, &E));
	assert_int_equal(got.status, CERTA_CERT_REVOKED);
	assert_int_equal(got.revoked_at, now + 1);
	assert_int_equal(got.reason, 4);
	certa_cert_rec_clear(&got);
	OK(certa_store_cert_get(s, ids[2], &got, &E));
	assert_int_equal(got.status, CERTA_CERT_VALID);
	assert_int_equal(got.reason, CERTA_REASON_NONE);
	certa_cert_rec_clear(&got);
	/* The first revocation stands. */
	OK(certa_store_cert_get(s, ids[0], &got, &E));
	assert_int_equal(got.revoked_at, now);
	assert_int_equal(got.reason, 1);
	certa_cert_rec_clear(&got);

	memset(&rv, 0, sizeof(rv));
	OK(certa_store_revoked_each(s, ca, collect_revoked, &rv, &E));
	assert_int_equal(rv.n, 3);
	for (i = 1; i < rv.n; i++)
		assert_true(strcmp(rv.serials[i - 1], rv.serials[i]) < 0);
	for (i = 0; i < 3; i++) {
		for (j = 0; j < rv.n; j++)
			if (strcmp(rv.serials[j], serial[revoke[i]]) == 0)
				break;
		assert_true(j < rv.n);
		assert_int_equal(rv.at[j], now + (int)i);
		assert_int_equal(rv.reason[j], reasons[i]);
	}
	memset(&rv, 0, sizeof(rv));
	OK(certa_store_revoked_each(s, empty, collect_revoked, &rv, &E));
	assert_int_equal(rv.n, 0);
	rv.stop_at = 1;
	RC(certa_store_revoked_each(s, ca, collect_revoked, &rv, &E),
	    CERTA_E_IO);
	assert_int_equal(rv.n, 1);
}

static void
test_tx(void **state)
{
	struct certa_store	*s = *state;
	struct certa_org_rec	 o, got;
	struct certa_cert_rec	 r;
	char			 serial[64], serial2[64];
	int64_t			 ca, cert_id;

	ca = mk_ca(s, nm("tx-ca"), "issuing", 0, "active", now);
	snprintf(serial, sizeof(serial), "d1%s", tag);
	snprintf(serial2, sizeof(serial2), "d2%s", tag);

	/* Rollback leaves nothing. */
	OK(certa_store_begin(s, &E));
	memset(&o, 0, sizeof(o));
	o.name = (char *)(uintptr_t)nm("tx-gone");
	OK(certa_store_org_put(s, &o, &E));
	fill_cert(&r, ca, 0, serial, "transport", now + 3600);
	OK(certa_store_cert_reserve(s, &r, &E));
	cert_id = r.id;
	certa_store_rollback(s);
	RC(certa_store_org_get(s, 0, nm("tx-gone"), &got, &E),
	    CERTA_E_NOTFOUND);
	RC(certa_store_cert_get(s, cert_id, &r, &E), CERTA_E_NOTFOUND);
	certa_store_rollback(s);	/* none open: harmless */

	/* No nesting; no commit without begin. */
	OK(certa_store_begin(s, &E));
	NOT_OK(certa_store_begin(s, &E));
	certa_store_rollback(s);
	NOT_OK(certa_store_commit(s, &E));

	/*
	 * A CONFLICT inside a transaction does not spoil it: the CA layer
	 * draws another serial and carries on.
	 */
	(void)mk_cert(s, ca, 0, serial, "transport", now + 3600);
	OK(certa_store_begin(s, &E));
	memset(&o, 0, sizeof(o));
	o.name = (char *)(uintptr_t)nm("tx-kept");
	OK(certa_store_org_put(s, &o, &E));
	fill_cert(&r, ca, 0, serial, "transport", now + 3600);
	RC(certa_store_cert_reserve(s, &r, &E), CERTA_E_CONFLICT);
	fill_cert(&r, ca, 0, serial2, "transport", now + 3600);
	OK(certa_store_cert_reserve(s, &r, &E));
	OK(certa_store_commit(s, &E));
	OK(certa_store_org_get(s, 0, nm("tx-kept"), &got, &E));
	certa_org_rec_clear(&got);
	OK(certa_store_cert_get(s, r.id, &r, &E));
	assert_string_equal(r.serial, serial2);
	certa_cert_rec_clear(&r);
}

struct audit_seen {
	struct certa_audit_rec	 recs[4];	/* copies of scalar fields */
	char			 details[4][64];
	bool			 has_details[4];
	size_t			 n;
};

static certa_rc
collect_audit(const struct certa_audit_rec *r, void *arg)
{
	struct audit_seen	*a = arg;

	assert_true(a->n < 4);
	a->recs[a->n] = *r;
	a->recs[a->n].actor = a->recs[a->n].action = a->recs[a->n].object =
	    a->recs[a->n].outcome = a->recs[a->n].details = NULL;
	assert_string_equal(r->actor, "tester");
	assert_string_equal(r->outcome, "ok");
	a->has_details[a->n] = r->details != NULL;
	if (r->details != NULL)
		snprintf(a->details[a->n], sizeof(a->details[0]), "%s",
		    r->details);
	a->n++;
	return CERTA_OK;
}

static void
test_audit(void **state)
{
	struct certa_store	*s = *state;
	struct certa_audit_rec	 r;
	struct audit_seen	 seen;
	char			 h0[65], h[65];
	int64_t			 last, seq;

	OK(certa_store_audit_last(s, &last, h0, &E));
	assert_true(last >= 0);
	if (last == 0)
		assert_string_equal(h0, "");

	memset(&r, 0, sizeof(r));
	r.seq = last + 1;
	r.time = now;
	r.actor = (char *)(uintptr_t)"tester";
	r.action = (char *)(uintptr_t)"org.add";
	r.object = (char *)(uintptr_t)nm("org");
	r.outcome = (char *)(uintptr_t)"ok";
	r.details = (char *)(uintptr_t)"{\"name\":\"acme\"}";
	memcpy(r.prev_hash, h0, sizeof(h0));
	memset(r.hash, 'a', 64);
	OK(certa_store_audit_append(s, &r, &E));
	RC(certa_store_audit_append(s, &r, &E), CERTA_E_CONFLICT);
	r.seq = last + 5;	/* a gap would break the chain */
	NOT_OK(certa_store_audit_append(s, &r, &E));

	r.seq = last + 2;
	r.time = now + 1;
	r.details = NULL;
	memcpy(r.prev_hash, r.hash, sizeof(r.hash));
	memset(r.hash, 'b', 64);
	OK(certa_store_audit_append(s, &r, &E));

	OK(certa_store_audit_last(s, &seq, h, &E));
	assert_int_equal(seq, last + 2);
	assert_string_equal(h, r.hash);

	memset(&seen, 0, sizeof(seen));
	OK(certa_store_audit_each(s, last, collect_audit, &seen, &E));
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.recs[0].seq, last + 1);
	assert_int_equal(seen.recs[0].time, now);
	assert_string_equal(seen.recs[0].prev_hash, h0);
	assert_int_equal(strlen(seen.recs[0].hash), 64);
	assert_true(seen.has_details[0]);
	assert_string_equal(seen.details[0], "{\"name\":\"acme\"}");
	assert_int_equal(seen.recs[1].seq, last + 2);
	assert_string_equal(seen.recs[1].prev_hash, seen.recs[0].hash);
	assert_string_equal(seen.recs[1].hash, h);
	assert_false(seen.has_details[1]);
	memset(&seen, 0, sizeof(seen));
	OK(certa_store_audit_each(s, last + 1, collect_audit, &seen, &E));
	assert_int_equal(seen.n, 1);
	memset(&seen, 0, sizeof(seen));
	OK(certa_store_audit_each(s, last + 2, collect_audit, &seen, &E));
	assert_int_equal(seen.n, 0);
}

/* Trust store. */

/* A per-run fingerprint: 64 hex digits from tag and k. */
static const char *
fp(int k)
{
	static char	 ring[8][65];
	static int	 i;
	char		*p = ring[i++ % 8];

	snprintf(p, sizeof(ring[0]), "%02x%-62s", k & 0xff, tag);
	for (char *q = p; *q != '\0'; q++)
		if (*q == ' ')
			*q = '0';
	return p;
}

static void
fill_trust(struct certa_trust_rec *r, const char *alias, const char *list,
    int k)
{
	memset(r, 0, sizeof(*r));
	r->alias = (char *)(uintptr_t)alias;
	r->list = (char *)(uintptr_t)list;
	r->der = (uint8_t *)(uintptr_t)fake_der;
	r->der_len = sizeof(fake_der);
	r->fingerprint = (char *)(uintptr_t)fp(k);
	r->subject = (char *)(uintptr_t)"CN=client,O=acme";
	r->issuer = (char *)(uintptr_t)"CN=Some CA";
	r->serial = (char *)(uintptr_t)"1f";
	r->not_before = now - 60;
	r->not_after = now + 3600;
	r->source = (char *)(uintptr_t)"imported";
}

static uint64_t
generation(struct certa_store *s)
{
	uint64_t	 g = 0;

	OK(certa_store_trust_generation(s, &g, &E));
	assert_true(g > 0);
	return g;
}

struct trust_seen {
	int64_t		 min_id;
	size_t		 n;
	int64_t		 ids[16];
	int64_t		 last;
	bool		 unordered;
};

static certa_rc
collect_trust(const struct certa_trust_rec *r, void *arg)
{
	struct trust_seen	*t = arg;

	assert_non_null(r->alias);
	assert_non_null(r->der);
	assert_non_null(r->list);
	if (t->last != 0 && r->id <= t->last)
		t->unordered = true;
	t->last = r->id;
	if (r->id >= t->min_id) {
		assert_true(t->n < 16);
		t->ids[t->n++] = r->id;
	}
	return CERTA_OK;
}

static void
test_trust(void **state)
{
	struct certa_store	*s = *state;
	struct certa_trust_rec	 r, got;
	struct trust_seen	 seen;
	uint64_t		 g0, g;
	int64_t			 a_id, b_id;

	g0 = generation(s);
	fill_trust(&r, nm("trust-a"), "trusted", 1);
	OK(certa_store_trust_put(s, &r, &E));
	a_id = r.id;
	assert_true(a_id > 0);
	assert_true(r.first_seen > 0);
	assert_int_equal(r.last_seen, r.first_seen);
	g = generation(s);
	assert_true(g > g0);

	/* Alias and fingerprint are each unique: the message says which. */
	fill_trust(&r, nm("trust-a"), "issuer", 2);
	RC(certa_store_trust_put(s, &r, &E), CERTA_E_CONFLICT);
	assert_non_null(strstr(E.msg, "alias"));
	fill_trust(&r, nm("trust-a2"), "issuer", 1);
	RC(certa_store_trust_put(s, &r, &E), CERTA_E_CONFLICT);
	assert_non_null(strstr(E.msg, fp(1)));
	assert_int_equal(generation(s), g);	/* refusals change nothing */

	/* Bad list / source; missing fields. */
	fill_trust(&r, nm("trust-bad"), "friends", 3);
	RC(certa_store_trust_put(s, &r, &E), CERTA_E_INVAL);
	fill_trust(&r, nm("trust-bad"), "trusted", 3);
	r.source = (char *)(uintptr_t)"magic";
	RC(certa_store_trust_put(s, &r, &E), CERTA_E_INVAL);
	fill_trust(&r, nm("trust-bad"), "trusted", 3);
	r.der = NULL;
	RC(certa_store_trust_put(s, &r, &E), CERTA_E_INVAL);
	RC(certa_store_trust_get_alias(s, nm("trust-bad"), &got, &E),
	    CERTA_E_NOTFOUND);

	fill_trust(&r, nm("trust-b"), "issuer", 4);
	r.peer_addr = (char *)(uintptr_t)"192.0.2.1:443";
	OK(certa_store_trust_put(s, &r, &E));
	b_id = r.id;
	assert_true(b_id > a_id);

	/* Get by alias and by fingerprint: every field round-trips. */
	OK(certa_store_trust_get_alias(s, nm("trust-b"), &got, &E));
	assert_int_equal(got.id, b_id);
	assert_string_equal(got.alias, nm("trust-b"));
	assert_string_equal(got.list, "issuer");
	assert_int_equal(got.der_len, sizeof(fake_der));
	assert_memory_equal(got.der, fake_der, sizeof(fake_der));
	assert_string_equal(got.fingerprint, fp(4));
	assert_string_equal(got.subject, "CN=client,O=acme");
	assert_string_equal(got.issuer, "CN=Some CA");
	assert_string_equal(got.serial, "1f");
	assert_int_equal(got.not_before, now - 60);
	assert_int_equal(got.not_after, now + 3600);
	assert_string_equal(got.source, "imported");
	assert_string_equal(got.peer_addr, "192.0.2.1:443");
	assert_int_equal(got.attempts, 0);
	certa_trust_rec_clear(&got);
	OK(certa_store_trust_get_fp(s, fp(1), &got, &E));
	assert_int_equal(got.id, a_id);
	assert_null(got.peer_addr);
	certa_trust_rec_clear(&got);
	RC(certa_store_trust_get_fp(s, fp(99), &got, &E), CERTA_E_NOTFOUND);
	assert_null(got.alias);
	RC(certa_store_trust_get_alias(s, nm("trust-none"), &got, &E),
	    CERTA_E_NOTFOUND);
	assert_non_null(strstr(E.msg, nm("trust-none")));

	/* Each: all, or one list, in id order. */
	memset(&seen, 0, sizeof(seen));
	seen.min_id = a_id;
	OK(certa_store_trust_each(s, NULL, collect_trust, &seen, &E));
	assert_false(seen.unordered);
	assert_int_equal(seen.n, 2);
	memset(&seen, 0, sizeof(seen));
	seen.min_id = a_id;
	OK(certa_store_trust_each(s, "issuer", collect_trust, &seen, &E));
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.ids[0], b_id);
	RC(certa_store_trust_each(s, "friends", collect_trust, &seen, &E),
	    CERTA_E_INVAL);

	/* Move: bumps; to the same list: nothing; unknown: NOTFOUND. */
	g = generation(s);
	OK(certa_store_trust_set_list(s, nm("trust-a"), "rejected", &E));
	assert_true(generation(s) > g);
	g = generation(s);
	OK(certa_store_trust_set_list(s, nm("trust-a"), "rejected", &E));
	assert_int_equal(generation(s), g);
	OK(certa_store_trust_get_alias(s, nm("trust-a"), &got, &E));
	assert_string_equal(got.list, "rejected");
	certa_trust_rec_clear(&got);
	RC(certa_store_trust_set_list(s, nm("trust-none"), "trusted", &E),
	    CERTA_E_NOTFOUND);
	RC(certa_store_trust_set_list(s, nm("trust-a"), "friends", &E),
	    CERTA_E_INVAL);
	assert_int_equal(generation(s), g);

	/* Inside a transaction: a rollback undoes the change and its bump. */
	OK(certa_store_begin(s, &E));
	OK(certa_store_trust_delete(s, nm("trust-b"), &E));
	certa_store_rollback(s);
	assert_int_equal(generation(s), g);
	OK(certa_store_trust_get_alias(s, nm("trust-b"), &got, &E));
	certa_trust_rec_clear(&got);

	/* Delete. */
	OK(certa_store_trust_delete(s, nm("trust-b"), &E));
	assert_true(generation(s) > g);
	RC(certa_store_trust_delete(s, nm("trust-b"), &E), CERTA_E_NOTFOUND);
	RC(certa_store_trust_get_fp(s, fp(4), &got, &E), CERTA_E_NOTFOUND);
	/* Its fingerprint and alias are free again. */
	fill_trust(&r, nm("trust-b"), "trusted", 4);
	OK(certa_store_trust_put(s, &r, &E));
}

/* The subject index: lookups by subject_key, and rows without a key. */
static void
test_trust_subject(void **state)
{
	struct certa_store	*s = *state;
	struct certa_trust_rec	 r;
	struct trust_seen	 seen;
	int64_t			 u0 = -1, u1 = -1, ida, idb;
	bool			 ins = false;
	char			 ka[16], kb[16];

	/* Keys of this run only (the store is shared with other cases). */
	snprintf(ka, sizeof(ka), "a%07lx", (unsigned long)(now & 0xfffffff));
	snprintf(kb, sizeof(kb), "b%07lx", (unsigned long)(now & 0xfffffff));
	OK(certa_store_trust_unkeyed(s, &u0, &E));
	assert_true(u0 >= 0);
	fill_trust(&r, nm("subj-a"), "trusted", 60);
	r.subject_key = ka;
	OK(certa_store_trust_put(s, &r, &E));
	ida = r.id;
	fill_trust(&r, nm("subj-b"), "issuer", 61);
	r.subject_key = ka;
	OK(certa_store_trust_put(s, &r, &E));
	idb = r.id;
	fill_trust(&r, nm("subj-c"), "trusted", 62);
	r.subject_key = kb;
	OK(certa_store_trust_put(s, &r, &E));
	fill_trust(&r, nm("subj-none"), "trusted", 63);	/* no key */
	OK(certa_store_trust_put(s, &r, &E));

	/* Every list, in id order; only the key's rows. */
	memset(&seen, 0, sizeof(seen));
	OK(certa_store_trust_each_subject(s, ka, collect_trust, &seen, &E));
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.ids[0], ida);
	assert_int_equal(seen.ids[1], idb);
	assert_false(seen.unordered);
	memset(&seen, 0, sizeof(seen));
	OK(certa_store_trust_each_subject(s, kb, collect_trust, &seen, &E));
	assert_int_equal(seen.n, 1);
	memset(&seen, 0, sizeof(seen));
	OK(certa_store_trust_each_subject(s, "ffffffffff", collect_trust,
	    &seen, &E));
	assert_int_equal(seen.n, 0);
	RC(certa_store_trust_each_subject(s, NULL, collect_trust, &seen, &E),
	    CERTA_E_INVAL);
	RC(certa_store_trust_each_subject(s, ka, NULL, &seen, &E),
	    CERTA_E_INVAL);

	/* A knock's insert keeps its key; a move keeps it too. */
	fill_trust(&r, nm("subj-knock"), "rejected", 64);
	r.source = (char *)(uintptr_t)"auto-rejected";
	r.subject_key = kb;
	OK(certa_store_trust_knock(s, &r, &ins, &E));
	assert_true(ins);
	OK(certa_store_trust_set_list(s, nm("subj-c"), "issuer", &E));
	memset(&seen, 0, sizeof(seen));
	OK(certa_store_trust_each_subject(s, kb, collect_trust, &seen, &E));
	assert_int_equal(seen.n, 2);

	/* Only the row without a key counts as unindexed. */
	OK(certa_store_trust_unkeyed(s, &u1, &E));
	assert_int_equal(u1, u0 + 1);
	OK(certa_store_trust_delete(s, nm("subj-none"), &E));
	OK(certa_store_trust_unkeyed(s, &u1, &E));
	assert_int_equal(u1, u0);
	RC(certa_store_trust_unkeyed(s, NULL, &E), CERTA_E_INVAL);
}

static void
test_trust_knock(void **state)
{
	struct certa_store	*s = *state;
	struct certa_trust_rec	 r, got;
	bool			 ins = true;
	uint64_t		 g;
	int			 i;

	/* First knock inserts a rejected entry and bumps. */
	g = generation(s);
	fill_trust(&r, nm("knock"), "trusted", 10);	/* list ignored */
	r.source = (char *)(uintptr_t)"auto-rejected";
	r.peer_addr = (char *)(uintptr_t)"198.51.100.7:50000";
	r.last_seen = now;
	OK(certa_store_trust_knock(s, &r, &ins, &E));
	assert_true(ins);
	assert_true(generation(s) > g);
	g = generation(s);
	OK(certa_store_trust_get_fp(s, fp(10), &got, &E));
	assert_string_equal(got.list, "rejected");
	assert_string_equal(got.source, "auto-rejected");
	assert_int_equal(got.attempts, 1);
	assert_int_equal(got.first_seen, now);
	assert_int_equal(got.last_seen, now);
	certa_trust_rec_clear(&got);

	/* Later knocks (any alias) count on the same row; no bump. */
	for (i = 1; i <= 3; i++) {
		fill_trust(&r, nm("knock-other"), "rejected", 10);
		r.peer_addr = (char *)(uintptr_t)"198.51.100.8:1";
		r.last_seen = now + i;
		OK(certa_store_trust_knock(s, &r, &ins, &E));
		assert_false(ins);
	}
	/* A knock dated earlier does not move last_seen back. */
	fill_trust(&r, nm("knock"), "rejected", 10);
	r.last_seen = now - 100;
	OK(certa_store_trust_knock(s, &r, &ins, &E));
	assert_false(ins);
	assert_int_equal(generation(s), g);
	OK(certa_store_trust_get_fp(s, fp(10), &got, &E));
	assert_string_equal(got.alias, nm("knock"));
	assert_int_equal(got.attempts, 5);
	assert_int_equal(got.first_seen, now);
	assert_int_equal(got.last_seen, now + 3);
	assert_null(got.peer_addr);
	certa_trust_rec_clear(&got);
	RC(certa_store_trust_get_alias(s, nm("knock-other"), &got, &E),
	    CERTA_E_NOTFOUND);

	/* A knock on a trusted entry counts, and leaves it trusted. */
	fill_trust(&r, nm("knock-trusted"), "trusted", 11);
	OK(certa_store_trust_put(s, &r, &E));
	g = generation(s);
	fill_trust(&r, nm("knock-x"), "rejected", 11);
	OK(certa_store_trust_knock(s, &r, &ins, &E));
	assert_false(ins);
	assert_int_equal(generation(s), g);
	OK(certa_store_trust_get_fp(s, fp(11), &got, &E));
	assert_string_equal(got.list, "trusted");
	assert_int_equal(got.attempts, 1);
	certa_trust_rec_clear(&got);

	/* A new certificate under a taken alias: CONFLICT, nothing stored. */
	fill_trust(&r, nm("knock"), "rejected", 12);
	RC(certa_store_trust_knock(s, &r, &ins, &E), CERTA_E_CONFLICT);
	assert_false(ins);
	RC(certa_store_trust_get_fp(s, fp(12), &got, &E), CERTA_E_NOTFOUND);
	assert_int_equal(generation(s), g);
}

/* Child of test_trust_knock_race: 50 knocks of one certificate. */
static void
knocker(int k, int go)
{
	struct certa_store	*s = NULL;
	struct certa_err	 err;
	struct certa_trust_rec	 r;
	char			 alias[64], c;
	bool			 ins;
	int			 j;

	certa_err_clear(&err);
	if (certa_store_open(&s, dsn, &err) != CERTA_OK)
		goto fail;
	if (read(go, &c, 1) < 0)
		goto fail;
	for (j = 0; j < 50; j++) {
		snprintf(alias, sizeof(alias), "racer%d-%d-%s", k, j, tag);
		fill_trust(&r, alias, "rejected", 20);
		r.source = (char *)(uintptr_t)"auto-rejected";
		if (certa_store_trust_knock(s, &r, &ins, &err) != CERTA_OK)
			goto fail;
	}
	certa_store_close(s);
	_exit(0);
fail:
	fprintf(stderr, "knocker %d: %s: %s\n", k, certa_rc_name(err.rc),
	    err.msg);
	_exit(1);
}

/* Processes knocking with one certificate at once: one row, every count. */
static void
test_trust_knock_race(void **state)
{
	struct certa_store	*s = *state;
	struct certa_trust_rec	 got;
	pid_t			 pid[3];
	int			 go[2], st, k;

	assert_int_equal(pipe(go), 0);
	for (k = 0; k < 3; k++) {
		pid[k] = fork();
		assert_true(pid[k] >= 0);
		if (pid[k] == 0) {
			close(go[1]);
			knocker(k, go[0]);
		}
	}
	close(go[0]);
	close(go[1]);
	for (k = 0; k < 3; k++) {
		assert_int_equal(waitpid(pid[k], &st, 0), pid[k]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	OK(certa_store_trust_get_fp(s, fp(20), &got, &E));
	assert_int_equal(got.attempts, 150);
	assert_string_equal(got.list, "rejected");
	certa_trust_rec_clear(&got);
}

struct crl_seen {
	size_t		 n;
	int64_t		 id;
	char		 number[16];
	char		 fp[65];
	int64_t		 next_update;
	bool		 key_id_empty;
};

static certa_rc
collect_crl(const struct certa_trust_crl_rec *r, void *arg)
{
	struct crl_seen	*c = arg;

	if (strstr(r->issuer, tag) == NULL)
		return CERTA_OK;	/* another run's */
	c->n++;
	c->id = r->id;
	snprintf(c->number, sizeof(c->number), "%s",
	    r->crl_number != NULL ? r->crl_number : "(null)");
	snprintf(c->fp, sizeof(c->fp), "%s", r->fingerprint);
	c->next_update = r->next_update;
	c->key_id_empty = r->key_id != NULL && r->key_id[0] == '\0';
	assert_int_equal(r->der_len, sizeof(fake_der));
	return CERTA_OK;
}

/* Cluster: node rows upserted by id, listed; a lease taken by one holder
 * at a time, renewed by it, taken over only after it expired. */
struct node_seen {
	int			 n;
	struct certa_node_rec	 last;
};

static certa_rc
node_cb(const struct certa_node_rec *r, void *arg)
{
	struct node_seen	*seen = arg;

	if (strstr(r->id, tag) != NULL) {
		seen->n++;
		seen->last = *r;
	}
	return CERTA_OK;
}

static void
test_cluster(void **state)
{
	struct certa_store	*s = *state, *s2 = NULL;
	struct certa_node_rec	 n;
	struct node_seen	 seen;
	const char		*lease = nm("crl");
	char			 holder[40];
	int64_t			 until;
	bool			 held;

	memset(&n, 0, sizeof(n));
	snprintf(n.id, sizeof(n.id), "%s", nm("node"));
	snprintf(n.name, sizeof(n.name), "host:1");
	n.started_at = now;
	n.last_heartbeat = now;
	n.generation = 3;
	n.audit_seq = 7;
	OK(certa_store_node_put(s, &n, &E));
	n.last_heartbeat = now + 5;
	n.generation = 4;
	n.audit_seq = 9;
	OK(certa_store_node_put(s, &n, &E));		/* the same row */
	memset(&seen, 0, sizeof(seen));
	OK(certa_store_node_each(s, node_cb, &seen, &E));
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.last.id, n.id);
	assert_string_equal(seen.last.name, "host:1");
	assert_int_equal(seen.last.started_at, now);
	assert_int_equal(seen.last.last_heartbeat, now + 5);
	assert_int_equal(seen.last.generation, 4);
	assert_int_equal(seen.last.audit_seq, 9);
	memset(&n, 0, sizeof(n));
	assert_int_equal(certa_store_node_put(s, &n, &E), CERTA_E_INVAL);

	/* Lease: free -> A; B refused while A's is live; A renews; once
	 * expired B takes it and A is refused.  A second connection for B. */
	OK(certa_store_open(&s2, dsn, &E));
	OK(certa_store_lease_take(s, lease, "A", now, now + 10, &held, &E));
	assert_true(held);
	OK(certa_store_lease_take(s2, lease, "B", now + 1, now + 11, &held,
	    &E));
	assert_false(held);
	OK(certa_store_lease_take(s, lease, "A", now + 5, now + 15, &held,
	    &E));
	assert_true(held);
	OK(certa_store_lease_take(s2, lease, "B", now + 12, now + 22, &held,
	    &E));
	assert_false(held);				/* renewed until 15 */
	OK(certa_store_lease_take(s2, lease, "B", now + 16, now + 26, &held,
	    &E));
	assert_true(held);
	OK(certa_store_lease_take(s, lease, "A", now + 17, now + 27, &held,
	    &E));
	assert_false(held);
	/* Who holds it: B, until its last renewal's expiry. */
	OK(certa_store_lease_get(s, lease, holder, &until, &E));
	assert_string_equal(holder, "B");
	assert_int_equal(until, now + 26);
	RC(certa_store_lease_get(s, nm("never-taken"), holder, &until, &E),
	    CERTA_E_NOTFOUND);
	certa_store_close(s2);
}

/* The shared newest CRL: stored, replaced only by a higher number. */
static void
test_crl_latest(void **state)
{
	struct certa_store	*s = *state;
	struct certa_crl_rec	 c, got;
	uint8_t			 der1[] = { 0x30, 0x01, 0x01 };
	uint8_t			 der2[] = { 0x30, 0x02, 0x02, 0x02 };
	int64_t			 ca = now * 100000 + getpid() % 100000;
	bool			 stored;

	assert_int_equal(certa_store_crl_get(s, ca, &got, &E),
	    CERTA_E_NOTFOUND);
	memset(&c, 0, sizeof(c));
	c.ca_id = ca;
	c.crl_number = 5;
	c.this_update = now;
	c.next_update = now + 3600;
	c.der = der1;
	c.der_len = sizeof(der1);
	OK(certa_store_crl_put(s, &c, &stored, &E));
	assert_true(stored);
	c.crl_number = 4;			/* older: refused */
	c.der = der2;
	c.der_len = sizeof(der2);
	OK(certa_store_crl_put(s, &c, &stored, &E));
	assert_false(stored);
	OK(certa_store_crl_get(s, ca, &got, &E));
	assert_int_equal(got.crl_number, 5);
	assert_int_equal(got.der_len, sizeof(der1));
	assert_memory_equal(got.der, der1, sizeof(der1));
	certa_crl_rec_clear(&got);
	c.crl_number = 6;
	OK(certa_store_crl_put(s, &c, &stored, &E));
	assert_true(stored);
	OK(certa_store_crl_get(s, ca, &got, &E));
	assert_int_equal(got.crl_number, 6);
	assert_int_equal(got.next_update, now + 3600);
	assert_memory_equal(got.der, der2, sizeof(der2));
	certa_crl_rec_clear(&got);
}

static void
test_trust_crl(void **state)
{
	struct certa_store		*s = *state;
	struct certa_trust_crl_rec	 c;
	struct crl_seen			 seen;
	char				 issuer[96];
	uint64_t			 g;
	int64_t				 id;

	snprintf(issuer, sizeof(issuer), "CN=CRL CA %s", tag);
	memset(&c, 0, sizeof(c));
	c.issuer = issuer;
	c.issuer_hash = (char *)(uintptr_t)fp(30);
	c.crl_number = (char *)(uintptr_t)"1";
	c.this_update = now;
	c.next_update = now + 86400;
	c.der = (uint8_t *)(uintptr_t)fake_der;
	c.der_len = sizeof(fake_der);
	c.fingerprint = (char *)(uintptr_t)fp(31);
	g = generation(s);
	OK(certa_store_trust_crl_put(s, &c, &E));
	id = c.id;
	assert_true(id > 0);
	assert_true(generation(s) > g);

	/* The same issuer again: replaced, same id, bumped. */
	g = generation(s);
	c.crl_number = (char *)(uintptr_t)"2";
	c.next_update = 0;
	c.fingerprint = (char *)(uintptr_t)fp(32);
	OK(certa_store_trust_crl_put(s, &c, &E));
	assert_int_equal(c.id, id);
	assert_true(generation(s) > g);
	memset(&seen, 0, sizeof(seen));
	OK(certa_store_trust_crl_each(s, collect_crl, &seen, &E));
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.number, "2");
	assert_string_equal(seen.fp, fp(32));
	assert_int_equal(seen.next_update, 0);
	assert_true(seen.key_id_empty);

	/* Another key of the same name: a second CRL. */
	c.key_id = (char *)(uintptr_t)"0a0b";
	c.crl_number = NULL;
	OK(certa_store_trust_crl_put(s, &c, &E));
	assert_true(c.id != id);
	memset(&seen, 0, sizeof(seen));
	OK(certa_store_trust_crl_each(s, collect_crl, &seen, &E));
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.number, "(null)");

	/* Missing fields; delete. */
	c.der = NULL;
	RC(certa_store_trust_crl_put(s, &c, &E), CERTA_E_INVAL);
	g = generation(s);
	OK(certa_store_trust_crl_delete(s, id, &E));
	assert_true(generation(s) > g);
	RC(certa_store_trust_crl_delete(s, id, &E), CERTA_E_NOTFOUND);
	memset(&seen, 0, sizeof(seen));
	OK(certa_store_trust_crl_each(s, collect_crl, &seen, &E));
	assert_int_equal(seen.n, 1);
}

/* Child of test_concurrent: 500 certificates in transactions of 50. */
static void
writer(int k, int64_t ca, int go)
{
	struct certa_store	*s = NULL;
	struct certa_err	 err;
	struct certa_cert_rec	 r;
	char			 serial[64], c;
	int			 t, j;

	certa_err_clear(&err);
	if (certa_store_open(&s, dsn, &err) != CERTA_OK)
		goto fail;
	if (read(go, &c, 1) < 0)
		goto fail;
	for (t = 0; t < 10; t++) {
		if (certa_store_begin(s, &err) != CERTA_OK)
			goto fail;
		for (j = 0; j < 50; j++) {
			snprintf(serial, sizeof(serial), "%x%04x%s", k + 1,
			    t * 50 + j, tag);
			fill_cert(&r, ca, 0, serial, "transport", now + 3600);
			if (certa_store_cert_reserve(s, &r, &err) !=
			    CERTA_OK || certa_store_cert_finish(s, r.id,
			    fake_der, sizeof(fake_der), "ff", &err) !=
			    CERTA_OK)
				goto fail;
		}
		if (certa_store_commit(s, &err) != CERTA_OK)
			goto fail;
	}
	certa_store_close(s);
	_exit(0);
fail:
	fprintf(stderr, "writer %d: %s: %s\n", k, certa_rc_name(err.rc),
	    err.msg);
	_exit(1);
}

static certa_rc
count_cert(const struct certa_cert_rec *r, void *arg)
{
	(void)r;
	(*(size_t *)arg)++;
	return CERTA_OK;
}

static void
test_concurrent(void **state)
{
	struct certa_store	*s = *state;
	struct certa_cert_filter f = { .status = -1 };
	pid_t			 pid[2];
	int			 go[2], st, k;
	int64_t			 ca;
	size_t			 n = 0;

	ca = mk_ca(s, nm("conc-ca"), "issuing", 0, "active", now);
	/* No connection crosses a fork (SQLite forbids it). */
	certa_store_close(s);
	*state = NULL;
	assert_int_equal(pipe(go), 0);
	for (k = 0; k < 2; k++) {
		pid[k] = fork();
		assert_true(pid[k] >= 0);
		if (pid[k] == 0) {
			close(go[1]);
			writer(k, ca, go[0]);
		}
	}
	close(go[0]);
	close(go[1]);		/* both start now */
	for (k = 0; k < 2; k++) {
		assert_int_equal(waitpid(pid[k], &st, 0), pid[k]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	OK(certa_store_open(&s, dsn, &E));
	*state = s;
	f.ca_id = ca;
	OK(certa_store_cert_each(s, &f, count_cert, &n, &E));
	assert_int_equal(n, 1000);
}

/* SQLite only: what the interface cannot express. */

/*
 * Rename and delete of organisations and applications; the count of valid
 * certificates that guards a delete.
 */
static void
test_org_app_rename_delete(void **state)
{
	struct certa_store	*s = *state;
	struct certa_org_rec	 og;
	struct certa_app_rec	 ag;
	struct certa_cert_rec	 cr;
	char			 s1[64], s2[64], s3[64];
	int64_t			 o1, o2, a1, a2, a3, ca, c1, c2, c3, n;

	o1 = mk_org(s, nm("ren-o1"));
	o2 = mk_org(s, nm("ren-o2"));
	a1 = mk_app(s, o1, nm("ren-a1"));
	a2 = mk_app(s, o1, nm("ren-a2"));
	a3 = mk_app(s, o2, nm("ren-a3"));

	/* Rename: taken names CONFLICT, unknown ids NOTFOUND. */
	OK(certa_store_org_rename(s, o1, nm("ren-o1b"), &E));
	OK(certa_store_org_get(s, o1, NULL, &og, &E));
	assert_string_equal(og.name, nm("ren-o1b"));
	certa_org_rec_clear(&og);
	RC(certa_store_org_rename(s, o1, nm("ren-o2"), &E), CERTA_E_CONFLICT);
	RC(certa_store_org_rename(s, o2 + 1000000, nm("ren-x"), &E),
	    CERTA_E_NOTFOUND);
	OK(certa_store_app_rename(s, a1, nm("ren-a1b"), &E));
	OK(certa_store_app_get(s, a1, &ag, &E));
	assert_string_equal(ag.name, nm("ren-a1b"));
	certa_app_rec_clear(&ag);
	RC(certa_store_app_rename(s, a1, nm("ren-a2"), &E), CERTA_E_CONFLICT);
	OK(certa_store_app_rename(s, a3, nm("ren-a2"), &E));	/* other org */
	RC(certa_store_app_rename(s, a3 + 1000000, nm("ren-x"), &E),
	    CERTA_E_NOTFOUND);
	RC(certa_store_app_rename(s, 0, nm("ren-x"), &E), CERTA_E_INVAL);

	/* Valid = not revoked and not_after > at; per app or per org. */
	ca = mk_ca(s, nm("ren-ca"), "issuing", 0, "active", now);
	snprintf(s1, sizeof(s1), "e1%s", tag);
	snprintf(s2, sizeof(s2), "e2%s", tag);
	snprintf(s3, sizeof(s3), "e3%s", tag);
	c1 = mk_cert(s, ca, a1, s1, "transport", now + 3600);
	c2 = mk_cert(s, ca, a2, s2, "transport", now - 10);	/* expired */
	c3 = mk_cert(s, ca, a3, s3, "transport", now + 3600);
	OK(certa_store_cert_count_valid(s, 0, a1, now, &n, &E));
	assert_int_equal(n, 1);
	OK(certa_store_cert_count_valid(s, 0, a2, now, &n, &E));
	assert_int_equal(n, 0);
	OK(certa_store_cert_count_valid(s, o1, 0, now, &n, &E));
	assert_int_equal(n, 1);
	OK(certa_store_cert_count_valid(s, o1, 0, now + 7200, &n, &E));
	assert_int_equal(n, 0);
	OK(certa_store_cert_count_valid(s, o2, 0, now, &n, &E));
	assert_int_equal(n, 1);
	RC(certa_store_cert_count_valid(s, 0, 0, now, &n, &E),
	    CERTA_E_INVAL);
	OK(certa_store_cert_revoke(s, c1, now, 1, &E));
	OK(certa_store_cert_count_valid(s, o1, 0, now, &n, &E));
	assert_int_equal(n, 0);

	/* Delete detaches: the certificate rows stay, without their app. */
	OK(certa_store_app_delete(s, a2, &E));
	RC(certa_store_app_get(s, a2, &ag, &E), CERTA_E_NOTFOUND);
	OK(certa_store_cert_get(s, c2, &cr, &E));
	assert_int_equal(cr.app_id, 0);
	certa_cert_rec_clear(&cr);
	RC(certa_store_app_delete(s, a2, &E), CERTA_E_NOTFOUND);
	/* An org takes its applications along, in a transaction. */
	OK(certa_store_begin(s, &E));
	OK(certa_store_org_delete(s, o1, &E));
	certa_store_rollback(s);
	OK(certa_store_app_get(s, a1, &ag, &E));
	certa_app_rec_clear(&ag);
	OK(certa_store_org_delete(s, o1, &E));
	RC(certa_store_org_get(s, o1, NULL, &og, &E), CERTA_E_NOTFOUND);
	RC(certa_store_app_get(s, a1, &ag, &E), CERTA_E_NOTFOUND);
	OK(certa_store_cert_get(s, c1, &cr, &E));
	assert_int_equal(cr.app_id, 0);
	assert_int_equal(cr.status, CERTA_CERT_REVOKED);
	certa_cert_rec_clear(&cr);
	RC(certa_store_org_delete(s, o1, &E), CERTA_E_NOTFOUND);
	/* The other org is untouched. */
	OK(certa_store_cert_get(s, c3, &cr, &E));
	assert_int_equal(cr.app_id, a3);
	certa_cert_rec_clear(&cr);
	OK(certa_store_app_get(s, a3, &ag, &E));
	certa_app_rec_clear(&ag);
}

struct token_seen {
	const char	*id;
	int		 n;
	bool		 revoked;
};

static certa_rc
collect_token(const struct certa_token_rec *r, void *arg)
{
	struct token_seen	*t = arg;

	assert_non_null(r->name);
	assert_non_null(r->secret_hash);
	if (strcmp(r->id, t->id) == 0) {
		t->n++;
		t->revoked = r->revoked_at != 0;
	}
	return CERTA_OK;
}

static void
test_token(void **state)
{
	struct certa_store	*s = *state;
	struct certa_token_rec	 r, got;
	struct token_seen	 seen;
	char			 id1[17], id2[17], id3[17];
	const char		*hash = "9f86d081884c7d659a2feaa0c55ad015"
				    "a3bf4f1b2b0b822cd15d6c15b0f00a08";

	snprintf(id1, sizeof(id1), "a1%.14s", tag);
	snprintf(id2, sizeof(id2), "a2%.14s", tag);
	snprintf(id3, sizeof(id3), "a3%.14s", tag);
	memset(&r, 0, sizeof(r));
	r.id = id1;
	r.name = (char *)(uintptr_t)nm("tok");
	r.role = 4;
	r.secret_hash = (char *)(uintptr_t)hash;
	r.created_by = (char *)(uintptr_t)"test";
	r.created_at = now;
	OK(certa_store_token_put(s, &r, &E));
	/* Same id, or same live name: CONFLICT. */
	RC(certa_store_token_put(s, &r, &E), CERTA_E_CONFLICT);
	r.id = id2;
	RC(certa_store_token_put(s, &r, &E), CERTA_E_CONFLICT);
	assert_non_null(strstr(E.msg, nm("tok")));
	r.name = NULL;
	RC(certa_store_token_put(s, &r, &E), CERTA_E_INVAL);

	OK(certa_store_token_get(s, id1, NULL, &got, &E));
	assert_string_equal(got.id, id1);
	assert_string_equal(got.name, nm("tok"));
	assert_string_equal(got.secret_hash, hash);
	assert_string_equal(got.created_by, "test");
	assert_int_equal(got.role, 4);
	assert_int_equal(got.created_at, now);
	assert_int_equal(got.last_used_at, 0);
	assert_int_equal(got.revoked_at, 0);
	certa_token_rec_clear(&got);
	OK(certa_store_token_get(s, NULL, nm("tok"), &got, &E));
	assert_string_equal(got.id, id1);
	certa_token_rec_clear(&got);
	RC(certa_store_token_get(s, id2, NULL, &got, &E), CERTA_E_NOTFOUND);
	assert_null(got.id);
	RC(certa_store_token_get(s, NULL, NULL, &got, &E), CERTA_E_INVAL);

	/* last_used_at moves forward only. */
	OK(certa_store_token_touch(s, id1, now + 100, &E));
	OK(certa_store_token_touch(s, id1, now + 50, &E));
	OK(certa_store_token_get(s, id1, NULL, &got, &E));
	assert_int_equal(got.last_used_at, now + 100);
	certa_token_rec_clear(&got);
	RC(certa_store_token_touch(s, id2, now, &E), CERTA_E_NOTFOUND);

	/* Revoke: once; then the name is free, and get by name skips it. */
	RC(certa_store_token_revoke(s, id2, now, &E), CERTA_E_NOTFOUND);
	OK(certa_store_token_revoke(s, id1, now + 200, &E));
	RC(certa_store_token_revoke(s, id1, now + 300, &E), CERTA_E_CONFLICT);
	OK(certa_store_token_get(s, id1, NULL, &got, &E));
	assert_int_equal(got.revoked_at, now + 200);
	certa_token_rec_clear(&got);
	RC(certa_store_token_get(s, NULL, nm("tok"), &got, &E),
	    CERTA_E_NOTFOUND);
	r.id = id3;
	r.name = (char *)(uintptr_t)nm("tok");
	OK(certa_store_token_put(s, &r, &E));
	OK(certa_store_token_get(s, NULL, nm("tok"), &got, &E));
	assert_string_equal(got.id, id3);
	certa_token_rec_clear(&got);
	certa_token_rec_clear(NULL);

	seen.id = id1;
	seen.n = 0;
	OK(certa_store_token_each(s, collect_token, &seen, &E));
	assert_int_equal(seen.n, 1);
	assert_true(seen.revoked);
	seen.id = id3;
	seen.n = 0;
	OK(certa_store_token_each(s, collect_token, &seen, &E));
	assert_int_equal(seen.n, 1);
	assert_false(seen.revoked);
}

struct map_seen {
	int64_t		 id;
	int		 n;
	unsigned	 role;
};

static certa_rc
collect_map(const struct certa_role_map_rec *r, void *arg)
{
	struct map_seen	*m = arg;

	assert_non_null(r->kind);
	assert_non_null(r->value);
	if (r->id == m->id) {
		m->n++;
		m->role = r->role;
	}
	return CERTA_OK;
}

static void
test_role_map(void **state)
{
	struct certa_store		*s = *state;
	struct certa_role_map_rec	 r, got;
	struct map_seen			 seen;
	int64_t				 id;

	memset(&r, 0, sizeof(r));
	r.kind = (char *)(uintptr_t)"subject";
	r.value = (char *)(uintptr_t)nm("CN=alice,O=acme");
	r.role = 4;
	OK(certa_store_role_map_set(s, &r, &E));
	assert_true(r.id > 0);
	id = r.id;
	OK(certa_store_role_map_get(s, "subject", nm("CN=alice,O=acme"), &got,
	    &E));
	assert_int_equal(got.id, id);
	assert_string_equal(got.kind, "subject");
	assert_string_equal(got.value, nm("CN=alice,O=acme"));
	assert_int_equal(got.role, 4);
	assert_true(got.created_at > 0);
	certa_role_map_rec_clear(&got);
	/* The same key again replaces the role, keeping the id. */
	r.id = 0;
	r.role = 8;
	OK(certa_store_role_map_set(s, &r, &E));
	assert_int_equal(r.id, id);
	OK(certa_store_role_map_get(s, "subject", nm("CN=alice,O=acme"), &got,
	    &E));
	assert_int_equal(got.role, 8);
	certa_role_map_rec_clear(&got);
	/* Same value, other kind: another mapping. */
	r.kind = (char *)(uintptr_t)"fingerprint";
	r.id = 0;
	OK(certa_store_role_map_set(s, &r, &E));
	assert_true(r.id != id);
	r.kind = (char *)(uintptr_t)"issuer";
	RC(certa_store_role_map_set(s, &r, &E), CERTA_E_INVAL);
	RC(certa_store_role_map_get(s, "subject", nm("CN=bob"), &got, &E),
	    CERTA_E_NOTFOUND);
	assert_null(got.kind);

	seen.id = id;
	seen.n = 0;
	OK(certa_store_role_map_each(s, collect_map, &seen, &E));
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.role, 8);

	OK(certa_store_role_map_delete(s, "subject", nm("CN=alice,O=acme"),
	    &E));
	RC(certa_store_role_map_delete(s, "subject", nm("CN=alice,O=acme"),
	    &E), CERTA_E_NOTFOUND);
	RC(certa_store_role_map_get(s, "subject", nm("CN=alice,O=acme"), &got,
	    &E), CERTA_E_NOTFOUND);
	OK(certa_store_role_map_get(s, "fingerprint", nm("CN=alice,O=acme"),
	    &got, &E));
	certa_role_map_rec_clear(&got);
	certa_role_map_rec_clear(NULL);
	seen.n = 0;
	OK(certa_store_role_map_each(s, collect_map, &seen, &E));
	assert_int_equal(seen.n, 0);
}

/* Lifecycle requests: put/get round trip, atomic transitions, filters. */
static certa_rc
count_req(const struct certa_request_rec *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return CERTA_OK;
}

static void
test_request(void **state)
{
	struct certa_store		*s = *state;
	struct certa_request_rec	 r, got;
	struct certa_request_filter	 f;
	int64_t				 failed_id = 0;
	int64_t				 org = mk_org(s, nm("req-org"));
	int64_t				 app = mk_app(s, org, "app");
	bool				 req = true;
	int				 n;

	memset(&r, 0, sizeof(r));
	memset(&got, 0, sizeof(got));
	r.kind = (char *)(uintptr_t)"issue";
	r.state = (char *)(uintptr_t)"pending";
	r.app_id = app;
	r.type = (char *)(uintptr_t)"transport";
	r.csr = (uint8_t *)(uintptr_t)fake_der;
	r.csr_len = sizeof(fake_der);
	r.sans = (char *)(uintptr_t)"DNS:a, DNS:b";
	r.validity = 86400;
	r.reason = CERTA_REASON_NONE;
	r.requested_by = (char *)(uintptr_t)"test:bob";
	r.requested_role = (char *)(uintptr_t)"operator";
	r.grace = -1;
	OK(certa_store_request_put(s, &r, &E));
	assert_true(r.id > 0);
	assert_true(r.created_at > 0);
	OK(certa_store_request_get(s, r.id, &got, &E));
	assert_string_equal(got.kind, "issue");
	assert_string_equal(got.state, "pending");
	assert_int_equal(got.app_id, app);
	assert_int_equal(got.csr_len, sizeof(fake_der));
	assert_memory_equal(got.csr, fake_der, sizeof(fake_der));
	assert_string_equal(got.sans, "DNS:a, DNS:b");
	assert_int_equal(got.validity, 86400);
	assert_int_equal(got.reason, CERTA_REASON_NONE);
	assert_string_equal(got.requested_by, "test:bob");
	assert_string_equal(got.requested_role, "operator");
	assert_null(got.decided_by);
	assert_int_equal(got.grace, -1);
	certa_request_rec_clear(&got);

	/* Transitions are atomic: only from the state named. */
	OK(certa_store_request_transition(s, r.id, "pending", "approved",
	    "test:carol", NULL, 0, now, &E));
	RC(certa_store_request_transition(s, r.id, "pending", "approved",
	    "test:carol", NULL, 0, now, &E), CERTA_E_CONFLICT);
	assert_non_null(strstr(E.msg, "is approved"));
	RC(certa_store_request_transition(s, INT64_MAX - 1, "pending",
	    "approved", "x", NULL, 0, now, &E), CERTA_E_NOTFOUND);
	RC(certa_store_request_transition(s, r.id, "approved", "bogus", "x",
	    NULL, 0, now, &E), CERTA_E_INVAL);
	OK(certa_store_request_transition(s, r.id, "approved", "failed",
	    NULL, "why", 0, now + 1, &E));
	failed_id = r.id;
	OK(certa_store_request_get(s, r.id, &got, &E));
	assert_string_equal(got.state, "failed");
	assert_string_equal(got.decided_by, "test:carol");	/* kept */
	assert_string_equal(got.comment, "why");
	assert_int_equal(got.decided_at, now + 1);
	certa_request_rec_clear(&got);

	/* A bad kind; an unknown application. */
	r.kind = (char *)(uintptr_t)"bogus";
	RC(certa_store_request_put(s, &r, &E), CERTA_E_INVAL);
	r.kind = (char *)(uintptr_t)"revoke";
	r.app_id = INT64_MAX - 1;
	RC(certa_store_request_put(s, &r, &E), CERTA_E_NOTFOUND);

	/* Filters: state, and "due" (pending with grace_until passed). */
	r.app_id = app;
	r.grace_until = now + 100;
	OK(certa_store_request_put(s, &r, &E));
	memset(&f, 0, sizeof(f));
	f.kind = "revoke";
	f.after_id = r.id - 1;	/* not those of earlier runs (shared store) */
	f.due_before = now + 99;
	n = 0;
	OK(certa_store_request_each(s, &f, count_req, &n, &E));
	assert_int_equal(n, 0);
	f.due_before = now + 100;
	OK(certa_store_request_each(s, &f, count_req, &n, &E));
	assert_int_equal(n, 1);
	memset(&f, 0, sizeof(f));
	f.state = "failed";
	/* Ids grow but need not be dense (PostgreSQL sequences skip the
	 * values of failed inserts): page from just before the failed one. */
	f.after_id = failed_id - 1;
	n = 0;
	OK(certa_store_request_each(s, &f, count_req, &n, &E));
	assert_true(n >= 1);

	/* Approval policy of an organisation. */
	OK(certa_store_org_get_approval(s, org, &req, &E));
	assert_false(req);
	OK(certa_store_org_set_approval(s, org, true, &E));
	OK(certa_store_org_get_approval(s, org, &req, &E));
	assert_true(req);
	RC(certa_store_org_set_approval(s, INT64_MAX - 1, true, &E),
	    CERTA_E_NOTFOUND);
	RC(certa_store_org_get_approval(s, INT64_MAX - 1, &req, &E),
	    CERTA_E_NOTFOUND);
	/* Deleting the application keeps the request, unlinked. */
	OK(certa_store_app_delete(s, app, &E));
	OK(certa_store_request_get(s, r.id, &got, &E));
	assert_int_equal(got.app_id, 0);
	certa_request_rec_clear(&got);
}

/* --- the change feed (certa_store_watch) ------------------------------- */

struct feed_seen {
	pthread_mutex_t	 mu;
	unsigned	 calls;
	uint64_t	 last;
};

static void
feed_cb(uint64_t gen, void *arg)
{
	struct feed_seen	*f = arg;

	pthread_mutex_lock(&f->mu);
	f->calls++;
	f->last = gen;
	pthread_mutex_unlock(&f->mu);
}

/* Wait (at most ms) until the callback ran more than `after` times with
 * generation want (0: any); the milliseconds it took, or -1. */
static long
feed_wait_for(struct feed_seen *f, unsigned after, uint64_t want, long ms)
{
	struct timespec	 t0, t1;
	long		 el;
	bool		 ok;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pthread_mutex_lock(&f->mu);
		ok = f->calls > after && (want == 0 || f->last == want);
		pthread_mutex_unlock(&f->mu);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		el = (t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (ok)
			return el;
		if (el > ms)
			return -1;
		nanosleep(&(struct timespec){ .tv_nsec = 2 * 1000 * 1000 },
		    NULL);
	}
}

static unsigned
feed_calls(struct feed_seen *f)
{
	unsigned	n;

	pthread_mutex_lock(&f->mu);
	n = f->calls;
	pthread_mutex_unlock(&f->mu);
	return n;
}

static uint64_t
fast_generation(struct certa_store *s)
{
	uint64_t	 g = 0;

	OK(certa_store_trust_generation_fast(s, &g, &E));
	return g;
}

/* Kill the feed's session (application_name certa-feed). */
static void
pg_cut_feed(void)
{
	PGconn		*c = PQconnectdb(dsn);
	PGresult	*r;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	r = PQexec(c, "SELECT count(pg_terminate_backend(pid)) FROM "
	    "pg_stat_activity WHERE application_name = 'certa-feed'");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_string_equal(PQgetvalue(r, 0, 0), "1");	/* one per DSN */
	PQclear(r);
	PQfinish(c);
}

static void
test_change_feed(void **state)
{
	struct certa_store	*s = *state, *other = NULL;
	struct certa_store_watch *w = NULL, *w2 = NULL;
	struct certa_trust_rec	 r;
	struct feed_seen	 f = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct feed_seen	 f2 = { .mu = PTHREAD_MUTEX_INITIALIZER };
	unsigned		 n;
	uint64_t		 g;
	long			 ms;

	fill_trust(&r, nm("feed-a"), "trusted", 9001);
	OK(certa_store_trust_put(s, &r, &E));
	OK(certa_store_watch(s, feed_cb, &f, &w, &E));
	if (!is_postgres) {
		/*
		 * No feed on SQLite: the fast read answers from memory until
		 * the directory is written.  A commit by another handle (or
		 * process) is seen by the very next call, every time.
		 */
		assert_null(w);
		assert_int_equal(fast_generation(s), generation(s));
		OK(certa_store_open(&other, dsn, &E));
		for (n = 0; n < 50; n++) {
			OK(certa_store_trust_set_list(other, nm("feed-a"),
			    n % 2 ? "trusted" : "issuer", &E));
			g = generation(other);
			assert_int_equal(fast_generation(s), g);
			assert_int_equal(fast_generation(s), g);
		}
		certa_store_close(other);
		/* No directory to watch (an in-memory database): every
		 * call reads, and sees its own handle's commits. */
		OK(certa_store_open(&other, "sqlite::memory:", &E));
		fill_trust(&r, nm("feed-m"), "trusted", 9002);
		OK(certa_store_trust_put(other, &r, &E));
		for (n = 0; n < 3; n++) {
			OK(certa_store_trust_set_list(other, nm("feed-m"),
			    n % 2 ? "trusted" : "issuer", &E));
			assert_int_equal(fast_generation(other),
			    generation(other));
		}
		certa_store_close(other);
		return;
	}
	assert_non_null(w);
	/* Connected: a first callback (a resynchronisation), then the
	 * generation is served from memory and is the database's. */
	assert_true(feed_wait_for(&f, 0, 0, 5000) >= 0);
	assert_int_equal(fast_generation(s), generation(s));

	/* A second watcher shares the connection (pg_cut_feed counts 1). */
	OK(certa_store_watch(s, feed_cb, &f2, &w2, &E));

	/* Another handle (another node) commits a change: pushed. */
	OK(certa_store_open(&other, dsn, &E));
	n = feed_calls(&f);
	OK(certa_store_trust_set_list(other, nm("feed-a"), "issuer", &E));
	g = generation(other);
	ms = feed_wait_for(&f, n, g, 1000);
	assert_true(ms >= 0);
	assert_true(feed_wait_for(&f2, 0, g, 1000) >= 0);
	assert_int_equal(fast_generation(s), g);

	/* This process's own commit: visible at once, before any push. */
	OK(certa_store_begin(s, &E));
	OK(certa_store_trust_set_list(s, nm("feed-a"), "trusted", &E));
	assert_int_equal(fast_generation(s), g);	/* not committed */
	OK(certa_store_commit(s, &E));
	g = generation(s);
	assert_int_equal(fast_generation(s), g);

	/* A rolled-back change is neither notified nor published. */
	assert_true(feed_wait_for(&f, 0, g, 1000) >= 0);
	n = feed_calls(&f);
	OK(certa_store_begin(other, &E));
	OK(certa_store_trust_set_list(other, nm("feed-a"), "issuer", &E));
	certa_store_rollback(other);
	nanosleep(&(struct timespec){ .tv_nsec = 300 * 1000 * 1000 }, NULL);
	assert_int_equal(feed_calls(&f), n);
	assert_int_equal(fast_generation(s), g);

	/* The feed's connection dies and a change is made meanwhile: it
	 * reconnects by itself and resynchronises (nothing missed). */
	pg_cut_feed();
	OK(certa_store_trust_set_list(other, nm("feed-a"), "issuer", &E));
	g = generation(other);
	assert_true(feed_wait_for(&f, n, g, 8000) >= 0);
	assert_int_equal(fast_generation(s), g);

	/* Unwatched: the callback never runs again; the other watcher's
	 * still does, and the last unwatch stops the feed. */
	certa_store_unwatch(w);
	w = NULL;
	n = feed_calls(&f);
	OK(certa_store_trust_set_list(other, nm("feed-a"), "trusted", &E));
	g = generation(other);
	assert_true(feed_wait_for(&f2, 0, g, 1000) >= 0);
	assert_int_equal(feed_calls(&f), n);
	certa_store_unwatch(w2);
	w2 = NULL;
	assert_int_equal(fast_generation(s), g);	/* read, no feed */
	certa_store_close(other);
}

static void
sqlite_path(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", tmpdir, name);
}

/* Terminate every other connection named "certa" (the store's). */
static void
pg_cut(void)
{
	PGconn		*c = PQconnectdb(dsn);
	PGresult	*r;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	r = PQexec(c, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
	    "WHERE application_name = 'certa' AND pid <> pg_backend_pid()");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	PQclear(r);
	PQfinish(c);
	nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
}

static void
test_postgres_backend(void **state)
{
	struct certa_store	*s = NULL;
	char			*v = NULL, dead[128];
	struct timespec		 t0, t1;
	int			 fd;
	struct sockaddr_in	 sa;
	socklen_t		 salen = sizeof(sa);

	(void)state;
	if (!is_postgres)
		skip();
	/* A server that is not there: STORE at once, and a clear message. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);
	close(fd);		/* a port nobody listens on */
	snprintf(dead, sizeof(dead), "postgresql://certa@127.0.0.1:%d/x",
	    ntohs(sa.sin_port));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	RC(certa_store_open(&s, dead, &E), CERTA_E_STORE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_null(s);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	assert_non_null(strstr(E.msg, "unreachable"));
	assert_null(strchr(E.msg, '\n'));
	RC(certa_store_open(&s, "postgresql://a b c", &E), CERTA_E_STORE);
	assert_null(s);
	OK(certa_store_open(&s, dsn, &E));
	assert_string_equal(certa_store_backend(s), "postgres");

	/* Outside a transaction a lost connection is re-established. */
	OK(certa_store_meta_set(s, nm("pg-k"), "1", &E));
	pg_cut();
	OK(certa_store_meta_get(s, nm("pg-k"), &v, &E));
	assert_string_equal(v, "1");
	free(v);
	v = NULL;

	/* Inside one it is final: AGAIN, nothing committed, then usable. */
	OK(certa_store_begin(s, &E));
	OK(certa_store_meta_set(s, nm("pg-k"), "2", &E));
	pg_cut();
	RC(certa_store_meta_set(s, nm("pg-k"), "3", &E), CERTA_E_AGAIN);
	assert_non_null(strstr(E.msg, "nothing was committed"));
	RC(certa_store_meta_set(s, nm("pg-k"), "4", &E), CERTA_E_AGAIN);
	RC(certa_store_commit(s, &E), CERTA_E_AGAIN);
	certa_store_rollback(s);
	OK(certa_store_meta_get(s, nm("pg-k"), &v, &E));
	assert_string_equal(v, "1");
	free(v);
	v = NULL;

	/* A statement that failed does not poison the caller's transaction
	 * (a savepoint), and a transaction PostgreSQL aborted is not
	 * reported committed. */
	OK(certa_store_begin(s, &E));
	OK(certa_store_meta_set(s, nm("pg-k"), "5", &E));
	RC(certa_store_org_put(s, &(struct certa_org_rec){ .name =
	    (char *)(uintptr_t)nm("pg-org") }, &E), CERTA_OK);
	RC(certa_store_org_put(s, &(struct certa_org_rec){ .name =
	    (char *)(uintptr_t)nm("pg-org") }, &E), CERTA_E_CONFLICT);
	OK(certa_store_commit(s, &E));
	OK(certa_store_meta_get(s, nm("pg-k"), &v, &E));
	assert_string_equal(v, "5");
	free(v);
	certa_store_close(s);
}

static void
test_sqlite_backend(void **state)
{
	struct certa_store	*s = NULL;
	struct stat		 sb;
	sqlite3			*db = NULL;
	sqlite3_stmt		*st = NULL;
	char			 path[256], d[300];
	int			 fd, version, i;

	(void)state;
	if (!is_sqlite)
		skip();

	/* A fresh store: mode 0600, WAL, "sqlite:" and bare path alike. */
	sqlite_path(path, sizeof(path), "fresh.db");
	snprintf(d, sizeof(d), "sqlite:%s", path);
	OK(certa_store_open(&s, d, &E));
	version = certa_store_schema_version(s);
	(void)mk_org(s, "x");
	certa_store_close(s);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	st = NULL;
	OK(certa_store_open(&s, path, &E));
	assert_int_equal(certa_store_schema_version(s), version);
	RC(certa_store_org_put(s, &(struct certa_org_rec){ .name = "x" },
	    &E), CERTA_E_CONFLICT);
	certa_store_close(s);
	s = NULL;

	/* Written by a newer certa: refused, untouched. */
	assert_int_equal(sqlite3_exec(db, "UPDATE schema_version SET "
	    "version = 9999", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	RC(certa_store_open(&s, d, &E), CERTA_E_CONFLICT);
	assert_null(s);
	assert_non_null(strstr(E.msg, "schema version 9999"));
	assert_non_null(strstr(E.msg, "upgrade certa"));
	assert_non_null(strstr(E.msg, path));

	/* Not a database at all. */
	sqlite_path(path, sizeof(path), "junk.db");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(write(fd, "this is not a database, at all\n",
		    31), 31);
	close(fd);
	RC(certa_store_open(&s, path, &E), CERTA_E_STORE);
	assert_null(s);
	assert_non_null(strstr(E.msg, "not a SQLite database"));

	/* A directory that does not exist. */
	sqlite_path(path, sizeof(path), "nodir/x.db");
	RC(certa_store_open(&s, path, &E), CERTA_E_STORE);
	assert_null(s);
	RC(certa_store_open(&s, "sqlite:", &E), CERTA_E_STORE);
}

/*
 * SQLite only: a writer waits for another process's write lock (the busy
 * timeout) instead of failing.
 */
static void
test_sqlite_busy_wait(void **state)
{
	struct certa_store	*s = NULL;
	struct timespec		 t0, t1;
	sqlite3			*db = NULL;
	char			 path[256], ch = 'x';
	pid_t			 pid;
	int			 locked[2], st;
	double			 waited;

	(void)state;
	if (!is_sqlite)
		skip();
	sqlite_path(path, sizeof(path), "busy.db");
	OK(certa_store_open(&s, path, &E));
	certa_store_close(s);
	s = NULL;
	assert_int_equal(pipe(locked), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(locked[0]);
		if (sqlite3_open(path, &db) != SQLITE_OK ||
		    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
		    SQLITE_OK || write(locked[1], &ch, 1) != 1)
			_exit(1);
		sleep(1);
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			_exit(1);
		sqlite3_close(db);
		_exit(0);
	}
	close(locked[1]);
	assert_int_equal(read(locked[0], &ch, 1), 1);
	close(locked[0]);
	OK(certa_store_open(&s, path, &E));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	OK(certa_store_begin(s, &E));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	(void)mk_org(s, "waited");
	OK(certa_store_commit(s, &E));
	certa_store_close(s);
	waited = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(waited > 0.5);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* SQLite only: processes opening one fresh file at once migrate it once. */
static void
test_sqlite_migrate_race(void **state)
{
	struct certa_store	*s = NULL;
	struct certa_org_rec	 o;
	struct collect		 c = { .n = 0 };
	char			 path[256], name[32], ch;
	pid_t			 pid[4];
	int			 go[2], st, k;

	(void)state;
	if (!is_sqlite)
		skip();
	sqlite_path(path, sizeof(path), "race.db");
	assert_int_equal(pipe(go), 0);
	for (k = 0; k < 4; k++) {
		pid[k] = fork();
		assert_true(pid[k] >= 0);
		if (pid[k] != 0)
			continue;
		close(go[1]);
		if (read(go[0], &ch, 1) < 0)
			_exit(2);
		certa_err_clear(&E);
		memset(&o, 0, sizeof(o));
		snprintf(name, sizeof(name), "org%d", k);
		o.name = name;
		if (certa_store_open(&s, path, &E) != CERTA_OK ||
		    certa_store_org_put(s, &o, &E) != CERTA_OK) {
			fprintf(stderr, "child %d: %s\n", k, E.msg);
			_exit(1);
		}
		certa_store_close(s);
		_exit(0);
	}
	close(go[0]);
	close(go[1]);
	for (k = 0; k < 4; k++) {
		assert_int_equal(waitpid(pid[k], &st, 0), pid[k]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	OK(certa_store_open(&s, path, &E));
	assert_true(certa_store_schema_version(s) >= 1);
	OK(certa_store_org_each(s, collect_org, &c, &E));
	assert_int_equal(c.n, 4);
	certa_store_close(s);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_open_reopen),
		cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_org, setup, teardown),
		cmocka_unit_test_setup_teardown(test_app, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cert_each, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_import, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_org_app_rename_delete,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_role_map, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_trust, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trust_subject, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_trust_knock, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_trust_knock_race, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cluster, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crl_latest, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_trust_crl, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_change_feed, setup,
		    teardown),
		cmocka_unit_test(test_postgres_backend),
		cmocka_unit_test(test_sqlite_backend),
		cmocka_unit_test(test_sqlite_busy_wait),
		cmocka_unit_test(test_sqlite_migrate_race),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
