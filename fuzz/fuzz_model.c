/*
 * libFuzzer target: the FastGRNN model-file parser (sirnn_fastgrnn_decode),
 * and for every file it accepts, what a server does with it before serving:
 * the score format, the public description and the protocol plan. A file
 * that decodes must encode back to a file that decodes to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sirnn/nn.h"
#include "nn/fg_plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sirnn_fastgrnn *m = NULL;
    if (sirnn_fastgrnn_decode(&m, data, size) != SIRNN_OK)
        return 0;
    sirnn_fixfmt f;
    (void)sirnn_fastgrnn_score_fmt(m, &f);
    sirnn_fg_public pub;
    sirnn_fg_plan plan;
    if (sirnn_fg_public_from_model(&pub, m) == SIRNN_OK)
        (void)sirnn_fg_plan_init(&plan, &pub);
    uint8_t *buf = NULL, *buf2 = NULL;
    size_t len = 0, len2 = 0;
    if (sirnn_fastgrnn_encode(m, &buf, &len) == SIRNN_OK) {
        sirnn_fastgrnn *m2 = NULL;
        if (sirnn_fastgrnn_decode(&m2, buf, len) != SIRNN_OK)
            abort(); /* what we write, we must read */
        if (sirnn_fastgrnn_encode(m2, &buf2, &len2) != SIRNN_OK || len2 != len ||
            memcmp(buf, buf2, len) != 0)
            abort();
        sirnn_fastgrnn_free(m2);
    }
    free(buf);
    free(buf2);
    sirnn_fastgrnn_free(m);
    return 0;
}
