/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Opening a data directory, lazy loading of the issuing CA and profiles,
 * organisations and applications.  See ctx.h.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>

#include <certa/limits.h>

#include "audit/audit.h"
#include "ca/ctx.h"
#include "core/core.h"
#include "util/util.h"

void
certa_lib_init(void)
{
	OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CRYPTO_STRINGS |
	    OPENSSL_INIT_ADD_ALL_CIPHERS | OPENSSL_INIT_ADD_ALL_DIGESTS, NULL);
}

certa_rc
certa_ctx_passphrase(const char *dir, const char *explicit_file, char **out,
    struct certa_err *err)
{
	char		 path[PATH_MAX];
	const char	*file = explicit_file, *env;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	if (file == NULL && (env = getenv("CERTA_PASSPHRASE_FILE")) != NULL &&
	    *env != '\0')
		file = env;
	if (file == NULL && (env = getenv("CERTA_PASSPHRASE")) != NULL &&
	    *env != '\0') {
		CERTA_CHECK(strlen(env) <= CERTA_MAX_PASSPHRASE, CERTA_E_PARSE,
		    "CERTA_PASSPHRASE is too long");
		CERTA_CHECK((*out = strdup(env)) != NULL, CERTA_E_NOMEM, "oom");
		goto out;
	}
	if (file == NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, CERTA_PASS_NAME);
		file = path;
		CERTA_CHECK(access(path, F_OK) == 0, CERTA_E_NOTFOUND,
		    "no CA key passphrase: give --passphrase-file, set "
		    "CERTA_PASSPHRASE_FILE, or keep %s", path);
	}
	CERTA_TRY(certa_passphrase_read(file, out, err));
out:
	return rc;
}

certa_rc
certa_ctx_store_dsn(const char *dir, char *dsn, size_t len, bool *is_file,
    struct certa_err *err)
{
	const char	*env = getenv("CERTA_STORE");
	char		 path[PATH_MAX];
	uint8_t		*data = NULL;
	size_t		 n = 0;
	certa_rc	 rc = CERTA_OK;

	*is_file = false;
	dsn[0] = '\0';
	CERTA_CHECK(strlen(dir) + 16 < sizeof(path), CERTA_E_INVAL,
	    "data directory path too long");
	if (env != NULL && *env != '\0') {
		CERTA_CHECK(strlen(env) < len, CERTA_E_INVAL, "$CERTA_STORE is "
		    "too long");
		memcpy(dsn, env, strlen(env) + 1);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, CERTA_STORE_NAME);
	if (access(path, F_OK) == 0) {
		CERTA_TRY(certa_file_read(path, 4096, &data, &n, err));
		while (n > 0 && isspace(data[n - 1]))
			n--;
		CERTA_CHECK(n > 0 && n < len && memchr(data, '\n', n) == NULL,
		    CERTA_E_PARSE, "%s must hold one store DSN on one line",
		    path);
		memcpy(dsn, data, n);
		dsn[n] = '\0';
		goto out;
	}
	snprintf(dsn, len, "%s/%s", dir, CERTA_DB_NAME);
	*is_file = true;
out:
	if (data != NULL)
		certa_free_secret(data, n);	/* may hold a password */
	return rc;
}

certa_rc
certa_open(const char *dir, const char *pass_file, struct certa_ctx **out,
    struct certa_err *err)
{
	struct certa_ctx	*c = NULL;
	char			 path[PATH_MAX], *ver = NULL;
	bool			 is_file;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_TRY(certa_ctx_store_dsn(dir, path, sizeof(path), &is_file, err));
	CERTA_CHECK(!is_file || access(path, F_OK) == 0, CERTA_E_NOTFOUND,
	    "%s is not a certa data directory (run 'certa init --dir %s')",
	    dir, dir);
	CERTA_CHECK((c = calloc(1, sizeof(*c))) != NULL, CERTA_E_NOMEM, "oom");
	CERTA_CHECK((c->dir = strdup(dir)) != NULL, CERTA_E_NOMEM, "oom");
	if (pass_file != NULL)
		CERTA_CHECK((c->pass_file = strdup(pass_file)) != NULL,
		    CERTA_E_NOMEM, "oom");
	CERTA_CHECK((c->actor = strdup("unknown")) != NULL, CERTA_E_NOMEM,
	    "oom");
	CERTA_TRY(certa_store_open(&c->store, path, err));
	if (!is_file) {
		/* A database server: its schema exists once reached. */
		rc = certa_store_meta_get(c->store, "certa_version", &ver, err);
		CERTA_CHECK(rc != CERTA_E_NOTFOUND, CERTA_E_NOTFOUND,
		    "store of %s (%s) is not initialised (run 'certa init "
		    "--dir %s')", dir, certa_store_backend(c->store), dir);
		CERTA_TRY(rc);
	}
	rc = certa_store_meta_get(c->store, "base_url", &c->base_url, err);
	if (rc == CERTA_E_NOTFOUND) {
		certa_err_clear(err);
		rc = CERTA_OK;
		CERTA_CHECK((c->base_url = strdup("http://127.0.0.1:8080")) !=
		    NULL, CERTA_E_NOMEM, "oom");
	}
	CERTA_TRY(rc);
	*out = c;
	c = NULL;
out:
	free(ver);
	certa_close(c);
	return rc;
}

void
certa_close(struct certa_ctx *c)
{
	if (c == NULL)
		return;
	certa_store_close(c->store);
	certa_profiles_clear(&c->profiles);
	certa_ca_rec_clear(&c->issuing);
	X509_free(c->issuing_cert);
	X509_free(c->root_cert);
	certa_signer_free(c->signer);
	X509_EXTENSION_free(c->ext_bc);
	X509_EXTENSION_free(c->ext_aki);
	X509_EXTENSION_free(c->ext_crldp);
	X509_EXTENSION_free(c->ext_aia);
	free(c->base_url);
	free(c->actor);
	free(c->role);
	free(c->pass_file);
	free(c->dir);
	free(c);
}

struct certa_store *
certa_ctx_store(struct certa_ctx *c)
{
	return c->store;
}

const char *
certa_ctx_dir(const struct certa_ctx *c)
{
	return c->dir;
}

const char *
certa_ctx_actor(const struct certa_ctx *c)
{
	return c->actor;
}

void
certa_ctx_set_actor(struct certa_ctx *c, const char *actor)
{
	char	*a = strdup(actor);

	if (a != NULL) {
		free(c->actor);
		c->actor = a;
	}
}

void
certa_ctx_set_role(struct certa_ctx *c, const char *role)
{
	char	*r = role != NULL ? strdup(role) : NULL;

	if (role == NULL || r != NULL) {
		free(c->role);
		c->role = r;
	}
}

const char *
certa_ctx_role(const struct certa_ctx *c)
{
	return c->role;
}

char *
certa_ctx_details(const struct certa_ctx *c, const char *details)
{
	size_t	 n;
	char	*out;

	if (c->role == NULL || (details != NULL && details[0] != '{'))
		return details != NULL ? strdup(details) : NULL;
	n = strlen(c->role) + (details != NULL ? strlen(details) : 0) + 16;
	if ((out = malloc(n)) == NULL)
		return NULL;
	if (details == NULL || strcmp(details, "{}") == 0)
		snprintf(out, n, "{\"role\":\"%s\"}", c->role);
	else
		snprintf(out, n, "{\"role\":\"%s\",%s", c->role, details + 1);
	return out;
}

certa_rc
certa_ctx_load_profiles(struct certa_ctx *c, struct certa_err *err)
{
	char		 path[PATH_MAX];
	uint8_t		*text = NULL;
	size_t		 len = 0;
	certa_rc	 rc = CERTA_OK;

	if (c->profiles_loaded)
		goto out;
	snprintf(path, sizeof(path), "%s/profiles.json", c->dir);
	if (access(path, F_OK) == 0)
		CERTA_TRY(certa_file_read(path, 1024 * 1024, &text, &len, err));
	CERTA_TRY(certa_profiles_load((char *)text, &c->profiles, err));
	c->profiles_loaded = true;
out:
	free(text);
	return rc;
}

certa_rc
certa_ctx_load_ca(struct certa_ctx *c, struct certa_err *err)
{
	struct certa_ca_rec	 root;
	const unsigned char	*p;
	BASIC_CONSTRAINTS	*bc = NULL;
	certa_rc		 rc = CERTA_OK;

	memset(&root, 0, sizeof(root));
	if (c->ca_loaded)
		goto out;
	CERTA_TRY(certa_store_ca_get_active(c->store, "issuing", &c->issuing,
	    err));
	p = c->issuing.cert_der;
	CERTA_OSSL((c->issuing_cert = d2i_X509(NULL, &p,
	    (long)c->issuing.cert_der_len)) != NULL, CERTA_E_STORE,
	    "the stored issuing CA certificate is damaged");
	if (c->issuing.parent_id != 0) {
		CERTA_TRY(certa_store_ca_get(c->store, c->issuing.parent_id,
		    &root, err));
		p = root.cert_der;
		CERTA_OSSL((c->root_cert = d2i_X509(NULL, &p,
		    (long)root.cert_der_len)) != NULL, CERTA_E_STORE,
		    "the stored root CA certificate is damaged");
	}
	/* Extensions every leaf of this CA carries, encoded once. */
	CERTA_OSSL((bc = BASIC_CONSTRAINTS_new()) != NULL, CERTA_E_NOMEM,
	    "oom");
	bc->ca = 0;
	CERTA_OSSL((c->ext_bc = X509V3_EXT_i2d(NID_basic_constraints, 1,
	    bc)) != NULL, CERTA_E_CRYPTO, "encode basicConstraints");
	CERTA_TRY(certa_build_aki_ext(c->issuing_cert, &c->ext_aki, err));
	CERTA_TRY(certa_build_uri_exts(c->base_url, c->issuing.name,
	    c->issuing.name, &c->ext_crldp, &c->ext_aia, err));
	c->ca_loaded = true;
out:
	BASIC_CONSTRAINTS_free(bc);
	certa_ca_rec_clear(&root);
	return rc;
}

certa_rc
certa_ctx_load_signer(struct certa_ctx *c, struct certa_err *err)
{
	char		*pass = NULL;
	certa_rc	 rc = CERTA_OK;

	if (c->signer != NULL)
		goto out;
	CERTA_TRY(certa_ctx_load_ca(c, err));
	CERTA_CHECK(c->issuing.key_pem != NULL, CERTA_E_NOTFOUND,
	    "the issuing CA '%s' has no key in this store", c->issuing.name);
	CERTA_TRY(certa_ctx_passphrase(c->dir, c->pass_file, &pass, err));
	rc = certa_signer_local_new(c->libctx, c->propq, c->issuing_cert,
	    c->issuing.key_pem, pass, &c->signer, err);
	if (rc == CERTA_E_CRYPTO)
		certa_err_set(err, rc, __FILE__, __LINE__, "cannot unlock the "
		    "CA key: wrong passphrase?");
	CERTA_TRY(rc);
out:
	if (pass != NULL)
		certa_free_secret(pass, strlen(pass) + 1);
	return rc;
}

static certa_rc
check_name(const char *what, const char *name, struct certa_err *err)
{
	size_t		 i, n = name ? strlen(name) : 0;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(n > 0 && n <= CERTA_MAX_NAME, CERTA_E_PARSE,
	    "%s name must be 1 to %d characters", what, CERTA_MAX_NAME);
	for (i = 0; i < n; i++)
		CERTA_CHECK((unsigned char)name[i] >= 0x20 && name[i] != 0x7f &&
		    name[i] != '/', CERTA_E_PARSE, "%s name may not contain "
		    "control characters or '/'", what);
	CERTA_CHECK(!isdigit((unsigned char)name[0]) ||
	    strspn(name, "0123456789") != n, CERTA_E_PARSE,
	    "%s name may not be all digits (that reads as an id)", what);
out:
	return rc;
}

static bool
parse_id(const char *s, int64_t *id)
{
	char		*end;
	long long	 v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return false;
	*id = v;
	return true;
}

certa_rc
certa_ctx_audit_commit(struct certa_ctx *c, const char *action,
    const char *object, const char *details, struct certa_err *err)
{
	char		*d = certa_ctx_details(c, details);
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(certa_audit_append(c->store, c->actor, action, object, "ok",
	    d != NULL ? d : details, err));
	CERTA_TRY(certa_store_commit(c->store, err));
out:
	free(d);
	return rc;
}

certa_rc
certa_org_create(struct certa_ctx *c, const char *name,
    struct certa_org_rec *out, struct certa_err *err)
{
	struct certa_org_rec	 rec = { 0, (char *)name, certa_now() };
	char			 obj[64];
	bool			 tx = false;
	certa_rc		 rc = CERTA_OK;

	memset(out, 0, sizeof(*out));
	CERTA_TRY(check_name("organisation", name, err));
	CERTA_TRY(certa_store_begin(c->store, err));
	tx = true;
	CERTA_TRY(certa_store_org_put(c->store, &rec, err));
	snprintf(obj, sizeof(obj), "org:%" PRId64, rec.id);
	CERTA_TRY(certa_ctx_audit_commit(c, "org.create", obj, NULL, err));
	tx = false;
	CERTA_TRY(certa_store_org_get(c->store, rec.id, NULL, out, err));
out:
	if (tx)
		certa_store_rollback(c->store);
	return rc;
}

certa_rc
certa_org_resolve(struct certa_ctx *c, const char *ref,
    struct certa_org_rec *out, struct certa_err *err)
{
	int64_t		 id;
	certa_rc	 rc = CERTA_OK;

	if (parse_id(ref, &id))
		rc = certa_store_org_get(c->store, id, NULL, out, err);
	else
		rc = certa_store_org_get(c->store, 0, ref, out, err);
	if (rc == CERTA_E_NOTFOUND)
		certa_err_clear(err);
	CERTA_CHECK(rc != CERTA_E_NOTFOUND, CERTA_E_NOTFOUND,
	    "no organisation '%s'", ref);
out:
	return rc;
}

certa_rc
certa_app_create(struct certa_ctx *c, const char *org_ref, const char *name,
    struct certa_app_rec *out, struct certa_err *err)
{
	struct certa_org_rec	 org;
	struct certa_app_rec	 rec;
	char			 obj[64];
	bool			 tx = false;
	certa_rc		 rc = CERTA_OK;

	memset(&org, 0, sizeof(org));
	memset(&rec, 0, sizeof(rec));
	memset(out, 0, sizeof(*out));
	CERTA_TRY(check_name("application", name, err));
	CERTA_TRY(certa_org_resolve(c, org_ref, &org, err));
	rec.org_id = org.id;
	rec.name = (char *)name;
	rec.created_at = certa_now();
	CERTA_TRY(certa_store_begin(c->store, err));
	tx = true;
	CERTA_TRY(certa_store_app_put(c->store, &rec, err));
	snprintf(obj, sizeof(obj), "app:%" PRId64, rec.id);
	CERTA_TRY(certa_ctx_audit_commit(c, "app.create", obj, NULL, err));
	tx = false;
	CERTA_TRY(certa_store_app_get(c->store, rec.id, out, err));
out:
	if (tx)
		certa_store_rollback(c->store);
	certa_org_rec_clear(&org);
	return rc;
}

certa_rc
certa_app_resolve(struct certa_ctx *c, const char *ref,
    struct certa_app_rec *out, struct certa_err *err)
{
	int64_t		 id;
	const char	*slash;
	char		 org[CERTA_MAX_NAME + 1];
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(ref != NULL && *ref != '\0', CERTA_E_INVAL,
	    "no application given");
	if (parse_id(ref, &id)) {
		rc = certa_store_app_get(c->store, id, out, err);
	} else if ((slash = strchr(ref, '/')) != NULL) {
		CERTA_CHECK((size_t)(slash - ref) <= CERTA_MAX_NAME,
		    CERTA_E_NOTFOUND, "no application '%s'", ref);
		memcpy(org, ref, (size_t)(slash - ref));
		org[slash - ref] = '\0';
		rc = certa_store_app_find(c->store, org, slash + 1, out, err);
	} else {
		rc = certa_store_app_find(c->store, NULL, ref, out, err);
	}
	if (rc == CERTA_E_NOTFOUND || rc == CERTA_E_CONFLICT)
		certa_err_clear(err);
	CERTA_CHECK(rc != CERTA_E_NOTFOUND, CERTA_E_NOTFOUND,
	    "no application '%s'", ref);
	/* An ambiguous reference is the caller's to fix: bad input. */
	CERTA_CHECK(rc != CERTA_E_CONFLICT, CERTA_E_INVAL,
	    "application name '%s' exists in several organisations: write "
	    "ORG/%s", ref, ref);
out:
	return rc;
}

/*
 * Rename and delete.  The reference is resolved inside the transaction
 * (BEGIN IMMEDIATE: the write lock), so the row checked is the row
 * changed, and no certificate can be issued to it between the count of
 * valid certificates and the delete.
 */

/* The audit details of a rename or delete: names only. */
static void
name_details(char *out, size_t len, const char *old, const char *new_name)
{
	if (new_name != NULL)
		(void)certa_json_strings(out, len, (const char *const[]){
		    "old_name", old, "name", new_name, NULL });
	else
		(void)certa_json_strings(out, len, (const char *const[]){
		    "name", old, NULL });
}

/* CONFLICT while the org (app_id 0) or the app holds valid certificates. */
static certa_rc
refuse_valid(struct certa_ctx *c, int64_t org_id, int64_t app_id,
    const char *what, const char *name, struct certa_err *err)
{
	int64_t		 n = 0;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(certa_store_cert_count_valid(c->store, org_id, app_id,
	    certa_now(), &n, err));
	CERTA_CHECK(n == 0, CERTA_E_CONFLICT, "%s '%s' holds %lld valid "
	    "certificate%s: revoke %s first", what, name, (long long)n,
	    n == 1 ? "" : "s", n == 1 ? "it" : "them");
out:
	return rc;
}

/*
 * The rest of a rename, inside the open transaction: the row of the org
 * (app_id 0) or app, then its audit record and the commit.  CONFLICT
 * names the taken name (in org_name, for an application).
 */
static certa_rc
rename_tx(struct certa_ctx *c, int64_t org_id, int64_t app_id,
    const char *old, const char *new_name, const char *org_name,
    struct certa_err *err)
{
	char		 obj[64], details[2 * CERTA_MAX_NAME + 64];
	certa_rc	 rc = CERTA_OK;

	if (app_id != 0)
		rc = certa_store_app_rename(c->store, app_id, new_name, err);
	else
		rc = certa_store_org_rename(c->store, org_id, new_name, err);
	if (rc == CERTA_E_CONFLICT && app_id != 0)
		CERTA_FAIL(rc, "application '%s' exists already in "
		    "organisation '%s'", new_name, org_name);
	CERTA_CHECK(rc != CERTA_E_CONFLICT, rc, "organisation '%s' exists "
	    "already", new_name);
	CERTA_TRY(rc);
	snprintf(obj, sizeof(obj), "%s:%" PRId64, app_id != 0 ? "app" : "org",
	    app_id != 0 ? app_id : org_id);
	name_details(details, sizeof(details), old, new_name);
	CERTA_TRY(certa_ctx_audit_commit(c, app_id != 0 ? "app.update" :
	    "org.update", obj, details, err));
out:
	return rc;
}

/* The same for a delete, refused while valid certificates are held. */
static certa_rc
delete_tx(struct certa_ctx *c, int64_t org_id, int64_t app_id,
    const char *name, struct certa_err *err)
{
	char		 obj[64], details[CERTA_MAX_NAME + 32];
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(refuse_valid(c, org_id, app_id, app_id != 0 ?
	    "application" : "organisation", name, err));
	if (app_id != 0)
		CERTA_TRY(certa_store_app_delete(c->store, app_id, err));
	else
		CERTA_TRY(certa_store_org_delete(c->store, org_id, err));
	snprintf(obj, sizeof(obj), "%s:%" PRId64, app_id != 0 ? "app" : "org",
	    app_id != 0 ? app_id : org_id);
	name_details(details, sizeof(details), name, NULL);
	CERTA_TRY(certa_ctx_audit_commit(c, app_id != 0 ? "app.delete" :
	    "org.delete", obj, details, err));
out:
	return rc;
}

/*
 * Rename (new_name) or delete (new_name NULL) the organisation or, when
 * is_app, the application ref; the renamed record goes to org_out or
 * app_out (either may be NULL).
 */
static certa_rc
change(struct certa_ctx *c, bool is_app, const char *ref,
    const char *new_name, struct certa_org_rec *org_out,
    struct certa_app_rec *app_out, struct certa_err *err)
{
	struct certa_org_rec	 org;
	struct certa_app_rec	 app;
	int64_t			 org_id, app_id = 0;
	const char		*name;
	bool			 tx = false;
	certa_rc		 rc = CERTA_OK;

	memset(&org, 0, sizeof(org));
	memset(&app, 0, sizeof(app));
	if (new_name != NULL)
		CERTA_TRY(check_name(is_app ? "application" : "organisation",
		    new_name, err));
	CERTA_TRY(certa_store_begin(c->store, err));
	tx = true;
	if (is_app) {
		CERTA_TRY(certa_app_resolve(c, ref, &app, err));
		org_id = app.org_id;
		app_id = app.id;
		name = app.name;
	} else {
		CERTA_TRY(certa_org_resolve(c, ref, &org, err));
		org_id = org.id;
		name = org.name;
	}
	if (new_name != NULL)
		CERTA_TRY(rename_tx(c, org_id, app_id, name, new_name,
		    app.org_name, err));
	else
		CERTA_TRY(delete_tx(c, org_id, app_id, name, err));
	tx = false;
	if (org_out != NULL)
		CERTA_TRY(certa_store_org_get(c->store, org_id, NULL, org_out,
		    err));
	if (app_out != NULL)
		CERTA_TRY(certa_store_app_get(c->store, app_id, app_out, err));
out:
	if (tx)
		certa_store_rollback(c->store);
	certa_org_rec_clear(&org);
	certa_app_rec_clear(&app);
	return rc;
}

certa_rc
certa_org_update(struct certa_ctx *c, const char *ref, const char *new_name,
    struct certa_org_rec *out, struct certa_err *err)
{
	memset(out, 0, sizeof(*out));
	if (new_name == NULL)	/* NULL would mean delete to change() */
		return certa_err_set(err, CERTA_E_PARSE, __FILE__, __LINE__,
		    "no new organisation name");
	return change(c, false, ref, new_name, out, NULL, err);
}

certa_rc
certa_org_delete(struct certa_ctx *c, const char *ref, struct certa_err *err)
{
	return change(c, false, ref, NULL, NULL, NULL, err);
}

certa_rc
certa_app_update(struct certa_ctx *c, const char *ref, const char *new_name,
    struct certa_app_rec *out, struct certa_err *err)
{
	memset(out, 0, sizeof(*out));
	if (new_name == NULL)
		return certa_err_set(err, CERTA_E_PARSE, __FILE__, __LINE__,
		    "no new application name");
	return change(c, true, ref, new_name, NULL, out, err);
}

certa_rc
certa_app_delete(struct certa_ctx *c, const char *ref, struct certa_err *err)
{
	return change(c, true, ref, NULL, NULL, NULL, err);
}

certa_rc
certa_cert_resolve(struct certa_ctx *c, const char *ref,
    struct certa_cert_rec *out, struct certa_err *err)
{
	int64_t		 id;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(ref != NULL && *ref != '\0', CERTA_E_INVAL,
	    "no certificate given");
	/* Short decimal numbers are ids; serials are long hex. */
	if (strlen(ref) < 16 && parse_id(ref, &id))
		rc = certa_store_cert_get(c->store, id, out, err);
	else
		rc = certa_store_cert_get_serial(c->store,
		    strncasecmp(ref, "0x", 2) == 0 ? ref + 2 : ref, out, err);
	if (rc == CERTA_E_NOTFOUND || rc == CERTA_E_PARSE)
		certa_err_clear(err);
	CERTA_CHECK(rc != CERTA_E_NOTFOUND, CERTA_E_NOTFOUND,
	    "no certificate '%s'", ref);
	CERTA_CHECK(rc != CERTA_E_PARSE, CERTA_E_PARSE, "'%s' is neither a "
	    "certificate id nor a hex serial", ref);
out:
	return rc;
}

certa_rc
certa_audit_head(struct certa_ctx *c, int64_t *seq, char hash[65],
    struct certa_err *err)
{
	return certa_store_audit_last(c->store, seq, hash, err);
}

struct head_find {
	int64_t		 seq;
	bool		 found;
	char		 hash[65];
};

static certa_rc
head_find_one(const struct certa_audit_rec *r, void *arg)
{
	struct head_find	*h = arg;

	if (r->seq == h->seq) {
		h->found = true;
		memcpy(h->hash, r->hash, sizeof(h->hash));
	}
	return CERTA_E_NOTFOUND;	/* one record is enough: stop */
}

certa_rc
certa_audit_check_head(struct certa_ctx *c, int64_t seq, const char *hash,
    struct certa_err *err)
{
	struct head_find	 h;
	certa_rc		 rc = CERTA_OK, wrc;

	memset(&h, 0, sizeof(h));
	h.seq = seq;
	CERTA_CHECK(seq > 0, CERTA_E_INVAL, "audit head sequence must be "
	    "positive");
	wrc = certa_store_audit_each(c->store, seq - 1, head_find_one, &h, err);
	if (wrc == CERTA_E_NOTFOUND)
		certa_err_clear(err);
	else
		CERTA_TRY(wrc);
	CERTA_CHECK(h.found, CERTA_E_CONFLICT, "audit record %lld is missing: "
	    "the log was cut short", (long long)seq);
	CERTA_CHECK(strcasecmp(h.hash, hash) == 0, CERTA_E_CONFLICT,
	    "audit record %lld has another hash than the recorded head: the "
	    "log was rewritten", (long long)seq);
out:
	return rc;
}

certa_rc
certa_audit_verify(struct certa_ctx *c, int64_t *bad_seq, int64_t *count,
    struct certa_err *err)
{
	return certa_audit_check(c->store, bad_seq, count, err);
}
