/*
 * OT-extension matrix step (see ot/ext.h).
 */
#include "ot/ext.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/scratch.h"
#include "kernels/random.h"
#include "kernels/transpose.h"

/* Column buffers hold width rows of max_chunk bits; 64-byte aligned so that
 * every column (a multiple of 16 bytes) is block-aligned. */
static int valid_shape(unsigned width, size_t max_chunk)
{
    return (width == 128 || width == 256) && max_chunk >= 128 && max_chunk % 128 == 0;
}

static sirnn_status init_streams(sirnn_prg *streams, const sirnn_block *keys, size_t count)
{
    for (size_t j = 0; j < count; j++) {
        sirnn_status st = sirnn_prg_init(&streams[j], &keys[j], 0);
        if (st != SIRNN_OK)
            return st;
    }
    return SIRNN_OK;
}

static void free_streams(sirnn_prg *streams, size_t count)
{
    if (streams == NULL)
        return;
    for (size_t j = 0; j < count; j++)
        sirnn_prg_free(&streams[j]);
    free(streams);
}

/* Block b's choice column is the caller's column b unless an engine remaps. */
static void identity_map(sirnn_otx_receiver *r)
{
    for (unsigned b = 0; b < 256; b++)
        r->col_map[b] = (uint8_t)b;
}

sirnn_status sirnn_otx_sender_init(sirnn_otx_sender *s, unsigned width, size_t max_chunk,
                                   const sirnn_block *keys, const uint8_t *choices)
{
    memset(s, 0, sizeof(*s));
    if (!valid_shape(width, max_chunk))
        return SIRNN_ERR_ARG;
    s->width = width;
    s->k = 1;
    s->max_chunk = max_chunk;
    for (unsigned j = 0; j < width; j++)
        s->delta[j / 128].w[(j / 64) % 2] |= (uint64_t)(choices[j] & 1) << (j % 64);
    s->seeds = calloc(width, sizeof(sirnn_prg));
    s->cols = sirnn_scratch_alloc(width * max_chunk / 8);
    s->u = sirnn_scratch_alloc(width * max_chunk / 8);
    if (s->seeds == NULL || s->cols == NULL || s->u == NULL) {
        sirnn_otx_sender_free(s);
        return SIRNN_ERR_NOMEM;
    }
    sirnn_status st = init_streams(s->seeds, keys, width);
    if (st != SIRNN_OK)
        sirnn_otx_sender_free(s);
    return st;
}

sirnn_status sirnn_otx_receiver_init(sirnn_otx_receiver *r, unsigned width, size_t max_chunk,
                                     const sirnn_block *keys)
{
    memset(r, 0, sizeof(*r));
    identity_map(r);
    if (!valid_shape(width, max_chunk))
        return SIRNN_ERR_ARG;
    r->width = width;
    r->k = 1;
    r->max_chunk = max_chunk;
    r->seeds = calloc(2 * (size_t)width, sizeof(sirnn_prg));
    r->cols = sirnn_scratch_alloc(width * max_chunk / 8);
    r->u = sirnn_scratch_alloc(width * max_chunk / 8);
    r->tmp = sirnn_scratch_alloc(max_chunk / 8);
    if (r->seeds == NULL || r->cols == NULL || r->u == NULL || r->tmp == NULL) {
        sirnn_otx_receiver_free(r);
        return SIRNN_ERR_NOMEM;
    }
    sirnn_status st = init_streams(r->seeds, keys, 2 * (size_t)width);
    if (st != SIRNN_OK)
        sirnn_otx_receiver_free(r);
    return st;
}

/* Streams per engine: k = 1 as IKNP; k > 1 one per leaf, 2^k per block. */
static size_t stream_count(unsigned width, unsigned k, int receiver)
{
    if (k <= 1)
        return receiver ? 2 * (size_t)width : width;
    return ((size_t)width / k) << k;
}

void sirnn_otx_sender_free(sirnn_otx_sender *s)
{
    size_t bytes = s->width * s->max_chunk / 8;
    free_streams(s->seeds, stream_count(s->width, s->k, 0));
    sirnn_scratch_free(s->cols, bytes);
    sirnn_scratch_free(s->u, bytes);
    sirnn_scratch_free(s->tree, (s->k + 1) * s->max_chunk / 8);
    sirnn_memzero(s, sizeof(*s));
}

void sirnn_otx_receiver_free(sirnn_otx_receiver *r)
{
    size_t bytes = r->width * r->max_chunk / 8;
    free_streams(r->seeds, stream_count(r->width, r->k, 1));
    sirnn_scratch_free(r->cols, bytes);
    sirnn_scratch_free(r->u, bytes);
    sirnn_scratch_free(r->tmp, r->max_chunk / 8);
    sirnn_scratch_free(r->tree, (r->k + 2) * r->max_chunk / 8);
    sirnn_memzero(r, sizeof(*r));
}

/* ---- SoftSpoken setup: one GGM tree per block of k columns ---------------- */

/* Nonce of the tree's length-doubling PRG (AES keyed by the node), apart
 * from the leaf streams (nonce 0) so no key ever serves both. */
#define GGM_NONCE 0x53536767ULL

static sirnn_status ggm_children(sirnn_block node, sirnn_block out[2])
{
    sirnn_prg g;
    sirnn_status st = sirnn_prg_init(&g, &node, GGM_NONCE);
    if (st != SIRNN_OK)
        return st;
    sirnn_prg_blocks(&g, out, 2);
    sirnn_prg_free(&g);
    sirnn_memzero(&node, sizeof(node));
    return SIRNN_OK;
}

sirnn_status sirnn_otx_ggm_expand(sirnn_block *leaves, sirnn_block *corr,
                                  const sirnn_block *keys, sirnn_block root, unsigned k)
{
    if (k < 1 || k > 8)
        return SIRNN_ERR_ARG;
    sirnn_status st = SIRNN_OK;
    sirnn_block c[2];
    leaves[0] = root;
    for (unsigned l = 0; l < k && st == SIRNN_OK; l++) {
        const size_t half = (size_t)1 << l;
        sirnn_block sum[2] = {{{0, 0}}, {{0, 0}}};
        /* Children of p are p and p + 2^l: bit l of a leaf index is level l. */
        for (size_t p = 0; p < half && st == SIRNN_OK; p++) {
            st = ggm_children(leaves[p], c);
            leaves[p] = c[0];
            leaves[p + half] = c[1];
            sum[0] = sirnn_block_xor(sum[0], c[0]);
            sum[1] = sirnn_block_xor(sum[1], c[1]);
        }
        /* Holder of k_l^sigma learns the sum of the other side. */
        corr[2 * l] = sirnn_block_xor(keys[2 * l], sum[1]);
        corr[2 * l + 1] = sirnn_block_xor(keys[2 * l + 1], sum[0]);
        sirnn_memzero(sum, sizeof(sum));
    }
    sirnn_memzero(c, sizeof(c));
    sirnn_memzero(&root, sizeof(root));
    return st;
}

/* Nodes are kept by y = x ^ (d mod 2^l): the punctured node is y = 0 at every
 * depth, so the loops below only touch public positions and d enters through
 * masks. Child sigma of node y = p goes to p | ((sigma ^ d_l) << l). */
sirnn_status sirnn_otx_ggm_puncture(sirnn_block *leaves, const sirnn_block *corr,
                                    const sirnn_block *keys, unsigned d, unsigned k)
{
    if (k < 1 || k > 8)
        return SIRNN_ERR_ARG;
    sirnn_status st = SIRNN_OK;
    sirnn_block c[2], swap;
    leaves[0] = sirnn_block_make(0, 0);
    for (unsigned l = 0; l < k && st == SIRNN_OK; l++) {
        const size_t half = (size_t)1 << l;
        const uint64_t bit = 0 - (uint64_t)((d >> l) & 1);
        const sirnn_block mask = sirnn_block_make(bit, bit);
        for (size_t p = 1; p < half && st == SIRNN_OK; p++) {
            st = ggm_children(leaves[p], c);
            swap = sirnn_block_and(sirnn_block_xor(c[0], c[1]), mask);
            leaves[p] = sirnn_block_xor(c[0], swap);
            leaves[p + half] = sirnn_block_xor(c[1], swap);
        }
        /* The sibling of the punctured node, y = 2^l: the side sum from the
         * correction minus the other known nodes of that side. */
        sirnn_block e = sirnn_block_xor(
            corr[2 * l], sirnn_block_and(sirnn_block_xor(corr[2 * l], corr[2 * l + 1]), mask));
        sirnn_block sib = sirnn_block_xor(e, keys[l]);
        for (size_t y = half + 1; y < 2 * half; y++)
            sib = sirnn_block_xor(sib, leaves[y]);
        leaves[half] = sib;
        sirnn_memzero(&e, sizeof(e));
        sirnn_memzero(&sib, sizeof(sib));
    }
    sirnn_memzero(c, sizeof(c));
    sirnn_memzero(&swap, sizeof(swap));
    return st;
}

static int valid_k(unsigned k)
{
    return k == 2 || k == 4 || k == 8;
}

/* Bit j of s (delta), j < width; secret, used only to form masks. */
static uint64_t delta_bit(const sirnn_otx_sender *s, size_t j)
{
    return (s->delta[j / 128].w[(j / 64) % 2] >> (j % 64)) & 1;
}

/* Two correction blocks per base OT (one per sigma), width base OTs. */
static size_t ss_setup_blocks(unsigned width)
{
    return 2 * (size_t)width;
}

sirnn_status sirnn_otx_ss_receiver_init_width(sirnn_otx_receiver *r, unsigned width,
                                              unsigned k, size_t max_chunk,
                                              const sirnn_block *keys, sirnn_prg *prg,
                                              sirnn_channel *ch)
{
    memset(r, 0, sizeof(*r));
    identity_map(r);
    if (!valid_k(k) || !valid_shape(width, max_chunk))
        return SIRNN_ERR_ARG;
    r->width = width;
    r->k = k;
    r->chain = sirnn_kernels()->otx_chain;
    r->max_chunk = max_chunk;
    const size_t nleaves = (size_t)1 << k, nblocks = width / k;
    const size_t setup = ss_setup_blocks(width);
    r->seeds = calloc(nblocks * nleaves, sizeof(sirnn_prg));
    r->cols = sirnn_scratch_alloc(width * max_chunk / 8);
    r->u = sirnn_scratch_alloc(width * max_chunk / 8);
    r->tree = sirnn_scratch_alloc((k + 2) * max_chunk / 8);
    sirnn_block *leaves = sirnn_scratch_alloc(nleaves * sizeof(sirnn_block));
    sirnn_block *corr = sirnn_scratch_alloc(setup * sizeof(sirnn_block));
    sirnn_status st = SIRNN_ERR_NOMEM;
    if (r->seeds != NULL && r->cols != NULL && r->u != NULL && r->tree != NULL &&
        leaves != NULL && corr != NULL)
        st = SIRNN_OK;
    for (size_t b = 0; b < nblocks && st == SIRNN_OK; b++) {
        sirnn_block root;
        sirnn_prg_blocks(prg, &root, 1);
        st = sirnn_otx_ggm_expand(leaves, corr + 2 * k * b, keys + 2 * k * b, root, k);
        if (st == SIRNN_OK)
            st = init_streams(r->seeds + b * nleaves, leaves, nleaves);
        sirnn_memzero(&root, sizeof(root));
    }
    if (st == SIRNN_OK)
        st = sirnn_channel_send(ch, corr, setup * sizeof(sirnn_block));
    sirnn_scratch_free(leaves, nleaves * sizeof(sirnn_block));
    sirnn_scratch_free(corr, setup * sizeof(sirnn_block));
    if (st != SIRNN_OK)
        sirnn_otx_receiver_free(r);
    return st;
}

sirnn_status sirnn_otx_ss_sender_init_width(sirnn_otx_sender *s, unsigned width, unsigned k,
                                            size_t max_chunk, const sirnn_block *keys,
                                            const uint8_t *choices, sirnn_channel *ch)
{
    memset(s, 0, sizeof(*s));
    if (!valid_k(k) || !valid_shape(width, max_chunk))
        return SIRNN_ERR_ARG;
    s->width = width;
    s->k = k;
    s->chain = sirnn_kernels()->otx_chain;
    s->max_chunk = max_chunk;
    for (unsigned j = 0; j < width; j++)
        s->delta[j / 128].w[(j / 64) % 2] |= (uint64_t)(choices[j] & 1) << (j % 64);
    const size_t nleaves = (size_t)1 << k, nblocks = width / k;
    const size_t setup = ss_setup_blocks(width);
    s->seeds = calloc(nblocks * nleaves, sizeof(sirnn_prg));
    s->cols = sirnn_scratch_alloc(width * max_chunk / 8);
    s->u = sirnn_scratch_alloc(width * max_chunk / 8);
    s->tree = sirnn_scratch_alloc((k + 1) * max_chunk / 8);
    sirnn_block *leaves = sirnn_scratch_alloc(nleaves * sizeof(sirnn_block));
    sirnn_block *corr = sirnn_scratch_alloc(setup * sizeof(sirnn_block));
    sirnn_status st = SIRNN_ERR_NOMEM;
    if (s->seeds != NULL && s->cols != NULL && s->u != NULL && s->tree != NULL &&
        leaves != NULL && corr != NULL)
        st = sirnn_channel_recv(ch, corr, setup * sizeof(sirnn_block));
    for (size_t b = 0; b < nblocks && st == SIRNN_OK; b++) {
        unsigned d = 0;
        for (unsigned l = 0; l < k; l++)
            d |= (unsigned)(choices[b * k + l] & 1) << l;
        st = sirnn_otx_ggm_puncture(leaves, corr + 2 * k * b, keys + k * b, d, k);
        /* Leaf y = 0 is the one we lack: its stream stays zeroed and unused. */
        if (st == SIRNN_OK)
            st = init_streams(s->seeds + b * nleaves + 1, leaves + 1, nleaves - 1);
        d = 0;
    }
    sirnn_scratch_free(leaves, nleaves * sizeof(sirnn_block));
    sirnn_scratch_free(corr, setup * sizeof(sirnn_block));
    if (st != SIRNN_OK)
        sirnn_otx_sender_free(s);
    return st;
}

sirnn_status sirnn_otx_ss_receiver_init(sirnn_otx_receiver *r, unsigned k, size_t max_chunk,
                                        const sirnn_block *keys, sirnn_prg *prg,
                                        sirnn_channel *ch)
{
    return sirnn_otx_ss_receiver_init_width(r, 128, k, max_chunk, keys, prg, ch);
}

sirnn_status sirnn_otx_ss_sender_init(sirnn_otx_sender *s, unsigned k, size_t max_chunk,
                                      const sirnn_block *keys, const uint8_t *choices,
                                      sirnn_channel *ch)
{
    return sirnn_otx_ss_sender_init_width(s, 128, k, max_chunk, keys, choices, ch);
}

/*
 * One block's leaf sums, shared by both sides. Leaves x = 0 .. 2^k-1 stream
 * G(leaf x) for m bits; a binary-counter walk folds them into subtree sums
 * (acc[h] holds the pending left subtree of height h) and adds each right
 * subtree of height l into column l: 2 XORs per internal node instead of
 * 1 + popcount(x) per leaf, fused per leaf into one pass (the chain kernel).
 *   out[l] = XOR_{x: bit l} G(leaf x) ^ (c & masks[l])
 *   total  = XOR_x G(leaf x) ^ c           (when total != NULL)
 * With skip0 the leaf 0 counts as zero (the sender's punctured leaf). All
 * positions and branches depend on x and l only; masks enter by AND.
 */
static void block_sums(sirnn_otx_chain_fn chain, sirnn_prg *leaf, unsigned k, int skip0,
                       uint8_t *out, uint64_t *total, const uint64_t *c, const uint64_t *masks,
                       uint8_t *tree, size_t m)
{
    const size_t colb = m / 8, words = m / 64, blocks = m / 128;
    uint64_t *acc[8], *cols[8];
    for (unsigned h = 0; h < k; h++) {
        acc[h] = (uint64_t *)(void *)(tree + h * colb);
        cols[h] = (uint64_t *)(void *)(out + h * colb);
    }
    uint64_t *tmp = (uint64_t *)(void *)(tree + k * colb);
    const size_t nleaves = (size_t)1 << k;
    for (size_t x = 0; x < nleaves; x++) {
        const unsigned t = (unsigned)__builtin_ctzll(~(unsigned long long)x);
        uint64_t *cur = t == 0 ? acc[0] : tmp;
        if (skip0 && x == 0)
            memset(cur, 0, colb);
        else
            sirnn_prg_blocks(&leaf[x], (sirnn_block *)(void *)cur, blocks);
        if (t == 0)
            continue;
        /* Column l is first set by the right subtree x = 2^(l+1) - 1. */
        unsigned first = 0;
        for (unsigned l = 0; l < t; l++)
            first |= (unsigned)(x + 1 == (size_t)2 << l) << l;
        if (t < k) {
            /* The merged subtree waits in acc[t] for its sibling; its old
             * buffer (already folded in) becomes the spare. */
            chain(cols, cur, (const uint64_t *const *)acc, t, first, c, masks, cur, 0, words);
            uint64_t *spare = acc[t];
            acc[t] = tmp;
            tmp = spare;
        } else {
            chain(cols, cur, (const uint64_t *const *)acc, t, first, c, masks, total,
                  ~(uint64_t)0, words);
        }
    }
}

static void transpose_rows(unsigned width, sirnn_block *rows, const uint8_t *cols, size_t m)
{
    if (width == 128)
        sirnn_transpose128(rows, cols, m / 8, m);
    else
        sirnn_transpose256(rows, cols, m / 8, m);
}

/* SoftSpoken receiver: t columns are the leaf sums, d_b = u_b ^ c_b is sent,
 * c_b the block's choice column (the same for every block if stride is 0). */
static sirnn_status ss_recv_extend(sirnn_otx_receiver *r, sirnn_channel *ch, sirnn_block *rows,
                                   const uint8_t *choice_cols, size_t choice_stride, size_t m)
{
    const unsigned k = r->k;
    const size_t colb = m / 8, nblocks = r->width / k;
    /* A private copy: the choice columns may be anywhere, even inside r->u
     * (col_map[b] >= b, so d_b only overwrites columns already copied). */
    uint64_t *c = (uint64_t *)(void *)(r->tree + (k + 1) * r->max_chunk / 8);
    const uint64_t zero[8] = {0};
    for (size_t b = 0; b < nblocks; b++) {
        if (b == 0 || choice_stride != 0)
            memcpy(c, choice_cols + r->col_map[b] * choice_stride, colb);
        block_sums(r->chain, r->seeds + (b << k), k, 0, r->cols + b * k * colb,
                   (uint64_t *)(void *)(r->u + b * colb), c, zero, r->tree, m);
    }
    sirnn_memzero(c, colb);
    sirnn_status st = sirnn_channel_send(ch, r->u, nblocks * colb);
    if (st != SIRNN_OK)
        return st;
    transpose_rows(r->width, rows, r->cols, m);
    r->count += m;
    return SIRNN_OK;
}

/* SoftSpoken sender: q columns are the sums over its leaves plus D_l * d_b. */
static void ss_send_rows(sirnn_otx_sender *s, sirnn_block *rows, const uint8_t *u, size_t m)
{
    const unsigned k = s->k;
    const size_t colb = m / 8, nblocks = s->width / k;
    uint64_t masks[8];
    for (size_t b = 0; b < nblocks; b++) {
        for (unsigned l = 0; l < k; l++) {
            masks[l] = 0 - delta_bit(s, b * k + l);
        }
        block_sums(s->chain, s->seeds + (b << k), k, 1, s->cols + b * k * colb, NULL,
                   (const uint64_t *)(const void *)(u + b * colb), masks, s->tree, m);
    }
    sirnn_memzero(masks, sizeof(masks));
    transpose_rows(s->width, rows, s->cols, m);
    s->count += m;
}

sirnn_status sirnn_otx_recv_extend(sirnn_otx_receiver *r, sirnn_channel *ch,
                                   sirnn_block *rows, const uint8_t *choice_cols,
                                   size_t choice_stride, size_t m)
{
    if (m == 0)
        return SIRNN_OK;
    if (m % 128 != 0 || m > r->max_chunk)
        return SIRNN_ERR_ARG;
    if (r->k > 1)
        return ss_recv_extend(r, ch, rows, choice_cols, choice_stride, m);
    const size_t col_bytes = m / 8, col_words = m / 64, col_blocks = m / 128;
    const uint64_t *g1 = r->tmp->w;
    for (unsigned j = 0; j < r->width; j++) {
        uint8_t *t_col = r->cols + j * col_bytes;
        sirnn_prg_blocks(&r->seeds[2 * j], (sirnn_block *)(void *)t_col, col_blocks);
        sirnn_prg_blocks(&r->seeds[2 * j + 1], r->tmp, col_blocks);
        const uint64_t *t = (const uint64_t *)(const void *)t_col;
        const uint8_t *c_bytes = choice_cols + r->col_map[j] * choice_stride;
        uint64_t *u = (uint64_t *)(void *)(r->u + j * col_bytes);
        for (size_t w = 0; w < col_words; w++) {
            uint64_t c;
            memcpy(&c, c_bytes + 8 * w, 8); /* the choice columns need no alignment */
            u[w] = t[w] ^ g1[w] ^ c;
        }
    }
    sirnn_status st = sirnn_channel_send(ch, r->u, r->width * col_bytes);
    if (st != SIRNN_OK)
        return st;
    transpose_rows(r->width, rows, r->cols, m);
    r->count += m;
    return SIRNN_OK;
}

size_t sirnn_otx_u_bytes(unsigned width, unsigned k, size_t m)
{
    return (size_t)(width / k) * (m / 8);
}

sirnn_status sirnn_otx_send_extend_from(sirnn_otx_sender *s, sirnn_block *rows,
                                        const uint8_t *u, size_t m)
{
    if (m == 0)
        return SIRNN_OK;
    if (m % 128 != 0 || m > s->max_chunk)
        return SIRNN_ERR_ARG;
    if (s->k > 1) {
        ss_send_rows(s, rows, u, m);
        return SIRNN_OK;
    }
    const size_t col_bytes = m / 8, col_words = m / 64, col_blocks = m / 128;
    for (unsigned j = 0; j < s->width; j++) {
        uint8_t *q_col = s->cols + j * col_bytes;
        sirnn_prg_blocks(&s->seeds[j], (sirnn_block *)(void *)q_col, col_blocks);
        /* s_j selects u^j through a mask, never a branch. */
        uint64_t mask = 0 - delta_bit(s, j);
        uint64_t *q = (uint64_t *)(void *)q_col;
        const uint64_t *uw = (const uint64_t *)(const void *)(u + j * col_bytes);
        for (size_t w = 0; w < col_words; w++)
            q[w] ^= uw[w] & mask;
    }
    transpose_rows(s->width, rows, s->cols, m);
    s->count += m;
    return SIRNN_OK;
}

sirnn_status sirnn_otx_send_extend(sirnn_otx_sender *s, sirnn_channel *ch, sirnn_block *rows,
                                   size_t m)
{
    if (m == 0)
        return SIRNN_OK;
    if (m % 128 != 0 || m > s->max_chunk)
        return SIRNN_ERR_ARG;
    sirnn_status st = sirnn_channel_recv(ch, s->u, sirnn_otx_u_bytes(s->width, s->k, m));
    return st == SIRNN_OK ? sirnn_otx_send_extend_from(s, rows, s->u, m) : st;
}
