/*
 * events-listen.c -- the listener: a thread with a connection of its own that
 * LISTENs on folio_events, reads the log after the last id it has seen, and
 * hands the events to the loop (events_hub_push). A notification is only a
 * hint to read; so is a quiet LISTEN_POLL_MS, which also proves the connection
 * alive. When the connection is lost (PostgreSQL restarted) it reconnects with
 * backoff, LISTENs again and catches up from the log, so nothing is lost.
 * It never decides who sees an event (events-hub.c does).
 */
#include "foliod.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#define LISTEN_BATCH 500
#define LISTEN_POLL_MS 5000
#define LISTEN_BACKOFF_MAX_MS 5000
#define LISTEN_INBOX_MAX 20000  /* events handed over but not yet fanned out: wait beyond this */

static struct {
	pthread_t thread;
	bool running;
	atomic_int stopping;
	int wake[2];          /* written to stop the thread */
	int64_t last;         /* the last id handed to the loop; -1 until known */
} lsn = { 0, false, 0, { -1, -1 }, -1 };

/* Sleeps ms or until stopped. Returns false when stopping. */
static bool
events_listen_sleep(int ms)
{
	struct pollfd pfd = { lsn.wake[0], POLLIN, 0 };

	if (!lsn.stopping)
		poll(&pfd, 1, ms);
	return !lsn.stopping;
}

/* Reads and hands over everything after lsn.last. Returns -1 when the database failed. */
static int
events_listen_read(struct db *db)
{
	struct db_events_log_page pg;
	size_t pending;

	if (lsn.last < 0) {
		/* The log's end was unknown at start: streams begin here. */
		if ((lsn.last = db_events_log_head(db)) < 0)
			return -1;
		events_hub_set_head(lsn.last);
	}
	do {
		if (db_events_log_read(db, lsn.last, 0, LISTEN_BATCH, &pg) != 0)
			return -1;
		lsn.last = pg.last;
		/* Catching up after an outage must not outrun the loop's fan-out. */
		pending = events_hub_push(pg.list);
		while (pending > LISTEN_INBOX_MAX && events_listen_sleep(10))
			pending = events_hub_push(NULL);
	} while (pg.full && !lsn.stopping);
	return 0;
}

/* Waits for a notification, the poll interval, or a stop. Returns -1 when the connection broke. */
static int
events_listen_wait(struct db *db, bool *notified)
{
	PGconn *conn = (PGconn *)db->conn;
	struct pollfd pfd[2] = { { PQsocket(conn), POLLIN, 0 }, { lsn.wake[0], POLLIN, 0 } };
	PGnotify *nf;
	int n;

	*notified = false;
	if (pfd[0].fd < 0)
		return -1;
	/* A notification that came with a query's answer is already buffered: no wait then. */
	if ((nf = PQnotifies(conn)) != NULL) {
		*notified = true;
		do
			PQfreemem(nf);
		while ((nf = PQnotifies(conn)) != NULL);
		return 0;
	}
	n = poll(pfd, 2, LISTEN_POLL_MS);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (n == 0) {
		*notified = true; /* quiet for a while: read anyway, which also tests the connection */
		return 0;
	}
	if (pfd[0].revents) {
		if (!PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK)
			return -1;
		while ((nf = PQnotifies(conn)) != NULL) {
			*notified = true;
			PQfreemem(nf);
		}
	}
	return 0;
}

static void *
events_listen_main(void *arg)
{
	struct db db = { 0 };
	int backoff = 0;
	bool lost = false, notified = true;

	(void)arg;
	while (!lsn.stopping) {
		if (db.conn == NULL) {
			if (backoff && !events_listen_sleep(backoff))
				break;
			db.broken = false;
			if (db_connect(&db) != 0 || db_run(&db, "LISTEN folio_events", NULL) < 0) {
				db_close(&db);
				backoff = backoff ? (backoff * 2 > LISTEN_BACKOFF_MAX_MS ?
				    LISTEN_BACKOFF_MAX_MS : backoff * 2) : 100;
				continue;
			}
			if (lost)
				log_info("events: listening again; catching up after id %lld",
				    (long long)lsn.last);
			backoff = 0;
			notified = true; /* whatever happened meanwhile is in the log */
		}
		if ((notified && events_listen_read(&db) != 0) ||
		    events_listen_wait(&db, &notified) != 0) {
			if (!lsn.stopping)
				log_warn("events: lost the database connection; reconnecting");
			db_close(&db);
			lost = true;
			backoff = 100;
		}
	}
	db_close(&db);
	return NULL;
}

void
events_listen_start(int64_t head)
{
	lsn.last = head;
	lsn.stopping = 0;
	if (pipe(lsn.wake) != 0)
		abort();
	fcntl(lsn.wake[0], F_SETFD, FD_CLOEXEC);
	fcntl(lsn.wake[1], F_SETFD, FD_CLOEXEC);
	if (pthread_create(&lsn.thread, NULL, events_listen_main, NULL) != 0)
		abort();
	lsn.running = true;
}

void
events_listen_stop(void)
{
	if (!lsn.running)
		return;
	lsn.stopping = 1;
	if (write(lsn.wake[1], "x", 1) < 0)
		log_warn("events: cannot wake the listener");
	pthread_join(lsn.thread, NULL);
	close(lsn.wake[0]);
	close(lsn.wake[1]);
	lsn.running = false;
}
