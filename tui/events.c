/*
 * events.c -- the event stream: a libwebsockets client on a thread of its
 * own, reading `GET /api/v1/events` frames and handing them to the UI as
 * JOB_EVENT jobs (net_deliver). It keeps the last event id it saw and
 * reconnects with `since` after a backoff, so nothing is missed and nothing
 * is seen twice. When the server has no event endpoint (yet), it keeps
 * retrying quietly; the rest of the client works without it. When the
 * server answers HTTP but will not upgrade (a proxy in the way), it hands
 * over to long polling (events-poll.c) for the rest of the session.
 */
#include "folio.h"
#include "log.h"
#include "mem.h"
#include "proto.h"

#include <libwebsockets.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define EVENTS_MAX_FRAME (16u << 20)
#define EVENTS_BACKOFF_MIN_MS 500
#define EVENTS_BACKOFF_MAX_MS 30000
#define EVENTS_REPLAY_WINDOW_MS 1500
#define EVENTS_HS_FAILURES 2    /* refused upgrades in a row before polling instead */

static struct {
	pthread_t thread;
	bool running;
	atomic_bool stopping, kick;
	struct lws_context *ctx;
	struct lws *wsi;
	lws_sorted_usec_list_t sul;
	char *token;
	char host[256];
	char prefix[256];
	int port;
	bool ssl;
	int64_t since;
	bool resumed;
	int64_t up_ms;
	int backoff_ms;
	int close_code;
	struct buf rx;
	enum events_mode mode;
	int hs_failures;
	atomic_bool polling;  /* set once, by either thread, before polling starts */
	bool ws;              /* the lws thread runs */
	long verify_error;    /* why OpenSSL refused the server's certificate; 0: it did not */
	char *server;
} ev;

static void events_connect(lws_sorted_usec_list_t *sul);

void
events_state(enum stream_state state, int64_t detail, const char *why)
{
	net_deliver(api_stream(state, detail, why));
}

static void
events_retry(void)
{
	int ms = ev.backoff_ms;

	ev.wsi = NULL;
	if (atomic_load(&ev.stopping) || atomic_load(&ev.polling))
		return;
	ev.backoff_ms = ev.backoff_ms * 2 > EVENTS_BACKOFF_MAX_MS ? EVENTS_BACKOFF_MAX_MS
								   : ev.backoff_ms * 2;
	lws_sul_schedule(ev.ctx, 0, &ev.sul, events_connect, (lws_usec_t)ms * 1000);
}

void
events_deliver(const char *text, size_t len, bool replayed)
{
	net_deliver(api_event(text, len, replayed));
}

/* A whole frame arrived: note its id, hand it on. */
static void
events_frame(void)
{
	struct json_object *o = json_tokener_parse(buf_str(&ev.rx));
	struct json_object *id;

	if (o != NULL && json_object_object_get_ex(o, "id", &id) &&
	    json_object_is_type(id, json_type_int) && json_object_get_int64(id) > ev.since)
		ev.since = json_object_get_int64(id);
	json_object_put(o);
	events_deliver(buf_str(&ev.rx), ev.rx.len, ev.resumed &&
	    ui_now_ms() - ev.up_ms < EVENTS_REPLAY_WINDOW_MS);
	buf_reset(&ev.rx);
}

/*
 * The upgrade failed. "HS: ..." means an HTTP server answered but would not
 * speak WebSocket: after a few of those in a row, automatic mode polls.
 */
static void
events_failed(const char *why)
{
	char *untrusted = NULL;
	long verr = ev.verify_error;

	ev.hs_failures = strncmp(why, "HS:", 3) == 0 ? ev.hs_failures + 1 : 0;
	if (ev.mode == EVENTS_AUTO && ev.hs_failures >= EVENTS_HS_FAILURES) {
		atomic_store(&ev.polling, true);
		events_poll_start(ev.server, ev.token, ev.since);
		return;
	}
	/* lws only says "SSL err": name the verification failure as http.c does for https://. */
	if (verr != X509_V_OK)
		untrusted = http_untrusted(ev.server, X509_verify_cert_error_string(verr));
	events_state(STREAM_DOWN, 0, untrusted ? untrusted : why);
	free(untrusted);
	events_retry();
}

static void
events_closed_by_peer(const unsigned char *in, size_t len)
{
	ev.close_code = len >= 2 ? (in[0] << 8 | in[1]) : 0;
	if (ev.close_code == WS_CLOSE_RESYNC) {
		/* Our since is older than the log: start live and let the UI refetch. */
		ev.since = 0;
		events_state(STREAM_RESYNC, 0, "resync required");
	} else if (ev.close_code == WS_CLOSE_UNAUTHORIZED) {
		events_state(STREAM_UNAUTHORIZED, 0, "session no longer valid");
	}
}

static int
events_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
    size_t len)
{
	unsigned char **p, *end;
	char auth[600];

	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		p = (unsigned char **)in;
		end = *p + len;
		snprintf(auth, sizeof auth, "Bearer %s", ev.token);
		if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
		    (unsigned char *)auth, (int)strlen(auth), p, end))
			return -1;
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		ev.backoff_ms = EVENTS_BACKOFF_MIN_MS;
		ev.up_ms = ui_now_ms();
		ev.close_code = 0;
		ev.hs_failures = 0;
		buf_reset(&ev.rx);
		events_state(STREAM_UP, ev.resumed, NULL);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (ev.rx.len + len > EVENTS_MAX_FRAME)
			return -1; /* a frame this big is not ours: drop the connection */
		buf_append(&ev.rx, in, len);
		if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0)
			events_frame();
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		events_closed_by_peer(in, len);
		break;
	case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
		/* user: the X509_STORE_CTX; len: OpenSSL's verdict, which 0 leaves standing. */
		if (len == 0 && ev.verify_error == X509_V_OK)
			ev.verify_error = X509_STORE_CTX_get_error(user);
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		ev.wsi = NULL;
		events_failed(in ? (const char *)in : "cannot connect");
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		events_state(STREAM_DOWN, ev.close_code, "connection closed");
		events_retry();
		break;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (atomic_exchange(&ev.kick, false) && ev.wsi == NULL &&
		    !atomic_load(&ev.stopping) && !atomic_load(&ev.polling)) {
			ev.backoff_ms = EVENTS_BACKOFF_MIN_MS;
			lws_sul_schedule(ev.ctx, 0, &ev.sul, events_connect, 1);
		}
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols events_protocols[] = {
	{ "folio-events", events_callback, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* Pings an idle connection and hangs up a half-open one. */
static const lws_retry_bo_t events_idle = {
	.secs_since_valid_ping = 30,
	.secs_since_valid_hangup = 70,
};

static void
events_connect(lws_sorted_usec_list_t *sul)
{
	struct lws_client_connect_info ci;
	char path[512];

	if (ev.wsi != NULL || atomic_load(&ev.stopping) || atomic_load(&ev.polling))
		return;
	ev.resumed = ev.since > 0;
	ev.verify_error = X509_V_OK;
	if (ev.since > 0)
		snprintf(path, sizeof path, "%s/api/v1/events?since=%lld", ev.prefix, (long long)ev.since);
	else
		snprintf(path, sizeof path, "%s/api/v1/events", ev.prefix);
	memset(&ci, 0, sizeof ci);
	ci.context = ev.ctx;
	ci.address = ev.host;
	ci.port = ev.port;
	ci.host = ev.host;
	ci.origin = NULL; /* not a browser: foliod lets a WebSocket without Origin in */
	ci.path = path;
	ci.ssl_connection = ev.ssl ? LCCSCF_USE_SSL : 0;
	ci.protocol = NULL;
	ci.local_protocol_name = "folio-events";
	ci.retry_and_idle_policy = &events_idle;
	ci.pwsi = &ev.wsi;
	events_state(STREAM_CONNECTING, 0, NULL);
	if (lws_client_connect_via_info(&ci) == NULL)
		events_retry();
}

static void
events_log(int level, const char *line)
{
	log_debug("lws: %.*s", (int)strcspn(line, "\n"), line);
}

static void *
events_main(void *arg)
{
	lws_sul_schedule(ev.ctx, 0, &ev.sul, events_connect, 1);
	while (!atomic_load(&ev.stopping))
		if (lws_service(ev.ctx, 0) < 0)
			break;
	lws_context_destroy(ev.ctx);
	ev.ctx = NULL;
	return NULL;
}

/* Splits the server URL into host, port, TLS and path prefix. */
static int
events_parse_url(const char *server)
{
	char *copy = xstrdup(server);
	const char *prot, *ads, *path;
	size_t n;

	if (lws_parse_uri(copy, &prot, &ads, &ev.port, &path) != 0) {
		free(copy);
		return -1;
	}
	ev.ssl = strcmp(prot, "https") == 0 || strcmp(prot, "wss") == 0;
	if (ev.port == 0)
		ev.port = ev.ssl ? 443 : 80;
	snprintf(ev.host, sizeof ev.host, "%s", ads);
	/* lws_parse_uri drops the leading '/'; keep a prefix without a trailing one. */
	snprintf(ev.prefix, sizeof ev.prefix, "%s%s", *path ? "/" : "", path);
	n = strlen(ev.prefix);
	while (n > 0 && ev.prefix[n - 1] == '/')
		ev.prefix[--n] = '\0';
	free(copy);
	return 0;
}

int
events_start(const char *server, const char *token, int64_t since, enum events_mode mode)
{
	struct lws_context_creation_info info;

	if (ev.running)
		return 0;
	lws_set_log_level(LLL_ERR | LLL_WARN, events_log);
	if (events_parse_url(server) != 0)
		return -1;
	ev.mode = mode;
	ev.hs_failures = 0;
	atomic_store(&ev.polling, mode == EVENTS_POLL);
	ev.server = xstrdup(server);
	if (atomic_load(&ev.polling)) {
		ev.token = xstrdup(token);
		events_poll_start(server, token, since);
		ev.running = true;
		return 0;
	}
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = events_protocols;
	info.fd_limit_per_thread = 16;
	/* wss:// is verified like https:// (http.c): against --ca only, or the system's CAs. */
	if (ev.ssl)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	if (ev.ssl && (info.client_ssl_ca_filepath = http_ca_file()) != NULL)
		info.options |= LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
	if ((ev.ctx = lws_create_context(&info)) == NULL)
		return -1;
	ev.token = xstrdup(token);
	ev.since = since;
	ev.backoff_ms = EVENTS_BACKOFF_MIN_MS;
	atomic_store(&ev.stopping, false);
	if (pthread_create(&ev.thread, NULL, events_main, NULL) != 0)
		abort();
	ev.ws = ev.running = true;
	return 0;
}

void
events_stop(void)
{
	if (!ev.running)
		return;
	atomic_store(&ev.stopping, true);
	if (ev.ws) {
		lws_cancel_service(ev.ctx);
		pthread_join(ev.thread, NULL);
		ev.ws = false;
	}
	events_poll_stop();
	ev.running = false;
	free(ev.token);
	free(ev.server);
	ev.token = ev.server = NULL;
	buf_free(&ev.rx);
}

void
events_kick(void)
{
	if (!ev.running)
		return;
	if (atomic_load(&ev.polling)) {
		events_poll_kick();
		return;
	}
	atomic_store(&ev.kick, true);
	lws_cancel_service(ev.ctx);
}
