/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP/1.1 server glue over libevent 2.1 evhttp: routing by path prefix,
 * limits (header and body sizes, a per-request deadline, a global and a
 * per-address connection cap), TCP_NODELAY on every accepted socket, and a
 * JSON-lines access log with request ids.  Endpoints (ocsp_http.c,
 * dist_http.c) see only this header, never evhttp.
 *
 * Single-threaded: everything runs on the event_base given at creation.
 */
#ifndef CERTA_PROTO_HTTP_H
#define CERTA_PROTO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <certa/err.h>

struct event_base;
struct certa_http;
struct certa_http_req;

typedef void (*certa_http_fn)(struct certa_http_req *, void *arg);

enum certa_http_method {
	CERTA_HTTP_GET = 1,
	CERTA_HTTP_HEAD = 2,
	CERTA_HTTP_POST = 4,
	CERTA_HTTP_OTHER = 8,
	CERTA_HTTP_PUT = 16,
	CERTA_HTTP_DELETE = 32,
	CERTA_HTTP_PATCH = 64,
	CERTA_HTTP_ALL = 127
};

struct certa_http_opts {
	const char	*addr;		/* "127.0.0.1", "::1", "0.0.0.0" */
	uint16_t	 port;		/* 0: any free port */
	size_t		 max_conns;	/* global cap; default 4096 */
	size_t		 max_conns_per_addr; /* default 512 */
	int		 request_timeout; /* s from connect (or the previous
					 * response) to a complete request;
					 * default 10 */
	int		 idle_timeout;	/* evhttp's per-read/write timer (s);
					 * default 60 */
	size_t		 max_headers;	/* bytes; default 8 KiB */
	size_t		 max_body;	/* bytes; default CERTA_MAX_OCSP_REQ */
	FILE		*log;		/* borrowed; NULL: no access log */
	SSL_CTX		*tls;		/* borrowed; NULL: plain HTTP.  The
					 * request deadline covers the
					 * handshake. */
};

/*
 * Listen on addr:port.  IO when the address cannot be bound, PARSE for a
 * bad address.  The server is freed with certa_http_free (which closes
 * every connection).
 */
CERTA_MUST_USE certa_rc certa_http_new(struct event_base *base,
    const struct certa_http_opts *opts, struct certa_http **out,
    struct certa_err *err);
void	certa_http_free(struct certa_http *);
/* The bound port (useful with port 0). */
uint16_t certa_http_port(const struct certa_http *);
/* Connections open now. */
size_t	certa_http_conns(const struct certa_http *);
/* Switch the access log (after a reopen); NULL: none. */
void	certa_http_set_log(struct certa_http *, FILE *log);
/* Stop accepting (drain on SIGTERM); open connections stay. */
void	certa_http_stop_accepting(struct certa_http *);
/* Connections with response bytes not yet written. */
size_t	certa_http_busy(const struct certa_http *);

/*
 * Route requests whose path equals (exact) or starts with prefix to fn,
 * for the methods in the mask (others get 405 with Allow).  Unrouted
 * paths get 404.  At most 16 routes; INVAL beyond.
 */
CERTA_MUST_USE certa_rc certa_http_route(struct certa_http *,
    const char *prefix, bool exact, unsigned methods, certa_http_fn fn,
    void *arg, struct certa_err *err);

/* Inside a handler.  Strings are borrowed for the handler's duration. */
enum certa_http_method certa_http_req_method(const struct certa_http_req *);
/* The path, percent-decoded ('+' kept), without the query. */
const char *certa_http_req_path(const struct certa_http_req *);
const char *certa_http_req_header(const struct certa_http_req *,
    const char *name);
/* The request target as sent (path and query, not decoded). */
const char *certa_http_req_uri(const struct certa_http_req *);
/* A query parameter, decoded; NULL when absent or the query is bad. */
const char *certa_http_req_query(struct certa_http_req *, const char *name);
/* The method as sent ("GET", "PATCH", ...). */
const char *certa_http_req_method_name(const struct certa_http_req *);
/* The peer's address ("127.0.0.1"); "?" when unknown. */
const char *certa_http_req_peer(const struct certa_http_req *);
/* The request id (also in X-Request-Id and the access log). */
const char *certa_http_req_id(const struct certa_http_req *);
/*
 * TLS listeners: the client's certificate and the chain it sent (both
 * borrowed, NULL without TLS or certificate).  The handshake does not
 * judge them; the endpoint does (with the trust engine).
 */
X509	*certa_http_req_peer_cert(const struct certa_http_req *);
/* The connection's SSL (borrowed); NULL without TLS. */
SSL	*certa_http_req_ssl(const struct certa_http_req *);
/* The evhttp request (for a proxy that copies it; borrowed). */
struct evhttp_request *certa_http_req_evreq(const struct certa_http_req *);
STACK_OF(X509) *certa_http_req_peer_chain(const struct certa_http_req *);
/*
 * Per-connection data of an endpoint (e.g. the client certificate's
 * verdict): get returns what set stored, NULL at first; free_fn runs when
 * the connection closes or set replaces it.  Untracked connections keep
 * nothing (set frees at once).
 */
void	*certa_http_conn_get(const struct certa_http_req *);
void	certa_http_conn_set(struct certa_http_req *, void *data,
    void (*free_fn)(void *));
/* The body, contiguous; borrowed. */
const uint8_t *certa_http_req_body(struct certa_http_req *, size_t *len);
/* An extra field for the access-log line (value copied, <= 31 bytes). */
void	certa_http_req_note(struct certa_http_req *, const char *value);
/* Add a response header. */
void	certa_http_header(struct certa_http_req *, const char *name,
    const char *value);
/*
 * Answer later (after the handler returned): the returned copy stands for
 * the request and is freed by its reply, which must come (the event loop
 * keeps the connection waiting).  NULL when it cannot be made (answer
 * now).  Body and headers stay readable until the reply.
 */
struct certa_http_req *certa_http_req_defer(struct certa_http_req *);
/* Send the response (body omitted on HEAD); once per request. */
void	certa_http_reply(struct certa_http_req *, int status,
    const char *content_type, const void *body, size_t len);
/* A short text/plain error response. */
void	certa_http_error(struct certa_http_req *, int status,
    const char *msg);
/* "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 §5.6.7) into out[30]. */
void	certa_http_date(int64_t t, char out[30]);

#endif
