/*
 * events-ws.c -- GET /api/v1/events as a WebSocket: one subscriber per
 * socket, on the loop. A subscriber authenticates and replays the log after
 * `since` through pool jobs (never reading the database on the loop), then
 * takes live events from the fan-out (events-hub.c). Frames wait in a
 * per-subscriber queue of at most cfg.event_queue; past it the subscriber is
 * cut off with WS_CLOSE_TOO_SLOW and resumes with `since`.
 *
 * The hand-over from replay to live: a fetch notes the hub's fan-out count
 * before it reads the log; whatever was fanned out after that is still in the
 * hub's ring, so the subscriber takes from the ring every event newer than the
 * last one it read, and goes live. Events that are not yet in the log then
 * reach it through the fan-out. If the ring has moved on, it reads again.
 */
#include "foliod.h"

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define WS_REPLAY_BATCH 200
#define WS_CUT_GRACE_S 20      /* a cut-off subscriber has this long to take its close frame */
#define WS_CLOSE_TOO_MANY 4429 /* the user holds cfg.max_streams_per_user streams already */

enum sub_state { SUB_OPENING, SUB_REPLAY, SUB_LIVE, SUB_CLOSING };

struct events_sub {
	struct lws *wsi;             /* the socket; the subscriber goes with it (CLOSED) */
	struct events_sub *prev, *next;
	struct events_sub *fprev, *fnext; /* in its firm's bucket, once live */
	bool indexed;
	enum sub_state state;
	struct events_viewer who;
	int64_t session_id;          /* re-checked every event-ping-seconds */
	int64_t sent;                /* every event up to this id is queued, sent or not for us */
	struct events_frame **q;     /* ring of frames waiting for WRITEABLE */
	size_t qhead, qlen, qcap;
	struct events_fetch *job;    /* the fetch in flight */
	int close_code;
	const char *close_reason;
	char peer[64];
};

/* One read of the log for a subscriber, on a pool thread. */
struct events_fetch {
	struct job job;
	struct events_sub *sub;      /* NULL once the socket is gone: done() only frees */
	char *token, *view_as;       /* the first fetch authenticates */
	int64_t since;
	int limit;
	/* Results. */
	int status;                  /* 0, or the close code to use */
	struct events_viewer who;
	int64_t session_id;
	uint64_t count;              /* hub fan-out count before the read */
	struct db_events_log_page pg;
};

static struct events_sub *subs;
static size_t nsubs;
/*
 * Live streams by firm: a fan-out visits the streams of the event's firm (and
 * of the few firms that share its bucket), not every stream of the instance.
 */
#define FIRM_BUCKETS 1024
static struct events_sub *by_firm[FIRM_BUCKETS];

static size_t
events_ws_bucket(int64_t firm_id)
{
	return (size_t)(((uint64_t)firm_id * 0x9E3779B97F4A7C15ull) >> 54) % FIRM_BUCKETS;
}

static void
events_ws_index(struct events_sub *sub)
{
	struct events_sub **head = &by_firm[events_ws_bucket(sub->who.firm_id)];

	sub->fprev = NULL;
	if ((sub->fnext = *head) != NULL)
		(*head)->fprev = sub;
	*head = sub;
	sub->indexed = true;
}

static void
events_ws_unindex(struct events_sub *sub)
{
	if (!sub->indexed)
		return;
	if (sub->fprev)
		sub->fprev->fnext = sub->fnext;
	else
		by_firm[events_ws_bucket(sub->who.firm_id)] = sub->fnext;
	if (sub->fnext)
		sub->fnext->fprev = sub->fprev;
	sub->indexed = false;
}
static unsigned char *ws_scratch;
static size_t ws_scratch_cap;

static void events_ws_fetch(struct events_sub *sub, int64_t since, char *token, char *view_as);

static void
events_ws_close(struct events_sub *sub, int code, const char *reason)
{
	size_t i;

	if (sub->state == SUB_CLOSING)
		return;
	sub->state = SUB_CLOSING;
	sub->close_code = code;
	sub->close_reason = reason;
	for (i = 0; i < sub->qlen; i++)
		events_frame_unref(sub->q[(sub->qhead + i) % sub->qcap]);
	sub->qlen = 0;
	lws_callback_on_writable(sub->wsi);
}

/* Queues a frame. Past the queue limit the subscriber is cut off instead. */
static void
events_ws_enqueue(void *arg, struct events_frame *f)
{
	struct events_sub *sub = arg;
	struct events_frame **nq;
	size_t i;

	if (sub->state == SUB_CLOSING)
		return;
	if ((long)sub->qlen >= cfg.event_queue) {
		log_warn("events: cut off %s (user %lld): more than %ld events queued", sub->peer,
		    (long long)sub->who.user_id, cfg.event_queue);
		metrics_events_dropped(sub->qlen + 1);
		events_ws_close(sub, WS_CLOSE_TOO_SLOW, "too slow: resume with since");
		/* A stalled reader may never take the close frame: do not wait for ever. */
		lws_set_timeout(sub->wsi, PENDING_TIMEOUT_USER_OK, WS_CUT_GRACE_S);
		return;
	}
	if (sub->qlen == sub->qcap) {
		nq = xmalloc((sub->qcap ? sub->qcap * 2 : 16) * sizeof *nq);
		for (i = 0; i < sub->qlen; i++)
			nq[i] = sub->q[(sub->qhead + i) % sub->qcap];
		free(sub->q);
		sub->q = nq;
		sub->qhead = 0;
		sub->qcap = sub->qcap ? sub->qcap * 2 : 16;
	}
	f->refs++;
	sub->q[(sub->qhead + sub->qlen++) % sub->qcap] = f;
	if (sub->qlen == 1)
		lws_callback_on_writable(sub->wsi);
}

void
events_ws_fanout(struct events_ev *ev)
{
	struct events_sub *sub, *next;
	struct events_frame *f;

	for (sub = by_firm[events_ws_bucket(ev->firm_id)]; sub; sub = next) {
		next = sub->fnext;
		if (sub->state != SUB_LIVE || ev->id <= sub->sent)
			continue;
		sub->sent = ev->id;
		if ((f = events_frame_for(ev, &sub->who)) != NULL)
			events_ws_enqueue(sub, f);
	}
}

/* Pool thread: authenticate (first time), then read the log after since. */
static void
events_ws_fetch_run(struct job *job, struct db *db)
{
	struct events_fetch *fx = (struct events_fetch *)job;
	struct request req;
	struct query_arg arg;
	int64_t head;
	bool ready;

	if (db->broken) {
		fx->status = WS_CLOSE_TRY_AGAIN;
		return;
	}
	if (fx->token) {
		memset(&req, 0, sizeof req);
		req.authorization = fx->token;
		if (fx->view_as) {
			arg.key = (char *)"view_as_account";
			arg.value = fx->view_as;
			req.args = &arg;
			req.nargs = 1;
		}
		if (auth_resolve(&req, db) != 0)
			fx->status = db->broken ? WS_CLOSE_TRY_AGAIN :
			    req.status == 401 ? WS_CLOSE_UNAUTHORIZED : WS_CLOSE_FORBIDDEN;
		else {
			events_viewer_of(&req.user, &fx->who);
			fx->session_id = req.user.session_id;
		}
		free(req.user.name);
		free(req.user.email);
		buf_free(&req.out);
		if (fx->status)
			return;
	}
	events_hub_mark(&fx->count, &head, &ready);
	if (!ready) {
		fx->status = WS_CLOSE_TRY_AGAIN;
		return;
	}
	if (db_events_log_fetch(db, fx->since, &fx->who, fx->limit, &fx->pg) != 0)
		fx->status = WS_CLOSE_TRY_AGAIN;
	else if (fx->pg.resync)
		fx->status = WS_CLOSE_RESYNC;
}

static void
events_ws_fetch_free(struct events_fetch *fx)
{
	db_events_log_page_free(&fx->pg);
	free(fx->token);
	free(fx->view_as);
	free(fx);
}

static const char *
events_ws_close_text(int code)
{
	switch (code) {
	case WS_CLOSE_UNAUTHORIZED:
		return "unauthorized: log in again";
	case WS_CLOSE_FORBIDDEN:
		return "forbidden";
	case WS_CLOSE_RESYNC:
		return "resync required: since is older than the retention";
	default:
		return "database unavailable: try again";
	}
}

/*
 * Whether the user behind who already holds the most streams allowed (those
 * past authentication; ones closing do not count). A linear walk: it runs
 * once per new socket, and the loop holds a few thousand at most.
 */
static bool
events_ws_over_cap(const struct events_viewer *who)
{
	struct events_sub *sub;
	long n = 0;

	if (who->user_id == 0) /* staff viewing as a client: counted as themselves elsewhere */
		return false;
	for (sub = subs; sub; sub = sub->next)
		if (sub->state != SUB_OPENING && sub->state != SUB_CLOSING &&
		    sub->who.user_id == who->user_id && sub->who.staff == who->staff)
			n++;
	return n >= cfg.max_streams_per_user;
}

/* Loop: a fetch came back. Queue what it read, then read on, or go live. */
static void
events_ws_fetched(struct job *job)
{
	struct events_fetch *fx = (struct events_fetch *)job;
	struct events_sub *sub = fx->sub;
	struct events_ev *ev;
	struct events_frame *f;

	if (sub == NULL || sub->state == SUB_CLOSING) {
		if (sub)
			sub->job = NULL;
		events_ws_fetch_free(fx);
		return;
	}
	sub->job = NULL;
	if (fx->status) {
		events_ws_close(sub, fx->status, events_ws_close_text(fx->status));
		events_ws_fetch_free(fx);
		return;
	}
	if (sub->state == SUB_OPENING && events_ws_over_cap(&fx->who)) {
		log_warn("events: refused %s: user %lld holds %ld streams", sub->peer,
		    (long long)fx->who.user_id, cfg.max_streams_per_user);
		events_ws_close(sub, WS_CLOSE_TOO_MANY, "too many event streams for this user");
		events_ws_fetch_free(fx);
		return;
	}
	if (sub->state == SUB_OPENING) {
		sub->who = fx->who;
		sub->session_id = fx->session_id;
		sub->sent = fx->since;
		sub->state = SUB_REPLAY;
	}
	for (ev = fx->pg.list; ev; ev = ev->next)
		if (ev->id > sub->sent && (f = events_frame_for(ev, &sub->who)) != NULL)
			events_ws_enqueue(sub, f);
	if (fx->pg.last > sub->sent)
		sub->sent = fx->pg.last;
	if (sub->state == SUB_REPLAY && !fx->pg.full &&
	    events_hub_since(fx->count, &sub->who, &sub->sent, INT64_MAX,
	    events_ws_enqueue, sub)) {
		sub->state = SUB_LIVE;
		events_ws_index(sub);
		log_debug("events: %s live after id %lld", sub->peer, (long long)sub->sent);
	}
	events_ws_fetch_free(fx);
	/* Read on only while the queue has room for a whole batch. */
	if (sub->state == SUB_REPLAY && (long)sub->qlen <= cfg.event_queue / 2)
		events_ws_fetch(sub, sub->sent, NULL, NULL);
}

static int
events_ws_batch(void)
{
	long n = cfg.event_queue / 2;

	return n < 1 ? 1 : n > WS_REPLAY_BATCH ? WS_REPLAY_BATCH : (int)n;
}

/* Reads the log after since on a pool thread; with a token (taken over), authenticates first. */
static void
events_ws_fetch(struct events_sub *sub, int64_t since, char *token, char *view_as)
{
	struct events_fetch *fx = xcalloc(1, sizeof *fx);

	fx->token = token;
	fx->view_as = view_as;
	fx->sub = sub;
	fx->since = since;
	fx->who = sub->who;
	fx->limit = events_ws_batch();
	fx->job.run = events_ws_fetch_run;
	fx->job.done = events_ws_fetched;
	sub->job = fx;
	pool_submit(&fx->job);
}

/* A copy of a query argument, or NULL. Caller frees. */
static char *
events_ws_arg(struct lws *wsi, const char *name)
{
	char buf[512];
	const char *v = lws_get_urlarg_by_name(wsi, name, buf, sizeof buf);

	return v ? xstrdup(v) : NULL;
}

static char *
events_ws_token(struct lws *wsi)
{
	char buf[512];
	int n = lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_AUTHORIZATION);

	if (n > 7 && strncasecmp(buf, "Bearer ", 7) == 0)
		return xstrdup(buf + 7);
	return events_ws_arg(wsi, "access_token=");
}

/* "address:port" of the peer, for the log. */
static void
events_ws_peer(struct lws *wsi, char *out, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char ip[48];
	int port = 0;

	lws_get_peer_simple(wsi, ip, sizeof ip);
	if (getpeername(lws_get_socket_fd(wsi), (struct sockaddr *)&ss, &sl) == 0)
		port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	snprintf(out, len, "%s:%d", ip, port);
}

/* A new socket: read since and the token, then authenticate on a pool thread. */
static void
events_ws_open(struct lws *wsi)
{
	struct events_sub *sub = xcalloc(1, sizeof *sub);
	char *since = events_ws_arg(wsi, "since="), *end, *token;
	long long v = 0;
	uint64_t count;
	int64_t head;
	bool ready;

	sub->wsi = wsi;
	events_ws_peer(wsi, sub->peer, sizeof sub->peer);
	lws_set_opaque_user_data(wsi, sub);
	if ((sub->next = subs) != NULL)
		subs->prev = sub;
	subs = sub;
	nsubs++;
	if (since && *since)
		v = strtoll(since, &end, 10);
	if (since && (*since == '\0' || *end != '\0' || v < 0)) {
		free(since);
		events_ws_close(sub, WS_CLOSE_BAD_REQUEST, "since must be an event id");
		return;
	}
	if (http_stopping) {
		free(since);
		events_ws_close(sub, WS_CLOSE_GOING_AWAY, "server shutting down");
		return;
	}
	/* Without since: every event after this moment, i.e. after the last one fanned out. */
	events_hub_mark(&count, &head, &ready);
	if (!ready) {
		free(since);
		events_ws_close(sub, WS_CLOSE_TRY_AGAIN, "database unavailable: try again");
		return;
	}
	if ((token = events_ws_token(wsi)) == NULL)
		token = xstrdup("");
	events_ws_fetch(sub, since ? v : head, token, events_ws_arg(wsi, "view_as_account="));
	free(since);
}

static int
events_ws_write(struct events_sub *sub)
{
	struct events_frame *f;
	size_t len;
	int n;

	if (sub->state == SUB_CLOSING) {
		lws_close_reason(sub->wsi, (enum lws_close_status)sub->close_code,
		    (unsigned char *)sub->close_reason, strlen(sub->close_reason));
		return -1;
	}
	if (sub->qlen == 0)
		return 0;
	f = sub->q[sub->qhead];
	sub->qhead = (sub->qhead + 1) % sub->qcap;
	sub->qlen--;
	if (ws_scratch_cap < LWS_PRE + f->len) {
		free(ws_scratch);
		ws_scratch_cap = LWS_PRE + f->len + 4096;
		ws_scratch = xmalloc(ws_scratch_cap);
	}
	len = f->len;
	memcpy(ws_scratch + LWS_PRE, f->text, len);
	events_frame_unref(f);
	/* lws keeps what the socket did not take and holds WRITEABLE back until it is out. */
	if ((n = lws_write(sub->wsi, ws_scratch + LWS_PRE, len, LWS_WRITE_TEXT)) < 0)
		return -1;
	metrics_events_delivered(1);
	if (sub->qlen)
		lws_callback_on_writable(sub->wsi);
	if (sub->state == SUB_REPLAY && sub->job == NULL && (long)sub->qlen <= cfg.event_queue / 2)
		events_ws_fetch(sub, sub->sent, NULL, NULL);
	return 0;
}

static void
events_ws_gone(struct events_sub *sub)
{
	size_t i;

	if (sub->job)
		sub->job->sub = NULL; /* its done() frees it */
	for (i = 0; i < sub->qlen; i++)
		events_frame_unref(sub->q[(sub->qhead + i) % sub->qcap]);
	free(sub->q);
	events_ws_unindex(sub);
	if (sub->prev)
		sub->prev->next = sub->next;
	else
		subs = sub->next;
	if (sub->next)
		sub->next->prev = sub->prev;
	nsubs--;
	log_debug("events: %s closed after id %lld", sub->peer, (long long)sub->sent);
	free(sub);
}

/* Only the event stream upgrades to a WebSocket. */
static bool
events_ws_path_ok(struct lws *wsi)
{
	char uri[128];
	int n = lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);

	return n > 0 && (strcmp(uri, FOLIO_API_PREFIX "/events") == 0 ||
			    strcmp(uri, FOLIO_API_PREFIX "/events/") == 0);
}

int
events_ws_callback(struct lws *wsi, int reason, void *user, void *in, size_t len)
{
	struct events_sub *sub = wsi ? lws_get_opaque_user_data(wsi) : NULL;

	(void)user, (void)in, (void)len;
	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return events_ws_path_ok(wsi) ? 0 : -1;
	case LWS_CALLBACK_ESTABLISHED:
		events_ws_open(wsi);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return sub ? events_ws_write(sub) : 0;
	case LWS_CALLBACK_RECEIVE:
		/*
		 * Clients have nothing to say; pongs are handled by lws, and so is
		 * a text frame that is not UTF-8 (LWS_SERVER_OPTION_VALIDATE_UTF8
		 * closes it with 1007 before it gets here).
		 */
		return 0;
	case LWS_CALLBACK_CLOSED:
		if (sub) {
			lws_set_opaque_user_data(wsi, NULL);
			events_ws_gone(sub);
		}
		return 0;
	default:
		return 0;
	}
}

/*
 * Sessions end (logout, expiry, a contact losing portal access) while their
 * streams are open: every event-ping-seconds one query checks the sessions of
 * all open streams, and the streams of those that ended close with 4401.
 */
struct events_recheck {
	struct job job;
	int64_t *asked, *valid;      /* sorted session ids */
	size_t nasked, nvalid;
	int rc;
};

static lws_sorted_usec_list_t ws_recheck_sul;
static bool ws_recheck_busy;

static int
events_ws_cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static bool
events_ws_has_id(const int64_t *ids, size_t n, int64_t id)
{
	return n && bsearch(&id, ids, n, sizeof *ids, events_ws_cmp_id) != NULL;
}

static void
events_ws_recheck_run(struct job *job, struct db *db)
{
	struct events_recheck *rc = (struct events_recheck *)job;

	rc->rc = db->broken ? -1 : db_events_log_sessions_valid(db, rc->asked, rc->nasked, &rc->valid,
	    &rc->nvalid);
}

static void
events_ws_recheck_done(struct job *job)
{
	struct events_recheck *rc = (struct events_recheck *)job;
	struct events_sub *sub;

	ws_recheck_busy = false;
	if (rc->rc == 0 && !http_stopping)
		for (sub = subs; sub; sub = sub->next)
			if (events_ws_has_id(rc->asked, rc->nasked, sub->session_id) &&
			    !events_ws_has_id(rc->valid, rc->nvalid, sub->session_id))
				events_ws_close(sub, WS_CLOSE_UNAUTHORIZED, "the session has ended");
	free(rc->asked);
	free(rc->valid);
	free(rc);
}

static void
events_ws_recheck(lws_sorted_usec_list_t *sul)
{
	struct events_recheck *rc;
	struct events_sub *sub;
	size_t n = 0;

	lws_sul_schedule(events_hub_context(), 0, sul, events_ws_recheck,
	    cfg.event_ping * LWS_US_PER_SEC);
	if (ws_recheck_busy || nsubs == 0)
		return;
	rc = xcalloc(1, sizeof *rc);
	rc->asked = xmalloc(nsubs * sizeof *rc->asked);
	for (sub = subs; sub; sub = sub->next)
		if (sub->session_id > 0 && sub->state != SUB_CLOSING)
			rc->asked[n++] = sub->session_id;
	qsort(rc->asked, n, sizeof *rc->asked, events_ws_cmp_id);
	rc->nasked = n;
	rc->job.run = events_ws_recheck_run;
	rc->job.done = events_ws_recheck_done;
	ws_recheck_busy = true;
	pool_submit(&rc->job);
}

void
events_ws_start(void)
{
	lws_sul_schedule(events_hub_context(), 0, &ws_recheck_sul, events_ws_recheck,
	    cfg.event_ping * LWS_US_PER_SEC);
}

void
events_ws_stop(void)
{
	struct events_sub *sub;

	lws_sul_cancel(&ws_recheck_sul);

	for (sub = subs; sub; sub = sub->next)
		events_ws_close(sub, WS_CLOSE_GOING_AWAY, "server shutting down");
	free(ws_scratch);
	ws_scratch = NULL;
	ws_scratch_cap = 0;
}

size_t
events_ws_count(void)
{
	return nsubs;
}
