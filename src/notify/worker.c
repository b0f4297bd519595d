/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's notification scheduler: one thread with its own context
 * (its own store connection), so that a slow webhook or mail server never
 * stalls the event loop.  It runs a pass at start and then every interval
 * seconds, while active (the daemon says when: the node holding the
 * periodic jobs' lease); activation runs one at once.  stop wakes it and
 * joins.  Signals stay with the main thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <certa/notify.h>
#include <certa/util.h>

#include "util/util.h"

struct certa_notify_worker {
	struct certa_ctx	*ctx;		/* owns; used by the thread */
	int64_t			 interval;
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	bool			 stop;		/* under mu */
	bool			 active;	/* under mu */
	bool			 kick;		/* under mu: pass now */
};

static void
one_pass(struct certa_notify_worker *w)
{
	struct certa_notify_stats	 s;
	struct certa_err		 err;

	certa_err_clear(&err);
	if (certa_notify_run(w->ctx, 0, &s, &err) != CERTA_OK) {
		fprintf(stderr, "certa serve: notify: %s\n", err.msg[0] ?
		    err.msg : "failed");
		return;
	}
	if (s.attempted > 0 || s.claimed > 0)
		fprintf(stderr, "certa serve: notify: %zu new notices, %zu "
		    "delivered, %zu to retry, %zu failed\n", s.claimed,
		    s.delivered, s.retrying, s.failed);
}

static void *
run(void *arg)
{
	struct certa_notify_worker	*w = arg;
	struct timespec			 until;
	bool				 stop = false, active;

	pthread_mutex_lock(&w->mu);
	active = w->active;
	pthread_mutex_unlock(&w->mu);
	while (!stop) {
		if (active)
			one_pass(w);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)w->interval;
		pthread_mutex_lock(&w->mu);
		while (!w->stop && !w->kick && pthread_cond_timedwait(&w->cv,
		    &w->mu, &until) != ETIMEDOUT)
			;
		w->kick = false;
		stop = w->stop;
		active = w->active;
		pthread_mutex_unlock(&w->mu);
	}
	return NULL;
}

certa_rc
certa_notify_worker_start(const char *dir, const char *pass_file,
    int64_t interval, bool active, struct certa_notify_worker **out,
    struct certa_err *err)
{
	struct certa_notify_worker	*w = NULL;
	int				 e;
	certa_rc			 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK(interval > 0, CERTA_E_INVAL, "notify: interval must be "
	    "positive");
	CERTA_CHECK((w = calloc(1, sizeof(*w))) != NULL, CERTA_E_NOMEM,
	    "notify: out of memory");
	w->interval = interval;
	w->active = active;
	CERTA_TRY(certa_open(dir, pass_file, &w->ctx, err));
	certa_ctx_set_actor(w->ctx, "serve:notify");
	CERTA_CHECK(pthread_mutex_init(&w->mu, NULL) == 0 &&
	    pthread_cond_init(&w->cv, NULL) == 0, CERTA_E_INTERNAL,
	    "notify: create a lock");
	e = certa_thread_start(&w->thread, run, w);
	CERTA_CHECK(e == 0, CERTA_E_INTERNAL, "notify: start the scheduler "
	    "thread: %s", strerror(e));
	*out = w;
	w = NULL;
out:
	if (w != NULL) {
		certa_close(w->ctx);
		free(w);
	}
	return rc;
}

void
certa_notify_worker_set_active(struct certa_notify_worker *w, bool active)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	if (active && !w->active) {
		w->kick = true;
		pthread_cond_signal(&w->cv);
	}
	w->active = active;
	pthread_mutex_unlock(&w->mu);
}

void
certa_notify_worker_stop(struct certa_notify_worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	(void)pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	certa_close(w->ctx);
	free(w);
}
