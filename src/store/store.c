/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The public certa_store_* functions: pick a backend for a DSN, check the
 * arguments every backend would otherwise check alike, and dispatch through
 * the backend's ops table (store_impl.h).  Also the record *_clear()
 * functions.  No SQL here, and no backend-specific knowledge beyond the list
 * of backends.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_impl.h"
#include "util/util.h"

/*
 * Backends in the order they are asked whether they accept a DSN.  SQLite
 * takes any bare path, so it comes last: a backend with a URI scheme
 * ("postgresql://") must be asked before it.
 */
static const struct certa_store_ops *const backends[] = {
	&certa_store_postgres_ops,
	&certa_store_sqlite_ops,
};

/* Every backend's struct certa_store starts with struct certa_store_base. */
static const struct certa_store_ops *
ops(const struct certa_store *s)
{
	return ((const struct certa_store_base *)(const void *)s)->ops;
}

static void
free_secret_str(char *p)
{
	if (p != NULL)
		certa_free_secret(p, strlen(p));
}

void
certa_org_rec_clear(struct certa_org_rec *r)
{
	if (r == NULL)
		return;
	free(r->name);
	memset(r, 0, sizeof(*r));
}

void
certa_app_rec_clear(struct certa_app_rec *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->org_name);
	memset(r, 0, sizeof(*r));
}

void
certa_ca_rec_clear(struct certa_ca_rec *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->role);
	free(r->status);
	free(r->cert_der);
	free_secret_str(r->key_pem);
	memset(r, 0, sizeof(*r));
}

void
certa_cert_rec_clear(struct certa_cert_rec *r)
{
	if (r == NULL)
		return;
	free(r->serial);
	free(r->type);
	free(r->profile);
	free(r->subject);
	free(r->sans);
	free(r->key_alg);
	free(r->fingerprint);
	free(r->der);
	free_secret_str(r->key_pem);
	memset(r, 0, sizeof(*r));
}

void
certa_audit_rec_clear(struct certa_audit_rec *r)
{
	if (r == NULL)
		return;
	free(r->actor);
	free(r->action);
	free(r->object);
	free(r->outcome);
	free(r->details);
	memset(r, 0, sizeof(*r));
}

certa_rc
certa_store_open(struct certa_store **out, const char *dsn,
    struct certa_err *err)
{
	size_t		 i;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(out != NULL, CERTA_E_INVAL, "open store: no out pointer");
	*out = NULL;
	CERTA_CHECK(dsn != NULL && *dsn != '\0', CERTA_E_STORE,
	    "open store: no store named (empty DSN)");
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		if (backends[i]->accepts(dsn)) {
			CERTA_TRY(backends[i]->open(out, dsn, err));
			goto out;
		}
	}
	CERTA_FAIL(CERTA_E_STORE, "open store '%s': no store backend handles "
	    "it (use \"sqlite:PATH\", a file path or \"postgresql://...\")",
	    dsn);
out:
	return rc;
}

void
certa_store_close(struct certa_store *s)
{
	if (s == NULL)
		return;
	ops(s)->close(s);
}

const char *
certa_store_backend(const struct certa_store *s)
{
	return ops(s)->name;
}

int
certa_store_schema_version(const struct certa_store *s)
{
	return ops(s)->schema_version(s);
}

certa_rc
certa_store_begin(struct certa_store *s, struct certa_err *err)
{
	return ops(s)->begin(s, err);
}

certa_rc
certa_store_commit(struct certa_store *s, struct certa_err *err)
{
	return ops(s)->commit(s, err);
}

void
certa_store_rollback(struct certa_store *s)
{
	if (s == NULL)
		return;
	ops(s)->rollback(s);
}

certa_rc
certa_store_meta_get(struct certa_store *s, const char *key, char **out,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(out != NULL, CERTA_E_INVAL, "meta get: no out pointer");
	*out = NULL;
	CERTA_CHECK(key != NULL, CERTA_E_INVAL, "meta get: no key");
	CERTA_TRY(ops(s)->meta_get(s, key, out, err));
out:
	return rc;
}

certa_rc
certa_store_meta_set(struct certa_store *s, const char *key,
    const char *value, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(key != NULL && value != NULL, CERTA_E_INVAL,
	    "meta set: no key or value");
	CERTA_TRY(ops(s)->meta_set(s, key, value, err));
out:
	return rc;
}

certa_rc
certa_store_org_put(struct certa_store *s, struct certa_org_rec *rec,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->name != NULL, CERTA_E_INVAL,
	    "add organisation: no name");
	CERTA_TRY(ops(s)->org_put(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_org_get(struct certa_store *s, int64_t id, const char *name,
    struct certa_org_rec *out, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(out != NULL, CERTA_E_INVAL, "get organisation: no out");
	memset(out, 0, sizeof(*out));
	CERTA_TRY(ops(s)->org_get(s, id, name, out, err));
out:
	return rc;
}

certa_rc
certa_store_org_each(struct certa_store *s, certa_store_org_fn fn, void *arg,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(fn != NULL, CERTA_E_INVAL, "list organisations: no "
	    "callback");
	CERTA_TRY(ops(s)->org_each(s, fn, arg, err));
out:
	return rc;
}

certa_rc
certa_store_app_put(struct certa_store *s, struct certa_app_rec *rec,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->name != NULL && rec->org_id > 0,
	    CERTA_E_INVAL, "add application: no name or organisation");
	CERTA_TRY(ops(s)->app_put(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_app_get(struct certa_store *s, int64_t id,
    struct certa_app_rec *out, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(out != NULL, CERTA_E_INVAL, "get application: no out");
	memset(out, 0, sizeof(*out));
	CERTA_TRY(ops(s)->app_get(s, id, out, err));
out:
	return rc;
}

certa_rc
certa_store_app_find(struct certa_store *s, const char *org_name,
    const char *name, struct certa_app_rec *out, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(out != NULL && name != NULL, CERTA_E_INVAL,
	    "find application: no name or out");
	memset(out, 0, sizeof(*out));
	CERTA_TRY(ops(s)->app_find(s, org_name, name, out, err));
out:
	return rc;
}

certa_rc
certa_store_app_each(struct certa_store *s, int64_t org_id,
    certa_store_app_fn fn, void *arg, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(fn != NULL, CERTA_E_INVAL, "list applications: no "
	    "callback");
	CERTA_TRY(ops(s)->app_each(s, org_id, fn, arg, err));
out:
	return rc;
}

certa_rc
certa_store_ca_put(struct certa_store *s, struct certa_ca_rec *rec,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->name != NULL && rec->role != NULL &&
	    rec->cert_der != NULL && rec->cert_der_len > 0, CERTA_E_INVAL,
	    "add CA: name, role and certificate are required");
	CERTA_TRY(ops(s)->ca_put(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_ca_get(struct certa_store *s, int64_t id,
    struct certa_ca_rec *out, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(out != NULL, CERTA_E_INVAL, "get CA: no out");
	memset(out, 0, sizeof(*out));
	CERTA_TRY(ops(s)->ca_get(s, id, out, err));
out:
	return rc;
}

certa_rc
certa_store_ca_get_active(struct certa_store *s, const char *role,
    struct certa_ca_rec *out, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(out != NULL && role != NULL, CERTA_E_INVAL,
	    "get active CA: no role or out");
	memset(out, 0, sizeof(*out));
	CERTA_TRY(ops(s)->ca_get_active(s, role, out, err));
out:
	return rc;
}

certa_rc
certa_store_ca_each(struct certa_store *s, certa_store_ca_fn fn, void *arg,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(fn != NULL, CERTA_E_INVAL, "list CAs: no callback");
	CERTA_TRY(ops(s)->ca_each(s, fn, arg, err));
out:
	return rc;
}

certa_rc
certa_store_ca_next_crl_number(struct certa_store *s, int64_t ca_id,
    int64_t *out, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(out != NULL, CERTA_E_INVAL, "next CRL number: no out");
	*out = 0;
	CERTA_TRY(ops(s)->ca_next_crl_number(s, ca_id, out, err));
out:
	return rc;
}

certa_rc
certa_store_cert_reserve(struct certa_store *s, struct certa_cert_rec *rec,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->serial != NULL && rec->ca_id > 0,
	    CERTA_E_INVAL, "reserve serial: no CA or serial");
	CERTA_CHECK(rec->der == NULL || rec->der_len > 0, CERTA_E_INVAL,
	    "reserve serial %s: empty DER", rec->serial);
	CERTA_TRY(ops(s)->cert_reserve(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_org_import(struct certa_store *s, const struct certa_org_rec *rec,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->id > 0 && rec->name != NULL,
	    CERTA_E_INVAL, "import organisation: no id or name");
	CERTA_TRY(ops(s)->org_import(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_app_import(struct certa_store *s, const struct certa_app_rec *rec,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->id > 0 && rec->org_id > 0 &&
	    rec->name != NULL, CERTA_E_INVAL, "import application: no id, "
	    "organisation or name");
	CERTA_TRY(ops(s)->app_import(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_ca_import(struct certa_store *s, const struct certa_ca_rec *rec,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->id > 0 && rec->name != NULL &&
	    rec->role != NULL && rec->status != NULL && rec->cert_der != NULL &&
	    rec->cert_der_len > 0, CERTA_E_INVAL, "import CA: no id, name, "
	    "role, status or certificate");
	CERTA_TRY(ops(s)->ca_import(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_cert_import(struct certa_store *s, const struct certa_cert_rec *rec,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->id > 0 && rec->serial != NULL &&
	    rec->ca_id > 0, CERTA_E_INVAL, "import certificate: no id, CA or "
	    "serial");
	CERTA_CHECK(rec->der == NULL || rec->der_len > 0, CERTA_E_INVAL,
	    "import certificate %lld: empty DER", (long long)rec->id);
	CERTA_CHECK(rec->status >= CERTA_CERT_VALID &&
	    rec->status < CERTA_CERT_STATUS__COUNT, CERTA_E_INVAL, "import "
	    "certificate %lld: bad status", (long long)rec->id);
	CERTA_TRY(ops(s)->cert_import(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_cert_finish(struct certa_store *s, int64_t id,
    const uint8_t *der, size_t der_len, const char *fingerprint,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(der != NULL && der_len > 0 && fingerprint != NULL,
	    CERTA_E_INVAL, "store certificate %lld: no DER or fingerprint",
	    (long long)id);
	CERTA_TRY(ops(s)->cert_finish(s, id, der, der_len, fingerprint, err));
out:
	return rc;
}

certa_rc
certa_store_cert_get(struct certa_store *s, int64_t id,
    struct certa_cert_rec *out, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(out != NULL, CERTA_E_INVAL, "get certificate: no out");
	memset(out, 0, sizeof(*out));
	CERTA_TRY(ops(s)->cert_get(s, id, out, err));
out:
	return rc;
}

certa_rc
certa_store_cert_get_serial(struct certa_store *s, const char *serial,
    struct certa_cert_rec *out, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(out != NULL, CERTA_E_INVAL, "get certificate: no out");
	memset(out, 0, sizeof(*out));
	CERTA_CHECK(serial != NULL, CERTA_E_INVAL, "get certificate: no "
	    "serial");
	CERTA_TRY(ops(s)->cert_get_serial(s, serial, out, err));
out:
	return rc;
}

certa_rc
certa_store_cert_each(struct certa_store *s, const struct certa_cert_filter *f,
    certa_store_cert_fn fn, void *arg, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(f != NULL && fn != NULL, CERTA_E_INVAL,
	    "list certificates: no filter or callback");
	CERTA_CHECK(f->status >= -1 && f->status < CERTA_CERT_STATUS__COUNT,
	    CERTA_E_INVAL, "list certificates: bad status filter %d",
	    f->status);
	CERTA_TRY(ops(s)->cert_each(s, f, fn, arg, err));
out:
	return rc;
}

certa_rc
certa_store_cert_revoke(struct certa_store *s, int64_t id,
    int64_t revoked_at, int reason, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	/*
	 * RFC 5280 §5.3.1: CRLReason 0..10; 7 is not assigned.  Revocation is
	 * permanent: certificateHold (6) and removeFromCRL (8) are refused.
	 */
	CERTA_CHECK(reason >= 0 && reason <= 10 && reason != 6 && reason != 7 &&
	    reason != 8, CERTA_E_INVAL,
	    "revoke certificate %lld: bad reason code %d", (long long)id,
	    reason);
	CERTA_TRY(ops(s)->cert_revoke(s, id, revoked_at, reason, err));
out:
	return rc;
}

certa_rc
certa_store_revoked_each(struct certa_store *s, int64_t ca_id,
    certa_store_revoked_fn fn, void *arg, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(fn != NULL, CERTA_E_INVAL, "list revoked: no callback");
	CERTA_TRY(ops(s)->revoked_each(s, ca_id, fn, arg, err));
out:
	return rc;
}

certa_rc
certa_store_audit_append(struct certa_store *s,
    const struct certa_audit_rec *rec, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->seq > 0 && rec->actor != NULL &&
	    rec->action != NULL && rec->object != NULL &&
	    rec->outcome != NULL, CERTA_E_INVAL, "append audit record: "
	    "seq, actor, action, object and outcome are required");
	CERTA_CHECK(memchr(rec->prev_hash, '\0', sizeof(rec->prev_hash)) !=
	    NULL && memchr(rec->hash, '\0', sizeof(rec->hash)) != NULL,
	    CERTA_E_INVAL, "append audit record %lld: unterminated hash",
	    (long long)rec->seq);
	CERTA_TRY(ops(s)->audit_append(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_audit_last(struct certa_store *s, int64_t *seq, char hash[65],
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(seq != NULL && hash != NULL, CERTA_E_INVAL,
	    "last audit record: no out");
	*seq = 0;
	hash[0] = '\0';
	CERTA_TRY(ops(s)->audit_last(s, seq, hash, err));
out:
	return rc;
}

certa_rc
certa_store_audit_each(struct certa_store *s, int64_t since,
    certa_store_audit_fn fn, void *arg, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(fn != NULL, CERTA_E_INVAL, "list audit records: no "
	    "callback");
	CERTA_TRY(ops(s)->audit_each(s, since, fn, arg, err));
out:
	return rc;
}

void
certa_trust_rec_clear(struct certa_trust_rec *r)
{
	if (r == NULL)
		return;
	free(r->alias);
	free(r->list);
	free(r->der);
	free(r->fingerprint);
	free(r->subject);
	free(r->issuer);
	free(r->serial);
	free(r->source);
	free(r->peer_addr);
	free(r->subject_key);
	memset(r, 0, sizeof(*r));
}

void
certa_trust_crl_rec_clear(struct certa_trust_crl_rec *r)
{
	if (r == NULL)
		return;
	free(r->issuer);
	free(r->issuer_hash);
	free(r->key_id);
	free(r->crl_number);
	free(r->der);
	free(r->fingerprint);
	memset(r, 0, sizeof(*r));
}

static bool
one_of(const char *s, const char *const *set)
{
	for (; s != NULL && *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return true;
	return false;
}

static const char *const trust_lists[] = { "trusted", "issuer", "rejected",
    NULL };
static const char *const trust_sources[] = { "imported", "auto-rejected",
    "issued", "cluster", NULL };

/* What every trust entry written needs, whatever the backend. */
static certa_rc
trust_rec_check(const struct certa_trust_rec *r, bool knock,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(r != NULL && r->alias != NULL && r->der != NULL &&
	    r->der_len > 0 && r->fingerprint != NULL && r->subject != NULL &&
	    r->issuer != NULL && r->serial != NULL, CERTA_E_INVAL,
	    "store trust entry: alias, DER, fingerprint, subject, issuer and "
	    "serial are required");
	CERTA_CHECK(knock || one_of(r->list, trust_lists), CERTA_E_INVAL,
	    "store trust entry '%s': unknown list '%s'", r->alias,
	    r->list != NULL ? r->list : "(none)");
	CERTA_CHECK(r->source == NULL || one_of(r->source, trust_sources),
	    CERTA_E_INVAL, "store trust entry '%s': unknown source '%s'",
	    r->alias, r->source);
out:
	return rc;
}

certa_rc
certa_store_trust_put(struct certa_store *s, struct certa_trust_rec *rec,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(trust_rec_check(rec, false, err));
	CERTA_TRY(ops(s)->trust_put(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_trust_get_alias(struct certa_store *s, const char *alias,
    struct certa_trust_rec *out, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(out != NULL && alias != NULL, CERTA_E_INVAL,
	    "get trust entry: no alias or out");
	memset(out, 0, sizeof(*out));
	CERTA_TRY(ops(s)->trust_get_alias(s, alias, out, err));
out:
	return rc;
}

certa_rc
certa_store_trust_get_fp(struct certa_store *s, const char *fingerprint,
    struct certa_trust_rec *out, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(out != NULL && fingerprint != NULL, CERTA_E_INVAL,
	    "get trust entry: no fingerprint or out");
	memset(out, 0, sizeof(*out));
	CERTA_TRY(ops(s)->trust_get_fp(s, fingerprint, out, err));
out:
	return rc;
}

certa_rc
certa_store_trust_each(struct certa_store *s, const char *list,
    certa_store_trust_fn fn, void *arg, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(fn != NULL, CERTA_E_INVAL, "list trust entries: no "
	    "callback");
	CERTA_CHECK(list == NULL || one_of(list, trust_lists), CERTA_E_INVAL,
	    "list trust entries: unknown list '%s'", list);
	CERTA_TRY(ops(s)->trust_each(s, list, fn, arg, err));
out:
	return rc;
}

certa_rc
certa_store_trust_each_subject(struct certa_store *s, const char *subject_key,
    certa_store_trust_fn fn, void *arg, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(fn != NULL && subject_key != NULL, CERTA_E_INVAL,
	    "list trust entries by subject: no key or callback");
	CERTA_TRY(ops(s)->trust_each_subject(s, subject_key, fn, arg, err));
out:
	return rc;
}

certa_rc
certa_store_trust_unkeyed(struct certa_store *s, int64_t *out,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(out != NULL, CERTA_E_INVAL, "count unindexed trust "
	    "entries: no out");
	*out = 0;
	CERTA_TRY(ops(s)->trust_unkeyed(s, out, err));
out:
	return rc;
}

certa_rc
certa_store_trust_set_list(struct certa_store *s, const char *alias,
    const char *list, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(alias != NULL, CERTA_E_INVAL, "move trust entry: no "
	    "alias");
	CERTA_CHECK(one_of(list, trust_lists), CERTA_E_INVAL,
	    "move trust entry '%s': unknown list '%s'", alias,
	    list != NULL ? list : "(none)");
	CERTA_TRY(ops(s)->trust_set_list(s, alias, list, err));
out:
	return rc;
}

certa_rc
certa_store_trust_delete(struct certa_store *s, const char *alias,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(alias != NULL, CERTA_E_INVAL, "delete trust entry: no "
	    "alias");
	CERTA_TRY(ops(s)->trust_delete(s, alias, err));
out:
	return rc;
}

certa_rc
certa_store_trust_knock(struct certa_store *s, struct certa_trust_rec *rec,
    bool *inserted, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(inserted != NULL, CERTA_E_INVAL, "record knock: no out");
	*inserted = false;
	CERTA_TRY(trust_rec_check(rec, true, err));
	CERTA_TRY(ops(s)->trust_knock(s, rec, inserted, err));
out:
	return rc;
}

certa_rc
certa_store_trust_crl_put(struct certa_store *s,
    struct certa_trust_crl_rec *rec, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->issuer != NULL &&
	    rec->issuer_hash != NULL && rec->der != NULL && rec->der_len > 0 &&
	    rec->fingerprint != NULL, CERTA_E_INVAL, "store CRL: issuer, "
	    "issuer hash, DER and fingerprint are required");
	CERTA_TRY(ops(s)->trust_crl_put(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_trust_crl_each(struct certa_store *s,
    certa_store_trust_crl_fn fn, void *arg, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(fn != NULL, CERTA_E_INVAL, "list CRLs: no callback");
	CERTA_TRY(ops(s)->trust_crl_each(s, fn, arg, err));
out:
	return rc;
}

certa_rc
certa_store_trust_crl_delete(struct certa_store *s, int64_t id,
    struct certa_err *err)
{
	return ops(s)->trust_crl_delete(s, id, err);
}

certa_rc
certa_store_trust_generation(struct certa_store *s, uint64_t *out,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(out != NULL, CERTA_E_INVAL, "trust generation: no out");
	*out = 0;
	CERTA_TRY(ops(s)->trust_generation(s, out, err));
out:
	return rc;
}

certa_rc
certa_store_trust_generation_fast(struct certa_store *s, uint64_t *out,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	if (ops(s)->trust_generation_fast == NULL)
		return certa_store_trust_generation(s, out, err);
	CERTA_CHECK(out != NULL, CERTA_E_INVAL, "trust generation: no out");
	*out = 0;
	CERTA_TRY(ops(s)->trust_generation_fast(s, out, err));
out:
	return rc;
}

certa_rc
certa_store_watch(struct certa_store *s, certa_store_change_fn fn,
    void *arg, struct certa_store_watch **out, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(out != NULL, CERTA_E_INVAL, "watch the store: no out");
	*out = NULL;
	if (ops(s)->watch == NULL)
		goto out;		/* no feed: the caller polls */
	CERTA_TRY(ops(s)->watch(s, fn, arg, out, err));
out:
	return rc;
}

void
certa_store_unwatch(struct certa_store_watch *w)
{
	if (w != NULL)
		((struct certa_store_watch_base *)(void *)w)->unwatch(w);
}

/* --- organisations and applications: rename, delete ------------------ */

certa_rc
certa_store_org_rename(struct certa_store *s, int64_t id, const char *name,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(id > 0 && name != NULL, CERTA_E_INVAL, "rename "
	    "organisation: no id or name");
	CERTA_TRY(ops(s)->org_rename(s, id, name, err));
out:
	return rc;
}

certa_rc
certa_store_app_rename(struct certa_store *s, int64_t id, const char *name,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(id > 0 && name != NULL, CERTA_E_INVAL, "rename "
	    "application: no id or name");
	CERTA_TRY(ops(s)->app_rename(s, id, name, err));
out:
	return rc;
}

certa_rc
certa_store_org_delete(struct certa_store *s, int64_t id,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(id > 0, CERTA_E_INVAL, "delete organisation: no id");
	CERTA_TRY(ops(s)->org_delete(s, id, err));
out:
	return rc;
}

certa_rc
certa_store_app_delete(struct certa_store *s, int64_t id,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(id > 0, CERTA_E_INVAL, "delete application: no id");
	CERTA_TRY(ops(s)->app_delete(s, id, err));
out:
	return rc;
}

certa_rc
certa_store_cert_count_valid(struct certa_store *s, int64_t org_id,
    int64_t app_id, int64_t at, int64_t *out, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(out != NULL, CERTA_E_INVAL, "count certificates: no out");
	*out = 0;
	CERTA_CHECK(org_id > 0 || app_id > 0, CERTA_E_INVAL, "count "
	    "certificates: no organisation or application");
	CERTA_TRY(ops(s)->cert_count_valid(s, org_id, app_id, at, out, err));
out:
	return rc;
}

/* --- tokens and the role map ----------------------------------------- */

static const char *const role_map_kinds[] = { "subject", "fingerprint",
    NULL };

void
certa_token_rec_clear(struct certa_token_rec *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->name);
	free(r->secret_hash);
	free(r->created_by);
	memset(r, 0, sizeof(*r));
}

void
certa_role_map_rec_clear(struct certa_role_map_rec *r)
{
	if (r == NULL)
		return;
	free(r->kind);
	free(r->value);
	memset(r, 0, sizeof(*r));
}

certa_rc
certa_store_token_put(struct certa_store *s,
    const struct certa_token_rec *rec, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->id != NULL && rec->name != NULL &&
	    rec->secret_hash != NULL && rec->created_by != NULL,
	    CERTA_E_INVAL, "add token: missing id, name, hash or creator");
	CERTA_TRY(ops(s)->token_put(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_token_get(struct certa_store *s, const char *id, const char *name,
    struct certa_token_rec *out, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(out != NULL, CERTA_E_INVAL, "get token: no out");
	memset(out, 0, sizeof(*out));
	CERTA_CHECK(id != NULL || name != NULL, CERTA_E_INVAL, "get token: "
	    "no id or name");
	CERTA_TRY(ops(s)->token_get(s, id, name, out, err));
out:
	return rc;
}

certa_rc
certa_store_token_each(struct certa_store *s, certa_store_token_fn fn,
    void *arg, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(fn != NULL, CERTA_E_INVAL, "list tokens: no callback");
	CERTA_TRY(ops(s)->token_each(s, fn, arg, err));
out:
	return rc;
}

certa_rc
certa_store_token_revoke(struct certa_store *s, const char *id,
    int64_t revoked_at, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(id != NULL && revoked_at > 0, CERTA_E_INVAL, "revoke "
	    "token: no id or time");
	CERTA_TRY(ops(s)->token_revoke(s, id, revoked_at, err));
out:
	return rc;
}

certa_rc
certa_store_token_touch(struct certa_store *s, const char *id, int64_t at,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(id != NULL, CERTA_E_INVAL, "touch token: no id");
	CERTA_TRY(ops(s)->token_touch(s, id, at, err));
out:
	return rc;
}

certa_rc
certa_store_role_map_set(struct certa_store *s,
    struct certa_role_map_rec *rec, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->kind != NULL && rec->value != NULL,
	    CERTA_E_INVAL, "map role: no kind or value");
	CERTA_CHECK(one_of(rec->kind, role_map_kinds), CERTA_E_INVAL,
	    "map role: unknown kind '%.32s'", rec->kind);
	CERTA_TRY(ops(s)->role_map_set(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_role_map_get(struct certa_store *s, const char *kind,
    const char *value, struct certa_role_map_rec *out, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(out != NULL, CERTA_E_INVAL, "get role mapping: no out");
	memset(out, 0, sizeof(*out));
	CERTA_CHECK(kind != NULL && value != NULL, CERTA_E_INVAL, "get role "
	    "mapping: no kind or value");
	CERTA_TRY(ops(s)->role_map_get(s, kind, value, out, err));
out:
	return rc;
}

certa_rc
certa_store_role_map_delete(struct certa_store *s, const char *kind,
    const char *value, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(kind != NULL && value != NULL, CERTA_E_INVAL, "remove "
	    "role mapping: no kind or value");
	CERTA_TRY(ops(s)->role_map_delete(s, kind, value, err));
out:
	return rc;
}

certa_rc
certa_store_role_map_each(struct certa_store *s, certa_store_role_map_fn fn,
    void *arg, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(fn != NULL, CERTA_E_INVAL, "list role mappings: no "
	    "callback");
	CERTA_TRY(ops(s)->role_map_each(s, fn, arg, err));
out:
	return rc;
}

/* --- lifecycle requests ------------------------------------------------ */

void
certa_request_rec_clear(struct certa_request_rec *r)
{
	if (r == NULL)
		return;
	free(r->kind);
	free(r->state);
	free(r->type);
	free(r->csr);
	free(r->keygen);
	free(r->subject);
	free(r->sans);
	free(r->requested_by);
	free(r->requested_role);
	free(r->decided_by);
	free(r->comment);
	memset(r, 0, sizeof(*r));
}

certa_rc
certa_store_request_put(struct certa_store *s, struct certa_request_rec *rec,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec->kind != NULL && rec->state != NULL &&
	    rec->requested_by != NULL, CERTA_E_INVAL, "add request: no kind, "
	    "state or requester");
	CERTA_TRY(ops(s)->request_put(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_request_get(struct certa_store *s, int64_t id,
    struct certa_request_rec *out, struct certa_err *err)
{
	memset(out, 0, sizeof(*out));
	return ops(s)->request_get(s, id, out, err);
}

certa_rc
certa_store_request_each(struct certa_store *s,
    const struct certa_request_filter *f, certa_store_request_fn fn,
    void *arg, struct certa_err *err)
{
	struct certa_request_filter	 none;

	if (f == NULL) {
		memset(&none, 0, sizeof(none));
		f = &none;
	}
	return ops(s)->request_each(s, f, fn, arg, err);
}

certa_rc
certa_store_request_transition(struct certa_store *s, int64_t id,
    const char *from, const char *to, const char *decided_by,
    const char *comment, int64_t issued_cert_id, int64_t at,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(from != NULL && to != NULL, CERTA_E_INVAL, "request "
	    "transition: no state");
	CERTA_TRY(ops(s)->request_transition(s, id, from, to, decided_by,
	    comment, issued_cert_id, at, err));
out:
	return rc;
}

certa_rc
certa_store_org_set_approval(struct certa_store *s, int64_t org_id,
    bool required, struct certa_err *err)
{
	return ops(s)->org_set_approval(s, org_id, required, err);
}

certa_rc
certa_store_org_get_approval(struct certa_store *s, int64_t org_id,
    bool *required, struct certa_err *err)
{
	*required = false;
	return ops(s)->org_get_approval(s, org_id, required, err);
}

/* --- expiry notifications ---------------------------------------------- */

static const char *const notify_kinds[] = { "webhook", "smtp", NULL };

void
certa_notify_channel_rec_clear(struct certa_notify_channel_rec *r)
{
	if (r == NULL)
		return;
	free(r->kind);
	free(r->target);
	free_secret_str(r->secret);
	memset(r, 0, sizeof(*r));
}

void
certa_notify_org_rec_clear(struct certa_notify_org_rec *r)
{
	if (r == NULL)
		return;
	free(r->thresholds);
	memset(r, 0, sizeof(*r));
}

void
certa_notify_delivery_rec_clear(struct certa_notify_delivery_rec *r)
{
	if (r == NULL)
		return;
	free(r->error);
	memset(r, 0, sizeof(*r));
}

certa_rc
certa_store_notify_channel_put(struct certa_store *s,
    struct certa_notify_channel_rec *rec, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->kind != NULL && rec->target != NULL,
	    CERTA_E_INVAL, "add notification channel: no kind or target");
	CERTA_CHECK(one_of(rec->kind, notify_kinds), CERTA_E_INVAL,
	    "add notification channel: unknown kind '%.32s'", rec->kind);
	CERTA_TRY(ops(s)->notify_channel_put(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_notify_channel_delete(struct certa_store *s, int64_t id,
    struct certa_err *err)
{
	return ops(s)->notify_channel_delete(s, id, err);
}

certa_rc
certa_store_notify_channel_each(struct certa_store *s,
    certa_store_notify_channel_fn fn, void *arg, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(fn != NULL, CERTA_E_INVAL, "list notification channels: "
	    "no callback");
	CERTA_TRY(ops(s)->notify_channel_each(s, fn, arg, err));
out:
	return rc;
}

certa_rc
certa_store_notify_org_set(struct certa_store *s,
    const struct certa_notify_org_rec *rec, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->org_id > 0, CERTA_E_INVAL,
	    "set notification settings: no organisation");
	CERTA_TRY(ops(s)->notify_org_set(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_notify_org_each(struct certa_store *s,
    certa_store_notify_org_fn fn, void *arg, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(fn != NULL, CERTA_E_INVAL, "list notification settings: "
	    "no callback");
	CERTA_TRY(ops(s)->notify_org_each(s, fn, arg, err));
out:
	return rc;
}

certa_rc
certa_store_notify_cert_set(struct certa_store *s, int64_t cert_id,
    bool enabled, struct certa_err *err)
{
	return ops(s)->notify_cert_set(s, cert_id, enabled, err);
}

certa_rc
certa_store_notify_cand_each(struct certa_store *s, int64_t now,
    int64_t until, int64_t after_id, size_t limit,
    certa_store_notify_cand_fn fn, void *arg, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(fn != NULL && until >= now, CERTA_E_INVAL, "find "
	    "expiring certificates: no callback or empty window");
	CERTA_TRY(ops(s)->notify_cand_each(s, now, until, after_id, limit, fn,
	    arg, err));
out:
	return rc;
}

certa_rc
certa_store_notice_claim(struct certa_store *s, struct certa_notice_rec *rec,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->cert_id > 0 && rec->channel_id > 0 &&
	    rec->threshold_days > 0, CERTA_E_INVAL, "claim a notice: no "
	    "certificate, channel or threshold");
	CERTA_TRY(ops(s)->notice_claim(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_notice_due_each(struct certa_store *s, int64_t now,
    size_t limit, certa_store_notice_fn fn, void *arg, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(fn != NULL, CERTA_E_INVAL, "list due notices: no "
	    "callback");
	CERTA_TRY(ops(s)->notice_due_each(s, now, limit, fn, arg, err));
out:
	return rc;
}

certa_rc
certa_store_notice_lease(struct certa_store *s, int64_t id, int64_t seen,
    int64_t until, struct certa_err *err)
{
	return ops(s)->notice_lease(s, id, seen, until, err);
}

certa_rc
certa_store_notice_record(struct certa_store *s,
    struct certa_notify_delivery_rec *d, enum certa_notice_status status,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(d != NULL && d->notice_id > 0 && d->attempt > 0 &&
	    (unsigned)status < CERTA_NOTICE_STATUS__COUNT, CERTA_E_INVAL,
	    "record a delivery: no notice, attempt or status");
	CERTA_TRY(ops(s)->notice_record(s, d, status, err));
out:
	return rc;
}

certa_rc
certa_store_notify_delivery_each(struct certa_store *s, size_t limit,
    certa_store_notify_delivery_fn fn, void *arg, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(fn != NULL, CERTA_E_INVAL, "list deliveries: no "
	    "callback");
	CERTA_TRY(ops(s)->notify_delivery_each(s, limit, fn, arg, err));
out:
	return rc;
}

certa_rc
certa_store_notify_cert_off_each(struct certa_store *s,
    certa_store_notify_cert_off_fn fn, void *arg, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(fn != NULL, CERTA_E_INVAL, "list notification opt-outs: "
	    "no callback");
	CERTA_TRY(ops(s)->notify_cert_off_each(s, fn, arg, err));
out:
	return rc;
}

certa_rc
certa_store_notice_each(struct certa_store *s, certa_store_notice_fn fn,
    void *arg, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(fn != NULL, CERTA_E_INVAL, "list notices: no callback");
	CERTA_TRY(ops(s)->notice_each(s, fn, arg, err));
out:
	return rc;
}

certa_rc
certa_store_notify_channel_import(struct certa_store *s,
    const struct certa_notify_channel_rec *rec, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->id > 0 && rec->kind != NULL &&
	    rec->target != NULL, CERTA_E_INVAL, "import notification channel: "
	    "no id, kind or target");
	CERTA_CHECK(one_of(rec->kind, notify_kinds), CERTA_E_INVAL,
	    "import notification channel %lld: unknown kind '%.32s'",
	    (long long)rec->id, rec->kind);
	CERTA_TRY(ops(s)->notify_channel_import(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_notify_cert_off_import(struct certa_store *s,
    const struct certa_notify_cert_off_rec *rec, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->cert_id > 0, CERTA_E_INVAL,
	    "import notification opt-out: no certificate");
	CERTA_TRY(ops(s)->notify_cert_off_import(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_notice_import(struct certa_store *s,
    const struct certa_notice_rec *rec, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->id > 0 && rec->cert_id > 0 &&
	    rec->channel_id > 0 && rec->threshold_days > 0 &&
	    (unsigned)rec->status < CERTA_NOTICE_STATUS__COUNT, CERTA_E_INVAL,
	    "import notice: no id, certificate, channel, threshold or status");
	CERTA_TRY(ops(s)->notice_import(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_notify_delivery_import(struct certa_store *s,
    const struct certa_notify_delivery_rec *rec, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->id > 0 && rec->notice_id > 0 &&
	    rec->attempt > 0, CERTA_E_INVAL, "import delivery: no id, notice "
	    "or attempt");
	CERTA_TRY(ops(s)->notify_delivery_import(s, rec, err));
out:
	return rc;
}

/* --- cluster: nodes and leases --------------------------------------- */

certa_rc
certa_store_node_put(struct certa_store *s, const struct certa_node_rec *rec,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(rec != NULL && rec->id[0] != '\0', CERTA_E_INVAL,
	    "node: no id");
	CERTA_TRY(ops(s)->node_put(s, rec, err));
out:
	return rc;
}

certa_rc
certa_store_node_each(struct certa_store *s, certa_store_node_fn fn,
    void *arg, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(fn != NULL, CERTA_E_INVAL, "list nodes: no callback");
	CERTA_TRY(ops(s)->node_each(s, fn, arg, err));
out:
	return rc;
}

certa_rc
certa_store_lease_take(struct certa_store *s, const char *name,
    const char *holder, int64_t now, int64_t expires_at, bool *held,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(held != NULL, CERTA_E_INVAL, "lease: no out");
	*held = false;
	CERTA_CHECK(name != NULL && *name != '\0' && holder != NULL &&
	    *holder != '\0', CERTA_E_INVAL, "lease: no name or holder");
	CERTA_TRY(ops(s)->lease_take(s, name, holder, now, expires_at, held,
	    err));
out:
	return rc;
}

certa_rc
certa_store_lease_get(struct certa_store *s, const char *name,
    char holder[40], int64_t *expires_at, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(holder != NULL && expires_at != NULL, CERTA_E_INVAL,
	    "lease: no out");
	holder[0] = '\0';
	*expires_at = 0;
	CERTA_CHECK(name != NULL && *name != '\0', CERTA_E_INVAL, "lease: no "
	    "name");
	CERTA_TRY(ops(s)->lease_get(s, name, holder, expires_at, err));
out:
	return rc;
}

void
certa_crl_rec_clear(struct certa_crl_rec *r)
{
	if (r == NULL)
		return;
	free(r->der);
	memset(r, 0, sizeof(*r));
}

certa_rc
certa_store_crl_put(struct certa_store *s, const struct certa_crl_rec *rec,
    bool *stored, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(stored != NULL, CERTA_E_INVAL, "store a CRL: no out");
	*stored = false;
	CERTA_CHECK(rec != NULL && rec->der != NULL && rec->der_len > 0,
	    CERTA_E_INVAL, "store a CRL: no DER");
	CERTA_TRY(ops(s)->crl_put(s, rec, stored, err));
out:
	return rc;
}

certa_rc
certa_store_crl_get(struct certa_store *s, int64_t ca_id,
    struct certa_crl_rec *out, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(out != NULL, CERTA_E_INVAL, "read a CRL: no out");
	memset(out, 0, sizeof(*out));
	CERTA_TRY(ops(s)->crl_get(s, ca_id, out, err));
out:
	if (rc != CERTA_OK && out != NULL)
		certa_crl_rec_clear(out);
	return rc;
}
