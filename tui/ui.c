/*
 * ui.c -- the interactive client's loop: curses set-up, one poll() over the
 * terminal and the network queue, keys to actions, timers (draft saving,
 * retries), and drawing: title, the current view, status and key hints,
 * then one doupdate() per pass. curses sends only the cells that changed,
 * so a new message costs a few lines over a slow link.
 */
#include "folio.h"
#include "mem.h"
#include "utf8.h"

#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DRAFT_DEBOUNCE_MS 300
#define STATUS_SHOW_MS 8000
#define KEY_PASTE_BEGIN (KEY_MAX + 1)
#define KEY_PASTE_FINISH (KEY_MAX + 2)

static const struct view *ui_views[SCR_COUNT] = {
	[SCR_ACCOUNTS] = &view_accounts, [SCR_THREADS] = &view_threads,
	[SCR_THREAD] = &view_thread, [SCR_COMPOSE] = &view_compose,
	[SCR_NEWCHAT] = &view_newchat, [SCR_HELP] = &view_help,
};

static struct model ui_model;
static volatile sig_atomic_t ui_signalled;
static int ui_styles[UI_STYLE_COUNT];
static int ui_cy = -1, ui_cx = -1;
static bool ui_pasting;
static struct buf ui_paste;

int64_t
ui_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
ui_style(enum ui_style s)
{
	return ui_styles[s];
}

void
ui_cursor_at(int y, int x)
{
	ui_cy = y;
	ui_cx = x;
}

/* Colours when the terminal has them and NO_COLOR is unset; attributes otherwise. */
static void
ui_init_styles(void)
{
	static const struct {
		enum ui_style s;
		short fg, bg;
		int attr, mono;
	} table[] = {
		{ UI_TITLE, COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE },
		{ UI_SELECTED, -1, -1, A_REVERSE, A_REVERSE },
		{ UI_BADGE, COLOR_RED, -1, A_BOLD, A_BOLD },
		{ UI_INTERNAL, COLOR_YELLOW, -1, A_BOLD, A_BOLD | A_UNDERLINE },
		{ UI_DIVIDER, COLOR_RED, -1, A_BOLD, A_BOLD },
		{ UI_DIM, -1, -1, A_DIM, A_DIM },
		{ UI_LINK, COLOR_CYAN, -1, A_UNDERLINE, A_UNDERLINE },
		{ UI_CODE, COLOR_GREEN, -1, 0, A_DIM },
		{ UI_HEADING, -1, -1, A_BOLD | A_UNDERLINE, A_BOLD | A_UNDERLINE },
		{ UI_QUOTE, -1, -1, A_DIM, A_DIM },
		{ UI_ERROR, COLOR_RED, -1, A_BOLD, A_BOLD },
		{ UI_MARK, COLOR_MAGENTA, -1, A_BOLD, A_BOLD },
		{ UI_AUTHOR, -1, -1, A_BOLD, A_BOLD },
		{ UI_FIELD, -1, -1, A_UNDERLINE, A_UNDERLINE },
	};
	bool color = has_colors() && getenv("NO_COLOR") == NULL;
	size_t i;

	if (color) {
		start_color();
		use_default_colors();
	}
	for (i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (color) {
			init_pair((short)(i + 1), table[i].fg, table[i].bg);
			ui_styles[table[i].s] = (int)(COLOR_PAIR(i + 1) | (attr_t)table[i].attr);
		} else {
			ui_styles[table[i].s] = table[i].mono;
		}
	}
}

int
ui_put(const char *s, size_t len, int cols)
{
	size_t i = 0;
	uint32_t cp;
	int used = 0, n, w;

	while (i < len && used < cols) {
		n = utf8_decode(s + i, len - i, &cp);
		if (n < 0) {
			addch('?');
			used++, i++;
			continue;
		}
		w = utf8_cp_width(cp);
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			addch(' '); /* tabs and controls never move the cursor on their own */
			used++;
		} else if (used + w <= cols) {
			addnstr(s + i, n);
			used += w;
		} else {
			break;
		}
		i += (size_t)n;
	}
	return used;
}

void
ui_put_pad(const char *s, int cols)
{
	int used = ui_put(s, strlen(s), cols);

	while (used++ < cols)
		addch(' ');
}

void
ui_when(const char *t, char *out, size_t outlen)
{
	static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
		"Sep", "Oct", "Nov", "Dec" };
	struct tm tm, now;
	time_t when, tnow = time(NULL);

	memset(&tm, 0, sizeof tm);
	if (t == NULL || strptime(t, "%Y-%m-%dT%H:%M:%S", &tm) == NULL) {
		snprintf(out, outlen, "-");
		return;
	}
	when = timegm(&tm);
	localtime_r(&when, &tm);
	localtime_r(&tnow, &now);
	if (tm.tm_year == now.tm_year && tm.tm_yday == now.tm_yday)
		snprintf(out, outlen, "%02d:%02d", tm.tm_hour, tm.tm_min);
	else if (tm.tm_year == now.tm_year)
		snprintf(out, outlen, "%s %2d", months[tm.tm_mon], tm.tm_mday);
	else
		snprintf(out, outlen, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static const char *
ui_mode(struct model *m)
{
	const struct view *v = ui_views[model_screen(m)];

	return v->mode_of ? v->mode_of(m) : v->mode;
}

static void
ui_draw_title(struct model *m)
{
	struct account *a = model_account_find(m, m->account_id);
	char title[512];

	switch (model_screen(m)) {
	case SCR_ACCOUNTS:
		snprintf(title, sizeof title, " Folio | Accounts (%zu)", m->nshown);
		break;
	case SCR_THREADS:
		snprintf(title, sizeof title, " Folio | %s | %s threads", m->unread_view ? "Unread" :
		    a ? a->name : "?", m->archived_view ? "archived" : "open");
		break;
	case SCR_HELP:
		snprintf(title, sizeof title, " Folio | Help");
		break;
	case SCR_NEWCHAT:
		snprintf(title, sizeof title, " Folio | New chat");
		break;
	default:
		snprintf(title, sizeof title, " Folio | %s | %s", a ? a->name : "?", m->thread.subject ?
		    m->thread.subject : "");
		break;
	}
	move(0, 0);
	attrset((attr_t)ui_style(UI_TITLE));
	ui_put_pad(title, COLS);
	attrset(A_NORMAL);
}

/* The status line: connection, queue, and the last message. */
static void
ui_draw_status(struct model *m)
{
	static const char *states[] = { "events off", "connecting", "live", "offline, retrying",
		"resyncing", "logged out" };
	char left[128], *p = left;
	int used;

	p += snprintf(left, sizeof left, "[%s]", m->session_dead ? "logged out" : states[m->stream]);
	if (m->queued > 0)
		snprintf(p, sizeof left - (size_t)(p - left), " [%zu queued]", m->queued);
	move(LINES - 2, 0);
	attrset((attr_t)ui_style(m->stream == STREAM_UP ? UI_DIM : UI_ERROR));
	used = ui_put(left, strlen(left), COLS);
	attrset(A_NORMAL);
	if (m->status[0] && ui_now_ms() - m->status_ms < STATUS_SHOW_MS && used + 2 < COLS) {
		addstr("  ");
		used += 2 + ui_put(m->status, strlen(m->status), COLS - used - 2);
	}
	clrtoeol();
}

/*
 * The key bound to action in mode (or global) for the hint line: a plain
 * character when there is one (q rather than Left), else the first.
 */
static const char *
ui_key_for(const char *mode, const char *action)
{
	const struct binding *b;
	const char *bound;
	int pass, found = -1;
	size_t n, i;

	b = keymap_bindings(&n);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			if (b[i].action == NULL || strcmp(b[i].action, action) != 0 ||
			    strcmp(b[i].mode, pass == 0 ? mode : "global") != 0)
				continue;
			bound = keymap_lookup(mode, b[i].key); /* a list key may be overridden */
			if (bound == NULL || strcmp(bound, action) != 0)
				continue;
			if (b[i].key > ' ' && b[i].key < 0x7f)
				return keymap_key_name(b[i].key);
			if (found < 0)
				found = b[i].key;
		}
	}
	return found >= 0 ? keymap_key_name(found) : NULL;
}

static void
ui_draw_hints(struct model *m)
{
	static const struct {
		const char *mode;
		const char *actions[8];
		const char *labels[8];
	} hints[] = {
		{ "accounts", { "open", "filter", "unread-view", "new-chat", "help", "back" },
		    { "open", "filter", "unread", "new chat", "help", "quit" } },
		{ "filter", { "filter-accept", "filter-cancel" }, { "done", "clear" } },
		{ "threads", { "open", "archived", "new-chat", "help", "back" },
		    { "open", "archived", "new chat", "help", "back" } },
		{ "thread", { "reply", "note", "edit-reply", "mark-unread", "help", "back" },
		    { "reply", "note", "$EDITOR", "unread", "help", "back" } },
		{ "compose", { "send", "leave", "toggle-internal", "editor", "help" },
		    { "send", "leave", "note/reply", "$EDITOR", "help" } },
		{ "newchat", { "next-field", "send", "leave", "help" },
		    { "next field", "create", "leave", "help" } },
		{ "ask", { "ask-send", "ask-keep", "ask-discard", "ask-cancel" },
		    { "send", "keep draft", "discard", "go on writing" } },
		{ "help", { "back" }, { "back" } },
	};
	const char *mode = ui_mode(m), *key;
	struct buf b = BUF_INIT;
	size_t i, k;

	for (i = 0; i < sizeof hints / sizeof hints[0]; i++) {
		if (strcmp(hints[i].mode, mode) != 0)
			continue;
		if (strcmp(mode, "ask") == 0)
			buf_puts(&b, "Unsent text: ");
		for (k = 0; k < 8 && hints[i].actions[k]; k++)
			if ((key = ui_key_for(mode, hints[i].actions[k])) != NULL)
				buf_printf(&b, "%s%s:%s", b.len && strcmp(mode, "ask") ? "  " :
				    k ? "  " : "", key, hints[i].labels[k]);
	}
	move(LINES - 1, 0);
	attrset((attr_t)ui_style(strcmp(mode, "ask") == 0 ? UI_ERROR : UI_DIM));
	ui_put_pad(buf_str(&b), COLS);
	attrset(A_NORMAL);
	buf_free(&b);
}

static void
ui_draw(struct model *m)
{
	if (m->dirty & DIRTY_CLEAR)
		clearok(curscr, TRUE);
	if (m->dirty & DIRTY_BODY) {
		ui_cursor_at(-1, -1);
		m->rows = LINES - 3 > 1 ? LINES - 3 : 1;
		erase();
		ui_draw_title(m);
		if (LINES >= 4)
			ui_views[model_screen(m)]->draw(m, 1, m->rows, COLS);
		ui_draw_hints(m);
	}
	if (LINES >= 3)
		ui_draw_status(m);
	if (ui_cy >= 0) {
		curs_set(1);
		move(ui_cy, ui_cx);
	} else {
		curs_set(0);
		move(LINES - 1, COLS - 1);
	}
	m->dirty = 0;
	wnoutrefresh(stdscr);
	doupdate();
}

/* A key that is text on its own, as UTF-8; false for keys that are not. */
static bool
ui_key_text(int key, char *out, size_t *n)
{
	wchar_t wc[2] = { (wchar_t)key, 0 };
	size_t len;

	if (key < 0x20 || key == 0x7f || key >= KEYC_BASE)
		return false;
	len = wcstombs(out, wc, 8);
	if (len == (size_t)-1)
		return false;
	*n = len;
	return true;
}

static void
ui_key(struct model *m, int r, wint_t wc)
{
	char text[8];
	size_t n;
	int key;

	if (r == KEY_CODE_YES) {
		if (wc == KEY_RESIZE) {
			m->dirty |= DIRTY_ALL | DIRTY_CLEAR;
			return;
		}
		if (wc == KEY_PASTE_BEGIN || wc == KEY_PASTE_FINISH) {
			ui_pasting = wc == KEY_PASTE_BEGIN;
			if (!ui_pasting && ui_paste.len > 0)
				action_text(m, ui_paste.data, ui_paste.len);
			buf_reset(&ui_paste);
			return;
		}
		key = wc == KEY_ENTER ? '\n' : KEYC_BASE + (int)wc;
	} else {
		key = wc == '\r' ? '\n' : (wc == 0x7f || wc == 8) ? KEYC_BASE + KEY_BACKSPACE : (int)wc;
	}
	if (ui_pasting) {
		/* A pasted block is text, never a burst of commands. */
		if (key == '\n' || key == '\t')
			buf_putc(&ui_paste, (char)key);
		else if (ui_key_text(key, text, &n))
			buf_append(&ui_paste, text, n);
		return;
	}
	if (key == 3) { /* C-c: quit from anywhere; drafts are saved on the way out */
		m->quit = true;
		return;
	}
	if (action_key(m, ui_mode(m), key))
		return;
	if (ui_key_text(key, text, &n))
		action_text(m, text, n);
}

static void
ui_read_keys(struct model *m)
{
	wint_t wc;
	int r;

	while (!m->quit && (r = get_wch(&wc)) != ERR)
		ui_key(m, r, wc);
}

/* Runs what is due; returns the milliseconds until the next timer (or -1). */
static int
ui_timers(struct model *m)
{
	int64_t now = ui_now_ms(), next = -1;

	if (m->draft_dirty) {
		if (now - m->draft_changed_ms >= DRAFT_DEBOUNCE_MS)
			action_save_draft(m);
		else
			next = m->draft_changed_ms + DRAFT_DEBOUNCE_MS;
	}
	if (m->accounts_refresh_at && now >= m->accounts_refresh_at)
		action_fetch_accounts(m);
	else if (m->accounts_refresh_at && (next < 0 || m->accounts_refresh_at < next))
		next = m->accounts_refresh_at;
	if (m->outbox_retry_at && now >= m->outbox_retry_at) {
		action_flush_outbox(m);
		events_kick();
	} else if (m->outbox_retry_at && (next < 0 || m->outbox_retry_at < next)) {
		next = m->outbox_retry_at;
	}
	if (m->status[0] && now - m->status_ms < STATUS_SHOW_MS) {
		if (next < 0 || m->status_ms + STATUS_SHOW_MS < next)
			next = m->status_ms + STATUS_SHOW_MS;
	}
	return next < 0 ? -1 : (int)(next - now < 0 ? 0 : next - now + 1);
}

static void
ui_signal(int sig)
{
	ui_signalled = sig;
}

static void
ui_curses_start(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ui_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	set_escdelay(25);
	initscr();
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	ui_init_styles();
	define_key("\033[200~", KEY_PASTE_BEGIN);
	define_key("\033[201~", KEY_PASTE_FINISH);
	printf("\033[?2004h"); /* bracketed paste */
	fflush(stdout);
}

static void
ui_curses_end(void)
{
	printf("\033[?2004l");
	fflush(stdout);
	endwin();
}

char *
ui_run_editor(const char *text)
{
	const char *ed = getenv("VISUAL");
	char *path = config_state_path(NULL, "compose.md"), *script, *out = NULL;
	int status = -1;
	pid_t pid;

	if (ed == NULL || *ed == '\0')
		ed = getenv("EDITOR");
	if (ed == NULL || *ed == '\0')
		ed = "vi";
	if (config_write_file(path, text, strlen(text), 0600) != 0) {
		free(path);
		return NULL;
	}
	script = xasprintf("%s \"$1\"", ed);
	ui_curses_end();
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", script, "sh", path, (char *)NULL);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	printf("\033[?2004h");
	fflush(stdout);
	refresh();
	if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		out = config_read_file(path, NULL);
	unlink(path);
	free(script);
	free(path);
	return out;
}

static void
ui_loop(struct model *m)
{
	struct pollfd pfd[2];
	struct job *j;
	int timeout;

	pfd[0].fd = STDIN_FILENO;
	pfd[0].events = POLLIN;
	pfd[1].fd = net_fd();
	pfd[1].events = POLLIN;
	while (!m->quit && !ui_signalled) {
		if (m->dirty)
			ui_draw(m);
		timeout = ui_timers(m);
		if (m->dirty)
			continue;
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			break;
		/* get_wch also hands over KEY_RESIZE after SIGWINCH interrupted poll. */
		ui_read_keys(m);
		while ((j = net_poll()) != NULL)
			result_apply(m, j);
		if (ui_now_ms() - m->status_ms >= STATUS_SHOW_MS && m->status[0]) {
			m->status[0] = '\0';
			m->dirty |= DIRTY_STATUS;
		}
	}
}

int
ui_main(const struct session *s)
{
	struct model *m = &ui_model;
	char err[512] = "";
	char *cfg = config_file_path();

	model_init(m);
	m->me_id = s->user_id;
	m->me_name = xstrdup(s->user_name ? s->user_name : "me");
	m->me_staff = s->user_kind == NULL || strcmp(s->user_kind, "contact") != 0;
	if (keymap_load(cfg, err, sizeof err) > 0)
		model_set_status(m, ui_now_ms(), "%s", err);
	free(cfg);
	net_start(s->server, s->token);
	net_submit(job_create(JOB_ME, "GET", "/api/v1/me", NULL));
	action_fetch_accounts(m);
	action_flush_outbox(m);
	if (events_start(s->server, s->token, 0) != 0)
		model_set_status(m, ui_now_ms(), "cannot use server address %s for events", s->server);
	ui_curses_start();
	ui_loop(m);
	m->draft_dirty = true; /* whatever is in the box now goes to disk */
	action_save_draft(m);
	ui_curses_end();
	http_cancel_all();
	events_stop();
	net_stop();
	buf_free(&ui_paste);
	model_free(m);
	return 0;
}
