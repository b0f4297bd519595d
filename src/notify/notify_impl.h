/* SPDX-License-Identifier: Apache-2.0 */
/* Inside src/notify: the default transport (send.c). */
#ifndef CERTA_NOTIFY_IMPL_H
#define CERTA_NOTIFY_IMPL_H

#include <certa/notify.h>

/*
 * Deliver m through libcurl: a webhook POST (kind "webhook") or a mail
 * (kind "smtp", to m->channel->target via m->smtp_url from m->smtp_from).
 * Fills *res; never blocks longer than the CERTA_NOTIFY_*_TIMEOUTs.
 * arg is unused (certa_notify_send_fn shape).
 */
void	certa_notify_send(const struct certa_notify_msg *m,
	    struct certa_notify_result *res, void *arg);

#endif
