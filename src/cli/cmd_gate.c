/* SPDX-License-Identifier: Apache-2.0 */
/* certa gate: options into struct certa_gate_opts; the proxy is
 * src/gate/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <certa/unstable/gate.h>

#include "cli/cli.h"

#define GATE_USAGE "certa gate [--config FILE] [--port-file F] " \
	"[--access-log F|-|off] [--check-config]\n" \
	"       [--listen ADDR:PORT --upstream tcp://H:P|http://H:P " \
	"[--mode MODE] [--auto-reject]\n" \
	"        [--proxy-protocol] [--tls-cert PEM --tls-key PEM] " \
	"[--handshake-timeout S] [--idle-timeout S] [--max-conns N]]\n" \
	"       [--egress-listen ADDR:PORT --egress-to HOST:PORT " \
	"[--client-cert app:ORG/APP/TYPE|p12:FILE:PASSFILE|none]\n" \
	"        [--ca-file F] [--zero-trust]]"

int
cmd_gate(int argc, char **argv)
{
	static const struct cli_opt spec[] = {
		{ "config", true, false }, { "port-file", true, false },
		{ "access-log", true, false }, { "check-config", false, false },
		{ "listen", true, false }, { "upstream", true, false },
		{ "mode", true, false }, { "auto-reject", false, false },
		{ "proxy-protocol", false, false }, { "tls-cert", true, false },
		{ "tls-key", true, false },
		{ "handshake-timeout", true, false },
		{ "idle-timeout", true, false }, { "max-conns", true, false },
		{ "egress-listen", true, false }, { "egress-to", true, false },
		{ "client-cert", true, false }, { "ca-file", true, false },
		{ "zero-trust", false, false }, { NULL, 0, 0 } };
	struct cli_args		 a;
	struct certa_gate_opts	 o;
	struct certa_err	 err;
	long			 hs = 0, idle = 0, mc = 0;
	int			 ec;

	if ((ec = cli_parse(argc, argv, spec, &a, GATE_USAGE)) != 0)
		return ec;
	if (a.npos != 0)
		return cli_usage(GATE_USAGE, "unexpected argument '%s'",
		    a.pos[0]);
	if (cli_num(cli_opt(&a, "handshake-timeout"), 1, 3600, &hs) != 0 ||
	    cli_num(cli_opt(&a, "idle-timeout"), 1, 86400, &idle) != 0 ||
	    cli_num(cli_opt(&a, "max-conns"), 1, 1000000, &mc) != 0)
		return cli_usage(GATE_USAGE, "--handshake-timeout, "
		    "--idle-timeout (seconds) and --max-conns take positive "
		    "numbers");
	if ((cli_opt(&a, "listen") == NULL) !=
	    (cli_opt(&a, "upstream") == NULL))
		return cli_usage(GATE_USAGE, "--listen and --upstream go "
		    "together");
	if ((cli_opt(&a, "egress-listen") == NULL) !=
	    (cli_opt(&a, "egress-to") == NULL))
		return cli_usage(GATE_USAGE, "--egress-listen and --egress-to "
		    "go together");
	memset(&o, 0, sizeof(o));
	certa_err_clear(&err);
	o.dir = cli_g.dir;
	o.pass_file = cli_g.pass_file;
	o.config = cli_opt(&a, "config");
	o.port_file = cli_opt(&a, "port-file");
	o.access_log = cli_opt(&a, "access-log");
	o.check_config = cli_flag(&a, "check-config");
	o.ingress.listen = cli_opt(&a, "listen");
	o.ingress.upstream = cli_opt(&a, "upstream");
	o.ingress.mode = cli_opt(&a, "mode");
	o.ingress.auto_reject = cli_flag(&a, "auto-reject");
	o.ingress.auto_reject_set = o.ingress.auto_reject;
	o.ingress.proxy_protocol = cli_flag(&a, "proxy-protocol");
	o.ingress.tls_cert = cli_opt(&a, "tls-cert");
	o.ingress.tls_key = cli_opt(&a, "tls-key");
	o.ingress.handshake_timeout = (int)hs;
	o.ingress.idle_timeout = (int)idle;
	o.ingress.max_conns = (size_t)mc;
	o.egress.listen = cli_opt(&a, "egress-listen");
	o.egress.to = cli_opt(&a, "egress-to");
	o.egress.client_cert = cli_opt(&a, "client-cert");
	o.ca_file = cli_opt(&a, "ca-file");
	o.zero_trust = cli_flag(&a, "zero-trust");
	if (certa_gate_run(&o, &err) != CERTA_OK)
		return cli_fail(err.rc, &err);
	return CLI_EXIT_OK;
}
