/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa error convention: every fallible function returns certa_rc and takes
 * an optional struct certa_err * as its last parameter for detail.  The
 * CERTA_TRY/CHECK/OSSL macros only "goto out", so cleanup always runs.
 */
#ifndef CERTA_ERR_H
#define CERTA_ERR_H

#include <stddef.h>

#define CERTA_MUST_USE	__attribute__((warn_unused_result))
#define CERTA_PRINTF(a, b) __attribute__((format(printf, a, b)))

typedef enum certa_rc {
	CERTA_OK = 0,
	CERTA_E_NOMEM,		/* allocation failed */
	CERTA_E_INVAL,		/* caller bug or bad usage */
	CERTA_E_PARSE,		/* peer/user sent malformed data */
	CERTA_E_POLICY,		/* well-formed but refused by profile */
	CERTA_E_NOTFOUND,
	CERTA_E_CONFLICT,	/* exists already, or state forbids it */
	CERTA_E_AGAIN,		/* transient: busy, retry */
	CERTA_E_CRYPTO,
	CERTA_E_STORE,
	CERTA_E_IO,
	CERTA_E_INTERNAL,
	CERTA_RC__COUNT
} certa_rc;

#define CERTA_ERR_MSG_MAX 512

struct certa_err {
	certa_rc	 rc;
	char		 msg[CERTA_ERR_MSG_MAX];
	const char	*file;		/* borrowed: __FILE__ */
	int		 line;
};

/* Stable lower-case name of a code ("parse", "not_found", ...). */
const char	*certa_rc_name(certa_rc rc);

/*
 * Record rc and a message in err (which may be NULL); return rc.  An earlier
 * message is kept as context: "new: old".
 */
certa_rc	 certa_err_set(struct certa_err *err, certa_rc rc, const char *file,
		    int line, const char *fmt, ...) CERTA_PRINTF(5, 6);

/*
 * As certa_err_set, and append the first queued libcrypto error reason; the
 * OpenSSL error queue is cleared.
 */
certa_rc	 certa_err_ossl(struct certa_err *err, certa_rc rc,
		    const char *file, int line, const char *fmt, ...)
		    CERTA_PRINTF(5, 6);

/* Reset err to "no error". */
void		 certa_err_clear(struct certa_err *err);

#define CERTA_TRY(e) do {						\
	rc = (e);							\
	if (rc != CERTA_OK)						\
		goto out;						\
} while (0)

#define CERTA_CHECK(c, k, ...) do {					\
	if (!(c)) {							\
		rc = certa_err_set(err, (k), __FILE__, __LINE__,	\
		    __VA_ARGS__);					\
		goto out;						\
	}								\
} while (0)

#define CERTA_OSSL(c, k, ...) do {					\
	if (!(c)) {							\
		rc = certa_err_ossl(err, (k), __FILE__, __LINE__,	\
		    __VA_ARGS__);					\
		goto out;						\
	}								\
} while (0)

#define CERTA_FAIL(k, ...) do {						\
	rc = certa_err_set(err, (k), __FILE__, __LINE__, __VA_ARGS__);	\
	goto out;							\
} while (0)

#endif
