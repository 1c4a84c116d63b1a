/*
 * Input sharing, reveal, local operations, and the small helpers of
 * arith/arith_internal.h.
 */
#include "arith/arith_internal.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/block.h"
#include "kernels/pack.h"
#include "kernels/prg.h"
#include "kernels/random.h"
#include "kernels/ring.h"

int sirnn_arith_bits_ok(const uint8_t *bits, size_t n)
{
    unsigned acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= bits[i];
    return (acc & ~1u) == 0;
}

sirnn_status sirnn_arith_arg(sirnn_party *party, const char *fn, const char *what)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    return sirnn_party_error(party, SIRNN_ERR_ARG, "%s: %s", fn, what);
}

void *sirnn_arith_zalloc(size_t bytes)
{
    void *p = malloc(bytes > 0 ? bytes : 1);
    if (p != NULL)
        memset(p, 0, bytes);
    return p;
}

void sirnn_arith_zfree(void *p, size_t bytes)
{
    if (p != NULL) {
        sirnn_memzero(p, bytes);
        free(p);
    }
}

void sirnn_bv_pack(uint64_t *w, const uint8_t *bits, size_t n)
{
    memset(w, 0, sirnn_bv_words(n) * sizeof(uint64_t));
    for (size_t i = 0; i < n; i++)
        w[i / 64] |= (uint64_t)(bits[i] & 1) << (i % 64);
}

void sirnn_bv_unpack(uint8_t *bits, const uint64_t *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bits[i] = (uint8_t)((w[i / 64] >> (i % 64)) & 1);
}

sirnn_status sirnn_bv_send(sirnn_channel *ch, const uint64_t *w, size_t n)
{
    const size_t full = n / 64, rem = n % 64;
    sirnn_status st = sirnn_channel_send(ch, w, full * 8);
    if (st == SIRNN_OK && rem != 0) {
        uint64_t last = w[full] & sirnn_mask((unsigned)rem);
        uint8_t b[8];
        memcpy(b, &last, 8);
        st = sirnn_channel_send(ch, b, (rem + 7) / 8);
    }
    return st;
}

sirnn_status sirnn_bv_recv(sirnn_channel *ch, uint64_t *w, size_t n)
{
    const size_t full = n / 64, rem = n % 64;
    sirnn_status st = sirnn_channel_recv(ch, w, full * 8);
    if (st == SIRNN_OK && rem != 0) {
        uint8_t b[8] = {0};
        st = sirnn_channel_recv(ch, b, (rem + 7) / 8);
        uint64_t last;
        memcpy(&last, b, 8);
        w[full] = last & sirnn_mask((unsigned)rem);
    }
    return st;
}

/* ---------------- sharing and reveal ---------------- */

typedef struct share_ctx {
    uint64_t *out;
    const uint64_t *in;
    uint8_t *bout;
    const uint8_t *bin;
    unsigned l; /* 0 for boolean */
    int owner;  /* sharing: the owner; reveal: the target */
    int reveal;
} share_ctx;

static sirnn_status share_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                               void *vctx)
{
    const share_ctx *c = vctx;
    const int boolean = c->l == 0;
    const unsigned l = boolean ? 1 : c->l;
    const uint64_t mask = sirnn_mask(l);
    const int me = (int)party->role;
    const size_t cap = sirnn_window_cap(begin, end);
    uint64_t *vals = malloc(cap * sizeof(uint64_t));
    uint8_t *wire = malloc(cap * 8);
    sirnn_status st = SIRNN_OK;
    if (vals == NULL || wire == NULL) {
        st = SIRNN_ERR_NOMEM;
        goto done;
    }
    for (size_t off = begin; off < end && st == SIRNN_OK; off += cap) {
        const size_t k = end - off < cap ? end - off : cap;
        const size_t bytes = sirnn_pack_size(k, l);
        if (!c->reveal) {
            if (me == c->owner) {
                /* Owner: keep x - r, send r. */
                sirnn_prg_ring(&lane->prg, vals, k, l);
                for (size_t i = 0; i < k; i++) {
                    if (boolean) {
                        c->bout[off + i] = (uint8_t)((c->bin[off + i] ^ vals[i]) & 1);
                    } else {
                        c->out[off + i] = (c->in[off + i] - vals[i]) & mask;
                    }
                }
                sirnn_pack(wire, vals, k, l);
                st = sirnn_channel_send(&lane->ch, wire, bytes);
            } else {
                st = sirnn_channel_recv(&lane->ch, wire, bytes);
                if (st != SIRNN_OK)
                    break;
                sirnn_unpack(vals, wire, k, l);
                for (size_t i = 0; i < k; i++) {
                    if (boolean)
                        c->bout[off + i] = (uint8_t)vals[i];
                    else
                        c->out[off + i] = vals[i];
                }
            }
        } else {
            const int i_send = c->owner == SIRNN_BOTH || c->owner != me;
            const int i_recv = c->owner == SIRNN_BOTH || c->owner == me;
            if (i_send) {
                for (size_t i = 0; i < k; i++)
                    vals[i] = boolean ? c->bin[off + i] : c->in[off + i];
                sirnn_pack(wire, vals, k, l);
                st = sirnn_channel_send(&lane->ch, wire, bytes);
            }
            if (st == SIRNN_OK && i_recv) {
                st = sirnn_channel_recv(&lane->ch, wire, bytes);
                if (st != SIRNN_OK)
                    break;
                sirnn_unpack(vals, wire, k, l);
                for (size_t i = 0; i < k; i++) {
                    if (boolean)
                        c->bout[off + i] = (uint8_t)((c->bin[off + i] ^ vals[i]) & 1);
                    else
                        c->out[off + i] = (c->in[off + i] + vals[i]) & mask;
                }
            }
        }
    }
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(&lane->ch);
done:
    if (vals != NULL)
        sirnn_memzero(vals, cap * sizeof(uint64_t));
    free(vals);
    free(wire);
    return st;
}

static sirnn_status share_run(sirnn_party *party, size_t n, share_ctx *c)
{
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    return sirnn_batch_run(party, n, share_lane, c);
}

#define BAD_WIDTH(l) ((l) < 1 || (l) > 64)
#define NULL_WITH_N(n, p) ((n) > 0 && (p) == NULL)

sirnn_status sirnn_share(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *in,
                         unsigned l, int owner)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (BAD_WIDTH(l) || (owner != SIRNN_SERVER && owner != SIRNN_CLIENT) ||
        NULL_WITH_N(n, out) || ((int)party->role == owner && NULL_WITH_N(n, in)))
        return sirnn_arith_arg(party, "sirnn_share", "l outside 1..64, bad owner or NULL array");
    share_ctx c = {.out = out, .in = in, .l = l, .owner = owner};
    return share_run(party, n, &c);
}

sirnn_status sirnn_share_bool(sirnn_party *party, size_t n, uint8_t *out, const uint8_t *in,
                              int owner)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if ((owner != SIRNN_SERVER && owner != SIRNN_CLIENT) || NULL_WITH_N(n, out))
        return sirnn_arith_arg(party, "sirnn_share_bool", "bad owner or NULL array");
    if ((int)party->role == owner && (NULL_WITH_N(n, in) || !sirnn_arith_bits_ok(in, n)))
        return sirnn_arith_arg(party, "sirnn_share_bool", "NULL input or bit not 0/1");
    share_ctx c = {.bout = out, .bin = in, .l = 0, .owner = owner};
    return share_run(party, n, &c);
}

static int bad_target(int to)
{
    return to != SIRNN_SERVER && to != SIRNN_CLIENT && to != SIRNN_BOTH;
}

static int receives(const sirnn_party *party, int to)
{
    return to == SIRNN_BOTH || to == (int)party->role;
}

sirnn_status sirnn_reveal(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *in,
                          unsigned l, int to)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (BAD_WIDTH(l) || bad_target(to) || NULL_WITH_N(n, in) ||
        (receives(party, to) && NULL_WITH_N(n, out)))
        return sirnn_arith_arg(party, "sirnn_reveal", "l outside 1..64, bad target or NULL array");
    share_ctx c = {.out = out, .in = in, .l = l, .owner = to, .reveal = 1};
    return share_run(party, n, &c);
}

sirnn_status sirnn_reveal_bool(sirnn_party *party, size_t n, uint8_t *out, const uint8_t *in,
                               int to)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (bad_target(to) || NULL_WITH_N(n, in) || (receives(party, to) && NULL_WITH_N(n, out)) ||
        !sirnn_arith_bits_ok(in, n))
        return sirnn_arith_arg(party, "sirnn_reveal_bool", "bad target, NULL array or bad bit");
    share_ctx c = {.bout = out, .bin = in, .l = 0, .owner = to, .reveal = 1};
    return share_run(party, n, &c);
}

/* ---------------- local operations ---------------- */

static sirnn_status local_check(sirnn_party *party, const char *fn, size_t n, const void *out,
                                const void *a, const void *b, unsigned l)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (BAD_WIDTH(l) || NULL_WITH_N(n, out) || NULL_WITH_N(n, a) || NULL_WITH_N(n, b))
        return sirnn_arith_arg(party, fn, "l outside 1..64 or NULL array");
    return SIRNN_OK;
}

sirnn_status sirnn_add(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *a,
                       const uint64_t *b, unsigned l)
{
    sirnn_status st = local_check(party, "sirnn_add", n, out, a, b, l);
    if (st == SIRNN_OK && n > 0)
        sirnn_ring_add(out, a, b, n, l);
    return st;
}

sirnn_status sirnn_sub(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *a,
                       const uint64_t *b, unsigned l)
{
    sirnn_status st = local_check(party, "sirnn_sub", n, out, a, b, l);
    if (st == SIRNN_OK && n > 0)
        sirnn_ring_sub(out, a, b, n, l);
    return st;
}

sirnn_status sirnn_neg(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *a,
                       unsigned l)
{
    sirnn_status st = local_check(party, "sirnn_neg", n, out, a, a, l);
    if (st == SIRNN_OK && n > 0)
        sirnn_ring_neg(out, a, n, l);
    return st;
}

sirnn_status sirnn_mul_const(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *a,
                             uint64_t c, unsigned l)
{
    sirnn_status st = local_check(party, "sirnn_mul_const", n, out, a, a, l);
    if (st == SIRNN_OK && n > 0)
        sirnn_ring_mul_const(out, a, c, n, l);
    return st;
}

sirnn_status sirnn_add_const(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *a,
                             uint64_t c, unsigned l)
{
    sirnn_status st = local_check(party, "sirnn_add_const", n, out, a, a, l);
    if (st == SIRNN_OK && n > 0)
        sirnn_ring_add_const(out, a, party->role == SIRNN_SERVER ? c : 0, n, l);
    return st;
}

sirnn_status sirnn_mod_down(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *a,
                            unsigned l_from, unsigned l_to)
{
    sirnn_status st = local_check(party, "sirnn_mod_down", n, out, a, a, l_from);
    if (st == SIRNN_OK && (l_to < 1 || l_to > l_from))
        st = sirnn_arith_arg(party, "sirnn_mod_down", "l_to outside 1..l_from");
    if (st == SIRNN_OK && n > 0)
        sirnn_ring_reduce(out, a, n, l_to);
    return st;
}

sirnn_status sirnn_xor(sirnn_party *party, size_t n, uint8_t *out, const uint8_t *a,
                       const uint8_t *b)
{
    sirnn_status st = local_check(party, "sirnn_xor", n, out, a, b, 1);
    if (st != SIRNN_OK)
        return st;
    if (!sirnn_arith_bits_ok(a, n) || !sirnn_arith_bits_ok(b, n))
        return sirnn_arith_arg(party, "sirnn_xor", "bit not 0/1");
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(a[i] ^ b[i]);
    return SIRNN_OK;
}

sirnn_status sirnn_not(sirnn_party *party, size_t n, uint8_t *out, const uint8_t *a)
{
    sirnn_status st = local_check(party, "sirnn_not", n, out, a, a, 1);
    if (st != SIRNN_OK)
        return st;
    if (!sirnn_arith_bits_ok(a, n))
        return sirnn_arith_arg(party, "sirnn_not", "bit not 0/1");
    const uint8_t flip = party->role == SIRNN_SERVER ? 1 : 0;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(a[i] ^ flip);
    return SIRNN_OK;
}
