/*
 * view-help.c -- every binding of the screen the user came from (and the
 * list keys they share), generated from the keymap table the input code
 * uses, with each action's help line from the action table.
 */
#include "folio.h"
#include "mem.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

static const char *
view_help_mode(enum screen_id s, struct model *m)
{
	switch (s) {
	case SCR_ACCOUNTS: return "accounts";
	case SCR_THREADS: return "threads";
	case SCR_THREAD: return "thread";
	case SCR_COMPOSE: return "compose";
	case SCR_NEWCHAT: return "newchat";
	case SCR_INBOX: return "inbox";
	case SCR_MENU: return "menu";
	case SCR_REMINDERS: return "reminders";
	default: return "global";
	}
}

/* Adds "keys  action  help" lines for one mode into lines. */
static void
view_help_mode_lines(const char *mode, struct buf *out, size_t *count)
{
	const struct binding *b;
	const struct action *a;
	struct buf keys = BUF_INIT;
	size_t n, i, k;

	b = keymap_bindings(&n);
	for (i = 0; i < n; i++) {
		if (b[i].action == NULL || strcmp(b[i].mode, mode) != 0)
			continue;
		for (k = 0; k < i; k++) /* listed already with an earlier key */
			if (b[k].action && strcmp(b[k].mode, mode) == 0 &&
			    strcmp(b[k].action, b[i].action) == 0)
				break;
		if (k < i)
			continue;
		buf_reset(&keys);
		for (k = i; k < n; k++)
			if (b[k].action && strcmp(b[k].mode, mode) == 0 &&
			    strcmp(b[k].action, b[i].action) == 0)
				buf_printf(&keys, "%s%s", keys.len ? ", " : "", keymap_key_name(b[k].key));
		a = action_find(b[i].action);
		buf_printf(out, "  %-16s %-16s %s\n", buf_str(&keys), b[i].action, a ? a->help : "");
		(*count)++;
	}
	buf_free(&keys);
}

/* The options table: "  name = value  help". */
static void
view_help_options(struct buf *out, size_t *count)
{
	const struct setting *o;
	size_t n, i;

	o = options_table(&n);
	buf_printf(out, "\nOptions (name = value in ~/.config/folio/config):\n");
	for (i = 0; i < n; i++, (*count)++)
		buf_printf(out, "  %-16s %-16s %s\n", o[i].name, options_get(o[i].name), o[i].help);
}

static void
view_help_draw(struct model *m, int top, int rows, int cols)
{
	const char *mode = view_help_mode(m->help_from, m), *s, *nl;
	struct buf text = BUF_INIT;
	size_t count = 0;
	int64_t line = 0;
	int y = top;

	buf_printf(&text, "Keys on this screen (%s):\n", mode);
	view_help_mode_lines(mode, &text, &count);
	if (m->help_from == SCR_MENU || m->help_from == SCR_REMINDERS) {
		/* a dialog has its own keys only */
	} else if (m->help_from == SCR_COMPOSE || m->help_from == SCR_NEWCHAT) {
		buf_printf(&text, "\nWhen leaving with unsent text:\n");
		view_help_mode_lines("ask", &text, &count);
	} else {
		if (m->help_from == SCR_ACCOUNTS) {
			buf_printf(&text, "\nWhile filtering:\n");
			view_help_mode_lines("filter", &text, &count);
		}
		buf_printf(&text, "\nOn every list:\n");
		view_help_mode_lines("global", &text, &count);
	}
	view_help_options(&text, &count);
	buf_printf(&text, "\nChange keys in ~/.config/folio/config: bind MODE KEY ACTION\n");
	if (m->help_scroll > (int64_t)count)
		m->help_scroll = (int64_t)count;
	for (s = buf_str(&text); *s && y < top + rows; s = nl + 1) {
		nl = strchr(s, '\n');
		if (line++ >= m->help_scroll) {
			ui_move(y++, 0);
			if (s[0] != ' ')
				attrset(A_BOLD);
			ui_put(s, (size_t)(nl - s), cols);
			attrset(A_NORMAL);
		}
	}
	buf_free(&text);
}

const struct view view_help = { "help", view_help_draw, NULL };
