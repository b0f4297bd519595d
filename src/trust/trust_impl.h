/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside a trust snapshot: shared by snapshot.c (which builds and indexes
 * it) and validate.c (which reads it).  Nothing outside src/trust/ may
 * include this header; everyone else sees struct certa_snapshot as opaque.
 *
 * A snapshot never changes after certa_snapshot_build() returns, so any
 * number of threads may read it without a lock.  The one exception is the
 * system store (/etc/ssl/certs), loaded on first use under sys_lock.
 */
#ifndef CERTA_TRUST_IMPL_H
#define CERTA_TRUST_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <certa/trust.h>

/* Where a certificate of the snapshot may serve. */
enum trust_pool {
	TRUST_POOL_TRUSTED = 0,		/* CERTA_LIST_TRUSTED: anchors */
	TRUST_POOL_ISSUER,		/* CERTA_LIST_ISSUER: intermediates */
	TRUST_POOL_REJECTED,		/* CERTA_LIST_REJECTED */
	TRUST_POOL_CERTA_ANCHOR,	/* certa_ca mode: certa's roots */
	TRUST_POOL_CERTA_CA,		/* certa_ca mode: certa's issuing CAs */
	TRUST_POOL__COUNT
};

/*
 * A certificate of a snapshot.  Building a snapshot decodes only the
 * subject name (d2i_X509 costs ~80 us in OpenSSL 3.0, mostly the public
 * key decoder); the X509 is decoded on first use by certa_snap_cert(), and
 * published with a compare-and-swap, so readers need no lock.
 */
struct trust_cert {
	_Atomic(X509 *)	 x509;		/* owns a reference; NULL until used */
	uint8_t		*der;		/* owns; der_len bytes */
	size_t		 der_len;
	X509_NAME	*subject;	/* owns */
	enum trust_pool	 pool;
	char		*alias;		/* owns; or NULL */
	uint8_t		 fp[32];	/* SHA-256 of the DER */
	unsigned long	 subject_hash;	/* X509_NAME_hash_ex of the subject */
	/*
	 * certa_ca mode, an issuing CA (TRUST_POOL_CERTA_CA): OpenSSL has
	 * accepted a path from it to the anchor certs[path_anchor - 1], its
	 * signature included, for the purposes in path_purposes (bit
	 * 1 << enum certa_purpose); 0 until then.  Written once by the first
	 * check that accepts such a path, read without a lock by the later
	 * ones (validate.c, "HOW IT WORKS: known paths").
	 */
	_Atomic uint32_t path_anchor;
	_Atomic uint32_t path_purposes;
};

struct trust_crl {
	X509_CRL	*crl;		/* owns one reference */
	unsigned long	 issuer_hash;	/* X509_NAME_hash_ex of the issuer */
	bool		 indirect;	/* IDP says indirectCRL */
	/*
	 * A complete, direct CRL: no issuingDistributionPoint, delta or
	 * freshest-CRL extension, no extension or entry extension besides
	 * AKI, CRL number, issuerAltName, reasonCode, invalidityDate.  Such
	 * CRLs are checked by validate.c itself (crl_fast), with its
	 * signature verified once per issuer key, not once per check.
	 */
	bool		 simple;
	_Atomic(uint8_t *) sig_key;	/* owns; SHA-256 of the issuer SPKI
					   its signature verified with */
};

/* certa_ca mode: one revoked serial of one of certa's CAs. */
struct trust_revoked {
	uint8_t		 key[32];	/* SHA-256(issuer name DER, serial) */
	int64_t		 revoked_at;
	int		 reason;	/* RFC 5280 §5.3.1 CRLReason */
};

/* Sorted index entries: lookups are binary searches, never scans. */
struct trust_name_idx {
	unsigned long	 hash;		/* subject (certs) or issuer (CRLs) */
	uint32_t	 pool;		/* enum trust_pool; 0 for CRLs */
	uint32_t	 pos;		/* into certs[] or crls[] */
};

struct trust_fp_idx {
	uint8_t		 fp[32];
	uint32_t	 pos;		/* into certs[] */
};

struct certa_snapshot {
	atomic_size_t		 refs;
	uint64_t		 generation;

	struct trust_cert	*certs;		/* owns; ncerts */
	size_t			 ncerts;
	size_t			 npool[TRUST_POOL__COUNT];
	struct trust_fp_idx	*by_fp;		/* owns; ncerts, sorted */
	struct trust_name_idx	*by_subject;	/* owns; ncerts, sorted */

	struct trust_crl	*crls;		/* owns; ncrls */
	size_t			 ncrls;
	struct trust_name_idx	*crl_by_issuer;	/* owns; ncrls, sorted */
	uint32_t		*indirect;	/* owns; nindirect positions */
	size_t			 nindirect;

	struct trust_revoked	*revoked;	/* owns; nrevoked, sorted */
	size_t			 nrevoked;

	/* system mode: /etc/ssl/certs, loaded lazily (HOW: see validate.c) */
	pthread_mutex_t		 sys_lock;
	bool			 sys_tried;
	X509_STORE		*sys_store;	/* owns; NULL until loaded */
};

/* Directory of the OS trust store (hashed names, as c_rehash makes). */
#define CERTA_SYSTEM_CERTS_DIR	"/etc/ssl/certs"

/* X509_NAME_hash_ex of name, or 0 when it cannot be computed. */
unsigned long certa_snap_name_hash(const X509_NAME *name);

/*
 * Certificates of pool whose subject is name: up to max borrowed pointers
 * into out (valid while the snapshot lives); returns how many there are
 * (which may exceed max).
 */
size_t	certa_snap_by_subject(const struct certa_snapshot *,
    enum trust_pool pool, const X509_NAME *name,
    const struct trust_cert **out, size_t max);
/*
 * The X509 of c, decoded on first use (thread-safe); borrowed, valid while
 * the snapshot lives.  NULL when the DER does not decode.
 */
X509	*certa_snap_cert(const struct trust_cert *c);
/* The certificate with this SHA-256 fingerprint in pool, or NULL. */
const struct trust_cert *certa_snap_by_fp(const struct certa_snapshot *,
    enum trust_pool pool, const uint8_t fp[32]);
/* The snapshot's CRLs issued under name (borrowed), as above. */
size_t	certa_snap_crl_entries(const struct certa_snapshot *,
    const X509_NAME *issuer, const struct trust_crl **out, size_t max);
/* CRLs issued under name (borrowed), as certa_snap_by_subject. */
size_t	certa_snap_crls_by_issuer(const struct certa_snapshot *,
    const X509_NAME *issuer, X509_CRL **out, size_t max);
/* certa_ca mode: the revocation of (issuer, serial), or NULL. */
const struct trust_revoked *certa_snap_revoked(const struct certa_snapshot *,
    const X509_NAME *issuer, const ASN1_INTEGER *serial);
/*
 * The OS store, loaded on first use; borrowed (valid while the snapshot
 * lives).  NOTFOUND when the directory holds no usable store.
 */
CERTA_MUST_USE certa_rc certa_snap_system_store(
    const struct certa_snapshot *, X509_STORE **out, struct certa_err *err);

#endif
