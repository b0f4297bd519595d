/* SPDX-License-Identifier: Apache-2.0 */
/* certa audit list|verify. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <certa/util.h>

#include "cli/cli.h"

#define AUDIT_USAGE "certa audit list [--since SEQ|TIME|DURATION] [--json] " \
	"| certa audit verify [--head SEQ:HASH]"

struct list_opts {
	bool		 json;
	int64_t		 from;		/* records at or after this time */
};

static certa_rc
row(const struct certa_audit_rec *r, void *arg)
{
	const struct list_opts	*lo = arg;
	bool			 json = lo->json;
	char			 t[21];

	if (r->time < lo->from)
		return CERTA_OK;
	if (json) {
		json_t *o = json_pack("{s:I, s:o, s:s, s:s, s:s, s:s, s:s}",
		    "seq", (json_int_t)r->seq, "time", certa_json_time(r->time),
		    "actor", r->actor, "action", r->action, "object",
		    r->object, "outcome", r->outcome, "hash", r->hash);
		char *s;

		if (r->details != NULL)
			json_object_set_new(o, "details",
			    json_string(r->details));
		s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (s != NULL)
			puts(s);	/* JSON lines */
		free(s);
		json_decref(o);
	} else {
		certa_time_format(r->time, t);
		printf("%-6" PRId64 " %s %-16s %-14s %-12s %s%s%s\n", r->seq, t,
		    r->actor, r->action, r->object, r->outcome,
		    r->details ? " " : "", r->details ? r->details : "");
	}
	return CERTA_OK;
}

int
cmd_audit(int argc, char **argv)
{
	static const struct cli_opt spec[] = {
		{ "json", false, false }, { "since", true, false },
		{ "head", true, false }, { NULL, 0, 0 } };
	struct cli_args		 a;
	struct certa_ctx	*ctx = NULL;
	struct certa_err	 err;
	struct list_opts	 lo = { false, 0 };
	bool			 json;
	int64_t			 since = 0, bad = 0, count = 0, hseq = 0;
	char			 hash[65];
	const char		*head = NULL;
	certa_rc		 rc = CERTA_OK;
	int			 ec;

	if ((ec = cli_parse(argc, argv, spec, &a, AUDIT_USAGE)) != 0)
		return ec;
	json = cli_flag(&a, "json");
	lo.json = json;
	if (a.npos != 1)
		return cli_usage(AUDIT_USAGE, "expected list or verify");
	if (cli_opt(&a, "since") != NULL) {
		const char	*s = cli_opt(&a, "since");
		char		*end;
		int64_t		 d;

		/* A sequence number, an RFC 3339 time, or a duration ago. */
		certa_err_clear(&err);
		since = strtoll(s, &end, 10);
		if (*end != '\0' || since < 0) {
			since = 0;
			if (certa_time_parse(s, &lo.from, &err) != CERTA_OK) {
				if (certa_duration_parse(s, &d, &err) !=
				    CERTA_OK)
					return cli_usage(AUDIT_USAGE, "--since "
					    "takes a sequence number, a time "
					    "(2026-01-02T03:04:05Z) or a "
					    "duration (24h)");
				lo.from = certa_now() - d;
			}
		}
	}
	if ((head = cli_opt(&a, "head")) != NULL) {
		char *end;

		hseq = strtoll(head, &end, 10);
		if (*end != ':' || hseq <= 0 || strlen(end + 1) != 64)
			return cli_usage(AUDIT_USAGE, "--head takes SEQ:HASH as "
			    "printed by 'certa audit verify'");
		head = end + 1;
	}
	if ((ec = cli_open(&ctx)) != 0)
		return ec;
	certa_err_clear(&err);
	if (strcmp(a.pos[0], "list") == 0) {
		rc = certa_store_audit_each(certa_ctx_store(ctx), since, row,
		    &lo, &err);
	} else if (strcmp(a.pos[0], "verify") == 0) {
		rc = certa_audit_verify(ctx, &bad, &count, &err);
		if (rc == CERTA_OK && bad != 0) {
			fprintf(stderr, "certa: audit log broken at record %"
			    PRId64 ": edited, removed or reordered\n", bad);
			ec = CLI_EXIT_FAIL;
		} else if (rc == CERTA_OK && head != NULL &&
		    (rc = certa_audit_check_head(ctx, hseq, head, &err)) !=
		    CERTA_OK) {
			/* reported below */
		} else if (rc == CERTA_OK &&
		    (rc = certa_audit_head(ctx, &hseq, hash, &err)) ==
		    CERTA_OK) {
			/* Keep the head elsewhere: it proves nothing was cut. */
			printf("audit log intact: %" PRId64 " records; head %"
			    PRId64 ":%s\n", count, hseq, hash);
		}
	} else {
		ec = cli_usage(AUDIT_USAGE, "unknown audit command '%s'",
		    a.pos[0]);
	}
	if (rc != CERTA_OK)
		ec = cli_fail(rc, &err);
	certa_close(ctx);
	return ec;
}
