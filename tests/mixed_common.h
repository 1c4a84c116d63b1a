/*
 * Helpers shared by the tests of the mixed-bitwidth protocols
 * (test_ext.c, test_trunc.c, test_lut.c, test_digdec.c): a two-party
 * runner that records bytes and flights, and the byte model
 * of the carry networks documented in sirnn/arith.h.
 */
#ifndef SIRNN_TESTS_MIXED_COMMON_H
#define SIRNN_TESTS_MIXED_COMMON_H

#include "tests/harness.h"

#include <stdlib.h>
#include <string.h>

#include "sirnn/arith.h"
#include "sirnn/fixed.h"
#include "sirnn/ot.h"

/* A call of one party: fills st; the runner records bytes and flights. */
typedef sirnn_status (*mc_call_fn)(void *ctx, sirnn_party *p, int r);

typedef struct mc_side {
    mc_call_fn fn;
    void *ctx;
    sirnn_party *p;
    int r;
    sirnn_status st;
    uint64_t sent, flights;
} mc_side;

static inline int mc_side_run(void *arg)
{
    mc_side *s = arg;
    sirnn_stats b, a;
    /* A reveal to both first: every lane's next send starts a new flight. */
    uint64_t z[8] = {0}, o[8];
    if (sirnn_reveal(s->p, 8, o, z, 8, SIRNN_BOTH) != SIRNN_OK)
        return 1;
    sirnn_party_stats(s->p, &b);
    const uint64_t silent0 = test_silent_sent(s->p);
    s->st = s->fn(s->ctx, s->p, s->r);
    sirnn_party_stats(s->p, &a);
    /* the call's own bytes: not what the silent engines sent (harness.h) */
    s->sent = a.bytes_sent - b.bytes_sent - (test_silent_sent(s->p) - silent0);
    s->flights = a.flights - b.flights;
    return s->st != SIRNN_OK;
}

/* Runs fn on both parties; returns total bytes sent; *flights gets the sum of
 * both parties' flights. */
static inline uint64_t mc_run(mc_call_fn fn, void *ctx, uint64_t *flights)
{
    mc_side s0 = {fn, ctx, test_srv, 0, SIRNN_OK, 0, 0}, s1 = {fn, ctx, test_cli, 1, SIRNN_OK, 0, 0};
    const int rc = test_run2(mc_side_run, &s0, mc_side_run, &s1, NULL, NULL);
    assert_int_equal(s0.st, SIRNN_OK);
    assert_int_equal(s1.st, SIRNN_OK);
    assert_int_equal(rc, 0);
    if (flights != NULL)
        *flights = s0.flights + s1.flights;
    return s0.sent + s1.sent;
}

/* Split clear values into two l-bit shares with the test RNG. */
static inline void mc_split(test_rng *rng, const uint64_t *x, uint64_t *x0, uint64_t *x1, size_t n,
                            unsigned l)
{
    for (size_t i = 0; i < n; i++) {
        x0[i] = test_rng_next(rng) & test_mask(l);
        x1[i] = (x[i] - x0[i]) & test_mask(l);
    }
}

static inline void mc_split_bits(test_rng *rng, const uint8_t *b, uint8_t *b0, uint8_t *b1,
                                 size_t n)
{
    for (size_t i = 0; i < n; i++) {
        b0[i] = (uint8_t)(test_rng_next(rng) & 1);
        b1[i] = (uint8_t)(b[i] ^ b0[i]);
    }
}

/* Random l-bit values with the edges of the signed and unsigned ranges mixed in. */
static inline void mc_values(test_rng *rng, uint64_t *x, size_t n, unsigned l)
{
    const uint64_t m = test_mask(l), half = (uint64_t)1 << (l - 1);
    const uint64_t edges[] = {0, 1, m, m - 1, half, half - 1, half + 1, 2 & m};
    for (size_t i = 0; i < n; i++) {
        const uint64_t r = test_rng_next(rng);
        x[i] = (r % 4 == 0) ? edges[(r >> 8) % 8] & m : test_rng_next(rng) & m;
    }
}

/* ---------- the byte model of a carry network (sirnn/arith.h) ---------- */

typedef struct mc_net {
    uint64_t kk_leaves, ik_leaves, singles, pairs, aux;
    uint64_t leaf_msg_bits[64]; /* per element, per KK13 / IKNP leaf */
    unsigned nleaf;
    unsigned b2a_w[16], nb2a;
    unsigned levels;            /* depth */
} mc_net;

static inline unsigned mc_log2c(unsigned q)
{
    unsigned L = 0;
    while ((1u << L) < q)
        L++;
    return L;
}

/* A segment of v bits; need_p: the root's propagate bit is needed; p_only:
 * only the propagate bit. Returns the segment's depth. */
static inline unsigned mc_segment(mc_net *m, unsigned v, int need_p, int p_only)
{
    const unsigned q = (v + 3) / 4, base = v / q, extra = v % q;
    const unsigned L = mc_log2c(q);
    for (unsigned j = 0; j < q; j++) {
        const unsigned w = base + (j < extra ? 1 : 0);
        const unsigned b = p_only ? 1 : (need_p || j > 0) ? 2 : 1;
        if (w == 1)
            m->ik_leaves++;
        else
            m->kk_leaves++;
        m->leaf_msg_bits[m->nleaf++] = (w == 1 ? 2u : 1u << w) * b;
    }
    if (p_only)
        m->singles += q - 1;
    else if (need_p)
        m->pairs += q - 1;
    else {
        m->singles += L;
        m->pairs += q - 1 - L;
    }
    return L;
}

/* Total bytes of both parties for n elements in one chunk of one lane. */
static inline uint64_t mc_net_bytes(const mc_net *m, uint64_t n)
{
    uint64_t b = 0;
    const uint64_t S = m->singles * n;
    const uint64_t K = (m->kk_leaves + m->pairs + m->aux) * n + test_cdiv(S, 2);
    b += 32 * test_round128(K) + 16 * test_round128(m->ik_leaves * n);
    for (unsigned i = 0; i < m->nleaf; i++)
        b += test_cdiv(n * m->leaf_msg_bits[i], 8);
    b += 2 * m->pairs * n + 4 * (S / 2) + (S % 2) + m->aux * test_cdiv(n, 2);
    b += 2 * (2 * m->singles + 3 * m->pairs) * test_cdiv(n, 8);
    uint64_t nb = 0;
    for (unsigned i = 0; i < m->nb2a; i++)
        if (m->b2a_w[i] >= 2) {
            nb++;
            b += test_cdiv(n * (m->b2a_w[i] - 1), 8);
        }
    b += 16 * test_round128(nb * n);
    return b;
}

static inline uint64_t mc_net_flights(const mc_net *m)
{
    unsigned nb = 0;
    for (unsigned i = 0; i < m->nb2a; i++)
        nb += m->b2a_w[i] >= 2;
    return 2 + m->levels + (nb > 0);
}

static inline void mc_b2a(mc_net *m, unsigned w)
{
    m->b2a_w[m->nb2a++] = w;
}

#endif /* SIRNN_TESTS_MIXED_COMMON_H */
