/*
 * mail.c -- the delivery pass over the outbox: claim one due mail under a
 * lease, hand it to SMTP outside any transaction, record sent / retry later /
 * failed, and go on until nothing due is left that this instance may take.
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

/* Records the outcome; after a lost connection, reconnects and tries again. */
static void
mail_record(struct db *db, int64_t id, const char *lease, enum mail_result r, const char *err)
{
	int i;

	/*
	 * A mail that went out but is not recorded would go again once its
	 * lease runs out: worth a few seconds of trying.
	 */
	for (i = 0; i < 5 && db_mail_finish(db, id, lease, r, err) != 0; i++) {
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
	json_get_string(row, "to_email", &m.to_email);
	json_get_string(row, "to_name", &m.to_name);
	json_get_string(row, "from_name", &m.from_name);
	json_get_string(row, "subject", &m.subject);
	json_get_string(row, "body_text", &m.text);
	json_get_string(row, "body_html", &m.html);
	json_get_string(row, "message_ident", &m.message_id);
	err[0] = '\0';
	r = mail_smtp_send(s, &m, err, sizeof err);
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
