/*
 * http.c -- the libwebsockets side of HTTP: gather a request (headers, query,
 * body under a size limit), hand it to the pool as a job, write the reply
 * from the WRITEABLE callback, and log one line per request.
 * It knows nothing about routes beyond route_match() and nothing about SQL.
 */
#include "foliod.h"
#include "utf8.h"

#include <libwebsockets.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A declared body larger than this is answered at once and the connection closed. */
#define HTTP_DISCARD_MAX (64L * 1024 * 1024)
/*
 * Header limits. lws keeps every header of a request in one buffer of
 * HTTP_HEADER_SPACE bytes and truncates a known header (or the path, or one
 * query argument) at HTTP_HEADER_MAX, which is how we see it and answer 431.
 * Past the whole buffer lws hangs up by itself: see http_serve().
 */
#define HTTP_HEADER_MAX 8192
#define HTTP_HEADER_SPACE 32768
/* A body may start slowly: its rate is judged after this many seconds. */
#define HTTP_BODY_GRACE_S 5
/* A streamed upload's socket pauses while this many bytes wait for the database. */
#define HTTP_STREAM_QUEUE (1024 * 1024)

struct http_pss {
	struct request *req;
	struct lws *wsi;
	bool dispatched;
	bool in_pool;
	/* A refusal decided before the route runs (framing, text, a slow body). */
	int refuse_status;
	const char *refuse_code, *refuse_msg;
	/* The body's progress, checked every second while it arrives. */
	lws_sorted_usec_list_t body_sul;
	double body_started;
	size_t body_received;
	/* A streamed upload (req->upload): the route runs while its body arrives. */
	bool streaming;
	bool paused;                   /* on http_paused: its socket waits for the queue to drain */
	struct http_pss *paused_next;
	struct http_multipart *multipart; /* a multipart upload's parser (http-multipart.c) */
};

/* The connections whose upload socket is paused (loop only). */
static struct http_pss *http_paused;
static void http_paused_remove(struct http_pss *pss);

/* Added by lws to every answer of the main vhost, its own error pages included. */
static const struct lws_protocol_vhost_options http_nosniff = {
	NULL, NULL, "x-content-type-options:", "nosniff"
};
/*
 * The same over TLS (--tls-cert): browsers keep to https:// for a year. Never
 * on plain HTTP, where it means nothing; behind a TLS-terminating proxy the
 * proxy sends it (docs/nginx/folio.conf), as foliod cannot know the scheme.
 */
static const struct lws_protocol_vhost_options http_hsts = {
	&http_nosniff, NULL, "strict-transport-security:", "max-age=31536000"
};

volatile int http_stopping;
static volatile sig_atomic_t http_reload; /* SIGHUP: read the certificate again */
static bool http_tls_failed;              /* the vhost's certificate could not be installed */
static int http_inflight;

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum http_method
http_method_of(struct lws *wsi)
{
	static const struct {
		enum lws_token_indexes tok;
		enum http_method m;
	} map[] = {
		{ WSI_TOKEN_GET_URI, M_GET }, { WSI_TOKEN_POST_URI, M_POST },
		{ WSI_TOKEN_PATCH_URI, M_PATCH }, { WSI_TOKEN_PUT_URI, M_PUT },
		{ WSI_TOKEN_DELETE_URI, M_DELETE }, { WSI_TOKEN_OPTIONS_URI, M_OPTIONS },
	};
	size_t i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (lws_hdr_total_length(wsi, map[i].tok) > 0)
			return map[i].m;
	return M_OTHER;
}

/* A copy of a header, or NULL when absent. Caller frees. */
static char *
http_header(struct lws *wsi, enum lws_token_indexes tok)
{
	int n = lws_hdr_total_length(wsi, tok);
	char *s;

	if (n <= 0)
		return NULL;
	s = xmalloc((size_t)n + 1);
	if (lws_hdr_copy(wsi, s, n + 1, tok) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* Reads the query arguments. Returns -1 when one is not strict UTF-8 or holds NUL. */
static int
http_parse_args(struct request *req, struct lws *wsi)
{
	char frag[2048], *eq;
	int idx, n, rc = 0;

	for (idx = 0; (n = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS,
			   idx)) > 0; idx++) {
		if (!utf8_valid(frag, (size_t)n)) {
			rc = -1;
			continue;
		}
		req->args = xrealloc(req->args, (req->nargs + 1) * sizeof *req->args);
		eq = strchr(frag, '=');
		req->args[req->nargs].key = eq ? xstrndup(frag, (size_t)(eq - frag)) : xstrdup(frag);
		req->args[req->nargs].value = xstrdup(eq ? eq + 1 : "");
		req->nargs++;
	}
	return rc;
}

/* A request from its headers; *bad_text when its path or arguments are not strict UTF-8. */
static struct request *
http_request_new(struct lws *wsi, const char *uri, bool *bad_text)
{
	struct request *req = xcalloc(1, sizeof *req);
	char *auth, *xff;
	const char *tok;

	req->wsi = wsi;
	req->started = now_mono();
	req->method = http_method_of(wsi);
	req->path = xstrdup(uri ? uri : "/");
	auth_random_hex(req->request_id, 8);
	lws_get_peer_simple(wsi, req->peer, sizeof req->peer);
	xff = proxy_trusted(req->peer) ? http_header(wsi, WSI_TOKEN_X_FORWARDED_FOR) : NULL;
	proxy_client(req->peer, xff, req->client, sizeof req->client);
	free(xff);
	*bad_text = http_parse_args(req, wsi) != 0 || !utf8_valid(req->path, strlen(req->path));
	req->content_type = http_header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
	req->range = http_header(wsi, WSI_TOKEN_HTTP_RANGE);
	req->if_none_match = http_header(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH);
	/* Kept with a session for the owner's list: strict UTF-8, at most 256 bytes, else none. */
	req->user_agent = http_header(wsi, WSI_TOKEN_HTTP_USER_AGENT);
	if (req->user_agent && (strlen(req->user_agent) > 256 ||
	    !utf8_valid(req->user_agent, strlen(req->user_agent)))) {
		free(req->user_agent);
		req->user_agent = NULL;
	}
	auth = http_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
	if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
		req->authorization = xstrdup(auth + 7);
	else if ((tok = req_arg(req, "access_token")) != NULL)
		req->authorization = xstrdup(tok);
	free(auth);
	return req;
}

static void
http_log(struct request *req)
{
	struct json_object *o;
	char when[40], ms[32];
	time_t t = time(NULL);
	struct tm tm;

	if (!log_enabled(LOG_INFO)) /* --log-level warn or error: no request lines */
		return;
	o = json_object_new_object();
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(o, "ts", json_object_new_string(when));
	json_object_object_add(o, "level", json_object_new_string("info"));
	json_object_object_add(o, "msg", json_object_new_string("request"));
	json_object_object_add(o, "method", json_object_new_string(method_name(req->method)));
	json_object_object_add(o, "path", json_object_new_string(req->path));
	json_object_object_add(o, "status", json_object_new_int(req->status));
	snprintf(ms, sizeof ms, "%.2f", (now_mono() - req->started) * 1e3);
	json_object_object_add(o, "duration_ms", json_object_new_double_s(strtod(ms, NULL), ms));
	json_object_object_add(o, "request_id", json_object_new_string(req->request_id));
	json_object_object_add(o, "client", json_object_new_string(req->client));
	json_object_object_add(o, "peer", json_object_new_string(req->peer));
	if (req->user.id)
		json_object_object_add(o, "user_id", json_object_new_int64(req->user.id));
	if (req->route)
		json_object_object_add(o, "statements", json_object_new_int(req->statements));
	if (req->batch > 0)
		json_object_object_add(o, "batch", json_object_new_int(req->batch));
	log_json_line(json_text(o));
	json_object_put(o);
}

/* Runs on the loop when a pool thread has finished a request. */
static void
http_job_done(struct job *job)
{
	struct request *req = (struct request *)job;
	struct http_pss *pss;

	if (req->wsi == NULL) { /* the client went away meanwhile */
		http_inflight--;
		req_free(req);
		return;
	}
	pss = lws_wsi_user(req->wsi);
	pss->in_pool = false;
	/* A streamed upload answered before its body was all read: hang up after the answer. */
	if (req->upload && !stream_ended(req->upload))
		req->close_after = true;
	if (req->status == 0 && req->parked) { /* it answers later, from the loop */
		req->parked(req, true);
		return;
	}
	lws_callback_on_writable(req->wsi);
}

static void
http_dispatch(struct lws *wsi, struct http_pss *pss)
{
	struct request *req = pss->req;
	int status;

	if (pss->dispatched)
		return;
	pss->dispatched = true;
	http_inflight++;
	lws_sul_cancel(&pss->body_sul);
	if (pss->refuse_status) {
		req->close_after = true;
		reply_error(req, pss->refuse_status, pss->refuse_code, "%s", pss->refuse_msg);
	} else if (req->chunked) {
		reply_error(req, 411, "length_required", "send the body with a Content-Length");
	} else if (req->body_too_large) {
		reply_error(req, 413, "too_large", "the body is larger than %ld bytes", req->body_limit);
	} else if ((req->route = route_match(req->method, req->path, req->ids, &req->nids,
			&status)) == NULL) {
		if (status == 405)
			reply_error(req, 405, "method_not_allowed", "%s is not allowed on %s",
			    method_name(req->method), req->path);
		else
			reply_error(req, 404, "not_found", "no such resource");
	} else if (http_stopping) {
		reply_error(req, 503, "shutting_down", "the server is shutting down");
	} else {
		req->job.run = route_run;
		req->job.done = http_job_done;
		pss->in_pool = true;
		pool_submit(&req->job);
		return;
	}
	lws_callback_on_writable(wsi);
}

/*
 * The status line and the headers every answer has. An answer after which the
 * connection closes says so (a 413 leaves the body unread); a 401 names the
 * scheme. X-Content-Type-Options comes from the vhost (http_nosniff).
 * Returns non-zero when the headers do not fit.
 */
int
http_write_chunk(struct lws *wsi, unsigned char *start, size_t room, const struct buf *out,
    size_t *sent)
{
	size_t n = out->len - *sent;
	bool last;

	if (n > room)
		n = room;
	last = *sent + n == out->len;
	memcpy(start, out->data + *sent, n);
	if (lws_write(wsi, start, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
		return -1;
	*sent += n;
	if (!last) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	return 1;
}

static int
http_write_status(struct lws *wsi, struct request *req, unsigned char **p, unsigned char *end)
{
	const char *type = "application/json; charset=utf-8";
	lws_filepos_t len = req->out.len;
	int i;

	if (req->download) { /* a document's bytes, or none (304, 416) */
		type = req->download->content_type;
		len = (lws_filepos_t)req->download->length;
	}
	if (len == 0)
		type = NULL;
	if (req->body_too_large || req->chunked)
		req->close_after = true;
	if (!req->close_after) {
		if (lws_add_http_common_headers(wsi, (unsigned)req->status, type, len, p, end))
			return 1;
	} else if (lws_add_http_header_status(wsi, (unsigned)req->status, p, end) ||
	    (type && lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
		(const unsigned char *)type, (int)strlen(type), p, end)) ||
	    lws_add_http_header_content_length(wsi, len, p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5, p,
		end))
		return 1;
	for (i = 0; i < req->nxhdr; i++)
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)req->xhdr[i].name,
			(const unsigned char *)req->xhdr[i].value, (int)strlen(req->xhdr[i].value), p, end))
			return 1;
	if (req->status == 401 && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"www-authenticate:", (const unsigned char *)"Bearer", 6, p, end))
		return 1;
	return 0;
}

/*
 * The next part of a download: what the pool read into out, and when that is
 * sent, a job for the next chunk (the loop never reads the database). Returns
 * 1 when the body is complete, 0 when more is to come, -1 to hang up.
 */
static int
http_write_download(struct lws *wsi, struct http_pss *pss, unsigned char *start, size_t room)
{
	struct request *req = pss->req;
	struct download *d = req->download;
	size_t n;
	bool last;

	if (req->sent < req->out.len) {
		n = req->out.len - req->sent;
		if (n > room)
			n = room;
		last = d->written + (int64_t)n == d->length;
		memcpy(start, req->out.data + req->sent, n);
		if (lws_write(wsi, start, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
			return -1;
		req->sent += n;
		d->written += (int64_t)n;
		if (last)
			return 1;
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (d->failed || d->next >= d->end)
		return -1; /* the document changed or vanished under us: the length cannot be kept */
	buf_reset(&req->out);
	req->sent = 0;
	req->job.run = documents_chunk_run;
	req->job.done = http_job_done;
	pss->in_pool = true;
	pool_submit(&req->job);
	return 0;
}

/* Writes the reply: headers first, then the body in chunks. Returns -1 to close. */
static int
http_write(struct lws *wsi, struct http_pss *pss)
{
	struct request *req = pss->req;
	unsigned char buf[LWS_PRE + 16384], *start = buf + LWS_PRE, *p = start,
					       *end = buf + sizeof buf - 1;
	bool last;
	int w;

	if (req == NULL || pss->in_pool || !pss->dispatched || req->status == 0)
		return 0;
	if (!req->headers_sent) {
		if (http_write_status(wsi, req, &p, end) ||
		    lws_add_http_header_by_name(wsi, (const unsigned char *)"x-request-id:",
			(const unsigned char *)req->request_id, (int)strlen(req->request_id), &p, end) ||
		    (req->retry_after[0] &&
			lws_add_http_header_by_name(wsi, (const unsigned char *)"retry-after:",
			    (const unsigned char *)req->retry_after, (int)strlen(req->retry_after), &p,
			    end)) ||
		    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
			(const unsigned char *)(req->download ? "private, no-cache" : "no-store"),
			req->download ? 17 : 8, &p, end) ||
		    lws_finalize_write_http_header(wsi, start, &p, end))
			return -1;
		req->headers_sent = true;
		if (req->download ? req->download->length > 0 : req->out.len > 0) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	} else if (req->download) {
		if ((w = http_write_download(wsi, pss, start, sizeof buf - LWS_PRE - 1)) <= 0)
			return w;
	} else if ((w = http_write_chunk(wsi, start, sizeof buf - LWS_PRE - 1, &req->out,
		       &req->sent)) <= 0) {
		return w;
	}
	/* Done: count, log, free, and keep the connection unless the body was left unread. */
	metrics_http(req->route, req->status, now_mono() - req->started);
	http_log(req);
	last = req->body_too_large || req->chunked || req->close_after;
	if (pss->paused) { /* answered before the loop resumed it */
		http_paused_remove(pss);
		lws_rx_flow_control(wsi, 1);
	}
	http_multipart_free(pss->multipart);
	pss->multipart = NULL;
	http_inflight--;
	req_free(req);
	pss->req = NULL;
	pss->dispatched = false;
	if (last)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static void
http_refuse(struct http_pss *pss, int status, const char *code, const char *msg)
{
	if (pss->refuse_status)
		return;
	pss->refuse_status = status;
	pss->refuse_code = code;
	pss->refuse_msg = msg;
}

/* The first refusal of a frame stands, as with http_refuse(). */
static void
http_frame_refuse(struct http_frame *f, int status, const char *code, const char *msg)
{
	if (f->status)
		return;
	f->status = status;
	f->code = code;
	f->msg = msg;
}

/* The Content-Length headers' values into *out (NULL-terminated). Caller frees each and *out. */
static void
http_content_lengths(struct lws *wsi, char ***out)
{
	char **v = NULL;
	int idx, n;

	for (idx = 0; (n = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, idx)) > 0;
	     idx++) {
		v = xrealloc(v, (size_t)(idx + 2) * sizeof *v);
		v[idx] = xmalloc((size_t)n + 1);
		if (lws_hdr_copy_fragment(wsi, v[idx], n + 1, WSI_TOKEN_HTTP_CONTENT_LENGTH, idx) < 0)
			v[idx][0] = '\0'; /* refused as no number */
		v[idx + 1] = NULL;
	}
	*out = v;
}

/* A Content-Length value without the blanks around it, if it is 1 to 15 digits; else NULL. */
static const char *
http_length_digits(const char *v, size_t *n)
{
	while (*v == ' ' || *v == '\t')
		v++;
	for (*n = strlen(v); *n > 0 && (v[*n - 1] == ' ' || v[*n - 1] == '\t'); (*n)--)
		;
	if (*n == 0 || *n > 15 || strspn(v, "0123456789") < *n)
		return NULL;
	return v;
}

void
http_frame_check(struct http_frame *f)
{
	const char *d, *first = NULL;
	size_t i, n, firstn = 0;
	char num[16];

	f->status = 0;
	f->declared = 0;
	f->chunked = false;
	if (f->header_cut)
		http_frame_refuse(f, 431, "headers_too_large",
		    "the request line or a header is longer than 8192 bytes");
	for (i = 0; f->lengths && f->lengths[i]; i++) {
		if ((d = http_length_digits(f->lengths[i], &n)) == NULL) {
			http_frame_refuse(f, 400, "bad_framing", "Content-Length is not a number");
			f->declared = -1;
			break;
		}
		if (first == NULL)
			first = d, firstn = n;
		else if (n != firstn || memcmp(d, first, n) != 0) {
			http_frame_refuse(f, 400, "bad_framing", "two different Content-Length headers");
			f->declared = -1;
			break;
		}
	}
	if (first && f->declared == 0) {
		memcpy(num, first, firstn);
		num[firstn] = '\0';
		f->declared = strtol(num, NULL, 10);
	}
	if (f->transfer_encoding) {
		if (f->lengths && f->lengths[0])
			http_frame_refuse(f, 400, "bad_framing",
			    "Content-Length together with Transfer-Encoding");
		else
			f->chunked = true;
	}
	if (f->bad_text)
		http_frame_refuse(f, 400, "invalid_utf8",
		    "the path or a query argument is not UTF-8 or holds NUL");
}

/* A known header, the path or a query argument that lws cut at HTTP_HEADER_MAX. */
static bool
http_header_cut(struct lws *wsi)
{
	int t, idx, n;

	for (t = 0; t < WSI_TOKEN_COUNT; t++)
		for (idx = 0; (n = lws_hdr_fragment_length(wsi, (enum lws_token_indexes)t, idx)) > 0;
		     idx++)
			if (n >= HTTP_HEADER_MAX)
				return true;
	return false;
}

/* Every second while a body arrives: cut it off (408) when it averages under the minimum rate. */
static void
http_body_tick(lws_sorted_usec_list_t *sul)
{
	struct http_pss *pss = lws_container_of(sul, struct http_pss, body_sul);
	double elapsed = now_mono() - pss->body_started;

	if (pss->req == NULL || (pss->dispatched && !pss->streaming))
		return;
	if (pss->paused) { /* we hold the body back (the database is behind): not the client's fault */
		pss->body_started += 1.0;
		lws_sul_schedule(lws_get_context(pss->wsi), 0, &pss->body_sul, http_body_tick,
		    LWS_US_PER_SEC);
		return;
	}
	if (elapsed >= HTTP_BODY_GRACE_S && cfg.body_min_rate > 0 &&
	    (double)pss->body_received < (double)cfg.body_min_rate * elapsed) {
		log_warn("%s: body cut off: %zu bytes in %.1f s", pss->req->peer, pss->body_received,
		    elapsed);
		if (pss->streaming) { /* the job rolls back and answers; the connection then closes */
			stream_end(pss->req->upload, true);
			return;
		}
		http_refuse(pss, 408, "request_timeout", "the body arrived too slowly");
		http_dispatch(pss->wsi, pss);
		return;
	}
	lws_sul_schedule(lws_get_context(pss->wsi), 0, &pss->body_sul, http_body_tick, LWS_US_PER_SEC);
}

/* Takes pss off the list of paused uploads, if it is there. */
static void
http_paused_remove(struct http_pss *pss)
{
	struct http_pss **pp;

	if (!pss->paused)
		return;
	for (pp = &http_paused; *pp; pp = &(*pp)->paused_next)
		if (*pp == pss) {
			*pp = pss->paused_next;
			break;
		}
	pss->paused = false;
	pss->paused_next = NULL;
}

/* A pool job drained an upload's queue (it woke the loop): resume those sockets. */
static void
http_paused_resume(void)
{
	struct http_pss *pss, *next;

	for (pss = http_paused; pss; pss = next) {
		next = pss->paused_next;
		if (pss->req && pss->req->upload && stream_resume_due(pss->req->upload)) {
			http_paused_remove(pss);
			lws_rx_flow_control(pss->wsi, 1);
		}
	}
}

/* Queues part of an upload's body; pauses the socket when the queue is full. */
static void
http_stream_push(void *arg, const void *data, size_t len)
{
	struct http_pss *pss = arg;

	if (stream_push(pss->req->upload, data, len) && !pss->paused) {
		lws_rx_flow_control(pss->wsi, 0);
		pss->paused = true;
		pss->paused_next = http_paused;
		http_paused = pss;
	}
}

/* A body the route reads as it arrives: its job starts now, with a queue for the body. */
static bool
http_streams(struct request *req)
{
	int64_t ids[4];
	int n, status;
	const struct route *r = route_match(req->method, req->path, ids, &n, &status);

	return route_streams_body(r);
}

/* A new request: read its headers, refuse bad framing and text, or wait for its body. */
static void
http_begin(struct lws *wsi, struct http_pss *pss, const char *uri)
{
	struct http_frame f = { 0 };
	char **lengths;
	size_t i;
	bool streams;

	pss->wsi = wsi;
	pss->req = http_request_new(wsi, uri, &f.bad_text);
	pss->dispatched = pss->in_pool = false;
	pss->refuse_status = 0;
	pss->body_received = 0;
	pss->streaming = false;
	http_content_lengths(wsi, &lengths);
	f.lengths = (const char *const *)lengths;
	f.header_cut = http_header_cut(wsi);
	f.transfer_encoding = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
	http_frame_check(&f);
	for (i = 0; lengths && lengths[i]; i++)
		free(lengths[i]);
	free(lengths);
	if (f.status)
		http_refuse(pss, f.status, f.code, f.msg);
	pss->req->chunked = f.chunked;
	streams = http_streams(pss->req);
	pss->req->body_limit = streams ? cfg.max_upload : cfg.max_body;
	if (f.declared > pss->req->body_limit)
		pss->req->body_too_large = true;
	if (pss->refuse_status || (!streams && f.declared > HTTP_DISCARD_MAX) || f.declared <= 0 ||
	    (streams && (pss->req->body_too_large || pss->req->chunked))) {
		http_dispatch(wsi, pss);
		return;
	}
	if (streams) {
		pss->req->upload = stream_create(lws_get_context(wsi), HTTP_STREAM_QUEUE);
		pss->req->upload_multipart = http_multipart_is(pss->req->content_type);
		pss->streaming = true;
		if (pss->req->upload_multipart)
			pss->multipart = http_multipart_start(wsi, pss->req->upload, http_stream_push, pss);
		http_dispatch(wsi, pss);
	}
	pss->body_started = now_mono();
	lws_sul_schedule(lws_get_context(wsi), 0, &pss->body_sul, http_body_tick, LWS_US_PER_SEC);
}

/* The origin of public-url (scheme://host[:port]), which the event stream always allows. */
static bool
http_origin_is_public(const char *origin)
{
	const char *u = cfg.public_url, *host = strstr(u, "://");
	size_t n;

	if (host == NULL)
		return false;
	n = strcspn(host + 3, "/?#") + (size_t)(host + 3 - u);
	return strlen(origin) == n && strncasecmp(origin, u, n) == 0;
}

bool
http_origin_ok(const char *origin)
{
	const char *l = cfg.allowed_origin;
	size_t n;

	if (http_origin_is_public(origin))
		return true;
	for (; l && *l; l += n + (l[n] == ',')) {
		n = strcspn(l, ",");
		if (n == strlen(origin) && strncasecmp(l, origin, n) == 0)
			return true;
	}
	return false;
}

/* A WebSocket upgrade without Origin (not a browser), or from an allowed one. */
static bool
http_origin_allowed(struct lws *wsi)
{
	char origin[256];

	if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0)
		return true;
	if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) < 0)
		return false;
	return http_origin_ok(origin);
}

/*
 * Answers an upgrade request in full at once (lws then ends the transaction):
 * a JSON error. Returns 1 (answered) or -1 (hang up).
 */
static int
http_refuse_upgrade(struct lws *wsi, int status, const char *code, const char *msg)
{
	unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf;
	char body[300];
	int n = snprintf(body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}",
	    code, msg);

	if (lws_add_http_header_status(wsi, (unsigned)status, &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
		(const unsigned char *)"application/json; charset=utf-8", 31, &p, end) ||
	    lws_add_http_header_content_length(wsi, (lws_filepos_t)n, &p, end) ||
	    lws_finalize_http_header(wsi, &p, end) || end - p < n)
		return -1;
	memcpy(p, body, (size_t)n);
	p += n;
	if (lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP) != (int)(p - start))
		return -1;
	return 1;
}

static int
http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct http_pss *pss = user;
	struct lws_process_html_args *args;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		if (pss->req) /* a pipelined request while one is open: refuse */
			return -1;
		http_begin(wsi, pss, in);
		return 0;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		if (!http_origin_allowed(wsi)) {
			log_warn("events: refused a WebSocket from a disallowed Origin");
			return http_refuse_upgrade(wsi, 403, "origin_not_allowed",
			    "this Origin may not open the event stream");
		}
		return 0;
	case LWS_CALLBACK_ADD_HEADERS: /* the 101 of a WebSocket upgrade */
		args = in;
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)http_nosniff.name,
			(const unsigned char *)http_nosniff.value, 7, (unsigned char **)&args->p,
			(unsigned char *)args->p + args->max_len) ||
		    (lws_is_ssl(wsi) && lws_add_http_header_by_name(wsi,
			(const unsigned char *)http_hsts.name, (const unsigned char *)http_hsts.value,
			(int)strlen(http_hsts.value), (unsigned char **)&args->p,
			(unsigned char *)args->p + args->max_len)))
			return -1;
		return 0;
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS: /* user: the vhost's SSL_CTX */
		if (tls_vhost_ready(user) != 0)
			http_tls_failed = true;
		return 0;
	case LWS_CALLBACK_HTTP_BODY:
		if (pss->req && pss->streaming) {
			pss->body_received += len;
			if (!pss->req->upload_multipart)
				http_stream_push(pss, in, len);
			else
				http_multipart_feed(pss->multipart, in, len);
			return 0;
		}
		if (pss->req == NULL || pss->dispatched)
			return 0;
		pss->body_received += len;
		if (pss->req->body.len + len > (size_t)cfg.max_body)
			pss->req->body_too_large = true;
		else
			buf_append(&pss->req->body, in, len);
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (pss->req && pss->streaming) {
			lws_sul_cancel(&pss->body_sul);
			if (pss->req->upload_multipart)
				http_multipart_end(pss->multipart, pss->req->upload);
			else
				stream_end(pss->req->upload, false);
		} else if (pss->req)
			http_dispatch(wsi, pss);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return http_write(wsi, pss);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (pss) {
			lws_sul_cancel(&pss->body_sul);
			http_paused_remove(pss);
			http_multipart_free(pss->multipart);
			pss->multipart = NULL;
		}
		if (pss && pss->req && pss->req->upload)
			stream_end(pss->req->upload, true); /* a job still reading rolls back */
		if (pss && pss->req) {
			if (pss->in_pool) {
				pss->req->wsi = NULL; /* http_job_done frees it */
			} else {
				if (pss->req->parked)
					pss->req->parked(pss->req, false);
				if (pss->dispatched)
					http_inflight--;
				req_free(pss->req);
			}
			pss->req = NULL;
		}
		break;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
	case LWS_CALLBACK_ESTABLISHED:
	case LWS_CALLBACK_SERVER_WRITEABLE:
	case LWS_CALLBACK_RECEIVE:
	case LWS_CALLBACK_CLOSED:
		/* A WebSocket upgrade without a subprotocol lands on protocols[0]: the event stream. */
		return events_ws_callback(wsi, reason, user, in, len);
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		pool_drain();
		http_paused_resume();
		if (http_reload) {
			http_reload = 0;
			tls_reload();
		}
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

const struct lws_protocols http_protocol = {
	"http", http_callback, sizeof(struct http_pss), 0, 0, NULL, 0,
};

/* Canned: what a connection that is not HTTP at all gets (see http_refuse_callback). */
#define HTTP_NOT_HTTP_HEAD \
    "HTTP/1.1 400 Bad Request\r\n" \
    "content-type: application/json; charset=utf-8\r\n" \
    "x-content-type-options: nosniff\r\n"
#define HTTP_NOT_HTTP_TAIL \
    "connection: close\r\n" \
    "content-length: 75\r\n" \
    "\r\n" \
    "{\"error\":{\"code\":\"bad_request\",\"message\":\"this is not an HTTP/1.1 request\"}}"
static const char http_not_http[] = HTTP_NOT_HTTP_HEAD HTTP_NOT_HTTP_TAIL;
/* The same inside TLS (a handshake, then no HTTP). */
static const char http_not_http_tls[] =
    HTTP_NOT_HTTP_HEAD "strict-transport-security: max-age=31536000\r\n" HTTP_NOT_HTTP_TAIL;

/*
 * A connection whose first line lws cannot read as HTTP (an unknown method,
 * a TLS ClientHello on the plain port) falls back to this raw protocol: it
 * answers a JSON 400 instead of lws' hang-up, and closes.
 */
static int
http_refuse_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
    size_t len)
{
	unsigned char buf[LWS_PRE + sizeof http_not_http_tls];
	const char *text = lws_is_ssl(wsi) ? http_not_http_tls : http_not_http;

	(void)user, (void)in, (void)len;
	switch (reason) {
	case LWS_CALLBACK_RAW_ADOPT:
		lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_RAW_WRITEABLE:
		memcpy(buf + LWS_PRE, text, strlen(text));
		lws_write(wsi, buf + LWS_PRE, strlen(text), LWS_WRITE_RAW);
		return -1;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: /* never a WebSocket subprotocol */
		return -1;
	default:
		return 0;
	}
}

static const struct lws_protocols http_refuse_protocol = {
	"folio-not-http", http_refuse_callback, 0, 0, 0, NULL, 0,
};

static struct lws_context *http_ctx;
static lws_sorted_usec_list_t http_tick;

/* While stopping, wake the loop often so the drain below notices progress. */
static void
http_tick_cb(lws_sorted_usec_list_t *sul)
{
	lws_sul_schedule(http_ctx, 0, &http_tick, http_tick_cb, 50 * LWS_US_PER_MS);
}

static void
http_on_signal(int sig)
{
	(void)sig;
	http_stopping = 1;
	if (http_ctx)
		lws_cancel_service(http_ctx);
}

/* SIGHUP: the loop reloads the certificate when it wakes (EVENT_WAIT_CANCELLED). */
static void
http_on_hup(int sig)
{
	(void)sig;
	http_reload = 1;
	if (http_ctx)
		lws_cancel_service(http_ctx);
}

static void
http_lws_log(int level, const char *line)
{
	char msg[512];
	size_t n;

	snprintf(msg, sizeof msg, "lws: %s", line);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_msg(level == LLL_ERR ? LOG_ERROR : LOG_WARN, "%s", msg);
}

int
http_parse_listen(const char *listen, char *iface, size_t ifsz, int *port)
{
	const char *colon = strrchr(listen, ':');
	size_t hl;

	if (colon == NULL) {
		snprintf(iface, ifsz, "127.0.0.1");
		*port = atoi(listen);
	} else {
		hl = (size_t)(colon - listen);
		if (hl >= 2 && listen[0] == '[' && listen[hl - 1] == ']')
			snprintf(iface, ifsz, "%.*s", (int)(hl - 2), listen + 1);
		else
			snprintf(iface, ifsz, "%.*s", (int)hl, listen);
		*port = atoi(colon + 1);
	}
	return *port > 0 && *port < 65536 ? 0 : -1;
}

/* What runs beside the loop: started in this order once it listens, stopped in reverse. */
static const struct http_service {
	const char *name;
	void (*start)(struct lws_context *ctx);
	void (*stop)(struct lws_context *ctx);
} http_services[] = {
	{ "events", events_hub_start, events_hub_stop },  /* sequencer, listener, streams */
	{ "mail", mail_worker_start, mail_worker_stop },  /* reminders and mail */
	{ "metrics", metrics_start, metrics_stop },       /* the outbox depth, when metrics are on */
};
#define HTTP_NSERVICES (sizeof http_services / sizeof http_services[0])

int
http_serve(void)
{
	/* The protocols it speaks: HTTP (and WebSocket upgrades of it), the event stream. */
	const struct lws_protocols protocols[] = { http_protocol, events_protocol,
		http_refuse_protocol, { 0 } };
	static struct lws_token_limits limits;
	struct lws_context_creation_info info;
	char iface[128], tlserr[512];
	size_t k;
	int port, i;
	double deadline;
	struct sigaction sa;

	if (http_parse_listen(cfg.listen, iface, sizeof iface, &port) != 0) {
		log_error("listen: cannot parse \"%s\" (want host:port)", cfg.listen);
		return -1;
	}
	if (tls_check(tlserr, sizeof tlserr) != 0) {
		log_error("tls: %s", tlserr);
		return -1;
	}
	lws_set_log_level(LLL_ERR, http_lws_log);
	memset(&info, 0, sizeof info);
	info.port = port;
	info.iface = iface;
	info.protocols = protocols;
	/*
	 * A header, the path or an argument is cut at HTTP_HEADER_MAX and answered
	 * 431 (http_header_cut). lws itself hangs up, with no callback we could
	 * answer from, when all headers pass HTTP_HEADER_SPACE or a known header
	 * repeats more often than it has fragments for.
	 */
	for (k = 0; k < WSI_TOKEN_COUNT; k++)
		limits.token_limit[k] = HTTP_HEADER_MAX;
	info.token_limits = &limits;
	info.max_http_header_data = HTTP_HEADER_SPACE;
	info.keepalive_timeout = 60;
	info.timeout_secs = 30;
	info.retry_and_idle_policy = events_idle_policy();
	info.headers = tls_enabled() ? &http_hsts : &http_nosniff;
	/* Not HTTP at all: http_refuse_protocol answers instead of a silent close. */
	info.listen_accept_role = "raw-skt";
	info.listen_accept_protocol = http_refuse_protocol.name;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6 * (strchr(iface, ':') == NULL) |
	    LWS_SERVER_OPTION_FALLBACK_TO_APPLY_LISTEN_ACCEPT_CONFIG | LWS_SERVER_OPTION_VALIDATE_UTF8;
	/* TLS: lws makes the SSL_CTX, tls.c fills it (OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS). */
	if (tls_enabled())
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
		    LWS_SERVER_OPTION_CREATE_VHOST_SSL_CTX;
	if ((http_ctx = lws_create_context(&info)) == NULL || http_tls_failed) {
		log_error("cannot listen on %s", cfg.listen);
		if (http_ctx)
			lws_context_destroy(http_ctx);
		http_ctx = NULL;
		return -1;
	}
	if (metrics_listen(http_ctx) != 0) {
		lws_context_destroy(http_ctx);
		http_ctx = NULL;
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = http_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = http_on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	pool_start(http_ctx, (int)cfg.db_threads);
	for (k = 0; k < HTTP_NSERVICES; k++)
		http_services[k].start(http_ctx);
	log_info("serving on %s:%d%s", iface, port, tls_enabled() ? " (TLS)" : "");
	/* Migrations ran before this (foliod.c) and the socket listens: ready. */
	systemd_ready(http_ctx, "serving on %s:%d%s", iface, port, tls_enabled() ? " (TLS)" : "");
	while (!http_stopping)
		if (lws_service(http_ctx, 0) < 0)
			break;
	/* SIGTERM: finish what is in flight (bounded), close streams, then exit. */
	systemd_stopping(http_inflight);
	log_info("stopping: %d requests in flight", http_inflight);
	for (k = HTTP_NSERVICES; k-- > 0;) {
		log_debug("stopping %s", http_services[k].name);
		http_services[k].stop(http_ctx);
	}
	http_tick_cb(&http_tick);
	deadline = now_mono() + 10;
	while (http_inflight > 0 && now_mono() < deadline)
		lws_service(http_ctx, 0);
	for (i = 0; i < 4; i++) /* let close frames and final writes go out */
		lws_service(http_ctx, 0);
	lws_sul_cancel(&http_tick);
	stream_fail_all(); /* an upload still waiting for its body rolls back, and its thread ends */
	pool_stop();
	lws_context_destroy(http_ctx);
	http_ctx = NULL;
	log_info("stopped");
	return 0;
}
