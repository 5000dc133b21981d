/* log.h -- structured log lines (one JSON object per line on stderr). */
#ifndef FOLIO_LOG_H
#define FOLIO_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
/* Sets where lines go; NULL means stderr. The TUI logs to a file. */
void log_set_file(const char *path);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes a prepared JSON object (without the trailing newline) as one line, at level info. */
void log_json_line(const char *json);
/* True when lines of level are written (a caller can skip building one). */
bool log_enabled(enum log_level level);
/* Sends every line to sink (called under the log lock) instead of the file; NULL: the file. */
void log_set_sink(void (*sink)(enum log_level level, const char *line));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
