/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa token create|list|revoke and certa role map|unmap|list: who may
 * call the API (include/certa/auth.h).  A token's secret is printed once,
 * by create, on stdout and nowhere else; list never shows it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <certa/auth.h>
#include <certa/util.h>

#include "cli/cli.h"

#define TOKEN_USAGE "certa token create --role ROLE [--name NAME] [--json] " \
	"| certa token list [--json] | certa token revoke ID|NAME"
#define ROLE_USAGE "certa role map --subject DN|--fingerprint SHA256 " \
	"--role ROLE | certa role unmap --subject DN|--fingerprint SHA256 " \
	"| certa role list [--json]"

struct list {
	json_t	*arr;
	bool	 json;
};

/* An optional time: null when 0. */
static json_t *
json_time_or_null(int64_t t)
{
	return t != 0 ? certa_json_time(t) : json_null();
}

static certa_rc
token_row(const struct certa_token_info *t, void *arg)
{
	struct list	*l = arg;
	char		 c[21], u[21];

	if (l->json) {
		json_array_append_new(l->arr, json_pack("{s:s, s:s, s:s, s:s, "
		    "s:s, s:o, s:o, s:o}", "id", t->id, "name", t->name, "role",
		    certa_role_name(t->role), "status", t->revoked_at != 0 ?
		    "revoked" : "live", "created_by", t->created_by,
		    "created_at", certa_json_time(t->created_at),
		    "last_used_at", json_time_or_null(t->last_used_at),
		    "revoked_at", json_time_or_null(t->revoked_at)));
		return CERTA_OK;
	}
	certa_time_format(t->created_at, c);
	if (t->last_used_at != 0)
		certa_time_format(t->last_used_at, u);
	else
		snprintf(u, sizeof(u), "never");
	printf("%s %-24s %-9s %-7s created %s used %s\n", t->id, t->name,
	    certa_role_name(t->role), t->revoked_at != 0 ? "revoked" : "live",
	    c, u);
	return CERTA_OK;
}

/* --role ROLE, required; prints the error. */
static int
role_opt(const struct cli_args *a, const char *usage, unsigned *role)
{
	struct certa_err	 err;
	certa_rc		 rc;

	certa_err_clear(&err);
	if (cli_opt(a, "role") == NULL)
		return cli_usage(usage, "--role is required (admin, approver, "
		    "operator or auditor)");
	rc = certa_role_parse(cli_opt(a, "role"), role, &err);
	return rc == CERTA_OK ? 0 : cli_fail(rc, &err);
}

/* The secret is on the heap so that certa_free_secret can wipe it. */
static certa_rc
token_create(struct certa_ctx *ctx, unsigned role, const char *name,
    bool json, struct certa_err *err)
{
	struct certa_token_info	 t;
	char			*token;
	certa_rc		 rc;

	memset(&t, 0, sizeof(t));
	if ((token = malloc(CERTA_TOKEN_MAX)) == NULL)
		return certa_err_set(err, CERTA_E_NOMEM, __FILE__, __LINE__,
		    "out of memory");
	rc = certa_token_create(ctx, role, name, token, &t, err);
	if (rc == CERTA_OK && json)
		cli_json_print(json_pack("{s:s, s:s, s:s, s:s}", "token", token,
		    "id", t.id, "name", t.name, "role",
		    certa_role_name(t.role)));
	else if (rc == CERTA_OK)
		puts(token);
	fflush(stdout);
	certa_free_secret(token, CERTA_TOKEN_MAX);
	certa_token_info_clear(&t);
	return rc;
}

int
cmd_token(int argc, char **argv)
{
	static const struct cli_opt spec[] = {
		{ "json", false, false }, { "role", true, false },
		{ "name", true, false }, { NULL, 0, 0 } };
	struct cli_args		 a;
	struct certa_ctx	*ctx = NULL;
	struct certa_err	 err;
	unsigned		 role = 0;
	bool			 json;
	certa_rc		 rc = CERTA_OK;
	int			 ec;

	if ((ec = cli_parse(argc, argv, spec, &a, TOKEN_USAGE)) != 0)
		return ec;
	json = cli_flag(&a, "json");
	if (a.npos < 1)
		return cli_usage(TOKEN_USAGE, "expected create, list or revoke");
	if (strcmp(a.pos[0], "revoke") == 0 ? a.npos != 2 : a.npos != 1)
		return cli_usage(TOKEN_USAGE, "wrong number of arguments");
	if (strcmp(a.pos[0], "create") == 0 &&
	    (ec = role_opt(&a, TOKEN_USAGE, &role)) != 0)
		return ec;
	if ((ec = cli_open(&ctx)) != 0)
		return ec;
	certa_err_clear(&err);
	if (strcmp(a.pos[0], "create") == 0) {
		rc = token_create(ctx, role, cli_opt(&a, "name"), json, &err);
	} else if (strcmp(a.pos[0], "revoke") == 0) {
		rc = certa_token_revoke(ctx, a.pos[1], &err);
		if (rc == CERTA_OK && !json)
			printf("revoked token %s\n", a.pos[1]);
	} else if (strcmp(a.pos[0], "list") == 0) {
		struct list l = { json_array(), json };

		rc = certa_token_each(ctx, token_row, &l, &err);
		ec = cli_list_done(l.arr, json, rc, &err);
		rc = CERTA_OK;
	} else {
		ec = cli_usage(TOKEN_USAGE, "unknown token command '%s'",
		    a.pos[0]);
	}
	if (rc != CERTA_OK)
		ec = cli_fail(rc, &err);
	certa_close(ctx);
	return ec;
}

static certa_rc
map_row(const struct certa_role_map_info *m, void *arg)
{
	struct list	*l = arg;
	char		 t[21];

	if (l->json) {
		json_array_append_new(l->arr, json_pack("{s:o, s:s, s:s, s:s, "
		    "s:o}", "id", certa_json_id(m->id), "kind", m->kind, "value",
		    m->value, "role", certa_role_name(m->role), "created_at",
		    certa_json_time(m->created_at)));
		return CERTA_OK;
	}
	certa_time_format(m->created_at, t);
	printf("%-5" PRId64 " %-11s %-9s %s %s\n", m->id, m->kind,
	    certa_role_name(m->role), t, m->value);
	return CERTA_OK;
}

int
cmd_role(int argc, char **argv)
{
	static const struct cli_opt spec[] = {
		{ "json", false, false }, { "role", true, false },
		{ "subject", true, false }, { "fingerprint", true, false },
		{ NULL, 0, 0 } };
	struct cli_args		 a;
	struct certa_ctx	*ctx = NULL;
	struct certa_err	 err;
	const char		*kind = NULL, *value = NULL;
	unsigned		 role = 0;
	bool			 json;
	certa_rc		 rc = CERTA_OK;
	int			 ec;

	if ((ec = cli_parse(argc, argv, spec, &a, ROLE_USAGE)) != 0)
		return ec;
	json = cli_flag(&a, "json");
	if (a.npos != 1)
		return cli_usage(ROLE_USAGE, "expected map, unmap or list");
	if (strcmp(a.pos[0], "map") == 0 || strcmp(a.pos[0], "unmap") == 0) {
		if ((cli_opt(&a, "subject") != NULL) ==
		    (cli_opt(&a, "fingerprint") != NULL))
			return cli_usage(ROLE_USAGE, "give one of --subject "
			    "or --fingerprint");
		kind = cli_opt(&a, "subject") != NULL ? "subject" :
		    "fingerprint";
		value = cli_opt(&a, kind);
	}
	if (strcmp(a.pos[0], "map") == 0 &&
	    (ec = role_opt(&a, ROLE_USAGE, &role)) != 0)
		return ec;
	if ((ec = cli_open(&ctx)) != 0)
		return ec;
	certa_err_clear(&err);
	if (strcmp(a.pos[0], "map") == 0) {
		rc = certa_role_map_set(ctx, kind, value, role, &err);
		if (rc == CERTA_OK)
			printf("mapped %s to role %s\n", kind,
			    certa_role_name(role));
	} else if (strcmp(a.pos[0], "unmap") == 0) {
		rc = certa_role_map_remove(ctx, kind, value, &err);
		if (rc == CERTA_OK)
			printf("unmapped %s\n", kind);
	} else if (strcmp(a.pos[0], "list") == 0) {
		struct list l = { json_array(), json };

		rc = certa_role_map_each(ctx, map_row, &l, &err);
		ec = cli_list_done(l.arr, json, rc, &err);
		rc = CERTA_OK;
	} else {
		ec = cli_usage(ROLE_USAGE, "unknown role command '%s'",
		    a.pos[0]);
	}
	if (rc != CERTA_OK)
		ec = cli_fail(rc, &err);
	certa_close(ctx);
	return ec;
}
