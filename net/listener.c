/*
 * The listener and its acceptor thread (see net/listener.h).
 *
 * The acceptor owns every connection until its first message is complete:
 * it polls the listening socket, a wake-up pipe and all half-open
 * connections, reads whatever has arrived without blocking, and drops a
 * connection whose message is not complete by its deadline. At most
 * LISTENER_MAX_HALF_OPEN connections are held (half-open plus queued
 * arrivals); beyond that new connections wait in the kernel's backlog.
 *
 * Accept calls (any number of threads) take arrivals from a queue under
 * the listener's mutex. A call that has answered a hello registers its
 * session in the pending list; the acceptor hands that session's lane
 * connections to it there and wakes it through an eventfd, on which it
 * polls together with its lane 0 (for the client closing it).
 */
#include "net/listener.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sirnn/sirnn.h"
#include "net/channel.h"
#include "net/party_internal.h"
#include "net/tcp.h"
#include "net/tls.h"

#define LISTENER_MAX_HALF_OPEN 256

const uint8_t sirnn_hello_magic[8] = {'S', 'I', 'R', 'N', 'N', 'h', 's', '1'};
const uint8_t sirnn_lane_magic[8] = {'S', 'I', 'R', 'N', 'N', 'l', 'n', '1'};
const uint8_t sirnn_tls_required_magic[8] = {'S', 'I', 'R', 'N', 'N', 't', 'l', 's'};

/* A connection whose first message is still arriving. With TLS it first
 * shows whether it speaks TLS at all (PEEK), then runs the handshake. */
enum { PHASE_PEEK, PHASE_TLS, PHASE_READ };

typedef struct half_open {
    int fd;
    void *tls;
    int phase;
    short events; /* what to poll for */
    size_t got, need;
    int64_t deadline; /* 0: none */
    uint8_t buf[SIRNN_HELLO_SIZE];
} half_open;

struct sirnn_listener {
    int fd;
    uint16_t port;
    pthread_mutex_t mu;
    pthread_cond_t ready_cv;
    bool started, stopping;
    pthread_t thread;
    int wake[2];            /* pipe: stop the acceptor */
    int conn_timeout_ms;    /* per connection first message; < 0 none */
    sirnn_tls_ctx *tls;     /* NULL: plain TCP */
    sirnn_arrival *ready;   /* ring of LISTENER_MAX_HALF_OPEN */
    size_t ready_head, ready_count;
    size_t half_open_count; /* written by the acceptor, read under mu */
    sirnn_lane_wait *pending;
};

/* ---- open / close -------------------------------------------------------- */

sirnn_status sirnn_listener_open(sirnn_listener **out, const char *bind_addr, uint16_t port)
{
    if (out == NULL)
        return SIRNN_ERR_ARG;
    *out = NULL;
    sirnn_listener *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return SIRNN_ERR_NOMEM;
    l->wake[0] = l->wake[1] = -1;
    l->ready = calloc(LISTENER_MAX_HALF_OPEN, sizeof(*l->ready));
    sirnn_status st = l->ready != NULL ? SIRNN_OK : SIRNN_ERR_NOMEM;
    if (st == SIRNN_OK)
        st = sirnn_tcp_listen(&l->fd, bind_addr, port);
    else
        l->fd = -1;
    if (st == SIRNN_OK)
        st = sirnn_tcp_local_port(l->fd, &l->port);
    if (st == SIRNN_OK && pipe2(l->wake, O_CLOEXEC | O_NONBLOCK) != 0)
        st = SIRNN_ERR_IO;
    if (st != SIRNN_OK) {
        sirnn_set_last_error("cannot listen on %s:%u: %s", bind_addr ? bind_addr : "127.0.0.1",
                             (unsigned)port, sirnn_strerror(st));
        if (l->fd >= 0)
            close(l->fd);
        if (l->wake[0] >= 0) {
            close(l->wake[0]);
            close(l->wake[1]);
        }
        free(l->ready);
        free(l);
        return st;
    }
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->ready_cv, NULL);
    *out = l;
    return SIRNN_OK;
}

uint16_t sirnn_listener_port(const sirnn_listener *lst)
{
    return lst ? lst->port : 0;
}

void sirnn_listener_close(sirnn_listener *lst)
{
    if (lst == NULL)
        return;
    pthread_mutex_lock(&lst->mu);
    bool started = lst->started;
    lst->stopping = true;
    pthread_mutex_unlock(&lst->mu);
    if (started) {
        ssize_t w;
        do
            w = write(lst->wake[1], "x", 1);
        while (w < 0 && errno == EINTR);
        pthread_join(lst->thread, NULL);
    }
    for (size_t i = 0; i < lst->ready_count; i++) {
        sirnn_arrival *a = &lst->ready[(lst->ready_head + i) % LISTENER_MAX_HALF_OPEN];
        sirnn_tls_free(a->tls);
        if (a->fd >= 0)
            close(a->fd);
    }
    sirnn_tls_ctx_free(lst->tls);
    close(lst->fd);
    close(lst->wake[0]);
    close(lst->wake[1]);
    pthread_cond_destroy(&lst->ready_cv);
    pthread_mutex_destroy(&lst->mu);
    free(lst->ready);
    free(lst);
}

/* ---- the acceptor thread ------------------------------------------------- */

/* Queue an arrival for the accept calls (under mu). */
static void push_arrival(sirnn_listener *l, const sirnn_arrival *a)
{
    l->ready[(l->ready_head + l->ready_count) % LISTENER_MAX_HALF_OPEN] = *a;
    l->ready_count++;
    pthread_cond_signal(&l->ready_cv);
}

static void deliver_failure(sirnn_listener *l, sirnn_status st, const char *why)
{
    sirnn_arrival a;
    memset(&a, 0, sizeof(a));
    a.fd = -1;
    a.st = st;
    snprintf(a.why, sizeof(a.why), "%s", why);
    pthread_mutex_lock(&l->mu);
    push_arrival(l, &a);
    pthread_mutex_unlock(&l->mu);
}

static void signal_eventfd(int fd)
{
    uint64_t one = 1;
    ssize_t w;
    do
        w = write(fd, &one, sizeof(one));
    while (w < 0 && errno == EINTR);
}

/* A complete lane hello: give the connection to the session that waits for
 * it, or close it (a stray or replayed lane never joins anything). */
static void route_lane(sirnn_listener *l, half_open *c)
{
    uint32_t idx = (uint32_t)c->buf[24] | (uint32_t)c->buf[25] << 8 |
                   (uint32_t)c->buf[26] << 16 | (uint32_t)c->buf[27] << 24;
    bool taken = false;
    pthread_mutex_lock(&l->mu);
    for (sirnn_lane_wait *p = l->pending; p != NULL; p = p->next) {
        if (memcmp(p->session, c->buf + 8, 16) != 0)
            continue;
        if (idx >= 1 && idx < p->nlanes && p->fds[idx] < 0) {
            p->fds[idx] = c->fd;
            p->tls[idx] = c->tls;
            taken = true;
            signal_eventfd(p->wake);
        }
        break;
    }
    pthread_mutex_unlock(&l->mu);
    if (!taken) {
        sirnn_tls_free(c->tls);
        close(c->fd);
    }
    c->fd = -1;
    c->tls = NULL;
}

/* Advance one connection after its first `got` bytes; returns true when it
 * has left the half-open set (delivered, routed or dropped). */
static bool first_message_step(sirnn_listener *l, half_open *c)
{
    if (c->got < c->need)
        return false;
    if (c->need == SIRNN_HELLO_PREFIX) {
        bool hello = memcmp(c->buf, sirnn_hello_magic, 8) == 0;
        bool lane = memcmp(c->buf, sirnn_lane_magic, 8) == 0;
        uint32_t version = (uint32_t)c->buf[8] | (uint32_t)c->buf[9] << 8 |
                           (uint32_t)c->buf[10] << 16 | (uint32_t)c->buf[11] << 24;
        if (lane) {
            c->need = SIRNN_LANE_HELLO_SIZE;
            return false;
        }
        if (hello && version == SIRNN_PROTOCOL_VERSION) {
            c->need = SIRNN_HELLO_SIZE;
            return false;
        }
        /* Another program or another version: the accept call answers it
         * with our hello (so the peer can say what differs) and reports. */
    } else if (c->need == SIRNN_LANE_HELLO_SIZE) {
        route_lane(l, c);
        return true;
    }
    sirnn_arrival a;
    memset(&a, 0, sizeof(a));
    a.fd = c->fd;
    a.tls = c->tls;
    a.len = c->got;
    a.st = SIRNN_OK;
    memcpy(a.hello, c->buf, c->got);
    pthread_mutex_lock(&l->mu);
    push_arrival(l, &a);
    pthread_mutex_unlock(&l->mu);
    c->fd = -1;
    c->tls = NULL;
    return true;
}

/* Drop a half-open connection, telling an accept call why. */
static void drop(sirnn_listener *l, half_open *c, sirnn_status st, const char *why)
{
    sirnn_tls_free(c->tls);
    close(c->fd);
    c->fd = -1;
    c->tls = NULL;
    deliver_failure(l, st, why);
}

/* TLS servers: the first byte of a TLS connection is a handshake record
 * (0x16). A client of ours speaking plain TCP is told, in its own framing,
 * that TLS is required; anything else is dropped. Returns true when the
 * connection left the set. */
static bool tls_peek(sirnn_listener *l, half_open *c)
{
    uint8_t first;
    ssize_t r = recv(c->fd, &first, 1, MSG_PEEK | MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return false;
    if (r <= 0) {
        drop(l, c, r == 0 ? SIRNN_ERR_PEER_CLOSED : SIRNN_ERR_IO,
             "a connection closed before its first message");
        return true;
    }
    if (first == 0x16) {
        c->phase = PHASE_TLS;
        c->tls = sirnn_tls_new(l->tls, c->fd, NULL);
        if (c->tls == NULL) {
            drop(l, c, SIRNN_ERR_NOMEM, "out of memory for a TLS connection");
            return true;
        }
        c->events = POLLIN;
        return false;
    }
    if (first == 'S') {
        uint8_t notice[SIRNN_HELLO_SIZE] = {0};
        memcpy(notice, sirnn_tls_required_magic, 8);
        ssize_t w = send(c->fd, notice, sizeof(notice), MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)w;
    }
    drop(l, c, SIRNN_ERR_PEER_MISMATCH,
         "a client spoke plain TCP to this TLS server (it needs tls_ca or tls_psk_file)");
    return true;
}

/* One step of a TLS handshake; true when the connection left the set. */
static bool tls_step(sirnn_listener *l, half_open *c)
{
    char why[sizeof(((sirnn_arrival *)0)->why)];
    int rc = sirnn_tls_handshake(c->tls, &c->events, why, sizeof(why));
    if (rc < 0) {
        drop(l, c, SIRNN_ERR_CRYPTO, why);
        return true;
    }
    if (rc > 0) {
        c->phase = PHASE_READ;
        c->events = POLLIN;
    }
    return false;
}

/* Read what has arrived on one connection; true when it left the set. */
static bool read_first_message(sirnn_listener *l, half_open *c)
{
    if (c->phase == PHASE_PEEK && tls_peek(l, c))
        return true;
    if (c->phase == PHASE_TLS && tls_step(l, c))
        return true;
    if (c->phase != PHASE_READ)
        return false;
    for (;;) {
        ssize_t r;
        if (c->tls != NULL) {
            r = sirnn_tls_read(c->tls, c->buf + c->got, c->need - c->got, &c->events);
        } else {
            r = recv(c->fd, c->buf + c->got, c->need - c->got, MSG_DONTWAIT);
            c->events = POLLIN;
        }
        if (r > 0) {
            c->got += (size_t)r;
            if (first_message_step(l, c))
                return true;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return false;
        /* Closed or failed before its first message was complete. */
        char why[96];
        snprintf(why, sizeof(why), "a connection closed after %zu bytes of its first message",
                 c->got);
        drop(l, c,
             r == 0               ? SIRNN_ERR_PEER_CLOSED
             : errno == EBADMSG ? SIRNN_ERR_CRYPTO
                                : SIRNN_ERR_IO,
             why);
        return true;
    }
}

static void *acceptor_main(void *arg)
{
    sirnn_listener *l = arg;
    half_open *conns = calloc(LISTENER_MAX_HALF_OPEN, sizeof(*conns));
    struct pollfd *pfd = calloc(LISTENER_MAX_HALF_OPEN + 2, sizeof(*pfd));
    size_t n = 0;
    if (conns == NULL || pfd == NULL) {
        free(conns);
        free(pfd);
        deliver_failure(l, SIRNN_ERR_NOMEM, "the listener's acceptor is out of memory");
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&l->mu);
        bool stopping = l->stopping;
        l->half_open_count = n;
        bool room = n + l->ready_count < LISTENER_MAX_HALF_OPEN;
        pthread_mutex_unlock(&l->mu);
        if (stopping)
            break;
        /* Drop what is past its deadline, find the next one. */
        const int64_t now = sirnn_monotonic_ms();
        int64_t next = -1;
        for (size_t i = 0; i < n;) {
            if (conns[i].deadline > 0 && conns[i].deadline <= now) {
                char why[112];
                snprintf(why, sizeof(why),
                         conns[i].phase == PHASE_READ
                             ? "a connection sent %zu of %zu bytes of its first message "
                               "within %d ms"
                             : "a connection sent %zu of %zu bytes of its first message "
                               "(TLS handshake unfinished) within %d ms",
                         conns[i].got, conns[i].need, l->conn_timeout_ms);
                drop(l, &conns[i], SIRNN_ERR_TIMEOUT, why);
                conns[i] = conns[--n];
                continue;
            }
            if (conns[i].deadline > 0 && (next < 0 || conns[i].deadline < next))
                next = conns[i].deadline;
            i++;
        }
        size_t np = 0;
        pfd[np++] = (struct pollfd){.fd = l->wake[0], .events = POLLIN};
        pfd[np++] = (struct pollfd){.fd = room ? l->fd : -1, .events = POLLIN};
        for (size_t i = 0; i < n; i++)
            pfd[np++] = (struct pollfd){.fd = conns[i].fd, .events = conns[i].events};
        int wait = next < 0 ? -1 : (int)(next - now > INT32_MAX ? INT32_MAX : next - now);
        int rc = poll(pfd, np, wait);
        if (rc < 0 && errno != EINTR)
            break;
        if (rc <= 0)
            continue;
        /* Half-open connections first (indices shift as they leave). */
        for (size_t i = n; i-- > 0;) {
            if (pfd[2 + i].revents == 0)
                continue;
            if (read_first_message(l, &conns[i]))
                conns[i] = conns[--n];
        }
        if (pfd[1].revents & POLLIN) {
            while (n < LISTENER_MAX_HALF_OPEN) {
                int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0)
                    break; /* EAGAIN, an aborted connection, or out of descriptors */
                half_open *c = &conns[n++];
                memset(c, 0, sizeof(*c));
                c->fd = fd;
                c->phase = l->tls != NULL ? PHASE_PEEK : PHASE_READ;
                c->events = POLLIN;
                c->need = SIRNN_HELLO_PREFIX;
                c->deadline = l->conn_timeout_ms >= 0
                                  ? sirnn_monotonic_ms() + l->conn_timeout_ms + 1
                                  : 0;
                pthread_mutex_lock(&l->mu);
                room = n + l->ready_count < LISTENER_MAX_HALF_OPEN;
                pthread_mutex_unlock(&l->mu);
                if (!room)
                    break;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        sirnn_tls_free(conns[i].tls);
        close(conns[i].fd);
    }
    free(conns);
    free(pfd);
    return NULL;
}

/* ---- what accept calls use ----------------------------------------------- */

/* Deadline for a connection's first message: the sooner of the handshake
 * deadline and one wait for the peer. */
static int first_message_timeout(const sirnn_config *cfg)
{
    int a = cfg->handshake_timeout_ms, b = cfg->timeout_ms;
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return a < b ? a : b;
}

/* Start the acceptor with cfg's settings, unless it runs (under mu). */
static sirnn_status start_locked(sirnn_listener *lst, const sirnn_config *cfg, char *why,
                                 size_t whylen)
{
    if (lst->started || lst->stopping)
        return SIRNN_OK;
    sirnn_status st = SIRNN_OK;
    lst->conn_timeout_ms = first_message_timeout(cfg);
    if (sirnn_tls_configured(cfg)) {
        st = sirnn_tls_ctx_new(&lst->tls, cfg, true, why, whylen);
    } else if (!cfg->allow_plain_remote && !sirnn_tcp_is_loopback(lst->fd, false)) {
        snprintf(why, whylen,
                 "plain TCP on an address other than loopback: give TLS files (tls_cert "
                 "and tls_key, or tls_psk_file; --tls-cert and --tls-key, or "
                 "--tls-psk-file) or ask for plain TCP (allow_plain_remote; --plain)");
        st = SIRNN_ERR_ARG;
    }
    if (st == SIRNN_OK && pthread_create(&lst->thread, NULL, acceptor_main, lst) != 0)
        st = SIRNN_ERR_NOMEM;
    if (st != SIRNN_OK) {
        sirnn_tls_ctx_free(lst->tls);
        lst->tls = NULL;
        return st;
    }
    lst->started = true;
    return SIRNN_OK;
}

sirnn_status sirnn_listener_start(sirnn_listener *lst, const sirnn_config *cfg)
{
    if (lst == NULL) {
        sirnn_set_last_error("listener_start: NULL listener");
        return SIRNN_ERR_ARG;
    }
    sirnn_config c = cfg != NULL ? *cfg : sirnn_config_default();
    char why[200] = "";
    pthread_mutex_lock(&lst->mu);
    sirnn_status st = start_locked(lst, &c, why, sizeof(why));
    pthread_mutex_unlock(&lst->mu);
    if (st != SIRNN_OK)
        sirnn_set_last_error("%s", why[0] ? why : sirnn_strerror(st));
    return st;
}

sirnn_status sirnn_listener_next(sirnn_listener *lst, const sirnn_config *cfg,
                                 sirnn_arrival *out)
{
    memset(out, 0, sizeof(*out));
    out->fd = -1;
    pthread_mutex_lock(&lst->mu);
    sirnn_status st0 = start_locked(lst, cfg, out->why, sizeof(out->why));
    if (st0 != SIRNN_OK) {
        pthread_mutex_unlock(&lst->mu);
        return st0;
    }
    const int64_t deadline =
        cfg->connect_timeout_ms >= 0 ? sirnn_monotonic_ms() + cfg->connect_timeout_ms : 0;
    sirnn_status st = SIRNN_OK;
    while (lst->ready_count == 0 && !lst->stopping) {
        if (deadline == 0) {
            pthread_cond_wait(&lst->ready_cv, &lst->mu);
            continue;
        }
        int64_t left = deadline - sirnn_monotonic_ms();
        if (left <= 0) {
            st = SIRNN_ERR_TIMEOUT;
            break;
        }
        /* The condition variable's clock is CLOCK_REALTIME by default. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t)(left / 1000);
        ts.tv_nsec += (long)(left % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&lst->ready_cv, &lst->mu, &ts);
    }
    if (st == SIRNN_OK && lst->ready_count == 0)
        st = SIRNN_ERR_STATE; /* closing */
    if (st == SIRNN_OK) {
        *out = lst->ready[lst->ready_head];
        lst->ready_head = (lst->ready_head + 1) % LISTENER_MAX_HALF_OPEN;
        lst->ready_count--;
    }
    pthread_mutex_unlock(&lst->mu);
    if (st == SIRNN_ERR_TIMEOUT)
        snprintf(out->why, sizeof(out->why), "no client within %d ms", cfg->connect_timeout_ms);
    return st == SIRNN_OK ? out->st : st;
}

sirnn_status sirnn_listener_expect_lanes(sirnn_listener *lst, sirnn_lane_wait *w,
                                         const uint8_t session[16], unsigned nlanes)
{
    memset(w, 0, sizeof(*w));
    memcpy(w->session, session, 16);
    w->nlanes = nlanes;
    for (unsigned i = 0; i < SIRNN_MAX_THREADS; i++) {
        w->fds[i] = -1;
        w->tls[i] = NULL;
    }
    w->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (w->wake < 0)
        return SIRNN_ERR_NOMEM;
    pthread_mutex_lock(&lst->mu);
    w->next = lst->pending;
    lst->pending = w;
    pthread_mutex_unlock(&lst->mu);
    return SIRNN_OK;
}

void sirnn_listener_forget_lanes(sirnn_listener *lst, sirnn_lane_wait *w)
{
    if (w->wake >= 0) { /* still registered */
        pthread_mutex_lock(&lst->mu);
        for (sirnn_lane_wait **pp = &lst->pending; *pp != NULL; pp = &(*pp)->next)
            if (*pp == w) {
                *pp = w->next;
                break;
            }
        pthread_mutex_unlock(&lst->mu);
        close(w->wake);
        w->wake = -1;
    }
    for (unsigned i = 1; i < w->nlanes; i++) {
        sirnn_tls_free(w->tls[i]);
        w->tls[i] = NULL;
        if (w->fds[i] >= 0) {
            close(w->fds[i]);
            w->fds[i] = -1;
        }
    }
}

sirnn_status sirnn_listener_wait_lanes(sirnn_listener *lst, sirnn_lane_wait *w, int lane0_fd,
                                       int64_t deadline_ms, char *why, size_t whylen)
{
    why[0] = '\0';
    const unsigned nlanes = w->nlanes;
    int *fds = w->fds;
    sirnn_status st = SIRNN_OK;
    for (;;) {
        unsigned missing = 0, first_missing = 0;
        pthread_mutex_lock(&lst->mu);
        for (unsigned i = nlanes; i-- > 1;)
            if (fds[i] < 0) {
                missing++;
                first_missing = i;
            }
        pthread_mutex_unlock(&lst->mu);
        if (missing == 0)
            break;
        int wait = -1;
        if (deadline_ms > 0) {
            int64_t left = deadline_ms - sirnn_monotonic_ms();
            if (left <= 0) {
                st = SIRNN_ERR_TIMEOUT;
                snprintf(why, whylen,
                         "handshake: lane %u (of %u) did not connect within the handshake "
                         "deadline",
                         first_missing, nlanes);
                break;
            }
            wait = left > INT32_MAX ? INT32_MAX : (int)left;
        }
        /* Lane 0 is watched for the client closing it: POLLRDHUP only, since
         * the client may already send its first protocol bytes. */
        struct pollfd pfd[2] = {{.fd = w->wake, .events = POLLIN},
                                {.fd = lane0_fd, .events = POLLRDHUP}};
        int rc = poll(pfd, 2, wait);
        if (rc < 0 && errno != EINTR) {
            st = SIRNN_ERR_IO;
            snprintf(why, whylen, "handshake: waiting for lanes: poll failed");
            break;
        }
        if (rc > 0 && (pfd[1].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))) {
            st = SIRNN_ERR_PEER_CLOSED;
            snprintf(why, whylen,
                     "handshake: the client closed lane 0 before its %u lanes connected",
                     nlanes);
            break;
        }
        if (rc > 0 && (pfd[0].revents & POLLIN)) {
            uint64_t v;
            ssize_t r = read(w->wake, &v, sizeof(v));
            (void)r;
        }
    }
    /* Unregister; on failure also close what came. */
    if (st != SIRNN_OK) {
        sirnn_listener_forget_lanes(lst, w);
        return st;
    }
    pthread_mutex_lock(&lst->mu);
    for (sirnn_lane_wait **pp = &lst->pending; *pp != NULL; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    pthread_mutex_unlock(&lst->mu);
    close(w->wake);
    w->wake = -1;
    return st;
}
