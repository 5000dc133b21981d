/*
 * model.c -- all client state: the screen stack, accounts with their filter,
 * the threads of one account, the open thread's messages, the compose box
 * and the new chat form, the connection state. It changes only through the
 * functions here and marks what must be redrawn in m->dirty. It includes
 * neither curses nor libwebsockets, so the unit tests drive it directly.
 */
#include "folio.h"
#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void
model_init(struct model *m)
{
	int i;

	memset(m, 0, sizeof *m);
	m->stack[0] = SCR_ACCOUNTS;
	m->depth = 1;
	m->dirty = DIRTY_ALL;
	m->accounts_loading = true;
	edit_init(&m->compose);
	for (i = 0; i < FORM_FIELDS; i++)
		edit_init(&m->form[i]);
}

static void
model_clear_messages(struct model *m)
{
	size_t i;

	for (i = 0; i < m->nmsgs; i++)
		message_clear(&m->msgs[i]);
	free(m->msgs);
	m->msgs = NULL;
	m->nmsgs = 0;
}

static void
model_clear_threads(struct model *m)
{
	size_t i;

	for (i = 0; i < m->nthreads; i++)
		thread_clear(&m->threads[i]);
	free(m->threads);
	m->threads = NULL;
	m->nthreads = 0;
}

void
model_free(struct model *m)
{
	size_t i;
	int f;

	for (i = 0; i < m->naccounts; i++)
		account_clear(&m->accounts[i]);
	free(m->accounts);
	free(m->shown);
	buf_free(&m->filter);
	model_clear_threads(m);
	model_clear_messages(m);
	thread_clear(&m->thread);
	edit_free(&m->compose);
	for (f = 0; f < FORM_FIELDS; f++)
		edit_free(&m->form[f]);
	for (i = 0; i < m->ntemplates; i++)
		template_clear(&m->templates[i]);
	free(m->templates);
	free(m->me_name);
	memset(m, 0, sizeof *m);
}

enum screen_id
model_screen(const struct model *m)
{
	return m->stack[m->depth - 1];
}

void
model_push(struct model *m, enum screen_id s)
{
	if (m->depth == (int)(sizeof m->stack / sizeof m->stack[0]))
		abort(); /* screens nest at most a few deep; deeper is a bug */
	if (s == SCR_HELP)
		m->help_from = model_screen(m);
	m->stack[m->depth++] = s;
	m->dirty |= DIRTY_ALL;
}

bool
model_pop(struct model *m)
{
	if (m->depth <= 1)
		return false;
	m->depth--;
	m->dirty |= DIRTY_ALL;
	return true;
}

void
model_set_status(struct model *m, int64_t now_ms, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->status, sizeof m->status, fmt, ap);
	va_end(ap);
	m->status_ms = now_ms;
	m->dirty |= DIRTY_STATUS;
}

void
model_move(struct listpos *p, size_t n, long delta, size_t rows)
{
	long sel = (long)p->sel + delta;

	if (n == 0) {
		p->sel = p->top = 0;
		return;
	}
	if (sel < 0)
		sel = 0;
	if (sel >= (long)n)
		sel = (long)n - 1;
	p->sel = (size_t)sel;
	if (rows == 0)
		rows = 1;
	if (p->sel < p->top)
		p->top = p->sel;
	if (p->sel >= p->top + rows)
		p->top = p->sel - rows + 1;
	if (p->top + rows > n)
		p->top = n > rows ? n - rows : 0;
}

/* Case-insensitive substring match (ASCII folding; other bytes must match). */
static bool
model_matches(const char *name, const char *needle)
{
	size_t nl = strlen(needle), i;

	if (nl == 0)
		return true;
	for (i = 0; name[i]; i++)
		if (strncasecmp(name + i, needle, nl) == 0)
			return true;
	return false;
}

static struct model *model_sorting;

/* Latest activity first (accounts without any last), then by name. */
static int
model_account_cmp(const void *a, const void *b)
{
	const struct account *x = &model_sorting->accounts[*(const size_t *)a];
	const struct account *y = &model_sorting->accounts[*(const size_t *)b];
	int c;

	if (!model_sorting->sort_by_name) {
		if (x->last_activity && !y->last_activity)
			return -1;
		if (!x->last_activity && y->last_activity)
			return 1;
		if (x->last_activity && (c = strcmp(y->last_activity, x->last_activity)) != 0)
			return c;
	}
	c = strcasecmp(x->name, y->name);
	return c ? c : (x->id < y->id ? -1 : x->id > y->id);
}

void
model_accounts_refilter(struct model *m)
{
	int64_t sel_id = 0;
	size_t i;

	if (m->nshown > 0 && m->acc_pos.sel < m->nshown)
		sel_id = m->accounts[m->shown[m->acc_pos.sel]].id;
	m->shown = xrealloc(m->shown, (m->naccounts ? m->naccounts : 1) * sizeof *m->shown);
	m->nshown = 0;
	for (i = 0; i < m->naccounts; i++)
		if (model_matches(m->accounts[i].name, buf_str(&m->filter)))
			m->shown[m->nshown++] = i;
	model_sorting = m;
	qsort(m->shown, m->nshown, sizeof *m->shown, model_account_cmp);
	model_sorting = NULL;
	/* Keep the cursor on the same account when it is still shown. */
	m->acc_pos.sel = 0;
	for (i = 0; sel_id && i < m->nshown; i++)
		if (m->accounts[m->shown[i]].id == sel_id)
			m->acc_pos.sel = i;
	if (m->acc_pos.top > m->acc_pos.sel)
		m->acc_pos.top = m->acc_pos.sel;
	m->dirty |= DIRTY_BODY;
}

void
model_accounts_set(struct model *m, struct account *v, size_t n, bool append)
{
	size_t i;

	if (!append) {
		for (i = 0; i < m->naccounts; i++)
			account_clear(&m->accounts[i]);
		m->naccounts = 0;
	}
	if (m->naccounts + n > m->accounts_cap) {
		m->accounts_cap = (m->naccounts + n) * 2;
		m->accounts = xrealloc(m->accounts, m->accounts_cap * sizeof *m->accounts);
	}
	/* A page may repeat an account when the list changed between pages. */
	for (i = 0; i < n; i++) {
		if (append && model_account_find(m, v[i].id) != NULL) {
			account_clear(&v[i]);
			continue;
		}
		m->accounts[m->naccounts++] = v[i];
	}
	free(v);
	m->accounts_loading = false;
	model_accounts_refilter(m);
}

struct account *
model_account_find(struct model *m, int64_t id)
{
	size_t i;

	for (i = 0; i < m->naccounts; i++)
		if (m->accounts[i].id == id)
			return &m->accounts[i];
	return NULL;
}

struct account *
model_account_by_name(struct model *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->naccounts; i++)
		if (strcasecmp(m->accounts[i].name, name) == 0)
			return &m->accounts[i];
	return NULL;
}

struct account *
model_account_selected(struct model *m)
{
	if (m->acc_pos.sel >= m->nshown)
		return NULL;
	return &m->accounts[m->shown[m->acc_pos.sel]];
}

void
model_threads_set(struct model *m, struct thread *v, size_t n)
{
	int64_t sel_id = 0;
	size_t i;

	if (m->thr_pos.sel < m->nthreads)
		sel_id = m->threads[m->thr_pos.sel].id;
	model_clear_threads(m);
	m->threads = v;
	m->nthreads = n;
	m->threads_loading = false;
	m->thr_pos.sel = 0;
	for (i = 0; sel_id && i < n; i++)
		if (v[i].id == sel_id)
			m->thr_pos.sel = i;
	if (m->thr_pos.top > m->thr_pos.sel)
		m->thr_pos.top = m->thr_pos.sel;
	m->dirty |= DIRTY_BODY;
}

struct thread *
model_thread_find(struct model *m, int64_t id)
{
	size_t i;

	for (i = 0; i < m->nthreads; i++)
		if (m->threads[i].id == id)
			return &m->threads[i];
	return NULL;
}

struct thread *
model_thread_selected(struct model *m)
{
	return m->thr_pos.sel < m->nthreads ? &m->threads[m->thr_pos.sel] : NULL;
}

void
model_thread_open(struct model *m, const struct thread *t)
{
	thread_clear(&m->thread);
	thread_copy(&m->thread, t);
	model_clear_messages(m);
	m->has_older = false;
	m->loading_older = false;
	m->msgs_loading = true;
	m->first_unread = 0;
	m->scroll = 0;
	m->jump_to_unread = true;
	m->dirty |= DIRTY_ALL;
}

/*
 * Places the "new" divider: the thread said unread messages remain; they
 * are the newest ones not written by us.
 */
static void
model_place_divider(struct model *m, int64_t unread)
{
	size_t i = m->nmsgs;

	m->first_unread = 0;
	while (unread > 0 && i > 0) {
		i--;
		if (m->msgs[i].author_id == m->me_id)
			continue;
		m->first_unread = m->msgs[i].id;
		unread--;
	}
}

void
model_messages_set(struct model *m, struct message *v, size_t n, bool has_older)
{
	model_clear_messages(m);
	m->msgs = v;
	m->nmsgs = n;
	m->has_older = has_older;
	m->msgs_loading = false;
	model_place_divider(m, m->thread.unread);
	m->dirty |= DIRTY_BODY;
}

void
model_messages_prepend(struct model *m, struct message *v, size_t n, bool has_older)
{
	struct message *all = xcalloc(m->nmsgs + n ? m->nmsgs + n : 1, sizeof *all);
	size_t i, k = 0;

	/* Skip what we already have (a message may have arrived meanwhile). */
	for (i = 0; i < n; i++) {
		if (m->nmsgs > 0 && v[i].id >= m->msgs[0].id)
			message_clear(&v[i]);
		else
			all[k++] = v[i];
	}
	if (m->nmsgs)
		memcpy(all + k, m->msgs, m->nmsgs * sizeof *all);
	free(m->msgs);
	free(v);
	m->msgs = all;
	m->nmsgs += k;
	m->has_older = has_older && k > 0;
	m->loading_older = false;
	m->dirty |= DIRTY_BODY;
}

bool
model_message_add(struct model *m, const struct message *msg)
{
	size_t i;

	for (i = 0; i < m->nmsgs; i++) {
		if ((msg->id > 0 && m->msgs[i].id == msg->id) ||
		    (msg->client_msg_id && m->msgs[i].client_msg_id && m->msgs[i].id <= 0 &&
			strcmp(m->msgs[i].client_msg_id, msg->client_msg_id) == 0)) {
			message_clear(&m->msgs[i]);
			message_copy(&m->msgs[i], msg);
			m->dirty |= DIRTY_BODY;
			return false;
		}
	}
	m->msgs = xrealloc(m->msgs, (m->nmsgs + 1) * sizeof *m->msgs);
	/* Local echoes (id <= 0) stay last; a server message goes before them. */
	i = m->nmsgs;
	while (msg->id > 0 && i > 0 && m->msgs[i - 1].id <= 0)
		i--;
	memmove(m->msgs + i + 1, m->msgs + i, (m->nmsgs - i) * sizeof *m->msgs);
	message_copy(&m->msgs[i], msg);
	m->nmsgs++;
	m->dirty |= DIRTY_BODY;
	return true;
}

int64_t
model_last_message_id(const struct model *m)
{
	size_t i = m->nmsgs;

	while (i > 0) {
		i--;
		if (m->msgs[i].id > 0)
			return m->msgs[i].id;
	}
	return 0;
}

void
model_mark_read(struct model *m, int64_t thread_id, int64_t unread)
{
	struct thread *t = model_thread_find(m, thread_id);
	struct account *a;
	int64_t old = -1, account = 0;

	if (t != NULL) {
		old = t->unread;
		t->unread = unread;
		account = t->account_id;
	}
	if (m->thread.id == thread_id) {
		if (old < 0)
			old = m->thread.unread;
		m->thread.unread = unread;
		account = m->thread.account_id;
	}
	if (old >= 0 && (a = model_account_find(m, account)) != NULL) {
		a->unread += unread - old;
		if (a->unread < 0)
			a->unread = 0;
	}
	m->dirty |= DIRTY_BODY;
}

/* Puts a thread into the list when it belongs to the view; replaces a known one. */
static bool
model_thread_upsert(struct model *m, const struct thread *t)
{
	struct thread *old = model_thread_find(m, t->id);
	bool belongs = m->unread_view ? t->unread > 0 :
	    t->account_id == m->account_id && t->archived == m->archived_view;

	if (old != NULL) {
		thread_clear(old);
		thread_copy(old, t);
		return true;
	}
	if (!belongs || (m->account_id == 0 && !m->unread_view))
		return false;
	m->threads = xrealloc(m->threads, (m->nthreads + 1) * sizeof *m->threads);
	memmove(m->threads + 1, m->threads, m->nthreads * sizeof *m->threads);
	thread_copy(&m->threads[0], t);
	m->nthreads++;
	if (m->nthreads > 1)
		m->thr_pos.sel++;
	return true;
}

/* Moves thread t of the list to the top (the newest activity), keeping the cursor on its thread. */
static void
model_thread_to_top(struct model *m, struct thread *t)
{
	size_t i = (size_t)(t - m->threads);
	int64_t sel_id = m->thr_pos.sel < m->nthreads ? m->threads[m->thr_pos.sel].id : 0;
	struct thread moved = *t;
	size_t k;

	if (i == 0 || m->archived_view)
		return;
	memmove(m->threads + 1, m->threads, i * sizeof *m->threads);
	m->threads[0] = moved;
	for (k = 0; k < m->nthreads; k++)
		if (m->threads[k].id == sel_id)
			m->thr_pos.sel = k;
}

/* A message arrived: move its thread to the top and count it unread when it is not ours. */
static void
model_event_message(struct model *m, const struct event *ev, bool *post_read)
{
	const struct message *msg = &ev->message;
	struct thread *t = model_thread_find(m, ev->thread_id);
	struct account *a = model_account_find(m, ev->account_id ? ev->account_id :
	    t ? t->account_id : 0);
	bool viewing = m->thread.id == ev->thread_id && model_screen(m) >= SCR_THREAD &&
	    model_screen(m) <= SCR_COMPOSE;
	bool mine = msg->author_id == m->me_id;

	if (m->thread.id == ev->thread_id) {
		model_message_add(m, msg);
		if (viewing && !mine)
			*post_read = true;
		else if (!mine)
			m->thread.unread++;
	}
	if (t != NULL) {
		free(t->last_message_at);
		t->last_message_at = msg->created_at ? xstrdup(msg->created_at) : NULL;
		if (!mine && !viewing)
			t->unread++;
		model_thread_to_top(m, t);
	}
	if (a != NULL) {
		free(a->last_activity);
		a->last_activity = msg->created_at ? xstrdup(msg->created_at) : NULL;
		if (!mine && !viewing)
			a->unread++;
		model_accounts_refilter(m);
	}
	m->dirty |= DIRTY_BODY;
}

bool
model_apply_event(struct model *m, const struct event *ev, bool *post_read)
{
	struct thread *known;
	bool refetch = false;

	*post_read = false;
	if (ev->id <= m->last_event)
		return false; /* seen already: a replay after a resume */
	m->last_event = ev->id;
	if (strcmp(ev->type, "message.created") == 0 && ev->has_message) {
		model_event_message(m, ev, post_read);
	} else if (strncmp(ev->type, "thread.", 7) == 0 && ev->has_thread) {
		known = model_thread_find(m, ev->thread.id);
		if (known != NULL || m->thread.id == ev->thread.id)
			model_mark_read(m, ev->thread.id, ev->thread.unread);
		else
			refetch = true; /* the account's count moved by an amount we cannot know */
		model_thread_upsert(m, &ev->thread);
		if (m->thread.id == ev->thread.id) {
			thread_clear(&m->thread);
			thread_copy(&m->thread, &ev->thread);
		}
		m->dirty |= DIRTY_ALL;
	}
	return refetch;
}

const char *
model_template_name(const struct model *m, int64_t id)
{
	size_t i;

	for (i = 0; i < m->ntemplates; i++)
		if (m->templates[i].id == id)
			return m->templates[i].name;
	return NULL;
}
