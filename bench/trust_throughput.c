/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-process validation throughput for bench/trust.sh: builds a snapshot
 * from DIR/anchors.pem (trusted list) and DIR/crl.pem, then validates
 * DIR/leaf.pem in trusted_ca mode for SECONDS.  Prints one JSON line:
 * entries, snapshot build seconds, checks per second.  Not part of CI.
 *
 * usage: trust_throughput DIR [SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <certa/trust.h>
#include <certa/util.h>

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
load(const char *dir, const char *name, bool crl, struct certa_der_list *l)
{
	struct certa_err	 err;
	uint8_t			*data = NULL;
	size_t			 len = 0;
	char			 path[4096];

	certa_err_clear(&err);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (certa_file_read(path, 1L << 30, &data, &len, &err) != CERTA_OK ||
	    certa_trust_decode_bundle(data, len, crl, l, &err) != CERTA_OK) {
		fprintf(stderr, "trust_throughput: %s: %s\n", path, err.msg);
		exit(1);
	}
	free(data);
}

int
main(int argc, char **argv)
{
	struct certa_der_list		 anchors, crls, leaf;
	struct certa_snapshot_builder	*b = NULL;
	struct certa_snapshot		*s = NULL;
	struct certa_verify_policy	 p;
	struct certa_trust_verdict	 v;
	struct certa_err		 err;
	double				 secs = argc > 2 ? atof(argv[2]) : 2.0;
	double				 t0, tb, t1;
	long				 checks = 0;
	size_t				 i;

	if (argc < 2) {
		fprintf(stderr, "usage: trust_throughput DIR [SECONDS]\n");
		return 1;
	}
	memset(&anchors, 0, sizeof(anchors));
	memset(&crls, 0, sizeof(crls));
	memset(&leaf, 0, sizeof(leaf));
	certa_err_clear(&err);
	load(argv[1], "anchors.pem", false, &anchors);
	load(argv[1], "crl.pem", true, &crls);
	load(argv[1], "leaf.pem", false, &leaf);
	t0 = now();
	if (certa_snapshot_builder_new(&b, &err) != CERTA_OK)
		goto fail;
	for (i = 0; i < anchors.n; i++)
		if (certa_snapshot_add_cert(b, CERTA_LIST_TRUSTED,
		    anchors.der[i], anchors.len[i], NULL, &err) != CERTA_OK)
			goto fail;
	for (i = 0; i < crls.n; i++)
		if (certa_snapshot_add_crl(b, crls.der[i], crls.len[i],
		    &err) != CERTA_OK)
			goto fail;
	if (certa_snapshot_build(b, 1, &s, &err) != CERTA_OK)
		goto fail;
	tb = now() - t0;
	memset(&p, 0, sizeof(p));
	p.mode = CERTA_MODE_TRUSTED_CA;
	p.purpose = CERTA_PURPOSE_CLIENT;
	p.require_crl = true;
	t0 = now();
	do {
		if (certa_trust_validate(s, leaf.der[0], leaf.len[0], NULL,
		    NULL, 0, NULL, NULL, 0, &p, &v, &err) != CERTA_OK)
			goto fail;
		if (!v.valid) {
			fprintf(stderr, "trust_throughput: %s: %s\n", v.reason,
			    v.message);
			return 1;
		}
		certa_trust_verdict_clear(&v);
		checks++;
	} while ((t1 = now()) - t0 < secs);
	printf("{\"entries\": %zu, \"snapshot_build_s\": %.3f, "
	    "\"checks_per_s\": %.0f}\n", anchors.n, tb,
	    (double)checks / (t1 - t0));
	certa_snapshot_unref(s);
	certa_der_list_clear(&anchors);
	certa_der_list_clear(&crls);
	certa_der_list_clear(&leaf);
	return 0;
fail:
	fprintf(stderr, "trust_throughput: %s\n", err.msg);
	return 1;
}
