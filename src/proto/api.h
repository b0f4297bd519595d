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

#include <pthread.h>

#include <jansson.h>

#include <certa/certa.h>
#include <certa/lifecycle.h>
#include <certa/ocsp.h>

#include "proto/http.h"

#define CERTA_API_MAX_JSON	(1024 * 1024)	/* request bodies */
#define CERTA_API_MAX_CSR	(64 * 1024)
#define CERTA_API_PAGE_DEFAULT	100
#define CERTA_API_PAGE_MAX	1000
#define CERTA_API_NROUTES	56
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
	/* Group commit (api_res.c HOW IT WORKS).  Loop thread: jobs,
	 * batch_ev, done_ev.  Under mu: submitted, finished, busy, stop. */
	struct event		*batch_ev;	/* owns */
	struct event		*done_ev;	/* owns */
	struct api_issue_job	*jobs, **jobs_tail; /* owns the queue */
	size_t			 njobs;
	uint64_t		 batches;
	struct certa_ctx	*wctx;		/* owns; the thread's */
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct api_issue_job	*submitted, *finished;
	bool			 busy, stop, thread_ok, sync_ok;
	struct certa_ocsp	*ocsp;		/* borrowed; for /metrics */
	int64_t			 started;
	uint64_t		 issued, revoked;
	uint64_t		 unauthorised;
	struct certa_api_route_stats routes[CERTA_API_NROUTES];
	struct certa_api_route_stats unrouted;
	/* Issuer DNs by CA id (few CAs): no certificate parse per reply. */
	struct {
		int64_t		 ca_id;
		char		*dn;		/* owns */
	}			 issuers[8];
	/* OCSP answers by status, counted by the daemon's wrapper. */
	uint64_t		 ocsp_by_kind[8];
	/* Called (loop thread, api_changed) after a call that may have
	 * revoked, so that this node's OCSP cache hears of it at once; may
	 * be NULL. */
	void			(*changed)(void *);
	void			*changed_arg;
};

/*
 * Set up (ctx and ocsp already set; the event base made after
 * evthread_use_pthreads) and tear down (answers what is queued).
 */
CERTA_MUST_USE certa_rc certa_api_init(struct certa_api *,
    struct event_base *, const char *dir, const char *pass_file,
    struct certa_err *);
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

/* A certificate's JSON (issuer from the cache). */
json_t	*api_cert_json(struct certa_api *, const struct certa_cert_rec *,
    bool pem);
/* The call may have revoked certificates: tell api->changed. */
void	api_changed(struct api_call *);
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

/* Lifecycle resources (api_life.c). */
void	api_request_list(struct api_call *);
void	api_request_get(struct api_call *);
void	api_request_approve(struct api_call *);
void	api_request_reject(struct api_call *);
void	api_request_cancel(struct api_call *);
void	api_cert_renew(struct api_call *);
void	api_cert_reissue(struct api_call *);
void	api_revocation_request(struct api_call *);
/*
 * Before issuing r: when its organisation or profile needs approval, keep
 * it as a pending request and answer 202 (or the error); true when it
 * answered, false when r is to be issued now.
 */
bool	api_request_pending(struct api_call *, const struct certa_issue_req *r);
/* Add "predecessors" (ids, newest first) to a certificate's JSON o. */
json_t	*api_cert_chain(struct api_call *, json_t *o, int64_t cert_id);
/*
 * PATCH /organisations/{org}: "name" and/or "approval" ("required" |
 * "none"; *approval 1 | 0, or -1 when absent).  false after replying 422.
 */
bool	api_org_body(struct api_call *, json_t *b, const char **name,
    int *approval);
/* An organisation's JSON with its "approval" policy. */
json_t	*api_org_json(struct api_call *, const struct certa_org_rec *o);
/* Settings (api_settings.c): tokens, notification channels and
 * per-organisation switches, trust settings. */
void	api_token_list(struct api_call *);
void	api_token_create(struct api_call *);
void	api_token_revoke(struct api_call *);
void	api_channel_list(struct api_call *);
void	api_channel_create(struct api_call *);
void	api_channel_delete(struct api_call *);
void	api_org_notify_get(struct api_call *);
void	api_org_notify_set(struct api_call *);
void	api_settings_trust_get(struct api_call *);
void	api_settings_trust_set(struct api_call *);
/* The lease of the periodic jobs (serve.c), shown by GET /api/v1/cluster. */
#define API_JOBS_LEASE	"jobs"
/* GET /api/v1/cluster: the nodes and their heartbeats (api_cluster.c). */
void	api_cluster(struct api_call *);
/* The daemon's tick: carry out due lifecycle work (reissue revocations). */
void	api_lifecycle_tick(struct certa_ctx *);

#endif
