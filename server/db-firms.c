/*
 * db-firms.c -- SQL for a new firm with its owner, in one transaction
 * (`foliod create-firm`), and for the firm's settings (its mail language,
 * who must log in with TOTP).
 * It does not read arguments or hash the password (firm.c) nor check who
 * may change a setting (route-firm.c).
 */
#include "foliod.h"

#include <string.h>

int64_t
db_firms_create(struct db *db, const char *name, const char *email, const char *owner_name,
    const char *hash, const char *language)
{
	struct params p = { 0 };
	int64_t firm, user;

	p_str(&p, name);
	p_str(&p, language);
	if (db_begin(db) != 0 ||
	    (firm = db_one_int(db, "INSERT INTO firms (name, language) VALUES ($1, $2) RETURNING id",
		 &p, 0)) <= 0)
		return -1;
	memset(&p, 0, sizeof p);
	p_int(&p, firm);
	p_str(&p, owner_name);
	p_str(&p, email);
	p_str(&p, hash);
	user = db_one_int(db,
	    "INSERT INTO users (firm_id, kind, name, email, password_hash)"
	    " VALUES ($1, 'staff', $2, $3, $4) RETURNING id",
	    &p, 0);
	if (user <= 0)
		return db->unique_violation ? 0 : -1;
	memset(&p, 0, sizeof p);
	p_int(&p, user);
	p_int(&p, firm);
	if (db_run(db, "INSERT INTO staff (user_id, firm_id, role) VALUES ($1, $2, 'owner')", &p) != 1 ||
	    db_commit(db) != 0)
		return -1;
	return firm;
}

struct json_object *
db_firms_get(struct db *db, int64_t firm_id)
{
	struct params p = { 0 };

	p_int(&p, firm_id);
	return db_one_json(db, "SELECT id, name, language, require_totp FROM firms WHERE id = $1", &p);
}

int
db_firms_language_set(struct db *db, int64_t firm_id, const char *language)
{
	struct params p = { 0 };

	p_int(&p, firm_id);
	p_str(&p, language);
	return db_run(db, "UPDATE firms SET language = $2 WHERE id = $1", &p) == 1 ? 0 : -1;
}

int
db_firms_require_totp_set(struct db *db, int64_t firm_id, const char *policy)
{
	struct params p = { 0 };

	p_int(&p, firm_id);
	p_str(&p, policy);
	return db_run(db, "UPDATE firms SET require_totp = $2 WHERE id = $1", &p) == 1 ? 0 : -1;
}
