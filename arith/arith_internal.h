/*
 * Shared pieces of arith/: argument checks, chunk sizes, and the exchange
 * of packed bit vectors.
 */
#ifndef SIRNN_ARITH_INTERNAL_H
#define SIRNN_ARITH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/arith.h"
#include "sirnn/status.h"
#include "net/party_internal.h"

/*
 * Elements a lane takes through one set of flights. Every protocol works on
 * windows of up to SIRNN_WINDOW elements per lane, each window's messages
 * of one step in one flight, so flights do not grow with the batch up to
 * SIRNN_WINDOW elements per lane (then by one window's flights per
 * window), and working memory is O(SIRNN_WINDOW) per lane, sized by the
 * lane's share of the batch when that is smaller. A multiple of 256.
 * The carry networks (arith/wnet.h: comparisons, extensions, truncations,
 * digit decomposition), MUX, B2A, the lookups and the products
 * (arith/mult.c, arith/mult_lean.c) go further: they stream all of a
 * lane's windows level by level through one set of flights, as far as the
 * session's memory cap allows.
 */
#define SIRNN_WINDOW 65536
/* Elements per window of the linear protocols (share, reveal, B2A, MUX, AND). */
#define SIRNN_ARITH_CHUNK SIRNN_WINDOW

/* The window of a lane's range [begin, end): min(end - begin, SIRNN_WINDOW),
 * at least 1. */
static inline size_t sirnn_window_cap(size_t begin, size_t end)
{
    const size_t n = end - begin;
    return n == 0 ? 1 : n < SIRNN_WINDOW ? n : SIRNN_WINDOW;
}

/* Bytes a lane may hold for the windows it streams through one set of
 * flights: the session's memory cap, the smaller of the two parties'
 * (so that both cut a batch alike), shared by the lanes. Also what a
 * streamed flight sent by both parties at once may leave in the peer's
 * read buffer (whose cap, net/party.c, is at least this). */
static inline size_t sirnn_stream_budget(const sirnn_party *party)
{
    size_t mem = party->cfg.session_mem_bytes;
    if (party->peer_mem_bytes != 0 && party->peer_mem_bytes < mem)
        mem = (size_t)party->peer_mem_bytes;
    return mem / (party->nlanes > 0 ? party->nlanes : 1);
}

/* The streamed drivers (arith/wnet.c, MUX and B2A in arith/convert.c): a
 * lane's window for its range [begin, end) (sirnn_window_cap, or the test
 * window), and the windows per group: as many of per_window bytes as the
 * party's stream budget holds, at least 1, at most windows (both parties
 * compute it alike). On the silent-OT backend a group is one window: a
 * receiver takes its rows window by window in the order of its choices,
 * and an engine's held tiles are a window's. */
size_t sirnn_stream_window(size_t begin, size_t end);
size_t sirnn_stream_group(const sirnn_party *party, size_t per_window, size_t windows);
/* Tests only: windows of `elements` (rounded up to a multiple of 256; 0
 * restores SIRNN_WINDOW) and at most group_windows windows per group (0:
 * as many as the budget allows) in the streamed drivers from the next
 * call on, so that a test crosses windows and groups with small batches.
 * Not thread-safe: call it between protocol calls. */
void sirnn_stream_test_window(size_t elements, size_t group_windows);

/* sirnn_and with the OT roles chosen: chooser (SIRNN_SERVER or
 * SIRNN_CLIENT, both parties alike) sends the columns in the first flight
 * and the other party answers in the second; same bits as sirnn_and
 * (which is chooser SIRNN_CLIENT). Callers alternate it so that an AND's
 * first flight rides in the previous step's last (see arith/msnzb.c). */
sirnn_status sirnn_and_by(sirnn_party *party, size_t n, uint8_t *out, const uint8_t *a,
                          const uint8_t *b, int chooser);

/* 1 if every byte of bits[0..n) is 0 or 1 (no branch on the values). */
int sirnn_arith_bits_ok(const uint8_t *bits, size_t n);
/* Record an argument error on the party (if any) and return SIRNN_ERR_ARG. */
sirnn_status sirnn_arith_arg(sirnn_party *party, const char *fn, const char *what);

/* Zeroed memory (at least one byte, so never NULL for 0 unless out of
 * memory); free with sirnn_arith_zfree. */
void *sirnn_arith_zalloc(size_t bytes);
/* Wipe the first bytes of p (it may hold secrets) and free it; p may be
 * NULL. */
void sirnn_arith_zfree(void *p, size_t bytes);

/* Packed bit vectors: bit i of a vector is bit i % 64 of word i / 64. */
static inline size_t sirnn_bv_words(size_t n)
{
    return (n + 63) / 64;
}
/* Bit i of a vector (i is public; the bit may be secret). */
static inline uint64_t sirnn_bv_get(const uint64_t *v, size_t i)
{
    return (v[i / 64] >> (i % 64)) & 1;
}
/* OR the low bit of bit into bit i of a vector (i public). */
static inline void sirnn_bv_or_bit(uint64_t *v, size_t i, uint64_t bit)
{
    v[i / 64] |= (bit & 1) << (i % 64);
}
/* Pack n bytes (0/1) into words (the tail of the last word is zero). */
void sirnn_bv_pack(uint64_t *w, const uint8_t *bits, size_t n);
/* Unpack n bits into bytes 0/1. */
void sirnn_bv_unpack(uint8_t *bits, const uint64_t *w, size_t n);
/* Queue the first n bits of a vector: ceil(n/8) bytes, bits beyond n zero. */
sirnn_status sirnn_bv_send(sirnn_channel *ch, const uint64_t *w, size_t n);
/* Receive ceil(n/8) bytes into a vector of sirnn_bv_words(n) words. */
sirnn_status sirnn_bv_recv(sirnn_channel *ch, uint64_t *w, size_t n);

/*
 * Chunk-level comparison (arith/cmp.c) for protocols that put other messages
 * in the same flights. The flights of one chunk are numbered from 1: party 1
 * sends the odd ones, party 0 the even ones. A caller's hooks run inside the
 * comparison: sent(ctx, f) right after this party has queued its part of
 * flight f and before its next receive; received(ctx, f) right after it has
 * read the comparison's part of the peer's flight f and before its next
 * send. So bytes queued in sent(f) ride in flight f, behind the
 * comparison's, and the peer reads them in received(f). The last hook of a
 * chunk (flight L + 2) runs after the outputs are written.
 */
typedef struct sirnn_flight_hooks {
    sirnn_status (*sent)(void *ctx, unsigned flight);
    sirnn_status (*received)(void *ctx, unsigned flight);
    void *ctx;
} sirnn_flight_hooks;

/* Workspace of the millionaires' protocol (op LT, m = 4, no eq) on l-bit
 * inputs for party 0 (server != 0) or party 1, for calls of up to cap
 * elements (one set of flights whatever cap is; memory O(cap)); *chunk gets
 * cap and *flights its L + 2 flights. NULL when out of memory. */
void *sirnn_lt_ws_new(int server, unsigned l, size_t cap, size_t *chunk, unsigned *flights);
void sirnn_lt_ws_delete(void *ws);
/* One chunk: out[i] = boolean shares of 1{in_0[i] < in_1[i]} (in is party
 * 0's or party 1's input, reduced to l bits), k <= chunk. hooks may be NULL.
 * Same bytes and flights as sirnn_millionaire(l, m = 4, LT, no eq). */
sirnn_status sirnn_lt_chunk(sirnn_party *party, sirnn_lane *lane, void *ws, uint8_t *out,
                            const uint64_t *in, size_t k, const sirnn_flight_hooks *hooks);
/* The same streamed over a group of windows of cap elements in one set of
 * flights (arith/wnet.h, sirnn_wn_group_run): a workspace for up to nwin
 * windows (*flights as above); sirnn_lt_window_bytes is what one window
 * carries between flights (for sirnn_stream_group). A group run takes
 * k <= nwin * cap elements numbered from off: in(ctx, off', k', v) fills
 * the party's inputs of the window of k' elements from off' (a pure
 * function of the window: it may be called again), out(ctx, off', k',
 * bits) takes the window's boolean shares, each window's after the
 * group's flights and before the last hook. */
typedef void (*sirnn_lt_in_fn)(void *ctx, size_t off, size_t k, uint64_t *in);
typedef void (*sirnn_lt_out_fn)(void *ctx, size_t off, size_t k, const uint8_t *bits);
void *sirnn_lt_ws_new_group(int server, unsigned l, size_t cap, size_t nwin, unsigned *flights);
size_t sirnn_lt_window_bytes(unsigned l, size_t cap);
sirnn_status sirnn_lt_group(sirnn_party *party, sirnn_lane *lane, void *ws, size_t off, size_t k,
                            sirnn_lt_in_fn in, sirnn_lt_out_fn out, void *ctx,
                            const sirnn_flight_hooks *hooks);

/*
 * sirnn_digdec that also gives carry[n]: arithmetic shares mod 2^wc
 * (1 <= wc <= 64) of the carry out of digit 0, i.e. the wrap of digit 0's
 * shares (x0 mod 2^d + x1 mod 2^d >= 2^d), which the network computes for
 * digit 1 anyway; width 1 is a boolean share in the low bit (and the low bit
 * of any width is one). Needs d < l. The carry is B2A'd once at max(w_1, wc)
 * bits: the cost of sirnn_digdec plus max(0, wc - w_1) bits (and the B2A
 * flight when w_1 = 1 < wc and no other digit has one). carry may be NULL
 * (sirnn_digdec); it must not overlap out or x. Secret: carry.
 */
sirnn_status sirnn_digdec_carry(sirnn_party *party, size_t n, uint64_t *out, uint64_t *carry,
                                const uint64_t *x, unsigned l, unsigned d, unsigned wc);

/*
 * sirnn_mult_msb (unsigned, Y shared) when x's wrap is known:
 * wx[n] holds arithmetic shares of wrap(x0, x1; m) = 1{x0 + x1 >= 2^m} mod
 * 2^(max(1, l - m - k)) (bits above are ignored; for l <= m + k only the low
 * bit, a boolean share, is used), for example sirnn_digdec_carry's carry of
 * a digit. No comparison for x: its wrap term is the MUX of the low bit, in
 * flights 1 to 3. l may exceed m + k (up to 64): the y-wrap term then MUXes
 * x's true value x0 + x1 - 2^m wx (mod 2^(l - k)), which carries the
 * 2^(m+k) wx wy term. msb_y as in sirnn_mult_msb (NULL: y's wrap by the
 * millionaires'). Bits: the cross terms of sirnn_mult + 2 (128 + l - m) +
 * (l > k) (the y wrap's 260 or comparison + 2 (128 + l - k)). Flights (msb_y
 * given or l <= k): 3 without y wrap, 4 with. Secrets: x, y, wx, msb_y, out.
 * out may alias x or y.
 */
sirnn_status sirnn_mult_wrap(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                             const uint64_t *y, const uint64_t *wx, const uint8_t *msb_y,
                             unsigned m, unsigned k, unsigned l);

/*
 * Several lookups in one set of flights (arith/lut.c), for protocols whose
 * independent lookups would otherwise take two flights each: request i is
 * sirnn_lut_multi (tables, party 0's batch tables of ntab*2^m entries) or
 * sirnn_lut_multi_cb (tables NULL, fill and fill_ctx) on the same n
 * elements, its own m, ntab and widths; party 1 passes tables and fill
 * NULL. Per window, party 1 queues the columns of every request in one
 * flight and party 0 answers all of them in the next: 2 flights in all,
 * the bits of the requests summed.
 *
 * Wrap fields: when wrap_of is not NULL, a table t with wrap_of[t] = s
 * (not SIRNN_LUT_NOWRAP) is one bit wide and gives boolean shares of the
 * wrap of table s's output shares: 1{((o0 + off) mod 2^w) + o1 >= 2^w}, o0
 * and o1 the parties' shares of table s's output, w = widths[s] <= 63, off
 * = wrap_off[t] (0 when wrap_off is NULL), a public offset party 0 will add
 * to its share (a signed product's 2^(w-1)). Party 0 knows o0 (its fresh
 * output share) and every entry, so the wrap costs 2^m bits per element and
 * no flight, against MSB-to-wrap's 260 bits and two flights. s < t, and s
 * and t must share an OT group (their widths, with those between them, sum
 * to at most 64 from the group's start); table t's entries are ignored.
 * Each out may be its own idx (as in sirnn_lut_multi) but must not overlap
 * another request's idx. SIRNN_ERR_ARG for anything else.
 *
 * unmasked (non-zero): party 0's output shares are 0, so party 1 receives
 * the chosen entries themselves: only for per-element tables that party 0
 * has masked with fresh randomness of its own (math/sigmoid.c's lookups on
 * a digit and a boolean carry); the bits and flights are the same.
 */
#define SIRNN_LUT_MAX_SET 8
#define SIRNN_LUT_NOWRAP 0xffu
typedef struct sirnn_lut_req {
    uint64_t *out;
    const uint64_t *idx;
    const uint64_t *tables;
    sirnn_lut_fill_fn fill;
    void *fill_ctx;
    unsigned ntab, m;
    const unsigned *widths;
    const unsigned *wrap_of;
    const uint64_t *wrap_off;
    int unmasked;
} sirnn_lut_req;
sirnn_status sirnn_lut_several(sirnn_party *party, size_t n, const sirnn_lut_req *req,
                               unsigned nreq);

/*
 * sirnn_mult (is_signed as there) when both wraps are known before the
 * first flight: wx[n] arithmetic shares of wrap(x0', x1'; m) as in
 * sirnn_mult_wrap (the low bit, a boolean share, when l <= m + k), wy[n]
 * boolean shares of wrap(y0', y1'; k), x' and y' the operands' shares as
 * the product reads them (signed: party 0's shares plus 2^(m-1) and
 * 2^(k-1)). No comparison, no MSB-to-wrap: the cross terms and the MUX
 * halves' columns go in flights 1 and 2, so the product takes 3 flights
 * (party 1, party 0, party 1) and its last one can carry a following
 * step's first. Bits: the cross terms + 2 (128 + l - m) [l > m] +
 * 2 (128 + l - k) [l > k]. Secrets: x, y, wx, wy, out. out may alias x or
 * y.
 */
sirnn_status sirnn_mult_wraps(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                              const uint64_t *y, const uint64_t *wx, const uint8_t *wy,
                              unsigned m, unsigned k, unsigned l, int is_signed);

/*
 * sirnn_msnzb (l >= 2) without its final lookup, for protocols that look
 * up their own tables on the exponent in those flights: code[n] boolean
 * (XOR) shares of the mcode-bit code (*mcode = ceil(log2 d') +
 * ceil(log2 c), at most 6), pos[v] the public position msnzb(x) of code v
 * (code 0, for x = 0 and x = 1, gives 0, as sirnn_ref_msnzb). A lookup on
 * the code takes party 0's share into its per-element table (entry v at
 * v XOR its share) and party 1's share as its index. The bits of
 * sirnn_msnzb less its final lookup's; the flights of one of its blocks
 * less its final lookup's (2, or 1 when an odd number of AND steps ends
 * with party 1's answers, where the lookup's columns ride), in sirnn_msnzb's
 * blocks of a window per lane, so that they do not grow up to a window:
 * working memory about 60 bytes per element of a block (l = 15, d = 8).
 * Secrets: x, code.
 */
sirnn_status sirnn_msnzb_code(sirnn_party *party, size_t n, uint64_t *code, const uint64_t *x,
                              unsigned l, unsigned d, unsigned *mcode, uint8_t pos[256]);

#endif /* SIRNN_ARITH_INTERNAL_H */
