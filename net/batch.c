/*
 * The batch driver: the one place where OpenMP appears. Each lane gets one
 * contiguous range; lanes never share a channel, PRG or OT engine.
 */
#include "net/party_internal.h"

static sirnn_status lane_range(sirnn_party *party, unsigned i, size_t n, sirnn_lane_fn fn,
                               void *ctx)
{
    size_t t = party->nlanes;
    size_t q = n / t, r = n % t;
    size_t begin = q * i + (i < r ? i : r);
    size_t end = begin + q + (i < r ? 1 : 0);
    return fn(party, &party->lanes[i], begin, end, ctx);
}

sirnn_status sirnn_batch_run(sirnn_party *party, size_t n, sirnn_lane_fn fn, void *ctx)
{
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || fn == NULL)
        return st != SIRNN_OK ? st : SIRNN_ERR_ARG;
    sirnn_status rs[SIRNN_MAX_THREADS];
    int nl = (int)party->nlanes;
    if (nl == 1) {
        rs[0] = lane_range(party, 0, n, fn, ctx);
    } else {
#pragma omp parallel for num_threads(nl) schedule(static, 1)
        for (int i = 0; i < nl; i++)
            rs[i] = lane_range(party, (unsigned)i, n, fn, ctx);
    }
    for (int i = 0; i < nl; i++) {
        if (rs[i] != SIRNN_OK) {
            /* A lane that failed after talking leaves the peer out of step. */
            if (rs[i] != SIRNN_ERR_ARG && rs[i] != SIRNN_ERR_UNSUPPORTED)
                return sirnn_party_fail(party, rs[i], "lane I/O");
            return rs[i];
        }
    }
    return SIRNN_OK;
}
