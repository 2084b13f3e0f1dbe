/*
 * donors.c - organ-donor volunteer registration (docs/api.md, "Registry
 * plugin"): the tables, POST /api/registry/donors, lookup / amend /
 * withdraw with ID number + access code, and the signed donor card.
 *
 * Personal data (name, ID number, mobile, emergency contact, guardian,
 * withdrawal reason) is sealed with field_encrypt to its row and region;
 * the ID number is found by blind index. What stays in clear is what
 * identifies nobody alone and what statistics need: age, gender, birth
 * month, ethnicity, region and the donation choices. The record functions
 * at the end (find, open, JSON) serve staff.c too.
 *
 * A person whose registration is withdrawn may register again: that makes
 * a new registration (new number, access code and card) and the withdrawn
 * one is kept as it was, marked superseded_by the new number. id_index,
 * UNIQUE, holds the blind index of the ID number on a person's current
 * registration only (a superseded one holds "superseded:<number>"), so
 * lookups and the 409 for a second registration keep their meaning;
 * person_index holds it on every registration of that person, for the
 * staff search.
 */
#define _POSIX_C_SOURCE 200809L   /* gmtime_r */

#include "registry.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The card signature as issued, so the public verify compares instead of
 * signing again; NULL on rows made before it (verify re-signs those). */
const char registry_sql_card_sig[] = "ALTER TABLE registry_donors ADD COLUMN card_sig TEXT;";

/* Registering again after a withdrawal (see the top of this file), and the
 * signatures of cards an amendment replaced, so that an old card verifies
 * as superseded rather than as not ours. */
const char registry_sql_donor_renewal[] =
    "ALTER TABLE registry_donors ADD COLUMN person_index TEXT;"
    "UPDATE registry_donors SET person_index = id_index;"
    "CREATE INDEX registry_donors_person ON registry_donors(person_index);"
    "ALTER TABLE registry_donors ADD COLUMN superseded_by TEXT;"
    "CREATE TABLE registry_donor_cards ("
    " id INTEGER PRIMARY KEY,"
    " donor_id INTEGER NOT NULL REFERENCES registry_donors(id),"
    " sig TEXT NOT NULL,"
    " superseded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')));"
    "CREATE INDEX registry_donor_cards_donor ON registry_donor_cards(donor_id);";

const char registry_sql_donors[] =
    "CREATE TABLE registry_donors ("
    " id INTEGER PRIMARY KEY,"
    " number TEXT NOT NULL UNIQUE,"
    " region INTEGER NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),"
    " id_index TEXT NOT NULL UNIQUE,"
    " code_hash TEXT NOT NULL,"
    " name_enc TEXT, id_enc TEXT, mobile_enc TEXT, contact_enc TEXT, guardian_enc TEXT,"
    " reason_enc TEXT,"
    " age INTEGER NOT NULL,"
    " gender TEXT NOT NULL CHECK (gender IN ('male', 'female')),"
    " birth_month TEXT NOT NULL,"
    " ethnicity TEXT,"
    " all_organs INTEGER NOT NULL,"
    " organs TEXT NOT NULL DEFAULT '',"
    " body INTEGER NOT NULL,"
    " registered_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
    " updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
    " withdrawn_at TEXT);"
    "CREATE INDEX registry_donors_region ON registry_donors(region, registered_at);"
    "CREATE TABLE registry_donor_revisions ("
    " id INTEGER PRIMARY KEY,"
    " donor_id INTEGER NOT NULL REFERENCES registry_donors(id),"
    " revision INTEGER NOT NULL,"
    " at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
    " what TEXT NOT NULL CHECK (what IN ('registered', 'amended', 'withdrawn')),"
    " fields TEXT NOT NULL DEFAULT '',"
    " actor TEXT NOT NULL,"
    " UNIQUE (donor_id, revision));"
    "CREATE TABLE registry_followups ("
    " id INTEGER PRIMARY KEY,"
    " donor_id INTEGER NOT NULL REFERENCES registry_donors(id),"
    " region INTEGER NOT NULL,"
    " number TEXT NOT NULL,"
    " type TEXT NOT NULL CHECK (type IN ('assign', 'notify', 'review')),"
    " recipient TEXT,"
    " reason TEXT,"
    " source TEXT,"
    " state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done')),"
    " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
    " done_at TEXT,"
    " done_by TEXT);"
    "CREATE INDEX registry_followups_state ON registry_followups(state, region);";

/* A registration's follow-ups (the staff detail view) were found by
 * scanning every follow-up: a view cost grew with the registry. */
const char registry_sql_followups_donor[] =
    "CREATE INDEX registry_followups_donor ON registry_followups(donor_id);";

#define TABLE "registry_donors"
#define ID_DOMAIN "registry.id_number"
#define SEP "\x1f"   /* between the parts of a sealed contact person */

const char *const registry_organ_keys[REGISTRY_ORGANS] = {
    "heart", "lungs", "liver", "kidneys", "pancreas", "small_intestine", "corneas", "tissue"
};
const char *const registry_organ_names[REGISTRY_ORGANS] = {
    "心脏", "肺脏", "肝脏", "肾脏", "胰腺", "小肠", "眼角膜", "组织"
};

/* The 56 recognised ethnic groups (GB/T 3304 order). */
static const char *const ethnic_groups[] = {
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族",
    "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族",
    "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族",
    "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族",
    "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族",
    "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族",
    "基诺族",
};
#define N_ETHNIC (sizeof ethnic_groups / sizeof ethnic_groups[0])

static const char *ethnic_find(const char *s)
{
    for (size_t i = 0; s && i < N_ETHNIC; i++)
        if (strcmp(s, ethnic_groups[i]) == 0)
            return ethnic_groups[i];
    return NULL;
}

static int failed(const char *what, const struct oak_error *err, int rc)
{
    host->log(NULL, OAK_LOG_ERROR, "registry: %s: %s", what, err ? err->message : "failed");
    return rc < 0 ? rc : OAK_ERROR;
}

/* ---- checking what a person sent ------------------------------------------------- */

/* What a registration or amendment carries besides the donor row. */
struct donor_input {
    struct registry_donor d;
    struct oak_id_facts id;
    int guardian_consent;
};

static int check_ethnicity(oak_req *req, const oak_json *obj, struct registry_donor *d)
{
    const oak_json *v = host->json_get(obj, "ethnicity");
    const char *s = host->json_str(v);

    d->ethnicity = NULL;
    if (!v || host->json_type(v) == OAK_JSON_NULL || (s && !*s))
        return 0;
    if (!(d->ethnicity = ethnic_find(s))) {
        host->error_field(req, "ethnicity",
                          "民族应为56个民族之一，如“汉族”“彝族” (ethnicity: one of the 56 groups, by name)");
        return -1;
    }
    return 0;
}

static int check_organs(oak_req *req, const oak_json *list, unsigned *out)
{
    *out = 0;
    if (!list || host->json_type(list) == OAK_JSON_NULL)
        return 0;
    if (host->json_type(list) != OAK_JSON_ARRAY || host->json_size(list) > 16) {
        host->error_field(req, "donation.organs", "捐献器官应为器官名称的列表 (donation.organs must be a list)");
        return -1;
    }
    for (size_t i = 0; i < host->json_size(list); i++) {
        const char *s = host->json_str(host->json_at(list, i));
        int k = -1;

        for (int j = 0; s && j < REGISTRY_ORGANS; j++)
            if (strcmp(s, registry_organ_keys[j]) == 0)
                k = j;
        if (k < 0) {
            host->error_field(req, "donation.organs",
                              "捐献器官含有未知的名称 (donation.organs: use heart, lungs, liver, kidneys, "
                              "pancreas, small_intestine, corneas, tissue)");
            return -1;
        }
        *out |= 1u << k;
    }
    return 0;
}

static int check_donation(oak_req *req, const oak_json *obj, struct registry_donor *d)
{
    const oak_json *o = host->json_get(obj, "donation");
    int all, body, bad;

    if (host->json_type(o) != OAK_JSON_OBJECT) {
        host->error_field(req, "donation", o && host->json_type(o) != OAK_JSON_NULL
                              ? "捐献意愿格式不正确 (donation must be an object)"
                              : "请填写捐献意愿 (donation is required)");
        return -1;
    }
    all = registry_want_bool(req, o, "all_organs", "donation.all_organs", "捐献全部器官");
    body = registry_want_bool(req, o, "body", "donation.body", "遗体捐献");
    bad = check_organs(req, host->json_get(o, "organs"), &d->organs);
    if (all < 0 || body < 0 || bad)
        return -1;
    d->all_organs = all;
    d->body = body;
    if (all && d->organs) {
        host->error_field(req, "donation.organs",
                          "选择捐献全部器官时无需再列出器官 (donation.organs must be empty with all_organs)");
        return -1;
    }
    if (!all && !body && !d->organs) {
        host->error_field(req, "donation", "请至少选择一项捐献意愿 (donation: choose at least one)");
        return -1;
    }
    return 0;
}

static int check_consents(oak_req *req, const oak_json *obj)
{
    static const char *const keys[] = { "voluntary", "informed", "revocable" };
    static const char *const labels[] = {
        "请确认自愿登记 (consents.voluntary must be true)",
        "请确认已了解器官捐献的相关知识 (consents.informed must be true)",
        "请确认知悉可随时撤回登记 (consents.revocable must be true)",
    };
    const oak_json *o = host->json_get(obj, "consents");
    int bad = 0;

    if (host->json_type(o) != OAK_JSON_OBJECT) {
        host->error_field(req, "consents", "请确认三项声明 (consents: voluntary, informed, revocable)");
        return -1;
    }
    for (int i = 0; i < 3; i++) {
        char field[32];

        snprintf(field, sizeof field, "consents.%s", keys[i]);
        if (host->json_type(host->json_get(o, keys[i])) != OAK_JSON_TRUE) {
            host->error_field(req, field, labels[i]);
            bad = -1;
        }
    }
    return bad;
}

/* A minor registers with a guardian's consent; an adult without one. */
static int check_guardian(oak_req *req, const oak_json *obj, struct donor_input *in)
{
    const oak_json *g = host->json_get(obj, "guardian");
    int given = g && host->json_type(g) != OAK_JSON_NULL;

    if (in->id.age >= 18) {
        if (given) {
            host->error_field(req, "guardian", "年满18周岁的登记者无需填写监护人 (guardian: only for minors)");
            return -1;
        }
        return 0;
    }
    if (!given) {
        host->error_field(req, "guardian",
                          "未满18周岁需由监护人同意并填写监护人信息 (guardian: required under 18)");
        return -1;
    }
    if (registry_want_person(req, obj, "guardian", "guardian", "监护人", &in->d.guardian) != 0)
        return -1;
    if (host->json_type(host->json_get(g, "consent")) != OAK_JSON_TRUE) {
        host->error_field(req, "guardian.consent", "请确认监护人同意登记 (guardian.consent must be true)");
        return -1;
    }
    return 0;
}

/* Check a new registration into IN; 0, or -1 with the field messages
 * recorded for the 422. */
static int check_new(oak_req *req, const oak_json *body, struct donor_input *in)
{
    struct registry_donor *d = &in->d;
    int bad = 0, id_ok;

    memset(in, 0, sizeof *in);
    d->name = registry_want_name(req, body, "name", "name", "姓名");
    bad |= !d->name;
    id_ok = registry_want_id(req, body, &in->id) == 0;
    bad |= !id_ok;
    bad |= check_ethnicity(req, body, d) != 0;
    d->mobile = registry_want_mobile(req, body, "mobile", "mobile", "手机号码");
    bad |= !d->mobile;
    bad |= registry_want_region(req, body, &d->region) != 0;
    bad |= check_donation(req, body, d) != 0;
    bad |= registry_want_person(req, body, "emergency_contact", "emergency_contact", "紧急联系人",
                                &d->contact) != 0;
    bad |= check_consents(req, body) != 0;
    if (id_ok)
        bad |= check_guardian(req, body, in) != 0;
    if (bad)
        return -1;
    d->id_number = in->id.normalized;
    d->age = in->id.age;
    d->gender = in->id.gender == 1 ? "male" : "female";
    return 0;
}

/* ---- regional rules ----------------------------------------------------------------- */

static oak_json *organ_list(unsigned organs)
{
    oak_json *a = host->json_array();

    for (int i = 0; i < REGISTRY_ORGANS; i++)
        if (organs & (1u << i))
            host->json_append(a, host->json_string(registry_organ_keys[i]));
    return a;
}

/* What the region's rules see: derived values only, never a name, an ID
 * or a mobile number. */
static oak_json *hook_record(const struct registry_donor *d, int amending, int after)
{
    oak_json *r = host->json_object();
    char code[7];

    registry_region_str(d->region, code);
    if (after)
        host->json_set(r, "number", host->json_string(d->number));
    host->json_set(r, "age", host->json_integer(d->age));
    host->json_set(r, "gender", host->json_string(d->gender));
    if (d->ethnicity)
        host->json_set(r, "ethnicity", host->json_string(d->ethnicity));
    host->json_set(r, "region", host->json_string(code));
    host->json_set(r, "all_organs", host->json_bool(d->all_organs));
    host->json_set(r, "organs", organ_list(d->organs));
    host->json_set(r, "body", host->json_bool(d->body));
    if (!after)
        host->json_set(r, "has_guardian", host->json_bool(d->guardian.name != NULL));
    host->json_set(r, "amending", host->json_bool(amending));
    return r;
}

/* Run registry.validate. OAK_OK with *answer kept for its actions; 1 when
 * the rules refused (422 answered); OAK_ESCRIPT when the script failed. */
static int run_validate(oak_req *req, const struct registry_donor *d, int amending, oak_json **answer)
{
    oak_json *rec = hook_record(d, amending, 0);
    const char *key;
    oak_json *msg, *errors;
    int rc = host->hook_run(req, "registry.validate", d->region, rec, answer);

    host->json_decref(rec);
    if (rc != OAK_OK)
        return rc;
    if (host->json_type(host->json_get(*answer, "accept")) == OAK_JSON_TRUE)
        return OAK_OK;
    errors = host->json_get(*answer, "errors");
    for (void *it = host->json_next(errors, NULL, &key, &msg); it; it = host->json_next(errors, it, &key, &msg))
        host->error_field(req, key, host->json_str(msg));
    if (!host->json_size(errors))
        host->error_field(req, "region", "当地规则不接受此登记 (refused by the regional rules)");
    host->json_decref(*answer);
    *answer = NULL;
    host->error(req, 422, "validation_failed", REGISTRY_CHECK_MSG);
    return 1;
}

/* At most MAX bytes of S, cut on a character boundary (request memory). */
static const char *clip(oak_req *req, const char *s, size_t max)
{
    char *c;
    size_t n;

    if (!s || strlen(s) <= max)
        return s;
    c = host->req_strdup(req, s);
    n = max;
    while (n > 0 && ((unsigned char)c[n] & 0xc0) == 0x80)
        n--;
    c[n] = '\0';
    return c;
}

/* Where a follow-up goes: the region an action names when the record lies
 * inside it (a county's record notifies its prefecture), else the
 * record's own region. */
static int action_region(const oak_json *a, int region)
{
    const oak_json *v = host->json_get(a, "region");
    const char *s = host->json_str(v);
    long long code = s ? strtoll(s, NULL, 10) : host->json_int(v);

    if (code > 0 && code < 1000000 && host->region_name((int)code) &&
        host->region_within(region, (int)code))
        return (int)code;
    return region;
}

/* Each action of a hook's ANSWER becomes a follow-up in the staff queue. */
static int queue_actions(oak_req *req, const oak_json *answer, const struct registry_donor *d)
{
    const oak_json *acts = host->json_get(answer, "actions");
    const char *source = registry_str(answer, "script");
    struct oak_error err;
    oak_stmt *st;
    int rc = OAK_OK;

    for (size_t i = 0; rc == OAK_OK && i < host->json_size(acts); i++) {
        const oak_json *a = host->json_at(acts, i);
        const char *type = registry_str(a, "type");

        if (!type)
            continue;
        if (strcmp(type, "require_review") == 0)
            type = "review";
        rc = host->db_prepare("INSERT INTO registry_followups(donor_id, region, number, type, recipient, "
                              "reason, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &st, &err);
        if (rc != OAK_OK)
            return failed("follow-up", &err, rc);
        host->db_bind_int(st, 1, d->rowid);
        host->db_bind_int(st, 2, action_region(a, d->region));
        host->db_bind_text(st, 3, d->number, -1);
        host->db_bind_text(st, 4, type, -1);
        host->db_bind_text(st, 5, clip(req, registry_str(a, "to"), 120), -1);
        host->db_bind_text(st, 6, clip(req, registry_str(a, "reason"), 600), -1);
        host->db_bind_text(st, 7, source, -1);
        rc = host->db_step(st, &err);
        host->db_finish(st);
        rc = rc == OAK_DONE ? OAK_OK : failed("follow-up", &err, rc);
    }
    return rc;
}

/* Run registry.after_submit inside the transaction and queue its actions. */
static int run_after_submit(oak_req *req, const struct registry_donor *d, int amending)
{
    oak_json *rec = hook_record(d, amending, 1), *answer = NULL;
    int rc = host->hook_run(req, "registry.after_submit", d->region, rec, &answer);

    host->json_decref(rec);
    if (rc == OAK_OK)
        rc = queue_actions(req, answer, d);
    host->json_decref(answer);
    return rc;
}

/* ---- storing -------------------------------------------------------------------------- */

static const char *organ_csv(oak_req *req, unsigned organs)
{
    char buf[160] = "";

    for (int i = 0; i < REGISTRY_ORGANS; i++)
        if (organs & (1u << i)) {
            if (*buf)
                strcat(buf, ",");
            strcat(buf, registry_organ_keys[i]);
        }
    return host->req_strdup(req, buf);
}

static unsigned organ_bits(const char *csv)
{
    unsigned bits = 0;

    for (int i = 0; csv && i < REGISTRY_ORGANS; i++) {
        size_t n = strlen(registry_organ_keys[i]);

        for (const char *p = strstr(csv, registry_organ_keys[i]); p; p = strstr(p + 1, registry_organ_keys[i]))
            if ((p == csv || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
                bits |= 1u << i;
    }
    return bits;
}

/* For the plugin's unit test (internal.h). */
const char *registry_organ_csv(oak_req *req, unsigned organs) { return organ_csv(req, organs); }
unsigned registry_organ_bits(const char *csv) { return organ_bits(csv); }

static char *person_text(oak_req *req, const struct registry_person *p)
{
    size_t n;
    char *s;

    if (!p->name)
        return NULL;
    n = strlen(p->name) + strlen(p->relation) + strlen(p->mobile) + 3;
    s = host->req_alloc(req, n);
    if (s)
        snprintf(s, n, "%s" SEP "%s" SEP "%s", p->name, p->relation, p->mobile);
    return s;
}

static int card_message(char *out, size_t n, const char *number, int region, const char *registered_at)
{
    return snprintf(out, n, "oakseed-donor-card/1|%s|%06d|%.7s", number, region,
                    registered_at ? registered_at : "");
}

/* D's card signature, into request memory: the one issued, or a new one
 * for its number, region and registration month. */
static int card_sign(oak_req *req, struct registry_donor *d)
{
    char msg[96], *sig = host->req_alloc(req, 87);   /* 86 characters, NUL */
    int n = card_message(msg, sizeof msg, d->number, d->region, d->registered_at);

    if (!sig)
        return OAK_ENOMEM;
    if (host->sign(msg, (size_t)n, sig) != OAK_OK)
        return OAK_ERROR;
    d->card_sig = sig;
    return OAK_OK;
}

/* Encrypt PLAIN for column COL of D's row and bind it at IDX (NULL binds
 * NULL). */
static int bind_sealed(oak_stmt *st, int idx, const struct registry_donor *d, const char *col,
                       const char *plain)
{
    struct oak_field_ref ref = { TABLE, col, d->rowid, d->region };
    char *sealed = NULL;
    int rc;

    if (!plain)
        return host->db_bind_null(st, idx);
    rc = host->field_encrypt(&ref, plain, strlen(plain), &sealed);
    if (rc != OAK_OK) {
        host->log(NULL, OAK_LOG_ERROR, "registry: encrypt %s: error %d", col, rc);
        return rc;
    }
    rc = host->db_bind_text(st, idx, sealed, -1);
    host->free(sealed);
    return rc;
}

/* An amendment that changes the card (a new region) keeps the signature
 * of the card it replaces: that card then verifies as superseded. */
static int keep_replaced_card(const struct registry_donor *d, const char *replaced)
{
    struct oak_error err;
    oak_stmt *st;
    int rc;

    if (!replaced || strcmp(replaced, d->card_sig) == 0)
        return OAK_OK;
    rc = host->db_prepare("INSERT INTO registry_donor_cards(donor_id, sig) VALUES (?1, ?2)", &st, &err);
    if (rc != OAK_OK)
        return failed("card", &err, rc);
    host->db_bind_int(st, 1, d->rowid);
    host->db_bind_text(st, 2, replaced, -1);
    rc = host->db_step(st, &err);
    host->db_finish(st);
    return rc == OAK_DONE ? OAK_OK : failed("card", &err, rc);
}

/* Seal every personal field of D into its row (after an insert, and after
 * an amendment, since the ciphertexts are bound to the row's region), and
 * keep its card signature (card_sign, made before the transaction: it is
 * half a registration's CPU and needs nothing the row holds) with them;
 * REPLACED is the signature of the card an amendment replaced, or NULL. */
static int seal_personal(oak_req *req, struct registry_donor *d, const char *replaced)
{
    struct oak_error err;
    oak_stmt *st;
    int rc = keep_replaced_card(d, replaced);

    if (rc != OAK_OK)
        return rc;
    rc = host->db_prepare("UPDATE registry_donors SET name_enc = ?1, id_enc = ?2, mobile_enc = ?3,"
                          " contact_enc = ?4, guardian_enc = ?5, card_sig = ?7 WHERE id = ?6", &st, &err);
    if (rc != OAK_OK)
        return failed("seal", &err, rc);
    if ((rc = bind_sealed(st, 1, d, "name_enc", d->name)) == OAK_OK &&
        (rc = bind_sealed(st, 2, d, "id_enc", d->id_number)) == OAK_OK &&
        (rc = bind_sealed(st, 3, d, "mobile_enc", d->mobile)) == OAK_OK &&
        (rc = bind_sealed(st, 4, d, "contact_enc", person_text(req, &d->contact))) == OAK_OK &&
        (rc = bind_sealed(st, 5, d, "guardian_enc", person_text(req, &d->guardian))) == OAK_OK) {
        host->db_bind_int(st, 6, d->rowid);
        host->db_bind_text(st, 7, d->card_sig, -1);
        rc = host->db_step(st, &err);
        rc = rc == OAK_DONE ? OAK_OK : failed("seal", &err, rc);
    }
    host->db_finish(st);
    return rc;
}

static int add_revision(const struct registry_donor *d, const char *what, const char *fields)
{
    struct oak_error err;
    oak_stmt *st;
    int rc = host->db_prepare("INSERT INTO registry_donor_revisions(donor_id, revision, what, fields, actor)"
                              " SELECT ?1, coalesce(max(revision), 0) + 1, ?2, ?3, 'registrant'"
                              " FROM registry_donor_revisions WHERE donor_id = ?1", &st, &err);

    if (rc != OAK_OK)
        return failed("revision", &err, rc);
    host->db_bind_int(st, 1, d->rowid);
    host->db_bind_text(st, 2, what, -1);
    host->db_bind_text(st, 3, fields, -1);
    rc = host->db_step(st, &err);
    host->db_finish(st);
    return rc == OAK_DONE ? OAK_OK : failed("revision", &err, rc);
}

/* A new donor's number and registration time, and its card signed for
 * them (before the transaction: see seal_personal). */
static int new_card(oak_req *req, struct registry_donor *d)
{
    char number[17], now[21];
    time_t t = time(NULL);
    struct tm tm;
    int rc = registry_new_number('D', d->region, number);

    if (rc != OAK_OK)
        return rc;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    d->number = host->req_strdup(req, number);
    d->registered_at = host->req_strdup(req, now);
    if (!d->number || !d->registered_at)
        return OAK_ENOMEM;
    return card_sign(req, d);
}

/* Insert D under the number new_card gave it (a new one, signed again,
 * when that is taken). */
static int insert_row(oak_req *req, struct registry_donor *d, const char *idx, const char *code_hash,
                      const char *birth_month)
{
    struct oak_error err;
    oak_stmt *st;
    int rc = OAK_EEXIST;

    for (int attempt = 0; attempt < 4 && rc == OAK_EEXIST; attempt++) {
        if (attempt > 0 && (rc = new_card(req, d)) != OAK_OK)
            return rc;
        rc = host->db_prepare("INSERT INTO registry_donors(number, region, id_index, person_index, code_hash,"
                              " age, gender, birth_month, ethnicity, all_organs, organs, body, registered_at)"
                              " VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
                              " RETURNING id", &st, &err);
        if (rc != OAK_OK)
            return failed("insert", &err, rc);
        host->db_bind_text(st, 1, d->number, -1);
        host->db_bind_int(st, 2, d->region);
        host->db_bind_text(st, 3, idx, -1);
        host->db_bind_text(st, 4, code_hash, -1);
        host->db_bind_int(st, 5, d->age);
        host->db_bind_text(st, 6, d->gender, -1);
        host->db_bind_text(st, 7, birth_month, -1);
        if (d->ethnicity)
            host->db_bind_text(st, 8, d->ethnicity, -1);
        else
            host->db_bind_null(st, 8);
        host->db_bind_int(st, 9, d->all_organs);
        host->db_bind_text(st, 10, organ_csv(req, d->organs), -1);
        host->db_bind_int(st, 11, d->body);
        host->db_bind_text(st, 12, d->registered_at, -1);
        rc = host->db_step(st, &err);
        if (rc == OAK_ROW) {
            d->rowid = host->db_column_int(st, 0);
            d->status = "active";
        }
        host->db_finish(st);
    }
    return rc == OAK_ROW ? OAK_OK : failed("insert", &err, rc);
}

/* 1 when the ID number behind IDX has an active registration (a withdrawn
 * one may register again, see supersede_withdrawn). */
static int id_taken(const char *idx, int *rc)
{
    struct oak_error err;
    oak_stmt *st;

    if ((*rc = host->db_prepare("SELECT 1 FROM registry_donors WHERE id_index = ?1 AND status = 'active'",
                                &st, &err)) != OAK_OK)
        return 0;
    host->db_bind_text(st, 1, idx, -1);
    *rc = host->db_step(st, &err);
    host->db_finish(st);
    if (*rc == OAK_ROW || *rc == OAK_DONE) {
        int taken = *rc == OAK_ROW;

        *rc = OAK_OK;
        return taken;
    }
    return 0;
}

/* ---- the card ---------------------------------------------------------------------------- */

static oak_json *card_json(oak_req *req, struct registry_donor *d)
{
    char code[7], month[8];
    const char *rn = host->region_name(d->region);
    oak_json *c;

    if (!d->card_sig && card_sign(req, d) != OAK_OK)
        return NULL;
    registry_region_str(d->region, code);
    snprintf(month, sizeof month, "%.7s", d->registered_at ? d->registered_at : "");
    c = host->json_object();
    host->json_set(c, "number", host->json_string(d->number));
    host->json_set(c, "region", host->json_string(code));
    host->json_set(c, "region_name", host->json_string(rn ? rn : ""));
    host->json_set(c, "month", host->json_string(month));
    host->json_set(c, "donation", host->json_string(registry_donation_text(req, d)));
    host->json_set(c, "signature", host->json_string(d->card_sig));
    return c;
}

/* SIG is D's card signature: the one issued, compared in constant time
 * (the signature is deterministic, so it is the only one that verifies);
 * a row from before the issued one was kept is checked by signing again. */
static int card_matches(const struct registry_donor *d, const char *sig)
{
    char msg[96];
    int n;

    if (d->card_sig)
        return registry_same_secret(sig, d->card_sig);
    n = card_message(msg, sizeof msg, d->number, d->region, d->registered_at);
    return host->sign_verify(msg, (size_t)n, sig) == OAK_OK;
}

/* 1 when SIG is a card of D that an amendment replaced (every kept one is
 * compared, in constant time). */
static int card_replaced(const struct registry_donor *d, const char *sig)
{
    struct oak_error err;
    oak_stmt *st;
    int found = 0;

    if (host->db_prepare("SELECT sig FROM registry_donor_cards WHERE donor_id = ?1", &st, &err) != OAK_OK)
        return 0;
    host->db_bind_int(st, 1, d->rowid);
    while (host->db_step(st, &err) == OAK_ROW)
        found |= registry_same_secret(sig, host->db_column_text(st, 0));
    host->db_finish(st);
    return found;
}

/* GET /api/registry/cards/:number?sig= - is this card ours, and does it
 * still stand? Nothing personal, whatever is asked. */
static int card_verify(oak_req *req, void *ud)
{
    const char *number = host->req_param(req, "number");
    const char *sig = host->req_query(req, "sig");
    struct registry_donor d;
    oak_json *out = host->json_object();
    char month[8];
    int rc;

    (void)ud;
    if (!number || strlen(number) != 16 || !sig || strlen(sig) != 86) {
        host->json_set(out, "valid", host->json_bool(0));
        return host->respond_json(req, 200, out);
    }
    rc = registry_donor_find(req, "number", number, &d);
    if (rc != OAK_OK && rc != OAK_ENOTFOUND) {
        host->json_decref(out);
        return rc;
    }
    if (rc != OAK_OK || !card_matches(&d, sig)) {
        host->json_set(out, "valid", host->json_bool(0));
        if (rc == OAK_OK && card_replaced(&d, sig))
            host->json_set(out, "superseded", host->json_bool(1));
        return host->respond_json(req, 200, out);
    }
    snprintf(month, sizeof month, "%.7s", d.registered_at);
    host->json_set(out, "valid", host->json_bool(1));
    host->json_set(out, "status", host->json_string(d.status));
    host->json_set(out, "region_name", registry_json_text(host->region_name(d.region)));
    host->json_set(out, "month", host->json_string(month));
    return host->respond_json(req, 200, out);
}

/* ---- POST /api/registry/donors ------------------------------------------------------------- */

/* The transaction of one registration: row, sealed fields, revision,
 * follow-ups of both hooks, audit. */
static int store_new(oak_req *req, struct donor_input *in, const char *idx, const char *code_hash,
                     const oak_json *validated)
{
    struct registry_donor *d = &in->d;
    struct registry_superseded old;
    char month[8];
    int rc;

    snprintf(month, sizeof month, "%.7s", in->id.birth_date);
    if ((rc = registry_supersede(req, REGISTRY_DONOR, idx, &old)) != OAK_OK ||
        (rc = insert_row(req, d, idx, code_hash, month)) != OAK_OK ||
        (rc = seal_personal(req, d, NULL)) != OAK_OK ||
        (rc = add_revision(d, "registered", "")) != OAK_OK ||
        (rc = queue_actions(req, validated, d)) != OAK_OK ||
        (rc = run_after_submit(req, d, 0)) != OAK_OK ||
        (old.rowid && (rc = registry_supersede_link(req, REGISTRY_DONOR, &old, d->number)) != OAK_OK))
        return rc;
    return host->audit(req, "registry.donor.create", "donor", d->number, d->region, NULL);
}

/* Answer STATUS with OUT (steals it), then commit the open transaction.
 * respond_json renders the whole answer at once, so once the commit has
 * stored the change nothing is left that could fail and answer an error
 * for it (a registration stored whose access code was never shown, a
 * retry answered 409). When answering or the commit fails, the
 * transaction is rolled back and the code returned: the core answers the
 * error instead of OUT. */
static int commit_answer(oak_req *req, int status, oak_json *out)
{
    struct oak_error err;
    int rc;

    host->set_header(req, "Cache-Control", "no-store");
    rc = host->respond_json(req, status, out);
    if (rc == OAK_OK && (rc = host->db_commit(&err)) != OAK_OK)
        failed("commit", &err, rc);
    if (rc != OAK_OK)
        host->db_rollback();
    return rc;
}

static int donors_create(oak_req *req, void *ud)
{
    const oak_json *body = host->req_json(req);
    struct donor_input in;
    struct oak_error err;
    oak_json *validated = NULL, *out, *card;
    char idx[65], code[REGISTRY_CODE_LEN + 1], shown[15], code_hash[65];
    int rc;

    (void)ud;
    if (host->json_type(body) != OAK_JSON_OBJECT)
        return registry_bad_body(req);
    if (check_new(req, body, &in) != 0)
        return host->error(req, 422, "validation_failed", REGISTRY_CHECK_MSG);
    if ((rc = run_validate(req, &in.d, 0, &validated)) != OAK_OK)
        return rc == 1 ? OAK_OK : rc;
    if ((rc = host->blind_index(ID_DOMAIN, in.id.normalized, 18, idx)) != OAK_OK ||
        (rc = registry_new_code(code, shown)) != OAK_OK ||
        (rc = registry_code_hash("donor.access", code, code_hash)) != OAK_OK ||
        (rc = new_card(req, &in.d)) != OAK_OK || (rc = host->db_begin(&err)) != OAK_OK) {
        host->json_decref(validated);
        return rc;
    }
    if (id_taken(idx, &rc)) {
        host->db_rollback();
        host->json_decref(validated);
        return host->error(req, 409, "already_registered",
                           "该身份证号已登记，请使用查询码查询或修改登记 (already registered: look up or amend instead)");
    }
    if (rc == OAK_OK)
        rc = store_new(req, &in, idx, code_hash, validated);
    host->json_decref(validated);
    if (rc != OAK_OK || (card = card_json(req, &in.d)) == NULL) {
        host->db_rollback();
        return rc != OAK_OK ? rc : OAK_ERROR;
    }
    /* the answer is given before the commit (commit_answer): memory
     * running out while giving it undoes the registration rather than
     * storing one whose access code was never shown */
    out = host->json_object();
    host->json_set(out, "number", host->json_string(in.d.number));
    host->json_set(out, "access_code", host->json_string(shown));
    host->json_set(out, "status", host->json_string("active"));
    host->json_set(out, "card", card);
    return commit_answer(req, 201, out);
}

/* ---- lookup, amend, withdraw ------------------------------------------------------------------ */

/* Find and open the registration of the ID number + access code in BODY.
 * OAK_OK; 1 when answered (422, 404 or 429); or an error. */
static int authenticate(oak_req *req, const oak_json *body, struct registry_donor *d)
{
    struct oak_id_facts id;
    char idx[65], hash[65];
    int rc, code_ok;

    if ((rc = registry_credentials(req, body, ID_DOMAIN, "donor.access", &id, idx, hash, &code_ok)) != OAK_OK)
        return rc;
    rc = registry_donor_find(req, "id_index", idx, d);
    if (rc != OAK_OK && rc != OAK_ENOTFOUND)
        return rc;
    if (rc == OAK_ENOTFOUND || !code_ok || !registry_same_secret(hash, d->code_hash)) {
        registry_throttle_fail(req, idx);
        return host->error(req, 404, "not_found", REGISTRY_NOT_FOUND_MSG), 1;
    }
    registry_throttle_ok(req, idx);
    return registry_donor_open(req, d);
}

/* Answer 200 with the registrant's own view, the masked record and card,
 * then commit (commit_answer). */
static int commit_own(oak_req *req, struct registry_donor *d)
{
    oak_json *out = registry_donor_json(req, d), *card = card_json(req, d);

    if (!out || !card) {
        host->json_decref(out);
        host->json_decref(card);
        host->db_rollback();
        return OAK_ERROR;
    }
    /* the registrant sees their own name, to print it on their card */
    host->json_set(out, "name", host->json_string(d->name));
    host->json_set(out, "card", card);
    return commit_answer(req, 200, out);
}

/* Run the audit for ACTION in a transaction of its own and answer. */
static int audited_answer(oak_req *req, const char *action, struct registry_donor *d)
{
    struct oak_error err;
    int rc;

    if ((rc = host->db_begin(&err)) != OAK_OK)
        return rc;
    if ((rc = host->audit(req, action, "donor", d->number, d->region, NULL)) != OAK_OK) {
        host->db_rollback();
        return rc;
    }
    return commit_own(req, d);
}

static int donors_lookup(oak_req *req, void *ud)
{
    struct registry_donor d;
    int rc = authenticate(req, host->req_json(req), &d);

    (void)ud;
    if (rc != OAK_OK)
        return rc == 1 ? OAK_OK : rc;
    return audited_answer(req, "registry.donor.read", &d);
}

/* Apply the "changes" of an amendment to D; the names of the changed
 * fields go to FIELDS. 0, or -1 with messages recorded. */
static int apply_changes(oak_req *req, const oak_json *ch, struct registry_donor *d, char fields[128])
{
    const char *key;
    oak_json *v;
    int bad = 0;

    *fields = '\0';
    for (void *it = host->json_next(ch, NULL, &key, &v); it; it = host->json_next(ch, it, &key, &v)) {
        if (strcmp(key, "mobile") == 0)
            bad |= !(d->mobile = registry_want_mobile(req, ch, "mobile", "mobile", "手机号码"));
        else if (strcmp(key, "ethnicity") == 0)
            bad |= check_ethnicity(req, ch, d) != 0;
        else if (strcmp(key, "region") == 0)
            bad |= registry_want_region(req, ch, &d->region) != 0;
        else if (strcmp(key, "donation") == 0)
            bad |= check_donation(req, ch, d) != 0;
        else if (strcmp(key, "emergency_contact") == 0)
            bad |= registry_want_person(req, ch, "emergency_contact", "emergency_contact", "紧急联系人",
                                        &d->contact) != 0;
        else {
            char field[80];

            snprintf(field, sizeof field, "changes.%.60s", key);
            host->error_field(req, field, "此项不能在线修改，请联系登记中心 (cannot be changed online; "
                                          "allowed: mobile, ethnicity, region, donation, emergency_contact)");
            bad = 1;
            continue;
        }
        if (strlen(fields) + strlen(key) + 2 < 128) {
            if (*fields)
                strcat(fields, ",");
            strcat(fields, key);
        }
    }
    if (!bad && !*fields) {
        host->error_field(req, "changes", "请填写要修改的内容 (changes: nothing to change)");
        bad = 1;
    }
    return bad ? -1 : 0;
}

static int update_row(oak_req *req, const struct registry_donor *d)
{
    struct oak_error err;
    oak_stmt *st;
    int rc = host->db_prepare("UPDATE registry_donors SET region = ?1, ethnicity = ?2, all_organs = ?3,"
                              " organs = ?4, body = ?5, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
                              " WHERE id = ?6 AND status = 'active'", &st, &err);

    if (rc != OAK_OK)
        return failed("amend", &err, rc);
    host->db_bind_int(st, 1, d->region);
    if (d->ethnicity)
        host->db_bind_text(st, 2, d->ethnicity, -1);
    else
        host->db_bind_null(st, 2);
    host->db_bind_int(st, 3, d->all_organs);
    host->db_bind_text(st, 4, organ_csv(req, d->organs), -1);
    host->db_bind_int(st, 5, d->body);
    host->db_bind_int(st, 6, d->rowid);
    rc = host->db_step(st, &err);
    host->db_finish(st);
    if (rc == OAK_DONE && host->db_changes() != 1)
        return OAK_ENOTFOUND;
    return rc == OAK_DONE ? OAK_OK : failed("amend", &err, rc);
}

/* The rules judge an amendment by the age today. */
static void current_age(struct registry_donor *d)
{
    struct oak_id_facts id;

    if (d->id_number && host->id_check(d->id_number, &id, NULL) == 0)
        d->age = id.age;
}

static int withdrawn_conflict(oak_req *req)
{
    return host->error(req, 409, "withdrawn",
                       "该登记已撤回，不能修改；如需捐献，请重新登记 "
                       "(this registration was withdrawn: register again instead)");
}

static int donors_amend(oak_req *req, void *ud)
{
    const oak_json *body = host->req_json(req), *ch;
    struct registry_donor d;
    struct oak_error err;
    oak_json *validated = NULL;
    const char *replaced;
    char fields[128];
    int rc = authenticate(req, body, &d);

    (void)ud;
    if (rc != OAK_OK)
        return rc == 1 ? OAK_OK : rc;
    if (strcmp(d.status, "active") != 0)
        return withdrawn_conflict(req);
    current_age(&d);
    ch = host->json_get(body, "changes");
    if (host->json_type(ch) != OAK_JSON_OBJECT) {
        host->error_field(req, "changes", "请填写要修改的内容 (changes must be an object)");
        return host->error(req, 422, "validation_failed", REGISTRY_CHECK_MSG);
    }
    if (apply_changes(req, ch, &d, fields) != 0)
        return host->error(req, 422, "validation_failed", REGISTRY_CHECK_MSG);
    if ((rc = run_validate(req, &d, 1, &validated)) != OAK_OK)
        return rc == 1 ? OAK_OK : rc;
    replaced = d.card_sig;
    if ((rc = card_sign(req, &d)) != OAK_OK || (rc = host->db_begin(&err)) != OAK_OK) {
        host->json_decref(validated);
        return rc;
    }
    if ((rc = update_row(req, &d)) == OAK_OK && (rc = seal_personal(req, &d, replaced)) == OAK_OK &&
        (rc = add_revision(&d, "amended", fields)) == OAK_OK &&
        (rc = queue_actions(req, validated, &d)) == OAK_OK && (rc = run_after_submit(req, &d, 1)) == OAK_OK)
        rc = host->audit(req, "registry.donor.amend", "donor", d.number, d.region, fields);
    host->json_decref(validated);
    if (rc == OAK_OK)
        return commit_own(req, &d);
    host->db_rollback();
    return rc == OAK_ENOTFOUND ? withdrawn_conflict(req) : rc;
}

static int mark_withdrawn(oak_req *req, struct registry_donor *d, const char *reason)
{
    struct oak_error err;
    oak_stmt *st;
    int rc = host->db_prepare("UPDATE registry_donors SET status = 'withdrawn', reason_enc = ?1,"
                              " withdrawn_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), updated_at ="
                              " strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?2 AND status = 'active'"
                              " RETURNING withdrawn_at", &st, &err);

    if (rc != OAK_OK)
        return failed("withdraw", &err, rc);
    if ((rc = bind_sealed(st, 1, d, "reason_enc", reason)) == OAK_OK) {
        host->db_bind_int(st, 2, d->rowid);
        rc = host->db_step(st, &err);
        if (rc == OAK_ROW) {
            d->withdrawn_at = host->req_strdup(req, host->db_column_text(st, 0));
            d->status = "withdrawn";
            rc = OAK_OK;
        } else {
            rc = failed("withdraw", &err, rc);
        }
    }
    host->db_finish(st);
    return rc;
}

static int donors_withdraw(oak_req *req, void *ud)
{
    const oak_json *body = host->req_json(req);
    const char *reason = NULL;
    struct registry_donor d;
    struct oak_error err;
    int rc = authenticate(req, body, &d);

    (void)ud;
    if (rc != OAK_OK)
        return rc == 1 ? OAK_OK : rc;
    if (host->json_get(body, "reason") && host->json_type(host->json_get(body, "reason")) != OAK_JSON_NULL &&
        !(reason = registry_want_text(req, body, "reason", "reason", "撤回原因", 1, 200)))
        return host->error(req, 422, "validation_failed", REGISTRY_CHECK_MSG);
    if (strcmp(d.status, "active") != 0)
        return audited_answer(req, "registry.donor.read", &d);
    if ((rc = host->db_begin(&err)) != OAK_OK)
        return rc;
    if ((rc = mark_withdrawn(req, &d, reason)) == OAK_OK && (rc = add_revision(&d, "withdrawn", "status")) == OAK_OK)
        rc = host->audit(req, "registry.donor.withdraw", "donor", d.number, d.region, NULL);
    if (rc == OAK_OK)
        return commit_own(req, &d);
    host->db_rollback();
    return rc;
}

/* ---- the record, for this file and staff.c ------------------------------------------------------ */

#define DONOR_COLUMNS "id, number, region, status, code_hash, age, gender, ethnicity, all_organs, organs," \
                      " body, registered_at, withdrawn_at, card_sig"

static const char *dup_col(oak_req *req, oak_stmt *st, int col)
{
    const char *s = host->db_column_text(st, col);

    return s ? host->req_strdup(req, s) : NULL;
}

int registry_donor_find(oak_req *req, const char *by, const char *key, struct registry_donor *d)
{
    struct oak_error err;
    oak_stmt *st;
    int rc = host->db_prepare(strcmp(by, "number") == 0
                                  ? "SELECT " DONOR_COLUMNS " FROM registry_donors WHERE number = ?1"
                                  : "SELECT " DONOR_COLUMNS " FROM registry_donors WHERE id_index = ?1",
                              &st, &err);

    memset(d, 0, sizeof *d);
    if (rc != OAK_OK)
        return failed("find", &err, rc);
    host->db_bind_text(st, 1, key, -1);
    rc = host->db_step(st, &err);
    if (rc == OAK_ROW) {
        d->rowid = host->db_column_int(st, 0);
        d->number = dup_col(req, st, 1);
        d->region = (int)host->db_column_int(st, 2);
        d->status = dup_col(req, st, 3);
        d->code_hash = dup_col(req, st, 4);
        d->age = (int)host->db_column_int(st, 5);
        d->gender = dup_col(req, st, 6);
        d->ethnicity = ethnic_find(host->db_column_text(st, 7));
        d->all_organs = (int)host->db_column_int(st, 8);
        d->organs = organ_bits(host->db_column_text(st, 9));
        d->body = (int)host->db_column_int(st, 10);
        d->registered_at = dup_col(req, st, 11);
        d->withdrawn_at = dup_col(req, st, 12);
        d->card_sig = dup_col(req, st, 13);
    }
    host->db_finish(st);
    if (rc == OAK_ROW)
        return d->number && d->status ? OAK_OK : OAK_ENOMEM;
    return rc == OAK_DONE ? OAK_ENOTFOUND : failed("find", &err, rc);
}

/* Decrypt column COL of D's row, given as STORED, into request memory. */
static int unseal(oak_req *req, const struct registry_donor *d, const char *col, const char *stored,
                  const char **out)
{
    struct oak_field_ref ref = { TABLE, col, d->rowid, d->region };
    char *plain = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    if (!stored)
        return OAK_OK;
    rc = host->field_decrypt(&ref, stored, &plain, &len);
    if (rc != OAK_OK) {
        host->log(NULL, OAK_LOG_ERROR, "registry: decrypt %s of donor %s: error %d", col, d->number, rc);
        return rc;
    }
    *out = host->req_strdup(req, plain);
    host->field_free(plain, len);
    return *out ? OAK_OK : OAK_ENOMEM;
}

static void split_person(oak_req *req, const char *text, struct registry_person *p)
{
    char *s = text ? host->req_strdup(req, text) : NULL, *a, *b;

    memset(p, 0, sizeof *p);
    if (!s || !(a = strchr(s, SEP[0])) || !(b = strchr(a + 1, SEP[0])))
        return;
    *a = *b = '\0';
    p->name = s;
    p->relation = a + 1;
    p->mobile = b + 1;
}

int registry_donor_open(oak_req *req, struct registry_donor *d)
{
    struct oak_error err;
    oak_stmt *st;
    const char *contact = NULL, *guardian = NULL;
    int rc = host->db_prepare("SELECT name_enc, id_enc, mobile_enc, contact_enc, guardian_enc"
                              " FROM registry_donors WHERE id = ?1", &st, &err);

    if (rc != OAK_OK)
        return failed("open", &err, rc);
    host->db_bind_int(st, 1, d->rowid);
    rc = host->db_step(st, &err);
    if (rc == OAK_ROW) {
        if ((rc = unseal(req, d, "name_enc", host->db_column_text(st, 0), &d->name)) == OAK_OK &&
            (rc = unseal(req, d, "id_enc", host->db_column_text(st, 1), &d->id_number)) == OAK_OK &&
            (rc = unseal(req, d, "mobile_enc", host->db_column_text(st, 2), &d->mobile)) == OAK_OK &&
            (rc = unseal(req, d, "contact_enc", host->db_column_text(st, 3), &contact)) == OAK_OK)
            rc = unseal(req, d, "guardian_enc", host->db_column_text(st, 4), &guardian);
    } else {
        rc = rc == OAK_DONE ? OAK_ENOTFOUND : failed("open", &err, rc);
    }
    host->db_finish(st);
    if (rc != OAK_OK)
        return rc;
    split_person(req, contact, &d->contact);
    split_person(req, guardian, &d->guardian);
    return OAK_OK;
}

int registry_donor_reason(oak_req *req, const struct registry_donor *d, const char **reason)
{
    struct oak_error err;
    oak_stmt *st;
    int rc = host->db_prepare("SELECT reason_enc FROM registry_donors WHERE id = ?1", &st, &err);

    *reason = NULL;
    if (rc != OAK_OK)
        return failed("reason", &err, rc);
    host->db_bind_int(st, 1, d->rowid);
    rc = host->db_step(st, &err);
    if (rc == OAK_ROW)
        rc = unseal(req, d, "reason_enc", host->db_column_text(st, 0), reason);
    else
        rc = rc == OAK_DONE ? OAK_ENOTFOUND : failed("reason", &err, rc);
    host->db_finish(st);
    return rc;
}

const char *registry_donation_text(oak_req *req, const struct registry_donor *d)
{
    char buf[256] = "";

    if (d->all_organs)
        strcat(buf, "全部器官");
    for (int i = 0; i < REGISTRY_ORGANS; i++)
        if (d->organs & (1u << i)) {
            if (*buf)
                strcat(buf, "、");
            strcat(buf, registry_organ_names[i]);
        }
    if (d->body) {
        if (*buf)
            strcat(buf, "、");
        strcat(buf, "遗体");
    }
    return host->req_strdup(req, buf);
}

static oak_json *person_json(const struct registry_person *p)
{
    oak_json *o = host->json_object();
    char m[12];

    registry_mask_mobile(p->mobile, m);
    host->json_set(o, "name", registry_json_text(p->name));
    host->json_set(o, "relation", registry_json_text(p->relation));
    host->json_set(o, "mobile", host->json_string(m));
    return o;
}

static oak_json *donation_json(oak_req *req, const struct registry_donor *d)
{
    oak_json *o = host->json_object();

    host->json_set(o, "all_organs", host->json_bool(d->all_organs));
    host->json_set(o, "organs", organ_list(d->organs));
    host->json_set(o, "body", host->json_bool(d->body));
    host->json_set(o, "text", host->json_string(registry_donation_text(req, d)));
    return o;
}

oak_json *registry_donor_json(oak_req *req, const struct registry_donor *d)
{
    struct oak_id_facts id;
    oak_json *o, *revs = registry_history_json(
        "SELECT revision, at, what, fields FROM registry_donor_revisions WHERE donor_id = ?1 ORDER BY revision",
        d->rowid, (const char *const[]){ "revision", "at", "what", "fields", NULL });
    char masked[19], m[12], code[7];
    const char *rn = host->region_name(d->region);

    if (!revs)
        return NULL;
    o = host->json_object();
    registry_mask_id(d->id_number, masked);
    registry_mask_mobile(d->mobile, m);
    registry_region_str(d->region, code);
    host->json_set(o, "number", host->json_string(d->number));
    host->json_set(o, "status", host->json_string(d->status));
    host->json_set(o, "name", registry_json_text(d->name));
    host->json_set(o, "id_number", host->json_string(masked));
    /* age today, from the ID number; the stored age is the age when registering */
    host->json_set(o, "age", host->json_integer(d->id_number && host->id_check(d->id_number, &id, NULL) == 0
                                                    ? id.age : d->age));
    host->json_set(o, "gender", registry_json_text(d->gender));
    host->json_set(o, "ethnicity", registry_json_text(d->ethnicity));
    host->json_set(o, "mobile", host->json_string(m));
    host->json_set(o, "region", host->json_string(code));
    host->json_set(o, "region_name", host->json_string(rn ? rn : ""));
    host->json_set(o, "donation", donation_json(req, d));
    host->json_set(o, "emergency_contact", person_json(&d->contact));
    host->json_set(o, "guardian", d->guardian.name ? person_json(&d->guardian) : host->json_null());
    host->json_set(o, "registered_at", registry_json_text(d->registered_at));
    host->json_set(o, "withdrawn_at", registry_json_text(d->withdrawn_at));
    host->json_set(o, "revisions", revs);
    return o;
}

/* ---- init ------------------------------------------------------------------------------------ */

int registry_donors_init(oak_plugin_ctx *ctx, struct oak_error *err)
{
    static const char *const sealed[] = {
        "name_enc", "id_enc", "mobile_enc", "contact_enc", "guardian_enc", "reason_enc"
    };

    for (size_t i = 0; i < sizeof sealed / sizeof sealed[0]; i++)
        if (host->encrypted_column(ctx, TABLE, sealed[i], "region", err) != OAK_OK)
            return err->code ? err->code : OAK_ERROR;
    if (host->route(ctx, "POST", "/api/registry/donors", OAK_PUBLIC, donors_create, NULL, err) ||
        host->route(ctx, "POST", "/api/registry/donors/lookup", OAK_PUBLIC, donors_lookup, NULL, err) ||
        host->route(ctx, "POST", "/api/registry/donors/amend", OAK_PUBLIC, donors_amend, NULL, err) ||
        host->route(ctx, "POST", "/api/registry/donors/withdraw", OAK_PUBLIC, donors_withdraw, NULL, err) ||
        host->route(ctx, "GET", "/api/registry/cards/:number", OAK_PUBLIC, card_verify, NULL, err))
        return err->code ? err->code : OAK_ERROR;
    return OAK_OK;
}
