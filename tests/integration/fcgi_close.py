#!/usr/bin/env python3
"""fcgi_close.py - how oakseed ends a FastCGI connection the web server does
not keep (FCGI_KEEP_CONN clear), spoken to directly. Standard library only.

usage: fcgi_close.py ADDRESS HOLDS
  ADDRESS is a unix socket path or HOST:PORT.

HOLDS clients in turn each send a request (a GET, or a POST with a body),
the last record (the empty FCGI_STDIN) a moment after the rest; each reads
its whole answer and then the end of the connection, which must be a clean
close (EOF, not a reset), and then keeps its own side open without reading
or closing. A last client's request must then be answered within 1.5 s:
a worker that waited for its client to close first (libfcgi's shutdown and
drain waits up to 2 s) would hold it up while HOLDS >= the workers.
Prints "ok N" or the problem, and exits 0 or 1.
"""
import socket
import struct
import sys
import time

address, holds = sys.argv[1], int(sys.argv[2])


def record(rtype, content, rid=1):
    pad = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBx", 1, rtype, rid, len(content), pad) + content + b"\0" * pad


def pairs(params):
    out = b""
    for k, v in params.items():
        k, v = k.encode(), v.encode()
        for n in (len(k), len(v)):
            out += struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)
        out += k + v
    return out


def connect():
    if ":" in address and not address.startswith("/"):
        host, port = address.rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=5)
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(address)
    return s


def ask(s, i):
    """One request; returns (status line, body) once FCGI_END_REQUEST came."""
    body = (b'{"name":"\xe6\x94\xb6\xe5\xb0\xbe %d","message":"close"}' % i) if i % 2 else b""
    params = {"REQUEST_METHOD": "POST" if body else "GET",
              "REQUEST_URI": "/api/example/greetings" if body else "/api/health",
              "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json"}
    s.sendall(record(1, struct.pack(">HB5x", 1, 0)) + record(4, pairs(params)) + record(4, b"") +
              (record(5, body) if body else b""))
    time.sleep(0.1)
    s.sendall(record(5, b""))
    got, out = b"", b""
    while True:
        while len(got) < 8:
            chunk = s.recv(65536)
            if not chunk:
                raise RuntimeError("connection closed before FCGI_END_REQUEST")
            got += chunk
        _, rtype, _, clen, pad = struct.unpack(">BBHHBx", got[:8])
        while len(got) < 8 + clen + pad:
            chunk = s.recv(65536)
            if not chunk:
                raise RuntimeError("connection closed inside a record")
            got += chunk
        content, got = got[8:8 + clen], got[8 + clen + pad:]
        if rtype == 6:
            out += content
        elif rtype == 3:
            head, _, payload = out.partition(b"\r\n\r\n")
            return head.split(b"\r\n")[0].decode(), payload, got


held = []
for i in range(holds):
    s = connect()
    status, payload, rest = ask(s, i)
    want = "Status: 201 Created" if i % 2 else "Status: 200 OK"
    if status != want or not payload.startswith(b"{"):
        print("client %d: answered %r %r" % (i, status, payload[:80]))
        sys.exit(1)
    try:
        end = rest or s.recv(1)
    except ConnectionResetError:
        print("client %d: the connection was reset after the answer, not closed" % i)
        sys.exit(1)
    if end:
        print("client %d: bytes after FCGI_END_REQUEST: %r" % (i, end))
        sys.exit(1)
    held.append(s)      # our side stays open

t0 = time.monotonic()
s = connect()
status, payload, _ = ask(s, 0)
took = time.monotonic() - t0 - 0.1
s.close()
for h in held:
    h.close()
if status != "Status: 200 OK":
    print("last client: answered %r" % status)
    sys.exit(1)
if took > 1.5:
    print("last client: answered after %.2f s while %d clients kept their side open" % (took, holds))
    sys.exit(1)
print("ok %d" % holds)
