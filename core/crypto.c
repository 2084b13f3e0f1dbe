/*
 * crypto.c - field encryption (AES-256-GCM) and the blind index
 * (HMAC-SHA256), see crypto.h. Only OpenSSL 3 EVP interfaces are used.
 *
 * Keys from the key file are never used directly: each use derives its own
 * subkey with HKDF-SHA256 (no salt; the input keys are uniformly random)
 * and a fixed info string, so the field and index keys stay independent
 * even if one file key were reused for both. The associated data is a
 * length-prefixed encoding, so no two contexts share one encoding.
 */
#include "crypto.h"
#include "keyfile.h"
#include "urlencode.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <pthread.h>

#define FIELD_INFO "oakseed field v1"
#define INDEX_INFO "oakseed blind index v1"
#define SIGN_INFO "oakseed document signing ed25519 v1"
#define FORMAT "v1"
#define NONCE_LEN 12
#define TAG_LEN 16
#define SUBKEY_LEN 32
/* 4 + table + 4 + column + 8 + 4 */
#define AAD_MAX (4 + OAK_FIELD_NAME_MAX + 4 + OAK_FIELD_NAME_MAX + 8 + 4)

/* ---- algorithms ----------------------------------------------------------- */

/* Fetched once per process and kept until it exits: a fetch takes
 * OpenSSL's method-store locks and look-ups each time otherwise. NULL when
 * a fetch failed; every use then fails as the fetch itself would have. */
static EVP_KDF *alg_hkdf;
static EVP_MAC *alg_hmac;
static EVP_CIPHER *alg_gcm;
static pthread_once_t alg_once = PTHREAD_ONCE_INIT;

static void fetch_algs(void)
{
    alg_hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    alg_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    alg_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

static void algs(void)
{
    pthread_once(&alg_once, fetch_algs);
}

/* ---- key derivation ----------------------------------------------------- */

static int cached_subkey(const struct oak_keyring *kr, const unsigned char *key,
                         unsigned char out[SUBKEY_LEN]);

static int derive(const unsigned char *ikm, const char *info, unsigned char out[SUBKEY_LEN])
{
    EVP_KDF_CTX *kctx;
    OSSL_PARAM params[4];
    int rc = -1;

    algs();
    kctx = alg_hkdf ? EVP_KDF_CTX_new(alg_hkdf) : NULL;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, OAK_KEY_LEN);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
    params[3] = OSSL_PARAM_construct_end();
    if (kctx && EVP_KDF_derive(kctx, out, SUBKEY_LEN, params) == 1)
        rc = 0;
    EVP_KDF_CTX_free(kctx); /* wipes its copy of the key */
    if (rc < 0)
        OPENSSL_cleanse(out, SUBKEY_LEN);
    return rc;
}

/* ---- encodings ------------------------------------------------------------ */

static unsigned char *put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    return p + 4;
}

static int name_ok(const char *s)
{
    size_t n;

    if (!s)
        return 0;
    n = strlen(s);
    return n > 0 && n <= OAK_FIELD_NAME_MAX;
}

/* be32 len(table) || table || be32 len(column) || column || be64 rowid ||
 * be32 region; signed values as two's complement. Returns the length. */
static size_t encode_aad(const struct oak_field_ctx *ctx, unsigned char aad[AAD_MAX])
{
    size_t tl = strlen(ctx->table), cl = strlen(ctx->column);
    uint64_t row = (uint64_t)ctx->rowid;
    unsigned char *p = aad;

    p = put_u32(p, (uint32_t)tl);
    memcpy(p, ctx->table, tl);
    p += tl;
    p = put_u32(p, (uint32_t)cl);
    memcpy(p, ctx->column, cl);
    p += cl;
    p = put_u32(p, (uint32_t)(row >> 32));
    p = put_u32(p, (uint32_t)row);
    p = put_u32(p, (uint32_t)ctx->region);
    return (size_t)(p - aad);
}

static int ctx_ok(const struct oak_field_ctx *ctx)
{
    return ctx && name_ok(ctx->table) && name_ok(ctx->column);
}

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Strict base64: whole quads, the alphabet only, '=' only as the last one or
 * two characters, and zero unused bits, so each byte string has exactly one
 * accepted encoding (EVP_DecodeBlock alone skips whitespace and ignores
 * those bits). *out is malloc'd. */
static int b64_decode(const char *s, size_t n, unsigned char **out, size_t *outlen)
{
    size_t pad = 0, i;
    unsigned char *buf;
    int r;

    if (n == 0 || n % 4 != 0 || n > (size_t)INT_MAX)
        return OAK_EINVAL;
    if (s[n - 1] == '=')
        pad = s[n - 2] == '=' ? 2 : 1;
    for (i = 0; i < n - pad; i++)
        if (b64_val((unsigned char)s[i]) < 0)
            return OAK_EINVAL;
    if (pad == 2 && (b64_val((unsigned char)s[n - 3]) & 0x0f))
        return OAK_EINVAL;
    if (pad == 1 && (b64_val((unsigned char)s[n - 2]) & 0x03))
        return OAK_EINVAL;
    buf = malloc(n / 4 * 3);
    if (!buf)
        return OAK_ENOMEM;
    r = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n);
    if (r < 0 || (size_t)r != n / 4 * 3) {
        free(buf);
        return OAK_EINVAL;
    }
    *out = buf;
    *outlen = (size_t)r - pad;
    return OAK_OK;
}

/* Split "v1:<id>:<rest>"; ID gets the key id. */
static int split_stored(const char *stored, char id[OAK_KEY_ID_MAX + 1], const char **rest)
{
    const char *p, *colon;

    if (!stored || strncmp(stored, FORMAT ":", sizeof FORMAT) != 0)
        return OAK_EINVAL;
    p = stored + sizeof FORMAT;
    colon = strchr(p, ':');
    if (!colon || !oak_key_id_valid(p, (size_t)(colon - p)))
        return OAK_EINVAL;
    memcpy(id, p, (size_t)(colon - p));
    id[colon - p] = '\0';
    *rest = colon + 1;
    return OAK_OK;
}

/* ---- the cipher ----------------------------------------------------------- */

/* One AES-256-GCM pass. ENC: IN (LEN bytes) to OUT, tag written to TAG.
 * Decrypt: tag read from TAG and checked; returns OAK_ETAMPER on mismatch. */
static int gcm(int enc, const unsigned char key[SUBKEY_LEN], const unsigned char nonce[NONCE_LEN],
               const unsigned char *aad, size_t aad_len, const unsigned char *in, size_t len,
               unsigned char *out, unsigned char tag[TAG_LEN])
{
    EVP_CIPHER *cipher;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n, rc = OAK_ERROR;

    algs();
    cipher = alg_gcm;

    if (!cipher || !c)
        goto out;
    /* The default IV length of GCM is the 12 bytes used here. */
    if (enc) {
        if (EVP_EncryptInit_ex2(c, cipher, key, nonce, NULL) != 1 ||
            EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len) != 1 ||
            (len > 0 && EVP_EncryptUpdate(c, out, &n, in, (int)len) != 1) ||
            EVP_EncryptFinal_ex(c, out + len, &n) != 1 ||
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1)
            goto out;
    } else {
        if (EVP_DecryptInit_ex2(c, cipher, key, nonce, NULL) != 1 ||
            EVP_DecryptUpdate(c, NULL, &n, aad, (int)aad_len) != 1 ||
            (len > 0 && EVP_DecryptUpdate(c, out, &n, in, (int)len) != 1) ||
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1)
            goto out;
        /* The tag comparison inside is constant-time. */
        if (EVP_DecryptFinal_ex(c, out + len, &n) != 1) {
            rc = OAK_ETAMPER;
            goto out;
        }
    }
    rc = OAK_OK;
out:
    EVP_CIPHER_CTX_free(c); /* wipes the key schedule */
    if (rc != OAK_OK)
        ERR_clear_error();
    return rc;
}

/* ---- public ---------------------------------------------------------------- */

int oak_field_encrypt(const struct oak_keyring *kr, const struct oak_field_ctx *ctx, const void *plain,
                      size_t len, char **out)
{
    unsigned char aad[AAD_MAX], subkey[SUBKEY_LEN];
    const unsigned char *key;
    const char *id;
    unsigned char *raw = NULL;
    size_t aad_len, raw_len, b64_len, head;
    char *s = NULL;
    int rc;

    if (out)
        *out = NULL;
    if (!kr || !out || !ctx_ok(ctx) || (!plain && len > 0) || len > OAK_FIELD_MAX)
        return OAK_EINVAL;
    id = oak_keyring_current_id(kr);
    key = oak_keyring_data_key(kr, id);
    if (!key)
        return OAK_EINVAL;
    aad_len = encode_aad(ctx, aad);
    raw_len = NONCE_LEN + len + TAG_LEN;
    b64_len = (raw_len + 2) / 3 * 4;
    head = sizeof FORMAT + strlen(id) + 1; /* "v1:" id ":" */
    raw = malloc(raw_len);
    s = malloc(head + b64_len + 1);
    if (!raw || !s) {
        rc = OAK_ENOMEM;
        goto out;
    }
    rc = OAK_ERROR;
    if (RAND_bytes(raw, NONCE_LEN) != 1 || cached_subkey(kr, key, subkey) < 0)
        goto out;
    rc = gcm(1, subkey, raw, aad, aad_len, plain, len, raw + NONCE_LEN, raw + NONCE_LEN + len);
    if (rc != OAK_OK)
        goto out;
    snprintf(s, head + 1, FORMAT ":%s:", id);
    if (EVP_EncodeBlock((unsigned char *)s + head, raw, (int)raw_len) != (int)b64_len) {
        rc = OAK_ERROR;
        goto out;
    }
    *out = s;
    s = NULL;
out:
    OPENSSL_cleanse(subkey, sizeof subkey);
    free(raw); /* nonce and ciphertext only: nothing secret */
    free(s);
    return rc;
}

int oak_field_decrypt(const struct oak_keyring *kr, const struct oak_field_ctx *ctx, const char *stored,
                      char **plain_out, size_t *len_out)
{
    unsigned char aad[AAD_MAX], subkey[SUBKEY_LEN];
    char id[OAK_KEY_ID_MAX + 1];
    const unsigned char *key;
    const char *b64;
    unsigned char *raw = NULL;
    char *plain = NULL;
    size_t raw_len = 0, len, aad_len;
    int rc;

    if (plain_out)
        *plain_out = NULL;
    if (len_out)
        *len_out = 0;
    if (!kr || !plain_out || !len_out || !ctx_ok(ctx) || !stored)
        return OAK_EINVAL;
    rc = split_stored(stored, id, &b64);
    if (rc != OAK_OK)
        return rc;
    key = oak_keyring_data_key(kr, id);
    if (!key)
        return OAK_ENOTFOUND;
    if (strlen(b64) > (OAK_FIELD_MAX + NONCE_LEN + TAG_LEN + 2) / 3 * 4)
        return OAK_EINVAL;
    rc = b64_decode(b64, strlen(b64), &raw, &raw_len);
    if (rc != OAK_OK)
        return rc;
    if (raw_len < NONCE_LEN + TAG_LEN) {
        rc = OAK_EINVAL;
        goto out;
    }
    len = raw_len - NONCE_LEN - TAG_LEN;
    plain = malloc(len + 1);
    if (!plain) {
        rc = OAK_ENOMEM;
        goto out;
    }
    aad_len = encode_aad(ctx, aad);
    if (cached_subkey(kr, key, subkey) < 0) {
        rc = OAK_ERROR;
        goto out;
    }
    rc = gcm(0, subkey, raw, aad, aad_len, raw + NONCE_LEN, len, (unsigned char *)plain,
             raw + NONCE_LEN + len);
    OPENSSL_cleanse(subkey, sizeof subkey);
    if (rc != OAK_OK) {
        /* Decryption wrote unauthenticated bytes: wipe them. */
        oak_field_free(plain, len);
        plain = NULL;
        goto out;
    }
    plain[len] = '\0';
    *plain_out = plain;
    *len_out = len;
    plain = NULL;
out:
    free(plain); /* only set on paths where nothing was decrypted into it */
    free(raw);
    return rc;
}

void oak_field_free(char *p, size_t len)
{
    if (!p)
        return;
    OPENSSL_cleanse(p, len + 1);
    free(p);
}

int oak_field_key_id(const char *stored, char *id, size_t idlen)
{
    char buf[OAK_KEY_ID_MAX + 1];
    const char *rest;

    if (!id || idlen == 0)
        return OAK_EINVAL;
    id[0] = '\0';
    if (split_stored(stored, buf, &rest) != OAK_OK || strlen(buf) >= idlen)
        return OAK_EINVAL;
    memcpy(id, buf, strlen(buf) + 1);
    return OAK_OK;
}

int oak_blind_index(const struct oak_keyring *kr, const char *domain, const void *data, size_t len,
                    char out[OAK_BLIND_INDEX_LEN])
{
    unsigned char subkey[SUBKEY_LEN], prefix[4], mac[32];
    EVP_MAC_CTX *mc = NULL;
    OSSL_PARAM params[2];
    size_t maclen = 0, dl;
    int rc = OAK_ERROR;

    if (out)
        out[0] = '\0';
    if (!kr || !out || !name_ok(domain) || (!data && len > 0))
        return OAK_EINVAL;
    if (cached_subkey(kr, NULL, subkey) < 0)
        return OAK_ERROR;
    dl = strlen(domain);
    put_u32(prefix, (uint32_t)dl);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    algs();
    mc = alg_hmac ? EVP_MAC_CTX_new(alg_hmac) : NULL;
    if (!mc || EVP_MAC_init(mc, subkey, sizeof subkey, params) != 1 ||
        EVP_MAC_update(mc, prefix, sizeof prefix) != 1 ||
        EVP_MAC_update(mc, (const unsigned char *)domain, dl) != 1 ||
        (len > 0 && EVP_MAC_update(mc, data, len) != 1) ||
        EVP_MAC_final(mc, mac, &maclen, sizeof mac) != 1 || maclen != sizeof mac) {
        ERR_clear_error();
        goto out;
    }
    oak_hex_encode(mac, sizeof mac, out);
    rc = OAK_OK;
out:
    EVP_MAC_CTX_free(mc);
    OPENSSL_cleanse(subkey, sizeof subkey);
    OPENSSL_cleanse(mac, sizeof mac);
    return rc;
}

/* ---- signatures ------------------------------------------------------------ */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static size_t b64url_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    uint32_t buf = 0;
    int bits = 0;

    for (size_t i = 0; i < n; i++) {
        buf = (buf << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            out[o++] = b64url[(buf >> (bits - 6)) & 63];
            bits -= 6;
        }
    }
    if (bits)
        out[o++] = b64url[(buf << (6 - bits)) & 63];
    out[o] = '\0';
    return o;
}

/* Decode exactly N bytes from unpadded base64url; -1 when malformed. */
static int b64url_decode(const char *s, unsigned char *out, size_t n)
{
    size_t need = (n * 8 + 5) / 6, o = 0;
    uint32_t buf = 0;
    int bits = 0;

    if (strlen(s) != need)
        return -1;
    for (size_t i = 0; i < need; i++) {
        const char *p = strchr(b64url, s[i]);

        if (!s[i] || !p)
            return -1;
        buf = (buf << 6) | (uint32_t)(p - b64url);
        bits += 6;
        if (bits >= 8) {
            if (o < n)
                out[o++] = (unsigned char)(buf >> (bits - 8));
            bits -= 8;
        }
    }
    return o == n && (buf & ((1u << bits) - 1)) == 0 ? 0 : -1;
}

static EVP_PKEY *signing_key(const struct oak_keyring *kr)
{
    unsigned char seed[SUBKEY_LEN];
    EVP_PKEY *k;

    if (!kr || derive(oak_keyring_index_key(kr), SIGN_INFO, seed) < 0)
        return NULL;
    k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof seed);
    OPENSSL_cleanse(seed, sizeof seed);
    return k;
}

/* What is derived from the keyring once and kept with it (in OpenSSL's
 * secure heap, which oak_keyring_load set up: locked, left out of core
 * dumps): the signing key and the HKDF subkeys. Deriving them costs about
 * as much as the signature or the encryption they serve. */
struct derived {
    size_t size;
    EVP_PKEY *sign;                      /* OpenSSL keeps it in the secure heap too */
    unsigned char index_sub[SUBKEY_LEN];
    size_t nkeys;
    struct derived_key {
        const unsigned char *key;        /* the keyring's own bytes */
        unsigned char field_sub[SUBKEY_LEN];
    } keys[];
};

static void free_derived(void *p)
{
    struct derived *d = p;

    if (!d)
        return;
    EVP_PKEY_free(d->sign);
    OPENSSL_secure_clear_free(d, d->size);
}

static void *make_derived(const struct oak_keyring *kr)
{
    size_t n = 0, size;
    struct derived *d;

    while (oak_keyring_key_at(kr, n))
        n++;
    size = sizeof *d + n * sizeof d->keys[0];
    d = OPENSSL_secure_zalloc(size);
    if (!d)
        return NULL;
    d->size = size;
    d->nkeys = n;
    d->sign = signing_key(kr);
    if (!d->sign || derive(oak_keyring_index_key(kr), INDEX_INFO, d->index_sub) < 0)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        d->keys[i].key = oak_keyring_key_at(kr, i);
        if (derive(d->keys[i].key, FIELD_INFO, d->keys[i].field_sub) < 0)
            goto fail;
    }
    return d;
fail:
    ERR_clear_error();
    free_derived(d);
    return NULL;
}

static const struct derived *derived(const struct oak_keyring *kr)
{
    return oak_keyring_derived(kr, make_derived, free_derived);   /* borrowed */
}

static EVP_PKEY *cached_signing_key(const struct oak_keyring *kr)
{
    const struct derived *d = derived(kr);

    return d ? d->sign : NULL;
}

/* Copy the field subkey of data key KEY (or the index subkey, KEY NULL)
 * into OUT, which the caller wipes. */
static int cached_subkey(const struct oak_keyring *kr, const unsigned char *key,
                         unsigned char out[SUBKEY_LEN])
{
    const struct derived *d = derived(kr);

    if (!d)
        return -1;
    if (!key) {
        memcpy(out, d->index_sub, SUBKEY_LEN);
        return 0;
    }
    for (size_t i = 0; i < d->nkeys; i++)
        if (d->keys[i].key == key) {
            memcpy(out, d->keys[i].field_sub, SUBKEY_LEN);
            return 0;
        }
    return -1;
}

static int sign_raw(EVP_PKEY *k, const void *msg, size_t len, unsigned char sig[64])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    size_t sl = 64;
    int ok = k && c && EVP_DigestSignInit(c, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestSign(c, sig, &sl, msg, len) == 1 && sl == 64;

    EVP_MD_CTX_free(c);
    if (!ok)
        ERR_clear_error();
    return ok ? 0 : -1;
}

int oak_sign(const struct oak_keyring *kr, const void *msg, size_t len, char out[OAK_SIGNATURE_LEN])
{
    unsigned char sig[64];

    out[0] = '\0';
    if (!kr)
        return OAK_ESTATE;
    if (sign_raw(cached_signing_key(kr), msg, len, sig) < 0)
        return OAK_ERROR;
    b64url_encode(sig, sizeof sig, out);
    return OAK_OK;
}

/*
 * Ed25519 signatures are deterministic (RFC 8032 5.1.6) and OpenSSL
 * refuses non-canonical ones, so exactly one signature of MSG verifies
 * under our key: the one we make. Signing again and comparing in constant
 * time accepts the same set as EVP_DigestVerify at well under half its
 * cost, which matters on the public card-verify route.
 */
int oak_sign_verify(const struct oak_keyring *kr, const void *msg, size_t len, const char *sig)
{
    unsigned char given[64], ours[64];

    if (!kr)
        return OAK_ESTATE;
    if (!sig || b64url_decode(sig, given, sizeof given) < 0)
        return OAK_ETAMPER;
    if (sign_raw(cached_signing_key(kr), msg, len, ours) < 0)
        return OAK_ERROR;
    return CRYPTO_memcmp(given, ours, sizeof ours) == 0 ? OAK_OK : OAK_ETAMPER;
}

int oak_sign_public_key(const struct oak_keyring *kr, char out[44])
{
    EVP_PKEY *k = signing_key(kr);
    unsigned char pub[32];
    size_t pl = sizeof pub;
    int ok = k && EVP_PKEY_get_raw_public_key(k, pub, &pl) == 1 && pl == sizeof pub;

    EVP_PKEY_free(k);
    out[0] = '\0';
    if (!ok) {
        ERR_clear_error();
        return kr ? OAK_ERROR : OAK_ESTATE;
    }
    b64url_encode(pub, sizeof pub, out);
    return OAK_OK;
}

int oak_random_code(char *out, size_t len)
{
    static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    unsigned char r[64];
    size_t used = sizeof r;

    if (!out || len < 2)
        return OAK_EINVAL;
    /* a block at a time: each RAND_bytes call takes the DRBG's lock and
     * checks for a fork, which cost more than the bytes */
    for (size_t i = 0; i + 1 < len;) {
        if (used == sizeof r) {
            if (RAND_bytes(r, sizeof r) != 1)
                return OAK_ERROR;
            used = 0;
        }
        if (r[used] < 248)              /* 8 * 31: no modulo bias */
            out[i++] = alphabet[r[used] % 31];
        used++;
    }
    OPENSSL_cleanse(r, sizeof r);
    out[len - 1] = '\0';
    return OAK_OK;
}
