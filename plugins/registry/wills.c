/*
 * wills.c - living wills (我的五个愿望, docs/api.md "Living wills"): the
 * tables, POST /api/registry/wills, lookup / update / revoke with ID
 * number + access code, reading by a named proxy with a proxy code, and
 * the staff read that must give a reason the registrant then sees.
 *
 * A will's contents (the five wishes, the date signed, the witnesses) are
 * one JSON document per version, sealed with field_encrypt to its row and
 * region; versions are never overwritten. The registrant's name, ID and
 * mobile number and each proxy's name are sealed too, the ID number is
 * found by blind index and the codes are kept as keyed hashes. Every read
 * by someone other than the registrant is kept in registry_will_reads and
 * shown to the registrant; the reason a member of staff gives is sealed
 * there too, and it reaches neither a URL nor the audit log.
 *
 * A person whose will is revoked may write a new one: a new will (new
 * number, access code and proxy codes, version 1), while the revoked one is
 * kept with its versions and reads, marked superseded_by the new number.
 * As for donors (donors.c), id_index holds the blind index on a person's
 * current will only ("superseded:<number>" on an earlier one) and
 * person_index on every will of theirs.
 */
#define _POSIX_C_SOURCE 200809L   /* localtime_r */

#include "registry.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char registry_sql_wills[] =
    "CREATE TABLE registry_wills ("
    " id INTEGER PRIMARY KEY,"
    " number TEXT NOT NULL UNIQUE,"
    " region INTEGER NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),"
    " id_index TEXT NOT NULL UNIQUE,"
    " code_hash TEXT NOT NULL,"
    " name_enc TEXT, id_enc TEXT, mobile_enc TEXT,"
    " version INTEGER NOT NULL DEFAULT 1,"
    " registered_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
    " updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
    " revoked_at TEXT);"
    "CREATE INDEX registry_wills_region ON registry_wills(region, registered_at);"
    "CREATE TABLE registry_will_versions ("
    " id INTEGER PRIMARY KEY,"
    " will_id INTEGER NOT NULL REFERENCES registry_wills(id),"
    " region INTEGER NOT NULL,"
    " version INTEGER NOT NULL,"
    " content_enc TEXT,"
    " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
    " UNIQUE (will_id, version));"
    "CREATE TABLE registry_will_proxies ("
    " id INTEGER PRIMARY KEY,"
    " will_id INTEGER NOT NULL REFERENCES registry_wills(id),"
    " region INTEGER NOT NULL,"
    " position INTEGER NOT NULL,"
    " name_enc TEXT,"
    " relation TEXT NOT NULL,"
    " code_hash TEXT NOT NULL,"
    " active INTEGER NOT NULL DEFAULT 1,"
    " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')));"
    "CREATE INDEX registry_will_proxies_will ON registry_will_proxies(will_id);"
    "CREATE TABLE registry_will_reads ("
    " id INTEGER PRIMARY KEY,"
    " will_id INTEGER NOT NULL REFERENCES registry_wills(id),"
    " region INTEGER NOT NULL,"
    " at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
    " kind TEXT NOT NULL CHECK (kind IN ('proxy', 'staff')),"
    " proxy_id INTEGER REFERENCES registry_will_proxies(id),"
    " staff TEXT,"
    " who_enc TEXT,"
    " reason TEXT);"
    "CREATE INDEX registry_will_reads_will ON registry_will_reads(will_id);";

/* Writing a new will after a revocation (see the top of this file), and the
 * staff's reasons sealed: reads from before keep theirs in the clear column
 * "reason" until the will is next read, when they are sealed too. */
const char registry_sql_will_renewal[] =
    "ALTER TABLE registry_wills ADD COLUMN person_index TEXT;"
    "UPDATE registry_wills SET person_index = id_index;"
    "CREATE INDEX registry_wills_person ON registry_wills(person_index);"
    "ALTER TABLE registry_wills ADD COLUMN superseded_by TEXT;"
    "ALTER TABLE registry_will_reads ADD COLUMN reason_enc TEXT;";

#define WILLS "registry_wills"
#define VERSIONS "registry_will_versions"
#define PROXIES "registry_will_proxies"
#define READS "registry_will_reads"
#define ID_DOMAIN "registry.will_id_number"
#define MAX_PROXIES 3
#define N_WITNESSES 2
#define PROXY_NOT_FOUND_MSG "预嘱编号或代理人查询码不正确 (will number or proxy code not recognised)"
#define NO_WILL_MSG "未找到该生前预嘱 (living will not found)"

static int failed(const char *what, const struct oak_error *err, int rc)
{
    host->log(NULL, OAK_LOG_ERROR, "registry: will %s: %s", what, err ? err->message : "failed");
    return rc < 0 ? rc : OAK_ERROR;
}

/* ---- reading a sealed document back ----------------------------------------------- */

/* The host can write JSON but not parse it for a plugin, so the sealed
 * documents (our own json_dump output) are read back by this small parser.
 * Its buffers are wiped before they are freed: they hold will contents. */
struct jp {
    const char *p;
    int depth;
};

static void jp_ws(struct jp *j)
{
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
        j->p++;
}

static int jp_hex4(const char *s, unsigned *out)
{
    *out = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        unsigned d;

        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return -1;
        *out = *out << 4 | d;
    }
    return 0;
}

static size_t jp_utf8(unsigned cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A \u escape at S (after the backslash and 'u'), a surrogate pair
 * included; the code point into *CP, the characters used into *USED. */
static int jp_unicode(const char *s, unsigned *cp, size_t *used)
{
    unsigned lo;

    if (jp_hex4(s, cp) != 0)
        return -1;
    *used = 4;
    if (*cp >= 0xdc00 && *cp <= 0xdfff)
        return -1;
    if (*cp >= 0xd800 && *cp <= 0xdbff) {
        if (s[4] != '\\' || s[5] != 'u' || jp_hex4(s + 6, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
            return -1;
        *cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
        *used = 10;
    }
    return 0;
}

/* The string at j->p (its opening quote), decoded. */
static oak_json *jp_string(struct jp *j)
{
    const char *s = j->p + 1, *e = s;
    size_t cap, n = 0;
    char *buf;
    oak_json *v = NULL;

    while (*e && *e != '"')
        e += *e == '\\' && e[1] ? 2 : 1;
    if (*e != '"')
        return NULL;
    cap = (size_t)(e - s) + 4;
    if (!(buf = malloc(cap)))
        return NULL;
    while (s < e) {
        if (*s != '\\') {
            buf[n++] = *s++;
            continue;
        }
        s++;
        switch (*s) {
        case '"': case '\\': case '/': buf[n++] = *s; s++; break;
        case 'b': buf[n++] = '\b'; s++; break;
        case 'f': buf[n++] = '\f'; s++; break;
        case 'n': buf[n++] = '\n'; s++; break;
        case 'r': buf[n++] = '\r'; s++; break;
        case 't': buf[n++] = '\t'; s++; break;
        case 'u': {
            unsigned cp;
            size_t used;

            /* 6 or 12 escaped characters become at most 4 bytes */
            if (s + 5 > e || jp_unicode(s + 1, &cp, &used) != 0)
                goto out;
            n += jp_utf8(cp, buf + n);
            s += 1 + used;
            break;
        }
        default:
            goto out;
        }
    }
    v = host->json_stringn(buf, n);
    j->p = e + 1;
out:
    memset(buf, 0, cap);
    free(buf);
    return v;
}

static oak_json *jp_value(struct jp *j);

/* An object or array at j->p; CLOSE is '}' or ']'. */
static oak_json *jp_container(struct jp *j, char close)
{
    oak_json *c = close == '}' ? host->json_object() : host->json_array();

    if (!c || ++j->depth > 16)
        goto bad;
    j->p++;
    jp_ws(j);
    if (*j->p == close) {
        j->p++;
        j->depth--;
        return c;
    }
    for (;;) {
        oak_json *key = NULL, *val;

        if (close == '}') {
            jp_ws(j);
            if (*j->p != '"' || !(key = jp_string(j)))
                goto bad;
            jp_ws(j);
            if (*j->p != ':') {
                host->json_decref(key);
                goto bad;
            }
            j->p++;
        }
        val = jp_value(j);
        if (!val) {
            host->json_decref(key);
            goto bad;
        }
        if (key) {
            host->json_set(c, host->json_str(key), val);
            host->json_decref(key);
        } else {
            host->json_append(c, val);
        }
        jp_ws(j);
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p != close)
            goto bad;
        j->p++;
        j->depth--;
        return c;
    }
bad:
    host->json_decref(c);
    return NULL;
}

static oak_json *jp_value(struct jp *j)
{
    jp_ws(j);
    switch (*j->p) {
    case '{':
        return jp_container(j, '}');
    case '[':
        return jp_container(j, ']');
    case '"':
        return jp_string(j);
    case 't':
        if (strncmp(j->p, "true", 4) != 0)
            return NULL;
        j->p += 4;
        return host->json_bool(1);
    case 'f':
        if (strncmp(j->p, "false", 5) != 0)
            return NULL;
        j->p += 5;
        return host->json_bool(0);
    case 'n':
        if (strncmp(j->p, "null", 4) != 0)
            return NULL;
        j->p += 4;
        return host->json_null();
    default: {
        char *end;
        long long v = strtoll(j->p, &end, 10);

        /* our documents hold no numbers but small integers */
        if (end == j->p || *end == '.' || *end == 'e' || *end == 'E')
            return NULL;
        j->p = end;
        return host->json_integer(v);
    }
    }
}

/* The JSON document TEXT, or NULL when it is not one. Owned. */
static oak_json *parse_doc(const char *text)
{
    struct jp j = { text, 0 };
    oak_json *v = jp_value(&j);

    if (v) {
        jp_ws(&j);
        if (*j.p) {
            host->json_decref(v);
            v = NULL;
        }
    }
    return v;
}

/* For the plugin's unit test and fuzz target (internal.h). */
oak_json *registry_json_parse(const char *text) { return parse_doc(text); }

/* ---- sealing -------------------------------------------------------------------------- */

/* Seal PLAIN (LEN bytes) into COL of row ROWID of TABLE, bound to REGION.
 * TABLE and COL are constants of this file. */
static int seal(const char *table, const char *col, long long rowid, int region, const char *plain,
                size_t len)
{
    struct oak_field_ref ref = { table, col, rowid, region };
    struct oak_error err;
    oak_stmt *st;
    char sql[128], *sealed = NULL;
    int rc;

    if ((rc = host->field_encrypt(&ref, plain, len, &sealed)) != OAK_OK) {
        host->log(NULL, OAK_LOG_ERROR, "registry: will: encrypt %s.%s: error %d", table, col, rc);
        return rc;
    }
    snprintf(sql, sizeof sql, "UPDATE %s SET %s = ?1 WHERE id = ?2", table, col);
    if ((rc = host->db_prepare(sql, &st, &err)) != OAK_OK) {
        host->free(sealed);
        return failed("seal", &err, rc);
    }
    host->db_bind_text(st, 1, sealed, -1);
    host->db_bind_int(st, 2, rowid);
    host->free(sealed);
    rc = host->db_step(st, &err);
    host->db_finish(st);
    return rc == OAK_DONE ? OAK_OK : failed("seal", &err, rc);
}

static int seal_text(const char *table, const char *col, long long rowid, int region, const char *plain)
{
    return seal(table, col, rowid, region, plain, strlen(plain));
}

/* Open STORED from COL of row ROWID of TABLE into request memory. */
static int unseal(oak_req *req, const char *table, const char *col, long long rowid, int region,
                  const char *stored, const char **out)
{
    struct oak_field_ref ref = { table, col, rowid, region };
    char *plain = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    if (!stored)
        return OAK_OK;
    if ((rc = host->field_decrypt(&ref, stored, &plain, &len)) != OAK_OK) {
        host->log(NULL, OAK_LOG_ERROR, "registry: will: decrypt %s.%s of row %lld: error %d", table, col,
                  rowid, rc);
        return rc;
    }
    *out = host->req_strdup(req, plain);
    host->field_free(plain, len);
    return *out ? OAK_OK : OAK_ENOMEM;
}

/* ---- checking what a person sent ---------------------------------------------------------- */

struct proxy_in {
    const char *name, *relation, *mobile;
};

/* What a new will or a new version carries. doc is the sealed document
 * (owned: json_decref). */
struct will_input {
    const char *name, *mobile;
    struct oak_id_facts id;
    int region;
    struct proxy_in proxies[MAX_PROXIES];
    int nproxies;
    oak_json *doc;
};

/* Today's date here, as id_check counts ages. */
static void today(char out[40])
{
    time_t now = time(NULL);
    struct tm tm;

    if (!localtime_r(&now, &tm))
        snprintf(out, 40, "1970-01-01");
    else
        snprintf(out, 40, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* signed_on: a date, not in the future, not before the 18th birthday of
 * the registrant (ID facts, when known). */
static const char *check_signed_on(oak_req *req, const oak_json *obj, const struct oak_id_facts *id)
{
    const char *s = registry_want_text(req, obj, "signed_on", "signed_on", "签署日期", 10, 10);
    char now[40], adult[40];

    if (!s)
        return NULL;
    switch (registry_date_check(s)) {
    case -1:
        host->error_field(req, "signed_on", "签署日期应写作 YYYY-MM-DD (signed_on: a date, YYYY-MM-DD)");
        return NULL;
    case -2:
        host->error_field(req, "signed_on", "签署日期不是有效的日期 (signed_on: no such day)");
        return NULL;
    }
    today(now);
    if (strcmp(s, now) > 0) {
        host->error_field(req, "signed_on", "签署日期不能晚于今天 (signed_on: not in the future)");
        return NULL;
    }
    if (id) {
        snprintf(adult, sizeof adult, "%04d-%02d-%02d", id->birth_year + 18, id->birth_month, id->birth_day);
        if (strcmp(s, adult) < 0) {
            host->error_field(req, "signed_on",
                              "签署日期不能早于年满18周岁之日 (signed_on: not before the 18th birthday)");
            return NULL;
        }
    }
    return s;
}

/* life_support: { choice: want | do_not_want | proxy_decides, note } */
static oak_json *check_life_support(oak_req *req, const oak_json *wishes)
{
    static const char *const choices[] = { "want", "do_not_want", "proxy_decides" };
    const oak_json *o = host->json_get(wishes, "life_support");
    const char *choice, *note;
    oak_json *out;
    int known = 0;

    if (host->json_type(o) != OAK_JSON_OBJECT) {
        host->error_field(req, "wishes.life_support", o && host->json_type(o) != OAK_JSON_NULL
                              ? "第二个愿望（生命支持治疗）格式不正确 (wishes.life_support must be an object)"
                              : "请填写第二个愿望（是否使用生命支持治疗） (wishes.life_support is required)");
        return NULL;
    }
    choice = registry_str(o, "choice");
    for (size_t i = 0; choice && i < 3; i++)
        known |= strcmp(choice, choices[i]) == 0;
    if (!known)
        host->error_field(req, "wishes.life_support.choice",
                          "请选择是否使用生命支持治疗：要、不要或由代理人决定 "
                          "(wishes.life_support.choice: want, do_not_want or proxy_decides)");
    note = registry_want_free_text(req, o, "note", "wishes.life_support.note", "生命支持治疗的说明", 0, 1000);
    if (!known || !note)
        return NULL;
    out = host->json_object();
    host->json_set(out, "choice", host->json_string(choice));
    host->json_set(out, "note", host->json_string(note));
    return out;
}

/* 1 when NAME is one of the first N names of LIST. */
static int name_in(const char *name, const char *const *list, int n)
{
    for (int i = 0; name && i < n; i++)
        if (list[i] && strcmp(name, list[i]) == 0)
            return 1;
    return 0;
}

/* wishes.proxies: 1 to 3 people {name, relation, mobile}, each named once. */
static oak_json *check_proxies(oak_req *req, const oak_json *wishes, struct will_input *in)
{
    const oak_json *list = host->json_get(wishes, "proxies");
    const char *names[MAX_PROXIES] = { NULL };
    size_t n = host->json_type(list) == OAK_JSON_ARRAY ? host->json_size(list) : 0;
    oak_json *out;
    int bad = 0;

    if (n < 1 || n > MAX_PROXIES) {
        host->error_field(req, "wishes.proxies",
                          "请填写1到3位代理人（第五个愿望：我希望谁帮助我） (wishes.proxies: 1 to 3 people)");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const oak_json *p = host->json_at(list, i);
        struct proxy_in *x = &in->proxies[i];
        char f[48], l[64];

        if (host->json_type(p) != OAK_JSON_OBJECT) {
            snprintf(f, sizeof f, "wishes.proxies.%zu", i);
            snprintf(l, sizeof l, "第%zu位代理人", i + 1);
            registry_say(req, f, l, "应包含姓名、关系和手机号码", " must be an object {name, relation, mobile}");
            bad = 1;
            continue;
        }
        snprintf(f, sizeof f, "wishes.proxies.%zu.name", i);
        snprintf(l, sizeof l, "第%zu位代理人姓名", i + 1);
        x->name = registry_want_name(req, p, "name", f, l);
        if (x->name && name_in(x->name, names, (int)i)) {
            registry_say(req, f, l, "与其他代理人重复", ": each proxy only once");
            x->name = NULL;
        }
        names[i] = x->name;
        snprintf(f, sizeof f, "wishes.proxies.%zu.relation", i);
        snprintf(l, sizeof l, "第%zu位代理人与本人关系", i + 1);
        x->relation = registry_want_text(req, p, "relation", f, l, 1, 20);
        snprintf(f, sizeof f, "wishes.proxies.%zu.mobile", i);
        snprintf(l, sizeof l, "第%zu位代理人手机号码", i + 1);
        x->mobile = registry_want_mobile(req, p, "mobile", f, l);
        bad |= !x->name || !x->relation || !x->mobile;
    }
    if (bad)
        return NULL;
    in->nproxies = (int)n;
    out = host->json_array();
    for (int i = 0; i < in->nproxies; i++) {
        oak_json *p = host->json_object();

        host->json_set(p, "name", host->json_string(in->proxies[i].name));
        host->json_set(p, "relation", host->json_string(in->proxies[i].relation));
        host->json_set(p, "mobile", host->json_string(in->proxies[i].mobile));
        host->json_append(out, p);
    }
    return out;
}

/* witnesses: two people {name}, neither the registrant (SELF, when known)
 * nor one of the proxies. */
static oak_json *check_witnesses(oak_req *req, const oak_json *body, const char *self,
                                 const struct will_input *in)
{
    const oak_json *list = host->json_get(body, "witnesses");
    const char *names[N_WITNESSES] = { NULL }, *proxies[MAX_PROXIES];
    oak_json *out;
    int bad = 0;

    if (host->json_type(list) != OAK_JSON_ARRAY || host->json_size(list) != N_WITNESSES) {
        host->error_field(req, "witnesses", "请填写两位见证人 (witnesses: two people are required)");
        return NULL;
    }
    for (int i = 0; i < MAX_PROXIES; i++)
        proxies[i] = i < in->nproxies ? in->proxies[i].name : NULL;
    for (int i = 0; i < N_WITNESSES; i++) {
        const oak_json *w = host->json_at(list, (size_t)i);
        char f[32], l[48];

        snprintf(f, sizeof f, "witnesses.%d.name", i);
        snprintf(l, sizeof l, "第%d位见证人姓名", i + 1);
        if (host->json_type(w) != OAK_JSON_OBJECT) {
            snprintf(f, sizeof f, "witnesses.%d", i);
            snprintf(l, sizeof l, "第%d位见证人", i + 1);
            registry_say(req, f, l, "应包含姓名", " must be an object {name}");
            bad = 1;
            continue;
        }
        if (!(names[i] = registry_want_name(req, w, "name", f, l))) {
            bad = 1;
        } else if (self && strcmp(names[i], self) == 0) {
            registry_say(req, f, l, "不能是本人", ": not the registrant");
            bad = 1;
        } else if (name_in(names[i], proxies, MAX_PROXIES)) {
            registry_say(req, f, l, "不能同时是代理人", ": not one of the proxies");
            bad = 1;
        } else if (name_in(names[i], names, i)) {
            registry_say(req, f, l, "与另一位见证人重复", ": two different people");
            bad = 1;
        }
    }
    if (bad)
        return NULL;
    out = host->json_array();
    for (int i = 0; i < N_WITNESSES; i++) {
        oak_json *w = host->json_object();

        host->json_set(w, "name", host->json_string(names[i]));
        host->json_append(out, w);
    }
    return out;
}

/* Put VAL under KEY of OBJ, or note that a part failed (VAL NULL). */
static int put(oak_json *obj, const char *key, oak_json *val)
{
    if (!val)
        return 1;
    host->json_set(obj, key, val);
    return 0;
}

/* The document of a version: wishes, signed_on, witnesses from BODY. ID
 * (when known) bounds signed_on; SELF is the registrant's name. 0 with
 * in->doc set, or -1 with messages recorded. */
static int check_document(oak_req *req, const oak_json *body, const struct oak_id_facts *id,
                          const char *self, struct will_input *in)
{
    const oak_json *w = host->json_get(body, "wishes");
    oak_json *doc = host->json_object(), *wishes = host->json_object();
    const char *s;
    int bad = 0;

    in->doc = NULL;
    if (host->json_type(w) != OAK_JSON_OBJECT) {
        host->error_field(req, "wishes", w && host->json_type(w) != OAK_JSON_NULL
                              ? "五个愿望格式不正确 (wishes must be an object)"
                              : "请填写五个愿望 (wishes is required)");
        bad = 1;
        in->nproxies = 0;
    } else {
        s = registry_want_free_text(req, w, "medical_care", "wishes.medical_care",
                           "第一个愿望（我要或不要什么医疗服务）", 1, 2000);
        bad |= put(wishes, "medical_care", s ? host->json_string(s) : NULL);
        bad |= put(wishes, "life_support", check_life_support(req, w));
        s = registry_want_free_text(req, w, "comfort", "wishes.comfort", "第三个愿望（我希望别人怎样对待我）", 1, 2000);
        bad |= put(wishes, "comfort", s ? host->json_string(s) : NULL);
        s = registry_want_free_text(req, w, "family_message", "wishes.family_message",
                           "第四个愿望（我想让家人和朋友知道什么）", 0, 2000);
        bad |= put(wishes, "family_message", s ? host->json_string(s) : NULL);
        bad |= put(wishes, "proxies", check_proxies(req, w, in));
    }
    s = check_signed_on(req, body, id);
    bad |= put(doc, "signed_on", s ? host->json_string(s) : NULL);
    bad |= put(doc, "witnesses", check_witnesses(req, body, self, in));
    host->json_set(doc, "wishes", wishes);
    if (bad) {
        host->json_decref(doc);
        return -1;
    }
    in->doc = doc;
    return 0;
}

/* A new will: the registrant and the document. */
static int check_new(oak_req *req, const oak_json *body, struct will_input *in)
{
    int bad = 0, id_ok;

    memset(in, 0, sizeof *in);
    in->name = registry_want_name(req, body, "name", "name", "姓名");
    bad |= !in->name;
    id_ok = registry_want_id(req, body, &in->id) == 0;
    if (id_ok && in->id.age < 18) {
        host->error_field(req, "id_number", "生前预嘱须由年满18周岁的本人订立 (living wills are for adults only)");
        id_ok = 0;
    }
    bad |= !id_ok;
    in->mobile = registry_want_mobile(req, body, "mobile", "mobile", "手机号码");
    bad |= !in->mobile;
    bad |= registry_want_region(req, body, &in->region) != 0;
    bad |= check_document(req, body, id_ok ? &in->id : NULL, in->name, in) != 0;
    if (bad) {
        host->json_decref(in->doc);
        in->doc = NULL;
        return -1;
    }
    return 0;
}

/* ---- the will -------------------------------------------------------------------------- */

struct will {
    long long rowid;
    const char *number, *status, *code_hash, *registered_at, *revoked_at;
    int region, version;
    /* set by will_open (request memory) */
    const char *name, *id_number, *mobile;
};

static const char *dup_col(oak_req *req, oak_stmt *st, int col)
{
    const char *s = host->db_column_text(st, col);

    return s ? host->req_strdup(req, s) : NULL;
}

#define WILL_COLUMNS "id, number, region, status, code_hash, version, registered_at, revoked_at"

/* The will whose number (BY_NUMBER) or ID blind index is KEY. */
static int will_find(oak_req *req, int by_number, const char *key, struct will *w)
{
    struct oak_error err;
    oak_stmt *st;
    int rc = host->db_prepare(by_number ? "SELECT " WILL_COLUMNS " FROM registry_wills WHERE number = ?1"
                                        : "SELECT " WILL_COLUMNS " FROM registry_wills WHERE id_index = ?1",
                              &st, &err);

    memset(w, 0, sizeof *w);
    if (rc != OAK_OK)
        return failed("find", &err, rc);
    host->db_bind_text(st, 1, key, -1);
    rc = host->db_step(st, &err);
    if (rc == OAK_ROW) {
        w->rowid = host->db_column_int(st, 0);
        w->number = dup_col(req, st, 1);
        w->region = (int)host->db_column_int(st, 2);
        w->status = dup_col(req, st, 3);
        w->code_hash = dup_col(req, st, 4);
        w->version = (int)host->db_column_int(st, 5);
        w->registered_at = dup_col(req, st, 6);
        w->revoked_at = dup_col(req, st, 7);
    }
    host->db_finish(st);
    if (rc == OAK_ROW)
        return w->number && w->status && w->code_hash ? OAK_OK : OAK_ENOMEM;
    return rc == OAK_DONE ? OAK_ENOTFOUND : failed("find", &err, rc);
}

/* Decrypt the registrant's name, ID and mobile number. */
static int will_open(oak_req *req, struct will *w)
{
    struct oak_error err;
    oak_stmt *st;
    int rc = host->db_prepare("SELECT name_enc, id_enc, mobile_enc FROM registry_wills WHERE id = ?1", &st, &err);

    if (rc != OAK_OK)
        return failed("open", &err, rc);
    host->db_bind_int(st, 1, w->rowid);
    rc = host->db_step(st, &err);
    if (rc == OAK_ROW) {
        if ((rc = unseal(req, WILLS, "name_enc", w->rowid, w->region, host->db_column_text(st, 0),
                         &w->name)) == OAK_OK &&
            (rc = unseal(req, WILLS, "id_enc", w->rowid, w->region, host->db_column_text(st, 1),
                         &w->id_number)) == OAK_OK)
            rc = unseal(req, WILLS, "mobile_enc", w->rowid, w->region, host->db_column_text(st, 2), &w->mobile);
    } else {
        rc = rc == OAK_DONE ? OAK_ENOTFOUND : failed("open", &err, rc);
    }
    host->db_finish(st);
    return rc;
}

/* The current version's document, opened. *DOC owned; *AT its time. */
static int current_doc(oak_req *req, const struct will *w, oak_json **doc, const char **at)
{
    struct oak_error err;
    oak_stmt *st;
    const char *text = NULL;
    long long vid = 0;
    int rc = host->db_prepare("SELECT id, content_enc, created_at FROM registry_will_versions"
                              " WHERE will_id = ?1 AND version = ?2", &st, &err);

    *doc = NULL;
    if (rc != OAK_OK)
        return failed("version", &err, rc);
    host->db_bind_int(st, 1, w->rowid);
    host->db_bind_int(st, 2, w->version);
    rc = host->db_step(st, &err);
    if (rc == OAK_ROW) {
        vid = host->db_column_int(st, 0);
        *at = dup_col(req, st, 2);
        rc = unseal(req, VERSIONS, "content_enc", vid, w->region, host->db_column_text(st, 1), &text);
    } else {
        rc = rc == OAK_DONE ? OAK_ENOTFOUND : failed("version", &err, rc);
    }
    host->db_finish(st);
    if (rc != OAK_OK)
        return rc;
    if (!text || !(*doc = parse_doc(text))) {
        host->log(NULL, OAK_LOG_ERROR, "registry: will %s: version %d cannot be read", w->number, w->version);
        rc = OAK_ERROR;
    }
    if (text)
        memset((char *)text, 0, strlen(text));
    return rc;
}

/* ---- storing -------------------------------------------------------------------------------- */

/* Seal DOC as version VERSION of W. */
static int add_version(const struct will *w, int version, const oak_json *doc)
{
    struct oak_error err;
    oak_stmt *st;
    long long vid = 0;
    char *text;
    int rc = host->db_prepare("INSERT INTO registry_will_versions(will_id, region, version) VALUES (?1, ?2, ?3)"
                              " RETURNING id", &st, &err);

    if (rc != OAK_OK)
        return failed("version", &err, rc);
    host->db_bind_int(st, 1, w->rowid);
    host->db_bind_int(st, 2, w->region);
    host->db_bind_int(st, 3, version);
    rc = host->db_step(st, &err);
    if (rc == OAK_ROW)
        vid = host->db_column_int(st, 0);
    host->db_finish(st);
    if (rc != OAK_ROW)
        return failed("version", &err, rc);
    if (!(text = host->json_dump(doc)))
        return OAK_ENOMEM;
    rc = seal_text(VERSIONS, "content_enc", vid, w->region, text);
    memset(text, 0, strlen(text));
    host->free(text);
    return rc;
}

/* A proxy code handed out: the proxy's name and the code as shown. */
struct issued {
    const char *name;
    char shown[15];
};

static int insert_proxy(oak_req *req, const struct will *w, int pos, const struct proxy_in *p, struct issued *out)
{
    struct oak_error err;
    oak_stmt *st;
    char code[REGISTRY_CODE_LEN + 1], hash[65];
    long long pid = 0;
    int rc;

    if ((rc = registry_new_code(code, out->shown)) != OAK_OK ||
        (rc = registry_code_hash("will.proxy", code, hash)) != OAK_OK)
        return rc;
    out->name = host->req_strdup(req, p->name);
    rc = host->db_prepare("INSERT INTO registry_will_proxies(will_id, region, position, relation, code_hash)"
                          " VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id", &st, &err);
    if (rc != OAK_OK)
        return failed("proxy", &err, rc);
    host->db_bind_int(st, 1, w->rowid);
    host->db_bind_int(st, 2, w->region);
    host->db_bind_int(st, 3, pos);
    host->db_bind_text(st, 4, p->relation, -1);
    host->db_bind_text(st, 5, hash, -1);
    rc = host->db_step(st, &err);
    if (rc == OAK_ROW)
        pid = host->db_column_int(st, 0);
    host->db_finish(st);
    if (rc != OAK_ROW)
        return failed("proxy", &err, rc);
    return seal_text(PROXIES, "name_enc", pid, w->region, p->name);
}

/* Keep proxy row PID (same person) at POS with RELATION. */
static int keep_proxy(long long pid, int pos, const char *relation)
{
    struct oak_error err;
    oak_stmt *st;
    int rc = host->db_prepare("UPDATE registry_will_proxies SET position = ?1, relation = ?2 WHERE id = ?3",
                              &st, &err);

    if (rc != OAK_OK)
        return failed("proxy", &err, rc);
    host->db_bind_int(st, 1, pos);
    host->db_bind_text(st, 2, relation, -1);
    host->db_bind_int(st, 3, pid);
    rc = host->db_step(st, &err);
    host->db_finish(st);
    return rc == OAK_DONE ? OAK_OK : failed("proxy", &err, rc);
}

static int drop_proxy(long long pid)
{
    struct oak_error err;
    oak_stmt *st;
    int rc = host->db_prepare("UPDATE registry_will_proxies SET active = 0 WHERE id = ?1", &st, &err);

    if (rc != OAK_OK)
        return failed("proxy", &err, rc);
    host->db_bind_int(st, 1, pid);
    rc = host->db_step(st, &err);
    host->db_finish(st);
    return rc == OAK_DONE ? OAK_OK : failed("proxy", &err, rc);
}

/* The active proxies of W: row ids and opened names (at most MAX_PROXIES
 * are ever active). *N their count. */
static int active_proxies(oak_req *req, const struct will *w, long long ids[MAX_PROXIES],
                          const char *names[MAX_PROXIES], const char *hashes[MAX_PROXIES], int *n)
{
    struct oak_error err;
    oak_stmt *st;
    int rc = host->db_prepare("SELECT id, name_enc, code_hash FROM registry_will_proxies"
                              " WHERE will_id = ?1 AND active = 1 ORDER BY position", &st, &err);

    *n = 0;
    if (rc != OAK_OK)
        return failed("proxies", &err, rc);
    host->db_bind_int(st, 1, w->rowid);
    while ((rc = host->db_step(st, &err)) == OAK_ROW && *n < MAX_PROXIES) {
        ids[*n] = host->db_column_int(st, 0);
        hashes[*n] = dup_col(req, st, 2);
        rc = unseal(req, PROXIES, "name_enc", ids[*n], w->region, host->db_column_text(st, 1), &names[*n]);
        if (rc != OAK_OK)
            break;
        (*n)++;
    }
    host->db_finish(st);
    if (rc == OAK_ROW || rc == OAK_DONE)
        return OAK_OK;
    return rc == OAK_OK ? OAK_ERROR : rc;
}

/* Make the proxy rows follow the proxies of IN: a proxy named as before
 * keeps their code, a new one gets a code (into OUT, *NOUT), one no longer
 * named can no longer read. */
static int sync_proxies(oak_req *req, const struct will *w, const struct will_input *in,
                        struct issued out[MAX_PROXIES], int *nout)
{
    long long ids[MAX_PROXIES];
    const char *names[MAX_PROXIES], *hashes[MAX_PROXIES];
    int kept[MAX_PROXIES] = { 0 }, n, rc;

    *nout = 0;
    if ((rc = active_proxies(req, w, ids, names, hashes, &n)) != OAK_OK)
        return rc;
    for (int i = 0; i < in->nproxies && rc == OAK_OK; i++) {
        int found = -1;

        for (int k = 0; k < n && found < 0; k++)
            if (!kept[k] && names[k] && strcmp(names[k], in->proxies[i].name) == 0)
                found = k;
        if (found >= 0) {
            kept[found] = 1;
            rc = keep_proxy(ids[found], i, in->proxies[i].relation);
        } else {
            rc = insert_proxy(req, w, i, &in->proxies[i], &out[(*nout)++]);
        }
    }
    for (int k = 0; k < n && rc == OAK_OK; k++)
        if (!kept[k])
            rc = drop_proxy(ids[k]);
    return rc;
}

/* Insert the will row with a fresh number (a clash of random numbers
 * retries). */
static int insert_will(oak_req *req, struct will *w, const char *idx, const char *code_hash)
{
    struct oak_error err;
    char number[17];
    oak_stmt *st;
    int rc = OAK_EEXIST;

    for (int attempt = 0; attempt < 4 && rc == OAK_EEXIST; attempt++) {
        if ((rc = registry_new_number('W', w->region, number)) != OAK_OK)
            return rc;
        rc = host->db_prepare("INSERT INTO registry_wills(number, region, id_index, person_index, code_hash)"
                              " VALUES (?1, ?2, ?3, ?3, ?4) RETURNING id, registered_at", &st, &err);
        if (rc != OAK_OK)
            return failed("insert", &err, rc);
        host->db_bind_text(st, 1, number, -1);
        host->db_bind_int(st, 2, w->region);
        host->db_bind_text(st, 3, idx, -1);
        host->db_bind_text(st, 4, code_hash, -1);
        rc = host->db_step(st, &err);
        if (rc == OAK_ROW) {
            w->rowid = host->db_column_int(st, 0);
            w->registered_at = dup_col(req, st, 1);
            w->number = host->req_strdup(req, number);
            w->status = "active";
            w->version = 1;
        }
        host->db_finish(st);
    }
    return rc == OAK_ROW ? OAK_OK : failed("insert", &err, rc);
}

/* 1 when the person behind IDX has an active will (after a revocation
 * they may write a new one, see supersede_revoked). */
static int id_taken(const char *idx, int *rc)
{
    struct oak_error err;
    oak_stmt *st;
    int taken;

    if ((*rc = host->db_prepare("SELECT 1 FROM registry_wills WHERE id_index = ?1 AND status = 'active'",
                                &st, &err)) != OAK_OK)
        return 0;
    host->db_bind_text(st, 1, idx, -1);
    *rc = host->db_step(st, &err);
    host->db_finish(st);
    taken = *rc == OAK_ROW;
    *rc = *rc == OAK_ROW || *rc == OAK_DONE ? OAK_OK : failed("find", &err, *rc);
    return taken;
}

/* Seal the reasons of W's reads recorded before reasons were sealed (the
 * clear column of migration 2), so that none stays in clear once W is read
 * again. */
static int seal_old_reasons(const struct will *w)
{
    struct oak_error err;
    oak_stmt *st;
    int rc;

    for (;;) {
        long long rid;
        char *text;

        rc = host->db_prepare("SELECT id, reason FROM registry_will_reads WHERE will_id = ?1"
                              " AND reason IS NOT NULL LIMIT 1", &st, &err);
        if (rc != OAK_OK)
            return failed("read", &err, rc);
        host->db_bind_int(st, 1, w->rowid);
        rc = host->db_step(st, &err);
        if (rc != OAK_ROW) {
            host->db_finish(st);
            return rc == OAK_DONE ? OAK_OK : failed("read", &err, rc);
        }
        rid = host->db_column_int(st, 0);
        text = strdup(host->db_column_text(st, 1));
        host->db_finish(st);
        if (!text)
            return OAK_ENOMEM;
        rc = seal_text(READS, "reason_enc", rid, w->region, text);
        memset(text, 0, strlen(text));
        free(text);
        if (rc != OAK_OK)
            return rc;
        if ((rc = host->db_prepare("UPDATE registry_will_reads SET reason = NULL WHERE id = ?1", &st, &err)) != OAK_OK)
            return failed("read", &err, rc);
        host->db_bind_int(st, 1, rid);
        rc = host->db_step(st, &err);
        host->db_finish(st);
        if (rc != OAK_DONE)
            return failed("read", &err, rc);
    }
}

/* Keep a read by a proxy (PROXY_ID) or a member of staff (STAFF), shown to
 * the registrant as WHO with REASON (both sealed). */
static int add_read(const struct will *w, long long proxy_id, const char *staff, const char *who,
                    const char *reason)
{
    struct oak_error err;
    oak_stmt *st;
    long long rid = 0;
    int rc = seal_old_reasons(w);

    if (rc != OAK_OK)
        return rc;
    rc = host->db_prepare("INSERT INTO registry_will_reads(will_id, region, kind, proxy_id, staff)"
                          " VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id", &st, &err);

    if (rc != OAK_OK)
        return failed("read", &err, rc);
    host->db_bind_int(st, 1, w->rowid);
    host->db_bind_int(st, 2, w->region);
    host->db_bind_text(st, 3, staff ? "staff" : "proxy", -1);
    if (proxy_id)
        host->db_bind_int(st, 4, proxy_id);
    else
        host->db_bind_null(st, 4);
    if (staff)
        host->db_bind_text(st, 5, staff, -1);
    else
        host->db_bind_null(st, 5);
    rc = host->db_step(st, &err);
    if (rc == OAK_ROW)
        rid = host->db_column_int(st, 0);
    host->db_finish(st);
    if (rc != OAK_ROW)
        return failed("read", &err, rc);
    if ((rc = seal_text(READS, "who_enc", rid, w->region, who)) != OAK_OK || !reason)
        return rc;
    return seal_text(READS, "reason_enc", rid, w->region, reason);
}

/* ---- answers -------------------------------------------------------------------------------- */

/* Mask the proxies' mobile numbers of DOC's wishes in place. */
static void mask_doc(oak_json *doc)
{
    oak_json *list = host->json_get(host->json_get(doc, "wishes"), "proxies");

    for (size_t i = 0; i < host->json_size(list); i++) {
        oak_json *p = host->json_at(list, i);
        char m[12];

        registry_mask_mobile(registry_str(p, "mobile"), m);
        host->json_set(p, "mobile", host->json_string(m));
    }
}

static oak_json *reads_json(oak_req *req, const struct will *w)
{
    struct oak_error err;
    oak_stmt *st;
    oak_json *a;
    int rc = host->db_prepare("SELECT id, at, kind, who_enc, reason, reason_enc FROM registry_will_reads"
                              " WHERE will_id = ?1 ORDER BY id", &st, &err);

    if (rc != OAK_OK)
        return NULL;
    a = host->json_array();
    host->db_bind_int(st, 1, w->rowid);
    while ((rc = host->db_step(st, &err)) == OAK_ROW) {
        oak_json *r = host->json_object();
        const char *who = NULL, *reason = NULL;
        long long rid = host->db_column_int(st, 0);

        if (unseal(req, READS, "who_enc", rid, w->region, host->db_column_text(st, 3), &who) != OAK_OK ||
            unseal(req, READS, "reason_enc", rid, w->region, host->db_column_text(st, 5), &reason) != OAK_OK) {
            host->json_decref(r);
            rc = OAK_ETAMPER;
            break;
        }
        if (!reason)   /* recorded before reasons were sealed, and not sealed since */
            reason = dup_col(req, st, 4);
        host->json_set(r, "at", registry_json_text(host->db_column_text(st, 1)));
        host->json_set(r, "kind", registry_json_text(host->db_column_text(st, 2)));
        host->json_set(r, "who", registry_json_text(who));
        host->json_set(r, "reason", registry_json_text(reason));
        host->json_append(a, r);
    }
    host->db_finish(st);
    if (rc != OAK_DONE) {
        host->json_decref(a);
        return NULL;
    }
    return a;
}

/* The will as OWN (the registrant: mobile, versions and reads too) or as a
 * proxy or member of staff sees it. A revoked will shows its status, not
 * its contents, to anyone but the registrant. NULL on failure. */
static oak_json *will_json(oak_req *req, const struct will *w, int own)
{
    int revoked = strcmp(w->status, "revoked") == 0;
    const char *rn = host->region_name(w->region), *at = NULL;
    oak_json *o, *doc = NULL;
    char masked[19], code[7];

    if ((own || !revoked) && current_doc(req, w, &doc, &at) != OAK_OK)
        return NULL;
    o = host->json_object();
    registry_mask_id(w->id_number, masked);
    registry_region_str(w->region, code);
    host->json_set(o, "number", host->json_string(w->number));
    host->json_set(o, "status", host->json_string(w->status));
    host->json_set(o, "name", registry_json_text(w->name));
    host->json_set(o, "id_number", host->json_string(masked));
    if (own) {
        char m[12];

        registry_mask_mobile(w->mobile, m);
        host->json_set(o, "mobile", host->json_string(m));
    }
    host->json_set(o, "region", host->json_string(code));
    host->json_set(o, "region_name", host->json_string(rn ? rn : ""));
    host->json_set(o, "version", host->json_integer(w->version));
    host->json_set(o, "version_at", registry_json_text(at));
    if (doc) {
        mask_doc(doc);
        host->json_set(o, "wishes", host->json_incref(host->json_get(doc, "wishes")));
        host->json_set(o, "signed_on", host->json_incref(host->json_get(doc, "signed_on")));
        host->json_set(o, "witnesses", host->json_incref(host->json_get(doc, "witnesses")));
        host->json_decref(doc);
    } else {
        host->json_set(o, "wishes", host->json_null());
        host->json_set(o, "signed_on", host->json_null());
        host->json_set(o, "witnesses", host->json_null());
    }
    host->json_set(o, "registered_at", registry_json_text(w->registered_at));
    host->json_set(o, "revoked_at", registry_json_text(w->revoked_at));
    if (own) {
        oak_json *v = registry_history_json(
            "SELECT version, created_at FROM registry_will_versions WHERE will_id = ?1 ORDER BY version",
            w->rowid, (const char *const[]){ "version", "at", NULL }), *r = reads_json(req, w);

        if (!v || !r) {
            host->json_decref(v);
            host->json_decref(r);
            host->json_decref(o);
            return NULL;
        }
        host->json_set(o, "versions", v);
        host->json_set(o, "reads", r);
    }
    return o;
}

static oak_json *issued_json(const struct issued *codes, int n)
{
    oak_json *a = host->json_array();

    for (int i = 0; i < n; i++) {
        oak_json *c = host->json_object();

        host->json_set(c, "name", host->json_string(codes[i].name));
        host->json_set(c, "code", host->json_string(codes[i].shown));
        host->json_append(a, c);
    }
    return a;
}

/* Answer STATUS with BODY, never to be cached (codes, will contents). */
static int respond_private(oak_req *req, int status, oak_json *body)
{
    if (!body)
        return OAK_ERROR;
    host->set_header(req, "Cache-Control", "no-store");
    return host->respond_json(req, status, body);
}

/* respond_private, then commit the open transaction. respond_json renders
 * the whole answer at once, so once the commit has stored the change
 * nothing is left that could fail and answer an error for it (a will
 * stored whose codes were never shown). When answering or the commit
 * fails, the transaction is rolled back and the code returned: the core
 * answers the error instead of BODY. */
static int commit_private(oak_req *req, int status, oak_json *body)
{
    struct oak_error err;
    int rc = respond_private(req, status, body);

    if (rc == OAK_OK && (rc = host->db_commit(&err)) != OAK_OK)
        failed("commit", &err, rc);
    if (rc != OAK_OK)
        host->db_rollback();
    return rc;
}

/* ---- POST /api/registry/wills -------------------------------------------------------------- */

/* The transaction of a new will: row, sealed fields, version 1, proxies,
 * audit. */
static int store_new(oak_req *req, const struct will_input *in, struct will *w, const char *idx,
                     const char *code_hash, struct issued codes[MAX_PROXIES], int *ncodes)
{
    struct registry_superseded old;
    int rc;

    w->region = in->region;
    if ((rc = registry_supersede(req, REGISTRY_WILL, idx, &old)) != OAK_OK ||
        (rc = insert_will(req, w, idx, code_hash)) != OAK_OK ||
        (rc = seal_text(WILLS, "name_enc", w->rowid, w->region, in->name)) != OAK_OK ||
        (rc = seal_text(WILLS, "id_enc", w->rowid, w->region, in->id.normalized)) != OAK_OK ||
        (rc = seal_text(WILLS, "mobile_enc", w->rowid, w->region, in->mobile)) != OAK_OK ||
        (rc = add_version(w, 1, in->doc)) != OAK_OK ||
        (rc = sync_proxies(req, w, in, codes, ncodes)) != OAK_OK ||
        (old.rowid && (rc = registry_supersede_link(req, REGISTRY_WILL, &old, w->number)) != OAK_OK))
        return rc;
    return host->audit(req, "registry.will.create", "will", w->number, w->region, "version=1");
}

static int wills_create(oak_req *req, void *ud)
{
    const oak_json *body = host->req_json(req);
    struct will_input in;
    struct will w;
    struct issued codes[MAX_PROXIES];
    struct oak_error err;
    oak_json *out;
    char idx[65], code[REGISTRY_CODE_LEN + 1], shown[15], code_hash[65];
    int rc, ncodes = 0;

    (void)ud;
    if (host->json_type(body) != OAK_JSON_OBJECT)
        return registry_bad_body(req);
    if (check_new(req, body, &in) != 0)
        return host->error(req, 422, "validation_failed", REGISTRY_CHECK_MSG);
    memset(&w, 0, sizeof w);
    if ((rc = host->blind_index(ID_DOMAIN, in.id.normalized, 18, idx)) != OAK_OK ||
        (rc = registry_new_code(code, shown)) != OAK_OK ||
        (rc = registry_code_hash("will.access", code, code_hash)) != OAK_OK ||
        (rc = host->db_begin(&err)) != OAK_OK) {
        host->json_decref(in.doc);
        return rc;
    }
    if (id_taken(idx, &rc)) {
        host->db_rollback();
        host->json_decref(in.doc);
        return host->error(req, 409, "already_registered",
                           "该身份证号已订立生前预嘱，请使用查询码查看或修改 "
                           "(a living will exists for this ID number: look it up or update it)");
    }
    if (rc == OAK_OK)
        rc = store_new(req, &in, &w, idx, code_hash, codes, &ncodes);
    host->json_decref(in.doc);
    if (rc != OAK_OK) {
        host->db_rollback();
        return rc;
    }
    out = host->json_object();
    host->json_set(out, "number", host->json_string(w.number));
    host->json_set(out, "access_code", host->json_string(shown));
    host->json_set(out, "proxy_codes", issued_json(codes, ncodes));
    host->json_set(out, "version", host->json_integer(1));
    host->json_set(out, "status", host->json_string("active"));
    return commit_private(req, 201, out);
}

/* ---- the registrant: lookup, update, revoke -------------------------------------------------- */

/* Find and open the will of the ID number + access code in BODY. OAK_OK;
 * 1 when answered (400, 422, 404 or 429); or an error. ID gets the facts
 * of the ID number. */
static int authenticate(oak_req *req, const oak_json *body, struct will *w, struct oak_id_facts *id)
{
    char idx[65], hash[65];
    int rc, code_ok;

    if ((rc = registry_credentials(req, body, ID_DOMAIN, "will.access", id, idx, hash, &code_ok)) != OAK_OK)
        return rc;
    rc = will_find(req, 0, idx, w);
    if (rc != OAK_OK && rc != OAK_ENOTFOUND)
        return rc;
    if (rc == OAK_ENOTFOUND || !code_ok || !registry_same_secret(hash, w->code_hash)) {
        registry_throttle_fail(req, idx);
        return host->error(req, 404, "not_found", REGISTRY_NOT_FOUND_MSG), 1;
    }
    registry_throttle_ok(req, idx);
    return will_open(req, w);
}

/* Audit ACTION in a transaction of its own and answer the registrant. */
static int audited_own(oak_req *req, const char *action, const struct will *w)
{
    struct oak_error err;
    oak_json *out;
    int rc;

    if ((rc = host->db_begin(&err)) != OAK_OK)
        return rc;
    if ((rc = host->audit(req, action, "will", w->number, w->region, NULL)) != OAK_OK) {
        host->db_rollback();
        return rc;
    }
    out = will_json(req, w, 1);
    return commit_private(req, 200, out);
}

static int wills_lookup(oak_req *req, void *ud)
{
    struct oak_id_facts id;
    struct will w;
    int rc = authenticate(req, host->req_json(req), &w, &id);

    (void)ud;
    if (rc != OAK_OK)
        return rc == 1 ? OAK_OK : rc;
    return audited_own(req, "registry.will.read", &w);
}

static int revoked_conflict(oak_req *req)
{
    return host->error(req, 409, "revoked",
                       "该生前预嘱已撤销，不能修改；如需要，请重新订立 "
                       "(this living will was revoked: write a new one instead)");
}

/* Move W to version W->version + 1 while it is active. */
static int bump_version(struct will *w)
{
    struct oak_error err;
    oak_stmt *st;
    int rc = host->db_prepare("UPDATE registry_wills SET version = version + 1,"
                              " updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
                              " WHERE id = ?1 AND status = 'active' RETURNING version", &st, &err);

    if (rc != OAK_OK)
        return failed("update", &err, rc);
    host->db_bind_int(st, 1, w->rowid);
    rc = host->db_step(st, &err);
    if (rc == OAK_ROW)
        w->version = (int)host->db_column_int(st, 0);
    host->db_finish(st);
    if (rc == OAK_DONE)
        return OAK_ENOTFOUND;
    return rc == OAK_ROW ? OAK_OK : failed("update", &err, rc);
}

static int wills_update(oak_req *req, void *ud)
{
    const oak_json *body = host->req_json(req);
    struct will_input in;
    struct oak_id_facts id;
    struct issued codes[MAX_PROXIES];
    struct oak_error err;
    struct will w;
    char detail[32];
    oak_json *out;
    int rc = authenticate(req, body, &w, &id), ncodes = 0;

    (void)ud;
    if (rc != OAK_OK)
        return rc == 1 ? OAK_OK : rc;
    if (strcmp(w.status, "active") != 0)
        return revoked_conflict(req);
    memset(&in, 0, sizeof in);
    if (check_document(req, body, &id, w.name, &in) != 0)
        return host->error(req, 422, "validation_failed", REGISTRY_CHECK_MSG);
    if ((rc = host->db_begin(&err)) != OAK_OK) {
        host->json_decref(in.doc);
        return rc;
    }
    if ((rc = bump_version(&w)) == OAK_OK && (rc = add_version(&w, w.version, in.doc)) == OAK_OK &&
        (rc = sync_proxies(req, &w, &in, codes, &ncodes)) == OAK_OK) {
        snprintf(detail, sizeof detail, "version=%d", w.version);
        rc = host->audit(req, "registry.will.update", "will", w.number, w.region, detail);
    }
    host->json_decref(in.doc);
    if (rc != OAK_OK) {
        host->db_rollback();
        return rc == OAK_ENOTFOUND ? revoked_conflict(req) : rc;
    }
    if ((out = will_json(req, &w, 1)) != NULL)
        host->json_set(out, "proxy_codes", issued_json(codes, ncodes));
    return commit_private(req, 200, out);
}

static int mark_revoked(oak_req *req, struct will *w)
{
    struct oak_error err;
    oak_stmt *st;
    int rc = host->db_prepare("UPDATE registry_wills SET status = 'revoked',"
                              " revoked_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),"
                              " updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
                              " WHERE id = ?1 AND status = 'active' RETURNING revoked_at", &st, &err);

    if (rc != OAK_OK)
        return failed("revoke", &err, rc);
    host->db_bind_int(st, 1, w->rowid);
    rc = host->db_step(st, &err);
    if (rc == OAK_ROW) {
        w->revoked_at = dup_col(req, st, 0);
        w->status = "revoked";
    }
    host->db_finish(st);
    return rc == OAK_ROW ? OAK_OK : failed("revoke", &err, rc);
}

static int wills_revoke(oak_req *req, void *ud)
{
    struct oak_id_facts id;
    struct oak_error err;
    struct will w;
    int rc = authenticate(req, host->req_json(req), &w, &id);

    (void)ud;
    if (rc != OAK_OK)
        return rc == 1 ? OAK_OK : rc;
    if (strcmp(w.status, "active") != 0)
        return audited_own(req, "registry.will.read", &w);
    if ((rc = host->db_begin(&err)) != OAK_OK)
        return rc;
    if ((rc = mark_revoked(req, &w)) == OAK_OK)
        rc = host->audit(req, "registry.will.revoke", "will", w.number, w.region, NULL);
    if (rc == OAK_OK)
        return commit_private(req, 200, will_json(req, &w, 1));
    host->db_rollback();
    return rc;
}

/* ---- readers other than the registrant ------------------------------------------------------ */

/* A will number as typed (case ignored) into OUT; 0, or -1 when it cannot
 * be one: 'W', six digits, '-', eight characters of the code alphabet. */
static int number_normalise(const char *typed, char out[17])
{
    static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

    if (!typed || strlen(typed) != 16)
        return -1;
    for (int i = 0; i < 16; i++) {
        char c = typed[i];

        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if ((i == 0 && c != 'W') || (i >= 1 && i <= 6 && (c < '0' || c > '9')) || (i == 7 && c != '-') ||
            (i > 7 && (c == '\0' || !strchr(alphabet, c))))
            return -1;
        out[i] = c;
    }
    out[16] = '\0';
    return 0;
}

/* Record the read (READS row and audit ACTION with DETAIL) and answer the
 * will as others see it, all in one transaction. */
static int recorded_read(oak_req *req, const struct will *w, long long proxy_id, const char *staff,
                         const char *who, const char *reason, const char *action, const char *detail)
{
    struct oak_error err;
    oak_json *out;
    int rc;

    if ((rc = host->db_begin(&err)) != OAK_OK)
        return rc;
    if ((rc = add_read(w, proxy_id, staff, who, reason)) == OAK_OK &&
        (rc = host->audit(req, action, "will", w->number, w->region, detail)) == OAK_OK) {
        out = will_json(req, w, 0);
        return commit_private(req, 200, out);
    }
    host->db_rollback();
    return rc;
}

/* Which active proxy of W holds code HASH: 0, the row id into *PID and the
 * proxy's name into *NAME, or OAK_ENOTFOUND. */
static int proxy_match(oak_req *req, const struct will *w, const char *hash, long long *pid, const char **name)
{
    long long ids[MAX_PROXIES];
    const char *names[MAX_PROXIES], *hashes[MAX_PROXIES];
    int n, rc, found = -1;

    if ((rc = active_proxies(req, w, ids, names, hashes, &n)) != OAK_OK)
        return rc;
    /* compare with every one, so the time taken does not tell which */
    for (int k = 0; k < n; k++)
        if (registry_same_secret(hash, hashes[k]) && found < 0)
            found = k;
    if (found < 0)
        return OAK_ENOTFOUND;
    *pid = ids[found];
    *name = names[found];
    return OAK_OK;
}

/* POST /api/registry/wills/proxy {number, proxy_code} */
static int wills_proxy(oak_req *req, void *ud)
{
    const oak_json *body = host->req_json(req);
    const char *typed_number, *typed_code, *name = NULL;
    char number[17], code[REGISTRY_CODE_LEN + 1], hash[65], who[160];
    long long pid = 0;
    struct will w;
    int rc, code_ok;

    (void)ud;
    if (host->json_type(body) != OAK_JSON_OBJECT)
        return registry_bad_body(req);
    typed_number = registry_want_text(req, body, "number", "number", "预嘱编号", 1, 40);
    typed_code = registry_want_text(req, body, "proxy_code", "proxy_code", "代理人查询码", 1, 40);
    if (typed_number && number_normalise(typed_number, number) != 0) {
        host->error_field(req, "number", "预嘱编号格式不正确，应如 W530502-7KQ2M9XA (number: W, six digits, -, "
                                         "eight characters)");
        typed_number = NULL;
    }
    if (!typed_number || !typed_code)
        return host->error(req, 422, "validation_failed", REGISTRY_CHECK_MSG);
    if (registry_throttle_check(req, number))
        return OAK_OK;
    code_ok = registry_code_normalise(typed_code, code) == 0;
    if (code_ok && (rc = registry_code_hash("will.proxy", code, hash)) != OAK_OK)
        return rc;
    rc = will_find(req, 1, number, &w);
    if (rc == OAK_OK && code_ok)
        rc = proxy_match(req, &w, hash, &pid, &name);
    else if (rc == OAK_OK)
        rc = OAK_ENOTFOUND;
    if (rc == OAK_ENOTFOUND) {
        registry_throttle_fail(req, number);
        return host->error(req, 404, "not_found", PROXY_NOT_FOUND_MSG);
    }
    if (rc != OAK_OK)
        return rc;
    registry_throttle_ok(req, number);
    if ((rc = will_open(req, &w)) != OAK_OK)
        return rc;
    snprintf(who, sizeof who, "代理人 %s", name ? name : "");
    return recorded_read(req, &w, pid, NULL, who, NULL, "registry.will.proxy_read", NULL);
}

/* The region of the account's scope that holds REGION, by name, for the
 * registrant's list of reads. */
static const char *staff_region_name(oak_req *req, int region)
{
    const int *codes = NULL;
    int n = host->req_regions(req, &codes);
    const char *name = NULL;

    if (n < 0)
        return "全国";
    for (int i = 0; i < n && codes && !name; i++)
        if (host->region_within(region, codes[i]))
            name = host->region_name(codes[i]);
    if (!name)
        name = host->region_name(region);
    return name ? name : "";
}

/* POST /api/registry/staff/wills/:number/read {"reason": TEXT}: in the
 * body, so that the reason (free text, often about the registrant's
 * health) reaches no URL and no access log, and CSRF applies; the audit
 * row gets its length only. */
static int wills_staff_read(oak_req *req, void *ud)
{
    const oak_json *body = host->req_json(req), *given;
    const char *typed = host->req_param(req, "number"), *reason;
    const char *user = host->req_username(req);
    char number[17], who[200], detail[32];
    size_t n;
    struct will w;
    int rc;

    (void)ud;
    if (host->json_type(body) != OAK_JSON_OBJECT)
        return registry_bad_body(req);
    given = host->json_get(body, "reason");
    reason = registry_str(body, "reason");
    if (given && host->json_type(given) != OAK_JSON_NULL && !reason) {
        host->error_field(req, "reason", "查阅原因应为文字 (reason must be a string)");
        return host->error(req, 422, "validation_failed", REGISTRY_CHECK_MSG);
    }
    n = reason ? registry_text_chars(reason) : 0;
    if (n < 4 || n > 200) {
        host->error_field(req, "reason", n ? "查阅原因应为4到200个字 (reason: 4 to 200 characters)"
                                           : "请填写查阅原因，登记人将看到此原因 (reason is required; "
                                             "the registrant sees it)");
        return host->error(req, 422, "validation_failed", REGISTRY_CHECK_MSG);
    }
    for (const char *p = reason; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            host->error_field(req, "reason", "查阅原因含有无效字符 (reason: invalid characters)");
            return host->error(req, 422, "validation_failed", REGISTRY_CHECK_MSG);
        }
    if (number_normalise(typed, number) != 0)
        return host->error(req, 404, "not_found", NO_WILL_MSG);
    rc = will_find(req, 1, number, &w);
    /* out of the account's regions: as if there were no such will */
    if (rc == OAK_ENOTFOUND || (rc == OAK_OK && host->authorize(req, "registry.will.read", w.region) != OAK_OK))
        return host->error(req, 404, "not_found", NO_WILL_MSG);
    if (rc != OAK_OK)
        return rc;
    if ((rc = will_open(req, &w)) != OAK_OK)
        return rc;
    snprintf(who, sizeof who, "工作人员 %s, %s", user ? user : "", staff_region_name(req, w.region));
    snprintf(detail, sizeof detail, "reason_len=%zu", n);
    return recorded_read(req, &w, 0, user ? user : "", who, reason, "registry.will.staff_read", detail);
}

/* ---- init ------------------------------------------------------------------------------------ */

int registry_wills_init(oak_plugin_ctx *ctx, struct oak_error *err)
{
    static const struct {
        const char *table, *column;
    } sealed[] = {
        { WILLS, "name_enc" }, { WILLS, "id_enc" }, { WILLS, "mobile_enc" },
        { VERSIONS, "content_enc" }, { PROXIES, "name_enc" }, { READS, "who_enc" },
        { READS, "reason_enc" },
    };

    for (size_t i = 0; i < sizeof sealed / sizeof sealed[0]; i++)
        if (host->encrypted_column(ctx, sealed[i].table, sealed[i].column, "region", err) != OAK_OK)
            return err->code ? err->code : OAK_ERROR;
    if (host->route(ctx, "POST", "/api/registry/wills", OAK_PUBLIC, wills_create, NULL, err) ||
        host->route(ctx, "POST", "/api/registry/wills/lookup", OAK_PUBLIC, wills_lookup, NULL, err) ||
        host->route(ctx, "POST", "/api/registry/wills/update", OAK_PUBLIC, wills_update, NULL, err) ||
        host->route(ctx, "POST", "/api/registry/wills/revoke", OAK_PUBLIC, wills_revoke, NULL, err) ||
        host->route(ctx, "POST", "/api/registry/wills/proxy", OAK_PUBLIC, wills_proxy, NULL, err) ||
        host->route(ctx, "POST", "/api/registry/staff/wills/:number/read", "registry.will.read",
                    wills_staff_read, NULL, err))
        return err->code ? err->code : OAK_ERROR;
    return OAK_OK;
}
