/*
 * view-help.c -- every binding of the screen the user came from (and the
 * list keys they share), generated from the keymap table the input code
 * uses, with each action's help line from the action table, then the
 * options. Long lines wrap under their help column; when there is more
 * than fits, the last row says so and which keys scroll.
 */
#include "folio.h"
#include "mem.h"
#include "utf8.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#define HELP_INDENT 36 /* "  keys(16) action(16) " */

static const char *
view_help_mode(enum screen_id s)
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
	case SCR_ASSIGN: return "assign";
	default: return "global";
	}
}

/*
 * Adds one line, wrapped at cols: continuation lines start under the help
 * column (or two columns in, when the screen is narrow).
 */
static void
view_help_add(struct buf *out, const char *line, size_t cols)
{
	size_t len = strlen(line), indent = 0, fit, cut;
	const char *s = line;

	if (cols < 20)
		cols = 20;
	for (;;) {
		if (indent + utf8_width(s, len) <= cols) {
			buf_printf(out, "%*s%s\n", (int)indent, "", s);
			return;
		}
		fit = utf8_fit(s, len, cols - indent);
		for (cut = fit; cut > 0 && s[cut] != ' '; cut--)
			;
		if (cut == 0)
			cut = fit;
		buf_printf(out, "%*s%.*s\n", (int)indent, "", (int)cut, s);
		s += cut;
		len -= cut;
		while (*s == ' ')
			s++, len--;
		indent = cols >= 2 * HELP_INDENT ? HELP_INDENT : 2;
	}
}

/* Adds "keys  action  help" lines for one mode. */
static void
view_help_mode_lines(const char *mode, struct buf *out, size_t cols)
{
	const struct binding *b;
	const struct action *a;
	struct buf keys = BUF_INIT;
	size_t n, i, k;
	char *line;

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
		line = xasprintf("  %-16s %-16s %s", buf_str(&keys), b[i].action, a ? _(a->help) : "");
		view_help_add(out, line, cols);
		free(line);
	}
	buf_free(&keys);
}

/* The options table: "  name = value  help". */
static void
view_help_options(struct buf *out, size_t cols)
{
	const struct setting *o;
	size_t n, i;
	char *line;

	o = options_table(&n);
	buf_printf(out, "\n%s\n", _("Options (name = value in ~/.config/folio/config):"));
	for (i = 0; i < n; i++) {
		line = xasprintf("  %-16s %-16s %s", o[i].name, options_get(o[i].name), _(o[i].help));
		view_help_add(out, line, cols);
		free(line);
	}
}

/* Appends a heading line (not indented: drawn bold). */
static void
view_help_heading(struct buf *out, const char *text)
{
	buf_printf(out, "\n%s\n", text);
}

size_t
view_help_text(struct model *m, size_t cols, struct buf *text)
{
	const char *mode = view_help_mode(m->help_from), *s;
	size_t lines = 0;

	buf_printf(text, _("Keys on this screen (%s):"), mode);
	buf_putc(text, '\n');
	view_help_mode_lines(mode, text, cols);
	if (m->help_from == SCR_MENU || m->help_from == SCR_REMINDERS ||
	    m->help_from == SCR_ASSIGN) {
		/* a dialog has its own keys only */
	} else if (m->help_from == SCR_COMPOSE || m->help_from == SCR_NEWCHAT) {
		view_help_heading(text, _("When leaving with unsent text:"));
		view_help_mode_lines("ask", text, cols);
	} else {
		if (m->help_from == SCR_ACCOUNTS) {
			view_help_heading(text, _("While filtering:"));
			view_help_mode_lines("filter", text, cols);
		}
		view_help_heading(text, _("On every list:"));
		view_help_mode_lines("global", text, cols);
	}
	view_help_options(text, cols);
	buf_putc(text, '\n');
	view_help_add(text, _("Change keys in ~/.config/folio/config: bind MODE KEY ACTION"), cols);
	for (s = buf_str(text); *s; s++)
		lines += *s == '\n';
	return lines;
}

static void
view_help_draw(struct model *m, int top, int rows, int cols)
{
	struct buf text = BUF_INIT;
	const char *s, *nl;
	int64_t line = 0, first, max;
	size_t total = view_help_text(m, (size_t)cols, &text);
	int y = top, room = rows;
	char more[160];

	max = (int64_t)total - rows;
	if (max > 0)
		room = rows - 1; /* the last row says there is more */
	max = (int64_t)total - room;
	first = m->help_scroll < 0 ? 0 : m->help_scroll > max ? (max > 0 ? max : 0) : m->help_scroll;
	for (s = buf_str(&text); *s && y < top + room; s = nl + 1) {
		nl = strchr(s, '\n');
		if (line++ >= first) {
			ui_move(y++, 0);
			if (s[0] != ' ')
				attrset(A_BOLD);
			ui_put(s, (size_t)(nl - s), cols);
			attrset(A_NORMAL);
		}
	}
	if (room < rows) {
		if (first + room < (int64_t)total)
			snprintf(more, sizeof more, _("-- %lld more lines: j, PgDn, G scroll down --"),
			    (long long)((int64_t)total - first - room));
		else
			snprintf(more, sizeof more, "%s", _("-- end: k, PgUp, g scroll up --"));
		ui_move(top + rows - 1, 0);
		attrset((attr_t)ui_style(UI_DIM));
		ui_put(more, strlen(more), cols);
		attrset(A_NORMAL);
	}
	buf_free(&text);
}

const struct view view_help = { "help", view_help_draw, NULL };
