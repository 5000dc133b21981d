/*
 * activity.c -- what follows a change, inside the change's own transaction:
 * the event log (live events), notifications and mail, reminder rules.
 * Route code calls these after it has written a change and before it commits,
 * so a change and its consequences commit together or not at all.
 */
#include "foliod.h"

int
activity_thread_created(struct db *db, const struct principal *u, int64_t thread_id,
    int64_t message_id)
{
	(void)db, (void)u, (void)thread_id, (void)message_id;
	return 0;
}

int
activity_message_created(struct db *db, const struct principal *u, int64_t thread_id,
    int64_t message_id)
{
	(void)db, (void)u, (void)thread_id, (void)message_id;
	return 0;
}

int
activity_thread_updated(struct db *db, const struct principal *u, int64_t thread_id)
{
	(void)db, (void)u, (void)thread_id;
	return 0;
}

int
activity_thread_read(struct db *db, const struct principal *u, int64_t thread_id)
{
	(void)db, (void)u, (void)thread_id;
	return 0;
}

int
activity_task_updated(struct db *db, const struct principal *u, int64_t task_id)
{
	(void)db, (void)u, (void)task_id;
	return 0;
}
