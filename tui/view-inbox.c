/*
 * view-inbox.c -- Inbox+ (staff) or the pending items (contacts): one item
 * per thread, most recently bumped first, two rows each: the subject with
 * the time, then the account and what happened. Unread items are bold with
 * a dot. Enter (action_inbox_pick) opens the thread.
 */
#include "folio.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

/* What happened, after the actor's name. */
static const char *
view_inbox_what(const char *type)
{
	static const struct {
		const char *type, *what;
	} words[] = {
		{ "message", N_("wrote") }, { "thread", N_("started a chat") },
		{ "document", N_("uploaded a document") }, { "task", N_("changed a task") },
		{ "mention", N_("mentioned you") }, { "assignment", N_("assigned you") },
		{ "reminder", N_("reminder sent") },
	};
	size_t i;

	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(words[i].type, type) == 0)
			return _(words[i].what);
	return type;
}

static void
view_inbox_row(const struct notification *n, int y, int cols, bool selected)
{
	char when[32], line[512];
	const char *subject = n->subject && *n->subject ? n->subject : _("(no subject)");
	int used;

	ui_when(n->bumped_at, when, sizeof when);
	ui_move(y, 0);
	attrset((attr_t)(selected ? ui_cursor_style() : !n->read ? (int)A_BOLD : 0));
	addstr(n->read ? "  " : "\xe2\x97\x8f "); /* a dot marks what is new */
	used = 2 + ui_put(subject, strlen(subject), cols - 16);
	while (used < cols - 13)
		addch(' '), used++;
	if (!selected)
		attrset((attr_t)ui_style(UI_DIM));
	printw("%12s ", when);
	snprintf(line, sizeof line, "%s \xc2\xb7 %s%s%s", n->account_name ? n->account_name : "?",
	    n->actor_name ? n->actor_name : "", n->actor_name ? " " : "", view_inbox_what(n->type));
	ui_move(y + 1, 0);
	attrset((attr_t)ui_style(UI_DIM));
	addstr("   ");
	ui_put(line, strlen(line), cols - 4);
	attrset(A_NORMAL);
}

static void
view_inbox_draw(struct model *m, int top, int rows, int cols)
{
	size_t i;
	int y = top;

	if (m->nnotes == 0) {
		ui_move(top + 1, 2);
		addstr(m->notes_loading ? _("Loading Inbox+...") : _("Nothing in Inbox+."));
		return;
	}
	model_move(&m->note_pos, m->nnotes, 0, (size_t)(rows / 2));
	for (i = m->note_pos.top; i < m->nnotes && y + 1 < top + rows; i++, y += 2)
		view_inbox_row(&m->notes[i], y, cols, i == m->note_pos.sel);
}

const struct view view_inbox = { "inbox", view_inbox_draw, NULL };
