/*
 * events-poll.c -- the event stream as long polling, for when the WebSocket
 * cannot connect (a proxy that will not upgrade) or the configuration asks
 * for it: `GET /api/v1/events?since=N&wait=25` in a loop on a thread of its
 * own. Each answer `{items, next}` hands its events to the UI exactly like
 * WebSocket frames (events_deliver) and the next request starts after
 * `next`, so nothing is missed and nothing is seen twice. The connection
 * state goes to the UI through events_state() with the tag "poll".
 */
#include "folio.h"
#include "json.h"
#include "log.h"
#include "mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_WAIT_S 25
#define POLL_BACKOFF_MIN_MS 500
#define POLL_BACKOFF_MAX_MS 30000

static struct {
	pthread_t thread;
	bool running;
	atomic_bool stopping;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool kicked;
	char *server, *token;
	int64_t since;
} pl = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

int
events_poll_answer(const char *body, int64_t *since, bool replayed)
{
	struct json_limits lim = { 64, 64u << 20 };
	struct json_object *o, *items, *it;
	const char *text;
	size_t i, n;
	int64_t next;
	char err[128];

	if ((o = json_parse(body, strlen(body), &lim, err, sizeof err)) == NULL ||
	    json_get_array(o, "items", &items) != JSON_GET_OK) {
		json_object_put(o);
		return -1;
	}
	n = json_object_array_length(items);
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(items, i);
		text = json_object_to_json_string_ext(it, JSON_C_TO_STRING_PLAIN);
		events_deliver(text, strlen(text), replayed);
	}
	if (json_get_int(o, "next", &next) == JSON_GET_OK && next > *since)
		*since = next;
	json_object_put(o);
	return (int)n;
}

/* Waits ms (or until kicked or stopped). */
static void
events_poll_sleep(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&pl.lock);
	while (!pl.kicked && !atomic_load(&pl.stopping))
		if (pthread_cond_timedwait(&pl.cond, &pl.lock, &ts) != 0)
			break;
	pl.kicked = false;
	pthread_mutex_unlock(&pl.lock);
}

/*
 * One request. Returns 1 when it was answered with events or none (live),
 * 0 to try again after a backoff, -1 to stop (the session is gone).
 */
static int
events_poll_once(bool *up)
{
	struct http_reply r;
	char path[128];
	bool resumed = pl.since > 0;
	int rc = 0;

	/* The first request does not wait, so the state shows "live" at once. */
	if (pl.since > 0)
		snprintf(path, sizeof path, "/api/v1/events?since=%lld&wait=%d",
		    (long long)pl.since, *up ? POLL_WAIT_S : 0);
	else
		snprintf(path, sizeof path, "/api/v1/events?wait=%d", *up ? POLL_WAIT_S : 0);
	if (http_call(pl.server, pl.token, "GET", path, NULL, &r) != 0 || r.status >= 500) {
		events_state(STREAM_DOWN, 0, r.status ? "the server is in trouble" : r.err);
	} else if (r.status == 401) {
		events_state(STREAM_UNAUTHORIZED, 0, "session no longer valid");
		rc = -1;
	} else if (r.status == 409) {
		pl.since = 0; /* older than the log: start live, the UI fetches everything */
		events_state(STREAM_RESYNC, 0, "resync required");
	} else if (r.status != 200 || events_poll_answer(buf_str(&r.body), &pl.since,
	    resumed && !*up) < 0) {
		events_state(STREAM_DOWN, 0, "the server does not poll events");
	} else {
		if (!*up)
			events_state(STREAM_UP, resumed, "poll");
		*up = true;
		rc = 1;
	}
	if (rc != 1)
		*up = false;
	http_reply_free(&r);
	return rc;
}

static void *
events_poll_main(void *arg)
{
	int backoff = POLL_BACKOFF_MIN_MS, rc;
	bool up = false;

	events_state(STREAM_CONNECTING, 0, "poll");
	while (!atomic_load(&pl.stopping)) {
		rc = events_poll_once(&up);
		if (rc < 0 || atomic_load(&pl.stopping))
			break;
		if (rc > 0) {
			backoff = POLL_BACKOFF_MIN_MS;
			continue;
		}
		events_poll_sleep(backoff);
		backoff = backoff * 2 > POLL_BACKOFF_MAX_MS ? POLL_BACKOFF_MAX_MS : backoff * 2;
	}
	return NULL;
}

void
events_poll_start(const char *server, const char *token, int64_t since)
{
	if (pl.running)
		return;
	pl.server = xstrdup(server);
	pl.token = xstrdup(token);
	pl.since = since;
	atomic_store(&pl.stopping, false);
	log_debug("events: long polling %s", server);
	if (pthread_create(&pl.thread, NULL, events_poll_main, NULL) != 0)
		abort();
	pl.running = true;
}

void
events_poll_kick(void)
{
	pthread_mutex_lock(&pl.lock);
	pl.kicked = true;
	pthread_cond_signal(&pl.cond);
	pthread_mutex_unlock(&pl.lock);
}

void
events_poll_stop(void)
{
	if (!pl.running)
		return;
	atomic_store(&pl.stopping, true);
	http_cancel_all(); /* a request waiting out its 25 seconds ends now */
	events_poll_kick();
	pthread_join(pl.thread, NULL);
	pl.running = false;
	free(pl.server);
	free(pl.token);
	pl.server = pl.token = NULL;
}
