/*
 * CPU feature detection and the kernel dispatch table.
 *
 * cpuid and xgetbv are read once. The active ISA level is the highest level
 * this machine can run, capped by the environment variable
 * SIRNN_ISA=portable|aesni|avx2|avx512. Each kernel family picks, for a given
 * level, the best implementation whose features the machine has (for
 * example AES on an AVX2 machine without VAES uses the AES-NI path).
 *
 * Levels and what they allow:
 *   portable  pure C (AES through OpenSSL EVP)
 *   aesni     + SSE2/SSSE3/SSE4.1, AES-NI, PCLMULQDQ
 *   avx2      + AVX2, BMI2, and VAES on 256-bit registers if present
 *   avx512    + AVX-512 F/BW/VL, and VAES/VPCLMULQDQ on 512-bit registers
 *
 * SIRNN_CPU_MASK=feature,... hides single features from the whole library
 * (read once, before any table is built), so that the paths of machines
 * without them are chosen, tested and measured on one machine: novaes,
 * novpclmul, nogfni, novbmi, noavx512 (F/BW/VL, which also caps the level
 * at avx2). A name it does not know is reported on stderr and ignored.
 */
#ifndef SIRNN_KERNELS_CPU_H
#define SIRNN_KERNELS_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/block.h"

typedef enum sirnn_isa {
    SIRNN_ISA_PORTABLE = 0,
    SIRNN_ISA_AESNI = 1,
    SIRNN_ISA_AVX2 = 2,
    SIRNN_ISA_AVX512 = 3
} sirnn_isa;
#define SIRNN_ISA_COUNT 4

typedef struct sirnn_cpu_features {
    bool sse2, ssse3, sse41, aesni, pclmul, avx, avx2, bmi2;
    bool vaes, vpclmul, gfni, avx512f, avx512bw, avx512vl, avx512vbmi;
} sirnn_cpu_features;

struct sirnn_aes_key;

/*
 * One table of function pointers per ISA level. A member is never NULL in a
 * filled table. Every native entry has a portable twin with the same contract.
 */
typedef struct sirnn_kernel_table {
    sirnn_isa isa;         /* level this table was built for */
    const char *aes_impl;  /* "evp", "aesni", "vaes256", "vaes512" */
    const char *transpose_impl; /* "portable", "sse2", "avx2", ... */

    /* out[i] = AES_k(in[i]) over 16-byte blocks, any alignment; out may
     * alias in exactly. */
    void (*aes_ecb)(const struct sirnn_aes_key *k, void *out, const void *in, size_t n);
    /* out[i] = AES_k(block(hi = nonce, lo = counter + i)) (counter wraps mod 2^64). */
    void (*aes_ctr)(const struct sirnn_aes_key *k, sirnn_block *out,
                    uint64_t nonce, uint64_t counter, size_t n);
    /* Fixed-key hashes; see kernels/crhash.h for definitions. */
    void (*crhash)(sirnn_block *out, const sirnn_block *in, size_t n);
    void (*tccrhash)(sirnn_block *out, const sirnn_block *in,
                     sirnn_tweak tw, size_t n);
    void (*tccrhash256)(sirnn_block *out, const sirnn_block *in,
                        sirnn_tweak tw, size_t n);
    /* sirnn_tccrhash256_many_pf. Filled by sirnn_crhash_fill_table, after
     * the AES family has chosen aes_impl (it follows that choice). */
    void (*tccrhash256_many)(uint64_t *out, const sirnn_block *in, sirnn_tweak tw,
                             size_t n, const sirnn_block *oa, const sirnn_block *ob,
                             size_t nv, const void *prefetch, size_t prefetch_bytes);

    /* Bit-matrix transposes; see kernels/transpose.h. */
    void (*transpose128)(sirnn_block *out, const uint8_t *in,
                         size_t in_stride, size_t ncols);
    void (*transpose256)(sirnn_block *out, const uint8_t *in,
                         size_t in_stride, size_t ncols);

    /* Lookup-table rotations; see kernels/lutrot.h. */
    const char *lutrot_impl; /* "portable", "avx2", "avx512" */
    void (*lut_rotate)(uint64_t *dst, const uint64_t *src, uint64_t *tmp, uint64_t s,
                       unsigned m, uint64_t r, uint64_t lm);
    void (*lut_rotate16)(uint64_t *dst, const uint16_t *src, uint64_t s, unsigned m,
                         uint64_t r, uint64_t lm);
    void (*lut_rotate16w)(uint64_t *dst, const uint64_t *src, uint64_t s, unsigned m,
                          uint64_t r, uint64_t lm);

    /* KK13's pack of messages ^ pads and masked select; see kernels/kkpack.h. */
    const char *kkpack_impl; /* "portable", "avx2", "avx512" */
    void (*kk_combine)(uint8_t *out, const uint64_t *msgs, const uint64_t *pads, size_t count,
                       unsigned l);
    void (*kk_select)(uint64_t *mc, const uint8_t *y, const uint8_t *choices,
                      const sirnn_block *h, size_t k, unsigned N, unsigned l);

    /* SoftSpoken's leaf-sum step; see kernels/otchain.h. */
    const char *otchain_impl; /* "portable", "avx2", "avx512" */
    void (*otx_chain)(uint64_t *const *out, const uint64_t *g, const uint64_t *const *acc,
                      unsigned t, unsigned first, const uint64_t *add, const uint64_t *masks,
                      uint64_t *dst, uint64_t dst_mask, size_t words);

    /* The silent OT's LPN encoding; see kernels/lpn.h. */
    const char *lpn_impl; /* "portable", "avx2" */
    void (*lpn_xor)(sirnn_block *out, const sirnn_block *u, uint32_t k, const uint32_t *words,
                    size_t n);
} sirnn_kernel_table;

/* Features of this machine (cached after the first call; thread-safe). */
const sirnn_cpu_features *sirnn_cpu_features_get(void);
/* Highest level this machine can run. */
sirnn_isa sirnn_cpu_max_isa(void);
/* Level in use: max level capped by SIRNN_ISA (read once). */
sirnn_isa sirnn_cpu_active_isa(void);
/* Clears in f the features a SIRNN_CPU_MASK value names (comma-separated;
 * unknown names are reported on stderr and ignored; spec may be NULL). */
void sirnn_cpu_apply_mask(sirnn_cpu_features *f, const char *spec);
/* Parse "portable", "aesni", "avx2", "avx512"; -1 if unknown. */
int sirnn_isa_parse(const char *name);
/* Name of a level. */
const char *sirnn_isa_level_name(sirnn_isa isa);

/* The active table. */
const sirnn_kernel_table *sirnn_kernels(void);
/* The table of a given level; false if this machine cannot run that level.
 * Used by tests to compare every path with its portable twin. */
bool sirnn_kernels_for_isa(sirnn_isa isa, sirnn_kernel_table *out);

/* Per-family fillers, called by cpu.c; each lives in its family's dispatcher. */
void sirnn_aes_fill_table(sirnn_kernel_table *t, sirnn_isa isa,
                          const sirnn_cpu_features *f);
void sirnn_transpose_fill_table(sirnn_kernel_table *t, sirnn_isa isa,
                                const sirnn_cpu_features *f);
void sirnn_crhash_fill_table(sirnn_kernel_table *t, sirnn_isa isa,
                             const sirnn_cpu_features *f);
void sirnn_lutrot_fill_table(sirnn_kernel_table *t, sirnn_isa isa,
                             const sirnn_cpu_features *f);
void sirnn_kkpack_fill_table(sirnn_kernel_table *t, sirnn_isa isa,
                             const sirnn_cpu_features *f);
void sirnn_otchain_fill_table(sirnn_kernel_table *t, sirnn_isa isa,
                              const sirnn_cpu_features *f);
void sirnn_lpn_fill_table(sirnn_kernel_table *t, sirnn_isa isa, const sirnn_cpu_features *f);

#endif /* SIRNN_KERNELS_CPU_H */
