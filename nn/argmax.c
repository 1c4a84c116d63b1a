/*
 * The argmax of nn/argmax.h: one comparison round over all pairs of
 * scores, secure and cleartext, for the hand-written FastGRNN and the graph
 * runtime alike.
 */
#include <string.h>

#include "net/party_internal.h"
#include "nn/argmax.h"
#include "sirnn/arith.h"

static uint64_t mask_of(unsigned l)
{
    return l >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << l) - 1);
}

static int64_t signed_of(uint64_t v, unsigned b)
{
    v &= mask_of(b);
    return (b < 64 && (v >> (b - 1)) & 1) ? (int64_t)(v - ((uint64_t)1 << b)) : (int64_t)v;
}

static size_t pairs_of(size_t C)
{
    return C * (C - 1) / 2;
}

unsigned sirnn_argmax_loss_bits(size_t C)
{
    unsigned m = 1;
    while (((size_t)1 << m) < C)
        m++;
    return m;
}

size_t sirnn_argmax_work_words(size_t B, size_t C)
{
    return B * (pairs_of(C) + C) + B * C;
}

size_t sirnn_argmax_work_bytes(size_t B, size_t C)
{
    return B * (4 * pairs_of(C) + C);
}

unsigned sirnn_argmax_ref(size_t C, const uint64_t *val, unsigned b, uint64_t *cnt)
{
    const uint64_t mm = mask_of(sirnn_argmax_loss_bits(C));
    memset(cnt, 0, C * sizeof(uint64_t));
    for (size_t j = 0; j < C; j++)
        for (size_t k = j + 1; k < C; k++) {
            const uint64_t lt = signed_of(val[j], b) < signed_of(val[k], b);
            cnt[k] += 1 - lt;
            cnt[j] += lt;
        }
    uint64_t c = 0;
    for (size_t k = 0; k < C; k++)
        c += k * ((cnt[k] & mm) == 0);
    return (unsigned)(c & mask_of(b));
}

sirnn_status sirnn_argmax_secure(sirnn_party *party, size_t B, size_t C, uint64_t *out,
                                 const uint64_t *val, unsigned b, uint64_t *words,
                                 uint8_t *bytes)
{
    const size_t np = B * pairs_of(C);
    const int server = sirnn_party_role(party) == SIRNN_SERVER;
    const uint64_t mb = mask_of(b);
    const unsigned m = sirnn_argmax_loss_bits(C);
    const uint64_t mm = mask_of(m);
    /* pd: the differences, then the scores (then the B2A'd bits); cnt: the
     * loss counts. sd, sv: the MSBs of pd; then x, y, lt. */
    uint64_t *pd = words, *cnt = words + np + B * C;
    uint8_t *sd = bytes, *sv = bytes + np, *x = sv + B * C, *y = x + np, *lt = y + np;
    for (size_t i = 0, e = 0; i < B; i++) {
        const uint64_t *vi = val + i * C;
        for (size_t j = 0; j < C; j++)
            for (size_t k = j + 1; k < C; k++, e++)
                pd[e] = (vi[j] - vi[k]) & mb;
    }
    memcpy(pd + np, val, B * C * sizeof(uint64_t));
    sirnn_status st;
    SIRNN_PROFILED(party, "comparison (msb)", st, sirnn_msb(party, np + B * C, bytes, pd, b));
    if (st != SIRNN_OK)
        return st;
    for (size_t i = 0, e = 0; i < B; i++)
        for (size_t j = 0; j < C; j++)
            for (size_t k = j + 1; k < C; k++, e++) {
                x[e] = sv[i * C + j] ^ sv[i * C + k];
                y[e] = sv[i * C + j] ^ sd[e];
            }
    SIRNN_PROFILED(party, "and", st, sirnn_and(party, np, lt, x, y));
    for (size_t e = 0; st == SIRNN_OK && e < np; e++)
        lt[e] ^= sd[e];
    if (st == SIRNN_OK)
        SIRNN_PROFILED(party, "b2a", st, sirnn_b2a(party, np, pd, lt, m));
    if (st != SIRNN_OK)
        return st;
    for (size_t i = 0, e = 0; i < B; i++) {
        uint64_t *ci = cnt + i * C;
        memset(ci, 0, C * sizeof(uint64_t));
        for (size_t j = 0; j < C; j++)
            for (size_t k = j + 1; k < C; k++, e++) {
                /* k loses to j unless v_j < v_k: 1 - lt; j loses to k when lt */
                ci[k] += (server ? 1u : 0u) - pd[e];
                ci[j] += pd[e];
            }
        for (size_t k = 0; k < C; k++)
            ci[k] &= mm;
    }
    uint64_t tab[SIRNN_ARGMAX_MAX_CLASSES] = {0};
    tab[0] = 1;
    SIRNN_PROFILED(party, "lookup", st,
                   sirnn_lut(party, B * C, cnt, cnt, server ? tab : NULL, (size_t)1 << m, m, b));
    if (st != SIRNN_OK)
        return st;
    for (size_t i = 0; i < B; i++) {
        uint64_t c = 0;
        for (size_t k = 1; k < C; k++)
            c += k * cnt[i * C + k];
        out[i] = c & mb;
    }
    return SIRNN_OK;
}
