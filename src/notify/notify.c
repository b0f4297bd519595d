/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Expiry notifications: the scheduler pass (certa_notify_run), the
 * threshold and backoff rules, and the audited configuration calls.  It
 * talks to the store through store.h only and to the network only through
 * a transport (send.c by default); no SQL, no CA keys.
 *
 * HOW IT WORKS
 *
 * Claim.  A certificate not_after at T is within threshold t days at now
 * when T - now <= t * 86400.  Each pass looks at the valid certificates
 * with now < T <= now + (largest threshold in use), computes the smallest
 * threshold crossed, and inserts a notice (certificate, threshold,
 * channel) for every enabled channel of its organisation.  The store's
 * UNIQUE constraint makes the insert the claim: a second pass, a restart
 * or another node sharing the store gets CONFLICT and moves on, so each
 * threshold is notified once.  Larger thresholds that were skipped (a
 * certificate issued for 5 days) are never sent later: days left only
 * shrink.  Claims run outside a transaction (one statement each).
 *
 * Deliver.  A notice is due when pending and next_attempt_at <= now.  A
 * pass takes at most CERTA_NOTIFY_PER_RUN of them, oldest first; for each
 * it first moves next_attempt_at forward by a lease (compare-and-set on
 * the value it read), so two nodes never attempt the same notice at once;
 * then it sends (timeouts: 5 s connect, 10 s total) and records the
 * attempt in the delivery log and the notice in one transaction: sent,
 * pending with next_attempt_at = now + backoff, or failed after
 * CERTA_NOTIFY_MAX_ATTEMPTS.  A node that dies mid-attempt leaves the
 * lease, which expires, and the notice is attempted again: delivery is
 * at least once, and receivers can drop repeats by X-Certa-Delivery.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <certa/json.h>
#include <certa/notify.h>
#include <certa/util.h>

#include "audit/audit.h"
#include "notify/notify_impl.h"
#include "util/util.h"

/* How long an attempt holds a notice (above the transport timeouts). */
#define NOTIFY_LEASE		120
/* Candidates read per query. */
#define NOTIFY_PAGE		512
#define DAY			86400

certa_rc
certa_notify_thresholds_parse(const char *s,
    int out[CERTA_NOTIFY_MAX_THRESHOLDS], size_t *n, struct certa_err *err)
{
	const char	*p = s;
	char		*end;
	long		 v;
	size_t		 i, j;
	int		 t;
	certa_rc	 rc = CERTA_OK;

	*n = 0;
	CERTA_CHECK(s != NULL && *s != '\0', CERTA_E_PARSE, "thresholds: "
	    "expected days such as \"90,30,7,1\"");
	for (;;) {
		CERTA_CHECK(*p >= '0' && *p <= '9', CERTA_E_PARSE, "thresholds "
		    "'%.64s': expected a number of days", s);
		v = strtol(p, &end, 10);
		CERTA_CHECK(v >= 1 && v <= CERTA_NOTIFY_MAX_DAYS, CERTA_E_PARSE,
		    "thresholds '%.64s': %ld is outside 1..%d days", s, v,
		    CERTA_NOTIFY_MAX_DAYS);
		CERTA_CHECK(*n < CERTA_NOTIFY_MAX_THRESHOLDS, CERTA_E_PARSE,
		    "thresholds '%.64s': more than %d", s,
		    CERTA_NOTIFY_MAX_THRESHOLDS);
		for (i = 0; i < *n; i++)
			CERTA_CHECK(out[i] != (int)v, CERTA_E_PARSE,
			    "thresholds '%.64s': %ld twice", s, v);
		out[(*n)++] = (int)v;
		if (*end == '\0')
			break;
		CERTA_CHECK(*end == ',', CERTA_E_PARSE, "thresholds '%.64s': "
		    "expected a comma-separated list", s);
		p = end + 1;
	}
	/* Descending (insertion sort; at most 16). */
	for (i = 1; i < *n; i++)
		for (j = i; j > 0 && out[j - 1] < out[j]; j--) {
			t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
out:
	if (rc != CERTA_OK)
		*n = 0;
	return rc;
}

int
certa_notify_threshold_due(const int *th, size_t n, int64_t not_after,
    int64_t now)
{
	int64_t	 left = not_after - now;
	int	 best = 0;
	size_t	 i;

	if (left <= 0)
		return 0;
	for (i = 0; i < n; i++)
		if (left <= (int64_t)th[i] * DAY && (best == 0 || th[i] < best))
			best = th[i];
	return best;
}

int64_t
certa_notify_backoff(int attempt)
{
	int64_t	 d = CERTA_NOTIFY_RETRY_BASE;
	int	 i;

	if (attempt < 1 || attempt >= CERTA_NOTIFY_MAX_ATTEMPTS)
		return -1;
	for (i = 1; i < attempt && d < CERTA_NOTIFY_RETRY_CAP; i++)
		d *= 2;
	return d < CERTA_NOTIFY_RETRY_CAP ? d : CERTA_NOTIFY_RETRY_CAP;
}

/* --- what a pass loads first ------------------------------------------ */

struct org_th {
	int64_t		 org_id;
	bool		 enabled;
	int		 th[CERTA_NOTIFY_MAX_THRESHOLDS];
	size_t		 n;
};

struct pass {
	struct certa_ctx		*ctx;		/* borrowed */
	struct certa_store		*st;		/* borrowed */
	int64_t				 now;
	struct certa_notify_channel_rec	*ch;		/* owns; copies */
	size_t				 nch;
	struct org_th			*orgs;		/* owns */
	size_t				 norgs;
	int				 def[CERTA_NOTIFY_MAX_THRESHOLDS];
	size_t				 ndef;
	struct certa_notice_rec		*due;		/* owns */
	size_t				 ndue;
	size_t				 maxdue;
	int64_t				*cand;		/* owns; triples */
	size_t				 ncand;
	int64_t				 last_id;
};

static void
pass_free(struct pass *p)
{
	size_t	 i;

	for (i = 0; i < p->nch; i++)
		certa_notify_channel_rec_clear(&p->ch[i]);
	free(p->ch);
	free(p->orgs);
	free(p->due);
	free(p->cand);
	memset(p, 0, sizeof(*p));
}

/* Grow *arr (of size elements) to hold n + 1; false when out of memory. */
static bool
grow(void *arr, size_t n, size_t size)
{
	void	**a = arr;
	void	 *q;

	if ((n & (n - 1)) != 0 && n != 0)
		return true;		/* capacity is the next power of 2 */
	q = realloc(*a, (n == 0 ? 1 : n * 2) * size);
	if (q == NULL)
		return false;
	*a = q;
	return true;
}

static certa_rc
copy_channel(const struct certa_notify_channel_rec *r, void *arg)
{
	struct pass			*p = arg;
	struct certa_notify_channel_rec	*c;

	if (!grow(&p->ch, p->nch, sizeof(*p->ch)))
		return CERTA_E_NOMEM;
	c = &p->ch[p->nch];
	*c = *r;
	c->kind = certa_strdup(r->kind);
	c->target = certa_strdup(r->target);
	c->secret = certa_strdup(r->secret);
	p->nch++;
	if (c->kind == NULL || c->target == NULL ||
	    (r->secret != NULL && c->secret == NULL))
		return CERTA_E_NOMEM;
	return CERTA_OK;
}

static certa_rc
copy_org(const struct certa_notify_org_rec *r, void *arg)
{
	struct pass	*p = arg;
	struct org_th	*o;

	if (!grow(&p->orgs, p->norgs, sizeof(*p->orgs)))
		return CERTA_E_NOMEM;
	o = &p->orgs[p->norgs++];
	memset(o, 0, sizeof(*o));
	o->org_id = r->org_id;
	o->enabled = r->enabled;
	/* A bad stored list falls back to the default (it was checked). */
	if (r->thresholds != NULL && certa_notify_thresholds_parse(
	    r->thresholds, o->th, &o->n, NULL) == CERTA_OK)
		return CERTA_OK;
	memcpy(o->th, p->def, sizeof(o->th));
	o->n = p->ndef;
	return CERTA_OK;
}

static const struct org_th *
find_org(const struct pass *p, int64_t org_id)
{
	size_t	 i;

	for (i = 0; i < p->norgs; i++)
		if (p->orgs[i].org_id == org_id)
			return &p->orgs[i];
	return NULL;
}

static const struct certa_notify_channel_rec *
find_channel(const struct pass *p, int64_t id)
{
	size_t	 i;

	for (i = 0; i < p->nch; i++)
		if (p->ch[i].id == id)
			return &p->ch[i];
	return NULL;
}

static certa_rc
pass_load(struct pass *p, struct certa_ctx *ctx, int64_t now,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	memset(p, 0, sizeof(*p));
	p->ctx = ctx;
	p->st = certa_ctx_store(ctx);
	p->now = now;
	CERTA_TRY(certa_notify_thresholds_parse(
	    CERTA_NOTIFY_DEFAULT_THRESHOLDS, p->def, &p->ndef, err));
	rc = certa_store_notify_channel_each(p->st, copy_channel, p, err);
	CERTA_CHECK(rc != CERTA_E_NOMEM, CERTA_E_NOMEM, "notify: out of "
	    "memory");
	CERTA_TRY(rc);
	rc = certa_store_notify_org_each(p->st, copy_org, p, err);
	CERTA_CHECK(rc != CERTA_E_NOMEM, CERTA_E_NOMEM, "notify: out of "
	    "memory");
	CERTA_TRY(rc);
out:
	return rc;
}

/* --- claim -------------------------------------------------------------- */

static certa_rc
collect_cand(int64_t cert_id, int64_t org_id, int64_t not_after, void *arg)
{
	struct pass	*p = arg;

	if (!grow(&p->cand, p->ncand, 3 * sizeof(*p->cand)))
		return CERTA_E_NOMEM;
	p->cand[3 * p->ncand] = cert_id;
	p->cand[3 * p->ncand + 1] = org_id;
	p->cand[3 * p->ncand + 2] = not_after;
	p->ncand++;
	p->last_id = cert_id;
	return CERTA_OK;
}

/* Claim the notices of one certificate on every channel that covers it. */
static certa_rc
claim_cert(struct pass *p, int64_t cert_id, int64_t org_id,
    int64_t not_after, struct certa_notify_stats *stats,
    struct certa_err *err)
{
	const struct org_th	*o = find_org(p, org_id);
	struct certa_notice_rec	 n;
	size_t			 i;
	int			 t;
	bool			 counted = false;
	certa_rc		 rc = CERTA_OK;

	t = o != NULL ? certa_notify_threshold_due(o->th, o->n, not_after,
	    p->now) : certa_notify_threshold_due(p->def, p->ndef, not_after,
	    p->now);
	for (i = 0; i < p->nch && t != 0; i++) {
		if (!p->ch[i].enabled || (p->ch[i].org_id != 0 &&
		    p->ch[i].org_id != org_id))
			continue;
		if (!counted)
			stats->due++;
		counted = true;
		memset(&n, 0, sizeof(n));
		n.cert_id = cert_id;
		n.channel_id = p->ch[i].id;
		n.threshold_days = t;
		n.next_attempt_at = p->now;
		n.created_at = p->now;
		rc = certa_store_notice_claim(p->st, &n, err);
		if (rc == CERTA_E_CONFLICT) {	/* claimed before */
			certa_err_clear(err);
			rc = CERTA_OK;
			continue;
		}
		CERTA_TRY(rc);
		stats->claimed++;
	}
out:
	return rc;
}

static certa_rc
claim_all(struct pass *p, struct certa_notify_stats *stats,
    struct certa_err *err)
{
	int		 maxd = p->def[0];
	size_t		 i;
	bool		 any = false;
	certa_rc	 rc = CERTA_OK;

	for (i = 0; i < p->nch; i++)
		any = any || p->ch[i].enabled;
	if (!any)
		goto out;
	for (i = 0; i < p->norgs; i++)
		if (p->orgs[i].n > 0 && p->orgs[i].th[0] > maxd)
			maxd = p->orgs[i].th[0];
	p->last_id = 0;
	do {
		p->ncand = 0;
		rc = certa_store_notify_cand_each(p->st, p->now, p->now +
		    (int64_t)maxd * DAY, p->last_id, NOTIFY_PAGE, collect_cand,
		    p, err);
		CERTA_CHECK(rc != CERTA_E_NOMEM, CERTA_E_NOMEM, "notify: out "
		    "of memory");
		CERTA_TRY(rc);
		for (i = 0; i < p->ncand; i++)
			CERTA_TRY(claim_cert(p, p->cand[3 * i],
			    p->cand[3 * i + 1], p->cand[3 * i + 2], stats,
			    err));
	} while (p->ncand == NOTIFY_PAGE);
out:
	return rc;
}

/* --- deliver ------------------------------------------------------------ */

static certa_rc
collect_due(const struct certa_notice_rec *n, void *arg)
{
	struct pass	*p = arg;

	if (!grow(&p->due, p->ndue, sizeof(*p->due)))
		return CERTA_E_NOMEM;
	p->due[p->ndue++] = *n;
	return CERTA_OK;
}

/* Replace CR, LF and other controls (a mail header stays one line). */
static void
one_line(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/*
 * The message of notice n about certificate c: the webhook body and the
 * mail text.  *json, *subject and *text are malloc'ed.
 */
static certa_rc
build_msg(struct pass *p, const struct certa_notice_rec *n,
    const struct certa_cert_rec *c, char **json, char **subject,
    char **text, struct certa_err *err)
{
	struct certa_app_rec	 app;
	json_t			*o = NULL;
	char			 exp[21];
	const char		*appn = NULL, *orgn = NULL;
	int64_t			 left = (c->not_after - p->now) / DAY;
	int			 len;
	certa_rc		 rc = CERTA_OK;

	memset(&app, 0, sizeof(app));
	*json = *subject = *text = NULL;
	if (c->app_id != 0 && certa_store_app_get(p->st, c->app_id, &app,
	    NULL) == CERTA_OK) {
		appn = app.name;
		orgn = app.org_name;
	}
	certa_time_format(c->not_after, exp);
	o = json_pack("{s:s, s:{s:o, s:s, s:o, s:s, s:o, s:o, s:o}, s:i, "
	    "s:I}", "event", "certificate.expiring", "certificate", "id",
	    certa_json_id(c->id), "serial", c->serial, "subject",
	    certa_json_str(c->subject), "type", c->type, "application",
	    certa_json_str(appn), "organisation", certa_json_str(orgn),
	    "not_after", certa_json_time(c->not_after), "threshold_days",
	    n->threshold_days, "days_left", (json_int_t)left);
	CERTA_CHECK(o != NULL, CERTA_E_NOMEM, "notify: build the message");
	CERTA_CHECK((*json = json_dumps(o, JSON_COMPACT)) != NULL,
	    CERTA_E_NOMEM, "notify: build the message");
	len = snprintf(NULL, 0, "certa: certificate %s expires in %" PRId64
	    " days", c->subject, left);
	CERTA_CHECK(len > 0 && (*subject = malloc((size_t)len + 1)) != NULL,
	    CERTA_E_NOMEM, "notify: build the message");
	snprintf(*subject, (size_t)len + 1, "certa: certificate %s expires "
	    "in %" PRId64 " days", c->subject, left);
	one_line(*subject);
	len = snprintf(NULL, 0, "The certificate\r\n\r\n  subject:      %s\r\n"
	    "  serial:       %s\r\n  type:         %s\r\n  application:  %s\r\n"
	    "  organisation: %s\r\n  id:           %" PRId64 "\r\n\r\n"
	    "expires at %s (in %" PRId64 " days; %d-day notice).\r\n",
	    c->subject, c->serial, c->type, appn ? appn : "-",
	    orgn ? orgn : "-", c->id, exp, left, n->threshold_days);
	CERTA_CHECK(len > 0 && (*text = malloc((size_t)len + 1)) != NULL,
	    CERTA_E_NOMEM, "notify: build the message");
	snprintf(*text, (size_t)len + 1, "The certificate\r\n\r\n  subject:  "
	    "    %s\r\n  serial:       %s\r\n  type:         %s\r\n  "
	    "application:  %s\r\n  organisation: %s\r\n  id:           %"
	    PRId64 "\r\n\r\nexpires at %s (in %" PRId64 " days; %d-day "
	    "notice).\r\n", c->subject, c->serial, c->type, appn ? appn : "-",
	    orgn ? orgn : "-", c->id, exp, left, n->threshold_days);
out:
	json_decref(o);
	certa_app_rec_clear(&app);
	if (rc != CERTA_OK) {
		free(*json);
		free(*subject);
		free(*text);
		*json = *subject = *text = NULL;
	}
	return rc;
}

/* The SMTP settings from meta; absent ones stay NULL. */
static void
smtp_settings(struct certa_store *st, char **url, char **from)
{
	*url = *from = NULL;
	if (certa_store_meta_get(st, CERTA_NOTIFY_META_SMTP_URL, url, NULL) !=
	    CERTA_OK)
		*url = NULL;
	if (certa_store_meta_get(st, CERTA_NOTIFY_META_SMTP_FROM, from,
	    NULL) != CERTA_OK)
		*from = NULL;
}

/*
 * Record attempt res of notice n in one transaction: sent, retry later,
 * or failed (attempts exhausted, or give_up).
 */
static certa_rc
record(struct pass *p, const struct certa_notice_rec *n,
    const struct certa_notify_result *res, bool give_up,
    struct certa_notify_stats *stats, struct certa_err *err)
{
	struct certa_notify_delivery_rec	 d;
	enum certa_notice_status		 status;
	int64_t					 wait;
	certa_rc				 rc = CERTA_OK;

	memset(&d, 0, sizeof(d));
	d.notice_id = n->id;
	d.attempt = n->attempts + 1;
	d.time = p->now;
	d.ok = res->ok;
	d.code = res->code;
	d.error = res->ok ? NULL : (char *)(uintptr_t)res->error;
	wait = res->ok || give_up ? -1 : certa_notify_backoff(d.attempt);
	if (res->ok) {
		status = CERTA_NOTICE_SENT;
		stats->delivered++;
	} else if (wait < 0) {
		status = CERTA_NOTICE_FAILED;
		stats->failed++;
	} else {
		status = CERTA_NOTICE_PENDING;
		d.next_attempt_at = p->now + wait;
		stats->retrying++;
	}
	CERTA_TRY(certa_store_begin(p->st, err));
	rc = certa_store_notice_record(p->st, &d, status, err);
	if (rc == CERTA_OK)
		rc = certa_store_commit(p->st, err);
	if (rc != CERTA_OK)
		certa_store_rollback(p->st);
out:
	return rc;
}

/* Attempt one due notice. */
static certa_rc
deliver(struct pass *p, const struct certa_notify_opts *o,
    const struct certa_notice_rec *n, struct certa_notify_stats *stats,
    struct certa_err *err)
{
	const struct certa_notify_channel_rec	*ch = find_channel(p, n->channel_id);
	struct certa_cert_rec			 c;
	struct certa_notify_msg			 m;
	struct certa_notify_result		 res;
	char					*json = NULL, *subj = NULL;
	char					*text = NULL, *url = NULL;
	char					*from = NULL;
	certa_rc				 rc = CERTA_OK;

	memset(&c, 0, sizeof(c));
	memset(&res, 0, sizeof(res));
	/* A disabled channel keeps its notices for later, out of the way. */
	if (ch == NULL || !ch->enabled) {
		rc = certa_store_notice_lease(p->st, n->id, n->next_attempt_at,
		    p->now + CERTA_NOTIFY_RETRY_CAP, err);
		goto taken;
	}
	rc = certa_store_notice_lease(p->st, n->id, n->next_attempt_at,
	    p->now + NOTIFY_LEASE, err);
	if (rc != CERTA_OK)
		goto taken;
	stats->attempted++;
	CERTA_TRY(certa_store_cert_get(p->st, n->cert_id, &c, err));
	if (c.status != CERTA_CERT_VALID || c.not_after <= p->now) {
		snprintf(res.error, sizeof(res.error), "certificate %s; not "
		    "sent", c.status != CERTA_CERT_VALID ? "revoked" :
		    "expired");
		/* Give up at once: no retry can help. */
		CERTA_TRY(record(p, n, &res, true, stats, err));
		goto out;
	}
	CERTA_TRY(build_msg(p, n, &c, &json, &subj, &text, err));
	smtp_settings(p->st, &url, &from);
	memset(&m, 0, sizeof(m));
	m.channel = ch;
	m.delivery_id = n->id;
	m.json = json;
	m.subject = subj;
	m.text = text;
	m.smtp_url = url;
	m.smtp_from = from;
	if (o->send != NULL)
		o->send(&m, &res, o->send_arg);
	else
		certa_notify_send(&m, &res, NULL);
	CERTA_TRY(record(p, n, &res, false, stats, err));
	goto out;
taken:
	/* CONFLICT: another process holds it; nothing to do. */
	if (rc == CERTA_E_CONFLICT) {
		certa_err_clear(err);
		rc = CERTA_OK;
	}
out:
	certa_cert_rec_clear(&c);
	free(json);
	free(subj);
	free(text);
	free(url);
	free(from);
	return rc;
}

certa_rc
certa_notify_run_ex(struct certa_ctx *ctx, const struct certa_notify_opts *o,
    struct certa_notify_stats *stats, struct certa_err *err)
{
	struct certa_notify_stats	 dummy;
	struct pass			 p;
	size_t				 i;
	certa_rc			 rc = CERTA_OK;

	if (stats == NULL)
		stats = &dummy;
	memset(stats, 0, sizeof(*stats));
	memset(&p, 0, sizeof(p));
	CERTA_CHECK(ctx != NULL && o != NULL, CERTA_E_INVAL, "notify: no "
	    "context or options");
	CERTA_TRY(pass_load(&p, ctx, o->now != 0 ? o->now : certa_now(),
	    err));
	CERTA_TRY(claim_all(&p, stats, err));
	p.maxdue = o->max_deliveries != 0 ? o->max_deliveries :
	    CERTA_NOTIFY_PER_RUN;
	rc = certa_store_notice_due_each(p.st, p.now, p.maxdue, collect_due,
	    &p, err);
	CERTA_CHECK(rc != CERTA_E_NOMEM, CERTA_E_NOMEM, "notify: out of "
	    "memory");
	CERTA_TRY(rc);
	for (i = 0; i < p.ndue; i++)
		CERTA_TRY(deliver(&p, o, &p.due[i], stats, err));
out:
	pass_free(&p);
	return rc;
}

certa_rc
certa_notify_run(struct certa_ctx *ctx, int64_t now,
    struct certa_notify_stats *stats, struct certa_err *err)
{
	struct certa_notify_opts	 o;

	memset(&o, 0, sizeof(o));
	o.now = now;
	return certa_notify_run_ex(ctx, &o, stats, err);
}

/* --- configuration ------------------------------------------------------ */

/* Append an audit record and commit, or roll back on error. */
static certa_rc
audit_end(struct certa_ctx *ctx, certa_rc rc, const char *action,
    const char *object, const char *details, struct certa_err *err)
{
	struct certa_store	*st = certa_ctx_store(ctx);
	char			*more = certa_ctx_details(ctx, details);

	if (rc == CERTA_OK)	/* details with the actor's role */
		rc = certa_audit_append(st, certa_ctx_actor(ctx), action,
		    object, "ok", more != NULL ? more : details, err);
	free(more);
	if (rc == CERTA_OK)
		rc = certa_store_commit(st, err);
	if (rc != CERTA_OK)
		certa_store_rollback(st);
	return rc;
}

/* No spaces, controls or angle brackets (they would break a header). */
static bool
no_controls(const char *t)
{
	for (; *t != '\0'; t++)
		if ((unsigned char)*t <= 0x20 || *t == 0x7f || *t == '<' ||
		    *t == '>')
			return false;
	return true;
}

/* An http(s) URL or a bare mail address. */
static certa_rc
check_target(const char *kind, const char *t, struct certa_err *err)
{
	const char	*at;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(t != NULL && *t != '\0' && strlen(t) <= 2048,
	    CERTA_E_PARSE, "%s channel: no target", kind);
	CERTA_CHECK(no_controls(t), CERTA_E_PARSE, "%s channel: bad "
	    "character in '%.128s'", kind, t);
	if (strcmp(kind, "webhook") == 0) {
		CERTA_CHECK(strncmp(t, "http://", 7) == 0 ||
		    strncmp(t, "https://", 8) == 0, CERTA_E_PARSE, "webhook "
		    "'%.128s': expected an http:// or https:// URL", t);
	} else {
		at = strchr(t, '@');
		CERTA_CHECK(at != NULL && at != t && at[1] != '\0' &&
		    strchr(at + 1, '@') == NULL, CERTA_E_PARSE, "smtp "
		    "channel: '%.128s' is not a mail address", t);
	}
out:
	return rc;
}

certa_rc
certa_notify_channel_add(struct certa_ctx *ctx, const char *kind,
    const char *target, const char *secret, const char *org_ref,
    int64_t *id, struct certa_err *err)
{
	struct certa_store		*st = certa_ctx_store(ctx);
	struct certa_notify_channel_rec	 rec;
	struct certa_org_rec		 org;
	char				 obj[40], org_id[24], details[2400];
	certa_rc			 rc = CERTA_OK;

	memset(&rec, 0, sizeof(rec));
	memset(&org, 0, sizeof(org));
	if (id != NULL)
		*id = 0;
	CERTA_CHECK(kind != NULL && (strcmp(kind, "webhook") == 0 ||
	    strcmp(kind, "smtp") == 0), CERTA_E_PARSE, "channel kind: "
	    "expected webhook or smtp");
	CERTA_TRY(check_target(kind, target, err));
	CERTA_CHECK(strcmp(kind, "webhook") != 0 || (secret != NULL &&
	    strlen(secret) >= 16), CERTA_E_PARSE, "webhook: a secret of at "
	    "least 16 characters is required (the HMAC key)");
	CERTA_CHECK(strcmp(kind, "smtp") != 0 || secret == NULL,
	    CERTA_E_PARSE, "smtp channel: takes no secret");
	if (org_ref != NULL)
		CERTA_TRY(certa_org_resolve(ctx, org_ref, &org, err));
	rec.org_id = org.id;
	rec.kind = (char *)(uintptr_t)kind;
	rec.target = (char *)(uintptr_t)target;
	rec.secret = (char *)(uintptr_t)secret;
	rec.enabled = true;
	CERTA_TRY(certa_store_begin(st, err));
	rc = certa_store_notify_channel_put(st, &rec, err);
	snprintf(obj, sizeof(obj), "notify-channel:%" PRId64, rec.id);
	snprintf(org_id, sizeof(org_id), "%" PRId64, org.id);
	/* Never the secret. */
	(void)certa_json_strings(details, sizeof(details),
	    (const char *const[]){ "kind", kind, "target", target, "org",
	    org.id != 0 ? org_id : "all", NULL });
	CERTA_TRY(audit_end(ctx, rc, "notify.channel.add", obj, details,
	    err));
	if (id != NULL)
		*id = rec.id;
out:
	certa_org_rec_clear(&org);
	return rc;
}

certa_rc
certa_notify_channel_remove(struct certa_ctx *ctx, int64_t id,
    struct certa_err *err)
{
	struct certa_store	*st = certa_ctx_store(ctx);
	char			 obj[40];
	certa_rc		 rc = CERTA_OK;

	CERTA_TRY(certa_store_begin(st, err));
	rc = certa_store_notify_channel_delete(st, id, err);
	snprintf(obj, sizeof(obj), "notify-channel:%" PRId64, id);
	CERTA_TRY(audit_end(ctx, rc, "notify.channel.remove", obj, NULL,
	    err));
out:
	return rc;
}

struct org_find {
	int64_t				 org_id;
	struct certa_notify_org_rec	 rec;	/* owns */
	bool				 found;
};

static certa_rc
find_org_rec(const struct certa_notify_org_rec *r, void *arg)
{
	struct org_find	*f = arg;

	if (r->org_id != f->org_id)
		return CERTA_OK;
	f->found = true;
	f->rec.org_id = r->org_id;
	f->rec.enabled = r->enabled;
	if (r->thresholds != NULL &&
	    (f->rec.thresholds = certa_strdup(r->thresholds)) == NULL)
		return CERTA_E_NOMEM;
	return CERTA_OK;
}

/*
 * Change an organisation's settings: thresholds (when set_th; NULL is the
 * default) or enabled (when !set_th), keeping the other.
 */
static certa_rc
org_update(struct certa_ctx *ctx, const char *org_ref, bool set_th,
    const char *th, bool on, struct certa_err *err)
{
	struct certa_store	*st = certa_ctx_store(ctx);
	struct certa_org_rec	 org;
	struct org_find		 f;
	int			 v[CERTA_NOTIFY_MAX_THRESHOLDS];
	size_t			 n;
	char			 obj[40], details[256];
	certa_rc		 rc = CERTA_OK;

	memset(&org, 0, sizeof(org));
	memset(&f, 0, sizeof(f));
	if (set_th && th != NULL)
		CERTA_TRY(certa_notify_thresholds_parse(th, v, &n, err));
	CERTA_TRY(certa_org_resolve(ctx, org_ref, &org, err));
	f.org_id = org.id;
	CERTA_TRY(certa_store_begin(st, err));
	rc = certa_store_notify_org_each(st, find_org_rec, &f, err);
	if (rc == CERTA_OK) {
		if (!f.found)
			f.rec.enabled = true;
		f.rec.org_id = org.id;
		if (set_th) {
			free(f.rec.thresholds);
			f.rec.thresholds = NULL;
			if (th != NULL && (f.rec.thresholds =
			    certa_strdup(th)) == NULL)
				rc = CERTA_E_NOMEM;
		} else {
			f.rec.enabled = on;
		}
	}
	if (rc == CERTA_OK)
		rc = certa_store_notify_org_set(st, &f.rec, err);
	snprintf(obj, sizeof(obj), "org:%" PRId64, org.id);
	(void)certa_json_strings(details, sizeof(details),
	    (const char *const[]){ "thresholds", f.rec.thresholds != NULL ?
	    f.rec.thresholds : CERTA_NOTIFY_DEFAULT_THRESHOLDS, "enabled",
	    f.rec.enabled ? "true" : "false", NULL });
	CERTA_TRY(audit_end(ctx, rc, "notify.org.set", obj, details, err));
out:
	certa_notify_org_rec_clear(&f.rec);
	certa_org_rec_clear(&org);
	return rc;
}

certa_rc
certa_notify_thresholds_set(struct certa_ctx *ctx, const char *org_ref,
    const char *thresholds, struct certa_err *err)
{
	return org_update(ctx, org_ref, true, thresholds, true, err);
}

certa_rc
certa_notify_org_get(struct certa_ctx *ctx, const char *org_ref,
    int th[CERTA_NOTIFY_MAX_THRESHOLDS], size_t *n, bool *enabled,
    struct certa_err *err)
{
	struct certa_org_rec	 org;
	struct org_find		 f;
	certa_rc		 rc = CERTA_OK;

	memset(&org, 0, sizeof(org));
	memset(&f, 0, sizeof(f));
	*n = 0;
	*enabled = true;
	CERTA_TRY(certa_org_resolve(ctx, org_ref, &org, err));
	f.org_id = org.id;
	CERTA_TRY(certa_store_notify_org_each(certa_ctx_store(ctx),
	    find_org_rec, &f, err));
	if (f.found)
		*enabled = f.rec.enabled;
	CERTA_TRY(certa_notify_thresholds_parse(f.rec.thresholds != NULL ?
	    f.rec.thresholds : CERTA_NOTIFY_DEFAULT_THRESHOLDS, th, n, err));
out:
	certa_notify_org_rec_clear(&f.rec);
	certa_org_rec_clear(&org);
	return rc;
}

certa_rc
certa_notify_org_enable(struct certa_ctx *ctx, const char *org_ref, bool on,
    struct certa_err *err)
{
	return org_update(ctx, org_ref, false, NULL, on, err);
}

certa_rc
certa_notify_cert_enable(struct certa_ctx *ctx, const char *cert_ref,
    bool on, struct certa_err *err)
{
	struct certa_store	*st = certa_ctx_store(ctx);
	struct certa_cert_rec	 c;
	char			 obj[40];
	certa_rc		 rc = CERTA_OK;

	memset(&c, 0, sizeof(c));
	CERTA_TRY(certa_cert_resolve(ctx, cert_ref, &c, err));
	CERTA_TRY(certa_store_begin(st, err));
	rc = certa_store_notify_cert_set(st, c.id, on, err);
	snprintf(obj, sizeof(obj), "cert:%" PRId64, c.id);
	CERTA_TRY(audit_end(ctx, rc, on ? "notify.cert.enable" :
	    "notify.cert.disable", obj, NULL, err));
out:
	certa_cert_rec_clear(&c);
	return rc;
}

certa_rc
certa_notify_smtp_set(struct certa_ctx *ctx, const char *url,
    const char *from, struct certa_err *err)
{
	struct certa_store	*st = certa_ctx_store(ctx);
	char			 details[1200];
	certa_rc		 rc = CERTA_OK;

	CERTA_CHECK(url == NULL || strncmp(url, "smtp://", 7) == 0 ||
	    strncmp(url, "smtps://", 8) == 0, CERTA_E_PARSE, "SMTP server "
	    "'%.128s': expected smtp://HOST[:PORT] or smtps://...", url);
	CERTA_CHECK(url == NULL || strchr(url, '@') == NULL, CERTA_E_PARSE,
	    "SMTP server: credentials in the URL are not supported");
	CERTA_CHECK(url == NULL || no_controls(url), CERTA_E_PARSE, "SMTP "
	    "server: bad character in '%.128s'", url);
	if (from != NULL)
		CERTA_TRY(check_target("smtp", from, err));
	CERTA_CHECK(url != NULL || from != NULL, CERTA_E_PARSE, "SMTP "
	    "settings: give --url and/or --from");
	CERTA_TRY(certa_store_begin(st, err));
	if (url != NULL)
		rc = certa_store_meta_set(st, CERTA_NOTIFY_META_SMTP_URL, url,
		    err);
	if (rc == CERTA_OK && from != NULL)
		rc = certa_store_meta_set(st, CERTA_NOTIFY_META_SMTP_FROM, from,
		    err);
	(void)certa_json_strings(details, sizeof(details),
	    (const char *const[]){ "url", url != NULL ? url : "(unchanged)",
	    "from", from != NULL ? from : "(unchanged)", NULL });
	CERTA_TRY(audit_end(ctx, rc, "notify.smtp.set", "notify", details,
	    err));
out:
	return rc;
}

/* --- test messages ------------------------------------------------------ */

struct test_walk {
	int64_t			 id;
	certa_notify_test_fn	 report;
	void			*arg;
	const char		*url;
	const char		*from;
	size_t			 sent;
};

static certa_rc
test_one(const struct certa_notify_channel_rec *ch, void *arg)
{
	struct test_walk		*t = arg;
	struct certa_notify_msg		 m;
	struct certa_notify_result	 res;
	char				*json;
	int64_t				 now = certa_now();

	if (t->id != 0 ? ch->id != t->id : !ch->enabled)
		return CERTA_OK;
	{
		json_t	*o = json_pack("{s:s, s:I, s:o}", "event",
		    "notify.test", "channel", (json_int_t)ch->id, "time",
		    certa_json_time(now));

		json = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
	}
	if (json == NULL)
		return CERTA_E_NOMEM;
	memset(&m, 0, sizeof(m));
	memset(&res, 0, sizeof(res));
	m.channel = ch;
	m.json = json;
	m.subject = "certa: test notification";
	m.text = "This is a test message from certa's expiry notifications."
	    "\r\n";
	m.smtp_url = t->url;
	m.smtp_from = t->from;
	certa_notify_send(&m, &res, NULL);
	t->report(ch, &res, t->arg);
	t->sent++;
	free(json);
	return CERTA_OK;
}

certa_rc
certa_notify_test(struct certa_ctx *ctx, int64_t channel_id,
    certa_notify_test_fn report, void *arg, struct certa_err *err)
{
	struct test_walk	 t;
	char			*url = NULL, *from = NULL;
	certa_rc		 rc = CERTA_OK;

	memset(&t, 0, sizeof(t));
	CERTA_CHECK(report != NULL, CERTA_E_INVAL, "notify test: no report "
	    "callback");
	smtp_settings(certa_ctx_store(ctx), &url, &from);
	t.id = channel_id;
	t.report = report;
	t.arg = arg;
	t.url = url;
	t.from = from;
	rc = certa_store_notify_channel_each(certa_ctx_store(ctx), test_one,
	    &t, err);
	CERTA_CHECK(rc != CERTA_E_NOMEM, CERTA_E_NOMEM, "notify test: out of "
	    "memory");
	CERTA_TRY(rc);
	CERTA_CHECK(channel_id == 0 || t.sent == 1, CERTA_E_NOTFOUND, "no "
	    "notification channel with id %" PRId64, channel_id);
out:
	free(url);
	free(from);
	return rc;
}
