/*
 * AES-CTR PRG. Every output is a whole number of blocks at a known stream
 * position, so a stream can be split across chunks or lanes and read back
 * identically.
 */
#include "kernels/prg.h"

#include <stdint.h>
#include <string.h>

#include "kernels/random.h"

/* Staging buffer for outputs that are not whole aligned blocks (4 KiB). */
#define STAGE_BLOCKS 256

sirnn_status sirnn_prg_init(sirnn_prg *prg, const sirnn_block *seed, uint64_t nonce)
{
    if (prg == NULL || seed == NULL)
        return SIRNN_ERR_ARG;
    memset(prg, 0, sizeof(*prg));
    sirnn_status st = sirnn_aes_key_init(&prg->key, seed);
    if (st != SIRNN_OK)
        return st;
    prg->nonce = nonce;
    prg->counter = 0;
    return SIRNN_OK;
}

void sirnn_prg_free(sirnn_prg *prg)
{
    if (prg == NULL)
        return;
    sirnn_aes_key_free(&prg->key);
    sirnn_memzero(prg, sizeof(*prg));
}

void sirnn_prg_seek(sirnn_prg *prg, uint64_t block)
{
    prg->counter = block;
}

void sirnn_prg_blocks(sirnn_prg *prg, sirnn_block *out, size_t n)
{
    sirnn_aes_ctr(&prg->key, out, prg->nonce, prg->counter, n);
    prg->counter += (uint64_t)n;
}

void sirnn_prg_bytes(sirnn_prg *prg, void *out, size_t nbytes)
{
    unsigned char *dst = out;
    size_t whole = nbytes / 16;
    if (((uintptr_t)dst & 15) == 0) {
        /* Aligned: the whole blocks go straight to the caller. */
        sirnn_prg_blocks(prg, (sirnn_block *)out, whole);
        dst += 16 * whole;
    } else {
        sirnn_block stage[STAGE_BLOCKS];
        size_t used = whole < STAGE_BLOCKS ? whole : STAGE_BLOCKS;
        while (whole > 0) {
            size_t m = whole < STAGE_BLOCKS ? whole : STAGE_BLOCKS;
            sirnn_prg_blocks(prg, stage, m);
            memcpy(dst, stage, 16 * m);
            dst += 16 * m;
            whole -= m;
        }
        sirnn_memzero(stage, 16 * used);
    }
    size_t rest = nbytes % 16;
    if (rest > 0) {
        sirnn_block last;
        sirnn_prg_blocks(prg, &last, 1);
        memcpy(dst, &last, rest);
        sirnn_memzero(&last, sizeof(last));
    }
}

void sirnn_prg_ring(sirnn_prg *prg, uint64_t *out, size_t n, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
    sirnn_block stage[STAGE_BLOCKS];
    size_t used = 0, done = 0;
    while (done < n) {
        /* Word 2k of the batch is the low half of block k, word 2k + 1 its
         * high half; an odd tail discards the last high half. */
        size_t words = n - done < 2 * STAGE_BLOCKS ? n - done : 2 * STAGE_BLOCKS;
        size_t blocks = (words + 1) / 2;
        sirnn_prg_blocks(prg, stage, blocks);
        used = blocks > used ? blocks : used;
        for (size_t w = 0; w < words; w++)
            out[done + w] = stage[w / 2].w[w % 2] & mask;
        done += words;
    }
    /* The discarded high bits are as secret as the rest. */
    sirnn_memzero(stage, 16 * used);
}
