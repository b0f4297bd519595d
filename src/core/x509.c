/* SPDX-License-Identifier: Apache-2.0 */
/* Facts about certificates: parse, DER, fingerprints, times, SANs.  No I/O. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <certa/certa.h>
#include <certa/x509.h>
#include <certa/limits.h>

#include "core/core.h"
#include "util/util.h"

certa_rc
certa_cert_parse(const uint8_t *data, size_t len, X509 **out,
    struct certa_err *err)
{
	X509			*x = NULL;
	BIO			*bio = NULL;
	const unsigned char	*p = data;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK(len > 0 && len <= CERTA_MAX_CERT_DER * 2, CERTA_E_PARSE,
	    "certificate size %zu out of range", len);
	if (certa_is_pem(data, len)) {
		CERTA_OSSL((bio = BIO_new_mem_buf(data, (int)len)) != NULL,
		    CERTA_E_NOMEM, "oom");
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		CERTA_OSSL(x != NULL, CERTA_E_PARSE,
		    "PEM input is not a CERTIFICATE or is damaged");
	} else {
		x = d2i_X509(NULL, &p, (long)len);
		CERTA_OSSL(x != NULL, CERTA_E_PARSE,
		    "input is neither a PEM nor a DER certificate");
		CERTA_CHECK(p == data + len, CERTA_E_PARSE,
		    "trailing bytes after the DER certificate");
	}
	*out = x;
	x = NULL;
out:
	BIO_free(bio);
	X509_free(x);
	return rc;
}

certa_rc
certa_cert_der(X509 *x, uint8_t **out, size_t *len, struct certa_err *err)
{
	unsigned char	*der = NULL;
	int		 n;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	*len = 0;
	n = i2d_X509(x, &der);
	CERTA_OSSL(n > 0, CERTA_E_CRYPTO, "encode certificate");
	/* Hand out malloc'ed memory so callers use free(). */
	CERTA_CHECK((*out = malloc((size_t)n)) != NULL, CERTA_E_NOMEM, "oom");
	memcpy(*out, der, (size_t)n);
	*len = (size_t)n;
out:
	OPENSSL_free(der);
	return rc;
}

void
certa_fingerprint(const uint8_t *der, size_t len, bool sha1, char out[65])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0;

	out[0] = '\0';
	if (EVP_Digest(der, len, md, &mdlen, sha1 ? EVP_sha1() : EVP_sha256(),
	    NULL) == 1)
		certa_hex(md, mdlen, out);
}

certa_rc
certa_asn1_time_to_unix(const ASN1_TIME *t, int64_t *out,
    struct certa_err *err)
{
	struct tm	 tm;
	certa_rc	 rc = CERTA_OK;

	memset(&tm, 0, sizeof(tm));
	CERTA_OSSL(ASN1_TIME_to_tm(t, &tm) == 1, CERTA_E_PARSE,
	    "bad time in certificate");
	*out = certa_timegm(&tm);
out:
	return rc;
}

static bool
append(char **buf, size_t *len, size_t *cap, const char *prefix,
    const char *s, size_t slen)
{
	size_t	need = *len + strlen(prefix) + slen + 3;
	char	*nb;

	if (need > *cap) {
		*cap = need * 2;
		if ((nb = realloc(*buf, *cap)) == NULL)
			return false;
		*buf = nb;
	}
	*len += (size_t)snprintf(*buf + *len, *cap - *len, "%s%s%.*s",
	    *len ? ", " : "", prefix, (int)slen, s);
	return true;
}

char *
certa_sans_format(const GENERAL_NAMES *gens)
{
	char	*buf = NULL;
	size_t	 len = 0, cap = 0;
	int	 i;
	bool	 ok = true;

	for (i = 0; ok && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME	*g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING	*s;
		char			 ip[INET6_ADDRSTRLEN];

		switch (g->type) {
		case GEN_DNS:
			s = g->d.dNSName;
			ok = append(&buf, &len, &cap, "DNS:",
			    (const char *)ASN1_STRING_get0_data(s),
			    (size_t)ASN1_STRING_length(s));
			break;
		case GEN_URI:
			s = g->d.uniformResourceIdentifier;
			ok = append(&buf, &len, &cap, "URI:",
			    (const char *)ASN1_STRING_get0_data(s),
			    (size_t)ASN1_STRING_length(s));
			break;
		case GEN_EMAIL:
			s = g->d.rfc822Name;
			ok = append(&buf, &len, &cap, "email:",
			    (const char *)ASN1_STRING_get0_data(s),
			    (size_t)ASN1_STRING_length(s));
			break;
		case GEN_IPADD:
			s = g->d.iPAddress;
			if (ASN1_STRING_length(s) == 4)
				inet_ntop(AF_INET, ASN1_STRING_get0_data(s),
				    ip, sizeof(ip));
			else if (ASN1_STRING_length(s) == 16)
				inet_ntop(AF_INET6, ASN1_STRING_get0_data(s),
				    ip, sizeof(ip));
			else
				snprintf(ip, sizeof(ip), "invalid");
			ok = append(&buf, &len, &cap, "IP:", ip, strlen(ip));
			break;
		default:
			ok = append(&buf, &len, &cap, "other:", "", 0);
			break;
		}
	}
	if (!ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

static bool
valid_dns(const char *s)
{
	size_t	n = strlen(s), i;

	if (n == 0 || n > 253)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(isalnum(c) || c == '-' || c == '.' ||
		    (c == '*' && i == 0)))
			return false;
	}
	return true;
}

certa_rc
certa_san_parse(const char *s, GENERAL_NAME **out, struct certa_err *err)
{
	GENERAL_NAME	*g = NULL;
	ASN1_IA5STRING	*ia5 = NULL;
	const char	*v;
	int		 type;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	if (strncasecmp(s, "DNS:", 4) == 0) {
		type = GEN_DNS;
		v = s + 4;
		CERTA_CHECK(valid_dns(v), CERTA_E_PARSE,
		    "'%s' is not a valid DNS name", v);
	} else if (strncasecmp(s, "URI:", 4) == 0) {
		type = GEN_URI;
		v = s + 4;
		CERTA_CHECK(strchr(v, ':') != NULL, CERTA_E_PARSE,
		    "URI '%s' has no scheme", v);
	} else if (strncasecmp(s, "email:", 6) == 0) {
		type = GEN_EMAIL;
		v = s + 6;
		CERTA_CHECK(strchr(v, '@') != NULL && v[0] != '@',
		    CERTA_E_PARSE, "'%s' is not an e-mail address", v);
	} else if (strncasecmp(s, "IP:", 3) == 0) {
		ASN1_OCTET_STRING *ip = a2i_IPADDRESS(s + 3);

		CERTA_OSSL(ip != NULL, CERTA_E_PARSE,
		    "'%s' is not an IP address", s + 3);
		CERTA_CHECK((g = GENERAL_NAME_new()) != NULL, CERTA_E_NOMEM,
		    "oom");
		GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
		goto done;
	} else {
		CERTA_FAIL(CERTA_E_PARSE, "subject alternative name '%s' must "
		    "start with DNS:, IP:, URI: or email:", s);
	}
	for (const char *c = v; *c; c++)
		CERTA_CHECK((unsigned char)*c > 0x20 && (unsigned char)*c < 0x7f,
		    CERTA_E_PARSE, "'%s' has characters outside ASCII", s);
	CERTA_CHECK((ia5 = ASN1_IA5STRING_new()) != NULL &&
	    ASN1_STRING_set(ia5, v, (int)strlen(v)), CERTA_E_NOMEM, "oom");
	CERTA_CHECK((g = GENERAL_NAME_new()) != NULL, CERTA_E_NOMEM, "oom");
	GENERAL_NAME_set0_value(g, type, ia5);
	ia5 = NULL;
done:
	*out = g;
	g = NULL;
out:
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(g);
	return rc;
}

certa_rc
certa_cert_info_get(const uint8_t *der, size_t len,
    struct certa_cert_info *out, struct certa_err *err)
{
	X509		*x = NULL;
	certa_rc	 rc = CERTA_OK;

	memset(out, 0, sizeof(*out));
	CERTA_TRY(certa_cert_parse(der, len, &x, err));
	CERTA_TRY(certa_cert_info_from_x509(x, out, err));
out:
	X509_free(x);
	return rc;
}

certa_rc
certa_cert_info_from_x509(X509 *x, struct certa_cert_info *out,
    struct certa_err *err)
{
	GENERAL_NAMES	*gens = NULL;
	EVP_PKEY	*pk;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	certa_rc	 rc = CERTA_OK;

	memset(out, 0, sizeof(*out));
	CERTA_TRY(certa_name_format(X509_get_subject_name(x), &out->subject,
	    err));
	CERTA_TRY(certa_name_format(X509_get_issuer_name(x), &out->issuer,
	    err));
	out->serial = certa_serial_hex(X509_get0_serialNumber(x));
	CERTA_CHECK(out->serial != NULL, CERTA_E_PARSE,
	    "serial number is negative or longer than 20 octets");
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (gens != NULL)
		out->sans = certa_sans_format(gens);
	pk = X509_get0_pubkey(x);
	out->key_alg = pk ? certa_key_describe(pk) : certa_strdup("unknown");
	CERTA_TRY(certa_asn1_time_to_unix(X509_get0_notBefore(x),
	    &out->not_before, err));
	CERTA_TRY(certa_asn1_time_to_unix(X509_get0_notAfter(x),
	    &out->not_after, err));
	out->is_ca = X509_check_ca(x) >= 1;
	/* Over the certificate's own encoding (kept since it was parsed). */
	CERTA_OSSL(X509_digest(x, EVP_sha256(), md, &mdlen) && mdlen == 32,
	    CERTA_E_CRYPTO, "SHA-256 fingerprint");
	certa_hex(md, mdlen, out->sha256);
	CERTA_OSSL(X509_digest(x, EVP_sha1(), md, &mdlen) && mdlen == 20,
	    CERTA_E_CRYPTO, "SHA-1 fingerprint");
	certa_hex(md, mdlen, out->sha1);
out:
	GENERAL_NAMES_free(gens);
	if (rc != CERTA_OK)
		certa_cert_info_clear(out);
	return rc;
}

void
certa_cert_info_clear(struct certa_cert_info *i)
{
	if (i == NULL)
		return;
	free(i->subject);
	free(i->issuer);
	free(i->serial);
	free(i->sans);
	free(i->key_alg);
	memset(i, 0, sizeof(*i));
}
