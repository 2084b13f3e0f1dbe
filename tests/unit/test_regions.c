/*
 * test_regions.c - the GB/T 2260 table and its look-ups (core/regions.c).
 */
#include "regions.h"
#include "tap.h"

static size_t count_children(int parent, int level)
{
    size_t n = 0;

    for (size_t i = 0; i < oak_region_count(); i++) {
        const struct oak_region *r = oak_region_at(i);

        if (r->parent == parent && r->level == level)
            n++;
    }
    return n;
}

static void test_counts(void)
{
    size_t provinces = 0;

    for (size_t i = 0; i < oak_region_count(); i++)
        if (oak_region_at(i)->level == OAK_REGION_PROVINCE)
            provinces++;
    is_int(provinces, 34, "34 provincial-level divisions");
    is_int(count_children(530000, OAK_REGION_PREFECTURE), 16, "云南省 has 16 prefectures");
    is_int(count_children(110000, OAK_REGION_COUNTY), 16, "北京市 has 16 districts");
    is_int(count_children(530100, OAK_REGION_COUNTY), 14, "昆明市 has 14 county-level divisions");
    is_int(count_children(530500, OAK_REGION_COUNTY), 5, "保山市 has 5 county-level divisions");
    is_int(count_children(532300, OAK_REGION_COUNTY), 10, "楚雄彝族自治州 has 10 county-level divisions");
    ok(oak_region_at(oak_region_count()) == NULL, "oak_region_at past the end is NULL");
}

static void test_names(void)
{
    is_str(oak_region_name(530000), "云南省", "530000");
    is_str(oak_region_name(530500), "保山市", "530500");
    is_str(oak_region_name(532300), "楚雄彝族自治州", "532300");
    is_str(oak_region_name(110105), "朝阳区", "110105");
    is_str(oak_region_name(650000), "新疆维吾尔自治区", "650000");
    is_str(oak_region_name(820000), "澳门特别行政区", "820000");
    is_str(oak_region_name(530599), NULL, "unknown code has no name");
    is_str(oak_region_name(0), NULL, "0 has no name");
    is_str(oak_region_name(-530000), NULL, "negative code has no name");
    ok(oak_region_find(999999) == NULL, "find 999999 is NULL");
}

static void test_tree(void)
{
    is_int(oak_region_parent(530502), 530500, "parent of 530502");
    is_int(oak_region_parent(530500), 530000, "parent of 530500");
    is_int(oak_region_parent(530000), 0, "province has no parent");
    is_int(oak_region_parent(123456), 0, "unknown has no parent");
    is_int(oak_region_parent(110105), 110000, "Beijing district parent is 110000");
    is_int(oak_region_level(530000), OAK_REGION_PROVINCE, "level of 530000");
    is_int(oak_region_level(530500), OAK_REGION_PREFECTURE, "level of 530500");
    is_int(oak_region_level(530502), OAK_REGION_COUNTY, "level of 530502");
    is_int(oak_region_level(530599), 0, "level of unknown");
    is_int(oak_region_province_of(530502), 530000, "province of 530502");
    is_int(oak_region_province_of(532301), 530000, "province of 532301");
    is_int(oak_region_province_of(530000), 530000, "province of 530000");
    is_int(oak_region_province_of(110105), 110000, "province of 110105");
    is_int(oak_region_province_of(530599), 0, "province of unknown");
}

static void test_within(void)
{
    ok(oak_region_within(530502, 530000), "530502 within 530000");
    ok(oak_region_within(530502, 530500), "530502 within 530500");
    ok(oak_region_within(530500, 530000), "530500 within 530000");
    ok(oak_region_within(530502, 530502), "530502 within itself");
    ok(oak_region_within(110105, 110000), "110105 within 110000");
    ok(!oak_region_within(530500, 530502), "530500 not within 530502");
    ok(!oak_region_within(530000, 530500), "530000 not within 530500");
    ok(!oak_region_within(530300, 530500), "sibling prefectures");
    ok(!oak_region_within(530502, 530100), "county not within another prefecture");
    ok(!oak_region_within(110105, 530000), "110105 not within 530000");
    ok(!oak_region_within(530599, 530500), "unknown code not within its numeric parent");
    ok(!oak_region_within(530502, 530599), "nothing within an unknown code");
    ok(oak_region_within(530599, 530599), "unknown code within itself");
    ok(!oak_region_within(0, 0), "0 within nothing");
    ok(!oak_region_within(-1, 530000), "negative within nothing");
}

static void test_parse(void)
{
    is_int(oak_region_parse("530500"), 530500, "parse 530500");
    is_int(oak_region_parse("110000"), 110000, "parse 110000");
    is_int(oak_region_parse("53000"), 0, "refuse 5 digits");
    is_int(oak_region_parse("5300000"), 0, "refuse 7 digits");
    is_int(oak_region_parse("abcdef"), 0, "refuse letters");
    is_int(oak_region_parse("999999"), 0, "refuse unknown code");
    is_int(oak_region_parse("53050a"), 0, "refuse trailing letter");
    is_int(oak_region_parse(" 53050"), 0, "refuse leading space");
    is_int(oak_region_parse("530500 "), 0, "refuse trailing space");
    is_int(oak_region_parse("+53050"), 0, "refuse sign");
    is_int(oak_region_parse(""), 0, "refuse empty");
    is_int(oak_region_parse(NULL), 0, "refuse NULL");
}

static void test_prefix(void)
{
    ok(oak_region_province_prefix_valid(53), "53 valid");
    ok(oak_region_province_prefix_valid(11), "11 valid");
    ok(oak_region_province_prefix_valid(65), "65 valid");
    ok(oak_region_province_prefix_valid(82), "82 valid");
    ok(!oak_region_province_prefix_valid(99), "99 invalid");
    ok(!oak_region_province_prefix_valid(10), "10 invalid");
    ok(!oak_region_province_prefix_valid(24), "24 invalid");
    ok(!oak_region_province_prefix_valid(0), "0 invalid");
    ok(!oak_region_province_prefix_valid(5), "5 invalid");
    ok(!oak_region_province_prefix_valid(530), "530 invalid");
}

static void test_table(void)
{
    int sorted = 1, parents = 1, levels = 1, names = 1, codes = 1;

    for (size_t i = 0; i < oak_region_count(); i++) {
        const struct oak_region *r = oak_region_at(i), *p;

        if (i > 0 && oak_region_at(i - 1)->code >= r->code) {
            sorted = 0;
            printf("# not strictly sorted at %d\n", r->code);
        }
        if (r->code < 110000 || r->code > 999999)
            codes = 0;
        if (!r->name || !r->name[0])
            names = 0;
        if (oak_region_find(r->code) != r)
            codes = 0;
        if (r->level == OAK_REGION_PROVINCE) {
            if (r->parent != 0 || r->code % 10000 != 0)
                parents = 0;
            continue;
        }
        p = oak_region_find(r->parent);
        if (!p) {
            parents = 0;
            printf("# %d: parent %d missing\n", r->code, r->parent);
            continue;
        }
        /* a municipality's districts sit directly under it */
        if (p->level != r->level - 1 &&
            !(r->level == OAK_REGION_COUNTY && p->level == OAK_REGION_PROVINCE)) {
            levels = 0;
            printf("# %d: level %d under level %d\n", r->code, r->level, p->level);
        }
        /* the code's own digits agree with its parent's */
        if ((p->level == OAK_REGION_PROVINCE && r->code / 10000 != p->code / 10000) ||
            (p->level == OAK_REGION_PREFECTURE && r->code / 100 != p->code / 100))
            parents = 0;
    }
    ok(sorted, "table strictly sorted (no duplicates)");
    ok(codes, "every code six digits and found by binary search");
    ok(names, "every entry named");
    ok(parents, "every parent exists and its code is a prefix");
    ok(levels, "every parent one level up (or the municipality for its districts)");
}

int main(void)
{
    test_counts();
    test_names();
    test_tree();
    test_within();
    test_parse();
    test_prefix();
    test_table();
    return done_testing();
}
