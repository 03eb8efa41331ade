#!/usr/bin/env python3
"""Loopback HTTP/1.1 server for test/unit/http/test_http.c (the request engine).

Binds 127.0.0.1 on a free port and prints "<port> <pid>" as its first line;
the test kills it by that pid.  It also exits by itself after LIFETIME
seconds (argv[1], default 120) or as soon as its parent process is gone, so
it never lingers after a crashed test.

Endpoints (query parameters in brackets):
  /echo               JSON {method, path, query, headers (lower-case), body, body_len}
  /delay [ms]         sleeps, then {"ok": true}; counted in the in-flight gauge
  /hang  [s]          sleeps s seconds (default 60) before answering
  /status [code, h]   answers code; each h=Name:Value becomes a header
  /headers            repeated and mixed-case headers
  /gzip               a repetitive text body, gzip-encoded when accepted
  /big [n]            n bytes of 'x'
  /redirect [n]       302 to /redirect?n=n-1, and /echo at n=0
  /stats              JSON {max_in_flight, connections, times}
  /reset              zeroes the counters
/stats and /reset are left out of the counters; "connections" counts the
connections that carried any other request, "times" the arrival time
(server monotonic seconds) of every such request.
"""
import gzip
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LIFETIME = float(sys.argv[1]) if len(sys.argv) > 1 else 120.0
GZIP_TEXT = b"backfill " * 2000

lock = threading.Lock()
stats = {"in_flight": 0, "max_in_flight": 0, "connections": 0, "times": []}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    counted = False

    def log_message(self, *args):
        pass

    def do_GET(self):
        split = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = split.path
        if path == "/stats":
            with lock:
                self.reply(200, json.dumps(stats).encode())
            return
        if path == "/reset":
            with lock:
                stats.update(max_in_flight=0, connections=0, times=[])
            self.reply(200, b"{}")
            return
        with lock:
            if not self.counted:
                self.counted = True
                stats["connections"] += 1
            stats["times"].append(time.monotonic())
        self.route(path, query, split.query, body)

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def route(self, path, query, raw_query, body):
        arg = lambda k, d: query.get(k, [d])[0]
        if path == "/echo":
            doc = {"method": self.command, "path": path, "query": raw_query,
                   "headers": {k.lower(): v for k, v in self.headers.items()},
                   "body": body.decode("latin-1"), "body_len": len(body)}
            self.reply(200, json.dumps(doc).encode(),
                       [("Content-Type", "application/json")])
        elif path == "/delay":
            with lock:
                stats["in_flight"] += 1
                stats["max_in_flight"] = max(stats["max_in_flight"],
                                             stats["in_flight"])
            try:
                time.sleep(int(arg("ms", "100")) / 1000.0)
            finally:
                with lock:
                    stats["in_flight"] -= 1
            self.reply(200, b'{"ok": true}')
        elif path == "/hang":
            time.sleep(float(arg("s", "60")))
            self.reply(200, b"late")
        elif path == "/status":
            headers = [tuple(h.split(":", 1)) for h in query.get("h", [])]
            code = int(arg("code", "200"))
            self.reply(code, ("status %d" % code).encode(), headers)
        elif path == "/headers":
            self.reply(200, b"h", [("X-Multi", "a"), ("X-Multi", "b"),
                                   ("X-Mixed-Case", "  V  "),
                                   ("Retry-After", "7")])
        elif path == "/gzip":
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                self.reply(200, gzip.compress(GZIP_TEXT),
                           [("Content-Encoding", "gzip")])
            else:
                self.reply(200, GZIP_TEXT)
        elif path == "/big":
            self.reply(200, b"x" * int(arg("n", "0")))
        elif path == "/redirect":
            n = int(arg("n", "0"))
            target = "/redirect?n=%d" % (n - 1) if n > 0 else "/echo"
            self.reply(302, b"", [("Location", target)])
        else:
            self.reply(404, b"no such endpoint")

    def reply(self, code, body, headers=()):
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that hung up (a timeout, a freed engine) is expected."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def watchdog(parent, started):
    while True:
        if os.getppid() != parent or time.monotonic() - started > LIFETIME:
            os._exit(0)
        time.sleep(0.2)


def main():
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=watchdog, args=(os.getppid(), time.monotonic()),
                     daemon=True).start()
    print(server.server_address[1], os.getpid(), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
