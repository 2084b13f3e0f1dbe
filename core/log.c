/*
 * log.c - line-oriented logging with a level threshold. Each line is built
 * in one buffer and written with one write(2) so lines from several workers
 * sharing the file do not interleave; lines a thread holds back (access
 * lines) go out together, whole, in one write.
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

/* Lines a thread holds back (oak_log_held) until it flushes: written one
 * write(2) each, the access lines were a tenth of a kept-alive request's
 * CPU. PIPE_BUF bytes at most, so a flush is one atomic write on a pipe
 * too. */
static _Thread_local char held[4096];
static _Thread_local size_t held_len;

static void write_all(const char *p, size_t n)
{
    while (write(log_fd, p, n) < 0 && errno == EINTR)
        ;
}

/* Format one line, newline included, into LINE (LEN >= 64); returns its length. */
static size_t format_line(char *line, size_t len, int level, const char *prefix,
                          const char *fmt, va_list ap)
{
    struct timespec ts;
    struct tm tm;
    size_t n;
    int r;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != stamp_sec) {
        gmtime_r(&ts.tv_sec, &tm);
        stamp_len = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        stamp_sec = ts.tv_sec;
    }
    memcpy(line, stamp, stamp_len);
    n = stamp_len;
    r = snprintf(line + n, len - n, ".%03ldZ [%s] [%ld] %s%s",
                 ts.tv_nsec / 1000000L, oak_log_level_name(level),
                 (long)current_pid(), prefix ? prefix : "", prefix ? ": " : "");
    if (r > 0 && (size_t)r < len - n)
        n += (size_t)r;
    r = vsnprintf(line + n, len - n, fmt, ap);
    if (r > 0)
        n += (size_t)r < len - n ? (size_t)r : len - n - 1;
    /* one line per event: control characters cannot forge extra lines */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)line[i] < 0x20)
            line[i] = ' ';
    if (n >= len - 1)
        n = len - 2;
    line[n++] = '\n';
    return n;
}

void oak_vlog(int level, const char *prefix, const char *fmt, va_list ap)
{
    char line[2048];
    size_t n;

    if (level > log_level)
        return;
    n = format_line(line, sizeof line, level, prefix, fmt, ap);
    /* after the lines this thread held back, in one write when they fit */
    if (held_len && held_len + n <= sizeof held) {
        memcpy(held + held_len, line, n);
        held_len += n;
        oak_log_flush();
        return;
    }
    oak_log_flush();
    write_all(line, n);
}

void oak_log_held(int level, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    size_t n;

    if (level > log_level)
        return;
    va_start(ap, fmt);
    n = format_line(line, sizeof line, level, NULL, fmt, ap);
    va_end(ap);
    if (held_len + n > sizeof held)
        oak_log_flush();
    memcpy(held + held_len, line, n);
    held_len += n;
}

int oak_log_pending(void)
{
    return held_len > 0;
}

void oak_log_flush(void)
{
    if (held_len)
        write_all(held, held_len);
    held_len = 0;
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
