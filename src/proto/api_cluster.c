/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /api/v1/cluster (any role): the `certa serve` nodes sharing this
 * store, from the rows their heartbeats upsert every 2 s (serve.c,
 * certa_store_node_put): id, name (host:pid), start, last heartbeat, the
 * trust generation and audit head each last read, and "status": "live",
 * or "stale" when not seen for more than API_NODE_STALE seconds (stopped,
 * killed, or cut off from the store).  Rows are never deleted: a stopped
 * node stays listed as stale.  "jobs" names the node that runs the
 * periodic jobs (the holder of lease API_JOBS_LEASE, null when nobody
 * holds it); each node says whether it is that one.
 */
#include <stdio.h>
#include <string.h>

#include <certa/certa.h>
#include <certa/json.h>
#include <certa/store.h>
#include <certa/util.h>

#include "proto/api.h"

#define API_NODE_STALE	10	/* seconds without a heartbeat */

struct nodes {
	json_t	*items;
	int64_t	 now;
	char	 holder[40];	/* the jobs lease's live holder, or "" */
};

static certa_rc
node_one(const struct certa_node_rec *n, void *arg)
{
	struct nodes	*w = arg;
	json_t		*o;

	o = json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:s, s:b}", "id",
	    n->id, "name", n->name, "started_at",
	    certa_json_time(n->started_at), "last_heartbeat",
	    certa_json_time(n->last_heartbeat), "generation",
	    (json_int_t)n->generation, "audit_seq", (json_int_t)n->audit_seq,
	    "status", w->now - n->last_heartbeat > API_NODE_STALE ? "stale" :
	    "live", "runs_jobs", strcmp(w->holder, n->id) == 0);
	if (o == NULL || json_array_append_new(w->items, o) != 0)
		return CERTA_E_NOMEM;
	return CERTA_OK;
}

void
api_cluster(struct api_call *c)
{
	struct certa_store	*st = certa_ctx_store(c->ctx);
	struct certa_err	 err;
	struct nodes		 w = { json_array(), certa_now(), "" };
	json_t			*jobs;
	int64_t			 until = 0;
	certa_rc		 rc;

	certa_err_clear(&err);
	rc = certa_store_lease_get(st, API_JOBS_LEASE, w.holder, &until,
	    &err);
	if (rc == CERTA_E_NOTFOUND || (rc == CERTA_OK && until < w.now)) {
		certa_err_clear(&err);
		rc = CERTA_OK;
		w.holder[0] = '\0';	/* never taken, or expired */
	}
	if (rc == CERTA_OK)
		rc = w.items == NULL ? CERTA_E_NOMEM :
		    certa_store_node_each(st, node_one, &w, &err);
	if (rc != CERTA_OK) {
		json_decref(w.items);
		api_fail(c, rc, &err);
		return;
	}
	jobs = w.holder[0] != '\0' ? json_pack("{s:s, s:s, s:o}", "lease",
	    API_JOBS_LEASE, "node", w.holder, "until",
	    certa_json_time(until)) : json_null();
	api_json(c, 200, json_pack("{s:o, s:n, s:o}", "items", w.items, "next",
	    "jobs", jobs));
}
