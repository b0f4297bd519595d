/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The trust store (REFERENCE §1 and §3): certificates under unique aliases
 * in three lists (trusted, issuer, rejected), the CRLs of trusted and
 * issuer CAs, recorded knocks of refused certificates, the OPC UA PKI
 * folder layout, and the process's current validation snapshot.
 *
 * Every change is committed with its audit record and a bump of the trust
 * generation before the call returns (ARCHITECTURE invariants 4, 7), so a
 * validator holding a snapshot sees it at its next check, no restart.
 * Refused input changes nothing.
 *
 * Records returned (struct certa_trust_rec, certa_trust_crl_rec from
 * store.h) own their fields; release them with their *_clear().
 */
#ifndef CERTA_TRUSTSTORE_H
#define CERTA_TRUSTSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <certa/certa.h>
#include <certa/trust.h>

/* Aliases: 1..64 bytes of UTF-8 without control characters. */
#define CERTA_TRUST_ALIAS_MAX	64
/* A file given to import (PEM bundle, DER, PKCS#7, PKCS#12). */
#define CERTA_MAX_TRUST_FILE	(4 * 1024 * 1024)
/* Certificates taken from one file. */
#define CERTA_MAX_TRUST_CERTS	10000
/* A CRL file given to import-crl. */
#define CERTA_MAX_TRUST_CRL	(64 * 1024 * 1024)
/* A knock's peer address ("192.0.2.1:443", "[2001:db8::1]:443"). */
#define CERTA_MAX_PEER_ADDR	128

struct certa_trust_import_opts {
	const char		*alias;	/* NULL: from the subject CN */
	enum certa_trust_list	 list;	/* TRUSTED (0) or ISSUER */
	const char		*password; /* PKCS#12; NULL: none or empty */
	const char		*source; /* NULL: "imported" */
};

struct certa_trust_imported {
	size_t			 n;
	struct certa_trust_rec	*recs;	/* owns n records */
};
void	certa_trust_imported_clear(struct certa_trust_imported *);

/*
 * Import every certificate of data: PEM (one or many CERTIFICATE or
 * PKCS7 blocks; other blocks such as keys are skipped), DER, a PKCS#7
 * certificate bundle (DER), or PKCS#12 (its certificates; the key is
 * ignored).  All or nothing, in one transaction.  With opts->alias the
 * first certificate takes it and the next ones ALIAS-2, ALIAS-3...;
 * without, aliases come from the subject CN, made unique.  A certificate
 * that appears twice in data is imported once.
 * PARSE: unreadable data, a bad alias, PKCS#12 password missing or wrong;
 * CONFLICT: a certificate is stored already (the message names its alias)
 * or the alias is taken; INVAL: list "rejected" or an unknown source.
 */
CERTA_MUST_USE certa_rc certa_trust_import(struct certa_ctx *,
    const uint8_t *data, size_t len, const struct certa_trust_import_opts *o,
    struct certa_trust_imported *out, struct certa_err *err);

/* An alias given by a user is acceptable: PARSE with the reason if not. */
CERTA_MUST_USE certa_rc certa_trust_alias_check(const char *alias,
    struct certa_err *err);

/* An entry by alias.  NOTFOUND. */
CERTA_MUST_USE certa_rc certa_trust_get(struct certa_ctx *, const char *alias,
    struct certa_trust_rec *out, struct certa_err *err);
/*
 * Move an entry to list (trust: TRUSTED, reject: REJECTED, or ISSUER).
 * *changed is false when it was there already (nothing is written).
 * NOTFOUND.
 */
CERTA_MUST_USE certa_rc certa_trust_move(struct certa_ctx *, const char *alias,
    enum certa_trust_list list, bool *changed, struct certa_err *err);
/* NOTFOUND. */
CERTA_MUST_USE certa_rc certa_trust_delete(struct certa_ctx *,
    const char *alias, struct certa_err *err);
/* The entry's certificate, PEM or DER; *out is malloc'ed.  NOTFOUND. */
CERTA_MUST_USE certa_rc certa_trust_export(struct certa_ctx *,
    const char *alias, bool pem, uint8_t **out, size_t *len,
    struct certa_err *err);

/* What `certa trust show` prints about a certificate. */
struct certa_trust_desc {
	char		*subject;	/* owns; RFC 4514 */
	char		*issuer;	/* owns */
	char		*serial;	/* owns; lower-case hex ("-" if < 0) */
	char		*key_alg;	/* owns; "ec:P-256", "rsa:2048", ... */
	char		*basic_constraints; /* owns; "CA:TRUE, pathlen:0",
					 * "CA:FALSE", "absent"; ", critical" */
	char		*cn;		/* owns; subject CN (UTF-8) or NULL */
	int64_t		 not_before, not_after;
	const char	*status;	/* static: "valid" | "expired" |
					 * "not-yet-valid" at the given time */
	bool		 is_ca;
	bool		 self_issued;
	char		 sha256[65];
	char		 sha1[41];
};
/* Describe a certificate (DER) as of time at (0: now).  PARSE. */
CERTA_MUST_USE certa_rc certa_trust_describe(const uint8_t *der, size_t len,
    int64_t at, struct certa_trust_desc *out, struct certa_err *err);
void	certa_trust_desc_clear(struct certa_trust_desc *);

/*
 * Import a CRL (PEM or DER) of a CA in the trusted or issuer list: its
 * signature must verify with that CA's key (which, if it has a key usage,
 * must allow cRLSign) before it is stored, replacing the CA's previous
 * CRL.  *out (may be NULL) is the stored record; *signer (may be NULL)
 * the CA's alias, malloc'ed.
 * PARSE: not a CRL; NOTFOUND: no trusted or issuer certificate is its
 * issuer; POLICY: the signature does not verify, or the CA may not sign
 * CRLs; CONFLICT: this CRL, or a newer one, is stored already.
 */
CERTA_MUST_USE certa_rc certa_trust_crl_import(struct certa_ctx *,
    const uint8_t *data, size_t len, struct certa_trust_crl_rec *out,
    char **signer, struct certa_err *err);

/*
 * auto_reject: record that leaf (DER) was presented by peer_addr (may be
 * NULL) and refused.  A certificate the store holds (in any list) gets
 * last_seen, attempts + 1 and the peer address; an unknown one is added to
 * the rejected list (source "auto-rejected", alias from its CN) — never
 * twice, whatever the concurrency.  *inserted (may be NULL) says which.
 * PARSE: leaf is not one DER certificate; INVAL: a bad peer address.
 */
CERTA_MUST_USE certa_rc certa_trust_record_rejected(struct certa_ctx *,
    const uint8_t *leaf, size_t len, const char *peer_addr, bool *inserted,
    struct certa_err *err);

/* --- OPC UA PKI folder layout ---------------------------------------- */

/*
 * What export and sync did or found, one call per item: kind is one of
 * "wrote", "removed", "kept" (export: a file certa does not hold),
 * "imported", "unchanged", "differs", "only-in-store", "skipped" (sync);
 * path is relative to the layout's directory (or NULL), detail a short
 * human text.
 */
typedef void (*certa_trust_report_fn)(const char *kind, const char *path,
    const char *detail, void *arg);

/*
 * Write the store as an OPC UA PKI folder: DIR/trusted/certs,
 * trusted/crl, issuers/certs, issuers/crl, rejected/certs (created 0755),
 * certificates as DER files named "CN [SHA1].der", CRLs as
 * "CA-CN [CA-SHA1].crl" next to their CA's list.  A certificate file of a
 * stored certificate in the wrong folder (it moved) is removed; other
 * files are kept (reported), or removed with prune.  IO on file errors.
 */
CERTA_MUST_USE certa_rc certa_trust_export_opcua(struct certa_ctx *,
    const char *dir, bool prune, certa_trust_report_fn fn, void *arg,
    struct certa_err *err);

/*
 * Read an OPC UA PKI folder back, in one transaction: certificates in
 * rejected/certs unknown to the store are added as rejected (source
 * "auto-rejected"), new ones in trusted/certs and issuers/certs to their
 * lists, new CRLs in trusted/crl and issuers/crl are imported (signature
 * checked); a certificate the store holds in another list is reported as
 * "differs" and left as it is; entries only in the store are reported.
 * Files that are not certificates or CRLs are reported as "skipped".
 * NOTFOUND when DIR has none of the layout's folders.
 */
CERTA_MUST_USE certa_rc certa_trust_sync_opcua(struct certa_ctx *,
    const char *dir, certa_trust_report_fn fn, void *arg,
    struct certa_err *err);

/* --- the snapshot of one check -------------------------------------- */

/*
 * A snapshot for checking one leaf (DER) with its peer chain (n DER
 * certificates, may be 0): what of the store a check of that leaf can use
 * (its own entry, the entries and CRLs of its possible issuers, certa's
 * CAs and the revocation state of the chain), read through indexed
 * lookups, so one-shot checks (`certa verify`) cost little whatever the
 * store's size.  Checking that leaf and chain gives the verdict the full
 * snapshot (certa_trust_snapshot_load) gives; any other certificate may
 * not.  Never hand it to a holder.  Falls back to the full load when the
 * store's index cannot answer.  *out is the caller's reference.
 * INVAL: no leaf; PARSE: leaf or chain is not DER; STORE, NOMEM, CRYPTO.
 */
CERTA_MUST_USE certa_rc certa_trust_snapshot_load_for(struct certa_ctx *,
    const uint8_t *leaf, size_t leaf_len, const uint8_t *const *chain,
    const size_t *chain_len, size_t n, struct certa_snapshot **out,
    struct certa_err *err);

/* --- the current snapshot -------------------------------------------- */

/*
 * HOW IT WORKS (holder.c): a holder keeps one reference to the newest
 * snapshot it built.  Each get reads the stored trust generation (one
 * indexed row, on the caller's ctx store handle) and compares it with the
 * snapshot's.  When they differ, one caller rebuilds (the others go on
 * with the old snapshot; only when there is none at all do they wait) and
 * swaps the pointer under a mutex held for the swap only.  A caller gets
 * its own reference, so a check in flight finishes on the snapshot it
 * started with, and nothing is locked during a check.  If a rebuild fails
 * the old snapshot stays and is returned.
 *
 * A ctx's store handle serves one thread at a time: threads calling get
 * concurrently pass each their own ctx (opened on the same directory).
 */
struct certa_trust_holder;

CERTA_MUST_USE certa_rc certa_trust_holder_new(
    struct certa_trust_holder **out, struct certa_err *err);
void	certa_trust_holder_free(struct certa_trust_holder *);
/* A new reference to an up-to-date snapshot of ctx's store. */
CERTA_MUST_USE certa_rc certa_trust_holder_get(struct certa_trust_holder *,
    struct certa_ctx *, struct certa_snapshot **out, struct certa_err *err);
/* A new reference to the snapshot held now, unchecked; NULL if none. */
struct certa_snapshot *certa_trust_holder_peek(struct certa_trust_holder *);

/*
 * The process-wide holder: a new reference to the current snapshot of
 * ctx's data directory (the daemon and the gate use it).  It follows one
 * data directory at a time: a ctx of another directory replaces it.
 */
CERTA_MUST_USE certa_rc certa_trust_current(struct certa_ctx *,
    struct certa_snapshot **out, struct certa_err *err);
/* Drop the process-wide holder's snapshot (at exit, in tests). */
void	certa_trust_current_reset(void);

#endif
