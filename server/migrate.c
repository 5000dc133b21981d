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

int
migrate_run(struct db *db)
{
	const char *dir = migrate_dir();
	char **names = NULL;
	size_t n = 0, i;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		log_error("migrate: %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (migrate_is_file(de->d_name)) {
			names = xrealloc(names, (n + 1) * sizeof *names);
			names[n++] = xstrdup(de->d_name);
		}
	closedir(d);
	qsort(names, n, sizeof *names, migrate_cmp);
	if (db_begin(db) != 0 || db_schema_lock(db) != 0 || db_schema_init(db) != 0 ||
	    db_commit(db) != 0)
		rc = -1;
	db_rollback(db);
	for (i = 0; i < n; i++) {
		if (rc == 0 && migrate_one(db, dir, names[i]) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}
