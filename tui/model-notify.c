/*
 * model-notify.c -- the part of the model that tells staff what needs them:
 * the Inbox+ items (one per thread, most recently bumped first, kept live by
 * notification.created events) and the open thread's reminder ledger. Like
 * model.c it knows neither curses nor the network.
 */
#include "folio.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

void
model_notes_set(struct model *m, struct notification *v, size_t n)
{
	int64_t sel_id = 0;
	size_t i;

	if (m->note_pos.sel < m->nnotes)
		sel_id = m->notes[m->note_pos.sel].id;
	for (i = 0; i < m->nnotes; i++)
		notification_clear(&m->notes[i]);
	free(m->notes);
	m->notes = v;
	m->nnotes = n;
	m->notes_loading = false;
	m->note_pos.sel = 0;
	for (i = 0; sel_id && i < n; i++)
		if (v[i].id == sel_id)
			m->note_pos.sel = i;
	if (m->note_pos.top > m->note_pos.sel)
		m->note_pos.top = m->note_pos.sel;
	m->dirty |= DIRTY_ALL;
}

void
model_note_upsert(struct model *m, const struct notification *n)
{
	int64_t sel_id = m->note_pos.sel < m->nnotes ? m->notes[m->note_pos.sel].id : 0;
	size_t i, k;

	/* One item per thread: the bumped one replaces whatever the thread had. */
	for (i = 0; i < m->nnotes; i++)
		if (m->notes[i].id == n->id || m->notes[i].thread_id == n->thread_id)
			break;
	if (i < m->nnotes) {
		notification_clear(&m->notes[i]);
	} else {
		m->notes = xrealloc(m->notes, (m->nnotes + 1) * sizeof *m->notes);
		m->nnotes++;
	}
	memmove(m->notes + 1, m->notes, i * sizeof *m->notes);
	notification_copy(&m->notes[0], n);
	/* The cursor stays on the item it was on. */
	for (k = 0; sel_id && k < m->nnotes; k++)
		if (m->notes[k].id == sel_id)
			m->note_pos.sel = k;
	m->dirty |= DIRTY_ALL;
}

bool
model_note_read(struct model *m, int64_t id)
{
	size_t i;

	for (i = 0; i < m->nnotes; i++) {
		if (m->notes[i].id == id) {
			m->notes[i].read = true;
			m->dirty |= DIRTY_ALL;
			return true;
		}
	}
	return false;
}

void
model_notes_thread_read(struct model *m, int64_t thread_id)
{
	size_t i;

	for (i = 0; i < m->nnotes; i++)
		if (m->notes[i].thread_id == thread_id && !m->notes[i].read)
			m->notes[i].read = true, m->dirty |= DIRTY_ALL;
}

size_t
model_notes_unread(const struct model *m)
{
	size_t i, n = 0;

	for (i = 0; i < m->nnotes; i++)
		n += !m->notes[i].read;
	return n;
}

struct notification *
model_note_selected(struct model *m)
{
	return m->note_pos.sel < m->nnotes ? &m->notes[m->note_pos.sel] : NULL;
}

void
model_ledger_set(struct model *m, struct ledger *l)
{
	if (l->thread_id != m->thread.id) {
		ledger_clear(l);
		return;
	}
	ledger_clear(&m->ledger);
	m->ledger = *l;
	memset(l, 0, sizeof *l);
	m->dirty |= DIRTY_BODY;
}

bool
model_ledger_pending(const struct model *m)
{
	size_t i;

	if (!m->show_ledger || m->ledger.thread_id == 0 || m->ledger.thread_id != m->thread.id)
		return false;
	for (i = 0; i < m->ledger.n; i++)
		if (m->ledger.items[i].state && strcmp(m->ledger.items[i].state, "pending") == 0)
			return true;
	return false;
}
