/*
 * http.h - one request as the core sees it, built from FastCGI params and
 * the body, and the response it answers with. Nothing here touches
 * libfcgi, so the parsing is unit-tested on plain arrays.
 */
#ifndef OAK_HTTP_H
#define OAK_HTTP_H

#include <stddef.h>
#include <jansson.h>

#include "buf.h"
#include "urlencode.h"

struct oak_arena;
struct oak_route;
struct oak_actor;
struct oak_app;

struct oak_limits {
    long max_body;
    int max_params;
    int max_json_depth;
};

struct oak_req {
    struct oak_arena *arena;
    char **env;                  /* "NAME=value" params, borrowed */
    const struct oak_limits *limits;

    const char *method;
    const char *path;            /* decoded */
    const char *raw_path;        /* as sent, without the query */
    const char *query_string;
    const char *content_type;
    const char *remote_addr;
    long content_length;         /* -1 when absent */
    int is_head;
    int https;
    char id[33];

    struct oak_kvlist query;
    struct oak_kvlist form;
    struct oak_kvlist cookies;
    struct oak_kvlist params;    /* route parameters */
    int cookies_parsed;

    const char *body;
    size_t body_len;
    json_t *json;

    const struct oak_route *route;
    struct oak_actor *actor;     /* NULL when anonymous */
    struct oak_app *app;

    /* response */
    int status;
    int responded;
    const char *resp_type;
    struct oak_buf *resp_headers;   /* "Name: value\r\n" lines */
    struct oak_buf *resp_body;
    json_t *err_fields;
    int tx_open;                     /* a plugin left a transaction open */
    /* where the whole response is rendered (status line, headers, body)
     * as soon as it is set, so that sending it cannot fail; NULL: only
     * at send time (oak_resp_output). resp_ready: resp_out holds the
     * current response. */
    struct oak_buf *resp_out;
    int resp_ready;
};

/* Failure of parsing: HTTP status, envelope code, message, field name. */
struct oak_http_fail {
    int status;
    const char *code;
    char message[256];
    char field[64];
};

/* Prepare REQ for a new request (buffers are reused, not freed). */
void oak_req_reset(struct oak_req *req, struct oak_arena *a, struct oak_buf *headers,
                   struct oak_buf *body, const struct oak_limits *lim);
/* Release what the request owns (JSON body, error fields). */
void oak_req_release(struct oak_req *req);

/* Value of FastCGI param NAME in ENV, or NULL. */
const char *oak_env_get(char **env, const char *name);

/* Fill method, path, query, headers-derived fields from ENV. The request id
 * is taken from REQUEST_ID when it is 32 hex digits (nginx's $request_id),
 * otherwise from GEN. Returns 0 or -1 with FAIL filled. */
int oak_req_parse_params(struct oak_req *req, char **env, const char *gen_id,
                         struct oak_http_fail *fail);
/* Attach the body and parse it by content type (urlencoded, JSON). */
int oak_req_set_body(struct oak_req *req, const char *body, size_t len,
                     struct oak_http_fail *fail);

const char *oak_req_header(struct oak_req *req, const char *name);
const char *oak_req_cookie(struct oak_req *req, const char *name);

/* Responses. Each replaces an earlier one, and renders it whole into
 * req->resp_out when that is set: once one returned 0, sending it needs no
 * memory, so a handler answers first and commits after (docs/plugin-api.md,
 * Handlers). One that returns -1 leaves no answer at all (status 0), never
 * the one it was replacing: the worker then sends its static 500. */
int oak_resp_raw(struct oak_req *req, int status, const char *type, const void *p, size_t n);
/* Steals body. */
int oak_resp_json(struct oak_req *req, int status, json_t *body);
int oak_resp_error(struct oak_req *req, int status, const char *code, const char *message);
int oak_resp_error_field(struct oak_req *req, const char *field, const char *message);
/* A header set after the answer is rendered again at send time. */
int oak_resp_header(struct oak_req *req, const char *name, const char *value);

/* Reason phrase for a status code. */
const char *oak_status_text(int status);

/* Write the CGI-style response (Status line, headers, blank line, body
 * unless HEAD) to OUT. */
int oak_resp_serialize(struct oak_req *req, struct oak_buf *out);

/* The bytes to send for REQ: req->resp_out as rendered when the answer was
 * set and nothing changed since; else the response serialised into OUT;
 * else (no answer, or no memory to serialise it) a static 500 with the
 * error envelope. Never fails. *LEN gets the length. */
const char *oak_resp_output(struct oak_req *req, struct oak_buf *out, size_t *len);

#endif
