/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa store migrate --from DSN --to DSN [--json]: copy a store into an
 * empty one (include/certa/migrate.h), e.g. a single-node SQLite store
 * into PostgreSQL.  Needs no data directory: both stores are named.
 */
#include <stdio.h>
#include <string.h>

#include <certa/migrate.h>

#include "cli/cli.h"

#define STORE_USAGE "certa store migrate --from DSN --to DSN [--json]"

static void
summary_print(const struct certa_migrate_summary *s, bool json)
{
	if (json) {
		cli_json_print(json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, "
		    "s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
		    "s:I, s:I, s:I}", "from", s->from_backend, "to",
		    s->to_backend,
		    "organisations", (json_int_t)s->orgs, "applications",
		    (json_int_t)s->apps, "cas", (json_int_t)s->cas,
		    "certificates", (json_int_t)s->certs, "reserved",
		    (json_int_t)s->reserved, "revoked", (json_int_t)s->revoked,
		    "audit_records", (json_int_t)s->audit, "trust_entries",
		    (json_int_t)s->trust, "trust_crls",
		    (json_int_t)s->trust_crls, "tokens", (json_int_t)s->tokens,
		    "role_maps", (json_int_t)s->role_maps, "requests",
		    (json_int_t)s->requests, "notify_channels",
		    (json_int_t)s->notify_channels, "notify_orgs",
		    (json_int_t)s->notify_orgs, "notify_opt_outs",
		    (json_int_t)s->notify_opt_outs, "notices",
		    (json_int_t)s->notices, "notify_deliveries",
		    (json_int_t)s->notify_deliveries, "meta",
		    (json_int_t)s->meta,
		    "trust_generation", (json_int_t)s->trust_generation));
		return;
	}
	printf("migrated %s -> %s: %lld organisations, %lld applications, "
	    "%lld CAs, %lld certificates (%lld revoked, %lld reserved), "
	    "%lld audit records, %lld trust entries, %lld trust CRLs, "
	    "%lld tokens, %lld role mappings, %lld requests, "
	    "%lld notification channels, %lld notification settings, "
	    "%lld notification opt-outs, %lld notices, "
	    "%lld delivery log entries, %lld settings\n", s->from_backend,
	    s->to_backend, (long long)s->orgs, (long long)s->apps,
	    (long long)s->cas,
	    (long long)s->certs, (long long)s->revoked,
	    (long long)s->reserved, (long long)s->audit, (long long)s->trust,
	    (long long)s->trust_crls, (long long)s->tokens,
	    (long long)s->role_maps, (long long)s->requests,
	    (long long)s->notify_channels, (long long)s->notify_orgs,
	    (long long)s->notify_opt_outs, (long long)s->notices,
	    (long long)s->notify_deliveries, (long long)s->meta);
	printf("verified: counts per kind, every certificate's fingerprint, "
	    "the audit chain, the notification state row by row\n");
}

int
cmd_store(int argc, char **argv)
{
	static const struct cli_opt spec[] = {
		{ "json", false, false }, { "from", true, false },
		{ "to", true, false }, { NULL, 0, 0 } };
	struct cli_args			 a;
	struct certa_migrate_summary	 s;
	struct certa_err		 err;
	const char			*from, *to;
	certa_rc			 rc;
	int				 ec;

	if ((ec = cli_parse(argc, argv, spec, &a, STORE_USAGE)) != 0)
		return ec;
	if (a.npos != 1 || strcmp(a.pos[0], "migrate") != 0)
		return cli_usage(STORE_USAGE, "expected migrate");
	from = cli_opt(&a, "from");
	to = cli_opt(&a, "to");
	if (from == NULL || to == NULL || *from == '\0' || *to == '\0')
		return cli_usage(STORE_USAGE, "--from and --to are required");
	certa_err_clear(&err);
	rc = certa_store_migrate(from, to, &s, &err);
	if (rc != CERTA_OK)
		return cli_fail(rc, &err);
	summary_print(&s, cli_flag(&a, "json"));
	return CLI_EXIT_OK;
}
