/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evhttp glue (see http.h).  No certificate logic here.
 *
 * HOW IT WORKS (limits evhttp 2.1 lacks)
 *
 * evhttp's timeouts restart with every byte, and 2.1 has neither a
 * connection cap nor a hook on accept.  It does call our bufferevent
 * constructor (evhttp_set_bevcb) for every accepted connection, just
 * before it attaches the socket.  We make the bufferevent there and
 * activate a setup event of the highest priority (the daemon's base has
 * two), which therefore runs before any I/O callback of that connection.
 * By then evhttp has set the socket and its own callbacks, whose argument
 * is the evhttp_connection; setup then:
 *   - sets TCP_NODELAY (a response written in two pieces otherwise waits
 *     ~40 ms for the peer's delayed ACK);
 *   - applies the global and per-address caps (503 and close);
 *   - registers a close callback and arms the request deadline: a
 *     complete request must arrive within request_timeout of the connect
 *     or of the previous response, however slowly the bytes trickle
 *     (slow-loris).  The deadline is disarmed when evhttp hands us the
 *     request and re-armed when we answer it; on expiry the client gets
 *     408 and the connection is closed.
 * Connections are tracked in a table indexed by socket (conn_slot), with
 * a dense list of the open ones for the per-address count.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <openssl/rand.h>

#include <certa/limits.h>

#include "proto/http.h"

#define HTTP_MAX_ROUTES		16
#define HTTP_CONN_TABLE_MAX	65536
/* A TLS answer up to this size goes out as one record (certa_http_reply). */
#define HTTP_COALESCE_MAX	16384

struct route {
	char		*prefix;	/* owns */
	size_t		 len;
	bool		 exact;
	unsigned	 methods;
	certa_http_fn	 fn;
	void		*arg;		/* borrowed */
};

struct conn_slot {
	struct evhttp_connection *evcon; /* borrowed from evhttp; NULL: free */
	struct event		*timer;	/* owns; the request deadline */
	struct certa_http	*srv;	/* borrowed */
	int			 fd;
	size_t			 live_idx; /* index in srv->live */
	struct sockaddr_storage	 peer;
	char			 peer_text[48];
	void			*user;	/* owns via user_free */
	void			(*user_free)(void *);
};

/* A connection between our bevcb and its setup event. */
struct pending {
	struct pending		*next;
	struct certa_http	*srv;	/* borrowed */
	struct bufferevent	*bev;	/* borrowed from evhttp once made */
	struct event		*ev;	/* owns */
};

struct certa_http {
	struct event_base	*base;	/* borrowed */
	struct evhttp		*http;	/* owns */
	struct evhttp_bound_socket *bound; /* owned by http; NULL: stopped */
	struct certa_http_opts	 o;
	uint16_t		 port;
	struct route		 routes[HTTP_MAX_ROUTES];
	size_t			 nroutes;
	struct conn_slot	*slots;	/* owns; nslots, indexed by fd */
	size_t			 nslots;
	int			*live;	/* owns; fds of open connections */
	size_t			 nlive;
	struct pending		*pending; /* owns the list */
	uint32_t		 id_prefix;
	uint64_t		 id_next;
};

struct certa_http_req {
	struct certa_http	*srv;
	struct evhttp_request	*req;	/* borrowed from evhttp */
	struct conn_slot	*slot;	/* NULL if untracked */
	enum certa_http_method	 method;
	const char		*mname;
	char			*path;	/* owns; decoded */
	char			 id[24];
	struct timespec		 t0;
	char			 note[32];
	char			 peer[48];
	bool			 replied;
	bool			 deferred;	/* handed to a heap copy */
	bool			 heap;		/* the copy: reply frees it */
	bool			 query_parsed;
	bool			 query_ok;
	struct evkeyvalq	 query;
};

void
certa_http_date(int64_t t, char out[30])
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 30, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
		out[0] = '\0';
}

static void
slot_close(struct conn_slot *s)
{
	struct certa_http	*srv = s->srv;
	size_t			 i = s->live_idx;

	if (s->evcon == NULL)
		return;
	evtimer_del(s->timer);
	s->evcon = NULL;
	if (s->user_free != NULL)
		s->user_free(s->user);
	s->user = NULL;
	s->user_free = NULL;
	/* Swap-remove from the dense list. */
	srv->live[i] = srv->live[--srv->nlive];
	srv->slots[srv->live[i]].live_idx = i;
}

static void
on_close(struct evhttp_connection *evcon, void *arg)
{
	struct conn_slot	*s = arg;

	if (s->evcon == evcon)
		slot_close(s);
}

static void
raw_reply(struct conn_slot *s, const char *status)
{
	char			 buf[160];
	struct bufferevent	*bev;
	int			 n;

	/* Plain text only; on TLS the connection just closes. */
	if (s->srv->o.tls != NULL)
		return;
	/* Only when nothing of ours is queued, so bytes cannot interleave. */
	bev = evhttp_connection_get_bufferevent(s->evcon);
	if (bev != NULL && evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	n = snprintf(buf, sizeof(buf), "HTTP/1.1 %s\r\nConnection: close\r\n"
	    "Content-Length: 0\r\n\r\n", status);
	if (n > 0 && (size_t)n < sizeof(buf))
		(void)send(s->fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void
log_line(struct certa_http *srv, const char *fmt_id, const char *peer,
    const char *method, const char *path, int status, size_t bytes,
    int64_t us, const char *note)
{
	char		 t[32], esc[260];
	size_t		 i, j = 0;
	struct timespec	 ts;
	struct tm	 tm;

	if (srv->o.log == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	/* JSON string escaping; long paths are cut (base64 OCSP GETs). */
	for (i = 0; path != NULL && path[i] != '\0' && j + 7 < sizeof(esc) &&
	    i < 128; i++) {
		unsigned char c = (unsigned char)path[i];

		if (c == '"' || c == '\\') {
			esc[j++] = '\\';
			esc[j++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			j += (size_t)snprintf(esc + j, sizeof(esc) - j,
			    "\\u%04x", c);
		} else {
			esc[j++] = (char)c;
		}
	}
	esc[j] = '\0';
	fprintf(srv->o.log, "{\"time\":\"%s.%03ldZ\",\"id\":\"%s\","
	    "\"peer\":\"%s\",\"method\":\"%s\",\"path\":\"%s%s\","
	    "\"status\":%d,\"bytes\":%zu,\"us\":%" PRId64 "%s%s%s}\n", t,
	    ts.tv_nsec / 1000000, fmt_id, peer, method, esc,
	    path != NULL && strlen(path) > 128 ? "..." : "", status, bytes,
	    us, note != NULL && *note ? ",\"note\":\"" : "",
	    note != NULL ? note : "", note != NULL && *note ? "\"" : "");
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct conn_slot	*s = arg;
	struct evhttp_connection *evcon = s->evcon;

	(void)fd;
	(void)what;
	if (evcon == NULL)
		return;
	raw_reply(s, "408 Request Timeout");
	log_line(s->srv, "-", s->peer_text, "-", "-", 408, 0,
	    (int64_t)s->srv->o.request_timeout * 1000000, "deadline");
	slot_close(s);
	evhttp_connection_free(evcon);
}

static void
arm(struct conn_slot *s)
{
	struct timeval	 tv = { s->srv->o.request_timeout, 0 };

	evtimer_add(s->timer, &tv);
}

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		    &((const struct sockaddr_in *)b)->sin_addr,
		    sizeof(struct in_addr)) == 0;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr)) == 0;
	return true;
}

static void
pending_unlink(struct certa_http *srv, struct pending *p)
{
	struct pending	**pp;

	for (pp = &srv->pending; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	event_free(p->ev);
	free(p);
}

/* Runs before any I/O of the new connection (see HOW IT WORKS). */
static void
on_setup(evutil_socket_t unused, short what, void *arg)
{
	struct pending		*p = arg;
	struct certa_http	*srv = p->srv;
	struct evhttp_connection *evcon = NULL;
	struct conn_slot	*s;
	bufferevent_data_cb	 rcb, wcb;
	bufferevent_event_cb	 ecb;
	void			*cbarg = NULL;
	socklen_t		 alen;
	char			*addr = NULL;
	uint16_t		 port = 0;
	int			 fd, one = 1;
	size_t			 i, same = 0;

	(void)unused;
	(void)what;
	fd = bufferevent_getfd(p->bev);
	bufferevent_getcb(p->bev, &rcb, &wcb, &ecb, &cbarg);
	evcon = cbarg;
	pending_unlink(srv, p);
	if (fd < 0 || evcon == NULL ||
	    evhttp_connection_get_bufferevent(evcon) == NULL)
		return;		/* evhttp gave up on it already */
	if ((size_t)fd >= srv->nslots || srv->slots[fd].evcon != NULL) {
		evhttp_connection_free(evcon);
		return;
	}
	s = &srv->slots[fd];
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&s->peer, 0, sizeof(s->peer));
	alen = sizeof(s->peer);
	(void)getpeername(fd, (struct sockaddr *)&s->peer, &alen);
	evhttp_connection_get_peer(evcon, &addr, &port);
	snprintf(s->peer_text, sizeof(s->peer_text), "%s",
	    addr != NULL ? addr : "?");
	s->fd = fd;
	s->srv = srv;
	for (i = 0; i < srv->nlive; i++)
		if (same_addr(&srv->slots[srv->live[i]].peer, &s->peer))
			same++;
	if (srv->nlive >= srv->o.max_conns ||
	    same >= srv->o.max_conns_per_addr) {
		s->evcon = evcon;	/* for raw_reply */
		raw_reply(s, "503 Service Unavailable");
		s->evcon = NULL;
		log_line(srv, "-", s->peer_text, "-", "-", 503, 0, 0,
		    srv->nlive >= srv->o.max_conns ? "max_conns" :
		    "max_conns_per_addr");
		evhttp_connection_free(evcon);
		return;
	}
	s->evcon = evcon;
	s->live_idx = srv->nlive;
	srv->live[srv->nlive++] = fd;
	if (s->timer == NULL) {
		s->timer = evtimer_new(srv->base, on_deadline, s);
		if (s->timer == NULL) {
			slot_close(s);
			evhttp_connection_free(evcon);
			return;
		}
		event_priority_set(s->timer, 0);
	}
	evhttp_connection_set_closecb(evcon, on_close, s);
	arm(s);
}

static struct bufferevent *
on_bev(struct event_base *base, void *arg)
{
	struct certa_http	*srv = arg;
	struct pending		*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->srv = srv;
	if (srv->o.tls != NULL) {
		SSL	*ssl = SSL_new(srv->o.tls);

		/* libevent's https-server sample: fd set by evhttp later. */
		p->bev = ssl == NULL ? NULL : bufferevent_openssl_socket_new(
		    base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
		    BEV_OPT_CLOSE_ON_FREE);
		if (p->bev == NULL)
			SSL_free(ssl);
		else	/* a TLS close without close_notify is not an error */
			bufferevent_openssl_set_allow_dirty_shutdown(p->bev,
			    1);
	} else {
		p->bev = bufferevent_socket_new(base, -1,
		    BEV_OPT_CLOSE_ON_FREE);
	}
	p->ev = event_new(base, -1, 0, on_setup, p);
	if (p->bev == NULL || p->ev == NULL) {
		if (p->bev != NULL)
			bufferevent_free(p->bev);
		event_free(p->ev);
		free(p);
		return NULL;
	}
	event_priority_set(p->ev, 0);
	p->next = srv->pending;
	srv->pending = p;
	event_active(p->ev, EV_TIMEOUT, 1);
	return p->bev;
}

static const struct {
	enum evhttp_cmd_type	 ev;
	enum certa_http_method	 m;
	const char		*name;
} method_names[] = {
	{ EVHTTP_REQ_GET, CERTA_HTTP_GET, "GET" },
	{ EVHTTP_REQ_HEAD, CERTA_HTTP_HEAD, "HEAD" },
	{ EVHTTP_REQ_POST, CERTA_HTTP_POST, "POST" },
	{ EVHTTP_REQ_PUT, CERTA_HTTP_PUT, "PUT" },
	{ EVHTTP_REQ_DELETE, CERTA_HTTP_DELETE, "DELETE" },
	{ EVHTTP_REQ_PATCH, CERTA_HTTP_PATCH, "PATCH" },
};

static void
dispatch(struct evhttp_request *req, void *arg)
{
	struct certa_http	*srv = arg;
	struct certa_http_req	 r;
	struct evhttp_connection *evcon;
	struct bufferevent	*bev;
	const char		*uri, *q;
	char			*raw = NULL, allow[64];
	size_t			 i, n = 0;
	int			 fd;
	struct route		*rt = NULL;

	memset(&r, 0, sizeof(r));
	r.srv = srv;
	r.req = req;
	clock_gettime(CLOCK_MONOTONIC, &r.t0);
	snprintf(r.id, sizeof(r.id), "%08" PRIx32 "-%" PRIx64, srv->id_prefix,
	    ++srv->id_next);
	evcon = evhttp_request_get_connection(req);
	bev = evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;
	fd = bev != NULL ? bufferevent_getfd(bev) : -1;
	if (fd >= 0 && (size_t)fd < srv->nslots &&
	    srv->slots[fd].evcon == evcon) {
		r.slot = &srv->slots[fd];
		evtimer_del(r.slot->timer);
		snprintf(r.peer, sizeof(r.peer), "%s", r.slot->peer_text);
	} else {
		snprintf(r.peer, sizeof(r.peer), "?");
	}
	r.method = CERTA_HTTP_OTHER;
	r.mname = "OTHER";
	for (i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++)
		if (method_names[i].ev == evhttp_request_get_command(req)) {
			r.method = method_names[i].m;
			r.mname = method_names[i].name;
			break;
		}
	uri = evhttp_request_get_uri(req);
	if (uri == NULL || uri[0] != '/') {
		certa_http_error(&r, 400, "bad request target");
		goto out;
	}
	q = strchr(uri, '?');
	if ((raw = strndup(uri, q != NULL ? (size_t)(q - uri) :
	    strlen(uri))) == NULL) {
		certa_http_error(&r, 500, "out of memory");
		goto out;
	}
	r.path = evhttp_uridecode(raw, 0, &n);
	if (r.path == NULL || strlen(r.path) != n) {
		certa_http_error(&r, 400, "bad percent-encoding in path");
		goto out;
	}
	for (i = 0; i < srv->nroutes; i++) {
		struct route *c = &srv->routes[i];

		if (c->exact ? strcmp(r.path, c->prefix) == 0 :
		    strncmp(r.path, c->prefix, c->len) == 0) {
			rt = c;
			break;
		}
	}
	if (rt == NULL) {
		certa_http_error(&r, 404, "not found");
		goto out;
	}
	if ((rt->methods & r.method) == 0) {
		snprintf(allow, sizeof(allow), "%s%s%s%s%s%s",
		    rt->methods & CERTA_HTTP_GET ? "GET, " : "",
		    rt->methods & CERTA_HTTP_HEAD ? "HEAD, " : "",
		    rt->methods & CERTA_HTTP_POST ? "POST, " : "",
		    rt->methods & CERTA_HTTP_PUT ? "PUT, " : "",
		    rt->methods & CERTA_HTTP_DELETE ? "DELETE, " : "",
		    rt->methods & CERTA_HTTP_PATCH ? "PATCH, " : "");
		if (strlen(allow) >= 2)
			allow[strlen(allow) - 2] = '\0';
		certa_http_header(&r, "Allow", allow);
		certa_http_error(&r, 405, "method not allowed");
		goto out;
	}
	rt->fn(&r, rt->arg);
	if (r.deferred)
		r.path = NULL;		/* the copy owns it */
	else if (!r.replied)
		certa_http_error(&r, 500, "no response");
out:
	if (r.query_parsed)
		evhttp_clear_headers(&r.query);
	free(raw);
	free(r.path);
}

struct certa_http_req *
certa_http_req_defer(struct certa_http_req *r)
{
	struct certa_http_req	*h;

	if (r->heap || r->replied || (h = malloc(sizeof(*h))) == NULL)
		return NULL;
	*h = *r;
	/* The query list's head cannot move; the copy parses again. */
	h->query_parsed = false;
	h->heap = true;
	r->deferred = true;
	return h;
}

certa_rc
certa_http_new(struct event_base *base, const struct certa_http_opts *opts,
    struct certa_http **out, struct certa_err *err)
{
	struct certa_http		*srv = NULL;
	struct evhttp_bound_socket	*bound;
	struct sockaddr_storage		 ss;
	socklen_t			 sl = sizeof(ss);
	struct rlimit			 rl;
	int				 fd, one = 1;
	certa_rc			 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK((srv = calloc(1, sizeof(*srv))) != NULL, CERTA_E_NOMEM,
	    "oom");
	srv->base = base;
	srv->o = *opts;
	srv->nslots = HTTP_CONN_TABLE_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < srv->nslots)
		srv->nslots = (size_t)rl.rlim_cur;
	if (srv->o.max_conns == 0)
		srv->o.max_conns = 4096;
	if (srv->o.max_conns + 32 > srv->nslots)
		srv->o.max_conns = srv->nslots > 64 ? srv->nslots - 32 : 32;
	if (srv->o.max_conns_per_addr == 0)
		srv->o.max_conns_per_addr = 512;
	if (srv->o.request_timeout <= 0)
		srv->o.request_timeout = 10;
	if (srv->o.idle_timeout <= 0)
		srv->o.idle_timeout = 60;
	if (srv->o.max_headers == 0)
		srv->o.max_headers = 8 * 1024;
	if (srv->o.max_body == 0)
		srv->o.max_body = CERTA_MAX_OCSP_REQ;
	CERTA_CHECK((srv->slots = calloc(srv->nslots, sizeof(*srv->slots))) !=
	    NULL && (srv->live = calloc(srv->nslots, sizeof(int))) != NULL,
	    CERTA_E_NOMEM, "oom");
	if (RAND_bytes((unsigned char *)&srv->id_prefix,
	    sizeof(srv->id_prefix)) != 1)
		srv->id_prefix = (uint32_t)getpid();
	CERTA_CHECK((srv->http = evhttp_new(base)) != NULL, CERTA_E_NOMEM,
	    "create HTTP server");
	evhttp_set_max_headers_size(srv->http, (ev_ssize_t)srv->o.max_headers);
	evhttp_set_max_body_size(srv->http, (ev_ssize_t)srv->o.max_body);
	evhttp_set_timeout(srv->http, srv->o.idle_timeout);
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_default_content_type(srv->http, "text/plain");
	evhttp_set_bevcb(srv->http, on_bev, srv);
	evhttp_set_gencb(srv->http, dispatch, srv);
	bound = evhttp_bind_socket_with_handle(srv->http, opts->addr,
	    opts->port);
	CERTA_CHECK(bound != NULL, CERTA_E_IO, "cannot listen on %s:%u: %s",
	    opts->addr, (unsigned)opts->port, strerror(errno));
	srv->bound = bound;
	fd = evhttp_bound_socket_get_fd(bound);
	/* Inherited by accepted sockets on Linux; set again on each. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	CERTA_CHECK(getsockname(fd, (struct sockaddr *)&ss, &sl) == 0,
	    CERTA_E_IO, "getsockname: %s", strerror(errno));
	srv->port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	*out = srv;
	srv = NULL;
out:
	certa_http_free(srv);
	return rc;
}

void
certa_http_free(struct certa_http *srv)
{
	size_t	i;

	if (srv == NULL)
		return;
	if (srv->http != NULL)
		evhttp_free(srv->http);	/* closes all; on_close each */
	while (srv->pending != NULL)
		pending_unlink(srv, srv->pending);
	for (i = 0; srv->slots != NULL && i < srv->nslots; i++)
		if (srv->slots[i].timer != NULL)
			event_free(srv->slots[i].timer);
	for (i = 0; i < srv->nroutes; i++)
		free(srv->routes[i].prefix);
	free(srv->slots);
	free(srv->live);
	free(srv);
}

uint16_t
certa_http_port(const struct certa_http *srv)
{
	return srv->port;
}

size_t
certa_http_conns(const struct certa_http *srv)
{
	return srv->nlive;
}

void
certa_http_set_log(struct certa_http *srv, FILE *log)
{
	srv->o.log = log;
}

void
certa_http_stop_accepting(struct certa_http *srv)
{
	if (srv->bound != NULL)
		evhttp_del_accept_socket(srv->http, srv->bound);
	srv->bound = NULL;
}

size_t
certa_http_busy(const struct certa_http *srv)
{
	struct bufferevent	*bev;
	size_t			 i, n = 0;

	for (i = 0; i < srv->nlive; i++) {
		bev = evhttp_connection_get_bufferevent(
		    srv->slots[srv->live[i]].evcon);
		if (bev != NULL &&
		    evbuffer_get_length(bufferevent_get_output(bev)) > 0)
			n++;
	}
	return n;
}

certa_rc
certa_http_route(struct certa_http *srv, const char *prefix, bool exact,
    unsigned methods, certa_http_fn fn, void *arg, struct certa_err *err)
{
	struct route	*r;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(srv->nroutes < HTTP_MAX_ROUTES, CERTA_E_INVAL,
	    "too many routes");
	r = &srv->routes[srv->nroutes];
	CERTA_CHECK((r->prefix = strdup(prefix)) != NULL, CERTA_E_NOMEM,
	    "oom");
	r->len = strlen(prefix);
	r->exact = exact;
	r->methods = methods;
	r->fn = fn;
	r->arg = arg;
	srv->nroutes++;
out:
	return rc;
}

enum certa_http_method
certa_http_req_method(const struct certa_http_req *r)
{
	return r->method;
}

const char *
certa_http_req_path(const struct certa_http_req *r)
{
	return r->path;
}

const char *
certa_http_req_header(const struct certa_http_req *r, const char *name)
{
	return r->req == NULL ? NULL : evhttp_find_header(
	    evhttp_request_get_input_headers(r->req), name);
}

const char *
certa_http_req_uri(const struct certa_http_req *r)
{
	return r->req == NULL ? NULL : evhttp_request_get_uri(r->req);
}

const char *
certa_http_req_query(struct certa_http_req *r, const char *name)
{
	const char	*q;

	/* parse_query_str initialises r->query (and clears it on error). */
	if (!r->query_parsed) {
		if (r->req == NULL)
			return NULL;
		q = strchr(evhttp_request_get_uri(r->req), '?');
		if (q == NULL)
			return NULL;
		r->query_parsed = true;
		r->query_ok = evhttp_parse_query_str(q + 1, &r->query) == 0;
	}
	return r->query_ok ? evhttp_find_header(&r->query, name) : NULL;
}

const char *
certa_http_req_method_name(const struct certa_http_req *r)
{
	return r->mname;
}

const char *
certa_http_req_peer(const struct certa_http_req *r)
{
	return r->peer;
}

const char *
certa_http_req_id(const struct certa_http_req *r)
{
	return r->id;
}

static SSL *
req_ssl(const struct certa_http_req *r)
{
	struct evhttp_connection *evcon;
	struct bufferevent	*bev;

	if (r->srv->o.tls == NULL || r->req == NULL ||
	    (evcon = evhttp_request_get_connection(r->req)) == NULL ||
	    (bev = evhttp_connection_get_bufferevent(evcon)) == NULL)
		return NULL;
	return bufferevent_openssl_get_ssl(bev);
}

SSL *
certa_http_req_ssl(const struct certa_http_req *r)
{
	return req_ssl(r);
}

struct evhttp_request *
certa_http_req_evreq(const struct certa_http_req *r)
{
	return r->req;
}

X509 *
certa_http_req_peer_cert(const struct certa_http_req *r)
{
	SSL	*ssl = req_ssl(r);

	return ssl != NULL ? SSL_get0_peer_certificate(ssl) : NULL;
}

STACK_OF(X509) *
certa_http_req_peer_chain(const struct certa_http_req *r)
{
	SSL	*ssl = req_ssl(r);

	return ssl != NULL ? SSL_get_peer_cert_chain(ssl) : NULL;
}

void *
certa_http_conn_get(const struct certa_http_req *r)
{
	return r->slot != NULL ? r->slot->user : NULL;
}

void
certa_http_conn_set(struct certa_http_req *r, void *data,
    void (*free_fn)(void *))
{
	struct conn_slot	*s = r->slot;

	if (s == NULL || s->evcon == NULL) {
		if (free_fn != NULL)
			free_fn(data);
		return;
	}
	if (s->user_free != NULL && s->user != data)
		s->user_free(s->user);
	s->user = data;
	s->user_free = free_fn;
}

const uint8_t *
certa_http_req_body(struct certa_http_req *r, size_t *len)
{
	struct evbuffer	*b;

	*len = 0;
	if (r->req == NULL)
		return (const uint8_t *)"";
	b = evhttp_request_get_input_buffer(r->req);
	*len = evbuffer_get_length(b);
	return *len > 0 ? evbuffer_pullup(b, -1) : (const uint8_t *)"";
}

void
certa_http_req_note(struct certa_http_req *r, const char *value)
{
	snprintf(r->note, sizeof(r->note), "%s", value);
}

void
certa_http_header(struct certa_http_req *r, const char *name,
    const char *value)
{
	if (r->req != NULL)
		evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    name, value);
}

/*
 * Plain HTTP: send the answer evhttp just queued now, from this loop
 * iteration, instead of when the socket is next reported writable, and
 * tell evhttp it went out (bufferevent_trigger: its write callback ends
 * the request and starts reading the next).  evhttp would enable the
 * write event, wait for the next epoll_wait, write, then disable it and
 * enable reading again: two epoll_ctl calls and a loop turn per request
 * (14.7 -> ~13 us CPU per OCSP request, bench/ocsp.sh).  With the
 * changelist backend (serve.c) the enable/disable pairs made within one
 * iteration cancel out.  What the socket does not take now (EAGAIN, an
 * error) stays queued for the bufferevent, as before.  The callback may
 * free the request and the connection: the caller must not touch either
 * afterwards.
 */
static void
write_now(struct bufferevent *bev)
{
	struct evbuffer		*out = bufferevent_get_output(bev);
	evutil_socket_t		 fd = bufferevent_getfd(bev);

	if (fd < 0)
		return;
	while (evbuffer_get_length(out) > 0)
		if (evbuffer_write(out, fd) <= 0)
			return;
	bufferevent_trigger(bev, EV_WRITE, 0);
}

void
certa_http_reply(struct certa_http_req *r, int status, const char *ctype,
    const void *body, size_t len)
{
	struct evbuffer	*buf = NULL;
	struct evhttp_connection *evcon;
	struct bufferevent *bev;
	struct timespec	 t1;
	int64_t		 us;
	char		 cl[24];

	if (r->replied)
		return;
	r->replied = true;
	/* A deferred reply: the connection may have closed (evhttp then
	 * frees the request in evhttp_send_reply) and its slot be reused. */
	if (r->slot != NULL && (r->slot->evcon == NULL ||
	    r->slot->evcon != evhttp_request_get_connection(r->req)))
		r->slot = NULL;
	certa_http_header(r, "X-Request-Id", r->id);
	if (ctype != NULL)
		certa_http_header(r, "Content-Type", ctype);
	if (r->method == CERTA_HTTP_HEAD) {
		/* evhttp omits the body of HEAD; say how long it is. */
		snprintf(cl, sizeof(cl), "%zu", len);
		certa_http_header(r, "Content-Length", cl);
	} else if (len > 0 && (buf = evbuffer_new()) != NULL) {
		if (evbuffer_add(buf, body, len) != 0) {
			evbuffer_free(buf);
			buf = NULL;
			status = 500;
			len = 0;
		}
	}
	/* The next request's deadline starts now (keep-alive). */
	if (r->slot != NULL && r->slot->evcon != NULL)
		arm(r->slot);
	evcon = r->slot != NULL ? r->slot->evcon : NULL;
	evhttp_send_reply(r->req, status, NULL, buf);
	/*
	 * evhttp may free the request (and the connection) from here on:
	 * at once when the connection is gone, and on plain listeners in
	 * write_now below.  The accessors see NULL and answer nothing.
	 */
	r->req = NULL;
	r->slot = NULL;
	/*
	 * evhttp queued the head and the body as two chains, which the
	 * OpenSSL bufferevent would send as two TLS records with a write(2)
	 * each when the socket is next writable; one small answer is one
	 * record (bench/gate.sh keep-alive: one system call less each).
	 */
	bev = evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;
	if (r->srv->o.tls != NULL && bev != NULL &&
	    evbuffer_get_length(bufferevent_get_output(bev)) <=
	    HTTP_COALESCE_MAX)
		(void)evbuffer_pullup(bufferevent_get_output(bev), -1);
	else if (r->srv->o.tls == NULL && bev != NULL)
		write_now(bev);		/* may free the connection */
	if (buf != NULL)	/* libevent's _free does not take NULL */
		evbuffer_free(buf);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = (int64_t)(t1.tv_sec - r->t0.tv_sec) * 1000000 +
	    (t1.tv_nsec - r->t0.tv_nsec) / 1000;
	log_line(r->srv, r->id, r->peer, r->mname, r->path != NULL ? r->path :
	    "-", status, len, us, r->note);
	if (r->heap) {
		if (r->query_parsed)
			evhttp_clear_headers(&r->query);
		free(r->path);
		free(r);
	}
}

void
certa_http_error(struct certa_http_req *r, int status, const char *msg)
{
	char	body[160];
	int	n;

	n = snprintf(body, sizeof(body), "%s\n", msg);
	certa_http_reply(r, status, "text/plain; charset=utf-8", body,
	    n > 0 && (size_t)n < sizeof(body) ? (size_t)n : 0);
}
