/*
 * regions.h - China's administrative divisions by GB/T 2260 six-digit code
 * (530000 云南省, 530500 保山市, 530502 隆阳区): names, parents, levels, and
 * the "is this region inside that one" test that staff scopes rely on.
 *
 * The data is a static table compiled into the core (regions_data.c). It
 * holds every provincial-level division and, below them, only the
 * prefectures and counties the project has needed so far; a code that is
 * not in the table is "unknown" and every function here treats it so.
 * Nothing here allocates; all pointers returned point into the static table
 * and live for the life of the process. All functions are thread-safe.
 */
#ifndef OAK_REGIONS_H
#define OAK_REGIONS_H

#include <stddef.h>

#define OAK_REGION_PROVINCE   1 /* 省级: province, autonomous region, municipality, SAR */
#define OAK_REGION_PREFECTURE 2 /* 地级: prefecture-level city, autonomous prefecture */
#define OAK_REGION_COUNTY     3 /* 县级: district, county, county-level city */

struct oak_region {
    int code;         /* six-digit GB/T 2260 code, e.g. 530502 */
    int parent;       /* code of the parent division, 0 for a province */
    int level;        /* OAK_REGION_PROVINCE, _PREFECTURE or _COUNTY */
    const char *name; /* full name in Simplified Chinese, UTF-8 */
};

/* The entry for CODE, or NULL when CODE is not in the table. */
const struct oak_region *oak_region_find(int code);

/* The full name of CODE (e.g. "保山市"), or NULL when unknown. */
const char *oak_region_name(int code);

/* The parent of CODE, or 0 for a province or an unknown code. The county-level
 * districts of a municipality (北京市's 110105 朝阳区) have the municipality
 * itself as parent: the table has no 110100 "市辖区" row. */
int oak_region_parent(int code);

/* The level of CODE (OAK_REGION_*), or 0 when unknown. Levels say what kind
 * of division a code is, so a municipality's districts are OAK_REGION_COUNTY
 * although their parent is a province-level entry. */
int oak_region_level(int code);

/* 1 when INNER is OUTER or OUTER is one of INNER's ancestors, else 0.
 * This is the scope test: a staff account scoped to 530000 may see records
 * of 530502. Codes missing from the table are never inside anything but
 * themselves (no guessing from the digits: 530599 is not "in" 530500 unless
 * the table says so), and codes <= 0 are inside nothing, not even themselves. */
int oak_region_within(int inner, int outer);

/* The level-1 ancestor of CODE (CODE itself for a province), or 0 when
 * CODE is unknown. */
int oak_region_province_of(int code);

/* Parse S, which must be exactly six ASCII digits naming a code in the table.
 * Returns the code, or 0 (NULL, wrong length, other characters, unknown). */
int oak_region_parse(const char *s);

/* 1 when TWO_DIGITS (11 for 北京市 ... 82 for 澳门特别行政区) is the first two
 * digits of a provincial-level code in the table, else 0. Used to check the
 * first two digits of a resident identity number. */
int oak_region_province_prefix_valid(int two_digits);

/* Number of entries in the table, and the I-th of them in ascending code
 * order (NULL when I is out of range). For listing and for tests. */
size_t oak_region_count(void);
const struct oak_region *oak_region_at(size_t i);

/* The table itself, defined in regions_data.c, sorted by code. Internal:
 * other code uses the functions above. */
extern const struct oak_region oak_region_table[];
extern const size_t oak_region_table_len;

#endif
