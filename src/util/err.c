/* SPDX-License-Identifier: Apache-2.0 */
/* The error convention's helpers: record a code and an operator message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include <certa/err.h>

static const char *const rc_names[CERTA_RC__COUNT] = {
	[CERTA_OK] = "ok",
	[CERTA_E_NOMEM] = "no_memory",
	[CERTA_E_INVAL] = "invalid",
	[CERTA_E_PARSE] = "parse",
	[CERTA_E_POLICY] = "policy",
	[CERTA_E_NOTFOUND] = "not_found",
	[CERTA_E_CONFLICT] = "conflict",
	[CERTA_E_AGAIN] = "again",
	[CERTA_E_CRYPTO] = "crypto",
	[CERTA_E_STORE] = "store",
	[CERTA_E_IO] = "io",
	[CERTA_E_INTERNAL] = "internal",
};

const char *
certa_rc_name(certa_rc rc)
{
	if ((unsigned)rc >= CERTA_RC__COUNT)
		return "unknown";
	return rc_names[rc];
}

void
certa_err_clear(struct certa_err *err)
{
	if (err == NULL)
		return;
	err->rc = CERTA_OK;
	err->msg[0] = '\0';
	err->file = NULL;
	err->line = 0;
}

static void err_vset(struct certa_err *, certa_rc, const char *, int,
    const char *, const char *, va_list) CERTA_PRINTF(6, 0);

static void
err_vset(struct certa_err *err, certa_rc rc, const char *file, int line,
    const char *suffix, const char *fmt, va_list ap)
{
	char	 msg[2 * CERTA_ERR_MSG_MAX + 64];
	size_t	 n;

	vsnprintf(msg, CERTA_ERR_MSG_MAX, fmt, ap);
	n = strlen(msg);
	if (suffix != NULL && *suffix != '\0')
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, " (%.255s)",
		    suffix);
	/* Keep the inner cause as context: "outer: inner". */
	if (err->rc != CERTA_OK && err->msg[0] != '\0' && n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %.511s", err->msg);
	msg[CERTA_ERR_MSG_MAX - 1] = '\0';
	memcpy(err->msg, msg, CERTA_ERR_MSG_MAX);
	err->rc = rc;
	err->file = file;
	err->line = line;
}

certa_rc
certa_err_set(struct certa_err *err, certa_rc rc, const char *file, int line,
    const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL)
		return rc;
	va_start(ap, fmt);
	err_vset(err, rc, file, line, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

certa_rc
certa_err_ossl(struct certa_err *err, certa_rc rc, const char *file, int line,
    const char *fmt, ...)
{
	va_list		 ap;
	unsigned long	 e;
	char		 reason[256] = "";

	e = ERR_peek_error();
	if (e != 0) {
		const char *r = ERR_reason_error_string(e);

		if (r != NULL)
			snprintf(reason, sizeof(reason), "%s", r);
		else
			ERR_error_string_n(e, reason, sizeof(reason));
	}
	ERR_clear_error();
	if (err == NULL)
		return rc;
	va_start(ap, fmt);
	err_vset(err, rc, file, line, reason, fmt, ap);
	va_end(ap);
	return rc;
}
