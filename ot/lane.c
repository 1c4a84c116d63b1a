/*
 * Per-lane OT setup: base OTs in both directions, the IKNP engines, KK13
 * bootstrapped from IKNP, and the (empty) random-OT pools.
 */
#include "ot/lane.h"

#include <stdlib.h>
#include <string.h>

#include "sirnn/ot.h"
#include "kernels/crhash.h"
#include "kernels/random.h"
#include "ot/base_ot.h"

enum { BASE_OTS = 128, KK_BASE_OTS = SIRNN_KKOT_WIDTH };

typedef struct setup_ctx {
    uint8_t delta_bits[BASE_OTS]; /* the party's IKNP sender Delta, secret */
} setup_ctx;

static void ot_lane_free(void *state)
{
    sirnn_ot_lane *ol = state;
    if (ol == NULL)
        return;
    sirnn_iknp_sender_free(&ol->iknp_send);
    sirnn_iknp_receiver_free(&ol->iknp_recv);
    sirnn_kkot_sender_free(&ol->kk_send);
    sirnn_kkot_receiver_free(&ol->kk_recv);
    sirnn_ot_pool_free(&ol->pool_send);
    sirnn_ot_pool_free(&ol->pool_recv);
    sirnn_memzero(ol, sizeof(*ol));
    free(ol);
}

sirnn_ot_lane *sirnn_ot_lane_get(sirnn_lane *lane)
{
    return lane->ext[SIRNN_LANE_EXT_OT].state;
}

/* Our IKNP sender from the keys we received, then KK13's base OTs from IKNP
 * random OTs: as KK sender this party needs the receiver's role (random
 * choices become its s). Both parties first receive (which only sends: the
 * SoftSpoken setup message queued by the receiver's init goes out in the same
 * flight) and then init their senders and send, so neither waits on the other.
 * KK13 runs SoftSpoken with k = 2 when the IKNP engines use k >= 2 (its code
 * pairs columns, ot/kkot.h); its receiver's GGM corrections again go out
 * before either sender's init reads the peer's. */
/* Each engine's tweak domain (kernels/crhash.h): its use, whose secret
 * (the OT sender's role) and the lane, so that no two engines share a
 * tweak, even where they share a secret (every lane's IKNP Delta). Both
 * ends of an engine compute the same domain. */
static uint64_t engine_domain(unsigned use, int we_send, int server, const sirnn_lane *lane)
{
    const int server_sends = we_send ? server : !server;
    return sirnn_tweak_domain(use, server_sends, lane->index, 0);
}

static sirnn_status setup_kkot(sirnn_ot_lane *ol, sirnn_lane *lane, const sirnn_block *recv_keys,
                               const uint8_t *delta_bits, unsigned k, int server)
{
    sirnn_status st = SIRNN_ERR_NOMEM;
    uint8_t choices[KK_BASE_OTS];
    sirnn_block *keys = calloc(KK_BASE_OTS, sizeof(sirnn_block));
    sirnn_block *pairs = calloc(2 * KK_BASE_OTS, sizeof(sirnn_block));
    sirnn_block *m1 = calloc(KK_BASE_OTS, sizeof(sirnn_block));
    if (keys == NULL || pairs == NULL || m1 == NULL)
        goto done;
    st = sirnn_iknp_rot_recv(&ol->iknp_recv, &lane->ch, &lane->prg, choices, (uint8_t *)keys,
                             KK_BASE_OTS);
    if (st == SIRNN_OK)
        st = sirnn_iknp_sender_init(&ol->iknp_send, recv_keys, delta_bits, k, &lane->ch);
    ol->iknp_send.x.domain = engine_domain(SIRNN_TWEAK_OT2, 1, server, lane);
    if (st == SIRNN_OK)
        st = sirnn_iknp_rot_send(&ol->iknp_send, &lane->ch, (uint8_t *)pairs, (uint8_t *)m1,
                                 KK_BASE_OTS);
    if (st != SIRNN_OK)
        goto done;
    /* Interleave (m0, m1) into the receiver's key-pair layout. */
    for (size_t j = KK_BASE_OTS; j-- > 0;) {
        pairs[2 * j] = pairs[j];
        pairs[2 * j + 1] = m1[j];
    }
    const unsigned kk = k >= 2 ? 2 : 1;
    st = sirnn_kkot_receiver_init(&ol->kk_recv, pairs, kk, &lane->prg, &lane->ch);
    ol->kk_recv.x.domain = engine_domain(SIRNN_TWEAK_KK13, 0, server, lane);
    /* Flush: the peer's corrections may already sit in our read buffer, so
     * the read below need not flush, and nothing else follows in setup. */
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(&lane->ch);
    if (st == SIRNN_OK)
        st = sirnn_kkot_sender_init(&ol->kk_send, keys, choices, kk, &lane->ch);
    ol->kk_send.x.domain = engine_domain(SIRNN_TWEAK_KK13, 1, server, lane);
done:
    sirnn_memzero(choices, sizeof(choices));
    if (keys != NULL)
        sirnn_memzero(keys, KK_BASE_OTS * sizeof(sirnn_block));
    if (pairs != NULL)
        sirnn_memzero(pairs, 2 * KK_BASE_OTS * sizeof(sirnn_block));
    if (m1 != NULL)
        sirnn_memzero(m1, KK_BASE_OTS * sizeof(sirnn_block));
    free(keys);
    free(pairs);
    free(m1);
    return st;
}

/* SIRNN_OT_SILENT: silent engines under both 1-of-2 engines (no I/O here;
 * each bootstraps from its extension engine on first use). */
static sirnn_status attach_silent(sirnn_ot_lane *ol, sirnn_lane *lane, int server)
{
    sirnn_block seeds[2];
    sirnn_prg_blocks(&lane->prg, seeds, 2);
    sirnn_status st = sirnn_iknp_sender_attach_silent(
        &ol->iknp_send, engine_domain(SIRNN_TWEAK_SILENT, 1, server, lane), &seeds[0]);
    if (st == SIRNN_OK)
        st = sirnn_iknp_receiver_attach_silent(
            &ol->iknp_recv, engine_domain(SIRNN_TWEAK_SILENT, 0, server, lane), &seeds[1]);
    sirnn_memzero(seeds, sizeof(seeds));
    return st;
}

static sirnn_status setup_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                               void *vctx)
{
    (void)begin;
    (void)end;
    const setup_ctx *ctx = vctx;
    if (sirnn_ot_lane_get(lane) != NULL)
        return SIRNN_OK;
    sirnn_ot_lane *ol = calloc(1, sizeof(*ol));
    sirnn_block *send_keys = calloc(2 * BASE_OTS, sizeof(sirnn_block));
    sirnn_block *recv_keys = calloc(BASE_OTS, sizeof(sirnn_block));
    sirnn_status st = SIRNN_ERR_NOMEM;
    if (ol == NULL || send_keys == NULL || recv_keys == NULL)
        goto done;
    /* Our base-OT sender side seeds our IKNP receiver and vice versa. */
    st = sirnn_base_ot_dual(&lane->ch, &lane->prg, send_keys, recv_keys, ctx->delta_bits,
                            BASE_OTS);
    /* SoftSpoken or plain IKNP (k = 1); KK13 runs on width 256 with k <= 2. */
    const unsigned k = party->cfg.ot_backend != SIRNN_OT_IKNP ? party->cfg.ot_k : 1;
    const int server = party->role == SIRNN_SERVER;
    if (st == SIRNN_OK)
        st = sirnn_iknp_receiver_init(&ol->iknp_recv, send_keys, k, &lane->prg, &lane->ch);
    ol->iknp_recv.x.domain = engine_domain(SIRNN_TWEAK_OT2, 0, server, lane);
    if (st == SIRNN_OK)
        st = setup_kkot(ol, lane, recv_keys, ctx->delta_bits, k, server);
    if (st == SIRNN_OK && party->cfg.ot_backend == SIRNN_OT_SILENT)
        st = attach_silent(ol, lane, server);
    if (st == SIRNN_OK)
        st = sirnn_ot_pool_init(&ol->pool_send, party->cfg.ot_pool_size);
    if (st == SIRNN_OK)
        st = sirnn_ot_pool_init(&ol->pool_recv, party->cfg.ot_pool_size);
    if (st == SIRNN_OK) {
        lane->ext[SIRNN_LANE_EXT_OT].state = ol;
        lane->ext[SIRNN_LANE_EXT_OT].free_fn = ot_lane_free;
        ol = NULL;
    }
done:
    if (send_keys != NULL)
        sirnn_memzero(send_keys, 2 * BASE_OTS * sizeof(sirnn_block));
    if (recv_keys != NULL)
        sirnn_memzero(recv_keys, BASE_OTS * sizeof(sirnn_block));
    free(send_keys);
    free(recv_keys);
    ot_lane_free(ol);
    return st;
}

static int all_lanes_ready(sirnn_party *party)
{
    for (unsigned i = 0; i < party->nlanes; i++)
        if (sirnn_ot_lane_get(&party->lanes[i]) == NULL)
            return 0;
    return 1;
}

sirnn_status sirnn_ot_setup(sirnn_party *party)
{
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK)
        return st;
    if (all_lanes_ready(party))
        return SIRNN_OK;
    /* One Delta for the whole party, drawn before the lanes fork. */
    setup_ctx ctx;
    uint8_t packed[BASE_OTS / 8];
    sirnn_prg_bytes(&party->lanes[0].prg, packed, sizeof(packed));
    for (unsigned j = 0; j < BASE_OTS; j++)
        ctx.delta_bits[j] = (uint8_t)((packed[j / 8] >> (j % 8)) & 1);
    /* Silent COTs carry the receiver's choice in bit 0, which needs bit 0
     * of Delta set (ot/silent.h; 127 secret bits remain). */
    if (party->cfg.ot_backend == SIRNN_OT_SILENT)
        ctx.delta_bits[0] = 1;
    st = sirnn_batch_run(party, party->nlanes, setup_lane, &ctx);
    sirnn_memzero(packed, sizeof(packed));
    sirnn_memzero(&ctx, sizeof(ctx));
    return st; /* sirnn_batch_run marked the party broken if a lane failed mid-exchange */
}

sirnn_status sirnn_ot_ensure_setup(sirnn_party *party)
{
    if (all_lanes_ready(party))
        return SIRNN_OK;
    return sirnn_ot_setup(party);
}
