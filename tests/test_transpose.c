/*
 * Bit transposes: the portable twin against a bit-by-bit reference, and every
 * implemented path the machine can run, every dispatch level's choice and the
 * dispatcher against the portable twin, for 128 and 256 rows, several widths
 * and strides, unaligned input.
 */
#include "tests/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu.h"
#include "kernels/transpose.h"
#include "kernels/transpose_impl.h"

typedef void (*transpose_fn)(sirnn_block *out, const uint8_t *in, size_t in_stride, size_t ncols);

enum { GUARD_BLOCKS = 4, GUARD_BYTE = 0xA5 };

/* A random input matrix, placed one byte past an aligned address so that
 * the rows are unaligned. */
typedef struct test_matrix {
    uint8_t *base;
    const uint8_t *in;
    unsigned nrows;
    size_t ncols, stride;
} test_matrix;

static void matrix_init(test_matrix *m, test_rng *rng, unsigned nrows, size_t ncols, size_t stride)
{
    m->nrows = nrows;
    m->ncols = ncols;
    m->stride = stride;
    m->base = malloc(nrows * stride + 1);
    assert_non_null(m->base);
    test_rng_bytes(rng, m->base, nrows * stride + 1);
    m->in = m->base + 1;
}

/* Output blocks for ncols rows plus a guard area that must stay untouched. */
static sirnn_block *out_alloc(unsigned nrows, size_t ncols)
{
    size_t nblocks = ncols * (nrows / 128) + GUARD_BLOCKS;
    sirnn_block *out = aligned_alloc(64, ((nblocks * sizeof(sirnn_block) + 63) / 64) * 64);
    assert_non_null(out);
    memset(out, GUARD_BYTE, nblocks * sizeof(sirnn_block));
    return out;
}

static void check_guard(const sirnn_block *out, unsigned nrows, size_t ncols)
{
    const uint8_t *g = (const uint8_t *)(const void *)(out + ncols * (nrows / 128));
    for (size_t i = 0; i < GUARD_BLOCKS * sizeof(sirnn_block); i++)
        assert_int_equal(g[i], GUARD_BYTE);
}

/* Output bit (row c, input row r) read from the word layout of the contract. */
static unsigned out_bit(const sirnn_block *out, unsigned nrows, size_t c, unsigned r)
{
    const sirnn_block *row = out + c * (nrows / 128);
    return (unsigned)(row[r / 128].w[(r / 64) % 2] >> (r % 64)) & 1u;
}

static unsigned in_bit(const test_matrix *m, unsigned r, size_t c)
{
    return (unsigned)(m->in[r * m->stride + c / 8] >> (c % 8)) & 1u;
}

static void check_against_reference(const sirnn_block *out, const test_matrix *m)
{
    for (size_t c = 0; c < m->ncols; c++)
        for (unsigned r = 0; r < m->nrows; r++)
            if (out_bit(out, m->nrows, c, r) != in_bit(m, r, c))
                fail_msg("rows=%u ncols=%zu stride=%zu: bit (row %u, col %zu) wrong", m->nrows,
                         m->ncols, m->stride, r, c);
}

static transpose_fn portable_fn(unsigned nrows)
{
    return nrows == 128 ? sirnn_transpose128_portable : sirnn_transpose256_portable;
}

static const size_t k_ncols[] = {128, 256, 384, 1024, 4096 + 128};

static size_t ncols_count(void)
{
    /* Valgrind runs skip the widest case. */
    return test_quick() ? 4 : sizeof(k_ncols) / sizeof(k_ncols[0]);
}

/* Strides: tight, padded by a vector, odd (row alignments vary), and a
 * multiple of 1024 (the SIMD paths stage such rows through a buffer). */
enum { STRIDE_VARIANTS = 4 };

static size_t stride_for(size_t ncols, int variant)
{
    static const size_t pad[3] = {0, 16, 3};
    if (variant == 3)
        return (ncols / 8 + 1023) / 1024 * 1024;
    return ncols / 8 + pad[variant];
}

static void portable_vs_reference(unsigned nrows)
{
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ nrows);
    for (size_t i = 0; i < ncols_count(); i++) {
        for (int v = 0; v < STRIDE_VARIANTS; v++) {
            test_matrix m;
            matrix_init(&m, &rng, nrows, k_ncols[i], stride_for(k_ncols[i], v));
            sirnn_block *out = out_alloc(nrows, m.ncols);
            portable_fn(nrows)(out, m.in, m.stride, m.ncols);
            check_against_reference(out, &m);
            check_guard(out, nrows, m.ncols);
            free(out);
            free(m.base);
        }
    }
}

static void test_portable_vs_reference_128(void **state)
{
    (void)state;
    portable_vs_reference(128);
}

static void test_portable_vs_reference_256(void **state)
{
    (void)state;
    portable_vs_reference(256);
}

/* Compare fn with the portable twin over every width and stride. */
static void compare_with_portable(transpose_fn fn, const char *name, unsigned nrows, test_rng *rng)
{
    for (size_t i = 0; i < ncols_count(); i++) {
        for (int v = 0; v < STRIDE_VARIANTS; v++) {
            test_matrix m;
            matrix_init(&m, rng, nrows, k_ncols[i], stride_for(k_ncols[i], v));
            sirnn_block *want = out_alloc(nrows, m.ncols);
            sirnn_block *got = out_alloc(nrows, m.ncols);
            portable_fn(nrows)(want, m.in, m.stride, m.ncols);
            fn(got, m.in, m.stride, m.ncols);
            if (memcmp(want, got, m.ncols * (nrows / 128) * sizeof(sirnn_block)) != 0)
                fail_msg("%s rows=%u ncols=%zu stride=%zu differs from portable", name, nrows,
                         m.ncols, m.stride);
            check_guard(got, nrows, m.ncols);
            free(want);
            free(got);
            free(m.base);
        }
    }
}

static void every_path_vs_portable(unsigned nrows)
{
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ (0x100u + nrows));
    /* Every implementation, including ones a faster path shadows. */
    for (size_t i = 0; i < SIRNN_TRANSPOSE_PATH_COUNT; i++) {
        sirnn_transpose_path path;
        if (!sirnn_transpose_path_get(i, &path)) {
            printf("# path %zu: not supported here\n", i);
            continue;
        }
        printf("# path %s\n", path.name);
        compare_with_portable(nrows == 128 ? path.transpose128 : path.transpose256, path.name,
                              nrows, &rng);
    }
    /* The choice of every level, and the dispatcher. */
    int levels = 0;
    for (int isa = 0; isa < SIRNN_ISA_COUNT; isa++) {
        sirnn_kernel_table t;
        if (!sirnn_kernels_for_isa((sirnn_isa)isa, &t))
            continue;
        levels++;
        assert_non_null(t.transpose_impl);
        assert_non_null(t.transpose128);
        assert_non_null(t.transpose256);
        printf("# level %s: transpose %s\n", sirnn_isa_level_name((sirnn_isa)isa),
               t.transpose_impl);
        compare_with_portable(nrows == 128 ? t.transpose128 : t.transpose256, t.transpose_impl,
                              nrows, &rng);
    }
    assert_true(levels >= 1);
    compare_with_portable(nrows == 128 ? sirnn_transpose128 : sirnn_transpose256, "dispatch",
                          nrows, &rng);
}

static void test_every_path_vs_portable_128(void **state)
{
    (void)state;
    every_path_vs_portable(128);
}

static void test_every_path_vs_portable_256(void **state)
{
    (void)state;
    every_path_vs_portable(256);
}

/* One set bit at each (row, column) of a 256 x 128 matrix must land at
 * exactly one place on every path: catches swapped or mirrored indices that
 * dense random data could in principle hide. */
static void test_single_bits(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x5b);
    enum { ROWS = 256, COLS = 128, STRIDE = COLS / 8 };
    uint8_t *in = calloc(ROWS * STRIDE, 1);
    sirnn_block *out = out_alloc(ROWS, COLS);
    sirnn_block *want = out_alloc(ROWS, COLS);
    assert_non_null(in);
    const unsigned row_step = test_quick() ? 7 : 1;
    for (size_t p = 0; p < SIRNN_TRANSPOSE_PATH_COUNT; p++) {
        sirnn_transpose_path t;
        if (!sirnn_transpose_path_get(p, &t))
            continue;
        for (unsigned r = 0; r < ROWS; r += row_step) {
            size_t c = (size_t)test_rng_below(&rng, COLS);
            memset(in, 0, ROWS * STRIDE);
            in[r * STRIDE + c / 8] = (uint8_t)(1u << (c % 8));
            for (unsigned nrows = 128; nrows <= 256; nrows += 128) {
                if (r >= nrows)
                    continue;
                const size_t out_bytes = COLS * (nrows / 128) * sizeof(sirnn_block);
                memset(want, 0, out_bytes);
                want[c * (nrows / 128) + r / 128].w[(r / 64) % 2] = (uint64_t)1 << (r % 64);
                transpose_fn fn = nrows == 128 ? t.transpose128 : t.transpose256;
                fn(out, in, STRIDE, COLS);
                if (memcmp(out, want, out_bytes) != 0)
                    fail_msg("%s rows=%u: single bit (row %u, col %zu) misplaced", t.name,
                             nrows, r, c);
                check_guard(out, ROWS, COLS);
            }
        }
    }
    free(want);
    free(out);
    free(in);
}

/* ncols = 0 writes nothing and reads nothing. */
static void test_zero_columns(void **state)
{
    (void)state;
    sirnn_block *out = out_alloc(256, 0);
    uint8_t in[1] = {0};
    for (size_t p = 0; p < SIRNN_TRANSPOSE_PATH_COUNT; p++) {
        sirnn_transpose_path t;
        if (!sirnn_transpose_path_get(p, &t))
            continue;
        t.transpose128(out, in, 0, 0);
        t.transpose256(out, in, 0, 0);
        check_guard(out, 256, 0);
    }
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_portable_vs_reference_128),
        cmocka_unit_test(test_portable_vs_reference_256),
        cmocka_unit_test(test_every_path_vs_portable_128),
        cmocka_unit_test(test_every_path_vs_portable_256),
        cmocka_unit_test(test_single_bits),
        cmocka_unit_test(test_zero_columns),
    };
    (void)test_seed();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
