/*
 * view-compose.c -- the reply box under the thread: a bar that says
 * whether this is a reply the client sees or an internal note only the
 * team sees (in the note colour), then the text with its cursor. While the
 * send/keep/discard question is up, the bar asks it.
 */
#include "folio.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#define COMPOSE_MAX_LINES 256

void
view_compose_draw_editor(struct edit *e, int top, int rows, int cols, bool focus)
{
	size_t starts[COMPOSE_MAX_LINES], n, cl, cc, first = 0, i, end;
	const char *s = buf_str(&e->text);

	n = edit_layout(e, (size_t)cols, starts, COMPOSE_MAX_LINES, &cl, &cc);
	if (n > COMPOSE_MAX_LINES)
		n = COMPOSE_MAX_LINES;
	if (cl >= COMPOSE_MAX_LINES)
		cl = COMPOSE_MAX_LINES - 1;
	if (cl >= (size_t)rows)
		first = cl - (size_t)rows + 1;
	for (i = first; i < n && (int)(i - first) < rows; i++) {
		end = i + 1 < n ? starts[i + 1] : e->text.len;
		if (end > starts[i] && s[end - 1] == '\n')
			end--;
		ui_move(top + (int)(i - first), 0);
		ui_put(s + starts[i], end - starts[i], cols);
	}
	if (focus)
		ui_cursor_at(top + (int)(cl - first), (int)cc);
}

static const char *
view_compose_mode(struct model *m)
{
	return m->asking ? "ask" : "compose";
}

static void
view_compose_draw(struct model *m, int top, int rows, int cols)
{
	size_t starts[COMPOSE_MAX_LINES], cl, cc, n;
	int box, bar;
	char label[256];

	n = edit_layout(&m->compose, (size_t)cols, starts, COMPOSE_MAX_LINES, &cl, &cc);
	box = (int)n + 1 < rows / 2 ? (int)n + 1 : rows / 2;
	if (box < 3)
		box = rows > 6 ? 3 : 1;
	bar = top + rows - box - 1;
	if (bar > top)
		view_thread_draw_messages(m, top, bar - top, cols);
	if (m->asking)
		snprintf(label, sizeof label, " %s ", _("Unsent text: s send, k keep draft, d discard, c go on"));
	else if (m->internal)
		snprintf(label, sizeof label, " %s ", _("INTERNAL NOTE (team only) | C-d send, Esc leave"));
	else
		snprintf(label, sizeof label, " %s ", _("Reply (the client sees this) | C-d send, Esc leave"));
	ui_move(bar, 0);
	attrset((attr_t)ui_style(m->asking ? UI_ERROR : m->internal ? UI_INTERNAL : UI_TITLE));
	if (m->internal || m->asking)
		attron(A_REVERSE);
	ui_put_pad(label, cols);
	attrset(A_NORMAL);
	view_compose_draw_editor(&m->compose, bar + 1, box, cols, !m->asking);
}

const struct view view_compose = { "compose", view_compose_draw, view_compose_mode };
