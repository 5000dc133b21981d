/*
 * foliod.h -- the one internal header of the server, grouped by file.
 *
 * Threads: the libwebsockets loop (HTTP, WebSocket, timers) owns every
 * connection; a small pool of database threads runs jobs (route handlers
 * included) with blocking libpq calls and hands them back to the loop.
 * Handlers never see a PGresult: SQL lives in db-*.c.
 */
#ifndef FOLIOD_H
#define FOLIOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "proto.h"

struct lws;
struct stream;
struct lws_context;
struct lws_protocols;
struct pg_conn;
struct pg_result;

/* config.c */
struct config {
	const char *config_file;
	const char *database_url;
	const char *listen;
	const char *smtp_url;
	const char *smtp_user;
	const char *smtp_password;
	const char *mail_from;
	const char *public_url;
	const char *sql_dir;
	const char *log_level;
	long db_threads;
	long max_body;        /* bytes of a JSON body */
	long max_upload;      /* bytes of an upload body */
	long json_depth;
	long json_string;     /* bytes of one JSON string */
	long session_days;
	long session_idle_minutes; /* staff sessions end after this long unused; 0: never */
	long contact_idle_minutes; /* the same for contacts */
	long event_queue;     /* events queued per subscriber before it is cut off */
	long event_retention_days;
	long event_ping;      /* seconds of silence before a WebSocket ping */
	bool test_clock;
	const char *smtp_tls;     /* auto, starttls or none (smtps:// is always TLS) */
	long mail_retry_seconds;  /* first retry delay; doubles up to an hour */
	const char *trusted_proxy;  /* CIDRs, comma-separated (the flag repeats) */
	const char *metrics_listen; /* address:port of GET /metrics; "" is off */
	const char *log_to;         /* stderr or journald */
	long body_min_rate;         /* bytes a second a body must keep up, after a grace; 0: off */
	long max_streams_per_user;  /* open event WebSockets one user may hold */
	const char *allowed_origin; /* browser Origins allowed to open the event stream, comma-separated */
	const char *tls_cert;       /* PEM chain; "" serves plain HTTP */
	const char *tls_key;
};
extern struct config cfg;

/* Loads defaults, then the config file, then the environment, then flags. Returns -1 on error. */
int config_load(int *argc, char ***argv);
void config_usage(FILE *fp);

/* db.c -- one connection, owned by one thread at a time. */
struct db_prepared;
struct db {
	struct pg_conn *conn;
	bool broken;          /* the connection failed during this job: answer 503 */
	int unique_violation; /* the last statement hit a unique constraint */
	bool fresh;           /* no statement of this job has run yet */
	int statements;       /* statements executed since the job began (the request log) */
	int prepares;         /* statements prepared on this connection during the job */
	struct db_prepared *prepared; /* this connection's prepared statements */
};

/* Up to 16 text parameters for one statement; numbers are formatted into slots. */
struct params {
	const char *v[16];
	char slot[16][32];
	int n;
	/* Binary parameters (p_bin): their lengths and formats; binary: any was given. */
	int len[16];
	int fmt[16];
	bool binary;
	bool binary_result;   /* ask for every column in binary (db_bytes reads bytea so) */
};
void p_str(struct params *p, const char *s);
void p_int(struct params *p, int64_t v);
void p_bool(struct params *p, bool v);
void p_null(struct params *p);
/* An id, or NULL when v <= 0. */
void p_id(struct params *p, int64_t v);
/* len bytes of data as a binary parameter (a bytea); data must outlive the statement. */
void p_bin(struct params *p, const void *data, size_t len);

int db_connect(struct db *db);
/* A new job on this connection: statement counts start again. */
void db_job_start(struct db *db);
/* Runs a trusted multi-statement script (a migration file). Returns -1 on failure. */
int db_script(struct db *db, const char *sql);
void db_close(struct db *db);
/* Runs one statement. Returns the result (caller clears with db_clear) or NULL on failure. */
struct pg_result *db_exec(struct db *db, const char *sql, const struct params *p);
void db_clear(struct pg_result *res);
/* Runs a statement for its effect. Returns the rows affected, or -1. */
long db_run(struct db *db, const char *sql, const struct params *p);
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);
int db_rows(const struct pg_result *res);
int64_t db_int(const struct pg_result *res, int row, int col);
const char *db_text(const struct pg_result *res, int row, int col);
bool db_isnull(const struct pg_result *res, int row, int col);
/* A column's bytes and their length (a bytea of a binary_result statement). */
const unsigned char *db_bytes(const struct pg_result *res, int row, int col, size_t *len);
/* Row as a JSON object, columns by type (json columns are parsed). Caller puts. */
struct json_object *db_row_json(const struct pg_result *res, int row);
/* All rows as a JSON array. Caller puts. */
struct json_object *db_rows_json(const struct pg_result *res);
/* One JSON object from a single-row query, or NULL when there is no row. Caller puts. */
struct json_object *db_one_json(struct db *db, const char *sql, const struct params *p);
/* A JSON array of every row. NULL on failure. Caller puts. */
struct json_object *db_all_json(struct db *db, const char *sql, const struct params *p);
/* The first column of the first row as JSON (json columns parsed), or NULL. Caller puts. */
struct json_object *db_one_value(struct db *db, const char *sql, const struct params *p);
/* One integer from a single-row query; dflt when there is no row or it is NULL. */
int64_t db_one_int(struct db *db, const char *sql, const struct params *p, int64_t dflt);

/* pool.c -- database threads. A job runs on a pool thread, then done() runs on the loop. */
struct job {
	void (*run)(struct job *job, struct db *db);
	void (*done)(struct job *job);
	struct job *next;
	int64_t queued_us;       /* metrics.c: when it was submitted (monotonic) */
};
void pool_start(struct lws_context *ctx, int threads);
void pool_submit(struct job *job);
/* Called on the loop after lws_cancel_service(): runs done() of finished jobs. */
void pool_drain(void);
void pool_stop(void);

/* request.c -- one HTTP request as a job, and the reply helpers handlers use. */
enum http_method { M_GET, M_POST, M_PATCH, M_PUT, M_DELETE, M_OPTIONS, M_OTHER };

struct principal {
	int64_t id;              /* users.id; 0 when anonymous */
	int64_t firm_id;
	enum user_kind kind;     /* after view_as_account: USER_CONTACT */
	enum staff_role role;
	int64_t account_id;      /* a contact's account (or the viewed account) */
	int64_t session_id;
	int64_t view_as_account; /* > 0 while a staff member views as a client */
	bool totp_enrol_only;    /* the firm requires TOTP of this user, who has none yet */
	char *name;
	char *email;
};

struct query_arg {
	char *key;
	char *value;
};

/*
 * A download in progress (GET /api/v1/documents/{id}/content): http.c writes
 * what the pool read into out, then has the pool read the next chunk
 * (documents_chunk_run) when out is sent, so one chunk is in memory at a time.
 */
struct download {
	int64_t document_id;
	int64_t length;      /* bytes of the answer's body (the range) */
	int64_t next;        /* offset in the document of the next byte to read */
	int64_t end;         /* one past the last byte to send */
	int64_t written;     /* body bytes written so far */
	bool failed;         /* a chunk could not be read: hang up */
	char *content_type;
};

/* An extra answer header: name ends in ':' (lws' form); value is owned. */
struct reply_header {
	const char *name;
	char *value;
};
#define REPLY_HEADERS_MAX 6

struct request {
	struct job job;
	struct lws *wsi;         /* NULL once the connection has gone */
	enum http_method method;
	char *path;
	struct query_arg *args;
	size_t nargs;
	char *authorization;     /* the bearer token, if any */
	char *content_type;
	char *range;             /* Range and If-None-Match, when given */
	char *if_none_match;
	char *user_agent;        /* as the client says; kept with a new session */
	char peer[64];           /* the TCP peer */
	char client[64];         /* the client: the peer, or X-Forwarded-For via a trusted proxy */
	char request_id[20];
	struct buf body;
	bool body_too_large;
	bool chunked;            /* a body without Content-Length: refused with 411 */
	bool close_after;        /* answer with Connection: close, then hang up */
	long body_limit;         /* the largest body this request may have (413 above) */
	struct stream *upload;   /* a streamed body (route_streams_body), or NULL */
	bool upload_multipart;   /* its body is multipart/form-data: one file part */
	struct download *download;
	struct reply_header xhdr[REPLY_HEADERS_MAX];
	int nxhdr;
	int64_t ids[4];          /* the {id} parts of the path, in order */
	int nids;
	const struct route *route;
	struct principal user;
	double started;          /* monotonic seconds */
	int statements;          /* SQL statements its job ran (the request log) */
	int batch;               /* a send: the sends written by the same statement */
	/* The reply. */
	int status;
	struct buf out;
	char retry_after[24];
	size_t sent;
	bool headers_sent;
	/*
	 * A handler that answers later from the loop (the events long poll) leaves
	 * status 0 and sets parked: http.c then calls parked(req, true) on the loop
	 * instead of replying, and parked(req, false) if the client leaves first.
	 * The answer: fill status and out, then lws_callback_on_writable(req->wsi).
	 */
	void (*parked)(struct request *req, bool start);
	void *parked_data;
};

void req_free(struct request *req);
/* Adds an answer header (name with its ':'); value is copied. */
void reply_header(struct request *req, const char *name, const char *value);
const char *req_arg(const struct request *req, const char *key);
/* Parses a query argument as an integer; absent gives dflt. Replies 422 and returns -1 when bad. */
int req_arg_int(struct request *req, const char *key, int64_t dflt, int64_t min, int64_t max,
    int64_t *out);
/* Parses the JSON body as an object. Replies 400/415/422 and returns NULL on failure. Caller puts. */
struct json_object *req_json(struct request *req);

/* Takes ownership of o. */
void reply_json(struct request *req, int status, struct json_object *o);
void reply_error(struct request *req, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void reply_empty(struct request *req, int status);
/* {"items": items, "next": next or null}, items being JSON text already. */
void reply_list_text(struct request *req, const char *items, const char *next);
/* {"items": items, "next": next or null}; takes ownership of items. */
void reply_list(struct request *req, struct json_object *items, const char *next);
/*
 * Where a page starts: after the row whose sort key and id a keyset cursor
 * ("KEY~ID", as reply_page_keyset gives) names, or at an offset (a plain number).
 */
struct page_pos {
	int64_t limit, offset;
	const char *key;   /* NULL: no keyset cursor; "": the last row's key was null */
	int64_t after_id;
	char keybuf[40];
};
/* Reads ?limit and ?cursor. Replies 422 on bad input and returns -1. */
int req_page_keyset(struct request *req, struct page_pos *pp);
/* Replies {items, next}: next names the last item's keyfield and id when the page was full. */
void reply_page_keyset(struct request *req, struct json_object *items, const struct page_pos *pp,
    const char *keyfield);
/*
 * Where a page of a list ordered on up to PAGE_KEYS_MAX keys (then id) starts:
 * after the row a keyset cursor names, or at an offset (a plain number, as
 * older servers gave). The cursor is opaque to clients: "k" and the base64url
 * of a JSON array of the last row's keys and id.
 */
#define PAGE_KEYS_MAX 2
struct page_keys {
	int64_t limit, offset;
	bool after;                        /* a keyset cursor was given */
	const char *key[PAGE_KEYS_MAX];    /* NULL: the row's key was null */
	int64_t after_id;
	char buf[512];                     /* key[] point into it */
};
/*
 * Reads ?limit and ?cursor; kinds has a letter per key: 't' a time as
 * folio_ts() writes it, 's' a string, 'n' an integer. Replies 422 on bad
 * input and returns -1.
 */
int req_page_keys(struct request *req, struct page_keys *pk, const char *kinds);
/* The cursor after a full page: the last item's fields and id. NULL: last page. Caller frees. */
char *page_keys_next(struct json_object *items, const struct page_keys *pk,
    const char *const *fields, int nkeys);
/* Replies {items, next} and, with key, one more member key: value. Takes items, next and value. */
void reply_page_next(struct request *req, struct json_object *items, char *next, const char *key,
    struct json_object *value);

/*
 * Field getters for request bodies that reply 422 naming the field on a wrong
 * type or a missing required field; they return false then.
 */
bool field_string(struct request *req, struct json_object *o, const char *key, bool required,
    size_t maxlen, const char **out);
bool field_int(struct request *req, struct json_object *o, const char *key, bool required,
    int64_t min, int64_t max, int64_t *out);
bool field_bool(struct request *req, struct json_object *o, const char *key, bool required,
    bool *out);

/* route.c -- the route table and the dispatcher run on a pool thread. */
/* WHO_METRICS: served by metrics.c on --metrics-listen only, never on the API port. */
enum who { WHO_PUBLIC, WHO_ANY, WHO_STAFF, WHO_ADMIN, WHO_OWNER, WHO_TEST, WHO_METRICS };
typedef void (*route_fn)(struct request *req, struct db *db);
struct route {
	enum http_method method;
	const char *pattern;     /* "/api/v1/threads/{id}/messages" */
	enum who who;
	route_fn fn;
	const char *help;
};
extern const struct route routes[];
/* Finds the route for method and path, filling ids. Returns NULL; *status tells 404 or 405. */
const struct route *route_match(enum http_method m, const char *path, int64_t *ids, int *nids,
    int *status);
void route_run(struct job *job, struct db *db);
/*
 * True for a route whose handler reads the body from req->upload as it
 * arrives (up to --max-upload) instead of getting it whole in req->body.
 */
bool route_streams_body(const struct route *r);
void route_list(FILE *fp);
const char *method_name(enum http_method m);
/* True when a session that must enrol in TOTP first may call r (NULL: the event stream: no). */
bool route_enrol_allowed(const struct route *r);
/* True when the caller is staff looking at its own firm (not viewing as a client). */
bool is_staff(const struct request *req);

/* db-documents.c -- folders and documents (their SQL; visibility as u may see). */
struct folder_info {
	int64_t id;
	char access[16];   /* private, client_view or client_edit */
};
/* 1 when u may see the account, 0 when not, -1 on failure. */
int db_documents_account_visible(struct db *db, const struct principal *u, int64_t account_id);
/* The account's folders u may see, flat, parents first. NULL on failure. Caller puts. */
struct json_object *db_folders_list(struct db *db, const struct principal *u, int64_t account_id);
/* A folder u may see into *out: 1, 0 when none, -1 on failure. */
int db_folder_get(struct db *db, const struct principal *u, int64_t account_id, int64_t folder_id,
    struct folder_info *out);
/* A new folder {id, name, access, parent_id}; NULL on failure (db->unique_violation: name taken). */
struct json_object *db_folder_create(struct db *db, const struct principal *u, int64_t account_id,
    int64_t parent_id, const char *name, const char *access);
/* The account's chat uploads folder, created (client_view, named name) when missing. -1 on failure. */
int64_t db_folder_chat_uploads(struct db *db, int64_t firm_id, int64_t account_id, const char *name);
/* A new document row, without bytes yet (inside the upload's transaction). -1 on failure. */
int64_t db_document_begin(struct db *db, const struct principal *u, int64_t account_id,
    int64_t folder_id, const char *name);
/* Chunk n (from 0) of a document. Returns -1 on failure. */
int db_document_chunk_write(struct db *db, int64_t document_id, int n, const void *data, size_t len);
/* Completes the row; returns the document as API.md shows it. NULL on failure. Caller puts. */
struct json_object *db_document_finish(struct db *db, int64_t document_id, int64_t size,
    const char *media_type, const char *sha256, int chunks);
/* A document u may see, and its folder's access into access; NULL when none. Caller puts. */
struct json_object *db_document_get(struct db *db, const struct principal *u, int64_t document_id,
    char *access, size_t accesssz);
/* A page of the documents u may see in an account (in one folder when folder_id > 0). Caller puts. */
struct json_object *db_documents_list(struct db *db, const struct principal *u, int64_t account_id,
    int64_t folder_id, const struct page_keys *pk);
/* What db_documents_attachable found of a list of document ids. */
struct attach_check {
	bool target;      /* the thread (or account) is there for the caller */
	int64_t wanted;   /* distinct ids asked for */
	int64_t found;    /* of them, documents of the target's account the caller may see */
	int64_t private_; /* of those, in a private folder */
};
/* Checks ids (a PostgreSQL array) against a thread (thread_id > 0) or an account. -1 on failure. */
int db_documents_attachable(struct db *db, const struct principal *u, int64_t thread_id,
    int64_t account_id, const char *ids, struct attach_check *out);
/* Appends up to max bytes of chunk n, from offset from, to out. -1 when missing or on failure. */
int db_document_chunk_read(struct db *db, int64_t document_id, int n, int64_t from, int64_t max,
    struct buf *out);

/* route-documents.c -- folders, uploads and downloads. */
#define DOCUMENT_CHUNK (256 * 1024) /* bytes of one document_chunks row */
void route_folders_list(struct request *req, struct db *db);
void route_folders_create(struct request *req, struct db *db);
void route_documents_upload(struct request *req, struct db *db);
void route_documents_list(struct request *req, struct db *db);
void route_documents_get(struct request *req, struct db *db);
void route_documents_content(struct request *req, struct db *db);
/* A single Range of size bytes: 1 with [*from, *to], 0 to send all, -1 for 416. */
int documents_range(const char *h, int64_t size, int64_t *from, int64_t *to);
/* Content-Disposition: attachment with the name as RFC 6266/5987 say. Caller frees. */
char *documents_disposition(const char *name);
/* True when If-None-Match (inm, may be NULL) names etag or is "*". */
bool documents_etag_matches(const char *inm, const char *etag);
/*
 * A folder (folder) or file name: 1..255 bytes of UTF-8 without control
 * characters (nor '/' for a folder). False after replying 422 naming key.
 */
bool documents_name_ok(struct request *req, const char *key, const char *name, bool folder);
/*
 * Reads document_ids of a new message and checks them (documents of the thread's
 * or the account's own account, visible to the caller; none from a private
 * folder unless internal). Sets *out to a PostgreSQL array ("{1,2}") or NULL
 * when there are none; returns -1 after replying 422 or 409 private_folder.
 * Caller frees *out.
 */
int documents_attach(struct request *req, struct db *db, struct json_object *body,
    int64_t thread_id, int64_t account_id, bool internal, char **out);
/* A download's next chunk into req->out (a pool job; http.c submits it). */
void documents_chunk_run(struct job *job, struct db *db);

/* http-multipart.c -- a multipart/form-data upload's one file part, parsed on the loop. */
struct http_multipart;
bool http_multipart_is(const char *content_type);
/*
 * Starts lws' parser for the body of wsi: the file part's bytes go to
 * push(arg, ...), its filename and any refusal to s. Free with http_multipart_free.
 */
struct http_multipart *http_multipart_start(struct lws *wsi, struct stream *s,
    void (*push)(void *arg, const void *data, size_t len), void *arg);
/*
 * The upload's side of it without lws' parser, which needs a live connection
 * (its wsi) for the Content-Type and the boundary: tests/fuzz/fuzz_documents.c
 * calls http_multipart_part as lws_spa would. Free with http_multipart_free.
 */
struct http_multipart *http_multipart_new(struct stream *s,
    void (*push)(void *arg, const void *data, size_t len), void *arg);
/* One lws_spa file-part call (state: an enum lws_spa_fileupload_states). -1 stops the parser. */
int http_multipart_part(struct http_multipart *m, const char *filename, const void *buf, int len,
    int state);
void http_multipart_feed(struct http_multipart *m, const void *in, size_t len);
/* The body is complete: ends s, or fails it when it had no file part or no boundary ended it. */
void http_multipart_end(struct http_multipart *m, struct stream *s);
void http_multipart_free(struct http_multipart *m);

/* stream.c -- a bounded byte queue from the loop to one pool job (an upload's body). */
struct stream;
/* A queue that asks the loop to pause at cap bytes; ctx is woken when it drains. Caller frees. */
struct stream *stream_create(struct lws_context *ctx, size_t cap);
void stream_free(struct stream *s);
/* Loop: appends a copy of data. Returns true when the queue is full: pause the socket. */
bool stream_push(struct stream *s, const void *data, size_t len);
/* Loop: the body is complete, or (failed) will not arrive; the job then rolls back. */
void stream_end(struct stream *s, bool failed);
bool stream_ended(struct stream *s);
/* Loop: the body is refused (why: a constant, for the answer); the job rolls back. */
void stream_fail(struct stream *s, const char *why);
/* Job: why the body failed, or NULL when it did not say (the client went away). */
const char *stream_why(struct stream *s);
/* Loop: the file's name, from a multipart body's file part (the first call counts). */
void stream_set_name(struct stream *s, const char *name);
/* Job: waits for the name; NULL when the body ended or failed without one. */
const char *stream_name(struct stream *s);
/* Job: waits for bytes, copies up to max. Returns their count, 0 at the end, -1 when failed. */
long stream_read(struct stream *s, void *out, size_t max);
/* Job: reads no more; what is queued or still arrives is dropped. */
void stream_close(struct stream *s);
/* Loop: true (once) when a paused socket may resume. */
bool stream_resume_due(struct stream *s);
/* Stopping: every body still arriving is cut off, so no job waits for one. */
void stream_fail_all(void);

/* http.c -- the libwebsockets protocol for HTTP. */
extern const struct lws_protocols http_protocol;
/* Listens and runs the loop until SIGTERM. Returns 0 after a clean stop. */
int http_serve(void);
extern volatile int http_stopping;
/*
 * Writes the next part of out (from *sent, at most room bytes through start,
 * which has LWS_PRE before it) as an HTTP body. Returns 1 when all is sent, 0
 * when more is to come (a WRITEABLE is asked for), -1 when the write failed.
 */
int http_write_chunk(struct lws *wsi, unsigned char *start, size_t room, const struct buf *out,
    size_t *sent);
/*
 * A request's framing as its headers give it, before any body; pure, so that
 * tests/fuzz/fuzz_http_framing.c drives it without a connection.
 */
struct http_frame {
	/* In: what http.c read from lws. */
	const char *const *lengths;  /* each Content-Length header's value, NULL-terminated */
	bool transfer_encoding;      /* a Transfer-Encoding header is there */
	bool header_cut;             /* lws cut the path, an argument or a known header */
	bool bad_text;               /* the path or an argument is not strict UTF-8 */
	/* Out: the first refusal (status 0: none), the declared length (-1: unreadable). */
	int status;
	const char *code, *msg;
	long declared;
	bool chunked;                /* no Content-Length but Transfer-Encoding */
};
/* Fills the verdict of f: every Content-Length the same 1 to 15 digits, not with Transfer-Encoding. */
void http_frame_check(struct http_frame *f);
/* True when a WebSocket from this Origin may open the event stream (public-url, allowed-origin). */
bool http_origin_ok(const char *origin);
/* Splits "host:port", "[v6]:port" or "port" into iface and port. Returns -1 when bad. */
int http_parse_listen(const char *listen, char *iface, size_t ifsz, int *port);

/* metrics.c -- counters for GET /metrics; cheap enough for every request. */
void metrics_init(void);
/* Loop: one answered request (r NULL when no route matched). */
void metrics_http(const struct route *r, int status, double seconds);
/* pool.c: a job entered the queue; a thread took it. */
void metrics_pool_submitted(struct job *job);
void metrics_pool_taken(struct job *job);
/* True when jobs wait and none was taken for seconds (the watchdog's test). */
bool metrics_pool_stalled(double seconds);
void metrics_events_delivered(uint64_t n);
void metrics_events_dropped(uint64_t n);
/* An SMTP attempt's outcome: metrics_mail_result(), declared beside enum mail_result below. */
/* The mail worker shows it is alive (each turn of its loop, each attempt). */
void metrics_mail_heartbeat(void);
/* Seconds since the last heartbeat; -1 before the first. */
double metrics_mail_heartbeat_age(void);
void metrics_reminder_sent(void);
/* A password was verified with argon2id (against a user's hash or the dummy). */
void metrics_password_checked(void);
/* Appends the Prometheus text page to b. Loop only. */
void metrics_render(struct buf *b);
/* Opens the --metrics-listen vhost (nothing when unset). Returns -1 when it cannot. */
int metrics_listen(struct lws_context *ctx);
/* The outbox depth refresh beside the loop (http.c's services). */
void metrics_start(struct lws_context *ctx);
void metrics_stop(struct lws_context *ctx);

/* systemd.c -- sd_notify, the watchdog, the journal. All harmless without systemd. */
void systemd_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* READY=1 with a status; starts watchdog pings on the loop when WATCHDOG_USEC asks. */
void systemd_ready(struct lws_context *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* STOPPING=1; ends the pings. */
void systemd_stopping(int inflight);
/* Sends log lines to dest: "stderr" or "journald". Returns -1 when it cannot. */
int systemd_log_to(const char *dest);

/* tls.c -- the server's certificate: checked, installed, reloaded on SIGHUP. Loop only. */
/* True when --tls-cert is set: the listener speaks HTTPS. */
bool tls_enabled(void);
/* Checks the pair (none is fine) before anything listens. Returns -1 with the reason in err. */
int tls_check(char *err, size_t errlen);
/* lws made the vhost's SSL_CTX: require TLS 1.2+ and install the pair. Returns -1 on failure. */
int tls_vhost_ready(void *ssl_ctx);
/* Reads the pair again (SIGHUP); a broken one is logged and the old one kept. */
void tls_reload(void);

/* route-ops.c -- GET /readyz. */
/* The mail worker counts as dead after this many seconds without a heartbeat. */
#define OPS_MAIL_STALE_S 150
void route_readyz(struct request *req, struct db *db);
/* The row of GET /metrics in the route table: never reached on the API port (route_match). */
void route_metrics_elsewhere(struct request *req, struct db *db);

/* check.c -- `foliod check`. Returns the exit status. */
int check_cli(void);

/* db-ops.c -- what operations ask the database. */
/* Mails queued or being sent; -1 on failure. */
int64_t db_ops_mail_depth(struct db *db);
/* [{name, applied_at}] of schema_migrations by name ([] before the first migrate); NULL on failure. */
struct json_object *db_ops_migrations(struct db *db);

/* proxy.c -- the client's address behind trusted reverse proxies. */
struct proxy_net {
	unsigned char addr[16];  /* IPv4 as ::ffff:a.b.c.d */
	int bits;                /* of the 128 */
};
/* Parses "a.b.c.d[/n]" or "v6[/n]". Returns -1 when it is neither. */
int proxy_net_parse(const char *s, struct proxy_net *n);
/* True when addr (IPv4, IPv6, IPv4-mapped IPv6) is inside n. */
bool proxy_net_match(const struct proxy_net *n, const char *addr);
/* Sets the trusted networks from a comma-separated list. Returns -1 (and says why) when bad. */
int proxy_configure(const char *list);
bool proxy_trusted(const char *addr);
/*
 * The client address of a request into out: the right-most X-Forwarded-For
 * entry that is not a trusted proxy when peer is trusted, else peer.
 */
void proxy_client(const char *peer, const char *xff, char *out, size_t outsz);

/* auth.c */
/* argon2id hash of password. Returns NULL on failure. Caller frees. */
char *auth_hash_password(const char *password);
/* True when password matches hash. A NULL hash checks a dummy (same cost) and is false. */
bool auth_check_password(const char *hash, const char *password);
#define AUTH_PASSWORD_MIN 12 /* characters */
/* 0 when a new password is long and strong enough, else -1 and why ("must ...") in why. */
int auth_password_policy(const char *password, char *why, size_t whysz);
/* A new random token (base64url, 43 chars) into out[64], its SHA-256 into hash[32]. */
void auth_new_token(char out[64], unsigned char hash[32]);
void auth_token_hash(const char *token, unsigned char hash[32]);
/* Resolves the bearer token to req->user. Returns 0, or replies 401 and returns -1. */
int auth_resolve(struct request *req, struct db *db);
void auth_random_hex(char *out, size_t nbytes);
/*
 * Stores a new session for user (from address, user_agent or NULL); its token
 * to out. Returns the session's id, or -1 on failure.
 */
int64_t auth_session_create(struct db *db, int64_t user_id, const char *address, const char *user_agent,
    char out[64]);

/* db-sessions.c -- logging in and out, the current user, the test clock. */
/* Returns 0 when the database answers, else -1 (db->broken). */
int db_sessions_ping(struct db *db);
/* The user object of API.md for a users.id, or NULL when absent. Caller puts. */
struct json_object *db_sessions_user(struct db *db, int64_t id);
/* The failed-login throttle's limits (route-sessions.c) and the counts of the last hour. */
struct login_limits {
	int64_t pair_count_max;  /* count (account, address) failures up to this */
	int64_t account_ceiling; /* count the account's failures up to this */
	int64_t address_max;     /* failures per address per hour */
};
struct login_counts {
	int64_t pair;        /* failures of this email from this address */
	double pair_age;     /* seconds since the last of them */
	int64_t account;     /* failures of this email from anywhere */
	double address_wait; /* seconds until the address is under address_max; <= 0: it is */
};
/* Counts the failures of the last hour that the throttle weighs. Returns -1 on failure. */
int db_sessions_throttle(struct db *db, const char *email, const char *address,
    const struct login_limits *lim, struct login_counts *out);
/* A user who may log in by email: its id, password hash and firm. */
struct login_candidate {
	int64_t id, firm_id;
	char *hash, *firm_name;
};
/* Up to max users with a password who may log in by email (in firm_id, if > 0). Returns n or -1. */
int db_sessions_login_candidates(struct db *db, const char *email, int64_t firm_id,
    struct login_candidate *out, int max);
void db_sessions_candidates_free(struct login_candidate *c, int n);
/* A failed login (or a wrong current password): whose, from where, through which route. */
struct login_failure {
	const char *email, *address, *user_agent;
	int64_t firm_id;  /* > 0: only this firm's user of the address */
	const char *via;  /* "login" or "password_change" */
	int64_t actor_id; /* > 0: the logged-in user who gave it (password_change) */
};
/* Records a failed login for the throttle and the audit log. Returns -1 on failure. */
int db_sessions_login_failed(struct db *db, const struct login_failure *f);
/* Revokes a session. Returns -1 when it was not revoked. */
int db_sessions_revoke(struct db *db, int64_t session_id);
/* Moves the test clock on: {offset_seconds, now}, or NULL on failure. Caller puts. */
struct json_object *db_sessions_clock_advance(struct db *db, int64_t seconds);
/*
 * The valid session of a token's SHA-256 (\x hex) into u, idle for less than
 * the minutes of its kind (0: any): 1, 0 when none, -1 on failure.
 */
int db_sessions_resolve(struct db *db, const char *hash_hex, long idle_staff, long idle_contact,
    struct principal *u);
/* Stores a session of user_id for days. Returns its id, or -1 on failure. */
int64_t db_sessions_store(struct db *db, int64_t user_id, const char *hash_hex, int64_t days,
    const char *address, const char *user_agent);
/* The user's valid sessions, newest use first, current marked. NULL on failure. Caller puts. */
struct json_object *db_sessions_list(struct db *db, int64_t user_id, int64_t current, long idle_staff,
    long idle_contact);
/* Revokes one of the user's sessions: 1, 0 when it has none by that id, -1 on failure. */
int db_sessions_revoke_mine(struct db *db, int64_t user_id, int64_t session_id);
/* Revokes every live session of the user: the JSON array of their ids, NULL on failure. Caller puts. */
struct json_object *db_sessions_revoke_user(struct db *db, int64_t user_id);
/* The user's password hash, NULL when none. Caller frees. */
char *db_sessions_password_hash(struct db *db, int64_t user_id);
/*
 * Sets a new password hash and revokes every session but keep_session: the
 * JSON array of the revoked sessions' ids, or NULL on failure. Caller puts.
 */
struct json_object *db_sessions_set_password(struct db *db, int64_t user_id, int64_t keep_session, const char *hash);
/* 1 when the account is the firm's, 0 when not, -1 on failure. */
int db_sessions_account_in_firm(struct db *db, int64_t firm_id, int64_t account_id);

/* totp.c -- the second factor's arithmetic (RFC 6238 through liboath); no state, no SQL. */
#define TOTP_SECRET_BYTES 20
/* Starts liboath; once, before any thread. */
void totp_init(void);
void totp_new_secret(unsigned char secret[TOTP_SECRET_BYTES]);
/* The secret in base32 (RFC 4648, as authenticator apps take it). Caller frees. */
char *totp_base32(const unsigned char secret[TOTP_SECRET_BYTES]);
/* otpauth://totp/... for a QR code, issuer "Folio (firm)". Caller frees. */
char *totp_uri(const char *base32, const char *firm, const char *email);
/* True when s is six digits: a TOTP code (anything else may be a recovery code). */
bool totp_is_code(const char *s);
/* The time step (unix time / 30) whose code is code, within one step of now's; -1 when none. */
int64_t totp_check(const unsigned char secret[TOTP_SECRET_BYTES], const char *code, time_t now);
/* A new recovery code, "xxxxx-xxxxx" (50 random bits). Caller frees. */
char *totp_recovery_new(void);
/* SHA-256 of a recovery code (case, spaces, dashes ignored) as \x hex into out; -1 when malformed. */
int totp_recovery_hash(const char *code, char out[67]);
/* Whether policy is a firm's require_totp: "none", "staff", "clients" or "all". */
bool totp_policy_known(const char *policy);

/* db-totp.c -- a user's TOTP secret and state, recovery codes, the status object. */
/* Whether the firm's policy (firms f) covers the user (users u), as SQL. */
#define DB_TOTP_COVERED \
	" (f.require_totp = 'all' OR (f.require_totp = 'staff' AND u.kind = 'staff')" \
	"  OR (f.require_totp = 'clients' AND u.kind = 'contact'))"
struct totp_state {
	bool exists;             /* a secret, pending or enabled */
	bool enabled;
	bool required;           /* the firm's policy covers the user */
	int64_t last_step;       /* the last step taken; -1: none */
	unsigned char secret[TOTP_SECRET_BYTES];
};
/* The user's TOTP into out: 1, 0 when no such user, -1 on failure. Clear out with db_totp_state_clear. */
int db_totp_get(struct db *db, int64_t user_id, struct totp_state *out);
/* Wipes the secret from memory. */
void db_totp_state_clear(struct totp_state *s);
/* Stores a pending secret: 1, 0 when TOTP is already enabled, -1 on failure. */
int db_totp_begin(struct db *db, int64_t user_id, const unsigned char secret[TOTP_SECRET_BYTES]);
/*
 * Takes step when it is newer than the last taken (enabling a pending secret
 * when enable, else only on an enabled one): 1, 0 when refused, -1 on failure.
 */
int db_totp_take_step(struct db *db, int64_t user_id, int64_t step, bool enable);
/* Replaces the user's recovery codes by n hashes (\x hex). Returns -1 on failure. */
int db_totp_recovery_set(struct db *db, int64_t user_id, char hashes[][67], int n);
/* Uses up the recovery code of this hash: 1, 0 when the user has none such, -1 on failure. */
int db_totp_recovery_use(struct db *db, int64_t user_id, const char *hash_hex);
/* Removes the user's TOTP and recovery codes: 1 when it was enabled, 0 when not, -1 on failure. */
int db_totp_remove(struct db *db, int64_t user_id);
/* An owner's reset: removes the TOTP of user (of kind, in firm) and ends its sessions: 1, 0, -1. */
int db_totp_reset(struct db *db, int64_t firm_id, int64_t user_id, enum user_kind kind);
/* {enabled, enabled_at, recovery_codes_left, required}, or NULL. Caller puts. */
struct json_object *db_totp_status(struct db *db, int64_t user_id);

/* route-totp.c */
/*
 * Checks code (six digits; or a recovery code when recovery_too) against s
 * and takes it: 1 when it passed, 0 when wrong or already used, -1 on failure.
 */
int route_totp_accept(struct db *db, int64_t user_id, const struct totp_state *s, const char *code,
    bool recovery_too);
void route_totp_status(struct request *req, struct db *db);
void route_totp_begin(struct request *req, struct db *db);
void route_totp_confirm(struct request *req, struct db *db);
void route_totp_disable(struct request *req, struct db *db);
void route_totp_recovery_codes(struct request *req, struct db *db);
void route_totp_reset_staff(struct request *req, struct db *db);
void route_totp_reset_contact(struct request *req, struct db *db);

/* migrate.c */
/* Applies every sql/NNN_*.sql not yet recorded, each in its own transaction. */
int migrate_run(struct db *db);
/* Where the database stands against the migrations this binary knows. */
struct migrate_state {
	size_t known, applied, pending; /* pending: known but not applied */
	size_t unknown;                 /* applied but not known: a newer release migrated */
	char newest_known[64];          /* "" when there are none */
	char newest_applied[64];
};
/* Fills st from the database. Returns -1 when it cannot be read (db->broken: unreachable). */
int migrate_state(struct db *db, struct migrate_state *st);
/* True when every known migration is applied and nothing newer is. */
bool migrate_current(const struct migrate_state *st);
/* `foliod migrate --status`: one line per migration. Returns the exit status (1: pending). */
int migrate_status(struct db *db, FILE *fp);

/* db-schema.c -- migration bookkeeping, in the caller's transaction. */
/* Each returning int returns -1 on failure. */
/* Takes the transaction-scoped advisory lock that serialises migrating instances. */
int db_schema_lock(struct db *db);
/* Creates schema_migrations when it does not exist. */
int db_schema_init(struct db *db);
/* True when name is recorded as applied (false when the query fails: what follows fails too). */
bool db_schema_applied(struct db *db, const char *name);
/* Records name as applied. */
int db_schema_record(struct db *db, const char *name);
/* Runs the text of a migration file (trusted, several statements). */
int db_schema_apply(struct db *db, const char *sql);

/* jobs.c */
/* Runs every background pass that is due now (reminders, mail), on this thread. */
void jobs_run_due(struct db *db);

/* firm.c */
int firm_create_cli(int argc, char **argv);

/* db-firms.c -- a new firm; the firm's settings. */
/* A firm and its owner in one transaction: the firm id; 0 when the email is taken; */
/* -1 on failure. language is a code mail_lang_known() accepts. */
int64_t db_firms_create(struct db *db, const char *name, const char *email, const char *owner_name,
    const char *hash, const char *language);
/* {id, name, language} of the firm, or NULL. */
struct json_object *db_firms_get(struct db *db, int64_t firm_id);
/* Sets the firm's mail language. Returns -1 on failure. */
int db_firms_language_set(struct db *db, int64_t firm_id, const char *language);
/* Sets who must log in with TOTP ("none", "staff", "clients", "all"). Returns -1 on failure. */
int db_firms_require_totp_set(struct db *db, int64_t firm_id, const char *policy);

/* route-firm.c -- the firm's settings (GET, PATCH /api/v1/firm). */
void route_firm_get(struct request *req, struct db *db);
void route_firm_update(struct request *req, struct db *db);

/* db-audit.c -- the audit log's rows (sql/010_audit.sql). */
/* One row to append; pointers are borrowed. 0 ids: none (no actor: "anonymous"). */
struct audit_entry {
	int64_t firm_id;
	int64_t actor_id;
	const char *actor_kind;   /* "staff" or "contact" */
	const char *kind;         /* one of route_audit_kind_known() */
	int64_t subject_user_id;
	int64_t subject_session_id;
	const char *address, *user_agent; /* NULL: unknown */
	const char *details;      /* a JSON object's text, NULL: {} */
};
/* What GET /api/v1/audit asks for; NULL or 0: any. Times are validated RFC 3339 text. */
struct audit_filter {
	const char *kind;
	int64_t actor_id;
	const char *since, *until; /* at >= since, at < until */
};
/* Appends e in the caller's transaction. Returns -1 on failure. */
int db_audit_add(struct db *db, const struct audit_entry *e);
/* Appends a session_revoked row per id of the JSON array ids (e's kind is ignored). -1 on failure. */
int db_audit_sessions_revoked(struct db *db, const struct audit_entry *e, struct json_object *ids);
/* A page of the firm's rows, newest first. NULL on failure. Caller puts. */
struct json_object *db_audit_list(struct db *db, int64_t firm_id, const struct audit_filter *f,
    const struct page_keys *pk);

/* route-audit.c -- GET /api/v1/audit, and appending rows for the other handlers. */
bool route_audit_kind_known(const char *kind);
/* An entry of kind by the request's user, from its address and user agent. */
void route_audit_entry(struct audit_entry *e, const struct request *req, const char *kind);
/* Appends e with details (a JSON object or NULL; taken) in the caller's transaction. -1 on failure. */
int route_audit_record(struct db *db, struct audit_entry *e, struct json_object *details);
void route_audit_list(struct request *req, struct db *db);

/* markdown.c -- message bodies: safe HTML, embeds, mentions. */
/* Safe HTML rendering of CommonMark. Caller frees. */
char *markdown_html(const char *body);
/* Loom, Vimeo, YouTube and Google Drive links as [{provider,url}]. Caller puts. */
struct json_object *markdown_embeds(const char *body);

/* db-people.c -- staff, accounts, contacts. JSON results: caller puts. */
struct json_object *db_accounts_list(struct db *db, const struct principal *u, const char *q,
    bool unread, bool by_name, const struct page_keys *pk);
/* One account with its contacts, or NULL when it is not visible to u. */
struct json_object *db_account_get(struct db *db, const struct principal *u, int64_t id);
/* NULL when the name is taken (db->unique_violation) or on failure. */
/* 1 when u may see the account, 0 when not, -1 on failure. */
int db_account_visible(struct db *db, const struct principal *u, int64_t account_id);
struct json_object *db_account_create(struct db *db, int64_t firm_id, const char *name);
/* The new user id (in the caller's transaction); 0 when the email is taken; -1 on failure. */
int64_t db_contact_create(struct db *db, int64_t firm_id, int64_t account_id, const char *name,
    const char *email, const char *hash, bool portal_access, bool notify);
struct json_object *db_contact_get(struct db *db, int64_t id);
struct json_object *db_staff_list(struct db *db, int64_t firm_id);
/* The new user id (in the caller's transaction); 0 when the email is taken; -1 on failure. */
int64_t db_staff_create(struct db *db, int64_t firm_id, const char *name, const char *email,
    const char *hash, const char *role);
struct json_object *db_staff_get(struct db *db, int64_t firm_id, int64_t id);
/*
 * Locks the firm's team member id and its firm's active owners: its role,
 * whether it is active, and how many active owners the firm has. 1, 0 when
 * it is not the firm's, -1 on failure.
 */
int db_staff_lock(struct db *db, int64_t firm_id, int64_t id, enum staff_role *role, bool *active,
    int64_t *owners);
/* Sets what is given: name and role (NULL: unchanged), active (-1: unchanged). -1 on failure. */
int db_staff_update(struct db *db, int64_t firm_id, int64_t id, const char *name, const char *role,
    int active);
/* What PATCH /api/v1/contacts/{id} changes: NULL and -1 leave a field as it is. */
struct contact_change {
	const char *name, *email;
	int notify, portal_access;
};
/* Locks the firm's contact id: its portal access. 1, 0 when not the firm's, -1 on failure. */
int db_contact_lock(struct db *db, int64_t firm_id, int64_t id, bool *portal_access);
/* Applies c. -1 on failure (db->unique_violation: the address is taken in the firm). */
int db_contact_update(struct db *db, int64_t firm_id, int64_t id, const struct contact_change *c);

/* db-templates.c */
struct template_fields {
	const char *name, *subject, *body; /* NULL: unchanged (update) or default (create) */
	bool has_enabled, enabled;
	int64_t interval_days, max_count;  /* 0: unchanged or default */
};
struct reminder_change;
struct json_object *db_templates_list(struct db *db, int64_t firm_id, const struct page_keys *pk);
struct json_object *db_template_get(struct db *db, int64_t firm_id, int64_t id);
/* Creates (id 0) or updates a template. NULL when absent or the name is taken. Caller puts. */
struct json_object *db_template_save(struct db *db, int64_t firm_id, int64_t id,
    const struct template_fields *t);
long db_template_delete(struct db *db, int64_t firm_id, int64_t id);

/* db-threads.c -- threads, messages, read markers, tasks. JSON results: caller puts. */
struct reminder_settings {
	bool enabled;
	int64_t interval_days, max_count;
};
struct reminder_change {
	bool has_enabled, enabled;
	int64_t interval_days, max_count; /* 0: unchanged */
};
struct thread_filter {
	int64_t account_id;   /* 0: any */
	int archived;         /* -1 any, 0, 1 */
	bool unread;
	const char *assigned; /* NULL any, "none", "id" (assignee_id) */
	int64_t assignee_id;
	const char *waiting_on; /* NULL, "firm", "client" */
	bool by_waiting;      /* sort by waiting_since instead of last_message_at */
};
struct thread_change {
	int archived;         /* -1 unchanged */
	bool set_assignee;
	int64_t assignee_id;  /* 0: none */
	struct reminder_change reminders;
};
struct json_object *db_threads_list(struct db *db, const struct principal *u,
    const struct thread_filter *f, const struct page_pos *pp);
/* The thread as u may see it, or NULL. */
struct json_object *db_thread_get(struct db *db, const struct principal *u, int64_t id);
/* The thread's account when u may see it, else 0 (lock: FOR UPDATE). */
int64_t db_thread_account(struct db *db, const struct principal *u, int64_t id, bool lock);
struct json_object *db_read_marker_set(struct db *db, const struct principal *u, int64_t thread_id,
    int64_t up_to);
long db_thread_update(struct db *db, int64_t thread_id, const struct thread_change *c);
bool db_staff_in_firm(struct db *db, int64_t firm_id, int64_t id);
struct json_object *db_task_set_done(struct db *db, const struct principal *u, int64_t task_id,
    bool done);
/* A template's subject and body with placeholders filled for the account, and its reminders. */
struct json_object *db_template_render(struct db *db, int64_t firm_id, int64_t template_id,
    int64_t account_id);

/* db-messages.c -- messages; a send and a new chat are one statement each. */
/* What a send writes: the caller renders and resolves everything before. */
struct message_draft {
	const char *body, *html;
	bool internal;
	const char *client_msg_id; /* NULL: none */
	const char *embeds;        /* JSON array */
	const char *mentions;      /* PostgreSQL array of staff ids, "{1,2}" */
	char *documents;           /* PostgreSQL array of document ids to attach, or NULL; owned */
};
/* The firm's staff as mention targets (mention.c). */
struct mention_names {
	struct json_object *rows; /* owns the strings */
	struct mention_name *v;
	size_t n;
};
/* A page of messages as the JSON text PostgreSQL built, with its size and first and last ids. */
struct message_page {
	char *items; /* a JSON array; caller frees */
	int64_t n, first, last;
};
/* Reads a page of a thread u may see. Returns 1, 0 when u may not see the thread, -1 on failure. */
int db_messages_page(struct db *db, const struct principal *u, int64_t thread_id, int64_t before,
    int64_t after, int64_t limit, struct message_page *out);
struct json_object *db_message_get(struct db *db, const struct principal *u, int64_t id);
/* Looks up an author's client_msg_id. Returns 1 found, 0 not, -1 on failure. */
int db_client_msg_find(struct db *db, int64_t author_id, const char *client_msg_id,
    int64_t *message_id, int64_t *thread_id, bool *first);
/* Returns -1 on failure. Free with db_mention_names_free. */
int db_mention_names(struct db *db, int64_t firm_id, struct mention_names *out);
void db_mention_names_free(struct mention_names *m);
/*
 * Posts a message into a thread u may see, in its own transaction, with its
 * events, items and mails: {status: ok, message} (u's view), {status:
 * not_found}, or {status: replay, message_id, thread_id}. NULL on failure.
 */
struct json_object *db_message_post(struct db *db, const struct principal *u, int64_t thread_id,
    const struct message_draft *d);
/*
 * A new chat with its first message and tasks (a JSON array of titles):
 * {status: ok, thread}, not_found, no_portal_access, or {status: replay,
 * message_id, thread_id, first}. NULL on failure (db->unique_violation: a
 * concurrent post of the same client_msg_id won).
 */
struct json_object *db_thread_post(struct db *db, const struct principal *u, int64_t account_id,
    const char *subject, const struct message_draft *d, const char *tasks,
    const struct reminder_settings *r);

/* A send waiting in send-batch.c's queue. */
struct send_batch_item {
	const struct principal *u;
	int64_t thread_id;
	const struct message_draft *d;
	struct json_object *result; /* as db_message_post answers; NULL: failed */
	int batch;                  /* sends in the statement that wrote it */
	bool done, broken;
	struct send_batch_item *next;
};
/* Several sends in one statement: results in the order of items (a JSON array), or NULL. */
struct json_object *db_message_post_batch(struct db *db, const struct send_batch_item *const *items,
    size_t n);

/* send-batch.c -- sends that reach the pool together share one statement and commit. */
/* Posts as db_message_post does, batched with concurrent sends; *batch: the batch's size. */
struct json_object *send_batch_post(struct db *db, const struct principal *u, int64_t thread_id,
    const struct message_draft *d, int *batch);

/* mention.c -- @mentions of team members, resolved against the firm's staff. */
struct mention_name {
	int64_t id;
	const char *name, *local; /* full name; local part of the email address */
};
/* The ids mentioned in body, ascending, once each, into *n. Caller frees. */
int64_t *mention_find(const char *body, const struct mention_name *staff, size_t nstaff, size_t *n);
/* ids as a PostgreSQL array literal. Caller frees. */
char *mention_array(const int64_t *ids, size_t n);

/* route-messages.c */
/* Renders body and resolves its mentions into d. Returns -1 on failure. */
/* Free d with message_draft_free. */
int message_draft_make(struct db *db, const struct principal *u, const char *body, bool internal,
    const char *client_msg_id, struct message_draft *d);
void message_draft_free(struct message_draft *d);

/* route-threads.c */
/* Reads {enabled?, interval_days?, max_count?}; replies 422 and returns false when bad. */
bool reminder_fields_read(struct request *req, struct json_object *rem,
    struct reminder_change *out);

struct mail_failed;
/* activity.c -- consequences of a change, in its transaction. Each returns -1 on failure. */
/* Archive, reopen, assignment, reminder settings, or a new message moved it. */
int activity_thread_updated(struct db *db, const struct principal *u, int64_t thread_id);
int activity_thread_read(struct db *db, const struct principal *u, int64_t thread_id);
int activity_task_updated(struct db *db, const struct principal *u, int64_t task_id);
/* A mail about a message failed for good: staff see the message's delivery change. */
int activity_mail_failed(struct db *db, const struct mail_failed *f);
/* After a commit: events written since are sequenced now (pool.c, the mail worker, sends). */
void activity_committed(void);

/* mail-compose.c -- the words of each mail. */
enum mail_kind {
	MAIL_THREAD, MAIL_MESSAGE, MAIL_REMINDER, MAIL_RESEND, MAIL_CLIENT_THREAD,
	MAIL_CLIENT_MESSAGE, MAIL_CLIENT_TASK, MAIL_MENTION, MAIL_ASSIGNMENT,
};
/* What a notification or mail is about (db_notify_ctx_load). */
struct notify_ctx {
	struct json_object *row;  /* owns every string below */
	int64_t firm_id, thread_id, account_id, assignee_id, message_id, actor_id, task_id;
	int64_t document_id;      /* an item about a document (thread_id 0) */
	enum user_kind actor_kind;
	const char *subject, *account_name, *firm_name, *actor_name, *body, *body_html, *task_title;
	const char *language; /* the firm's mail language: "de", "en" */
	int64_t message_at;   /* the message's time (Unix seconds), 0: none */
	bool internal, task_done;
	struct json_object *mentions; /* staff ids, borrowed from row; may be NULL */
};
struct mail_text {
	char *subject, *text, *html;
};
const char *mail_compose_kind(enum mail_kind k);
/* The kind of a name, or -1. */
int mail_compose_kind_parse(const char *s);
/* Composes a mail of kind about c for the recipient to_name. Free with mail_compose_free. */
void mail_compose(enum mail_kind kind, const struct notify_ctx *c, const char *to_name,
    struct mail_text *out);
void mail_compose_free(struct mail_text *m);

/* mail-lang.c -- the languages of mail: gettext catalogs (domain "foliod") and dates. */
/* True for a language mail can be written in ("de", "en"). */
bool mail_lang_known(const char *code);
/* msgid in language code (unknown or NULL: German); msgid itself when untranslated. */
const char *mail_lang_text(const char *code, const char *msgid);
/* The same for msgid in a gettext context (msgctxt). */
const char *mail_lang_ptext(const char *code, const char *ctx, const char *msgid);
/* t as the language writes a date and time ("Di., 9. Dez. 2026, 14:30"). Caller frees. */
char *mail_lang_date(const char *code, int64_t t);

/* mail-smtp.c -- one mail over SMTP with libcurl. */
struct mail_smtp;
struct mail_message {
	const char *to_email, *to_name, *from_name, *subject, *text, *html, *message_id;
};
enum mail_result { MAIL_SENT, MAIL_RETRY, MAIL_FAILED };
/* metrics.c: counts an attempt's outcome. */
void metrics_mail_result(enum mail_result r);
struct mail_smtp *mail_smtp_create(void);
void mail_smtp_free(struct mail_smtp *s);
/* Sends m; on failure err tells why. Retry: no connection or 4xx; failed: 5xx. */
enum mail_result mail_smtp_send(struct mail_smtp *s, const struct mail_message *m, char *err,
    size_t errlen);
/* Connects, greets and logs in as configured, sends nothing. Returns -1 with err when it cannot. */
int mail_smtp_probe(char *err, size_t errlen);
/* True for a plain addr-spec that is safe in a header and an SMTP command. */
bool mail_smtp_address_ok(const char *s);
/* RFC 2047 B-encoded UTF-8 words, folded. Caller frees. */
char *mail_smtp_encode_words(const char *s);

/* mail.c -- the outbox delivery pass. */
/* Sends due mail. Returns 1 when due mail is left that another sender holds, 0, or -1. */
int mail_deliver_due(struct db *db);

/* mail-worker.c -- the background thread running jobs_run_due(); started by http.c. */
void mail_worker_start(struct lws_context *ctx);
void mail_worker_stop(struct lws_context *ctx);

/* db-mail.c -- the outbox and the reminder ledger. */
/* A mail as queued: who gets it and what it is about; its words are written when it is sent. */
struct mail_queue {
	int64_t firm_id, thread_id, message_id, ledger_id, user_id, actor_id, task_id; /* 0: none */
	bool task_done;
	enum mail_kind kind;
	const char *to_email, *to_name;
};
/* Queues a mail in the caller's transaction. Returns -1 on failure. */
int db_mail_queue(struct db *db, const struct mail_queue *q);
/* Claims one due mail under lease for lease_seconds: the row as JSON, or NULL. Caller puts. */
struct json_object *db_mail_claim(struct db *db, const char *lease, int lease_seconds);
/* A mail about a message that failed for good (its delivery changed); zeros otherwise. */
struct mail_failed {
	int64_t firm_id, thread_id, message_id;
};
/* Records an attempt in the caller's transaction. Returns -1 on failure. */
int db_mail_finish(struct db *db, int64_t id, const char *lease, enum mail_result r,
    const char *err, struct mail_failed *failed);
/* Stores the words of a claimed mail (the first attempt writes them). Returns -1 on failure. */
int db_mail_composed(struct db *db, int64_t id, const char *lease, const char *from_name,
    const struct mail_text *t, const char *ident);
/* Due mail not taken (held by another sender), or -1. */
int64_t db_mail_due(struct db *db);
/* Milliseconds until a retry, lease expiry or reminder falls due (mail: count the outbox). */
int64_t db_mail_next_ms(struct db *db, bool mail);
int db_mail_listen(struct db *db);
/* Waits for NOTIFY folio_mail, stop_fd, or the timeout. Returns 1 notified, 0, -1. */
int db_mail_wait(struct db *db, int stop_fd, long timeout_ms);
/* {items:[...], next_due_at, remaining, ended_by, ...} of a thread of firm_id, or NULL. */
struct json_object *db_mail_ledger(struct db *db, int64_t firm_id, int64_t thread_id);

/* db-notify.c -- notification items, recipients, settings. JSON results: caller puts. */
/* Loads c for a thread (or a task's thread); message 0: the last one contacts see. */
int db_notify_ctx_load(struct db *db, int64_t thread_id, int64_t message_id, int64_t actor_id,
    int64_t task_id, struct notify_ctx *c);
void db_notify_ctx_free(struct notify_ctx *c);
/* The account's contacts with portal access: [{id, name, email, mail (= notify)}]. */
struct json_object *db_notify_contacts(struct db *db, int64_t thread_id);
/* Staff for client activity by the assignee rule, minus the actor and except: [{id,...,mail}]. */
struct json_object *db_notify_staff(struct db *db, int64_t firm_id, int64_t assignee_id,
    int64_t actor_id, struct json_object *except);
struct json_object *db_notify_staff_ids(struct db *db, int64_t firm_id, struct json_object *ids,
    int64_t actor_id);
/* An item about a document for every team member but the actor, with its events. -1 on failure. */
int db_notify_document(struct db *db, int64_t firm_id, int64_t account_id, int64_t actor_id,
    int64_t document_id);
/* Creates or bumps user_id's item for the thread. Returns the item. */
struct json_object *db_notify_bump(struct db *db, const struct notify_ctx *c, int64_t user_id,
    const char *type);
struct json_object *db_notify_list(struct db *db, const struct principal *u, bool unread,
    const struct page_keys *pk);
/* Threads with an unread item for u; -1 on failure. */
int64_t db_notify_unread_count(struct db *db, const struct principal *u);
struct json_object *db_notify_read(struct db *db, const struct principal *u, int64_t id);
int db_notify_thread_read(struct db *db, const struct principal *u, int64_t thread_id);
/* The thread's new assignee once (then remembered), 0 when unchanged or none. */
int64_t db_notify_new_assignee(struct db *db, int64_t thread_id);
struct json_object *db_notify_settings_get(struct db *db, int64_t user_id);
/* email, all_activity: 1, 0, or -1 for unchanged. */
int db_notify_settings_set(struct db *db, int64_t user_id, int email, int all_activity);

/* notify.c -- who gets what, inside the change's transaction. Each returns -1 on failure. */
int notify_task_updated(struct db *db, const struct principal *u, int64_t task_id);
int notify_thread_updated(struct db *db, const struct principal *u, int64_t thread_id);
int notify_thread_read(struct db *db, const struct principal *u, int64_t thread_id);
/* u uploaded a document: an Inbox+ item (type document) for the rest of the firm's staff. */
int notify_document_uploaded(struct db *db, const struct principal *u, int64_t account_id,
    int64_t document_id);
/* Items of type for the account's portal contacts; mails of kind to those with notify. */
int notify_contacts(struct db *db, const struct notify_ctx *c, const char *type,
    enum mail_kind kind, int64_t ledger_id);

/* db-reminders.c -- a thread's reminder state. */
/* Brings the state in line with the thread; a new firm message (message_id) restarts the cycle. */
int db_reminders_sync(struct db *db, int64_t thread_id, int64_t message_id);
/* Locks one due thread not in skip_ids ("{1,2}") in the caller's transaction; 0 when none. */
int64_t db_reminders_take_due(struct db *db, const char *skip_ids);
int64_t db_reminders_due_count(struct db *db);
/* Counts a sent reminder: the next is due interval_days from now, or max_count ends it. */
int db_reminders_counted(struct db *db, int64_t thread_id);
int64_t db_reminders_ledger_add(struct db *db, const struct notify_ctx *c, bool resend,
    int64_t sent_by);

/* reminders.c -- the reminder rules and the due pass. */
/* After any change to a thread; message_id: the new message, if that was the change. */
int reminders_sync(struct db *db, int64_t thread_id, int64_t message_id);
/* Ledger row, mails and bumped items for c's last message (resend: by sent_by). */
int reminders_send(struct db *db, const struct notify_ctx *c, bool resend, int64_t sent_by);
/* One pass: at most one reminder per due thread. 1 when due threads are left to others, 0, -1. */
int reminders_run_due(struct db *db);

/* events-*.c -- the live event stream (docs/DESIGN.md, Events; man folio-api(7), EVENTS). */
enum { EV_STAFF, EV_CONTACT, EV_ACTOR, EV_AUDIENCES };

/* Who reads a stream: staff see their firm, a contact (or staff viewing as one) one account. */
struct events_viewer {
	int64_t user_id;      /* 0 while staff view as a client: nothing addressed to them */
	int64_t firm_id;
	int64_t account_id;   /* a contact's account */
	bool staff;
};

/* One frame as sent: {"id":N,"type":T,...}. Shared; the last unref frees it. */
struct events_frame {
	int refs;
	int64_t id;           /* the event's */
	size_t len;
	char text[];
};

/* One event of the log and its audiences. Shared; the last unref frees it. */
struct events_ev {
	int refs;
	int64_t id, firm_id, account_id, user_id, actor_id; /* 0: none */
	bool staff_only;
	char type[32];
	char *payload[EV_AUDIENCES];               /* JSON objects as text; NULL: none */
	struct events_frame *frame[EV_AUDIENCES];  /* built on first use */
	struct events_ev *next;                    /* in a batch */
};

/* db-events.c -- the outbox row and payload lookups of events-emit.c. JSON results: caller puts. */
/* Writes one outbox row; payload: JSON texts by audience (NULL: none). Returns -1 on failure. */
int db_events_insert(struct db *db, const char *type, int64_t firm_id, int64_t account_id,
    bool staff_only, int64_t user_id, int64_t actor_id, const char *const payload[EV_AUDIENCES]);
/* The account of a thread of the firm; 0 when there is none; -1 on failure. */
int64_t db_events_thread_account(struct db *db, int64_t firm_id, int64_t thread_id);
/* {thread_id, up_to_message_id, unread_count, account_id} for u, or NULL. */
struct json_object *db_events_read_payload(struct db *db, const struct principal *u,
    int64_t thread_id);
/* {id, thread_id, title, done, updated_at, account_id} of a task of the firm, or NULL. */
struct json_object *db_events_task_payload(struct db *db, int64_t firm_id, int64_t task_id);

/* events-emit.c -- events, written inside the change's transaction. Each returns -1 on failure. */
/*
 * Writes one event in the caller's transaction; it reaches streams after the
 * commit. Receivers: only user_id's sessions when user_id > 0; otherwise the
 * firm's staff and, unless staff_only, the contacts of account_id (0: none).
 * payload is an object whose members follow {id, type}; the caller keeps it.
 */
int events_emit(struct db *db, const char *type, int64_t firm_id, int64_t account_id,
    bool staff_only, int64_t user_id, struct json_object *payload);
/* thread.created or thread.updated: {thread} as staff and as the account's contacts see it. */
int events_emit_thread(struct db *db, const struct principal *u, const char *type,
    int64_t thread_id, bool staff_only);
/*
 * message.updated {thread_id, account_id, message}, staff only, with the staff
 * view of the message (its mail delivery changed). No thread or message: 0, nothing.
 */
int events_emit_message_updated(struct db *db, int64_t firm_id, int64_t thread_id,
    int64_t message_id);
/* thread.read {thread_id, up_to_message_id, unread_count}, for u's sessions only. */
int events_emit_read(struct db *db, const struct principal *u, int64_t thread_id);
int events_emit_task(struct db *db, const struct principal *u, int64_t task_id);
/* After a COMMIT: wakes the sequencer when this thread wrote events. */
void events_committed(void);

/* db-events-log.c -- reading and maintaining the log. */
struct db_events_log_page {
	struct events_ev *list;  /* oldest first; free with db_events_log_page_free */
	int n;
	bool full;               /* the page was full: there may be more */
	bool resync;             /* since is before the horizon or after the last id issued */
	int64_t last;            /* the last id read, or since */
};
/* Events after `after` that who may see (NULL: all), at most limit. Returns -1 on failure. */
int db_events_log_read(struct db *db, int64_t after, const struct events_viewer *who, int limit,
    struct db_events_log_page *pg);
/*
 * The same in one snapshot with the retention check (pg->resync); since < 0
 * reads nothing and sets pg->last to where who's stream starts (a contact's:
 * after the last event it may see, never past staff-only ones). -1 on failure.
 */
int db_events_log_fetch(struct db *db, int64_t since, const struct events_viewer *who, int limit,
    struct db_events_log_page *pg);
void db_events_log_page_free(struct db_events_log_page *pg);
/* The id streams start after; -1 on failure. */
int64_t db_events_log_head(struct db *db);
/* One sequencer pass: rows moved, -1 when another pass is running, -2 on failure. */
long db_events_log_sequence(struct db *db, int batch);
/* One retention pass: events deleted, or -1 on failure. */
long db_events_log_expire(struct db *db, long days, int batch);
/* Which of the n sessions ids are still valid, sorted into *valid (caller frees). -1 on failure. */
int db_events_log_sessions_valid(struct db *db, const int64_t *ids, size_t n, int64_t **valid,
    size_t *nvalid);

/* events-seq.c -- the sequencer thread. */
void events_seq_start(void);
void events_seq_stop(void);
/* Asks for a sequencer pass now (any thread). */
void events_seq_poke(void);
/* Deletes events older than the retention (the test clock runs it too). Returns -1 on failure. */
int events_seq_expire(struct db *db);

/* events-listen.c -- the LISTEN thread; head -1: unknown yet. */
void events_listen_start(int64_t head);
void events_listen_stop(void);

/* events-hub.c -- events on this instance: visibility, the ring, the fan-out. */
/* The event stream's protocol, and its start and stop beside the loop (http.c). */
extern const struct lws_protocols events_protocol;
void events_hub_start(struct lws_context *ctx);
void events_hub_stop(struct lws_context *ctx);
/* Ping and hang-up times for idle connections (from --event-ping). */
const struct lws_retry_bo *events_idle_policy(void);
struct lws_context *events_hub_context(void);
struct events_ev *events_ev_new(void);
void events_ev_unref(struct events_ev *ev);
void events_frame_unref(struct events_frame *f);
void events_viewer_of(const struct principal *u, struct events_viewer *v);
/* The frame v receives for ev (borrowed; ref it to keep it), or NULL when v may not see it. */
struct events_frame *events_frame_for(struct events_ev *ev, const struct events_viewer *v);
/* Any thread: the fan-out count, the last id fanned out, and whether that is known. */
void events_hub_mark(uint64_t *count, int64_t *head, bool *ready);
void events_hub_set_head(int64_t head);
/* Listener: hands over a batch in id order (takes the references). Returns events pending. */
size_t events_hub_push(struct events_ev *list);
/*
 * Loop: adds (at most max) frames v may see of events fanned out after count
 * with ids above *cursor, moving *cursor. False when the ring lost some of them.
 */
bool events_hub_since(uint64_t count, const struct events_viewer *v, int64_t *cursor, int64_t max,
    void (*add)(void *arg, struct events_frame *f), void *arg);

/* events-ws.c -- WebSocket subscribers. */
/* The WebSocket reasons of a stream, from either protocol (http.c forwards them too). */
int events_ws_callback(struct lws *wsi, int reason, void *user, void *in, size_t len);
void events_ws_fanout(struct events_ev *ev);
/* Starts re-checking the sessions of open streams. */
void events_ws_start(void);
/* SIGTERM: closes every stream with 1001. */
void events_ws_stop(void);
size_t events_ws_count(void);

/* events-poll.c -- the long poll. */
void events_poll_route(struct request *req, struct db *db);
void events_poll_fanout(struct events_ev *ev);
/* After a fan-out batch: answers the long polls that got events. */
void events_poll_flush(void);
/* SIGTERM: answers every parked long poll now. */
void events_poll_stop(void);

/* route-*.c handlers */
void route_healthz(struct request *req, struct db *db);
void route_sessions_create(struct request *req, struct db *db);
void route_sessions_delete(struct request *req, struct db *db);
void route_me(struct request *req, struct db *db);
void route_sessions_list(struct request *req, struct db *db);
void route_sessions_revoke(struct request *req, struct db *db);
void route_me_password(struct request *req, struct db *db);
/* True when this account and address must wait: replies 429 with Retry-After (or 503). */
bool route_sessions_throttled(struct request *req, struct db *db, const char *email);
void route_staff_list(struct request *req, struct db *db);
void route_staff_create(struct request *req, struct db *db);
void route_staff_update(struct request *req, struct db *db);
void route_contacts_update(struct request *req, struct db *db);
void route_accounts_list(struct request *req, struct db *db);
void route_accounts_create(struct request *req, struct db *db);
void route_accounts_get(struct request *req, struct db *db);
void route_contacts_create(struct request *req, struct db *db);
void route_templates_list(struct request *req, struct db *db);
void route_templates_create(struct request *req, struct db *db);
void route_templates_get(struct request *req, struct db *db);
void route_templates_update(struct request *req, struct db *db);
void route_templates_delete(struct request *req, struct db *db);
void route_threads_list(struct request *req, struct db *db);
void route_threads_create(struct request *req, struct db *db);
void route_threads_get(struct request *req, struct db *db);
void route_threads_update(struct request *req, struct db *db);
void route_messages_list(struct request *req, struct db *db);
void route_messages_create(struct request *req, struct db *db);
void route_threads_read(struct request *req, struct db *db);
void route_tasks_update(struct request *req, struct db *db);
void route_test_clock(struct request *req, struct db *db);
void route_notifications_list(struct request *req, struct db *db);
void route_notifications_read(struct request *req, struct db *db);
void route_notification_settings_get(struct request *req, struct db *db);
void route_notification_settings_update(struct request *req, struct db *db);
void route_threads_resend(struct request *req, struct db *db);
void route_threads_reminders(struct request *req, struct db *db);

#endif
