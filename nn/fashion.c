/*
 * IDX datasets through zlib, and Fashion-MNIST.
 */
#include "nn/fashion.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "net/party_internal.h"

sirnn_status sirnn_gz_read_all(uint8_t **data, size_t *len, const char *path)
{
    *data = NULL;
    *len = 0;
    if (path == NULL) {
        sirnn_set_last_error("no file name given");
        return SIRNN_ERR_ARG;
    }
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (f == NULL) {
        sirnn_set_last_error("%s: cannot open: %s", path,
                             errno != 0 ? strerror(errno) : "out of memory");
        return errno != 0 ? SIRNN_ERR_IO : SIRNN_ERR_NOMEM;
    }
    size_t cap = (size_t)1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    sirnn_status st = buf != NULL ? SIRNN_OK : SIRNN_ERR_NOMEM;
    while (st == SIRNN_OK) {
        if (n == cap) {
            if (cap >= SIRNN_IDX_MAX_BYTES) {
                sirnn_set_last_error("%s: larger than %zu bytes once decompressed", path,
                                     SIRNN_IDX_MAX_BYTES);
                st = SIRNN_ERR_ARG;
                break;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                st = SIRNN_ERR_NOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t want = cap - n;
        if (want > ((size_t)1 << 24))
            want = (size_t)1 << 24;
        int got = gzread(f, buf + n, (unsigned)want);
        if (got < 0) {
            int zerr;
            const char *msg = gzerror(f, &zerr);
            sirnn_set_last_error("%s: corrupt or unreadable: %s", path,
                                 zerr == Z_ERRNO ? strerror(errno) : msg);
            st = SIRNN_ERR_IO;
            break;
        }
        if (got == 0) {
            int zerr;
            const char *msg = gzerror(f, &zerr);
            if (zerr != Z_OK && zerr != Z_STREAM_END) {
                sirnn_set_last_error("%s: corrupt or truncated: %s", path, msg);
                st = SIRNN_ERR_IO;
            }
            break;
        }
        n += (size_t)got;
    }
    int cerr = gzclose_r(f);
    if (st == SIRNN_OK && cerr != Z_OK) {
        /* Z_BUF_ERROR: the data ended in the middle of a gzip stream. */
        sirnn_set_last_error("%s: %s", path,
                             cerr == Z_BUF_ERROR ? "truncated gzip data" : "read error");
        st = SIRNN_ERR_IO;
    }
    if (st == SIRNN_ERR_NOMEM)
        sirnn_set_last_error("%s: out of memory", path);
    if (st != SIRNN_OK) {
        free(buf);
        return st;
    }
    *data = buf;
    *len = n;
    return SIRNN_OK;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

sirnn_status sirnn_idx_parse(const uint8_t *buf, size_t len, uint32_t magic, uint32_t *dims,
                             const uint8_t **payload, const char *what)
{
    unsigned nd = magic & 0xffu;
    if (len < 4) {
        sirnn_set_last_error("%s: too short for an IDX file (%zu bytes)", what, len);
        return SIRNN_ERR_ARG;
    }
    uint32_t got = be32(buf);
    if (got != magic) {
        sirnn_set_last_error("%s: bad IDX magic 0x%08x (expected 0x%08x)", what, (unsigned)got,
                             (unsigned)magic);
        return SIRNN_ERR_ARG;
    }
    if (len < 4 + 4 * (size_t)nd) {
        sirnn_set_last_error("%s: truncated IDX header (%zu bytes)", what, len);
        return SIRNN_ERR_ARG;
    }
    size_t total = 1;
    for (unsigned i = 0; i < nd; i++) {
        dims[i] = be32(buf + 4 + 4 * i);
        if (dims[i] == 0) {
            sirnn_set_last_error("%s: dimension %u is zero", what, i);
            return SIRNN_ERR_ARG;
        }
        if (i > 0 && dims[i] > 4096) {
            sirnn_set_last_error("%s: dimension %u is %u (at most 4096)", what, i,
                                 (unsigned)dims[i]);
            return SIRNN_ERR_ARG;
        }
        if (total > SIRNN_IDX_MAX_BYTES / dims[i]) {
            sirnn_set_last_error("%s: dimensions too large", what);
            return SIRNN_ERR_ARG;
        }
        total *= dims[i];
    }
    size_t have = len - 4 - 4 * (size_t)nd;
    if (have != total) {
        sirnn_set_last_error("%s: %zu data bytes, the header announces %zu (%s)", what, have,
                             total, have < total ? "truncated" : "trailing garbage");
        return SIRNN_ERR_ARG;
    }
    *payload = buf + 4 + 4 * (size_t)nd;
    return SIRNN_OK;
}

sirnn_status sirnn_dataset_load_idx(sirnn_dataset *out, const char *images_path,
                                    const char *labels_path, size_t max_n)
{
    if (out == NULL) {
        sirnn_set_last_error("dataset: NULL output");
        return SIRNN_ERR_ARG;
    }
    memset(out, 0, sizeof(*out));
    uint8_t *ib = NULL, *lb = NULL;
    size_t il = 0, ll = 0;
    uint32_t idims[3], ldims[1];
    const uint8_t *ipay = NULL, *lpay = NULL;
    sirnn_status st = sirnn_gz_read_all(&ib, &il, images_path);
    if (st == SIRNN_OK)
        st = sirnn_idx_parse(ib, il, SIRNN_IDX_MAGIC_IMAGES, idims, &ipay, images_path);
    if (st == SIRNN_OK)
        st = sirnn_gz_read_all(&lb, &ll, labels_path);
    if (st == SIRNN_OK)
        st = sirnn_idx_parse(lb, ll, SIRNN_IDX_MAGIC_LABELS, ldims, &lpay, labels_path);
    if (st == SIRNN_OK && idims[0] != ldims[0]) {
        sirnn_set_last_error("%s has %u images but %s has %u labels", images_path,
                             (unsigned)idims[0], labels_path, (unsigned)ldims[0]);
        st = SIRNN_ERR_ARG;
    }
    if (st == SIRNN_OK) {
        size_t n = idims[0];
        if (max_n > 0 && max_n < n)
            n = max_n;
        size_t per = (size_t)idims[1] * idims[2];
        out->images = malloc(n * per);
        out->labels = malloc(n);
        if (out->images == NULL || out->labels == NULL) {
            sirnn_set_last_error("dataset: out of memory");
            st = SIRNN_ERR_NOMEM;
        } else {
            memcpy(out->images, ipay, n * per);
            memcpy(out->labels, lpay, n);
            out->n = n;
            out->rows = idims[1];
            out->cols = idims[2];
            unsigned mx = 0;
            for (size_t i = 0; i < n; i++)
                mx = out->labels[i] > mx ? out->labels[i] : mx;
            out->classes = mx + 1;
        }
    }
    free(ib);
    free(lb);
    if (st != SIRNN_OK)
        sirnn_dataset_free(out);
    return st;
}

sirnn_status sirnn_fashion_load(sirnn_dataset *out, const char *dir, int train, size_t max_n)
{
    if (out == NULL) {
        sirnn_set_last_error("dataset: NULL output");
        return SIRNN_ERR_ARG;
    }
    memset(out, 0, sizeof(*out));
    if (dir == NULL) {
        dir = getenv("SIRNN_FASHION_DIR");
        if (dir == NULL || *dir == '\0')
            dir = SIRNN_FASHION_DIR;
    }
    const char *pre = train ? "train" : "t10k";
    size_t dl = strlen(dir) + 64;
    char *ip = malloc(dl), *lp = malloc(dl);
    if (ip == NULL || lp == NULL) {
        free(ip);
        free(lp);
        sirnn_set_last_error("dataset: out of memory");
        return SIRNN_ERR_NOMEM;
    }
    snprintf(ip, dl, "%s/%s-images-idx3-ubyte.gz", dir, pre);
    snprintf(lp, dl, "%s/%s-labels-idx1-ubyte.gz", dir, pre);
    sirnn_status st = sirnn_dataset_load_idx(out, ip, lp, max_n);
    if (st == SIRNN_OK && (out->rows != 28 || out->cols != 28)) {
        sirnn_set_last_error("%s: %ux%u images, Fashion-MNIST has 28x28", ip,
                             (unsigned)out->rows, (unsigned)out->cols);
        st = SIRNN_ERR_ARG;
    }
    if (st == SIRNN_OK && out->classes > 10) {
        sirnn_set_last_error("%s: label %u, Fashion-MNIST has 0..9", lp,
                             (unsigned)out->classes - 1);
        st = SIRNN_ERR_ARG;
    }
    if (st == SIRNN_OK)
        out->classes = 10;
    else
        sirnn_dataset_free(out);
    free(ip);
    free(lp);
    return st;
}

void sirnn_dataset_free(sirnn_dataset *ds)
{
    if (ds == NULL)
        return;
    free(ds->images);
    free(ds->labels);
    memset(ds, 0, sizeof(*ds));
}
