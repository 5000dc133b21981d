/*
 * view-thread.c -- one thread: each message as a header (author, time,
 * state) and its Markdown body, internal notes in their own colour with a
 * label and a bar, a "new" divider before the first unread message. The
 * view lays out every loaded message into lines and shows the window
 * m->scroll lines up from the bottom; opening a thread jumps to the divider.
 */
#include "folio.h"
#include "mem.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LINE_TEXT, LINE_HEADER, LINE_DIVIDER, LINE_GAP };

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
	static const char *states[] = { "", "  (sending...)", "  (queued: will send on reconnect)" };
	struct md_doc d = { 0 };
	bool mine = msg->author_id == m->me_id;
	char when[32], *head;
	size_t i, width = msg->internal ? cols - 2 : cols;

	ui_when(msg->created_at, when, sizeof when);
	head = xasprintf("%s%s%s  %s%s", msg->internal ? "INTERNAL NOTE · " : "", msg->author_name,
	    strcmp(msg->author_kind, "contact") == 0 ? " (client)" : "", when, states[msg->state]);
	view_thread_text(t, head, LINE_HEADER, msg->internal, mine);
	free(head);
	md_render(&d, msg->body, width > 10 ? width : 10);
	for (i = 0; i < msg->nextras; i++)
		md_plain(&d, msg->extras[i], MD_LINK, width > 10 ? width : 10);
	for (i = 0; i < d.n; i++)
		view_thread_add(t, &d.lines[i], LINE_TEXT, msg->internal, mine);
	free(d.lines); /* the lines now belong to t */
	view_thread_text(t, "", LINE_GAP, false, false);
}

static void
view_thread_layout(struct model *m, struct tlines *t, size_t cols)
{
	size_t i;

	memset(t, 0, sizeof *t);
	t->divider = SIZE_MAX;
	if (m->has_older)
		view_thread_text(t, m->loading_older ? "Loading older messages..." :
		    "(older messages: scroll up)", LINE_GAP, false, false);
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

	move(y, 0);
	if (l->kind == LINE_DIVIDER) {
		attrset((attr_t)ui_style(UI_DIVIDER));
		hline('-', cols);
		mvaddstr(y, 2, " new ");
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
		move(top + 1, 2);
		addstr("Loading messages...");
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

static void
view_thread_draw(struct model *m, int top, int rows, int cols)
{
	view_thread_draw_messages(m, top, rows, cols);
}

const struct view view_thread = { "thread", view_thread_draw, NULL };
