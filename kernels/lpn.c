/* The LPN encoding kernel: portable twin and table filler (kernels/lpn.h). */
#include "kernels/lpn.h"

#include "kernels/cpu.h"

void sirnn_lpn_xor_portable(sirnn_block *out, const sirnn_block *u, uint32_t k,
                            const uint32_t *words, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const uint32_t *w = words + SIRNN_LPN_WORDS * i;
        uint64_t lo = out[i].w[0], hi = out[i].w[1];
        for (unsigned j = 0; j < SIRNN_LPN_D; j++) {
            const size_t idx = (size_t)(((uint64_t)w[j] * k) >> 32);
            lo ^= u[idx].w[0];
            hi ^= u[idx].w[1];
        }
        out[i].w[0] = lo;
        out[i].w[1] = hi;
    }
}

void sirnn_lpn_fill_table(sirnn_kernel_table *t, sirnn_isa isa, const sirnn_cpu_features *f)
{
    if (isa >= SIRNN_ISA_AVX2 && f->avx2) {
        t->lpn_impl = "avx2";
        t->lpn_xor = sirnn_lpn_xor_avx2;
    } else {
        t->lpn_impl = "portable";
        t->lpn_xor = sirnn_lpn_xor_portable;
    }
}
