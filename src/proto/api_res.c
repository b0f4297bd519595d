/* SPDX-License-Identifier: Apache-2.0 */
/*
 * REST resources (see api.h): each handler maps one library call to HTTP.
 * Ids are opaque strings; wherever an id goes, a unique name works too
 * (the library's *_resolve functions).  Lists page with ?limit and
 * ?after (the "next" of the previous page).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pthread.h>

#include <event2/event.h>

#include <certa/auth.h>
#include <certa/json.h>
#include <certa/store.h>
#include <certa/trust.h>
#include <certa/truststore.h>
#include <certa/util.h>

#include "proto/api.h"

json_t *
api_cert_json(struct certa_api *api, const struct certa_cert_rec *r,
    bool pem)
{
	struct certa_ca_rec	 ca;
	struct certa_cert_info	 ci;
	size_t			 i;

	for (i = 0; i < 8 && api->issuers[i].dn != NULL; i++)
		if (api->issuers[i].ca_id == r->ca_id)
			return certa_json_cert_ex(r, pem, api->issuers[i].dn);
	if (i == 8)
		return certa_json_cert(r, pem);
	memset(&ca, 0, sizeof(ca));
	memset(&ci, 0, sizeof(ci));
	if (certa_store_ca_get(certa_ctx_store(api->ctx), r->ca_id, &ca,
	    NULL) == CERTA_OK && certa_cert_info_get(ca.cert_der,
	    ca.cert_der_len, &ci, NULL) == CERTA_OK && ci.subject != NULL) {
		api->issuers[i].ca_id = r->ca_id;
		api->issuers[i].dn = ci.subject;
		ci.subject = NULL;
	}
	certa_cert_info_clear(&ci);
	certa_ca_rec_clear(&ca);
	return certa_json_cert_ex(r, pem, api->issuers[i].dn);
}

static void
created(struct api_call *c, const char *prefix, int64_t id, json_t *body)
{
	char	loc[96];

	snprintf(loc, sizeof(loc), "%s/%" PRId64, prefix, id);
	certa_http_header(c->req, "Location", loc);
	api_json(c, 201, body);
}

/* {"items": [...], "next": "id"|null} */
static json_t *
page(json_t *items, int64_t next)
{
	return json_pack("{s:o, s:o}", "items", items, "next",
	    certa_json_id(next));
}

/* A body with only "name" (create and rename). */
static const char *
body_name(struct api_call *c, json_t **body)
{
	bool		 bad = false;
	const char	*name;

	if ((*body = api_body_json(c)) == NULL)
		return NULL;
	name = api_str(c, *body, "name", true, &bad);
	if (bad) {
		json_decref(*body);
		*body = NULL;
	}
	return name;
}

/* --- organisations -------------------------------------------------------- */

void
api_org_create(struct api_call *c)
{
	struct certa_org_rec	 o;
	struct certa_err	 err;
	json_t			*b;
	const char		*name;
	certa_rc		 rc;

	memset(&o, 0, sizeof(o));
	certa_err_clear(&err);
	if ((name = body_name(c, &b)) == NULL)
		return;
	rc = certa_org_create(c->ctx, name, &o, &err);
	if (rc == CERTA_OK)
		created(c, "/api/v1/organisations", o.id, certa_json_org(&o));
	else
		api_fail(c, rc, &err);
	certa_org_rec_clear(&o);
	json_decref(b);
}

/*
 * One page of a list: store iterators add items (in id order) until the
 * page is full; the row that does not fit says there is a next page, and
 * "next" is the last id on this one.
 */
struct list_st {
	struct certa_api *api;
	json_t		*items;		/* owns */
	size_t		 limit;
	int64_t		 after, last;
	bool		 more;
	const char	*name;		/* filter: prefix */
};

/* Add item (taken) of row id; AGAIN stops the walk once the page is full. */
static certa_rc
list_add(struct list_st *l, json_t *item, int64_t id)
{
	if (json_array_size(l->items) == l->limit) {
		json_decref(item);
		l->more = true;
		return CERTA_E_AGAIN;
	}
	json_array_append_new(l->items, item);
	l->last = id;
	return CERTA_OK;
}

/* Start a page: ?limit, ?after; false after replying 400. */
static bool
list_start(struct api_call *c, struct list_st *l)
{
	memset(l, 0, sizeof(*l));
	l->api = c->api;
	if (!api_page(c, &l->limit, &l->after))
		return false;
	l->items = json_array();
	return true;
}

/* The page (200), or the walk's error; takes l->items. */
static void
list_done(struct api_call *c, struct list_st *l, certa_rc rc,
    const struct certa_err *err)
{
	if (rc != CERTA_OK && !(rc == CERTA_E_AGAIN && l->more)) {
		json_decref(l->items);
		api_fail(c, rc, err);
		return;
	}
	api_json(c, 200, page(l->items, l->more ? l->last : 0));
}

static bool
name_skip(const struct list_st *l, int64_t id, const char *name)
{
	return id <= l->after || (l->name != NULL &&
	    strncmp(name, l->name, strlen(l->name)) != 0);
}

static certa_rc
org_one(const struct certa_org_rec *r, void *arg)
{
	struct list_st	*l = arg;

	if (name_skip(l, r->id, r->name))
		return CERTA_OK;
	return list_add(l, certa_json_org(r), r->id);
}

void
api_org_list(struct api_call *c)
{
	struct list_st		 l;
	struct certa_err	 err;
	certa_rc		 rc;

	certa_err_clear(&err);
	if (!list_start(c, &l))
		return;
	l.name = certa_http_req_query(c->req, "name");
	rc = certa_store_org_each(certa_ctx_store(c->ctx), org_one, &l, &err);
	list_done(c, &l, rc, &err);
}

void
api_org_get(struct api_call *c)
{
	struct certa_org_rec	 o;
	struct certa_err	 err;
	certa_rc		 rc;

	memset(&o, 0, sizeof(o));
	certa_err_clear(&err);
	rc = certa_org_resolve(c->ctx, c->param[0], &o, &err);
	if (rc == CERTA_OK)
		api_json(c, 200, api_org_json(c, &o));
	else
		api_fail(c, rc, &err);
	certa_org_rec_clear(&o);
}

void
api_org_update(struct api_call *c)
{
	struct certa_org_rec	 o;
	struct certa_err	 err;
	json_t			*b;
	const char		*name;
	int			 approval;
	certa_rc		 rc;

	memset(&o, 0, sizeof(o));
	certa_err_clear(&err);
	/* "name", and the lifecycle's "approval" (api_life.c). */
	if ((b = api_body_json(c)) == NULL)
		return;
	if (!api_org_body(c, b, &name, &approval))
		goto out;
	rc = name != NULL ? certa_org_update(c->ctx, c->param[0], name, &o,
	    &err) : certa_org_resolve(c->ctx, c->param[0], &o, &err);
	if (rc == CERTA_OK && approval >= 0) {
		char id[24];

		snprintf(id, sizeof(id), "%" PRId64, o.id);
		rc = certa_org_set_approval(c->ctx, id, approval == 1, &err);
	}
	if (rc == CERTA_OK)
		api_json(c, 200, api_org_json(c, &o));
	else
		api_fail(c, rc, &err);
out:
	certa_org_rec_clear(&o);
	json_decref(b);
}

static void
no_content(struct api_call *c, certa_rc rc, const struct certa_err *err)
{
	if (rc == CERTA_OK)
		api_bytes(c, 204, NULL, NULL, 0);
	else
		api_fail(c, rc, err);
}

void
api_org_delete(struct api_call *c)
{
	struct certa_err	 err;

	certa_err_clear(&err);
	no_content(c, certa_org_delete(c->ctx, c->param[0], &err), &err);
}

/* --- applications --------------------------------------------------------- */

void
api_app_create(struct api_call *c)
{
	struct certa_app_rec	 a;
	struct certa_err	 err;
	json_t			*b;
	const char		*name;
	certa_rc		 rc;

	memset(&a, 0, sizeof(a));
	certa_err_clear(&err);
	if ((name = body_name(c, &b)) == NULL)
		return;
	rc = certa_app_create(c->ctx, c->param[0], name, &a, &err);
	if (rc == CERTA_OK)
		created(c, "/api/v1/applications", a.id, certa_json_app(&a));
	else
		api_fail(c, rc, &err);
	certa_app_rec_clear(&a);
	json_decref(b);
}

static certa_rc
app_one(const struct certa_app_rec *r, void *arg)
{
	struct list_st	*l = arg;

	if (name_skip(l, r->id, r->name))
		return CERTA_OK;
	return list_add(l, certa_json_app(r), r->id);
}

void
api_app_list(struct api_call *c)
{
	struct list_st		 l;
	struct certa_org_rec	 o;
	struct certa_err	 err;
	const char		*org = c->param[0];
	certa_rc		 rc = CERTA_OK;

	memset(&o, 0, sizeof(o));
	certa_err_clear(&err);
	if (!list_start(c, &l))
		return;
	l.name = certa_http_req_query(c->req, "name");
	if (org == NULL)
		org = certa_http_req_query(c->req, "organisation");
	if (org != NULL)
		rc = certa_org_resolve(c->ctx, org, &o, &err);
	if (rc != CERTA_OK) {
		json_decref(l.items);
		api_fail(c, rc, &err);
		return;
	}
	rc = certa_store_app_each(certa_ctx_store(c->ctx), o.id, app_one, &l,
	    &err);
	certa_org_rec_clear(&o);
	list_done(c, &l, rc, &err);
}

void
api_app_get(struct api_call *c)
{
	struct certa_app_rec	 a;
	struct certa_err	 err;
	certa_rc		 rc;

	memset(&a, 0, sizeof(a));
	certa_err_clear(&err);
	rc = certa_app_resolve(c->ctx, c->param[0], &a, &err);
	if (rc == CERTA_OK)
		api_json(c, 200, certa_json_app(&a));
	else
		api_fail(c, rc, &err);
	certa_app_rec_clear(&a);
}

void
api_app_update(struct api_call *c)
{
	struct certa_app_rec	 a;
	struct certa_err	 err;
	json_t			*b;
	const char		*name;
	certa_rc		 rc;

	memset(&a, 0, sizeof(a));
	certa_err_clear(&err);
	if ((name = body_name(c, &b)) == NULL)
		return;
	rc = certa_app_update(c->ctx, c->param[0], name, &a, &err);
	if (rc == CERTA_OK)
		api_json(c, 200, certa_json_app(&a));
	else
		api_fail(c, rc, &err);
	certa_app_rec_clear(&a);
	json_decref(b);
}

void
api_app_delete(struct api_call *c)
{
	struct certa_err	 err;

	certa_err_clear(&err);
	no_content(c, certa_app_delete(c->ctx, c->param[0], &err), &err);
}

/* --- certificates --------------------------------------------------------- */

static bool
known_type(const char *t)
{
	return t != NULL && (strcmp(t, "transport") == 0 ||
	    strcmp(t, "signing") == 0 || strcmp(t, "encryption") == 0);
}

/* JSON {"type", "csr" | "generate_key"+"subject"+"password", "sans",
 * "validity_days"} or a raw application/pkcs10 body with ?type=. */
void
api_cert_create(struct api_call *c)
{
	struct certa_app_rec		 a;
	struct certa_cert_rec		 rec;
	struct certa_issue_req		 r;
	struct certa_export_opts	 eo;
	struct certa_err		 err;
	json_t				*b = NULL, *sans, *v, *out;
	const char			*sanv[16], *pass = NULL;
	char				 ct[80], *p64 = NULL;
	uint8_t				*p12 = NULL;
	size_t				 p12len = 0, i;
	bool				 bad = false;
	certa_rc			 rc;

	memset(&a, 0, sizeof(a));
	memset(&rec, 0, sizeof(rec));
	memset(&r, 0, sizeof(r));
	certa_err_clear(&err);
	if (api_ctype(c, ct, sizeof(ct)) != NULL &&
	    strcmp(ct, "application/pkcs10") == 0) {
		r.type = certa_http_req_query(c->req, "type");
		r.csr = certa_http_req_body(c->req, &r.csr_len);
		if (r.csr_len > CERTA_API_MAX_CSR) {
			api_problem(c, 413, "too_large", "a CSR is limited to "
			    "%d bytes", CERTA_API_MAX_CSR);
			return;
		}
	} else {
		if ((b = api_body_json(c)) == NULL)
			return;
		r.type = api_str(c, b, "type", true, &bad);
		r.csr = (const uint8_t *)api_str(c, b, "csr", false, &bad);
		r.keygen = api_str(c, b, "generate_key", false, &bad);
		r.subject = api_str(c, b, "subject", false, &bad);
		pass = api_str(c, b, "password", false, &bad);
		if (bad)
			goto out;
		if (r.csr != NULL)
			r.csr_len = strlen((const char *)r.csr);
		if (r.csr_len > CERTA_API_MAX_CSR) {
			api_problem(c, 413, "too_large", "a CSR is limited to "
			    "%d bytes", CERTA_API_MAX_CSR);
			goto out;
		}
		if ((r.csr == NULL) == (r.keygen == NULL)) {
			api_problem(c, 422, "invalid_field", "give exactly one "
			    "of \"csr\" (PEM) and \"generate_key\" (e.g. "
			    "\"ec:P-256\")");
			goto out;
		}
		if (r.keygen != NULL && (pass == NULL || r.subject == NULL)) {
			api_problem(c, 422, "missing_field", "\"generate_key\""
			    " needs \"subject\" and \"password\" (the key "
			    "leaves certa only in a PKCS#12)");
			goto out;
		}
		sans = json_object_get(b, "sans");
		if (sans != NULL && (!json_is_array(sans) ||
		    json_array_size(sans) > 16)) {
			api_problem(c, 422, "invalid_field", "\"sans\" must "
			    "be an array of at most 16 strings");
			goto out;
		}
		json_array_foreach(sans, i, v) {
			if (!json_is_string(v)) {
				api_problem(c, 422, "invalid_field", "\"sans\""
				    " must hold strings like \"DNS:x\"");
				goto out;
			}
			sanv[i] = json_string_value(v);
		}
		r.sans = sanv;
		r.nsans = sans != NULL ? json_array_size(sans) : 0;
		v = json_object_get(b, "validity_days");
		if (v != NULL && (!json_is_integer(v) ||
		    json_integer_value(v) < 1 ||
		    json_integer_value(v) > 3650)) {
			api_problem(c, 422, "invalid_field", "\"validity_days"
			    "\" must be an integer in 1..3650");
			goto out;
		}
		if (v != NULL)
			r.validity = (int64_t)json_integer_value(v) * 86400;
	}
	if (r.type == NULL) {
		api_problem(c, 422, "missing_field", "a certificate type is "
		    "required: transport, signing or encryption");
		goto out;
	}
	if (!known_type(r.type)) {
		api_problem(c, 422, "invalid_field", "unknown type \"%s\": "
		    "expected transport, signing or encryption", r.type);
		goto out;
	}
	if ((rc = certa_app_resolve(c->ctx, c->param[0], &a, &err)) !=
	    CERTA_OK) {
		api_fail(c, rc, &err);
		goto out;
	}
	r.app_id = a.id;
	/* Approval required: kept pending, 202 (api_life.c). */
	if (api_request_pending(c, &r))
		goto out;
	if (r.keygen == NULL) {
		/* Group commit with the other requests of this loop turn. */
		api_issue_enqueue(c, &r);
		goto out;
	}
	if ((rc = certa_issue(c->ctx, &r, &rec, &err)) != CERTA_OK) {
		api_fail(c, rc, &err);
		goto out;
	}
	c->api->issued++;
	out = api_cert_json(c->api, &rec, true);
	if (r.keygen != NULL) {
		memset(&eo, 0, sizeof(eo));
		eo.format = "p12";
		eo.chain = true;
		eo.password = pass;
		rc = certa_cert_export(c->ctx, &rec, &eo, &p12, &p12len, &err);
		if (rc != CERTA_OK) {
			json_decref(out);
			api_fail(c, rc, &err);
			goto out;
		}
		p64 = certa_base64(p12, p12len);
		json_object_set_new(out, "pkcs12_base64", p64 != NULL ?
		    json_string(p64) : json_null());
	}
	created(c, "/api/v1/certificates", rec.id, out);
out:
	if (p12 != NULL)
		certa_free_secret(p12, p12len);
	free(p64);
	certa_cert_rec_clear(&rec);
	certa_app_rec_clear(&a);
	json_decref(b);
}

/*
 * HOW IT WORKS (group commit).  A certificate made from a CSR must be on
 * disk before its response (invariant 1); one fsync'ed commit per request
 * would cap throughput at the disk's sync rate, and signing on the event
 * loop would stall every other connection.  So the handler copies the
 * request into a job, defers its HTTP reply and activates the batch
 * event, which runs after the I/O callbacks of this loop turn and hands
 * every queued job to the issuance thread (unless it is busy: then they
 * wait for the next round).  That thread has its own certa_ctx (its own
 * store handle) and issues the round with certa_issue_batch (CSR checks
 * and signing on all cores, one commit per chunk) in runs of one actor,
 * so the audit records name the right caller.  When the round is
 * committed it activates the done event; back on the loop thread each job
 * is answered, and the next round starts if jobs arrived meanwhile.  So
 * the loop keeps serving TLS and HTTP while a round commits, and rounds
 * grow with the load.
 */
struct api_issue_job {
	struct api_issue_job	*next;
	struct api_call		 c;	/* c.req is the deferred request */
	struct certa_issue_req	 r;
	uint8_t			*csr;	/* owns */
	char			 type[32];
	char			*sans[16];	/* owns each */
	char			*subject;	/* owns */
	struct certa_issue_result res;	/* set by the issuance thread */
};

#define API_BATCH_MAX	512

static void
job_free(struct api_issue_job *j)
{
	size_t	i;

	for (i = 0; i < j->r.nsans; i++)
		free(j->sans[i]);
	certa_cert_rec_clear(&j->res.rec);
	free(j->subject);
	free(j->csr);
	free(j);
}

void
api_issue_enqueue(struct api_call *c, const struct certa_issue_req *r)
{
	struct certa_api	*api = c->api;
	struct api_issue_job	*j;
	struct certa_http_req	*d = NULL;
	size_t			 i;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->csr = malloc(r->csr_len)) == NULL ||
	    snprintf(j->type, sizeof(j->type), "%s", r->type) >=
	    (int)sizeof(j->type))
		goto fail;
	j->r = *r;
	memcpy(j->csr, r->csr, r->csr_len);
	j->r.csr = j->csr;
	j->r.type = j->type;
	j->r.sans = (const char *const *)j->sans;
	for (i = 0; i < r->nsans; i++)
		if ((j->sans[i] = strdup(r->sans[i])) == NULL) {
			j->r.nsans = i;
			goto fail;
		}
	if (r->subject != NULL && (j->subject = strdup(r->subject)) == NULL)
		goto fail;
	j->r.subject = j->subject;
	if ((d = certa_http_req_defer(c->req)) == NULL)
		goto fail;
	j->c = *c;
	j->c.req = d;
	j->next = NULL;
	*api->jobs_tail = j;
	api->jobs_tail = &j->next;
	api->njobs++;
	c->deferred = true;
	if (api->njobs == 1)
		event_active(api->batch_ev, EV_TIMEOUT, 1);
	return;
fail:
	if (j != NULL)
		job_free(j);
	api_problem(c, 500, "internal", "out of memory");
}

static void
job_answer(struct api_issue_job *j)
{
	if (j->res.rc != CERTA_OK) {
		api_fail(&j->c, j->res.rc, &j->res.err);
	} else {
		j->c.api->issued++;
		created(&j->c, "/api/v1/certificates", j->res.rec.id,
		    api_cert_json(j->c.api, &j->res.rec, true));
	}
	api_record(&j->c);
}

/* One round, on the issuance thread: runs of one actor. */
static void
issue_round(struct certa_api *api, struct api_issue_job *jobs)
{
	struct api_issue_job		*run[API_BATCH_MAX], *j = jobs;
	struct certa_issue_req		*reqs;
	struct certa_issue_result	*res;
	struct certa_err		 err;
	size_t				 n, i;
	certa_rc			 rc;

	reqs = calloc(API_BATCH_MAX, sizeof(*reqs));
	res = calloc(API_BATCH_MAX, sizeof(*res));
	while (j != NULL) {
		for (n = 0; j != NULL && n < API_BATCH_MAX && (n == 0 ||
		    strcmp(j->c.actor, run[0]->c.actor) == 0); j = j->next)
			run[n++] = j;
		certa_err_clear(&err);
		if (reqs == NULL || res == NULL) {
			rc = certa_err_set(&err, CERTA_E_NOMEM, __FILE__,
			    __LINE__, "out of memory");
		} else {
			for (i = 0; i < n; i++)
				reqs[i] = run[i]->r;
			memset(res, 0, n * sizeof(*res));
			certa_ctx_set_actor(api->wctx, run[0]->c.actor);
			rc = certa_issue_batch(api->wctx, reqs, n, res, &err);
		}
		for (i = 0; i < n; i++) {
			if (rc != CERTA_OK) {
				run[i]->res.rc = rc;
				run[i]->res.err = err;
			} else {
				run[i]->res = res[i];	/* takes rec */
			}
		}
	}
	free(reqs);
	free(res);
}

static void *
issue_thread(void *arg)
{
	struct certa_api	*api = arg;
	struct api_issue_job	*round;

	pthread_mutex_lock(&api->mu);
	for (;;) {
		while (api->submitted == NULL && !api->stop)
			pthread_cond_wait(&api->cv, &api->mu);
		if (api->submitted == NULL)
			break;		/* stop, nothing left */
		round = api->submitted;
		api->submitted = NULL;
		pthread_mutex_unlock(&api->mu);
		issue_round(api, round);
		pthread_mutex_lock(&api->mu);
		api->finished = round;
		event_active(api->done_ev, EV_TIMEOUT, 1);
	}
	pthread_mutex_unlock(&api->mu);
	return NULL;
}

/* Loop thread: hand the queued jobs over when the thread is idle. */
static void
submit(struct certa_api *api)
{
	pthread_mutex_lock(&api->mu);
	if (!api->busy && api->jobs != NULL) {
		api->submitted = api->jobs;
		api->jobs = NULL;
		api->jobs_tail = &api->jobs;
		api->njobs = 0;
		api->busy = true;
		api->batches++;
		pthread_cond_signal(&api->cv);
	}
	pthread_mutex_unlock(&api->mu);
}

static void
on_batch(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	submit(arg);
}

static void
answer_all(struct api_issue_job *j)
{
	struct api_issue_job	*next;

	for (; j != NULL; j = next) {
		next = j->next;
		job_answer(j);
		job_free(j);
	}
}

/* Loop thread: a round is committed; answer it, start the next. */
static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	struct certa_api	*api = arg;
	struct api_issue_job	*j;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&api->mu);
	j = api->finished;
	api->finished = NULL;
	api->busy = false;
	pthread_mutex_unlock(&api->mu);
	answer_all(j);
	submit(api);
}

certa_rc
certa_api_init(struct certa_api *api, struct event_base *base,
    const char *dir, const char *pass_file, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	api->jobs = NULL;
	api->jobs_tail = &api->jobs;
	CERTA_CHECK((api->batch_ev = event_new(base, -1, 0, on_batch, api)) !=
	    NULL && (api->done_ev = event_new(base, -1, 0, on_done, api)) !=
	    NULL, CERTA_E_NOMEM, "create the issuance events");
	/* After the I/O of the loop turn that queued the first job. */
	(void)event_priority_set(api->batch_ev, 1);
	(void)event_priority_set(api->done_ev, 1);
	CERTA_TRY(certa_open(dir, pass_file, &api->wctx, err));
	certa_ctx_set_actor(api->wctx, "serve");
	CERTA_CHECK(pthread_mutex_init(&api->mu, NULL) == 0,
	    CERTA_E_NOMEM, "issuance thread lock");
	if (pthread_cond_init(&api->cv, NULL) != 0) {
		pthread_mutex_destroy(&api->mu);
		CERTA_FAIL(CERTA_E_NOMEM, "issuance thread condition");
	}
	api->sync_ok = true;
	CERTA_CHECK(pthread_create(&api->thread, NULL, issue_thread, api) == 0,
	    CERTA_E_NOMEM, "start the issuance thread");
	api->thread_ok = true;
out:
	return rc;
}

void
certa_api_fini(struct certa_api *api)
{
	struct api_issue_job	*j;
	size_t			 i;

	if (api->thread_ok) {
		pthread_mutex_lock(&api->mu);
		api->stop = true;
		pthread_cond_signal(&api->cv);
		pthread_mutex_unlock(&api->mu);
		pthread_join(api->thread, NULL);
		api->thread_ok = false;
		/* A round committed but not answered yet; then the queue. */
		j = api->finished;
		api->finished = NULL;
		answer_all(j);
		j = api->jobs;
		api->jobs = NULL;
		api->jobs_tail = &api->jobs;
		issue_round(api, j);
		answer_all(j);
	}
	if (api->sync_ok) {
		pthread_mutex_destroy(&api->mu);
		pthread_cond_destroy(&api->cv);
		api->sync_ok = false;
	}
	for (i = 0; i < 8; i++) {
		free(api->issuers[i].dn);
		api->issuers[i].dn = NULL;
	}
	if (api->batch_ev != NULL)
		event_free(api->batch_ev);
	if (api->done_ev != NULL)
		event_free(api->done_ev);
	api->batch_ev = api->done_ev = NULL;
	certa_close(api->wctx);
	api->wctx = NULL;
}

/* The certificate of the path: a reference that is no id and no serial
 * names nothing (404, as for every resource), not bad input. */
static certa_rc
cert_resolve(struct api_call *c, struct certa_cert_rec *rec,
    struct certa_err *err)
{
	certa_rc	 rc;

	rc = certa_cert_resolve(c->ctx, c->param[0], rec, err);
	if (rc == CERTA_E_PARSE) {
		certa_err_clear(err);
		rc = certa_err_set(err, CERTA_E_NOTFOUND, __FILE__, __LINE__,
		    "no certificate '%s' (an id or a hex serial)", c->param[0]);
	}
	return rc;
}

static certa_rc
cert_one(const struct certa_cert_rec *r, void *arg)
{
	struct list_st	*l = arg;

	return list_add(l, api_cert_json(l->api, r, false), r->id);
}

/* ?type ?status (valid|revoked|expired) ?application on /certificates. */
static bool
cert_filter(struct api_call *c, struct certa_cert_filter *f,
    struct certa_app_rec *a)
{
	const char		*st = certa_http_req_query(c->req, "status");
	const char		*app = c->param[0];
	struct certa_err	 err;
	certa_rc		 rc;

	memset(f, 0, sizeof(*f));
	f->status = -1;
	f->type = certa_http_req_query(c->req, "type");
	if (f->type != NULL && !known_type(f->type)) {
		api_problem(c, 400, "invalid_parameter", "type: expected "
		    "transport, signing or encryption");
		return false;
	}
	if (st == NULL) {
	} else if (strcmp(st, "valid") == 0) {
		f->status = CERTA_CERT_VALID;
		f->not_after_min = certa_now() + 1;
	} else if (strcmp(st, "expired") == 0) {
		f->status = CERTA_CERT_VALID;
		f->not_after_max = certa_now() + 1;
	} else if (strcmp(st, "revoked") == 0) {
		f->status = CERTA_CERT_REVOKED;
	} else {
		api_problem(c, 400, "invalid_parameter", "status: expected "
		    "valid, revoked or expired");
		return false;
	}
	if (app == NULL)
		app = certa_http_req_query(c->req, "application");
	if (app == NULL)
		return true;
	certa_err_clear(&err);
	if ((rc = certa_app_resolve(c->ctx, app, a, &err)) != CERTA_OK) {
		api_fail(c, rc, &err);
		return false;
	}
	f->app_id = a->id;
	return true;
}

void
api_cert_list(struct api_call *c)
{
	struct certa_cert_filter f;
	struct certa_app_rec	 a;
	struct list_st		 l;
	struct certa_err	 err;
	certa_rc		 rc;

	memset(&a, 0, sizeof(a));
	certa_err_clear(&err);
	if (!list_start(c, &l))
		return;
	if (!cert_filter(c, &f, &a)) {
		json_decref(l.items);
		goto out;
	}
	f.after_id = l.after;
	f.limit = l.limit + 1;
	rc = certa_store_cert_each(certa_ctx_store(c->ctx), &f, cert_one, &l,
	    &err);
	list_done(c, &l, rc, &err);
out:
	certa_app_rec_clear(&a);
}

struct newest {
	struct certa_api	*api;
	struct certa_cert_rec	 rec;
	json_t			*all;
};

static certa_rc
newest_one(const struct certa_cert_rec *r, void *arg)
{
	struct newest	*n = arg;

	if (n->all != NULL)
		json_array_append_new(n->all, api_cert_json(n->api, r, true));
	if (r->id > n->rec.id) {
		certa_cert_rec_clear(&n->rec);
		n->rec.id = r->id;
		n->rec.der = malloc(r->der_len);
		if (n->rec.der == NULL)
			return CERTA_E_NOMEM;
		memcpy(n->rec.der, r->der, r->der_len);
		n->rec.der_len = r->der_len;
	}
	return CERTA_OK;
}

/* The newest valid certificate of a type (?all=true: every valid one). */
void
api_cert_current(struct api_call *c)
{
	struct certa_cert_filter f;
	struct certa_app_rec	 a;
	struct certa_cert_rec	 rec;
	struct newest		 n;
	struct certa_err	 err;
	const char		*all = certa_http_req_query(c->req, "all");
	char			 id[24];
	certa_rc		 rc;

	memset(&a, 0, sizeof(a));
	memset(&n, 0, sizeof(n));
	n.api = c->api;
	memset(&rec, 0, sizeof(rec));
	certa_err_clear(&err);
	if (!cert_filter(c, &f, &a))
		goto out;
	if (f.type == NULL) {
		api_problem(c, 400, "missing_parameter", "type is required: "
		    "transport, signing or encryption");
		goto out;
	}
	f.status = CERTA_CERT_VALID;
	f.not_after_min = certa_now() + 1;
	f.not_after_max = 0;
	if (all != NULL && strcmp(all, "true") == 0)
		n.all = json_array();
	rc = certa_store_cert_each(certa_ctx_store(c->ctx), &f, newest_one, &n,
	    &err);
	if (rc != CERTA_OK) {
		json_decref(n.all);
		api_fail(c, rc, &err);
		goto out;
	}
	if (n.all != NULL) {
		api_json(c, 200, page(n.all, 0));
		goto out;
	}
	if (n.rec.id == 0) {
		api_problem(c, 404, "not_found", "application %s has no valid "
		    "%s certificate", a.name, f.type);
		goto out;
	}
	snprintf(id, sizeof(id), "%" PRId64, n.rec.id);
	if ((rc = certa_cert_resolve(c->ctx, id, &rec, &err)) != CERTA_OK) {
		api_fail(c, rc, &err);
		goto out;
	}
	api_json(c, 200, api_cert_json(c->api, &rec, true));
out:
	certa_cert_rec_clear(&rec);
	certa_cert_rec_clear(&n.rec);
	certa_app_rec_clear(&a);
}

static const struct {
	const char	*format;
	const char	*ctype;
} formats[] = {
	{ "pem", "application/x-pem-file" },
	{ "der", "application/pkix-cert" },
	{ "p7b", "application/pkcs7-mime" },
	{ "p12", "application/x-pkcs12" },
};

/* ?format= wins; else an Accept that names one of the types exactly. */
static const char *
want_format(struct api_call *c, const char **ctype, bool *bad)
{
	const char	*f = certa_http_req_query(c->req, "format");
	const char	*acc = certa_http_req_header(c->req, "Accept");
	size_t		 i;

	*bad = false;
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if ((f != NULL && strcmp(f, formats[i].format) == 0) ||
		    (f == NULL && acc != NULL &&
		    strstr(acc, formats[i].ctype) != NULL)) {
			*ctype = formats[i].ctype;
			return formats[i].format;
		}
	}
	if (f != NULL && strcmp(f, "json") != 0) {
		*bad = true;
		api_problem(c, 400, "invalid_parameter", "format: expected "
		    "json, pem, der, p7b or p12");
	}
	return NULL;
}

void
api_cert_get(struct api_call *c)
{
	struct certa_cert_rec		 rec;
	struct certa_export_opts	 eo;
	struct certa_err		 err;
	const char			*fmt, *ctype = NULL;
	uint8_t				*out = NULL;
	size_t				 len = 0;
	bool				 bad;
	certa_rc			 rc;

	memset(&rec, 0, sizeof(rec));
	memset(&eo, 0, sizeof(eo));
	certa_err_clear(&err);
	fmt = want_format(c, &ctype, &bad);
	if (bad)
		return;
	if ((rc = cert_resolve(c, &rec, &err)) !=
	    CERTA_OK) {
		api_fail(c, rc, &err);
		goto out;
	}
	if (fmt == NULL) {
		api_json(c, 200, api_cert_chain(c, api_cert_json(c->api, &rec,
		    true), rec.id));
		goto out;
	}
	eo.format = fmt;
	eo.chain = strcmp(fmt, "p7b") == 0 || strcmp(fmt, "p12") == 0;
	if (strcmp(fmt, "p12") == 0) {
		/* Certificates only (the key left at issuance, if at all); a
		 * password still protects the file's integrity. */
		eo.password = certa_http_req_header(c->req, "X-P12-Password");
		if (eo.password == NULL) {
			api_problem(c, 400, "missing_password", "PKCS#12 needs "
			    "its password in the X-P12-Password header");
			goto out;
		}
		free(rec.key_pem);
		rec.key_pem = NULL;
	}
	if ((rc = certa_cert_export(c->ctx, &rec, &eo, &out, &len, &err)) !=
	    CERTA_OK) {
		api_fail(c, rc, &err);
		goto out;
	}
	api_bytes(c, 200, ctype, out, len);
out:
	free(out);
	certa_cert_rec_clear(&rec);
}

void
api_cert_revoke(struct api_call *c)
{
	struct certa_cert_rec	 rec;
	struct certa_err	 err;
	json_t			*b;
	const char		*reason;
	size_t			 len;
	bool			 bad = false;
	int			 code;
	certa_rc		 rc;

	memset(&rec, 0, sizeof(rec));
	certa_err_clear(&err);
	(void)certa_http_req_body(c->req, &len);
	if (len == 0)
		b = json_object();	/* no body: reason unspecified */
	else if ((b = api_body_json(c)) == NULL)
		return;
	reason = api_str(c, b, "reason", false, &bad);
	if (bad)
		goto out;
	if ((rc = certa_reason_parse(reason != NULL ? reason : "unspecified",
	    &code, &err)) != CERTA_OK) {
		api_problem(c, 422, "invalid_field", "%s", err.msg);
		goto out;
	}
	if ((rc = cert_resolve(c, &rec, &err)) !=
	    CERTA_OK || (rc = certa_revoke(c->ctx, rec.id, code, &err)) !=
	    CERTA_OK) {
		api_fail(c, rc, &err);
		goto out;
	}
	c->api->revoked++;
	api_changed(c);
	certa_cert_rec_clear(&rec);
	if ((rc = cert_resolve(c, &rec, &err)) !=
	    CERTA_OK) {
		api_fail(c, rc, &err);
		goto out;
	}
	api_json(c, 200, api_cert_json(c->api, &rec, false));
out:
	certa_cert_rec_clear(&rec);
	json_decref(b);
}

/* --- JWKS (RFC 7517) ----------------------------------------------------- */

struct jwks {
	json_t		*keys;
	const uint8_t	*ca;
	size_t		 ca_len;
	certa_rc	 rc;
	struct certa_err err;
};

static certa_rc
jwk_one(const struct certa_cert_rec *r, void *arg)
{
	struct jwks	*j = arg;
	json_t		*k;
	certa_rc	 rc;

	if (strcmp(r->type, "signing") != 0 &&
	    strcmp(r->type, "encryption") != 0)
		return CERTA_OK;
	if ((rc = certa_json_jwk(r->der, r->der_len, j->ca, j->ca_len, &k,
	    &j->err)) == CERTA_E_POLICY)
		return CERTA_OK;	/* a key JWK cannot express */
	if (rc != CERTA_OK)
		return rc;
	json_object_set_new(k, "use", json_string(strcmp(r->type,
	    "signing") == 0 ? "sig" : "enc"));
	json_array_append_new(j->keys, k);
	return CERTA_OK;
}

void
api_jwks(struct api_call *c)
{
	struct certa_cert_filter f;
	struct certa_app_rec	 a;
	struct jwks		 j;
	struct certa_err	 err;
	uint8_t			*ca = NULL;
	size_t			 ca_len = 0;
	certa_rc		 rc;

	memset(&a, 0, sizeof(a));
	memset(&j, 0, sizeof(j));
	certa_err_clear(&err);
	if ((rc = certa_app_resolve(c->ctx, c->param[0], &a, &err)) !=
	    CERTA_OK || (rc = certa_ca_export(c->ctx, false, "der", &ca,
	    &ca_len, &err)) != CERTA_OK) {
		api_fail(c, rc, &err);
		goto out;
	}
	memset(&f, 0, sizeof(f));
	f.app_id = a.id;
	f.status = CERTA_CERT_VALID;
	f.not_after_min = certa_now() + 1;
	j.keys = json_array();
	j.ca = ca;
	j.ca_len = ca_len;
	certa_err_clear(&j.err);
	rc = certa_store_cert_each(certa_ctx_store(c->ctx), &f, jwk_one, &j,
	    &j.err);
	if (rc != CERTA_OK) {
		json_decref(j.keys);
		api_fail(c, rc, &j.err);
		goto out;
	}
	api_json_as(c, 200, "application/jwk-set+json", json_pack("{s:o}",
	    "keys", j.keys));
out:
	free(ca);
	certa_app_rec_clear(&a);
}

/* --- trust store --------------------------------------------------------- */

/* JSON {"certificate": PEM, "alias", "list"} or a raw PEM/DER/PKCS#7 body
 * with ?alias= and ?list=. */
void
api_trust_import(struct api_call *c)
{
	struct certa_trust_import_opts	 o;
	struct certa_trust_imported	 out;
	struct certa_err		 err;
	json_t				*b = NULL, *arr;
	const uint8_t			*data;
	const char			*list = NULL;
	char				 ct[80];
	size_t				 len, i;
	bool				 bad = false;
	certa_rc			 rc;

	memset(&o, 0, sizeof(o));
	memset(&out, 0, sizeof(out));
	certa_err_clear(&err);
	if (api_ctype(c, ct, sizeof(ct)) != NULL &&
	    (strcmp(ct, "application/x-pem-file") == 0 ||
	    strcmp(ct, "application/pkix-cert") == 0 ||
	    strcmp(ct, "application/pkcs7-mime") == 0 ||
	    strcmp(ct, "application/octet-stream") == 0)) {
		data = certa_http_req_body(c->req, &len);
		o.alias = certa_http_req_query(c->req, "alias");
		list = certa_http_req_query(c->req, "list");
	} else {
		if ((b = api_body_json(c)) == NULL)
			return;
		data = (const uint8_t *)api_str(c, b, "certificate", true,
		    &bad);
		o.alias = api_str(c, b, "alias", false, &bad);
		list = api_str(c, b, "list", false, &bad);
		if (bad)
			goto out;
		len = strlen((const char *)data);
	}
	o.list = CERTA_LIST_TRUSTED;
	if (list != NULL && strcmp(list, "issuer") == 0)
		o.list = CERTA_LIST_ISSUER;
	else if (list != NULL && strcmp(list, "trusted") != 0) {
		api_problem(c, 422, "invalid_field", "list: expected trusted "
		    "or issuer (rejected entries come from knocks)");
		goto out;
	}
	if (len == 0) {
		api_problem(c, 422, "invalid_input", "no certificate in the "
		    "request body");
		goto out;
	}
	if ((rc = certa_trust_import(c->ctx, data, len, &o, &out, &err)) !=
	    CERTA_OK) {
		api_fail(c, rc, &err);
		goto out;
	}
	arr = json_array();
	for (i = 0; i < out.n; i++)
		json_array_append_new(arr, certa_json_trust(&out.recs[i]));
	api_json(c, 201, json_pack("{s:o}", "items", arr));
out:
	certa_trust_imported_clear(&out);
	json_decref(b);
}

static certa_rc
trust_one(const struct certa_trust_rec *r, void *arg)
{
	struct list_st	*l = arg;

	if (r->id <= l->after)
		return CERTA_OK;
	return list_add(l, certa_json_trust(r), r->id);
}

void
api_trust_list(struct api_call *c)
{
	struct list_st		 l;
	struct certa_err	 err;
	enum certa_trust_list	 tl;
	const char		*list = certa_http_req_query(c->req, "list");
	certa_rc		 rc;

	certa_err_clear(&err);
	if (list != NULL && certa_trust_list_parse(list, &tl, &err) !=
	    CERTA_OK) {
		api_problem(c, 400, "invalid_parameter", "list: expected "
		    "trusted, issuer or rejected");
		return;
	}
	if (!list_start(c, &l))
		return;
	rc = certa_store_trust_each(certa_ctx_store(c->ctx), list, trust_one,
	    &l, &err);
	list_done(c, &l, rc, &err);
}

void
api_trust_get(struct api_call *c)
{
	struct certa_trust_rec	 r;
	struct certa_err	 err;
	const char		*fmt, *ctype = NULL;
	uint8_t			*out = NULL;
	size_t			 len = 0;
	bool			 bad;
	char			*pem;
	json_t			*o;
	certa_rc		 rc;

	memset(&r, 0, sizeof(r));
	certa_err_clear(&err);
	fmt = want_format(c, &ctype, &bad);
	if (bad)
		return;
	if (fmt != NULL && strcmp(fmt, "pem") != 0 && strcmp(fmt, "der") != 0) {
		api_problem(c, 400, "invalid_parameter", "format: trust "
		    "entries export as pem or der");
		return;
	}
	if (fmt != NULL) {
		rc = certa_trust_export(c->ctx, c->param[0],
		    strcmp(fmt, "pem") == 0, &out, &len, &err);
		if (rc == CERTA_OK)
			api_bytes(c, 200, ctype, out, len);
		else
			api_fail(c, rc, &err);
		free(out);
		return;
	}
	if ((rc = certa_trust_get(c->ctx, c->param[0], &r, &err)) !=
	    CERTA_OK) {
		api_fail(c, rc, &err);
		return;
	}
	o = certa_json_trust(&r);
	pem = certa_pem_encode("CERTIFICATE", r.der, r.der_len);
	json_object_set_new(o, "pem", pem != NULL ? json_string(pem) :
	    json_null());
	free(pem);
	api_json(c, 200, o);
	certa_trust_rec_clear(&r);
}

void
api_trust_delete(struct api_call *c)
{
	struct certa_err	 err;

	certa_err_clear(&err);
	no_content(c, certa_trust_delete(c->ctx, c->param[0], &err), &err);
}

static void
trust_move(struct api_call *c, enum certa_trust_list list)
{
	struct certa_trust_rec	 r;
	struct certa_err	 err;
	bool			 changed = false;
	certa_rc		 rc;

	memset(&r, 0, sizeof(r));
	certa_err_clear(&err);
	if ((rc = certa_trust_move(c->ctx, c->param[0], list, &changed,
	    &err)) != CERTA_OK || (rc = certa_trust_get(c->ctx, c->param[0],
	    &r, &err)) != CERTA_OK) {
		api_fail(c, rc, &err);
		return;
	}
	api_json(c, 200, certa_json_trust(&r));
	certa_trust_rec_clear(&r);
}

void
api_trust_trust(struct api_call *c)
{
	trust_move(c, CERTA_LIST_TRUSTED);
}

void
api_trust_reject(struct api_call *c)
{
	trust_move(c, CERTA_LIST_REJECTED);
}

/* Body: the CRL, DER (application/pkix-crl) or PEM. */
void
api_trust_crl(struct api_call *c)
{
	struct certa_trust_crl_rec	 r;
	struct certa_err		 err;
	const uint8_t			*data;
	char				 ct[80], *signer = NULL;
	size_t				 len;
	certa_rc			 rc;

	memset(&r, 0, sizeof(r));
	certa_err_clear(&err);
	if (api_ctype(c, ct, sizeof(ct)) == NULL ||
	    (strcmp(ct, "application/pkix-crl") != 0 &&
	    strcmp(ct, "application/x-pem-file") != 0)) {
		api_problem(c, 415, "unsupported_media_type", "expected "
		    "Content-Type application/pkix-crl (DER) or "
		    "application/x-pem-file");
		return;
	}
	data = certa_http_req_body(c->req, &len);
	if ((rc = certa_trust_crl_import(c->ctx, data, len, &r, &signer,
	    &err)) != CERTA_OK) {
		api_fail(c, rc, &err);
		goto out;
	}
	api_json(c, 201, json_pack("{s:s, s:o, s:o, s:o, s:s, s:s}",
	    "issuer", r.issuer, "crl_number", r.crl_number != NULL ?
	    json_string(r.crl_number) : json_null(), "this_update",
	    certa_json_time(r.this_update), "next_update", r.next_update ?
	    certa_json_time(r.next_update) : json_null(), "fingerprint_sha256",
	    r.fingerprint, "signer", signer != NULL ? signer : ""));
out:
	free(signer);
	certa_trust_crl_rec_clear(&r);
}

/* --- audit ---------------------------------------------------------------- */

static certa_rc
audit_one(const struct certa_audit_rec *r, void *arg)
{
	return list_add(arg, certa_json_audit(r), r->seq);
}

void
api_audit(struct api_call *c)
{
	struct list_st		 l;
	struct certa_err	 err;
	certa_rc		 rc;

	certa_err_clear(&err);
	if (!list_start(c, &l))
		return;
	rc = certa_store_audit_each(certa_ctx_store(c->ctx), l.after,
	    audit_one, &l, &err);
	list_done(c, &l, rc, &err);
}
