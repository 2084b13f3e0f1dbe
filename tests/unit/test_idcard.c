/*
 * test_idcard.c - identity number and mobile number checks (core/idcard.c).
 * Valid numbers are built here from 17 digits plus a computed check
 * character; apart from the published sample 11010519491231002X they belong
 * to no one.
 */
#include "idcard.h"
#include "tap.h"

static const struct oak_date today = { 2025, 6, 15 };

/* OUT = FIRST17 followed by its MOD 11-2 check character. */
static const char *build_id(char out[19], const char *first17)
{
    static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    int sum = 0;

    for (int i = 0; i < 17; i++) {
        out[i] = first17[i];
        sum += (first17[i] - '0') * w[i];
    }
    out[17] = "10X98765432"[sum % 11];
    out[18] = '\0';
    return out;
}

/* The same number with a check character that is certainly wrong. */
static const char *break_check(char out[19], const char *first17)
{
    build_id(out, first17);
    out[17] = out[17] == '0' ? '1' : '0';
    return out;
}

static void test_valid(void)
{
    struct oak_id_info info;
    const char *why = "unset";
    char id[19];

    is_int(oak_id_check(build_id(id, "53050219800101001"), today, &info, &why), 0, "530502 male valid");
    ok(why == NULL, "why is NULL on success");
    is_int(info.region, 530502, "region 530502");
    is_int(info.gender, OAK_ID_MALE, "17th digit 1 is male");
    is_str(info.birth, "1980-01-01", "birth string");
    is_int(info.birth_year, 1980, "birth year");
    is_int(info.birth_month, 1, "birth month");
    is_int(info.birth_day, 1, "birth day");
    is_str(info.normalized, id, "normalized equals input");

    is_int(oak_id_check(build_id(id, "53050219851231002"), today, &info, NULL), 0, "530502 female valid");
    is_int(info.gender, OAK_ID_FEMALE, "17th digit 2 is female");
    is_str(info.birth, "1985-12-31", "birth 1985-12-31");

    is_int(oak_id_check(build_id(id, "11010520000615123"), today, &info, NULL), 0, "110105 male valid");
    is_int(info.gender, OAK_ID_MALE, "17th digit 3 is male");
    is_int(info.region, 110105, "region 110105");

    is_int(oak_id_check(build_id(id, "11010519900301124"), today, &info, NULL), 0, "110105 female valid");
    is_int(info.gender, OAK_ID_FEMALE, "17th digit 4 is female");

    is_int(oak_id_check("11010519491231002X", today, &info, &why), 0, "public sample 11010519491231002X");
    is_int(info.gender, OAK_ID_FEMALE, "sample is female");
    is_str(info.birth, "1949-12-31", "sample birth date");
    is_str(info.normalized, "11010519491231002X", "sample normalized");

    is_int(oak_id_check("11010519491231002x", today, &info, &why), 0, "lowercase x accepted");
    is_str(info.normalized, "11010519491231002X", "lowercase x normalised to X");

    is_int(oak_id_check(build_id(id, "53230219800101001"), today, NULL, NULL), 0, "NULL out and why allowed");
    /* region prefix only has to be a known province; the county need not be in the table */
    is_int(oak_id_check(build_id(id, "44030419800101001"), today, &info, NULL), 0, "other province valid");
    is_int(info.region, 440304, "region copied even when not in the table");
}

static void test_invalid(void)
{
    struct oak_id_info info;
    const char *why = NULL;
    char id[19];

    is_int(oak_id_check(break_check(id, "53050219800101001"), today, &info, &why), OAK_ID_ECHECKSUM,
           "wrong check digit");
    is_str(why, "身份证号码校验位错误 (check character does not match)", "checksum message");
    is_str(info.normalized, "", "out zeroed on failure");
    is_int(info.region, 0, "out region zeroed on failure");
    is_int(oak_id_check("110105194912310021", today, NULL, NULL), OAK_ID_ECHECKSUM, "sample with digit last");

    is_int(oak_id_check("11010519491231002", today, NULL, &why), OAK_ID_ELENGTH, "17 characters");
    is_str(why, "身份证号码应为18位 (must be 18 characters)", "length message");
    is_int(oak_id_check("11010519491231002X1", today, NULL, NULL), OAK_ID_ELENGTH, "19 characters");
    is_int(oak_id_check("", today, NULL, NULL), OAK_ID_ELENGTH, "empty");
    is_int(oak_id_check(NULL, today, NULL, &why), OAK_ID_ELENGTH, "NULL");
    is_int(oak_id_check(" 11010519491231002X", today, NULL, NULL), OAK_ID_ELENGTH, "leading space");

    is_int(oak_id_check("1101051949A231002X", today, NULL, &why), OAK_ID_ECHARSET, "letter inside");
    ok(why && strstr(why, "(must be 17 digits followed by a digit or X)"), "charset message");
    is_int(oak_id_check("11010519491231002Y", today, NULL, NULL), OAK_ID_ECHARSET, "last Y");
    is_int(oak_id_check("X10105194912310021", today, NULL, NULL), OAK_ID_ECHARSET, "X first");
    is_int(oak_id_check("1101051949123100 X", today, NULL, NULL), OAK_ID_ECHARSET, "space inside");
    is_int(oak_id_check("１10105194912310X", today, NULL, NULL), OAK_ID_ECHARSET,
           "full-width digit (18 bytes) refused");

    is_int(oak_id_check(build_id(id, "99050219800101001"), today, NULL, &why), OAK_ID_EREGION, "province 99");
    is_str(why, "地区代码无效 (unknown region prefix)", "region message");
    is_int(oak_id_check(build_id(id, "00050219800101001"), today, NULL, NULL), OAK_ID_EREGION, "province 00");
    is_int(oak_id_check(build_id(id, "24050219800101001"), today, NULL, NULL), OAK_ID_EREGION, "province 24");
}

static void test_dates(void)
{
    struct oak_id_info info;
    const char *why = NULL;
    char id[19];

    is_int(oak_id_check(build_id(id, "53050220230229001"), today, NULL, &why), OAK_ID_EDATE, "20230229 refused");
    is_str(why, "出生日期无效 (invalid birth date)", "date message");
    is_int(oak_id_check(build_id(id, "53050220240229001"), today, &info, NULL), 0, "20240229 accepted");
    is_str(info.birth, "2024-02-29", "leap day birth string");
    is_int(oak_id_check(build_id(id, "53050219000229001"), today, NULL, NULL), OAK_ID_EDATE,
           "19000229 refused (1900 not leap)");
    is_int(oak_id_check(build_id(id, "53050220000229001"), today, NULL, NULL), 0, "20000229 accepted (2000 leap)");
    is_int(oak_id_check(build_id(id, "53050219801301001"), today, NULL, NULL), OAK_ID_EDATE, "month 13");
    is_int(oak_id_check(build_id(id, "53050219800001001"), today, NULL, NULL), OAK_ID_EDATE, "month 00");
    is_int(oak_id_check(build_id(id, "53050219800100001"), today, NULL, NULL), OAK_ID_EDATE, "day 00");
    is_int(oak_id_check(build_id(id, "53050219800431001"), today, NULL, NULL), OAK_ID_EDATE, "31 April");

    is_int(oak_id_check(build_id(id, "53050218990101001"), today, NULL, &why), OAK_ID_EDATE, "18990101 refused");
    ok(why && strstr(why, "(birth date before 1900-01-01)"), "before-1900 message");
    is_int(oak_id_check(build_id(id, "53050218991231001"), today, NULL, NULL), OAK_ID_EDATE, "18991231 refused");
    is_int(oak_id_check(build_id(id, "53050219000101001"), today, NULL, NULL), 0, "19000101 accepted");

    is_int(oak_id_check(build_id(id, "53050220250616001"), today, NULL, &why), OAK_ID_EDATE, "tomorrow refused");
    ok(why && strstr(why, "(birth date is in the future)"), "future message");
    is_int(oak_id_check(build_id(id, "53050220260101001"), today, NULL, NULL), OAK_ID_EDATE, "next year refused");
    is_int(oak_id_check(build_id(id, "53050220250615001"), today, &info, NULL), 0, "born today accepted");
    is_int(oak_id_age(&info, 2025, 6, 15), 0, "age 0 on the day of birth");
}

static void test_age(void)
{
    struct oak_id_info info;
    char id[19];

    oak_id_check(build_id(id, "53050219800615001"), today, &info, NULL);
    is_int(oak_id_age(&info, 2025, 6, 14), 44, "day before birthday");
    is_int(oak_id_age(&info, 2025, 6, 15), 45, "on birthday");
    is_int(oak_id_age(&info, 2025, 6, 16), 45, "day after birthday");
    is_int(oak_id_age(&info, 2025, 5, 31), 44, "month before");
    is_int(oak_id_age(&info, 2025, 12, 31), 45, "end of year");
    is_int(oak_id_age(&info, 1980, 6, 15), 0, "day of birth");
    is_int(oak_id_age(&info, 1980, 6, 14), -1, "before birth");
    is_int(oak_id_age(NULL, 2025, 1, 1), -1, "NULL info");

    oak_id_check(build_id(id, "53050220000229002"), today, &info, NULL);
    is_int(oak_id_age(&info, 2023, 2, 28), 22, "29 Feb birthday: 28 Feb in a common year");
    is_int(oak_id_age(&info, 2023, 3, 1), 23, "29 Feb birthday: 1 Mar in a common year");
    is_int(oak_id_age(&info, 2024, 2, 28), 23, "29 Feb birthday: 28 Feb in a leap year");
    is_int(oak_id_age(&info, 2024, 2, 29), 24, "29 Feb birthday: 29 Feb in a leap year");
    is_int(oak_id_age(&info, 2100, 2, 28), 99, "2100 is not leap: 28 Feb");
    is_int(oak_id_age(&info, 2100, 3, 1), 100, "2100 is not leap: 1 Mar");
}

static void test_mobile(void)
{
    char out[12];
    const char *why = "unset";

    is_int(oak_mobile_check("13912345678", out, &why), 0, "13912345678");
    is_str(out, "13912345678", "out digits");
    ok(why == NULL, "why NULL on success");
    is_int(oak_mobile_check("+86 139-1234-5678", out, NULL), 0, "+86 139-1234-5678");
    is_str(out, "13912345678", "+86 stripped");
    is_int(oak_mobile_check("8613912345678", out, NULL), 0, "86 prefix");
    is_str(out, "13912345678", "86 stripped");
    is_int(oak_mobile_check("86 139 1234 5678", out, NULL), 0, "86 with spaces");
    is_int(oak_mobile_check(" 139 1234 5678 ", out, NULL), 0, "surrounding spaces");
    is_int(oak_mobile_check("+8619912345678", out, NULL), 0, "+86 199");
    is_int(oak_mobile_check("13912345678", NULL, NULL), 0, "NULL out allowed");

    is_int(oak_mobile_check("12012345678", out, &why), OAK_MOBILE_EPREFIX, "12x refused");
    is_str(why, "手机号码号段无效 (must start with 13 to 19)", "prefix message");
    is_str(out, "", "out empty on failure");
    is_int(oak_mobile_check("23912345678", out, NULL), OAK_MOBILE_EPREFIX, "not starting with 1");
    is_int(oak_mobile_check("+8612012345678", out, NULL), OAK_MOBILE_EPREFIX, "+86 12x refused");
    is_int(oak_mobile_check("1391234567", out, &why), OAK_MOBILE_ELENGTH, "10 digits refused");
    is_str(why, "手机号码应为11位数字 (must be 11 digits)", "length message");
    is_int(oak_mobile_check("139123456789", out, NULL), OAK_MOBILE_ELENGTH, "12 digits refused");
    is_int(oak_mobile_check("+86", out, NULL), OAK_MOBILE_ELENGTH, "+86 alone");
    is_int(oak_mobile_check("+", out, NULL), OAK_MOBILE_ELENGTH, "+ alone");
    is_int(oak_mobile_check("", out, NULL), OAK_MOBILE_ELENGTH, "empty");
    is_int(oak_mobile_check(NULL, out, NULL), OAK_MOBILE_ELENGTH, "NULL");
    is_int(oak_mobile_check("123456789012345678901234567890", out, NULL), OAK_MOBILE_ELENGTH, "very long");
    is_int(oak_mobile_check("1391234567a", out, &why), OAK_MOBILE_ECHARSET, "letter refused");
    ok(why && strstr(why, "(only digits, spaces and hyphens allowed)"), "charset message");
    is_int(oak_mobile_check("139.1234.5678", out, NULL), OAK_MOBILE_ECHARSET, "dots refused");
    is_int(oak_mobile_check("139+12345678", out, NULL), OAK_MOBILE_ECHARSET, "+ inside refused");
    is_int(oak_mobile_check("+1 555 123 4567", out, &why), OAK_MOBILE_ECOUNTRY, "+1 refused");
    ok(why && strstr(why, "+86"), "country message");
}

int main(void)
{
    test_valid();
    test_invalid();
    test_dates();
    test_age();
    test_mobile();
    return done_testing();
}
