/* The SoftSpoken leaf-sum kernel: portable twin and table filler
 * (kernels/otchain.h). */
#include "kernels/otchain.h"

#include "kernels/cpu.h"

/* The chain over words [w, w + n) with the sum in locals; n is a compile-time
 * 8 (the main loop, which the compiler turns into SSE2) or 1 (the tail). */
static inline void chain_span(uint64_t *const *out, const uint64_t *g,
                              const uint64_t *const *acc, unsigned t, unsigned first,
                              const uint64_t *add, const uint64_t *masks, uint64_t *dst,
                              uint64_t dst_mask, size_t w, unsigned n)
{
    uint64_t c[8];
    for (unsigned i = 0; i < n; i++)
        c[i] = g[w + i];
    for (unsigned l = 0; l < t; l++) {
        uint64_t *o = out[l] + w;
        const uint64_t *a = acc[l] + w;
        if ((first >> l) & 1) {
            const uint64_t m = masks[l];
            for (unsigned i = 0; i < n; i++)
                o[i] = c[i] ^ (add[w + i] & m);
        } else {
            for (unsigned i = 0; i < n; i++)
                o[i] ^= c[i];
        }
        for (unsigned i = 0; i < n; i++)
            c[i] ^= a[i];
    }
    if (dst != NULL)
        for (unsigned i = 0; i < n; i++)
            dst[w + i] = c[i] ^ (add[w + i] & dst_mask);
}

void sirnn_otx_chain_portable(uint64_t *const *out, const uint64_t *g,
                              const uint64_t *const *acc, unsigned t, unsigned first,
                              const uint64_t *add, const uint64_t *masks, uint64_t *dst,
                              uint64_t dst_mask, size_t words)
{
    size_t w = 0;
    for (; w + 8 <= words; w += 8)
        chain_span(out, g, acc, t, first, add, masks, dst, dst_mask, w, 8);
    for (; w < words; w++)
        chain_span(out, g, acc, t, first, add, masks, dst, dst_mask, w, 1);
}

/* The AVX2 and AVX-512 F/BW/VL files; the levels imply what they need
 * unless SIRNN_CPU_MASK hid it. */
void sirnn_otchain_fill_table(sirnn_kernel_table *t, sirnn_isa isa, const sirnn_cpu_features *f)
{
    if (isa >= SIRNN_ISA_AVX512 && f->avx512f && f->avx512bw && f->avx512vl) {
        t->otchain_impl = "avx512";
        t->otx_chain = sirnn_otx_chain_avx512;
    } else if (isa >= SIRNN_ISA_AVX2 && f->avx2) {
        t->otchain_impl = "avx2";
        t->otx_chain = sirnn_otx_chain_avx2;
    } else {
        t->otchain_impl = "portable";
        t->otx_chain = sirnn_otx_chain_portable;
    }
}
