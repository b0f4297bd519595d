/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa notify: expiry notifications (include/certa/notify.h).  Channels,
 * thresholds, on/off per organisation or certificate, the SMTP server,
 * one pass now (for cron and tests), test messages and the delivery log.
 * A webhook secret comes from a file, never argv, and is never printed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <certa/notify.h>
#include <certa/util.h>

#include "cli/cli.h"

#define NOTIFY_USAGE "certa notify channel add --webhook URL --secret-file " \
	"F [--org ORG] | channel add --smtp ADDRESS [--org ORG] | channel " \
	"list [--json] | channel remove ID | thresholds --org ORG DAYS " \
	"(\"60,14,3\" or \"default\") | enable|disable --org ORG|--cert " \
	"ID | smtp --url smtp://HOST:PORT --from ADDRESS | run [--now " \
	"UNIX-TIME] [--json] | test [--channel ID] | log [--json] " \
	"[--limit N]"

struct list {
	json_t	*arr;
	bool	 json;
};

/* A positive decimal number; false otherwise. */
static bool
parse_num(const char *s, int64_t *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return false;
	*out = (int64_t)v;
	return true;
}

static json_t *
time_or_null(int64_t t)
{
	return t != 0 ? certa_json_time(t) : json_null();
}

static certa_rc
channel_row(const struct certa_notify_channel_rec *c, void *arg)
{
	struct list	*l = arg;
	char		 org[24];

	if (l->json) {
		json_array_append_new(l->arr, json_pack("{s:o, s:s, s:s, s:o, "
		    "s:b, s:b, s:o}", "id", certa_json_id(c->id), "kind",
		    c->kind, "target", c->target, "org", certa_json_id(c->org_id),
		    "secret", c->secret != NULL, "enabled", c->enabled,
		    "created_at", certa_json_time(c->created_at)));
		return CERTA_OK;
	}
	snprintf(org, sizeof(org), "%" PRId64, c->org_id);
	printf("%" PRId64 " %-7s %s org %s%s\n", c->id, c->kind, c->target,
	    c->org_id != 0 ? org : "all", c->enabled ? "" : " (disabled)");
	return CERTA_OK;
}

static certa_rc
log_row(const struct certa_notify_delivery_rec *d, void *arg)
{
	struct list	*l = arg;
	char		 t[21], n[21];

	if (l->json) {
		json_array_append_new(l->arr, json_pack("{s:o, s:o, s:o, s:o, "
		    "s:i, s:i, s:o, s:b, s:i, s:o, s:o}", "id",
		    certa_json_id(d->id), "notice", certa_json_id(d->notice_id),
		    "certificate", certa_json_id(d->cert_id), "channel",
		    certa_json_id(d->channel_id), "threshold_days",
		    d->threshold_days, "attempt", d->attempt, "time",
		    certa_json_time(d->time), "ok", d->ok, "code", d->code,
		    "error", certa_json_str(d->error), "next_attempt_at",
		    time_or_null(d->next_attempt_at)));
		return CERTA_OK;
	}
	certa_time_format(d->time, t);
	if (d->next_attempt_at != 0)
		certa_time_format(d->next_attempt_at, n);
	printf("%s notice %" PRId64 " cert %" PRId64 " %d-day channel %"
	    PRId64 " attempt %d: %s (code %d)%s%s%s%s\n", t, d->notice_id,
	    d->cert_id, d->threshold_days, d->channel_id, d->attempt,
	    d->ok ? "delivered" : "failed", d->code, d->error ? ": " : "",
	    d->error ? d->error : "", d->next_attempt_at ? "; next attempt " :
	    "", d->next_attempt_at ? n : "");
	return CERTA_OK;
}

static void
test_report(const struct certa_notify_channel_rec *c,
    const struct certa_notify_result *r, void *arg)
{
	int	*failed = arg;

	printf("channel %" PRId64 " (%s %s): %s (code %d)%s%s\n", c->id,
	    c->kind, c->target, r->ok ? "ok" : "FAILED", r->code,
	    r->ok ? "" : ": ", r->ok ? "" : r->error);
	if (!r->ok)
		(*failed)++;
}

/* notify channel add|list|remove */
static certa_rc
channel_cmd(struct certa_ctx *ctx, const struct cli_args *a, int *ec,
    struct certa_err *err)
{
	const char	*web = cli_opt(a, "webhook"), *smtp = cli_opt(a, "smtp");
	char		*secret = NULL;
	int64_t		 id;
	certa_rc	 rc = CERTA_OK;

	if (a->npos == 2 && strcmp(a->pos[1], "list") == 0) {
		struct list l = { json_array(), cli_flag(a, "json") };

		rc = certa_store_notify_channel_each(certa_ctx_store(ctx),
		    channel_row, &l, err);
		*ec = cli_list_done(l.arr, l.json, rc, err);
		return CERTA_OK;
	}
	if (a->npos == 3 && strcmp(a->pos[1], "remove") == 0) {
		if (!parse_num(a->pos[2], &id)) {
			*ec = cli_usage(NOTIFY_USAGE, "channel remove: expected "
			    "a channel id");
			return CERTA_OK;
		}
		rc = certa_notify_channel_remove(ctx, id, err);
		if (rc == CERTA_OK)
			printf("removed channel %" PRId64 "\n", id);
		return rc;
	}
	if (a->npos != 2 || strcmp(a->pos[1], "add") != 0 ||
	    (web == NULL) == (smtp == NULL)) {
		*ec = cli_usage(NOTIFY_USAGE, "channel: expected add --webhook "
		    "URL --secret-file F, add --smtp ADDRESS, list or remove "
		    "ID");
		return CERTA_OK;
	}
	if (web != NULL) {
		if (cli_opt(a, "secret-file") == NULL) {
			*ec = cli_usage(NOTIFY_USAGE, "--webhook needs "
			    "--secret-file (the HMAC key)");
			return CERTA_OK;
		}
		if ((*ec = cli_read_pass(cli_opt(a, "secret-file"), &secret)) !=
		    0)
			return CERTA_OK;
	}
	rc = certa_notify_channel_add(ctx, web != NULL ? "webhook" : "smtp",
	    web != NULL ? web : smtp, secret, cli_opt(a, "org"), &id, err);
	if (rc == CERTA_OK)
		printf("added %s channel %" PRId64 "\n", web != NULL ?
		    "webhook" : "smtp", id);
	cli_free_pass(secret);
	return rc;
}

/* notify enable|disable --org ORG | --cert ID */
static certa_rc
onoff_cmd(struct certa_ctx *ctx, const struct cli_args *a, bool on, int *ec,
    struct certa_err *err)
{
	const char	*org = cli_opt(a, "org"), *cert = cli_opt(a, "cert");
	certa_rc	 rc;

	if ((org == NULL) == (cert == NULL) || a->npos != 1) {
		*ec = cli_usage(NOTIFY_USAGE, "%s: give --org ORG or --cert ID",
		    on ? "enable" : "disable");
		return CERTA_OK;
	}
	rc = org != NULL ? certa_notify_org_enable(ctx, org, on, err) :
	    certa_notify_cert_enable(ctx, cert, on, err);
	if (rc == CERTA_OK)
		printf("notifications %s for %s %s\n", on ? "enabled" :
		    "disabled", org != NULL ? "organisation" : "certificate",
		    org != NULL ? org : cert);
	return rc;
}

/* notify run [--now T] [--json] */
static certa_rc
run_cmd(struct certa_ctx *ctx, const struct cli_args *a, int *ec,
    struct certa_err *err)
{
	struct certa_notify_stats	 s;
	int64_t				 now = 0;
	certa_rc			 rc;

	if (cli_opt(a, "now") != NULL && !parse_num(cli_opt(a, "now"), &now)) {
		*ec = cli_usage(NOTIFY_USAGE, "--now: expected Unix seconds");
		return CERTA_OK;
	}
	rc = certa_notify_run(ctx, now, &s, err);
	if (rc != CERTA_OK)
		return rc;
	if (cli_flag(a, "json"))
		cli_json_print(json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
		    "due", (json_int_t)s.due, "claimed", (json_int_t)s.claimed,
		    "attempted", (json_int_t)s.attempted, "delivered",
		    (json_int_t)s.delivered, "retrying", (json_int_t)s.retrying,
		    "failed", (json_int_t)s.failed));
	else
		printf("%zu certificates due, %zu new notices, %zu attempted, "
		    "%zu delivered, %zu to retry, %zu failed\n", s.due,
		    s.claimed, s.attempted, s.delivered, s.retrying, s.failed);
	return CERTA_OK;
}

int
cmd_notify(int argc, char **argv)
{
	static const struct cli_opt spec[] = {
		{ "json", false, false }, { "webhook", true, false },
		{ "smtp", true, false }, { "secret-file", true, false },
		{ "org", true, false }, { "cert", true, false },
		{ "url", true, false }, { "from", true, false },
		{ "now", true, false }, { "channel", true, false },
		{ "limit", true, false }, { NULL, 0, 0 } };
	struct cli_args		 a;
	struct certa_ctx	*ctx = NULL;
	struct certa_err	 err;
	const char		*cmd;
	int64_t			 n = 0;
	int			 ec, failed = 0;
	certa_rc		 rc = CERTA_OK;

	if ((ec = cli_parse(argc, argv, spec, &a, NOTIFY_USAGE)) != 0)
		return ec;
	if (a.npos < 1)
		return cli_usage(NOTIFY_USAGE, "expected a notify command");
	cmd = a.pos[0];
	if ((ec = cli_open(&ctx)) != 0)
		return ec;
	certa_err_clear(&err);
	if (strcmp(cmd, "channel") == 0) {
		rc = channel_cmd(ctx, &a, &ec, &err);
	} else if (strcmp(cmd, "thresholds") == 0) {
		if (a.npos != 2 || cli_opt(&a, "org") == NULL) {
			ec = cli_usage(NOTIFY_USAGE, "thresholds: expected "
			    "--org ORG DAYS");
		} else {
			rc = certa_notify_thresholds_set(ctx, cli_opt(&a, "org"),
			    strcmp(a.pos[1], "default") == 0 ? NULL : a.pos[1],
			    &err);
			if (rc == CERTA_OK)
				printf("thresholds of %s: %s days\n",
				    cli_opt(&a, "org"), strcmp(a.pos[1],
				    "default") == 0 ?
				    CERTA_NOTIFY_DEFAULT_THRESHOLDS : a.pos[1]);
		}
	} else if (strcmp(cmd, "enable") == 0 || strcmp(cmd, "disable") == 0) {
		rc = onoff_cmd(ctx, &a, strcmp(cmd, "enable") == 0, &ec, &err);
	} else if (strcmp(cmd, "smtp") == 0) {
		rc = certa_notify_smtp_set(ctx, cli_opt(&a, "url"),
		    cli_opt(&a, "from"), &err);
		if (rc == CERTA_OK)
			printf("SMTP settings saved\n");
	} else if (strcmp(cmd, "run") == 0) {
		rc = run_cmd(ctx, &a, &ec, &err);
	} else if (strcmp(cmd, "test") == 0) {
		if (cli_opt(&a, "channel") != NULL &&
		    !parse_num(cli_opt(&a, "channel"), &n)) {
			ec = cli_usage(NOTIFY_USAGE, "--channel: expected an id");
		} else {
			rc = certa_notify_test(ctx, n, test_report, &failed,
			    &err);
			if (rc == CERTA_OK && failed > 0)
				ec = CLI_EXIT_FAIL;
		}
	} else if (strcmp(cmd, "log") == 0) {
		struct list l = { json_array(), cli_flag(&a, "json") };

		if (cli_opt(&a, "limit") != NULL &&
		    !parse_num(cli_opt(&a, "limit"), &n)) {
			json_decref(l.arr);
			ec = cli_usage(NOTIFY_USAGE, "--limit: expected a "
			    "number");
		} else {
			rc = certa_store_notify_delivery_each(
			    certa_ctx_store(ctx), (size_t)n, log_row, &l, &err);
			ec = cli_list_done(l.arr, l.json, rc, &err);
			rc = CERTA_OK;
		}
	} else {
		ec = cli_usage(NOTIFY_USAGE, "unknown notify command '%s'", cmd);
	}
	if (rc != CERTA_OK)
		ec = cli_fail(rc, &err);
	certa_close(ctx);
	return ec;
}
