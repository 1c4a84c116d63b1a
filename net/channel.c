/*
 * Buffered, non-blocking stream channel (see net/channel.h for the contract).
 *
 * Deadlock avoidance: protocols often do "both parties send n bytes, then
 * both receive". Once both socket buffers are full, two writers that only
 * wait for POLLOUT would wait for each other forever. So a writer that would
 * block polls for POLLIN as well and drains whatever the peer sent into the
 * read buffer, growing it as needed. The read buffer is therefore bounded
 * by how far the peer runs ahead of us (protocols work in windows, so that
 * is one window's message), and never beyond the read cap: a peer that runs
 * further ahead (one that floods while we are blocked sending) is breaking
 * the protocol, and the channel fails rather than buffer it. The buffer
 * keeps its grown size until the channel is closed.
 */
#include "net/channel.h"

#include "net/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifdef SIRNN_CTIME
#include <valgrind/memcheck.h>
/* The constant-time check (make ctime) marks secrets undefined for
 * memcheck; what a party sends is public, so it is marked defined here. */
#define DECLASSIFY(p, n) VALGRIND_MAKE_MEM_DEFINED((void *)(uintptr_t)(p), (n))
#else
#define DECLASSIFY(p, n) ((void)(p), (void)(n))
#endif

/* Small sends are coalesced here. Loopback throughput showed no measurable
 * difference between 64 KiB and 1 MiB buffers, nor from SO_SNDBUF/SO_RCVBUF
 * of 1-8 MiB (fixing them would also disable the kernel's autotuning), so
 * socket buffer sizes are left alone. */
#define CHANNEL_WBUF_SIZE ((size_t)256 << 10)
#define CHANNEL_RBUF_SIZE ((size_t)256 << 10)
/* Reads of at least this many outstanding bytes go straight into the
 * caller's memory instead of through the read buffer. */
#define CHANNEL_DIRECT_READ ((size_t)64 << 10)

/* ---- time ---------------------------------------------------------------- */

int64_t sirnn_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- error mapping -------------------------------------------------------- */

static sirnn_status fail(sirnn_channel *ch, sirnn_status st)
{
    if (ch->error == SIRNN_OK)
        ch->error = st;
    return ch->error;
}

static sirnn_status status_from_errno(int err)
{
    switch (err) {
    case EPIPE:
    case ECONNRESET:
        return SIRNN_ERR_PEER_CLOSED;
    case ENOMEM:
    case ENOBUFS:
        return SIRNN_ERR_NOMEM;
    case EBADMSG: /* a TLS record that does not authenticate, or a TLS alert */
        return SIRNN_ERR_CRYPTO;
    default:
        return SIRNN_ERR_IO;
    }
}

/* Sticky error first, then "is this channel open at all". */
static sirnn_status check_usable(const sirnn_channel *ch)
{
    if (ch == NULL)
        return SIRNN_ERR_ARG;
    if (ch->error != SIRNN_OK)
        return ch->error;
    if (ch->fd < 0 || ch->wbuf == NULL || ch->rbuf == NULL)
        return SIRNN_ERR_STATE;
    return SIRNN_OK;
}

/* ---- poll ------------------------------------------------------------------ */

/* Wait until one of `events` is ready on the channel's fd, at most
 * timeout_ms. EINTR restarts the wait with the time that is left, so signals
 * neither abort nor extend it. */
static sirnn_status wait_events(sirnn_channel *ch, short events, short *revents)
{
    /* The wait ends at the sooner of now + timeout_ms and the deadline. */
    int64_t deadline = ch->timeout_ms >= 0 ? sirnn_monotonic_ms() + ch->timeout_ms : -1;
    if (ch->deadline_ms > 0 && (deadline < 0 || ch->deadline_ms < deadline))
        deadline = ch->deadline_ms;
    int wait_ms = -1;
    for (;;) {
        if (deadline >= 0) {
            int64_t left = deadline - sirnn_monotonic_ms();
            if (left < 0)
                return fail(ch, SIRNN_ERR_TIMEOUT);
            wait_ms = left > INT32_MAX ? INT32_MAX : (int)left;
        }
        struct pollfd pfd = {.fd = ch->fd, .events = events, .revents = 0};
        int rc = poll(&pfd, 1, wait_ms);
        if (rc > 0) {
            if (pfd.revents & POLLNVAL)
                return fail(ch, SIRNN_ERR_IO);
            *revents = pfd.revents;
            return SIRNN_OK;
        }
        if (rc == 0)
            return fail(ch, SIRNN_ERR_TIMEOUT);
        if (errno != EINTR)
            return fail(ch, status_from_errno(errno));
    }
}

/* ---- transport: the socket itself, or TLS over it --------------------------------- */

/* Like read(2); on EAGAIN, *want says what to wait for. */
static ssize_t raw_read(sirnn_channel *ch, void *buf, size_t n, short *want)
{
    if (ch->tls != NULL)
        return sirnn_tls_read(ch->tls, buf, n, want);
    *want = POLLIN;
    return read(ch->fd, buf, n);
}

/* Like sendmsg(2) of iov[0..cnt) (TLS writes the first buffer only). */
static ssize_t raw_writev(sirnn_channel *ch, struct iovec *iov, int cnt)
{
    if (ch->tls != NULL) {
        short want;
        return sirnn_tls_write(ch->tls, iov[0].iov_base, iov[0].iov_len, &want);
    }
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = (size_t)cnt;
    return sendmsg(ch->fd, &msg, MSG_NOSIGNAL);
}

/* ---- read buffer ------------------------------------------------------------ */

/* Make room for at least one more byte at rbuf[rlen]: reset when empty,
 * compact when there is dead space in front, otherwise double, up to the
 * read cap: a full buffer at the cap means the peer is flooding us. */
static sirnn_status rbuf_make_room(sirnn_channel *ch)
{
    if (ch->rpos == ch->rlen) {
        ch->rpos = ch->rlen = 0;
    }
    if (ch->rlen < ch->rcap)
        return SIRNN_OK;
    if (ch->rpos > 0) {
        memmove(ch->rbuf, ch->rbuf + ch->rpos, ch->rlen - ch->rpos);
        ch->rlen -= ch->rpos;
        ch->rpos = 0;
        return SIRNN_OK;
    }
    if (ch->rcap >= ch->rmax) {
        if (ch->error == SIRNN_OK)
            ch->why = "the peer sent more ahead of this side's reads than the "
                      "session's memory cap (session_mem_bytes) lets it buffer";
        return fail(ch, SIRNN_ERR_PEER_MISMATCH);
    }
    size_t cap = ch->rcap > ch->rmax / 2 ? ch->rmax : ch->rcap * 2;
    uint8_t *p = realloc(ch->rbuf, cap);
    if (p == NULL)
        return fail(ch, SIRNN_ERR_NOMEM);
    ch->rbuf = p;
    ch->rcap = cap;
    if (cap > ch->stats.rbuf_peak)
        ch->stats.rbuf_peak = cap;
    return SIRNN_OK;
}

/* Read whatever is available right now into the read buffer without
 * blocking. Used by a blocked writer so the peer's writes can progress. */
static sirnn_status drain_input(sirnn_channel *ch)
{
    for (;;) {
        sirnn_status st = rbuf_make_room(ch);
        if (st != SIRNN_OK)
            return st;
        short want;
        ssize_t r = raw_read(ch, ch->rbuf + ch->rlen, ch->rcap - ch->rlen, &want);
        if (r > 0) {
            ch->rlen += (size_t)r;
            continue;
        }
        if (r == 0)
            return fail(ch, SIRNN_ERR_PEER_CLOSED);
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return SIRNN_OK;
        return fail(ch, status_from_errno(errno));
    }
}

/* ---- write path --------------------------------------------------------------- */

/* Send all of iov[0..cnt) (cnt <= 2), draining input while the socket is
 * full. Counts one flush if any byte went out. */
static sirnn_status write_all(sirnn_channel *ch, struct iovec *iov, int cnt)
{
    bool sent_any = false;
    sirnn_status st = SIRNN_OK;
    while (cnt > 0 && iov[0].iov_len == 0) {
        iov++;
        cnt--;
    }
    while (cnt > 0) {
        ssize_t w = raw_writev(ch, iov, cnt);
        if (w > 0) {
            sent_any = true;
            size_t done = (size_t)w;
            while (cnt > 0 && done >= iov[0].iov_len) {
                done -= iov[0].iov_len;
                iov++;
                cnt--;
            }
            if (cnt > 0) {
                iov[0].iov_base = (uint8_t *)iov[0].iov_base + done;
                iov[0].iov_len -= done;
            }
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            st = fail(ch, status_from_errno(errno));
            break;
        }
        short revents = 0;
        st = wait_events(ch, POLLIN | POLLOUT, &revents);
        if (st != SIRNN_OK)
            break;
        /* Only drain on POLLIN; an error/hangup alone is reported by the
         * next sendmsg with a precise errno. */
        if (revents & POLLIN) {
            st = drain_input(ch);
            if (st != SIRNN_OK)
                break;
        }
    }
    if (sent_any)
        ch->stats.flushes++;
    return st;
}

sirnn_status sirnn_channel_send(sirnn_channel *ch, const void *data, size_t n)
{
    sirnn_status st;
    if (ch->mux != NULL && sirnn_mux_send(ch, data, n, &st))
        return st;
    st = check_usable(ch);
    if (st != SIRNN_OK)
        return st;
    if (n == 0)
        return SIRNN_OK;
    if (data == NULL)
        return SIRNN_ERR_ARG;
    DECLASSIFY(data, n);
    if (n <= ch->wcap - ch->wlen) {
        memcpy(ch->wbuf + ch->wlen, data, n);
        ch->wlen += n;
    } else {
        /* Queued bytes and the payload go out in one sendmsg; the payload
         * is never copied. */
        struct iovec iov[2] = {
            {.iov_base = ch->wbuf, .iov_len = ch->wlen},
            {.iov_base = (void *)(uintptr_t)data, .iov_len = n},
        };
        st = write_all(ch, iov, 2);
        if (st != SIRNN_OK)
            return st;
        ch->wlen = 0;
    }
    ch->stats.bytes_sent += n;
    if (!ch->in_flight) {
        ch->in_flight = 1;
        ch->stats.flights++;
    }
    return SIRNN_OK;
}

sirnn_status sirnn_channel_flush(sirnn_channel *ch)
{
    sirnn_status st;
    if (ch->mux != NULL && sirnn_mux_flush(ch, &st))
        return st;
    st = check_usable(ch);
    if (st != SIRNN_OK)
        return st;
    if (ch->wlen == 0)
        return SIRNN_OK;
    struct iovec iov[1] = {{.iov_base = ch->wbuf, .iov_len = ch->wlen}};
    st = write_all(ch, iov, 1);
    if (st != SIRNN_OK)
        return st;
    ch->wlen = 0;
    return SIRNN_OK;
}

/* ---- read path ------------------------------------------------------------------ */

static size_t serve_buffered(sirnn_channel *ch, uint8_t *dst, size_t n)
{
    size_t avail = ch->rlen - ch->rpos;
    size_t take = avail < n ? avail : n;
    if (take > 0) {
        memcpy(dst, ch->rbuf + ch->rpos, take);
        ch->rpos += take;
        if (ch->rpos == ch->rlen)
            ch->rpos = ch->rlen = 0;
    }
    return take;
}

sirnn_status sirnn_channel_recv(sirnn_channel *ch, void *data, size_t n)
{
    sirnn_status st;
    if (ch->mux != NULL && sirnn_mux_recv(ch, data, n, &st))
        return st;
    st = check_usable(ch);
    if (st != SIRNN_OK)
        return st;
    if (n == 0)
        return SIRNN_OK;
    if (data == NULL)
        return SIRNN_ERR_ARG;
    uint8_t *dst = data;
    size_t got = serve_buffered(ch, dst, n);
    while (got < n) {
        /* We are about to need the peer: whatever we queued must go out
         * first, or both sides may wait for each other. The flush can
         * drain input into the read buffer, so serve from it again. */
        if (ch->wlen > 0) {
            st = sirnn_channel_flush(ch);
            if (st != SIRNN_OK)
                return st;
            got += serve_buffered(ch, dst + got, n - got);
            continue;
        }
        size_t want = n - got;
        ssize_t r;
        short events = POLLIN;
        bool direct = want >= CHANNEL_DIRECT_READ;
        if (direct) {
            r = raw_read(ch, dst + got, want, &events);
        } else {
            /* rbuf is empty here (serve_buffered consumed it all). */
            r = raw_read(ch, ch->rbuf, ch->rcap, &events);
        }
        if (r > 0) {
            if (direct) {
                got += (size_t)r;
            } else {
                ch->rpos = 0;
                ch->rlen = (size_t)r;
                got += serve_buffered(ch, dst + got, want);
            }
            continue;
        }
        if (r == 0)
            return fail(ch, SIRNN_ERR_PEER_CLOSED);
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return fail(ch, status_from_errno(errno));
        short revents = 0;
        st = wait_events(ch, events, &revents);
        if (st != SIRNN_OK)
            return st;
    }
    ch->stats.bytes_received += n;
    ch->in_flight = 0;
    return SIRNN_OK;
}

sirnn_status sirnn_channel_send_u64(sirnn_channel *ch, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return sirnn_channel_send(ch, b, sizeof b);
}

sirnn_status sirnn_channel_recv_u64(sirnn_channel *ch, uint64_t *v)
{
    if (v == NULL)
        return SIRNN_ERR_ARG;
    uint8_t b[8];
    sirnn_status st = sirnn_channel_recv(ch, b, sizeof b);
    if (st != SIRNN_OK)
        return st;
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x |= (uint64_t)b[i] << (8 * i);
    *v = x;
    return SIRNN_OK;
}

void sirnn_channel_set_read_cap(sirnn_channel *ch, size_t bytes)
{
    if (ch != NULL)
        ch->rmax = bytes > CHANNEL_RBUF_SIZE ? bytes : CHANNEL_RBUF_SIZE;
}

void sirnn_channel_set_deadline(sirnn_channel *ch, int64_t deadline_ms)
{
    if (ch != NULL)
        ch->deadline_ms = deadline_ms > 0 ? deadline_ms : 0;
}

void sirnn_channel_get_stats(const sirnn_channel *ch, sirnn_channel_stats *out)
{
    if (out == NULL)
        return;
    if (ch == NULL)
        memset(out, 0, sizeof *out);
    else
        *out = ch->stats;
}

/* ---- setup / teardown ------------------------------------------------------------ */

static sirnn_status configure_fd(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return SIRNN_ERR_IO;
    int fdfl = fcntl(fd, F_GETFD);
    if (fdfl < 0 || fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) < 0)
        return SIRNN_ERR_IO;
    int domain = 0;
    socklen_t len = sizeof domain;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
        return SIRNN_ERR_IO;
    if (domain == AF_INET || domain == AF_INET6) {
        int one = 1;
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
            return SIRNN_ERR_IO;
    }
    return SIRNN_OK;
}

sirnn_status sirnn_channel_from_fd(sirnn_channel *ch, int fd, int timeout_ms)
{
    if (ch == NULL) {
        if (fd >= 0)
            close(fd);
        return SIRNN_ERR_ARG;
    }
    memset(ch, 0, sizeof *ch);
    ch->fd = -1;
    ch->timeout_ms = timeout_ms;
    if (fd < 0) {
        ch->error = SIRNN_ERR_ARG;
        return SIRNN_ERR_ARG;
    }
    sirnn_status st = configure_fd(fd);
    if (st == SIRNN_OK) {
        ch->wbuf = malloc(CHANNEL_WBUF_SIZE);
        ch->rbuf = malloc(CHANNEL_RBUF_SIZE);
        if (ch->wbuf == NULL || ch->rbuf == NULL)
            st = SIRNN_ERR_NOMEM;
    }
    if (st != SIRNN_OK) {
        close(fd);
        free(ch->wbuf);
        free(ch->rbuf);
        ch->wbuf = ch->rbuf = NULL;
        ch->error = st;
        return st;
    }
    ch->fd = fd;
    ch->wcap = CHANNEL_WBUF_SIZE;
    ch->rcap = CHANNEL_RBUF_SIZE;
    ch->rmax = SIRNN_CHANNEL_READ_CAP_DEFAULT;
    ch->stats.rbuf_peak = CHANNEL_RBUF_SIZE;
    return SIRNN_OK;
}

sirnn_status sirnn_channel_pair(sirnn_channel *a, sirnn_channel *b, int timeout_ms)
{
    if (a == NULL || b == NULL || a == b)
        return SIRNN_ERR_ARG;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        sirnn_status st = status_from_errno(errno);
        memset(a, 0, sizeof *a);
        memset(b, 0, sizeof *b);
        a->fd = b->fd = -1;
        a->error = b->error = st;
        return st;
    }
    sirnn_status st = sirnn_channel_from_fd(a, sv[0], timeout_ms);
    if (st != SIRNN_OK) {
        close(sv[1]);
        memset(b, 0, sizeof *b);
        b->fd = -1;
        return st;
    }
    st = sirnn_channel_from_fd(b, sv[1], timeout_ms);
    if (st != SIRNN_OK) {
        sirnn_channel_close(a);
        return st;
    }
    return SIRNN_OK;
}

sirnn_status sirnn_channel_start_tls(sirnn_channel *ch, void *tls, char *why, size_t whylen)
{
    why[0] = '\0';
    sirnn_status st = check_usable(ch);
    if (st != SIRNN_OK || tls == NULL) {
        sirnn_tls_free(tls);
        return st != SIRNN_OK ? st : SIRNN_ERR_NOMEM;
    }
    ch->tls = tls;
    for (;;) {
        short events = 0, revents = 0;
        int rc = sirnn_tls_handshake(tls, &events, why, whylen);
        if (rc > 0)
            return SIRNN_OK;
        if (rc < 0)
            return fail(ch, SIRNN_ERR_CRYPTO);
        st = wait_events(ch, events, &revents);
        if (st != SIRNN_OK) {
            snprintf(why, whylen, "TLS handshake: %s",
                     st == SIRNN_ERR_TIMEOUT ? "no answer from the peer in time"
                                             : "the connection failed");
            return st;
        }
    }
}

void sirnn_channel_close(sirnn_channel *ch)
{
    if (ch == NULL)
        return;
    if (ch->tls != NULL && ch->wbuf != NULL)
        sirnn_tls_free(ch->tls);
    ch->tls = NULL;
    /* A zeroed channel has fd 0 but no buffers: it never owned an fd. */
    if (ch->fd >= 0 && (ch->wbuf != NULL || ch->rbuf != NULL))
        close(ch->fd);
    free(ch->wbuf);
    free(ch->rbuf);
    ch->wbuf = ch->rbuf = NULL;
    ch->wlen = ch->wcap = 0;
    ch->rpos = ch->rlen = ch->rcap = 0;
    ch->fd = -1;
    if (ch->error == SIRNN_OK)
        ch->error = SIRNN_ERR_STATE;
}
