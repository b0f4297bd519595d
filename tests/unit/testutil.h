/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the cmocka unit tests (header-only; each test is its
 * own executable).  Include after <cmocka.h> and the certa headers.
 *
 * RC(expr, want) runs expr with the shared error E cleared and fails the
 * test unless it returns want; OK(expr) wants CERTA_OK; NOT_OK(expr) wants
 * any error.  A test file may define TEST_AFTER_CALL(text) before use to
 * check something after every call (e.g. the OpenSSL error queue).
 */
#ifndef CERTA_TESTUTIL_H
#define CERTA_TESTUTIL_H

#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <certa/err.h>

static struct certa_err	 E;

#ifndef TEST_AFTER_CALL
#define TEST_AFTER_CALL(text)	((void)0)
#endif

#define OK(e)		RC((e), CERTA_OK)
#define RC(e, want) do {						\
	certa_rc	r_;						\
									\
	certa_err_clear(&E);						\
	r_ = (e);							\
	TEST_AFTER_CALL(#e);						\
	if (r_ != (want))						\
		fail_msg("%s = %s, want %s (%s)", #e, certa_rc_name(r_),\
		    certa_rc_name(want), E.msg);			\
} while (0)
#define NOT_OK(e) do {							\
	certa_err_clear(&E);						\
	if ((e) == CERTA_OK)						\
		fail_msg("%s succeeded, want an error", #e);		\
} while (0)

/* rm -rf path (no symlinks followed). */
static void __attribute__((unused))
rm_rf(const char *path)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 sb;
	char		 p[PATH_MAX];

	if (lstat(path, &sb) != 0)
		return;
	if (S_ISDIR(sb.st_mode) && (d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
			rm_rf(p);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

#endif
