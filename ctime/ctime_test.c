/*
 * Constant-time check, in the style of secp256k1's valgrind test: secret
 * inputs (keys, seeds, shares) are marked undefined for memcheck, and the
 * kernels and a sample of protocols run on them. Memcheck then reports
 * every branch and every memory index that depends on a secret
 * ("Conditional jump or move depends on uninitialised value(s)", "Use of
 * uninitialised value of size 8"). What a party sends is public by
 * definition: the library built with -DSIRNN_CTIME marks the bytes it hands
 * to the channel as defined (net/channel.c), so only local dependence on
 * secrets is reported.
 *
 * Run by `make ctime` under valgrind; without valgrind it runs and checks
 * nothing. `ctime_test --leak` runs a deliberately secret-dependent branch,
 * so that `make ctime` can check that the checker does catch one.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include "sirnn/arith.h"
#include "sirnn/party.h"
#include "kernels/aes.h"
#include "kernels/crhash.h"
#include "kernels/prg.h"
#include "kernels/random.h"
#include "kernels/transpose.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

static void fill_random(void *p, size_t n)
{
    if (sirnn_os_random(p, n) != SIRNN_OK) {
        fprintf(stderr, "ctime: no OS randomness\n");
        exit(2);
    }
}

/* ---- kernels ------------------------------------------------------------- */

static void check_kernels(void)
{
    enum { N = 64 };
    sirnn_block key, in[N], out[N];
    fill_random(&key, sizeof(key));
    fill_random(in, sizeof(in));
    SECRET(&key, sizeof(key));
    SECRET(in, sizeof(in));

    sirnn_aes_key k;
    if (sirnn_aes_key_init(&k, &key) != SIRNN_OK)
        exit(2);
    sirnn_aes_ecb(&k, out, in, N);
    sirnn_aes_ecb_portable(&k, out, in, N);
    sirnn_aes_ctr(&k, out, 7, 0, N);
    sirnn_aes_key_free(&k);

    const sirnn_tweak tw = sirnn_tweak_make(SIRNN_TWEAK_TEST_DOMAIN, 3);
    sirnn_crhash(out, in, N);
    sirnn_tccrhash(out, in, tw, N);
    sirnn_tccrhash256(out, in, tw, N / 2);
    sirnn_crhash_portable(out, in, N);
    sirnn_tccrhash_portable(out, in, tw, N);
    sirnn_tccrhash256_portable(out, in, tw, N / 2);

    sirnn_prg prg;
    if (sirnn_prg_init(&prg, &key, 0) != SIRNN_OK)
        exit(2);
    uint64_t ring[N];
    sirnn_prg_blocks(&prg, out, N);
    sirnn_prg_ring(&prg, ring, N, 37);
    sirnn_prg_free(&prg);

    uint8_t bits[128 * 16];
    fill_random(bits, sizeof(bits));
    SECRET(bits, sizeof(bits));
    sirnn_transpose128(out, bits, 16, 128);
    sirnn_transpose128_portable(out, bits, 16, 128);
    sirnn_memzero(&key, sizeof(key));
}

/* ---- protocols ----------------------------------------------------------- */

enum { PN = 300 }; /* odd, more than one chunk of some protocols */

typedef struct party_run {
    sirnn_party *party;
    int rc;
} party_run;

/* The same sample on both sides, each on its own secret shares. */
static void *protocols_main(void *arg)
{
    party_run *r = arg;
    uint64_t x[PN], y[PN], out[PN];
    uint8_t cmp[PN], sign[PN];
    fill_random(x, sizeof(x));
    fill_random(y, sizeof(y));
    for (size_t i = 0; i < PN; i++) {
        x[i] &= 0xffffffffu;
        y[i] &= 0xffffu;
    }
    SECRET(x, sizeof(x));
    SECRET(y, sizeof(y));
    int rc = 0;
    rc |= sirnn_millionaire(r->party, PN, cmp, NULL, x, 32, 4, SIRNN_CMP_GT) != SIRNN_OK;
    rc |= sirnn_relu(r->party, PN, out, sign, x, 32) != SIRNN_OK;
    uint8_t bit[PN];
    for (size_t i = 0; i < PN; i++)
        bit[i] = (uint8_t)(x[i] & 1);
    rc |= sirnn_b2a(r->party, PN, out, bit, 32) != SIRNN_OK;
    rc |= sirnn_mux(r->party, PN, out, bit, x, 32) != SIRNN_OK;
    uint64_t y16[PN];
    for (size_t i = 0; i < PN; i++)
        y16[i] = y[i] & 0xffff;
    rc |= sirnn_mult(r->party, PN, out, y16, y16, 16, 16, 32, 1) != SIRNN_OK;
    r->rc = rc;
    return NULL;
}

static int check_protocols(void)
{
    sirnn_config cfg = sirnn_config_default();
    sirnn_party *s = NULL, *c = NULL;
    if (sirnn_party_pair(&s, &c, &cfg) != SIRNN_OK) {
        fprintf(stderr, "ctime: pair: %s\n", sirnn_last_error());
        return 1;
    }
    party_run rs = {s, 1}, rc = {c, 1};
    pthread_t th;
    pthread_create(&th, NULL, protocols_main, &rc);
    protocols_main(&rs);
    pthread_join(th, NULL);
    sirnn_party_free(s);
    sirnn_party_free(c);
    if (rs.rc || rc.rc)
        fprintf(stderr, "ctime: a protocol failed\n");
    return rs.rc | rc.rc;
}

int main(int argc, char **argv)
{
    if (!RUNNING_ON_VALGRIND)
        fprintf(stderr, "ctime: not under valgrind: nothing is checked (make ctime)\n");
    if (argc > 1 && strcmp(argv[1], "--leak") == 0) {
        /* The checker's own check: a branch on a secret must be reported. */
        volatile uint64_t s;
        fill_random((void *)&s, sizeof(s));
        SECRET((void *)&s, sizeof(s));
        if (s & 1) /* a call: no compiler turns this into a select */
            printf("ctime: leak test: odd\n");
        else
            printf("ctime: leak test: even\n");
        return 0;
    }
    check_kernels();
    int rc = check_protocols();
    printf("ctime: kernels and protocols ran on secret inputs\n");
    return rc;
}
