/*
 * test_crypto.c - the key file (create, permission and format checks,
 * rotation) and field encryption: round trips, binding to table, column,
 * row and region, tamper detection, key ids, and the blind index.
 */
#include "crypto.h"
#include "keyfile.h"
#include "tap.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/oak-test-crypto-XXXXXX";

static const char hex_a[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
static const char hex_b[] = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

static int write_file(const char *path, const char *text, mode_t mode)
{
    int fd;
    ssize_t n;

    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return -1;
    n = write(fd, text, strlen(text));
    close(fd);
    if (n != (ssize_t)strlen(text))
        return -1;
    return chmod(path, mode);
}

static int file_mode(const char *path)
{
    struct stat st;

    return stat(path, &st) < 0 ? -1 : (int)(st.st_mode & 07777);
}

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static char *read_text(const char *path)
{
    static char buf[8192];
    int fd = open(path, O_RDONLY);
    ssize_t n;

    buf[0] = '\0';
    if (fd < 0)
        return buf;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

/* A key file at PATH with TEXT and mode 0600; load it and return the
 * message (NULL ring expected). */
static const char *load_msg(const char *path, const char *text, char *err, size_t errlen)
{
    struct oak_keyring *kr;

    err[0] = '\0';
    if (write_file(path, text, 0600) < 0)
        return "(could not write the file)";
    kr = oak_keyring_load(path, err, errlen);
    if (kr) {
        oak_keyring_free(kr);
        return "(loaded)";
    }
    return err;
}

/* Round trip PLAIN through encrypt and decrypt; 1 when it comes back equal
 * and NUL-terminated. *stored_out (if not NULL) keeps the stored string. */
static int round_trip(const struct oak_keyring *kr, const struct oak_field_ctx *ctx, const void *plain,
                      size_t len, char **stored_out)
{
    char *stored = NULL, *back = NULL;
    size_t blen = 99;
    int good;

    if (oak_field_encrypt(kr, ctx, plain, len, &stored) != OAK_OK)
        return 0;
    good = oak_field_decrypt(kr, ctx, stored, &back, &blen) == OAK_OK && blen == len &&
           (len == 0 || memcmp(back, plain, len) == 0) && back[len] == '\0';
    oak_field_free(back, blen);
    if (stored_out)
        *stored_out = stored;
    else
        free(stored);
    return good;
}

/* Decrypt expecting failure WANT; 1 when the code matches and no plaintext
 * came back. */
static int fails_with(const struct oak_keyring *kr, const struct oak_field_ctx *ctx, const char *stored,
                      int want)
{
    char *back = (char *)"sentinel";
    size_t blen = 99;
    int rc = oak_field_decrypt(kr, ctx, stored, &back, &blen);

    if (rc == OAK_OK)
        oak_field_free(back, blen);
    return rc == want && back == NULL && blen == 0;
}

static int is_hex64(const char *s)
{
    size_t i;

    if (strlen(s) != 64)
        return 0;
    for (i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* Decode N bytes of unpadded base64url (test-only, no checks beyond the alphabet). */
static void b64url(const char *s, unsigned char *out, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned buf = 0, bits = 0;
    size_t o = 0;

    for (; *s && o < n; s++) {
        buf = (buf << 6) | (unsigned)(strchr(a, *s) - a);
        bits += 6;
        if (bits >= 8) {
            out[o++] = (unsigned char)(buf >> (bits - 8));
            bits -= 8;
        }
    }
}

/* What a third party holding only the public key does. */
static int openssl_verifies(const char *pub, const void *msg, size_t len, const char *sig)
{
    unsigned char rp[32], rs[64];
    EVP_PKEY *k;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok;

    b64url(pub, rp, sizeof rp);
    b64url(sig, rs, sizeof rs);
    k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, rp, sizeof rp);
    ok = k && c && EVP_DigestVerifyInit(c, NULL, NULL, NULL, k) == 1 &&
         EVP_DigestVerify(c, rs, sizeof rs, msg, len) == 1;
    EVP_MD_CTX_free(c);
    EVP_PKEY_free(k);
    return ok;
}

int main(void)
{
    char keys[256], keys2[256], bad[256], newp[256], err[512], text[1024], id[32];
    struct oak_keyring *kr, *kr2;
    struct oak_field_ctx ctx = { "registry_person", "id_number", 42, 530500 }, other;
    const char *ascii = "110101199003074514";
    const char *chinese = "我的五个愿望：不要插管，请让我在家中安详离去。";
    char *s_ascii = NULL, *s_chinese = NULL, *s_new = NULL, *s2 = NULL, *back = NULL;
    unsigned char *big;
    size_t blen = 0, i;
    char ix1[OAK_BLIND_INDEX_LEN], ix2[OAK_BLIND_INDEX_LEN], ix3[OAK_BLIND_INDEX_LEN];

    if (!mkdtemp(dir))
        return 1;
    snprintf(keys, sizeof keys, "%s/keys", dir);
    snprintf(keys2, sizeof keys2, "%s/keys2", dir);
    snprintf(bad, sizeof bad, "%s/bad", dir);
    snprintf(newp, sizeof newp, "%s/keys.new", dir);

    /* ---- the key file ---- */
    is_int(oak_keyfile_generate(keys, err, sizeof err), OAK_OK, "generate a key file");
    is_int(file_mode(keys), 0600, "it has mode 0600");
    is_int(oak_keyfile_generate(keys, err, sizeof err), OAK_EEXIST, "generate refuses to overwrite");
    ok(strstr(err, "already exists") != NULL, "message: %s", err);

    kr = oak_keyring_load(keys, err, sizeof err);
    ok(kr != NULL, "load the generated file");
    is_str(oak_keyring_current_id(kr), "k1", "current key is k1");
    ok(oak_keyring_has(kr, "k1") && !oak_keyring_has(kr, "k2"), "has k1 only");

    chmod(keys, 0640);
    ok(oak_keyring_load(keys, err, sizeof err) == NULL, "mode 0640 refused");
    ok(strstr(err, "chmod 600") && strstr(err, keys) && strstr(err, "0640"),
       "message names path, mode and the fix: %s", err);
    chmod(keys, 0604);
    ok(oak_keyring_load(keys, err, sizeof err) == NULL && strstr(err, "readable by group or others"),
       "mode 0604 refused: %s", err);
    chmod(keys, 0620);
    ok(oak_keyring_load(keys, err, sizeof err) == NULL, "mode 0620 (group-writable) refused: %s", err);
    chmod(keys, 0400);
    kr2 = oak_keyring_load(keys, err, sizeof err);
    ok(kr2 != NULL, "mode 0400 (stricter) accepted");
    oak_keyring_free(kr2);
    chmod(keys, 0600);

    ok(oak_keyring_load(bad, err, sizeof err) == NULL && strstr(err, bad), "missing file refused: %s", err);
    if (geteuid() == 0) {
        /* Only root can give the file away; others skip this check. */
        int moved = chown(keys, 65534, (gid_t)-1) == 0;

        ok(moved && oak_keyring_load(keys, err, sizeof err) == NULL && strstr(err, "owned by uid 65534"),
           "a file owned by another user refused: %s", err);
        if (chown(keys, 0, (gid_t)-1) < 0)
            return 1;
    } else {
        ok(1, "# SKIP owner check needs root to chown");
    }

    snprintf(text, sizeof text, "# comment\n\nkey k1 %.63sz\ncurrent k1\nindex %s\n", hex_a, hex_b);
    load_msg(bad, text, err, sizeof err);
    ok(strstr(err, "line 3") != NULL, "bad hex digit: message has the line number: %s", err);
    ok(strstr(err, "0011223344") == NULL, "and does not quote the key");
    snprintf(text, sizeof text, "key k1 %s\ncurrent k1\nindex %s\nfrobnicate 1\n", hex_a, hex_b);
    ok(strstr(load_msg(bad, text, err, sizeof err), "line 4"), "unknown item on line 4: %s", err);
    snprintf(text, sizeof text, "key k1 %s\nkey k1 %s\ncurrent k1\nindex %s\n", hex_a, hex_b, hex_b);
    ok(strstr(load_msg(bad, text, err, sizeof err), "line 2"), "duplicate key id: %s", err);
    snprintf(text, sizeof text, "key K1 %s\ncurrent k1\nindex %s\n", hex_a, hex_b);
    ok(strstr(load_msg(bad, text, err, sizeof err), "line 1"), "upper-case key id refused: %s", err);
    snprintf(text, sizeof text, "key k1 %s extra\ncurrent k1\nindex %s\n", hex_a, hex_b);
    ok(strstr(load_msg(bad, text, err, sizeof err), "line 1"), "extra token refused: %s", err);
    snprintf(text, sizeof text, "key k1 %s\ncurrent k2\nindex %s\n", hex_a, hex_b);
    ok(strstr(load_msg(bad, text, err, sizeof err), "current key k2"), "current names no key: %s", err);
    snprintf(text, sizeof text, "key k1 %s\nindex %s\n", hex_a, hex_b);
    ok(strstr(load_msg(bad, text, err, sizeof err), "no 'current"), "no current line: %s", err);
    snprintf(text, sizeof text, "key k1 %s\ncurrent k1\n", hex_a);
    ok(strstr(load_msg(bad, text, err, sizeof err), "no 'index"), "no index key: %s", err);
    snprintf(text, sizeof text, "current k1\nindex %s\n", hex_b);
    ok(strstr(load_msg(bad, text, err, sizeof err), "no data key"), "no data key: %s", err);
    snprintf(text, sizeof text, "  # indented comment\r\nkey\tk1  %s\r\ncurrent k1\r\nindex %s", hex_a, hex_b);
    is_str(load_msg(bad, text, err, sizeof err), "(loaded)", "tabs, CRLF and no final newline are fine");

    /* ---- round trips ---- */
    ok(round_trip(kr, &ctx, ascii, strlen(ascii), &s_ascii), "ASCII round trip");
    ok(round_trip(kr, &ctx, chinese, strlen(chinese), &s_chinese), "Chinese UTF-8 round trip");
    ok(round_trip(kr, &ctx, "", 0, NULL), "empty string round trip");
    ok(round_trip(kr, &ctx, NULL, 0, NULL), "NULL with length 0 round trip");
    big = malloc(64 * 1024);
    for (i = 0; i < 64 * 1024; i++)
        big[i] = (unsigned char)(i * 131 + (i >> 8));
    ok(round_trip(kr, &ctx, big, 64 * 1024, NULL), "64 KiB binary round trip (with NUL bytes)");
    free(big);

    ok(s_ascii && strncmp(s_ascii, "v1:k1:", 6) == 0, "stored form starts v1:k1: (%.20s...)", s_ascii ? s_ascii : "");
    ok(s_ascii && !strstr(s_ascii, ascii) && !strstr(s_ascii, "19900307"), "stored string has no plaintext");
    ok(s_chinese && !strstr(s_chinese, "愿望"), "stored Chinese string has no plaintext");
    {
        int ascii_only = 1;

        for (i = 0; s_chinese && s_chinese[i]; i++)
            ascii_only &= (unsigned char)s_chinese[i] < 0x80;
        ok(ascii_only, "stored string is ASCII");
    }
    is_int(oak_field_encrypt(kr, &ctx, ascii, strlen(ascii), &s2), OAK_OK, "encrypt again");
    ok(s2 && strcmp(s2, s_ascii) != 0, "two encryptions of one value differ (random nonce)");
    ok(fails_with(kr, &ctx, "", OAK_EINVAL), "empty stored string: OAK_EINVAL");

    /* ---- binding to where the value lives ---- */
    other = ctx;
    other.rowid = 43;
    ok(fails_with(kr, &other, s_ascii, OAK_ETAMPER), "other row id: auth error, no plaintext");
    other = ctx;
    other.column = "phone";
    ok(fails_with(kr, &other, s_ascii, OAK_ETAMPER), "other column: auth error, no plaintext");
    other = ctx;
    other.table = "memorial_donor";
    ok(fails_with(kr, &other, s_ascii, OAK_ETAMPER), "other table: auth error, no plaintext");
    other = ctx;
    other.region = 530000;
    ok(fails_with(kr, &other, s_ascii, OAK_ETAMPER), "other region: auth error, no plaintext");
    other = ctx;
    other.rowid = -42;
    ok(fails_with(kr, &other, s_ascii, OAK_ETAMPER), "negated row id: auth error");
    {
        struct oak_field_ctx a = { "ab", "c", 1, 1 }, b = { "a", "bc", 1, 1 };
        char *sa = NULL;

        oak_field_encrypt(kr, &a, "x", 1, &sa);
        ok(fails_with(kr, &b, sa, OAK_ETAMPER), "(\"ab\",\"c\") and (\"a\",\"bc\") are different contexts");
        free(sa);
    }

    /* ---- tampering and malformed values ---- */
    {
        char *t = strdup(s_ascii);
        size_t start = 6, n = strlen(t), changed = 0, failed = 0;

        t[start + 10] = t[start + 10] == 'A' ? 'B' : 'A';
        ok(fails_with(kr, &ctx, t, OAK_ETAMPER), "one base64 character flipped: auth error");
        for (i = start; i < n; i++) {
            const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
            const char *a;

            strcpy(t, s_ascii);
            for (a = alpha; *a; a++) {
                char *b2 = NULL;
                size_t l2 = 0;

                if (*a == s_ascii[i])
                    continue;
                t[i] = *a;
                changed++;
                if (oak_field_decrypt(kr, &ctx, t, &b2, &l2) != OAK_OK && b2 == NULL)
                    failed++;
                oak_field_free(b2, l2);
            }
        }
        ok(changed > 0 && failed == changed, "each of %zu single-character changes fails (%zu did)", changed,
           failed);
        free(t);
    }
    {
        char t[512];

        snprintf(t, sizeof t, "v1:k9:%s", s_ascii + 6);
        ok(fails_with(kr, &ctx, t, OAK_ENOTFOUND), "unknown key id: OAK_ENOTFOUND");
        snprintf(t, sizeof t, "v2:k1:%s", s_ascii + 6);
        ok(fails_with(kr, &ctx, t, OAK_EINVAL), "unknown version: OAK_EINVAL");
        snprintf(t, sizeof t, "v1:K1:%s", s_ascii + 6);
        ok(fails_with(kr, &ctx, t, OAK_EINVAL), "bad key id: OAK_EINVAL");
        snprintf(t, sizeof t, "%s\n", s_ascii);
        ok(fails_with(kr, &ctx, t, OAK_EINVAL), "trailing newline: OAK_EINVAL");
        snprintf(t, sizeof t, "%.*s", (int)strlen(s_ascii) - 4, s_ascii);
        ok(fails_with(kr, &ctx, t, OAK_EINVAL) || fails_with(kr, &ctx, t, OAK_ETAMPER),
           "truncated by one quad: refused");
        ok(fails_with(kr, &ctx, "v1:k1:", OAK_EINVAL), "empty payload: OAK_EINVAL");
        ok(fails_with(kr, &ctx, "v1:k1:AAAAAAAA", OAK_EINVAL), "payload shorter than nonce+tag: OAK_EINVAL");
        ok(fails_with(kr, &ctx, "v1:k1:AAA", OAK_EINVAL), "partial quad: OAK_EINVAL");
        ok(fails_with(kr, &ctx, "not a stored value", OAK_EINVAL), "garbage: OAK_EINVAL");
        ok(fails_with(kr, &ctx, "v1:k1", OAK_EINVAL), "no second colon: OAK_EINVAL");
    }
    {
        struct oak_field_ctx c2 = ctx;
        char *o = (char *)"x";

        c2.column = "";
        is_int(oak_field_encrypt(kr, &c2, "a", 1, &o), OAK_EINVAL, "empty column name refused");
        ok(o == NULL, "and *out is NULL");
        is_int(oak_field_encrypt(kr, NULL, "a", 1, &o), OAK_EINVAL, "NULL context refused");
        is_int(oak_field_encrypt(kr, &ctx, NULL, 3, &o), OAK_EINVAL, "NULL data with a length refused");
    }

    /* ---- key ids ---- */
    is_int(oak_field_key_id(s_ascii, id, sizeof id), OAK_OK, "key id of a stored value");
    is_str(id, "k1", "it is k1");
    is_int(oak_field_key_id(s_ascii, id, 2), OAK_EINVAL, "too small a buffer refused");
    is_int(oak_field_key_id("garbage", id, sizeof id), OAK_EINVAL, "key id of garbage refused");

    /* ---- blind index ---- */
    is_int(oak_blind_index(kr, "registry.id_number", ascii, strlen(ascii), ix1), OAK_OK, "blind index");
    ok(is_hex64(ix1), "64 lower-case hex digits: %s", ix1);
    oak_blind_index(kr, "registry.id_number", ascii, strlen(ascii), ix2);
    is_str(ix2, ix1, "deterministic");
    oak_blind_index(kr, "registry.phone", ascii, strlen(ascii), ix2);
    ok(strcmp(ix1, ix2) != 0, "differs by domain");
    oak_blind_index(kr, "registry.id_number", "110101199003074515", 18, ix2);
    ok(strcmp(ix1, ix2) != 0, "differs by value");
    oak_blind_index(kr, "ab", "c", 1, ix2);
    oak_blind_index(kr, "a", "bc", 2, ix3);
    ok(strcmp(ix2, ix3) != 0, "domain and value cannot run together");
    is_int(oak_blind_index(kr, "", "c", 1, ix2), OAK_EINVAL, "empty domain refused");
    ok(ix2[0] == '\0', "and the output is empty");
    is_int(oak_keyfile_generate(keys2, err, sizeof err), OAK_OK, "a second key file");
    kr2 = oak_keyring_load(keys2, err, sizeof err);
    ok(kr2 != NULL, "loaded");
    oak_blind_index(kr2, "registry.id_number", ascii, strlen(ascii), ix2);
    ok(is_hex64(ix2) && strcmp(ix1, ix2) != 0, "differs by key file");
    ok(fails_with(kr2, &ctx, s_ascii, OAK_ETAMPER), "another file's k1 does not decrypt: auth error");
    oak_keyring_free(kr2);

    /* ---- rotation ---- */
    id[0] = '\0';
    is_int(oak_keyfile_add_key(keys, id, sizeof id, err, sizeof err), OAK_OK, "add a key");
    is_str(id, "k2", "its id is k2");
    is_int(file_mode(keys), 0600, "the file still has mode 0600");
    ok(!exists(newp), "no keys.new left behind");
    ok(strstr(read_text(keys), "# oakseed key file") != NULL, "comments kept");
    kr2 = oak_keyring_load(keys, err, sizeof err);
    ok(kr2 != NULL, "reload");
    is_str(oak_keyring_current_id(kr2), "k2", "current is k2");
    ok(oak_keyring_has(kr2, "k1"), "k1 is still there");
    ok(oak_field_decrypt(kr2, &ctx, s_ascii, &back, &blen) == OAK_OK && blen == strlen(ascii) &&
           strcmp(back, ascii) == 0, "a k1 value still decrypts");
    oak_field_free(back, blen);
    back = NULL;
    ok(oak_field_decrypt(kr2, &ctx, s_chinese, &back, &blen) == OAK_OK && strcmp(back, chinese) == 0,
       "a k1 Chinese value still decrypts");
    oak_field_free(back, blen);
    back = NULL;
    ok(round_trip(kr2, &ctx, ascii, strlen(ascii), &s_new), "a new value round-trips");
    oak_field_key_id(s_new, id, sizeof id);
    is_str(id, "k2", "and uses k2");
    ok(fails_with(kr, &ctx, s_new, OAK_ENOTFOUND), "the old keyring does not know k2");
    {
        char t[512];

        snprintf(t, sizeof t, "v1:k1:%s", s_new + 6);
        ok(fails_with(kr2, &ctx, t, OAK_ETAMPER), "a k2 value relabelled k1: auth error");
    }
    oak_blind_index(kr2, "registry.id_number", ascii, strlen(ascii), ix2);
    is_str(ix2, ix1, "the blind index survives a data-key rotation");
    oak_keyring_free(kr2);

    is_int(oak_keyfile_add_key(keys, id, sizeof id, err, sizeof err), OAK_OK, "add another key");
    is_str(id, "k3", "its id is k3");
    write_file(newp, "stale", 0600);
    is_int(oak_keyfile_add_key(keys, id, sizeof id, err, sizeof err), OAK_EBUSY, "a keys.new in the way");
    ok(strstr(err, "keys.new") != NULL, "message: %s", err);
    ok(exists(newp), "and it is left alone");
    unlink(newp);
    chmod(keys, 0644);
    ok(oak_keyfile_add_key(keys, id, sizeof id, err, sizeof err) < 0 && strstr(err, "chmod 600"),
       "add_key checks the mode too: %s", err);
    ok(!exists(newp), "no keys.new left after a refusal");
    chmod(keys, 0600);
    snprintf(text, sizeof text, "key k1 %s\ncurrent k1\nindex %s\nkey k7 %s\n", hex_a, hex_b, hex_b);
    write_file(bad, text, 0600);
    is_int(oak_keyfile_add_key(bad, id, sizeof id, err, sizeof err), OAK_OK, "add to a file with k1, k7");
    is_str(id, "k8", "the next id follows the highest");
    kr2 = oak_keyring_load(bad, err, sizeof err);
    ok(kr2 && strcmp(oak_keyring_current_id(kr2), "k8") == 0 && oak_keyring_has(kr2, "k7"),
       "reloads with current k8");
    oak_keyring_free(kr2);

    /* signatures for documents people carry */
    {
        static const char card[] = "registry card v1|R530502260001|530502|2026-11";
        char sig[OAK_SIGNATURE_LEN], sig2[OAK_SIGNATURE_LEN], pub[44], code[13], code2[13];
        struct oak_keyring *kr3;
        int alphabet_ok = 1;

        is_int(oak_sign(kr, card, sizeof card - 1, sig), OAK_OK, "sign");
        is_int((long long)strlen(sig), 86, "a signature is 86 base64url characters");
        is_int(oak_sign_verify(kr, card, sizeof card - 1, sig), OAK_OK, "it verifies");
        oak_sign(kr, card, sizeof card - 1, sig2);
        is_str(sig2, sig, "Ed25519 is deterministic: the same card, the same signature");
        is_int(oak_sign_verify(kr, "registry card v1|R530502260002|530502|2026-11", 45, sig), OAK_ETAMPER,
               "another card number does not verify");
        sig2[10] = sig2[10] == 'A' ? 'B' : 'A';
        is_int(oak_sign_verify(kr, card, sizeof card - 1, sig2), OAK_ETAMPER, "a changed signature does not verify");
        is_int(oak_sign_verify(kr, card, sizeof card - 1, "short"), OAK_ETAMPER, "a malformed signature is refused");
        is_int(oak_sign_verify(kr, card, sizeof card - 1, NULL), OAK_ETAMPER, "no signature is refused");
        is_int(oak_sign_public_key(kr, pub), OAK_OK, "public key");
        is_int((long long)strlen(pub), 43, "43 base64url characters");
        ok(openssl_verifies(pub, card, sizeof card - 1, sig),
           "OpenSSL's own Ed25519 verify accepts the card with the published key (offline check)");
        is_int(oak_sign(NULL, card, 3, sig2), OAK_ESTATE, "no key file: OAK_ESTATE");
        snprintf(text, sizeof text, "key k1 %s\ncurrent k1\nindex %s\n", hex_b, hex_a);
        write_file(bad, text, 0600);
        kr3 = oak_keyring_load(bad, err, sizeof err);
        ok(kr3 != NULL, "a second key file");
        is_int(oak_sign_verify(kr3, card, sizeof card - 1, sig), OAK_ETAMPER,
               "another deployment's key does not verify our card");
        oak_keyring_free(kr3);

        is_int(oak_random_code(code, sizeof code), OAK_OK, "random code");
        is_int((long long)strlen(code), 12, "12 characters");
        for (const char *p = code; *p; p++)
            if (!strchr("23456789ABCDEFGHJKMNPQRSTUVWXYZ", *p))
                alphabet_ok = 0;
        ok(alphabet_ok, "from the unambiguous alphabet (%s)", code);
        oak_random_code(code2, sizeof code2);
        ok(strcmp(code, code2) != 0, "two codes differ");
        is_int(oak_random_code(code, 1), OAK_EINVAL, "no room: OAK_EINVAL");
    }

    oak_field_free(NULL, 0);
    free(s_ascii);
    free(s_chinese);
    free(s_new);
    free(s2);
    oak_keyring_free(kr);
    {
        char cmd[300];

        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        ok(system(cmd) == 0, "temp dir removed");
    }
    return done_testing();
}
