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

#include <json-c/json.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "proto.h"

struct lws;
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
	long event_queue;     /* events queued per subscriber before it is cut off */
	long event_retention_days;
	bool test_clock;
};
extern struct config cfg;

/* Loads defaults, then the config file, then the environment, then flags. Returns -1 on error. */
int config_load(int *argc, char ***argv);
void config_usage(FILE *fp);

/* db.c -- one connection, owned by one thread at a time. */
struct db {
	struct pg_conn *conn;
	bool broken;          /* the connection failed during this job: answer 503 */
	int unique_violation; /* the last statement hit a unique constraint */
};

/* Up to 16 text parameters for one statement; numbers are formatted into slots. */
struct params {
	const char *v[16];
	char slot[16][32];
	int n;
};
void p_str(struct params *p, const char *s);
void p_int(struct params *p, int64_t v);
void p_bool(struct params *p, bool v);
void p_null(struct params *p);
/* An id, or NULL when v <= 0. */
void p_id(struct params *p, int64_t v);

int db_connect(struct db *db);
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
/* Row as a JSON object, columns by type (json columns are parsed). Caller puts. */
struct json_object *db_row_json(const struct pg_result *res, int row);
/* All rows as a JSON array. Caller puts. */
struct json_object *db_rows_json(const struct pg_result *res);
/* One JSON object from a single-row query, or NULL when there is no row. Caller puts. */
struct json_object *db_one_json(struct db *db, const char *sql, const struct params *p);
/* A JSON array of every row. NULL on failure. Caller puts. */
struct json_object *db_all_json(struct db *db, const char *sql, const struct params *p);
/* One integer from a single-row query; dflt when there is no row or it is NULL. */
int64_t db_one_int(struct db *db, const char *sql, const struct params *p, int64_t dflt);

/* pool.c -- database threads. A job runs on a pool thread, then done() runs on the loop. */
struct job {
	void (*run)(struct job *job, struct db *db);
	void (*done)(struct job *job);
	struct job *next;
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
	char *name;
	char *email;
};

struct query_arg {
	char *key;
	char *value;
};

struct request {
	struct job job;
	struct lws *wsi;         /* NULL once the connection has gone */
	enum http_method method;
	char *path;
	struct query_arg *args;
	size_t nargs;
	char *authorization;     /* the bearer token, if any */
	char *content_type;
	char peer[64];
	char request_id[20];
	struct buf body;
	bool body_too_large;
	int64_t ids[4];          /* the {id} parts of the path, in order */
	int nids;
	const struct route *route;
	struct principal user;
	double started;          /* monotonic seconds */
	/* The reply. */
	int status;
	struct buf out;
	char retry_after[16];
	size_t sent;
	bool headers_sent;
};

void req_free(struct request *req);
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
/* {"items": items, "next": next or null}; takes ownership of items. */
void reply_list(struct request *req, struct json_object *items, const char *next);
/* Reads ?limit (default 50, capped at 200) and the offset cursor ?cursor. Replies 422 on bad input. */
int req_page(struct request *req, int64_t *limit, int64_t *offset);
/* Replies with items, and a next cursor when the page was full. Takes ownership of items. */
void reply_page(struct request *req, struct json_object *items, int64_t limit, int64_t offset);

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
enum who { WHO_PUBLIC, WHO_ANY, WHO_STAFF, WHO_ADMIN, WHO_OWNER };
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
void route_list(FILE *fp);
const char *method_name(enum http_method m);
/* True when the caller is staff looking at its own firm (not viewing as a client). */
bool is_staff(const struct request *req);

/* http.c -- the libwebsockets protocol for HTTP. */
extern const struct lws_protocols http_protocol;
/* Listens and runs the loop until SIGTERM. Returns 0 after a clean stop. */
int http_serve(void);
extern volatile int http_stopping;
/* Other parts (the event stream) add protocols and start/stop hooks before http_serve(). */
extern const struct lws_protocols *http_extra_protocols[8];
extern void (*http_on_start)(struct lws_context *ctx);
extern void (*http_on_stop)(struct lws_context *ctx);

/* auth.c */
/* argon2id hash of password. Returns NULL on failure. Caller frees. */
char *auth_hash_password(const char *password);
bool auth_check_password(const char *hash, const char *password);
/* A new random token (base64url, 43 chars) into out[64], its SHA-256 into hash[32]. */
void auth_new_token(char out[64], unsigned char hash[32]);
void auth_token_hash(const char *token, unsigned char hash[32]);
/* Resolves the bearer token to req->user. Returns 0, or replies 401 and returns -1. */
int auth_resolve(struct request *req, struct db *db);
void auth_random_hex(char *out, size_t nbytes);
/* Stores a new session for user and writes its token to out. Returns -1 on failure. */
int auth_session_create(struct db *db, int64_t user_id, char out[64]);

/* migrate.c */
/* Applies every sql/NNN_*.sql not yet recorded, each in its own transaction. */
int migrate_run(struct db *db);

/* jobs.c */
/* Runs every background pass that is due now (reminders, mail), on this thread. */
void jobs_run_due(struct db *db);

/* firm.c */
int firm_create_cli(int argc, char **argv);

/* markdown.c -- message bodies: safe HTML, embeds, mentions. */
/* Safe HTML rendering of CommonMark. Caller frees. */
char *markdown_html(const char *body);
/* Loom, Vimeo, YouTube and Google Drive links as [{provider,url}]. Caller puts. */
struct json_object *markdown_embeds(const char *body);

/* db-people.c -- staff, accounts, contacts. JSON results: caller puts. */
struct json_object *db_accounts_list(struct db *db, const struct principal *u, const char *q,
    bool unread, bool by_name, int64_t limit, int64_t offset);
/* One account with its contacts, or NULL when it is not visible to u. */
struct json_object *db_account_get(struct db *db, const struct principal *u, int64_t id);
/* NULL when the name is taken (db->unique_violation) or on failure. */
/* 1 when u may see the account, 0 when not, -1 on failure. */
int db_account_visible(struct db *db, const struct principal *u, int64_t account_id);
struct json_object *db_account_create(struct db *db, int64_t firm_id, const char *name);
/* The new user id; 0 when the email is taken; -1 on failure. */
int64_t db_contact_create(struct db *db, int64_t firm_id, int64_t account_id, const char *name,
    const char *email, const char *hash, bool portal_access, bool notify);
struct json_object *db_contact_get(struct db *db, int64_t id);
struct json_object *db_staff_list(struct db *db, int64_t firm_id);
/* The new user id; 0 when the email is taken; -1 on failure. */
int64_t db_staff_create(struct db *db, int64_t firm_id, const char *name, const char *email,
    const char *hash, const char *role);
struct json_object *db_staff_get(struct db *db, int64_t firm_id, int64_t id);

/* db-templates.c */
struct template_fields {
	const char *name, *subject, *body; /* NULL: unchanged (update) or default (create) */
	bool has_enabled, enabled;
	int64_t interval_days, max_count;  /* 0: unchanged or default */
};
struct reminder_change;
struct json_object *db_templates_list(struct db *db, int64_t firm_id, int64_t limit, int64_t offset);
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
    const struct thread_filter *f, int64_t limit, int64_t offset);
/* The thread as u may see it, or NULL. */
struct json_object *db_thread_get(struct db *db, const struct principal *u, int64_t id);
/* The thread's account when u may see it, else 0 (lock: FOR UPDATE). */
int64_t db_thread_account(struct db *db, const struct principal *u, int64_t id, bool lock);
struct json_object *db_messages_list(struct db *db, const struct principal *u, int64_t thread_id,
    int64_t before, int64_t after, int64_t limit);
struct json_object *db_message_get(struct db *db, const struct principal *u, int64_t id);
/* Looks up an author's client_msg_id. Returns 1 found, 0 not, -1 on failure. */
int db_client_msg_find(struct db *db, int64_t author_id, const char *client_msg_id,
    int64_t *message_id, int64_t *thread_id, bool *first);
/* Inserts a message and moves the thread, the author's marker and the account. Returns its id or -1. */
int64_t db_message_insert(struct db *db, const struct principal *u, int64_t thread_id,
    const char *body, bool internal, const char *client_msg_id);
int64_t db_thread_insert(struct db *db, const struct principal *u, int64_t account_id,
    const char *subject, const struct reminder_settings *r);
int db_task_insert(struct db *db, int64_t firm_id, int64_t thread_id, const char *title, int position);
/* Contacts of the account with portal access; -1 on failure. */
int db_account_has_portal(struct db *db, int64_t account_id);
struct json_object *db_read_marker_set(struct db *db, const struct principal *u, int64_t thread_id,
    int64_t up_to);
long db_thread_update(struct db *db, int64_t thread_id, const struct thread_change *c);
bool db_staff_in_firm(struct db *db, int64_t firm_id, int64_t id);
struct json_object *db_task_set_done(struct db *db, const struct principal *u, int64_t task_id,
    bool done);
/* A template's subject and body with placeholders filled for the account, and its reminders. */
struct json_object *db_template_render(struct db *db, int64_t firm_id, int64_t template_id,
    int64_t account_id);

/* route-threads.c */
/* Reads {enabled?, interval_days?, max_count?}; replies 422 and returns false when bad. */
bool reminder_fields_read(struct request *req, struct json_object *rem,
    struct reminder_change *out);

/* activity.c -- consequences of a change, in its transaction. Each returns -1 on failure. */
int activity_thread_created(struct db *db, const struct principal *u, int64_t thread_id,
    int64_t message_id);
int activity_message_created(struct db *db, const struct principal *u, int64_t thread_id,
    int64_t message_id);
/* Archive, reopen, assignment, reminder settings, or a new message moved it. */
int activity_thread_updated(struct db *db, const struct principal *u, int64_t thread_id);
int activity_thread_read(struct db *db, const struct principal *u, int64_t thread_id);
int activity_task_updated(struct db *db, const struct principal *u, int64_t task_id);

/* route-*.c handlers */
void route_healthz(struct request *req, struct db *db);
void route_sessions_create(struct request *req, struct db *db);
void route_sessions_delete(struct request *req, struct db *db);
void route_me(struct request *req, struct db *db);
void route_staff_list(struct request *req, struct db *db);
void route_staff_create(struct request *req, struct db *db);
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

#endif
