/*
 * jobs.c -- background work that is due (reminders, mail). The test clock
 * runs every due job before it answers; the scheduler runs them on a timer.
 * Later parts register their passes in the table below.
 */
#include "foliod.h"

#include <time.h>
#include <unistd.h>

/* How long one call waits for due work that another pass (or instance) holds. */
#define JOBS_WAIT_SECONDS 10

/* Each pass returns 1 when due work is left that someone else is doing, 0, or -1. */
static const struct {
	const char *name;
	int (*run)(struct db *db);
} jobs[] = {
	{ "reminders", reminders_run_due }, /* first: reminders queue mail */
	{ "mail", mail_deliver_due },
	{ "events", events_seq_expire }, /* retention of the event log */
};

static double
jobs_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Runs every pass, and again while due work is held by another pass (the
 * worker thread, another instance), so that a caller -- the test clock --
 * returns only once everything due has been done, or after a bound.
 */
void
jobs_run_due(struct db *db)
{
	double deadline = jobs_now() + JOBS_WAIT_SECONDS;
	size_t i;
	int busy, r;

	for (;;) {
		busy = 0;
		for (i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
			if ((r = jobs[i].run(db)) < 0)
				log_warn("jobs: the %s pass failed", jobs[i].name);
			busy |= r > 0;
			if (db->broken)
				return;
		}
		if (!busy || http_stopping || jobs_now() > deadline)
			return;
		usleep(50 * 1000);
	}
}
