/* log.c -- one JSON object per line, so a log collector parses it without rules. */
#include "log.h"
#include "buf.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum log_level log_level = LOG_INFO;
static FILE *log_fp;
static void (*log_sink)(enum log_level level, const char *line);
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *log_names[] = { "debug", "info", "warn", "error" };

void
log_set_level(enum log_level level)
{
	log_level = level;
}

void
log_set_file(const char *path)
{
	FILE *fp = path ? fopen(path, "a") : NULL;

	pthread_mutex_lock(&log_lock);
	if (log_fp)
		fclose(log_fp);
	log_fp = fp;
	pthread_mutex_unlock(&log_lock);
}

void
log_set_sink(void (*sink)(enum log_level level, const char *line))
{
	pthread_mutex_lock(&log_lock);
	log_sink = sink;
	pthread_mutex_unlock(&log_lock);
}

bool
log_enabled(enum log_level level)
{
	return level >= log_level;
}

static void
log_write(enum log_level level, const char *json)
{
	pthread_mutex_lock(&log_lock);
	if (log_sink) {
		log_sink(level, json);
	} else {
		fprintf(log_fp ? log_fp : stderr, "%s\n", json);
		fflush(log_fp ? log_fp : stderr);
	}
	pthread_mutex_unlock(&log_lock);
}

void
log_json_line(const char *json)
{
	log_write(LOG_INFO, json);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	struct json_object *o;
	struct timespec ts;
	struct tm tm;
	char when[64], text[2048];
	va_list ap;

	if (level < log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	o = json_object_new_object();
	json_object_object_add(o, "ts", json_object_new_string(when));
	json_object_object_add(o, "level", json_object_new_string(log_names[level]));
	json_object_object_add(o, "msg", json_object_new_string(text));
	log_write(level, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}
