/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Streaming CRL writer (RFC 5280 §5): the revoked rows of one CA, read from
 * the store one at a time, become a signed DER CertificateList.  There is no
 * X509_CRL holding every entry; each entry is encoded with OpenSSL's
 * encoders into one growing buffer that ends up being the result.  The CA
 * key stays in the signer; no file or network I/O here.
 *
 * HOW IT WORKS
 *
 * RFC 5280 §5.1:
 *
 *	CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm,
 *	    signatureValue BIT STRING }
 *	TBSCertList ::= SEQUENCE { version, signature, issuer, thisUpdate,
 *	    nextUpdate, revokedCertificates SEQUENCE OF ... OPTIONAL,
 *	    crlExtensions [0] EXPLICIT Extensions OPTIONAL }
 *
 * 1. A template X509_CRL with every field but the entries (v2, issuer,
 *    dates, AKI and cRLNumber) is signed through the signer, which checks
 *    the issuer and fills the inner signature AlgorithmIdentifier.  Its TBS
 *    (i2d_re_X509_CRL_tbs) is cut with ASN1_get_object into "head" (version
 *    to nextUpdate) and "tail" (the [0] crlExtensions).
 * 2. The result buffer starts with room for head and the three SEQUENCE
 *    headers whose lengths are not known yet (each at most HDR_MAX bytes).
 *    The store walk appends one encoded entry per row after that room:
 *    SEQUENCE { INTEGER serial, Time revocationDate, Extensions? }, the
 *    INTEGER from i2d_ASN1_INTEGER, the Time from i2d_ASN1_TIME (once a
 *    day, see encode_time), the reasonCode Extensions from
 *    i2d_X509_EXTENSIONS (once per reason code).
 * 3. Once the entries' length is known, the SEQUENCE OF header, head and
 *    the TBS header are written right-aligned in front of the entries, tail
 *    is appended, and the TBS bytes, now contiguous, go through a streamed
 *    sign session.  The AlgorithmIdentifier and the BIT STRING follow, then
 *    the outer header, and the whole is moved to the start of the buffer.
 *
 * So the memory peak is about the CRL's size (twice for Ed25519, whose
 * signer buffers the TBS for one-shot signing) and each row costs a few
 * small encodes and one memcpy.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <certa/limits.h>

#include "ca/crl.h"

/* A DER header of a length below 2^32: tag, 0x84, four length octets. */
#define HDR_MAX		6
/* RFC 5280 §5.3.1 CRLReason values run 0..10. */
#define REASON_MAX	10
/* RFC 5280 §4.1.2.2: at most 20 octets; INTEGER header and sign pad. */
#define SERIAL_MAX	20
#define INT_DER_MAX	(SERIAL_MAX + 1 + 2)
#define TIME_DER_MAX	32
/*
 * RFC 5280 §5.1.2.4: UTCTime (1950..2049) or GeneralizedTime (2050..9999);
 * ASN1_TIME_set would happily write years outside that.
 */
#define TIME_MIN	(-631152000LL)		/* 1950-01-01T00:00:00Z */
#define TIME_MAX	253402300799LL		/* 9999-12-31T23:59:59Z */
/* First allocation of the result buffer. */
#define BUF_MIN		(64 * 1024)

/* The fixed parts of the template's TBSCertList, pointing into its DER. */
struct tbs_parts {
	const uint8_t	*head;		/* borrowed: version .. nextUpdate */
	size_t		 head_len;
	const uint8_t	*tail;		/* borrowed: [0] crlExtensions */
	size_t		 tail_len;
	const uint8_t	*alg;		/* borrowed: inner signature field */
	size_t		 alg_len;
};

/* State of the store walk; also the result buffer. */
struct crl_walk {
	struct certa_err	*err;		/* borrowed from the caller */
	uint8_t			*buf;		/* owns; becomes *der */
	size_t			 len, cap;
	size_t			 count;		/* entries written */
	ASN1_INTEGER		*serial;	/* owns; reused per row */
	ASN1_TIME		*time;		/* owns; reused per row */
	bool			 have_day;
	int64_t			 day;		/* time_der's day */
	uint8_t			 time_der[TIME_DER_MAX];
	size_t			 time_len;
	uint8_t			*reason_der[REASON_MAX + 1];	/* owns each */
	size_t			 reason_len[REASON_MAX + 1];
};

static certa_rc
grow(struct crl_walk *w, size_t need)
{
	struct certa_err	*err = w->err;
	size_t			 cap;
	uint8_t			*nb;
	certa_rc		 rc = CERTA_OK;

	if (need <= w->cap - w->len)
		goto out;
	CERTA_CHECK(need <= (size_t)CERTA_MAX_CRL - w->len, CERTA_E_INVAL,
	    "CRL larger than %ld bytes", (long)CERTA_MAX_CRL);
	cap = w->cap < BUF_MIN ? BUF_MIN : w->cap;
	while (cap - w->len < need)
		cap *= 2;
	if (cap > (size_t)CERTA_MAX_CRL)
		cap = (size_t)CERTA_MAX_CRL;
	CERTA_CHECK((nb = realloc(w->buf, cap)) != NULL, CERTA_E_NOMEM,
	    "grow CRL buffer to %zu bytes", cap);
	w->buf = nb;
	w->cap = cap;
out:
	return rc;
}

static certa_rc
append(struct crl_walk *w, const uint8_t *data, size_t n)
{
	certa_rc	 rc;

	rc = grow(w, n);
	if (rc == CERTA_OK) {
		memcpy(w->buf + w->len, data, n);
		w->len += n;
	}
	return rc;
}

/* Hex digit values plus one; 0 marks a non-hex character. */
static const uint8_t hexv[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static int
hexval(char c)
{
	return hexv[(unsigned char)c] - 1;
}

/*
 * Serial hex (as the store keeps it: no leading zero nibble, so possibly of
 * odd length) to big-endian magnitude octets without leading zeros.
 */
static bool
serial_decode(const char *hex, uint8_t out[SERIAL_MAX], size_t *outlen)
{
	size_t	 n, i, o = 0;
	int	 hi, lo;

	for (n = 0; n <= 2 * SERIAL_MAX && hex[n] != '\0'; n++)
		;
	if (n == 0 || n > 2 * SERIAL_MAX)
		return false;
	i = 0;
	if (n % 2 == 1) {
		lo = hexval(hex[0]);
		if (lo < 0)
			return false;
		out[o++] = (uint8_t)lo;
		i = 1;
	}
	for (; i < n; i += 2) {
		hi = hexval(hex[i]);
		lo = hexval(hex[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[o++] = (uint8_t)(hi << 4 | lo);
	}
	for (i = 0; i < o && out[i] == 0; i++)
		;
	if (i > 0)
		memmove(out, out + i, o - i);
	*outlen = o - i;
	return true;
}

/* Encoded crlEntryExtensions holding reasonCode r (RFC 5280 §5.3.1). */
static certa_rc
reason_ext(struct crl_walk *w, int r, struct certa_err *err)
{
	ASN1_ENUMERATED			*e = NULL;
	X509_EXTENSION			*ext = NULL;
	STACK_OF(X509_EXTENSION)	*exts = NULL;	/* owns elements */
	unsigned char			*der = NULL;
	int				 n;
	certa_rc			 rc = CERTA_OK;

	CERTA_OSSL((e = ASN1_ENUMERATED_new()) != NULL &&
	    ASN1_ENUMERATED_set(e, r) == 1, CERTA_E_NOMEM, "encode reason");
	CERTA_OSSL((ext = X509V3_EXT_i2d(NID_crl_reason, 0, e)) != NULL,
	    CERTA_E_CRYPTO, "encode reasonCode %d", r);
	CERTA_OSSL((exts = sk_X509_EXTENSION_new_null()) != NULL &&
	    sk_X509_EXTENSION_push(exts, ext) > 0, CERTA_E_NOMEM, "oom");
	ext = NULL;
	CERTA_OSSL((n = i2d_X509_EXTENSIONS(exts, &der)) > 0, CERTA_E_CRYPTO,
	    "encode CRL entry extensions");
	CERTA_CHECK((w->reason_der[r] = malloc((size_t)n)) != NULL,
	    CERTA_E_NOMEM, "oom");
	memcpy(w->reason_der[r], der, (size_t)n);
	w->reason_len[r] = (size_t)n;
out:
	OPENSSL_free(der);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_EXTENSION_free(ext);
	ASN1_ENUMERATED_free(e);
	return rc;
}

/*
 * revocationDate into w->time_der.  ASN1_TIME_set (gmtime and a formatted
 * print) would cost more than the rest of a row, so it runs once per day:
 * both encodings RFC 5280 §4.1.2.5.1/2 allow end in "HHMMSSZ" (seconds
 * always present, always Zulu), and only those six digits change within a
 * day.  The UTCTime/GeneralizedTime switch falls on a day boundary.
 */
static certa_rc
encode_time(struct crl_walk *w, int64_t t, struct certa_err *err)
{
	int64_t		 day = t / 86400, sec;
	unsigned char	*p;
	int		 n;
	certa_rc	 rc = CERTA_OK;

	if (t % 86400 < 0)
		day--;
	sec = t - day * 86400;
	if (!w->have_day || day != w->day) {
		w->have_day = false;
		CERTA_OSSL(ASN1_TIME_set(w->time, (time_t)(day * 86400)) !=
		    NULL, CERTA_E_STORE, "encode revocation time %lld",
		    (long long)t);
		CERTA_OSSL((n = i2d_ASN1_TIME(w->time, NULL)) > 7 &&
		    n <= TIME_DER_MAX, CERTA_E_INTERNAL, "encode time");
		p = w->time_der;
		(void)i2d_ASN1_TIME(w->time, &p);
		w->time_len = (size_t)n;
		CERTA_CHECK(memcmp(w->time_der + n - 7, "000000Z", 7) == 0,
		    CERTA_E_INTERNAL, "unexpected Time encoding");
		w->day = day;
		w->have_day = true;
	}
	p = w->time_der + w->time_len - 7;
	p[0] = (unsigned char)('0' + sec / 36000);
	p[1] = (unsigned char)('0' + sec / 3600 % 10);
	p[2] = (unsigned char)('0' + sec / 600 % 6);
	p[3] = (unsigned char)('0' + sec / 60 % 10);
	p[4] = (unsigned char)('0' + sec % 60 / 10);
	p[5] = (unsigned char)('0' + sec % 10);
out:
	return rc;
}

/*
 * RFC 5280 §5.1.2.6 entry: SEQUENCE { userCertificate, revocationDate,
 * crlEntryExtensions OPTIONAL }.  Called once per revoked row.
 */
static certa_rc
add_entry(const char *serial, int64_t revoked_at, int reason, void *arg)
{
	struct crl_walk		*w = arg;
	struct certa_err	*err = w->err;
	uint8_t			 sb[SERIAL_MAX], ib[INT_DER_MAX];
	unsigned char		*p;
	const uint8_t		*ext = NULL;
	size_t			 sn, ext_len = 0;
	int			 il, content, total;
	certa_rc		 rc = CERTA_OK;

	CERTA_CHECK(serial_decode(serial, sb, &sn), CERTA_E_STORE,
	    "revoked serial '%.48s' is not a hex serial of at most %d octets",
	    serial, SERIAL_MAX);
	CERTA_OSSL(ASN1_STRING_set(w->serial, sb, (int)sn) == 1,
	    CERTA_E_NOMEM, "oom");
	p = ib;
	CERTA_OSSL((il = i2d_ASN1_INTEGER(w->serial, &p)) > 0, CERTA_E_CRYPTO,
	    "encode serial %s", serial);

	CERTA_CHECK(revoked_at >= TIME_MIN && revoked_at <= TIME_MAX,
	    CERTA_E_STORE, "revocation time %lld of serial %s is out of range",
	    (long long)revoked_at, serial);
	CERTA_TRY(encode_time(w, revoked_at, err));

	/*
	 * RFC 5280 §5.3.1: omit reasonCode rather than use unspecified (0).
	 * removeFromCRL (8) belongs in delta CRLs only, and relying parties
	 * read it as "no longer revoked" (OpenSSL's check_revocation does);
	 * certa's revocations are permanent, so such a row is listed as
	 * revoked for an unspecified reason.
	 */
	switch (reason) {
	case CERTA_REASON_NONE:
	case 0:
	case 8:
		break;
	case 1: case 2: case 3: case 4: case 5: case 6: case 9: case 10:
		if (w->reason_der[reason] == NULL)
			CERTA_TRY(reason_ext(w, reason, err));
		ext = w->reason_der[reason];
		ext_len = w->reason_len[reason];
		break;
	default:
		CERTA_FAIL(CERTA_E_STORE, "revoked serial %s has reason code "
		    "%d, which is not a CRLReason", serial, reason);
	}

	content = il + (int)w->time_len + (int)ext_len;
	total = ASN1_object_size(1, content, V_ASN1_SEQUENCE);
	CERTA_CHECK(total > content, CERTA_E_INTERNAL, "entry size");
	CERTA_TRY(grow(w, (size_t)total));
	p = w->buf + w->len;
	ASN1_put_object(&p, 1, content, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	memcpy(p, ib, (size_t)il);
	p += il;
	memcpy(p, w->time_der, w->time_len);
	p += w->time_len;
	if (ext_len > 0)
		memcpy(p, ext, ext_len);
	w->len += (size_t)total;
	w->count++;
out:
	return rc;
}

/*
 * Read the DER header at *p (not past end) and move *p past it: tag, class,
 * whether constructed, and the content length.
 */
static certa_rc
get_header(const uint8_t **p, const uint8_t *end, int *tag, int *xclass,
    bool *constructed, size_t *clen, struct certa_err *err)
{
	const unsigned char	*q = *p;
	long			 l;
	int			 ret;
	certa_rc		 rc = CERTA_OK;

	CERTA_CHECK(end > q, CERTA_E_INTERNAL, "CRL template TBS is short");
	ret = ASN1_get_object(&q, &l, tag, xclass, (long)(end - q));
	/* 0x80: error; 0x01: indefinite length, never DER. */
	CERTA_OSSL((ret & 0x81) == 0, CERTA_E_INTERNAL,
	    "parse CRL template TBS");
	*constructed = (ret & V_ASN1_CONSTRUCTED) != 0;
	*clen = (size_t)l;
	*p = q;
out:
	return rc;
}

/* Cut the template's TBSCertList into head, (empty revoked), tail. */
static certa_rc
split_tbs(const uint8_t *tbs, size_t n, struct tbs_parts *t,
    struct certa_err *err)
{
	/* version INTEGER, signature, issuer, thisUpdate, nextUpdate */
	static const int	 want[5] = { V_ASN1_INTEGER, V_ASN1_SEQUENCE,
	    V_ASN1_SEQUENCE, -1, -1 };
	const uint8_t		*p = tbs, *end = tbs + n, *el;
	size_t			 clen = 0;
	int			 tag, xclass, i;
	bool			 cons = false;
	certa_rc		 rc = CERTA_OK;

	memset(t, 0, sizeof(*t));
	CERTA_TRY(get_header(&p, end, &tag, &xclass, &cons, &clen, err));
	CERTA_CHECK(tag == V_ASN1_SEQUENCE && xclass == V_ASN1_UNIVERSAL &&
	    cons && p + clen == end, CERTA_E_INTERNAL, "CRL template TBS is "
	    "not one SEQUENCE");
	t->head = p;
	for (i = 0; i < 5; i++) {
		el = p;
		CERTA_TRY(get_header(&p, end, &tag, &xclass, &cons, &clen,
		    err));
		CERTA_CHECK(xclass == V_ASN1_UNIVERSAL && (want[i] == -1 ?
		    (tag == V_ASN1_UTCTIME || tag == V_ASN1_GENERALIZEDTIME) :
		    tag == want[i]), CERTA_E_INTERNAL, "CRL template TBS "
		    "field %d has tag %d", i, tag);
		p += clen;
		if (i == 1) {
			t->alg = el;
			t->alg_len = (size_t)(p - el);
		}
	}
	t->head_len = (size_t)(p - t->head);
	/* Skip an empty revokedCertificates, should the encoder write one. */
	el = p;
	CERTA_TRY(get_header(&el, end, &tag, &xclass, &cons, &clen, err));
	if (tag == V_ASN1_SEQUENCE && xclass == V_ASN1_UNIVERSAL) {
		CERTA_CHECK(clen == 0, CERTA_E_INTERNAL, "CRL template has "
		    "entries");
		p = el;
		CERTA_TRY(get_header(&el, end, &tag, &xclass, &cons, &clen,
		    err));
	}
	CERTA_CHECK(tag == 0 && xclass == V_ASN1_CONTEXT_SPECIFIC && cons &&
	    el + clen == end, CERTA_E_INTERNAL, "CRL template TBS does not "
	    "end in crlExtensions");
	t->tail = p;
	t->tail_len = (size_t)(end - p);
out:
	return rc;
}

/* The signer must hold the certificate of the CA whose rows are listed. */
static certa_rc
check_ca(struct certa_store *st, X509 *cacert, int64_t ca_id,
    struct certa_err *err)
{
	struct certa_ca_rec	 ca;
	unsigned char		*der = NULL;
	int			 n;
	certa_rc		 rc = CERTA_OK;

	memset(&ca, 0, sizeof(ca));
	CERTA_TRY(certa_store_ca_get(st, ca_id, &ca, err));
	CERTA_OSSL((n = i2d_X509(cacert, &der)) > 0, CERTA_E_CRYPTO,
	    "encode the signer's CA certificate");
	CERTA_CHECK((size_t)n == ca.cert_der_len &&
	    memcmp(der, ca.cert_der, (size_t)n) == 0, CERTA_E_POLICY,
	    "refusing to build the CRL of CA '%s': the signer holds another "
	    "CA's certificate", ca.name != NULL ? ca.name : "?");
out:
	OPENSSL_free(der);
	certa_ca_rec_clear(&ca);
	return rc;
}

static certa_rc
set_time(X509_CRL *crl, int64_t t, bool next, struct certa_err *err)
{
	ASN1_TIME	*at = NULL;
	certa_rc	 rc = CERTA_OK;

	/*
	 * RFC 5280 §5.1.2.4/5: UTCTime through 2049, GeneralizedTime from
	 * 2050; ASN1_TIME_set chooses the same way.
	 */
	CERTA_CHECK(t >= TIME_MIN && t <= TIME_MAX, CERTA_E_INVAL,
	    "CRL %s %lld out of range", next ? "nextUpdate" : "thisUpdate",
	    (long long)t);
	CERTA_OSSL((at = ASN1_TIME_set(NULL, (time_t)t)) != NULL,
	    CERTA_E_INVAL, "CRL %s %lld out of range",
	    next ? "nextUpdate" : "thisUpdate", (long long)t);
	if (next)
		CERTA_OSSL(X509_CRL_set1_nextUpdate(crl, at) == 1,
		    CERTA_E_NOMEM, "set nextUpdate");
	else
		CERTA_OSSL(X509_CRL_set1_lastUpdate(crl, at) == 1,
		    CERTA_E_NOMEM, "set thisUpdate");
out:
	ASN1_TIME_free(at);
	return rc;
}

/* The CRL without entries, signed (so its inner AlgorithmIdentifier is). */
static certa_rc
build_template(struct certa_signer *signer, const struct certa_crl_params *p,
    X509_CRL **out, struct certa_err *err)
{
	X509				*cacert;
	const ASN1_OCTET_STRING		*ski;
	X509_CRL			*crl = NULL;
	AUTHORITY_KEYID			*aki = NULL;
	ASN1_INTEGER			*num = NULL;
	certa_rc			 rc = CERTA_OK;

	*out = NULL;
	cacert = certa_signer_get0_cert(signer);
	CERTA_OSSL((crl = X509_CRL_new()) != NULL, CERTA_E_NOMEM, "oom");
	/* RFC 5280 §5.1.2.1: v2 because extensions are present. */
	CERTA_OSSL(X509_CRL_set_version(crl, X509_CRL_VERSION_2) == 1,
	    CERTA_E_NOMEM, "set CRL version");
	/* §5.1.2.3: issuer is the CA certificate's subject. */
	CERTA_OSSL(X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(cacert)) == 1, CERTA_E_NOMEM,
	    "set CRL issuer");
	CERTA_TRY(set_time(crl, p->this_update, false, err));
	CERTA_TRY(set_time(crl, p->next_update, true, err));

	/* §5.2.1: authorityKeyIdentifier keyIdentifier = the CA's SKI. */
	ski = X509_get0_subject_key_id(cacert);
	ERR_clear_error();
	CERTA_CHECK(ski != NULL, CERTA_E_POLICY, "the CA certificate has no "
	    "subjectKeyIdentifier for the CRL's authorityKeyIdentifier");
	CERTA_OSSL((aki = AUTHORITY_KEYID_new()) != NULL &&
	    (aki->keyid = ASN1_OCTET_STRING_dup(ski)) != NULL, CERTA_E_NOMEM,
	    "oom");
	CERTA_OSSL(X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier,
	    aki, 0, X509V3_ADD_DEFAULT) == 1, CERTA_E_CRYPTO,
	    "add authorityKeyIdentifier to CRL");
	/* §5.2.3: cRLNumber, non-critical, monotonically increasing. */
	CERTA_OSSL((num = ASN1_INTEGER_new()) != NULL &&
	    ASN1_INTEGER_set_int64(num, p->number) == 1, CERTA_E_NOMEM, "oom");
	CERTA_OSSL(X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0,
	    X509V3_ADD_DEFAULT) == 1, CERTA_E_CRYPTO,
	    "add cRLNumber to CRL");

	CERTA_TRY(certa_signer_sign_crl(signer, crl, err));
	*out = crl;
	crl = NULL;
out:
	ASN1_INTEGER_free(num);
	AUTHORITY_KEYID_free(aki);
	X509_CRL_free(crl);
	return rc;
}

/* Write a constructed or primitive header for content bytes at *p. */
static void
put_header(uint8_t **p, int constructed, size_t content, int tag)
{
	unsigned char	*q = *p;

	ASN1_put_object(&q, constructed, (int)content, tag, V_ASN1_UNIVERSAL);
	*p = q;
}

/* Bytes of a header for content bytes (the content must fit an int). */
static size_t
header_len(int constructed, size_t content, int tag)
{
	return (size_t)ASN1_object_size(constructed, (int)content, tag) -
	    content;
}

/*
 * See crl.h.  Returns INVAL (bad parameters, times out of range, larger than
 * CERTA_MAX_CRL), NOTFOUND (no CA p->ca_id), POLICY (the signer holds
 * another CA's certificate, the CA certificate has no SKI, or the signer
 * refuses), STORE (the walk failed or met a corrupt row), CRYPTO, NOMEM or
 * INTERNAL.  On error *der is NULL and *len 0.
 */
certa_rc
certa_crl_build(struct certa_store *st, struct certa_signer *signer,
    struct certa_crl_params *p, uint8_t **der, size_t *len,
    struct certa_err *err)
{
	struct crl_walk			 w;
	struct tbs_parts		 t;
	struct certa_sign_session	*ss = NULL;
	X509_CRL			*crl = NULL;
	unsigned char			*tbs = NULL;
	uint8_t				*alg = NULL, *sig = NULL, *q;
	size_t				 alg_len = 0, sig_len = 0, pre;
	size_t				 entries, rev_hdr, tbs_content;
	size_t				 tbs_hdr, tbs_start, tbs_end, out_hdr;
	size_t				 start, i;
	int				 n;
	certa_rc			 rc = CERTA_OK;

	*der = NULL;
	*len = 0;
	memset(&w, 0, sizeof(w));
	w.err = err;
	CERTA_CHECK(st != NULL && signer != NULL && p != NULL, CERTA_E_INVAL,
	    "build CRL: no store, signer or parameters");
	p->entries = 0;
	CERTA_CHECK(p->number > 0, CERTA_E_INVAL, "build CRL: CRL number %lld "
	    "is not positive", (long long)p->number);
	CERTA_CHECK(p->this_update < p->next_update, CERTA_E_INVAL,
	    "build CRL: nextUpdate is not after thisUpdate");
	CERTA_TRY(check_ca(st, certa_signer_get0_cert(signer), p->ca_id, err));

	/* 1. Template TBS, cut where revokedCertificates belongs. */
	CERTA_TRY(build_template(signer, p, &crl, err));
	CERTA_OSSL((n = i2d_re_X509_CRL_tbs(crl, &tbs)) > 0, CERTA_E_CRYPTO,
	    "encode CRL template");
	CERTA_TRY(split_tbs(tbs, (size_t)n, &t, err));
	CERTA_TRY(certa_signer_alg_der(signer, &alg, &alg_len, err));
	CERTA_CHECK(alg_len == t.alg_len && memcmp(alg, t.alg, alg_len) == 0,
	    CERTA_E_INTERNAL, "the signer's AlgorithmIdentifier differs from "
	    "the one in the TBSCertList");

	/* 2. Room for three headers and head, then the entries. */
	CERTA_OSSL((w.serial = ASN1_INTEGER_new()) != NULL &&
	    (w.time = ASN1_TIME_new()) != NULL, CERTA_E_NOMEM, "oom");
	pre = 3 * HDR_MAX + t.head_len;
	CERTA_TRY(grow(&w, pre));
	w.len = pre;
	CERTA_TRY(certa_store_revoked_each(st, p->ca_id, add_entry, &w, err));
	entries = w.len - pre;

	/* 3. Headers in front, tail behind, then sign the TBS. */
	rev_hdr = entries > 0 ? header_len(1, entries, V_ASN1_SEQUENCE) : 0;
	tbs_content = t.head_len + rev_hdr + entries + t.tail_len;
	CERTA_CHECK(tbs_content < (size_t)CERTA_MAX_CRL, CERTA_E_INVAL,
	    "CRL larger than %ld bytes", (long)CERTA_MAX_CRL);
	tbs_hdr = header_len(1, tbs_content, V_ASN1_SEQUENCE);
	tbs_start = pre - rev_hdr - t.head_len - tbs_hdr;
	q = w.buf + tbs_start;
	put_header(&q, 1, tbs_content, V_ASN1_SEQUENCE);
	memcpy(q, t.head, t.head_len);
	q += t.head_len;
	if (entries > 0)
		put_header(&q, 1, entries, V_ASN1_SEQUENCE);
	CERTA_CHECK(q == w.buf + pre, CERTA_E_INTERNAL, "CRL header layout");
	CERTA_TRY(append(&w, t.tail, t.tail_len));
	tbs_end = w.len;

	CERTA_TRY(certa_signer_stream_begin(signer, &ss, err));
	CERTA_TRY(certa_signer_stream_update(ss, w.buf + tbs_start,
	    tbs_end - tbs_start, err));
	CERTA_TRY(certa_signer_stream_finish(ss, &sig, &sig_len, err));

	/*
	 * signatureAlgorithm, then signatureValue: a BIT STRING whose initial
	 * octet (X.690 §8.6.2.2, unused bits) is 0 for a signature.
	 */
	CERTA_TRY(append(&w, alg, alg_len));
	CERTA_CHECK(sig_len > 0 && sig_len < 65536, CERTA_E_INTERNAL,
	    "signature of %zu bytes", sig_len);
	CERTA_TRY(grow(&w, HDR_MAX + 1 + sig_len));
	q = w.buf + w.len;
	put_header(&q, 0, sig_len + 1, V_ASN1_BIT_STRING);
	*q++ = 0;
	memcpy(q, sig, sig_len);
	q += sig_len;
	w.len = (size_t)(q - w.buf);

	/* The outer CertificateList header, then move it all to offset 0. */
	CERTA_CHECK(w.len - tbs_start < (size_t)CERTA_MAX_CRL, CERTA_E_INVAL,
	    "CRL larger than %ld bytes", (long)CERTA_MAX_CRL);
	out_hdr = header_len(1, w.len - tbs_start, V_ASN1_SEQUENCE);
	CERTA_CHECK(out_hdr <= tbs_start, CERTA_E_INTERNAL,
	    "CRL header layout");
	start = tbs_start - out_hdr;
	q = w.buf + start;
	put_header(&q, 1, w.len - tbs_start, V_ASN1_SEQUENCE);
	if (start > 0)
		memmove(w.buf, w.buf + start, w.len - start);
	w.len -= start;
	/* Give back the slack; should shrinking fail, the block is fine. */
	q = realloc(w.buf, w.len);
	if (q != NULL)
		w.buf = q;

	*der = w.buf;		/* ownership moves to the caller */
	*len = w.len;
	w.buf = NULL;
	p->entries = w.count;
out:
	free(w.buf);
	ASN1_INTEGER_free(w.serial);
	ASN1_TIME_free(w.time);
	for (i = 0; i <= REASON_MAX; i++)
		free(w.reason_der[i]);
	certa_signer_stream_free(ss);
	free(sig);
	free(alg);
	OPENSSL_free(tbs);
	X509_CRL_free(crl);
	return rc;
}
