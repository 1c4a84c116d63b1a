/*
 * A planted slowdown for proving the time gate (make bench-compare, CI).
 *
 * SIRNN_BENCH_SLOW=KERNEL[:FACTOR] stretches every timed region of the
 * named kernel to FACTOR times its measured length (default 2) by spinning
 * on the clock before the region's end is read. The library is untouched;
 * the benchmark simply takes longer, as a regression in the kernel would
 * make it, and the extra time is real wall time under the same machine
 * noise as the rest of the region.
 */
#include "bench/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double g_slow_factor = 1.0;

int bench_slow_select(const char *kernel)
{
    g_slow_factor = 1.0;
    const char *spec = getenv("SIRNN_BENCH_SLOW");
    if (spec == NULL || *spec == '\0')
        return 0;
    const char *colon = strchr(spec, ':');
    size_t len = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
    double factor = 2.0;
    if (colon != NULL) {
        char *end;
        factor = strtod(colon + 1, &end);
        if (*end != '\0' || !(factor >= 1.0 && factor <= 100.0)) {
            fprintf(stderr, "sirnn-bench: SIRNN_BENCH_SLOW wants KERNEL[:FACTOR] with FACTOR in "
                            "[1, 100], got '%s'\n", spec);
            return -1;
        }
    }
    if (len == strlen(kernel) && strncmp(spec, kernel, len) == 0) {
        g_slow_factor = factor;
        fprintf(stderr, "sirnn-bench: SIRNN_BENCH_SLOW: %s timed %.2fx slower on purpose\n",
                kernel, factor);
    }
    return 0;
}

double bench_elapsed_ns(double t0)
{
    double t = bench_now_ns() - t0;
    if (g_slow_factor > 1.0) {
        const double until = t0 + t * g_slow_factor;
        do
            t = bench_now_ns() - t0;
        while (t0 + t < until);
    }
    return t;
}
