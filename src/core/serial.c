/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Certificate serial numbers.  RFC 5280 §4.1.2.2: positive, at most 20
 * octets; CA/B BR §7.1: at least 64 bits of CSPRNG output.  certa draws 159
 * bits so the DER INTEGER never needs a leading zero octet beyond 20.
 * Uniqueness is enforced by the store, not assumed here.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/rand.h>

#include "core/core.h"
#include "util/util.h"

certa_rc
certa_serial_new(OSSL_LIB_CTX *libctx, ASN1_INTEGER **out, char hex[41],
    struct certa_err *err)
{
	uint8_t		 b[20];
	size_t		 skip = 0;
	BIGNUM		*bn = NULL;
	ASN1_INTEGER	*ai = NULL;
	certa_rc	 rc = CERTA_OK;

	*out = NULL;
	do {
		CERTA_OSSL(RAND_bytes_ex(libctx, b, sizeof(b), 0) == 1,
		    CERTA_E_CRYPTO, "draw serial number");
		b[0] &= 0x7f;		/* 159 bits: always positive */
		for (skip = 0; skip < sizeof(b) && b[skip] == 0; skip++)
			;
	} while (skip > 1);		/* keep >= 144 significant bits */
	CERTA_OSSL((bn = BN_bin2bn(b + skip, (int)(sizeof(b) - skip), NULL)) !=
	    NULL, CERTA_E_NOMEM, "serial to bignum");
	CERTA_OSSL((ai = BN_to_ASN1_INTEGER(bn, NULL)) != NULL, CERTA_E_NOMEM,
	    "serial to INTEGER");
	certa_hex(b + skip, sizeof(b) - skip, hex);
	/* Canonical form: no leading zero nibble. */
	if (hex[0] == '0')
		memmove(hex, hex + 1, strlen(hex));
	*out = ai;
	ai = NULL;
out:
	OPENSSL_cleanse(b, sizeof(b));
	BN_free(bn);
	ASN1_INTEGER_free(ai);
	return rc;
}

char *
certa_serial_hex(const ASN1_INTEGER *serial)
{
	BIGNUM	*bn;
	char	*h, *s = NULL, *p;

	if ((bn = ASN1_INTEGER_to_BN(serial, NULL)) == NULL)
		return NULL;
	/* RFC 5280 §4.1.2.2: at most 20 octets of DER INTEGER content, so
	 * at most 159 bits for a positive number. */
	if (BN_is_negative(bn) || BN_num_bits(bn) > 159) {
		BN_free(bn);
		return NULL;
	}
	h = BN_bn2hex(bn);
	BN_free(bn);
	if (h == NULL)
		return NULL;
	p = h;
	while (*p == '0' && p[1] != '\0')
		p++;
	s = certa_strdup(p);
	OPENSSL_free(h);
	for (p = s; p != NULL && *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	return s;
}
