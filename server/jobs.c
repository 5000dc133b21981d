/*
 * jobs.c -- background work that is due (reminders, mail). The test clock
 * runs every due job before it answers; the scheduler runs them on a timer.
 * Later parts register their passes in the table below.
 */
#include "foliod.h"

void
jobs_run_due(struct db *db)
{
	(void)db;
}
