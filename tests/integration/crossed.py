#!/usr/bin/env python3
"""crossed.py - many concurrent requests to the echo test plugin through
nginx, each with a nonce of its own, checking that every answer carries its
own request's nonce (in the query or body, and in the X-Nonce header) and
its own request id (the X-Request-Id nginx adds equals the request_id
oakseed answers, on every request, GET and POST alike: a missing one is a
failure, not a pass). Standard library only.

usage: crossed.py URL REQUESTS THREADS MODE
  MODE close: a new client connection per request (Connection: close)
       keep:  each thread keeps one HTTP/1.1 connection to nginx
Prints one line "total ok crossed failed" and up to 5 examples of each
problem on stderr; exits 0 when every request was answered correctly.
"""
import http.client
import json
import os
import sys
import threading
import urllib.parse

url, total, nthreads, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
parts = urllib.parse.urlsplit(url)
lock = threading.Lock()
counts = {"ok": 0, "crossed": 0, "failed": 0}
examples = []
next_index = [0]


def take():
    with lock:
        if next_index[0] >= total:
            return None
        next_index[0] += 1
        return next_index[0]


def note(kind, what):
    with lock:
        counts[kind] += 1
        if kind != "ok" and len(examples) < 10:
            examples.append("%s: %s" % (kind, what))


def one(conn, i):
    nonce = os.urandom(12).hex()
    headers = {"X-Nonce": nonce}
    if mode == "close":
        headers["Connection"] = "close"
    if i % 3 == 0:
        body = json.dumps({"nonce": nonce})
        headers["Content-Type"] = "application/json"
        conn.request("POST", "/api/echo", body=body, headers=headers)
    else:
        # a short pause in some requests, so that they overlap
        conn.request("GET", "/api/echo?nonce=%s&us=%d" % (nonce, (i * 7919) % 3000 if i % 2 else 0),
                     headers=headers)
    resp = conn.getresponse()
    raw = resp.read()
    rid = resp.getheader("X-Request-Id")
    if resp.status != 200:
        note("failed", "status %d %r" % (resp.status, raw[:200]))
        return resp
    try:
        got = json.loads(raw)
    except ValueError:
        note("failed", "not JSON: %r" % raw[:200])
        return resp
    if not rid or len(rid) != 32 or not got.get("request_id"):
        note("failed", "no request id to compare (header %r, body %r)" % (rid, got))
    elif got.get("nonce") != nonce or got.get("header") != nonce or got["request_id"] != rid:
        note("crossed", "sent %s (request id %s), got %r" % (nonce, rid, got))
    else:
        note("ok", "")
    return resp


def new_conn():
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)


def worker():
    conn = new_conn()
    while True:
        i = take()
        if i is None:
            break
        try:
            resp = one(conn, i)
            if mode == "close" or resp.will_close:
                conn.close()
                conn = new_conn()
        except (OSError, http.client.HTTPException) as e:
            note("failed", "request %d: %r" % (i, e))
            conn.close()
            conn = new_conn()
    conn.close()


threads = [threading.Thread(target=worker) for _ in range(nthreads)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("%d %d %d %d" % (total, counts["ok"], counts["crossed"], counts["failed"]))
for e in examples:
    print(e, file=sys.stderr)
sys.exit(0 if counts["ok"] == total else 1)
