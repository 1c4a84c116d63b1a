/*
 * Internal entry points shared by the mixed-bitwidth protocols of arith/
 * (extension, truncation, shifts, division by 2^s).
 */
#ifndef SIRNN_ARITH_MIXED_H
#define SIRNN_ARITH_MIXED_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/status.h"
#include "net/party_internal.h"

/*
 * The common shift: with x an l-bit share (and, if msb is not NULL, boolean
 * shares of bit l-1 of x), out gets shares mod 2^lout of
 *   unsigned: floor(x / 2^s),
 *   signed:   floor(x_s / 2^s) (x_s = x read as two's complement),
 *   div:      x_s / 2^s rounded toward zero (signed only),
 * for 0 <= s < l <= 64, 1 <= lout <= 64 (s = 0 with lout > l is an
 * extension). Arguments are not checked here.
 */
sirnn_status sirnn_shift_run(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                             const uint8_t *msb, unsigned l, unsigned s, unsigned lout,
                             int is_signed, int div);
/* The same, also giving sign[n] = boolean shares of bit l - 1 of x (the
 * MSB of the (l - s)-bit result) from the same network: a prefix at l - 1
 * bits. Not with msb or div. */
sirnn_status sirnn_shift_run_sign(sirnn_party *party, size_t n, uint64_t *out, uint8_t *sign,
                                  const uint64_t *x, const uint8_t *msb, unsigned l, unsigned s,
                                  unsigned lout, int is_signed, int div);

struct sirnn_wn_plan;
/*
 * Bits [off, off + len) of input src (len >= 1) of a carry network
 * (arith/wnet.h) as the fewest blocks of at most 8 bits: a power-of-two
 * count q >= len / 8 of balanced widths, the wider ones lowest, under a
 * balanced tree (depth log2 q: none up to 8 bits, one level up to 16).
 * Returns its root.
 */
unsigned sirnn_wn_lean_segment(struct sirnn_wn_plan *p, unsigned src, unsigned off,
                               unsigned len);

/*
 * Truncation with the fewest flights, for the math functions: floor(x / 2^s)
 * (x_s / 2^s for signed x, as sirnn_tr_ext) mod 2^lout, lout >= l - s, from
 * a carry network whose segments are cut into the fewest blocks of at most
 * 8 bits (sirnn_wn_lean_segment): s <= 8 is one 1-of-2^s OT per element
 * and no AND level (3 flights, the last one party 1's, so that a following
 * step's first flight from party 1 rides in it), s <= 16 one level (4).
 * Bits: the leaves 256 + 2^w b (b = 1 for the lowest block, 2 above), 148
 * per single node, 278 per pair, the B2As as sirnn_tr_ext. For s <= 8 this
 * is also fewer bits than sirnn_tr (TR(23, 7): 384 + 143 = 527 against
 * 835); party 0 hashes 2^w pads per leaf instead of 16. Arguments are not
 * checked here.
 */
sirnn_status sirnn_tr_lean(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                           unsigned l, unsigned s, unsigned lout, int is_signed);

/*
 * The shift engine (sirnn_shift_run: floor(x / 2^s), signed or not, mod
 * 2^lout, msb the shares of x's MSB or NULL) with the lean segments of
 * sirnn_tr_lean, and extra outputs of the same carry network, in the same
 * flights (ex may be NULL):
 *   carry: if not NULL (s >= 1), boolean shares of the carry out of the
 *     low s bits of x (the wrap of x mod 2^s, e.g. of a value's low digit
 *     that a following product reads);
 *   y: if not NULL, another value of ly bits (1..64) whose wrap ywrap gets
 *     as boolean shares: wrap(y0 + yoff mod 2^ly, y1; ly), yoff a public
 *     offset party 0 adds first (a signed product's 2^(ly-1)). Its segment
 *     is a separate leaf tree (lean), no deeper than 1 level up to 16 bits.
 * Bits: those of the network's leaves and nodes (arith.h's rules) and the
 * B2As of the shift. Arguments are not checked here.
 */
typedef struct sirnn_lean_extra {
    uint8_t *carry;
    const uint64_t *y;
    unsigned ly;
    uint64_t yoff;
    uint8_t *ywrap;
} sirnn_lean_extra;
sirnn_status sirnn_shift_lean(sirnn_party *party, size_t n, uint64_t *out, const uint64_t *x,
                              const uint8_t *msb, unsigned l, unsigned s, unsigned lout,
                              int is_signed, const sirnn_lean_extra *ex);

#endif /* SIRNN_ARITH_MIXED_H */
