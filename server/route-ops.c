/*
 * route-ops.c -- GET /readyz: whether this instance should get traffic. It
 * asks the database (reachable, every migration this binary knows applied)
 * and the mail worker's heartbeat, and names every check that failed. /healthz (route-sessions.c) stays the plain liveness answer.
 */
#include "foliod.h"

#include <string.h>

void
route_readyz(struct request *req, struct db *db)
{
	struct json_object *o = json_object_new_object(), *checks = json_object_new_object();
	struct migrate_state st;
	const char *failed = NULL;
	double age = metrics_mail_heartbeat_age();
	bool db_ok, mig_ok = false, mail_ok = age >= 0 && age < OPS_MAIL_STALE_S;

	db_ok = migrate_state(db, &st) == 0;
	/*
	 * A schema newer than this binary's is ready too: migrations keep the
	 * previous release working (docs/OPERATIONS.md, Upgrades), and its
	 * instances serve while the new one's migrate runs.
	 */
	if (db_ok)
		mig_ok = st.pending == 0;
	json_object_object_add(checks, "database",
	    json_object_new_string(db_ok ? "ok" : db->broken ? "unreachable" : "error"));
	json_object_object_add(checks, "migrations",
	    json_object_new_string(!db_ok ? "unknown" : !mig_ok ? "pending" :
		migrate_current(&st) ? "ok" : "newer than this release"));
	json_object_object_add(checks, "mail_worker",
	    json_object_new_string(mail_ok ? "ok" : age < 0 ? "not started" : "stalled"));
	if (db_ok) {
		json_object_object_add(o, "schema", json_object_new_string(st.newest_applied));
		json_object_object_add(o, "schema_expected", json_object_new_string(st.newest_known));
	}
	if (!db_ok)
		failed = "database";
	else if (!mig_ok)
		failed = "migrations";
	else if (!mail_ok)
		failed = "mail_worker";
	json_object_object_add(o, "ready", json_object_new_boolean(failed == NULL));
	json_object_object_add(o, "checks", checks);
	if (failed) {
		/* API.md's error shape, with the checks beside it. */
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "code", json_object_new_string("not_ready"));
		json_object_object_add(e, "message",
		    json_object_new_string(strcmp(failed, "database") == 0 ? "the database is not reachable" :
			strcmp(failed, "migrations") == 0 ? "the database schema is not this release's" :
							    "the mail worker shows no progress"));
		json_object_object_add(o, "error", e);
	}
	reply_json(req, failed ? 503 : 200, o);
}

void
route_metrics_elsewhere(struct request *req, struct db *db)
{
	reply_error(req, 404, "not_found", "metrics are served on --metrics-listen only");
}
