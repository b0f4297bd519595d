/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The web console (GitHub issue 7): static assets compiled into the
 * binary from web/ (scripts/embed_web.cmake) and served by the API
 * listener for GET and HEAD on "/", "/index.html" and "/assets/...".
 * The console itself only calls the REST API (same origin).
 */
#ifndef CERTA_PROTO_CONSOLE_H
#define CERTA_PROTO_CONSOLE_H

#include <stddef.h>

#include "proto/http.h"

struct certa_web_asset {
	const char		*path;	/* "/index.html", "/assets/app.js" */
	const unsigned char	*data;	/* len bytes (and a NUL) */
	size_t			 len;
	const char		*etag;	/* quoted: "\"0123...\"" */
};

/* Generated (build/generated/web.c). */
extern const struct certa_web_asset certa_web_assets[];
extern const size_t certa_web_count;

/* The asset at path, NULL when there is none. */
const struct certa_web_asset *certa_console_asset(const char *path);

/*
 * Answer a GET or HEAD for the console: 200 with the asset (or 304 when
 * If-None-Match names its ETag) and the security headers.  Returns the
 * status sent, or 0 when the path is not a console asset (nothing sent:
 * the caller answers 404).
 */
int	certa_console_serve(struct certa_http_req *req);

#endif
