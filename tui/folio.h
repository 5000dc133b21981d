/*
 * folio.h -- the terminal client's one internal header, grouped by file.
 *
 * Data flow: keys go input (ui.c) -> keymap (keymap.c) -> action (action.c)
 * -> model (model.c); network answers and events go net/events -> queue ->
 * decode (decode.c) -> result handlers (result.c) -> model. Views (view-*.c)
 * read the model and draw; ui.c calls doupdate() once per loop pass.
 */
#ifndef FOLIO_TUI_H
#define FOLIO_TUI_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct model;

/* config.c */
/* The stored session: which server, which token, who we are. */
struct session {
	char *server;
	char *token;
	int64_t user_id;
	char *user_name;
	char *user_kind;
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

/* http.c */
struct http_reply {
	long status;     /* 0 when no HTTP answer came */
	struct buf body;
	char err[256];   /* transport failure, when status is 0 */
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
/* Makes every request in flight, and every later one, fail at once (quitting). */
void http_cancel_all(void);
/* One line saying why a request failed ("not_found: ... (HTTP 404)"). Caller frees. */
char *http_reply_reason(const struct http_reply *r);
/* The answer parsed as JSON, or NULL. Caller puts. */
struct json_object *http_reply_json(const struct http_reply *r);
/* Percent-encodes s for a query string. Caller frees. */
char *http_escape(const char *s);

/* net.c */
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
	JOB_EVENT,        /* a frame from the event stream; body holds it */
	JOB_STREAM,       /* the stream's state changed; a = enum stream_state */
	JOB_KIND_COUNT
};
/* A request and, once done, its answer. */
struct job {
	enum job_kind kind;
	char *method;
	char *path;
	char *body;
	int64_t a, b;     /* context: account, thread, message ids */
	char *tag;        /* context string: client_msg_id, outbox file */
	long status;      /* answer: HTTP status, 0 on transport failure */
	char *reply;      /* answer body */
	char err[256];
	struct job *next;
};
/* A new job. method, path and body are copied; body may be NULL. Caller frees or submits. */
struct job *job_create(enum job_kind kind, const char *method, const char *path, const char *body);
void job_free(struct job *j);
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
enum stream_state { STREAM_OFF, STREAM_CONNECTING, STREAM_UP, STREAM_DOWN, STREAM_RESYNC,
	STREAM_UNAUTHORIZED };
/* Starts the event stream thread; frames arrive as JOB_EVENT jobs via net_deliver(). */
int events_start(const char *server, const char *token, int64_t since);
void events_stop(void);
/* Asks the stream to reconnect now (after the network came back). */
void events_kick(void);

/* decode.c */
struct account {
	int64_t id;
	char *name;
	int64_t unread;
	char *last_activity;
	bool marked;
};
struct thread {
	int64_t id;
	int64_t account_id;
	char *subject;
	char *last_message_at;
	int64_t unread;
	bool archived;
	char *waiting_on;
	char *waiting_since;
	bool rem_enabled;
	int64_t rem_interval;
	int64_t rem_max;
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
};
enum { MSG_SENT, MSG_SENDING, MSG_QUEUED };
struct template_ref {
	int64_t id;
	char *name;
};
struct event {
	int64_t id;
	char *type;
	int64_t thread_id;
	int64_t account_id;
	bool has_message, has_thread;
	struct message message;
	struct thread thread;
};
/* Each decoder fills *out from o; -1 when a required field is missing. Free with the _clear. */
int decode_account(struct json_object *o, struct account *out);
int decode_thread(struct json_object *o, struct thread *out);
int decode_message(struct json_object *o, struct message *out);
int decode_template(struct json_object *o, struct template_ref *out);
int decode_event(const char *text, struct event *out);
void account_clear(struct account *a);
void thread_clear(struct thread *t);
void message_clear(struct message *msg);
void template_clear(struct template_ref *t);
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
void store_draft_clear(struct draft *d);
/*
 * Puts a send on disk before it is tried and returns the job to submit
 * (a = thread id, tag = the outbox file). The body carries client_msg_id cmid.
 */
struct job *store_outbox_add(enum job_kind kind, const char *path, const char *body,
    int64_t thread_id, const char *cmid);
void store_outbox_remove(const char *file);
/* Loads every queued send as jobs ready to submit; returns how many. */
size_t store_outbox_load(struct job **out, size_t max);
size_t store_outbox_count(void);

/* model.c */
enum screen_id { SCR_ACCOUNTS, SCR_THREADS, SCR_THREAD, SCR_COMPOSE, SCR_NEWCHAT, SCR_HELP,
	SCR_COUNT };
enum { DIRTY_STATUS = 1, DIRTY_BODY = 2, DIRTY_ALL = 3, DIRTY_CLEAR = 4 };
enum { FORM_TO, FORM_TEMPLATE, FORM_SUBJECT, FORM_BODY, FORM_REMIND, FORM_TASKS, FORM_CREATE,
	FORM_BACK, FORM_FIELDS };
struct listpos {
	size_t sel, top;
};
struct model {
	int64_t me_id;
	char *me_name;
	bool me_staff;

	enum screen_id stack[8];
	int depth;
	enum screen_id help_from;
	int dirty;

	struct account *accounts;
	size_t naccounts, accounts_cap;
	size_t *shown;        /* indexes of accounts passing the filter, in display order */
	size_t nshown;
	struct buf filter;
	bool filtering;
	bool sort_by_name;
	bool accounts_loading;
	struct listpos acc_pos;

	int64_t account_id;   /* threads of this account; 0 for the cross-account Unread view */
	bool unread_view;
	bool archived_view;
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

	struct edit compose;
	bool internal;
	bool asking;           /* the send/keep/discard question is up */
	int64_t compose_thread;
	bool draft_dirty;
	int64_t draft_changed_ms;

	struct edit form[FORM_FIELDS];
	int form_field;
	int64_t form_account;
	struct template_ref *templates;
	size_t ntemplates;

	int rows;              /* body rows, set by the UI when it draws */
	int64_t help_scroll;
	size_t thread_lines;   /* display lines of the open thread, set by its view */
	int64_t echo_seq;      /* local echoes get ids -1, -2, ... */
	int inflight;          /* sends submitted and not answered */
	int64_t accounts_refresh_at;
	int64_t outbox_retry_at;
	bool session_dead;

	int stream;            /* enum stream_state */
	int64_t last_event;
	int64_t replayed;
	size_t queued;
	char status[256];
	int64_t status_ms;
	bool quit;
};
void model_init(struct model *m);
void model_free(struct model *m);
enum screen_id model_screen(const struct model *m);
void model_push(struct model *m, enum screen_id s);
/* Leaves the current screen; false when it was the last. */
bool model_pop(struct model *m);
void model_set_status(struct model *m, int64_t now_ms, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Moves a list cursor by delta within n items, keeping it on screen of rows lines. */
void model_move(struct listpos *p, size_t n, long delta, size_t rows);
/* Takes the accounts (the model owns them now); append adds a further page. */
void model_accounts_set(struct model *m, struct account *v, size_t n, bool append);
void model_accounts_refilter(struct model *m);
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
/* The newest message id of the open thread not written here; 0 when none. */
int64_t model_last_message_id(const struct model *m);
/* Applies an event; returns true when the account list should be fetched again. */
bool model_apply_event(struct model *m, const struct event *ev, bool *post_read);
/* Sets the open thread's (and its account's) unread count. */
void model_mark_read(struct model *m, int64_t thread_id, int64_t unread);
const char *model_template_name(const struct model *m, int64_t id);

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
/* Reads bind lines from the config file; returns the number of errors. */
int keymap_load(const char *path, char *err, size_t errlen);
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
/* Fetches what the current screen shows. */
void action_refresh(struct model *m);
/* Saves the draft being typed, when it changed. */
void action_save_draft(struct model *m);
/* Sends everything in the outbox again. */
void action_flush_outbox(struct model *m);
/* Opens the thread with this id from the thread list of the model, fetching messages. */
void action_open_thread(struct model *m, const struct thread *t);
void action_fetch_accounts(struct model *m);
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
/* Restores text that could not be sent into the draft of its thread (0: the form). */
void action_compose_restore(struct model *m, int64_t thread_id, const char *request_body);

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
enum ui_style { UI_NORMAL, UI_TITLE, UI_SELECTED, UI_BADGE, UI_INTERNAL, UI_DIVIDER, UI_DIM,
	UI_LINK, UI_CODE, UI_HEADING, UI_QUOTE, UI_ERROR, UI_MARK, UI_AUTHOR, UI_FIELD,
	UI_STYLE_COUNT };
/* The curses attributes of a style (an attr_t, as int to keep curses out of this header). */
int ui_style(enum ui_style s);
/* Where the views want the terminal cursor; -1 hides it. */
void ui_cursor_at(int y, int x);
/* Draws s clipped to cols columns at the cursor; returns columns used. */
int ui_put(const char *s, size_t len, int cols);
/* Draws s padded or clipped to exactly cols columns. */
void ui_put_pad(const char *s, int cols);
/* A short human date for an RFC 3339 time ("14:05", "Mar 3"). */
void ui_when(const char *rfc3339, char *out, size_t outlen);

/* views: each draws the body rows [top, top+rows) of the screen */
struct view {
	const char *mode;
	void (*draw)(struct model *m, int top, int rows, int cols);
	const char *(*mode_of)(struct model *m);   /* NULL: mode is fixed */
};
extern const struct view view_accounts, view_threads, view_thread, view_compose, view_newchat,
    view_help;
/* view-thread.c: draws the thread's messages into rows, bottom-aligned. */
void view_thread_draw_messages(struct model *m, int top, int rows, int cols);
/* view-accounts.c */
const char *view_accounts_mode(struct model *m);
/* view-compose.c */
void view_compose_draw_editor(struct edit *e, int top, int rows, int cols, bool focus);

/* cmd-*.c: scripted subcommands; each returns the exit status */
int cmd_login(int argc, char **argv, const char *server_flag);
int cmd_logout(int argc, char **argv, const char *server_flag);
int cmd_accounts(int argc, char **argv, const char *server_flag);
int cmd_threads(int argc, char **argv, const char *server_flag);
int cmd_send(int argc, char **argv, const char *server_flag);
int cmd_tail(int argc, char **argv, const char *server_flag);
/* cmd-list.c: shared helpers */
/* Loads the session and picks the server; prints the reason and returns -1 when not logged in. */
int cmd_session(struct session *s, const char *server_flag);
/* Runs a request that must answer 2xx; prints the reason and returns NULL otherwise. Caller puts. */
struct json_object *cmd_request(const struct session *s, const char *method, const char *path,
    const char *body, long *status);
/* Looks an account up by exact name (case-insensitive); prints why and returns 0 when not found. */
int64_t cmd_account_id(const struct session *s, const char *name);
/* Prints "folio: reason" on stderr. */
void cmd_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
