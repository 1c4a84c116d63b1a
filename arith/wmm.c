/*
 * The two-phase product by party 0's clear weights, party 0 choosing on
 * its weight bits (contract in arith/wmm.h). OT (r, j, q, i) is at
 * i * E + e, e = (r d2 + j) d3 + q, E = d1 d2 d3: slot i holds the
 * elements' OTs of weight bit i, whose values are l - i bits.
 */
#include "arith/wmm.h"

#include <stdlib.h>
#include <string.h>

#include "arith/arith_internal.h"
#include "kernels/pack.h"
#include "kernels/prg.h"
#include "kernels/random.h"
#include "net/party_internal.h"
#include "ot/lane.h"

size_t sirnn_wmm_row_bytes(size_t d2, size_t d3, unsigned k)
{
    (void)k;
    return d2 * d3 * 4 * 8; /* finish's arrays of d1 d2 d3 words */
}

void sirnn_wmm_free(sirnn_wmm *s)
{
    if (s->begun)
        sirnn_aiknp_ws_free(&s->ot);
    sirnn_arith_zfree(s->choice, s->nots);
    memset(s, 0, sizeof(*s));
}

sirnn_status sirnn_wmm_begin(sirnn_party *party, sirnn_wmm *s, size_t d1, size_t d2, size_t d3,
                             const uint64_t *w, unsigned k, unsigned l)
{
    memset(s, 0, sizeof(*s));
    if (party == NULL)
        return SIRNN_ERR_ARG;
    const int server = party->role == SIRNN_SERVER;
    if (k < 1 || k > l || l > 64 || (server && d2 * d3 > 0 && w == NULL) ||
        (d2 > 0 && d1 > SIZE_MAX / d2 / (d3 + 1) / 64))
        return sirnn_arith_arg(party, "sirnn_wmm_begin",
                               "need 1 <= k <= l <= 64, the weights on party 0, sizes in range");
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK)
        return st;
    s->d1 = d1;
    s->d2 = d2;
    s->d3 = d3;
    s->k = k;
    s->l = l;
    s->w = w;
    s->nots = d2 * d3 * k;
    if (s->nots == 0 || d1 == 0)
        return SIRNN_OK;
    if ((st = sirnn_ot_ensure_setup(party)) != SIRNN_OK)
        return st;
    st = server ? sirnn_aiknp_ws_init_roles(&s->ot, 0, s->nots)
                : sirnn_aiknp_ws_init_roles(&s->ot, s->nots, 0);
    if (st != SIRNN_OK)
        return st;
    s->begun = 1;
    sirnn_lane *lane = &party->lanes[0];
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    if (server) {
        s->choice = sirnn_arith_zalloc(s->nots);
        if (s->choice == NULL)
            return SIRNN_ERR_NOMEM;
        const size_t J = d2 * d3;
        for (unsigned i = 0; i < k; i++)
            for (size_t jq = 0; jq < J; jq++)
                s->choice[(size_t)i * J + jq] = (uint8_t)((w[jq] >> i) & 1);
        st = sirnn_aiknp_recv_u(&s->ot, &ol->iknp_recv, &lane->ch, s->choice, s->nots);
    } else {
        st = sirnn_aiknp_send_rows(&s->ot, &ol->iknp_send, &lane->ch, s->nots);
    }
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(&lane->ch);
    return st;
}

/* The d1 pads of one OT from its hash: the hash's own words when d1 <= 2,
 * else AES-CTR seeded with it. */
static sirnn_status pads_of(const sirnn_block *seed, uint64_t *out, size_t d1, unsigned len)
{
    if (d1 <= 2) {
        uint64_t w[2];
        memcpy(w, seed, sizeof(w));
        for (size_t r = 0; r < d1; r++)
            out[r] = w[r] & sirnn_mask(len);
        sirnn_memzero(w, sizeof(w));
        return SIRNN_OK;
    }
    sirnn_prg prg;
    sirnn_status st = sirnn_prg_init(&prg, seed, 0);
    if (st == SIRNN_OK)
        sirnn_prg_ring(&prg, out, d1, len);
    sirnn_prg_free(&prg);
    return st;
}

sirnn_status sirnn_wmm_finish(sirnn_party *party, sirnn_wmm *s, uint64_t *out,
                              const uint64_t *a)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    const size_t d1 = s->d1, d2 = s->d2, d3 = s->d3, E = d1 * d2 * d3;
    if ((d1 * d3 > 0 && out == NULL) || (d1 * d2 > 0 && a == NULL))
        return sirnn_arith_arg(party, "sirnn_wmm_finish", "NULL array");
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK)
        return st;
    const int server = party->role == SIRNN_SERVER;
    const unsigned k = s->k, l = s->l;
    const uint64_t lm = sirnn_mask(l);
    /* party 0's local part A0 W; party 1 starts from 0 */
    for (size_t r = 0; r < d1; r++)
        for (size_t q = 0; q < d3; q++) {
            uint64_t acc = 0;
            if (server)
                for (size_t j = 0; j < d2; j++) {
                    /* sign-extended from k bits without a branch on the
                     * (secret) weight: (w ^ 2^(k-1)) - 2^(k-1) */
                    const uint64_t top = (uint64_t)1 << (k - 1);
                    const uint64_t ws = ((s->w[j * d3 + q] & sirnn_mask(k)) ^ top) - top;
                    acc += a[r * d2 + j] * ws;
                }
            out[r * d3 + q] = acc & lm;
        }
    if (E == 0)
        return SIRNN_OK;
    sirnn_lane *lane = &party->lanes[0];
    const size_t J = d2 * d3;
    /* per OT (i, jq) a vector of d1 pads from its hash (AES-CTR), in the
     * order e = (r d2 + j) d3 + q of the wire */
    uint64_t *v = sirnn_arith_zalloc(E * 8), *t0 = sirnn_arith_zalloc(E * 8),
             *t1 = sirnn_arith_zalloc(E * 8), *pad = sirnn_arith_zalloc(d1 * 8 + 8);
    uint8_t *wire = sirnn_arith_zalloc(E * 8 + 64);
    if (v == NULL || t0 == NULL || t1 == NULL || pad == NULL || wire == NULL)
        st = SIRNN_ERR_NOMEM;
    for (unsigned i = 0; st == SIRNN_OK && i < k; i++) {
        const unsigned len = l - i;
        const uint64_t neg = i + 1 == k ? 1 : 0; /* the sign bit weighs -2^(k-1) */
        const sirnn_block *h0 = s->ot.h0 + (size_t)i * J;
        if (!server) {
            const sirnn_block *h1 = s->ot.h1 + (size_t)i * J;
            for (size_t jq = 0; st == SIRNN_OK && jq < J; jq++) {
                const size_t j = jq / d3;
                /* x = PRG(H(q)), y = x + value - PRG(H(q ^ Delta)) */
                if ((st = pads_of(&h0[jq], pad, d1, len)) != SIRNN_OK)
                    break;
                for (size_t r = 0; r < d1; r++) {
                    const uint64_t x = a[r * d2 + j];
                    t0[r * J + jq] = pad[r];
                    v[r * J + jq] = pad[r] + (neg ? (uint64_t)0 - x : x);
                }
                if ((st = pads_of(&h1[jq], pad, d1, len)) != SIRNN_OK)
                    break;
                for (size_t r = 0; r < d1; r++)
                    v[r * J + jq] = (v[r * J + jq] - pad[r]) & sirnn_mask(len);
            }
            if (st != SIRNN_OK)
                break;
            for (size_t e = 0; e < E; e++) {
                const size_t r = e / J, q = e % d3;
                out[r * d3 + q] = (out[r * d3 + q] - (t0[e] << i)) & lm;
            }
            sirnn_pack(wire, v, E, len);
            st = sirnn_channel_send(&lane->ch, wire, sirnn_pack_size(E, len));
        } else {
            st = sirnn_channel_recv(&lane->ch, wire, sirnn_pack_size(E, len));
            if (st != SIRNN_OK)
                break;
            sirnn_unpack(t1, wire, E, len);
            for (size_t jq = 0; st == SIRNN_OK && jq < J; jq++) {
                /* H(t) = H(q ^ c Delta): PRG(H(t)) + c y = x + c value */
                if ((st = pads_of(&h0[jq], pad, d1, len)) != SIRNN_OK)
                    break;
                const uint64_t c = (uint64_t)0 - (uint64_t)(s->choice[(size_t)i * J + jq] & 1);
                for (size_t r = 0; r < d1; r++)
                    t0[r * J + jq] = pad[r] + (t1[r * J + jq] & c);
            }
            for (size_t e = 0; st == SIRNN_OK && e < E; e++) {
                const size_t r = e / J, q = e % d3;
                out[r * d3 + q] = (out[r * d3 + q] + (t0[e] << i)) & lm;
            }
        }
    }
    if (st == SIRNN_OK && !server)
        st = sirnn_channel_flush(&lane->ch);
    sirnn_arith_zfree(pad, d1 * 8 + 8);
    sirnn_arith_zfree(v, E * 8);
    sirnn_arith_zfree(t0, E * 8);
    sirnn_arith_zfree(t1, E * 8);
    sirnn_arith_zfree(wire, E * 8 + 64);
    return st;
}
