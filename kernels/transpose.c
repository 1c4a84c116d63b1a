/*
 * Transpose dispatch: the wrappers call the active table; the filler picks
 * the best path a level allows on this machine.
 */
#include "kernels/transpose.h"

#include "kernels/cpu.h"
#include "kernels/transpose_impl.h"

void sirnn_transpose128(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols)
{
    sirnn_kernels()->transpose128(out, in, in_stride, ncols);
}

void sirnn_transpose256(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols)
{
    sirnn_kernels()->transpose256(out, in, in_stride, ncols);
}

typedef struct path_entry {
    sirnn_transpose_path path;
    sirnn_isa min_isa; /* lowest dispatch level allowed to use it */
    bool (*supported)(const sirnn_cpu_features *f);
} path_entry;

static bool has_nothing(const sirnn_cpu_features *f)
{
    (void)f;
    return true;
}

static bool has_sse2(const sirnn_cpu_features *f)
{
    return f->sse2;
}

static bool has_avx2(const sirnn_cpu_features *f)
{
    return f->avx2;
}

static bool has_avx2_gfni(const sirnn_cpu_features *f)
{
    return f->avx2 && f->gfni;
}

static bool has_avx512bw(const sirnn_cpu_features *f)
{
    return f->avx512f && f->avx512bw;
}

static bool has_avx512bw_gfni(const sirnn_cpu_features *f)
{
    return f->avx512f && f->avx512bw && f->gfni;
}

/* In order of preference, slowest first. */
static const path_entry k_paths[SIRNN_TRANSPOSE_PATH_COUNT] = {
    {{"portable", sirnn_transpose128_portable, sirnn_transpose256_portable},
     SIRNN_ISA_PORTABLE, has_nothing},
    {{"sse2", sirnn_transpose128_sse2, sirnn_transpose256_sse2}, SIRNN_ISA_AESNI, has_sse2},
    {{"avx2", sirnn_transpose128_avx2, sirnn_transpose256_avx2}, SIRNN_ISA_AVX2, has_avx2},
    {{"avx2-gfni", sirnn_transpose128_gfni_avx2, sirnn_transpose256_gfni_avx2}, SIRNN_ISA_AVX2,
     has_avx2_gfni},
    {{"avx512", sirnn_transpose128_avx512, sirnn_transpose256_avx512}, SIRNN_ISA_AVX512,
     has_avx512bw},
    {{"avx512-gfni", sirnn_transpose128_gfni_avx512, sirnn_transpose256_gfni_avx512},
     SIRNN_ISA_AVX512, has_avx512bw_gfni},
};

bool sirnn_transpose_path_get(size_t i, sirnn_transpose_path *out)
{
    if (i >= SIRNN_TRANSPOSE_PATH_COUNT || !k_paths[i].supported(sirnn_cpu_features_get()))
        return false;
    *out = k_paths[i].path;
    return true;
}

void sirnn_transpose_fill_table(sirnn_kernel_table *t, sirnn_isa isa, const sirnn_cpu_features *f)
{
    const sirnn_transpose_path *best = &k_paths[0].path;
    for (size_t i = 1; i < SIRNN_TRANSPOSE_PATH_COUNT; i++)
        if (isa >= k_paths[i].min_isa && k_paths[i].supported(f))
            best = &k_paths[i].path;
    t->transpose_impl = best->name;
    t->transpose128 = best->transpose128;
    t->transpose256 = best->transpose256;
}
