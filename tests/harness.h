/*
 * Shared test harness: seeds, a deterministic test RNG, and a two-party
 * runner. cmocka asserts are not thread-safe, so a peer running on a second
 * thread reports through its return value (0 = ok), and the main thread
 * asserts on it.
 */
#ifndef SIRNN_TESTS_HARNESS_H
#define SIRNN_TESTS_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <pthread.h>

#include "sirnn/party.h"

/* The run's seed: SIRNN_TEST_SEED if set, else from the clock. Printed once
 * ("test seed: N (set SIRNN_TEST_SEED=N to reproduce)"). */
uint64_t test_seed(void);
/* True when SIRNN_TEST_QUICK is set (valgrind runs use smaller sizes). */
bool test_quick(void);
/* The OT backend of test_pair_open's parties: SIRNN_TEST_OT_BACKEND=iknp
 * (the default), softspoken or silent. The byte pins of the protocol tests
 * are IKNP's (../shared/PROTOCOLS.md); on another backend test_ot_pinned()
 * is false and the tests check results only. */
sirnn_ot_backend test_ot_backend(void);
bool test_ot_pinned(void);
/* Byte and flight pins: checked on the pinned backend only; both sides are
 * evaluated on every backend (a side may run the protocol under test). */
#define assert_pin_equal(a, b)                                                       \
    do {                                                                             \
        const uint64_t pin_a_ = (uint64_t)(a), pin_b_ = (uint64_t)(b);               \
        if (test_ot_pinned())                                                        \
            assert_int_equal(pin_a_, pin_b_);                                        \
    } while (0)
/* Pins for every backend: iknp on SIRNN_OT_IKNP, softspoken on
 * SIRNN_OT_SOFTSPOKEN (the harness's ot_k = 4, KK13 with k = 2), silent on
 * SIRNN_OT_SILENT, where a is the protocol's own bytes: the caller
 * subtracts what the silent engines sent (test_silent_sent), which depends
 * on where their tiles and iterations fall, not on the call. */
#define assert_pin3(a, iknp, softspoken, silent)                                     \
    do {                                                                             \
        const uint64_t pin_a_ = (uint64_t)(a);                                       \
        const sirnn_ot_backend pin_be_ = test_ot_backend();                          \
        assert_int_equal(pin_a_, pin_be_ == SIRNN_OT_IKNP         ? (uint64_t)(iknp)       \
                                 : pin_be_ == SIRNN_OT_SOFTSPOKEN ? (uint64_t)(softspoken) \
                                                                  : (uint64_t)(silent));   \
    } while (0)
/* Bytes the silent COT engines of p's lanes have made p send so far (their
 * tiles, bootstrap columns and iteration corrections; ot/silent.h); 0 on
 * the other backends. */
struct sirnn_party;
uint64_t test_silent_sent(struct sirnn_party *p);
#define assert_pin_true(c)                                                           \
    do {                                                                             \
        const bool pin_c_ = (c);                                                     \
        if (test_ot_pinned())                                                        \
            assert_true(pin_c_);                                                     \
    } while (0)

/* xoshiro256** seeded by splitmix64: a cleartext RNG for test inputs,
 * independent of the library's PRG. */
typedef struct test_rng {
    uint64_t s[4];
} test_rng;
void test_rng_init(test_rng *r, uint64_t seed);
uint64_t test_rng_next(test_rng *r);
/* Uniform in [0, bound), bound > 0. */
uint64_t test_rng_below(test_rng *r, uint64_t bound);
void test_rng_bytes(test_rng *r, void *out, size_t n);

/* Run fn0(arg0) on the calling thread and fn1(arg1) on a new thread, then
 * join. Returns 0 if both returned 0; otherwise the first non-zero code
 * (fn0's before fn1's). *rc0 / *rc1 receive each code when non-NULL. */
typedef int (*test_party_fn)(void *arg);
int test_run2(test_party_fn fn0, void *arg0, test_party_fn fn1, void *arg1,
              int *rc0, int *rc1);

/* Mask of the low l bits (0 <= l <= 64); n rounded up to a multiple of 128
 * (the OT-extension granularity); ceil(a / b). */
uint64_t test_mask(unsigned l);
uint64_t test_round128(uint64_t n);
uint64_t test_cdiv(uint64_t a, uint64_t b);

/* An in-process pair of parties with `threads` lanes, plain IKNP (the byte
 * pins assume 128 bits per OT extension), in test mode seeded
 * from test_seed() (reproducible), OT engines set up. Asserts (cmocka) on
 * failure, so call it from the main thread. Close frees both and NULLs them. */
struct sirnn_party;
void test_pair_open(unsigned threads, struct sirnn_party **srv, struct sirnn_party **cli);
void test_pair_close(struct sirnn_party **srv, struct sirnn_party **cli);

/* The binary's shared pair, for the tests of one module: the cmocka group
 * fixtures open it with one lane and close it; test_pair_lanes reopens it
 * with `threads` lanes (call it again with 1 to restore). */
extern struct sirnn_party *test_srv, *test_cli;
int test_pair_group_setup(void **state);
int test_pair_group_teardown(void **state);
void test_pair_lanes(unsigned threads);

/* This machine's own IPv4 address on an interface other than loopback (an
 * address a server can bind to that is not loopback), as text in buf; false
 * when there is none. Tests use it only where nothing may be sent to it. */
bool test_own_address(char *buf, size_t len);

/* A thread handle for tests that need more control. */
typedef struct test_thread {
    pthread_t th;
    test_party_fn fn;
    void *arg;
    int rc;
} test_thread;
int test_thread_start(test_thread *t, test_party_fn fn, void *arg);
int test_thread_join(test_thread *t);

#endif /* SIRNN_TESTS_HARNESS_H */
