/* SPDX-License-Identifier: Apache-2.0 */
/* Hex, durations, times and careful file I/O.  No certificate logic here. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "util/util.h"

void
certa_hex(const uint8_t *in, size_t len, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/* Append c to out[*n] when it fits (one byte kept for the NUL). */
static bool
put(char *out, size_t len, size_t *n, char c)
{
	if (*n + 1 >= len)
		return false;
	out[(*n)++] = c;
	return true;
}

bool
certa_json_strings(char *out, size_t len, const char *const *kv)
{
	static const char	 digits[] = "0123456789abcdef";
	const unsigned char	*p;
	size_t			 n = 0, i;
	bool			 ok = len > 0 && put(out, len, &n, '{');

	for (i = 0; ok && kv[i] != NULL && kv[i + 1] != NULL; i += 2) {
		if (i > 0)
			ok = put(out, len, &n, ',');
		ok = ok && put(out, len, &n, '"');
		for (p = (const unsigned char *)kv[i]; ok && *p != '\0'; p++)
			ok = put(out, len, &n, (char)*p);
		ok = ok && put(out, len, &n, '"') && put(out, len, &n, ':') &&
		    put(out, len, &n, '"');
		for (p = (const unsigned char *)kv[i + 1]; ok && *p != '\0';
		    p++) {
			if (*p < 0x20) {
				ok = put(out, len, &n, '\\') &&
				    put(out, len, &n, 'u') &&
				    put(out, len, &n, '0') &&
				    put(out, len, &n, '0') &&
				    put(out, len, &n, digits[*p >> 4]) &&
				    put(out, len, &n, digits[*p & 0xf]);
				continue;
			}
			if (*p == '"' || *p == '\\')
				ok = put(out, len, &n, '\\');
			ok = ok && put(out, len, &n, (char)*p);
		}
		ok = ok && put(out, len, &n, '"');
	}
	ok = ok && put(out, len, &n, '}');
	if (len > 0)
		out[ok ? n : 0] = '\0';
	return ok;
}

char *
certa_strdup(const char *s)
{
	char	*p;
	size_t	 n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	if ((p = malloc(n)) != NULL)
		memcpy(p, s, n);
	return p;
}

int64_t
certa_now(void)
{
	return (int64_t)time(NULL);
}

int
certa_thread_start(pthread_t *thr, void *(*fn)(void *), void *arg)
{
	sigset_t	 all, old;
	int		 e;

	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(thr, NULL, fn, arg);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	return e;
}

int64_t
certa_mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

certa_rc
certa_duration_parse(const char *s, int64_t *secs, struct certa_err *err)
{
	const char	*p = s;
	int64_t		 n = 0, unit = 1;
	certa_rc	 rc = CERTA_OK;

	*secs = 0;
	CERTA_CHECK(s != NULL && isdigit((unsigned char)*s), CERTA_E_PARSE,
	    "duration '%s' must start with a number (e.g. 90d, 10y)",
	    s ? s : "");
	for (; isdigit((unsigned char)*p); p++) {
		CERTA_CHECK(n < 1000000000, CERTA_E_PARSE,
		    "duration '%s' is too large", s);
		n = n * 10 + (*p - '0');
	}
	CERTA_CHECK(*p != '\0', CERTA_E_PARSE, "duration '%s' needs a unit: "
	    "s, m, h, d, w or y (e.g. 90d)", s);
	switch (*p) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	case 'y': unit = 365 * 86400; break;
	default:
		CERTA_FAIL(CERTA_E_PARSE, "duration '%s': unknown unit '%c' "
		    "(use s, m, h, d, w or y)", s, *p);
	}
	CERTA_CHECK(*p == '\0' || p[1] == '\0', CERTA_E_PARSE,
	    "duration '%s' has trailing characters", s);
	CERTA_CHECK(n > 0, CERTA_E_PARSE, "duration '%s' must be positive", s);
	CERTA_CHECK(n <= 200LL * 365 * 86400 / unit, CERTA_E_PARSE,
	    "duration '%s' exceeds 200 years", s);
	*secs = n * unit;
out:
	return rc;
}

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Howard Hinnant's algorithm: proleptic Gregorian, no timezone. */
	int64_t		 era;
	unsigned	 yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t
certa_timegm(const struct tm *tm)
{
	return days_from_civil((int64_t)tm->tm_year + 1900,
	    (unsigned)tm->tm_mon + 1, (unsigned)tm->tm_mday) * 86400 +
	    tm->tm_hour * 3600 + tm->tm_min * 60 + tm->tm_sec;
}

/* n digits at *p as a number; advances *p.  -1 if not n digits. */
static int
digits(const char **p, int n)
{
	int	v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return v;
}

static bool
expect(const char **p, const char *set)
{
	if (**p == '\0' || strchr(set, **p) == NULL)
		return false;
	(*p)++;
	return true;
}

static int
days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

certa_rc
certa_time_parse(const char *s, int64_t *t, struct certa_err *err)
{
	const char	*p = s;
	int		 Y, M, D, h, m, sec, oh = 0, om = 0, sign = 0;
	certa_rc	 rc = CERTA_OK;

	*t = 0;
	CERTA_CHECK(s != NULL && *s != '\0', CERTA_E_PARSE, "empty time");
	for (p = s; isdigit((unsigned char)*p); p++)
		;
	if (*p == '\0' && p - s <= 12) {
		*t = strtoll(s, NULL, 10);
		goto out;
	}
	/* RFC 3339 §5.6: date-time = full-date "T" full-time */
	p = s;
	Y = digits(&p, 4);
	CERTA_CHECK(Y >= 0 && expect(&p, "-") && (M = digits(&p, 2)) >= 0 &&
	    expect(&p, "-") && (D = digits(&p, 2)) >= 0 && expect(&p, "Tt") &&
	    (h = digits(&p, 2)) >= 0 && expect(&p, ":") &&
	    (m = digits(&p, 2)) >= 0 && expect(&p, ":") &&
	    (sec = digits(&p, 2)) >= 0, CERTA_E_PARSE,
	    "time '%s' is neither RFC 3339 (2026-01-02T03:04:05Z) nor Unix "
	    "seconds", s);
	CERTA_CHECK(M >= 1 && M <= 12 && D >= 1 && D <= days_in_month(Y, M) &&
	    h <= 23 && m <= 59 && sec <= 60, CERTA_E_PARSE,
	    "time '%s' is not a valid date and time", s);
	if (*p == '.') {		/* time-secfrac: ignored */
		p++;
		CERTA_CHECK(isdigit((unsigned char)*p), CERTA_E_PARSE,
		    "time '%s': '.' without digits", s);
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else {
		sign = *p == '+' ? -1 : *p == '-' ? 1 : 0;
		CERTA_CHECK(sign != 0, CERTA_E_PARSE,
		    "time '%s' lacks a zone (Z or +hh:mm)", s);
		p++;
		CERTA_CHECK((oh = digits(&p, 2)) >= 0 && expect(&p, ":") &&
		    (om = digits(&p, 2)) >= 0 && oh <= 23 && om <= 59,
		    CERTA_E_PARSE, "time '%s' has a bad zone offset", s);
	}
	CERTA_CHECK(*p == '\0', CERTA_E_PARSE, "time '%s' has trailing "
	    "characters", s);
	if (sec == 60)
		sec = 59;		/* a leap second: its second's start */
	*t = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 +
	    h * 3600 + m * 60 + sec + sign * (oh * 3600 + om * 60);
out:
	return rc;
}

void
certa_time_format(int64_t t, char out[21])
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
certa_free_secret(void *p, size_t len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

certa_rc
certa_file_read(const char *path, size_t max, uint8_t **out, size_t *len,
    struct certa_err *err)
{
	FILE		*f = NULL;
	uint8_t		*buf = NULL;
	size_t		 n = 0, cap = 4096, r;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	*len = 0;
	if (strcmp(path, "-") == 0)
		f = stdin;
	else
		f = fopen(path, "rb");
	CERTA_CHECK(f != NULL, CERTA_E_IO, "cannot open '%s': %s", path,
	    strerror(errno));
	CERTA_CHECK((buf = malloc(cap + 1)) != NULL, CERTA_E_NOMEM, "oom");
	for (;;) {
		if (n == cap) {
			uint8_t	*nb;

			CERTA_CHECK(cap <= max, CERTA_E_PARSE,
			    "'%s' is larger than %zu bytes", path, max);
			cap *= 2;
			nb = realloc(buf, cap + 1);
			CERTA_CHECK(nb != NULL, CERTA_E_NOMEM, "oom");
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	CERTA_CHECK(!ferror(f), CERTA_E_IO, "cannot read '%s'", path);
	CERTA_CHECK(n <= max, CERTA_E_PARSE, "'%s' is larger than %zu bytes",
	    path, max);
	CERTA_CHECK(n > 0, CERTA_E_PARSE, "'%s' is empty", path);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
out:
	if (f != NULL && f != stdin)
		fclose(f);
	if (buf != NULL)
		certa_free_secret(buf, cap + 1);
	return rc;
}

static certa_rc
fsync_dir(const char *path, struct certa_err *err)
{
	char		 dir[PATH_MAX];
	char		*slash;
	int		 fd = -1;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(strlen(path) < sizeof(dir), CERTA_E_INVAL, "path too long");
	memcpy(dir, path, strlen(path) + 1);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		memcpy(dir, ".", 2);
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	CERTA_CHECK(fd >= 0 && fsync(fd) == 0, CERTA_E_IO,
	    "cannot sync directory '%s': %s", dir, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

certa_rc
certa_file_write(const char *path, const void *data, size_t len, int mode,
    bool overwrite, struct certa_err *err)
{
	char		 tmp[PATH_MAX];
	uint8_t		 rnd[6];
	char		 hex[13];
	const uint8_t	*p = data;
	int		 fd = -1;
	bool		 created = false;
	certa_rc	 rc = CERTA_OK;

	if (strcmp(path, "-") == 0) {
		CERTA_CHECK(fwrite(data, 1, len, stdout) == len &&
		    fflush(stdout) == 0, CERTA_E_IO, "cannot write stdout");
		goto out;
	}
	CERTA_CHECK(overwrite || access(path, F_OK) != 0, CERTA_E_CONFLICT,
	    "'%s' exists already; not overwriting it", path);
	CERTA_CHECK(RAND_bytes(rnd, sizeof(rnd)) == 1, CERTA_E_CRYPTO,
	    "no randomness");
	certa_hex(rnd, sizeof(rnd), hex);
	CERTA_CHECK((size_t)snprintf(tmp, sizeof(tmp), "%s.%s.tmp", path, hex) <
	    sizeof(tmp), CERTA_E_INVAL, "path too long: %s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	CERTA_CHECK(fd >= 0, CERTA_E_IO, "cannot create '%s': %s", tmp,
	    strerror(errno));
	created = true;
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		CERTA_CHECK(w > 0, CERTA_E_IO, "cannot write '%s': %s", tmp,
		    strerror(errno));
		p += w;
		len -= (size_t)w;
	}
	CERTA_CHECK(fsync(fd) == 0, CERTA_E_IO, "cannot sync '%s': %s", tmp,
	    strerror(errno));
	CERTA_CHECK(close(fd) == 0, CERTA_E_IO, "cannot close '%s'", tmp);
	fd = -1;
	if (overwrite) {
		CERTA_CHECK(rename(tmp, path) == 0, CERTA_E_IO,
		    "cannot rename '%s' to '%s': %s", tmp, path,
		    strerror(errno));
	} else {
		/* link() fails if path appeared meanwhile: no clobbering. */
		CERTA_CHECK(link(tmp, path) == 0, CERTA_E_IO,
		    "cannot create '%s': %s", path, strerror(errno));
		unlink(tmp);
	}
	created = false;
	CERTA_TRY(fsync_dir(path, err));
out:
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(tmp);
	return rc;
}

certa_rc
certa_mkdirs(const char *path, int mode, struct certa_err *err)
{
	char		 buf[PATH_MAX];
	char		*p;
	size_t		 n = strlen(path);
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(n > 0 && n < sizeof(buf), CERTA_E_INVAL,
	    "bad directory path");
	memcpy(buf, path, n + 1);
	for (p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			CERTA_CHECK(mkdir(buf, (mode_t)mode) == 0 ||
			    errno == EEXIST, CERTA_E_IO,
			    "cannot create directory '%s': %s", buf,
			    strerror(errno));
			*p = c;
			if (c == '\0')
				break;
		}
	}
out:
	return rc;
}

certa_rc
certa_passphrase_read(const char *path, char **out, struct certa_err *err)
{
	uint8_t		*buf = NULL;
	size_t		 len = 0, n;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	rc = certa_file_read(path, 4096, &buf, &len, err);
	/* An unreadable passphrase file is bad input, not a failure. */
	CERTA_CHECK(rc != CERTA_E_IO, CERTA_E_INVAL, "passphrase file");
	CERTA_TRY(rc);
	n = strcspn((char *)buf, "\r\n");
	CERTA_CHECK(n > 0, CERTA_E_PARSE, "passphrase file '%s' has an empty "
	    "first line", path);
	CERTA_CHECK(n <= 1024, CERTA_E_PARSE, "passphrase in '%s' is longer "
	    "than 1024 bytes", path);
	/* Wipe the rest so certa_free_secret(p, strlen(p) + 1) suffices. */
	OPENSSL_cleanse(buf + n, len - n);
	*out = (char *)buf;
	buf = NULL;
out:
	certa_free_secret(buf, len + 1);
	return rc;
}

char *
certa_base64(const uint8_t *data, size_t len)
{
	char	*s;
	int	 n;

	if (len > (size_t)INT32_MAX / 2 ||
	    (s = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	n = EVP_EncodeBlock((unsigned char *)s, data, (int)len);
	if (n < 0) {
		free(s);
		return NULL;
	}
	s[n] = '\0';
	return s;
}

char *
certa_pem_encode(const char *label, const uint8_t *der, size_t len)
{
	BIO	*bio = BIO_new(BIO_s_mem());
	char	*data, *s = NULL;
	long	 n;

	if (bio == NULL)
		return NULL;
	if (PEM_write_bio(bio, label, "", der, (long)len) > 0) {
		n = BIO_get_mem_data(bio, &data);
		if ((s = malloc((size_t)n + 1)) != NULL) {
			memcpy(s, data, (size_t)n);
			s[n] = '\0';
		}
	}
	BIO_free(bio);
	return s;
}
