/*
 * CPU detection and the dispatch tables. cpuid/xgetbv are read once; the
 * tables for every level are built once, so a lookup is a pointer load.
 */
#include "kernels/cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define SIRNN_X86 1
#endif

static sirnn_cpu_features g_features;
static sirnn_isa g_max_isa = SIRNN_ISA_PORTABLE;
static sirnn_isa g_active_isa = SIRNN_ISA_PORTABLE;
static sirnn_kernel_table g_tables[SIRNN_ISA_COUNT];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

#ifdef SIRNN_X86
static uint64_t read_xcr0(void)
{
    uint32_t lo, hi;
    /* xgetbv with ecx = 0; encoded as bytes for old assemblers. */
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static void detect_features(sirnn_cpu_features *f)
{
    unsigned a, b, c, d;
    memset(f, 0, sizeof(*f));
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return;
    f->sse2 = (d >> 26) & 1;
    f->ssse3 = (c >> 9) & 1;
    f->sse41 = (c >> 19) & 1;
    f->pclmul = (c >> 1) & 1;
    f->aesni = (c >> 25) & 1;
    bool osxsave = (c >> 27) & 1;
    bool avx_hw = (c >> 28) & 1;
    uint64_t xcr0 = osxsave ? read_xcr0() : 0;
    /* The OS must save the YMM (bits 1,2) and ZMM (bits 5,6,7) state. */
    bool os_ymm = (xcr0 & 0x6) == 0x6;
    bool os_zmm = (xcr0 & 0xe6) == 0xe6;
    f->avx = avx_hw && os_ymm;
    if (__get_cpuid_max(0, NULL) >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        f->avx2 = f->avx && ((b >> 5) & 1);
        f->bmi2 = (b >> 8) & 1;
        f->avx512f = os_zmm && ((b >> 16) & 1);
        f->avx512bw = f->avx512f && ((b >> 30) & 1);
        f->avx512vl = f->avx512f && ((b >> 31) & 1);
        f->avx512vbmi = f->avx512f && ((c >> 1) & 1);
        f->gfni = (c >> 8) & 1;
        f->vaes = f->avx && ((c >> 9) & 1);
        f->vpclmul = f->avx && ((c >> 10) & 1);
    }
}
#else
static void detect_features(sirnn_cpu_features *f)
{
    memset(f, 0, sizeof(*f));
}
#endif

void sirnn_cpu_apply_mask(sirnn_cpu_features *f, const char *spec)
{
    while (spec != NULL && *spec != '\0') {
        const size_t len = strcspn(spec, ",");
        const char *name = spec;
        spec += len + (spec[len] == ',');
        if (len == 0)
            continue;
#define SIRNN_MASK_IS(word) (len == sizeof(word) - 1 && strncmp(name, word, len) == 0)
        if (SIRNN_MASK_IS("novaes"))
            f->vaes = false;
        else if (SIRNN_MASK_IS("novpclmul"))
            f->vpclmul = false;
        else if (SIRNN_MASK_IS("nogfni"))
            f->gfni = false;
        else if (SIRNN_MASK_IS("novbmi"))
            f->avx512vbmi = false;
        else if (SIRNN_MASK_IS("noavx512"))
            f->avx512f = f->avx512bw = f->avx512vl = f->avx512vbmi = false;
        else
            fprintf(stderr, "libsirnn: SIRNN_CPU_MASK: unknown feature '%.*s' ignored\n",
                    (int)len, name);
#undef SIRNN_MASK_IS
    }
}

static sirnn_isa max_level(const sirnn_cpu_features *f)
{
    if (!(f->sse2 && f->ssse3 && f->sse41 && f->aesni && f->pclmul))
        return SIRNN_ISA_PORTABLE;
    if (!(f->avx2 && f->bmi2))
        return SIRNN_ISA_AESNI;
    if (!(f->avx512f && f->avx512bw && f->avx512vl))
        return SIRNN_ISA_AVX2;
    return SIRNN_ISA_AVX512;
}

static const char *const g_level_names[SIRNN_ISA_COUNT] = {"portable", "aesni", "avx2", "avx512"};

const char *sirnn_isa_level_name(sirnn_isa isa)
{
    return (unsigned)isa < SIRNN_ISA_COUNT ? g_level_names[isa] : "unknown";
}

int sirnn_isa_parse(const char *name)
{
    for (int i = 0; i < SIRNN_ISA_COUNT; i++)
        if (name != NULL && strcmp(name, g_level_names[i]) == 0)
            return i;
    return -1;
}

static void init_once(void)
{
    detect_features(&g_features);
    sirnn_cpu_apply_mask(&g_features, getenv("SIRNN_CPU_MASK"));
    g_max_isa = max_level(&g_features);
    g_active_isa = g_max_isa;
    /* SIRNN_ISA caps the level; an unknown name is ignored (the active
     * level is always reported by sirnn_isa_name()). */
    const char *env = getenv("SIRNN_ISA");
    int cap = env ? sirnn_isa_parse(env) : -1;
    if (cap >= 0 && (sirnn_isa)cap < g_active_isa)
        g_active_isa = (sirnn_isa)cap;
    for (int i = 0; i <= (int)g_max_isa; i++) {
        sirnn_kernel_table *t = &g_tables[i];
        t->isa = (sirnn_isa)i;
        sirnn_aes_fill_table(t, (sirnn_isa)i, &g_features);
        sirnn_crhash_fill_table(t, (sirnn_isa)i, &g_features);
        sirnn_transpose_fill_table(t, (sirnn_isa)i, &g_features);
        sirnn_lutrot_fill_table(t, (sirnn_isa)i, &g_features);
        sirnn_kkpack_fill_table(t, (sirnn_isa)i, &g_features);
        sirnn_otchain_fill_table(t, (sirnn_isa)i, &g_features);
        sirnn_lpn_fill_table(t, (sirnn_isa)i, &g_features);
    }
}

const sirnn_cpu_features *sirnn_cpu_features_get(void)
{
    pthread_once(&g_once, init_once);
    return &g_features;
}

sirnn_isa sirnn_cpu_max_isa(void)
{
    pthread_once(&g_once, init_once);
    return g_max_isa;
}

sirnn_isa sirnn_cpu_active_isa(void)
{
    pthread_once(&g_once, init_once);
    return g_active_isa;
}

const sirnn_kernel_table *sirnn_kernels(void)
{
    pthread_once(&g_once, init_once);
    return &g_tables[g_active_isa];
}

bool sirnn_kernels_for_isa(sirnn_isa isa, sirnn_kernel_table *out)
{
    pthread_once(&g_once, init_once);
    if ((unsigned)isa >= SIRNN_ISA_COUNT || isa > g_max_isa)
        return false;
    *out = g_tables[isa];
    return true;
}
