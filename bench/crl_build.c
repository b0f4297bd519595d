/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Benchmark driver: crl_build OUTDIR OUT.crl runs certa_crl_build on the
 * store that fill_revoked made in OUTDIR (CA from OUTDIR/ca.pem and the
 * unencrypted OUTDIR/ca.key), reserving the next CRL number, and writes
 * the DER CRL to OUT.crl.  Prints {"crl_bytes":..,"build_s":..} with
 * the time spent in certa_crl_build alone.  Not part of CI; to be replaced
 * by `certa crl` once the CLI has it.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <certa/limits.h>
#include <certa/store.h>

#include "ca/crl.h"
#include "ca/signer.h"
#include "core/core.h"
#include "util/util.h"

#define CRL_DAYS	7

static double
mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static certa_rc
run(const char *dir, const char *outpath, struct certa_err *err)
{
	struct certa_store	*st = NULL;
	struct certa_signer	*signer = NULL;
	struct certa_ca_rec	 ca;
	struct certa_crl_params	 p;
	EVP_PKEY		*key = NULL;
	X509			*cert = NULL;
	uint8_t			*buf = NULL, *der = NULL;
	size_t			 len = 0, der_len = 0;
	char			 path[PATH_MAX];
	double			 t0, t1;
	certa_rc		 rc = CERTA_OK;

	memset(&ca, 0, sizeof(ca));
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	CERTA_TRY(certa_file_read(path, CERTA_MAX_CERT_DER, &buf, &len, err));
	CERTA_TRY(certa_cert_parse(buf, len, &cert, err));
	free(buf);
	buf = NULL;
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	CERTA_TRY(certa_file_read(path, CERTA_MAX_INPUT_FILE, &buf, &len,
	    err));
	CERTA_TRY(certa_key_from_pem(NULL, NULL, (const char *)buf, len, NULL,
	    &key, err));
	CERTA_TRY(certa_signer_local_new_key(NULL, NULL, cert, key, &signer,
	    err));

	snprintf(path, sizeof(path), "%s/certa.db", dir);
	CERTA_TRY(certa_store_open(&st, path, err));
	CERTA_TRY(certa_store_ca_get_active(st, "root", &ca, err));
	memset(&p, 0, sizeof(p));
	p.ca_id = ca.id;
	CERTA_TRY(certa_store_ca_next_crl_number(st, ca.id, &p.number, err));
	p.this_update = certa_now();
	p.next_update = p.this_update + CRL_DAYS * 86400;

	t0 = mono();
	CERTA_TRY(certa_crl_build(st, signer, &p, &der, &der_len, err));
	t1 = mono();
	CERTA_TRY(certa_file_write(outpath, der, der_len, 0644, true, err));
	printf("{\"crl_bytes\":%zu,\"build_s\":%.3f}\n", der_len, t1 - t0);
out:
	if (buf != NULL)
		certa_free_secret(buf, len);
	free(der);
	certa_ca_rec_clear(&ca);
	certa_store_close(st);
	certa_signer_free(signer);
	EVP_PKEY_free(key);
	X509_free(cert);
	return rc;
}

int
main(int argc, char **argv)
{
	struct certa_err	 err = { 0 };
	certa_rc		 rc;

	if (argc != 3) {
		fprintf(stderr, "usage: crl_build OUTDIR OUT.crl\n");
		return 2;
	}
	rc = run(argv[1], argv[2], &err);
	if (rc != CERTA_OK) {
		fprintf(stderr, "crl_build: %s: %s\n", certa_rc_name(rc),
		    err.msg);
		return 1;
	}
	return 0;
}
