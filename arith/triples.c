/*
 * Beaver bit triples for AND trees (see arith/triples.h): generation over
 * KK13 OTs and the Beaver AND of one tree gate.
 */
#include "arith/triples.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/crhash.h"
#include "kernels/pack.h"
#include "kernels/random.h"
#include "arith/arith_internal.h"

/* Triple tau of the chunk: vector tau / k, bit tau % k. */
/* Silent triples: COTs per group (a multiple of 2 and 3). */
#define SCR_COTS 3072

static inline uint64_t tbit(const uint64_t *v, size_t W, size_t k, size_t tau)
{
    return sirnn_bv_get(v + (tau / k) * W, tau % k);
}

static inline void tset(uint64_t *v, size_t W, size_t k, size_t tau, uint64_t bit)
{
    sirnn_bv_or_bit(v + (tau / k) * W, tau % k, bit);
}

static inline void txor(uint64_t *v, size_t W, size_t k, size_t tau, uint64_t bit)
{
    const size_t e = tau % k;
    v[(tau / k) * W + e / 64] ^= (bit & 1) << (e % 64);
}

/* Set triple tau's bit (the vector's other bits stay). */
static inline void tput(uint64_t *v, size_t W, size_t k, size_t tau, uint64_t bit)
{
    const size_t e = tau % k;
    uint64_t *w = &v[(tau / k) * W + e / 64];
    *w = (*w & ~((uint64_t)1 << (e % 64))) | ((bit & 1) << (e % 64));
}

sirnn_status sirnn_triples_init(sirnn_triples *t, size_t nsingle, size_t npair, size_t W)
{
    memset(t, 0, sizeof(*t));
    t->W = W;
    t->nsingle = nsingle;
    t->npair = npair;
    const size_t sb = nsingle * W * sizeof(uint64_t), pb = npair * W * sizeof(uint64_t);
    t->ta = sirnn_arith_zalloc(sb);
    t->tb = sirnn_arith_zalloc(sb);
    t->tc = sirnn_arith_zalloc(sb);
    t->pa = sirnn_arith_zalloc(pb);
    t->pb1 = sirnn_arith_zalloc(pb);
    t->pc1 = sirnn_arith_zalloc(pb);
    t->pb2 = sirnn_arith_zalloc(pb);
    t->pc2 = sirnn_arith_zalloc(pb);
    t->pd = sirnn_arith_zalloc(pb);
    t->scr = sirnn_arith_zalloc(2 * SCR_COTS * sizeof(sirnn_block));
    if (t->ta == NULL || t->tb == NULL || t->tc == NULL || t->pa == NULL || t->pb1 == NULL ||
        t->pc1 == NULL || t->pb2 == NULL || t->pc2 == NULL || t->pd == NULL || t->scr == NULL) {
        sirnn_triples_free(t);
        return SIRNN_ERR_NOMEM;
    }
    return SIRNN_OK;
}

void sirnn_triples_free(sirnn_triples *t)
{
    const size_t sb = t->nsingle * t->W * sizeof(uint64_t), pb = t->npair * t->W * sizeof(uint64_t);
    sirnn_arith_zfree(t->ta, sb);
    sirnn_arith_zfree(t->tb, sb);
    sirnn_arith_zfree(t->tc, sb);
    sirnn_arith_zfree(t->pa, pb);
    sirnn_arith_zfree(t->pb1, pb);
    sirnn_arith_zfree(t->pc1, pb);
    sirnn_arith_zfree(t->pb2, pb);
    sirnn_arith_zfree(t->pc2, pb);
    sirnn_arith_zfree(t->pd, pb);
    sirnn_arith_zfree(t->scr, 2 * SCR_COTS * sizeof(sirnn_block));
    memset(t, 0, sizeof(*t));
}

size_t sirnn_triples_ots(const sirnn_triples *t, size_t k)
{
    if (t->silent)
        return 0;
    const size_t singles = t->nsingle * k;
    return t->npair * k + singles / 2 + singles % 2;
}

size_t sirnn_triples_msg_bytes(size_t nsingle, size_t npair, size_t k, int silent)
{
    if (silent)
        return sirnn_pack_size(npair * k, 1);
    const size_t singles = nsingle * k;
    return sirnn_pack_size(npair * k * 8, 2) + sirnn_pack_size(singles / 2 * 16, 2) +
           sirnn_pack_size(singles % 2 * 4, 1);
}

void sirnn_bv_random(sirnn_prg *prg, uint64_t *v, size_t count, size_t W)
{
    if (count > 0)
        sirnn_prg_bytes(prg, v, count * W * sizeof(uint64_t));
}

void sirnn_triples_draw(sirnn_triples *t, sirnn_prg *prg, int server)
{
    const size_t W = t->W;
    sirnn_bv_random(prg, t->ta, t->nsingle, W);
    sirnn_bv_random(prg, t->tb, t->nsingle, W);
    sirnn_bv_random(prg, t->pa, t->npair, W);
    sirnn_bv_random(prg, t->pb1, t->npair, W);
    sirnn_bv_random(prg, t->pb2, t->npair, W);
    if (server) {
        sirnn_bv_random(prg, t->tc, t->nsingle, W);
        sirnn_bv_random(prg, t->pc1, t->npair, W);
        sirnn_bv_random(prg, t->pc2, t->npair, W);
    }
}

uint8_t *sirnn_triples_send(const sirnn_triples *t, sirnn_akk_ws *kk,
                            const sirnn_kkot_sender *kks, uint64_t *msgs, uint8_t *out,
                            size_t first, size_t k)
{
    const size_t W = t->W;
    size_t ot = first;
    if (t->silent) {
        const size_t npairs = t->npair * k;
        for (size_t g0 = 0; g0 < npairs; g0 += SIRNN_AKK_GROUP) {
            const size_t g = npairs - g0 < SIRNN_AKK_GROUP ? npairs - g0 : SIRNN_AKK_GROUP;
            for (size_t i = 0; i < g; i++)
                msgs[i] = tbit(t->pd, W, k, g0 + i);
            sirnn_pack(out + g0 / 8, msgs, g, 1);
        }
        return out + sirnn_pack_size(npairs, 1);
    }
    /* Correlated pairs: 1-of-8, choice (a, b1, b2). */
    const size_t npairs = t->npair * k;
    for (size_t g0 = 0; g0 < npairs; g0 += SIRNN_AKK_GROUP) {
        const size_t g = npairs - g0 < SIRNN_AKK_GROUP ? npairs - g0 : SIRNN_AKK_GROUP;
        for (size_t i = 0; i < g; i++) {
            const size_t tau = g0 + i;
            const uint64_t a = tbit(t->pa, W, k, tau), b1 = tbit(t->pb1, W, k, tau),
                           b2 = tbit(t->pb2, W, k, tau), r1 = tbit(t->pc1, W, k, tau),
                           r2 = tbit(t->pc2, W, k, tau);
            for (uint64_t v = 0; v < 8; v++) {
                const uint64_t av = a ^ (v & 1);
                msgs[i * 8 + v] = (r1 ^ (av & (b1 ^ ((v >> 1) & 1)))) |
                                  (r2 ^ (av & (b2 ^ ((v >> 2) & 1)))) << 1;
            }
        }
        sirnn_akk_send_group(kk, kks, out + g0 * 8 * 2 / 8, msgs, ot + g0, g, 8, 2);
    }
    out += sirnn_pack_size(npairs * 8, 2);
    ot += npairs;
    /* Single triples, two per 1-of-16. */
    const size_t singles = t->nsingle * k, n16 = singles / 2;
    for (size_t g0 = 0; g0 < n16; g0 += SIRNN_AKK_GROUP) {
        const size_t g = n16 - g0 < SIRNN_AKK_GROUP ? n16 - g0 : SIRNN_AKK_GROUP;
        for (size_t i = 0; i < g; i++) {
            const size_t t0 = 2 * (g0 + i), t1 = t0 + 1;
            const uint64_t a0 = tbit(t->ta, W, k, t0), b0 = tbit(t->tb, W, k, t0),
                           r0 = tbit(t->tc, W, k, t0), a1 = tbit(t->ta, W, k, t1),
                           b1 = tbit(t->tb, W, k, t1), r1 = tbit(t->tc, W, k, t1);
            for (uint64_t v = 0; v < 16; v++)
                msgs[i * 16 + v] = (r0 ^ ((a0 ^ (v & 1)) & (b0 ^ ((v >> 1) & 1)))) |
                                   (r1 ^ ((a1 ^ ((v >> 2) & 1)) & (b1 ^ ((v >> 3) & 1)))) << 1;
        }
        sirnn_akk_send_group(kk, kks, out + g0 * 16 * 2 / 8, msgs, ot + g0, g, 16, 2);
    }
    out += sirnn_pack_size(n16 * 16, 2);
    ot += n16;
    /* The odd single over 1-of-4. */
    if (singles % 2) {
        const size_t t0 = singles - 1;
        const uint64_t a0 = tbit(t->ta, W, k, t0), b0 = tbit(t->tb, W, k, t0),
                       r0 = tbit(t->tc, W, k, t0);
        for (uint64_t v = 0; v < 4; v++)
            msgs[v] = r0 ^ ((a0 ^ (v & 1)) & (b0 ^ ((v >> 1) & 1)));
        sirnn_akk_send_group(kk, kks, out, msgs, ot, 1, 4, 1);
        out += sirnn_pack_size(4, 1);
    }
    return out;
}

uint8_t *sirnn_triples_choices(const sirnn_triples *t, uint8_t *c, size_t k)
{
    const size_t W = t->W;
    const size_t npairs = t->npair * k;
    if (t->silent)
        return c;
    for (size_t tau = 0; tau < npairs; tau++)
        *c++ = (uint8_t)(tbit(t->pa, W, k, tau) | tbit(t->pb1, W, k, tau) << 1 |
                         tbit(t->pb2, W, k, tau) << 2);
    const size_t singles = t->nsingle * k;
    for (size_t t0 = 0; t0 + 1 < singles; t0 += 2)
        *c++ = (uint8_t)(tbit(t->ta, W, k, t0) | tbit(t->tb, W, k, t0) << 1 |
                         tbit(t->ta, W, k, t0 + 1) << 2 | tbit(t->tb, W, k, t0 + 1) << 3);
    if (singles % 2)
        *c++ = (uint8_t)(tbit(t->ta, W, k, singles - 1) | tbit(t->tb, W, k, singles - 1) << 1);
    return c;
}

/* Clear the first k bits (whole words) of count vectors of stride W: t may
 * be a view of a chunk inside wider vectors, whose other bits stay. */
static void clear_vectors(uint64_t *v, size_t count, size_t W, size_t k)
{
    for (size_t j = 0; j < count; j++)
        memset(v + j * W, 0, sirnn_bv_words(k) * sizeof(uint64_t));
}

const uint8_t *sirnn_triples_recv(sirnn_triples *t, sirnn_akk_ws *kk, uint64_t *mc,
                                  const uint8_t *in, const uint8_t *choice, size_t first,
                                  size_t k)
{
    const size_t W = t->W;
    size_t ot = 0;
    if (t->silent) {
        /* c2 of party 1 gets r3 * d (b2 = r3). */
        const size_t npairs = t->npair * k;
        uint64_t d[SIRNN_AKK_GROUP];
        for (size_t g0 = 0; g0 < npairs; g0 += SIRNN_AKK_GROUP) {
            const size_t g = npairs - g0 < SIRNN_AKK_GROUP ? npairs - g0 : SIRNN_AKK_GROUP;
            sirnn_unpack(d, in + g0 / 8, g, 1);
            for (size_t i = 0; i < g; i++)
                txor(t->pc2, W, k, g0 + i, d[i] & tbit(t->pb2, W, k, g0 + i));
        }
        (void)kk; (void)mc; (void)choice; (void)first;
        return in + sirnn_pack_size(npairs, 1);
    }
    clear_vectors(t->tc, t->nsingle, W, k);
    clear_vectors(t->pc1, t->npair, W, k);
    clear_vectors(t->pc2, t->npair, W, k);
    const size_t npairs = t->npair * k;
    sirnn_akk_recv_out(kk, mc + ot, in, choice + ot, first + ot, npairs, 8, 2);
    in += sirnn_pack_size(npairs * 8, 2);
    for (size_t tau = 0; tau < npairs; tau++) {
        const uint64_t v = mc[ot + tau];
        tset(t->pc1, W, k, tau, v);
        tset(t->pc2, W, k, tau, v >> 1);
    }
    ot += npairs;
    const size_t singles = t->nsingle * k, n16 = singles / 2;
    sirnn_akk_recv_out(kk, mc + ot, in, choice + ot, first + ot, n16, 16, 2);
    in += sirnn_pack_size(n16 * 16, 2);
    for (size_t j = 0; j < n16; j++) {
        const uint64_t v = mc[ot + j];
        tset(t->tc, W, k, 2 * j, v);
        tset(t->tc, W, k, 2 * j + 1, v >> 1);
    }
    ot += n16;
    if (singles % 2) {
        sirnn_akk_recv_out(kk, mc + ot, in, choice + ot, first + ot, 1, 4, 1);
        in += sirnn_pack_size(4, 1);
        tset(t->tc, W, k, singles - 1, mc[ot]);
    }
    return in;
}

size_t sirnn_triples_open(const sirnn_triples *t, uint64_t *d, unsigned kind, size_t idx,
                          const uint64_t *p_hi, const uint64_t *g_lo, const uint64_t *p_lo)
{
    const size_t W = t->W;
    if (kind == SIRNN_TRIPLE_GP) {
        const uint64_t *a = t->pa + idx * W, *b1 = t->pb1 + idx * W, *b2 = t->pb2 + idx * W;
        for (size_t i = 0; i < W; i++) {
            d[i] = p_hi[i] ^ a[i];
            d[W + i] = g_lo[i] ^ b1[i];
            d[2 * W + i] = p_lo[i] ^ b2[i];
        }
        return 3;
    }
    const uint64_t *a = t->ta + idx * W, *b = t->tb + idx * W;
    const uint64_t *y = kind == SIRNN_TRIPLE_G ? g_lo : p_lo;
    for (size_t i = 0; i < W; i++) {
        d[i] = p_hi[i] ^ a[i];
        d[W + i] = y[i] ^ b[i];
    }
    return 2;
}

size_t sirnn_triples_finish(const sirnn_triples *t, const uint64_t *mine, const uint64_t *peer,
                            unsigned kind, size_t idx, uint64_t p0, const uint64_t *g_hi,
                            uint64_t *g_out, uint64_t *p_out)
{
    const size_t W = t->W;
    const uint64_t *m = mine, *o = peer;
    if (kind == SIRNN_TRIPLE_GP) {
        const uint64_t *a = t->pa + idx * W, *b1 = t->pb1 + idx * W, *c1 = t->pc1 + idx * W,
                       *b2 = t->pb2 + idx * W, *c2 = t->pc2 + idx * W;
        for (size_t i = 0; i < W; i++) {
            const uint64_t d = m[i] ^ o[i], e1 = m[W + i] ^ o[W + i],
                           e2 = m[2 * W + i] ^ o[2 * W + i];
            const uint64_t z1 = c1[i] ^ (d & b1[i]) ^ (e1 & a[i]) ^ (d & e1 & p0);
            const uint64_t z2 = c2[i] ^ (d & b2[i]) ^ (e2 & a[i]) ^ (d & e2 & p0);
            g_out[i] = g_hi[i] ^ z1;
            p_out[i] = z2;
        }
        return 3;
    }
    const uint64_t *a = t->ta + idx * W, *b = t->tb + idx * W, *c = t->tc + idx * W;
    if (kind == SIRNN_TRIPLE_G) {
        for (size_t i = 0; i < W; i++) {
            const uint64_t d = m[i] ^ o[i], e = m[W + i] ^ o[W + i];
            g_out[i] = g_hi[i] ^ c[i] ^ (d & b[i]) ^ (e & a[i]) ^ (d & e & p0);
        }
    } else {
        for (size_t i = 0; i < W; i++) {
            const uint64_t d = m[i] ^ o[i], e = m[W + i] ^ o[W + i];
            p_out[i] = c[i] ^ (d & b[i]) ^ (e & a[i]) ^ (d & e & p0);
        }
    }
    return 2;
}

sirnn_status sirnn_triples_ot_rows(sirnn_akk_ws *kk, sirnn_aiknp_ws *ik, sirnn_ot_lane *ol,
                                   sirnn_channel *ch, size_t nkk, size_t nik)
{
    sirnn_status st = SIRNN_OK;
    if (nkk > 0)
        st = sirnn_akk_send_rows(kk, &ol->kk_send, ch, nkk);
    if (st == SIRNN_OK && nik > 0)
        st = sirnn_aiknp_send_rows(ik, &ol->iknp_send, ch, nik);
    return st;
}

sirnn_status sirnn_triples_ot_columns(sirnn_akk_ws *kk, sirnn_aiknp_ws *ik, sirnn_ot_lane *ol,
                                      sirnn_channel *ch, const uint8_t *choice, size_t nkk,
                                      size_t nik)
{
    sirnn_status st = SIRNN_OK;
    if (nkk > 0)
        st = sirnn_akk_recv_u(kk, &ol->kk_recv, ch, choice, nkk);
    if (st == SIRNN_OK && nik > 0)
        st = sirnn_aiknp_recv_u(ik, &ol->iknp_recv, ch, choice + nkk, nik);
    return st;
}

static sirnn_status recv_vectors(sirnn_channel *ch, uint64_t *peer, size_t nv, size_t W,
                                 size_t k)
{
    sirnn_status st = SIRNN_OK;
    for (size_t v = 0; v < nv && st == SIRNN_OK; v++)
        st = sirnn_bv_recv(ch, peer + v * W, k);
    return st;
}

sirnn_status sirnn_triples_exchange(sirnn_channel *ch, uint64_t *peer, const uint64_t *mine,
                                    size_t nv, size_t W, size_t k, int first,
                                    const sirnn_flight_hooks *hk, unsigned flight)
{
    sirnn_status st;
    if (!first) {
        if ((st = recv_vectors(ch, peer, nv, W, k)) != SIRNN_OK)
            return st;
        if (hk != NULL && (st = hk->received(hk->ctx, flight)) != SIRNN_OK)
            return st;
    }
    for (size_t v = 0; v < nv; v++)
        if ((st = sirnn_bv_send(ch, mine + v * W, k)) != SIRNN_OK)
            return st;
    if (first) {
        if (hk != NULL && (st = hk->sent(hk->ctx, flight)) != SIRNN_OK)
            return st;
        if ((st = recv_vectors(ch, peer, nv, W, k)) != SIRNN_OK)
            return st;
    }
    return SIRNN_OK;
}

/* ---------------- silent triples (triples.h) ---------------- */

static size_t silent_cots(const sirnn_triples *t, size_t k)
{
    return (3 * t->npair + 2 * t->nsingle) * k;
}

static sirnn_tweak triple_tweak(const sirnn_silent *e, uint64_t pos)
{
    return sirnn_tweak_make(sirnn_tweak_retag(e->domain, SIRNN_TWEAK_NCO, 2), pos);
}

/* Party 0: the COTs of the triples of k elements, held; its shares a0, b0,
 * c0 and the pairs' corrections d. */
sirnn_status sirnn_triples_silent_send(sirnn_triples *t, sirnn_ot_lane *ol, sirnn_channel *ch,
                                       size_t k)
{
    sirnn_iknp_sender *s = &ol->iknp_send;
    sirnn_silent *e = s->silent;
    const size_t W = t->W, npairs = t->npair * k, singles = t->nsingle * k;
    sirnn_block *k0 = t->scr, *k1 = t->scr + SCR_COTS;
    uint64_t mark;
    sirnn_status st = SIRNN_OK;
    for (size_t g0 = 0; g0 < npairs && st == SIRNN_OK; g0 += SCR_COTS / 3) {
        const size_t g = npairs - g0 < SCR_COTS / 3 ? npairs - g0 : SCR_COTS / 3;
        const uint64_t pos = e->produced;
        if ((st = sirnn_silent_send_take_held(e, &s->x, ch, k0, 3 * g, &mark)) != SIRNN_OK)
            break;
        for (size_t j = 0; j < 3 * g; j++)
            k1[j] = sirnn_block_xor(k0[j], e->delta);
        sirnn_tccrhash(k0, k0, triple_tweak(e, pos), 3 * g);
        sirnn_tccrhash(k1, k1, triple_tweak(e, pos), 3 * g);
        for (size_t i = 0; i < g; i++) {
            const size_t tau = g0 + i;
            const uint64_t s1 = k0[3 * i].w[0], x1 = s1 ^ k1[3 * i].w[0];
            const uint64_t s2 = k0[3 * i + 1].w[0], a0 = (s2 ^ k1[3 * i + 1].w[0]) & 1;
            const uint64_t s3 = k0[3 * i + 2].w[0], x3 = (s3 ^ k1[3 * i + 2].w[0]) & 1;
            const uint64_t b1 = x1 & 1, b2 = (x1 >> 1) & 1;
            tput(t->pa, W, k, tau, a0);
            tput(t->pb1, W, k, tau, b1);
            tput(t->pb2, W, k, tau, b2);
            tput(t->pc1, W, k, tau, (a0 & b1) ^ s1 ^ s2);
            tput(t->pc2, W, k, tau, (a0 & b2) ^ (s1 >> 1) ^ s3);
            tput(t->pd, W, k, tau, x3 ^ a0);
        }
    }
    for (size_t g0 = 0; g0 < singles && st == SIRNN_OK; g0 += SCR_COTS / 2) {
        const size_t g = singles - g0 < SCR_COTS / 2 ? singles - g0 : SCR_COTS / 2;
        const uint64_t pos = e->produced;
        if ((st = sirnn_silent_send_take_held(e, &s->x, ch, k0, 2 * g, &mark)) != SIRNN_OK)
            break;
        for (size_t j = 0; j < 2 * g; j++)
            k1[j] = sirnn_block_xor(k0[j], e->delta);
        sirnn_tccrhash(k0, k0, triple_tweak(e, pos), 2 * g);
        sirnn_tccrhash(k1, k1, triple_tweak(e, pos), 2 * g);
        for (size_t i = 0; i < g; i++) {
            const size_t tau = g0 + i;
            const uint64_t s1 = k0[2 * i].w[0], b0 = (s1 ^ k1[2 * i].w[0]) & 1;
            const uint64_t s2 = k0[2 * i + 1].w[0], a0 = (s2 ^ k1[2 * i + 1].w[0]) & 1;
            tput(t->ta, W, k, tau, a0);
            tput(t->tb, W, k, tau, b0);
            tput(t->tc, W, k, tau, (a0 & b0) ^ s1 ^ s2);
        }
    }
    sirnn_memzero(t->scr, 2 * SCR_COTS * sizeof(sirnn_block));
    return st;
}

sirnn_status sirnn_triples_silent_choices(const sirnn_triples *t, sirnn_ot_lane *ol,
                                          sirnn_channel *ch, size_t k)
{
    sirnn_iknp_receiver *r = &ol->iknp_recv;
    const size_t n = silent_cots(t, k);
    return n > 0 ? sirnn_silent_recv_choices(r->silent, &r->x, ch, NULL, n) : SIRNN_OK;
}

/* Party 1: its rows; a1, b1 are their choice bits, c1 all but the pairs'
 * r3 * d (sirnn_triples_recv). */
sirnn_status sirnn_triples_silent_recv_rows(sirnn_triples *t, sirnn_ot_lane *ol,
                                            sirnn_channel *ch, size_t k)
{
    sirnn_iknp_receiver *r = &ol->iknp_recv;
    sirnn_silent *e = r->silent;
    const size_t W = t->W, npairs = t->npair * k, singles = t->nsingle * k;
    sirnn_block *rw = t->scr, *h = t->scr + SCR_COTS;
    sirnn_status st = SIRNN_OK;
    for (size_t g0 = 0; g0 < npairs && st == SIRNN_OK; g0 += SCR_COTS / 3) {
        const size_t g = npairs - g0 < SCR_COTS / 3 ? npairs - g0 : SCR_COTS / 3;
        const uint64_t pos = e->produced;
        if (pos + 3 * g > e->c_count) {
            st = SIRNN_ERR_STATE; /* rows whose choices were not made ahead */
            break;
        }
        if ((st = sirnn_silent_recv_take(e, &r->x, ch, rw, 3 * g)) != SIRNN_OK)
            break;
        sirnn_tccrhash(h, rw, triple_tweak(e, pos), 3 * g);
        for (size_t i = 0; i < g; i++) {
            const size_t tau = g0 + i;
            const uint64_t a1 = rw[3 * i].w[0] & 1, b1 = rw[3 * i + 1].w[0] & 1,
                           b2 = rw[3 * i + 2].w[0] & 1;
            const uint64_t R1 = h[3 * i].w[0], R2 = h[3 * i + 1].w[0], R3 = h[3 * i + 2].w[0];
            tput(t->pa, W, k, tau, a1);
            tput(t->pb1, W, k, tau, b1);
            tput(t->pb2, W, k, tau, b2);
            tput(t->pc1, W, k, tau, (a1 & b1) ^ R1 ^ R2);
            tput(t->pc2, W, k, tau, (a1 & b2) ^ (R1 >> 1) ^ R3);
        }
    }
    for (size_t g0 = 0; g0 < singles && st == SIRNN_OK; g0 += SCR_COTS / 2) {
        const size_t g = singles - g0 < SCR_COTS / 2 ? singles - g0 : SCR_COTS / 2;
        const uint64_t pos = e->produced;
        if (pos + 2 * g > e->c_count) {
            st = SIRNN_ERR_STATE; /* rows whose choices were not made ahead */
            break;
        }
        if ((st = sirnn_silent_recv_take(e, &r->x, ch, rw, 2 * g)) != SIRNN_OK)
            break;
        sirnn_tccrhash(h, rw, triple_tweak(e, pos), 2 * g);
        for (size_t i = 0; i < g; i++) {
            const size_t tau = g0 + i;
            const uint64_t a1 = rw[2 * i].w[0] & 1, b1 = rw[2 * i + 1].w[0] & 1;
            tput(t->ta, W, k, tau, a1);
            tput(t->tb, W, k, tau, b1);
            tput(t->tc, W, k, tau, (a1 & b1) ^ h[2 * i].w[0] ^ h[2 * i + 1].w[0]);
        }
    }
    sirnn_memzero(t->scr, 2 * SCR_COTS * sizeof(sirnn_block));
    return st;
}
