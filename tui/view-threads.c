/*
 * view-threads.c -- the threads of one account (or the cross-account
 * Unread view): two rows per thread, the subject with its unread count and
 * time, then whose turn it is, reminders, tasks and the archived flag.
 */
#include "folio.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

/* The second row: "waiting on client since Mar 3 · reminders every 3 days: ... · tasks 1/3". */
static void
view_threads_meta(const struct thread *t, char *out, size_t outlen)
{
	char when[32], rem[160];
	size_t n = 0;

	out[0] = '\0';
	if (t->waiting_on != NULL) {
		ui_when(t->waiting_since, when, sizeof when);
		n += (size_t)snprintf(out + n, outlen - n, "waiting on %s since %s",
		    strcmp(t->waiting_on, "firm") == 0 ? "us" : t->waiting_on, when);
	}
	if (n < outlen && (t->rem_enabled || t->rem_ended_by != NULL)) {
		view_thread_reminders(t, rem, sizeof rem);
		n += (size_t)snprintf(out + n, outlen - n, "%s%s", n ? " · " : "", rem);
	}
	if (n < outlen && t->tasks_total > 0)
		n += (size_t)snprintf(out + n, outlen - n, "%stasks %d/%d", n ? " · " : "",
		    t->tasks_done, t->tasks_total);
	if (n < outlen && t->archived)
		snprintf(out + n, outlen - n, "%sarchived", n ? " · " : "");
}

static void
view_threads_row(const struct thread *t, int y, int cols, bool selected)
{
	char badge[32] = "", when[32], meta[256];
	int used;

	ui_when(t->last_message_at, when, sizeof when);
	if (t->unread > 0)
		snprintf(badge, sizeof badge, "(%lld)", (long long)t->unread);
	ui_move(y, 0);
	attrset((attr_t)(selected ? ui_cursor_style() : t->unread > 0 ? (int)A_BOLD : 0));
	addch(' ');
	used = 1 + ui_put(t->subject[0] ? t->subject : "(no subject)", strlen(t->subject[0] ?
	    t->subject : "(no subject)"), cols - 22);
	while (used < cols - 20)
		addch(' '), used++;
	if (!selected)
		attrset((attr_t)ui_style(UI_BADGE));
	printw("%7s ", badge);
	if (!selected)
		attrset((attr_t)ui_style(UI_DIM));
	printw("%11s ", when);
	view_threads_meta(t, meta, sizeof meta);
	ui_move(y + 1, 0);
	attrset((attr_t)ui_style(UI_DIM));
	addstr("   ");
	ui_put(meta, strlen(meta), cols - 4);
	attrset(A_NORMAL);
}

static void
view_threads_draw(struct model *m, int top, int rows, int cols)
{
	size_t i;
	int y = top;

	if (m->nthreads == 0) {
		ui_move(top + 1, 2);
		addstr(m->threads_loading ? "Loading threads..." : m->unread_view ?
		    "Nothing unread." : m->archived_view ? "No archived threads." :
		    "No open threads. Press n to start a chat.");
		return;
	}
	model_move(&m->thr_pos, m->nthreads, 0, (size_t)(rows / 2));
	for (i = m->thr_pos.top; i < m->nthreads && y + 1 < top + rows; i++, y += 2)
		view_threads_row(&m->threads[i], y, cols, i == m->thr_pos.sel);
}

const struct view view_threads = { "threads", view_threads_draw, NULL };
