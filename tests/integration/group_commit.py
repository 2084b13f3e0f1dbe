#!/usr/bin/env python3
"""group_commit.py - concurrent donor registrations through nginx, so that
oakseed's workers have several waiting at once and commit them in groups.
Each registration has an ID number of its own (PREFIX6 19900101 and a
three-digit sequence from FIRST on, with its check character).
Standard library only.

usage: group_commit.py URL COUNT THREADS FIRST
Prints one line per answer: "STATUS X-Request-Id NUMBER CODE BODY-ID"
(NUMBER is "-" unless the answer is a 201; CODE and BODY-ID are the error
envelope's code and request_id, or "-"), and exits 0 when every request
got an answer.
"""
import http.client
import json
import sys
import threading
import urllib.parse

url, count, nthreads, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
parts = urllib.parse.urlsplit(url)
lock = threading.Lock()
queue = list(range(first, first + count))
lines = []
failed = [0]
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def mkid(seq):
    body = "530502" "19900101" + "%03d" % seq
    s = sum(int(c) * w for c, w in zip(body, WEIGHTS))
    return body + "10X98765432"[s % 11]


def donor(idn):
    return json.dumps({
        "name": "张丽华", "id_number": idn, "ethnicity": "汉族", "mobile": "13987651234",
        "region": "530502", "donation": {"all_organs": True},
        "emergency_contact": {"name": "张建国", "relation": "父亲", "mobile": "13600001111"},
        "consents": {"voluntary": True, "informed": True, "revocable": True},
    }, ensure_ascii=False).encode()


def worker():
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    while True:
        with lock:
            if not queue:
                break
            seq = queue.pop()
        try:
            conn.request("POST", "/api/registry/donors", body=donor(mkid(seq)),
                         headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            rid = r.getheader("X-Request-Id") or "-"
            try:
                doc = json.loads(data)
            except ValueError:
                doc = {}
            err = doc.get("error") if isinstance(doc.get("error"), dict) else {}
            number = doc.get("number", "-") if r.status == 201 else "-"
            with lock:
                lines.append("%d %s %s %s %s" % (r.status, rid, number, err.get("code", "-"),
                                                 doc.get("request_id") or "-"))
        except (OSError, http.client.HTTPException) as e:
            with lock:
                failed[0] += 1
            sys.stderr.write("request %d: %s\n" % (seq, e))
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn.close()


threads = [threading.Thread(target=worker) for _ in range(nthreads)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("\n".join(lines))
sys.exit(1 if failed[0] else 0)
