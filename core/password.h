/*
 * password.h - staff password hashing with scrypt (OpenSSL EVP_PBE_scrypt).
 * The parameters are stored with each hash, so they can be raised later
 * and old hashes still verify (and are re-hashed at the next login).
 *
 * Stored form: $scrypt$ln=17,r=8,p=1$<base64 salt>$<base64 key>
 */
#ifndef OAK_PASSWORD_H
#define OAK_PASSWORD_H

#include <stddef.h>

#define OAK_PASSWORD_MAX 128       /* longest password accepted, bytes */
#define OAK_PASSWORD_HASH_MAX 160  /* buffer size for a stored hash */

/* Hash PW with N = 2^log_n, r = 8, p = 1 and a fresh 16-byte salt.
 * Returns 0, or -1 (bad parameters, out of memory). */
int oak_password_hash(const char *pw, int log_n, char out[OAK_PASSWORD_HASH_MAX]);

/* 1 when PW matches STORED, 0 when not, -1 when STORED is malformed.
 * The comparison is constant-time. */
int oak_password_verify(const char *pw, const char *stored);

/* 1 when STORED uses weaker parameters than log_n (re-hash on login). */
int oak_password_needs_rehash(const char *stored, int log_n);

/* Password policy for staff: 10..128 bytes, not all one character class.
 * Returns NULL when acceptable, else a Chinese + English reason. */
const char *oak_password_weak(const char *pw);

#endif
