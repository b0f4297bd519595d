/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by every layer (the public ones are in certa/util.h): hex,
 * strdup, timegm, mkdir -p.  libc + libcrypto only.
 */
#ifndef CERTA_UTIL_H
#define CERTA_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <certa/err.h>
#include <certa/util.h>

/* Lower-case hex of len bytes into out (2*len+1 bytes). */
void	certa_hex(const uint8_t *in, size_t len, char *out);

/*
 * A flat JSON object of string values into out (len bytes): kv holds key,
 * value, key, value, ..., NULL.  Values are escaped (RFC 8259 §7); keys
 * are trusted.  false, with out "", when it does not fit.  For audit
 * details: never pass a secret.
 */
bool	certa_json_strings(char *out, size_t len, const char *const *kv);

/* strdup that returns NULL for NULL. */
char	*certa_strdup(const char *);

/* struct tm (UTC) to Unix seconds, like timegm(3). */
struct tm;
int64_t	certa_timegm(const struct tm *tm);

/*
 * pthread_create for a background thread that must not take the
 * process's signals (their handlers run on the main thread): it starts
 * with every signal blocked but the faults (SEGV, BUS, FPE, ILL), which
 * must still reach the sanitizers.  0, or pthread_create's error.
 */
int	certa_thread_start(pthread_t *thr, void *(*fn)(void *), void *arg);

/* mkdir -p with mode for created directories. */
CERTA_MUST_USE certa_rc certa_mkdirs(const char *path, int mode,
    struct certa_err *err);

#endif
