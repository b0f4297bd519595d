/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The console's Settings page as API resources (see api.h): bearer tokens
 * (include/certa/auth.h; a secret is shown once, by create, never listed),
 * expiry-notification channels and per-organisation switches
 * (include/certa/notify.h; a webhook secret is write-only) and the trust
 * settings certa gate follows (include/certa/settings.h).  The library
 * validates and audits; these handlers translate JSON both ways.  Token
 * and channel lists are short and answered whole ({"items", "next":
 * null}).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <certa/auth.h>
#include <certa/json.h>
#include <certa/notify.h>
#include <certa/settings.h>
#include <certa/store.h>
#include <certa/trust.h>
#include <certa/util.h>

#include "proto/api.h"

static json_t *
time_or_null(int64_t t)
{
	return t != 0 ? certa_json_time(t) : json_null();
}

static json_t *
whole_page(json_t *items)
{
	return json_pack("{s:o, s:n}", "items", items, "next");
}

/* --- tokens ------------------------------------------------------------- */

static json_t *
token_json(const struct certa_token_info *t)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id",
	    t->id, "name", t->name, "role", certa_role_name(t->role),
	    "status", t->revoked_at != 0 ? "revoked" : "live", "created_by",
	    t->created_by != NULL ? t->created_by : "", "created_at",
	    certa_json_time(t->created_at), "last_used_at",
	    time_or_null(t->last_used_at), "revoked_at",
	    time_or_null(t->revoked_at));
}

static certa_rc
token_one(const struct certa_token_info *t, void *arg)
{
	json_t	*item = token_json(t);

	if (item == NULL)
		return CERTA_E_NOMEM;
	json_array_append_new(arg, item);
	return CERTA_OK;
}

void
api_token_list(struct api_call *c)
{
	struct certa_err	 err;
	json_t			*items = json_array();
	certa_rc		 rc;

	certa_err_clear(&err);
	rc = certa_token_each(c->ctx, token_one, items, &err);
	if (rc != CERTA_OK) {
		json_decref(items);
		api_fail(c, rc, &err);
		return;
	}
	api_json(c, 200, whole_page(items));
}

void
api_token_create(struct api_call *c)
{
	struct certa_token_info	 t;
	struct certa_err	 err;
	const char		*role, *name;
	char			*token = NULL, loc[80];
	unsigned		 bit = 0;
	bool			 bad = false;
	json_t			*b, *o;
	certa_rc		 rc;

	memset(&t, 0, sizeof(t));
	certa_err_clear(&err);
	if ((b = api_body_json(c)) == NULL)
		return;
	role = api_str(c, b, "role", true, &bad);
	name = api_str(c, b, "name", false, &bad);
	if (bad)
		goto out;
	if (certa_role_parse(role, &bit, &err) != CERTA_OK) {
		api_problem(c, 422, "invalid_field", "\"role\": expected admin, "
		    "approver, operator or auditor");
		goto out;
	}
	if ((token = malloc(CERTA_TOKEN_MAX)) == NULL) {
		api_problem(c, 500, "internal", "out of memory");
		goto out;
	}
	rc = certa_token_create(c->ctx, bit, name, token, &t, &err);
	if (rc != CERTA_OK) {
		api_fail(c, rc, &err);
		goto out;
	}
	/* The only time the secret leaves: this answer (no-store). */
	o = token_json(&t);
	if (o != NULL)
		json_object_set_new(o, "token", json_string(token));
	snprintf(loc, sizeof(loc), "/api/v1/tokens/%s", t.id);
	certa_http_header(c->req, "Location", loc);
	api_json(c, 201, o);
out:
	if (token != NULL)
		certa_free_secret(token, CERTA_TOKEN_MAX);
	certa_token_info_clear(&t);
	json_decref(b);
}

void
api_token_revoke(struct api_call *c)
{
	struct certa_err	 err;
	certa_rc		 rc;

	certa_err_clear(&err);
	rc = certa_token_revoke(c->ctx, c->param[0], &err);
	if (rc == CERTA_OK)
		api_bytes(c, 204, NULL, NULL, 0);
	else
		api_fail(c, rc, &err);
}

/* --- notification channels ---------------------------------------------- */

static json_t *
channel_json(const struct certa_notify_channel_rec *r)
{
	/* Never the secret: only whether there is one. */
	return json_pack("{s:o, s:s, s:s, s:o, s:b, s:b, s:o}", "id",
	    certa_json_id(r->id), "kind", r->kind, "target", r->target,
	    "organisation", r->org_id != 0 ? certa_json_id(r->org_id) :
	    json_null(), "has_secret", r->secret != NULL, "enabled",
	    r->enabled, "created_at", certa_json_time(r->created_at));
}

struct chan_walk {
	json_t		*items;		/* all, when want == 0 */
	int64_t		 want;
	json_t		*found;
};

static certa_rc
channel_one(const struct certa_notify_channel_rec *r, void *arg)
{
	struct chan_walk	*w = arg;
	json_t			*item;

	if (w->want != 0 && r->id != w->want)
		return CERTA_OK;
	if ((item = channel_json(r)) == NULL)
		return CERTA_E_NOMEM;
	if (w->want != 0)
		w->found = item;
	else
		json_array_append_new(w->items, item);
	return CERTA_OK;
}

void
api_channel_list(struct api_call *c)
{
	struct certa_err	 err;
	struct chan_walk	 w = { json_array(), 0, NULL };
	certa_rc		 rc;

	certa_err_clear(&err);
	rc = certa_store_notify_channel_each(certa_ctx_store(c->ctx),
	    channel_one, &w, &err);
	if (rc != CERTA_OK) {
		json_decref(w.items);
		api_fail(c, rc, &err);
		return;
	}
	api_json(c, 200, whole_page(w.items));
}

void
api_channel_create(struct api_call *c)
{
	struct certa_err	 err;
	struct chan_walk	 w = { NULL, 0, NULL };
	const char		*kind, *target, *secret, *org;
	bool			 bad = false;
	int64_t			 id = 0;
	json_t			*b;
	certa_rc		 rc;

	certa_err_clear(&err);
	if ((b = api_body_json(c)) == NULL)
		return;
	kind = api_str(c, b, "kind", true, &bad);
	target = api_str(c, b, "target", true, &bad);
	secret = api_str(c, b, "secret", false, &bad);
	org = api_str(c, b, "organisation", false, &bad);
	if (bad)
		goto out;
	if (strcmp(kind, "webhook") != 0 && strcmp(kind, "smtp") != 0) {
		api_problem(c, 422, "invalid_field", "\"kind\": expected "
		    "webhook or smtp");
		goto out;
	}
	rc = certa_notify_channel_add(c->ctx, kind, target, secret, org, &id,
	    &err);
	if (rc == CERTA_OK) {
		w.want = id;
		rc = certa_store_notify_channel_each(certa_ctx_store(c->ctx),
		    channel_one, &w, &err);
	}
	if (rc == CERTA_OK && w.found == NULL)
		rc = certa_err_set(&err, CERTA_E_INTERNAL, __FILE__, __LINE__,
		    "channel %" PRId64 " vanished", id);
	if (rc != CERTA_OK)
		api_fail(c, rc, &err);
	else
		api_json(c, 201, w.found);
out:
	json_decref(b);
}

void
api_channel_delete(struct api_call *c)
{
	struct certa_err	 err;
	const char		*s = c->param[0];
	int64_t			 id = 0;
	certa_rc		 rc;

	certa_err_clear(&err);
	for (; *s >= '0' && *s <= '9' && id < INT64_MAX / 10; s++)
		id = id * 10 + (*s - '0');
	if (*s != '\0' || id <= 0) {
		api_problem(c, 404, "not_found", "no notification channel "
		    "'%.64s'", c->param[0]);
		return;
	}
	rc = certa_notify_channel_remove(c->ctx, id, &err);
	if (rc == CERTA_OK)
		api_bytes(c, 204, NULL, NULL, 0);
	else
		api_fail(c, rc, &err);
}

/* --- per-organisation notifications ------------------------------------- */

static void
org_notify_reply(struct api_call *c)
{
	struct certa_org_rec	 o;
	struct certa_err	 err;
	int			 th[CERTA_NOTIFY_MAX_THRESHOLDS];
	size_t			 n = 0, i;
	bool			 on = true;
	json_t			*a;
	certa_rc		 rc;

	memset(&o, 0, sizeof(o));
	certa_err_clear(&err);
	rc = certa_org_resolve(c->ctx, c->param[0], &o, &err);
	if (rc == CERTA_OK)
		rc = certa_notify_org_get(c->ctx, c->param[0], th, &n, &on,
		    &err);
	if (rc != CERTA_OK) {
		api_fail(c, rc, &err);
		goto out;
	}
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_integer(th[i]));
	api_json(c, 200, json_pack("{s:o, s:o, s:b}", "organisation",
	    certa_json_id(o.id), "thresholds", a, "enabled", on));
out:
	certa_org_rec_clear(&o);
}

void
api_org_notify_get(struct api_call *c)
{
	org_notify_reply(c);
}

void
api_org_notify_set(struct api_call *c)
{
	struct certa_err	 err;
	int			 th[CERTA_NOTIFY_MAX_THRESHOLDS];
	char			 list[CERTA_NOTIFY_MAX_THRESHOLDS * 6] = "";
	size_t			 n, i;
	json_t			*b, *t, *e, *v;
	certa_rc		 rc = CERTA_OK;

	certa_err_clear(&err);
	if ((b = api_body_json(c)) == NULL)
		return;
	t = json_object_get(b, "thresholds");
	e = json_object_get(b, "enabled");
	if (t == NULL && e == NULL) {
		api_problem(c, 422, "missing_field", "give \"thresholds\" "
		    "and/or \"enabled\"");
		goto out;
	}
	if (e != NULL && !json_is_boolean(e)) {
		api_problem(c, 422, "invalid_field", "\"enabled\" must be "
		    "true or false");
		goto out;
	}
	if (t != NULL && !json_is_null(t)) {
		if (!json_is_array(t) || json_array_size(t) == 0 ||
		    json_array_size(t) > CERTA_NOTIFY_MAX_THRESHOLDS) {
			api_problem(c, 422, "invalid_field", "\"thresholds\": "
			    "expected 1..%d numbers of days (or null: the "
			    "default)", CERTA_NOTIFY_MAX_THRESHOLDS);
			goto out;
		}
		json_array_foreach(t, i, v) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > CERTA_NOTIFY_MAX_DAYS) {
				api_problem(c, 422, "invalid_field",
				    "\"thresholds\": expected whole days in "
				    "1..%d", CERTA_NOTIFY_MAX_DAYS);
				goto out;
			}
			snprintf(list + strlen(list), sizeof(list) -
			    strlen(list), "%s%d", i ? "," : "",
			    (int)json_integer_value(v));
		}
		if (certa_notify_thresholds_parse(list, th, &n, &err) !=
		    CERTA_OK) {
			api_problem(c, 422, "invalid_field", "\"thresholds\": "
			    "%s", err.msg);
			goto out;
		}
	}
	if (t != NULL)
		rc = certa_notify_thresholds_set(c->ctx, c->param[0],
		    json_is_null(t) ? NULL : list, &err);
	if (rc == CERTA_OK && e != NULL)
		rc = certa_notify_org_enable(c->ctx, c->param[0],
		    json_is_true(e), &err);
	if (rc != CERTA_OK)
		api_fail(c, rc, &err);
	else
		org_notify_reply(c);
out:
	json_decref(b);
}

/* --- trust settings ----------------------------------------------------- */

static void
trust_settings_reply(struct api_call *c)
{
	struct certa_trust_settings	 s;
	struct certa_err		 err;
	certa_rc			 rc;

	certa_err_clear(&err);
	rc = certa_settings_get(c->ctx, &s, &err);
	if (rc != CERTA_OK) {
		api_fail(c, rc, &err);
		return;
	}
	api_json(c, 200, json_pack("{s:s, s:b}", "mode",
	    certa_trust_mode_name(s.mode), "auto_reject", s.auto_reject));
}

void
api_settings_trust_get(struct api_call *c)
{
	trust_settings_reply(c);
}

void
api_settings_trust_set(struct api_call *c)
{
	struct certa_err	 err;
	enum certa_trust_mode	 m;
	const char		*mode;
	bool			 bad = false;
	json_t			*b, *ar;
	certa_rc		 rc;

	certa_err_clear(&err);
	if ((b = api_body_json(c)) == NULL)
		return;
	mode = api_str(c, b, "mode", false, &bad);
	ar = json_object_get(b, "auto_reject");
	if (bad)
		goto out;
	if (ar != NULL && !json_is_boolean(ar)) {
		api_problem(c, 422, "invalid_field", "\"auto_reject\" must be "
		    "true or false");
		goto out;
	}
	if (mode == NULL && ar == NULL) {
		api_problem(c, 422, "missing_field", "give \"mode\" and/or "
		    "\"auto_reject\"");
		goto out;
	}
	if (mode != NULL && certa_trust_mode_parse(mode, &m, NULL) !=
	    CERTA_OK) {
		api_problem(c, 422, "invalid_field", "\"mode\": expected "
		    "accept_any, system, trusted_list, trusted_ca or certa_ca");
		goto out;
	}
	rc = certa_settings_set(c->ctx, mode, ar == NULL ? -1 :
	    json_is_true(ar) ? 1 : 0, &err);
	if (rc != CERTA_OK)
		api_fail(c, rc, &err);
	else
		trust_settings_reply(c);
out:
	json_decref(b);
}
