/*
 * libsirnn arithmetic and boolean shares: sharing and reveal, local
 * operations, conversions (B2A, MUX), AND, and the comparison family of
 * CrypTFlow2 (millionaires', equality, wrap, MSB, MSB-to-wrap, ReLU).
 *
 * Shares. An l-bit arithmetic share (1 <= l <= 64) is a uint64_t holding a
 * value mod 2^l in its low l bits, upper bits zero: x = x0 + x1 mod 2^l,
 * where party 0 (the server) holds x0 and party 1 (the client) holds x1.
 * Input bits above l are ignored; outputs always have them cleared. A
 * boolean share is one uint8_t per element, 0 or 1: b = b0 XOR b1. Any other
 * byte value is an argument error.
 *
 * Calling contract (see party.h): both parties make the same call at the
 * same point with the same n and parameters; each passes its own shares.
 * Bad arguments (l outside 1..64, NULL with n > 0, bits other than 0/1, an
 * unknown role) give SIRNN_ERR_ARG before anything is sent; an I/O error in
 * the middle marks the party broken (SIRNN_ERR_STATE afterwards). n = 0
 * does nothing and sends nothing. Results and bytes sent do not depend on
 * the thread count, except that every lane rounds its own OT count.
 *
 * Costs. "bits" is the total sent by both parties per element for a large
 * batch on one lane, setup excluded. Exact formulas per lane with n_L
 * elements are given where they differ: the OT extension columns are rounded
 * up to a multiple of 128 OTs per lane (16 bytes per IKNP OT, 32 per KK13
 * OT), and each message vector to whole bytes. Protocols work in chunks of
 * elements; chunks are multiples of 128 elements, so only the last chunk of
 * a lane rounds. "flights" counts message flights, the sum over both
 * parties (a round trip is two); flights of the two parties that go out at
 * the same time are both counted, and the critical path is given as well.
 * These are the counts for one chunk (n_L <= 4096 for the linear protocols,
 * see SIRNN_CMP_CHUNK for comparisons); a larger batch repeats them per chunk.
 *
 * Secrets: shares, inputs and choice bits are secret; n, l and the other
 * parameters are public. No branch or memory index depends on a secret.
 * Memory beyond the caller's arrays is O(chunk) per lane.
 */
#ifndef SIRNN_ARITH_H
#define SIRNN_ARITH_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/party.h"
#include "sirnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reveal targets: SIRNN_SERVER (0), SIRNN_CLIENT (1), or both. */
#define SIRNN_BOTH 2

/* ------------------------------------------------------------------ */
/* Sharing and reveal                                                   */
/* ------------------------------------------------------------------ */

/*
 * The owner (SIRNN_SERVER or SIRNN_CLIENT) secret-shares its l-bit values
 * in[n]; each party gets its share in out[n]. The owner's share is
 * x - r mod 2^l and the other party's is r, r uniform from the owner's PRG.
 * `in` is read only on the owner (the other party may pass NULL); `in` is
 * the owner's secret. out may alias in.
 * Bits: l (from the owner, exactly ceil(n_L*l/8) bytes per lane). Flights: 1.
 */
SIRNN_API sirnn_status sirnn_share(sirnn_party *party, size_t n, uint64_t *out,
                                   const uint64_t *in, unsigned l, int owner);
/* The same for bits: in[n] 0/1 on the owner. Bits: 1 (ceil(n_L/8) bytes). */
SIRNN_API sirnn_status sirnn_share_bool(sirnn_party *party, size_t n, uint8_t *out,
                                        const uint8_t *in, int owner);

/*
 * Reveal l-bit shares to `to` (SIRNN_SERVER, SIRNN_CLIENT or SIRNN_BOTH):
 * a receiving party gets out[i] = x0 + x1 mod 2^l; a party that does not
 * receive leaves out untouched (it may pass NULL). out may alias in.
 * Bits: l to one party, 2l to both. Flights: 1 (to one), 2 (to both, at
 * the same time: critical path 1).
 */
SIRNN_API sirnn_status sirnn_reveal(sirnn_party *party, size_t n, uint64_t *out,
                                    const uint64_t *in, unsigned l, int to);
/* The same for boolean shares: out[i] = b0 ^ b1. Bits 1 (or 2 to both). */
SIRNN_API sirnn_status sirnn_reveal_bool(sirnn_party *party, size_t n, uint8_t *out,
                                         const uint8_t *in, int to);

/* ------------------------------------------------------------------ */
/* Local operations (no communication; party is needed for its role)   */
/* ------------------------------------------------------------------ */

/* out = a + b, a - b, -a mod 2^l; out may alias a or b. */
SIRNN_API sirnn_status sirnn_add(sirnn_party *party, size_t n, uint64_t *out,
                                 const uint64_t *a, const uint64_t *b, unsigned l);
SIRNN_API sirnn_status sirnn_sub(sirnn_party *party, size_t n, uint64_t *out,
                                 const uint64_t *a, const uint64_t *b, unsigned l);
SIRNN_API sirnn_status sirnn_neg(sirnn_party *party, size_t n, uint64_t *out,
                                 const uint64_t *a, unsigned l);
/* out = c * a mod 2^l for a public constant c (both parties pass the same c). */
SIRNN_API sirnn_status sirnn_mul_const(sirnn_party *party, size_t n, uint64_t *out,
                                       const uint64_t *a, uint64_t c, unsigned l);
/* out = a + c mod 2^l for a public c: party 0 adds c, party 1 copies. */
SIRNN_API sirnn_status sirnn_add_const(sirnn_party *party, size_t n, uint64_t *out,
                                       const uint64_t *a, uint64_t c, unsigned l);
/* Change of modulus down: out = a mod 2^l_to, 1 <= l_to <= l_from <= 64
 * (shares of x mod 2^l_to). out may alias a. */
SIRNN_API sirnn_status sirnn_mod_down(sirnn_party *party, size_t n, uint64_t *out,
                                      const uint64_t *a, unsigned l_from, unsigned l_to);
/* Boolean: out = a ^ b; out = NOT a (party 0 flips its share). out may
 * alias an input. */
SIRNN_API sirnn_status sirnn_xor(sirnn_party *party, size_t n, uint8_t *out,
                                 const uint8_t *a, const uint8_t *b);
SIRNN_API sirnn_status sirnn_not(sirnn_party *party, size_t n, uint8_t *out,
                                 const uint8_t *a);

/* ------------------------------------------------------------------ */
/* Conversions and AND                                                  */
/* ------------------------------------------------------------------ */

/*
 * B2A: out = arithmetic shares mod 2^l of the bit b = b0 ^ b1. Uses
 * b = b0 + b1 - 2*b0*b1: one additive COT (party 0 sends, correlation b0,
 * party 1 chooses with b1) carries b0*b1 mod 2^(l-1).
 * Bits: 128 + (l - 1) for l >= 2 (exactly 16*round128(n_L) +
 * ceil(n_L*(l-1)/8) bytes per lane); l = 1 is local (0 bits).
 * Flights: 2 (critical path 2). out must not alias b (different types).
 */
SIRNN_API sirnn_status sirnn_b2a(sirnn_party *party, size_t n, uint64_t *out,
                                 const uint8_t *b, unsigned l);

/*
 * MUX: out = sel ? x : 0 mod 2^l, sel a boolean share, x an l-bit share.
 * Two additive COTs in opposite directions (CrypTFlow2): party j sends with
 * correlation (1 - 2*sel_j) * x_j and the other chooses with its sel bit.
 * Bits: 2*(128 + l) (each direction 16*round128(n_L) + ceil(n_L*l/8)
 * bytes). Flights: 4 (two per party, at the same time: critical path 2).
 * out may alias x.
 */
SIRNN_API sirnn_status sirnn_mux(sirnn_party *party, size_t n, uint64_t *out,
                                 const uint8_t *sel, const uint64_t *x, unsigned l);
/* out = sel ? x : y = y + MUX(sel, x - y). Same cost as sirnn_mux. out may
 * alias x or y. */
SIRNN_API sirnn_status sirnn_mux2(sirnn_party *party, size_t n, uint64_t *out,
                                  const uint8_t *sel, const uint64_t *x, const uint64_t *y,
                                  unsigned l);

/*
 * AND of boolean shares: out = a AND b. Elements are taken in pairs; each
 * pair is one KK13 1-of-16 OT (party 1 chooses with its four share bits,
 * party 0 sends the 16 two-bit answers masked with its fresh output
 * shares). An odd last element of a lane uses a 1-of-4 OT of 1-bit
 * messages. Bits: 144 per element (per lane 32*round128(ceil(n_L/2)) +
 * 8*floor(n_L/2) + ceil((n_L odd) * 4/8) bytes: u columns, 32-bit answers
 * per pair and 4 bits for an odd element). Flights: 2. out may alias a or b.
 */
SIRNN_API sirnn_status sirnn_and(sirnn_party *party, size_t n, uint8_t *out,
                                 const uint8_t *a, const uint8_t *b);

/* ------------------------------------------------------------------ */
/* Comparison family                                                    */
/* ------------------------------------------------------------------ */

typedef enum sirnn_cmp_op {
    SIRNN_CMP_LT = 0, /* 1{x < y} */
    SIRNN_CMP_GT = 1  /* 1{x > y} */
} sirnn_cmp_op;

/* Default leaf block size of the millionaires' protocol. */
#define SIRNN_CMP_M_DEFAULT 4

/*
 * Millionaires' protocol: party 0 holds x and party 1 holds y, both l-bit
 * (in[n] is x on party 0 and y on party 1; secret). cmp gets boolean shares
 * of 1{x < y} (op SIRNN_CMP_LT) or 1{x > y} (SIRNN_CMP_GT); eq, if not
 * NULL, gets boolean shares of 1{x == y}. Both parties must pass eq NULL or
 * non-NULL alike, and the same l, m and op. cmp and eq must be different
 * arrays; neither can alias in (different types).
 *
 * m is the leaf block size, 1..8 (0 means SIRNN_CMP_M_DEFAULT = 4). x and y
 * are cut into q = ceil(l/m) blocks, block 0 the lowest, all of m bits but
 * the top one (w = l - (q-1)*m bits). Each block is one 1-of-2^w OT from
 * party 0 to party 1 (KK13, 256 + 2^w*b bits; IKNP chosen OT when w = 1,
 * 128 + 2b bits) whose b-bit messages are party 0's fresh shares XOR
 * (1{x_j op y_j}, 1{x_j == y_j}); block 0 sends only the comparison bit
 * (b = 1) unless eq is wanted (b = 2 elsewhere). A log-depth tree combines
 * adjacent blocks, cmp = cmp_hi ^ (eq_hi & cmp_lo), eq = eq_hi & eq_lo, on
 * Beaver bit triples made in the same flights as the leaves, by KK13 OTs
 * from party 0 to party 1:
 *   - a node that needs both outputs uses a correlated pair of triples
 *     (shared first factor eq_hi): one 1-of-8 OT of 2-bit messages (272
 *     bits) plus 6 bits of openings;
 *   - the lowest node of each level needs only cmp when eq is not wanted:
 *     a single triple, two per 1-of-16 OT of 2-bit messages (144 bits
 *     each) plus 4 bits of openings.
 * So with L = ceil(log2 q) levels, S = L single and P = q - 1 - L pair nodes
 * (S = 0, P = q - 1 with eq), bits per element = leaves + 148*S + 278*P.
 * m = 4, no eq: l = 16: 1710; l = 32: 3844; l = 64: 8242 (SCI: 1744, 3932,
 * 8456). With eq: l = 32: 4250.
 *
 * Exact per lane, for n_L elements in one chunk: party 1 sends
 * 32*round128(K) + 16*round128(I) + O bytes and party 0 sends the packed
 * messages (each leaf ceil(n_L*2^w*b/8) bytes, the pairs 2*P*n_L, the
 * singles 4*floor(S*n_L/2), plus 1 if S*n_L is odd) + O, where
 * K = (KK13 leaves + P)*n_L + ceil(S*n_L/2), I = (one-bit leaves)*n_L, and
 * O = (2S + 3P)*ceil(n_L/8) bytes of openings. Chunks hold a multiple of
 * 256 elements (about 16384 OTs), so a batch costs the sum over its chunks
 * and only a lane's last chunk rounds.
 *
 * Flights: party 1's columns; party 0's messages with its level-1
 * openings; then the parties alternate, each flight carrying the sender's
 * openings of one level and of the next: L + 2 flights in total, which is
 * also the one-way critical path (l = 16 / 32 / 64, m = 4: 4 / 5 / 6).
 */
SIRNN_API sirnn_status sirnn_millionaire(sirnn_party *party, size_t n, uint8_t *cmp,
                                         uint8_t *eq, const uint64_t *in, unsigned l,
                                         unsigned m, sirnn_cmp_op op);

/*
 * Equality of party 0's x and party 1's y (l-bit, in[n] as in
 * sirnn_millionaire): eq gets boolean shares of 1{x == y}. The leaves carry
 * only the equality bit (b = 1) and the tree has q - 1 single triples (S =
 * q - 1, P = 0 in the formulas above). m as in sirnn_millionaire.
 * Bits for m = 4: l = 32: 3212; l = 64: 6572.
 */
SIRNN_API sirnn_status sirnn_eq(sirnn_party *party, size_t n, uint8_t *eq,
                                const uint64_t *in, unsigned l, unsigned m);

/*
 * wrap(x0, x1; l) = 1{x0 + x1 >= 2^l} for an l-bit shared x: one
 * millionaires' run (m = 4, op LT, no eq) on 2^l - 1 - x0 (party 0) and x1
 * (party 1). Bits and flights: those of sirnn_millionaire(l) (l = 32: 3844).
 * out cannot alias x (different types).
 */
SIRNN_API sirnn_status sirnn_wrap(sirnn_party *party, size_t n, uint8_t *out,
                                  const uint64_t *x, unsigned l);

/*
 * MSB of an l-bit shared x: msb(x0) ^ msb(x1) ^ wrap(low l-1 bits of x0,
 * x1; l-1). l = 1 is local (the share's bit). Bits and flights:
 * sirnn_wrap(l - 1) (l = 32: 3828).
 */
SIRNN_API sirnn_status sirnn_msb(sirnn_party *party, size_t n, uint8_t *out,
                                 const uint64_t *x, unsigned l);

/*
 * MSB-to-wrap: wrap(x0, x1; l) when boolean shares msb[n] of msb(x) are
 * known: wrap = m0 m1 ^ (m0 ^ m1)(1 ^ msb), m_j = msb(x_j). One KK13 1-of-4
 * OT of 1-bit messages (party 1 chooses with (m1, its msb share), party 0
 * answers with its fresh output share XOR the wrap). Bits: 260 = 2λ + 4 (per
 * lane 32*round128(n_L) from party 1 and ceil(n_L/2) bytes from party 0,
 * chunks of 4096). Flights: 2. out may alias msb.
 */
SIRNN_API sirnn_status sirnn_msb_to_wrap(sirnn_party *party, size_t n, uint8_t *out,
                                         const uint64_t *x, const uint8_t *msb, unsigned l);

/*
 * ReLU on l-bit two's-complement values: out = x if msb(x) = 0, else 0
 * (mod 2^l). sign, if not NULL, gets boolean shares of msb(x) (1 means
 * negative); both parties pass sign NULL or non-NULL alike. MSB, then
 * MUX(NOT msb, x) on the same chunk. Bits: sirnn_msb(l) + sirnn_mux(l)
 * (l = 32: 3828 + 320 = 4148; SCI 4252). Flights: those of MSB plus those
 * of MUX (l = 32: 5 + 3 = 8, critical path 7).
 * l = 1 is local (a 1-bit value is 0 or -1). out may alias x.
 */
SIRNN_API sirnn_status sirnn_relu(sirnn_party *party, size_t n, uint64_t *out, uint8_t *sign,
                                  const uint64_t *x, unsigned l);

#ifdef __cplusplus
}
#endif

#endif /* SIRNN_ARITH_H */
