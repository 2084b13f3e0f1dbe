/*
 * test_password.c - scrypt hashes: format, verification, wrong passwords,
 * malformed stored values, re-hash detection, the password policy; and
 * TOTP codes against the RFC 6238 test vectors.
 */
#include "password.h"
#include "totp.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

int main(void)
{
    char h1[OAK_PASSWORD_HASH_MAX], h2[OAK_PASSWORD_HASH_MAX];
    unsigned char secret[] = "12345678901234567890", dec[32];
    char b32[64];
    uint64_t step = 0;

    /* low cost keeps the test fast; the format is the same at 17 */
    is_int(oak_password_hash("correct horse 7", 12, h1), 0, "hash");
    ok(strncmp(h1, "$scrypt$ln=12,r=8,p=1$", 22) == 0, "parameters stored with the hash: %.24s", h1);
    is_int(oak_password_hash("correct horse 7", 12, h2), 0, "hash again");
    ok(strcmp(h1, h2) != 0, "per-user salt: same password, different hashes");
    is_int(oak_password_verify("correct horse 7", h1), 1, "right password verifies");
    is_int(oak_password_verify("correct horse 8", h1), 0, "wrong password refused");
    is_int(oak_password_verify("", h1), 0, "empty password refused");
    is_int(oak_password_verify("x", "$scrypt$ln=12,r=8,p=1$garbage"), -1, "malformed hash reported");
    is_int(oak_password_verify("x", "plain"), -1, "non-scrypt value reported");
    is_int(oak_password_verify("x", "$scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA"), -1,
           "absurd cost refused, not attempted");
    is_int(oak_password_needs_rehash(h1, 12), 0, "no re-hash at the same cost");
    is_int(oak_password_needs_rehash(h1, 17), 1, "re-hash when the cost was raised");
    is_int(oak_password_hash("x", 9, h2), -1, "cost below 2^10 refused");
    ok(oak_password_weak("short1") != NULL, "short password weak");
    ok(oak_password_weak("alllowercaseletters") != NULL, "one character class weak");
    ok(oak_password_weak("Lowercase and Upper") == NULL, "two classes fine");
    ok(oak_password_weak("安宁疗护志愿者2026") == NULL, "Chinese with digits fine");

    /* RFC 6238 appendix B, all six SHA-1 rows. The appendix prints 8-digit
     * codes; oakseed's are 6 digits, the same value mod 10^6 (94287082 ->
     * 287082). */
    is_int(oak_totp_code(secret, 20, 59 / 30), 287082, "T=59");
    is_int(oak_totp_code(secret, 20, 1111111109 / 30), 81804, "T=1111111109");
    is_int(oak_totp_code(secret, 20, 1111111111 / 30), 50471, "T=1111111111 (RFC 14050471)");
    is_int(oak_totp_code(secret, 20, 1234567890 / 30), 5924, "T=1234567890");
    is_int(oak_totp_code(secret, 20, 2000000000 / 30), 279037, "T=2000000000");
    is_int(oak_totp_code(secret, 20, 20000000000ULL / 30), 353130,
           "T=20000000000 (RFC 65353130; past 2038, the counter needs 64 bits)");
    ok(oak_totp_verify(secret, 20, "050471", 1111111111, NULL), "verify T=1111111111 with its leading zero");
    ok(oak_totp_verify(secret, 20, "353130", (time_t)20000000000LL, NULL), "verify T=20000000000");
    ok(oak_totp_verify(secret, 20, "005924", 1234567890, &step), "verify at the same step");
    is_int((long long)step, 1234567890 / 30, "matching step reported");
    ok(oak_totp_verify(secret, 20, "005924", 1234567890 + 30, NULL), "one step of clock skew accepted");
    ok(!oak_totp_verify(secret, 20, "005924", 1234567890 + 90, NULL), "three steps later refused");
    ok(!oak_totp_verify(secret, 20, "5924", 1234567890, NULL), "short code refused");
    ok(!oak_totp_verify(secret, 20, "00592a", 1234567890, NULL), "non-digit refused");
    oak_base32_encode(secret, 20, b32);
    is_str(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "base32 of the RFC secret");
    is_int(oak_base32_decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", dec, sizeof dec), 20,
           "decode is case- and space-insensitive");
    ok(memcmp(dec, secret, 20) == 0, "round trip");
    is_int(oak_base32_decode("GEZ1", dec, sizeof dec), -1, "invalid base32 refused");
    return done_testing();
}
