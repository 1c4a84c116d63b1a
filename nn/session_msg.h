/*
 * Internal to nn/: the little-endian fields and the lane-0 control messages
 * of a secure-inference session, shared by the FastGRNN path
 * (nn/secure_infer.c, nn/fg_plan.c) and the graph runtime (nn/graph_exec.c).
 * A failed send or receive breaks the party with a message naming `who`.
 */
#ifndef SIRNN_NN_SESSION_MSG_H
#define SIRNN_NN_SESSION_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "net/party_internal.h"

static inline void sirnn_nn_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void sirnn_nn_put64(uint8_t *p, uint64_t v)
{
    sirnn_nn_put32(p, (uint32_t)v);
    sirnn_nn_put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t sirnn_nn_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t sirnn_nn_get64(const uint8_t *p)
{
    return (uint64_t)sirnn_nn_get32(p) | (uint64_t)sirnn_nn_get32(p + 4) << 32;
}

/* Send len bytes on lane 0 and flush: one control message. */
static inline sirnn_status sirnn_nn_msg_send(sirnn_party *party, const char *who,
                                             const uint8_t *buf, size_t len)
{
    sirnn_channel *ch = &party->lanes[0].ch;
    sirnn_status st = sirnn_channel_send(ch, buf, len);
    if (st == SIRNN_OK)
        st = sirnn_channel_flush(ch);
    if (st == SIRNN_OK)
        return SIRNN_OK;
    char what[96];
    snprintf(what, sizeof(what), "%s: sending the session message", who);
    return sirnn_party_fail(party, st, what);
}

static inline sirnn_status sirnn_nn_msg_recv(sirnn_party *party, const char *who, uint8_t *buf,
                                             size_t len)
{
    sirnn_status st = sirnn_channel_recv(&party->lanes[0].ch, buf, len);
    if (st == SIRNN_OK)
        return SIRNN_OK;
    char what[96];
    snprintf(what, sizeof(what), "%s: the peer left the session", who);
    return sirnn_party_fail(party, st, what);
}

#endif /* SIRNN_NN_SESSION_MSG_H */
