/*
 * libFuzzer target: the ONNX importer of `sirnn import` (tools/onnx_import.c,
 * protobuf-c), from the bytes of a file. Whatever it accepts must be a graph
 * the loader accepts (sirnn_graph_validate), that runs in float on one
 * example (when small), and that encodes to a file that decodes and encodes
 * back to the same bytes. Seeds: the shipped models/*.onnx and the test
 * graphs tests/vectors/graph/*.onnx (the Makefile copies them).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/graph.h"
#include "tools/onnx_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sirnn_graph *g = NULL;
    char err[256];
    if (sirnn_onnx_import_buf(data, size, "input", &g, err, sizeof(err)) != 0) {
        if (g != NULL || err[0] == '\0')
            abort(); /* a refusal leaves no graph and says why */
        return 0;
    }
    if (sirnn_graph_validate(g) != SIRNN_OK)
        abort(); /* what the importer builds, the loader must accept */
    size_t total = 0;
    for (uint32_t t = 0; t < g->ntensors; t++)
        total += sirnn_graph_size(g, t);
    if (total <= ((size_t)1 << 18)) {
        const size_t in = sirnn_graph_size(g, g->input);
        float *x = calloc(in ? in : 1, sizeof(float));
        if (x != NULL)
            (void)sirnn_graph_forward(g, 1, NULL, NULL, x, NULL);
        free(x);
    }
    uint8_t *buf = NULL, *buf2 = NULL;
    size_t len = 0, len2 = 0;
    if (sirnn_graph_encode(g, 0, &buf, &len) == SIRNN_OK) {
        sirnn_graph *g2 = NULL;
        if (sirnn_graph_decode(&g2, NULL, buf, len) != SIRNN_OK)
            abort(); /* what we write, we must read */
        if (sirnn_graph_encode(g2, 0, &buf2, &len2) != SIRNN_OK || len2 != len ||
            memcmp(buf, buf2, len) != 0)
            abort();
        sirnn_graph_free(g2);
    }
    free(buf);
    free(buf2);
    sirnn_graph_free(g);
    return 0;
}
