/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PostgreSQL change feed: how a cluster node learns, within
 * milliseconds and without polling the database, that another node changed
 * the trust store or revoked a certificate (certa_store_watch in
 * include/certa/store.h).
 *
 * HOW IT WORKS.  Every trust-generation bump in postgres.c is one
 * statement that also calls pg_notify('certa_trust', <new generation>);
 * PostgreSQL delivers the notification to every listening session when,
 * and only when, the transaction commits.  Per DSN and process there is one
 * feed: a thread with its own connection that LISTENs on the channel and
 * keeps the newest generation it has heard of, so that
 * certa_store_trust_generation_fast answers a handshake's staleness check
 * from memory instead of with a round trip.
 *
 * No missed change.  On every (re)connection the thread first runs LISTEN
 * on its own, so that it is committed (a LISTEN takes effect when its
 * transaction commits: sent in one query string with the read, a commit
 * between the read's snapshot and the LISTEN's commit would be in
 * neither), and only then reads the generation: a commit before the read
 * is in the read, a commit after it is notified.  Until that read has
 * come back the feed is not live, and fast reads go to the database;
 * callbacks run once it is (a resynchronisation: the watcher re-reads
 * what it keeps, e.g. the OCSP responder's audit poll).  Every 2 s the
 * thread reads the generation again, which repairs a lost notification
 * (and then runs the callbacks) and proves the connection alive: an
 * answer that does not come within 2 s, a closed socket or an error end
 * the connection (the feed stops being live at once, and says so on
 * stderr) and the thread reconnects after a backoff of 100 ms doubling to
 * 5 s, reset only by a successful resynchronisation.  TCP keepalives are
 * on as well.  (libpq resolves a host name synchronously: with a name
 * rather than an address in the DSN, a stop may wait for the resolver.)
 *
 * Generations from notifications and from this process's own commits
 * (pg_feed_publish, called after COMMIT returns) only move the feed
 * forward, and count in f->moves; a read is authoritative (a restored
 * database may be behind) unless the feed moved forward while it was in
 * flight, when the larger value stays.  None of them ever shows a
 * generation that is not committed.
 *
 * Threads.  feeds_mu guards the list of feeds, their reference counts,
 * generation and liveness; a feed's cb_mu guards its watchers, and
 * callbacks run under it, so after certa_store_unwatch returns a
 * watcher's callback never runs again.  The last unwatch stops the thread
 * (a byte on its stop pipe) and joins it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <certa/util.h>

#include "store/pg_feed.h"
#include "store/store_impl.h"
#include "util/util.h"

#define FEED_CHECK_MS		2000	/* the periodic generation read */
#define FEED_ANSWER_MS		2000	/* ... must be answered within */
#define FEED_CONNECT_MS		5000
#define FEED_BACKOFF_MIN_MS	100
#define FEED_BACKOFF_MAX_MS	5000
#define FEED_READ_SQL		"SELECT generation FROM trust_generation " \
				"WHERE id = 1"

struct pg_feed;

struct certa_store_watch {
	struct certa_store_watch_base	 base;
	struct pg_feed			*feed;	/* borrowed; held by refs */
	certa_store_change_fn		 fn;
	void				*arg;
	struct certa_store_watch	*next;
};

struct pg_feed {
	struct pg_feed		*next;		/* feeds_mu */
	char			*dsn;		/* owns; may hold a password */
	char			*label;		/* owns */
	unsigned		 refs;		/* feeds_mu: watchers */
	uint64_t		 gen;		/* feeds_mu */
	uint64_t		 moves;		/* feeds_mu: forward moves */
	bool			 live;		/* feeds_mu */
	pthread_t		 thr;
	int			 stop[2];	/* pipe: a byte stops thr */
	pthread_mutex_t		 cb_mu;
	struct certa_store_watch *watchers;	/* cb_mu */
};

static pthread_mutex_t	 feeds_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pg_feed	*feeds;

/* feeds_mu held. */
static struct pg_feed *
feed_find(const char *dsn)
{
	struct pg_feed	*f;

	for (f = feeds; f != NULL; f = f->next)
		if (strcmp(f->dsn, dsn) == 0)
			return f;
	return NULL;
}

/*
 * Wait until fd is ready for ev (fd < 0: only wait), the stop pipe is
 * readable (-1), or deadline passes (0).  1: fd is ready.
 */
static int
feed_wait(struct pg_feed *f, int fd, short ev, int64_t deadline)
{
	struct pollfd	 p[2];
	int64_t		 left;
	int		 n;

	for (;;) {
		left = deadline - certa_mono_ms();
		if (left < 0)
			left = 0;
		p[0].fd = f->stop[0];
		p[0].events = POLLIN;
		p[1].fd = fd;
		p[1].events = ev;
		p[0].revents = p[1].revents = 0;
		n = poll(p, fd >= 0 ? 2 : 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)		/* ENOMEM and the like: as a timeout */
			return 0;
		if (p[0].revents != 0)
			return -1;
		if (n > 0 && p[1].revents != 0)
			return 1;
		if (left == 0)
			return 0;
	}
}

/* A connected session (asynchronously, so that a stop is never late). */
static PGconn *
feed_connect(struct pg_feed *f, bool *stopping)
{
	static const char *const keys[] = { "connect_timeout",
	    "application_name", "keepalives", "keepalives_idle",
	    "keepalives_interval", "keepalives_count", "dbname", NULL };
	const char		*vals[] = { "5", "certa-feed", "1", "5", "2",
				    "3", f->dsn, NULL };
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	int64_t			 deadline = certa_mono_ms() + FEED_CONNECT_MS;
	PGconn			*c;
	int			 r;

	c = PQconnectStartParams(keys, vals, 1);
	if (c == NULL || PQstatus(c) == CONNECTION_BAD)
		goto fail;
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED)
			goto fail;
		r = feed_wait(f, PQsocket(c), st == PGRES_POLLING_READING ?
		    POLLIN : POLLOUT, deadline);
		if (r < 0) {
			*stopping = true;
			goto fail;
		}
		if (r == 0)
			goto fail;
		st = PQconnectPoll(c);
	}
	return c;
fail:
	PQfinish(c);
	return NULL;
}

/* Move the feed forward to gen (a notification, a local commit). */
static void
feed_forward(struct pg_feed *f, uint64_t gen)
{
	if (gen > f->gen) {
		f->gen = gen;
		f->moves++;
	}
}

/*
 * A read of the database came back with gen (sent when f->moves was
 * moves0): the feed is live at it, or at a larger value it moved to
 * meanwhile.  True when the generation changed.
 */
static bool
feed_read(struct pg_feed *f, uint64_t gen, uint64_t moves0)
{
	bool	 changed;

	pthread_mutex_lock(&feeds_mu);
	if (f->moves != moves0 && f->gen > gen)
		gen = f->gen;
	changed = gen != f->gen || !f->live;
	f->gen = gen;
	f->live = true;
	pthread_mutex_unlock(&feeds_mu);
	return changed;
}

static void
feed_down(struct pg_feed *f)
{
	bool	 was;

	pthread_mutex_lock(&feeds_mu);
	was = f->live;
	f->live = false;
	pthread_mutex_unlock(&feeds_mu);
	if (was)
		fprintf(stderr, "certa: change feed of PostgreSQL %s lost; "
		    "reading the generation from the database until it is "
		    "back\n", f->label);
}

static void
feed_fire(struct pg_feed *f)
{
	struct certa_store_watch	*w;
	uint64_t			 gen;

	pthread_mutex_lock(&feeds_mu);
	gen = f->gen;
	pthread_mutex_unlock(&feeds_mu);
	pthread_mutex_lock(&f->cb_mu);
	for (w = f->watchers; w != NULL; w = w->next)
		if (w->fn != NULL)
			w->fn(gen, w->arg);
	pthread_mutex_unlock(&f->cb_mu);
}

static bool
parse_gen(const char *s, uint64_t *out)
{
	char			*end;
	unsigned long long	 v;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = (uint64_t)v;
	return true;
}

/* The query in flight and what its results said so far. */
enum feed_q { FQ_NONE, FQ_LISTEN, FQ_RESYNC, FQ_CHECK };

struct feed_query {
	enum feed_q	 kind;
	int64_t		 due;		/* answer by */
	uint64_t	 moves0;	/* f->moves when it was sent */
	uint64_t	 gen;		/* read, when have */
	bool		 have;
	bool		 failed;
};

static bool
feed_send(struct pg_feed *f, PGconn *c, struct feed_query *q,
    enum feed_q kind)
{
	memset(q, 0, sizeof(*q));
	pthread_mutex_lock(&feeds_mu);
	q->moves0 = f->moves;
	pthread_mutex_unlock(&feeds_mu);
	if (PQsendQuery(c, kind == FQ_LISTEN ? "LISTEN " PG_FEED_CHANNEL :
	    FEED_READ_SQL) != 1)
		return false;
	q->kind = kind;
	q->due = certa_mono_ms() + FEED_ANSWER_MS;
	return true;
}

/*
 * Collect what has arrived of q's results.  -1: the connection is
 * unusable; 0: not complete yet; 1: complete.
 */
static int
feed_results(PGconn *c, struct feed_query *q)
{
	PGresult	*r;

	while (!PQisBusy(c)) {
		if ((r = PQgetResult(c)) == NULL)
			return q->failed ? -1 : 1;
		if (PQresultStatus(r) == PGRES_TUPLES_OK &&
		    q->kind != FQ_LISTEN) {
			if (PQntuples(r) == 1 &&
			    parse_gen(PQgetvalue(r, 0, 0), &q->gen))
				q->have = true;
			else
				q->failed = true;	/* no generation row */
		} else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			q->failed = true;
		}
		PQclear(r);
	}
	return 0;
}

/* Drain notifications; true when there was at least one. */
static bool
feed_notifies(struct pg_feed *f, PGconn *c)
{
	PGnotify	*n;
	uint64_t	 gen;
	bool		 any = false;

	while ((n = PQnotifies(c)) != NULL) {
		if (strcmp(n->relname, PG_FEED_CHANNEL) == 0) {
			any = true;
			if (parse_gen(n->extra, &gen)) {
				pthread_mutex_lock(&feeds_mu);
				feed_forward(f, gen);
				pthread_mutex_unlock(&feeds_mu);
			}
		}
		PQfreemem(n);
	}
	return any;
}

static void *
feed_main(void *arg)
{
	struct pg_feed		*f = arg;
	PGconn			*c = NULL;
	struct feed_query	 q = { .kind = FQ_NONE };
	int64_t			 check_at = 0;
	int			 backoff = FEED_BACKOFF_MIN_MS, r;
	bool			 stopping = false;

	for (;;) {
		if (c == NULL) {
			c = feed_connect(f, &stopping);
			if (stopping)
				break;
			if (c == NULL || !feed_send(f, c, &q, FQ_LISTEN))
				goto drop;
		}
		r = feed_wait(f, PQsocket(c), POLLIN, q.kind != FQ_NONE ?
		    q.due : check_at);
		if (r < 0)
			break;
		if (r == 0 && q.kind != FQ_NONE)
			goto drop;		/* no answer: assume it dead */
		if (r == 0) {
			if (!feed_send(f, c, &q, FQ_CHECK))
				goto drop;
			continue;
		}
		if (PQconsumeInput(c) != 1)
			goto drop;
		if (q.kind != FQ_NONE) {
			if ((r = feed_results(c, &q)) < 0 ||
			    (r == 1 && q.kind != FQ_LISTEN && !q.have))
				goto drop;
			if (r == 1 && q.kind == FQ_LISTEN) {
				if (!feed_send(f, c, &q, FQ_RESYNC))
					goto drop;
			} else if (r == 1) {
				/* Live; the watchers hear of a resync and
				 * of anything a check repaired. */
				if (feed_read(f, q.gen, q.moves0) ||
				    q.kind == FQ_RESYNC)
					feed_fire(f);
				if (q.kind == FQ_RESYNC)
					backoff = FEED_BACKOFF_MIN_MS;
				q.kind = FQ_NONE;
				check_at = certa_mono_ms() + FEED_CHECK_MS;
			}
		}
		/* Before the resync, notifications wait in libpq. */
		if (q.kind != FQ_LISTEN && q.kind != FQ_RESYNC &&
		    feed_notifies(f, c))
			feed_fire(f);
		continue;
drop:
		feed_down(f);
		PQfinish(c);
		c = NULL;
		q.kind = FQ_NONE;
		if (feed_wait(f, -1, 0, certa_mono_ms() + backoff) < 0)
			break;
		backoff = backoff * 2 > FEED_BACKOFF_MAX_MS ?
		    FEED_BACKOFF_MAX_MS : backoff * 2;
	}
	pthread_mutex_lock(&feeds_mu);
	f->live = false;
	pthread_mutex_unlock(&feeds_mu);
	PQfinish(c);
	return NULL;
}

static void
feed_free(struct pg_feed *f)
{
	if (f == NULL)
		return;
	if (f->stop[0] >= 0)
		close(f->stop[0]);
	if (f->stop[1] >= 0)
		close(f->stop[1]);
	pthread_mutex_destroy(&f->cb_mu);
	if (f->dsn != NULL)
		certa_free_secret(f->dsn, strlen(f->dsn) + 1);
	free(f->label);
	free(f);
}

/* A new feed with its thread running (feeds_mu held). */
static certa_rc
feed_new(const char *dsn, const char *label, struct pg_feed **out,
    struct certa_err *err)
{
	struct pg_feed	*f;
	int		 e;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK((f = calloc(1, sizeof(*f))) != NULL, CERTA_E_NOMEM,
	    "oom");
	f->stop[0] = f->stop[1] = -1;
	pthread_mutex_init(&f->cb_mu, NULL);
	CERTA_CHECK((f->dsn = certa_strdup(dsn)) != NULL &&
	    (f->label = certa_strdup(label)) != NULL, CERTA_E_NOMEM, "oom");
	CERTA_CHECK(pipe(f->stop) == 0, CERTA_E_IO, "start the change feed "
	    "of PostgreSQL %s: pipe: %s", label, strerror(errno));
	(void)fcntl(f->stop[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(f->stop[1], F_SETFD, FD_CLOEXEC);
	e = certa_thread_start(&f->thr, feed_main, f);
	CERTA_CHECK(e == 0, CERTA_E_INTERNAL, "start the change feed of "
	    "PostgreSQL %s: %s", label, strerror(e));
	*out = f;
	f = NULL;
out:
	feed_free(f);
	return rc;
}

static void
feed_unwatch(struct certa_store_watch *w)
{
	struct pg_feed	 *f = w->feed, **pp;
	struct certa_store_watch **wp;
	bool		  last;

	pthread_mutex_lock(&f->cb_mu);
	for (wp = &f->watchers; *wp != NULL; wp = &(*wp)->next)
		if (*wp == w) {
			*wp = w->next;
			break;
		}
	pthread_mutex_unlock(&f->cb_mu);
	free(w);

	pthread_mutex_lock(&feeds_mu);
	last = --f->refs == 0;
	if (last)
		for (pp = &feeds; *pp != NULL; pp = &(*pp)->next)
			if (*pp == f) {
				*pp = f->next;
				break;
			}
	pthread_mutex_unlock(&feeds_mu);
	if (!last)
		return;
	while (write(f->stop[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(f->thr, NULL);
	feed_free(f);
}

certa_rc
pg_feed_watch(const char *dsn, const char *label, certa_store_change_fn fn,
    void *arg, struct certa_store_watch **out, struct certa_err *err)
{
	struct certa_store_watch *w = NULL;
	struct pg_feed		 *f;
	certa_rc		  rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK((w = calloc(1, sizeof(*w))) != NULL, CERTA_E_NOMEM,
	    "oom");
	w->base.unwatch = feed_unwatch;
	w->fn = fn;
	w->arg = arg;
	pthread_mutex_lock(&feeds_mu);
	if ((f = feed_find(dsn)) == NULL) {
		rc = feed_new(dsn, label, &f, err);
		if (rc == CERTA_OK) {
			f->next = feeds;
			feeds = f;
		}
	}
	if (rc == CERTA_OK)
		f->refs++;
	pthread_mutex_unlock(&feeds_mu);
	CERTA_TRY(rc);
	w->feed = f;
	pthread_mutex_lock(&f->cb_mu);
	w->next = f->watchers;
	f->watchers = w;
	pthread_mutex_unlock(&f->cb_mu);
	*out = w;
	w = NULL;
out:
	free(w);
	return rc;
}

bool
pg_feed_generation(const char *dsn, uint64_t *out)
{
	struct pg_feed	*f;
	bool		 live = false;

	pthread_mutex_lock(&feeds_mu);
	if ((f = feed_find(dsn)) != NULL && f->live) {
		*out = f->gen;
		live = true;
	}
	pthread_mutex_unlock(&feeds_mu);
	return live;
}

void
pg_feed_publish(const char *dsn, uint64_t gen)
{
	struct pg_feed	*f;

	pthread_mutex_lock(&feeds_mu);
	if ((f = feed_find(dsn)) != NULL && f->live)
		feed_forward(f, gen);
	pthread_mutex_unlock(&feeds_mu);
}
