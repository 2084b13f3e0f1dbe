/*
 * server.c - the prefork master (see server.h).
 *
 * All signals the master cares about stay blocked except inside ppoll(),
 * so every state change happens in the main loop, never in a handler.
 */
#include "server.h"
#include "clock.h"
#include "db.h"
#include "handover.h"
#include "log.h"
#include "scripts.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "worker.h"

#define CRASH_WINDOW_MS 60000.0
#define CRASH_LOOP_COUNT 5
#define MAX_BACKOFF_MS 10000.0

struct slot {
    pid_t pid;
    double started;
    double next_start;        /* when to (re)start an empty slot */
    double window_start;      /* start of the current crash window */
    int crashes;              /* crashes in the window */
};

struct draining {
    pid_t pid;
    double deadline;
};

struct master {
    const struct oak_cli *cli;
    struct oak_app *app;
    int listen_fd;
    char *listen_spec;
    int pid_fd;
    struct slot *slots;
    int nslots;
    struct draining *drain;
    int ndrain;
    int stopping;
};

static volatile sig_atomic_t got_chld, got_hup, got_term;

static void on_signal(int sig)
{
    if (sig == SIGCHLD)
        got_chld = 1;
    else if (sig == SIGHUP)
        got_hup = 1;
    else
        got_term = 1;
}


static int pidfile_open(const char *path, char *err, size_t errlen)
{
    char buf[32];
    int fd, n;

    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "pid file %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        n = (int)read(fd, buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        snprintf(err, errlen, "pid file %s is locked: oakseed already running (pid %s)", path,
                 buf[0] ? buf : "?");
        close(fd);
        return -1;
    }
    n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || write(fd, buf, (size_t)n) != n) {
        snprintf(err, errlen, "pid file %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static pid_t spawn(struct master *m)
{
    pid_t master = getpid(), pid = fork();

    if (pid == 0) {
        if (m->pid_fd >= 0)
            close(m->pid_fd);
        _exit(oak_worker_run(m->app, m->listen_fd, master));
    }
    if (pid < 0)
        oak_error("fork: %s", strerror(errno));
    return pid;
}

static void start_due(struct master *m)
{
    double now = oak_now_ms();

    if (!m->app || m->stopping)
        return;
    for (int i = 0; i < m->nslots; i++) {
        struct slot *s = &m->slots[i];

        if (s->pid || s->next_start > now)
            continue;
        s->pid = spawn(m);
        if (s->pid < 0) {
            s->pid = 0;
            s->next_start = now + 1000;
            continue;
        }
        s->started = now;
    }
}

static void describe(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
}

static void on_exit_slot(struct master *m, int i, int status)
{
    struct slot *s = &m->slots[i];
    double now = oak_now_ms(), delay = 0;
    char how[96];

    s->pid = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        /* recycled after max_requests */
        s->next_start = now;
        return;
    }
    describe(status, how, sizeof how);
    if (now - s->window_start > CRASH_WINDOW_MS) {
        s->window_start = now;
        s->crashes = 0;
    }
    s->crashes++;
    /* the first crash is replaced at once; repeated ones back off */
    if (s->crashes > 1) {
        delay = 100.0 * (double)(1 << (s->crashes - 2 < 10 ? s->crashes - 2 : 10));
        if (delay > MAX_BACKOFF_MS)
            delay = MAX_BACKOFF_MS;
    }
    s->next_start = now + delay;
    if (s->crashes >= CRASH_LOOP_COUNT)
        oak_error("worker slot %d is crash-looping: %d crashes in %.0f s, last %s; "
                  "next restart in %.1f s", i, s->crashes, (now - s->window_start) / 1000.0,
                  how, delay / 1000.0);
    else
        oak_warn("worker slot %d %s; restarting%s", i, how, delay > 0 ? " after back-off" : "");
}

static void reap(struct master *m)
{
    pid_t pid;
    int status;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        int found = 0;

        for (int i = 0; i < m->nslots && !found; i++)
            if (m->slots[i].pid == pid) {
                found = 1;
                on_exit_slot(m, i, status);
            }
        for (int i = 0; i < m->ndrain && !found; i++)
            if (m->drain[i].pid == pid) {
                found = 1;
                m->drain[i] = m->drain[--m->ndrain];
            }
    }
}

static int add_draining(struct master *m, pid_t pid, double deadline)
{
    struct draining *d = realloc(m->drain, sizeof *d * (size_t)(m->ndrain + 1));

    if (!d)
        return -1;
    m->drain = d;
    d[m->ndrain].pid = pid;
    d[m->ndrain].deadline = deadline;
    m->ndrain++;
    return 0;
}

static int resize_slots(struct master *m, int n)
{
    struct slot *s = calloc((size_t)n, sizeof *s);

    if (!s)
        return -1;
    free(m->slots);
    m->slots = s;
    m->nslots = n;
    return 0;
}

/* Check the new configuration in a child first: a config or plugin that
 * fails to load must not take down the running one. */
static int reload_check(struct master *m)
{
    pid_t pid = fork();
    int status;

    if (pid < 0) {
        oak_error("reload: fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        char err[1024];
        struct oak_app *app;

        if (m->pid_fd >= 0)
            close(m->pid_fd);
        app = oak_app_create(m->cli, OAK_APP_MIGRATE, err, sizeof err);
        if (!app) {
            oak_error("reload: %s", err);
            _exit(1);
        }
        _exit(0);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void reload(struct master *m)
{
    char err[1024];
    double now = oak_now_ms();

    oak_info("SIGHUP: reloading configuration, plugins and scripts");
    if (reload_check(m) < 0) {
        oak_error("reload failed; the running configuration stays in service");
        return;
    }
    /* keep the running scripts for any that no longer compile */
    struct oak_scripts *old_scripts = m->app ? m->app->scripts : NULL;

    if (m->app)
        m->app->scripts = NULL;
    oak_app_destroy(m->app);
    oak_scripts_previous = old_scripts;
    m->app = oak_app_create(m->cli, OAK_APP_MIGRATE, err, sizeof err);
    oak_scripts_previous = NULL;
    oak_scripts_free(old_scripts);
    if (!m->app) {
        oak_error("reload: %s; running workers keep serving, send SIGHUP again", err);
        return;
    }
    if (strcmp(m->app->cfg.listen, m->listen_spec) != 0)
        oak_warn("reload: listen changed to %s; that needs a restart, still on %s",
                 m->app->cfg.listen, m->listen_spec);
    for (int i = 0; i < m->nslots; i++)
        if (m->slots[i].pid) {
            if (add_draining(m, m->slots[i].pid, now + m->app->cfg.drain_timeout * 1000.0) < 0)
                oak_error("reload: out of memory");
            /* SIGUSR2: drain and hand kept connections to the new workers */
            kill(m->slots[i].pid, SIGUSR2);
        }
    if (resize_slots(m, m->app->cfg.workers) < 0) {
        oak_error("reload: out of memory");
        return;
    }
    start_due(m);
    oak_info("reloaded: %d workers, %d plugins", m->nslots, m->app->nplugins - 1);
    oak_config_warn(&m->app->cfg);
}

static void kill_overdue(struct master *m)
{
    double now = oak_now_ms();

    for (int i = 0; i < m->ndrain; i++)
        if (m->drain[i].deadline <= now) {
            oak_warn("worker %ld did not finish within drain_timeout; killing it",
                     (long)m->drain[i].pid);
            kill(m->drain[i].pid, SIGKILL);
            m->drain[i].deadline = now + 60000;
        }
}

static void wait_ms(double ms, const sigset_t *mask)
{
    struct timespec ts;

    if (ms < 0)
        ms = 0;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000) * 1e6);
    ppoll(NULL, 0, &ts, mask);
}

static double next_wakeup(struct master *m)
{
    double now = oak_now_ms(), t = now + 1000;

    for (int i = 0; i < m->nslots; i++)
        if (!m->slots[i].pid && m->slots[i].next_start < t)
            t = m->slots[i].next_start;
    for (int i = 0; i < m->ndrain; i++)
        if (m->drain[i].deadline < t)
            t = m->drain[i].deadline;
    return t - now;
}

static int children(struct master *m)
{
    int n = m->ndrain;

    for (int i = 0; i < m->nslots; i++)
        n += m->slots[i].pid != 0;
    return n;
}

static void shutdown_all(struct master *m, const sigset_t *mask)
{
    double deadline = oak_now_ms() + (m->app ? m->app->cfg.drain_timeout : 30) * 1000.0;

    m->stopping = 1;
    oak_info("stopping: draining %d workers", children(m));
    for (int i = 0; i < m->nslots; i++)
        if (m->slots[i].pid)
            kill(m->slots[i].pid, SIGTERM);
    for (int i = 0; i < m->ndrain; i++)
        kill(m->drain[i].pid, SIGTERM);
    while (children(m) > 0 && oak_now_ms() < deadline) {
        wait_ms(100, mask);
        reap(m);
    }
    if (children(m) > 0) {
        oak_warn("stopping: %d workers still busy after drain_timeout; killing them", children(m));
        for (int i = 0; i < m->nslots; i++)
            if (m->slots[i].pid)
                kill(m->slots[i].pid, SIGKILL);
        for (int i = 0; i < m->ndrain; i++)
            kill(m->drain[i].pid, SIGKILL);
        while (children(m) > 0 && waitpid(-1, NULL, 0) > 0)
            reap(m);
    }
}

int oak_server_run(const struct oak_cli *cli)
{
    struct master m;
    struct sigaction sa;
    sigset_t block, mask;
    char err[1024];
    char *pid_path = NULL;

    memset(&m, 0, sizeof m);
    m.cli = cli;
    m.pid_fd = -1;
    m.listen_fd = -1;
    m.app = oak_app_create(cli, OAK_APP_MIGRATE, err, sizeof err);
    if (!m.app) {
        oak_log_fatal("%s", err);
        return 1;
    }
    oak_config_warn(&m.app->cfg);
    if (m.app->cfg.pid_file) {
        pid_path = strdup(m.app->cfg.pid_file);
        m.pid_fd = pidfile_open(pid_path, err, sizeof err);
        if (m.pid_fd < 0) {
            oak_log_fatal("%s", err);
            goto fail;
        }
    }
    m.listen_spec = strdup(m.app->cfg.listen);
    m.listen_fd = oak_listen_open(m.listen_spec, m.app->cfg.socket_mode, m.app->cfg.socket_group,
                                  err, sizeof err);
    if (m.listen_fd < 0) {
        oak_log_fatal("%s", err);
        goto fail;
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    /* not ours: blocked so a worker inherits it blocked until it waits */
    sigaddset(&block, SIGUSR2);
    sigprocmask(SIG_BLOCK, &block, &mask);
    sigdelset(&mask, SIGCHLD);
    sigdelset(&mask, SIGHUP);
    sigdelset(&mask, SIGTERM);
    sigdelset(&mask, SIGINT);

    /* one write latch for every worker, kept across reloads (db.c) */
    if (oak_db_latch_share() < 0) {
        oak_log_fatal("cannot map the shared write latch: %s", strerror(errno));
        goto fail;
    }
    /* before the first fork: every worker inherits the queue (handover.h) */
    if (oak_handover_open() < 0)
        oak_warn("cannot create the connection hand-over queue: %s; a replaced worker "
                 "closes its kept connections", strerror(errno));
    if (resize_slots(&m, m.app->cfg.workers) < 0)
        goto fail;
    start_due(&m);
    oak_info("oakseed %s listening on %s with %d workers, %d plugins", PACKAGE_VERSION,
             m.listen_spec, m.nslots, m.app->nplugins - 1);

    while (!got_term) {
        wait_ms(next_wakeup(&m), &mask);
        if (got_chld) {
            got_chld = 0;
            reap(&m);
        }
        if (got_term)
            break;
        if (got_hup) {
            got_hup = 0;
            reload(&m);
        }
        kill_overdue(&m);
        start_due(&m);
    }
    shutdown_all(&m, &mask);
    if (strncmp(m.listen_spec, "unix:", 5) == 0)
        unlink(m.listen_spec + 5);
    close(m.listen_fd);
    if (pid_path) {
        unlink(pid_path);
        close(m.pid_fd);
    }
    oak_handover_close();
    oak_info("stopped");
    oak_app_destroy(m.app);
    free(m.slots);
    free(m.drain);
    free(m.listen_spec);
    free(pid_path);
    return 0;
fail:
    oak_handover_close();
    if (m.pid_fd >= 0) {
        unlink(pid_path);
        close(m.pid_fd);
    }
    oak_app_destroy(m.app);
    free(m.listen_spec);
    free(pid_path);
    return 1;
}
