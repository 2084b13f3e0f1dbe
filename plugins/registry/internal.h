/*
 * internal.h - helpers of single files of the registry plugin that the
 * plugin's own tests reach (tests/unit/test_registry.c and the fuzz target
 * tests/fuzz/fuzz_registry_json.c), next to registry.h, which the files
 * share. Nothing here is exported from the plugin (-fvisibility=hidden).
 * Each wrapper calls the file's static helper as it is; none changes what
 * the plugin does.
 */
#ifndef REGISTRY_INTERNAL_H
#define REGISTRY_INTERNAL_H

#include "registry.h"

/* ---- donors.c ------------------------------------------------------------ */

/* The organs column: "kidneys,corneas" for the bits of ORGANS (request
 * memory), and the bits of such a column (unknown names are ignored). */
const char *registry_organ_csv(oak_req *req, unsigned organs);
unsigned registry_organ_bits(const char *csv);

/* ---- wills.c ------------------------------------------------------------- */

/* The plugin's reader of its sealed will documents (json_dump output): the
 * JSON value TEXT, at most 16 containers deep, integers but no reals; NULL
 * when TEXT is not one. Owned: json_decref. */
oak_json *registry_json_parse(const char *text);

/* ---- stats.c: the small-count rule of the public statistics ------------- */

enum { REGISTRY_STAT_REGISTERED, REGISTRY_STAT_WITHDRAWN, REGISTRY_STAT_WILLS, REGISTRY_STAT_KINDS };

/* How a count is shown: as it is, as "<5" (1 to 4), or "suppressed" (5 or
 * more, hidden so that a "<5" of its group cannot be worked out). */
enum { REGISTRY_SHOWN, REGISTRY_SMALL, REGISTRY_SUPPRESSED };

/* N records of KIND with region code REGION (in one month). */
struct registry_count {
    int region, kind;
    long long n;
};

/* The counts of one month over the tree of regions (the whole country, each
 * province, prefecture and county that has a record, its own code's records
 * apart), with how each is shown: registry_month_build adds up COUNTS (N of
 * them) and hides what the rule hides (see stats.c). NULL when out of
 * memory. Owned: registry_month_free. */
struct registry_month;
struct registry_month *registry_month_build(const struct registry_count *counts, size_t n);
void registry_month_free(struct registry_month *m);
/* REGION's count of KIND (0: the whole country) into *N, and how it is
 * shown (REGISTRY_SHOWN ...); -1 when REGION has no record that month. */
int registry_month_cell(const struct registry_month *m, int region, int kind, long long *n);

#endif
