/* SPDX-License-Identifier: Apache-2.0 */
/* certa init, certa ca list|export, certa crl. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <certa/util.h>

#include "cli/cli.h"

#define INIT_USAGE "certa init [--dir D] [--key ec:P-256|ec:P-384|ed25519|" \
	"rsa:3072|rsa:4096] [--subject DN] [--validity 10y] [--base-url URL] " \
	"[--single-tier] [--passphrase-file F] [--import-ca CERT KEY " \
	"[--import-key-pass-file F]]"

int
cmd_init(int argc, char **argv)
{
	static const struct cli_opt spec[] = {
		{ "key", true, false }, { "subject", true, false },
		{ "validity", true, false }, { "base-url", true, false },
		{ "single-tier", false, false }, { "import-ca", true, false },
		{ "import-key-pass-file", true, false }, { NULL, 0, 0 } };
	struct cli_args		 a;
	struct certa_init_opts	 o;
	struct certa_err	 err;
	char			*created = NULL, actor[128];
	certa_rc		 rc;
	int			 ec;

	if ((ec = cli_parse(argc, argv, spec, &a, INIT_USAGE)) != 0)
		return ec;
	memset(&o, 0, sizeof(o));
	o.dir = cli_g.dir;
	o.key_spec = cli_opt(&a, "key");
	o.subject = cli_opt(&a, "subject");
	o.base_url = cli_opt(&a, "base-url");
	o.single_tier = cli_flag(&a, "single-tier");
	o.passphrase_file = cli_g.pass_file;
	o.import_cert = cli_opt(&a, "import-ca");
	o.import_key_pass_file = cli_opt(&a, "import-key-pass-file");
	if (o.import_cert != NULL) {
		if (a.npos != 1)
			return cli_usage(INIT_USAGE, "--import-ca needs CERT "
			    "and KEY");
		o.import_key = a.pos[0];
		if (o.key_spec || o.subject || o.single_tier)
			return cli_usage(INIT_USAGE, "--import-ca cannot be "
			    "combined with --key, --subject or --single-tier");
	} else if (a.npos != 0) {
		return cli_usage(INIT_USAGE, "unexpected argument '%s'",
		    a.pos[0]);
	}
	if (cli_opt(&a, "validity") &&
	    (ec = cli_duration(cli_opt(&a, "validity"), &o.validity)) != 0)
		return ec;
	/* Files named on the command line: unreadable is bad input. */
	if ((ec = cli_readable("CA certificate", o.import_cert)) != 0 ||
	    (ec = cli_readable("CA key", o.import_key)) != 0)
		return ec;
	snprintf(actor, sizeof(actor), "cli:%s", cli_user());
	o.actor = actor;
	certa_err_clear(&err);
	rc = certa_init(&o, &created, &err);
	if (rc != CERTA_OK)
		return cli_fail(rc, &err);
	printf("initialised %s\n", cli_g.dir);
	if (created != NULL) {
		printf("CA keys are encrypted with a random passphrase kept in "
		    "%s (mode 0600): back it up, or move it elsewhere and use "
		    "--passphrase-file / CERTA_PASSPHRASE_FILE\n", created);
		free(created);
	}
	return 0;
}

#define CA_USAGE "certa ca list [--json] | certa ca export [--chain] " \
	"[--format pem|der|p7b] [--out F]"

struct ca_list {
	json_t	*arr;
	bool	 json;
};

static certa_rc
ca_row(const struct certa_ca_rec *r, void *arg)
{
	struct ca_list		*l = arg;
	struct certa_cert_info	 info;
	struct certa_err	 err;
	char			 nb[21], na[21];
	certa_rc		 rc;

	certa_err_clear(&err);
	rc = certa_cert_info_get(r->cert_der, r->cert_der_len, &info, &err);
	if (rc != CERTA_OK)
		return rc;
	if (l->json) {
		json_array_append_new(l->arr, json_pack(
		    "{s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:I, s:b}",
		    "id", certa_json_id(r->id), "name", r->name, "role", r->role,
		    "status", r->status, "subject", info.subject,
		    "issuer", info.issuer,
		    "not_before", certa_json_time(info.not_before),
		    "not_after", certa_json_time(info.not_after),
		    "fingerprint_sha256", info.sha256,
		    "crl_number", (json_int_t)r->crl_number,
		    "has_key", r->key_pem != NULL));
	} else {
		certa_time_format(info.not_before, nb);
		certa_time_format(info.not_after, na);
		printf("%-3" PRId64 " %-8s %-7s %-7s %s  %s .. %s\n", r->id,
		    r->name, r->role, r->status, info.subject, nb, na);
	}
	certa_cert_info_clear(&info);
	return CERTA_OK;
}

int
cmd_ca(int argc, char **argv)
{
	static const struct cli_opt spec[] = {
		{ "json", false, false }, { "chain", false, false },
		{ "format", true, false }, { "out", true, false },
		{ NULL, 0, 0 } };
	struct cli_args		 a;
	struct certa_ctx	*ctx = NULL;
	struct certa_err	 err;
	uint8_t			*out = NULL;
	size_t			 len = 0;
	certa_rc		 rc = CERTA_OK;
	int			 ec;

	if ((ec = cli_parse(argc, argv, spec, &a, CA_USAGE)) != 0)
		return ec;
	if (a.npos != 1)
		return cli_usage(CA_USAGE, "expected 'list' or 'export'");
	certa_err_clear(&err);
	if ((ec = cli_open(&ctx)) != 0)
		return ec;
	if (strcmp(a.pos[0], "list") == 0) {
		struct ca_list l = { json_array(), cli_flag(&a, "json") };

		rc = certa_store_ca_each(certa_ctx_store(ctx), ca_row, &l,
		    &err);
		ec = cli_list_done(l.arr, l.json, rc, &err);
		rc = CERTA_OK;
	} else if (strcmp(a.pos[0], "export") == 0) {
		rc = certa_ca_export(ctx, cli_flag(&a, "chain"),
		    cli_opt(&a, "format"), &out, &len, &err);
		if (rc == CERTA_OK)
			ec = cli_write(cli_opt(&a, "out"), out, len, 0644);
	} else {
		ec = cli_usage(CA_USAGE, "unknown ca command '%s'", a.pos[0]);
	}
	if (rc != CERTA_OK)
		ec = cli_fail(rc, &err);
	free(out);
	certa_close(ctx);
	return ec;
}

#define CRL_USAGE "certa crl [--out F] [--format der|pem] [--validity 7d] " \
	"[--json]"

int
cmd_crl(int argc, char **argv)
{
	static const struct cli_opt spec[] = {
		{ "out", true, false }, { "format", true, false },
		{ "validity", true, false }, { "json", false, false },
		{ NULL, 0, 0 } };
	struct cli_args		 a;
	struct certa_ctx	*ctx = NULL;
	struct certa_err	 err;
	struct certa_crl_info	 info;
	const char		*fmt;
	uint8_t			*out = NULL;
	size_t			 len = 0;
	int64_t			 validity = 0;
	certa_rc		 rc;
	int			 ec;

	if ((ec = cli_parse(argc, argv, spec, &a, CRL_USAGE)) != 0)
		return ec;
	if (a.npos != 0)
		return cli_usage(CRL_USAGE, "unexpected argument '%s'",
		    a.pos[0]);
	fmt = cli_opt(&a, "format") ? cli_opt(&a, "format") : "der";
	if (strcmp(fmt, "der") != 0 && strcmp(fmt, "pem") != 0)
		return cli_usage(CRL_USAGE, "--format must be der or pem");
	if (cli_opt(&a, "validity") &&
	    (ec = cli_duration(cli_opt(&a, "validity"), &validity)) != 0)
		return ec;
	if (cli_opt(&a, "out") == NULL && strcmp(fmt, "der") == 0 &&
	    isatty(STDOUT_FILENO))
		return cli_usage(CRL_USAGE, "refusing to write DER to a "
		    "terminal: use --out F or --format pem");
	if ((ec = cli_open(&ctx)) != 0)
		return ec;
	certa_err_clear(&err);
	rc = certa_crl_generate(ctx, strcmp(fmt, "pem") == 0, validity, &out,
	    &len, &info, &err);
	if (rc != CERTA_OK) {
		ec = cli_fail(rc, &err);
		goto out;
	}
	ec = cli_write(cli_opt(&a, "out"), out, len, 0644);
	if (ec == 0 && cli_opt(&a, "out") != NULL) {
		if (cli_flag(&a, "json"))
			cli_json_print(json_pack("{s:I, s:I, s:o, s:o, s:s}",
			    "crl_number", (json_int_t)info.number, "entries",
			    (json_int_t)info.entries, "this_update",
			    certa_json_time(info.this_update), "next_update",
			    certa_json_time(info.next_update), "file",
			    cli_opt(&a, "out")));
		else
			fprintf(stderr, "CRL number %" PRId64 " with %zu "
			    "entries written to %s\n", info.number,
			    info.entries, cli_opt(&a, "out"));
	}
out:
	free(out);
	certa_close(ctx);
	return ec;
}
