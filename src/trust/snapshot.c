/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Trust snapshots: the immutable, reference-counted, indexed view of a
 * trust store that validators read (ARCHITECTURE invariant 4).  The builder
 * collects certificates, CRLs and certa's revocations; certa_snapshot_build()
 * sorts them into indexes; after that nothing in the snapshot changes, so
 * checks need no lock.  No I/O here, except the lazily loaded OS store.
 *
 * HOW IT WORKS
 * Every lookup a check makes is a binary search over a sorted array:
 *  - by_fp: SHA-256 fingerprint -> certificate (trusted_list, rejected);
 *  - by_subject: (pool, X509_NAME_hash_ex(subject)) -> certificates, the
 *    candidate issuers of a certificate (the hash only narrows the search;
 *    X509_NAME_cmp decides);
 *  - crl_by_issuer: X509_NAME_hash_ex(issuer) -> CRLs, plus the short list
 *    of indirect CRLs (RFC 5280 §5.2.5), which may cover any issuer;
 *  - revoked: SHA-256(issuer name DER || serial hex) -> certa's revocation.
 * A 100,000-entry store thus costs ~17 comparisons per lookup, and building
 * a snapshot is O(n log n).  Building decodes only each certificate's
 * subject name (a DER walk plus d2i_X509_NAME, a few microseconds); the
 * full X509 (~80 us in OpenSSL 3.0, mostly its public-key decoder) is
 * decoded the first time a check needs it and published with a
 * compare-and-swap (certa_snap_cert), so the snapshot stays lock-free.
 * (An X509_STORE is not used for the anchors: OpenSSL 3.0 re-sorts its
 * object list on every insertion, which makes adding n certificates
 * O(n^2 log n).  validate.c puts only the few anchors one check gathered
 * into a store of its own.)  The complete, direct CRLs ("simple") are
 * sorted at build and their signatures verified once per issuer key
 * (validate.c, crl_fast).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <certa/limits.h>

#include "core/core.h"
#include "trust/trust_impl.h"

static const char *const mode_names[CERTA_MODE__COUNT] = {
	"accept_any", "system", "trusted_list", "trusted_ca", "certa_ca"
};

static const char *const list_names[CERTA_LIST__COUNT] = {
	"trusted", "issuer", "rejected"
};

/* Index of s in names[0..n), or -1. */
static int
name_index(const char *const *names, size_t n, const char *s)
{
	size_t	i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

certa_rc
certa_trust_mode_parse(const char *s, enum certa_trust_mode *out,
    struct certa_err *err)
{
	int		i = name_index(mode_names, CERTA_MODE__COUNT, s);
	certa_rc	rc = CERTA_OK;

	*out = CERTA_MODE_CERTA_CA;
	CERTA_CHECK(i >= 0, CERTA_E_INVAL, "unknown validation mode '%s' "
	    "(accept_any, system, trusted_list, trusted_ca, certa_ca)",
	    s ? s : "");
	*out = (enum certa_trust_mode)i;
out:
	return rc;
}

const char *
certa_trust_mode_name(enum certa_trust_mode m)
{
	return (unsigned)m < CERTA_MODE__COUNT ? mode_names[m] : "unknown";
}

certa_rc
certa_trust_list_parse(const char *s, enum certa_trust_list *out,
    struct certa_err *err)
{
	int		i = name_index(list_names, CERTA_LIST__COUNT, s);
	certa_rc	rc = CERTA_OK;

	*out = CERTA_LIST_TRUSTED;
	CERTA_CHECK(i >= 0, CERTA_E_INVAL, "unknown trust list '%s' (trusted, "
	    "issuer, rejected)", s ? s : "");
	*out = (enum certa_trust_list)i;
out:
	return rc;
}

const char *
certa_trust_list_name(enum certa_trust_list l)
{
	return (unsigned)l < CERTA_LIST__COUNT ? list_names[l] : "unknown";
}

/* --- builder --------------------------------------------------------- */

struct certa_snapshot_builder {
	EVP_MD			*sha256;	/* owns; fetched once */
	struct trust_cert	*certs;		/* owns; ncerts of cap */
	size_t			 ncerts, cap;
	struct trust_crl	*crls;		/* owns */
	size_t			 ncrls, crlcap;
	struct trust_revoked	*revoked;	/* owns */
	size_t			 nrevoked, revcap;
};

/* Grow *arr (elements of size sz) so that one more fits. */
static certa_rc
grow(void **arr, size_t *cap, size_t n, size_t sz, struct certa_err *err)
{
	void		*p;
	size_t		 ncap;
	certa_rc	 rc = CERTA_OK;

	if (n < *cap)
		goto out;
	ncap = *cap ? *cap * 2 : 16;
	CERTA_CHECK(ncap < UINT32_MAX / 2 && ncap <= SIZE_MAX / sz,
	    CERTA_E_INVAL, "snapshot too large");
	p = realloc(*arr, ncap * sz);
	CERTA_CHECK(p != NULL, CERTA_E_NOMEM, "grow snapshot to %zu entries",
	    ncap);
	*arr = p;
	*cap = ncap;
out:
	return rc;
}

certa_rc
certa_snapshot_builder_new(struct certa_snapshot_builder **out,
    struct certa_err *err)
{
	struct certa_snapshot_builder	*b;
	certa_rc			 rc = CERTA_OK;

	*out = NULL;
	b = calloc(1, sizeof(*b));
	CERTA_CHECK(b != NULL, CERTA_E_NOMEM, "allocate snapshot builder");
	b->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (b->sha256 == NULL) {
		free(b);
		CERTA_OSSL(false, CERTA_E_CRYPTO, "fetch SHA-256");
	}
	*out = b;		/* ownership moves to caller */
out:
	return rc;
}

static void
certs_free(struct trust_cert *c, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		X509_free(atomic_load(&c[i].x509));
		X509_NAME_free(c[i].subject);
		free(c[i].der);
		free(c[i].alias);
	}
	free(c);
}

static void
crls_free(struct trust_crl *c, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		X509_CRL_free(c[i].crl);
		free(atomic_load(&c[i].sig_key));
	}
	free(c);
}

void
certa_snapshot_builder_free(struct certa_snapshot_builder *b)
{
	if (b == NULL)
		return;
	certs_free(b->certs, b->ncerts);
	crls_free(b->crls, b->ncrls);
	free(b->revoked);
	EVP_MD_free(b->sha256);
	free(b);
}

unsigned long
certa_snap_name_hash(const X509_NAME *name)
{
	unsigned long	h;
	int		ok = 0;

	h = X509_NAME_hash_ex(name, NULL, NULL, &ok);
	if (!ok) {
		ERR_clear_error();
		return 0;
	}
	return h;
}

/*
 * One DER TLV at *p (before end): its tag (one octet), where its content
 * starts and its length; *p moves past it.  Definite lengths only (DER).
 */
static bool
der_tlv(const uint8_t **p, const uint8_t *end, int *tag,
    const uint8_t **body, size_t *len)
{
	const uint8_t	*q = *p;
	size_t		 l = 0, k;

	if (end - q < 2)
		return false;
	*tag = *q++;
	if (*q < 0x80) {
		l = *q++;
	} else {
		k = *q++ & 0x7f;
		if (k == 0 || k > 4 || (size_t)(end - q) < k)
			return false;
		while (k-- > 0)
			l = (l << 8) | *q++;
	}
	if ((size_t)(end - q) < l)
		return false;
	*body = q;
	*len = l;
	*p = q + l;
	return true;
}

/*
 * The subject Name of a certificate's DER, decoded alone: Certificate ::=
 * SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serial,
 * signature, issuer, validity, subject, ... } ... } (RFC 5280 §4.1).
 */
static X509_NAME *
der_subject(const uint8_t *der, size_t len)
{
	const uint8_t	*p = der, *end = der + len, *body, *start;
	size_t		 l;
	int		 tag, i;

	if (!der_tlv(&p, end, &tag, &body, &l) || tag != 0x30 ||
	    p != end)
		return NULL;
	p = body;
	end = body + l;
	if (!der_tlv(&p, end, &tag, &body, &l) || tag != 0x30)
		return NULL;
	p = body;
	end = body + l;
	if (p < end && *p == 0xa0 && !der_tlv(&p, end, &tag, &body, &l))
		return NULL;
	/* serial, signature, issuer, validity */
	for (i = 0; i < 4; i++)
		if (!der_tlv(&p, end, &tag, &body, &l))
			return NULL;
	start = p;
	if (!der_tlv(&p, end, &tag, &body, &l) || tag != 0x30)
		return NULL;
	return d2i_X509_NAME(NULL, &start, (long)(p - start));
}

X509 *
certa_snap_cert(const struct trust_cert *cc)
{
	struct trust_cert	*c = (struct trust_cert *)cc;
	const unsigned char	*p;
	X509			*x, *expected = NULL;

	if ((x = atomic_load_explicit(&c->x509, memory_order_acquire)) != NULL)
		return x;
	p = c->der;
	x = d2i_X509(NULL, &p, (long)c->der_len);
	if (x == NULL || p != c->der + c->der_len) {
		X509_free(x);
		ERR_clear_error();
		return NULL;
	}
	/* Cache the extensions before anyone else can see x. */
	(void)X509_check_purpose(x, -1, 0);
	ERR_clear_error();
	if (!atomic_compare_exchange_strong_explicit(&c->x509, &expected, x,
	    memory_order_acq_rel, memory_order_acquire)) {
		X509_free(x);		/* another thread won: use its copy */
		x = expected;
	}
	return x;
}

static certa_rc
add_cert(struct certa_snapshot_builder *b, enum trust_pool pool,
    const uint8_t *der, size_t len, const char *alias, struct certa_err *err)
{
	X509_NAME		*subj = NULL;
	uint8_t			*copy = NULL;
	char			*al = NULL;
	struct trust_cert	*c;
	certa_rc		 rc = CERTA_OK;

	CERTA_CHECK(b != NULL && der != NULL, CERTA_E_INVAL,
	    "add certificate to snapshot: no builder or no data");
	CERTA_CHECK(len > 0 && len <= CERTA_MAX_CERT_DER, CERTA_E_PARSE,
	    "trust certificate length %zu out of range", len);
	subj = der_subject(der, len);
	CERTA_OSSL(subj != NULL, CERTA_E_PARSE, "trust certificate is not a "
	    "DER certificate");
	CERTA_CHECK((copy = malloc(len)) != NULL, CERTA_E_NOMEM,
	    "copy trust certificate");
	memcpy(copy, der, len);
	if (alias != NULL)
		CERTA_CHECK((al = strdup(alias)) != NULL, CERTA_E_NOMEM,
		    "copy alias");
	CERTA_TRY(grow((void **)&b->certs, &b->cap, b->ncerts,
	    sizeof(*b->certs), err));
	c = &b->certs[b->ncerts];
	memset(c, 0, sizeof(*c));
	atomic_init(&c->x509, NULL);
	atomic_init(&c->path_anchor, 0);
	atomic_init(&c->path_purposes, 0);
	CERTA_OSSL(EVP_Digest(der, len, c->fp, NULL, b->sha256, NULL),
	    CERTA_E_CRYPTO, "fingerprint trust certificate");
	c->pool = pool;
	c->subject_hash = certa_snap_name_hash(subj);
	c->subject = subj;	/* ownership moves to the builder */
	subj = NULL;
	c->der = copy;
	c->der_len = len;
	copy = NULL;
	c->alias = al;
	al = NULL;
	b->ncerts++;
out:
	X509_NAME_free(subj);
	free(copy);
	free(al);
	return rc;
}

certa_rc
certa_snapshot_add_cert(struct certa_snapshot_builder *b,
    enum certa_trust_list list, const uint8_t *der, size_t len,
    const char *alias, struct certa_err *err)
{
	certa_rc	rc = CERTA_OK;

	CERTA_CHECK((unsigned)list < CERTA_LIST__COUNT, CERTA_E_INVAL,
	    "unknown trust list %d", (int)list);
	/* enum certa_trust_list and the first pools coincide. */
	CERTA_TRY(add_cert(b, (enum trust_pool)list, der, len, alias, err));
out:
	return rc;
}

certa_rc
certa_snapshot_add_certa_ca(struct certa_snapshot_builder *b,
    const uint8_t *der, size_t len, bool anchor, struct certa_err *err)
{
	return add_cert(b, anchor ? TRUST_POOL_CERTA_ANCHOR :
	    TRUST_POOL_CERTA_CA, der, len, NULL, err);
}

/* Only extensions validate.c's own CRL check understands (see simple). */
static bool
crl_is_simple(X509_CRL *crl)
{
	STACK_OF(X509_REVOKED)	*rev = X509_CRL_get_REVOKED(crl);
	X509_REVOKED		*dummy = NULL;
	ASN1_INTEGER		*zero = ASN1_INTEGER_new();
	int			 i, j, nid;
	bool			 number = false;

	/* Sort the entries now, while no other thread can see the CRL. */
	if (zero != NULL)
		(void)X509_CRL_get0_by_serial(crl, &dummy, zero);
	ASN1_INTEGER_free(zero);
	ERR_clear_error();
	if (X509_CRL_get_version(crl) != 1)
		return false;
	for (i = 0; i < X509_CRL_get_ext_count(crl); i++) {
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(
		    X509_CRL_get_ext(crl, i)));
		if (nid == NID_crl_number)
			number = true;
		else if (nid != NID_authority_key_identifier &&
		    nid != NID_issuer_alt_name)
			return false;
	}
	if (!number)
		return false;
	for (i = 0; i < sk_X509_REVOKED_num(rev); i++) {
		const X509_REVOKED *r = sk_X509_REVOKED_value(rev, i);

		for (j = 0; j < X509_REVOKED_get_ext_count(r); j++) {
			nid = OBJ_obj2nid(X509_EXTENSION_get_object(
			    X509_REVOKED_get_ext(r, j)));
			if (nid != NID_crl_reason &&
			    nid != NID_invalidity_date)
				return false;
		}
	}
	return true;
}

certa_rc
certa_snapshot_add_crl(struct certa_snapshot_builder *b, const uint8_t *der,
    size_t len, struct certa_err *err)
{
	const unsigned char	*p = der;
	X509_CRL		*crl = NULL;
	ISSUING_DIST_POINT	*idp = NULL;
	struct trust_crl	*c;
	int			 crit = 0;
	certa_rc		 rc = CERTA_OK;

	CERTA_CHECK(b != NULL && der != NULL, CERTA_E_INVAL,
	    "add CRL to snapshot: no builder or no data");
	CERTA_CHECK(len > 0 && (uint64_t)len <= (uint64_t)CERTA_MAX_CRL,
	    CERTA_E_PARSE, "CRL length %zu out of range", len);
	crl = d2i_X509_CRL(NULL, &p, (long)len);
	CERTA_OSSL(crl != NULL, CERTA_E_PARSE, "CRL is not DER");
	CERTA_CHECK(p == der + len, CERTA_E_PARSE, "trailing bytes after CRL");
	idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit,
	    NULL);
	ERR_clear_error();
	CERTA_TRY(grow((void **)&b->crls, &b->crlcap, b->ncrls,
	    sizeof(*b->crls), err));
	c = &b->crls[b->ncrls++];
	memset(c, 0, sizeof(*c));
	atomic_init(&c->sig_key, NULL);
	c->issuer_hash = certa_snap_name_hash(X509_CRL_get_issuer(crl));
	c->indirect = idp != NULL && idp->indirectCRL;
	c->simple = idp == NULL && crl_is_simple(crl);
	c->crl = crl;		/* ownership moves to the builder */
	crl = NULL;
out:
	ISSUING_DIST_POINT_free(idp);
	X509_CRL_free(crl);
	return rc;
}

/* Lower-case hex without "0x" and leading zeros ("0" for zero). */
static certa_rc
serial_norm(const char *s, char out[42], struct certa_err *err)
{
	size_t		i, n = 0;
	certa_rc	rc = CERTA_OK;

	CERTA_CHECK(s != NULL && *s != '\0', CERTA_E_INVAL, "empty serial");
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	while (s[0] == '0' && s[1] != '\0')
		s++;
	for (i = 0; s[i] != '\0'; i++) {
		char	c = s[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		CERTA_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'),
		    CERTA_E_INVAL, "serial '%s' is not hex", s);
		CERTA_CHECK(n < 41, CERTA_E_INVAL, "serial '%s' too long", s);
		out[n++] = c;
	}
	CERTA_CHECK(n > 0, CERTA_E_INVAL, "empty serial");
	out[n] = '\0';
out:
	return rc;
}

/* SHA-256(DER of name || serial hex): the key of the revoked index. */
static certa_rc
revoked_key(const X509_NAME *name, const char *hex, uint8_t key[32],
    struct certa_err *err)
{
	EVP_MD_CTX		*md = NULL;
	const unsigned char	*nd = NULL;
	size_t			 nlen = 0;
	certa_rc		 rc = CERTA_OK;

	CERTA_OSSL(X509_NAME_get0_der((X509_NAME *)name, &nd, &nlen),
	    CERTA_E_CRYPTO, "encode issuer name");
	CERTA_OSSL((md = EVP_MD_CTX_new()) != NULL, CERTA_E_NOMEM,
	    "allocate digest");
	CERTA_OSSL(EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(md, nd, nlen) &&
	    EVP_DigestUpdate(md, hex, strlen(hex)) &&
	    EVP_DigestFinal_ex(md, key, NULL), CERTA_E_CRYPTO,
	    "hash revocation key");
out:
	EVP_MD_CTX_free(md);
	return rc;
}

certa_rc
certa_snapshot_add_revoked(struct certa_snapshot_builder *b,
    const uint8_t *issuer_der, size_t issuer_len, const char *serial_hex,
    int64_t revoked_at, int reason, struct certa_err *err)
{
	const unsigned char	*p = issuer_der;
	X509			*x = NULL;
	X509_NAME		*nm = NULL;
	const X509_NAME		*name;
	struct trust_revoked	*r;
	char			 hex[42];
	certa_rc		 rc = CERTA_OK;

	CERTA_CHECK(b != NULL && issuer_der != NULL && issuer_len > 0 &&
	    issuer_len <= CERTA_MAX_CERT_DER, CERTA_E_INVAL,
	    "add revocation: no builder or no issuer");
	CERTA_TRY(serial_norm(serial_hex, hex, err));
	/* The issuer: its certificate (as the contract says) or its name. */
	if ((x = d2i_X509(NULL, &p, (long)issuer_len)) != NULL &&
	    p == issuer_der + issuer_len) {
		name = X509_get_subject_name(x);
	} else {
		p = issuer_der;
		nm = d2i_X509_NAME(NULL, &p, (long)issuer_len);
		CERTA_OSSL(nm != NULL && p == issuer_der + issuer_len,
		    CERTA_E_PARSE, "revocation issuer is neither a "
		    "certificate nor a name");
		name = nm;
	}
	ERR_clear_error();
	CERTA_TRY(grow((void **)&b->revoked, &b->revcap, b->nrevoked,
	    sizeof(*b->revoked), err));
	r = &b->revoked[b->nrevoked];
	CERTA_TRY(revoked_key(name, hex, r->key, err));
	r->revoked_at = revoked_at;
	r->reason = reason;
	b->nrevoked++;
out:
	X509_free(x);
	X509_NAME_free(nm);
	return rc;
}

/* --- freezing -------------------------------------------------------- */

static int
cmp_name_idx(const void *a, const void *b)
{
	const struct trust_name_idx	*x = a, *y = b;

	if (x->pool != y->pool)
		return x->pool < y->pool ? -1 : 1;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int
cmp_fp_idx(const void *a, const void *b)
{
	const struct trust_fp_idx	*x = a, *y = b;
	int				 c = memcmp(x->fp, y->fp, 32);

	if (c != 0)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int
cmp_revoked(const void *a, const void *b)
{
	return memcmp(((const struct trust_revoked *)a)->key,
	    ((const struct trust_revoked *)b)->key, 32);
}

static void
snapshot_free(struct certa_snapshot *s)
{
	if (s == NULL)
		return;
	certs_free(s->certs, s->ncerts);
	free(s->by_fp);
	free(s->by_subject);
	crls_free(s->crls, s->ncrls);
	free(s->crl_by_issuer);
	free(s->indirect);
	free(s->revoked);
	X509_STORE_free(s->sys_store);
	pthread_mutex_destroy(&s->sys_lock);
	free(s);
}

certa_rc
certa_snapshot_build(struct certa_snapshot_builder *b, uint64_t generation,
    struct certa_snapshot **out, struct certa_err *err)
{
	struct certa_snapshot	*s = NULL;
	size_t			 i, n;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK(b != NULL, CERTA_E_INVAL, "no snapshot builder");
	s = calloc(1, sizeof(*s));
	CERTA_CHECK(s != NULL, CERTA_E_NOMEM, "allocate snapshot");
	CERTA_CHECK(pthread_mutex_init(&s->sys_lock, NULL) == 0,
	    CERTA_E_INTERNAL, "initialise snapshot lock");
	atomic_init(&s->refs, 1);
	s->generation = generation;

	/* Take the builder's arrays; the builder is freed below. */
	s->certs = b->certs;
	s->ncerts = b->ncerts;
	b->certs = NULL;
	b->ncerts = 0;
	s->crls = b->crls;
	s->ncrls = b->ncrls;
	b->crls = NULL;
	b->ncrls = 0;
	s->revoked = b->revoked;
	s->nrevoked = b->nrevoked;
	b->revoked = NULL;
	b->nrevoked = 0;

	n = s->ncerts;
	if (n > 0) {
		s->by_fp = calloc(n, sizeof(*s->by_fp));
		s->by_subject = calloc(n, sizeof(*s->by_subject));
		CERTA_CHECK(s->by_fp != NULL && s->by_subject != NULL,
		    CERTA_E_NOMEM, "allocate snapshot indexes");
	}
	for (i = 0; i < n; i++) {
		s->npool[s->certs[i].pool]++;
		memcpy(s->by_fp[i].fp, s->certs[i].fp, 32);
		s->by_fp[i].pos = (uint32_t)i;
		s->by_subject[i].hash = s->certs[i].subject_hash;
		s->by_subject[i].pool = (uint32_t)s->certs[i].pool;
		s->by_subject[i].pos = (uint32_t)i;
	}
	if (n > 1) {
		qsort(s->by_fp, n, sizeof(*s->by_fp), cmp_fp_idx);
		qsort(s->by_subject, n, sizeof(*s->by_subject), cmp_name_idx);
	}

	if (s->ncrls > 0) {
		s->crl_by_issuer = calloc(s->ncrls, sizeof(*s->crl_by_issuer));
		s->indirect = calloc(s->ncrls, sizeof(*s->indirect));
		CERTA_CHECK(s->crl_by_issuer != NULL && s->indirect != NULL,
		    CERTA_E_NOMEM, "allocate CRL index");
	}
	for (i = 0; i < s->ncrls; i++) {
		s->crl_by_issuer[i].hash = s->crls[i].issuer_hash;
		s->crl_by_issuer[i].pos = (uint32_t)i;
		if (s->crls[i].indirect)
			s->indirect[s->nindirect++] = (uint32_t)i;
	}
	if (s->ncrls > 1)
		qsort(s->crl_by_issuer, s->ncrls, sizeof(*s->crl_by_issuer),
		    cmp_name_idx);
	if (s->nrevoked > 1)
		qsort(s->revoked, s->nrevoked, sizeof(*s->revoked),
		    cmp_revoked);

	*out = s;		/* ownership moves to caller */
	s = NULL;
out:
	snapshot_free(s);
	certa_snapshot_builder_free(b);
	return rc;
}

struct certa_snapshot *
certa_snapshot_ref(struct certa_snapshot *s)
{
	if (s != NULL)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void
certa_snapshot_unref(struct certa_snapshot *s)
{
	if (s == NULL)
		return;
	/* Release: our reads happen before the free; acquire: see theirs. */
	if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	snapshot_free(s);
}

uint64_t
certa_snapshot_generation(const struct certa_snapshot *s)
{
	return s != NULL ? s->generation : 0;
}

size_t
certa_snapshot_count(const struct certa_snapshot *s,
    enum certa_trust_list list)
{
	if (s == NULL || (unsigned)list >= CERTA_LIST__COUNT)
		return 0;
	return s->npool[list];
}

/* --- lookups --------------------------------------------------------- */

/* First index entry >= (pool, hash). */
static size_t
lower_bound(const struct trust_name_idx *idx, size_t n, uint32_t pool,
    unsigned long hash)
{
	size_t	lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (idx[mid].pool < pool ||
		    (idx[mid].pool == pool && idx[mid].hash < hash))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t
certa_snap_by_subject(const struct certa_snapshot *s, enum trust_pool pool,
    const X509_NAME *name, const struct trust_cert **out, size_t max)
{
	unsigned long	 h;
	size_t		 i, n = 0;

	if (s == NULL || s->ncerts == 0 || name == NULL)
		return 0;
	h = certa_snap_name_hash(name);
	for (i = lower_bound(s->by_subject, s->ncerts, (uint32_t)pool, h);
	    i < s->ncerts && s->by_subject[i].pool == (uint32_t)pool &&
	    s->by_subject[i].hash == h; i++) {
		const struct trust_cert *c = &s->certs[s->by_subject[i].pos];

		if (X509_NAME_cmp(c->subject, name) != 0)
			continue;
		if (n < max)
			out[n] = c;
		n++;
	}
	return n;
}

const struct trust_cert *
certa_snap_by_fp(const struct certa_snapshot *s, enum trust_pool pool,
    const uint8_t fp[32])
{
	size_t	lo = 0, hi, mid;

	if (s == NULL || s->ncerts == 0)
		return NULL;
	hi = s->ncerts;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (memcmp(s->by_fp[mid].fp, fp, 32) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < s->ncerts && memcmp(s->by_fp[lo].fp, fp, 32) == 0; lo++)
		if (s->certs[s->by_fp[lo].pos].pool == pool)
			return &s->certs[s->by_fp[lo].pos];
	return NULL;
}

size_t
certa_snap_crl_entries(const struct certa_snapshot *s,
    const X509_NAME *issuer, const struct trust_crl **out, size_t max)
{
	unsigned long	 h;
	size_t		 i, n = 0;

	if (s == NULL || s->ncrls == 0 || issuer == NULL)
		return 0;
	h = certa_snap_name_hash(issuer);
	for (i = lower_bound(s->crl_by_issuer, s->ncrls, 0, h);
	    i < s->ncrls && s->crl_by_issuer[i].hash == h; i++) {
		const struct trust_crl *c = &s->crls[s->crl_by_issuer[i].pos];

		if (X509_NAME_cmp(X509_CRL_get_issuer(c->crl), issuer) != 0)
			continue;
		if (n < max)
			out[n] = c;
		n++;
	}
	return n;
}

size_t
certa_snap_crls_by_issuer(const struct certa_snapshot *s,
    const X509_NAME *issuer, X509_CRL **out, size_t max)
{
	unsigned long	 h;
	size_t		 i, n = 0;

	if (s == NULL || s->ncrls == 0 || issuer == NULL)
		return 0;
	h = certa_snap_name_hash(issuer);
	for (i = lower_bound(s->crl_by_issuer, s->ncrls, 0, h);
	    i < s->ncrls && s->crl_by_issuer[i].hash == h; i++) {
		X509_CRL *crl = s->crls[s->crl_by_issuer[i].pos].crl;

		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), issuer) != 0)
			continue;
		if (n < max)
			out[n] = crl;
		n++;
	}
	return n;
}

const struct trust_revoked *
certa_snap_revoked(const struct certa_snapshot *s, const X509_NAME *issuer,
    const ASN1_INTEGER *serial)
{
	struct trust_revoked	 key;
	char			*hex;
	certa_rc		 rc;

	if (s == NULL || s->nrevoked == 0)
		return NULL;
	if ((hex = certa_serial_hex(serial)) == NULL)
		return NULL;
	memset(&key, 0, sizeof(key));
	rc = revoked_key(issuer, hex, key.key, NULL);
	free(hex);
	if (rc != CERTA_OK) {
		ERR_clear_error();
		return NULL;
	}
	return bsearch(&key, s->revoked, s->nrevoked, sizeof(*s->revoked),
	    cmp_revoked);
}

certa_rc
certa_snap_system_store(const struct certa_snapshot *cs, X509_STORE **out,
    struct certa_err *err)
{
	/*
	 * The only mutable part of a snapshot: the OS store, loaded once on
	 * first use under sys_lock.  The hashed-directory lookup reads a
	 * certificate file only when a chain asks for that subject.
	 */
	struct certa_snapshot	*s = (struct certa_snapshot *)cs;
	X509_STORE		*st = NULL;
	bool			 locked = false;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK(s != NULL, CERTA_E_INVAL, "no snapshot");
	CERTA_CHECK(pthread_mutex_lock(&s->sys_lock) == 0, CERTA_E_INTERNAL,
	    "lock system store");
	locked = true;
	if (!s->sys_tried) {
		s->sys_tried = true;
		st = X509_STORE_new();
		CERTA_OSSL(st != NULL, CERTA_E_NOMEM, "allocate system store");
		CERTA_OSSL(X509_STORE_load_path(st, CERTA_SYSTEM_CERTS_DIR),
		    CERTA_E_NOTFOUND, "load system trust store %s",
		    CERTA_SYSTEM_CERTS_DIR);
		s->sys_store = st;
		st = NULL;
	}
	CERTA_CHECK(s->sys_store != NULL, CERTA_E_NOTFOUND,
	    "no system trust store in %s", CERTA_SYSTEM_CERTS_DIR);
	*out = s->sys_store;	/* borrowed: lives as long as the snapshot */
out:
	if (locked)
		pthread_mutex_unlock(&s->sys_lock);
	X509_STORE_free(st);
	return rc;
}
