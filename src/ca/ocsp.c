/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCSP responses for the issuing CA (RFC 6960; RFC 5019 profile).  Parses
 * requests, looks certificates up in the store, signs with a delegated
 * responder key that lives only in this process's memory.  No network I/O
 * here: src/proto/ocsp_http.c carries the bytes.
 *
 * HOW IT WORKS (response caching)
 *
 * Signing is the only expensive step, so answers to the common request
 * (one CertID, no nonce: RFC 5019 §2.1) are kept signed in a hash table
 * keyed by (hash algorithm, serial).  An entry is used until half its
 * validity has passed, then re-signed on the next request for it.
 * Requests with a nonce or several CertIDs, and "unknown" answers (so
 * that random serials cannot fill memory), are signed each time.  At
 * OCSP_CACHE_MAX entries the cache is emptied and refills on demand.
 *
 * Revocations may be made by other processes (the CLI writes the same
 * store), so the responder cannot rely on being told.  Every mutation
 * appends an audit record in the same transaction, so the audit head
 * (certa_store_audit_last: one indexed read) is a cheap "something
 * changed" fact; certa_ocsp_poll() reads it every ~250 ms and, when it
 * moved, walks only the new records: "cert.revoke" replaces that serial's
 * entries at once (re-signed, so the next request is a hit), "ca.*" drops
 * everything.  Records of
 * other kinds (CRL numbers, the responder's own issuance) are ignored, so
 * the daemon's own writes do not empty the cache.  A revocation is thus
 * visible within one poll interval plus one request.
 *
 * The responder certificate (EKU OCSPSigning, id-pkix-ocsp-nocheck,
 * RFC 6960 §4.2.2.2.1) is issued through the signer at start and again
 * when a third of its validity is left; its issuance is audited.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <certa/limits.h>
#include <certa/ocsp.h>

#include "audit/audit.h"
#include "ca/ctx.h"
#include "ca/leaf.h"
#include "core/core.h"
#include "util/util.h"

#define OCSP_NMD		4	/* CertID hash algorithms we match */
#define OCSP_MAX_IDS		16	/* CertIDs per request */
#define OCSP_CACHE_MAX		(1u << 18)	/* entries, ~1 KiB each */
#define OCSP_DEFAULT_VALIDITY	3600
#define OCSP_DEFAULT_RESP_VALID	(2 * 86400)

static const char *const md_names[OCSP_NMD] = {
	"SHA1", "SHA256", "SHA384", "SHA512" };

/* RFC 6960 §4.2.1: OCSPResponse with only a status, DER. */
static const uint8_t resp_malformed[] = { 0x30, 0x03, 0x0a, 0x01, 0x01 };
static const uint8_t resp_internal[] = { 0x30, 0x03, 0x0a, 0x01, 0x02 };

struct ocsp_entry {
	struct ocsp_entry	*next;
	int			 md;		/* index into md_names */
	char			 serial[41];	/* lower-case hex */
	enum certa_ocsp_kind	 kind;
	uint8_t			*der;		/* owns */
	size_t			 len;
	int64_t			 produced_at, this_update, next_update;
	int64_t			 refresh_at;
	char			 etag[40];
};

/*
 * Request bytes -> cache key, for the cacheable form: most clients send
 * the same bytes for the same certificate, so a repeat is answered
 * without decoding it.  Direct-mapped, overwritten on collision; a slot
 * only names (md, serial), and the entry found under them is checked as
 * on the slow path, so a stale slot costs a decode, never a wrong answer.
 */
#define OCSP_RAW_SLOTS		4096
#define OCSP_RAW_MAX		160	/* request bytes kept per slot */

struct raw_slot {
	uint64_t		 hash;
	uint16_t		 len;		/* 0: empty */
	int16_t			 md;
	char			 serial[41];
	uint8_t			 bytes[OCSP_RAW_MAX];
};

struct certa_ocsp {
	struct certa_ctx	*ctx;		/* borrowed from the caller */
	X509			*issuer;	/* borrowed from ctx */
	OCSP_CERTID		*ids[OCSP_NMD];	/* owns; issuer parts only */
	ASN1_OBJECT		*algs[OCSP_NMD]; /* static objects */
	EVP_MD			*mds[OCSP_NMD];	/* owns (fetched) */
	X509			*resp_cert;	/* owns */
	EVP_PKEY		*resp_key;	/* owns; never written out */
	const char		*sign_md;	/* static; NULL for Ed25519 */
	int64_t			 resp_not_after, resp_renew_at;
	int64_t			 validity, resp_validity;
	char			*key_spec;	/* owns */
	int64_t			 audit_seq;

	struct ocsp_entry	**buckets;	/* owns, and the chains */
	size_t			 nbuckets, n;

	uint8_t			*scratch;	/* owns; last uncached answer */
	struct raw_slot		*raw;		/* owns; OCSP_RAW_SLOTS */
	struct certa_ocsp_stats	 stats;
};

struct lookup {
	enum certa_ocsp_kind	 kind;		/* GOOD, REVOKED, UNKNOWN */
	int64_t			 revoked_at;
	int			 reason;
	int			 md;		/* -1: not our issuer */
	char			 serial[41];
};

const char *
certa_ocsp_kind_name(enum certa_ocsp_kind k)
{
	static const char *const names[CERTA_OCSP_KIND__COUNT] = {
		"good", "revoked", "unknown", "mixed", "malformed",
		"internal" };

	return (unsigned)k < CERTA_OCSP_KIND__COUNT ? names[k] : "?";
}

/* FNV-1a over the key. */
static size_t
entry_hash(int md, const char *serial)
{
	uint64_t	 h = 1469598103934665603ULL ^ (uint64_t)md;

	for (; *serial != '\0'; serial++)
		h = (h ^ (uint8_t)*serial) * 1099511628211ULL;
	return (size_t)h;
}

static void
entry_free(struct ocsp_entry *e)
{
	if (e == NULL)
		return;
	free(e->der);
	free(e);
}

static struct ocsp_entry **
entry_slot(struct certa_ocsp *o, int md, const char *serial)
{
	struct ocsp_entry	**pp;

	pp = &o->buckets[entry_hash(md, serial) & (o->nbuckets - 1)];
	for (; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->md == md && strcmp((*pp)->serial, serial) == 0)
			break;
	return pp;
}

static uint64_t
raw_hash(const uint8_t *p, size_t n)
{
	uint64_t	 h = 1469598103934665603ULL;

	while (n-- > 0)
		h = (h ^ *p++) * 1099511628211ULL;
	return h;
}

/* The cache entry a repeat of these request bytes names, or NULL. */
static struct ocsp_entry *
raw_find(struct certa_ocsp *o, const uint8_t *data, size_t len)
{
	uint64_t	 h;
	struct raw_slot	*s;

	if (o->raw == NULL || len > OCSP_RAW_MAX)
		return NULL;
	h = raw_hash(data, len);
	s = &o->raw[h & (OCSP_RAW_SLOTS - 1)];
	if (s->len != len || s->hash != h || memcmp(s->bytes, data, len) != 0)
		return NULL;
	return *entry_slot(o, s->md, s->serial);
}

static void
raw_note(struct certa_ocsp *o, const uint8_t *data, size_t len, int md,
    const char *serial)
{
	uint64_t	 h;
	struct raw_slot	*s;

	if (o->raw == NULL || len > OCSP_RAW_MAX)
		return;
	h = raw_hash(data, len);
	s = &o->raw[h & (OCSP_RAW_SLOTS - 1)];
	s->hash = h;
	s->len = (uint16_t)len;
	s->md = (int16_t)md;
	snprintf(s->serial, sizeof(s->serial), "%s", serial);
	memcpy(s->bytes, data, len);
}

/* Drop the entries of one serial, or all (serial NULL). */
static void
cache_drop(struct certa_ocsp *o, const char *serial)
{
	struct ocsp_entry	**pp, *e;
	size_t			 i;

	if (serial == NULL && o->raw != NULL)	/* the issuer may change */
		memset(o->raw, 0, OCSP_RAW_SLOTS * sizeof(*o->raw));
	for (i = 0; i < o->nbuckets; i++) {
		pp = &o->buckets[i];
		while ((e = *pp) != NULL) {
			if (serial == NULL || strcmp(e->serial, serial) == 0) {
				*pp = e->next;
				entry_free(e);
				o->n--;
			} else {
				pp = &e->next;
			}
		}
	}
}

static certa_rc
cache_grow(struct certa_ocsp *o, struct certa_err *err)
{
	struct ocsp_entry	**nb = NULL, *e, *next;
	size_t			 i, nn = o->nbuckets * 2;
	certa_rc		 rc = CERTA_OK;

	CERTA_CHECK((nb = calloc(nn, sizeof(*nb))) != NULL, CERTA_E_NOMEM,
	    "oom");
	for (i = 0; i < o->nbuckets; i++)
		for (e = o->buckets[i]; e != NULL; e = next) {
			size_t h = entry_hash(e->md, e->serial) & (nn - 1);

			next = e->next;
			e->next = nb[h];
			nb[h] = e;
		}
	free(o->buckets);
	o->buckets = nb;
	o->nbuckets = nn;
out:
	return rc;
}

/*
 * Which of our CertID algorithms (and is it our issuer), and the serial.
 * lk->md = -1 when the request names another issuer or an algorithm we
 * do not match: the answer is "unknown" (RFC 6960 §2.2).
 */
static void
match_id(struct certa_ocsp *o, OCSP_CERTID *cid, struct lookup *lk)
{
	ASN1_OBJECT	*alg = NULL;
	ASN1_INTEGER	*serial = NULL;
	char		*hex;
	int		 i;

	memset(lk, 0, sizeof(*lk));
	lk->kind = CERTA_OCSP_UNKNOWN;
	lk->md = -1;
	lk->reason = OCSP_REVOKED_STATUS_NOSTATUS;
	if (!OCSP_id_get0_info(NULL, &alg, NULL, &serial, cid))
		return;
	for (i = 0; i < OCSP_NMD; i++)
		if (OBJ_cmp(alg, o->algs[i]) == 0)
			break;
	if (i == OCSP_NMD || OCSP_id_issuer_cmp(o->ids[i], cid) != 0)
		return;
	if ((hex = certa_serial_hex(serial)) == NULL)
		return;		/* negative or too long: never ours */
	if (strlen(hex) < sizeof(lk->serial)) {
		memcpy(lk->serial, hex, strlen(hex) + 1);
		lk->md = i;
	}
	free(hex);
}

/* The store's word on lk->serial. */
static certa_rc
lookup_status(struct certa_ocsp *o, struct lookup *lk, struct certa_err *err)
{
	struct certa_cert_rec	 rec;
	certa_rc		 rc = CERTA_OK;

	memset(&rec, 0, sizeof(rec));
	lk->kind = CERTA_OCSP_UNKNOWN;
	if (lk->md < 0)
		goto out;
	rc = certa_store_cert_get_serial(o->ctx->store, lk->serial, &rec, err);
	if (rc == CERTA_E_NOTFOUND || rc == CERTA_E_CONFLICT ||
	    rc == CERTA_E_PARSE) {
		/* CONFLICT: another CA issued the same serial; never one of
		 * our 159-bit serials in practice, and not provably ours. */
		certa_err_clear(err);
		rc = CERTA_OK;
		goto out;
	}
	CERTA_TRY(rc);
	if (rec.ca_id != o->ctx->issuing.id || rec.der == NULL)
		goto out;
	if (rec.status == CERTA_CERT_REVOKED) {
		lk->kind = CERTA_OCSP_REVOKED;
		lk->revoked_at = rec.revoked_at;
		/* As in the CRL (RFC 5280 §5.3.1): unspecified is omitted. */
		lk->reason = rec.reason > 0 ? rec.reason :
		    OCSP_REVOKED_STATUS_NOSTATUS;
	} else {
		lk->kind = CERTA_OCSP_GOOD;
	}
out:
	certa_cert_rec_clear(&rec);
	return rc;
}

static certa_rc
add_status(OCSP_BASICRESP *bs, OCSP_CERTID *cid, const struct lookup *lk,
    ASN1_TIME *thisupd, ASN1_TIME *nextupd, struct certa_err *err)
{
	ASN1_TIME	*rev = NULL;
	int		 st;
	certa_rc	 rc = CERTA_OK;

	switch (lk->kind) {
	case CERTA_OCSP_GOOD:
		st = V_OCSP_CERTSTATUS_GOOD;
		break;
	case CERTA_OCSP_REVOKED:
		st = V_OCSP_CERTSTATUS_REVOKED;
		CERTA_OSSL((rev = ASN1_TIME_adj(NULL, (time_t)lk->revoked_at,
		    0, 0)) != NULL, CERTA_E_CRYPTO, "encode revocation time");
		break;
	default:
		st = V_OCSP_CERTSTATUS_UNKNOWN;
		break;
	}
	CERTA_OSSL(OCSP_basic_add1_status(bs, cid, st, lk->reason, rev,
	    thisupd, nextupd) != NULL, CERTA_E_CRYPTO, "add OCSP status");
out:
	ASN1_TIME_free(rev);
	return rc;
}

/* Sign bs with the responder key; responder id by key hash, the
 * responder certificate included (RFC 6960 §4.2.2.2). */
static certa_rc
sign_encode(struct certa_ocsp *o, OCSP_BASICRESP *bs, uint8_t **der,
    size_t *len, struct certa_err *err)
{
	EVP_MD_CTX	*mctx = NULL;
	OCSP_RESPONSE	*resp = NULL;
	unsigned char	*p = NULL;
	int		 n;
	certa_rc	 rc = CERTA_OK;

	*der = NULL;
	CERTA_OSSL((mctx = EVP_MD_CTX_new()) != NULL, CERTA_E_NOMEM, "oom");
	CERTA_OSSL(EVP_DigestSignInit_ex(mctx, NULL, o->sign_md,
	    o->ctx->libctx, o->ctx->propq, o->resp_key, NULL) == 1,
	    CERTA_E_CRYPTO, "start signing an OCSP response");
	CERTA_OSSL(OCSP_basic_sign_ctx(bs, o->resp_cert, mctx, NULL,
	    OCSP_RESPID_KEY) == 1, CERTA_E_CRYPTO, "sign OCSP response");
	CERTA_OSSL((resp = OCSP_response_create(
	    OCSP_RESPONSE_STATUS_SUCCESSFUL, bs)) != NULL, CERTA_E_NOMEM,
	    "oom");
	CERTA_OSSL((n = i2d_OCSP_RESPONSE(resp, &p)) > 0, CERTA_E_CRYPTO,
	    "encode OCSP response");
	CERTA_CHECK((*der = malloc((size_t)n)) != NULL, CERTA_E_NOMEM, "oom");
	memcpy(*der, p, (size_t)n);
	*len = (size_t)n;
	o->stats.signed_responses++;
out:
	OPENSSL_free(p);
	OCSP_RESPONSE_free(resp);
	EVP_MD_CTX_free(mctx);
	return rc;
}

static void
make_etag(const uint8_t *der, size_t len, char etag[40])
{
	uint8_t		 md[32];
	unsigned int	 mdlen = 0;
	size_t		 i;

	etag[0] = '\0';
	if (!EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL)) {
		ERR_clear_error();
		return;
	}
	etag[0] = '"';
	for (i = 0; i < 16; i++)
		snprintf(etag + 1 + 2 * i, 3, "%02x", md[i]);
	etag[33] = '"';
	etag[34] = '\0';
}

/*
 * Sign a response for the CertIDs of req (or the single cid when req is
 * NULL), with the statuses in lk[], nonce copied from req when present.
 */
static certa_rc
build(struct certa_ocsp *o, OCSP_REQUEST *req, OCSP_CERTID **cids,
    const struct lookup *lk, int n, int64_t now, uint8_t **der, size_t *len,
    int64_t *thisu, int64_t *nextu, struct certa_err *err)
{
	OCSP_BASICRESP	*bs = NULL;
	ASN1_TIME	*t1 = NULL, *t2 = NULL;
	int		 i;
	certa_rc	 rc = CERTA_OK;

	*der = NULL;
	*thisu = now;
	*nextu = now + o->validity;
	CERTA_OSSL((bs = OCSP_BASICRESP_new()) != NULL &&
	    (t1 = ASN1_TIME_adj(NULL, (time_t)*thisu, 0, 0)) != NULL &&
	    (t2 = ASN1_TIME_adj(NULL, (time_t)*nextu, 0, 0)) != NULL,
	    CERTA_E_NOMEM, "oom");
	for (i = 0; i < n; i++)
		CERTA_TRY(add_status(bs, cids[i], &lk[i], t1, t2, err));
	/* RFC 6960 §4.4.1: echo the nonce when the client sent one. */
	if (req != NULL)
		CERTA_OSSL(OCSP_copy_nonce(bs, req) > 0, CERTA_E_CRYPTO,
		    "copy OCSP nonce");
	CERTA_TRY(sign_encode(o, bs, der, len, err));
out:
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	OCSP_BASICRESP_free(bs);
	return rc;
}

/* Sign and store the cache entry for one (algorithm, serial). */
static certa_rc
cache_fill(struct certa_ocsp *o, OCSP_CERTID *cid, const struct lookup *lk,
    int64_t now, struct ocsp_entry **out, struct certa_err *err)
{
	struct ocsp_entry	*e = NULL, **pp;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	if (o->n >= OCSP_CACHE_MAX)
		cache_drop(o, NULL);
	if (o->n >= o->nbuckets)
		CERTA_TRY(cache_grow(o, err));
	CERTA_CHECK((e = calloc(1, sizeof(*e))) != NULL, CERTA_E_NOMEM,
	    "oom");
	e->md = lk->md;
	memcpy(e->serial, lk->serial, sizeof(e->serial));
	e->kind = lk->kind;
	CERTA_TRY(build(o, NULL, &cid, lk, 1, now, &e->der, &e->len,
	    &e->this_update, &e->next_update, err));
	e->produced_at = now;
	e->refresh_at = now + o->validity / 2;
	make_etag(e->der, e->len, e->etag);
	pp = entry_slot(o, e->md, e->serial);
	if (*pp != NULL) {
		e->next = (*pp)->next;
		entry_free(*pp);
		o->n--;
	}
	*pp = e;
	o->n++;
	*out = e;
	e = NULL;
out:
	entry_free(e);
	return rc;
}

static void
answer_const(struct certa_ocsp_answer *ans, enum certa_ocsp_kind k)
{
	memset(ans, 0, sizeof(*ans));
	ans->kind = k;
	ans->der = k == CERTA_OCSP_MALFORMED ? resp_malformed : resp_internal;
	ans->len = k == CERTA_OCSP_MALFORMED ? sizeof(resp_malformed) :
	    sizeof(resp_internal);
}

static void
answer_entry(struct certa_ocsp_answer *ans, const struct ocsp_entry *e,
    bool cached)
{
	memset(ans, 0, sizeof(*ans));
	ans->kind = e->kind;
	ans->der = e->der;
	ans->len = e->len;
	ans->cacheable = true;
	ans->cached = cached;
	ans->produced_at = e->produced_at;
	ans->this_update = e->this_update;
	ans->next_update = e->next_update;
	memcpy(ans->etag, e->etag, sizeof(ans->etag));
}

certa_rc
certa_ocsp_respond(struct certa_ocsp *o, const uint8_t *data, size_t len,
    int64_t now, struct certa_ocsp_answer *ans, struct certa_err *err)
{
	const unsigned char	*p = data;
	OCSP_REQUEST		*req = NULL;
	OCSP_CERTID		*cids[OCSP_MAX_IDS];
	struct lookup		 lk[OCSP_MAX_IDS];
	struct ocsp_entry	*e, **pp;
	uint8_t			*der = NULL;
	size_t			 dlen = 0;
	int64_t			 t1, t2;
	int			 i, n;
	certa_rc		 rc = CERTA_OK;

	answer_const(ans, CERTA_OCSP_MALFORMED);
	if (len == 0 || len > CERTA_MAX_OCSP_REQ)
		goto out;
	if ((e = raw_find(o, data, len)) != NULL && now < e->refresh_at &&
	    now >= e->this_update) {
		o->stats.hits++;
		answer_entry(ans, e, true);
		goto out;
	}
	req = d2i_OCSP_REQUEST(NULL, &p, (long)len);
	if (req == NULL || p != data + len) {
		ERR_clear_error();
		goto out;
	}
	n = OCSP_request_onereq_count(req);
	if (n < 1 || n > OCSP_MAX_IDS)
		goto out;
	for (i = 0; i < n; i++) {
		cids[i] = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
		match_id(o, cids[i], &lk[i]);
	}

	if (n == 1 && lk[0].md >= 0 &&
	    OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1) < 0) {
		/* RFC 5019 §2.1: the cacheable form. */
		pp = entry_slot(o, lk[0].md, lk[0].serial);
		raw_note(o, data, len, lk[0].md, lk[0].serial);
		if (*pp != NULL && now < (*pp)->refresh_at &&
		    now >= (*pp)->this_update) {
			o->stats.hits++;
			answer_entry(ans, *pp, true);
			goto out;
		}
		o->stats.misses++;
		CERTA_TRY(lookup_status(o, &lk[0], err));
		/* Only real certificates are cached: random serials must not
		 * fill memory (each "unknown" is signed per request). */
		if (lk[0].kind != CERTA_OCSP_UNKNOWN) {
			CERTA_TRY(cache_fill(o, cids[0], &lk[0], now, &e,
			    err));
			answer_entry(ans, e, false);
			goto out;
		}
	} else {
		o->stats.misses++;
		for (i = 0; i < n; i++)
			CERTA_TRY(lookup_status(o, &lk[i], err));
	}

	CERTA_TRY(build(o, req, cids, lk, n, now, &der, &dlen, &t1, &t2, err));
	free(o->scratch);
	o->scratch = der;
	der = NULL;
	memset(ans, 0, sizeof(*ans));
	ans->kind = n == 1 ? lk[0].kind : CERTA_OCSP_MIXED;
	ans->der = o->scratch;
	ans->len = dlen;
	ans->produced_at = now;
	ans->this_update = t1;
	ans->next_update = t2;
out:
	if (rc != CERTA_OK)
		answer_const(ans, CERTA_OCSP_INTERNAL);
	free(der);
	OCSP_REQUEST_free(req);
	return rc;
}

/* Issue the delegated responder certificate (RFC 6960 §4.2.2.2). */
static certa_rc
responder_issue(struct certa_ocsp *o, int64_t now, struct certa_err *err)
{
	struct certa_leaf_spec	 sp;
	EVP_PKEY		*key = NULL;
	X509			*x = NULL;
	int64_t			 na = 0;
	certa_rc		 rc = CERTA_OK;

	memset(&sp, 0, sizeof(sp));
	sp.what = "an OCSP responder certificate";
	sp.cn = "certa OCSP Responder";
	sp.key_spec = o->key_spec;
	sp.validity = o->resp_validity;
	sp.key_usage = X509v3_KU_DIGITAL_SIGNATURE;
	sp.eku_nid = NID_OCSP_sign;
	sp.ocsp_nocheck = true;
	sp.audit_action = "ocsp.responder";
	CERTA_TRY(certa_leaf_issue(o->ctx, &sp, now, &key, &x, &na, err));
	X509_free(o->resp_cert);
	EVP_PKEY_free(o->resp_key);
	o->resp_cert = x;
	o->resp_key = key;
	o->sign_md = certa_key_sign_md(o->resp_key);
	o->resp_not_after = na;
	o->resp_renew_at = na - (na - now) / 3;
	o->stats.responder_not_after = na;
	cache_drop(o, NULL);
out:
	return rc;
}

certa_rc
certa_ocsp_new(struct certa_ctx *ctx, const struct certa_ocsp_opts *opts,
    struct certa_ocsp **out, struct certa_err *err)
{
	struct certa_ocsp	*o = NULL;
	char			 hash[65];
	int			 i;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_TRY(certa_ctx_load_signer(ctx, err));
	CERTA_CHECK((o = calloc(1, sizeof(*o))) != NULL, CERTA_E_NOMEM, "oom");
	o->ctx = ctx;
	o->issuer = ctx->issuing_cert;
	o->validity = opts != NULL && opts->validity > 0 ? opts->validity :
	    OCSP_DEFAULT_VALIDITY;
	o->resp_validity = opts != NULL && opts->responder_validity > 0 ?
	    opts->responder_validity : OCSP_DEFAULT_RESP_VALID;
	CERTA_CHECK((o->key_spec = strdup(opts != NULL &&
	    opts->key_spec != NULL ? opts->key_spec : "ec:P-256")) != NULL,
	    CERTA_E_NOMEM, "oom");
	CERTA_CHECK(o->validity >= 60 && o->resp_validity >= 600,
	    CERTA_E_INVAL, "OCSP validity below 60 s or responder validity "
	    "below 600 s");
	for (i = 0; i < OCSP_NMD; i++) {
		CERTA_OSSL((o->mds[i] = EVP_MD_fetch(ctx->libctx, md_names[i],
		    ctx->propq)) != NULL, CERTA_E_CRYPTO, "fetch %s",
		    md_names[i]);
		CERTA_OSSL((o->ids[i] = OCSP_cert_to_id(o->mds[i], NULL,
		    o->issuer)) != NULL, CERTA_E_CRYPTO, "issuer CertID");
		CERTA_OSSL(OCSP_id_get0_info(NULL, &o->algs[i], NULL, NULL,
		    o->ids[i]), CERTA_E_CRYPTO, "issuer CertID");
	}
	o->nbuckets = 1024;
	CERTA_CHECK((o->buckets = calloc(o->nbuckets, sizeof(*o->buckets))) !=
	    NULL && (o->raw = calloc(OCSP_RAW_SLOTS, sizeof(*o->raw))) != NULL,
	    CERTA_E_NOMEM, "oom");
	CERTA_TRY(responder_issue(o, certa_now(), err));
	CERTA_TRY(certa_store_audit_last(ctx->store, &o->audit_seq, hash,
	    err));
	o->stats.audit_seq = (uint64_t)o->audit_seq;
	*out = o;
	o = NULL;
out:
	certa_ocsp_free(o);
	return rc;
}

void
certa_ocsp_free(struct certa_ocsp *o)
{
	int	i;

	if (o == NULL)
		return;
	if (o->buckets != NULL)
		cache_drop(o, NULL);
	free(o->buckets);
	free(o->raw);
	for (i = 0; i < OCSP_NMD; i++) {
		OCSP_CERTID_free(o->ids[i]);
		EVP_MD_free(o->mds[i]);
	}
	X509_free(o->resp_cert);
	EVP_PKEY_free(o->resp_key);
	free(o->key_spec);
	free(o->scratch);
	free(o);
}

struct poll_walk {
	int64_t		*revoked;	/* owns; cert ids */
	size_t		 nrevoked, cap;
	bool		 all;
	int64_t		 last;
};

static certa_rc
poll_rec(const struct certa_audit_rec *r, void *arg)
{
	struct poll_walk	*w = arg;
	char			*end;
	long long		 id;

	w->last = r->seq;
	if (strcmp(r->action, "cert.revoke") == 0 &&
	    strncmp(r->object, "cert:", 5) == 0) {
		id = strtoll(r->object + 5, &end, 10);
		if (*end != '\0' || id <= 0) {
			w->all = true;
			return CERTA_OK;
		}
		if (w->nrevoked == w->cap) {
			size_t	 nc = w->cap ? w->cap * 2 : 16;
			int64_t	*p = realloc(w->revoked, nc * sizeof(*p));

			if (p == NULL)
				return CERTA_E_NOMEM;
			w->revoked = p;
			w->cap = nc;
		}
		w->revoked[w->nrevoked++] = id;
	} else if (strncmp(r->action, "ca.", 3) == 0) {
		w->all = true;
	}
	return CERTA_OK;
}

/* Re-sign the entries of a serial that was revoked (all algorithms the
 * cache holds it under), so the next request is a hit. */
static certa_rc
replace_serial(struct certa_ocsp *o, const char *serial, int64_t now,
    struct certa_err *err)
{
	OCSP_CERTID		*cid = NULL;
	ASN1_INTEGER		*ai = NULL;
	BIGNUM			*bn = NULL;
	struct ocsp_entry	**pp, *e;
	struct lookup		 lk;
	int			 md;
	certa_rc		 rc = CERTA_OK;

	for (md = 0; md < OCSP_NMD; md++) {
		pp = entry_slot(o, md, serial);
		if (*pp == NULL)
			continue;
		memset(&lk, 0, sizeof(lk));
		lk.md = md;
		snprintf(lk.serial, sizeof(lk.serial), "%s", serial);
		CERTA_TRY(lookup_status(o, &lk, err));
		CERTA_OSSL(BN_hex2bn(&bn, serial) > 0 &&
		    (ai = BN_to_ASN1_INTEGER(bn, NULL)) != NULL &&
		    (cid = OCSP_cert_id_new(o->mds[md],
		    X509_get_subject_name(o->issuer),
		    X509_get0_pubkey_bitstr(o->issuer), ai)) != NULL,
		    CERTA_E_CRYPTO, "CertID for serial %s", serial);
		CERTA_TRY(cache_fill(o, cid, &lk, now, &e, err));
		OCSP_CERTID_free(cid);
		cid = NULL;
		ASN1_INTEGER_free(ai);
		ai = NULL;
	}
out:
	OCSP_CERTID_free(cid);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return rc;
}

certa_rc
certa_ocsp_poll(struct certa_ocsp *o, int64_t now, size_t *revocations,
    struct certa_err *err)
{
	struct poll_walk	 w;
	struct certa_cert_rec	 rec;
	char			 hash[65];
	int64_t			 seq = 0;
	size_t			 i;
	certa_rc		 rc = CERTA_OK;

	memset(&w, 0, sizeof(w));
	memset(&rec, 0, sizeof(rec));
	if (revocations != NULL)
		*revocations = 0;
	if (now >= o->resp_renew_at)
		CERTA_TRY(responder_issue(o, now, err));
	CERTA_TRY(certa_store_audit_last(o->ctx->store, &seq, hash, err));
	if (seq == o->audit_seq)
		goto out;
	if (seq < o->audit_seq) {
		/* The log went backwards (restored store): trust nothing. */
		cache_drop(o, NULL);
		o->audit_seq = seq;
		goto out;
	}
	w.last = o->audit_seq;
	/* Collect first: no store calls from inside the iterator. */
	CERTA_TRY(certa_store_audit_each(o->ctx->store, o->audit_seq, poll_rec,
	    &w, err));
	o->audit_seq = w.last;
	o->stats.audit_seq = (uint64_t)w.last;
	if (w.all)
		cache_drop(o, NULL);
	for (i = 0; i < w.nrevoked; i++) {
		certa_cert_rec_clear(&rec);
		rc = certa_store_cert_get(o->ctx->store, w.revoked[i], &rec,
		    err);
		if (rc == CERTA_E_NOTFOUND) {
			certa_err_clear(err);
			rc = CERTA_OK;
			continue;
		}
		CERTA_TRY(rc);
		if (rec.ca_id == o->ctx->issuing.id)
			CERTA_TRY(replace_serial(o, rec.serial, now, err));
	}
	if (revocations != NULL)
		*revocations = w.nrevoked;
out:
	certa_cert_rec_clear(&rec);
	free(w.revoked);
	o->stats.cached = o->n;
	return rc;
}

void
certa_ocsp_stats_get(const struct certa_ocsp *o, struct certa_ocsp_stats *out)
{
	*out = o->stats;
	out->cached = o->n;
}
