/*
 * view-threads.c -- the threads of one account (or the cross-account
 * Unread view): two rows per thread, the subject with its unread count and
 * time (and a pen when a draft waits), then -- as far as it fits, whole
 * parts only -- the account (in the Unread view), whose turn it is,
 * reminders, tasks and the archived flag.
 */
#include "folio.h"
#include "utf8.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#define DRAFT_MARK "\xe2\x9c\x8e " /* ✎ */

/*
 * Whose turn it is, long ("waiting on us since Mar 3") or brief ("waiting on
 * us"); a client reads it from its side ("we answer soon").
 */
static void
view_threads_waiting(struct model *m, const struct thread *t, bool brief, char *out, size_t len)
{
	char when[64];
	bool firm = strcmp(t->waiting_on, "firm") == 0;

	ui_when(t->waiting_since, when, sizeof when);
	if (model_client_view(m) && firm)
		snprintf(out, len, "%s", _("we answer soon"));
	else if (model_client_view(m) && brief)
		snprintf(out, len, "%s", _("waiting for your reply"));
	else if (model_client_view(m))
		snprintf(out, len, _("waiting for your reply since %s"), when);
	else if (brief)
		snprintf(out, len, "%s", firm ? _("waiting on us") : _("waiting on client"));
	else
		snprintf(out, len, firm ? _("waiting on us since %s") : _("waiting on client since %s"),
		    when);
}

/* The second row: "Acme · waiting on client since Mar 3 · reminders ... · tasks 1/3". */
static void
view_threads_meta(struct model *m, const struct thread *t, int cols, char *out, size_t outlen)
{
	char waiting[128] = "", rem[192] = "", tasks[64] = "", wbrief[128] = "", rbrief[192] = "";
	char who[160] = "";
	const char *parts[6], *name;
	struct account *a = m->unread_view || m->waiting_view ?
	    model_account_find(m, t->account_id) : NULL;
	size_t i;
	int pass;

	if (t->waiting_on != NULL) {
		view_threads_waiting(m, t, false, waiting, sizeof waiting);
		view_threads_waiting(m, t, true, wbrief, sizeof wbrief);
	}
	if (m->me_staff && !m->view_as && t->assignee_id &&
	    (name = model_staff_name(m, t->assignee_id)) != NULL)
		snprintf(who, sizeof who, _("\xe2\x86\x92 %s"), name); /* → Anna */
	if (!model_client_view(m) && (t->rem_enabled || t->rem_ended_by != NULL)) {
		view_thread_reminders(t, false, rem, sizeof rem);
		view_thread_reminders(t, true, rbrief, sizeof rbrief);
	}
	if (t->tasks_total > 0)
		snprintf(tasks, sizeof tasks, _("tasks %d/%d"), t->tasks_done, t->tasks_total);
	/* Long words first; where they do not fit, the brief ones; then whole parts drop. */
	for (pass = 0; pass < 3; pass++) {
		i = 0;
		parts[i++] = a ? a->name : NULL;
		parts[i++] = pass == 0 ? waiting : wbrief;
		parts[i++] = who;
		parts[i++] = pass < 2 ? rem : rbrief;
		parts[i++] = tasks;
		parts[i++] = t->archived ? _("archived") : NULL;
		ui_join_fit(out, outlen, parts, i, cols);
		if (strstr(out, "\xe2\x80\xa6") == NULL)
			return;
	}
}

static void
view_threads_row(struct model *m, const struct thread *t, int y, int cols, bool selected,
    int right)
{
	char badge[32] = "", when[64], meta[512];
	const char *subject = t->subject[0] ? t->subject : _("(no subject)");
	int used;

	/* The waiting queue's time is since when the thread waits. */
	ui_when(m->waiting_view ? t->waiting_since : t->last_message_at, when, sizeof when);
	if (t->unread > 0)
		snprintf(badge, sizeof badge, "(%lld)", (long long)t->unread);
	ui_move(y, 0);
	attrset((attr_t)(selected ? ui_cursor_style() : t->unread > 0 ? (int)A_BOLD : 0));
	addch(' ');
	used = 1;
	if (model_has_draft(m, t->id))
		used += ui_put(DRAFT_MARK, strlen(DRAFT_MARK), cols - right - 2);
	used += ui_put(subject, strlen(subject), cols - right - used - 1);
	while (used < cols - right)
		addch(' '), used++;
	if (!selected)
		attrset((attr_t)ui_style(UI_BADGE));
	ui_put_right(badge, 7);
	addch(' ');
	if (!selected)
		attrset((attr_t)ui_style(UI_DIM));
	ui_put_right(when, right - 9);
	addch(' ');
	view_threads_meta(m, t, cols - 4, meta, sizeof meta);
	ui_move(y + 1, 0);
	attrset((attr_t)ui_style(UI_DIM));
	addstr("   ");
	ui_put(meta, strlen(meta), cols - 4);
	attrset(A_NORMAL);
}

static void
view_threads_draw(struct model *m, int top, int rows, int cols)
{
	char when[64];
	size_t i, w, tw = 0;
	int y = top, right;

	if (m->nthreads == 0) {
		ui_move(top + 1, 2);
		addstr(m->threads_loading ? _("Loading threads...") : m->waiting_view ?
		    _("Nothing waits on us.") : m->unread_view ?
		    _("Nothing unread.") : m->archived_view ? _("No archived threads.") :
		    _("No open threads. Press n to start a chat."));
		return;
	}
	model_move(&m->thr_pos, m->nthreads, 0, (size_t)(rows / 2));
	/* The badge and time columns are as wide as what they hold on this screen. */
	for (i = m->thr_pos.top; i < m->nthreads && (int)(i - m->thr_pos.top) < rows / 2; i++) {
		ui_when(m->waiting_view ? m->threads[i].waiting_since : m->threads[i].last_message_at,
		    when, sizeof when);
		if ((w = utf8_width(when, strlen(when))) > tw)
			tw = w;
	}
	right = (int)tw + 9;
	for (i = m->thr_pos.top; i < m->nthreads && y + 1 < top + rows; i++, y += 2)
		view_threads_row(m, &m->threads[i], y, cols, i == m->thr_pos.sel, right);
}

const struct view view_threads = { "threads", view_threads_draw, NULL };
