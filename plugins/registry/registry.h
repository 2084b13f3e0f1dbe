/*
 * registry.h - what the registry plugin's files share: the host table,
 * the per-file init functions and migrations, and small helpers for
 * masking, access codes and field errors.
 *
 * Files: registry.c (descriptor, init), common.c (these helpers),
 * donors.c (donor registration, lookup/amend/withdraw, cards), wills.c
 * (living wills), staff.c (staff search, detail, CSV, follow-ups),
 * stats.c (public statistics).
 */
#ifndef REGISTRY_H
#define REGISTRY_H

#include <oakseed/plugin.h>

#include <stddef.h>

extern const struct oak_host *host;

/* Migration SQL, one per file that owns tables (see registry.c). */
extern const char registry_sql_donors[];
extern const char registry_sql_wills[];
extern const char registry_sql_card_sig[];
extern const char registry_sql_donor_renewal[];
extern const char registry_sql_will_renewal[];
extern const char registry_sql_followups_donor[];

int registry_donors_init(oak_plugin_ctx *ctx, struct oak_error *err);
int registry_wills_init(oak_plugin_ctx *ctx, struct oak_error *err);
int registry_staff_init(oak_plugin_ctx *ctx, struct oak_error *err);
int registry_stats_init(oak_plugin_ctx *ctx, struct oak_error *err);

#define REGISTRY_CODE_LEN 12            /* access and proxy codes */
#define REGISTRY_SUFFIX_LEN 8           /* random part of a registration number */

/* "110105********123X": first 6 and last 4 characters. OUT holds 19. */
void registry_mask_id(const char *id, char out[19]);
/* "138****5678". OUT holds 12. */
void registry_mask_mobile(const char *mobile, char out[12]);
/* A name with its first and last characters kept and each one between
 * them shown as '*': "张*华", "王*", "阿******提". OUT holds SIZE bytes
 * (REGISTRY_MASKED_NAME is enough for any valid name). */
#define REGISTRY_MASKED_NAME 128
void registry_mask_name(const char *name, char *out, size_t size);

/* A new code of REGISTRY_CODE_LEN characters, and its display form
 * "XXXX-XXXX-XXXX" (DISPLAY holds 15). */
int registry_new_code(char code[REGISTRY_CODE_LEN + 1], char display[15]);
/* Normalise a code typed by a person (dashes, spaces, lower case) into
 * CODE; 0, or -1 when it cannot be one of ours. */
int registry_code_normalise(const char *typed, char code[REGISTRY_CODE_LEN + 1]);
/* The keyed hash stored for CODE, for PURPOSE ("donor.access",
 * "will.access", "will.proxy"). OUT holds 65. */
int registry_code_hash(const char *purpose, const char *code, char out[65]);

/* A registration number: PREFIX ('D' or 'W'), REGION, '-', random part.
 * OUT holds 17. */
int registry_new_number(char prefix, int region, char out[17]);

/* Attempt limits for guessing access codes: call registry_throttle_check
 * before checking (it answers 429 itself and returns nonzero when the
 * caller is locked out), registry_throttle_fail on a wrong pair and
 * registry_throttle_ok on success. SUBJECT is what is being guessed
 * (a blind index of the ID number, or a registration number). */
int registry_throttle_check(oak_req *req, const char *subject);
void registry_throttle_fail(oak_req *req, const char *subject);
void registry_throttle_ok(oak_req *req, const char *subject);

/* The string member NAME of OBJ, or NULL when absent or not a string. */
const char *registry_str(const oak_json *obj, const char *name);

/* ---- added for the donor side (common.c) ------------------------------ */

/* Characters (not bytes) of UTF-8 text S. */
size_t registry_text_chars(const char *s);
/* Six digits of REGION into OUT ("530502"). */
void registry_region_str(int region, char out[7]);
/* A new JSON string of S, or JSON null when S is NULL. */
oak_json *registry_json_text(const char *s);
/* 1 when two secrets (hex hashes) are equal, compared in constant time. */
int registry_same_secret(const char *a, const char *b);
/* Registering again after a withdrawal (a donor) or a revocation (a will):
 * the ended record of the person behind blind index IDX hands the index
 * over to the one being made and is kept as it was. registry_supersede
 * takes it (OLD gets its row id, number and region; rowid 0 when there is
 * none); registry_supersede_link then points it at its successor BY and
 * audits that, by numbers only. Inside the caller's transaction. */
enum { REGISTRY_DONOR, REGISTRY_WILL };
struct registry_superseded {
    long long rowid;
    const char *number;          /* request memory */
    int region;
};
int registry_supersede(oak_req *req, int kind, const char *idx, struct registry_superseded *old);
int registry_supersede_link(oak_req *req, int kind, const struct registry_superseded *old,
                            const char *by);
/* 0 for "YYYY-MM-DD" of a real calendar day from 1900 on; -1 when S is
 * not written so, -2 when it is but names no such day. */
int registry_date_check(const char *s);

/*
 * Field checks for the forms people fill in. Each takes the member KEY of
 * OBJ and, when it is wrong, records a Chinese message (with English in
 * brackets) on FIELD (the dotted name the page knows, e.g.
 * "emergency_contact.mobile") naming LABEL ("紧急联系人手机号码"), and
 * returns NULL. The strings returned are borrowed from OBJ, or request
 * memory for a normalised mobile number.
 */
const char *registry_want_text(oak_req *req, const oak_json *obj, const char *key,
                               const char *field, const char *label, int min, int max);
/* Free text (a wish, a note): as registry_want_text, but line breaks and
 * tabs are kept, and with MIN 0 the member may be left out ("" then). */
const char *registry_want_free_text(oak_req *req, const oak_json *obj, const char *key,
                                    const char *field, const char *label, int min, int max);
/* Record "<LABEL><ZH> (<FIELD><EN>)" on FIELD. */
void registry_say(oak_req *req, const char *field, const char *label, const char *zh, const char *en);
/* The member "id_number" as a valid resident ID number (facts into ID);
 * the member "region" as the code of a prefecture or county. 0, or -1
 * when a message was recorded. */
int registry_want_id(oak_req *req, const oak_json *obj, struct oak_id_facts *id);
int registry_want_region(oak_req *req, const oak_json *obj, int *region);
/* 400: the body is not a JSON object. Returns what host->error does. */
int registry_bad_body(oak_req *req);

#define REGISTRY_CHECK_MSG "请检查填写的内容 (please check the fields)"
#define REGISTRY_NOT_FOUND_MSG "身份证号码或查询码不正确 (ID number or access code not recognised)"

/* The first half of a registrant's sign-in with ID number + access code:
 * checks BODY (400/422 answered), the blind index IDX of the ID number
 * under ID_DOMAIN, the attempt limit on it (429 answered), and the keyed
 * hash HASH of the typed code for PURPOSE; *CODE_OK is 0 when the typed
 * code cannot be one of ours (HASH then unset). OAK_OK to go on; 1 when
 * answered; or an error. */
int registry_credentials(oak_req *req, const oak_json *body, const char *id_domain, const char *purpose,
                         struct oak_id_facts *id, char idx[65], char hash[65], int *code_ok);

/* The history rows of one record (revisions, versions): SQL takes ?1 =
 * ID; column 0 is an integer named KEYS[0], the others text or null named
 * KEYS[i], KEYS ending with NULL. A new array, or NULL on a database error. */
oak_json *registry_history_json(const char *sql, long long id, const char *const *keys);

/* A person's name: 2-30 characters of letters, spaces, '·', '.' or '-'. */
const char *registry_want_name(oak_req *req, const oak_json *obj, const char *key,
                               const char *field, const char *label);
/* A mainland mobile number, returned as its 11 digits. */
const char *registry_want_mobile(oak_req *req, const oak_json *obj, const char *key,
                                 const char *field, const char *label);
/* Optional boolean KEY: 0 or 1, or -1 (message recorded) when not a boolean. */
int registry_want_bool(oak_req *req, const oak_json *obj, const char *key, const char *field,
                       const char *label);

/* A contact person: name, relation (1-20 characters), mobile. */
struct registry_person {
    const char *name, *relation, *mobile;
};
/* Check the object member KEY of OBJ as a person; FIELD prefixes the
 * member names ("guardian" -> "guardian.name"), LABEL their labels.
 * 0, or -1 when a message was recorded. */
int registry_want_person(oak_req *req, const oak_json *obj, const char *key, const char *field,
                         const char *label, struct registry_person *p);

/* ---- donor records (donors.c), shared with staff.c -------------------- */

#define REGISTRY_ORGANS 8
/* "heart", "lungs", ... and their Chinese names, by bit of .organs. */
extern const char *const registry_organ_keys[REGISTRY_ORGANS];
extern const char *const registry_organ_names[REGISTRY_ORGANS];

struct registry_donor {
    long long rowid;
    const char *number, *status, *code_hash, *gender, *ethnicity;
    const char *registered_at, *withdrawn_at;
    const char *card_sig;              /* as issued; NULL on older rows */
    int region, age, all_organs, body;
    unsigned organs;                   /* bit i: registry_organ_keys[i] */
    /* personal data, set by registry_donor_open (request memory) */
    const char *name, *id_number, *mobile;
    struct registry_person contact, guardian;   /* guardian.name NULL: none */
};

/* Load the donor whose column BY ("number" or "id_index") is KEY, without
 * its personal data. OAK_OK, OAK_ENOTFOUND, or a database error. */
int registry_donor_find(oak_req *req, const char *by, const char *key, struct registry_donor *d);
/* Decrypt D's personal data into request memory. OAK_OK or an error
 * (logged; OAK_ETAMPER when a value does not belong to its row). */
int registry_donor_open(oak_req *req, struct registry_donor *d);
/* The withdrawal reason of D, decrypted into request memory (NULL when
 * none was given). OAK_OK or an error (logged). */
int registry_donor_reason(oak_req *req, const struct registry_donor *d, const char **reason);
/* The masked view of an opened donor: number, status, name, masked ID and
 * mobile numbers, age, gender, ethnicity, region, donation, contacts,
 * dates and revisions. NULL on failure. */
oak_json *registry_donor_json(oak_req *req, const struct registry_donor *d);
/* "全部器官、遗体", "心脏、肝脏": D's choices for people. Request memory. */
const char *registry_donation_text(oak_req *req, const struct registry_donor *d);

#endif
