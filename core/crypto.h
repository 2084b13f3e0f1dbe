/*
 * crypto.h - encryption of sensitive fields at rest (ID numbers, phone
 * numbers, living-will contents, bank details) and the keyed blind index
 * that finds a record without decrypting it.
 *
 * A stored value is the ASCII string
 *     v1:<key id>:<base64(12-byte nonce || ciphertext || 16-byte tag)>
 * made with AES-256-GCM under a subkey derived (HKDF-SHA256) from the data
 * key named in it. The table, column, row id and region are bound in as
 * associated data, so a value copied to another row, column, table or region
 * does not decrypt. The row id must therefore be known before encrypting
 * (insert the row first, or choose the id), and a value must be re-encrypted
 * when its row moves to another region.
 *
 * The blind index is HMAC-SHA256 under a subkey of the index key over the
 * domain (e.g. "registry.id_number") and the value. Normalise the value
 * before indexing (upper-case the X of an ID number, drop spaces and +86 of
 * a phone number) or equal values will not match.
 *
 * Nothing here logs; plaintext and keys are wiped from every temporary
 * buffer. All functions are thread-safe given a keyring that is not freed
 * meanwhile.
 */
#ifndef OAK_CRYPTO_H
#define OAK_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "oakseed/plugin.h"

struct oak_keyring;

#define OAK_FIELD_MAX (16 * 1024 * 1024) /* largest plaintext, in bytes */
#define OAK_FIELD_NAME_MAX 255           /* longest table or column name */
#define OAK_BLIND_INDEX_LEN 65           /* 64 hex digits and a NUL */

/* Where a value lives; all of it is bound into the ciphertext. table and
 * column are borrowed, non-empty, at most OAK_FIELD_NAME_MAX bytes. */
struct oak_field_ctx {
    const char *table;
    const char *column;
    int64_t rowid;
    int region;      /* GB/T 2260 code of the record, e.g. 530500 */
};

/* Encrypt LEN bytes at PLAIN (may be NULL when LEN is 0) for CTX under the
 * keyring's current key. *out gets a NUL-terminated ASCII string owned by
 * the caller (free with free()). Returns OAK_OK; OAK_EINVAL for a bad
 * argument or LEN over OAK_FIELD_MAX; OAK_ENOMEM; OAK_ERROR when OpenSSL
 * fails. *out is NULL on failure. */
int oak_field_encrypt(const struct oak_keyring *kr, const struct oak_field_ctx *ctx, const void *plain,
                      size_t len, char **out);

/* Decrypt a value made by oak_field_encrypt for the same CTX. On OAK_OK
 * *plain_out gets the plaintext plus a NUL (not counted in *len_out), owned
 * by the caller: release it with oak_field_free. Returns OAK_EINVAL when
 * STORED is malformed, OAK_ENOTFOUND when its key id is not in the keyring,
 * OAK_ETAMPER when it does not authenticate (other row, column, table or
 * region, or tampered), OAK_ENOMEM or OAK_ERROR. On any failure *plain_out
 * is NULL and *len_out 0: no partial plaintext is ever returned. */
int oak_field_decrypt(const struct oak_keyring *kr, const struct oak_field_ctx *ctx, const char *stored,
                      char **plain_out, size_t *len_out);

/* Wipe LEN bytes at P (plaintext from oak_field_decrypt; LEN as returned,
 * the NUL is wiped too) and free it. NULL is fine. */
void oak_field_free(char *p, size_t len);

/* Copy the key id of STORED into ID (IDLEN bytes, at least 17 always
 * suffices), e.g. to re-encrypt in batches the values still under an old
 * key. Only the prefix is checked. Returns OAK_OK or OAK_EINVAL. */
int oak_field_key_id(const char *stored, char *id, size_t idlen);

/* The blind index of LEN bytes at DATA (may be NULL when LEN is 0) in
 * DOMAIN (non-empty, at most OAK_FIELD_NAME_MAX bytes, e.g.
 * "registry.id_number"): 64 lower-case hex digits and a NUL into OUT.
 * Deterministic for one key file; differs between domains and key files.
 * Returns OAK_OK, OAK_EINVAL or OAK_ERROR (OUT is then empty). */
int oak_blind_index(const struct oak_keyring *kr, const char *domain, const void *data, size_t len,
                    char out[OAK_BLIND_INDEX_LEN]);

/* Ed25519 signatures for documents people carry (donor cards). The key
 * is derived from the index key (HKDF, its own label), so every key file
 * has one and it never changes with data-key rotation. Signatures are 86
 * characters of unpadded base64url. */
#define OAK_SIGNATURE_LEN 87             /* 86 characters and a NUL */
int oak_sign(const struct oak_keyring *kr, const void *msg, size_t len, char out[OAK_SIGNATURE_LEN]);
/* OAK_OK when SIG is a valid signature of MSG, OAK_ETAMPER when not (or
 * malformed), another code on failure. */
int oak_sign_verify(const struct oak_keyring *kr, const void *msg, size_t len, const char *sig);
/* The public key, 43 characters of unpadded base64url, for offline checks. */
int oak_sign_public_key(const struct oak_keyring *kr, char out[44]);

/* LEN - 1 random characters from 23456789ABCDEFGHJKMNPQRSTUVWXYZ (no 0/O,
 * 1/I/L: codes people read aloud and type), NUL-terminated. ~4.95 bits
 * per character. */
int oak_random_code(char *out, size_t len);

#endif
