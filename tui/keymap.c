/*
 * keymap.c -- the one table of key bindings: {mode, key, action}. The input
 * code looks keys up here, the help screen lists it, and the config file
 * ($XDG_CONFIG_HOME/folio/config, read by options.c) changes it with
 * `bind MODE KEY ACTION` and `unbind MODE KEY` lines. Actions themselves
 * live in action.c.
 */
#include "folio.h"
#include "mem.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define K(k) (KEYC_BASE + (k))
#define CTRL(c) ((c) & 0x1f)

static const struct binding keymap_defaults[] = {
	/* list screens share "global" */
	{ "global", 'j', "down" }, { "global", K(KEY_DOWN), "down" },
	{ "global", 'k', "up" }, { "global", K(KEY_UP), "up" },
	{ "global", K(KEY_NPAGE), "page-down" }, { "global", CTRL('f'), "page-down" },
	{ "global", K(KEY_PPAGE), "page-up" }, { "global", CTRL('b'), "page-up" },
	{ "global", 'g', "top" }, { "global", K(KEY_HOME), "top" },
	{ "global", 'G', "bottom" }, { "global", K(KEY_END), "bottom" },
	{ "global", 'q', "back" }, { "global", 'Q', "quit" },
	{ "global", '?', "help" }, { "global", 'n', "new-chat" },
	{ "global", CTRL('l'), "redraw" }, { "global", 'R', "refresh" },
	{ "global", 'I', "inbox" },
	{ "accounts", '\n', "open" }, { "accounts", K(KEY_RIGHT), "open" },
	{ "accounts", '/', "filter" }, { "accounts", 's', "sort" },
	{ "accounts", ' ', "mark" }, { "accounts", 'U', "unread-view" },
	{ "accounts", 27, "clear-filter" },
	{ "accounts", 'W', "waiting-view" }, { "accounts", 'V', "view-as" },
	{ "filter", '\n', "filter-accept" }, { "filter", 27, "filter-cancel" },
	{ "filter", K(KEY_BACKSPACE), "filter-backspace" }, { "filter", CTRL('w'), "filter-clear" },
	{ "filter", K(KEY_DOWN), "down" }, { "filter", K(KEY_UP), "up" },
	{ "threads", '\n', "open" }, { "threads", K(KEY_RIGHT), "open" },
	{ "threads", K(KEY_LEFT), "back" }, { "threads", 'a', "archived" },
	{ "threads", 'U', "unread-view" }, { "threads", 'W', "waiting-view" },
	{ "threads", 'f', "assigned-filter" }, { "threads", 'V', "view-as" },
	{ "thread", 'r', "reply" }, { "thread", 'i', "note" }, { "thread", 'e', "edit-reply" },
	{ "thread", 'u', "mark-unread" }, { "thread", K(KEY_LEFT), "back" },
	{ "thread", ' ', "page-down" }, { "thread", 'a', "actions" }, { "thread", 'l', "ledger" },
	{ "inbox", '\n', "open" }, { "inbox", K(KEY_RIGHT), "open" },
	{ "inbox", K(KEY_LEFT), "back" },
	{ "menu", 'j', "down" }, { "menu", K(KEY_DOWN), "down" },
	{ "menu", 'k', "up" }, { "menu", K(KEY_UP), "up" },
	{ "menu", '\n', "pick" }, { "menu", 27, "back" }, { "menu", 'q', "back" },
	{ "menu", 's', "resend" }, { "menu", 'a', "archive" }, { "menu", 'm', "reminders" },
	{ "menu", 'l', "ledger" }, { "menu", 'o', "assign" },
	{ "assign", 'j', "down" }, { "assign", K(KEY_DOWN), "down" },
	{ "assign", 'k', "up" }, { "assign", K(KEY_UP), "up" },
	{ "assign", '\n', "assign-pick" }, { "assign", 27, "back" }, { "assign", 'q', "back" },
	{ "reminders", '\t', "next-field" }, { "reminders", K(KEY_DOWN), "next-field" },
	{ "reminders", K(KEY_BTAB), "prev-field" }, { "reminders", K(KEY_UP), "prev-field" },
	{ "reminders", ' ', "toggle" }, { "reminders", '\n', "save" },
	{ "reminders", 27, "back" }, { "reminders", 'q', "back" },
	{ "reminders", K(KEY_BACKSPACE), "backspace" }, { "reminders", K(KEY_DC), "delete" },
	{ "reminders", K(KEY_LEFT), "left" }, { "reminders", K(KEY_RIGHT), "right" },
	{ "compose", '\n', "newline" }, { "compose", CTRL('d'), "send" },
	{ "compose", 27, "leave" }, { "compose", CTRL('t'), "toggle-internal" },
	{ "compose", CTRL('x'), "editor" },
	{ "compose", K(KEY_BACKSPACE), "backspace" }, { "compose", K(KEY_DC), "delete" },
	{ "compose", K(KEY_LEFT), "left" }, { "compose", K(KEY_RIGHT), "right" },
	{ "compose", K(KEY_UP), "cursor-up" }, { "compose", K(KEY_DOWN), "cursor-down" },
	{ "compose", K(KEY_HOME), "line-start" }, { "compose", CTRL('a'), "line-start" },
	{ "compose", K(KEY_END), "line-end" }, { "compose", CTRL('e'), "line-end" },
	{ "compose", CTRL('k'), "kill-line" }, { "compose", CTRL('w'), "delete-word" },
	{ "compose", K(KEY_F(1)), "help" },
	{ "newchat", '\t', "next-field" }, { "newchat", K(KEY_BTAB), "prev-field" },
	{ "newchat", '\n', "field-enter" }, { "newchat", CTRL('d'), "send" },
	{ "newchat", 27, "leave" }, { "newchat", CTRL('x'), "editor" },
	{ "newchat", K(KEY_BACKSPACE), "backspace" }, { "newchat", K(KEY_DC), "delete" },
	{ "newchat", K(KEY_LEFT), "left" }, { "newchat", K(KEY_RIGHT), "right" },
	{ "newchat", K(KEY_UP), "cursor-up" }, { "newchat", K(KEY_DOWN), "cursor-down" },
	{ "newchat", K(KEY_HOME), "line-start" }, { "newchat", CTRL('a'), "line-start" },
	{ "newchat", K(KEY_END), "line-end" }, { "newchat", CTRL('e'), "line-end" },
	{ "newchat", CTRL('k'), "kill-line" }, { "newchat", CTRL('w'), "delete-word" },
	{ "newchat", K(KEY_F(1)), "help" },
	{ "ask", 's', "ask-send" }, { "ask", 'k', "ask-keep" }, { "ask", 'd', "ask-discard" },
	{ "ask", 'e', "editor" }, { "ask", 'i', "toggle-internal" },
	{ "ask", 'c', "ask-cancel" }, { "ask", 27, "ask-cancel" },
	{ "help", 'q', "back" }, { "help", 27, "back" },
};

static struct binding *keymap_table;
static size_t keymap_n;

static void
keymap_init(void)
{
	size_t i, n = sizeof keymap_defaults / sizeof keymap_defaults[0];

	if (keymap_table != NULL)
		return;
	keymap_table = xcalloc(n, sizeof *keymap_table);
	for (i = 0; i < n; i++)
		keymap_table[i] = keymap_defaults[i];
	keymap_n = n;
}

/* Modes where the "global" list bindings apply too. */
static bool
keymap_has_global(const char *mode)
{
	return strcmp(mode, "accounts") == 0 || strcmp(mode, "threads") == 0 ||
	    strcmp(mode, "thread") == 0 || strcmp(mode, "help") == 0 || strcmp(mode, "inbox") == 0;
}

static struct binding *
keymap_find(const char *mode, int key)
{
	size_t i;

	keymap_init();
	for (i = 0; i < keymap_n; i++)
		if (keymap_table[i].key == key && strcmp(keymap_table[i].mode, mode) == 0)
			return &keymap_table[i];
	return NULL;
}

const char *
keymap_lookup(const char *mode, int key)
{
	struct binding *b = keymap_find(mode, key);

	if (b == NULL && keymap_has_global(mode))
		b = keymap_find("global", key);
	return b != NULL && b->action != NULL ? b->action : NULL;
}

const struct binding *
keymap_bindings(size_t *n)
{
	keymap_init();
	*n = keymap_n;
	return keymap_table;
}

static const struct {
	const char *name;
	int key;
} keymap_names[] = {
	{ "Enter", '\n' }, { "Esc", 27 }, { "Tab", '\t' }, { "Space", ' ' },
	{ "BTab", K(KEY_BTAB) }, { "Up", K(KEY_UP) }, { "Down", K(KEY_DOWN) },
	{ "Left", K(KEY_LEFT) }, { "Right", K(KEY_RIGHT) }, { "PgUp", K(KEY_PPAGE) },
	{ "PgDn", K(KEY_NPAGE) }, { "Home", K(KEY_HOME) }, { "End", K(KEY_END) },
	{ "Backspace", K(KEY_BACKSPACE) }, { "Delete", K(KEY_DC) }, { "F1", K(KEY_F(1)) },
	{ "F2", K(KEY_F(2)) }, { "F3", K(KEY_F(3)) }, { "F4", K(KEY_F(4)) }, { "F5", K(KEY_F(5)) },
};

const char *
keymap_key_name(int key)
{
	static char out[16];
	size_t i;

	for (i = 0; i < sizeof keymap_names / sizeof keymap_names[0]; i++)
		if (keymap_names[i].key == key)
			return keymap_names[i].name;
	if (key >= 1 && key <= 26) {
		snprintf(out, sizeof out, "C-%c", 'a' + key - 1);
	} else if (key > ' ' && key < 0x7f) {
		snprintf(out, sizeof out, "%c", key);
	} else if (key >= 0x80 && key < KEYC_BASE) {
		/* A non-ASCII character: its UTF-8. */
		char *p = out;
		if (key < 0x800) {
			*p++ = (char)(0xc0 | key >> 6);
		} else if (key < 0x10000) {
			*p++ = (char)(0xe0 | key >> 12);
			*p++ = (char)(0x80 | (key >> 6 & 0x3f));
		} else {
			*p++ = (char)(0xf0 | key >> 18);
			*p++ = (char)(0x80 | (key >> 12 & 0x3f));
			*p++ = (char)(0x80 | (key >> 6 & 0x3f));
		}
		*p++ = (char)(0x80 | (key & 0x3f));
		*p = '\0';
	} else {
		snprintf(out, sizeof out, "key-%d", key);
	}
	return out;
}

int
keymap_key_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof keymap_names / sizeof keymap_names[0]; i++)
		if (strcmp(keymap_names[i].name, name) == 0)
			return keymap_names[i].key;
	if (strncmp(name, "C-", 2) == 0 && name[2] >= 'a' && name[2] <= 'z' && name[3] == '\0')
		return name[2] - 'a' + 1;
	if (name[0] > ' ' && (unsigned char)name[0] < 0x7f && name[1] == '\0')
		return name[0];
	return -1;
}

/* Sets (action non-NULL) or removes a binding. */
static void
keymap_set(const char *mode, int key, const char *action)
{
	struct binding *b = keymap_find(mode, key);

	if (b == NULL) {
		keymap_table = xrealloc(keymap_table, (keymap_n + 1) * sizeof *keymap_table);
		b = &keymap_table[keymap_n++];
		b->mode = mode; /* one of keymap_modes */
		b->key = key;
	}
	b->action = action;
}

static const char *keymap_modes[] = { "global", "accounts", "filter", "threads", "thread",
	"compose", "newchat", "ask", "help", "inbox", "menu", "reminders", "assign", NULL };

int
keymap_apply(char **words, int n, char *err, size_t errlen)
{
	const struct action *a = NULL;
	int key, i;

	keymap_init();
	for (i = 0; n >= 2 && keymap_modes[i] && strcmp(keymap_modes[i], words[1]) != 0; i++)
		;
	if (n < 3 || keymap_modes[i] == NULL || (key = keymap_key_parse(words[2])) < 0) {
		snprintf(err, errlen, _("cannot read \"%s %s\""), words[0], n > 1 ? words[1] : "");
		return -1;
	}
	if (strcmp(words[0], "unbind") == 0 && n == 3) {
		keymap_set(keymap_modes[i], key, NULL);
		return 0;
	}
	if (strcmp(words[0], "bind") != 0 || n != 4 || (a = action_find(words[3])) == NULL) {
		snprintf(err, errlen, _("bad line: %s %s %s"), words[0], words[1], words[2]);
		return -1;
	}
	keymap_set(keymap_modes[i], key, a->name);
	return 0;
}
