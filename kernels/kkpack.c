/*
 * KK13 combine / select: portable twins and the table filler
 * (kernels/kkpack.h).
 */
#include "kernels/kkpack.h"

#include <stdbool.h>
#include <string.h>

#include "kernels/cpu.h"
#include "kernels/pack.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define KK_LITTLE_ENDIAN 1
#else
#define KK_LITTLE_ENDIAN 0
#endif

/* Little-endian words of 8 or (at the byte widths) l / 8 bytes. */
static inline void store_le(uint8_t *p, uint64_t v, unsigned bytes)
{
#if KK_LITTLE_ENDIAN
    memcpy(p, &v, bytes);
#else
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
#endif
}

static inline uint64_t load_le(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
#if KK_LITTLE_ENDIAN
    memcpy(&v, p, bytes);
#else
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
#endif
    return v;
}

static bool byte_width(unsigned l)
{
    return l == 8 || l == 16 || l == 32 || l == 64;
}

void sirnn_kkot_combine_portable(uint8_t *out, const uint64_t *msgs, const uint64_t *pads,
                                 size_t count, unsigned l)
{
    if (byte_width(l)) {
        /* A constant width per loop keeps the stores inline. */
        switch (l) {
        case 8:
            for (size_t j = 0; j < count; j++)
                store_le(out + j, msgs[j] ^ pads[j], 1);
            break;
        case 16:
            for (size_t j = 0; j < count; j++)
                store_le(out + 2 * j, msgs[j] ^ pads[j], 2);
            break;
        case 32:
            for (size_t j = 0; j < count; j++)
                store_le(out + 4 * j, msgs[j] ^ pads[j], 4);
            break;
        default:
            for (size_t j = 0; j < count; j++)
                store_le(out + 8 * j, msgs[j] ^ pads[j], 8);
            break;
        }
        return;
    }
    /* acc holds `have` < 64 pending bits, zero above them. */
    const uint64_t mask = sirnn_mask(l);
    uint64_t acc = 0;
    unsigned have = 0;
    for (size_t j = 0; j < count; j++) {
        const uint64_t y = (msgs[j] ^ pads[j]) & mask;
        acc |= y << have;
        if (have + l >= 64) {
            store_le(out, acc, 8);
            out += 8;
            acc = have > 0 ? y >> (64 - have) : 0;
            have = have + l - 64;
        } else {
            have += l;
        }
    }
    for (unsigned b = 0; 8 * b < have; b++)
        out[b] = (uint8_t)(acc >> (8 * b));
}

/* Bits [pos, pos + l) of the stream y, l <= 64. */
static inline uint64_t stream_bits(const uint8_t *y, size_t pos, unsigned l)
{
    const unsigned sh = (unsigned)(pos % 8);
    uint64_t v = load_le(y + pos / 8, 8) >> sh;
    if (sh + l > 64)
        v |= (uint64_t)y[pos / 8 + 8] << (64 - sh);
    return v & sirnn_mask(l);
}

/* Value x of the N values of `bytes` bytes at yi, by masks. The width is a
 * constant in each loop, so the loads stay inline and the loops vectorise. */
#define SELECT_LANES(width)                                                      \
    for (unsigned v = 0; v < N; v++) {                                            \
        const uint64_t hit = ((uint64_t)(v ^ x) - 1) >> 63; /* 1 iff v == x */ \
        acc |= load_le(yi + (size_t)v * (width), (width)) & (0 - hit);            \
    }

static uint64_t select_bytes(const uint8_t *yi, unsigned N, unsigned bytes, uint64_t x)
{
    uint64_t acc = 0;
    switch (bytes) {
    case 1:
        SELECT_LANES(1)
        break;
    case 2:
        SELECT_LANES(2)
        break;
    case 4:
        SELECT_LANES(4)
        break;
    default:
        SELECT_LANES(8)
        break;
    }
    return acc;
}
#undef SELECT_LANES

void sirnn_kkot_select_portable(uint64_t *mc, const uint8_t *y, const uint8_t *choices,
                                const sirnn_block *h, size_t k, unsigned N, unsigned l)
{
    const uint64_t mask = sirnn_mask(l);
    const size_t span = (size_t)N * l;
    for (size_t i = 0; i < k; i++) {
        const uint64_t x = choices[i];
        const size_t pos = i * span;
        uint64_t acc = 0;
        if (pos % 8 + span <= 64) {
            /* All N values in one word: a shift by the secret x*l (a
             * constant-time register shift, no memory index). */
            acc = load_le(y + pos / 8, 8) >> (pos % 8) >> (x * l);
        } else if (byte_width(l)) {
            acc = select_bytes(y + pos / 8, N, l / 8, x);
        } else {
            for (unsigned v = 0; v < N; v++) {
                const uint64_t hit = ((uint64_t)(v ^ x) - 1) >> 63;
                acc |= stream_bits(y, pos + (size_t)v * l, l) & (0 - hit);
            }
        }
        mc[i] = (acc ^ h[i].w[0]) & mask;
    }
}

/* The AVX2 and AVX-512 files are built with BMI2 (pext); the levels imply
 * what they need unless SIRNN_CPU_MASK hid it. */
void sirnn_kkpack_fill_table(sirnn_kernel_table *t, sirnn_isa isa, const sirnn_cpu_features *f)
{
    if (isa >= SIRNN_ISA_AVX512 && f->avx512f && f->avx512bw && f->avx512vl && f->bmi2) {
        t->kkpack_impl = "avx512";
        t->kk_combine = sirnn_kkot_combine_avx512;
        t->kk_select = sirnn_kkot_select_avx512;
    } else if (isa >= SIRNN_ISA_AVX2 && f->avx2 && f->bmi2) {
        t->kkpack_impl = "avx2";
        t->kk_combine = sirnn_kkot_combine_avx2;
        t->kk_select = sirnn_kkot_select_avx2;
    } else {
        t->kkpack_impl = "portable";
        t->kk_combine = sirnn_kkot_combine_portable;
        t->kk_select = sirnn_kkot_select_portable;
    }
}
