/*
 * Lookup tables (SIRNN): an m-bit shared index into a table of 2^m l-bit
 * entries with one KK13 1-of-2^m OT per element. Party 1 chooses with its
 * index share i1; party 0 sends, for every v, T[(i0 + v) mod 2^m] - r with r
 * its fresh output share, so party 1 receives T[i] - r. Party 0 rotates the
 * table by its share with a constant-time barrel shifter (m passes of
 * masked selects; 16-bit values in registers when l <= 16), never indexing
 * memory with i0. Messages are built, packed and queued 64 OTs at a time
 * (so memory is O(64 * 2^m) for the messages and the per-element tables,
 * whatever n is); the channel coalesces them into one flight.
 */
#include "arith/arith_internal.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/block.h"
#include "kernels/lutrot.h"
#include "kernels/pack.h"
#include "kernels/prg.h"
#include "kernels/random.h"
#include "kernels/scratch.h"
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

/* Elements per hash-and-pack step on the sender: their pads and messages
 * (2 * SUB * 2^m * 8 bytes) stay in L1 between the hash, the rotation and the
 * packing. SUB * 2^m * l bits is a whole number of bytes for every m and l,
 * so the steps of a group pack to the same bytes as the whole group. */
enum { SUB = 8 };

static sirnn_status lut_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                             void *vctx)
{
    const lut_ctx *c = vctx;
    const int server = party->role == SIRNN_SERVER;
    const unsigned m = c->m, l = c->l;
    const size_t N = (size_t)1 << m;
    const uint64_t im = sirnn_mask(m), lm = sirnn_mask(l);
    /* l <= 16: entries rotate as 16-bit values held in registers */
    const int narrow = l <= 16;
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    sirnn_channel *ch = &lane->ch;
    sirnn_akk_ws kw;
    sirnn_status st = sirnn_akk_ws_init(&kw, LUT_CHUNK);
    if (st != SIRNN_OK)
        return st;
    const size_t gbytes = sirnn_pack_size(G * N, l);
    const size_t fill_bytes = server && c->fill != NULL ? G * N * sizeof(uint64_t) : 0;
    const size_t tab16_bytes = server && c->fill == NULL && narrow ? N * sizeof(uint16_t) : 0;
    uint8_t *choice = sirnn_scratch_alloc(LUT_CHUNK), *wire = sirnn_scratch_alloc(gbytes);
    uint64_t *msgs = sirnn_scratch_alloc(SUB * N * sizeof(uint64_t)),
             *tmp = sirnn_scratch_alloc(N * sizeof(uint64_t)),
             *tables = fill_bytes ? sirnn_scratch_alloc(fill_bytes) : NULL;
    uint16_t *tab16 = tab16_bytes ? sirnn_scratch_alloc(tab16_bytes) : NULL;
    uint64_t *r = sirnn_scratch_alloc(G * sizeof(uint64_t));
    if (choice == NULL || wire == NULL || msgs == NULL || tmp == NULL || r == NULL ||
        (fill_bytes && tables == NULL) || (tab16_bytes && tab16 == NULL))
        st = SIRNN_ERR_NOMEM;
    if (st == SIRNN_OK && tab16 != NULL)
        for (size_t v = 0; v < N; v++)
            tab16[v] = (uint16_t)c->table[v];
    for (size_t off = begin; off < end && st == SIRNN_OK; off += LUT_CHUNK) {
        const size_t k = end - off < LUT_CHUNK ? end - off : LUT_CHUNK;
        if (server) {
            if ((st = sirnn_akk_send_rows(&kw, &ol->kk_send, ch, k)) != SIRNN_OK)
                break;
            for (size_t g0 = 0; g0 < k && st == SIRNN_OK; g0 += G) {
                const size_t g = k - g0 < G ? k - g0 : G;
                if (c->fill != NULL)
                    c->fill(c->fill_ctx, off + g0, g, tables);
                sirnn_prg_ring(&lane->prg, r, g, l);
                for (size_t s0 = 0; s0 < g; s0 += SUB) {
                    const size_t gs = g - s0 < SUB ? g - s0 : SUB;
                    for (size_t i = 0; i < gs; i++) {
                        const size_t e = off + g0 + s0 + i;
                        const uint64_t sh = c->idx[e] & im, ri = r[s0 + i];
                        uint64_t *row = msgs + i * N;
                        const uint64_t *src = c->fill != NULL ? tables + (s0 + i) * N : c->table;
                        if (!narrow)
                            sirnn_lut_rotate(row, src, tmp, sh, m, ri, lm);
                        else if (c->fill != NULL)
                            sirnn_lut_rotate16w(row, src, sh, m, ri, lm);
                        else
                            sirnn_lut_rotate16(row, tab16, sh, m, ri, lm);
                        c->out[e] = ri; /* after reading idx[e]: out may alias idx */
                    }
                    sirnn_akk_send_group(&kw, &ol->kk_send, wire + s0 * N * l / 8, msgs, g0 + s0,
                                         gs, (unsigned)N, l);
                }
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
    /* scratch buffers are wiped on release */
    sirnn_scratch_free(choice, LUT_CHUNK);
    sirnn_scratch_free(wire, gbytes);
    sirnn_scratch_free(msgs, SUB * N * sizeof(uint64_t));
    sirnn_scratch_free(tmp, N * sizeof(uint64_t));
    sirnn_scratch_free(tables, fill_bytes);
    sirnn_scratch_free(tab16, tab16_bytes);
    sirnn_scratch_free(r, G * sizeof(uint64_t));
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
