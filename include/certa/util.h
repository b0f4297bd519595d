/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Utilities front ends may use: durations and times, careful file I/O,
 * secrets.  libc + libcrypto only.
 */
#ifndef CERTA_PUBLIC_UTIL_H
#define CERTA_PUBLIC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <certa/err.h>

/*
 * Parse a duration "90d", "12h", "10y", "3600s", "30m" (minutes) or "2w"
 * into *secs; the unit is required.  Years are 365 days.  PARSE on bad
 * input.
 */
CERTA_MUST_USE certa_rc certa_duration_parse(const char *s, int64_t *secs,
    struct certa_err *err);

/* RFC 3339 ("2026-01-02T03:04:05Z", offsets allowed) or Unix seconds. */
CERTA_MUST_USE certa_rc certa_time_parse(const char *s, int64_t *t,
    struct certa_err *err);

/* "2026-01-02T03:04:05Z" into out[21]. */
void	certa_time_format(int64_t t, char out[21]);

/* Current UTC Unix time. */
int64_t	certa_now(void);
/* Milliseconds of a monotonic clock (intervals and deadlines only). */
int64_t	certa_mono_ms(void);

/*
 * Read a whole file (path "-" = stdin) of at most max bytes into a
 * malloc'ed buffer (NUL-terminated, not counted in *len).  IO when it cannot
 * be read, PARSE when it is larger than max or empty.
 */
CERTA_MUST_USE certa_rc certa_file_read(const char *path, size_t max,
    uint8_t **out, size_t *len, struct certa_err *err);

/*
 * Write data to path durably and atomically: a temporary file in the same
 * directory, fsync, rename (or link when !overwrite), fsync of the
 * directory.  Path "-" writes stdout.  CONFLICT when path exists and
 * !overwrite.
 */
CERTA_MUST_USE certa_rc certa_file_write(const char *path, const void *data,
    size_t len, int mode, bool overwrite, struct certa_err *err);

/* Zero then free. */
void	certa_free_secret(void *p, size_t len);

/*
 * Read a passphrase file: the first line, without its newline; at most 1024
 * bytes.  Free with certa_free_secret(p, strlen(p) + 1).
 */
CERTA_MUST_USE certa_rc certa_passphrase_read(const char *path, char **out,
    struct certa_err *err);

/* PEM armour of der under label ("CERTIFICATE"); malloc'ed or NULL. */
char	*certa_pem_encode(const char *label, const uint8_t *der, size_t len);
/* RFC 4648 §4 base64 with padding, one line; malloc'ed (NULL: no memory). */
char	*certa_base64(const uint8_t *data, size_t len);

#endif
