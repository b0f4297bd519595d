/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa trust: the trust store from the command line (import, list, show,
 * export, delete, trust, reject, import-crl, OPC UA export and sync).
 * Option handling and output only; every decision is in libcerta
 * (include/certa/truststore.h).  Nothing is written on failure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <certa/truststore.h>
#include <certa/util.h>

#include "cli/cli.h"

#define TRUST_USAGE "certa trust import FILE|- [--alias A] " \
	"[--list trusted|issuer] [--password-file P] [--json]\n" \
	"       certa trust list [--list trusted|issuer|rejected] [--json]\n" \
	"       certa trust show ALIAS [--json]\n" \
	"       certa trust export ALIAS [--format pem|der] [--out F]\n" \
	"       certa trust export --layout opcua DIR [--prune]\n" \
	"       certa trust delete ALIAS\n" \
	"       certa trust trust ALIAS | certa trust reject ALIAS\n" \
	"       certa trust import-crl FILE [--json]\n" \
	"       certa trust list-crl [--json]\n" \
	"       certa trust sync DIR"

static const struct cli_opt trust_spec[] = {
	{ "alias", true, false },
	{ "list", true, false },
	{ "password-file", true, false },
	{ "json", false, false },
	{ "format", true, false },
	{ "out", true, false },
	{ "layout", true, false },
	{ "prune", false, false },
	{ NULL, false, false },
};

/* Which options each subcommand takes (besides none). */
static const struct {
	const char	*cmd;
	size_t		 npos;		/* positional arguments after it */
	const char	*opts;		/* space-separated, padded */
} trust_cmds[] = {
	{ "import", 1, " alias list password-file json " },
	{ "list", 0, " list json " },
	{ "show", 1, " json " },
	{ "export", 1, " format out layout prune " },
	{ "delete", 1, " " },
	{ "trust", 1, " " },
	{ "reject", 1, " " },
	{ "import-crl", 1, " json " },
	{ "list-crl", 0, " json " },
	{ "sync", 1, " " },
};

/* A JSON string that is never NULL (jansson refuses invalid UTF-8). */
struct list_state {
	json_t	*arr;
	bool	 json;
	size_t	 n;
};

static certa_rc
list_row(const struct certa_trust_rec *r, void *arg)
{
	struct list_state	*l = arg;
	char			 t[21];

	l->n++;
	if (l->json) {
		json_array_append_new(l->arr, certa_json_trust(r));
		return CERTA_OK;
	}
	certa_time_format(r->not_after, t);
	printf("%-24s %-8s %-13s %s  %s\n", r->alias, r->list, certa_trust_status_name(r, certa_now()),
	    t, r->subject);
	return CERTA_OK;
}

static int
do_list(struct certa_ctx *ctx, const struct cli_args *a)
{
	struct list_state	 l = { NULL, cli_flag(a, "json"), 0 };
	struct certa_err	 err;
	const char		*list = cli_opt(a, "list");
	certa_rc		 rc;

	certa_err_clear(&err);
	if (list != NULL && strcmp(list, "trusted") != 0 &&
	    strcmp(list, "issuer") != 0 && strcmp(list, "rejected") != 0)
		return cli_usage(TRUST_USAGE, "--list must be trusted, issuer "
		    "or rejected");
	l.arr = json_array();
	if (!l.json)
		printf("%-24s %-8s %-13s %-20s  %s\n", "ALIAS", "LIST",
		    "STATUS", "NOT AFTER", "SUBJECT");
	rc = certa_store_trust_each(certa_ctx_store(ctx), list, list_row, &l,
	    &err);
	return cli_list_done(l.arr, l.json, rc, &err);
}

static int
do_import(struct certa_ctx *ctx, const struct cli_args *a)
{
	struct certa_trust_import_opts	 o;
	struct certa_trust_imported	 im;
	struct certa_err		 err;
	const char			*list = cli_opt(a, "list");
	const char			*pf = cli_opt(a, "password-file");
	char				*pass = NULL;
	uint8_t				*data = NULL;
	size_t				 len = 0, i;
	json_t				*arr;
	certa_rc			 rc;
	int				 ec = 0;

	certa_err_clear(&err);
	memset(&o, 0, sizeof(o));
	memset(&im, 0, sizeof(im));
	if (list == NULL || strcmp(list, "trusted") == 0)
		o.list = CERTA_LIST_TRUSTED;
	else if (strcmp(list, "issuer") == 0)
		o.list = CERTA_LIST_ISSUER;
	else
		return cli_usage(TRUST_USAGE, "--list must be trusted or "
		    "issuer (certificates become rejected only when "
		    "refused; see 'certa trust reject')");
	o.alias = cli_opt(a, "alias");
	if ((strcmp(a->pos[1], "-") != 0 &&
	    (ec = cli_readable("certificate file", a->pos[1])) != 0) ||
	    (ec = cli_readable("password file", pf)) != 0)
		return ec;
	if (pf != NULL && (ec = cli_read_pass(pf, &pass)) != 0)
		return ec;
	o.password = pass;
	rc = certa_file_read(a->pos[1], CERTA_MAX_TRUST_FILE, &data, &len,
	    &err);
	if (rc == CERTA_E_IO)
		rc = CERTA_E_PARSE;	/* an unusable input file: exit 2 */
	if (rc == CERTA_OK)
		rc = certa_trust_import(ctx, data, len, &o, &im, &err);
	if (rc != CERTA_OK) {
		ec = cli_fail(rc, &err);
		goto out;
	}
	if (cli_flag(a, "json")) {
		arr = json_array();
		for (i = 0; i < im.n; i++)
			json_array_append_new(arr, certa_json_trust(&im.recs[i]));
		cli_json_print(arr);
	} else {
		for (i = 0; i < im.n; i++)
			printf("imported '%s' (%s): %s\n  SHA-256 %s\n",
			    im.recs[i].alias, im.recs[i].list,
			    im.recs[i].subject, im.recs[i].fingerprint);
	}
out:
	certa_trust_imported_clear(&im);
	free(data);
	cli_free_pass(pass);
	return ec;
}

static int
do_show(struct certa_ctx *ctx, const struct cli_args *a)
{
	struct certa_trust_rec	 r;
	struct certa_trust_desc	 d;
	struct certa_err	 err;
	char			 nb[21], na[21], fs[21], ls[21];
	json_t			*o;
	certa_rc		 rc;
	int			 ec = 0;

	certa_err_clear(&err);
	memset(&d, 0, sizeof(d));
	rc = certa_trust_get(ctx, a->pos[1], &r, &err);
	if (rc == CERTA_OK)
		rc = certa_trust_describe(r.der, r.der_len, 0, &d, &err);
	if (rc != CERTA_OK) {
		ec = cli_fail(rc, &err);
		goto out;
	}
	if (cli_flag(a, "json")) {
		o = certa_json_trust(&r);
		json_object_set_new(o, "status", certa_json_str(d.status));
		json_object_set_new(o, "fingerprint_sha1", certa_json_str(d.sha1));
		json_object_set_new(o, "key_algorithm", certa_json_str(d.key_alg));
		json_object_set_new(o, "basic_constraints",
		    certa_json_str(d.basic_constraints));
		json_object_set_new(o, "is_ca", json_boolean(d.is_ca));
		json_object_set_new(o, "self_issued",
		    json_boolean(d.self_issued));
		cli_json_print(o);
		goto out;
	}
	certa_time_format(d.not_before, nb);
	certa_time_format(d.not_after, na);
	certa_time_format(r.first_seen, fs);
	certa_time_format(r.last_seen, ls);
	printf("alias:             %s\n"
	    "list:              %s\n"
	    "subject:           %s\n"
	    "issuer:            %s\n"
	    "serial:            %s\n"
	    "not before:        %s\n"
	    "not after:         %s\n"
	    "status:            %s\n"
	    "SHA-256:           %s\n"
	    "SHA-1:             %s\n"
	    "key algorithm:     %s\n"
	    "basic constraints: %s\n"
	    "source:            %s\n"
	    "first seen:        %s\n"
	    "last seen:         %s\n"
	    "attempts:          %" PRId64 "\n",
	    r.alias, r.list, d.subject, d.issuer, d.serial, nb, na, d.status,
	    d.sha256, d.sha1, d.key_alg, d.basic_constraints, r.source, fs,
	    ls, r.attempts);
	if (r.peer_addr != NULL)
		printf("peer address:      %s\n", r.peer_addr);
out:
	certa_trust_desc_clear(&d);
	certa_trust_rec_clear(&r);
	return ec;
}

static void
report(const char *kind, const char *path, const char *detail, void *arg)
{
	(void)arg;
	printf("%-13s %s%s%s\n", kind, path != NULL ? path : "",
	    path != NULL && detail != NULL ? ": " : "",
	    detail != NULL ? detail : "");
}

static int
do_export(struct certa_ctx *ctx, const struct cli_args *a)
{
	struct certa_err	 err;
	const char		*fmt = cli_opt(a, "format");
	const char		*layout = cli_opt(a, "layout");
	uint8_t			*data = NULL;
	size_t			 len = 0;
	certa_rc		 rc;
	int			 ec;

	certa_err_clear(&err);
	if (layout != NULL) {
		if (strcmp(layout, "opcua") != 0)
			return cli_usage(TRUST_USAGE, "unknown --layout '%s' "
			    "(opcua is the one known)", layout);
		if (fmt != NULL || cli_opt(a, "out") != NULL)
			return cli_usage(TRUST_USAGE, "--layout writes a "
			    "directory: no --format or --out");
		rc = certa_trust_export_opcua(ctx, a->pos[1],
		    cli_flag(a, "prune"), report, NULL, &err);
		return rc == CERTA_OK ? 0 : cli_fail(rc, &err);
	}
	if (cli_flag(a, "prune"))
		return cli_usage(TRUST_USAGE, "--prune goes with --layout");
	if (fmt != NULL && strcmp(fmt, "pem") != 0 && strcmp(fmt, "der") != 0)
		return cli_usage(TRUST_USAGE, "--format must be pem or der");
	rc = certa_trust_export(ctx, a->pos[1], fmt == NULL ||
	    strcmp(fmt, "pem") == 0, &data, &len, &err);
	if (rc != CERTA_OK)
		return cli_fail(rc, &err);
	ec = cli_write(cli_opt(a, "out"), data, len, 0644);
	free(data);
	return ec;
}

static int
do_move(struct certa_ctx *ctx, const struct cli_args *a,
    enum certa_trust_list list)
{
	struct certa_err	 err;
	bool			 changed = false;
	certa_rc		 rc;

	certa_err_clear(&err);
	rc = certa_trust_move(ctx, a->pos[1], list, &changed, &err);
	if (rc != CERTA_OK)
		return cli_fail(rc, &err);
	printf("'%s' %s %s\n", a->pos[1], changed ? "moved to" :
	    "is already in", certa_trust_list_name(list));
	return 0;
}

static int
do_delete(struct certa_ctx *ctx, const struct cli_args *a)
{
	struct certa_err	 err;
	certa_rc		 rc;

	certa_err_clear(&err);
	rc = certa_trust_delete(ctx, a->pos[1], &err);
	if (rc != CERTA_OK)
		return cli_fail(rc, &err);
	printf("deleted '%s'\n", a->pos[1]);
	return 0;
}

static json_t *
crl_json(const struct certa_trust_crl_rec *r, const char *signer)
{
	json_t	*o = json_object();

	json_object_set_new(o, "issuer", certa_json_str(r->issuer));
	if (signer != NULL)
		json_object_set_new(o, "signer_alias", certa_json_str(signer));
	json_object_set_new(o, "crl_number", certa_json_str(r->crl_number));
	json_object_set_new(o, "this_update", certa_json_time(r->this_update));
	json_object_set_new(o, "next_update", r->next_update != 0 ?
	    certa_json_time(r->next_update) : json_null());
	json_object_set_new(o, "fingerprint_sha256", certa_json_str(r->fingerprint));
	json_object_set_new(o, "imported_at", certa_json_time(r->imported_at));
	return o;
}

static int
do_import_crl(struct certa_ctx *ctx, const struct cli_args *a)
{
	struct certa_trust_crl_rec	 r;
	struct certa_err		 err;
	uint8_t				*data = NULL;
	size_t				 len = 0;
	char				*signer = NULL, t[21];
	certa_rc			 rc;
	int				 ec = 0;

	certa_err_clear(&err);
	memset(&r, 0, sizeof(r));
	if (strcmp(a->pos[1], "-") != 0 &&
	    (ec = cli_readable("CRL file", a->pos[1])) != 0)
		return ec;
	rc = certa_file_read(a->pos[1], CERTA_MAX_TRUST_CRL, &data, &len,
	    &err);
	if (rc == CERTA_E_IO)
		rc = CERTA_E_PARSE;
	if (rc == CERTA_OK)
		rc = certa_trust_crl_import(ctx, data, len, &r, &signer, &err);
	if (rc != CERTA_OK) {
		ec = cli_fail(rc, &err);
		goto out;
	}
	if (cli_flag(a, "json")) {
		cli_json_print(crl_json(&r, signer));
	} else {
		certa_time_format(r.this_update, t);
		printf("imported the CRL of '%s' (%s), number %s, this update "
		    "%s\n", signer, r.issuer, r.crl_number != NULL ?
		    r.crl_number : "(none)", t);
	}
out:
	certa_trust_crl_rec_clear(&r);
	free(signer);
	free(data);
	return ec;
}

static certa_rc
crl_row(const struct certa_trust_crl_rec *r, void *arg)
{
	struct list_state	*l = arg;
	char			 t[21];

	if (l->json) {
		json_array_append_new(l->arr, crl_json(r, NULL));
		return CERTA_OK;
	}
	certa_time_format(r->this_update, t);
	printf("%-10s %s  %s\n", r->crl_number != NULL ? r->crl_number : "-",
	    t, r->issuer);
	return CERTA_OK;
}

static int
do_list_crl(struct certa_ctx *ctx, const struct cli_args *a)
{
	struct list_state	 l = { NULL, cli_flag(a, "json"), 0 };
	struct certa_err	 err;
	certa_rc		 rc;

	certa_err_clear(&err);
	l.arr = json_array();
	rc = certa_store_trust_crl_each(certa_ctx_store(ctx), crl_row, &l,
	    &err);
	return cli_list_done(l.arr, l.json, rc, &err);
}

static int
do_sync(struct certa_ctx *ctx, const struct cli_args *a)
{
	struct certa_err	 err;
	certa_rc		 rc;

	certa_err_clear(&err);
	rc = certa_trust_sync_opcua(ctx, a->pos[1], report, NULL, &err);
	return rc == CERTA_OK ? 0 : cli_fail(rc, &err);
}

int
cmd_trust(int argc, char **argv)
{
	struct cli_args		 a;
	struct certa_ctx	*ctx = NULL;
	const char		*cmd;
	char			 key[40];
	size_t			 i, k;
	int			 ec;

	if ((ec = cli_parse(argc, argv, trust_spec, &a, TRUST_USAGE)) != 0)
		return ec;
	if (a.npos < 1)
		return cli_usage(TRUST_USAGE, "expected a trust command");
	cmd = a.pos[0];
	for (k = 0; k < sizeof(trust_cmds) / sizeof(trust_cmds[0]); k++)
		if (strcmp(cmd, trust_cmds[k].cmd) == 0)
			break;
	if (k == sizeof(trust_cmds) / sizeof(trust_cmds[0]))
		return cli_usage(TRUST_USAGE, "unknown trust command '%s'",
		    cmd);
	if (a.npos != trust_cmds[k].npos + 1)
		return cli_usage(TRUST_USAGE, "trust %s takes %zu argument%s",
		    cmd, trust_cmds[k].npos, trust_cmds[k].npos == 1 ? "" :
		    "s");
	for (i = 0; trust_spec[i].name != NULL; i++) {
		snprintf(key, sizeof(key), " %s ", trust_spec[i].name);
		if (cli_flag(&a, trust_spec[i].name) &&
		    strstr(trust_cmds[k].opts, key) == NULL)
			return cli_usage(TRUST_USAGE, "trust %s takes no "
			    "--%s", cmd, trust_spec[i].name);
	}
	if ((ec = cli_open(&ctx)) != 0)
		return ec;
	if (strcmp(cmd, "import") == 0)
		ec = do_import(ctx, &a);
	else if (strcmp(cmd, "list") == 0)
		ec = do_list(ctx, &a);
	else if (strcmp(cmd, "show") == 0)
		ec = do_show(ctx, &a);
	else if (strcmp(cmd, "export") == 0)
		ec = do_export(ctx, &a);
	else if (strcmp(cmd, "delete") == 0)
		ec = do_delete(ctx, &a);
	else if (strcmp(cmd, "trust") == 0)
		ec = do_move(ctx, &a, CERTA_LIST_TRUSTED);
	else if (strcmp(cmd, "reject") == 0)
		ec = do_move(ctx, &a, CERTA_LIST_REJECTED);
	else if (strcmp(cmd, "import-crl") == 0)
		ec = do_import_crl(ctx, &a);
	else if (strcmp(cmd, "list-crl") == 0)
		ec = do_list_crl(ctx, &a);
	else
		ec = do_sync(ctx, &a);
	certa_close(ctx);
	return ec;
}
