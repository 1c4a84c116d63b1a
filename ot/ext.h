/*
 * The OT-extension matrix step shared by IKNP (width 128) and KK13
 * (width 256), after Ishai-Kilian-Nissim-Petrank (Crypto 2003), and its
 * SoftSpokenOT variant (Roy, Crypto 2022, semi-honest) for either width.
 *
 * IKNP (block size k = 1). The receiver holds seed pairs (k_j^0, k_j^1) and
 * the sender holds s (the base-OT choice bits) and k_j^{s_j}, for j < width.
 * For a chunk of m OTs (m a multiple of 128) and receiver choice columns c^j
 * (m bits each):
 *   receiver: t^j = G(k_j^0),  u^j = t^j ^ G(k_j^1) ^ c^j,  sends u^j
 *   sender:   q^j = G(k_j^{s_j}) ^ (s_j ? u^j : 0) = t^j ^ (s_j & c^j)
 * and both transpose their columns into m rows of width bits. For IKNP
 * c^j = r for every j, so q_i = t_i ^ (r_i * s). Each seed drives its own
 * AES-CTR stream, consumed m/128 blocks per chunk in step on both sides.
 * Wire: width * m / 8 bytes from receiver to sender per chunk.
 *
 * SoftSpoken (k = 2, 4 or 8; width 128 for IKNP, 256 with k = 2 for KK13).
 * Columns are grouped in width/k blocks of k; block b covers columns b*k + l,
 * l < k, and D_b is s restricted to them (bit l of D_b = s_{b*k+l}). The k
 * columns of a block share one choice column c_b (IKNP: c_b = r for every
 * b; KK13: a code whose columns are equal in pairs, ot/kkot.h).
 *   Setup: per block the receiver draws a GGM tree of depth k (child sigma
 *   of depth-l node p is node p | sigma << l, so bit l of a leaf index is
 *   fixed at level l) and gets 2^k leaves s_x. For level l, S_l^sigma is the
 *   XOR of the depth-(l+1) nodes with bit l = sigma; with base OT
 *   j = b*k + l it sends e_j^sigma = k_j^sigma ^ S_l^(1-sigma), sigma = 0, 1
 *   (width * 32 bytes in all, one message, receiver to sender). The sender
 *   learns S_l^(1-D_l) and rebuilds every leaf except s_{D_b}, which it
 *   stores by y = x ^ D_b (the missing leaf is y = 0, a public position).
 *   Extension: each leaf drives its own AES-CTR stream G.
 *     receiver: u_b = XOR_x G(s_x), t^(b*k+l) = XOR_{x: bit l} G(s_x),
 *               sends d_b = u_b ^ c_b
 *     sender:   q^(b*k+l) = XOR_{y != 0: bit l} G(s_{y^D}) ^ (D_l ? d_b : 0)
 *   The sender's sum equals t ^ D_l u_b, so q^j = t^j ^ (s_j & c_b) exactly
 *   as in IKNP and everything above this step is unchanged.
 *   Wire: (width / k) * m / 8 bytes from receiver to sender per chunk.
 *
 * No padding beyond m. Column and row buffers live in the state (no
 * allocation per call). s, the seeds, the leaves and all rows are secret; s
 * is applied by mask and never indexes memory.
 */
#ifndef SIRNN_OT_EXT_H
#define SIRNN_OT_EXT_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"
#include "kernels/block.h"
#include "kernels/cpu.h"
#include "kernels/otchain.h"
#include "kernels/prg.h"
#include "net/channel.h"

typedef struct sirnn_otx_sender {
    unsigned width;        /* 128 or 256 */
    unsigned k;            /* SoftSpoken block size; 1 = IKNP */
    size_t max_chunk;      /* largest m per extend call */
    sirnn_block delta[2];  /* s, width bits (delta[1] unused at width 128) */
    sirnn_prg *seeds;      /* k = 1: width streams G(k_j^{s_j});
                              k > 1: leaf y of block b at b * 2^k + y (y = 0 unused) */
    uint8_t *cols;         /* width columns of max_chunk bits */
    uint8_t *u;            /* received u (or d) columns */
    uint8_t *tree;         /* k > 1: k + 1 columns of scratch for the leaf sums */
    sirnn_otx_chain_fn chain; /* k > 1: the leaf-sum kernel of the active ISA */
    uint64_t count;        /* OTs extended so far (both sides agree) */
    uint64_t domain;       /* tweak domain of this engine's hashes
                              (kernels/crhash.h), set by the owner after init */
} sirnn_otx_sender;

typedef struct sirnn_otx_receiver {
    unsigned width;
    unsigned k;
    size_t max_chunk;
    sirnn_prg *seeds;      /* k = 1: 2 * width streams, G(k_j^0) at 2j, G(k_j^1) at 2j+1;
                              k > 1: leaf x of block b at b * 2^k + x */
    uint8_t *cols;         /* t columns */
    uint8_t *u;            /* u (or d) columns, sent */
    sirnn_block *tmp;      /* k = 1: one column of G(k_j^1) */
    uint8_t *tree;         /* k > 1: k + 2 columns of scratch (sums, choice copy) */
    sirnn_otx_chain_fn chain;
    uint64_t count;
    uint64_t domain;       /* as the sender's: both ends of an engine agree */
    uint8_t col_map[256];  /* block b takes the caller's choice column col_map[b]
                              (public; identity after init, see recv_extend) */
} sirnn_otx_receiver;

/* keys[j] = k_j^{choices[j]}, j < width; choices are 0/1 (secret). */
sirnn_status sirnn_otx_sender_init(sirnn_otx_sender *s, unsigned width, size_t max_chunk,
                                   const sirnn_block *keys, const uint8_t *choices);
/* keys[2j], keys[2j+1] = k_j^0, k_j^1, j < width. */
sirnn_status sirnn_otx_receiver_init(sirnn_otx_receiver *r, unsigned width, size_t max_chunk,
                                     const sirnn_block *keys);
/*
 * SoftSpoken from the same base OTs (width of them), block size k in
 * {2, 4, 8}, width 128 or 256. The receiver draws the GGM roots from prg and
 * queues the setup message (width * 32 bytes) on ch without flushing; the
 * sender reads it from ch, so the receiver's init must come first in the
 * peer's message order (both parties may init their receivers, then their
 * senders). On an error other
 * than SIRNN_ERR_ARG the channel may be out of step.
 */
sirnn_status sirnn_otx_ss_receiver_init_width(sirnn_otx_receiver *r, unsigned width,
                                              unsigned k, size_t max_chunk,
                                              const sirnn_block *keys, sirnn_prg *prg,
                                              sirnn_channel *ch);
sirnn_status sirnn_otx_ss_sender_init_width(sirnn_otx_sender *s, unsigned width, unsigned k,
                                            size_t max_chunk, const sirnn_block *keys,
                                            const uint8_t *choices, sirnn_channel *ch);
/* The same at width 128 (IKNP's engines). */
sirnn_status sirnn_otx_ss_receiver_init(sirnn_otx_receiver *r, unsigned k, size_t max_chunk,
                                        const sirnn_block *keys, sirnn_prg *prg,
                                        sirnn_channel *ch);
sirnn_status sirnn_otx_ss_sender_init(sirnn_otx_sender *s, unsigned k, size_t max_chunk,
                                      const sirnn_block *keys, const uint8_t *choices,
                                      sirnn_channel *ch);

/*
 * One block's GGM puncturing, in isolation (the inits above run it per
 * block; exposed for tests). Receiver: from root, leaves[x] for x < 2^k and
 * corr[2l + sigma] = keys[2l + sigma] ^ S_l^(1-sigma) for l < k. Sender,
 * holding keys[l] = k_l^{bit l of d} (d secret, k bits): leaves[y] = the
 * receiver's leaf y ^ d for y != 0, leaves[0] = 0. k in 1..8.
 */
sirnn_status sirnn_otx_ggm_expand(sirnn_block *leaves, sirnn_block *corr,
                                  const sirnn_block *keys, sirnn_block root, unsigned k);
sirnn_status sirnn_otx_ggm_puncture(sirnn_block *leaves, const sirnn_block *corr,
                                    const sirnn_block *keys, unsigned d, unsigned k);

/* Wipe and free; safe on a zeroed state. */
void sirnn_otx_sender_free(sirnn_otx_sender *s);
void sirnn_otx_receiver_free(sirnn_otx_receiver *r);

/*
 * Receiver: extend m OTs (m a multiple of 128, m <= max_chunk). Each block
 * of k columns (k = 1: each column) takes one choice column of m bits:
 * block b's is choice_cols + r->col_map[b] * choice_stride (an engine may
 * set col_map after init to pick its columns out of a larger matrix, as
 * KK13 does); choice_stride 0 uses the same column for every block (IKNP).
 * choice_cols may be r->u with stride m / 8 if col_map[b] >= b for every b
 * (the columns are then overwritten by u, each after it is read). Queues
 * the u columns (width / k of them) on ch (no flush). rows gets m * width / 128 blocks in
 * the layout of kernels/transpose.h. r->count advances by m.
 */
sirnn_status sirnn_otx_recv_extend(sirnn_otx_receiver *r, sirnn_channel *ch,
                                   sirnn_block *rows, const uint8_t *choice_cols,
                                   size_t choice_stride, size_t m);
/* Sender: receive the u columns of m OTs and produce q rows, as above. */
sirnn_status sirnn_otx_send_extend(sirnn_otx_sender *s, sirnn_channel *ch, sirnn_block *rows,
                                   size_t m);
/* The same from u columns already received (sirnn_otx_u_bytes(width, k, m)
 * bytes at u, 8-byte aligned): a sender that reads a whole flight of
 * chunks before it answers them. */
sirnn_status sirnn_otx_send_extend_from(sirnn_otx_sender *s, sirnn_block *rows,
                                        const uint8_t *u, size_t m);
/* Bytes of u (or d) columns the receiver sends for m OTs. */
size_t sirnn_otx_u_bytes(unsigned width, unsigned k, size_t m);

/*
 * Streaming whole calls (ot/iknp.c, ot/kkot.c, ot/pool.c, ot/nco.c): the
 * items (OTs) of one group, in whole units of `unit` items, as many units
 * as budget bytes hold at unit_bytes each, at least one; budget 0 means
 * SIRNN_OTX_STREAM_DEFAULT (an engine driven directly, as tests do: the
 * default session cap of one lane). Both ends compute it alike.
 */
#define SIRNN_OTX_STREAM_DEFAULT ((size_t)64 << 20)
static inline size_t sirnn_otx_group(size_t budget, size_t unit_bytes, size_t unit)
{
    size_t units = (budget != 0 ? budget : SIRNN_OTX_STREAM_DEFAULT) / unit_bytes;
    if (units == 0)
        units = 1;
    return units > SIZE_MAX / unit ? SIZE_MAX / unit * unit : units * unit;
}

/* n rounded up to a multiple of 128 (the extension granularity). */
static inline size_t sirnn_otx_round(size_t n)
{
    return (n + 127) & ~(size_t)127;
}

#endif /* SIRNN_OT_EXT_H */
