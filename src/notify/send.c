/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The default notification transport, on libcurl: webhooks (JSON POST
 * signed with HMAC-SHA256) and mail over SMTP.  One easy handle per
 * delivery, short timeouts, no redirects, only the expected protocols.
 * The channel secret is used as the HMAC key and nowhere else: it is
 * never in a URL, a header, a log line or an error message.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "notify/notify_impl.h"
#include "util/util.h"

#define SEND_MAX_MAIL	(64 * 1024)

static pthread_once_t	 curl_once = PTHREAD_ONCE_INIT;
static CURLcode		 curl_init_rc = CURLE_FAILED_INIT;

static void
curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Discard response bodies (we only want the status). */
static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* The options every transfer shares. */
static bool
common_opts(CURL *c, const char *url, const char *protocols, char *ebuf)
{
	return curl_easy_setopt(c, CURLOPT_URL, url) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols) ==
	    CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
	    (long)CERTA_NOTIFY_CONNECT_TIMEOUT) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)CERTA_NOTIFY_TIMEOUT) ==
	    CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf) == CURLE_OK;
}

static void
fail(struct certa_notify_result *res, const char *msg)
{
	res->ok = false;
	snprintf(res->error, sizeof(res->error), "%s", msg);
}

/*
 * Run the transfer; res->code is the last HTTP status or SMTP reply.
 * false (with curl's error text in res) when the transfer failed.
 */
static bool
perform(CURL *c, struct certa_notify_result *res, const char *ebuf,
    long *code)
{
	CURLcode	 cc = curl_easy_perform(c);

	*code = 0;
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
	res->code = (int)*code;
	if (cc == CURLE_OK)
		return true;
	fail(res, ebuf[0] != '\0' ? ebuf : curl_easy_strerror(cc));
	return false;
}

/* "sha256=" + hex HMAC-SHA256(key, body). */
static bool
signature(const char *key, const char *body, char out[7 + 65])
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	size_t		 len = 0;

	if (key == NULL || EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key,
	    strlen(key), (const unsigned char *)body, strlen(body), mac,
	    sizeof(mac), &len) == NULL || len != 32)
		return false;
	memcpy(out, "sha256=", 7);
	certa_hex(mac, len, out + 7);
	return true;
}

static void
send_webhook(const struct certa_notify_msg *m,
    struct certa_notify_result *res)
{
	CURL			*c = NULL;
	struct curl_slist	*h = NULL, *t;
	char			 sig[7 + 65], hdr[128], dlv[64];
	char			 ebuf[CURL_ERROR_SIZE];
	long			 code = 0;
	bool			 ok = true;
	size_t			 i;
	const char		*lines[4];

	ebuf[0] = '\0';
	if (!signature(m->channel->secret, m->json, sig)) {
		fail(res, "cannot sign the body (no secret?)");
		goto out;
	}
	snprintf(hdr, sizeof(hdr), "X-Certa-Signature: %s", sig);
	if (m->delivery_id != 0)
		snprintf(dlv, sizeof(dlv), "X-Certa-Delivery: %lld",
		    (long long)m->delivery_id);
	else
		snprintf(dlv, sizeof(dlv), "X-Certa-Delivery: test");
	lines[0] = "Content-Type: application/json";
	lines[1] = hdr;
	lines[2] = dlv;
	lines[3] = "Expect:";		/* no 100-continue round trip */
	for (i = 0; i < 4 && ok; i++) {
		ok = (t = curl_slist_append(h, lines[i])) != NULL;
		h = ok ? t : h;
	}
	if (!ok || (c = curl_easy_init()) == NULL) {
		fail(res, "out of memory");
		goto out;
	}
	if (!common_opts(c, m->channel->target, "http,https", ebuf) ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDS, m->json) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
	    (long)strlen(m->json)) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "certa/" CERTA_VERSION) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard) != CURLE_OK) {
		fail(res, "libcurl refused an option");
		goto out;
	}
	if (perform(c, res, ebuf, &code)) {
		res->ok = code >= 200 && code <= 299;
		if (!res->ok)
			snprintf(res->error, sizeof(res->error), "HTTP status "
			    "%ld", code);
	}
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
}

/* The mail being uploaded. */
struct upload {
	const char	*p;
	size_t		 left;
};

static size_t
read_mail(char *buf, size_t size, size_t n, void *arg)
{
	struct upload	*u = arg;
	size_t		 k = size * n < u->left ? size * n : u->left;

	memcpy(buf, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

/* RFC 5322 §3.3 date, §3.6.4 Message-ID; CRLF line ends. */
static int
format_mail(char *out, size_t len, const struct certa_notify_msg *m)
{
	struct tm	 tm;
	time_t		 now = time(NULL);
	char		 date[64];
	const char	*dom = strchr(m->smtp_from, '@');

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	return snprintf(out, len, "Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\n"
	    "Subject: %s\r\nMessage-ID: <certa.%lld.%lld@%s>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "X-Certa-Delivery: %lld\r\n\r\n%s", date, m->smtp_from,
	    m->channel->target, m->subject, (long long)m->delivery_id,
	    (long long)now, dom != NULL ? dom + 1 : "certa.invalid",
	    (long long)m->delivery_id, m->text);
}

static void
send_mail(const struct certa_notify_msg *m, struct certa_notify_result *res)
{
	CURL			*c = NULL;
	struct curl_slist	*rcpt = NULL;
	struct upload		 u;
	char			*mail = NULL, addr[2100];
	char			 ebuf[CURL_ERROR_SIZE];
	long			 code = 0;
	int			 len;

	ebuf[0] = '\0';
	if (m->smtp_url == NULL || m->smtp_from == NULL) {
		fail(res, "no SMTP server: set it with 'certa notify "
		    "smtp --url URL --from ADDRESS'");
		goto out;
	}
	if ((mail = malloc(SEND_MAX_MAIL)) == NULL) {
		fail(res, "out of memory");
		goto out;
	}
	len = format_mail(mail, SEND_MAX_MAIL, m);
	if (len < 0 || len >= SEND_MAX_MAIL) {
		fail(res, "mail too large");
		goto out;
	}
	u.p = mail;
	u.left = (size_t)len;
	snprintf(addr, sizeof(addr), "<%s>", m->channel->target);
	if ((rcpt = curl_slist_append(NULL, addr)) == NULL ||
	    (c = curl_easy_init()) == NULL) {
		fail(res, "out of memory");
		goto out;
	}
	snprintf(addr, sizeof(addr), "<%s>", m->smtp_from);
	/* smtp://: STARTTLS when the server offers it; smtps://: TLS. */
	if (!common_opts(c, m->smtp_url, "smtp,smtps", ebuf) ||
	    curl_easy_setopt(c, CURLOPT_MAIL_FROM, addr) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_mail) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_READDATA, &u) != CURLE_OK) {
		fail(res, "libcurl refused an option");
		goto out;
	}
	res->ok = perform(c, res, ebuf, &code);
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(rcpt);
	free(mail);
}

void
certa_notify_send(const struct certa_notify_msg *m,
    struct certa_notify_result *res, void *arg)
{
	(void)arg;
	memset(res, 0, sizeof(*res));
	(void)pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		fail(res, "libcurl did not initialise");
	else if (strcmp(m->channel->kind, "webhook") == 0)
		send_webhook(m, res);
	else if (strcmp(m->channel->kind, "smtp") == 0)
		send_mail(m, res);
	else
		fail(res, "unknown channel kind");
}
