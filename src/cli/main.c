/* SPDX-License-Identifier: Apache-2.0 */
/* certa: entry point; global options and command dispatch only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*help;
} commands[] = {
	{ "init", cmd_init, "create a data directory with a root and an "
	    "issuing CA" },
	{ "org", cmd_org, "organisations: create, list, show, update, "
	    "delete" },
	{ "app", cmd_app, "applications: create, list, show, update, "
	    "delete" },
	{ "cert", cmd_cert, "certificates: issue, list, show, export, revoke, "
	    "renew, reissue" },
	{ "csr", cmd_csr, "make a key and a certificate request locally" },
	{ "crl", cmd_crl, "generate the issuing CA's CRL" },
	{ "ca", cmd_ca, "CA certificates: list, export" },
	{ "request", cmd_request, "lifecycle requests: list, show, approve, "
	    "reject, cancel, revoke" },
	{ "policy", cmd_policy, "lifecycle policy: renewal window, reissue "
	    "grace, single control" },
	{ "verify", cmd_verify, "check a certificate against certa's CAs" },
	{ "audit", cmd_audit, "audit log: list, verify" },
	{ "trust", cmd_trust, "trust store: import, lists, CRLs, OPC UA" },
	{ "token", cmd_token, "API bearer tokens: create, list, revoke" },
	{ "role", cmd_role, "client certificate roles: map, unmap, list" },
	{ "notify", cmd_notify, "expiry notifications: channels, thresholds, "
	    "run, test, log" },
	{ "settings", cmd_settings, "trust settings the gate follows: "
	    "show, set" },
	{ "store", cmd_store, "store maintenance: migrate a store into an "
	    "empty one (SQLite to PostgreSQL)" },
	{ "serve", cmd_serve, "run the daemon (REST API, OCSP, CRL, CA)" },
	{ "gate", cmd_gate, "mTLS proxy: ingress that enforces the trust "
	    "store, egress that presents client certificates" },
};

static void
help(FILE *f)
{
	size_t	i;

	fprintf(f, "certa %s: client certificates, a private CA and a trust "
	    "store\n\nusage: certa [--dir D] [--passphrase-file F] "
	    "[--store DSN] COMMAND [ARGS]\n\ncommands:\n", CERTA_VERSION);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "  %-8s %s\n\n", "version", "print the version");
	fprintf(f, "--dir defaults to $CERTA_DIR or ./certa-data.  --store "
	    "(or $CERTA_STORE) names a\nPostgreSQL store, "
	    "postgresql://USER@HOST:PORT/DB, which init records in the\n"
	    "directory.  'certa COMMAND --help' shows a command's options.\n");
}

/* Take a global option (with its value) out of argv wherever it stands. */
static int
take_global(int *argc, char **argv, const char *name, const char **out)
{
	int	i, j, skip;
	size_t	n = strlen(name);

	for (i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strncmp(argv[i], name, n) != 0)
			continue;
		if (argv[i][n] == '=') {
			*out = argv[i] + n + 1;
			skip = 1;
		} else if (argv[i][n] == '\0') {
			if (i + 1 >= *argc) {
				fprintf(stderr, "certa: option '%s' needs a "
				    "value\n", name);
				return -1;
			}
			*out = argv[i + 1];
			skip = 2;
		} else {
			continue;
		}
		for (j = i; j + skip <= *argc; j++)
			argv[j] = argv[j + skip];
		*argc -= skip;
		i--;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char	*store = NULL;
	size_t		 i;

	certa_lib_init();
	cli_g.prog = argv[0];
	cli_g.dir = getenv("CERTA_DIR");
	if (cli_g.dir == NULL || *cli_g.dir == '\0')
		cli_g.dir = "./certa-data";
	if (take_global(&argc, argv, "--dir", &cli_g.dir) != 0 ||
	    take_global(&argc, argv, "--passphrase-file", &cli_g.pass_file) ||
	    take_global(&argc, argv, "--store", &store) != 0)
		return CLI_EXIT_USAGE;
	/* --store names the store instead of DIR (docs/operations.md). */
	if (store != NULL && setenv("CERTA_STORE", store, 1) != 0) {
		fprintf(stderr, "certa: --store: %s\n", strerror(errno));
		return CLI_EXIT_USAGE;
	}
	if (argc < 2 || strcmp(argv[1], "help") == 0 ||
	    strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		help(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "version") == 0 ||
	    strcmp(argv[1], "--version") == 0) {
		printf("certa %s\n", CERTA_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "certa: unknown command '%s' (try 'certa help')\n",
	    argv[1]);
	return CLI_EXIT_USAGE;
}
