/*
 * route.c -- the route table, path matching, and the dispatcher that runs a
 * request on a pool thread: authenticate, check who may call, run the handler.
 * The same table gives `foliod --list-routes` and is checked against the
 * man page by the tests.
 */
#include "foliod.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const struct route routes[] = {
	{ M_GET, "/healthz", WHO_PUBLIC, route_healthz, "200 when the database answers" },
	{ M_GET, "/readyz", WHO_PUBLIC, route_readyz,
	    "200 when the database answers, migrations are current and the mailer runs" },
	{ M_GET, "/metrics", WHO_METRICS, route_metrics_elsewhere,
	    "Prometheus text; only on --metrics-listen" },
	{ M_POST, "/api/v1/sessions", WHO_PUBLIC, route_sessions_create, "log in" },
	{ M_GET, "/api/v1/sessions", WHO_ANY, route_sessions_list, "my sessions" },
	{ M_DELETE, "/api/v1/sessions/current", WHO_ANY, route_sessions_delete, "log out" },
	{ M_DELETE, "/api/v1/sessions/{id}", WHO_ANY, route_sessions_revoke, "end one of my sessions" },
	{ M_GET, "/api/v1/me", WHO_ANY, route_me, "the current user" },
	{ M_POST, "/api/v1/me/password", WHO_ANY, route_me_password,
	    "change my password; ends my other sessions" },
	{ M_GET, "/api/v1/me/totp", WHO_ANY, route_totp_status, "my two-factor login: on or off" },
	{ M_POST, "/api/v1/me/totp", WHO_ANY, route_totp_begin,
	    "begin two-factor enrolment: a new secret and its otpauth URI" },
	{ M_POST, "/api/v1/me/totp/confirm", WHO_ANY, route_totp_confirm,
	    "switch two-factor login on with a code; the recovery codes, once" },
	{ M_POST, "/api/v1/me/totp/disable", WHO_ANY, route_totp_disable,
	    "switch two-factor login off (password and code)" },
	{ M_POST, "/api/v1/me/totp/recovery-codes", WHO_ANY, route_totp_recovery_codes,
	    "new recovery codes (a code); the old ones end" },
	{ M_GET, "/api/v1/firm", WHO_STAFF, route_firm_get,
	    "the firm's settings: its mail language, who needs two-factor login" },
	{ M_PATCH, "/api/v1/firm", WHO_OWNER, route_firm_update,
	    "change the firm's mail language or two-factor policy" },
	{ M_GET, "/api/v1/audit", WHO_OWNER, route_audit_list,
	    "the audit log: logins, role, access and session changes" },
	{ M_GET, "/api/v1/staff", WHO_STAFF, route_staff_list, "team members" },
	{ M_POST, "/api/v1/staff", WHO_ADMIN, route_staff_create, "add a team member" },
	{ M_DELETE, "/api/v1/staff/{id}/totp", WHO_OWNER, route_totp_reset_staff,
	    "reset a team member's two-factor login (lost phone); ends their sessions" },
	{ M_PATCH, "/api/v1/staff/{id}", WHO_ADMIN, route_staff_update,
	    "change a team member's name, role or access" },
	{ M_GET, "/api/v1/accounts", WHO_ANY, route_accounts_list, "client accounts" },
	{ M_POST, "/api/v1/accounts", WHO_STAFF, route_accounts_create, "add a client account" },
	{ M_GET, "/api/v1/accounts/{id}", WHO_ANY, route_accounts_get, "one account and its contacts" },
	{ M_POST, "/api/v1/accounts/{id}/contacts", WHO_STAFF, route_contacts_create, "add a contact" },
	{ M_DELETE, "/api/v1/contacts/{id}/totp", WHO_OWNER, route_totp_reset_contact,
	    "reset a contact's two-factor login; ends their sessions" },
	{ M_GET, "/api/v1/accounts/{id}/folders", WHO_ANY, route_folders_list,
	    "the account's folder tree, as the caller may see it" },
	{ M_POST, "/api/v1/accounts/{id}/folders", WHO_STAFF, route_folders_create, "add a folder" },
	{ M_GET, "/api/v1/accounts/{id}/documents", WHO_ANY, route_documents_list,
	    "the account's documents (?folder_id=)" },
	{ M_POST, "/api/v1/accounts/{id}/documents", WHO_ANY, route_documents_upload,
	    "upload a document: the raw body, ?name=&folder_id=" },
	{ M_GET, "/api/v1/documents/{id}", WHO_ANY, route_documents_get, "a document's metadata" },
	{ M_GET, "/api/v1/documents/{id}/content", WHO_ANY, route_documents_content,
	    "a document's bytes (Range, If-None-Match)" },
	{ M_PATCH, "/api/v1/contacts/{id}", WHO_ADMIN, route_contacts_update,
	    "change a contact's name, address, mail or portal access" },
	{ M_GET, "/api/v1/templates", WHO_STAFF, route_templates_list, "message templates" },
	{ M_POST, "/api/v1/templates", WHO_STAFF, route_templates_create, "add a template" },
	{ M_GET, "/api/v1/templates/{id}", WHO_STAFF, route_templates_get, "one template" },
	{ M_PATCH, "/api/v1/templates/{id}", WHO_STAFF, route_templates_update, "change a template" },
	{ M_DELETE, "/api/v1/templates/{id}", WHO_STAFF, route_templates_delete, "delete a template" },
	{ M_GET, "/api/v1/threads", WHO_ANY, route_threads_list, "threads, filtered" },
	{ M_POST, "/api/v1/threads", WHO_ANY, route_threads_create, "new chat" },
	{ M_GET, "/api/v1/threads/{id}", WHO_ANY, route_threads_get, "one thread" },
	{ M_PATCH, "/api/v1/threads/{id}", WHO_STAFF, route_threads_update,
	    "archive, reopen, assign, reminders" },
	{ M_GET, "/api/v1/threads/{id}/messages", WHO_ANY, route_messages_list, "messages, paged" },
	{ M_POST, "/api/v1/threads/{id}/messages", WHO_ANY, route_messages_create, "post a message" },
	{ M_POST, "/api/v1/threads/{id}/read", WHO_ANY, route_threads_read, "move the read marker" },
	{ M_PATCH, "/api/v1/tasks/{id}", WHO_ANY, route_tasks_update, "tick a client task" },
	{ M_POST, "/api/v1/threads/{id}/resend", WHO_STAFF, route_threads_resend,
	    "mail the reminder for the last message now" },
	{ M_GET, "/api/v1/threads/{id}/reminders", WHO_STAFF, route_threads_reminders,
	    "the reminder ledger" },
	{ M_GET, "/api/v1/notifications", WHO_ANY, route_notifications_list,
	    "Inbox+ (staff) or pending items (contacts)" },
	{ M_POST, "/api/v1/notifications/{id}/read", WHO_ANY, route_notifications_read,
	    "mark an item read" },
	{ M_GET, "/api/v1/notifications/settings", WHO_STAFF, route_notification_settings_get,
	    "my notification settings" },
	{ M_PATCH, "/api/v1/notifications/settings", WHO_STAFF, route_notification_settings_update,
	    "change my notification settings" },
	{ M_GET, "/api/v1/events", WHO_ANY, events_poll_route,
	    "event stream: WebSocket upgrade, or long poll with ?since=&wait=" },
	{ M_POST, "/api/v1/test/clock", WHO_TEST, route_test_clock,
	    "move the clock (only with --test-clock)" },
	{ M_OTHER, NULL, WHO_PUBLIC, NULL, NULL },
};

static const char *method_names[] = { "GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS", "OTHER" };

const char *
method_name(enum http_method m)
{
	return method_names[m];
}

/* Matches one pattern; {id} takes a positive decimal integer. */
static bool
route_path_match(const char *pat, const char *path, int64_t *ids, int *nids)
{
	char *end;
	long long v;

	*nids = 0;
	while (*pat && *path) {
		if (strncmp(pat, "{id}", 4) == 0) {
			if (*path < '1' || *path > '9')
				return false;
			errno = 0;
			v = strtoll(path, &end, 10);
			if (v <= 0 || errno == ERANGE || (*end != '/' && *end != '\0') || *nids >= 4)
				return false;
			ids[(*nids)++] = v;
			pat += 4;
			path = end;
			continue;
		}
		if (*pat++ != *path++)
			return false;
	}
	return *pat == '\0' && (*path == '\0' || strcmp(path, "/") == 0);
}

const struct route *
route_match(enum http_method m, const char *path, int64_t *ids, int *nids, int *status)
{
	const struct route *r;
	int n;
	int64_t tmp[4];

	*status = 404;
	for (r = routes; r->pattern; r++) {
		if ((r->who == WHO_TEST && !cfg.test_clock) || r->who == WHO_METRICS)
			continue;
		if (!route_path_match(r->pattern, path, tmp, &n))
			continue;
		if (r->method != m) {
			*status = 405;
			continue;
		}
		memcpy(ids, tmp, sizeof tmp);
		*nids = n;
		return r;
	}
	return NULL;
}

bool
route_enrol_allowed(const struct route *r)
{
	/* What a session needs to enrol: itself, the enrolment, and a way out. */
	static const route_fn allowed[] = { route_me, route_sessions_delete, route_totp_status,
		route_totp_begin, route_totp_confirm };
	size_t i;

	for (i = 0; r != NULL && i < sizeof allowed / sizeof allowed[0]; i++)
		if (r->fn == allowed[i])
			return true;
	return false;
}

bool
route_streams_body(const struct route *r)
{
	return r && r->fn == route_documents_upload;
}

bool
is_staff(const struct request *req)
{
	return req->user.kind == USER_STAFF;
}

static bool
route_allowed(struct request *req)
{
	const struct principal *u = &req->user;

	switch (req->route->who) {
	case WHO_PUBLIC:
	case WHO_ANY:
		return true;
	case WHO_STAFF:
		return u->kind == USER_STAFF;
	case WHO_ADMIN:
		return u->kind == USER_STAFF && u->role >= ROLE_ADMIN;
	case WHO_OWNER:
	case WHO_TEST:
		return u->kind == USER_STAFF && u->role == ROLE_OWNER;
	case WHO_METRICS:
		return false;
	}
	return false;
}

void
route_run(struct job *job, struct db *db)
{
	struct request *req = (struct request *)job;

	req->status = 0;
	if (req->route->who != WHO_PUBLIC && auth_resolve(req, db) != 0)
		goto out;
	if (req->user.view_as_account > 0 && req->method != M_GET) {
		reply_error(req, 403, "view_as_read_only", "viewing as a client is read-only");
		goto out;
	}
	if (!route_allowed(req)) {
		reply_error(req, 403, "forbidden", "your role may not do this");
		goto out;
	}
	req->route->fn(req, db);
out:
	db_rollback(db); /* a handler that returned inside a transaction changed nothing */
	if (db->broken && req->status != 503) { /* a handler's own 503 says more (/readyz) */
		reply_error(req, 503, "database_unavailable",
		    "the database is not reachable; try again shortly");
	} else if (req->status == 0 && req->parked == NULL) { /* parked: answered from the loop */
		log_error("request %s: handler set no reply", req->request_id);
		reply_error(req, 500, "internal_error", "internal server error");
	}
	req->statements = db->statements;
}

void
route_list(FILE *fp)
{
	static const char *who_names[] = { "public", "any", "staff", "admin", "owner", "test",
		"metrics" };
	const struct route *r;

	for (r = routes; r->pattern; r++)
		fprintf(fp, "%-7s %-36s %-7s %s\n", method_name(r->method), r->pattern,
		    who_names[r->who], r->help);
}
