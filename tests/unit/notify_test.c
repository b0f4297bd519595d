/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of include/certa/notify.h: threshold parsing and selection,
 * the backoff schedule, once-only claims, retries and the on/off switches.
 * Time is passed in (certa_notify_run_ex's now) and the transport is a
 * recording stub: no network.  The store is a real data directory under
 * mkdtemp; names carry the test's name so tests do not depend on each
 * other.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <certa/certa.h>
#include <certa/notify.h>
#include <certa/store.h>
#include <certa/util.h>

#include "testutil.h"

#define PASS		"correct horse battery staple"
#define SECRET		"0123456789abcdef-secret"
#define DAY		86400

static char		 base[64];
static char		 passfile[128];
static char		 dir[128];
static struct certa_ctx	*ctx;

static int
group_setup(void **state)
{
	(void)state;
	if (test_data_dir("notify", PASS, base, passfile, dir, &ctx) != 0)
		return -1;
	certa_ctx_set_actor(ctx, "test:notify");
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	certa_close(ctx);
	rm_rf(base);
	return 0;
}

/* The recording transport: fails while down, counts per channel kind. */
struct stub {
	bool		 down;
	int		 sent;
	int		 tried;
	int		 last_threshold;	/* from the JSON body */
	int64_t		 last_delivery;
};

static void
stub_send(const struct certa_notify_msg *m, struct certa_notify_result *res,
    void *arg)
{
	struct stub	*s = arg;
	const char	*p;

	memset(res, 0, sizeof(*res));
	s->tried++;
	s->last_delivery = m->delivery_id;
	if ((p = strstr(m->json, "\"threshold_days\":")) != NULL)
		s->last_threshold = (int)strtol(p + 17, NULL, 10);
	assert_non_null(strstr(m->json, "\"event\":\"certificate.expiring\""));
	if (s->down) {
		res->code = 0;
		snprintf(res->error, sizeof(res->error), "connection refused");
		return;
	}
	res->ok = true;
	res->code = 200;
	s->sent++;
}

static struct certa_notify_stats
run_at(struct stub *s, int64_t now)
{
	struct certa_notify_opts	 o;
	struct certa_notify_stats	 st;

	memset(&o, 0, sizeof(o));
	o.now = now;
	o.send = stub_send;
	o.send_arg = s;
	OK(certa_notify_run_ex(ctx, &o, &st, &E));
	return st;
}

/* An organisation, an application and one certificate valid for days. */
static int64_t
issue(const char *org, int64_t days, int64_t *not_after)
{
	struct certa_org_rec	 o;
	struct certa_app_rec	 a;
	struct certa_issue_req	 r;
	struct certa_cert_rec	 rec;
	int64_t			 id;

	OK(certa_org_create(ctx, org, &o, &E));
	OK(certa_app_create(ctx, org, "app", &a, &E));
	memset(&r, 0, sizeof(r));
	r.app_id = a.id;
	r.type = "transport";
	r.keygen = "ec:P-256";
	r.subject = "CN=notify-client";
	r.validity = days * DAY;
	OK(certa_issue(ctx, &r, &rec, &E));
	id = rec.id;
	*not_after = rec.not_after;
	certa_cert_rec_clear(&rec);
	certa_app_rec_clear(&a);
	certa_org_rec_clear(&o);
	return id;
}

/* Remove every channel (tests share the store). */
static certa_rc
collect_channel(const struct certa_notify_channel_rec *c, void *arg)
{
	int64_t	*ids = arg;
	size_t	 i;

	for (i = 0; i < 15 && ids[i] != 0; i++)
		;
	ids[i] = c->id;
	return CERTA_OK;
}

static void
clear_channels(void)
{
	int64_t	 ids[16];
	size_t	 i;

	memset(ids, 0, sizeof(ids));
	OK(certa_store_notify_channel_each(certa_ctx_store(ctx),
	    collect_channel, ids, &E));
	for (i = 0; i < 16 && ids[i] != 0; i++)
		OK(certa_notify_channel_remove(ctx, ids[i], &E));
}

/*
 * A fresh start for one test: no channels, a zeroed stub, a certificate
 * of org valid for days (*na its not_after) and a webhook channel for org
 * (*ch).  Returns the certificate's id.
 */
static int64_t
fixture(struct stub *s, const char *org, int64_t days, int64_t *na,
    int64_t *ch)
{
	int64_t	 cert;

	clear_channels();
	memset(s, 0, sizeof(*s));
	cert = issue(org, days, na);
	OK(certa_notify_channel_add(ctx, "webhook", "http://127.0.0.1:1/",
	    SECRET, org, ch, &E));
	return cert;
}

static void
test_thresholds_parse(void **state)
{
	static const struct {
		const char	*in;
		certa_rc	 rc;
		size_t		 n;
		int		 first, last;
	} t[] = {
		{ "90,30,7,1", CERTA_OK, 4, 90, 1 },
		{ "1,7,30", CERTA_OK, 3, 30, 1 },	/* sorted */
		{ "60", CERTA_OK, 1, 60, 60 },
		{ "3650", CERTA_OK, 1, 3650, 3650 },
		{ "", CERTA_E_PARSE, 0, 0, 0 },
		{ "0", CERTA_E_PARSE, 0, 0, 0 },
		{ "3651", CERTA_E_PARSE, 0, 0, 0 },
		{ "30,30", CERTA_E_PARSE, 0, 0, 0 },
		{ "30,", CERTA_E_PARSE, 0, 0, 0 },
		{ ",30", CERTA_E_PARSE, 0, 0, 0 },
		{ "-1", CERTA_E_PARSE, 0, 0, 0 },
		{ "7 days", CERTA_E_PARSE, 0, 0, 0 },
		{ "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", CERTA_E_PARSE,
		    0, 0, 0 },
	};
	int	 v[CERTA_NOTIFY_MAX_THRESHOLDS];
	size_t	 i, n;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		certa_err_clear(&E);
		if (certa_notify_thresholds_parse(t[i].in, v, &n, &E) !=
		    t[i].rc) {
			BAD("'%s': unexpected result", t[i].in);
			continue;
		}
		if (t[i].rc != CERTA_OK) {
			if (n != 0 || E.msg[0] == '\0')
				BAD("'%s': no message or n != 0", t[i].in);
			continue;
		}
		if (n != t[i].n || v[0] != t[i].first ||
		    v[n - 1] != t[i].last)
			BAD("'%s': parsed wrong", t[i].in);
	}
	TABLE_DONE();
}

static void
test_threshold_due(void **state)
{
	static const int th[] = { 90, 30, 7, 1 };
	static const struct {
		int64_t		 left;		/* seconds to not_after */
		int		 want;
	} t[] = {
		{ 100 * DAY, 0 },
		{ 90 * DAY + 1, 0 },
		{ 90 * DAY, 90 },		/* boundary: within */
		{ 45 * DAY, 90 },
		{ 30 * DAY, 30 },
		{ 5 * DAY, 7 },			/* the smallest crossed */
		{ DAY, 1 },
		{ 60, 1 },
		{ 0, 0 },			/* expired */
		{ -DAY, 0 },
	};
	const int64_t	 now = 1800000000;
	size_t		 i;

	(void)state;
	for (i = 0; i < NELEM(t); i++)
		if (certa_notify_threshold_due(th, NELEM(th), now + t[i].left,
		    now) != t[i].want)
			BAD("left %lld s: want %d", (long long)t[i].left,
			    t[i].want);
	TABLE_DONE();
	assert_int_equal(certa_notify_threshold_due(th, 0, now + 60, now), 0);
}

static void
test_backoff(void **state)
{
	static const int64_t want[] = { -1, 60, 120, 240, 480, 960, 1920,
	    3600, -1, -1 };
	int	 i;

	(void)state;
	for (i = 0; i < (int)NELEM(want); i++)
		assert_int_equal(certa_notify_backoff(i), want[i]);
	assert_int_equal(certa_notify_backoff(-3), -1);
	assert_int_equal(certa_notify_backoff(CERTA_NOTIFY_MAX_ATTEMPTS), -1);
}

static void
test_channel_add_bad(void **state)
{
	(void)state;
	RC(certa_notify_channel_add(ctx, "webhook", "ftp://x/", SECRET, NULL,
	    NULL, &E), CERTA_E_PARSE);
	RC(certa_notify_channel_add(ctx, "webhook", "http://x/", "short",
	    NULL, NULL, &E), CERTA_E_PARSE);
	RC(certa_notify_channel_add(ctx, "webhook", "http://x/", NULL, NULL,
	    NULL, &E), CERTA_E_PARSE);
	RC(certa_notify_channel_add(ctx, "webhook", "http://x/\r\nX: y",
	    SECRET, NULL, NULL, &E), CERTA_E_PARSE);
	RC(certa_notify_channel_add(ctx, "smtp", "nobody", NULL, NULL, NULL,
	    &E), CERTA_E_PARSE);
	RC(certa_notify_channel_add(ctx, "smtp", "a@b\r\nBcc: c@d", NULL,
	    NULL, NULL, &E), CERTA_E_PARSE);
	RC(certa_notify_channel_add(ctx, "smtp", "a@b", SECRET, NULL, NULL,
	    &E), CERTA_E_PARSE);
	RC(certa_notify_channel_add(ctx, "pager", "a@b", NULL, NULL, NULL,
	    &E), CERTA_E_PARSE);
	RC(certa_notify_channel_add(ctx, "smtp", "a@b", NULL, "no-such-org",
	    NULL, &E), CERTA_E_NOTFOUND);
	RC(certa_notify_channel_remove(ctx, 999999, &E), CERTA_E_NOTFOUND);
	RC(certa_notify_smtp_set(ctx, "http://x", NULL, &E), CERTA_E_PARSE);
	RC(certa_notify_thresholds_set(ctx, "no-such-org", "30", &E),
	    CERTA_E_NOTFOUND);
}

/* Each threshold once: passes at the same time claim nothing new. */
static void
test_once_only(void **state)
{
	struct certa_notify_stats	 st;
	struct stub			 s;
	int64_t				 na, ch, now;

	(void)state;
	(void)fixture(&s, "once-o", 40, &na, &ch);
	now = na - 40 * DAY;
	st = run_at(&s, now);
	assert_int_equal(st.claimed, 1);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(s.last_threshold, 90);
	st = run_at(&s, now + 60);
	assert_int_equal(st.claimed, 0);
	assert_int_equal(st.attempted, 0);
	/* A second context on the same store (another node) claims none. */
	{
		struct certa_ctx	*c2 = NULL;
		struct certa_notify_stats s2;

		OK(certa_open(dir, passfile, &c2, &E));
		OK(certa_notify_run(c2, now + 120, &s2, &E));
		assert_int_equal(s2.claimed, 0);
		assert_int_equal(s2.attempted, 0);
		certa_close(c2);
	}
	/* 25 days left: the 30-day notice, once. */
	st = run_at(&s, na - 25 * DAY);
	assert_int_equal(st.claimed, 1);
	assert_int_equal(s.last_threshold, 30);
	st = run_at(&s, na - 24 * DAY);
	assert_int_equal(st.claimed, 0);
	/* 12 hours left: straight to the 1-day notice (7 is skipped). */
	st = run_at(&s, na - DAY / 2);
	assert_int_equal(st.claimed, 1);
	assert_int_equal(s.last_threshold, 1);
	assert_int_equal(s.sent, 3);
	/* Expired: nothing. */
	st = run_at(&s, na + 1);
	assert_int_equal(st.due, 0);
	OK(certa_notify_channel_remove(ctx, ch, &E));
}

/* Failed deliveries wait 60 s, 120 s, ...; the 8th failure gives up. */
static void
test_retry_schedule(void **state)
{
	struct certa_notify_stats	 st;
	struct stub			 s;
	int64_t				 na, ch, now, wait;
	int				 i;

	(void)state;
	(void)fixture(&s, "retry-o", 20, &na, &ch);
	s.down = true;
	now = na - 20 * DAY;
	st = run_at(&s, now);
	assert_int_equal(st.claimed, 1);
	assert_int_equal(st.retrying, 1);
	/* Not due before the backoff has passed. */
	st = run_at(&s, now + 59);
	assert_int_equal(st.attempted, 0);
	st = run_at(&s, now + 60);
	assert_int_equal(st.attempted, 1);
	assert_int_equal(st.retrying, 1);
	now += 60;
	for (i = 3; i <= CERTA_NOTIFY_MAX_ATTEMPTS; i++) {
		wait = certa_notify_backoff(i - 1);
		st = run_at(&s, now + wait - 1);
		assert_int_equal(st.attempted, 0);
		now += wait;
		st = run_at(&s, now);
		assert_int_equal(st.attempted, 1);
	}
	assert_int_equal(st.failed, 1);
	assert_int_equal(s.tried, CERTA_NOTIFY_MAX_ATTEMPTS);
	/* Given up: never again, even when the receiver is back. */
	s.down = false;
	st = run_at(&s, now + 10 * 3600);
	assert_int_equal(st.attempted, 0);
	OK(certa_notify_channel_remove(ctx, ch, &E));
}

/* A receiver that comes back gets the notice on the next due pass. */
static void
test_retry_recovers(void **state)
{
	struct certa_notify_stats	 st;
	struct stub			 s;
	int64_t				 na, ch, now;

	(void)state;
	(void)fixture(&s, "recover-o", 20, &na, &ch);
	s.down = true;
	now = na - 20 * DAY;
	st = run_at(&s, now);
	assert_int_equal(st.retrying, 1);
	s.down = false;
	st = run_at(&s, now + 60);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(s.sent, 1);
	st = run_at(&s, now + 3 * 3600);
	assert_int_equal(st.attempted, 0);
	OK(certa_notify_channel_remove(ctx, ch, &E));
}

/* Per-organisation thresholds and off switches. */
static void
test_org_and_cert_switches(void **state)
{
	struct certa_notify_stats	 st;
	struct stub			 s;
	char				 ref[24];
	int64_t				 na, cert, ch, now;
	int				 th[CERTA_NOTIFY_MAX_THRESHOLDS];
	size_t				 nth;
	bool				 on;

	(void)state;
	cert = fixture(&s, "switch-o", 50, &na, &ch);
	now = na - 50 * DAY;
	/* Never set: the default, enabled. */
	OK(certa_notify_org_get(ctx, "switch-o", th, &nth, &on, &E));
	assert_int_equal(nth, 4);
	assert_int_equal(th[0], 90);
	assert_int_equal(th[3], 1);
	assert_true(on);
	/* Thresholds 14,3: 50 days left is not due. */
	OK(certa_notify_thresholds_set(ctx, "switch-o", "14,3", &E));
	OK(certa_notify_org_get(ctx, "switch-o", th, &nth, &on, &E));
	assert_int_equal(nth, 2);
	assert_int_equal(th[0], 14);
	assert_int_equal(th[1], 3);
	st = run_at(&s, now);
	assert_int_equal(st.due, 0);
	/* Organisation off: not even at 10 days. */
	OK(certa_notify_org_enable(ctx, "switch-o", false, &E));
	OK(certa_notify_org_get(ctx, "switch-o", th, &nth, &on, &E));
	assert_false(on);
	assert_int_equal(nth, 2);
	RC(certa_notify_org_get(ctx, "no-such-org", th, &nth, &on, &E),
	    CERTA_E_NOTFOUND);
	st = run_at(&s, na - 10 * DAY);
	assert_int_equal(st.due, 0);
	OK(certa_notify_org_enable(ctx, "switch-o", true, &E));
	/* Certificate off. */
	snprintf(ref, sizeof(ref), "%lld", (long long)cert);
	OK(certa_notify_cert_enable(ctx, ref, false, &E));
	OK(certa_notify_cert_enable(ctx, ref, false, &E));	/* idempotent */
	st = run_at(&s, na - 10 * DAY);
	assert_int_equal(st.due, 0);
	OK(certa_notify_cert_enable(ctx, ref, true, &E));
	st = run_at(&s, na - 10 * DAY);
	assert_int_equal(st.claimed, 1);
	assert_int_equal(s.last_threshold, 14);
	/* Back to the default thresholds keeps the org enabled. */
	OK(certa_notify_thresholds_set(ctx, "switch-o", NULL, &E));
	st = run_at(&s, na - 5 * DAY);
	assert_int_equal(st.claimed, 1);
	assert_int_equal(s.last_threshold, 7);
	RC(certa_notify_cert_enable(ctx, "999999", false, &E),
	    CERTA_E_NOTFOUND);
	OK(certa_notify_channel_remove(ctx, ch, &E));
}

/* Revoked certificates are not notified. */
static void
test_revoked(void **state)
{
	struct certa_notify_stats	 st;
	struct stub			 s;
	int64_t				 na, cert, ch;

	(void)state;
	cert = fixture(&s, "revoked-o", 20, &na, &ch);
	OK(certa_revoke(ctx, cert, 4, &E));
	st = run_at(&s, na - 20 * DAY);
	assert_int_equal(st.due, 0);
	assert_int_equal(s.tried, 0);
	OK(certa_notify_channel_remove(ctx, ch, &E));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_thresholds_parse),
		T(test_threshold_due),
		T(test_backoff),
		T(test_channel_add_bad),
		T(test_once_only),
		T(test_retry_schedule),
		T(test_retry_recovers),
		T(test_org_and_cert_switches),
		T(test_revoked),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
