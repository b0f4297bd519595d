/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The certificate lifecycle (GitHub issue 6): requests that wait for an
 * approver, renewal, reissue (re-key) and revocation requests.  Front
 * ends (CLI, API) use only this, certa.h and store.h; no OpenSSL types
 * cross this header.
 *
 * A request is "pending" when its organisation (certa org update
 * --approval required) or its profile ("approval": "required") asks for
 * approval; else it is issued at once and no request row is kept.
 *
 *   issue, renew, reissue:  pending -> approved -> issued
 *   revoke:                 pending -> revoked
 *   any kind:               pending -> rejected (approver, with comment)
 *                           pending -> cancelled (requester or admin)
 *                           approved -> failed (issuance refused)
 *
 * Dual control: the actor who decides may not be the actor who asked,
 * unless the store's meta setting "approval.single_control" is "true".
 * Every transition is one atomic store update (UPDATE ... WHERE state =
 * 'pending') committed with its audit record (request.create,
 * request.approve, request.reject, request.cancel, request.fail), which
 * carries the actor's role (certa_ctx_set_role).
 *
 * Policy (certa_policy_set, kept in the store, read on each call):
 * "renew.window_days" (default 30: a certificate can be renewed from 30
 * days before it expires), "reissue.grace_seconds" (default 259200 = 72 h:
 * how long the predecessor of a reissue stays valid),
 * "approval.single_control" (default false).
 */
#ifndef CERTA_LIFECYCLE_H
#define CERTA_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <certa/certa.h>
#include <certa/err.h>
#include <certa/store.h>

#define CERTA_RENEW_WINDOW_DAYS	30
#define CERTA_REISSUE_GRACE	(72 * 3600)

/* What a lifecycle call produced: a certificate, a request, or both. */
struct certa_lc_result {
	bool		 pending;	/* request waits for approval */
	/* The request (id 0 when none was kept): owns its fields. */
	struct certa_request_rec request;
	/* The certificate (id 0 when none was issued): owns its fields. */
	struct certa_cert_rec cert;
};
void	certa_lc_result_clear(struct certa_lc_result *);

/*
 * Does a request of app_id and profile type need an approver?  NOTFOUND
 * for an unknown application or type.
 */
CERTA_MUST_USE certa_rc certa_approval_required(struct certa_ctx *,
    int64_t app_id, const char *type, bool *out, struct certa_err *err);

/*
 * Request a certificate: issued at once (out->cert) or kept pending
 * (out->pending, out->request).  Errors as certa_issue; a CSR is checked
 * when the request is kept, so a bad one is refused at once (PARSE).
 */
CERTA_MUST_USE certa_rc certa_request_create(struct certa_ctx *,
    const struct certa_issue_req *req, struct certa_lc_result *out,
    struct certa_err *err);

/* NOTFOUND "no request N". */
CERTA_MUST_USE certa_rc certa_request_get(struct certa_ctx *, int64_t id,
    struct certa_request_rec *out, struct certa_err *err);
CERTA_MUST_USE certa_rc certa_request_each(struct certa_ctx *,
    const struct certa_request_filter *f, certa_store_request_fn fn,
    void *arg, struct certa_err *err);

/*
 * Approve a pending request and carry it out: issue (out->cert) or
 * revoke.  POLICY "approver may not approve their own request (dual
 * control)"; CONFLICT "request N is S; only pending requests can be
 * approved"; a refused issuance leaves the request "failed" and returns
 * its error.
 */
CERTA_MUST_USE certa_rc certa_request_approve(struct certa_ctx *, int64_t id,
    struct certa_lc_result *out, struct certa_err *err);
/* INVAL without a comment; POLICY (dual control), CONFLICT as approve. */
CERTA_MUST_USE certa_rc certa_request_reject(struct certa_ctx *, int64_t id,
    const char *comment, struct certa_err *err);
/*
 * Cancel a pending request: the requester or an admin only (POLICY);
 * CONFLICT "request N is issued; only pending requests can be cancelled".
 */
CERTA_MUST_USE certa_rc certa_request_cancel(struct certa_ctx *, int64_t id,
    struct certa_err *err);

/*
 * Renew: a new certificate for the same application and type with a new
 * validity, from csr or (same_key, when the profile's renew_same_key
 * allows) the predecessor's public key; subject and SANs carry over
 * (the CSR's SANs when it has some).  CONFLICT "certificate N is revoked;
 * a revoked certificate cannot be renewed"; POLICY outside the renewal
 * window or when the profile refuses the same key.
 */
CERTA_MUST_USE certa_rc certa_cert_renew(struct certa_ctx *, int64_t cert_id,
    const uint8_t *csr, size_t csr_len, bool same_key,
    struct certa_lc_result *out, struct certa_err *err);

/*
 * Reissue (re-key): a new certificate from csr (a new key: POLICY when
 * it is the predecessor's) with the predecessor's application, type,
 * subject and end of validity.  The predecessor is revoked "superseded"
 * after grace seconds (-1: policy; 0: at once) by certa_lifecycle_tick;
 * until then a pending revoke request (out->request once issued) shows
 * it and can be cancelled.  CONFLICT when the predecessor is revoked,
 * POLICY when it has expired.
 */
CERTA_MUST_USE certa_rc certa_cert_reissue(struct certa_ctx *,
    int64_t cert_id, const uint8_t *csr, size_t csr_len, int64_t grace,
    struct certa_lc_result *out, struct certa_err *err);

/*
 * Ask for a revocation (always pending: an approver decides; admins may
 * certa_revoke directly).  CONFLICT when the certificate is revoked
 * already or a revocation request for it is pending.
 */
CERTA_MUST_USE certa_rc certa_revocation_request(struct certa_ctx *,
    int64_t cert_id, int reason, struct certa_lc_result *out,
    struct certa_err *err);

/*
 * Carry out what is due at now: the "superseded" revocations of reissued
 * certificates whose grace has passed.  *done (may be NULL) counts them.
 * The daemon calls it on its tick; cheap when nothing is due.
 */
CERTA_MUST_USE certa_rc certa_lifecycle_tick(struct certa_ctx *, int64_t now,
    size_t *done, struct certa_err *err);

/* Set an organisation's approval policy (audited "org.approval"). */
CERTA_MUST_USE certa_rc certa_org_set_approval(struct certa_ctx *,
    const char *org_ref, bool required, struct certa_err *err);
CERTA_MUST_USE certa_rc certa_org_get_approval(struct certa_ctx *,
    int64_t org_id, bool *required, struct certa_err *err);

/*
 * Lifecycle policy, kept in the store (meta): "renew.window_days"
 * (0..3650), "reissue.grace_seconds" (0..31536000) and
 * "approval.single_control" ("true" | "false").  set: NOTFOUND for an
 * unknown key, PARSE for a value out of range; audited "config.set".
 * get: the value in force (the default when unset), malloc'ed.
 */
CERTA_MUST_USE certa_rc certa_policy_set(struct certa_ctx *, const char *key,
    const char *value, struct certa_err *err);
CERTA_MUST_USE certa_rc certa_policy_get(struct certa_ctx *, const char *key,
    char **out, struct certa_err *err);
/* The policy keys, NULL-terminated. */
extern const char *const certa_policy_keys[];

/*
 * The predecessors of a certificate, newest first: ids[0] is its
 * predecessor, ids[1] that one's, ... up to max; *n how many.
 */
CERTA_MUST_USE certa_rc certa_cert_predecessors(struct certa_ctx *,
    int64_t cert_id, int64_t *ids, size_t max, size_t *n,
    struct certa_err *err);

#endif
