/*
 * view-accounts.c -- the accounts screen: a filter line while `/` is
 * active, then one row per account with its unread badge and the time of
 * its latest activity. The badge and time columns are as wide as what
 * they hold, so names get the rest. Reads the model; changes nothing but
 * the cursor.
 */
#include "folio.h"
#include "utf8.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

const char *
view_accounts_mode(struct model *m)
{
	return m->filtering ? "filter" : "accounts";
}

static void
view_accounts_row(struct account *a, int y, int cols, bool selected, int bw, int tw)
{
	char badge[32] = "", when[64];
	int right = bw + tw + 2, used;

	ui_when(a->last_activity, when, sizeof when);
	if (a->unread > 0)
		snprintf(badge, sizeof badge, "(%lld)", (long long)a->unread);
	ui_move(y, 0);
	attrset((attr_t)(selected ? ui_cursor_style() : 0));
	ui_put_pad(a->marked ? "*" : " ", 1);
	if (a->unread > 0 && !selected)
		attron(A_BOLD);
	used = 1 + ui_put(a->name, strlen(a->name), cols - right - 2);
	while (used < cols - right)
		addch(' '), used++;
	if (!selected)
		attrset((attr_t)(a->unread > 0 ? ui_style(UI_BADGE) : 0));
	ui_put_right(badge, bw);
	addch(' ');
	if (!selected)
		attrset((attr_t)ui_style(UI_DIM));
	ui_put_right(when, tw);
	addch(' ');
	attrset(A_NORMAL);
}

static void
view_accounts_draw(struct model *m, int top, int rows, int cols)
{
	const char *f = buf_str(&m->filter), *label = _("Filter: ");
	char s[64];
	size_t i, w;
	int y = top, lw = (int)utf8_width(label, strlen(label)), bw = 1, tw = 1, n;

	if (m->filtering || *f) {
		ui_move(y, 0);
		attrset((attr_t)ui_style(UI_DIM));
		addstr(label);
		attrset(A_NORMAL);
		ui_put(f, strlen(f), cols - lw - 1);
		if (m->filtering)
			ui_cursor_at(y, lw + (int)utf8_width(f, strlen(f)));
		y++, rows--;
	}
	if (m->naccounts == 0 || m->nshown == 0) {
		ui_move(y + 1, 2);
		addstr(m->accounts_loading ? _("Loading accounts...") : m->naccounts == 0 ?
		    _("No accounts yet.") : _("No account matches the filter."));
		return;
	}
	model_move(&m->acc_pos, m->nshown, 0, (size_t)rows);
	for (i = m->acc_pos.top; i < m->nshown && (int)(i - m->acc_pos.top) < rows; i++) {
		struct account *a = &m->accounts[m->shown[i]];
		ui_when(a->last_activity, s, sizeof s);
		if ((w = utf8_width(s, strlen(s))) > (size_t)tw)
			tw = (int)w;
		if (a->unread > 0 && (n = snprintf(s, sizeof s, "(%lld)", (long long)a->unread)) > bw)
			bw = n;
	}
	for (i = m->acc_pos.top; i < m->nshown && y < top + rows + (m->filtering || *f); i++, y++)
		view_accounts_row(&m->accounts[m->shown[i]], y, cols, i == m->acc_pos.sel, bw, tw);
}

const struct view view_accounts = { "accounts", view_accounts_draw, view_accounts_mode };
