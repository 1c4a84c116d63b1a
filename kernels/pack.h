/*
 * Dense packing of l-bit values (1 <= l <= 64): the wire format of every
 * l-bit message. Value i occupies stream bits [i*l, (i+1)*l), LSB first;
 * stream bit k is bit (k % 8) of byte k / 8. The last byte is zero-padded.
 *
 * The values may be secret: the code branches only on n and l. Outputs must
 * not overlap inputs. n = 0 is allowed (nothing is read or written).
 */
#ifndef SIRNN_KERNELS_PACK_H
#define SIRNN_KERNELS_PACK_H

#include <stddef.h>
#include <stdint.h>

/* Bytes needed for n values of l bits: ceil(n * l / 8) (no overflow of
 * n * l unless the result itself overflows). */
size_t sirnn_pack_size(size_t n, unsigned l);
/* Pack the low l bits of in[0..n) into out (exactly sirnn_pack_size(n, l)
 * bytes are written, padding bits zero); bits of in[i] above l are ignored. */
void sirnn_pack(uint8_t *out, const uint64_t *in, size_t n, unsigned l);
/* Inverse of sirnn_pack: reads exactly sirnn_pack_size(n, l) bytes; out[i]
 * has its bits above l cleared. Padding bits of the input are ignored. */
void sirnn_unpack(uint64_t *out, const uint8_t *in, size_t n, unsigned l);
/* Bits (one per uint8_t; only bit 0 is used) to a packed bit stream of
 * ceil(n / 8) bytes with zero padding, and back (each output 0 or 1). */
void sirnn_pack_bits(uint8_t *out, const uint8_t *bits, size_t n);
void sirnn_unpack_bits(uint8_t *bits, const uint8_t *in, size_t n);

#endif /* SIRNN_KERNELS_PACK_H */
