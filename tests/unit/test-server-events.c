/* test-server-events.c -- unit tests of the event stream's pure parts: who sees what, frames. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "foliod.h"
#include "unit.h"

/* An event of firm 1, account 10, by user 5, with a staff and (optionally) a contact copy. */
static struct events_ev *
ev_make(int64_t account_id, bool staff_only, int64_t user_id, const char *contact, const char *actor)
{
	struct events_ev *ev = events_ev_new();

	ev->id = 42;
	snprintf(ev->type, sizeof ev->type, "%s", "message.created");
	ev->firm_id = 1;
	ev->account_id = account_id;
	ev->staff_only = staff_only;
	ev->user_id = user_id;
	ev->actor_id = 5;
	ev->payload[EV_STAFF] = xstrdup("{\"who\":\"staff\"}");
	ev->payload[EV_CONTACT] = contact ? xstrdup(contact) : NULL;
	ev->payload[EV_ACTOR] = actor ? xstrdup(actor) : NULL;
	return ev;
}

static const struct events_viewer staff = { 7, 1, 0, true };
static const struct events_viewer author = { 5, 1, 0, true };
static const struct events_viewer contact = { 8, 1, 10, false };
static const struct events_viewer other_contact = { 9, 1, 11, false };
static const struct events_viewer other_firm = { 3, 2, 0, true };
static const struct events_viewer view_as = { 0, 1, 10, false };

static const char *
text_for(struct events_ev *ev, const struct events_viewer *v)
{
	struct events_frame *f = events_frame_for(ev, v);

	return f ? f->text : NULL;
}

START_TEST(frames_join_id_type_and_payload)
{
	struct events_ev *ev = ev_make(10, false, 0, NULL, NULL);

	ck_assert_str_eq(text_for(ev, &staff), "{\"id\":42,\"type\":\"message.created\",\"who\":\"staff\"}");
	/* Built once per audience, shared. */
	ck_assert_ptr_eq(events_frame_for(ev, &staff), events_frame_for(ev, &contact));
	events_ev_unref(ev);
	ev = ev_make(10, false, 0, "{ }", NULL);
	ck_assert_str_eq(text_for(ev, &contact), "{\"id\":42,\"type\":\"message.created\"}");
	events_ev_unref(ev);
}
END_TEST

START_TEST(contacts_see_their_account_only)
{
	struct events_ev *ev = ev_make(10, false, 0, "{\"who\":\"contact\"}", NULL);

	ck_assert_str_eq(text_for(ev, &contact), "{\"id\":42,\"type\":\"message.created\",\"who\":\"contact\"}");
	ck_assert_str_eq(text_for(ev, &view_as), "{\"id\":42,\"type\":\"message.created\",\"who\":\"contact\"}");
	ck_assert_ptr_null(text_for(ev, &other_contact));
	ck_assert_ptr_null(text_for(ev, &other_firm));
	ck_assert_str_eq(text_for(ev, &staff), "{\"id\":42,\"type\":\"message.created\",\"who\":\"staff\"}");
	events_ev_unref(ev);
	/* No account: staff only. */
	ev = ev_make(0, false, 0, NULL, NULL);
	ck_assert_ptr_null(text_for(ev, &contact));
	ck_assert_ptr_nonnull(text_for(ev, &staff));
	events_ev_unref(ev);
}
END_TEST

START_TEST(staff_only_never_reaches_contacts)
{
	struct events_ev *ev = ev_make(10, true, 0, NULL, NULL);

	ck_assert_ptr_null(text_for(ev, &contact));
	ck_assert_ptr_null(text_for(ev, &view_as));
	ck_assert_ptr_nonnull(text_for(ev, &staff));
	events_ev_unref(ev);
	/* Even when addressed to a contact. */
	ev = ev_make(10, true, 8, NULL, NULL);
	ck_assert_ptr_null(text_for(ev, &contact));
	events_ev_unref(ev);
}
END_TEST

START_TEST(addressed_events_reach_one_user)
{
	struct events_ev *ev = ev_make(10, false, 8, NULL, NULL);

	ck_assert_ptr_nonnull(text_for(ev, &contact));
	ck_assert_ptr_null(text_for(ev, &staff));
	ck_assert_ptr_null(text_for(ev, &view_as)); /* staff viewing as the account are not user 8 */
	events_ev_unref(ev);
	ev = ev_make(0, false, 7, NULL, NULL);
	ck_assert_ptr_nonnull(text_for(ev, &staff));
	ck_assert_ptr_null(text_for(ev, &author));
	events_ev_unref(ev);
}
END_TEST

START_TEST(the_actor_gets_its_own_copy)
{
	struct events_ev *ev = ev_make(10, false, 0, NULL, "{\"who\":\"actor\"}");

	ck_assert_str_eq(text_for(ev, &author), "{\"id\":42,\"type\":\"message.created\",\"who\":\"actor\"}");
	ck_assert_str_eq(text_for(ev, &staff), "{\"id\":42,\"type\":\"message.created\",\"who\":\"staff\"}");
	events_ev_unref(ev);
	/* The actor's copy never beats the visibility rules. */
	ev = ev_make(10, true, 0, NULL, "{\"who\":\"actor\"}");
	ck_assert_ptr_null(text_for(ev, &contact));
	events_ev_unref(ev);
}
END_TEST

START_TEST(viewers_from_principals)
{
	struct principal u;
	struct events_viewer v;

	memset(&u, 0, sizeof u);
	u.id = 8;
	u.firm_id = 1;
	u.kind = USER_CONTACT;
	u.account_id = 10;
	events_viewer_of(&u, &v);
	ck_assert(!v.staff && v.user_id == 8 && v.account_id == 10 && v.firm_id == 1);
	u.id = 7;
	u.kind = USER_STAFF;
	events_viewer_of(&u, &v);
	ck_assert(v.staff && v.user_id == 7 && v.account_id == 0);
	u.kind = USER_CONTACT; /* as after ?view_as_account */
	u.view_as_account = 10;
	events_viewer_of(&u, &v);
	ck_assert(!v.staff && v.user_id == 0 && v.account_id == 10);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server");
	TCase *tc = tcase_create("events");

	tcase_add_test(tc, frames_join_id_type_and_payload);
	tcase_add_test(tc, contacts_see_their_account_only);
	tcase_add_test(tc, staff_only_never_reaches_contacts);
	tcase_add_test(tc, addressed_events_reach_one_user);
	tcase_add_test(tc, the_actor_gets_its_own_copy);
	tcase_add_test(tc, viewers_from_principals);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
