/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside certa gate: gate.c (wiring, config, signals, access log),
 * ingress.c (TLS in, trust engine in the handshake, tcp/http upstream),
 * egress.c (plain in, mTLS out through include/certa/client.h).
 */
#ifndef CERTA_GATE_IMPL_H
#define CERTA_GATE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <certa/client.h>
#include <certa/unstable/gate.h>

struct event_base;
struct certa_ctx;

/* What every listener shares (owned by gate.c). */
struct gate_common {
	struct event_base	*base;
	struct certa_ctx	*ctx;
	FILE			*log;		/* NULL: no access log */
	bool			 draining;
};

/* One JSON line per connection (values may be NULL). */
void	gate_log_conn(struct gate_common *, const char *listener,
    const char *peer, const char *subject, const char *fingerprint,
    const char *verdict, const char *reason, uint64_t bytes_in,
    uint64_t bytes_out, int64_t us);

/* ADDR:PORT or [V6]:PORT. */
CERTA_MUST_USE certa_rc gate_split_addr(const char *what, const char *a,
    char *host, size_t hostlen, uint16_t *port, struct certa_err *err);

struct gate_ingress;
CERTA_MUST_USE certa_rc gate_ingress_start(struct gate_common *,
    const struct certa_gate_ingress_cfg *, struct gate_ingress **out,
    struct certa_err *err);
uint16_t gate_ingress_port(const struct gate_ingress *);
void	gate_ingress_stop(struct gate_ingress *);	/* stop accepting */
size_t	gate_ingress_conns(const struct gate_ingress *);
void	gate_ingress_free(struct gate_ingress *);

struct gate_egress;
CERTA_MUST_USE certa_rc gate_egress_start(struct gate_common *,
    struct certa_client *, const struct certa_gate_egress_cfg *,
    struct gate_egress **out, struct certa_err *err);
uint16_t gate_egress_port(const struct gate_egress *);
void	gate_egress_stop(struct gate_egress *);
size_t	gate_egress_conns(const struct gate_egress *);
void	gate_egress_free(struct gate_egress *);

#endif
