/*
 * Random-OT pools and their derandomisation (see ot/pool.h).
 */
#include "ot/pool.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/scratch.h"
#include "kernels/crhash.h"
#include "kernels/pack.h"
#include "kernels/random.h"

enum { STEP = SIRNN_POOL_STEP };

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

#define STEP_KEYS ((size_t)STEP * sizeof(sirnn_block))
#define STEP_WIRE ((size_t)STEP * 16)
#define STEP_VALS ((size_t)STEP * 2 * sizeof(uint64_t))

sirnn_status sirnn_ot_pool_init(sirnn_ot_pool *p, size_t cap)
{
    memset(p, 0, sizeof(*p));
    p->cap = cap < 128 ? 128 : sirnn_otx_round(cap);
    /* rows and bits come with the first refill (pool_fill_bufs): a session
     * that never takes from a pool holds none of its capacity */
    p->k0 = sirnn_scratch_alloc(STEP_KEYS);
    p->k1 = sirnn_scratch_alloc(STEP_KEYS);
    p->choice = sirnn_scratch_alloc(STEP);
    p->wire = sirnn_scratch_alloc(STEP_WIRE);
    p->vals = sirnn_scratch_alloc(STEP_VALS);
    if (p->k0 == NULL || p->k1 == NULL || p->choice == NULL || p->wire == NULL || p->vals == NULL) {
        sirnn_ot_pool_free(p);
        return SIRNN_ERR_NOMEM;
    }
    return SIRNN_OK;
}

void sirnn_ot_pool_free(sirnn_ot_pool *p)
{
    sirnn_scratch_free(p->rows, p->cap * sizeof(sirnn_block));
    sirnn_scratch_free(p->bits, p->cap);
    sirnn_scratch_free(p->k0, STEP_KEYS);
    sirnn_scratch_free(p->k1, STEP_KEYS);
    sirnn_scratch_free(p->choice, STEP);
    sirnn_scratch_free(p->wire, STEP_WIRE);
    sirnn_scratch_free(p->vals, STEP_VALS);
    memset(p, 0, sizeof(*p));
}

/* The refill buffers, at the first refill (bits on the receiver only). */
static sirnn_status pool_fill_bufs(sirnn_ot_pool *p, int receiver)
{
    if (p->rows == NULL && (p->rows = sirnn_scratch_alloc(p->cap * sizeof(sirnn_block))) == NULL)
        return SIRNN_ERR_NOMEM;
    if (receiver && p->bits == NULL && (p->bits = sirnn_scratch_alloc(p->cap)) == NULL)
        return SIRNN_ERR_NOMEM;
    return SIRNN_OK;
}

sirnn_status sirnn_ot_pool_take_send(sirnn_ot_pool *p, sirnn_iknp_sender *s, sirnn_channel *ch,
                                     sirnn_block *k0, sirnn_block *k1, size_t n)
{
    const sirnn_block delta = sirnn_iknp_delta(s);
    while (n > 0) {
        if (p->pos == p->end) {
            p->tweak0 = s->x.count;
            sirnn_status st = pool_fill_bufs(p, 0);
            if (st == SIRNN_OK)
                st = sirnn_iknp_dcot_send(s, ch, (uint8_t *)p->rows, p->cap);
            if (st != SIRNN_OK)
                return st;
            p->pos = 0;
            p->end = p->cap;
        }
        const size_t c = min_size(n, p->end - p->pos);
        sirnn_block *q = p->rows + p->pos;
        const sirnn_tweak tweak = sirnn_tweak_make(s->x.domain, p->tweak0 + p->pos);
        sirnn_tccrhash(k0, q, tweak, c);
        /* Each entry is used once, so q can become q ^ Delta in place. */
        for (size_t i = 0; i < c; i++)
            q[i] = sirnn_block_xor(q[i], delta);
        sirnn_tccrhash(k1, q, tweak, c);
        sirnn_memzero(q, c * sizeof(sirnn_block)); /* used: wipe now, not at refill */
        p->pos += c;
        k0 += c;
        k1 += c;
        n -= c;
    }
    return SIRNN_OK;
}

sirnn_status sirnn_ot_pool_take_recv(sirnn_ot_pool *p, sirnn_iknp_receiver *r,
                                     sirnn_channel *ch, sirnn_prg *prg, uint8_t *bits,
                                     sirnn_block *kr, size_t n)
{
    while (n > 0) {
        if (p->pos == p->end) {
            p->tweak0 = r->x.count;
            sirnn_status fst = pool_fill_bufs(p, 1);
            if (fst != SIRNN_OK)
                return fst;
            sirnn_prg_bytes(prg, p->bits, p->cap);
            for (size_t i = 0; i < p->cap; i++)
                p->bits[i] &= 1;
            sirnn_status st = sirnn_iknp_dcot_recv(r, ch, (uint8_t *)p->rows, p->bits, p->cap);
            if (st != SIRNN_OK)
                return st;
            p->pos = 0;
            p->end = p->cap;
        }
        const size_t c = min_size(n, p->end - p->pos);
        sirnn_tccrhash(kr, p->rows + p->pos, sirnn_tweak_make(r->x.domain, p->tweak0 + p->pos), c);
        memcpy(bits, p->bits + p->pos, c);
        /* used: wipe now, not at refill */
        sirnn_memzero(p->rows + p->pos, c * sizeof(sirnn_block));
        sirnn_memzero(p->bits + p->pos, c);
        p->pos += c;
        kr += c;
        bits += c;
        n -= c;
    }
    return SIRNN_OK;
}

sirnn_status sirnn_ot_pool_ot_send(sirnn_ot_pool *p, sirnn_iknp_sender *s, sirnn_channel *ch,
                                   const uint64_t *m0, const uint64_t *m1, size_t n,
                                   unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
    for (size_t off = 0; off < n; off += STEP) {
        const size_t k = min_size(STEP, n - off);
        sirnn_status st = sirnn_ot_pool_take_send(p, s, ch, p->k0, p->k1, k);
        if (st != SIRNN_OK ||
            (st = sirnn_channel_recv(ch, p->wire, sirnn_pack_size(k, 1))) != SIRNN_OK)
            return st;
        sirnn_unpack_bits(p->choice, p->wire, k);
        for (size_t i = 0; i < k; i++) {
            /* e = c ^ r: message b is masked with k_{b ^ e}. */
            const uint64_t e = 0 - (uint64_t)(p->choice[i] & 1);
            const uint64_t a = p->k0[i].w[0], b = p->k1[i].w[0];
            const uint64_t pad0 = a ^ ((a ^ b) & e), pad1 = b ^ ((a ^ b) & e);
            p->vals[2 * i] = (m0[off + i] ^ pad0) & mask;
            p->vals[2 * i + 1] = (m1[off + i] ^ pad1) & mask;
        }
        sirnn_pack(p->wire, p->vals, 2 * k, l);
        if ((st = sirnn_channel_send(ch, p->wire, sirnn_pack_size(2 * k, l))) != SIRNN_OK ||
            (st = sirnn_channel_flush(ch)) != SIRNN_OK)
            return st;
    }
    return SIRNN_OK;
}

sirnn_status sirnn_ot_pool_ot_recv(sirnn_ot_pool *p, sirnn_iknp_receiver *r, sirnn_channel *ch,
                                   sirnn_prg *prg, uint64_t *mc, const uint8_t *choices,
                                   size_t n, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
    for (size_t off = 0; off < n; off += STEP) {
        const size_t k = min_size(STEP, n - off);
        sirnn_status st = sirnn_ot_pool_take_recv(p, r, ch, prg, p->choice, p->k0, k);
        if (st != SIRNN_OK)
            return st;
        for (size_t i = 0; i < k; i++)
            p->choice[i] ^= choices[off + i] & 1; /* e = c ^ r */
        sirnn_pack_bits(p->wire, p->choice, k);
        if ((st = sirnn_channel_send(ch, p->wire, sirnn_pack_size(k, 1))) != SIRNN_OK ||
            (st = sirnn_channel_flush(ch)) != SIRNN_OK ||
            (st = sirnn_channel_recv(ch, p->wire, sirnn_pack_size(2 * k, l))) != SIRNN_OK)
            return st;
        sirnn_unpack(p->vals, p->wire, 2 * k, l);
        for (size_t i = 0; i < k; i++) {
            const uint64_t sel = 0 - (uint64_t)(choices[off + i] & 1);
            const uint64_t y0 = p->vals[2 * i], y1 = p->vals[2 * i + 1];
            mc[off + i] = (y0 ^ ((y0 ^ y1) & sel) ^ p->k0[i].w[0]) & mask;
        }
    }
    return SIRNN_OK;
}
