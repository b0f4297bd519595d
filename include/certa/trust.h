/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The trust engine: one function decides whether a peer certificate chain
 * is acceptable under a policy (ARCHITECTURE "Validation modes").  Every
 * certificate check in certa (gate, API mTLS, `certa verify`) goes through
 * certa_trust_validate().
 *
 * Validators read an immutable, reference-counted snapshot of the trust
 * store (invariant 4): a change builds a new snapshot and swaps it in
 * atomically; checks in flight finish on the old one; no lock is held
 * during a check.  A snapshot is indexed (subject, SKI, SHA-256
 * fingerprint): no linear scans per check.
 *
 * Split of work: src/trust/snapshot.c + validate.c own snapshots and
 * validation; src/trust/truststore.c owns the trust store (import, lists,
 * auto-reject, CRL import) and builds snapshots from it with the builder
 * below.
 */
#ifndef CERTA_TRUST_H
#define CERTA_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <certa/err.h>

struct certa_ctx;

enum certa_trust_mode {
	CERTA_MODE_ACCEPT_ANY = 0,	/* no validation at all */
	CERTA_MODE_SYSTEM,		/* OS store (/etc/ssl/certs) */
	CERTA_MODE_TRUSTED_LIST,	/* this exact cert is trusted */
	CERTA_MODE_TRUSTED_CA,		/* chains to a trusted cert */
	CERTA_MODE_CERTA_CA,		/* issued by this certa, not revoked */
	CERTA_MODE__COUNT
};

/* The trust store's lists. */
enum certa_trust_list {
	CERTA_LIST_TRUSTED = 0,		/* anchors / exact trusted certs */
	CERTA_LIST_ISSUER,		/* may complete chains, not anchors */
	CERTA_LIST_REJECTED,		/* refused; recorded knocks */
	CERTA_LIST__COUNT
};

enum certa_purpose {
	CERTA_PURPOSE_CLIENT = 0,	/* clientAuth */
	CERTA_PURPOSE_SERVER,		/* serverAuth */
	CERTA_PURPOSE_ANY,
	CERTA_PURPOSE__COUNT
};

CERTA_MUST_USE certa_rc certa_trust_mode_parse(const char *s,
    enum certa_trust_mode *out, struct certa_err *err);
const char *certa_trust_mode_name(enum certa_trust_mode);
CERTA_MUST_USE certa_rc certa_trust_list_parse(const char *s,
    enum certa_trust_list *out, struct certa_err *err);
const char *certa_trust_list_name(enum certa_trust_list);

/* --- snapshots ------------------------------------------------------- */

struct certa_snapshot;			/* immutable once built */
struct certa_snapshot_builder;

CERTA_MUST_USE certa_rc certa_snapshot_builder_new(
    struct certa_snapshot_builder **out, struct certa_err *err);
void	certa_snapshot_builder_free(struct certa_snapshot_builder *);
/* A certificate (DER) in a list; alias may be NULL. */
CERTA_MUST_USE certa_rc certa_snapshot_add_cert(
    struct certa_snapshot_builder *, enum certa_trust_list list,
    const uint8_t *der, size_t len, const char *alias,
    struct certa_err *err);
/* A CRL (DER) of a trusted or issuer CA, its signature already checked. */
CERTA_MUST_USE certa_rc certa_snapshot_add_crl(
    struct certa_snapshot_builder *, const uint8_t *der, size_t len,
    struct certa_err *err);
/*
 * certa_ca mode: certa's own CA certificates (DER) and the revoked serials
 * (lower-case hex) of each, looked up in O(1) per check.
 */
CERTA_MUST_USE certa_rc certa_snapshot_add_certa_ca(
    struct certa_snapshot_builder *, const uint8_t *der, size_t len,
    bool anchor, struct certa_err *err);
CERTA_MUST_USE certa_rc certa_snapshot_add_revoked(
    struct certa_snapshot_builder *, const uint8_t *issuer_der,
    size_t issuer_len, const char *serial_hex, int64_t revoked_at,
    int reason, struct certa_err *err);
/* Freeze; the builder is consumed (freed) whatever the result. */
CERTA_MUST_USE certa_rc certa_snapshot_build(struct certa_snapshot_builder *,
    uint64_t generation, struct certa_snapshot **out, struct certa_err *err);
struct certa_snapshot *certa_snapshot_ref(struct certa_snapshot *);
void	certa_snapshot_unref(struct certa_snapshot *);
uint64_t certa_snapshot_generation(const struct certa_snapshot *);
size_t	certa_snapshot_count(const struct certa_snapshot *,
    enum certa_trust_list);

/*
 * Build a snapshot of a data directory's trust store and certa's own CAs
 * and revocations (implemented with the trust store, truststore.c).
 */
CERTA_MUST_USE certa_rc certa_trust_snapshot_load(struct certa_ctx *,
    struct certa_snapshot **out, struct certa_err *err);

/* --- validation ------------------------------------------------------ */

enum certa_name_kind {
	CERTA_NAME_DNS = 0,
	CERTA_NAME_IP,
	CERTA_NAME_EMAIL,
	CERTA_NAME__COUNT
};

struct certa_expected_name {
	enum certa_name_kind	 kind;
	const char		*value;
};

#define CERTA_VERIFY_MAX_ITEMS	16
#define CERTA_DEPTH_NONE	(-1)	/* max_depth: no intermediate */

struct certa_verify_policy {
	enum certa_trust_mode	 mode;
	enum certa_purpose	 purpose;
	int64_t			 at;		/* 0 = now */
	bool			 skip_expiry;	/* trusted_list only */
	bool			 require_crl;	/* trusted_ca: CRL must exist */
	int			 max_depth;	/* intermediates; 0 = default,
						   CERTA_DEPTH_NONE = none */
	const char		*ekus[CERTA_VERIFY_MAX_ITEMS];	/* required */
	size_t			 nekus;
	const char		*key_usages[CERTA_VERIFY_MAX_ITEMS];
	size_t			 nkey_usages;
	const char		*sig_algs[CERTA_VERIFY_MAX_ITEMS]; /* allowed */
	size_t			 nsig_algs;
	struct certa_expected_name names[CERTA_VERIFY_MAX_ITEMS];
	size_t			 nnames;
	/* RFC 5280 §6.1.1 inputs. */
	bool			 policy_check;
	const char		*policies[CERTA_VERIFY_MAX_ITEMS];	/* OIDs */
	size_t			 npolicies;
	bool			 explicit_policy;
	bool			 inhibit_policy_mapping;
	bool			 inhibit_any_policy;
	bool			 auto_reject;	/* list modes: record unknown */
};

#define CERTA_VERDICT_MAX_CHAIN	10

/*
 * Stable reason codes: "ok", "untrusted", "expired", "not_yet_valid",
 * "revoked", "bad_signature", "wrong_purpose", "name_mismatch",
 * "chain_too_long", "rejected", "policy", "malformed", "crl_missing", ...
 */
struct certa_trust_verdict {
	bool		 valid;
	char		 reason[32];
	char		 message[256];
	size_t		 nchain;
	char		*chain[CERTA_VERDICT_MAX_CHAIN];	/* owns; subjects */
	char		 fingerprint[65];		/* the leaf's */
};
void	certa_trust_verdict_clear(struct certa_trust_verdict *);

/*
 * Validate a peer: leaf (DER) plus the untrusted certificates it sent
 * (DER each, any order).  extra_crls: CRLs given for this check only.
 * Returns OK with the verdict filled whatever the verdict; an error code
 * only when the check could not be made (PARSE for undecodable input).
 */
CERTA_MUST_USE certa_rc certa_trust_validate(const struct certa_snapshot *,
    const uint8_t *leaf, size_t leaf_len, const uint8_t *const *chain,
    const size_t *chain_len, size_t nchain, const uint8_t *const *crls,
    const size_t *crl_len, size_t ncrls,
    const struct certa_verify_policy *policy,
    struct certa_trust_verdict *out, struct certa_err *err);

/* --- reading files ---------------------------------------------------- */

/* DER blobs decoded from a file. */
struct certa_der_list {
	uint8_t		**der;		/* owns each and the array */
	size_t		 *len;		/* owns */
	size_t		  n;
};
void	certa_der_list_clear(struct certa_der_list *);

/*
 * Split data, PEM (one or many CERTIFICATE, or X509 CRL when crl) or one
 * DER object, into DER blobs appended to out (each checked to decode).
 * PARSE when nothing usable is found or an object does not decode;
 * NOMEM.  On error out keeps what it held before the call.
 */
CERTA_MUST_USE certa_rc certa_trust_decode_bundle(const uint8_t *data,
    size_t len, bool crl, struct certa_der_list *out, struct certa_err *err);

#endif
