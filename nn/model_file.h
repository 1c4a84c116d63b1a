/*
 * The FastGRNN model file (format in include/sirnn/nn.h). Internal: the
 * layout constants, shared with the tests.
 */
#ifndef SIRNN_NN_MODEL_FILE_H
#define SIRNN_NN_MODEL_FILE_H

#include "sirnn/nn.h"

#define SIRNN_MODEL_MAGIC "SIRNNFG" /* 8 bytes with the NUL */
#define SIRNN_MODEL_HEADER_BYTES (8 + 4 + 4 + 6 * 4 + 2 * 4 + 4)
#define SIRNN_MODEL_TENSOR_BYTES 16
#define SIRNN_MODEL_ACT_BYTES 8
#define SIRNN_MODEL_DIGEST_BYTES 32
/* Offset of the version field, and of the first dimension (D). */
#define SIRNN_MODEL_VERSION_OFFSET 8
#define SIRNN_MODEL_DIMS_OFFSET 16
/* Largest file accepted by sirnn_fastgrnn_load. */
#define SIRNN_MODEL_MAX_BYTES ((size_t)1 << 30)

#endif /* SIRNN_NN_MODEL_FILE_H */
