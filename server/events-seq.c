/*
 * events-seq.c -- the sequencer: a thread with its own connection that moves
 * committed outbox rows into the ordered event log (folio_events_sequence in
 * sql/002_events.sql), and deletes events past the retention. It runs when a
 * local commit wrote events (events_seq_poke, for low latency) and every
 * SEQ_PERIOD_MS anyway, which picks up rows that any instance -- or a thread
 * that never pokes -- left behind. Passes of all instances are serialised in
 * the database, not here; this file only decides when to run one.
 */
#include "foliod.h"

#include <pthread.h>
#include <time.h>

#define SEQ_PERIOD_MS 250
#define SEQ_BATCH 1000
#define SEQ_BUSY_RETRY_MS 3
#define EXPIRE_PERIOD_S 600
#define EXPIRE_BATCH 10000

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool poked, stopping, running;
	pthread_t thread;
} seq = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false, false, 0 };

void
events_seq_poke(void)
{
	pthread_mutex_lock(&seq.mu);
	seq.poked = true;
	pthread_cond_signal(&seq.cv);
	pthread_mutex_unlock(&seq.mu);
}

/* Waits until poked, stopping, or ms have passed. Returns false when stopping. */
static bool
events_seq_wait(long ms, bool want_poke)
{
	struct timespec ts;
	bool go;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&seq.mu);
	while (!seq.stopping && !(want_poke && seq.poked))
		if (pthread_cond_timedwait(&seq.cv, &seq.mu, &ts) != 0)
			break;
	if (want_poke)
		seq.poked = false; /* a poke during a pass's retries still runs another pass */
	go = !seq.stopping;
	pthread_mutex_unlock(&seq.mu);
	return go;
}

/* Moves everything committed so far. Returns -1 when the database failed. */
static int
events_seq_pass(struct db *db)
{
	long n;
	int busy = 0;

	for (;;) {
		n = db_events_log_sequence(db, SEQ_BATCH);
		if (n == -1) {
			/* Another pass holds the lock and may have missed our rows: try again soon. */
			if (++busy > 1000 || !events_seq_wait(SEQ_BUSY_RETRY_MS, false))
				return 0;
			continue;
		}
		if (n < 0)
			return -1;
		if (n < SEQ_BATCH)
			return 0;
	}
}

int
events_seq_expire(struct db *db)
{
	long n, total = 0;

	while ((n = db_events_log_expire(db, cfg.event_retention_days, EXPIRE_BATCH)) > 0)
		total += n;
	if (total > 0)
		log_info("events: deleted %ld events older than %ld days", total,
		    cfg.event_retention_days);
	return n < 0 ? -1 : 0;
}

static double
events_seq_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
events_seq_main(void *arg)
{
	struct db db = { 0 };
	double next_expire = 0;
	long backoff = 0;

	(void)arg;
	while (events_seq_wait(backoff ? backoff : SEQ_PERIOD_MS, backoff == 0)) {
		if (db_connect(&db) != 0) {
			backoff = backoff ? (backoff * 2 > 5000 ? 5000 : backoff * 2) : 100;
			continue;
		}
		if (backoff)
			log_info("events: sequencer connected again");
		backoff = 0;
		if (events_seq_pass(&db) == 0 && events_seq_now() >= next_expire &&
		    events_seq_expire(&db) == 0)
			next_expire = events_seq_now() + EXPIRE_PERIOD_S;
		if (db.broken) {
			db_close(&db);
			db.broken = false;
			backoff = 100;
		}
	}
	events_seq_pass(&db); /* what this instance committed last */
	db_close(&db);
	return NULL;
}

void
events_seq_start(void)
{
	seq.stopping = false;
	if (pthread_create(&seq.thread, NULL, events_seq_main, NULL) != 0)
		abort();
	seq.running = true;
}

void
events_seq_stop(void)
{
	if (!seq.running)
		return;
	pthread_mutex_lock(&seq.mu);
	seq.stopping = true;
	pthread_cond_broadcast(&seq.cv);
	pthread_mutex_unlock(&seq.mu);
	pthread_join(seq.thread, NULL);
	seq.running = false;
}
