/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa store migrate (include/certa/migrate.h): copy a store into an
 * empty one through include/certa/store.h.
 *
 * HOW IT WORKS: rows reference each other by id (an application its
 * organisation, a certificate its CA, application and predecessor, a
 * request its certificates, a notice its certificate and channel, a
 * delivery its notice), so ids must survive: organisations, applications,
 * CAs, certificates and the notification state (channels, per-certificate
 * opt-outs, notices sent or pending with their attempts and times, the
 * delivery log) go in with the store's import ops (certa_store_*_import:
 * the row's own id, every field as it is, holes kept).  Rows nothing
 * refers to by id (trust entries, CRLs, role maps, requests) go through
 * the ordinary puts and get new ids; the audit log is appended with its
 * own seq and hashes; tokens keep their id.
 *
 * Everything is written in one target transaction and verified inside it
 * (counts per kind, every certificate by id with its fingerprint, DER and
 * status, the audit chain, and the notification rows field by field: a
 * SHA-256 over each kind's rows in id order, taken of the source's as
 * they are copied and of the target's as they are read back) before the
 * commit.  The source is read inside a transaction of its own, for a
 * consistent picture, and never written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <certa/migrate.h>
#include <certa/notify.h>
#include <certa/settings.h>
#include <certa/store.h>
#include <certa/util.h>

#include "trust/truststore_int.h"

/* Meta keys certa writes (there is no meta iterator). */
static const char *const meta_keys[] = {
	"certa_version", "base_url", CERTA_META_TRUST_MODE,
	CERTA_META_TRUST_AUTO_REJECT, CERTA_NOTIFY_META_SMTP_URL,
	CERTA_NOTIFY_META_SMTP_FROM, "approval.single_control",
	"renew.window_days", "reissue.grace_seconds",
};

struct idlist {
	int64_t		*v;
	size_t		 n, cap;
};

/* The notification kinds compared row by row (struct mig's md). */
enum nkind {
	NK_CHANNEL,
	NK_CERT_OFF,
	NK_NOTICE,
	NK_DELIVERY,
	NK__COUNT
};

/*
 * A running SHA-256 over one kind's rows in walk order: every field, a
 * string as its length and bytes (NULL apart from "").  Only compared
 * within this process, so integers go in native byte order.
 */
struct rowsum {
	EVP_MD_CTX	*md;	/* owns */
	bool		 ok;	/* no update failed */
};

struct mig {
	struct certa_store		*src, *dst;
	struct certa_err		*err;
	struct certa_migrate_summary	*sum;
	struct idlist			 orgs;	/* source org ids */
	int64_t				 n;	/* generic counter */
	int64_t				 last;	/* generic: last seq / id */
	char				 hash[65];
	struct rowsum			 rs;	/* the kind being summed */
	unsigned char			 md[NK__COUNT][EVP_MAX_MD_SIZE];
					/* the source's, per kind */
};

static certa_rc
push(struct idlist *l, int64_t id, struct certa_err *err)
{
	int64_t		*nv;
	certa_rc	 rc = CERTA_OK;

	if (l->n == l->cap) {
		l->cap = l->cap != 0 ? l->cap * 2 : 16;
		nv = realloc(l->v, l->cap * sizeof(*nv));
		CERTA_CHECK(nv != NULL, CERTA_E_NOMEM, "migrate: out of memory");
		l->v = nv;
	}
	l->v[l->n++] = id;
out:
	return rc;
}

static void
sum_bytes(struct rowsum *rs, const void *p, size_t len)
{
	if (rs->ok && EVP_DigestUpdate(rs->md, p, len) != 1)
		rs->ok = false;
}

static void
sum_int(struct rowsum *rs, int64_t v)
{
	sum_bytes(rs, &v, sizeof(v));
}

static void
sum_str(struct rowsum *rs, const char *s)
{
	uint64_t	 len = s != NULL ? strlen(s) : UINT64_MAX;

	sum_bytes(rs, &len, sizeof(len));
	if (s != NULL)
		sum_bytes(rs, s, strlen(s));
}

static certa_rc
sum_begin(struct rowsum *rs, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	if (rs->md == NULL)
		rs->md = EVP_MD_CTX_new();
	CERTA_OSSL(rs->md != NULL && EVP_DigestInit_ex(rs->md, EVP_sha256(),
	    NULL) == 1, CERTA_E_CRYPTO, "migrate: start a row digest");
	rs->ok = true;
out:
	return rc;
}

static certa_rc
sum_end(struct rowsum *rs, unsigned char out[EVP_MAX_MD_SIZE],
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	memset(out, 0, EVP_MAX_MD_SIZE);
	CERTA_OSSL(rs->ok && EVP_DigestFinal_ex(rs->md, out, NULL) == 1,
	    CERTA_E_CRYPTO, "migrate: finish a row digest");
out:
	return rc;
}

static void
sum_chan(struct rowsum *rs, const struct certa_notify_channel_rec *c)
{
	sum_int(rs, c->id);
	sum_int(rs, c->org_id);
	sum_str(rs, c->kind);
	sum_str(rs, c->target);
	sum_str(rs, c->secret);
	sum_int(rs, c->enabled);
	sum_int(rs, c->created_at);
}

static void
sum_cert_off(struct rowsum *rs, const struct certa_notify_cert_off_rec *o)
{
	sum_int(rs, o->cert_id);
	sum_int(rs, o->created_at);
}

static void
sum_notice(struct rowsum *rs, const struct certa_notice_rec *n)
{
	sum_int(rs, n->id);
	sum_int(rs, n->cert_id);
	sum_int(rs, n->channel_id);
	sum_int(rs, n->threshold_days);
	sum_int(rs, (int64_t)n->status);
	sum_int(rs, n->attempts);
	sum_int(rs, n->next_attempt_at);
	sum_int(rs, n->created_at);
	sum_int(rs, n->done_at);
}

/* The fields of the log row itself (not those joined from its notice). */
static void
sum_delivery(struct rowsum *rs, const struct certa_notify_delivery_rec *d)
{
	sum_int(rs, d->id);
	sum_int(rs, d->notice_id);
	sum_int(rs, d->attempt);
	sum_int(rs, d->time);
	sum_int(rs, d->ok);
	sum_int(rs, d->code);
	sum_str(rs, d->error);
	sum_int(rs, d->next_attempt_at);
}

static certa_rc
count_cb(const void *rec, void *arg)
{
	(void)rec;
	((struct mig *)arg)->n++;
	return CERTA_OK;
}

/* Typed adapters for count_cb. */
static certa_rc cnt_org(const struct certa_org_rec *r, void *a)
{ return count_cb(r, a); }
static certa_rc cnt_app(const struct certa_app_rec *r, void *a)
{ return count_cb(r, a); }
static certa_rc cnt_ca(const struct certa_ca_rec *r, void *a)
{ return count_cb(r, a); }
static certa_rc cnt_cert(const struct certa_cert_rec *r, void *a)
{ return count_cb(r, a); }
static certa_rc cnt_trust(const struct certa_trust_rec *r, void *a)
{ return count_cb(r, a); }
static certa_rc cnt_crl(const struct certa_trust_crl_rec *r, void *a)
{ return count_cb(r, a); }
static certa_rc cnt_token(const struct certa_token_rec *r, void *a)
{ return count_cb(r, a); }
static certa_rc cnt_role(const struct certa_role_map_rec *r, void *a)
{ return count_cb(r, a); }
static certa_rc cnt_req(const struct certa_request_rec *r, void *a)
{ return count_cb(r, a); }
static certa_rc cnt_norg(const struct certa_notify_org_rec *r, void *a)
{ return count_cb(r, a); }

/* Count and sum a target row (verify). */
static certa_rc
chk_chan(const struct certa_notify_channel_rec *r, void *arg)
{
	sum_chan(&((struct mig *)arg)->rs, r);
	return count_cb(r, arg);
}

static certa_rc
chk_cert_off(const struct certa_notify_cert_off_rec *r, void *arg)
{
	sum_cert_off(&((struct mig *)arg)->rs, r);
	return count_cb(r, arg);
}

static certa_rc
chk_notice(const struct certa_notice_rec *r, void *arg)
{
	sum_notice(&((struct mig *)arg)->rs, r);
	return count_cb(r, arg);
}

static certa_rc
chk_delivery(const struct certa_notify_delivery_rec *r, void *arg)
{
	sum_delivery(&((struct mig *)arg)->rs, r);
	return count_cb(r, arg);
}

static certa_rc
last_cert(const struct certa_cert_rec *r, void *arg)
{
	((struct mig *)arg)->last = r->id;
	return CERTA_OK;
}

/* Is the target empty enough to receive a copy? */
static certa_rc
check_empty(struct mig *m)
{
	struct certa_err		*err = m->err;
	struct certa_cert_filter	 f = { .status = -1 };
	int64_t				 orgs, cas, certs, tokens, seq;
	char				 hash[65];
	certa_rc			 rc = CERTA_OK;

	m->n = 0;
	CERTA_TRY(certa_store_org_each(m->dst, cnt_org, m, err));
	orgs = m->n;
	m->n = 0;
	CERTA_TRY(certa_store_ca_each(m->dst, cnt_ca, m, err));
	cas = m->n;
	m->n = 0;
	CERTA_TRY(certa_store_cert_each(m->dst, &f, cnt_cert, m, err));
	certs = m->n;
	m->n = 0;
	CERTA_TRY(certa_store_token_each(m->dst, cnt_token, m, err));
	tokens = m->n;
	CERTA_TRY(certa_store_audit_last(m->dst, &seq, hash, err));
	CERTA_CHECK(orgs == 0 && cas == 0 && certs == 0 && tokens == 0 &&
	    seq == 0, CERTA_E_CONFLICT, "migrate: the target store is not "
	    "empty (%lld CAs, %lld certificates, %lld organisations, %lld "
	    "tokens, %lld audit records): refusing to copy into it; nothing "
	    "was changed", (long long)cas, (long long)certs,
	    (long long)orgs, (long long)tokens, (long long)seq);
out:
	return rc;
}

static certa_rc
org_copy(const struct certa_org_rec *o, void *arg)
{
	struct mig		*m = arg;
	struct certa_err	*err = m->err;
	certa_rc		 rc = CERTA_OK;

	CERTA_TRY(certa_store_org_import(m->dst, o, err));
	CERTA_TRY(push(&m->orgs, o->id, err));
	m->sum->orgs++;
out:
	return rc;
}

static certa_rc
app_copy(const struct certa_app_rec *a, void *arg)
{
	struct mig		*m = arg;
	struct certa_err	*err = m->err;
	certa_rc		 rc = CERTA_OK;

	CERTA_TRY(certa_store_app_import(m->dst, a, err));
	m->sum->apps++;
out:
	return rc;
}

static certa_rc
ca_copy(const struct certa_ca_rec *c, void *arg)
{
	struct mig		*m = arg;
	struct certa_err	*err = m->err;
	certa_rc		 rc = CERTA_OK;

	CERTA_TRY(certa_store_ca_import(m->dst, c, err));
	m->sum->cas++;
out:
	return rc;
}

/*
 * Certificates by id, reserved rows (no DER) included: cert_each shows only
 * those with DER, so every id up to the last of those is asked for, and
 * the ids after it until the first missing one.
 */
static certa_rc
copy_certs(struct mig *m)
{
	struct certa_err		*err = m->err;
	struct certa_cert_filter	 f = { .status = -1 };
	struct certa_cert_rec		 c;
	int64_t				 id, max;
	certa_rc			 rc = CERTA_OK;

	memset(&c, 0, sizeof(c));
	m->last = 0;
	CERTA_TRY(certa_store_cert_each(m->src, &f, last_cert, m, err));
	max = m->last;
	for (id = 1;; id++) {
		certa_cert_rec_clear(&c);
		rc = certa_store_cert_get(m->src, id, &c, err);
		if (rc == CERTA_E_NOTFOUND) {
			certa_err_clear(err);
			rc = CERTA_OK;
			if (id > max)
				break;
			continue;	/* a hole: kept */
		}
		CERTA_TRY(rc);
		CERTA_TRY(certa_store_cert_import(m->dst, &c, err));
		if (c.status == CERTA_CERT_REVOKED)
			m->sum->revoked++;
		if (c.der != NULL)
			m->sum->certs++;
		else
			m->sum->reserved++;
	}
out:
	certa_cert_rec_clear(&c);
	return rc;
}

static certa_rc
audit_copy(const struct certa_audit_rec *a, void *arg)
{
	struct mig	*m = arg;
	certa_rc	 rc;

	rc = certa_store_audit_append(m->dst, a, m->err);
	if (rc == CERTA_OK)
		m->sum->audit++;
	return rc;
}

static certa_rc
trust_copy(const struct certa_trust_rec *t, void *arg)
{
	struct mig		*m = arg;
	struct certa_err	*err = m->err;
	struct certa_trust_rec	 r;
	const unsigned char	*p = t->der;
	X509			*x;
	char			 key[CERTA_TRUST_NAME_KEY];
	certa_rc		 rc = CERTA_OK;

	r = *t;
	r.id = 0;
	r.subject_key = NULL;
	x = d2i_X509(NULL, &p, (long)t->der_len);
	if (x != NULL) {
		/* Not read back by the store: computed as the importer does. */
		certa_trust_name_key(X509_get_subject_name(x), key);
		r.subject_key = key;
		X509_free(x);
	}
	CERTA_TRY(certa_store_trust_put(m->dst, &r, err));
	m->sum->trust++;
out:
	return rc;
}

static certa_rc
crl_copy(const struct certa_trust_crl_rec *c, void *arg)
{
	struct mig			*m = arg;
	struct certa_trust_crl_rec	 r;
	certa_rc			 rc;

	r = *c;
	r.id = 0;
	rc = certa_store_trust_crl_put(m->dst, &r, m->err);
	if (rc == CERTA_OK)
		m->sum->trust_crls++;
	return rc;
}

static certa_rc
token_copy(const struct certa_token_rec *t, void *arg)
{
	struct mig	*m = arg;
	certa_rc	 rc;

	rc = certa_store_token_put(m->dst, t, m->err);
	if (rc == CERTA_OK)
		m->sum->tokens++;
	return rc;
}

static certa_rc
role_copy(const struct certa_role_map_rec *t, void *arg)
{
	struct mig			*m = arg;
	struct certa_role_map_rec	 r;
	certa_rc			 rc;

	r = *t;
	r.id = 0;
	rc = certa_store_role_map_set(m->dst, &r, m->err);
	if (rc == CERTA_OK)
		m->sum->role_maps++;
	return rc;
}

static certa_rc
req_copy(const struct certa_request_rec *q, void *arg)
{
	struct mig		*m = arg;
	struct certa_request_rec r;
	certa_rc		 rc;

	r = *q;
	r.id = 0;
	rc = certa_store_request_put(m->dst, &r, m->err);
	if (rc == CERTA_OK)
		m->sum->requests++;
	return rc;
}

/* Notification rows: imported with their ids, and summed (verify()). */
static certa_rc
chan_copy(const struct certa_notify_channel_rec *c, void *arg)
{
	struct mig	*m = arg;
	certa_rc	 rc;

	rc = certa_store_notify_channel_import(m->dst, c, m->err);
	if (rc == CERTA_OK) {
		sum_chan(&m->rs, c);
		m->sum->notify_channels++;
	}
	return rc;
}

static certa_rc
cert_off_copy(const struct certa_notify_cert_off_rec *o, void *arg)
{
	struct mig	*m = arg;
	certa_rc	 rc;

	rc = certa_store_notify_cert_off_import(m->dst, o, m->err);
	if (rc == CERTA_OK) {
		sum_cert_off(&m->rs, o);
		m->sum->notify_opt_outs++;
	}
	return rc;
}

static certa_rc
notice_copy(const struct certa_notice_rec *n, void *arg)
{
	struct mig	*m = arg;
	certa_rc	 rc;

	rc = certa_store_notice_import(m->dst, n, m->err);
	if (rc == CERTA_OK) {
		sum_notice(&m->rs, n);
		m->sum->notices++;
	}
	return rc;
}

static certa_rc
delivery_copy(const struct certa_notify_delivery_rec *d, void *arg)
{
	struct mig	*m = arg;
	certa_rc	 rc;

	rc = certa_store_notify_delivery_import(m->dst, d, m->err);
	if (rc == CERTA_OK) {
		sum_delivery(&m->rs, d);
		m->sum->notify_deliveries++;
	}
	return rc;
}

/* Copy the notification state, summing each kind's rows as they go. */
static certa_rc
copy_notify(struct mig *m)
{
	struct certa_err	*err = m->err;
	certa_rc		 rc = CERTA_OK;

	CERTA_TRY(sum_begin(&m->rs, err));
	CERTA_TRY(certa_store_notify_channel_each(m->src, chan_copy, m, err));
	CERTA_TRY(sum_end(&m->rs, m->md[NK_CHANNEL], err));
	CERTA_TRY(sum_begin(&m->rs, err));
	CERTA_TRY(certa_store_notify_cert_off_each(m->src, cert_off_copy, m,
	    err));
	CERTA_TRY(sum_end(&m->rs, m->md[NK_CERT_OFF], err));
	CERTA_TRY(sum_begin(&m->rs, err));
	CERTA_TRY(certa_store_notice_each(m->src, notice_copy, m, err));
	CERTA_TRY(sum_end(&m->rs, m->md[NK_NOTICE], err));
	CERTA_TRY(sum_begin(&m->rs, err));
	CERTA_TRY(certa_store_notify_delivery_each(m->src, 0, delivery_copy,
	    m, err));
	CERTA_TRY(sum_end(&m->rs, m->md[NK_DELIVERY], err));
out:
	return rc;
}

static certa_rc
norg_copy(const struct certa_notify_org_rec *o, void *arg)
{
	struct mig	*m = arg;
	certa_rc	 rc;

	rc = certa_store_notify_org_set(m->dst, o, m->err);
	if (rc == CERTA_OK)
		m->sum->notify_orgs++;
	return rc;
}

static certa_rc
copy_meta(struct mig *m)
{
	struct certa_err	*err = m->err;
	char			*v = NULL;
	size_t			 i;
	certa_rc		 rc = CERTA_OK;

	for (i = 0; i < sizeof(meta_keys) / sizeof(meta_keys[0]); i++) {
		rc = certa_store_meta_get(m->src, meta_keys[i], &v, err);
		if (rc == CERTA_E_NOTFOUND) {
			certa_err_clear(err);
			rc = CERTA_OK;
			continue;
		}
		CERTA_TRY(rc);
		CERTA_TRY(certa_store_meta_set(m->dst, meta_keys[i], v, err));
		free(v);
		v = NULL;
		m->sum->meta++;
	}
out:
	free(v);
	return rc;
}

/* Every source certificate, by id, the same in the target. */
static certa_rc
verify_cert(const struct certa_cert_rec *c, void *arg)
{
	struct mig		*m = arg;
	struct certa_err	*err = m->err;
	struct certa_cert_rec	 t;
	certa_rc		 rc = CERTA_OK;

	memset(&t, 0, sizeof(t));
	CERTA_TRY(certa_store_cert_get(m->dst, c->id, &t, err));
	CERTA_CHECK(t.fingerprint != NULL && c->fingerprint != NULL &&
	    strcmp(t.fingerprint, c->fingerprint) == 0 &&
	    t.der_len == c->der_len && memcmp(t.der, c->der, c->der_len) == 0 &&
	    strcmp(t.serial, c->serial) == 0 && t.status == c->status &&
	    t.reason == c->reason && t.ca_id == c->ca_id &&
	    t.app_id == c->app_id && t.predecessor_id == c->predecessor_id &&
	    ((t.key_pem == NULL && c->key_pem == NULL) ||
	    (t.key_pem != NULL && c->key_pem != NULL &&
	    strcmp(t.key_pem, c->key_pem) == 0)), CERTA_E_STORE,
	    "migrate: certificate %lld (fingerprint %s) differs in the target",
	    (long long)c->id, c->fingerprint != NULL ? c->fingerprint : "-");
	m->n++;
out:
	certa_cert_rec_clear(&t);
	return rc;
}

static certa_rc
verify_audit(const struct certa_audit_rec *a, void *arg)
{
	struct mig		*m = arg;
	struct certa_err	*err = m->err;
	certa_rc		 rc = CERTA_OK;

	CERTA_CHECK(a->seq == m->last + 1 && (m->last == 0 ||
	    strcmp(a->prev_hash, m->hash) == 0), CERTA_E_STORE, "migrate: the "
	    "audit chain breaks at record %lld in the target",
	    (long long)a->seq);
	m->last = a->seq;
	memcpy(m->hash, a->hash, sizeof(m->hash));
	m->n++;
out:
	return rc;
}

#define VERIFY_COUNT(call, want, what) do {				\
	m->n = 0;							\
	CERTA_TRY(call);						\
	CERTA_CHECK(m->n == (want), CERTA_E_STORE, "migrate: the target " \
	    "has %lld %s where %lld were copied", (long long)m->n, (what), \
	    (long long)(want));						\
} while (0)

/* Count the target's rows of kind k with call and compare their sum. */
#define VERIFY_ROWS(call, k, want, what) do {				\
	CERTA_TRY(sum_begin(&m->rs, err));				\
	VERIFY_COUNT(call, want, what);					\
	CERTA_TRY(sum_end(&m->rs, md, err));				\
	CERTA_CHECK(memcmp(md, m->md[k], sizeof(md)) == 0,		\
	    CERTA_E_STORE, "migrate: the target's %s differ from the "	\
	    "source's", (what));					\
} while (0)

static certa_rc
verify(struct mig *m)
{
	struct certa_err		*err = m->err;
	struct certa_migrate_summary	*s = m->sum;
	struct certa_cert_filter	 f = { .status = -1 };
	struct certa_request_filter	 rf;
	int64_t				 sseq, dseq;
	char				 sh[65], dh[65];
	unsigned char			 md[EVP_MAX_MD_SIZE];
	certa_rc			 rc = CERTA_OK;

	memset(&rf, 0, sizeof(rf));
	VERIFY_COUNT(certa_store_org_each(m->dst, cnt_org, m, err), s->orgs,
	    "organisations");
	VERIFY_COUNT(certa_store_app_each(m->dst, 0, cnt_app, m, err),
	    s->apps, "applications");
	VERIFY_COUNT(certa_store_ca_each(m->dst, cnt_ca, m, err), s->cas,
	    "CAs");
	VERIFY_COUNT(certa_store_cert_each(m->dst, &f, cnt_cert, m, err),
	    s->certs, "certificates");
	VERIFY_COUNT(certa_store_cert_each(m->src, &f, verify_cert, m, err),
	    s->certs, "certificates verified by fingerprint");
	m->last = 0;
	VERIFY_COUNT(certa_store_audit_each(m->dst, 0, verify_audit, m, err),
	    s->audit, "audit records");
	CERTA_TRY(certa_store_audit_last(m->src, &sseq, sh, err));
	CERTA_TRY(certa_store_audit_last(m->dst, &dseq, dh, err));
	CERTA_CHECK(sseq == dseq && strcmp(sh, dh) == 0, CERTA_E_STORE,
	    "migrate: the target's audit chain ends at %lld, the source's at "
	    "%lld", (long long)dseq, (long long)sseq);
	VERIFY_COUNT(certa_store_trust_each(m->dst, NULL, cnt_trust, m, err),
	    s->trust, "trust entries");
	VERIFY_COUNT(certa_store_trust_crl_each(m->dst, cnt_crl, m, err),
	    s->trust_crls, "trust CRLs");
	VERIFY_COUNT(certa_store_token_each(m->dst, cnt_token, m, err),
	    s->tokens, "tokens");
	VERIFY_COUNT(certa_store_role_map_each(m->dst, cnt_role, m, err),
	    s->role_maps, "role mappings");
	VERIFY_COUNT(certa_store_request_each(m->dst, &rf, cnt_req, m, err),
	    s->requests, "requests");
	VERIFY_COUNT(certa_store_notify_org_each(m->dst, cnt_norg, m, err),
	    s->notify_orgs, "notification settings");
	VERIFY_ROWS(certa_store_notify_channel_each(m->dst, chk_chan, m, err),
	    NK_CHANNEL, s->notify_channels, "notification channels");
	VERIFY_ROWS(certa_store_notify_cert_off_each(m->dst, chk_cert_off, m,
	    err), NK_CERT_OFF, s->notify_opt_outs, "notification opt-outs");
	VERIFY_ROWS(certa_store_notice_each(m->dst, chk_notice, m, err),
	    NK_NOTICE, s->notices, "notices");
	VERIFY_ROWS(certa_store_notify_delivery_each(m->dst, 0, chk_delivery,
	    m, err), NK_DELIVERY, s->notify_deliveries,
	    "delivery log entries");
out:
	return rc;
}

static certa_rc
copy_all(struct mig *m)
{
	struct certa_err		*err = m->err;
	struct certa_migrate_summary	*s = m->sum;
	struct certa_request_filter	 rf;
	bool				 req;
	size_t				 i;
	certa_rc			 rc = CERTA_OK;

	memset(&rf, 0, sizeof(rf));
	CERTA_TRY(certa_store_org_each(m->src, org_copy, m, err));
	CERTA_TRY(certa_store_app_each(m->src, 0, app_copy, m, err));
	for (i = 0; i < m->orgs.n; i++) {
		CERTA_TRY(certa_store_org_get_approval(m->src, m->orgs.v[i],
		    &req, err));
		CERTA_TRY(certa_store_org_set_approval(m->dst, m->orgs.v[i],
		    req, err));
	}
	CERTA_TRY(certa_store_ca_each(m->src, ca_copy, m, err));
	CERTA_TRY(copy_certs(m));
	CERTA_TRY(certa_store_audit_each(m->src, 0, audit_copy, m, err));
	CERTA_TRY(certa_store_trust_each(m->src, NULL, trust_copy, m, err));
	CERTA_TRY(certa_store_trust_crl_each(m->src, crl_copy, m, err));
	CERTA_TRY(certa_store_token_each(m->src, token_copy, m, err));
	CERTA_TRY(certa_store_role_map_each(m->src, role_copy, m, err));
	CERTA_TRY(certa_store_request_each(m->src, &rf, req_copy, m, err));
	CERTA_TRY(certa_store_notify_org_each(m->src, norg_copy, m, err));
	CERTA_TRY(copy_notify(m));
	CERTA_TRY(copy_meta(m));
	CERTA_TRY(verify(m));
	CERTA_TRY(certa_store_trust_generation(m->dst, &s->trust_generation,
	    err));
out:
	return rc;
}

certa_rc
certa_store_migrate(const char *from_dsn, const char *to_dsn,
    struct certa_migrate_summary *out, struct certa_err *err)
{
	struct mig	 m;
	bool		 stx = false, dtx = false;
	certa_rc	 rc = CERTA_OK;

	memset(&m, 0, sizeof(m));
	memset(out, 0, sizeof(*out));
	m.err = err;
	m.sum = out;
	CERTA_CHECK(from_dsn != NULL && to_dsn != NULL && strcmp(from_dsn,
	    to_dsn) != 0, CERTA_E_INVAL, "migrate: give two different stores");
	CERTA_TRY(certa_store_open(&m.src, from_dsn, err));
	CERTA_TRY(certa_store_open(&m.dst, to_dsn, err));
	out->from_backend = certa_store_backend(m.src);
	out->to_backend = certa_store_backend(m.dst);
	CERTA_TRY(certa_store_begin(m.src, err));
	stx = true;
	CERTA_TRY(certa_store_begin(m.dst, err));
	dtx = true;
	CERTA_TRY(check_empty(&m));
	CERTA_TRY(copy_all(&m));
	CERTA_TRY(certa_store_commit(m.dst, err));
	dtx = false;
out:
	if (dtx)
		certa_store_rollback(m.dst);
	if (stx)
		certa_store_rollback(m.src);
	certa_store_close(m.dst);
	certa_store_close(m.src);
	free(m.orgs.v);
	EVP_MD_CTX_free(m.rs.md);
	return rc;
}
