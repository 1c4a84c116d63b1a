/*
 * Most significant non-zero bit (SIRNN), and its cleartext model.
 *
 * x (l bits) is cut into c = ceil(l/d) digits u_j (sirnn_digdec), each
 * w_j <= d <= 8 bits. One KK13 1-of-2^(w_j) OT per digit (a lookup table
 * on the digit's arithmetic shares, XOR-masked so that every output bit is
 * a boolean share) gives, with bd = ceil(log2 w_0) bits,
 *   t_j = msnzb(u_j) (0 for u_j = 0), bd bits, and
 *   z_j = 1{u_j == 0} for j >= 1, y_0 = 1{u_0 == 1} for digit 0.
 * The suffix products s_j = AND of z_t over t > j (s_{c-1} = 1) come from a
 * Sklansky scan of ANDs. With j* the highest non-zero digit, s_j = 1 exactly
 * for j >= j*, so v_j = s_j XOR s_{j-1} (j >= 1) is 1 exactly at j = j* > 0,
 * and, since t_j = 0 for every zero digit, XOR over j of (s_j AND t_j) is
 * t_{j*}. That gives the boolean code (j*, t_{j*}) = (XOR_j v_j*j) << bd |
 * XOR_j (s_j AND t_j) of ceil(log2 c) + bd bits, and a last table lookup,
 * indexed by the XOR-shared code (party 0 permutes its table by XOR with
 * its code share), gives the one-hot vector and the index j* d + t_{j*}.
 * Code 0 (x = 0 or x = 1) maps to nothing; one-hot bit 0 is s_0 AND y_0,
 * which is 1 exactly for x = 1. So x = 0 gives an all-zero one-hot vector
 * and index 0.
 *
 * Every mask is fresh output of the lane's PRG (SCI leaves part of its
 * LUT masks uninitialised). Tables are public; party 0 rotates (or
 * XOR-permutes) them by its secret share with constant-time selects.
 * The batch goes in blocks of one stream window (SIRNN_WINDOW elements)
 * per lane: every sub-protocol (digdec, the lookups, the ANDs) takes a
 * block's elements through its flights at once, so the flights of a block
 * are those at n = 1 and do not grow up to a window per lane, and memory
 * is O(window * c) per lane whatever n is. The scratch a block needs after
 * the digits (about 60 bytes per element at l = 32, d = 8) is taken after
 * sirnn_digdec, whose own window state is the larger, and given back at
 * the end of the block, so that the two never add up.
 */
#include "sirnn/arith.h"
#include "sirnn/fixed.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/block.h"
#include "kernels/lutrot.h"
#include "kernels/pack.h"
#include "kernels/prg.h"
#include "kernels/random.h"
#include "arith/arith_internal.h"
#include "arith/otphase.h"
#include "ot/lane.h"

enum { G = SIRNN_AKK_GROUP };

/* ---------------- cleartext model ---------------- */

uint64_t sirnn_ref_msnzb(uint64_t x, unsigned l)
{
    const uint64_t v = x & sirnn_mask(l);
    unsigned k = 0;
    for (unsigned b = 1; b < 64; b++)
        if (v >> b)
            k = b;
    return k;
}

uint64_t sirnn_ref_msnzb_onehot(uint64_t x, unsigned l)
{
    const uint64_t v = x & sirnn_mask(l);
    return v == 0 ? 0 : (uint64_t)1 << sirnn_ref_msnzb(v, l);
}

/* ---------------- XOR-masked table lookups ---------------- */

/*
 * A family of T tables (T <= 64) evaluated on the same k elements: table t
 * has 2^m[t] public entries tab[t][v]; element i's index is idx[t][i], an
 * arithmetic share mod 2^m (xor_idx = 0) or a boolean share of m bits
 * (xor_idx = 1). Entry bits [0, xb) are output as boolean shares, bits
 * [xb, xb + ab) (a value mod 2^ab) as arithmetic shares: out[t][i] holds
 * the boolean part in its low xb bits and the arithmetic share above.
 * One KK13 OT per (table, element), tables in order, in windows of
 * SIRNN_WINDOW elements: party 1 chooses with its index share, party 0
 * sends the table shifted by its share, masked with its fresh output.
 */
typedef struct xl_job {
    unsigned T;
    unsigned m[64];
    const uint64_t *tab[64];
    const uint64_t *idx[64];
    uint64_t *out[64];
    unsigned xb, ab;
    int xor_idx;
} xl_job;

static unsigned xl_width(const xl_job *j)
{
    return j->xb + j->ab;
}

/* dst[v] = src[v ^ s] for v < 2^m, s secret: m passes of masked selects. */
static void xor_permute(uint64_t *dst, const uint64_t *src, uint64_t *tmp, uint64_t s, unsigned m)
{
    const size_t N = (size_t)1 << m;
    memcpy(dst, src, N * sizeof(uint64_t));
    for (unsigned b = 0; b < m; b++) {
        const uint64_t mk = 0 - ((s >> b) & 1);
        const size_t bit = (size_t)1 << b;
        for (size_t v = 0; v < N; v++)
            tmp[v] = dst[v] ^ ((dst[v] ^ dst[v ^ bit]) & mk);
        memcpy(dst, tmp, N * sizeof(uint64_t));
    }
}

static sirnn_status xl_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                            void *vctx)
{
    const xl_job *j = vctx;
    const int server = party->role == SIRNN_SERVER;
    const unsigned T = j->T, width = xl_width(j);
    const uint64_t xm = sirnn_mask(j->xb > 0 ? j->xb : 1) & (j->xb > 0 ? ~(uint64_t)0 : 0);
    const uint64_t am = j->ab > 0 ? sirnn_mask(j->ab) : 0;
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    sirnn_channel *ch = &lane->ch;
    const size_t ke = sirnn_window_cap(begin, end);
    sirnn_akk_ws kw;
    sirnn_status st = server ? sirnn_akk_ws_init_roles(&kw, ke * T, 0)
                             : sirnn_akk_ws_init_roles(&kw, 0, ke * T);
    unsigned nmax = 2;
    for (unsigned t = 0; t < T; t++)
        nmax = (1u << j->m[t]) > nmax ? 1u << j->m[t] : nmax;
    /* SIRNN_OT_SILENT: the OTs on log2 N random silent COTs each */
    if (st == SIRNN_OK)
        st = sirnn_akk_ws_silent(&kw, &ol->iknp_send, &ol->iknp_recv, nmax, width);
    if (st != SIRNN_OK) {
        sirnn_akk_ws_free(&kw);
        return st;
    }
    uint8_t *choice = malloc(ke * T), *wire = malloc(sirnn_pack_size((size_t)G * 256, 64) + 8);
    uint64_t *msgs = malloc((size_t)G * 256 * sizeof(uint64_t));
    uint64_t *tmp = malloc(256 * sizeof(uint64_t)), *r = malloc(2 * G * sizeof(uint64_t));
    if (choice == NULL || wire == NULL || msgs == NULL || tmp == NULL || r == NULL)
        st = SIRNN_ERR_NOMEM;
    for (size_t off = begin; off < end && st == SIRNN_OK; off += ke) {
        const size_t k = end - off < ke ? end - off : ke;
        if (server) {
            if ((st = sirnn_akk_send_rows(&kw, &ol->kk_send, ch, k * T)) != SIRNN_OK)
                break;
            /* silent: the tiles lead the messages */
            if ((st = sirnn_akk_send_emit(&kw, ch, sirnn_akk_send_mark(&kw, ch))) != SIRNN_OK)
                break;
            for (unsigned t = 0; t < T && st == SIRNN_OK; t++) {
                const unsigned m = j->m[t];
                const size_t N = (size_t)1 << m;
                const uint64_t im = sirnn_mask(m);
                for (size_t g0 = 0; g0 < k && st == SIRNN_OK; g0 += G) {
                    const size_t g = k - g0 < G ? k - g0 : G;
                    /* fresh masks: boolean part, arithmetic part */
                    sirnn_prg_bytes(&lane->prg, r, 2 * g * sizeof(uint64_t));
                    for (size_t i = 0; i < g; i++) {
                        uint64_t *row = msgs + i * N;
                        const uint64_t s = j->idx[t][off + g0 + i] & im;
                        if (j->xor_idx)
                            xor_permute(row, j->tab[t], tmp, s, m);
                        else
                            sirnn_lut_rotate(row, j->tab[t], tmp, s, m, 0, ~(uint64_t)0);
                        const uint64_t rx = r[2 * i] & xm, ra = r[2 * i + 1] & am;
                        for (size_t v = 0; v < N; v++) {
                            const uint64_t e = row[v];
                            row[v] = ((e ^ rx) & xm) |
                                     (j->ab > 0 ? (((e >> j->xb) - ra) & am) << j->xb : 0);
                        }
                        j->out[t][off + g0 + i] = rx | (j->ab > 0 ? ra << j->xb : 0);
                    }
                    sirnn_akk_send_group(&kw, &ol->kk_send, wire, msgs, (size_t)t * k + g0, g,
                                         (unsigned)N, width);
                    st = sirnn_channel_send(ch, wire, sirnn_pack_size(g * N, width));
                }
            }
        } else {
            for (unsigned t = 0; t < T; t++)
                for (size_t i = 0; i < k; i++)
                    choice[(size_t)t * k + i] = (uint8_t)(j->idx[t][off + i] & sirnn_mask(j->m[t]));
            if ((st = sirnn_akk_recv_u(&kw, &ol->kk_recv, ch, choice, k * T)) != SIRNN_OK ||
                (st = sirnn_akk_recv_rows(&kw, ch, choice, k * T)) != SIRNN_OK)
                break;
            for (unsigned t = 0; t < T && st == SIRNN_OK; t++) {
                const size_t N = (size_t)1 << j->m[t];
                for (size_t g0 = 0; g0 < k && st == SIRNN_OK; g0 += G) {
                    const size_t g = k - g0 < G ? k - g0 : G;
                    if ((st = sirnn_channel_recv(ch, wire, sirnn_pack_size(g * N, width))) !=
                        SIRNN_OK)
                        break;
                    sirnn_akk_recv_out(&kw, j->out[t] + off + g0, wire,
                                       choice + (size_t)t * k + g0, (size_t)t * k + g0, g,
                                       (unsigned)N, width);
                }
            }
        }
    }
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(ch);
    if (msgs != NULL)
        sirnn_memzero(msgs, (size_t)G * 256 * sizeof(uint64_t));
    if (tmp != NULL)
        sirnn_memzero(tmp, 256 * sizeof(uint64_t));
    if (r != NULL)
        sirnn_memzero(r, 2 * G * sizeof(uint64_t));
    if (choice != NULL)
        sirnn_memzero(choice, ke * T);
    free(choice);
    free(wire);
    free(msgs);
    free(tmp);
    free(r);
    sirnn_akk_ws_free(&kw);
    return st;
}

/* ---------------- MSNZB ---------------- */

static unsigned clog2(unsigned v)
{
    unsigned b = 0;
    while ((1u << b) < v)
        b++;
    return b;
}

typedef struct msnzb_plan {
    unsigned l, d, c, bd, cb, li;
    uint64_t dtab[2][256]; /* digit tables: [0] digit 0, [1] the others */
    uint64_t dtab_top[256];
    uint64_t ftab[2][128]; /* final tables: one-hot, index */
} msnzb_plan;

static unsigned dwidth(const msnzb_plan *p, unsigned j)
{
    return p->l - j * p->d < p->d ? p->l - j * p->d : p->d;
}

static void plan_tables(msnzb_plan *p)
{
    for (unsigned u = 0; u < 256; u++) {
        const uint64_t t = sirnn_ref_msnzb(u, 8);
        p->dtab[0][u] = t | (uint64_t)(u == 1) << p->bd;
        p->dtab[1][u] = t | (uint64_t)(u == 0) << p->bd;
    }
    const unsigned mcode = p->bd + p->cb;
    memset(p->ftab, 0, sizeof(p->ftab));
    for (unsigned code = 1; code < (1u << mcode); code++) {
        const unsigned jj = code >> p->bd, t = code & ((1u << p->bd) - 1u);
        if (jj >= p->c || t >= dwidth(p, jj))
            continue;
        const unsigned pos = jj * p->d + t;
        p->ftab[0][code] = (uint64_t)1 << pos;
        p->ftab[1][code] = pos;
    }
}

/* Scratch of one block of up to kmax elements: the digits for the whole
 * call, the rest (ws_work) from the digit lookups to the end of a block. */
typedef struct msnzb_ws {
    size_t c, kmax, nb;         /* digits, elements, boolean vectors per element */
    uint64_t *dig;              /* c * kmax digits, then digit outputs */
    uint64_t *lo, *code;        /* kmax each (lo: and 256 words of a final table) */
    uint8_t *s, *a, *b, *o;     /* boolean work arrays */
} msnzb_ws;

/* Give back the work arrays of a block (wiped: they hold shares). */
static void ws_work_free(msnzb_ws *w)
{
    const size_t k = w->kmax;
    sirnn_arith_zfree(w->lo, (k + 256) * sizeof(uint64_t));
    sirnn_arith_zfree(w->code, k * sizeof(uint64_t));
    sirnn_arith_zfree(w->s, w->c * k);
    sirnn_arith_zfree(w->a, w->nb * k);
    sirnn_arith_zfree(w->b, w->nb * k);
    sirnn_arith_zfree(w->o, w->nb * k);
    w->lo = w->code = NULL;
    w->s = w->a = w->b = w->o = NULL;
}

/* The work arrays of a block, taken after sirnn_digdec; -1: out of memory. */
static int ws_work(msnzb_ws *w)
{
    const size_t k = w->kmax;
    if (w->lo != NULL)
        return 0;
    w->lo = sirnn_arith_zalloc((k + 256) * sizeof(uint64_t));
    w->code = sirnn_arith_zalloc(k * sizeof(uint64_t));
    w->s = sirnn_arith_zalloc(w->c * k);
    w->a = sirnn_arith_zalloc(w->nb * k);
    w->b = sirnn_arith_zalloc(w->nb * k);
    w->o = sirnn_arith_zalloc(w->nb * k);
    if (w->lo && w->code && w->s && w->a && w->b && w->o)
        return 0;
    ws_work_free(w);
    return -1;
}

static void ws_free(msnzb_ws *w)
{
    ws_work_free(w);
    sirnn_arith_zfree(w->dig, w->c * w->kmax * sizeof(uint64_t));
    w->dig = NULL;
}

/* The digits of blocks of up to kmax elements; -1: out of memory. */
static int ws_init(msnzb_ws *w, const msnzb_plan *p, size_t kmax)
{
    memset(w, 0, sizeof(*w));
    w->c = p->c;
    w->kmax = kmax;
    w->nb = (size_t)(p->c - 1) * p->bd + p->c + 1;
    w->dig = sirnn_arith_zalloc(w->c * kmax * sizeof(uint64_t));
    return w->dig != NULL ? 0 : -1;
}

/* Elements of a block: one stream window per lane (sirnn_stream_window:
 * SIRNN_WINDOW, or a test's smaller window) up to cap, all lanes together,
 * so that each lane's part of a block goes through every sub-protocol's
 * flights at once. sirnn_msnzb caps it at MSNZB_BLOCK_MAX to hold the
 * peak memory: a (32, 8) block with its one-hot and index outputs costs
 * about 450 bytes an element (both parties; digdec's window state and the
 * digit lookups' OTs, which party 0 holds until it has read all of party
 * 1's columns), so a whole 65,536-element window raised the peak of
 * `sirnn-bench msnzb n=1048576` from 122 to 149 MB; 8,192 keeps it at
 * 123-124 MB (GNU time's maximum resident size, KiB / 1000).
 * sirnn_msnzb_code (16-bit codes for div_norm and rsqrt) takes the whole
 * window: capped, it added 4 flights to rsqrt at 16,384 elements. */
#ifndef MSNZB_BLOCK_MAX
#define MSNZB_BLOCK_MAX 8192
#endif
static size_t block_elems(const sirnn_party *party, size_t cap)
{
    size_t w = sirnn_stream_window(0, SIZE_MAX);
    if (w > cap)
        w = cap;
    return w * (party->nlanes > 0 ? party->nlanes : 1);
}

/* One AND step of the chain after the digit lookups: its chooser is the
 * party that sent the previous step's last flight (party 0 after the
 * lookups, then alternating), so that the AND's columns ride in that
 * flight and each AND adds one flight, not two; the chain ends with party
 * 1's answers when the number of steps is odd, so that a following lookup's
 * columns ride there too. *chooser is updated for the next step. */
static sirnn_status run_and(sirnn_party *party, size_t n, uint8_t *out, const uint8_t *a,
                            const uint8_t *b, int *chooser)
{
    if (n == 0)
        return SIRNN_OK;
    const int by = *chooser;
    *chooser = by == SIRNN_SERVER ? SIRNN_CLIENT : SIRNN_SERVER;
    return sirnn_and_by(party, n, out, a, b, by);
}

/* Steps 1 to 5 on one block: w->code gets the XOR-shared code, and the
 * returned pointer (into w->o, or NULL on failure with *stp set) bit0. */
static uint8_t *msnzb_code_block(sirnn_party *party, const msnzb_plan *p, msnzb_ws *w,
                                 size_t off, const uint64_t *x, size_t kb, sirnn_status *stp)
{
    const int server = party->role == SIRNN_SERVER;
    const unsigned c = p->c, bd = p->bd;
    int chooser = SIRNN_SERVER; /* the lookups' answers are party 0's */
    sirnn_status st;
    /* 1. digits */
    if ((st = sirnn_digdec(party, kb, w->dig, x + off, p->l, p->d)) != SIRNN_OK)
        return *stp = st, (uint8_t *)NULL;
    if (ws_work(w) != 0)
        return *stp = SIRNN_ERR_NOMEM, (uint8_t *)NULL;
    /* 2. one table per digit, in place: out = t_j | flag << bd */
    xl_job dj;
    memset(&dj, 0, sizeof(dj));
    dj.T = c;
    dj.xb = bd + 1;
    for (unsigned j = 0; j < c; j++) {
        dj.m[j] = dwidth(p, j);
        dj.tab[j] = p->dtab[j == 0 ? 0 : 1];
        dj.idx[j] = w->dig + (size_t)j * kb;
        dj.out[j] = w->dig + (size_t)j * kb;
    }
    if ((st = sirnn_batch_run(party, kb, xl_lane, &dj)) != SIRNN_OK)
        return *stp = st, (uint8_t *)NULL;
    /* 3. suffix products: s_j for j = 0..c-2 (s[j*kb + i]); s_{c-2} = z_{c-1}.
     * Scan over e_q = z_{c-1-q}, q = 0..c-2: P_q = AND of e_0..e_q = s_{c-2-q}. */
    const size_t K = c - 1;
    uint8_t *P = w->s; /* P[q*kb + i] */
    for (size_t q = 0; q < K; q++)
        for (size_t i = 0; i < kb; i++)
            P[q * kb + i] = (uint8_t)((w->dig[(c - 1 - q) * kb + i] >> bd) & 1);
    for (size_t span = 1; span < K; span *= 2) {
        /* Kogge-Stone-like step on blocks of 2*span: the upper half of each
         * block ANDs in the last prefix of the lower half (Sklansky). */
        size_t cnt = 0;
        for (size_t q = 0; q < K; q++)
            if ((q / span) % 2 == 1) {
                const size_t src = (q / span) * span - 1;
                memcpy(w->a + cnt * kb, P + q * kb, kb);
                memcpy(w->b + cnt * kb, P + src * kb, kb);
                cnt++;
            }
        if ((st = run_and(party, cnt * kb, w->o, w->a, w->b, &chooser)) != SIRNN_OK)
            return *stp = st, (uint8_t *)NULL;
        cnt = 0;
        for (size_t q = 0; q < K; q++)
            if ((q / span) % 2 == 1) {
                memcpy(P + q * kb, w->o + cnt * kb, kb);
                cnt++;
            }
    }
    /* s_j = P[(c-2-j)]; s_{c-1} = 1 (party 0 holds the 1). */
#define S_OF(j, i) ((j) + 1 == c ? (uint8_t)(server ? 1 : 0) : P[(size_t)(c - 2 - (j)) * kb + (i)])
    /* 4. s_j AND t_j (j < c-1, bd bits each) and s_0 AND y_0, one call. */
    size_t cnt = 0;
    if (c >= 2) {
        for (unsigned j = 0; j + 1 < c; j++)
            for (unsigned b = 0; b < bd; b++) {
                for (size_t i = 0; i < kb; i++) {
                    w->a[cnt * kb + i] = S_OF(j, i);
                    w->b[cnt * kb + i] = (uint8_t)((w->dig[(size_t)j * kb + i] >> b) & 1);
                }
                cnt++;
            }
        for (size_t i = 0; i < kb; i++) {
            w->a[cnt * kb + i] = S_OF(0, i);
            w->b[cnt * kb + i] = (uint8_t)((w->dig[i] >> bd) & 1);
        }
        cnt++;
        if ((st = run_and(party, cnt * kb, w->o, w->a, w->b, &chooser)) != SIRNN_OK)
            return *stp = st, (uint8_t *)NULL;
    }
    /* 5. the code, XOR-shared; bit0 = s_0 AND y_0 (y_0 itself when c = 1) */
    uint8_t *bit0 = w->o + (size_t)(c - 1) * bd * kb;
    for (size_t i = 0; i < kb; i++) {
        const uint64_t top = w->dig[(size_t)(c - 1) * kb + i];
        uint64_t lo = top & sirnn_mask(bd > 0 ? bd : 1) & (bd > 0 ? ~(uint64_t)0 : 0), jf = 0;
        for (unsigned j = 0; j + 1 < c; j++)
            for (unsigned b = 0; b < bd; b++)
                lo ^= (uint64_t)(w->o[((size_t)j * bd + b) * kb + i] & 1) << b;
        for (unsigned j = 1; j < c; j++) {
            const uint64_t v = (uint64_t)((S_OF(j, i) ^ S_OF(j - 1, i)) & 1);
            jf ^= (0 - v) & j;
        }
        if (c == 1)
            bit0[i] = (uint8_t)((top >> bd) & 1);
        w->code[i] = lo | jf << bd;
    }
#undef S_OF
    *stp = SIRNN_OK;
    return bit0;
}

static sirnn_status msnzb_block(sirnn_party *party, const msnzb_plan *p, msnzb_ws *w,
                                uint8_t *onehot, uint64_t *index, size_t n, size_t off,
                                const uint64_t *x, size_t kb)
{
    sirnn_status st;
    const unsigned bd = p->bd;
    const uint8_t *bit0 = msnzb_code_block(party, p, w, off, x, kb, &st);
    if (bit0 == NULL)
        return st;
    /* 6. the final table on the code */
    const unsigned mcode = bd + p->cb;
    const unsigned l = p->l;
    uint64_t *res1 = w->lo, *res2 = w->dig; /* dig is free now */
    const int single = onehot != NULL && index != NULL && l + p->li <= 64;
    if (mcode > 0) {
        xl_job fj;
        memset(&fj, 0, sizeof(fj));
        fj.xor_idx = 1;
        fj.T = 1;
        fj.m[0] = mcode;
        fj.idx[0] = w->code;
        if (single) {
            /* entries: one-hot | index << l, one OT */
            uint64_t *tab = w->lo + kb; /* 256 words of room after lo */
            for (unsigned v = 0; v < (1u << mcode); v++)
                tab[v] = p->ftab[0][v] | p->ftab[1][v] << l;
            fj.xb = l;
            fj.ab = p->li;
            fj.tab[0] = tab;
            fj.out[0] = res1;
            if ((st = sirnn_batch_run(party, kb, xl_lane, &fj)) != SIRNN_OK)
                return st;
        } else {
            if (onehot != NULL) {
                fj.xb = l;
                fj.ab = 0;
                fj.tab[0] = p->ftab[0];
                fj.out[0] = res1;
                if ((st = sirnn_batch_run(party, kb, xl_lane, &fj)) != SIRNN_OK)
                    return st;
            }
            if (index != NULL) {
                fj.xb = 0;
                fj.ab = p->li;
                fj.tab[0] = p->ftab[1];
                fj.out[0] = res2;
                if ((st = sirnn_batch_run(party, kb, xl_lane, &fj)) != SIRNN_OK)
                    return st;
            }
        }
        for (size_t i = 0; i < kb; i++) {
            const uint64_t oh = res1[i] & sirnn_mask(l);
            const uint64_t ix = single ? res1[i] >> l : res2[i];
            if (onehot != NULL) {
                onehot[off + i] = (uint8_t)((oh & 1) ^ bit0[i]);
                for (unsigned b = 1; b < l; b++)
                    onehot[(size_t)b * n + off + i] = (uint8_t)((oh >> b) & 1);
            }
            if (index != NULL)
                index[off + i] = ix & sirnn_mask(p->li);
        }
    } else {
        /* l = 1: one digit of one bit; its table gave y_0 = x. */
        for (size_t i = 0; i < kb; i++) {
            if (onehot != NULL)
                onehot[off + i] = (uint8_t)((w->dig[i] >> bd) & 1);
            if (index != NULL)
                index[off + i] = 0;
        }
    }
    return SIRNN_OK;
}

static void plan_make(msnzb_plan *p, unsigned l, unsigned d, unsigned li)
{
    p->l = l;
    p->d = d < l ? d : l;
    p->c = (l + p->d - 1) / p->d;
    p->bd = clog2(p->d);
    p->cb = clog2(p->c);
    p->li = li;
    plan_tables(p);
}

sirnn_status sirnn_msnzb(sirnn_party *party, size_t n, uint8_t *onehot, uint64_t *index,
                         const uint64_t *x, unsigned l, unsigned d, unsigned li)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (l < 1 || l > 64 || d < 1 || d > 8 || li < 1 || li > 64 ||
        (onehot == NULL && index == NULL) || (n > 0 && x == NULL))
        return sirnn_arith_arg(party, "sirnn_msnzb",
                               "need 1 <= l <= 64, 1 <= d <= 8, 1 <= li <= 64, an output and "
                               "non-NULL x");
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || n == 0)
        return st;
    if ((st = sirnn_ot_ensure_setup(party)) != SIRNN_OK)
        return st;
    msnzb_plan *p = malloc(sizeof(*p));
    if (p == NULL)
        return SIRNN_ERR_NOMEM;
    plan_make(p, l, d, li);
    const size_t B = block_elems(party, MSNZB_BLOCK_MAX);
    msnzb_ws w;
    if (ws_init(&w, p, n < B ? n : B) != 0)
        st = SIRNN_ERR_NOMEM;
    for (size_t off = 0; off < n && st == SIRNN_OK; off += B) {
        const size_t kb = n - off < B ? n - off : B;
        st = msnzb_block(party, p, &w, onehot, index, n, off, x, kb);
        ws_work_free(&w);
    }
    ws_free(&w);
    free(p);
    return st;
}

sirnn_status sirnn_msnzb_code(sirnn_party *party, size_t n, uint64_t *code, const uint64_t *x,
                              unsigned l, unsigned d, unsigned *mcode, uint8_t pos[256])
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    if (l < 2 || l > 64 || d < 1 || d > 8 || code == NULL || mcode == NULL || pos == NULL ||
        (n > 0 && x == NULL))
        return sirnn_arith_arg(party, "sirnn_msnzb_code",
                               "need 2 <= l <= 64, 1 <= d <= 8, outputs and non-NULL x");
    msnzb_plan *p = malloc(sizeof(*p));
    if (p == NULL)
        return SIRNN_ERR_NOMEM;
    plan_make(p, l, d, 8);
    *mcode = p->bd + p->cb;
    for (unsigned v = 0; v < 256; v++)
        pos[v] = (uint8_t)(v < (1u << *mcode) ? p->ftab[1][v] : 0);
    sirnn_status st = sirnn_party_usable(party);
    if (st == SIRNN_OK && n > 0)
        st = sirnn_ot_ensure_setup(party);
    if (st != SIRNN_OK || n == 0) {
        free(p);
        return st;
    }
    const size_t B = block_elems(party, SIZE_MAX);
    msnzb_ws w;
    if (ws_init(&w, p, n < B ? n : B) != 0)
        st = SIRNN_ERR_NOMEM;
    for (size_t off = 0; off < n && st == SIRNN_OK; off += B) {
        const size_t kb = n - off < B ? n - off : B;
        if (msnzb_code_block(party, p, &w, off, x, kb, &st) != NULL)
            for (size_t i = 0; i < kb; i++)
                code[off + i] = w.code[i] & sirnn_mask(*mcode);
        ws_work_free(&w);
    }
    ws_free(&w);
    free(p);
    return st;
}
