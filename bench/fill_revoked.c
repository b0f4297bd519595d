/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Benchmark fixture: fill_revoked OUTDIR N creates OUTDIR/certa.db with one
 * P-256 root CA and N revoked certificate rows, and the same data for
 * `openssl ca -gencrl`: OUTDIR/ca.pem, OUTDIR/ca.key (unencrypted, for the
 * bench only), OUTDIR/index.txt, OUTDIR/crlnumber and OUTDIR/openssl.cnf.
 * Uses only the public store API plus core; not part of CI.  Run openssl
 * in OUTDIR: the config's paths are relative.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <certa/store.h>

#include "core/core.h"
#include "util/util.h"

#define ROWS_PER_TX	10000
#define SPREAD		(90 * 86400)	/* revocations over 90 days */

/* openssl ca's reason names (apps/ca.c crl_reasons), by RFC 5280 code. */
static const char *const reason_name[] = {
	"unspecified", "keyCompromise", "CACompromise", "affiliationChanged",
	"superseded", "cessationOfOperation", "certificateHold", NULL,
	"removeFromCRL", "privilegeWithdrawn", "AACompromise",
};
/* A plausible mix: mostly unspecified, superseded, keyCompromise. */
static const int reason_mix[] = { 0, 0, 4, 4, 1, 5, 3, 0 };

/* A self-signed CA certificate with the extensions a CRL issuer needs. */
static certa_rc
make_ca(EVP_PKEY *key, int64_t now, X509 **out, struct certa_err *err)
{
	X509			*x = NULL;
	X509_NAME		*name = NULL;
	BASIC_CONSTRAINTS	*bc = NULL;
	ASN1_BIT_STRING		*ku = NULL;
	ASN1_OCTET_STRING	*ski = NULL;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;
	time_t			 t = (time_t)now;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_OSSL((x = X509_new()) != NULL && X509_set_version(x,
	    X509_VERSION_3) && ASN1_INTEGER_set(X509_get_serialNumber(x), 1),
	    CERTA_E_NOMEM, "oom");
	CERTA_TRY(certa_name_parse("/O=certa bench/CN=Bench Root CA", &name,
	    err));
	CERTA_OSSL(X509_set_subject_name(x, name) &&
	    X509_set_issuer_name(x, name) &&
	    X509_time_adj_ex(X509_getm_notBefore(x), -(SPREAD / 86400) - 1, 0,
	    &t) && X509_time_adj_ex(X509_getm_notAfter(x), 3650, 0,
	    &t) && X509_set_pubkey(x, key), CERTA_E_CRYPTO,
	    "fill CA certificate");
	CERTA_OSSL((bc = BASIC_CONSTRAINTS_new()) != NULL, CERTA_E_NOMEM,
	    "oom");
	bc->ca = 1;
	CERTA_OSSL((ku = ASN1_BIT_STRING_new()) != NULL &&
	    ASN1_BIT_STRING_set_bit(ku, 5, 1) &&
	    ASN1_BIT_STRING_set_bit(ku, 6, 1), CERTA_E_NOMEM, "oom");
	CERTA_OSSL(X509_pubkey_digest(x, EVP_sha1(), md, &mdlen) &&
	    (ski = ASN1_OCTET_STRING_new()) != NULL &&
	    ASN1_OCTET_STRING_set(ski, md, (int)mdlen), CERTA_E_NOMEM, "oom");
	CERTA_OSSL(X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1,
	    X509V3_ADD_DEFAULT) == 1 && X509_add1_ext_i2d(x, NID_key_usage,
	    ku, 1, X509V3_ADD_DEFAULT) == 1 && X509_add1_ext_i2d(x,
	    NID_subject_key_identifier, ski, 0, X509V3_ADD_DEFAULT) == 1,
	    CERTA_E_CRYPTO, "add CA extensions");
	CERTA_OSSL(X509_sign(x, key, EVP_sha256()) > 0, CERTA_E_CRYPTO,
	    "self-sign the CA certificate");
	*out = x;
	x = NULL;
out:
	ASN1_OCTET_STRING_free(ski);
	ASN1_BIT_STRING_free(ku);
	BASIC_CONSTRAINTS_free(bc);
	X509_NAME_free(name);
	X509_free(x);
	return rc;
}

/* YYMMDDHHMMSSZ as openssl ca's index.txt wants it. */
static void
index_time(int64_t t, char out[64])
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	gmtime_r(&tt, &tm);
	snprintf(out, 64, "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static certa_rc
write_text(const char *dir, const char *name, const char *text, int mode,
    struct certa_err *err)
{
	char	 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return certa_file_write(path, text, strlen(text), mode, true, err);
}

static certa_rc
write_config(const char *dir, struct certa_err *err)
{
	char		 cnf[1024];
	certa_rc	 rc = CERTA_OK;

	/*
	 * The same CRL shape as certa's: v2, AKI keyid, cRLNumber.  Paths are
	 * relative: run openssl ca in dir.
	 */
	snprintf(cnf, sizeof(cnf),
	    "# written by bench/fill_revoked for openssl ca -gencrl\n"
	    "[ ca ]\n"
	    "default_ca = bench\n"
	    "[ bench ]\n"
	    "dir = .\n"
	    "database = $dir/index.txt\n"
	    "crlnumber = $dir/crlnumber\n"
	    "unique_subject = no\n"
	    "default_md = sha256\n"
	    "default_crl_days = 7\n"
	    "crl_extensions = crl_ext\n"
	    "[ crl_ext ]\n"
	    "authorityKeyIdentifier = keyid:always\n");
	CERTA_TRY(write_text(dir, "openssl.cnf", cnf, 0644, err));
	CERTA_TRY(write_text(dir, "crlnumber", "01\n", 0644, err));
	CERTA_TRY(write_text(dir, "index.txt.attr", "unique_subject = no\n",
	    0644, err));
out:
	return rc;
}

static certa_rc
fill(const char *dir, long n, struct certa_err *err)
{
	struct certa_store	*st = NULL;
	struct certa_ca_rec	 ca;
	struct certa_cert_rec	 rec;
	EVP_PKEY		*key = NULL;
	X509			*cert = NULL;
	ASN1_INTEGER		*ai = NULL;
	FILE			*idx = NULL;
	BIO			*bio = NULL;
	char			 path[PATH_MAX], serial[41], upper[43];
	char			 exp[64], rev[64], fp[65], *pem = NULL;
	uint8_t			*der = NULL;
	static const uint8_t	 dummy[] = { 0x30, 0x00 };
	size_t			 der_len = 0, pem_len = 0, i, j;
	int64_t			 now = certa_now(), at;
	long			 k;
	int			 reason;
	bool			 in_tx = false;
	certa_rc		 rc = CERTA_OK;

	memset(&ca, 0, sizeof(ca));
	CERTA_TRY(certa_mkdirs(dir, 0755, err));
	snprintf(path, sizeof(path), "%s/certa.db", dir);
	CERTA_CHECK(access(path, F_OK) != 0, CERTA_E_CONFLICT,
	    "%s exists; fill_revoked wants a fresh directory", path);
	CERTA_TRY(certa_store_open(&st, path, err));

	/* The CA, in the store and as files for openssl ca. */
	CERTA_TRY(certa_key_generate(NULL, "ec:P-256", &key, err));
	CERTA_TRY(make_ca(key, now, &cert, err));
	CERTA_TRY(certa_cert_der(cert, &der, &der_len, err));
	ca.name = (char *)"root";
	ca.role = (char *)"root";
	ca.status = (char *)"active";
	ca.cert_der = der;
	ca.cert_der_len = der_len;
	ca.created_at = now;
	CERTA_TRY(certa_store_ca_put(st, &ca, err));
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	CERTA_OSSL((bio = BIO_new_file(path, "w")) != NULL &&
	    PEM_write_bio_X509(bio, cert), CERTA_E_IO, "write %s", path);
	/* Unencrypted on purpose: a throw-away bench key for openssl ca. */
	CERTA_TRY(certa_key_to_pem(key, NULL, &pem, &pem_len, err));
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	CERTA_TRY(certa_file_write(path, pem, pem_len, 0600, true, err));
	CERTA_TRY(write_config(dir, err));

	snprintf(path, sizeof(path), "%s/index.txt", dir);
	CERTA_CHECK((idx = fopen(path, "w")) != NULL, CERTA_E_IO, "open %s",
	    path);
	index_time(now + 365 * 86400, exp);
	for (k = 0; k < n; k++) {
		if (k % ROWS_PER_TX == 0) {
			if (in_tx)
				CERTA_TRY(certa_store_commit(st, err));
			in_tx = false;
			CERTA_TRY(certa_store_begin(st, err));
			in_tx = true;
		}
		memset(&rec, 0, sizeof(rec));
		rec.ca_id = ca.id;
		rec.type = (char *)"transport";
		rec.profile = (char *)"default";
		rec.subject = (char *)"CN=x";
		rec.key_alg = (char *)"ec:P-256";
		rec.not_before = now - SPREAD - 86400;
		rec.not_after = now + 365 * 86400;
		rec.created_at = rec.not_before;
		rec.serial = serial;
		do {
			ASN1_INTEGER_free(ai);
			ai = NULL;
			CERTA_TRY(certa_serial_new(NULL, &ai, serial, err));
			rc = certa_store_cert_reserve(st, &rec, err);
		} while (rc == CERTA_E_CONFLICT);
		CERTA_TRY(rc);
		certa_fingerprint(dummy, sizeof(dummy), false, fp);
		CERTA_TRY(certa_store_cert_finish(st, rec.id, dummy,
		    sizeof(dummy), fp, err));
		/* Spread over SPREAD seconds: few repeated seconds. */
		at = now - SPREAD + (int64_t)((double)k * SPREAD / (double)n);
		reason = reason_mix[k % (long)(sizeof(reason_mix) /
		    sizeof(reason_mix[0]))];
		CERTA_TRY(certa_store_cert_revoke(st, rec.id, at, reason,
		    err));

		/* index.txt: even-length upper-case hex, as openssl ca. */
		j = 0;
		if (strlen(serial) % 2 == 1)
			upper[j++] = '0';
		for (i = 0; serial[i] != '\0'; i++)
			upper[j++] = (char)(serial[i] >= 'a' ?
			    serial[i] - 'a' + 'A' : serial[i]);
		upper[j] = '\0';
		index_time(at, rev);
		/* Unspecified: no reason, as certa omits it (RFC 5280). */
		CERTA_CHECK(fprintf(idx, "R\t%s\t%s%s%s\t%s\tunknown\t/CN=x\n",
		    exp, rev, reason ? "," : "", reason ? reason_name[reason] :
		    "", upper) > 0, CERTA_E_IO, "write index.txt");
	}
	if (in_tx)
		CERTA_TRY(certa_store_commit(st, err));
	in_tx = false;
	CERTA_CHECK(fclose(idx) == 0, CERTA_E_IO, "close index.txt");
	idx = NULL;
out:
	if (in_tx)
		certa_store_rollback(st);
	if (idx != NULL)
		fclose(idx);
	if (pem != NULL)
		certa_free_secret(pem, pem_len);
	BIO_free(bio);
	ASN1_INTEGER_free(ai);
	free(der);
	X509_free(cert);
	EVP_PKEY_free(key);
	certa_store_close(st);
	return rc;
}

int
main(int argc, char **argv)
{
	struct certa_err	 err = { 0 };
	char			*end;
	long			 n;
	certa_rc		 rc;

	if (argc != 3) {
		fprintf(stderr, "usage: fill_revoked OUTDIR N\n");
		return 2;
	}
	n = strtol(argv[2], &end, 10);
	if (*argv[2] == '\0' || *end != '\0' || n < 0) {
		fprintf(stderr, "fill_revoked: bad N '%s'\n", argv[2]);
		return 2;
	}
	rc = fill(argv[1], n, &err);
	if (rc != CERTA_OK) {
		fprintf(stderr, "fill_revoked: %s: %s\n", certa_rc_name(rc),
		    err.msg);
		return 1;
	}
	return 0;
}
