/*
 * Faithful arithmetic right shift with a known sign (include/sirnn/arith.h,
 * sirnn_ars_faithful): one COT of the shares' MSBs, no carry network.
 *
 * x = x0 + x1 - 2^l w with w the wrap of the shares. When the sign of x is
 * known, w is a function of the shares' MSBs m0, m1 alone: x >= 0 gives
 * w = m0 OR m1 = m0 + m1 - m0 m1, x < 0 gives w = m0 AND m1 = m0 m1. The
 * product m0 m1 is one COT mod 2^s (party 1 chooses m1, party 0's
 * correlation is m0), and only w mod 2^s matters:
 *   out = (x0 >> s) + (x1 >> s) - 2^(l-s) (w + sign) mod 2^l
 * is floor(x / 2^s) (two's complement) minus the carry of the low s bits of
 * the shares, which is dropped: out is ARS(x, s) or ARS(x, s) - 1.
 */
#include "arith/arith_internal.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/pack.h"
#include "kernels/random.h"
#include "arith/otphase.h"
#include "ot/lane.h"

typedef struct ftr_ctx {
    uint64_t *out;
    const uint64_t *x;
    unsigned l, s, sign;
} ftr_ctx;

static sirnn_status ftr_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                             void *vctx)
{
    const ftr_ctx *c = vctx;
    const unsigned l = c->l, s = c->s;
    const uint64_t mask = sirnn_mask(l);
    const int server = party->role == SIRNN_SERVER;
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    sirnn_channel *ch = &lane->ch;
    const size_t cap = sirnn_window_cap(begin, end);
    sirnn_aiknp_ws w;
    sirnn_status st = server ? sirnn_aiknp_ws_init_roles(&w, cap, 0)
                             : sirnn_aiknp_ws_init_roles(&w, 0, cap);
    if (st != SIRNN_OK)
        return st;
    w.silent_ok = 1; /* the chooser takes its rows before it reads the corrections */
    uint64_t *u = malloc(cap * sizeof(uint64_t)), *y = malloc(cap * sizeof(uint64_t));
    uint8_t *m = malloc(cap), *wire = malloc(cap * 8);
    if (u == NULL || y == NULL || m == NULL || wire == NULL)
        st = SIRNN_ERR_NOMEM;
    const uint64_t lo = c->sign ? 0 : 1; /* w = lo * (m0 + m1) + (1 - 2 lo) m0 m1 */
    for (size_t off = begin; off < end && st == SIRNN_OK; off += cap) {
        const size_t k = end - off < cap ? end - off : cap;
        const uint64_t *x = c->x + off;
        uint64_t *out = c->out + off;
        const size_t bytes = sirnn_pack_size(k, s);
        for (size_t i = 0; i < k; i++)
            m[i] = (uint8_t)(((x[i] & mask) >> (l - 1)) & 1);
        if (server) {
            for (size_t i = 0; i < k; i++)
                u[i] = m[i];
            if ((st = sirnn_aiknp_send_rows(&w, &ol->iknp_send, ch, k)) != SIRNN_OK)
                break;
            /* u = H(q) (party 1 gets u + m1 m0): party 0's share of m0 m1 is -u */
            sirnn_aiknp_cot_msgs(&w, u, y, u, k, s);
            sirnn_pack(wire, y, k, s);
            if ((st = sirnn_channel_send(ch, wire, bytes)) != SIRNN_OK)
                break;
            for (size_t i = 0; i < k; i++) {
                const uint64_t p0 = 0 - u[i];
                const uint64_t w0 = lo * m[i] + (lo ? 0 - p0 : p0) + c->sign;
                out[i] = (((x[i] & mask) >> s) - (w0 << (l - s))) & mask;
            }
        } else {
            if ((st = sirnn_aiknp_recv_u(&w, &ol->iknp_recv, ch, m, k)) != SIRNN_OK ||
                (st = sirnn_aiknp_recv_rows(&w, &ol->iknp_recv, ch)) != SIRNN_OK ||
                (st = sirnn_channel_recv(ch, wire, bytes)) != SIRNN_OK)
                break;
            sirnn_unpack(y, wire, k, s);
            sirnn_aiknp_cot_out(&w, y, y, m, k, s);
            for (size_t i = 0; i < k; i++) {
                const uint64_t w1 = lo * m[i] + (lo ? 0 - y[i] : y[i]);
                out[i] = (((x[i] & mask) >> s) - (w1 << (l - s))) & mask;
            }
        }
    }
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(ch);
    if (u != NULL)
        sirnn_memzero(u, cap * sizeof(uint64_t));
    if (y != NULL)
        sirnn_memzero(y, cap * sizeof(uint64_t));
    if (m != NULL)
        sirnn_memzero(m, cap);
    free(u);
    free(y);
    free(m);
    free(wire);
    sirnn_aiknp_ws_free(&w);
    return st;
}

sirnn_status sirnn_ars_faithful(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                                unsigned l, unsigned s, unsigned sign)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (l < 2 || l > 64 || s >= l || sign > 1 || (n > 0 && (out == NULL || x == NULL)))
        return sirnn_arith_arg(party, "sirnn_ars_faithful",
                               "l outside 2..64, s >= l, sign not 0/1 or NULL array");
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    if (s == 0) {
        const uint64_t mask = sirnn_mask(l);
        for (size_t i = 0; i < n; i++)
            out[i] = x[i] & mask;
        return SIRNN_OK;
    }
    if ((st = sirnn_ot_ensure_setup(party)) != SIRNN_OK)
        return st;
    ftr_ctx c = {.out = out, .x = x, .l = l, .s = s, .sign = sign};
    return sirnn_batch_run(party, n, ftr_lane, &c);
}
