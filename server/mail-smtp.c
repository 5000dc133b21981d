/*
 * mail-smtp.c -- one mail to one recipient over SMTP with libcurl: the
 * headers (RFC 2047 UTF-8 words, Message-ID, Date), a multipart/alternative
 * body (text/plain and text/html, quoted-printable), TLS (smtps://, or
 * STARTTLS as --smtp-tls asks) and optional AUTH. It classifies the outcome:
 * sent, retry later (no connection, 4xx) or failed for good (5xx).
 * It knows nothing of the outbox or the database; mail.c drives it.
 */
#include "foliod.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct mail_smtp {
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
};

/* Longest run of input bytes in one encoded word: 45 bytes are 60 base64 chars. */
#define WORD_BYTES 45

struct mail_smtp *
mail_smtp_create(void)
{
	struct mail_smtp *s = xcalloc(1, sizeof *s);

	if ((s->curl = curl_easy_init()) == NULL)
		abort(); /* only out of memory makes this fail */
	return s;
}

void
mail_smtp_free(struct mail_smtp *s)
{
	if (s == NULL)
		return;
	curl_easy_cleanup(s->curl);
	free(s);
}

bool
mail_smtp_address_ok(const char *s)
{
	const char *at = NULL, *p;

	if (s == NULL || *s == '\0' || strlen(s) > 254)
		return false;
	for (p = s; *p; p++) {
		/* Printable ASCII without what would end or split an address or a header. */
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("<>()[]\\,;:\"", *p))
			return false;
		if (*p == '@') {
			if (at)
				return false;
			at = p;
		}
	}
	return at != NULL && at != s && at[1] != '\0';
}

/* A copy of s with control characters (CR, LF, TAB ...) turned into spaces. Caller frees. */
static char *
mail_smtp_clean(const char *s)
{
	char *c = xstrdup(s ? s : ""), *p;

	for (p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return c;
}

static void
mail_smtp_base64(struct buf *b, const unsigned char *in, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;
	unsigned v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		buf_putc(b, tab[v >> 18 & 63]);
		buf_putc(b, tab[v >> 12 & 63]);
		buf_putc(b, tab[v >> 6 & 63]);
		buf_putc(b, tab[v & 63]);
	}
	if (i < n) {
		v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0);
		buf_putc(b, tab[v >> 18 & 63]);
		buf_putc(b, tab[v >> 12 & 63]);
		buf_putc(b, i + 1 < n ? tab[v >> 6 & 63] : '=');
		buf_putc(b, '=');
	}
}

/* True when s can stand in a header as it is: printable ASCII, and for a phrase no specials. */
static bool
mail_smtp_plain(const char *s, bool phrase)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ||
		    (phrase && strchr("()<>[]:;@\\,.\"=?", *s)))
			return false;
	return true;
}

char *
mail_smtp_encode_words(const char *s)
{
	struct buf b = BUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), n;

	/* Words of at most WORD_BYTES input bytes, cut between UTF-8 characters, folded. */
	while (len > 0) {
		n = len < WORD_BYTES ? len : WORD_BYTES;
		while (n < len && n > 1 && (p[n] & 0xc0) == 0x80)
			n--;
		if (b.len)
			buf_puts(&b, "\r\n ");
		buf_puts(&b, "=?UTF-8?B?");
		mail_smtp_base64(&b, p, n);
		buf_puts(&b, "?=");
		p += n;
		len -= n;
	}
	return buf_detach(&b);
}

/* "Name <addr>" with the name encoded when it must be. Caller frees. */
static char *
mail_smtp_mailbox(const char *name, const char *addr)
{
	char *clean = mail_smtp_clean(name), *enc, *out;

	if (*clean == '\0')
		out = xasprintf("<%s>", addr);
	else if (mail_smtp_plain(clean, true))
		out = xasprintf("%s <%s>", clean, addr);
	else {
		enc = mail_smtp_encode_words(clean);
		out = xasprintf("%s <%s>", enc, addr);
		free(enc);
	}
	free(clean);
	return out;
}

static struct curl_slist *
mail_smtp_header(struct curl_slist *list, const char *name, const char *value)
{
	char *line = xasprintf("%s: %s", name, value);
	struct curl_slist *l = curl_slist_append(list, line);

	free(line);
	if (l == NULL)
		abort(); /* out of memory */
	return l;
}

/* The header lines of m. Caller frees with curl_slist_free_all. */
static struct curl_slist *
mail_smtp_headers(const struct mail_message *m)
{
	struct curl_slist *h = NULL;
	char date[64], *v, *clean;
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	h = mail_smtp_header(h, "Date", date);
	v = mail_smtp_mailbox(m->from_name, cfg.mail_from);
	h = mail_smtp_header(h, "From", v);
	free(v);
	v = mail_smtp_mailbox(m->to_name, m->to_email);
	h = mail_smtp_header(h, "To", v);
	free(v);
	clean = mail_smtp_clean(m->subject);
	v = mail_smtp_plain(clean, false) && strlen(clean) < 900 ? xstrdup(clean) :
								   mail_smtp_encode_words(clean);
	h = mail_smtp_header(h, "Subject", v);
	free(v);
	free(clean);
	h = mail_smtp_header(h, "Message-ID", m->message_id);
	h = mail_smtp_header(h, "Auto-Submitted", "auto-generated");
	return h;
}

/*
 * s with every line ending made CRLF: the quoted-printable encoder keeps CRLF
 * as a line break but encodes a bare LF as =0A. Caller frees.
 */
static char *
mail_smtp_crlf(const char *s)
{
	struct buf b = BUF_INIT;

	for (; *s; s++) {
		if (*s == '\r' && s[1] == '\n')
			continue; /* the LF writes the pair */
		if (*s == '\n' || *s == '\r')
			buf_puts(&b, "\r\n");
		else
			buf_putc(&b, *s);
	}
	return buf_detach(&b);
}

/* multipart/mixed (libcurl's top level) holding one multipart/alternative part. */
static curl_mime *
mail_smtp_body(CURL *curl, const struct mail_message *m)
{
	curl_mime *mime = curl_mime_init(curl), *alt = curl_mime_init(curl);
	curl_mimepart *part;
	struct curl_slist *inline_hdr;
	char *text = mail_smtp_crlf(m->text), *html = mail_smtp_crlf(m->html);

	/* curl_mime_data copies the data. */
	part = curl_mime_addpart(alt);
	curl_mime_data(part, text, CURL_ZERO_TERMINATED);
	curl_mime_type(part, "text/plain; charset=utf-8");
	curl_mime_encoder(part, "quoted-printable");
	part = curl_mime_addpart(alt);
	curl_mime_data(part, html, CURL_ZERO_TERMINATED);
	curl_mime_type(part, "text/html; charset=utf-8");
	curl_mime_encoder(part, "quoted-printable");

	part = curl_mime_addpart(mime);
	curl_mime_subparts(part, alt);
	curl_mime_type(part, "multipart/alternative");
	inline_hdr = curl_slist_append(NULL, "Content-Disposition: inline");
	curl_mime_headers(part, inline_hdr, 1);
	free(text);
	free(html);
	return mime;
}

/* While the server stops, a mail that has not started its upload gives up (it stays queued). */
static int
mail_smtp_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	(void)clientp, (void)dltotal, (void)dlnow, (void)ultotal;
	return http_stopping && ulnow == 0;
}

static void
mail_smtp_options(struct mail_smtp *s, struct curl_slist *rcpt)
{
	CURL *c = s->curl;
	bool implicit = strncmp(cfg.smtp_url, "smtps:", 6) == 0;
	bool auth = cfg.smtp_user && *cfg.smtp_user;
	long use_ssl = CURLUSESSL_NONE;

	/* STARTTLS: "starttls" demands it; "auto" demands it to log in, else uses it if offered. */
	if (!implicit && strcmp(cfg.smtp_tls, "starttls") == 0)
		use_ssl = CURLUSESSL_ALL;
	else if (!implicit && strcmp(cfg.smtp_tls, "auto") == 0)
		use_ssl = auth ? CURLUSESSL_ALL : CURLUSESSL_TRY;
	curl_easy_setopt(c, CURLOPT_URL, cfg.smtp_url);
	curl_easy_setopt(c, CURLOPT_USE_SSL, use_ssl);
	if (auth) {
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg.smtp_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, cfg.smtp_password ? cfg.smtp_password : "");
	}
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, cfg.mail_from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, mail_smtp_progress);
}

enum mail_result
mail_smtp_send(struct mail_smtp *s, const struct mail_message *m, char *err, size_t errlen)
{
	struct curl_slist *headers, *rcpt;
	curl_mime *mime;
	CURLcode rc;
	long code = 0;
	enum mail_result r;

	if (!mail_smtp_address_ok(m->to_email)) {
		snprintf(err, errlen, "not a deliverable address");
		return MAIL_FAILED;
	}
	if (!mail_smtp_address_ok(cfg.mail_from)) {
		snprintf(err, errlen, "mail-from is not a valid address");
		return MAIL_RETRY; /* the configuration's fault, not this mail's */
	}
	rcpt = curl_slist_append(NULL, m->to_email);
	headers = mail_smtp_headers(m);
	/* The handle is reset but kept, so its open connection serves the next mail too. */
	curl_easy_reset(s->curl);
	s->errbuf[0] = '\0';
	mail_smtp_options(s, rcpt);
	mime = mail_smtp_body(s->curl, m);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(s->curl, CURLOPT_MIMEPOST, mime);
	rc = curl_easy_perform(s->curl);
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK)
		r = MAIL_SENT;
	else if (code >= 500 && code < 600 && rc != CURLE_LOGIN_DENIED)
		r = MAIL_FAILED; /* the server refused this mail for good */
	else
		r = MAIL_RETRY;  /* no connection, a timeout, 4xx, or our login was refused */
	if (rc != CURLE_OK)
		snprintf(err, errlen, "%s (SMTP %ld)",
		    s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc), code);
	curl_easy_setopt(s->curl, CURLOPT_MIMEPOST, NULL);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_mime_free(mime);
	curl_slist_free_all(headers);
	curl_slist_free_all(rcpt);
	return r;
}

int
mail_smtp_probe(char *err, size_t errlen)
{
	struct mail_smtp *s = mail_smtp_create();
	CURLcode rc;

	/* Connect, greeting, EHLO, STARTTLS and login as configured; then stop before a mail. */
	mail_smtp_options(s, NULL);
	curl_easy_setopt(s->curl, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT, 15L);
	s->errbuf[0] = '\0';
	rc = curl_easy_perform(s->curl);
	if (rc != CURLE_OK)
		snprintf(err, errlen, "%s", s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
	mail_smtp_free(s);
	return rc == CURLE_OK ? 0 : -1;
}
