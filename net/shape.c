/*
 * The shaped link's relay (see net/shape.h for the model) and the link
 * profiles of sirnn/party.h.
 *
 * One thread per lane moves both directions with one ppoll loop: it reads
 * whatever a source offers while its direction has room, stamps each read
 * with the time its last byte reaches the far end, and writes the bytes
 * whose time has come. Wake-ups use ppoll's nanosecond timeout with the
 * thread's timer slack lowered to 1 ns, so the 0.25 ms one-way delay of the
 * lan profile is kept to within a few microseconds on an idle machine.
 */
#include "net/shape.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/party_internal.h"

/* Largest single read: the unit that is stamped with one arrival time. At
 * 400 Mbit/s it serialises in 1.3 ms, so a long transfer arrives in steps of
 * at most that. */
#define SHAPE_READ_MAX ((size_t)64 << 10)
/* The bandwidth-delay part of a direction's buffer is capped here, so that
 * absurd profiles cannot ask for gigabytes (they then run below their cap). */
#define SHAPE_BDP_MAX ((size_t)64 << 20)
/* Reads in flight per direction (each is at least one byte). */
#define SHAPE_RECORDS_MAX ((size_t)1 << 16)
#define SHAPE_DEFAULT_STOP_MS 30000

/* ---- link profiles --------------------------------------------------------- */

static const sirnn_link k_lan = {0.5, 1000.0};
static const sirnn_link k_wan = {40.0, 400.0};

bool sirnn_link_active(const sirnn_link *link)
{
    return link != NULL && (link->rtt_ms != 0.0 || link->mbit != 0.0);
}

sirnn_status sirnn_link_check(const sirnn_link *link, char *msg, size_t len)
{
    if (link == NULL || !sirnn_link_active(link))
        return SIRNN_OK;
    if (!isfinite(link->rtt_ms) || link->rtt_ms < 0.0 || link->rtt_ms > 60000.0) {
        snprintf(msg, len, "link: round trip must be 0..60000 ms (got %g)", link->rtt_ms);
        return SIRNN_ERR_ARG;
    }
    if (!isfinite(link->mbit) || link->mbit <= 0.0 || link->mbit > 1e6) {
        snprintf(msg, len, "link: bandwidth must be > 0 and <= 1000000 Mbit/s (got %g)",
                 link->mbit);
        return SIRNN_ERR_ARG;
    }
    return SIRNN_OK;
}

sirnn_status sirnn_link_parse(sirnn_link *out, const char *spec)
{
    if (out == NULL || spec == NULL) {
        sirnn_set_last_error("link profile: missing");
        return SIRNN_ERR_ARG;
    }
    sirnn_link l = {0.0, 0.0};
    if (strcmp(spec, "lan") == 0) {
        l = k_lan;
    } else if (strcmp(spec, "wan") == 0) {
        l = k_wan;
    } else if (strcmp(spec, "loopback") == 0 || strcmp(spec, "none") == 0) {
        /* the zero link */
    } else {
        char *end = NULL;
        errno = 0;
        l.rtt_ms = strtod(spec, &end);
        bool ok = end != spec && *end == ':' && errno == 0;
        if (ok) {
            const char *m = end + 1;
            l.mbit = strtod(m, &end);
            ok = end != m && *end == '\0' && errno == 0;
        }
        if (!ok) {
            sirnn_set_last_error("link profile '%s': expected lan (1 Gbit/s, 0.5 ms RTT), wan "
                                 "(400 Mbit/s, 40 ms RTT), loopback, or RTT_MS:MBIT such as "
                                 "40:400",
                                 spec);
            return SIRNN_ERR_ARG;
        }
        char msg[160];
        if (sirnn_link_check(&l, msg, sizeof msg) != SIRNN_OK || !sirnn_link_active(&l)) {
            sirnn_set_last_error("link profile '%s': %s", spec,
                                 sirnn_link_active(&l) ? msg
                                                       : "0:0 shapes nothing (use loopback)");
            return SIRNN_ERR_ARG;
        }
    }
    *out = l;
    return SIRNN_OK;
}

const char *sirnn_link_name(const sirnn_link *link, char *buf, size_t len)
{
    if (buf == NULL || len == 0)
        return buf;
    if (!sirnn_link_active(link))
        snprintf(buf, len, "loopback");
    else if (link->rtt_ms == k_lan.rtt_ms && link->mbit == k_lan.mbit)
        snprintf(buf, len, "lan");
    else if (link->rtt_ms == k_wan.rtt_ms && link->mbit == k_wan.mbit)
        snprintf(buf, len, "wan");
    else
        snprintf(buf, len, "%.17g:%.17g", link->rtt_ms, link->mbit);
    return buf;
}

/* ---- the relay ----------------------------------------------------------------- */

typedef struct shape_rec {
    uint64_t end;   /* stream offset one past the read's last byte */
    int64_t due_ns; /* when those bytes reach the far end */
} shape_rec;

typedef struct shape_dir {
    int src, dst;
    uint8_t *buf; /* ring of bytes read and not yet written */
    size_t cap, head, len;
    shape_rec *rec; /* ring of reads not yet due */
    size_t rcap, rhead, rlen;
    uint64_t read_total, released, written_total;
    int64_t busy_until_ns; /* when the link finishes serialising what it has */
    bool src_eof;          /* the source ended (EOF or error) */
    bool dst_shut;         /* EOF passed on */
    bool dead;             /* the destination failed: bytes are dropped */
} shape_dir;

struct sirnn_shaper {
    pthread_t thread;
    int wake[2]; /* stop request: a byte on this pipe */
    int relay_inner, outer;
    int64_t delay_ns;
    double ns_per_byte;
    int stop_ms;
    shape_dir dir[2]; /* 0: channel -> outer, 1: outer -> channel */
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool dir_finished(const shape_dir *d)
{
    return d->src_eof && (d->dead || d->dst_shut);
}

static bool dir_wants_read(const shape_dir *d)
{
    return !d->src_eof && d->len < d->cap && d->rlen < SHAPE_RECORDS_MAX;
}

static bool grow_records(shape_dir *d)
{
    size_t ncap = d->rcap * 2;
    shape_rec *r = malloc(ncap * sizeof *r);
    if (r == NULL)
        return false;
    for (size_t i = 0; i < d->rlen; i++)
        r[i] = d->rec[(d->rhead + i) % d->rcap];
    free(d->rec);
    d->rec = r;
    d->rcap = ncap;
    d->rhead = 0;
    return true;
}

/* Read what the source offers now, stamping each read. */
static void dir_read(sirnn_shaper *s, shape_dir *d, int64_t now)
{
    while (dir_wants_read(d)) {
        if (d->rlen == d->rcap && !grow_records(d))
            return; /* try again later: the bytes wait in the socket */
        size_t tail = (d->head + d->len) % d->cap;
        size_t room = tail >= d->head ? d->cap - tail : d->head - tail;
        if (room > SHAPE_READ_MAX)
            room = SHAPE_READ_MAX;
        ssize_t r = recv(d->src, d->buf + tail, room, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (r <= 0) {
            d->src_eof = true; /* EOF, or a reset: pass the end on */
            return;
        }
        d->read_total += (uint64_t)r;
        if (d->dead)
            continue; /* nobody to deliver to: drop */
        d->len += (size_t)r;
        int64_t start = now > d->busy_until_ns ? now : d->busy_until_ns;
        d->busy_until_ns = start + (int64_t)llround((double)r * s->ns_per_byte);
        shape_rec *rec = &d->rec[(d->rhead + d->rlen) % d->rcap];
        rec->end = d->read_total;
        rec->due_ns = d->busy_until_ns + s->delay_ns;
        d->rlen++;
    }
}

/* Release the reads whose time has come and write what is released. */
static void dir_write(shape_dir *d, int64_t now)
{
    while (d->rlen > 0 && d->rec[d->rhead].due_ns <= now) {
        d->released = d->rec[d->rhead].end;
        d->rhead = (d->rhead + 1) % d->rcap;
        d->rlen--;
    }
    while (!d->dead && d->released > d->written_total) {
        size_t want = (size_t)(d->released - d->written_total);
        size_t contig = d->cap - d->head;
        if (want > contig)
            want = contig;
        ssize_t w = send(d->dst, d->buf + d->head, want, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (w <= 0) {
            /* The destination is gone: drop what is queued and what comes. */
            d->dead = true;
            d->len = 0;
            d->rlen = 0;
            return;
        }
        d->head = (d->head + (size_t)w) % d->cap;
        d->len -= (size_t)w;
        d->written_total += (uint64_t)w;
    }
    if (d->src_eof && !d->dead && !d->dst_shut && d->len == 0) {
        shutdown(d->dst, SHUT_WR);
        d->dst_shut = true;
    }
}

static void *relay_main(void *arg)
{
    sirnn_shaper *s = arg;
    /* Sleep no longer than asked: the default 50 us slack would blur lan. */
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    bool stopping = false;
    int64_t deadline = 0;
    for (;;) {
        int64_t now = now_ns();
        for (int i = 0; i < 2; i++) {
            dir_read(s, &s->dir[i], now);
            dir_write(&s->dir[i], now);
        }
        /* After a stop request, only what the channel sent before it closed
         * matters; the other direction has nobody left to read it. */
        if (dir_finished(&s->dir[0]) && (stopping || dir_finished(&s->dir[1])))
            break;
        if (stopping && now >= deadline)
            break;
        struct pollfd pfd[5];
        int64_t next = stopping ? deadline : INT64_MAX;
        for (int i = 0; i < 2; i++) {
            shape_dir *d = &s->dir[i];
            pfd[2 * i].fd = dir_wants_read(d) ? d->src : -1;
            pfd[2 * i].events = POLLIN;
            pfd[2 * i + 1].fd = !d->dead && d->released > d->written_total ? d->dst : -1;
            pfd[2 * i + 1].events = POLLOUT;
            if (!d->dead && d->rlen > 0 && d->rec[d->rhead].due_ns < next)
                next = d->rec[d->rhead].due_ns;
        }
        pfd[4].fd = stopping ? -1 : s->wake[0];
        pfd[4].events = POLLIN;
        struct timespec ts, *tsp = NULL;
        if (next != INT64_MAX) {
            int64_t wait = next - now_ns();
            if (wait < 0)
                wait = 0;
            ts.tv_sec = (time_t)(wait / 1000000000);
            ts.tv_nsec = (long)(wait % 1000000000);
            tsp = &ts;
        }
        for (int i = 0; i < 5; i++)
            pfd[i].revents = 0;
        int rc = ppoll(pfd, 5, tsp, NULL);
        if (rc < 0 && errno != EINTR)
            break; /* cannot wait: give up the link (both sides see it close) */
        if (rc > 0 && (pfd[4].revents & (POLLIN | POLLHUP | POLLERR))) {
            stopping = true;
            deadline = now_ns() + (int64_t)s->stop_ms * 1000000;
        }
    }
    close(s->relay_inner);
    close(s->outer);
    s->relay_inner = s->outer = -1;
    return NULL;
}

static sirnn_status set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return SIRNN_ERR_IO;
    return SIRNN_OK;
}

static void shaper_free(sirnn_shaper *s)
{
    for (int i = 0; i < 2; i++) {
        free(s->dir[i].buf);
        free(s->dir[i].rec);
    }
    if (s->wake[0] >= 0)
        close(s->wake[0]);
    if (s->wake[1] >= 0)
        close(s->wake[1]);
    free(s);
}

sirnn_status sirnn_shaper_start(sirnn_shaper **out, int *inner_fd, int outer_fd,
                                const sirnn_link *link, int timeout_ms)
{
    char msg[160];
    if (out == NULL || inner_fd == NULL || outer_fd < 0 || !sirnn_link_active(link) ||
        sirnn_link_check(link, msg, sizeof msg) != SIRNN_OK) {
        if (outer_fd >= 0)
            close(outer_fd);
        return SIRNN_ERR_ARG;
    }
    *out = NULL;
    *inner_fd = -1;
    sirnn_shaper *s = calloc(1, sizeof *s);
    if (s == NULL) {
        close(outer_fd);
        return SIRNN_ERR_NOMEM;
    }
    s->wake[0] = s->wake[1] = -1;
    s->outer = outer_fd;
    s->relay_inner = -1;
    s->delay_ns = (int64_t)llround(link->rtt_ms * 1e6 / 2.0);
    s->ns_per_byte = 8e3 / link->mbit; /* 8 bits / (mbit * 1e6 bit/s), in ns */
    s->stop_ms = timeout_ms < 0 ? SHAPE_DEFAULT_STOP_MS : timeout_ms;
    double bdp = link->mbit * 1e6 / 8.0 * link->rtt_ms / 2e3;
    size_t cap = (bdp > (double)SHAPE_BDP_MAX ? SHAPE_BDP_MAX : (size_t)bdp) + SIRNN_SHAPE_SLACK;

    int sv[2] = {-1, -1};
    sirnn_status st = SIRNN_OK;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
        pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        st = errno == ENOMEM || errno == ENFILE || errno == EMFILE ? SIRNN_ERR_NOMEM
                                                                   : SIRNN_ERR_IO;
    }
    s->relay_inner = sv[1];
    int fdfl = fcntl(outer_fd, F_GETFD);
    if (st == SIRNN_OK &&
        (set_nonblocking(s->relay_inner) != SIRNN_OK || set_nonblocking(outer_fd) != SIRNN_OK ||
         fdfl < 0 || fcntl(outer_fd, F_SETFD, fdfl | FD_CLOEXEC) < 0))
        st = SIRNN_ERR_IO;
    if (st == SIRNN_OK) {
        /* The relay forwards each due read at once; Nagle would hold it. */
        int domain = 0;
        socklen_t dl = sizeof domain;
        int one = 1;
        if (getsockopt(outer_fd, SOL_SOCKET, SO_DOMAIN, &domain, &dl) == 0 &&
            (domain == AF_INET || domain == AF_INET6))
            (void)setsockopt(outer_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    for (int i = 0; st == SIRNN_OK && i < 2; i++) {
        shape_dir *d = &s->dir[i];
        d->src = i == 0 ? s->relay_inner : s->outer;
        d->dst = i == 0 ? s->outer : s->relay_inner;
        d->cap = cap;
        d->rcap = 256;
        d->buf = malloc(cap);
        d->rec = malloc(d->rcap * sizeof *d->rec);
        if (d->buf == NULL || d->rec == NULL)
            st = SIRNN_ERR_NOMEM;
    }
    if (st == SIRNN_OK) {
        /* Signals are for the application's threads, not the relay's. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        if (pthread_create(&s->thread, NULL, relay_main, s) != 0)
            st = SIRNN_ERR_NOMEM;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    if (st != SIRNN_OK) {
        if (sv[0] >= 0)
            close(sv[0]);
        if (sv[1] >= 0)
            close(sv[1]);
        close(outer_fd);
        shaper_free(s);
        return st;
    }
    *inner_fd = sv[0];
    *out = s;
    return SIRNN_OK;
}

void sirnn_shaper_stop(sirnn_shaper *s)
{
    if (s == NULL)
        return;
    const uint8_t byte = 1;
    ssize_t w;
    do {
        w = write(s->wake[1], &byte, 1);
    } while (w < 0 && errno == EINTR);
    pthread_join(s->thread, NULL);
    shaper_free(s);
}
