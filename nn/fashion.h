/*
 * IDX files (the MNIST container) read through zlib. Internal: the public
 * entry points are sirnn_dataset_load_idx / sirnn_fashion_load in
 * include/sirnn/nn.h.
 */
#ifndef SIRNN_NN_FASHION_H
#define SIRNN_NN_FASHION_H

#include <stddef.h>
#include <stdint.h>

#include "sirnn/nn.h"

#define SIRNN_IDX_MAGIC_IMAGES 0x00000803u /* unsigned bytes, 3 dimensions */
#define SIRNN_IDX_MAGIC_LABELS 0x00000801u /* unsigned bytes, 1 dimension */
/* Largest decompressed file accepted. */
#define SIRNN_IDX_MAX_BYTES ((size_t)1 << 30)

/* The whole (gunzipped, or plain) content of path, malloc'ed. */
sirnn_status sirnn_gz_read_all(uint8_t **data, size_t *len, const char *path);

/* Parse an IDX buffer of unsigned bytes with the given magic; dims receives
 * its dimensions (ndims = magic & 0xff, at most 3), *payload the data,
 * whose length must be exactly the product of the dimensions. what names
 * the file in messages. */
sirnn_status sirnn_idx_parse(const uint8_t *buf, size_t len, uint32_t magic, uint32_t *dims,
                             const uint8_t **payload, const char *what);

#endif /* SIRNN_NN_FASHION_H */
