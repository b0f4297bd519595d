/* SPDX-License-Identifier: Apache-2.0 */
/* TLS server contexts for certa's listeners (serve's API, gate ingress). */
#ifndef CERTA_PROTO_TLS_H
#define CERTA_PROTO_TLS_H

#include <openssl/ssl.h>

#include <certa/err.h>

struct certa_ctx;

/*
 * A new server context as certa's listeners use: TLS 1.2 and 1.3, no
 * renegotiation, the server's cipher order.  No read-ahead, although it
 * would save a read(2) per record: libevent 2.1's OpenSSL bufferevent
 * drains only SSL_pending() after a read, so records read ahead but not
 * yet decrypted could wait for socket activity that never comes.
 */
CERTA_MUST_USE certa_rc certa_tls_server_new(SSL_CTX **out,
    struct certa_err *err);

/* Put a PEM chain (leaf first) and its key (PEM) into ctx. */
CERTA_MUST_USE certa_rc certa_tls_use_pem(SSL_CTX *ctx, const char *chain,
    const char *key, struct certa_err *err);

/* The same from two files. */
CERTA_MUST_USE certa_rc certa_tls_use_files(SSL_CTX *ctx,
    const char *chain_file, const char *key_file, struct certa_err *err);

/*
 * A certificate issued by certa's CA for names ("DNS:x", "IP:y"; 30
 * days, key in memory only), put into ctx.  *not_after may be NULL.
 */
CERTA_MUST_USE certa_rc certa_tls_use_issued(SSL_CTX *ctx,
    struct certa_ctx *c, const char *const *names, size_t n,
    int64_t *not_after, struct certa_err *err);

#endif
