/*
 * handover.c - the queue of kept FastCGI connections (see handover.h): one
 * AF_UNIX datagram socket pair, one connection per datagram, so that any
 * number of workers may give and take without framing or locking. Workers
 * send on one end and receive on the other; both are inherited from the
 * master, which never reads it.
 */
#include "handover.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int queue[2] = { -1, -1 };    /* [0] taken from, [1] given to */

int oak_handover_open(void)
{
    if (queue[0] >= 0)
        return 0;
    return socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, queue);
}

void oak_handover_close(void)
{
    for (int i = 0; i < 2; i++)
        if (queue[i] >= 0) {
            close(queue[i]);
            queue[i] = -1;
        }
}

int oak_handover_give(int fd)
{
    char tag = 'c';
    struct iovec iov = { &tag, 1 };
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    ssize_t n;

    if (queue[1] < 0 || fd < 0)
        return -1;
    memset(&ctl, 0, sizeof ctl);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    do
        n = sendmsg(queue[1], &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -1;
}

int oak_handover_take(void)
{
    char tag;
    struct iovec iov = { &tag, 1 };
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int) * 4)];
    } ctl;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
    int fd = -1;
    ssize_t n;

    if (queue[0] < 0)
        return -1;
    do
        n = recvmsg(queue[0], &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;       /* EAGAIN: another worker was quicker */
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        size_t nfd;

        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < nfd; i++) {
            int got;

            memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
            /* one per message is what we send; keep the first of any more */
            if (fd < 0)
                fd = got;
            else
                close(got);
        }
    }
    return fd;
}

int oak_handover_fd(void)
{
    return queue[0];
}
