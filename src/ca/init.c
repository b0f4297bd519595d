/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa init: a data directory with its store and a root + issuing CA (or
 * one CA, or an adopted one).  CA keys are written only encrypted.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <certa/limits.h>

#include "audit/audit.h"
#include "ca/ctx.h"
#include "core/core.h"
#include "util/util.h"

struct made_ca {
	EVP_PKEY	*key;		/* owns */
	X509		*cert;		/* owns */
};

static void
made_ca_clear(struct made_ca *m)
{
	EVP_PKEY_free(m->key);
	X509_free(m->cert);
	m->key = NULL;
	m->cert = NULL;
}

/* Issuing CA subject: the root's, with "Root" in the CN made "Issuing". */
static certa_rc
issuing_subject(const X509_NAME *root, X509_NAME **out, struct certa_err *err)
{
	X509_NAME	*n = NULL;
	char		*cn = NULL, buf[256], *r;
	int		 i;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	CERTA_OSSL((n = X509_NAME_dup(root)) != NULL, CERTA_E_NOMEM, "oom");
	i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	cn = certa_name_get_text(root, NID_commonName);
	if (cn == NULL) {
		snprintf(buf, sizeof(buf), "certa Issuing CA");
	} else if ((r = strstr(cn, "Root")) != NULL) {
		snprintf(buf, sizeof(buf), "%.*sIssuing%s", (int)(r - cn), cn,
		    r + 4);
	} else {
		snprintf(buf, sizeof(buf), "%.*s Issuing CA", 200, cn);
	}
	if (i >= 0)
		X509_NAME_ENTRY_free(X509_NAME_delete_entry(n, i));
	CERTA_OSSL(X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8,
	    (unsigned char *)buf, -1, i >= 0 ? i : -1, 0), CERTA_E_CRYPTO,
	    "build issuing CA subject");
	*out = n;
	n = NULL;
out:
	free(cn);
	X509_NAME_free(n);
	return rc;
}

/*
 * Make a CA certificate for key under issuer (NULL: self-signed).
 * pathlen -1 = unlimited.
 */
static certa_rc
make_ca(const struct certa_init_opts *o, const char *spec,
    const X509_NAME *subject, const struct made_ca *issuer, int64_t nb,
    int64_t na, int pathlen, const char *base_url, struct made_ca *out,
    struct certa_err *err)
{
	X509		*x = NULL;
	EVP_PKEY	*key = NULL;
	ASN1_INTEGER	*serial = NULL;
	X509_EXTENSION	*aki = NULL, *crldp = NULL, *aia = NULL;
	EVP_MD_CTX	*mctx = NULL;
	char		 hex[41];
	certa_rc	 rc = CERTA_OK;

	(void)o;
	CERTA_TRY(certa_key_generate(NULL, spec, &key, err));
	CERTA_OSSL((x = X509_new()) != NULL, CERTA_E_NOMEM, "oom");
	CERTA_OSSL(X509_set_version(x, X509_VERSION_3), CERTA_E_CRYPTO,
	    "set version");
	CERTA_TRY(certa_serial_new(NULL, &serial, hex, err));
	CERTA_OSSL(X509_set_serialNumber(x, serial), CERTA_E_CRYPTO,
	    "set serial");
	CERTA_OSSL(X509_set_subject_name(x, subject) &&
	    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert)
	    : subject), CERTA_E_CRYPTO, "set names");
	CERTA_OSSL(X509_set_pubkey(x, key), CERTA_E_CRYPTO, "set public key");
	CERTA_TRY(certa_build_set_validity(x, nb, na, err));
	CERTA_TRY(certa_build_bc(x, true, pathlen, err));
	/* RFC 5280 §4.2.1.3: keyCertSign and cRLSign; digitalSignature so the
	 * CA can sign OCSP responses itself. */
	CERTA_TRY(certa_build_ku(x, X509v3_KU_KEY_CERT_SIGN |
	    X509v3_KU_CRL_SIGN | X509v3_KU_DIGITAL_SIGNATURE, err));
	CERTA_TRY(certa_build_ski(x, err));
	CERTA_TRY(certa_build_aki_ext(issuer ? issuer->cert : x, &aki, err));
	CERTA_OSSL(X509_add_ext(x, aki, -1), CERTA_E_CRYPTO, "add AKI");
	if (issuer != NULL) {
		CERTA_TRY(certa_build_uri_exts(base_url, "root", "root", &crldp,
		    &aia, err));
		CERTA_OSSL(X509_add_ext(x, crldp, -1) && X509_add_ext(x, aia,
		    -1), CERTA_E_CRYPTO, "add CRL DP / AIA");
	}
	CERTA_OSSL((mctx = EVP_MD_CTX_new()) != NULL, CERTA_E_NOMEM, "oom");
	CERTA_OSSL(EVP_DigestSignInit_ex(mctx, NULL, certa_key_sign_md(issuer ?
	    issuer->key : key), NULL, NULL, issuer ? issuer->key : key, NULL),
	    CERTA_E_CRYPTO, "start signing");
	CERTA_OSSL(X509_sign_ctx(x, mctx) > 0, CERTA_E_CRYPTO,
	    "sign CA certificate");
	out->key = key;
	out->cert = x;
	key = NULL;
	x = NULL;
out:
	EVP_MD_CTX_free(mctx);
	X509_EXTENSION_free(aki);
	X509_EXTENSION_free(crldp);
	X509_EXTENSION_free(aia);
	ASN1_INTEGER_free(serial);
	EVP_PKEY_free(key);
	X509_free(x);
	return rc;
}

static certa_rc
put_ca(struct certa_store *st, const char *name, const char *role,
    int64_t parent, const struct made_ca *m, const char *pass, int64_t *id,
    struct certa_err *err)
{
	struct certa_ca_rec	 rec;
	uint8_t			*der = NULL;
	size_t			 dlen = 0, klen = 0;
	char			*kpem = NULL;
	certa_rc		 rc = CERTA_OK;

	memset(&rec, 0, sizeof(rec));
	CERTA_TRY(certa_cert_der(m->cert, &der, &dlen, err));
	CERTA_TRY(certa_key_to_pem(m->key, pass, &kpem, &klen, err));
	rec.name = (char *)name;
	rec.role = (char *)role;
	rec.parent_id = parent;
	rec.status = "active";
	rec.cert_der = der;
	rec.cert_der_len = dlen;
	rec.key_pem = kpem;
	rec.created_at = certa_now();
	CERTA_TRY(certa_store_ca_put(st, &rec, err));
	*id = rec.id;
out:
	free(der);
	if (kpem != NULL)
		certa_free_secret(kpem, klen);
	return rc;
}

static certa_rc
load_import(const struct certa_init_opts *o, struct made_ca *m,
    struct certa_err *err)
{
	uint8_t		*data = NULL;
	size_t		 len = 0;
	char		*pass = NULL;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(o->import_key != NULL, CERTA_E_INVAL,
	    "--import-ca needs the certificate and the key file");
	CERTA_TRY(certa_file_read(o->import_cert, CERTA_MAX_INPUT_FILE, &data,
	    &len, err));
	CERTA_TRY(certa_cert_parse(data, len, &m->cert, err));
	free(data);
	data = NULL;
	CERTA_CHECK(X509_check_ca(m->cert) >= 1, CERTA_E_POLICY,
	    "'%s' is not a CA certificate (basicConstraints CA:TRUE "
	    "needed)", o->import_cert);
	CERTA_CHECK(X509_get0_subject_key_id(m->cert) != NULL, CERTA_E_POLICY,
	    "'%s' has no subject key identifier", o->import_cert);
	if (o->import_key_pass_file != NULL)
		CERTA_TRY(certa_passphrase_read(o->import_key_pass_file, &pass,
		    err));
	CERTA_TRY(certa_file_read(o->import_key, CERTA_MAX_INPUT_FILE, &data,
	    &len, err));
	CERTA_TRY(certa_key_from_pem(NULL, NULL, (char *)data, len, pass,
	    &m->key, err));
	CERTA_CHECK(X509_check_private_key(m->cert, m->key) == 1,
	    CERTA_E_INVAL, "the key in '%s' does not match '%s'",
	    o->import_key, o->import_cert);
out:
	if (data != NULL)
		certa_free_secret(data, len);
	if (pass != NULL)
		certa_free_secret(pass, strlen(pass) + 1);
	return rc;
}

certa_rc
certa_init(const struct certa_init_opts *o, char **created_pass,
    struct certa_err *err)
{
	char			 db[PATH_MAX], pfile[PATH_MAX], sfile[PATH_MAX];
	char			*ver = NULL;
	char			*pass = NULL;
	const char		*spec = o->key_spec ? o->key_spec : "ec:P-256";
	const char		*base = o->base_url ? o->base_url :
				    "http://127.0.0.1:8080";
	X509_NAME		*rootname = NULL, *issname = NULL;
	struct made_ca		 root = { 0 }, iss = { 0 };
	struct certa_store	*st = NULL;
	int64_t			 now = certa_now(), root_id = 0, iss_id = 0;
	int64_t			 validity = o->validity ? o->validity :
				    10LL * 365 * 86400;
	bool			 tx = false, wrote_pass = false;
	bool			 made_db = false, db_is_file = true;
	bool			 wrote_sfile = false;
	certa_rc		 rc = CERTA_OK;

	*created_pass = NULL;
	CERTA_CHECK(strlen(o->dir) + 32 < sizeof(db), CERTA_E_INVAL,
	    "data directory path too long");
	CERTA_TRY(certa_ctx_store_dsn(o->dir, db, sizeof(db), &db_is_file,
	    err));
	snprintf(pfile, sizeof(pfile), "%s/%s", o->dir, CERTA_PASS_NAME);
	snprintf(sfile, sizeof(sfile), "%s/%s", o->dir, CERTA_STORE_NAME);
	CERTA_CHECK(access(db_is_file ? db : sfile, F_OK) != 0,
	    CERTA_E_CONFLICT, "%s is initialised already", o->dir);
	CERTA_CHECK(strncmp(base, "http://", 7) == 0 ||
	    strncmp(base, "https://", 8) == 0, CERTA_E_PARSE,
	    "--base-url '%s' must start with http:// or https://", base);
	CERTA_CHECK(strlen(base) < 900, CERTA_E_PARSE, "--base-url too long");
	/* RFC 3986 §2: only unreserved, reserved and %-escapes in a URI. */
	CERTA_CHECK(strspn(base, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR"
	    "STUVWXYZ0123456789-._~:/?#[]@!$&'()*+,;=%") == strlen(base) &&
	    strchr(base, '#') == NULL && strchr(base, '?') == NULL,
	    CERTA_E_PARSE, "--base-url '%s' is not a plain http(s) URL", base);
	CERTA_CHECK(base[strlen(base) - 1] != '/', CERTA_E_PARSE,
	    "--base-url must not end with '/'");
	CERTA_CHECK(o->validity >= 0 && (o->validity == 0 ||
	    o->validity >= 86400), CERTA_E_PARSE, "CA validity must be at "
	    "least one day");

	/* Everything that can fail on input is checked before writing. */
	CERTA_CHECK(strcmp(spec, "ec:P-256") == 0 || strcmp(spec, "ec:P-384") ==
	    0 || strcmp(spec, "ed25519") == 0 || strcmp(spec, "rsa:3072") == 0 ||
	    strcmp(spec, "rsa:4096") == 0, CERTA_E_PARSE, "'%s' is not a CA key "
	    "type (use ec:P-256, ec:P-384, ed25519, rsa:3072 or rsa:4096)",
	    spec);
	if (o->import_cert != NULL) {
		CERTA_TRY(load_import(o, &iss, err));
	} else {
		CERTA_TRY(certa_name_parse(o->subject ? o->subject :
		    "CN=certa Root CA", &rootname, err));
		CERTA_TRY(certa_key_generate(NULL, spec, &root.key, err));
		EVP_PKEY_free(root.key);	/* validated the spec only */
		root.key = NULL;
	}
	if (o->passphrase_file != NULL || getenv("CERTA_PASSPHRASE_FILE") ||
	    getenv("CERTA_PASSPHRASE")) {
		CERTA_TRY(certa_ctx_passphrase(o->dir, o->passphrase_file,
		    &pass, err));
	}
	CERTA_TRY(certa_mkdirs(o->dir, 0700, err));
	if (pass == NULL) {
		uint8_t	rnd[32];
		char	hex[65];

		CERTA_OSSL(RAND_bytes(rnd, sizeof(rnd)) == 1, CERTA_E_CRYPTO,
		    "no randomness");
		certa_hex(rnd, sizeof(rnd), hex);
		OPENSSL_cleanse(rnd, sizeof(rnd));
		hex[64] = '\n';
		rc = certa_file_write(pfile, hex, 65, 0600, false, err);
		hex[64] = '\0';
		CERTA_TRY(rc);
		wrote_pass = true;
		CERTA_CHECK((pass = strdup(hex)) != NULL, CERTA_E_NOMEM, "oom");
		OPENSSL_cleanse(hex, sizeof(hex));
	}

	if (o->import_cert == NULL && o->single_tier) {
		CERTA_TRY(make_ca(o, spec, rootname, NULL, now - 60, now +
		    validity, -1, base, &iss, err));
	} else if (o->import_cert == NULL) {
		CERTA_TRY(make_ca(o, spec, rootname, NULL, now - 60, now +
		    validity, -1, base, &root, err));
		CERTA_TRY(issuing_subject(rootname, &issname, err));
		CERTA_TRY(make_ca(o, spec, issname, &root, now - 60, now +
		    validity, 0, base, &iss, err));
	}

	if (!db_is_file) {
		/*
		 * A database server ($CERTA_STORE, --store): the directory
		 * remembers it in DIR/store (0600: a DSN may hold a password),
		 * and the database must not hold a CA yet.
		 */
		size_t	 n = strlen(db);

		db[n] = '\n';
		rc = certa_file_write(sfile, db, n + 1, 0600, false, err);
		db[n] = '\0';
		CERTA_TRY(rc);
		wrote_sfile = true;
	} else {
		made_db = true;
	}
	CERTA_TRY(certa_store_open(&st, db, err));
	if (!db_is_file) {
		rc = certa_store_meta_get(st, "certa_version", &ver, err);
		if (rc != CERTA_E_NOTFOUND) {
			CERTA_TRY(rc);
			CERTA_FAIL(CERTA_E_CONFLICT, "the %s store of %s holds "
			    "a CA already (certa %s): initialise another "
			    "database", certa_store_backend(st), o->dir, ver);
		}
		certa_err_clear(err);
		rc = CERTA_OK;
	}
	CERTA_TRY(certa_store_begin(st, err));
	tx = true;
	if (root.cert != NULL)
		CERTA_TRY(put_ca(st, "root", "root", 0, &root, pass, &root_id,
		    err));
	CERTA_TRY(put_ca(st, "issuing", "issuing", root_id, &iss, pass,
	    &iss_id, err));
	CERTA_TRY(certa_store_meta_set(st, "base_url", base, err));
	CERTA_TRY(certa_store_meta_set(st, "certa_version", CERTA_VERSION,
	    err));
	/* Whoever can write the data directory acts as admin. */
	CERTA_TRY(certa_audit_append(st, o->actor, o->import_cert ?
	    "ca.import" : "ca.init", "ca:issuing", "ok",
	    "{\"role\":\"admin\"}", err));
	CERTA_TRY(certa_store_commit(st, err));
	tx = false;
	if (wrote_pass)
		CERTA_CHECK((*created_pass = strdup(pfile)) != NULL,
		    CERTA_E_NOMEM, "oom");
out:
	if (tx)
		certa_store_rollback(st);
	certa_store_close(st);
	if (rc != CERTA_OK) {
		/* Leave no half-made store behind (it did not exist). */
		if (made_db) {
			char wal[PATH_MAX + 8];

			unlink(db);
			snprintf(wal, sizeof(wal), "%s-wal", db);
			unlink(wal);
			snprintf(wal, sizeof(wal), "%s-shm", db);
			unlink(wal);
		}
		if (wrote_pass)
			unlink(pfile);
		if (wrote_sfile)
			unlink(sfile);
	}
	free(ver);
	if (pass != NULL)
		certa_free_secret(pass, strlen(pass) + 1);
	made_ca_clear(&root);
	made_ca_clear(&iss);
	X509_NAME_free(rootname);
	X509_NAME_free(issname);
	return rc;
}
