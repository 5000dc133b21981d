/*
 * ui-mouse.c -- the optional mouse (`mouse = on` in the config file): a
 * click on a list row selects it, a click on the selected row opens it, a
 * click in another pane of a wide terminal goes back to that pane, and the
 * wheel moves the focused screen three rows. Off by default, so the
 * terminal keeps its own selection and copying. Clicks become the same
 * actions as keys; nothing here changes the model directly but the cursor.
 */
#include "folio.h"

#include <curses.h>
#include <string.h>

#define UI_MOUSE_WHEEL_ROWS 3

void
ui_mouse_start(void)
{
	mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	mouseinterval(0); /* report presses at once: no waiting to tell clicks apart */
}

static void
ui_mouse_run(struct model *m, const char *name, int times)
{
	const struct action *a = action_find(name);

	while (a != NULL && times-- > 0)
		a->fn(m);
}

/* The list a screen shows: its cursor, its length, rows per item and rows above it. */
static struct listpos *
ui_mouse_list(struct model *m, enum screen_id s, size_t *n, int *per_item, int *above)
{
	*above = 0;
	*per_item = 2;
	switch (s) {
	case SCR_ACCOUNTS:
		*n = m->nshown;
		*per_item = 1;
		*above = m->filtering || m->filter.len > 0; /* the filter line */
		return &m->acc_pos;
	case SCR_THREADS:
		*n = m->nthreads;
		return &m->thr_pos;
	case SCR_INBOX:
		*n = m->nnotes;
		return &m->note_pos;
	default:
		return NULL;
	}
}

/* A click on body row y of screen s: select the row, or open it when it was selected. */
static void
ui_mouse_pick(struct model *m, enum screen_id s, int y, int x)
{
	struct listpos *p;
	int per_item, above;
	size_t n;
	long hit;

	if (s == SCR_MENU) {
		if ((hit = view_menu_hit(m, y, x)) < 0)
			return;
		m->menu_pos.sel = (size_t)hit;
		ui_mouse_run(m, "pick", 1);
		return;
	}
	if ((p = ui_mouse_list(m, s, &n, &per_item, &above)) == NULL)
		return;
	if ((hit = model_list_hit(p, n, y - above, per_item)) < 0)
		return;
	if ((size_t)hit == p->sel) {
		ui_mouse_run(m, "open", 1);
		return;
	}
	p->sel = (size_t)hit;
	m->dirty |= DIRTY_BODY;
}

/* A click at screen row y, column x. */
static void
ui_mouse_click(struct model *m, int y, int x)
{
	struct pane p[PANES_MAX];
	enum screen_id top = model_screen(m);
	int n = model_panes(m, COLS, p), i, d;

	if (y < 1 || y > m->rows)
		return; /* the title, status and hint rows */
	for (i = 0; i < n && x >= p[i].x + p[i].cols; i++)
		;
	if (i == n || x < p[i].x)
		return; /* on a line between panes */
	/* Another pane: back to it when it is under the current screen, else nothing. */
	for (d = m->depth - 1; d >= 0 && m->stack[d] != p[i].screen; d--)
		;
	if (d < 0)
		return;
	if (d < m->depth - 1 && top != SCR_THREAD && top != SCR_THREADS && top != SCR_INBOX)
		return; /* writing or a dialog: a stray click must not leave it */
	while (m->depth - 1 > d)
		ui_mouse_run(m, "back", 1);
	ui_mouse_pick(m, p[i].screen, y - 1, x - p[i].x);
}

void
ui_mouse_event(struct model *m)
{
	MEVENT me;

	if (getmouse(&me) != OK)
		return;
	if (me.bstate & BUTTON4_PRESSED)
		ui_mouse_run(m, "up", UI_MOUSE_WHEEL_ROWS);
	else if (me.bstate & BUTTON5_PRESSED)
		ui_mouse_run(m, "down", UI_MOUSE_WHEEL_ROWS);
	else if (me.bstate & BUTTON1_PRESSED)
		ui_mouse_click(m, me.y, me.x);
}
