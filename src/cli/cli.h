/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The certa command line: shared option parsing, output and exit codes.
 * Uses only the public headers (include/certa/), as curl's src/ uses
 * libcurl.  Exit codes: 0 ok, 1 operation failed, 2 usage or input error,
 * 3 unsupported option.
 */
#ifndef CERTA_CLI_H
#define CERTA_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include <certa/certa.h>
#include <certa/json.h>
#include <certa/util.h>

#define CLI_EXIT_OK		0
#define CLI_EXIT_FAIL		1
#define CLI_EXIT_USAGE		2
#define CLI_EXIT_UNSUPPORTED	3

#define CLI_MAX_OPTS	32
#define CLI_MAX_VALS	64
#define CLI_MAX_POS	16

struct cli_opt {
	const char	*name;		/* without "--" */
	bool		 arg;		/* takes a value */
	bool		 multi;		/* may repeat */
};

struct cli_args {
	const struct cli_opt	*spec;			/* borrowed */
	size_t			 nspec;
	const char		*vals[CLI_MAX_OPTS][CLI_MAX_VALS];
	size_t			 nvals[CLI_MAX_OPTS];
	bool			 set[CLI_MAX_OPTS];
	const char		*pos[CLI_MAX_POS];	/* borrowed argv */
	size_t			 npos;
};

/* Global options, taken out of argv wherever they stand. */
struct cli_global {
	const char	*dir;
	const char	*pass_file;
	const char	*prog;
};
extern struct cli_global cli_g;

/* Parse argv; on error print it and return CLI_EXIT_USAGE (else 0). */
int		 cli_parse(int argc, char **argv, const struct cli_opt *spec,
		    struct cli_args *a, const char *usage);
const char	*cli_opt(const struct cli_args *, const char *name);
bool		 cli_flag(const struct cli_args *, const char *name);
size_t		 cli_multi(const struct cli_args *, const char *name,
		    const char *const **vals);

/* Print "certa: msg" to stderr; return the exit code for rc. */
int		 cli_fail(certa_rc rc, const struct certa_err *err);
int		 cli_usage(const char *usage, const char *fmt, ...)
		    CERTA_PRINTF(2, 3);
int		 cli_exit_code(certa_rc rc);
/* Login name of the invoking user, for the audit log. */
const char	*cli_user(void);
/* Open the data directory from cli_g; prints the error. */
int		 cli_open(struct certa_ctx **out);
/* Write data to path ("-" or NULL = stdout); prints the error. */
int		 cli_write(const char *path, const void *data, size_t len,
		    int mode);
/*
 * A file named on the command line must be readable: else print
 * "certa: error: cannot read WHAT 'PATH': reason" and return
 * CLI_EXIT_USAGE (bad input), before anything is done.  0 if readable.
 */
int		 cli_readable(const char *what, const char *path);
/* Read a password/passphrase file; prints the error. */
int		 cli_read_pass(const char *path, char **out);
void		 cli_free_pass(char *p);
/*
 * End of a listing: with rc OK, print arr when json (else it was printed
 * as text already); otherwise report the error.  Drops arr; returns the
 * exit code.
 */
int		 cli_list_done(json_t *arr, bool json, certa_rc rc,
		    const struct certa_err *err);
/* Print a JSON value followed by a newline; decref it. */
void		 cli_json_print(json_t *v);
/* Durations and times; print the error.  (JSON views of records:
 * <certa/json.h>.) */
int		 cli_duration(const char *s, int64_t *out);
/* A decimal number in lo..hi into *out (unchanged when s is NULL): 0, or
 * -1 when s is not one (the caller prints its usage). */
int		 cli_num(const char *s, long lo, long hi, long *out);

int	cmd_init(int argc, char **argv);
int	cmd_org(int argc, char **argv);
int	cmd_app(int argc, char **argv);
int	cmd_cert(int argc, char **argv);
int	cmd_csr(int argc, char **argv);
int	cmd_crl(int argc, char **argv);
int	cmd_ca(int argc, char **argv);
int	cmd_verify(int argc, char **argv);
int	cmd_audit(int argc, char **argv);
int	cmd_trust(int argc, char **argv);
int	cmd_serve(int argc, char **argv);
int	cmd_gate(int argc, char **argv);
int	cmd_token(int argc, char **argv);
int	cmd_role(int argc, char **argv);
int	cmd_notify(int argc, char **argv);
int	cmd_request(int argc, char **argv);
int	cmd_policy(int argc, char **argv);
int	cmd_settings(int argc, char **argv);
int	cmd_store(int argc, char **argv);

/* Lifecycle (cmd_request.c): cert renew / cert reissue of rec. */
struct certa_lc_result;
int	cli_cert_renew(struct certa_ctx *, const struct cli_args *,
	    const struct certa_cert_rec *rec, bool reissue);
/* Print a lifecycle result: certificate (PEM to out, or JSON) and the
 * request it left, if any. */
int	cli_lc_print(const struct certa_lc_result *, bool json,
	    const char *out);

#endif
