/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa gate: an mTLS proxy (src/gate).  Ingress listeners ask for client
 * certificates, judge them with the trust engine during the handshake and
 * forward accepted connections to an upstream; egress listeners take
 * plain connections and originate mTLS with the client certificate the
 * usage map names for the destination (include/certa/client.h).
 * Unstable: the option set grows.
 */
#ifndef CERTA_UNSTABLE_GATE_H
#define CERTA_UNSTABLE_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <certa/err.h>

#define CERTA_GATE_MAX_LISTENERS	32

struct certa_gate_ingress_cfg {
	const char	*listen;	/* ADDR:PORT (port 0: any) */
	const char	*upstream;	/* tcp://HOST:PORT | http://HOST:PORT */
	const char	*mode;		/* trust mode name; NULL: follow the
					 * stored setting (certa settings) */
	bool		 auto_reject;	/* record unknown clients */
	bool		 auto_reject_set; /* explicit; else (unless
					 * auto_reject) follow the setting */
	bool		 proxy_protocol; /* tcp: send PROXY v2 with SSL TLVs */
	const char	*tls_cert;	/* PEM chain; NULL: issued by certa */
	const char	*tls_key;
	int		 handshake_timeout; /* s; 10 */
	int		 idle_timeout;	/* s; 300 */
	size_t		 max_conns;	/* 4096 */
};

struct certa_gate_egress_cfg {
	const char	*listen;	/* ADDR:PORT, plain TCP in */
	const char	*to;		/* HOST:PORT, mTLS out */
	const char	*client_cert;	/* NULL: the usage map's entry for
					 * to; "app:..", "p12:..", "none" */
};

struct certa_gate_opts {
	const char	*dir;
	const char	*pass_file;
	const char	*config;	/* JSON; see docs/gate.md */
	/* From flags: at most one of each, added to the config's. */
	struct certa_gate_ingress_cfg ingress;	/* used when .listen set */
	struct certa_gate_egress_cfg egress;	/* used when .listen set */
	const char	*ca_file;	/* egress: extra server anchors */
	bool		 zero_trust;	/* egress: certa trust store only */
	const char	*port_file;	/* bound ports, one per line, ingress
					 * listeners first, then egress */
	const char	*access_log;	/* "-" (default), "off", a file */
	bool		 check_config;
};

/*
 * The same listeners inside another event loop (certa serve's "gate"
 * setting: an object with the config file's keys, except access_log).
 * cfg is a jansson json_t *; log may be NULL.
 */
struct certa_gate_embed;
struct json_t;
struct event_base;
struct certa_ctx;
CERTA_MUST_USE certa_rc certa_gate_embed_start(struct event_base *,
    struct certa_ctx *, FILE *log, const struct json_t *cfg,
    struct certa_gate_embed **out, struct certa_err *err);
void	certa_gate_embed_stop(struct certa_gate_embed *);	/* drain */
size_t	certa_gate_embed_conns(struct certa_gate_embed *);
void	certa_gate_embed_set_log(struct certa_gate_embed *, FILE *log);
void	certa_gate_embed_free(struct certa_gate_embed *);

/* Run until SIGTERM/SIGINT; errors at start return at once. */
CERTA_MUST_USE certa_rc certa_gate_run(const struct certa_gate_opts *,
    struct certa_err *err);

#endif
