/*
 * fuzz_tui_event.c -- the client's decoder of what the server sends
 * (decode.c): event frames off the stream, applied to a model as the
 * client does (model_apply_event), and the same JSON read as each list
 * item the API answers with. The input is frames, one a line. Besides not
 * crashing or leaking: a decoded event has a type, the model only moves
 * forward in events, and its list positions stay inside its lists.
 */
#include "fuzz.h"
#include "folio.h"
#include "json.h"
#include "mem.h"
#include "utf8.h"

/* Every list decoder on one object, each result freed again. */
static void
fuzz_decode_items(struct json_object *o)
{
	struct account a;
	struct thread t;
	struct message msg;
	struct template_ref tr;
	struct staff_ref s;
	struct notification n;
	struct ledger l;

	if (decode_account(o, &a) == 0)
		account_clear(&a);
	if (decode_thread(o, &t) == 0)
		thread_clear(&t);
	if (decode_message(o, &msg) == 0)
		message_clear(&msg);
	if (decode_template(o, &tr) == 0)
		template_clear(&tr);
	if (decode_staff(o, &s) == 0) {
		FUZZ_CHECK(s.name != NULL);
		staff_clear(&s);
	}
	if (decode_notification(o, &n) == 0) {
		FUZZ_CHECK(n.type != NULL);
		notification_clear(&n);
	}
	if (decode_ledger(o, &l) == 0)
		ledger_clear(&l);
}

static void
fuzz_decode_list(const char *frame)
{
	const struct json_limits lim = { 64, 16u << 20 };
	struct json_object *o, *items;
	const char *next;
	char err[128];
	size_t i;

	if ((o = json_parse(frame, strlen(frame), &lim, err, sizeof err)) == NULL)
		return;
	fuzz_decode_items(o);
	if (json_object_is_type(o, json_type_object) && (items = decode_items(o, &next)) != NULL)
		for (i = 0; i < json_object_array_length(items); i++)
			fuzz_decode_items(json_object_array_get_idx(items, i));
	json_object_put(o);
}

static void
fuzz_decode_event(struct model *m, const char *frame)
{
	int64_t before = m->last_event;
	struct event ev;
	bool post_read;

	if (decode_event(frame, &ev) != 0)
		return;
	FUZZ_CHECK(ev.type != NULL && utf8_valid(ev.type, strlen(ev.type)));
	model_apply_event(m, &ev, &post_read);
	FUZZ_CHECK(m->last_event >= before);
	FUZZ_CHECK(m->nthreads == 0 || m->thr_pos.sel < m->nthreads);
	FUZZ_CHECK(m->nnotes == 0 || m->note_pos.sel < m->nnotes);
	event_clear(&ev);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size), *frame, *nl;
	struct model m;

	model_init(&m);
	m.me_id = 2;
	m.me_staff = true;
	m.account_id = 1;
	m.thread.id = 1;
	m.thread.account_id = 1;
	m.thread.subject = xstrdup("Open");
	for (frame = text; frame; frame = nl) {
		if ((nl = strchr(frame, '\n')) != NULL)
			*nl++ = '\0';
		fuzz_decode_event(&m, frame);
		fuzz_decode_list(frame);
	}
	model_free(&m);
	free(text);
	return 0;
}
