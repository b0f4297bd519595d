/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa gate: wiring only.  Reads the listeners from the config file
 * (JSON, docs/gate.md) and the flags, opens the data directory, starts
 * every ingress and egress listener on one event loop, and runs until
 * SIGTERM/SIGINT (stop accepting, let open connections finish for at
 * most 5 s).  SIGHUP reopens the access log.  Trust changes need no
 * signal: validators follow the trust generation on every handshake.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include <certa/certa.h>
#include <certa/truststore.h>
#include <certa/util.h>

#include "gate/gate_impl.h"

#define GATE_DRAIN_MS	5000
#define GATE_TICK_MS	250

struct gate {
	struct gate_common	 g;
	json_t			*cfg;		/* owns */
	struct certa_gate_ingress_cfg in[CERTA_GATE_MAX_LISTENERS];
	size_t			 nin;
	struct certa_gate_egress_cfg out[CERTA_GATE_MAX_LISTENERS];
	size_t			 nout;
	const char		*usage_ep[CERTA_GATE_MAX_LISTENERS * 4];
	const char		*usage_spec[CERTA_GATE_MAX_LISTENERS * 4];
	size_t			 nusage;
	const char		*ca_file;
	bool			 zero_trust;
	const char		*access_log;
	struct gate_ingress	*ing[CERTA_GATE_MAX_LISTENERS];
	struct gate_egress	*egr[CERTA_GATE_MAX_LISTENERS];
	struct certa_client	*client;
	struct event		*sig[3];
	struct event		*tick;
	struct certa_store_watch *watch;	/* owns; the change feed */
	int64_t			 drain_until_ms;
	bool			 port_written;
	const char		*port_file;
};

certa_rc
gate_split_addr(const char *what, const char *a, char *host, size_t hostlen,
    uint16_t *port, struct certa_err *err)
{
	const char	*colon = a != NULL ? strrchr(a, ':') : NULL;
	char		*end;
	long long	 v;
	size_t		 hl;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(colon != NULL && colon != a, CERTA_E_PARSE,
	    "%s '%s': expected HOST:PORT", what, a != NULL ? a : "");
	errno = 0;
	v = strtoll(colon + 1, &end, 10);
	CERTA_CHECK(colon[1] != '\0' && *end == '\0' && errno == 0 && v >= 0 &&
	    v <= 65535, CERTA_E_PARSE, "%s '%s': bad port", what, a);
	*port = (uint16_t)v;
	hl = (size_t)(colon - a);
	if (a[0] == '[' && hl >= 2 && a[hl - 1] == ']') {
		a++;
		hl -= 2;
	}
	CERTA_CHECK(hl > 0 && hl < hostlen, CERTA_E_PARSE, "%s: bad host",
	    what);
	memcpy(host, a, hl);
	host[hl] = '\0';
out:
	return rc;
}

void
gate_log_conn(struct gate_common *g, const char *listener, const char *peer,
    const char *subject, const char *fingerprint, const char *verdict,
    const char *reason, uint64_t bytes_in, uint64_t bytes_out, int64_t us)
{
	json_t		*o;
	char		*s, t[32];
	struct timespec	 ts;
	struct tm	 tm;

	if (g->log == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:I, "
	    "s:I}", "time", t, "listener", listener, "peer", peer, "subject",
	    subject, "fingerprint", fingerprint, "verdict", verdict, "reason",
	    reason, "bytes_in", (json_int_t)bytes_in, "bytes_out",
	    (json_int_t)bytes_out, "us", (json_int_t)us);
	if (o == NULL)
		return;
	if ((s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) != NULL)
		fprintf(g->log, "%s\n", s);
	free(s);
	json_decref(o);
}

/* --- configuration ------------------------------------------------------ */

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static certa_rc
check_keys(json_t *o, const char *what, const char *const *keys,
    struct certa_err *err)
{
	const char	*k;
	json_t		*v;
	size_t		 i;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(json_is_object(o), CERTA_E_PARSE, "config: %s: expected "
	    "an object", what);
	json_object_foreach(o, k, v) {
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(k, keys[i]) == 0)
				break;
		CERTA_CHECK(keys[i] != NULL, CERTA_E_PARSE, "config: %s: "
		    "unknown setting \"%s\"", what, k);
	}
out:
	return rc;
}

static certa_rc
cfg_int(json_t *o, const char *k, long long min, long long max, int *out,
    struct certa_err *err)
{
	json_t		*v = json_object_get(o, k);
	certa_rc	 rc = CERTA_OK;

	if (v == NULL)
		goto out;
	CERTA_CHECK(json_is_integer(v) && json_integer_value(v) >= min &&
	    json_integer_value(v) <= max, CERTA_E_PARSE, "config: %s: "
	    "expected a number in %lld..%lld", k, min, max);
	*out = (int)json_integer_value(v);
out:
	return rc;
}

static certa_rc
parse_config(struct gate *gt, struct certa_err *err)
{
	static const char *const top[] = { "ingress", "egress", "usage",
	    "ca_file", "zero_trust", "access_log", NULL };
	static const char *const ikeys[] = { "listen", "upstream", "mode",
	    "auto_reject", "proxy_protocol", "tls_cert", "tls_key",
	    "handshake_timeout", "idle_timeout", "max_conns", NULL };
	static const char *const ekeys[] = { "listen", "to", "client_cert",
	    NULL };
	json_t		*a, *v;
	const char	*k;
	size_t		 i;
	int		 n;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(check_keys(gt->cfg, "top level", top, err));
	a = json_object_get(gt->cfg, "ingress");
	CERTA_CHECK(a == NULL || json_is_array(a), CERTA_E_PARSE, "config: "
	    "ingress: expected an array");
	json_array_foreach(a, i, v) {
		struct certa_gate_ingress_cfg *c = &gt->in[gt->nin];

		CERTA_CHECK(gt->nin < CERTA_GATE_MAX_LISTENERS, CERTA_E_PARSE,
		    "config: at most %d ingress listeners",
		    CERTA_GATE_MAX_LISTENERS);
		CERTA_TRY(check_keys(v, "ingress", ikeys, err));
		c->listen = jstr(v, "listen");
		c->upstream = jstr(v, "upstream");
		c->mode = jstr(v, "mode");
		c->auto_reject = json_is_true(json_object_get(v,
		    "auto_reject"));
		c->auto_reject_set = json_object_get(v, "auto_reject") !=
		    NULL;
		c->proxy_protocol = json_is_true(json_object_get(v,
		    "proxy_protocol"));
		c->tls_cert = jstr(v, "tls_cert");
		c->tls_key = jstr(v, "tls_key");
		CERTA_TRY(cfg_int(v, "handshake_timeout", 1, 3600,
		    &c->handshake_timeout, err));
		CERTA_TRY(cfg_int(v, "idle_timeout", 1, 86400,
		    &c->idle_timeout, err));
		n = 0;
		CERTA_TRY(cfg_int(v, "max_conns", 1, 1000000, &n, err));
		c->max_conns = (size_t)n;
		gt->nin++;
	}
	a = json_object_get(gt->cfg, "egress");
	CERTA_CHECK(a == NULL || json_is_array(a), CERTA_E_PARSE, "config: "
	    "egress: expected an array");
	json_array_foreach(a, i, v) {
		struct certa_gate_egress_cfg *c = &gt->out[gt->nout];

		CERTA_CHECK(gt->nout < CERTA_GATE_MAX_LISTENERS, CERTA_E_PARSE,
		    "config: at most %d egress listeners",
		    CERTA_GATE_MAX_LISTENERS);
		CERTA_TRY(check_keys(v, "egress", ekeys, err));
		c->listen = jstr(v, "listen");
		c->to = jstr(v, "to");
		c->client_cert = jstr(v, "client_cert");
		gt->nout++;
	}
	a = json_object_get(gt->cfg, "usage");
	CERTA_CHECK(a == NULL || json_is_object(a), CERTA_E_PARSE, "config: "
	    "usage: expected an object {\"host:port\": \"app:ORG/APP/TYPE\"}");
	json_object_foreach(a, k, v) {
		CERTA_CHECK(json_is_string(v) && gt->nusage <
		    sizeof(gt->usage_ep) / sizeof(gt->usage_ep[0]),
		    CERTA_E_PARSE, "config: usage: \"%s\": expected a string",
		    k);
		gt->usage_ep[gt->nusage] = k;
		gt->usage_spec[gt->nusage++] = json_string_value(v);
	}
	gt->ca_file = jstr(gt->cfg, "ca_file");
	gt->zero_trust = json_is_true(json_object_get(gt->cfg, "zero_trust"));
	gt->access_log = jstr(gt->cfg, "access_log");
out:
	return rc;
}

static certa_rc
load_config(struct gate *gt, const char *path, struct certa_err *err)
{
	json_error_t	 je;
	certa_rc	 rc = CERTA_OK;

	gt->cfg = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	CERTA_CHECK(gt->cfg != NULL, CERTA_E_PARSE, "config %s: line %d: %s",
	    path, je.line, je.text);
	CERTA_TRY(parse_config(gt, err));
out:
	return rc;
}

/* Defaults and checks for every listener. */
static certa_rc
finish_config(struct gate *gt, struct certa_err *err)
{
	size_t		 i;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(gt->nin + gt->nout > 0, CERTA_E_PARSE, "nothing to do: "
	    "give --listen/--upstream, --egress-listen/--egress-to, or "
	    "--config");
	for (i = 0; i < gt->nin; i++) {
		struct certa_gate_ingress_cfg *c = &gt->in[i];

		CERTA_CHECK(c->listen != NULL && c->upstream != NULL,
		    CERTA_E_PARSE, "ingress %zu: listen and upstream are "
		    "required", i + 1);
		/* No mode: the listener follows `certa settings` (ingress.c). */
		if (c->handshake_timeout <= 0)
			c->handshake_timeout = 10;
		if (c->idle_timeout <= 0)
			c->idle_timeout = 300;
		if (c->max_conns == 0)
			c->max_conns = 4096;
		CERTA_CHECK((c->tls_cert == NULL) == (c->tls_key == NULL),
		    CERTA_E_PARSE, "ingress %s: tls_cert and tls_key go "
		    "together", c->listen);
	}
	for (i = 0; i < gt->nout; i++)
		CERTA_CHECK(gt->out[i].listen != NULL && gt->out[i].to != NULL,
		    CERTA_E_PARSE, "egress %zu: listen and to are required",
		    i + 1);
out:
	return rc;
}

static certa_rc
configure(struct gate *gt, const struct certa_gate_opts *o,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	if (o->config != NULL)
		CERTA_TRY(load_config(gt, o->config, err));
	if (o->ingress.listen != NULL) {
		CERTA_CHECK(gt->nin < CERTA_GATE_MAX_LISTENERS, CERTA_E_PARSE,
		    "too many ingress listeners");
		gt->in[gt->nin++] = o->ingress;
	}
	if (o->egress.listen != NULL) {
		CERTA_CHECK(gt->nout < CERTA_GATE_MAX_LISTENERS, CERTA_E_PARSE,
		    "too many egress listeners");
		gt->out[gt->nout++] = o->egress;
	}
	if (o->ca_file != NULL)
		gt->ca_file = o->ca_file;
	if (o->zero_trust)
		gt->zero_trust = true;
	if (o->access_log != NULL)
		gt->access_log = o->access_log;
	if (gt->access_log == NULL)
		gt->access_log = "-";
	gt->port_file = o->port_file;
	CERTA_TRY(finish_config(gt, err));
out:
	return rc;
}

/* Every endpoint the egress listeners name gets a usage entry. */
static certa_rc
make_client(struct gate *gt, struct certa_err *err)
{
	struct certa_client_opts	 co;
	const char			*ep[CERTA_GATE_MAX_LISTENERS * 5];
	const char			*sp[CERTA_GATE_MAX_LISTENERS * 5];
	size_t				 n = 0, i, j;
	certa_rc			 rc = CERTA_OK;

	for (i = 0; i < gt->nout; i++) {
		if (gt->out[i].client_cert == NULL)
			continue;
		for (j = 0; j < n && strcmp(ep[j], gt->out[i].to) != 0; j++)
			;
		CERTA_CHECK(j == n || strcmp(sp[j], gt->out[i].client_cert) ==
		    0, CERTA_E_PARSE, "egress: two client certificates for %s",
		    gt->out[i].to);
		if (j == n) {
			ep[n] = gt->out[i].to;
			sp[n++] = gt->out[i].client_cert;
		}
	}
	for (i = 0; i < gt->nusage; i++) {
		for (j = 0; j < n && strcmp(ep[j], gt->usage_ep[i]) != 0; j++)
			;
		if (j == n) {
			ep[n] = gt->usage_ep[i];
			sp[n++] = gt->usage_spec[i];
		}
	}
	memset(&co, 0, sizeof(co));
	co.endpoints = ep;
	co.specs = sp;
	co.n = n;
	co.ca_file = gt->ca_file;
	co.zero_trust = gt->zero_trust;
	CERTA_TRY(certa_client_new(gt->g.ctx, &co, &gt->client, err));
out:
	return rc;
}

/* --- running ------------------------------------------------------------ */

static certa_rc
open_log(struct gate *gt, struct certa_err *err)
{
	FILE		*f = NULL;
	certa_rc	 rc = CERTA_OK;

	if (strcmp(gt->access_log, "off") == 0)
		f = NULL;
	else if (strcmp(gt->access_log, "-") == 0)
		f = stdout;
	else
		CERTA_CHECK((f = fopen(gt->access_log, "a")) != NULL,
		    CERTA_E_IO, "open access log %s: %s", gt->access_log,
		    strerror(errno));
	if (gt->g.log != NULL && gt->g.log != stdout)
		fclose(gt->g.log);
	gt->g.log = f;
out:
	return rc;
}

/* Start every listener on gt->g (base, ctx, log set). */
static certa_rc
start_listeners(struct gate *gt, struct certa_err *err)
{
	size_t		 i;
	certa_rc	 rc = CERTA_OK;

	if (gt->nout > 0 || gt->nusage > 0)
		CERTA_TRY(make_client(gt, err));
	for (i = 0; i < gt->nin; i++)
		CERTA_TRY(gate_ingress_start(&gt->g, &gt->in[i], &gt->ing[i],
		    err));
	for (i = 0; i < gt->nout; i++)
		CERTA_TRY(gate_egress_start(&gt->g, gt->client, &gt->out[i],
		    &gt->egr[i], err));
	for (i = 0; i < gt->nin; i++)
		fprintf(stderr, "certa gate: ingress %s -> %s (mode %s%s)\n",
		    gt->in[i].listen, gt->in[i].upstream, gt->in[i].mode !=
		    NULL ? gt->in[i].mode : "from settings",
		    gt->in[i].auto_reject ? ", auto-reject" :
		    gt->in[i].auto_reject_set ? "" :
		    ", auto-reject from settings");
	for (i = 0; i < gt->nout; i++)
		fprintf(stderr, "certa gate: egress %s -> %s\n",
		    gt->out[i].listen, gt->out[i].to);
out:
	return rc;
}

static void
stop_listeners(struct gate *gt)
{
	size_t	i;

	gt->g.draining = true;
	for (i = 0; i < gt->nin; i++)
		gate_ingress_stop(gt->ing[i]);
	for (i = 0; i < gt->nout; i++)
		gate_egress_stop(gt->egr[i]);
}

static void
free_listeners(struct gate *gt)
{
	size_t	i;

	for (i = 0; i < gt->nin; i++) {
		gate_ingress_free(gt->ing[i]);
		gt->ing[i] = NULL;
	}
	for (i = 0; i < gt->nout; i++) {
		gate_egress_free(gt->egr[i]);
		gt->egr[i] = NULL;
	}
	certa_client_free(gt->client);
	gt->client = NULL;
}

static size_t
open_conns(struct gate *gt)
{
	size_t	i, n = 0;

	for (i = 0; i < gt->nin; i++)
		n += gt->ing[i] != NULL ? gate_ingress_conns(gt->ing[i]) : 0;
	for (i = 0; i < gt->nout; i++)
		n += gt->egr[i] != NULL ? gate_egress_conns(gt->egr[i]) : 0;
	return n;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct gate	*gt = arg;

	(void)fd;
	(void)what;
	if (gt->g.log != NULL)
		fflush(gt->g.log);
	if (gt->g.draining && (open_conns(gt) == 0 ||
	    certa_mono_ms() >= gt->drain_until_ms))
		event_base_loopexit(gt->g.base, NULL);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct gate		*gt = arg;
	struct certa_err	 err;

	(void)what;
	certa_err_clear(&err);
	if (sig == SIGHUP) {
		if (open_log(gt, &err) != CERTA_OK)
			fprintf(stderr, "certa gate: %s\n", err.msg);
		return;
	}
	if (gt->g.draining)
		return;
	fprintf(stderr, "certa gate: %s: draining\n", sig == SIGTERM ?
	    "SIGTERM" : "SIGINT");
	gt->drain_until_ms = certa_mono_ms() + GATE_DRAIN_MS;
	stop_listeners(gt);
}

static certa_rc
write_ports(struct gate *gt, struct certa_err *err)
{
	char		 buf[CERTA_GATE_MAX_LISTENERS * 2 * 7];
	size_t		 len = 0, i;
	certa_rc	 rc = CERTA_OK;

	if (gt->port_file == NULL)
		goto out;
	for (i = 0; i < gt->nin; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u\n",
		    (unsigned)gate_ingress_port(gt->ing[i]));
	for (i = 0; i < gt->nout; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u\n",
		    (unsigned)gate_egress_port(gt->egr[i]));
	CERTA_TRY(certa_file_write(gt->port_file, buf, len, 0644, true, err));
	gt->port_written = true;
out:
	return rc;
}

certa_rc
certa_gate_run(const struct certa_gate_opts *o, struct certa_err *err)
{
	struct gate		*gt;
	struct event_config	*evcfg;
	struct timeval		 tv = { 0, GATE_TICK_MS * 1000 };
	static const int	 sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	size_t			 i;
	certa_rc		 rc = CERTA_OK;

	CERTA_CHECK((gt = calloc(1, sizeof(*gt))) != NULL, CERTA_E_NOMEM,
	    "oom");
	CERTA_CHECK(o->dir != NULL, CERTA_E_INVAL, "no data directory");
	CERTA_TRY(configure(gt, o, err));
	CERTA_TRY(certa_open(o->dir, o->pass_file, &gt->g.ctx, err));
	certa_ctx_set_actor(gt->g.ctx, "gate");
	if (o->check_config) {
		if (gt->nout > 0 || gt->nusage > 0)
			CERTA_TRY(make_client(gt, err));
		printf("config ok: %zu ingress, %zu egress listener(s)\n",
		    gt->nin, gt->nout);
		goto out;
	}
	CERTA_TRY(open_log(gt, err));
	/* A cluster store pushes trust changes: handshakes check the
	 * generation in memory, not with a query each (store.h). */
	CERTA_TRY(certa_store_watch(certa_ctx_store(gt->g.ctx), NULL, NULL,
	    &gt->watch, err));
	(void)signal(SIGPIPE, SIG_IGN);
	CERTA_CHECK((evcfg = event_config_new()) != NULL, CERTA_E_NOMEM,
	    "create event loop");
	(void)event_config_set_flag(evcfg,
	    EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	gt->g.base = event_base_new_with_config(evcfg);
	event_config_free(evcfg);
	CERTA_CHECK(gt->g.base != NULL, CERTA_E_NOMEM, "create event loop");
	CERTA_TRY(start_listeners(gt, err));
	CERTA_CHECK((gt->tick = event_new(gt->g.base, -1, EV_PERSIST, on_tick,
	    gt)) != NULL && event_add(gt->tick, &tv) == 0, CERTA_E_NOMEM,
	    "create timer");
	for (i = 0; i < 3; i++)
		CERTA_CHECK((gt->sig[i] = evsignal_new(gt->g.base, sigs[i],
		    on_signal, gt)) != NULL && event_add(gt->sig[i], NULL) ==
		    0, CERTA_E_NOMEM, "install signal handler");
	CERTA_TRY(write_ports(gt, err));
	CERTA_CHECK(event_base_dispatch(gt->g.base) == 0, CERTA_E_INTERNAL,
	    "event loop failed");
	fprintf(stderr, "certa gate: stopped\n");
out:
	if (gt != NULL) {
		certa_store_unwatch(gt->watch);
		free_listeners(gt);
		for (i = 0; i < 3; i++)
			if (gt->sig[i] != NULL)
				event_free(gt->sig[i]);
		if (gt->tick != NULL)
			event_free(gt->tick);
		if (gt->g.base != NULL)
			event_base_free(gt->g.base);
		certa_trust_current_reset();
		certa_close(gt->g.ctx);
		if (gt->port_written)
			(void)unlink(gt->port_file);
		if (gt->g.log != NULL) {
			fflush(gt->g.log);
			if (gt->g.log != stdout)
				fclose(gt->g.log);
		}
		json_decref(gt->cfg);
		free(gt);
	}
	return rc;
}

/* --- inside certa serve --------------------------------------------------- */

struct certa_gate_embed {
	struct gate	gt;
};

certa_rc
certa_gate_embed_start(struct event_base *base, struct certa_ctx *ctx,
    FILE *log, const json_t *cfg, struct certa_gate_embed **out,
    struct certa_err *err)
{
	struct certa_gate_embed	*e = NULL;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK((e = calloc(1, sizeof(*e))) != NULL, CERTA_E_NOMEM, "oom");
	CERTA_CHECK((e->gt.cfg = json_deep_copy(cfg)) != NULL, CERTA_E_NOMEM,
	    "oom");
	CERTA_TRY(parse_config(&e->gt, err));
	CERTA_CHECK(e->gt.access_log == NULL, CERTA_E_PARSE, "gate: "
	    "access_log: inside certa serve the gate writes to serve's access "
	    "log");
	CERTA_TRY(finish_config(&e->gt, err));
	e->gt.g.base = base;
	e->gt.g.ctx = ctx;
	e->gt.g.log = log;
	CERTA_TRY(start_listeners(&e->gt, err));
	*out = e;
	e = NULL;
out:
	certa_gate_embed_free(e);
	return rc;
}

void
certa_gate_embed_stop(struct certa_gate_embed *e)
{
	if (e != NULL)
		stop_listeners(&e->gt);
}

size_t
certa_gate_embed_conns(struct certa_gate_embed *e)
{
	return e != NULL ? open_conns(&e->gt) : 0;
}

void
certa_gate_embed_set_log(struct certa_gate_embed *e, FILE *log)
{
	if (e != NULL)
		e->gt.g.log = log;
}

void
certa_gate_embed_free(struct certa_gate_embed *e)
{
	if (e == NULL)
		return;
	free_listeners(&e->gt);
	json_decref(e->gt.cfg);
	free(e);
}
