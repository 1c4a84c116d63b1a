/*
 * libsirnn math functions on secret-shared fixed-point values: exp,
 * sigmoid, tanh, reciprocal, division and reciprocal square root.
 *
 * Each function takes an input format and an output format
 * (sirnn_fixfmt, fixed.h); x and y are arithmetic shares of the integers
 * of those formats. The secure result equals, bit for bit, the cleartext
 * model of the same algorithm (sirnn_ref_* in this header), and the error
 * of that model against the true function is stated below in output ULPs
 * (one ULP = 2^-scale_out) for each documented format, over a stated input
 * domain; the tests assert these bounds over every 16-bit input.
 *
 * Calling contract: as in party.h. A format that cannot hold the result
 * gives SIRNN_ERR_ARG (with a message in sirnn_party_last_error) before
 * anything is sent; it never gives silent garbage.
 */
#ifndef SIRNN_MATH_H
#define SIRNN_MATH_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/fixed.h"
#include "sirnn/party.h"
#include "sirnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif /* SIRNN_MATH_H */
