/*
 * totp.h - time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second
 * steps, 6 digits) for the optional staff second factor, and the base32
 * encoding authenticator apps expect for the secret.
 */
#ifndef OAK_TOTP_H
#define OAK_TOTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define OAK_TOTP_SECRET_LEN 20

/* Base32 (RFC 4648, no padding) of LEN bytes into OUT (at least
 * len * 8 / 5 + 2 bytes). */
void oak_base32_encode(const unsigned char *p, size_t len, char *out);
/* Decode base32 (case-insensitive, spaces and '=' ignored). Returns the
 * length or -1. */
int oak_base32_decode(const char *s, unsigned char *out, size_t cap);

/* The 6-digit code for time step COUNTER. */
uint32_t oak_totp_code(const unsigned char *secret, size_t len, uint64_t counter);

/* 1 when CODE (6 digits) matches at time NOW within +-1 step, else 0.
 * *step_out receives the matching step, so callers can refuse a replay of
 * a step already used. */
int oak_totp_verify(const unsigned char *secret, size_t len, const char *code, time_t now,
                    uint64_t *step_out);

#endif
