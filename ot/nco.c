/*
 * 1-of-N OT from log N random COTs on silent COTs (see ot/nco.h): the
 * whole-call form of the split-phase silent 1-of-N of ot/phase.h.
 */
#include "ot/nco.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/pack.h"
#include "kernels/scratch.h"
#include "ot/phase.h"

/* OTs per chunk (two flights): 256 KiB of messages, 1..8192 OTs. */
static size_t chunk_of(unsigned N, unsigned l)
{
    const size_t c = ((size_t)1 << 21) / ((size_t)N * l);
    return c < 1 ? 1 : c > 8192 ? 8192 : c;
}

/* The phases' workspace for one side and a chunk's packed messages. */
static sirnn_status nco_init(sirnn_akk_ws *w, uint8_t **wire, size_t *wire_len,
                             sirnn_iknp_sender *s, sirnn_iknp_receiver *r,
                             const sirnn_channel *ch, size_t C, unsigned N, unsigned l)
{
    sirnn_status st = sirnn_akk_ws_init_roles(w, s != NULL ? C : 0, r != NULL ? C : 0);
    if (st != SIRNN_OK)
        return st;
    st = sirnn_akk_ws_silent(w, s, r, N, l);
    if (st == SIRNN_OK && (w->nco_b == 0 || ch->mux != NULL))
        st = SIRNN_ERR_STATE; /* silent engines attached, no call group (ot.h) */
    *wire_len = sirnn_pack_size(C * N, l);
    *wire = st == SIRNN_OK ? sirnn_scratch_alloc(*wire_len) : NULL;
    if (st == SIRNN_OK && *wire == NULL)
        st = SIRNN_ERR_NOMEM;
    if (st != SIRNN_OK)
        sirnn_akk_ws_free(w);
    return st;
}

/*
 * Streaming: a batch of the phases' workspace is a group of chunks, as
 * many as the engine's stream budget (sirnn_iknp_sender.stream_bytes)
 * holds at about 16 (b + 1) bytes an OT (the sender's b rows of each OT,
 * the receiver's hash and choices); the receiver's d for the whole group
 * go in one flight, the sender's tiles and every chunk's messages in the
 * next: two flights per group, the messages still packed per chunk.
 */
static unsigned bits_of(unsigned N)
{
    unsigned b = 0;
    while ((1u << b) < N)
        b++;
    return b;
}

static size_t group_of(size_t budget, size_t C, unsigned N, size_t n)
{
    const size_t g = sirnn_otx_group(budget, 16 * ((size_t)bits_of(N) + 1) * C, C);
    return g < n ? g : n;
}

sirnn_status sirnn_nco_send(sirnn_iknp_sender *s, sirnn_channel *ch, const uint64_t *msgs,
                            size_t n, unsigned N, unsigned l)
{
    if (s->silent == NULL || N < 2 || N > 256 || l < 1 || l > 64)
        return SIRNN_ERR_ARG;
    const size_t C = chunk_of(N, l), G = group_of(s->stream_bytes, C, N, n);
    sirnn_akk_ws w;
    uint8_t *wire;
    size_t wire_len;
    sirnn_status st = nco_init(&w, &wire, &wire_len, s, NULL, ch, G, N, l);
    if (st != SIRNN_OK)
        return st;
    for (size_t off0 = 0; st == SIRNN_OK && off0 < n; off0 += G) {
        const size_t gn = n - off0 < G ? n - off0 : G;
        /* the receiver's d, then the held tiles ahead of the messages */
        st = sirnn_akk_send_rows(&w, NULL, ch, gn);
        if (st == SIRNN_OK)
            st = sirnn_akk_send_emit(&w, ch, sirnn_akk_send_mark(&w, ch));
        for (size_t off = off0; st == SIRNN_OK && off < off0 + gn; off += C) {
            const size_t c = off0 + gn - off < C ? off0 + gn - off : C;
            /* groups of 64 OTs start on bytes (64 * N * l bits) */
            for (size_t g0 = 0; g0 < c; g0 += SIRNN_AKK_GROUP) {
                const size_t g = c - g0 < SIRNN_AKK_GROUP ? c - g0 : SIRNN_AKK_GROUP;
                sirnn_akk_send_group(&w, NULL, wire + g0 * N * l / 8, msgs + (off + g0) * N,
                                     off - off0 + g0, g, N, l);
            }
            st = sirnn_channel_send(ch, wire, sirnn_pack_size(c * N, l));
        }
        if (st == SIRNN_OK)
            st = sirnn_channel_flush(ch);
    }
    sirnn_scratch_free(wire, wire_len);
    sirnn_akk_ws_free(&w);
    return st;
}

sirnn_status sirnn_nco_recv(sirnn_iknp_receiver *r, sirnn_channel *ch, sirnn_prg *prg,
                            uint64_t *mc, const uint8_t *choices, size_t n, unsigned N,
                            unsigned l)
{
    (void)prg; /* the choice bits come from the silent engine */
    if (r->silent == NULL || N < 2 || N > 256 || l < 1 || l > 64)
        return SIRNN_ERR_ARG;
    const size_t C = chunk_of(N, l), G = group_of(r->stream_bytes, C, N, n);
    sirnn_akk_ws w;
    uint8_t *wire;
    size_t wire_len;
    sirnn_status st = nco_init(&w, &wire, &wire_len, NULL, r, ch, G, N, l);
    if (st != SIRNN_OK)
        return st;
    for (size_t off0 = 0; st == SIRNN_OK && off0 < n; off0 += G) {
        const size_t gn = n - off0 < G ? n - off0 : G;
        st = sirnn_akk_recv_u(&w, NULL, ch, choices + off0, gn);
        if (st == SIRNN_OK)
            st = sirnn_channel_flush(ch);
        if (st == SIRNN_OK)
            st = sirnn_akk_recv_rows(&w, ch, choices + off0, gn);
        for (size_t off = off0; st == SIRNN_OK && off < off0 + gn; off += C) {
            const size_t c = off0 + gn - off < C ? off0 + gn - off : C;
            st = sirnn_channel_recv(ch, wire, sirnn_pack_size(c * N, l));
            if (st == SIRNN_OK)
                sirnn_akk_recv_out(&w, mc + off, wire, choices + off, off - off0, c, N, l);
        }
    }
    sirnn_scratch_free(wire, wire_len);
    sirnn_akk_ws_free(&w);
    return st;
}
