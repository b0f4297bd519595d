/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Snapshots of the trust store: certa_trust_snapshot_load() reads the
 * store into a snapshot (with the builder of snapshot.c),
 * certa_trust_snapshot_load_for() reads only what one check can use, and
 * the holders keep the current one for validators
 * (include/certa/truststore.h, "the current snapshot").  Reads only; no
 * store writes here.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <certa/certa.h>
#include <certa/limits.h>
#include <certa/store.h>
#include <certa/truststore.h>

#include "trust/truststore_int.h"
#include "util/util.h"

/* --- loading ---------------------------------------------------------- */

/* One of certa's CAs, copied out of the store walk. */
struct load_ca {
	int64_t		 id;
	uint8_t		*der;		/* owns */
	size_t		 len;
	unsigned char	*name;		/* owns (OPENSSL_free); subject DER */
	int		 name_len;
	bool		 anchor;
};

struct load_state {
	struct certa_snapshot_builder	*b;	/* borrowed */
	struct certa_err		*err;	/* borrowed */
	struct load_ca			*cas;	/* owns */
	size_t				 ncas, cap;
	const struct load_ca		*ca;	/* borrowed: revoked_each's */
	void				*arg;	/* borrowed: the caller's */
};

static certa_rc
load_entry(const struct certa_trust_rec *r, void *arg)
{
	struct load_state	*s = arg;
	enum certa_trust_list	 l;
	certa_rc		 rc = CERTA_OK;
	struct certa_err	*err = s->err;

	if (strcmp(r->list, "trusted") == 0)
		l = CERTA_LIST_TRUSTED;
	else if (strcmp(r->list, "issuer") == 0)
		l = CERTA_LIST_ISSUER;
	else
		l = CERTA_LIST_REJECTED;
	rc = certa_snapshot_add_cert(s->b, l, r->der, r->der_len, r->alias,
	    err);
	CERTA_CHECK(rc == CERTA_OK, rc == CERTA_E_NOMEM ? rc : CERTA_E_STORE,
	    "load trust entry '%s' into a snapshot", r->alias);
out:
	return rc;
}

static certa_rc
load_crl(const struct certa_trust_crl_rec *r, void *arg)
{
	struct load_state	*s = arg;
	certa_rc		 rc = CERTA_OK;
	struct certa_err	*err = s->err;

	rc = certa_snapshot_add_crl(s->b, r->der, r->der_len, err);
	CERTA_CHECK(rc == CERTA_OK, rc == CERTA_E_NOMEM ? rc : CERTA_E_STORE,
	    "load the CRL of %.200s into a snapshot", r->issuer);
out:
	return rc;
}

static certa_rc
load_ca(const struct certa_ca_rec *r, void *arg)
{
	struct load_state	*s = arg;
	struct load_ca		*c = NULL;
	const unsigned char	*p = r->cert_der;
	X509			*x = NULL;
	size_t			 cap;
	certa_rc		 rc = CERTA_OK;
	struct certa_err	*err = s->err;

	if (s->ncas == s->cap) {
		cap = s->cap ? s->cap * 2 : 8;
		c = realloc(s->cas, cap * sizeof(*c));
		CERTA_CHECK(c != NULL, CERTA_E_NOMEM, "oom");
		s->cas = c;
		s->cap = cap;
	}
	c = &s->cas[s->ncas];
	memset(c, 0, sizeof(*c));
	x = d2i_X509(NULL, &p, (long)r->cert_der_len);
	CERTA_OSSL(x != NULL, CERTA_E_STORE, "the stored certificate of CA "
	    "'%s' is damaged", r->name);
	c->name_len = i2d_X509_NAME(X509_get_subject_name(x), &c->name);
	CERTA_OSSL(c->name_len > 0, CERTA_E_CRYPTO, "encode the name of CA "
	    "'%s'", r->name);
	CERTA_CHECK((c->der = malloc(r->cert_der_len)) != NULL,
	    CERTA_E_NOMEM, "oom");
	memcpy(c->der, r->cert_der, r->cert_der_len);
	c->len = r->cert_der_len;
	c->id = r->id;
	c->anchor = r->parent_id == 0;	/* a root, or a single-tier CA */
	s->ncas++;
out:
	if (rc != CERTA_OK && c != NULL) {
		OPENSSL_free(c->name);
		free(c->der);
		memset(c, 0, sizeof(*c));
	}
	X509_free(x);
	return rc;
}

static certa_rc
load_revoked(const char *serial, int64_t revoked_at, int reason, void *arg)
{
	struct load_state	*s = arg;

	/*
	 * The issuer goes in as its subject Name DER (snapshot.c takes a
	 * certificate or a name): one small decode per entry, not a
	 * certificate's.
	 */
	return certa_snapshot_add_revoked(s->b, s->ca->name,
	    (size_t)s->ca->name_len, serial, revoked_at, reason, s->err);
}

static void
load_state_clear(struct load_state *s)
{
	size_t	 i;

	for (i = 0; i < s->ncas; i++) {
		free(s->cas[i].der);
		OPENSSL_free(s->cas[i].name);
	}
	free(s->cas);
	memset(s, 0, sizeof(*s));
}

/*
 * HOW IT WORKS: consistency without a read lock.  The generation is read
 * first, then the entries, CRLs and CAs, each in its own statement.  A
 * change committed meanwhile may or may not be in the snapshot, but it
 * bumped the generation past the one recorded, so the next check rebuilds:
 * a snapshot is never newer in its label than in its content.
 */
certa_rc
certa_trust_snapshot_load(struct certa_ctx *c, struct certa_snapshot **out,
    struct certa_err *err)
{
	struct certa_snapshot_builder	*b = NULL;
	struct load_state		 s;
	uint64_t			 gen = 0;
	size_t				 i;
	certa_rc			 rc = CERTA_OK;

	memset(&s, 0, sizeof(s));
	*out = NULL;
	CERTA_TRY(certa_store_trust_generation(certa_ctx_store(c), &gen, err));
	CERTA_TRY(certa_snapshot_builder_new(&b, err));
	s.b = b;
	s.err = err;
	CERTA_TRY(certa_store_trust_each(certa_ctx_store(c), NULL, load_entry, &s, err));
	CERTA_TRY(certa_store_trust_crl_each(certa_ctx_store(c), load_crl, &s, err));
	CERTA_TRY(certa_store_ca_each(certa_ctx_store(c), load_ca, &s, err));
	for (i = 0; i < s.ncas; i++) {
		CERTA_TRY(certa_snapshot_add_certa_ca(b, s.cas[i].der,
		    s.cas[i].len, s.cas[i].anchor, err));
		s.ca = &s.cas[i];
		CERTA_TRY(certa_store_revoked_each(certa_ctx_store(c), s.cas[i].id,
		    load_revoked, &s, err));
	}
	rc = certa_snapshot_build(b, gen, out, err);
	b = NULL;			/* consumed, whatever the result */
	CERTA_TRY(rc);
out:
	certa_snapshot_builder_free(b);
	load_state_clear(&s);
	ERR_clear_error();
	return rc;
}

/* --- the targeted snapshot of one check -------------------------------- */

/* Names followed from one leaf before the full load is cheaper anyway. */
#define FOR_NAMES_MAX	1024

/* A trust entry taken for the targeted snapshot (a copy). */
struct for_entry {
	int64_t			 id;
	enum certa_trust_list	 list;
	uint8_t			*der;	/* owns */
	size_t			 len;
	char			*alias;	/* owns */
};

struct for_state {
	struct certa_err	*err;	/* borrowed */
	char			(*keys)[CERTA_TRUST_NAME_KEY]; /* owns */
	size_t			 nkeys, capkeys;
	struct for_entry	*ents;	/* owns */
	size_t			 nents, capents;
	bool			 full;	/* give up: load everything */
};

static void
for_state_clear(struct for_state *f)
{
	size_t	 i;

	for (i = 0; i < f->nents; i++) {
		free(f->ents[i].der);
		free(f->ents[i].alias);
	}
	free(f->ents);
	free(f->keys);
	memset(f, 0, sizeof(*f));
}

/* Queue name's key unless seen; too many names or no key: f->full. */
static certa_rc
for_name(struct for_state *f, const X509_NAME *name)
{
	char		 key[CERTA_TRUST_NAME_KEY];
	void		*p;
	size_t		 i, cap;
	certa_rc	 rc = CERTA_OK;
	struct certa_err *err = f->err;

	if (name == NULL) {
		f->full = true;
		goto out;
	}
	certa_trust_name_key(name, key);
	for (i = 0; i < f->nkeys; i++)
		if (strcmp(f->keys[i], key) == 0)
			goto out;
	if (f->nkeys == FOR_NAMES_MAX) {
		f->full = true;
		goto out;
	}
	if (f->nkeys == f->capkeys) {
		cap = f->capkeys ? f->capkeys * 2 : 16;
		p = realloc(f->keys, cap * sizeof(*f->keys));
		CERTA_CHECK(p != NULL, CERTA_E_NOMEM, "oom");
		f->keys = p;
		f->capkeys = cap;
	}
	memcpy(f->keys[f->nkeys++], key, sizeof(key));
out:
	return rc;
}

/* Queue the issuer (and with subject, the subject) of a DER cert. */
static certa_rc
for_cert_names(struct for_state *f, const uint8_t *der, size_t len,
    bool subject)
{
	const unsigned char	*p = der;
	X509			*x = NULL;
	certa_rc		 rc = CERTA_OK;
	struct certa_err	*err = f->err;

	CERTA_CHECK(der != NULL && len > 0 && len <= CERTA_MAX_CERT_DER,
	    CERTA_E_PARSE, "a certificate of %zu bytes", len);
	x = d2i_X509(NULL, &p, (long)len);
	CERTA_OSSL(x != NULL, CERTA_E_PARSE, "a certificate to check is "
	    "not DER");
	CERTA_TRY(for_name(f, X509_get_issuer_name(x)));
	if (subject)
		CERTA_TRY(for_name(f, X509_get_subject_name(x)));
out:
	X509_free(x);
	return rc;
}

/* An entry found by fingerprint or subject: copy it once, follow it. */
static certa_rc
for_entry(const struct certa_trust_rec *r, void *arg)
{
	struct for_state	*f = arg;
	struct for_entry	*e;
	void			*p;
	size_t			 i, cap;
	certa_rc		 rc = CERTA_OK;
	struct certa_err	*err = f->err;

	for (i = 0; i < f->nents; i++)
		if (f->ents[i].id == r->id)
			goto out;
	if (f->nents == f->capents) {
		cap = f->capents ? f->capents * 2 : 16;
		p = realloc(f->ents, cap * sizeof(*f->ents));
		CERTA_CHECK(p != NULL, CERTA_E_NOMEM, "oom");
		f->ents = p;
		f->capents = cap;
	}
	e = &f->ents[f->nents];
	memset(e, 0, sizeof(*e));
	e->id = r->id;
	if (strcmp(r->list, "trusted") == 0)
		e->list = CERTA_LIST_TRUSTED;
	else if (strcmp(r->list, "issuer") == 0)
		e->list = CERTA_LIST_ISSUER;
	else
		e->list = CERTA_LIST_REJECTED;
	CERTA_CHECK((e->der = malloc(r->der_len)) != NULL &&
	    (e->alias = certa_strdup(r->alias)) != NULL, CERTA_E_NOMEM,
	    "oom");
	memcpy(e->der, r->der, r->der_len);
	e->len = r->der_len;
	f->nents++;
	CERTA_TRY(for_cert_names(f, r->der, r->der_len, false));
out:
	if (rc != CERTA_OK && f->nents < f->capents) {
		e = &f->ents[f->nents];
		free(e->der);
		free(e->alias);
		memset(e, 0, sizeof(*e));
	}
	return rc;
}

static int
for_entry_cmp(const void *a, const void *b)
{
	const struct for_entry	*x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/*
 * The issuer Name of a CRL (DER), without decoding its entries:
 * CertificateList ::= SEQUENCE { tbsCertList SEQUENCE { version INTEGER
 * OPTIONAL, signature AlgorithmIdentifier, issuer Name, ... } ... }
 * (RFC 5280 §5.1).  NULL when it cannot be read.
 */
static X509_NAME *
crl_issuer(const uint8_t *der, size_t len)
{
	const unsigned char	*p = der, *end = der + len;
	long			 l;
	int			 tag, cls, i;

	for (i = 0; i < 2; i++) {	/* into CertificateList, tbsCertList */
		if (ASN1_get_object(&p, &l, &tag, &cls, end - p) & 0x80 ||
		    tag != V_ASN1_SEQUENCE)
			return NULL;
	}
	if (ASN1_get_object(&p, &l, &tag, &cls, end - p) & 0x80 ||
	    l > end - p)
		return NULL;
	if (tag == V_ASN1_INTEGER) {		/* version: skip it */
		p += l;
		if (ASN1_get_object(&p, &l, &tag, &cls, end - p) & 0x80 ||
		    l > end - p)
			return NULL;
	}
	p += l;					/* signature */
	return d2i_X509_NAME(NULL, &p, end - p);
}

/* A stored CRL: into the snapshot, and its issuer followed. */
static certa_rc
for_crl(const struct certa_trust_crl_rec *r, void *arg)
{
	struct load_state	*s = arg;
	struct for_state	*f = s->arg;
	X509_NAME		*nm = NULL;
	certa_rc		 rc = CERTA_OK;

	CERTA_TRY(load_crl(r, s));
	nm = crl_issuer(r->der, r->der_len);
	CERTA_TRY(for_name(f, nm));
out:
	X509_NAME_free(nm);
	return rc;
}

/*
 * certa's revocation state of one certificate (DER) of the check: its
 * serial looked up over all CAs, added when revoked.  f->full when the
 * serial is ambiguous (several CAs issued it).
 */
static certa_rc
for_revoked(struct certa_ctx *c, struct load_state *s, struct for_state *f,
    const uint8_t *der, size_t len)
{
	const unsigned char	*p = der;
	struct certa_cert_rec	 cr;
	X509			*x = NULL;
	BIGNUM			*bn = NULL;
	char			*hex = NULL;
	size_t			 i;
	certa_rc		 rc = CERTA_OK;
	struct certa_err	*err = f->err;

	memset(&cr, 0, sizeof(cr));
	x = d2i_X509(NULL, &p, (long)len);
	CERTA_OSSL(x != NULL, CERTA_E_PARSE, "a certificate to check is "
	    "not DER");
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	CERTA_OSSL(bn != NULL, CERTA_E_PARSE, "read a serial number");
	if (BN_is_negative(bn) || BN_is_zero(bn))
		goto out;		/* certa never issues these */
	CERTA_OSSL((hex = BN_bn2hex(bn)) != NULL, CERTA_E_NOMEM, "oom");
	rc = certa_store_cert_get_serial(certa_ctx_store(c), hex, &cr, err);
	if (rc == CERTA_E_NOTFOUND) {
		certa_err_clear(err);
		rc = CERTA_OK;
		goto out;
	}
	if (rc == CERTA_E_CONFLICT) {
		certa_err_clear(err);
		rc = CERTA_OK;
		f->full = true;
		goto out;
	}
	CERTA_TRY(rc);
	if (cr.status != CERTA_CERT_REVOKED)
		goto out;
	for (i = 0; i < s->ncas; i++) {
		if (s->cas[i].id != cr.ca_id)
			continue;
		CERTA_TRY(certa_snapshot_add_revoked(s->b, s->cas[i].name,
		    (size_t)s->cas[i].name_len, cr.serial, cr.revoked_at,
		    cr.reason, err));
	}
out:
	certa_cert_rec_clear(&cr);
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(x);
	return rc;
}

/*
 * HOW IT WORKS: the targeted snapshot.  A check uses, of the store, the
 * leaf's own entry (by fingerprint: trusted_list, rejected), the entries
 * named as the issuer of a certificate of the chain (the leaf, the peer's
 * chain, entries so taken: anchors and intermediates, followed up to
 * FOR_NAMES_MAX names), the CRLs (all: few, and an indirect CRL names no
 * CA of the chain), their issuers, certa's CAs (few: all) and certa's
 * revocation state of the chain's certificates (by serial).  Each lookup
 * is indexed (trust_entry.subject_key, fingerprint, certificate serial),
 * so the cost follows the chain, not the store.  Entries go into the
 * builder in id order, as in the full load, so lookups of a name return
 * them in the same order.  Whenever the index cannot answer (entries
 * stored before schema 3, an ambiguous serial, too many names), this is
 * the full load.
 */
certa_rc
certa_trust_snapshot_load_for(struct certa_ctx *c, const uint8_t *leaf,
    size_t leaf_len, const uint8_t *const *chain, const size_t *chain_len,
    size_t n, struct certa_snapshot **out, struct certa_err *err)
{
	struct certa_store		*st = certa_ctx_store(c);
	struct certa_snapshot_builder	*b = NULL;
	struct certa_trust_rec		 tr;
	struct load_state		 s;
	struct for_state		 f;
	uint64_t			 gen = 0;
	int64_t				 unkeyed = 0;
	char				 fp[65];
	size_t				 i, k;
	certa_rc			 rc = CERTA_OK;

	memset(&s, 0, sizeof(s));
	memset(&f, 0, sizeof(f));
	memset(&tr, 0, sizeof(tr));
	*out = NULL;
	CERTA_CHECK(leaf != NULL && leaf_len > 0 && (n == 0 ||
	    (chain != NULL && chain_len != NULL)), CERTA_E_INVAL,
	    "targeted snapshot: no leaf");
	CERTA_TRY(certa_store_trust_unkeyed(st, &unkeyed, err));
	if (unkeyed > 0)
		goto full;
	f.err = err;
	CERTA_TRY(certa_store_trust_generation(st, &gen, err));
	CERTA_TRY(certa_snapshot_builder_new(&b, err));
	s.b = b;
	s.err = err;
	s.arg = &f;

	/* The names to follow: the leaf's (it may be an anchor) and chain's. */
	CERTA_TRY(for_cert_names(&f, leaf, leaf_len, true));
	for (i = 0; i < n; i++)
		CERTA_TRY(for_cert_names(&f, chain[i], chain_len[i], true));
	certa_trust_fp(leaf, leaf_len, fp);
	CERTA_CHECK(fp[0] != '\0', CERTA_E_CRYPTO, "cannot hash a "
	    "certificate");
	rc = certa_store_trust_get_fp(st, fp, &tr, err);
	if (rc == CERTA_E_NOTFOUND) {
		certa_err_clear(err);
		rc = CERTA_OK;
	} else {
		CERTA_TRY(rc);
		CERTA_TRY(for_entry(&tr, &f));
	}
	CERTA_TRY(certa_store_trust_crl_each(st, for_crl, &s, err));
	for (k = 0; k < f.nkeys && !f.full; k++)
		CERTA_TRY(certa_store_trust_each_subject(st, f.keys[k],
		    for_entry, &f, err));
	if (f.full)
		goto full;
	if (f.nents > 1)
		qsort(f.ents, f.nents, sizeof(*f.ents), for_entry_cmp);
	for (i = 0; i < f.nents; i++) {
		rc = certa_snapshot_add_cert(b, f.ents[i].list, f.ents[i].der,
		    f.ents[i].len, f.ents[i].alias, err);
		CERTA_CHECK(rc == CERTA_OK, rc == CERTA_E_NOMEM ? rc :
		    CERTA_E_STORE, "load trust entry '%s' into a snapshot",
		    f.ents[i].alias);
	}

	/* certa's CAs, and the revocation state of what is checked. */
	CERTA_TRY(certa_store_ca_each(st, load_ca, &s, err));
	for (i = 0; i < s.ncas; i++)
		CERTA_TRY(certa_snapshot_add_certa_ca(b, s.cas[i].der,
		    s.cas[i].len, s.cas[i].anchor, err));
	CERTA_TRY(for_revoked(c, &s, &f, leaf, leaf_len));
	for (i = 0; i < n; i++)
		CERTA_TRY(for_revoked(c, &s, &f, chain[i], chain_len[i]));
	for (i = 0; i < s.ncas; i++)
		CERTA_TRY(for_revoked(c, &s, &f, s.cas[i].der, s.cas[i].len));
	if (f.full)
		goto full;
	rc = certa_snapshot_build(b, gen, out, err);
	b = NULL;			/* consumed, whatever the result */
	CERTA_TRY(rc);
	goto out;
full:
	certa_snapshot_builder_free(b);
	b = NULL;
	rc = certa_trust_snapshot_load(c, out, err);
out:
	certa_snapshot_builder_free(b);
	certa_trust_rec_clear(&tr);
	load_state_clear(&s);
	for_state_clear(&f);
	ERR_clear_error();
	return rc;
}

/* --- holders ---------------------------------------------------------- */

struct certa_trust_holder {
	pthread_mutex_t		 mu;	/* guards cur and dir: swaps only */
	pthread_mutex_t		 load_mu; /* one rebuild at a time */
	struct certa_snapshot	*cur;	/* owns one reference; or NULL */
	char			*dir;	/* owns; data directory of cur */
};

/* The process-wide holder of certa_trust_current(). */
static struct certa_trust_holder process_holder = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, NULL, NULL
};

certa_rc
certa_trust_holder_new(struct certa_trust_holder **out,
    struct certa_err *err)
{
	struct certa_trust_holder	*h = NULL;
	certa_rc			 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK((h = calloc(1, sizeof(*h))) != NULL, CERTA_E_NOMEM,
	    "oom");
	CERTA_CHECK(pthread_mutex_init(&h->mu, NULL) == 0, CERTA_E_NOMEM,
	    "create a snapshot holder");
	if (pthread_mutex_init(&h->load_mu, NULL) != 0) {
		pthread_mutex_destroy(&h->mu);
		CERTA_FAIL(CERTA_E_NOMEM, "create a snapshot holder");
	}
	*out = h;
	h = NULL;
out:
	free(h);
	return rc;
}

/* Drop what a holder holds (its mutexes stay). */
static void
holder_drop(struct certa_trust_holder *h)
{
	struct certa_snapshot	*old;
	char			*dir;

	pthread_mutex_lock(&h->mu);
	old = h->cur;
	dir = h->dir;
	h->cur = NULL;
	h->dir = NULL;
	pthread_mutex_unlock(&h->mu);
	certa_snapshot_unref(old);
	free(dir);
}

void
certa_trust_holder_free(struct certa_trust_holder *h)
{
	if (h == NULL)
		return;
	holder_drop(h);
	pthread_mutex_destroy(&h->load_mu);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

struct certa_snapshot *
certa_trust_holder_peek(struct certa_trust_holder *h)
{
	struct certa_snapshot	*s;

	pthread_mutex_lock(&h->mu);
	s = h->cur != NULL ? certa_snapshot_ref(h->cur) : NULL;
	pthread_mutex_unlock(&h->mu);
	return s;
}

/*
 * A new reference to the held snapshot if it is of dir and at gen;
 * *old gets one to the held snapshot of dir whatever its generation (or
 * NULL).
 */
static struct certa_snapshot *
holder_take(struct certa_trust_holder *h, const char *dir, uint64_t gen,
    struct certa_snapshot **old)
{
	struct certa_snapshot	*s = NULL;

	*old = NULL;
	pthread_mutex_lock(&h->mu);
	if (h->cur != NULL && h->dir != NULL && strcmp(h->dir, dir) == 0) {
		if (certa_snapshot_generation(h->cur) == gen)
			s = certa_snapshot_ref(h->cur);
		else
			*old = certa_snapshot_ref(h->cur);
	}
	pthread_mutex_unlock(&h->mu);
	return s;
}

certa_rc
certa_trust_holder_get(struct certa_trust_holder *h, struct certa_ctx *c,
    struct certa_snapshot **out, struct certa_err *err)
{
	struct certa_snapshot	*s = NULL, *old = NULL, *prev;
	const char		*dir = certa_ctx_dir(c);
	char			*d = NULL, *prevdir;
	uint64_t		 gen = 0;
	bool			 loading = false;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	/* From memory on a cluster store with a live change feed. */
	CERTA_TRY(certa_store_trust_generation_fast(certa_ctx_store(c), &gen,
	    err));
	if ((s = holder_take(h, dir, gen, &old)) != NULL)
		goto done;		/* the common case: up to date */

	/*
	 * Stale.  With an old snapshot to hand out, a thread that finds
	 * another rebuilding does not wait for it; without one it must.
	 */
	if (old != NULL) {
		if (pthread_mutex_trylock(&h->load_mu) != 0) {
			s = old;
			old = NULL;
			goto done;
		}
	} else {
		pthread_mutex_lock(&h->load_mu);
	}
	loading = true;
	/* Someone may have rebuilt while we waited for load_mu. */
	certa_snapshot_unref(old);
	if ((s = holder_take(h, dir, gen, &old)) != NULL)
		goto done;
	rc = certa_trust_snapshot_load(c, &s, err);
	if (rc != CERTA_OK && old != NULL) {
		/* A failed rebuild keeps the old snapshot in service. */
		certa_err_clear(err);
		rc = CERTA_OK;
		s = old;
		old = NULL;
		goto done;
	}
	CERTA_TRY(rc);
	CERTA_CHECK((d = certa_strdup(dir)) != NULL, CERTA_E_NOMEM, "oom");

	/* The swap: the only moment readers and the writer meet. */
	pthread_mutex_lock(&h->mu);
	prev = h->cur;
	prevdir = h->dir;
	h->cur = certa_snapshot_ref(s);
	h->dir = d;
	pthread_mutex_unlock(&h->mu);
	d = NULL;
	certa_snapshot_unref(prev);	/* readers keep their own references */
	free(prevdir);
done:
	*out = s;			/* the caller's reference */
	s = NULL;
out:
	if (loading)
		pthread_mutex_unlock(&h->load_mu);
	certa_snapshot_unref(s);
	certa_snapshot_unref(old);
	free(d);
	return rc;
}

certa_rc
certa_trust_current(struct certa_ctx *c, struct certa_snapshot **out,
    struct certa_err *err)
{
	return certa_trust_holder_get(&process_holder, c, out, err);
}

void
certa_trust_current_reset(void)
{
	holder_drop(&process_holder);
}
