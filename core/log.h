/*
 * log.h - process-wide logging: levels, one line per event, to stderr or a
 * file. Never pass personal data to these functions.
 */
#ifndef OAK_LOG_H
#define OAK_LOG_H

#include <stdarg.h>

#define OAK_L_ERROR 0
#define OAK_L_WARN  1
#define OAK_L_INFO  2
#define OAK_L_DEBUG 3

/* Parse "error|warn|info|debug"; returns -1 when unknown. */
int oak_log_level_parse(const char *s);
const char *oak_log_level_name(int level);

/* Set the level and destination (NULL or "" or "stderr": standard error).
 * Returns 0, or -1 when the file cannot be opened (errno kept). */
int oak_log_open(int level, const char *path);
void oak_log_close(void);
int oak_log_enabled(int level);

/* Log at error level and, when the log is a file, also print the line to
 * standard error: for start-up failures the operator must see at once. */
void oak_log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void oak_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void oak_vlog(int level, const char *prefix, const char *fmt, va_list ap);

/* Hold a line back in this thread's buffer (4 KB), to be written with
 * the next line it logs or at oak_log_flush(), whichever comes first; a
 * full buffer is written first. For lines a busy thread writes often
 * (access lines): the caller flushes before it waits for work, and a
 * thread that dies without flushing loses what it held. */
void oak_log_held(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int oak_log_pending(void);
void oak_log_flush(void);

#define oak_error(...) oak_log(OAK_L_ERROR, __VA_ARGS__)
#define oak_warn(...)  oak_log(OAK_L_WARN, __VA_ARGS__)
#define oak_info(...)  oak_log(OAK_L_INFO, __VA_ARGS__)
#define oak_debug(...) do { if (oak_log_enabled(OAK_L_DEBUG)) oak_log(OAK_L_DEBUG, __VA_ARGS__); } while (0)

#endif
