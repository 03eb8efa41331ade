#!/usr/bin/env python3
"""Loopback HTTPS server for test_http.c's mutual-TLS test.

argv: <dir> [lifetime s].  Serves with <dir>/server.pem and server.key,
asks every client for a certificate signed by <dir>/ca.pem and refuses a
connection without one.  Prints "PORT <n> <pid>" first; GET anything answers
JSON {"client": <the client certificate's common name>}.  Exits after the
lifetime (default 60 s) so it never outlives a crashed test.
"""
import json
import os
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        cert = self.connection.getpeercert() or {}
        names = dict(x[0] for x in cert.get("subject", ()))
        body = json.dumps({"client": names.get("commonName")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    d = sys.argv[1]
    lifetime = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(d + "/server.pem", d + "/server.key")
    ctx.load_verify_locations(d + "/ca.pem")
    ctx.verify_mode = ssl.CERT_REQUIRED
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("PORT %d %d" % (server.server_address[1], os.getpid()), flush=True)
    timer = threading.Timer(lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    server.serve_forever(poll_interval=0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
