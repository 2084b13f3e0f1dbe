/*
 * common.c - helpers the registry's files share (see registry.h).
 */
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THROTTLE_MAX 5
#define THROTTLE_WINDOW 900

static const char code_alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

void registry_mask_id(const char *id, char out[19])
{
    size_t n = id ? strlen(id) : 0;

    if (n != 18) {
        snprintf(out, 19, "%s", n ? "******" : "");
        return;
    }
    snprintf(out, 19, "%.6s********%.4s", id, id + 14);
}

void registry_mask_mobile(const char *mobile, char out[12])
{
    size_t n = mobile ? strlen(mobile) : 0;

    if (n != 11) {
        snprintf(out, 12, "%s", n ? "****" : "");
        return;
    }
    snprintf(out, 12, "%.3s****%.4s", mobile, mobile + 7);
}

/* Bytes of the UTF-8 character at S (1 for a stray continuation byte). */
static size_t char_len(const char *s)
{
    unsigned char c = (unsigned char)*s;
    size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

    for (size_t i = 1; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            return i;
    return n;
}

void registry_mask_name(const char *name, char *out, size_t size)
{
    size_t len = 0, chars = 0, first, last = 0;

    if (!size)
        return;
    *out = '\0';
    if (!name || !*name)
        return;
    for (const char *p = name; *p; p += char_len(p))
        chars++;
    first = char_len(name);
    for (const char *p = name; *p; p += char_len(p))
        last = (size_t)(p - name);
    /* the first character, a '*' for each one after it but the last, the last */
    if (first + 1 > size)
        return;
    memcpy(out, name, first);
    len = first;
    for (size_t i = 1; i + 1 < chars && len + 1 < size; i++)
        out[len++] = '*';
    if (chars == 2 && len + 1 < size)
        out[len++] = '*';
    if (chars > 2 && len + strlen(name + last) < size) {
        memcpy(out + len, name + last, strlen(name + last));
        len += strlen(name + last);
    }
    out[len] = '\0';
}

int registry_new_code(char code[REGISTRY_CODE_LEN + 1], char display[15])
{
    int rc = host->random_code(code, REGISTRY_CODE_LEN + 1);

    if (rc == OAK_OK)
        snprintf(display, 15, "%.4s-%.4s-%.4s", code, code + 4, code + 8);
    return rc;
}

int registry_code_normalise(const char *typed, char code[REGISTRY_CODE_LEN + 1])
{
    size_t n = 0;

    if (!typed)
        return -1;
    for (const char *p = typed; *p; p++) {
        char c = *p;

        if (c == '-' || c == ' ')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (n == REGISTRY_CODE_LEN || !strchr(code_alphabet, c) || c == '\0')
            return -1;
        code[n++] = c;
    }
    code[n] = '\0';
    return n == REGISTRY_CODE_LEN ? 0 : -1;
}

int registry_code_hash(const char *purpose, const char *code, char out[65])
{
    char domain[64];

    snprintf(domain, sizeof domain, "registry_%s", purpose);
    for (char *p = domain; *p; p++)
        if (*p == '.')
            *p = '_';
    return host->blind_index(domain, code, strlen(code), out);
}

int registry_new_number(char prefix, int region, char out[17])
{
    char suffix[REGISTRY_SUFFIX_LEN + 1];
    int rc = host->random_code(suffix, sizeof suffix);

    if (rc == OAK_OK)
        snprintf(out, 17, "%c%06d-%s", prefix, region, suffix);
    return rc;
}

static void keys(oak_req *req, const char *subject, char addr[96], char subj[96])
{
    const char *a = host->req_remote_addr(req);

    snprintf(addr, 96, "registry:addr:%s", a ? a : "-");
    snprintf(subj, 96, "registry:subject:%.64s", subject ? subject : "-");
}

int registry_throttle_check(oak_req *req, const char *subject)
{
    char addr[96], subj[96], after[16];
    int wait, w2;

    keys(req, subject, addr, subj);
    wait = host->throttle_wait(addr);
    w2 = host->throttle_wait(subj);
    if (w2 > wait)
        wait = w2;
    if (wait <= 0)
        return 0;
    snprintf(after, sizeof after, "%d", wait);
    host->set_header(req, "Retry-After", after);
    host->error(req, 429, "too_many_attempts", "尝试次数过多，请稍后再试 (too many attempts, try again later)");
    return 1;
}

void registry_throttle_fail(oak_req *req, const char *subject)
{
    char addr[96], subj[96];

    keys(req, subject, addr, subj);
    host->throttle_fail(addr, THROTTLE_MAX * 4, THROTTLE_WINDOW);
    host->throttle_fail(subj, THROTTLE_MAX, THROTTLE_WINDOW);
}

void registry_throttle_ok(oak_req *req, const char *subject)
{
    char addr[96], subj[96];

    keys(req, subject, addr, subj);
    host->throttle_clear(subj);
}

const char *registry_str(const oak_json *obj, const char *name)
{
    return host->json_str(host->json_get(obj, name));
}

/* ---- field checks --------------------------------------------------------- */

size_t registry_text_chars(const char *s)
{
    size_t n = 0;

    for (; s && *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

void registry_region_str(int region, char out[7])
{
    snprintf(out, 7, "%06d", region > 0 && region < 1000000 ? region : 0);
}

oak_json *registry_json_text(const char *s)
{
    return s ? host->json_string(s) : host->json_null();
}

int registry_same_secret(const char *a, const char *b)
{
    size_t n = a ? strlen(a) : 0;
    unsigned char diff = 0;

    if (!a || !b || n != strlen(b))
        return 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

void registry_say(oak_req *req, const char *field, const char *label, const char *zh, const char *en)
{
    char msg[320];

    snprintf(msg, sizeof msg, "%s%s (%s%s)", label, zh, field, en);
    host->error_field(req, field, msg);
}

static void missing(oak_req *req, const char *field, const char *label)
{
    char msg[320];

    snprintf(msg, sizeof msg, "请填写%s (%s is required)", label, field);
    host->error_field(req, field, msg);
}

/* Control characters never belong in a form field (they also break CSV
 * exports and the separators of stored contacts); free text may keep line
 * breaks and tabs. */
static int has_control(const char *s, int multiline)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (multiline && (c == '\n' || c == '\r' || c == '\t'))
            continue;
        if (c < 0x20 || c == 0x7f)
            return 1;
    }
    return 0;
}

/* The one text check: present, a string, MIN (at least 1) to MAX
 * characters, no control characters. Free text (MULTILINE) keeps line
 * breaks, and with MIN 0 may be left out: "" then. */
static const char *want_text(oak_req *req, const oak_json *obj, const char *key, const char *field,
                             const char *label, int min, int max, int multiline)
{
    const oak_json *v = host->json_get(obj, key);
    const char *s = host->json_str(v);
    int lo = min > 0 ? min : 1;
    size_t n;

    if (!v || host->json_type(v) == OAK_JSON_NULL || (s && !*s)) {
        if (multiline && min == 0)
            return "";
        missing(req, field, label);
        return NULL;
    }
    if (!s) {
        registry_say(req, field, label, "应为文字", " must be a string");
        return NULL;
    }
    n = registry_text_chars(s);
    if (n < (size_t)lo || n > (size_t)max) {
        char zh[64], en[64];

        snprintf(zh, sizeof zh, "应为%d到%d个字", lo, max);
        snprintf(en, sizeof en, ": %d to %d characters", lo, max);
        registry_say(req, field, label, zh, en);
        return NULL;
    }
    if (has_control(s, multiline)) {
        registry_say(req, field, label, "含有无效字符", ": invalid characters");
        return NULL;
    }
    return s;
}

const char *registry_want_text(oak_req *req, const oak_json *obj, const char *key,
                               const char *field, const char *label, int min, int max)
{
    return want_text(req, obj, key, field, label, min, max, 0);
}

const char *registry_want_free_text(oak_req *req, const oak_json *obj, const char *key,
                                    const char *field, const char *label, int min, int max)
{
    return want_text(req, obj, key, field, label, min, max, 1);
}

int registry_want_id(oak_req *req, const oak_json *obj, struct oak_id_facts *id)
{
    const char *s = registry_want_text(req, obj, "id_number", "id_number", "身份证号码", 1, 40);
    const char *why = NULL;

    if (!s)
        return -1;
    if (host->id_check(s, id, &why) != 0) {
        host->error_field(req, "id_number", why ? why : "身份证号码无效 (invalid ID number)");
        return -1;
    }
    return 0;
}

int registry_want_region(oak_req *req, const oak_json *obj, int *region)
{
    const char *s = registry_want_text(req, obj, "region", "region", "所在地区", 6, 6);
    int code = s ? host->region_parse(s) : 0;

    if (!s)
        return -1;
    if (!code) {
        host->error_field(req, "region", "所在地区代码未知 (region: unknown GB/T 2260 code)");
        return -1;
    }
    if (host->region_parent(code) == 0) {
        host->error_field(req, "region",
                          "所在地区请选择到市（州）或区县 (region: a prefecture or county, not a province)");
        return -1;
    }
    *region = code;
    return 0;
}

int registry_bad_body(oak_req *req)
{
    return host->error(req, 400, "bad_request", "请求体应为 JSON 对象 (body must be a JSON object)");
}

int registry_credentials(oak_req *req, const oak_json *body, const char *id_domain, const char *purpose,
                         struct oak_id_facts *id, char idx[65], char hash[65], int *code_ok)
{
    const char *typed;
    char code[REGISTRY_CODE_LEN + 1];
    int rc;

    if (host->json_type(body) != OAK_JSON_OBJECT)
        return registry_bad_body(req), 1;
    typed = registry_want_text(req, body, "access_code", "access_code", "查询码", 1, 40);
    if (registry_want_id(req, body, id) != 0 || !typed)
        return host->error(req, 422, "validation_failed", REGISTRY_CHECK_MSG), 1;
    if ((rc = host->blind_index(id_domain, id->normalized, 18, idx)) != OAK_OK)
        return rc;
    if (registry_throttle_check(req, idx))
        return 1;
    *code_ok = registry_code_normalise(typed, code) == 0;
    if (*code_ok && (rc = registry_code_hash(purpose, code, hash)) != OAK_OK)
        return rc;
    return OAK_OK;
}

/* Letters of any script, spaces, the middle dot of minority names
 * (阿依古丽·买买提), '.' and '-' inside; no digits or markup. */
static int name_ok(const char *s)
{
    if (*s == '-' || *s == '.' || *s == ' ')
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c < 0x80 && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          c == ' ' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

const char *registry_want_name(oak_req *req, const oak_json *obj, const char *key,
                               const char *field, const char *label)
{
    const char *s = registry_want_text(req, obj, key, field, label, 2, 30);

    if (s && !name_ok(s)) {
        registry_say(req, field, label, "只能包含文字、空格和间隔号", ": letters, spaces and · only");
        return NULL;
    }
    return s;
}

const char *registry_want_mobile(oak_req *req, const oak_json *obj, const char *key,
                                 const char *field, const char *label)
{
    const char *s = registry_want_text(req, obj, key, field, label, 1, 20);
    const char *why = NULL;
    char out[12], msg[256];

    if (!s)
        return NULL;
    if (host->mobile_check(s, out, &why) != 0) {
        snprintf(msg, sizeof msg, "%s：%s", label, why ? why : "号码无效 (invalid number)");
        host->error_field(req, field, msg);
        return NULL;
    }
    return host->req_strdup(req, out);
}

int registry_want_bool(oak_req *req, const oak_json *obj, const char *key, const char *field,
                       const char *label)
{
    const oak_json *v = host->json_get(obj, key);
    int t = host->json_type(v);

    if (!v || t == OAK_JSON_NULL || t == OAK_JSON_FALSE)
        return 0;
    if (t == OAK_JSON_TRUE)
        return 1;
    registry_say(req, field, label, "应为 true 或 false", " must be true or false");
    return -1;
}

int registry_want_person(oak_req *req, const oak_json *obj, const char *key, const char *field,
                         const char *label, struct registry_person *p)
{
    const oak_json *o = host->json_get(obj, key);
    char f[64], l[96];

    memset(p, 0, sizeof *p);
    if (host->json_type(o) != OAK_JSON_OBJECT) {
        if (o && host->json_type(o) != OAK_JSON_NULL)
            registry_say(req, field, label, "应包含姓名、关系和手机号码", " must be an object {name, relation, mobile}");
        else
            missing(req, field, label);
        return -1;
    }
    snprintf(f, sizeof f, "%s.name", field);
    snprintf(l, sizeof l, "%s姓名", label);
    p->name = registry_want_name(req, o, "name", f, l);
    snprintf(f, sizeof f, "%s.relation", field);
    snprintf(l, sizeof l, "%s关系", label);
    p->relation = registry_want_text(req, o, "relation", f, l, 1, 20);
    snprintf(f, sizeof f, "%s.mobile", field);
    snprintf(l, sizeof l, "%s手机号码", label);
    p->mobile = registry_want_mobile(req, o, "mobile", f, l);
    return p->name && p->relation && p->mobile ? 0 : -1;
}

oak_json *registry_history_json(const char *sql, long long id, const char *const *keys)
{
    struct oak_error err;
    oak_stmt *st;
    oak_json *a;
    int rc = host->db_prepare(sql, &st, &err);

    if (rc != OAK_OK)
        return NULL;
    a = host->json_array();
    host->db_bind_int(st, 1, id);
    while ((rc = host->db_step(st, &err)) == OAK_ROW) {
        oak_json *r = host->json_object();

        host->json_set(r, keys[0], host->json_integer(host->db_column_int(st, 0)));
        for (int i = 1; keys[i]; i++)
            host->json_set(r, keys[i], registry_json_text(host->db_column_text(st, i)));
        host->json_append(a, r);
    }
    host->db_finish(st);
    if (rc != OAK_DONE) {
        host->json_decref(a);
        return NULL;
    }
    return a;
}

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int registry_date_check(const char *s)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int y, m, d;

    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    y = atoi(s);
    m = atoi(s + 5);
    d = atoi(s + 8);
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > days[m - 1] + (m == 2 && leap(y)))
        return -2;
    return 0;
}

static int supersede_failed(const struct oak_error *err, int rc)
{
    host->log(NULL, OAK_LOG_ERROR, "registry: supersede: %s", err ? err->message : "failed");
    return rc < 0 ? rc : OAK_ERROR;
}

int registry_supersede(oak_req *req, int kind, const char *idx, struct registry_superseded *old)
{
    static const char *const sql[] = {
        [REGISTRY_DONOR] = "UPDATE registry_donors SET id_index = 'superseded:' || number,"
                           " updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
                           " WHERE id_index = ?1 AND status = 'withdrawn' RETURNING id, number, region",
        [REGISTRY_WILL] = "UPDATE registry_wills SET id_index = 'superseded:' || number,"
                          " updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
                          " WHERE id_index = ?1 AND status = 'revoked' RETURNING id, number, region",
    };
    struct oak_error err;
    oak_stmt *st;
    int rc = host->db_prepare(sql[kind], &st, &err);

    memset(old, 0, sizeof *old);
    if (rc != OAK_OK)
        return supersede_failed(&err, rc);
    host->db_bind_text(st, 1, idx, -1);
    rc = host->db_step(st, &err);
    if (rc == OAK_ROW) {
        old->rowid = host->db_column_int(st, 0);
        old->number = host->req_strdup(req, host->db_column_text(st, 1));
        old->region = (int)host->db_column_int(st, 2);
        rc = old->number ? OAK_DONE : OAK_ENOMEM;
    }
    host->db_finish(st);
    return rc == OAK_DONE ? OAK_OK : supersede_failed(&err, rc);
}

int registry_supersede_link(oak_req *req, int kind, const struct registry_superseded *old,
                            const char *by)
{
    static const char *const sql[] = {
        [REGISTRY_DONOR] = "UPDATE registry_donors SET superseded_by = ?1 WHERE id = ?2",
        [REGISTRY_WILL] = "UPDATE registry_wills SET superseded_by = ?1 WHERE id = ?2",
    };
    struct oak_error err;
    oak_stmt *st;
    char detail[40];
    int rc = host->db_prepare(sql[kind], &st, &err);

    if (rc != OAK_OK)
        return supersede_failed(&err, rc);
    host->db_bind_text(st, 1, by, -1);
    host->db_bind_int(st, 2, old->rowid);
    rc = host->db_step(st, &err);
    host->db_finish(st);
    if (rc != OAK_DONE)
        return supersede_failed(&err, rc);
    snprintf(detail, sizeof detail, "by=%s", by);
    return host->audit(req, kind == REGISTRY_WILL ? "registry.will.supersede" : "registry.donor.supersede",
                       kind == REGISTRY_WILL ? "will" : "donor", old->number, old->region, detail);
}
