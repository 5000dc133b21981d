/*
 * ui-draw.c -- one screen from the model: the title row, the body (one
 * view, or on a wide terminal the panes side by side that model_panes()
 * lays out), the status line and the key hints. ui_draw() runs once per
 * loop pass when something is dirty and ends in the one doupdate(); curses
 * sends only the cells that changed, so a new message costs a few lines
 * over a slow link.
 */
#include "folio.h"
#include "mem.h"
#include "utf8.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct view *ui_draw_views[SCR_COUNT] = {
	[SCR_ACCOUNTS] = &view_accounts, [SCR_THREADS] = &view_threads,
	[SCR_THREAD] = &view_thread, [SCR_COMPOSE] = &view_compose,
	[SCR_NEWCHAT] = &view_newchat, [SCR_HELP] = &view_help,
	[SCR_INBOX] = &view_inbox, [SCR_MENU] = &view_menu, [SCR_REMINDERS] = &view_reminders,
	[SCR_ASSIGN] = &view_assign,
};

static FILE *ui_draw_marks;

const char *
ui_draw_mode(struct model *m)
{
	const struct view *v = ui_draw_views[model_screen(m)];

	return v->mode_of ? v->mode_of(m) : v->mode;
}

/* What a pane is about, for its part of the title row. */
static void
ui_draw_title_of(struct model *m, enum screen_id s, char *out, size_t len)
{
	struct account *a = model_account_find(m, s == SCR_THREADS ? m->account_id :
	    m->thread.account_id);
	size_t unread = model_notes_unread(m);
	static const char *assigned[] = { "", N_(" · assigned to me"), N_(" · unassigned") };
	const char *who;
	char with[160] = "";

	switch (s) {
	case SCR_ACCOUNTS:
		if (unread > 0)
			snprintf(out, len, _("Accounts (%zu) | Inbox+ %zu new"), m->nshown, unread);
		else
			snprintf(out, len, _("Accounts (%zu)"), m->nshown);
		break;
	case SCR_THREADS:
		if (m->waiting_view)
			snprintf(out, len, _("Waiting on us (%zu), oldest first%s"), m->nthreads,
			    *assigned[m->assigned] ? _(assigned[m->assigned]) : "");
		else
			snprintf(out, len, "%s | %s%s", m->unread_view ? _("Unread") : a ? a->name : "?",
			    m->archived_view ? _("archived threads") : _("open threads"),
			    *assigned[m->assigned] ? _(assigned[m->assigned]) : "");
		break;
	case SCR_INBOX:
		snprintf(out, len, _("Inbox+ (%zu new)"), unread);
		break;
	case SCR_HELP:
		snprintf(out, len, "%s", _("Help"));
		break;
	case SCR_NEWCHAT:
		snprintf(out, len, "%s", _("New chat"));
		break;
	default:
		if (m->me_staff && !m->view_as && m->thread.assignee_id &&
		    (who = model_staff_name(m, m->thread.assignee_id)) != NULL)
			snprintf(with, sizeof with, _(" · assigned to %s"), who);
		snprintf(out, len, "%s | %s%s%s%s", a ? a->name : "?", m->thread.subject ?
		    m->thread.subject : "", with, m->thread.archived ? _(" [archived]") : "",
		    model_has_draft(m, m->thread.id) && s == SCR_THREAD ? _(" [draft]") : "");
		break;
	}
}

static void
ui_draw_title(struct model *m, const struct pane *p, int n)
{
	char title[512];
	/* Viewing as a client: a banner no one can mistake, in the error colour. */
	const char *lead = m->view_as ? _(" CLIENT VIEW, read-only | ") : " Folio | ";
	int i, lw = (int)utf8_width(lead, strlen(lead));

	move(0, 0);
	attrset((attr_t)ui_style(m->view_as ? UI_ERROR : UI_TITLE));
	if (m->view_as)
		attron(A_REVERSE | A_BOLD);
	for (i = 0; i < n; i++) {
		ui_draw_title_of(m, p[i].screen, title, sizeof title);
		if (i == 0) {
			addstr(lead);
			ui_put_pad(title, p[0].cols - lw);
		} else {
			addstr(" ");
			ui_put_pad(title, p[i].cols);
		}
	}
	attrset(A_NORMAL);
}

/* The status line: connection, queue, and the last message. */
static void
ui_draw_status(struct model *m)
{
	static const char *states[] = { N_("events off"), N_("connecting"), N_("live"),
		N_("offline, retrying"), N_("resyncing"), N_("logged out") };
	char left[160], *p = left;
	const char *status = m->status;
	int used;

	p += snprintf(left, sizeof left, "[%s%s]", m->session_dead ? _("logged out") :
	    _(states[m->stream]), m->polling && m->stream == STREAM_UP ? _(", polling") : "");
	if (m->queued > 0)
		snprintf(p, sizeof left - (size_t)(p - left), _(" [%zu queued]"), m->queued);
	if (!(m->status[0] && ui_now_ms() - m->status_ms < UI_STATUS_SHOW_MS) && m->notice)
		status = m->notice; /* FOLIO_NOTICE stands until the first key */
	else if (!(m->status[0] && ui_now_ms() - m->status_ms < UI_STATUS_SHOW_MS))
		status = "";
	move(LINES - 2, 0);
	attrset((attr_t)ui_style(m->stream == STREAM_UP ? UI_DIM : UI_ERROR));
	used = ui_put(left, strlen(left), COLS);
	attrset(A_NORMAL);
	if (*status && used + 2 < COLS) {
		addstr("  ");
		used += 2 + ui_put(status, strlen(status), COLS - used - 2);
	}
	clrtoeol();
}

/*
 * The key bound to action in mode (or global) for the hint line: a plain
 * character when there is one (q rather than Left), else the first.
 */
const char *
ui_draw_key_for(const char *mode, const char *action)
{
	const struct binding *b;
	const char *bound;
	int pass, found = -1;
	size_t n, i;

	b = keymap_bindings(&n);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			if (b[i].action == NULL || strcmp(b[i].action, action) != 0 ||
			    strcmp(b[i].mode, pass == 0 ? mode : "global") != 0)
				continue;
			bound = keymap_lookup(mode, b[i].key); /* a list key may be overridden */
			if (bound == NULL || strcmp(bound, action) != 0)
				continue;
			if (b[i].key > ' ' && b[i].key < 0x7f)
				return keymap_key_name(b[i].key);
			if (found < 0)
				found = b[i].key;
		}
	}
	return found >= 0 ? keymap_key_name(found) : NULL;
}

/*
 * Keys not offered: to a client contact, notes, the thread's actions and the
 * firm's queues; while viewing as a client, anything that writes.
 */
static bool
ui_draw_hidden(struct model *m, const char *action)
{
	static const char *const staff_only[] = { "note", "actions", "ledger", "waiting-view",
		"assigned-filter", "view-as", NULL };
	static const char *const writes[] = { "reply", "note", "edit-reply", "mark-unread",
		"actions", "new-chat", "waiting-view", "assigned-filter", "view-as", NULL };
	const char *const *list = m->view_as ? writes : !m->me_staff ? staff_only : NULL;
	size_t i;

	for (i = 0; list && list[i]; i++)
		if (strcmp(list[i], action) == 0)
			return true;
	return false;
}

static void
ui_draw_hints(struct model *m)
{
	static const struct {
		const char *mode;
		const char *actions[8];
		const char *labels[8];
	} hints[] = {
		{ "accounts",
		    { "open", "filter", "unread-view", "inbox", "new-chat", "help", "back" },
		    { N_("open"), N_("filter"), N_("unread"), N_("inbox"), N_("new chat"), N_("help"),
			N_("quit") } },
		{ "filter", { "filter-accept", "filter-cancel" }, { N_("done"), N_("clear") } },
		{ "threads", { "open", "archived", "assigned-filter", "waiting-view", "new-chat", "help",
		    "back" },
		    { N_("open"), N_("archived"), N_("assignee"), N_("waiting"), N_("new chat"),
			N_("help"), N_("back") } },
		{ "thread",
		    { "reply", "note", "edit-reply", "mark-unread", "actions", "help", "back" },
		    { N_("reply"), N_("note"), N_("$EDITOR"), N_("unread"), N_("actions"), N_("help"),
			N_("back") } },
		{ "inbox", { "open", "help", "back" }, { N_("open thread"), N_("help"), N_("back") } },
		{ "menu", { "pick", "back" }, { N_("do it"), N_("close") } },
		{ "assign", { "assign-pick", "back" }, { N_("assign"), N_("close") } },
		{ "reminders", { "next-field", "toggle", "save", "back" },
		    { N_("next field"), N_("on/off"), N_("save"), N_("cancel") } },
		{ "compose", { "send", "leave", "toggle-internal", "editor", "help" },
		    { N_("send"), N_("leave"), N_("note/reply"), N_("$EDITOR"), N_("help") } },
		{ "newchat", { "next-field", "send", "leave", "help" },
		    { N_("next field"), N_("create"), N_("leave"), N_("help") } },
		{ "ask", { "ask-send", "ask-keep", "ask-discard", "ask-cancel" },
		    { N_("send"), N_("keep draft"), N_("discard"), N_("go on writing") } },
		{ "help", { "back" }, { N_("back") } },
	};
	const char *mode = ui_draw_mode(m), *key;
	struct buf b = BUF_INIT;
	size_t i, k;
	char *piece;
	bool fits;

	for (i = 0; i < sizeof hints / sizeof hints[0]; i++) {
		if (strcmp(hints[i].mode, mode) != 0)
			continue;
		if (strcmp(mode, "ask") == 0)
			buf_puts(&b, _("Unsent text: "));
		/* Whole hints only: one that does not fit ends the line, never half a word. */
		for (k = 0; k < 8 && hints[i].actions[k]; k++) {
			if (ui_draw_hidden(m, hints[i].actions[k]) ||
			    (key = ui_draw_key_for(mode, hints[i].actions[k])) == NULL)
				continue;
			piece = xasprintf("%s%s:%s", b.len && strcmp(mode, "ask") ? "  " :
			    k ? "  " : "", key, _(hints[i].labels[k]));
			fits = utf8_width(b.data ? b.data : "", b.len) +
			    utf8_width(piece, strlen(piece)) <= (size_t)COLS;
			if (fits)
				buf_puts(&b, piece);
			free(piece);
			if (!fits)
				break;
		}
	}
	move(LINES - 1, 0);
	attrset((attr_t)ui_style(strcmp(mode, "ask") == 0 ? UI_ERROR : UI_DIM));
	ui_put_pad(buf_str(&b), COLS);
	attrset(A_NORMAL);
	buf_free(&b);
}

/*
 * With FOLIO_BENCH_MARKS set, each milestone the screen reaches is appended
 * to that file as "name value monotonic-ns" once it is on the terminal:
 * draw (the first screen), accounts (the first with accounts), accounts-all
 * (every page loaded), thread ID (its messages shown), last ID (the newest
 * message shown). tests/bench/bench_tui.py reads them.
 */
static void
ui_draw_mark(struct model *m)
{
	static bool loading;
	static int64_t last;
	static size_t held;
	static int done;
	struct timespec ts;
	long long ns;

	if (ui_draw_marks == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (!(done & 1))
		fprintf(ui_draw_marks, "draw 0 %lld\n", ns);
	if (!(done & 2) && m->nshown > 0)
		fprintf(ui_draw_marks, "accounts %zu %lld\n", m->nshown, ns), done |= 2;
	if (!(done & 4) && m->naccounts > 0 && !m->accounts_paging)
		fprintf(ui_draw_marks, "accounts-all %zu %lld\n", m->naccounts, ns), done |= 4;
	if (!(done & 8) && model_screen(m) == SCR_THREADS && m->nthreads > 0)
		fprintf(ui_draw_marks, "threads %zu %lld\n", m->nthreads, ns), done |= 8;
	done |= 1;
	if (m->msgs_loading) {
		loading = true;
	} else if (loading && m->nmsgs > 0) {
		fprintf(ui_draw_marks, "thread %zu %lld\n", m->nmsgs, ns);
		loading = false;
	} else if (m->nmsgs > 0 && model_last_message_id(m) != last) {
		fprintf(ui_draw_marks, "last %lld %lld\n", (long long)model_last_message_id(m), ns);
	}
	if (!m->msgs_loading && m->nmsgs != held && m->nmsgs > 0)
		fprintf(ui_draw_marks, "held %zu %lld\n", m->nmsgs, ns);
	last = m->nmsgs > 0 ? model_last_message_id(m) : 0;
	held = m->nmsgs;
	fflush(ui_draw_marks);
}

/* Whether a pane has something to show; an empty one says what would be there. */
static bool
ui_draw_has(struct model *m, enum screen_id s, int top, int cols)
{
	const char *why = NULL;

	if (s == SCR_THREADS && m->account_id == 0 && !m->unread_view && !m->waiting_view)
		why = _("Enter on an account shows its threads here.");
	if ((s == SCR_THREAD || s == SCR_COMPOSE) && (m->thread.id == 0 ||
	    (model_screen(m) == SCR_THREADS && m->thread.account_id != m->account_id)))
		why = _("Enter on a thread shows it here.");
	if (why == NULL)
		return true;
	ui_move(top + 1, 2);
	attrset((attr_t)ui_style(UI_DIM));
	ui_put(why, strlen(why), cols - 2);
	attrset(A_NORMAL);
	return false;
}

/* The body: one view, or the panes side by side with a line between them. */
static void
ui_draw_body(struct model *m, const struct pane *p, int n)
{
	enum screen_id top = model_screen(m);
	int i;

	for (i = 0; i < n; i++) {
		ui_pane(p[i].x, n == 1 || p[i].screen == top);
		if (n == 1 || ui_draw_has(m, p[i].screen, 1, p[i].cols))
			ui_draw_views[p[i].screen]->draw(m, 1, m->rows, p[i].cols);
	}
	ui_pane(0, true);
	for (i = 1; i < n; i++)
		mvvline(0, p[i].x - 1, ACS_VLINE, m->rows + 1);
}

void
ui_draw(struct model *m)
{
	struct pane p[PANES_MAX];
	int n;

	if (m->dirty & DIRTY_CLEAR)
		clearok(curscr, TRUE);
	if (m->dirty & DIRTY_BODY) {
		ui_cursor_at(-1, -1);
		m->rows = LINES - 3 > 1 ? LINES - 3 : 1;
		m->cols = COLS;
		n = model_panes(m, COLS, p);
		erase();
		ui_draw_title(m, p, n);
		if (LINES >= 4)
			ui_draw_body(m, p, n);
		ui_draw_hints(m);
	}
	if (LINES >= 3)
		ui_draw_status(m);
	ui_cursor_show();
	m->dirty = 0;
	wnoutrefresh(stdscr);
	doupdate();
	ui_draw_mark(m);
}

void
ui_draw_bench(const char *path)
{
	if (ui_draw_marks != NULL)
		fclose(ui_draw_marks);
	ui_draw_marks = path != NULL ? fopen(path, "a") : NULL;
}
