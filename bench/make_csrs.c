/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Benchmark fixture: make_csrs OUTDIR N [KEYSPEC] writes N fresh key pairs'
 * CSRs (PEM, CN=bench-i) as OUTDIR/NNNNNN.csr, for bench/issue.sh.  The
 * keys are thrown away.  Not part of CI.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <certa/certa.h>
#include <certa/util.h>

int
main(int argc, char **argv)
{
	struct certa_err	 err;
	char			*key, *csr, subj[64], path[4096];
	long			 n, i;
	certa_rc		 rc;

	if (argc < 3) {
		fprintf(stderr, "usage: make_csrs OUTDIR N [KEYSPEC]\n");
		return 2;
	}
	n = strtol(argv[2], NULL, 10);
	certa_lib_init();
	for (i = 0; i < n; i++) {
		certa_err_clear(&err);
		snprintf(subj, sizeof(subj), "CN=bench-%ld,O=bench", i);
		rc = certa_csr_generate(argc > 3 ? argv[3] : "ec:P-256", subj,
		    NULL, 0, NULL, &key, &csr, &err);
		if (rc != CERTA_OK) {
			fprintf(stderr, "make_csrs: %s\n", err.msg);
			return 1;
		}
		snprintf(path, sizeof(path), "%s/%06ld.csr", argv[1], i);
		rc = certa_file_write(path, csr, strlen(csr), 0644, true, &err);
		certa_free_secret(key, strlen(key) + 1);
		free(csr);
		if (rc != CERTA_OK) {
			fprintf(stderr, "make_csrs: %s\n", err.msg);
			return 1;
		}
	}
	return 0;
}
