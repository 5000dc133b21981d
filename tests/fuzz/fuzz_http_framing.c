/*
 * fuzz_http_framing.c -- the server's checks on a request's head before any
 * handler runs: framing (http_frame_check: Content-Length against
 * Transfer-Encoding, 431 for a cut header), strict UTF-8 in the path and
 * arguments, ?limit and ?cursor (request.c), the client address through
 * X-Forwarded-For (proxy.c) and the Origin of an upgrade (http.c). The
 * input is a request head as a client sends it; the few lines below split
 * it the way libwebsockets hands it over (headers by name, %-decoded path
 * and arguments). Besides not crashing: every verdict is one the API
 * documents, and a request let through has a sane declared length.
 */
#include "fuzz.h"
#include "foliod.h"
#include "utf8.h"

#include <ctype.h>
#include <strings.h>

/* lws' limit on one header, the path or one argument (HTTP_HEADER_MAX in http.c). */
#define FUZZ_HEADER_MAX 8192

/* What the head holds, as lws would give it to http.c. */
struct fuzz_head {
	char *path;
	struct query_arg *args;
	size_t nargs;
	char **lengths;          /* Content-Length values, NULL-terminated */
	size_t nlengths;
	const char *xff, *origin;
	bool te, cut;
};

/* s[0..n) %XX-decoded, cut as lws cuts it. Caller frees. */
static char *
fuzz_unescape(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), hex[3] = "";
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			hex[0] = s[i + 1], hex[1] = s[i + 2];
			out[o++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else
			out[o++] = s[i] == '+' ? ' ' : s[i];
	}
	out[o] = '\0';
	if (o >= FUZZ_HEADER_MAX)
		out[FUZZ_HEADER_MAX - 1] = '\0';
	return out;
}

static void
fuzz_head_target(struct fuzz_head *h, const char *line)
{
	const char *uri = strchr(line, ' '), *q, *end, *amp;
	char *arg, *eq;

	uri = uri ? uri + 1 : line;
	end = uri + strcspn(uri, " ");
	q = memchr(uri, '?', (size_t)(end - uri));
	h->path = fuzz_unescape(uri, (size_t)((q ? q : end) - uri));
	h->cut |= (size_t)((q ? q : end) - uri) >= FUZZ_HEADER_MAX;
	for (q = q ? q + 1 : end; q < end; q = amp + 1) {
		if ((amp = memchr(q, '&', (size_t)(end - q))) == NULL)
			amp = end;
		arg = fuzz_unescape(q, (size_t)(amp - q));
		h->cut |= (size_t)(amp - q) >= FUZZ_HEADER_MAX;
		h->args = xrealloc(h->args, (h->nargs + 1) * sizeof *h->args);
		eq = strchr(arg, '=');
		h->args[h->nargs].key = eq ? xstrndup(arg, (size_t)(eq - arg)) : xstrdup(arg);
		h->args[h->nargs].value = xstrdup(eq ? eq + 1 : "");
		h->nargs++;
		free(arg);
	}
}

static void
fuzz_head_header(struct fuzz_head *h, char *line)
{
	char *colon = strchr(line, ':'), *v;

	if (colon == NULL)
		return;
	*colon = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	h->cut |= strlen(v) >= FUZZ_HEADER_MAX;
	if (strcasecmp(line, "content-length") == 0) {
		h->lengths = xrealloc(h->lengths, (h->nlengths + 2) * sizeof *h->lengths);
		h->lengths[h->nlengths++] = xstrdup(v);
		h->lengths[h->nlengths] = NULL;
	} else if (strcasecmp(line, "transfer-encoding") == 0)
		h->te = true;
	else if (strcasecmp(line, "x-forwarded-for") == 0)
		h->xff = v;
	else if (strcasecmp(line, "origin") == 0)
		h->origin = v;
}

/* Splits text (changed in place) into the request line and headers. */
static void
fuzz_head_parse(struct fuzz_head *h, char *text)
{
	char *line = text, *nl;
	bool first = true;

	memset(h, 0, sizeof *h);
	for (; line; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (first)
			fuzz_head_target(h, line);
		else if (*line == '\0')
			break;
		else
			fuzz_head_header(h, line);
		first = false;
	}
}

/* The framing verdict, and what the API says of each. */
static void
fuzz_http_frame(struct fuzz_head *h)
{
	struct http_frame f = { 0 };
	size_t i;

	f.lengths = (const char *const *)h->lengths;
	f.transfer_encoding = h->te;
	f.header_cut = h->cut;
	f.bad_text = !utf8_valid(h->path, strlen(h->path));
	for (i = 0; i < h->nargs; i++)
		f.bad_text |= !utf8_valid(h->args[i].key, strlen(h->args[i].key)) ||
		    !utf8_valid(h->args[i].value, strlen(h->args[i].value));
	http_frame_check(&f);
	FUZZ_CHECK(f.status == 0 || f.status == 400 || f.status == 431);
	FUZZ_CHECK(f.status == 0 || (f.code != NULL && f.msg != NULL));
	FUZZ_CHECK((f.status == 431) == h->cut);
	if (f.status == 0) {
		FUZZ_CHECK(!f.bad_text && !(h->te && h->nlengths > 0));
		FUZZ_CHECK(f.declared >= 0 && f.declared <= 999999999999999L);
		FUZZ_CHECK(f.chunked == h->te);
		FUZZ_CHECK(h->nlengths > 0 || f.declared == 0);
		if (h->nlengths > 0)
			FUZZ_CHECK(f.declared == strtol(h->lengths[0], NULL, 10));
	}
	FUZZ_CHECK(!f.chunked || h->nlengths == 0);
}

/* ?limit and ?cursor as a list handler reads them. */
static void
fuzz_http_args(struct fuzz_head *h)
{
	struct request *req = xcalloc(1, sizeof *req);
	struct page_pos pp;
	int64_t n;

	req->args = h->args;
	req->nargs = h->nargs;
	req->path = h->path;
	if (req_page_keyset(req, &pp) == 0) {
		FUZZ_CHECK(req->status == 0);
		FUZZ_CHECK(pp.limit >= 1 && pp.limit <= 200 && pp.offset >= 0);
		FUZZ_CHECK(pp.key == NULL || (strlen(pp.key) < sizeof pp.keybuf && pp.after_id > 0));
	} else
		FUZZ_CHECK(req->status == 422);
	req->status = 0;
	if (req_arg_int(req, "since", 0, 0, INT64_MAX, &n) == 0)
		FUZZ_CHECK(n >= 0);
	/* The head's args and path stay the caller's. */
	req->args = NULL;
	req->nargs = 0;
	req->path = NULL;
	req_free(req);
}

static void
fuzz_http_peer(struct fuzz_head *h)
{
	char client[64];

	proxy_client("10.0.0.7", h->xff, client, sizeof client);
	FUZZ_CHECK(client[0] != '\0' && strlen(client) < sizeof client);
	FUZZ_CHECK(strcmp(client, "10.0.0.7") == 0 || (h->xff && utf8_valid(client, strlen(client))));
	proxy_client("192.0.2.1", h->xff, client, sizeof client);
	FUZZ_CHECK(strcmp(client, "192.0.2.1") == 0); /* not a trusted proxy */
	if (h->origin)
		http_origin_ok(h->origin);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	cfg.public_url = "https://folio.example:8443/app";
	cfg.allowed_origin = "https://a.example,http://b.example:8080,";
	if (proxy_configure("10.0.0.0/8, ::1, 2001:db8::/32") != 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	struct fuzz_head h;
	size_t i;

	fuzz_head_parse(&h, text);
	fuzz_http_frame(&h);
	fuzz_http_args(&h);
	fuzz_http_peer(&h);
	for (i = 0; i < h.nargs; i++) {
		free(h.args[i].key);
		free(h.args[i].value);
	}
	free(h.args);
	for (i = 0; i < h.nlengths; i++)
		free(h.lengths[i]);
	free(h.lengths);
	free(h.path);
	free(text);
	return 0;
}
