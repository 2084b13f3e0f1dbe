/*
 * fuzz_idcard.c - resident identity numbers and mobile numbers
 * (core/idcard.c).
 *
 * Input: the text to check. Properties: an accepted identity number is 18
 * characters, matches its normalised form, has a real birth date no later
 * than "today" and a non-negative age today; a refusal comes with a
 * message and leaves OUT zeroed; a mobile number is accepted only as 11
 * digits starting 13..19. The ISO 7064 MOD 11-2 check character is worked
 * out again here, independently of idcard.c (weights 2^(17-i) mod 11 by
 * doubling, the character (12 - sum mod 11) mod 11, 10 written X), and
 * must agree with the validator: an accepted number ends in it, a number
 * refused only for its check character does not, and with that character
 * put in its place (every other one of 0-9X, too) the validator says so.
 */
#include "fuzz.h"
#include "idcard.h"

#include <string.h>
#include <strings.h>

/* The check character of the 17 digits D, by the definition: weights
 * W(i) = 2^(17-i) mod 11 for position i = 0..16 (so 2^17 mod 11 first),
 * S = sum D(i) W(i), check value (12 - S mod 11) mod 11, 10 written 'X'.
 * No table shared with core/idcard.c. */
static char mod11_2(const char *d)
{
    int w = 1, s = 0, v;

    for (int i = 16; i >= 0; i--) {
        w = (w * 2) % 11;            /* 2^(17-i) mod 11 */
        s += (d[i] - '0') * w;
    }
    v = (12 - s % 11) % 11;
    return v == 10 ? 'X' : (char)('0' + v);
}

/* 17 digits, then a digit or X/x: the shape the check character applies to. */
static int id_shaped(const char *s)
{
    if (strlen(s) != 18 || strspn(s, "0123456789") < 17)
        return 0;
    return (s[17] >= '0' && s[17] <= '9') || s[17] == 'X' || s[17] == 'x';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct oak_date today = { 2026, 2, 28 };
    struct oak_id_info info, zero;
    const char *why = NULL;
    char *s = fuzz_strdup(data, size), mobile[12];
    int rc;

    if (!s)
        return 0;
    memset(&zero, 0, sizeof zero);

    rc = oak_id_check(s, today, &info, &why);
    if (rc == 0) {
        FUZZ_CHECK(why == NULL);
        FUZZ_CHECK(strlen(s) == 18 && strlen(info.normalized) == 18);
        FUZZ_CHECK(strncasecmp(s, info.normalized, 18) == 0);
        FUZZ_CHECK(info.birth_year >= 1900 && info.birth_month >= 1 && info.birth_month <= 12 &&
                   info.birth_day >= 1 && info.birth_day <= 31);
        FUZZ_CHECK(info.gender == OAK_ID_MALE || info.gender == OAK_ID_FEMALE);
        FUZZ_CHECK(strlen(info.birth) == 10);
        FUZZ_CHECK(oak_id_age(&info, today.year, today.month, today.day) >= 0);
        FUZZ_CHECK(oak_id_age(&info, 1899, 12, 31) == -1);
    } else {
        FUZZ_CHECK(rc >= OAK_ID_ECHECKSUM && rc <= OAK_ID_ELENGTH);
        FUZZ_CHECK(why != NULL && why[0] != '\0');
        FUZZ_CHECK(memcmp(&info, &zero, sizeof info) == 0);
    }
    FUZZ_CHECK(oak_id_age(NULL, 2000, 1, 1) == -1);

    /* the check character, worked out here, agrees with the validator */
    if (id_shaped(s)) {
        char want = mod11_2(s), given = s[17] == 'x' ? 'X' : s[17];

        if (rc == 0)
            FUZZ_CHECK(given == want && info.normalized[17] == want);
        if (rc == OAK_ID_ECHECKSUM)
            FUZZ_CHECK(given != want);
        if (rc == 0 || rc == OAK_ID_ECHECKSUM) {
            /* everything but the check character is right: with each
             * possible one in its place only WANT is accepted */
            static const char chars[] = "0123456789X";
            char t[19];
            struct oak_id_info ti;

            memcpy(t, s, 19);
            for (const char *c = chars; *c; c++) {
                int trc;

                t[17] = *c;
                trc = oak_id_check(t, today, &ti, NULL);
                FUZZ_CHECK(*c == want ? trc == 0 : trc == OAK_ID_ECHECKSUM);
            }
        }
    } else {
        FUZZ_CHECK(rc != 0);
    }

    why = NULL;
    rc = oak_mobile_check(s, mobile, &why);
    if (rc == 0) {
        FUZZ_CHECK(strlen(mobile) == 11 && mobile[0] == '1' && mobile[1] >= '3' && mobile[1] <= '9');
        FUZZ_CHECK(strspn(mobile, "0123456789") == 11);
    } else {
        FUZZ_CHECK(mobile[0] == '\0' && why != NULL);
    }
    free(s);
    return 0;
}
