/*
 * ui.c -- the interactive client's loop: curses set-up (colours: 256, 8 or
 * none), one poll() over the terminal and the network queue, keys to
 * actions (clicks go to ui-mouse.c), timers (draft saving, retries), and
 * the helpers views draw with: styles, text clipped to a width, the pane
 * being drawn. ui-draw.c draws a pass and calls the one doupdate().
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
#define LEDGER_POLL_MS 2000
#define KEY_PASTE_BEGIN (KEY_MAX + 1)
#define KEY_PASTE_FINISH (KEY_MAX + 2)

static struct model ui_model;
static volatile sig_atomic_t ui_signalled;
static int ui_styles[UI_STYLE_COUNT];
static int ui_cy = -1, ui_cx = -1;
static int ui_x0;           /* the left column of the pane being drawn */
static bool ui_focused = true;
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
ui_pane(int x0, bool focused)
{
	ui_x0 = x0;
	ui_focused = focused;
}

bool
ui_pane_focused(void)
{
	return ui_focused;
}

int
ui_cursor_style(void)
{
	return ui_styles[ui_focused ? UI_SELECTED : UI_CURRENT];
}

void
ui_move(int y, int x)
{
	move(y, ui_x0 + x);
}

void
ui_cursor_at(int y, int x)
{
	if (!ui_focused)
		return; /* only the pane with the focus has a cursor */
	ui_cy = y;
	ui_cx = y < 0 ? -1 : ui_x0 + x;
}

void
ui_cursor_show(void)
{
	if (ui_cy >= 0) {
		curs_set(1);
		move(ui_cy, ui_cx);
	} else {
		curs_set(0);
		move(LINES - 1, COLS - 1);
	}
}

/* How many colours to use: the option, the terminal, and NO_COLOR decide. */
static int
ui_colours(void)
{
	const char *want = options_get("colours");

	if (getenv("NO_COLOR") != NULL || strcmp(want, "off") == 0 || !has_colors())
		return 0;
	start_color();
	use_default_colors();
	return COLORS >= 256 && strcmp(want, "8") != 0 ? 256 : 8;
}

/*
 * The styles as colour pairs (256 or 8 colours) or, without colours, as
 * attributes alone. -1 is the terminal's own colour.
 */
static void
ui_init_styles(void)
{
	static const struct {
		enum ui_style s;
		short fg, bg, fg256, bg256;
		int attr, attr256, mono;
	} table[] = {
		{ UI_TITLE, COLOR_WHITE, COLOR_BLUE, 255, 24, A_BOLD, A_BOLD, A_REVERSE },
		{ UI_SELECTED, -1, -1, 16, 153, A_REVERSE, 0, A_REVERSE },
		{ UI_CURRENT, -1, -1, -1, 238, A_UNDERLINE, 0, A_UNDERLINE },
		{ UI_BADGE, COLOR_RED, -1, 196, -1, A_BOLD, A_BOLD, A_BOLD },
		{ UI_INTERNAL, COLOR_YELLOW, -1, 214, -1, A_BOLD, A_BOLD, A_BOLD | A_UNDERLINE },
		{ UI_DIVIDER, COLOR_RED, -1, 203, -1, A_BOLD, A_BOLD, A_BOLD },
		{ UI_DIM, -1, -1, 245, -1, A_DIM, 0, A_DIM },
		{ UI_LINK, COLOR_CYAN, -1, 39, -1, A_UNDERLINE, A_UNDERLINE, A_UNDERLINE },
		{ UI_CODE, COLOR_GREEN, -1, 114, -1, 0, 0, A_DIM },
		{ UI_HEADING, -1, -1, 75, -1, A_BOLD | A_UNDERLINE, A_BOLD, A_BOLD | A_UNDERLINE },
		{ UI_QUOTE, -1, -1, 244, -1, A_DIM, 0, A_DIM },
		{ UI_ERROR, COLOR_RED, -1, 196, -1, A_BOLD, A_BOLD, A_BOLD },
		{ UI_MARK, COLOR_MAGENTA, -1, 170, -1, A_BOLD, A_BOLD, A_BOLD },
		{ UI_AUTHOR, -1, -1, 153, -1, A_BOLD, A_BOLD, A_BOLD },
		{ UI_FIELD, -1, -1, -1, 236, A_UNDERLINE, 0, A_UNDERLINE },
	};
	int colours = ui_colours();
	size_t i;

	for (i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (colours == 256) {
			init_pair((short)(i + 1), table[i].fg256, table[i].bg256);
			ui_styles[table[i].s] = (int)(COLOR_PAIR(i + 1) | (attr_t)table[i].attr256);
		} else if (colours == 8) {
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
ui_put_right(const char *s, int cols)
{
	int w = (int)utf8_width(s, strlen(s));

	while (w++ < cols)
		addch(' ');
	ui_put(s, strlen(s), cols);
}

/* s clipped to cols columns at a word's end, with "…" when something was left out. */
static void
ui_clip_words(char *out, size_t outlen, const char *s, int cols)
{
	size_t fit, cut;

	if ((int)utf8_width(s, strlen(s)) <= cols) {
		snprintf(out, outlen, "%s", s);
		return;
	}
	fit = utf8_fit(s, strlen(s), cols > 1 ? (size_t)cols - 1 : 0);
	for (cut = fit; cut > 0 && s[cut] != ' '; cut--)
		;
	if (cut == 0)
		cut = fit; /* one long word: cut it after all */
	while (cut > 0 && (s[cut - 1] == ' ' || s[cut - 1] == ','))
		cut--;
	snprintf(out, outlen, "%.*s\xe2\x80\xa6", (int)cut, s);
}

void
ui_join_fit(char *out, size_t outlen, const char *const *parts, size_t n, int cols)
{
	static const char sep[] = " \xc2\xb7 ";
	struct buf b = BUF_INIT;
	size_t i, w = 0, pw;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (parts[i] == NULL || *parts[i] == '\0')
			continue;
		pw = utf8_width(parts[i], strlen(parts[i])) + (b.len ? 3 : 0);
		if ((int)(w + pw) > cols) {
			if (b.len == 0) {
				ui_clip_words(out, outlen, parts[i], cols);
				buf_free(&b);
				return;
			}
			if ((int)w + 2 <= cols)
				buf_puts(&b, " \xe2\x80\xa6"); /* more that did not fit */
			break;
		}
		if (b.len)
			buf_puts(&b, sep);
		buf_puts(&b, parts[i]);
		w += pw;
	}
	snprintf(out, outlen, "%s", buf_str(&b));
	buf_free(&b);
}

void
ui_when(const char *t, char *out, size_t outlen)
{
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
		/* xgettext:no-c-format */
		/* TRANSLATORS: strftime(3): a time today, 24-hour ("14:05") */
		i18n_strftime(out, outlen, _("%H:%M"), &tm);
	else if (tm.tm_year == now.tm_year)
		/* xgettext:no-c-format */
		/* TRANSLATORS: strftime(3): a day this year ("Tue Dec 9"; German "Di., 9. Dez.") */
		i18n_strftime(out, outlen, _("%a %b %-d"), &tm);
	else
		/* xgettext:no-c-format */
		/* TRANSLATORS: strftime(3): a day of another year ("2025-12-09") */
		i18n_strftime(out, outlen, _("%Y-%m-%d"), &tm);
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
		if (wc == KEY_MOUSE) {
			ui_mouse_event(m);
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
	if (m->notice != NULL) {
		m->notice = NULL;
		m->dirty |= DIRTY_STATUS;
	}
	if (key == 3) { /* C-c: quit from anywhere; drafts are saved on the way out */
		m->quit = true;
		return;
	}
	if (action_key(m, ui_draw_mode(m), key))
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
	if (m->outbox_retry_at && now >= m->outbox_retry_at) {
		action_flush_outbox(m);
		events_kick();
	} else if (m->outbox_retry_at && (next < 0 || m->outbox_retry_at < next)) {
		next = m->outbox_retry_at;
	}
	if (!model_ledger_pending(m)) {
		m->ledger_poll_at = 0;
	} else if (m->ledger_poll_at == 0 || now >= m->ledger_poll_at) {
		if (m->ledger_poll_at != 0)
			action_fetch_ledger(m);
		m->ledger_poll_at = now + LEDGER_POLL_MS;
	}
	if (m->ledger_poll_at && (next < 0 || m->ledger_poll_at < next))
		next = m->ledger_poll_at;
	if (m->status[0] && now - m->status_ms < UI_STATUS_SHOW_MS) {
		if (next < 0 || m->status_ms + UI_STATUS_SHOW_MS < next)
			next = m->status_ms + UI_STATUS_SHOW_MS;
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
	if (options_on("mouse"))
		ui_mouse_start();
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

/* A path under $HOME as ~/...: status lines are short. Points into s. */
static const char *
ui_home_path(char *s)
{
	const char *home = getenv("HOME");
	size_t n = home ? strlen(home) : 0;

	if (n > 1 && strncmp(s, home, n) == 0 && s[n] == '/') {
		s[n - 1] = '~';
		return s + n - 1;
	}
	return s;
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
		while ((j = net_poll()) != NULL) {
			result_apply(m, j);
			action_follow(m);
		}
		if (ui_now_ms() - m->status_ms >= UI_STATUS_SHOW_MS && m->status[0]) {
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
	int rc;

	model_init(m);
	m->me_id = s->user_id;
	m->me_name = xstrdup(s->user_name ? s->user_name : "me");
	m->me_staff = s->user_kind == NULL || strcmp(s->user_kind, "contact") != 0;
	if (options_load(cfg, err, sizeof err) > 0)
		model_set_status(m, ui_now_ms(), "%s", ui_home_path(err));
	free(cfg);
	m->wide = (int)options_number("wide");
	if ((m->notice = getenv("FOLIO_NOTICE")) != NULL && *m->notice == '\0')
		m->notice = NULL;
	net_start(s->server, s->token);
	net_submit(api_me());
	action_drafts_reload(m);
	action_fetch_accounts(m);
	action_fetch_inbox(m); /* the title counts what is new there */
	action_flush_outbox(m);
	rc = events_start(s->server, s->token, 0, options_events_mode());
	if (rc != 0)
		model_set_status(m, ui_now_ms(), _("cannot use server address %s for events"), s->server);
	ui_draw_bench(getenv("FOLIO_BENCH_MARKS"));
	ui_curses_start();
	ui_loop(m);
	m->draft_dirty = true; /* whatever is in the box now goes to disk */
	action_save_draft(m);
	ui_curses_end();
	http_cancel_all();
	events_stop();
	net_stop();
	buf_free(&ui_paste);
	ui_draw_bench(NULL);
	model_free(m);
	return 0;
}
