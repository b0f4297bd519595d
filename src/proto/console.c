/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The web console's static files (see console.h).
 *
 * HOW IT WORKS
 * The files of web/ are compiled into certa_web_assets[] at build time,
 * each with an ETag made from its SHA-256, so nothing is read from disk
 * or fetched from elsewhere at run time.  "/" is "/index.html".  Every
 * answer carries a strict Content-Security-Policy (scripts, styles and
 * fetches from this origin only, no inline code, no framing), nosniff,
 * no referrer, and "Cache-Control: no-cache": the browser keeps a copy
 * and revalidates it with If-None-Match (304 when unchanged), so a new
 * binary's console is picked up at once.  A path that is not an asset is
 * left to the caller (the API's 404 problem+json).
 */
#include <stdbool.h>
#include <string.h>

#include "proto/console.h"

static const struct {
	const char	*ext;
	const char	*ctype;
} ctypes[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".json", "application/json" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".txt", "text/plain; charset=utf-8" },
};

static const char *
ctype_of(const char *path)
{
	const char	*dot = strrchr(path, '.');
	size_t		 i;

	for (i = 0; dot != NULL && i < sizeof(ctypes) / sizeof(ctypes[0]);
	    i++)
		if (strcmp(dot, ctypes[i].ext) == 0)
			return ctypes[i].ctype;
	return "application/octet-stream";
}

const struct certa_web_asset *
certa_console_asset(const char *path)
{
	size_t	 i;

	for (i = 0; i < certa_web_count; i++)
		if (strcmp(certa_web_assets[i].path, path) == 0)
			return &certa_web_assets[i];
	return NULL;
}

/* Does an If-None-Match value name etag ("*", or one of a list)? */
static bool
etag_matches(const char *inm, const char *etag)
{
	size_t	 n = strlen(etag);
	const char *p;

	if (strcmp(inm, "*") == 0)
		return true;
	for (p = strstr(inm, etag); p != NULL; p = strstr(p + 1, etag))
		if ((p == inm || p[-1] == ' ' || p[-1] == ',' ||
		    (p - inm >= 2 && p[-1] == '/' && p[-2] == 'W')) &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return true;
	return false;
}

int
certa_console_serve(struct certa_http_req *req)
{
	const char			*path = certa_http_req_path(req);
	const char			*inm;
	const struct certa_web_asset	*a;

	if (strcmp(path, "/") == 0)
		path = "/index.html";
	else if (strcmp(path, "/index.html") != 0 &&
	    strncmp(path, "/assets/", 8) != 0)
		return 0;
	if ((a = certa_console_asset(path)) == NULL)
		return 0;
	certa_http_header(req, "Content-Security-Policy",
	    "default-src 'self'; frame-ancestors 'none'");
	certa_http_header(req, "X-Content-Type-Options", "nosniff");
	certa_http_header(req, "Referrer-Policy", "no-referrer");
	certa_http_header(req, "X-Frame-Options", "DENY");
	certa_http_header(req, "Cache-Control", "no-cache");
	certa_http_header(req, "ETag", a->etag);
	inm = certa_http_req_header(req, "If-None-Match");
	if (inm != NULL && etag_matches(inm, a->etag)) {
		certa_http_reply(req, 304, NULL, NULL, 0);
		return 304;
	}
	certa_http_reply(req, 200, ctype_of(path), a->data, a->len);
	return 200;
}
