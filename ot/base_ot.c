/*
 * Chou-Orlandi base OT over P-256 (see ot/base_ot.h for the protocol).
 */
#include "ot/base_ot.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "kernels/random.h"

enum { POINT_BYTES = SIRNN_BASE_OT_POINT_BYTES };

static const char kDomainTag[] = "libsirnn base OT (Chou-Orlandi, P-256) v1";

typedef struct ec_env {
    EC_GROUP *group;
    BN_CTX *bn;
    BIGNUM *order;
} ec_env;

static void ec_env_free(ec_env *e)
{
    BN_free(e->order);
    BN_CTX_free(e->bn);
    EC_GROUP_free(e->group);
}

static sirnn_status ec_env_init(ec_env *e)
{
    memset(e, 0, sizeof(*e));
    e->group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    e->bn = BN_CTX_new();
    e->order = BN_new();
    if (e->group == NULL || e->bn == NULL || e->order == NULL ||
        !EC_GROUP_get_order(e->group, e->order, e->bn)) {
        ec_env_free(e);
        return SIRNN_ERR_CRYPTO;
    }
    return SIRNN_OK;
}

/* A uniform scalar: 384 PRG bits reduced mod the order (bias below 2^-128). */
static sirnn_status random_scalar(ec_env *e, sirnn_prg *prg, BIGNUM *out)
{
    uint8_t wide[48];
    sirnn_prg_bytes(prg, wide, sizeof(wide));
    BIGNUM *tmp = BN_secure_new();
    int ok = tmp != NULL && BN_bin2bn(wide, (int)sizeof(wide), tmp) != NULL;
    if (ok) {
        BN_set_flags(tmp, BN_FLG_CONSTTIME);
        ok = BN_nnmod(out, tmp, e->order, e->bn);
    }
    BN_clear_free(tmp);
    sirnn_memzero(wide, sizeof(wide));
    BN_set_flags(out, BN_FLG_CONSTTIME);
    return ok ? SIRNN_OK : SIRNN_ERR_CRYPTO;
}

static int encode_point(const ec_env *e, const EC_POINT *p, uint8_t out[POINT_BYTES])
{
    return EC_POINT_point2oct(e->group, p, POINT_CONVERSION_COMPRESSED, out, POINT_BYTES,
                              e->bn) == POINT_BYTES;
}

/* Decode a peer's point; the point at infinity and off-curve encodings fail. */
static int decode_point(const ec_env *e, EC_POINT *p, const uint8_t in[POINT_BYTES])
{
    return EC_POINT_oct2point(e->group, p, in, POINT_BYTES, e->bn) == 1 &&
           !EC_POINT_is_at_infinity(e->group, p);
}

/* H(tag, A, B, P, index) truncated to 128 bits. */
static int derive_key(sirnn_block *key, const uint8_t *a_enc, const uint8_t *b_enc,
                      const uint8_t *p_enc, uint64_t index)
{
    uint8_t digest[32];
    uint8_t idx[8];
    for (int k = 0; k < 8; k++)
        idx[k] = (uint8_t)(index >> (8 * k));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(md, kDomainTag, sizeof(kDomainTag)) &&
             EVP_DigestUpdate(md, a_enc, POINT_BYTES) &&
             EVP_DigestUpdate(md, b_enc, POINT_BYTES) &&
             EVP_DigestUpdate(md, p_enc, POINT_BYTES) && EVP_DigestUpdate(md, idx, 8) &&
             EVP_DigestFinal_ex(md, digest, NULL);
    EVP_MD_CTX_free(md);
    memcpy(key->w, digest, 16);
    sirnn_memzero(digest, sizeof(digest));
    return ok;
}

/* Receiver half: from the peer's A, make B_i for each choice and the keys. */
static sirnn_status receiver_points(ec_env *e, sirnn_prg *prg, const uint8_t *peer_a_enc,
                                    uint8_t *b_enc, sirnn_block *keys,
                                    const uint8_t *choices, size_t n)
{
    sirnn_status st = SIRNN_ERR_CRYPTO;
    EC_POINT *peer_a = EC_POINT_new(e->group);
    EC_POINT *p0 = EC_POINT_new(e->group);
    EC_POINT *p1 = EC_POINT_new(e->group);
    EC_POINT *shared = EC_POINT_new(e->group);
    BIGNUM *b = BN_secure_new();
    uint8_t enc0[POINT_BYTES], enc1[POINT_BYTES], shared_enc[POINT_BYTES];
    if (peer_a == NULL || p0 == NULL || p1 == NULL || shared == NULL || b == NULL ||
        !decode_point(e, peer_a, peer_a_enc))
        goto done;
    for (size_t i = 0; i < n; i++) {
        if (random_scalar(e, prg, b) != SIRNN_OK ||
            !EC_POINT_mul(e->group, p0, b, NULL, NULL, e->bn) ||
            !EC_POINT_add(e->group, p1, p0, peer_a, e->bn) ||
            !EC_POINT_mul(e->group, shared, NULL, peer_a, b, e->bn) ||
            !encode_point(e, p0, enc0) || !encode_point(e, p1, enc1) ||
            !encode_point(e, shared, shared_enc))
            goto done;
        /* Both candidates exist; the choice only steers a byte mask. */
        uint8_t mask = (uint8_t)(0u - (unsigned)(choices[i] & 1));
        uint8_t *bi = b_enc + i * POINT_BYTES;
        for (int k = 0; k < POINT_BYTES; k++)
            bi[k] = (uint8_t)(enc0[k] ^ (mask & (enc0[k] ^ enc1[k])));
        if (!derive_key(&keys[i], peer_a_enc, bi, shared_enc, i))
            goto done;
    }
    st = SIRNN_OK;
done:
    sirnn_memzero(enc0, sizeof(enc0));
    sirnn_memzero(enc1, sizeof(enc1));
    sirnn_memzero(shared_enc, sizeof(shared_enc));
    BN_clear_free(b);
    EC_POINT_clear_free(shared);
    EC_POINT_clear_free(p1);
    EC_POINT_clear_free(p0);
    EC_POINT_free(peer_a);
    return st;
}

/* Sender half: from the peer's B_i, both keys per OT. */
static sirnn_status sender_keys(ec_env *e, const BIGNUM *a, const uint8_t *a_enc,
                                const EC_POINT *neg_aa, const uint8_t *b_enc,
                                sirnn_block *keys, size_t n)
{
    sirnn_status st = SIRNN_ERR_CRYPTO;
    EC_POINT *bi = EC_POINT_new(e->group);
    EC_POINT *k0 = EC_POINT_new(e->group);
    EC_POINT *k1 = EC_POINT_new(e->group);
    uint8_t enc0[POINT_BYTES], enc1[POINT_BYTES];
    if (bi == NULL || k0 == NULL || k1 == NULL)
        goto done;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *b_i = b_enc + i * POINT_BYTES;
        if (!decode_point(e, bi, b_i) || !EC_POINT_mul(e->group, k0, NULL, bi, a, e->bn) ||
            !EC_POINT_add(e->group, k1, k0, neg_aa, e->bn) || !encode_point(e, k0, enc0) ||
            !encode_point(e, k1, enc1) || !derive_key(&keys[2 * i], a_enc, b_i, enc0, i) ||
            !derive_key(&keys[2 * i + 1], a_enc, b_i, enc1, i))
            goto done;
    }
    st = SIRNN_OK;
done:
    sirnn_memzero(enc0, sizeof(enc0));
    sirnn_memzero(enc1, sizeof(enc1));
    EC_POINT_clear_free(k1);
    EC_POINT_clear_free(k0);
    EC_POINT_free(bi);
    return st;
}

sirnn_status sirnn_base_ot_dual(sirnn_channel *ch, sirnn_prg *prg, sirnn_block *send_keys,
                                sirnn_block *recv_keys, const uint8_t *recv_choices,
                                size_t n)
{
    ec_env e;
    sirnn_status st = ec_env_init(&e);
    if (st != SIRNN_OK)
        return st;
    BIGNUM *a = BN_secure_new();
    EC_POINT *pa = EC_POINT_new(e.group);
    EC_POINT *neg_aa = EC_POINT_new(e.group);
    uint8_t a_enc[POINT_BYTES], peer_a_enc[POINT_BYTES];
    uint8_t *my_b = malloc(n * POINT_BYTES + 1);
    uint8_t *peer_b = malloc(n * POINT_BYTES + 1);
    if (a == NULL || pa == NULL || neg_aa == NULL || my_b == NULL || peer_b == NULL) {
        st = SIRNN_ERR_NOMEM;
        goto done;
    }
    st = SIRNN_ERR_CRYPTO;
    /* Sender: A = aG and -(aA) = -(a^2 G), reused for every k1. */
    if (random_scalar(&e, prg, a) != SIRNN_OK ||
        !EC_POINT_mul(e.group, pa, a, NULL, NULL, e.bn) || !encode_point(&e, pa, a_enc) ||
        !EC_POINT_mul(e.group, neg_aa, NULL, pa, a, e.bn) ||
        !EC_POINT_invert(e.group, neg_aa, e.bn))
        goto done;
    /* Flight 1: our A. Flight 2: our B_i for the peer's A. */
    if ((st = sirnn_channel_send(ch, a_enc, POINT_BYTES)) != SIRNN_OK ||
        (st = sirnn_channel_flush(ch)) != SIRNN_OK ||
        (st = sirnn_channel_recv(ch, peer_a_enc, POINT_BYTES)) != SIRNN_OK)
        goto done;
    if ((st = receiver_points(&e, prg, peer_a_enc, my_b, recv_keys, recv_choices, n)) !=
        SIRNN_OK)
        goto done;
    if ((st = sirnn_channel_send(ch, my_b, n * POINT_BYTES)) != SIRNN_OK ||
        (st = sirnn_channel_flush(ch)) != SIRNN_OK ||
        (st = sirnn_channel_recv(ch, peer_b, n * POINT_BYTES)) != SIRNN_OK)
        goto done;
    st = sender_keys(&e, a, a_enc, neg_aa, peer_b, send_keys, n);
done:
    sirnn_memzero(a_enc, sizeof(a_enc));
    free(my_b);
    free(peer_b);
    EC_POINT_clear_free(neg_aa);
    EC_POINT_clear_free(pa);
    BN_clear_free(a);
    ec_env_free(&e);
    return st;
}
