/*
 * test_log.c - the log line: UTC stamp with milliseconds, level, the pid
 * of the process that logged (a forked child its own, not its parent's),
 * the level threshold, and control characters flattened so one event is
 * one line.
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
    oak_log_close();
    unlink(path);
    return done_testing();
}
