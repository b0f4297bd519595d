/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CRL writer (RFC 5280 §5).  Streams the revoked entries of one CA from the
 * store into a signed DER CertificateList without building an X509_CRL of
 * every entry, so a CRL of N entries needs about twice its own size in
 * memory.
 */
#ifndef CERTA_CA_CRL_H
#define CERTA_CA_CRL_H

#include <stddef.h>
#include <stdint.h>

#include <certa/err.h>
#include <certa/store.h>

#include "ca/signer.h"

struct certa_crl_params {
	int64_t		 ca_id;		/* whose revoked certificates */
	int64_t		 number;	/* CRL number, already reserved */
	int64_t		 this_update;
	int64_t		 next_update;
	size_t		 entries;	/* out: revoked entries written */
};

/*
 * Build and sign the CRL; *der is malloc'ed.  The issuer is the signer's
 * certificate subject, the AKI its SKI.  Entries carry revocationDate and,
 * unless the reason is unspecified (0), a reasonCode extension.
 */
CERTA_MUST_USE certa_rc certa_crl_build(struct certa_store *st,
    struct certa_signer *signer, struct certa_crl_params *p,
    uint8_t **der, size_t *len, struct certa_err *err);

#endif
