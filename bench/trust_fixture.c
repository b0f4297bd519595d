/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fixture for bench/trust.sh: N trust anchors (self-signed CAs sharing one
 * P-256 key, distinct subjects), a client leaf issued by anchor N/2, and a
 * CRL of that anchor with M revoked serials (the leaf not among them).
 * Writes DIR/anchors.pem, DIR/leaf.pem, DIR/crl.pem.  Not part of CI.
 *
 * usage: trust_fixture DIR N M
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static void
die(const char *what)
{
	fprintf(stderr, "trust_fixture: %s failed\n", what);
	exit(1);
}

static void
ext(X509 *x, X509 *issuer, int nid, const char *val)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, val)) == NULL ||
	    !X509_add_ext(x, e, -1))
		die("extension");
	X509_EXTENSION_free(e);
}

static X509 *
cert(const char *cn, long serial, X509 *issuer, EVP_PKEY *key, bool ca)
{
	X509		*x = X509_new();
	X509_NAME	*n = X509_NAME_new();

	if (x == NULL || n == NULL ||
	    !X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), serial) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_subject_name(x, n) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) :
	    n) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400) ||
	    !X509_set_pubkey(x, key))
		die("certificate");
	X509_NAME_free(n);
	ext(x, issuer ? issuer : x, NID_basic_constraints, ca ?
	    "critical,CA:TRUE" : "critical,CA:FALSE");
	ext(x, issuer ? issuer : x, NID_key_usage, ca ?
	    "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	ext(x, issuer ? issuer : x, NID_subject_key_identifier, "hash");
	if (issuer != NULL) {
		ext(x, issuer, NID_authority_key_identifier, "keyid:always");
		ext(x, issuer, NID_ext_key_usage, "clientAuth");
	}
	if (!X509_sign(x, key, EVP_sha256()))
		die("sign");
	return x;
}

int
main(int argc, char **argv)
{
	EVP_PKEY	*key;
	X509		*ca = NULL, *x, *leaf;
	X509_CRL	*crl;
	ASN1_TIME	*t;
	ASN1_INTEGER	*num;
	FILE		*f;
	long		 n, m, i;
	char		 path[4096], cn[64];

	if (argc != 4)
		die("usage: trust_fixture DIR N M");
	n = strtol(argv[2], NULL, 10);
	m = strtol(argv[3], NULL, 10);
	if (n < 1 || m < 0 || (key = EVP_EC_gen("P-256")) == NULL)
		die("arguments / key");
	snprintf(path, sizeof(path), "%s/anchors.pem", argv[1]);
	if ((f = fopen(path, "w")) == NULL)
		die(path);
	for (i = 0; i < n; i++) {
		snprintf(cn, sizeof(cn), "Bench CA %ld", i);
		x = cert(cn, 0x1000 + i, NULL, key, true);
		if (!PEM_write_X509(f, x))
			die("write anchor");
		if (i == n / 2)
			ca = x;
		else
			X509_free(x);
	}
	fclose(f);
	leaf = cert("bench client", 0x7fffffffL, ca, key, false);
	snprintf(path, sizeof(path), "%s/leaf.pem", argv[1]);
	if ((f = fopen(path, "w")) == NULL || !PEM_write_X509(f, leaf))
		die(path);
	fclose(f);

	crl = X509_CRL_new();
	t = ASN1_TIME_new();
	num = ASN1_INTEGER_new();
	if (crl == NULL || t == NULL || num == NULL ||
	    !X509_CRL_set_version(crl, 1) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) ||
	    !X509_gmtime_adj(t, -60) || !X509_CRL_set1_lastUpdate(crl, t) ||
	    !X509_gmtime_adj(t, 7 * 86400) ||
	    !X509_CRL_set1_nextUpdate(crl, t) || !X509_gmtime_adj(t, -120))
		die("CRL");
	for (i = 0; i < m; i++) {
		X509_REVOKED	*r = X509_REVOKED_new();
		ASN1_INTEGER	*s = ASN1_INTEGER_new();

		if (r == NULL || s == NULL ||
		    !ASN1_INTEGER_set(s, 0x100000 + i) ||
		    !X509_REVOKED_set_serialNumber(r, s) ||
		    !X509_REVOKED_set_revocationDate(r, t) ||
		    !X509_CRL_add0_revoked(crl, r))
			die("revoked entry");
		ASN1_INTEGER_free(s);
	}
	if (!ASN1_INTEGER_set(num, 1) ||
	    !X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) ||
	    !X509_CRL_sort(crl) || !X509_CRL_sign(crl, key, EVP_sha256()))
		die("sign CRL");
	snprintf(path, sizeof(path), "%s/crl.pem", argv[1]);
	if ((f = fopen(path, "w")) == NULL || !PEM_write_X509_CRL(f, crl))
		die(path);
	fclose(f);
	X509_CRL_free(crl);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(num);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(key);
	return 0;
}
