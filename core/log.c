/*
 * log.c - line-oriented logging with a level threshold. Each line is built
 * in one buffer and written with one write(2) so lines from several workers
 * sharing the file do not interleave.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static int log_level = OAK_L_INFO;
static int log_fd = 2;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

/* An access line per request: the date part of the stamp is formatted
 * once a second per thread, and the pid once per process (forgotten in a
 * forked child). */
static pid_t log_pid;
static pthread_once_t pid_once = PTHREAD_ONCE_INIT;
static _Thread_local time_t stamp_sec = -1;
static _Thread_local char stamp[32];
static _Thread_local size_t stamp_len;

static void forget_pid(void) { log_pid = 0; }
static void watch_forks(void) { pthread_atfork(NULL, NULL, forget_pid); }

static pid_t current_pid(void)
{
    pthread_once(&pid_once, watch_forks);
    if (!log_pid)
        log_pid = getpid();
    return log_pid;
}

int oak_log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

const char *oak_log_level_name(int level)
{
    return level >= 0 && level < 4 ? level_names[level] : "?";
}

int oak_log_open(int level, const char *path)
{
    int fd = 2;

    if (path && *path && strcmp(path, "stderr") != 0) {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0)
            return -1;
    }
    oak_log_close();
    log_fd = fd;
    log_level = level;
    return 0;
}

void oak_log_close(void)
{
    if (log_fd > 2)
        close(log_fd);
    log_fd = 2;
}

int oak_log_enabled(int level)
{
    return level <= log_level;
}

void oak_vlog(int level, const char *prefix, const char *fmt, va_list ap)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    size_t n;
    int r;

    if (level > log_level)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != stamp_sec) {
        gmtime_r(&ts.tv_sec, &tm);
        stamp_len = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        stamp_sec = ts.tv_sec;
    }
    memcpy(line, stamp, stamp_len);
    n = stamp_len;
    r = snprintf(line + n, sizeof line - n, ".%03ldZ [%s] [%ld] %s%s",
                 ts.tv_nsec / 1000000L, oak_log_level_name(level),
                 (long)current_pid(), prefix ? prefix : "", prefix ? ": " : "");
    if (r > 0 && (size_t)r < sizeof line - n)
        n += (size_t)r;
    r = vsnprintf(line + n, sizeof line - n, fmt, ap);
    if (r > 0)
        n += (size_t)r < sizeof line - n ? (size_t)r : sizeof line - n - 1;
    /* one line per event: control characters cannot forge extra lines */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)line[i] < 0x20)
            line[i] = ' ';
    if (n >= sizeof line - 1)
        n = sizeof line - 2;
    line[n++] = '\n';
    while (write(log_fd, line, n) < 0 && errno == EINTR)
        ;
}

void oak_log(int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    oak_vlog(level, NULL, fmt, ap);
    va_end(ap);
}

void oak_log_fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    oak_vlog(OAK_L_ERROR, NULL, fmt, ap);
    va_end(ap);
    if (log_fd != 2) {
        fputs("oakseed: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
}
