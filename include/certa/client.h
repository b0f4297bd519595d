/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client side of mutual TLS for any C program (and certa gate's egress):
 * an SSL_CTX for a remote endpoint that presents the right client
 * certificate and verifies the server.  This header does expose OpenSSL
 * types: its purpose is to hand out an SSL_CTX.
 *
 * The usage map names, per endpoint ("host:port"), what to present:
 *   "app:ORG/APP/TYPE"   the newest valid certa certificate of that
 *                        application and type that has a server-generated
 *                        key (the key is decrypted with the data
 *                        directory's passphrase); rotation needs no
 *                        restart: each call picks the newest again;
 *   "p12:FILE:PASSFILE"  a PKCS#12 file and a file with its password;
 *   "" or "none"         no certificate, even when the server asks.
 * An endpoint missing from the map gets no certificate.
 *
 * The server is verified with hostname checks (the endpoint's host),
 * against the system store plus ca_file, or with zero_trust against
 * certa's trust store only (trusted list as anchors, issuer list as
 * intermediates, stored CRLs).
 */
#ifndef CERTA_CLIENT_H
#define CERTA_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include <certa/err.h>

struct certa_ctx;
struct certa_client;

struct certa_client_opts {
	const char *const	*endpoints;	/* "host:port" */
	const char *const	*specs;		/* same index: see above */
	size_t			 n;
	const char		*ca_file;	/* extra anchors (PEM); NULL */
	bool			 zero_trust;	/* certa's trust store only */
};

/* PARSE for a malformed endpoint or spec (the message names it). */
CERTA_MUST_USE certa_rc certa_client_new(struct certa_ctx *,
    const struct certa_client_opts *, struct certa_client **out,
    struct certa_err *err);
void	certa_client_free(struct certa_client *);

/*
 * A new reference to an SSL_CTX for endpoint (caller frees with
 * SSL_CTX_free).  Contexts are cached per endpoint and rebuilt when the
 * selected certificate changed (a newer one was issued, or it expired or
 * was revoked).  NOTFOUND when "app:" names an application with no valid
 * certificate of that type with a server-generated key; IO/CRYPTO when a
 * PKCS#12 cannot be read or opened.
 */
CERTA_MUST_USE certa_rc certa_client_ssl_ctx(struct certa_client *,
    const char *endpoint, SSL_CTX **out, struct certa_err *err);

/* Set the hostname checks and SNI of a new SSL for endpoint's host. */
CERTA_MUST_USE certa_rc certa_client_ssl_prepare(SSL *ssl,
    const char *endpoint, struct certa_err *err);

#endif
