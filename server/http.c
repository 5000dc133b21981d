/*
 * http.c -- the libwebsockets side of HTTP: gather a request (headers, query,
 * body under a size limit), hand it to the pool as a job, write the reply
 * from the WRITEABLE callback, and log one line per request.
 * It knows nothing about routes beyond route_match() and nothing about SQL.
 */
#include "foliod.h"

#include <libwebsockets.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A declared body larger than this is answered at once and the connection closed. */
#define HTTP_DISCARD_MAX (64L * 1024 * 1024)

struct http_pss {
	struct request *req;
	bool dispatched;
	bool in_pool;
};

volatile int http_stopping;
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

static void
http_parse_args(struct request *req, struct lws *wsi)
{
	char frag[2048], *eq;
	int idx;

	for (idx = 0; lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, idx) > 0;
	     idx++) {
		req->args = xrealloc(req->args, (req->nargs + 1) * sizeof *req->args);
		eq = strchr(frag, '=');
		req->args[req->nargs].key = eq ? xstrndup(frag, (size_t)(eq - frag)) : xstrdup(frag);
		req->args[req->nargs].value = xstrdup(eq ? eq + 1 : "");
		req->nargs++;
	}
}

static struct request *
http_request_new(struct lws *wsi, const char *uri)
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
	http_parse_args(req, wsi);
	req->content_type = http_header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
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
	if (req->chunked) {
		reply_error(req, 411, "length_required", "send the body with a Content-Length");
	} else if (req->body_too_large) {
		reply_error(req, 413, "too_large", "the body is larger than %ld bytes", cfg.max_body);
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

/* Writes the reply: headers first, then the body in chunks. Returns -1 to close. */
static int
http_write(struct lws *wsi, struct http_pss *pss)
{
	struct request *req = pss->req;
	unsigned char buf[LWS_PRE + 16384], *start = buf + LWS_PRE, *p = start,
					       *end = buf + sizeof buf - 1;
	size_t n;
	bool last;

	if (req == NULL || pss->in_pool || !pss->dispatched || req->status == 0)
		return 0;
	if (!req->headers_sent) {
		if (lws_add_http_common_headers(wsi, (unsigned)req->status,
			req->out.len ? "application/json; charset=utf-8" : NULL, req->out.len, &p, end) ||
		    lws_add_http_header_by_name(wsi, (const unsigned char *)"x-request-id:",
			(const unsigned char *)req->request_id, (int)strlen(req->request_id), &p, end) ||
		    (req->retry_after[0] &&
			lws_add_http_header_by_name(wsi, (const unsigned char *)"retry-after:",
			    (const unsigned char *)req->retry_after, (int)strlen(req->retry_after), &p,
			    end)) ||
		    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
			(const unsigned char *)"no-store", 8, &p, end) ||
		    lws_finalize_write_http_header(wsi, start, &p, end))
			return -1;
		req->headers_sent = true;
		if (req->out.len) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	} else {
		n = req->out.len - req->sent;
		if (n > sizeof buf - LWS_PRE - 1)
			n = sizeof buf - LWS_PRE - 1;
		last = req->sent + n == req->out.len;
		memcpy(start, req->out.data + req->sent, n);
		if (lws_write(wsi, start, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
			return -1;
		req->sent += n;
		if (!last) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	}
	/* Done: count, log, free, and keep the connection unless the body was left unread. */
	metrics_http(req->route, req->status, now_mono() - req->started);
	http_log(req);
	last = req->body_too_large || req->chunked;
	http_inflight--;
	req_free(req);
	pss->req = NULL;
	pss->dispatched = false;
	if (last)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct http_pss *pss = user;
	char cl[32];
	long declared;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		if (pss->req) /* a pipelined request while one is open: refuse */
			return -1;
		pss->req = http_request_new(wsi, in);
		pss->dispatched = pss->in_pool = false;
		declared = lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 ?
		    strtol(cl, NULL, 10) : 0;
		if (declared > cfg.max_body)
			pss->req->body_too_large = true;
		if (declared <= 0 && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
			pss->req->chunked = true;
		if (declared > HTTP_DISCARD_MAX || declared <= 0)
			http_dispatch(wsi, pss);
		return 0;
	case LWS_CALLBACK_HTTP_BODY:
		if (pss->req == NULL || pss->dispatched)
			return 0;
		if (pss->req->body.len + len > (size_t)cfg.max_body)
			pss->req->body_too_large = true;
		else
			buf_append(&pss->req->body, in, len);
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (pss->req)
			http_dispatch(wsi, pss);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return http_write(wsi, pss);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
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
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

const struct lws_protocols http_protocol = {
	"http", http_callback, sizeof(struct http_pss), 0, 0, NULL, 0,
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
	const struct lws_protocols protocols[] = { http_protocol, events_protocol, { 0 } };
	struct lws_context_creation_info info;
	char iface[128];
	size_t k;
	int port, i;
	double deadline;
	struct sigaction sa;

	if (http_parse_listen(cfg.listen, iface, sizeof iface, &port) != 0) {
		log_error("listen: cannot parse \"%s\" (want host:port)", cfg.listen);
		return -1;
	}
	lws_set_log_level(LLL_ERR, http_lws_log);
	memset(&info, 0, sizeof info);
	info.port = port;
	info.iface = iface;
	info.protocols = protocols;
	info.max_http_header_data = 8192;
	info.keepalive_timeout = 60;
	info.timeout_secs = 30;
	info.retry_and_idle_policy = events_idle_policy();
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6 * (strchr(iface, ':') == NULL);
	if ((http_ctx = lws_create_context(&info)) == NULL) {
		log_error("cannot listen on %s", cfg.listen);
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
	signal(SIGPIPE, SIG_IGN);

	pool_start(http_ctx, (int)cfg.db_threads);
	for (k = 0; k < HTTP_NSERVICES; k++)
		http_services[k].start(http_ctx);
	log_info("serving on %s:%d", iface, port);
	/* Migrations ran before this (foliod.c) and the socket listens: ready. */
	systemd_ready(http_ctx, "serving on %s:%d", iface, port);
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
	pool_stop();
	lws_context_destroy(http_ctx);
	http_ctx = NULL;
	log_info("stopped");
	return 0;
}
