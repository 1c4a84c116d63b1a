#include "tests/harness.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sirnn/party.h"
#include "net/party_internal.h"
#include "ot/lane.h"

uint64_t test_seed(void)
{
    static int have = 0;
    static uint64_t seed;
    if (!have) {
        const char *env = getenv("SIRNN_TEST_SEED");
        if (env != NULL && *env != '\0') {
            seed = strtoull(env, NULL, 0);
        } else {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            seed = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec;
        }
        have = 1;
        printf("test seed: %" PRIu64 " (set SIRNN_TEST_SEED=%" PRIu64 " to reproduce)\n",
               seed, seed);
        fflush(stdout);
    }
    return seed;
}

bool test_quick(void)
{
    const char *env = getenv("SIRNN_TEST_QUICK");
    return env != NULL && *env != '\0' && strcmp(env, "0") != 0;
}

sirnn_ot_backend test_ot_backend(void)
{
    const char *env = getenv("SIRNN_TEST_OT_BACKEND");
    if (env == NULL || *env == '\0' || strcmp(env, "iknp") == 0)
        return SIRNN_OT_IKNP;
    if (strcmp(env, "silent") == 0)
        return SIRNN_OT_SILENT;
    if (strcmp(env, "softspoken") == 0)
        return SIRNN_OT_SOFTSPOKEN;
    fprintf(stderr, "SIRNN_TEST_OT_BACKEND: unknown backend '%s' (iknp, softspoken, silent)\n",
            env);
    exit(2);
}

bool test_ot_pinned(void)
{
    return test_ot_backend() == SIRNN_OT_IKNP;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void test_rng_init(test_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t test_rng_next(test_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t test_rng_below(test_rng *r, uint64_t bound)
{
    /* Rejection sampling keeps the distribution exact. */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
    uint64_t v;
    do {
        v = test_rng_next(r);
    } while (v >= limit);
    return v % bound;
}

void test_rng_bytes(test_rng *r, void *out, size_t n)
{
    uint8_t *p = out;
    while (n > 0) {
        uint64_t v = test_rng_next(r);
        size_t k = n < 8 ? n : 8;
        memcpy(p, &v, k);
        p += k;
        n -= k;
    }
}

static void *thread_main(void *arg)
{
    test_thread *t = arg;
    t->rc = t->fn(t->arg);
    return NULL;
}

int test_thread_start(test_thread *t, test_party_fn fn, void *arg)
{
    t->fn = fn;
    t->arg = arg;
    t->rc = -1;
    return pthread_create(&t->th, NULL, thread_main, t) == 0 ? 0 : -1;
}

int test_thread_join(test_thread *t)
{
    pthread_join(t->th, NULL);
    return t->rc;
}

int test_run2(test_party_fn fn0, void *arg0, test_party_fn fn1, void *arg1,
              int *rc0, int *rc1)
{
    test_thread t;
    if (test_thread_start(&t, fn1, arg1) != 0)
        return -1;
    int r0 = fn0(arg0);
    int r1 = test_thread_join(&t);
    if (rc0)
        *rc0 = r0;
    if (rc1)
        *rc1 = r1;
    return r0 != 0 ? r0 : r1;
}

uint64_t test_mask(unsigned l)
{
    return l >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << l) - 1;
}

uint64_t test_round128(uint64_t n)
{
    return (n + 127) / 128 * 128;
}

uint64_t test_cdiv(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

void test_pair_open(unsigned threads, sirnn_party **srv, sirnn_party **cli)
{
    sirnn_config cfg = sirnn_config_default();
    /* Plain IKNP (128 bits per OT from the receiver): the byte pins of the
     * tests are written against it (../shared/PROTOCOLS.md), whatever the
     * library's default backend. */
    cfg.ot_backend = test_ot_backend();
    cfg.threads = threads;
    cfg.test_mode = SIRNN_TEST_MODE_ON;
    cfg.test_seed = test_seed();
    /* Whole-query deadlines scale with timeout_ms (nn/secure_infer.c):
     * generous under valgrind, where everything runs 50 times slower. */
    if (test_quick())
        cfg.timeout_ms = 600000;
    assert_int_equal(sirnn_party_pair(srv, cli, &cfg), SIRNN_OK);
}

void test_pair_close(sirnn_party **srv, sirnn_party **cli)
{
    sirnn_party_free(*srv);
    sirnn_party_free(*cli);
    *srv = *cli = NULL;
}

sirnn_party *test_srv, *test_cli;

int test_pair_group_setup(void **state)
{
    (void)state;
    test_pair_open(1, &test_srv, &test_cli);
    return 0;
}

int test_pair_group_teardown(void **state)
{
    (void)state;
    test_pair_close(&test_srv, &test_cli);
    return 0;
}

void test_pair_lanes(unsigned threads)
{
    test_pair_close(&test_srv, &test_cli);
    test_pair_open(threads, &test_srv, &test_cli);
}

bool test_own_address(char *buf, size_t len)
{
    struct ifaddrs *list = NULL;
    if (getifaddrs(&list) != 0)
        return false;
    bool found = false;
    for (const struct ifaddrs *i = list; i != NULL && !found; i = i->ifa_next) {
        if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
            !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
            continue;
        const struct in_addr *a =
            &((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
        found = (ntohl(a->s_addr) >> 24) != 127 &&
                inet_ntop(AF_INET, a, buf, (socklen_t)len) != NULL;
    }
    freeifaddrs(list);
    return found;
}

uint64_t test_silent_sent(sirnn_party *p)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < p->nlanes; i++) {
        sirnn_ot_lane *ol = sirnn_ot_lane_get(&p->lanes[i]);
        if (ol == NULL)
            continue;
        if (ol->iknp_send.silent != NULL)
            sum += ol->iknp_send.silent->wire_sent;
        if (ol->iknp_recv.silent != NULL)
            sum += ol->iknp_recv.silent->wire_sent;
    }
    return sum;
}
