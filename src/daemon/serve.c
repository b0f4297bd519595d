/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa serve: wiring only (STYLE §2, like step-ca ca/ca.go).  Reads the
 * configuration (options, then $CERTA_* environment, then defaults), opens
 * the data directory, starts the OCSP responder and the public plain-HTTP
 * listener on one event_base, and runs the periodic jobs:
 *   - every 250 ms: certa_ocsp_poll (revocations made by any process become
 *     visible; see src/ca/ocsp.c HOW IT WORKS) and an access-log flush;
 *   - the CRL is regenerated 1 s after the first revocation of a burst
 *     (debounce) and when half its validity has passed;
 *   - expiry notifications: a pass at start and every notify_interval
 *     seconds (default 60, 0 = off) on a thread of their own with their
 *     own context, so deliveries never block this loop (notify.h);
 *   - every 2 s: the node's heartbeat (certa_store_node_put: id, name,
 *     start, the trust generation and audit head it last read), listed
 *     by GET /api/v1/cluster (docs/operations.md "Cluster"), and the
 *     "jobs" lease taken or renewed (certa_store_lease_take,
 *     SERVE_LEASE_S).
 * On a store with a change feed (PostgreSQL, certa_store_watch) another
 * node's revocation also wakes the loop at once for the OCSP poll.
 * The periodic jobs that change the store run on the holder of the "jobs"
 * lease only: CRL regeneration (on a revocation, at half validity),
 * expiry-notification passes, and the lifecycle tick (superseded
 * certificates of reissues revoked when their grace ends).  The holder
 * stores each CRL it makes
 * (certa_store_crl_put) and the other nodes serve that one
 * (certa_store_crl_get at each heartbeat, and every tick while a
 * revocation they saw is not in it yet).  Without a holder for a long
 * time (3/4 of the CRL's validity) a node makes its own.
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
#include <event2/thread.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <certa/certa.h>
#include <certa/notify.h>
#include <certa/ocsp.h>
#include <certa/store.h>
#include <certa/truststore.h>
#include <certa/unstable/gate.h>
#include <certa/unstable/serve.h>
#include <certa/util.h>

#include "proto/api.h"
#include "proto/endpoints.h"
#include "proto/http.h"
#include "proto/tls.h"

#define SERVE_TICK_MS		250
#define SERVE_CRL_DEBOUNCE_MS	1000
#define SERVE_DRAIN_MS		5000
#define SERVE_HEARTBEAT_MS	2000
#define SERVE_LEASE_S		5	/* taken over <= 5 + 1 + 2 s after a stop */
#define SERVE_LEASE		API_JOBS_LEASE

#define SERVE_MAX_NAMES		8

struct serve {
	struct certa_serve_opts	 o;
	json_t			*cfg;		/* owns; NULL: no file */
	char			 cfg_path[4096];
	char			 host[256];
	uint16_t		 port;
	bool			 api_on;
	char			 api_host[256];
	uint16_t		 api_port;
	const char		*names[SERVE_MAX_NAMES]; /* in cfg/names_buf */
	size_t			 nnames;
	char			 names_buf[1024];
	SSL_CTX			*tls;		/* owns */
	int64_t			 tls_renew_at;	/* 0: configured cert */
	struct certa_http	*api_http;	/* owns */
	struct certa_gate_embed	*gate;		/* owns; NULL: none */
	struct certa_api	 api;
	struct certa_ctx	*ctx;		/* owns */
	struct event_base	*base;		/* owns */
	struct certa_http	*http;		/* owns */
	struct certa_ocsp	*ocsp;		/* owns */
	struct certa_ocsp_http	 oh;
	struct certa_dist	 dist;		/* owns the objects */
	struct event		*tick;		/* owns */
	struct event		*wake;		/* owns: the change feed's */
	struct certa_store_watch *watch;	/* owns; NULL: no feed */
	struct certa_notify_worker *notify;	/* owns; NULL: off */
	struct event		*sig[3];	/* owns: TERM, INT, HUP */
	FILE			*log;		/* owns unless stdout */
	int64_t			 crl_dirty_ms;	/* 0: clean */
	int64_t			 crl_regen_at;	/* Unix s */
	bool			 draining;
	bool			 port_written;
	bool			 api_port_written;
	const char		*in_access_log;	/* the flag, if given */
	char			*access_log_buf; /* owns; after a reload */
	int64_t			 drain_until_ms;
	struct certa_node_rec	 node;		/* this daemon in the cluster */
	int64_t			 heartbeat_ms;	/* next one due */
	bool			 leader;	/* holds the "jobs" lease */
	int64_t			 crl_ca_id;	/* the CRL served: CA, */
	char			 crl_ca_name[64];
	int64_t			 crl_number;	/* number, */
	int64_t			 crl_own_at;	/* fallback: make our own */
};

static void
note(const char *what, const struct certa_err *err)
{
	fprintf(stderr, "certa serve: %s: %s\n", what,
	    err != NULL && err->msg[0] ? err->msg : "failed");
}

/* ADDR:PORT or [V6]:PORT into host and port. */
static certa_rc
split_addr(const char *what, const char *a, char *host, size_t hostlen,
    uint16_t *port, struct certa_err *err)
{
	const char	*colon = strrchr(a, ':');
	char		*end;
	long long	 v;
	size_t		 hl;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(colon != NULL && colon != a, CERTA_E_PARSE,
	    "%s address '%s': expected ADDR:PORT", what, a);
	errno = 0;
	v = strtoll(colon + 1, &end, 10);
	CERTA_CHECK(colon[1] != '\0' && *end == '\0' && errno == 0 && v >= 0 &&
	    v <= 65535, CERTA_E_PARSE, "%s address '%s': bad port", what, a);
	*port = (uint16_t)v;
	hl = (size_t)(colon - a);
	if (a[0] == '[' && hl >= 2 && a[hl - 1] == ']') {
		a++;
		hl -= 2;
	}
	CERTA_CHECK(hl > 0 && hl < hostlen, CERTA_E_PARSE, "%s address: bad "
	    "host", what);
	memcpy(host, a, hl);
	host[hl] = '\0';
out:
	return rc;
}

/* Settings the config file may hold, with their environment names. */
static const struct {
	const char	*key;
	const char	*env;
	bool		 num;
} settings[] = {
	{ "public", "CERTA_PUBLIC", false },
	{ "api", "CERTA_API", false },
	{ "port_file", "CERTA_PORT_FILE", false },
	{ "api_port_file", "CERTA_API_PORT_FILE", false },
	{ "tls_cert", "CERTA_TLS_CERT", false },
	{ "tls_key", "CERTA_TLS_KEY", false },
	{ "access_log", "CERTA_ACCESS_LOG", false },
	{ "api_names", "CERTA_API_NAMES", false },
	{ "request_timeout", "CERTA_REQUEST_TIMEOUT", true },
	{ "max_conns", "CERTA_MAX_CONNS", true },
	{ "max_conns_per_addr", "CERTA_MAX_CONNS_PER_ADDR", true },
	{ "ocsp_validity", "CERTA_OCSP_VALIDITY", true },
	{ "crl_validity", "CERTA_CRL_VALIDITY", true },
	{ "notify_interval", "CERTA_NOTIFY_INTERVAL", true },
	{ "store", "CERTA_STORE", false },	/* a PostgreSQL DSN */
	{ "gate", NULL, false },	/* an object: certa gate's config */
};
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

/*
 * Read the config file: a JSON object of the settings above (numbers of
 * seconds may also be durations such as "1h"; api_names an array or a
 * comma-separated string).  Unknown keys are errors: a typo must not pass
 * silently.  *out is NULL when there is no file and none was asked for.
 */
static certa_rc
load_config(const char *path, bool explicit, json_t **out,
    struct certa_err *err)
{
	json_t		*o = NULL, *v;
	json_error_t	 je;
	const char	*k;
	size_t		 i;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	if (!explicit && access(path, F_OK) != 0)
		goto out;
	o = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	CERTA_CHECK(o != NULL, CERTA_E_PARSE, "config %s: line %d: %s", path,
	    je.line, je.text);
	CERTA_CHECK(json_is_object(o), CERTA_E_PARSE, "config %s: expected a "
	    "JSON object", path);
	json_object_foreach(o, k, v) {
		for (i = 0; i < NSETTINGS; i++)
			if (strcmp(k, settings[i].key) == 0)
				break;
		CERTA_CHECK(i < NSETTINGS, CERTA_E_PARSE, "config %s: unknown "
		    "setting \"%s\"", path, k);
		if (strcmp(k, "gate") == 0)
			CERTA_CHECK(json_is_object(v), CERTA_E_PARSE,
			    "config %s: gate: expected an object with certa "
			    "gate's settings (ingress, egress, usage)", path);
		else if (strcmp(k, "api_names") == 0)
			CERTA_CHECK(json_is_string(v) || json_is_array(v),
			    CERTA_E_PARSE, "config %s: api_names: expected "
			    "an array of \"DNS:x\"/\"IP:y\"", path);
		else if (settings[i].num)
			CERTA_CHECK(json_is_integer(v) || json_is_string(v),
			    CERTA_E_PARSE, "config %s: %s: expected a number",
			    path, k);
		else
			CERTA_CHECK(json_is_string(v), CERTA_E_PARSE,
			    "config %s: %s: expected a string", path, k);
	}
	*out = o;
	o = NULL;
out:
	json_decref(o);
	return rc;
}

/* Flag, then environment, then config file, then default. */
static const char *
pick(const struct serve *s, const char *flag, const char *key,
    const char *def)
{
	const char	*e;
	json_t		*v;
	size_t		 i;

	if (flag != NULL)
		return flag;
	for (i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].key, key) == 0 &&
		    settings[i].env != NULL &&
		    (e = getenv(settings[i].env)) != NULL && *e != '\0')
			return e;
	v = s->cfg != NULL ? json_object_get(s->cfg, key) : NULL;
	if (v != NULL && json_is_string(v))
		return json_string_value(v);
	return def;
}

static certa_rc
pick_num(const struct serve *s, long long flag, const char *key,
    long long min, long long max, long long def, long long *out,
    struct certa_err *err)
{
	json_t		*v = s->cfg != NULL ? json_object_get(s->cfg, key) :
			    NULL;
	const char	*str;
	char		 buf[24];
	int64_t		 secs;
	certa_rc	 rc = CERTA_OK;

	*out = def;
	if (flag > 0) {
		*out = flag;
		goto out;
	}
	if (v != NULL && json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld",
		    (long long)json_integer_value(v));
		str = pick(s, NULL, key, buf);
	} else {
		str = pick(s, NULL, key, NULL);
	}
	if (str == NULL)
		goto out;
	if (strspn(str, "0123456789") == strlen(str) && strlen(str) <= 18)
		secs = strtoll(str, NULL, 10);	/* a bare number */
	else if (certa_duration_parse(str, &secs, err) != CERTA_OK)
		secs = min - 1;
	certa_err_clear(err);
	CERTA_CHECK(
	    secs >= min && secs <= max, CERTA_E_PARSE, "%s: expected a number "
	    "in %lld..%lld, got '%s'", key, min, max, str);
	*out = secs;
out:
	return rc;
}

static certa_rc
configure(struct serve *s, const struct certa_serve_opts *in,
    struct certa_err *err)
{
	char		 path[4096];
	const char	*cfg, *store;
	json_t		*v, *x;
	long long	 n;
	size_t		 i;
	certa_rc	 rc = CERTA_OK;

	s->o = *in;
	s->in_access_log = in->access_log;
	cfg = in->config != NULL ? in->config : getenv("CERTA_CONFIG");
	if (cfg != NULL && *cfg == '\0')
		cfg = NULL;
	snprintf(path, sizeof(path), "%s/certa.conf", in->dir);
	json_decref(s->cfg);
	s->cfg = NULL;
	CERTA_TRY(load_config(cfg != NULL ? cfg : path, cfg != NULL, &s->cfg,
	    err));
	snprintf(s->cfg_path, sizeof(s->cfg_path), "%s", s->cfg != NULL ?
	    (cfg != NULL ? cfg : path) : "");
	s->o.public_addr = pick(s, in->public_addr, "public",
	    "127.0.0.1:8080");
	s->o.api_addr = pick(s, in->api_addr, "api", "127.0.0.1:8443");
	s->o.port_file = pick(s, in->port_file, "port_file", NULL);
	s->o.api_port_file = pick(s, in->api_port_file, "api_port_file", NULL);
	s->o.tls_cert = pick(s, in->tls_cert, "tls_cert", NULL);
	s->o.tls_key = pick(s, in->tls_key, "tls_key", NULL);
	s->o.access_log = pick(s, in->access_log, "access_log", "-");
	/* The store: certa_open() reads $CERTA_STORE (--store sets it), so a
	 * config file's "store" goes there (docs/operations.md). */
	store = pick(s, NULL, "store", NULL);
	CERTA_CHECK(store == NULL || setenv("CERTA_STORE", store, 1) == 0,
	    CERTA_E_IO, "store: %s", strerror(errno));
	CERTA_CHECK((s->o.tls_cert == NULL) == (s->o.tls_key == NULL),
	    CERTA_E_PARSE, "tls_cert and tls_key go together");
	CERTA_TRY(pick_num(s, in->request_timeout, "request_timeout", 1, 3600,
	    10, &n, err));
	s->o.request_timeout = (int)n;
	CERTA_TRY(pick_num(s, (long long)in->max_conns, "max_conns", 1,
	    1000000, 4096, &n, err));
	s->o.max_conns = (size_t)n;
	CERTA_TRY(pick_num(s, (long long)in->max_conns_per_addr,
	    "max_conns_per_addr", 1, 1000000, 512, &n, err));
	s->o.max_conns_per_addr = (size_t)n;
	CERTA_TRY(pick_num(s, in->ocsp_validity, "ocsp_validity", 60,
	    7 * 86400, 3600, &n, err));
	s->o.ocsp_validity = n;
	CERTA_TRY(pick_num(s, in->crl_validity, "crl_validity", 3600,
	    366 * 86400, 86400, &n, err));
	s->o.crl_validity = n;
	CERTA_TRY(pick_num(s, in->notify_interval, "notify_interval", 0,
	    86400, 60, &n, err));
	s->o.notify_interval = n;
	CERTA_TRY(split_addr("public", s->o.public_addr, s->host,
	    sizeof(s->host), &s->port, err));
	s->api_on = strcmp(s->o.api_addr, "off") != 0;
	if (s->api_on)
		CERTA_TRY(split_addr("api", s->o.api_addr, s->api_host,
		    sizeof(s->api_host), &s->api_port, err));
	/* Names in the API's certificate. */
	s->nnames = 0;
	v = s->cfg != NULL ? json_object_get(s->cfg, "api_names") : NULL;
	if (getenv("CERTA_API_NAMES") != NULL || (v != NULL &&
	    json_is_string(v))) {
		char *save = NULL, *t;

		snprintf(s->names_buf, sizeof(s->names_buf), "%s",
		    pick(s, NULL, "api_names", ""));
		for (t = strtok_r(s->names_buf, ", ", &save); t != NULL &&
		    s->nnames < SERVE_MAX_NAMES; t = strtok_r(NULL, ", ",
		    &save))
			s->names[s->nnames++] = t;
	} else if (v != NULL) {
		json_array_foreach(v, i, x) {
			CERTA_CHECK(json_is_string(x) && s->nnames <
			    SERVE_MAX_NAMES, CERTA_E_PARSE, "api_names: at "
			    "most %d strings", SERVE_MAX_NAMES);
			s->names[s->nnames++] = json_string_value(x);
		}
	} else {
		s->names[s->nnames++] = "DNS:localhost";
		s->names[s->nnames++] = "IP:127.0.0.1";
		if (s->api_on && strcmp(s->api_host, "127.0.0.1") != 0 &&
		    strcmp(s->api_host, "0.0.0.0") != 0 &&
		    strcmp(s->api_host, "::") != 0) {
			snprintf(s->names_buf, sizeof(s->names_buf), "%s:%s",
			    strspn(s->api_host, "0123456789.:abcdef") ==
			    strlen(s->api_host) ? "IP" : "DNS", s->api_host);
			s->names[s->nnames++] = s->names_buf;
		}
	}
	for (i = 0; i < s->nnames; i++)
		CERTA_CHECK(strncmp(s->names[i], "DNS:", 4) == 0 ||
		    strncmp(s->names[i], "IP:", 3) == 0, CERTA_E_PARSE,
		    "api_names: '%s': expected DNS:name or IP:address",
		    s->names[i]);
out:
	return rc;
}

/* --check-config: the effective settings, as JSON. */
static void
print_config(const struct serve *s)
{
	json_t	*o, *names = json_array();
	size_t	 i;
	char	*txt;

	for (i = 0; i < s->nnames; i++)
		json_array_append_new(names, json_string(s->names[i]));
	o = json_pack("{s:s, s:s?, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:o, "
	    "s:s, s:i, s:I, s:I, s:I, s:I, s:I}", "dir", s->o.dir, "config",
	    s->cfg_path[0] ? s->cfg_path : NULL, "public", s->o.public_addr,
	    "api", s->o.api_addr, "port_file", s->o.port_file,
	    "api_port_file", s->o.api_port_file, "tls_cert", s->o.tls_cert,
	    "tls_key", s->o.tls_key, "api_names", names, "access_log",
	    s->o.access_log, "request_timeout", s->o.request_timeout,
	    "max_conns", (json_int_t)s->o.max_conns, "max_conns_per_addr",
	    (json_int_t)s->o.max_conns_per_addr, "ocsp_validity",
	    (json_int_t)s->o.ocsp_validity, "crl_validity",
	    (json_int_t)s->o.crl_validity, "notify_interval",
	    (json_int_t)s->o.notify_interval);
	txt = o != NULL ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) :
	    NULL;
	if (txt != NULL)
		printf("%s\n", txt);
	free(txt);
	json_decref(o);
}

/* Any client certificate passes the handshake; the API judges it with
 * the trust engine and answers 401 in words (src/proto/api.c). */
static int
accept_any_cert(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

/* Issue (or re-issue) the API's certificate from certa's own CA. */
static certa_rc
tls_issue(struct serve *s, struct certa_err *err)
{
	int64_t		 na = 0, now = certa_now();
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(certa_tls_use_issued(s->tls, s->ctx, s->names, s->nnames,
	    &na, err));
	s->tls_renew_at = now + (na - now) * 2 / 3;
out:
	return rc;
}

static certa_rc
tls_setup(struct serve *s, struct certa_err *err)
{
	static const unsigned char sid[] = "certa-api";
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(certa_tls_server_new(&s->tls, err));
	SSL_CTX_set_verify(s->tls, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE,
	    accept_any_cert);
	CERTA_OSSL(SSL_CTX_set_session_id_context(s->tls, sid,
	    sizeof(sid) - 1), CERTA_E_CRYPTO, "TLS session id context");
	if (s->o.tls_cert == NULL) {
		CERTA_TRY(tls_issue(s, err));
		goto out;
	}
	s->tls_renew_at = 0;
	CERTA_TRY(certa_tls_use_files(s->tls, s->o.tls_cert, s->o.tls_key,
	    err));
out:
	return rc;
}

static certa_rc
write_port(const char *file, struct certa_http *h, struct certa_err *err)
{
	char		 buf[16];
	int		 n;
	certa_rc	 rc = CERTA_OK;

	if (file == NULL)
		goto out;
	n = snprintf(buf, sizeof(buf), "%u\n", (unsigned)certa_http_port(h));
	CERTA_TRY(certa_file_write(file, buf, (size_t)n, 0644, true, err));
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
	struct certa_crl_rec	 rec;
	struct certa_err	 e2;
	bool			 stored = false;
	uint8_t			*der = NULL;
	size_t			 len = 0;
	certa_rc		 rc = CERTA_OK;

	memset(&ca, 0, sizeof(ca));
	certa_err_clear(&e2);
	CERTA_TRY(certa_store_ca_get_active(certa_ctx_store(s->ctx), "issuing",
	    &ca, err));
	CERTA_TRY(certa_crl_generate(s->ctx, false, s->o.crl_validity, &der,
	    &len, &info, err));
	CERTA_TRY(certa_dist_set(&s->dist.crls[0], ca.name, der, len,
	    info.this_update, info.next_update, err));
	s->dist.ncrls = 1;
	s->crl_regen_at = info.this_update +
	    (info.next_update - info.this_update) / 2;
	s->crl_own_at = info.this_update +
	    (info.next_update - info.this_update) * 3 / 4;
	s->crl_dirty_ms = 0;
	s->crl_ca_id = ca.id;
	snprintf(s->crl_ca_name, sizeof(s->crl_ca_name), "%s", ca.name);
	s->crl_number = info.number;
	/* For the other nodes (a newer one stored already wins). */
	memset(&rec, 0, sizeof(rec));
	rec.ca_id = ca.id;
	rec.crl_number = info.number;
	rec.this_update = info.this_update;
	rec.next_update = info.next_update;
	rec.der = der;
	rec.der_len = len;
	if (certa_store_crl_put(certa_ctx_store(s->ctx), &rec, &stored,
	    &e2) != CERTA_OK)
		note("store the CRL", &e2);
out:
	certa_ca_rec_clear(&ca);
	free(der);
	return rc;
}

/*
 * Serve the CRL the lease holder stored when it is newer than ours; true
 * when it was.  Errors are noted: the current one stays served.
 */
static bool
adopt_crl(struct serve *s)
{
	struct certa_crl_rec	 rec;
	struct certa_err	 err;
	bool			 took = false;

	certa_err_clear(&err);
	if (s->crl_ca_id == 0)
		return false;
	if (certa_store_crl_get(certa_ctx_store(s->ctx), s->crl_ca_id, &rec,
	    &err) != CERTA_OK) {
		if (err.rc != CERTA_E_NOTFOUND)
			note("read the stored CRL", &err);
		return false;
	}
	if (rec.crl_number > s->crl_number) {
		if (certa_dist_set(&s->dist.crls[0], s->crl_ca_name, rec.der,
		    rec.der_len, rec.this_update, rec.next_update, &err) !=
		    CERTA_OK) {
			note("serve the stored CRL", &err);
		} else {
			s->dist.ncrls = 1;
			s->crl_number = rec.crl_number;
			s->crl_regen_at = rec.this_update +
			    (rec.next_update - rec.this_update) / 2;
			s->crl_own_at = rec.this_update +
			    (rec.next_update - rec.this_update) * 3 / 4;
			took = true;
		}
	}
	certa_crl_rec_clear(&rec);
	return took;
}

/* Who this daemon is in the cluster: a random id, host:pid. */
static void
node_init(struct serve *s)
{
	unsigned char	 r[16];
	char		 host[96];
	size_t		 i;

	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0, sizeof(r));
	for (i = 0; i < sizeof(r); i++)
		snprintf(s->node.id + 2 * i, 3, "%02x", r[i]);
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(s->node.name, sizeof(s->node.name), "%s:%ld", host,
	    (long)getpid());
	s->node.started_at = certa_now();
}

/* Take or renew the "jobs" lease; say when leadership changes. */
static void
lead(struct serve *s)
{
	struct certa_err	 err;
	int64_t			 now = certa_now();
	bool			 held = false;

	certa_err_clear(&err);
	if (certa_store_lease_take(certa_ctx_store(s->ctx), SERVE_LEASE,
	    s->node.id, now, now + SERVE_LEASE_S, &held, &err) != CERTA_OK) {
		note("lease", &err);
		held = false;
	}
	if (held != s->leader)
		fprintf(stderr, "certa serve: node %s (%s) %s the periodic "
		    "jobs (lease \"" SERVE_LEASE "\": CRL, expiry notices, "
		    "reissue grace)\n", s->node.id, s->node.name,
		    held ? "now runs" : "no longer runs");
	s->leader = held;
	certa_notify_worker_set_active(s->notify, held);
	if (!held)
		(void)adopt_crl(s);
}

/* The heartbeat: what this node last read of the store, and when. */
static void
heartbeat(struct serve *s)
{
	struct certa_store	*st = certa_ctx_store(s->ctx);
	struct certa_err	 err;
	uint64_t		 gen = 0;
	int64_t			 seq = 0;
	char			 hash[65];

	certa_err_clear(&err);
	if (certa_store_trust_generation(st, &gen, &err) != CERTA_OK ||
	    certa_store_audit_last(st, &seq, hash, &err) != CERTA_OK) {
		note("heartbeat", &err);
		return;
	}
	s->node.generation = (int64_t)gen;
	s->node.audit_seq = seq;
	s->node.last_heartbeat = certa_now();
	if (certa_store_node_put(st, &s->node, &err) != CERTA_OK)
		note("heartbeat", &err);
	lead(s);
}

/*
 * Revocations made by any node since the last poll reach the OCSP cache;
 * the CRL is due (debounced) when there were some.
 */
static void
poll_changes(struct serve *s, int64_t ms)
{
	struct certa_err	 err;
	size_t			 revoked = 0;

	certa_err_clear(&err);
	if (certa_ocsp_poll(s->ocsp, certa_now(), &revoked, &err) != CERTA_OK)
		note("OCSP poll", &err);
	if (revoked > 0 && s->crl_dirty_ms == 0)
		s->crl_dirty_ms = ms;
}

/* The change feed (another node committed a change): poll at once. */
static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct serve	*s = arg;

	(void)fd;
	(void)what;
	if (!s->draining)
		poll_changes(s, certa_mono_ms());
}

/* This node's API changed something: poll on the next loop turn. */
static void
on_api_change(void *arg)
{
	struct serve	*s = arg;

	if (s->wake != NULL)
		event_active(s->wake, 0, 0);
}

/* On the feed's thread: hand over to the loop (evthread makes it safe). */
static void
on_change(uint64_t generation, void *arg)
{
	struct serve	*s = arg;

	(void)generation;
	event_active(s->wake, 0, 0);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct serve		*s = arg;
	struct certa_err	 err;
	int64_t			 ms = certa_mono_ms();

	(void)fd;
	(void)what;
	certa_err_clear(&err);
	if (s->log != NULL)
		fflush(s->log);
	if (s->draining) {
		if ((certa_http_busy(s->http) == 0 && (s->api_http == NULL ||
		    certa_http_busy(s->api_http) == 0) &&
		    certa_gate_embed_conns(s->gate) == 0) ||
		    ms >= s->drain_until_ms)
			event_base_loopexit(s->base, NULL);
		return;
	}
	if (s->leader)		/* reissues' superseded revocations */
		api_lifecycle_tick(s->ctx);
	if (ms >= s->heartbeat_ms) {
		s->heartbeat_ms = ms + SERVE_HEARTBEAT_MS;
		heartbeat(s);
	}
	poll_changes(s, ms);
	if (s->tls_renew_at != 0 && certa_now() >= s->tls_renew_at) {
		certa_err_clear(&err);
		if (tls_issue(s, &err) != CERTA_OK) {
			note("renew the API's TLS certificate", &err);
			s->tls_renew_at = certa_now() + 300;	/* retry */
		}
	}
	/* Not the lease holder: serve its CRL; our own only as a fallback. */
	if (!s->leader && (s->crl_dirty_ms != 0 ||
	    certa_now() >= s->crl_regen_at)) {
		if (adopt_crl(s))
			s->crl_dirty_ms = 0;
		else if (certa_now() < s->crl_own_at)
			return;
	}
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

/*
 * SIGHUP: read the config file again.  The access log follows it (unless
 * a flag or the environment set it); listener addresses, limits and TLS
 * files need a restart, which we say.
 */
static certa_rc
reload_config(struct serve *s, struct certa_err *err)
{
	json_t		*n = NULL, *old = s->cfg;
	const char	*log;
	char		*keep = NULL;
	certa_rc	 rc = CERTA_OK;

	if (s->cfg_path[0] == '\0')
		goto out;
	CERTA_TRY(load_config(s->cfg_path, true, &n, err));
	s->cfg = n;
	log = pick(s, s->in_access_log, "access_log", "-");
	CERTA_CHECK((keep = strdup(log)) != NULL, CERTA_E_NOMEM, "oom");
	s->cfg = old;
	if (!json_equal(n, old))
		fprintf(stderr, "certa serve: config %s re-read; the access "
		    "log follows it, other changes apply at restart\n",
		    s->cfg_path);
	free(s->access_log_buf);
	s->access_log_buf = keep;
	keep = NULL;
	s->o.access_log = s->access_log_buf;
out:
	free(keep);
	json_decref(n);
	return rc;
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
		if (reload_config(s, &err) != CERTA_OK)
			note("reload config (kept the old one)", &err);
		certa_err_clear(&err);
		if (open_log(s, &err) != CERTA_OK)
			note("reload access log", &err);
		/* The listeners write to the new stream (the old is closed). */
		certa_http_set_log(s->http, s->log);
		if (s->api_http != NULL)
			certa_http_set_log(s->api_http, s->log);
		certa_gate_embed_set_log(s->gate, s->log);
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
	s->drain_until_ms = certa_mono_ms() + SERVE_DRAIN_MS;
	certa_http_stop_accepting(s->http);
	if (s->api_http != NULL)
		certa_http_stop_accepting(s->api_http);
	certa_gate_embed_stop(s->gate);
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

/* The HTTP options both listeners share. */
static void
http_opts(const struct serve *s, struct certa_http_opts *ho)
{
	memset(ho, 0, sizeof(*ho));
	ho->max_conns = s->o.max_conns;
	ho->max_conns_per_addr = s->o.max_conns_per_addr;
	ho->request_timeout = s->o.request_timeout;
	ho->log = s->log;
}

static certa_rc
start_api(struct serve *s, struct certa_err *err)
{
	struct certa_http_opts	 ho;
	certa_rc		 rc = CERTA_OK;

	if (!s->api_on)
		goto out;
	CERTA_TRY(tls_setup(s, err));
	http_opts(s, &ho);
	ho.addr = s->api_host;
	ho.port = s->api_port;
	ho.tls = s->tls;
	/* Room for a problem+json 413 above the 1 MiB JSON limit. */
	ho.max_body = 2 * CERTA_API_MAX_JSON;
	ho.max_headers = 16 * 1024;
	CERTA_TRY(certa_http_new(s->base, &ho, &s->api_http, err));
	CERTA_TRY(certa_http_route(s->api_http, "/", false, CERTA_HTTP_ALL,
	    certa_api_handle, &s->api, err));
out:
	return rc;
}

certa_rc
certa_serve_run(const struct certa_serve_opts *in, struct certa_err *err)
{
	struct serve		 s;
	struct certa_http_opts	 ho;
	struct certa_ocsp_opts	 oo;
	struct event_config	*evcfg;
	struct timeval		 tv = { 0, SERVE_TICK_MS * 1000 };
	static const int	 sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	size_t			 i;
	certa_rc		 rc = CERTA_OK;

	memset(&s, 0, sizeof(s));
	memset(&oo, 0, sizeof(oo));
	CERTA_CHECK(in != NULL && in->dir != NULL, CERTA_E_INVAL,
	    "no data directory");
	CERTA_TRY(configure(&s, in, err));
	if (in->check_config) {
		/* Also what start would read: the store and the TLS files. */
		CERTA_TRY(certa_open(s.o.dir, s.o.pass_file, &s.ctx, err));
		if (s.o.tls_cert != NULL) {
			s.api_on = true;
			CERTA_TRY(tls_setup(&s, err));
		}
		print_config(&s);
		goto out;
	}
	/* Access-log lines to a pipe or file: few large writes; the tick
	 * flushes every 250 ms.  (Only before the first output.) */
	if (strcmp(s.o.access_log, "-") == 0 && !isatty(STDOUT_FILENO))
		(void)setvbuf(stdout, NULL, _IOFBF, 256 * 1024);
	CERTA_TRY(open_log(&s, err));
	(void)signal(SIGPIPE, SIG_IGN);
	raise_nofile();

	/* Two priorities: connection set-up (0) runs before I/O (1). */
	/* epoll changelist: one epoll_ctl where evhttp's add/del pairs made
	 * four per request (bench/ocsp.sh: 55k -> 67k req/s).  We never
	 * dup() a descriptor, the changelist's one caveat. */
	/* The API's issuance thread activates events on this base. */
	CERTA_CHECK(evthread_use_pthreads() == 0, CERTA_E_INTERNAL,
	    "libevent threads");
	CERTA_CHECK((evcfg = event_config_new()) != NULL, CERTA_E_NOMEM,
	    "create event loop");
	(void)event_config_set_flag(evcfg,
	    EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	s.base = event_base_new_with_config(evcfg);
	event_config_free(evcfg);
	CERTA_CHECK(s.base != NULL && event_base_priority_init(s.base, 2) == 0,
	    CERTA_E_NOMEM, "create event loop");
	http_opts(&s, &ho);
	ho.addr = s.host;
	ho.port = s.port;
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
	s.oh.counts = s.api.ocsp_by_kind;
	s.api.ctx = s.ctx;
	s.api.ocsp = s.ocsp;
	s.api.started = certa_now();
	s.api.changed = on_api_change;
	s.api.changed_arg = &s;
	if (s.api_on)
		CERTA_TRY(certa_api_init(&s.api, s.base, s.o.dir,
		    s.o.pass_file, err));
	CERTA_TRY(start_api(&s, err));
	CERTA_TRY(load_cas(&s, err));
	CERTA_TRY(regen_crl(&s, err));
	node_init(&s);
	heartbeat(&s);		/* listed at once; then every 2 s */
	s.heartbeat_ms = certa_mono_ms() + SERVE_HEARTBEAT_MS;
	if (s.cfg != NULL && json_object_get(s.cfg, "gate") != NULL)
		CERTA_TRY(certa_gate_embed_start(s.base, s.ctx, s.log,
		    json_object_get(s.cfg, "gate"), &s.gate, err));
	/* Expiry notifications: own thread and store handle (notify.h). */
	if (s.o.notify_interval > 0)
		CERTA_TRY(certa_notify_worker_start(s.o.dir, s.o.pass_file,
		    s.o.notify_interval, s.leader, &s.notify, err));

	CERTA_CHECK((s.tick = event_new(s.base, -1, EV_PERSIST, on_tick,
	    &s)) != NULL && event_add(s.tick, &tv) == 0, CERTA_E_NOMEM,
	    "create timer");
	/* Other nodes' changes, pushed (PostgreSQL); the tick polls too. */
	CERTA_CHECK((s.wake = event_new(s.base, -1, 0, on_wake, &s)) != NULL,
	    CERTA_E_NOMEM, "create event");
	CERTA_TRY(certa_store_watch(certa_ctx_store(s.ctx), on_change, &s,
	    &s.watch, err));
	for (i = 0; i < 3; i++)
		CERTA_CHECK((s.sig[i] = evsignal_new(s.base, sigs[i],
		    on_signal, &s)) != NULL && event_add(s.sig[i], NULL) == 0,
		    CERTA_E_NOMEM, "install signal handler");
	CERTA_TRY(write_port(s.o.port_file, s.http, err));
	s.port_written = s.o.port_file != NULL;
	if (s.api_http != NULL) {
		CERTA_TRY(write_port(s.o.api_port_file, s.api_http, err));
		s.api_port_written = s.o.api_port_file != NULL;
	}
	fprintf(stderr, "certa serve: public listener on http://%s%s%s:%u "
	    "(/ocsp, /crl/<ca>.crl, /ca/<ca>.crt)\n",
	    strchr(s.host, ':') ? "[" : "", s.host,
	    strchr(s.host, ':') ? "]" : "", (unsigned)certa_http_port(s.http));
	if (s.api_http != NULL)
		fprintf(stderr, "certa serve: API on https://%s%s%s:%u/api/v1 "
		    "(TLS certificate %s)\n", strchr(s.api_host, ':') ? "[" :
		    "", s.api_host, strchr(s.api_host, ':') ? "]" : "",
		    (unsigned)certa_http_port(s.api_http), s.o.tls_cert ?
		    s.o.tls_cert : "issued by certa's CA; trust `certa ca "
		    "export --chain`");
	CERTA_CHECK(event_base_dispatch(s.base) == 0, CERTA_E_INTERNAL,
	    "event loop failed");
	fprintf(stderr, "certa serve: stopped\n");
out:
	certa_store_unwatch(s.watch);	/* before s.wake goes */
	certa_gate_embed_free(s.gate);
	certa_notify_worker_stop(s.notify);
	certa_api_fini(&s.api);
	certa_http_free(s.api_http);
	certa_http_free(s.http);
	for (i = 0; i < 3; i++)
		if (s.sig[i] != NULL)
			event_free(s.sig[i]);
	if (s.tick != NULL)
		event_free(s.tick);
	if (s.wake != NULL)
		event_free(s.wake);
	if (s.base != NULL)
		event_base_free(s.base);
	SSL_CTX_free(s.tls);
	certa_ocsp_free(s.ocsp);
	certa_dist_clear(&s.dist);
	certa_trust_current_reset();
	certa_close(s.ctx);
	if (s.port_written)
		(void)unlink(s.o.port_file);
	if (s.api_port_written)
		(void)unlink(s.o.api_port_file);
	if (s.log != NULL) {
		fflush(s.log);
		if (s.log != stdout)
			fclose(s.log);
	}
	json_decref(s.cfg);
	free(s.access_log_buf);
	if (s.base != NULL)
		libevent_global_shutdown();
	return rc;
}
