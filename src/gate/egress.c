/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Egress listeners: plain TCP in, mutual TLS out.  Each accepted
 * connection gets the SSL_CTX that include/certa/client.h selects for the
 * destination at that moment (so a rotated certificate applies to the next
 * connection), a non-blocking connect to the destination resolved at
 * start, and then two bufferevents piping bytes both ways.  No
 * certificate logic here: selection and verification belong to client.c.
 *
 * HOW IT WORKS
 * Connect: the destination's addresses (getaddrinfo once, at start) are
 * tried in order with a non-blocking connect watched by one event; the
 * first that connects gets an OpenSSL bufferevent in CONNECTING state.
 * The client side is not read until the handshake is done, so a refused
 * handshake closes the client without having taken any of its bytes.
 * Piping (libevent sample/le-proxy.c): what one side reads is moved to the
 * other side's output; when that output passes CONN_MAX_OUTPUT, reading
 * stops until it drains below half (write watermark).  When a side ends,
 * what it had read is passed on, the other side flushes its output and
 * closes.  Timers: one per connection; before the handshake completes it
 * fires at the connect+handshake deadline, afterwards it is re-armed
 * lazily for the idle deadline (reads only stamp a time).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <certa/client.h>

#include "core/core.h"
#include "gate/gate_impl.h"
#include "util/util.h"

#define EGRESS_HANDSHAKE_S	10
#define EGRESS_IDLE_S		300
#define EGRESS_MAX_CONNS	4096
#define CONN_MAX_OUTPUT		(256 * 1024)
#define EGRESS_HOST_MAX		256

struct egress_conn;

struct gate_egress {
	struct gate_common	*g;		/* borrowed from gate.c */
	struct certa_client	*client;	/* borrowed from gate.c */
	char			*listen;	/* owns */
	char			*to;		/* owns; "host:port" */
	struct evutil_addrinfo	*addrs;		/* owns; to, resolved */
	struct evconnlistener	*lev;		/* owns */
	uint16_t		 port;
	size_t			 nconns;
	struct egress_conn	*conns;		/* owns the list */
};

struct egress_conn {
	struct gate_egress	*e;		/* borrowed */
	struct egress_conn	*prev, *next;
	struct bufferevent	*in;		/* owns; the plain client */
	struct bufferevent	*out;		/* owns; TLS to e->to */
	SSL			*ssl;		/* owns until out takes it */
	evutil_socket_t		 fd;		/* connecting socket, or -1 */
	struct evutil_addrinfo	*ai;		/* borrowed from e->addrs */
	struct event		*connect_ev;	/* owns; while connecting */
	struct event		*timer;		/* owns */
	bool			 handshaken;
	bool			 in_closing;	/* flush in, then close */
	bool			 out_closing;	/* flush out, then close */
	int64_t			 start_us;
	int64_t			 last_us;	/* last byte read either way */
	uint64_t		 bytes_in;	/* client -> server */
	uint64_t		 bytes_out;	/* server -> client */
	char			 peer[64];
	char			*subject;	/* owns; server's, or NULL */
	char			 fp[65];	/* server's SHA-256, or "" */
	char			 reason[256];	/* first failure, or "" */
};

static int64_t
mono_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
set_reason(struct egress_conn *c, const char *what, const char *detail)
{
	int	n;

	if (c->reason[0] != '\0')
		return;
	n = snprintf(c->reason, sizeof(c->reason), "%s%s%s", what,
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
	if (n < 0)
		c->reason[0] = '\0';	/* truncation is fine, failure not */
}

static void
nodelay(evutil_socket_t fd)
{
	int	one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* --- connection end ------------------------------------------------------ */

static void
conn_free(struct egress_conn *c)
{
	struct gate_egress	*e = c->e;

	gate_log_conn(e->g, e->listen, c->peer, c->subject,
	    c->fp[0] != '\0' ? c->fp : NULL, c->handshaken ? "ok" :
	    "refused", c->reason[0] != '\0' ? c->reason : NULL, c->bytes_in,
	    c->bytes_out, mono_us() - c->start_us);
	if (c->in != NULL)
		bufferevent_free(c->in);
	if (c->out != NULL)
		bufferevent_free(c->out);
	if (c->connect_ev != NULL)
		event_free(c->connect_ev);
	if (c->fd >= 0)
		evutil_closesocket(c->fd);
	if (c->timer != NULL)
		event_free(c->timer);
	SSL_free(c->ssl);
	free(c->subject);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		e->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	e->nconns--;
	free(c);
}

/* Free one side; the connection goes when both have. */
static void
side_free(struct egress_conn *c, struct bufferevent *bev)
{
	if (bev == c->in)
		c->in = NULL;
	else
		c->out = NULL;
	bufferevent_free(bev);
	if (c->in == NULL && c->out == NULL)
		conn_free(c);
}

/* --- piping -------------------------------------------------------------- */

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct egress_conn	*c = arg;
	struct bufferevent	*dst = bev == c->in ? c->out : c->in;
	struct evbuffer		*src = bufferevent_get_input(bev);
	struct evbuffer		*dout;
	size_t			 len = evbuffer_get_length(src);

	c->last_us = mono_us();
	if (dst == NULL || (bev == c->in ? c->out_closing : c->in_closing)) {
		evbuffer_drain(src, len);
		return;
	}
	if (bev == c->in)
		c->bytes_in += len;
	else
		c->bytes_out += len;
	dout = bufferevent_get_output(dst);
	evbuffer_add_buffer(dout, src);
	if (evbuffer_get_length(dout) >= CONN_MAX_OUTPUT) {
		/* Backpressure: stop reading until dst drains to half. */
		bufferevent_setwatermark(dst, EV_WRITE, CONN_MAX_OUTPUT / 2,
		    CONN_MAX_OUTPUT);
		bufferevent_disable(bev, EV_READ);
	}
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	struct egress_conn	*c = arg;
	struct bufferevent	*other = bev == c->in ? c->out : c->in;
	bool			 closing = bev == c->in ? c->in_closing :
				    c->out_closing;

	if (closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			side_free(c, bev);
		return;
	}
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	if (other != NULL && c->handshaken && !(other == c->in ?
	    c->in_closing : c->out_closing))
		bufferevent_enable(other, EV_READ);
}

/* One side ended: pass on what it read, flush the other, close. */
static void
side_end(struct egress_conn *c, struct bufferevent *bev)
{
	struct bufferevent	*other = bev == c->in ? c->out : c->in;

	if (other != NULL && evbuffer_get_length(bufferevent_get_input(bev)) >
	    0)
		on_read(bev, c);
	if (other != NULL) {
		if (evbuffer_get_length(bufferevent_get_output(other)) > 0) {
			if (other == c->in)
				c->in_closing = true;
			else
				c->out_closing = true;
			bufferevent_setwatermark(other, EV_WRITE, 0, 0);
			bufferevent_disable(other, EV_READ);
		} else {
			if (other == c->in)
				c->in = NULL;
			else
				c->out = NULL;
			bufferevent_free(other);
		}
	}
	side_free(c, bev);
}

/* Subject and fingerprint of the server's certificate, for the log. */
static void
note_server_cert(struct egress_conn *c, SSL *ssl)
{
	STACK_OF(X509)	*chain = SSL_get_peer_cert_chain(ssl);
	X509		*x = SSL_get0_peer_certificate(ssl);
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;

	if (x == NULL && chain != NULL && sk_X509_num(chain) > 0)
		x = sk_X509_value(chain, 0);
	if (x == NULL || c->subject != NULL)
		return;
	if (certa_name_format(X509_get_subject_name(x), &c->subject, NULL) !=
	    CERTA_OK)
		c->subject = NULL;
	if (X509_digest(x, EVP_sha256(), md, &mdlen) == 1 && mdlen == 32)
		certa_hex(md, mdlen, c->fp);
}

/* Why the handshake failed: verification, TLS, or the socket. */
static void
note_tls_failure(struct egress_conn *c, struct bufferevent *bev, short what)
{
	SSL		*ssl = bufferevent_openssl_get_ssl(bev);
	long		 vr = ssl != NULL ? SSL_get_verify_result(ssl) :
			    X509_V_OK;
	unsigned long	 e = bufferevent_get_openssl_error(bev);
	int		 serr = EVUTIL_SOCKET_ERROR();
	char		 buf[160];

	if (ssl != NULL)
		note_server_cert(c, ssl);
	if (what & BEV_EVENT_TIMEOUT)
		set_reason(c, "TLS handshake timeout", NULL);
	else if (vr != X509_V_OK)
		set_reason(c, "server certificate",
		    X509_verify_cert_error_string(vr));
	else if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		set_reason(c, "TLS handshake", buf);
	} else if (what & BEV_EVENT_EOF)
		set_reason(c, "TLS handshake", "the server closed the "
		    "connection");
	else
		set_reason(c, "TLS handshake", serr != 0 ?
		    evutil_socket_error_to_string(serr) : "failed");
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct egress_conn	*c = arg;
	struct timeval		 tv = { EGRESS_IDLE_S, 0 };

	if (bev == c->out && (what & BEV_EVENT_CONNECTED)) {
		c->handshaken = true;
		note_server_cert(c, bufferevent_openssl_get_ssl(bev));
		c->last_us = mono_us();
		(void)evtimer_add(c->timer, &tv);
		bufferevent_enable(c->out, EV_READ | EV_WRITE);
		if (c->in != NULL)
			bufferevent_enable(c->in, EV_READ | EV_WRITE);
		return;
	}
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)))
		return;
	if (bev == c->out && !c->handshaken)
		note_tls_failure(c, bev, what);
	else if (what & BEV_EVENT_ERROR)
		set_reason(c, bev == c->in ? "client" : "server",
		    EVUTIL_SOCKET_ERROR() != 0 ?
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()) :
		    "error");
	while (bufferevent_get_openssl_error(bev) != 0)
		;
	ERR_clear_error();
	side_end(c, bev);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct egress_conn	*c = arg;
	int64_t			 idle_us = (int64_t)EGRESS_IDLE_S * 1000000;
	int64_t			 left;
	struct timeval		 tv;

	(void)fd;
	(void)what;
	if (!c->handshaken) {
		set_reason(c, c->fd >= 0 ? "connect timeout" :
		    "TLS handshake timeout", NULL);
		conn_free(c);
		return;
	}
	left = c->last_us + idle_us - mono_us();
	if (left <= 0) {
		set_reason(c, "idle timeout", NULL);
		conn_free(c);
		return;
	}
	tv.tv_sec = (time_t)(left / 1000000);
	tv.tv_usec = (suseconds_t)(left % 1000000);
	(void)evtimer_add(c->timer, &tv);
}

/* --- connecting ---------------------------------------------------------- */

static void	try_connect(struct egress_conn *);

/* The TCP connection is up: start TLS on it. */
static void
start_tls(struct egress_conn *c)
{
	struct gate_egress	*e = c->e;

	c->out = bufferevent_openssl_socket_new(e->g->base, c->fd, c->ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS);
	if (c->out == NULL) {
		set_reason(c, "TLS", "out of memory");
		conn_free(c);
		return;
	}
	c->fd = -1;
	c->ssl = NULL;
	bufferevent_openssl_set_allow_dirty_shutdown(c->out, 1);
	bufferevent_setcb(c->out, on_read, on_write, on_event, c);
	bufferevent_enable(c->out, EV_READ | EV_WRITE);
}

static void
on_connect(evutil_socket_t fd, short what, void *arg)
{
	struct egress_conn	*c = arg;
	int			 serr = 0;
	socklen_t		 sl = sizeof(serr);

	(void)what;
	event_free(c->connect_ev);
	c->connect_ev = NULL;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &serr, &sl) != 0)
		serr = errno;
	if (serr == 0) {
		start_tls(c);
		return;
	}
	set_reason(c, "connect", evutil_socket_error_to_string(serr));
	evutil_closesocket(c->fd);
	c->fd = -1;
	c->ai = c->ai->ai_next;
	if (c->ai == NULL) {
		conn_free(c);
		return;
	}
	c->reason[0] = '\0';	/* another address: its error counts */
	try_connect(c);
}

/* Connect to c->ai or the next address that accepts a connect call. */
static void
try_connect(struct egress_conn *c)
{
	struct gate_egress	*e = c->e;
	evutil_socket_t		 fd;
	int			 serr;

	for (; c->ai != NULL; c->ai = c->ai->ai_next) {
		fd = socket(c->ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, IPPROTO_TCP);
		if (fd < 0) {
			set_reason(c, "connect", strerror(errno));
			continue;
		}
		nodelay(fd);
		if (connect(fd, c->ai->ai_addr, c->ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			c->fd = fd;
			c->connect_ev = event_new(e->g->base, fd, EV_WRITE,
			    on_connect, c);
			if (c->connect_ev == NULL ||
			    event_add(c->connect_ev, NULL) != 0) {
				set_reason(c, "connect", "out of memory");
				break;
			}
			return;
		}
		serr = errno;
		set_reason(c, "connect", strerror(serr));
		evutil_closesocket(fd);
	}
	conn_free(c);
}

/* --- accepting ----------------------------------------------------------- */

static void
peer_text(const struct sockaddr *sa, char *out, size_t len)
{
	char		 a[INET6_ADDRSTRLEN];
	const void	*p;
	unsigned	 port;

	if (sa->sa_family == AF_INET6) {
		p = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		port = ntohs(((const struct sockaddr_in6 *)(const void *)
		    sa)->sin6_port);
	} else {
		p = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		port = ntohs(((const struct sockaddr_in *)(const void *)
		    sa)->sin_port);
	}
	if (evutil_inet_ntop(sa->sa_family, p, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(out, len, sa->sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
	    a, port);
}

static void
on_accept(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct gate_egress	*e = arg;
	struct egress_conn	*c;
	struct certa_err	 err;
	SSL_CTX			*sctx = NULL;
	struct timeval		 tv = { EGRESS_HANDSHAKE_S, 0 };

	(void)lev;
	(void)salen;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c->e = e;
	c->fd = -1;
	c->start_us = mono_us();
	peer_text(sa, c->peer, sizeof(c->peer));
	c->next = e->conns;
	if (e->conns != NULL)
		e->conns->prev = c;
	e->conns = c;
	e->nconns++;
	nodelay(fd);
	c->in = bufferevent_socket_new(e->g->base, fd, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS);
	if (c->in == NULL) {
		evutil_closesocket(fd);
		set_reason(c, "accept", "out of memory");
		conn_free(c);
		return;
	}
	bufferevent_setcb(c->in, on_read, on_write, on_event, c);
	/* Not read until the handshake is done; EOF is noticed then. */
	bufferevent_disable(c->in, EV_READ);
	if (e->g->draining || e->nconns > EGRESS_MAX_CONNS) {
		set_reason(c, e->g->draining ? "draining" :
		    "too many connections", NULL);
		conn_free(c);
		return;
	}
	certa_err_clear(&err);
	if (certa_client_ssl_ctx(e->client, e->to, &sctx, &err) != CERTA_OK) {
		set_reason(c, "client certificate", err.msg);
		conn_free(c);
		return;
	}
	c->ssl = SSL_new(sctx);
	SSL_CTX_free(sctx);
	if (c->ssl == NULL || certa_client_ssl_prepare(c->ssl, e->to, &err) !=
	    CERTA_OK) {
		ERR_clear_error();
		set_reason(c, "TLS", c->ssl == NULL ? "out of memory" :
		    err.msg);
		conn_free(c);
		return;
	}
	if ((c->timer = evtimer_new(e->g->base, on_timer, c)) == NULL ||
	    evtimer_add(c->timer, &tv) != 0) {
		set_reason(c, "timer", "out of memory");
		conn_free(c);
		return;
	}
	c->ai = e->addrs;
	try_connect(c);
}

certa_rc
gate_egress_start(struct gate_common *g, struct certa_client *cl,
    const struct certa_gate_egress_cfg *cfg, struct gate_egress **out,
    struct certa_err *err)
{
	struct gate_egress	*e = NULL;
	struct evutil_addrinfo	 hints, *la = NULL;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			 host[EGRESS_HOST_MAX], ps[8];
	uint16_t		 port;
	int			 gai;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK((e = calloc(1, sizeof(*e))) != NULL, CERTA_E_NOMEM, "oom");
	e->g = g;
	e->client = cl;
	CERTA_CHECK((e->listen = certa_strdup(cfg->listen)) != NULL &&
	    (e->to = certa_strdup(cfg->to)) != NULL, CERTA_E_NOMEM, "oom");
	/* The destination, resolved once. */
	CERTA_TRY(gate_split_addr("egress to", cfg->to, host, sizeof(host),
	    &port, err));
	CERTA_CHECK(port != 0, CERTA_E_PARSE, "egress to '%s': port 0",
	    cfg->to);
	snprintf(ps, sizeof(ps), "%u", (unsigned)port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	/* No AI_ADDRCONFIG: it hides localhost where only lo is up. */
	hints.ai_flags = EVUTIL_AI_NUMERICSERV;
	gai = evutil_getaddrinfo(host, ps, &hints, &e->addrs);
	CERTA_CHECK(gai == 0, CERTA_E_IO, "egress to %s: resolve %s: %s",
	    cfg->to, host, evutil_gai_strerror(gai));
	/* The listener. */
	CERTA_TRY(gate_split_addr("egress listen", cfg->listen, host,
	    sizeof(host), &port, err));
	snprintf(ps, sizeof(ps), "%u", (unsigned)port);
	hints.ai_flags = EVUTIL_AI_NUMERICSERV | EVUTIL_AI_PASSIVE;
	gai = evutil_getaddrinfo(host, ps, &hints, &la);
	CERTA_CHECK(gai == 0, CERTA_E_IO, "egress listen %s: %s",
	    cfg->listen, evutil_gai_strerror(gai));
	e->lev = evconnlistener_new_bind(g->base, on_accept, e,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    -1, la->ai_addr, (int)la->ai_addrlen);
	CERTA_CHECK(e->lev != NULL, CERTA_E_IO, "egress listen %s: %s",
	    cfg->listen, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	CERTA_CHECK(getsockname(evconnlistener_get_fd(e->lev),
	    (struct sockaddr *)&ss, &sl) == 0, CERTA_E_IO, "egress listen %s: "
	    "%s", cfg->listen, strerror(errno));
	e->port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	*out = e;
	e = NULL;
out:
	if (la != NULL)
		evutil_freeaddrinfo(la);
	gate_egress_free(e);
	return rc;
}

uint16_t
gate_egress_port(const struct gate_egress *e)
{
	return e != NULL ? e->port : 0;
}

void
gate_egress_stop(struct gate_egress *e)
{
	if (e != NULL && e->lev != NULL)
		evconnlistener_disable(e->lev);
}

size_t
gate_egress_conns(const struct gate_egress *e)
{
	return e != NULL ? e->nconns : 0;
}

void
gate_egress_free(struct gate_egress *e)
{
	if (e == NULL)
		return;
	while (e->conns != NULL) {
		set_reason(e->conns, "shutdown", NULL);
		conn_free(e->conns);
	}
	if (e->lev != NULL)
		evconnlistener_free(e->lev);
	if (e->addrs != NULL)
		evutil_freeaddrinfo(e->addrs);
	free(e->listen);
	free(e->to);
	free(e);
}
