/*
 * view-menu.c -- the two boxes drawn over a thread: its action menu (each
 * item with the key that does it, from the keymap) and the reminders dialog
 * (on or off, every N days, at most N mails, Save and Cancel, the state
 * the reminders are in now). The thread stays visible underneath.
 */
#include "folio.h"
#include "utf8.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

/* Where the menu's first item was drawn, for clicks (view_menu_hit). */
static int view_menu_y = -1, view_menu_x, view_menu_w;

/* An empty box with a border and a title; returns nothing, draws at (y, x) in the pane. */
static void
view_menu_box(int y, int x, int h, int w, const char *title)
{
	int i;

	attrset((attr_t)ui_style(UI_TITLE));
	for (i = 0; i < h; i++) {
		ui_move(y + i, x);
		printw("%*s", w, "");
	}
	ui_move(y, x);
	addch(ACS_ULCORNER);
	hline(ACS_HLINE, w - 2);
	ui_move(y, x + w - 1);
	addch(ACS_URCORNER);
	ui_move(y + h - 1, x);
	addch(ACS_LLCORNER);
	hline(ACS_HLINE, w - 2);
	ui_move(y + h - 1, x + w - 1);
	addch(ACS_LRCORNER);
	for (i = 1; i < h - 1; i++) {
		ui_move(y + i, x);
		addch(ACS_VLINE);
		ui_move(y + i, x + w - 1);
		addch(ACS_VLINE);
	}
	ui_move(y, x + 2);
	printw(" %s ", title);
	attrset(A_NORMAL);
}

static void
view_menu_draw(struct model *m, int top, int rows, int cols)
{
	size_t i, n = action_menu_count();
	const char *label, *name, *key;
	int w = cols - 4 < 52 ? cols - 4 : 52, x = (cols - w) / 2, y = top + 1;

	view_thread.draw(m, top, rows, cols);
	if (w < 20 || rows < (int)n + 3)
		return;
	view_menu_box(y, x, (int)n + 2, w, _("Thread actions"));
	view_menu_y = y + 1 - top;
	view_menu_x = x;
	view_menu_w = w;
	for (i = 0; i < n; i++) {
		name = action_menu_item(m, i, &label);
		key = ui_draw_key_for("menu", name);
		ui_move(y + 1 + (int)i, x + 1);
		attrset((attr_t)ui_style(i == m->menu_pos.sel ? UI_SELECTED : UI_TITLE));
		printw(" %-3s", key ? key : "");
		ui_put_pad(_(label), w - 6);
		attrset(A_NORMAL);
	}
}

long
view_menu_hit(struct model *m, int y, int x)
{
	int i = y - view_menu_y;

	if (view_menu_y < 0 || i < 0 || (size_t)i >= action_menu_count() || x <= view_menu_x ||
	    x >= view_menu_x + view_menu_w - 1)
		return -1;
	return i;
}

/* One field of the dialog: a label, then the number (or the switch) in its box. */
static void
view_menu_field(struct model *m, int f, int y, int x, const char *label, const char *after)
{
	bool focus = m->rem_field == f;
	const char *s = buf_str(&m->rem[f].text);

	ui_move(y, x);
	attrset((attr_t)(focus ? (int)A_BOLD : ui_style(UI_TITLE)));
	addstr(focus ? "> " : "  ");
	ui_put_pad(label, 9);
	attrset((attr_t)ui_style(UI_FIELD));
	if (f == REM_ON)
		printw("[%s]", *s ? "x" : " ");
	else
		printw("%-4s", s);
	attrset((attr_t)ui_style(UI_TITLE));
	addch(' ');
	ui_put(after, strlen(after), 40);
	attrset(A_NORMAL);
	if (focus)
		ui_cursor_at(y, x + 11 + (f == REM_ON ? 1 : (int)strlen(s)));
}

static void
view_reminders_draw(struct model *m, int top, int rows, int cols)
{
	int w = cols - 4 < 56 ? cols - 4 : 56, x = (cols - w) / 2, y = top + 1;
	char now[160];

	view_thread.draw(m, top, rows, cols);
	if (w < 30 || rows < 9)
		return;
	view_menu_box(y, x, 8, w, _("Reminders"));
	view_menu_field(m, REM_ON, y + 1, x + 2, _("Switch"), edit_empty(&m->rem[REM_ON]) ?
	    _("off (Space switches)") : _("on (Space switches)"));
	view_menu_field(m, REM_DAYS, y + 2, x + 2, _("Every"), _("days without an answer"));
	view_menu_field(m, REM_COUNT, y + 3, x + 2, _("At most"), _("mails"));
	ui_move(y + 5, x + 4);
	attrset((attr_t)(m->rem_field == REM_SAVE ? ui_style(UI_SELECTED) : ui_style(UI_TITLE)));
	printw("[ %s ]", _("Save"));
	attrset((attr_t)ui_style(UI_TITLE));
	addstr("  ");
	attrset((attr_t)(m->rem_field == REM_CANCEL ? ui_style(UI_SELECTED) : ui_style(UI_TITLE)));
	printw("[ %s ]", _("Cancel"));
	view_thread_reminders(&m->thread, false, now, sizeof now);
	if ((int)utf8_width(now, strlen(now)) > w - 4)
		view_thread_reminders(&m->thread, true, now, sizeof now);
	ui_move(y + 6, x + 2);
	attrset((attr_t)ui_style(UI_TITLE));
	ui_put(now, strlen(now), w - 4);
	attrset(A_NORMAL);
}

/* The assign pop-up: me, nobody, then the team; a mark on whoever has the thread now. */
static void
view_assign_draw(struct model *m, int top, int rows, int cols)
{
	size_t i, n = action_assign_count(m), shown;
	int w = cols - 4 < 52 ? cols - 4 : 52, x = (cols - w) / 2, y = top + 1;
	const char *name;
	char label[256];
	int64_t id;

	view_thread.draw(m, top, rows, cols);
	shown = rows - 3 < (int)n ? (size_t)(rows > 3 ? rows - 3 : 0) : n;
	if (w < 20 || shown == 0)
		return;
	model_move(&m->assign_pos, n, 0, shown);
	view_menu_box(y, x, (int)shown + 2, w, _("Assign to"));
	for (i = m->assign_pos.top; i < n && i < m->assign_pos.top + shown; i++) {
		name = action_assign_item(m, i, &id);
		if (i == 0)
			snprintf(label, sizeof label, _("me (%s)"), name);
		else
			snprintf(label, sizeof label, "%s", name ? name : _("nobody (unassigned)"));
		ui_move(y + 1 + (int)(i - m->assign_pos.top), x + 1);
		attrset((attr_t)ui_style(i == m->assign_pos.sel ? UI_SELECTED : UI_TITLE));
		addstr(id == m->thread.assignee_id && (id != 0 || i == 1) ? " * " : "   ");
		ui_put_pad(label, w - 5);
		attrset(A_NORMAL);
	}
}

const struct view view_menu = { "menu", view_menu_draw, NULL };
const struct view view_assign = { "assign", view_assign_draw, NULL };
const struct view view_reminders = { "reminders", view_reminders_draw, NULL };
