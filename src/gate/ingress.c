/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa gate, ingress: a TLS listener that demands a client certificate,
 * judges it with the trust engine inside the handshake, and forwards
 * accepted connections to an upstream.
 *
 * HOW IT WORKS
 * The listener's SSL_CTX replaces OpenSSL's certificate verification with
 * verify_cb (SSL_CTX_set_cert_verify_callback): the presented chain goes
 * to certa_trust_validate against the current trust snapshot
 * (certa_trust_current: one indexed read of the trust generation per
 * handshake, a rebuild only after a change, so `certa trust trust ALIAS`
 * or a revocation applies to the next handshake, no restart).  A refusal
 * becomes an X509 verify error whose TLS alert says why: unknown_ca
 * (untrusted, rejected), certificate_revoked, certificate_expired (also
 * not yet valid), bad_certificate (anything else).  With auto_reject an
 * unknown certificate is recorded in the rejected list with the peer's
 * address (certa_trust_record_rejected), attempts counted.  A listener
 * without an explicit mode (or auto_reject) follows the stored trust
 * settings (include/certa/settings.h), re-read at most once a second
 * (settings_refresh), so `certa settings set` or PUT
 * /api/v1/settings/trust applies within a second, no restart.
 *
 * Upstreams:
 *   tcp://HOST:PORT  bytes both ways after the handshake (libevent's
 *                    le-proxy pattern: a high watermark on each output,
 *                    reading paused until the other side drains), with an
 *                    optional PROXY protocol v2 header carrying the
 *                    client's address and the SSL TLVs (version, CN,
 *                    verified);
 *   http://HOST:PORT HTTP/1.1 through evhttp (src/proto/http.c, with its
 *                    deadline and caps): each request is sent upstream on
 *                    the connection's own keep-alive connection with
 *                    X-Forwarded-Client-Cert (Envoy's format: Hash,
 *                    Subject, URI, DNS) after removing any such header the
 *                    client sent, plus X-Forwarded-For/-Proto.
 * Every connection gets one access-log line (gate_log_conn).
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <certa/certa.h>
#include <certa/settings.h>
#include <certa/trust.h>
#include <certa/truststore.h>
#include <certa/util.h>
#include <certa/x509.h>

#include "gate/gate_impl.h"
#include "proto/http.h"
#include "proto/tls.h"

#define IN_HIGH_WATER	(256 * 1024)
#define IN_MAX_BODY	(16 * 1024 * 1024)
#define IN_POOL_MAX	64

struct gate_ingress {
	struct gate_common		*g;
	struct certa_gate_ingress_cfg	 c;
	enum certa_trust_mode		 mode;
	bool				 auto_reject;
	bool				 follow_mode;	/* no explicit mode */
	bool				 follow_ar;	/* nor auto_reject */
	int64_t				 settings_ms;	/* last read; 0 */
	bool				 http;	/* else tcp */
	char				 up_host[256];
	uint16_t			 up_port;
	char				 up_authority[270]; /* host:port,
						 * the Host of a request that
						 * came without one */
	struct sockaddr_storage		 up_addr;
	socklen_t			 up_len;
	SSL_CTX				*tls;
	struct evconnlistener		*lst;	/* tcp mode */
	struct certa_http		*srv;	/* http mode */
	uint16_t			 port;
	size_t				 nconns;
	char				 name[64];
	/* http: idle upstream connections kept for the next client
	 * connection (as nginx's upstream keepalive). */
	struct evhttp_connection	*pool[IN_POOL_MAX];
	size_t				 npool;
};

/* What the handshake learnt; SSL ex_data, freed with the SSL. */
struct verdict {
	bool		 checked;
	bool		 valid;
	char		 reason[32];
	char		 subject[512];
	char		 cn[128];
	char		 fingerprint[65];
	char		 xfcc[1024];
	char		 peer[64];
	struct gate_ingress *in;
	struct timespec	 t0;
};

static int	verdict_idx = -1;

static void
verdict_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

static int64_t
since_us(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (int64_t)(t1.tv_sec - t0->tv_sec) * 1000000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000;
}

static void
peer_text(int fd, char *out, size_t len)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			 h[INET6_ADDRSTRLEN];

	snprintf(out, len, "?");
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
		return;
	if (ss.ss_family == AF_INET &&
	    inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, h,
	    sizeof(h)) != NULL)
		snprintf(out, len, "%s", h);
	else if (ss.ss_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, h,
	    sizeof(h)) != NULL)
		snprintf(out, len, "%s", h);
}

/* A verdict for this SSL (made on first use). */
static struct verdict *
verdict_of(SSL *ssl, struct gate_ingress *in)
{
	struct verdict	*v = SSL_get_ex_data(ssl, verdict_idx);

	if (v == NULL && (v = calloc(1, sizeof(*v))) != NULL) {
		if (!SSL_set_ex_data(ssl, verdict_idx, v)) {
			free(v);
			return NULL;
		}
		v->in = in;
		clock_gettime(CLOCK_MONOTONIC, &v->t0);
		peer_text(SSL_get_fd(ssl), v->peer, sizeof(v->peer));
	}
	return v;
}

/* Envoy's X-Forwarded-Client-Cert: Hash, Subject, URI, DNS. */
static void
make_xfcc(struct verdict *v, const char *sans)
{
	char		*copy, *tok, *save = NULL;
	size_t		 n;

	n = (size_t)snprintf(v->xfcc, sizeof(v->xfcc), "Hash=%s;Subject=\"",
	    v->fingerprint);
	for (const char *p = v->subject; *p && n + 3 < sizeof(v->xfcc); p++) {
		if (*p == '"' || *p == '\\')
			v->xfcc[n++] = '\\';
		v->xfcc[n++] = *p;
	}
	n += (size_t)snprintf(v->xfcc + n, sizeof(v->xfcc) - n, "\"");
	if (sans == NULL || (copy = strdup(sans)) == NULL)
		return;
	for (tok = strtok_r(copy, ", ", &save); tok != NULL && n <
	    sizeof(v->xfcc); tok = strtok_r(NULL, ", ", &save)) {
		if (strncmp(tok, "URI:", 4) == 0)
			n += (size_t)snprintf(v->xfcc + n, sizeof(v->xfcc) - n,
			    ";URI=%s", tok + 4);
		else if (strncmp(tok, "DNS:", 4) == 0)
			n += (size_t)snprintf(v->xfcc + n, sizeof(v->xfcc) - n,
			    ";DNS=%s", tok + 4);
	}
	if (n >= sizeof(v->xfcc))
		v->xfcc[sizeof(v->xfcc) - 1] = '\0';
	free(copy);
}

/* The engine's reason as the verify error whose alert says it. */
static int
reason_error(const char *reason)
{
	if (strcmp(reason, "revoked") == 0)
		return X509_V_ERR_CERT_REVOKED;
	if (strcmp(reason, "expired") == 0)
		return X509_V_ERR_CERT_HAS_EXPIRED;
	if (strcmp(reason, "not_yet_valid") == 0)
		return X509_V_ERR_CERT_NOT_YET_VALID;
	if (strcmp(reason, "untrusted") == 0 || strcmp(reason, "rejected") ==
	    0)
		return X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
	return X509_V_ERR_CERT_REJECTED;
}

/*
 * The stored trust settings for a listener that follows them: two meta
 * reads at most once a second (monotonic), on the loop thread.  When the
 * store cannot answer, the last values stay.
 */
static void
settings_refresh(struct gate_ingress *in)
{
	struct certa_trust_settings	 s;
	struct certa_err		 err;
	int64_t				 ms;

	if (!in->follow_mode && !in->follow_ar)
		return;
	ms = certa_mono_ms() + 1;
	if (in->settings_ms != 0 && ms - in->settings_ms < 1000)
		return;
	in->settings_ms = ms;
	certa_err_clear(&err);
	if (certa_settings_get(in->g->ctx, &s, &err) != CERTA_OK) {
		fprintf(stderr, "certa gate: trust settings: %s\n", err.msg);
		return;
	}
	if (in->follow_mode)
		in->mode = s.mode;
	if (in->follow_ar)
		in->auto_reject = s.auto_reject;
}

static int
verify_cb(X509_STORE_CTX *xs, void *arg)
{
	struct gate_ingress		*in = arg;
	SSL				*ssl;
	X509				*leaf = X509_STORE_CTX_get0_cert(xs);
	struct verdict			*v;
	struct certa_snapshot		*snap = NULL;
	struct certa_verify_policy	 pol;
	struct certa_trust_verdict	 tv;
	struct certa_cert_info		 info;
	struct certa_err		 err;
	uint8_t				*leaf_der = NULL;
	int				 n, ok = 0;
	bool				 inserted;

	memset(&tv, 0, sizeof(tv));
	memset(&info, 0, sizeof(info));
	certa_err_clear(&err);
	ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl == NULL || leaf == NULL || (v = verdict_of(ssl, in)) == NULL) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	v->checked = true;
	snprintf(v->reason, sizeof(v->reason), "malformed");
	/* The certificate OpenSSL decoded: no second decode here. */
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(leaf),
	    NID_commonName, v->cn, sizeof(v->cn)) < 0)
		v->cn[0] = '\0';
	if (certa_cert_info_from_x509(leaf, &info, &err) == CERTA_OK) {
		snprintf(v->subject, sizeof(v->subject), "%s", info.subject);
		snprintf(v->fingerprint, sizeof(v->fingerprint), "%s",
		    info.sha256);
		if (in->http)
			make_xfcc(v, info.sans);
	}
	if (certa_trust_current(in->g->ctx, &snap, &err) != CERTA_OK) {
		snprintf(v->reason, sizeof(v->reason), "store");
		fprintf(stderr, "certa gate: trust store: %s\n", err.msg);
		goto out;
	}
	settings_refresh(in);
	memset(&pol, 0, sizeof(pol));
	pol.mode = in->mode;
	pol.purpose = CERTA_PURPOSE_CLIENT;
	pol.auto_reject = in->auto_reject;
	if (certa_trust_validate_x509(snap, leaf,
	    X509_STORE_CTX_get0_untrusted(xs), &pol, &tv, &err) != CERTA_OK)
		goto out;
	v->valid = tv.valid;
	snprintf(v->reason, sizeof(v->reason), "%s", tv.reason);
	ok = tv.valid;
	if (!ok && in->auto_reject && (strcmp(tv.reason, "untrusted") == 0 ||
	    strcmp(tv.reason, "rejected") == 0) &&
	    (n = i2d_X509(leaf, &leaf_der)) > 0) {
		certa_err_clear(&err);
		if (certa_trust_record_rejected(in->g->ctx, leaf_der,
		    (size_t)n, v->peer, &inserted, &err) != CERTA_OK)
			fprintf(stderr, "certa gate: record rejected: %s\n",
			    err.msg);
	}
out:
	if (!ok)
		X509_STORE_CTX_set_error(xs, reason_error(v->reason));
	if (!ok && in->http)	/* tcp connections log when they close */
		gate_log_conn(in->g, in->name, v->peer, v->subject[0] ?
		    v->subject : NULL, v->fingerprint[0] ? v->fingerprint :
		    NULL, "refused", v->reason, 0, 0, since_us(&v->t0));
	certa_cert_info_clear(&info);
	certa_trust_verdict_clear(&tv);
	certa_snapshot_unref(snap);
	OPENSSL_free(leaf_der);
	return ok;
}

/* --- TLS context ---------------------------------------------------------- */

static certa_rc
tls_setup(struct gate_ingress *in, const char *host, struct certa_err *err)
{
	static const unsigned char sid[] = "certa-gate";
	const char	*names[3] = { "DNS:localhost", "IP:127.0.0.1", NULL };
	char		 extra[300];
	size_t		 nnames = 2;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(certa_tls_server_new(&in->tls, err));
	SSL_CTX_set_verify(in->tls, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(in->tls, verify_cb, in);
	CERTA_OSSL(SSL_CTX_set_session_id_context(in->tls, sid,
	    sizeof(sid) - 1), CERTA_E_CRYPTO, "TLS session id context");
	/* A resumed session skips verify_cb: allow none, so that every
	 * connection is judged on today's trust store. */
	SSL_CTX_set_session_cache_mode(in->tls, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(in->tls, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(in->tls, 0);
	if (in->c.tls_cert != NULL) {
		CERTA_TRY(certa_tls_use_files(in->tls, in->c.tls_cert,
		    in->c.tls_key, err));
	} else {
		if (strcmp(host, "127.0.0.1") != 0 && strcmp(host, "0.0.0.0") &&
		    strcmp(host, "::")) {
			snprintf(extra, sizeof(extra), "%s:%s",
			    strspn(host, "0123456789.:abcdef") == strlen(host) ?
			    "IP" : "DNS", host);
			names[nnames++] = extra;
		}
		CERTA_TRY(certa_tls_use_issued(in->tls, in->g->ctx, names,
		    nnames, NULL, err));
	}
out:
	return rc;
}

/* --- tcp upstream ------------------------------------------------------- */

struct tconn {
	struct gate_ingress	*in;
	struct bufferevent	*down;	/* TLS, client side */
	struct bufferevent	*up;	/* plain, upstream */
	SSL			*ssl;	/* borrowed from down */
	uint64_t		 bytes_in, bytes_out;
	bool			 logged;
	char			 peer[64];
	struct timespec		 t0;
};

static void
tconn_log(struct tconn *t, const char *reason)
{
	struct verdict	*v = t->ssl != NULL ? SSL_get_ex_data(t->ssl,
			    verdict_idx) : NULL;

	if (t->logged)
		return;
	t->logged = true;
	gate_log_conn(t->in->g, t->in->name, t->peer, v ? v->subject : NULL,
	    v ? v->fingerprint : NULL, v != NULL && v->valid ? "accepted" :
	    "refused", reason != NULL ? reason : v != NULL && v->checked ?
	    v->reason : "no_certificate", t->bytes_in, t->bytes_out,
	    since_us(&t->t0));
}

static void
tconn_free(struct tconn *t, const char *reason)
{
	tconn_log(t, reason);
	if (t->down != NULL)
		bufferevent_free(t->down);
	if (t->up != NULL)
		bufferevent_free(t->up);
	t->in->nconns--;
	free(t);
}

/* After one side ended: close once the other side's output is sent. */
static void
drained_close(struct bufferevent *bev, void *arg)
{
	struct tconn	*t = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		tconn_free(t, NULL);
}

static void
pipe_read(struct bufferevent *from, void *arg)
{
	struct tconn		*t = arg;
	struct bufferevent	*to = from == t->down ? t->up : t->down;
	struct evbuffer		*src = bufferevent_get_input(from);
	size_t			 n = evbuffer_get_length(src);

	if (to == NULL) {
		evbuffer_drain(src, n);
		return;
	}
	if (from == t->down)
		t->bytes_in += n;
	else
		t->bytes_out += n;
	evbuffer_add_buffer(bufferevent_get_output(to), src);
	if (evbuffer_get_length(bufferevent_get_output(to)) >= IN_HIGH_WATER) {
		/* Pause until the other side drains (write low watermark). */
		bufferevent_disable(from, EV_READ);
		bufferevent_setwatermark(to, EV_WRITE, IN_HIGH_WATER / 2, 0);
	}
}

static void
pipe_write(struct bufferevent *to, void *arg)
{
	struct tconn		*t = arg;
	struct bufferevent	*from = to == t->down ? t->up : t->down;

	if (from != NULL && evbuffer_get_length(bufferevent_get_output(to)) <
	    IN_HIGH_WATER / 2) {
		bufferevent_setwatermark(to, EV_WRITE, 0, 0);
		bufferevent_enable(from, EV_READ);
	}
}

static void
pipe_event(struct bufferevent *bev, short what, void *arg)
{
	struct tconn		*t = arg;
	struct bufferevent	*other = bev == t->down ? t->up : t->down;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
		if (bev == t->down && (what & BEV_EVENT_TIMEOUT))
			tconn_log(t, "idle_timeout");
		if (other != NULL &&
		    evbuffer_get_length(bufferevent_get_output(other)) > 0) {
			/* Flush what is queued for the other side first. */
			if (bev == t->down)
				t->down = NULL;
			else
				t->up = NULL;
			bufferevent_free(bev);
			bufferevent_setcb(other, NULL, drained_close, NULL, t);
			bufferevent_disable(other, EV_READ);
			return;
		}
		tconn_free(t, NULL);
	}
}

/* PROXY protocol v2 (haproxy's proxy-protocol.txt §2.2) with SSL TLVs. */
static void
proxy_v2(struct tconn *t)
{
	static const uint8_t	 sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00,
	    0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };
	struct verdict		*v = SSL_get_ex_data(t->ssl, verdict_idx);
	struct sockaddr_storage	 src, dst;
	socklen_t		 sl = sizeof(src), dl = sizeof(dst);
	uint8_t			 b[600], tlv[400];
	const char		*ver = SSL_get_version(t->ssl);
	size_t			 n = 0, tn = 0, cn, vl;
	int			 fd = bufferevent_getfd(t->down);

	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	(void)getpeername(fd, (struct sockaddr *)&src, &sl);
	(void)getsockname(fd, (struct sockaddr *)&dst, &dl);
	/* PP2_TYPE_SSL: client (PP2_CLIENT_SSL|CERT_CONN|CERT_SESS), verify
	 * (0 = verified), then sub-TLVs VERSION (0x21) and CN (0x22). */
	tlv[tn++] = 0x20;
	tn += 2;			/* length, below */
	tlv[tn++] = 0x07;
	memset(tlv + tn, 0, 4);
	tn += 4;
	vl = strlen(ver);
	tlv[tn++] = 0x21;
	tlv[tn++] = (uint8_t)(vl >> 8);
	tlv[tn++] = (uint8_t)vl;
	memcpy(tlv + tn, ver, vl);
	tn += vl;
	cn = v != NULL ? strlen(v->cn) : 0;
	if (cn > 0 && cn < 200) {
		tlv[tn++] = 0x22;
		tlv[tn++] = (uint8_t)(cn >> 8);
		tlv[tn++] = (uint8_t)cn;
		memcpy(tlv + tn, v->cn, cn);
		tn += cn;
	}
	tlv[1] = (uint8_t)((tn - 3) >> 8);
	tlv[2] = (uint8_t)(tn - 3);
	memcpy(b, sig, 12);
	n = 12;
	b[n++] = 0x21;			/* v2, PROXY */
	if (src.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&src;
		struct sockaddr_in *d4 = (struct sockaddr_in *)&dst;

		b[n++] = 0x11;		/* TCP over IPv4 */
		b[n++] = (uint8_t)((12 + tn) >> 8);
		b[n++] = (uint8_t)(12 + tn);
		memcpy(b + n, &s4->sin_addr, 4);
		memcpy(b + n + 4, &d4->sin_addr, 4);
		memcpy(b + n + 8, &s4->sin_port, 2);
		memcpy(b + n + 10, &d4->sin_port, 2);
		n += 12;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&src;
		struct sockaddr_in6 *d6 = (struct sockaddr_in6 *)&dst;

		b[n++] = 0x21;		/* TCP over IPv6 */
		b[n++] = (uint8_t)((36 + tn) >> 8);
		b[n++] = (uint8_t)(36 + tn);
		memcpy(b + n, &s6->sin6_addr, 16);
		memcpy(b + n + 16, &d6->sin6_addr, 16);
		memcpy(b + n + 32, &s6->sin6_port, 2);
		memcpy(b + n + 34, &d6->sin6_port, 2);
		n += 36;
	}
	memcpy(b + n, tlv, tn);
	n += tn;
	bufferevent_write(t->up, b, n);
}

static void
up_event(struct bufferevent *bev, short what, void *arg)
{
	struct tconn	*t = arg;
	struct timeval	 idle = { t->in->c.idle_timeout, 0 };
	int		 one = 1;

	if (what & BEV_EVENT_CONNECTED) {
		(void)setsockopt(bufferevent_getfd(bev), IPPROTO_TCP,
		    TCP_NODELAY, &one, sizeof(one));
		if (t->in->c.proxy_protocol)
			proxy_v2(t);
		bufferevent_setcb(t->up, pipe_read, pipe_write, pipe_event, t);
		bufferevent_setcb(t->down, pipe_read, pipe_write, pipe_event, t);
		bufferevent_set_timeouts(t->down, &idle, NULL);
		bufferevent_set_timeouts(t->up, &idle, NULL);
		bufferevent_enable(t->up, EV_READ | EV_WRITE);
		bufferevent_enable(t->down, EV_READ | EV_WRITE);
		/* Bytes the client sent with its handshake. */
		if (evbuffer_get_length(bufferevent_get_input(t->down)) > 0)
			pipe_read(t->down, t);
		return;
	}
	tconn_free(t, "upstream_unreachable");
}

static void
down_event(struct bufferevent *bev, short what, void *arg)
{
	struct tconn	*t = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {	/* handshake done */
		bufferevent_disable(t->down, EV_READ);
		bufferevent_set_timeouts(t->down, NULL, NULL);
		t->up = bufferevent_socket_new(t->in->g->base, -1,
		    BEV_OPT_CLOSE_ON_FREE);
		if (t->up == NULL) {
			tconn_free(t, "oom");
			return;
		}
		bufferevent_setcb(t->up, NULL, NULL, up_event, t);
		if (bufferevent_socket_connect(t->up,
		    (struct sockaddr *)&t->in->up_addr, (int)t->in->up_len) != 0)
			tconn_free(t, "upstream_unreachable");
		return;
	}
	tconn_free(t, what & BEV_EVENT_TIMEOUT ? "handshake_timeout" : NULL);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct gate_ingress	*in = arg;
	struct tconn		*t;
	struct timeval		 hs = { in->c.handshake_timeout, 0 };
	int			 one = 1;

	(void)l;
	(void)sa;
	(void)salen;
	if (in->nconns >= in->c.max_conns || in->g->draining ||
	    (t = calloc(1, sizeof(*t))) == NULL) {
		gate_log_conn(in->g, in->name, NULL, NULL, NULL, "refused",
		    "max_conns", 0, 0, 0);
		evutil_closesocket(fd);
		return;
	}
	in->nconns++;
	t->in = in;
	clock_gettime(CLOCK_MONOTONIC, &t->t0);
	peer_text(fd, t->peer, sizeof(t->peer));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((t->ssl = SSL_new(in->tls)) == NULL ||
	    (t->down = bufferevent_openssl_socket_new(in->g->base, fd, t->ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		if (t->ssl != NULL)
			SSL_free(t->ssl);
		t->ssl = NULL;
		evutil_closesocket(fd);
		tconn_free(t, "oom");
		return;
	}
	(void)verdict_of(t->ssl, in);
	bufferevent_openssl_set_allow_dirty_shutdown(t->down, 1);
	bufferevent_setcb(t->down, NULL, NULL, down_event, t);
	bufferevent_set_timeouts(t->down, &hs, &hs);
	bufferevent_enable(t->down, EV_READ | EV_WRITE);
}

/* --- http upstream ------------------------------------------------------ */

/* Per client connection: its upstream keep-alive connection. */
struct hconn {
	struct gate_ingress		*in;
	struct evhttp_connection	*up;
	SSL				*ssl;	/* borrowed */
	size_t				 inflight;
	bool				 closed; /* client gone; free when
						 * inflight drops to 0 */
	uint64_t			 requests;
	bool				 pooled; /* up came from the pool */
	char				 peer[64];
	struct timespec			 t0;
};

struct fwd {
	struct hconn		*hc;
	struct certa_http_req	*req;	/* deferred */
	const char		*xfcc;	/* the connection's verdict's */
	bool			 reused; /* sent on a kept-alive connection */
	bool			 retried;
};

static void
hconn_free(void *p)
{
	struct hconn	*hc = p;
	struct verdict	*v = SSL_get_ex_data(hc->ssl, verdict_idx);

	if (!hc->closed) {
		hc->closed = true;
		gate_log_conn(hc->in->g, hc->in->name, hc->peer,
		    v ? v->subject : NULL, v ? v->fingerprint : NULL,
		    "accepted", v ? v->reason : NULL,
		    BIO_number_read(SSL_get_rbio(hc->ssl)),
		    BIO_number_written(SSL_get_wbio(hc->ssl)),
		    since_us(&hc->t0));
		hc->ssl = NULL;
	}
	if (hc->inflight > 0)
		return;		/* the last answer frees it */
	if (hc->up != NULL && hc->in->npool < IN_POOL_MAX &&
	    !hc->in->g->draining)
		hc->in->pool[hc->in->npool++] = hc->up;	/* idle: keep it */
	else if (hc->up != NULL)
		evhttp_connection_free(hc->up);
	hc->in->nconns--;
	free(hc);
}

static bool
hop_by_hop(const char *k)
{
	static const char *const h[] = { "connection", "keep-alive",
	    "proxy-connection", "proxy-authenticate", "proxy-authorization",
	    "te", "trailer", "transfer-encoding", "upgrade", "content-length",
	    "x-forwarded-client-cert", "x-request-id", NULL };
	size_t	i;

	for (i = 0; h[i] != NULL; i++)
		if (strcasecmp(k, h[i]) == 0)
			return true;
	return false;
}

static bool send_upstream(struct fwd *);

static void
on_upstream(struct evhttp_request *resp, void *arg)
{
	struct fwd		*f = arg;
	struct hconn		*hc = f->hc;
	struct evkeyvalq	*hs;
	struct evkeyval		*kv;
	struct evbuffer		*b;
	enum evhttp_cmd_type	 m;
	int			 code = resp != NULL ?
				    evhttp_request_get_response_code(resp) : 0;

	hc->inflight--;
	m = evhttp_request_get_command(certa_http_req_evreq(f->req));
	if (code == 0 && f->reused && !f->retried && !hc->closed &&
	    m != EVHTTP_REQ_POST && m != EVHTTP_REQ_PATCH) {
		/* A kept-alive upstream connection the upstream had closed:
		 * an idempotent request goes again on a new one (as nginx's
		 * proxy_next_upstream error). */
		f->retried = true;
		if (hc->up != NULL)
			evhttp_connection_free(hc->up);
		hc->up = evhttp_connection_base_new(hc->in->g->base, NULL,
		    hc->in->up_host, hc->in->up_port);
		if (hc->up != NULL) {
			evhttp_connection_set_timeout(hc->up,
			    hc->in->c.idle_timeout);
			if (send_upstream(f))
				return;
		}
	}
	if (code == 0) {
		certa_http_error(f->req, 502, "upstream unavailable");
	} else {
		hs = evhttp_request_get_input_headers(resp);
		for (kv = hs->tqh_first; kv != NULL; kv = kv->next.tqe_next)
			if (!hop_by_hop(kv->key))
				certa_http_header(f->req, kv->key, kv->value);
		b = evhttp_request_get_input_buffer(resp);
		certa_http_reply(f->req, code, NULL, evbuffer_pullup(b, -1),
		    evbuffer_get_length(b));
	}
	if (hc->closed && hc->inflight == 0)
		hconn_free(hc);
	free(f);
}

/* Copy the client's request (f->req) upstream; false when it could not
 * be sent (nothing is pending then). */
static bool
send_upstream(struct fwd *f)
{
	struct hconn		*hc = f->hc;
	struct evhttp_request	*src = certa_http_req_evreq(f->req), *out;
	struct evkeyvalq	*hs, *oh;
	struct evkeyval		*kv;
	struct evbuffer		*ib;
	char			 xff[128];
	const char		*prev;

	if ((out = evhttp_request_new(on_upstream, f)) == NULL)
		return false;
	hs = evhttp_request_get_input_headers(src);
	oh = evhttp_request_get_output_headers(out);
	for (kv = hs->tqh_first; kv != NULL; kv = kv->next.tqe_next)
		if (!hop_by_hop(kv->key) &&
		    strcasecmp(kv->key, "x-forwarded-for") != 0 &&
		    strcasecmp(kv->key, "x-forwarded-proto") != 0)
			evhttp_add_header(oh, kv->key, kv->value);
	/* HTTP/1.1 upstream requests need a Host (RFC 9112 §3.2); an
	 * HTTP/1.0 client may have sent none: the upstream's, as nginx's
	 * proxy_pass does. */
	if (evhttp_find_header(hs, "Host") == NULL)
		evhttp_add_header(oh, "Host", hc->in->up_authority);
	evhttp_add_header(oh, "X-Forwarded-Client-Cert", f->xfcc);
	prev = evhttp_find_header(hs, "X-Forwarded-For");
	snprintf(xff, sizeof(xff), "%s%s%s", prev != NULL ? prev : "",
	    prev != NULL ? ", " : "", hc->peer);
	evhttp_add_header(oh, "X-Forwarded-For", xff);
	evhttp_add_header(oh, "X-Forwarded-Proto", "https");
	ib = evhttp_request_get_input_buffer(src);
	if (evbuffer_get_length(ib) > 0)
		evbuffer_add(evhttp_request_get_output_buffer(out),
		    evbuffer_pullup(ib, -1), evbuffer_get_length(ib));
	f->reused = (hc->requests > 0 || hc->pooled) && !f->retried;
	hc->inflight++;
	hc->requests++;
	if (evhttp_make_request(hc->up, out, evhttp_request_get_command(src),
	    evhttp_request_get_uri(src)) != 0) {
		hc->inflight--;		/* evhttp freed out */
		return false;
	}
	return true;
}

static void
h_forward(struct certa_http_req *r, void *arg)
{
	struct gate_ingress	*in = arg;
	struct hconn		*hc = certa_http_conn_get(r);
	struct verdict		*v;
	struct fwd		*f;
	SSL			*ssl = certa_http_req_ssl(r);

	v = ssl != NULL ? SSL_get_ex_data(ssl, verdict_idx) : NULL;
	if (v == NULL || !v->valid) {	/* cannot happen: the handshake */
		certa_http_error(r, 403, "client certificate refused");
		return;
	}
	if (hc == NULL) {
		if ((hc = calloc(1, sizeof(*hc))) == NULL) {
			certa_http_error(r, 503, "out of memory");
			return;
		}
		hc->in = in;
		hc->ssl = ssl;
		hc->t0 = v->t0;
		snprintf(hc->peer, sizeof(hc->peer), "%s",
		    certa_http_req_peer(r));
		if (in->npool > 0) {
			hc->up = in->pool[--in->npool];
			hc->pooled = true;
		} else {
			hc->up = evhttp_connection_base_new(in->g->base, NULL,
			    in->up_host, in->up_port);
		}
		in->nconns++;
		certa_http_conn_set(r, hc, hconn_free);
		if (hc->up == NULL || certa_http_conn_get(r) != hc) {
			certa_http_error(r, 503, "cannot reach the upstream");
			return;
		}
		evhttp_connection_set_timeout(hc->up, in->c.idle_timeout);
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		certa_http_error(r, 503, "out of memory");
		return;
	}
	f->hc = hc;
	f->xfcc = v->xfcc;
	if ((f->req = certa_http_req_defer(r)) == NULL) {
		free(f);
		certa_http_error(r, 503, "out of memory");
		return;
	}
	if (!send_upstream(f)) {
		certa_http_error(f->req, 502, "upstream unavailable");
		free(f);
	}
}

/* --- listener ----------------------------------------------------------- */

static certa_rc
resolve_upstream(struct gate_ingress *in, struct certa_err *err)
{
	struct addrinfo	 hints, *res = NULL;
	char		 port[8];
	const char	*u = in->c.upstream;
	int		 e;
	certa_rc	 rc = CERTA_OK;

	if (strncmp(u, "tcp://", 6) == 0) {
		u += 6;
	} else if (strncmp(u, "http://", 7) == 0) {
		u += 7;
		in->http = true;
	} else {
		CERTA_FAIL(CERTA_E_PARSE, "upstream '%s': expected "
		    "tcp://HOST:PORT or http://HOST:PORT", u);
	}
	CERTA_TRY(gate_split_addr("upstream", u, in->up_host,
	    sizeof(in->up_host), &in->up_port, err));
	snprintf(in->up_authority, sizeof(in->up_authority), "%s%s%s:%u",
	    strchr(in->up_host, ':') != NULL ? "[" : "", in->up_host,
	    strchr(in->up_host, ':') != NULL ? "]" : "",
	    (unsigned)in->up_port);
	CERTA_CHECK(in->up_port != 0, CERTA_E_PARSE, "upstream '%s': port 0",
	    in->c.upstream);
	CERTA_CHECK(!in->http || !in->c.proxy_protocol, CERTA_E_PARSE,
	    "upstream %s: the PROXY protocol goes with tcp:// upstreams (http "
	    "ones get X-Forwarded-Client-Cert)", in->c.upstream);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", (unsigned)in->up_port);
	e = getaddrinfo(in->up_host, port, &hints, &res);
	CERTA_CHECK(e == 0 && res != NULL, CERTA_E_IO, "upstream %s: %s",
	    in->c.upstream, gai_strerror(e));
	CERTA_CHECK(res->ai_addrlen <= sizeof(in->up_addr), CERTA_E_IO,
	    "upstream address too long");
	memcpy(&in->up_addr, res->ai_addr, res->ai_addrlen);
	in->up_len = res->ai_addrlen;
out:
	if (res != NULL)
		freeaddrinfo(res);
	return rc;
}

certa_rc
gate_ingress_start(struct gate_common *g,
    const struct certa_gate_ingress_cfg *c, struct gate_ingress **out,
    struct certa_err *err)
{
	struct gate_ingress	*in = NULL;
	struct certa_http_opts	 ho;
	struct addrinfo		 hints, *res = NULL;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			 host[256], port[8];
	uint16_t		 p;
	int			 e;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	if (verdict_idx < 0)
		verdict_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL,
		    verdict_free);
	CERTA_CHECK(verdict_idx >= 0, CERTA_E_CRYPTO, "SSL ex_data index");
	CERTA_CHECK((in = calloc(1, sizeof(*in))) != NULL, CERTA_E_NOMEM,
	    "oom");
	in->g = g;
	in->c = *c;
	snprintf(in->name, sizeof(in->name), "ingress %s", c->listen);
	in->follow_mode = c->mode == NULL;
	in->follow_ar = !c->auto_reject && !c->auto_reject_set;
	in->auto_reject = c->auto_reject;
	in->mode = CERTA_SETTINGS_DEFAULT_MODE;
	if (!in->follow_mode)
		CERTA_TRY(certa_trust_mode_parse(c->mode, &in->mode, err));
	settings_refresh(in);
	CERTA_TRY(gate_split_addr("listen", c->listen, host, sizeof(host), &p,
	    err));
	CERTA_TRY(resolve_upstream(in, err));
	CERTA_TRY(tls_setup(in, host, err));
	if (in->http) {
		memset(&ho, 0, sizeof(ho));
		ho.addr = host;
		ho.port = p;
		ho.max_conns = c->max_conns;
		ho.max_conns_per_addr = c->max_conns;
		ho.request_timeout = c->handshake_timeout;
		ho.idle_timeout = c->idle_timeout;
		ho.max_body = IN_MAX_BODY;
		ho.max_headers = 32 * 1024;
		ho.tls = in->tls;
		CERTA_TRY(certa_http_new(g->base, &ho, &in->srv, err));
		CERTA_TRY(certa_http_route(in->srv, "/", false, CERTA_HTTP_ALL,
		    h_forward, in, err));
		in->port = certa_http_port(in->srv);
	} else {
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
		snprintf(port, sizeof(port), "%u", (unsigned)p);
		e = getaddrinfo(host, port, &hints, &res);
		CERTA_CHECK(e == 0 && res != NULL, CERTA_E_PARSE, "listen %s: "
		    "%s", c->listen, gai_strerror(e));
		in->lst = evconnlistener_new_bind(g->base, on_accept, in,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
		    res->ai_addr, (int)res->ai_addrlen);
		CERTA_CHECK(in->lst != NULL, CERTA_E_IO, "cannot listen on "
		    "%s: %s", c->listen, strerror(errno));
		CERTA_CHECK(getsockname(evconnlistener_get_fd(in->lst),
		    (struct sockaddr *)&ss, &sl) == 0, CERTA_E_IO,
		    "getsockname: %s", strerror(errno));
		in->port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	}
	*out = in;
	in = NULL;
out:
	if (res != NULL)
		freeaddrinfo(res);
	gate_ingress_free(in);
	return rc;
}

uint16_t
gate_ingress_port(const struct gate_ingress *in)
{
	return in->port;
}

void
gate_ingress_stop(struct gate_ingress *in)
{
	if (in == NULL)
		return;
	if (in->lst != NULL)
		evconnlistener_disable(in->lst);
	if (in->srv != NULL)
		certa_http_stop_accepting(in->srv);
}

size_t
gate_ingress_conns(const struct gate_ingress *in)
{
	if (in == NULL)
		return 0;
	return in->srv != NULL ? certa_http_conns(in->srv) : in->nconns;
}

void
gate_ingress_free(struct gate_ingress *in)
{
	if (in == NULL)
		return;
	if (in->lst != NULL)
		evconnlistener_free(in->lst);
	certa_http_free(in->srv);	/* returns connections to the pool */
	while (in->npool > 0)
		evhttp_connection_free(in->pool[--in->npool]);
	SSL_CTX_free(in->tls);
	free(in);
}
