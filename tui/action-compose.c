/*
 * action-compose.c -- writing: the reply box, the new chat form, drafts
 * and sending. A send goes to the outbox on disk before it is submitted
 * and leaves it only when the server has answered, so a crash or a lost
 * connection never loses it; its client_msg_id makes a second try harmless.
 */
#include "folio.h"
#include "json.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct edit *
action_compose_edit(struct model *m)
{
	if (model_screen(m) == SCR_COMPOSE)
		return &m->compose;
	if (model_screen(m) == SCR_NEWCHAT && m->form_field < FORM_CREATE &&
	    m->form_field != FORM_REMIND) /* a switch, not text */
		return &m->form[m->form_field];
	if (model_screen(m) == SCR_REMINDERS &&
	    (m->rem_field == REM_DAYS || m->rem_field == REM_COUNT))
		return &m->rem[m->rem_field];
	return NULL;
}

void
action_compose_open(struct model *m, bool internal)
{
	struct draft d;
	bool restored = false;

	if (m->thread.id == 0)
		return;
	if (internal && !m->me_staff) {
		model_set_status(m, ui_now_ms(), "%s", _("only the firm's team writes internal notes"));
		return;
	}
	if (m->compose_thread != m->thread.id) {
		edit_set(&m->compose, "");
		m->internal = false;
		if (store_draft_load(m->thread.id, &d) == 0) {
			edit_set(&m->compose, d.body);
			m->internal = d.internal && m->me_staff;
			store_draft_clear(&d);
			restored = true;
		}
		m->compose_thread = m->thread.id;
	}
	if (internal)
		m->internal = true;
	m->asking = false;
	if (model_screen(m) != SCR_COMPOSE)
		model_push(m, SCR_COMPOSE);
	if (restored)
		model_set_status(m, ui_now_ms(), "%s", _("draft restored"));
}

/* The form as a draft: strings borrowed from the edits, but remind, which the caller frees. */
static void
action_form_draft(struct model *m, struct draft *d)
{
	memset(d, 0, sizeof *d);
	d->to = (char *)buf_str(&m->form[FORM_TO].text);
	d->template_name = (char *)buf_str(&m->form[FORM_TEMPLATE].text);
	d->subject = (char *)buf_str(&m->form[FORM_SUBJECT].text);
	d->body = (char *)buf_str(&m->form[FORM_BODY].text);
	d->remind = action_form_remind_spec(m); /* the caller frees it */
	d->tasks = (char *)buf_str(&m->form[FORM_TASKS].text);
}

static bool
action_form_empty(struct model *m)
{
	return edit_empty(&m->form[FORM_SUBJECT]) && edit_empty(&m->form[FORM_BODY]) &&
	    edit_empty(&m->form[FORM_TASKS]) && edit_empty(&m->form[FORM_TEMPLATE]);
}

void
action_drafts_reload(struct model *m)
{
	int64_t *ids;
	size_t n = store_draft_list(&ids);

	model_drafts_set(m, ids, n);
}

void
action_save_draft(struct model *m)
{
	struct draft d;

	if (!m->draft_dirty)
		return;
	m->draft_dirty = false;
	if (model_screen(m) == SCR_NEWCHAT || (m->depth > 1 && m->stack[m->depth - 2] == SCR_NEWCHAT &&
	    model_screen(m) == SCR_HELP)) {
		if (action_form_empty(m)) {
			store_draft_remove(0);
			return;
		}
		action_form_draft(m, &d);
		store_draft_save(0, &d);
		free(d.remind);
		return;
	}
	if (m->compose_thread == 0)
		return;
	if (edit_empty(&m->compose)) {
		store_draft_remove(m->compose_thread);
	} else {
		memset(&d, 0, sizeof d);
		d.body = (char *)buf_str(&m->compose.text);
		d.internal = m->internal;
		store_draft_save(m->compose_thread, &d);
	}
	if (model_has_draft(m, m->compose_thread) == edit_empty(&m->compose))
		action_drafts_reload(m);
}

/* A local echo of what we just sent, shown until the server's copy replaces it. */
static void
action_echo(struct model *m, const char *body, const char *cmid)
{
	struct message e;

	memset(&e, 0, sizeof e);
	e.id = --m->echo_seq;
	e.thread_id = m->thread.id;
	e.author_id = m->me_id;
	e.author_kind = m->me_staff ? "staff" : "contact";
	e.author_name = m->me_name ? m->me_name : "me";
	e.body = (char *)body;
	e.internal = m->internal;
	e.client_msg_id = (char *)cmid;
	e.state = MSG_SENDING;
	model_message_add(m, &e);
	m->scroll = 0;
}

void
action_compose_send(struct model *m)
{
	struct json_object *o;
	char *body = edit_trimmed(&m->compose), *cmid;

	if (*body == '\0') {
		model_set_status(m, ui_now_ms(), "%s", _("nothing to send"));
		free(body);
		return;
	}
	cmid = config_new_id();
	o = json_object_new_object();
	json_object_object_add(o, "body", json_object_new_string(body));
	if (m->internal)
		json_object_object_add(o, "internal", json_object_new_boolean(1));
	json_object_object_add(o, "client_msg_id", json_object_new_string(cmid));
	net_submit(store_outbox_add(api_send(m->compose_thread, json_text(o)), cmid));
	m->inflight++;
	m->queued = store_outbox_count();
	if (m->compose_thread == m->thread.id)
		action_echo(m, body, cmid);
	store_draft_remove(m->compose_thread);
	action_drafts_reload(m);
	edit_set(&m->compose, "");
	m->internal = false;
	m->asking = false;
	m->draft_dirty = false;
	if (model_screen(m) == SCR_COMPOSE)
		model_pop(m);
	model_set_status(m, ui_now_ms(), "%s", _("sending"));
	json_object_put(o);
	free(cmid);
	free(body);
}

void
action_compose_editor(struct model *m)
{
	struct edit *e;
	char *text;

	if (model_screen(m) == SCR_NEWCHAT)
		model_form_focus(m, FORM_BODY);
	if ((e = action_compose_edit(m)) == NULL)
		return;
	m->asking = false;
	if ((text = ui_run_editor(buf_str(&e->text))) == NULL) {
		model_set_status(m, ui_now_ms(), "%s", _("the editor failed; the text is unchanged"));
	} else {
		/* Editors end files with a newline; the message should not. */
		size_t n = strlen(text);
		while (n > 0 && text[n - 1] == '\n')
			text[--n] = '\0';
		edit_set(e, text);
		free(text);
		m->draft_dirty = true;
		action_save_draft(m);
	}
	m->dirty |= DIRTY_ALL | DIRTY_CLEAR;
}

void
action_compose_leave(struct model *m)
{
	bool empty = model_screen(m) == SCR_NEWCHAT ? action_form_empty(m) : edit_empty(&m->compose);

	if (!empty) {
		m->asking = true;
		m->dirty |= DIRTY_ALL;
		return;
	}
	action_ask_discard(m);
}

void
action_ask_send(struct model *m)
{
	m->asking = false;
	if (model_screen(m) == SCR_NEWCHAT)
		action_newchat_send(m);
	else
		action_compose_send(m);
}

void
action_ask_keep(struct model *m)
{
	m->asking = false;
	m->draft_dirty = true;
	action_save_draft(m);
	model_pop(m);
	model_set_status(m, ui_now_ms(), "%s", _("draft kept"));
}

void
action_ask_discard(struct model *m)
{
	int f;

	m->asking = false;
	m->draft_dirty = false;
	if (model_screen(m) == SCR_NEWCHAT) {
		for (f = 0; f < FORM_FIELDS; f++)
			edit_set(&m->form[f], "");
		store_draft_remove(0);
	} else {
		edit_set(&m->compose, "");
		m->internal = false;
		store_draft_remove(m->compose_thread);
		action_drafts_reload(m);
	}
	model_pop(m);
	model_set_status(m, ui_now_ms(), "%s", _("draft discarded"));
}

void
action_ask_cancel(struct model *m)
{
	m->asking = false;
	m->dirty |= DIRTY_ALL;
}

void
action_toggle_internal(struct model *m)
{
	m->asking = false;
	if (model_screen(m) != SCR_COMPOSE)
		return;
	if (!m->me_staff) {
		model_set_status(m, ui_now_ms(), "%s", _("only the firm's team writes internal notes"));
		return;
	}
	m->internal = !m->internal;
	m->draft_dirty = true;
	m->draft_changed_ms = ui_now_ms();
	model_set_status(m, ui_now_ms(), "%s", m->internal ? _("internal note: only the team sees it") :
	    _("reply: the client sees it"));
	m->dirty |= DIRTY_ALL;
}

void
action_flush_outbox(struct model *m)
{
	struct job *jobs[64];
	size_t n, i;

	m->outbox_retry_at = 0;
	if (m->inflight > 0)
		return; /* the answers in flight decide; the retry timer comes back */
	n = store_outbox_load(jobs, sizeof jobs / sizeof jobs[0]);
	for (i = 0; i < n; i++) {
		net_submit(jobs[i]);
		m->inflight++;
	}
	m->queued = n;
	if (n > 0)
		model_set_status(m, ui_now_ms(), _("sending %zu queued"), n);
}
