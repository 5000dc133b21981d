/*
 * events-hub.c -- one instance's view of the event log, on the loop: events
 * and their frames (shared, reference-counted), who may see what, the ring of
 * recently fanned-out events, and the fan-out itself to the WebSocket streams
 * (events-ws.c) and the parked long polls (events-poll.c). It also wires the
 * event stream into the server: protocol, start and stop hooks.
 *
 * Threads: the listener (events-listen.c) hands batches over through a locked
 * queue and wakes the loop; everything else here runs on the loop, except
 * events_hub_mark(), events_frame_for() and the event constructors, which pool
 * threads use on objects they own.
 */
#include "foliod.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Events kept after their fan-out, so a stream that has just read the log can see what it missed. */
#define HUB_RING 2048

static struct {
	pthread_mutex_t mu;          /* guards count, head, ready and the inbox */
	uint64_t count;              /* events fanned out since start */
	int64_t head;                /* the id of the last one */
	bool ready;
	struct events_ev *inbox, **inbox_tail;
	size_t inbox_len;

	/* Loop only. */
	struct events_ev *ring[HUB_RING];
	uint64_t ring_first;         /* count of the oldest event in the ring (1-based) */
	size_t ring_len;
	struct lws_context *ctx;
} hub = { PTHREAD_MUTEX_INITIALIZER, 0, 0, false, NULL, NULL, 0, { NULL }, 1, 0, NULL };

struct events_ev *
events_ev_new(void)
{
	struct events_ev *ev = xcalloc(1, sizeof *ev);

	ev->refs = 1;
	return ev;
}

void
events_ev_unref(struct events_ev *ev)
{
	int i;

	if (ev == NULL || --ev->refs > 0)
		return;
	for (i = 0; i < EV_AUDIENCES; i++) {
		free(ev->payload[i]);
		events_frame_unref(ev->frame[i]);
	}
	free(ev);
}

void
events_frame_unref(struct events_frame *f)
{
	if (f != NULL && --f->refs == 0)
		free(f);
}

/* {"id":N,"type":"T", then the payload's members. */
static struct events_frame *
events_frame_build(const struct events_ev *ev, const char *payload)
{
	struct buf b = BUF_INIT;
	struct events_frame *f;
	const char *p = payload;

	buf_printf(&b, "{\"id\":%lld,\"type\":\"%s\"", (long long)ev->id, ev->type);
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	if (*p == '{')
		p++;
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	if (*p != '}' && *p != '\0')
		buf_putc(&b, ',');
	buf_puts(&b, *p ? p : "}");
	f = xmalloc(sizeof *f + b.len + 1);
	f->refs = 1;
	f->id = ev->id;
	f->len = b.len;
	memcpy(f->text, b.data, b.len + 1);
	buf_free(&b);
	return f;
}

void
events_viewer_of(const struct principal *u, struct events_viewer *v)
{
	v->firm_id = u->firm_id;
	v->staff = u->kind == USER_STAFF;
	v->account_id = v->staff ? 0 : u->account_id;
	/* Staff viewing as a client see what the account sees: nothing addressed to them. */
	v->user_id = u->view_as_account > 0 ? 0 : u->id;
}

/*
 * The one visibility rule of the stream. Nobody sees another firm; an event
 * addressed to a user reaches only that user; a contact (or staff viewing as
 * one) sees only its account's events that are not staff-only.
 */
static int
events_audience(const struct events_ev *ev, const struct events_viewer *v)
{
	if (ev->firm_id != v->firm_id)
		return -1;
	if (ev->user_id > 0 && ev->user_id != v->user_id)
		return -1;
	if (!v->staff) {
		if (ev->staff_only)
			return -1;
		if (ev->user_id == 0 && (ev->account_id <= 0 || ev->account_id != v->account_id))
			return -1;
	}
	if (ev->actor_id > 0 && ev->actor_id == v->user_id && ev->payload[EV_ACTOR])
		return EV_ACTOR;
	if (!v->staff && ev->payload[EV_CONTACT])
		return EV_CONTACT;
	return EV_STAFF;
}

struct events_frame *
events_frame_for(struct events_ev *ev, const struct events_viewer *v)
{
	int a = events_audience(ev, v);

	if (a < 0)
		return NULL;
	if (ev->frame[a] == NULL)
		ev->frame[a] = events_frame_build(ev, ev->payload[a]);
	return ev->frame[a];
}

void
events_hub_mark(uint64_t *count, int64_t *head, bool *ready)
{
	pthread_mutex_lock(&hub.mu);
	*count = hub.count;
	*head = hub.head;
	*ready = hub.ready;
	pthread_mutex_unlock(&hub.mu);
}

void
events_hub_set_head(int64_t head)
{
	pthread_mutex_lock(&hub.mu);
	if (!hub.ready) {
		hub.head = head;
		hub.ready = true;
	}
	pthread_mutex_unlock(&hub.mu);
}

size_t
events_hub_push(struct events_ev *list)
{
	struct events_ev *last = list;
	size_t n = list ? 1 : 0, pending;

	while (last && last->next) {
		last = last->next;
		n++;
	}
	pthread_mutex_lock(&hub.mu);
	if (list) {
		*hub.inbox_tail = list;
		hub.inbox_tail = &last->next;
		hub.inbox_len += n;
	}
	pending = hub.inbox_len;
	pthread_mutex_unlock(&hub.mu);
	if (list && hub.ctx)
		lws_cancel_service(hub.ctx);
	return pending;
}

static void
events_hub_ring_add(struct events_ev *ev)
{
	if (hub.ring_len == HUB_RING) {
		events_ev_unref(hub.ring[(hub.ring_first - 1) % HUB_RING]);
		hub.ring_first++;
		hub.ring_len--;
	}
	ev->refs++;
	hub.ring[(hub.ring_first - 1 + hub.ring_len) % HUB_RING] = ev;
	hub.ring_len++;
}

bool
events_hub_since(uint64_t count, const struct events_viewer *v, int64_t *cursor, int64_t max,
    void (*add)(void *arg, struct events_frame *f), void *arg)
{
	uint64_t c;
	struct events_ev *ev;
	struct events_frame *f;
	int64_t n = 0;

	if (hub.count > count && hub.ring_first > count + 1)
		return false; /* the ring has dropped some of them */
	for (c = count + 1; c <= hub.count && n < max; c++) {
		ev = hub.ring[(c - 1) % HUB_RING];
		if (ev->id <= *cursor)
			continue;
		*cursor = ev->id;
		if ((f = events_frame_for(ev, v)) != NULL) {
			add(arg, f);
			n++;
		}
	}
	return true;
}

/* Runs on the loop when the listener has handed over events: fan them out in id order. */
static void
events_hub_drain(void)
{
	struct events_ev *list, *ev;
	int n = 0;

	pthread_mutex_lock(&hub.mu);
	list = hub.inbox;
	hub.inbox = NULL;
	hub.inbox_tail = &hub.inbox;
	hub.inbox_len = 0;
	pthread_mutex_unlock(&hub.mu);
	while ((ev = list) != NULL) {
		list = ev->next;
		ev->next = NULL;
		if (ev->id > hub.head) {
			events_hub_ring_add(ev);
			pthread_mutex_lock(&hub.mu);
			hub.count++;
			hub.head = ev->id;
			pthread_mutex_unlock(&hub.mu);
			events_ws_fanout(ev);
			events_poll_fanout(ev);
			n++;
		}
		events_ev_unref(ev);
	}
	if (n)
		events_poll_flush();
}

static int
events_hub_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
    size_t len)
{
	if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
		events_hub_drain();
		return 0;
	}
	return events_ws_callback(wsi, reason, user, in, len);
}

/* Clients may ask for this subprotocol, or for none (man folio-api(7), EVENTS). */
const struct lws_protocols events_protocol = {
	"folio-events", events_hub_callback, 0, 0, 0, NULL, 0,
};

const struct lws_retry_bo *
events_idle_policy(void)
{
	/* Pings after this much silence; hangs up when the pong does not come. */
	static lws_retry_bo_t policy;

	policy.secs_since_valid_ping = (uint16_t)cfg.event_ping;
	policy.secs_since_valid_hangup =
	    (uint16_t)(cfg.event_ping + (cfg.event_ping / 2 > 5 ? cfg.event_ping / 2 : 5));
	return &policy;
}

void
events_hub_start(struct lws_context *ctx)
{
	struct db db = { 0 };
	int64_t head = -1;

	hub.ctx = ctx;
	hub.inbox_tail = &hub.inbox;
	/* Streams start after the log's current end; until it is known they wait. */
	if (db_connect(&db) == 0)
		head = db_events_log_head(&db);
	db_close(&db);
	if (head >= 0)
		events_hub_set_head(head);
	else
		log_warn("events: the log's end is unknown until the database answers");
	events_seq_start();
	events_listen_start(head);
	events_ws_start();
}

void
events_hub_stop(struct lws_context *ctx)
{
	struct events_ev *ev;

	log_info("events: closing %zu streams", events_ws_count());
	events_ws_stop();
	events_poll_stop();
	events_listen_stop();
	events_seq_stop();
	while (hub.ring_len) {
		events_ev_unref(hub.ring[(hub.ring_first - 1) % HUB_RING]);
		hub.ring_first++;
		hub.ring_len--;
	}
	pthread_mutex_lock(&hub.mu);
	while ((ev = hub.inbox) != NULL) {
		hub.inbox = ev->next;
		events_ev_unref(ev);
	}
	hub.inbox_tail = &hub.inbox;
	hub.inbox_len = 0;
	pthread_mutex_unlock(&hub.mu);
	(void)ctx;
}

struct lws_context *
events_hub_context(void)
{
	return hub.ctx;
}
