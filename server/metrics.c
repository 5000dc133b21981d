/*
 * metrics.c -- counters and gauges for Prometheus, and GET /metrics on a
 * listen address of its own (--metrics-listen; off by default), so the
 * numbers are never on the public API port.
 *
 * Counting is cheap on purpose: fixed arrays of relaxed C11 atomics indexed
 * by route row and status, no locks and no allocation per request. The HTTP
 * counters are bumped on the loop, the others from pool, mail and reminder
 * threads. The page is rendered on the loop from memory only; the one number
 * that needs PostgreSQL (the mail outbox depth) is refreshed by a pool job
 * every METRICS_DEPTH_S seconds, so the loop never waits on the database.
 * It also keeps the health figures others read: the pool's progress (the
 * systemd watchdog) and the mail worker's heartbeat (/readyz).
 */
#include "foliod.h"

#include <libwebsockets.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define METRICS_ROUTES 96      /* rows of the route table we can count; more is a bug */
#define METRICS_DEPTH_S 15     /* seconds between outbox depth refreshes */

typedef atomic_uint_fast64_t counter;

static size_t metrics_nroutes; /* rows of the route table */

static const double metrics_le[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5, 5, 10 };
#define METRICS_NLE (sizeof metrics_le / sizeof metrics_le[0])
/* The statuses the API answers; anything else counts as "other". */
static const int metrics_codes[] = { 101, 200, 201, 204, 400, 401, 403, 404, 405, 409, 411, 413,
	415, 422, 429, 500, 503 };
#define METRICS_NCODES (sizeof metrics_codes / sizeof metrics_codes[0])

/* Non-cumulative buckets (the last one is +Inf only); the page sums them up. */
struct metrics_hist {
	counter bucket[METRICS_NLE + 1];
	counter sum_us;
};

struct metrics_route {
	counter by_code[METRICS_NCODES + 1];
	struct metrics_hist latency;
};

static struct {
	struct metrics_route route[METRICS_ROUTES + 1]; /* the last: requests no route matched */
	struct metrics_hist pool_wait;
	atomic_int_fast64_t pool_queued;
	atomic_int_fast64_t pool_progress_us;   /* a job was taken, or the queue became busy */
	counter events_delivered, events_dropped;
	counter mail_sent, mail_retry, mail_failed;
	counter reminders_sent;
	counter password_checks;
	atomic_int_fast64_t mail_depth;         /* -1 until the first refresh */
	atomic_int_fast64_t mail_heartbeat_us;  /* 0: the worker has not run yet */
	double started;                         /* wall clock, for process_start_time_seconds */
} m = { .mail_depth = -1 };

static int64_t
metrics_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
metrics_observe(struct metrics_hist *h, double seconds)
{
	size_t i;

	for (i = 0; i < METRICS_NLE && seconds > metrics_le[i]; i++)
		;
	atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, (uint64_t)(seconds > 0 ? seconds * 1e6 : 0),
	    memory_order_relaxed);
}

void
metrics_http(const struct route *r, int status, double seconds)
{
	size_t row = r ? (size_t)(r - routes) : METRICS_ROUTES, c;

	if (row > METRICS_ROUTES)
		abort(); /* the route table outgrew the counters: raise METRICS_ROUTES */
	for (c = 0; c < METRICS_NCODES && metrics_codes[c] != status; c++)
		;
	atomic_fetch_add_explicit(&m.route[row].by_code[c], 1, memory_order_relaxed);
	metrics_observe(&m.route[row].latency, seconds);
}

void
metrics_pool_submitted(struct job *job)
{
	int64_t now = metrics_now_us();

	job->queued_us = now;
	/* An idle pool that gets work has not stalled: its clock starts now. */
	if (atomic_fetch_add_explicit(&m.pool_queued, 1, memory_order_relaxed) == 0)
		atomic_store_explicit(&m.pool_progress_us, now, memory_order_relaxed);
}

void
metrics_pool_taken(struct job *job)
{
	int64_t now = metrics_now_us();

	atomic_fetch_sub_explicit(&m.pool_queued, 1, memory_order_relaxed);
	atomic_store_explicit(&m.pool_progress_us, now, memory_order_relaxed);
	metrics_observe(&m.pool_wait, (double)(now - job->queued_us) / 1e6);
}

bool
metrics_pool_stalled(double seconds)
{
	int64_t since = atomic_load_explicit(&m.pool_progress_us, memory_order_relaxed);

	return atomic_load_explicit(&m.pool_queued, memory_order_relaxed) > 0 &&
	    (double)(metrics_now_us() - since) / 1e6 > seconds;
}

void
metrics_events_delivered(uint64_t n)
{
	atomic_fetch_add_explicit(&m.events_delivered, n, memory_order_relaxed);
}

void
metrics_events_dropped(uint64_t n)
{
	atomic_fetch_add_explicit(&m.events_dropped, n, memory_order_relaxed);
}

void
metrics_mail_result(enum mail_result r)
{
	counter *c = r == MAIL_SENT ? &m.mail_sent : r == MAIL_FAILED ? &m.mail_failed : &m.mail_retry;

	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
	metrics_mail_heartbeat(); /* an attempt finished: the mailer is making progress */
}

void
metrics_mail_heartbeat(void)
{
	atomic_store_explicit(&m.mail_heartbeat_us, metrics_now_us(), memory_order_relaxed);
}

double
metrics_mail_heartbeat_age(void)
{
	int64_t beat = atomic_load_explicit(&m.mail_heartbeat_us, memory_order_relaxed);

	return beat == 0 ? -1 : (double)(metrics_now_us() - beat) / 1e6;
}

void
metrics_reminder_sent(void)
{
	atomic_fetch_add_explicit(&m.reminders_sent, 1, memory_order_relaxed);
}

void
metrics_password_checked(void)
{
	atomic_fetch_add_explicit(&m.password_checks, 1, memory_order_relaxed);
}

static uint64_t
metrics_get(counter *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* The exposition of one histogram; labels is "" or "k=\"v\",". */
static void
metrics_put_hist(struct buf *b, const char *name, const char *labels, struct metrics_hist *h)
{
	uint64_t cum = 0;
	size_t i, n;

	for (i = 0; i <= METRICS_NLE; i++) {
		cum += metrics_get(&h->bucket[i]);
		if (i < METRICS_NLE)
			buf_printf(b, "%s_bucket{%sle=\"%g\"} %llu\n", name, labels, metrics_le[i],
			    (unsigned long long)cum);
		else
			buf_printf(b, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, labels,
			    (unsigned long long)cum);
	}
	/* _sum and _count carry the labels without the trailing comma, or none. */
	n = strlen(labels);
	buf_printf(b, "%s_sum%s%.*s%s %.6f\n", name, n ? "{" : "", (int)(n ? n - 1 : 0), labels,
	    n ? "}" : "", (double)metrics_get(&h->sum_us) / 1e6);
	buf_printf(b, "%s_count%s%.*s%s %llu\n", name, n ? "{" : "", (int)(n ? n - 1 : 0), labels,
	    n ? "}" : "", (unsigned long long)cum);
}

static void
metrics_put_head(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_put_one(struct buf *b, const char *name, const char *type, const char *help, double v)
{
	metrics_put_head(b, name, type, help);
	buf_printf(b, "%s %.17g\n", name, v);
}

/* Labels of a route row: method and pattern (never the path with its ids). */
static void
metrics_route_labels(size_t row, char *out, size_t n)
{
	if (row == METRICS_ROUTES)
		snprintf(out, n, "method=\"\",route=\"unmatched\",");
	else
		snprintf(out, n, "method=\"%s\",route=\"%s\",", method_name(routes[row].method),
		    routes[row].pattern);
}

static bool
metrics_route_used(size_t row)
{
	size_t c;

	for (c = 0; c <= METRICS_NCODES; c++)
		if (metrics_get(&m.route[row].by_code[c]))
			return true;
	return false;
}

/* The i-th row shown: the table's rows, then the requests no route matched. */
static size_t
metrics_row(size_t i)
{
	return i < metrics_nroutes ? i : METRICS_ROUTES;
}

static void
metrics_render_http(struct buf *b)
{
	char labels[256];
	size_t i, row, c;
	uint64_t v;

	metrics_put_head(b, "folio_http_requests_total", "counter",
	    "HTTP requests answered, by route pattern and status.");
	for (i = 0; i <= metrics_nroutes; i++) {
		if (!metrics_route_used(row = metrics_row(i)))
			continue;
		metrics_route_labels(row, labels, sizeof labels);
		for (c = 0; c <= METRICS_NCODES; c++) {
			if ((v = metrics_get(&m.route[row].by_code[c])) == 0)
				continue;
			if (c < METRICS_NCODES)
				buf_printf(b, "folio_http_requests_total{%sstatus=\"%d\"} %llu\n", labels,
				    metrics_codes[c], (unsigned long long)v);
			else
				buf_printf(b, "folio_http_requests_total{%sstatus=\"other\"} %llu\n", labels,
				    (unsigned long long)v);
		}
	}
	metrics_put_head(b, "folio_http_request_duration_seconds", "histogram",
	    "Time from a request's headers to its last byte, by route pattern.");
	for (i = 0; i <= metrics_nroutes; i++) {
		if (!metrics_route_used(row = metrics_row(i)))
			continue;
		metrics_route_labels(row, labels, sizeof labels);
		metrics_put_hist(b, "folio_http_request_duration_seconds", labels, &m.route[row].latency);
	}
}

/* The whole page. Caller frees the buffer. Loop only (it reads the stream count). */
void
metrics_render(struct buf *b)
{
	int64_t depth = atomic_load_explicit(&m.mail_depth, memory_order_relaxed);
	double age = metrics_mail_heartbeat_age();

	metrics_render_http(b);
	metrics_put_head(b, "folio_db_pool_wait_seconds", "histogram",
	    "Time jobs waited in the queue for a database thread.");
	metrics_put_hist(b, "folio_db_pool_wait_seconds", "", &m.pool_wait);
	metrics_put_one(b, "folio_db_pool_queued", "gauge", "Jobs waiting for a database thread now.",
	    (double)atomic_load_explicit(&m.pool_queued, memory_order_relaxed));
	metrics_put_one(b, "folio_websocket_connections", "gauge", "Open event-stream WebSockets.",
	    (double)events_ws_count());
	metrics_put_one(b, "folio_events_delivered_total", "counter",
	    "Events handed to subscribers (WebSocket frames written, long-poll items answered).",
	    (double)metrics_get(&m.events_delivered));
	metrics_put_one(b, "folio_events_dropped_total", "counter",
	    "Events dropped with a subscriber cut off for being too slow.",
	    (double)metrics_get(&m.events_dropped));
	if (depth >= 0)
		metrics_put_one(b, "folio_mail_outbox_depth", "gauge",
		    "Mails queued or being sent (refreshed every 15 s).", (double)depth);
	metrics_put_head(b, "folio_mail_attempts_total", "counter",
	    "SMTP attempts by outcome: sent, retry (will be tried again), failed (given up).");
	buf_printf(b, "folio_mail_attempts_total{result=\"sent\"} %llu\n",
	    (unsigned long long)metrics_get(&m.mail_sent));
	buf_printf(b, "folio_mail_attempts_total{result=\"retry\"} %llu\n",
	    (unsigned long long)metrics_get(&m.mail_retry));
	buf_printf(b, "folio_mail_attempts_total{result=\"failed\"} %llu\n",
	    (unsigned long long)metrics_get(&m.mail_failed));
	metrics_put_one(b, "folio_mail_failures_total", "counter",
	    "SMTP attempts that did not deliver (retry + failed).",
	    (double)(metrics_get(&m.mail_retry) + metrics_get(&m.mail_failed)));
	metrics_put_one(b, "folio_reminders_sent_total", "counter", "Automatic reminders sent.",
	    (double)metrics_get(&m.reminders_sent));
	metrics_put_one(b, "folio_password_checks_total", "counter",
	    "Passwords verified with argon2id (logins, also for unknown addresses; password changes).",
	    (double)metrics_get(&m.password_checks));
	if (age >= 0)
		metrics_put_one(b, "folio_mail_worker_heartbeat_age_seconds", "gauge",
		    "Seconds since the mail worker last showed progress.", age);
	metrics_put_one(b, "process_start_time_seconds", "gauge",
	    "Start time of the process since the Unix epoch.", m.started);
}

/* The outbox depth: a pool job, never the loop. */
static struct {
	struct job job;
	bool busy;
	lws_sorted_usec_list_t sul;
	struct lws_context *ctx;
} depth;

static void
metrics_depth_run(struct job *job, struct db *db)
{
	int64_t d = db_ops_mail_depth(db);

	if (d >= 0)
		atomic_store_explicit(&m.mail_depth, d, memory_order_relaxed);
}

static void
metrics_depth_done(struct job *job)
{
	depth.busy = false;
}

static void
metrics_depth_tick(lws_sorted_usec_list_t *sul)
{
	if (!depth.busy && !http_stopping) {
		depth.busy = true;
		depth.job.run = metrics_depth_run;
		depth.job.done = metrics_depth_done;
		pool_submit(&depth.job);
	}
	lws_sul_schedule(depth.ctx, 0, &depth.sul, metrics_depth_tick,
	    METRICS_DEPTH_S * LWS_US_PER_SEC);
}

void
metrics_init(void)
{
	m.started = (double)time(NULL);
	for (metrics_nroutes = 0; routes[metrics_nroutes].pattern; metrics_nroutes++)
		;
	if (metrics_nroutes > METRICS_ROUTES)
		abort(); /* the route table outgrew the counters: raise METRICS_ROUTES */
}

void
metrics_start(struct lws_context *ctx)
{
	if (cfg.metrics_listen == NULL || *cfg.metrics_listen == '\0')
		return;
	depth.ctx = ctx;
	metrics_depth_tick(&depth.sul);
}

void
metrics_stop(struct lws_context *ctx)
{
	if (depth.ctx)
		lws_sul_cancel(&depth.sul);
	depth.ctx = NULL;
}

/* GET /metrics on its own vhost: rendered on the loop from memory, written in chunks. */
struct metrics_pss {
	struct buf out;
	size_t sent;
	int status;
	bool headers_sent;
};

static void
metrics_answer(struct lws *wsi, struct metrics_pss *pss, const char *uri)
{
	buf_reset(&pss->out);
	pss->sent = 0;
	pss->headers_sent = false;
	if (uri == NULL || strcmp(uri, "/metrics") != 0) {
		pss->status = 404;
		buf_printf(&pss->out, "{\"error\":{\"code\":\"not_found\",\"message\":\"%s\"}}",
		    "only GET /metrics is served here");
	} else if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0) {
		pss->status = 405;
		buf_printf(&pss->out, "{\"error\":{\"code\":\"method_not_allowed\",\"message\":\"%s\"}}",
		    "only GET is allowed on /metrics");
	} else {
		pss->status = 200;
		metrics_render(&pss->out);
	}
	lws_callback_on_writable(wsi);
}

/* Returns -1 to close the connection. */
static int
metrics_write(struct lws *wsi, struct metrics_pss *pss)
{
	unsigned char buf[LWS_PRE + 16384], *start = buf + LWS_PRE, *p = start,
					       *end = buf + sizeof buf - 1;
	bool last;
	int w;

	if (pss->status == 0)
		return 0;
	if (!pss->headers_sent) {
		if (lws_add_http_common_headers(wsi, (unsigned)pss->status,
			pss->status == 200 ? "text/plain; version=0.0.4; charset=utf-8" :
					     "application/json; charset=utf-8",
			pss->out.len, &p, end) ||
		    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
			(const unsigned char *)"no-store", 8, &p, end) ||
		    lws_finalize_write_http_header(wsi, start, &p, end))
			return -1;
		pss->headers_sent = true;
		lws_callback_on_writable(wsi);
		return 0;
	}
	if ((w = http_write_chunk(wsi, start, sizeof buf - LWS_PRE - 1, &pss->out, &pss->sent)) <= 0)
		return w;
	buf_free(&pss->out);
	last = pss->status != 200; /* an error may leave a body unread: close */
	pss->status = 0;
	return last || lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
metrics_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
    size_t len)
{
	struct metrics_pss *pss = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		metrics_answer(wsi, pss, in);
		return 0;
	case LWS_CALLBACK_HTTP_BODY:
		return 0; /* nothing here takes a body */
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return metrics_write(wsi, pss);
	case LWS_CALLBACK_CLOSED_HTTP:
		if (pss)
			buf_free(&pss->out);
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols metrics_protocols[] = {
	{ "metrics", metrics_callback, sizeof(struct metrics_pss), 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

int
metrics_listen(struct lws_context *ctx)
{
	struct lws_context_creation_info info;
	char iface[128];
	int port;

	if (cfg.metrics_listen == NULL || *cfg.metrics_listen == '\0')
		return 0;
	if (http_parse_listen(cfg.metrics_listen, iface, sizeof iface, &port) != 0) {
		log_error("metrics-listen: cannot parse \"%s\" (want host:port)", cfg.metrics_listen);
		return -1;
	}
	memset(&info, 0, sizeof info);
	info.vhost_name = "metrics";
	info.port = port;
	info.iface = iface;
	info.protocols = metrics_protocols;
	info.keepalive_timeout = 60;
	info.timeout_secs = 30;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6 * (strchr(iface, ':') == NULL);
	if (lws_create_vhost(ctx, &info) == NULL) {
		log_error("cannot listen on %s for metrics", cfg.metrics_listen);
		return -1;
	}
	log_info("metrics on http://%s:%d/metrics", iface, port);
	return 0;
}
