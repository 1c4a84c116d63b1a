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

/*
 * The chosen OTs stream in groups of steps, two flights per group: the
 * receiver takes every step's entries (its refills go out in the same
 * flight) and sends every step's e, keeping each k_r's low word in mc; the
 * sender reads them all, holding the group's packed replies y (2l bits an
 * OT), then sends them in one flight. A group is as many steps as the
 * engine's stream budget (sirnn_iknp_sender.stream_bytes) holds; the
 * bytes in each direction are those of the step-by-step loop.
 */
static size_t group_len(size_t budget, unsigned l, size_t rest)
{
    const size_t g = sirnn_otx_group(budget, sirnn_pack_size(2 * STEP, l), STEP);
    return g < rest ? g : rest;
}

static sirnn_status pool_send_group(sirnn_ot_pool *p, sirnn_iknp_sender *s, sirnn_channel *ch,
                                    uint8_t *buf, const uint64_t *m0, const uint64_t *m1,
                                    size_t off0, size_t gn, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
    size_t pos = 0;
    sirnn_status st = SIRNN_OK;
    for (size_t off = off0; off < off0 + gn; off += STEP) {
        const size_t k = min_size(STEP, off0 + gn - off);
        if ((st = sirnn_ot_pool_take_send(p, s, ch, p->k0, p->k1, k)) != SIRNN_OK ||
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
        sirnn_pack(buf + pos, p->vals, 2 * k, l);
        pos += sirnn_pack_size(2 * k, l);
    }
    if ((st = sirnn_channel_send(ch, buf, pos)) != SIRNN_OK)
        return st;
    return sirnn_channel_flush(ch);
}

sirnn_status sirnn_ot_pool_ot_send(sirnn_ot_pool *p, sirnn_iknp_sender *s, sirnn_channel *ch,
                                   const uint64_t *m0, const uint64_t *m1, size_t n,
                                   unsigned l)
{
    sirnn_status st = SIRNN_OK;
    for (size_t off0 = 0, gn = 0; off0 < n && st == SIRNN_OK; off0 += gn) {
        gn = group_len(s->stream_bytes, l, n - off0);
        size_t bytes = 0;
        for (size_t off = 0; off < gn; off += STEP)
            bytes += sirnn_pack_size(2 * min_size(STEP, gn - off), l);
        /* one step fits the step's wire */
        uint8_t *buf = gn <= STEP ? p->wire : sirnn_scratch_alloc(bytes);
        if (buf == NULL)
            return SIRNN_ERR_NOMEM;
        st = pool_send_group(p, s, ch, buf, m0, m1, off0, gn, l);
        if (buf != p->wire)
            sirnn_scratch_free(buf, bytes);
    }
    return st;
}

sirnn_status sirnn_ot_pool_ot_recv(sirnn_ot_pool *p, sirnn_iknp_receiver *r, sirnn_channel *ch,
                                   sirnn_prg *prg, uint64_t *mc, const uint8_t *choices,
                                   size_t n, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
    sirnn_status st = SIRNN_OK;
    for (size_t off0 = 0, gn = 0; off0 < n && st == SIRNN_OK; off0 += gn) {
        gn = group_len(r->stream_bytes, l, n - off0);
        const size_t end = off0 + gn;
        for (size_t off = off0; off < end && st == SIRNN_OK; off += STEP) {
            const size_t k = min_size(STEP, end - off);
            if ((st = sirnn_ot_pool_take_recv(p, r, ch, prg, p->choice, p->k0, k)) != SIRNN_OK)
                break;
            for (size_t i = 0; i < k; i++) {
                p->choice[i] ^= choices[off + i] & 1; /* e = c ^ r */
                mc[off + i] = p->k0[i].w[0];         /* k_r, until y comes */
            }
            sirnn_pack_bits(p->wire, p->choice, k);
            st = sirnn_channel_send(ch, p->wire, sirnn_pack_size(k, 1));
        }
        if (st == SIRNN_OK)
            st = sirnn_channel_flush(ch);
        for (size_t off = off0; off < end && st == SIRNN_OK; off += STEP) {
            const size_t k = min_size(STEP, end - off);
            if ((st = sirnn_channel_recv(ch, p->wire, sirnn_pack_size(2 * k, l))) != SIRNN_OK)
                break;
            sirnn_unpack(p->vals, p->wire, 2 * k, l);
            for (size_t i = 0; i < k; i++) {
                const uint64_t sel = 0 - (uint64_t)(choices[off + i] & 1);
                const uint64_t y0 = p->vals[2 * i], y1 = p->vals[2 * i + 1];
                mc[off + i] = (y0 ^ ((y0 ^ y1) & sel) ^ mc[off + i]) & mask;
            }
        }
    }
    sirnn_memzero(p->k0, STEP_KEYS);
    sirnn_memzero(p->choice, STEP);
    return st;
}
