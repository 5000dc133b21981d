/*
 * action-newchat.c -- the new chat form: To (an account, with completion),
 * Template, Subject, Message, Reminders (a switch, days and count, with the
 * defaults or the template's filled in), Client tasks, then Create chat or
 * Back, like the product's New Chat window. Its draft is drafts/new.json.
 */
#include "folio.h"
#include "json.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Sets the reminder fields: on or off, days, count. */
static void
action_form_set_remind(struct model *m, bool on, long days, long count)
{
	char n[32];

	edit_set(&m->form[FORM_REMIND], on ? "on" : "");
	snprintf(n, sizeof n, "%ld", days);
	edit_set(&m->form[FORM_REMIND_DAYS], n);
	snprintf(n, sizeof n, "%ld", count);
	edit_set(&m->form[FORM_REMIND_COUNT], n);
}

char *
action_form_remind_spec(struct model *m)
{
	return xasprintf("%s:%s:%s", edit_empty(&m->form[FORM_REMIND]) ? "off" : "on",
	    buf_str(&m->form[FORM_REMIND_DAYS].text), buf_str(&m->form[FORM_REMIND_COUNT].text));
}

void
action_newchat_open(struct model *m)
{
	struct account *a = NULL;
	struct draft d;
	long days, count;
	bool on, restored = false;
	int f;

	for (f = 0; f < FORM_FIELDS; f++)
		edit_set(&m->form[f], "");
	action_form_set_remind(m, false, REMIND_DAYS_DEFAULT, REMIND_COUNT_DEFAULT);
	m->form_template = 0;
	model_form_focus(m, FORM_TO);
	if (store_draft_load(0, &d) == 0) {
		edit_set(&m->form[FORM_TO], d.to);
		edit_set(&m->form[FORM_TEMPLATE], d.template_name);
		edit_set(&m->form[FORM_SUBJECT], d.subject);
		edit_set(&m->form[FORM_BODY], d.body);
		if (model_remind_parse(d.remind, &on, &days, &count) == 0)
			action_form_set_remind(m, on, days, count);
		edit_set(&m->form[FORM_TASKS], d.tasks);
		/* The draft's reminders stand until another template is chosen (see result.c). */
		m->form_template = edit_empty(&m->form[FORM_TEMPLATE]) ? 0 : -1;
		store_draft_clear(&d);
		restored = true;
	}
	/*
	 * To stays empty unless the user came from an account (its threads, one
	 * of its threads): the cursor on the accounts list is no choice of
	 * recipient. A contact writes to its own account, the only one it has.
	 */
	if (edit_empty(&m->form[FORM_TO])) {
		if (!m->me_staff && m->naccounts > 0)
			a = &m->accounts[0];
		else if (model_screen(m) == SCR_THREADS && m->account_id)
			a = model_account_find(m, m->account_id);
		else if (model_screen(m) == SCR_THREAD && m->thread.account_id)
			a = model_account_find(m, m->thread.account_id);
		if (a != NULL)
			edit_set(&m->form[FORM_TO], a->name);
	}
	for (f = 0; f < 2; f++) {
		free(m->form_filled[f]);
		m->form_filled[f] = NULL;
	}
	m->asking = false;
	if (m->me_staff) {
		net_submit(api_templates());
		action_form_recipient(m);
	} else {
		model_form_focus(m, edit_empty(&m->form[FORM_TO]) ? FORM_TO : FORM_SUBJECT);
	}
	model_push(m, SCR_NEWCHAT);
	if (restored)
		model_set_status(m, ui_now_ms(), "%s", _("draft restored"));
}

/* Completes the To field with the first account whose name starts with (or holds) it. */
static void
action_complete_account(struct model *m)
{
	const char *typed = buf_str(&m->form[FORM_TO].text);
	size_t i, n = strlen(typed);
	const char *best = NULL;

	if (n == 0 || model_account_by_name(m, typed) != NULL)
		return;
	for (i = 0; i < m->naccounts && best == NULL; i++)
		if (strncasecmp(m->accounts[i].name, typed, n) == 0)
			best = m->accounts[i].name;
	for (i = 0; i < m->naccounts && best == NULL; i++)
		if (strcasestr(m->accounts[i].name, typed) != NULL)
			best = m->accounts[i].name;
	if (best != NULL)
		edit_set(&m->form[FORM_TO], best);
}

/* Completes the Template field; a template chosen brings its reminder settings. */
static void
action_complete_template(struct model *m)
{
	const char *typed = buf_str(&m->form[FORM_TEMPLATE].text);
	const struct template_ref *t = NULL;
	size_t i, n = strlen(typed);

	if (n == 0)
		return;
	for (i = 0; i < m->ntemplates && t == NULL; i++)
		if (strcasecmp(m->templates[i].name, typed) == 0)
			t = &m->templates[i];
	for (i = 0; i < m->ntemplates && t == NULL; i++)
		if (strncasecmp(m->templates[i].name, typed, n) == 0)
			t = &m->templates[i];
	if (t == NULL)
		return;
	edit_set(&m->form[FORM_TEMPLATE], t->name);
	if (t->id != m->form_template) { /* a template newly chosen: its reminders, once */
		action_form_set_remind(m, t->rem_enabled, (long)t->rem_interval, (long)t->rem_max);
		m->form_template = t->id;
	}
}

/* Fields a client contact's form leaves out: templates and reminders are the firm's. */
static bool
action_form_skipped(struct model *m, int f)
{
	return !m->me_staff && (f == FORM_TEMPLATE || (f >= FORM_REMIND && f <= FORM_REMIND_COUNT));
}

/* Moves the focus by step (1 or -1), over the fields the form leaves out. */
static void
action_form_step(struct model *m, int step)
{
	int f = m->form_field;

	do
		f = (f + step + FORM_FIELDS) % FORM_FIELDS;
	while (action_form_skipped(m, f));
	model_form_focus(m, f);
}

void
action_form_next(struct model *m)
{
	if (model_screen(m) == SCR_REMINDERS) {
		model_rem_focus(m, m->rem_field + 1);
		return;
	}
	if (m->form_field == FORM_TO && m->naccounts > 0) {
		action_complete_account(m);
		action_form_recipient(m);
	}
	if (m->form_field == FORM_TEMPLATE)
		action_complete_template(m);
	if (m->form_field == FORM_TO || m->form_field == FORM_TEMPLATE)
		action_form_fill(m);
	action_form_step(m, 1);
	m->draft_dirty = true;
	m->draft_changed_ms = ui_now_ms();
	m->dirty |= DIRTY_BODY;
}

void
action_form_prev(struct model *m)
{
	if (model_screen(m) == SCR_REMINDERS) {
		model_rem_focus(m, m->rem_field - 1);
		return;
	}
	action_form_step(m, -1);
}

/* The template chosen in the form, or NULL. */
static const struct template_ref *
action_form_template(struct model *m)
{
	const char *typed = buf_str(&m->form[FORM_TEMPLATE].text);
	size_t i;

	for (i = 0; *typed && i < m->ntemplates; i++)
		if (strcasecmp(m->templates[i].name, typed) == 0)
			return &m->templates[i];
	return NULL;
}

void
action_form_recipient(struct model *m)
{
	static int64_t asked;
	struct account *a = model_account_by_name(m, buf_str(&m->form[FORM_TO].text));

	if (a == NULL || !m->me_staff || a->id == m->form_contact_account || a->id == asked)
		return;
	asked = a->id;
	net_submit(api_recipient(a->id));
}

/*
 * Subject and Message show what the template says for this account before
 * the chat exists. A field the user has typed into keeps the user's text;
 * one still holding an earlier rendering (another account) is rendered again.
 */
void
action_form_fill(struct model *m)
{
	const struct template_ref *t = action_form_template(m);
	struct account *a = model_account_by_name(m, buf_str(&m->form[FORM_TO].text));
	const char *contact = a && a->id == m->form_contact_account ? m->form_contact : NULL;
	const char *src;
	char *text;
	int f, field;

	if (t == NULL || model_screen(m) != SCR_NEWCHAT)
		return;
	for (f = 0; f < 2; f++) {
		field = f == 0 ? FORM_SUBJECT : FORM_BODY;
		src = f == 0 ? t->subject : t->body;
		if (src == NULL || (!edit_empty(&m->form[field]) && (m->form_filled[f] == NULL ||
		    strcmp(m->form_filled[f], buf_str(&m->form[field].text)) != 0)))
			continue;
		text = model_template_render(src, contact, a ? a->name : NULL, m->firm_name);
		edit_set(&m->form[field], text);
		free(m->form_filled[f]);
		m->form_filled[f] = text;
	}
	m->draft_dirty = true;
	m->draft_changed_ms = ui_now_ms();
	m->dirty |= DIRTY_BODY;
}

void
action_form_enter(struct model *m)
{
	if (m->form_field == FORM_BODY || m->form_field == FORM_TASKS)
		action_text(m, "\n", 1);
	else if (m->form_field == FORM_CREATE)
		action_newchat_send(m);
	else if (m->form_field == FORM_BACK)
		action_compose_leave(m);
	else
		action_form_next(m);
}

/*
 * Adds the form's reminders to o, always, so the chat gets what the form
 * shows (a template's own setting is in the form already). Returns the
 * field that is wrong, or -1.
 */
static int
action_form_remind(struct model *m, struct json_object *o)
{
	struct json_object *r;
	long days, count;
	char *end;
	bool on;

	days = strtol(buf_str(&m->form[FORM_REMIND_DAYS].text), &end, 10);
	if (*end != '\0' || days < 1 || days > 365)
		return FORM_REMIND_DAYS;
	count = strtol(buf_str(&m->form[FORM_REMIND_COUNT].text), &end, 10);
	if (*end != '\0' || count < 1 || count > 100)
		return FORM_REMIND_COUNT;
	r = json_object_new_object();
	on = !edit_empty(&m->form[FORM_REMIND]);
	json_object_object_add(r, "enabled", json_object_new_boolean(on));
	json_object_object_add(r, "interval_days", json_object_new_int((int)days));
	json_object_object_add(r, "max_count", json_object_new_int((int)count));
	json_object_object_add(o, "reminders", r);
	return -1;
}

static void
action_form_tasks(const char *text, struct json_object *o)
{
	struct json_object *tasks = NULL, *t;
	const char *s = text, *nl;
	size_t n;

	while (*s) {
		nl = strchr(s, '\n');
		n = nl ? (size_t)(nl - s) : strlen(s);
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\r'))
			n--;
		if (n > 0) {
			if (tasks == NULL) {
				tasks = json_object_new_array();
				json_object_object_add(o, "tasks", tasks);
			}
			t = json_object_new_object();
			json_object_object_add(t, "title", json_object_new_string_len(s, (int)n));
			json_object_array_add(tasks, t);
		}
		s += nl ? (size_t)(nl - s) + 1 : strlen(s);
	}
}

/* Checks the form and builds the request; NULL after saying what is wrong. */
static struct json_object *
action_form_request(struct model *m)
{
	struct json_object *o;
	struct account *a;
	const char *tname = m->me_staff ? buf_str(&m->form[FORM_TEMPLATE].text) : "";
	int64_t template_id = 0;
	char *text;
	size_t i;
	int bad;

	if ((a = model_account_by_name(m, buf_str(&m->form[FORM_TO].text))) == NULL) {
		model_form_focus(m, FORM_TO);
		model_set_status(m, ui_now_ms(), "%s", _("To: no such account (Tab completes)"));
		return NULL;
	}
	for (i = 0; *tname && i < m->ntemplates; i++)
		if (strcasecmp(m->templates[i].name, tname) == 0)
			template_id = m->templates[i].id;
	if (*tname && template_id == 0) {
		model_form_focus(m, FORM_TEMPLATE);
		model_set_status(m, ui_now_ms(), "%s", _("Template: no such template (Tab completes)"));
		return NULL;
	}
	if (template_id == 0 && edit_empty(&m->form[FORM_SUBJECT])) {
		model_form_focus(m, FORM_SUBJECT);
		model_set_status(m, ui_now_ms(), "%s", _("Subject: a chat without a template needs one"));
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "account_id", json_object_new_int64(a->id));
	if (template_id)
		json_object_object_add(o, "template_id", json_object_new_int64(template_id));
	if (!edit_empty(&m->form[FORM_SUBJECT])) {
		text = edit_trimmed(&m->form[FORM_SUBJECT]);
		json_object_object_add(o, "subject", json_object_new_string(text));
		free(text);
	}
	if (!edit_empty(&m->form[FORM_BODY])) {
		text = edit_trimmed(&m->form[FORM_BODY]);
		json_object_object_add(o, "body", json_object_new_string(text));
		free(text);
	}
	if (m->me_staff && (bad = action_form_remind(m, o)) >= 0) {
		model_form_focus(m, bad);
		model_set_status(m, ui_now_ms(), "%s", bad == FORM_REMIND_DAYS ?
		    _("days: a number from 1 to 365") : _("mails: a number from 1 to 100 (digits only)"));
		json_object_put(o);
		return NULL;
	}
	action_form_tasks(buf_str(&m->form[FORM_TASKS].text), o);
	return o;
}

void
action_newchat_send(struct model *m)
{
	struct json_object *o;
	char *cmid;
	int f;

	m->asking = false;
	if ((o = action_form_request(m)) == NULL) {
		m->dirty |= DIRTY_ALL;
		return;
	}
	cmid = config_new_id();
	json_object_object_add(o, "client_msg_id", json_object_new_string(cmid));
	net_submit(store_outbox_add(api_create(json_text(o)), cmid));
	m->inflight++;
	m->queued = store_outbox_count();
	for (f = 0; f < FORM_FIELDS; f++)
		edit_set(&m->form[f], "");
	action_form_set_remind(m, false, REMIND_DAYS_DEFAULT, REMIND_COUNT_DEFAULT);
	store_draft_remove(0);
	m->draft_dirty = false;
	model_pop(m);
	model_set_status(m, ui_now_ms(), "%s", _("creating the chat"));
	json_object_put(o);
	free(cmid);
}
