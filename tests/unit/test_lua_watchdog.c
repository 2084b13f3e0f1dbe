/*
 * test_lua_watchdog.c - the regression test of the Lua watchdog fix
 * (core/lua_sandbox.c, watchdog()): a SIGALRM that is not the sandbox's
 * own timer firing is no runaway script, and must not end the process.
 * The lua_hook fuzz target found it: libFuzzer's own timer (setitimer,
 * SIGALRM once a second) ended every process holding a sandbox as if a
 * script had overrun. A corpus input cannot reproduce that (the signal
 * comes from outside the input), so this program sends those signals
 * itself while script calls run:
 *   - setitimer(ITIMER_REAL) every millisecond (SI_KERNEL, as libFuzzer);
 *   - kill() from another process (SI_USER, as `kill -ALRM`);
 *   - sigqueue() from another process with a pointer that is no sandbox
 *     (SI_QUEUE: the handler must not take it for one);
 * every call must complete with its result and the process must live. A
 * call that really overruns its time limit still ends the process with
 * the watchdog's message (the positive control).
 *
 * Each case runs in a child, so that a regression ends the child (exit
 * 70, the watchdog's) rather than this program.
 */
#include "lua_sandbox.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <lua.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A script call of a few milliseconds, far inside its limits. */
static const char busy[] = "local s = 0 for i = 1, 200000 do s = s + i % 7 end return s";
static const char busy_result[] = "599997";    /* sum of i % 7, i = 1..200000 */

/* Run BUSY once in SB: 0 when it returned BUSY_RESULT. */
static int one_call(struct oak_sandbox *sb)
{
    lua_State *L = oak_sandbox_state(sb);
    char err[512];
    int good;

    oak_sandbox_push_env(sb);
    if (oak_sandbox_load(sb, busy, strlen(busy), "@t/busy.lua", err, sizeof err) != 0 ||
        oak_sandbox_call(sb, 0, 1, err, sizeof err) != 0) {
        fprintf(stderr, "call failed: %s\n", err);
        return -1;
    }
    good = lua_type(L, -1) == LUA_TNUMBER && strcmp(lua_tostring(L, -1), busy_result) == 0;
    lua_pop(L, 1);
    return good ? 0 : -1;
}

static struct oak_sandbox *new_sandbox(int timeout_ms)
{
    struct oak_lua_limits lim = { 16u << 20, 2000000000L, timeout_ms };

    return oak_sandbox_new(&lim);
}

/* Wait for PID; its exit status, or 128 + signal. */
static int reap(pid_t pid)
{
    int status;

    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The child: calls under an interval timer's SIGALRM every millisecond
 * for at least 300 ms. Exit 0, or 1 when a call failed, 2 when no signal
 * arrived during a call (the test would prove nothing). */
static int child_itimer(void)
{
    struct oak_sandbox *sb = new_sandbox(10000);
    struct itimerval every_ms = { { 0, 1000 }, { 0, 1000 } }, off = { { 0, 0 }, { 0, 0 } };
    struct timespec t0, t;
    long calls = 0;
    double ms = 0;

    if (!sb)
        return 3;
    setitimer(ITIMER_REAL, &every_ms, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (ms < 300 || calls < 3) {
        if (one_call(sb) != 0)
            return 1;
        calls++;
        clock_gettime(CLOCK_MONOTONIC, &t);
        ms = (double)(t.tv_sec - t0.tv_sec) * 1e3 + (double)(t.tv_nsec - t0.tv_nsec) / 1e6;
    }
    setitimer(ITIMER_REAL, &off, NULL);
    oak_sandbox_free(sb);
    printf("# %ld calls in %.0f ms under a 1 ms interval timer\n", calls, ms);
    fflush(stdout);
    return 0;
}

/* The child for signals from another process: says "ready" on READY,
 * then calls until STOP is readable. Exit 0, or 1 when a call failed. */
static int child_calls_until(int ready, int stop)
{
    struct oak_sandbox *sb = new_sandbox(10000);
    long calls = 0;
    char c = 'r';

    if (!sb)
        return 3;
    fcntl(stop, F_SETFL, O_NONBLOCK);
    if (write(ready, &c, 1) != 1)
        return 3;
    while (read(stop, &c, 1) != 1) {
        if (one_call(sb) != 0)
            return 1;
        calls++;
    }
    oak_sandbox_free(sb);
    printf("# %ld calls while signalled\n", calls);
    fflush(stdout);
    return 0;
}

/* Send SIGALRM to a child calling scripts, COUNT times a millisecond
 * apart, by kill() or by sigqueue() with a pointer that is no sandbox;
 * the exit status of the child. */
static int signalled(int queue, int count)
{
    int ready[2], stop[2], rc;
    char c;
    pid_t pid;

    if (pipe(ready) != 0 || pipe(stop) != 0)
        return -1;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        close(ready[0]);
        close(stop[1]);
        _exit(child_calls_until(ready[1], stop[0]));
    }
    close(ready[1]);
    close(stop[0]);
    if (read(ready[0], &c, 1) == 1) {
        for (int i = 0; i < count; i++) {
            if (queue) {
                union sigval v = { .sival_ptr = (void *)(uintptr_t)0xdeadbeefu };

                sigqueue(pid, SIGALRM, v);
            } else {
                kill(pid, SIGALRM);
            }
            usleep(1000);
        }
    }
    if (write(stop[1], "s", 1) != 1)
        kill(pid, SIGKILL);
    rc = reap(pid);
    close(ready[0]);
    close(stop[1]);
    return rc;
}

/* The positive control: a call that overruns its 200 ms limit ends the
 * process with the watchdog's message. */
static void overrun(void)
{
    char said[512] = "";
    int fds[2], rc;
    struct timespec t0, t1;
    ssize_t n;
    pid_t pid;

    if (pipe(fds) != 0)
        return;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        struct oak_sandbox *sb = new_sandbox(200);
        const char *src = "while true do end";
        char err[512];

        dup2(fds[1], 2);
        if (!sb)
            _exit(3);
        oak_sandbox_push_env(sb);
        if (oak_sandbox_load(sb, src, strlen(src), "@t/forever.lua", err, sizeof err) == 0)
            oak_sandbox_call(sb, 0, 0, err, sizeof err);
        _exit(0);
    }
    close(fds[1]);
    for (size_t got = 0; got < sizeof said - 1; got += (size_t)n)
        if ((n = read(fds[0], said + got, sizeof said - 1 - got)) <= 0)
            break;
    close(fds[0]);
    said[strcspn(said, "\n")] = '\0';
    rc = reap(pid);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ok(strstr(said, "t/forever.lua") && strstr(said, "ran past its time limit"),
       "a call that overruns its time limit is still ended by the watchdog (%s)", said);
    /* 70 normally; under valgrind the exit code may be valgrind's */
    ok(rc != 0 && rc != 3, "which ends the process (status %d)", rc);
    ok(t1.tv_sec - t0.tv_sec < 30, "soon after the limit");
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void pause_ms(double ms)
{
    struct timespec t0;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (ms_since(&t0) < ms)
        usleep(5000);
}

/* The timer is left running after a call (lua_sandbox.c, arm_for_call):
 * it may fire idle, and it may fire during a later call that has not used
 * its time yet. Limit 300 ms: a call, 400 ms idle (the timer fires with
 * no call and rests), a call (armed again), 200 ms idle, then a runaway
 * call. The timer fires 100 ms into the runaway, which must not end it
 * then but 300 ms after it began. */
static void lazy_timer(void)
{
    char said[512] = "";
    int fds[2], rc;
    double ran = -1;
    struct timespec t0;
    ssize_t n;
    size_t got = 0;
    pid_t pid;

    if (pipe(fds) != 0)
        return;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        struct oak_sandbox *sb = new_sandbox(300);
        const char *src = "while true do end";
        char err[512];

        dup2(fds[1], 2);
        if (!sb || one_call(sb) != 0)
            _exit(3);
        pause_ms(400);
        if (one_call(sb) != 0)
            _exit(4);
        pause_ms(200);
        oak_sandbox_push_env(sb);
        if (oak_sandbox_load(sb, src, strlen(src), "@t/late.lua", err, sizeof err) != 0)
            _exit(5);
        if (write(fds[1], "start\n", 6) != 6)
            _exit(6);
        oak_sandbox_call(sb, 0, 0, err, sizeof err);
        _exit(0);
    }
    close(fds[1]);
    while (got < sizeof said - 1 && (n = read(fds[0], said + got, sizeof said - 1 - got)) > 0) {
        got += (size_t)n;
        said[got] = '\0';
        if (ran < 0 && strstr(said, "start\n"))
            clock_gettime(CLOCK_MONOTONIC, &t0), ran = 0;
    }
    if (ran == 0)
        ran = ms_since(&t0);
    close(fds[0]);
    rc = reap(pid);
    ok(strstr(said, "start") && strstr(said, "t/late.lua") && strstr(said, "ran past its time limit"),
       "after calls that left the timer running, an overrun is still ended (%s)",
       strchr(said, '\n') ? strchr(said, '\n') + 1 : said);
    ok(rc != 0 && (rc < 3 || rc > 6), "which ends the process (status %d)", rc);
    /* the timer fired 100 ms into it; ending it then would cut a call
     * that had used a third of its time */
    ok(ran >= 280 && ran < 10000, "not before its own 300 ms were up (%.0f ms)", ran);
}

int main(void)
{
    struct sigaction sa;
    struct oak_sandbox *sb = new_sandbox(10000);
    pid_t pid;

    signal(SIGPIPE, SIG_IGN);     /* a child that died (a regression) closed its pipes */
    if (!ok(sb != NULL, "a sandbox"))
        return 1;
    ok(sigaction(SIGALRM, NULL, &sa) == 0 && (sa.sa_flags & SA_SIGINFO) && sa.sa_sigaction != NULL,
       "its watchdog handles SIGALRM");
    ok(one_call(sb) == 0, "a call returns its result");

    /* a SIGALRM outside any call, sent to the process itself */
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        int rc;

        raise(SIGALRM);
        rc = one_call(sb) == 0 ? 0 : 1;
        oak_sandbox_free(sb);         /* valgrind counts a leak at _exit too */
        _exit(rc);
    }
    is_int(reap(pid), 0, "raise(SIGALRM) between calls leaves the process alive, the next call works");
    oak_sandbox_free(sb);

    fflush(stdout);
    pid = fork();
    if (pid == 0)
        _exit(child_itimer());
    is_int(reap(pid), 0, "calls under setitimer(ITIMER_REAL) firing every 1 ms (libFuzzer's timer) "
           "all complete, the process lives");
    is_int(signalled(0, 200), 0, "200 SIGALRMs by kill() from another process during calls: "
           "all complete, the process lives");
    is_int(signalled(1, 200), 0, "200 SIGALRMs by sigqueue() with a pointer that is no sandbox: "
           "all complete, the process lives");
    overrun();
    lazy_timer();
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}
