/*
 * Lookup tables (SIRNN): an m-bit shared index into one or several tables of
 * 2^m entries with one KK13 1-of-2^m OT per element and group of tables.
 * Party 1 chooses with its index share i1; party 0 sends, for every v,
 * T[(i0 + v) mod 2^m] - r with r its fresh output share, so party 1
 * receives T[i] - r. Several tables share one OT by concatenating their
 * entries into one message of at most 64 bits (a group): each field is
 * reduced mod its own width, so the subtraction of r is done field by field
 * (no borrow crosses a field). Party 0 rotates the table by its share with a
 * constant-time barrel shifter (m passes of masked selects; 16-bit values in
 * registers when the message has at most 16 bits), never indexing memory
 * with i0. A lane works on groups of windows of LUT_WINDOWS * SIRNN_WINDOW
 * elements, as many as the session's memory cap holds (lut_group_cap):
 * party 1 queues the columns of the group's OTs, party 0 reads them all,
 * then builds, packs and queues the messages 64 OTs at a time (so memory is
 * the group's OT rows and hashes, O(64 * 2^m) for the messages and O(8 * 2^m * ntab)
 * for per-element tables): two flights per group, one group up to 2^21
 * elements of one OT per lane at the default 64 MiB.
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

/* A lookup window is LUT_WINDOWS lane windows: party 0 holds 32 bytes of OT
 * rows and party 1 9 bytes per OT, and callers look several digits or
 * tables of one window up in one call. */
enum { G = SIRNN_AKK_GROUP, MAX_TABS = 64, LUT_WINDOWS = 4, LUT_MAX_SET = SIRNN_LUT_MAX_SET };

/* Elements per hash-and-pack step on the sender: their pads and messages
 * (2 * SUB * 2^m * 8 bytes) stay in L1 between the hash, the rotation and the
 * packing. SUB * 2^m * l bits is a whole number of bytes for every m and l,
 * so the steps of a group pack to the same bytes as the whole group. */
enum { SUB = 8 };

/* Tables [t0, t1) share one OT whose message has l bits; top has the top
 * bit of every field (for the field-wise subtraction). */
typedef struct lut_group {
    unsigned t0, t1, l;
    uint64_t top;
} lut_group;

typedef struct lut_ctx {
    uint64_t *out;               /* table-major: out[t * n + e] */
    const uint64_t *idx;
    size_t n;
    const uint64_t *packed;      /* party 0's batch tables, one packed row per group */
    sirnn_lut_fill_fn fill;      /* per-element tables (party 0) */
    void *fill_ctx;
    unsigned m, ntab, ngroups;
    unsigned width[MAX_TABS], shift[MAX_TABS]; /* field t: bits [shift, shift + width) */
    lut_group grp[MAX_TABS];
    int nwrap;                   /* fields that are wraps of other fields */
    int wsrc[MAX_TABS];          /* field t: the field whose wrap it is, or -1 */
    uint64_t woff[MAX_TABS];     /* the public offset party 0 adds to that field's share */
    int unmasked;                /* party 0's output shares are 0 (sirnn_lut_req) */
} lut_ctx;

/* Pack tables into groups in order, each at most 64 bits of fields. */
static void lut_layout(lut_ctx *c, unsigned ntab, const unsigned *widths)
{
    c->ntab = ntab;
    c->ngroups = 0;
    c->nwrap = 0;
    for (unsigned t = 0; t < ntab; t++)
        c->wsrc[t] = -1;
    for (unsigned t = 0; t < ntab; t++) {
        lut_group *g = c->ngroups > 0 ? &c->grp[c->ngroups - 1] : NULL;
        if (g == NULL || g->l + widths[t] > 64) {
            g = &c->grp[c->ngroups++];
            g->t0 = t;
            g->l = 0;
            g->top = 0;
        }
        c->width[t] = widths[t];
        c->shift[t] = g->l;
        g->l += widths[t];
        g->top |= (uint64_t)1 << (g->l - 1);
        g->t1 = t + 1;
    }
}

/* Entry v of group j from ntab rows of N entries (row t at rows[t * N]). */
static void lut_pack_row(const lut_ctx *c, unsigned j, uint64_t *dst, const uint64_t *rows,
                         size_t N)
{
    const lut_group *g = &c->grp[j];
    for (size_t v = 0; v < N; v++) {
        uint64_t e = 0;
        for (unsigned t = g->t0; t < g->t1; t++)
            e |= (rows[t * N + v] & sirnn_mask(c->width[t])) << c->shift[t];
        dst[v] = e;
    }
}

/* row[v] = row[v] - r field by field (each field mod its width): set the top
 * bit of every field of the minuend and clear it in the subtrahend so that
 * no borrow leaves a field, then fix the top bits. */
static void lut_sub_fields(uint64_t *row, size_t N, uint64_t r, uint64_t top, uint64_t lm)
{
    for (size_t v = 0; v < N; v++) {
        const uint64_t p = row[v];
        row[v] = (((p | top) - (r & ~top)) ^ ((p ^ ~r) & top)) & lm;
    }
}

/* One lane's buffers: party 0's message scratch, party 1's choices, and the
 * OT workspace of one window (party 0 holds the rows, party 1 the hashes). */
typedef struct lut_ws {
    size_t kc;                 /* elements per window */
    size_t gbytes;             /* packed messages of one group of G elements, all groups */
    sirnn_akk_ws kw;
    uint8_t *choice, *wire;
    uint64_t *msgs, *tmp, *pk, *tables, *r;
    uint16_t *tab16;           /* party 0: batch tables of groups of <= 16 bits */
    size_t choice_bytes, fill_bytes, tab16_bytes;
} lut_ws;

static void lut_ws_free(lut_ws *w, const lut_ctx *c)
{
    const size_t N = (size_t)1 << c->m;
    /* scratch buffers are wiped on release */
    sirnn_scratch_free(w->choice, w->choice_bytes);
    sirnn_scratch_free(w->wire, w->gbytes);
    sirnn_scratch_free(w->msgs, SUB * N * sizeof(uint64_t));
    sirnn_scratch_free(w->tmp, N * sizeof(uint64_t));
    sirnn_scratch_free(w->pk, N * sizeof(uint64_t));
    sirnn_scratch_free(w->tables, w->fill_bytes);
    sirnn_scratch_free(w->tab16, w->tab16_bytes);
    sirnn_scratch_free(w->r, c->ngroups * G * sizeof(uint64_t));
    sirnn_akk_ws_free(&w->kw);
    memset(w, 0, sizeof(*w));
}

static sirnn_status lut_ws_init(lut_ws *w, const lut_ctx *c, int server, size_t kc)
{
    const unsigned ng = c->ngroups;
    const size_t N = (size_t)1 << c->m;
    memset(w, 0, sizeof(*w));
    w->kc = kc;
    size_t narrow = 0;
    for (unsigned j = 0; j < ng; j++) {
        w->gbytes += sirnn_pack_size(G * N, c->grp[j].l);
        narrow += c->grp[j].l <= 16;
    }
    w->fill_bytes = server && c->fill != NULL ? SUB * c->ntab * N * sizeof(uint64_t) : 0;
    w->tab16_bytes = server && c->fill == NULL && narrow ? ng * N * sizeof(uint16_t) : 0;
    sirnn_status st = server ? sirnn_akk_ws_init_roles(&w->kw, kc * ng, 0)
                             : sirnn_akk_ws_init_roles(&w->kw, 0, kc * ng);
    w->choice_bytes = server ? 1 : kc * ng;
    w->choice = sirnn_scratch_alloc(w->choice_bytes);
    w->wire = sirnn_scratch_alloc(w->gbytes);
    w->msgs = sirnn_scratch_alloc(SUB * N * sizeof(uint64_t));
    w->tmp = sirnn_scratch_alloc(N * sizeof(uint64_t));
    w->pk = sirnn_scratch_alloc(N * sizeof(uint64_t));
    w->tables = w->fill_bytes ? sirnn_scratch_alloc(w->fill_bytes) : NULL;
    w->tab16 = w->tab16_bytes ? sirnn_scratch_alloc(w->tab16_bytes) : NULL;
    w->r = sirnn_scratch_alloc(ng * G * sizeof(uint64_t));
    if (st == SIRNN_OK &&
        (w->choice == NULL || w->wire == NULL || w->msgs == NULL || w->tmp == NULL ||
         w->pk == NULL || w->r == NULL || (w->fill_bytes && w->tables == NULL) ||
         (w->tab16_bytes && w->tab16 == NULL)))
        st = SIRNN_ERR_NOMEM;
    if (st == SIRNN_OK && w->tab16 != NULL)
        for (size_t v = 0; v < ng * N; v++)
            w->tab16[v] = (uint16_t)c->packed[v];
    if (st != SIRNN_OK)
        lut_ws_free(w, c);
    return st;
}

/* Party 0: the message row of group j for one element: the group's row
 * (batch table, or the element's own tables at rows) rotated by the index
 * share sh, minus the output share ri (field by field for several tables). */
static void lut_row(const lut_ctx *c, lut_ws *w, unsigned j, uint64_t *row, const uint64_t *rows,
                    uint64_t sh, uint64_t ri)
{
    const lut_group *gr = &c->grp[j];
    const unsigned m = c->m, l = gr->l;
    const size_t N = (size_t)1 << m;
    const uint64_t lm = sirnn_mask(l);
    const int single = gr->t1 - gr->t0 == 1;
    const uint64_t rr = single ? ri : 0; /* one table: subtract r in the rotation */
    /* (no pointer arithmetic on packed when there is no batch table) */
    const uint64_t *src = rows == NULL ? c->packed + j * N : NULL;
    if (rows != NULL) {
        src = rows + gr->t0 * N;
        if (!single) {
            lut_pack_row(c, j, w->pk, rows, N);
            src = w->pk;
        }
    }
    if (l > 16)
        sirnn_lut_rotate(row, src, w->tmp, sh, m, rr, lm);
    else if (rows != NULL)
        sirnn_lut_rotate16w(row, src, sh, m, rr, lm);
    else
        sirnn_lut_rotate16(row, w->tab16 + j * N, sh, m, rr, lm);
    if (!single)
        lut_sub_fields(row, N, ri, gr->top, lm);
}

/* Party 0: the wrap fields of group j in one element's message row. Field
 * s of row[v] is party 1's share y_v of that output, party 0's is r_s, so
 * the wrap of (r_s + off mod 2^ws, y_v) is bit ws of their sum; field t
 * (one bit) becomes party 0's share r_t XOR that bit. ws <= 63. */
static void lut_wrap_fields(const lut_ctx *c, unsigned j, uint64_t *row, size_t N, uint64_t ri)
{
    const lut_group *gr = &c->grp[j];
    for (unsigned t = gr->t0; t < gr->t1; t++) {
        if (c->wsrc[t] < 0)
            continue;
        const unsigned sf = (unsigned)c->wsrc[t], ws = c->width[sf];
        const uint64_t wm = sirnn_mask(ws);
        const uint64_t r0 = (((ri >> c->shift[sf]) & wm) + c->woff[t]) & wm;
        const uint64_t rt = (ri >> c->shift[t]) & 1, bit = (uint64_t)1 << c->shift[t];
        for (size_t v = 0; v < N; v++) {
            const uint64_t y = (row[v] >> c->shift[sf]) & wm;
            const uint64_t wrap = ((y + r0) >> ws) & 1;
            row[v] = (row[v] & ~bit) | ((wrap ^ rt) << c->shift[t]);
        }
    }
}

/* Party 0, one window: read the columns of all its OTs. */
static sirnn_status lut_send_rows(const lut_ctx *c, lut_ws *w, sirnn_lane *lane, size_t k)
{
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    return sirnn_akk_send_rows(&w->kw, &ol->kk_send, &lane->ch, k * c->ngroups);
}

/* Party 0, one window [off, off + k) whose columns it has read: queue the
 * messages 64 elements at a time. */
static sirnn_status lut_send_msgs(const lut_ctx *c, lut_ws *w, sirnn_lane *lane, size_t off,
                                  size_t k)
{
    const unsigned ng = c->ngroups, ntab = c->ntab;
    const size_t N = (size_t)1 << c->m;
    const uint64_t im = sirnn_mask(c->m);
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    sirnn_channel *ch = &lane->ch;
    sirnn_status st = SIRNN_OK;
    for (size_t g0 = 0; g0 < k && st == SIRNN_OK; g0 += G) {
        const size_t g = k - g0 < G ? k - g0 : G;
        for (unsigned j = 0; j < ng; j++) {
            if (c->unmasked)
                memset(w->r + j * G, 0, g * sizeof(uint64_t));
            else
                sirnn_prg_ring(&lane->prg, w->r + j * G, g, c->grp[j].l);
        }
        for (size_t s0 = 0; s0 < g; s0 += SUB) {
            const size_t gs = g - s0 < SUB ? g - s0 : SUB, e0 = off + g0 + s0;
            uint64_t sh[SUB];
            /* every shift before any output: out may alias idx */
            for (size_t i = 0; i < gs; i++)
                sh[i] = c->idx[e0 + i] & im;
            if (c->fill != NULL)
                c->fill(c->fill_ctx, e0, gs, w->tables);
            uint8_t *wj = w->wire;
            for (unsigned j = 0; j < ng; j++) {
                const lut_group *gr = &c->grp[j];
                for (size_t i = 0; i < gs; i++) {
                    const uint64_t ri = w->r[j * G + s0 + i];
                    lut_row(c, w, j, w->msgs + i * N,
                            c->fill != NULL ? w->tables + i * ntab * N : NULL, sh[i], ri);
                    if (c->nwrap > 0)
                        lut_wrap_fields(c, j, w->msgs + i * N, N, ri);
                    for (unsigned t = gr->t0; t < gr->t1; t++)
                        c->out[t * c->n + e0 + i] = (ri >> c->shift[t]) & sirnn_mask(c->width[t]);
                }
                sirnn_akk_send_group(&w->kw, &ol->kk_send, wj + s0 * N * gr->l / 8, w->msgs,
                                     j * k + g0 + s0, gs, (unsigned)N, gr->l);
                wj += sirnn_pack_size(G * N, gr->l);
            }
        }
        uint8_t *wj = w->wire;
        for (unsigned j = 0; j < ng && st == SIRNN_OK; j++) {
            st = sirnn_channel_send(ch, wj, sirnn_pack_size(g * N, c->grp[j].l));
            wj += sirnn_pack_size(G * N, c->grp[j].l);
        }
    }
    return st;
}

/* Party 1, one window [off, off + k): queue the columns of all its OTs. */
static sirnn_status lut_recv_cols(const lut_ctx *c, lut_ws *w, sirnn_lane *lane, size_t off,
                                  size_t k)
{
    const unsigned ng = c->ngroups;
    const uint64_t im = sirnn_mask(c->m);
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    for (unsigned j = 0; j < ng; j++)
        for (size_t i = 0; i < k; i++)
            w->choice[j * k + i] = (uint8_t)(c->idx[off + i] & im);
    return sirnn_akk_recv_u(&w->kw, &ol->kk_recv, &lane->ch, w->choice, k * ng);
}

/* Party 1, the same window: take the messages 64 elements at a time. */
static sirnn_status lut_recv_msgs(const lut_ctx *c, lut_ws *w, sirnn_lane *lane, size_t off,
                                  size_t k)
{
    const unsigned ng = c->ngroups;
    const size_t N = (size_t)1 << c->m;
    sirnn_channel *ch = &lane->ch;
    sirnn_status st = SIRNN_OK;
    for (size_t g0 = 0; g0 < k && st == SIRNN_OK; g0 += G) {
        const size_t g = k - g0 < G ? k - g0 : G;
        for (unsigned j = 0; j < ng && st == SIRNN_OK; j++) {
            const lut_group *gr = &c->grp[j];
            if ((st = sirnn_channel_recv(ch, w->wire, sirnn_pack_size(g * N, gr->l))) != SIRNN_OK)
                break;
            sirnn_akk_recv_out(&w->kw, w->r, w->wire, w->choice + j * k + g0, j * k + g0, g,
                               (unsigned)N, gr->l);
            for (unsigned t = gr->t0; t < gr->t1; t++) {
                uint64_t *o = c->out + t * c->n + off + g0;
                const uint64_t wm = sirnn_mask(c->width[t]);
                for (size_t i = 0; i < g; i++)
                    o[i] = (w->r[i] >> c->shift[t]) & wm;
            }
        }
    }
    return st;
}

/* One or several lookups of the same element range: per window, party 1
 * queues the columns of all of them (one flight) and party 0 reads them
 * all before it queues any message (one flight). */
typedef struct lut_set {
    const lut_ctx *c;
    unsigned nc;
} lut_set;

/* Elements a lane takes through one pair of flights: as many lookup
 * windows (LUT_WINDOWS lane windows, or the test window when a test set
 * one) as the stream budget holds at party 0's 32 bytes of OT rows per OT
 * (party 1 holds 9), so that flights do not grow with the batch while
 * memory stays bounded by the session's cap (at 64 MiB, one lane: 2^21
 * elements of one OT each). One window on the silent backend. */
static size_t lut_group_cap(const sirnn_party *party, const lut_set *set, size_t begin,
                            size_t end)
{
    const size_t n = end - begin, base = sirnn_stream_window(begin, end);
    const size_t lw = base == sirnn_window_cap(begin, end) ? (size_t)LUT_WINDOWS * base : base;
    size_t ots = 0;
    for (unsigned i = 0; i < set->nc; i++)
        ots += set->c[i].ngroups;
    const size_t nw = n == 0 ? 1 : (n + lw - 1) / lw;
    const size_t kc = sirnn_stream_group(party, 2 * sizeof(sirnn_block) * ots * lw, nw) * lw;
    return n == 0 ? 1 : n < kc ? n : kc;
}

static sirnn_status lut_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                             void *vctx)
{
    const lut_set *set = vctx;
    const int server = party->role == SIRNN_SERVER;
    lut_ws w[LUT_MAX_SET];
    const size_t kc = lut_group_cap(party, set, begin, end);
    unsigned ready = 0;
    sirnn_status st = SIRNN_OK;
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    for (; ready < set->nc && st == SIRNN_OK; ready++) {
        if ((st = lut_ws_init(&w[ready], &set->c[ready], server, kc)) != SIRNN_OK)
            break;
        /* SIRNN_OT_SILENT: the OTs on log2 N random silent COTs each */
        unsigned lmax = 0;
        for (unsigned j = 0; j < set->c[ready].ngroups; j++)
            lmax = set->c[ready].grp[j].l > lmax ? set->c[ready].grp[j].l : lmax;
        st = sirnn_akk_ws_silent(&w[ready].kw, &ol->iknp_send, &ol->iknp_recv,
                                 1u << set->c[ready].m, lmax);
        if (st != SIRNN_OK) {
            lut_ws_free(&w[ready], &set->c[ready]);
            break;
        }
    }
    for (size_t off = begin; off < end && st == SIRNN_OK; off += kc) {
        const size_t k = end - off < kc ? end - off : kc;
        for (unsigned i = 0; i < set->nc && st == SIRNN_OK; i++)
            st = server ? lut_send_rows(&set->c[i], &w[i], lane, k)
                        : lut_recv_cols(&set->c[i], &w[i], lane, off, k);
        /* silent: the sender's tiles lead its messages; the receiver takes
         * its rows before it reads them, in the order of its choices */
        if (st == SIRNN_OK && server && set->nc > 0)
            st = sirnn_akk_send_emit(&w[0].kw, &lane->ch,
                                     sirnn_akk_send_mark(&w[0].kw, &lane->ch));
        for (unsigned i = 0; !server && i < set->nc && st == SIRNN_OK; i++)
            st = sirnn_akk_recv_rows(&w[i].kw, &lane->ch, w[i].choice,
                                     k * set->c[i].ngroups);
        for (unsigned i = 0; i < set->nc && st == SIRNN_OK; i++)
            st = server ? lut_send_msgs(&set->c[i], &w[i], lane, off, k)
                        : lut_recv_msgs(&set->c[i], &w[i], lane, off, k);
    }
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(&lane->ch);
    for (unsigned i = 0; i < ready; i++)
        lut_ws_free(&w[i], &set->c[i]);
    return st;
}

static sirnn_status lut_run_set(sirnn_party *party, size_t n, const lut_ctx *c, unsigned nc)
{
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    if ((st = sirnn_ot_ensure_setup(party)) != SIRNN_OK)
        return st;
    lut_set set = {c, nc};
    return sirnn_batch_run(party, n, lut_lane, &set);
}

static sirnn_status lut_run(sirnn_party *party, size_t n, lut_ctx *c)
{
    return lut_run_set(party, n, c, 1);
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
    /* one table is its own packed row (bits above l are masked off) */
    lut_ctx c = {.out = out, .idx = idx, .n = n, .packed = table, .m = m};
    lut_layout(&c, 1, &l);
    return lut_run(party, n, &c);
}

sirnn_status sirnn_lut_cb(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *idx,
                          sirnn_lut_fill_fn fill, void *ctx, unsigned m, unsigned l)
{
    return sirnn_lut_multi_cb(party, n, out, idx, fill, ctx, 1, m, &l);
}

static int bad_widths(unsigned ntab, const unsigned *widths)
{
    if (ntab < 1 || ntab > MAX_TABS || widths == NULL)
        return 1;
    int bad = 0;
    for (unsigned t = 0; t < ntab; t++)
        bad |= widths[t] < 1 || widths[t] > 64;
    return bad;
}

sirnn_status sirnn_lut_multi(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *idx,
                             const uint64_t *tables, size_t tables_len, unsigned ntab, unsigned m,
                             const unsigned *widths)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    const int server = party->role == SIRNN_SERVER;
    const size_t N = (size_t)1 << (m < 1 || m > 8 ? 0 : m);
    if (m < 1 || m > 8 || bad_widths(ntab, widths) || NULL_WITH_N(n, out) ||
        NULL_WITH_N(n, idx) || (server && (tables == NULL || tables_len != ntab * N)) ||
        (!server && tables != NULL && tables_len != ntab * N))
        return sirnn_arith_arg(party, "sirnn_lut_multi",
                               "need 1 <= m <= 8, 1 <= ntab <= 64, widths in 1..64, ntab tables "
                               "of 2^m entries on the server and non-NULL arrays");
    lut_ctx c = {.out = out, .idx = idx, .n = n, .m = m};
    lut_layout(&c, ntab, widths);
    uint64_t *packed = NULL;
    if (server && n > 0) {
        /* the batch tables, packed once per group */
        packed = sirnn_arith_zalloc(c.ngroups * N * sizeof(uint64_t));
        if (packed == NULL)
            return SIRNN_ERR_NOMEM;
        for (unsigned j = 0; j < c.ngroups; j++)
            lut_pack_row(&c, j, packed + j * N, tables, N);
    }
    c.packed = packed;
    const sirnn_status st = lut_run(party, n, &c);
    sirnn_arith_zfree(packed, c.ngroups * N * sizeof(uint64_t));
    return st;
}

sirnn_status sirnn_lut_multi_cb(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *idx,
                                sirnn_lut_fill_fn fill, void *ctx, unsigned ntab, unsigned m,
                                const unsigned *widths)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    const int server = party->role == SIRNN_SERVER;
    if (m < 1 || m > 8 || bad_widths(ntab, widths) || NULL_WITH_N(n, out) ||
        NULL_WITH_N(n, idx) || (server && fill == NULL))
        return sirnn_arith_arg(party, ntab == 1 ? "sirnn_lut_cb" : "sirnn_lut_multi_cb",
                               "need 1 <= m <= 8, 1 <= ntab <= 64, widths in 1..64, a fill "
                               "callback on the server and non-NULL arrays");
    lut_ctx c = {.out = out, .idx = idx, .n = n, .fill = server ? fill : NULL, .fill_ctx = ctx,
                 .m = m};
    lut_layout(&c, ntab, widths);
    return lut_run(party, n, &c);
}

sirnn_status sirnn_lut_several(sirnn_party *party, size_t n, const sirnn_lut_req *req,
                               unsigned nreq)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    const int server = party->role == SIRNN_SERVER;
    int bad = nreq < 1 || nreq > LUT_MAX_SET || req == NULL;
    lut_ctx c[LUT_MAX_SET];
    memset(c, 0, sizeof c);
    uint64_t *packed[LUT_MAX_SET] = {NULL};
    size_t packed_words[LUT_MAX_SET] = {0};
    for (unsigned i = 0; !bad && i < nreq; i++) {
        const sirnn_lut_req *r = &req[i];
        const unsigned m = r->m;
        bad = m < 1 || m > 8 || bad_widths(r->ntab, r->widths) || NULL_WITH_N(n, r->out) ||
              NULL_WITH_N(n, r->idx) || (server && r->tables == NULL && r->fill == NULL);
        if (bad)
            break;
        memset(&c[i], 0, sizeof(c[i]));
        c[i].out = r->out;
        c[i].idx = r->idx;
        c[i].n = n;
        c[i].m = m;
        c[i].fill = server && r->tables == NULL ? r->fill : NULL;
        c[i].fill_ctx = r->fill_ctx;
        c[i].unmasked = r->unmasked;
        lut_layout(&c[i], r->ntab, r->widths);
        for (unsigned t = 0; r->wrap_of != NULL && t < r->ntab; t++) {
            const unsigned sf = r->wrap_of[t];
            if (sf == SIRNN_LUT_NOWRAP)
                continue;
            /* one bit, the wrap of an earlier field of the same group, <= 63 bits */
            int grp_t = -1, grp_s = -1;
            for (unsigned j = 0; j < c[i].ngroups; j++) {
                if (t >= c[i].grp[j].t0 && t < c[i].grp[j].t1)
                    grp_t = (int)j;
                if (sf >= c[i].grp[j].t0 && sf < c[i].grp[j].t1)
                    grp_s = (int)j;
            }
            if (sf >= t || r->widths[t] != 1 || r->widths[sf] > 63 || grp_t != grp_s) {
                bad = 1;
                break;
            }
            c[i].wsrc[t] = (int)sf;
            c[i].woff[t] = r->wrap_off != NULL ? r->wrap_off[t] : 0;
            c[i].nwrap++;
        }
    }
    if (bad)
        return sirnn_arith_arg(party, "sirnn_lut_several",
                               "need 1..SIRNN_LUT_MAX_SET requests, 1 <= m <= 8, widths in "
                               "1..64, 1-bit wrap fields of an earlier field of <= 63 bits in "
                               "the same OT group, tables or a fill callback on the server "
                               "and non-NULL arrays");
    sirnn_status st = SIRNN_OK;
    for (unsigned i = 0; i < nreq && st == SIRNN_OK; i++) {
        if (server && n > 0 && req[i].tables != NULL) {
            const size_t N = (size_t)1 << req[i].m;
            packed_words[i] = c[i].ngroups * N;
            packed[i] = sirnn_arith_zalloc(packed_words[i] * sizeof(uint64_t));
            if (packed[i] == NULL) {
                st = SIRNN_ERR_NOMEM;
                break;
            }
            for (unsigned j = 0; j < c[i].ngroups; j++)
                lut_pack_row(&c[i], j, packed[i] + j * N, req[i].tables, N);
            c[i].packed = packed[i];
        }
    }
    if (st == SIRNN_OK)
        st = lut_run_set(party, n, c, nreq);
    for (unsigned i = 0; i < nreq; i++)
        sirnn_arith_zfree(packed[i], packed_words[i] * sizeof(uint64_t));
    return st;
}
