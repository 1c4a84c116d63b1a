/*
 * TCP connection setup (see net/tcp.h for the contract).
 *
 * Every socket is created with SOCK_CLOEXEC. Connects are non-blocking with
 * poll() so that the caller's timeout bounds each attempt as well as the
 * retry loop.
 */
#include "net/tcp.h"

#include "net/channel.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Pause between connection attempts while the server is not yet listening. */
#define TCP_RETRY_SLEEP_MS 5

/* Milliseconds left until deadline for poll(): -1 = forever, 0 = expired. */
static int remaining_ms(int timeout_ms, int64_t deadline)
{
    if (timeout_ms < 0)
        return -1;
    int64_t left = deadline - sirnn_monotonic_ms();
    if (left <= 0)
        return 0;
    return left > INT32_MAX ? INT32_MAX : (int)left;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Poll one fd until an event or the deadline; EINTR resumes with the time
 * left. Returns 1 when ready, 0 on timeout, -1 on error (errno set). */
static int poll_until(int fd, short events, int timeout_ms, int64_t deadline)
{
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = events, .revents = 0};
        int rc = poll(&pfd, 1, remaining_ms(timeout_ms, deadline));
        if (rc >= 0)
            return rc > 0 ? 1 : 0;
        if (errno != EINTR)
            return -1;
    }
}

static sirnn_status resolve(const char *host, uint16_t port, bool passive, struct addrinfo **out)
{
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    int rc = getaddrinfo(host, service, &hints, out);
    if (rc == EAI_MEMORY)
        return SIRNN_ERR_NOMEM;
    return rc == 0 ? SIRNN_OK : SIRNN_ERR_IO;
}

sirnn_status sirnn_tcp_listen(int *fd_out, const char *addr, uint16_t port)
{
    if (fd_out == NULL)
        return SIRNN_ERR_ARG;
    *fd_out = -1;
    struct addrinfo *list = NULL;
    sirnn_status st = resolve(addr != NULL ? addr : "127.0.0.1", port, true, &list);
    if (st != SIRNN_OK)
        return st;
    st = SIRNN_ERR_IO;
    for (struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        ai->ai_protocol);
        if (fd < 0)
            continue;
        int one = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
            bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0) {
            *fd_out = fd;
            st = SIRNN_OK;
            break;
        }
        close(fd);
    }
    freeaddrinfo(list);
    return st;
}

sirnn_status sirnn_tcp_local_port(int fd, uint16_t *port_out)
{
    if (fd < 0 || port_out == NULL)
        return SIRNN_ERR_ARG;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return SIRNN_ERR_IO;
    if (ss.ss_family == AF_INET)
        *port_out = ntohs(((const struct sockaddr_in *)&ss)->sin_port);
    else if (ss.ss_family == AF_INET6)
        *port_out = ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
    else
        return SIRNN_ERR_ARG;
    return SIRNN_OK;
}

sirnn_status sirnn_tcp_accept(int listen_fd, int timeout_ms, int *fd_out)
{
    if (listen_fd < 0 || fd_out == NULL)
        return SIRNN_ERR_ARG;
    *fd_out = -1;
    const int64_t deadline = sirnn_monotonic_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        /* Our listening sockets are non-blocking, so a connection that is
         * reset between poll and accept gives EAGAIN here, not a hang. */
        int ready = poll_until(listen_fd, POLLIN, timeout_ms, deadline);
        if (ready < 0)
            return SIRNN_ERR_IO;
        if (ready == 0)
            return SIRNN_ERR_TIMEOUT;
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            *fd_out = fd;
            return SIRNN_OK;
        }
        switch (errno) {
        case EINTR:
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
        case ECONNABORTED:
        case EPROTO:
            continue; /* transient: wait for the next connection */
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
            return SIRNN_ERR_NOMEM;
        default:
            return SIRNN_ERR_IO;
        }
    }
}

/* One connection attempt to one address within the deadline. Returns the
 * connected (blocking) fd, or -1 with errno set (ETIMEDOUT on timeout). */
static int connect_once(const struct addrinfo *ai, int timeout_ms, int64_t deadline)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    ai->ai_protocol);
    if (fd < 0)
        return -1;
    int err = 0;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        err = errno;
        /* EINTR: the connection continues asynchronously, like EINPROGRESS. */
        if (err == EINPROGRESS || err == EINTR) {
            int ready = poll_until(fd, POLLOUT, timeout_ms, deadline);
            if (ready <= 0) {
                err = ready == 0 ? ETIMEDOUT : errno;
            } else {
                socklen_t len = sizeof err;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                    err = errno;
            }
        }
    }
    if (err == 0) {
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
            err = errno;
    }
    if (err != 0) {
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

sirnn_status sirnn_tcp_connect(int *fd_out, const char *host, uint16_t port, int timeout_ms)
{
    if (fd_out == NULL || host == NULL || port == 0)
        return SIRNN_ERR_ARG;
    *fd_out = -1;
    const int64_t deadline = sirnn_monotonic_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    struct addrinfo *list = NULL;
    sirnn_status st = resolve(host, port, false, &list);
    if (st != SIRNN_OK)
        return st;
    for (;;) {
        /* Try every address once per round; retry only if some address
         * refused (nobody listening yet) and time is left. */
        bool refused = false, timed_out = false;
        for (const struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next) {
            int fd = connect_once(ai, timeout_ms, deadline);
            if (fd >= 0) {
                freeaddrinfo(list);
                *fd_out = fd;
                return SIRNN_OK;
            }
            if (errno == ECONNREFUSED)
                refused = true;
            else if (errno == ETIMEDOUT)
                timed_out = true;
        }
        int left = remaining_ms(timeout_ms, deadline);
        if (!refused || left == 0) {
            st = (refused || timed_out) ? SIRNN_ERR_TIMEOUT : SIRNN_ERR_IO;
            break;
        }
        sleep_ms(left < 0 || left > TCP_RETRY_SLEEP_MS ? TCP_RETRY_SLEEP_MS : left);
    }
    freeaddrinfo(list);
    return st;
}

/* 127.0.0.0/8, ::1, or 127.x mapped into IPv6; AF_UNIX counts too. */
static bool addr_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const uint8_t *a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
        return a[0] == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return true;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return sa->sa_family == AF_UNIX;
}

bool sirnn_tcp_is_loopback(int fd, bool peer)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if ((peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
              : getsockname(fd, (struct sockaddr *)&ss, &len)) < 0)
        return false;
    return addr_is_loopback((const struct sockaddr *)&ss);
}

bool sirnn_tcp_host_off_loopback(const char *host)
{
    struct addrinfo *list = NULL;
    if (host == NULL || resolve(host, 1, false, &list) != SIRNN_OK)
        return false;
    bool off = false;
    for (const struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next)
        off = off || !addr_is_loopback(ai->ai_addr);
    freeaddrinfo(list);
    return off;
}
