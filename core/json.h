/*
 * json.h - the core's JSON helper set on top of jansson: bounded parsing of
 * request bodies and the one error envelope.
 */
#ifndef OAK_JSON_H
#define OAK_JSON_H

#include <stddef.h>
#include <jansson.h>

/* Nesting depth of the JSON text S (arrays and objects, outside strings). */
int oak_json_depth(const char *s, size_t len);

enum oak_json_fail { OAK_JSON_SYNTAX = 1, OAK_JSON_TOO_DEEP = 2, OAK_JSON_NOMEM = 3 };

/* Route jansson's allocations through the core (once, at start-up, before
 * any thread): a parse during which an allocation failed is OAK_JSON_NOMEM. */
void oak_json_init(void);
/* 1 when a jansson allocation failed on this thread since the last call;
 * clears it. A value built then may silently lack a member (a setter given
 * NULL), so the dispatcher answers such a request 500. */
int oak_json_take_oom(void);
/* The same without clearing: oak_db_commit refuses to commit then. */
int oak_json_oom_seen(void);

/* Parse a request body: a depth above max_depth is refused before jansson
 * sees it. Returns a new reference, or NULL with *fail and a short English
 * reason (position included) in why. */
json_t *oak_json_parse_body(const char *s, size_t len, int max_depth, int *fail,
                            char *why, size_t whylen);

/* {"error":{"code":..,"message":..,"fields":{..}},"request_id":..}.
 * fields is borrowed and may be NULL. Returns a new reference. */
json_t *oak_json_envelope(const char *code, const char *message, json_t *fields,
                          const char *request_id);

/* Compact serialisation, UTF-8 kept as is. Caller frees. */
char *oak_json_dump(const json_t *v);
/* The same text appended to B (no string of its own to allocate and copy).
 * 0, or -1 when memory ran out (B then holds part of it). */
struct oak_buf;
int oak_json_dump_buf(const json_t *v, struct oak_buf *b);

#endif
