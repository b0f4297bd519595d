/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issuance profiles are data: a built-in JSON set (transport, signing,
 * encryption) that DIR/profiles.json may override or extend.  A profile
 * says which keys it accepts, its key usages per key family, its extended
 * key usages, validity limits, required subject attributes and allowed SAN
 * kinds.  No I/O here (the caller reads the file).
 */
#ifndef CERTA_CORE_PROFILE_H
#define CERTA_CORE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509v3.h>

#include <certa/err.h>

#define CERTA_PROFILE_MAX_EKU	8
#define CERTA_PROFILE_MAX_REQ	8

enum certa_keyalg {
	CERTA_KEYALG_P256 = 1 << 0,
	CERTA_KEYALG_P384 = 1 << 1,
	CERTA_KEYALG_ED25519 = 1 << 2,
	CERTA_KEYALG_RSA = 1 << 3,
};

enum certa_san_kind {
	CERTA_SAN_DNS = 1 << 0,
	CERTA_SAN_IP = 1 << 1,
	CERTA_SAN_URI = 1 << 2,
	CERTA_SAN_EMAIL = 1 << 3,
};

struct certa_profile {
	char		name[64];
	uint32_t	ku;		/* X509v3_KU_* for every key */
	uint32_t	ku_ec;		/* added for EC keys */
	uint32_t	ku_rsa;		/* added for RSA keys */
	int		eku[CERTA_PROFILE_MAX_EKU];	/* NIDs */
	size_t		neku;
	uint32_t	key_algs;	/* enum certa_keyalg bits */
	int		min_rsa_bits, max_rsa_bits;
	int64_t		default_validity, max_validity;	/* seconds */
	int		required[CERTA_PROFILE_MAX_REQ];	/* subject NIDs */
	size_t		nrequired;
	uint32_t	san_kinds;	/* enum certa_san_kind bits */
	bool		approval;	/* requests wait for an approver */
	bool		renew_same_key;	/* renewal may keep the public key */
};

struct certa_profiles {
	struct certa_profile	*v;	/* owns */
	size_t			 n;
};

/*
 * Load the built-in set, then apply override_json (may be NULL): its
 * profiles replace built-ins of the same name or are added.  PARSE with
 * the offending profile and key named.
 */
CERTA_MUST_USE certa_rc certa_profiles_load(const char *override_json,
    struct certa_profiles *out, struct certa_err *err);
void	certa_profiles_clear(struct certa_profiles *);
/* NOTFOUND listing the known names. */
CERTA_MUST_USE certa_rc certa_profiles_find(const struct certa_profiles *,
    const char *name, const struct certa_profile **out,
    struct certa_err *err);

/* POLICY when the key's algorithm or size is not allowed. */
CERTA_MUST_USE certa_rc certa_profile_check_key(const struct certa_profile *,
    EVP_PKEY *pkey, struct certa_err *err);
/* POLICY when a required attribute is missing. */
CERTA_MUST_USE certa_rc certa_profile_check_subject(
    const struct certa_profile *, const X509_NAME *subject,
    struct certa_err *err);
/* POLICY when a SAN kind is not allowed. */
CERTA_MUST_USE certa_rc certa_profile_check_sans(const struct certa_profile *,
    const GENERAL_NAMES *sans, struct certa_err *err);
/* keyUsage bits for this key under the profile. */
uint32_t certa_profile_key_usage(const struct certa_profile *,
    EVP_PKEY *pkey);

#endif
