/*
 * CPU detection and dispatch: the SIRNN_ISA cap, the per-level tables, and
 * the consistency of what cpuid reported.
 */
#include "tests/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/sirnn.h"
#include "kernels/cpu.h"

/* Set before the first kernel call (main does it), read back here. */
static int g_cap = -1;

static void test_levels_and_tables(void **state)
{
    (void)state;
    sirnn_isa max = sirnn_cpu_max_isa();
    for (int i = 0; i < SIRNN_ISA_COUNT; i++) {
        sirnn_kernel_table t;
        memset(&t, 0, sizeof(t));
        bool ok = sirnn_kernels_for_isa((sirnn_isa)i, &t);
        assert_int_equal(ok, i <= (int)max);
        if (!ok)
            continue;
        assert_int_equal(t.isa, i);
        assert_non_null(t.aes_impl);
        assert_non_null(t.transpose_impl);
        assert_non_null(t.aes_ecb);
        assert_non_null(t.aes_ctr);
        assert_non_null(t.crhash);
        assert_non_null(t.tccrhash);
        assert_non_null(t.tccrhash256);
        assert_non_null(t.transpose128);
        assert_non_null(t.transpose256);
        assert_non_null(t.tccrhash256_many);
        assert_non_null(t.lutrot_impl);
        assert_non_null(t.lut_rotate);
        assert_non_null(t.lut_rotate16);
        assert_non_null(t.lut_rotate16w);
        assert_non_null(t.kkpack_impl);
        assert_non_null(t.kk_combine);
        assert_non_null(t.kk_select);
        assert_non_null(t.otchain_impl);
        assert_non_null(t.otx_chain);
        assert_non_null(t.lpn_impl);
        assert_non_null(t.lpn_xor);
        if (i == SIRNN_ISA_PORTABLE) {
            assert_string_equal(t.aes_impl, "evp");
            assert_string_equal(t.transpose_impl, "portable");
            assert_string_equal(t.lutrot_impl, "portable");
            assert_string_equal(t.kkpack_impl, "portable");
            assert_string_equal(t.otchain_impl, "portable");
            assert_string_equal(t.lpn_impl, "portable");
        }
        /* Features hidden by SIRNN_CPU_MASK are used by no level. */
        const char *mask = getenv("SIRNN_CPU_MASK");
        if (mask != NULL && strstr(mask, "novaes") != NULL)
            assert_true(strncmp(t.aes_impl, "vaes", 4) != 0);
        if (mask != NULL && strstr(mask, "nogfni") != NULL)
            assert_true(strstr(t.transpose_impl, "gfni") == NULL);
    }
    sirnn_kernel_table t;
    assert_false(sirnn_kernels_for_isa((sirnn_isa)SIRNN_ISA_COUNT, &t));
}

static void test_cap(void **state)
{
    (void)state;
    sirnn_isa max = sirnn_cpu_max_isa();
    sirnn_isa want = (g_cap >= 0 && (sirnn_isa)g_cap < max) ? (sirnn_isa)g_cap : max;
    assert_int_equal(sirnn_cpu_active_isa(), want);
    assert_string_equal(sirnn_isa_name(), sirnn_isa_level_name(want));
    assert_int_equal(sirnn_kernels()->isa, want);
}

static void test_features_consistent(void **state)
{
    (void)state;
    const sirnn_cpu_features *f = sirnn_cpu_features_get();
    /* Levels imply their features. */
    sirnn_isa max = sirnn_cpu_max_isa();
    if (max >= SIRNN_ISA_AESNI)
        assert_true(f->aesni && f->sse41 && f->ssse3 && f->pclmul);
    if (max >= SIRNN_ISA_AVX2)
        assert_true(f->avx2 && f->avx);
    if (max >= SIRNN_ISA_AVX512)
        assert_true(f->avx512f && f->avx512bw && f->avx512vl);
    /* AVX2 needs AVX; AVX-512 BW needs F. */
    assert_true(!f->avx2 || f->avx);
    assert_true(!f->avx512bw || f->avx512f);
}

static void test_parse(void **state)
{
    (void)state;
    assert_int_equal(sirnn_isa_parse("portable"), SIRNN_ISA_PORTABLE);
    assert_int_equal(sirnn_isa_parse("aesni"), SIRNN_ISA_AESNI);
    assert_int_equal(sirnn_isa_parse("avx2"), SIRNN_ISA_AVX2);
    assert_int_equal(sirnn_isa_parse("avx512"), SIRNN_ISA_AVX512);
    assert_int_equal(sirnn_isa_parse("sse9"), -1);
    assert_int_equal(sirnn_isa_parse(NULL), -1);
    assert_string_equal(sirnn_isa_level_name((sirnn_isa)99), "unknown");
}

/* SIRNN_CPU_MASK's parser: each name clears its features and nothing else. */
static void test_cpu_mask(void **state)
{
    (void)state;
    sirnn_cpu_features all, f;
    memset(&all, 1, sizeof(all));
    for (size_t i = 0; i < sizeof(all); i++)
        assert_true(((unsigned char *)&all)[i] == 1); /* bools are bytes here */
    f = all;
    sirnn_cpu_apply_mask(&f, "novaes,nogfni");
    assert_false(f.vaes);
    assert_false(f.gfni);
    f.vaes = f.gfni = true;
    assert_memory_equal(&f, &all, sizeof(f));
    f = all;
    sirnn_cpu_apply_mask(&f, ",novbmi,,novpclmul");
    assert_false(f.avx512vbmi);
    assert_false(f.vpclmul);
    f.avx512vbmi = f.vpclmul = true;
    assert_memory_equal(&f, &all, sizeof(f));
    f = all;
    sirnn_cpu_apply_mask(&f, "noavx512");
    assert_false(f.avx512f || f.avx512bw || f.avx512vl || f.avx512vbmi);
    assert_true(f.avx2 && f.vaes && f.gfni);
    f = all;
    sirnn_cpu_apply_mask(&f, NULL);
    sirnn_cpu_apply_mask(&f, "");
    sirnn_cpu_apply_mask(&f, "novaesx"); /* unknown: reported, ignored */
    assert_memory_equal(&f, &all, sizeof(f));
}

/* The public report of each family's path matches the active table. */
static void test_kernel_paths(void **state)
{
    (void)state;
    const sirnn_kernel_table *t = sirnn_kernels();
    assert_string_equal(sirnn_kernel_path("aes"), t->aes_impl);
    assert_string_equal(sirnn_kernel_path("transpose"), t->transpose_impl);
    assert_string_equal(sirnn_kernel_path("lutrot"), t->lutrot_impl);
    assert_string_equal(sirnn_kernel_path("kkpack"), t->kkpack_impl);
    assert_string_equal(sirnn_kernel_path("otchain"), t->otchain_impl);
    assert_string_equal(sirnn_kernel_path("lpn"), t->lpn_impl);
    size_t i = 0;
    for (; sirnn_kernel_family(i) != NULL; i++)
        assert_non_null(sirnn_kernel_path(sirnn_kernel_family(i)));
    assert_int_equal(i, 6);
    assert_null(sirnn_kernel_path("fft"));
    assert_null(sirnn_kernel_path(NULL));
}

int main(void)
{
    /* Exercise the cap: a random level below the machine's, unless the
     * caller already chose one. */
    test_rng r;
    test_rng_init(&r, test_seed());
    const char *env = getenv("SIRNN_ISA");
    if (env == NULL) {
        static const char *const names[] = {"portable", "aesni", "avx2", "avx512"};
        g_cap = (int)test_rng_below(&r, 4);
        setenv("SIRNN_ISA", names[g_cap], 1);
        printf("SIRNN_ISA=%s for this run\n", names[g_cap]);
    } else {
        g_cap = sirnn_isa_parse(env);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_levels_and_tables),
        cmocka_unit_test(test_features_consistent),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_cpu_mask),
        cmocka_unit_test(test_kernel_paths),
    };
    return cmocka_run_group_tests_name("cpu", tests, NULL, NULL);
}
