/*
 * migrate.c -- applies sql/NNN_name.sql files in order, each once, each in
 * one transaction, recorded in schema_migrations. Safe to run again, and safe
 * when several instances start at once (an advisory lock serialises them).
 * It finds, reads and orders the files; the statements are in db-schema.c.
 */
#include "foliod.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
migrate_is_file(const char *name)
{
	size_t n = strlen(name);

	return n > 8 && name[0] >= '0' && name[0] <= '9' && name[1] >= '0' && name[1] <= '9' &&
	    name[2] >= '0' && name[2] <= '9' && name[3] == '_' && strcmp(name + n - 4, ".sql") == 0;
}

static int
migrate_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The folder of migrations: the configured one, else one found beside the binary. */
static const char *
migrate_dir(void)
{
	static char alt[PATH_MAX + 32];
	char exe[PATH_MAX], *slash;
	struct stat st;
	ssize_t n;

	if (stat(cfg.sql_dir, &st) == 0 && S_ISDIR(st.st_mode))
		return cfg.sql_dir;
	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		/* An install tree (bin/../share/folio/sql), then a source tree (server/../sql). */
		snprintf(alt, sizeof alt, "%s/../share/folio/sql", exe);
		if (stat(alt, &st) == 0 && S_ISDIR(st.st_mode))
			return alt;
		snprintf(alt, sizeof alt, "%s/../sql", exe);
		if (stat(alt, &st) == 0 && S_ISDIR(st.st_mode))
			return alt;
	}
	return cfg.sql_dir;
}

static char *
migrate_read(const char *path)
{
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t n;
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_append(&b, chunk, n);
	fclose(fp);
	return buf_detach(&b);
}

static int
migrate_one(struct db *db, const char *dir, const char *name)
{
	char path[PATH_MAX], *sql;
	int rc = -1;

	if (db_begin(db) != 0 || db_schema_lock(db) != 0)
		goto out;
	if (db_schema_applied(db, name)) {
		rc = db_commit(db);
		goto out;
	}
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((sql = migrate_read(path)) == NULL) {
		log_error("migrate: %s: %s", path, strerror(errno));
		goto out;
	}
	rc = db_schema_apply(db, sql);
	free(sql);
	if (rc == 0 && db_schema_record(db, name) != 0)
		rc = -1;
	if (rc == 0)
		rc = db_commit(db);
	if (rc == 0)
		log_info("migrate: applied %s", name);
	else
		log_error("migrate: %s failed; nothing of it was applied", name);
out:
	db_rollback(db);
	return rc;
}

/* The migration files of dir in order into *names (caller frees each and the array). -1: no dir. */
static int
migrate_list(const char *dir, char ***names, size_t *n)
{
	struct dirent *de;
	DIR *d;

	*names = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		log_error("migrate: %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (migrate_is_file(de->d_name)) {
			*names = xrealloc(*names, (*n + 1) * sizeof **names);
			(*names)[(*n)++] = xstrdup(de->d_name);
		}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof **names, migrate_cmp);
	return 0;
}

/*
 * The files this binary knows, listed once: the folder is read when the
 * server starts (migrate_run), not by every /readyz on a pool thread.
 */
static struct {
	pthread_mutex_t mu;
	char **names;
	size_t n;
	bool loaded;
} known = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, false };

static void
migrate_known_free(void)
{
	size_t i;

	for (i = 0; i < known.n; i++)
		free(known.names[i]);
	free(known.names);
}

static int
migrate_known_load(void)
{
	int rc = 0;

	pthread_mutex_lock(&known.mu);
	if (!known.loaded && (rc = migrate_list(migrate_dir(), &known.names, &known.n)) == 0) {
		known.loaded = true;
		atexit(migrate_known_free);
	}
	pthread_mutex_unlock(&known.mu);
	return rc;
}

int
migrate_run(struct db *db)
{
	char **names;
	size_t i;
	int rc = 0;

	if (migrate_known_load() != 0)
		return -1;
	names = known.names;
	if (db_begin(db) != 0 || db_schema_lock(db) != 0 || db_schema_init(db) != 0 ||
	    db_commit(db) != 0)
		rc = -1;
	db_rollback(db);
	for (i = 0; i < known.n && rc == 0; i++)
		if (migrate_one(db, migrate_dir(), names[i]) != 0)
			rc = -1;
	return rc;
}

static bool
migrate_is_known(const char *name)
{
	size_t i;

	for (i = 0; i < known.n; i++)
		if (strcmp(known.names[i], name) == 0)
			return true;
	return false;
}

/* Fills st from the applied list (a JSON array of {name, applied_at}). */
static void
migrate_state_of(struct json_object *applied, struct migrate_state *st)
{
	const char *name;
	size_t i, found = 0;

	memset(st, 0, sizeof *st);
	st->known = known.n;
	if (known.n)
		snprintf(st->newest_known, sizeof st->newest_known, "%s", known.names[known.n - 1]);
	st->applied = json_object_array_length(applied);
	for (i = 0; i < st->applied; i++) {
		name = json_object_get_string(
		    json_object_object_get(json_object_array_get_idx(applied, i), "name"));
		if (migrate_is_known(name))
			found++;
		else
			st->unknown++;
		snprintf(st->newest_applied, sizeof st->newest_applied, "%s", name); /* sorted */
	}
	st->pending = known.n - found;
}

int
migrate_state(struct db *db, struct migrate_state *st)
{
	struct json_object *applied;

	if (migrate_known_load() != 0)
		return -1;
	if ((applied = db_ops_migrations(db)) == NULL)
		return -1;
	migrate_state_of(applied, st);
	json_object_put(applied);
	return 0;
}

bool
migrate_current(const struct migrate_state *st)
{
	return st->pending == 0 && st->unknown == 0 &&
	    strcmp(st->newest_applied, st->newest_known) == 0;
}

int
migrate_status(struct db *db, FILE *fp)
{
	struct json_object *applied, *row;
	struct migrate_state st;
	const char *name, *when;
	size_t i, k;

	if (migrate_known_load() != 0)
		return 1;
	if ((applied = db_ops_migrations(db)) == NULL) {
		fprintf(stderr, "foliod: cannot read schema_migrations\n");
		return 1;
	}
	migrate_state_of(applied, &st);
	/* Every known file, applied or pending, then what only the database knows. */
	for (i = 0; i < known.n; i++) {
		when = NULL;
		for (k = 0; k < json_object_array_length(applied); k++) {
			row = json_object_array_get_idx(applied, k);
			if (strcmp(json_object_get_string(json_object_object_get(row, "name")),
				known.names[i]) == 0)
				when = json_object_get_string(json_object_object_get(row, "applied_at"));
		}
		fprintf(fp, "%-8s %s%s%s\n", when ? "applied" : "pending", known.names[i],
		    when ? " " : "", when ? when : "");
	}
	for (k = 0; k < json_object_array_length(applied); k++) {
		row = json_object_array_get_idx(applied, k);
		name = json_object_get_string(json_object_object_get(row, "name"));
		if (!migrate_is_known(name))
			fprintf(fp, "%-8s %s %s (not in this release)\n", "unknown", name,
			    json_object_get_string(json_object_object_get(row, "applied_at")));
	}
	fprintf(fp, "%zu applied, %zu pending%s\n", st.applied, st.pending,
	    st.unknown ? ", the database is newer than this release" : "");
	json_object_put(applied);
	return st.pending > 0 || st.unknown > 0 ? 1 : 0;
}
