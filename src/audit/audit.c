/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HOW IT WORKS: record n stores prev_hash = hash(n-1) (empty for the
 * first) and hash = SHA-256 over "len:field" for seq, time, actor, action,
 * object, outcome, details and prev_hash.  Editing a field breaks that
 * record's hash; removing or reordering records breaks the next record's
 * prev_hash or the seq sequence.  `certa audit verify` walks the chain and
 * names the first record that does not fit.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "audit/audit.h"
#include "util/util.h"

static void
feed(EVP_MD_CTX *md, const char *s)
{
	char	len[24];
	size_t	n = s ? strlen(s) : 0;

	snprintf(len, sizeof(len), "%zu:", n);
	EVP_DigestUpdate(md, len, strlen(len));
	if (n > 0)
		EVP_DigestUpdate(md, s, n);
}

void
certa_audit_hash(const struct certa_audit_rec *r, char out[65])
{
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	unsigned char	 h[32];
	unsigned int	 n = 0;
	char		 num[24];

	out[0] = '\0';
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	snprintf(num, sizeof(num), "%" PRId64, r->seq);
	feed(md, num);
	snprintf(num, sizeof(num), "%" PRId64, r->time);
	feed(md, num);
	feed(md, r->actor);
	feed(md, r->action);
	feed(md, r->object);
	feed(md, r->outcome);
	feed(md, r->details);
	feed(md, r->prev_hash);
	if (EVP_DigestFinal_ex(md, h, &n) == 1)
		certa_hex(h, n, out);
out:
	EVP_MD_CTX_free(md);
}

certa_rc
certa_audit_append_chain(struct certa_store *st,
    struct certa_audit_chain *chain, const char *actor, const char *action,
    const char *object, const char *outcome, const char *details,
    struct certa_err *err)
{
	struct certa_audit_rec	 r;
	certa_rc		 rc = CERTA_OK;

	if (!chain->loaded) {
		CERTA_TRY(certa_store_audit_last(st, &chain->seq, chain->hash,
		    err));
		chain->loaded = true;
	}
	memset(&r, 0, sizeof(r));
	memcpy(r.prev_hash, chain->hash, sizeof(r.prev_hash));
	r.seq = chain->seq + 1;
	r.time = certa_now();
	r.actor = (char *)(actor ? actor : "unknown");
	r.action = (char *)action;
	r.object = (char *)object;
	r.outcome = (char *)outcome;
	r.details = (char *)details;
	certa_audit_hash(&r, r.hash);
	CERTA_TRY(certa_store_audit_append(st, &r, err));
	chain->seq = r.seq;
	memcpy(chain->hash, r.hash, sizeof(chain->hash));
out:
	return rc;
}

certa_rc
certa_audit_append(struct certa_store *st, const char *actor,
    const char *action, const char *object, const char *outcome,
    const char *details, struct certa_err *err)
{
	struct certa_audit_chain chain = { false, 0, "" };

	return certa_audit_append_chain(st, &chain, actor, action, object,
	    outcome, details, err);
}

struct walk {
	int64_t		 expect_seq;
	char		 prev[65];
	int64_t		 bad;
	int64_t		 count;
};

static certa_rc
walk_one(const struct certa_audit_rec *r, void *arg)
{
	struct walk	*w = arg;
	char		 h[65];

	w->count++;
	certa_audit_hash(r, h);
	if (r->seq != w->expect_seq || strcmp(r->prev_hash, w->prev) != 0 ||
	    strcmp(r->hash, h) != 0) {
		w->bad = r->seq != w->expect_seq && r->seq > w->expect_seq ?
		    w->expect_seq : r->seq;
		return CERTA_E_CONFLICT;	/* stop the walk */
	}
	memcpy(w->prev, r->hash, sizeof(w->prev));
	w->expect_seq++;
	return CERTA_OK;
}

certa_rc
certa_audit_check(struct certa_store *st, int64_t *bad_seq, int64_t *count,
    struct certa_err *err)
{
	struct walk	 w;
	certa_rc	 rc = CERTA_OK, wrc;

	memset(&w, 0, sizeof(w));
	w.expect_seq = 1;
	*bad_seq = 0;
	wrc = certa_store_audit_each(st, 0, walk_one, &w, err);
	if (wrc == CERTA_E_CONFLICT && w.bad != 0) {
		*bad_seq = w.bad;
		certa_err_clear(err);
	} else {
		CERTA_TRY(wrc);
	}
	*count = w.count;
out:
	return rc;
}
