/*
 * folio.h -- the terminal client's one internal header, grouped by file.
 *
 * Data flow: keys (and clicks) go input (ui.c, ui-mouse.c) -> keymap
 * (keymap.c) -> action (action*.c) -> model (model*.c); network answers and
 * events go net/events (events.c, or events-poll.c by long polling) ->
 * queue -> decode (decode.c) -> result handlers (result.c) -> model, which
 * asks for any follow-up request (model_want; action_follow makes it).
 * Every request is a typed job built in api.c, for the screens and the
 * scripted subcommands (cmd-*.c) alike. Views
 * (view-*.c) read the model and draw, side by side on a wide terminal
 * (model_panes); ui-draw.c calls doupdate() once per loop pass. options.c
 * reads the config file.
 */
#ifndef FOLIO_TUI_H
#define FOLIO_TUI_H

#include <json-c/json.h>
#include <libintl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

struct model;
struct tm;

/* Every word the user reads goes through _() (tui/po/folio.pot); N_() marks a table's strings. */
#define _(s) gettext(s)
#define N_(s) (s)

/* i18n.c */
/*
 * Sets the locale from the environment (LANG, LC_MESSAGES, LC_ALL) and finds
 * the message catalogs: FOLIO_LOCALEDIR, else the build tree next to the
 * binary (build/locale), else the installed LOCALEDIR. Numbers stay "C".
 */
void i18n_init(void);
/* The catalog directory in use (for --version and the tests). */
const char *i18n_dir(void);
/* Formats a local time with strftime in the user's locale. */
void i18n_strftime(char *out, size_t len, const char *fmt, const struct tm *tm);

/* config.c */
/* The stored session: which server, which token, who we are. */
struct session {
	char *server;
	char *token;
	int64_t user_id;
	char *user_name;
	char *user_kind;
	bool totp_enrol;     /* the login said the firm requires TOTP first (not stored) */
};
/* $XDG_STATE_HOME/folio (created 0700 when missing). Caller frees. */
char *config_state_dir(void);
/* A file name under the state directory; sub may be NULL. Caller frees. */
char *config_state_path(const char *sub, const char *name);
/* $XDG_CONFIG_HOME/folio/config. Caller frees. */
char *config_file_path(void);
/* Reads the session file; -1 with a reason when absent or unreadable. */
int config_session_load(struct session *s, char *err, size_t errlen);
/* Writes the session file with mode 0600; -1 with a reason on failure. */
int config_session_save(const struct session *s, char *err, size_t errlen);
/* Removes the session file; 0 also when there was none. */
int config_session_remove(void);
void config_session_clear(struct session *s);
/* The server to talk to: flag, then FOLIO_SERVER, then the session's, then the default. */
const char *config_server(const char *flag, const struct session *s);
/* Writes a file atomically (temporary file, fsync, rename) with the given mode. */
int config_write_file(const char *path, const char *data, size_t len, int mode);
/* Reads a whole file; NULL when it cannot. Caller frees. */
char *config_read_file(const char *path, size_t *len);
/* A new random client_msg_id (32 hex digits). Caller frees. */
char *config_new_id(void);

/* options.c */
/* One row of the options table: the config file's "name = value" lines. */
struct setting {
	const char *name;
	const char *values;   /* the choices, '|'-separated; "NUMBER" for a number, "FILE" a path */
	const char *def;
	const char *env;      /* overrides the file; NULL for none */
	const char *help;
};
/* Every option, in table order (help screen, man page). */
const struct setting *options_table(size_t *n);
/* Reads the config file (options, key bindings); returns the bad lines' count, the first in err. */
int options_load(const char *path, char *err, size_t errlen);
/* An option's value (its default until set). Static storage. */
const char *options_get(const char *name);
bool options_on(const char *name);
long options_number(const char *name);
/* Sets an option; -1 with a reason when the value is not one of its choices. */
int options_set(const char *name, const char *value, char *err, size_t errlen);
/* Reads the config file for a subcommand, which has nowhere to show a bad line. */
void options_load_quietly(void);
/* The "events" option as a mode. */
enum events_mode options_events_mode(void);

/* http.c */
struct http_reply {
	long status;     /* 0 when no HTTP answer came */
	struct buf body;
	char err[512];   /* transport failure, when status is 0 */
};
/*
 * Runs one request synchronously. Returns 0 when the server answered (any
 * status), -1 on a transport failure with the reason in r->err.
 */
int http_call(const char *server, const char *token, const char *method, const char *path,
    const char *body, struct http_reply *r);
/* The same with a body of any type and length (uploads). */
int http_call_raw(const char *server, const char *token, const char *method, const char *path,
    const char *body, size_t len, const char *type, struct http_reply *r);
void http_reply_free(struct http_reply *r);
/* The CA file of --ca (copied), which wins over the option "ca" (FOLIO_CA, the config file). */
void http_set_ca(const char *path);
/* The CA certificates (PEM) https:// and wss:// servers are verified against; NULL: the system's. */
const char *http_ca_file(void);
/* A message for a failed TLS verification, in the user's language (why: the library's words). */
char *http_untrusted(const char *server, const char *why);
/* Makes every request in flight, and every later one, fail at once (quitting). */
void http_cancel_all(void);
/* One line saying why a request failed ("not_found: ... (HTTP 404)"). Caller frees. */
char *http_reply_reason(const struct http_reply *r);
/* The answer parsed as JSON, or NULL. Caller puts. */
struct json_object *http_reply_json(const struct http_reply *r);
/* Percent-encodes s for a query string. Caller frees. */
char *http_escape(const char *s);

/* api.c */
/* The event stream's state (events.c). */
enum stream_state { STREAM_OFF, STREAM_CONNECTING, STREAM_UP, STREAM_DOWN, STREAM_RESYNC,
	STREAM_UNAUTHORIZED };
/* What a job is for; result.c has one handler per kind. */
enum job_kind {
	JOB_ME,
	JOB_ACCOUNTS,
	JOB_THREADS,
	JOB_THREAD,
	JOB_MESSAGES,
	JOB_OLDER,
	JOB_READ,
	JOB_SEND,
	JOB_CREATE,
	JOB_TEMPLATES,
	JOB_ACCOUNT,      /* one account again: its unread count moved */
	JOB_INBOX,        /* Inbox+ (staff) or pending items (contacts) */
	JOB_NOTE_READ,    /* one notification marked read */
	JOB_LEDGER,       /* a thread's reminder ledger */
	JOB_RESEND,       /* the reminder mailed again now */
	JOB_PATCH,        /* a thread changed: archived, reminders, assignee */
	JOB_STAFF,        /* the firm's team (assignees' names, the assign pop-up) */
	JOB_RECIPIENT,    /* the new chat form's account with its contacts */
	JOB_LOGIN,        /* folio login */
	JOB_LOGOUT,       /* folio logout */
	JOB_TOTP,         /* folio totp: my two-factor login */
	JOB_AUDIT,        /* folio audit: a page of the audit log */
	JOB_EVENT,        /* a frame from the event stream; reply holds it */
	JOB_STREAM,       /* the stream's state changed */
	JOB_KIND_COUNT
};
/*
 * A request and, once done, its answer. The context fields say what the
 * answer belongs to; each constructor sets the ones its kind uses.
 */
struct job {
	enum job_kind kind;
	char *method;
	char *path;
	char *body;
	int64_t account_id;   /* THREADS, ACCOUNT, RECIPIENT: the account */
	int64_t thread_id;    /* MESSAGES, OLDER, READ, SEND, THREAD, LEDGER, PATCH, RESEND */
	int64_t gen;          /* ACCOUNTS: which fetch of the list; THREADS: which view */
	bool next_page;       /* ACCOUNTS: a further page of a fetch (api_next) */
	char *says;           /* PATCH: what the status line says afterwards (through _()) */
	char *outbox;         /* SEND, CREATE: the outbox file, removed once answered */
	int stream;           /* STREAM: enum stream_state */
	bool resumed;         /* STREAM: up after a resume; EVENT: replayed by a resume */
	char *why;            /* STREAM: why it went down; "poll" while long polling */
	long status;          /* answer: HTTP status, 0 on transport failure */
	char *reply;          /* answer body */
	char err[512];
	struct job *next;
};
/* Which threads a list shows (api_threads). */
struct api_threads_query {
	int64_t account_id;   /* 0 for the cross-account views */
	bool unread, waiting, archived;
	int assigned;         /* ASSIGNED_ANY, _ME or _NONE */
	int64_t view_as;      /* the account seen as its contacts see it; 0: none */
	int64_t view;         /* model_threads_view, to drop answers for another view */
};
/* The constructors: one per API call. Each returns a new job; caller frees or submits. */
struct job *api_me(void);
/* The account list (a fetch numbered gen); unread: only those with unread messages. */
struct job *api_accounts(int64_t gen, bool unread);
/* Accounts whose name matches (GET /api/v1/accounts?q=). */
struct job *api_accounts_named(const char *name);
struct job *api_account(int64_t id);
/* One account with its contacts, for the new chat form. */
struct job *api_recipient(int64_t account_id);
struct job *api_threads(const struct api_threads_query *q);
struct job *api_thread(int64_t id);
/* The newest page of a thread's messages, or (before > 0) the page before that id. */
struct job *api_messages(int64_t thread_id, int64_t before, int64_t view_as);
struct job *api_read(int64_t thread_id, int64_t up_to);
/* A message (body is the JSON request) into a thread; api_create starts a new chat. */
struct job *api_send(int64_t thread_id, const char *body);
struct job *api_create(const char *body);
/* PATCH a thread with the JSON body; says (copied) is for the status line afterwards. */
struct job *api_patch(int64_t thread_id, const char *body, const char *says);
struct job *api_resend(int64_t thread_id);
struct job *api_ledger(int64_t thread_id);
struct job *api_templates(void);
struct job *api_inbox(void);
struct job *api_note_read(int64_t id);
struct job *api_staff(void);
/* The firm's audit log (owners), newest first; NULL or 0 fields: no such filter. */
struct api_audit_query {
	const char *type;      /* a kind, e.g. "login_failed" */
	int64_t actor;         /* a user id */
	const char *since, *until; /* RFC 3339 times */
};
struct job *api_audit(const struct api_audit_query *q);
/* Logs in; firm_id > 0 picks the firm when the address is in several (409 choose_firm). */
struct job *api_login(const char *email, const char *password, int64_t firm_id, const char *totp);
/*
 * My two-factor login: what NULL reads its state, "" begins an enrolment,
 * "confirm", "disable" or "recovery-codes" post {password?, code?}.
 */
struct job *api_totp(const char *what, const char *password, const char *code);
struct job *api_logout(void);
/* The next page of the list j asked for, from its answer's cursor. */
struct job *api_next(const struct job *j, const char *cursor);
/* What the event transports hand the UI: a state change, a frame (copied). */
struct job *api_stream(enum stream_state state, int64_t detail, const char *why);
struct job *api_event(const char *text, size_t len, bool replayed);
void job_free(struct job *j);
/* Runs j now (the subcommands; the worker thread). 0 when the server answered, any status. */
int api_call(const char *server, const char *token, struct job *j);
bool api_ok(const struct job *j);
/* One line saying why j failed ("not_found: ... (HTTP 404)"). Caller frees. */
char *api_reason(const struct job *j);

/* net.c */
/* Starts the worker thread for this server and token. */
void net_start(const char *server, const char *token);
void net_stop(void);
/* Queues a job for the worker, which owns it until it comes back through net_poll(). */
void net_submit(struct job *j);
/* Hands a finished job (or an event) to the UI: safe from any thread. */
void net_deliver(struct job *j);
/* The next finished job, or NULL. Caller frees. */
struct job *net_poll(void);
/* A descriptor that is readable while net_poll() has something. */
int net_fd(void);

/* events.c */
/* How events arrive: the WebSocket, long polling, or the WebSocket with polling as fallback. */
enum events_mode { EVENTS_AUTO, EVENTS_WEBSOCKET, EVENTS_POLL };
/*
 * Starts the event stream thread; frames arrive as JOB_EVENT jobs via
 * net_deliver(), state changes as JOB_STREAM (api_stream).
 */
int events_start(const char *server, const char *token, int64_t since, enum events_mode mode);
void events_stop(void);
/* Asks the stream to reconnect now (after the network came back). */
void events_kick(void);
/* Tells the UI the stream's state (both transports use it). */
void events_state(enum stream_state state, int64_t detail, const char *why);
/* Hands one event frame (JSON text, copied) to the UI; replayed marks a resume's backlog. */
void events_deliver(const char *text, size_t len, bool replayed);

/* events-poll.c */
/*
 * The long-poll transport: GET /api/v1/events?since=N&wait=25 in a loop on a
 * thread of its own, for when the WebSocket cannot connect. Starts after
 * the event id since; events_poll_stop() ends it.
 */
void events_poll_start(const char *server, const char *token, int64_t since);
/* Ends the polling thread; cancels every request in flight (http_cancel_all). */
void events_poll_stop(void);
/* Ends a wait between retries now (the network came back). */
void events_poll_kick(void);
/*
 * Hands the events of one answer {items, next} to the UI and moves *since to
 * next. Returns how many there were, or -1 when the answer is unreadable.
 */
int events_poll_answer(const char *body, int64_t *since, bool replayed);

/* decode.c */
struct account {
	int64_t id;
	char *name;
	int64_t unread;
	char *last_activity;
	bool marked;
	char *key;          /* the name folded for filtering and sorting (model_fold), or NULL */
};
struct thread {
	int64_t id;
	int64_t account_id;
	char *subject;
	char *last_message_at;
	int64_t unread;
	bool archived;
	int64_t assignee_id; /* 0: nobody */
	char *waiting_on;
	char *waiting_since;
	bool has_unread;    /* unread_count was in the answer (events leave it out) */
	bool rem_enabled;
	int64_t rem_interval;
	int64_t rem_max;
	int64_t rem_sent;
	char *rem_next_due;
	char *rem_ended_by;
	int tasks_done;
	int tasks_total;
};
struct message {
	int64_t id;
	int64_t thread_id;
	int64_t author_id;
	char *author_kind;
	char *author_name;
	char *body;
	bool internal;
	char *created_at;
	char *client_msg_id;
	char **extras;      /* "file: name" and "video: url" lines */
	size_t nextras;
	int state;          /* MSG_SENT, MSG_SENDING, MSG_QUEUED */
	char **failures;    /* staff only: "email: error" of each mail about it that failed */
	size_t nfailures;
};
enum { MSG_SENT, MSG_SENDING, MSG_QUEUED };
struct template_ref {
	int64_t id;
	char *name;
	char *subject, *body; /* with {{placeholders}}; model_template_render fills them */
	bool rem_enabled;   /* the reminders a chat from it starts with */
	int64_t rem_interval, rem_max;
};
/* A member of the firm's team (GET /api/v1/staff). */
struct staff_ref {
	int64_t id;
	char *name;
};
/* An Inbox+ item (staff) or a pending item (contacts): one per thread. */
struct notification {
	int64_t id;
	char *type;         /* message, thread, document, task, mention, assignment, reminder */
	int64_t thread_id;
	int64_t account_id;
	char *account_name;
	char *subject;
	char *actor_name;
	char *bumped_at;
	bool read;
};
/* One reminder or resend of a thread's ledger. */
struct ledger_item {
	char *kind;         /* reminder, resend */
	int64_t seq;
	char *sent_at;
	char *recipients;   /* comma-separated */
	char *state;        /* sent, pending, failed, partly_failed, no_recipients */
	char *error;        /* the first failure's reason, or NULL */
};
/* GET /api/v1/threads/{id}/reminders. */
struct ledger {
	int64_t thread_id;  /* 0: not loaded */
	bool enabled;
	int64_t interval, max, sent, remaining;
	char *next_due;
	char *ended_by;     /* max_count, client_replied, archived, switched_off, or NULL */
	struct ledger_item *items;
	size_t n;
};
struct event {
	int64_t id;
	char *type;
	int64_t thread_id;
	int64_t account_id;
	int64_t unread;     /* thread.read: the reader's count */
	bool has_message, has_thread, has_unread, has_note;
	struct message message;
	struct thread thread;
	struct notification note;
};
/* Each decoder fills *out from o; -1 when a required field is missing. Free with the _clear. */
int decode_account(struct json_object *o, struct account *out);
int decode_thread(struct json_object *o, struct thread *out);
int decode_message(struct json_object *o, struct message *out);
int decode_template(struct json_object *o, struct template_ref *out);
int decode_staff(struct json_object *o, struct staff_ref *out);
int decode_event(const char *text, struct event *out);
int decode_notification(struct json_object *o, struct notification *out);
int decode_ledger(struct json_object *o, struct ledger *out);
void account_clear(struct account *a);
void notification_clear(struct notification *n);
void notification_copy(struct notification *dst, const struct notification *src);
void ledger_clear(struct ledger *l);
void thread_clear(struct thread *t);
void message_clear(struct message *msg);
void template_clear(struct template_ref *t);
void staff_clear(struct staff_ref *s);
void event_clear(struct event *ev);
void thread_copy(struct thread *dst, const struct thread *src);
void message_copy(struct message *dst, const struct message *src);
/* The "items" array of a list answer and its "next" cursor (NULL when none). */
struct json_object *decode_items(struct json_object *o, const char **next);

/* edit.c */
/* A multi-line text being edited: bytes plus a cursor (a byte offset). */
struct edit {
	struct buf text;
	size_t cur;
	size_t goal_col;  /* column kept while moving up and down */
};
void edit_init(struct edit *e);
void edit_free(struct edit *e);
void edit_set(struct edit *e, const char *s);
void edit_insert(struct edit *e, const char *s, size_t n);
void edit_backspace(struct edit *e);
void edit_delete(struct edit *e);
void edit_left(struct edit *e);
void edit_right(struct edit *e);
void edit_home(struct edit *e);
void edit_end(struct edit *e);
void edit_up(struct edit *e);
void edit_down(struct edit *e);
void edit_kill_line(struct edit *e);
void edit_delete_word(struct edit *e);
bool edit_empty(const struct edit *e);
/* The text with trailing blank lines removed. Caller frees. */
char *edit_trimmed(const struct edit *e);
/*
 * Wraps the text to cols columns: fills starts[] with the byte offset of
 * each visual line (up to max) and returns how many there are; *cur_line
 * and *cur_col get the cursor's position.
 */
size_t edit_layout(const struct edit *e, size_t cols, size_t *starts, size_t max,
    size_t *cur_line, size_t *cur_col);

/* markdown.c */
enum { MD_BOLD = 1, MD_ITALIC = 2, MD_CODE = 4, MD_LINK = 8, MD_HEADING = 16, MD_QUOTE = 32 };
struct md_span {
	size_t off, len;   /* into the line's text */
	int attr;
};
struct md_line {
	char *text;
	struct md_span *spans;
	size_t nspans;
	int indent;        /* columns of hanging indent already in text */
};
struct md_doc {
	struct md_line *lines;
	size_t n, cap;
};
/* Renders CommonMark-ish text into lines wrapped at cols. Free with md_doc_clear. */
void md_render(struct md_doc *d, const char *src, size_t cols);
/* Adds one plain line (no markup) wrapped at cols. */
void md_plain(struct md_doc *d, const char *text, int attr, size_t cols);
void md_doc_clear(struct md_doc *d);

/* store.c */
struct draft {
	char *body;
	bool internal;
	/* new chat form only */
	char *to, *template_name, *subject, *remind, *tasks;
};
/* The draft file of a thread (id > 0) or of the new chat form (id 0). Caller frees. */
char *store_draft_path(int64_t thread_id);
int store_draft_save(int64_t thread_id, const struct draft *d);
/* Loads a draft; -1 when there is none. */
int store_draft_load(int64_t thread_id, struct draft *d);
void store_draft_remove(int64_t thread_id);
/* The threads that have a draft on disk, in *out (Caller frees); returns how many. */
size_t store_draft_list(int64_t **out);
void store_draft_clear(struct draft *d);
/*
 * Saves the text of a refused send (its JSON request) as the draft of its
 * thread (0: the new chat form); to names the form's account, or NULL.
 */
void store_draft_restore(int64_t thread_id, const char *request_body, const char *to);
/*
 * Puts a send (api_send, api_create) on disk before it is tried, notes the
 * file in j->outbox and returns j. The body carries client_msg_id cmid.
 */
struct job *store_outbox_add(struct job *j, const char *cmid);
void store_outbox_remove(const char *file);
/* Loads every queued send as jobs ready to submit; returns how many. */
size_t store_outbox_load(struct job **out, size_t max);
size_t store_outbox_count(void);

/* model.c */
enum screen_id { SCR_ACCOUNTS, SCR_THREADS, SCR_THREAD, SCR_COMPOSE, SCR_NEWCHAT, SCR_HELP,
	SCR_INBOX, SCR_MENU, SCR_REMINDERS, SCR_ASSIGN, SCR_COUNT };
/* The threads list's assignee filter (f cycles it). */
enum { ASSIGNED_ANY, ASSIGNED_ME, ASSIGNED_NONE };
enum { DIRTY_STATUS = 1, DIRTY_BODY = 2, DIRTY_ALL = 3, DIRTY_CLEAR = 4 };
/* Requests an answer calls for (model_want; action_follow makes them). */
enum { WANT_STAFF = 1, WANT_READ = 2, WANT_FORM_FILL = 4, WANT_THREADS = 8, WANT_MESSAGES = 16,
	WANT_LEDGER = 32, WANT_ACCOUNT = 64, WANT_ACCOUNTS = 128, WANT_REFRESH = 256,
	WANT_OUTBOX = 512, WANT_DRAFTS = 1024 };
/* The new chat form's fields; FORM_REMIND holds "on" or nothing, the next two digits. */
enum { FORM_TO, FORM_TEMPLATE, FORM_SUBJECT, FORM_BODY, FORM_REMIND, FORM_REMIND_DAYS,
	FORM_REMIND_COUNT, FORM_TASKS, FORM_CREATE, FORM_BACK, FORM_FIELDS };
/* The reminders dialog of a thread (SCR_REMINDERS). */
enum { REM_ON, REM_DAYS, REM_COUNT, REM_SAVE, REM_CANCEL, REM_FIELDS };
#define REMIND_DAYS_DEFAULT 3
#define REMIND_COUNT_DEFAULT 1
struct listpos {
	size_t sel, top;
};
/* A screen's place on a wide terminal: panes side by side (model_panes). */
struct pane {
	enum screen_id screen;
	int x, cols;
};
#define PANES_MAX 3
struct model {
	int64_t me_id;
	char *me_name;
	char *firm_name;
	bool me_staff;
	struct staff_ref *staff;  /* the firm's team, for assignees */
	size_t nstaff;

	enum screen_id stack[8];
	int depth;
	enum screen_id help_from;
	int dirty;

	struct account *accounts;
	size_t naccounts, accounts_cap;
	struct account *acc_stage;  /* a refetch's pages, shown together once all are in */
	size_t nstage;
	bool staging;
	size_t *shown;        /* indexes of accounts passing the filter, in display order */
	size_t nshown;
	size_t name_cols;     /* the widest account name, in columns (the pane follows it) */
	struct buf filter;
	bool filtering;
	bool sort_by_name;
	bool accounts_loading;
	bool accounts_paging;  /* a further page of accounts is on its way */
	int64_t accounts_gen;  /* which fetch of the list the pages belong to */
	struct listpos acc_pos;

	int64_t account_id;   /* threads of this account; 0 for the cross-account views */
	bool unread_view;
	bool waiting_view;     /* the queue of threads waiting on the firm, oldest first */
	bool archived_view;
	int assigned;          /* ASSIGNED_ANY, _ME or _NONE */
	int64_t view_as;       /* an account seen as its contacts see it (read-only); 0: none */
	struct thread *threads;
	size_t nthreads;
	bool threads_loading;
	struct listpos thr_pos;

	struct thread thread;  /* the open thread */
	struct message *msgs;
	size_t nmsgs;
	bool has_older, loading_older, msgs_loading;
	int64_t first_unread;  /* message id the "new" divider stands before; 0 for none */
	int64_t scroll;        /* lines from the bottom of the thread view */
	bool jump_to_unread;

	int64_t *drafts;       /* threads with a draft on disk (lists mark them) */
	size_t ndrafts;
	bool refreshing;       /* R was pressed: the status says so until an answer came */

	struct edit compose;
	bool internal;
	bool asking;           /* the send/keep/discard question is up */
	int64_t compose_thread;
	bool draft_dirty;
	int64_t draft_changed_ms;

	struct edit form[FORM_FIELDS];
	int form_field;
	int64_t form_account;
	int64_t form_template; /* the template whose reminders the form holds; -1: a draft's */
	struct template_ref *templates;
	size_t ntemplates;
	int64_t form_contact_account; /* the account whose contact name is in form_contact */
	char *form_contact;    /* who {{contact.name}} is for the form's account */
	char *form_filled[2];  /* the subject and message a template put in (untouched since?) */

	struct notification *notes;  /* Inbox+, most recently bumped first */
	size_t nnotes;
	bool notes_loading;
	struct listpos note_pos;

	struct ledger ledger;  /* the open thread's reminder ledger (staff) */
	bool show_ledger;
	struct listpos menu_pos;
	struct listpos assign_pos; /* the assign pop-up: me, nobody, then the team */
	struct edit rem[REM_FIELDS];  /* the reminders dialog: REM_ON holds "on" or nothing */
	int rem_field;
	bool num_fresh;        /* a number field was just entered: the first digit replaces it */

	int wide;              /* columns from which panes go side by side; 0: never */
	int cols;              /* terminal columns, set by the UI */

	int rows;              /* body rows, set by the UI when it draws */
	int64_t help_scroll;
	size_t thread_lines;   /* display lines of the open thread, set by its view */
	int64_t echo_seq;      /* local echoes get ids -1, -2, ... */
	int inflight;          /* sends submitted and not answered */
	int64_t outbox_retry_at;
	int64_t ledger_poll_at; /* when to fetch a ledger with pending mail again */
	bool session_dead;
	int wants;             /* WANT_*: requests the model asks for; action_follow makes them */
	int64_t want_account;  /* WANT_ACCOUNT: the account to fetch again */

	int stream;            /* enum stream_state */
	bool polling;          /* events arrive by long polling */
	int64_t last_event;
	int64_t replayed;
	size_t queued;
	char status[256];
	int64_t status_ms;
	const char *notice;    /* FOLIO_NOTICE: in the status line until the first key */
	bool quit;
};
void model_init(struct model *m);
/* Reads "on", "off", "DAYS:COUNT" or "on:DAYS:COUNT" (drafts, --remind); -1 when unreadable. */
int model_remind_parse(const char *spec, bool *on, long *days, long *count);
void model_free(struct model *m);
enum screen_id model_screen(const struct model *m);
/* Enters screen s. Screens change: the status line empties (set a status after the change). */
void model_push(struct model *m, enum screen_id s);
/* Leaves the current screen; false when it was the last. */
bool model_pop(struct model *m);
void model_set_status(struct model *m, int64_t now_ms, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Takes the ids of the threads with a draft (owned now); model_has_draft asks about one. */
void model_drafts_set(struct model *m, int64_t *ids, size_t n);
bool model_has_draft(const struct model *m, int64_t thread_id);
/* Moves the new chat form's (or the reminders dialog's) focus to field f. */
void model_form_focus(struct model *m, int f);
void model_rem_focus(struct model *m, int f);
/* Moves a list cursor by delta within n items, keeping it on screen of rows lines. */
void model_move(struct listpos *p, size_t n, long delta, size_t rows);
/* Takes the accounts (the model owns them now); append adds a further page. */
void model_accounts_set(struct model *m, struct account *v, size_t n, bool append);
/*
 * Takes one page of the account list (owned now). The first list shows page
 * by page; a refetch collects its pages and shows them at once after the
 * last, keeping marks, so the list never shrinks while it loads.
 */
void model_accounts_page(struct model *m, struct account *v, size_t n, bool first, bool last);
/* One account fetched again: its unread count and latest activity. */
void model_account_update(struct model *m, const struct account *a);
void model_accounts_refilter(struct model *m);
/*
 * Folds s the way German readers match and sort names: lower case, umlauts
 * and their spellings alike (ä, ae -> a; ö, oe -> o; ü, ue -> u; ß -> ss),
 * accents dropped. "Müller", "Mueller" and "muller" fold the same. Caller frees.
 */
char *model_fold(const char *s);
struct account *model_account_find(struct model *m, int64_t id);
struct account *model_account_by_name(struct model *m, const char *name);
struct account *model_account_selected(struct model *m);
void model_threads_set(struct model *m, struct thread *v, size_t n);
struct thread *model_thread_find(struct model *m, int64_t id);
struct thread *model_thread_selected(struct model *m);
/* Opens thread t (copied) and clears the messages. */
void model_thread_open(struct model *m, const struct thread *t);
/* Takes the newest page of messages of the open thread; places the "new" divider. */
void model_messages_set(struct model *m, struct message *v, size_t n, bool has_older);
/* Takes an older page, put in front. */
void model_messages_prepend(struct model *m, struct message *v, size_t n, bool has_older);
/* Adds or replaces one message of the open thread (by id, or local echo by client_msg_id). */
bool model_message_add(struct model *m, const struct message *msg);
/* Replaces the held message with msg's id (message.updated); false when not held. */
bool model_message_replace(struct model *m, const struct message *msg);
/* The newest message id of the open thread not written here; 0 when none. */
int64_t model_last_message_id(const struct model *m);
/*
 * Applies an event. Returns the id of an account whose unread count moved
 * by an amount only the server knows (fetch it again), else 0.
 */
int64_t model_apply_event(struct model *m, const struct event *ev, bool *post_read);
/* Sets the open thread's (and its account's) unread count. */
void model_mark_read(struct model *m, int64_t thread_id, int64_t unread);
/*
 * A thread changed (an answer, an event): the open thread and the list
 * follow; their unread counts change only when the thread carries one.
 */
void model_thread_update(struct model *m, const struct thread *t);
/* Which list item a click on body row y (0 = the list's first row) hits; -1 for none. */
long model_list_hit(const struct listpos *p, size_t n, int y, int per_item);
/* Lays the screens out: side by side from m->wide columns, else the top one. Returns how many. */
int model_panes(const struct model *m, int cols, struct pane *out);
/* model-notify.c */
/* Takes the Inbox+ items (owned now). */
void model_notes_set(struct model *m, struct notification *v, size_t n);
/* A new or bumped item (copied) goes to the top, replacing the thread's old one. */
void model_note_upsert(struct model *m, const struct notification *n);
/* Marks the item of this id read; false when there is none. */
bool model_note_read(struct model *m, int64_t id);
/* The thread was read to its end: so is its item (the server does the same). */
void model_notes_thread_read(struct model *m, int64_t thread_id);
size_t model_notes_unread(const struct model *m);
struct notification *model_note_selected(struct model *m);
/* Takes the ledger (moved: *l is left empty) when it belongs to the open thread. */
void model_ledger_set(struct model *m, struct ledger *l);
/*
 * Whether the shown ledger has a mail still pending. A sent mail brings no
 * event, so the UI fetches the ledger again while this holds.
 */
bool model_ledger_pending(const struct model *m);
const char *model_template_name(const struct model *m, int64_t id);
/* Takes the team (owned now). */
void model_staff_set(struct model *m, struct staff_ref *v, size_t n);
/* A team member's name; NULL when unknown. */
const char *model_staff_name(const struct model *m, int64_t id);
/* Which threads the list shows, as one number (answers for another view are dropped). */
int64_t model_threads_view(const struct model *m);
/* Whether the screens speak to a client: a contact, or staff viewing as one. */
bool model_client_view(const struct model *m);
/*
 * Fills a template's {{contact.first_name}}, {{contact.name}}, {{account.name}}
 * and {{firm.name}} the way the server does when the chat is created. Caller frees.
 */
char *model_template_render(const char *text, const char *contact, const char *account,
    const char *firm);

/* model-sync.c */
/* Asks for follow-up requests (WANT_*); an account to fetch again. */
void model_want(struct model *m, int wants);
void model_want_account(struct model *m, int64_t id);
/* The requests asked for since the last call, and the account; clears them. */
int model_wants_take(struct model *m, int64_t *account);
/* Who I am (GET /api/v1/me); NULL names stay as they are. Staff want the team. */
void model_me_set(struct model *m, int64_t id, const char *name, const char *firm, bool staff);
/* The server refused the token: say so, for good. */
void model_session_ended(struct model *m, int64_t now_ms);
/* Takes the templates (owned now); a draft's template gets its id back. */
void model_templates_set(struct model *m, struct template_ref *v, size_t n);
/* Who {{contact.name}} is for the form's account. */
void model_form_contact_set(struct model *m, int64_t account_id, const char *name);
/* A send came back: queued sends left, and when to retry them (0: no change). */
void model_send_answered(struct model *m, size_t queued, int64_t retry_at);
/* The local echo with client_msg_id cmid waits in the outbox. */
void model_echo_queued(struct model *m, const char *cmid);
/* The threads list shows the threads of this account (not a cross-account view). */
void model_threads_show(struct model *m, int64_t account_id);
/* A new chat exists: from the lists, its account's threads and then the chat open. */
void model_chat_created(struct model *m, const struct thread *t);
/* An event was applied: note (an Inbox+ item) redraws the title; replayed counts a resume. */
void model_event_seen(struct model *m, bool note, bool replayed, int64_t now_ms);
/* The stream's state (enum stream_state) changed. */
void model_stream_set(struct model *m, int state, bool polling, bool resumed, int64_t now_ms);
/* The answer R waited for came. */
void model_refreshed(struct model *m, int64_t now_ms);
/* A request of this kind failed: whatever waited for it stops waiting. */
void model_load_failed(struct model *m, enum job_kind kind, int64_t gen);

/* keymap.c */
#define KEYC_BASE 0x200000           /* curses function keys are KEYC_BASE + KEY_* */
#define KEYC_PASTE_START 0x300001
#define KEYC_PASTE_END 0x300002
struct binding {
	const char *mode;
	int key;
	const char *action;
};
/* The action bound to key in mode (or in "global"); NULL when none. */
const char *keymap_lookup(const char *mode, int key);
/* The key's name ("C-d", "Enter", "j"). Static storage. */
const char *keymap_key_name(int key);
/* Parses a key name; -1 when unknown. */
int keymap_key_parse(const char *name);
/* Applies a "bind MODE KEY ACTION" or "unbind MODE KEY" line, split in words; -1 with a reason. */
int keymap_apply(char **words, int n, char *err, size_t errlen);
/* Every binding, in table order, for the help screen. */
const struct binding *keymap_bindings(size_t *n);

/* action.c */
struct action {
	const char *name;
	void (*fn)(struct model *m);
	const char *help;
};
const struct action *action_find(const char *name);
/* Runs the action bound to key in the current mode; false when none is. */
bool action_key(struct model *m, const char *mode, int key);
/* Types text into whatever edits text on the current screen. */
void action_text(struct model *m, const char *s, size_t n);
/* Fetches what the current screen shows; accounts: the whole account list too. */
void action_refresh(struct model *m, bool accounts);
/* Saves the draft being typed, when it changed. */
void action_save_draft(struct model *m);
/* Reads which threads have a draft on disk into the model (lists mark them). */
void action_drafts_reload(struct model *m);
/* Sends everything in the outbox again. */
void action_flush_outbox(struct model *m);
/* Makes the requests the model asked for (model_want) while applying answers. */
void action_follow(struct model *m);
/* Opens the thread with this id from the thread list of the model, fetching messages. */
void action_open_thread(struct model *m, const struct thread *t);
void action_fetch_accounts(struct model *m);
/* Fetches one account again (its unread count); nothing when it is not in the list. */
void action_fetch_account(struct model *m, int64_t id);
void action_fetch_threads(struct model *m);
void action_post_read(struct model *m);
/* action-compose.c */
/* The edit the current screen types into (compose box or form field); NULL when none. */
struct edit *action_compose_edit(struct model *m);
/* Opens the compose box for the open thread, restoring its draft. */
void action_compose_open(struct model *m, bool internal);
void action_compose_send(struct model *m);
/* Opens the new chat form, restoring its draft. */
void action_newchat_open(struct model *m);
void action_newchat_send(struct model *m);
/* Runs $VISUAL/$EDITOR on the text being composed. */
void action_compose_editor(struct model *m);
/* Leaves compose or the form: asks first when text would be lost. */
void action_compose_leave(struct model *m);
/* Answers to the send/keep/discard question. */
void action_ask_send(struct model *m);
void action_ask_keep(struct model *m);
void action_ask_discard(struct model *m);
void action_ask_cancel(struct model *m);
void action_toggle_internal(struct model *m);
void action_form_next(struct model *m);
void action_form_prev(struct model *m);
void action_form_enter(struct model *m);
/* The form's reminders as "on:DAYS:COUNT" or "off:DAYS:COUNT" (drafts). Caller frees. */
char *action_form_remind_spec(struct model *m);

/* action-thread.c */
size_t action_menu_count(void);
/* The action name of menu item i, and its label. */
const char *action_menu_item(struct model *m, size_t i, const char **label);
void action_menu_open(struct model *m);
void action_menu_pick(struct model *m);
void action_resend(struct model *m);
void action_archive(struct model *m);
void action_ledger_toggle(struct model *m);
void action_fetch_ledger(struct model *m);
void action_reminders_open(struct model *m);
void action_reminders_save(struct model *m);
/* Space on a reminders switch (the dialog's, the new chat form's). */
void action_toggle(struct model *m);
void action_fetch_inbox(struct model *m);
void action_inbox_open(struct model *m);
/* Opens the selected Inbox+ item's thread and marks the item read. */
void action_inbox_pick(struct model *m);
void action_assign_open(struct model *m);
void action_assign_pick(struct model *m);
/* The assign pop-up's rows: 0 me, 1 nobody, then the team; label and staff id (0 nobody). */
size_t action_assign_count(const struct model *m);
const char *action_assign_item(const struct model *m, size_t i, int64_t *id);
void action_fetch_staff(struct model *m);
/* action-newchat.c */
/* The form's To named an account: fetch its contacts so a template renders for it. */
void action_form_recipient(struct model *m);
/* Puts the chosen template, rendered for the form's account, into Subject and Message. */
void action_form_fill(struct model *m);

/* result.c */
/* Applies one finished job to the model, then frees it. */
void result_apply(struct model *m, struct job *j);

/* ui.c */
int64_t ui_now_ms(void);
/* Runs the interactive client until the user quits; returns the exit status. */
int ui_main(const struct session *s);
/* Leaves curses, runs $VISUAL/$EDITOR on text, returns the edited text (NULL on failure). */
char *ui_run_editor(const char *text);
/* Semantic styles the views draw with; ui.c maps them to colours or attributes. */
enum ui_style { UI_NORMAL, UI_TITLE, UI_SELECTED, UI_CURRENT, UI_BADGE, UI_INTERNAL, UI_DIVIDER,
	UI_DIM, UI_LINK, UI_CODE, UI_HEADING, UI_QUOTE, UI_ERROR, UI_MARK, UI_AUTHOR, UI_FIELD,
	UI_STYLE_COUNT };
#define UI_STATUS_SHOW_MS 8000
/* The curses attributes of a style (an attr_t, as int to keep curses out of this header). */
int ui_style(enum ui_style s);
/* Where the views want the terminal cursor; -1 hides it. Ignored outside the focused pane. */
void ui_cursor_at(int y, int x);
/* Puts the terminal cursor where the focused view asked for it (or hides it). */
void ui_cursor_show(void);
/* The pane being drawn: views' columns count from x0; focused is the one keys go to. */
void ui_pane(int x0, bool focused);
bool ui_pane_focused(void);
/* move() within the pane being drawn. */
void ui_move(int y, int x);
/* The style of a list's cursor row: selected in the focused pane, current elsewhere. */
int ui_cursor_style(void);
/* Draws s clipped to cols columns at the cursor; returns columns used. */
int ui_put(const char *s, size_t len, int cols);
/* Draws s padded or clipped to exactly cols columns. */
void ui_put_pad(const char *s, int cols);
/* Draws s right-aligned in cols columns (display columns, not bytes). */
void ui_put_right(const char *s, int cols);
/*
 * Joins the non-empty parts with " · " into out as far as they fit in cols
 * columns; parts that do not fit are left out (a "…" says so), never cut in
 * the middle of a word.
 */
void ui_join_fit(char *out, size_t outlen, const char *const *parts, size_t n, int cols);
/* A short human date for an RFC 3339 time ("14:05", "Mar 3"). */
void ui_when(const char *rfc3339, char *out, size_t outlen);

/* ui-mouse.c */
/* Asks the terminal for clicks and the wheel. */
void ui_mouse_start(void);
/* Handles the KEY_MOUSE that get_wch() just returned. */
void ui_mouse_event(struct model *m);

/* ui-draw.c */
/* Draws what is dirty and sends it to the terminal (one doupdate()). */
void ui_draw(struct model *m);
/* The key mode of the current screen ("accounts", "ask", ...). */
const char *ui_draw_mode(struct model *m);
/* Appends milestones ("draw", "thread N", ...) to this file after each draw (benchmarks). */
void ui_draw_bench(const char *path);
/* The key to show for action in mode (or global): a plain character when there is one. Static. */
const char *ui_draw_key_for(const char *mode, const char *action);

/* views: each draws the body rows [top, top+rows) of the screen */
struct view {
	const char *mode;
	void (*draw)(struct model *m, int top, int rows, int cols);
	const char *(*mode_of)(struct model *m);   /* NULL: mode is fixed */
};
extern const struct view view_accounts, view_threads, view_thread, view_compose, view_newchat,
    view_help, view_inbox, view_menu, view_reminders, view_assign;
/* view-thread.c: draws the thread's messages into rows, bottom-aligned. */
void view_thread_draw_messages(struct model *m, int top, int rows, int cols);
/* One line on a thread's reminders ("reminders every 3 days: 1 of 2 sent, next Mar 5"); brief: "reminders 1/2, next Mar 5". */
void view_thread_reminders(const struct thread *t, bool brief, char *out, size_t len);
/* view-accounts.c */
const char *view_accounts_mode(struct model *m);
/* view-help.c: the help text wrapped at cols into text; returns its lines. */
size_t view_help_text(struct model *m, size_t cols, struct buf *text);
/* view-menu.c: which menu item is at body row y, column x; -1 for none. */
long view_menu_hit(struct model *m, int y, int x);
/* view-compose.c */
void view_compose_draw_editor(struct edit *e, int top, int rows, int cols, bool focus);

/* cmd-*.c: scripted subcommands; each returns the exit status */
int cmd_login(int argc, char **argv, const char *server_flag);
int cmd_logout(int argc, char **argv, const char *server_flag);
int cmd_accounts(int argc, char **argv, const char *server_flag);
int cmd_threads(int argc, char **argv, const char *server_flag);
int cmd_send(int argc, char **argv, const char *server_flag);
int cmd_tail(int argc, char **argv, const char *server_flag);
int cmd_totp(int argc, char **argv, const char *server_flag);
/* cmd-session.c: a line from the terminal (echo off when secret) or standard input. Caller frees. */
char *cmd_session_prompt(const char *prompt, bool secret);
int cmd_audit(int argc, char **argv, const char *server_flag);
/* cmd-list.c: shared helpers */
/* Loads the session and picks the server; prints the reason and returns -1 when not logged in. */
int cmd_session(struct session *s, const char *server_flag);
/* Runs job j (freed) that must answer 2xx; prints the reason and returns NULL otherwise. Caller puts. */
struct json_object *cmd_run(const struct session *s, struct job *j);
/* Every page of the list j asks for (j is freed): a new array (caller puts), or NULL after saying why. */
struct json_object *cmd_list_all(const struct session *s, struct job *j);
/* Looks an account up by exact name (case-insensitive); prints why and returns 0 when not found. */
int64_t cmd_account_id(const struct session *s, const char *name);
/* Prints "folio: reason" on stderr. */
void cmd_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Server text for plain output, with control characters and bad bytes as U+FFFD. */
void cmd_put(FILE *out, const char *s, size_t len);
void cmd_puts(FILE *out, const char *s);

#endif
