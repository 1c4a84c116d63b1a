/*
 * Portable fixed-key hashes: the definitions of kernels/crhash.h written out
 * over EVP, in chunks so each EVP call covers many blocks. Each chunk reads
 * all of its input before writing its output, which keeps out == in safe.
 */
#include "kernels/crhash.h"

#include "kernels/aes_impl.h"

#define CHUNK 64

static sirnn_block sigma(sirnn_block x)
{
    sirnn_block s;
    s.w[1] = x.w[1] ^ x.w[0];
    s.w[0] = x.w[1];
    return s;
}

void sirnn_crhash_portable(sirnn_block *out, const sirnn_block *in, size_t n)
{
    void *pi = n > 0 ? sirnn_crhash_thread_evp(SIRNN_CRHASH_KEY_PI) : NULL;
    sirnn_block s[CHUNK], y[CHUNK];
    for (size_t done = 0; done < n;) {
        size_t m = n - done < CHUNK ? n - done : CHUNK;
        for (size_t k = 0; k < m; k++)
            s[k] = sigma(in[done + k]);
        sirnn_aes_evp_ecb(pi, y, s, m);
        for (size_t k = 0; k < m; k++)
            out[done + k] = sirnn_block_xor(y[k], s[k]);
        done += m;
    }
}

void sirnn_tccrhash_portable(sirnn_block *out, const sirnn_block *in, sirnn_tweak tw, size_t n)
{
    void *pi = n > 0 ? sirnn_crhash_thread_evp(SIRNN_CRHASH_KEY_PI) : NULL;
    sirnn_block t[CHUNK], u[CHUNK];
    for (size_t done = 0; done < n;) {
        size_t m = n - done < CHUNK ? n - done : CHUNK;
        sirnn_aes_evp_ecb(pi, t, &in[done], m);
        for (size_t k = 0; k < m; k++)
            u[k] = sirnn_block_xor(t[k], sirnn_block_make(tw.domain, tw.index + (uint64_t)(done + k)));
        sirnn_aes_evp_ecb(pi, u, u, m);
        for (size_t k = 0; k < m; k++)
            out[done + k] = sirnn_block_xor(u[k], t[k]);
        done += m;
    }
}

void sirnn_tccrhash256_portable(sirnn_block *out, const sirnn_block *in, sirnn_tweak tw,
                                size_t n)
{
    void *pi1 = n > 0 ? sirnn_crhash_thread_evp(SIRNN_CRHASH_KEY_PI1) : NULL;
    void *pi2 = n > 0 ? sirnn_crhash_thread_evp(SIRNN_CRHASH_KEY_PI2) : NULL;
    sirnn_block v[CHUNK], w[CHUNK], i[CHUNK];
    for (size_t done = 0; done < n;) {
        size_t m = n - done < CHUNK ? n - done : CHUNK;
        for (size_t k = 0; k < m; k++) {
            i[k] = sirnn_block_make(tw.domain, tw.index + (uint64_t)(done + k));
            v[k] = sirnn_block_xor(in[2 * (done + k)], i[k]);
        }
        sirnn_aes_evp_ecb(pi1, v, v, m); /* u */
        for (size_t k = 0; k < m; k++)
            v[k] = sirnn_block_xor(v[k], in[2 * (done + k) + 1]);
        sirnn_aes_evp_ecb(pi2, w, v, m); /* w = pi2(v) */
        for (size_t k = 0; k < m; k++)
            v[k] = sirnn_block_xor(w[k], i[k]);
        sirnn_aes_evp_ecb(pi2, v, v, m);
        for (size_t k = 0; k < m; k++)
            out[done + k] = sirnn_block_xor(v[k], w[k]);
        done += m;
    }
}
