/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa serve: the daemon (src/daemon).  Unstable: the option set grows
 * with the REST API, TLS listener and config file.
 */
#ifndef CERTA_UNSTABLE_SERVE_H
#define CERTA_UNSTABLE_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include <certa/err.h>

/* Zero/NULL fields take $CERTA_* environment values, then defaults. */
struct certa_serve_opts {
	const char	*dir;		/* data directory (required) */
	const char	*pass_file;	/* NULL: the usual sources */
	const char	*public_addr;	/* $CERTA_PUBLIC; "127.0.0.1:8080";
					 * port 0 = any free port */
	const char	*port_file;	/* $CERTA_PORT_FILE; the bound port */
	const char	*access_log;	/* $CERTA_ACCESS_LOG; "-" stdout
					 * (default), "off", or a file */
	int		 request_timeout; /* $CERTA_REQUEST_TIMEOUT (s); 10 */
	size_t		 max_conns;	/* $CERTA_MAX_CONNS; 4096 */
	size_t		 max_conns_per_addr; /* $CERTA_MAX_CONNS_PER_ADDR;
					 * 512 */
	int64_t		 ocsp_validity;	/* s; 3600 */
	int64_t		 crl_validity;	/* s; 86400 */
};

/*
 * Run until SIGTERM/SIGINT (drain, then return OK).  SIGHUP reloads:
 * reopens the access log, re-reads the CA certificates and regenerates
 * the CRL.  Errors at start (bad address, port in use, CA key locked)
 * return at once with detail in err.
 */
CERTA_MUST_USE certa_rc certa_serve_run(const struct certa_serve_opts *opts,
    struct certa_err *err);

#endif
