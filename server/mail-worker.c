/*
 * mail-worker.c -- the background thread of each foliod: it runs
 * jobs_run_due() (reminders, then mail, then event retention) when the next
 * retry or reminder falls due, and at least every 30 s, so a moved test clock
 * or a lost notification is noticed; on NOTIFY folio_mail (sent by the
 * transaction that queued a mail, in any instance) it runs the mail pass.
 * It has its own database connection (LISTEN needs one) and never touches the
 * HTTP loop; it starts and stops with the loop (http.c's services table).
 */
#include "foliod.h"

#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define WORKER_MIN_WAIT_MS 200
#define WORKER_MAX_WAIT_MS 30000

static struct {
	pthread_t thread;
	int pipe[2];            /* written once to stop the thread */
	bool running;
} worker = { 0, { -1, -1 }, false };

/* Sleeps ms, or less when the server stops meanwhile. */
static void
mail_worker_sleep(long ms)
{
	for (; ms > 0 && !http_stopping; ms -= 100)
		usleep(100 * 1000);
}

static long
mail_worker_wait_ms(struct db *db)
{
	int64_t ms = db_mail_next_ms(db, cfg.smtp_url && *cfg.smtp_url);

	if (ms < WORKER_MIN_WAIT_MS)
		ms = WORKER_MIN_WAIT_MS;
	else if (ms > WORKER_MAX_WAIT_MS)
		ms = WORKER_MAX_WAIT_MS;
	log_debug("mail: worker waits up to %ld ms", (long)ms);
	return (long)ms;
}

static double
mail_worker_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
mail_worker_main(void *arg)
{
	struct db db = { 0 };
	bool listening = false;
	double full_at = 0; /* when the reminder and retention passes are due again */
	double now;
	long ms;

	(void)arg;
	while (!http_stopping) {
		metrics_mail_heartbeat();
		if (db.conn == NULL) {
			listening = false;
			if (db_connect(&db) != 0) {
				mail_worker_sleep(2000);
				continue;
			}
			full_at = 0; /* whatever fell due meanwhile */
		}
		/* Listen before the pass, so nothing queued during it goes unnoticed. */
		if (!listening && db_mail_listen(&db) == 0)
			listening = true;
		/*
		 * A notification means a mail was queued: only the mail pass runs, so
		 * that a stream of sends does not run the reminder and retention
		 * passes once each; those run when their time (or a retry's) comes.
		 */
		if (listening) {
			if (mail_worker_now() >= full_at) {
				jobs_run_due(&db);
				full_at = INFINITY;
			} else if (mail_deliver_due(&db) < 0) {
				log_warn("jobs: the mail pass failed");
			}
			events_committed(); /* reminders and failed mails wrote events */
		}
		if (!db.broken && listening) {
			ms = mail_worker_wait_ms(&db);
			now = mail_worker_now();
			if (now + (double)ms / 1000 < full_at)
				full_at = now + (double)ms / 1000;
			db_mail_wait(&db, worker.pipe[0], full_at > now ? (long)((full_at - now) * 1000) + 1 : 0);
		}
		if (db.broken || !listening) {
			db_close(&db);
			db.broken = false;
			mail_worker_sleep(1000);
		}
	}
	db_close(&db);
	return NULL;
}

void
mail_worker_start(struct lws_context *ctx)
{
	(void)ctx;
	/* libcurl's global state, once, before any thread uses it; freed at exit. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		abort();
	atexit(curl_global_cleanup);
	if (pipe(worker.pipe) != 0 ||
	    pthread_create(&worker.thread, NULL, mail_worker_main, NULL) != 0)
		abort(); /* no descriptors or threads left at start-up: nothing sensible to do */
	worker.running = true;
}

void
mail_worker_stop(struct lws_context *ctx)
{
	(void)ctx;
	if (worker.running) {
		/* http_stopping is already set; the byte wakes the thread from its wait. */
		if (write(worker.pipe[1], "x", 1) != 1)
			log_warn("mail: cannot wake the worker; it stops within 30 s");
		pthread_join(worker.thread, NULL);
		close(worker.pipe[0]);
		close(worker.pipe[1]);
		worker.running = false;
	}
}
