/*
 * http.c -- one synchronous HTTP request through libcurl, and reading the
 * API's error shape. The scripted subcommands call it directly; the
 * interactive client only from its worker thread (net.c), never from the
 * input loop. An https:// server's certificate is always verified: against
 * --ca FILE (or the option "ca") when given, else the system's CAs; there is
 * no switch to turn that off.
 */
#include "folio.h"
#include "json.h"
#include "mem.h"
#include "proto.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_MAX_REPLY (64u << 20)

/* Set once when the client quits, so a request in flight ends at once. */
static atomic_bool http_cancelled;
/* --ca FILE; set before any request. */
static char *http_ca;

void
http_set_ca(const char *path)
{
	free(http_ca);
	http_ca = xstrdup(path);
}

const char *
http_ca_file(void)
{
	const char *v;

	if (http_ca != NULL && *http_ca)
		return http_ca;
	v = options_get("ca");
	return *v ? v : NULL;
}

char *
http_untrusted(const char *server, const char *why)
{
	const char *ca = http_ca_file();

	if (ca != NULL)
		return xasprintf(_("%s: the server's certificate is not signed by the CA in %s (%s)"),
		    server, ca, why);
	return xasprintf(_("%s: the server's certificate is not trusted (%s); for a private CA "
			   "give its certificate with --ca FILE"), server, why);
}

/* Says why a transfer failed; TLS failures in the user's words. */
static void
http_failed(struct http_reply *r, const char *server, const char *url, CURLcode rc,
    const char *detail)
{
	const char *why = *detail ? detail : curl_easy_strerror(rc);
	char *msg = NULL;

	if (rc == CURLE_PEER_FAILED_VERIFICATION)
		msg = http_untrusted(server, why);
	else if (rc == CURLE_SSL_CACERT_BADFILE)
		msg = xasprintf(_("cannot read the CA certificates in %s (%s)"),
		    http_ca_file() ? http_ca_file() : "?", why);
	else if (rc == CURLE_SSL_CONNECT_ERROR)
		msg = xasprintf(_("%s: the TLS handshake failed (%s)"), server, why);
	if (msg != NULL)
		snprintf(r->err, sizeof r->err, "%s", msg);
	else
		snprintf(r->err, sizeof r->err, "%s: %s", url, curl_easy_strerror(rc));
	free(msg);
}

void
http_cancel_all(void)
{
	atomic_store(&http_cancelled, true);
}

static int
http_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	return atomic_load(&http_cancelled) ? 1 : 0;
}

static size_t
http_write(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->len + size * n > HTTP_MAX_REPLY)
		return 0; /* makes curl fail the transfer */
	buf_append(b, p, size * n);
	return size * n;
}

int
http_call(const char *server, const char *token, const char *method, const char *path,
    const char *body, struct http_reply *r)
{
	return http_call_raw(server, token, method, path, body, body ? strlen(body) : 0,
	    body ? "application/json; charset=utf-8" : NULL, r);
}

int
http_call_raw(const char *server, const char *token, const char *method, const char *path,
    const char *body, size_t len, const char *type, struct http_reply *r)
{
	struct curl_slist *hdrs = NULL;
	char *url, *auth = NULL, *ctype = NULL, detail[CURL_ERROR_SIZE] = "";
	const char *ca = http_ca_file();
	size_t slen = strlen(server);
	CURLcode rc;
	CURL *c;

	memset(r, 0, sizeof *r);
	while (slen > 0 && server[slen - 1] == '/')
		slen--;
	url = xasprintf("%.*s%s", (int)slen, server, path);
	c = curl_easy_init();
	if (c == NULL) {
		snprintf(r->err, sizeof r->err, "cannot start libcurl");
		free(url);
		return -1;
	}
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (type != NULL) {
		ctype = xasprintf("Content-Type: %s", type);
		hdrs = curl_slist_append(hdrs, ctype);
	}
	if (token != NULL) {
		auth = xasprintf("Authorization: Bearer %s", token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "folio/" FOLIO_VERSION);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, http_progress);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca != NULL) { /* only this CA: the system's list is not consulted */
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	}
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	else
		http_failed(r, server, url, rc, detail);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	free(auth);
	free(ctype);
	free(url);
	return rc == CURLE_OK ? 0 : -1;
}

void
http_reply_free(struct http_reply *r)
{
	buf_free(&r->body);
}

struct json_object *
http_reply_json(const struct http_reply *r)
{
	struct json_limits lim = { 64, 16u << 20 };
	char err[128];

	if (r->body.len == 0)
		return NULL;
	return json_parse(r->body.data, r->body.len, &lim, err, sizeof err);
}

char *
http_reply_reason(const struct http_reply *r)
{
	struct json_object *o, *e;
	const char *code = NULL, *msg = NULL;
	char *out;

	if (r->status == 0)
		return xstrdup(r->err[0] ? r->err : "no answer from the server");
	o = http_reply_json(r);
	if (json_get_object(o, "error", &e) == JSON_GET_OK) {
		json_get_string(e, "code", &code);
		json_get_string(e, "message", &msg);
	}
	if (msg != NULL)
		out = xasprintf("%s (%s, HTTP %ld)", msg, code ? code : "error", r->status);
	else
		out = xasprintf("the server answered HTTP %ld", r->status);
	json_object_put(o);
	return out;
}

char *
http_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0), *out;

	if (e == NULL)
		abort();
	out = xstrdup(e);
	curl_free(e);
	return out;
}
