/*
 * action-thread.c -- what staff do to a thread besides writing in it: the
 * action menu (Resend, Archive or Reopen, Reminders, the ledger), the
 * reminders dialog, and Inbox+ (the list of what needs them, with a jump
 * to each thread). Requests go out as jobs; result.c applies the answers.
 */
#include "folio.h"
#include "json.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *action;
	const char *label;   /* NULL: says Archive or Reopen */
} action_menu[] = {
	{ "resend", "Resend the reminder now" },
	{ "archive", NULL },
	{ "reminders", "Reminders: on or off, days, count" },
	{ "ledger", "Show or hide the reminder ledger" },
};

size_t
action_menu_count(void)
{
	return sizeof action_menu / sizeof action_menu[0];
}

const char *
action_menu_item(struct model *m, size_t i, const char **label)
{
	*label = action_menu[i].label;
	if (*label == NULL)
		*label = m->thread.archived ? "Reopen the thread" : "Archive the thread";
	return action_menu[i].action;
}

/* Staff only; says so to anyone else. */
static bool
action_staff(struct model *m)
{
	if (m->me_staff && m->thread.id != 0)
		return true;
	model_set_status(m, ui_now_ms(), "only the firm's team manages a thread's reminders");
	return false;
}

void
action_fetch_ledger(struct model *m)
{
	struct job *j;
	char path[96];

	if (m->thread.id == 0 || !m->me_staff)
		return;
	snprintf(path, sizeof path, "/api/v1/threads/%lld/reminders", (long long)m->thread.id);
	j = job_create(JOB_LEDGER, "GET", path, NULL);
	j->a = m->thread.id;
	net_submit(j);
}

/* Leaves the menu or the dialog for the thread under it. */
static void
action_to_thread(struct model *m)
{
	while ((model_screen(m) == SCR_MENU || model_screen(m) == SCR_REMINDERS) && model_pop(m))
		;
}

void
action_menu_open(struct model *m)
{
	if (!action_staff(m))
		return;
	m->menu_pos.sel = m->menu_pos.top = 0;
	model_push(m, SCR_MENU);
}

void
action_menu_pick(struct model *m)
{
	const char *label, *name;
	const struct action *a;

	if (m->menu_pos.sel >= action_menu_count())
		return;
	name = action_menu_item(m, m->menu_pos.sel, &label);
	if ((a = action_find(name)) != NULL)
		a->fn(m);
}

/* PATCH /api/v1/threads/{id}; done is what the status line says afterwards. */
static void
action_patch(struct model *m, struct json_object *body, const char *done)
{
	struct job *j;
	char path[96];

	snprintf(path, sizeof path, "/api/v1/threads/%lld", (long long)m->thread.id);
	j = job_create(JOB_PATCH, "PATCH", path, json_text(body));
	j->a = m->thread.id;
	j->tag = xstrdup(done);
	net_submit(j);
	json_object_put(body);
}

void
action_resend(struct model *m)
{
	struct job *j;
	char path[96];

	if (!action_staff(m))
		return;
	action_to_thread(m);
	snprintf(path, sizeof path, "/api/v1/threads/%lld/resend", (long long)m->thread.id);
	j = job_create(JOB_RESEND, "POST", path, "{}");
	j->a = m->thread.id;
	net_submit(j);
	model_set_status(m, ui_now_ms(), "mailing the reminder again");
}

void
action_archive(struct model *m)
{
	struct json_object *o;
	bool archive = !m->thread.archived;

	if (!action_staff(m))
		return;
	action_to_thread(m);
	o = json_object_new_object();
	json_object_object_add(o, "archived", json_object_new_boolean(archive));
	action_patch(m, o, archive ? "archived" : "reopened");
}

void
action_ledger_toggle(struct model *m)
{
	if (!action_staff(m))
		return;
	action_to_thread(m);
	m->show_ledger = !m->show_ledger;
	if (m->show_ledger && m->ledger.thread_id != m->thread.id)
		action_fetch_ledger(m);
	m->dirty |= DIRTY_ALL;
}

void
action_reminders_open(struct model *m)
{
	char n[32];

	if (!action_staff(m))
		return;
	action_to_thread(m);
	edit_set(&m->rem[REM_ON], m->thread.rem_enabled ? "on" : "");
	snprintf(n, sizeof n, "%lld", (long long)(m->thread.rem_interval > 0 ?
	    m->thread.rem_interval : REMIND_DAYS_DEFAULT));
	edit_set(&m->rem[REM_DAYS], n);
	snprintf(n, sizeof n, "%lld", (long long)(m->thread.rem_max > 0 ? m->thread.rem_max :
	    REMIND_COUNT_DEFAULT));
	edit_set(&m->rem[REM_COUNT], n);
	m->rem_field = REM_ON;
	model_push(m, SCR_REMINDERS);
}

/* A number field's value within [lo, hi]; -1 when it is not one. */
static long
action_number(const struct edit *e, long lo, long hi)
{
	char *end;
	long v = strtol(buf_str(&e->text), &end, 10);

	return *buf_str(&e->text) && *end == '\0' && v >= lo && v <= hi ? v : -1;
}

void
action_reminders_save(struct model *m)
{
	struct json_object *o, *r;
	long days, count;

	if (m->rem_field == REM_CANCEL) {
		action_to_thread(m);
		return;
	}
	if ((days = action_number(&m->rem[REM_DAYS], 1, 365)) < 0) {
		m->rem_field = REM_DAYS;
		model_set_status(m, ui_now_ms(), "days: a number from 1 to 365");
		return;
	}
	if ((count = action_number(&m->rem[REM_COUNT], 1, 100)) < 0) {
		m->rem_field = REM_COUNT;
		model_set_status(m, ui_now_ms(), "count: a number from 1 to 100");
		return;
	}
	r = json_object_new_object();
	json_object_object_add(r, "enabled", json_object_new_boolean(!edit_empty(&m->rem[REM_ON])));
	json_object_object_add(r, "interval_days", json_object_new_int((int)days));
	json_object_object_add(r, "max_count", json_object_new_int((int)count));
	o = json_object_new_object();
	json_object_object_add(o, "reminders", r);
	action_to_thread(m);
	action_patch(m, o, "reminders saved");
}

void
action_toggle(struct model *m)
{
	struct edit *e = NULL;

	if (model_screen(m) == SCR_REMINDERS && m->rem_field == REM_ON)
		e = &m->rem[REM_ON];
	else if (model_screen(m) == SCR_NEWCHAT && m->form_field == FORM_REMIND)
		e = &m->form[FORM_REMIND];
	if (e == NULL)
		return;
	edit_set(e, edit_empty(e) ? "on" : "");
	m->draft_dirty = model_screen(m) == SCR_NEWCHAT;
	m->draft_changed_ms = ui_now_ms();
	m->dirty |= DIRTY_BODY;
}

void
action_fetch_inbox(struct model *m)
{
	m->notes_loading = true;
	net_submit(job_create(JOB_INBOX, "GET", "/api/v1/notifications?limit=100", NULL));
}

void
action_inbox_open(struct model *m)
{
	if (model_screen(m) == SCR_INBOX)
		return;
	m->note_pos.sel = m->note_pos.top = 0;
	model_push(m, SCR_INBOX);
	action_fetch_inbox(m);
}

/* Enter on an item: it is read now, and its thread opens (the full thread follows). */
void
action_inbox_pick(struct model *m)
{
	struct notification *n = model_note_selected(m);
	struct thread t;
	struct job *j;
	char path[96];

	if (n == NULL)
		return;
	if (!n->read) {
		snprintf(path, sizeof path, "/api/v1/notifications/%lld/read", (long long)n->id);
		net_submit(job_create(JOB_NOTE_READ, "POST", path, "{}"));
		model_note_read(m, n->id);
	}
	memset(&t, 0, sizeof t);
	t.id = n->thread_id;
	t.account_id = n->account_id;
	t.subject = n->subject ? n->subject : "";
	if (m->account_id != n->account_id || m->unread_view) {
		model_threads_set(m, NULL, 0); /* another account's threads must not mix in */
		m->account_id = n->account_id;
		m->unread_view = m->archived_view = false;
	}
	snprintf(path, sizeof path, "/api/v1/threads/%lld", (long long)t.id);
	j = job_create(JOB_THREAD, "GET", path, NULL);
	j->a = t.id;
	net_submit(j);  /* before the messages: it brings the unread count the divider needs */
	action_open_thread(m, &t);
}
