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
 * batch on one lane, setup excluded, with plain IKNP (ot_k = 1): the
 * accounting of the shared protocol notes, which the tests pin. The default
 * backend, SoftSpokenOT with ot_k = 4 (KK13 with k = 2), sends 32 bits
 * instead of 128 per 1-of-2 OT column and 128 instead of 256 per KK13 OT,
 * so the same calls cost less (millionaire l = 32: 2,116 bits instead of
 * 3,844); bench/baseline.json pins both, and make bench-check checks the
 * totals quoted here against it (bench/header_costs.tsv). On the silent
 * backend (SIRNN_OT_SILENT, not the default) the 1-of-N OTs of the carry
 * networks' leaves and the products' COTs run on Ferret COTs (b = log2 N
 * random COTs and b bits per 1-of-N OT instead of 128 bits;
 * arith/otphase.h) and their AND triples come from 2 or 3 random COTs
 * each (arith/triples.h), bits averaged over the silent engine's lumps at
 * n = 65,536: millionaire l = 32 (silent): 334.2868; ars (32, 12) with
 * the MSB known (silent): 222.4375; mult 16 x 16 -> 32 (silent): 1207.2611. Exact formulas per lane with n_L
 * elements are given where they differ: the OT extension columns are rounded
 * up to a multiple of 128 OTs per lane (16 bytes per IKNP OT, 32 per KK13
 * OT), and each message vector to whole bytes. Protocols cut their OTs in
 * chunks of elements; chunks are multiples of 128 elements, so only the last
 * chunk of a lane rounds. "flights" counts message flights, the sum over
 * both parties (a round trip is two); flights of the two parties that go
 * out at the same time are both counted, and the critical path is given as
 * well.
 *
 * Flights do not grow with the batch: a lane takes up to 65,536 elements
 * (one window) through one set of flights, the messages of one step of all
 * its chunks in one flight. The counts below hold for any n_L up to the
 * window; a larger batch repeats them per window. Exceptions with smaller
 * windows: multiplication (2^19 cross-term COTs per window: 32,768
 * elements at 8 x 8 bits, 16,384 at 16 x 16) and MSNZB (blocks of 4,096
 * elements); AND takes 16 windows (it holds little per element, and
 * callers pass several vectors of a window at once); lookups take groups
 * of 4-window blocks, as many as the session's memory cap holds at 32
 * bytes per OT on party 0 (64 MiB, one lane: 2^21 elements of one OT in
 * one pair of flights; one block at a time on the silent-OT backend).
 * The carry-network protocols (millionaire, eq, wrap, MSB, ReLU's
 * comparison, extensions, truncations, shifts, divpow2, digit
 * decomposition) go beyond the window: a lane streams all its windows
 * through one set of flights, each flight carrying its part of every
 * window, as long as what the windows carry between flights fits the
 * session's memory cap (session_mem_bytes, the smaller of the two
 * parties', over the lanes); a larger batch takes one set per group of
 * windows that fits (64 MiB, one lane: MSB l = 32 holds 2^20 elements in
 * one group, and so do ars 32,12 and digdec 32,8; divpow2 32,12 takes
 * two). MUX, ReLU and
 * B2A stream the same way (2^20 elements of 32 bits in one group), except
 * on the silent-OT backend, where MUX and B2A go a window at a time; so do
 * the products by clear weights (sirnn_matmul_clear, _msb), over windows
 * of A's elements (see there).
 *
 * Secrets: shares, inputs and choice bits are secret; n, l and the other
 * parameters are public. No branch or memory index depends on a secret.
 * Memory beyond the caller's arrays is O(window) per lane (sized by n_L
 * when that is smaller): party 1 keeps 8 bytes per KK13 OT of a window
 * until party 0's messages come, party 0 its packed messages or OT rows.
 * The carry networks keep, for every window of a group, a few bits per
 * element and node plus party 0's packed messages (MSB l = 32: 42 bytes
 * per element) and party 1's hashes (1 byte per OT); MUX and B2A keep a
 * hash word and the packed corrections per element of a group; all within
 * the memory cap above.
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
 * and only a lane's last chunk rounds; the chunks of a window share its
 * flights.
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
 * windows of 65,536). Flights: 2. out may alias msb.
 */
SIRNN_API sirnn_status sirnn_msb_to_wrap(sirnn_party *party, size_t n, uint8_t *out,
                                         const uint64_t *x, const uint8_t *msb, unsigned l);

/*
 * ReLU on l-bit two's-complement values: out = x if msb(x) = 0, else 0
 * (mod 2^l). sign, if not NULL, gets boolean shares of msb(x) (1 means
 * negative); both parties pass sign NULL or non-NULL alike. MSB of the
 * batch, then MUX(NOT msb, x) of the batch (one byte per element held in
 * between). Bits: sirnn_msb(l) + sirnn_mux(l)
 * (l = 32: 3828 + 320 = 4148; SCI 4252). Flights: those of MSB plus those
 * of MUX (l = 32: 5 + 3 = 8, critical path 7).
 * l = 1 is local (a 1-bit value is 0 or -1). out may alias x.
 */
SIRNN_API sirnn_status sirnn_relu(sirnn_party *party, size_t n, uint64_t *out, uint8_t *sign,
                                  const uint64_t *x, unsigned l);

/* ------------------------------------------------------------------ */
/* Multiplication (SIRNN, mixed bitwidths)                              */
/* ------------------------------------------------------------------ */

/*
 * Elementwise product of an m-bit shared x by a k-bit shared y into l bits,
 * 1 <= m, k, l <= 64, l <= m + k (else SIRNN_ERR_ARG): out = x * y mod 2^l,
 * with x and y unsigned (is_signed = 0) or two's complement (is_signed = 1:
 * x and y sign-extended), exactly sirnn_ref_mult. l = m + k never wraps.
 * out may alias x or y. Secrets: x, y and the MSB shares.
 *
 * Protocol: with the wraps wx = wrap(x0, x1; m), wy = wrap(y0, y1; k),
 *   x y = x0 y0 + x1 y1 + x0 y1 + x1 y0 - 2^m wx (y0 + y1) - 2^k wy (x0 + x1)
 * mod 2^l. Each cross term is nb = min(width, l) IKNP COTs, one per bit i
 * of the chooser's share, carrying the other share mod 2^(l - i); the
 * chooser is the party whose operand is narrower (party 1 on a tie).
 * wx is needed only when l > m, wy only when l > k; both come from ONE
 * millionaires' run (m = 4, no eq) at width K (m or k, or max(m, k) when
 * both are needed) over 2 values per element, and each wrap term is a MUX
 * of (l - m) (or l - k) bits. Signed: both operands are offset by 2^(m-1)
 * and 2^(k-1), and the offsets are removed locally (the MUX values carry
 * -2^(k-1), resp. -2^(m-1)).
 *
 * Bits per element (chunks of multiples of 128 elements; a lane's last
 * chunk rounds its columns up to 128 OTs per batch and each packed vector
 * to whole bytes):
 *   sum over the two cross terms of 128 nb + nb l - nb (nb - 1) / 2
 *   + (wraps needed) * bits of sirnn_millionaire(K, m = 4)
 *   + 2 (128 + l - m) if l > m  + 2 (128 + l - k) if l > k.
 * 8x8->16: 2248 + 2*708 + 544 = 4208 (SCI 4328); 16x16->32: 4880 + 3420
 * + 576 = 8876 (SCI 9120); 16x32->32: 4880 + 1710 + 288 = 6878 (SCI 7056);
 * 32x32->64: 11296 + 7688 + 640 = 19624 (SCI 20152); the same for signed.
 *
 * Flights: numbered per chunk, party 1 sends the odd ones and party 0 the
 * even ones, so the count is also the one-way critical path. All cross
 * terms and both wraps run in the comparison's L + 2 flights (L =
 * ceil(log2 ceil(K / 4))), the MUXes add 2: L + 4 (8x8->16: 5; 16x16->32
 * and 16x32->32: 6; 32x32->64: 7). Without wraps (l <= min(m, k)): 2, or 3
 * when party 0 chooses a cross term (m != k).
 *
 * Chunks (windows of up to 2^19 cross-term COTs and SIRNN_WINDOW elements
 * per lane) are streamed in groups: every flight carries its part for every
 * window of the group, so the flights above hold for a whole group. A
 * group holds as many windows as the session's memory cap per lane allows
 * of what a window carries between flights, per element: 8 bytes of
 * accumulator, the wrap shares, the comparison's state, and the corrections
 * a party has packed between reading the peer's columns and sending them
 * (8x8->16: 57 bytes, so 2^20 elements stream in one group at 64 MiB, one
 * lane; 16x16->32: 160 (about 400,000 elements a group); 16x32->32: 85;
 * 32x32->64: 511 (131,072)). On the silent-OT backend a group is one
 * window.
 */
SIRNN_API sirnn_status sirnn_mult(sirnn_party *party, size_t n, uint64_t *out,
                                  const uint64_t *x, const uint64_t *y, unsigned m,
                                  unsigned k, unsigned l, int is_signed);

/*
 * sirnn_mult when the MSBs of x and/or y are already shared: msb_x[n]
 * (msb_y[n]) are boolean shares of bit m-1 of x (bit k-1 of y), the sign bit
 * when signed; either may be NULL (that wrap then comes from the
 * comparison). A known MSB gives the wrap by MSB-to-wrap (one KK13 1-of-4
 * OT, 260 bits instead of the millionaires' run), in flights 1 and 2.
 * Bits: as sirnn_mult with 260 per known wrap (16x16->32, both known:
 * 4880 + 520 + 576 = 5976). Flights: with both known, 4; the unknown one's
 * comparison otherwise sets the count as in sirnn_mult.
 */
SIRNN_API sirnn_status sirnn_mult_msb(sirnn_party *party, size_t n, uint64_t *out,
                                      const uint64_t *x, const uint64_t *y,
                                      const uint8_t *msb_x, const uint8_t *msb_y, unsigned m,
                                      unsigned k, unsigned l, int is_signed);

/*
 * The round-lean product: sirnn_mult_msb (msb_x given, msb_y not needed) in
 * 2 flights instead of 4, for l <= k (y's wrap vanishes mod 2^l): out[n]
 * (l bits) = sirnn_ref_mult(x, y, m, k, l, is_signed), x m-bit shares with
 * msb_x[n] boolean shares of bit m - 1 of x (its sign when signed), or
 * msb_x NULL when that bit is a public 0 (every x below 2^(m-1), e.g. a
 * sigmoid's output), y k-bit shares (read mod 2^l). One party, chooser
 * (SIRNN_SERVER or SIRNN_CLIENT, the same on both sides), chooses every
 * OT: the bits of its y share (l COTs), of its x share (min(m, l)), and,
 * when l > m, the wrap of x taken from the MSB shares as a polynomial in
 * the chooser's bits with e = 3 terms (1 with msb_x NULL): e COTs times the
 * other's y share, e (l - m) COTs on the chooser's y share's low l - m
 * bits. N = l + min(m, l) + [l > m] e (l - m + 1) COTs per element.
 * Flight 1 is the chooser's columns, flight 2 the other's corrections, so
 * the call joins the flights around it: the chooser's columns go out with
 * whatever it sent last (its share of y need only be known to it), and the
 * other party's corrections with what it sends next (its output share is
 * fixed before it sends them). Bits per element: the columns of N COTs
 * (128 / ot_k each, rounded to 128 COTs per window) plus the corrections
 * l (l + 1) / 2 + nb l - nb (nb - 1) / 2 + [l > m] e ((l - m) + (l - m)
 * (l - m + 1) / 2), nb = min(m, l): more than sirnn_mult_msb (16x32->32
 * with IKNP: 99 COTs, 12672 + 528 + 392 + 48 + 408 = 14048 bits) for half
 * its flights. Flights: 2, for a group of windows of a lane (a window holds
 * up to 2^19 COTs: 5,248 elements at 16x32->32; a group as many windows as
 * the session's memory cap per lane holds of the chooser's 8 bytes of
 * accumulator or the other's packed corrections an element, 172 bytes at
 * 16x32->32: about 390,000 elements at 64 MiB, one lane; on the silent-OT
 * backend one window). out may alias x or y. Secrets: x, y, msb_x.
 */
SIRNN_API sirnn_status sirnn_mult_lean(sirnn_party *party, size_t n, uint64_t *out,
                                       const uint64_t *x, const uint64_t *y,
                                       const uint8_t *msb_x, unsigned m, unsigned k,
                                       unsigned l, int is_signed, int chooser);

/*
 * x (m-bit, shared) times a public k-bit constant c (both parties pass the
 * same c; bits above k ignored; sign-extended when signed) into l bits:
 * out = sirnn_ref_mult(x, c). msb_x may be NULL or shares of x's MSB as in
 * sirnn_mult_msb. The cross products are local; only the wrap term
 * -2^m wx c' is interactive (one COT of l - m bits from party 0, party 1
 * choosing with its wrap share). Bits: 0 when l <= m; else
 * millionaire(m) (or 260 with msb_x) + 128 + (l - m) (16x16->32: 1710 + 144
 * = 1854). Flights: L(m) + 3 (16-bit: 5), 3 with msb_x, 0 when l <= m.
 * out may alias x.
 */
SIRNN_API sirnn_status sirnn_mult_const(sirnn_party *party, size_t n, uint64_t *out,
                                        const uint64_t *x, const uint8_t *msb_x, uint64_t c,
                                        unsigned m, unsigned k, unsigned l, int is_signed);

/*
 * x (m-bit, shared) times y (k-bit) that party `owner` (SIRNN_SERVER or
 * SIRNN_CLIENT) holds in the clear; the other party passes y = NULL (its
 * y is ignored). out = sirnn_ref_mult(x, y). One cross term (x_other * y,
 * nb = min(m, k, l) COTs as in sirnn_mult) and, when l > m, the wrap of x
 * (or MSB-to-wrap with msb_x) and one MUX half of l - m bits from the owner.
 * Bits: 128 nb + nb l - nb (nb - 1) / 2 + [l > m] (wrap + 128 + l - m)
 * (16x16->32: 2440 + 1710 + 144 = 4294). Flights: at most L(m) + 4.
 * out may alias x or y. Secrets: x and the owner's y.
 */
SIRNN_API sirnn_status sirnn_mult_clear(sirnn_party *party, size_t n, uint64_t *out,
                                        const uint64_t *x, const uint8_t *msb_x,
                                        const uint64_t *y, int owner, unsigned m, unsigned k,
                                        unsigned l, int is_signed);

/*
 * Matrix products: out (d1 x d3) = A (d1 x d2, m-bit shares) times W
 * (d2 x d3, k bits), row-major. The sum is accumulated exactly in
 * la = m + k + ceil(log2 d2) <= 64 bits (each product extended as in
 * sirnn_mult, unsigned or signed), then truncated once: out =
 * (acc >> s) mod 2^lout with 0 <= s < la and 1 <= lout <= la - s, i.e.
 * sirnn_tr(la, s) (the top la - s bits, which is the arithmetic shift for
 * signed values too) and a local reduction; s = 0 is local. Exactly
 * sirnn_ref_matmul. out must not alias a or w. d1, d2 or d3 may be 0.
 *
 * sirnn_matmul_clear: the server holds W in the clear (w[d2*d3] on the
 * server; the client passes NULL). Row batching: one IKNP COT per bit b of
 * each client share a1[i][j] carries the whole row W[j] mod 2^(la - b)
 * (the pads stretched by the tweakable hash), and the wrap of A's shares is
 * one comparison per A element plus one COT per element carrying the row
 * mod 2^(la - m). Only the sum mod 2^lc, lc = min(la, s + lout), matters
 * (the truncate-reduce of it is the result), so the whole product runs in
 * lc bits: the COT of bit b carries the row mod 2^(lc - b), bits b >= lc
 * need none, and when m >= lc the wrap of A (a multiple of 2^m) vanishes
 * mod 2^lc, so there is no comparison (pass A sign-extended to lc bits,
 * or use sirnn_matmul_clear_msb, to save the wrap's flights). Bits, per element of A (E = d1 d2 of
 * them), chunks of multiples of 128: sum over b < min(m, lc) of
 * (128 + d3 (lc - b)), plus, when lc > m, millionaire(m) + 128 +
 * d3 (lc - m); then sirnn_tr(lc, s) on d1 d3 values. Flights:
 * millionaire(m)'s L + 2, plus 1 or 2 for the wrap COT (2 in all when
 * lc <= m), plus sirnn_tr's, for all of a lane's rows as long as what its
 * windows of A carry between flights fits a 32nd of the session's
 * memory cap (party 0 keeps 32 bytes per COT, plus the comparison's
 * state; 64 MiB, one lane, m = 16, d3 = 32: one window of 2,048, i.e.
 * 64 rows of 32; windows of 4,096 elements at 16 bits are groups of
 * their own), one set per group of windows beyond (a window at a time on
 * the silent-OT backend).
 * Lanes split the rows of A.
 *
 * sirnn_matmul: both operands shared (b[d2*d3] shares of k bits). A is
 * extended once to la - k bits (sirnn_sext / sirnn_zext, d1 d2 values),
 * then every product A[i][j] B[j][q] is one sirnn_mult (la - k) x k -> la
 * (d1 d2 d3 of them, in batches of 32768), summed locally; then the
 * truncation. Bits: d1 d2 ext(m -> la - k) + d1 d2 d3 mult(la - k, k, la)
 * + tr. (No row batching yet for two shared operands; its flights are
 * the extension's and the multiplications' per block of 4,096 elements
 * of A and per batch, so they still grow with d1.)
 */
SIRNN_API sirnn_status sirnn_matmul_clear(sirnn_party *party, size_t d1, size_t d2, size_t d3,
                                          uint64_t *out, const uint64_t *a, const uint64_t *w,
                                          unsigned m, unsigned k, unsigned s, unsigned lout,
                                          int is_signed);
/*
 * sirnn_matmul_clear when msb[d1*d2] holds boolean shares of bit m - 1 of
 * each A element (its sign when signed), e.g. from the truncation that
 * produced A: the same result (sirnn_ref_matmul, bit for bit), with the
 * wrap of A's shares from MSB-to-wrap folded into the row COTs instead of a
 * comparison, so A is read at its own m bits. With m0, m1 the shares' top
 * bits and b0 ^ b1 = msb(A') (A' = A + sgn 2^(m-1)), the wrap is
 * c00 + c10 m1 + c01 b1 + c11 m1 b1 over the integers, the c's a function
 * of the server's (m0, b0): the COT of bit m - 1 carries (1 - 2 c10) W[j]
 * instead of W[j], two more COTs (client choices b1 and m1 b1) carry
 * -c01 W[j] and -c11 W[j] mod 2^(lc - m), and -2^m c00 W[j] is local.
 * Bits per element of A (E = d1 d2): sum over b < min(m, lc) of
 * (128 + d3 (lc - b)), plus, when lc > m, 2 (128 + d3 (lc - m)); then
 * sirnn_tr(lc, s) on d1 d3 values (per lane, the client's columns are
 * 16 round128(nrow n_E) bytes per window, nrow = min(m, lc) + 2 [lc > m],
 * and the server sends one packed vector of n_E d3 values per row).
 * Flights: 2 (the client's columns, the server's corrections), plus
 * sirnn_tr's: no comparison (streamed as sirnn_matmul_clear's). With lc <= m it is sirnn_matmul_clear (msb
 * is checked, not used). msb is secret; it may not be NULL when d1 d2 > 0.
 */
SIRNN_API sirnn_status sirnn_matmul_clear_msb(sirnn_party *party, size_t d1, size_t d2,
                                              size_t d3, uint64_t *out, const uint64_t *a,
                                              const uint8_t *msb, const uint64_t *w, unsigned m,
                                              unsigned k, unsigned s, unsigned lout,
                                              int is_signed);
SIRNN_API sirnn_status sirnn_matmul(sirnn_party *party, size_t d1, size_t d2, size_t d3,
                                    uint64_t *out, const uint64_t *a, const uint64_t *b,
                                    unsigned m, unsigned k, unsigned s, unsigned lout,
                                    int is_signed);

/* ------------------------------------------------------------------ */
/* Extension and truncation (SIRNN)                                     */
/* ------------------------------------------------------------------ */

/*
 * Costs of this section. All of these protocols evaluate one carry network
 * (arith/wnet.h) per chunk: the carries (wraps) they need are independent,
 * so they share every flight. Let C(v) be the bits of the carry of v low
 * bits: the v bits are cut into q = ceil(v/4) blocks of balanced widths
 * w_j (floor(v/q) or one more, the wider ones lowest), L = ceil(log2 q);
 * each block is one KK13 1-of-2^w_j OT (IKNP chosen OT when w_j = 1) of
 * b-bit messages, b = 1 for the lowest block and 2 for the others: 256 +
 * 2^w_j*b bits (128 + 2b when w_j = 1); the tree has L single AND nodes of
 * 148 bits and q - 1 - L pair nodes of 278 bits. CP(v), the carry and the
 * all-ones (propagate) bit of v bits, has b = 2 everywhere and q - 1 pair
 * nodes. C(8) = 708, C(12) = 1144, C(16) = 1710, C(20) = 2126 (the
 * millionaires' costs of sirnn_wrap); CP(20) = 2552. M2W = 260 (the
 * MSB-to-wrap OT). A B2A of a carry into w >= 2 bits costs 128 + w - 1
 * (w = 1 is free). Exact per-lane byte counts follow the rules of
 * arith.h's header and of sirnn_millionaire (chunks hold a multiple of 256
 * elements, so only a lane's last chunk rounds its OT columns).
 *
 * Flights: the leaf OTs take 2 (party 1's columns, party 0's messages),
 * each level of AND nodes 1, and the B2A of the carries 1 more (its
 * columns ride with the last level's flight): 3 + L_net, where L_net is
 * the network's depth.
 *
 * Every output may alias its input x. Inputs are l-bit (or m-bit) shares;
 * bits above the width are ignored; msb[] are boolean shares (0/1, else
 * SIRNN_ERR_ARG). Secrets: x, msb and all intermediate shares.
 */

/*
 * Zero extension: out = x mod 2^l for an m-bit x (1 <= m < l <= 64), i.e.
 * x0 + x1 - 2^m*wrap(x0, x1; m), the wrap from the network and B2A'd into
 * l - m bits. Bits: C(m) + [l - m >= 2](127 + l - m) (16->32: 1710 + 143 =
 * 1853; SCI 1888). Flights: 3 + ceil(log2 ceil(m/4)) (16->32: 5).
 */
SIRNN_API sirnn_status sirnn_zext(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                                  unsigned m, unsigned l);
/*
 * Signed extension: the m-bit two's-complement x as an l-bit value
 * (zext(x + 2^(m-1)) - 2^(m-1)). Same cost as sirnn_zext.
 */
SIRNN_API sirnn_status sirnn_sext(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                                  unsigned m, unsigned l);
/*
 * sirnn_zext / sirnn_sext when msb[n] holds boolean shares of bit m - 1 of
 * x: the wrap is one MSB-to-wrap OT. Bits: 260 + [l - m >= 2](127 + l - m)
 * (16->32: 403; SCI 404). Flights: 3.
 */
SIRNN_API sirnn_status sirnn_zext_msb(sirnn_party *party, size_t n, uint64_t *out,
                                      const uint64_t *x, const uint8_t *msb, unsigned m,
                                      unsigned l);
SIRNN_API sirnn_status sirnn_sext_msb(sirnn_party *party, size_t n, uint64_t *out,
                                      const uint64_t *x, const uint8_t *msb, unsigned m,
                                      unsigned l);

/*
 * Truncate-and-reduce TR(l, s), 0 <= s < l <= 64: out = floor(x / 2^s) as
 * an (l - s)-bit share (the top l - s bits of x) = (x0 >> s) + (x1 >> s) +
 * wrap(low s bits) mod 2^(l-s). Bits: C(s) + [l - s >= 2](127 + l - s)
 * ((32,12): 1144 + 147 = 1291, SCI 1308; (16,8): 708 + 135 = 843, SCI 860).
 * s = 0 is local. Flights: 3 + ceil(log2 ceil(s/4)).
 */
SIRNN_API sirnn_status sirnn_tr(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                                unsigned l, unsigned s);
/*
 * TR followed by extension: floor(x / 2^s) (x unsigned, is_signed = 0) or
 * floor(x_s / 2^s) (x read as l-bit two's complement, is_signed != 0) as an
 * lout-bit share, l - s <= lout <= 64, 0 <= s < l. This is the right shift
 * below computed directly mod 2^lout, in the same flights as TR: the wrap
 * of all l bits is B2A'd into lout - (l - s) bits. Bits: as sirnn_lrs with
 * the B2A widths lout and lout - l + s.
 */
SIRNN_API sirnn_status sirnn_tr_ext(sirnn_party *party, size_t n, uint64_t *out,
                                    const uint64_t *x, unsigned l, unsigned s, unsigned lout,
                                    int is_signed);
/*
 * sirnn_tr_ext (signed or not) that also gives sign[n], boolean shares of
 * bit l - 1 of x (the MSB of the (l - s)-bit result; its sign when signed),
 * for a following sirnn_matmul_clear_msb / sirnn_mult_msb / *_ext_msb.
 * One carry network: a prefix over the segments [0, s), [s, l - 1) and,
 * when lout > l - s (the wrap of all l bits is needed), the 1-bit top
 * block [l - 1, l); the sign is the carry at l - 1 XOR the shares' bits
 * l - 1 (boolean, no B2A). The segments here are cut into a power-of-two
 * count q of blocks, the largest q <= ceil(v / 4), of balanced widths (at
 * most 8 bits, the wider ones lowest; a w-bit block is one 1-of-2^w OT of
 * 256 + 2^w b bits), so the network is no deeper than sirnn_tr_ext's.
 * Per element: the leaves and nodes by the section's rules ([0, s) needs
 * only g; [s, l - 1) and the top bit also p; the two prefix nodes are
 * single), then the B2As: 127 + lout for the carry (s >= 1) and 127 +
 * lout - l + s for the wrap (when >= 2 bits). (44, 28, 32): [0, 28) 4
 * blocks of 7 (384 + 3*512 + 2*148 + 278), [28, 43) 4,4,4,3 (3*288 + 272 +
 * 3*278), 148, the top bit 132, 148, 159 + 143 = 5194 bits, 7 flights;
 * (33, 17, 16): 5,4,4,4 (288 + 3*288 + 2*148 + 278), [17, 32) 1970, 148,
 * 143 = 3987 bits, 6 flights. Flights: 3 + the depth (2 + depth without
 * B2A). l = 1 with lout = 1 is local. sign cannot alias x or out (other
 * types); out may alias x.
 */
SIRNN_API sirnn_status sirnn_tr_ext_sign(sirnn_party *party, size_t n, uint64_t *out,
                                         uint8_t *sign, const uint64_t *x, unsigned l,
                                         unsigned s, unsigned lout, int is_signed);
/*
 * Logical right shift in the same ring, 0 <= s <= l <= 64: out = x >> s =
 * (x0 >> s) + (x1 >> s) + c - 2^(l-s)*w mod 2^l with c = wrap(low s bits)
 * and w = wrap(x0, x1; l), both from one network (a prefix over the bits
 * [0, s) and [s, l)), c B2A'd into l bits and w into s bits.
 * Bits: C(s) + CP(l - s) + 148 + (127 + l) + [s >= 2](127 + s)
 * ((32,12): 1144 + 2552 + 148 + 159 + 139 = 4142; SCI 4196).
 * s = 0 is local, s = l gives 0 locally. Flights: 3 + the depth,
 * 1 + max(ceil(log2 ceil(s/4)), ceil(log2 ceil((l-s)/4))) ((32,12): 7;
 * SCI 13).
 */
SIRNN_API sirnn_status sirnn_lrs(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                                 unsigned l, unsigned s);
/*
 * Arithmetic right shift: out = floor(x_s / 2^s) mod 2^l, x_s the l-bit
 * two's-complement value of x: LRS(x + 2^(l-1)) - 2^(l-s-1). s = l gives
 * the same as s = l - 1 (0 or -1). Same cost as sirnn_lrs.
 */
SIRNN_API sirnn_status sirnn_ars(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                                 unsigned l, unsigned s);
/*
 * sirnn_lrs / sirnn_ars when msb[n] holds boolean shares of bit l - 1 of x:
 * w is one MSB-to-wrap OT in the leaves' flight. Bits: C(s) + 260 +
 * (127 + l) + [s >= 2](127 + s) ((32,12): 1144 + 260 + 159 + 139 = 1702;
 * SCI 1720). Flights: max(3 + ceil(log2 ceil(s/4)), 3).
 */
SIRNN_API sirnn_status sirnn_lrs_msb(sirnn_party *party, size_t n, uint64_t *out,
                                     const uint64_t *x, const uint8_t *msb, unsigned l,
                                     unsigned s);
SIRNN_API sirnn_status sirnn_ars_msb(sirnn_party *party, size_t n, uint64_t *out,
                                     const uint64_t *x, const uint8_t *msb, unsigned l,
                                     unsigned s);
/*
 * FAITHFUL (not exact) arithmetic right shift for an x whose sign is known
 * to both parties: sign = 0 promises every x >= 0 (as l-bit two's
 * complement), sign = 1 every x < 0. out is ARS(x, s) or ARS(x, s) - 1
 * (mod 2^l): the carry of the shares' low s bits is dropped, so the result
 * depends on the sharing and does NOT match the cleartext models
 * (sirnn_ref_*). Never use it where a result must equal the model (the
 * library's math functions and networks never do); it is for host
 * applications that accept one unit in the last place, as SPU-Cheetah's
 * truncation with known sign does. A wrong sign promise gives garbage
 * (off by 2^(l-s)), not an error: the protocol cannot check it.
 * The wrap of the shares is then a function of their MSBs (x >= 0: m0 OR
 * m1; x < 0: m0 AND m1), one COT mod 2^s of m0 m1 (arith/trunc_faithful.c).
 * 2 <= l <= 64, 0 <= s < l (s = 0 is local). out may alias x.
 * Bits: one 1-of-2 COT per element with an s-bit correction: 128 + s
 * (IKNP), 128 / ot_k + s (SoftSpoken: (32,12) 44 at ot_k = 4), or on the
 * silent backend about 1.45 + s (a silent COT and its choice bit;
 * faithful (32,12) on the silent backend: 13.5625, with one more flight
 * from the sender when it makes a tile of silent COTs). Flights: 2.
 */
SIRNN_API sirnn_status sirnn_ars_faithful(sirnn_party *party, size_t n, uint64_t *out,
                                          const uint64_t *x, unsigned l, unsigned s,
                                          unsigned sign);
/*
 * Division by 2^s rounding toward zero of an l-bit two's-complement x,
 * 0 <= s <= l <= 64: out = ARS(x, s) + msb(x) AND (x mod 2^s != 0), mod
 * 2^l (s = 0: x; s = l: 0, both local). msb(x) comes from the same network
 * as the shift (a prefix at l - 1 bits); x mod 2^s == 0 is the propagate
 * bit of the low s bits of (x0 - 1, x1); the AND is one more node, B2A'd
 * into l bits. Bits ((32,12)): C(12) + CP(19) + 148 + 132 (the 1-bit top
 * block) + 148 + 1112 (the zero test: 3 one-bit leaves of 272 and 2 singles)
 * + 148 (the AND) + 159 + 139 + 159 = 5825 (SCI 5864); sirnn_divpow2_msb,
 * with the MSB given: C(12) + 260 + 1112 + 148 + 457 = 3121.
 * Flights ((32,12)): 8 (sirnn_divpow2_msb: 6).
 */
SIRNN_API sirnn_status sirnn_divpow2(sirnn_party *party, size_t n, uint64_t *out,
                                     const uint64_t *x, unsigned l, unsigned s);
SIRNN_API sirnn_status sirnn_divpow2_msb(sirnn_party *party, size_t n, uint64_t *out,
                                         const uint64_t *x, const uint8_t *msb, unsigned l,
                                         unsigned s);

/* ------------------------------------------------------------------ */
/* Lookup tables (SIRNN)                                                */
/* ------------------------------------------------------------------ */

/*
 * Per-element tables for sirnn_lut_cb, on the server: fill tables[i*2^m + v]
 * (i < count <= 64) with entry v of the table of element first + i (low l
 * bits used). Called from the lanes' threads, possibly concurrently for
 * disjoint ranges, each range once per call; it must not call the library.
 */
typedef void (*sirnn_lut_fill_fn)(void *ctx, size_t first, size_t count, uint64_t *tables);

/*
 * Lookup: out[i] = shares mod 2^l of T[idx_i], idx an m-bit shared index
 * (1 <= m <= 8, 1 <= l <= 64). table[2^m] (table_len must be 2^m) is
 * party 0's table for the whole batch (its secret, or public); party 1
 * passes NULL (or the same public table, which it ignores). One KK13
 * 1-of-2^m OT of l-bit messages per element: party 1 chooses with its index
 * share, party 0 sends T[(i0 + v) mod 2^m] - r for every v (r its fresh
 * output share from its PRG), rotating the table by i0 in constant time.
 * Bits: 256 + 2^m * l (m = 8, l = 16: 4352; SCI 4352); per lane 32 *
 * round128(n_L) + ceil(n_L * 2^m * l / 8) bytes (groups of 262,144-element
 * windows, as many as the session's memory cap holds: see above).
 * Flights: 2 for any n up to a group (2^21 elements per lane at the
 * default 64 MiB), then 2 per group. Memory: O(64 * 2^m) words per lane
 * beyond the OT buffers of a group (32 bytes per OT on party 0, 9 on
 * party 1).
 * out may alias idx. Secrets: idx, the table (party 0's), out.
 */
SIRNN_API sirnn_status sirnn_lut(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *idx,
                                 const uint64_t *table, size_t table_len, unsigned m, unsigned l);
/*
 * The same with one table per element, produced by party 0's fill callback
 * at most 64 elements at a time (party 1 passes fill NULL; ctx is passed to
 * fill). Same cost as sirnn_lut.
 */
SIRNN_API sirnn_status sirnn_lut_cb(sirnn_party *party, size_t n, uint64_t *out,
                                    const uint64_t *idx, sirnn_lut_fill_fn fill, void *ctx,
                                    unsigned m, unsigned l);
/*
 * Several tables at one index: out[t*n + i] (table-major, ntab*n entries) =
 * shares mod 2^(widths[t]) of T_t[idx_i], idx an m-bit shared index
 * (1 <= m <= 8), 1 <= ntab <= 64 tables, each widths[t] in 1..64 (a public
 * array of ntab widths, the same on both parties). tables[t*2^m + v]
 * (tables_len must be ntab*2^m) is entry v of table t, party 0's for the
 * whole batch (low widths[t] bits used); party 1 passes NULL (or the same
 * tables, which it ignores). Exactly sirnn_lut on each table, but the tables
 * share their OTs: they are cut in order into groups whose widths sum to at
 * most 64 bits, and each group costs one KK13 1-of-2^m OT per element whose
 * message is the concatenation of the group's entries (each field minus its
 * own fresh share, mod its width). Width 1 gives boolean (XOR) shares.
 * Bits: g*256 + 2^m * sum(widths), g the number of groups (1 when the widths
 * sum to at most 64; m = 8, widths 23 and 9: 8448 instead of 2*256 + 2^8 *
 * 32 = 8704 for two sirnn_lut calls). Exact per lane: groups of k_c
 * elements (as sirnn_lut's), each 32*round128(g*k)
 * bytes of columns plus ceil(k*2^m*l_j/8) bytes of messages for every group
 * j of l_j bits. Flights: 2. Memory: O(64 * 2^m * g) words per lane. out
 * may be idx itself (table 0 overwrites idx) but must not overlap it
 * otherwise. Secrets: idx, the tables (party 0's), out.
 */
SIRNN_API sirnn_status sirnn_lut_multi(sirnn_party *party, size_t n, uint64_t *out,
                                       const uint64_t *idx, const uint64_t *tables,
                                       size_t tables_len, unsigned ntab, unsigned m,
                                       const unsigned *widths);
/*
 * sirnn_lut_multi with per-element tables from party 0's fill callback: at
 * most 64 elements at a time, fill writes tables[(i*ntab + t)*2^m + v], entry
 * v of table t of element first + i (party 1 passes fill NULL). With ntab = 1
 * this is sirnn_lut_cb. Same cost as sirnn_lut_multi.
 */
SIRNN_API sirnn_status sirnn_lut_multi_cb(sirnn_party *party, size_t n, uint64_t *out,
                                          const uint64_t *idx, sirnn_lut_fill_fn fill,
                                          void *ctx, unsigned ntab, unsigned m,
                                          const unsigned *widths);

/* ------------------------------------------------------------------ */
/* Digit decomposition (SIRNN)                                          */
/* ------------------------------------------------------------------ */

/*
 * Digit decomposition of an l-bit shared x into c = ceil(l/d) digits of d
 * bits, 1 <= l <= 64, 1 <= d <= 64: digit j (0 = lowest) is bits
 * [j*d, j*d + w_j) of x, w_j = min(d, l - j*d) (all d but possibly the top
 * one), exactly sirnn_ref_digit(x, l, d, j). out[j*n + i] (digit-major,
 * c*n entries) gets arithmetic shares of digit j of x[i] mod 2^(w_j), upper
 * bits cleared. out may be x itself (digit 0 overwrites x) but must not
 * overlap x otherwise. Secrets: x and out. d >= l (c = 1) is local.
 *
 * Protocol: digit j = x0_j + x1_j + carry_j mod 2^(w_j), carry_j the carry
 * out of the low j*d bits; one carry network (the costs of "Extension and
 * truncation" above): a segment per digit j < c - 1, a Sklansky prefix
 * across the c - 1 segments (log-depth), each carry B2A'd into w_j bits.
 * With two digits (c = 2) the one segment needs only its carry and is cut
 * into the fewest blocks of at most 8 bits (one leaf for d <= 8: no AND
 * level, C(8) = 256 + 256 = 512 instead of 708; party 0 hashes 256 pads
 * instead of 2 x 16); with more digits the segments keep blocks of at most
 * 4 bits (the middle ones need their propagate bits, which a wide leaf
 * carries at twice the payload: more bits under SoftSpokenOT).
 * Bits: C(d) (the lowest segment) + (c - 2)*CP(d) (the others, whose
 * propagate bits the prefix needs) + 148*(c - 2) (the prefix nodes over the
 * lowest segment, single triples) + 278*(S(c - 1) - (c - 2)) (the other
 * prefix nodes, pairs) + sum over j >= 1 with w_j >= 2 of (127 + w_j),
 * where S(1) = 0 and S(k) = S(h) + S(k - h) + (k - h), h the largest power
 * of two below k (Sklansky's node count). (32,8): 708 + 2*854 + 296 + 0 +
 * 3*135 = 3117 (SCI 3568); (16,8): 512 + 135 = 647. Exact per lane and
 * chunk: the carry-network rules of the section above.
 * Flights: 3 + ceil(log2 ceil(d/4)) + ceil(log2(c - 1)) ((32,8): 6; with
 * c = 2, 3 + ceil(log2 ceil(d/8)): (16,8) 3, the last one party 1's, so a
 * following call whose first flight is party 1's, such as sirnn_lut,
 * rides in it), minus
 * 1 when every w_j (j >= 1) is 1 (no B2A flight); c = 1: 0.
 */
SIRNN_API sirnn_status sirnn_digdec(sirnn_party *party, size_t n, uint64_t *out,
                                    const uint64_t *x, unsigned l, unsigned d);

/* ------------------------------------------------------------------ */
/* Most significant non-zero bit (SIRNN)                                */
/* ------------------------------------------------------------------ */

/*
 * MSNZB of an l-bit shared x (unsigned), 1 <= l <= 64, digits of
 * 1 <= d <= 8 bits (d > l acts as d = l), index ring 1 <= li <= 64:
 *   onehot[b*n + i] (bit-major, l*n bytes): boolean shares of
 *     1{b == msnzb(x_i)}, exactly bit b of sirnn_ref_msnzb_onehot;
 *   index[i]: arithmetic shares mod 2^li of sirnn_ref_msnzb(x_i, l).
 * x = 0 gives an all-zero one-hot vector and index 0 (as x = 1 does; the
 * one-hot vector tells them apart: its XOR is 1{x != 0}). Either output may
 * be NULL (not both; both parties alike); neither may overlap x. Secrets:
 * x and the outputs; l, d, li are public.
 *
 * Protocol: sirnn_digdec(l, d) into c = ceil(l/d) digits of w_j bits; one
 * KK13 1-of-2^(w_j) OT per digit, an XOR-masked lookup of (msnzb within
 * the digit, bd = ceil(log2 d) bits; the digit-is-zero bit, or 1{digit ==
 * 1} for digit 0); suffix ANDs s_j of the zero bits (a Sklansky scan,
 * sirnn_and); the ANDs of s_j with the bd index bits of digits j < c - 1
 * and with digit 0's 1{digit == 1}, all in one sirnn_and call; then one
 * lookup indexed by the XOR-shared code (highest non-zero digit, msnzb
 * within it) of mc = bd + ceil(log2 c) bits gives the one-hot vector and
 * the index. Every mask is fresh PRG output.
 *
 * Bits (one lane, large n): digdec(l, d) + sum over digits of (256 +
 * 2^(w_j)*(bd + 1)) + 144*(S(c - 1) + [c >= 2]((c - 1)*bd + 1)) + the last
 * lookup: 256 + 2^mc*(l + li) when both outputs are wanted and l + li <=
 * 64, else 256 + 2^mc*l for the one-hot vector and 256 + 2^mc*li for the
 * index, each when wanted (0 when mc = 0, i.e. l = 1). S() as in
 * sirnn_digdec. (32,8): li = 32: 3117 + 5120 + 1728 + 2304 = 12269, li = 6:
 * 11437 (SCI 13328); (16,8), li = 16: 647 + 2560 + 576 + 768 = 4551 (SCI
 * 5552). Exact per lane: the sum of the parts' counts, on blocks of
 * 65,536*lanes elements (a window per lane): sirnn_digdec on the block;
 * the digit lookups, 32*round128(c*k') bytes of columns and
 * ceil(k'*2^(w_j)*(bd + 1)/8) bytes per digit for the lane's k' elements;
 * sirnn_and on S-level and vector counts of the block; the last lookup,
 * 32*round128(k') plus its packed entries.
 * Flights: those of one block per block, so they do not grow up to 65,536
 * elements per lane (a 2^20 batch on one lane: 16 blocks, 192 flights at
 * (32,8)). Memory: O(65,536 * c) per lane whatever n is (about 450 bytes
 * per element of a block at (32,8), both parties, mostly sirnn_digdec's
 * window and the digit lookups' OT rows: a lane's 2^20 elements in one
 * set of flights would hold hundreds of MB).
 * Flights per block: digdec's + 2 + ceil(log2(c - 1)) + [c >= 2] + 2
 * per last lookup, less the flights that ride in the one before: each AND
 * step is taken by the party that sent the flight before it (party 0
 * after the digit lookups, then alternating), so its columns ride there
 * and it adds one flight; after an odd number of AND steps the last
 * lookup's columns ride in the last answers ((32,8): 12, (16,8): 6; SCI
 * 27).
 */
SIRNN_API sirnn_status sirnn_msnzb(sirnn_party *party, size_t n, uint8_t *onehot,
                                   uint64_t *index, const uint64_t *x, unsigned l, unsigned d,
                                   unsigned li);

#ifdef __cplusplus
}
#endif

#endif /* SIRNN_ARITH_H */
