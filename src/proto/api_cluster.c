/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /api/v1/cluster (any role): the `certa serve` nodes sharing this
 * store, from the rows their heartbeats upsert every 2 s (serve.c,
 * certa_store_node_put): id, name (host:pid), start, last heartbeat, the
 * trust generation and audit head each last read, and "status": "live",
 * or "stale" when not seen for more than API_NODE_STALE seconds (stopped,
 * killed, or cut off from the store).  Rows are never deleted: a stopped
 * node stays listed as stale.
 */
#include <stdio.h>

#include <certa/certa.h>
#include <certa/json.h>
#include <certa/store.h>
#include <certa/util.h>

#include "proto/api.h"

#define API_NODE_STALE	10	/* seconds without a heartbeat */

struct nodes {
	json_t	*items;
	int64_t	 now;
};

static certa_rc
node_one(const struct certa_node_rec *n, void *arg)
{
	struct nodes	*w = arg;
	json_t		*o;

	o = json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:s}", "id", n->id,
	    "name", n->name, "started_at", certa_json_time(n->started_at),
	    "last_heartbeat", certa_json_time(n->last_heartbeat),
	    "generation", (json_int_t)n->generation, "audit_seq",
	    (json_int_t)n->audit_seq, "status",
	    w->now - n->last_heartbeat > API_NODE_STALE ? "stale" : "live");
	if (o == NULL || json_array_append_new(w->items, o) != 0)
		return CERTA_E_NOMEM;
	return CERTA_OK;
}

void
api_cluster(struct api_call *c)
{
	struct certa_err	 err;
	struct nodes		 w = { json_array(), certa_now() };
	certa_rc		 rc;

	certa_err_clear(&err);
	rc = w.items == NULL ? CERTA_E_NOMEM :
	    certa_store_node_each(certa_ctx_store(c->ctx), node_one, &w, &err);
	if (rc != CERTA_OK) {
		json_decref(w.items);
		api_fail(c, rc, &err);
		return;
	}
	api_json(c, 200, json_pack("{s:o, s:n}", "items", w.items, "next"));
}
