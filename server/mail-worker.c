/*
 * mail-worker.c -- the background thread of each foliod: it runs
 * jobs_run_due() (reminders, then mail) whenever something may be due. It
 * wakes on NOTIFY folio_mail (sent by the transaction that queued a mail, in
 * any instance), when the next retry or reminder falls due, and at least
 * every 30 s, so a moved test clock or a lost notification is noticed.
 * It has its own database connection (LISTEN needs one) and never touches the
 * HTTP loop; it starts and stops with the loop (http.c's services table).
 */
#include "foliod.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
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

static void *
mail_worker_main(void *arg)
{
	struct db db = { 0 };
	bool listening = false;

	(void)arg;
	while (!http_stopping) {
		if (db.conn == NULL) {
			listening = false;
			if (db_connect(&db) != 0) {
				mail_worker_sleep(2000);
				continue;
			}
		}
		/* Listen before the pass, so nothing queued during it goes unnoticed. */
		if (!listening && db_mail_listen(&db) == 0)
			listening = true;
		if (listening) {
			jobs_run_due(&db);
			events_committed(); /* reminders and failed mails wrote events */
		}
		if (!db.broken && listening)
			db_mail_wait(&db, worker.pipe[0], mail_worker_wait_ms(&db));
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
