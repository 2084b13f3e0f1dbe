/*
 * totp.c - RFC 6238 codes and base32 (see totp.h).
 */
#include "totp.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

void oak_base32_encode(const unsigned char *p, size_t len, char *out)
{
    uint32_t buf = 0;
    int bits = 0;
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        buf = (buf << 8) | p[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32[(buf >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = b32[(buf << (5 - bits)) & 31];
    out[o] = '\0';
}

int oak_base32_decode(const char *s, unsigned char *out, size_t cap)
{
    uint32_t buf = 0;
    int bits = 0;
    size_t o = 0;

    for (; *s; s++) {
        const char *pos;
        int c = toupper((unsigned char)*s);

        if (c == ' ' || c == '=' || c == '-')
            continue;
        pos = c ? strchr(b32, c) : NULL;
        if (!pos)
            return -1;
        buf = (buf << 5) | (uint32_t)(pos - b32);
        bits += 5;
        if (bits >= 8) {
            if (o == cap)
                return -1;
            out[o++] = (unsigned char)(buf >> (bits - 8));
            bits -= 8;
        }
    }
    return (int)o;
}

uint32_t oak_totp_code(const unsigned char *secret, size_t len, uint64_t counter)
{
    unsigned char msg[8], md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    uint32_t bin;
    int off;

    for (int i = 7; i >= 0; i--) {
        msg[i] = (unsigned char)(counter & 0xff);
        counter >>= 8;
    }
    if (!HMAC(EVP_sha1(), secret, (int)len, msg, sizeof msg, md, &mdlen) || mdlen < 20)
        return UINT32_MAX;
    off = md[mdlen - 1] & 0x0f;
    bin = ((uint32_t)(md[off] & 0x7f) << 24) | ((uint32_t)md[off + 1] << 16) |
          ((uint32_t)md[off + 2] << 8) | md[off + 3];
    OPENSSL_cleanse(md, sizeof md);
    return bin % 1000000;
}

int oak_totp_verify(const unsigned char *secret, size_t len, const char *code, time_t now,
                    uint64_t *step_out)
{
    char want[8], got[8];
    uint64_t step;
    int match = 0;

    if (!code || strlen(code) != 6)
        return 0;
    for (int i = 0; i < 6; i++)
        if (!isdigit((unsigned char)code[i]))
            return 0;
    snprintf(got, sizeof got, "%s", code);
    step = (uint64_t)now / 30;
    for (int d = -1; d <= 1; d++) {
        uint64_t s = step + (uint64_t)(int64_t)d;

        snprintf(want, sizeof want, "%06u", (unsigned)oak_totp_code(secret, len, s));
        /* check every window so timing does not tell which one matched */
        if (CRYPTO_memcmp(want, got, 6) == 0 && !match) {
            match = 1;
            if (step_out)
                *step_out = s;
        }
    }
    return match;
}
