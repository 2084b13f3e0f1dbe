/*
 * idcard.h - checks for PRC resident identity numbers (居民身份证号码,
 * GB 11643-1999) and mainland mobile numbers, and the values derived from
 * an identity number (birth date, age, gender) that Lua hooks get instead
 * of the number itself.
 *
 * These functions never log, print or keep the numbers they are given; the
 * messages they return name what is wrong, never the value. Nothing here
 * allocates; the functions are thread-safe.
 */
#ifndef OAK_IDCARD_H
#define OAK_IDCARD_H

/* A calendar date. "Today" is passed in rather than read from the clock so
 * that checks are testable and the caller decides the time zone (the
 * registries work in China Standard Time). */
struct oak_date {
    int year;  /* e.g. 2024 */
    int month; /* 1..12 */
    int day;   /* 1..31 */
};

/* oak_id_check results: 0 or one of these. */
#define OAK_ID_ELENGTH   -1 /* not 18 characters */
#define OAK_ID_ECHARSET  -2 /* not 17 digits then a digit or X */
#define OAK_ID_EREGION   -3 /* first two digits are no province */
#define OAK_ID_EDATE     -4 /* no such date, before 1900-01-01, or after today */
#define OAK_ID_ECHECKSUM -5 /* ISO 7064 MOD 11-2 check character wrong */

#define OAK_ID_MALE   1
#define OAK_ID_FEMALE 2

struct oak_id_info {
    char normalized[19]; /* the 18 characters, a lowercase x made 'X' */
    int region;          /* first six digits, e.g. 530502 (may be absent from regions.c) */
    int birth_year, birth_month, birth_day;
    char birth[11];      /* "YYYY-MM-DD" */
    int gender;          /* OAK_ID_MALE (17th digit odd) or OAK_ID_FEMALE (even) */
};

/* Fill OUT with today's local date (the process time zone). */
void oak_date_today(struct oak_date *out);

/* Check the 18-character identity number ID as of TODAY: 17 digits then a
 * digit or 'X' ('x' accepted), a known province prefix
 * (oak_region_province_prefix_valid), a real birth date YYYYMMDD at
 * positions 7-14 between 1900-01-01 and TODAY inclusive, and the MOD 11-2
 * check character. Nothing is trimmed: surrounding spaces are refused.
 * Checks run in that order and the first failure is reported.
 * Returns 0 or an OAK_ID_E* code. OUT (may be NULL) is zeroed, then filled
 * only on success. WHY (may be NULL) gets NULL on success, else a static
 * message in Simplified Chinese with English in parentheses, e.g.
 * "身份证号码校验位错误 (check character does not match)". */
int oak_id_check(const char *id, struct oak_date today, struct oak_id_info *out, const char **why);

/* Completed years of age on YEAR-MONTH-DAY (a real date; not checked here)
 * of the holder described by INFO (from a successful oak_id_check). The age goes up on the birthday; someone
 * born on 29 February has their birthday on 1 March in common years.
 * Returns the age, or -1 when the date is before the birth date or INFO is
 * NULL. */
int oak_id_age(const struct oak_id_info *info, int year, int month, int day);

/* oak_mobile_check results: 0 or one of these. */
#define OAK_MOBILE_ECHARSET -1 /* something other than digits, spaces, hyphens, a leading + */
#define OAK_MOBILE_ECOUNTRY -2 /* a + prefix other than +86 */
#define OAK_MOBILE_ELENGTH  -3 /* not 11 digits once the prefix is removed */
#define OAK_MOBILE_EPREFIX  -4 /* not 13x..19x */

/* Check a mainland China mobile number: after removing spaces and hyphens
 * and an optional "+86" or "86" prefix, 11 digits starting 1 then 3-9
 * ("+86 139-1234-5678", "8613912345678", "13912345678").
 * Returns 0 and puts the 11 digits in OUT (NUL-terminated; may be NULL), or
 * an OAK_MOBILE_E* code with OUT set to "". WHY as for oak_id_check. */
int oak_mobile_check(const char *s, char out[12], const char **why);

#endif
