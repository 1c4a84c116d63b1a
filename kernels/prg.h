/*
 * AES-CTR pseudo-random generator from a 128-bit seed.
 *
 * Block j of the stream is AES_seed((nonce << 64) | j) (sirnn_aes_ctr). Any
 * position can be reached directly (sirnn_prg_seek), so the output never
 * depends on how a batch is split into chunks or lanes. Every call consumes
 * whole blocks, so positions stay block-aligned. The seed and the output are
 * secret; the state is wiped by sirnn_prg_free(). A PRG is used by one thread
 * at a time (it has a counter); give each lane its own, e.g. one seed with
 * distinct nonces.
 */
#ifndef SIRNN_KERNELS_PRG_H
#define SIRNN_KERNELS_PRG_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"
#include "kernels/aes.h"

typedef struct sirnn_prg {
    sirnn_aes_key key;
    uint64_t nonce;   /* stream id: independent streams from one seed */
    uint64_t counter; /* index of the next block */
} sirnn_prg;

/* Start the stream (seed, nonce) at block 0. Errors as sirnn_aes_key_init. */
sirnn_status sirnn_prg_init(sirnn_prg *prg, const sirnn_block *seed, uint64_t nonce);
/* Wipe the whole state, round keys included. Safe on a zeroed PRG. */
void sirnn_prg_free(sirnn_prg *prg);
/* Position the stream at block index `block`. */
void sirnn_prg_seek(sirnn_prg *prg, uint64_t block);
/* Next n blocks (the counter wraps mod 2^64). */
void sirnn_prg_blocks(sirnn_prg *prg, sirnn_block *out, size_t n);
/* Next nbytes bytes to any alignment; consumes ceil(nbytes / 16) blocks
 * (the tail of the last block is discarded). */
void sirnn_prg_bytes(sirnn_prg *prg, void *out, size_t nbytes);
/* Next n words, each masked to the low l bits (1 <= l <= 64); consumes
 * ceil(n / 2) blocks: word 2k is the low half of block k, word 2k + 1 its
 * high half. */
void sirnn_prg_ring(sirnn_prg *prg, uint64_t *out, size_t n, unsigned l);

#endif /* SIRNN_KERNELS_PRG_H */
