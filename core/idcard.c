/*
 * idcard.c - resident identity numbers and mobile numbers (see idcard.h).
 * Never log or print the numbers handled here.
 */
#include "idcard.h"
#include "regions.h"

#include <string.h>
#include <time.h>

/* ISO 7064 MOD 11-2 as GB 11643 uses it: weights 2^(17-i) mod 11 for the
 * first 17 digits, and the check character for each remainder 0..10. */
static const int id_weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
static const char id_check_chars[11] = { '1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2' };

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    if (m < 1 || m > 12)
        return 0;
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Compare dates as YYYYMMDD numbers; months and days stay below 100. */
static long date_key(int y, int m, int d)
{
    return (long)y * 10000 + m * 100 + d;
}

static int digits_value(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static int id_fail(int rc, const char *msg, const char **why)
{
    if (why)
        *why = msg;
    return rc;
}

void oak_date_today(struct oak_date *out)
{
    time_t now = time(NULL);
    struct tm tm;

    if (!localtime_r(&now, &tm)) {
        out->year = 1970;
        out->month = 1;
        out->day = 1;
        return;
    }
    out->year = tm.tm_year + 1900;
    out->month = tm.tm_mon + 1;
    out->day = tm.tm_mday;
}

int oak_id_check(const char *id, struct oak_date today, struct oak_id_info *out, const char **why)
{
    int y, m, d, sum = 0;
    char last;

    if (out)
        memset(out, 0, sizeof *out);
    if (why)
        *why = NULL;
    if (!id || strnlen(id, 19) != 18)
        return id_fail(OAK_ID_ELENGTH, "身份证号码应为18位 (must be 18 characters)", why);
    for (int i = 0; i < 17; i++)
        if (!is_digit(id[i]))
            return id_fail(OAK_ID_ECHARSET,
                           "身份证号码应为17位数字加1位数字或X (must be 17 digits followed by a digit or X)",
                           why);
    last = id[17] == 'x' ? 'X' : id[17];
    if (!is_digit(last) && last != 'X')
        return id_fail(OAK_ID_ECHARSET,
                       "身份证号码应为17位数字加1位数字或X (must be 17 digits followed by a digit or X)",
                       why);
    if (!oak_region_province_prefix_valid(digits_value(id, 2)))
        return id_fail(OAK_ID_EREGION, "地区代码无效 (unknown region prefix)", why);

    y = digits_value(id + 6, 4);
    m = digits_value(id + 10, 2);
    d = digits_value(id + 12, 2);
    if (d < 1 || d > days_in_month(y, m))
        return id_fail(OAK_ID_EDATE, "出生日期无效 (invalid birth date)", why);
    if (y < 1900)
        return id_fail(OAK_ID_EDATE, "出生日期不能早于1900年1月1日 (birth date before 1900-01-01)", why);
    if (date_key(y, m, d) > date_key(today.year, today.month, today.day))
        return id_fail(OAK_ID_EDATE, "出生日期不能晚于今天 (birth date is in the future)", why);

    for (int i = 0; i < 17; i++)
        sum += (id[i] - '0') * id_weights[i];
    if (id_check_chars[sum % 11] != last)
        return id_fail(OAK_ID_ECHECKSUM, "身份证号码校验位错误 (check character does not match)", why);

    if (out) {
        memcpy(out->normalized, id, 17);
        out->normalized[17] = last;
        out->normalized[18] = '\0';
        out->region = digits_value(id, 6);
        out->birth_year = y;
        out->birth_month = m;
        out->birth_day = d;
        /* the digits are checked, so the date can be copied as written */
        memcpy(out->birth, id + 6, 4);
        out->birth[4] = '-';
        memcpy(out->birth + 5, id + 10, 2);
        out->birth[7] = '-';
        memcpy(out->birth + 8, id + 12, 2);
        out->birth[10] = '\0';
        out->gender = (id[16] - '0') % 2 ? OAK_ID_MALE : OAK_ID_FEMALE;
    }
    return 0;
}

int oak_id_age(const struct oak_id_info *info, int year, int month, int day)
{
    int bm, bd, age;

    if (!info)
        return -1;
    if (date_key(year, month, day) < date_key(info->birth_year, info->birth_month, info->birth_day))
        return -1;
    bm = info->birth_month;
    bd = info->birth_day;
    if (bm == 2 && bd == 29 && !is_leap(year)) {
        bm = 3;
        bd = 1;
    }
    age = year - info->birth_year;
    if (month < bm || (month == bm && day < bd))
        age--;
    return age;
}

static int mobile_fail(int rc, const char *msg, char *out, const char **why)
{
    if (out)
        out[0] = '\0';
    if (why)
        *why = msg;
    return rc;
}

int oak_mobile_check(const char *s, char out[12], const char **why)
{
    static const char msg_len[] = "手机号码应为11位数字 (must be 11 digits)";
    char digits[16];
    size_t n = 0, total = 0;
    const char *p = s, *num;
    int plus = 0;

    if (why)
        *why = NULL;
    if (!s)
        return mobile_fail(OAK_MOBILE_ELENGTH, msg_len, out, why);
    while (*p == ' ')
        p++;
    if (*p == '+') {
        plus = 1;
        p++;
    }
    for (; *p; p++) {
        if (*p == ' ' || *p == '-')
            continue;
        if (!is_digit(*p))
            return mobile_fail(OAK_MOBILE_ECHARSET,
                               "手机号码只能包含数字、空格和连字符 (only digits, spaces and hyphens allowed)",
                               out, why);
        if (n < sizeof digits - 1)
            digits[n++] = *p;
        total++;
    }
    digits[n] = '\0';
    if (total != n)
        return mobile_fail(OAK_MOBILE_ELENGTH, msg_len, out, why);

    num = digits;
    if (plus) {
        if (n < 2)
            return mobile_fail(OAK_MOBILE_ELENGTH, msg_len, out, why);
        if (digits[0] != '8' || digits[1] != '6')
            return mobile_fail(OAK_MOBILE_ECOUNTRY,
                               "仅支持中国大陆手机号码 (only mainland China numbers, +86)", out, why);
        num += 2;
        n -= 2;
    } else if (n == 13 && digits[0] == '8' && digits[1] == '6') {
        num += 2;
        n -= 2;
    }
    if (n != 11)
        return mobile_fail(OAK_MOBILE_ELENGTH, msg_len, out, why);
    if (num[0] != '1' || num[1] < '3')
        return mobile_fail(OAK_MOBILE_EPREFIX, "手机号码号段无效 (must start with 13 to 19)", out, why);
    if (out)
        memcpy(out, num, 12);
    return 0;
}
