/*
 * Public IKNP calls (include/sirnn/ot.h): argument checks, lazy setup, and
 * the split of a batch over the lanes.
 */
#include "sirnn/ot.h"

#include <string.h>

#include "ot/lane.h"
#include "ot/nco.h"

typedef enum ot_op {
    OP_ROT_SEND, OP_ROT_RECV,
    OP_DCOT_SEND, OP_DCOT_RECV,
    OP_COT_SEND, OP_COT_RECV,
    OP_OT_SEND, OP_OT_RECV,
    OP_OT128_SEND, OP_OT128_RECV,
    OP_KK_SEND, OP_KK_RECV,
    OP_POOL_OT_SEND, OP_POOL_OT_RECV
} ot_op;

/* One call's arrays; each op uses the ones its signature names. */
typedef struct ot_call {
    ot_op op;
    unsigned l;
    unsigned N;                      /* 1-of-N */
    uint8_t *out_a, *out_b;          /* 16-byte messages, or choice bits out (ROT) */
    const uint8_t *in_a, *in_b;      /* 16-byte messages in */
    uint64_t *out_w;                 /* l-bit outputs */
    const uint64_t *in_w0, *in_w1;   /* l-bit inputs */
    const uint8_t *choices;
} ot_call;

/* What a lane may hold to answer a group of chunks in one flight: the
 * session's memory cap, the smaller of the two parties' (so both cut a
 * batch alike), shared by the lanes (arith/'s streamed drivers use the
 * same budget). */
static size_t stream_budget(const sirnn_party *party)
{
    size_t mem = party->cfg.session_mem_bytes;
    if (party->peer_mem_bytes != 0 && party->peer_mem_bytes < mem)
        mem = (size_t)party->peer_mem_bytes;
    mem /= party->nlanes > 0 ? party->nlanes : 1;
    return mem > 0 ? mem : 1;
}

static sirnn_status run_lane(sirnn_party *party, sirnn_lane *lane, size_t begin, size_t end,
                             void *vcall)
{
    const ot_call *c = vcall;
    sirnn_ot_lane *ol = sirnn_ot_lane_get(lane);
    sirnn_channel *ch = &lane->ch;
    const size_t n = end - begin, b16 = 16 * begin;
    if (n == 0)
        return SIRNN_OK;
    const size_t budget = stream_budget(party);
    ol->iknp_send.stream_bytes = budget;
    ol->iknp_recv.stream_bytes = budget;
    ol->kk_send.stream_bytes = budget;
    ol->kk_recv.stream_bytes = budget;
    switch (c->op) {
    case OP_ROT_SEND:
        return sirnn_iknp_rot_send(&ol->iknp_send, ch, c->out_a + b16, c->out_b + b16, n);
    case OP_ROT_RECV:
        return sirnn_iknp_rot_recv(&ol->iknp_recv, ch, &lane->prg, c->out_a + begin,
                                   c->out_b + b16, n);
    case OP_DCOT_SEND:
        return sirnn_iknp_dcot_send(&ol->iknp_send, ch, c->out_a + b16, n);
    case OP_DCOT_RECV:
        return sirnn_iknp_dcot_recv(&ol->iknp_recv, ch, c->out_a + b16, c->choices + begin, n);
    case OP_COT_SEND:
        return sirnn_iknp_cot_send(&ol->iknp_send, ch, c->out_w + begin, c->in_w0 + begin, n,
                                   c->l);
    case OP_COT_RECV:
        return sirnn_iknp_cot_recv(&ol->iknp_recv, ch, c->out_w + begin, c->choices + begin, n,
                                   c->l);
    case OP_OT_SEND:
        return sirnn_iknp_ot_send(&ol->iknp_send, ch, c->in_w0 + begin, c->in_w1 + begin, n,
                                  c->l);
    case OP_OT_RECV:
        return sirnn_iknp_ot_recv(&ol->iknp_recv, ch, c->out_w + begin, c->choices + begin, n,
                                  c->l);
    case OP_OT128_SEND:
        return sirnn_iknp_ot128_send(&ol->iknp_send, ch, c->in_a + b16, c->in_b + b16, n);
    case OP_OT128_RECV:
        return sirnn_iknp_ot128_recv(&ol->iknp_recv, ch, c->out_a + b16, c->choices + begin,
                                     n);
    case OP_KK_SEND:
        if (sirnn_nco_wanted(ol->iknp_send.silent, c->N))
            return sirnn_nco_send(&ol->iknp_send, ch, c->in_w0 + begin * c->N, n, c->N, c->l);
        return sirnn_kkot_engine_send(&ol->kk_send, ch, c->in_w0 + begin * c->N, n, c->N, c->l);
    case OP_POOL_OT_SEND:
        return sirnn_ot_pool_ot_send(&ol->pool_send, &ol->iknp_send, ch, c->in_w0 + begin,
                                     c->in_w1 + begin, n, c->l);
    case OP_POOL_OT_RECV:
        return sirnn_ot_pool_ot_recv(&ol->pool_recv, &ol->iknp_recv, ch, &lane->prg,
                                     c->out_w + begin, c->choices + begin, n, c->l);
    case OP_KK_RECV:
        if (sirnn_nco_wanted(ol->iknp_recv.silent, c->N))
            return sirnn_nco_recv(&ol->iknp_recv, ch, &lane->prg, c->out_w + begin,
                                  c->choices + begin, n, c->N, c->l);
        return sirnn_kkot_engine_recv(&ol->kk_recv, ch, c->out_w + begin, c->choices + begin, n,
                               c->N, c->l);
    }
    return SIRNN_ERR_ARG;
}

/* Choice bits must be 0 or 1; checked without branching on any of them. */
static int bits_valid(const uint8_t *bits, size_t n)
{
    unsigned acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= bits[i];
    return (acc & ~1u) == 0;
}

/* Every choice below N; the comparison result is accumulated, not branched on. */
static int choices_below(const uint8_t *choices, size_t n, unsigned N)
{
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++)
        bad |= (N - 1u - choices[i]) >> 31;
    return bad == 0;
}

static sirnn_status dispatch(sirnn_party *party, size_t n, const ot_call *call)
{
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK)
        return st;
    /* These calls keep a lane's OT engine scratch across their waits, which
     * another member of a call group would overwrite (sirnn/group.h). */
    if (sirnn_group_member_thread())
        return sirnn_party_error(party, SIRNN_ERR_ARG,
                                 "the OT calls of ot.h cannot run inside a call group");
    if (n == 0)
        return st;
    if ((st = sirnn_ot_ensure_setup(party)) != SIRNN_OK)
        return st;
    return sirnn_batch_run(party, n, run_lane, (void *)call);
}

static sirnn_status arg_error(sirnn_party *party, const char *what)
{
    if (party == NULL)
        return SIRNN_ERR_ARG;
    return sirnn_party_error(party, SIRNN_ERR_ARG, "%s", what);
}

#define NULL_WITH_N(n, p) ((n) > 0 && (p) == NULL)
#define BAD_WIDTH(l) ((l) < 1 || (l) > 64)

sirnn_status sirnn_rot_send(sirnn_party *party, size_t n, uint8_t *m0, uint8_t *m1)
{
    if (NULL_WITH_N(n, m0) || NULL_WITH_N(n, m1))
        return arg_error(party, "sirnn_rot_send: NULL array with n > 0");
    ot_call c = {.op = OP_ROT_SEND, .out_a = m0, .out_b = m1};
    return dispatch(party, n, &c);
}

sirnn_status sirnn_rot_recv(sirnn_party *party, size_t n, uint8_t *choices, uint8_t *mc)
{
    if (NULL_WITH_N(n, choices) || NULL_WITH_N(n, mc))
        return arg_error(party, "sirnn_rot_recv: NULL array with n > 0");
    ot_call c = {.op = OP_ROT_RECV, .out_a = choices, .out_b = mc};
    return dispatch(party, n, &c);
}

sirnn_status sirnn_cot_delta_send(sirnn_party *party, size_t n, uint8_t *m0, uint8_t *delta)
{
    if (NULL_WITH_N(n, m0))
        return arg_error(party, "sirnn_cot_delta_send: NULL array with n > 0");
    ot_call c = {.op = OP_DCOT_SEND, .out_a = m0};
    sirnn_status st = dispatch(party, n, &c);
    if (st == SIRNN_OK && delta != NULL) {
        /* With n = 0 nothing ran, and setup is interactive: Delta is known
         * only if the peer already ran it with us. */
        const sirnn_ot_lane *ol = sirnn_ot_lane_get(&party->lanes[0]);
        if (ol == NULL)
            return sirnn_party_error(party, SIRNN_ERR_STATE,
                                     "sirnn_cot_delta_send: no Delta before sirnn_ot_setup");
        sirnn_block d = sirnn_iknp_delta(&ol->iknp_send);
        memcpy(delta, d.w, 16);
    }
    return st;
}

sirnn_status sirnn_cot_delta_recv(sirnn_party *party, size_t n, uint8_t *mc,
                                  const uint8_t *choices)
{
    if (NULL_WITH_N(n, mc) || NULL_WITH_N(n, choices) || !bits_valid(choices, n))
        return arg_error(party, "sirnn_cot_delta_recv: NULL array or choice bit not 0/1");
    ot_call c = {.op = OP_DCOT_RECV, .out_a = mc, .choices = choices};
    return dispatch(party, n, &c);
}

sirnn_status sirnn_cot_send(sirnn_party *party, size_t n, uint64_t *m0, const uint64_t *corr,
                            unsigned l)
{
    if (BAD_WIDTH(l) || NULL_WITH_N(n, m0) || NULL_WITH_N(n, corr))
        return arg_error(party, "sirnn_cot_send: l outside 1..64 or NULL array");
    ot_call c = {.op = OP_COT_SEND, .l = l, .out_w = m0, .in_w0 = corr};
    return dispatch(party, n, &c);
}

sirnn_status sirnn_cot_recv(sirnn_party *party, size_t n, uint64_t *mc, const uint8_t *choices,
                            unsigned l)
{
    if (BAD_WIDTH(l) || NULL_WITH_N(n, mc) || NULL_WITH_N(n, choices) ||
        !bits_valid(choices, n))
        return arg_error(party, "sirnn_cot_recv: l outside 1..64, NULL array or bad choice");
    ot_call c = {.op = OP_COT_RECV, .l = l, .out_w = mc, .choices = choices};
    return dispatch(party, n, &c);
}

sirnn_status sirnn_ot_send(sirnn_party *party, size_t n, const uint64_t *m0,
                           const uint64_t *m1, unsigned l)
{
    if (BAD_WIDTH(l) || NULL_WITH_N(n, m0) || NULL_WITH_N(n, m1))
        return arg_error(party, "sirnn_ot_send: l outside 1..64 or NULL array");
    ot_call c = {.op = OP_OT_SEND, .l = l, .in_w0 = m0, .in_w1 = m1};
    return dispatch(party, n, &c);
}

sirnn_status sirnn_ot_recv(sirnn_party *party, size_t n, uint64_t *mc, const uint8_t *choices,
                           unsigned l)
{
    if (BAD_WIDTH(l) || NULL_WITH_N(n, mc) || NULL_WITH_N(n, choices) ||
        !bits_valid(choices, n))
        return arg_error(party, "sirnn_ot_recv: l outside 1..64, NULL array or bad choice");
    ot_call c = {.op = OP_OT_RECV, .l = l, .out_w = mc, .choices = choices};
    return dispatch(party, n, &c);
}

sirnn_status sirnn_ot128_send(sirnn_party *party, size_t n, const uint8_t *m0,
                              const uint8_t *m1)
{
    if (NULL_WITH_N(n, m0) || NULL_WITH_N(n, m1))
        return arg_error(party, "sirnn_ot128_send: NULL array with n > 0");
    ot_call c = {.op = OP_OT128_SEND, .in_a = m0, .in_b = m1};
    return dispatch(party, n, &c);
}

sirnn_status sirnn_ot128_recv(sirnn_party *party, size_t n, uint8_t *mc,
                              const uint8_t *choices)
{
    if (NULL_WITH_N(n, mc) || NULL_WITH_N(n, choices) || !bits_valid(choices, n))
        return arg_error(party, "sirnn_ot128_recv: NULL array or choice bit not 0/1");
    ot_call c = {.op = OP_OT128_RECV, .out_a = mc, .choices = choices};
    return dispatch(party, n, &c);
}

#define BAD_N(N) ((N) < 2 || (N) > 256)

sirnn_status sirnn_kkot_send(sirnn_party *party, size_t n, const uint64_t *msgs, unsigned N,
                             unsigned l)
{
    if (BAD_N(N) || BAD_WIDTH(l) || NULL_WITH_N(n, msgs))
        return arg_error(party, "sirnn_kkot_send: N outside 2..256, l outside 1..64 or NULL");
    ot_call c = {.op = OP_KK_SEND, .l = l, .N = N, .in_w0 = msgs};
    return dispatch(party, n, &c);
}

sirnn_status sirnn_kkot_recv(sirnn_party *party, size_t n, uint64_t *mc, const uint8_t *choices,
                             unsigned N, unsigned l)
{
    if (BAD_N(N) || BAD_WIDTH(l) || NULL_WITH_N(n, mc) || NULL_WITH_N(n, choices) ||
        !choices_below(choices, n, N))
        return arg_error(party,
                         "sirnn_kkot_recv: N outside 2..256, l outside 1..64, NULL or choice >= N");
    ot_call c = {.op = OP_KK_RECV, .l = l, .N = N, .out_w = mc, .choices = choices};
    return dispatch(party, n, &c);
}

sirnn_status sirnn_pool_ot_send(sirnn_party *party, size_t n, const uint64_t *m0,
                                const uint64_t *m1, unsigned l)
{
    if (BAD_WIDTH(l) || NULL_WITH_N(n, m0) || NULL_WITH_N(n, m1))
        return arg_error(party, "sirnn_pool_ot_send: l outside 1..64 or NULL array");
    ot_call c = {.op = OP_POOL_OT_SEND, .l = l, .in_w0 = m0, .in_w1 = m1};
    return dispatch(party, n, &c);
}

sirnn_status sirnn_pool_ot_recv(sirnn_party *party, size_t n, uint64_t *mc,
                                const uint8_t *choices, unsigned l)
{
    if (BAD_WIDTH(l) || NULL_WITH_N(n, mc) || NULL_WITH_N(n, choices) ||
        !bits_valid(choices, n))
        return arg_error(party, "sirnn_pool_ot_recv: l outside 1..64, NULL or bad choice");
    ot_call c = {.op = OP_POOL_OT_RECV, .l = l, .out_w = mc, .choices = choices};
    return dispatch(party, n, &c);
}
