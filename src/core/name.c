/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Distinguished names from the command line: OpenSSL's "/CN=a/O=b" and
 * RFC 4514's "CN=a,O=b".  No I/O.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <certa/limits.h>

#include "core/core.h"

struct ava {
	char	*type;		/* borrowed from the work buffer */
	char	*value;		/* borrowed */
	bool	 multi;		/* joined to the previous AVA with '+' */
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ')
		s++;
	e = s + strlen(s);
	while (e > s && e[-1] == ' ' && (e - 1 == s || e[-2] != '\\'))
		*--e = '\0';
	return s;
}

/*
 * Unescape value in place: "\X" for a special X, and "\hh" hex pairs
 * (RFC 4514 §3).  Returns false on a dangling escape or when an escape
 * produces a control character (NUL included).
 */
static bool
unescape(char *s)
{
	char	*w = s;

	while (*s != '\0') {
		if (*s != '\\') {
			*w++ = *s++;
			continue;
		}
		s++;
		if (hexval(s[0]) >= 0 && hexval(s[1]) >= 0) {
			unsigned char c = (unsigned char)(hexval(s[0]) << 4 |
			    hexval(s[1]));

			if (c < 0x20 || c == 0x7f)
				return false;
			*w++ = (char)c;
			s += 2;
		} else if (*s != '\0') {
			*w++ = *s++;
		} else {
			return false;
		}
	}
	*w = '\0';
	return true;
}

/*
 * Attribute type names are case-insensitive (RFC 4512 §1.4): try the name
 * as given, then upper-case ("cn" -> CN), then OpenSSL's long names.
 */
static int
type_nid(const char *type)
{
	char	 up[64];
	size_t	 i, n = strlen(type);
	int	 nid;

	if (n == 0 || n >= sizeof(up))
		return NID_undef;
	if ((nid = OBJ_txt2nid(type)) != NID_undef)
		return nid;
	for (i = 0; i <= n; i++)
		up[i] = (char)toupper((unsigned char)type[i]);
	if ((nid = OBJ_txt2nid(up)) != NID_undef)
		return nid;
	if (strcasecmp(type, "email") == 0 ||
	    strcasecmp(type, "emailAddress") == 0)
		return NID_pkcs9_emailAddress;
	if (strcasecmp(type, "serialNumber") == 0)
		return NID_serialNumber;
	if (strcasecmp(type, "commonName") == 0)
		return NID_commonName;
	return NID_undef;
}

static certa_rc
add_ava(X509_NAME *name, const struct ava *a, struct certa_err *err)
{
	int		 nid;
	certa_rc	 rc = CERTA_OK;

	nid = type_nid(a->type);
	ERR_clear_error();	/* failed OBJ_txt2nid lookups queue errors */
	CERTA_CHECK(nid != NID_undef, CERTA_E_PARSE,
	    "unknown attribute type '%s' in DN", a->type);
	CERTA_CHECK(a->value[0] != '\0', CERTA_E_PARSE,
	    "empty value for '%s' in DN", a->type);
	CERTA_OSSL(X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
	    (const unsigned char *)a->value, -1, -1, a->multi ? -1 : 0),
	    CERTA_E_PARSE, "bad value for '%s' in DN", a->type);
out:
	return rc;
}

certa_rc
certa_name_parse(const char *s, X509_NAME **out, struct certa_err *err)
{
	char		*buf = NULL, *p, *start;
	struct ava	 avas[64];
	size_t		 n = 0, i, j;
	X509_NAME	*name = NULL;
	bool		 slash, multi = false;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	CERTA_CHECK(s != NULL && *s != '\0', CERTA_E_PARSE, "empty DN");
	CERTA_CHECK(strlen(s) <= CERTA_MAX_DN, CERTA_E_PARSE, "DN too long");
	for (p = (char *)s; *p != '\0'; p++)
		CERTA_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f,
		    CERTA_E_PARSE, "control character in DN");
	CERTA_CHECK((buf = strdup(s)) != NULL, CERTA_E_NOMEM, "oom");
	slash = buf[0] == '/';
	p = start = slash ? buf + 1 : buf;
	/* Split into AVAs at unescaped separators. */
	for (;; p++) {
		bool end = *p == '\0';
		bool sep = end || *p == '+' ||
		    (slash ? *p == '/' : (*p == ',' || *p == ';'));

		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (!sep)
			continue;
		{
			char	*eq, *item;
			char	 c = *p;

			*p = '\0';
			item = trim(start);
			CERTA_CHECK(n < sizeof(avas) / sizeof(avas[0]),
			    CERTA_E_PARSE, "DN has too many attributes");
			eq = strchr(item, '=');
			CERTA_CHECK(eq != NULL && eq != item, CERTA_E_PARSE,
			    "DN component '%s' is not TYPE=value", item);
			*eq = '\0';
			avas[n].type = trim(item);
			avas[n].value = trim(eq + 1);
			avas[n].multi = multi;
			CERTA_CHECK(avas[n].value[0] != '#', CERTA_E_PARSE,
			    "hex-encoded DN values (#...) are not supported");
			CERTA_CHECK(unescape(avas[n].value), CERTA_E_PARSE,
			    "bad escape (or escaped control character) in DN "
			    "value of '%s'", avas[n].type);
			n++;
			multi = c == '+';
			start = p + 1;
			if (end)
				break;
			/* A trailing '/' in the OpenSSL form is harmless. */
			if (slash && c == '/' && p[1] == '\0')
				break;
		}
	}
	CERTA_CHECK((name = X509_NAME_new()) != NULL, CERTA_E_NOMEM, "oom");
	if (slash) {
		for (i = 0; i < n; i++)
			CERTA_TRY(add_ava(name, &avas[i], err));
	} else {
		/* RFC 4514 lists the last RDN first: add RDNs in reverse,
		 * keeping '+'-joined AVAs of one RDN in their order. */
		i = n;
		while (i > 0) {
			size_t	 first = i - 1;

			while (first > 0 && avas[first].multi)
				first--;
			for (j = first; j < i; j++) {
				struct ava a = avas[j];

				a.multi = j != first;
				CERTA_TRY(add_ava(name, &a, err));
			}
			i = first;
		}
	}
	*out = name;
	name = NULL;
out:
	X509_NAME_free(name);
	free(buf);
	return rc;
}

certa_rc
certa_name_format(const X509_NAME *name, char **out, struct certa_err *err)
{
	BIO		*bio = NULL;
	char		*data, *s = NULL;
	long		 n;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	CERTA_OSSL((bio = BIO_new(BIO_s_mem())) != NULL, CERTA_E_NOMEM, "oom");
	CERTA_OSSL(X509_NAME_print_ex(bio, name, 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0, CERTA_E_CRYPTO,
	    "cannot format DN");
	n = BIO_get_mem_data(bio, &data);
	CERTA_CHECK((s = malloc((size_t)n + 1)) != NULL, CERTA_E_NOMEM, "oom");
	if (n > 0)		/* an empty DN leaves data NULL */
		memcpy(s, data, (size_t)n);
	s[n] = '\0';
	*out = s;
out:
	BIO_free(bio);
	return rc;
}

char *
certa_name_get_text(const X509_NAME *name, int nid)
{
	int			 i;
	const X509_NAME_ENTRY	*e;
	unsigned char		*utf8 = NULL;
	char			*s;
	int			 n;

	i = X509_NAME_get_index_by_NID(name, nid, -1);
	if (i < 0)
		return NULL;
	e = X509_NAME_get_entry(name, i);
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
	if (n < 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s != NULL) {
		memcpy(s, utf8, (size_t)n);
		s[n] = '\0';
	}
	OPENSSL_free(utf8);
	return s;
}
