/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The REST API (/api/v1), /healthz, /readyz and /metrics on the HTTPS
 * listener.  api.c: routing, authentication (bearer token or client
 * certificate -> role), RFC 9457 problem+json errors, metrics.
 * api_res.c: the resources (organisations, applications, certificates,
 * trust store, audit).  Everything runs on the daemon's event loop; the
 * library does the work.
 */
#ifndef CERTA_PROTO_API_H
#define CERTA_PROTO_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include <certa/certa.h>
#include <certa/ocsp.h>

#include "proto/http.h"

#define CERTA_API_MAX_JSON	(1024 * 1024)	/* request bodies */
#define CERTA_API_MAX_CSR	(64 * 1024)
#define CERTA_API_PAGE_DEFAULT	100
#define CERTA_API_PAGE_MAX	1000
#define CERTA_API_NROUTES	40
#define CERTA_API_NSTATUS	12	/* distinct statuses kept per route */
#define CERTA_API_NBUCKETS	10

struct certa_api_route_stats {
	struct {
		int		 status;
		uint64_t	 n;
	}		 by_status[CERTA_API_NSTATUS];
	uint64_t	 buckets[CERTA_API_NBUCKETS];	/* cumulative */
	uint64_t	 count;
	double		 sum;				/* seconds */
};

struct api_issue_job;

struct certa_api {
	struct certa_ctx	*ctx;		/* borrowed */
	struct event		*batch_ev;	/* owns (certa_api_init) */
	struct api_issue_job	*jobs, **jobs_tail; /* owns the queue */
	size_t			 njobs;
	uint64_t		 batches;
	struct certa_ocsp	*ocsp;		/* borrowed; for /metrics */
	int64_t			 started;
	uint64_t		 issued, revoked;
	uint64_t		 unauthorised;
	struct certa_api_route_stats routes[CERTA_API_NROUTES];
	struct certa_api_route_stats unrouted;
	/* OCSP answers by status, counted by the daemon's wrapper. */
	uint64_t		 ocsp_by_kind[8];
};

/* Set up (ctx and ocsp already set) and tear down. */
CERTA_MUST_USE certa_rc certa_api_init(struct certa_api *,
    struct event_base *, struct certa_err *);
void	certa_api_fini(struct certa_api *);

/* The listener's catch-all handler; arg is a struct certa_api. */
void	certa_api_handle(struct certa_http_req *, void *arg);

/* --- for the resource handlers (api_res.c) ------------------------- */

struct api_call {
	struct certa_http_req	*req;
	struct certa_api	*api;
	struct certa_ctx	*ctx;
	const char		*param[3];	/* decoded path segments */
	unsigned		 role;
	char			 actor[160];
	int			 status;	/* of the reply */
	bool			 deferred;	/* answered later */
	struct certa_api_route_stats *st;
	struct timespec		 t0;
};

/* Count a reply in its route's metrics. */
void	api_record(struct api_call *);
/* Queue a certificate request for the next group commit (api_res.c). */
void	api_issue_enqueue(struct api_call *, const struct certa_issue_req *);

typedef void (*api_fn)(struct api_call *);

/* Reply with JSON (takes the reference), bytes, or a problem. */
void	api_json(struct api_call *, int status, json_t *body);
void	api_json_as(struct api_call *, int status, const char *ctype,
    json_t *body);
void	api_bytes(struct api_call *, int status, const char *ctype,
    const void *body, size_t len);
void	api_problem(struct api_call *, int status, const char *code,
    const char *fmt, ...) CERTA_PRINTF(4, 5);
/* A library error as a problem (status and code from the rc). */
void	api_fail(struct api_call *, certa_rc, const struct certa_err *);
/*
 * The request body as JSON (Content-Type application/json, <= 1 MiB, an
 * object).  NULL after replying 413/415/400.
 */
json_t	*api_body_json(struct api_call *);
/* A string member: NULL when absent; replies 422 and sets *bad when it
 * is there but not a string. */
const char *api_str(struct api_call *, json_t *o, const char *key,
    bool required, bool *bad);
/* Content-Type without parameters, lower case, into buf. */
const char *api_ctype(struct api_call *, char *buf, size_t len);
/* ?limit= and ?after= (ids); false after replying 400. */
bool	api_page(struct api_call *, size_t *limit, int64_t *after);

/* Resource handlers (api_res.c). */
void	api_org_create(struct api_call *);
void	api_org_list(struct api_call *);
void	api_org_get(struct api_call *);
void	api_org_update(struct api_call *);
void	api_org_delete(struct api_call *);
void	api_app_create(struct api_call *);
void	api_app_list(struct api_call *);
void	api_app_get(struct api_call *);
void	api_app_update(struct api_call *);
void	api_app_delete(struct api_call *);
void	api_cert_create(struct api_call *);
void	api_cert_list(struct api_call *);
void	api_cert_current(struct api_call *);
void	api_cert_get(struct api_call *);
void	api_cert_revoke(struct api_call *);
void	api_jwks(struct api_call *);
void	api_trust_import(struct api_call *);
void	api_trust_list(struct api_call *);
void	api_trust_get(struct api_call *);
void	api_trust_delete(struct api_call *);
void	api_trust_trust(struct api_call *);
void	api_trust_reject(struct api_call *);
void	api_trust_crl(struct api_call *);
void	api_audit(struct api_call *);

#endif
