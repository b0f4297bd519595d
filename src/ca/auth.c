/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who may call the API (include/certa/auth.h): roles, bearer tokens and
 * the map from client certificates to roles.  Records go through the
 * store (no SQL here); every mutation is audited in its transaction.  A
 * token's secret lives only in the caller's buffer and, hashed, in the
 * store: it is never logged, audited or put in an error message.
 *
 * HOW IT WORKS: tokens.
 *
 *   certa_<id>_<secret>
 *   id:     16 lower-case hex digits, 64 CSPRNG bits; public, the key the
 *           store finds the token by (a short prefix in logs and lists).
 *   secret: 43 base64url characters (RFC 4648 §5, no padding) of 256
 *           CSPRNG bits.  The store keeps SHA-256 of these 43 characters,
 *           hex.  A fast hash is enough: the secret has 256 bits of
 *           entropy, so there is nothing to guess from the hash.
 *
 * A check parses the string strictly, fetches the row by id, hashes the
 * presented secret and compares the two hashes with CRYPTO_memcmp (time
 * independent of where they differ).  Every failure (malformed, unknown
 * id, wrong secret, revoked) gives the same NOTFOUND and message.
 * last_used_at is written at most once per TOKEN_TOUCH_EVERY seconds, so a
 * busy client costs one indexed read per request, not a write.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <certa/auth.h>
#include <certa/limits.h>

#include "ca/ctx.h"
#include "util/util.h"

#define TOKEN_PREFIX		"certa_"
#define TOKEN_PREFIX_LEN	(sizeof(TOKEN_PREFIX) - 1)
#define TOKEN_ID_BYTES		(CERTA_TOKEN_ID_LEN / 2) /* 64 bits */
#define TOKEN_SECRET_BYTES	32	/* 256 bits */
#define TOKEN_SECRET_LEN	43	/* base64url of 32 bytes, no '=' */
#define TOKEN_LEN		(TOKEN_PREFIX_LEN + CERTA_TOKEN_ID_LEN + 1 + \
				TOKEN_SECRET_LEN)
#define TOKEN_NAME_MAX		64
#define TOKEN_TOUCH_EVERY	60	/* s between last_used_at writes */
#define FINGERPRINT_HEX		64	/* SHA-256 */

_Static_assert(TOKEN_LEN < CERTA_TOKEN_MAX, "token buffer too small");

/* The one answer to every failed check: the caller learns nothing. */
#define TOKEN_DENIED		"invalid or revoked token"

static const struct {
	unsigned	 bit;
	const char	*name;
} roles[] = {
	{ CERTA_ROLE_ADMIN, "admin" },
	{ CERTA_ROLE_APPROVER, "approver" },
	{ CERTA_ROLE_OPERATOR, "operator" },
	{ CERTA_ROLE_AUDITOR, "auditor" },
};

certa_rc
certa_role_parse(const char *s, unsigned *out, struct certa_err *err)
{
	size_t		 i;
	certa_rc	 rc = CERTA_OK;

	*out = 0;
	for (i = 0; s != NULL && i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(s, roles[i].name) == 0) {
			*out = roles[i].bit;
			goto out;
		}
	CERTA_FAIL(CERTA_E_PARSE, "unknown role '%.32s' (admin, approver, "
	    "operator or auditor)", s != NULL ? s : "");
out:
	return rc;
}

const char *
certa_role_name(unsigned role)
{
	size_t	 i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (role == roles[i].bit)
			return roles[i].name;
	return "none";
}

/* A token or mapping has exactly one role. */
static certa_rc
check_role(unsigned role, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(strcmp(certa_role_name(role), "none") != 0,
	    CERTA_E_INVAL, "role 0x%x is not one of admin, approver, operator, "
	    "auditor", role);
out:
	return rc;
}

void
certa_token_info_clear(struct certa_token_info *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->created_by);
	memset(t, 0, sizeof(*t));
}

void
certa_role_map_info_clear(struct certa_role_map_info *m)
{
	if (m == NULL)
		return;
	free(m->kind);
	free(m->value);
	memset(m, 0, sizeof(*m));
}

/* A view of r in *t; pointers borrowed from r (copy false) or owned. */
static bool
token_info(const struct certa_token_rec *r, struct certa_token_info *t,
    bool copy)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", r->id != NULL ? r->id : "");
	t->role = r->role;
	t->created_at = r->created_at;
	t->last_used_at = r->last_used_at;
	t->revoked_at = r->revoked_at;
	if (!copy) {
		t->name = r->name;
		t->created_by = r->created_by;
		return true;
	}
	t->name = certa_strdup(r->name);
	t->created_by = certa_strdup(r->created_by);
	return t->name != NULL && t->created_by != NULL;
}

/* SHA-256 of the secret part, lower-case hex. */
static certa_rc
secret_hash(struct certa_ctx *c, const char *secret, size_t len,
    char out[2 * 32 + 1], struct certa_err *err)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	size_t		 mdlen = 0;
	certa_rc	 rc = CERTA_OK;

	out[0] = '\0';
	CERTA_OSSL(EVP_Q_digest(c->libctx, "SHA256", c->propq, secret, len,
	    md, &mdlen) == 1 && mdlen == 32, CERTA_E_CRYPTO, "hash a token "
	    "secret");
	certa_hex(md, mdlen, out);
out:
	OPENSSL_cleanse(md, sizeof(md));
	return rc;
}

/* RFC 4648 §5 base64url of in, without padding, into out (NUL-ended). */
static certa_rc
b64url(const uint8_t *in, size_t len, char *out, size_t outlen,
    struct certa_err *err)
{
	int		 n, i;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(outlen >= (len + 2) / 3 * 4 + 1, CERTA_E_INTERNAL,
	    "base64url: buffer too small");
	n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	for (i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
		else if (out[i] == '=')
			break;
	}
	out[i] = '\0';
out:
	return rc;
}

/* Token names: 1..64 bytes, no control characters. */
static certa_rc
check_token_name(const char *name, struct certa_err *err)
{
	size_t		 i, n = strnlen(name, TOKEN_NAME_MAX + 1);
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(n > 0 && n <= TOKEN_NAME_MAX, CERTA_E_PARSE, "token name "
	    "must be 1 to %d bytes", TOKEN_NAME_MAX);
	for (i = 0; i < n; i++)
		CERTA_CHECK((unsigned char)name[i] >= 0x20 && name[i] != 0x7f,
		    CERTA_E_PARSE, "token name may not contain control "
		    "characters");
out:
	return rc;
}

/* Begin a mutation's transaction: *tx says it is open. */
static certa_rc
tx_begin(struct certa_ctx *c, bool *tx, struct certa_err *err)
{
	certa_rc	 rc;

	rc = certa_store_begin(c->store, err);
	*tx = rc == CERTA_OK;
	return rc;
}

/* End it: on OK append the audit record and commit, else roll back. */
static certa_rc
tx_end(struct certa_ctx *c, bool tx, certa_rc rc, const char *action,
    const char *object, const char *details, struct certa_err *err)
{
	if (!tx)
		return rc;
	if (rc == CERTA_OK)
		rc = certa_ctx_audit_commit(c, action, object, details, err);
	if (rc != CERTA_OK)
		certa_store_rollback(c->store);
	return rc;
}

certa_rc
certa_token_create(struct certa_ctx *c, unsigned role, const char *name,
    char token[CERTA_TOKEN_MAX], struct certa_token_info *out,
    struct certa_err *err)
{
	struct certa_token_rec	 rec;
	uint8_t			 idb[TOKEN_ID_BYTES];
	uint8_t			 sb[TOKEN_SECRET_BYTES];
	char			 id[CERTA_TOKEN_ID_LEN + 1];
	char			 secret[TOKEN_SECRET_LEN + 8], hash[65];
	char			 defname[32], obj[32], details[160];
	bool			 tx = false;
	certa_rc		 rc = CERTA_OK;

	memset(&rec, 0, sizeof(rec));
	memset(token, 0, CERTA_TOKEN_MAX);
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	CERTA_TRY(check_role(role, err));
	if (name != NULL)
		CERTA_TRY(check_token_name(name, err));
	CERTA_OSSL(RAND_bytes_ex(c->libctx, idb, sizeof(idb), 0) == 1 &&
	    RAND_bytes_ex(c->libctx, sb, sizeof(sb), 0) == 1, CERTA_E_CRYPTO,
	    "draw a random token");
	certa_hex(idb, sizeof(idb), id);
	CERTA_TRY(b64url(sb, sizeof(sb), secret, sizeof(secret), err));
	CERTA_TRY(secret_hash(c, secret, strlen(secret), hash, err));
	if (name == NULL) {
		snprintf(defname, sizeof(defname), "token-%s", id);
		name = defname;
	}
	rec.id = id;
	rec.name = (char *)(uintptr_t)name;
	rec.role = role;
	rec.secret_hash = hash;
	rec.created_by = c->actor;
	rec.created_at = certa_now();

	CERTA_TRY(tx_begin(c, &tx, err));
	rc = certa_store_token_put(c->store, &rec, err);
	snprintf(obj, sizeof(obj), "token:%s", id);
	(void)certa_json_strings(details, sizeof(details),
	    (const char *const[]){ "name", name, "role",
	    certa_role_name(role), NULL });
	CERTA_TRY(tx_end(c, tx, rc, "token.create", obj, details, err));

	snprintf(token, CERTA_TOKEN_MAX, TOKEN_PREFIX "%s_%s", id, secret);
	if (out != NULL)
		CERTA_CHECK(token_info(&rec, out, true), CERTA_E_NOMEM, "oom");
out:
	if (rc != CERTA_OK) {
		OPENSSL_cleanse(token, CERTA_TOKEN_MAX);
		certa_token_info_clear(out);
	}
	OPENSSL_cleanse(sb, sizeof(sb));
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(hash, sizeof(hash));
	return rc;
}

struct token_walk {
	certa_token_fn	 fn;
	void		*arg;
};

static certa_rc
token_row(const struct certa_token_rec *r, void *arg)
{
	struct token_walk	*w = arg;
	struct certa_token_info	 t;

	(void)token_info(r, &t, false);
	return w->fn(&t, w->arg);
}

certa_rc
certa_token_each(struct certa_ctx *c, certa_token_fn fn, void *arg,
    struct certa_err *err)
{
	struct token_walk	 w = { fn, arg };

	return certa_store_token_each(c->store, token_row, &w, err);
}

/* Is there a revoked token of this name?  (Names repeat once revoked.) */
static certa_rc
revoked_named(const struct certa_token_rec *r, void *arg)
{
	return r->revoked_at != 0 && strcmp(r->name, arg) == 0 ?
	    CERTA_E_CONFLICT : CERTA_OK;
}

/* A token by id, else by live name; CONFLICT for a revoked name. */
static certa_rc
token_find(struct certa_ctx *c, const char *ref, struct certa_token_rec *out,
    struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(ref != NULL && *ref != '\0', CERTA_E_INVAL, "no token "
	    "given");
	if (strlen(ref) == CERTA_TOKEN_ID_LEN &&
	    certa_store_token_get(c->store, ref, NULL, out, NULL) == CERTA_OK)
		goto out;
	rc = certa_store_token_get(c->store, NULL, ref, out, err);
	if (rc != CERTA_E_NOTFOUND)
		goto out;
	certa_err_clear(err);
	rc = certa_store_token_each(c->store, revoked_named, (void *)ref,
	    NULL);
	CERTA_CHECK(rc != CERTA_E_CONFLICT, CERTA_E_CONFLICT, "token '%.64s' "
	    "is revoked already", ref);
	CERTA_FAIL(CERTA_E_NOTFOUND, "no token '%.64s' (give its id or name)",
	    ref);
out:
	return rc;
}

certa_rc
certa_token_revoke(struct certa_ctx *c, const char *ref,
    struct certa_err *err)
{
	struct certa_token_rec	 rec;
	char			 obj[32], details[96];
	bool			 tx = false;
	certa_rc		 rc = CERTA_OK;

	memset(&rec, 0, sizeof(rec));
	obj[0] = details[0] = '\0';
	CERTA_TRY(tx_begin(c, &tx, err));
	CERTA_TRY(token_find(c, ref, &rec, err));
	CERTA_TRY(certa_store_token_revoke(c->store, rec.id, certa_now(),
	    err));
	snprintf(obj, sizeof(obj), "token:%s", rec.id);
	(void)certa_json_strings(details, sizeof(details),
	    (const char *const[]){ "name", rec.name, NULL });
out:
	rc = tx_end(c, tx, rc, "token.revoke", obj, details, err);
	certa_token_rec_clear(&rec);
	return rc;
}

/* A token string's shape: certa_<16 lower hex>_<43 base64url>. */
static bool
token_parse(const char *s, char id[CERTA_TOKEN_ID_LEN + 1],
    const char **secret)
{
	size_t	 i, n;

	if (s == NULL)
		return false;
	n = strnlen(s, CERTA_TOKEN_MAX);
	if (n != TOKEN_LEN || strncmp(s, TOKEN_PREFIX, TOKEN_PREFIX_LEN) != 0)
		return false;
	s += TOKEN_PREFIX_LEN;
	for (i = 0; i < CERTA_TOKEN_ID_LEN; i++)
		if (!isdigit((unsigned char)s[i]) && (s[i] < 'a' ||
		    s[i] > 'f'))
			return false;
	if (s[CERTA_TOKEN_ID_LEN] != '_')
		return false;
	*secret = s + CERTA_TOKEN_ID_LEN + 1;
	for (i = 0; i < TOKEN_SECRET_LEN; i++)
		if (!isalnum((unsigned char)(*secret)[i]) &&
		    (*secret)[i] != '-' && (*secret)[i] != '_')
			return false;
	memcpy(id, s, CERTA_TOKEN_ID_LEN);
	id[CERTA_TOKEN_ID_LEN] = '\0';
	return true;
}

certa_rc
certa_token_check(struct certa_ctx *c, const char *presented, unsigned *role,
    char *name, size_t namelen, struct certa_err *err)
{
	struct certa_token_rec	 rec;
	char			 id[CERTA_TOKEN_ID_LEN + 1], hash[65];
	const char		*secret = NULL;
	int64_t			 now = certa_now();
	bool			 ok;
	certa_rc		 rc = CERTA_OK;

	memset(&rec, 0, sizeof(rec));
	hash[0] = '\0';
	*role = 0;
	if (name != NULL && namelen > 0)
		name[0] = '\0';
	ok = token_parse(presented, id, &secret);
	if (ok) {
		rc = certa_store_token_get(c->store, id, NULL, &rec, err);
		/* The store is down: say so, it is not the caller's fault. */
		if (rc != CERTA_OK && rc != CERTA_E_NOTFOUND)
			goto out;
		ok = rc == CERTA_OK;
	}
	if (ok) {
		CERTA_TRY(secret_hash(c, secret, TOKEN_SECRET_LEN, hash, err));
		ok = strlen(rec.secret_hash) == 64 &&
		    CRYPTO_memcmp(rec.secret_hash, hash, 64) == 0 &&
		    rec.revoked_at == 0;
	}
	if (!ok) {
		certa_err_clear(err);
		CERTA_FAIL(CERTA_E_NOTFOUND, TOKEN_DENIED);
	}
	*role = rec.role;
	if (name != NULL && namelen > 0)
		snprintf(name, namelen, "%s", rec.name);
	if (now - rec.last_used_at >= TOKEN_TOUCH_EVERY &&
	    certa_store_token_touch(c->store, id, now, NULL) != CERTA_OK) {
		/* Best effort: a busy store must not turn a good token away. */
	}
out:
	OPENSSL_cleanse(hash, sizeof(hash));
	certa_token_rec_clear(&rec);
	return rc;
}

/*
 * Role map values: a subject is kept as given (exact match); a
 * fingerprint is 64 hex digits, any case, ':' between bytes allowed, kept
 * in lower case.  out has CERTA_MAX_DN + 1 bytes.
 */
static certa_rc
map_value(const char *kind, const char *value, char *out,
    struct certa_err *err)
{
	size_t		 i, n = 0;
	certa_rc	 rc = CERTA_OK;

	out[0] = '\0';
	CERTA_CHECK(kind != NULL && (strcmp(kind, "subject") == 0 ||
	    strcmp(kind, "fingerprint") == 0), CERTA_E_PARSE, "unknown "
	    "mapping kind '%.32s' (subject or fingerprint)", kind ? kind : "");
	CERTA_CHECK(value != NULL && *value != '\0' &&
	    strnlen(value, CERTA_MAX_DN + 1) <= CERTA_MAX_DN, CERTA_E_PARSE,
	    "%s must be 1 to %d bytes", kind, CERTA_MAX_DN);
	if (strcmp(kind, "subject") == 0) {
		for (i = 0; value[i] != '\0'; i++)
			CERTA_CHECK((unsigned char)value[i] >= 0x20 &&
			    value[i] != 0x7f, CERTA_E_PARSE, "subject may not "
			    "contain control characters");
		memcpy(out, value, i + 1);
		goto out;
	}
	for (i = 0; value[i] != '\0'; i++) {
		if (value[i] == ':' && i > 0 && value[i + 1] != '\0')
			continue;
		CERTA_CHECK(isxdigit((unsigned char)value[i]) &&
		    n < FINGERPRINT_HEX, CERTA_E_PARSE, "fingerprint must be "
		    "the SHA-256 of the certificate: 64 hex digits");
		out[n++] = (char)tolower((unsigned char)value[i]);
	}
	out[n] = '\0';
	CERTA_CHECK(n == FINGERPRINT_HEX, CERTA_E_PARSE, "fingerprint must be "
	    "the SHA-256 of the certificate: 64 hex digits");
out:
	return rc;
}

/* Audit details of a mapping: kind and value (no control characters). */
#define MAP_DETAILS_MAX	(2 * CERTA_MAX_DN + 128)

certa_rc
certa_role_map_set(struct certa_ctx *c, const char *kind, const char *value,
    unsigned role, struct certa_err *err)
{
	struct certa_role_map_rec	 rec;
	char				 v[CERTA_MAX_DN + 1];
	char				 details[MAP_DETAILS_MAX], obj[32];
	bool				 tx = false;
	certa_rc			 rc = CERTA_OK;

	memset(&rec, 0, sizeof(rec));
	obj[0] = details[0] = '\0';
	CERTA_TRY(map_value(kind, value, v, err));
	CERTA_TRY(check_role(role, err));
	rec.kind = (char *)(uintptr_t)kind;
	rec.value = v;
	rec.role = role;
	CERTA_TRY(tx_begin(c, &tx, err));
	CERTA_TRY(certa_store_role_map_set(c->store, &rec, err));
	snprintf(obj, sizeof(obj), "role_map:%" PRId64, rec.id);
	(void)certa_json_strings(details, sizeof(details),
	    (const char *const[]){ "kind", kind, "value", v, "role",
	    certa_role_name(role), NULL });
out:
	return tx_end(c, tx, rc, "role_map.set", obj, details, err);
}

certa_rc
certa_role_map_remove(struct certa_ctx *c, const char *kind,
    const char *value, struct certa_err *err)
{
	struct certa_role_map_rec	 rec;
	char				 v[CERTA_MAX_DN + 1];
	char				 details[MAP_DETAILS_MAX], obj[32];
	bool				 tx = false;
	certa_rc			 rc = CERTA_OK;

	memset(&rec, 0, sizeof(rec));
	obj[0] = details[0] = '\0';
	CERTA_TRY(map_value(kind, value, v, err));
	CERTA_TRY(tx_begin(c, &tx, err));
	CERTA_TRY(certa_store_role_map_get(c->store, kind, v, &rec, err));
	CERTA_TRY(certa_store_role_map_delete(c->store, kind, v, err));
	snprintf(obj, sizeof(obj), "role_map:%" PRId64, rec.id);
	(void)certa_json_strings(details, sizeof(details),
	    (const char *const[]){ "kind", kind, "value", v, NULL });
out:
	rc = tx_end(c, tx, rc, "role_map.remove", obj, details, err);
	certa_role_map_rec_clear(&rec);
	return rc;
}

struct map_walk {
	certa_role_map_fn	 fn;
	void			*arg;
};

static certa_rc
map_row(const struct certa_role_map_rec *r, void *arg)
{
	struct map_walk			*w = arg;
	struct certa_role_map_info	 m;

	m.id = r->id;
	m.kind = r->kind;
	m.value = r->value;
	m.role = r->role;
	m.created_at = r->created_at;
	return w->fn(&m, w->arg);
}

certa_rc
certa_role_map_each(struct certa_ctx *c, certa_role_map_fn fn, void *arg,
    struct certa_err *err)
{
	struct map_walk	 w = { fn, arg };

	return certa_store_role_map_each(c->store, map_row, &w, err);
}

/* The role mapped to (kind, value); NOTFOUND (err untouched) when none. */
static certa_rc
mapped(struct certa_ctx *c, const char *kind, const char *value,
    unsigned *role, struct certa_err *err)
{
	struct certa_role_map_rec	 rec;
	char				 v[CERTA_MAX_DN + 1];
	certa_rc			 rc;

	memset(&rec, 0, sizeof(rec));
	if (value == NULL || map_value(kind, value, v, NULL) != CERTA_OK)
		return CERTA_E_NOTFOUND;
	rc = certa_store_role_map_get(c->store, kind, v, &rec, NULL);
	if (rc == CERTA_OK)
		*role = rec.role;
	else if (rc != CERTA_E_NOTFOUND)	/* say why, this time */
		rc = certa_store_role_map_get(c->store, kind, v, &rec, err);
	certa_role_map_rec_clear(&rec);
	return rc;
}

certa_rc
certa_role_for_cert(struct certa_ctx *c, const char *subject,
    const char *fingerprint, unsigned *role, struct certa_err *err)
{
	certa_rc	 rc;

	*role = 0;
	/* A fingerprint names one certificate: it beats the subject. */
	rc = mapped(c, "fingerprint", fingerprint, role, err);
	if (rc == CERTA_E_NOTFOUND)
		rc = mapped(c, "subject", subject, role, err);
	if (rc == CERTA_E_NOTFOUND)
		rc = certa_err_set(err, CERTA_E_NOTFOUND, __FILE__, __LINE__,
		    "no role is mapped to this certificate");
	return rc;
}
