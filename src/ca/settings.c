/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Site-wide trust settings (include/certa/settings.h): two store meta
 * keys, read with defaults, written in one audited transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <certa/settings.h>
#include <certa/store.h>
#include <certa/util.h>

#include "audit/audit.h"
#include "ca/ctx.h"

certa_rc
certa_settings_get(struct certa_ctx *c, struct certa_trust_settings *out,
    struct certa_err *err)
{
	struct certa_store	*st = certa_ctx_store(c);
	char			*v = NULL;
	certa_rc		 rc = CERTA_OK;

	out->mode = CERTA_SETTINGS_DEFAULT_MODE;
	out->auto_reject = false;
	rc = certa_store_meta_get(st, CERTA_META_TRUST_MODE, &v, err);
	if (rc == CERTA_OK) {
		enum certa_trust_mode m;

		/* A value no longer understood keeps the default. */
		if (certa_trust_mode_parse(v, &m, NULL) == CERTA_OK)
			out->mode = m;
	} else if (rc != CERTA_E_NOTFOUND) {
		goto out;
	}
	free(v);
	v = NULL;
	rc = certa_store_meta_get(st, CERTA_META_TRUST_AUTO_REJECT, &v, err);
	if (rc == CERTA_OK)
		out->auto_reject = strcmp(v, "true") == 0;
	else if (rc != CERTA_E_NOTFOUND)
		goto out;
	if (err != NULL)
		certa_err_clear(err);
	rc = CERTA_OK;
out:
	free(v);
	return rc;
}

certa_rc
certa_settings_set(struct certa_ctx *c, const char *mode, int auto_reject,
    struct certa_err *err)
{
	struct certa_store	*st = certa_ctx_store(c);
	enum certa_trust_mode	 m;
	char			 more[80], *d;
	bool			 tx = false;
	certa_rc		 rc = CERTA_OK;

	if (mode != NULL)
		CERTA_CHECK(certa_trust_mode_parse(mode, &m, NULL) ==
		    CERTA_OK, CERTA_E_PARSE, "unknown validation mode '%.40s' "
		    "(accept_any, system, trusted_list, trusted_ca, certa_ca)",
		    mode);
	CERTA_CHECK(mode != NULL || auto_reject >= 0, CERTA_E_INVAL,
	    "nothing to change");
	CERTA_TRY(certa_store_begin(st, err));
	tx = true;
	if (mode != NULL) {
		CERTA_TRY(certa_store_meta_set(st, CERTA_META_TRUST_MODE,
		    certa_trust_mode_name(m), err));
		snprintf(more, sizeof(more), "{\"value\":\"%s\"}",
		    certa_trust_mode_name(m));
		if (auto_reject < 0) {
			CERTA_TRY(certa_ctx_audit_commit(c, "config.set",
			    CERTA_META_TRUST_MODE, more, err));
			tx = false;
			goto out;
		}
		d = certa_ctx_details(c, more);
		rc = certa_audit_append(st, certa_ctx_actor(c), "config.set",
		    CERTA_META_TRUST_MODE, "ok", d != NULL ? d : more, err);
		free(d);
		if (rc != CERTA_OK)
			goto out;
	}
	CERTA_TRY(certa_store_meta_set(st, CERTA_META_TRUST_AUTO_REJECT,
	    auto_reject ? "true" : "false", err));
	snprintf(more, sizeof(more), "{\"value\":\"%s\"}", auto_reject ?
	    "true" : "false");
	CERTA_TRY(certa_ctx_audit_commit(c, "config.set",
	    CERTA_META_TRUST_AUTO_REJECT, more, err));
	tx = false;
out:
	if (tx)
		certa_store_rollback(st);
	return rc;
}
