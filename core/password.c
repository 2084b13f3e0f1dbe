/*
 * password.c - scrypt password hashes (see password.h).
 */
#include "password.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALT_LEN 16
#define KEY_LEN 32
#define SCRYPT_R 8
#define SCRYPT_P 1

static int derive(const char *pw, const unsigned char *salt, size_t saltlen, int log_n,
                  int r, int p, unsigned char *key, size_t keylen)
{
    uint64_t n = (uint64_t)1 << log_n;
    /* scrypt needs 128 * N * r bytes; allow that plus slack */
    uint64_t maxmem = 128ULL * n * (uint64_t)r + (16ULL << 20);

    return EVP_PBE_scrypt(pw, strlen(pw), salt, saltlen, n, (uint64_t)r, (uint64_t)p, maxmem,
                          key, keylen) == 1 ? 0 : -1;
}

int oak_password_hash(const char *pw, int log_n, char out[OAK_PASSWORD_HASH_MAX])
{
    unsigned char salt[SALT_LEN], key[KEY_LEN];
    char salt64[32], key64[48];
    int rc = -1;

    if (!pw || strlen(pw) > OAK_PASSWORD_MAX || log_n < 10 || log_n > 22)
        return -1;
    if (RAND_bytes(salt, sizeof salt) != 1)
        return -1;
    if (derive(pw, salt, sizeof salt, log_n, SCRYPT_R, SCRYPT_P, key, sizeof key) == 0) {
        EVP_EncodeBlock((unsigned char *)salt64, salt, sizeof salt);
        EVP_EncodeBlock((unsigned char *)key64, key, sizeof key);
        snprintf(out, OAK_PASSWORD_HASH_MAX, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", log_n, SCRYPT_R,
                 SCRYPT_P, salt64, key64);
        rc = 0;
    }
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

struct parsed {
    int log_n, r, p;
    unsigned char salt[64];
    int saltlen;
    unsigned char key[64];
    int keylen;
};

static int b64_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
    unsigned char tmp[96];
    int len, pad = 0;

    if (n == 0 || n % 4 || n / 4 * 3 > sizeof tmp || n / 4 * 3 > cap)
        return -1;
    len = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n);
    if (len < 0)
        return -1;
    if (s[n - 1] == '=')
        pad++;
    if (s[n - 2] == '=')
        pad++;
    len -= pad;
    memcpy(out, tmp, (size_t)len);
    return len;
}

static int parse(const char *stored, struct parsed *p)
{
    const char *s, *dollar;

    if (strncmp(stored, "$scrypt$", 8) != 0)
        return -1;
    if (sscanf(stored + 8, "ln=%d,r=%d,p=%d$", &p->log_n, &p->r, &p->p) != 3)
        return -1;
    if (p->log_n < 10 || p->log_n > 22 || p->r < 1 || p->r > 32 || p->p < 1 || p->p > 16)
        return -1;
    s = strchr(stored + 8, '$');
    if (!s)
        return -1;
    s++;
    dollar = strchr(s, '$');
    if (!dollar)
        return -1;
    p->saltlen = b64_decode(s, (size_t)(dollar - s), p->salt, sizeof p->salt);
    p->keylen = b64_decode(dollar + 1, strlen(dollar + 1), p->key, sizeof p->key);
    if (p->saltlen < 8 || p->keylen < 16)
        return -1;
    return 0;
}

int oak_password_verify(const char *pw, const char *stored)
{
    struct parsed p;
    unsigned char key[64];
    int match;

    if (!pw || !stored || parse(stored, &p) < 0)
        return -1;
    if (strlen(pw) > OAK_PASSWORD_MAX)
        return 0;
    if (derive(pw, p.salt, (size_t)p.saltlen, p.log_n, p.r, p.p, key, (size_t)p.keylen) < 0)
        return -1;
    match = CRYPTO_memcmp(key, p.key, (size_t)p.keylen) == 0;
    OPENSSL_cleanse(key, sizeof key);
    return match;
}

int oak_password_needs_rehash(const char *stored, int log_n)
{
    struct parsed p;

    if (parse(stored, &p) < 0)
        return 1;
    return p.log_n < log_n || p.r < SCRYPT_R;
}

const char *oak_password_weak(const char *pw)
{
    int lower = 0, upper = 0, digit = 0, other = 0;
    size_t n = strlen(pw);

    if (n < 10)
        return "密码至少需要10个字符 (at least 10 characters)";
    if (n > OAK_PASSWORD_MAX)
        return "密码过长 (at most 128 bytes)";
    for (const char *s = pw; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (islower(c)) lower = 1;
        else if (isupper(c)) upper = 1;
        else if (isdigit(c)) digit = 1;
        else other = 1;
    }
    if (lower + upper + digit + other < 2)
        return "密码需包含至少两类字符 (use at least two kinds of characters)";
    return NULL;
}
