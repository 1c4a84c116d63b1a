/*
 * Party construction and the handshake: in-process pairs, loopback TCP with
 * several lanes, every handshake mismatch (through real parties where the
 * config can express it, through a hand-written raw peer otherwise), dead
 * and silent peers, bad arguments, and reuse of a listener after a failure.
 */
#include "tests/harness.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sirnn/sirnn.h"
#include "net/party_internal.h"
#include "net/tcp.h"

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
    for (unsigned t = 1; t <= 3; t++) {
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
        sirnn_config c = quick_config(2);
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
    uint8_t hello[48];
    size_t send_len; /* < 48: die mid-message */
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

static void good_client_hello(uint8_t h[48], uint32_t lanes, uint64_t pool)
{
    memset(h, 0, 48);
    memcpy(h, "SIRNNhs1", 8);
    put32(h + 8, SIRNN_PROTOCOL_VERSION);
    h[12] = 1; /* client */
    h[13] = 0;
    put32(h + 16, lanes);
    put16(h + 20, 1); /* SoftSpoken, the default */
    put16(h + 22, 4); /* ot_k */
    for (int i = 0; i < 8; i++)
        h[24 + i] = (uint8_t)(pool >> (8 * i));
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
    rp.send_len = 48;
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
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_batch_driver),
    };
    return cmocka_run_group_tests_name("party", tests, NULL, NULL);
}
