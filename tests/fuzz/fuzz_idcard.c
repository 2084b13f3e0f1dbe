/*
 * fuzz_idcard.c - resident identity numbers and mobile numbers
 * (core/idcard.c).
 *
 * Input: the text to check. Properties: an accepted identity number is 18
 * characters, matches its normalised form, has a real birth date no later
 * than "today" and a non-negative age today; a refusal comes with a
 * message and leaves OUT zeroed; a mobile number is accepted only as 11
 * digits starting 13..19.
 */
#include "fuzz.h"
#include "idcard.h"

#include <string.h>
#include <strings.h>

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
