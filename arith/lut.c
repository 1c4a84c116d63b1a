/*
 * Lookup tables (SIRNN): an m-bit shared index into a table of 2^m l-bit
 * entries with one KK13 1-of-2^m OT per element. Party 1 chooses with its
 * index share i1; party 0 sends, for every v, T[(i0 + v) mod 2^m] - r with r
 * its fresh output share, so party 1 receives T[i] - r. Party 0 rotates the
 * table by its share with a constant-time barrel shifter (m passes of
 * masked selects), never indexing memory with i0. Messages are built,
 * packed and queued 64 OTs at a time (so memory is O(64 * 2^m) for the
 * messages and the per-element tables, whatever n is); the channel
 * coalesces them into one flight.
 */
#include "arith/arith_internal.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/block.h"
#include "kernels/lutrot.h"
#include "kernels/pack.h"
#include "kernels/prg.h"
#include "kernels/random.h"
#include "arith/otphase.h"
#include "ot/lane.h"

#define NULL_WITH_N(n, p) ((n) > 0 && (p) == NULL)

enum { LUT_CHUNK = 4096, G = SIRNN_AKK_GROUP };

typedef struct lut_ctx {
    uint64_t *out;
    const uint64_t *idx;
    const uint64_t *table;       /* one table (party 0), or NULL */
    sirnn_lut_fill_fn fill;      /* per-element tables (party 0) */
    void *fill_ctx;
    unsigned m, l;
} lut_ctx;

static sirnn_status lut_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                             void *vctx)
{
    const lut_ctx *c = vctx;
    const int server = party->role == SIRNN_SERVER;
    const unsigned m = c->m, l = c->l;
    const size_t N = (size_t)1 << m;
    const uint64_t im = sirnn_mask(m), lm = sirnn_mask(l);
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    sirnn_channel *ch = &lane->ch;
    sirnn_akk_ws kw;
    sirnn_status st = sirnn_akk_ws_init(&kw, LUT_CHUNK);
    if (st != SIRNN_OK)
        return st;
    const size_t gbytes = sirnn_pack_size(G * N, l);
    uint8_t *choice = malloc(LUT_CHUNK), *wire = malloc(gbytes);
    uint64_t *msgs = malloc(G * N * sizeof(uint64_t)), *tmp = malloc(N * sizeof(uint64_t)),
             *tmp2 = malloc(N * sizeof(uint64_t));
    uint64_t *r = malloc(G * sizeof(uint64_t));
    if (choice == NULL || wire == NULL || msgs == NULL || tmp == NULL || tmp2 == NULL ||
        r == NULL)
        st = SIRNN_ERR_NOMEM;
    for (size_t off = begin; off < end && st == SIRNN_OK; off += LUT_CHUNK) {
        const size_t k = end - off < LUT_CHUNK ? end - off : LUT_CHUNK;
        if (server) {
            if ((st = sirnn_akk_send_rows(&kw, &ol->kk_send, ch, k)) != SIRNN_OK)
                break;
            for (size_t g0 = 0; g0 < k && st == SIRNN_OK; g0 += G) {
                const size_t g = k - g0 < G ? k - g0 : G;
                if (c->fill != NULL)
                    c->fill(c->fill_ctx, off + g0, g, msgs);
                sirnn_prg_ring(&lane->prg, r, g, l);
                for (size_t i = 0; i < g; i++) {
                    uint64_t *row = msgs + i * N;
                    /* per-element tables are rotated in place through tmp2 */
                    if (c->fill != NULL)
                        memcpy(tmp2, row, N * sizeof(uint64_t));
                    sirnn_lut_rotate(row, c->fill != NULL ? tmp2 : c->table, tmp,
                              c->idx[off + g0 + i] & im, m, r[i], lm);
                    c->out[off + g0 + i] = r[i];
                }
                sirnn_akk_send_group(&kw, &ol->kk_send, wire, msgs, g0, g, (unsigned)N, l);
                st = sirnn_channel_send(ch, wire, sirnn_pack_size(g * N, l));
            }
        } else {
            for (size_t i = 0; i < k; i++)
                choice[i] = (uint8_t)(c->idx[off + i] & im);
            if ((st = sirnn_akk_recv_u(&kw, &ol->kk_recv, ch, choice, k)) != SIRNN_OK)
                break;
            for (size_t g0 = 0; g0 < k && st == SIRNN_OK; g0 += G) {
                const size_t g = k - g0 < G ? k - g0 : G;
                if ((st = sirnn_channel_recv(ch, wire, sirnn_pack_size(g * N, l))) != SIRNN_OK)
                    break;
                sirnn_akk_recv_out(&kw, c->out + off + g0, wire, choice + g0, g0, g, (unsigned)N,
                                   l);
            }
        }
    }
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(ch);
    if (msgs != NULL)
        sirnn_memzero(msgs, G * N * sizeof(uint64_t));
    if (tmp != NULL)
        sirnn_memzero(tmp, N * sizeof(uint64_t));
    if (tmp2 != NULL)
        sirnn_memzero(tmp2, N * sizeof(uint64_t));
    if (r != NULL)
        sirnn_memzero(r, G * sizeof(uint64_t));
    if (choice != NULL)
        sirnn_memzero(choice, LUT_CHUNK);
    free(choice);
    free(wire);
    free(msgs);
    free(tmp);
    free(tmp2);
    free(r);
    sirnn_akk_ws_free(&kw);
    return st;
}

static sirnn_status lut_run(sirnn_party *party, size_t n, lut_ctx *c)
{
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    if ((st = sirnn_ot_ensure_setup(party)) != SIRNN_OK)
        return st;
    return sirnn_batch_run(party, n, lut_lane, c);
}

sirnn_status sirnn_lut(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *idx,
                       const uint64_t *table, size_t table_len, unsigned m, unsigned l)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    const int server = party->role == SIRNN_SERVER;
    if (m < 1 || m > 8 || l < 1 || l > 64 || NULL_WITH_N(n, out) || NULL_WITH_N(n, idx) ||
        (server && (table == NULL || table_len != ((size_t)1 << m))) ||
        (!server && table != NULL && table_len != ((size_t)1 << m)))
        return sirnn_arith_arg(party, "sirnn_lut",
                               "need 1 <= m <= 8, 1 <= l <= 64, a table of 2^m entries on the "
                               "server and non-NULL arrays");
    lut_ctx c = {.out = out, .idx = idx, .table = table, .m = m, .l = l};
    return lut_run(party, n, &c);
}

sirnn_status sirnn_lut_cb(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *idx,
                          sirnn_lut_fill_fn fill, void *ctx, unsigned m, unsigned l)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    const int server = party->role == SIRNN_SERVER;
    if (m < 1 || m > 8 || l < 1 || l > 64 || NULL_WITH_N(n, out) || NULL_WITH_N(n, idx) ||
        (server && fill == NULL))
        return sirnn_arith_arg(party, "sirnn_lut_cb",
                               "need 1 <= m <= 8, 1 <= l <= 64, a fill callback on the server "
                               "and non-NULL arrays");
    lut_ctx c = {.out = out, .idx = idx, .fill = server ? fill : NULL, .fill_ctx = ctx, .m = m,
                 .l = l};
    return lut_run(party, n, &c);
}
