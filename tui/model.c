/*
 * model.c -- all client state: the screen stack, accounts with their filter,
 * the threads of one account, the open thread's messages, the compose box
 * and the new chat form, the connection state. It changes only through the
 * functions here and marks what must be redrawn in m->dirty. It includes
 * neither curses nor libwebsockets, so the unit tests drive it directly.
 */
#include "folio.h"
#include "mem.h"
#include "utf8.h"

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
	m->wide = 160;
	edit_init(&m->compose);
	for (i = 0; i < FORM_FIELDS; i++)
		edit_init(&m->form[i]);
	for (i = 0; i < REM_FIELDS; i++)
		edit_init(&m->rem[i]);
}

int
model_remind_parse(const char *spec, bool *on, long *days, long *count)
{
	const char *p = spec;
	char *end;

	*on = false;
	*days = REMIND_DAYS_DEFAULT;
	*count = REMIND_COUNT_DEFAULT;
	if (spec == NULL || *spec == '\0' || strcasecmp(spec, "off") == 0 ||
	    strcasecmp(spec, "no") == 0)
		return 0;
	if (strncasecmp(p, "off:", 4) == 0)
		p += 4;
	else if (strncasecmp(p, "on", 2) == 0 && (p[2] == '\0' || p[2] == ':'))
		*on = true, p += p[2] ? 3 : 2;
	else
		*on = true; /* a bare DAYS:COUNT switches them on */
	if (*p == '\0')
		return 0;
	*days = strtol(p, &end, 10);
	if (*end == ':')
		*count = strtol(end + 1, &end, 10);
	if (*end != '\0' || *days < 1 || *days > 365 || *count < 1 || *count > 100)
		return -1;
	return 0;
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
	for (i = 0; i < m->nstage; i++)
		account_clear(&m->acc_stage[i]);
	free(m->acc_stage);
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
	for (f = 0; f < REM_FIELDS; f++)
		edit_free(&m->rem[f]);
	model_notes_set(m, NULL, 0);
	free(m->drafts);
	ledger_clear(&m->ledger);
	model_staff_set(m, NULL, 0);
	free(m->me_name);
	free(m->firm_name);
	free(m->form_contact);
	free(m->form_filled[0]);
	free(m->form_filled[1]);
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
	m->status[0] = '\0'; /* a status belongs to the screen that made it */
	m->refreshing = false;
	m->dirty |= DIRTY_ALL;
}

bool
model_pop(struct model *m)
{
	if (m->depth <= 1)
		return false;
	m->depth--;
	m->status[0] = '\0';
	m->refreshing = false;
	m->dirty |= DIRTY_ALL;
	/* A pop-up's border may have split a wide character: repaint what is under it in full. */
	if (m->stack[m->depth] == SCR_MENU || m->stack[m->depth] == SCR_REMINDERS ||
	    m->stack[m->depth] == SCR_ASSIGN)
		m->dirty |= DIRTY_CLEAR;
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
model_drafts_set(struct model *m, int64_t *ids, size_t n)
{
	free(m->drafts);
	m->drafts = ids;
	m->ndrafts = n;
	m->dirty |= DIRTY_BODY;
}

bool
model_has_draft(const struct model *m, int64_t thread_id)
{
	size_t i;

	for (i = 0; i < m->ndrafts; i++)
		if (m->drafts[i] == thread_id)
			return true;
	return false;
}

void
model_form_focus(struct model *m, int f)
{
	m->form_field = (f + FORM_FIELDS) % FORM_FIELDS;
	m->num_fresh = true;
	m->dirty |= DIRTY_BODY;
}

void
model_rem_focus(struct model *m, int f)
{
	m->rem_field = (f + REM_FIELDS) % REM_FIELDS;
	m->num_fresh = true;
	m->dirty |= DIRTY_BODY;
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

/* What a Latin-1 letter folds to ("" for a code point kept as it is). */
static const char *
model_fold_cp(uint32_t cp)
{
	static const struct {
		uint32_t lo, hi;
		const char *to;
	} map[] = {
		{ 0xc0, 0xc5, "a" }, { 0xe0, 0xe5, "a" }, { 0xc6, 0xc6, "ae" }, { 0xe6, 0xe6, "ae" },
		{ 0xc7, 0xc7, "c" }, { 0xe7, 0xe7, "c" }, { 0xc8, 0xcb, "e" }, { 0xe8, 0xeb, "e" },
		{ 0xcc, 0xcf, "i" }, { 0xec, 0xef, "i" }, { 0xd1, 0xd1, "n" }, { 0xf1, 0xf1, "n" },
		{ 0xd2, 0xd6, "o" }, { 0xf2, 0xf6, "o" }, { 0xd8, 0xd8, "o" }, { 0xf8, 0xf8, "o" },
		{ 0xd9, 0xdc, "u" }, { 0xf9, 0xfc, "u" }, { 0xdd, 0xdd, "y" }, { 0xfd, 0xfd, "y" },
		{ 0xff, 0xff, "y" }, { 0xdf, 0xdf, "ss" }, { 0x1e9e, 0x1e9e, "ss" },
	};
	size_t i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (cp >= map[i].lo && cp <= map[i].hi)
			return map[i].to;
	return "";
}

char *
model_fold(const char *s)
{
	struct buf b = BUF_INIT;
	size_t len = strlen(s), i = 0, k, n;
	const char *to;
	uint32_t cp;
	int used;
	char *out;

	while (i < len) {
		used = utf8_decode(s + i, len - i, &cp);
		if (used < 0) {
			buf_putc(&b, s[i++]);
			continue;
		}
		if (cp < 0x80)
			buf_putc(&b, (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
		else if (*(to = model_fold_cp(cp)) != '\0')
			buf_puts(&b, to);
		else
			buf_append(&b, s + i, (size_t)used);
		i += (size_t)used;
	}
	/* "ae", "oe" and "ue" are how umlauts are typed without them. */
	out = xstrdup(buf_str(&b));
	for (i = k = 0, n = strlen(out); i < n; i++) {
		out[k++] = out[i];
		if (i + 1 < n && out[i + 1] == 'e' && (out[i] == 'a' || out[i] == 'o' || out[i] == 'u'))
			i++;
	}
	out[k] = '\0';
	buf_free(&b);
	return out;
}

/* The account's folded name, made once. */
static const char *
model_account_key(struct account *a)
{
	if (a->key == NULL)
		a->key = model_fold(a->name);
	return a->key;
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
	/* By the folded name: "Bäckerei Weber" sorts with B, not after Z. */
	c = strcmp(x->key, y->key);
	if (c == 0)
		c = strcmp(x->name, y->name);
	return c ? c : (x->id < y->id ? -1 : x->id > y->id);
}

void
model_accounts_refilter(struct model *m)
{
	int64_t sel_id = 0;
	char *needle = model_fold(buf_str(&m->filter));
	size_t i, w;

	if (m->nshown > 0 && m->acc_pos.sel < m->nshown)
		sel_id = m->accounts[m->shown[m->acc_pos.sel]].id;
	m->shown = xrealloc(m->shown, (m->naccounts ? m->naccounts : 1) * sizeof *m->shown);
	m->nshown = 0;
	m->name_cols = 0;
	for (i = 0; i < m->naccounts; i++) {
		if (strstr(model_account_key(&m->accounts[i]), needle) != NULL)
			m->shown[m->nshown++] = i;
		w = utf8_width(m->accounts[i].name, strlen(m->accounts[i].name));
		if (w > m->name_cols)
			m->name_cols = w;
	}
	free(needle);
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

/* Moves the marks of the old list onto the new one, then swaps the new one in. */
static void
model_accounts_swap(struct model *m)
{
	struct account *old;
	size_t i;

	for (i = 0; i < m->nstage; i++)
		if ((old = model_account_find(m, m->acc_stage[i].id)) != NULL)
			m->acc_stage[i].marked = old->marked;
	for (i = 0; i < m->naccounts; i++)
		account_clear(&m->accounts[i]);
	free(m->accounts);
	m->accounts = m->acc_stage;
	m->naccounts = m->accounts_cap = m->nstage;
	m->acc_stage = NULL;
	m->nstage = 0;
	m->staging = false;
	m->accounts_loading = false;
	model_accounts_refilter(m);
}

void
model_accounts_page(struct model *m, struct account *v, size_t n, bool first, bool last)
{
	size_t i;

	m->accounts_paging = !last;
	if (first)
		m->staging = m->naccounts > 0;
	if (!m->staging) {
		model_accounts_set(m, v, n, !first);
		return;
	}
	if (first) {
		for (i = 0; i < m->nstage; i++)
			account_clear(&m->acc_stage[i]);
		m->nstage = 0;
	}
	m->acc_stage = xrealloc(m->acc_stage, (m->nstage + n + 1) * sizeof *m->acc_stage);
	memcpy(m->acc_stage + m->nstage, v, n * sizeof *v);
	m->nstage += n;
	free(v);
	if (last)
		model_accounts_swap(m);
}

void
model_account_update(struct model *m, const struct account *a)
{
	struct account *old = model_account_find(m, a->id);

	if (old == NULL)
		return;
	old->unread = a->unread;
	free(old->last_activity);
	old->last_activity = a->last_activity ? xstrdup(a->last_activity) : NULL;
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
	if (m->ledger.thread_id != t->id)
		ledger_clear(&m->ledger);
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
	int64_t keep = m->first_unread;
	size_t i;

	model_clear_messages(m);
	m->msgs = v;
	m->nmsgs = n;
	m->has_older = has_older;
	m->msgs_loading = false;
	model_place_divider(m, m->thread.unread);
	/* Fetched again (R, a reconnect): what was new when the thread opened stays marked. */
	for (i = 0; m->first_unread == 0 && keep != 0 && i < n; i++)
		if (v[i].id == keep)
			m->first_unread = keep;
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

/* A held message changed (staff: its mail delivery): take the new copy; others are ignored. */
bool
model_message_replace(struct model *m, const struct message *msg)
{
	size_t i;

	if (msg->id <= 0 || (msg->thread_id > 0 && msg->thread_id != m->thread.id))
		return false;
	for (i = 0; i < m->nmsgs; i++) {
		if (m->msgs[i].id == msg->id) {
			message_clear(&m->msgs[i]);
			message_copy(&m->msgs[i], msg);
			m->dirty |= DIRTY_BODY;
			return true;
		}
	}
	return false;
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
	if (unread == 0)
		model_notes_thread_read(m, thread_id);
	m->dirty |= DIRTY_BODY;
}

/* Whether thread t belongs in the list the user is looking at. */
static bool
model_thread_belongs(const struct model *m, const struct thread *t)
{
	if (m->assigned == ASSIGNED_ME && t->assignee_id != m->me_id)
		return false;
	if (m->assigned == ASSIGNED_NONE && t->assignee_id != 0)
		return false;
	if (m->waiting_view)
		return !t->archived && t->waiting_on != NULL && strcmp(t->waiting_on, "firm") == 0;
	if (m->unread_view)
		return t->unread > 0;
	return t->account_id == m->account_id && t->archived == m->archived_view;
}

/* Puts a thread into the list when it belongs to the view; replaces a known one. */
static bool
model_thread_upsert(struct model *m, const struct thread *t)
{
	struct thread *old = model_thread_find(m, t->id);
	bool belongs = model_thread_belongs(m, t);

	if (old != NULL) {
		int64_t unread = old->unread;
		thread_clear(old);
		thread_copy(old, t);
		if (!t->has_unread)
			old->unread = unread;
		return true;
	}
	if (!belongs || (m->account_id == 0 && !m->unread_view && !m->waiting_view))
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

	if (i == 0 || m->archived_view || m->waiting_view)
		return; /* the waiting queue keeps its order: oldest first */
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

	if (m->view_as && msg->internal)
		return; /* the client never sees a team note */
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

void
model_thread_update(struct model *m, const struct thread *t)
{
	int64_t unread = m->thread.unread;
	size_t i;

	if (t->has_unread && (model_thread_find(m, t->id) != NULL || m->thread.id == t->id))
		model_mark_read(m, t->id, t->unread);
	model_thread_upsert(m, t);
	/* A thread that left the view (archived, reopened, assigned elsewhere) leaves the list. */
	for (i = 0; !m->unread_view && i < m->nthreads; i++) {
		if (m->threads[i].id == t->id && !model_thread_belongs(m, &m->threads[i])) {
			thread_clear(&m->threads[i]);
			memmove(m->threads + i, m->threads + i + 1,
			    (m->nthreads - i - 1) * sizeof *m->threads);
			m->nthreads--;
			if (m->thr_pos.sel > 0 && m->thr_pos.sel >= m->nthreads)
				m->thr_pos.sel--;
			break;
		}
	}
	if (m->thread.id == t->id) {
		thread_clear(&m->thread);
		thread_copy(&m->thread, t);
		if (!t->has_unread)
			m->thread.unread = unread;
	}
	m->dirty |= DIRTY_ALL;
}

int64_t
model_apply_event(struct model *m, const struct event *ev, bool *post_read)
{
	int64_t refetch = 0;

	*post_read = false;
	if (ev->id <= m->last_event)
		return 0; /* seen already: a replay after a resume */
	m->last_event = ev->id;
	if (strcmp(ev->type, "message.created") == 0 && ev->has_message) {
		model_event_message(m, ev, post_read);
	} else if (strcmp(ev->type, "message.updated") == 0 && ev->has_message) {
		model_message_replace(m, &ev->message);
	} else if (strcmp(ev->type, "thread.read") == 0 && ev->has_unread) {
		/* Our marker moved, here or elsewhere: a known thread gives the change. */
		if (model_thread_find(m, ev->thread_id) != NULL || m->thread.id == ev->thread_id)
			model_mark_read(m, ev->thread_id, ev->unread);
		else
			refetch = ev->account_id;
	} else if (strncmp(ev->type, "thread.", 7) == 0 && ev->has_thread) {
		if (ev->thread.has_unread && model_thread_find(m, ev->thread.id) == NULL &&
		    m->thread.id != ev->thread.id)
			refetch = ev->thread.account_id; /* its count moved by an unknown amount */
		model_thread_update(m, &ev->thread);
	} else if (strcmp(ev->type, "notification.created") == 0 && ev->has_note) {
		model_note_upsert(m, &ev->note);
	}
	return refetch;
}

long
model_list_hit(const struct listpos *p, size_t n, int y, int per_item)
{
	size_t i;

	if (y < 0 || per_item < 1)
		return -1;
	i = p->top + (size_t)(y / per_item);
	return i < n ? (long)i : -1;
}

/*
 * Wide: accounts | threads (or Inbox+) | thread, whichever of them the user
 * is on; the thread pane gets what is left, at least 60 columns. Any other
 * screen (help, forms, dialogs over a thread) keeps the whole width.
 */
int
model_panes(const struct model *m, int cols, struct pane *out)
{
	enum screen_id top = model_screen(m), mid = SCR_THREADS;
	int a, b, i;

	for (i = 0; i < m->depth; i++)
		if (m->stack[i] == SCR_INBOX)
			mid = SCR_INBOX;
	if (m->wide <= 0 || cols < m->wide || (top != SCR_ACCOUNTS && top != SCR_THREADS &&
	    top != SCR_THREAD && top != SCR_COMPOSE && top != SCR_INBOX)) {
		out[0] = (struct pane){ top, 0, cols };
		return 1;
	}
	/* The accounts pane is as wide as its names (badge and time beside them), within limits. */
	b = cols * 3 / 10 < 40 ? 40 : cols * 3 / 10 > 60 ? 60 : cols * 3 / 10;
	a = (int)m->name_cols + 24;
	if (a > cols * 3 / 10)
		a = cols * 3 / 10;
	if (a > cols - b - 62)
		a = cols - b - 62;
	if (a < 28)
		a = 28;
	out[0] = (struct pane){ SCR_ACCOUNTS, 0, a };
	out[1] = (struct pane){ mid, a + 1, b };
	out[2] = (struct pane){ top == SCR_COMPOSE ? SCR_COMPOSE : SCR_THREAD, a + b + 2,
		cols - a - b - 2 };
	return 3;
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

void
model_staff_set(struct model *m, struct staff_ref *v, size_t n)
{
	size_t i;

	for (i = 0; i < m->nstaff; i++)
		staff_clear(&m->staff[i]);
	free(m->staff);
	m->staff = v;
	m->nstaff = n;
	m->dirty |= DIRTY_ALL;
}

const char *
model_staff_name(const struct model *m, int64_t id)
{
	size_t i;

	for (i = 0; id > 0 && i < m->nstaff; i++)
		if (m->staff[i].id == id)
			return m->staff[i].name;
	return id > 0 && id == m->me_id ? m->me_name : NULL;
}

int64_t
model_threads_view(const struct model *m)
{
	return (m->unread_view ? 1 : 0) | (m->archived_view ? 2 : 0) | (m->waiting_view ? 4 : 0) |
	    (int64_t)m->assigned << 3 | (m->view_as ? 32 : 0);
}

bool
model_client_view(const struct model *m)
{
	return !m->me_staff || m->view_as != 0;
}

/* Replaces every "{{key}}" in s by value (NULL: left as it is). Caller frees. */
static char *
model_replace(const char *s, const char *key, const char *value)
{
	struct buf b = BUF_INIT;
	size_t klen = strlen(key);
	const char *p;
	char *out;

	if (value == NULL)
		return xstrdup(s);
	while ((p = strstr(s, key)) != NULL) {
		buf_append(&b, s, (size_t)(p - s));
		buf_puts(&b, value);
		s = p + klen;
	}
	buf_puts(&b, s);
	out = xstrdup(buf_str(&b));
	buf_free(&b);
	return out;
}

char *
model_template_render(const char *text, const char *contact, const char *account,
    const char *firm)
{
	char *first, *a, *b;

	/* As the server: the first word of the contact's name, whole (never cut mid-character). */
	first = contact ? xstrndup(contact, strcspn(contact, " ")) : NULL;
	a = model_replace(text ? text : "", "{{contact.first_name}}", first);
	free(first);
	b = model_replace(a, "{{contact.name}}", contact);
	free(a);
	a = model_replace(b, "{{account.name}}", account);
	free(b);
	b = model_replace(a, "{{firm.name}}", firm);
	free(a);
	return b;
}
