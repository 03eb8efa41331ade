#!/usr/bin/env python3
"""sling_mock.py -- the loopback API of test/unit/runner/test_sling_suite.c.

It answers as the mock server of Sling's own suite runner does
(core/dbio/api/api_test.go, TestHTTPCallAndResponseExtraction), one case at
a time: the test POSTs the case's mock to /__case, then runs the case's
endpoint against the server.

  POST /__case   {"json": <mock_response>} or {"raw": "<mock_response_raw>"},
                 optionally "status" (default 200) and "headers" {name: value}

Every other request gets:
  /login     {"token": "mock_token_12345"}
  /config    {"config": <the mock's config>}, or the whole mock when it has none
  /cleanup   {"cleanup": <the mock's cleanup>}, likewise
  /echo      {"received": <the request's JSON body>}
  otherwise  the mock, with its status and headers: a raw one as text/csv
             (application/json when it starts with { or [, application/xml
             with <); a JSON mock answers a JSON body holding "ids" with one
             record per id, {"data": [{"id": i, "name": "item_<i>"}]} (the
             chunk case: every chunk's ids must come back)

Binds 127.0.0.1 on a free port and prints "PORT <n>" as its first line; it
exits after LIFETIME seconds (argv[1], default 120) or as soon as its parent
process is gone.  Python standard library only.
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LIFETIME = float(sys.argv[1]) if len(sys.argv) > 1 else 120.0

lock = threading.Lock()
case = {"json": {}, "raw": None, "status": 200, "headers": {}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body, ctype, headers=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, doc, status=200, headers=None):
        self.send(status, json.dumps(doc), "application/json", headers)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        path = self.path.split("?", 1)[0]
        if path == "/__case":
            with lock:
                case.clear()
                case.update({"json": {}, "raw": None, "status": 200, "headers": {}})
                case.update(json.loads(body))
            return self.send_json({"ok": True})
        with lock:
            mock = dict(case)
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        doc = mock["json"] if isinstance(mock["json"], dict) else {}
        if path == "/login":
            return self.send_json({"token": "mock_token_12345"})
        if path in ("/config", "/cleanup"):
            key = path[1:]
            return self.send_json({key: doc[key]} if key in doc else doc)
        if path == "/echo":
            return self.send_json({"received": payload})
        if mock["raw"] is not None:
            text = mock["raw"]
            start = text.lstrip()[:1]
            ctype = ("application/json" if start in ("{", "[") else
                     "application/xml" if start == "<" else "text/csv")
            return self.send(mock["status"], text, ctype, mock["headers"])
        if isinstance(payload, dict) and isinstance(payload.get("ids"), list):
            return self.send_json({"data": [{"id": i, "name": "item_%s" % i} for i in payload["ids"]]},
                                  mock["status"], mock["headers"])
        return self.send_json(mock["json"], mock["status"], mock["headers"])

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


def watchdog(parent, started):
    while True:
        if os.getppid() != parent or time.monotonic() - started > LIFETIME:
            os._exit(0)
        time.sleep(0.5)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=watchdog, args=(os.getppid(), time.monotonic()),
                     daemon=True).start()
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever(poll_interval=0.2)


if __name__ == "__main__":
    main()
