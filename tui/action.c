/*
 * action.c -- the table of named actions {name, fn, help} that key
 * bindings point at, and the navigation actions: moving, opening, going
 * back, filtering, fetching what a screen shows. Composing and sending
 * live in action-compose.c. Actions change the model and submit jobs;
 * they never wait for the network.
 */
#include "folio.h"
#include "mem.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
action_fetch_accounts(struct model *m)
{
	/* The pages of an older fetch still coming are dropped. */
	net_submit(api_accounts(++m->accounts_gen, false));
}

void
action_fetch_account(struct model *m, int64_t id)
{
	if (id <= 0 || model_account_find(m, id) == NULL)
		return;
	net_submit(api_account(id));
}

void
action_fetch_threads(struct model *m)
{
	struct api_threads_query q = { m->account_id, m->unread_view, m->waiting_view,
		m->archived_view, m->assigned, m->view_as, model_threads_view(m) };

	m->threads_loading = true;
	net_submit(api_threads(&q));
}

static void
action_fetch_messages(struct model *m)
{
	net_submit(api_messages(m->thread.id, 0, m->view_as));
}

static void
action_fetch_older(struct model *m)
{
	if (!m->has_older || m->loading_older || m->nmsgs == 0 || m->msgs[0].id <= 0)
		return;
	m->loading_older = true;
	net_submit(api_messages(m->thread.id, m->msgs[0].id, m->view_as));
}

void
action_post_read(struct model *m)
{
	int64_t last = model_last_message_id(m);

	if (last <= 0 || m->thread.id == 0 || m->view_as)
		return; /* viewing as a client reads nothing: the server refuses writes then */
	net_submit(api_read(m->thread.id, last));
}

void
action_open_thread(struct model *m, const struct thread *t)
{
	const char *key = ui_draw_key_for("thread", "reply");

	model_thread_open(m, t);
	if (model_screen(m) != SCR_THREAD)
		model_push(m, SCR_THREAD);
	action_fetch_messages(m);
	/* A draft left here (even by a killed client) waits for the reply key, never for any key. */
	if (model_has_draft(m, t->id))
		model_set_status(m, ui_now_ms(), _("a draft is waiting: %s continues it"),
		    key ? key : "reply");
}

void
action_refresh(struct model *m, bool accounts)
{
	enum screen_id s = model_screen(m);

	if (accounts)
		action_fetch_accounts(m);
	if (s == SCR_THREADS)
		action_fetch_threads(m);
	if (s == SCR_THREAD || s == SCR_COMPOSE || s == SCR_MENU || s == SCR_REMINDERS) {
		action_fetch_messages(m);
		if (m->show_ledger)
			action_fetch_ledger(m);
	}
	if (s == SCR_INBOX || m->nnotes > 0)
		action_fetch_inbox(m);
}

void
action_follow(struct model *m)
{
	int64_t account;
	int w = model_wants_take(m, &account);

	if (w & WANT_STAFF)
		action_fetch_staff(m);
	if (w & WANT_DRAFTS)
		action_drafts_reload(m);
	if (w & WANT_FORM_FILL)
		action_form_fill(m);
	if (w & WANT_REFRESH)
		action_refresh(m, (w & WANT_ACCOUNTS) != 0);
	else if (w & WANT_ACCOUNTS)
		action_fetch_accounts(m);
	if (w & WANT_THREADS)
		action_fetch_threads(m);
	if (w & WANT_MESSAGES)
		action_fetch_messages(m);
	if (w & WANT_READ)
		action_post_read(m);
	if (w & WANT_LEDGER)
		action_fetch_ledger(m);
	if (w & WANT_ACCOUNT)
		action_fetch_account(m, account);
	if (w & WANT_OUTBOX)
		action_flush_outbox(m);
}

/* Moves the current screen's cursor; thread views scroll by lines instead. */
static void
action_move(struct model *m, long delta)
{
	size_t rows = m->rows > 0 ? (size_t)m->rows : 1;
	struct buf help = BUF_INIT;
	int64_t max;

	switch (model_screen(m)) {
	case SCR_ACCOUNTS:
		model_move(&m->acc_pos, m->nshown, delta, rows);
		break;
	case SCR_THREADS:
		model_move(&m->thr_pos, m->nthreads, delta, rows / 2);
		break;
	case SCR_THREAD:
	case SCR_COMPOSE:
		max = (int64_t)m->thread_lines - (int64_t)rows;
		m->scroll -= delta;
		if (m->scroll > max)
			m->scroll = max;
		if (m->scroll < 0)
			m->scroll = 0;
		if (delta < 0 && m->scroll >= max)
			action_fetch_older(m);
		break;
	case SCR_HELP:
		/* As far as the last line: the view keeps a row to say there is more. */
		max = (int64_t)view_help_text(m, m->cols > 0 ? (size_t)m->cols : 80, &help) -
		    ((int64_t)rows - 1);
		buf_free(&help);
		m->help_scroll += delta;
		if (m->help_scroll > max)
			m->help_scroll = max;
		if (m->help_scroll < 0)
			m->help_scroll = 0;
		break;
	case SCR_INBOX:
		model_move(&m->note_pos, m->nnotes, delta, rows / 2);
		break;
	case SCR_MENU:
		model_move(&m->menu_pos, action_menu_count(), delta, action_menu_count());
		break;
	case SCR_ASSIGN:
		model_move(&m->assign_pos, action_assign_count(m), delta, action_assign_count(m));
		break;
	default:
		break;
	}
	m->dirty |= DIRTY_BODY;
}

static void act_down(struct model *m) { action_move(m, 1); }
static void act_up(struct model *m) { action_move(m, -1); }
static void act_page_down(struct model *m) { action_move(m, m->rows > 2 ? m->rows - 1 : 1); }
static void act_page_up(struct model *m) { action_move(m, -(m->rows > 2 ? m->rows - 1 : 1)); }
static void act_top(struct model *m) { action_move(m, -1000000000L); }
static void act_bottom(struct model *m) { action_move(m, 1000000000L); }

static void
act_quit(struct model *m)
{
	m->quit = true;
}

static void
act_back(struct model *m)
{
	enum screen_id s = model_screen(m);

	if (!model_pop(m)) {
		m->quit = true;
		return;
	}
	if (s == SCR_THREADS && m->view_as) {
		/* Leaving the client's view: its threads are not ours to show. */
		m->view_as = 0;
		model_threads_set(m, NULL, 0);
		m->thread.id = 0;
		m->dirty |= DIRTY_ALL;
		return;
	}
	/* Unread counts moved while reading: the list under it and the account's badge. */
	if (s == SCR_THREAD && model_screen(m) == SCR_THREADS)
		action_fetch_threads(m);
	if (s == SCR_THREAD && model_screen(m) == SCR_INBOX)
		action_fetch_inbox(m);
	if (s == SCR_THREAD || s == SCR_THREADS)
		action_fetch_account(m, s == SCR_THREAD ? m->thread.account_id : m->account_id);
}

static void
act_help(struct model *m)
{
	m->help_scroll = 0;
	model_push(m, SCR_HELP);
}

static void
act_redraw(struct model *m)
{
	m->dirty |= DIRTY_ALL | DIRTY_CLEAR;
}

static void
act_open(struct model *m)
{
	struct account *a;
	struct thread *t;

	if (model_screen(m) == SCR_ACCOUNTS) {
		if ((a = model_account_selected(m)) == NULL)
			return;
		m->filtering = false;
		if (m->account_id != a->id || m->unread_view) {
			m->thr_pos.sel = m->thr_pos.top = 0;
			m->nthreads = 0;
		}
		m->account_id = a->id;
		m->unread_view = m->waiting_view = false;
		m->archived_view = false;
		model_push(m, SCR_THREADS);
		action_fetch_threads(m);
	} else if (model_screen(m) == SCR_THREADS && (t = model_thread_selected(m)) != NULL) {
		action_open_thread(m, t);
	} else if (model_screen(m) == SCR_INBOX) {
		action_inbox_pick(m);
	}
}

static void
act_unread_view(struct model *m)
{
	if (m->view_as)
		return;
	m->unread_view = true;
	m->waiting_view = false;
	m->account_id = 0;
	m->thr_pos.sel = m->thr_pos.top = 0;
	if (model_screen(m) != SCR_THREADS)
		model_push(m, SCR_THREADS);
	action_fetch_threads(m);
}

/* The queue of threads waiting on the firm, across accounts, oldest first. */
static void
act_waiting_view(struct model *m)
{
	if (!m->me_staff || m->view_as)
		return;
	m->waiting_view = true;
	m->unread_view = m->archived_view = false;
	m->account_id = 0;
	m->thr_pos.sel = m->thr_pos.top = 0;
	model_threads_set(m, NULL, 0);
	if (model_screen(m) != SCR_THREADS)
		model_push(m, SCR_THREADS);
	action_fetch_threads(m);
}

/* Cycles the list's assignee filter: everyone's, assigned to me, unassigned. */
static void
act_assigned_filter(struct model *m)
{
	static const char *says[] = { N_("all threads"), N_("assigned to me"), N_("unassigned") };

	if (!m->me_staff || m->view_as)
		return;
	m->assigned = (m->assigned + 1) % 3;
	m->thr_pos.sel = m->thr_pos.top = 0;
	model_threads_set(m, NULL, 0);
	action_fetch_threads(m);
	model_set_status(m, ui_now_ms(), "%s", _(says[m->assigned]));
	m->dirty |= DIRTY_ALL;
}

/* The selected account as its contacts see it: read-only, under a banner. */
static void
act_view_as(struct model *m)
{
	struct account *a = model_screen(m) == SCR_ACCOUNTS ? model_account_selected(m) :
	    model_account_find(m, m->account_id);

	if (!m->me_staff || m->view_as || a == NULL || m->unread_view || m->waiting_view)
		return;
	m->view_as = a->id;
	m->account_id = a->id;
	m->unread_view = m->waiting_view = m->archived_view = false;
	m->thr_pos.sel = m->thr_pos.top = 0;
	model_threads_set(m, NULL, 0);
	if (model_screen(m) == SCR_THREADS)
		model_pop(m); /* back to the accounts, so that q leaves the client's view */
	m->filtering = false;
	model_push(m, SCR_THREADS);
	action_fetch_threads(m);
}

static void
act_archived(struct model *m)
{
	if (m->unread_view || m->waiting_view)
		return;
	m->archived_view = !m->archived_view;
	m->thr_pos.sel = m->thr_pos.top = 0;
	action_fetch_threads(m);
	m->dirty |= DIRTY_ALL;
}

static void act_filter(struct model *m) { m->filtering = true; m->dirty |= DIRTY_ALL; }
static void act_filter_accept(struct model *m) { m->filtering = false; m->dirty |= DIRTY_ALL; }

static void
act_filter_clear(struct model *m)
{
	buf_reset(&m->filter);
	model_accounts_refilter(m);
}

static void
act_filter_cancel(struct model *m)
{
	m->filtering = false;
	act_filter_clear(m);
	m->dirty |= DIRTY_ALL;
}

static void
act_filter_backspace(struct model *m)
{
	size_t n = m->filter.len;

	while (n > 0 && ((unsigned char)m->filter.data[n - 1] & 0xc0) == 0x80)
		n--;
	if (n > 0)
		n--;
	m->filter.len = n;
	if (m->filter.data)
		m->filter.data[n] = '\0';
	model_accounts_refilter(m);
}

static void
act_sort(struct model *m)
{
	m->sort_by_name = !m->sort_by_name;
	model_accounts_refilter(m);
	model_set_status(m, ui_now_ms(), "%s", m->sort_by_name ? _("sorted by name") :
	    _("sorted by latest activity"));
}

static void
act_mark(struct model *m)
{
	struct account *a = model_account_selected(m);

	if (a != NULL)
		a->marked = !a->marked;
	action_move(m, 1);
}

static void
act_refresh(struct model *m)
{
	action_refresh(m, model_screen(m) == SCR_ACCOUNTS);
	model_set_status(m, ui_now_ms(), "%s", _("refreshing"));
	m->refreshing = true;
}

static void act_reply(struct model *m) { action_compose_open(m, false); }
static void act_note(struct model *m) { action_compose_open(m, true); }

static void
act_edit_reply(struct model *m)
{
	action_compose_open(m, false);
	action_compose_editor(m);
}

/* Moves the read marker back before the newest message someone else wrote. */
static void
act_mark_unread(struct model *m)
{
	int64_t upto = 0;
	size_t i = m->nmsgs;

	while (i > 0 && (m->msgs[i - 1].author_id == m->me_id || m->msgs[i - 1].id <= 0))
		i--;
	if (i == 0) {
		model_set_status(m, ui_now_ms(), "%s", _("nothing here to mark unread"));
		return;
	}
	upto = i >= 2 ? m->msgs[i - 2].id : 0;
	net_submit(api_read(m->thread.id, upto));
	act_back(m);
	model_set_status(m, ui_now_ms(), "%s", _("marked unread"));
}

/* Text editing keys, on whatever edit the screen has. */
#define EDIT_ACTION(name, call)                          \
	static void name(struct model *m)                \
	{                                                \
		struct edit *e = action_compose_edit(m); \
		if (e == NULL)                           \
			return;                          \
		call(e);                                 \
		m->num_fresh = false;                    \
		m->draft_dirty = e != &m->rem[REM_DAYS] && e != &m->rem[REM_COUNT]; \
		m->draft_changed_ms = ui_now_ms();       \
		m->dirty |= DIRTY_BODY;                  \
	}
EDIT_ACTION(act_backspace, edit_backspace)
EDIT_ACTION(act_delete, edit_delete)
EDIT_ACTION(act_left, edit_left)
EDIT_ACTION(act_right, edit_right)
EDIT_ACTION(act_line_start, edit_home)
EDIT_ACTION(act_line_end, edit_end)
EDIT_ACTION(act_kill_line, edit_kill_line)
EDIT_ACTION(act_delete_word, edit_delete_word)

static void
act_cursor_up(struct model *m)
{
	struct edit *e = action_compose_edit(m);

	if (model_screen(m) == SCR_NEWCHAT && m->form_field != FORM_BODY && m->form_field != FORM_TASKS)
		action_form_prev(m);
	else if (e != NULL)
		edit_up(e);
	m->dirty |= DIRTY_BODY;
}

static void
act_cursor_down(struct model *m)
{
	struct edit *e = action_compose_edit(m);

	if (model_screen(m) == SCR_NEWCHAT && m->form_field != FORM_BODY && m->form_field != FORM_TASKS)
		action_form_next(m);
	else if (e != NULL)
		edit_down(e);
	m->dirty |= DIRTY_BODY;
}

static void
act_newline(struct model *m)
{
	action_text(m, "\n", 1);
}

static void
act_send(struct model *m)
{
	if (model_screen(m) == SCR_NEWCHAT)
		action_newchat_send(m);
	else
		action_compose_send(m);
}

static const struct action actions[] = {
	{ "down", act_down, N_("Move down") },
	{ "up", act_up, N_("Move up") },
	{ "page-down", act_page_down, N_("Move down a page") },
	{ "page-up", act_page_up, N_("Move up a page") },
	{ "top", act_top, N_("Go to the top") },
	{ "bottom", act_bottom, N_("Go to the bottom") },
	{ "back", act_back, N_("Go back (quit on the accounts screen)") },
	{ "quit", act_quit, N_("Quit") },
	{ "help", act_help, N_("Show the key bindings") },
	{ "redraw", act_redraw, N_("Redraw the screen") },
	{ "refresh", act_refresh, N_("Fetch the screen again from the server") },
	{ "new-chat", action_newchat_open, N_("Start a new chat") },
	{ "open", act_open, N_("Open the account or thread") },
	{ "filter", act_filter, N_("Filter accounts as you type") },
	{ "filter-accept", act_filter_accept, N_("Keep the filter and go back to the list") },
	{ "filter-cancel", act_filter_cancel, N_("Clear the filter") },
	{ "filter-backspace", act_filter_backspace, N_("Delete the last character of the filter") },
	{ "filter-clear", act_filter_clear, N_("Empty the filter") },
	{ "clear-filter", act_filter_cancel, N_("Clear the filter") },
	{ "sort", act_sort, N_("Sort by latest activity or by name") },
	{ "mark", act_mark, N_("Mark the account (for bulk actions)") },
	{ "unread-view", act_unread_view, N_("Threads with unread messages, all accounts") },
	{ "waiting-view", act_waiting_view, N_("Threads waiting on us, all accounts, oldest first") },
	{ "assigned-filter", act_assigned_filter,
	    N_("Show all threads, those assigned to me, or unassigned ones") },
	{ "view-as", act_view_as, N_("See the account as its contacts do (read-only)") },
	{ "assign", action_assign_open, N_("Assign the thread to a colleague or to me") },
	{ "assign-pick", action_assign_pick, N_("Assign to the chosen person") },
	{ "archived", act_archived, N_("Show archived threads, or open ones again") },
	{ "reply", act_reply, N_("Reply") },
	{ "note", act_note, N_("Write an internal note (team only)") },
	{ "edit-reply", act_edit_reply, N_("Reply in $VISUAL or $EDITOR") },
	{ "mark-unread", act_mark_unread, N_("Mark the thread unread and go back") },
	{ "newline", act_newline, N_("Start a new line") },
	{ "send", act_send, N_("Send (or create the chat)") },
	{ "leave", action_compose_leave, N_("Leave; asks what to do with unsent text") },
	{ "toggle-internal", action_toggle_internal, N_("Switch between reply and internal note") },
	{ "editor", action_compose_editor, N_("Edit the text in $VISUAL or $EDITOR") },
	{ "backspace", act_backspace, N_("Delete the character before the cursor") },
	{ "delete", act_delete, N_("Delete the character under the cursor") },
	{ "left", act_left, N_("Cursor left") },
	{ "right", act_right, N_("Cursor right") },
	{ "cursor-up", act_cursor_up, N_("Cursor up a line") },
	{ "cursor-down", act_cursor_down, N_("Cursor down a line") },
	{ "line-start", act_line_start, N_("Cursor to the start of the line") },
	{ "line-end", act_line_end, N_("Cursor to the end of the line") },
	{ "kill-line", act_kill_line, N_("Delete to the end of the line") },
	{ "delete-word", act_delete_word, N_("Delete the word before the cursor") },
	{ "next-field", action_form_next, N_("Next field (completes To and Template)") },
	{ "prev-field", action_form_prev, N_("Previous field") },
	{ "field-enter", action_form_enter, N_("New line in Message and Tasks; next field elsewhere") },
	{ "ask-send", action_ask_send, N_("Send it") },
	{ "ask-keep", action_ask_keep, N_("Keep it as a draft and leave") },
	{ "ask-discard", action_ask_discard, N_("Throw it away and leave") },
	{ "ask-cancel", action_ask_cancel, N_("Go on writing") },
	{ "inbox", action_inbox_open, N_("Inbox+: what needs you, newest first") },
	{ "actions", action_menu_open, N_("The thread's actions: resend, archive, reminders") },
	{ "pick", action_menu_pick, N_("Do the chosen action") },
	{ "resend", action_resend, N_("Mail the reminder for the last message again now") },
	{ "archive", action_archive, N_("Archive the thread, or reopen an archived one") },
	{ "reminders", action_reminders_open, N_("Switch reminders on or off, set days and count") },
	{ "ledger", action_ledger_toggle, N_("Show or hide the reminder ledger") },
	{ "toggle", action_toggle, N_("Switch reminders on or off") },
	{ "save", action_reminders_save, N_("Save the reminders") },
	{ NULL, NULL, NULL },
};

const struct action *
action_find(const char *name)
{
	const struct action *a;

	for (a = actions; a->name; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

/* Actions that write, open something that does, or leave the account: none while viewing as a client. */
static bool
action_writes(const char *name)
{
	static const char *const writes[] = { "reply", "note", "edit-reply", "mark-unread",
		"new-chat", "actions", "ledger", "assign", "resend", "archive", "reminders", "inbox",
		"unread-view", "waiting-view", "assigned-filter", NULL };
	size_t i;

	for (i = 0; writes[i]; i++)
		if (strcmp(writes[i], name) == 0)
			return true;
	return false;
}

bool
action_key(struct model *m, const char *mode, int key)
{
	const char *name = keymap_lookup(mode, key);
	const struct action *a;

	if (name == NULL || (a = action_find(name)) == NULL)
		return false;
	if (m->view_as && action_writes(name)) {
		model_set_status(m, ui_now_ms(), "%s",
		    _("viewing as the client: read-only (q leaves this view)"));
		return true;
	}
	a->fn(m);
	return true;
}

/* Typing on a reminders switch: Space flips it, y switches on, n off. True when it was one. */
static bool
action_switch_text(struct model *m, const char *s, size_t n)
{
	struct edit *e = NULL;

	if (model_screen(m) == SCR_NEWCHAT && m->form_field == FORM_REMIND)
		e = &m->form[FORM_REMIND];
	else if (model_screen(m) == SCR_REMINDERS && m->rem_field == REM_ON)
		e = &m->rem[REM_ON];
	if (e == NULL)
		return false;
	if (n == 1 && (*s == ' ' || (*s == 'y' && edit_empty(e)) || (*s == 'n' && !edit_empty(e))))
		action_toggle(m);
	else if (n != 1 || (*s != 'y' && *s != 'n'))
		model_set_status(m, ui_now_ms(), "%s", _("Reminders: Space, y or n switches them on or off"));
	return true;
}

/*
 * Typing into a number field (days, mails): digits only, within its range.
 * The first digit after entering the field replaces the number there, so
 * typing 7 on "3" means 7, not 37. Anything else is refused and the status
 * line says what the field takes. True when e is a number field.
 */
static bool
action_number_text(struct model *m, struct edit *e, const char *s, size_t n)
{
	bool days = e == &m->form[FORM_REMIND_DAYS] || e == &m->rem[REM_DAYS];
	long max = days ? 365 : 100, v;
	struct edit next;

	if (!days && e != &m->form[FORM_REMIND_COUNT] && e != &m->rem[REM_COUNT])
		return false;
	edit_init(&next);
	edit_set(&next, m->num_fresh ? "" : buf_str(&e->text));
	if (!m->num_fresh)
		next.cur = e->cur;
	if (n == 1 && *s >= '0' && *s <= '9')
		edit_insert(&next, s, 1);
	v = strtol(buf_str(&next.text), NULL, 10);
	if (n != 1 || *s < '0' || *s > '9' || v < 1 || v > max) {
		model_set_status(m, ui_now_ms(), "%s", days ?
		    _("days: a number from 1 to 365 (digits only)") :
		    _("mails: a number from 1 to 100 (digits only)"));
	} else {
		edit_set(e, buf_str(&next.text));
		e->cur = next.cur;
		m->num_fresh = false;
		m->draft_dirty = model_screen(m) == SCR_NEWCHAT;
		m->draft_changed_ms = ui_now_ms();
		m->dirty |= DIRTY_BODY;
	}
	edit_free(&next);
	return true;
}

void
action_text(struct model *m, const char *s, size_t n)
{
	struct edit *e;

	if (m->filtering && model_screen(m) == SCR_ACCOUNTS) {
		buf_append(&m->filter, s, n);
		model_accounts_refilter(m);
		return;
	}
	if (action_switch_text(m, s, n) || (e = action_compose_edit(m)) == NULL || m->asking ||
	    action_number_text(m, e, s, n))
		return;
	edit_insert(e, s, n);
	m->draft_dirty = true;
	m->draft_changed_ms = ui_now_ms();
	m->dirty |= DIRTY_BODY;
}
