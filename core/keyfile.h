/*
 * keyfile.h - the key file that holds the keys for sensitive fields, and the
 * keyring loaded from it.
 *
 * The file is text, one item per line, '#' starts a comment line:
 *     key <id> <64 hex digits>    a 256-bit data-encryption key
 *     current <id>                the data key new values are encrypted with
 *     index <64 hex digits>       the blind-index key (never rotated with the
 *                                 data keys: changing it means recomputing
 *                                 every index)
 * Ids are 1-16 characters a-z or 0-9 (k1, k2, ...). Old data keys stay in the
 * file as long as stored values use them.
 *
 * The file must be a regular file owned by the running user with no group or
 * other permission bits (0600 or stricter); anything else is refused. Keys are
 * held in locked, non-dumpable memory (best effort) that is wiped on free.
 * Nothing here logs; errors come back as a message that never contains key
 * material.
 */
#ifndef OAK_KEYFILE_H
#define OAK_KEYFILE_H

#include <stddef.h>

#define OAK_KEY_LEN 32     /* bytes in a data or index key */
#define OAK_KEY_ID_MAX 16  /* characters in a key id, without the NUL */

struct oak_keyring;

/* Create PATH holding one random data key k1, "current k1" and a random
 * index key. The file is created with O_EXCL and mode 0600 (an existing file
 * is never overwritten) and synced with its directory. Returns OAK_OK, or
 * OAK_EEXIST / OAK_EIO / OAK_ERROR with a message in err. */
int oak_keyfile_generate(const char *path, char *err, size_t errlen);

/* Add a random data key with the next free id (k2, k3, ...) and make it
 * current. The file is checked like oak_keyring_load, then replaced
 * atomically: PATH.new (0600, O_EXCL, so it doubles as a lock against a
 * concurrent change) is written and synced, renamed over PATH, and the
 * directory synced. Comments and other lines are kept. The new id goes to
 * new_id_out (may be NULL; else idlen must be at least OAK_KEY_ID_MAX + 1).
 * Running daemons see the new key after a reload. Returns OAK_OK or a
 * negative OAK_* code with a message in err. */
int oak_keyfile_add_key(const char *path, char *new_id_out, size_t idlen, char *err, size_t errlen);

/* Load and check the key file at PATH. Refused with a message naming the
 * path when it is missing, not a regular file, not owned by the running
 * user, accessible by group or others (the message gives the mode and the
 * chmod to run), malformed (the message gives the line number), has no data
 * key, no "current" line, a "current" naming no key, or no index key.
 * Returns a keyring owned by the caller (free with oak_keyring_free), or
 * NULL with a message in err. */
struct oak_keyring *oak_keyring_load(const char *path, char *err, size_t errlen);

/* Wipe and free a keyring. NULL is fine. */
void oak_keyring_free(struct oak_keyring *kr);

/* The id new values are encrypted with. Borrowed: valid until the keyring is
 * freed. */
const char *oak_keyring_current_id(const struct oak_keyring *kr);

/* 1 when the keyring holds a data key named ID, else 0. */
int oak_keyring_has(const struct oak_keyring *kr, const char *id);

/* For crypto.c only (not for plugins): the OAK_KEY_LEN bytes of the data key
 * named ID (NULL when there is none) and of the index key. Borrowed: valid
 * until the keyring is freed; never copy them anywhere that is not wiped. */
const unsigned char *oak_keyring_data_key(const struct oak_keyring *kr, const char *id);
const unsigned char *oak_keyring_index_key(const struct oak_keyring *kr);
/* For crypto.c only: the bytes of the I-th data key (the same pointer
 * oak_keyring_data_key gives for its id), NULL past the last. */
const unsigned char *oak_keyring_key_at(const struct oak_keyring *kr, size_t i);

/* For crypto.c only: one value derived from the keys (the document
 * signing key and the HKDF subkeys), made by MAKE on first use and kept with the keyring until
 * oak_keyring_free, which frees it with FREE_FN. Safe to call from several
 * threads. Returns it, or NULL when MAKE failed (it is tried again next
 * time). A secret kept here must live in locked memory that core dumps
 * leave out (crypto.c uses OpenSSL's secure heap). */
void *oak_keyring_derived(const struct oak_keyring *kr, void *(*make)(const struct oak_keyring *),
                          void (*free_fn)(void *));

/* 1 when ID is a well-formed key id ([a-z0-9]{1,16}), else 0. */
int oak_key_id_valid(const char *id, size_t len);

#endif
