/*
 * view-thread.c -- one thread: each message as a header (author, time,
 * state) and its Markdown body, internal notes in their own colour with a
 * label and a bar, a "new" divider before the first unread message. The
 * view lays out every loaded message into lines and shows the window
 * m->scroll lines up from the bottom; opening a thread jumps to the divider.
 * For staff, mails about a message that failed for good are listed under
 * it, and the thread's reminders take a line at the top (with `l`, the
 * whole reminder ledger).
 */
#include "folio.h"
#include "mem.h"
#include "utf8.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LINE_TEXT, LINE_HEADER, LINE_DIVIDER, LINE_GAP, LINE_FAILED };
#define LEDGER_MAX_ROWS 12

struct tline {
	struct md_line md;
	int kind;
	bool internal;
	bool mine;
};

struct tlines {
	struct tline *v;
	size_t n, cap;
	size_t divider;   /* line index of the "new" divider, or SIZE_MAX */
};

static void
view_thread_add(struct tlines *t, struct md_line *md, int kind, bool internal, bool mine)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = xrealloc(t->v, t->cap * sizeof *t->v);
	}
	t->v[t->n].md = *md;
	t->v[t->n].kind = kind;
	t->v[t->n].internal = internal;
	t->v[t->n].mine = mine;
	t->n++;
}

static void
view_thread_text(struct tlines *t, const char *text, int kind, bool internal, bool mine)
{
	struct md_line l;

	memset(&l, 0, sizeof l);
	l.text = xstrdup(text);
	view_thread_add(t, &l, kind, internal, mine);
}

/* The lines of one message; internal notes get a two-column bar. */
static void
view_thread_message(struct model *m, struct tlines *t, const struct message *msg, size_t cols)
{
	static const char *states[] = { "", N_("(sending...)"), N_("(queued: will send on reconnect)") };
	struct md_doc d = { 0 };
	bool mine = msg->author_id == m->me_id;
	char when[64], *head;
	size_t i, width = msg->internal ? cols - 2 : cols;

	ui_when(msg->created_at, when, sizeof when);
	head = xasprintf("%s%s%s  %s%s%s", msg->internal ? _("INTERNAL NOTE · ") : "",
	    msg->author_name, strcmp(msg->author_kind, "contact") == 0 ? _(" (client)") : "", when,
	    msg->state ? "  " : "", msg->state ? _(states[msg->state]) : "");
	view_thread_text(t, head, LINE_HEADER, msg->internal, mine);
	free(head);
	md_render(&d, msg->body, width > 10 ? width : 10);
	for (i = 0; i < msg->nextras; i++)
		md_plain(&d, msg->extras[i], MD_LINK, width > 10 ? width : 10);
	for (i = 0; i < d.n; i++)
		view_thread_add(t, &d.lines[i], LINE_TEXT, msg->internal, mine);
	free(d.lines); /* the lines now belong to t */
	for (i = 0; i < msg->nfailures; i++) {
		head = xasprintf(_("\xe2\x9c\x97 mail not delivered to %s"), msg->failures[i]);
		view_thread_text(t, head, LINE_FAILED, false, mine);
		free(head);
	}
	view_thread_text(t, "", LINE_GAP, false, false);
}

static void
view_thread_layout(struct model *m, struct tlines *t, size_t cols)
{
	size_t i;

	memset(t, 0, sizeof *t);
	t->divider = SIZE_MAX;
	if (m->has_older)
		view_thread_text(t, m->loading_older ? _("Loading older messages...") :
		    _("(older messages: scroll up)"), LINE_GAP, false, false);
	for (i = 0; i < m->nmsgs; i++) {
		if (m->first_unread != 0 && m->msgs[i].id == m->first_unread) {
			t->divider = t->n;
			view_thread_text(t, "new", LINE_DIVIDER, false, false);
		}
		view_thread_message(m, t, &m->msgs[i], cols);
	}
}

static void
view_thread_free(struct tlines *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].md.text);
		free(t->v[i].md.spans);
	}
	free(t->v);
}

static int
view_thread_span_style(int attr)
{
	int s = 0;

	if (attr & MD_BOLD)
		s |= (int)A_BOLD;
	if (attr & MD_ITALIC)
		s |= (int)A_ITALIC;
	if (attr & MD_CODE)
		s |= ui_style(UI_CODE);
	if (attr & MD_LINK)
		s |= ui_style(UI_LINK);
	if (attr & MD_HEADING)
		s |= ui_style(UI_HEADING);
	if (attr & MD_QUOTE)
		s |= ui_style(UI_QUOTE);
	return s;
}

static void
view_thread_line(const struct tline *l, int y, int cols)
{
	const struct md_line *md = &l->md;
	int base = l->internal ? ui_style(UI_INTERNAL) : 0, used = 0;
	size_t off = 0, i;

	ui_move(y, 0);
	if (l->kind == LINE_DIVIDER) {
		attrset((attr_t)ui_style(UI_DIVIDER));
		hline('-', cols);
		ui_move(y, 2);
		printw(" %s ", _("new"));
		attrset(A_NORMAL);
		return;
	}
	if (l->internal && l->kind == LINE_TEXT) {
		attrset((attr_t)base);
		addstr("\xe2\x94\x83 "); /* a heavy bar marks the note's body */
		used = 2;
		base = 0;
	}
	if (l->kind == LINE_HEADER)
		base = l->internal ? ui_style(UI_INTERNAL) : l->mine ? ui_style(UI_DIM) | (int)A_BOLD :
		    ui_style(UI_AUTHOR);
	if (l->kind == LINE_GAP && md->text[0])
		base = ui_style(UI_DIM);
	if (l->kind == LINE_FAILED)
		base = ui_style(UI_ERROR);
	for (i = 0; i <= md->nspans && used < cols; i++) {
		size_t end = i < md->nspans ? md->spans[i].off : strlen(md->text);
		attrset((attr_t)base);
		used += ui_put(md->text + off, end - off, cols - used);
		if (i == md->nspans)
			break;
		attrset((attr_t)(base | view_thread_span_style(md->spans[i].attr)));
		used += ui_put(md->text + md->spans[i].off, md->spans[i].len, cols - used);
		off = md->spans[i].off + md->spans[i].len;
	}
	attrset(A_NORMAL);
}

void
view_thread_draw_messages(struct model *m, int top, int rows, int cols)
{
	struct tlines t;
	int64_t first, max;
	int y;

	if (m->msgs_loading && m->nmsgs == 0) {
		ui_move(top + 1, 2);
		addstr(_("Loading messages..."));
		return;
	}
	view_thread_layout(m, &t, (size_t)cols);
	m->thread_lines = t.n;
	max = (int64_t)t.n - rows;
	if (max < 0)
		max = 0;
	if (m->jump_to_unread && !m->msgs_loading) {
		/* Open at the divider (a line of context above it), or at the end. */
		m->scroll = t.divider != SIZE_MAX ? max - ((int64_t)t.divider - 1) : 0;
		m->jump_to_unread = false;
	}
	if (m->scroll > max)
		m->scroll = max;
	if (m->scroll < 0)
		m->scroll = 0;
	first = max - m->scroll;
	for (y = 0; y < rows && first + y < (int64_t)t.n; y++)
		view_thread_line(&t.v[first + y], top + y, cols);
	view_thread_free(&t);
}

static const char *
view_thread_ended(const char *by)
{
	if (strcmp(by, "max_count") == 0)
		return _("all sent");
	if (strcmp(by, "client_replied") == 0)
		return _("the client replied");
	if (strcmp(by, "switched_off") == 0)
		return _("switched off");
	if (strcmp(by, "archived") == 0)
		return _("archived");
	return by;
}

void
view_thread_reminders(const struct thread *t, bool brief, char *out, size_t len)
{
	char when[64];

	if (t->rem_ended_by != NULL && brief) {
		snprintf(out, len, _("reminders ended: %s"), view_thread_ended(t->rem_ended_by));
	} else if (t->rem_ended_by != NULL) {
		snprintf(out, len, _("reminders ended: %s (%lld of %lld sent)"),
		    view_thread_ended(t->rem_ended_by), (long long)t->rem_sent,
		    (long long)t->rem_max);
	} else if (!t->rem_enabled) {
		snprintf(out, len, "%s", _("reminders off"));
	} else if (t->rem_next_due != NULL) {
		ui_when(t->rem_next_due, when, sizeof when);
		if (brief)
			snprintf(out, len, _("reminders %lld/%lld, next %s"), (long long)t->rem_sent,
			    (long long)t->rem_max, when);
		else
			snprintf(out, len, _("reminders every %lld days: %lld of %lld sent, next %s"),
			    (long long)t->rem_interval, (long long)t->rem_sent,
			    (long long)t->rem_max, when);
	} else {
		snprintf(out, len, _("reminders every %lld days, at most %lld"),
		    (long long)t->rem_interval, (long long)t->rem_max);
	}
}

/* Whether the thread's reminders deserve a line: on, ended, or ever sent. */
static bool
view_thread_has_reminders(struct model *m)
{
	return m->me_staff && !m->view_as && (m->thread.rem_enabled || m->thread.rem_ended_by != NULL ||
	    m->show_ledger);
}

/* Spaces that pad s to cols display columns (printf pads bytes, not columns). */
static int
view_thread_pad(const char *s, int cols)
{
	int w = (int)utf8_width(s, strlen(s));

	return w < cols ? cols - w : 0;
}

/* A ledger entry's delivery state in words. */
static const char *
view_thread_state(const char *state)
{
	static const struct {
		const char *state, *words;
	} states[] = {
		{ "sent", N_("sent") }, { "pending", N_("pending") }, { "failed", N_("failed") },
		{ "partly_failed", N_("partly failed") }, { "no_recipients", N_("no recipients") },
	};
	size_t i;

	for (i = 0; state && i < sizeof states / sizeof states[0]; i++)
		if (strcmp(states[i].state, state) == 0)
			return _(states[i].words);
	return state ? state : "";
}

/* One ledger entry: "Reminder 1  Mar 5 14:00  sent  carla@client.test". */
static void
view_thread_ledger_item(const struct ledger_item *it, int y, int cols)
{
	char when[64], what[64], *line;
	const char *state = view_thread_state(it->state);
	bool bad = it->state && (strcmp(it->state, "failed") == 0 ||
	    strcmp(it->state, "partly_failed") == 0);

	ui_when(it->sent_at, when, sizeof when);
	if (strcmp(it->kind, "resend") == 0)
		snprintf(what, sizeof what, "%s", _("Resend"));
	else
		snprintf(what, sizeof what, _("Reminder %lld"), (long long)it->seq);
	line = xasprintf("  %s%*s %s%*s %s%*s %s%s%s", what, view_thread_pad(what, 12), "", when,
	    view_thread_pad(when, 13), "", state, view_thread_pad(state, 9), "", it->recipients,
	    it->error ? ": " : "", it->error ? it->error : "");
	ui_move(y, 0);
	attrset((attr_t)ui_style(bad ? UI_ERROR : UI_DIM));
	ui_put(line, strlen(line), cols);
	attrset(A_NORMAL);
	free(line);
}

/* The reminders line, and the ledger under it when shown; returns the rows used. */
static int
view_thread_ledger(struct model *m, int top, int rows, int cols)
{
	const struct ledger *l = &m->ledger;
	char line[256];
	size_t i, first;
	int y = top, max = rows / 2 < LEDGER_MAX_ROWS ? rows / 2 : LEDGER_MAX_ROWS;

	view_thread_reminders(&m->thread, false, line, sizeof line);
	if ((int)utf8_width(line, strlen(line)) > cols)
		view_thread_reminders(&m->thread, true, line, sizeof line);
	ui_move(y++, 0);
	attrset((attr_t)ui_style(UI_MARK));
	ui_put_pad(line, cols);
	attrset(A_NORMAL);
	if (!m->show_ledger || max < 2)
		return 1;
	if (l->thread_id != m->thread.id) {
		ui_move(y++, 2);
		addstr(_("Loading the reminder ledger..."));
		return y - top;
	}
	if (l->n == 0) {
		ui_move(y++, 2);
		addstr(_("No reminder or resend sent yet."));
	}
	first = l->n > (size_t)max - 1 ? l->n - (size_t)max + 1 : 0; /* the newest fit */
	for (i = first; i < l->n; i++)
		view_thread_ledger_item(&l->items[i], y++, cols);
	if (l->next_due != NULL) {
		ui_when(l->next_due, line, sizeof line);
		ui_move(y++, 2);
		printw(_("Next due %s, %lld remaining"), line, (long long)l->remaining);
	}
	ui_move(y, 0);
	attrset((attr_t)ui_style(UI_DIM));
	hline(ACS_HLINE, cols);
	attrset(A_NORMAL);
	return y + 1 - top;
}

static void
view_thread_draw(struct model *m, int top, int rows, int cols)
{
	int used = 0;

	if (view_thread_has_reminders(m) && rows > 6)
		used = view_thread_ledger(m, top, rows, cols);
	view_thread_draw_messages(m, top + used, rows - used, cols);
}

const struct view view_thread = { "thread", view_thread_draw, NULL };
