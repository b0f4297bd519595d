/* SPDX-License-Identifier: Apache-2.0 */
/* certa cert issue|list|show|export|revoke, certa verify, certa csr. */
#include <sys/stat.h>

#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <certa/lifecycle.h>
#include <certa/limits.h>
#include <certa/util.h>

#include "cli/cli.h"

#define CERT_USAGE \
	"certa cert issue --app APP --type TYPE (--csr FILE | --batch DIR|- | " \
	"--generate-key ALG --subject DN --p12-out F --p12-pass-file P) " \
	"[--subject DN] [--san S]... [--validity 90d] [--out F|--out-dir D] " \
	"[--json]\n" \
	"       certa cert list [--app APP] [--type T] " \
	"[--status valid|revoked|expired] [--expiring 30d] [--json]\n" \
	"       certa cert show ID|SERIAL [--json]\n" \
	"       certa cert export ID|SERIAL --format pem|der|p7b|p12 [--chain] " \
	"[--out F] [--password-file P] [--legacy] [--key F]\n" \
	"       certa cert revoke ID|SERIAL --reason REASON\n" \
	"       certa cert renew ID|SERIAL (--csr FILE | --same-key) [--out F] " \
	"[--json]\n" \
	"       certa cert reissue ID|SERIAL --csr FILE [--now | --grace 72h] " \
	"[--out F] [--json]"

/* How many predecessors cert show lists. */
#define CLI_MAX_CHAIN	64
/* Batch inputs are issued in slices so output streams as it commits. */
#define BATCH_SLICE	4096

static const struct cli_opt cert_spec[] = {
	{ "app", true, false }, { "type", true, false },
	{ "csr", true, false }, { "batch", true, false },
	{ "generate-key", true, false }, { "subject", true, false },
	{ "p12-out", true, false }, { "p12-pass-file", true, false },
	{ "san", true, true }, { "validity", true, false },
	{ "out", true, false }, { "out-dir", true, false },
	{ "json", false, false }, { "status", true, false },
	{ "expiring", true, false }, { "format", true, false },
	{ "chain", false, false }, { "password-file", true, false },
	{ "legacy", false, false }, { "key", true, false },
	{ "reason", true, false }, { "same-key", false, false },
	{ "now", false, false }, { "grace", true, false }, { NULL, 0, 0 } };

struct input {
	char		 name[256];
	uint8_t		*data;		/* owns */
	size_t		 len;
};

static void
inputs_free(struct input *in, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(in[i].data);
	free(in);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file in dir, by name. */
static int
read_dir_inputs(const char *dir, struct input **out, size_t *n)
{
	DIR			*d;
	struct dirent		*e;
	char			**names = NULL, path[PATH_MAX];
	size_t			 nn = 0, cap = 0, i;
	struct input		*in = NULL;
	struct certa_err	 err;
	struct stat		 st;
	int			 ec = 0;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "certa: error: cannot open directory '%s'\n",
		    dir);
		return CLI_EXIT_USAGE;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (nn == cap) {
			char **nb;

			cap = cap ? cap * 2 : 256;
			if ((nb = realloc(names, cap * sizeof(*nb))) == NULL)
				break;
			names = nb;
		}
		names[nn++] = strdup(e->d_name);
	}
	closedir(d);
	if (nn > 0)
		qsort(names, nn, sizeof(*names), cmp_names);
	in = calloc(nn ? nn : 1, sizeof(*in));
	for (i = 0; in != NULL && i < nn; i++) {
		certa_rc rc;

		snprintf(in[i].name, sizeof(in[i].name), "%s", names[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		certa_err_clear(&err);
		rc = certa_file_read(path, CERTA_MAX_CSR_DER, &in[i].data,
		    &in[i].len, &err);
		if (rc != CERTA_OK) {
			/* Kept as an empty input: it fails on its own. */
			in[i].data = NULL;
			in[i].len = 0;
		}
	}
	for (i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	if (in == NULL) {
		fprintf(stderr, "certa: error: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	*out = in;
	*n = nn;
	return ec;
}

/* Concatenated PEM CSRs on stdin, split at each BEGIN line. */
static int
read_stdin_inputs(struct input **out, size_t *n)
{
	struct certa_err	 err;
	uint8_t			*all = NULL;
	size_t			 len = 0, cap = 0, nn = 0;
	struct input		*in = NULL;
	char			*p, *next, *end;
	certa_rc		 rc;

	certa_err_clear(&err);
	rc = certa_file_read("-", 256L * 1024 * 1024, &all, &len, &err);
	if (rc != CERTA_OK)
		return cli_fail(rc, &err);
	p = strstr((char *)all, "-----BEGIN ");
	while (p != NULL) {
		next = strstr(p + 11, "-----BEGIN ");
		end = next ? next : (char *)all + len;
		if (nn == cap) {
			struct input *nb;

			cap = cap ? cap * 2 : 1024;
			if ((nb = realloc(in, cap * sizeof(*nb))) == NULL)
				break;
			in = nb;
		}
		snprintf(in[nn].name, sizeof(in[nn].name), "stdin#%zu",
		    nn + 1);
		in[nn].len = (size_t)(end - p);
		in[nn].data = malloc(in[nn].len + 1);
		if (in[nn].data != NULL) {
			memcpy(in[nn].data, p, in[nn].len);
			in[nn].data[in[nn].len] = '\0';
		}
		nn++;
		p = next;
	}
	free(all);
	if (nn == 0) {
		free(in);
		fprintf(stderr, "certa: error: no PEM certificate requests on "
		    "standard input\n");
		return CLI_EXIT_USAGE;
	}
	*out = in;
	*n = nn;
	return 0;
}

/* Fill the fields every request of this invocation shares. */
static int
base_request(struct certa_ctx *ctx, const struct cli_args *a,
    struct certa_issue_req *r, struct certa_app_rec *app)
{
	struct certa_err	 err;
	certa_rc		 rc;
	int			 ec;

	memset(r, 0, sizeof(*r));
	if (cli_opt(a, "app") == NULL || cli_opt(a, "type") == NULL)
		return cli_usage(CERT_USAGE, "cert issue needs --app and "
		    "--type");
	certa_err_clear(&err);
	rc = certa_app_resolve(ctx, cli_opt(a, "app"), app, &err);
	if (rc != CERTA_OK)
		return cli_fail(rc, &err);
	r->app_id = app->id;
	r->type = cli_opt(a, "type");
	r->subject = cli_opt(a, "subject");
	r->nsans = cli_multi(a, "san", &r->sans);
	if (cli_opt(a, "validity") != NULL &&
	    (ec = cli_duration(cli_opt(a, "validity"), &r->validity)) != 0)
		return ec;
	return 0;
}

static void
batch_report(const struct cli_args *a, const struct input *in,
    const struct certa_issue_result *res, int *ec)
{
	const char	*dir = cli_opt(a, "out-dir");
	bool		 json = cli_flag(a, "json");
	char		*pem = NULL, path[PATH_MAX], base[256], *dot;

	if (res->rc != CERTA_OK) {
		if (json) {
			json_t *o = json_pack("{s:s, s:b, s:s, s:s}", "input",
			    in->name, "ok", 0, "code", certa_rc_name(res->rc),
			    "error", res->err.msg);
			char *s = json_dumps(o, JSON_COMPACT |
			    JSON_PRESERVE_ORDER);

			puts(s ? s : "{}");
			free(s);
			json_decref(o);
		} else {
			fprintf(stderr, "certa: %s: error: %s\n", in->name,
			    res->err.msg[0] ? res->err.msg :
			    certa_rc_name(res->rc));
		}
		*ec = CLI_EXIT_FAIL;
		return;
	}
	pem = certa_pem_encode("CERTIFICATE", res->rec.der, res->rec.der_len);
	if (dir != NULL) {
		snprintf(base, sizeof(base), "%s", in->name);
		if ((dot = strrchr(base, '.')) != NULL && dot != base)
			*dot = '\0';
		snprintf(path, sizeof(path), "%s/%s.crt", dir, base);
		if (pem == NULL || cli_write(path, pem, strlen(pem), 0644) != 0)
			*ec = CLI_EXIT_FAIL;
	}
	if (json) {
		json_t	*o = certa_json_cert(&res->rec, dir == NULL);
		char	*s;

		json_object_set_new(o, "input", json_string(in->name));
		json_object_set_new(o, "ok", json_true());
		s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		puts(s ? s : "{}");
		free(s);
		json_decref(o);
	} else if (dir != NULL) {
		printf("ok %s %" PRId64 " %s\n", in->name, res->rec.id,
		    res->rec.serial);
	} else if (pem != NULL) {
		fputs(pem, stdout);
	}
	free(pem);
}

/*
 * Batches and server-generated keys are issued at once or not at all:
 * refused (POLICY) while the organisation or the type needs approval.
 */
static int
no_approval(struct certa_ctx *ctx, const struct certa_issue_req *r)
{
	struct certa_err	 err;
	bool			 need = false;
	certa_rc		 rc;

	certa_err_clear(&err);
	rc = certa_approval_required(ctx, r->app_id, r->type, &need, &err);
	if (rc == CERTA_OK && need)
		rc = certa_err_set(&err, CERTA_E_POLICY, __FILE__, __LINE__,
		    "certificates of this organisation or type need "
		    "approval: send one CSR (--csr) and an approver approves "
		    "the request");
	return rc == CERTA_OK ? 0 : cli_fail(rc, &err);
}

static int
issue_batch(struct certa_ctx *ctx, const struct cli_args *a)
{
	struct certa_issue_req		 base, *reqs = NULL;
	struct certa_issue_result	*res = NULL;
	struct certa_app_rec		 app;
	struct certa_err		 err;
	struct input			*in = NULL;
	size_t				 n = 0, off, len, i;
	const char			*src = cli_opt(a, "batch");
	certa_rc			 rc;
	int				 ec;

	memset(&app, 0, sizeof(app));
	if ((ec = base_request(ctx, a, &base, &app)) != 0 ||
	    (ec = no_approval(ctx, &base)) != 0)
		goto out;
	if (cli_opt(a, "out-dir") != NULL && access(cli_opt(a, "out-dir"),
	    W_OK) != 0) {
		ec = cli_usage(CERT_USAGE, "--out-dir '%s' is not a writable "
		    "directory", cli_opt(a, "out-dir"));
		goto out;
	}
	ec = strcmp(src, "-") == 0 ? read_stdin_inputs(&in, &n) :
	    read_dir_inputs(src, &in, &n);
	if (ec != 0)
		goto out;
	reqs = calloc(n ? n : 1, sizeof(*reqs));
	res = calloc(BATCH_SLICE, sizeof(*res));
	if (reqs == NULL || res == NULL) {
		fprintf(stderr, "certa: error: out of memory\n");
		ec = CLI_EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < n; i++) {
		reqs[i] = base;
		reqs[i].csr = in[i].data ? in[i].data : (const uint8_t *)"";
		reqs[i].csr_len = in[i].len;
	}
	for (off = 0; off < n; off += len) {
		len = n - off < BATCH_SLICE ? n - off : BATCH_SLICE;
		certa_err_clear(&err);
		rc = certa_issue_batch(ctx, reqs + off, len, res, &err);
		if (rc != CERTA_OK && res[0].rc == CERTA_OK) {
			ec = cli_fail(rc, &err);
			goto out;
		}
		for (i = 0; i < len; i++) {
			batch_report(a, &in[off + i], &res[i], &ec);
			certa_cert_rec_clear(&res[i].rec);
		}
		fflush(stdout);
	}
out:
	free(res);
	free(reqs);
	inputs_free(in, n);
	certa_app_rec_clear(&app);
	return ec;
}

static int
issue_keygen(struct certa_ctx *ctx, const struct cli_args *a,
    struct certa_issue_req *r)
{
	struct certa_cert_rec		 rec;
	struct certa_export_opts	 eo;
	struct certa_err		 err;
	char				*pass = NULL;
	uint8_t				*p12 = NULL;
	size_t				 len = 0;
	certa_rc			 rc;
	int				 ec;

	memset(&rec, 0, sizeof(rec));
	if (cli_opt(a, "p12-out") == NULL || cli_opt(a, "p12-pass-file") ==
	    NULL || r->subject == NULL)
		return cli_usage(CERT_USAGE, "--generate-key needs --subject, "
		    "--p12-out and --p12-pass-file (the key leaves certa only "
		    "inside a PKCS#12)");
	if ((ec = cli_read_pass(cli_opt(a, "p12-pass-file"), &pass)) != 0)
		return ec;
	r->keygen = cli_opt(a, "generate-key");
	certa_err_clear(&err);
	rc = certa_issue(ctx, r, &rec, &err);
	if (rc != CERTA_OK) {
		ec = cli_fail(rc, &err);
		goto out;
	}
	memset(&eo, 0, sizeof(eo));
	eo.format = "p12";
	eo.chain = true;
	eo.password = pass;
	eo.legacy = cli_flag(a, "legacy");
	rc = certa_cert_export(ctx, &rec, &eo, &p12, &len, &err);
	if (rc != CERTA_OK) {
		ec = cli_fail(rc, &err);
		goto out;
	}
	if ((ec = cli_write(cli_opt(a, "p12-out"), p12, len, 0600)) != 0)
		goto out;
	if (cli_flag(a, "json"))
		cli_json_print(certa_json_cert(&rec, true));
	else
		printf("issued certificate %" PRId64 " (serial %s); key and "
		    "chain written to %s\n", rec.id, rec.serial,
		    cli_opt(a, "p12-out"));
out:
	if (p12 != NULL)
		certa_free_secret(p12, len);
	cli_free_pass(pass);
	certa_cert_rec_clear(&rec);
	return ec;
}

static int
cert_issue(struct certa_ctx *ctx, const struct cli_args *a)
{
	struct certa_issue_req	 r;
	struct certa_app_rec	 app;
	struct certa_cert_rec	 rec;
	struct certa_lc_result	 lc;
	struct certa_err	 err;
	uint8_t			*csr = NULL;
	char			*pem = NULL;
	size_t			 len = 0;
	int			 modes, ec;
	certa_rc		 rc;

	memset(&app, 0, sizeof(app));
	memset(&rec, 0, sizeof(rec));
	memset(&lc, 0, sizeof(lc));
	modes = (cli_opt(a, "csr") != NULL) + (cli_opt(a, "batch") != NULL) +
	    (cli_opt(a, "generate-key") != NULL);
	if (modes != 1)
		return cli_usage(CERT_USAGE, "cert issue needs exactly one of "
		    "--csr, --batch or --generate-key");
	if (cli_opt(a, "batch") != NULL)
		return issue_batch(ctx, a);
	if ((ec = base_request(ctx, a, &r, &app)) != 0)
		goto out;
	if (cli_opt(a, "generate-key") != NULL) {
		if ((ec = no_approval(ctx, &r)) == 0)
			ec = issue_keygen(ctx, a, &r);
		goto out;
	}
	certa_err_clear(&err);
	rc = certa_file_read(cli_opt(a, "csr"), CERTA_MAX_CSR_DER, &csr, &len,
	    &err);
	if (rc != CERTA_OK) {
		ec = cli_fail(rc == CERTA_E_IO ? CERTA_E_PARSE : rc, &err);
		goto out;
	}
	r.csr = csr;
	r.csr_len = len;
	/* Kept pending when the organisation or profile wants approval. */
	rc = certa_request_create(ctx, &r, &lc, &err);
	if (rc != CERTA_OK) {
		ec = cli_fail(rc, &err);
		goto out;
	}
	if (lc.pending) {
		ec = cli_lc_print(&lc, cli_flag(a, "json"), NULL);
		goto out;
	}
	rec = lc.cert;
	memset(&lc.cert, 0, sizeof(lc.cert));
	if (cli_flag(a, "json")) {
		cli_json_print(certa_json_cert(&rec, true));
		if (cli_opt(a, "out") == NULL)
			goto out;
	}
	pem = certa_pem_encode("CERTIFICATE", rec.der, rec.der_len);
	if (pem == NULL) {
		ec = CLI_EXIT_FAIL;
		goto out;
	}
	ec = cli_write(cli_opt(a, "out"), pem, strlen(pem), 0644);
out:
	free(pem);
	free(csr);
	certa_cert_rec_clear(&rec);
	certa_lc_result_clear(&lc);
	certa_app_rec_clear(&app);
	return ec;
}

struct list_ctx {
	json_t		*arr;
	bool		 json;
	int64_t		 expired_before;	/* status "expired" filter */
};

static certa_rc
cert_row(const struct certa_cert_rec *r, void *arg)
{
	struct list_ctx	*l = arg;
	char		 na[21];

	if (l->json) {
		json_array_append_new(l->arr, certa_json_cert(r, false));
		return CERTA_OK;
	}
	certa_time_format(r->not_after, na);
	printf("%-6" PRId64 " %-40s %-10s %-7s %s  %s\n", r->id, r->serial,
	    r->type, certa_cert_status_name(r, certa_now()), na, r->subject);
	return CERTA_OK;
}

static int
cert_list(struct certa_ctx *ctx, const struct cli_args *a)
{
	struct certa_cert_filter	 f;
	struct certa_app_rec		 app;
	struct certa_err		 err;
	struct list_ctx			 l;
	const char			*st = cli_opt(a, "status");
	int64_t				 now = certa_now(), d;
	certa_rc			 rc = CERTA_OK;
	int				 ec = 0;

	memset(&f, 0, sizeof(f));
	memset(&app, 0, sizeof(app));
	f.status = -1;
	f.type = cli_opt(a, "type");
	certa_err_clear(&err);
	if (cli_opt(a, "app") != NULL) {
		rc = certa_app_resolve(ctx, cli_opt(a, "app"), &app, &err);
		if (rc != CERTA_OK)
			return cli_fail(rc, &err);
		f.app_id = app.id;
	}
	if (st == NULL) {
	} else if (strcmp(st, "valid") == 0) {
		f.status = CERTA_CERT_VALID;
		f.not_after_min = now + 1;
	} else if (strcmp(st, "revoked") == 0) {
		f.status = CERTA_CERT_REVOKED;
	} else if (strcmp(st, "expired") == 0) {
		f.status = CERTA_CERT_VALID;
		f.not_after_max = now + 1;
	} else {
		ec = cli_usage(CERT_USAGE, "--status must be valid, revoked or "
		    "expired");
		goto out;
	}
	if (cli_opt(a, "expiring") != NULL) {
		if ((ec = cli_duration(cli_opt(a, "expiring"), &d)) != 0)
			goto out;
		f.status = CERTA_CERT_VALID;
		if (f.not_after_min < now + 1)
			f.not_after_min = now + 1;
		f.not_after_max = now + d;
	}
	l.arr = json_array();
	l.json = cli_flag(a, "json");
	rc = certa_store_cert_each(certa_ctx_store(ctx), &f, cert_row, &l,
	    &err);
	if (rc == CERTA_OK && l.json)
		cli_json_print(l.arr);
	else
		json_decref(l.arr);
	if (rc != CERTA_OK)
		ec = cli_fail(rc, &err);
out:
	certa_app_rec_clear(&app);
	return ec;
}

static int
cert_show(struct certa_ctx *ctx, const struct certa_cert_rec *r, bool json)
{
	struct certa_cert_info	 info;
	struct certa_app_rec	 app;
	struct certa_err	 err;
	char			 nb[21], na[21], ra[21];
	int64_t			 pred[CLI_MAX_CHAIN];
	size_t			 n = 0, i;
	certa_rc		 rc;

	memset(&app, 0, sizeof(app));
	certa_err_clear(&err);
	rc = certa_cert_info_get(r->der, r->der_len, &info, &err);
	if (rc != CERTA_OK)
		return cli_fail(rc, &err);
	/* The chain of predecessors (renewals, reissues), newest first. */
	if (certa_cert_predecessors(ctx, r->id, pred, CLI_MAX_CHAIN, &n,
	    &err) != CERTA_OK)
		certa_err_clear(&err);
	if (r->app_id != 0 && certa_store_app_get(certa_ctx_store(ctx),
	    r->app_id, &app, &err) != CERTA_OK)
		certa_err_clear(&err);
	if (json) {
		json_t *o = certa_json_cert(r, true);

		json_object_set_new(o, "issuer", json_string(info.issuer));
		json_object_set_new(o, "fingerprint_sha1",
		    json_string(info.sha1));
		if (app.name != NULL)
			json_object_set_new(o, "application_name",
			    json_pack("s++", app.org_name, "/", app.name));
		json_object_set_new(o, "predecessors", json_array());
		for (i = 0; i < n; i++)
			json_array_append_new(json_object_get(o,
			    "predecessors"), certa_json_id(pred[i]));
		cli_json_print(o);
	} else {
		certa_time_format(r->not_before, nb);
		certa_time_format(r->not_after, na);
		printf("id:                 %" PRId64 "\n", r->id);
		printf("serial:             %s\n", r->serial);
		printf("type:               %s\n", r->type);
		if (app.name != NULL)
			printf("application:        %s/%s (%" PRId64 ")\n",
			    app.org_name, app.name, app.id);
		printf("status:             %s\n", certa_cert_status_name(r, certa_now()));
		if (r->status == CERTA_CERT_REVOKED) {
			certa_time_format(r->revoked_at, ra);
			printf("revoked:            %s (%s)\n", ra,
			    certa_reason_name(r->reason));
		}
		printf("subject:            %s\n", info.subject);
		printf("issuer:             %s\n", info.issuer);
		if (info.sans != NULL)
			printf("alternative names:  %s\n", info.sans);
		printf("not before:         %s\n", nb);
		printf("not after:          %s\n", na);
		printf("key:                %s%s\n", info.key_alg,
		    r->key_pem ? " (generated by certa, stored encrypted)" :
		    "");
		printf("SHA-256:            %s\n", info.sha256);
		printf("SHA-1:              %s\n", info.sha1);
		if (r->predecessor_id != 0)
			printf("predecessor:        %" PRId64 "\n",
			    r->predecessor_id);
		if (n > 1) {
			printf("predecessors:       ");
			for (i = 0; i < n; i++)
				printf("%s%" PRId64, i ? " <- " : "", pred[i]);
			printf("\n");
		}
	}
	certa_app_rec_clear(&app);
	certa_cert_info_clear(&info);
	return 0;
}

static int
cert_export(struct certa_ctx *ctx, const struct cli_args *a,
    const struct certa_cert_rec *r)
{
	struct certa_export_opts	 o;
	struct certa_err		 err;
	char				*pass = NULL;
	uint8_t				*key = NULL, *out = NULL;
	size_t				 klen = 0, len = 0;
	const char			*fmt = cli_opt(a, "format");
	certa_rc			 rc;
	int				 ec = 0;
	bool				 p12;

	memset(&o, 0, sizeof(o));
	certa_err_clear(&err);
	if (fmt == NULL)
		return cli_usage(CERT_USAGE, "cert export needs --format");
	p12 = strcmp(fmt, "p12") == 0 || strcmp(fmt, "pfx") == 0;
	if (p12 && cli_opt(a, "password-file") == NULL)
		return cli_usage(CERT_USAGE, "--format p12 needs "
		    "--password-file (passwords never go on the command line)");
	if ((strcmp(fmt, "pem") != 0) && cli_opt(a, "out") == NULL &&
	    isatty(STDOUT_FILENO))
		return cli_usage(CERT_USAGE, "refusing to write binary data to "
		    "a terminal: use --out F");
	if (p12 && (ec = cli_read_pass(cli_opt(a, "password-file"), &pass)))
		goto out;
	if (cli_opt(a, "key") != NULL) {
		rc = certa_file_read(cli_opt(a, "key"), CERTA_MAX_INPUT_FILE,
		    &key, &klen, &err);
		if (rc != CERTA_OK) {
			ec = cli_fail(rc == CERTA_E_IO ? CERTA_E_PARSE : rc,
			    &err);
			goto out;
		}
	}
	o.format = fmt;
	o.chain = cli_flag(a, "chain");
	o.password = pass;
	o.legacy = cli_flag(a, "legacy");
	o.key_pem = key;
	o.key_len = klen;
	rc = certa_cert_export(ctx, r, &o, &out, &len, &err);
	if (rc != CERTA_OK) {
		ec = cli_fail(rc, &err);
		goto out;
	}
	ec = cli_write(cli_opt(a, "out"), out, len, p12 ? 0600 : 0644);
out:
	if (out != NULL)
		certa_free_secret(out, len);
	if (key != NULL)
		certa_free_secret(key, klen);
	cli_free_pass(pass);
	return ec;
}

int
cmd_cert(int argc, char **argv)
{
	struct cli_args		 a;
	struct certa_ctx	*ctx = NULL;
	struct certa_cert_rec	 rec;
	struct certa_err	 err;
	const char		*sub;
	certa_rc		 rc;
	int			 ec, reason = 0;

	if ((ec = cli_parse(argc, argv, cert_spec, &a, CERT_USAGE)) != 0)
		return ec;
	if (a.npos < 1)
		return cli_usage(CERT_USAGE, "expected issue, list, show, "
		    "export, revoke, renew or reissue");
	sub = a.pos[0];
	if ((strcmp(sub, "issue") == 0 || strcmp(sub, "list") == 0) ?
	    a.npos != 1 : a.npos != 2)
		return cli_usage(CERT_USAGE, "wrong number of arguments for "
		    "'cert %s'", sub);
	certa_err_clear(&err);
	if (strcmp(sub, "revoke") == 0) {
		if (cli_opt(&a, "reason") == NULL)
			return cli_usage(CERT_USAGE, "cert revoke needs "
			    "--reason");
		rc = certa_reason_parse(cli_opt(&a, "reason"), &reason, &err);
		if (rc != CERTA_OK)
			return cli_fail(rc, &err);
	}
	if ((ec = cli_open(&ctx)) != 0)
		return ec;
	memset(&rec, 0, sizeof(rec));
	if (strcmp(sub, "issue") == 0) {
		ec = cert_issue(ctx, &a);
	} else if (strcmp(sub, "list") == 0) {
		ec = cert_list(ctx, &a);
	} else if (strcmp(sub, "show") == 0 || strcmp(sub, "export") == 0 ||
	    strcmp(sub, "revoke") == 0 || strcmp(sub, "renew") == 0 ||
	    strcmp(sub, "reissue") == 0) {
		rc = certa_cert_resolve(ctx, a.pos[1], &rec, &err);
		if (rc != CERTA_OK)
			ec = cli_fail(rc, &err);
		else if (strcmp(sub, "renew") == 0 ||
		    strcmp(sub, "reissue") == 0)
			ec = cli_cert_renew(ctx, &a, &rec,
			    strcmp(sub, "reissue") == 0);
		else if (strcmp(sub, "show") == 0)
			ec = cert_show(ctx, &rec, cli_flag(&a, "json"));
		else if (strcmp(sub, "export") == 0)
			ec = cert_export(ctx, &a, &rec);
		else if ((rc = certa_revoke(ctx, rec.id, reason, &err)) !=
		    CERTA_OK)
			ec = cli_fail(rc, &err);
		else
			printf("revoked certificate %" PRId64 " (serial %s): "
			    "%s\n", rec.id, rec.serial,
			    certa_reason_name(reason));
	} else {
		ec = cli_usage(CERT_USAGE, "unknown cert command '%s'", sub);
	}
	certa_cert_rec_clear(&rec);
	certa_close(ctx);
	return ec;
}

#define CSR_USAGE "certa csr --key ec:P-256|ec:P-384|ed25519|rsa:2048|" \
	"rsa:3072|rsa:4096 --subject DN [--san S]... --out-key K --out-csr C " \
	"[--key-pass-file P]"

int
cmd_csr(int argc, char **argv)
{
	static const struct cli_opt spec[] = {
		{ "key", true, false }, { "subject", true, false },
		{ "san", true, true }, { "out-key", true, false },
		{ "out-csr", true, false }, { "key-pass-file", true, false },
		{ NULL, 0, 0 } };
	struct cli_args		 a;
	struct certa_err	 err;
	const char *const	*sans;
	size_t			 nsans;
	char			*key = NULL, *csr = NULL, *pass = NULL;
	certa_rc		 rc;
	int			 ec;

	if ((ec = cli_parse(argc, argv, spec, &a, CSR_USAGE)) != 0)
		return ec;
	if (cli_opt(&a, "subject") == NULL || cli_opt(&a, "out-key") == NULL ||
	    cli_opt(&a, "out-csr") == NULL || a.npos != 0)
		return cli_usage(CSR_USAGE, "csr needs --subject, --out-key and "
		    "--out-csr");
	if (strcmp(cli_opt(&a, "out-key"), "-") == 0)
		return cli_usage(CSR_USAGE, "--out-key must be a file");
	if (cli_opt(&a, "key-pass-file") != NULL &&
	    (ec = cli_read_pass(cli_opt(&a, "key-pass-file"), &pass)) != 0)
		return ec;
	nsans = cli_multi(&a, "san", &sans);
	certa_err_clear(&err);
	rc = certa_csr_generate(cli_opt(&a, "key") ? cli_opt(&a, "key") :
	    "ec:P-256", cli_opt(&a, "subject"), sans, nsans, pass, &key, &csr,
	    &err);
	if (rc == CERTA_OK)
		/* Never clobber an existing key file. */
		rc = certa_file_write(cli_opt(&a, "out-key"), key, strlen(key),
		    0600, false, &err);
	if (rc != CERTA_OK) {
		ec = cli_fail(rc, &err);
		goto out;
	}
	ec = cli_write(cli_opt(&a, "out-csr"), csr, strlen(csr), 0644);
	if (ec == 0 && strcmp(cli_opt(&a, "out-csr"), "-") != 0)
		fprintf(stderr, "key written to %s (mode 0600%s), request to "
		    "%s\n", cli_opt(&a, "out-key"), pass ? ", encrypted" : "",
		    cli_opt(&a, "out-csr"));
out:
	if (key != NULL)
		certa_free_secret(key, strlen(key) + 1);
	free(csr);
	cli_free_pass(pass);
	return ec;
}
