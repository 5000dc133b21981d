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
