/* SPDX-License-Identifier: Apache-2.0 */
/*
 * include/certa/client.h: an SSL_CTX per remote endpoint that presents the
 * client certificate the usage map names and verifies the server.  No
 * network I/O here: the caller connects and runs the handshake.
 *
 * HOW IT WORKS
 * Each endpoint has one cached SSL_CTX and the key it was built for:
 *   app:   the id of the selected certificate (the newest valid one of
 *          the application and type with a server-generated key);
 *   p12:   the file's inode, size and modification time;
 *   none:  nothing.
 * With zero_trust the trust generation is part of the key too.  Every
 * certa_client_ssl_ctx call recomputes the key (app: one indexed query,
 * certificate(app_id, type, status); p12: one stat; zero_trust: one read
 * of the generation) and builds a new SSL_CTX off to the side when it
 * changed; if the build fails the call fails and the old context stays
 * cached for nothing (it is never handed out for a stale key).  Callers
 * get a new reference, so live connections keep the context they started
 * with: a rotated certificate applies to new connections, no restart.
 *
 * Not thread-safe: one certa_client per thread (the gate has one loop).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <certa/client.h>
#include <certa/limits.h>
#include <certa/util.h>

#include "ca/ctx.h"
#include "core/core.h"
#include "util/util.h"

#define CLIENT_HOST_MAX	256

enum client_kind { CLIENT_NONE, CLIENT_APP, CLIENT_P12 };

/* What an SSL_CTX was built for; equal keys: the cached one is current. */
struct client_key {
	int64_t		 cert_id;	/* app */
	dev_t		 dev;		/* p12 */
	ino_t		 ino;
	off_t		 size;
	int64_t		 mtime_ns;
	uint64_t	 trust_gen;	/* zero_trust */
};

struct client_ep {
	char			*endpoint;	/* owns; "host:port" */
	enum client_kind	 kind;
	char			*org;		/* owns; NULL: APP/TYPE */
	char			*app;		/* owns */
	char			*type;		/* owns */
	char			*p12;		/* owns; p12: the file */
	char			*p12_pass;	/* owns; p12: password file */
	int64_t			 app_id;	/* app: 0 until resolved */
	SSL_CTX			*ssl_ctx;	/* owns one reference */
	struct client_key	 key;		/* what ssl_ctx was built for */
};

struct certa_client {
	struct certa_ctx	*ctx;		/* borrowed from the caller */
	struct client_ep	*eps;		/* owns; n of them */
	size_t			 n;
	struct client_ep	 dflt;		/* endpoints not in the map */
	char			*ca_file;	/* owns, or NULL */
	bool			 zero_trust;
};

/* --- parsing ------------------------------------------------------------ */

/* "host:port" or "[v6]:port" into host; PARSE. */
static certa_rc
split_endpoint(const char *ep, char *host, size_t hostlen,
    struct certa_err *err)
{
	const char	*colon = strrchr(ep, ':');
	const char	*p;
	size_t		 hl;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(colon != NULL && colon != ep && colon[1] != '\0',
	    CERTA_E_PARSE, "endpoint '%s': expected HOST:PORT", ep);
	for (p = colon + 1; *p != '\0'; p++)
		CERTA_CHECK(*p >= '0' && *p <= '9' && p - colon <= 5,
		    CERTA_E_PARSE, "endpoint '%s': bad port", ep);
	hl = (size_t)(colon - ep);
	if (ep[0] == '[' && hl >= 2 && ep[hl - 1] == ']') {
		ep++;
		hl -= 2;
	}
	CERTA_CHECK(hl > 0 && hl < hostlen, CERTA_E_PARSE, "endpoint '%s': "
	    "bad host", ep);
	memcpy(host, ep, hl);
	host[hl] = '\0';
out:
	return rc;
}

/* Duplicate s[0..len) into *out; NOMEM. */
static certa_rc
dup_n(const char *s, size_t len, char **out, struct certa_err *err)
{
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK((*out = malloc(len + 1)) != NULL, CERTA_E_NOMEM, "oom");
	memcpy(*out, s, len);
	(*out)[len] = '\0';
out:
	return rc;
}

/* "app:ORG/APP/TYPE", "app:APP/TYPE", "p12:FILE:PASSFILE", "", "none". */
static certa_rc
parse_spec(struct client_ep *e, const char *spec, struct certa_err *err)
{
	const char	*s, *a, *b, *c;
	certa_rc	 rc = CERTA_OK;

	if (spec == NULL || spec[0] == '\0' || strcmp(spec, "none") == 0) {
		e->kind = CLIENT_NONE;
		goto out;
	}
	if (strncmp(spec, "p12:", 4) == 0) {
		s = spec + 4;
		c = strrchr(s, ':');
		CERTA_CHECK(c != NULL && c != s && c[1] != '\0', CERTA_E_PARSE,
		    "client certificate for %s: expected p12:FILE:PASSFILE",
		    e->endpoint);
		e->kind = CLIENT_P12;
		CERTA_TRY(dup_n(s, (size_t)(c - s), &e->p12, err));
		CERTA_TRY(dup_n(c + 1, strlen(c + 1), &e->p12_pass, err));
		goto out;
	}
	CERTA_CHECK(strncmp(spec, "app:", 4) == 0, CERTA_E_PARSE,
	    "client certificate for %s: '%s' is not app:ORG/APP/TYPE, "
	    "p12:FILE:PASSFILE or none", e->endpoint, spec);
	s = spec + 4;
	a = strchr(s, '/');
	CERTA_CHECK(a != NULL && a != s, CERTA_E_PARSE, "client certificate "
	    "for %s: expected app:ORG/APP/TYPE or app:APP/TYPE", e->endpoint);
	b = strchr(a + 1, '/');
	if (b == NULL) {
		b = a;
		a = NULL;
	} else {
		CERTA_CHECK(b != a + 1 && strchr(b + 1, '/') == NULL,
		    CERTA_E_PARSE, "client certificate for %s: expected "
		    "app:ORG/APP/TYPE", e->endpoint);
	}
	CERTA_CHECK(b[1] != '\0', CERTA_E_PARSE, "client certificate for %s: "
	    "no certificate type", e->endpoint);
	e->kind = CLIENT_APP;
	if (a != NULL) {
		CERTA_TRY(dup_n(s, (size_t)(a - s), &e->org, err));
		CERTA_TRY(dup_n(a + 1, (size_t)(b - a - 1), &e->app, err));
	} else
		CERTA_TRY(dup_n(s, (size_t)(b - s), &e->app, err));
	CERTA_TRY(dup_n(b + 1, strlen(b + 1), &e->type, err));
out:
	return rc;
}

static void
ep_clear(struct client_ep *e)
{
	free(e->endpoint);
	free(e->org);
	free(e->app);
	free(e->type);
	free(e->p12);
	free(e->p12_pass);
	SSL_CTX_free(e->ssl_ctx);
	memset(e, 0, sizeof(*e));
}

void
certa_client_free(struct certa_client *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		ep_clear(&c->eps[i]);
	ep_clear(&c->dflt);
	free(c->eps);
	free(c->ca_file);
	free(c);
}

certa_rc
certa_client_new(struct certa_ctx *ctx, const struct certa_client_opts *o,
    struct certa_client **out, struct certa_err *err)
{
	struct certa_client	*c = NULL;
	char			 host[CLIENT_HOST_MAX];
	size_t			 i, j;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK(ctx != NULL && o != NULL && (o->n == 0 ||
	    (o->endpoints != NULL && o->specs != NULL)), CERTA_E_INVAL,
	    "client: no data directory or usage map");
	CERTA_CHECK((c = calloc(1, sizeof(*c))) != NULL, CERTA_E_NOMEM, "oom");
	c->ctx = ctx;
	c->zero_trust = o->zero_trust;
	if (o->ca_file != NULL)
		CERTA_CHECK((c->ca_file = certa_strdup(o->ca_file)) != NULL,
		    CERTA_E_NOMEM, "oom");
	if (o->n > 0)
		CERTA_CHECK((c->eps = calloc(o->n, sizeof(*c->eps))) != NULL,
		    CERTA_E_NOMEM, "oom");
	for (i = 0; i < o->n; i++) {
		struct client_ep *e = &c->eps[i];

		CERTA_CHECK(o->endpoints[i] != NULL, CERTA_E_INVAL,
		    "client: endpoint %zu is NULL", i);
		CERTA_TRY(split_endpoint(o->endpoints[i], host, sizeof(host),
		    err));
		for (j = 0; j < i; j++)
			CERTA_CHECK(strcmp(c->eps[j].endpoint,
			    o->endpoints[i]) != 0, CERTA_E_PARSE, "usage map: "
			    "%s appears twice", o->endpoints[i]);
		CERTA_CHECK((e->endpoint = certa_strdup(o->endpoints[i])) !=
		    NULL, CERTA_E_NOMEM, "oom");
		c->n++;
		CERTA_TRY(parse_spec(e, o->specs[i], err));
	}
	c->dflt.kind = CLIENT_NONE;
	*out = c;
	c = NULL;
out:
	certa_client_free(c);
	return rc;
}

/* --- server verification ------------------------------------------------- */

/*
 * zero_trust: the issuer list are untrusted intermediates.  OpenSSL takes
 * untrusted certificates only from the peer, so the verify callback adds
 * them to the peer's chain for the one X509_verify_cert call.  The stack
 * hangs off the SSL_CTX (ex_data) and is freed with it.
 */
static CRYPTO_ONCE	 zt_once = CRYPTO_ONCE_STATIC_INIT;
static int		 zt_idx = -1;

static void
zt_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	sk_X509_pop_free(ptr, X509_free);
}

static void
zt_init(void)
{
	zt_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, zt_free);
}

static int
zt_verify(X509_STORE_CTX *xs, void *arg)
{
	STACK_OF(X509)	*issuers = arg;		/* borrowed from the SSL_CTX */
	STACK_OF(X509)	*peer = X509_STORE_CTX_get0_untrusted(xs);
	STACK_OF(X509)	*all;			/* elements borrowed */
	int		 i, ok;

	all = peer != NULL ? sk_X509_dup(peer) : sk_X509_new_null();
	if (all == NULL)
		return 0;
	for (i = 0; i < sk_X509_num(issuers); i++)
		if (!sk_X509_push(all, sk_X509_value(issuers, i))) {
			sk_X509_free(all);
			return 0;
		}
	X509_STORE_CTX_set0_untrusted(xs, all);
	ok = X509_verify_cert(xs);
	X509_STORE_CTX_set0_untrusted(xs, peer);
	sk_X509_free(all);
	return ok > 0 ? 1 : 0;
}

struct zt_build {
	X509_STORE		*store;		/* borrowed */
	STACK_OF(X509)		*issuers;	/* borrowed; owns elements */
	size_t			 anchors, crls;
	struct certa_err	*err;
};

static certa_rc
zt_entry(const struct certa_trust_rec *r, void *arg)
{
	struct zt_build	*b = arg;
	struct certa_err *err = b->err;
	const unsigned char *p = r->der;
	X509		*x = NULL;
	certa_rc	 rc = CERTA_OK;

	x = d2i_X509(NULL, &p, (long)r->der_len);
	CERTA_OSSL(x != NULL, CERTA_E_PARSE, "trust store entry '%s'",
	    r->alias);
	if (strcmp(r->list, "trusted") == 0) {
		CERTA_OSSL(X509_STORE_add_cert(b->store, x) == 1,
		    CERTA_E_CRYPTO, "trust anchor '%s'", r->alias);
		b->anchors++;
	} else
		CERTA_OSSL(X509_add_cert(b->issuers, x, X509_ADD_FLAG_UP_REF),
		    CERTA_E_NOMEM, "oom");
out:
	X509_free(x);
	return rc;
}

static certa_rc
zt_crl(const struct certa_trust_crl_rec *r, void *arg)
{
	struct zt_build	*b = arg;
	struct certa_err *err = b->err;
	const unsigned char *p = r->der;
	X509_CRL	*crl = NULL;
	certa_rc	 rc = CERTA_OK;

	crl = d2i_X509_CRL(NULL, &p, (long)r->der_len);
	CERTA_OSSL(crl != NULL, CERTA_E_PARSE, "stored CRL of %s",
	    r->issuer);
	CERTA_OSSL(X509_STORE_add_crl(b->store, crl) == 1, CERTA_E_CRYPTO,
	    "stored CRL of %s", r->issuer);
	b->crls++;
out:
	X509_CRL_free(crl);
	return rc;
}

/* Anchors, intermediates and CRLs from certa's trust store into sctx. */
static certa_rc
zero_trust_setup(struct certa_client *c, SSL_CTX *sctx, struct certa_err *err)
{
	struct zt_build	 b;
	certa_rc	 rc = CERTA_OK;

	memset(&b, 0, sizeof(b));
	b.err = err;
	CERTA_CHECK(CRYPTO_THREAD_run_once(&zt_once, zt_init) && zt_idx >= 0,
	    CERTA_E_INTERNAL, "SSL_CTX ex_data index");
	CERTA_OSSL((b.store = X509_STORE_new()) != NULL &&
	    (b.issuers = sk_X509_new_null()) != NULL, CERTA_E_NOMEM, "oom");
	CERTA_TRY(certa_store_trust_each(c->ctx->store, "trusted", zt_entry,
	    &b, err));
	CERTA_TRY(certa_store_trust_each(c->ctx->store, "issuer", zt_entry,
	    &b, err));
	CERTA_TRY(certa_store_trust_crl_each(c->ctx->store, zt_crl, &b, err));
	if (b.crls > 0)
		CERTA_OSSL(X509_STORE_set_flags(b.store, X509_V_FLAG_CRL_CHECK),
		    CERTA_E_CRYPTO, "enable CRL checks");
	SSL_CTX_set_cert_store(sctx, b.store);	/* takes it */
	b.store = NULL;
	CERTA_OSSL(SSL_CTX_set_ex_data(sctx, zt_idx, b.issuers),
	    CERTA_E_NOMEM, "oom");
	SSL_CTX_set_cert_verify_callback(sctx, zt_verify, b.issuers);
	b.issuers = NULL;			/* freed with sctx */
out:
	X509_STORE_free(b.store);
	sk_X509_pop_free(b.issuers, X509_free);
	return rc;
}

/* A client context with server verification and no certificate yet. */
static certa_rc
base_ctx(struct certa_client *c, SSL_CTX **out, struct certa_err *err)
{
	SSL_CTX		*s = NULL;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	s = SSL_CTX_new_ex(c->ctx->libctx, c->ctx->propq, TLS_client_method());
	CERTA_OSSL(s != NULL, CERTA_E_CRYPTO, "create TLS client context");
	CERTA_OSSL(SSL_CTX_set_min_proto_version(s, TLS1_2_VERSION),
	    CERTA_E_CRYPTO, "set TLS 1.2 minimum");
	SSL_CTX_set_verify(s, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(s, SSL_MODE_RELEASE_BUFFERS);
	if (c->zero_trust)
		CERTA_TRY(zero_trust_setup(c, s, err));
	else
		CERTA_OSSL(SSL_CTX_set_default_verify_paths(s) == 1,
		    CERTA_E_CRYPTO, "load the system trust store");
	if (c->ca_file != NULL)
		CERTA_OSSL(SSL_CTX_load_verify_locations(s, c->ca_file,
		    NULL) == 1, CERTA_E_IO, "load CA file %s", c->ca_file);
	*out = s;
	s = NULL;
out:
	SSL_CTX_free(s);
	return rc;
}

/* "none": no certificate, and none sent even when the server asks. */
static int
no_client_cert(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
	(void)ssl;
	*x509 = NULL;
	*pkey = NULL;
	return 0;
}

/* --- certificate selection --------------------------------------------- */

struct pick {
	int64_t		 now;
	int64_t		 id;
};

static certa_rc
pick_newest(const struct certa_cert_rec *r, void *arg)
{
	struct pick	*p = arg;

	if (r->key_pem != NULL && r->not_before <= p->now &&
	    r->not_after > p->now && r->id > p->id)
		p->id = r->id;
	return CERTA_OK;
}

/* The id of the newest valid certificate of e's app and type; NOTFOUND. */
static certa_rc
app_select(struct certa_client *c, struct client_ep *e, int64_t *id,
    struct certa_err *err)
{
	struct certa_app_rec	 app;
	struct certa_cert_filter f;
	struct pick		 p;
	certa_rc		 rc = CERTA_OK;

	memset(&app, 0, sizeof(app));
	if (e->app_id == 0) {
		CERTA_TRY(certa_store_app_find(c->ctx->store, e->org, e->app,
		    &app, err));
		e->app_id = app.id;
	}
	memset(&f, 0, sizeof(f));
	f.app_id = e->app_id;
	f.type = e->type;
	f.status = CERTA_CERT_VALID;
	p.now = certa_now();
	p.id = 0;
	f.not_after_min = p.now + 1;
	CERTA_TRY(certa_store_cert_each(c->ctx->store, &f, pick_newest, &p,
	    err));
	CERTA_CHECK(p.id != 0, CERTA_E_NOTFOUND, "client certificate for %s: "
	    "application %s%s%s has no valid %s certificate with a "
	    "server-generated key", e->endpoint, e->org ? e->org : "",
	    e->org ? "/" : "", e->app, e->type);
	*id = p.id;
out:
	certa_app_rec_clear(&app);
	return rc;
}

/* Load certificate id, its key and its issuing CA into s. */
static certa_rc
app_load(struct certa_client *c, int64_t id, SSL_CTX *s,
    struct certa_err *err)
{
	struct certa_cert_rec	 rec;
	struct certa_ca_rec	 ca;
	X509			*x = NULL, *issuer = NULL;
	EVP_PKEY		*key = NULL;
	char			*pass = NULL;
	certa_rc		 rc = CERTA_OK;

	memset(&rec, 0, sizeof(rec));
	memset(&ca, 0, sizeof(ca));
	CERTA_TRY(certa_store_cert_get(c->ctx->store, id, &rec, err));
	CERTA_CHECK(rec.der != NULL && rec.key_pem != NULL, CERTA_E_NOTFOUND,
	    "certificate %lld has no DER or no stored key", (long long)id);
	CERTA_TRY(certa_cert_parse(rec.der, rec.der_len, &x, err));
	CERTA_TRY(certa_ctx_passphrase(c->ctx->dir, c->ctx->pass_file, &pass,
	    err));
	rc = certa_key_from_pem(c->ctx->libctx, c->ctx->propq, rec.key_pem,
	    strlen(rec.key_pem), pass, &key, err);
	CERTA_CHECK(rc == CERTA_OK, rc, "key of certificate %lld: wrong "
	    "passphrase?", (long long)id);
	CERTA_OSSL(SSL_CTX_use_certificate(s, x) == 1 &&
	    SSL_CTX_use_PrivateKey(s, key) == 1 &&
	    SSL_CTX_check_private_key(s) == 1, CERTA_E_CRYPTO,
	    "use certificate %lld", (long long)id);
	/* The issuing CA goes along; the root is the server's anchor. */
	CERTA_TRY(certa_store_ca_get(c->ctx->store, rec.ca_id, &ca, err));
	if (ca.parent_id != 0) {
		CERTA_TRY(certa_cert_parse(ca.cert_der, ca.cert_der_len,
		    &issuer, err));
		CERTA_OSSL(SSL_CTX_add1_chain_cert(s, issuer) == 1,
		    CERTA_E_CRYPTO, "chain of certificate %lld",
		    (long long)id);
	}
out:
	if (pass != NULL)
		certa_free_secret(pass, strlen(pass) + 1);
	EVP_PKEY_free(key);
	X509_free(x);
	X509_free(issuer);
	certa_cert_rec_clear(&rec);
	certa_ca_rec_clear(&ca);
	return rc;
}

static certa_rc
p12_load(struct client_ep *e, SSL_CTX *s, struct certa_err *err)
{
	PKCS12		*p12 = NULL;
	X509		*x = NULL;
	EVP_PKEY	*key = NULL;
	STACK_OF(X509)	*ca = NULL;	/* owns elements */
	const unsigned char *p;
	uint8_t		*data = NULL;
	size_t		 len = 0;
	char		*pass = NULL;
	int		 i;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(certa_file_read(e->p12, CERTA_MAX_INPUT_FILE, &data, &len,
	    err));
	CERTA_TRY(certa_passphrase_read(e->p12_pass, &pass, err));
	p = data;
	p12 = d2i_PKCS12(NULL, &p, (long)len);
	CERTA_OSSL(p12 != NULL, CERTA_E_PARSE, "%s is not a PKCS#12 file",
	    e->p12);
	CERTA_OSSL(PKCS12_parse(p12, pass, &key, &x, &ca) == 1,
	    CERTA_E_CRYPTO, "open PKCS#12 %s (wrong password?)", e->p12);
	CERTA_CHECK(x != NULL && key != NULL, CERTA_E_PARSE, "PKCS#12 %s "
	    "holds no certificate with its key", e->p12);
	CERTA_OSSL(SSL_CTX_use_certificate(s, x) == 1 &&
	    SSL_CTX_use_PrivateKey(s, key) == 1 &&
	    SSL_CTX_check_private_key(s) == 1, CERTA_E_CRYPTO,
	    "use the certificate of %s", e->p12);
	for (i = 0; ca != NULL && i < sk_X509_num(ca); i++)
		CERTA_OSSL(SSL_CTX_add1_chain_cert(s, sk_X509_value(ca, i)) ==
		    1, CERTA_E_CRYPTO, "chain of %s", e->p12);
out:
	if (pass != NULL)
		certa_free_secret(pass, strlen(pass) + 1);
	if (data != NULL)
		certa_free_secret(data, len);
	PKCS12_free(p12);
	X509_free(x);
	EVP_PKEY_free(key);
	sk_X509_pop_free(ca, X509_free);
	return rc;
}

/* What the endpoint's context should be built for now. */
static certa_rc
current_key(struct certa_client *c, struct client_ep *e,
    struct client_key *k, struct certa_err *err)
{
	struct stat	 st;
	certa_rc	 rc = CERTA_OK;

	memset(k, 0, sizeof(*k));
	if (c->zero_trust)
		CERTA_TRY(certa_store_trust_generation_fast(c->ctx->store,
		    &k->trust_gen, err));
	switch (e->kind) {
	case CLIENT_APP:
		CERTA_TRY(app_select(c, e, &k->cert_id, err));
		break;
	case CLIENT_P12:
		CERTA_CHECK(stat(e->p12, &st) == 0, CERTA_E_IO, "client "
		    "certificate for %s: %s: %s", e->endpoint, e->p12,
		    strerror(errno));
		k->dev = st.st_dev;
		k->ino = st.st_ino;
		k->size = st.st_size;
		k->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
		    st.st_mtim.tv_nsec;
		break;
	case CLIENT_NONE:
		break;
	}
out:
	return rc;
}

static bool
key_equal(const struct client_key *a, const struct client_key *b)
{
	return a->cert_id == b->cert_id && a->dev == b->dev &&
	    a->ino == b->ino && a->size == b->size &&
	    a->mtime_ns == b->mtime_ns && a->trust_gen == b->trust_gen;
}

certa_rc
certa_client_ssl_ctx(struct certa_client *c, const char *endpoint,
    SSL_CTX **out, struct certa_err *err)
{
	struct client_ep	*e = &c->dflt;
	struct client_key	 k;
	SSL_CTX			*s = NULL;
	size_t			 i;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK(endpoint != NULL, CERTA_E_INVAL, "no endpoint");
	for (i = 0; i < c->n; i++)
		if (strcmp(c->eps[i].endpoint, endpoint) == 0) {
			e = &c->eps[i];
			break;
		}
	CERTA_TRY(current_key(c, e, &k, err));
	if (e->ssl_ctx == NULL || !key_equal(&k, &e->key)) {
		CERTA_TRY(base_ctx(c, &s, err));
		switch (e->kind) {
		case CLIENT_APP:
			CERTA_TRY(app_load(c, k.cert_id, s, err));
			break;
		case CLIENT_P12:
			CERTA_TRY(p12_load(e, s, err));
			break;
		case CLIENT_NONE:
			SSL_CTX_set_client_cert_cb(s, no_client_cert);
			break;
		}
		SSL_CTX_free(e->ssl_ctx);
		e->ssl_ctx = s;
		e->key = k;
		s = NULL;
	}
	CERTA_OSSL(SSL_CTX_up_ref(e->ssl_ctx) == 1, CERTA_E_INTERNAL,
	    "SSL_CTX reference");
	*out = e->ssl_ctx;
out:
	SSL_CTX_free(s);
	ERR_clear_error();
	return rc;
}

certa_rc
certa_client_ssl_prepare(SSL *ssl, const char *endpoint,
    struct certa_err *err)
{
	char		 host[CLIENT_HOST_MAX];
	unsigned char	 ip[16];
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(ssl != NULL && endpoint != NULL, CERTA_E_INVAL,
	    "no SSL or endpoint");
	CERTA_TRY(split_endpoint(endpoint, host, sizeof(host), err));
	if (inet_pton(AF_INET, host, ip) == 1 ||
	    inet_pton(AF_INET6, host, ip) == 1) {
		/* RFC 6066 §3: no SNI for IP literals; check the IP SAN. */
		CERTA_OSSL(X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
		    host) == 1, CERTA_E_CRYPTO, "check address %s", host);
	} else {
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		CERTA_OSSL(SSL_set1_host(ssl, host) == 1 &&
		    SSL_set_tlsext_host_name(ssl, host) == 1, CERTA_E_CRYPTO,
		    "check host name %s", host);
	}
out:
	return rc;
}
