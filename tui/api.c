/*
 * api.c -- every request the client makes, as typed jobs: one constructor
 * per API call, with the context its answer is checked against in named
 * fields. The screens submit the jobs to the worker (net.c); the scripted
 * subcommands run them here with api_call(). Paths and bodies are built
 * nowhere else; what an answer does to the model is result.c's business.
 */
#include "folio.h"
#include "json.h"
#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_PAGE 200
#define API_MESSAGES_PAGE 50
#define API_NOTES_PAGE 100

/* A new job. path is formatted; body (copied) may be NULL. Caller frees or submits. */
static struct job *
api_job(enum job_kind kind, const char *method, const char *body, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static struct job *
api_job(enum job_kind kind, const char *method, const char *body, const char *fmt, ...)
{
	struct job *j = xcalloc(1, sizeof *j);
	va_list ap;

	j->kind = kind;
	j->method = method ? xstrdup(method) : NULL;
	j->body = body ? xstrdup(body) : NULL;
	if (fmt != NULL) {
		va_start(ap, fmt);
		if (vasprintf(&j->path, fmt, ap) < 0)
			abort(); /* out of memory */
		va_end(ap);
	}
	return j;
}

void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->method);
	free(j->path);
	free(j->body);
	free(j->outbox);
	free(j->says);
	free(j->why);
	free(j->reply);
	free(j);
}

struct job *
api_next(const struct job *j, const char *cursor)
{
	const char *at = strstr(j->path, "&cursor=");
	int len = at ? (int)(at - j->path) : (int)strlen(j->path);
	char *esc = http_escape(cursor);
	struct job *n = api_job(j->kind, j->method, j->body, "%.*s&cursor=%s", len, j->path, esc);

	free(esc);
	n->account_id = j->account_id;
	n->thread_id = j->thread_id;
	n->gen = j->gen;
	n->says = j->says ? xstrdup(j->says) : NULL;
	n->next_page = true;
	return n;
}

struct job *
api_me(void)
{
	return api_job(JOB_ME, "GET", NULL, "/api/v1/me");
}

struct job *
api_accounts(int64_t gen, bool unread)
{
	struct job *j = api_job(JOB_ACCOUNTS, "GET", NULL, "/api/v1/accounts?limit=%d%s", API_PAGE,
	    unread ? "&unread=true" : "");

	j->gen = gen;
	return j;
}

struct job *
api_accounts_named(const char *name)
{
	char *q = http_escape(name);
	struct job *j = api_job(JOB_ACCOUNTS, "GET", NULL, "/api/v1/accounts?limit=%d&q=%s",
	    API_PAGE, q);

	free(q);
	return j;
}

struct job *
api_account(int64_t id)
{
	struct job *j = api_job(JOB_ACCOUNT, "GET", NULL, "/api/v1/accounts/%lld", (long long)id);

	j->account_id = id;
	return j;
}

struct job *
api_recipient(int64_t account_id)
{
	struct job *j = api_account(account_id);

	j->kind = JOB_RECIPIENT;
	return j;
}

struct job *
api_threads(const struct api_threads_query *q)
{
	static const char *assigned[] = { "", "&assigned_to=me", "&assigned_to=none" };
	const char *as = q->view_as ? "" : assigned[q->assigned];
	struct job *j;

	if (q->waiting)
		j = api_job(JOB_THREADS, "GET", NULL, "/api/v1/threads?waiting_on=firm"
		    "&sort=waiting_since&limit=%d%s", API_PAGE, as);
	else if (q->unread)
		j = api_job(JOB_THREADS, "GET", NULL, "/api/v1/threads?unread=true&limit=%d%s",
		    API_PAGE, as);
	else if (q->view_as)
		j = api_job(JOB_THREADS, "GET", NULL, "/api/v1/threads?account_id=%lld&archived=%s"
		    "&limit=%d&view_as_account=%lld", (long long)q->account_id,
		    q->archived ? "true" : "false", API_PAGE, (long long)q->view_as);
	else
		j = api_job(JOB_THREADS, "GET", NULL, "/api/v1/threads?account_id=%lld&archived=%s"
		    "&limit=%d%s", (long long)q->account_id, q->archived ? "true" : "false", API_PAGE,
		    as);
	j->account_id = q->account_id;
	j->gen = q->view;
	return j;
}

struct job *
api_thread(int64_t id)
{
	struct job *j = api_job(JOB_THREAD, "GET", NULL, "/api/v1/threads/%lld", (long long)id);

	j->thread_id = id;
	return j;
}

struct job *
api_messages(int64_t thread_id, int64_t before, int64_t view_as)
{
	char as[48] = "", bf[48] = "";
	struct job *j;

	if (view_as)
		snprintf(as, sizeof as, "&view_as_account=%lld", (long long)view_as);
	if (before)
		snprintf(bf, sizeof bf, "&before=%lld", (long long)before);
	j = api_job(before ? JOB_OLDER : JOB_MESSAGES, "GET", NULL,
	    "/api/v1/threads/%lld/messages?limit=%d%s%s", (long long)thread_id, API_MESSAGES_PAGE, bf,
	    as);
	j->thread_id = thread_id;
	return j;
}

struct job *
api_read(int64_t thread_id, int64_t up_to)
{
	char body[64];
	struct job *j;

	snprintf(body, sizeof body, "{\"up_to_message_id\":%lld}", (long long)up_to);
	j = api_job(JOB_READ, "POST", body, "/api/v1/threads/%lld/read", (long long)thread_id);
	j->thread_id = thread_id;
	return j;
}

struct job *
api_send(int64_t thread_id, const char *body)
{
	struct job *j = api_job(JOB_SEND, "POST", body, "/api/v1/threads/%lld/messages",
	    (long long)thread_id);

	j->thread_id = thread_id;
	return j;
}

struct job *
api_create(const char *body)
{
	return api_job(JOB_CREATE, "POST", body, "/api/v1/threads");
}

struct job *
api_patch(int64_t thread_id, const char *body, const char *says)
{
	struct job *j = api_job(JOB_PATCH, "PATCH", body, "/api/v1/threads/%lld",
	    (long long)thread_id);

	j->thread_id = thread_id;
	j->says = says ? xstrdup(says) : NULL;
	return j;
}

struct job *
api_resend(int64_t thread_id)
{
	struct job *j = api_job(JOB_RESEND, "POST", "{}", "/api/v1/threads/%lld/resend",
	    (long long)thread_id);

	j->thread_id = thread_id;
	return j;
}

struct job *
api_ledger(int64_t thread_id)
{
	struct job *j = api_job(JOB_LEDGER, "GET", NULL, "/api/v1/threads/%lld/reminders",
	    (long long)thread_id);

	j->thread_id = thread_id;
	return j;
}

struct job *
api_templates(void)
{
	return api_job(JOB_TEMPLATES, "GET", NULL, "/api/v1/templates?limit=%d", API_PAGE);
}

struct job *
api_inbox(void)
{
	return api_job(JOB_INBOX, "GET", NULL, "/api/v1/notifications?limit=%d", API_NOTES_PAGE);
}

struct job *
api_note_read(int64_t id)
{
	return api_job(JOB_NOTE_READ, "POST", "{}", "/api/v1/notifications/%lld/read", (long long)id);
}

/* Appends "&key=value" (value escaped) to b when value is set. */
static void
api_query_add(struct buf *b, const char *key, const char *value)
{
	char *esc;

	if (value == NULL || *value == '\0')
		return;
	esc = http_escape(value);
	buf_printf(b, "&%s=%s", key, esc);
	free(esc);
}

struct job *
api_audit(const struct api_audit_query *q)
{
	struct buf b = BUF_INIT;
	struct job *j;

	api_query_add(&b, "type", q->type);
	if (q->actor > 0)
		buf_printf(&b, "&actor=%lld", (long long)q->actor);
	api_query_add(&b, "since", q->since);
	api_query_add(&b, "until", q->until);
	j = api_job(JOB_AUDIT, "GET", NULL, "/api/v1/audit?limit=%d%s", API_PAGE, buf_str(&b));
	buf_free(&b);
	return j;
}

struct job *
api_staff(void)
{
	return api_job(JOB_STAFF, "GET", NULL, "/api/v1/staff");
}

struct job *
api_login(const char *email, const char *password, int64_t firm_id, const char *totp)
{
	struct json_object *o = json_object_new_object();
	struct job *j;

	json_object_object_add(o, "email", json_object_new_string(email));
	json_object_object_add(o, "password", json_object_new_string(password));
	if (firm_id > 0)
		json_object_object_add(o, "firm_id", json_object_new_int64(firm_id));
	if (totp != NULL)
		json_object_object_add(o, "totp", json_object_new_string(totp));
	j = api_job(JOB_LOGIN, "POST", json_text(o), "/api/v1/sessions");
	/* The password must not linger in json-c's buffer longer than needed. */
	explicit_bzero((char *)json_text(o), strlen(json_text(o)));
	json_object_put(o);
	return j;
}

struct job *
api_totp(const char *what, const char *password, const char *code)
{
	struct json_object *o = json_object_new_object();
	struct job *j;

	if (password != NULL)
		json_object_object_add(o, "password", json_object_new_string(password));
	if (code != NULL)
		json_object_object_add(o, "code", json_object_new_string(code));
	if (what == NULL)
		j = api_job(JOB_TOTP, "GET", NULL, "/api/v1/me/totp");
	else if (*what == '\0')
		j = api_job(JOB_TOTP, "POST", "{}", "/api/v1/me/totp");
	else
		j = api_job(JOB_TOTP, "POST", json_text(o), "/api/v1/me/totp/%s", what);
	explicit_bzero((char *)json_text(o), strlen(json_text(o)));
	json_object_put(o);
	return j;
}

struct job *
api_logout(void)
{
	return api_job(JOB_LOGOUT, "DELETE", NULL, "/api/v1/sessions/current");
}

struct job *
api_stream(enum stream_state state, int64_t detail, const char *why)
{
	struct job *j = api_job(JOB_STREAM, NULL, NULL, NULL);

	j->stream = state;
	j->resumed = detail != 0;
	j->why = why ? xstrdup(why) : NULL;
	return j;
}

struct job *
api_event(const char *text, size_t len, bool replayed)
{
	struct job *j = api_job(JOB_EVENT, NULL, NULL, NULL);

	j->reply = xmalloc(len + 1);
	memcpy(j->reply, text, len);
	j->reply[len] = '\0';
	j->resumed = replayed;
	return j;
}

int
api_call(const char *server, const char *token, struct job *j)
{
	struct http_reply r;
	int rc;

	if ((rc = http_call(server, token, j->method, j->path, j->body, &r)) != 0)
		snprintf(j->err, sizeof j->err, "%s", r.err);
	j->status = r.status;
	free(j->reply);
	j->reply = buf_detach(&r.body);
	http_reply_free(&r);
	return rc;
}

bool
api_ok(const struct job *j)
{
	return j->status >= 200 && j->status <= 299;
}

char *
api_reason(const struct job *j)
{
	struct http_reply r;
	char *why;

	memset(&r, 0, sizeof r);
	r.status = j->status;
	snprintf(r.err, sizeof r.err, "%s", j->err);
	if (j->reply)
		buf_puts(&r.body, j->reply);
	why = http_reply_reason(&r);
	http_reply_free(&r);
	return why;
}
