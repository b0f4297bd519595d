/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa org create|list|show|update|delete and
 * certa app create|list|show|update|delete.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <certa/lifecycle.h>
#include <certa/util.h>

#include "cli/cli.h"

#define ORG_USAGE "certa org create NAME | certa org list [--json] | " \
	"certa org show ORG [--json] | certa org update ORG [--name NEW] " \
	"[--approval required|none] [--json] | certa org delete ORG"
#define APP_USAGE "certa app create --org ORG NAME | certa app list " \
	"[--org ORG] [--json] | certa app show APP [--json] | certa app " \
	"update APP --name NEW [--json] | certa app delete APP"

struct list {
	json_t	*arr;
	bool	 json;
};

static certa_rc
org_row(const struct certa_org_rec *r, void *arg)
{
	struct list	*l = arg;
	char		 t[21];

	if (l->json) {
		json_array_append_new(l->arr, certa_json_org(r));
	} else {
		certa_time_format(r->created_at, t);
		printf("%-5" PRId64 " %-32s %s\n", r->id, r->name, t);
	}
	return CERTA_OK;
}

static certa_rc
app_row(const struct certa_app_rec *r, void *arg)
{
	struct list	*l = arg;

	if (l->json)
		json_array_append_new(l->arr, certa_json_app(r));
	else
		printf("%-5" PRId64 " %s/%s\n", r->id, r->org_name, r->name);
	return CERTA_OK;
}

static void
org_print(const struct certa_org_rec *r, bool json)
{
	char	t[21];

	if (json) {
		cli_json_print(certa_json_org(r));
		return;
	}
	certa_time_format(r->created_at, t);
	printf("id:       %" PRId64 "\nname:     %s\ncreated:  %s\n", r->id,
	    r->name, t);
}

static void
app_print(const struct certa_app_rec *r, bool json)
{
	char	t[21];

	if (json) {
		cli_json_print(certa_json_app(r));
		return;
	}
	certa_time_format(r->created_at, t);
	printf("id:           %" PRId64 "\nname:         %s\norganisation: "
	    "%s (%" PRId64 ")\ncreated:      %s\n", r->id, r->name,
	    r->org_name ? r->org_name : "", r->org_id, t);
}

/* Checks shared by org and app: "update" needs --name, only it takes it. */
static int
check_update(const struct cli_args *a, const char *usage, bool other)
{
	bool	update = strcmp(a->pos[0], "update") == 0;

	if (update && cli_opt(a, "name") == NULL && !other)
		return cli_usage(usage, "update needs --name NEW");
	if (!update && cli_opt(a, "name") != NULL)
		return cli_usage(usage, "--name is only for update");
	return 0;
}

int
cmd_org(int argc, char **argv)
{
	static const struct cli_opt spec[] = {
		{ "json", false, false }, { "name", true, false },
		{ "approval", true, false }, { NULL, 0, 0 } };
	struct cli_args		 a;
	struct certa_ctx	*ctx = NULL;
	struct certa_err	 err;
	struct certa_org_rec	 org;
	const char		*appr;
	bool			 json;
	certa_rc		 rc = CERTA_OK;
	int			 ec;

	if ((ec = cli_parse(argc, argv, spec, &a, ORG_USAGE)) != 0)
		return ec;
	json = cli_flag(&a, "json");
	if (a.npos < 1)
		return cli_usage(ORG_USAGE, "expected create, list, show, "
		    "update or delete");
	if (strcmp(a.pos[0], "list") == 0 ? a.npos != 1 : a.npos != 2)
		return cli_usage(ORG_USAGE, "wrong number of arguments");
	appr = cli_opt(&a, "approval");
	if ((ec = check_update(&a, ORG_USAGE, appr != NULL)) != 0)
		return ec;
	if (appr != NULL && (strcmp(a.pos[0], "update") != 0 ||
	    (strcmp(appr, "required") != 0 && strcmp(appr, "none") != 0)))
		return cli_usage(ORG_USAGE, "--approval required|none is only "
		    "for update");
	if ((ec = cli_open(&ctx)) != 0)
		return ec;
	certa_err_clear(&err);
	memset(&org, 0, sizeof(org));
	if (strcmp(a.pos[0], "create") == 0) {
		rc = certa_org_create(ctx, a.pos[1], &org, &err);
		if (rc == CERTA_OK)
			org_print(&org, json);
	} else if (strcmp(a.pos[0], "show") == 0) {
		rc = certa_org_resolve(ctx, a.pos[1], &org, &err);
		if (rc == CERTA_OK)
			org_print(&org, json);
	} else if (strcmp(a.pos[0], "update") == 0) {
		if (appr != NULL)
			rc = certa_org_set_approval(ctx, a.pos[1],
			    strcmp(appr, "required") == 0, &err);
		if (rc == CERTA_OK && cli_opt(&a, "name") != NULL)
			rc = certa_org_update(ctx, a.pos[1], cli_opt(&a,
			    "name"), &org, &err);
		else if (rc == CERTA_OK)
			rc = certa_org_resolve(ctx, a.pos[1], &org, &err);
		if (rc == CERTA_OK)
			org_print(&org, json);
		if (rc == CERTA_OK && appr != NULL && !json)
			printf("approval: %s\n", appr);
	} else if (strcmp(a.pos[0], "delete") == 0) {
		rc = certa_org_delete(ctx, a.pos[1], &err);
		if (rc == CERTA_OK)
			printf("deleted organisation %s\n", a.pos[1]);
	} else if (strcmp(a.pos[0], "list") == 0) {
		struct list l = { json_array(), json };

		rc = certa_store_org_each(certa_ctx_store(ctx), org_row, &l,
		    &err);
		ec = cli_list_done(l.arr, json, rc, &err);
		rc = CERTA_OK;
	} else {
		ec = cli_usage(ORG_USAGE, "unknown org command '%s'", a.pos[0]);
	}
	if (rc != CERTA_OK)
		ec = cli_fail(rc, &err);
	certa_org_rec_clear(&org);
	certa_close(ctx);
	return ec;
}

int
cmd_app(int argc, char **argv)
{
	static const struct cli_opt spec[] = {
		{ "json", false, false }, { "org", true, false },
		{ "name", true, false }, { NULL, 0, 0 } };
	struct cli_args		 a;
	struct certa_ctx	*ctx = NULL;
	struct certa_err	 err;
	struct certa_app_rec	 app;
	struct certa_org_rec	 org;
	bool			 json;
	certa_rc		 rc = CERTA_OK;
	int			 ec;

	if ((ec = cli_parse(argc, argv, spec, &a, APP_USAGE)) != 0)
		return ec;
	json = cli_flag(&a, "json");
	if (a.npos < 1)
		return cli_usage(APP_USAGE, "expected create, list, show, "
		    "update or delete");
	if (strcmp(a.pos[0], "list") == 0 ? a.npos != 1 : a.npos != 2)
		return cli_usage(APP_USAGE, "wrong number of arguments");
	if ((ec = check_update(&a, APP_USAGE, false)) != 0)
		return ec;
	if (strcmp(a.pos[0], "create") == 0 && cli_opt(&a, "org") == NULL)
		return cli_usage(APP_USAGE, "app create needs --org ORG");
	if ((ec = cli_open(&ctx)) != 0)
		return ec;
	certa_err_clear(&err);
	memset(&app, 0, sizeof(app));
	memset(&org, 0, sizeof(org));
	if (strcmp(a.pos[0], "create") == 0) {
		rc = certa_app_create(ctx, cli_opt(&a, "org"), a.pos[1], &app,
		    &err);
		if (rc == CERTA_OK)
			app_print(&app, json);
	} else if (strcmp(a.pos[0], "show") == 0) {
		rc = certa_app_resolve(ctx, a.pos[1], &app, &err);
		if (rc == CERTA_OK)
			app_print(&app, json);
	} else if (strcmp(a.pos[0], "update") == 0) {
		rc = certa_app_update(ctx, a.pos[1], cli_opt(&a, "name"), &app,
		    &err);
		if (rc == CERTA_OK)
			app_print(&app, json);
	} else if (strcmp(a.pos[0], "delete") == 0) {
		rc = certa_app_delete(ctx, a.pos[1], &err);
		if (rc == CERTA_OK)
			printf("deleted application %s\n", a.pos[1]);
	} else if (strcmp(a.pos[0], "list") == 0) {
		struct list l = { json_array(), json };

		if (cli_opt(&a, "org") != NULL)
			rc = certa_org_resolve(ctx, cli_opt(&a, "org"), &org,
			    &err);
		if (rc == CERTA_OK)
			rc = certa_store_app_each(certa_ctx_store(ctx), org.id,
			    app_row, &l, &err);
		ec = cli_list_done(l.arr, json, rc, &err);
		rc = CERTA_OK;
	} else {
		ec = cli_usage(APP_USAGE, "unknown app command '%s'", a.pos[0]);
	}
	if (rc != CERTA_OK)
		ec = cli_fail(rc, &err);
	certa_app_rec_clear(&app);
	certa_org_rec_clear(&org);
	certa_close(ctx);
	return ec;
}
