/*
 * route-audit.c -- the audit log: the kinds it knows, the one helper other
 * handlers call to append a row in their own transaction, and GET
 * /api/v1/audit for the firm's owners (the route table says who), newest
 * first with keyset paging and filters. The SQL is in db-audit.c.
 */
#include "foliod.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Every kind the log may hold; sql/012_audit.sql's CHECK lists the same. */
static const char *const route_audit_kinds[] = {
	"login", "login_failed", "logout", "session_revoked", "password_changed", "staff_added",
	"staff_role_changed", "staff_deactivated", "staff_reactivated", "contact_added",
	"contact_access_changed",
	"firm_updated",
	"document_downloaded", /* GET /api/v1/documents/{id}/content */
	"totp_enabled", "totp_disabled", "totp_reset", "totp_recovery_codes_renewed",
	NULL,
};

bool
route_audit_kind_known(const char *kind)
{
	size_t i;

	for (i = 0; route_audit_kinds[i]; i++)
		if (strcmp(route_audit_kinds[i], kind) == 0)
			return true;
	return false;
}

void
route_audit_entry(struct audit_entry *e, const struct request *req, const char *kind)
{
	memset(e, 0, sizeof *e);
	e->firm_id = req->user.firm_id;
	e->actor_id = req->user.id;
	e->actor_kind = req->user.kind == USER_STAFF ? "staff" : "contact";
	e->kind = kind;
	e->address = req->client;
	e->user_agent = req->user_agent;
}

int
route_audit_record(struct db *db, struct audit_entry *e, struct json_object *details)
{
	int rc;

	if (!route_audit_kind_known(e->kind))
		abort(); /* a kind the schema would refuse is a programming error */
	e->details = details ? json_text(details) : NULL;
	rc = db_audit_add(db, e);
	e->details = NULL;
	json_object_put(details);
	return rc;
}

static int
route_audit_digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * True when s is an RFC 3339 time PostgreSQL reads as the same instant:
 * 2026-12-02, 2026-12-02T10:00:00Z, ...:00.5+01:00. A date that does not
 * exist (February 30) is refused here rather than by the database.
 */
static bool
route_audit_time_valid(const char *s)
{
	struct tm tm = { 0 }, back;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om;
	size_t len = strlen(s);
	const char *p;
	time_t t;

	if (len < 10 || route_audit_digits(s, 4, &y) || s[4] != '-' ||
	    route_audit_digits(s + 5, 2, &mo) || s[7] != '-' || route_audit_digits(s + 8, 2, &d))
		return false;
	p = s + 10;
	if (*p != '\0') {
		if ((*p != 'T' && *p != 't') || strlen(p) < 10 || route_audit_digits(p + 1, 2, &h) ||
		    p[3] != ':' || route_audit_digits(p + 4, 2, &mi) || p[6] != ':' ||
		    route_audit_digits(p + 7, 2, &sec) || h > 23 || mi > 59 || sec > 59)
			return false;
		p += 9;
		if (*p == '.') {
			if (!isdigit((unsigned char)p[1]))
				return false;
			for (p++; isdigit((unsigned char)*p); p++)
				;
		}
		if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
			;
		else if ((*p == '+' || *p == '-') && strlen(p) == 6 &&
		    route_audit_digits(p + 1, 2, &oh) == 0 && p[3] == ':' &&
		    route_audit_digits(p + 4, 2, &om) == 0 && oh <= 23 && om <= 59)
			;
		else
			return false;
	}
	if (y < 1970 || y > 9999)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12;
	if (mo < 1 || mo > 12 || d < 1 || (t = timegm(&tm)) == (time_t)-1 ||
	    gmtime_r(&t, &back) == NULL)
		return false;
	return back.tm_year == tm.tm_year && back.tm_mon == tm.tm_mon && back.tm_mday == d;
}

/* Reads ?type, ?actor, ?since and ?until into f. Replies 422 and returns false when one is bad. */
static bool
route_audit_filter(struct request *req, struct audit_filter *f)
{
	const char *type = req_arg(req, "type"), *since = req_arg(req, "since"),
		   *until = req_arg(req, "until");

	memset(f, 0, sizeof *f);
	if (type && *type) {
		if (!route_audit_kind_known(type)) {
			reply_error(req, 422, "invalid_field", "type is not a kind of the audit log");
			return false;
		}
		f->kind = type;
	}
	if (req_arg_int(req, "actor", 0, 1, INT64_MAX, &f->actor_id) != 0)
		return false;
	if (since && *since) {
		if (!route_audit_time_valid(since)) {
			reply_error(req, 422, "invalid_field", "since must be an RFC 3339 time");
			return false;
		}
		f->since = since;
	}
	if (until && *until) {
		if (!route_audit_time_valid(until)) {
			reply_error(req, 422, "invalid_field", "until must be an RFC 3339 time");
			return false;
		}
		f->until = until;
	}
	return true;
}

void
route_audit_list(struct request *req, struct db *db)
{
	struct audit_filter f;
	struct page_keys pk;
	struct json_object *a;

	/* The cursor holds the last id only: the order is the log's own. */
	if (req_page_keys(req, &pk, "") != 0 || !route_audit_filter(req, &f))
		return;
	if ((a = db_audit_list(db, req->user.firm_id, &f, &pk)) != NULL)
		reply_page_next(req, a, page_keys_next(a, &pk, NULL, 0), NULL, NULL);
}
