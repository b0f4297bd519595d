/* SPDX-License-Identifier: Apache-2.0 */
/* certa serve: options into struct certa_serve_opts; the daemon is
 * src/daemon/serve.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <certa/unstable/serve.h>

#include "cli/cli.h"

#define SERVE_USAGE "certa serve [--config FILE] [--api ADDR:PORT|off] " \
	"[--public ADDR:PORT]\n" \
	"       [--tls-cert PEM --tls-key PEM] [--port-file F] " \
	"[--api-port-file F]\n" \
	"       [--access-log F|-|off] [--request-timeout S] " \
	"[--max-conns N] [--max-conns-per-addr N]\n" \
	"       [--check-config]"

int
cmd_serve(int argc, char **argv)
{
	static const struct cli_opt spec[] = {
		{ "public", true, false }, { "port-file", true, false },
		{ "access-log", true, false },
		{ "request-timeout", true, false },
		{ "max-conns", true, false },
		{ "max-conns-per-addr", true, false },
		{ "config", true, false }, { "api", true, false },
		{ "api-port-file", true, false }, { "tls-cert", true, false },
		{ "tls-key", true, false }, { "check-config", false, false },
		{ NULL, 0, 0 } };
	struct cli_args		 a;
	struct certa_serve_opts	 o;
	struct certa_err	 err;
	long			 t = 0, mc = 0, mca = 0;
	int			 ec;

	if ((ec = cli_parse(argc, argv, spec, &a, SERVE_USAGE)) != 0)
		return ec;
	if (a.npos != 0)
		return cli_usage(SERVE_USAGE, "unexpected argument '%s'",
		    a.pos[0]);
	if (cli_num(cli_opt(&a, "request-timeout"), 1, 3600, &t) != 0 ||
	    cli_num(cli_opt(&a, "max-conns"), 1, 1000000, &mc) != 0 ||
	    cli_num(cli_opt(&a, "max-conns-per-addr"), 1, 1000000, &mca) != 0)
		return cli_usage(SERVE_USAGE, "--request-timeout (seconds), "
		    "--max-conns and --max-conns-per-addr take positive "
		    "numbers");
	memset(&o, 0, sizeof(o));
	certa_err_clear(&err);
	o.dir = cli_g.dir;
	o.pass_file = cli_g.pass_file;
	o.public_addr = cli_opt(&a, "public");
	o.config = cli_opt(&a, "config");
	o.api_addr = cli_opt(&a, "api");
	o.api_port_file = cli_opt(&a, "api-port-file");
	o.tls_cert = cli_opt(&a, "tls-cert");
	o.tls_key = cli_opt(&a, "tls-key");
	o.check_config = cli_flag(&a, "check-config");
	o.port_file = cli_opt(&a, "port-file");
	o.access_log = cli_opt(&a, "access-log");
	o.request_timeout = (int)t;
	o.max_conns = (size_t)mc;
	o.max_conns_per_addr = (size_t)mca;
	if (certa_serve_run(&o, &err) != CERTA_OK)
		return cli_fail(err.rc, &err);
	return CLI_EXIT_OK;
}
