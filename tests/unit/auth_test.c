/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of include/certa/auth.h (tokens, roles, the role map) and of
 * renaming and deleting organisations and applications (certa.h).  One
 * data directory under a mkdtemp directory serves every test; names carry
 * the test's name so the tests do not depend on each other.  The store is
 * read directly (store.h) to check what is kept: hashes, not secrets.
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

#include <openssl/evp.h>

#include <certa/auth.h>
#include <certa/certa.h>
#include <certa/store.h>
#include <certa/util.h>

#include "testutil.h"

#define PASS		"correct horse battery staple"
#define DENIED		"invalid or revoked token"

static char		 base[64];
static char		 passfile[128];
static char		 dir[128];
static struct certa_ctx	*ctx;

static int
group_setup(void **state)
{
	(void)state;
	if (test_data_dir("auth", PASS, base, passfile, dir, &ctx) != 0)
		return -1;
	certa_ctx_set_actor(ctx, "test:alice");
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	certa_close(ctx);
	rm_rf(base);
	return 0;
}

/*
 * Audit records of action (NULL: all): how many (actions), and how many of
 * their fields hold text (hits).
 */
struct audit_find {
	const char	*text;
	const char	*action;
	int		 hits;
	int		 actions;
};

static certa_rc
audit_row(const struct certa_audit_rec *r, void *arg)
{
	struct audit_find	*a = arg;
	const char		*f[] = { r->actor, r->action, r->object,
				    r->outcome, r->details };
	size_t			 i;

	if (a->action != NULL && strcmp(r->action, a->action) != 0)
		return CERTA_OK;
	a->actions++;
	for (i = 0; i < NELEM(f); i++)
		if (a->text != NULL && f[i] != NULL &&
		    strstr(f[i], a->text) != NULL)
			a->hits++;
	return CERTA_OK;
}

static struct audit_find
audit_find(const char *text, const char *action)
{
	struct audit_find	 a = { text, action, 0, 0 };

	OK(certa_store_audit_each(certa_ctx_store(ctx), 0, audit_row, &a,
	    &E));
	return a;
}

static void
assert_audit_intact(void)
{
	int64_t	 bad = -1, n = 0;

	OK(certa_audit_verify(ctx, &bad, &n, &E));
	assert_int_equal(bad, 0);
	assert_true(n > 0);
}

/* Check a token; on OK return its role, else assert the generic error. */
static certa_rc
check(const char *token, unsigned *role, char *name, size_t len)
{
	certa_rc	 rc;

	certa_err_clear(&E);
	rc = certa_token_check(ctx, token, role, name, len, &E);
	if (rc != CERTA_OK) {
		assert_int_equal(rc, CERTA_E_NOTFOUND);
		assert_string_equal(E.msg, DENIED);
		assert_int_equal(*role, 0);
	}
	return rc;
}

static void
test_roles(void **state)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} t[] = {
		{ "admin", CERTA_ROLE_ADMIN },
		{ "approver", CERTA_ROLE_APPROVER },
		{ "operator", CERTA_ROLE_OPERATOR },
		{ "auditor", CERTA_ROLE_AUDITOR },
	};
	unsigned	 r;
	size_t		 i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		OK(certa_role_parse(t[i].name, &r, &E));
		assert_int_equal(r, t[i].bit);
		assert_string_equal(certa_role_name(t[i].bit), t[i].name);
	}
	RC(certa_role_parse("Admin", &r, &E), CERTA_E_PARSE);
	assert_int_equal(r, 0);
	RC(certa_role_parse("", &r, &E), CERTA_E_PARSE);
	RC(certa_role_parse("root", &r, &E), CERTA_E_PARSE);
	assert_string_equal(certa_role_name(0), "none");
	assert_string_equal(certa_role_name(CERTA_ROLE_ANY), "none");
}

static void
test_token_create_check(void **state)
{
	struct certa_token_info	 t;
	struct certa_token_rec	 row;
	char			 tok[CERTA_TOKEN_MAX], name[65], small[4];
	unsigned		 role = 0;
	size_t			 i;

	(void)state;
	OK(certa_token_create(ctx, CERTA_ROLE_OPERATOR, "ci-deploy", tok, &t,
	    &E));
	/* certa_ + 16 hex + _ + 43 base64url */
	assert_int_equal(strlen(tok), 6 + 16 + 1 + 43);
	assert_memory_equal(tok, "certa_", 6);
	assert_int_equal(strspn(tok + 6, "0123456789abcdef"), 16);
	assert_int_equal(tok[22], '_');
	for (i = 23; tok[i] != '\0'; i++)
		assert_true(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		    "qrstuvwxyz0123456789-_", tok[i]) != NULL);
	assert_memory_equal(t.id, tok + 6, 16);
	assert_string_equal(t.name, "ci-deploy");
	assert_int_equal(t.role, CERTA_ROLE_OPERATOR);
	assert_string_equal(t.created_by, "test:alice");
	assert_true(t.created_at > 0);
	assert_int_equal(t.last_used_at, 0);
	assert_int_equal(t.revoked_at, 0);

	OK(check(tok, &role, name, sizeof(name)));
	assert_int_equal(role, CERTA_ROLE_OPERATOR);
	assert_string_equal(name, "ci-deploy");
	/* The use is recorded; a name buffer may be short or absent. */
	OK(certa_store_token_get(certa_ctx_store(ctx), t.id, NULL, &row, &E));
	assert_true(row.last_used_at >= t.created_at);
	certa_token_rec_clear(&row);
	OK(check(tok, &role, small, sizeof(small)));
	assert_string_equal(small, "ci-");
	OK(check(tok, &role, NULL, 0));

	/* Two tokens never share an id or secret. */
	{
		char			 tok2[CERTA_TOKEN_MAX];
		struct certa_token_info	 t2;

		OK(certa_token_create(ctx, CERTA_ROLE_AUDITOR, NULL, tok2, &t2,
		    &E));
		assert_string_not_equal(tok, tok2);
		assert_memory_not_equal(tok + 23, tok2 + 23, 43);
		/* The default name. */
		assert_memory_equal(t2.name, "token-", 6);
		assert_string_equal(t2.name + 6, t2.id);
		OK(check(tok2, &role, name, sizeof(name)));
		assert_int_equal(role, CERTA_ROLE_AUDITOR);
		certa_token_info_clear(&t2);
	}
	certa_token_info_clear(&t);
	certa_token_info_clear(NULL);
	assert_audit_intact();
}

static void
test_token_bad(void **state)
{
	struct certa_token_info	 t;
	char			 tok[CERTA_TOKEN_MAX], bad[CERTA_TOKEN_MAX * 2];
	char			 other[CERTA_TOKEN_MAX];
	unsigned		 role = 99;
	size_t			 i, n;
	const char		*rows[] = {
		"", "certa_", "certa", "x", "Bearer certa_",
		"certa_0123456789abcdef_",
		"certa_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};

	(void)state;
	OK(certa_token_create(ctx, CERTA_ROLE_ADMIN, "bad-tests", tok, &t,
	    &E));
	n = strlen(tok);

	/* Malformed: fixed strings. */
	for (i = 0; i < NELEM(rows); i++)
		if (check(rows[i], &role, NULL, 0) != CERTA_E_NOTFOUND)
			BAD("row %zu accepted: '%s'", i, rows[i]);
	assert_int_equal(check(NULL, &role, NULL, 0), CERTA_E_NOTFOUND);

	/* Malformed: edits of a good token. */
#define EDIT(...) do {							\
	snprintf(bad, sizeof(bad), __VA_ARGS__);			\
	role = 99;							\
	if (check(bad, &role, NULL, 0) != CERTA_E_NOTFOUND)		\
		BAD("accepted: '%s'", bad);				\
} while (0)
	EDIT("%.*s", (int)(n - 1), tok);		/* too short */
	EDIT("%sA", tok);				/* extra char */
	EDIT("%s ", tok);				/* trailing space */
	EDIT(" %s", tok);				/* leading space */
	EDIT("%s\n", tok);
	EDIT("Certa_%s", tok + 6);			/* bad prefix */
	EDIT("certa-%s", tok + 6);
	EDIT("xerta_%s", tok + 6);
	EDIT("certa_%.15sg%s", tok + 6, tok + 22);	/* non-hex id */
	EDIT("certa_%.15sF%s", tok + 6, tok + 22);	/* upper case id */
	EDIT("%.22s-%s", tok, tok + 23);		/* separator */
	EDIT("%.40s+%s", tok, tok + 41);		/* not base64url */
	EDIT("%.40s=%s", tok, tok + 41);
	/* Wrong secret: right id, one character changed. */
	snprintf(bad, sizeof(bad), "%s", tok);
	bad[n - 1] = bad[n - 1] == 'A' ? 'B' : 'A';
	if (check(bad, &role, NULL, 0) != CERTA_E_NOTFOUND)
		BAD("wrong secret accepted");
	/* Unknown id, well-formed. */
	snprintf(bad, sizeof(bad), "%s", tok);
	bad[6] = bad[6] == 'a' ? 'b' : 'a';
	if (check(bad, &role, NULL, 0) != CERTA_E_NOTFOUND)
		BAD("unknown id accepted");
	/* Another token's secret under this id. */
	OK(certa_token_create(ctx, CERTA_ROLE_ADMIN, "bad-other", other, NULL,
	    &E));
	snprintf(bad, sizeof(bad), "%.23s%s", tok, other + 23);
	if (check(bad, &role, NULL, 0) != CERTA_E_NOTFOUND)
		BAD("secret of another token accepted");
#undef EDIT
	TABLE_DONE();

	/* Still good; then revoked: refused like the rest. */
	OK(check(tok, &role, NULL, 0));
	OK(certa_token_revoke(ctx, t.id, &E));
	assert_int_equal(check(tok, &role, NULL, 0), CERTA_E_NOTFOUND);
	certa_token_info_clear(&t);
}

static void
test_token_revoke(void **state)
{
	struct certa_token_info	 t1, t2;
	char			 tok[CERTA_TOKEN_MAX];
	unsigned		 role;

	(void)state;
	OK(certa_token_create(ctx, CERTA_ROLE_ADMIN, "rev-1", tok, &t1, &E));
	OK(certa_token_create(ctx, CERTA_ROLE_ADMIN, "rev-2", tok, &t2, &E));
	/* By id, then again: CONFLICT. */
	OK(certa_token_revoke(ctx, t1.id, &E));
	RC(certa_token_revoke(ctx, t1.id, &E), CERTA_E_CONFLICT);
	/* By name, then again (the name now names only a revoked one). */
	OK(certa_token_revoke(ctx, "rev-2", &E));
	RC(certa_token_revoke(ctx, "rev-2", &E), CERTA_E_CONFLICT);
	RC(certa_token_revoke(ctx, t2.id, &E), CERTA_E_CONFLICT);
	assert_int_equal(check(tok, &role, NULL, 0), CERTA_E_NOTFOUND);
	RC(certa_token_revoke(ctx, "no-such-token", &E), CERTA_E_NOTFOUND);
	RC(certa_token_revoke(ctx, "0000000000000000", &E), CERTA_E_NOTFOUND);
	RC(certa_token_revoke(ctx, "", &E), CERTA_E_INVAL);
	assert_int_equal(audit_find(t1.id, "token.revoke").hits, 1);
	certa_token_info_clear(&t1);
	certa_token_info_clear(&t2);
	assert_audit_intact();
}

static void
test_token_names(void **state)
{
	struct certa_token_info	 t;
	char			 tok[CERTA_TOKEN_MAX], tok2[CERTA_TOKEN_MAX];
	char			 longname[80];
	unsigned		 role;

	(void)state;
	OK(certa_token_create(ctx, CERTA_ROLE_ADMIN, "dup", tok, &t, &E));
	RC(certa_token_create(ctx, CERTA_ROLE_ADMIN, "dup", tok2, NULL, &E),
	    CERTA_E_CONFLICT);
	assert_string_equal(tok2, "");	/* no half-made token */
	assert_non_null(strstr(E.msg, "dup"));
	/* The failed create left neither a row nor an audit record. */
	assert_int_equal(audit_find("\"dup\"", "token.create").hits, 1);
	/* A revoked token's name is free again. */
	OK(certa_token_revoke(ctx, "dup", &E));
	OK(certa_token_create(ctx, CERTA_ROLE_ADMIN, "dup", tok2, NULL, &E));
	OK(check(tok2, &role, NULL, 0));
	assert_int_equal(check(tok, &role, NULL, 0), CERTA_E_NOTFOUND);

	memset(longname, 'n', 64);
	longname[64] = '\0';
	OK(certa_token_create(ctx, CERTA_ROLE_ADMIN, longname, tok2, NULL,
	    &E));
	longname[64] = 'n';
	longname[65] = '\0';
	RC(certa_token_create(ctx, CERTA_ROLE_ADMIN, longname, tok2, NULL,
	    &E), CERTA_E_PARSE);
	RC(certa_token_create(ctx, CERTA_ROLE_ADMIN, "", tok2, NULL, &E),
	    CERTA_E_PARSE);
	RC(certa_token_create(ctx, CERTA_ROLE_ADMIN, "a\tb", tok2, NULL, &E),
	    CERTA_E_PARSE);
	RC(certa_token_create(ctx, 0, "r0", tok2, NULL, &E), CERTA_E_INVAL);
	RC(certa_token_create(ctx, CERTA_ROLE_ANY, "r1", tok2, NULL, &E),
	    CERTA_E_INVAL);
	RC(certa_token_create(ctx, 0x10, "r2", tok2, NULL, &E),
	    CERTA_E_INVAL);
	certa_token_info_clear(&t);
}

/* What the store keeps is SHA-256 of the secret part, never the secret. */
static void
test_token_stored_hash(void **state)
{
	struct certa_token_info	 t;
	struct certa_token_rec	 row;
	char			 tok[CERTA_TOKEN_MAX], hex[65];
	unsigned char		 md[32];
	size_t			 mdlen = 0, i;
	const char		*secret;

	(void)state;
	OK(certa_token_create(ctx, CERTA_ROLE_APPROVER, "hash-test", tok, &t,
	    &E));
	secret = tok + 23;
	OK(certa_store_token_get(certa_ctx_store(ctx), t.id, NULL, &row, &E));
	assert_int_equal(strlen(row.secret_hash), 64);
	assert_null(strstr(row.secret_hash, secret));
	assert_null(strstr(tok, row.secret_hash));
	assert_int_equal(EVP_Q_digest(NULL, "SHA256", NULL, secret,
	    strlen(secret), md, &mdlen), 1);
	assert_int_equal(mdlen, 32);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(row.secret_hash, hex);
	assert_int_equal(row.role, CERTA_ROLE_APPROVER);

	/* The audit log has the creation, and neither secret nor hash. */
	assert_int_equal(audit_find(t.id, "token.create").hits, 1);
	assert_int_equal(audit_find(secret, NULL).hits, 0);
	assert_int_equal(audit_find(row.secret_hash, NULL).hits, 0);
	assert_int_equal(audit_find(tok + 6, NULL).hits, 0);
	certa_token_rec_clear(&row);
	certa_token_info_clear(&t);
}

struct token_list {
	const char	*id;
	int		 seen;
	bool		 revoked;
};

static certa_rc
token_row(const struct certa_token_info *t, void *arg)
{
	struct token_list	*l = arg;

	assert_non_null(t->name);
	if (strcmp(t->id, l->id) == 0) {
		l->seen++;
		l->revoked = t->revoked_at != 0;
	}
	return CERTA_OK;
}

static void
test_token_each(void **state)
{
	struct certa_token_info	 t;
	struct token_list	 l;
	char			 tok[CERTA_TOKEN_MAX];

	(void)state;
	OK(certa_token_create(ctx, CERTA_ROLE_ADMIN, "each", tok, &t, &E));
	memset(&l, 0, sizeof(l));
	l.id = t.id;
	OK(certa_token_each(ctx, token_row, &l, &E));
	assert_int_equal(l.seen, 1);
	assert_false(l.revoked);
	OK(certa_token_revoke(ctx, t.id, &E));
	l.seen = 0;
	OK(certa_token_each(ctx, token_row, &l, &E));
	assert_int_equal(l.seen, 1);
	assert_true(l.revoked);
	certa_token_info_clear(&t);
}

static certa_rc
map_count(const struct certa_role_map_info *m, void *arg)
{
	assert_non_null(m->kind);
	assert_non_null(m->value);
	(*(int *)arg)++;
	return CERTA_OK;
}

static void
test_role_map(void **state)
{
	const char	*fp = "0123456789abcdef0123456789abcdef"
			    "0123456789abcdef0123456789abcdef";
	const char	*fp_colons = "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
			    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
			    "AB:CD:EF";
	const char	*subj = "CN=alice,O=acme";
	unsigned	 role = 0;
	int		 n = 0;

	(void)state;
	RC(certa_role_for_cert(ctx, subj, fp, &role, &E), CERTA_E_NOTFOUND);
	assert_int_equal(role, 0);
	OK(certa_role_map_set(ctx, "subject", subj, CERTA_ROLE_OPERATOR, &E));
	OK(certa_role_for_cert(ctx, subj, fp, &role, &E));
	assert_int_equal(role, CERTA_ROLE_OPERATOR);
	OK(certa_role_for_cert(ctx, subj, NULL, &role, &E));
	assert_int_equal(role, CERTA_ROLE_OPERATOR);
	/* Subjects match exactly. */
	RC(certa_role_for_cert(ctx, "CN=Alice,O=acme", NULL, &role, &E),
	    CERTA_E_NOTFOUND);
	/* The fingerprint wins over the subject, in any spelling. */
	OK(certa_role_map_set(ctx, "fingerprint", fp_colons, CERTA_ROLE_ADMIN,
	    &E));
	OK(certa_role_for_cert(ctx, subj, fp, &role, &E));
	assert_int_equal(role, CERTA_ROLE_ADMIN);
	OK(certa_role_for_cert(ctx, "CN=other", fp, &role, &E));
	assert_int_equal(role, CERTA_ROLE_ADMIN);
	/* Set again: the role is replaced. */
	OK(certa_role_map_set(ctx, "fingerprint", fp, CERTA_ROLE_AUDITOR,
	    &E));
	OK(certa_role_for_cert(ctx, NULL, fp, &role, &E));
	assert_int_equal(role, CERTA_ROLE_AUDITOR);
	OK(certa_role_map_each(ctx, map_count, &n, &E));
	assert_int_equal(n, 2);

	/* Bad input. */
	RC(certa_role_map_set(ctx, "issuer", subj, CERTA_ROLE_ADMIN, &E),
	    CERTA_E_PARSE);
	RC(certa_role_map_set(ctx, "fingerprint", "abcd", CERTA_ROLE_ADMIN,
	    &E), CERTA_E_PARSE);
	RC(certa_role_map_set(ctx, "fingerprint", "zz", CERTA_ROLE_ADMIN, &E),
	    CERTA_E_PARSE);
	RC(certa_role_map_set(ctx, "subject", "", CERTA_ROLE_ADMIN, &E),
	    CERTA_E_PARSE);
	RC(certa_role_map_set(ctx, "subject", "CN=a\nb", CERTA_ROLE_ADMIN,
	    &E), CERTA_E_PARSE);
	RC(certa_role_map_set(ctx, "subject", subj, 0, &E), CERTA_E_INVAL);

	/* Remove. */
	OK(certa_role_map_remove(ctx, "fingerprint", fp_colons, &E));
	RC(certa_role_map_remove(ctx, "fingerprint", fp, &E),
	    CERTA_E_NOTFOUND);
	OK(certa_role_for_cert(ctx, subj, fp, &role, &E));
	assert_int_equal(role, CERTA_ROLE_OPERATOR);
	OK(certa_role_map_remove(ctx, "subject", subj, &E));
	RC(certa_role_for_cert(ctx, subj, fp, &role, &E), CERTA_E_NOTFOUND);
	RC(certa_role_map_remove(ctx, "nope", subj, &E), CERTA_E_PARSE);

	assert_int_equal(audit_find(NULL, "role_map.set").actions, 3);
	assert_int_equal(audit_find(NULL, "role_map.remove").actions, 2);
	assert_audit_intact();
}

/* Issue one certificate to app_id; returns its id. */
static int64_t
issue(int64_t app_id)
{
	struct certa_issue_req	 r;
	struct certa_cert_rec	 rec;
	int64_t			 id;

	memset(&r, 0, sizeof(r));
	r.app_id = app_id;
	r.type = "transport";
	r.keygen = "ec:P-256";
	r.subject = "CN=client";
	OK(certa_issue(ctx, &r, &rec, &E));
	id = rec.id;
	certa_cert_rec_clear(&rec);
	return id;
}

static void
test_org_app_update(void **state)
{
	struct certa_org_rec	 o1, o2, got;
	struct certa_app_rec	 a1, a2, a3, ag;

	(void)state;
	OK(certa_org_create(ctx, "upd-o1", &o1, &E));
	OK(certa_org_create(ctx, "upd-o2", &o2, &E));
	OK(certa_app_create(ctx, "upd-o1", "web", &a1, &E));
	OK(certa_app_create(ctx, "upd-o1", "api", &a2, &E));
	OK(certa_app_create(ctx, "upd-o2", "web", &a3, &E));

	OK(certa_org_update(ctx, "upd-o1", "upd-o1b", &got, &E));
	assert_int_equal(got.id, o1.id);
	assert_string_equal(got.name, "upd-o1b");
	certa_org_rec_clear(&got);
	RC(certa_org_update(ctx, "upd-o1b", "upd-o2", &got, &E),
	    CERTA_E_CONFLICT);
	assert_non_null(strstr(E.msg, "upd-o2"));
	assert_null(got.name);
	RC(certa_org_update(ctx, "upd-o1", "x", &got, &E), CERTA_E_NOTFOUND);
	RC(certa_org_update(ctx, "upd-o1b", "", &got, &E), CERTA_E_PARSE);
	RC(certa_org_update(ctx, "upd-o1b", "a/b", &got, &E), CERTA_E_PARSE);
	RC(certa_org_update(ctx, "upd-o1b", "123", &got, &E), CERTA_E_PARSE);

	/* Apps: by ORG/NAME; names are unique within an org only. */
	OK(certa_app_update(ctx, "upd-o1b/web", "www", &ag, &E));
	assert_int_equal(ag.id, a1.id);
	assert_string_equal(ag.name, "www");
	assert_string_equal(ag.org_name, "upd-o1b");
	certa_app_rec_clear(&ag);
	RC(certa_app_update(ctx, "upd-o1b/www", "api", &ag, &E),
	    CERTA_E_CONFLICT);
	assert_non_null(strstr(E.msg, "api"));
	OK(certa_app_update(ctx, "upd-o2/web", "www", &ag, &E));
	certa_app_rec_clear(&ag);
	RC(certa_app_update(ctx, "upd-o2/nope", "x", &ag, &E),
	    CERTA_E_NOTFOUND);
	RC(certa_app_update(ctx, "upd-o2/www", "a/b", &ag, &E),
	    CERTA_E_PARSE);

	assert_int_equal(audit_find(NULL, "org.update").actions, 1);
	assert_int_equal(audit_find(NULL, "app.update").actions, 2);
	assert_int_equal(audit_find("\"old_name\":\"upd-o1\"", NULL).hits,
	    1);
	certa_org_rec_clear(&o1);
	certa_org_rec_clear(&o2);
	certa_app_rec_clear(&a1);
	certa_app_rec_clear(&a2);
	certa_app_rec_clear(&a3);
	assert_audit_intact();
}

static void
test_org_app_delete(void **state)
{
	struct certa_org_rec	 o, og;
	struct certa_app_rec	 a1, a2, ag;
	struct certa_cert_rec	 cr;
	int64_t			 c1, c2;

	(void)state;
	OK(certa_org_create(ctx, "del-o", &o, &E));
	OK(certa_app_create(ctx, "del-o", "one", &a1, &E));
	OK(certa_app_create(ctx, "del-o", "two", &a2, &E));
	c1 = issue(a1.id);
	c2 = issue(a2.id);

	/* Refused while a valid certificate is held; nothing changes. */
	RC(certa_app_delete(ctx, "del-o/one", &E), CERTA_E_CONFLICT);
	assert_non_null(strstr(E.msg, "valid certificate"));
	RC(certa_org_delete(ctx, "del-o", &E), CERTA_E_CONFLICT);
	assert_non_null(strstr(E.msg, "2 valid certificates"));
	OK(certa_app_resolve(ctx, "del-o/one", &ag, &E));
	certa_app_rec_clear(&ag);

	/* Allowed once revoked; the certificate row stays, detached. */
	OK(certa_revoke(ctx, c1, 1, &E));
	OK(certa_app_delete(ctx, "del-o/one", &E));
	RC(certa_app_resolve(ctx, "del-o/one", &ag, &E), CERTA_E_NOTFOUND);
	OK(certa_store_cert_get(certa_ctx_store(ctx), c1, &cr, &E));
	assert_int_equal(cr.app_id, 0);
	assert_int_equal(cr.status, CERTA_CERT_REVOKED);
	assert_non_null(cr.der);
	certa_cert_rec_clear(&cr);
	RC(certa_app_delete(ctx, "del-o/one", &E), CERTA_E_NOTFOUND);

	/* The org: still refused for app two's certificate. */
	RC(certa_org_delete(ctx, "del-o", &E), CERTA_E_CONFLICT);
	assert_non_null(strstr(E.msg, "1 valid certificate"));
	OK(certa_revoke(ctx, c2, 4, &E));
	OK(certa_org_delete(ctx, "del-o", &E));
	RC(certa_org_resolve(ctx, "del-o", &og, &E), CERTA_E_NOTFOUND);
	RC(certa_app_resolve(ctx, "del-o/two", &ag, &E), CERTA_E_NOTFOUND);
	OK(certa_store_cert_get(certa_ctx_store(ctx), c2, &cr, &E));
	assert_int_equal(cr.app_id, 0);
	certa_cert_rec_clear(&cr);
	RC(certa_org_delete(ctx, "del-o", &E), CERTA_E_NOTFOUND);

	/* An empty org goes at once. */
	OK(certa_org_create(ctx, "del-empty", &og, &E));
	OK(certa_org_delete(ctx, "del-empty", &E));
	certa_org_rec_clear(&og);

	assert_int_equal(audit_find(NULL, "app.delete").actions, 1);
	assert_int_equal(audit_find(NULL, "org.delete").actions, 2);
	certa_org_rec_clear(&o);
	certa_app_rec_clear(&a1);
	certa_app_rec_clear(&a2);
	assert_audit_intact();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_roles),
		T(test_token_create_check),
		T(test_token_bad),
		T(test_token_revoke),
		T(test_token_names),
		T(test_token_stored_hash),
		T(test_token_each),
		T(test_role_map),
		T(test_org_app_update),
		T(test_org_app_delete),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
