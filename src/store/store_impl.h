/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a store backend implements: one entry per operation of
 * include/certa/store.h (same names without the certa_store_ prefix).
 * store.c dispatches; no SQL outside the backend files.
 */
#ifndef CERTA_STORE_IMPL_H
#define CERTA_STORE_IMPL_H

#include <certa/store.h>

struct certa_store_ops {
	const char	*name;
	/* Does this backend handle dsn? */
	int		(*accepts)(const char *dsn);
	certa_rc	(*open)(struct certa_store **, const char *dsn,
			    struct certa_err *);
	void		(*close)(struct certa_store *);
	int		(*schema_version)(const struct certa_store *);
	certa_rc	(*begin)(struct certa_store *, struct certa_err *);
	certa_rc	(*commit)(struct certa_store *, struct certa_err *);
	void		(*rollback)(struct certa_store *);
	certa_rc	(*meta_get)(struct certa_store *, const char *, char **,
			    struct certa_err *);
	certa_rc	(*meta_set)(struct certa_store *, const char *,
			    const char *, struct certa_err *);
	certa_rc	(*org_put)(struct certa_store *, struct certa_org_rec *,
			    struct certa_err *);
	certa_rc	(*org_get)(struct certa_store *, int64_t, const char *,
			    struct certa_org_rec *, struct certa_err *);
	certa_rc	(*org_each)(struct certa_store *, certa_store_org_fn,
			    void *, struct certa_err *);
	certa_rc	(*app_put)(struct certa_store *, struct certa_app_rec *,
			    struct certa_err *);
	certa_rc	(*app_get)(struct certa_store *, int64_t,
			    struct certa_app_rec *, struct certa_err *);
	certa_rc	(*app_find)(struct certa_store *, const char *,
			    const char *, struct certa_app_rec *,
			    struct certa_err *);
	certa_rc	(*app_each)(struct certa_store *, int64_t,
			    certa_store_app_fn, void *, struct certa_err *);
	certa_rc	(*org_rename)(struct certa_store *, int64_t,
			    const char *, struct certa_err *);
	certa_rc	(*app_rename)(struct certa_store *, int64_t,
			    const char *, struct certa_err *);
	certa_rc	(*org_delete)(struct certa_store *, int64_t,
			    struct certa_err *);
	certa_rc	(*app_delete)(struct certa_store *, int64_t,
			    struct certa_err *);
	certa_rc	(*ca_put)(struct certa_store *, struct certa_ca_rec *,
			    struct certa_err *);
	certa_rc	(*ca_get)(struct certa_store *, int64_t,
			    struct certa_ca_rec *, struct certa_err *);
	certa_rc	(*ca_get_active)(struct certa_store *, const char *,
			    struct certa_ca_rec *, struct certa_err *);
	certa_rc	(*ca_each)(struct certa_store *, certa_store_ca_fn,
			    void *, struct certa_err *);
	certa_rc	(*ca_next_crl_number)(struct certa_store *, int64_t,
			    int64_t *, struct certa_err *);
	certa_rc	(*cert_reserve)(struct certa_store *,
			    struct certa_cert_rec *, struct certa_err *);
	/* Import with the record's own id (certa store migrate). */
	certa_rc	(*org_import)(struct certa_store *,
			    const struct certa_org_rec *, struct certa_err *);
	certa_rc	(*app_import)(struct certa_store *,
			    const struct certa_app_rec *, struct certa_err *);
	certa_rc	(*ca_import)(struct certa_store *,
			    const struct certa_ca_rec *, struct certa_err *);
	certa_rc	(*cert_import)(struct certa_store *,
			    const struct certa_cert_rec *, struct certa_err *);
	certa_rc	(*cert_finish)(struct certa_store *, int64_t,
			    const uint8_t *, size_t, const char *,
			    struct certa_err *);
	certa_rc	(*cert_get)(struct certa_store *, int64_t,
			    struct certa_cert_rec *, struct certa_err *);
	certa_rc	(*cert_get_serial)(struct certa_store *, const char *,
			    struct certa_cert_rec *, struct certa_err *);
	certa_rc	(*cert_each)(struct certa_store *,
			    const struct certa_cert_filter *,
			    certa_store_cert_fn, void *, struct certa_err *);
	certa_rc	(*cert_revoke)(struct certa_store *, int64_t, int64_t,
			    int, struct certa_err *);
	certa_rc	(*cert_count_valid)(struct certa_store *, int64_t,
			    int64_t, int64_t, int64_t *, struct certa_err *);
	certa_rc	(*revoked_each)(struct certa_store *, int64_t,
			    certa_store_revoked_fn, void *,
			    struct certa_err *);
	certa_rc	(*audit_append)(struct certa_store *,
			    const struct certa_audit_rec *, struct certa_err *);
	certa_rc	(*audit_last)(struct certa_store *, int64_t *,
			    char[65], struct certa_err *);
	certa_rc	(*audit_each)(struct certa_store *, int64_t,
			    certa_store_audit_fn, void *, struct certa_err *);
	/* Trust store. */
	certa_rc	(*trust_put)(struct certa_store *,
			    struct certa_trust_rec *, struct certa_err *);
	certa_rc	(*trust_get_alias)(struct certa_store *, const char *,
			    struct certa_trust_rec *, struct certa_err *);
	certa_rc	(*trust_get_fp)(struct certa_store *, const char *,
			    struct certa_trust_rec *, struct certa_err *);
	certa_rc	(*trust_each)(struct certa_store *, const char *,
			    certa_store_trust_fn, void *, struct certa_err *);
	certa_rc	(*trust_each_subject)(struct certa_store *,
			    const char *, certa_store_trust_fn, void *,
			    struct certa_err *);
	certa_rc	(*trust_unkeyed)(struct certa_store *, int64_t *,
			    struct certa_err *);
	certa_rc	(*trust_set_list)(struct certa_store *, const char *,
			    const char *, struct certa_err *);
	certa_rc	(*trust_delete)(struct certa_store *, const char *,
			    struct certa_err *);
	certa_rc	(*trust_knock)(struct certa_store *,
			    struct certa_trust_rec *, bool *,
			    struct certa_err *);
	certa_rc	(*trust_crl_put)(struct certa_store *,
			    struct certa_trust_crl_rec *, struct certa_err *);
	certa_rc	(*trust_crl_each)(struct certa_store *,
			    certa_store_trust_crl_fn, void *,
			    struct certa_err *);
	certa_rc	(*trust_crl_delete)(struct certa_store *, int64_t,
			    struct certa_err *);
	certa_rc	(*trust_generation)(struct certa_store *, uint64_t *,
			    struct certa_err *);
	/* Tokens and the role map. */
	certa_rc	(*token_put)(struct certa_store *,
			    const struct certa_token_rec *, struct certa_err *);
	certa_rc	(*token_get)(struct certa_store *, const char *,
			    const char *, struct certa_token_rec *,
			    struct certa_err *);
	certa_rc	(*token_each)(struct certa_store *,
			    certa_store_token_fn, void *, struct certa_err *);
	certa_rc	(*token_revoke)(struct certa_store *, const char *,
			    int64_t, struct certa_err *);
	certa_rc	(*token_touch)(struct certa_store *, const char *,
			    int64_t, struct certa_err *);
	certa_rc	(*role_map_set)(struct certa_store *,
			    struct certa_role_map_rec *, struct certa_err *);
	certa_rc	(*role_map_get)(struct certa_store *, const char *,
			    const char *, struct certa_role_map_rec *,
			    struct certa_err *);
	certa_rc	(*role_map_delete)(struct certa_store *, const char *,
			    const char *, struct certa_err *);
	certa_rc	(*role_map_each)(struct certa_store *,
			    certa_store_role_map_fn, void *,
			    struct certa_err *);
	/* Lifecycle requests and approval policy. */
	certa_rc	(*request_put)(struct certa_store *,
			    struct certa_request_rec *, struct certa_err *);
	certa_rc	(*request_get)(struct certa_store *, int64_t,
			    struct certa_request_rec *, struct certa_err *);
	certa_rc	(*request_each)(struct certa_store *,
			    const struct certa_request_filter *,
			    certa_store_request_fn, void *,
			    struct certa_err *);
	certa_rc	(*request_transition)(struct certa_store *, int64_t,
			    const char *, const char *, const char *,
			    const char *, int64_t, int64_t,
			    struct certa_err *);
	certa_rc	(*org_set_approval)(struct certa_store *, int64_t,
			    bool, struct certa_err *);
	certa_rc	(*org_get_approval)(struct certa_store *, int64_t,
			    bool *, struct certa_err *);
	/* Expiry notifications. */
	certa_rc	(*notify_channel_put)(struct certa_store *,
			    struct certa_notify_channel_rec *,
			    struct certa_err *);
	certa_rc	(*notify_channel_delete)(struct certa_store *,
			    int64_t, struct certa_err *);
	certa_rc	(*notify_channel_each)(struct certa_store *,
			    certa_store_notify_channel_fn, void *,
			    struct certa_err *);
	certa_rc	(*notify_org_set)(struct certa_store *,
			    const struct certa_notify_org_rec *,
			    struct certa_err *);
	certa_rc	(*notify_org_each)(struct certa_store *,
			    certa_store_notify_org_fn, void *,
			    struct certa_err *);
	certa_rc	(*notify_cert_set)(struct certa_store *, int64_t,
			    bool, struct certa_err *);
	certa_rc	(*notify_cand_each)(struct certa_store *, int64_t,
			    int64_t, int64_t, size_t,
			    certa_store_notify_cand_fn, void *,
			    struct certa_err *);
	certa_rc	(*notice_claim)(struct certa_store *,
			    struct certa_notice_rec *, struct certa_err *);
	certa_rc	(*notice_due_each)(struct certa_store *, int64_t,
			    size_t, certa_store_notice_fn, void *,
			    struct certa_err *);
	certa_rc	(*notice_lease)(struct certa_store *, int64_t,
			    int64_t, int64_t, struct certa_err *);
	certa_rc	(*notice_record)(struct certa_store *,
			    struct certa_notify_delivery_rec *,
			    enum certa_notice_status, struct certa_err *);
	certa_rc	(*notify_delivery_each)(struct certa_store *, size_t,
			    certa_store_notify_delivery_fn, void *,
			    struct certa_err *);
	certa_rc	(*notify_cert_off_each)(struct certa_store *,
			    certa_store_notify_cert_off_fn, void *,
			    struct certa_err *);
	certa_rc	(*notice_each)(struct certa_store *,
			    certa_store_notice_fn, void *, struct certa_err *);
	/* Import with the record's own id (certa store migrate). */
	certa_rc	(*notify_channel_import)(struct certa_store *,
			    const struct certa_notify_channel_rec *,
			    struct certa_err *);
	certa_rc	(*notify_cert_off_import)(struct certa_store *,
			    const struct certa_notify_cert_off_rec *,
			    struct certa_err *);
	certa_rc	(*notice_import)(struct certa_store *,
			    const struct certa_notice_rec *,
			    struct certa_err *);
	certa_rc	(*notify_delivery_import)(struct certa_store *,
			    const struct certa_notify_delivery_rec *,
			    struct certa_err *);
	/* Cluster: nodes and leases. */
	certa_rc	(*node_put)(struct certa_store *,
			    const struct certa_node_rec *, struct certa_err *);
	certa_rc	(*node_each)(struct certa_store *,
			    certa_store_node_fn, void *, struct certa_err *);
	certa_rc	(*lease_take)(struct certa_store *, const char *,
			    const char *, int64_t, int64_t, bool *,
			    struct certa_err *);
	certa_rc	(*lease_get)(struct certa_store *, const char *,
			    char [40], int64_t *, struct certa_err *);
	certa_rc	(*crl_put)(struct certa_store *,
			    const struct certa_crl_rec *, bool *,
			    struct certa_err *);
	certa_rc	(*crl_get)(struct certa_store *, int64_t,
			    struct certa_crl_rec *, struct certa_err *);
	/* The change feed; both NULL for a backend without one. */
	certa_rc	(*watch)(struct certa_store *, certa_store_change_fn,
			    void *, struct certa_store_watch **,
			    struct certa_err *);
	certa_rc	(*trust_generation_fast)(struct certa_store *,
			    uint64_t *, struct certa_err *);
};

/*
 * Every backend's struct certa_store starts with this header, so store.c can
 * find the ops: struct certa_store { struct certa_store_base base; ... }.
 */
struct certa_store_base {
	const struct certa_store_ops	*ops;
};

/* Likewise every backend's struct certa_store_watch starts with this. */
struct certa_store_watch_base {
	void	(*unwatch)(struct certa_store_watch *);
};

extern const struct certa_store_ops	certa_store_sqlite_ops;
extern const struct certa_store_ops	certa_store_postgres_ops;

#endif
