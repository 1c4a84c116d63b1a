/*
 * Call groups (include/sirnn/group.h): members give the values of the
 * same calls made alone (against the cleartext references), the group's
 * flights are the largest member's, the bytes are the members' plus the
 * documented framing, the same group run twice sends the same bytes,
 * several lanes run the members one after another, a member's argument
 * error leaves the others running, and bad arguments are refused before
 * anything is sent.
 */
#include "tests/harness.h"

#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "sirnn/fixed.h"
#include "sirnn/group.h"
#include "sirnn/ot.h"
#include "sirnn/party.h"
#include "net/party_internal.h"

enum { MAX_N = 300 };

/* One member's data: shares of x, y and the outputs of both parties. */
typedef struct member {
    int kind; /* 0: mult 16x16->32 signed, 1: msb l = 32, 2: mult_lean 16x32->32, 3: bad,
                 4: 0 in a profile scope */
    size_t n;
    uint64_t xv[MAX_N], yv[MAX_N];
    uint64_t x[2][MAX_N], y[2][MAX_N], out[2][MAX_N];
    uint8_t mx[2][MAX_N], bits[2][MAX_N];
} member;

typedef struct member_arg {
    member *m;
    int r;
} member_arg;

static sirnn_status member_call(sirnn_party *p, void *varg)
{
    member_arg *a = varg;
    member *m = a->m;
    const int r = a->r;
    switch (m->kind) {
    case 0:
        return sirnn_mult(p, m->n, m->out[r], m->x[r], m->y[r], 16, 16, 32, 1);
    case 1:
        return sirnn_msb(p, m->n, m->bits[r], m->x[r], 32);
    case 2:
        return sirnn_mult_lean(p, m->n, m->out[r], m->x[r], m->y[r], m->mx[r], 16, 32, 32, 1,
                               SIRNN_CLIENT);
    case 4: { /* kind 0 inside a profile scope */
        sirnn_status st;
        SIRNN_PROFILED(p, "mult", st,
                       sirnn_mult(p, m->n, m->out[r], m->x[r], m->y[r], 16, 16, 32, 1));
        return st;
    }
    case 5: /* an OT call of ot.h: refused inside a group (group.h) */
        return r == 0 ? sirnn_cot_send(p, m->n, m->out[0], m->x[0], 16)
                      : sirnn_cot_recv(p, m->n, m->out[1], m->mx[1], 16);
    default:
        return sirnn_mult(p, m->n, m->out[r], m->x[r], m->y[r], 16, 16, 99, 1); /* l > 64 */
    }
}

static void member_fill(member *m, test_rng *rng, int kind, size_t n)
{
    memset(m, 0, sizeof(*m));
    m->kind = kind;
    m->n = n;
    const unsigned wx = kind == 1 ? 32 : 16, wy = kind == 2 ? 32 : 16;
    for (size_t i = 0; i < n; i++) {
        m->xv[i] = test_rng_next(rng) & test_mask(wx);
        m->yv[i] = test_rng_next(rng) & test_mask(wy);
        m->x[0][i] = test_rng_next(rng) & test_mask(wx);
        m->x[1][i] = (m->xv[i] - m->x[0][i]) & test_mask(wx);
        m->y[0][i] = test_rng_next(rng) & test_mask(wy);
        m->y[1][i] = (m->yv[i] - m->y[0][i]) & test_mask(wy);
        m->mx[0][i] = (uint8_t)(test_rng_next(rng) & 1);
        m->mx[1][i] = (uint8_t)(m->mx[0][i] ^ ((m->xv[i] >> (wx - 1)) & 1));
    }
}

static void member_check(const member *m)
{
    for (size_t i = 0; i < m->n; i++) {
        if (m->kind == 1) {
            const uint8_t got = (uint8_t)(m->bits[0][i] ^ m->bits[1][i]);
            if (got != sirnn_ref_msb(m->xv[i], 32))
                fail_msg("msb i=%zu x=%llx: got %u", i, (unsigned long long)m->xv[i], got);
        } else {
            const uint64_t got = (m->out[0][i] + m->out[1][i]) & test_mask(32);
            const unsigned k = m->kind == 2 ? 32 : 16; /* kinds 0, 2, 4 */
            assert_int_equal(got, sirnn_ref_mult(m->xv[i], m->yv[i], 16, k, 32, 1));
        }
    }
}

/* ---- one party's side: members alone or as a group ---- */

typedef struct side {
    sirnn_party *p;
    int r;
    member **ms;
    size_t k;
    int grouped;
    sirnn_status want; /* the group's expected return */
    uint64_t flights[SIRNN_GROUP_MAX + 1], sent[SIRNN_GROUP_MAX + 1];
    sirnn_status status[SIRNN_GROUP_MAX];
} side;

/* A fixed exchange after every measured operation (server sends, client
 * receives, client sends, server receives), so that every operation starts
 * from the same state: the server's last act a receive, the client's a
 * send (its first send then joins that flight, alone or in a group). */
static sirnn_status sync_after(sirnn_party *p, int r)
{
    uint8_t b = 0;
    sirnn_channel *ch = &p->lanes[0].ch;
    sirnn_status st = r == 0 ? sirnn_channel_send(ch, &b, 1) : sirnn_channel_recv(ch, &b, 1);
    if (st == SIRNN_OK)
        st = r == 0 ? sirnn_channel_flush(ch) : SIRNN_OK;
    if (st == SIRNN_OK)
        st = r == 0 ? sirnn_channel_recv(ch, &b, 1) : sirnn_channel_send(ch, &b, 1);
    if (st == SIRNN_OK && r == 1)
        st = sirnn_channel_flush(ch);
    return st;
}

static int side_run(void *varg)
{
    side *s = varg;
    member_arg args[SIRNN_GROUP_MAX];
    sirnn_group_call calls[SIRNN_GROUP_MAX];
    for (size_t i = 0; i < s->k; i++) {
        args[i] = (member_arg){s->ms[i], s->r};
        calls[i] = (sirnn_group_call){member_call, &args[i], SIRNN_OK};
    }
    sirnn_stats a, b;
    if (sync_after(s->p, s->r) != SIRNN_OK)
        return 1;
    if (!s->grouped) {
        for (size_t i = 0; i < s->k; i++) {
            sirnn_party_stats(s->p, &a);
            s->status[i] = member_call(s->p, &args[i]);
            if (sync_after(s->p, s->r) != SIRNN_OK)
                return 1;
            sirnn_party_stats(s->p, &b);
            s->flights[i] = b.flights - a.flights;
            s->sent[i] = b.bytes_sent - a.bytes_sent;
            if (s->status[i] != SIRNN_OK && s->ms[i]->kind != 3)
                return 1;
        }
        return 0;
    }
    sirnn_party_stats(s->p, &a);
    const sirnn_status st = sirnn_group_run(s->p, s->k, calls);
    if (sync_after(s->p, s->r) != SIRNN_OK)
        return 1;
    sirnn_party_stats(s->p, &b);
    s->flights[s->k] = b.flights - a.flights;
    s->sent[s->k] = b.bytes_sent - a.bytes_sent;
    for (size_t i = 0; i < s->k; i++)
        s->status[i] = calls[i].status;
    return st != s->want;
}

static void run_sides(side *s0, side *s1)
{
    assert_int_equal(test_run2(side_run, s0, side_run, s1, NULL, NULL), 0);
}

/* Members alone, then grouped; returns the group's flights (both parties)
 * and the largest member's in *max_alone; checks values and bytes. */
static uint64_t alone_then_group(member **ms, size_t k, uint64_t *max_alone, uint64_t *bytes)
{
    side a0 = {.p = test_srv, .r = 0, .ms = ms, .k = k};
    side a1 = {.p = test_cli, .r = 1, .ms = ms, .k = k};
    run_sides(&a0, &a1);
    uint64_t mx = 0, member_bytes = 0;
    for (size_t i = 0; i < k; i++) {
        member_check(ms[i]);
        const uint64_t f = a0.flights[i] + a1.flights[i];
        mx = f > mx ? f : mx;
        member_bytes += a0.sent[i] + a1.sent[i];
        memset(ms[i]->out, 0, sizeof(ms[i]->out));
        memset(ms[i]->bits, 0, sizeof(ms[i]->bits));
    }
    side g0 = {.p = test_srv, .r = 0, .ms = ms, .k = k, .grouped = 1};
    side g1 = {.p = test_cli, .r = 1, .ms = ms, .k = k, .grouped = 1};
    run_sides(&g0, &g1);
    for (size_t i = 0; i < k; i++) {
        assert_int_equal(g0.status[i], SIRNN_OK);
        assert_int_equal(g1.status[i], SIRNN_OK);
        member_check(ms[i]);
    }
    *max_alone = mx;
    /* framing: each frame carries 4 bytes plus 12 per member in it; a
     * frame goes out only after a receive, except perhaps the first (the
     * closing exchange before the group leaves the client's flight open),
     * so there are at most flights + 1 of them. (Each measurement holds one
     * closing exchange of 2 bytes.) */
    const uint64_t gb = g0.sent[k] + g1.sent[k], gf = g0.flights[k] + g1.flights[k];
    const uint64_t framing = (gb - 2) - (member_bytes - 2 * k);
    /* (On SIRNN_OT_SILENT a member alone may run on silent COTs, which a
     * group's members never do: the bytes compare on the pinned backend.) */
    assert_pin_true(gb - 2 > member_bytes - 2 * k);
    assert_pin_true(framing >= 16 && framing <= (4 + 12 * k) * (gf + 1));
    *bytes = gb;
    return gf;
}

static void test_group_flights(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x6701);
    static member m[4];
    member *ms[4] = {&m[0], &m[1], &m[2], &m[3]};
    /* k = 3 unlike members, all started by party 1 */
    member_fill(&m[0], &rng, 0, 257);
    member_fill(&m[1], &rng, 1, 33);
    member_fill(&m[2], &rng, 2, 100);
    uint64_t mx, bytes;
    uint64_t gf = alone_then_group(ms, 3, &mx, &bytes);
    print_message("group of 3: %llu flights, members alone at most %llu\n",
                  (unsigned long long)gf, (unsigned long long)mx);
    assert_int_equal(gf, mx);
    /* k = 4 members of one kind: one member's flights */
    for (int i = 0; i < 4; i++)
        member_fill(&m[i], &rng, 0, 1 + test_rng_below(&rng, MAX_N));
    gf = alone_then_group(ms, 4, &mx, &bytes);
    assert_int_equal(gf, mx);
    /* k = 2 of different kinds, same again: the same bytes and flights */
    member_fill(&m[0], &rng, 1, 64);
    member_fill(&m[1], &rng, 0, 5);
    uint64_t bytes2, mx2;
    gf = alone_then_group(ms, 2, &mx, &bytes);
    assert_int_equal(gf, mx);
    const uint64_t gf2 = alone_then_group(ms, 2, &mx2, &bytes2);
    assert_int_equal(gf2, gf);
    assert_int_equal(bytes2, bytes);
}

static void test_group_one_and_lanes(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x6702);
    static member m[3];
    member *ms[3] = {&m[0], &m[1], &m[2]};
    /* k = 1: the call itself, no framing */
    member_fill(&m[0], &rng, 2, 77);
    side a0 = {.p = test_srv, .r = 0, .ms = ms, .k = 1};
    side a1 = {.p = test_cli, .r = 1, .ms = ms, .k = 1};
    run_sides(&a0, &a1);
    side g0 = {.p = test_srv, .r = 0, .ms = ms, .k = 1, .grouped = 1};
    side g1 = {.p = test_cli, .r = 1, .ms = ms, .k = 1, .grouped = 1};
    run_sides(&g0, &g1);
    member_check(&m[0]);
    /* Silent engines send their tiles in lumps wherever they run dry, so
     * equal bytes are the extension backends' relation only. */
    assert_pin_equal(g0.sent[1] + g1.sent[1], a0.sent[0] + a1.sent[0]);
    /* a profile records a member's scope only outside a group */
    member_fill(&m[0], &rng, 4, 20);
    member_fill(&m[1], &rng, 1, 20);
    assert_int_equal(sirnn_party_profile_start(test_srv), SIRNN_OK);
    side p0 = {.p = test_srv, .r = 0, .ms = ms, .k = 2, .grouped = 1};
    side p1 = {.p = test_cli, .r = 1, .ms = ms, .k = 2, .grouped = 1};
    run_sides(&p0, &p1);
    member_check(&m[0]);
    member_check(&m[1]);
    assert_int_equal(sirnn_party_profile_rows(test_srv, NULL, 0), 0);
    side q0 = {.p = test_srv, .r = 0, .ms = ms, .k = 1};
    side q1 = {.p = test_cli, .r = 1, .ms = ms, .k = 1};
    run_sides(&q0, &q1);
    assert_int_equal(sirnn_party_profile_rows(test_srv, NULL, 0), 1);
    /* two lanes: one after another, the values of the calls alone */
    test_pair_lanes(2);
    for (int i = 0; i < 3; i++)
        member_fill(&m[i], &rng, i, 50 + (size_t)i);
    side l0 = {.p = test_srv, .r = 0, .ms = ms, .k = 3, .grouped = 1};
    side l1 = {.p = test_cli, .r = 1, .ms = ms, .k = 3, .grouped = 1};
    run_sides(&l0, &l1);
    for (int i = 0; i < 3; i++)
        member_check(&m[i]);
    test_pair_lanes(1);
}

static void test_group_errors(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x6703);
    static member m[3];
    member *ms[3] = {&m[0], &m[1], &m[2]};
    /* a member's argument error on both sides: the others complete */
    member_fill(&m[0], &rng, 0, 40);
    member_fill(&m[1], &rng, 3, 4);
    member_fill(&m[2], &rng, 1, 40);
    side g0 = {.p = test_srv, .r = 0, .ms = ms, .k = 3, .grouped = 1, .want = SIRNN_ERR_ARG};
    side g1 = {.p = test_cli, .r = 1, .ms = ms, .k = 3, .grouped = 1, .want = SIRNN_ERR_ARG};
    run_sides(&g0, &g1);
    assert_int_equal(g0.status[0], SIRNN_OK);
    assert_int_equal(g0.status[1], SIRNN_ERR_ARG);
    assert_int_equal(g0.status[2], SIRNN_OK);
    member_check(&m[0]);
    member_check(&m[2]);
    /* an OT call of ot.h in a member: an argument error, the other completes */
    member_fill(&m[0], &rng, 5, 8);
    member_fill(&m[1], &rng, 0, 40);
    g0 = (side){.p = test_srv, .r = 0, .ms = ms, .k = 2, .grouped = 1, .want = SIRNN_ERR_ARG};
    g1 = (side){.p = test_cli, .r = 1, .ms = ms, .k = 2, .grouped = 1, .want = SIRNN_ERR_ARG};
    run_sides(&g0, &g1);
    assert_int_equal(g0.status[0], SIRNN_ERR_ARG);
    assert_int_equal(g1.status[0], SIRNN_ERR_ARG);
    assert_int_equal(g0.status[1], SIRNN_OK);
    member_check(&m[1]);
    /* bad arguments: refused, nothing sent, the party still usable */
    sirnn_stats s0, s1;
    sirnn_party_stats(test_srv, &s0);
    sirnn_group_call calls[2] = {{member_call, NULL, SIRNN_OK}, {NULL, NULL, SIRNN_OK}};
    assert_int_equal(sirnn_group_run(NULL, 1, calls), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_group_run(test_srv, 2, NULL), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_group_run(test_srv, 2, calls), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_group_run(test_srv, SIRNN_GROUP_MAX + 1, calls), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_group_run(test_srv, 0, NULL), SIRNN_OK);
    sirnn_party_stats(test_srv, &s1);
    assert_int_equal(s1.bytes_sent, s0.bytes_sent);
    uint64_t mx, bytes;
    member_fill(&m[0], &rng, 0, 9);
    member_fill(&m[1], &rng, 1, 9);
    const uint64_t gf = alone_then_group(ms, 2, &mx, &bytes);
    assert_int_equal(gf, mx);
}

int main(void)
{
    test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_flights),
        cmocka_unit_test(test_group_one_and_lanes),
        cmocka_unit_test(test_group_errors),
    };
    return cmocka_run_group_tests(tests, test_pair_group_setup, test_pair_group_teardown);
}
