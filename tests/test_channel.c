/*
 * Tests for net/channel and net/tcp: bulk transfer over both transports,
 * simultaneous bidirectional sends, counters, peer close, timeouts, sticky
 * errors, EINTR, SIGPIPE, the read buffer's cap, connection setup and close.
 */
#include "tests/harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/channel.h"
#include "net/tcp.h"

#define MIB ((size_t)1 << 20)
/* Long enough that only a real deadlock or hang can hit it. */
#define TEST_LONG_TIMEOUT_MS 20000
#define TEST_SHORT_TIMEOUT_MS 200

typedef enum { TRANSPORT_UNIX, TRANSPORT_TCP } transport;

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Two connected channels over the chosen transport. */
static void open_pair(transport t, sirnn_channel *a, sirnn_channel *b, int timeout_ms)
{
    if (t == TRANSPORT_UNIX) {
        assert_int_equal(sirnn_channel_pair(a, b, timeout_ms), SIRNN_OK);
        return;
    }
    int lfd = -1, cfd = -1, afd = -1;
    uint16_t port = 0;
    assert_int_equal(sirnn_tcp_listen(&lfd, NULL, 0), SIRNN_OK);
    assert_int_equal(sirnn_tcp_local_port(lfd, &port), SIRNN_OK);
    assert_true(port != 0);
    /* Loopback connects complete from the backlog, so one thread suffices. */
    assert_int_equal(sirnn_tcp_connect(&cfd, "127.0.0.1", port, 5000), SIRNN_OK);
    assert_int_equal(sirnn_tcp_accept(lfd, 5000, &afd), SIRNN_OK);
    close(lfd);
    assert_int_equal(sirnn_channel_from_fd(a, afd, timeout_ms), SIRNN_OK);
    assert_int_equal(sirnn_channel_from_fd(b, cfd, timeout_ms), SIRNN_OK);
}

/* ---- deterministic byte stream: byte at position pos of stream `seed` ---- */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void fill_stream(uint8_t *dst, uint64_t seed, uint64_t pos, size_t n)
{
    uint64_t word = mix64(seed + (pos >> 3));
    for (size_t i = 0; i < n; i++, pos++) {
        if ((pos & 7) == 0)
            word = mix64(seed + (pos >> 3));
        dst[i] = (uint8_t)(word >> ((pos & 7) * 8));
    }
}

/* Message sizes from 1 byte to 4 MiB, log-uniform so that small and large
 * sizes are both common. */
static size_t random_size(test_rng *rng, size_t remaining)
{
    unsigned k = (unsigned)test_rng_below(rng, 23); /* 2^0 .. 2^22 */
    size_t size = 1 + (size_t)test_rng_below(rng, (uint64_t)1 << k);
    return size < remaining ? size : remaining;
}

/* ---- one party's part of a bulk transfer ---- */

typedef struct bulk_party {
    sirnn_channel *ch;
    size_t send_total; /* bytes this party sends (may be 0) */
    size_t recv_total; /* bytes this party receives (may be 0) */
    uint64_t send_stream, recv_stream;
    uint64_t rng_seed;
} bulk_party;

/* Return codes tell the main thread which step failed. */
enum { BULK_OK = 0, BULK_NOMEM = 1, BULK_SEND = 2, BULK_FLUSH = 3, BULK_RECV = 4, BULK_DATA = 5 };

static int bulk_run(void *arg)
{
    bulk_party *p = arg;
    test_rng rng;
    test_rng_init(&rng, p->rng_seed);
    uint8_t *buf = malloc(4 * MIB);
    uint8_t *expect = malloc(4 * MIB);
    int rc = BULK_OK;
    if (buf == NULL || expect == NULL) {
        rc = BULK_NOMEM;
        goto out;
    }
    /* Send everything first, then receive: with both parties doing this at
     * once, only the channel's draining keeps them from deadlocking. */
    for (size_t pos = 0; pos < p->send_total;) {
        size_t n = random_size(&rng, p->send_total - pos);
        fill_stream(buf, p->send_stream, pos, n);
        if (sirnn_channel_send(p->ch, buf, n) != SIRNN_OK) {
            rc = BULK_SEND;
            goto out;
        }
        pos += n;
        if (test_rng_below(&rng, 8) == 0 && sirnn_channel_flush(p->ch) != SIRNN_OK) {
            rc = BULK_FLUSH;
            goto out;
        }
    }
    if (sirnn_channel_flush(p->ch) != SIRNN_OK) {
        rc = BULK_FLUSH;
        goto out;
    }
    for (size_t pos = 0; pos < p->recv_total;) {
        size_t n = random_size(&rng, p->recv_total - pos);
        if (sirnn_channel_recv(p->ch, buf, n) != SIRNN_OK) {
            rc = BULK_RECV;
            goto out;
        }
        fill_stream(expect, p->recv_stream, pos, n);
        if (memcmp(buf, expect, n) != 0) {
            rc = BULK_DATA;
            goto out;
        }
        pos += n;
    }
out:
    free(buf);
    free(expect);
    return rc;
}

static void run_bulk(transport t, size_t a_to_b, size_t b_to_a)
{
    uint64_t seed = test_seed();
    sirnn_channel a, b;
    open_pair(t, &a, &b, TEST_LONG_TIMEOUT_MS);
    /* Each side may have to buffer all that the other sends ahead. */
    sirnn_channel_set_read_cap(&a, b_to_a + MIB);
    sirnn_channel_set_read_cap(&b, a_to_b + MIB);
    bulk_party pa = {&a, a_to_b, b_to_a, seed ^ 0xa, seed ^ 0xb, seed * 3 + 1};
    bulk_party pb = {&b, b_to_a, a_to_b, seed ^ 0xb, seed ^ 0xa, seed * 5 + 2};
    int rca = -1, rcb = -1;
    test_run2(bulk_run, &pa, bulk_run, &pb, &rca, &rcb);
    assert_int_equal(rca, BULK_OK);
    assert_int_equal(rcb, BULK_OK);

    sirnn_channel_stats sa, sb;
    sirnn_channel_get_stats(&a, &sa);
    sirnn_channel_get_stats(&b, &sb);
    assert_int_equal(sa.bytes_sent, a_to_b);
    assert_int_equal(sb.bytes_received, a_to_b);
    assert_int_equal(sb.bytes_sent, b_to_a);
    assert_int_equal(sa.bytes_received, b_to_a);
    assert_true(a_to_b == 0 || sa.flushes >= 1);
    sirnn_channel_close(&a);
    sirnn_channel_close(&b);
}

static size_t bulk_size(void)
{
    return test_quick() ? 8 * MIB : 64 * MIB;
}

/* Larger than the socket buffers plus the write buffer on both transports,
 * so both writers block and must drain each other. */
static size_t bidir_size(void)
{
    return test_quick() ? 16 * MIB : 32 * MIB;
}

static void test_bulk_unix(void **state)
{
    (void)state;
    run_bulk(TRANSPORT_UNIX, bulk_size(), 0);
}

static void test_bulk_tcp(void **state)
{
    (void)state;
    run_bulk(TRANSPORT_TCP, bulk_size(), 0);
}

static void test_bidirectional_unix(void **state)
{
    (void)state;
    run_bulk(TRANSPORT_UNIX, bidir_size(), bidir_size());
}

static void test_bidirectional_tcp(void **state)
{
    (void)state;
    run_bulk(TRANSPORT_TCP, bidir_size(), bidir_size() / 2 + 12345);
}

/* ---- counters ---- */

typedef struct counter_party {
    sirnn_channel *ch;
    bool is_a;
} counter_party;

/* Each failed check returns its line, so the main thread can report it. */
#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond))                                                                     \
            return __LINE__;                                                             \
    } while (0)

static int counter_script(sirnn_channel *ch, bool is_a, uint8_t *big, size_t big_size,
                          uint8_t *small)
{
    sirnn_channel_stats s;
    if (is_a) {
        CHECK(sirnn_channel_send(ch, small, 3) == SIRNN_OK);
        CHECK(sirnn_channel_send(ch, small, 5) == SIRNN_OK);
        CHECK(sirnn_channel_send(ch, NULL, 0) == SIRNN_OK);
        sirnn_channel_get_stats(ch, &s);
        CHECK(s.bytes_sent == 8 && s.flushes == 0); /* still queued */
        CHECK(sirnn_channel_flush(ch) == SIRNN_OK);
        CHECK(sirnn_channel_flush(ch) == SIRNN_OK); /* nothing queued: no flight */
        sirnn_channel_get_stats(ch, &s);
        CHECK(s.bytes_sent == 8 && s.flushes == 1);
        /* Queued output goes out before a receive waits for the answer. */
        CHECK(sirnn_channel_send_u64(ch, 0x0102030405060708ULL) == SIRNN_OK);
        CHECK(sirnn_channel_recv(ch, small, 1) == SIRNN_OK);
        sirnn_channel_get_stats(ch, &s);
        CHECK(s.bytes_sent == 16 && s.flushes == 2 && s.bytes_received == 1);
        /* A large payload with bytes queued: one flight, exact count. */
        CHECK(sirnn_channel_send(ch, small, 7) == SIRNN_OK);
        CHECK(sirnn_channel_send(ch, big, big_size) == SIRNN_OK);
        sirnn_channel_get_stats(ch, &s);
        CHECK(s.bytes_sent == 16 + 7 + big_size && s.flushes == 3);
        CHECK(sirnn_channel_recv(ch, small, 1) == SIRNN_OK);
        sirnn_channel_get_stats(ch, &s);
        CHECK(s.flushes == 3 && s.bytes_received == 2);
    } else {
        uint8_t got[8];
        CHECK(sirnn_channel_recv(ch, got, 8) == SIRNN_OK);
        CHECK(sirnn_channel_recv(ch, got, 8) == SIRNN_OK);
        /* Little-endian on the wire. */
        CHECK(got[0] == 0x08 && got[7] == 0x01);
        CHECK(sirnn_channel_send(ch, small, 1) == SIRNN_OK);
        CHECK(sirnn_channel_recv(ch, got, 7) == SIRNN_OK);
        CHECK(sirnn_channel_recv(ch, big, big_size) == SIRNN_OK);
        CHECK(sirnn_channel_send(ch, small, 1) == SIRNN_OK);
        CHECK(sirnn_channel_flush(ch) == SIRNN_OK);
        sirnn_channel_get_stats(ch, &s);
        CHECK(s.bytes_received == 8 + 8 + 7 + big_size && s.bytes_sent == 2);
        CHECK(s.flushes == 2);
    }
    return 0;
}

static int counter_run(void *arg)
{
    counter_party *p = arg;
    sirnn_channel *ch = p->ch;
    const size_t big_size = 3 * MIB; /* larger than any write buffer */
    uint8_t *big = calloc(1, big_size);
    uint8_t small[64];
    memset(small, 0x5a, sizeof small);
    if (big == NULL)
        return __LINE__;
    int rc = counter_script(ch, p->is_a, big, big_size, small);
    free(big);
    return rc;
}

static void test_counters(void **state)
{
    (void)state;
    sirnn_channel a, b;
    open_pair(TRANSPORT_UNIX, &a, &b, TEST_LONG_TIMEOUT_MS);
    counter_party pa = {&a, true}, pb = {&b, false};
    int rca = -1, rcb = -1;
    test_run2(counter_run, &pa, counter_run, &pb, &rca, &rcb);
    assert_int_equal(rca, 0);
    assert_int_equal(rcb, 0);
    sirnn_channel_close(&a);
    sirnn_channel_close(&b);
}

static void test_u64_roundtrip(void **state)
{
    (void)state;
    sirnn_channel a, b;
    open_pair(TRANSPORT_UNIX, &a, &b, TEST_LONG_TIMEOUT_MS);
    test_rng rng;
    test_rng_init(&rng, test_seed());
    uint64_t vals[16];
    for (int i = 0; i < 16; i++) {
        vals[i] = test_rng_next(&rng);
        assert_int_equal(sirnn_channel_send_u64(&a, vals[i]), SIRNN_OK);
    }
    assert_int_equal(sirnn_channel_flush(&a), SIRNN_OK);
    for (int i = 0; i < 16; i++) {
        uint64_t v = 0;
        assert_int_equal(sirnn_channel_recv_u64(&b, &v), SIRNN_OK);
        assert_int_equal(v, vals[i]);
    }
    sirnn_channel_close(&a);
    sirnn_channel_close(&b);
}

/* ---- argument errors are not sticky ---- */

static void test_argument_errors(void **state)
{
    (void)state;
    sirnn_channel a, b;
    open_pair(TRANSPORT_UNIX, &a, &b, TEST_LONG_TIMEOUT_MS);
    assert_int_equal(sirnn_channel_send(&a, NULL, 5), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_channel_recv(&b, NULL, 5), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_channel_recv_u64(&b, NULL), SIRNN_ERR_ARG);
    /* The channels still work after the rejected calls. */
    assert_int_equal(sirnn_channel_send_u64(&a, 42), SIRNN_OK);
    assert_int_equal(sirnn_channel_flush(&a), SIRNN_OK);
    uint64_t v = 0;
    assert_int_equal(sirnn_channel_recv_u64(&b, &v), SIRNN_OK);
    assert_int_equal(v, 42);
    assert_int_equal(sirnn_tcp_listen(NULL, NULL, 0), SIRNN_ERR_ARG);
    sirnn_channel_close(&a);
    sirnn_channel_close(&b);
}

/* ---- peer closes in the middle of a message ---- */

static void run_peer_close_mid_message(transport t)
{
    sirnn_channel a, b;
    open_pair(t, &a, &b, TEST_LONG_TIMEOUT_MS);
    uint8_t msg[4000];
    memset(msg, 7, sizeof msg);
    assert_int_equal(sirnn_channel_send(&a, msg, 1000), SIRNN_OK);
    assert_int_equal(sirnn_channel_flush(&a), SIRNN_OK);
    sirnn_channel_close(&a);
    assert_int_equal(sirnn_channel_recv(&b, msg, sizeof msg), SIRNN_ERR_PEER_CLOSED);
    /* Sticky: later calls fail the same way without touching the socket. */
    assert_int_equal(sirnn_channel_recv(&b, msg, 1), SIRNN_ERR_PEER_CLOSED);
    assert_int_equal(sirnn_channel_send(&b, msg, 1), SIRNN_ERR_PEER_CLOSED);
    assert_int_equal(sirnn_channel_flush(&b), SIRNN_ERR_PEER_CLOSED);
    sirnn_channel_close(&b);
}

static void test_peer_close_unix(void **state)
{
    (void)state;
    run_peer_close_mid_message(TRANSPORT_UNIX);
}

static void test_peer_close_tcp(void **state)
{
    (void)state;
    run_peer_close_mid_message(TRANSPORT_TCP);
}

/* ---- a silent peer gives a timeout; the error is sticky ---- */

static void run_silent_peer(transport t)
{
    sirnn_channel a, b;
    open_pair(t, &a, &b, TEST_SHORT_TIMEOUT_MS);
    uint8_t x = 0;
    assert_int_equal(sirnn_channel_recv(&b, &x, 1), SIRNN_ERR_TIMEOUT);
    /* Data that arrives afterwards does not revive the channel. */
    x = 9;
    assert_int_equal(sirnn_channel_send(&a, &x, 1), SIRNN_OK);
    assert_int_equal(sirnn_channel_flush(&a), SIRNN_OK);
    assert_int_equal(sirnn_channel_recv(&b, &x, 1), SIRNN_ERR_TIMEOUT);
    assert_int_equal(sirnn_channel_send(&b, &x, 1), SIRNN_ERR_TIMEOUT);
    assert_int_equal(b.error, SIRNN_ERR_TIMEOUT);
    sirnn_channel_close(&a);
    sirnn_channel_close(&b);
}

static void test_silent_peer_unix(void **state)
{
    (void)state;
    run_silent_peer(TRANSPORT_UNIX);
}

static void test_silent_peer_tcp(void **state)
{
    (void)state;
    run_silent_peer(TRANSPORT_TCP);
}

/* A writer whose peer never reads times out too (the socket stays full). */
static void test_write_timeout(void **state)
{
    (void)state;
    sirnn_channel a, b;
    open_pair(TRANSPORT_UNIX, &a, &b, TEST_SHORT_TIMEOUT_MS);
    size_t n = 4 * MIB;
    uint8_t *buf = calloc(1, n);
    assert_non_null(buf);
    assert_int_equal(sirnn_channel_send(&a, buf, n), SIRNN_ERR_TIMEOUT);
    assert_int_equal(sirnn_channel_flush(&a), SIRNN_ERR_TIMEOUT);
    free(buf);
    sirnn_channel_close(&a);
    sirnn_channel_close(&b);
}

/* ---- EINTR: signals without SA_RESTART interrupt blocked calls ---- */

static volatile sig_atomic_t signals_seen;

static void count_signal(int sig)
{
    (void)sig;
    signals_seen = signals_seen + 1;
}

typedef struct eintr_party {
    sirnn_channel *ch;
    size_t n;
    uint64_t stream;
} eintr_party;

/* Receive a message (blocking before it arrives), then send one large
 * enough to block on a full socket. */
static int eintr_peer(void *arg)
{
    eintr_party *p = arg;
    uint8_t *buf = malloc(p->n), *expect = malloc(p->n);
    int rc = 0;
    if (buf == NULL || expect == NULL) {
        rc = 1;
    } else if (sirnn_channel_recv(p->ch, buf, p->n) != SIRNN_OK) {
        rc = 2;
    } else {
        fill_stream(expect, p->stream, 0, p->n);
        if (memcmp(buf, expect, p->n) != 0)
            rc = 3;
        fill_stream(buf, p->stream + 1, 0, p->n);
        if (rc == 0 && (sirnn_channel_send(p->ch, buf, p->n) != SIRNN_OK ||
                        sirnn_channel_flush(p->ch) != SIRNN_OK))
            rc = 4;
    }
    free(buf);
    free(expect);
    return rc;
}

static void test_eintr(void **state)
{
    (void)state;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: blocked syscalls fail with EINTR */
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
    signals_seen = 0;

    sirnn_channel a, b;
    open_pair(TRANSPORT_UNIX, &a, &b, TEST_LONG_TIMEOUT_MS);
    eintr_party p = {&b, 2 * MIB, test_seed()};
    test_thread th;
    assert_int_equal(test_thread_start(&th, eintr_peer, &p), 0);

    /* The peer is blocked in recv: interrupt it a few times. */
    for (int i = 0; i < 5; i++) {
        sleep_ms(10);
        assert_int_equal(pthread_kill(th.th, SIGUSR1), 0);
    }
    uint8_t *buf = malloc(p.n), *expect = malloc(p.n);
    assert_non_null(buf);
    assert_non_null(expect);
    fill_stream(buf, p.stream, 0, p.n);
    assert_int_equal(sirnn_channel_send(&a, buf, p.n), SIRNN_OK);
    assert_int_equal(sirnn_channel_flush(&a), SIRNN_OK);

    /* Now it blocks writing into a full socket: interrupt that as well. */
    for (int i = 0; i < 5; i++) {
        sleep_ms(10);
        assert_int_equal(pthread_kill(th.th, SIGUSR1), 0);
    }
    assert_int_equal(sirnn_channel_recv(&a, buf, p.n), SIRNN_OK);
    fill_stream(expect, p.stream + 1, 0, p.n);
    assert_memory_equal(buf, expect, p.n);
    assert_int_equal(test_thread_join(&th), 0);
    assert_true(signals_seen >= 1);

    free(buf);
    free(expect);
    sirnn_channel_close(&a);
    sirnn_channel_close(&b);
    assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
}

/* ---- writing to a closed peer: no SIGPIPE, PEER_CLOSED ---- */

static void run_write_to_closed(transport t)
{
    /* With the default action a SIGPIPE would kill the test binary. */
    struct sigaction dfl, old;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    assert_int_equal(sigaction(SIGPIPE, &dfl, &old), 0);

    sirnn_channel a, b;
    open_pair(t, &a, &b, TEST_LONG_TIMEOUT_MS);
    sirnn_channel_close(&a);
    uint8_t buf[4096] = {0};
    sirnn_status st = SIRNN_OK;
    /* The first write may still be accepted by the kernel (TCP learns of the
     * close from the peer's reset); one of the next ones must fail. */
    for (int i = 0; i < 100 && st == SIRNN_OK; i++) {
        st = sirnn_channel_send(&b, buf, sizeof buf);
        if (st == SIRNN_OK)
            st = sirnn_channel_flush(&b);
        if (st == SIRNN_OK)
            sleep_ms(1);
    }
    assert_int_equal(st, SIRNN_ERR_PEER_CLOSED);
    assert_int_equal(sirnn_channel_send(&b, buf, 1), SIRNN_ERR_PEER_CLOSED);
    sirnn_channel_close(&b);
    assert_int_equal(sigaction(SIGPIPE, &old, NULL), 0);
}

static void test_write_to_closed_unix(void **state)
{
    (void)state;
    run_write_to_closed(TRANSPORT_UNIX);
}

static void test_write_to_closed_tcp(void **state)
{
    (void)state;
    run_write_to_closed(TRANSPORT_TCP);
}

/* ---- TCP setup ---- */

static void test_connect_no_listener(void **state)
{
    (void)state;
    /* Find a port nobody listens on: bind an ephemeral one, then free it. */
    int lfd = -1;
    uint16_t port = 0;
    assert_int_equal(sirnn_tcp_listen(&lfd, NULL, 0), SIRNN_OK);
    assert_int_equal(sirnn_tcp_local_port(lfd, &port), SIRNN_OK);
    close(lfd);
    int fd = -1;
    assert_int_equal(sirnn_tcp_connect(&fd, "127.0.0.1", port, TEST_SHORT_TIMEOUT_MS),
                     SIRNN_ERR_TIMEOUT);
    assert_int_equal(fd, -1);
}

static void test_accept_timeout(void **state)
{
    (void)state;
    int lfd = -1, fd = 5;
    assert_int_equal(sirnn_tcp_listen(&lfd, "127.0.0.1", 0), SIRNN_OK);
    assert_int_equal(sirnn_tcp_accept(lfd, TEST_SHORT_TIMEOUT_MS, &fd), SIRNN_ERR_TIMEOUT);
    assert_int_equal(fd, -1);
    close(lfd);
}

typedef struct late_listener {
    uint16_t port;
    int rc;
} late_listener;

/* Starts listening only after the client has begun retrying. */
static int late_listen(void *arg)
{
    late_listener *l = arg;
    sleep_ms(50);
    int lfd = -1, fd = -1;
    if (sirnn_tcp_listen(&lfd, "127.0.0.1", l->port) != SIRNN_OK)
        return 1;
    int rc = 0;
    sirnn_channel ch;
    if (sirnn_tcp_accept(lfd, TEST_LONG_TIMEOUT_MS, &fd) != SIRNN_OK)
        rc = 2;
    else if (sirnn_channel_from_fd(&ch, fd, TEST_LONG_TIMEOUT_MS) != SIRNN_OK)
        rc = 3;
    else {
        uint64_t v = 0;
        if (sirnn_channel_recv_u64(&ch, &v) != SIRNN_OK || v != 0x1234)
            rc = 4;
        sirnn_channel_close(&ch);
    }
    close(lfd);
    return rc;
}

/* The client may start first: refused connects are retried; host names
 * resolve. */
static void test_connect_retry_and_hostname(void **state)
{
    (void)state;
    int lfd = -1;
    late_listener l = {0, 0};
    assert_int_equal(sirnn_tcp_listen(&lfd, NULL, 0), SIRNN_OK);
    assert_int_equal(sirnn_tcp_local_port(lfd, &l.port), SIRNN_OK);
    close(lfd);
    test_thread th;
    assert_int_equal(test_thread_start(&th, late_listen, &l), 0);
    int fd = -1;
    sirnn_status st = sirnn_tcp_connect(&fd, "localhost", l.port, TEST_LONG_TIMEOUT_MS);
    sirnn_channel ch;
    if (st == SIRNN_OK) {
        st = sirnn_channel_from_fd(&ch, fd, TEST_LONG_TIMEOUT_MS);
        if (st == SIRNN_OK) {
            st = sirnn_channel_send_u64(&ch, 0x1234);
            if (st == SIRNN_OK)
                st = sirnn_channel_flush(&ch);
            sirnn_channel_close(&ch);
        }
    }
    assert_int_equal(test_thread_join(&th), 0);
    assert_int_equal(st, SIRNN_OK);
}

static void test_cloexec(void **state)
{
    (void)state;
    int lfd = -1;
    assert_int_equal(sirnn_tcp_listen(&lfd, NULL, 0), SIRNN_OK);
    assert_true(fcntl(lfd, F_GETFD) & FD_CLOEXEC);
    close(lfd);
    sirnn_channel a, b;
    open_pair(TRANSPORT_TCP, &a, &b, TEST_LONG_TIMEOUT_MS);
    assert_true(fcntl(a.fd, F_GETFD) & FD_CLOEXEC);
    assert_true(fcntl(b.fd, F_GETFD) & FD_CLOEXEC);
    assert_true(fcntl(a.fd, F_GETFL) & O_NONBLOCK);
    sirnn_channel_close(&a);
    sirnn_channel_close(&b);
}

/* ---- the read buffer's cap ---- */

/* Writes junk on a raw fd and never reads; returns 0 once the other end is
 * closed, 1 after 256 MiB (the cap should have stopped the reader long
 * before). */
static int raw_flood(void *arg)
{
    int fd = *(int *)arg;
    static const uint8_t junk[16384];
    for (size_t sent = 0; sent < 256 * MIB;) {
        ssize_t w = send(fd, junk, sizeof junk, MSG_NOSIGNAL);
        if (w > 0) {
            sent += (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            poll(&pfd, 1, 100);
        } else {
            return 0;
        }
    }
    return 1;
}

/* A peer that floods while we are blocked sending: the read buffer grows to
 * its cap (here not a power of two) and no further; the channel fails with
 * SIRNN_ERR_PEER_MISMATCH and says why, and the error is sticky. */
static void test_read_cap(void **state)
{
    (void)state;
    sirnn_channel a, b;
    open_pair(TRANSPORT_UNIX, &a, &b, TEST_LONG_TIMEOUT_MS);
    const size_t cap = 700 << 10;
    sirnn_channel_set_read_cap(&a, cap);
    test_thread th;
    assert_int_equal(test_thread_start(&th, raw_flood, &b.fd), 0);
    const size_t n = 8 * MIB;
    uint8_t *big = calloc(n, 1);
    assert_non_null(big);
    assert_int_equal(sirnn_channel_send(&a, big, n), SIRNN_ERR_PEER_MISMATCH);
    assert_non_null(a.why);
    assert_non_null(strstr(a.why, "session_mem_bytes"));
    sirnn_channel_stats st;
    sirnn_channel_get_stats(&a, &st);
    assert_int_equal(st.rbuf_peak, cap);
    assert_int_equal(sirnn_channel_send(&a, big, 1), SIRNN_ERR_PEER_MISMATCH);
    uint8_t x;
    assert_int_equal(sirnn_channel_recv(&a, &x, 1), SIRNN_ERR_PEER_MISMATCH);
    sirnn_channel_close(&a); /* ends the flood */
    assert_int_equal(test_thread_join(&th), 0);
    sirnn_channel_close(&b);
    free(big);
    /* A cap below the initial buffer keeps the initial buffer. */
    open_pair(TRANSPORT_UNIX, &a, &b, TEST_LONG_TIMEOUT_MS);
    sirnn_channel_set_read_cap(&a, 1);
    assert_int_equal(a.rmax, 256 << 10);
    sirnn_channel_close(&a);
    sirnn_channel_close(&b);
}

/* ---- close ---- */

static void test_close_idempotent(void **state)
{
    (void)state;
    sirnn_channel a, b;
    open_pair(TRANSPORT_UNIX, &a, &b, TEST_LONG_TIMEOUT_MS);
    int fd = a.fd;
    sirnn_channel_close(&a);
    assert_true(fcntl(fd, F_GETFD) < 0); /* the fd really was closed */
    sirnn_channel_close(&a);
    assert_int_equal(sirnn_channel_send(&a, "x", 1), SIRNN_ERR_STATE);
    assert_int_equal(sirnn_channel_flush(&a), SIRNN_ERR_STATE);
    uint8_t x;
    assert_int_equal(sirnn_channel_recv(&b, &x, 1), SIRNN_ERR_PEER_CLOSED);
    sirnn_channel_close(&b);
    sirnn_channel_close(&b);

    /* A zeroed channel owns nothing: fd 0 must stay open. */
    int stdin_open = fcntl(0, F_GETFD) >= 0;
    sirnn_channel z;
    memset(&z, 0, sizeof z);
    sirnn_channel_close(&z);
    sirnn_channel_close(&z);
    assert_int_equal(fcntl(0, F_GETFD) >= 0, stdin_open);
    sirnn_channel_close(NULL);

    /* A failed from_fd leaves a channel that close accepts. */
    sirnn_channel bad;
    assert_int_equal(sirnn_channel_from_fd(&bad, -1, 100), SIRNN_ERR_ARG);
    sirnn_channel_close(&bad);
}

int main(void)
{
    test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bulk_unix),
        cmocka_unit_test(test_bulk_tcp),
        cmocka_unit_test(test_bidirectional_unix),
        cmocka_unit_test(test_bidirectional_tcp),
        cmocka_unit_test(test_counters),
        cmocka_unit_test(test_u64_roundtrip),
        cmocka_unit_test(test_argument_errors),
        cmocka_unit_test(test_peer_close_unix),
        cmocka_unit_test(test_peer_close_tcp),
        cmocka_unit_test(test_silent_peer_unix),
        cmocka_unit_test(test_silent_peer_tcp),
        cmocka_unit_test(test_write_timeout),
        cmocka_unit_test(test_eintr),
        cmocka_unit_test(test_write_to_closed_unix),
        cmocka_unit_test(test_write_to_closed_tcp),
        cmocka_unit_test(test_connect_no_listener),
        cmocka_unit_test(test_accept_timeout),
        cmocka_unit_test(test_connect_retry_and_hostname),
        cmocka_unit_test(test_cloexec),
        cmocka_unit_test(test_read_cap),
        cmocka_unit_test(test_close_idempotent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
