/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issuance from CSRs or server-generated keys.
 *
 * HOW IT WORKS (ARCHITECTURE invariants 1 and 2).  A batch is cut into
 * chunks.  For each chunk:
 *   A. prepare (parallel): parse and verify each CSR (or generate the key),
 *      apply the profile, build the to-be-signed certificate, draw a serial;
 *   B. reserve (one thread): BEGIN; insert every row with its serial and no
 *      DER; a serial clash (UNIQUE per issuer) draws a new serial;
 *   C. sign (parallel): the signer re-checks and signs each certificate;
 *   D. finish (one thread): attach DER + fingerprint to each row, append
 *      the audit records, COMMIT (fsync'ed).
 * Only after D returns are certificates handed to the caller, so a crash
 * at any point leaves either nothing (rolled back) or complete rows.  If
 * any signature fails in C, the chunk is rolled back and replayed without
 * the failed request: no row ever stays reserved without its certificate.
 * Phase A of chunk k+1 runs on the worker threads while one thread does
 * phase D of chunk k, so the store's single writer and the cores overlap.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <certa/limits.h>

#include "audit/audit.h"
#include "ca/ctx.h"
#include "core/core.h"
#include "util/util.h"

#define ISSUE_CHUNK		512
#define ISSUE_MAX_THREADS	8
#define ISSUE_SERIAL_TRIES	8
#define ISSUE_BACKDATE		60	/* seconds, for client clock skew */

struct job {
	const struct certa_issue_req	*req;		/* borrowed */
	struct certa_issue_result	*res;		/* borrowed */
	const struct certa_profile	*profile;	/* borrowed */
	X509				*x;		/* owns */
	char				*key_pem;	/* owns; encrypted */
	size_t				 key_pem_len;
	char				 serial[41];
	struct certa_cert_rec		 rec;		/* strings owned */
	uint8_t				*der;		/* owns */
	size_t				 der_len;
	char				 fp[65];
	bool				 ok;
};

struct batch {
	struct certa_ctx	*ctx;		/* borrowed */
	const char		*pass;		/* borrowed; for keygen keys */
	struct job		*jobs;		/* borrowed */
	size_t			 n;
	atomic_size_t		 next;
	certa_rc		 (*fn)(struct batch *, struct job *);
	pthread_t		 th[ISSUE_MAX_THREADS];
	size_t			 started;
};

static void
job_fail(struct job *j, certa_rc rc, const struct certa_err *e)
{
	j->ok = false;
	j->res->rc = rc;
	if (e != NULL)
		j->res->err = *e;
}

/* Set SANs from the CSR and the request; NULL when none. */
static certa_rc
collect_sans(const struct certa_issue_req *r, const struct certa_csr *csr,
    GENERAL_NAMES **out, struct certa_err *err)
{
	GENERAL_NAMES	*gens = NULL;
	GENERAL_NAME	*g = NULL;
	size_t		 i;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	if (csr != NULL && csr->sans != NULL)
		CERTA_OSSL((gens = sk_GENERAL_NAME_deep_copy(csr->sans,
		    GENERAL_NAME_dup, GENERAL_NAME_free)) != NULL,
		    CERTA_E_NOMEM, "oom");
	for (i = 0; i < r->nsans; i++) {
		if (gens == NULL)
			CERTA_OSSL((gens = GENERAL_NAMES_new()) != NULL,
			    CERTA_E_NOMEM, "oom");
		CERTA_TRY(certa_san_parse(r->sans[i], &g, err));
		CERTA_OSSL(sk_GENERAL_NAME_push(gens, g), CERTA_E_NOMEM,
		    "oom");
		g = NULL;
	}
	CERTA_CHECK(sk_GENERAL_NAME_num(gens) <= 100, CERTA_E_POLICY,
	    "more than 100 subject alternative names");
	if (sk_GENERAL_NAME_num(gens) > 0) {
		*out = gens;
		gens = NULL;
	}
out:
	GENERAL_NAME_free(g);
	GENERAL_NAMES_free(gens);
	return rc;
}

static certa_rc
add_eku(X509 *x, const struct certa_profile *p, struct certa_err *err)
{
	EXTENDED_KEY_USAGE	*eku = NULL;
	size_t			 i;
	certa_rc		 rc = CERTA_OK;

	if (p->neku == 0)
		goto out;
	CERTA_OSSL((eku = sk_ASN1_OBJECT_new_null()) != NULL, CERTA_E_NOMEM,
	    "oom");
	for (i = 0; i < p->neku; i++)
		CERTA_OSSL(sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(p->eku[i])),
		    CERTA_E_NOMEM, "oom");
	CERTA_OSSL(X509_add1_ext_i2d(x, NID_ext_key_usage, eku, 0,
	    X509V3_ADD_REPLACE), CERTA_E_CRYPTO, "add extendedKeyUsage");
out:
	sk_ASN1_OBJECT_free(eku);	/* objects are static */
	return rc;
}

/*
 * The final validator (STYLE §10): what is about to be signed matches the
 * profile and the issuer, whatever the steps before did.
 */
static certa_rc
check_tbs(struct certa_ctx *c, X509 *x, struct certa_err *err)
{
	int		 i, j, n = X509_get_ext_count(x);
	int64_t		 nb, na;
	certa_rc	 rc = CERTA_OK;

	for (i = 0; i < n; i++) {
		const ASN1_OBJECT *o = X509_EXTENSION_get_object(
		    X509_get_ext(x, i));

		for (j = i + 1; j < n; j++)
			CERTA_CHECK(OBJ_cmp(o, X509_EXTENSION_get_object(
			    X509_get_ext(x, j))) != 0, CERTA_E_INTERNAL,
			    "duplicate extension %s", OBJ_nid2sn(OBJ_obj2nid(o)));
	}
	CERTA_CHECK(X509_check_ca(x) == 0, CERTA_E_INTERNAL,
	    "a leaf would be a CA");
	/* Caching extensions of an unsigned certificate queues errors. */
	ERR_clear_error();
	CERTA_TRY(certa_asn1_time_to_unix(X509_get0_notBefore(x), &nb, err));
	CERTA_TRY(certa_asn1_time_to_unix(X509_get0_notAfter(x), &na, err));
	CERTA_CHECK(nb < na, CERTA_E_POLICY, "empty validity period");
	CERTA_CHECK(X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(c->issuing_cert)) == 0, CERTA_E_INTERNAL,
	    "issuer name mismatch");
out:
	return rc;
}

static certa_rc
prepare(struct batch *b, struct job *j)
{
	struct certa_ctx		*c = b->ctx;
	const struct certa_issue_req	*r = j->req;
	struct certa_err		 e, *err = &e;
	struct certa_csr		*csr = NULL;
	EVP_PKEY			*pkey = NULL;	/* borrowed or owned */
	EVP_PKEY			*genkey = NULL;	/* owns */
	X509				*old = NULL;	/* owns; same key */
	X509_NAME			*subject = NULL;
	GENERAL_NAMES			*sans = NULL;
	ASN1_INTEGER			*serial = NULL;
	X509				*x = NULL;
	int64_t				 now = certa_now(), validity, nb, na;
	int64_t				 ca_nb, ca_na;
	certa_rc			 rc = CERTA_OK;

	certa_err_clear(&e);
	CERTA_CHECK((r->csr != NULL) + (r->keygen != NULL) +
	    (r->same_key_der != NULL) == 1, CERTA_E_INVAL,
	    "give either a CSR or a key type to generate, not both");
	if (r->same_key_der != NULL) {
		const unsigned char *p = r->same_key_der;

		/* Renewal with the same key: the predecessor's public key. */
		CERTA_OSSL((old = d2i_X509(NULL, &p,
		    (long)r->same_key_der_len)) != NULL &&
		    (pkey = X509_get0_pubkey(old)) != NULL, CERTA_E_PARSE,
		    "read the predecessor's public key");
		CERTA_CHECK(r->subject != NULL, CERTA_E_INVAL,
		    "renewal with the same key needs a subject");
	} else if (r->csr != NULL) {
		CERTA_TRY(certa_csr_parse(c->libctx, c->propq, r->csr,
		    r->csr_len, &csr, err));
		pkey = csr->pkey;
	} else {
		CERTA_CHECK(r->subject != NULL, CERTA_E_INVAL,
		    "server-side key generation needs a subject");
		CERTA_TRY(certa_key_generate(c->libctx, r->keygen, &genkey,
		    err));
		pkey = genkey;
	}
	CERTA_TRY(certa_profile_check_key(j->profile, pkey, err));
	if (r->subject != NULL)
		CERTA_TRY(certa_name_parse(r->subject, &subject, err));
	else
		CERTA_OSSL((subject = X509_NAME_dup(csr->subject)) != NULL,
		    CERTA_E_NOMEM, "oom");
	CERTA_TRY(certa_profile_check_subject(j->profile, subject, err));
	CERTA_TRY(collect_sans(r, csr, &sans, err));
	if (sans != NULL)
		CERTA_TRY(certa_profile_check_sans(j->profile, sans, err));

	validity = r->validity ? r->validity : j->profile->default_validity;
	if (r->not_after != 0) {
		/* Reissue: the predecessor's end, whatever the profile's
		 * default (it was inside the maximum when first issued). */
		CERTA_CHECK(r->not_after > now, CERTA_E_POLICY, "the "
		    "requested end of validity has passed");
		validity = r->not_after - now;
	}
	CERTA_CHECK(validity <= j->profile->max_validity, CERTA_E_POLICY,
	    "validity of %" PRId64 " days exceeds the maximum of %" PRId64
	    " days for type '%s'", validity / 86400,
	    j->profile->max_validity / 86400, j->profile->name);
	CERTA_TRY(certa_asn1_time_to_unix(X509_get0_notBefore(c->issuing_cert),
	    &ca_nb, err));
	CERTA_TRY(certa_asn1_time_to_unix(X509_get0_notAfter(c->issuing_cert),
	    &ca_na, err));
	CERTA_CHECK(now < ca_na, CERTA_E_POLICY, "the issuing CA has expired");
	nb = now - ISSUE_BACKDATE > ca_nb ? now - ISSUE_BACKDATE : ca_nb;
	/* The validity is kept inside the issuer's (RFC 5280 §6.1.3). */
	na = now + validity < ca_na ? now + validity : ca_na;

	CERTA_OSSL((x = X509_new_ex(c->libctx, c->propq)) != NULL,
	    CERTA_E_NOMEM, "oom");
	CERTA_OSSL(X509_set_version(x, X509_VERSION_3), CERTA_E_CRYPTO,
	    "set version");
	CERTA_TRY(certa_serial_new(c->libctx, &serial, j->serial, err));
	CERTA_OSSL(X509_set_serialNumber(x, serial), CERTA_E_CRYPTO,
	    "set serial");
	CERTA_OSSL(X509_set_issuer_name(x, X509_get_subject_name(
	    c->issuing_cert)) && X509_set_subject_name(x, subject),
	    CERTA_E_CRYPTO, "set names");
	if (csr != NULL)
		CERTA_TRY(certa_csr_set_spki(csr, x, err));
	else
		CERTA_OSSL(X509_set_pubkey(x, pkey), CERTA_E_CRYPTO,
		    "set public key");
	CERTA_TRY(certa_build_set_validity(x, nb, na, err));
	CERTA_OSSL(X509_add_ext(x, c->ext_bc, -1), CERTA_E_CRYPTO,
	    "add basicConstraints");
	CERTA_TRY(certa_build_ku(x, certa_profile_key_usage(j->profile, pkey),
	    err));
	CERTA_TRY(add_eku(x, j->profile, err));
	CERTA_TRY(certa_build_ski(x, err));
	CERTA_OSSL(X509_add_ext(x, c->ext_aki, -1), CERTA_E_CRYPTO, "add AKI");
	if (sans != NULL)
		/* RFC 5280 §4.2.1.6: critical when the subject is empty. */
		CERTA_OSSL(X509_add1_ext_i2d(x, NID_subject_alt_name, sans,
		    X509_NAME_entry_count(subject) == 0, X509V3_ADD_REPLACE),
		    CERTA_E_CRYPTO, "add subjectAltName");
	CERTA_OSSL(X509_add_ext(x, c->ext_crldp, -1) &&
	    X509_add_ext(x, c->ext_aia, -1), CERTA_E_CRYPTO,
	    "add CRL distribution point and AIA");
	CERTA_TRY(check_tbs(c, x, err));

	if (genkey != NULL)
		CERTA_TRY(certa_key_to_pem(genkey, b->pass, &j->key_pem,
		    &j->key_pem_len, err));
	j->rec.ca_id = c->issuing.id;
	j->rec.app_id = r->app_id;
	j->rec.serial = j->serial;
	j->rec.type = (char *)j->profile->name;
	j->rec.profile = (char *)j->profile->name;
	CERTA_TRY(certa_name_format(subject, &j->rec.subject, err));
	j->rec.sans = sans ? certa_sans_format(sans) : NULL;
	CERTA_CHECK((j->rec.key_alg = certa_key_describe(pkey)) != NULL,
	    CERTA_E_NOMEM, "oom");
	j->rec.not_before = nb;
	j->rec.not_after = na;
	j->rec.status = CERTA_CERT_VALID;
	j->rec.reason = CERTA_REASON_NONE;
	j->rec.predecessor_id = r->predecessor_id;
	j->rec.key_pem = j->key_pem;
	j->rec.created_at = now;
	j->x = x;
	x = NULL;
	j->ok = true;
out:
	if (rc != CERTA_OK)
		job_fail(j, rc, &e);
	X509_free(x);
	ASN1_INTEGER_free(serial);
	GENERAL_NAMES_free(sans);
	X509_NAME_free(subject);
	EVP_PKEY_free(genkey);
	X509_free(old);
	certa_csr_free(csr);
	return rc;
}

static certa_rc
sign(struct batch *b, struct job *j)
{
	struct certa_err	 e, *err = &e;
	certa_rc		 rc = CERTA_OK;

	certa_err_clear(&e);
	CERTA_TRY(certa_signer_sign_cert(b->ctx->signer, j->x, err));
	CERTA_TRY(certa_cert_der(j->x, &j->der, &j->der_len, err));
	certa_fingerprint(j->der, j->der_len, false, j->fp);
out:
	if (rc != CERTA_OK)
		job_fail(j, rc, &e);
	return rc;
}

static void *
worker(void *arg)
{
	struct batch	*b = arg;
	size_t		 i;

	while ((i = atomic_fetch_add(&b->next, 1)) < b->n)
		if (b->jobs[i].ok)
			(void)b->fn(b, &b->jobs[i]);
	return NULL;
}

static size_t
nthreads(void)
{
	const char	*env = getenv("CERTA_THREADS");
	long		 n;

	n = env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > ISSUE_MAX_THREADS ? ISSUE_MAX_THREADS : (size_t)n;
}

/* Start fn over every ok job of b on nthreads() threads; see run_wait. */
static void
run_start(struct batch *b, certa_rc (*fn)(struct batch *, struct job *))
{
	size_t	i, nt = nthreads();

	b->fn = fn;
	b->started = 0;
	atomic_store(&b->next, 0);
	if (nt > b->n)
		nt = b->n;
	for (i = 0; i < nt; i++)
		if (pthread_create(&b->th[b->started], NULL, worker, b) == 0)
			b->started++;
}

/* Wait for run_start's threads; the caller helps with what is left. */
static void
run_wait(struct batch *b)
{
	size_t	i;

	worker(b);
	for (i = 0; i < b->started; i++)
		pthread_join(b->th[i], NULL);
	b->started = 0;
}

static void
parallel(struct batch *b, certa_rc (*fn)(struct batch *, struct job *))
{
	run_start(b, fn);
	run_wait(b);
}

static void
job_clear(struct job *j)
{
	X509_free(j->x);
	if (j->key_pem != NULL)
		certa_free_secret(j->key_pem, j->key_pem_len);
	free(j->rec.subject);
	free(j->rec.sans);
	free(j->rec.key_alg);
	free(j->der);
	memset(j, 0, sizeof(*j));
}

static certa_rc
reserve(struct certa_ctx *c, struct job *j, struct certa_err *err)
{
	ASN1_INTEGER	*serial = NULL;
	int		 tries;
	certa_rc	 rc = CERTA_OK;

	for (tries = 0; ; tries++) {
		rc = certa_store_cert_reserve(c->store, &j->rec, err);
		if (rc != CERTA_E_CONFLICT || tries >= ISSUE_SERIAL_TRIES)
			break;
		/* A clash of 159 random bits: draw again (invariant 2). */
		certa_err_clear(err);
		ASN1_INTEGER_free(serial);
		serial = NULL;
		CERTA_TRY(certa_serial_new(c->libctx, &serial, j->serial, err));
		CERTA_OSSL(X509_set_serialNumber(j->x, serial), CERTA_E_CRYPTO,
		    "set serial");
	}
out:
	ASN1_INTEGER_free(serial);
	return rc;
}

/*
 * Phases B and C: BEGIN, reserve every row, sign every certificate.
 * Returns with the transaction open and every ok job signed, replaying the
 * chunk without any request whose reservation or signature failed.
 */
static certa_rc
reserve_and_sign(struct batch *b, struct certa_err *err)
{
	struct certa_ctx	*c = b->ctx;
	size_t			 i;
	bool			 tx = false, replay;
	certa_rc		 rc = CERTA_OK;

	do {
		replay = false;
		CERTA_TRY(certa_store_begin(c->store, err));
		tx = true;
		for (i = 0; i < b->n && !replay; i++) {
			struct certa_err e;

			if (!b->jobs[i].ok)
				continue;
			certa_err_clear(&e);
			rc = reserve(c, &b->jobs[i], &e);
			if (rc == CERTA_E_STORE || rc == CERTA_E_AGAIN) {
				if (err != NULL)
					*err = e;
				goto out;
			}
			if (rc != CERTA_OK) {
				/* e.g. an unknown app id: this job only */
				job_fail(&b->jobs[i], rc, &e);
				replay = true;
			}
			rc = CERTA_OK;
		}
		if (!replay) {
			parallel(b, sign);
			for (i = 0; i < b->n; i++)
				if (b->jobs[i].rec.id != 0 && !b->jobs[i].ok)
					replay = true;
		}
		if (replay) {
			certa_store_rollback(c->store);
			tx = false;
			for (i = 0; i < b->n; i++)
				b->jobs[i].rec.id = 0;
		}
	} while (replay);
	tx = false;	/* handed to finish_and_commit */
out:
	if (tx)
		certa_store_rollback(c->store);
	return rc;
}

/* Phase D: attach DER, append audit records, COMMIT; or roll back. */
static certa_rc
finish_and_commit(struct batch *b, struct certa_err *err)
{
	struct certa_ctx		*c = b->ctx;
	struct certa_audit_chain	 chain = { false, 0, "" };
	char				 obj[64], more[96];
	char				*details = NULL;
	size_t				 i;
	certa_rc			 rc = CERTA_OK;

	for (i = 0; i < b->n; i++) {
		struct job	*j = &b->jobs[i];
		int64_t		 req_id = j->req->request_id;

		if (!j->ok)
			continue;
		CERTA_TRY(certa_store_cert_finish(c->store, j->rec.id, j->der,
		    j->der_len, j->fp, err));
		/* An approved request becomes issued in this same commit. */
		if (req_id != 0)
			CERTA_TRY(certa_store_request_transition(c->store,
			    req_id, "approved", "issued", NULL, NULL,
			    j->rec.id, certa_now(), err));
		snprintf(obj, sizeof(obj), "cert:%" PRId64, j->rec.id);
		snprintf(more, sizeof(more), "{\"request\":%" PRId64
		    ",\"predecessor\":%" PRId64 "}", req_id,
		    j->rec.predecessor_id);
		free(details);
		details = certa_ctx_details(c, req_id != 0 ||
		    j->rec.predecessor_id != 0 ? more : NULL);
		CERTA_TRY(certa_audit_append_chain(c->store, &chain, c->actor,
		    "cert.issue", obj, "ok", details, err));
	}
	CERTA_TRY(certa_store_commit(c->store, err));
out:
	free(details);
	if (rc != CERTA_OK)
		certa_store_rollback(c->store);
	return rc;
}

/* Set up a chunk: jobs for reqs[0..n), profiles looked up. */
static void
chunk_setup(struct batch *b, struct certa_ctx *c, const char *pass,
    struct job *jobs, const struct certa_issue_req *reqs,
    struct certa_issue_result *res, size_t n)
{
	size_t	i;

	memset(jobs, 0, sizeof(jobs[0]) * n);
	b->ctx = c;
	b->pass = pass;
	b->jobs = jobs;
	b->n = n;
	for (i = 0; i < n; i++) {
		struct certa_err	e;
		certa_rc		rc;

		certa_err_clear(&e);
		jobs[i].req = &reqs[i];
		jobs[i].res = &res[i];
		jobs[i].ok = true;
		if (reqs[i].type == NULL)
			job_fail(&jobs[i], certa_err_set(&e, CERTA_E_INVAL,
			    __FILE__, __LINE__, "no certificate type"), &e);
		else if ((rc = certa_profiles_find(&c->profiles, reqs[i].type,
		    &jobs[i].profile, &e)) != CERTA_OK)
			job_fail(&jobs[i], rc, &e);
	}
}

/* After the commit: hand the committed records to the caller. */
static void
chunk_results(struct batch *b, certa_rc rc, const struct certa_err *cerr)
{
	size_t	i;

	for (i = 0; i < b->n; i++) {
		struct job		*j = &b->jobs[i];
		struct certa_err	 e;
		certa_rc		 grc;

		if (!j->ok)
			continue;
		if (rc != CERTA_OK) {
			j->res->rc = rc;
			if (cerr != NULL)
				j->res->err = *cerr;
			continue;
		}
		certa_err_clear(&e);
		grc = certa_store_cert_get(b->ctx->store, j->rec.id,
		    &j->res->rec, &e);
		j->res->rc = grc;
		if (grc != CERTA_OK)
			j->res->err = e;
	}
}

static void
chunk_clear(struct batch *b)
{
	size_t	i;

	for (i = 0; i < b->n; i++)
		job_clear(&b->jobs[i]);
	b->n = 0;
}

/*
 * The pipeline: while one thread reserves, finishes and commits chunk k,
 * the worker threads already prepare chunk k+1 (double-buffered jobs).
 */
certa_rc
certa_issue_batch(struct certa_ctx *c, const struct certa_issue_req *reqs,
    size_t n, struct certa_issue_result *res, struct certa_err *err)
{
	char		*pass = NULL;
	struct job	*jobs[2] = { NULL, NULL };
	struct batch	 b[2];
	size_t		 off, len, next_len, i, cur = 0;
	bool		 keygen = false;
	certa_rc	 rc = CERTA_OK;

	memset(res, 0, n * sizeof(*res));
	memset(b, 0, sizeof(b));
	CERTA_TRY(certa_ctx_load_profiles(c, err));
	CERTA_TRY(certa_ctx_load_signer(c, err));
	for (i = 0; i < n; i++)
		keygen |= reqs[i].keygen != NULL;
	/* Server-generated client keys are stored encrypted (invariant 5). */
	if (keygen)
		CERTA_TRY(certa_ctx_passphrase(c->dir, c->pass_file, &pass, err));
	CERTA_CHECK((jobs[0] = calloc(ISSUE_CHUNK, sizeof(struct job))) !=
	    NULL && (jobs[1] = calloc(ISSUE_CHUNK, sizeof(struct job))) !=
	    NULL, CERTA_E_NOMEM, "oom");
	if (n == 0)
		goto out;

	len = n < ISSUE_CHUNK ? n : ISSUE_CHUNK;
	chunk_setup(&b[0], c, pass, jobs[0], reqs, res, len);
	parallel(&b[0], prepare);
	for (off = 0; off < n; off += len, len = next_len, cur ^= 1) {
		struct batch		*now = &b[cur], *nxt = &b[cur ^ 1];
		struct certa_err	 e;
		certa_rc		 crc;

		certa_err_clear(&e);
		crc = reserve_and_sign(now, &e);
		/* Prepare the next chunk while this one is committed. */
		next_len = n - off - len < ISSUE_CHUNK ? n - off - len :
		    ISSUE_CHUNK;
		if (next_len > 0) {
			chunk_setup(nxt, c, pass, jobs[cur ^ 1], reqs + off +
			    len, res + off + len, next_len);
			run_start(nxt, prepare);
		}
		if (crc == CERTA_OK)
			crc = finish_and_commit(now, &e);
		chunk_results(now, crc, &e);
		chunk_clear(now);
		if (next_len > 0)
			run_wait(nxt);
		if (crc == CERTA_E_STORE || crc == CERTA_E_AGAIN) {
			/* Later chunks would fail alike: report them too. */
			rc = crc;
			if (err != NULL)
				*err = e;
			for (i = off + len; i < n; i++) {
				res[i].rc = crc;
				res[i].err = e;
			}
			chunk_clear(nxt);
			goto out;
		}
	}
out:
	if (rc != CERTA_OK) {
		for (i = 0; i < n; i++)
			if (res[i].rc == CERTA_OK && res[i].rec.id == 0) {
				res[i].rc = rc;
				if (err != NULL)
					res[i].err = *err;
			}
	}
	free(jobs[0]);
	free(jobs[1]);
	if (pass != NULL)
		certa_free_secret(pass, strlen(pass) + 1);
	return rc;
}

certa_rc
certa_issue(struct certa_ctx *c, const struct certa_issue_req *req,
    struct certa_cert_rec *out, struct certa_err *err)
{
	struct certa_issue_result	 res;
	certa_rc			 rc = CERTA_OK;

	memset(out, 0, sizeof(*out));
	memset(&res, 0, sizeof(res));
	CERTA_TRY(certa_issue_batch(c, req, 1, &res, err));
	if (res.rc != CERTA_OK) {
		if (err != NULL)
			*err = res.err;
		rc = res.rc;
		goto out;
	}
	*out = res.rec;
	memset(&res.rec, 0, sizeof(res.rec));
out:
	certa_cert_rec_clear(&res.rec);
	return rc;
}
