/*
 * libsirnn oblivious transfer.
 *
 * Every lane of a party runs an OT-extension engine in each direction, so
 * either party can be the sender. A call is made by both parties at the same
 * point: the sender calls the *_send function and the receiver the matching
 * *_recv function, with the same n and parameters. Batches are split over
 * the lanes; results, and the bits sent, do not depend on the thread count
 * (each lane rounds its share of the batch up to a multiple of 128 for the
 * extension matrix, nothing more).
 *
 * Protocols:
 *   - base OT: Chou-Orlandi, "The Simplest Protocol for Oblivious Transfer"
 *     (eprint 2015/267) over P-256 (OpenSSL), with the transcript hashed into
 *     each key; 128 OTs per lane and direction, run by sirnn_ot_setup;
 *   - IKNP OT extension (Crypto 2003) with the random / correlated /
 *     chosen-message variants of Asharov et al. (CCS 2013), by default in
 *     its SoftSpokenOT form (Roy, Crypto 2022; block size ot_k of
 *     sirnn_config: 128/k bits per OT from the receiver instead of 128);
 *   - 1-of-N OT: Kolesnikov-Kumaresan (Crypto 2013) with a 256-bit code
 *     (first-order Reed-Muller RM(1,7), every column doubled: distance 128,
 *     and SoftSpoken with k = 2 sends 128 bits per OT); its 256 base OTs
 *     per lane and direction are random OTs, also made by sirnn_ot_setup;
 *   - with backend SIRNN_OT_SILENT, the random / correlated / chosen-message
 *     1-of-2 calls and the pool run on Ferret silent COTs (ot/silent.h)
 *     instead of extension rows: about 0.45 bits per COT (amortised over
 *     Ferret's 10,001,981 COTs per iteration, plus a one-time bootstrap of
 *     47,744 SoftSpoken OTs and 649,728 COTs per lane and direction), plus
 *     one choice-correction bit per OT from the receiver except for the
 *     random OT; the 128 below becomes that, the rest is unchanged. A call
 *     that makes new tiles of silent COTs (every 131,072 COTs or fewer)
 *     adds one flight from the sender (sent before it waits for the
 *     corrections: one per group, below), and a call crossing into a new
 *     Ferret iteration one flight per party. 1-of-N OTs (2 <= N <= 256)
 *     then come from log N of its random COTs (ot/nco.h: b + 0.42 b + N*l
 *     bits with b = ceil(log2 N), two flights per group);
 *   - hashing with the fixed-key tweakable correlation-robust hash of Guo,
 *     Katz, Wang and Yu (S&P 2020), tweak = the OT's index in its engine.
 * Semi-honest security, λ = 128.
 *
 * Conventions: 128-bit messages are 16 bytes each (any alignment); choice
 * bits are one byte each and must be 0 or 1; l-bit values live in the low l
 * bits of a uint64_t (bits above l are ignored on input and zero on output).
 * Bits below are both directions per element, for n a multiple of 128 per
 * lane (otherwise each lane's count is rounded up to 128 for the 128-bit
 * term only). Inputs are secret unless stated; outputs are secret. Outputs
 * must not overlap inputs unless a function says so.
 *
 * Flights do not grow with n: every chunk of a lane's share goes in the
 * flights given below, the receiver's chunks in one flight and the
 * sender's answers in the next, as long as what the sender holds between
 * them fits the lane's stream budget (the smaller party's
 * session_mem_bytes / threads; per OT: the smaller of its corrections and
 * the receiver's 128 / k bits, 16 bytes on silent COTs, 2l bits for the
 * pool, 16 (b + 1) bytes for the silent 1-of-N): at the default 64 MiB
 * and one lane, 2^20 OTs of every call, except the silent 1-of-N with
 * N > 8 (2^22 / (b + 1) OTs a group). A larger share runs in groups, each
 * taking the flights below.
 *
 * Errors: SIRNN_ERR_ARG (l outside 1..64, N outside 2..256, NULL with
 * n > 0, a choice outside its range) before anything is sent, the session stays usable;
 * SIRNN_ERR_STATE after an earlier I/O failure; an I/O failure during the
 * call marks the party broken. n = 0 does nothing and sends nothing.
 */
#ifndef SIRNN_OT_H
#define SIRNN_OT_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/party.h"
#include "sirnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Run the base OTs and set up the OT engines on every lane in both
 * directions. Idempotent; both parties call it at the same point. Every OT
 * call below runs it first if it has not run. Cost per lane and party:
 * 33 + 128 * 33 bytes of base OT plus 256 * 16 bytes of random OTs for KK13;
 * three flights per party, the two parties' flights simultaneous.
 */
SIRNN_API sirnn_status sirnn_ot_setup(sirnn_party *party);

/*
 * Random OT with 128-bit messages. The sender gets m0, m1 (16*n bytes each);
 * the receiver gets random choice bits choices[n] and mc = m_choice
 * (16*n bytes). 128 bits, one flight (receiver to sender).
 */
SIRNN_API sirnn_status sirnn_rot_send(sirnn_party *party, size_t n, uint8_t *m0, uint8_t *m1);
SIRNN_API sirnn_status sirnn_rot_recv(sirnn_party *party, size_t n, uint8_t *choices,
                                      uint8_t *mc);

/*
 * Correlated OT with a global 128-bit XOR correlation Delta: the sender gets
 * m0 (16*n bytes; m1 = m0 ^ Delta) and Delta (16 bytes, the same for every
 * call and lane of this party as sender; it may be NULL; with n = 0 before
 * any setup it is unknown and the call returns SIRNN_ERR_STATE); the receiver
 * chooses choices[n] and gets mc = m0 ^ choice * Delta. The outputs are raw
 * correlated strings: hash them before using them as independent keys.
 * 128 bits, one flight.
 */
SIRNN_API sirnn_status sirnn_cot_delta_send(sirnn_party *party, size_t n, uint8_t *m0,
                                            uint8_t *delta);
SIRNN_API sirnn_status sirnn_cot_delta_recv(sirnn_party *party, size_t n, uint8_t *mc,
                                            const uint8_t *choices);

/*
 * Correlated OT with additive correlations mod 2^l (1 <= l <= 64): the
 * sender gives corr[n] and gets random m0[n], its messages being m0 and
 * m0 + corr mod 2^l; the receiver chooses choices[n] and gets
 * mc = m0 + choice * corr mod 2^l. m0 may be the same array as corr.
 * 128 + l bits (exactly ceil(n*l/8) bytes of corrections), two flights.
 */
SIRNN_API sirnn_status sirnn_cot_send(sirnn_party *party, size_t n, uint64_t *m0,
                                      const uint64_t *corr, unsigned l);
SIRNN_API sirnn_status sirnn_cot_recv(sirnn_party *party, size_t n, uint64_t *mc,
                                      const uint8_t *choices, unsigned l);

/*
 * Chosen-message 1-of-2 OT of l-bit messages (1 <= l <= 64): the sender
 * gives m0[n], m1[n]; the receiver chooses choices[n] and gets mc[n].
 * 128 + 2l bits, two flights.
 */
SIRNN_API sirnn_status sirnn_ot_send(sirnn_party *party, size_t n, const uint64_t *m0,
                                     const uint64_t *m1, unsigned l);
SIRNN_API sirnn_status sirnn_ot_recv(sirnn_party *party, size_t n, uint64_t *mc,
                                     const uint8_t *choices, unsigned l);

/* The same with 128-bit messages (16 bytes each): 384 bits, two flights. */
SIRNN_API sirnn_status sirnn_ot128_send(sirnn_party *party, size_t n, const uint8_t *m0,
                                        const uint8_t *m1);
SIRNN_API sirnn_status sirnn_ot128_recv(sirnn_party *party, size_t n, uint8_t *mc,
                                        const uint8_t *choices);

/*
 * 1-out-of-N OT of l-bit messages (2 <= N <= 256, 1 <= l <= 64), KK13. The
 * sender gives msgs[i*N + v], message v of OT i (n*N values); the receiver
 * chooses choices[i] < N and gets mc[i] = msgs[i*N + choices[i]] mod 2^l.
 * 2λ + N*l bits (256 + N*l; exactly ceil(n*N*l/8) bytes of messages), two
 * flights. 1-of-256 with l = 8: 2304 bits; 1-of-16 with l = 2: 288 bits.
 */
SIRNN_API sirnn_status sirnn_kkot_send(sirnn_party *party, size_t n, const uint64_t *msgs,
                                       unsigned N, unsigned l);
SIRNN_API sirnn_status sirnn_kkot_recv(sirnn_party *party, size_t n, uint64_t *mc,
                                       const uint8_t *choices, unsigned N, unsigned l);

/*
 * Chosen 1-of-2 OT of l-bit messages through the lane's random-OT pool
 * (config ot_pool_size random OTs made ahead per lane and direction,
 * derandomised with one choice-correction message): the same results as
 * sirnn_ot_send / sirnn_ot_recv. Online 1 + 2l bits in two flights, with
 * no rounding of n; each time the pool runs dry it refills all of itself
 * (16 bytes per entry from the receiver, one flight nobody waits on).
 */
SIRNN_API sirnn_status sirnn_pool_ot_send(sirnn_party *party, size_t n, const uint64_t *m0,
                                          const uint64_t *m1, unsigned l);
SIRNN_API sirnn_status sirnn_pool_ot_recv(sirnn_party *party, size_t n, uint64_t *mc,
                                          const uint8_t *choices, unsigned l);

#ifdef __cplusplus
}
#endif

#endif /* SIRNN_OT_H */
