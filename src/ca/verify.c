/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa verify (core form): a certificate against certa's own CAs and
 * revocation state.  The full trust engine (modes, trust store) lives in
 * src/trust/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "ca/ctx.h"
#include "core/core.h"
#include "util/util.h"

static void
verdict(struct certa_verdict *v, bool valid, const char *reason,
    const char *msg)
{
	v->valid = valid;
	snprintf(v->reason, sizeof(v->reason), "%s", reason);
	snprintf(v->message, sizeof(v->message), "%s", msg);
}

static const char *
reason_of(int e)
{
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED: return "expired";
	case X509_V_ERR_CERT_NOT_YET_VALID: return "not_yet_valid";
	case X509_V_ERR_CERT_SIGNATURE_FAILURE: return "bad_signature";
	case X509_V_ERR_INVALID_PURPOSE: return "wrong_purpose";
	case X509_V_ERR_CERT_CHAIN_TOO_LONG:
	case X509_V_ERR_PATH_LENGTH_EXCEEDED: return "chain_too_long";
	case X509_V_ERR_CERT_REVOKED: return "revoked";
	default: return "untrusted";
	}
}

certa_rc
certa_verify_cert(struct certa_ctx *c, const uint8_t *data, size_t len,
    int64_t at, struct certa_verdict *v, struct certa_err *err)
{
	X509			*x = NULL;
	X509_STORE		*store = NULL;
	X509_STORE_CTX		*vctx = NULL;
	STACK_OF(X509)		*untrusted = NULL;
	struct certa_cert_rec	 rec;
	char			*serial = NULL, msg[256];
	int			 ok;
	certa_rc		 rc = CERTA_OK;

	memset(&rec, 0, sizeof(rec));
	CERTA_TRY(certa_cert_parse(data, len, &x, err));
	CERTA_TRY(certa_ctx_load_ca(c, err));
	CERTA_OSSL((store = X509_STORE_new()) != NULL &&
	    (vctx = X509_STORE_CTX_new_ex(c->libctx, c->propq)) != NULL &&
	    (untrusted = sk_X509_new_null()) != NULL, CERTA_E_NOMEM, "oom");
	if (c->root_cert != NULL) {
		CERTA_OSSL(X509_STORE_add_cert(store, c->root_cert),
		    CERTA_E_CRYPTO, "load root");
		CERTA_OSSL(sk_X509_push(untrusted, c->issuing_cert),
		    CERTA_E_NOMEM, "oom");
	} else {
		CERTA_OSSL(X509_STORE_add_cert(store, c->issuing_cert),
		    CERTA_E_CRYPTO, "load CA");
	}
	CERTA_OSSL(X509_STORE_CTX_init(vctx, store, x, untrusted),
	    CERTA_E_CRYPTO, "start verification");
	X509_STORE_CTX_set_purpose(vctx, X509_PURPOSE_ANY);
	if (at != 0)
		X509_STORE_CTX_set_time(vctx, 0, (time_t)at);
	ok = X509_verify_cert(vctx);
	if (ok != 1) {
		int e = X509_STORE_CTX_get_error(vctx);

		snprintf(msg, sizeof(msg), "%s",
		    X509_verify_cert_error_string(e));
		verdict(v, false, reason_of(e), msg);
		goto out;
	}
	/* Issued here: revocation comes from certa's own state. */
	serial = certa_serial_hex(X509_get0_serialNumber(x));
	CERTA_CHECK(serial != NULL, CERTA_E_PARSE, "bad serial number");
	rc = certa_store_cert_get_serial(c->store, serial, &rec, err);
	if (rc == CERTA_E_NOTFOUND) {
		certa_err_clear(err);
		rc = CERTA_OK;
		verdict(v, false, "unknown", "signed by this CA but not in its "
		    "store");
		goto out;
	}
	CERTA_TRY(rc);
	if (rec.status == CERTA_CERT_REVOKED) {
		char when[21];

		certa_time_format(rec.revoked_at, when);
		snprintf(msg, sizeof(msg), "revoked at %s (%s)", when,
		    certa_reason_name(rec.reason));
		verdict(v, false, "revoked", msg);
		goto out;
	}
	verdict(v, true, "ok", "certificate is valid");
out:
	ERR_clear_error();	/* a negative verdict is not an error */
	certa_cert_rec_clear(&rec);
	free(serial);
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(vctx);
	X509_STORE_free(store);
	X509_free(x);
	return rc;
}
