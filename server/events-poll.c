/*
 * events-poll.c -- GET /api/v1/events without an upgrade: the same stream as
 * long poll. The route runs on a pool thread like any other (authenticated by
 * route_run) and reads the log after `since`; when there is nothing yet and
 * the caller asked to wait, it parks the request on the loop instead of
 * holding the thread: the fan-out (events-hub.c) or an lws_sul timer answers it.
 * The hand-over from the read to the wait uses the hub's ring, as the
 * WebSocket does (events-ws.c).
 *
 * The answer's `next` is the id of the last event in it, or the caller's
 * since when there is none: never an id the caller was not given. A cursor
 * that moved past other people's events would tell a contact that staff
 * wrote internal notes in its thread (and anyone how busy other firms are).
 * The log is read through the caller's visibility (db-events-log.c), so
 * polling from an old since costs only the caller's own events.
 */
#include "foliod.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#define POLL_WAIT_MAX 60        /* seconds; longer waits are capped */
#define POLL_SCAN_PAGES 5       /* pages of other people's events to skip before answering */

struct events_wait {
	struct request *req;
	struct events_wait *prev, *next;
	bool linked;
	struct events_viewer who;
	int64_t cursor;              /* every event up to here is in items or not for us */
	int64_t next_id;             /* the caller's cursor: since, or the last id in items */
	int64_t limit;
	uint64_t count;              /* hub fan-out count before the read */
	int64_t wait_s;
	struct buf items;            /* frames, comma-separated */
	int64_t nitems;
	lws_sorted_usec_list_t sul;
};

static struct events_wait *waiters;

static void
events_poll_add(void *arg, struct events_frame *f)
{
	struct events_wait *w = arg;

	if (w->nitems++)
		buf_putc(&w->items, ',');
	buf_append(&w->items, f->text, f->len);
	w->next_id = f->id;
}

/* {"items":[...],"next":N}: next is the since of the following call. */
static void
events_poll_reply(struct request *req, const struct buf *items, int64_t next)
{
	req->status = 200;
	buf_reset(&req->out);
	buf_printf(&req->out, "{\"items\":[%s],\"next\":%lld}", buf_str(items), (long long)next);
}

static void
events_poll_drop(struct events_wait *w)
{
	if (w->linked) {
		if (w->prev)
			w->prev->next = w->next;
		else
			waiters = w->next;
		if (w->next)
			w->next->prev = w->prev;
		lws_sul_cancel(&w->sul);
	}
	w->req->parked_data = NULL;
	buf_free(&w->items);
	free(w);
}

/* Answers a parked request with what it has (maybe nothing) and lets http.c write it. */
static void
events_poll_answer(struct events_wait *w)
{
	struct request *req = w->req;

	metrics_events_delivered((uint64_t)w->nitems);
	events_poll_reply(req, &w->items, w->next_id);
	events_poll_drop(w);
	lws_callback_on_writable(req->wsi);
}

static void
events_poll_timeout(lws_sorted_usec_list_t *sul)
{
	events_poll_answer(lws_container_of(sul, struct events_wait, sul));
}

/* Loop: http.c hands the parked request over (start), or says its client left. */
static void
events_poll_parked(struct request *req, bool start)
{
	struct events_wait *w = req->parked_data;

	if (w == NULL)
		return;
	if (!start) {
		events_poll_drop(w);
		return;
	}
	/* Events fanned out since the read are in the ring; when it has lost some, answer now. */
	if (!events_hub_since(w->count, &w->who, &w->cursor, w->limit - w->nitems,
	    events_poll_add, w) ||
	    w->nitems > 0 || http_stopping) {
		events_poll_answer(w);
		return;
	}
	if ((w->next = waiters) != NULL)
		waiters->prev = w;
	waiters = w;
	w->linked = true;
	log_debug("events: long poll parked for %llds after id %lld", (long long)w->wait_s,
	    (long long)w->cursor);
	lws_sul_schedule(events_hub_context(), 0, &w->sul, events_poll_timeout,
	    w->wait_s * LWS_US_PER_SEC);
	/* lws would drop a request left unanswered for timeout_secs: we answer before this. */
	lws_set_timeout(req->wsi, PENDING_TIMEOUT_USER_OK, (int)w->wait_s + 30);
}

void
events_poll_fanout(struct events_ev *ev)
{
	struct events_wait *w;
	struct events_frame *f;

	for (w = waiters; w; w = w->next) {
		if (ev->id <= w->cursor || w->nitems >= w->limit)
			continue;
		w->cursor = ev->id;
		if ((f = events_frame_for(ev, &w->who)) != NULL)
			events_poll_add(w, f);
	}
}

void
events_poll_flush(void)
{
	struct events_wait *w, *next;

	for (w = waiters; w; w = next) {
		next = w->next;
		if (w->nitems > 0)
			events_poll_answer(w);
	}
}

void
events_poll_stop(void)
{
	while (waiters)
		events_poll_answer(waiters);
}

/* Reads a page or a few after since. Returns -1 after replying with an error. */
static int
events_poll_read(struct request *req, struct db *db, struct events_wait *w, bool *more)
{
	struct db_events_log_page pg;
	struct events_ev *ev;
	struct events_frame *f;
	int pages = 0;

	do {
		if (db_events_log_fetch(db, w->cursor, &w->who, (int)w->limit, &pg) != 0)
			return -1; /* route_run answers 503 for a lost database */
		if (pg.resync) {
			reply_error(req, 409, "resync_required",
			    "since is older than the retention (or unknown): reload, then poll without since");
			return -1;
		}
		for (ev = pg.list; ev; ev = ev->next)
			if ((f = events_frame_for(ev, &w->who)) != NULL)
				events_poll_add(w, f);
		w->cursor = pg.last;
		*more = pg.full;
		db_events_log_page_free(&pg);
	} while (w->nitems == 0 && *more && ++pages < POLL_SCAN_PAGES);
	return 0;
}

void
events_poll_route(struct request *req, struct db *db)
{
	struct events_wait *w;
	int64_t since, head;
	bool ready, more = false;

	w = xcalloc(1, sizeof *w);
	w->req = req;
	if (req_arg_int(req, "since", -1, 0, INT64_MAX, &since) != 0 ||
	    req_arg_int(req, "wait", 0, 0, POLL_WAIT_MAX, &w->wait_s) != 0 ||
	    req_arg_int(req, "limit", 50, 1, 200, &w->limit) != 0)
		goto done;
	events_viewer_of(&req->user, &w->who);
	events_hub_mark(&w->count, &head, &ready);
	if (!ready) {
		reply_error(req, 503, "database_unavailable", "the event log is not reachable yet");
		goto done;
	}
	/* Without since: from the stream's current end, so the answer is a cursor to start from. */
	w->cursor = since;
	if (events_poll_read(req, db, w, &more) != 0)
		goto done;
	if (since < 0)
		w->next_id = w->cursor;
	else if (w->nitems == 0)
		w->next_id = since;
	if (w->nitems > 0 || w->wait_s == 0 || more) {
		metrics_events_delivered((uint64_t)w->nitems);
		events_poll_reply(req, &w->items, w->next_id);
		goto done;
	}
	/* Nothing yet: wait on the loop, not on this thread. */
	req->parked = events_poll_parked;
	req->parked_data = w;
	return;
done:
	buf_free(&w->items);
	free(w);
}
