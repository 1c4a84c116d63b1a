/*
 * Packing (l-bit values and bits) and ring operations mod 2^l, against
 * independent bit-by-bit and 128-bit-arithmetic references.
 */
#include "tests/harness.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/block.h"
#include "kernels/pack.h"
#include "kernels/ring.h"

__extension__ typedef unsigned __int128 test_u128;

enum { SENTINEL = 0xCC, SLACK = 16 };

static const size_t k_counts[] = {0, 1, 2, 3, 7, 63, 64, 65, 1000, 1001};
#define N_COUNTS (sizeof(k_counts) / sizeof(k_counts[0]))

/* Reference packer: one stream bit at a time. */
static void ref_pack(uint8_t *out, const uint64_t *in, size_t n, unsigned l)
{
    memset(out, 0, (n * l + 7) / 8);
    for (size_t i = 0; i < n; i++)
        for (unsigned b = 0; b < l; b++) {
            size_t k = i * l + b;
            if ((in[i] >> b) & 1)
                out[k / 8] = (uint8_t)(out[k / 8] | (1u << (k % 8)));
        }
}

static void fill_random(test_rng *rng, uint64_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = test_rng_next(rng);
}

static void test_pack_size(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x51);
    for (unsigned l = 1; l <= 64; l++) {
        for (int t = 0; t < 200; t++) {
            /* Up to 2^57 values, so n * l fits in 128 bits and the answer
             * in size_t. */
            size_t n = t < 16 ? (size_t)t : (size_t)(test_rng_next(&rng) >> 7);
            test_u128 want = ((test_u128)n * l + 7) / 8;
            assert_true((test_u128)sirnn_pack_size(n, l) == want);
        }
    }
}

/* Round trip with garbage above l, exact size, zero padding, untouched bytes
 * beyond the end, and agreement with the bit-by-bit reference. */
static void test_pack_round_trip(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x52);
    const size_t nmax = 1001;
    uint64_t *in = malloc(nmax * sizeof(uint64_t));
    uint64_t *back = malloc((nmax + 2) * sizeof(uint64_t));
    uint8_t *packed = malloc(nmax * 8 + SLACK);
    uint8_t *want = malloc(nmax * 8 + SLACK);
    assert_non_null(in);
    assert_non_null(back);
    assert_non_null(packed);
    assert_non_null(want);
    for (unsigned l = 1; l <= 64; l++) {
        const uint64_t mask = sirnn_mask(l);
        for (size_t ci = 0; ci < N_COUNTS; ci++) {
            const size_t n = k_counts[ci];
            fill_random(&rng, in, n); /* full 64-bit words: garbage above l */
            const size_t size = sirnn_pack_size(n, l);
            assert_int_equal(size, (n * l + 7) / 8);

            memset(packed, SENTINEL, size + SLACK);
            sirnn_pack(packed, in, n, l);
            for (size_t i = size; i < size + SLACK; i++)
                assert_int_equal(packed[i], SENTINEL);
            if ((n * l) % 8 != 0) {
                unsigned used = (unsigned)((n * l) % 8);
                assert_int_equal(packed[size - 1] >> used, 0);
            }
            ref_pack(want, in, n, l);
            if (memcmp(packed, want, size) != 0)
                fail_msg("pack l=%u n=%zu differs from the reference", l, n);

            /* Set the padding bits: unpack must ignore them. */
            if ((n * l) % 8 != 0)
                packed[size - 1] = (uint8_t)(packed[size - 1] | (0xFFu << ((n * l) % 8)));
            memset(back, 0xFF, (n + 2) * sizeof(uint64_t));
            sirnn_unpack(back, packed, n, l);
            for (size_t i = 0; i < n; i++)
                if (back[i] != (in[i] & mask))
                    fail_msg("unpack l=%u n=%zu: value %zu is %llx, want %llx", l, n, i,
                             (unsigned long long)back[i], (unsigned long long)(in[i] & mask));
            assert_true(back[n] == UINT64_MAX && back[n + 1] == UINT64_MAX);
        }
    }
    free(in);
    free(back);
    free(packed);
    free(want);
}

/* Unpack of a random stream against the reference's bit reading. */
static void test_unpack_random_stream(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x53);
    const size_t n = 1001;
    uint8_t *stream = malloc(n * 8);
    uint64_t *out = malloc(n * sizeof(uint64_t));
    assert_non_null(stream);
    assert_non_null(out);
    for (unsigned l = 1; l <= 64; l++) {
        const size_t size = sirnn_pack_size(n, l);
        test_rng_bytes(&rng, stream, size);
        sirnn_unpack(out, stream, n, l);
        for (size_t i = 0; i < n; i++) {
            uint64_t v = 0;
            for (unsigned b = 0; b < l; b++) {
                size_t k = i * l + b;
                v |= (uint64_t)((stream[k / 8] >> (k % 8)) & 1) << b;
            }
            if (out[i] != v)
                fail_msg("unpack l=%u value %zu differs from the reference", l, i);
        }
    }
    free(stream);
    free(out);
}

static void test_pack_bits(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x54);
    const size_t nmax = 1001;
    uint8_t *bits = malloc(nmax);
    uint8_t *back = malloc(nmax + SLACK);
    uint8_t *packed = malloc(nmax / 8 + 1 + SLACK);
    assert_non_null(bits);
    assert_non_null(back);
    assert_non_null(packed);
    for (size_t ci = 0; ci < N_COUNTS; ci++) {
        const size_t n = k_counts[ci];
        const size_t size = (n + 7) / 8;
        /* Random bytes: only bit 0 counts. */
        test_rng_bytes(&rng, bits, n);
        memset(packed, SENTINEL, size + SLACK);
        sirnn_pack_bits(packed, bits, n);
        for (size_t i = 0; i < n; i++)
            assert_int_equal((packed[i / 8] >> (i % 8)) & 1, bits[i] & 1);
        if (n % 8 != 0)
            assert_int_equal(packed[size - 1] >> (n % 8), 0);
        for (size_t i = size; i < size + SLACK; i++)
            assert_int_equal(packed[i], SENTINEL);

        if (n % 8 != 0)
            packed[size - 1] = (uint8_t)(packed[size - 1] | (0xFFu << (n % 8)));
        memset(back, SENTINEL, n + SLACK);
        sirnn_unpack_bits(back, packed, n);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(back[i], bits[i] & 1);
        for (size_t i = n; i < n + SLACK; i++)
            assert_int_equal(back[i], SENTINEL);
    }
    free(bits);
    free(back);
    free(packed);
}

/* Ring ops. */

typedef enum ring_op { OP_ADD, OP_SUB, OP_NEG, OP_MUL, OP_ADDC, OP_MULC, OP_REDUCE, OP_COUNT } ring_op;

static const char *const k_op_names[OP_COUNT] = {"add",     "sub",     "neg",   "mul",
                                                 "add_const", "mul_const", "reduce"};

/* Reference in 128-bit arithmetic: reduce the operands mod 2^l first, compute
 * exactly, reduce again. */
static uint64_t ref_op(ring_op op, uint64_t a, uint64_t b, uint64_t c, unsigned l)
{
    const test_u128 m = ((test_u128)1 << l);
    const test_u128 x = a % m, y = b % m, k = c % m;
    test_u128 r;
    switch (op) {
    case OP_ADD: r = x + y; break;
    case OP_SUB: r = x + (m - y); break;
    case OP_NEG: r = m - x; break;
    case OP_MUL: r = x * y; break;
    case OP_ADDC: r = x + k; break;
    case OP_MULC: r = x * k; break;
    default: r = x; break;
    }
    return (uint64_t)(r % m);
}

static void run_op(ring_op op, uint64_t *out, const uint64_t *a, const uint64_t *b, uint64_t c,
                   size_t n, unsigned l)
{
    switch (op) {
    case OP_ADD: sirnn_ring_add(out, a, b, n, l); break;
    case OP_SUB: sirnn_ring_sub(out, a, b, n, l); break;
    case OP_NEG: sirnn_ring_neg(out, a, n, l); break;
    case OP_MUL: sirnn_ring_mul(out, a, b, n, l); break;
    case OP_ADDC: sirnn_ring_add_const(out, a, c, n, l); break;
    case OP_MULC: sirnn_ring_mul_const(out, a, c, n, l); break;
    default: sirnn_ring_reduce(out, a, n, l); break;
    }
}

/* Alias modes: separate output, out == a, out == b (binary ops only). */
enum { ALIAS_NONE, ALIAS_A, ALIAS_B, ALIAS_COUNT };

static void test_ring_ops(void **state)
{
    (void)state;
    test_rng rng;
    test_rng_init(&rng, test_seed() ^ 0x55);
    const size_t nmax = 67; /* odd, above any vector width */
    uint64_t a[67], b[67], work[67 + 1], want[67];
    for (unsigned l = 1; l <= 64; l++) {
        for (int op = 0; op < OP_COUNT; op++) {
            const int binary = op == OP_ADD || op == OP_SUB || op == OP_MUL;
            for (int alias = 0; alias < ALIAS_COUNT; alias++) {
                if (alias == ALIAS_B && !binary)
                    continue;
                const size_t n = alias == ALIAS_NONE ? nmax : 1 + test_rng_below(&rng, nmax);
                fill_random(&rng, a, n);
                fill_random(&rng, b, n);
                /* Some edge values: 0, 2^l - 1, 2^l, all ones. */
                a[0] = 0;
                if (n > 3) {
                    a[1] = sirnn_mask(l);
                    b[1] = sirnn_mask(l);
                    a[2] = UINT64_MAX;
                    b[3] = l < 64 ? (uint64_t)1 << l : 0;
                }
                const uint64_t c = test_rng_next(&rng);
                for (size_t i = 0; i < n; i++)
                    want[i] = ref_op((ring_op)op, a[i], b[i], c, l);
                work[n] = 0x1234;
                if (alias == ALIAS_NONE) {
                    run_op((ring_op)op, work, a, b, c, n, l);
                } else if (alias == ALIAS_A) {
                    memcpy(work, a, n * sizeof(uint64_t));
                    run_op((ring_op)op, work, work, b, c, n, l);
                } else {
                    memcpy(work, b, n * sizeof(uint64_t));
                    run_op((ring_op)op, work, a, work, c, n, l);
                }
                for (size_t i = 0; i < n; i++)
                    if (work[i] != want[i])
                        fail_msg("ring %s l=%u alias=%d: element %zu is %llx, want %llx",
                                 k_op_names[op], l, alias, i, (unsigned long long)work[i],
                                 (unsigned long long)want[i]);
                assert_true(work[n] == 0x1234);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_size),
        cmocka_unit_test(test_pack_round_trip),
        cmocka_unit_test(test_unpack_random_stream),
        cmocka_unit_test(test_pack_bits),
        cmocka_unit_test(test_ring_ops),
    };
    (void)test_seed();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
