/*
 * KK13 1-out-of-N OT over the width-256 extension matrix (see ot/kkot.h).
 */
#include "ot/kkot.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/scratch.h"
#include "kernels/crhash.h"
#include "kernels/pack.h"
#include "kernels/random.h"

enum {
    WIDTH = SIRNN_KKOT_WIDTH,
    MAX_CHUNK = SIRNN_KKOT_MAX_CHUNK,
    MAX_N = 256,
    PAD_WORDS = 4096,            /* pads of one sender group (32 KiB, in L1/L2) */
};
#define WIRE_BYTES ((size_t)256 * 1024) /* y of one chunk at most */
#define WIRE_ALLOC (WIRE_BYTES + 64)    /* + the slack select may read */
#define CODE_BYTES ((size_t)(128 + MAX_N) * sizeof(sirnn_block))
#define PAD_BYTES ((size_t)PAD_WORDS * sizeof(uint64_t))
#define ROWS_BYTES ((size_t)MAX_CHUNK * 2 * sizeof(sirnn_block))
#define HASH_BYTES ((size_t)MAX_CHUNK * sizeof(sirnn_block))
#define PLANE_WORDS ((size_t)MAX_CHUNK / 64)

size_t sirnn_kkot_chunk(unsigned N, unsigned l)
{
    size_t fit = WIRE_BYTES * 8 / ((size_t)N * l) / 128 * 128;
    return fit < MAX_CHUNK ? fit : MAX_CHUNK;
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* ---- engines ------------------------------------------------------------ */

/* Bit j of the 256-bit row layout of kernels/transpose.h. */
static void set_row_bit(sirnn_block row[2], unsigned j, uint64_t bit)
{
    row[j / 128].w[(j / 64) % 2] |= bit << (j % 64);
}

/* The mask J(i) of a-position i < 128 (kkot.h): bit 6 of v is the constant
 * term, bits 0..5 of i weigh bits 0..5 of v and bit 6 of i weighs bit 7, so
 * positions i < 64 never see bit 7. */
static unsigned code_mask(unsigned i)
{
    return (i & 63u) | 64u | (i & 64u) << 1;
}

unsigned sirnn_kkot_code_bit(unsigned v, unsigned j)
{
    return (unsigned)__builtin_popcount(v & code_mask((j >> 1) & 127u)) & 1u;
}

sirnn_status sirnn_kkot_sender_init(sirnn_kkot_sender *s, const sirnn_block *keys,
                                    const uint8_t *choices, unsigned k, sirnn_channel *ch)
{
    memset(s, 0, sizeof(*s));
    if (k != 1 && k != 2)
        return SIRNN_ERR_ARG;
    sirnn_status st =
        k == 1 ? sirnn_otx_sender_init(&s->x, WIDTH, MAX_CHUNK, keys, choices)
               : sirnn_otx_ss_sender_init_width(&s->x, WIDTH, k, MAX_CHUNK, keys, choices, ch);
    if (st != SIRNN_OK)
        return st;
    s->code = sirnn_scratch_alloc(CODE_BYTES);
    s->q = sirnn_scratch_alloc(ROWS_BYTES);
    s->pads = sirnn_scratch_alloc(PAD_BYTES);
    s->wire = sirnn_scratch_alloc(WIRE_ALLOC);
    if (s->code == NULL || s->q == NULL || s->pads == NULL || s->wire == NULL) {
        sirnn_kkot_sender_free(s);
        return SIRNN_ERR_NOMEM;
    }
    /* C(v) & s; v and j are public loop indices, s enters only by AND. The
     * first half (j < 128) depends on v & 127 only: one copy per v < 128. */
    for (unsigned v = 0; v < MAX_N; v++) {
        sirnn_block row[2] = {{{0, 0}}, {{0, 0}}};
        for (unsigned j = 0; j < WIDTH; j++) {
            uint64_t code_bit = sirnn_kkot_code_bit(v, j);
            uint64_t s_bit = (s->x.delta[j / 128].w[(j / 64) % 2] >> (j % 64)) & 1;
            set_row_bit(row, j, code_bit & s_bit);
        }
        if (v < 128)
            s->code[v] = row[0];
        s->code[128 + v] = row[1];
        sirnn_memzero(row, sizeof(row));
    }
    return SIRNN_OK;
}

sirnn_status sirnn_kkot_receiver_init(sirnn_kkot_receiver *r, const sirnn_block *keys,
                                      unsigned k, sirnn_prg *prg, sirnn_channel *ch)
{
    memset(r, 0, sizeof(*r));
    if (k != 1 && k != 2)
        return SIRNN_ERR_ARG;
    sirnn_status st =
        k == 1 ? sirnn_otx_receiver_init(&r->x, WIDTH, MAX_CHUNK, keys)
               : sirnn_otx_ss_receiver_init_width(&r->x, WIDTH, k, MAX_CHUNK, keys, prg, ch);
    if (st != SIRNN_OK)
        return st;
    /* Column j of C is Walsh-Hadamard column J(j >> 1); per block of k
     * columns that is J(b * k / 2). J(i) >= 2i + 1, so col_map[b] >= b. */
    for (unsigned b = 0; b < WIDTH / k; b++)
        r->x.col_map[b] = (uint8_t)code_mask(b * k / 2);
    r->planes = sirnn_scratch_alloc(8 * PLANE_WORDS * sizeof(uint64_t));
    r->t = sirnn_scratch_alloc(ROWS_BYTES);
    r->h = sirnn_scratch_alloc(HASH_BYTES);
    r->wire = sirnn_scratch_alloc(WIRE_ALLOC);
    if (r->planes == NULL || r->t == NULL || r->h == NULL ||
        r->wire == NULL) {
        sirnn_kkot_receiver_free(r);
        return SIRNN_ERR_NOMEM;
    }
    return SIRNN_OK;
}

void sirnn_kkot_sender_free(sirnn_kkot_sender *s)
{
    sirnn_otx_sender_free(&s->x);
    sirnn_scratch_free(s->code, CODE_BYTES);
    sirnn_scratch_free(s->q, ROWS_BYTES);
    sirnn_scratch_free(s->pads, PAD_BYTES);
    sirnn_scratch_free(s->wire, WIRE_ALLOC);
    memset(s, 0, sizeof(*s));
}

void sirnn_kkot_receiver_free(sirnn_kkot_receiver *r)
{
    sirnn_otx_receiver_free(&r->x);
    sirnn_scratch_free(r->planes, 8 * PLANE_WORDS * sizeof(uint64_t));
    sirnn_scratch_free(r->t, ROWS_BYTES);
    sirnn_scratch_free(r->h, HASH_BYTES);
    sirnn_scratch_free(r->wire, WIRE_ALLOC);
    memset(r, 0, sizeof(*r));
}

/* OTs per sender group: a multiple of 8 (so every group's y starts on a
 * byte) with its N pads per OT within PAD_WORDS. */
static size_t group_size(unsigned N)
{
    size_t g = (PAD_WORDS / N) & ~(size_t)7;
    return g < 8 ? 8 : g;
}

void sirnn_kkot_send_pads(const sirnn_kkot_sender *s, uint8_t *out, uint64_t *pads,
                          const sirnn_block *q, const uint64_t *msgs, size_t g, unsigned N,
                          unsigned l, sirnn_tweak tw, const void *pf, size_t pf_bytes)
{
    /* the sender's code table: a-halves at [0, 128), b-halves at [128, 384) */
    sirnn_tccrhash256_many_pf(pads, q, tw, g, s->code, s->code + 128, N, pf, pf_bytes);
    sirnn_kernels()->kk_combine(out, msgs, pads, g * N, l);
}

void sirnn_kkot_recv_hash(sirnn_block *h, const sirnn_block *t, sirnn_tweak tw, size_t k)
{
    sirnn_tccrhash256(h, t, tw, k);
}

/* Sender: the packed y of OTs [0, k) of the chunk in s->q, for messages
 * starting at msgs (already offset to the chunk): per group, the N pads of
 * each OT, then messages XOR pads packed straight into the wire buffer. */
static void sender_pads(sirnn_kkot_sender *s, uint8_t *wire, const uint64_t *msgs, size_t k,
                        unsigned N, unsigned l, sirnn_tweak tweak)
{
    const size_t group = group_size(N);
    for (size_t g0 = 0; g0 < k; g0 += group) {
        const size_t g = min_size(group, k - g0);
        /* While this group hashes, the next group's messages (8N bytes per
         * OT, often in memory) stream into the cache, so the combine step
         * does not stall on them. */
        const size_t next = g0 + g < k ? min_size(group, k - g0 - g) : 0;
        /* g0 is a multiple of 8, so the group starts on a byte. */
        sirnn_kkot_send_pads(s, wire + g0 * N * l / 8, s->pads, s->q + 2 * g0, msgs + g0 * N,
                             g, N, l, sirnn_tweak_make(tweak.domain, tweak.index + g0),
                             next > 0 ? msgs + (g0 + g) * N : NULL, next * N * sizeof(uint64_t));
    }
}

/*
 * Streaming, as ot/iknp.c's corrected OTs: the receiver sends the u
 * columns of every chunk of a group in one flight and keeps each chunk's
 * pad hash in its output mc; the sender reads that whole flight before it
 * answers every chunk in one flight. It holds the group's y (computed as
 * the columns arrive) or its u columns (rows made when it answers),
 * whichever is smaller for (N, l, k); a group is as many chunks as the
 * owner's stream budget holds. Bytes in each direction are those of the
 * chunk-by-chunk loop; two flights per group.
 */
typedef struct kk_plan {
    size_t chunk;   /* OTs per chunk (sirnn_kkot_chunk) */
    int hold_u;     /* the sender holds u columns rather than y */
    size_t group;   /* OTs per group: whole chunks */
} kk_plan;

static kk_plan kk_plan_of(size_t budget, unsigned k, unsigned N, unsigned l)
{
    kk_plan p;
    p.chunk = sirnn_kkot_chunk(N, l);
    const size_t ub = sirnn_otx_u_bytes(WIDTH, k, p.chunk), yb = sirnn_pack_size(p.chunk * N, l);
    p.hold_u = ub < yb;
    p.group = sirnn_otx_group(budget, p.hold_u ? ub : yb, p.chunk);
    return p;
}

static size_t kk_held(const kk_plan *p, unsigned k, size_t gn, unsigned N, unsigned l)
{
    size_t bytes = 0;
    for (size_t off = 0; off < gn; off += p->chunk) {
        const size_t c = min_size(p->chunk, gn - off);
        bytes += p->hold_u ? sirnn_otx_u_bytes(WIDTH, k, sirnn_otx_round(c))
                           : sirnn_pack_size(c * N, l);
    }
    return bytes;
}

static sirnn_status kk_send_group(sirnn_kkot_sender *s, sirnn_channel *ch, const kk_plan *p,
                                  uint8_t *buf, const uint64_t *msgs, size_t off0, size_t gn,
                                  unsigned N, unsigned l)
{
    const size_t end = off0 + gn;
    const uint64_t count0 = s->x.count;
    sirnn_status st = SIRNN_OK;
    size_t pos = 0;
    if (p->hold_u && (st = sirnn_channel_recv(ch, buf, kk_held(p, s->x.k, gn, N, l))) != SIRNN_OK)
        return st;
    for (size_t off = off0; off < end; off += p->chunk) {
        const size_t k = min_size(p->chunk, end - off), m = sirnn_otx_round(k);
        const sirnn_tweak tweak = sirnn_tweak_make(s->x.domain, count0 + (off - off0));
        const size_t yb = sirnn_pack_size(k * N, l);
        if (p->hold_u) {
            if ((st = sirnn_otx_send_extend_from(&s->x, s->q, buf + pos, m)) != SIRNN_OK)
                return st;
            pos += sirnn_otx_u_bytes(WIDTH, s->x.k, m);
            sender_pads(s, s->wire, msgs + off * N, k, N, l, tweak);
            if ((st = sirnn_channel_send(ch, s->wire, yb)) != SIRNN_OK)
                return st;
        } else {
            if ((st = sirnn_otx_send_extend(&s->x, ch, s->q, m)) != SIRNN_OK)
                return st;
            sender_pads(s, buf + pos, msgs + off * N, k, N, l, tweak);
            pos += yb;
        }
    }
    if (!p->hold_u && (st = sirnn_channel_send(ch, buf, pos)) != SIRNN_OK)
        return st;
    return sirnn_channel_flush(ch);
}

sirnn_status sirnn_kkot_engine_send(sirnn_kkot_sender *s, sirnn_channel *ch, const uint64_t *msgs,
                             size_t n, unsigned N, unsigned l)
{
    const kk_plan p = kk_plan_of(s->stream_bytes, s->x.k, N, l);
    sirnn_status st = SIRNN_OK;
    for (size_t off0 = 0, gn = 0; off0 < n && st == SIRNN_OK; off0 += gn) {
        gn = min_size(p.group, n - off0);
        const size_t bytes = kk_held(&p, s->x.k, gn, N, l) + 64; /* + the slack wire has */
        /* One chunk holding its y needs only the chunk's wire. */
        uint8_t *buf = !p.hold_u && gn <= p.chunk ? s->wire : sirnn_scratch_alloc(bytes);
        if (buf == NULL)
            return SIRNN_ERR_NOMEM;
        st = kk_send_group(s, ch, &p, buf, msgs, off0, gn, N, l);
        if (buf != s->wire)
            sirnn_scratch_free(buf, bytes);
    }
    sirnn_memzero(s->q, ROWS_BYTES);
    return st;
}

/* Receiver: the choice columns of choices [0, n) (zero beyond, m bits
 * each) into the u buffer, in the Walsh-Hadamard layout of kkot.h: only the
 * 128 columns J(i) the code uses, column J(i) = parity(x & J(i)). Column
 * J(i) is column J(i & (i - 1)) XOR the bit plane the lowest set bit of i
 * weighs, so each costs one pass of XORs; J(0) = 64 is plane 6. */
static void code_columns(sirnn_kkot_receiver *r, const uint8_t *choices, size_t n, size_t m)
{
    const size_t words = m / 64;
    uint64_t *planes = r->planes;
    memset(planes, 0, 8 * words * sizeof(uint64_t));
    /* Eight choices at a time: bit b of each of their bytes gathered into
     * one byte of plane b by a multiply (the partial products land on
     * distinct bits, so no carry disturbs the top byte). */
    for (size_t i0 = 0; i0 < n; i0 += 8) {
        uint64_t x = 0;
        for (size_t j = 0; j < 8 && i0 + j < n; j++)
            x |= (uint64_t)choices[i0 + j] << (8 * j);
        for (unsigned b = 0; b < 8; b++) {
            const uint64_t bits = (((x >> b) & 0x0101010101010101ull) *
                                   0x0102040810204080ull) >> 56;
            planes[b * words + i0 / 64] |= bits << (i0 % 64);
        }
    }
    uint64_t *cols = (uint64_t *)(void *)r->x.u;
    memcpy(cols + (size_t)code_mask(0) * words, planes + 6 * words, words * sizeof(uint64_t));
    for (unsigned i = 1; i < WIDTH / 2; i++) {
        const unsigned low = (unsigned)__builtin_ctz(i);
        const uint64_t *base = cols + (size_t)code_mask(i & (i - 1)) * words;
        const uint64_t *plane = planes + (size_t)(low < 6 ? low : 7) * words;
        uint64_t *col = cols + (size_t)code_mask(i) * words;
        for (size_t w = 0; w < words; w++)
            col[w] = base[w] ^ plane[w];
    }
    /* The planes are the choices themselves; the columns go out masked. */
    sirnn_memzero(planes, 8 * words * sizeof(uint64_t));
}

sirnn_status sirnn_kkot_recv_extend(sirnn_kkot_receiver *r, sirnn_channel *ch,
                                    sirnn_block *rows, const uint8_t *choices, size_t n)
{
    if (n > MAX_CHUNK)
        return SIRNN_ERR_ARG;
    const size_t m = sirnn_otx_round(n);
    code_columns(r, choices, n, m);
    /* The u buffer carries the choice columns (ot/ext.h allows it). */
    return sirnn_otx_recv_extend(&r->x, ch, rows, r->x.u, m / 8, m);
}

/* The receiver's side of the streaming above: the pad hash of each OT
 * waits in mc (its low word, all the selection reads) until y comes. */
sirnn_status sirnn_kkot_engine_recv(sirnn_kkot_receiver *r, sirnn_channel *ch, uint64_t *mc,
                             const uint8_t *choices, size_t n, unsigned N, unsigned l)
{
    const kk_plan p = kk_plan_of(r->stream_bytes, r->x.k, N, l);
    const sirnn_kernel_table *kern = sirnn_kernels();
    sirnn_block *h = r->h;
    sirnn_status st = SIRNN_OK;
    for (size_t off0 = 0, gn = 0; off0 < n && st == SIRNN_OK; off0 += gn) {
        gn = min_size(p.group, n - off0);
        const size_t end = off0 + gn;
        for (size_t off = off0; off < end && st == SIRNN_OK; off += p.chunk) {
            const size_t k = min_size(p.chunk, end - off);
            const sirnn_tweak tweak = sirnn_tweak_make(r->x.domain, r->x.count);
            if ((st = sirnn_kkot_recv_extend(r, ch, r->t, choices + off, k)) != SIRNN_OK)
                break;
            sirnn_kkot_recv_hash(h, r->t, tweak, k);
            for (size_t i = 0; i < k; i++)
                mc[off + i] = h[i].w[0];
        }
        if (st == SIRNN_OK)
            st = sirnn_channel_flush(ch);
        for (size_t off = off0; off < end && st == SIRNN_OK; off += p.chunk) {
            const size_t k = min_size(p.chunk, end - off);
            if ((st = sirnn_channel_recv(ch, r->wire, sirnn_pack_size(k * N, l))) != SIRNN_OK)
                break;
            for (size_t i = 0; i < k; i++)
                h[i].w[0] = mc[off + i];
            kern->kk_select(mc + off, r->wire, choices + off, h, k, N, l);
        }
    }
    sirnn_memzero(r->t, ROWS_BYTES);
    sirnn_memzero(h, HASH_BYTES);
    return st;
}
