/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Load generator for bench/gate.sh: HTTP/1.1 keep-alive GETs over TLS with
 * a client certificate (wrk and h2load cannot present one; Python asyncio
 * ssl saturates a core at a few thousand requests per second).  One thread
 * per connection, blocking OpenSSL I/O, one request in flight per
 * connection.  Handshakes happen before the measurement; a connection the
 * server closes is reopened (counted in "reconnects").  Not part of CI.
 *
 * usage: gate_load [-c CONNS] [-d SECS] [-w WARMUP] [-2|-3] -C CERT -K KEY
 *                  HOST PORT PATH
 * Prints one JSON object: requests, ok (status 200), errors, reconnects,
 * seconds, rps.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

struct worker {
	pthread_t	 th;
	unsigned long	 ok, bad, reconnects;	/* read with __atomic */
	bool		 ready, failed;
};

static SSL_CTX		*ctx;
static const char	*host, *port, *path;
static char		 req[512];
static size_t		 reqlen;
static int		 stop;			/* __atomic */
static pthread_barrier_t bar;

static void
die(const char *m)
{
	fprintf(stderr, "gate_load: %s\n", m);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static SSL *
open_conn(void)
{
	struct addrinfo	 hints, *ai = NULL;
	SSL		*ssl;
	int		 fd, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL)
		return NULL;
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return NULL;
	}
	freeaddrinfo(ai);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((ssl = SSL_new(ctx)) == NULL || !SSL_set_fd(ssl, fd) ||
	    SSL_connect(ssl) != 1) {
		SSL_free(ssl);
		close(fd);
		return NULL;
	}
	return ssl;
}

static void
close_conn(SSL *ssl)
{
	int	fd;

	if (ssl == NULL)
		return;
	fd = SSL_get_fd(ssl);
	SSL_free(ssl);
	close(fd);
}

/*
 * One request, one response.  Returns the status code, 0 on a broken
 * connection; *keep is false when the server will close.
 */
static int
exchange(SSL *ssl, bool *keep)
{
	char	 buf[16384], *hend, *p;
	size_t	 have = 0, need;
	long	 clen = -1;
	int	 n, status = 0;
	bool	 chunked = false;

	*keep = true;
	if (SSL_write(ssl, req, (int)reqlen) != (int)reqlen)
		return 0;
	for (;;) {
		if (have == sizeof(buf) - 1)
			return 0;
		if ((n = SSL_read(ssl, buf + have, (int)(sizeof(buf) - 1 -
		    have))) <= 0)
			return 0;
		have += (size_t)n;
		buf[have] = '\0';
		if ((hend = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return 0;
	*hend = '\0';
	for (p = strstr(buf, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, "content-length:", 15) == 0)
			clen = strtol(p + 17, NULL, 10);
		else if (strncasecmp(p + 2, "transfer-encoding:", 18) == 0 &&
		    strstr(p + 20, "chunked") != NULL)
			chunked = true;
		else if (strncasecmp(p + 2, "connection:", 11) == 0 &&
		    strncasecmp(p + 12 + strspn(p + 12, " "), "close", 5) == 0)
			*keep = false;
	}
	*hend = '\r';
	hend += 4;
	if (chunked) {		/* small bodies: until the last chunk */
		while (strstr(hend, "0\r\n\r\n") == NULL) {
			if (have == sizeof(buf) - 1)
				return 0;
			if ((n = SSL_read(ssl, buf + have, (int)(sizeof(buf) -
			    1 - have))) <= 0)
				return 0;
			have += (size_t)n;
			buf[have] = '\0';
		}
		return status;
	}
	if (clen < 0) {		/* until close */
		while (SSL_read(ssl, buf, sizeof(buf)) > 0)
			;
		*keep = false;
		return status;
	}
	need = (size_t)(hend - buf) + (size_t)clen;
	while (have < need) {
		if ((n = SSL_read(ssl, buf, (int)(need - have < sizeof(buf) ?
		    need - have : sizeof(buf)))) <= 0)
			return 0;
		have += (size_t)n;
	}
	return status;
}

static void *
run(void *arg)
{
	struct worker	*w = arg;
	SSL		*ssl = open_conn();
	bool		 keep;
	int		 st;

	w->failed = ssl == NULL;
	pthread_barrier_wait(&bar);
	while (ssl != NULL && !__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		st = exchange(ssl, &keep);
		if (st == 200)
			__atomic_add_fetch(&w->ok, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&w->bad, 1, __ATOMIC_RELAXED);
		if (st == 0 || !keep) {
			close_conn(ssl);
			ssl = open_conn();
			__atomic_add_fetch(&w->reconnects, 1,
			    __ATOMIC_RELAXED);
		}
	}
	close_conn(ssl);
	return NULL;
}

static double
now(void)
{
	struct timespec	t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
sleep_s(double s)
{
	struct timespec	t;

	t.tv_sec = (time_t)s;
	t.tv_nsec = (long)((s - (double)t.tv_sec) * 1e9);
	while (nanosleep(&t, &t) != 0)
		;
}

static void
totals(struct worker *w, int n, unsigned long *ok, unsigned long *bad,
    unsigned long *rc)
{
	int	i;

	*ok = *bad = *rc = 0;
	for (i = 0; i < n; i++) {
		*ok += __atomic_load_n(&w[i].ok, __ATOMIC_RELAXED);
		*bad += __atomic_load_n(&w[i].bad, __ATOMIC_RELAXED);
		*rc += __atomic_load_n(&w[i].reconnects, __ATOMIC_RELAXED);
	}
}

int
main(int argc, char **argv)
{
	struct worker	*w;
	const char	*cert = NULL, *key = NULL;
	double		 secs = 6, warm = 1, t0, t1;
	unsigned long	 ok0, bad0, rc0, ok1, bad1, rc1;
	int		 c = 32, ver = 0, o, i, nfail = 0;

	while ((o = getopt(argc, argv, "c:d:w:23C:K:")) != -1) {
		switch (o) {
		case 'c': c = atoi(optarg); break;
		case 'd': secs = atof(optarg); break;
		case 'w': warm = atof(optarg); break;
		case '2': ver = TLS1_2_VERSION; break;
		case '3': ver = TLS1_3_VERSION; break;
		case 'C': cert = optarg; break;
		case 'K': key = optarg; break;
		default: die("usage: gate_load [-c N] [-d S] [-w S] [-2|-3] "
		    "-C CERT -K KEY HOST PORT PATH");
		}
	}
	if (argc - optind != 3 || c < 1 || secs <= 0)
		die("usage: gate_load [-c N] [-d S] [-w S] [-2|-3] -C CERT "
		    "-K KEY HOST PORT PATH");
	signal(SIGPIPE, SIG_IGN);
	host = argv[optind];
	port = argv[optind + 1];
	path = argv[optind + 2];
	reqlen = (size_t)snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n"
	    "Host: %s\r\nUser-Agent: certa-gate-load\r\n\r\n", path, host);
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		die("SSL_CTX_new");
	if (ver != 0 && (!SSL_CTX_set_min_proto_version(ctx, ver) ||
	    !SSL_CTX_set_max_proto_version(ctx, ver)))
		die("TLS version");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (cert != NULL && (SSL_CTX_use_certificate_chain_file(ctx,
	    cert) != 1 || SSL_CTX_use_PrivateKey_file(ctx, key,
	    SSL_FILETYPE_PEM) != 1))
		die("client certificate or key");
	if ((w = calloc((size_t)c, sizeof(*w))) == NULL)
		die("oom");
	pthread_barrier_init(&bar, NULL, (unsigned)c + 1);
	for (i = 0; i < c; i++)
		if (pthread_create(&w[i].th, NULL, run, &w[i]) != 0)
			die("pthread_create");
	pthread_barrier_wait(&bar);
	for (i = 0; i < c; i++)
		nfail += w[i].failed;
	if (nfail == c)
		die("no connection could be opened");
	sleep_s(warm);
	totals(w, c, &ok0, &bad0, &rc0);
	t0 = now();
	sleep_s(secs);
	totals(w, c, &ok1, &bad1, &rc1);
	t1 = now();
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < c; i++)
		pthread_join(w[i].th, NULL);
	printf("{\"connections\": %d, \"failed_connects\": %d, "
	    "\"requests\": %lu, \"ok\": %lu, \"errors\": %lu, "
	    "\"reconnects\": %lu, \"seconds\": %.3f, \"rps\": %.0f}\n", c,
	    nfail, (ok1 - ok0) + (bad1 - bad0), ok1 - ok0, bad1 - bad0,
	    rc1 - rc0, t1 - t0, (double)(ok1 - ok0) / (t1 - t0));
	return 0;
}
