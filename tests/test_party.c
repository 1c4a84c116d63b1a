/*
 * Party construction and the handshake: in-process pairs, loopback TCP with
 * several lanes, every handshake mismatch (through real parties where the
 * config can express it, through a hand-written raw peer otherwise), dead
 * and silent peers, bad arguments, and reuse of a listener after a failure.
 */
#include "tests/harness.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "sirnn/sirnn.h"
#include "net/party_internal.h"
#include "net/tcp.h"
#include "net/tls.h"
#include "tests/tls_files.h"

/* ---- helpers ------------------------------------------------------------- */

typedef struct server_arg {
    sirnn_listener *lst;
    sirnn_config cfg;
    sirnn_party *party;
    sirnn_status st;
    char msg[256];
} server_arg;

static int server_main(void *a)
{
    server_arg *s = a;
    s->st = sirnn_party_accept(&s->party, s->lst, &s->cfg);
    snprintf(s->msg, sizeof(s->msg), "%s", sirnn_last_error());
    return 0;
}

/* Lane 0 <-> lane 0 ping-pong over every lane proves the lanes are paired
 * in order. Runs on the client side; the server echoes index+1. */
typedef struct echo_arg {
    sirnn_party *party;
    int rc;
} echo_arg;

static int echo_server(void *a)
{
    echo_arg *e = a;
    for (unsigned i = 0; i < e->party->nlanes; i++) {
        uint64_t v;
        if (sirnn_channel_recv_u64(&e->party->lanes[i].ch, &v) != SIRNN_OK)
            return 1;
        if (sirnn_channel_send_u64(&e->party->lanes[i].ch, v * 1000 + i) != SIRNN_OK ||
            sirnn_channel_flush(&e->party->lanes[i].ch) != SIRNN_OK)
            return 2;
    }
    return 0;
}

static void check_lanes_paired(sirnn_party *server, sirnn_party *client)
{
    echo_arg e = {server, 0};
    test_thread t;
    assert_int_equal(test_thread_start(&t, echo_server, &e), 0);
    int ok = 1;
    for (unsigned i = 0; i < client->nlanes; i++) {
        uint64_t v = 7 + i, back = 0;
        ok &= sirnn_channel_send_u64(&client->lanes[i].ch, v) == SIRNN_OK;
        ok &= sirnn_channel_flush(&client->lanes[i].ch) == SIRNN_OK;
        ok &= sirnn_channel_recv_u64(&client->lanes[i].ch, &back) == SIRNN_OK;
        ok &= back == v * 1000 + i;
    }
    assert_int_equal(test_thread_join(&t), 0);
    assert_true(ok);
}

static sirnn_config quick_config(unsigned threads)
{
    sirnn_config c = sirnn_config_default();
    c.threads = threads;
    /* Generous: valgrind slows the base OTs down a lot. Tests that expect
     * a timeout set their own short one. */
    c.timeout_ms = 60000;
    c.connect_timeout_ms = 60000;
    c.handshake_timeout_ms = 300000; /* base OTs on 4 lanes under valgrind */
    return c;
}

/* ---- tests --------------------------------------------------------------- */

static void test_defaults_and_strerror(void **state)
{
    (void)state;
    sirnn_config c = sirnn_config_default();
    assert_int_equal(c.threads, 1);
    assert_true(c.timeout_ms > 0);
    for (int s = 0; s >= -9; s--)
        assert_true(strlen(sirnn_strerror((sirnn_status)s)) > 0);
    assert_string_equal(sirnn_strerror((sirnn_status)-1000), "unknown status code");
    assert_true(strcmp(sirnn_isa_name(), "portable") == 0 || strcmp(sirnn_isa_name(), "aesni") == 0 ||
                strcmp(sirnn_isa_name(), "avx2") == 0 || strcmp(sirnn_isa_name(), "avx512") == 0);
}

static void test_pair_with_lanes(void **state)
{
    (void)state;
    /* Quick (valgrind) runs skip two lanes: each lane's base OTs take
     * seconds under valgrind, and one and three lanes cover the paths. */
    for (unsigned t = 1; t <= 3; t += test_quick() ? 2 : 1) {
        sirnn_config c = quick_config(t);
        sirnn_party *s, *k;
        assert_int_equal(sirnn_party_pair(&s, &k, &c), SIRNN_OK);
        assert_int_equal(sirnn_party_role(s), SIRNN_SERVER);
        assert_int_equal(sirnn_party_role(k), SIRNN_CLIENT);
        assert_int_equal(sirnn_party_threads(k), t);
        check_lanes_paired(s, k);
        sirnn_stats ss, ks;
        assert_int_equal(sirnn_party_stats(s, &ss), SIRNN_OK);
        assert_int_equal(sirnn_party_stats(k, &ks), SIRNN_OK);
        /* The server sent what the client received, and vice versa. */
        assert_true(ss.bytes_sent == ks.bytes_received && ks.bytes_sent == ss.bytes_received);
        assert_true(ss.bytes_sent > 0);
        sirnn_party_free(s);
        sirnn_party_free(k);
    }
}

static void test_tcp_lanes(void **state)
{
    (void)state;
    for (unsigned t = 1; t <= 4; t += 3) {
        sirnn_listener *lst;
        assert_int_equal(sirnn_listener_open(&lst, NULL, 0), SIRNN_OK);
        assert_true(sirnn_listener_port(lst) != 0);
        server_arg sa = {lst, quick_config(t), NULL, SIRNN_ERR_STATE, ""};
        test_thread th;
        assert_int_equal(test_thread_start(&th, server_main, &sa), 0);
        sirnn_config c = quick_config(t);
        sirnn_party *k = NULL;
        sirnn_status st = sirnn_party_connect(&k, "127.0.0.1", sirnn_listener_port(lst), &c);
        test_thread_join(&th);
        assert_int_equal(st, SIRNN_OK);
        assert_int_equal(sa.st, SIRNN_OK);
        check_lanes_paired(sa.party, k);
        sirnn_party_free(sa.party);
        sirnn_party_free(k);
        sirnn_listener_close(lst);
    }
}

/* Both sides must report a config mismatch, naming the field. */
static void expect_mismatch(sirnn_config sc, sirnn_config cc, const char *field)
{
    sirnn_listener *lst;
    assert_int_equal(sirnn_listener_open(&lst, NULL, 0), SIRNN_OK);
    server_arg sa = {lst, sc, NULL, SIRNN_OK, ""};
    test_thread th;
    assert_int_equal(test_thread_start(&th, server_main, &sa), 0);
    sirnn_party *k = NULL;
    sirnn_status st = sirnn_party_connect(&k, "localhost", sirnn_listener_port(lst), &cc);
    char cmsg[256];
    snprintf(cmsg, sizeof(cmsg), "%s", sirnn_last_error());
    test_thread_join(&th);
    assert_int_equal(st, SIRNN_ERR_PEER_MISMATCH);
    assert_int_equal(sa.st, SIRNN_ERR_PEER_MISMATCH);
    assert_null(k);
    assert_null(sa.party);
    assert_non_null(strstr(cmsg, field));
    assert_non_null(strstr(sa.msg, field));
    sirnn_listener_close(lst);
}

static void test_config_mismatches(void **state)
{
    (void)state;
    sirnn_config a = quick_config(1), b = quick_config(2);
    expect_mismatch(a, b, "lane");
    b = quick_config(1);
    b.ot_pool_size = a.ot_pool_size * 2;
    expect_mismatch(a, b, "pool");
    b = quick_config(1);
    b.test_mode = SIRNN_TEST_MODE_ON;
    expect_mismatch(a, b, "test mode");
    /* The library default is SoftSpoken with k = 4. */
    assert_int_equal(a.ot_backend, SIRNN_OT_SOFTSPOKEN);
    assert_int_equal(a.ot_k, 4);
    b = quick_config(1);
    b.ot_k = 8;
    expect_mismatch(a, b, "ot_k");
    b = quick_config(1);
    b.ot_backend = SIRNN_OT_IKNP;
    expect_mismatch(a, b, "backend");
    /* Silent OT only with a silent peer. */
    b = quick_config(1);
    b.ot_backend = SIRNN_OT_SILENT;
    expect_mismatch(a, b, "backend");
    /* SoftSpoken with k = 1 is IKNP's protocol but another configuration. */
    b = quick_config(1);
    b.ot_k = 1;
    expect_mismatch(a, b, "ot_k");
}

/* With plain IKNP the block size is 1 whatever ot_k says; pairs of other
 * sizes connect and run their OTs (the OT tests check them in depth). */
static void test_backends_connect(void **state)
{
    (void)state;
    const sirnn_ot_backend backends[] = {SIRNN_OT_IKNP, SIRNN_OT_SOFTSPOKEN, SIRNN_OT_SOFTSPOKEN,
                                         SIRNN_OT_SOFTSPOKEN};
    const unsigned ks[] = {3, 1, 2, 8};
    for (size_t i = 0; i < 4; i++) {
        /* One lane in quick (valgrind) runs: the backends' handshake is per
         * session, their base OTs per lane. */
        sirnn_config c = quick_config(test_quick() ? 1 : 2);
        c.ot_backend = backends[i];
        c.ot_k = ks[i];
        sirnn_config c2 = c;
        if (backends[i] == SIRNN_OT_IKNP)
            c2.ot_k = 0;
        sirnn_listener *lst;
        assert_int_equal(sirnn_listener_open(&lst, NULL, 0), SIRNN_OK);
        server_arg sa = {lst, c, NULL, SIRNN_ERR_STATE, ""};
        test_thread th;
        assert_int_equal(test_thread_start(&th, server_main, &sa), 0);
        sirnn_party *k = NULL;
        assert_int_equal(sirnn_party_connect(&k, "127.0.0.1", sirnn_listener_port(lst), &c2),
                         SIRNN_OK);
        test_thread_join(&th);
        assert_int_equal(sa.st, SIRNN_OK);
        check_lanes_paired(sa.party, k);
        sirnn_party_free(sa.party);
        sirnn_party_free(k);
        sirnn_listener_close(lst);
    }
}

/* A raw peer: connects and sends a hello that we build here from the wire
 * format (independently of net/party.c), with one field changed. */
typedef struct raw_peer {
    uint16_t port;
    uint8_t hello[64];
    size_t send_len; /* < 64: die mid-message */
    int stay_silent;
} raw_peer;

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void good_client_hello(uint8_t h[64], uint32_t lanes, uint64_t pool)
{
    memset(h, 0, 64);
    memcpy(h, "SIRNNhs1", 8);
    put32(h + 8, SIRNN_PROTOCOL_VERSION);
    h[12] = 1; /* client */
    h[13] = 0;
    put32(h + 16, lanes);
    put16(h + 20, 1); /* SoftSpoken, the default */
    put16(h + 22, 4); /* ot_k */
    for (int i = 0; i < 8; i++)
        h[24 + i] = (uint8_t)(pool >> (8 * i));
    /* session[16] zero; the limits (64 MiB, 2^20) are announced, not compared */
    h[48 + 3] = 4;
    h[56 + 2] = 0x10;
}

static int raw_peer_main(void *a)
{
    raw_peer *r = a;
    int fd = -1;
    if (sirnn_tcp_connect(&fd, "127.0.0.1", r->port, 2000) != SIRNN_OK)
        return 1;
    if (!r->stay_silent && write(fd, r->hello, r->send_len) != (ssize_t)r->send_len) {
        close(fd);
        return 2;
    }
    if (r->send_len < sizeof(r->hello)) { /* dies mid-message */
        close(fd);
        return 0;
    }
    /* Wait for the server's verdict: it sends its hello, then closes. */
    uint8_t buf[64];
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
    close(fd);
    return 0;
}

static sirnn_status serve_raw(sirnn_listener *lst, raw_peer *rp, char *msg, size_t msglen)
{
    sirnn_config c = quick_config(1);
    c.timeout_ms = 300;
    rp->port = sirnn_listener_port(lst);
    test_thread th;
    assert_int_equal(test_thread_start(&th, raw_peer_main, rp), 0);
    sirnn_party *p = NULL;
    sirnn_status st = sirnn_party_accept(&p, lst, &c);
    snprintf(msg, msglen, "%s", sirnn_last_error());
    assert_null(p);
    sirnn_party_free(p);
    assert_int_equal(test_thread_join(&th), 0);
    return st;
}

static void test_raw_peer_mismatches(void **state)
{
    (void)state;
    sirnn_listener *lst;
    assert_int_equal(sirnn_listener_open(&lst, NULL, 0), SIRNN_OK);
    size_t pool = sirnn_config_default().ot_pool_size;
    char msg[256];
    raw_peer rp;

    good_client_hello(rp.hello, 1, pool);
    memcpy(rp.hello, "HTTP/1.1", 8);
    rp.send_len = 64;
    rp.stay_silent = 0;
    assert_int_equal(serve_raw(lst, &rp, msg, sizeof(msg)), SIRNN_ERR_PEER_MISMATCH);
    assert_non_null(strstr(msg, "magic"));

    good_client_hello(rp.hello, 1, pool);
    put32(rp.hello + 8, SIRNN_PROTOCOL_VERSION + 1);
    assert_int_equal(serve_raw(lst, &rp, msg, sizeof(msg)), SIRNN_ERR_PEER_MISMATCH);
    assert_non_null(strstr(msg, "version"));

    good_client_hello(rp.hello, 1, pool);
    rp.hello[12] = 0; /* claims to be a server too */
    assert_int_equal(serve_raw(lst, &rp, msg, sizeof(msg)), SIRNN_ERR_PEER_MISMATCH);
    assert_non_null(strstr(msg, "role"));

    good_client_hello(rp.hello, 1, pool);
    put16(rp.hello + 20, 7); /* unknown OT backend */
    assert_int_equal(serve_raw(lst, &rp, msg, sizeof(msg)), SIRNN_ERR_PEER_MISMATCH);
    assert_non_null(strstr(msg, "backend"));

    good_client_hello(rp.hello, 1, pool);
    put16(rp.hello + 22, 2); /* another SoftSpoken block size */
    assert_int_equal(serve_raw(lst, &rp, msg, sizeof(msg)), SIRNN_ERR_PEER_MISMATCH);
    assert_non_null(strstr(msg, "ot_k"));

    /* A peer that dies in the middle of its hello. */
    good_client_hello(rp.hello, 1, pool);
    rp.send_len = 20;
    assert_int_equal(serve_raw(lst, &rp, msg, sizeof(msg)), SIRNN_ERR_PEER_CLOSED);

    /* A peer that connects and says nothing. */
    rp.stay_silent = 1;
    rp.send_len = sizeof(rp.hello);
    assert_int_equal(serve_raw(lst, &rp, msg, sizeof(msg)), SIRNN_ERR_TIMEOUT);

    /* The listener still serves a good session afterwards. */
    server_arg sa = {lst, quick_config(2), NULL, SIRNN_ERR_STATE, ""};
    test_thread th;
    assert_int_equal(test_thread_start(&th, server_main, &sa), 0);
    sirnn_config c = quick_config(2);
    sirnn_party *k = NULL;
    assert_int_equal(sirnn_party_connect(&k, "127.0.0.1", sirnn_listener_port(lst), &c), SIRNN_OK);
    test_thread_join(&th);
    assert_int_equal(sa.st, SIRNN_OK);
    check_lanes_paired(sa.party, k);
    sirnn_party_free(sa.party);
    sirnn_party_free(k);
    sirnn_listener_close(lst);
}


/* ---- hostile and slow clients of a concurrent server --------------------- */

/* Connect a raw TCP client; -1 on failure. */
static int raw_connect(uint16_t port)
{
    int fd = -1;
    return sirnn_tcp_connect(&fd, "127.0.0.1", port, 5000) == SIRNN_OK ? fd : -1;
}

/* Read until the peer closes (or 60 s pass); 0 when it closed. */
static int wait_closed(int fd)
{
    struct timeval tv = {.tv_sec = 60, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    uint8_t buf[256];
    ssize_t r;
    while ((r = read(fd, buf, sizeof(buf))) > 0) {
    }
    return r == 0 ? 0 : 1;
}

/* A client that lies about its lanes: a valid hello announcing 2 lanes,
 * the server's answer read, then lane 0 closed at once (hold = 0) or held
 * open while lane 1 never comes (hold = 1; returns 0 once the server has
 * dropped it). */
typedef struct liar_arg {
    uint16_t port;
    int hold;
    int answered_fd; /* >= 0: one byte is written there once answered */
} liar_arg;

static int liar_main(void *a)
{
    liar_arg *l = a;
    int fd = raw_connect(l->port);
    if (fd < 0)
        return 1;
    uint8_t h[64], answer[64];
    good_client_hello(h, 2, sirnn_config_default().ot_pool_size);
    size_t got = 0;
    ssize_t r = 0;
    if (write(fd, h, sizeof(h)) != (ssize_t)sizeof(h)) {
        close(fd);
        return 2;
    }
    while (got < sizeof(answer) && (r = read(fd, answer + got, sizeof(answer) - got)) > 0)
        got += (size_t)r;
    if (got < sizeof(answer) || memcmp(answer, "SIRNNhs1", 8) != 0) {
        close(fd);
        return 3;
    }
    if (l->answered_fd >= 0 && write(l->answered_fd, "a", 1) != 1) {
        close(fd);
        return 4;
    }
    int rc = l->hold ? wait_closed(fd) : 0;
    close(fd);
    return rc;
}

/* A server thread that accepts `tries` times, keeping each status. */
typedef struct accept_loop {
    sirnn_listener *lst;
    sirnn_config cfg;
    int tries;
    sirnn_status st[4];
    char msg[4][256];
    sirnn_party *party[4];
} accept_loop;

static int accept_loop_main(void *a)
{
    accept_loop *s = a;
    for (int i = 0; i < s->tries; i++) {
        s->st[i] = sirnn_party_accept(&s->party[i], s->lst, &s->cfg);
        snprintf(s->msg[i], sizeof(s->msg[i]), "%s", sirnn_last_error());
    }
    return 0;
}

static void connect_good_client(uint16_t port, unsigned threads, sirnn_party **k)
{
    sirnn_config c = quick_config(threads);
    sirnn_status st = sirnn_party_connect(k, "127.0.0.1", port, &c);
    if (st != SIRNN_OK)
        print_message("good client: %s\n", sirnn_last_error());
    assert_int_equal(st, SIRNN_OK);
}

static void test_lying_lane_hello(void **state)
{
    (void)state;
    /* 1. The liar closes lane 0 right after the answer: its session fails at
     * once, and the next client (2 lanes) is served by the same thread. */
    sirnn_listener *lst;
    assert_int_equal(sirnn_listener_open(&lst, NULL, 0), SIRNN_OK);
    uint16_t port = sirnn_listener_port(lst);
    accept_loop srv = {.lst = lst, .cfg = quick_config(2), .tries = 2};
    test_thread th, lt;
    assert_int_equal(test_thread_start(&th, accept_loop_main, &srv), 0);
    liar_arg la = {port, 0, -1};
    assert_int_equal(test_thread_start(&lt, liar_main, &la), 0);
    assert_int_equal(test_thread_join(&lt), 0);
    sirnn_party *k = NULL;
    connect_good_client(port, 2, &k);
    assert_int_equal(test_thread_join(&th), 0);
    assert_int_equal(srv.st[0], SIRNN_ERR_PEER_CLOSED);
    assert_non_null(strstr(srv.msg[0], "closed lane 0"));
    assert_int_equal(srv.st[1], SIRNN_OK);
    check_lanes_paired(srv.party[1], k);
    sirnn_party_free(srv.party[1]);
    sirnn_party_free(k);

    /* 2. The liar holds lane 0 open and never opens lane 1: its session is
     * dropped at the handshake deadline (1.5 s), while a good client that
     * comes meanwhile is served by another session thread (its own deadline
     * generous: base OTs are slow under valgrind). */
    accept_loop s1 = {.lst = lst, .cfg = quick_config(2), .tries = 1};
    accept_loop s2 = s1;
    s1.cfg.handshake_timeout_ms = 1500;
    test_thread t1, t2;
    int answered[2];
    assert_int_equal(pipe(answered), 0);
    assert_int_equal(test_thread_start(&t1, accept_loop_main, &s1), 0);
    la.hold = 1;
    la.answered_fd = answered[1];
    assert_int_equal(test_thread_start(&lt, liar_main, &la), 0);
    struct pollfd pa = {.fd = answered[0], .events = POLLIN};
    assert_int_equal(poll(&pa, 1, 60000), 1); /* s1 has taken the liar */
    assert_int_equal(test_thread_start(&t2, accept_loop_main, &s2), 0);
    connect_good_client(port, 2, &k);
    assert_int_equal(test_thread_join(&t1), 0);
    assert_int_equal(test_thread_join(&t2), 0);
    assert_int_equal(test_thread_join(&lt), 0); /* the server dropped the liar */
    close(answered[0]);
    close(answered[1]);
    accept_loop *good = &s2, *bad = &s1;
    assert_int_equal(good->st[0], SIRNN_OK);
    assert_int_equal(bad->st[0], SIRNN_ERR_TIMEOUT);
    assert_non_null(strstr(bad->msg[0], "lane 1"));
    check_lanes_paired(good->party[0], k);
    sirnn_party_free(good->party[0]);
    sirnn_party_free(k);
    sirnn_listener_close(lst);
}

/* A client that sends its hello one byte at a time, every step_ms; returns
 * 0 if the server closed the connection before the hello was complete. */
typedef struct drip_arg {
    uint16_t port;
    int step_ms;
    int fd;
} drip_arg;

static int drip_main(void *a)
{
    drip_arg *d = a;
    uint8_t h[64];
    good_client_hello(h, 1, sirnn_config_default().ot_pool_size);
    for (size_t i = 0; i < sizeof(h); i++) {
        if (send(d->fd, h + i, 1, MSG_NOSIGNAL) != 1)
            return 0; /* reset by the server */
        struct pollfd pfd = {.fd = d->fd, .events = POLLIN};
        if (poll(&pfd, 1, d->step_ms) > 0) {
            uint8_t b;
            if (read(d->fd, &b, 1) <= 0)
                return 0; /* closed by the server */
            return 2;     /* the server answered an incomplete hello */
        }
    }
    return 1; /* the whole hello went through: never dropped */
}

static void test_idle_and_drip_clients(void **state)
{
    (void)state;
    /* One session thread only: an idle connection and a slow one are open
     * before a real client comes, and neither takes the thread. */
    sirnn_listener *lst;
    assert_int_equal(sirnn_listener_open(&lst, NULL, 0), SIRNN_OK);
    uint16_t port = sirnn_listener_port(lst);
    accept_loop srv = {.lst = lst, .cfg = quick_config(2), .tries = 1};
    test_thread th, dt;
    assert_int_equal(test_thread_start(&th, accept_loop_main, &srv), 0);
    int idle = raw_connect(port);
    assert_true(idle >= 0);
    drip_arg da = {port, 200, raw_connect(port)};
    assert_true(da.fd >= 0);
    assert_int_equal(test_thread_start(&dt, drip_main, &da), 0);
    sirnn_party *k = NULL;
    connect_good_client(port, 2, &k);
    assert_int_equal(test_thread_join(&th), 0);
    assert_int_equal(srv.st[0], SIRNN_OK);
    /* The real session works while both are still open. */
    check_lanes_paired(srv.party[0], k);
    sirnn_party_free(srv.party[0]);
    sirnn_party_free(k);
    /* Let the other two go; the thread reports each as a failed contact. */
    accept_loop rest = {.lst = lst, .cfg = quick_config(2), .tries = 2};
    assert_int_equal(test_thread_start(&th, accept_loop_main, &rest), 0);
    close(idle);
    shutdown(da.fd, SHUT_RDWR);
    test_thread_join(&dt);
    close(da.fd);
    assert_int_equal(test_thread_join(&th), 0);
    /* (closed by us, or, on a slow run such as valgrind's, past their
     * first-message deadline first) */
    for (int i = 0; i < 2; i++) {
        assert_true(rest.st[i] != SIRNN_OK);
        assert_null(rest.party[i]);
    }
    sirnn_listener_close(lst);

    /* A slow drip is dropped at the handshake deadline: 64 bytes at one per
     * 100 ms would take 6.4 s, the deadline is 0.5 s. */
    assert_int_equal(sirnn_listener_open(&lst, NULL, 0), SIRNN_OK);
    port = sirnn_listener_port(lst);
    accept_loop s2 = {.lst = lst, .cfg = quick_config(1), .tries = 1};
    s2.cfg.handshake_timeout_ms = 500;
    assert_int_equal(test_thread_start(&th, accept_loop_main, &s2), 0);
    da = (drip_arg){port, 100, raw_connect(port)};
    assert_true(da.fd >= 0);
    assert_int_equal(test_thread_start(&dt, drip_main, &da), 0);
    assert_int_equal(test_thread_join(&dt), 0);
    close(da.fd);
    assert_int_equal(test_thread_join(&th), 0);
    assert_int_equal(s2.st[0], SIRNN_ERR_TIMEOUT);
    assert_non_null(strstr(s2.msg[0], "of its first message"));
    sirnn_listener_close(lst);
}

typedef struct trickle_arg {
    sirnn_party *party;
    int sent;
} trickle_arg;

static int trickle_main(void *a)
{
    trickle_arg *t = a;
    for (; t->sent < 64; t->sent++) {
        uint8_t b = (uint8_t)t->sent;
        if (sirnn_channel_send(&t->party->lanes[0].ch, &b, 1) != SIRNN_OK ||
            sirnn_channel_flush(&t->party->lanes[0].ch) != SIRNN_OK)
            return 1;
        usleep(50000);
    }
    return 0;
}

/* The server's limits reach the client in the handshake; a whole-exchange
 * deadline ends a wait that the per-wait timeout would let go on. */
static void test_limits_and_deadline(void **state)
{
    (void)state;
    sirnn_config sc = quick_config(1), cc = quick_config(1);
    sc.session_mem_bytes = (size_t)3 << 20;
    sc.max_batch = 77;
    sirnn_listener *lst;
    assert_int_equal(sirnn_listener_open(&lst, NULL, 0), SIRNN_OK);
    server_arg sa = {lst, sc, NULL, SIRNN_ERR_STATE, ""};
    test_thread th;
    assert_int_equal(test_thread_start(&th, server_main, &sa), 0);
    sirnn_party *k = NULL;
    assert_int_equal(sirnn_party_connect(&k, "127.0.0.1", sirnn_listener_port(lst), &cc),
                     SIRNN_OK);
    test_thread_join(&th);
    assert_int_equal(sa.st, SIRNN_OK);
    uint64_t mem = 0, batch = 0;
    assert_int_equal(sirnn_party_peer_limits(k, &mem, &batch), SIRNN_OK);
    assert_int_equal(mem, (uint64_t)3 << 20);
    assert_int_equal(batch, 77);
    assert_int_equal(sirnn_party_peer_limits(sa.party, &mem, NULL), SIRNN_OK);
    assert_int_equal(mem, cc.session_mem_bytes);
    /* The server trickles 64 bytes, one every 50 ms: each wait is short,
     * but the 300 ms deadline ends the receive. */
    assert_int_equal(sirnn_party_set_deadline(k, 300), SIRNN_OK);
    trickle_arg ta = {sa.party, 0};
    assert_int_equal(test_thread_start(&th, trickle_main, &ta), 0);
    uint8_t buf[64];
    assert_int_equal(sirnn_channel_recv(&k->lanes[0].ch, buf, sizeof(buf)), SIRNN_ERR_TIMEOUT);
    test_thread_join(&th);
    sirnn_party_free(sa.party);
    sirnn_party_free(k);
    sirnn_listener_close(lst);
}

/* ---- a peer that floods while the server is blocked sending ------------- */

/* The most a flooder writes before giving up (the server should have
 * dropped it long before), and its time limit (valgrind included). */
#define FLOOD_LIMIT ((uint64_t)256 << 20)
#define FLOOD_TIME_MS 60000

/* A client that, once its session is up, writes junk on lane 0 as fast as
 * the server takes it and never reads (through its TLS connection when the
 * lane has one). Returns 0 once the server has closed the connection, 1 if
 * the server took FLOOD_LIMIT bytes, 2 on running out of time, 3 if out of
 * memory. */
typedef struct flood_arg {
    sirnn_channel *ch;
    uint64_t sent;
} flood_arg;

static int flood_main(void *a)
{
    flood_arg *f = a;
    const size_t chunk = 64 << 10;
    uint8_t *junk = malloc(chunk);
    if (junk == NULL)
        return 3;
    memset(junk, 0xa5, chunk);
    const int64_t end = sirnn_monotonic_ms() + FLOOD_TIME_MS;
    int rc = 1;
    while (f->sent < FLOOD_LIMIT) {
        short events = POLLOUT;
        ssize_t w = f->ch->tls != NULL ? sirnn_tls_write(f->ch->tls, junk, chunk, &events)
                                       : send(f->ch->fd, junk, chunk, MSG_NOSIGNAL);
        if (w > 0) {
            f->sent += (uint64_t)w;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (sirnn_monotonic_ms() > end) {
                rc = 2;
                break;
            }
            struct pollfd pfd = {.fd = f->ch->fd, .events = events};
            poll(&pfd, 1, 100);
            continue;
        }
        rc = 0; /* reset or closed by the server */
        break;
    }
    free(junk);
    return rc;
}

/* A server session that reveals n shares to both sides (both parties send
 * n 64-bit words in windows, then read the peer's): with a client that
 * never reads, it blocks sending once the socket buffers are full (made
 * small here, so that this does not depend on the machine's settings), and
 * drains what the client sends. */
typedef struct flood_server {
    sirnn_listener *lst;
    sirnn_config cfg;
    size_t n;
    sirnn_status accept_st, st;
    uint64_t rbuf_peak;
    char msg[256];
} flood_server;

static int flood_server_main(void *a)
{
    flood_server *s = a;
    sirnn_party *p = NULL;
    s->accept_st = sirnn_party_accept(&p, s->lst, &s->cfg);
    if (s->accept_st != SIRNN_OK)
        return 1;
    int small = 64 << 10;
    setsockopt(p->lanes[0].ch.fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    uint64_t *shares = calloc(s->n, sizeof(uint64_t));
    if (shares == NULL) {
        sirnn_party_free(p);
        return 2;
    }
    s->st = sirnn_reveal(p, s->n, shares, shares, 64, SIRNN_BOTH);
    s->rbuf_peak = p->lanes[0].ch.stats.rbuf_peak;
    snprintf(s->msg, sizeof(s->msg), "%s", sirnn_party_last_error(p));
    free(shares);
    sirnn_party_free(p); /* closes the flooder's connection */
    return 0;
}

/* One flooded session: the server fails it with SIRNN_ERR_PEER_MISMATCH and
 * a message once its read buffer reaches the session's cap, which is also
 * the buffer's peak; the flooder sees its connection closed. */
static void flood_one(sirnn_listener *lst, const sirnn_config *sc, const sirnn_config *cc,
                      size_t cap)
{
    flood_server fs = {.lst = lst, .cfg = *sc, .n = (size_t)1 << 19, /* 4 MiB */
                       .accept_st = SIRNN_ERR_STATE, .st = SIRNN_OK};
    test_thread th, ft;
    assert_int_equal(test_thread_start(&th, flood_server_main, &fs), 0);
    sirnn_party *k = NULL;
    assert_int_equal(sirnn_party_connect(&k, "127.0.0.1", sirnn_listener_port(lst), cc),
                     SIRNN_OK);
    int small = 64 << 10;
    setsockopt(k->lanes[0].ch.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    flood_arg fa = {&k->lanes[0].ch, 0};
    assert_int_equal(test_thread_start(&ft, flood_main, &fa), 0);
    assert_int_equal(test_thread_join(&th), 0);
    const int flood_rc = test_thread_join(&ft);
    print_message("  flood%s: %llu bytes sent; server: %s; read buffer peak %llu of cap %zu\n",
                  k->lanes[0].ch.tls != NULL ? " over TLS" : "",
                  (unsigned long long)fa.sent, fs.msg, (unsigned long long)fs.rbuf_peak, cap);
    sirnn_party_free(k);
    assert_int_equal(fs.accept_st, SIRNN_OK);
    assert_int_equal(fs.st, SIRNN_ERR_PEER_MISMATCH);
    assert_non_null(strstr(fs.msg, "memory cap (session_mem_bytes)"));
    assert_int_equal(fs.rbuf_peak, cap);
    assert_int_equal(flood_rc, 0);
}

static void test_flood_while_sending(void **state)
{
    (void)state;
    /* One lane: its cap is the session's 12 MiB; under valgrind a 1 MiB
     * session, whose lane still gets the 8 MiB floor. */
    sirnn_config sc = quick_config(1), cc = quick_config(1);
    sc.session_mem_bytes = test_quick() ? (size_t)1 << 20 : (size_t)12 << 20;
    const size_t cap = test_quick() ? (size_t)8 << 20 : sc.session_mem_bytes;
    sirnn_listener *lst;
    assert_int_equal(sirnn_listener_open(&lst, NULL, 0), SIRNN_OK);

    /* A well-behaved client's session is open throughout. */
    server_arg good = {lst, sc, NULL, SIRNN_ERR_STATE, ""};
    test_thread th;
    assert_int_equal(test_thread_start(&th, server_main, &good), 0);
    sirnn_party *k = NULL;
    connect_good_client(sirnn_listener_port(lst), 1, &k);
    assert_int_equal(test_thread_join(&th), 0);
    assert_int_equal(good.st, SIRNN_OK);

    flood_one(lst, &sc, &cc, cap);

    /* The good session is still served, and so is a new client (not
     * under valgrind, where each session's base OTs take long). */
    check_lanes_paired(good.party, k);
    sirnn_party_free(good.party);
    sirnn_party_free(k);
    if (!test_quick()) {
        good = (server_arg){lst, sc, NULL, SIRNN_ERR_STATE, ""};
        assert_int_equal(test_thread_start(&th, server_main, &good), 0);
        connect_good_client(sirnn_listener_port(lst), 1, &k);
        assert_int_equal(test_thread_join(&th), 0);
        assert_int_equal(good.st, SIRNN_OK);
        check_lanes_paired(good.party, k);
        sirnn_party_free(good.party);
        sirnn_party_free(k);
    }
    sirnn_listener_close(lst);

    /* The same through TLS: the drained bytes are decrypted records (not
     * under valgrind: make test and make asan run it). */
    if (test_quick())
        return;
    test_tls_files f;
    assert_int_equal(test_tls_files_make(&f), 0);
    sc.tls_cert = f.server_cert;
    sc.tls_key = f.server_key;
    cc.tls_ca = f.ca;
    assert_int_equal(sirnn_listener_open(&lst, NULL, 0), SIRNN_OK);
    flood_one(lst, &sc, &cc, cap);
    sirnn_listener_close(lst);
    test_tls_files_remove(&f);
}

/* ---- TLS ----------------------------------------------------------------- */

/* One session over TLS (or not) with the given configs; ANY accepts any
 * error. Messages must contain smsg / cmsg when given. Returns the
 * server's bytes sent when the session came up, else 0. */
#define ANY_ERROR 1

static int status_matches(sirnn_status got, sirnn_status want)
{
    return want == ANY_ERROR ? got != SIRNN_OK : got == want;
}

static uint64_t tls_case(const sirnn_config *sc, const sirnn_config *cc, const char *host,
                         sirnn_status want_s, sirnn_status want_c, const char *smsg,
                         const char *cmsg)
{
    sirnn_listener *lst;
    assert_int_equal(sirnn_listener_open(&lst, NULL, 0), SIRNN_OK);
    server_arg sa = {lst, *sc, NULL, SIRNN_ERR_STATE, ""};
    test_thread th;
    assert_int_equal(test_thread_start(&th, server_main, &sa), 0);
    sirnn_party *k = NULL;
    sirnn_status st = sirnn_party_connect(&k, host, sirnn_listener_port(lst), cc);
    char cm[256];
    snprintf(cm, sizeof(cm), "%s", sirnn_last_error());
    test_thread_join(&th);
    print_message("  server: %s | client: %s\n", sa.st == SIRNN_OK ? "ok" : sa.msg,
                  st == SIRNN_OK ? "ok" : cm);
    assert_true(status_matches(sa.st, want_s));
    assert_true(status_matches(st, want_c));
    if (smsg != NULL)
        assert_non_null(strstr(sa.msg, smsg));
    if (cmsg != NULL)
        assert_non_null(strstr(cm, cmsg));
    uint64_t sent = 0;
    if (st == SIRNN_OK && sa.st == SIRNN_OK) {
        check_lanes_paired(sa.party, k);
        sirnn_stats ss, ks;
        sirnn_party_stats(sa.party, &ss);
        sirnn_party_stats(k, &ks);
        assert_true(ss.bytes_sent == ks.bytes_received && ks.bytes_sent == ss.bytes_received);
        sent = ss.bytes_sent;
    }
    sirnn_party_free(sa.party);
    sirnn_party_free(k);
    sirnn_listener_close(lst);
    return sent;
}

static void test_tls(void **state)
{
    (void)state;
    test_tls_files f;
    assert_int_equal(test_tls_files_make(&f), 0);
    /* Two lanes (each runs its own TLS); one under valgrind, where every
     * session's base OTs take long. */
    const sirnn_config plain = quick_config(test_quick() ? 1 : 2);
    sirnn_config sc = plain, cc = plain;

    /* Plain, as a reference for the byte counters. */
    const uint64_t plain_bytes = tls_case(&sc, &cc, "127.0.0.1", SIRNN_OK, SIRNN_OK, NULL, NULL);
    assert_true(plain_bytes > 0);

    /* Server certificate, verified by name and by address; the counters
     * count application bytes, as without TLS. */
    sc.tls_cert = f.server_cert;
    sc.tls_key = f.server_key;
    cc.tls_ca = f.ca;
    assert_int_equal(tls_case(&sc, &cc, "127.0.0.1", SIRNN_OK, SIRNN_OK, NULL, NULL),
                     plain_bytes);
    assert_int_equal(tls_case(&sc, &cc, "localhost", SIRNN_OK, SIRNN_OK, NULL, NULL),
                     plain_bytes);

    /* The wrong certificate: signed by another CA. */
    sirnn_config wrong = sc;
    wrong.tls_cert = f.other_cert;
    wrong.tls_key = f.other_key;
    tls_case(&wrong, &cc, "127.0.0.1", SIRNN_ERR_CRYPTO, SIRNN_ERR_CRYPTO, "TLS handshake",
             "does not verify");

    /* Mutual authentication: the server asks for a client certificate. */
    sirnn_config mutual = sc;
    mutual.tls_ca = f.ca;
    sirnn_config with_cert = cc;
    with_cert.tls_cert = f.client_cert;
    with_cert.tls_key = f.client_key;
    assert_int_equal(tls_case(&mutual, &with_cert, "127.0.0.1", SIRNN_OK, SIRNN_OK, NULL, NULL),
                     plain_bytes);
    tls_case(&mutual, &cc, "127.0.0.1", SIRNN_ERR_CRYPTO, ANY_ERROR, "certificate", NULL);
    /* A client certificate from another CA. */
    with_cert.tls_cert = f.other_cert;
    with_cert.tls_key = f.other_key;
    tls_case(&mutual, &with_cert, "127.0.0.1", SIRNN_ERR_CRYPTO, ANY_ERROR, "TLS", NULL);

    /* Pre-shared keys: the same, and a different one. */
    sirnn_config ps = plain, pc = plain;
    ps.tls_psk_file = pc.tls_psk_file = f.psk;
    assert_int_equal(tls_case(&ps, &pc, "127.0.0.1", SIRNN_OK, SIRNN_OK, NULL, NULL),
                     plain_bytes);
    pc.tls_psk_file = f.other_psk;
    tls_case(&ps, &pc, "127.0.0.1", SIRNN_ERR_CRYPTO, SIRNN_ERR_CRYPTO, "pre-shared key",
             "TLS handshake");
    /* A PSK-only client never settles for an unauthenticated certificate. */
    pc.tls_psk_file = f.psk;
    tls_case(&sc, &pc, "127.0.0.1", ANY_ERROR, SIRNN_ERR_CRYPTO, NULL, "pre-shared key");

    /* Plain client, TLS server; TLS client, plain server. */
    tls_case(&sc, &plain, "127.0.0.1", SIRNN_ERR_PEER_MISMATCH, SIRNN_ERR_PEER_MISMATCH,
             "plain TCP", "requires TLS");
    tls_case(&plain, &cc, "127.0.0.1", SIRNN_ERR_PEER_MISMATCH, SIRNN_ERR_CRYPTO, "speaks TLS",
             "does not speak TLS");

    /* Unusable settings are refused before anything is sent. */
    sirnn_party *k = NULL;
    sirnn_config bad = plain;
    bad.tls_cert = f.server_cert; /* no key */
    assert_int_equal(sirnn_party_connect(&k, "127.0.0.1", 1, &bad), SIRNN_ERR_ARG);
    assert_non_null(strstr(sirnn_last_error(), "tls_key"));
    bad = plain;
    bad.tls_cert = f.server_cert;
    bad.tls_key = f.client_key; /* not its key */
    sirnn_listener *lst;
    assert_int_equal(sirnn_listener_open(&lst, NULL, 0), SIRNN_OK);
    assert_int_equal(sirnn_listener_start(lst, &bad), SIRNN_ERR_ARG);
    assert_non_null(strstr(sirnn_last_error(), f.client_key));
    sirnn_listener_close(lst);
    bad = plain;
    bad.tls_psk_file = f.server_cert; /* not hex */
    assert_int_equal(sirnn_party_connect(&k, "127.0.0.1", 1, &bad), SIRNN_ERR_ARG);
    assert_non_null(strstr(sirnn_last_error(), "hex"));
    bad = plain;
    bad.tls_ca = "/nonexistent/ca.pem";
    assert_int_equal(sirnn_party_connect(&k, "127.0.0.1", 1, &bad), SIRNN_ERR_ARG);
    assert_non_null(strstr(sirnn_last_error(), "/nonexistent/ca.pem"));
    assert_null(k);
    test_tls_files_remove(&f);
}

/* Plain TCP off loopback must be asked for. A listener bound to 0.0.0.0
 * or to this machine's own address does not start without TLS files or
 * allow_plain_remote (nor does an accept, or sirnn_party_listen, on it),
 * and a client refuses such an address before connecting: a socket
 * listening there sees no connection. */
static void test_plain_remote(void **state)
{
    (void)state;
    sirnn_config plain = quick_config(1);
    plain.connect_timeout_ms = 2000;
    sirnn_config allowed = plain, tls = plain;
    allowed.allow_plain_remote = 1;
    test_tls_files f;
    assert_int_equal(test_tls_files_make(&f), 0);
    tls.tls_cert = f.server_cert;
    tls.tls_key = f.server_key;
    char own[64];
    const bool have_own = test_own_address(own, sizeof(own));
    if (!have_own)
        print_message("  skipped: this machine has no address other than loopback; only "
                      "0.0.0.0 is tried\n");
    const char *binds[2] = {"0.0.0.0", have_own ? own : NULL};
    for (size_t i = 0; i < 2 && binds[i] != NULL; i++) {
        sirnn_listener *lst;
        sirnn_party *p = NULL;
        assert_int_equal(sirnn_listener_open(&lst, binds[i], 0), SIRNN_OK);
        assert_int_equal(sirnn_listener_start(lst, &plain), SIRNN_ERR_ARG);
        print_message("  %s: %s\n", binds[i], sirnn_last_error());
        assert_non_null(strstr(sirnn_last_error(), "plain TCP on an address other than loopback"));
        assert_non_null(strstr(sirnn_last_error(), "allow_plain_remote"));
        assert_int_equal(sirnn_party_accept(&p, lst, &plain), SIRNN_ERR_ARG);
        assert_non_null(strstr(sirnn_last_error(), "other than loopback"));
        assert_null(p);
        sirnn_listener_close(lst);
        assert_int_equal(sirnn_party_listen(&p, binds[i], 0, &plain), SIRNN_ERR_ARG);
        assert_non_null(strstr(sirnn_last_error(), "other than loopback"));
        assert_null(p);
        /* Asked for, or with TLS: the listener starts. */
        assert_int_equal(sirnn_listener_open(&lst, binds[i], 0), SIRNN_OK);
        assert_int_equal(sirnn_listener_start(lst, &allowed), SIRNN_OK);
        sirnn_listener_close(lst);
        assert_int_equal(sirnn_listener_open(&lst, binds[i], 0), SIRNN_OK);
        assert_int_equal(sirnn_listener_start(lst, &tls), SIRNN_OK);
        sirnn_listener_close(lst);
    }
    /* Loopback needs neither. */
    sirnn_listener *lst;
    assert_int_equal(sirnn_listener_open(&lst, "127.0.0.1", 0), SIRNN_OK);
    assert_int_equal(sirnn_listener_start(lst, &plain), SIRNN_OK);
    sirnn_listener_close(lst);
    if (have_own) {
        int lfd = -1;
        uint16_t port = 0;
        assert_int_equal(sirnn_tcp_listen(&lfd, own, 0), SIRNN_OK);
        assert_int_equal(sirnn_tcp_local_port(lfd, &port), SIRNN_OK);
        sirnn_party *k = NULL;
        assert_int_equal(sirnn_party_connect(&k, own, port, &plain), SIRNN_ERR_ARG);
        print_message("  client: %s\n", sirnn_last_error());
        assert_non_null(strstr(sirnn_last_error(), "which is not loopback"));
        assert_non_null(strstr(sirnn_last_error(), "allow_plain_remote"));
        assert_null(k);
        struct pollfd pfd = {.fd = lfd, .events = POLLIN};
        assert_int_equal(poll(&pfd, 1, 200), 0); /* no connection came */
        close(lfd);
    }
    test_tls_files_remove(&f);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    sirnn_party *s = NULL, *k = NULL;
    sirnn_config c = quick_config(0);
    assert_int_equal(sirnn_party_pair(&s, &k, &c), SIRNN_ERR_ARG);
    assert_non_null(strstr(sirnn_last_error(), "threads"));
    c = quick_config(SIRNN_MAX_THREADS + 1);
    assert_int_equal(sirnn_party_pair(&s, &k, &c), SIRNN_ERR_ARG);
    c = quick_config(1);
    c.ot_pool_size = 1;
    assert_int_equal(sirnn_party_pair(&s, &k, &c), SIRNN_ERR_ARG);
    /* test_mode: 0 or exactly SIRNN_TEST_MODE_ON; a stray non-zero value
     * (1, -1, a copied garbage int) is refused, never taken as "on". */
    const int bad_test_mode[] = {1, -1, 2, SIRNN_TEST_MODE_ON + 1, 0x7fffffff};
    for (size_t i = 0; i < sizeof(bad_test_mode) / sizeof(bad_test_mode[0]); i++) {
        c = quick_config(1);
        c.test_mode = bad_test_mode[i];
        assert_int_equal(sirnn_party_pair(&s, &k, &c), SIRNN_ERR_ARG);
        assert_null(s);
        assert_null(k);
        assert_non_null(strstr(sirnn_last_error(), "test_mode"));
        assert_int_equal(sirnn_party_connect(&k, "127.0.0.1", 1, &c), SIRNN_ERR_ARG);
        assert_non_null(strstr(sirnn_last_error(), "SIRNN_TEST_MODE_ON"));
    }
    /* SoftSpoken block sizes other than 1, 2, 4, 8; an unknown backend. */
    const unsigned bad_k[] = {0, 3, 16, 5, 7};
    for (size_t i = 0; i < sizeof(bad_k) / sizeof(bad_k[0]); i++) {
        c = quick_config(1);
        c.ot_backend = SIRNN_OT_SOFTSPOKEN;
        c.ot_k = bad_k[i];
        assert_int_equal(sirnn_party_pair(&s, &k, &c), SIRNN_ERR_ARG);
        assert_null(s);
        assert_null(k);
        assert_non_null(strstr(sirnn_last_error(), "ot_k"));
        assert_int_equal(sirnn_party_connect(&k, "127.0.0.1", 1, &c), SIRNN_ERR_ARG);
        assert_non_null(strstr(sirnn_last_error(), "ot_k"));
        sirnn_listener *l2;
        assert_int_equal(sirnn_listener_open(&l2, NULL, 0), SIRNN_OK);
        assert_int_equal(sirnn_party_accept(&s, l2, &c), SIRNN_ERR_ARG);
        assert_non_null(strstr(sirnn_last_error(), "ot_k"));
        sirnn_listener_close(l2);
    }
    c = quick_config(1);
    c.ot_backend = (sirnn_ot_backend)5;
    assert_int_equal(sirnn_party_pair(&s, &k, &c), SIRNN_ERR_ARG);
    assert_non_null(strstr(sirnn_last_error(), "backend"));
    assert_int_equal(sirnn_party_pair(NULL, &k, NULL), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_party_connect(&k, NULL, 1, NULL), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_party_connect(&k, "127.0.0.1", 0, NULL), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_party_stats(NULL, NULL), SIRNN_ERR_ARG);
    /* NULL is an error everywhere, never a default. */
    assert_int_equal(sirnn_party_role(NULL), SIRNN_ROLE_NONE);
    assert_int_equal(sirnn_party_threads(NULL), 0);
    assert_int_equal(sirnn_party_set_deadline(NULL, 10), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_party_peer_limits(NULL, NULL, NULL), SIRNN_ERR_ARG);
    assert_true(strlen(sirnn_party_last_error(NULL)) > 0);
    assert_int_equal(sirnn_party_accept(&s, NULL, NULL), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_party_accept(NULL, NULL, NULL), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_listener_open(NULL, NULL, 0), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_listener_port(NULL), 0);
    c = quick_config(1);
    c.session_mem_bytes = 1000;
    assert_int_equal(sirnn_party_pair(&s, &k, &c), SIRNN_ERR_ARG);
    assert_non_null(strstr(sirnn_last_error(), "session_mem_bytes"));
    c = quick_config(1);
    c.max_batch = 0;
    assert_int_equal(sirnn_party_pair(&s, &k, &c), SIRNN_ERR_ARG);
    assert_non_null(strstr(sirnn_last_error(), "max_batch"));
    sirnn_party_free(NULL);
    sirnn_listener_close(NULL);
    /* Nobody listening: connect fails within its timeout, with a message. */
    sirnn_listener *lst;
    assert_int_equal(sirnn_listener_open(&lst, NULL, 0), SIRNN_OK);
    uint16_t port = sirnn_listener_port(lst);
    sirnn_listener_close(lst);
    c = quick_config(1);
    c.connect_timeout_ms = 200;
    sirnn_status st = sirnn_party_connect(&k, "127.0.0.1", port, &c);
    assert_true(st == SIRNN_ERR_TIMEOUT || st == SIRNN_ERR_IO);
    assert_null(k);
    assert_true(strlen(sirnn_last_error()) > 0);
}

/* The batch driver covers [0, n) exactly once, in contiguous ranges, for any
 * lane count and n. */
typedef struct cover_ctx {
    uint8_t *hits;
} cover_ctx;

static sirnn_status cover_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                               void *ctx)
{
    (void)party, (void)lane;
    cover_ctx *c = ctx;
    for (size_t i = begin; i < end; i++)
        c->hits[i]++;
    return SIRNN_OK;
}

static sirnn_status fail_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                              void *ctx)
{
    (void)party, (void)begin, (void)end, (void)ctx;
    return lane->index == 1 ? SIRNN_ERR_PEER_CLOSED : SIRNN_OK;
}

static void test_batch_driver(void **state)
{
    (void)state;
    for (unsigned t = 1; t <= 4; t++) {
        sirnn_config c = quick_config(t);
        sirnn_party *s, *k;
        assert_int_equal(sirnn_party_pair(&s, &k, &c), SIRNN_OK);
        const size_t sizes[] = {0, 1, 3, 4, 5, 1001};
        for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
            size_t n = sizes[si];
            uint8_t hits[1001] = {0};
            cover_ctx cc = {hits};
            assert_int_equal(sirnn_batch_run(s, n, cover_lane, &cc), SIRNN_OK);
            for (size_t i = 0; i < n; i++)
                assert_int_equal(hits[i], 1);
        }
        if (t >= 2) {
            /* A lane failure breaks the party: later calls get STATE. */
            assert_int_equal(sirnn_batch_run(s, 10, fail_lane, NULL), SIRNN_ERR_PEER_CLOSED);
            uint8_t hits[4];
            cover_ctx cc = {hits};
            assert_int_equal(sirnn_batch_run(s, 4, cover_lane, &cc), SIRNN_ERR_STATE);
            assert_true(strlen(sirnn_party_last_error(s)) > 0);
        }
        sirnn_party_free(s);
        sirnn_party_free(k);
    }
}

int main(void)
{
    test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_strerror),
        cmocka_unit_test(test_pair_with_lanes),
        cmocka_unit_test(test_tcp_lanes),
        cmocka_unit_test(test_config_mismatches),
        cmocka_unit_test(test_backends_connect),
        cmocka_unit_test(test_raw_peer_mismatches),
        cmocka_unit_test(test_lying_lane_hello),
        cmocka_unit_test(test_idle_and_drip_clients),
        cmocka_unit_test(test_limits_and_deadline),
        cmocka_unit_test(test_flood_while_sending),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_plain_remote),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_batch_driver),
    };
    return cmocka_run_group_tests_name("party", tests, NULL, NULL);
}
