/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/core (names, serials, keys, CSRs, profiles, export
 * codecs) and of the time and duration parsers in src/util.  Pure
 * functions: no store and no files.  Every fixture (keys, requests,
 * certificates) is made here with OpenSSL itself, never with the code
 * under test, and every result is judged by OpenSSL's own parsers.
 *
 * Tables run every row and report each failing row before the test fails,
 * so one run shows all the rows that disagree.  STYLE §4 says no public
 * function returns with entries left on the OpenSSL error queue: every
 * call made through the RC() macro is checked for that, and the last test
 * reports the calls that did.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/dsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <certa/certa.h>
#include <certa/limits.h>

#include "core/core.h"
#include "core/profile.h"
#include "util/util.h"

/* Every call is checked for errors left on the OpenSSL queue. */
#define TEST_AFTER_CALL(text)	note_queue(text)
#include "testutil.h"

#define DAY		86400
#define NOW		1767225600	/* 2026-01-01T00:00:00Z */





/*
 * Fixture keys, made once with OpenSSL and shared by the tests.
 */
enum tk {
	TK_P256, TK_P384, TK_ED25519, TK_RSA2048, TK_RSA1024, TK_K256,
	TK_P521, TK_ED448, TK_DSA, TK_P256_EXPLICIT,
	TK__COUNT
};
static EVP_PKEY		*keys[TK__COUNT];

static EVP_PKEY *
make_dsa(void)
{
	EVP_PKEY_CTX	*pc, *kc;
	EVP_PKEY	*params = NULL, *key = NULL;

	assert_non_null(pc = EVP_PKEY_CTX_new_from_name(NULL, "DSA", NULL));
	assert_int_equal(EVP_PKEY_paramgen_init(pc), 1);
	assert_true(EVP_PKEY_CTX_set_dsa_paramgen_bits(pc, 2048) > 0);
	assert_true(EVP_PKEY_CTX_set_dsa_paramgen_q_bits(pc, 224) > 0);
	assert_int_equal(EVP_PKEY_paramgen(pc, &params), 1);
	assert_non_null(kc = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL));
	assert_int_equal(EVP_PKEY_keygen_init(kc), 1);
	assert_int_equal(EVP_PKEY_keygen(kc, &key), 1);
	EVP_PKEY_CTX_free(kc);
	EVP_PKEY_CTX_free(pc);
	EVP_PKEY_free(params);
	return key;
}

static EVP_PKEY *
tkey(enum tk k)
{
	EVP_PKEY	*p = NULL;

	if (keys[k] != NULL)
		return keys[k];
	switch (k) {
	case TK_P256:
		p = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case TK_P384:
		p = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		break;
	case TK_ED25519:
		p = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	case TK_RSA2048:
		p = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case TK_RSA1024:
		p = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
		break;
	case TK_K256:
		p = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
		break;
	case TK_P521:
		p = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
		break;
	case TK_ED448:
		p = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
		break;
	case TK_DSA:
		p = make_dsa();
		break;
	case TK_P256_EXPLICIT:
		/* Written with the curve's parameters spelled out. */
		p = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		assert_non_null(p);
		assert_int_equal(EVP_PKEY_set_utf8_string_param(p,
		    OSSL_PKEY_PARAM_EC_ENCODING,
		    OSSL_PKEY_EC_ENCODING_EXPLICIT), 1);
		break;
	default:
		break;
	}
	assert_non_null(p);
	keys[k] = p;
	return p;
}

static const EVP_MD *
md_for(EVP_PKEY *key)
{
	if (EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448"))
		return NULL;
	if (EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) > 256)
		return EVP_sha384();
	return EVP_sha256();
}

/* A GENERAL_NAME of type GEN_DNS/URI/EMAIL/IPADD, built by hand. */
static GENERAL_NAME *
gen_name(int type, const char *v)
{
	GENERAL_NAME	*g;
	ASN1_STRING	*s;

	assert_non_null(g = GENERAL_NAME_new());
	if (type == GEN_IPADD) {
		assert_non_null(s = a2i_IPADDRESS(v));
	} else {
		assert_non_null(s = ASN1_IA5STRING_new());
		assert_int_equal(ASN1_STRING_set(s, v, -1), 1);
	}
	GENERAL_NAME_set0_value(g, type, s);
	return g;
}

static GENERAL_NAMES *
sample_sans(void)
{
	GENERAL_NAMES	*gens;

	assert_non_null(gens = GENERAL_NAMES_new());
	assert_true(sk_GENERAL_NAME_push(gens, gen_name(GEN_DNS,
	    "client.example")) > 0);
	assert_true(sk_GENERAL_NAME_push(gens, gen_name(GEN_IPADD,
	    "10.0.0.1")) > 0);
	assert_true(sk_GENERAL_NAME_push(gens, gen_name(GEN_URI,
	    "spiffe://example/client")) > 0);
	assert_true(sk_GENERAL_NAME_push(gens, gen_name(GEN_EMAIL,
	    "ops@example.org")) > 0);
	return gens;
}
#define SAMPLE_SANS	"DNS:client.example, IP:10.0.0.1, " \
			"URI:spiffe://example/client, email:ops@example.org"

static X509_NAME *
make_name(const char *cn, const char *o)
{
	X509_NAME	*n;

	assert_non_null(n = X509_NAME_new());
	if (o != NULL)
		assert_int_equal(X509_NAME_add_entry_by_txt(n, "O",
		    MBSTRING_UTF8, (const unsigned char *)o, -1, -1, 0), 1);
	if (cn != NULL)
		assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN",
		    MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0), 1);
	return n;
}

/* A signed PKCS#10 request for key, subject O=certa test/CN=cn. */
static X509_REQ *
make_req(EVP_PKEY *key, const char *cn, GENERAL_NAMES *sans)
{
	X509_REQ			*req;
	X509_NAME			*n = make_name(cn, "certa test");
	STACK_OF(X509_EXTENSION)	*exts;
	X509_EXTENSION			*ext;

	assert_non_null(req = X509_REQ_new());
	assert_int_equal(X509_REQ_set_version(req, X509_REQ_VERSION_1), 1);
	assert_int_equal(X509_REQ_set_subject_name(req, n), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	X509_NAME_free(n);
	if (sans != NULL) {
		assert_non_null(exts = sk_X509_EXTENSION_new_null());
		assert_non_null(ext = X509V3_EXT_i2d(NID_subject_alt_name, 0,
		    sans));
		assert_true(sk_X509_EXTENSION_push(exts, ext) > 0);
		assert_int_equal(X509_REQ_add_extensions(req, exts), 1);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	assert_true(X509_REQ_sign(req, key, md_for(key)) > 0);
	return req;
}

struct blob {
	uint8_t	*p;		/* owns; OPENSSL_malloc'ed */
	size_t	 n;
};

static struct blob
req_der(X509_REQ *req)
{
	struct blob	 b;
	unsigned char	*p = NULL;
	int		 n;

	n = i2d_X509_REQ(req, &p);
	assert_true(n > 0);
	b.p = p;
	b.n = (size_t)n;
	return b;
}

static struct blob
bio_blob(BIO *bio)
{
	struct blob	 b;
	char		*data;
	long		 n;

	n = BIO_get_mem_data(bio, &data);
	assert_true(n > 0);
	assert_non_null(b.p = OPENSSL_malloc((size_t)n + 1));
	memcpy(b.p, data, (size_t)n);
	b.p[n] = '\0';
	b.n = (size_t)n;
	return b;
}

static struct blob
req_pem(X509_REQ *req)
{
	BIO		*bio;
	struct blob	 b;

	assert_non_null(bio = BIO_new(BIO_s_mem()));
	assert_int_equal(PEM_write_bio_X509_REQ(bio, req), 1);
	b = bio_blob(bio);
	BIO_free(bio);
	return b;
}

/* A certificate for key, signed by ikey (NULL: self-signed). */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, EVP_PKEY *ikey, X509 *icert,
    long serial, bool ca)
{
	X509			*x;
	X509_NAME		*n = make_name(cn, "certa test");
	BASIC_CONSTRAINTS	*bc;

	assert_non_null(x = X509_new());
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial),
	    1);
	assert_int_equal(X509_set_subject_name(x, n), 1);
	assert_int_equal(X509_set_issuer_name(x, icert ?
	    X509_get_subject_name(icert) : n), 1);
	X509_NAME_free(n);
	assert_non_null(X509_time_adj_ex(X509_getm_notBefore(x), -1, 0, NULL));
	assert_non_null(X509_time_adj_ex(X509_getm_notAfter(x), 30, 0, NULL));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	assert_non_null(bc = BASIC_CONSTRAINTS_new());
	bc->ca = ca ? 0xff : 0;
	assert_int_equal(X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1,
	    X509V3_ADD_DEFAULT), 1);
	BASIC_CONSTRAINTS_free(bc);
	if (ikey == NULL)
		ikey = key;
	assert_true(X509_sign(x, ikey, md_for(ikey)) > 0);
	return x;
}

/*
 * Distinguished names.
 */

static int
cmp_ava(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * The name as it comes back from DER: "/O=b/CN=a+UID=x", first RDN first,
 * '+' between the AVAs of one RDN (sorted, as a SET has no order).
 */
static void
der_order(const X509_NAME *name, char *out, size_t outlen)
{
	unsigned char	*der = NULL, *u;
	const unsigned char *p;
	X509_NAME	*n;
	char		 rdn[16][256];
	size_t		 nrdn = 0, i, len = 0;
	int		 k, set = -1, dlen;

	out[0] = '\0';
	dlen = i2d_X509_NAME(name, &der);
	assert_true(dlen > 0);
	p = der;
	assert_non_null(n = d2i_X509_NAME(NULL, &p, dlen));
	OPENSSL_free(der);
	for (k = 0; k <= X509_NAME_entry_count(n); k++) {
		const X509_NAME_ENTRY	*e = NULL;
		int			 s = -2;

		if (k < X509_NAME_entry_count(n)) {
			e = X509_NAME_get_entry(n, k);
			s = X509_NAME_ENTRY_set(e);
		}
		if (s != set && nrdn > 0) {
			/* Flush one RDN: its AVAs sorted. */
			qsort(rdn, nrdn, sizeof(rdn[0]), cmp_ava);
			for (i = 0; i < nrdn; i++)
				len += (size_t)snprintf(out + len, outlen - len,
				    "%s%s", i == 0 ? "/" : "+", rdn[i]);
			nrdn = 0;
		}
		if (e == NULL)
			break;
		set = s;
		assert_true(nrdn < NELEM(rdn));
		assert_true(ASN1_STRING_to_UTF8(&u,
		    X509_NAME_ENTRY_get_data(e)) >= 0);
		snprintf(rdn[nrdn++], sizeof(rdn[0]), "%s=%s",
		    OBJ_nid2sn(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e))),
		    (char *)u);
		OPENSSL_free(u);
	}
	X509_NAME_free(n);
}

static void
test_name_parse(void **state)
{
	static const struct {
		const char	*in;
		const char	*rfc4514;	/* certa_name_format */
		const char	*der;		/* der_order */
	} t[] = {
		/* OpenSSL form: first RDN first. */
		{ "/CN=a/O=b", "O=b,CN=a", "/CN=a/O=b" },
		{ "/C=DE/O=Acme/OU=Ops/CN=client 1",
		  "CN=client 1,OU=Ops,O=Acme,C=DE",
		  "/C=DE/O=Acme/OU=Ops/CN=client 1" },
		/* RFC 4514: last RDN first, so the DER order is reversed. */
		{ "CN=a,O=b", "CN=a,O=b", "/O=b/CN=a" },
		{ "CN=a;O=b", "CN=a,O=b", "/O=b/CN=a" },
		{ "CN=client 1,OU=Ops,O=Acme,C=DE",
		  "CN=client 1,OU=Ops,O=Acme,C=DE",
		  "/C=DE/O=Acme/OU=Ops/CN=client 1" },
		{ "DC=example,DC=com", "DC=example,DC=com",
		  "/DC=com/DC=example" },
		/* A trailing '/' and spaces around '=' and separators. */
		{ "/CN=a/O=b/", "O=b,CN=a", "/CN=a/O=b" },
		{ " CN = a , O = b ", "CN=a,O=b", "/O=b/CN=a" },
		{ "/CN = a / O = b", "O=b,CN=a", "/CN=a/O=b" },
		/* Multi-valued RDNs: any AVA order is RFC 4514 output. */
		{ "CN=a+UID=x,O=b", "UID=x+CN=a,O=b", "/O=b/CN=a+UID=x" },
		{ "/O=b/CN=a+UID=x", "UID=x+CN=a,O=b", "/O=b/CN=a+UID=x" },
		{ "O=b,CN=a+UID=x", "O=b,UID=x+CN=a", "/CN=a+UID=x/O=b" },
		/* Escapes (RFC 4514 §2.4, §3). */
		{ "CN=a\\,b", "CN=a\\,b", "/CN=a,b" },
		{ "CN=a\\+b", "CN=a\\+b", "/CN=a+b" },
		{ "CN=a\\\\b", "CN=a\\\\b", "/CN=a\\b" },
		{ "CN=a\\2Cb", "CN=a\\,b", "/CN=a,b" },
		{ "CN=a\\2cb", "CN=a\\,b", "/CN=a,b" },
		{ "CN=a\\;b", "CN=a\\;b", "/CN=a;b" },
		{ "CN=\\#1", "CN=\\#1", "/CN=#1" },
		{ "CN=\\ a", "CN=\\ a", "/CN= a" },
		{ "CN=a\\ ", "CN=a\\ ", "/CN=a " },
		{ "CN=\"q\"", "CN=\\\"q\\\"", "/CN=\"q\"" },
		{ "/CN=a\\/b", "CN=a/b", "/CN=a/b" },
		/* UTF-8, raw and hex-escaped. */
		{ "CN=J\xc3\xbcrgen Gro\xc3\x9f,O=B\xc3\xa4""ckerei",
		  "CN=J\xc3\xbcrgen Gro\xc3\x9f,O=B\xc3\xa4""ckerei",
		  "/O=B\xc3\xa4""ckerei/CN=J\xc3\xbcrgen Gro\xc3\x9f" },
		{ "CN=J\\C3\\BCrgen", "CN=J\xc3\xbcrgen", "/CN=J\xc3\xbcrgen" },
		{ "CN=\xe6\x97\xa5\xe6\x9c\xac", "CN=\xe6\x97\xa5\xe6\x9c\xac",
		  "/CN=\xe6\x97\xa5\xe6\x9c\xac" },
		/* Other spellings of attribute types. */
		{ "email=a@b.example,CN=x", "emailAddress=a@b.example,CN=x",
		  "/CN=x/emailAddress=a@b.example" },
		{ "2.5.4.3=a", "CN=a", "/CN=a" },
		{ "commonName=a", "CN=a", "/CN=a" },
		/* RFC 4512 §1.4: descriptors are case-insensitive. */
		{ "cn=a,o=b", "CN=a,O=b", "/O=b/CN=a" },
	};
	size_t		 i;
	X509_NAME	*n, *n2;
	char		*s, der[1024];
	certa_rc	 rc;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		n = (X509_NAME *)1;
		certa_err_clear(&E);
		rc = certa_name_parse(t[i].in, &n, &E);
		note_queue("certa_name_parse");
		if (rc != CERTA_OK) {
			BAD("name[%zu] '%s': %s (%s)", i, t[i].in,
			    certa_rc_name(rc), E.msg);
			continue;
		}
		der_order(n, der, sizeof(der));
		if (strcmp(der, t[i].der) != 0)
			BAD("name[%zu] '%s': DER order '%s', want '%s'", i,
			    t[i].in, der, t[i].der);
		OK(certa_name_format(n, &s, &E));
		if (strcmp(s, t[i].rfc4514) != 0)
			BAD("name[%zu] '%s': formats as '%s', want '%s'", i,
			    t[i].in, s, t[i].rfc4514);
		/* The output parses back to the same name. */
		rc = certa_name_parse(s, &n2, &E);
		if (rc != CERTA_OK)
			BAD("name[%zu]: own output '%s' does not parse: %s",
			    i, s, E.msg);
		else if (X509_NAME_cmp(n, n2) != 0)
			BAD("name[%zu]: '%s' parses to another name", i, s);
		X509_NAME_free(n2);
		free(s);
		X509_NAME_free(n);
	}
	TABLE_DONE();
}

static void
test_name_parse_bad(void **state)
{
	static const char *const t[] = {
		"",				/* empty */
		"/",
		"CN",				/* no '=' */
		"CN=a,O",
		"=a",
		"CN=a,=b",
		"XX=a",				/* unknown type */
		"/CN=a/Foo=b",
		"CN=",				/* empty value */
		"CN= ",
		"/CN=a/O=",
		"CN=a,",			/* empty RDN */
		"CN=a,,O=b",
		"CN=a+",
		"/CN=a//O=b",
		"CN=a\\",			/* dangling backslash */
		"CN=a\tb",			/* control characters */
		"CN=a\nb",
		"CN=a\x7f",
		"/CN=a\rb",
		"CN=a\\00b",			/* ... or escaped ones */
		"CN=a\\0Ab",
		"CN=#0403616263",		/* hex values */
		"CN= #04",
		"C=DEU",			/* country: 2 characters */
		"C=D",
		"CN=\xff\xfe",			/* not UTF-8 */
		"CN=\\C3",
	};
	char		 big[CERTA_MAX_DN + 16], cn65[80];
	X509_NAME	*n;
	size_t		 i;
	certa_rc	 rc;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		n = (X509_NAME *)1;
		certa_err_clear(&E);
		rc = certa_name_parse(t[i], &n, &E);
		note_queue("certa_name_parse");
		if (rc != CERTA_E_PARSE)
			BAD("bad name[%zu] '%s': %s, want parse", i, t[i],
			    certa_rc_name(rc));
		else if (E.msg[0] == '\0')
			BAD("bad name[%zu] '%s': no message", i, t[i]);
		if (n != NULL) {
			BAD("bad name[%zu] '%s': *out not NULL", i, t[i]);
			if (rc == CERTA_OK)
				X509_NAME_free(n);
		}
	}
	/* Too long: the whole DN, one value (ub-common-name 64), too many. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "CN=", 3);
	big[CERTA_MAX_DN + 1] = '\0';
	RC(certa_name_parse(big, &n, &E), CERTA_E_PARSE);
	assert_null(n);
	memset(cn65, 'a', sizeof(cn65));
	memcpy(cn65, "CN=", 3);
	cn65[3 + 65] = '\0';
	RC(certa_name_parse(cn65, &n, &E), CERTA_E_PARSE);
	cn65[3 + 64] = '\0';
	OK(certa_name_parse(cn65, &n, &E));
	X509_NAME_free(n);
	big[0] = '\0';
	for (i = 0; i < 65; i++)
		strcat(big, i ? ",O=x" : "O=x");
	RC(certa_name_parse(big, &n, &E), CERTA_E_PARSE);
	RC(certa_name_parse(NULL, &n, &E), CERTA_E_PARSE);
	assert_null(n);
	TABLE_DONE();
}

/*
 * The empty DN (a CSR may have one when the SAN carries the identity),
 * in a child process so that a sanitizer stop fails this test only.
 */
static int
name_format_empty_child(void)
{
	X509_NAME	*n = X509_NAME_new();
	char		*s = NULL;
	int		 ret = 0;

	if (n == NULL)
		return 10;
	if (certa_name_format(n, &s, NULL) != CERTA_OK)
		ret = 11;
	else if (s == NULL || s[0] != '\0')
		ret = 12;
	free(s);
	X509_NAME_free(n);
	return ret;
}

static void
test_name_format_empty(void **state)
{
	pid_t	 pid;
	int	 status;

	(void)state;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(name_format_empty_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("certa_name_format(empty DN): killed by signal %d",
		    WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("certa_name_format(empty DN): exit status %d (1: "
		    "stopped by a sanitizer, see above; 11: an error; 12: not "
		    "\"\")", WEXITSTATUS(status));
}

static void
test_name_get_text(void **state)
{
	X509_NAME	*n;
	char		*s;

	(void)state;
	OK(certa_name_parse("CN=J\xc3\xbcrgen,O=b", &n, &E));
	assert_non_null(s = certa_name_get_text(n, NID_commonName));
	assert_string_equal(s, "J\xc3\xbcrgen");
	free(s);
	assert_non_null(s = certa_name_get_text(n, NID_organizationName));
	assert_string_equal(s, "b");
	free(s);
	assert_null(certa_name_get_text(n, NID_countryName));
	X509_NAME_free(n);
}

/*
 * Serial numbers (RFC 5280 §4.1.2.2).
 */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_serial_new(void **state)
{
	enum { N = 1000 };
	char		**hexes;
	char		 hex[41], *h;
	ASN1_INTEGER	*ai;
	BIGNUM		*bn;
	unsigned char	*der;
	int		 dlen, bits, i;

	(void)state;
	assert_non_null(hexes = calloc(N, sizeof(*hexes)));
	for (i = 0; i < N; i++) {
		memset(hex, 'x', sizeof(hex));
		OK(certa_serial_new(NULL, &ai, hex, &E));
		assert_non_null(ai);
		assert_int_equal(ASN1_STRING_type(ai), V_ASN1_INTEGER);
		/* DER: 02 len content; content <= 20 octets, positive. */
		der = NULL;
		dlen = i2d_ASN1_INTEGER(ai, &der);
		assert_true(dlen > 2);
		assert_int_equal(der[0], 0x02);
		assert_true(der[1] <= 20);
		assert_int_equal(dlen, 2 + der[1]);
		assert_int_equal(der[2] & 0x80, 0);
		OPENSSL_free(der);
		assert_non_null(bn = ASN1_INTEGER_to_BN(ai, NULL));
		assert_false(BN_is_negative(bn));
		bits = BN_num_bits(bn);
		if (bits < 144 || bits > CERTA_SERIAL_BITS)
			fail_msg("serial %s has %d significant bits", hex,
			    bits);
		BN_free(bn);
		/* Canonical hex: lower case, no leading zero. */
		assert_true(strlen(hex) >= 36 && strlen(hex) <= 40);
		assert_true(strspn(hex, "0123456789abcdef") == strlen(hex));
		assert_true(hex[0] != '0');
		assert_non_null(h = certa_serial_hex(ai));
		assert_string_equal(h, hex);
		free(h);
		assert_non_null(hexes[i] = strdup(hex));
		ASN1_INTEGER_free(ai);
	}
	qsort(hexes, N, sizeof(*hexes), cmp_str);
	for (i = 1; i < N; i++)
		if (strcmp(hexes[i - 1], hexes[i]) == 0)
			fail_msg("serial %s drawn twice", hexes[i]);
	for (i = 0; i < N; i++)
		free(hexes[i]);
	free(hexes);
}

/* An INTEGER from big-endian magnitude bytes, negated when neg. */
static ASN1_INTEGER *
int_of(const uint8_t *b, size_t n, bool neg)
{
	BIGNUM		*bn;
	ASN1_INTEGER	*ai;

	assert_non_null(bn = BN_bin2bn(b, (int)n, NULL));
	BN_set_negative(bn, neg);
	assert_non_null(ai = BN_to_ASN1_INTEGER(bn, NULL));
	BN_free(bn);
	return ai;
}

static void
test_serial_hex(void **state)
{
	static const struct {
		uint8_t		 b[24];
		size_t		 n;
		bool		 neg;
		const char	*want;		/* NULL: refused */
	} t[] = {
		{ { 0x01 }, 1, false, "1" },
		{ { 0x0a }, 1, false, "a" },
		{ { 0x7f }, 1, false, "7f" },
		{ { 0x80 }, 1, false, "80" },
		{ { 0x01, 0x00 }, 2, false, "100" },
		{ { 0xab, 0xcd, 0xef }, 3, false, "abcdef" },
		{ { 0x00, 0x00, 0x12 }, 3, false, "12" },
		/* 20 octets, the most RFC 5280 allows. */
		{ { 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0xfe }, 20, false,
		  "7ffffffffffffffffffffffffffffffffffffffe" },
		/* Negative. */
		{ { 0x05 }, 1, true, NULL },
		{ { 0x12, 0x34 }, 2, true, NULL },
		/* 21 octets: a 161-bit magnitude ... */
		{ { 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		    0, 0, 0x01 }, 21, false, NULL },
		/* ... or a 160-bit one, whose DER needs a 0x00 octet. */
		{ { 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		    0, 0x01 }, 20, false, NULL },
	};
	ASN1_INTEGER	*ai;
	char		*h;
	size_t		 i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		ai = int_of(t[i].b, t[i].n, t[i].neg);
		h = certa_serial_hex(ai);
		if (t[i].want == NULL && h != NULL)
			BAD("serial_hex[%zu]: '%s', want NULL", i, h);
		else if (t[i].want != NULL && (h == NULL ||
		    strcmp(h, t[i].want) != 0))
			BAD("serial_hex[%zu]: '%s', want '%s'", i,
			    h ? h : "(null)", t[i].want);
		free(h);
		ASN1_INTEGER_free(ai);
	}
	TABLE_DONE();
}

/*
 * Durations and times (certa/util.h).
 */

static void
test_duration_parse(void **state)
{
	static const struct {
		const char	*in;
		certa_rc	 rc;
		int64_t		 secs;
	} t[] = {
		{ "1s", CERTA_OK, 1 },
		{ "3600s", CERTA_OK, 3600 },
		{ "90", CERTA_E_PARSE, 0 },	/* a unit is required */
		{ "30m", CERTA_OK, 1800 },
		{ "12h", CERTA_OK, 43200 },
		{ "90d", CERTA_OK, 90 * DAY },
		{ "2w", CERTA_OK, 14 * DAY },
		{ "10y", CERTA_OK, 3650 * DAY },
		{ "200y", CERTA_OK, 200LL * 365 * DAY },
		{ "007d", CERTA_OK, 7 * DAY },
		{ "", CERTA_E_PARSE, 0 },
		{ "d", CERTA_E_PARSE, 0 },
		{ "10x", CERTA_E_PARSE, 0 },
		{ "10D", CERTA_E_PARSE, 0 },
		{ "-1d", CERTA_E_PARSE, 0 },
		{ "+1d", CERTA_E_PARSE, 0 },
		{ "0d", CERTA_E_PARSE, 0 },
		{ "0", CERTA_E_PARSE, 0 },
		{ "1d2", CERTA_E_PARSE, 0 },
		{ "1dd", CERTA_E_PARSE, 0 },
		{ "1.5d", CERTA_E_PARSE, 0 },
		{ " 1d", CERTA_E_PARSE, 0 },
		{ "1d ", CERTA_E_PARSE, 0 },
		{ "201y", CERTA_E_PARSE, 0 },
		{ "999999999999y", CERTA_E_PARSE, 0 },
		{ "99999999999999999999999s", CERTA_E_PARSE, 0 },
	};
	size_t		 i;
	int64_t		 v;
	certa_rc	 rc;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		v = -7;
		certa_err_clear(&E);
		rc = certa_duration_parse(t[i].in, &v, &E);
		if (rc != t[i].rc || v != t[i].secs)
			BAD("duration '%s': %s %lld, want %s %lld", t[i].in,
			    certa_rc_name(rc), (long long)v,
			    certa_rc_name(t[i].rc), (long long)t[i].secs);
		else if (rc != CERTA_OK && E.msg[0] == '\0')
			BAD("duration '%s': no message", t[i].in);
	}
	RC(certa_duration_parse(NULL, &v, &E), CERTA_E_PARSE);
	TABLE_DONE();
}

static void
test_time_parse(void **state)
{
	static const struct {
		const char	*in;
		certa_rc	 rc;
		int64_t		 t;
	} t[] = {
		{ "0", CERTA_OK, 0 },
		{ "1767225600", CERTA_OK, NOW },
		{ "1970-01-01T00:00:00Z", CERTA_OK, 0 },
		{ "2026-01-01T00:00:00Z", CERTA_OK, NOW },
		{ "2026-01-01t00:00:00z", CERTA_OK, NOW },
		{ "2026-01-01T02:00:00+02:00", CERTA_OK, NOW },
		{ "2025-12-31T18:30:00-05:30", CERTA_OK, NOW },
		{ "2026-01-01T00:00:00.123Z", CERTA_OK, NOW },
		{ "2026-01-01T00:00:00.5+00:00", CERTA_OK, NOW },
		{ "2026-01-01T05:30:00.999999+05:30", CERTA_OK, NOW },
		{ "2000-03-01T00:00:00Z", CERTA_OK, 951868800 },
		{ "2024-02-29T12:34:56Z", CERTA_OK, 1709210096 },
		{ "2050-01-01T00:00:00Z", CERTA_OK, 2524608000LL },
		{ "", CERTA_E_PARSE, 0 },
		{ "abc", CERTA_E_PARSE, 0 },
		{ "-5", CERTA_E_PARSE, 0 },
		{ "1234567890123", CERTA_E_PARSE, 0 },
		{ "2026-01-01", CERTA_E_PARSE, 0 },
		{ "2026-01-01T00:00:00", CERTA_E_PARSE, 0 },
		{ "2026-01-01 00:00:00Z", CERTA_E_PARSE, 0 },
		{ "2026-01-01T00:00:00Zjunk", CERTA_E_PARSE, 0 },
		{ "2026-01-01T00:00:00+02:00x", CERTA_E_PARSE, 0 },
		{ "2026-13-01T00:00:00Z", CERTA_E_PARSE, 0 },
		{ "2026-00-10T00:00:00Z", CERTA_E_PARSE, 0 },
		{ "2026-01-32T00:00:00Z", CERTA_E_PARSE, 0 },
		{ "2026-01-00T00:00:00Z", CERTA_E_PARSE, 0 },
		{ "2026-02-30T00:00:00Z", CERTA_E_PARSE, 0 },
		{ "2025-02-29T00:00:00Z", CERTA_E_PARSE, 0 },
		{ "2026-04-31T00:00:00Z", CERTA_E_PARSE, 0 },
		{ "2026-01-01T24:00:00Z", CERTA_E_PARSE, 0 },
		{ "2026-01-01T00:60:00Z", CERTA_E_PARSE, 0 },
		{ "2026-01-01T-1:00:00Z", CERTA_E_PARSE, 0 },
		{ "2026-01-01T00:-5:00Z", CERTA_E_PARSE, 0 },
		{ "2026-01-01T00:00:00.Z", CERTA_E_PARSE, 0 },
		{ "2026-01-01T00:00:00+2:00", CERTA_E_PARSE, 0 },
		{ "2026-01-01T00:00:00+0200", CERTA_E_PARSE, 0 },
		{ "2026-01-01T00:00:00+24:00", CERTA_E_PARSE, 0 },
		{ "2026-01-01T00:00:00+02:60", CERTA_E_PARSE, 0 },
	};
	/* Inputs are copied into a zeroed buffer so that a read past the
	 * terminator shows as a wrong answer here, not as a crash. */
	char		 buf[96];
	size_t		 i;
	int64_t		 v, v2;
	char		 f[21];
	certa_rc	 rc;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		memset(buf, 0, sizeof(buf));
		memcpy(buf, t[i].in, strlen(t[i].in));
		v = -7;
		certa_err_clear(&E);
		rc = certa_time_parse(buf, &v, &E);
		if (rc != t[i].rc || (rc == CERTA_OK && v != t[i].t))
			BAD("time '%s': %s %lld, want %s %lld", t[i].in,
			    certa_rc_name(rc), (long long)v,
			    certa_rc_name(t[i].rc), (long long)t[i].t);
		else if (rc != CERTA_OK && E.msg[0] == '\0')
			BAD("time '%s': no message", t[i].in);
		if (rc != CERTA_OK || t[i].rc != CERTA_OK)
			continue;
		/* Round trip through the formatter. */
		certa_time_format(v, f);
		if (certa_time_parse(f, &v2, &E) != CERTA_OK || v2 != v)
			BAD("time '%s': formats as '%s', which reads back as "
			    "%lld", t[i].in, f, (long long)v2);
	}
	RC(certa_time_parse(NULL, &v, &E), CERTA_E_PARSE);
	TABLE_DONE();
}

static void
test_time_format(void **state)
{
	static const struct {
		int64_t		 t;
		const char	*want;
	} t[] = {
		{ 0, "1970-01-01T00:00:00Z" },
		{ NOW, "2026-01-01T00:00:00Z" },
		{ NOW - 1, "2025-12-31T23:59:59Z" },
		{ 951868800, "2000-03-01T00:00:00Z" },
		{ 1709210096, "2024-02-29T12:34:56Z" },
		{ 2524608000LL, "2050-01-01T00:00:00Z" },
		{ 253402300799LL, "9999-12-31T23:59:59Z" },
	};
	size_t	 i;
	char	 out[21];

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		memset(out, 'x', sizeof(out));
		certa_time_format(t[i].t, out);
		if (strcmp(out, t[i].want) != 0)
			BAD("time_format(%lld) = '%.21s', want '%s'",
			    (long long)t[i].t, out, t[i].want);
	}
	TABLE_DONE();
}

/*
 * Keys.
 */

static void
test_key_generate(void **state)
{
	static const struct {
		const char	*spec;
		const char	*type;		/* EVP_PKEY_is_a */
		int		 bits;
		const char	*desc;
		const char	*md;
	} t[] = {
		{ "ec:P-256", "EC", 256, "ec:P-256", "SHA256" },
		{ "ec:P-384", "EC", 384, "ec:P-384", "SHA384" },
		{ "ec:p-256", "EC", 256, "ec:P-256", "SHA256" },
		{ "ed25519", "ED25519", 256, "ed25519", NULL },
		{ "rsa:2048", "RSA", 2048, "rsa:2048", "SHA256" },
		{ "rsa:3072", "RSA", 3072, "rsa:3072", "SHA256" },
		{ "rsa:4096", "RSA", 4096, "rsa:4096", "SHA256" },
	};
	static const char *const bad[] = { "", "ec", "ec:P-521", "ec:P-25",
	    "ec:secp256k1", "EC:P-256", "rsa:1024", "rsa:2047", "rsa:8192",
	    "rsa", "rsa:", "RSA:2048", "ed448", "ed25519 ", "dsa:2048" };
	EVP_PKEY	*k;
	char		*d;
	size_t		 i;
	certa_rc	 rc;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		k = (EVP_PKEY *)1;
		OK(certa_key_generate(NULL, t[i].spec, &k, &E));
		assert_non_null(k);
		if (!EVP_PKEY_is_a(k, t[i].type))
			BAD("key %s: is a %s", t[i].spec,
			    EVP_PKEY_get0_type_name(k));
		if (EVP_PKEY_get_bits(k) != t[i].bits)
			BAD("key %s: %d bits", t[i].spec,
			    EVP_PKEY_get_bits(k));
		d = certa_key_describe(k);
		if (d == NULL || strcmp(d, t[i].desc) != 0)
			BAD("key %s: described as '%s'", t[i].spec,
			    d ? d : "(null)");
		free(d);
		if ((certa_key_sign_md(k) == NULL) != (t[i].md == NULL) ||
		    (t[i].md != NULL && strcmp(certa_key_sign_md(k),
		    t[i].md) != 0))
			BAD("key %s: digest %s", t[i].spec,
			    certa_key_sign_md(k) ? certa_key_sign_md(k) :
			    "(none)");
		EVP_PKEY_free(k);
	}
	for (i = 0; i < NELEM(bad); i++) {
		k = (EVP_PKEY *)1;
		certa_err_clear(&E);
		rc = certa_key_generate(NULL, bad[i], &k, &E);
		note_queue("certa_key_generate (bad spec)");
		if (rc != CERTA_E_PARSE)
			BAD("key spec '%s' not refused with parse", bad[i]);
		if (k != NULL)
			BAD("key spec '%s': *out not NULL", bad[i]);
		if (E.msg[0] == '\0')
			BAD("key spec '%s': no message", bad[i]);
	}
	RC(certa_key_generate(NULL, NULL, &k, &E), CERTA_E_INVAL);
	assert_null(k);
	TABLE_DONE();
}

static void
test_key_describe(void **state)
{
	static const struct {
		enum tk		 k;
		const char	*desc;
	} t[] = {
		{ TK_P256, "ec:P-256" },
		{ TK_P384, "ec:P-384" },
		{ TK_P521, "ec:P-521" },
		{ TK_K256, "ec:secp256k1" },
		{ TK_ED25519, "ed25519" },
		{ TK_ED448, "ed448" },
		{ TK_RSA1024, "rsa:1024" },
		{ TK_RSA2048, "rsa:2048" },
	};
	size_t	 i;
	char	*d;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		d = certa_key_describe(tkey(t[i].k));
		if (d == NULL || strcmp(d, t[i].desc) != 0)
			BAD("describe: '%s', want '%s'", d ? d : "(null)",
			    t[i].desc);
		free(d);
	}
	TABLE_DONE();
}

/* The PBES2 parameters of an encrypted PKCS#8 PEM: KDF and cipher NIDs. */
static void
pbes2_of(const char *pem, int *kdf, int *cipher)
{
	BIO			*bio;
	X509_SIG		*sig;
	const X509_ALGOR	*alg;
	const ASN1_OBJECT	*obj;
	const void		*pval;
	int			 ptype;
	PBE2PARAM		*p2;

	assert_non_null(bio = BIO_new_mem_buf(pem, -1));
	assert_non_null(sig = PEM_read_bio_PKCS8(bio, NULL, NULL, NULL));
	X509_SIG_get0(sig, &alg, NULL);
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	assert_int_equal(OBJ_obj2nid(obj), NID_pbes2);
	assert_int_equal(ptype, V_ASN1_SEQUENCE);
	assert_non_null(p2 = ASN1_item_unpack(pval, ASN1_ITEM_rptr(PBE2PARAM)));
	*kdf = OBJ_obj2nid(p2->keyfunc->algorithm);
	*cipher = OBJ_obj2nid(p2->encryption->algorithm);
	PBE2PARAM_free(p2);
	X509_SIG_free(sig);
	BIO_free(bio);
}

static void
test_key_pem(void **state)
{
	static const enum tk	 t[] = { TK_P256, TK_P384, TK_ED25519,
	    TK_RSA2048 };
	EVP_PKEY		*k, *back;
	char			*pem;
	size_t			 len, i;
	int			 kdf, cipher;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		k = tkey(t[i]);
		/* Encrypted: PBES2 with scrypt and AES-256-CBC. */
		pem = (char *)1;
		OK(certa_key_to_pem(k, "correct horse", &pem, &len, &E));
		assert_int_equal(strlen(pem), len);
		assert_non_null(strstr(pem,
		    "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
		pbes2_of(pem, &kdf, &cipher);
		assert_int_equal(kdf, NID_id_scrypt);
		assert_int_equal(cipher, NID_aes_256_cbc);
		OK(certa_key_from_pem(NULL, NULL, pem, len, "correct horse",
		    &back, &E));
		assert_int_equal(EVP_PKEY_eq(k, back), 1);
		EVP_PKEY_free(back);
		/* Wrong passphrase, no passphrase: no key. */
		back = (EVP_PKEY *)1;
		RC(certa_key_from_pem(NULL, NULL, pem, len, "correct horsf",
		    &back, &E), CERTA_E_CRYPTO);
		assert_null(back);
		assert_true(E.msg[0] != '\0');
		back = (EVP_PKEY *)1;
		RC(certa_key_from_pem(NULL, NULL, pem, len, "", &back, &E),
		    CERTA_E_CRYPTO);
		assert_null(back);
		back = (EVP_PKEY *)1;
		certa_err_clear(&E);
		assert_int_not_equal(certa_key_from_pem(NULL, NULL, pem, len,
		    NULL, &back, &E), CERTA_OK);
		note_queue("certa_key_from_pem (no passphrase)");
		assert_null(back);
		certa_free_secret(pem, len);

		/* Plain PKCS#8 without a passphrase. */
		OK(certa_key_to_pem(k, NULL, &pem, &len, &E));
		assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
		assert_null(strstr(pem, "ENCRYPTED"));
		OK(certa_key_from_pem(NULL, NULL, pem, len, NULL, &back, &E));
		assert_int_equal(EVP_PKEY_eq(k, back), 1);
		EVP_PKEY_free(back);
		certa_free_secret(pem, len);
	}
	/* Not a key at all; truncated. */
	back = (EVP_PKEY *)1;
	RC(certa_key_from_pem(NULL, NULL, "hello", 5, NULL, &back, &E),
	    CERTA_E_PARSE);
	assert_null(back);
	OK(certa_key_to_pem(tkey(TK_P256), NULL, &pem, &len, &E));
	RC(certa_key_from_pem(NULL, NULL, pem, len / 2, NULL, &back, &E),
	    CERTA_E_PARSE);
	assert_null(back);
	certa_free_secret(pem, len);
}

/*
 * Certificate requests.
 */

static void
check_csr(const struct certa_csr *c, X509_REQ *req, EVP_PKEY *key,
    const char *sans)
{
	X509		*x;
	char		*s;
	unsigned char	*a = NULL, *b = NULL;
	EVP_PKEY	*pk;
	int		 alen, blen;

	assert_non_null(c);
	assert_non_null(c->subject);
	assert_int_equal(X509_NAME_cmp(c->subject,
	    X509_REQ_get_subject_name(req)), 0);
	assert_non_null(c->pkey);
	assert_int_equal(EVP_PKEY_eq(c->pkey, key), 1);
	assert_non_null(c->spki_alg);
	assert_non_null(c->spki_key);
	if (sans == NULL) {
		assert_null(c->sans);
	} else {
		assert_non_null(c->sans);
		assert_non_null(s = certa_sans_format(c->sans));
		assert_string_equal(s, sans);
		free(s);
	}
	/* The SubjectPublicKeyInfo lands in a certificate byte for byte. */
	assert_non_null(x = X509_new());
	OK(certa_csr_set_spki(c, x, &E));
	alen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &a);
	blen = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(req), &b);
	assert_true(alen > 0);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, (size_t)alen);
	/*
	 * ... and decodes to the request's key.  (x's cached EVP_PKEY stays
	 * unset by design: see certa_csr_set_spki in core.h.)
	 */
	{
		const unsigned char *q = a;

		pk = d2i_PUBKEY(NULL, &q, alen);
		if (pk == NULL)
			BAD("certa_csr_set_spki: the SPKI does not decode");
		else if (EVP_PKEY_eq(pk, c->pkey) != 1 ||
		    EVP_PKEY_eq(pk, key) != 1)
			BAD("certa_csr_set_spki: the SPKI is another key");
		EVP_PKEY_free(pk);
	}
	ERR_clear_error();
	OPENSSL_free(a);
	OPENSSL_free(b);
	X509_free(x);
}

static void
test_csr_parse(void **state)
{
	static const struct {
		enum tk		 k;
		bool		 sans;
	} t[] = {
		{ TK_P256, false },
		{ TK_P384, false },
		{ TK_ED25519, false },
		{ TK_RSA2048, false },
		{ TK_P256, true },
		{ TK_RSA2048, true },
		{ TK_ED25519, true },
		/* Neither fast path: OpenSSL's general path. */
		{ TK_DSA, false },
		{ TK_ED448, true },
	};
	GENERAL_NAMES		*gens;
	X509_REQ		*req;
	struct certa_csr	*c;
	struct blob		 der, pem;
	char			*p;
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		gens = t[i].sans ? sample_sans() : NULL;
		req = make_req(tkey(t[i].k), "client", gens);
		GENERAL_NAMES_free(gens);
		der = req_der(req);
		pem = req_pem(req);

		c = (struct certa_csr *)1;
		OK(certa_csr_parse(NULL, NULL, der.p, der.n, &c, &E));
		check_csr(c, req, tkey(t[i].k), t[i].sans ? SAMPLE_SANS :
		    NULL);
		certa_csr_free(c);
		OK(certa_csr_parse(NULL, NULL, pem.p, pem.n, &c, &E));
		check_csr(c, req, tkey(t[i].k), t[i].sans ? SAMPLE_SANS :
		    NULL);
		certa_csr_free(c);

		/* The old PEM label, and blank lines in front. */
		p = strstr((char *)pem.p, "CERTIFICATE REQUEST-----\n");
		assert_non_null(p);
		if (i == 0) {
			BIO		*bio = BIO_new(BIO_s_mem());
			struct blob	 old;

			assert_non_null(bio);
			assert_true(BIO_printf(bio, "\n \n") > 0);
			assert_int_equal(PEM_write_bio_X509_REQ_NEW(bio, req),
			    1);
			old = bio_blob(bio);
			assert_non_null(strstr((char *)old.p,
			    "NEW CERTIFICATE REQUEST"));
			OK(certa_csr_parse(NULL, NULL, old.p, old.n, &c, &E));
			check_csr(c, req, tkey(t[i].k), NULL);
			certa_csr_free(c);
			OPENSSL_free(old.p);
			BIO_free(bio);
		}
		OPENSSL_free(der.p);
		OPENSSL_free(pem.p);
		X509_REQ_free(req);
	}
	certa_csr_free(NULL);
	TABLE_DONE();
}

/* The first occurrence of s in p[0..n), or NULL. */
static uint8_t *
find(uint8_t *p, size_t n, const char *s)
{
	size_t	 i, k = strlen(s);

	for (i = 0; i + k <= n; i++)
		if (memcmp(p + i, s, k) == 0)
			return p + i;
	return NULL;
}

/* Parse must give rc and no object. */
static void
csr_refused(const char *what, const uint8_t *p, size_t n, certa_rc want)
{
	struct certa_csr	*c = (struct certa_csr *)1;
	certa_rc		 rc;

	certa_err_clear(&E);
	rc = certa_csr_parse(NULL, NULL, p, n, &c, &E);
	note_queue(what);
	if (rc != want)
		BAD("csr %s: %s, want %s (%s)", what, certa_rc_name(rc),
		    certa_rc_name(want), E.msg);
	else if (E.msg[0] == '\0')
		BAD("csr %s: no message", what);
	if (c != NULL) {
		BAD("csr %s: *out not NULL", what);
		if (rc == CERTA_OK)
			certa_csr_free(c);
	}
}

static void
test_csr_parse_bad(void **state)
{
	static const enum tk	 kinds[] = { TK_P256, TK_P384, TK_ED25519,
	    TK_RSA2048, TK_DSA };
	X509_REQ		*req;
	X509			*x;
	struct blob		 der, pem;
	uint8_t			*buf, *q;
	BIO			*bio;
	char			 what[64];
	size_t			 i, n;

	(void)state;
	for (i = 0; i < NELEM(kinds); i++) {
		req = make_req(tkey(kinds[i]), "tamper-me", NULL);
		der = req_der(req);
		assert_non_null(buf = malloc(der.n + 2));

		/* Truncated DER, at several places. */
		for (n = 1; n < der.n; n += der.n / 5 + 1) {
			snprintf(what, sizeof(what), "%zu: truncated to %zu",
			    i, n);
			csr_refused(what, der.p, n, CERTA_E_PARSE);
		}
		csr_refused("truncated by one", der.p, der.n - 1,
		    CERTA_E_PARSE);
		/* Trailing garbage. */
		memcpy(buf, der.p, der.n);
		buf[der.n] = 0x00;
		buf[der.n + 1] = 0x00;
		snprintf(what, sizeof(what), "%zu: trailing bytes", i);
		csr_refused(what, buf, der.n + 2, CERTA_E_PARSE);
		/* A flipped bit in the signature (its last octet). */
		memcpy(buf, der.p, der.n);
		buf[der.n - 1] ^= 0x01;
		snprintf(what, sizeof(what), "%zu: tampered signature", i);
		csr_refused(what, buf, der.n, CERTA_E_POLICY);
		/* A changed subject byte: the signature no longer covers it. */
		memcpy(buf, der.p, der.n);
		q = find(buf, der.n, "tamper-me");
		assert_non_null(q);
		q[0] = 'T';
		snprintf(what, sizeof(what), "%zu: tampered subject", i);
		csr_refused(what, buf, der.n, CERTA_E_POLICY);
		free(buf);
		OPENSSL_free(der.p);
		X509_REQ_free(req);
	}

	/* EC with explicit curve parameters. */
	req = make_req(tkey(TK_P256_EXPLICIT), "explicit", NULL);
	der = req_der(req);
	pem = req_pem(req);
	csr_refused("explicit EC parameters", der.p, der.n, CERTA_E_POLICY);
	csr_refused("explicit EC parameters, PEM", pem.p, pem.n,
	    CERTA_E_POLICY);
	OPENSSL_free(der.p);
	OPENSSL_free(pem.p);
	X509_REQ_free(req);

	/* A certificate is not a request, in PEM or DER. */
	x = make_cert(tkey(TK_P256), "a cert", NULL, NULL, 7, false);
	assert_non_null(bio = BIO_new(BIO_s_mem()));
	assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	pem = bio_blob(bio);
	BIO_free(bio);
	csr_refused("PEM CERTIFICATE", pem.p, pem.n, CERTA_E_PARSE);
	OPENSSL_free(pem.p);
	der.p = NULL;
	der.n = (size_t)i2d_X509(x, &der.p);
	csr_refused("DER certificate", der.p, der.n, CERTA_E_PARSE);
	OPENSSL_free(der.p);
	X509_free(x);

	/* Empty, garbage, damaged PEM, too large. */
	csr_refused("empty", (const uint8_t *)"", 0, CERTA_E_PARSE);
	csr_refused("garbage", (const uint8_t *)"hello world", 11,
	    CERTA_E_PARSE);
	csr_refused("damaged PEM", (const uint8_t *)
	    "-----BEGIN CERTIFICATE REQUEST-----\nMIIB!!!\n"
	    "-----END CERTIFICATE REQUEST-----\n", 80, CERTA_E_PARSE);
	req = make_req(tkey(TK_P256), "big", NULL);
	der = req_der(req);
	assert_non_null(buf = calloc(1, CERTA_MAX_CSR_DER + 1));
	memcpy(buf, der.p, der.n);
	csr_refused("64 KiB + 1", buf, CERTA_MAX_CSR_DER + 1, CERTA_E_PARSE);
	free(buf);
	OPENSSL_free(der.p);
	X509_REQ_free(req);
	TABLE_DONE();
}

/* The DSA request takes the general path; the profile refuses it later. */
static void
test_csr_general_path(void **state)
{
	const struct certa_profile	*prof;
	struct certa_profiles		 ps = { NULL, 0 };
	struct certa_csr		*c;
	X509_REQ			*req;
	struct blob			 der;

	(void)state;
	req = make_req(tkey(TK_DSA), "dsa client", NULL);
	der = req_der(req);
	OK(certa_csr_parse(NULL, NULL, der.p, der.n, &c, &E));
	check_csr(c, req, tkey(TK_DSA), NULL);
	assert_true(EVP_PKEY_is_a(c->pkey, "DSA"));
	OK(certa_profiles_load(NULL, &ps, &E));
	OK(certa_profiles_find(&ps, "transport", &prof, &E));
	RC(certa_profile_check_key(prof, c->pkey, &E), CERTA_E_POLICY);
	certa_profiles_clear(&ps);
	certa_csr_free(c);
	OPENSSL_free(der.p);
	X509_REQ_free(req);
	TABLE_DONE();
}

/*
 * Profiles.
 */

static void
test_profiles_builtin(void **state)
{
	static const struct {
		const char	*name;
		uint32_t	 ku, ku_ec, ku_rsa;
		int		 eku;		/* NID or NID_undef */
		uint32_t	 algs, sans;
	} t[] = {
		{ "transport", X509v3_KU_DIGITAL_SIGNATURE,
		  X509v3_KU_KEY_AGREEMENT, X509v3_KU_KEY_ENCIPHERMENT,
		  NID_client_auth, CERTA_KEYALG_P256 | CERTA_KEYALG_P384 |
		  CERTA_KEYALG_ED25519 | CERTA_KEYALG_RSA, CERTA_SAN_DNS |
		  CERTA_SAN_IP | CERTA_SAN_URI | CERTA_SAN_EMAIL },
		{ "signing", X509v3_KU_DIGITAL_SIGNATURE |
		  X509v3_KU_NON_REPUDIATION, 0, 0, NID_undef,
		  CERTA_KEYALG_P256 | CERTA_KEYALG_P384 |
		  CERTA_KEYALG_ED25519 | CERTA_KEYALG_RSA, CERTA_SAN_DNS |
		  CERTA_SAN_URI | CERTA_SAN_EMAIL },
		{ "encryption", 0, X509v3_KU_KEY_AGREEMENT,
		  X509v3_KU_KEY_ENCIPHERMENT, NID_undef, CERTA_KEYALG_P256 |
		  CERTA_KEYALG_P384 | CERTA_KEYALG_RSA, CERTA_SAN_DNS |
		  CERTA_SAN_URI | CERTA_SAN_EMAIL },
	};
	struct certa_profiles		 ps = { NULL, 0 };
	const struct certa_profile	*p;
	size_t				 i;

	(void)state;
	OK(certa_profiles_load(NULL, &ps, &E));
	assert_int_equal(ps.n, NELEM(t));
	for (i = 0; i < NELEM(t); i++) {
		p = NULL;
		OK(certa_profiles_find(&ps, t[i].name, &p, &E));
		assert_non_null(p);
		assert_string_equal(p->name, t[i].name);
		assert_int_equal(p->ku, t[i].ku);
		assert_int_equal(p->ku_ec, t[i].ku_ec);
		assert_int_equal(p->ku_rsa, t[i].ku_rsa);
		if (t[i].eku == NID_undef) {
			assert_int_equal(p->neku, 0);
		} else {
			assert_int_equal(p->neku, 1);
			assert_int_equal(p->eku[0], t[i].eku);
		}
		assert_int_equal(p->key_algs, t[i].algs);
		assert_int_equal(p->san_kinds, t[i].sans);
		assert_int_equal(p->min_rsa_bits, 2048);
		assert_int_equal(p->default_validity, 365 * DAY);
		assert_int_equal(p->max_validity, 825 * DAY);
		assert_int_equal(p->nrequired, 1);
		assert_int_equal(p->required[0], NID_commonName);
		/* keyUsage per key family. */
		assert_int_equal(certa_profile_key_usage(p, tkey(TK_P256)),
		    t[i].ku | t[i].ku_ec);
		assert_int_equal(certa_profile_key_usage(p, tkey(TK_RSA2048)),
		    t[i].ku | t[i].ku_rsa);
		assert_int_equal(certa_profile_key_usage(p,
		    tkey(TK_ED25519)), t[i].ku);
	}
	p = (const struct certa_profile *)1;
	RC(certa_profiles_find(&ps, "nosuch", &p, &E), CERTA_E_NOTFOUND);
	assert_null(p);
	assert_non_null(strstr(E.msg, "nosuch"));
	assert_non_null(strstr(E.msg, "transport"));
	assert_non_null(strstr(E.msg, "encryption"));
	certa_profiles_clear(&ps);
	assert_null(ps.v);
	assert_int_equal(ps.n, 0);
	certa_profiles_clear(NULL);
}

static void
test_profiles_override(void **state)
{
	static const char	 json[] =
	    "{\"profiles\": ["
	    "{\"name\": \"transport\", \"key_usage\": [\"digitalSignature\"],"
	    " \"extended_key_usage\": [\"clientAuth\", \"serverAuth\"],"
	    " \"key_algorithms\": [\"ec:P-256\"],"
	    " \"default_validity\": \"30d\", \"max_validity\": \"90d\","
	    " \"required_subject\": [\"CN\", \"O\"], \"san\": [\"DNS\"]},"
	    "{\"name\": \"device\", \"key_usage\": [\"digitalSignature\","
	    " \"keyEncipherment\"],"
	    " \"extended_key_usage\": [\"1.3.6.1.5.5.7.3.2\"],"
	    " \"key_algorithms\": [\"rsa\"], \"min_rsa_bits\": 3072,"
	    " \"max_rsa_bits\": 4096, \"max_validity\": \"3650d\","
	    " \"default_validity\": \"10y\", \"san\": []}"
	    "]}";
	struct certa_profiles		 ps = { NULL, 0 };
	const struct certa_profile	*p;

	(void)state;
	OK(certa_profiles_load(json, &ps, &E));
	assert_int_equal(ps.n, 4);
	OK(certa_profiles_find(&ps, "transport", &p, &E));
	assert_int_equal(p->ku, X509v3_KU_DIGITAL_SIGNATURE);
	assert_int_equal(p->ku_ec, 0);
	assert_int_equal(p->ku_rsa, 0);
	assert_int_equal(p->neku, 2);
	assert_int_equal(p->eku[0], NID_client_auth);
	assert_int_equal(p->eku[1], NID_server_auth);
	assert_int_equal(p->key_algs, CERTA_KEYALG_P256);
	assert_int_equal(p->default_validity, 30 * DAY);
	assert_int_equal(p->max_validity, 90 * DAY);
	assert_int_equal(p->nrequired, 2);
	assert_int_equal(p->san_kinds, CERTA_SAN_DNS);
	OK(certa_profile_check_key(p, tkey(TK_P256), &E));
	RC(certa_profile_check_key(p, tkey(TK_P384), &E), CERTA_E_POLICY);
	/* The built-ins not overridden are unchanged. */
	OK(certa_profiles_find(&ps, "signing", &p, &E));
	assert_int_equal(p->ku, X509v3_KU_DIGITAL_SIGNATURE |
	    X509v3_KU_NON_REPUDIATION);
	OK(certa_profiles_find(&ps, "encryption", &p, &E));
	/* The added type. */
	OK(certa_profiles_find(&ps, "device", &p, &E));
	assert_int_equal(p->ku, X509v3_KU_DIGITAL_SIGNATURE |
	    X509v3_KU_KEY_ENCIPHERMENT);
	assert_int_equal(p->neku, 1);
	assert_int_equal(p->eku[0], NID_client_auth);
	assert_int_equal(p->min_rsa_bits, 3072);
	assert_int_equal(p->max_rsa_bits, 4096);
	assert_int_equal(p->default_validity, 3650 * DAY);
	assert_int_equal(p->max_validity, 3650 * DAY);
	assert_int_equal(p->nrequired, 0);
	assert_int_equal(p->san_kinds, 0);
	RC(certa_profile_check_key(p, tkey(TK_RSA2048), &E), CERTA_E_POLICY);
	assert_non_null(strstr(E.msg, "3072"));
	RC(certa_profile_check_key(p, tkey(TK_P256), &E), CERTA_E_POLICY);
	certa_profiles_clear(&ps);
}

static void
test_profiles_bad(void **state)
{
#define PROF(body)	"{\"profiles\": [{\"name\": \"x\", "		\
			"\"key_algorithms\": [\"rsa\"]" body "}]}"
	static const struct {
		const char	*json;
		const char	*msg;		/* must appear in the error */
	} t[] = {
		{ "{\"profiles\": [", NULL },			/* malformed */
		{ "", NULL },
		{ "[]", NULL },
		{ "{\"profiles\": {}}", NULL },
		{ "{\"profiles\": [42]}", NULL },
		{ "{\"profiles\": [{\"key_algorithms\": [\"rsa\"]}]}",
		  "name" },
		{ PROF(", \"colour\": \"red\""), "colour" },	/* unknown */
		{ PROF(", \"key_usage\": [\"digitalSig\"]"), "digitalSig" },
		{ PROF(", \"key_usage\": [\"keyCertSign\"]"), "keyCertSign" },
		{ PROF(", \"key_usage_ec\": [\"cRLSign\"]"), "cRLSign" },
		{ PROF(", \"key_usage\": \"digitalSignature\""), "key_usage" },
		{ PROF(", \"key_usage\": [1]"), "key_usage" },
		{ PROF(", \"extended_key_usage\": [\"fooAuth\"]"), "fooAuth" },
		{ PROF(", \"extended_key_usage\": [\"clientAuth\", "
		  "\"clientAuth\", \"clientAuth\", \"clientAuth\", "
		  "\"clientAuth\", \"clientAuth\", \"clientAuth\", "
		  "\"clientAuth\", \"clientAuth\"]"), "x" },
		{ PROF(", \"default_validity\": \"900d\""), "x" },
		{ PROF(", \"default_validity\": \"30d\", "
		  "\"max_validity\": \"10d\""), "x" },
		{ PROF(", \"max_validity\": \"10x\""), NULL },
		{ PROF(", \"max_validity\": 3600"), "max_validity" },
		{ PROF(", \"min_rsa_bits\": 1024"), "min_rsa_bits" },
		{ PROF(", \"min_rsa_bits\": \"4096\""), "min_rsa_bits" },
		{ PROF(", \"min_rsa_bits\": 4096, \"max_rsa_bits\": 3072"),
		  "max_rsa_bits" },
		{ PROF(", \"san\": [\"X400\"]"), "X400" },
		{ PROF(", \"required_subject\": [\"nosuchattr\"]"),
		  "nosuchattr" },
		{ "{\"profiles\": [{\"name\": \"x\"}]}", "key_algorithms" },
		{ "{\"profiles\": [{\"name\": \"x\", \"key_algorithms\": []}]}",
		  "key_algorithms" },
		{ "{\"profiles\": [{\"name\": \"x\", \"key_algorithms\": "
		  "[\"ec:P-521\"]}]}", "ec:P-521" },
		{ "{\"profiles\": [{\"name\": \"x\", \"name\": \"y\", "
		  "\"key_algorithms\": [\"rsa\"]}]}", NULL },	/* duplicate */
		{ "{\"profiles\": [{\"name\": \"\", \"key_algorithms\": "
		  "[\"rsa\"]}]}", NULL },
		{ "{\"profiles\": [{\"name\": \"0123456789012345678901234567"
		  "890123456789012345678901234567890123\", "
		  "\"key_algorithms\": [\"rsa\"]}]}", NULL },	/* 64 */
	};
#undef PROF
	struct certa_profiles	 ps;
	size_t			 i;
	certa_rc		 rc;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		ps.v = NULL;
		ps.n = 0;
		certa_err_clear(&E);
		rc = certa_profiles_load(t[i].json, &ps, &E);
		note_queue("certa_profiles_load (bad)");
		if (rc != CERTA_E_PARSE)
			BAD("profiles[%zu]: %s, want parse", i,
			    certa_rc_name(rc));
		else if (t[i].msg != NULL && strstr(E.msg, t[i].msg) == NULL)
			BAD("profiles[%zu]: message '%s' lacks '%s'", i,
			    E.msg, t[i].msg);
		else if (E.msg[0] == '\0')
			BAD("profiles[%zu]: no message", i);
		if (ps.v != NULL || ps.n != 0)
			BAD("profiles[%zu]: output filled on failure", i);
		certa_profiles_clear(&ps);
	}
	TABLE_DONE();
}

static void
test_profile_check_key(void **state)
{
	static const struct {
		const char	*profile;
		enum tk		 k;
		certa_rc	 rc;
	} t[] = {
		{ "transport", TK_P256, CERTA_OK },
		{ "transport", TK_P384, CERTA_OK },
		{ "transport", TK_ED25519, CERTA_OK },
		{ "transport", TK_RSA2048, CERTA_OK },
		{ "transport", TK_RSA1024, CERTA_E_POLICY },
		{ "transport", TK_K256, CERTA_E_POLICY },
		{ "transport", TK_P521, CERTA_E_POLICY },
		{ "transport", TK_ED448, CERTA_E_POLICY },
		{ "transport", TK_DSA, CERTA_E_POLICY },
		{ "signing", TK_ED25519, CERTA_OK },
		{ "signing", TK_RSA1024, CERTA_E_POLICY },
		{ "signing", TK_K256, CERTA_E_POLICY },
		{ "encryption", TK_P256, CERTA_OK },
		{ "encryption", TK_RSA2048, CERTA_OK },
		{ "encryption", TK_ED25519, CERTA_E_POLICY },
		{ "encryption", TK_RSA1024, CERTA_E_POLICY },
	};
	struct certa_profiles		 ps = { NULL, 0 };
	const struct certa_profile	*p;
	size_t				 i;
	certa_rc			 rc;

	(void)state;
	OK(certa_profiles_load(NULL, &ps, &E));
	for (i = 0; i < NELEM(t); i++) {
		OK(certa_profiles_find(&ps, t[i].profile, &p, &E));
		certa_err_clear(&E);
		rc = certa_profile_check_key(p, tkey(t[i].k), &E);
		note_queue("certa_profile_check_key");
		if (rc != t[i].rc)
			BAD("check_key[%zu] %s: %s, want %s", i, t[i].profile,
			    certa_rc_name(rc), certa_rc_name(t[i].rc));
		else if (rc != CERTA_OK && strstr(E.msg, t[i].profile) ==
		    NULL)
			BAD("check_key[%zu]: message '%s' lacks the profile",
			    i, E.msg);
	}
	certa_profiles_clear(&ps);
	TABLE_DONE();
}

static void
test_profile_check_subject_sans(void **state)
{
	static const char	 json[] = "{\"profiles\": [{"
	    "\"name\": \"strict\", \"key_algorithms\": [\"rsa\"],"
	    " \"required_subject\": [\"CN\", \"O\", \"C\"],"
	    " \"san\": [\"IP\"]}]}";
	struct certa_profiles		 ps = { NULL, 0 };
	const struct certa_profile	*tr, *sg, *st;
	X509_NAME			*n;
	GENERAL_NAMES			*gens;
	GENERAL_NAME			*g;
	X509_NAME			*dn;

	(void)state;
	OK(certa_profiles_load(json, &ps, &E));
	OK(certa_profiles_find(&ps, "transport", &tr, &E));
	OK(certa_profiles_find(&ps, "signing", &sg, &E));
	OK(certa_profiles_find(&ps, "strict", &st, &E));

	OK(certa_name_parse("CN=a,O=b,C=DE", &n, &E));
	OK(certa_profile_check_subject(tr, n, &E));
	OK(certa_profile_check_subject(st, n, &E));
	X509_NAME_free(n);
	OK(certa_name_parse("CN=a,O=b", &n, &E));
	OK(certa_profile_check_subject(tr, n, &E));
	RC(certa_profile_check_subject(st, n, &E), CERTA_E_POLICY);
	assert_non_null(strstr(E.msg, "C"));
	X509_NAME_free(n);
	OK(certa_name_parse("O=b", &n, &E));
	RC(certa_profile_check_subject(tr, n, &E), CERTA_E_POLICY);
	assert_non_null(strstr(E.msg, "CN"));
	X509_NAME_free(n);
	assert_non_null(n = X509_NAME_new());
	RC(certa_profile_check_subject(tr, n, &E), CERTA_E_POLICY);
	X509_NAME_free(n);

	/* SANs: none at all passes everywhere. */
	OK(certa_profile_check_sans(tr, NULL, &E));
	assert_non_null(gens = GENERAL_NAMES_new());
	OK(certa_profile_check_sans(st, gens, &E));
	gens = (GENERAL_NAMES_free(gens), sample_sans());
	OK(certa_profile_check_sans(tr, gens, &E));
	/* signing allows no IP, strict only IP. */
	RC(certa_profile_check_sans(sg, gens, &E), CERTA_E_POLICY);
	assert_non_null(strstr(E.msg, "IP"));
	RC(certa_profile_check_sans(st, gens, &E), CERTA_E_POLICY);
	GENERAL_NAMES_free(gens);
	assert_non_null(gens = GENERAL_NAMES_new());
	assert_true(sk_GENERAL_NAME_push(gens, gen_name(GEN_IPADD,
	    "::1")) > 0);
	OK(certa_profile_check_sans(st, gens, &E));
	RC(certa_profile_check_sans(sg, gens, &E), CERTA_E_POLICY);
	/* A directoryName is no kind any profile allows. */
	assert_non_null(g = GENERAL_NAME_new());
	dn = make_name("x", NULL);
	GENERAL_NAME_set0_value(g, GEN_DIRNAME, dn);
	assert_true(sk_GENERAL_NAME_push(gens, g) > 0);
	RC(certa_profile_check_sans(tr, gens, &E), CERTA_E_POLICY);
	GENERAL_NAMES_free(gens);
	certa_profiles_clear(&ps);
}

/*
 * Subject alternative names and small helpers.
 */

static void
test_san_parse(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;		/* NULL: PARSE */
	} t[] = {
		{ "DNS:client.example", "DNS:client.example" },
		{ "dns:a-b.example", "DNS:a-b.example" },
		{ "DNS:*.example", "DNS:*.example" },
		{ "IP:10.0.0.1", "IP:10.0.0.1" },
		{ "IP:2001:db8::1", "IP:2001:db8::1" },
		{ "URI:spiffe://example/x", "URI:spiffe://example/x" },
		{ "email:ops@example.org", "email:ops@example.org" },
		{ "DNS:", NULL },
		{ "DNS:a b", NULL },
		{ "DNS:a.*.example", NULL },
		{ "DNS:a_b", NULL },
		{ "IP:10.0.0.256", NULL },
		{ "IP:host", NULL },
		{ "URI:no-scheme", NULL },
		{ "URI:spiffe://x/\xc3\xa4", NULL },
		{ "email:nobody", NULL },
		{ "email:@example.org", NULL },
		{ "x400:foo", NULL },
		{ "client.example", NULL },
		{ "", NULL },
	};
	GENERAL_NAMES	*gens;
	GENERAL_NAME	*g;
	char		*s;
	size_t		 i;
	certa_rc	 rc;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		g = (GENERAL_NAME *)1;
		certa_err_clear(&E);
		rc = certa_san_parse(t[i].in, &g, &E);
		note_queue("certa_san_parse");
		if (t[i].out == NULL) {
			if (rc != CERTA_E_PARSE || g != NULL)
				BAD("san '%s': %s, want parse", t[i].in,
				    certa_rc_name(rc));
			if (rc == CERTA_OK)
				GENERAL_NAME_free(g);
			continue;
		}
		if (rc != CERTA_OK) {
			BAD("san '%s': %s (%s)", t[i].in, certa_rc_name(rc),
			    E.msg);
			continue;
		}
		assert_non_null(gens = GENERAL_NAMES_new());
		assert_true(sk_GENERAL_NAME_push(gens, g) > 0);
		s = certa_sans_format(gens);
		if (s == NULL || strcmp(s, t[i].out) != 0)
			BAD("san '%s': formats as '%s'", t[i].in,
			    s ? s : "(null)");
		free(s);
		GENERAL_NAMES_free(gens);
	}
	TABLE_DONE();
}

static void
test_is_pem_format_parse(void **state)
{
	static const struct {
		const char		*in;
		certa_rc		 rc;
		enum certa_format	 f;
	} t[] = {
		{ "pem", CERTA_OK, CERTA_FMT_PEM },
		{ "DER", CERTA_OK, CERTA_FMT_DER },
		{ "p7b", CERTA_OK, CERTA_FMT_P7B },
		{ "pkcs7", CERTA_OK, CERTA_FMT_P7B },
		{ "p7c", CERTA_OK, CERTA_FMT_P7B },
		{ "p12", CERTA_OK, CERTA_FMT_P12 },
		{ "pfx", CERTA_OK, CERTA_FMT_P12 },
		{ "PKCS12", CERTA_OK, CERTA_FMT_P12 },
		{ "txt", CERTA_E_PARSE, 0 },
		{ "", CERTA_E_PARSE, 0 },
		{ "pem ", CERTA_E_PARSE, 0 },
	};
	enum certa_format	 f;
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		f = CERTA_FMT__COUNT;
		certa_err_clear(&E);
		if (certa_format_parse(t[i].in, &f, &E) != t[i].rc ||
		    (t[i].rc == CERTA_OK && f != t[i].f))
			BAD("format '%s'", t[i].in);
	}
	assert_true(certa_is_pem((const uint8_t *)"-----BEGIN X", 12));
	assert_true(certa_is_pem((const uint8_t *)"\n \t-----BEGIN X", 15));
	assert_false(certa_is_pem((const uint8_t *)"-----BEGI", 9));
	assert_false(certa_is_pem((const uint8_t *)"\x30\x82\x01\x00", 4));
	assert_false(certa_is_pem((const uint8_t *)"", 0));
	assert_false(certa_is_pem((const uint8_t *)"  ", 2));
	TABLE_DONE();
}

/*
 * Export codecs.
 */

struct chain3 {
	X509	*root, *leaf, *other;
};

static void
chain3_make(struct chain3 *c)
{
	c->root = make_cert(tkey(TK_P384), "codec root", NULL, NULL, 1, true);
	c->leaf = make_cert(tkey(TK_P256), "codec leaf", tkey(TK_P384),
	    c->root, 2, false);
	c->other = make_cert(tkey(TK_RSA2048), "codec other", NULL, NULL, 3,
	    false);
}

static void
chain3_free(struct chain3 *c)
{
	X509_free(c->root);
	X509_free(c->leaf);
	X509_free(c->other);
}

static void
test_certs_p7b_pem(void **state)
{
	struct chain3		 c;
	STACK_OF(X509)		*sk, *got;	/* not owned / owned */
	PKCS7			*p7;
	const unsigned char	*p;
	uint8_t			*der;
	char			*pem;
	size_t			 len;
	BIO			*bio;
	X509			*x;
	int			 i;

	(void)state;
	chain3_make(&c);
	assert_non_null(sk = sk_X509_new_null());
	assert_true(sk_X509_push(sk, c.leaf) > 0);
	assert_true(sk_X509_push(sk, c.root) > 0);
	assert_true(sk_X509_push(sk, c.other) > 0);

	OK(certa_certs_p7b(sk, &der, &len, &E));
	p = der;
	assert_non_null(p7 = d2i_PKCS7(NULL, &p, (long)len));
	assert_ptr_equal(p, der + len);
	assert_true(PKCS7_type_is_signed(p7));
	got = p7->d.sign->cert;
	assert_int_equal(sk_X509_num(got), 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(X509_cmp(sk_X509_value(got, i),
		    sk_X509_value(sk, i)), 0);
	/* Degenerate: no signers (RFC 5652 §5, certs-only). */
	assert_int_equal(sk_PKCS7_SIGNER_INFO_num(p7->d.sign->signer_info),
	    0);
	PKCS7_free(p7);
	free(der);

	OK(certa_certs_pem(sk, &pem, &len, &E));
	assert_int_equal(strlen(pem), len);
	assert_non_null(bio = BIO_new_mem_buf(pem, (int)len));
	for (i = 0; i < 3; i++) {
		assert_non_null(x = PEM_read_bio_X509(bio, NULL, NULL, NULL));
		assert_int_equal(X509_cmp(x, sk_X509_value(sk, i)), 0);
		X509_free(x);
	}
	assert_null(PEM_read_bio_X509(bio, NULL, NULL, NULL));
	ERR_clear_error();
	BIO_free(bio);
	free(pem);
	sk_X509_free(sk);
	chain3_free(&c);
}

/* The encryption algorithm NIDs of a PKCS#12's key bag and cert safe. */
static void
p12_algs(PKCS12 *p12, int *keyalg, int *certalg)
{
	STACK_OF(PKCS7)			*safes;
	STACK_OF(PKCS12_SAFEBAG)	*bags;
	const X509_ALGOR		*alg;
	const ASN1_OBJECT		*obj;
	PKCS7				*p7;
	int				 i, j;

	*keyalg = *certalg = NID_undef;
	assert_non_null(safes = PKCS12_unpack_authsafes(p12));
	for (i = 0; i < sk_PKCS7_num(safes); i++) {
		p7 = sk_PKCS7_value(safes, i);
		if (PKCS7_type_is_encrypted(p7)) {
			X509_ALGOR_get0(&obj, NULL, NULL,
			    p7->d.encrypted->enc_data->algorithm);
			*certalg = OBJ_obj2nid(obj);
			continue;
		}
		assert_true(PKCS7_type_is_data(p7));
		assert_non_null(bags = PKCS12_unpack_p7data(p7));
		for (j = 0; j < sk_PKCS12_SAFEBAG_num(bags); j++) {
			const PKCS12_SAFEBAG *b = sk_PKCS12_SAFEBAG_value(bags,
			    j);

			if (PKCS12_SAFEBAG_get_nid(b) !=
			    NID_pkcs8ShroudedKeyBag)
				continue;
			X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(b), &alg,
			    NULL);
			X509_ALGOR_get0(&obj, NULL, NULL, alg);
			*keyalg = OBJ_obj2nid(obj);
		}
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	}
	sk_PKCS7_pop_free(safes, PKCS7_free);
}

static void
test_p12_build(void **state)
{
	static const struct {
		bool	 legacy;
		int	 mac;		/* MAC digest NID */
		int	 keyalg;	/* shrouded key bag */
		int	 certalg;	/* encrypted cert safe */
	} t[] = {
		{ false, NID_sha256, NID_pbes2, NID_pbes2 },
		{ true, NID_sha1, NID_pbe_WithSHA1And3_Key_TripleDES_CBC,
		  NID_pbe_WithSHA1And3_Key_TripleDES_CBC },
	};
	struct chain3		 c;
	STACK_OF(X509)		*chain, *ca;
	PKCS12			*p12;
	const unsigned char	*p;
	const X509_ALGOR	*macalg;
	const ASN1_OBJECT	*obj;
	EVP_PKEY		*k;
	X509			*x;
	uint8_t			*der;
	size_t			 len, i;
	int			 keyalg, certalg;

	(void)state;
	chain3_make(&c);
	assert_non_null(chain = sk_X509_new_null());
	assert_true(sk_X509_push(chain, c.root) > 0);
	for (i = 0; i < NELEM(t); i++) {
		der = (uint8_t *)1;
		OK(certa_p12_build(NULL, NULL, tkey(TK_P256), c.leaf, chain,
		    "codec leaf", "s3cret pw", t[i].legacy, &der, &len, &E));
		p = der;
		assert_non_null(p12 = d2i_PKCS12(NULL, &p, (long)len));
		assert_ptr_equal(p, der + len);
		PKCS12_get0_mac(NULL, &macalg, NULL, NULL, p12);
		X509_ALGOR_get0(&obj, NULL, NULL, macalg);
		assert_int_equal(OBJ_obj2nid(obj), t[i].mac);
		p12_algs(p12, &keyalg, &certalg);
		assert_int_equal(keyalg, t[i].keyalg);
		assert_int_equal(certalg, t[i].certalg);

		/* Right password: key, certificate and chain come back. */
		k = NULL;
		x = NULL;
		ca = NULL;
		assert_int_equal(PKCS12_parse(p12, "s3cret pw", &k, &x, &ca),
		    1);
		assert_int_equal(EVP_PKEY_eq(k, tkey(TK_P256)), 1);
		assert_int_equal(X509_cmp(x, c.leaf), 0);
		assert_int_equal(sk_X509_num(ca), 1);
		assert_int_equal(X509_cmp(sk_X509_value(ca, 0), c.root), 0);
		EVP_PKEY_free(k);
		X509_free(x);
		sk_X509_pop_free(ca, X509_free);
		/* A wrong one: nothing. */
		k = NULL;
		x = NULL;
		ca = NULL;
		assert_int_equal(PKCS12_verify_mac(p12, "s3cret pX", -1), 0);
		assert_int_equal(PKCS12_parse(p12, "s3cret pX", &k, &x, &ca),
		    0);
		assert_null(k);
		assert_null(x);
		ERR_clear_error();
		PKCS12_free(p12);
		free(der);
	}
	/* Without a key: the certificate only. */
	OK(certa_p12_build(NULL, NULL, NULL, c.leaf, NULL, NULL, "pw", false,
	    &der, &len, &E));
	p = der;
	assert_non_null(p12 = d2i_PKCS12(NULL, &p, (long)len));
	k = NULL;
	x = NULL;
	ca = NULL;
	assert_int_equal(PKCS12_parse(p12, "pw", &k, &x, &ca), 1);
	/* With no key to match, PKCS12_parse puts the certificate in ca. */
	assert_null(k);
	assert_null(x);
	assert_int_equal(sk_X509_num(ca), 1);
	assert_int_equal(X509_cmp(sk_X509_value(ca, 0), c.leaf), 0);
	sk_X509_pop_free(ca, X509_free);
	PKCS12_free(p12);
	free(der);
	/* A password is required. */
	der = (uint8_t *)1;
	RC(certa_p12_build(NULL, NULL, tkey(TK_P256), c.leaf, NULL, NULL, "",
	    false, &der, &len, &E), CERTA_E_INVAL);
	assert_null(der);
	RC(certa_p12_build(NULL, NULL, tkey(TK_P256), c.leaf, NULL, NULL,
	    NULL, false, &der, &len, &E), CERTA_E_INVAL);
	assert_null(der);
	sk_X509_free(chain);
	chain3_free(&c);
}

static void
test_cert_parse_info(void **state)
{
	struct chain3		 c;
	struct certa_cert_info	 info;
	uint8_t			*der, *buf;
	size_t			 len;
	X509			*x;

	(void)state;
	chain3_make(&c);
	OK(certa_cert_der(c.leaf, &der, &len, &E));
	x = (X509 *)1;
	OK(certa_cert_parse(der, len, &x, &E));
	assert_int_equal(X509_cmp(x, c.leaf), 0);
	X509_free(x);
	OK(certa_cert_info_get(der, len, &info, &E));
	assert_string_equal(info.subject, "CN=codec leaf,O=certa test");
	assert_string_equal(info.issuer, "CN=codec root,O=certa test");
	assert_string_equal(info.serial, "2");
	assert_string_equal(info.key_alg, "ec:P-256");
	assert_null(info.sans);
	assert_false(info.is_ca);
	assert_true(info.not_after - info.not_before == 31 * DAY);
	assert_int_equal(strlen(info.sha256), 64);
	assert_int_equal(strlen(info.sha1), 40);
	certa_cert_info_clear(&info);
	/* Negatives: truncated, trailing bytes, empty. */
	RC(certa_cert_parse(der, len - 1, &x, &E), CERTA_E_PARSE);
	assert_null(x);
	assert_non_null(buf = malloc(len + 1));
	memcpy(buf, der, len);
	buf[len] = 0;
	RC(certa_cert_parse(buf, len + 1, &x, &E), CERTA_E_PARSE);
	assert_null(x);
	RC(certa_cert_parse(buf, 0, &x, &E), CERTA_E_PARSE);
	assert_null(x);
	RC(certa_cert_info_get(buf, len + 1, &info, &E), CERTA_E_PARSE);
	assert_null(info.subject);
	free(buf);
	free(der);
	chain3_free(&c);
}


static int
group_teardown(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < TK__COUNT; i++) {
		EVP_PKEY_free(keys[i]);
		keys[i] = NULL;
	}
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_name_parse),
		T(test_name_parse_bad),
		T(test_name_get_text),
		T(test_name_format_empty),
		T(test_serial_new),
		T(test_serial_hex),
		T(test_duration_parse),
		T(test_time_parse),
		T(test_time_format),
		T(test_key_generate),
		T(test_key_describe),
		T(test_key_pem),
		T(test_csr_parse),
		T(test_csr_parse_bad),
		T(test_csr_general_path),
		T(test_profiles_builtin),
		T(test_profiles_override),
		T(test_profiles_bad),
		T(test_profile_check_key),
		T(test_profile_check_subject_sans),
		T(test_san_parse),
		T(test_is_pem_format_parse),
		T(test_certs_p7b_pem),
		T(test_p12_build),
		T(test_cert_parse_info),
		T(test_error_queue_clean),
	};

	certa_lib_init();
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
