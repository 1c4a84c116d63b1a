/*
 * Helpers shared by the `sirnn` subcommands: number and address parsing,
 * the clock, a progress bar.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/commands.h"

double sirnn_tool_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int sirnn_tool_parse_u(const char *s, unsigned long long lo, unsigned long long hi,
                       unsigned long long *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int sirnn_tool_parse_hostport(const char *s, char *host, size_t hostlen, uint16_t *port)
{
    const char *colon = s != NULL ? strrchr(s, ':') : NULL;
    unsigned long long p;
    if (colon == NULL || colon == s || (size_t)(colon - s) >= hostlen ||
        sirnn_tool_parse_u(colon + 1, 1, 65535, &p) != 0)
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    *port = (uint16_t)p;
    return 0;
}

void sirnn_tool_bar_init(sirnn_tool_bar *b, const char *label)
{
    b->label = label;
    b->tty = isatty(STDERR_FILENO);
    b->t0 = sirnn_tool_now();
    b->last = 0;
}

void sirnn_tool_bar_update(sirnn_tool_bar *b, unsigned done, unsigned total)
{
    if (!b->tty || total == 0)
        return;
    const double t = sirnn_tool_now();
    if (done < total && t - b->last < 0.1)
        return;
    b->last = t;
    const int width = 30;
    const int fill = (int)((double)width * done / total);
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r\033[K%s [%s] %3u%%  %.1f s", b->label, bar, 100u * done / total,
            t - b->t0);
    if (done >= total)
        fprintf(stderr, "\n");
    fflush(stderr);
}

const char *sirnn_tool_fashion_class(unsigned k)
{
    static const char *const names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress",
                                          "Coat",        "Sandal",  "Shirt",    "Sneaker",
                                          "Bag",         "Ankle boot"};
    return k < 10 ? names[k] : "?";
}
