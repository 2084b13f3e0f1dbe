/*
 * test_registry.c - the registry plugin's own helpers (plugins/registry/),
 * linked from its sources and run on plain data through the real host
 * table (core/host.c), without the daemon: masking, access codes as a
 * person types them, the date checks (signed_on, the staff search's
 * from/to), the organs column, the region checks of the forms, the tree of
 * regions behind the public statistics with its small-count rule
 * (stats.c), and the reader of sealed will documents (wills.c; fuzzed by
 * tests/fuzz/fuzz_registry_json.c).
 */
#include "internal.h"

#include "arena.h"
#include "http.h"
#include "json.h"
#include "plugins.h"
#include "tap.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static struct oak_arena arena;
static struct oak_buf hdrs = OAK_BUF_INIT, body = OAK_BUF_INIT;
static struct oak_limits limits = { 1 << 20, 64, 16 };
static struct oak_req req;

/* A new, empty request: its arena and field errors. */
static oak_req *fresh(void)
{
    oak_req_release(&req);
    oak_arena_reset(&arena);
    oak_req_reset(&req, &arena, &hdrs, &body, &limits);
    return (oak_req *)&req;
}

/* The field error recorded on FIELD of the current request, or NULL. */
static const char *field_error(const char *field)
{
    return json_string_value(json_object_get(req.err_fields, field));
}

static int field_errors(void)
{
    return req.err_fields ? (int)json_object_size(req.err_fields) : 0;
}

/* ---- masking ---------------------------------------------------------------- */

static void test_masking(void)
{
    char id[19], m[12];

    registry_mask_id("11010519491231002X", id);
    is_str(id, "110105********002X", "ID number: first 6 and last 4 characters");
    registry_mask_id("530502199005121245", id);
    is_str(id, "530502********1245", "ID number of another region");
    registry_mask_id("53050219900512124", id);
    is_str(id, "******", "17 characters: nothing of it shown");
    registry_mask_id("5305021990051212455", id);
    is_str(id, "******", "19 characters: nothing of it shown");
    registry_mask_id("", id);
    is_str(id, "", "empty ID number: empty");
    registry_mask_id(NULL, id);
    is_str(id, "", "no ID number: empty");
    registry_mask_mobile("13812345678", m);
    is_str(m, "138****5678", "mobile: first 3 and last 4 digits");
    registry_mask_mobile("1381234567", m);
    is_str(m, "****", "10 digits: nothing of it shown");
    registry_mask_mobile("+8613812345678", m);
    is_str(m, "****", "with a country code: nothing of it shown");
    registry_mask_mobile(NULL, m);
    is_str(m, "", "no mobile: empty");
}

/* ---- access codes as typed ---------------------------------------------------------- */

static void test_codes(void)
{
    char code[REGISTRY_CODE_LEN + 1];

    is_int(registry_code_normalise("7KQ2-M9XA-PP3D", code), 0, "a code as shown");
    is_str(code, "7KQ2M9XAPP3D", "dashes dropped");
    is_int(registry_code_normalise("7kq2 m9xa pp3d", code), 0, "lower case with spaces");
    is_str(code, "7KQ2M9XAPP3D", "upper-cased, spaces dropped");
    is_int(registry_code_normalise(" -7KQ2M9XAPP3D- ", code), 0, "dashes and spaces around it");
    is_int(registry_code_normalise("7KQ2-M9XA-PP3", code), -1, "11 characters");
    is_int(registry_code_normalise("7KQ2-M9XA-PP3DD", code), -1, "13 characters");
    is_int(registry_code_normalise("7KQ2-M9XA-PP30", code), -1, "0 is not in the alphabet");
    is_int(registry_code_normalise("7KQ2-M9XA-PP3O", code), -1, "nor O");
    is_int(registry_code_normalise("7KQ2-M9XA-PP3I", code), -1, "nor I");
    is_int(registry_code_normalise("7KQ2-M9XA-PP31", code), -1, "nor 1");
    is_int(registry_code_normalise("7KQ2_M9XA_PP3D", code), -1, "underscores are not separators");
    is_int(registry_code_normalise("７KQ2-M9XA-PP3D", code), -1, "a full-width digit");
    is_int(registry_code_normalise("7KQ2-M9XA-PP3D\n", code), -1, "a line break");
    is_int(registry_code_normalise("", code), -1, "empty");
    is_int(registry_code_normalise("----", code), -1, "only dashes");
    is_int(registry_code_normalise(NULL, code), -1, "NULL");
    is_int(registry_code_normalise("222222222222222222222222", code), -1, "a long code does not overrun");
}

/* ---- dates ------------------------------------------------------------------------ */

static void test_dates(void)
{
    /* signed_on (wills.c): a real day from 1900 on */
    is_int(registry_date_check("2024-06-01"), 0, "2024-06-01 is a day");
    is_int(registry_date_check("2024-02-29"), 0, "29 February of a leap year");
    is_int(registry_date_check("2000-02-29"), 0, "2000 is a leap year (divisible by 400)");
    is_int(registry_date_check("2023-02-29"), -2, "2023-02-29 is no day");
    is_int(registry_date_check("1900-02-29"), -2, "1900 is no leap year (divisible by 100)");
    is_int(registry_date_check("2024-04-31"), -2, "April has 30 days");
    is_int(registry_date_check("2024-12-31"), 0, "31 December");
    is_int(registry_date_check("2024-13-01"), -2, "month 13");
    is_int(registry_date_check("2024-00-10"), -2, "month 0");
    is_int(registry_date_check("2024-01-00"), -2, "day 0");
    is_int(registry_date_check("1900-01-01"), 0, "1900-01-01, the first day allowed");
    is_int(registry_date_check("1899-12-31"), -2, "before 1900");
    is_int(registry_date_check("2024/06/01"), -1, "slashes");
    is_int(registry_date_check("2024-6-1"), -1, "no leading zeros");
    is_int(registry_date_check("20240601"), -1, "no dashes");
    is_int(registry_date_check("2024-06-01T00"), -1, "a time after it");
    is_int(registry_date_check("+024-06-01"), -1, "a sign for a digit");
    is_int(registry_date_check("２０２４-06-01"), -1, "full-width digits");
    is_int(registry_date_check(""), -1, "empty");
    is_int(registry_date_check(NULL), -1, "NULL");
}

/* ---- the organs column ----------------------------------------------------------------- */

static void test_organs(void)
{
    unsigned kidneys = 1u << 3, corneas = 1u << 6;
    int round_trips = 1;

    is_int(registry_organ_bits("kidneys,corneas"), kidneys | corneas, "kidneys,corneas");
    is_str(registry_organ_csv(fresh(), kidneys | corneas), "kidneys,corneas", "and back");
    is_str(registry_organ_csv(fresh(), 0), "", "no organs: empty");
    is_int(registry_organ_bits(""), 0, "empty: none");
    is_int(registry_organ_bits(NULL), 0, "NULL: none");
    is_int(registry_organ_bits("heart"), 1, "heart is bit 0");
    is_int(registry_organ_bits("tissue"), 1u << 7, "tissue is bit 7");
    is_int(registry_organ_bits("small_intestine"), 1u << 5, "small_intestine is bit 5");
    is_int(registry_organ_bits("kidney"), 0, "a prefix of a name is not the name");
    is_int(registry_organ_bits("kidneysx,xheart"), 0, "nor a name with more around it");
    is_int(registry_organ_bits("heartx,heart"), 1, "the exact name after a longer one");
    is_int(registry_organ_bits("lungs,,liver"), (1u << 1) | (1u << 2), "an empty item is skipped");
    is_int(registry_organ_bits("spleen,heart"), 1, "an unknown name is ignored");
    is_int(registry_organ_bits("heart,heart"), 1, "a name twice is one bit");
    for (unsigned bits = 0; bits < 1u << REGISTRY_ORGANS && round_trips; bits++)
        if (registry_organ_bits(registry_organ_csv(fresh(), bits)) != bits) {
            printf("# %u does not round-trip\n", bits);
            round_trips = 0;
        }
    ok(round_trips, "every one of the 256 choices round-trips through the column");
    is_str(registry_organ_csv(fresh(), 0xffu),
           "heart,lungs,liver,kidneys,pancreas,small_intestine,corneas,tissue", "all eight, in order");
    is_int(registry_organ_bits(registry_organ_csv(fresh(), 0x1ffu)), 0xff, "a bit beyond the eight is dropped");
}

/* ---- region checks of the forms ------------------------------------------------------------ */

/* registry_want_region on {"region": VALUE} (VALUE raw JSON; NULL: no member). */
static int region_of(const char *value, int *region)
{
    char text[128];
    json_t *obj;
    int rc;

    snprintf(text, sizeof text, value ? "{\"region\":%s}" : "{}", value);
    obj = json_loads(text, 0, NULL);
    *region = -1;
    rc = registry_want_region(fresh(), (const oak_json *)obj, region);
    json_decref(obj);
    return rc;
}

static int says(const char *field, const char *text)
{
    const char *m = field_error(field);

    return m && strstr(m, text) != NULL;
}

static void test_regions(void)
{
    int region;

    is_int(region_of("\"530502\"", &region), 0, "a county (隆阳区)");
    is_int(region, 530502, "its code");
    is_int(field_errors(), 0, "and no field error");
    is_int(region_of("\"530500\"", &region), 0, "a prefecture (保山市)");
    is_int(region, 530500, "its code");
    is_int(region_of("\"110105\"", &region), 0, "a district of a municipality (北京市朝阳区)");
    is_int(region_of("\"530000\"", &region), -1, "a province alone is refused");
    ok(says("region", "市（州）或区县"), "saying to choose a prefecture or county");
    is_int(region, -1, "and REGION is left alone");
    is_int(region_of("\"539999\"", &region), -1, "an unknown code");
    ok(says("region", "代码未知"), "is said to be unknown");
    is_int(region_of("\"000000\"", &region), -1, "000000");
    is_int(region_of("\"53050\"", &region), -1, "five digits");
    ok(says("region", "6到6个字"), "must be six characters");
    is_int(region_of("\"5305021\"", &region), -1, "seven digits");
    is_int(region_of("530502", &region), -1, "a number, not a string");
    ok(says("region", "应为文字"), "must be text");
    is_int(region_of(NULL, &region), -1, "missing");
    ok(says("region", "请填写所在地区"), "is asked for");
    is_int(region_of("null", &region), -1, "null");
    is_int(region_of("\"\"", &region), -1, "empty");
    is_int(region_of("\"53O502\"", &region), -1, "a letter O for a zero");
}

/* ---- the statistics' tree and its small-count rule ---------------------------------------------- */

#define REG REGISTRY_STAT_REGISTERED
#define WD REGISTRY_STAT_WITHDRAWN

/* How REGION's KIND is shown in M; COUNT gets the count. */
static int cell(const struct registry_month *m, int region, int kind, long long *count)
{
    *count = -1;
    return registry_month_cell(m, region, kind, count);
}

static void test_stats_tree(void)
{
    static const struct registry_count rows[] = {
        { 530502, REG, 3 }, { 530521, REG, 4 }, { 530102, REG, 9 }, { 110105, REG, 6 }, { 530500, REG, 2 },
        { 530502, WD, 1 },
    };
    struct registry_month *m = registry_month_build(rows, sizeof rows / sizeof rows[0]);
    long long n;

    ok(m != NULL, "a month of counts builds");
    if (!m)
        return;
    cell(m, 0, REG, &n);
    is_int(n, 24, "the country: every count");
    cell(m, 530000, REG, &n);
    is_int(n, 18, "云南省: its prefectures");
    cell(m, 530500, REG, &n);
    is_int(n, 9, "保山市: its counties and its own code");
    cell(m, 530502, REG, &n);
    is_int(n, 3, "隆阳区: its own");
    cell(m, 530100, REG, &n);
    is_int(n, 9, "昆明市 holds 五华区");
    cell(m, 110000, REG, &n);
    is_int(n, 6, "北京市 holds 朝阳区");
    is_int(cell(m, 530000, WD, &n), REGISTRY_SMALL, "withdrawals are a kind of their own: 1 in 云南");
    is_int(n, 1, "counted once");
    is_int(cell(m, 110000, WD, &n), REGISTRY_SHOWN, "none in 北京: shown");
    is_int(n, 0, "as 0");
    is_int(cell(m, 532300, REG, &n), -1, "楚雄州, without a record, is not in the tree");
    is_int(cell(m, 999999, REG, &n), -1, "nor an unknown code");
    registry_month_free(m);

    m = registry_month_build(NULL, 0);
    ok(m != NULL, "an empty month builds");
    is_int(m ? cell(m, 0, REG, &n) : -2, REGISTRY_SHOWN, "the country is there");
    is_int(n, 0, "with 0");
    registry_month_free(m);
}

/* COUNTS of registrations; WANT[i] how REGIONS[i] must be shown (-1:
 * not in the month's tree). */
static void rule(const char *what, const struct registry_count *counts, size_t n, const int *regions,
                 const int *want, size_t nwant)
{
    struct registry_month *m = registry_month_build(counts, n);
    static const char *const how[] = { "absent", "shown", "<5", "suppressed" };
    char got[512] = "", expect[512] = "";
    long long c;

    for (size_t i = 0; m && i < nwant; i++) {
        int s = cell(m, regions[i], REG, &c);

        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%06d %s", i ? ", " : "", regions[i],
                 how[s + 1]);
        snprintf(expect + strlen(expect), sizeof expect - strlen(expect), "%s%06d %s", i ? ", " : "",
                 regions[i], how[want[i] + 1]);
    }
    is_str(got, expect, "%s", what);
    registry_month_free(m);
}

#define RULE(what, counts, regions, ...) \
    rule(what, counts, sizeof counts / sizeof counts[0], regions, (const int[]){ __VA_ARGS__ }, \
         sizeof regions / sizeof regions[0])

static void test_stats_rule(void)
{
    enum { A = -1, S = REGISTRY_SHOWN, L = REGISTRY_SMALL, X = REGISTRY_SUPPRESSED };
    static const int bs[] = { 530500, 530502, 530521, 530523 };

    /* 保山市 9 = 隆阳区 7 + 施甸县 2: 9 - 7 would give the 2 */
    static const struct registry_count one_small[] = { { 530502, REG, 7 }, { 530521, REG, 2 } };
    RULE("one <5 beside a number: the number is suppressed too", one_small, bs, S, X, L, A);

    static const struct registry_count two_small[] = { { 530502, REG, 3 }, { 530521, REG, 2 }, { 530523, REG, 6 } };
    RULE("two <5 adding up to 5 (anything from 1+4 to 4+1): nothing more hidden", two_small, bs, S, L, L, S);

    /* 1 + 1 = 2 is the only way to make 2 from two counts of 1 to 4 */
    static const struct registry_count ones[] = { { 530502, REG, 1 }, { 530521, REG, 1 }, { 530523, REG, 6 } };
    RULE("two <5 that can only be 1 + 1: a number is suppressed too", ones, bs, S, L, L, X);

    static const struct registry_count fours[] = { { 530502, REG, 4 }, { 530521, REG, 4 }, { 530523, REG, 7 } };
    RULE("two <5 that can only be 4 + 4: a number is suppressed too", fours, bs, S, L, L, X);

    static const struct registry_count smallest[] = {
        { 530502, REG, 2 }, { 530521, REG, 12 }, { 530523, REG, 8 }, { 530524, REG, 30 }
    };
    static const int bs4[] = { 530502, 530521, 530523, 530524 };
    RULE("the smallest number is the one suppressed", smallest, bs4, L, S, X, S);

    /* a cover of 5 beside a shown 5: a reader knows it is at most 5, so exactly 5 */
    static const struct registry_count ties[] = { { 530502, REG, 5 }, { 530521, REG, 5 }, { 530523, REG, 2 } };
    RULE("a cover that the next number shown would pin down: that one is suppressed too", ties, bs, S, X, X, L);

    static const struct registry_count none[] = { { 530502, REG, 7 }, { 530521, REG, 12 } };
    RULE("no count below 5: everything shown", none, bs, S, S, S, A);

    static const struct registry_count all_small[] = { { 530502, REG, 2 } };
    RULE("a prefecture of only one county with 2: both <5, nothing to work out", all_small, bs, L, L, A, A);

    /* 2 recorded at 保山市's own code, 10 in 隆阳区: 12 - 10 gives the 2 */
    static const struct registry_count own[] = { { 530500, REG, 2 }, { 530502, REG, 10 } };
    RULE("a <5 at the region's own code is protected too", own, bs, S, X, A, A);

    /* 北京 3 beside 云南 12 in the country's group: 云南 is suppressed, and
     * so is each region of its line (each would show the 12 again) */
    static const struct registry_count line[] = { { 110105, REG, 3 }, { 530502, REG, 12 } };
    static const int chain[] = { 0, 110000, 110105, 530000, 530500, 530502 };
    RULE("a count suppressed in one answer is suppressed in every answer that has it", line, chain,
         S, L, L, X, X, X);

    /* one level down: 楚雄州 9 = 楚雄市 6 + 双柏县 3, beside 保山 20 */
    static const struct registry_count down[] = { { 532301, REG, 6 }, { 532322, REG, 3 }, { 530502, REG, 20 } };
    static const int yn[] = { 530000, 530500, 532300, 532301, 532322 };
    RULE("the province's answer is untouched by a cover in one of its prefectures", down, yn, S, S, S, X, L);
}

/* ---- the reader of sealed documents -------------------------------------------------------------- */

/* 1 when TEXT reads as the JSON WANT (jansson's reading of it). */
static int reads_as(const char *text, const char *want)
{
    oak_json *v = registry_json_parse(text);
    json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);
    int same = v && w && json_equal((json_t *)v, w);

    if (v && !same) {
        char *d = json_dumps((json_t *)v, JSON_ENCODE_ANY);

        printf("# read %s\n", d ? d : "?");
        free(d);
    }
    json_decref((json_t *)v);
    json_decref(w);
    return same;
}

static int refused(const char *text)
{
    oak_json *v = registry_json_parse(text);

    json_decref((json_t *)v);
    return v == NULL;
}

static char *nested(int depth)
{
    char *s = malloc((size_t)depth * 2 + 1);

    for (int i = 0; i < depth; i++) {
        s[i] = '[';
        s[depth + i] = ']';
    }
    s[depth * 2] = '\0';
    return s;
}

static void test_json_reader(void)
{
    json_t *doc = json_pack("{s:{s:s,s:{s:s,s:s},s:s,s:s,s:[{s:s,s:s,s:s}]},s:s,s:[{s:s},{s:s}],s:i,s:b,s:n}",
                            "wishes", "medical_care", "不要插管\n第二行\t制表 \"引号\" \\ / 😀",
                            "life_support", "choice", "do_not_want", "note", "",
                            "comfort", "希望有人握着我的手", "family_message", "\x01\x1f\x7f",
                            "proxies", "name", "李建华", "relation", "丈夫", "mobile", "13711112222",
                            "signed_on", "2024-06-01", "witnesses", "name", "赵敏", "name", "钱立",
                            "version", -42, "flag", 1, "none");
    char *text = oak_json_dump(doc), *deep;
    oak_json *back = text ? registry_json_parse(text) : NULL;

    ok(back && json_equal((json_t *)back, doc), "a will document reads back as it was written (json_dump)");
    json_decref((json_t *)back);
    free(text);
    json_decref(doc);

    ok(reads_as(" {\"a\" : [ 1 , -2, true,false ,null ] }\r\n\t", "{\"a\":[1,-2,true,false,null]}"),
       "white space between tokens");
    ok(reads_as("{}", "{}") && reads_as("[]", "[]") && reads_as("{\"a\":{},\"b\":[]}", "{\"a\":{},\"b\":[]}"),
       "empty containers");
    ok(reads_as("\"\\u4e2d\\u6587\"", "\"中文\""), "\\u escapes");
    ok(reads_as("\"\\ud83d\\ude00\"", "\"😀\""), "a surrogate pair");
    ok(reads_as("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\\"\\\\/\\b\\f\\n\\r\\t\""), "every short escape");
    ok(reads_as("\"\\u00e9\\u0041\"", "\"éA\""), "two- and one-byte characters from escapes");
    ok(reads_as("{\"k\":1,\"k\":2}", "{\"k\":2}"), "a repeated key: the last one");
    ok(reads_as("9223372036854775807", "9223372036854775807"), "the largest integer");
    ok(reads_as("-9223372036854775808", "-9223372036854775808"), "the smallest integer");
    ok(refused("\"\\udc00\""), "a lone low surrogate is refused");
    ok(refused("\"\\ud800\""), "a lone high surrogate");
    ok(refused("\"\\ud800\\u0041\""), "a high surrogate before a character that is not low");
    ok(refused("\"\\u12\""), "a short \\u escape");
    ok(refused("\"\\u12G4\""), "a \\u escape with a letter that is not hex");
    ok(refused("\"\\x41\""), "an unknown escape");
    ok(refused("\"abc"), "a string without its end");
    ok(refused("\"abc\\"), "a backslash at the end");
    ok(refused("\"\xff\xfe\""), "bytes that are not UTF-8");
    ok(refused("\"\xe4\xb8\""), "a cut UTF-8 character");
    ok(refused("1.5") && refused("1e3") && refused("[2E1]"), "reals (our documents have none)");
    ok(refused("-") && refused("[-]"), "a minus alone");
    ok(refused("tru") && refused("nul") && refused("fals"), "cut literals");
    ok(refused(""), "nothing");
    ok(refused("   "), "only white space");
    ok(refused("{} x") && refused("[1] [2]"), "something after the value");
    ok(refused("{\"a\"}") && refused("{\"a\":}") && refused("{\"a\" 1}"), "an object member without its value");
    ok(refused("{a:1}") && refused("{1:1}"), "a key that is not a string");
    ok(refused("[1,]") && refused("{\"a\":1,}") && refused("[,1]") && refused("{,}"), "misplaced commas");
    ok(refused("[1 2]") && refused("{\"a\":1 \"b\":2}"), "missing commas");
    ok(refused("[") && refused("{\"a\":[1,{\"b\":") && refused("]") && refused("}"), "unbalanced brackets");
    deep = nested(16);
    ok(!refused(deep), "16 containers deep");
    free(deep);
    deep = nested(17);
    ok(refused(deep), "17 are refused");
    free(deep);
    deep = nested(5000);
    ok(refused(deep), "5000 too, without running out of stack");
    free(deep);
}

int main(void)
{
    host = &oak_host_table;
    oak_arena_init(&arena, 4096);
    test_masking();
    test_codes();
    test_dates();
    test_organs();
    test_regions();
    test_stats_tree();
    test_stats_rule();
    test_json_reader();
    oak_req_release(&req);
    oak_arena_free(&arena);
    oak_buf_free(&hdrs);
    oak_buf_free(&body);
    return done_testing();
}
