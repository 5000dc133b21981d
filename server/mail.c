/*
 * mail.c -- the delivery pass over the outbox: claim one due mail under a
 * lease, hand it to SMTP outside any transaction, record sent / retry later /
 * failed, and go on until nothing due is left that this instance may take.
 * A mail queued as who/what gets its words on its first attempt.
 * Any thread may run a pass (the worker thread, or the test clock route);
 * the lease and SKIP LOCKED keep two senders, in one process or in several,
 * from sending one mail twice.
 */
#include "foliod.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Longer than one SMTP conversation can take (curl gives up after 60 s). */
#define MAIL_LEASE_SECONDS 300
/* Mails per pass; the rest wait for the next pass. */
#define MAIL_PASS_MAX 1000

/* The outcome and what follows from it, in one transaction. Returns -1 on failure. */
static int
mail_finish(struct db *db, int64_t id, const char *lease, enum mail_result r, const char *err)
{
	struct mail_failed failed;

	if (db_begin(db) != 0 || db_mail_finish(db, id, lease, r, err, &failed) != 0 ||
	    activity_mail_failed(db, &failed) != 0 || db_commit(db) != 0) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

/* Records the outcome; after a lost connection, reconnects and tries again. */
static void
mail_record(struct db *db, int64_t id, const char *lease, enum mail_result r, const char *err)
{
	int i;

	/*
	 * A mail that went out but is not recorded would go again once its
	 * lease runs out: worth a few seconds of trying.
	 */
	for (i = 0; i < 5 && mail_finish(db, id, lease, r, err) != 0; i++) {
		if (!db->broken)
			break;
		db_close(db);
		sleep(1);
		db->broken = db_connect(db) != 0;
	}
	if (i == 5)
		log_error("mail %" PRId64 ": outcome not recorded; it may go again after its lease",
		    id);
}

/* The host part of the sender, for Message-IDs. */
static const char *
mail_domain(void)
{
	const char *at = strrchr(cfg.mail_from, '@');

	return at && mail_smtp_address_ok(cfg.mail_from) ? at + 1 : "localhost";
}

/*
 * Writes the words of a mail queued as who/what (its first attempt): the
 * context is loaded as the change left it (the message, the actor; a task as
 * it was then), composed for the recipient and stored on the row, so every
 * retry sends the same mail. Returns -1 when it could not (it stays due).
 */
static int
mail_compose_row(struct db *db, struct json_object *row, const char *lease)
{
	struct notify_ctx c;
	struct mail_text t;
	int64_t id = 0, thread_id = 0, message_id = 0, actor_id = 0, task_id = 0;
	const char *kind = NULL, *to_name = "";
	char rnd[33], *ident;
	int k, rc;

	json_get_int(row, "id", &id);
	json_get_int(row, "thread_id", &thread_id);
	json_get_int(row, "message_id", &message_id);
	json_get_int(row, "actor_id", &actor_id);
	json_get_int(row, "task_id", &task_id);
	json_get_string(row, "kind", &kind);
	json_get_string(row, "to_name", &to_name);
	if ((k = mail_compose_kind_parse(kind)) < 0 ||
	    db_notify_ctx_load(db, thread_id, message_id, actor_id, task_id, &c) != 0) {
		log_error("mail %" PRId64 ": cannot load what it is about", id);
		return -1;
	}
	if (task_id > 0) {
		/* Not a message: no message id, and the task as it was when it changed. */
		c.message_id = 0;
		c.mentions = NULL;
		json_get_bool(row, "task_done", &c.task_done);
	}
	mail_compose((enum mail_kind)k, &c, to_name, &t);
	auth_random_hex(rnd, 16);
	ident = xasprintf("<folio.%s@%s>", rnd, mail_domain());
	rc = db_mail_composed(db, id, lease, c.firm_name, &t, ident);
	if (rc == 0) {
		json_object_object_add(row, "from_name", json_object_new_string(c.firm_name));
		json_object_object_add(row, "subject", json_object_new_string(t.subject));
		json_object_object_add(row, "body_text", json_object_new_string(t.text));
		json_object_object_add(row, "body_html", json_object_new_string(t.html));
		json_object_object_add(row, "message_ident", json_object_new_string(ident));
	}
	free(ident);
	mail_compose_free(&t);
	db_notify_ctx_free(&c);
	return rc;
}

static void
mail_send_row(struct db *db, struct mail_smtp *s, struct json_object *row, const char *lease)
{
	struct mail_message m;
	char err[512];
	int64_t id = 0, attempts = 0;
	enum mail_result r;

	memset(&m, 0, sizeof m);
	json_get_int(row, "id", &id);
	json_get_int(row, "attempts", &attempts);
	if (json_get_string(row, "body_text", &m.text) != JSON_GET_OK &&
	    mail_compose_row(db, row, lease) != 0)
		return; /* its lease runs out and it is tried again */
	json_get_string(row, "to_email", &m.to_email);
	json_get_string(row, "to_name", &m.to_name);
	json_get_string(row, "from_name", &m.from_name);
	json_get_string(row, "subject", &m.subject);
	json_get_string(row, "body_text", &m.text);
	json_get_string(row, "body_html", &m.html);
	json_get_string(row, "message_ident", &m.message_id);
	err[0] = '\0';
	r = mail_smtp_send(s, &m, err, sizeof err);
	metrics_mail_result(r);
	if (r == MAIL_SENT)
		log_info("mail %" PRId64 ": sent to %s", id, m.to_email);
	else
		log_warn("mail %" PRId64 ": %s to %s (attempt %" PRId64 "): %s", id,
		    r == MAIL_FAILED ? "failed" : "will retry", m.to_email, attempts, err);
	mail_record(db, id, lease, r, err);
}

int
mail_deliver_due(struct db *db)
{
	static int warned;
	struct mail_smtp *s = NULL;
	struct json_object *row;
	char lease[33];
	int64_t due;
	int n;

	if (cfg.smtp_url == NULL || *cfg.smtp_url == '\0') {
		if (!warned++)
			log_warn("mail: no --smtp-url: mail waits in the outbox");
		return 0;
	}
	for (n = 0; n < MAIL_PASS_MAX && !http_stopping; n++) {
		auth_random_hex(lease, 16);
		if ((row = db_mail_claim(db, lease, MAIL_LEASE_SECONDS)) == NULL)
			break;
		if (s == NULL)
			s = mail_smtp_create(); /* one per pass: its connection serves every mail */
		mail_send_row(db, s, row, lease);
		json_object_put(row);
	}
	mail_smtp_free(s);
	if (db->broken)
		return -1;
	due = db_mail_due(db);
	return due < 0 ? -1 : due > 0;
}
