/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of include/certa/lifecycle.h: every state transition of a
 * request and each forbidden one with its precise error (approve own
 * request, approve twice, cancel an issued request, renew a revoked
 * certificate, ...), renew and reissue chains, the reissue grace carried
 * out by certa_lifecycle_tick, and the audit records with their role.
 * One data directory serves every test; each test makes its own
 * organisation so the tests do not depend on each other.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <certa/certa.h>
#include <certa/lifecycle.h>
#include <certa/store.h>
#include <certa/util.h>

#include "testutil.h"

#define PASS	"correct horse battery staple"
#define ALICE	"test:alice"
#define BOB	"test:bob"
#define CAROL	"test:carol"

static char		 base[64];
static char		 passfile[128];
static char		 dir[128];
static struct certa_ctx	*ctx;

static int
group_setup(void **state)
{
	(void)state;
	return test_data_dir("life", PASS, base, passfile, dir, &ctx);
}

static int
group_teardown(void **state)
{
	(void)state;
	certa_close(ctx);
	rm_rf(base);
	return 0;
}

/* Act as actor with role. */
static void
as(const char *actor, const char *role)
{
	certa_ctx_set_actor(ctx, actor);
	certa_ctx_set_role(ctx, role);
}

/* An application in a new organisation named name; approval as given. */
static int64_t
app_new(const char *name, bool approval)
{
	struct certa_org_rec	 org;
	struct certa_app_rec	 app;
	int64_t			 id;

	memset(&org, 0, sizeof(org));
	memset(&app, 0, sizeof(app));
	as(ALICE, "admin");
	OK(certa_org_create(ctx, name, &org, &E));
	OK(certa_app_create(ctx, name, "app", &app, &E));
	if (approval)
		OK(certa_org_set_approval(ctx, name, true, &E));
	id = app.id;
	certa_org_rec_clear(&org);
	certa_app_rec_clear(&app);
	return id;
}

/* A fresh CSR (malloc'ed PEM) for CN=cn. */
static char *
csr_new(const char *cn)
{
	char	 subject[96], *key = NULL, *csr = NULL;

	snprintf(subject, sizeof(subject), "CN=%s", cn);
	OK(certa_csr_generate("ec:P-256", subject, NULL, 0, NULL, &key, &csr,
	    &E));
	certa_free_secret(key, strlen(key) + 1);
	return csr;
}

/* Request a certificate of app as the current actor. */
static certa_rc
request(int64_t app, const char *csr, int64_t validity,
    struct certa_lc_result *out)
{
	struct certa_issue_req	 r;

	memset(&r, 0, sizeof(r));
	r.app_id = app;
	r.type = "transport";
	r.csr = (const uint8_t *)csr;
	r.csr_len = strlen(csr);
	r.validity = validity;
	return certa_request_create(ctx, &r, out, &E);
}

static void
want_msg(const char *want)
{
	if (strcmp(E.msg, want) != 0)
		fail_msg("message \"%s\", want \"%s\"", E.msg, want);
}

static void
want_state(int64_t id, const char *state)
{
	struct certa_request_rec	 r;

	memset(&r, 0, sizeof(r));
	OK(certa_request_get(ctx, id, &r, &E));
	assert_string_equal(r.state, state);
	certa_request_rec_clear(&r);
}

/* Issue at once when nothing asks for approval: no request row. */
static void
test_issue_at_once(void **state)
{
	struct certa_lc_result	 res;
	char			*csr = csr_new("once");
	int64_t			 app = app_new("once", false);

	(void)state;
	memset(&res, 0, sizeof(res));
	as(BOB, "operator");
	OK(request(app, csr, 0, &res));
	assert_false(res.pending);
	assert_true(res.cert.id > 0);
	assert_int_equal(res.request.id, 0);
	certa_lc_result_clear(&res);
	free(csr);
}

/* pending -> approved -> issued, with dual control and its errors. */
static void
test_approve(void **state)
{
	struct certa_lc_result	 res, ap;
	struct certa_cert_rec	 cert;
	char			*csr = csr_new("approve"), want[160];
	int64_t			 app = app_new("approve", true), id;

	(void)state;
	memset(&res, 0, sizeof(res));
	memset(&ap, 0, sizeof(ap));
	memset(&cert, 0, sizeof(cert));
	as(BOB, "operator");
	OK(request(app, csr, 0, &res));
	assert_true(res.pending);
	assert_int_equal(res.cert.id, 0);
	id = res.request.id;
	assert_string_equal(res.request.state, "pending");
	assert_string_equal(res.request.kind, "issue");
	assert_string_equal(res.request.requested_by, BOB);
	assert_string_equal(res.request.requested_role, "operator");

	/* Dual control: not even an admin approves their own request. */
	as(BOB, "admin");
	RC(certa_request_approve(ctx, id, &ap, &E), CERTA_E_POLICY);
	want_msg("approver may not approve their own request (dual control)");
	want_state(id, "pending");

	as(CAROL, "approver");
	OK(certa_request_approve(ctx, id, &ap, &E));
	assert_true(ap.cert.id > 0);
	assert_string_equal(ap.request.state, "issued");
	assert_string_equal(ap.request.decided_by, CAROL);
	assert_int_equal(ap.request.issued_cert_id, ap.cert.id);
	OK(certa_store_cert_get(certa_ctx_store(ctx), ap.cert.id, &cert, &E));
	assert_int_equal(cert.app_id, app);
	certa_lc_result_clear(&ap);

	/* Approve twice; cancel an issued request. */
	RC(certa_request_approve(ctx, id, &ap, &E), CERTA_E_CONFLICT);
	snprintf(want, sizeof(want), "request %" PRId64 " is issued; only "
	    "pending requests can be approved", id);
	want_msg(want);
	as(BOB, "operator");
	RC(certa_request_cancel(ctx, id, &E), CERTA_E_CONFLICT);
	snprintf(want, sizeof(want), "request %" PRId64 " is issued; only "
	    "pending requests can be cancelled", id);
	want_msg(want);
	RC(certa_request_approve(ctx, 999999, &ap, &E), CERTA_E_NOTFOUND);
	certa_cert_rec_clear(&cert);
	certa_lc_result_clear(&res);
	free(csr);
}

static void
test_single_control(void **state)
{
	struct certa_lc_result	 res, ap;
	char			*csr = csr_new("single");
	int64_t			 app = app_new("single", true);

	(void)state;
	memset(&res, 0, sizeof(res));
	memset(&ap, 0, sizeof(ap));
	OK(certa_policy_set(ctx, "approval.single_control", "true", &E));
	as(BOB, "approver");
	OK(request(app, csr, 0, &res));
	OK(certa_request_approve(ctx, res.request.id, &ap, &E));
	assert_true(ap.cert.id > 0);
	OK(certa_policy_set(ctx, "approval.single_control", "false", &E));
	certa_lc_result_clear(&res);
	certa_lc_result_clear(&ap);
	free(csr);
}

static void
test_reject(void **state)
{
	struct certa_lc_result	 res, ap;
	struct certa_request_rec r;
	char			*csr = csr_new("reject"), want[160];
	int64_t			 app = app_new("reject", true), id;

	(void)state;
	memset(&res, 0, sizeof(res));
	memset(&ap, 0, sizeof(ap));
	memset(&r, 0, sizeof(r));
	as(BOB, "operator");
	OK(request(app, csr, 0, &res));
	id = res.request.id;
	as(CAROL, "approver");
	RC(certa_request_reject(ctx, id, NULL, &E), CERTA_E_INVAL);
	want_msg("a rejection needs a comment");
	RC(certa_request_reject(ctx, id, "", &E), CERTA_E_INVAL);
	OK(certa_request_reject(ctx, id, "wrong subject", &E));
	OK(certa_request_get(ctx, id, &r, &E));
	assert_string_equal(r.state, "rejected");
	assert_string_equal(r.comment, "wrong subject");
	assert_string_equal(r.decided_by, CAROL);
	RC(certa_request_reject(ctx, id, "again", &E), CERTA_E_CONFLICT);
	snprintf(want, sizeof(want), "request %" PRId64 " is rejected; only "
	    "pending requests can be rejected", id);
	want_msg(want);
	RC(certa_request_approve(ctx, id, &ap, &E), CERTA_E_CONFLICT);
	certa_request_rec_clear(&r);
	certa_lc_result_clear(&res);
	free(csr);
}

static void
test_cancel(void **state)
{
	struct certa_lc_result	 a, b;
	char			*csr = csr_new("cancel"), want[160];
	int64_t			 app = app_new("cancel", true);

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	as(BOB, "operator");
	OK(request(app, csr, 0, &a));
	OK(request(app, csr, 0, &b));
	/* Another operator may not; the requester and an admin may. */
	as(CAROL, "operator");
	RC(certa_request_cancel(ctx, a.request.id, &E), CERTA_E_POLICY);
	snprintf(want, sizeof(want), "only the requester (%s) or an admin "
	    "may cancel request %" PRId64, BOB, a.request.id);
	want_msg(want);
	as(BOB, "operator");
	OK(certa_request_cancel(ctx, a.request.id, &E));
	want_state(a.request.id, "cancelled");
	RC(certa_request_cancel(ctx, a.request.id, &E), CERTA_E_CONFLICT);
	as(CAROL, "admin");
	OK(certa_request_cancel(ctx, b.request.id, &E));
	want_state(b.request.id, "cancelled");
	certa_lc_result_clear(&a);
	certa_lc_result_clear(&b);
	free(csr);
}

/* Issue one certificate at once of validity seconds. */
static int64_t
issue_one(int64_t app, const char *cn, int64_t validity)
{
	struct certa_lc_result	 res;
	char			*csr = csr_new(cn);
	int64_t			 id;

	memset(&res, 0, sizeof(res));
	OK(request(app, csr, validity, &res));
	assert_false(res.pending);
	id = res.cert.id;
	certa_lc_result_clear(&res);
	free(csr);
	return id;
}

static void
test_renew(void **state)
{
	struct certa_lc_result	 res;
	struct certa_cert_rec	 old, nw;
	char			*csr = csr_new("renew2"), want[200];
	int64_t			 app = app_new("renew", false);
	int64_t			 young, id;
	int64_t			 chain[8];
	size_t			 n;

	(void)state;
	memset(&res, 0, sizeof(res));
	memset(&old, 0, sizeof(old));
	memset(&nw, 0, sizeof(nw));
	as(BOB, "operator");
	/* Outside the 30-day window. */
	young = issue_one(app, "renew-young", 365 * 86400);
	RC(certa_cert_renew(ctx, young, NULL, 0, true, &res, &E),
	    CERTA_E_POLICY);
	assert_non_null(strstr(E.msg, "renewal opens 30 days before"));
	/* Neither or both of CSR and same key. */
	RC(certa_cert_renew(ctx, young, NULL, 0, false, &res, &E),
	    CERTA_E_INVAL);

	id = issue_one(app, "renew", 10 * 86400);
	OK(certa_cert_renew(ctx, id, NULL, 0, true, &res, &E));
	assert_false(res.pending);
	OK(certa_store_cert_get(certa_ctx_store(ctx), id, &old, &E));
	assert_int_equal(res.cert.predecessor_id, id);
	assert_int_equal(res.cert.app_id, app);
	assert_string_equal(res.cert.type, old.type);
	assert_string_equal(res.cert.subject, old.subject);
	assert_true(res.cert.not_after > old.not_after);
	certa_lc_result_clear(&res);

	/* A new CSR: a renewal of the renewal is not in its window; of the
	 * first it is, and the chain grows. */
	OK(certa_cert_renew(ctx, id, (const uint8_t *)csr, strlen(csr), false,
	    &res, &E));
	OK(certa_cert_predecessors(ctx, res.cert.id, chain, 8, &n, &E));
	assert_int_equal(n, 1);
	assert_int_equal(chain[0], id);
	certa_lc_result_clear(&res);

	/* Renew a revoked certificate. */
	as(ALICE, "admin");
	OK(certa_revoke(ctx, id, 1, &E));
	RC(certa_cert_renew(ctx, id, NULL, 0, true, &res, &E),
	    CERTA_E_CONFLICT);
	snprintf(want, sizeof(want), "certificate %" PRId64 " is revoked; a "
	    "revoked certificate cannot be renewed", id);
	want_msg(want);
	certa_cert_rec_clear(&old);
	certa_cert_rec_clear(&nw);
	free(csr);
}

/* The renewal window is policy. */
static void
test_renew_window_policy(void **state)
{
	struct certa_lc_result	 res;
	int64_t			 app = app_new("window", false), id;

	(void)state;
	memset(&res, 0, sizeof(res));
	as(BOB, "operator");
	id = issue_one(app, "window", 100 * 86400);
	RC(certa_cert_renew(ctx, id, NULL, 0, true, &res, &E),
	    CERTA_E_POLICY);
	OK(certa_policy_set(ctx, "renew.window_days", "120", &E));
	OK(certa_cert_renew(ctx, id, NULL, 0, true, &res, &E));
	OK(certa_policy_set(ctx, "renew.window_days", "30", &E));
	certa_lc_result_clear(&res);
}

/* Reissue: new key, same end; predecessor revoked after the grace. */
static void
test_reissue_grace(void **state)
{
	struct certa_lc_result	 res;
	struct certa_cert_rec	 old;
	struct certa_request_rec r;
	char			*csr = csr_new("reissue2"), want[160];
	int64_t			 app = app_new("reissue", false), id;
	size_t			 done = 9;

	(void)state;
	memset(&res, 0, sizeof(res));
	memset(&old, 0, sizeof(old));
	memset(&r, 0, sizeof(r));
	as(BOB, "operator");
	id = issue_one(app, "reissue", 200 * 86400);
	OK(certa_store_cert_get(certa_ctx_store(ctx), id, &old, &E));

	/* No CSR: a re-key needs one. */
	RC(certa_cert_reissue(ctx, id, NULL, 0, -1, &res, &E), CERTA_E_INVAL);
	want_msg("a reissue needs a CSR with a new key");

	OK(certa_cert_reissue(ctx, id, (const uint8_t *)csr, strlen(csr), 3600,
	    &res, &E));
	assert_false(res.pending);
	assert_int_equal(res.cert.predecessor_id, id);
	assert_int_equal(res.cert.not_after, old.not_after);
	assert_true(res.request.id > 0);
	assert_string_equal(res.request.kind, "revoke");
	assert_string_equal(res.request.state, "pending");
	assert_int_equal(res.request.reason, 4);
	assert_int_equal(res.request.cert_id, id);

	/* Same key again: refused. */
	{
		struct certa_lc_result again;

		memset(&again, 0, sizeof(again));
		RC(certa_cert_reissue(ctx, res.cert.id, (const uint8_t *)csr,
		    strlen(csr), 0, &again, &E), CERTA_E_POLICY);
		snprintf(want, sizeof(want), "a reissue needs a new key: the "
		    "CSR has the key of certificate %" PRId64, res.cert.id);
		want_msg(want);
	}

	/* Not due yet; then due. */
	OK(certa_lifecycle_tick(ctx, certa_now(), &done, &E));
	assert_int_equal(done, 0);
	as("serve", NULL);
	OK(certa_lifecycle_tick(ctx, certa_now() + 3601, &done, &E));
	assert_int_equal(done, 1);
	certa_cert_rec_clear(&old);
	OK(certa_store_cert_get(certa_ctx_store(ctx), id, &old, &E));
	assert_int_equal(old.status, CERTA_CERT_REVOKED);
	assert_int_equal(old.reason, 4);
	want_state(res.request.id, "revoked");
	OK(certa_lifecycle_tick(ctx, certa_now() + 3601, &done, &E));
	assert_int_equal(done, 0);

	/* Reissue a revoked certificate. */
	as(BOB, "operator");
	{
		struct certa_lc_result again;

		memset(&again, 0, sizeof(again));
		RC(certa_cert_reissue(ctx, id, (const uint8_t *)csr,
		    strlen(csr), 0, &again, &E), CERTA_E_CONFLICT);
	}
	certa_request_rec_clear(&r);
	certa_cert_rec_clear(&old);
	certa_lc_result_clear(&res);
	free(csr);
}

/* A pending superseded revocation can be cancelled; "now" revokes at once. */
static void
test_reissue_cancel_and_now(void **state)
{
	struct certa_lc_result	 res;
	struct certa_cert_rec	 old;
	char			*c1 = csr_new("now2");
	char			*c2 = csr_new("now3");
	int64_t			 app = app_new("reissue-now", false), id;
	size_t			 done;

	(void)state;
	memset(&res, 0, sizeof(res));
	memset(&old, 0, sizeof(old));
	as(BOB, "operator");
	id = issue_one(app, "now", 200 * 86400);
	OK(certa_cert_reissue(ctx, id, (const uint8_t *)c1, strlen(c1), 60,
	    &res, &E));
	OK(certa_request_cancel(ctx, res.request.id, &E));
	OK(certa_lifecycle_tick(ctx, certa_now() + 120, &done, &E));
	assert_int_equal(done, 0);
	OK(certa_store_cert_get(certa_ctx_store(ctx), id, &old, &E));
	assert_int_equal(old.status, CERTA_CERT_VALID);
	certa_cert_rec_clear(&old);

	id = res.cert.id;
	certa_lc_result_clear(&res);
	OK(certa_cert_reissue(ctx, id, (const uint8_t *)c2, strlen(c2), 0,
	    &res, &E));
	assert_int_equal(res.request.id, 0);
	OK(certa_store_cert_get(certa_ctx_store(ctx), id, &old, &E));
	assert_int_equal(old.status, CERTA_CERT_REVOKED);
	assert_int_equal(old.reason, 4);
	certa_cert_rec_clear(&old);
	certa_lc_result_clear(&res);
	free(c1);
	free(c2);
}

/* A reissue that needs approval waits, then revokes after approval. */
static void
test_reissue_pending(void **state)
{
	struct certa_lc_result	 res, ap;
	char			*csr = csr_new("rp2");
	int64_t			 app = app_new("reissue-pending", false);
	int64_t			 id;

	(void)state;
	memset(&res, 0, sizeof(res));
	memset(&ap, 0, sizeof(ap));
	as(BOB, "operator");
	id = issue_one(app, "rp", 200 * 86400);
	as(ALICE, "admin");
	OK(certa_org_set_approval(ctx, "reissue-pending", true, &E));
	as(BOB, "operator");
	OK(certa_cert_reissue(ctx, id, (const uint8_t *)csr, strlen(csr), 0,
	    &res, &E));
	assert_true(res.pending);
	assert_string_equal(res.request.kind, "reissue");
	as(CAROL, "approver");
	OK(certa_request_approve(ctx, res.request.id, &ap, &E));
	assert_int_equal(ap.cert.predecessor_id, id);
	want_state(res.request.id, "issued");
	certa_lc_result_clear(&res);
	certa_lc_result_clear(&ap);
	free(csr);
}

/* A pending renewal of a certificate revoked meanwhile is refused. */
static void
test_renew_pending_then_revoked(void **state)
{
	struct certa_lc_result	 res, ap;
	char			 want[160];
	int64_t			 app = app_new("renew-revoked", false);
	int64_t			 id;

	(void)state;
	memset(&res, 0, sizeof(res));
	memset(&ap, 0, sizeof(ap));
	as(BOB, "operator");
	id = issue_one(app, "rr", 5 * 86400);
	as(ALICE, "admin");
	OK(certa_org_set_approval(ctx, "renew-revoked", true, &E));
	as(BOB, "operator");
	OK(certa_cert_renew(ctx, id, NULL, 0, true, &res, &E));
	assert_true(res.pending);
	assert_string_equal(res.request.kind, "renew");
	as(ALICE, "admin");
	OK(certa_revoke(ctx, id, 1, &E));
	as(CAROL, "approver");
	RC(certa_request_approve(ctx, res.request.id, &ap, &E),
	    CERTA_E_CONFLICT);
	snprintf(want, sizeof(want), "certificate %" PRId64 " is revoked; a "
	    "revoked certificate cannot be renewed", id);
	want_msg(want);
	want_state(res.request.id, "pending");
	certa_lc_result_clear(&res);
	certa_lc_result_clear(&ap);
}

static void
test_revocation_request(void **state)
{
	struct certa_lc_result	 res, again, ap;
	struct certa_cert_rec	 cert;
	char			 want[160];
	int64_t			 app = app_new("revreq", false), id;

	(void)state;
	memset(&res, 0, sizeof(res));
	memset(&again, 0, sizeof(again));
	memset(&ap, 0, sizeof(ap));
	memset(&cert, 0, sizeof(cert));
	as(BOB, "operator");
	id = issue_one(app, "revreq", 0);
	OK(certa_revocation_request(ctx, id, 1, &res, &E));
	assert_true(res.pending);
	assert_string_equal(res.request.kind, "revoke");
	RC(certa_revocation_request(ctx, id, 1, &again, &E), CERTA_E_CONFLICT);
	snprintf(want, sizeof(want), "a revocation of certificate %" PRId64
	    " is pending already (request %" PRId64 ")", id, res.request.id);
	want_msg(want);
	RC(certa_request_approve(ctx, res.request.id, &ap, &E),
	    CERTA_E_POLICY);
	as(CAROL, "approver");
	OK(certa_request_approve(ctx, res.request.id, &ap, &E));
	assert_string_equal(ap.request.state, "revoked");
	OK(certa_store_cert_get(certa_ctx_store(ctx), id, &cert, &E));
	assert_int_equal(cert.status, CERTA_CERT_REVOKED);
	assert_int_equal(cert.reason, 1);
	as(BOB, "operator");
	RC(certa_revocation_request(ctx, id, 1, &again, &E), CERTA_E_CONFLICT);
	snprintf(want, sizeof(want), "certificate %" PRId64 " is revoked "
	    "already", id);
	want_msg(want);
	certa_cert_rec_clear(&cert);
	certa_lc_result_clear(&res);
	certa_lc_result_clear(&ap);
}

struct role_seen {
	int	 approve_by_approver;
	int	 create_by_operator;
};

static certa_rc
audit_row(const struct certa_audit_rec *r, void *arg)
{
	struct role_seen	*s = arg;

	if (r->details == NULL)
		return CERTA_OK;
	if (strcmp(r->action, "request.approve") == 0 &&
	    strstr(r->details, "\"role\":\"approver\"") != NULL)
		s->approve_by_approver++;
	if (strcmp(r->action, "request.create") == 0 &&
	    strstr(r->details, "\"role\":\"operator\"") != NULL)
		s->create_by_operator++;
	return CERTA_OK;
}

/* Every transition is audited with the actor's role; the chain holds. */
static void
test_audit(void **state)
{
	struct role_seen	 s = { 0, 0 };
	int64_t			 bad = -1, count = 0;

	(void)state;
	OK(certa_store_audit_each(certa_ctx_store(ctx), 0, audit_row, &s,
	    &E));
	assert_true(s.approve_by_approver > 0);
	assert_true(s.create_by_operator > 0);
	OK(certa_audit_verify(ctx, &bad, &count, &E));
	assert_int_equal(bad, 0);
}

/* A profile may require approval and refuse same-key renewal. */
static void
test_profile_policy(void **state)
{
	static const char profiles[] = "{\"profiles\": [{\"name\": "
	    "\"strict\", \"key_usage\": [\"digitalSignature\"], "
	    "\"extended_key_usage\": [\"clientAuth\"], \"key_algorithms\": "
	    "[\"ec:P-256\"], \"required_subject\": [\"CN\"], \"san\": "
	    "[\"DNS\"], \"approval\": \"required\", \"renew_same_key\": "
	    "false}]}";
	struct certa_ctx	*c2 = NULL;
	struct certa_issue_req	 r;
	struct certa_lc_result	 res, ap;
	char			 path[192], *csr = csr_new("strict");
	bool			 need = false;
	int64_t			 app = app_new("strict", false);
	FILE			*f;

	(void)state;
	memset(&res, 0, sizeof(res));
	memset(&ap, 0, sizeof(ap));
	snprintf(path, sizeof(path), "%s/profiles.json", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(profiles, f);
	fclose(f);
	OK(certa_open(dir, passfile, &c2, &E));
	OK(certa_approval_required(c2, app, "strict", &need, &E));
	assert_true(need);
	OK(certa_approval_required(c2, app, "transport", &need, &E));
	assert_false(need);
	RC(certa_approval_required(c2, app, "nosuch", &need, &E),
	    CERTA_E_NOTFOUND);
	memset(&r, 0, sizeof(r));
	r.app_id = app;
	r.type = "strict";
	r.csr = (const uint8_t *)csr;
	r.csr_len = strlen(csr);
	certa_ctx_set_actor(c2, BOB);
	OK(certa_request_create(c2, &r, &res, &E));
	assert_true(res.pending);
	/* A malformed CSR is refused at once, not when approved. */
	r.csr = (const uint8_t *)"junk";
	r.csr_len = 4;
	{
		struct certa_lc_result bad;

		memset(&bad, 0, sizeof(bad));
		RC(certa_request_create(c2, &r, &bad, &E), CERTA_E_PARSE);
	}
	certa_ctx_set_actor(c2, CAROL);
	OK(certa_request_approve(c2, res.request.id, &ap, &E));
	certa_lc_result_clear(&res);
	RC(certa_cert_renew(c2, ap.cert.id, NULL, 0, true, &res, &E),
	    CERTA_E_POLICY);
	assert_non_null(strstr(E.msg, "renew_same_key"));
	certa_close(c2);
	unlink(path);
	certa_lc_result_clear(&res);
	certa_lc_result_clear(&ap);
	free(csr);
}

static void
test_policy(void **state)
{
	char	*v = NULL;

	(void)state;
	as(ALICE, "admin");
	OK(certa_policy_get(ctx, "reissue.grace_seconds", &v, &E));
	assert_string_equal(v, "259200");
	free(v);
	OK(certa_policy_set(ctx, "reissue.grace_seconds", "60", &E));
	OK(certa_policy_get(ctx, "reissue.grace_seconds", &v, &E));
	assert_string_equal(v, "60");
	free(v);
	RC(certa_policy_set(ctx, "reissue.grace_seconds", "-1", &E),
	    CERTA_E_PARSE);
	RC(certa_policy_set(ctx, "renew.window_days", "9999", &E),
	    CERTA_E_PARSE);
	RC(certa_policy_set(ctx, "approval.single_control", "yes", &E),
	    CERTA_E_PARSE);
	RC(certa_policy_set(ctx, "no.such", "1", &E), CERTA_E_NOTFOUND);
	RC(certa_policy_get(ctx, "no.such", &v, &E), CERTA_E_NOTFOUND);
	OK(certa_policy_set(ctx, "reissue.grace_seconds", "259200", &E));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_issue_at_once),
		T(test_approve),
		T(test_single_control),
		T(test_reject),
		T(test_cancel),
		T(test_renew),
		T(test_renew_window_policy),
		T(test_reissue_grace),
		T(test_reissue_cancel_and_now),
		T(test_reissue_pending),
		T(test_renew_pending_then_revoked),
		T(test_revocation_request),
		T(test_profile_policy),
		T(test_policy),
		T(test_audit),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
