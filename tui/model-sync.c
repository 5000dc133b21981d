/*
 * model-sync.c -- the part of the model that answers and the event stream
 * change: who I am, the templates, sends coming back, the stream's state,
 * requests that failed. Where an answer calls for another request (the
 * team, the read marker, a fetch again), the model asks for it with a
 * WANT_* flag and action_follow() makes it after the answer is applied, so
 * result handlers never call back into actions. Like model.c it knows
 * neither curses nor the network.
 */
#include "folio.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void
model_want(struct model *m, int wants)
{
	m->wants |= wants;
}

void
model_want_account(struct model *m, int64_t id)
{
	m->wants |= WANT_ACCOUNT;
	m->want_account = id;
}

int
model_wants_take(struct model *m, int64_t *account)
{
	int w = m->wants;

	*account = m->want_account;
	m->wants = 0;
	m->want_account = 0;
	return w;
}

void
model_me_set(struct model *m, int64_t id, const char *name, const char *firm, bool staff)
{
	if (id > 0)
		m->me_id = id;
	if (name != NULL) {
		free(m->me_name);
		m->me_name = xstrdup(name);
	}
	if (firm != NULL) {
		free(m->firm_name);
		m->firm_name = xstrdup(firm);
	}
	m->me_staff = staff;
	if (staff && m->nstaff == 0)
		m->wants |= WANT_STAFF;
	m->dirty |= DIRTY_ALL;
}

void
model_session_ended(struct model *m, int64_t now_ms)
{
	m->session_dead = true;
	model_set_status(m, now_ms, "%s", _("the session has ended: quit and run folio login"));
}

void
model_templates_set(struct model *m, struct template_ref *v, size_t n)
{
	size_t i;

	for (i = 0; i < m->ntemplates; i++)
		template_clear(&m->templates[i]);
	free(m->templates);
	m->templates = v;
	m->ntemplates = n;
	/* A draft's form names its template; its reminders are the draft's own (form_template -1). */
	for (i = 0; m->form_template < 0 && i < m->ntemplates; i++)
		if (strcasecmp(m->templates[i].name, buf_str(&m->form[FORM_TEMPLATE].text)) == 0)
			m->form_template = m->templates[i].id;
	m->wants |= WANT_FORM_FILL;
	m->dirty |= DIRTY_BODY;
}

void
model_form_contact_set(struct model *m, int64_t account_id, const char *name)
{
	free(m->form_contact);
	m->form_contact = xstrdup(name ? name : "");
	m->form_contact_account = account_id;
	m->wants |= WANT_FORM_FILL;
}

void
model_send_answered(struct model *m, size_t queued, int64_t retry_at)
{
	m->inflight--;
	m->queued = queued;
	if (retry_at)
		m->outbox_retry_at = retry_at;
}

void
model_echo_queued(struct model *m, const char *cmid)
{
	size_t i;

	for (i = 0; cmid != NULL && i < m->nmsgs; i++)
		if (m->msgs[i].id <= 0 && m->msgs[i].client_msg_id &&
		    strcmp(m->msgs[i].client_msg_id, cmid) == 0)
			m->msgs[i].state = MSG_QUEUED;
	m->dirty |= DIRTY_BODY;
}

void
model_threads_show(struct model *m, int64_t account_id)
{
	m->account_id = account_id;
	m->unread_view = m->archived_view = m->waiting_view = false;
}

void
model_chat_created(struct model *m, const struct thread *t)
{
	enum screen_id s = model_screen(m);

	/* Only from the lists: a chat created while reading elsewhere does not pull the user away. */
	if (s != SCR_ACCOUNTS && s != SCR_THREADS)
		return;
	if (s == SCR_ACCOUNTS || m->account_id != t->account_id) {
		model_threads_show(m, t->account_id);
		if (s == SCR_ACCOUNTS)
			model_push(m, SCR_THREADS);
	}
	model_thread_open(m, t);
	model_push(m, SCR_THREAD);
	m->wants |= WANT_THREADS | WANT_MESSAGES;
}

void
model_event_seen(struct model *m, bool note, bool replayed, int64_t now_ms)
{
	if (note && model_screen(m) != SCR_INBOX)
		m->dirty |= DIRTY_ALL; /* the title counts unread items */
	if (replayed) {
		m->replayed++;
		model_set_status(m, now_ms, _("resumed: %lld events replayed"), (long long)m->replayed);
	}
}

void
model_stream_set(struct model *m, int state, bool polling, bool resumed, int64_t now_ms)
{
	m->stream = state;
	m->polling = polling;
	m->dirty |= DIRTY_STATUS;
	if (state == STREAM_UP) {
		m->replayed = 0;
		/* Without a resume point, anything between our fetch and now is only on the server. */
		if (!resumed)
			m->wants |= WANT_REFRESH |
			    (!m->accounts_loading && !m->accounts_paging ? WANT_ACCOUNTS : 0);
		m->wants |= WANT_OUTBOX;
	} else if (state == STREAM_RESYNC) {
		m->wants |= WANT_REFRESH | WANT_ACCOUNTS;
		model_set_status(m, now_ms, "%s", _("events were lost: everything fetched again"));
	} else if (state == STREAM_UNAUTHORIZED) {
		model_session_ended(m, now_ms);
	}
}

void
model_refreshed(struct model *m, int64_t now_ms)
{
	m->refreshing = false;
	model_set_status(m, now_ms, "%s", _("up to date"));
}

void
model_load_failed(struct model *m, enum job_kind kind, int64_t gen)
{
	if (kind == JOB_ACCOUNTS && gen == m->accounts_gen)
		m->accounts_loading = m->accounts_paging = m->staging = false;
	if (kind == JOB_THREADS)
		m->threads_loading = false;
	if (kind == JOB_MESSAGES)
		m->msgs_loading = false;
	if (kind == JOB_OLDER)
		m->loading_older = false;
	if (kind == JOB_INBOX)
		m->notes_loading = false;
	m->dirty |= DIRTY_ALL;
}
