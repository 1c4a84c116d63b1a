/*
 * Base oblivious transfer: Chou-Orlandi, "The Simplest Protocol for
 * Oblivious Transfer" (LATINCRYPT 2015, eprint 2015/267), over NIST P-256
 * with OpenSSL's EC_POINT arithmetic. Semi-honest security.
 *
 *   sender:   a random, A = a*G                          -> A
 *   receiver: b_i random, B_i = b_i*G + c_i*A            -> B_i
 *   keys:     receiver k_i = H(A, B_i, b_i*A, i);
 *             sender   k0_i = H(A, B_i, a*B_i, i), k1_i = H(A, B_i, a*(B_i - A), i)
 *
 * H is SHA-256 over a domain tag and the transcript (A and B_i are hashed in,
 * the usual fix that binds each key to its own exchange), truncated to 128
 * bits. The receiver computes both b_i*G and b_i*G + A and picks the
 * encoding by a mask, so nothing branches on c_i; scalar multiplications use
 * OpenSSL's constant-time ladder (scalars are flagged BN_FLG_CONSTTIME).
 *
 * Cost per direction: 33 bytes (A) + 33 bytes per OT, two flights.
 */
#ifndef SIRNN_OT_BASE_OT_H
#define SIRNN_OT_BASE_OT_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"
#include "kernels/block.h"
#include "kernels/prg.h"
#include "net/channel.h"

/* Bytes of one compressed P-256 point on the wire. */
#define SIRNN_BASE_OT_POINT_BYTES 33

/*
 * Run n base OTs in each direction at once (both parties call this with the
 * same n; the exchange is symmetric, two flights per party):
 *   - as sender this party gets send_keys[2*i] (message 0) and
 *     send_keys[2*i + 1] (message 1);
 *   - as receiver, with choice bits recv_choices[i] (0 or 1, secret), it gets
 *     recv_keys[i] = the peer's message recv_choices[i].
 * Randomness (scalars) comes from prg. All outputs are secret. Returns
 * SIRNN_ERR_CRYPTO on an OpenSSL failure or a malformed peer point, and the
 * channel's error on I/O failure.
 */
sirnn_status sirnn_base_ot_dual(sirnn_channel *ch, sirnn_prg *prg, sirnn_block *send_keys,
                                sirnn_block *recv_keys, const uint8_t *recv_choices,
                                size_t n);

#endif /* SIRNN_OT_BASE_OT_H */
