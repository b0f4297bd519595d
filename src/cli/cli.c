/* SPDX-License-Identifier: Apache-2.0 */
/* Option parsing, errors, output helpers of the certa CLI. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pwd.h>
#include <unistd.h>

#include <certa/util.h>

#include "cli/cli.h"

struct cli_global cli_g;

static int
find(const struct cli_args *a, const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < a->nspec; i++)
		if (strlen(a->spec[i].name) == len &&
		    strncmp(a->spec[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

int
cli_parse(int argc, char **argv, const struct cli_opt *spec,
    struct cli_args *a, const char *usage)
{
	int	 i, k;
	bool	 dashdash = false;

	memset(a, 0, sizeof(*a));
	a->spec = spec;
	for (a->nspec = 0; spec[a->nspec].name != NULL; a->nspec++)
		;
	for (i = 0; i < argc; i++) {
		const char	*s = argv[i], *eq, *val = NULL;
		size_t		 len;

		if (dashdash || strncmp(s, "--", 2) != 0 || s[2] == '\0') {
			if (!dashdash && strcmp(s, "--") == 0) {
				dashdash = true;
				continue;
			}
			if (a->npos >= CLI_MAX_POS)
				return cli_usage(usage, "too many arguments");
			a->pos[a->npos++] = s;
			continue;
		}
		if (strcmp(s, "--help") == 0) {
			fprintf(stdout, "usage: %s\n", usage);
			exit(0);
		}
		s += 2;
		eq = strchr(s, '=');
		len = eq ? (size_t)(eq - s) : strlen(s);
		if ((k = find(a, s, len)) < 0)
			return cli_usage(usage, "unknown option '--%.*s'",
			    (int)len, s);
		if (spec[k].arg) {
			if (eq != NULL)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return cli_usage(usage, "option '--%s' needs "
				    "a value", spec[k].name);
		} else if (eq != NULL) {
			return cli_usage(usage, "option '--%s' takes no value",
			    spec[k].name);
		}
		if (a->set[k] && !spec[k].multi)
			return cli_usage(usage, "option '--%s' given twice",
			    spec[k].name);
		if (a->nvals[k] >= CLI_MAX_VALS)
			return cli_usage(usage, "option '--%s' given too often",
			    spec[k].name);
		a->set[k] = true;
		a->vals[k][a->nvals[k]++] = val;
	}
	return 0;
}

const char *
cli_opt(const struct cli_args *a, const char *name)
{
	int	k = find(a, name, strlen(name));

	return k >= 0 && a->set[k] ? a->vals[k][0] : NULL;
}

bool
cli_flag(const struct cli_args *a, const char *name)
{
	int	k = find(a, name, strlen(name));

	return k >= 0 && a->set[k];
}

size_t
cli_multi(const struct cli_args *a, const char *name,
    const char *const **vals)
{
	int	k = find(a, name, strlen(name));

	if (k < 0 || !a->set[k]) {
		*vals = NULL;
		return 0;
	}
	*vals = a->vals[k];
	return a->nvals[k];
}

int
cli_exit_code(certa_rc rc)
{
	switch (rc) {
	case CERTA_OK:
		return CLI_EXIT_OK;
	case CERTA_E_PARSE:
	case CERTA_E_INVAL:
	case CERTA_E_POLICY:
	case CERTA_E_NOTFOUND:
		return CLI_EXIT_USAGE;
	default:
		return CLI_EXIT_FAIL;
	}
}

int
cli_fail(certa_rc rc, const struct certa_err *err)
{
	const char *msg = err && err->msg[0] ? err->msg : certa_rc_name(rc);

	fprintf(stderr, "certa: error: %s\n", msg);
	return cli_exit_code(rc);
}

int
cli_usage(const char *usage, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "certa: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n", usage);
	return CLI_EXIT_USAGE;
}

const char *
cli_user(void)
{
	struct passwd	*pw = getpwuid(getuid());
	const char	*u = getenv("USER");

	if (pw != NULL && pw->pw_name != NULL)
		return pw->pw_name;
	return u ? u : "unknown";
}

int
cli_readable(const char *what, const char *path)
{
	if (path == NULL || access(path, R_OK) == 0)
		return 0;
	fprintf(stderr, "certa: error: cannot read %s '%s': %s\n", what, path,
	    strerror(errno));
	return CLI_EXIT_USAGE;
}

int
cli_open(struct certa_ctx **out)
{
	struct certa_err	 err;
	certa_rc		 rc;
	char			 actor[128];

	certa_err_clear(&err);
	rc = certa_open(cli_g.dir, cli_g.pass_file, out, &err);
	if (rc != CERTA_OK)
		return cli_fail(rc, &err);
	snprintf(actor, sizeof(actor), "cli:%s", cli_user());
	certa_ctx_set_actor(*out, actor);
	/* Whoever can open the data directory acts with full rights. */
	certa_ctx_set_role(*out, "admin");
	return 0;
}

int
cli_write(const char *path, const void *data, size_t len, int mode)
{
	struct certa_err	 err;
	certa_rc		 rc;

	certa_err_clear(&err);
	if (path == NULL || strcmp(path, "-") == 0) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout)) {
			fprintf(stderr, "certa: error: cannot write stdout\n");
			return CLI_EXIT_FAIL;
		}
		return 0;
	}
	rc = certa_file_write(path, data, len, mode, true, &err);
	return rc == CERTA_OK ? 0 : cli_fail(rc, &err);
}

int
cli_read_pass(const char *path, char **out)
{
	struct certa_err	 err;
	certa_rc		 rc;

	certa_err_clear(&err);
	rc = certa_passphrase_read(path, out, &err);
	return rc == CERTA_OK ? 0 : cli_fail(rc, &err);
}

void
cli_free_pass(char *p)
{
	if (p != NULL)
		certa_free_secret(p, strlen(p) + 1);
}

int
cli_list_done(json_t *arr, bool json, certa_rc rc, const struct certa_err *err)
{
	if (rc != CERTA_OK) {
		json_decref(arr);
		return cli_fail(rc, err);
	}
	if (json)
		cli_json_print(arr);
	else
		json_decref(arr);
	return 0;
}

void
cli_json_print(json_t *v)
{
	char	*s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (s != NULL) {
		puts(s);
		free(s);
	}
	json_decref(v);
}


int
cli_num(const char *s, long lo, long hi, long *out)
{
	char	*end;
	long	 v;

	if (s == NULL)
		return 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int
cli_duration(const char *s, int64_t *out)
{
	struct certa_err	 err;
	certa_rc		 rc;

	certa_err_clear(&err);
	rc = certa_duration_parse(s, out, &err);
	return rc == CERTA_OK ? 0 : cli_fail(rc, &err);
}





