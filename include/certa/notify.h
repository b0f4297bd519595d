/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Expiry notifications (src/notify): a scheduler pass finds valid
 * certificates that crossed a threshold (days before not_after; default
 * 90, 30, 7, 1, per organisation), claims one notice per (certificate,
 * threshold, channel) in the store, and delivers due notices through
 * webhooks (JSON POST, HMAC-SHA256 signature) or SMTP (libcurl), retrying
 * with exponential backoff.  All state is in the store: a restart
 * resumes, and several nodes sharing a store never claim a threshold
 * twice (src/notify/notify.c, HOW IT WORKS).  No OpenSSL types here.
 */
#ifndef CERTA_NOTIFY_H
#define CERTA_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <certa/certa.h>
#include <certa/err.h>
#include <certa/store.h>

#define CERTA_NOTIFY_DEFAULT_THRESHOLDS	"90,30,7,1"
#define CERTA_NOTIFY_MAX_THRESHOLDS	16
#define CERTA_NOTIFY_MAX_DAYS		3650
/* Retries: after failed attempt n wait 60 s * 2^(n-1), at most 1 h; the
 * 8th failure gives up (status "failed"). */
#define CERTA_NOTIFY_RETRY_BASE		60
#define CERTA_NOTIFY_RETRY_CAP		3600
#define CERTA_NOTIFY_MAX_ATTEMPTS	8
/* Deliveries per pass (the rest wait for the next pass). */
#define CERTA_NOTIFY_PER_RUN		32
/* Transport timeouts (s): connect, whole transfer. */
#define CERTA_NOTIFY_CONNECT_TIMEOUT	5
#define CERTA_NOTIFY_TIMEOUT		10
/* meta keys of the SMTP settings. */
#define CERTA_NOTIFY_META_SMTP_URL	"notify.smtp_url"
#define CERTA_NOTIFY_META_SMTP_FROM	"notify.smtp_from"

struct certa_notify_stats {
	size_t		 due;		/* certificates inside a threshold,
					 * with a channel */
	size_t		 claimed;	/* notices claimed by this pass */
	size_t		 attempted;	/* deliveries tried */
	size_t		 delivered;
	size_t		 retrying;	/* failed, another attempt planned */
	size_t		 failed;	/* failed for good */
};

/* What a transport is asked to send. */
struct certa_notify_msg {
	const struct certa_notify_channel_rec *channel;	/* borrowed */
	int64_t		 delivery_id;	/* notice id (0: a test message) */
	const char	*json;		/* webhook body */
	const char	*subject;	/* mail Subject (one line) */
	const char	*text;		/* mail body */
	const char	*smtp_url;	/* meta notify.smtp_url, or NULL */
	const char	*smtp_from;	/* meta notify.smtp_from, or NULL */
};

struct certa_notify_result {
	bool		 ok;
	int		 code;		/* HTTP status, SMTP reply, 0 */
	char		 error[256];	/* "" when ok */
};

/* A transport: fill *res.  The default is libcurl (webhook, smtp). */
typedef void (*certa_notify_send_fn)(const struct certa_notify_msg *m,
    struct certa_notify_result *res, void *arg);

struct certa_notify_opts {
	int64_t		 now;		/* 0: the clock */
	size_t		 max_deliveries; /* 0: CERTA_NOTIFY_PER_RUN */
	certa_notify_send_fn send;	/* NULL: libcurl */
	void		*send_arg;
};

/*
 * One pass at time now: claim the notices of every certificate inside a
 * threshold (only the smallest threshold crossed: a certificate issued
 * for 5 days gets the 7-day notice, not 90, 30 and 7 at once), then
 * deliver up to CERTA_NOTIFY_PER_RUN due notices, each bounded by the
 * transport timeouts.  stats may be NULL.  STORE/AGAIN from the store;
 * delivery failures are not errors (they are logged and retried).
 */
CERTA_MUST_USE certa_rc certa_notify_run(struct certa_ctx *, int64_t now,
    struct certa_notify_stats *stats, struct certa_err *err);
CERTA_MUST_USE certa_rc certa_notify_run_ex(struct certa_ctx *,
    const struct certa_notify_opts *o, struct certa_notify_stats *stats,
    struct certa_err *err);

/*
 * "60,14,3" into out[] (descending, no duplicates), *n set.  PARSE for
 * an empty list, a value outside 1..CERTA_NOTIFY_MAX_DAYS, more than
 * CERTA_NOTIFY_MAX_THRESHOLDS values or a duplicate.
 */
CERTA_MUST_USE certa_rc certa_notify_thresholds_parse(const char *s,
    int out[CERTA_NOTIFY_MAX_THRESHOLDS], size_t *n, struct certa_err *err);
/*
 * The smallest threshold (days) that not_after is within at now, or 0
 * when none (or when it expired already).  th[] as parsed above.
 */
int	certa_notify_threshold_due(const int *th, size_t n, int64_t not_after,
	    int64_t now);
/* Seconds to wait after failed attempt n (1, 2, ...), -1: give up. */
int64_t	certa_notify_backoff(int attempt);

/*
 * Configuration; every change is audited.  kind "webhook" (target an
 * http(s) URL; secret the HMAC key, required) or "smtp" (target a mail
 * address; secret NULL).  org_ref NULL: all organisations.  *id may be
 * NULL.  PARSE for a bad URL or address, NOTFOUND for an unknown org.
 */
CERTA_MUST_USE certa_rc certa_notify_channel_add(struct certa_ctx *,
    const char *kind, const char *target, const char *secret,
    const char *org_ref, int64_t *id, struct certa_err *err);
/* NOTFOUND.  Its notices and their delivery log go with it. */
CERTA_MUST_USE certa_rc certa_notify_channel_remove(struct certa_ctx *,
    int64_t id, struct certa_err *err);
/* Thresholds of an organisation ("60,14,3"; NULL: back to the default). */
CERTA_MUST_USE certa_rc certa_notify_thresholds_set(struct certa_ctx *,
    const char *org_ref, const char *thresholds, struct certa_err *err);
/*
 * An organisation's settings: its thresholds (parsed, descending; the
 * default when none were set) and whether it is enabled.  NOTFOUND for
 * an unknown org.
 */
CERTA_MUST_USE certa_rc certa_notify_org_get(struct certa_ctx *,
    const char *org_ref, int th[CERTA_NOTIFY_MAX_THRESHOLDS], size_t *n,
    bool *enabled, struct certa_err *err);
/* Notifications on or off for an organisation, or a certificate (ref). */
CERTA_MUST_USE certa_rc certa_notify_org_enable(struct certa_ctx *,
    const char *org_ref, bool on, struct certa_err *err);
CERTA_MUST_USE certa_rc certa_notify_cert_enable(struct certa_ctx *,
    const char *cert_ref, bool on, struct certa_err *err);
/* The SMTP server ("smtp://host:port" or "smtps://...") and From. */
CERTA_MUST_USE certa_rc certa_notify_smtp_set(struct certa_ctx *,
    const char *url, const char *from, struct certa_err *err);

/* Reported per channel by certa_notify_test. */
typedef void (*certa_notify_test_fn)(const struct certa_notify_channel_rec *,
    const struct certa_notify_result *, void *arg);
/*
 * Send a test message (event "notify.test") through channel_id, or every
 * enabled channel when 0; report each result.  Nothing is recorded.
 * NOTFOUND for an unknown channel id.
 */
CERTA_MUST_USE certa_rc certa_notify_test(struct certa_ctx *,
    int64_t channel_id, certa_notify_test_fn report, void *arg,
    struct certa_err *err);

/*
 * The daemon's scheduler: a thread with its own context on dir (so
 * deliveries never block the caller's event loop) that runs a pass at
 * start and every interval seconds while it is active (in a cluster: on
 * the node that holds the periodic jobs' lease).  set_active(true) on an
 * inactive worker runs a pass at once; set_active(NULL, ...) does
 * nothing.  stop wakes it, waits for the pass in progress (at most the
 * transport timeouts per delivery) and frees.
 */
struct certa_notify_worker;
CERTA_MUST_USE certa_rc certa_notify_worker_start(const char *dir,
    const char *pass_file, int64_t interval, bool active,
    struct certa_notify_worker **out, struct certa_err *err);
void	certa_notify_worker_set_active(struct certa_notify_worker *,
	    bool active);
void	certa_notify_worker_stop(struct certa_notify_worker *);

#endif
