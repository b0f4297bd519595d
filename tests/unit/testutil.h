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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

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

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Table-driven tests: BAD() reports a row and goes on; TABLE_DONE() fails
 * the test if any row was bad. */
static int		 nbad __attribute__((unused));

#define BAD(...) do {							\
	print_error(__VA_ARGS__);					\
	print_error("\n");						\
	nbad++;								\
} while (0)

#define TABLE_DONE() do {						\
	if (nbad != 0)							\
		fail_msg("%d row(s) failed, see above", nbad);		\
} while (0)

/*
 * Calls that left the OpenSSL error queue non-empty (STYLE §4): distinct
 * "call: reason (function)" texts and how often each was seen.  Use with
 * #define TEST_AFTER_CALL(text) note_queue(text), and run
 * test_error_queue_clean last.
 */
static struct {
	char	 what[192];
	int	 n;
}			 queue_leaks[32] __attribute__((unused));
static size_t		 nqueue_leaks __attribute__((unused));

static void __attribute__((unused))
note_queue(const char *call)
{
	const char	*func = NULL;
	unsigned long	 e = ERR_peek_error_func(&func);
	char		 what[192];
	size_t		 i;

	if (e == 0)
		return;
	snprintf(what, sizeof(what), "%.100s: %s (in %s)", call,
	    ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "?",
	    func ? func : "?");
	ERR_clear_error();	/* func points into the queue */
	for (i = 0; i < nqueue_leaks; i++)
		if (strcmp(queue_leaks[i].what, what) == 0)
			break;
	if (i == NELEM(queue_leaks))
		return;
	if (i == nqueue_leaks) {
		memcpy(queue_leaks[i].what, what, sizeof(what));
		nqueue_leaks++;
	}
	queue_leaks[i].n++;
}

/* Runs last: the calls (above) that left errors on OpenSSL's queue. */
static void __attribute__((unused))
test_error_queue_clean(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < nqueue_leaks; i++)
		print_error("left on the OpenSSL error queue (%d time(s)): "
		    "%s\n", queue_leaks[i].n, queue_leaks[i].what);
	assert_int_equal(nqueue_leaks, 0);
}

/* Before each test: no bad rows, an empty OpenSSL error queue. */
static int __attribute__((unused))
each_setup(void **state)
{
	(void)state;
	nbad = 0;
	ERR_clear_error();
	return 0;
}

#define T(f)	cmocka_unit_test_setup(f, each_setup)

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

#ifdef CERTA_CERTA_H
/*
 * A data directory for a group of tests: a mkdtemp directory
 * /tmp/certa-NAME-test-XXXXXX (base) holding a passphrase file
 * (passfile) and an initialised data directory (dir), opened as *ctx.
 * 0, or -1 after printing why.  Include <certa/certa.h> first.
 */
static int __attribute__((unused))
test_data_dir(const char *name, const char *pass, char base[64],
    char passfile[128], char dir[128], struct certa_ctx **ctx)
{
	struct certa_init_opts	 o;
	struct certa_err	 err;
	char			*created = NULL;
	FILE			*f;

	certa_lib_init();
	certa_err_clear(&err);
	snprintf(base, 64, "/tmp/certa-%.16s-test-XXXXXX", name);
	if (mkdtemp(base) == NULL)
		return -1;
	snprintf(passfile, 128, "%s/pass", base);
	snprintf(dir, 128, "%s/data", base);
	if ((f = fopen(passfile, "w")) == NULL)
		return -1;
	fprintf(f, "%s\n", pass);
	fclose(f);
	memset(&o, 0, sizeof(o));
	o.dir = dir;
	o.passphrase_file = passfile;
	o.actor = "test:init";
	if (certa_init(&o, &created, &err) != CERTA_OK ||
	    certa_open(dir, passfile, ctx, &err) != CERTA_OK) {
		fprintf(stderr, "set up %s: %s\n", dir, err.msg);
		return -1;
	}
	free(created);
	return 0;
}
#endif

#endif
