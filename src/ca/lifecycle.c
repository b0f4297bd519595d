/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The certificate lifecycle (include/certa/lifecycle.h): requests and
 * their approval, renewal, reissue and revocation requests.  No SQL here
 * (the store does each transition as one guarded UPDATE) and no network.
 *
 * HOW IT WORKS
 * A request that needs an approver is stored "pending" with everything
 * issuance needs (CSR or key spec, subject, SANs, validity or absolute
 * end, the target certificate).  Approving it is two commits: pending ->
 * approved with its audit record, then the issuance, whose commit also
 * moves the request approved -> issued (certa_issue_req.request_id), so a
 * certificate and its request's "issued" state never exist one without
 * the other.  If issuance refuses (e.g. the profile changed meanwhile)
 * the request becomes "failed" with the reason as comment.  A revocation
 * request is carried out in the approving transaction.  A reissue leaves
 * a pending "revoke" request (reason superseded) with grace_until set;
 * certa_lifecycle_tick, called by the daemon's tick, carries out those
 * that are due; until then it can be cancelled (or approved early).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <certa/lifecycle.h>
#include <certa/util.h>

#include "audit/audit.h"
#include "ca/ctx.h"
#include "core/core.h"
#include "util/util.h"

#define REASON_SUPERSEDED	4	/* RFC 5280 §5.3.1 */
#define TICK_BATCH		64
#define MAX_SANS		100

void
certa_lc_result_clear(struct certa_lc_result *r)
{
	if (r == NULL)
		return;
	certa_request_rec_clear(&r->request);
	certa_cert_rec_clear(&r->cert);
	memset(r, 0, sizeof(*r));
}

/* A policy number from the store's meta table, or def. */
static int64_t
policy_int(struct certa_ctx *c, const char *key, int64_t def)
{
	char	*v = NULL, *end;
	int64_t	 n = def;

	if (certa_store_meta_get(c->store, key, &v, NULL) == CERTA_OK) {
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno != 0 || *end != '\0' || n < 0)
			n = def;
	}
	free(v);
	return n;
}

static bool
single_control(struct certa_ctx *c)
{
	char	*v = NULL;
	bool	 yes = false;

	if (certa_store_meta_get(c->store, "approval.single_control", &v,
	    NULL) == CERTA_OK)
		yes = strcmp(v, "true") == 0;
	free(v);
	return yes;
}

static bool
is_admin(const struct certa_ctx *c)
{
	return c->role != NULL && strcmp(c->role, "admin") == 0;
}

/* Append the audit record of a request transition (in the open tx). */
static certa_rc
audit_request(struct certa_ctx *c, const char *action, int64_t id,
    const char *more, struct certa_err *err)
{
	char		 obj[48], *details = certa_ctx_details(c, more);
	certa_rc	 rc = CERTA_OK;

	snprintf(obj, sizeof(obj), "request:%" PRId64, id);
	CERTA_TRY(certa_audit_append(c->store, c->actor, action, obj, "ok",
	    details != NULL ? details : more, err));
out:
	free(details);
	return rc;
}

/* One transition with its audit record, committed. */
static certa_rc
transition(struct certa_ctx *c, int64_t id, const char *from, const char *to,
    const char *comment, const char *action, const char *more,
    struct certa_err *err)
{
	bool		 tx = false;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(certa_store_begin(c->store, err));
	tx = true;
	CERTA_TRY(certa_store_request_transition(c->store, id, from, to,
	    c->actor, comment, 0, certa_now(), err));
	CERTA_TRY(audit_request(c, action, id, more, err));
	CERTA_TRY(certa_store_commit(c->store, err));
	tx = false;
out:
	if (tx)
		certa_store_rollback(c->store);
	return rc;
}

/* Store rec as a pending request (audited) and read it back into out. */
static certa_rc
keep_request(struct certa_ctx *c, struct certa_request_rec *rec,
    struct certa_lc_result *out, struct certa_err *err)
{
	char		 more[160];
	bool		 tx = false;
	certa_rc	 rc = CERTA_OK;

	rec->state = "pending";
	rec->requested_by = c->actor;
	rec->requested_role = c->role;
	CERTA_TRY(certa_store_begin(c->store, err));
	tx = true;
	CERTA_TRY(certa_store_request_put(c->store, rec, err));
	snprintf(more, sizeof(more), "{\"kind\":\"%s\",\"certificate\":%"
	    PRId64 ",\"application\":%" PRId64 "}", rec->kind, rec->cert_id,
	    rec->app_id);
	CERTA_TRY(audit_request(c, "request.create", rec->id, more, err));
	CERTA_TRY(certa_store_commit(c->store, err));
	tx = false;
	out->pending = true;
	CERTA_TRY(certa_store_request_get(c->store, rec->id, &out->request,
	    err));
out:
	if (tx)
		certa_store_rollback(c->store);
	return rc;
}

certa_rc
certa_approval_required(struct certa_ctx *c, int64_t app_id, const char *type,
    bool *out, struct certa_err *err)
{
	const struct certa_profile	*p;
	struct certa_app_rec		 app;
	bool				 org = false;
	certa_rc			 rc = CERTA_OK;

	*out = false;
	memset(&app, 0, sizeof(app));
	CERTA_CHECK(type != NULL, CERTA_E_INVAL, "no certificate type");
	CERTA_TRY(certa_ctx_load_profiles(c, err));
	CERTA_TRY(certa_profiles_find(&c->profiles, type, &p, err));
	CERTA_TRY(certa_store_app_get(c->store, app_id, &app, err));
	CERTA_TRY(certa_store_org_get_approval(c->store, app.org_id, &org,
	    err));
	*out = org || p->approval;
out:
	certa_app_rec_clear(&app);
	return rc;
}

/* "DNS:a, URI:b" into its names (pointers into buf). */
static size_t
split_sans(char *buf, const char **v, size_t max)
{
	char	*p = buf, *e;
	size_t	 n = 0;

	while (buf != NULL && *p != '\0' && n < max) {
		e = strstr(p, ", ");
		if (e != NULL)
			*e = '\0';
		v[n++] = p;
		if (e == NULL)
			break;
		p = e + 2;
	}
	return n;
}

/* The request's SANs joined as the store keeps them; NULL when none. */
static char *
join_sans(const char *const *v, size_t n)
{
	size_t	 i, len = 1;
	char	*s;

	if (n == 0)
		return NULL;
	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 2;
	if ((s = malloc(len)) == NULL)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strncat(s, ", ", len - strlen(s) - 1);
		strncat(s, v[i], len - strlen(s) - 1);
	}
	return s;
}

/* Keep req as a pending request of kind (target cert_id, or 0). */
static certa_rc
keep_issue(struct certa_ctx *c, const char *kind,
    const struct certa_issue_req *req, int64_t cert_id, int64_t grace,
    struct certa_lc_result *out, struct certa_err *err)
{
	struct certa_request_rec	 rec;
	char				*sans = NULL;
	certa_rc			 rc = CERTA_OK;

	memset(&rec, 0, sizeof(rec));
	if (req->nsans > 0)
		CERTA_CHECK((sans = join_sans(req->sans, req->nsans)) != NULL,
		    CERTA_E_NOMEM, "oom");
	rec.kind = (char *)kind;
	rec.app_id = req->app_id;
	rec.type = (char *)req->type;
	rec.csr = (uint8_t *)(uintptr_t)req->csr;
	rec.csr_len = req->csr_len;
	rec.keygen = (char *)req->keygen;
	rec.subject = (char *)req->subject;
	rec.sans = sans;
	rec.validity = req->validity;
	rec.not_after = req->not_after;
	rec.same_key = req->same_key_der != NULL;
	rec.cert_id = cert_id;
	rec.reason = CERTA_REASON_NONE;
	rec.grace = grace;
	CERTA_TRY(keep_request(c, &rec, out, err));
out:
	free(sans);
	return rc;
}

/* Check a CSR before keeping it, so a bad one is refused at once. */
static certa_rc
check_csr(struct certa_ctx *c, const uint8_t *csr, size_t len,
    struct certa_csr **out, struct certa_err *err)
{
	struct certa_csr	*p = NULL;
	certa_rc		 rc = CERTA_OK;

	CERTA_TRY(certa_csr_parse(c->libctx, c->propq, csr, len, &p, err));
	if (out != NULL) {
		*out = p;
		p = NULL;
	}
out:
	certa_csr_free(p);
	return rc;
}

/* Issue now or keep pending, as the policy says. */
static certa_rc
issue_or_keep(struct certa_ctx *c, const char *kind,
    const struct certa_issue_req *req, int64_t cert_id, int64_t grace,
    struct certa_lc_result *out, struct certa_err *err)
{
	bool		 need = false;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(certa_approval_required(c, req->app_id, req->type, &need,
	    err));
	if (need) {
		if (req->csr != NULL)
			CERTA_TRY(check_csr(c, req->csr, req->csr_len, NULL,
			    err));
		CERTA_TRY(keep_issue(c, kind, req, cert_id, grace, out, err));
	} else {
		CERTA_TRY(certa_issue(c, req, &out->cert, err));
	}
out:
	return rc;
}

certa_rc
certa_request_create(struct certa_ctx *c, const struct certa_issue_req *req,
    struct certa_lc_result *out, struct certa_err *err)
{
	memset(out, 0, sizeof(*out));
	return issue_or_keep(c, "issue", req, 0, -1, out, err);
}

certa_rc
certa_request_get(struct certa_ctx *c, int64_t id,
    struct certa_request_rec *out, struct certa_err *err)
{
	return certa_store_request_get(c->store, id, out, err);
}

certa_rc
certa_request_each(struct certa_ctx *c, const struct certa_request_filter *f,
    certa_store_request_fn fn, void *arg, struct certa_err *err)
{
	return certa_store_request_each(c->store, f, fn, arg, err);
}

/* Read request id and check it is pending (CONFLICT naming the verb). */
static certa_rc
get_pending(struct certa_ctx *c, int64_t id, const char *verb,
    struct certa_request_rec *rec, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(certa_store_request_get(c->store, id, rec, err));
	CERTA_CHECK(strcmp(rec->state, "approved") != 0 ||
	    strcmp(verb, "approved") != 0, CERTA_E_CONFLICT, "request %"
	    PRId64 " is approved already", id);
	CERTA_CHECK(strcmp(rec->state, "pending") == 0, CERTA_E_CONFLICT,
	    "request %" PRId64 " is %s; only pending requests can be %s", id,
	    rec->state, verb);
out:
	return rc;
}

/* A deferred (grace > 0) or immediate "superseded" revocation of old. */
static certa_rc
supersede(struct certa_ctx *c, int64_t old, int64_t new_id, int64_t grace,
    struct certa_lc_result *out, struct certa_err *err)
{
	struct certa_request_rec	 rec;
	struct certa_lc_result		 kept;
	char				 comment[64];
	certa_rc			 rc = CERTA_OK;

	memset(&kept, 0, sizeof(kept));
	if (grace < 0)
		grace = policy_int(c, "reissue.grace_seconds",
		    CERTA_REISSUE_GRACE);
	if (grace == 0) {
		CERTA_TRY(certa_revoke(c, old, REASON_SUPERSEDED, err));
		goto out;
	}
	memset(&rec, 0, sizeof(rec));
	snprintf(comment, sizeof(comment), "superseded by certificate %"
	    PRId64, new_id);
	rec.kind = "revoke";
	rec.cert_id = old;
	rec.reason = REASON_SUPERSEDED;
	rec.comment = comment;
	rec.grace = grace;
	rec.grace_until = certa_now() + grace;
	CERTA_TRY(keep_request(c, &rec, &kept, err));
	out->request = kept.request;
	memset(&kept.request, 0, sizeof(kept.request));
out:
	certa_lc_result_clear(&kept);
	return rc;
}

/* Issue what an approved request asks for. */
static certa_rc
issue_approved(struct certa_ctx *c, const struct certa_request_rec *r,
    struct certa_lc_result *out, struct certa_err *err)
{
	struct certa_issue_req	 req;
	struct certa_cert_rec	 pred;
	const char		*sans[MAX_SANS];
	char			*buf = NULL;
	certa_rc		 rc = CERTA_OK;

	memset(&req, 0, sizeof(req));
	memset(&pred, 0, sizeof(pred));
	if (r->sans != NULL)
		CERTA_CHECK((buf = strdup(r->sans)) != NULL, CERTA_E_NOMEM,
		    "oom");
	req.app_id = r->app_id;
	req.type = r->type;
	req.csr = r->csr;
	req.csr_len = r->csr_len;
	req.keygen = r->keygen;
	req.subject = r->subject;
	req.sans = sans;
	req.nsans = split_sans(buf, sans, MAX_SANS);
	req.validity = r->validity;
	req.not_after = r->not_after;
	req.predecessor_id = r->cert_id;
	req.request_id = r->id;
	if (r->same_key) {
		CERTA_TRY(certa_store_cert_get(c->store, r->cert_id, &pred,
		    err));
		req.same_key_der = pred.der;
		req.same_key_der_len = pred.der_len;
	}
	CERTA_TRY(certa_issue(c, &req, &out->cert, err));
out:
	certa_cert_rec_clear(&pred);
	free(buf);
	return rc;
}

/* Approve a revocation request: revoke in the approving transaction. */
static certa_rc
approve_revoke(struct certa_ctx *c, const struct certa_request_rec *r,
    const char *action, struct certa_err *err)
{
	bool		 tx = false;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(certa_store_begin(c->store, err));
	tx = true;
	CERTA_TRY(certa_store_request_transition(c->store, r->id, "pending",
	    "revoked", c->actor, NULL, 0, certa_now(), err));
	CERTA_TRY(audit_request(c, action, r->id, NULL, err));
	CERTA_TRY(certa_revoke_in_tx(c, r->cert_id, r->reason, r->id, err));
	CERTA_TRY(certa_store_commit(c->store, err));
	tx = false;
out:
	if (tx)
		certa_store_rollback(c->store);
	return rc;
}

static certa_rc	predecessor(struct certa_ctx *, int64_t, const char *,
		    struct certa_cert_rec *, struct certa_err *);

certa_rc
certa_request_approve(struct certa_ctx *c, int64_t id,
    struct certa_lc_result *out, struct certa_err *err)
{
	struct certa_request_rec	 r;
	struct certa_cert_rec		 pred;
	struct certa_err		 ie;
	char				 more[600];
	certa_rc			 rc = CERTA_OK, irc;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	memset(&pred, 0, sizeof(pred));
	CERTA_TRY(get_pending(c, id, "approved", &r, err));
	CERTA_CHECK(strcmp(r.requested_by, c->actor) != 0 ||
	    single_control(c), CERTA_E_POLICY, "approver may not approve "
	    "their own request (dual control)");
	if (strcmp(r.kind, "revoke") == 0) {
		CERTA_TRY(approve_revoke(c, &r, "request.approve", err));
		goto done;
	}
	/* A renewal or reissue of what was revoked meanwhile: refused. */
	if (r.cert_id != 0)
		CERTA_TRY(predecessor(c, r.cert_id, strcmp(r.kind, "renew") ==
		    0 ? "renewed" : "reissued", &pred, err));
	CERTA_TRY(transition(c, id, "pending", "approved", NULL,
	    "request.approve", NULL, err));
	certa_err_clear(&ie);
	irc = issue_approved(c, &r, out, &ie);
	if (irc != CERTA_OK) {
		/* Refused after approval: the request ends "failed". */
		snprintf(more, sizeof(more), "{\"error\":\"%s\"}",
		    certa_rc_name(irc));
		(void)transition(c, id, "approved", "failed", ie.msg,
		    "request.fail", more, NULL);
		rc = certa_err_set(err, irc, __FILE__, __LINE__, "request %"
		    PRId64 " was approved but issuance failed: %s", id,
		    ie.msg);
		goto out;
	}
	if (strcmp(r.kind, "reissue") == 0)
		CERTA_TRY(supersede(c, r.cert_id, out->cert.id, r.grace, out,
		    err));
done:
	if (out->request.id == 0)
		CERTA_TRY(certa_store_request_get(c->store, id, &out->request,
		    err));
out:
	certa_cert_rec_clear(&pred);
	certa_request_rec_clear(&r);
	return rc;
}

certa_rc
certa_request_reject(struct certa_ctx *c, int64_t id, const char *comment,
    struct certa_err *err)
{
	struct certa_request_rec	 r;
	certa_rc			 rc = CERTA_OK;

	memset(&r, 0, sizeof(r));
	CERTA_CHECK(comment != NULL && comment[0] != '\0', CERTA_E_INVAL,
	    "a rejection needs a comment");
	CERTA_CHECK(strlen(comment) <= 1024, CERTA_E_INVAL, "the comment is "
	    "longer than 1024 bytes");
	CERTA_TRY(get_pending(c, id, "rejected", &r, err));
	CERTA_TRY(transition(c, id, "pending", "rejected", comment,
	    "request.reject", NULL, err));
out:
	certa_request_rec_clear(&r);
	return rc;
}

certa_rc
certa_request_cancel(struct certa_ctx *c, int64_t id, struct certa_err *err)
{
	struct certa_request_rec	 r;
	certa_rc			 rc = CERTA_OK;

	memset(&r, 0, sizeof(r));
	CERTA_TRY(get_pending(c, id, "cancelled", &r, err));
	CERTA_CHECK(strcmp(r.requested_by, c->actor) == 0 || is_admin(c),
	    CERTA_E_POLICY, "only the requester (%s) or an admin may cancel "
	    "request %" PRId64, r.requested_by, id);
	CERTA_TRY(transition(c, id, "pending", "cancelled", NULL,
	    "request.cancel", NULL, err));
out:
	certa_request_rec_clear(&r);
	return rc;
}

/* The certificate a renew or reissue starts from: valid and with an app. */
static certa_rc
predecessor(struct certa_ctx *c, int64_t id, const char *verb,
    struct certa_cert_rec *out, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(certa_store_cert_get(c->store, id, out, err));
	CERTA_CHECK(out->status != CERTA_CERT_REVOKED, CERTA_E_CONFLICT,
	    "certificate %" PRId64 " is revoked; a revoked certificate "
	    "cannot be %s", id, verb);
	CERTA_CHECK(out->app_id != 0, CERTA_E_CONFLICT, "certificate %"
	    PRId64 " belongs to no application (deleted); it cannot be %s",
	    id, verb);
	CERTA_CHECK(out->der != NULL, CERTA_E_CONFLICT, "certificate %"
	    PRId64 " is not issued yet", id);
out:
	return rc;
}

/* Subject and SANs of the predecessor for req (SANs unless csr has). */
static void
carry_over(struct certa_cert_rec *p, const struct certa_csr *csr,
    struct certa_issue_req *req, const char **sans, char **buf)
{
	req->app_id = p->app_id;
	req->type = p->type;
	req->subject = p->subject;
	req->predecessor_id = p->id;
	if (csr == NULL || csr->sans == NULL) {
		*buf = p->sans != NULL ? strdup(p->sans) : NULL;
		req->sans = sans;
		req->nsans = split_sans(*buf, sans, MAX_SANS);
	}
}

certa_rc
certa_cert_renew(struct certa_ctx *c, int64_t cert_id, const uint8_t *csr,
    size_t csr_len, bool same_key, struct certa_lc_result *out,
    struct certa_err *err)
{
	struct certa_cert_rec		 p;
	struct certa_issue_req		 req;
	struct certa_csr		*parsed = NULL;
	const struct certa_profile	*prof;
	const char			*sans[MAX_SANS];
	char				*buf = NULL, opens[21], ends[21];
	int64_t				 window, now = certa_now();
	certa_rc			 rc = CERTA_OK;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	memset(&req, 0, sizeof(req));
	CERTA_CHECK((csr != NULL) != same_key, CERTA_E_INVAL, "renewal needs "
	    "either a new CSR or the same key, not both");
	CERTA_TRY(predecessor(c, cert_id, "renewed", &p, err));
	CERTA_TRY(certa_ctx_load_profiles(c, err));
	CERTA_TRY(certa_profiles_find(&c->profiles, p.type, &prof, err));
	CERTA_CHECK(!same_key || prof->renew_same_key, CERTA_E_POLICY,
	    "profile '%s' does not allow renewal with the same key "
	    "(renew_same_key): send a new CSR", prof->name);
	window = policy_int(c, "renew.window_days", CERTA_RENEW_WINDOW_DAYS);
	certa_time_format(p.not_after - window * 86400, opens);
	certa_time_format(p.not_after, ends);
	CERTA_CHECK(now >= p.not_after - window * 86400, CERTA_E_POLICY,
	    "certificate %" PRId64 " expires at %s; renewal opens %" PRId64
	    " days before, at %s", cert_id, ends, window, opens);
	if (csr != NULL) {
		CERTA_TRY(check_csr(c, csr, csr_len, &parsed, err));
		req.csr = csr;
		req.csr_len = csr_len;
	} else {
		req.same_key_der = p.der;
		req.same_key_der_len = p.der_len;
	}
	carry_over(&p, parsed, &req, sans, &buf);
	CERTA_TRY(issue_or_keep(c, "renew", &req, cert_id, -1, out, err));
out:
	certa_csr_free(parsed);
	free(buf);
	certa_cert_rec_clear(&p);
	return rc;
}

certa_rc
certa_cert_reissue(struct certa_ctx *c, int64_t cert_id, const uint8_t *csr,
    size_t csr_len, int64_t grace, struct certa_lc_result *out,
    struct certa_err *err)
{
	struct certa_cert_rec	 p;
	struct certa_issue_req	 req;
	struct certa_csr	*parsed = NULL;
	const unsigned char	*d;
	X509			*old = NULL;
	const char		*sans[MAX_SANS];
	char			*buf = NULL;
	certa_rc		 rc = CERTA_OK;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	memset(&req, 0, sizeof(req));
	CERTA_CHECK(csr != NULL, CERTA_E_INVAL, "a reissue needs a CSR with "
	    "a new key");
	CERTA_TRY(predecessor(c, cert_id, "reissued", &p, err));
	CERTA_CHECK(p.not_after > certa_now(), CERTA_E_POLICY, "certificate %"
	    PRId64 " has expired: renew it instead", cert_id);
	CERTA_TRY(check_csr(c, csr, csr_len, &parsed, err));
	d = p.der;
	CERTA_OSSL((old = d2i_X509(NULL, &d, (long)p.der_len)) != NULL,
	    CERTA_E_PARSE, "read certificate %" PRId64, cert_id);
	CERTA_CHECK(EVP_PKEY_eq(parsed->pkey, X509_get0_pubkey(old)) != 1,
	    CERTA_E_POLICY, "a reissue needs a new key: the CSR has the key "
	    "of certificate %" PRId64, cert_id);
	ERR_clear_error();
	req.csr = csr;
	req.csr_len = csr_len;
	req.not_after = p.not_after;
	carry_over(&p, parsed, &req, sans, &buf);
	CERTA_TRY(issue_or_keep(c, "reissue", &req, cert_id, grace, out,
	    err));
	if (!out->pending)
		CERTA_TRY(supersede(c, cert_id, out->cert.id, grace, out, err));
out:
	X509_free(old);
	certa_csr_free(parsed);
	free(buf);
	certa_cert_rec_clear(&p);
	return rc;
}

struct first_id {
	int64_t		 id;
};

static certa_rc
take_first(const struct certa_request_rec *r, void *arg)
{
	((struct first_id *)arg)->id = r->id;
	return CERTA_E_CONFLICT;	/* one is enough: stop */
}

certa_rc
certa_revocation_request(struct certa_ctx *c, int64_t cert_id, int reason,
    struct certa_lc_result *out, struct certa_err *err)
{
	struct certa_cert_rec		 p;
	struct certa_request_rec	 rec;
	struct certa_request_filter	 f;
	struct first_id			 first = { 0 };
	certa_rc			 rc = CERTA_OK, wrc;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	memset(&f, 0, sizeof(f));
	CERTA_CHECK(strcmp(certa_reason_name(reason), "none") != 0,
	    CERTA_E_INVAL, "bad reason %d", reason);
	CERTA_TRY(certa_store_cert_get(c->store, cert_id, &p, err));
	CERTA_CHECK(p.status != CERTA_CERT_REVOKED, CERTA_E_CONFLICT,
	    "certificate %" PRId64 " is revoked already", cert_id);
	f.state = "pending";
	f.kind = "revoke";
	f.cert_id = cert_id;
	wrc = certa_store_request_each(c->store, &f, take_first, &first, err);
	if (wrc != CERTA_E_CONFLICT)
		CERTA_TRY(wrc);
	certa_err_clear(err);
	CERTA_CHECK(first.id == 0, CERTA_E_CONFLICT, "a revocation of "
	    "certificate %" PRId64 " is pending already (request %" PRId64
	    ")", cert_id, first.id);
	memset(&rec, 0, sizeof(rec));
	rec.kind = "revoke";
	rec.cert_id = cert_id;
	rec.app_id = p.app_id;
	rec.reason = reason;
	rec.grace = -1;
	CERTA_TRY(keep_request(c, &rec, out, err));
out:
	certa_cert_rec_clear(&p);
	return rc;
}

struct due {
	int64_t		 ids[TICK_BATCH];
	size_t		 n;
};

static certa_rc
collect_due(const struct certa_request_rec *r, void *arg)
{
	struct due	*d = arg;

	if (d->n < TICK_BATCH)
		d->ids[d->n++] = r->id;
	return CERTA_OK;
}

certa_rc
certa_lifecycle_tick(struct certa_ctx *c, int64_t now, size_t *done,
    struct certa_err *err)
{
	struct certa_request_filter	 f;
	struct certa_request_rec	 r;
	struct due			 d;
	size_t				 i;
	certa_rc			 rc = CERTA_OK, one;

	if (done != NULL)
		*done = 0;
	memset(&f, 0, sizeof(f));
	memset(&d, 0, sizeof(d));
	memset(&r, 0, sizeof(r));
	f.kind = "revoke";
	f.due_before = now;
	f.limit = TICK_BATCH;
	CERTA_TRY(certa_store_request_each(c->store, &f, collect_due, &d,
	    err));
	for (i = 0; i < d.n; i++) {
		certa_request_rec_clear(&r);
		CERTA_TRY(certa_store_request_get(c->store, d.ids[i], &r, err));
		one = approve_revoke(c, &r, "request.execute", err);
		if (one == CERTA_E_CONFLICT) {
			/* Revoked meanwhile, or cancelled: nothing is due. */
			certa_err_clear(err);
			(void)transition(c, r.id, "pending", "failed",
			    "the certificate was revoked already",
			    "request.fail", NULL, NULL);
			continue;
		}
		CERTA_TRY(one);
		if (done != NULL)
			(*done)++;
	}
out:
	certa_request_rec_clear(&r);
	return rc;
}

certa_rc
certa_org_set_approval(struct certa_ctx *c, const char *ref, bool required,
    struct certa_err *err)
{
	struct certa_org_rec	 org;
	char			 obj[64], more[48];
	bool			 tx = false;
	certa_rc		 rc = CERTA_OK;

	memset(&org, 0, sizeof(org));
	CERTA_TRY(certa_org_resolve(c, ref, &org, err));
	CERTA_TRY(certa_store_begin(c->store, err));
	tx = true;
	CERTA_TRY(certa_store_org_set_approval(c->store, org.id, required,
	    err));
	snprintf(obj, sizeof(obj), "org:%" PRId64, org.id);
	snprintf(more, sizeof(more), "{\"approval\":\"%s\"}", required ?
	    "required" : "none");
	CERTA_TRY(certa_ctx_audit_commit(c, "org.approval", obj, more, err));
	tx = false;
out:
	if (tx)
		certa_store_rollback(c->store);
	certa_org_rec_clear(&org);
	return rc;
}

certa_rc
certa_org_get_approval(struct certa_ctx *c, int64_t org_id, bool *required,
    struct certa_err *err)
{
	return certa_store_org_get_approval(c->store, org_id, required, err);
}

certa_rc
certa_cert_predecessors(struct certa_ctx *c, int64_t cert_id, int64_t *ids,
    size_t max, size_t *n, struct certa_err *err)
{
	struct certa_cert_rec	 r;
	int64_t			 id = cert_id;
	certa_rc		 rc = CERTA_OK;

	*n = 0;
	memset(&r, 0, sizeof(r));
	while (*n < max) {
		certa_cert_rec_clear(&r);
		CERTA_TRY(certa_store_cert_get(c->store, id, &r, err));
		if (r.predecessor_id == 0 || r.predecessor_id == cert_id)
			break;
		ids[(*n)++] = id = r.predecessor_id;
	}
out:
	certa_cert_rec_clear(&r);
	return rc;
}

/* --- policy ------------------------------------------------------------ */

const char *const certa_policy_keys[] = { "renew.window_days",
    "reissue.grace_seconds", "approval.single_control", NULL };

/* Limits and defaults, in the order of certa_policy_keys. */
static const struct {
	int64_t		 max;		/* -1: boolean */
	int64_t		 def;
} policies[] = {
	{ 3650, CERTA_RENEW_WINDOW_DAYS },
	{ 365 * 86400, CERTA_REISSUE_GRACE },
	{ -1, 0 },
};
#define NPOLICIES	(sizeof(policies) / sizeof(policies[0]))

static certa_rc
policy_find(const char *key, size_t *out, struct certa_err *err)
{
	size_t		 i;
	certa_rc	 rc = CERTA_OK;

	for (i = 0; i < NPOLICIES; i++)
		if (strcmp(key, certa_policy_keys[i]) == 0) {
			*out = i;
			goto out;
		}
	CERTA_FAIL(CERTA_E_NOTFOUND, "unknown policy '%s' (known: "
	    "renew.window_days, reissue.grace_seconds, "
	    "approval.single_control)", key);
out:
	return rc;
}

certa_rc
certa_policy_set(struct certa_ctx *c, const char *key, const char *value,
    struct certa_err *err)
{
	char		 more[160], *end;
	size_t		 i = 0;
	int64_t		 n;
	bool		 tx = false;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(policy_find(key, &i, err));
	if (policies[i].max < 0) {
		CERTA_CHECK(strcmp(value, "true") == 0 ||
		    strcmp(value, "false") == 0, CERTA_E_PARSE, "%s: expected "
		    "true or false", key);
	} else {
		errno = 0;
		n = strtoll(value, &end, 10);
		CERTA_CHECK(errno == 0 && *end == '\0' && end != value &&
		    n >= 0 && n <= policies[i].max, CERTA_E_PARSE, "%s: "
		    "expected a number 0..%" PRId64, key, policies[i].max);
	}
	CERTA_TRY(certa_store_begin(c->store, err));
	tx = true;
	CERTA_TRY(certa_store_meta_set(c->store, key, value, err));
	snprintf(more, sizeof(more), "{\"value\":\"%s\"}", value);
	CERTA_TRY(certa_ctx_audit_commit(c, "config.set", key, more, err));
	tx = false;
out:
	if (tx)
		certa_store_rollback(c->store);
	return rc;
}

certa_rc
certa_policy_get(struct certa_ctx *c, const char *key, char **out,
    struct certa_err *err)
{
	char		 v[24];
	size_t		 i = 0;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	CERTA_TRY(policy_find(key, &i, err));
	if (policies[i].max < 0)
		snprintf(v, sizeof(v), "%s", single_control(c) ? "true" :
		    "false");
	else
		snprintf(v, sizeof(v), "%" PRId64, policy_int(c, key,
		    policies[i].def));
	CERTA_CHECK((*out = strdup(v)) != NULL, CERTA_E_NOMEM, "oom");
out:
	return rc;
}

