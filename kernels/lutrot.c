/* Constant-time table rotation: portable twin and dispatch (kernels/lutrot.h). */
#include "kernels/lutrot.h"

#include "kernels/cpu.h"

static void rot_pass(uint64_t *restrict out, const uint64_t *restrict in, size_t N, size_t sh,
                     uint64_t mk)
{
    for (size_t v = 0; v < N - sh; v++)
        out[v] = in[v] ^ ((in[v] ^ in[v + sh]) & mk);
    for (size_t v = N - sh; v < N; v++)
        out[v] = in[v] ^ ((in[v] ^ in[v + sh - N]) & mk);
}

void sirnn_lut_rotate_portable(uint64_t *dst, const uint64_t *src, uint64_t *tmp, uint64_t s,
                               unsigned m, uint64_t r, uint64_t lm)
{
    const size_t N = (size_t)1 << m;
    const uint64_t *in = src;
    for (unsigned b = 0; b < m; b++) {
        uint64_t *out = ((m - b) % 2 == 1) ? dst : tmp;
        rot_pass(out, in, N, (size_t)1 << b, 0 - ((s >> b) & 1));
        in = out;
    }
    for (size_t v = 0; v < N; v++)
        dst[v] = (dst[v] - r) & lm;
}

/* The 16-bit barrel shifter on a copy of the table (so dst may alias src). */
static void rot16_finish(uint64_t *dst, uint16_t *buf, uint64_t s, unsigned m, uint64_t r,
                         uint64_t lm)
{
    const size_t N = (size_t)1 << m;
    uint16_t tmp[256];
    uint16_t *in = buf, *out = tmp;
    for (unsigned b = 0; b < m; b++) {
        const size_t sh = (size_t)1 << b;
        const uint16_t mk = (uint16_t)(0 - ((s >> b) & 1));
        for (size_t v = 0; v < N; v++) {
            const uint16_t x = in[v], y = in[(v + sh) & (N - 1)];
            out[v] = (uint16_t)(x ^ ((x ^ y) & mk));
        }
        uint16_t *t = in;
        in = out;
        out = t;
    }
    for (size_t v = 0; v < N; v++)
        dst[v] = ((uint64_t)in[v] - r) & lm;
}

void sirnn_lut_rotate16_portable(uint64_t *dst, const uint16_t *src, uint64_t s, unsigned m,
                                 uint64_t r, uint64_t lm)
{
    uint16_t buf[256];
    for (size_t v = 0; v < ((size_t)1 << m); v++)
        buf[v] = src[v];
    rot16_finish(dst, buf, s, m, r, lm);
}

void sirnn_lut_rotate16w_portable(uint64_t *dst, const uint64_t *src, uint64_t s, unsigned m,
                                  uint64_t r, uint64_t lm)
{
    uint16_t buf[256];
    for (size_t v = 0; v < ((size_t)1 << m); v++)
        buf[v] = (uint16_t)src[v];
    rot16_finish(dst, buf, s, m, r, lm);
}

void sirnn_lut_rotate16(uint64_t *dst, const uint16_t *src, uint64_t s, unsigned m, uint64_t r,
                        uint64_t lm)
{
    sirnn_kernels()->lut_rotate16(dst, src, s, m, r, lm);
}

void sirnn_lut_rotate16w(uint64_t *dst, const uint64_t *src, uint64_t s, unsigned m, uint64_t r,
                         uint64_t lm)
{
    sirnn_kernels()->lut_rotate16w(dst, src, s, m, r, lm);
}

void sirnn_lut_rotate(uint64_t *dst, const uint64_t *src, uint64_t *tmp, uint64_t s, unsigned m,
                      uint64_t r, uint64_t lm)
{
    sirnn_kernels()->lut_rotate(dst, src, tmp, s, m, r, lm);
}

/* AVX-512 F/BW for the 512-bit file, AVX2 for the 256-bit one (the levels
 * imply them, unless SIRNN_CPU_MASK hid them). */
void sirnn_lutrot_fill_table(sirnn_kernel_table *t, sirnn_isa isa, const sirnn_cpu_features *f)
{
    if (isa >= SIRNN_ISA_AVX512 && f->avx512f && f->avx512bw) {
        t->lutrot_impl = "avx512";
        t->lut_rotate = sirnn_lut_rotate_avx512;
        t->lut_rotate16 = sirnn_lut_rotate16_avx512;
        t->lut_rotate16w = sirnn_lut_rotate16w_avx512;
    } else if (isa >= SIRNN_ISA_AVX2 && f->avx2) {
        t->lutrot_impl = "avx2";
        t->lut_rotate = sirnn_lut_rotate_avx2;
        t->lut_rotate16 = sirnn_lut_rotate16_avx2;
        t->lut_rotate16w = sirnn_lut_rotate16w_avx2;
    } else {
        t->lutrot_impl = "portable";
        t->lut_rotate = sirnn_lut_rotate_portable;
        t->lut_rotate16 = sirnn_lut_rotate16_portable;
        t->lut_rotate16w = sirnn_lut_rotate16w_portable;
    }
}
