/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa request list|show|approve|reject|cancel|revoke and the lifecycle
 * verbs of certa cert (renew, reissue): front end of
 * include/certa/lifecycle.h.  The library decides and audits; this file
 * parses and prints.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <certa/lifecycle.h>
#include <certa/limits.h>
#include <certa/util.h>

#include "cli/cli.h"

#define REQUEST_USAGE \
	"certa request list [--state S] [--json]\n" \
	"       certa request show ID [--json]\n" \
	"       certa request approve ID [--json] [--out F]\n" \
	"       certa request reject ID --comment TEXT\n" \
	"       certa request cancel ID\n" \
	"       certa request revoke CERT --reason REASON [--json]"

static certa_rc
request_row(const struct certa_request_rec *r, void *arg)
{
	json_t	*arr = arg;
	char	 t[21], what[96];

	if (arr != NULL) {
		json_array_append_new(arr, certa_json_request(r));
		return CERTA_OK;
	}
	/* What it is about: the certificate, else application and type. */
	if (r->cert_id != 0)
		snprintf(what, sizeof(what), "cert %" PRId64, r->cert_id);
	else
		snprintf(what, sizeof(what), "app %" PRId64 " %s", r->app_id,
		    r->type ? r->type : "");
	certa_time_format(r->created_at, t);
	printf("%-5" PRId64 " %-8s %-9s %-22s %s  %s%s%s\n", r->id, r->kind,
	    r->state, what, t, r->requested_by, r->comment ? "  " : "",
	    r->comment ? r->comment : "");
	return CERTA_OK;
}

static void
request_print(const struct certa_request_rec *r)
{
	char	 t[21];

	certa_time_format(r->created_at, t);
	printf("id:            %" PRId64 "\nkind:          %s\n"
	    "state:         %s\n", r->id, r->kind, r->state);
	if (r->type != NULL)
		printf("type:          %s\n", r->type);
	if (r->app_id != 0)
		printf("application:   %" PRId64 "\n", r->app_id);
	if (r->cert_id != 0)
		printf("certificate:   %" PRId64 "\n", r->cert_id);
	if (r->reason >= 0)
		printf("reason:        %s\n", certa_reason_name(r->reason));
	printf("requested by:  %s%s%s%s\ncreated:       %s\n",
	    r->requested_by, r->requested_role ? " (" : "",
	    r->requested_role ? r->requested_role : "",
	    r->requested_role ? ")" : "", t);
	if (r->grace_until != 0) {
		certa_time_format(r->grace_until, t);
		printf("due:           %s\n", t);
	}
	if (r->decided_by != NULL) {
		certa_time_format(r->decided_at, t);
		printf("decided by:    %s at %s\n", r->decided_by, t);
	}
	if (r->comment != NULL)
		printf("comment:       %s\n", r->comment);
	if (r->issued_cert_id != 0)
		printf("issued:        certificate %" PRId64 "\n",
		    r->issued_cert_id);
}

/*
 * Print what a lifecycle call produced: the certificate (PEM to --out,
 * or JSON) and any request it left pending.
 */
int
cli_lc_print(const struct certa_lc_result *res, bool json, const char *out)
{
	char	*pem;
	int	 ec = 0;

	if (json) {
		json_t *o = res->cert.id != 0 ?
		    certa_json_cert(&res->cert, true) : json_object();

		if (res->request.id != 0)
			json_object_set_new(o, "request",
			    certa_json_request(&res->request));
		json_object_set_new(o, "pending", json_boolean(res->pending));
		cli_json_print(o);
	} else if (res->pending) {
		printf("request %" PRId64 " (%s) is pending approval\n",
		    res->request.id, res->request.kind);
	} else if (res->request.id != 0 && res->request.grace_until != 0) {
		char t[21];

		certa_time_format(res->request.grace_until, t);
		fprintf(stderr, "certificate %" PRId64 " will be revoked "
		    "(superseded) at %s: request %" PRId64 "\n",
		    res->request.cert_id, t, res->request.id);
	}
	if (res->cert.id == 0 || (json && out == NULL))
		return 0;
	if ((pem = certa_pem_encode("CERTIFICATE", res->cert.der,
	    res->cert.der_len)) == NULL)
		return CLI_EXIT_FAIL;
	ec = cli_write(out, pem, strlen(pem), 0644);
	free(pem);
	return ec;
}

/* A request id argument; prints the usage error. */
static int
parse_id(const char *s, int64_t *out)
{
	char	*end;

	*out = strtoll(s, &end, 10);
	if (*end != '\0' || *out <= 0)
		return cli_usage(REQUEST_USAGE, "'%s' is not a request id", s);
	return 0;
}

/* Read the CSR file named by --csr (NULL when absent). */
static int
read_csr(const struct cli_args *a, uint8_t **csr, size_t *len)
{
	struct certa_err	 err;
	certa_rc		 rc;

	*csr = NULL;
	*len = 0;
	if (cli_opt(a, "csr") == NULL)
		return 0;
	certa_err_clear(&err);
	rc = certa_file_read(cli_opt(a, "csr"), CERTA_MAX_CSR_DER, csr, len,
	    &err);
	return rc == CERTA_OK ? 0 : cli_fail(rc == CERTA_E_IO ?
	    CERTA_E_PARSE : rc, &err);
}

int
cli_cert_renew(struct certa_ctx *ctx, const struct cli_args *a,
    const struct certa_cert_rec *rec, bool reissue)
{
	struct certa_lc_result	 res;
	struct certa_err	 err;
	uint8_t			*csr = NULL;
	size_t			 len = 0;
	int64_t			 grace = -1;
	certa_rc		 rc;
	int			 ec;

	memset(&res, 0, sizeof(res));
	certa_err_clear(&err);
	if (cli_opt(a, "grace") != NULL &&
	    (ec = cli_duration(cli_opt(a, "grace"), &grace)) != 0)
		return ec;
	if (cli_flag(a, "now"))
		grace = 0;
	if ((ec = read_csr(a, &csr, &len)) != 0)
		return ec;
	if (reissue)
		rc = certa_cert_reissue(ctx, rec->id, csr, len, grace, &res,
		    &err);
	else
		rc = certa_cert_renew(ctx, rec->id, csr, len,
		    cli_flag(a, "same-key"), &res, &err);
	ec = rc == CERTA_OK ? cli_lc_print(&res, cli_flag(a, "json"),
	    cli_opt(a, "out")) : cli_fail(rc, &err);
	certa_lc_result_clear(&res);
	free(csr);
	return ec;
}

/* certa request revoke CERT --reason R: a revocation request. */
static int
request_revoke(struct certa_ctx *ctx, const struct cli_args *a)
{
	struct certa_lc_result	 res;
	struct certa_cert_rec	 rec;
	struct certa_err	 err;
	int			 reason = 0, ec;
	certa_rc		 rc;

	memset(&res, 0, sizeof(res));
	memset(&rec, 0, sizeof(rec));
	certa_err_clear(&err);
	if (cli_opt(a, "reason") == NULL)
		return cli_usage(REQUEST_USAGE, "request revoke needs "
		    "--reason");
	rc = certa_reason_parse(cli_opt(a, "reason"), &reason, &err);
	if (rc == CERTA_OK)
		rc = certa_cert_resolve(ctx, a->pos[1], &rec, &err);
	if (rc == CERTA_OK)
		rc = certa_revocation_request(ctx, rec.id, reason, &res, &err);
	ec = rc == CERTA_OK ? cli_lc_print(&res, cli_flag(a, "json"), NULL) :
	    cli_fail(rc, &err);
	certa_cert_rec_clear(&rec);
	certa_lc_result_clear(&res);
	return ec;
}

int
cmd_request(int argc, char **argv)
{
	static const struct cli_opt spec[] = {
		{ "json", false, false }, { "state", true, false },
		{ "comment", true, false }, { "reason", true, false },
		{ "out", true, false }, { NULL, 0, 0 } };
	struct cli_args			 a;
	struct certa_ctx		*ctx = NULL;
	struct certa_err		 err;
	struct certa_request_rec	 r;
	struct certa_request_filter	 f;
	struct certa_lc_result		 res;
	const char			*sub;
	bool				 json;
	int64_t				 id = 0;
	certa_rc			 rc = CERTA_OK;
	int				 ec;

	if ((ec = cli_parse(argc, argv, spec, &a, REQUEST_USAGE)) != 0)
		return ec;
	if (a.npos < 1)
		return cli_usage(REQUEST_USAGE, "expected list, show, approve, "
		    "reject, cancel or revoke");
	sub = a.pos[0];
	json = cli_flag(&a, "json");
	if (strcmp(sub, "list") == 0 ? a.npos != 1 : a.npos != 2)
		return cli_usage(REQUEST_USAGE, "wrong number of arguments for "
		    "'request %s'", sub);
	if (strcmp(sub, "reject") == 0 && cli_opt(&a, "comment") == NULL)
		return cli_usage(REQUEST_USAGE, "request reject needs "
		    "--comment");
	if (a.npos == 2 && strcmp(sub, "revoke") != 0 &&
	    (ec = parse_id(a.pos[1], &id)) != 0)
		return ec;
	if ((ec = cli_open(&ctx)) != 0)
		return ec;
	certa_err_clear(&err);
	memset(&r, 0, sizeof(r));
	memset(&res, 0, sizeof(res));
	if (strcmp(sub, "list") == 0) {
		json_t *arr = json_array();

		memset(&f, 0, sizeof(f));
		f.state = cli_opt(&a, "state");
		rc = certa_request_each(ctx, &f, request_row, json ? arr :
		    NULL, &err);
		ec = cli_list_done(arr, json, rc, &err);
		rc = CERTA_OK;
	} else if (strcmp(sub, "show") == 0) {
		rc = certa_request_get(ctx, id, &r, &err);
		if (rc == CERTA_OK && json)
			cli_json_print(certa_json_request(&r));
		else if (rc == CERTA_OK)
			request_print(&r);
	} else if (strcmp(sub, "approve") == 0) {
		rc = certa_request_approve(ctx, id, &res, &err);
		if (rc == CERTA_OK && !json)
			printf("request %" PRId64 " approved: %s\n", id,
			    res.request.state);
		if (rc == CERTA_OK)
			ec = cli_lc_print(&res, json, cli_opt(&a, "out"));
	} else if (strcmp(sub, "reject") == 0) {
		rc = certa_request_reject(ctx, id, cli_opt(&a, "comment"),
		    &err);
		if (rc == CERTA_OK)
			printf("request %" PRId64 " rejected\n", id);
	} else if (strcmp(sub, "cancel") == 0) {
		rc = certa_request_cancel(ctx, id, &err);
		if (rc == CERTA_OK)
			printf("request %" PRId64 " cancelled\n", id);
	} else if (strcmp(sub, "revoke") == 0) {
		ec = request_revoke(ctx, &a);
	} else {
		ec = cli_usage(REQUEST_USAGE, "unknown request command '%s'",
		    sub);
	}
	if (rc != CERTA_OK)
		ec = cli_fail(rc, &err);
	certa_request_rec_clear(&r);
	certa_lc_result_clear(&res);
	certa_close(ctx);
	return ec;
}

#define POLICY_USAGE "certa policy list [--json] | certa policy set KEY VALUE"

/* certa policy list|set: the lifecycle policy (renewal window, grace...). */
int
cmd_policy(int argc, char **argv)
{
	static const struct cli_opt spec[] = {
		{ "json", false, false }, { NULL, 0, 0 } };
	struct cli_args		 a;
	struct certa_ctx	*ctx = NULL;
	struct certa_err	 err;
	json_t			*o = NULL;
	char			*v = NULL;
	size_t			 i;
	certa_rc		 rc = CERTA_OK;
	int			 ec;

	if ((ec = cli_parse(argc, argv, spec, &a, POLICY_USAGE)) != 0)
		return ec;
	if (a.npos == 0 || (strcmp(a.pos[0], "list") == 0 ? a.npos != 1 :
	    strcmp(a.pos[0], "set") != 0 || a.npos != 3))
		return cli_usage(POLICY_USAGE, "expected list, or set KEY VALUE");
	if ((ec = cli_open(&ctx)) != 0)
		return ec;
	certa_err_clear(&err);
	if (strcmp(a.pos[0], "set") == 0) {
		rc = certa_policy_set(ctx, a.pos[1], a.pos[2], &err);
		if (rc == CERTA_OK)
			printf("%s = %s\n", a.pos[1], a.pos[2]);
	} else {
		o = json_object();
		for (i = 0; rc == CERTA_OK && certa_policy_keys[i] != NULL;
		    i++) {
			rc = certa_policy_get(ctx, certa_policy_keys[i], &v,
			    &err);
			if (rc == CERTA_OK && cli_flag(&a, "json"))
				json_object_set_new(o, certa_policy_keys[i],
				    json_string(v));
			else if (rc == CERTA_OK)
				printf("%-24s %s\n", certa_policy_keys[i], v);
			free(v);
			v = NULL;
		}
		if (rc == CERTA_OK && cli_flag(&a, "json")) {
			cli_json_print(o);
			o = NULL;
		}
	}
	if (rc != CERTA_OK)
		ec = cli_fail(rc, &err);
	json_decref(o);
	certa_close(ctx);
	return ec;
}
