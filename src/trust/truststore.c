/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The trust store (include/certa/truststore.h): decoding certificate files
 * of every common format, aliases, the trusted / issuer / rejected lists,
 * CRL import with its signature check, and recorded knocks.  Every change
 * runs in one store transaction with its audit record (the store bumps the
 * trust generation in it).  No file or socket I/O here: callers hand in
 * bytes.  Validation itself is not here (validate.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include <certa/certa.h>
#include <certa/limits.h>
#include <certa/truststore.h>

#include "audit/audit.h"
#include "core/core.h"
#include "trust/truststore_int.h"
#include "util/util.h"

/* How many "-N" suffixes are tried before an alias is called taken. */
#define ALIAS_TRIES	10000

static const char *const list_names[CERTA_LIST__COUNT] = {
	[CERTA_LIST_TRUSTED] = "trusted",
	[CERTA_LIST_ISSUER] = "issuer",
	[CERTA_LIST_REJECTED] = "rejected",
};

void
certa_trust_fp(const uint8_t *der, size_t len, char out[65])
{
	certa_fingerprint(der, len, false, out);
}

/* --- text: UTF-8, aliases ------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t		 k, i;
	unsigned	 c = s[0], min;
	uint32_t	 cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		k = 2;
		min = 0x80;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 3;
		min = 0x800;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 4;
		min = 0x10000;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (k > n)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

certa_rc
certa_trust_alias_check(const char *alias, struct certa_err *err)
{
	const unsigned char	*a = (const unsigned char *)alias;
	size_t			 n = alias != NULL ? strlen(alias) : 0, i, k;
	certa_rc		 rc = CERTA_OK;

	CERTA_CHECK(n > 0, CERTA_E_PARSE, "alias is empty");
	CERTA_CHECK(n <= CERTA_TRUST_ALIAS_MAX, CERTA_E_PARSE, "alias is %zu "
	    "bytes long; at most %d are allowed", n, CERTA_TRUST_ALIAS_MAX);
	for (i = 0; i < n; i += k) {
		CERTA_CHECK(a[i] >= 0x20 && a[i] != 0x7f, CERTA_E_PARSE,
		    "alias may not contain control characters (byte %zu is "
		    "0x%02x)", i + 1, a[i]);
		k = utf8_len(a + i, n - i);
		CERTA_CHECK(k > 0, CERTA_E_PARSE, "alias is not valid UTF-8 "
		    "(at byte %zu)", i + 1);
	}
out:
	return rc;
}

char *
certa_trust_cn(X509 *x)
{
	const X509_NAME		*name = X509_get_subject_name(x);
	const X509_NAME_ENTRY	*e;
	unsigned char		*utf8 = NULL;
	char			*s = NULL;
	int			 i, last = -1, n;

	/* The most specific CN: the last one in DER order. */
	while ((i = X509_NAME_get_index_by_NID(name, NID_commonName,
	    last)) >= 0)
		last = i;
	if (last < 0 || (e = X509_NAME_get_entry(name, last)) == NULL)
		return NULL;
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
	if (n >= 0 && (s = malloc((size_t)n + 1)) != NULL) {
		memcpy(s, utf8, (size_t)n);
		s[n] = '\0';
		for (i = 0; i < n; i++)	/* an embedded NUL ends nothing */
			if (s[i] == '\0')
				s[i] = '_';
	}
	OPENSSL_free(utf8);
	ERR_clear_error();
	return s;
}

/*
 * An alias base from x's CN: control characters and invalid UTF-8 become
 * '_', surrounding spaces go, at most max bytes (whole characters);
 * "cert" when nothing is left.
 */
static void
alias_base(const char *cn, size_t max, char out[CERTA_TRUST_ALIAS_MAX + 1])
{
	const unsigned char	*s = (const unsigned char *)cn;
	size_t			 n = cn != NULL ? strlen(cn) : 0, i = 0, o = 0, k;

	while (i < n && s[i] == ' ')
		i++;
	while (i < n) {
		k = utf8_len(s + i, n - i);
		if (k == 0 || s[i] < 0x20 || s[i] == 0x7f) {
			k = k == 0 ? 1 : k;
			if (o + 1 > max)
				break;
			out[o++] = '_';
		} else {
			if (o + k > max)
				break;
			memcpy(out + o, s + i, k);
			o += k;
		}
		i += k;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	if (o == 0)
		snprintf(out, CERTA_TRUST_ALIAS_MAX + 1, "%s", "cert");
}

/* base + suffix into out; alias_base() left room for the suffix. */
static void
join(const char *base, const char *suffix,
    char out[CERTA_TRUST_ALIAS_MAX + 1])
{
	size_t	 b = strlen(base), k = strlen(suffix);

	/* Suffixes are "-N": far shorter than an alias. */
	if (b + k > CERTA_TRUST_ALIAS_MAX)
		b = CERTA_TRUST_ALIAS_MAX - k;
	memcpy(out, base, b);
	memcpy(out + b, suffix, k + 1);
}

/* Is alias taken in the store?  Only NOTFOUND means free. */
static certa_rc
alias_taken(struct certa_store *st, const char *alias, bool *taken,
    struct certa_err *err)
{
	struct certa_trust_rec	 r;
	certa_rc		 rc;

	*taken = false;
	rc = certa_store_trust_get_alias(st, alias, &r, err);
	certa_trust_rec_clear(&r);
	if (rc == CERTA_OK) {
		*taken = true;
	} else if (rc == CERTA_E_NOTFOUND) {
		certa_err_clear(err);
		rc = CERTA_OK;
	}
	return rc;
}

/*
 * base, base-2, base-3, ...: the first free one, within 64 bytes.  With
 * fp (knocks: a peer chooses the CN) base-FP8 is tried second, so that
 * many certificates of one CN do not cost a look-up each per knock.
 */
static certa_rc
alias_unique(struct certa_store *st, const char *cn, const char *fp,
    char out[CERTA_TRUST_ALIAS_MAX + 1], struct certa_err *err)
{
	char		 base[CERTA_TRUST_ALIAS_MAX + 1], suffix[16];
	bool		 taken;
	int		 k;
	certa_rc	 rc = CERTA_OK;

	alias_base(cn, CERTA_TRUST_ALIAS_MAX, out);
	CERTA_TRY(alias_taken(st, out, &taken, err));
	if (taken && fp != NULL) {
		snprintf(suffix, sizeof(suffix), "-%.8s", fp);
		alias_base(cn, CERTA_TRUST_ALIAS_MAX - strlen(suffix), base);
		join(base, suffix, out);
		CERTA_TRY(alias_taken(st, out, &taken, err));
	}
	for (k = 2; taken && k < ALIAS_TRIES; k++) {
		snprintf(suffix, sizeof(suffix), "-%d", k);
		alias_base(cn, CERTA_TRUST_ALIAS_MAX - strlen(suffix), base);
		join(base, suffix, out);
		CERTA_TRY(alias_taken(st, out, &taken, err));
	}
	CERTA_CHECK(!taken, CERTA_E_CONFLICT, "no free alias for '%s' after "
	    "%d tries: give one", out, ALIAS_TRIES);
out:
	return rc;
}

/* --- decoding -------------------------------------------------------- */

/* Lower-case hex of an INTEGER, without leading zeros; "-" if negative. */
static char *
int_hex(const ASN1_INTEGER *ai)
{
	BIGNUM	*bn = ASN1_INTEGER_to_BN(ai, NULL);
	char	*h = NULL, *s = NULL, *p;

	if (bn == NULL || (h = BN_bn2hex(bn)) == NULL)
		goto out;
	p = h + (h[0] == '-');
	while (p[0] == '0' && p[1] != '\0')
		p++;
	if ((s = malloc(strlen(p) + 2)) == NULL)
		goto out;
	snprintf(s, strlen(p) + 2, "%s%s", h[0] == '-' ? "-" : "", p);
	for (p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
out:
	OPENSSL_free(h);
	BN_free(bn);
	ERR_clear_error();
	return s;
}

static certa_rc
push_cert(STACK_OF(X509) *sk, X509 **x, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(sk_X509_num(sk) < CERTA_MAX_TRUST_CERTS, CERTA_E_PARSE,
	    "more than %d certificates in one file", CERTA_MAX_TRUST_CERTS);
	CERTA_OSSL(sk_X509_push(sk, *x) > 0, CERTA_E_NOMEM, "oom");
	*x = NULL;			/* the stack owns it */
out:
	return rc;
}

static certa_rc
der_cert(const uint8_t *der, size_t len, bool aux, STACK_OF(X509) *sk,
    struct certa_err *err)
{
	const unsigned char	*p = der;
	X509			*x = NULL;
	certa_rc		 rc = CERTA_OK;

	CERTA_CHECK(len > 0 && len <= CERTA_MAX_CERT_DER, CERTA_E_PARSE,
	    "a certificate of %zu bytes: at most %d are allowed", len,
	    CERTA_MAX_CERT_DER);
	x = aux ? d2i_X509_AUX(NULL, &p, (long)len) :
	    d2i_X509(NULL, &p, (long)len);
	CERTA_OSSL(x != NULL, CERTA_E_PARSE, "damaged certificate");
	CERTA_CHECK(p == der + len, CERTA_E_PARSE, "trailing bytes after a "
	    "certificate");
	CERTA_TRY(push_cert(sk, &x, err));
out:
	X509_free(x);
	return rc;
}

/* A PKCS#7 / CMS SignedData used as a certificate bundle. */
static certa_rc
der_bundle(const uint8_t *der, size_t len, STACK_OF(X509) *sk,
    struct certa_err *err)
{
	const unsigned char	*p = der;
	CMS_ContentInfo		*cms = NULL;
	STACK_OF(X509)		*certs = NULL;	/* owns elements */
	X509			*x = NULL;
	certa_rc		 rc = CERTA_OK;

	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	CERTA_OSSL(cms != NULL, CERTA_E_PARSE, "damaged PKCS#7 bundle");
	CERTA_CHECK(p == der + len, CERTA_E_PARSE, "trailing bytes after the "
	    "PKCS#7 bundle");
	CERTA_CHECK(OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed,
	    CERTA_E_PARSE, "the PKCS#7 data is not a certificate bundle "
	    "(SignedData)");
	certs = CMS_get1_certs(cms);
	ERR_clear_error();
	CERTA_CHECK(certs != NULL && sk_X509_num(certs) > 0, CERTA_E_PARSE,
	    "the PKCS#7 bundle holds no certificate");
	while ((x = sk_X509_shift(certs)) != NULL)
		CERTA_TRY(push_cert(sk, &x, err));
out:
	X509_free(x);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	return rc;
}

/* RFC 7292: the certificates of a PKCS#12 file; its key is dropped. */
static certa_rc
der_p12(const uint8_t *der, size_t len, const char *password,
    STACK_OF(X509) *sk, struct certa_err *err)
{
	const unsigned char	*p = der;
	PKCS12			*p12 = NULL;
	EVP_PKEY		*key = NULL;
	X509			*cert = NULL;
	STACK_OF(X509)		*ca = NULL;	/* owns elements */
	const char		*pass = password;
	certa_rc		 rc = CERTA_OK;

	p12 = d2i_PKCS12(NULL, &p, (long)len);
	CERTA_OSSL(p12 != NULL, CERTA_E_PARSE, "damaged PKCS#12 file");
	CERTA_CHECK(p == der + len, CERTA_E_PARSE, "trailing bytes after the "
	    "PKCS#12 file");
	if (PKCS12_mac_present(p12)) {
		if (password != NULL) {
			CERTA_CHECK(PKCS12_verify_mac(p12, password, -1) == 1,
			    CERTA_E_PARSE, "the PKCS#12 file's integrity check "
			    "(MAC) fails: wrong password");
		} else if (PKCS12_verify_mac(p12, "", 0) == 1) {
			pass = "";
		} else {
			CERTA_CHECK(PKCS12_verify_mac(p12, NULL, 0) == 1,
			    CERTA_E_PARSE, "the PKCS#12 file is password "
			    "protected: give its password (--password-file)");
			pass = NULL;
		}
	}
	ERR_clear_error();
	CERTA_OSSL(PKCS12_parse(p12, pass, &key, &cert, &ca) == 1,
	    CERTA_E_PARSE, "cannot decrypt the PKCS#12 file's contents");
	if (cert != NULL)
		CERTA_TRY(push_cert(sk, &cert, err));
	while (ca != NULL && (cert = sk_X509_shift(ca)) != NULL)
		CERTA_TRY(push_cert(sk, &cert, err));
	CERTA_CHECK(sk_X509_num(sk) > 0, CERTA_E_PARSE, "the PKCS#12 file "
	    "holds no certificate");
out:
	EVP_PKEY_free(key);		/* ignored: the trust store keeps none */
	X509_free(cert);
	sk_X509_pop_free(ca, X509_free);
	PKCS12_free(p12);
	return rc;
}

/*
 * DER: the outer SEQUENCE must span the data exactly; its first element
 * says what it is (X.509: SEQUENCE tbsCertificate; PKCS#7 ContentInfo:
 * OBJECT IDENTIFIER; PKCS#12 PFX: INTEGER version).
 */
static certa_rc
der_any(const uint8_t *der, size_t len, const char *password,
    STACK_OF(X509) *sk, struct certa_err *err)
{
	const unsigned char	*p = der, *q;
	long			 olen, ilen;
	int			 tag, cls, r;
	certa_rc		 rc = CERTA_OK;

	CERTA_CHECK(der[0] == 0x30, CERTA_E_PARSE, "not a certificate file: "
	    "neither PEM nor DER (certificate, PKCS#7 bundle or PKCS#12)");
	r = ASN1_get_object(&p, &olen, &tag, &cls, (long)len);
	ERR_clear_error();
	CERTA_CHECK((r & 0x80) == 0 && r != 0x21, CERTA_E_PARSE, "the DER "
	    "data is truncated or damaged: its outer SEQUENCE does not fit in "
	    "the %zu bytes given", len);
	CERTA_CHECK(p + olen == der + len, CERTA_E_PARSE, "%zu trailing "
	    "bytes after the DER data", len - (size_t)(p + olen - der));
	q = p;
	r = ASN1_get_object(&q, &ilen, &tag, &cls, olen);
	ERR_clear_error();
	CERTA_CHECK((r & 0x80) == 0 && cls == V_ASN1_UNIVERSAL, CERTA_E_PARSE,
	    "the DER data is damaged: neither a certificate, a PKCS#7 "
	    "bundle nor a PKCS#12 file");
	if (tag == V_ASN1_SEQUENCE)
		CERTA_TRY(der_cert(der, len, false, sk, err));
	else if (tag == V_ASN1_OBJECT)
		CERTA_TRY(der_bundle(der, len, sk, err));
	else if (tag == V_ASN1_INTEGER)
		CERTA_TRY(der_p12(der, len, password, sk, err));
	else
		CERTA_FAIL(CERTA_E_PARSE, "the DER data is neither a "
		    "certificate, a PKCS#7 bundle nor a PKCS#12 file");
out:
	return rc;
}

static certa_rc
pem_any(const uint8_t *data, size_t len, STACK_OF(X509) *sk,
    struct certa_err *err)
{
	BIO		*bio = NULL;
	char		*name = NULL, *header = NULL, other[96] = "";
	unsigned char	*body = NULL;
	long		 blen = 0;
	unsigned long	 e;
	int		 nblocks = 0;
	certa_rc	 rc = CERTA_OK;

	CERTA_OSSL((bio = BIO_new_mem_buf(data, (int)len)) != NULL,
	    CERTA_E_NOMEM, "oom");
	for (;;) {
		if (PEM_read_bio(bio, &name, &header, &body, &blen) != 1) {
			e = ERR_peek_last_error();
			if (nblocks > 0 && ERR_GET_LIB(e) == ERR_LIB_PEM &&
			    ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
				ERR_clear_error();
				break;
			}
			CERTA_OSSL(0, CERTA_E_PARSE, "PEM block %d is damaged",
			    nblocks + 1);
		}
		nblocks++;
		if (strcmp(name, PEM_STRING_X509) == 0 ||
		    strcmp(name, PEM_STRING_X509_OLD) == 0)
			CERTA_TRY(der_cert(body, (size_t)blen, false, sk, err));
		else if (strcmp(name, PEM_STRING_X509_TRUSTED) == 0)
			CERTA_TRY(der_cert(body, (size_t)blen, true, sk, err));
		else if (strcmp(name, PEM_STRING_PKCS7) == 0 ||
		    strcmp(name, PEM_STRING_CMS) == 0)
			CERTA_TRY(der_bundle(body, (size_t)blen, sk, err));
		else if (other[0] == '\0')
			snprintf(other, sizeof(other), "%.64s", name);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_clear_free(body, (size_t)blen);	/* may be a key */
		name = header = NULL;
		body = NULL;
	}
	CERTA_CHECK(sk_X509_num(sk) > 0, CERTA_E_PARSE, "no certificate in "
	    "the PEM data (it holds %s)", other);
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	if (body != NULL)
		OPENSSL_clear_free(body, (size_t)blen);
	BIO_free(bio);
	return rc;
}

certa_rc
certa_trust_parse_certs(const uint8_t *data, size_t len, const char *password,
    STACK_OF(X509) **out, struct certa_err *err)
{
	STACK_OF(X509)	*sk = NULL;	/* owns elements */
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK(data != NULL && len > 0, CERTA_E_PARSE, "the certificate "
	    "file is empty");
	CERTA_CHECK(len <= CERTA_MAX_TRUST_FILE, CERTA_E_PARSE, "the "
	    "certificate file has %zu bytes: at most %d are allowed", len,
	    CERTA_MAX_TRUST_FILE);
	CERTA_OSSL((sk = sk_X509_new_null()) != NULL, CERTA_E_NOMEM, "oom");
	if (certa_is_pem(data, len))
		CERTA_TRY(pem_any(data, len, sk, err));
	else
		CERTA_TRY(der_any(data, len, password, sk, err));
	*out = sk;
	sk = NULL;
out:
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

certa_rc
certa_trust_parse_crl(const uint8_t *data, size_t len, X509_CRL **out,
    struct certa_err *err)
{
	const unsigned char	*p = data;
	X509_CRL		*crl = NULL;
	BIO			*bio = NULL;
	long			 olen;
	int			 tag, cls, r;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK(data != NULL && len > 0, CERTA_E_PARSE, "the CRL file is "
	    "empty");
	CERTA_CHECK(len <= CERTA_MAX_TRUST_CRL, CERTA_E_PARSE, "the CRL file "
	    "has %zu bytes: at most %d are allowed", len, CERTA_MAX_TRUST_CRL);
	if (certa_is_pem(data, len)) {
		CERTA_OSSL((bio = BIO_new_mem_buf(data, (int)len)) != NULL,
		    CERTA_E_NOMEM, "oom");
		crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
		CERTA_OSSL(crl != NULL, CERTA_E_PARSE, "PEM input is not an "
		    "X509 CRL or is damaged");
	} else {
		CERTA_CHECK(data[0] == 0x30, CERTA_E_PARSE, "input is neither "
		    "a PEM nor a DER CRL");
		r = ASN1_get_object(&p, &olen, &tag, &cls, (long)len);
		ERR_clear_error();
		CERTA_CHECK((r & 0x80) == 0 && r != 0x21 &&
		    p + olen == data + len, CERTA_E_PARSE, "the DER CRL is "
		    "truncated, damaged or followed by other data");
		p = data;
		crl = d2i_X509_CRL(NULL, &p, (long)len);
		CERTA_OSSL(crl != NULL, CERTA_E_PARSE, "input is neither a PEM "
		    "nor a DER CRL");
		CERTA_CHECK(p == data + len, CERTA_E_PARSE, "trailing bytes "
		    "after the DER CRL");
	}
	*out = crl;
	crl = NULL;
out:
	BIO_free(bio);
	X509_CRL_free(crl);
	return rc;
}

void
certa_trust_name_key(const X509_NAME *name, char out[CERTA_TRUST_NAME_KEY])
{
	unsigned long	h;
	int		ok = 0;

	/* As certa_snap_name_hash(): a name that cannot be hashed is 0. */
	h = X509_NAME_hash_ex(name, NULL, NULL, &ok);
	if (!ok) {
		ERR_clear_error();
		h = 0;
	}
	snprintf(out, CERTA_TRUST_NAME_KEY, "%08lx", h & 0xffffffffUL);
}

/* The stored fields of x (not alias, list, source). */
static certa_rc
rec_fill(X509 *x, struct certa_trust_rec *r, struct certa_err *err)
{
	char		 fp[65], key[CERTA_TRUST_NAME_KEY];
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(certa_cert_der(x, &r->der, &r->der_len, err));
	CERTA_CHECK(r->der_len <= CERTA_MAX_CERT_DER, CERTA_E_PARSE,
	    "a certificate of %zu bytes: at most %d are allowed", r->der_len,
	    CERTA_MAX_CERT_DER);
	certa_trust_fp(r->der, r->der_len, fp);
	CERTA_CHECK(fp[0] != '\0', CERTA_E_CRYPTO, "cannot hash a "
	    "certificate");
	CERTA_CHECK((r->fingerprint = certa_strdup(fp)) != NULL,
	    CERTA_E_NOMEM, "oom");
	CERTA_TRY(certa_name_format(X509_get_subject_name(x), &r->subject,
	    err));
	CERTA_TRY(certa_name_format(X509_get_issuer_name(x), &r->issuer,
	    err));
	certa_trust_name_key(X509_get_subject_name(x), key);
	CERTA_CHECK((r->subject_key = certa_strdup(key)) != NULL,
	    CERTA_E_NOMEM, "oom");
	CERTA_CHECK((r->serial = int_hex(X509_get0_serialNumber(x))) != NULL,
	    CERTA_E_PARSE, "unreadable serial number");
	CERTA_TRY(certa_asn1_time_to_unix(X509_get0_notBefore(x),
	    &r->not_before, err));
	CERTA_TRY(certa_asn1_time_to_unix(X509_get0_notAfter(x),
	    &r->not_after, err));
out:
	return rc;
}

/* --- transactions and audit ------------------------------------------ */

certa_rc
certa_trust_tx_begin(struct certa_ctx *c, struct certa_err *err)
{
	return certa_store_begin(certa_ctx_store(c), err);
}

certa_rc
certa_trust_tx_commit(struct certa_ctx *c, struct certa_err *err)
{
	return certa_store_commit(certa_ctx_store(c), err);
}

void
certa_trust_tx_rollback(struct certa_ctx *c)
{
	certa_store_rollback(certa_ctx_store(c));
}

/* Details are JSON of fixed keys; values are hex or list names only. */
static certa_rc
audit(struct certa_ctx *c, const char *action, const char *prefix,
    const char *name, const char *details, struct certa_err *err)
{
	char		 obj[160], *d = certa_ctx_details(c, details);
	certa_rc	 rc;

	snprintf(obj, sizeof(obj), "%s:%.128s", prefix, name);
	rc = certa_audit_append(certa_ctx_store(c), certa_ctx_actor(c), action,
	    obj, "ok", d != NULL ? d : details, err);
	free(d);
	return rc;
}

/* --- entries ---------------------------------------------------------- */

certa_rc
certa_trust_add_tx(struct certa_ctx *c, X509 *x, const char *alias,
    const char *list, const char *source, struct certa_trust_rec *out,
    struct certa_err *err)
{
	struct certa_trust_rec	 r, old;
	char			 a[CERTA_TRUST_ALIAS_MAX + 1], details[256];
	char			*cn = NULL;
	bool			 taken;
	certa_rc		 rc = CERTA_OK;

	memset(&r, 0, sizeof(r));
	memset(&old, 0, sizeof(old));
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	CERTA_TRY(rec_fill(x, &r, err));
	rc = certa_store_trust_get_fp(certa_ctx_store(c), r.fingerprint, &old, err);
	if (rc == CERTA_OK)
		CERTA_FAIL(CERTA_E_CONFLICT, "certificate %.200s (SHA-256 "
		    "%.16s...) is in the trust store already, as '%s' (%s "
		    "list)", r.subject, r.fingerprint, old.alias, old.list);
	CERTA_CHECK(rc == CERTA_E_NOTFOUND, rc, "look up certificate %.16s",
	    r.fingerprint);
	certa_err_clear(err);
	rc = CERTA_OK;
	if (alias != NULL) {
		CERTA_TRY(certa_trust_alias_check(alias, err));
		CERTA_TRY(alias_taken(certa_ctx_store(c), alias, &taken, err));
		CERTA_CHECK(!taken, CERTA_E_CONFLICT, "alias '%s' is taken "
		    "already: choose another (--alias)", alias);
		snprintf(a, sizeof(a), "%s", alias);
	} else {
		cn = certa_trust_cn(x);
		CERTA_TRY(alias_unique(certa_ctx_store(c), cn, NULL, a, err));
	}
	CERTA_CHECK((r.alias = certa_strdup(a)) != NULL &&
	    (r.list = certa_strdup(list)) != NULL &&
	    (r.source = certa_strdup(source)) != NULL, CERTA_E_NOMEM, "oom");
	CERTA_TRY(certa_store_trust_put(certa_ctx_store(c), &r, err));
	snprintf(details, sizeof(details), "{\"list\":\"%s\",\"source\":"
	    "\"%s\",\"fingerprint\":\"%s\"}", list, source, r.fingerprint);
	CERTA_TRY(audit(c, "trust.import", "trust", r.alias, details, err));
	if (out != NULL) {
		*out = r;		/* ownership moves to the caller */
		memset(&r, 0, sizeof(r));
	}
out:
	free(cn);
	certa_trust_rec_clear(&old);
	certa_trust_rec_clear(&r);
	return rc;
}

void
certa_trust_imported_clear(struct certa_trust_imported *im)
{
	size_t	 i;

	if (im == NULL)
		return;
	for (i = 0; i < im->n; i++)
		certa_trust_rec_clear(&im->recs[i]);
	free(im->recs);
	memset(im, 0, sizeof(*im));
}

/* Is x's encoding the same as one of sk[0..n)? */
static bool
seen_before(STACK_OF(X509) *sk, int n, X509 *x)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (X509_cmp(sk_X509_value(sk, i), x) == 0)
			return true;
	return false;
}

/* ALIAS for the first certificate, ALIAS-2, ALIAS-3... for the next. */
static void
nth_alias(const char *alias, size_t i, char out[CERTA_TRUST_ALIAS_MAX + 1])
{
	char	 suffix[24], base[CERTA_TRUST_ALIAS_MAX + 1];

	if (i == 0) {
		snprintf(out, CERTA_TRUST_ALIAS_MAX + 1, "%s", alias);
		return;
	}
	snprintf(suffix, sizeof(suffix), "-%zu", i + 1);
	alias_base(alias, CERTA_TRUST_ALIAS_MAX - strlen(suffix), base);
	join(base, suffix, out);
}

certa_rc
certa_trust_import(struct certa_ctx *c, const uint8_t *data, size_t len,
    const struct certa_trust_import_opts *o, struct certa_trust_imported *out,
    struct certa_err *err)
{
	STACK_OF(X509)		*sk = NULL;	/* owns elements */
	struct certa_trust_rec	*recs = NULL;
	char			 a[CERTA_TRUST_ALIAS_MAX + 1];
	const char		*list, *source;
	size_t			 n = 0, i;
	bool			 tx = false;
	certa_rc		 rc = CERTA_OK;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	CERTA_CHECK(o != NULL && (o->list == CERTA_LIST_TRUSTED ||
	    o->list == CERTA_LIST_ISSUER), CERTA_E_INVAL, "import: the list "
	    "must be trusted or issuer");
	list = list_names[o->list];
	source = o->source != NULL ? o->source : "imported";
	if (o->alias != NULL)
		CERTA_TRY(certa_trust_alias_check(o->alias, err));
	CERTA_TRY(certa_trust_parse_certs(data, len, o->password, &sk, err));
	CERTA_CHECK((recs = calloc((size_t)sk_X509_num(sk),
	    sizeof(*recs))) != NULL, CERTA_E_NOMEM, "oom");
	CERTA_TRY(certa_trust_tx_begin(c, err));
	tx = true;
	for (i = 0; i < (size_t)sk_X509_num(sk); i++) {
		X509	*x = sk_X509_value(sk, (int)i);

		if (seen_before(sk, (int)i, x))
			continue;
		if (o->alias != NULL)
			nth_alias(o->alias, n, a);
		CERTA_TRY(certa_trust_add_tx(c, x, o->alias != NULL ? a : NULL,
		    list, source, &recs[n], err));
		n++;
	}
	CERTA_TRY(certa_trust_tx_commit(c, err));
	tx = false;
	if (out != NULL) {
		out->recs = recs;	/* ownership moves to the caller */
		out->n = n;
		recs = NULL;
	}
out:
	if (tx)
		certa_trust_tx_rollback(c);
	if (recs != NULL) {
		struct certa_trust_imported im = { n, recs };

		certa_trust_imported_clear(&im);
	}
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

certa_rc
certa_trust_get(struct certa_ctx *c, const char *alias,
    struct certa_trust_rec *out, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	memset(out, 0, sizeof(*out));
	CERTA_TRY(certa_trust_alias_check(alias, err));
	CERTA_TRY(certa_store_trust_get_alias(certa_ctx_store(c), alias, out, err));
out:
	return rc;
}

certa_rc
certa_trust_move(struct certa_ctx *c, const char *alias,
    enum certa_trust_list list, bool *changed, struct certa_err *err)
{
	struct certa_trust_rec	 r;
	char			 details[128];
	bool			 tx = false;
	certa_rc		 rc = CERTA_OK;

	memset(&r, 0, sizeof(r));
	*changed = false;
	CERTA_CHECK((unsigned)list < CERTA_LIST__COUNT, CERTA_E_INVAL,
	    "move trust entry: unknown list %d", (int)list);
	CERTA_TRY(certa_trust_alias_check(alias, err));
	CERTA_TRY(certa_trust_tx_begin(c, err));
	tx = true;
	CERTA_TRY(certa_store_trust_get_alias(certa_ctx_store(c), alias, &r, err));
	if (strcmp(r.list, list_names[list]) == 0)
		goto out;		/* there already: nothing to write */
	CERTA_TRY(certa_store_trust_set_list(certa_ctx_store(c), alias,
	    list_names[list], err));
	snprintf(details, sizeof(details), "{\"from\":\"%s\",\"to\":\"%s\"}",
	    r.list, list_names[list]);
	CERTA_TRY(audit(c, "trust.move", "trust", alias, details, err));
	CERTA_TRY(certa_trust_tx_commit(c, err));
	tx = false;
	*changed = true;
out:
	if (tx)
		certa_trust_tx_rollback(c);
	certa_trust_rec_clear(&r);
	return rc;
}

certa_rc
certa_trust_delete(struct certa_ctx *c, const char *alias,
    struct certa_err *err)
{
	struct certa_trust_rec	 r;
	char			 details[160];
	bool			 tx = false;
	certa_rc		 rc = CERTA_OK;

	memset(&r, 0, sizeof(r));
	CERTA_TRY(certa_trust_alias_check(alias, err));
	CERTA_TRY(certa_trust_tx_begin(c, err));
	tx = true;
	CERTA_TRY(certa_store_trust_get_alias(certa_ctx_store(c), alias, &r, err));
	CERTA_TRY(certa_store_trust_delete(certa_ctx_store(c), alias, err));
	snprintf(details, sizeof(details), "{\"list\":\"%s\","
	    "\"fingerprint\":\"%s\"}", r.list, r.fingerprint);
	CERTA_TRY(audit(c, "trust.delete", "trust", alias, details, err));
	CERTA_TRY(certa_trust_tx_commit(c, err));
	tx = false;
out:
	if (tx)
		certa_trust_tx_rollback(c);
	certa_trust_rec_clear(&r);
	return rc;
}

certa_rc
certa_trust_export(struct certa_ctx *c, const char *alias, bool pem,
    uint8_t **out, size_t *len, struct certa_err *err)
{
	struct certa_trust_rec	 r;
	char			*s;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	*len = 0;
	CERTA_TRY(certa_trust_get(c, alias, &r, err));
	if (pem) {
		s = certa_pem_encode("CERTIFICATE", r.der, r.der_len);
		CERTA_CHECK(s != NULL, CERTA_E_NOMEM, "oom");
		*out = (uint8_t *)s;
		*len = strlen(s);
	} else {
		*out = r.der;		/* ownership moves to the caller */
		*len = r.der_len;
		r.der = NULL;
	}
out:
	certa_trust_rec_clear(&r);
	return rc;
}

/* --- show ------------------------------------------------------------- */

void
certa_trust_desc_clear(struct certa_trust_desc *d)
{
	if (d == NULL)
		return;
	free(d->subject);
	free(d->issuer);
	free(d->serial);
	free(d->key_alg);
	free(d->basic_constraints);
	free(d->cn);
	memset(d, 0, sizeof(*d));
}

static char *
bc_text(X509 *x)
{
	BASIC_CONSTRAINTS	*bc;
	char			 buf[96];
	int			 crit = -1;

	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	ERR_clear_error();
	if (bc == NULL)
		return certa_strdup(crit == -1 ? "absent" : "damaged");
	if (bc->ca && bc->pathlen != NULL)
		snprintf(buf, sizeof(buf), "CA:TRUE, pathlen:%ld%s",
		    ASN1_INTEGER_get(bc->pathlen), crit ? ", critical" : "");
	else
		snprintf(buf, sizeof(buf), "CA:%s%s", bc->ca ? "TRUE" : "FALSE",
		    crit ? ", critical" : "");
	BASIC_CONSTRAINTS_free(bc);
	return certa_strdup(buf);
}

certa_rc
certa_trust_describe(const uint8_t *der, size_t len, int64_t at,
    struct certa_trust_desc *out, struct certa_err *err)
{
	struct certa_trust_rec	 r;
	X509			*x = NULL;
	EVP_PKEY		*pk;
	char			 sha1[65];
	certa_rc		 rc = CERTA_OK;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	CERTA_TRY(certa_cert_parse(der, len, &x, err));
	CERTA_TRY(rec_fill(x, &r, err));
	out->subject = r.subject;
	out->issuer = r.issuer;
	out->serial = r.serial;
	r.subject = r.issuer = r.serial = NULL;	/* moved to out */
	out->not_before = r.not_before;
	out->not_after = r.not_after;
	memcpy(out->sha256, r.fingerprint, sizeof(out->sha256));
	certa_fingerprint(r.der, r.der_len, true, sha1);
	memcpy(out->sha1, sha1, sizeof(out->sha1));
	out->sha1[40] = '\0';
	if (at == 0)
		at = certa_now();
	out->status = at < out->not_before ? "not-yet-valid" :
	    at > out->not_after ? "expired" : "valid";
	pk = X509_get0_pubkey(x);
	ERR_clear_error();
	out->key_alg = pk != NULL ? certa_key_describe(pk) :
	    certa_strdup("unknown");
	out->basic_constraints = bc_text(x);
	out->cn = certa_trust_cn(x);
	out->is_ca = X509_check_ca(x) >= 1;
	out->self_issued = X509_NAME_cmp(X509_get_subject_name(x),
	    X509_get_issuer_name(x)) == 0;
	CERTA_CHECK(out->key_alg != NULL && out->basic_constraints != NULL,
	    CERTA_E_NOMEM, "oom");
out:
	ERR_clear_error();
	X509_free(x);
	certa_trust_rec_clear(&r);
	if (rc != CERTA_OK)
		certa_trust_desc_clear(out);
	return rc;
}

/* --- CRLs ------------------------------------------------------------ */

/* Looking for the CA that signed a CRL among trusted and issuer entries. */
struct crl_find {
	X509_CRL		*crl;		/* borrowed */
	const char		*issuer;	/* borrowed; RFC 4514 */
	const ASN1_OCTET_STRING	*akid;		/* borrowed; or NULL */
	X509			*signer;	/* owns; the CA found */
	char			*alias;		/* owns; its alias */
	bool			 name_match;	/* a CA of that name exists */
	char			 bad_sig[CERTA_TRUST_ALIAS_MAX + 1];
	char			 no_sign[CERTA_TRUST_ALIAS_MAX + 1];
};

/* Stops the walk once found; not an error (crl_find.signer says so). */
#define CRL_FOUND	CERTA_E_INTERNAL

static certa_rc
crl_find_cb(const struct certa_trust_rec *r, void *arg)
{
	struct crl_find		*f = arg;
	const unsigned char	*p = r->der;
	X509			*x = NULL;
	EVP_PKEY		*pk;
	certa_rc		 rc = CERTA_OK;

	if (strcasecmp(r->subject, f->issuer) != 0)
		goto out;
	if ((x = d2i_X509(NULL, &p, (long)r->der_len)) == NULL ||
	    X509_NAME_cmp(X509_get_subject_name(x),
	    X509_CRL_get_issuer(f->crl)) != 0)
		goto out;
	/*
	 * The authority key identifier is only a hint (RFC 5280 §4.2.1.1):
	 * every CA of that name is tried, and the signature decides.
	 */
	f->name_match = true;
	if ((pk = X509_get0_pubkey(x)) == NULL ||
	    X509_CRL_verify(f->crl, pk) != 1) {
		snprintf(f->bad_sig, sizeof(f->bad_sig), "%s", r->alias);
		goto out;
	}
	/* RFC 5280 §4.2.1.3: a CRL signer asserts cRLSign. */
	if ((X509_get_key_usage(x) & KU_CRL_SIGN) == 0) {
		snprintf(f->no_sign, sizeof(f->no_sign), "%s", r->alias);
		goto out;
	}
	if ((f->alias = certa_strdup(r->alias)) == NULL) {
		rc = CERTA_E_NOMEM;
		goto out;
	}
	f->signer = x;
	x = NULL;
	rc = CRL_FOUND;
out:
	ERR_clear_error();
	X509_free(x);
	return rc;
}

/* The stored CRL of one issuer, to compare numbers with. */
struct crl_stored {
	const char	*issuer_hash;	/* borrowed */
	const char	*key_id;	/* borrowed */
	bool		 found;
	char		 number[96];	/* hex or "" */
	char		 fp[65];
	int64_t		 this_update;
};

static certa_rc
crl_stored_cb(const struct certa_trust_crl_rec *r, void *arg)
{
	struct crl_stored	*s = arg;

	if (strcmp(r->issuer_hash, s->issuer_hash) != 0 ||
	    strcmp(r->key_id != NULL ? r->key_id : "", s->key_id) != 0)
		return CERTA_OK;
	s->found = true;
	snprintf(s->number, sizeof(s->number), "%s",
	    r->crl_number != NULL ? r->crl_number : "");
	snprintf(s->fp, sizeof(s->fp), "%s", r->fingerprint);
	s->this_update = r->this_update;
	return CERTA_OK;
}

/* Compare two non-negative hex numbers: <0, 0, >0. */
static int
hex_cmp(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);

	while (la > 1 && *a == '0') {
		a++;
		la--;
	}
	while (lb > 1 && *b == '0') {
		b++;
		lb--;
	}
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcasecmp(a, b);
}

certa_rc
certa_trust_crl_add_tx(struct certa_ctx *c, X509_CRL *crl,
    struct certa_trust_crl_rec *out, char **signer, struct certa_err *err)
{
	struct certa_trust_crl_rec	 r;
	struct crl_find			 f;
	struct crl_stored		 st;
	AUTHORITY_KEYID			*aki = NULL;
	ASN1_INTEGER			*num = NULL;
	const ASN1_OCTET_STRING		*skid;
	const ASN1_TIME			*t;
	unsigned char			*nder = NULL, *cder = NULL;
	char				 hash[65], details[256];
	int				 n;
	certa_rc			 rc = CERTA_OK;

	memset(&r, 0, sizeof(r));
	memset(&f, 0, sizeof(f));
	memset(&st, 0, sizeof(st));
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (signer != NULL)
		*signer = NULL;
	CERTA_TRY(certa_name_format(X509_CRL_get_issuer(crl), &r.issuer,
	    err));

	/* Who signed it: a trusted or issuer CA of that name and key. */
	aki = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL,
	    NULL);
	ERR_clear_error();
	f.crl = crl;
	f.issuer = r.issuer;
	f.akid = aki != NULL ? aki->keyid : NULL;
	rc = certa_store_trust_each(certa_ctx_store(c), "trusted", crl_find_cb, &f, err);
	if (rc == CERTA_OK)
		rc = certa_store_trust_each(certa_ctx_store(c), "issuer", crl_find_cb,
		    &f, err);
	if (rc == CRL_FOUND && f.signer != NULL)
		rc = CERTA_OK;
	CERTA_TRY(rc);
	CERTA_CHECK(f.name_match, CERTA_E_NOTFOUND, "the CRL's issuer "
	    "%.200s is not in the trusted or issuer list: import its CA "
	    "certificate first", r.issuer);
	CERTA_CHECK(f.signer != NULL || f.bad_sig[0] == '\0', CERTA_E_POLICY,
	    "the CRL's signature does not verify with the key of '%s' "
	    "(%.200s): refused", f.bad_sig, r.issuer);
	CERTA_CHECK(f.signer != NULL, CERTA_E_POLICY, "'%s' (%.200s) signed "
	    "the CRL but its key usage does not allow signing CRLs (cRLSign)",
	    f.no_sign, r.issuer);

	/* The record. */
	n = i2d_X509_NAME(X509_CRL_get_issuer(crl), &nder);
	CERTA_OSSL(n > 0, CERTA_E_CRYPTO, "encode the CRL's issuer");
	certa_trust_fp(nder, (size_t)n, hash);
	CERTA_CHECK((r.issuer_hash = certa_strdup(hash)) != NULL,
	    CERTA_E_NOMEM, "oom");
	skid = X509_get0_subject_key_id(f.signer);
	if (skid == NULL)
		skid = f.akid;
	if (skid != NULL) {
		CERTA_CHECK((r.key_id = malloc((size_t)ASN1_STRING_length(skid) *
		    2 + 1)) != NULL, CERTA_E_NOMEM, "oom");
		certa_hex(ASN1_STRING_get0_data(skid),
		    (size_t)ASN1_STRING_length(skid), r.key_id);
	} else {
		CERTA_CHECK((r.key_id = certa_strdup("")) != NULL,
		    CERTA_E_NOMEM, "oom");
	}
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	ERR_clear_error();
	if (num != NULL)
		CERTA_CHECK((r.crl_number = int_hex(num)) != NULL &&
		    r.crl_number[0] != '-', CERTA_E_PARSE, "the CRL number "
		    "is negative or unreadable");
	CERTA_TRY(certa_asn1_time_to_unix(X509_CRL_get0_lastUpdate(crl),
	    &r.this_update, err));
	if ((t = X509_CRL_get0_nextUpdate(crl)) != NULL)
		CERTA_TRY(certa_asn1_time_to_unix(t, &r.next_update, err));
	n = i2d_X509_CRL(crl, &cder);
	CERTA_OSSL(n > 0, CERTA_E_CRYPTO, "encode the CRL");
	CERTA_CHECK((r.der = malloc((size_t)n)) != NULL, CERTA_E_NOMEM, "oom");
	memcpy(r.der, cder, (size_t)n);
	r.der_len = (size_t)n;
	certa_trust_fp(r.der, r.der_len, hash);
	CERTA_CHECK((r.fingerprint = certa_strdup(hash)) != NULL,
	    CERTA_E_NOMEM, "oom");

	/* RFC 5280 §5.2.3: CRL numbers only grow; never go back. */
	st.issuer_hash = r.issuer_hash;
	st.key_id = r.key_id;
	CERTA_TRY(certa_store_trust_crl_each(certa_ctx_store(c), crl_stored_cb, &st,
	    err));
	if (st.found) {
		CERTA_CHECK(strcmp(st.fp, r.fingerprint) != 0,
		    CERTA_E_CONFLICT, "this CRL of '%s' is in the trust store "
		    "already", f.alias);
		if (r.crl_number != NULL && st.number[0] != '\0') {
			CERTA_CHECK(hex_cmp(r.crl_number, st.number) > 0,
			    CERTA_E_CONFLICT, "the CRL of '%s' is not newer "
			    "than the stored one (CRL number %s, stored %s)",
			    f.alias, r.crl_number, st.number);
		} else {
			CERTA_CHECK(r.this_update >= st.this_update,
			    CERTA_E_CONFLICT, "the CRL of '%s' is older than "
			    "the stored one (thisUpdate)", f.alias);
		}
	}
	CERTA_TRY(certa_store_trust_crl_put(certa_ctx_store(c), &r, err));
	snprintf(details, sizeof(details), "{\"number\":\"%.96s\","
	    "\"fingerprint\":\"%s\"}", r.crl_number != NULL ? r.crl_number :
	    "", r.fingerprint);
	CERTA_TRY(audit(c, "trust.crl.import", "trust-crl", f.alias, details,
	    err));
	if (out != NULL) {
		*out = r;		/* ownership moves to the caller */
		memset(&r, 0, sizeof(r));
	}
	if (signer != NULL) {
		*signer = f.alias;
		f.alias = NULL;
	}
out:
	AUTHORITY_KEYID_free(aki);
	ASN1_INTEGER_free(num);
	OPENSSL_free(nder);
	OPENSSL_free(cder);
	X509_free(f.signer);
	free(f.alias);
	certa_trust_crl_rec_clear(&r);
	ERR_clear_error();
	return rc;
}

certa_rc
certa_trust_crl_import(struct certa_ctx *c, const uint8_t *data, size_t len,
    struct certa_trust_crl_rec *out, char **signer, struct certa_err *err)
{
	X509_CRL	*crl = NULL;
	bool		 tx = false;
	certa_rc	 rc = CERTA_OK;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (signer != NULL)
		*signer = NULL;
	CERTA_TRY(certa_trust_parse_crl(data, len, &crl, err));
	CERTA_TRY(certa_trust_tx_begin(c, err));
	tx = true;
	CERTA_TRY(certa_trust_crl_add_tx(c, crl, out, signer, err));
	CERTA_TRY(certa_trust_tx_commit(c, err));
	tx = false;
out:
	if (tx) {
		certa_trust_tx_rollback(c);
		if (out != NULL)
			certa_trust_crl_rec_clear(out);
		if (signer != NULL) {
			free(*signer);
			*signer = NULL;
		}
	}
	X509_CRL_free(crl);
	return rc;
}

/* --- knocks ----------------------------------------------------------- */

static certa_rc
peer_check(const char *peer, struct certa_err *err)
{
	size_t		 i, n;
	certa_rc	 rc = CERTA_OK;

	if (peer == NULL)
		goto out;
	n = strlen(peer);
	CERTA_CHECK(n > 0 && n <= CERTA_MAX_PEER_ADDR, CERTA_E_INVAL,
	    "peer address of %zu bytes: 1 to %d are allowed", n,
	    CERTA_MAX_PEER_ADDR);
	for (i = 0; i < n; i++)
		CERTA_CHECK((unsigned char)peer[i] > 0x20 &&
		    (unsigned char)peer[i] < 0x7f, CERTA_E_INVAL,
		    "peer address has a byte 0x%02x that is not printable "
		    "ASCII", (unsigned char)peer[i]);
out:
	return rc;
}

certa_rc
certa_trust_record_rejected(struct certa_ctx *c, const uint8_t *leaf,
    size_t len, const char *peer_addr, bool *inserted, struct certa_err *err)
{
	struct certa_trust_rec	 r, old;
	const unsigned char	*p = leaf;
	char			 a[CERTA_TRUST_ALIAS_MAX + 1], details[160];
	char			*cn = NULL;
	X509			*x = NULL;
	bool			 ins = false, tx = false, known;
	int			 tries;
	certa_rc		 rc = CERTA_OK;

	memset(&r, 0, sizeof(r));
	memset(&old, 0, sizeof(old));
	if (inserted != NULL)
		*inserted = false;
	CERTA_TRY(peer_check(peer_addr, err));
	CERTA_CHECK(leaf != NULL && len > 0 && len <= CERTA_MAX_CERT_DER,
	    CERTA_E_PARSE, "rejected certificate of %zu bytes: 1 to %d are "
	    "allowed", len, CERTA_MAX_CERT_DER);
	x = d2i_X509(NULL, &p, (long)len);
	CERTA_OSSL(x != NULL, CERTA_E_PARSE, "the rejected certificate is not "
	    "DER");
	CERTA_CHECK(p == leaf + len, CERTA_E_PARSE, "trailing bytes after the "
	    "rejected certificate");
	CERTA_TRY(rec_fill(x, &r, err));
	cn = certa_trust_cn(x);
	CERTA_CHECK((r.list = certa_strdup("rejected")) != NULL &&
	    (r.source = certa_strdup("auto-rejected")) != NULL &&
	    (peer_addr == NULL || (r.peer_addr = certa_strdup(peer_addr)) !=
	    NULL), CERTA_E_NOMEM, "oom");
	/*
	 * Another writer may take the alias we picked between our look-up
	 * and our insert (a store without a global write lock): pick again.
	 */
	for (tries = 0; ; tries++) {
		CERTA_TRY(certa_trust_tx_begin(c, err));
		tx = true;
		certa_trust_rec_clear(&old);
		rc = certa_store_trust_get_fp(certa_ctx_store(c), r.fingerprint, &old,
		    err);
		CERTA_CHECK(rc == CERTA_OK || rc == CERTA_E_NOTFOUND, rc,
		    "record a rejected certificate");
		known = rc == CERTA_OK;
		certa_err_clear(err);
		rc = CERTA_OK;
		if (known)
			snprintf(a, sizeof(a), "%s", old.alias);
		else
			CERTA_TRY(alias_unique(certa_ctx_store(c), cn, r.fingerprint,
			    a, err));
		free(r.alias);
		CERTA_CHECK((r.alias = certa_strdup(a)) != NULL,
		    CERTA_E_NOMEM, "oom");
		r.last_seen = certa_now();
		rc = certa_store_trust_knock(certa_ctx_store(c), &r, &ins, err);
		if (rc == CERTA_E_CONFLICT && !known && tries < 3) {
			certa_trust_tx_rollback(c);
			tx = false;
			certa_err_clear(err);
			continue;
		}
		CERTA_TRY(rc);
		/*
		 * A new rejected entry is audited; a repeated knock only
		 * counts (a flood of handshakes must not flood the log).
		 */
		if (ins) {
			snprintf(details, sizeof(details), "{\"fingerprint\":"
			    "\"%s\"}", r.fingerprint);
			CERTA_TRY(audit(c, "trust.reject.auto", "trust",
			    r.alias, details, err));
		}
		CERTA_TRY(certa_trust_tx_commit(c, err));
		tx = false;
		break;
	}
	if (inserted != NULL)
		*inserted = ins;
out:
	if (tx)
		certa_trust_tx_rollback(c);
	free(cn);
	X509_free(x);
	certa_trust_rec_clear(&old);
	certa_trust_rec_clear(&r);
	return rc;
}
