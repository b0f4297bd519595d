/* SPDX-License-Identifier: Apache-2.0 */
/*
 * API resources of the certificate lifecycle (include/certa/lifecycle.h):
 * /api/v1/requests (list, show, approve, reject, cancel), renew, reissue
 * and revocation requests of /api/v1/certificates/{id}, and the 202 answer
 * of a certificate request that waits for an approver.  Thin: the library
 * decides, checks dual control and audits; this file maps JSON to calls.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <certa/json.h>
#include <certa/lifecycle.h>
#include <certa/util.h>

#include "proto/api.h"

#define LIFE_MAX_CHAIN	64

/* 201 (a certificate) or 202 (a request waits), with Location. */
static void
reply_result(struct api_call *c, const struct certa_lc_result *res)
{
	json_t	*o;
	char	 loc[96];

	if (res->cert.id != 0) {
		c->api->issued++;
		o = api_cert_chain(c, certa_json_cert(&res->cert, true),
		    res->cert.id);
		if (res->request.id != 0)
			json_object_set_new(o, "request",
			    certa_json_request(&res->request));
		snprintf(loc, sizeof(loc), "/api/v1/certificates/%" PRId64,
		    res->cert.id);
		certa_http_header(c->req, "Location", loc);
		api_json(c, 201, o);
		return;
	}
	snprintf(loc, sizeof(loc), "/api/v1/requests/%" PRId64,
	    res->request.id);
	certa_http_header(c->req, "Location", loc);
	api_json(c, 202, certa_json_request(&res->request));
}

json_t *
api_cert_chain(struct api_call *c, json_t *o, int64_t cert_id)
{
	struct certa_err	 err;
	int64_t			 ids[LIFE_MAX_CHAIN];
	json_t			*arr = json_array();
	size_t			 n = 0, i;

	certa_err_clear(&err);
	if (o == NULL || arr == NULL) {
		json_decref(arr);
		return o;
	}
	if (certa_cert_predecessors(c->ctx, cert_id, ids, LIFE_MAX_CHAIN, &n,
	    &err) != CERTA_OK)
		n = 0;
	for (i = 0; i < n; i++)
		json_array_append_new(arr, certa_json_id(ids[i]));
	json_object_set_new(o, "predecessors", arr);
	return o;
}

bool
api_request_pending(struct api_call *c, const struct certa_issue_req *r)
{
	struct certa_lc_result	 res;
	struct certa_err	 err;
	bool			 need = false;
	certa_rc		 rc;

	memset(&res, 0, sizeof(res));
	certa_err_clear(&err);
	rc = certa_approval_required(c->ctx, r->app_id, r->type, &need, &err);
	if (rc != CERTA_OK) {
		api_fail(c, rc, &err);
		return true;
	}
	if (!need)
		return false;
	if (r->keygen != NULL) {
		api_problem(c, 422, "policy", "certificates of this "
		    "organisation or type need approval: send a \"csr\"; a "
		    "server-generated key could not be handed over later");
		return true;
	}
	rc = certa_request_create(c->ctx, r, &res, &err);
	if (rc != CERTA_OK)
		api_fail(c, rc, &err);
	else
		reply_result(c, &res);
	certa_lc_result_clear(&res);
	return true;
}

/* The {id} of /api/v1/requests/{id}; false after replying 404. */
static bool
request_id(struct api_call *c, int64_t *id)
{
	const char	*s = c->param[0];
	char		*end;

	*id = s != NULL ? strtoll(s, &end, 10) : 0;
	if (s == NULL || *end != '\0' || *id <= 0) {
		api_problem(c, 404, "not_found", "no request '%s'",
		    s != NULL ? s : "");
		return false;
	}
	return true;
}

struct req_page {
	json_t		*items;
	size_t		 limit;
	bool		 more;		/* a next page exists */
};

static certa_rc
req_row(const struct certa_request_rec *r, void *arg)
{
	struct req_page	*p = arg;

	if (json_array_size(p->items) == p->limit) {
		p->more = true;
		return CERTA_E_CONFLICT;	/* stop the walk */
	}
	json_array_append_new(p->items, certa_json_request(r));
	return CERTA_OK;
}

void
api_request_list(struct api_call *c)
{
	struct certa_request_filter	 f;
	struct certa_err		 err;
	struct req_page			 p;
	json_t				*last;
	certa_rc			 rc;

	memset(&f, 0, sizeof(f));
	memset(&p, 0, sizeof(p));
	certa_err_clear(&err);
	if (!api_page(c, &p.limit, &f.after_id))
		return;
	f.state = certa_http_req_query(c->req, "state");
	f.kind = certa_http_req_query(c->req, "kind");
	f.limit = p.limit + 1;
	p.items = json_array();
	rc = certa_request_each(c->ctx, &f, req_row, &p, &err);
	if (rc != CERTA_OK && rc != CERTA_E_CONFLICT) {
		json_decref(p.items);
		api_fail(c, rc, &err);
		return;
	}
	last = json_array_get(p.items, json_array_size(p.items) - 1);
	api_json(c, 200, json_pack("{s:o, s:O}", "items", p.items, "next",
	    p.more && last != NULL ? json_object_get(last, "id") :
	    json_null()));
}

void
api_request_get(struct api_call *c)
{
	struct certa_request_rec	 r;
	struct certa_err		 err;
	int64_t				 id;
	certa_rc			 rc;

	memset(&r, 0, sizeof(r));
	certa_err_clear(&err);
	if (!request_id(c, &id))
		return;
	if ((rc = certa_request_get(c->ctx, id, &r, &err)) != CERTA_OK)
		api_fail(c, rc, &err);
	else
		api_json(c, 200, certa_json_request(&r));
	certa_request_rec_clear(&r);
}

/* Answer a decision with the request as it now is (and its certificate). */
static void
reply_decided(struct api_call *c, int64_t id, struct certa_lc_result *res)
{
	struct certa_err	 err;
	json_t			*o;
	certa_rc		 rc;

	certa_err_clear(&err);
	if (res->request.id == 0 && (rc = certa_request_get(c->ctx, id,
	    &res->request, &err)) != CERTA_OK) {
		api_fail(c, rc, &err);
		return;
	}
	o = certa_json_request(&res->request);
	if (res->cert.id != 0) {
		c->api->issued++;
		json_object_set_new(o, "certificate_issued",
		    certa_json_cert(&res->cert, true));
	}
	api_json(c, 200, o);
}

/* approve (fn NULL) or cancel request {id}; answer the request. */
static void
decide(struct api_call *c, certa_rc (*fn)(struct certa_ctx *, int64_t,
    struct certa_err *))
{
	struct certa_lc_result	 res;
	struct certa_err	 err;
	int64_t			 id;
	certa_rc		 rc;

	memset(&res, 0, sizeof(res));
	certa_err_clear(&err);
	if (!request_id(c, &id))
		return;
	rc = fn != NULL ? fn(c->ctx, id, &err) :
	    certa_request_approve(c->ctx, id, &res, &err);
	if (rc != CERTA_OK) {
		api_fail(c, rc, &err);
	} else {
		api_changed(c);		/* a revocation request approved */
		reply_decided(c, id, &res);
	}
	certa_lc_result_clear(&res);
}

void
api_request_approve(struct api_call *c)
{
	decide(c, NULL);
}

void
api_request_cancel(struct api_call *c)
{
	decide(c, certa_request_cancel);
}

void
api_request_reject(struct api_call *c)
{
	struct certa_lc_result	 res;
	struct certa_err	 err;
	const char		*comment;
	json_t			*b;
	int64_t			 id;
	bool			 bad = false;
	certa_rc		 rc;

	memset(&res, 0, sizeof(res));
	certa_err_clear(&err);
	/* The body first: a malformed one is 400 whatever the id. */
	if ((b = api_body_json(c)) == NULL)
		return;
	comment = api_str(c, b, "comment", true, &bad);
	if (!bad && !request_id(c, &id))
		bad = true;
	if (!bad && (rc = certa_request_reject(c->ctx, id, comment, &err)) !=
	    CERTA_OK)
		api_fail(c, rc, &err);
	else if (!bad)
		reply_decided(c, id, &res);
	certa_lc_result_clear(&res);
	json_decref(b);
}

/* A JSON body, or an empty one (no body at all) as {}. */
static json_t *
body_or_empty(struct api_call *c)
{
	size_t	len;

	(void)certa_http_req_body(c->req, &len);
	return len == 0 ? json_object() : api_body_json(c);
}

/* The target certificate's id; false after replying. */
static bool
target(struct api_call *c, int64_t *id)
{
	struct certa_cert_rec	 rec;
	struct certa_err	 err;
	certa_rc		 rc;

	memset(&rec, 0, sizeof(rec));
	certa_err_clear(&err);
	rc = certa_cert_resolve(c->ctx, c->param[0], &rec, &err);
	if (rc != CERTA_OK)
		api_fail(c, rc, &err);
	*id = rec.id;
	certa_cert_rec_clear(&rec);
	return rc == CERTA_OK;
}

/* renew {"csr"} | {"same_key": true}; reissue {"csr", "now", "grace"}. */
static void
renew_or_reissue(struct api_call *c, bool reissue)
{
	struct certa_lc_result	 res;
	struct certa_err	 err;
	const char		*csr;
	json_t			*b, *v;
	int64_t			 id, grace = -1;
	bool			 bad = false, flag = false;
	certa_rc		 rc;

	memset(&res, 0, sizeof(res));
	certa_err_clear(&err);
	if ((b = body_or_empty(c)) == NULL)
		return;
	csr = api_str(c, b, "csr", false, &bad);
	if (bad)
		goto out;
	if (csr != NULL && strlen(csr) > CERTA_API_MAX_CSR) {
		api_problem(c, 413, "too_large", "a CSR is limited to %d bytes",
		    CERTA_API_MAX_CSR);
		goto out;
	}
	v = json_object_get(b, reissue ? "now" : "same_key");
	if (v != NULL && !json_is_boolean(v)) {
		api_problem(c, 422, "invalid_field", "\"%s\" must be true or "
		    "false", reissue ? "now" : "same_key");
		goto out;
	}
	/* "now" (reissue) or "same_key" (renew). */
	flag = json_is_true(v);
	if (reissue && (v = json_object_get(b, "grace_seconds")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			api_problem(c, 422, "invalid_field", "\"grace_seconds\""
			    " must be a non-negative integer");
			goto out;
		}
		grace = (int64_t)json_integer_value(v);
	}
	if (reissue && flag)
		grace = 0;	/* "now": revoke the predecessor at once */
	if (!target(c, &id))
		goto out;
	if (reissue)
		rc = certa_cert_reissue(c->ctx, id, (const uint8_t *)csr,
		    csr != NULL ? strlen(csr) : 0, grace, &res, &err);
	else
		rc = certa_cert_renew(c->ctx, id, (const uint8_t *)csr,
		    csr != NULL ? strlen(csr) : 0, flag, &res, &err);
	if (rc != CERTA_OK) {
		api_fail(c, rc, &err);
	} else {
		api_changed(c);		/* a reissue "now" revokes */
		reply_result(c, &res);
	}
out:
	certa_lc_result_clear(&res);
	json_decref(b);
}

void
api_cert_renew(struct api_call *c)
{
	renew_or_reissue(c, false);
}

void
api_cert_reissue(struct api_call *c)
{
	renew_or_reissue(c, true);
}

void
api_revocation_request(struct api_call *c)
{
	struct certa_lc_result	 res;
	struct certa_err	 err;
	const char		*reason;
	json_t			*b;
	int64_t			 id;
	int			 code = 0;
	bool			 bad = false;
	certa_rc		 rc;

	memset(&res, 0, sizeof(res));
	certa_err_clear(&err);
	if ((b = api_body_json(c)) == NULL)
		return;
	reason = api_str(c, b, "reason", true, &bad);
	if (bad)
		goto out;
	if (certa_reason_parse(reason, &code, &err) != CERTA_OK) {
		api_problem(c, 422, "invalid_field", "%s", err.msg);
		goto out;
	}
	if (!target(c, &id))
		goto out;
	if ((rc = certa_revocation_request(c->ctx, id, code, &res, &err)) !=
	    CERTA_OK) {
		api_fail(c, rc, &err);
	} else {
		api_changed(c);		/* revoked at once without approval */
		reply_result(c, &res);
	}
out:
	certa_lc_result_clear(&res);
	json_decref(b);
}

bool
api_org_body(struct api_call *c, json_t *b, const char **name, int *approval)
{
	const char	*a;
	bool		 bad = false;

	*approval = -1;
	*name = api_str(c, b, "name", false, &bad);
	a = api_str(c, b, "approval", false, &bad);
	if (bad)
		return false;
	if (*name == NULL && a == NULL) {
		api_problem(c, 422, "missing_field", "\"name\" is required "
		    "(or \"approval\")");
		return false;
	}
	if (a != NULL && strcmp(a, "required") != 0 && strcmp(a, "none") != 0) {
		api_problem(c, 422, "invalid_field", "\"approval\" must be "
		    "\"required\" or \"none\"");
		return false;
	}
	if (a != NULL)
		*approval = strcmp(a, "required") == 0;
	return true;
}

json_t *
api_org_json(struct api_call *c, const struct certa_org_rec *o)
{
	json_t	*j = certa_json_org(o);
	bool	 req = false;

	if (j != NULL && certa_org_get_approval(c->ctx, o->id, &req, NULL) ==
	    CERTA_OK)
		json_object_set_new(j, "approval", json_string(req ?
		    "required" : "none"));
	return j;
}

void
api_lifecycle_tick(struct certa_ctx *ctx)
{
	struct certa_err	 err;
	size_t			 done = 0;

	certa_err_clear(&err);
	if (certa_lifecycle_tick(ctx, certa_now(), &done, &err) != CERTA_OK)
		fprintf(stderr, "certa serve: lifecycle: %s\n", err.msg);
	else if (done > 0)
		fprintf(stderr, "certa serve: lifecycle: revoked %zu "
		    "superseded certificate(s)\n", done);
}
