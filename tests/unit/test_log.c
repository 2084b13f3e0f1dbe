/*
 * test_log.c - the log line: UTC stamp with milliseconds, level, the pid
 * of the process that logged (a forked child its own, not its parent's),
 * the level threshold, control characters flattened so one event is
 * one line, and the lines a thread holds back (oak_log_held) written in
 * order, whole, before its next line or at its flush.
 */
#include "log.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char path[] = "/tmp/oak-test-log-XXXXXX";

/* The Nth line (from 1) of the log, without its newline. */
static const char *line_n(int n, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");

    buf[0] = '\0';
    while (f && n-- > 0 && fgets(buf, (int)len, f))
        ;
    if (f)
        fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
    return n < 0 ? buf : "";
}

static int stamp_ok(const char *l)
{
    /* 2026-12-03T08:24:31.654Z */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ ";

    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == 'd' ? (l[i] < '0' || l[i] > '9') : l[i] != shape[i])
            return 0;
    return 1;
}

int main(void)
{
    char buf[4096], want[64];
    int fd = mkstemp(path), status = -1;
    pid_t pid;

    ok(fd >= 0, "temp file");
    close(fd);
    is_int(oak_log_open(OAK_L_INFO, path), 0, "open the log file");
    oak_info("first %d", 1);
    oak_debug("not at info level");
    oak_warn("second\nline\twith controls");
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        oak_info("from the child");
        _exit(0);
    }
    waitpid(pid, &status, 0);
    oak_info("parent again");

    line_n(1, buf, sizeof buf);
    ok(stamp_ok(buf), "UTC stamp with milliseconds (%s)", buf);
    snprintf(want, sizeof want, " [info] [%ld] first 1", (long)getpid());
    ok(strstr(buf, want) != NULL, "level, pid and message");
    line_n(2, buf, sizeof buf);
    ok(strstr(buf, "[warn]") && strstr(buf, "second line with controls"),
       "the debug line was dropped; controls became spaces (%s)", buf);
    line_n(3, buf, sizeof buf);
    snprintf(want, sizeof want, " [info] [%ld] from the child", (long)pid);
    ok(stamp_ok(buf) && strstr(buf, want) != NULL, "a forked child logs its own pid (%s)", buf);
    line_n(4, buf, sizeof buf);
    snprintf(want, sizeof want, " [info] [%ld] parent again", (long)getpid());
    ok(strstr(buf, want) != NULL, "and the parent still its own");
    is_str(line_n(5, buf, sizeof buf), "", "four lines in all");

    /* held lines: out at the next line logged or at the flush, in order */
    oak_log_held(OAK_L_INFO, "access held %d", 1);
    oak_log_held(OAK_L_DEBUG, "not at info level, not even held");
    ok(oak_log_pending(), "a held line is pending");
    is_str(line_n(5, buf, sizeof buf), "", "and not yet in the file");
    oak_log_held(OAK_L_INFO, "access held %d", 2);
    oak_warn("direct");
    ok(!oak_log_pending(), "a direct line takes the held ones with it");
    ok(strstr(line_n(5, buf, sizeof buf), "[info] ") && strstr(buf, "access held 1"), "held 1 first");
    ok(strstr(line_n(6, buf, sizeof buf), "access held 2") != NULL, "then held 2");
    ok(strstr(line_n(7, buf, sizeof buf), "[warn] ") && strstr(buf, "direct"), "then the direct line");
    oak_log_held(OAK_L_INFO, "access held\nwith a newline");
    oak_log_flush();
    ok(!oak_log_pending(), "flushed");
    ok(strstr(line_n(8, buf, sizeof buf), "access held with a newline") && stamp_ok(buf),
       "a flushed held line is a whole line like any other (%s)", buf);
    /* more than the buffer holds: the full buffer goes first, no line is cut */
    for (int i = 0; i < 200; i++)
        oak_log_held(OAK_L_INFO, "access many %03d %s", i,
                     "..............................................");
    oak_log_flush();
    {
        int whole = 0;

        for (int i = 0; i < 200; i++) {
            snprintf(want, sizeof want, "access many %03d ....", i);
            whole += stamp_ok(line_n(9 + i, buf, sizeof buf)) && strstr(buf, want) &&
                     buf[strlen(buf) - 1] == '.';
        }
        is_int(whole, 200, "200 held lines, more than one buffer, all whole and in order");
    }
    is_str(line_n(209, buf, sizeof buf), "", "208 lines in all");
    oak_log_close();
    unlink(path);
    return done_testing();
}
