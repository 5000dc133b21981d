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
	{ "resend", N_("Resend the reminder now") },
	{ "archive", NULL },
	{ "assign", N_("Assign to a colleague or to me") },
	{ "reminders", N_("Reminders: on or off, days, count") },
	{ "ledger", N_("Show or hide the reminder ledger") },
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
		*label = m->thread.archived ? N_("Reopen the thread") : N_("Archive the thread");
	return action_menu[i].action;
}

/* Staff only; says so to anyone else. */
static bool
action_staff(struct model *m)
{
	if (m->me_staff && m->thread.id != 0)
		return true;
	model_set_status(m, ui_now_ms(), "%s", _("only the firm's team manages a thread's reminders"));
	return false;
}

void
action_fetch_ledger(struct model *m)
{
	if (m->thread.id == 0 || !m->me_staff)
		return;
	net_submit(api_ledger(m->thread.id));
}

/* Leaves the menu or the dialog for the thread under it. */
static void
action_to_thread(struct model *m)
{
	while ((model_screen(m) == SCR_MENU || model_screen(m) == SCR_REMINDERS ||
	    model_screen(m) == SCR_ASSIGN) && model_pop(m))
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
	net_submit(api_patch(m->thread.id, json_text(body), done));
	json_object_put(body);
}

void
action_resend(struct model *m)
{
	if (!action_staff(m))
		return;
	action_to_thread(m);
	net_submit(api_resend(m->thread.id));
	model_set_status(m, ui_now_ms(), "%s", _("mailing the reminder again"));
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
	action_patch(m, o, archive ? N_("archived") : N_("reopened"));
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
	model_rem_focus(m, REM_ON);
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
		model_rem_focus(m, REM_DAYS);
		model_set_status(m, ui_now_ms(), "%s", _("days: a number from 1 to 365"));
		return;
	}
	if ((count = action_number(&m->rem[REM_COUNT], 1, 100)) < 0) {
		model_rem_focus(m, REM_COUNT);
		model_set_status(m, ui_now_ms(), "%s", _("count: a number from 1 to 100"));
		return;
	}
	r = json_object_new_object();
	json_object_object_add(r, "enabled", json_object_new_boolean(!edit_empty(&m->rem[REM_ON])));
	json_object_object_add(r, "interval_days", json_object_new_int((int)days));
	json_object_object_add(r, "max_count", json_object_new_int((int)count));
	o = json_object_new_object();
	json_object_object_add(o, "reminders", r);
	action_to_thread(m);
	action_patch(m, o, N_("reminders saved"));
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
	net_submit(api_inbox());
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

	if (n == NULL)
		return;
	if (!n->read) {
		net_submit(api_note_read(n->id));
		model_note_read(m, n->id);
	}
	if (n->thread_id == 0) {
		/* A document uploaded outside a chat: its account's threads, and what came. */
		if (m->account_id != n->account_id || m->unread_view || m->waiting_view) {
			m->thr_pos.sel = m->thr_pos.top = 0;
			model_threads_set(m, NULL, 0);
		}
		m->account_id = n->account_id;
		m->unread_view = m->archived_view = m->waiting_view = false;
		model_push(m, SCR_THREADS);
		action_fetch_threads(m);
		/* TRANSLATORS: who uploaded a document outside any chat. */
		model_set_status(m, ui_now_ms(), _("%s uploaded a document (not in a chat)"),
		    n->actor_name ? n->actor_name : "?");
		return;
	}
	memset(&t, 0, sizeof t);
	t.id = n->thread_id;
	t.account_id = n->account_id;
	t.subject = n->subject ? n->subject : "";
	if (m->account_id != n->account_id || m->unread_view || m->waiting_view) {
		model_threads_set(m, NULL, 0); /* another account's threads must not mix in */
		m->account_id = n->account_id;
		m->unread_view = m->archived_view = m->waiting_view = false;
	}
	net_submit(api_thread(t.id));  /* before the messages: it brings the unread count the divider needs */
	action_open_thread(m, &t);
}

void
action_fetch_staff(struct model *m)
{
	if (m->me_staff)
		net_submit(api_staff());
}

size_t
action_assign_count(const struct model *m)
{
	size_t i, n = 2;

	for (i = 0; i < m->nstaff; i++)
		n += m->staff[i].id != m->me_id;
	return n;
}

const char *
action_assign_item(const struct model *m, size_t i, int64_t *id)
{
	size_t k;

	if (i == 0) {
		*id = m->me_id;
		return m->me_name ? m->me_name : "";
	}
	*id = 0;
	if (i == 1)
		return NULL; /* nobody */
	for (k = 0, i -= 2; k < m->nstaff; k++) {
		if (m->staff[k].id == m->me_id)
			continue;
		if (i-- == 0) {
			*id = m->staff[k].id;
			return m->staff[k].name;
		}
	}
	return NULL;
}

void
action_assign_open(struct model *m)
{
	size_t i, n;
	int64_t id;

	if (!action_staff(m))
		return;
	action_to_thread(m);
	if (m->nstaff == 0)
		action_fetch_staff(m);
	/* The cursor starts on whoever has the thread now. */
	m->assign_pos.sel = m->assign_pos.top = 0;
	for (i = 0, n = action_assign_count(m); i < n; i++) {
		action_assign_item(m, i, &id);
		if (id == m->thread.assignee_id && (id != 0 || i == 1))
			m->assign_pos.sel = i;
	}
	model_push(m, SCR_ASSIGN);
}

void
action_assign_pick(struct model *m)
{
	struct json_object *o;
	const char *name;
	char done[256];
	int64_t id;

	if (!action_staff(m) || m->assign_pos.sel >= action_assign_count(m))
		return;
	name = action_assign_item(m, m->assign_pos.sel, &id);
	action_to_thread(m);
	o = json_object_new_object();
	json_object_object_add(o, "assignee_id", id ? json_object_new_int64(id) : NULL);
	if (id)
		snprintf(done, sizeof done, _("assigned to %s"), name);
	else
		snprintf(done, sizeof done, "%s", _("unassigned"));
	action_patch(m, o, done);
}
