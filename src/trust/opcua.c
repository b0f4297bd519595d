/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OPC UA PKI folder layout (REFERENCE §3): export the trust store as
 * DIR/{trusted,issuers}/{certs,crl} and DIR/rejected/certs, and sync such
 * a folder back into the store.  This file does the directory I/O; what a
 * certificate or CRL means, and every store change, goes through
 * truststore.c (truststore_int.h).
 *
 * HOW IT WORKS: the mapping.
 *   trusted list  <-> trusted/certs   (CRLs of its CAs: trusted/crl)
 *   issuer list   <-> issuers/certs   (CRLs of its CAs: issuers/crl)
 *   rejected list <-> rejected/certs
 * Certificates are DER files named "CN [SHA1].der" (the SHA-1 thumbprint
 * in upper-case hex, as OPC UA stacks name them), CRLs "CA-CN [CA-SHA1].crl"
 * after the CA that signed them.  File names carry no meaning on the way
 * back: sync decodes every file and matches by SHA-256 fingerprint, so
 * files renamed by a server or by hand round-trip too.  Aliases are not in
 * the layout; sync derives them from the CN like any import.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <certa/certa.h>
#include <certa/truststore.h>
#include <certa/util.h>

#include "core/core.h"
#include "trust/truststore_int.h"
#include "util/util.h"

/* Files one folder may hold before sync gives up on it. */
#define MAX_FOLDER_FILES	100000
/* Bytes of the CN kept in a file name. */
#define NAME_CN_MAX		64

enum folder {
	F_TRUSTED_CERTS = 0,
	F_TRUSTED_CRL,
	F_ISSUERS_CERTS,
	F_ISSUERS_CRL,
	F_REJECTED_CERTS,
	F__COUNT
};

static const char *const folders[F__COUNT] = {
	[F_TRUSTED_CERTS] = "trusted/certs",
	[F_TRUSTED_CRL] = "trusted/crl",
	[F_ISSUERS_CERTS] = "issuers/certs",
	[F_ISSUERS_CRL] = "issuers/crl",
	[F_REJECTED_CERTS] = "rejected/certs",
};

static bool
is_crl_folder(enum folder f)
{
	return f == F_TRUSTED_CRL || f == F_ISSUERS_CRL;
}

/* The folder of a list's certificates, or of its CAs' CRLs. */
static enum folder
list_folder(const char *list, bool crl)
{
	if (strcmp(list, "trusted") == 0)
		return crl ? F_TRUSTED_CRL : F_TRUSTED_CERTS;
	if (strcmp(list, "issuer") == 0)
		return crl ? F_ISSUERS_CRL : F_ISSUERS_CERTS;
	return F_REJECTED_CERTS;
}

static const char *
folder_list(enum folder f)
{
	switch (f) {
	case F_TRUSTED_CERTS:
	case F_TRUSTED_CRL:
		return "trusted";
	case F_ISSUERS_CERTS:
	case F_ISSUERS_CRL:
		return "issuer";
	default:
		return "rejected";
	}
}

static void
say(certa_trust_report_fn fn, void *arg, const char *kind, const char *path,
    const char *detail)
{
	if (fn != NULL)
		fn(kind, path, detail, arg);
}

/*
 * "CN [SHA1].ext": the CN with path separators, control characters and
 * characters other systems refuse in file names made '_', at most
 * NAME_CN_MAX bytes (whole UTF-8 characters); "cert" without a CN.
 */
static void
file_name(const char *cn, const char *sha1_hex, const char *ext,
    char *out, size_t outlen)
{
	char		 n[NAME_CN_MAX + 1], up[41];
	size_t		 i, o = 0, len = cn != NULL ? strlen(cn) : 0, k;
	unsigned char	 ch;

	for (i = 0; i < len && o < NAME_CN_MAX; i += k) {
		ch = (unsigned char)cn[i];
		for (k = 1; i + k < len && ((unsigned char)cn[i + k] & 0xc0) ==
		    0x80; k++)
			;
		if (o + k > NAME_CN_MAX)
			break;
		if (ch < 0x20 || ch == 0x7f || strchr("/\\<>:\"|?*", ch) !=
		    NULL || (o == 0 && ch == '.')) {
			n[o++] = '_';
			k = 1;
		} else {
			memcpy(n + o, cn + i, k);
			o += k;
		}
	}
	while (o > 0 && n[o - 1] == ' ')
		o--;
	n[o] = '\0';
	for (i = 0; i < 40 && sha1_hex[i] != '\0'; i++)
		up[i] = (char)(sha1_hex[i] >= 'a' && sha1_hex[i] <= 'f' ?
		    sha1_hex[i] - 'a' + 'A' : sha1_hex[i]);
	up[i] = '\0';
	snprintf(out, outlen, "%s [%s].%s", o > 0 ? n : "cert", up, ext);
}

/* --- export ---------------------------------------------------------- */

/* Fingerprints seen in the folder, sorted for look-ups. */
struct fps {
	char	(*v)[65];	/* owns */
	size_t	  n, cap;
};

static certa_rc
fps_add(struct fps *s, const char *fp)
{
	char	(*v)[65];
	size_t	  cap;

	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 64;
		if ((v = realloc(s->v, cap * sizeof(*v))) == NULL)
			return CERTA_E_NOMEM;
		s->v = v;
		s->cap = cap;
	}
	snprintf(s->v[s->n++], 65, "%s", fp);
	return CERTA_OK;
}

static int
fp_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}


/* One file the layout must hold. */
struct want {
	enum folder	 folder;
	char		 name[NAME_CN_MAX + 64];
	char		 fp[65];	/* SHA-256 of the content */
	uint8_t		*der;		/* owns */
	size_t		 len;
};

/* A stored certificate, to place CRLs next to their CA. */
struct ca_ref {
	char		*subject;	/* owns */
	char		 list[16];
	char		 key_id[129];	/* SKI hex or "" */
	char		 cn_name[NAME_CN_MAX + 64];	/* "CN [SHA1]" */
};

struct export_state {
	struct want	*w;		/* owns */
	size_t		 n, cap;
	struct ca_ref	*cas;		/* owns */
	size_t		 ncas, capcas;
};

static void
export_state_clear(struct export_state *s)
{
	size_t	 i;

	for (i = 0; i < s->n; i++)
		free(s->w[i].der);
	free(s->w);
	for (i = 0; i < s->ncas; i++)
		free(s->cas[i].subject);
	free(s->cas);
	memset(s, 0, sizeof(*s));
}

static certa_rc
want_add(struct export_state *s, enum folder f, const char *name,
    const char *fp, const uint8_t *der, size_t len)
{
	struct want	*w;
	size_t		 cap;

	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 64;
		if ((w = realloc(s->w, cap * sizeof(*w))) == NULL)
			return CERTA_E_NOMEM;
		s->w = w;
		s->cap = cap;
	}
	w = &s->w[s->n];
	memset(w, 0, sizeof(*w));
	w->folder = f;
	snprintf(w->name, sizeof(w->name), "%s", name);
	snprintf(w->fp, sizeof(w->fp), "%s", fp);
	if ((w->der = malloc(len)) == NULL)
		return CERTA_E_NOMEM;
	memcpy(w->der, der, len);
	w->len = len;
	s->n++;
	return CERTA_OK;
}

static certa_rc
export_entry(const struct certa_trust_rec *r, void *arg)
{
	struct export_state	*s = arg;
	const unsigned char	*p = r->der;
	const ASN1_OCTET_STRING	*ski;
	struct ca_ref		*c;
	X509			*x = NULL;
	char			*cn = NULL, sha1[65], name[NAME_CN_MAX + 64];
	size_t			 cap;
	certa_rc		 rc = CERTA_OK;

	certa_fingerprint(r->der, r->der_len, true, sha1);
	if ((x = d2i_X509(NULL, &p, (long)r->der_len)) != NULL)
		cn = certa_trust_cn(x);
	file_name(cn != NULL ? cn : r->alias, sha1, "der", name, sizeof(name));
	if ((rc = want_add(s, list_folder(r->list, false), name,
	    r->fingerprint, r->der, r->der_len)) != CERTA_OK)
		goto out;
	if (x == NULL || strcmp(r->list, "rejected") == 0)
		goto out;
	if (s->ncas == s->capcas) {
		cap = s->capcas ? s->capcas * 2 : 16;
		if ((c = realloc(s->cas, cap * sizeof(*c))) == NULL) {
			rc = CERTA_E_NOMEM;
			goto out;
		}
		s->cas = c;
		s->capcas = cap;
	}
	c = &s->cas[s->ncas];
	memset(c, 0, sizeof(*c));
	if ((c->subject = certa_strdup(r->subject)) == NULL) {
		rc = CERTA_E_NOMEM;
		goto out;
	}
	snprintf(c->list, sizeof(c->list), "%s", r->list);
	ski = X509_get0_subject_key_id(x);
	if (ski != NULL && ASN1_STRING_length(ski) <= 64)
		certa_hex(ASN1_STRING_get0_data(ski),
		    (size_t)ASN1_STRING_length(ski), c->key_id);
	file_name(cn != NULL ? cn : r->alias, sha1, "crl", c->cn_name,
	    sizeof(c->cn_name));
	s->ncas++;
out:
	ERR_clear_error();
	free(cn);
	X509_free(x);
	return rc;
}

static certa_rc
export_crl(const struct certa_trust_crl_rec *r, void *arg)
{
	struct export_state	*s = arg;
	const struct ca_ref	*ca = NULL;
	char			 sha1[65], name[NAME_CN_MAX + 64];
	size_t			 i;

	for (i = 0; i < s->ncas; i++) {
		if (strcmp(s->cas[i].subject, r->issuer) != 0)
			continue;
		if (r->key_id != NULL && r->key_id[0] != '\0' &&
		    s->cas[i].key_id[0] != '\0' &&
		    strcmp(r->key_id, s->cas[i].key_id) != 0)
			continue;
		ca = &s->cas[i];
		break;
	}
	if (ca != NULL) {
		snprintf(name, sizeof(name), "%s", ca->cn_name);
		return want_add(s, list_folder(ca->list, true), name,
		    r->fingerprint, r->der, r->der_len);
	}
	/* Its CA was deleted since: keep the CRL as an issuer's. */
	certa_fingerprint(r->der, r->der_len, true, sha1);
	file_name("crl", sha1, "crl", name, sizeof(name));
	return want_add(s, F_ISSUERS_CRL, name, r->fingerprint, r->der,
	    r->der_len);
}

/* dir/rel into out[PATH_MAX]; IO when it does not fit. */
static certa_rc
path2(char *out, const char *dir, const char *rel, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;
	int		 n;

	n = snprintf(out, PATH_MAX, "%s/%s", dir, rel);
	CERTA_CHECK(n > 0 && n < PATH_MAX, CERTA_E_IO, "path %s/%.64s is too "
	    "long", dir, rel);
out:
	return rc;
}

/* Does path hold exactly data? */
static bool
same_content(const char *path, const uint8_t *data, size_t len)
{
	uint8_t		*old = NULL;
	size_t		 olen = 0;
	bool		 same;

	if (certa_file_read(path, len + 1, &old, &olen, NULL) != CERTA_OK)
		return false;
	same = olen == len && memcmp(old, data, len) == 0;
	free(old);
	return same;
}

/* The names of the regular files of a directory, sorted; none if absent. */
struct names {
	char	**v;		/* owns each */
	size_t	  n;
};

static void
names_clear(struct names *nm)
{
	size_t	 i;

	for (i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
	memset(nm, 0, sizeof(*nm));
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static certa_rc
list_dir(const char *path, struct names *out, struct certa_err *err)
{
	DIR		*d = NULL;
	struct dirent	*e;
	struct stat	 sb;
	char		 p[PATH_MAX], **v;
	size_t		 cap = 0;
	certa_rc	 rc = CERTA_OK;

	memset(out, 0, sizeof(*out));
	if ((d = opendir(path)) == NULL) {
		CERTA_CHECK(errno == ENOENT, CERTA_E_IO, "cannot read folder "
		    "%s: %s", path, strerror(errno));
		goto out;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;	/* ., .., hidden and temporary files */
		CERTA_CHECK((size_t)snprintf(p, sizeof(p), "%s/%s", path,
		    e->d_name) < sizeof(p), CERTA_E_IO, "path too long in %s",
		    path);
		if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		CERTA_CHECK(out->n < MAX_FOLDER_FILES, CERTA_E_PARSE,
		    "folder %s has more than %d files", path,
		    MAX_FOLDER_FILES);
		if (out->n == cap) {
			cap = cap ? cap * 2 : 32;
			CERTA_CHECK((v = realloc(out->v, cap * sizeof(*v))) !=
			    NULL, CERTA_E_NOMEM, "oom");
			out->v = v;
		}
		CERTA_CHECK((out->v[out->n] = certa_strdup(e->d_name)) != NULL,
		    CERTA_E_NOMEM, "oom");
		out->n++;
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(out->v[0]), name_cmp);
out:
	if (d != NULL)
		closedir(d);
	if (rc != CERTA_OK)
		names_clear(out);
	return rc;
}

/*
 * SHA-256 of what a file holds: the certificate, or the CRL, it decodes
 * to (first certificate of a bundle).  false when it is neither.
 */
static bool
file_fp(const char *path, bool crl, char fp[65])
{
	STACK_OF(X509)	*sk = NULL;
	X509_CRL	*c = NULL;
	uint8_t		*data = NULL, *der = NULL;
	size_t		 len = 0, dlen = 0;
	unsigned char	*cd = NULL;
	int		 n;
	bool		 ok = false;

	fp[0] = '\0';
	if (certa_file_read(path, crl ? CERTA_MAX_TRUST_CRL :
	    CERTA_MAX_TRUST_FILE, &data, &len, NULL) != CERTA_OK)
		goto out;
	if (crl) {
		if (certa_trust_parse_crl(data, len, &c, NULL) != CERTA_OK ||
		    (n = i2d_X509_CRL(c, &cd)) <= 0)
			goto out;
		certa_trust_fp(cd, (size_t)n, fp);
	} else {
		if (certa_trust_parse_certs(data, len, NULL, &sk, NULL) !=
		    CERTA_OK || sk_X509_num(sk) != 1 ||
		    certa_cert_der(sk_X509_value(sk, 0), &der, &dlen, NULL) !=
		    CERTA_OK)
			goto out;
		certa_trust_fp(der, dlen, fp);
	}
	ok = fp[0] != '\0';
out:
	ERR_clear_error();
	OPENSSL_free(cd);
	X509_CRL_free(c);
	sk_X509_pop_free(sk, X509_free);
	free(der);
	free(data);
	return ok;
}

/* Order of wants: by folder, then name (for bsearch). */
static int
want_cmp(const void *a, const void *b)
{
	const struct want	*x = a, *y = b;

	if (x->folder != y->folder)
		return x->folder < y->folder ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool
is_wanted(const struct export_state *s, enum folder f, const char *name)
{
	struct want	 key;

	key.folder = f;
	if (snprintf(key.name, sizeof(key.name), "%s", name) >=
	    (int)sizeof(key.name))
		return false;
	return s->n > 0 && bsearch(&key, s->w, s->n, sizeof(s->w[0]),
	    want_cmp) != NULL;
}

certa_rc
certa_trust_export_opcua(struct certa_ctx *c, const char *dir, bool prune,
    certa_trust_report_fn fn, void *arg, struct certa_err *err)
{
	struct export_state	 s;
	struct names		 nm;
	struct fps		 fps;
	char			 path[PATH_MAX], rel[PATH_MAX], fp[65];
	char			 detail[160];
	size_t			 i, j, wrote = 0, same = 0, removed = 0;
	size_t			 kept = 0;
	bool			 ours;
	int			 f;
	certa_rc		 rc = CERTA_OK;

	memset(&s, 0, sizeof(s));
	memset(&nm, 0, sizeof(nm));
	memset(&fps, 0, sizeof(fps));
	CERTA_CHECK(dir != NULL && *dir != '\0', CERTA_E_INVAL, "export: no "
	    "directory given");
	CERTA_CHECK(strlen(dir) + 64 < sizeof(path), CERTA_E_INVAL,
	    "export: directory path too long");
	/* Read everything first: a store error writes no file. */
	rc = certa_store_trust_each(certa_ctx_store(c), NULL, export_entry, &s, err);
	if (rc == CERTA_OK)
		rc = certa_store_trust_crl_each(certa_ctx_store(c), export_crl, &s, err);
	if (rc == CERTA_E_NOMEM)
		CERTA_FAIL(CERTA_E_NOMEM, "export: out of memory");
	CERTA_TRY(rc);
	for (i = 0; i < s.n; i++)
		CERTA_CHECK(fps_add(&fps, s.w[i].fp) == CERTA_OK,
		    CERTA_E_NOMEM, "export: out of memory");
	if (s.n > 1) {
		qsort(s.w, s.n, sizeof(s.w[0]), want_cmp);
		qsort(fps.v, fps.n, sizeof(fps.v[0]), fp_cmp);
	}
	for (f = 0; f < F__COUNT; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, folders[f]);
		CERTA_TRY(certa_mkdirs(path, 0755, err));
	}
	for (i = 0; i < s.n; i++) {
		snprintf(rel, sizeof(rel), "%s/%s", folders[s.w[i].folder],
		    s.w[i].name);
		CERTA_TRY(path2(path, dir, rel, err));
		if (same_content(path, s.w[i].der, s.w[i].len)) {
			same++;
			continue;
		}
		CERTA_TRY(certa_file_write(path, s.w[i].der, s.w[i].len, 0644,
		    true, err));
		say(fn, arg, "wrote", rel, NULL);
		wrote++;
	}

	/* What else the folders hold: moved entries go, others stay. */
	for (f = 0; f < F__COUNT; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, folders[f]);
		CERTA_TRY(list_dir(path, &nm, err));
		for (j = 0; j < nm.n; j++) {
			if (is_wanted(&s, (enum folder)f, nm.v[j]))
				continue;
			snprintf(rel, sizeof(rel), "%s/%s", folders[f],
			    nm.v[j]);
			CERTA_TRY(path2(path, dir, rel, err));
			ours = fps.n > 0 && file_fp(path, is_crl_folder(f),
			    fp) && bsearch(fp, fps.v, fps.n, sizeof(fps.v[0]),
			    fp_cmp) != NULL;
			if (!ours && !prune) {
				say(fn, arg, "kept", rel, "not in the trust "
				    "store ('certa trust sync' imports it, "
				    "--prune removes it)");
				kept++;
				continue;
			}
			CERTA_CHECK(unlink(path) == 0 || errno == ENOENT,
			    CERTA_E_IO, "remove %s: %s", path,
			    strerror(errno));
			say(fn, arg, "removed", rel, ours ? "moved or renamed "
			    "in the trust store" : "not in the trust store");
			removed++;
		}
		names_clear(&nm);
	}
	snprintf(detail, sizeof(detail), "%zu files written, %zu unchanged, "
	    "%zu removed, %zu kept", wrote, same, removed, kept);
	say(fn, arg, "done", dir, detail);
out:
	names_clear(&nm);
	export_state_clear(&s);
	free(fps.v);
	return rc;
}

/* --- sync ------------------------------------------------------------ */

struct only_state {
	struct fps		*seen;		/* borrowed */
	certa_trust_report_fn	 fn;
	void			*arg;
	size_t			 n;
};

static certa_rc
only_in_store(const struct certa_trust_rec *r, void *arg)
{
	struct only_state	*o = arg;
	char			 detail[160];

	if (o->seen->n > 0 && bsearch(r->fingerprint, o->seen->v, o->seen->n,
	    sizeof(o->seen->v[0]), fp_cmp) != NULL)
		return CERTA_OK;
	snprintf(detail, sizeof(detail), "'%.64s' (%s list) is not in the "
	    "folder", r->alias, r->list);
	say(o->fn, o->arg, "only-in-store", NULL, detail);
	o->n++;
	return CERTA_OK;
}

/* Is rc a verdict on one file (report it, go on) rather than a failure? */
static bool
file_verdict(certa_rc rc)
{
	return rc == CERTA_E_PARSE || rc == CERTA_E_POLICY ||
	    rc == CERTA_E_NOTFOUND || rc == CERTA_E_CONFLICT;
}

struct sync_count {
	size_t	 imported, differs, skipped, unchanged;
};

static certa_rc
sync_certs(struct certa_ctx *c, const char *path, const char *rel,
    enum folder f, struct fps *seen, struct sync_count *n,
    certa_trust_report_fn fn, void *arg, struct certa_err *err)
{
	struct certa_trust_rec	 r, added;
	struct certa_err	 ferr;
	STACK_OF(X509)		*sk = NULL;	/* owns elements */
	const char		*list = folder_list(f);
	uint8_t			*data = NULL, *der = NULL;
	size_t			 len = 0, dlen = 0;
	char			 fp[65], detail[CERTA_ERR_MSG_MAX + 64];
	int			 i;
	certa_rc		 rc = CERTA_OK, frc;

	memset(&r, 0, sizeof(r));
	memset(&added, 0, sizeof(added));
	certa_err_clear(&ferr);
	frc = certa_file_read(path, CERTA_MAX_TRUST_FILE, &data, &len, &ferr);
	if (frc == CERTA_OK)
		frc = certa_trust_parse_certs(data, len, NULL, &sk, &ferr);
	if (frc != CERTA_OK) {
		CERTA_CHECK(frc != CERTA_E_NOMEM, frc, "sync: out of memory");
		say(fn, arg, "skipped", rel, ferr.msg);
		n->skipped++;
		goto out;
	}
	for (i = 0; i < sk_X509_num(sk); i++) {
		X509	*x = sk_X509_value(sk, i);

		free(der);
		der = NULL;
		CERTA_TRY(certa_cert_der(x, &der, &dlen, err));
		certa_trust_fp(der, dlen, fp);
		CERTA_CHECK(fps_add(seen, fp) == CERTA_OK, CERTA_E_NOMEM,
		    "oom");
		certa_trust_rec_clear(&r);
		rc = certa_store_trust_get_fp(certa_ctx_store(c), fp, &r, err);
		if (rc == CERTA_OK) {
			if (strcmp(r.list, list) == 0) {
				n->unchanged++;
				continue;
			}
			snprintf(detail, sizeof(detail), "the trust store has "
			    "it as '%.64s' in the %s list; left as it is",
			    r.alias, r.list);
			say(fn, arg, "differs", rel, detail);
			n->differs++;
			continue;
		}
		CERTA_CHECK(rc == CERTA_E_NOTFOUND, rc, "sync %s", rel);
		certa_err_clear(err);
		rc = CERTA_OK;
		certa_trust_rec_clear(&added);
		CERTA_TRY(certa_trust_add_tx(c, x, NULL, list,
		    f == F_REJECTED_CERTS ? "auto-rejected" : "imported",
		    &added, err));
		snprintf(detail, sizeof(detail), "as '%.64s' (%s list)",
		    added.alias, added.list);
		say(fn, arg, "imported", rel, detail);
		n->imported++;
	}
out:
	certa_trust_rec_clear(&r);
	certa_trust_rec_clear(&added);
	sk_X509_pop_free(sk, X509_free);
	free(der);
	free(data);
	return rc;
}

struct crl_fp_find {
	const char	*fp;
	bool		 found;
};

static certa_rc
crl_fp_cb(const struct certa_trust_crl_rec *r, void *arg)
{
	struct crl_fp_find	*f = arg;

	if (strcmp(r->fingerprint, f->fp) == 0)
		f->found = true;
	return CERTA_OK;
}

static certa_rc
sync_crl(struct certa_ctx *c, const char *path, const char *rel,
    struct sync_count *n, certa_trust_report_fn fn, void *arg,
    struct certa_err *err)
{
	struct certa_err	 ferr;
	struct crl_fp_find	 ff;
	X509_CRL		*crl = NULL;
	uint8_t			*data = NULL;
	unsigned char		*cd = NULL;
	size_t			 len = 0;
	char			 fp[65], *signer = NULL;
	char			 detail[CERTA_ERR_MSG_MAX + 64];
	int			 dn;
	certa_rc		 rc = CERTA_OK, frc;

	certa_err_clear(&ferr);
	frc = certa_file_read(path, CERTA_MAX_TRUST_CRL, &data, &len, &ferr);
	if (frc == CERTA_OK)
		frc = certa_trust_parse_crl(data, len, &crl, &ferr);
	if (frc == CERTA_OK) {
		CERTA_OSSL((dn = i2d_X509_CRL(crl, &cd)) > 0, CERTA_E_CRYPTO,
		    "encode a CRL");
		certa_trust_fp(cd, (size_t)dn, fp);
		ff.fp = fp;
		ff.found = false;
		CERTA_TRY(certa_store_trust_crl_each(certa_ctx_store(c), crl_fp_cb, &ff,
		    err));
		if (ff.found) {
			n->unchanged++;
			goto out;
		}
		frc = certa_trust_crl_add_tx(c, crl, NULL, &signer, &ferr);
	}
	if (frc != CERTA_OK) {
		CERTA_CHECK(file_verdict(frc), frc, "sync %s: %s", rel,
		    ferr.msg);
		say(fn, arg, "skipped", rel, ferr.msg);
		n->skipped++;
		goto out;
	}
	snprintf(detail, sizeof(detail), "the CRL of '%.64s'", signer);
	say(fn, arg, "imported", rel, detail);
	n->imported++;
out:
	free(signer);
	OPENSSL_free(cd);
	X509_CRL_free(crl);
	free(data);
	return rc;
}

/*
 * Reports of a sync are held until its transaction commits: an operator
 * never reads "imported" for something a failed sync rolled back.
 */
struct held {
	struct {
		const char	*kind;		/* static */
		char		*path;		/* owns */
		char		*detail;	/* owns */
	}		*v;			/* owns */
	size_t		 n, cap;
	bool		 nomem;
};

static void
hold(const char *kind, const char *path, const char *detail, void *arg)
{
	struct held	*h = arg;
	void		*v;
	size_t		 cap;

	if (h->n == h->cap) {
		cap = h->cap ? h->cap * 2 : 32;
		if ((v = realloc(h->v, cap * sizeof(h->v[0]))) == NULL) {
			h->nomem = true;
			return;
		}
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n].kind = kind;
	h->v[h->n].path = certa_strdup(path);
	h->v[h->n].detail = certa_strdup(detail);
	if ((path != NULL && h->v[h->n].path == NULL) || (detail != NULL &&
	    h->v[h->n].detail == NULL))
		h->nomem = true;
	h->n++;
}

static void
held_clear(struct held *h)
{
	size_t	 i;

	for (i = 0; i < h->n; i++) {
		free(h->v[i].path);
		free(h->v[i].detail);
	}
	free(h->v);
	memset(h, 0, sizeof(*h));
}

certa_rc
certa_trust_sync_opcua(struct certa_ctx *c, const char *dir,
    certa_trust_report_fn fn, void *arg, struct certa_err *err)
{
	static const enum folder order[F__COUNT] = { F_TRUSTED_CERTS,
	    F_ISSUERS_CERTS, F_REJECTED_CERTS, F_TRUSTED_CRL, F_ISSUERS_CRL };
	struct sync_count	 n;
	struct only_state	 o;
	struct names		 nm;
	struct fps		 seen;
	struct held		 h;
	struct stat		 sb;
	char			 path[PATH_MAX], rel[PATH_MAX], detail[200];
	size_t			 j, present = 0;
	bool			 tx = false;
	int			 k;
	enum folder		 f;
	certa_rc		 rc = CERTA_OK;

	memset(&n, 0, sizeof(n));
	memset(&nm, 0, sizeof(nm));
	memset(&seen, 0, sizeof(seen));
	memset(&h, 0, sizeof(h));
	CERTA_CHECK(dir != NULL && *dir != '\0', CERTA_E_INVAL, "sync: no "
	    "directory given");
	CERTA_CHECK(strlen(dir) + 64 < sizeof(path), CERTA_E_INVAL,
	    "sync: directory path too long");
	for (k = 0; k < F__COUNT; k++) {
		snprintf(path, sizeof(path), "%s/%s", dir, folders[k]);
		if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
			present++;
	}
	CERTA_CHECK(present > 0, CERTA_E_NOTFOUND, "%s is not an OPC UA PKI "
	    "folder: it has none of trusted/certs, trusted/crl, "
	    "issuers/certs, issuers/crl, rejected/certs", dir);

	/* Certificates first, so that CRLs find CAs imported with them. */
	CERTA_TRY(certa_trust_tx_begin(c, err));
	tx = true;
	for (k = 0; k < F__COUNT; k++) {
		f = order[k];
		snprintf(path, sizeof(path), "%s/%s", dir, folders[f]);
		CERTA_TRY(list_dir(path, &nm, err));
		for (j = 0; j < nm.n; j++) {
			snprintf(rel, sizeof(rel), "%s/%s", folders[f],
			    nm.v[j]);
			CERTA_TRY(path2(path, dir, rel, err));
			if (is_crl_folder(f))
				CERTA_TRY(sync_crl(c, path, rel, &n, hold, &h,
				    err));
			else
				CERTA_TRY(sync_certs(c, path, rel, f, &seen,
				    &n, hold, &h, err));
		}
		names_clear(&nm);
	}
	if (seen.n > 1)
		qsort(seen.v, seen.n, sizeof(seen.v[0]), fp_cmp);
	memset(&o, 0, sizeof(o));
	o.seen = &seen;
	o.fn = hold;
	o.arg = &h;
	CERTA_TRY(certa_store_trust_each(certa_ctx_store(c), NULL, only_in_store, &o,
	    err));
	CERTA_CHECK(!h.nomem, CERTA_E_NOMEM, "sync: out of memory");
	CERTA_TRY(certa_trust_tx_commit(c, err));
	tx = false;
	for (j = 0; j < h.n; j++)
		say(fn, arg, h.v[j].kind, h.v[j].path, h.v[j].detail);
	snprintf(detail, sizeof(detail), "%zu imported, %zu unchanged, %zu "
	    "differ, %zu only in the store, %zu files skipped", n.imported,
	    n.unchanged, n.differs, o.n, n.skipped);
	say(fn, arg, "done", dir, detail);
out:
	if (tx)
		certa_trust_tx_rollback(c);
	names_clear(&nm);
	held_clear(&h);
	free(seen.v);
	return rc;
}
