/*
 * test-tui-notify.c -- the client's model of what needs staff (Inbox+, the
 * reminder ledger, failed deliveries), the options table, the wide layout
 * and mouse hits, and the long-poll answers: all without a terminal.
 */
#include <check.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "folio.h"
#include "json.h"
#include "mem.h"
#include "unit.h"

static struct notification
note(int64_t id, int64_t thread, bool read)
{
	struct notification n = { 0 };

	n.id = id;
	n.thread_id = thread;
	n.type = xstrdup("message");
	n.subject = xstrdup("s");
	n.read = read;
	return n;
}

START_TEST(inbox_bumps_one_item_per_thread)
{
	struct model m;
	struct notification *v = xcalloc(3, sizeof *v);
	struct event ev;
	bool post_read;

	model_init(&m);
	v[0] = note(3, 30, false);
	v[1] = note(2, 20, true);
	v[2] = note(1, 10, false);
	model_notes_set(&m, v, 3);
	ck_assert_uint_eq(model_notes_unread(&m), 2);
	m.note_pos.sel = 1; /* on the item of thread 20 */
	ck_assert_int_eq(decode_event("{\"id\":9,\"type\":\"notification.created\",\"notification\":"
				      "{\"id\":1,\"type\":\"task\",\"thread_id\":10,\"account_id\":4,"
				      "\"account_name\":\"Acme\",\"subject\":\"Q1\",\"actor\":{\"kind\":"
				      "\"contact\",\"id\":5,\"name\":\"Carla\"},\"bumped_at\":"
				      "\"2026-01-01T10:00:00Z\",\"read\":false}}", &ev), 0);
	ck_assert(ev.has_note);
	model_apply_event(&m, &ev, &post_read);
	event_clear(&ev);
	ck_assert_uint_eq(m.nnotes, 3); /* bumped, not added */
	ck_assert_int_eq(m.notes[0].thread_id, 10);
	ck_assert_str_eq(m.notes[0].type, "task");
	ck_assert_str_eq(m.notes[0].actor_name, "Carla");
	ck_assert_int_eq(m.notes[m.note_pos.sel].thread_id, 20); /* the cursor stayed on its item */
	ck_assert(model_note_read(&m, 3));
	ck_assert(!model_note_read(&m, 99));
	ck_assert_uint_eq(model_notes_unread(&m), 1);
	/* A new thread's item comes on top. */
	ck_assert_int_eq(decode_event("{\"id\":10,\"type\":\"notification.created\",\"notification\":"
				      "{\"id\":7,\"type\":\"thread\",\"thread_id\":70}}", &ev), 0);
	model_apply_event(&m, &ev, &post_read);
	event_clear(&ev);
	ck_assert_uint_eq(m.nnotes, 4);
	ck_assert_int_eq(m.notes[0].id, 7);
	ck_assert_int_eq(model_note_selected(&m)->thread_id, 20);
	model_mark_read(&m, 70, 0); /* reading the thread reads its item */
	ck_assert(m.notes[0].read);
	model_free(&m);
}
END_TEST

START_TEST(ledger_decodes_and_belongs_to_the_open_thread)
{
	struct json_object *o = json_tokener_parse(
	    "{\"thread_id\":7,\"enabled\":true,\"interval_days\":5,\"max_count\":3,\"sent_count\":1,"
	    "\"next_due_at\":\"2026-01-10T00:00:00Z\",\"remaining\":2,\"ended_by\":null,\"items\":["
	    "{\"id\":1,\"kind\":\"reminder\",\"seq\":1,\"sent_at\":\"2026-01-05T00:00:00Z\","
	    "\"recipients\":[\"a@x.test\",\"b@x.test\"],\"state\":\"partly_failed\",\"deliveries\":["
	    "{\"email\":\"a@x.test\",\"state\":\"sent\"},{\"email\":\"b@x.test\",\"state\":\"failed\","
	    "\"error\":\"550 No such user\"}]},{\"id\":2,\"kind\":\"resend\",\"sent_at\":"
	    "\"2026-01-06T00:00:00Z\",\"recipients\":[],\"state\":\"no_recipients\"}]}");
	struct model m;
	struct thread t = { 0 };
	struct ledger l;

	ck_assert_int_eq(decode_ledger(o, &l), 0);
	json_object_put(o);
	ck_assert_int_eq(l.remaining, 2);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.items[0].recipients, "a@x.test, b@x.test");
	ck_assert_str_eq(l.items[0].error, "550 No such user");
	ck_assert_str_eq(l.items[1].kind, "resend");
	ck_assert_str_eq(l.items[1].recipients, "");
	model_init(&m);
	t.id = 8;
	t.subject = "other";
	model_thread_open(&m, &t);
	model_ledger_set(&m, &l); /* not the open thread's: dropped */
	ck_assert_int_eq(m.ledger.thread_id, 0);
	model_free(&m);
}
END_TEST

START_TEST(delivery_failures_become_lines)
{
	struct json_object *o = json_tokener_parse(
	    "{\"id\":4,\"author\":{\"kind\":\"staff\",\"id\":1,\"name\":\"O\"},\"body\":\"x\","
	    "\"delivery\":{\"sent\":1,\"pending\":0,\"failed\":1,\"failures\":[{\"email\":"
	    "\"b@x.test\",\"error\":\"550 5.1.1 No such user\"}]}}");
	struct message msg, copy;

	ck_assert_int_eq(decode_message(o, &msg), 0);
	json_object_put(o);
	ck_assert_uint_eq(msg.nfailures, 1);
	ck_assert_str_eq(msg.failures[0], "b@x.test: 550 5.1.1 No such user");
	message_copy(&copy, &msg);
	message_clear(&msg);
	ck_assert_str_eq(copy.failures[0], "b@x.test: 550 5.1.1 No such user");
	message_clear(&copy);
}
END_TEST

START_TEST(options_validate_and_env_wins)
{
	char err[128];

	ck_assert_str_eq(options_get("mouse"), "off");
	ck_assert(!options_on("mouse"));
	ck_assert_int_eq(options_set("mouse", "on", err, sizeof err), 0);
	ck_assert(options_on("mouse"));
	ck_assert_int_eq(options_set("mouse", "sometimes", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "on|off"));
	ck_assert_int_eq(options_set("nonsense", "1", err, sizeof err), -1);
	ck_assert_int_eq(options_set("wide", "200", err, sizeof err), 0);
	ck_assert_int_eq(options_number("wide"), 200);
	ck_assert_int_eq(options_set("wide", "-3", err, sizeof err), -1);
	ck_assert_int_eq(options_set("events", "poll", err, sizeof err), 0);
	ck_assert_int_eq(options_events_mode(), EVENTS_POLL);
	setenv("FOLIO_EVENTS", "websocket", 1);
	ck_assert_int_eq(options_events_mode(), EVENTS_WEBSOCKET);
	setenv("FOLIO_EVENTS", "bogus", 1); /* not a choice: ignored */
	ck_assert_int_eq(options_events_mode(), EVENTS_POLL);
	unsetenv("FOLIO_EVENTS");
}
END_TEST

START_TEST(panes_side_by_side_only_when_wide)
{
	struct pane p[PANES_MAX];
	struct model m;
	int n;

	model_init(&m);
	ck_assert_int_eq(model_panes(&m, 80, p), 1);
	ck_assert_int_eq(p[0].screen, SCR_ACCOUNTS);
	ck_assert_int_eq(p[0].cols, 80);
	n = model_panes(&m, 200, p);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(p[0].screen, SCR_ACCOUNTS);
	ck_assert_int_eq(p[1].screen, SCR_THREADS);
	ck_assert_int_eq(p[2].screen, SCR_THREAD);
	ck_assert_int_eq(p[2].x + p[2].cols, 200);
	ck_assert_int_eq(p[1].x, p[0].cols + 1); /* a line between */
	model_push(&m, SCR_INBOX);
	model_push(&m, SCR_THREAD);
	model_push(&m, SCR_COMPOSE);
	model_panes(&m, 160, p);
	ck_assert_int_eq(p[1].screen, SCR_INBOX);
	ck_assert_int_eq(p[2].screen, SCR_COMPOSE);
	ck_assert_int_ge(p[2].cols, 60);
	model_push(&m, SCR_HELP);
	ck_assert_int_eq(model_panes(&m, 200, p), 1);
	m.depth = 1;
	m.wide = 0;
	ck_assert_int_eq(model_panes(&m, 300, p), 1);
	model_free(&m);
}
END_TEST

START_TEST(list_hit_counts_rows_per_item)
{
	struct listpos p = { 3, 2 };

	ck_assert_int_eq(model_list_hit(&p, 10, 0, 1), 2);
	ck_assert_int_eq(model_list_hit(&p, 10, 3, 2), 3);
	ck_assert_int_eq(model_list_hit(&p, 10, 40, 1), -1);
	ck_assert_int_eq(model_list_hit(&p, 10, -1, 1), -1);
}
END_TEST

START_TEST(poll_answer_delivers_events_and_moves_since)
{
	int64_t since = 4;
	struct job *j;

	ck_assert_int_eq(events_poll_answer("{\"items\":[{\"id\":5,\"type\":\"thread.created\"},"
					    "{\"id\":6,\"type\":\"message.created\"}],\"next\":6}",
			     &since, true),
	    2);
	ck_assert_int_eq(since, 6);
	j = net_poll();
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(j->kind, JOB_EVENT);
	ck_assert_ptr_nonnull(strstr(j->reply, "thread.created"));
	ck_assert(j->resumed);
	job_free(j);
	job_free(net_poll());
	ck_assert_ptr_null(net_poll());
	ck_assert_int_eq(events_poll_answer("{\"items\":[],\"next\":6}", &since, false), 0);
	ck_assert_int_eq(since, 6);
	ck_assert_int_eq(events_poll_answer("{\"error\":{}}", &since, false), -1);
}
END_TEST

static Suite *
notify_suite(void)
{
	Suite *s = suite_create("tui-notify");
	TCase *tc = tcase_create("notify");

	tcase_add_test(tc, inbox_bumps_one_item_per_thread);
	tcase_add_test(tc, ledger_decodes_and_belongs_to_the_open_thread);
	tcase_add_test(tc, delivery_failures_become_lines);
	tcase_add_test(tc, options_validate_and_env_wins);
	tcase_add_test(tc, panes_side_by_side_only_when_wide);
	tcase_add_test(tc, list_hit_counts_rows_per_item);
	tcase_add_test(tc, poll_answer_delivers_events_and_moves_since);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	return unit_run(notify_suite());
}
