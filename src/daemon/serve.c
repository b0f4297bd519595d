/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa serve: wiring only (STYLE §2, like step-ca ca/ca.go).  Reads the
 * configuration (options, then $CERTA_* environment, then defaults), opens
 * the data directory, starts the OCSP responder and the public plain-HTTP
 * listener on one event_base, and runs the periodic jobs:
 *   - every 250 ms: certa_ocsp_poll (revocations made by any process become
 *     visible; see src/ca/ocsp.c HOW IT WORKS) and an access-log flush;
 *   - the CRL is regenerated 1 s after the first revocation of a burst
 *     (debounce) and when half its validity has passed.
 * Signals: SIGTERM/SIGINT stop accepting, let queued responses drain (at
 * most 5 s) and return; SIGHUP reopens the access log, re-reads the CA
 * certificates and regenerates the CRL.  The CA key stays in the signer.
 */
#include <sys/resource.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include <certa/certa.h>
#include <certa/ocsp.h>
#include <certa/store.h>
#include <certa/unstable/serve.h>
#include <certa/util.h>

#include "proto/endpoints.h"
#include "proto/http.h"

#define SERVE_TICK_MS		250
#define SERVE_CRL_DEBOUNCE_MS	1000
#define SERVE_DRAIN_MS		5000

struct serve {
	struct certa_serve_opts	 o;
	char			 host[256];
	uint16_t		 port;
	struct certa_ctx	*ctx;		/* owns */
	struct event_base	*base;		/* owns */
	struct certa_http	*http;		/* owns */
	struct certa_ocsp	*ocsp;		/* owns */
	struct certa_ocsp_http	 oh;
	struct certa_dist	 dist;		/* owns the objects */
	struct event		*tick;		/* owns */
	struct event		*sig[3];	/* owns: TERM, INT, HUP */
	FILE			*log;		/* owns unless stdout */
	int64_t			 crl_dirty_ms;	/* 0: clean */
	int64_t			 crl_regen_at;	/* Unix s */
	bool			 draining;
	bool			 port_written;
	int64_t			 drain_until_ms;
};

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
note(const char *what, const struct certa_err *err)
{
	fprintf(stderr, "certa serve: %s: %s\n", what,
	    err != NULL && err->msg[0] ? err->msg : "failed");
}

static const char *
env_or(const char *v, const char *name, const char *def)
{
	const char	*e;

	if (v != NULL)
		return v;
	e = getenv(name);
	return e != NULL && *e != '\0' ? e : def;
}

static certa_rc
env_num(const char *name, long long min, long long max, long long *out,
    struct certa_err *err)
{
	const char	*e = getenv(name);
	char		*end;
	long long	 v;
	certa_rc	 rc = CERTA_OK;

	if (e == NULL || *e == '\0')
		goto out;
	errno = 0;
	v = strtoll(e, &end, 10);
	CERTA_CHECK(errno == 0 && *end == '\0' && v >= min && v <= max,
	    CERTA_E_PARSE, "$%s: expected a number in %lld..%lld", name, min,
	    max);
	*out = v;
out:
	return rc;
}

/* Options, then environment, then defaults. */
static certa_rc
configure(struct serve *s, const struct certa_serve_opts *in,
    struct certa_err *err)
{
	const char	*colon, *pub;
	char		*end;
	long long	 v;
	size_t		 hl;
	certa_rc	 rc = CERTA_OK;

	s->o = *in;
	pub = env_or(in->public_addr, "CERTA_PUBLIC", "127.0.0.1:8080");
	s->o.port_file = env_or(in->port_file, "CERTA_PORT_FILE", NULL);
	s->o.access_log = env_or(in->access_log, "CERTA_ACCESS_LOG", "-");
	if (s->o.request_timeout <= 0) {
		v = 10;
		CERTA_TRY(env_num("CERTA_REQUEST_TIMEOUT", 1, 3600, &v, err));
		s->o.request_timeout = (int)v;
	}
	if (s->o.max_conns == 0) {
		v = 4096;
		CERTA_TRY(env_num("CERTA_MAX_CONNS", 1, 1000000, &v, err));
		s->o.max_conns = (size_t)v;
	}
	if (s->o.max_conns_per_addr == 0) {
		v = 512;
		CERTA_TRY(env_num("CERTA_MAX_CONNS_PER_ADDR", 1, 1000000, &v,
		    err));
		s->o.max_conns_per_addr = (size_t)v;
	}
	if (s->o.ocsp_validity <= 0)
		s->o.ocsp_validity = 3600;
	if (s->o.crl_validity <= 0)
		s->o.crl_validity = 86400;
	s->o.public_addr = pub;
	/* ADDR:PORT, [V6]:PORT */
	colon = strrchr(pub, ':');
	CERTA_CHECK(colon != NULL && colon != pub, CERTA_E_PARSE,
	    "public address '%s': expected ADDR:PORT", pub);
	errno = 0;
	v = strtoll(colon + 1, &end, 10);
	CERTA_CHECK(colon[1] != '\0' && *end == '\0' && errno == 0 && v >= 0 &&
	    v <= 65535, CERTA_E_PARSE, "public address '%s': bad port", pub);
	s->port = (uint16_t)v;
	hl = (size_t)(colon - pub);
	if (pub[0] == '[' && hl >= 2 && pub[hl - 1] == ']') {
		pub++;
		hl -= 2;
	}
	CERTA_CHECK(hl > 0 && hl < sizeof(s->host), CERTA_E_PARSE,
	    "public address '%s': bad host", in->public_addr ?
	    in->public_addr : pub);
	memcpy(s->host, pub, hl);
	s->host[hl] = '\0';
out:
	return rc;
}

static certa_rc
open_log(struct serve *s, struct certa_err *err)
{
	FILE		*f = NULL;
	certa_rc	 rc = CERTA_OK;

	if (strcmp(s->o.access_log, "off") == 0) {
		f = NULL;
	} else if (strcmp(s->o.access_log, "-") == 0) {
		f = stdout;
	} else {
		f = fopen(s->o.access_log, "a");
		CERTA_CHECK(f != NULL, CERTA_E_IO, "open access log %s: %s",
		    s->o.access_log, strerror(errno));
		/* Few large writes; the 250 ms tick flushes. */
		(void)setvbuf(f, NULL, _IOFBF, 256 * 1024);
	}
	if (s->log != NULL && s->log != stdout)
		fclose(s->log);
	s->log = f;
out:
	return rc;
}

static certa_rc
load_cas_one(const struct certa_ca_rec *r, void *arg)
{
	struct certa_dist	*d = arg;

	if (d->ncas == CERTA_DIST_MAX)
		return CERTA_OK;
	if (certa_dist_set(&d->cas[d->ncas], r->name, r->cert_der,
	    r->cert_der_len, r->created_at, 0, NULL) != CERTA_OK)
		return CERTA_E_NOMEM;
	d->ncas++;
	return CERTA_OK;
}

static certa_rc
load_cas(struct serve *s, struct certa_err *err)
{
	size_t		 i;
	certa_rc	 rc = CERTA_OK;

	for (i = 0; i < s->dist.ncas; i++) {
		free(s->dist.cas[i].der);
		s->dist.cas[i].der = NULL;
	}
	s->dist.ncas = 0;
	s->dist.max_age = 86400;
	CERTA_TRY(certa_store_ca_each(certa_ctx_store(s->ctx), load_cas_one,
	    &s->dist, err));
out:
	return rc;
}

static certa_rc
regen_crl(struct serve *s, struct certa_err *err)
{
	struct certa_ca_rec	 ca;
	struct certa_crl_info	 info;
	uint8_t			*der = NULL;
	size_t			 len = 0;
	certa_rc		 rc = CERTA_OK;

	memset(&ca, 0, sizeof(ca));
	CERTA_TRY(certa_store_ca_get_active(certa_ctx_store(s->ctx), "issuing",
	    &ca, err));
	CERTA_TRY(certa_crl_generate(s->ctx, false, s->o.crl_validity, &der,
	    &len, &info, err));
	CERTA_TRY(certa_dist_set(&s->dist.crls[0], ca.name, der, len,
	    info.this_update, info.next_update, err));
	s->dist.ncrls = 1;
	s->crl_regen_at = info.this_update +
	    (info.next_update - info.this_update) / 2;
	s->crl_dirty_ms = 0;
out:
	certa_ca_rec_clear(&ca);
	free(der);
	return rc;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct serve		*s = arg;
	struct certa_err	 err;
	size_t			 revoked = 0;
	int64_t			 ms = now_ms();

	(void)fd;
	(void)what;
	certa_err_clear(&err);
	if (s->log != NULL)
		fflush(s->log);
	if (s->draining) {
		if (certa_http_busy(s->http) == 0 || ms >= s->drain_until_ms)
			event_base_loopexit(s->base, NULL);
		return;
	}
	if (certa_ocsp_poll(s->ocsp, certa_now(), &revoked, &err) != CERTA_OK)
		note("OCSP poll", &err);
	if (revoked > 0 && s->crl_dirty_ms == 0)
		s->crl_dirty_ms = ms;
	if ((s->crl_dirty_ms != 0 &&
	    ms - s->crl_dirty_ms >= SERVE_CRL_DEBOUNCE_MS) ||
	    certa_now() >= s->crl_regen_at) {
		certa_err_clear(&err);
		if (regen_crl(s, &err) != CERTA_OK) {
			note("CRL", &err);
			s->crl_regen_at = certa_now() + 60;	/* retry */
		}
	}
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct serve		*s = arg;
	struct certa_err	 err;

	(void)what;
	certa_err_clear(&err);
	if (sig == SIGHUP) {
		fprintf(stderr, "certa serve: SIGHUP: reloading\n");
		if (open_log(s, &err) != CERTA_OK)
			note("reload access log", &err);
		certa_err_clear(&err);
		if (load_cas(s, &err) != CERTA_OK)
			note("reload CA certificates", &err);
		certa_err_clear(&err);
		if (regen_crl(s, &err) != CERTA_OK)
			note("reload CRL", &err);
		return;
	}
	if (s->draining)
		return;
	fprintf(stderr, "certa serve: %s: draining\n",
	    sig == SIGTERM ? "SIGTERM" : "SIGINT");
	s->draining = true;
	s->drain_until_ms = now_ms() + SERVE_DRAIN_MS;
	certa_http_stop_accepting(s->http);
}

/* Room for the connection cap: soft descriptor limit up to the hard one
 * (at most 65536, the HTTP layer's table). */
static void
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= 65536 ||
	    rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

static certa_rc
write_port_file(struct serve *s, struct certa_err *err)
{
	char		 buf[16];
	int		 n;
	certa_rc	 rc = CERTA_OK;

	if (s->o.port_file == NULL)
		goto out;
	n = snprintf(buf, sizeof(buf), "%u\n", (unsigned)certa_http_port(
	    s->http));
	CERTA_TRY(certa_file_write(s->o.port_file, buf, (size_t)n, 0644, true,
	    err));
	s->port_written = true;
out:
	return rc;
}

certa_rc
certa_serve_run(const struct certa_serve_opts *in, struct certa_err *err)
{
	struct serve		 s;
	struct certa_http_opts	 ho;
	struct certa_ocsp_opts	 oo;
	struct timeval		 tv = { 0, SERVE_TICK_MS * 1000 };
	static const int	 sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	size_t			 i;
	certa_rc		 rc = CERTA_OK;

	memset(&s, 0, sizeof(s));
	memset(&ho, 0, sizeof(ho));
	memset(&oo, 0, sizeof(oo));
	CERTA_CHECK(in != NULL && in->dir != NULL, CERTA_E_INVAL,
	    "no data directory");
	CERTA_TRY(configure(&s, in, err));
	/* Access-log lines to a pipe or file: few large writes; the tick
	 * flushes every 250 ms.  (Only before the first output.) */
	if (strcmp(s.o.access_log, "-") == 0 && !isatty(STDOUT_FILENO))
		(void)setvbuf(stdout, NULL, _IOFBF, 256 * 1024);
	CERTA_TRY(open_log(&s, err));
	(void)signal(SIGPIPE, SIG_IGN);
	raise_nofile();

	/* Two priorities: connection set-up (0) runs before I/O (1). */
	CERTA_CHECK((s.base = event_base_new()) != NULL &&
	    event_base_priority_init(s.base, 2) == 0, CERTA_E_NOMEM,
	    "create event loop");
	ho.addr = s.host;
	ho.port = s.port;
	ho.max_conns = s.o.max_conns;
	ho.max_conns_per_addr = s.o.max_conns_per_addr;
	ho.request_timeout = s.o.request_timeout;
	ho.log = s.log;
	CERTA_TRY(certa_http_new(s.base, &ho, &s.http, err));
	CERTA_TRY(certa_http_route(s.http, "/ocsp", true,
	    CERTA_HTTP_POST | CERTA_HTTP_GET, certa_ocsp_http_handle, &s.oh,
	    err));
	CERTA_TRY(certa_http_route(s.http, "/ocsp/", false,
	    CERTA_HTTP_POST | CERTA_HTTP_GET | CERTA_HTTP_HEAD,
	    certa_ocsp_http_handle, &s.oh, err));
	CERTA_TRY(certa_http_route(s.http, "/crl/", false,
	    CERTA_HTTP_GET | CERTA_HTTP_HEAD, certa_dist_http_crl, &s.dist,
	    err));
	CERTA_TRY(certa_http_route(s.http, "/ca/", false,
	    CERTA_HTTP_GET | CERTA_HTTP_HEAD, certa_dist_http_ca, &s.dist,
	    err));

	/* Bound first: a busy port fails before anything is issued.  No
	 * request is read before the loop runs. */
	CERTA_TRY(certa_open(s.o.dir, s.o.pass_file, &s.ctx, err));
	certa_ctx_set_actor(s.ctx, "serve");
	oo.validity = s.o.ocsp_validity;
	CERTA_TRY(certa_ocsp_new(s.ctx, &oo, &s.ocsp, err));
	s.oh.ocsp = s.ocsp;
	s.oh.max_age = 300;
	CERTA_TRY(load_cas(&s, err));
	CERTA_TRY(regen_crl(&s, err));

	CERTA_CHECK((s.tick = event_new(s.base, -1, EV_PERSIST, on_tick,
	    &s)) != NULL && event_add(s.tick, &tv) == 0, CERTA_E_NOMEM,
	    "create timer");
	for (i = 0; i < 3; i++)
		CERTA_CHECK((s.sig[i] = evsignal_new(s.base, sigs[i],
		    on_signal, &s)) != NULL && event_add(s.sig[i], NULL) == 0,
		    CERTA_E_NOMEM, "install signal handler");
	CERTA_TRY(write_port_file(&s, err));
	fprintf(stderr, "certa serve: public listener on http://%s%s%s:%u "
	    "(/ocsp, /crl/<ca>.crl, /ca/<ca>.crt)\n",
	    strchr(s.host, ':') ? "[" : "", s.host,
	    strchr(s.host, ':') ? "]" : "", (unsigned)certa_http_port(s.http));
	CERTA_CHECK(event_base_dispatch(s.base) == 0, CERTA_E_INTERNAL,
	    "event loop failed");
	fprintf(stderr, "certa serve: stopped\n");
out:
	certa_http_free(s.http);
	for (i = 0; i < 3; i++)
		if (s.sig[i] != NULL)
			event_free(s.sig[i]);
	if (s.tick != NULL)
		event_free(s.tick);
	if (s.base != NULL)
		event_base_free(s.base);
	certa_ocsp_free(s.ocsp);
	certa_dist_clear(&s.dist);
	certa_close(s.ctx);
	if (s.port_written)
		(void)unlink(s.o.port_file);
	if (s.log != NULL) {
		fflush(s.log);
		if (s.log != stdout)
			fclose(s.log);
	}
	libevent_global_shutdown();
	return rc;
}
