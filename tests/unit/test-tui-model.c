/*
 * test-tui-model.c -- the client's model without a terminal: API answers
 * and events change it, and the tests check what the screens would show.
 */
#include <check.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folio.h"
#include "json.h"
#include "mem.h"
#include "unit.h"
#include "utf8.h"

static struct account
acct(int64_t id, const char *name, int64_t unread, const char *when)
{
	struct account a = { id, xstrdup(name), unread, when ? xstrdup(when) : NULL, false, NULL };
	return a;
}

static void
load_accounts(struct model *m)
{
	struct account *v = xcalloc(4, sizeof *v);

	v[0] = acct(1, "Müller GmbH", 2, "2024-03-01T10:00:00Z");
	v[1] = acct(2, "Acme Ltd", 0, "2024-03-05T10:00:00Z");
	v[2] = acct(3, "Bäckerei Schmidt", 1, NULL);
	v[3] = acct(4, "東京商事", 0, "2024-02-01T10:00:00Z");
	model_accounts_set(m, v, 4, false);
}

static struct event
parse_event(const char *text)
{
	struct event ev;

	ck_assert_int_eq(decode_event(text, &ev), 0);
	return ev;
}

START_TEST(accounts_sorted_by_activity_then_name)
{
	struct model m;

	model_init(&m);
	load_accounts(&m);
	ck_assert_uint_eq(m.nshown, 4);
	ck_assert_str_eq(m.accounts[m.shown[0]].name, "Acme Ltd");
	ck_assert_str_eq(m.accounts[m.shown[1]].name, "Müller GmbH");
	ck_assert_str_eq(m.accounts[m.shown[3]].name, "Bäckerei Schmidt"); /* no activity: last */
	m.sort_by_name = true;
	model_accounts_refilter(&m);
	ck_assert_str_eq(m.accounts[m.shown[0]].name, "Acme Ltd");
	ck_assert_str_eq(m.accounts[m.shown[1]].name, "Bäckerei Schmidt");
	model_free(&m);
}
END_TEST

START_TEST(fold_matches_german_spellings)
{
	static const char *same[][2] = {
		{ "Müller Bau GmbH", "mueller bau gmbh" }, { "MÜLLER", "muller" },
		{ "Straße", "strasse" }, { "Öztürk", "oztuerk" }, { "Café Élysée", "cafe elysee" },
	};
	size_t i;
	char *a, *b;

	for (i = 0; i < sizeof same / sizeof same[0]; i++) {
		a = model_fold(same[i][0]);
		b = model_fold(same[i][1]);
		ck_assert_str_eq(a, b);
		free(a);
		free(b);
	}
	a = model_fold("山田 Trading");
	ck_assert_str_eq(a, "山田 trading");
	free(a);
}
END_TEST

START_TEST(a_status_belongs_to_its_screen)
{
	struct model m;

	model_init(&m);
	model_set_status(&m, 1, "marked unread");
	model_push(&m, SCR_THREADS);
	ck_assert_str_eq(m.status, "");
	model_set_status(&m, 2, "draft kept");
	ck_assert(model_pop(&m));
	ck_assert_str_eq(m.status, "");
	model_push(&m, SCR_NEWCHAT);
	model_form_focus(&m, FORM_REMIND_DAYS);
	ck_assert(m.num_fresh);
	ck_assert_int_eq(m.form_field, FORM_REMIND_DAYS);
	model_form_focus(&m, FORM_FIELDS);
	ck_assert_int_eq(m.form_field, 0);
	model_free(&m);
}
END_TEST

START_TEST(filter_narrows_and_keeps_selection)
{
	struct model m;

	model_init(&m);
	load_accounts(&m);
	model_move(&m.acc_pos, m.nshown, 1, 10); /* Müller */
	ck_assert_str_eq(model_account_selected(&m)->name, "Müller GmbH");
	buf_puts(&m.filter, "GMBH");
	model_accounts_refilter(&m);
	ck_assert_uint_eq(m.nshown, 1);
	ck_assert_str_eq(model_account_selected(&m)->name, "Müller GmbH");
	buf_reset(&m.filter);
	buf_puts(&m.filter, "商");
	model_accounts_refilter(&m);
	ck_assert_uint_eq(m.nshown, 1);
	ck_assert_str_eq(model_account_selected(&m)->name, "東京商事");
	buf_puts(&m.filter, "x");
	model_accounts_refilter(&m);
	ck_assert_uint_eq(m.nshown, 0);
	ck_assert_ptr_null(model_account_selected(&m));
	model_free(&m);
}
END_TEST

START_TEST(list_cursor_stays_in_range_and_on_screen)
{
	struct listpos p = { 0, 0 };

	model_move(&p, 10, 5, 3);
	ck_assert_uint_eq(p.sel, 5);
	ck_assert_uint_eq(p.top, 3);
	model_move(&p, 10, 100, 3);
	ck_assert_uint_eq(p.sel, 9);
	ck_assert_uint_eq(p.top, 7);
	model_move(&p, 10, -100, 3);
	ck_assert_uint_eq(p.sel, 0);
	ck_assert_uint_eq(p.top, 0);
	model_move(&p, 0, 1, 3);
	ck_assert_uint_eq(p.sel, 0);
}
END_TEST

START_TEST(screens_stack)
{
	struct model m;

	model_init(&m);
	ck_assert_int_eq(model_screen(&m), SCR_ACCOUNTS);
	model_push(&m, SCR_THREADS);
	model_push(&m, SCR_HELP);
	ck_assert_int_eq(m.help_from, SCR_THREADS);
	ck_assert(model_pop(&m));
	ck_assert(model_pop(&m));
	ck_assert(!model_pop(&m));
	ck_assert_int_eq(model_screen(&m), SCR_ACCOUNTS);
	model_free(&m);
}
END_TEST

/* Opens thread 7 of account 1 with three messages, the last two unread. */
static void
open_thread(struct model *m)
{
	struct thread t = { 0 };
	struct message *v = xcalloc(3, sizeof *v);
	const char *texts[] = {
		"{\"id\":10,\"thread_id\":7,\"author\":{\"kind\":\"staff\",\"id\":100,\"name\":\"Me\"},\"body\":\"a\"}",
		"{\"id\":11,\"thread_id\":7,\"author\":{\"kind\":\"contact\",\"id\":200,\"name\":\"C\"},\"body\":\"b\"}",
		"{\"id\":12,\"thread_id\":7,\"author\":{\"kind\":\"contact\",\"id\":200,\"name\":\"C\"},\"body\":\"c\",\"internal\":false}",
	};
	struct json_object *o;
	int i;

	m->me_id = 100;
	t.id = 7;
	t.account_id = 1;
	t.subject = xstrdup("Receipts");
	t.unread = 2;
	model_thread_open(m, &t);
	thread_clear(&t);
	for (i = 0; i < 3; i++) {
		o = json_tokener_parse(texts[i]);
		ck_assert_int_eq(decode_message(o, &v[i]), 0);
		json_object_put(o);
	}
	model_messages_set(m, v, 3, true);
}

START_TEST(divider_at_first_unread_not_own)
{
	struct model m;

	model_init(&m);
	open_thread(&m);
	ck_assert_int_eq(m.first_unread, 11);
	ck_assert(m.has_older);
	ck_assert_int_eq(model_last_message_id(&m), 12);
	model_free(&m);
}
END_TEST

START_TEST(event_message_appends_once_and_counts_unread)
{
	struct model m;
	struct event ev;
	bool post_read;

	model_init(&m);
	load_accounts(&m);
	open_thread(&m);
	/* Not on the thread screen: the message counts as unread for thread and account. */
	ev = parse_event("{\"id\":5,\"type\":\"message.created\",\"thread_id\":7,\"account_id\":1,"
			 "\"message\":{\"id\":13,\"thread_id\":7,\"author\":{\"kind\":\"contact\",\"id\":200,"
			 "\"name\":\"C\"},\"body\":\"new one\",\"created_at\":\"2024-03-09T10:00:00Z\"}}");
	model_apply_event(&m, &ev, &post_read);
	ck_assert(!post_read);
	ck_assert_uint_eq(m.nmsgs, 4);
	ck_assert_int_eq(m.last_event, 5);
	ck_assert_int_eq(model_account_find(&m, 1)->unread, 3);
	ck_assert_str_eq(m.accounts[m.shown[0]].name, "Müller GmbH"); /* moved to the top */
	/* The same event again (a replay) adds nothing. */
	model_apply_event(&m, &ev, &post_read);
	ck_assert_uint_eq(m.nmsgs, 4);
	event_clear(&ev);
	/* On the thread screen, a new message asks for the read marker to move. */
	model_push(&m, SCR_THREADS);
	model_push(&m, SCR_THREAD);
	ev = parse_event("{\"id\":6,\"type\":\"message.created\",\"thread_id\":7,\"account_id\":1,"
			 "\"message\":{\"id\":14,\"thread_id\":7,\"author\":{\"kind\":\"contact\",\"id\":200,"
			 "\"name\":\"C\"},\"body\":\"seen\"}}");
	model_apply_event(&m, &ev, &post_read);
	ck_assert(post_read);
	ck_assert_int_eq(model_account_find(&m, 1)->unread, 3);
	event_clear(&ev);
	model_free(&m);
}
END_TEST

START_TEST(local_echo_replaced_by_server_copy)
{
	struct model m;
	struct message echo = { 0 }, real = { 0 };

	model_init(&m);
	open_thread(&m);
	echo.id = -1;
	echo.author_id = 100;
	echo.author_kind = "staff";
	echo.author_name = "Me";
	echo.body = "hello";
	echo.client_msg_id = "abc";
	echo.state = MSG_SENDING;
	model_message_add(&m, &echo);
	ck_assert_uint_eq(m.nmsgs, 4);
	/* Someone else's message arriving first goes before the echo. */
	real.id = 20;
	real.author_id = 200;
	real.author_kind = "contact";
	real.author_name = "C";
	real.body = "x";
	model_message_add(&m, &real);
	ck_assert_int_eq(m.msgs[3].id, 20);
	ck_assert_int_eq(m.msgs[4].id, -1);
	real.id = 21;
	real.author_id = 100;
	real.body = "hello";
	real.client_msg_id = "abc";
	ck_assert(!model_message_add(&m, &real));
	ck_assert_uint_eq(m.nmsgs, 5);
	ck_assert_int_eq(m.msgs[4].id, 21);
	ck_assert_int_eq(m.msgs[4].state, MSG_SENT);
	model_free(&m);
}
END_TEST

START_TEST(message_updated_replaces_held_message)
{
	struct model m;
	struct event ev;
	bool post_read;

	model_init(&m);
	open_thread(&m);
	m.dirty = 0;
	ev = parse_event("{\"id\":8,\"type\":\"message.updated\",\"thread_id\":7,\"account_id\":1,"
			 "\"message\":{\"id\":11,\"thread_id\":7,\"author\":{\"kind\":\"contact\",\"id\":200,"
			 "\"name\":\"C\"},\"body\":\"b\",\"delivery\":{\"sent\":0,\"pending\":0,\"failed\":1,"
			 "\"failures\":[{\"email\":\"c@example.com\",\"error\":\"550 no\"}]}}}");
	ck_assert_int_eq(model_apply_event(&m, &ev, &post_read), 0);
	ck_assert(!post_read);
	ck_assert_uint_eq(m.nmsgs, 3); /* replaced, not added */
	ck_assert_int_eq(m.msgs[1].id, 11);
	ck_assert_uint_eq(m.msgs[1].nfailures, 1);
	ck_assert(m.dirty & DIRTY_BODY);
	event_clear(&ev);
	/* A message not held (or of another thread) is not added. */
	ev = parse_event("{\"id\":9,\"type\":\"message.updated\",\"thread_id\":7,\"account_id\":1,"
			 "\"message\":{\"id\":99,\"thread_id\":7,\"author\":{\"kind\":\"contact\",\"id\":200,"
			 "\"name\":\"C\"},\"body\":\"z\"}}");
	model_apply_event(&m, &ev, &post_read);
	ck_assert_uint_eq(m.nmsgs, 3);
	event_clear(&ev);
	model_free(&m);
}
END_TEST

START_TEST(read_marker_moves_account_count)
{
	struct model m;
	struct thread *v = xcalloc(1, sizeof *v);

	model_init(&m);
	load_accounts(&m);
	v[0].id = 7;
	v[0].account_id = 1;
	v[0].subject = xstrdup("Receipts");
	v[0].unread = 2;
	m.account_id = 1;
	model_threads_set(&m, v, 1);
	model_mark_read(&m, 7, 0);
	ck_assert_int_eq(model_thread_find(&m, 7)->unread, 0);
	ck_assert_int_eq(model_account_find(&m, 1)->unread, 0);
	model_free(&m);
}
END_TEST

START_TEST(thread_event_upserts_and_asks_refetch_when_unknown)
{
	struct model m;
	struct event ev;
	bool post_read, refetch;

	model_init(&m);
	load_accounts(&m);
	m.account_id = 1;
	model_threads_set(&m, xcalloc(1, sizeof(struct thread)), 0);
	ev = parse_event("{\"id\":9,\"type\":\"thread.created\",\"thread\":{\"id\":8,\"account_id\":1,"
			 "\"subject\":\"New\",\"unread_count\":1,\"archived\":false,\"tasks\":[{\"id\":1,"
			 "\"title\":\"t\",\"done\":true},{\"id\":2,\"title\":\"u\",\"done\":false}],"
			 "\"reminders\":{\"enabled\":true,\"interval_days\":3,\"max_count\":2}}}");
	refetch = model_apply_event(&m, &ev, &post_read);
	ck_assert(refetch);
	ck_assert_uint_eq(m.nthreads, 1);
	ck_assert_str_eq(m.threads[0].subject, "New");
	ck_assert_int_eq(m.threads[0].tasks_done, 1);
	ck_assert_int_eq(m.threads[0].tasks_total, 2);
	ck_assert(m.threads[0].rem_enabled);
	event_clear(&ev);
	/* Another account's thread does not enter this list. */
	ev = parse_event("{\"id\":10,\"type\":\"thread.created\",\"thread\":{\"id\":9,\"account_id\":2,"
			 "\"subject\":\"Other\"}}");
	model_apply_event(&m, &ev, &post_read);
	ck_assert_uint_eq(m.nthreads, 1);
	event_clear(&ev);
	model_free(&m);
}
END_TEST

START_TEST(older_page_prepends_without_duplicates)
{
	struct model m;
	struct message *v = xcalloc(2, sizeof *v);

	model_init(&m);
	open_thread(&m);
	v[0].id = 8;
	v[0].author_name = xstrdup("A");
	v[0].author_kind = xstrdup("staff");
	v[0].body = xstrdup("old");
	v[1].id = 10; /* already there */
	v[1].author_name = xstrdup("A");
	v[1].author_kind = xstrdup("staff");
	v[1].body = xstrdup("dup");
	model_messages_prepend(&m, v, 2, false);
	ck_assert_uint_eq(m.nmsgs, 4);
	ck_assert_int_eq(m.msgs[0].id, 8);
	ck_assert_int_eq(m.msgs[1].id, 10);
	ck_assert(!m.has_older);
	model_free(&m);
}
END_TEST

START_TEST(new_message_moves_thread_to_top_keeping_cursor)
{
	struct model m;
	struct thread *v = xcalloc(2, sizeof *v);
	struct event ev;
	bool post_read;

	model_init(&m);
	load_accounts(&m);
	m.account_id = 1;
	v[0].id = 7, v[0].account_id = 1, v[0].subject = xstrdup("A");
	v[1].id = 8, v[1].account_id = 1, v[1].subject = xstrdup("B");
	model_threads_set(&m, v, 2);
	ck_assert_int_eq(model_thread_selected(&m)->id, 7);
	ev = parse_event("{\"id\":3,\"type\":\"message.created\",\"thread_id\":8,\"account_id\":1,"
			 "\"message\":{\"id\":30,\"thread_id\":8,\"author\":{\"kind\":\"contact\",\"id\":5,"
			 "\"name\":\"C\"},\"body\":\"x\"}}");
	model_apply_event(&m, &ev, &post_read);
	ck_assert_int_eq(m.threads[0].id, 8);
	ck_assert_int_eq(m.threads[0].unread, 1);
	ck_assert_int_eq(model_thread_selected(&m)->id, 7);
	event_clear(&ev);
	model_free(&m);
}
END_TEST

START_TEST(drafts_and_outbox_on_disk)
{
	char dir[] = "/tmp/folio-unit-XXXXXX";
	struct draft d = { 0 }, back;
	struct job *j, *loaded[4];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("XDG_STATE_HOME", dir, 1);
	d.body = "Grüße 東京";
	d.internal = true;
	ck_assert_int_eq(store_draft_save(42, &d), 0);
	ck_assert_int_eq(store_draft_load(42, &back), 0);
	ck_assert_str_eq(back.body, "Grüße 東京");
	ck_assert(back.internal);
	store_draft_clear(&back);
	store_draft_remove(42);
	ck_assert_int_eq(store_draft_load(42, &back), -1);
	j = store_outbox_add(api_send(42, "{\"body\":\"x\"}"), "abc");
	ck_assert_str_eq(j->path, "/api/v1/threads/42/messages");
	ck_assert_uint_eq(store_outbox_count(), 1);
	ck_assert_uint_eq(store_outbox_load(loaded, 4), 1);
	ck_assert_int_eq(loaded[0]->kind, JOB_SEND);
	ck_assert_int_eq(loaded[0]->thread_id, 42);
	ck_assert_str_eq(loaded[0]->path, "/api/v1/threads/42/messages");
	ck_assert_str_eq(loaded[0]->body, "{\"body\":\"x\"}");
	store_outbox_remove(j->outbox);
	ck_assert_uint_eq(store_outbox_count(), 0);
	job_free(loaded[0]);
	job_free(j);
}
END_TEST

START_TEST(decode_ignores_unknown_and_refuses_missing_id)
{
	struct json_object *o = json_tokener_parse("{\"name\":\"x\",\"extra\":[1,2]}");
	struct account a;
	struct event ev;

	ck_assert_int_eq(decode_account(o, &a), -1);
	json_object_put(o);
	o = json_tokener_parse("{\"id\":3,\"name\":\"x\",\"unread_count\":4,\"whatever\":{}}");
	ck_assert_int_eq(decode_account(o, &a), 0);
	ck_assert_int_eq(a.unread, 4);
	account_clear(&a);
	json_object_put(o);
	ck_assert_int_eq(decode_event("not json", &ev), -1);
	ck_assert_int_eq(decode_event("{\"type\":\"x\"}", &ev), -1);
}
END_TEST

/* A thread event carries no per-user unread_count: the counts must stay as they are. */
START_TEST(thread_event_without_unread_keeps_counts)
{
	struct model m;
	struct thread *v = xcalloc(1, sizeof *v);
	struct event ev;
	bool post_read;

	model_init(&m);
	load_accounts(&m);
	m.account_id = 1;
	v[0].id = 7;
	v[0].account_id = 1;
	v[0].subject = xstrdup("Receipts");
	v[0].unread = 2;
	model_threads_set(&m, v, 1);
	ev = parse_event("{\"id\":5,\"type\":\"thread.updated\",\"thread\":{\"id\":7,\"account_id\":1,"
			 "\"subject\":\"Receipts 2024\",\"archived\":false}}");
	ck_assert_int_eq(model_apply_event(&m, &ev, &post_read), 0);
	ck_assert_str_eq(m.threads[0].subject, "Receipts 2024");
	ck_assert_int_eq(m.threads[0].unread, 2);
	ck_assert_int_eq(model_account_find(&m, 1)->unread, 2);
	event_clear(&ev);
	/* Our marker moved on another device: thread.read says the new count. */
	ev = parse_event("{\"id\":6,\"type\":\"thread.read\",\"thread_id\":7,\"account_id\":1,"
			 "\"up_to_message_id\":12,\"unread_count\":0}");
	ck_assert_int_eq(model_apply_event(&m, &ev, &post_read), 0);
	ck_assert_int_eq(m.threads[0].unread, 0);
	ck_assert_int_eq(model_account_find(&m, 1)->unread, 0);
	event_clear(&ev);
	/* ... and for a thread we do not hold, the account is fetched again. */
	ev = parse_event("{\"id\":7,\"type\":\"thread.read\",\"thread_id\":99,\"account_id\":3,"
			 "\"unread_count\":0}");
	ck_assert_int_eq(model_apply_event(&m, &ev, &post_read), 3);
	event_clear(&ev);
	model_free(&m);
}
END_TEST

START_TEST(archived_thread_leaves_the_open_list)
{
	struct model m;
	struct thread *v = xcalloc(2, sizeof *v), t = { 0 };
	int i;

	model_init(&m);
	m.account_id = 1;
	for (i = 0; i < 2; i++) {
		v[i].id = 7 + i;
		v[i].account_id = 1;
		v[i].subject = xstrdup("s");
	}
	model_threads_set(&m, v, 2);
	model_thread_open(&m, &v[1]);
	t.id = 8;
	t.account_id = 1;
	t.subject = "s";
	t.archived = true;
	model_thread_update(&m, &t);
	ck_assert_uint_eq(m.nthreads, 1);
	ck_assert_int_eq(m.threads[0].id, 7);
	ck_assert(m.thread.archived);
	model_free(&m);
}
END_TEST

START_TEST(assigned_filter_keeps_only_its_threads)
{
	struct model m;
	struct thread *v = xcalloc(2, sizeof *v), t = { 0 };
	int i;

	model_init(&m);
	m.me_id = 5;
	m.account_id = 1;
	m.assigned = ASSIGNED_NONE;
	for (i = 0; i < 2; i++) {
		v[i].id = 7 + i;
		v[i].account_id = 1;
		v[i].subject = xstrdup("s");
	}
	model_threads_set(&m, v, 2);
	t.id = 8;
	t.account_id = 1;
	t.subject = "s";
	t.assignee_id = 5; /* taken: it leaves the unassigned list */
	model_thread_update(&m, &t);
	ck_assert_uint_eq(m.nthreads, 1);
	ck_assert_int_eq(m.threads[0].id, 7);
	m.assigned = ASSIGNED_ME;
	model_threads_set(&m, NULL, 0);
	model_thread_update(&m, &t); /* mine now: it joins the "assigned to me" list */
	ck_assert_uint_eq(m.nthreads, 1);
	t.assignee_id = 6;
	model_thread_update(&m, &t);
	ck_assert_uint_eq(m.nthreads, 0);
	ck_assert(model_threads_view(&m) != (int64_t)ASSIGNED_NONE << 3);
	model_free(&m);
}
END_TEST

START_TEST(template_renders_like_the_server)
{
	char name[260], *s = model_template_render("Hallo {{contact.first_name}} ({{contact.name}}), "
	    "{{account.name}} / {{firm.name}} {{other}}", "Carla Kunde", "Müller Bau GmbH",
	    "Kanzlei Demo");

	ck_assert_str_eq(s, "Hallo Carla (Carla Kunde), Müller Bau GmbH / Kanzlei Demo {{other}}");
	free(s);
	/* Not known yet: the placeholder stays, to be filled once it is. */
	s = model_template_render("{{account.name}}: {{contact.first_name}}", NULL, "Acme", NULL);
	ck_assert_str_eq(s, "Acme: {{contact.first_name}}");
	free(s);
	/* A first name of any length, whole: as split_part() gives it, never cut mid-character. */
	memset(name, 'a', 254);
	memcpy(name + 254, "\xc3\xa9 Z", 5);
	s = model_template_render("{{contact.first_name}}", name, NULL, NULL);
	ck_assert_uint_eq(strlen(s), 256);
	ck_assert(utf8_valid(s, strlen(s)));
	free(s);
}
END_TEST

static struct account *
page(int64_t first, size_t n)
{
	struct account *v = xcalloc(n, sizeof *v);
	char name[32];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "Client %lld", (long long)(first + (int64_t)i));
		v[i] = acct(first + (int64_t)i, name, 0, NULL);
	}
	return v;
}

/* The first list shows page by page; a refetch shows nothing until its last page. */
START_TEST(accounts_refetch_swaps_whole_keeping_marks)
{
	struct model m;
	struct account a = { 0 };

	model_init(&m);
	model_accounts_page(&m, page(1, 3), 3, true, false);
	ck_assert_uint_eq(m.nshown, 3);
	model_accounts_page(&m, page(4, 3), 3, false, true);
	ck_assert_uint_eq(m.nshown, 6);
	model_account_find(&m, 5)->marked = true;
	model_accounts_page(&m, page(1, 3), 3, true, false);
	ck_assert_uint_eq(m.naccounts, 6); /* the old list stays up meanwhile */
	model_accounts_page(&m, page(4, 4), 4, false, true);
	ck_assert_uint_eq(m.naccounts, 7);
	ck_assert(model_account_find(&m, 5)->marked);
	a.id = 7;
	a.unread = 4;
	a.last_activity = "2030-01-01T00:00:00Z";
	model_account_update(&m, &a);
	ck_assert_int_eq(model_account_find(&m, 7)->unread, 4);
	ck_assert_int_eq(m.accounts[m.shown[0]].id, 7); /* the latest activity comes first */
	model_free(&m);
}
END_TEST

/* Answers change the model and ask for follow-up requests; they never run actions. */
START_TEST(answers_ask_for_requests_instead_of_calling_actions)
{
	struct model m;
	struct thread t = { 0 };
	int64_t account;

	model_init(&m);
	load_accounts(&m);
	model_me_set(&m, 9, "Olga", "Kanzlei", true);
	ck_assert_int_eq(model_wants_take(&m, &account), WANT_STAFF);
	ck_assert_int_eq(m.me_id, 9);
	ck_assert_str_eq(m.firm_name, "Kanzlei");
	ck_assert_int_eq(model_wants_take(&m, &account), 0); /* taken once */

	/* The stream comes up without a resume point: everything again, accounts only once loaded. */
	model_stream_set(&m, STREAM_UP, true, false, 1000);
	ck_assert(m.polling);
	ck_assert_int_eq(model_wants_take(&m, &account), WANT_REFRESH | WANT_ACCOUNTS | WANT_OUTBOX);
	m.accounts_loading = true;
	model_stream_set(&m, STREAM_UP, false, false, 1000);
	ck_assert_int_eq(model_wants_take(&m, &account), WANT_REFRESH | WANT_OUTBOX);
	model_stream_set(&m, STREAM_UP, false, true, 1000); /* resumed: the backlog brings the rest */
	ck_assert_int_eq(model_wants_take(&m, &account), WANT_OUTBOX);
	model_stream_set(&m, STREAM_RESYNC, false, false, 1000);
	ck_assert_int_eq(model_wants_take(&m, &account), WANT_REFRESH | WANT_ACCOUNTS);
	ck_assert_ptr_nonnull(strstr(m.status, "events were lost"));
	model_stream_set(&m, STREAM_UNAUTHORIZED, false, false, 1000);
	ck_assert(m.session_dead);

	/* A new chat from the accounts screen: its account's threads, then the chat itself. */
	t.id = 77;
	t.account_id = 3;
	t.subject = "Belege Q3";
	model_chat_created(&m, &t);
	ck_assert_int_eq(model_screen(&m), SCR_THREAD);
	ck_assert_int_eq(m.depth, 3);
	ck_assert_int_eq(m.account_id, 3);
	ck_assert_int_eq(m.thread.id, 77);
	ck_assert_int_eq(model_wants_take(&m, &account), WANT_THREADS | WANT_MESSAGES);
	model_chat_created(&m, &t); /* while reading: nothing moves */
	ck_assert_int_eq(m.depth, 3);
	ck_assert_int_eq(model_wants_take(&m, &account), 0);

	model_want_account(&m, 2);
	ck_assert_int_eq(model_wants_take(&m, &account), WANT_ACCOUNT);
	ck_assert_int_eq(account, 2);

	m.threads_loading = m.msgs_loading = true;
	model_load_failed(&m, JOB_THREADS, 0);
	ck_assert(!m.threads_loading && m.msgs_loading);
	m.accounts_loading = true;
	model_load_failed(&m, JOB_ACCOUNTS, m.accounts_gen + 1); /* an older fetch's page */
	ck_assert(m.accounts_loading);
	model_load_failed(&m, JOB_ACCOUNTS, m.accounts_gen);
	ck_assert(!m.accounts_loading);
	model_free(&m);
}
END_TEST

/* The request constructors: one per API call, context in named fields. */
START_TEST(api_jobs_carry_typed_context)
{
	struct api_threads_query q = { 5, false, false, true, ASSIGNED_ME, 0, 12 };
	struct job *j, *n;

	j = api_threads(&q);
	ck_assert_int_eq(j->kind, JOB_THREADS);
	ck_assert_str_eq(j->path, "/api/v1/threads?account_id=5&archived=true&limit=200&assigned_to=me");
	ck_assert_int_eq(j->account_id, 5);
	ck_assert_int_eq(j->gen, 12);
	job_free(j);
	q.view_as = 5;
	j = api_threads(&q);
	ck_assert_str_eq(j->path,
	    "/api/v1/threads?account_id=5&archived=true&limit=200&view_as_account=5");
	job_free(j);
	j = api_messages(8, 40, 0);
	ck_assert_int_eq(j->kind, JOB_OLDER);
	ck_assert_str_eq(j->path, "/api/v1/threads/8/messages?limit=50&before=40");
	ck_assert_int_eq(j->thread_id, 8);
	job_free(j);
	j = api_accounts(3, false);
	n = api_next(j, "a b");
	ck_assert_str_eq(n->path, "/api/v1/accounts?limit=200&cursor=a%20b");
	ck_assert(n->next_page && n->gen == 3);
	job_free(j);
	j = api_next(n, "c");
	ck_assert_str_eq(j->path, "/api/v1/accounts?limit=200&cursor=c");
	job_free(n);
	job_free(j);
	j = api_login("a@b.test", "pw \"x\"", 7, NULL);
	ck_assert_str_eq(j->method, "POST");
	ck_assert_str_eq(j->path, "/api/v1/sessions");
	ck_assert_ptr_nonnull(strstr(j->body, "\"firm_id\":7"));
	ck_assert_ptr_null(strstr(j->body, "totp"));
	job_free(j);
	j = api_login("a@b.test", "pw", 0, "123456");
	ck_assert_ptr_null(strstr(j->body, "firm_id"));
	ck_assert_ptr_nonnull(strstr(j->body, "\"totp\":\"123456\""));
	job_free(j);
	j = api_totp(NULL, NULL, NULL);
	ck_assert_str_eq(j->method, "GET");
	ck_assert_str_eq(j->path, "/api/v1/me/totp");
	job_free(j);
	j = api_totp("disable", "pw", "654321");
	ck_assert_str_eq(j->path, "/api/v1/me/totp/disable");
	ck_assert_ptr_nonnull(strstr(j->body, "\"code\":\"654321\""));
	job_free(j);
	j = api_patch(4, "{}", "archived");
	ck_assert_str_eq(j->method, "PATCH");
	ck_assert_str_eq(j->says, "archived");
	job_free(j);
}
END_TEST

START_TEST(remind_spec_parses_drafts_and_flags)
{
	bool on;
	long d, c;

	ck_assert_int_eq(model_remind_parse("", &on, &d, &c), 0);
	ck_assert(!on);
	ck_assert_int_eq(d, 3);
	ck_assert_int_eq(c, 1);
	ck_assert_int_eq(model_remind_parse("on", &on, &d, &c), 0);
	ck_assert(on);
	ck_assert_int_eq(model_remind_parse("5:3", &on, &d, &c), 0);
	ck_assert(on && d == 5 && c == 3);
	ck_assert_int_eq(model_remind_parse("off:7:2", &on, &d, &c), 0);
	ck_assert(!on && d == 7 && c == 2);
	ck_assert_int_eq(model_remind_parse("on:2:4", &on, &d, &c), 0);
	ck_assert(on && d == 2 && c == 4);
	ck_assert_int_eq(model_remind_parse("0:1", &on, &d, &c), -1);
	ck_assert_int_eq(model_remind_parse("3:101", &on, &d, &c), -1);
	ck_assert_int_eq(model_remind_parse("soon", &on, &d, &c), -1);
}
END_TEST

static Suite *
model_suite(void)
{
	Suite *s = suite_create("tui-model");
	TCase *tc = tcase_create("model");

	tcase_add_test(tc, accounts_sorted_by_activity_then_name);
	tcase_add_test(tc, filter_narrows_and_keeps_selection);
	tcase_add_test(tc, list_cursor_stays_in_range_and_on_screen);
	tcase_add_test(tc, screens_stack);
	tcase_add_test(tc, divider_at_first_unread_not_own);
	tcase_add_test(tc, event_message_appends_once_and_counts_unread);
	tcase_add_test(tc, local_echo_replaced_by_server_copy);
	tcase_add_test(tc, message_updated_replaces_held_message);
	tcase_add_test(tc, read_marker_moves_account_count);
	tcase_add_test(tc, thread_event_upserts_and_asks_refetch_when_unknown);
	tcase_add_test(tc, older_page_prepends_without_duplicates);
	tcase_add_test(tc, new_message_moves_thread_to_top_keeping_cursor);
	tcase_add_test(tc, drafts_and_outbox_on_disk);
	tcase_add_test(tc, decode_ignores_unknown_and_refuses_missing_id);
	tcase_add_test(tc, thread_event_without_unread_keeps_counts);
	tcase_add_test(tc, archived_thread_leaves_the_open_list);
	tcase_add_test(tc, accounts_refetch_swaps_whole_keeping_marks);
	tcase_add_test(tc, remind_spec_parses_drafts_and_flags);
	tcase_add_test(tc, fold_matches_german_spellings);
	tcase_add_test(tc, a_status_belongs_to_its_screen);
	tcase_add_test(tc, assigned_filter_keeps_only_its_threads);
	tcase_add_test(tc, template_renders_like_the_server);
	tcase_add_test(tc, answers_ask_for_requests_instead_of_calling_actions);
	tcase_add_test(tc, api_jobs_carry_typed_context);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	return unit_run(model_suite());
}
