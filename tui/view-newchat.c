/*
 * view-newchat.c -- the new chat form: labelled fields (To, Template,
 * Subject, Message, Reminders, Client tasks), then the Create chat and
 * Back buttons. The focused field shows its cursor; To and Template list
 * what Tab would complete to. Reminders is one row: a switch, then the
 * days and the count, with their defaults (or the template's) filled in.
 */
#include "folio.h"
#include "utf8.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LABEL_COLS 15

static const char *view_newchat_labels[FORM_FIELDS] = {
	[FORM_TO] = N_("To"), [FORM_TEMPLATE] = N_("Template"), [FORM_SUBJECT] = N_("Subject"),
	[FORM_BODY] = N_("Message"), [FORM_REMIND] = N_("Reminders"),
	[FORM_TASKS] = N_("Client tasks"),
};

static const char *
view_newchat_mode(struct model *m)
{
	return m->asking ? "ask" : "newchat";
}

/* Names that Tab would offer for the To or Template field, on one line. */
static void
view_newchat_choices(struct model *m, int field, char *out, size_t outlen)
{
	const char *typed = buf_str(&m->form[field].text);
	size_t i, n = 0, count = 0, total = field == FORM_TO ? m->naccounts : m->ntemplates;
	const char *name;

	out[0] = '\0';
	for (i = 0; i < total && count < 6 && n + 1 < outlen; i++) {
		name = field == FORM_TO ? m->accounts[i].name : m->templates[i].name;
		if (*typed && strcasestr(name, typed) == NULL)
			continue;
		n += (size_t)snprintf(out + n, outlen - n, "%s%s", count++ ? ", " : "", name);
	}
	if (field == FORM_TEMPLATE && total == 0)
		snprintf(out, outlen, "%s", _("(no templates)"));
	else if (field >= FORM_REMIND && field <= FORM_REMIND_COUNT)
		snprintf(out, outlen, _("Space switches; days 1-365, mails 1-100 (default %d and %d)"),
		    REMIND_DAYS_DEFAULT, REMIND_COUNT_DEFAULT);
}

/* A single-line field right of its label; the text scrolls to keep the cursor in view. */
static void
view_newchat_line(struct edit *e, int y, int width, bool focus)
{
	const char *s = buf_str(&e->text);
	size_t skip = 0, col = utf8_width(s, e->cur);

	if (width < 4)
		width = 4;
	uint32_t cp;
	int n;

	while (col >= (size_t)width - 1 && skip < e->cur) {
		n = utf8_decode(s + skip, e->text.len - skip, &cp);
		skip += n > 0 ? (size_t)n : 1;
		col = utf8_width(s + skip, e->cur - skip);
	}
	ui_move(y, LABEL_COLS);
	attrset((attr_t)ui_style(UI_FIELD));
	ui_put_pad(s + skip, width);
	attrset(A_NORMAL);
	if (focus)
		ui_cursor_at(y, LABEL_COLS + (int)col);
}

/* One part of the reminders row: "[3  ]" at x, with the cursor when focused. */
static int
view_newchat_number(struct model *m, int f, int y, int x)
{
	const char *s = buf_str(&m->form[f].text);
	bool focus = m->form_field == f && !m->asking;

	ui_move(y, x);
	attrset((attr_t)(ui_style(UI_FIELD) |
	    (edit_empty(&m->form[FORM_REMIND]) ? ui_style(UI_DIM) : 0)));
	printw("%-3s", s);
	attrset(A_NORMAL);
	if (focus)
		ui_cursor_at(y, x + (int)strlen(s));
	return x + 3;
}

/* Draws before, then s padded to at least pad columns; returns the columns used. */
static int
view_newchat_words(const char *before, const char *s, int pad)
{
	int w = (int)utf8_width(s, strlen(s));

	addstr(before);
	ui_put_pad(s, w > pad ? w : pad);
	return (int)strlen(before) + (w > pad ? w : pad);
}

/* "[x] on   every [3  ] days, at most [1  ] mails" */
static void
view_newchat_remind(struct model *m, int y)
{
	bool on = !edit_empty(&m->form[FORM_REMIND]);
	int x = LABEL_COLS;

	ui_move(y, x);
	attrset((attr_t)ui_style(UI_FIELD));
	printw("[%s]", on ? "x" : " ");
	attrset(A_NORMAL);
	if (m->form_field == FORM_REMIND && !m->asking)
		ui_cursor_at(y, x + 1);
	x += 3 + view_newchat_words(" ", on ? _("on") : _("off"), 4);
	x += view_newchat_words(" ", _("every"), 0);
	x += view_newchat_words(" ", "", 0);
	x = view_newchat_number(m, FORM_REMIND_DAYS, y, x);
	ui_move(y, x);
	x += view_newchat_words(" ", _("days, at most"), 0);
	x += view_newchat_words(" ", "", 0);
	x = view_newchat_number(m, FORM_REMIND_COUNT, y, x);
	ui_move(y, x);
	view_newchat_words(" ", _("mails"), 0);
}

static int
view_newchat_field(struct model *m, int f, int y, int rows, int cols)
{
	bool focus = (m->form_field == f || (f == FORM_REMIND && m->form_field > FORM_REMIND &&
	    m->form_field <= FORM_REMIND_COUNT)) && !m->asking;
	char hint[512];
	int h = f == FORM_BODY ? rows : f == FORM_TASKS ? 3 : 1;

	ui_move(y, 0);
	attrset((attr_t)(focus ? (int)A_BOLD : ui_style(UI_DIM)));
	addstr(focus ? "> " : "  ");
	ui_put_pad(_(view_newchat_labels[f]), LABEL_COLS - 2);
	attrset(A_NORMAL);
	if (f == FORM_REMIND) {
		view_newchat_remind(m, y);
	} else if (h == 1) {
		view_newchat_line(&m->form[f], y, cols - LABEL_COLS - 1, focus);
	} else {
		/* Multi-line fields start on their own row below the label, full width. */
		view_compose_draw_editor(&m->form[f], y + 1, h, cols, focus);
		h++;
	}
	if (focus && (f == FORM_TO || f == FORM_TEMPLATE || f == FORM_REMIND)) {
		view_newchat_choices(m, f, hint, sizeof hint);
		ui_move(y + 1, LABEL_COLS);
		attrset((attr_t)ui_style(UI_DIM));
		ui_put(hint, strlen(hint), cols - LABEL_COLS);
		attrset(A_NORMAL);
		h++;
	}
	return h;
}

static void
view_newchat_draw(struct model *m, int top, int rows, int cols)
{
	int y = top, f, body_rows = rows - 12, used;
	char button[64];
	const char *ask;

	if (body_rows < 2)
		body_rows = 2;
	for (f = 0; f < FORM_CREATE && y < top + rows; f++)
		if (f != FORM_REMIND_DAYS && f != FORM_REMIND_COUNT && /* on the Reminders row */
		    (m->me_staff || (f != FORM_TEMPLATE && f != FORM_REMIND))) /* the firm's */
			y += view_newchat_field(m, f, y, body_rows, cols);
	if (y >= top + rows)
		y = top + rows - 1;
	ui_move(y, LABEL_COLS);
	attrset((attr_t)(m->form_field == FORM_CREATE ? ui_style(UI_SELECTED) : (int)A_BOLD));
	snprintf(button, sizeof button, "[ %s ]", _("Create chat"));
	used = ui_put(button, strlen(button), cols - LABEL_COLS);
	attrset(A_NORMAL);
	addstr("  ");
	attrset((attr_t)(m->form_field == FORM_BACK ? ui_style(UI_SELECTED) : (int)A_BOLD));
	snprintf(button, sizeof button, "[ %s ]", _("Back"));
	used += 2 + ui_put(button, strlen(button), cols - LABEL_COLS - used - 2);
	attrset(A_NORMAL);
	if (m->asking) {
		attrset((attr_t)ui_style(UI_ERROR));
		addch(' ');
		ask = _(" Unsent: s create, k keep, d discard, c go on");
		ui_put(ask, strlen(ask), cols - LABEL_COLS - used - 1);
		attrset(A_NORMAL);
	}
}

const struct view view_newchat = { "newchat", view_newchat_draw, view_newchat_mode };
