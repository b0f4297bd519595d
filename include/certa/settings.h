/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Site-wide trust settings kept in the store (meta keys), changed through
 * the API (PUT /api/v1/settings/trust), the console or `certa settings
 * set`: the validation mode and auto-reject that certa gate's ingress
 * listeners follow when they have no explicit --mode/--auto-reject (flag
 * or config).  Every change is audited as config.set.
 */
#ifndef CERTA_SETTINGS_H
#define CERTA_SETTINGS_H

#include <stdbool.h>

#include <certa/err.h>
#include <certa/trust.h>

struct certa_ctx;

#define CERTA_META_TRUST_MODE		"trust.mode"
#define CERTA_META_TRUST_AUTO_REJECT	"trust.auto_reject"
#define CERTA_SETTINGS_DEFAULT_MODE	CERTA_MODE_TRUSTED_CA

struct certa_trust_settings {
	enum certa_trust_mode	 mode;		/* trusted_ca when unset */
	bool			 auto_reject;	/* false when unset */
};

/* The stored settings (defaults for what was never set).  STORE/AGAIN. */
CERTA_MUST_USE certa_rc certa_settings_get(struct certa_ctx *,
    struct certa_trust_settings *out, struct certa_err *err);
/*
 * Change them in one transaction, one config.set audit record per key
 * given: mode (a trust mode name; NULL keeps it), auto_reject (1 on, 0
 * off, -1 keeps it).  PARSE for an unknown mode.
 */
CERTA_MUST_USE certa_rc certa_settings_set(struct certa_ctx *,
    const char *mode, int auto_reject, struct certa_err *err);

#endif
