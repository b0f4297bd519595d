/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Revocation (RFC 5280 §5.3.1 reasons; permanent: certificateHold and
 * removeFromCRL are refused) and CRL publication.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/pem.h>

#include "audit/audit.h"
#include "ca/crl.h"
#include "ca/ctx.h"
#include "util/util.h"

static const char *const reason_names[] = {
	[0] = "unspecified",
	[1] = "keyCompromise",
	[2] = "cACompromise",
	[3] = "affiliationChanged",
	[4] = "superseded",
	[5] = "cessationOfOperation",
	[6] = NULL,		/* certificateHold: not permanent, refused */
	[7] = NULL,		/* unused */
	[8] = NULL,		/* removeFromCRL: delta CRLs only */
	[9] = "privilegeWithdrawn",
	[10] = "aACompromise",
};
#define NREASONS (int)(sizeof(reason_names) / sizeof(reason_names[0]))

certa_rc
certa_reason_parse(const char *s, int *out, struct certa_err *err)
{
	int		 i;
	certa_rc	 rc = CERTA_OK;

	for (i = 0; i < NREASONS; i++)
		if (reason_names[i] != NULL &&
		    strcasecmp(s, reason_names[i]) == 0) {
			*out = i;
			goto out;
		}
	CERTA_CHECK(strcasecmp(s, "certificateHold") != 0, CERTA_E_POLICY,
	    "certificateHold is not supported: revocation in certa is "
	    "permanent");
	CERTA_FAIL(CERTA_E_PARSE, "unknown revocation reason '%s' (use "
	    "unspecified, keyCompromise, affiliationChanged, superseded, "
	    "cessationOfOperation or privilegeWithdrawn)", s);
out:
	return rc;
}

const char *
certa_reason_name(int reason)
{
	if (reason < 0 || reason >= NREASONS || reason_names[reason] == NULL)
		return "none";
	return reason_names[reason];
}

certa_rc
certa_revoke_in_tx(struct certa_ctx *c, int64_t id, int reason,
    int64_t request_id, struct certa_err *err)
{
	char		 obj[64], more[96], *details = NULL;
	certa_rc	 rc = CERTA_OK;

	CERTA_CHECK(reason >= 0 && reason < NREASONS &&
	    reason_names[reason] != NULL, CERTA_E_INVAL, "bad reason %d",
	    reason);
	rc = certa_store_cert_revoke(c->store, id, certa_now(), reason, err);
	if (rc == CERTA_E_CONFLICT || rc == CERTA_E_NOTFOUND)
		certa_err_clear(err);	/* replaced by the message below */
	CERTA_CHECK(rc != CERTA_E_CONFLICT, CERTA_E_CONFLICT,
	    "certificate %" PRId64 " is revoked already", id);
	CERTA_CHECK(rc != CERTA_E_NOTFOUND, CERTA_E_NOTFOUND,
	    "no certificate %" PRId64, id);
	CERTA_TRY(rc);
	snprintf(obj, sizeof(obj), "cert:%" PRId64, id);
	if (request_id != 0)
		snprintf(more, sizeof(more), "{\"reason\":\"%s\",\"request\":%"
		    PRId64 "}", reason_names[reason], request_id);
	else
		snprintf(more, sizeof(more), "{\"reason\":\"%s\"}",
		    reason_names[reason]);
	details = certa_ctx_details(c, more);
	CERTA_TRY(certa_audit_append(c->store, c->actor, "cert.revoke", obj,
	    "ok", details != NULL ? details : more, err));
out:
	free(details);
	return rc;
}

certa_rc
certa_revoke(struct certa_ctx *c, int64_t id, int reason,
    struct certa_err *err)
{
	bool		 tx = false;
	certa_rc	 rc = CERTA_OK;

	CERTA_TRY(certa_store_begin(c->store, err));
	tx = true;
	CERTA_TRY(certa_revoke_in_tx(c, id, reason, 0, err));
	CERTA_TRY(certa_store_commit(c->store, err));
	tx = false;
out:
	if (tx)
		certa_store_rollback(c->store);
	return rc;
}

certa_rc
certa_crl_generate(struct certa_ctx *c, bool pem, int64_t validity,
    uint8_t **out, size_t *len, struct certa_crl_info *info,
    struct certa_err *err)
{
	struct certa_crl_params	 p;
	uint8_t			*der = NULL;
	size_t			 dlen = 0;
	char			 obj[64], details[64], *more = NULL;
	BIO			*bio = NULL;
	bool			 tx = false;
	certa_rc		 rc = CERTA_OK;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	CERTA_TRY(certa_ctx_load_signer(c, err));
	p.ca_id = c->issuing.id;
	p.this_update = certa_now();
	p.next_update = p.this_update + (validity > 0 ? validity : 7 * 86400);
	/* RFC 5280 §5.2.3: the number is reserved (committed) first, so two
	 * CRLs never share one, even if this build fails afterwards. */
	CERTA_TRY(certa_store_begin(c->store, err));
	tx = true;
	CERTA_TRY(certa_store_ca_next_crl_number(c->store, p.ca_id, &p.number,
	    err));
	snprintf(obj, sizeof(obj), "ca:%s", c->issuing.name);
	snprintf(details, sizeof(details), "{\"crl_number\":%" PRId64 "}",
	    p.number);
	more = certa_ctx_details(c, details);	/* with the role */
	CERTA_TRY(certa_audit_append(c->store, c->actor, "crl.generate", obj,
	    "ok", more != NULL ? more : details, err));
	CERTA_TRY(certa_store_commit(c->store, err));
	tx = false;
	CERTA_TRY(certa_crl_build(c->store, c->signer, &p, &der, &dlen, err));
	if (info != NULL) {
		info->number = p.number;
		info->this_update = p.this_update;
		info->next_update = p.next_update;
		info->entries = p.entries;
	}
	if (pem) {
		char *data;
		long n;

		/* Base64 straight from the DER: no parse of a large CRL. */
		CERTA_OSSL((bio = BIO_new(BIO_s_mem())) != NULL &&
		    PEM_write_bio(bio, PEM_STRING_X509_CRL, "", der,
		    (long)dlen) > 0, CERTA_E_CRYPTO, "write PEM CRL");
		n = BIO_get_mem_data(bio, &data);
		CERTA_CHECK((*out = malloc((size_t)n)) != NULL, CERTA_E_NOMEM,
		    "oom");
		memcpy(*out, data, (size_t)n);
		*len = (size_t)n;
	} else {
		*out = der;
		*len = dlen;
		der = NULL;
	}
out:
	free(more);
	if (tx)
		certa_store_rollback(c->store);
	BIO_free(bio);
	free(der);
	return rc;
}
