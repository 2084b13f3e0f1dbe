/*
 * listen.c - create the FastCGI listen socket. A unix socket gets the
 * configured mode and group (only nginx should reach it: libfcgi's params
 * parser is not safe against hostile peers); a stale socket file is
 * replaced, a live one is refused unless the master that listened on it is
 * dead (its orphaned workers are only finishing their last requests).
 */
#include "config.h"
#include "log.h"
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* connected to a live socket: does the process that called listen() on it
 * (the credentials the kernel kept from that call) still exist? */
static int listener_dead(int probe)
{
    struct ucred cr;
    socklen_t len = sizeof cr;

    if (getsockopt(probe, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.pid <= 0)
        return 0;
    return kill(cr.pid, 0) < 0 && errno == ESRCH;
}

static int unix_listen(const char *path, int mode, const char *group, char *err, size_t errlen)
{
    struct sockaddr_un sa;
    struct stat st;
    mode_t old;
    int fd;

    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "listen: socket path too long: %s", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    if (lstat(path, &st) == 0) {
        int probe;

        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, errlen, "listen: %s exists and is not a socket", path);
            return -1;
        }
        probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0) {
            if (!listener_dead(probe)) {
                close(probe);
                snprintf(err, errlen, "listen: %s is in use by another process", path);
                return -1;
            }
            oak_warn("listen: %s is still held by workers of a master that died; "
                     "replacing it (they finish their requests and exit)", path);
        }
        if (probe >= 0)
            close(probe);
        unlink(path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "listen: socket: %s", strerror(errno));
        return -1;
    }
    old = umask(0177);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        umask(old);
        snprintf(err, errlen, "listen: bind %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    umask(old);
    if (group) {
        struct group *g = getgrnam(group);

        if (!g) {
            snprintf(err, errlen, "listen: socket_group '%s' does not exist", group);
            goto fail;
        }
        if (chown(path, (uid_t)-1, g->gr_gid) < 0) {
            snprintf(err, errlen, "listen: chown %s to group %s: %s", path, group, strerror(errno));
            goto fail;
        }
    }
    if (chmod(path, (mode_t)mode) < 0) {
        snprintf(err, errlen, "listen: chmod %s: %s", path, strerror(errno));
        goto fail;
    }
    if (listen(fd, 1024) < 0) {
        snprintf(err, errlen, "listen: %s: %s", path, strerror(errno));
        goto fail;
    }
    return fd;
fail:
    close(fd);
    unlink(path);
    return -1;
}

static int tcp_listen(const char *spec, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    struct addrinfo hints, *res = NULL;
    int fd, one = 1, rc;

    if (oak_listen_host(spec, host, sizeof host) < 0) {
        snprintf(err, errlen, "listen: bad address '%s'", spec);
        return -1;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "listen: %s: %s (give a numeric address)", spec, gai_strerror(rc));
        return -1;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "listen: socket: %s", strerror(errno));
        freeaddrinfo(res);
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
        snprintf(err, errlen, "listen: %s: %s", spec, strerror(errno));
        close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    return fd;
}

int oak_listen_open(const char *spec, int mode, const char *group, char *err, size_t errlen)
{
    if (strncmp(spec, "unix:", 5) == 0)
        return unix_listen(spec + 5, mode, group, err, errlen);
    return tcp_listen(spec, err, errlen);
}
