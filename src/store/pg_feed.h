/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PostgreSQL change feed (pg_feed.c): one LISTEN connection and thread
 * per DSN and process, shared by every certa_store_watch on that DSN.
 * Used by postgres.c only.
 */
#ifndef CERTA_STORE_PG_FEED_H
#define CERTA_STORE_PG_FEED_H

#include <stdbool.h>
#include <stdint.h>

#include <certa/store.h>

/* The NOTIFY channel; the payload is the new trust generation, decimal. */
#define PG_FEED_CHANNEL	"certa_trust"

/* Start (or join) the feed of dsn; label names it in messages. */
certa_rc	pg_feed_watch(const char *dsn, const char *label,
		    certa_store_change_fn fn, void *arg,
		    struct certa_store_watch **out, struct certa_err *);
/*
 * The generation the feed of dsn last saw, when one runs and its LISTEN
 * is live; false otherwise (the caller reads the database).
 */
bool		pg_feed_generation(const char *dsn, uint64_t *out);
/* This process committed generation gen on dsn: a live feed moves to it. */
void		pg_feed_publish(const char *dsn, uint64_t gen);

#endif
