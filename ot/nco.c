/*
 * 1-of-N OT from log N random 1-of-2 OTs on silent COTs (see ot/nco.h).
 */
#include "ot/nco.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/crhash.h"
#include "kernels/pack.h"
#include "kernels/random.h"
#include "kernels/scratch.h"

static unsigned log2_ceil(unsigned N)
{
    unsigned b = 0;
    while ((1u << b) < N)
        b++;
    return b;
}

static size_t chunk_of(unsigned N, unsigned b)
{
    size_t c = ((size_t)1 << 18) / ((size_t)N * b);
    return c < 1 ? 1 : c > 8192 ? 8192 : c;
}

static uint64_t eq_mask(uint64_t a, uint64_t b)
{
    return 0 - (((a ^ b) - 1) >> 63);
}

/* Both ends' tweak domain and the position of the call's first element. */
static sirnn_tweak nco_tweak(sirnn_silent *e)
{
    return sirnn_tweak_make(sirnn_tweak_retag(e->domain, SIRNN_TWEAK_NCO, 0), e->nco_count);
}

typedef struct nco_buf {
    size_t cap_keys, cap_elems, cap_wire;
    sirnn_block *k0, *k1, *h;
    uint8_t *bits, *wire;
    uint64_t *vals;
} nco_buf;

static void buf_free(nco_buf *b)
{
    sirnn_scratch_free(b->k0, b->cap_keys * sizeof(sirnn_block));
    sirnn_scratch_free(b->k1, b->cap_keys * sizeof(sirnn_block));
    sirnn_scratch_free(b->h, b->cap_elems * sizeof(sirnn_block));
    sirnn_scratch_free(b->bits, b->cap_keys);
    sirnn_scratch_free(b->wire, b->cap_wire);
    sirnn_scratch_free(b->vals, b->cap_elems * sizeof(uint64_t));
}

static sirnn_status buf_init(nco_buf *b, size_t c, unsigned N, unsigned nb, unsigned l)
{
    memset(b, 0, sizeof(*b));
    b->cap_keys = c * nb;
    b->cap_elems = c * N * (size_t)nb;
    b->cap_wire = sirnn_pack_size(c * N, l) + (c * nb + 7) / 8;
    b->k0 = sirnn_scratch_alloc(b->cap_keys * sizeof(sirnn_block));
    b->k1 = sirnn_scratch_alloc(b->cap_keys * sizeof(sirnn_block));
    b->h = sirnn_scratch_alloc(b->cap_elems * sizeof(sirnn_block));
    b->bits = sirnn_scratch_alloc(b->cap_keys);
    b->wire = sirnn_scratch_alloc(b->cap_wire);
    b->vals = sirnn_scratch_alloc(b->cap_elems * sizeof(uint64_t));
    if (!b->k0 || !b->k1 || !b->h || !b->bits || !b->wire || !b->vals) {
        buf_free(b);
        return SIRNN_ERR_NOMEM;
    }
    return SIRNN_OK;
}

sirnn_status sirnn_nco_send(sirnn_iknp_sender *s, sirnn_channel *ch, const uint64_t *msgs,
                            size_t n, unsigned N, unsigned l)
{
    if (s->silent == NULL || N < 2 || N > 256 || l < 1 || l > 64)
        return SIRNN_ERR_ARG;
    const unsigned nb = log2_ceil(N);
    const size_t C = chunk_of(N, nb);
    const uint64_t mask = sirnn_mask(l);
    nco_buf b;
    sirnn_status st = buf_init(&b, n < C ? n : C, N, nb, l);
    for (size_t off = 0; st == SIRNN_OK && off < n; off += C) {
        const size_t c = n - off < C ? n - off : C, nk = c * nb;
        st = sirnn_iknp_rot_send(s, ch, (uint8_t *)b.k0, (uint8_t *)b.k1, nk);
        if (st == SIRNN_OK)
            st = sirnn_channel_recv(ch, b.wire, (nk + 7) / 8);
        if (st != SIRNN_OK)
            break;
        /* Swap each pair by its public correction d: key^beta = m_(beta ^ d). */
        for (size_t k = 0; k < nk; k++) {
            const uint64_t m = 0 - (uint64_t)((b.wire[k / 8] >> (k % 8)) & 1);
            for (int w = 0; w < 2; w++) {
                const uint64_t x = (b.k0[k].w[w] ^ b.k1[k].w[w]) & m;
                b.k0[k].w[w] ^= x;
                b.k1[k].w[w] ^= x;
            }
        }
        for (size_t i = 0; i < c; i++)
            for (unsigned v = 0; v < N; v++)
                for (unsigned j = 0; j < nb; j++)
                    b.h[(i * N + v) * nb + j] = ((v >> j) & 1) ? b.k1[i * nb + j] : b.k0[i * nb + j];
        const size_t ne = c * N * nb;
        sirnn_tccrhash(b.h, b.h, nco_tweak(s->silent), ne);
        s->silent->nco_count += ne;
        for (size_t i = 0; i < c; i++)
            for (unsigned v = 0; v < N; v++) {
                uint64_t pad = 0;
                for (unsigned j = 0; j < nb; j++)
                    pad ^= b.h[(i * N + v) * nb + j].w[0];
                b.vals[i * N + v] = (msgs[(off + i) * N + v] ^ pad) & mask;
            }
        sirnn_pack(b.wire, b.vals, c * N, l);
        st = sirnn_channel_send(ch, b.wire, sirnn_pack_size(c * N, l));
        if (st == SIRNN_OK)
            st = sirnn_channel_flush(ch);
    }
    if (b.k0 != NULL)
        buf_free(&b);
    return st;
}

sirnn_status sirnn_nco_recv(sirnn_iknp_receiver *r, sirnn_channel *ch, sirnn_prg *prg,
                            uint64_t *mc, const uint8_t *choices, size_t n, unsigned N,
                            unsigned l)
{
    if (r->silent == NULL || N < 2 || N > 256 || l < 1 || l > 64)
        return SIRNN_ERR_ARG;
    const unsigned nb = log2_ceil(N);
    const size_t C = chunk_of(N, nb);
    const uint64_t mask = sirnn_mask(l);
    nco_buf b;
    sirnn_status st = buf_init(&b, n < C ? n : C, N, nb, l);
    for (size_t off = 0; st == SIRNN_OK && off < n; off += C) {
        const size_t c = n - off < C ? n - off : C, nk = c * nb;
        st = sirnn_iknp_rot_recv(r, ch, prg, b.bits, (uint8_t *)b.k0, nk);
        if (st != SIRNN_OK)
            break;
        /* d = r ^ (bit j of the choice), public. */
        memset(b.wire, 0, (nk + 7) / 8);
        for (size_t i = 0; i < c; i++)
            for (unsigned j = 0; j < nb; j++) {
                const size_t k = i * nb + j;
                const unsigned d = (b.bits[k] ^ (choices[off + i] >> j)) & 1;
                b.wire[k / 8] |= (uint8_t)(d << (k % 8));
            }
        st = sirnn_channel_send(ch, b.wire, (nk + 7) / 8);
        if (st == SIRNN_OK)
            st = sirnn_channel_flush(ch);
        /* Our pads: element (i * N + c_i) * nb + j under key_j^(c_j) = m_r. */
        const sirnn_tweak tw = nco_tweak(r->silent);
        r->silent->nco_count += c * N * nb;
        if (st == SIRNN_OK)
            st = sirnn_channel_recv(ch, b.wire, sirnn_pack_size(c * N, l));
        if (st != SIRNN_OK)
            break;
        sirnn_unpack(b.vals, b.wire, c * N, l);
        for (size_t i = 0; i < c; i++) {
            const uint64_t ci = choices[off + i];
            uint64_t pad = 0, y = 0;
            for (unsigned j = 0; j < nb; j++) {
                sirnn_block hb;
                sirnn_tccrhash(&hb, &b.k0[i * nb + j],
                               sirnn_tweak_make(tw.domain, tw.index + (i * N + ci) * nb + j), 1);
                pad ^= hb.w[0];
            }
            for (unsigned v = 0; v < N; v++)
                y |= b.vals[i * N + v] & eq_mask(v, ci);
            mc[off + i] = (y ^ pad) & mask;
        }
    }
    if (b.k0 != NULL)
        buf_free(&b);
    return st;
}
