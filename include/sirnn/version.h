/*
 * libsirnn version numbers: the library's release and the wire protocol
 * version that the handshake checks. Included by the umbrella sirnn.h; code
 * that needs only these includes this header alone.
 */
#ifndef SIRNN_VERSION_H
#define SIRNN_VERSION_H

#include <stddef.h>

#include "sirnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SIRNN_VERSION_MAJOR 0
#define SIRNN_VERSION_MINOR 1
#define SIRNN_VERSION_PATCH 0
/* Wire protocol version, checked in the handshake (3: SoftSpokenOT and
 * KK13 with the doubled RM(1,7) code; 4: KK13's hash ends in TCCR, every
 * hash tweak carries its engine's domain, flights stream per window, TLS
 * and session limits in the handshake; 5: the silent-OT backend in the
 * handshake, graph models run level by level, in pieces that fit the
 * server's session memory, the FastGRNN step's gate product is
 * sirnn_mult_lean with the server choosing, digit decomposition and the
 * math functions' truncations cut carries into the fewest leaves of <= 8
 * bits, lookups hand out their outputs' wraps and share flights; 6: the
 * carry networks, MUX and B2A stream a lane's windows level by level, each
 * flight carrying its part of every window of a group; the FastGRNN public
 * description carries the gates' format, its pre-activation truncation rides
 * in the sigmoid's digit decomposition (sirnn_trdig2) and its argmax compares
 * all pairs at once; graph models fuse truncations, run lean products and read
 * MSB shares from truncations, nn/graph.h; on the silent backend the
 * protocols' 1-of-N OTs (carry networks, MSB-to-wrap) come from log N silent
 * COTs and the products' COTs are silent, with the sender's tiles held until
 * its messages; 7: on the silent backend the lookups' 1-of-2^m OTs come
 * from m silent COTs each, with wide keys when the messages are wider than
 * 128 >> m bits; graph descriptions are model file version 2, with
 * per-tensor widths: 8-bit tensors sign-extended, once per level, for the
 * wider nodes that read them, and read at their width by DENSE and CONV;
 * MSNZB's AND steps alternate their chooser so that each rides in the
 * flight before it, and rsqrt takes y = A - TR(B XN) as one truncation
 * whose output needs no wrap in the last product; div_norm looks M up on
 * MSNZB's code; lookups stream groups of windows; the FastGRNN description
 * carries the state fold (sirnn_fastgrnn_set_state_fold) and its gates'
 * sigmoid product rides beside the lookups, sirnn_mult_lean_wrap; 8: the
 * products (sirnn_mult and its forms, sirnn_mult_lean) stream a lane's
 * windows in groups, each flight carrying its part of every window of a
 * group; MSNZB takes up to 8,192 elements a lane through each set of
 * flights, not 4,096; the whole OT calls of ot.h stream their chunks in
 * groups, which on the silent backend puts a group's tiles before all of
 * its corrections and packs the silent 1-of-N's correction bits per
 * group; exp's chain looks up and multiplies its low digits' factors at
 * their own widths and rounds by one shift; sigmoid's and tanh's poly path
 * in the narrowest ring, A looked up shifted (fewer fraction bits: new
 * values); the products by clear weights send a group's windows'
 * columns, then every window's corrections; with the state fold the
 * gates' sigmoid looks its coefficients up on the raw digits and boolean
 * carries of the pre-activations, and its rounding rides in the gate
 * products (sirnn_sigmoid_pair_gates): 8 flights a step, not 12). */
#define SIRNN_PROTOCOL_VERSION 8

/* "0.1.0" */
SIRNN_API const char *sirnn_version(void);
/* The SIMD level the kernels use: "portable", "aesni", "avx2" or "avx512"
 * (the machine's best, capped by the environment variable SIRNN_ISA). */
SIRNN_API const char *sirnn_isa_name(void);
/* Which implementation each kernel family uses at that level (the level's
 * dispatch table, after SIRNN_CPU_MASK=novaes,nogfni,novbmi,... has hidden
 * features): sirnn_kernel_family(i) names family i ("aes" for AES and the
 * fixed-key hashes, "transpose", "lutrot", "kkpack" for KK13's pack and
 * select, "otchain" for SoftSpoken's leaf sums, "lpn" for the silent OT's
 * LPN encoding), NULL past the last;
 * sirnn_kernel_path(family) gives its path ("evp", "aesni", "vaes256",
 * "vaes512"; "portable", "sse2", "avx2", "avx512", "avx512-gfni"), NULL for
 * an unknown family. */
SIRNN_API const char *sirnn_kernel_family(size_t i);
SIRNN_API const char *sirnn_kernel_path(const char *family);

#ifdef __cplusplus
}
#endif

#endif /* SIRNN_VERSION_H */
