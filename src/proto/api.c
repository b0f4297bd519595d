/* SPDX-License-Identifier: Apache-2.0 */
/*
 * REST API dispatch (see api.h).
 *
 * HOW IT WORKS
 * A request's path is split into segments (each percent-decoded on its
 * own, so "ORG%2FAPP" stays one segment) and matched against the route
 * table below, whose "*" segments are captured as parameters.  A path
 * that matches no route is 404; one that matches only with other methods
 * is 405 with Allow.  Every route names the roles that may call it
 * (0: no authentication, the health probes).  The caller is identified
 * by an "Authorization: Bearer" token (certa_token_check) or else by the
 * TLS client certificate: validated by the trust engine in certa_ca mode
 * (issued by this certa, not revoked, clientAuth) and mapped to a role
 * (certa_role_for_cert).  The certificate's verdict is cached on the
 * connection until the trust generation moves (a revocation or a trust
 * change), so keep-alive clients pay for one validation; the role is read
 * per request, so a role change applies at once.  Mutations run with the
 * caller as the audit actor ("api:token:NAME", "api:cert:SUBJECT").
 * Errors are RFC 9457 problem+json objects with a stable "code".
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/http.h>
#include <openssl/x509.h>

#include <certa/auth.h>
#include <certa/json.h>
#include <certa/store.h>
#include <certa/trust.h>
#include <certa/truststore.h>
#include <certa/util.h>
#include <certa/x509.h>

#include "proto/api.h"
#include "proto/console.h"

#define R_ANY	CERTA_ROLE_ANY
#define R_ADM	CERTA_ROLE_ADMIN
#define R_OPS	(CERTA_ROLE_ADMIN | CERTA_ROLE_OPERATOR)
#define R_AUD	(CERTA_ROLE_ADMIN | CERTA_ROLE_AUDITOR)
#define R_APR	(CERTA_ROLE_ADMIN | CERTA_ROLE_APPROVER)
#define GET	CERTA_HTTP_GET
#define POST	CERTA_HTTP_POST
#define PATCH	CERTA_HTTP_PATCH
#define PUT	CERTA_HTTP_PUT
#define DEL	CERTA_HTTP_DELETE
#define MAX_SEGS 8

struct route {
	unsigned	 method;
	const char	*pattern;
	unsigned	 roles;		/* 0: public */
	api_fn		 fn;
};

static void h_healthz(struct api_call *);
static void h_readyz(struct api_call *);
static void h_metrics(struct api_call *);
static void h_whoami(struct api_call *);

static const struct route routes[] = {
	{ GET,	 "/healthz", 0, h_healthz },
	{ GET,	 "/readyz", 0, h_readyz },
	{ GET,	 "/metrics", R_ANY, h_metrics },
	{ GET,	 "/api/v1/whoami", R_ANY, h_whoami },
	{ POST,	 "/api/v1/organisations", R_ADM, api_org_create },
	{ GET,	 "/api/v1/organisations", R_ANY, api_org_list },
	{ GET,	 "/api/v1/organisations/*", R_ANY, api_org_get },
	{ PATCH, "/api/v1/organisations/*", R_ADM, api_org_update },
	{ DEL,	 "/api/v1/organisations/*", R_ADM, api_org_delete },
	{ POST,	 "/api/v1/organisations/*/applications", R_OPS,
	    api_app_create },
	{ GET,	 "/api/v1/organisations/*/applications", R_ANY,
	    api_app_list },
	{ GET,	 "/api/v1/applications", R_ANY, api_app_list },
	{ GET,	 "/api/v1/applications/*", R_ANY, api_app_get },
	{ PATCH, "/api/v1/applications/*", R_OPS, api_app_update },
	{ DEL,	 "/api/v1/applications/*", R_ADM, api_app_delete },
	{ POST,	 "/api/v1/applications/*/certificates", R_OPS,
	    api_cert_create },
	{ GET,	 "/api/v1/applications/*/certificates", R_ANY,
	    api_cert_list },
	{ GET,	 "/api/v1/applications/*/certificates/current", R_ANY,
	    api_cert_current },
	{ GET,	 "/api/v1/applications/*/jwks", R_ANY, api_jwks },
	{ GET,	 "/api/v1/certificates", R_ANY, api_cert_list },
	{ GET,	 "/api/v1/certificates/*", R_ANY, api_cert_get },
	{ POST,	 "/api/v1/certificates/*/revoke", R_ADM, api_cert_revoke },
	{ POST,	 "/api/v1/trust", R_ADM, api_trust_import },
	{ GET,	 "/api/v1/trust", R_ANY, api_trust_list },
	{ POST,	 "/api/v1/trust/crls", R_ADM, api_trust_crl },
	{ GET,	 "/api/v1/trust/*", R_ANY, api_trust_get },
	{ DEL,	 "/api/v1/trust/*", R_ADM, api_trust_delete },
	{ POST,	 "/api/v1/trust/*/trust", R_ADM, api_trust_trust },
	{ POST,	 "/api/v1/trust/*/reject", R_ADM, api_trust_reject },
	{ GET,	 "/api/v1/audit", R_AUD, api_audit },
	{ GET,	 "/api/v1/requests", R_ANY, api_request_list },
	{ GET,	 "/api/v1/requests/*", R_ANY, api_request_get },
	{ POST,	 "/api/v1/requests/*/approve", R_APR, api_request_approve },
	{ POST,	 "/api/v1/requests/*/reject", R_APR, api_request_reject },
	{ POST,	 "/api/v1/requests/*/cancel", R_OPS, api_request_cancel },
	{ POST,	 "/api/v1/certificates/*/renew", R_OPS, api_cert_renew },
	{ POST,	 "/api/v1/certificates/*/reissue", R_OPS, api_cert_reissue },
	{ POST,	 "/api/v1/certificates/*/revocation-requests", R_OPS,
	    api_revocation_request },
	{ GET,	 "/api/v1/tokens", R_AUD, api_token_list },
	{ POST,	 "/api/v1/tokens", R_ADM, api_token_create },
	{ DEL,	 "/api/v1/tokens/*", R_ADM, api_token_revoke },
	{ GET,	 "/api/v1/notifications/channels", R_AUD, api_channel_list },
	{ POST,	 "/api/v1/notifications/channels", R_ADM,
	    api_channel_create },
	{ DEL,	 "/api/v1/notifications/channels/*", R_ADM,
	    api_channel_delete },
	{ GET,	 "/api/v1/organisations/*/notifications", R_ANY,
	    api_org_notify_get },
	{ PUT,	 "/api/v1/organisations/*/notifications", R_ADM,
	    api_org_notify_set },
	{ GET,	 "/api/v1/settings/trust", R_ANY, api_settings_trust_get },
	{ PUT,	 "/api/v1/settings/trust", R_ADM, api_settings_trust_set },
	{ GET,	 "/api/v1/cluster", R_ANY, api_cluster },
};
#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

_Static_assert(NROUTES <= CERTA_API_NROUTES, "route stats table too small");

static const double bucket_le[CERTA_API_NBUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5
};

/* --- replies ---------------------------------------------------------- */

void
api_bytes(struct api_call *c, int status, const char *ctype, const void *body,
    size_t len)
{
	c->status = status;
	certa_http_header(c->req, "Cache-Control", "no-store");
	certa_http_reply(c->req, status, ctype, body, len);
}

void
api_changed(struct api_call *c)
{
	if (c->api->changed != NULL)
		c->api->changed(c->api->changed_arg);
}

void
api_json(struct api_call *c, int status, json_t *body)
{
	api_json_as(c, status, "application/json", body);
}

void
api_json_as(struct api_call *c, int status, const char *ctype, json_t *body)
{
	char	*s = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	if (s == NULL) {
		api_bytes(c, 500, "application/problem+json",
		    "{\"status\":500,\"code\":\"internal\"}", 32);
		return;
	}
	api_bytes(c, status, ctype, s, strlen(s));
	free(s);
}

static const char *
status_title(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 503: return "Service Unavailable";
	default: return status >= 500 ? "Internal Server Error" : "Error";
	}
}

void
api_problem(struct api_call *c, int status, const char *code,
    const char *fmt, ...)
{
	char	 detail[600], type[80];
	va_list	 ap;
	json_t	*o;
	char	*s;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	snprintf(type, sizeof(type), "urn:certa:problem:%s", code);
	o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s}", "type", type,
	    "title", status_title(status), "status", status, "detail", detail,
	    "code", code, "instance", certa_http_req_path(c->req),
	    "request_id", certa_http_req_id(c->req));
	s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	certa_http_req_note(c->req, code);
	if (status == 401)
		certa_http_header(c->req, "WWW-Authenticate",
		    "Bearer realm=\"certa\"");
	api_bytes(c, status, "application/problem+json", s != NULL ? s : "",
	    s != NULL ? strlen(s) : 0);
	free(s);
}

void
api_fail(struct api_call *c, certa_rc rc, const struct certa_err *err)
{
	const char	*msg = err != NULL && err->msg[0] ? err->msg : "failed";

	switch (rc) {
	case CERTA_E_PARSE:
		api_problem(c, 422, "invalid_input", "%s", msg);
		break;
	case CERTA_E_POLICY:
		api_problem(c, 422, "policy", "%s", msg);
		break;
	case CERTA_E_INVAL:
		api_problem(c, 400, "bad_request", "%s", msg);
		break;
	case CERTA_E_NOTFOUND:
		api_problem(c, 404, "not_found", "%s", msg);
		break;
	case CERTA_E_CONFLICT:
		api_problem(c, 409, "conflict", "%s", msg);
		break;
	case CERTA_E_AGAIN:
		certa_http_header(c->req, "Retry-After", "1");
		api_problem(c, 503, "busy", "%s", msg);
		break;
	default:
		/* Detail goes to the log, not to the client. */
		fprintf(stderr, "certa serve: request %s: %s: %s\n",
		    certa_http_req_id(c->req), certa_rc_name(rc), msg);
		api_problem(c, 500, "internal", "internal error (request id "
		    "%s)", certa_http_req_id(c->req));
		break;
	}
}

const char *
api_ctype(struct api_call *c, char *buf, size_t len)
{
	const char	*ct = certa_http_req_header(c->req, "Content-Type");
	size_t		 i;

	if (ct == NULL || len == 0)
		return NULL;
	for (i = 0; ct[i] != '\0' && ct[i] != ';' && i + 1 < len; i++)
		buf[i] = (char)tolower((unsigned char)ct[i]);
	while (i > 0 && buf[i - 1] == ' ')
		i--;
	buf[i] = '\0';
	return buf;
}

json_t *
api_body_json(struct api_call *c)
{
	const uint8_t	*b;
	size_t		 len;
	char		 ct[80];
	json_t		*o;
	json_error_t	 je;

	if (api_ctype(c, ct, sizeof(ct)) == NULL ||
	    (strcmp(ct, "application/json") != 0 &&
	    (strlen(ct) < 5 || strcmp(ct + strlen(ct) - 5, "+json") != 0))) {
		api_problem(c, 415, "unsupported_media_type", "expected "
		    "Content-Type application/json");
		return NULL;
	}
	b = certa_http_req_body(c->req, &len);
	if (len > CERTA_API_MAX_JSON) {
		api_problem(c, 413, "too_large", "JSON bodies are limited to "
		    "%d bytes", CERTA_API_MAX_JSON);
		return NULL;
	}
	o = json_loadb((const char *)b, len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL) {
		api_problem(c, 400, "malformed_json", "malformed JSON at "
		    "line %d, column %d: %s", je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		api_problem(c, 422, "invalid_field", "expected a JSON object");
		return NULL;
	}
	return o;
}

const char *
api_str(struct api_call *c, json_t *o, const char *key, bool required,
    bool *bad)
{
	json_t	*v = json_object_get(o, key);

	if (*bad)
		return NULL;
	if (v == NULL || json_is_null(v)) {
		if (required) {
			*bad = true;
			api_problem(c, 422, "missing_field", "\"%s\" is "
			    "required", key);
		}
		return NULL;
	}
	if (!json_is_string(v)) {
		*bad = true;
		api_problem(c, 422, "invalid_field", "\"%s\" must be a string",
		    key);
		return NULL;
	}
	return json_string_value(v);
}

static bool
parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t	 v = 0;

	if (s == NULL || *s == '\0' || strlen(s) > 19)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

bool
api_page(struct api_call *c, size_t *limit, int64_t *after)
{
	const char	*l = certa_http_req_query(c->req, "limit");
	const char	*a = certa_http_req_query(c->req, "after");
	uint64_t	 v;

	*limit = CERTA_API_PAGE_DEFAULT;
	*after = 0;
	if (l != NULL) {
		if (!parse_uint(l, CERTA_API_PAGE_MAX, &v) || v == 0) {
			api_problem(c, 400, "invalid_parameter", "limit: "
			    "expected 1..%d", CERTA_API_PAGE_MAX);
			return false;
		}
		*limit = (size_t)v;
	}
	if (a != NULL) {
		if (!parse_uint(a, INT64_MAX, &v)) {
			api_problem(c, 400, "invalid_parameter", "after: "
			    "expected an id from a previous page's \"next\"");
			return false;
		}
		*after = (int64_t)v;
	}
	return true;
}

/* --- routing ------------------------------------------------------------ */

/* Split the raw path into decoded segments (owned by *buf). */
static int
split(const char *uri, char **segs, size_t max, char **buf)
{
	const char	*q = strchr(uri, '?');
	size_t		 n = 0, len = q != NULL ? (size_t)(q - uri) : strlen(uri);
	char		*s, *save = NULL, *dec;

	if ((*buf = malloc(len + 1)) == NULL)
		return -1;
	memcpy(*buf, uri, len);
	(*buf)[len] = '\0';
	for (s = strtok_r(*buf, "/", &save); s != NULL;
	    s = strtok_r(NULL, "/", &save)) {
		if (n == max)
			return -1;
		size_t dl = 0;

		if ((dec = evhttp_uridecode(s, 0, &dl)) == NULL)
			return -1;
		if (strlen(dec) != dl || dl > strlen(s)) {
			free(dec);
			return -1;
		}
		memcpy(s, dec, dl + 1);	/* decoding never grows */
		free(dec);
		segs[n++] = s;
	}
	return (int)n;
}

static bool
match(const char *pattern, char **segs, int nseg, const char **param)
{
	char		 pat[128], *save = NULL, *s;
	int		 i = 0, np = 0;

	snprintf(pat, sizeof(pat), "%s", pattern);
	for (s = strtok_r(pat, "/", &save); s != NULL;
	    s = strtok_r(NULL, "/", &save), i++) {
		if (i >= nseg)
			return false;
		if (strcmp(s, "*") == 0) {
			if (np < 3)
				param[np++] = segs[i];
		} else if (strcmp(s, segs[i]) != 0) {
			return false;
		}
	}
	return i == nseg;
}

static const char *
method_name(unsigned m)
{
	switch (m) {
	case GET: return "GET";
	case POST: return "POST";
	case PATCH: return "PATCH";
	case PUT: return "PUT";
	case DEL: return "DELETE";
	default: return "?";
	}
}

/* --- authentication ----------------------------------------------------- */

struct conn_auth {
	uint64_t	 gen;
	bool		 valid;
	char		 reason[32];
	char		 subject[512];
	char		 fingerprint[65];
};

static void
conn_auth_free(void *p)
{
	free(p);
}

/* Validate the client certificate (cached per connection and generation). */
static certa_rc
cert_verdict(struct api_call *c, X509 *leaf, struct conn_auth **out,
    struct certa_err *err)
{
	struct conn_auth		*a = certa_http_conn_get(c->req);
	struct certa_snapshot		*snap = NULL;
	struct certa_verify_policy	 pol;
	struct certa_trust_verdict	 v;
	struct certa_cert_info		 info;
	certa_rc			 rc = CERTA_OK;

	memset(&v, 0, sizeof(v));
	memset(&info, 0, sizeof(info));
	CERTA_TRY(certa_trust_current(c->ctx, &snap, err));
	if (a != NULL && a->gen == certa_snapshot_generation(snap))
		goto done;
	memset(&pol, 0, sizeof(pol));
	pol.mode = CERTA_MODE_CERTA_CA;
	pol.purpose = CERTA_PURPOSE_CLIENT;
	CERTA_TRY(certa_trust_validate_x509(snap, leaf,
	    certa_http_req_peer_chain(c->req), &pol, &v, err));
	if (a == NULL) {
		CERTA_CHECK((a = calloc(1, sizeof(*a))) != NULL,
		    CERTA_E_NOMEM, "oom");
		certa_http_conn_set(c->req, a, conn_auth_free);
		a = certa_http_conn_get(c->req);
		CERTA_CHECK(a != NULL, CERTA_E_NOMEM, "connection state");
	}
	a->gen = certa_snapshot_generation(snap);
	a->valid = v.valid;
	snprintf(a->reason, sizeof(a->reason), "%s", v.reason);
	a->subject[0] = '\0';
	CERTA_TRY(certa_cert_info_from_x509(leaf, &info, err));
	snprintf(a->subject, sizeof(a->subject), "%s", info.subject);
	snprintf(a->fingerprint, sizeof(a->fingerprint), "%s", info.sha256);
done:
	*out = a;
out:
	certa_cert_info_clear(&info);
	certa_trust_verdict_clear(&v);
	certa_snapshot_unref(snap);
	return rc;
}

/* Who calls: false after replying 401/403/500. */
static bool
authenticate(struct api_call *c, unsigned roles)
{
	const char		*h = certa_http_req_header(c->req,
				    "Authorization");
	X509			*leaf = certa_http_req_peer_cert(c->req);
	struct conn_auth	*a = NULL;
	struct certa_err	 err;
	char			 name[80];
	certa_rc		 rc;

	certa_err_clear(&err);
	if (h != NULL) {
		if (strncasecmp(h, "Bearer ", 7) != 0) {
			c->api->unauthorised++;
			api_problem(c, 401, "unauthenticated", "Authorization: "
			    "expected a Bearer token");
			return false;
		}
		h += 7;
		while (*h == ' ')
			h++;
		rc = certa_token_check(c->ctx, h, &c->role, name,
		    sizeof(name), &err);
		if (rc == CERTA_E_NOTFOUND) {
			c->api->unauthorised++;
			api_problem(c, 401, "unauthenticated", "invalid or "
			    "revoked token");
			return false;
		}
		if (rc != CERTA_OK) {
			api_fail(c, rc, &err);
			return false;
		}
		snprintf(c->actor, sizeof(c->actor), "api:token:%s", name);
	} else if (leaf != NULL) {
		rc = cert_verdict(c, leaf, &a, &err);
		if (rc != CERTA_OK) {
			api_fail(c, rc, &err);
			return false;
		}
		if (!a->valid) {
			c->api->unauthorised++;
			api_problem(c, 401, "certificate_refused", "client "
			    "certificate refused: %s", a->reason);
			return false;
		}
		rc = certa_role_for_cert(c->ctx, a->subject, a->fingerprint,
		    &c->role, &err);
		if (rc == CERTA_E_NOTFOUND) {
			api_problem(c, 403, "no_role", "client certificate "
			    "\"%s\" has no role (certa role map)", a->subject);
			return false;
		}
		if (rc != CERTA_OK) {
			api_fail(c, rc, &err);
			return false;
		}
		snprintf(c->actor, sizeof(c->actor), "api:cert:%.140s",
		    a->subject);
	} else {
		c->api->unauthorised++;
		api_problem(c, 401, "unauthenticated", "authentication "
		    "required: a Bearer token or a client certificate");
		return false;
	}
	if ((c->role & roles) == 0) {
		api_problem(c, 403, "forbidden", "role %s may not %s this "
		    "resource", certa_role_name(c->role),
		    certa_http_req_method_name(c->req));
		return false;
	}
	return true;
}

/* --- metrics ------------------------------------------------------------ */

static void
record(struct certa_api_route_stats *st, int status, double secs)
{
	size_t	 i;

	for (i = 0; i < CERTA_API_NSTATUS; i++) {
		if (st->by_status[i].status == status ||
		    st->by_status[i].status == 0) {
			st->by_status[i].status = status;
			st->by_status[i].n++;
			break;
		}
	}
	for (i = 0; i < CERTA_API_NBUCKETS; i++)
		if (secs <= bucket_le[i])
			st->buckets[i]++;
	st->count++;
	st->sum += secs;
}

/* Prometheus text format: each family's samples in one group. */
static void
metric_counts(FILE *f, const char *label, const char *method,
    const struct certa_api_route_stats *st)
{
	size_t	 i;

	for (i = 0; i < CERTA_API_NSTATUS && st->by_status[i].status; i++)
		fprintf(f, "certa_http_requests_total{route=\"%s\","
		    "method=\"%s\",status=\"%d\"} %" PRIu64 "\n", label,
		    method, st->by_status[i].status, st->by_status[i].n);
}

static void
metric_hist(FILE *f, const char *label, const char *method,
    const struct certa_api_route_stats *st)
{
	size_t	 i;

	if (st->count == 0)
		return;
	for (i = 0; i < CERTA_API_NBUCKETS; i++)
		fprintf(f, "certa_http_request_duration_seconds_bucket{route="
		    "\"%s\",method=\"%s\",le=\"%g\"} %" PRIu64 "\n", label,
		    method, bucket_le[i], st->buckets[i]);
	fprintf(f, "certa_http_request_duration_seconds_bucket{route=\"%s\","
	    "method=\"%s\",le=\"+Inf\"} %" PRIu64 "\n", label, method,
	    st->count);
	fprintf(f, "certa_http_request_duration_seconds_sum{route=\"%s\","
	    "method=\"%s\"} %.6f\n", label, method, st->sum);
	fprintf(f, "certa_http_request_duration_seconds_count{route=\"%s\","
	    "method=\"%s\"} %" PRIu64 "\n", label, method, st->count);
}

static void
h_metrics(struct api_call *c)
{
	struct certa_api	*api = c->api;
	struct certa_ocsp_stats	 os;
	struct certa_snapshot	*snap = NULL;
	struct certa_err	 err;
	char			*buf = NULL;
	size_t			 len = 0, i;
	FILE			*f;
	static const char *const kinds[] = { "good", "revoked", "unknown",
	    "mixed", "malformed", "internal" };

	if ((f = open_memstream(&buf, &len)) == NULL) {
		api_problem(c, 500, "internal", "out of memory");
		return;
	}
	fprintf(f, "# HELP certa_http_requests_total API requests by route "
	    "and status.\n# TYPE certa_http_requests_total counter\n");
	for (i = 0; i < NROUTES; i++)
		metric_counts(f, routes[i].pattern, method_name(
		    routes[i].method), &api->routes[i]);
	metric_counts(f, "unrouted", "any", &api->unrouted);
	fprintf(f, "# HELP certa_http_request_duration_seconds API request "
	    "latency.\n# TYPE certa_http_request_duration_seconds "
	    "histogram\n");
	for (i = 0; i < NROUTES; i++)
		metric_hist(f, routes[i].pattern, method_name(
		    routes[i].method), &api->routes[i]);
	metric_hist(f, "unrouted", "any", &api->unrouted);
	fprintf(f, "# TYPE certa_certificates_issued_total counter\n"
	    "certa_certificates_issued_total %" PRIu64 "\n"
	    "# TYPE certa_certificates_revoked_total counter\n"
	    "certa_certificates_revoked_total %" PRIu64 "\n"
	    "# TYPE certa_api_unauthenticated_total counter\n"
	    "certa_api_unauthenticated_total %" PRIu64 "\n",
	    api->issued, api->revoked, api->unauthorised);
	fprintf(f, "# HELP certa_ocsp_responses_total OCSP answers by "
	    "status.\n# TYPE certa_ocsp_responses_total counter\n");
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		fprintf(f, "certa_ocsp_responses_total{status=\"%s\"} %"
		    PRIu64 "\n", kinds[i], api->ocsp_by_kind[i]);
	if (api->ocsp != NULL) {
		certa_ocsp_stats_get(api->ocsp, &os);
		fprintf(f, "# TYPE certa_ocsp_cache_hits_total counter\n"
		    "certa_ocsp_cache_hits_total %" PRIu64 "\n"
		    "# TYPE certa_ocsp_signed_total counter\n"
		    "certa_ocsp_signed_total %" PRIu64 "\n"
		    "# TYPE certa_ocsp_cached gauge\ncerta_ocsp_cached %zu\n",
		    os.hits, os.signed_responses, os.cached);
	}
	certa_err_clear(&err);
	if (certa_trust_current(c->ctx, &snap, &err) == CERTA_OK) {
		fprintf(f, "# TYPE certa_trust_entries gauge\n");
		for (i = 0; i < CERTA_LIST__COUNT; i++)
			fprintf(f, "certa_trust_entries{list=\"%s\"} %zu\n",
			    certa_trust_list_name((enum certa_trust_list)i),
			    certa_snapshot_count(snap,
			    (enum certa_trust_list)i));
		fprintf(f, "# TYPE certa_trust_snapshot_generation gauge\n"
		    "certa_trust_snapshot_generation %" PRIu64 "\n",
		    certa_snapshot_generation(snap));
		certa_snapshot_unref(snap);
	}
	fprintf(f, "# TYPE certa_start_time_seconds gauge\n"
	    "certa_start_time_seconds %" PRId64 "\n", api->started);
	if (fclose(f) != 0) {
		free(buf);
		api_problem(c, 500, "internal", "out of memory");
		return;
	}
	api_bytes(c, 200, "text/plain; version=0.0.4; charset=utf-8", buf,
	    len);
	free(buf);
}

/* --- small routes ------------------------------------------------------- */

static void
h_healthz(struct api_call *c)
{
	api_json(c, 200, json_pack("{s:s}", "status", "ok"));
}

static void
h_readyz(struct api_call *c)
{
	struct certa_err	 err;
	int64_t			 seq;
	char			 hash[65];

	certa_err_clear(&err);
	if (certa_audit_head(c->ctx, &seq, hash, &err) != CERTA_OK) {
		api_problem(c, 503, "not_ready", "store: %s", err.msg);
		return;
	}
	api_json(c, 200, json_pack("{s:s, s:s}", "status", "ready", "store",
	    certa_store_backend(certa_ctx_store(c->ctx))));
}

static void
h_whoami(struct api_call *c)
{
	api_json(c, 200, json_pack("{s:s, s:s}", "actor", c->actor, "role",
	    certa_role_name(c->role)));
}

/* --- dispatch ----------------------------------------------------------- */

void
certa_api_handle(struct certa_http_req *req, void *arg)
{
	struct certa_api		*api = arg;
	struct api_call			 c;
	struct certa_api_route_stats	*st = &api->unrouted;
	char				*segs[MAX_SEGS], *buf = NULL;
	char				 allow[64] = "";
	const char			*param[3];
	const struct route		*rt = NULL;
	unsigned			 m = certa_http_req_method(req);
	int				 nseg;
	size_t				 i;

	memset(&c, 0, sizeof(c));
	clock_gettime(CLOCK_MONOTONIC, &c.t0);
	c.req = req;
	c.api = api;
	c.ctx = api->ctx;
	nseg = split(certa_http_req_uri(req), segs, MAX_SEGS, &buf);
	if (m == CERTA_HTTP_HEAD)
		m = GET;
	for (i = 0; nseg >= 0 && i < NROUTES; i++) {
		memset(param, 0, sizeof(param));
		if (!match(routes[i].pattern, segs, nseg, param))
			continue;
		if (routes[i].method == m) {
			rt = &routes[i];
			st = &api->routes[i];
			memcpy(c.param, param, sizeof(param));
			break;
		}
		if (strstr(allow, method_name(routes[i].method)) == NULL)
			snprintf(allow + strlen(allow), sizeof(allow) -
			    strlen(allow), "%s%s", allow[0] ? ", " : "",
			    method_name(routes[i].method));
	}
	if (nseg < 0) {
		api_problem(&c, 400, "bad_path", "malformed request path");
	} else if (rt == NULL && allow[0] != '\0') {
		certa_http_header(req, "Allow", allow);
		api_problem(&c, 405, "method_not_allowed", "%s is not allowed "
		    "here; allowed: %s", certa_http_req_method_name(req),
		    allow);
	} else if (rt == NULL && m == GET &&
	    (c.status = certa_console_serve(req)) != 0) {
		/* the web console's assets (console.c) */
	} else if (rt == NULL) {
		api_problem(&c, 404, "no_route", "no such resource: %s",
		    certa_http_req_path(req));
	} else if (rt->roles == 0 || authenticate(&c, rt->roles)) {
		certa_ctx_set_actor(c.ctx, c.actor[0] ? c.actor : "api");
		certa_ctx_set_role(c.ctx, c.actor[0] ?
		    certa_role_name(c.role) : NULL);
		c.st = st;
		rt->fn(&c);
		certa_ctx_set_actor(c.ctx, "serve");
		certa_ctx_set_role(c.ctx, NULL);
		if (c.status == 0 && !c.deferred)
			api_problem(&c, 500, "internal", "no response");
	}
	c.st = st;
	if (!c.deferred)
		api_record(&c);
	free(buf);
}

void
api_record(struct api_call *c)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	record(c->st != NULL ? c->st : &c->api->unrouted, c->status,
	    (double)(t1.tv_sec - c->t0.tv_sec) +
	    (double)(t1.tv_nsec - c->t0.tv_nsec) / 1e9);
}
