/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Snapshots of the trust store: certa_trust_snapshot_load() reads the
 * store into a snapshot (with the builder of snapshot.c), and the holders
 * keep the current one for validators (include/certa/truststore.h, "the
 * current snapshot").  Reads only; no store writes here.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include <certa/certa.h>
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
	CERTA_TRY(certa_store_trust_generation(certa_ctx_store(c), &gen, err));
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
