/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa serve: the daemon (src/daemon).  Unstable: the option set grows.
 *
 * Every setting comes from, in order: the option here (a command-line
 * flag), its $CERTA_* environment variable, the config file (JSON;
 * --config, $CERTA_CONFIG, else DIR/certa.conf when it exists), the
 * default.  docs/operations.md lists them.
 */
#ifndef CERTA_UNSTABLE_SERVE_H
#define CERTA_UNSTABLE_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <certa/err.h>

/* Zero/NULL fields are "not given". */
struct certa_serve_opts {
	const char	*dir;		/* data directory (required) */
	const char	*pass_file;	/* NULL: the usual sources */
	const char	*config;	/* $CERTA_CONFIG; DIR/certa.conf */
	const char	*public_addr;	/* $CERTA_PUBLIC; "127.0.0.1:8080";
					 * port 0 = any free port */
	const char	*api_addr;	/* $CERTA_API; "127.0.0.1:8443";
					 * "off": no API listener */
	const char	*port_file;	/* $CERTA_PORT_FILE; public port */
	const char	*api_port_file;	/* $CERTA_API_PORT_FILE */
	const char	*tls_cert;	/* $CERTA_TLS_CERT: PEM chain; NULL:
					 * issued by certa at start */
	const char	*tls_key;	/* $CERTA_TLS_KEY */
	const char	*access_log;	/* $CERTA_ACCESS_LOG; "-" stdout
					 * (default), "off", or a file */
	int		 request_timeout; /* $CERTA_REQUEST_TIMEOUT (s); 10 */
	size_t		 max_conns;	/* $CERTA_MAX_CONNS; 4096 */
	size_t		 max_conns_per_addr; /* $CERTA_MAX_CONNS_PER_ADDR;
					 * 512 */
	int64_t		 ocsp_validity;	/* s; 3600 */
	int64_t		 crl_validity;	/* s; 86400 */
	int64_t		 notify_interval; /* $CERTA_NOTIFY_INTERVAL (s); 60;
					 * 0 (config/env): no notifications */
	bool		 check_config;	/* print the effective settings as
					 * JSON on stdout and return */
};

/*
 * Run until SIGTERM/SIGINT (drain, then return OK).  SIGHUP re-reads the
 * config file (the access log follows it; listener addresses and limits
 * need a restart), reopens the access log, re-reads the CA certificates
 * and regenerates the CRL.  Errors at start (bad setting, address in use,
 * CA key locked) return at once with detail in err.
 */
CERTA_MUST_USE certa_rc certa_serve_run(const struct certa_serve_opts *opts,
    struct certa_err *err);

#endif
