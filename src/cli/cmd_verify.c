/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa verify: validate a leaf certificate with the trust engine
 * (certa_trust_validate), against the data directory's trust store and
 * certa's own CAs (default mode certa_ca), or, with --trust-anchor, only
 * against the files given (mode trusted_ca, no data directory opened).
 * Exit 0 valid, 1 invalid, 2 unusable input, 3 unsupported option value.
 * Only public headers here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <certa/limits.h>
#include <certa/trust.h>
#include <certa/truststore.h>
#include <certa/util.h>

#include "cli/cli.h"

#define VERIFY_USAGE "certa verify [--mode M] [--trust-anchor F]... " \
	"[--untrusted F]... [--crl F]... [--require-crl] [--time T] " \
	"[--skip-expiry] [--purpose client|server|any] [--eku NAME]... " \
	"[--key-usage NAME]... [--sig-alg NAME]... " \
	"[--name V [--name-kind DNS|IP|RFC822]]... [--max-depth N] " \
	"[--policy-check] [--policy OID]... [--explicit-policy] " \
	"[--inhibit-policy-mapping] [--inhibit-any-policy] " \
	"[--auto-reject [--peer ADDR]] [--json] LEAF"

/* Most peer chain certificates and CRLs of one check. */
#define VERIFY_MAX_CHAIN	256
#define VERIFY_MAX_CRLS		64

/* Largest certificate bundle or CRL file read. */
#define VERIFY_MAX_FILE	(256L * 1024 * 1024)

struct verify_run {
	bool			 json;
	struct certa_der_list	 leaf;		/* owns */
	struct certa_der_list	 anchors;	/* owns */
	struct certa_der_list	 untrusted;	/* owns */
	struct certa_der_list	 crls;		/* owns */
	struct certa_verify_policy pol;		/* strings borrowed: argv */
};

/* One JSON object on one line (the conformance runner reads the last). */
static void
json_line(json_t *j)
{
	if (j == NULL)
		return;
	json_dumpf(j, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(j);
}

/* Print an error / unsupported result and return ec. */
static int
verify_out(const struct verify_run *r, int ec, const char *reason,
    const char *msg)
{
	const char *result = ec == CLI_EXIT_UNSUPPORTED ? "unsupported" :
	    "error";

	if (r->json)
		json_line(json_pack("{s:s, s:s, s:s}", "result", result,
		    "reason", reason, "message", msg));
	else
		printf("%s: %s\n", reason, msg);
	fprintf(stderr, "certa: %s: %s\n", result, msg);
	return ec;
}

static int
verify_fail(const struct verify_run *r, certa_rc rc,
    const struct certa_err *err)
{
	return verify_out(r, cli_exit_code(rc) == CLI_EXIT_FAIL ?
	    CLI_EXIT_FAIL : CLI_EXIT_USAGE, certa_rc_name(rc),
	    err->msg[0] ? err->msg : certa_rc_name(rc));
}

/* Read path (PEM bundle or one DER) into list; what names it in errors. */
static int
read_one(struct verify_run *r, const char *what, const char *path, bool crl,
    struct certa_der_list *list)
{
	struct certa_err	 err;
	uint8_t			*data = NULL;
	size_t			 len = 0;
	certa_rc		 rc;
	char			 msg[CERTA_ERR_MSG_MAX + 64];

	certa_err_clear(&err);
	rc = certa_file_read(path, VERIFY_MAX_FILE, &data, &len, &err);
	if (rc == CERTA_OK)
		rc = certa_trust_decode_bundle(data, len, crl, list, &err);
	free(data);
	if (rc == CERTA_OK)
		return 0;
	snprintf(msg, sizeof(msg), "%s '%s': %s", what, path, err.msg);
	return verify_out(r, CLI_EXIT_USAGE, certa_rc_name(rc), msg);
}

/* Read every file of opt into list. */
static int
read_files(struct verify_run *r, const struct cli_args *a, const char *opt,
    bool crl, struct certa_der_list *list)
{
	const char *const	*files;
	size_t			 i, n;
	int			 ec;
	char			 what[32];

	snprintf(what, sizeof(what), "--%s", opt);
	n = cli_multi(a, opt, &files);
	for (i = 0; i < n; i++)
		if ((ec = read_one(r, what, files[i], crl, list)) != 0)
			return ec;
	return 0;
}

/*
 * --name V [--name-kind K] pairs, in argv order (a kind applies to the
 * name before it).  Returns an exit code or 0.
 */
static int
parse_names(struct verify_run *r, int argc, char **argv)
{
	struct certa_verify_policy	*p = &r->pol;
	int				 i;
	const char			*kind;
	char				 msg[160];

	for (i = 0; i < argc; i++) {
		const char *s = argv[i];

		if (strcmp(s, "--") == 0)
			break;
		if (strcmp(s, "--name") == 0 || strncmp(s, "--name=", 7) == 0) {
			if (p->nnames >= CERTA_VERIFY_MAX_ITEMS)
				return verify_out(r, CLI_EXIT_UNSUPPORTED,
				    "unsupported", "too many --name");
			p->names[p->nnames].kind = CERTA_NAME_DNS;
			p->names[p->nnames].value = s[6] == '=' ? s + 7 :
			    (i + 1 < argc ? argv[++i] : "");
			p->nnames++;
		} else if (strcmp(s, "--name-kind") == 0 ||
		    strncmp(s, "--name-kind=", 12) == 0) {
			kind = s[11] == '=' ? s + 12 : (i + 1 < argc ?
			    argv[++i] : "");
			if (p->nnames == 0)
				return verify_out(r, CLI_EXIT_USAGE, "usage",
				    "--name-kind without a --name before it");
			if (strcasecmp(kind, "DNS") == 0)
				p->names[p->nnames - 1].kind = CERTA_NAME_DNS;
			else if (strcasecmp(kind, "IP") == 0)
				p->names[p->nnames - 1].kind = CERTA_NAME_IP;
			else if (strcasecmp(kind, "RFC822") == 0 ||
			    strcasecmp(kind, "EMAIL") == 0)
				p->names[p->nnames - 1].kind = CERTA_NAME_EMAIL;
			else {
				snprintf(msg, sizeof(msg), "name kind '%s' "
				    "(DNS, IP, RFC822)", kind);
				return verify_out(r, CLI_EXIT_UNSUPPORTED,
				    "unsupported", msg);
			}
		} else if (strncmp(s, "--", 2) == 0 && strchr(s, '=') == NULL &&
		    i + 1 < argc && strcmp(s, "--json") != 0 &&
		    strcmp(s, "--policy-check") != 0 &&
		    strcmp(s, "--explicit-policy") != 0 &&
		    strcmp(s, "--inhibit-policy-mapping") != 0 &&
		    strcmp(s, "--inhibit-any-policy") != 0 &&
		    strcmp(s, "--require-crl") != 0 &&
		    strcmp(s, "--skip-expiry") != 0) {
			i++;		/* an option's value */
		}
	}
	return 0;
}

/* Copy a repeatable option into items; 3 when there are too many. */
static int
take_multi(struct verify_run *r, const struct cli_args *a, const char *opt,
    const char **items, size_t *n)
{
	const char *const	*vals;
	size_t			 i, k;
	char			 msg[96];

	k = cli_multi(a, opt, &vals);
	if (k > CERTA_VERIFY_MAX_ITEMS) {
		snprintf(msg, sizeof(msg), "more than %d --%s",
		    CERTA_VERIFY_MAX_ITEMS, opt);
		return verify_out(r, CLI_EXIT_UNSUPPORTED, "unsupported", msg);
	}
	for (i = 0; i < k; i++)
		items[i] = vals[i];
	*n = k;
	return 0;
}

static int
parse_policy(struct verify_run *r, const struct cli_args *a)
{
	struct certa_verify_policy	*p = &r->pol;
	struct certa_err		 err;
	const char *const		*vals;
	const char			*s;
	char				*end;
	long				 d;
	int				 ec;

	certa_err_clear(&err);
	p->mode = cli_multi(a, "trust-anchor", &vals) > 0 ?
	    CERTA_MODE_TRUSTED_CA : CERTA_MODE_CERTA_CA;
	if ((s = cli_opt(a, "mode")) != NULL &&
	    certa_trust_mode_parse(s, &p->mode, &err) != CERTA_OK)
		return verify_out(r, CLI_EXIT_UNSUPPORTED, "unsupported",
		    err.msg);
	p->purpose = CERTA_PURPOSE_ANY;
	if ((s = cli_opt(a, "purpose")) != NULL) {
		if (strcmp(s, "client") == 0)
			p->purpose = CERTA_PURPOSE_CLIENT;
		else if (strcmp(s, "server") == 0)
			p->purpose = CERTA_PURPOSE_SERVER;
		else if (strcmp(s, "any") == 0)
			p->purpose = CERTA_PURPOSE_ANY;
		else
			return verify_out(r, CLI_EXIT_UNSUPPORTED,
			    "unsupported", "purpose must be client, server "
			    "or any");
	}
	if ((s = cli_opt(a, "time")) != NULL &&
	    certa_time_parse(s, &p->at, &err) != CERTA_OK)
		return verify_out(r, CLI_EXIT_USAGE, "usage", err.msg);
	if ((s = cli_opt(a, "max-depth")) != NULL) {
		d = strtol(s, &end, 10);
		if (*s == '\0' || *end != '\0' || d < 0 || d > 64)
			return verify_out(r, CLI_EXIT_USAGE, "usage",
			    "--max-depth must be 0..64");
		p->max_depth = d == 0 ? CERTA_DEPTH_NONE : (int)d;
	}
	p->skip_expiry = cli_flag(a, "skip-expiry");
	p->auto_reject = cli_flag(a, "auto-reject");
	p->require_crl = cli_flag(a, "require-crl");
	p->policy_check = cli_flag(a, "policy-check");
	p->explicit_policy = cli_flag(a, "explicit-policy");
	p->inhibit_policy_mapping = cli_flag(a, "inhibit-policy-mapping");
	p->inhibit_any_policy = cli_flag(a, "inhibit-any-policy");
	if ((ec = take_multi(r, a, "eku", p->ekus, &p->nekus)) != 0 ||
	    (ec = take_multi(r, a, "key-usage", p->key_usages,
	    &p->nkey_usages)) != 0 ||
	    (ec = take_multi(r, a, "sig-alg", p->sig_algs,
	    &p->nsig_algs)) != 0 ||
	    (ec = take_multi(r, a, "policy", p->policies,
	    &p->npolicies)) != 0)
		return ec;
	/* Policies given imply the §6.1.1 processing. */
	if (p->npolicies > 0 || p->explicit_policy ||
	    p->inhibit_policy_mapping || p->inhibit_any_policy)
		p->policy_check = true;
	return 0;
}

/* A snapshot of only the --trust-anchor files. */
static int
anchor_snapshot(struct verify_run *r, struct certa_snapshot **out)
{
	struct certa_snapshot_builder	*b = NULL;
	struct certa_err		 err;
	size_t				 i;
	certa_rc			 rc;

	certa_err_clear(&err);
	*out = NULL;
	rc = certa_snapshot_builder_new(&b, &err);
	for (i = 0; rc == CERTA_OK && i < r->anchors.n; i++)
		rc = certa_snapshot_add_cert(b, CERTA_LIST_TRUSTED,
		    r->anchors.der[i], r->anchors.len[i], NULL, &err);
	if (rc == CERTA_OK) {
		rc = certa_snapshot_build(b, 0, out, &err);
		b = NULL;		/* consumed */
	}
	certa_snapshot_builder_free(b);
	return rc == CERTA_OK ? 0 : verify_fail(r, rc, &err);
}

static void
print_verdict(const struct verify_run *r, const struct certa_trust_verdict *v)
{
	json_t	*chain;
	size_t	 i;

	if (!r->json) {
		printf("%s: %s\n", v->reason, v->message);
		return;
	}
	chain = json_array();
	for (i = 0; chain != NULL && i < v->nchain; i++)
		json_array_append_new(chain, json_string(v->chain[i]));
	json_line(json_pack("{s:s, s:s, s:s, s:o, s:s}", "result",
	    v->valid ? "valid" : "invalid", "reason", v->reason, "message",
	    v->message, "chain", chain ? chain : json_array(), "fingerprint",
	    v->fingerprint));
}

int
cmd_verify(int argc, char **argv)
{
	static const struct cli_opt spec[] = {
		{ "mode", true, false }, { "trust-anchor", true, true },
		{ "untrusted", true, true }, { "crl", true, true },
		{ "require-crl", false, false }, { "time", true, false },
		{ "skip-expiry", false, false }, { "purpose", true, false },
		{ "eku", true, true }, { "key-usage", true, true },
		{ "sig-alg", true, true }, { "name", true, true },
		{ "name-kind", true, true }, { "max-depth", true, false },
		{ "policy-check", false, false }, { "policy", true, true },
		{ "explicit-policy", false, false },
		{ "inhibit-policy-mapping", false, false },
		{ "inhibit-any-policy", false, false },
		{ "json", false, false }, { "auto-reject", false, false },
		{ "peer", true, false },
		{ NULL, 0, 0 } };
	struct verify_run		 r;
	struct cli_args			 a;
	struct certa_ctx		*ctx = NULL;
	struct certa_snapshot		*snap = NULL;
	struct certa_trust_verdict	 v;
	struct certa_err		 err;
	const uint8_t			*chain[VERIFY_MAX_CHAIN];
	size_t				 chain_len[VERIFY_MAX_CHAIN];
	size_t				 i, nchain = 0;
	certa_rc			 rc;
	int				 ec;

	memset(&r, 0, sizeof(r));
	memset(&v, 0, sizeof(v));
	certa_err_clear(&err);
	if ((ec = cli_parse(argc, argv, spec, &a, VERIFY_USAGE)) != 0)
		return ec;
	r.json = cli_flag(&a, "json");
	if (a.npos != 1) {
		ec = verify_out(&r, CLI_EXIT_USAGE, "usage", "expected one "
		    "certificate file (LEAF)");
		goto out;
	}
	if ((ec = parse_policy(&r, &a)) != 0 ||
	    (ec = parse_names(&r, argc, argv)) != 0)
		goto out;
	if ((ec = read_files(&r, &a, "trust-anchor", false, &r.anchors)) != 0 ||
	    (ec = read_files(&r, &a, "untrusted", false, &r.untrusted)) != 0 ||
	    (ec = read_files(&r, &a, "crl", true, &r.crls)) != 0)
		goto out;
	/* The leaf: the first certificate of LEAF; the rest are chain. */
	if ((ec = read_one(&r, "certificate", a.pos[0], false, &r.leaf)) != 0)
		goto out;

	/* The rest of LEAF's file and the --untrusted files: peer chain. */
	for (i = 1; i < r.leaf.n && nchain < VERIFY_MAX_CHAIN; i++) {
		chain[nchain] = r.leaf.der[i];
		chain_len[nchain++] = r.leaf.len[i];
	}
	for (i = 0; i < r.untrusted.n && nchain < VERIFY_MAX_CHAIN; i++) {
		chain[nchain] = r.untrusted.der[i];
		chain_len[nchain++] = r.untrusted.len[i];
	}
	if (r.leaf.n - 1 + r.untrusted.n > VERIFY_MAX_CHAIN ||
	    r.crls.n > VERIFY_MAX_CRLS) {
		ec = verify_out(&r, CLI_EXIT_USAGE, "usage", "too many "
		    "certificates or CRLs");
		goto out;
	}
	if (r.anchors.n > 0) {
		if ((ec = anchor_snapshot(&r, &snap)) != 0)
			goto out;
	} else if (r.pol.mode == CERTA_MODE_ACCEPT_ANY ||
	    r.pol.mode == CERTA_MODE_SYSTEM) {
		/* Nothing of the data directory is needed. */
		if ((ec = anchor_snapshot(&r, &snap)) != 0)
			goto out;
	} else {
		if ((ec = cli_open(&ctx)) != 0)
			goto out;
		/* Only what a check of this leaf and chain can use. */
		if ((rc = certa_trust_snapshot_load_for(ctx, r.leaf.der[0],
		    r.leaf.len[0], chain, chain_len, nchain, &snap, &err)) !=
		    CERTA_OK) {
			ec = verify_fail(&r, rc, &err);
			goto out;
		}
	}
	rc = certa_trust_validate(snap, r.leaf.der[0], r.leaf.len[0], chain,
	    chain_len, nchain, (const uint8_t *const *)r.crls.der, r.crls.len,
	    r.crls.n, &r.pol, &v, &err);
	if (rc == CERTA_E_INVAL) {
		/* A policy value this build does not know. */
		ec = verify_out(&r, CLI_EXIT_UNSUPPORTED, "unsupported",
		    err.msg);
		goto out;
	}
	if (rc != CERTA_OK) {
		ec = verify_fail(&r, rc, &err);
		goto out;
	}
	print_verdict(&r, &v);
	ec = v.valid ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	/*
	 * auto_reject (list modes, trust store only): a refused certificate
	 * is recorded in the rejected list, or its attempts counted if the
	 * store knows it, until someone trusts it (REFERENCE §3).
	 */
	if (!v.valid && r.pol.auto_reject && ctx != NULL &&
	    (r.pol.mode == CERTA_MODE_TRUSTED_LIST ||
	    r.pol.mode == CERTA_MODE_TRUSTED_CA)) {
		bool inserted = false;

		rc = certa_trust_record_rejected(ctx, r.leaf.der[0],
		    r.leaf.len[0], cli_opt(&a, "peer"), &inserted, &err);
		if (rc != CERTA_OK)
			ec = cli_fail(rc, &err);
		else
			fprintf(stderr, "certa: %s\n", inserted ? "the "
			    "certificate was added to the rejected list" :
			    "the attempt was recorded");
	}
out:
	certa_trust_verdict_clear(&v);
	certa_snapshot_unref(snap);
	certa_close(ctx);
	certa_der_list_clear(&r.leaf);
	certa_der_list_clear(&r.anchors);
	certa_der_list_clear(&r.untrusted);
	certa_der_list_clear(&r.crls);
	return ec;
}
