/*
 * Benchmark of call groups (net/group.c, sirnn/group.h): four independent
 * calls on n elements each, the activations of one RNN step and a sign,
 *
 *   sigmoid 16/12 -> 16/14, tanh 16/12 -> 16/12, exp 16/12 -> 16/12 (x <= 0)
 *   and sirnn_msb at l = 32,
 *
 * run as one group (grouped=1, the default) or one after another
 * (grouped=0). The grouped flights are about the largest member's, the
 * others' sum; the bits differ only by the group's framing (group.h). With
 * threads > 1 a group runs its members one after another (group.h), so
 * grouped=1 then measures that path.
 */
#include "bench/bench.h"

#include <stdlib.h>

#include "sirnn/arith.h"
#include "sirnn/group.h"
#include "sirnn/math.h"
#include "sirnn/party.h"

enum { MEMBERS = 4 };

typedef struct group_bench {
    size_t n;
    int grouped;
    uint64_t *x[MEMBERS][2]; /* each member's input shares, per role */
    uint64_t *y[3][2];       /* the math members' outputs */
    uint8_t *msb[2];
} group_bench;

/* One member as a group call: its role's arrays. */
typedef struct member {
    group_bench *b;
    int role, which;
} member;

static const sirnn_fixfmt F12 = {16, 12, true}, F14 = {16, 14, true};

static sirnn_status member_call(sirnn_party *party, void *arg)
{
    const member *m = arg;
    group_bench *b = m->b;
    const int r = m->role;
    switch (m->which) {
    case 0:
        return sirnn_sigmoid(party, b->n, b->y[0][r], b->x[0][r], F12, F14);
    case 1:
        return sirnn_tanh(party, b->n, b->y[1][r], b->x[1][r], F12, F12);
    case 2:
        return sirnn_exp(party, b->n, b->y[2][r], b->x[2][r], F12, F12);
    default:
        return sirnn_msb(party, b->n, b->msb[r], b->x[3][r], 32);
    }
}

static int group_call(void *ctx, struct sirnn_party *party, int role, size_t n)
{
    group_bench *b = ctx;
    (void)n;
    member ms[MEMBERS];
    sirnn_group_call calls[MEMBERS];
    for (int i = 0; i < MEMBERS; i++) {
        ms[i] = (member){b, role, i};
        calls[i] = (sirnn_group_call){member_call, &ms[i], SIRNN_OK};
    }
    if (b->grouped)
        return sirnn_group_run(party, MEMBERS, calls) != SIRNN_OK;
    for (int i = 0; i < MEMBERS; i++)
        if (member_call(party, &ms[i]) != SIRNN_OK)
            return 1;
    return 0;
}

static int bench_group(const bench_params *p, bench_result *r)
{
    const long long grouped = bench_param_int(p, "grouped", 1);
    if ((grouped != 0 && grouped != 1) || p->n == 0)
        return 1;
    group_bench b = {.n = p->n, .grouped = (int)grouped};
    const size_t n = p->n;
    int rc = 0;
    for (int j = 0; j < 2; j++) {
        for (int i = 0; i < MEMBERS; i++)
            rc |= (b.x[i][j] = malloc(n * sizeof(uint64_t))) == NULL;
        for (int i = 0; i < 3; i++)
            rc |= (b.y[i][j] = malloc(n * sizeof(uint64_t))) == NULL;
        rc |= (b.msb[j] = malloc(n)) == NULL;
    }
    /* Shares of public-seeded inputs: each member's own spread (exp's
     * inputs x <= 0, 16-bit values for the math members, 32-bit for msb). */
    uint64_t s = 0x6a09e667f3bcc908ULL;
    for (size_t e = 0; e < n && !rc; e++)
        for (int i = 0; i < MEMBERS; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            const unsigned l = i == 3 ? 32 : 16;
            const uint64_t mask = ((uint64_t)1 << l) - 1;
            uint64_t v = (s >> 20) & mask;
            if (i == 2) /* exp: x in [-8, 0] at scale 12 */
                v = (uint64_t)(-(int64_t)(v % 32769)) & mask;
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            const uint64_t r0 = (s >> 11) & mask;
            b.x[i][0][e] = r0;
            b.x[i][1][e] = (v - r0) & mask;
        }
    if (!rc)
        rc = bench_two_party(p, group_call, &b, r);
    bench_extra_int(r, "grouped", grouped);
    for (int j = 0; j < 2; j++) {
        for (int i = 0; i < MEMBERS; i++)
            free(b.x[i][j]);
        for (int i = 0; i < 3; i++)
            free(b.y[i][j]);
        free(b.msb[j]);
    }
    return rc;
}

const bench_kernel bench_group_group[] = {
    {"group",
     "grouped=1|0 (four calls on n elements each, sigmoid 16/12->16/14, tanh and exp "
     "16/12->16/12, msb l=32: as one sirnn_group_run, or one after another)",
     4096, bench_group},
    {NULL, NULL, 0, NULL},
};
