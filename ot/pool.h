/*
 * Random-OT pools: random OTs made ahead in large batches by IKNP and
 * derandomised online (Beaver, "Precomputing oblivious transfer", Crypto
 * 1995), so the online part of a chosen OT is one choice-correction message
 * and one reply, and higher protocols can put all the OTs of a round into
 * one flight.
 *
 * A pool holds raw Δ-COT rows of one IKNP engine: q_i (sender) or r_i and
 * t_i = q_i ^ r_i*Delta (receiver), r_i random. Taking an entry hashes it
 * into a random OT with the engine's tweak for that OT:
 *   sender k0 = H(q_i), k1 = H(q_i ^ Delta); receiver r_i, k_r = H(t_i).
 * When the pool is empty a take refills all of it (capacity rounded up to
 * 128): the receiver sends 16 bytes per entry, one flight that nobody waits
 * on; both sides refill at the same point because they take the same counts.
 *
 * Chosen OT from the pool (sirnn_pool_ot_*): the receiver sends
 * e_i = c_i ^ r_i (1 bit), the sender answers y0 = m0 ^ k_{e}, y1 = m1 ^ k_{1^e}
 * (l bits each, chosen by mask), the receiver gets m_c = y_c ^ k_r.
 * Online cost 1 + 2l bits per OT in two flights (per group of steps: all
 * of a call up to the stream budget at 2l bits an OT), plus 128 bits per
 * OT of refills made whenever the pool runs dry.
 */
#ifndef SIRNN_OT_POOL_H
#define SIRNN_OT_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"
#include "kernels/block.h"
#include "kernels/prg.h"
#include "net/channel.h"
#include "ot/iknp.h"

/* OTs derandomised per step of sirnn_pool_ot_*. */
#define SIRNN_POOL_STEP 4096

typedef struct sirnn_ot_pool {
    size_t cap;           /* entries per refill, a multiple of 128 */
    size_t pos, end;      /* entries [pos, end) are unused */
    uint64_t tweak0;      /* engine index of entry 0 (hash tweak) */
    sirnn_block *rows;    /* q (sender) or t (receiver), secret */
    uint8_t *bits;        /* receiver: r_i, one per byte, secret */
    /* scratch of one derandomisation step */
    sirnn_block *k0, *k1; /* sender keys, or the receiver's k_r in k0 */
    uint8_t *choice;      /* receiver: r_i of the step */
    uint8_t *wire;        /* packed e or y */
    uint64_t *vals;       /* unpacked y */
} sirnn_ot_pool;

/* An empty pool of capacity cap (rounded up to a multiple of 128, at least
 * 128); it fills on first use, and its refill buffers (16 bytes an entry,
 * and the receiver's bit) are allocated then: a lane that never takes
 * from a pool holds none of it. */
sirnn_status sirnn_ot_pool_init(sirnn_ot_pool *p, size_t cap);
/* Wipe and free; safe on a zeroed pool. */
void sirnn_ot_pool_free(sirnn_ot_pool *p);

/* Take n random OTs (refilling as needed): sender k0[i], k1[i]. */
sirnn_status sirnn_ot_pool_take_send(sirnn_ot_pool *p, sirnn_iknp_sender *s, sirnn_channel *ch,
                                     sirnn_block *k0, sirnn_block *k1, size_t n);
/* Receiver r[i] (0/1) and kr[i] = k_{r[i]}. */
sirnn_status sirnn_ot_pool_take_recv(sirnn_ot_pool *p, sirnn_iknp_receiver *r,
                                     sirnn_channel *ch, sirnn_prg *prg, uint8_t *bits,
                                     sirnn_block *kr, size_t n);

/* Chosen OT of l-bit messages through the pool (1 <= l <= 64; choices 0/1,
 * validated by the caller). Both sides call with the same n and l. */
sirnn_status sirnn_ot_pool_ot_send(sirnn_ot_pool *p, sirnn_iknp_sender *s, sirnn_channel *ch,
                                   const uint64_t *m0, const uint64_t *m1, size_t n,
                                   unsigned l);
sirnn_status sirnn_ot_pool_ot_recv(sirnn_ot_pool *p, sirnn_iknp_receiver *r, sirnn_channel *ch,
                                   sirnn_prg *prg, uint64_t *mc, const uint8_t *choices,
                                   size_t n, unsigned l);

#endif /* SIRNN_OT_POOL_H */
