/*
 * db-firms.c -- SQL for a new firm with its owner, in one transaction
 * (`foliod create-firm`). It does not read arguments or hash the password
 * (firm.c).
 */
#include "foliod.h"

#include <string.h>

int64_t
db_firms_create(struct db *db, const char *name, const char *email, const char *owner_name,
    const char *hash)
{
	struct params p = { 0 };
	int64_t firm, user;

	p_str(&p, name);
	if (db_begin(db) != 0 ||
	    (firm = db_one_int(db, "INSERT INTO firms (name) VALUES ($1) RETURNING id", &p, 0)) <= 0)
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
