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
	bool on;
	int f;

	for (f = 0; f < FORM_FIELDS; f++)
		edit_set(&m->form[f], "");
	action_form_set_remind(m, false, REMIND_DAYS_DEFAULT, REMIND_COUNT_DEFAULT);
	m->form_template = 0;
	m->form_field = FORM_TO;
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
		model_set_status(m, ui_now_ms(), "draft restored");
	}
	if (edit_empty(&m->form[FORM_TO])) {
		if (model_screen(m) == SCR_ACCOUNTS)
			a = model_account_selected(m);
		else if (m->account_id)
			a = model_account_find(m, m->account_id);
		if (a != NULL)
			edit_set(&m->form[FORM_TO], a->name);
	}
	if (!edit_empty(&m->form[FORM_TO]))
		m->form_field = FORM_SUBJECT;
	m->asking = false;
	net_submit(job_create(JOB_TEMPLATES, "GET", "/api/v1/templates?limit=200", NULL));
	model_push(m, SCR_NEWCHAT);
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

void
action_form_next(struct model *m)
{
	if (model_screen(m) == SCR_REMINDERS) {
		m->rem_field = (m->rem_field + 1) % REM_FIELDS;
		m->dirty |= DIRTY_BODY;
		return;
	}
	if (m->form_field == FORM_TO && m->naccounts > 0)
		action_complete_account(m);
	if (m->form_field == FORM_TEMPLATE)
		action_complete_template(m);
	m->form_field = (m->form_field + 1) % FORM_FIELDS;
	m->draft_dirty = true;
	m->draft_changed_ms = ui_now_ms();
	m->dirty |= DIRTY_BODY;
}

void
action_form_prev(struct model *m)
{
	if (model_screen(m) == SCR_REMINDERS) {
		m->rem_field = (m->rem_field + REM_FIELDS - 1) % REM_FIELDS;
		m->dirty |= DIRTY_BODY;
		return;
	}
	m->form_field = (m->form_field + FORM_FIELDS - 1) % FORM_FIELDS;
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
	const char *tname = buf_str(&m->form[FORM_TEMPLATE].text);
	int64_t template_id = 0;
	char *text;
	size_t i;
	int bad;

	if ((a = model_account_by_name(m, buf_str(&m->form[FORM_TO].text))) == NULL) {
		m->form_field = FORM_TO;
		model_set_status(m, ui_now_ms(), "To: no such account (Tab completes)");
		return NULL;
	}
	for (i = 0; *tname && i < m->ntemplates; i++)
		if (strcasecmp(m->templates[i].name, tname) == 0)
			template_id = m->templates[i].id;
	if (*tname && template_id == 0) {
		m->form_field = FORM_TEMPLATE;
		model_set_status(m, ui_now_ms(), "Template: no such template (Tab completes)");
		return NULL;
	}
	if (template_id == 0 && edit_empty(&m->form[FORM_SUBJECT])) {
		m->form_field = FORM_SUBJECT;
		model_set_status(m, ui_now_ms(), "Subject: a chat without a template needs one");
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
	if ((bad = action_form_remind(m, o)) >= 0) {
		m->form_field = bad;
		model_set_status(m, ui_now_ms(), bad == FORM_REMIND_DAYS ?
		    "Reminders: days from 1 to 365" : "Reminders: at most 1 to 100 mails");
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
	net_submit(store_outbox_add(JOB_CREATE, "/api/v1/threads", json_text(o), 0, cmid));
	m->inflight++;
	m->queued = store_outbox_count();
	for (f = 0; f < FORM_FIELDS; f++)
		edit_set(&m->form[f], "");
	action_form_set_remind(m, false, REMIND_DAYS_DEFAULT, REMIND_COUNT_DEFAULT);
	store_draft_remove(0);
	m->draft_dirty = false;
	model_pop(m);
	model_set_status(m, ui_now_ms(), "creating the chat");
	json_object_put(o);
	free(cmid);
}
