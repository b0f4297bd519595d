/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pure X.509 logic on OpenSSL 3 objects: names, serials, keys, CSRs,
 * certificate facts and export codecs.  No I/O and no store access here.
 */
#ifndef CERTA_CORE_H
#define CERTA_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <certa/err.h>

/* Serial numbers: RFC 5280 §4.1.2.2 positive, at most 20 octets. */
#define CERTA_SERIAL_BITS	159

/*
 * Parse a DN written as OpenSSL does ("/CN=a/O=b", first RDN first) or as
 * RFC 4514 ("CN=a,O=b", last RDN first, with \-escapes).  Multi-valued RDNs
 * use '+'.  PARSE on unknown attribute types, empty values, bad escapes.
 */
CERTA_MUST_USE certa_rc certa_name_parse(const char *s, X509_NAME **out,
    struct certa_err *err);
/* RFC 4514 text of name; malloc'ed. */
CERTA_MUST_USE certa_rc certa_name_format(const X509_NAME *name, char **out,
    struct certa_err *err);
/* Value of the first attribute nid (e.g. NID_commonName) or NULL; malloc'ed */
char	*certa_name_get_text(const X509_NAME *name, int nid);

/* A fresh CSPRNG serial of CERTA_SERIAL_BITS bits, and its hex form. */
CERTA_MUST_USE certa_rc certa_serial_new(OSSL_LIB_CTX *libctx,
    ASN1_INTEGER **out, char hex[41], struct certa_err *err);
/* Lower-case hex without leading zeros; NULL if negative or its DER
 * content would exceed 20 octets (more than 159 bits). */
char	*certa_serial_hex(const ASN1_INTEGER *serial);

/* Key specs: "ec:P-256", "ec:P-384", "ed25519", "rsa:2048|3072|4096". */
CERTA_MUST_USE certa_rc certa_key_generate(OSSL_LIB_CTX *libctx,
    const char *spec, EVP_PKEY **out, struct certa_err *err);
/* Describe a key the way specs are written ("ec:P-256"); malloc'ed. */
char	*certa_key_describe(const EVP_PKEY *pkey);
/*
 * Encrypted PKCS#8 PEM (PBES2: scrypt N=2^15 r=8 p=1, AES-256-CBC), or
 * plain PKCS#8 when pass is NULL (for user-requested key files only).
 */
CERTA_MUST_USE certa_rc certa_key_to_pem(const EVP_PKEY *pkey,
    const char *pass, char **out, size_t *len, struct certa_err *err);
/* Parse a PEM private key, encrypted (pass given) or not. */
CERTA_MUST_USE certa_rc certa_key_from_pem(OSSL_LIB_CTX *libctx,
    const char *propq, const char *pem, size_t len, const char *pass,
    EVP_PKEY **out, struct certa_err *err);
/* Digest name to sign with this key; NULL for Ed25519 (pure EdDSA). */
const char *certa_key_sign_md(const EVP_PKEY *pkey);

/* Is der/pem data PEM (starts with "-----BEGIN" after whitespace)? */
bool	certa_is_pem(const uint8_t *data, size_t len);

/* A parsed PKCS#10 request whose signature has been verified. */
struct certa_csr {
	X509_NAME	*subject;	/* owns */
	X509_ALGOR	*spki_alg;	/* owns; the key's AlgorithmIdentifier */
	ASN1_BIT_STRING	*spki_key;	/* owns; subjectPublicKey bits */
	EVP_PKEY	*pkey;		/* owns */
	GENERAL_NAMES	*sans;		/* owns; requested SANs, or NULL */
};

/*
 * Parse a CSR, PEM or DER (size ceiling CERTA_MAX_CSR_DER), and check its
 * self-signature (proof of possession).  PARSE for malformed input or
 * trailing data, POLICY when the signature does not verify or the key uses
 * explicit curve parameters.
 */
CERTA_MUST_USE certa_rc certa_csr_parse(OSSL_LIB_CTX *libctx,
    const char *propq, const uint8_t *data, size_t len,
    struct certa_csr **out, struct certa_err *err);
void	certa_csr_free(struct certa_csr *);
/*
 * Put the CSR's SubjectPublicKeyInfo, byte for byte, into x.  OpenSSL's
 * cached key of x stays unset (X509_get0_pubkey(x) is NULL until x is
 * re-parsed): use csr->pkey; decoding it again is what this avoids.
 */
CERTA_MUST_USE certa_rc certa_csr_set_spki(const struct certa_csr *csr,
    X509 *x, struct certa_err *err);

/* Parse a certificate, PEM or DER. */
CERTA_MUST_USE certa_rc certa_cert_parse(const uint8_t *data, size_t len,
    X509 **out, struct certa_err *err);
/* DER of a certificate, malloc'ed. */
CERTA_MUST_USE certa_rc certa_cert_der(X509 *x, uint8_t **out, size_t *len,
    struct certa_err *err);
/* SHA-256 (or SHA-1 when sha1) fingerprint of DER, lower-case hex. */
void	certa_fingerprint(const uint8_t *der, size_t len, bool sha1,
    char out[65]);
/* X.509 time to Unix seconds. */
CERTA_MUST_USE certa_rc certa_asn1_time_to_unix(const ASN1_TIME *t,
    int64_t *out, struct certa_err *err);
/* "DNS:a, IP:1.2.3.4, URI:x, email:y" of a GENERAL_NAMES; malloc'ed. */
char	*certa_sans_format(const GENERAL_NAMES *gens);
/*
 * Parse "DNS:x" / "IP:1.2.3.4" / "URI:x" / "email:x" into a GENERAL_NAME.
 */
CERTA_MUST_USE certa_rc certa_san_parse(const char *s, GENERAL_NAME **out,
    struct certa_err *err);

/* Export formats (codec.c). */
enum certa_format {
	CERTA_FMT_PEM = 0,
	CERTA_FMT_DER,
	CERTA_FMT_P7B,
	CERTA_FMT_P12,
	CERTA_FMT__COUNT
};
CERTA_MUST_USE certa_rc certa_format_parse(const char *s,
    enum certa_format *out, struct certa_err *err);

/* PEM of one or more certificates, concatenated; malloc'ed. */
CERTA_MUST_USE certa_rc certa_certs_pem(STACK_OF(X509) *certs, char **out,
    size_t *len, struct certa_err *err);
/* Degenerate PKCS#7 SignedData (certificates only), DER. */
CERTA_MUST_USE certa_rc certa_certs_p7b(STACK_OF(X509) *certs, uint8_t **out,
    size_t *len, struct certa_err *err);
/*
 * PKCS#12: key (may be NULL) + cert + chain.  Default AES-256-CBC with
 * PBKDF2-SHA256 and a SHA-256 MAC; legacy: 3DES/SHA-1 for old importers.
 */
CERTA_MUST_USE certa_rc certa_p12_build(OSSL_LIB_CTX *libctx,
    const char *propq, EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain,
    const char *friendly, const char *pass, bool legacy, uint8_t **out,
    size_t *len, struct certa_err *err);

#endif
