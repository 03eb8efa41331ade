#!/usr/bin/env python3
"""
mock_api.py -- the loopback API the tests and the demo talk to.

It serves the three APIs of the seed specs (daily events, monthly sales,
orders by id) with deterministic data, plus the endpoints the tests need to
provoke what a real API does: error statuses, bodies that are not JSON,
an echo of the request, slow and hanging answers, an oauth2 token URL.  It
binds 127.0.0.1 on the given port (0: a free one), prints "PORT <n>" on its
first line of stdout so the harness can pass it on, and exits by itself
after --lifetime seconds so it can never outlive a test run.

Python standard library only.
"""

import argparse
import datetime
import functools
import gzip
import hashlib
import hmac
import json
import os
import re
import socket
import ssl
import subprocess
import tempfile
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# socketserver's listen backlog is 5: a client opening more connections at
# once (a scan at concurrency 10) has the rest of its SYNs dropped and
# retried a second later, which a benchmark would measure as the client's
ThreadingHTTPServer.request_queue_size = 128

STATS_LOCK = threading.Lock()
STATS = {"requests": 0, "in_flight": 0, "max_in_flight": 0, "log": []}
# per ?tag=X: what one test's requests looked like from the API's side
TAGS = {}
# per ?key=X: how many times a flaky or rate-limited resource was asked
ATTEMPTS = {}
# the access tokens /oauth/token handed out
TOKENS = set()
# /bulk_cached bodies by (page, size, pages)
BULK_CACHE = {}


def tag_stats(tag):
    return TAGS.setdefault(tag, {"requests": 0, "in_flight": 0, "max_in_flight": 0, "times": []})


def max_in_window(times, window=1.0):
    """The most requests that started within any `window` seconds."""
    best, j = 0, 0
    for i, t in enumerate(times):
        while t - times[j] >= window:
            j += 1
        best = max(best, i - j + 1)
    return best


@functools.lru_cache(maxsize=512)
def bulk_body(page, size, pages):
    """A /bulk page, encoded once: benchmarks measure the client, not this server."""
    items = bulk_items(page, size) if page < pages else []
    return json.dumps({"items": items, "page": page, "more": page + 1 < pages}).encode()


def bulk_items(page, size):
    base = page * size
    return [{"id": base + i, "name": "item-%d" % (base + i), "value": (base + i) * 0.5,
             "ts": "2024-01-01T00:00:%02dZ" % ((base + i) % 60), "flag": (base + i) % 2 == 0}
            for i in range(size)]


def daily_events(day):
    """Three events a day, ids and amounts derived from the date."""
    d = datetime.date.fromisoformat(day)
    n = d.toordinal()
    kinds = ["click", "view", "purchase"]
    return [
        {
            "event_id": "%s-%d" % (day, i + 1),
            "date": day,
            "kind": kinds[(n + i) % 3],
            "amount": round(((n * 7 + i * 13) % 1000) / 10.0, 1),
            "payload": {"seq": i + 1, "tags": ["t%d" % ((n + i) % 5)]},
        }
        for i in range(3)
    ]


TYPES_RECORDS = [
    {
        "id": 1, "name": "alpha", "big": 9007199254740993, "ratio": 0.25,
        "price": "12.50", "active": True, "day": "2024-02-29",
        "at": "2024-01-02T03:04:05Z", "meta": {"k": [1, 2]}, "tags": ["a", "b"],
        "MixedCase": "exact", "nothing": None,
        "note": "tab\there, \"quoted\", caf\u00e9 \u2603 \U0001F600 back\\slash",
    },
    {
        "id": 2, "name": "beta", "big": -1, "ratio": 1e-3,
        "price": 7, "active": False, "day": "2023-12-31",
        "at": "2023-12-31T23:59:59.5+02:00", "meta": {}, "tags": [],
        "mixedcase": "lower", "nothing": None, "note": "",
    },
]


# -- fixed bodies (issue 15: strict JSON, NUL, key comparison) -----------------
# /fixed/<name>/<day>: FIXED_BODIES[name] exactly as written, "{day}" replaced,
# for bodies json.dumps would never produce (invalid JSON, \u0000, 1.0 vs 1).
FIXED_BODIES = {
    "good": '{"data": {"events": [{"event_id": "{day}-1", "date": "{day}", "kind": "ok"}]}}',
    "trailing_comma": '{"data": {"events": [{"event_id": "{day}-1", "date": "{day}",}]}}',
    "trailing_comma_array": '{"data": {"events": [{"event_id": "{day}-1", "date": "{day}"},]}}',
    "single_quotes": "{\"data\": {\"events\": [{'event_id': '{day}-1', 'date': '{day}'}]}}",
    "nan": '{"data": {"events": [{"event_id": "{day}-1", "date": "{day}", "amount": NaN}]}}',
    "leading_zero": '{"data": {"events": [{"event_id": "{day}-1", "date": "{day}", "amount": 0123}]}}',
    "comment": '{"data": {"events": [/* one */ {"event_id": "{day}-1", "date": "{day}"}]}}',
    "after_records": '{"data": {"events": [{"event_id": "{day}-1", "date": "{day}"}]}, "n": NaN}',
    "nul": '{"data": {"events": [{"event_id": "a\\u0000x", "date": "{day}"},'
           ' {"event_id": "a\\u0000y", "date": "{day}"}]}}',
    "nul_kind": '{"data": {"events": [{"event_id": "{day}-1", "date": "{day}", "kind": "x\\u0000y"}]}}',
    "numeric_keys": '{"data": {"events": [{"event_id": 1.0, "date": "{day}", "kind": "number 1.0"},'
                    ' {"event_id": 1, "date": "{day}", "kind": "number 1"},'
                    ' {"event_id": "1", "date": "{day}", "kind": "string 1"},'
                    ' {"event_id": 1e0, "date": "{day}", "kind": "number 1e0"},'
                    ' {"event_id": 1, "date": "{day}", "kind": "a repeat of number 1"}]}}',
    "surrogate": '{"data": {"events": [{"event_id": "{day}-1", "date": "{day}", "kind": "a\\ud800b"}]}}',
}


def fixed_body(name, day):
    """The body called name for day, or None."""
    body = FIXED_BODIES.get(name)
    return None if body is None else body.replace("{day}", day)


# -- direct conversion (sql/convert_fast.sql) ---------------------------
# /timestamps: each text once as "text" and once as "ts", for a timestamptz
# column read directly (ISO 8601 with an offset) or by timestamptz_in
# (everything else); every one of them is a timestamp PostgreSQL accepts.
TIMESTAMP_TEXTS = [
    "2024-01-01T00:00:05Z", "2024-02-29T23:59:59Z", "2024-02-29 12:00:00Z",
    "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "1900-02-28T00:00:00-00:00",
    "2000-03-01T00:00:00+00:00", "2024-06-30T12:34:56.5+05:30",
    "2024-06-30T12:34:56.123456-09:30", "2024-06-30T12:34:56.000001Z",
    "2024-06-30T12:34:56+14:00", "2024-06-30T12:34:56-14:59",
    # read by timestamptz_in: rounded, out of the direct form, or no offset
    "2024-06-30T12:34:56.1234567Z", "2024-06-30T12:34:56.12345650Z",
    "2024-06-30T12:34:56+15:00", "2024-06-30T12:34:56+05", "2024-06-30T12:34:56+0530",
    "2024-06-30T12:34:56z", "2024-06-30T12:34:56", "2024-06-30T24:00:00Z",
    "2016-12-31T23:59:60Z", "2024-06-30T12:34:56 Z", "2024-06-30T12:34:56.Z",
    "2024-06-30 12:34:56 America/New_York", "epoch",
]


# -- the range tests (sql/range_*.sql) ----------------------------------
# A request with ?log=<name> is kept under name, as its path and its other
# parameters; /logged?name=<name> hands them back sorted and forgets them,
# so a test sees exactly the requests one statement made.
LOGS = {}


def log_request(raw_path):
    url = urllib.parse.urlsplit(raw_path)
    query = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
    name = dict(query).get("log")
    if name is None:
        return
    rest = urllib.parse.urlencode(sorted((k, v) for k, v in query if k != "log"))
    with STATS_LOCK:
        LOGS.setdefault(name, []).append(url.path + ("?" + rest if rest else ""))


def range_route(handler, parts, query):
    """Answer one of the range tests' routes and return True, else False."""
    if parts == ["logged"]:
        with STATS_LOCK:
            paths = sorted(LOGS.pop(query.get("name", ""), []))
        handler.send_body(200, {"requests": paths})
        return True
    # an API with only a "since": the events of that day and the four after it
    if parts[:3] == ["v1", "events", "since"] and len(parts) == 4:
        try:
            first = datetime.date.fromisoformat(parts[3])
        except ValueError:
            handler.send_body(400, {"error": "bad date %r" % parts[3]})
            return True
        events = [e for k in range(5)
                  for e in daily_events((first + datetime.timedelta(days=k)).isoformat())]
        handler.send_body(200, {"data": {"events": events}})
        return True
    return False


# -- page prefetch and bounded de-duplication (sql/bulk_load.sql) --------
# /dedup_pages?page=P&size=S&modulo=M&ms=D: S records after D ms, ids
# (P*S + i) % M, each saying its page: an id repeats every M/S pages, so
# the page a row keeps shows which copy won; every page has records, so
# rows from a page past a stop would show too.
def bulk_load_route(handler, parts, query):
    """Answer the bulk_load test's routes and return True, else False."""
    if parts != ["dedup_pages"]:
        return False
    page = int(query.get("page", "0"))
    size = int(query.get("size", "10"))
    modulo = int(query.get("modulo", "1000000000"))
    delay = float(query.get("ms", "0")) / 1000.0
    if delay:
        time.sleep(delay)
    items = [{"id": (page * size + i) % modulo, "page": page} for i in range(size)]
    handler.send_body(200, {"items": items, "page": page})
    return True


# -- partitioned targets (test/bench/bench_partition.sh) -----------------------
# /bulk_daily?day=YYYY-MM-DD&size=N: N records dated that day, ids unique
# across days, each body made once and then served from memory (as
# /bulk_cached), so that the benchmark measures the client.
DAILY_CACHE = {}


def bench_route(handler, parts, query):
    """Answer the partition benchmark's route and return True, else False."""
    if parts != ["bulk_daily"]:
        return False
    key = (query.get("day", ""), int(query.get("size", "100")))
    with STATS_LOCK:
        body = DAILY_CACHE.get(key)
    if body is None:
        try:
            day = datetime.date.fromisoformat(key[0])
        except ValueError:
            handler.send_body(400, {"error": "bad day %r" % key[0]})
            return True
        base = (day.toordinal() - datetime.date(2000, 1, 1).toordinal()) * key[1]
        items = [{"id": base + i, "day": key[0], "name": "item-%d" % (base + i),
                  "value": (base + i) * 0.5} for i in range(key[1])]
        body = json.dumps({"items": items}).encode()
        with STATS_LOCK:
            DAILY_CACHE[key] = body
    handler.send_body(200, body)
    return True


# -- IMPORT FOREIGN SCHEMA (sql/import.sql) --------------------------------
# Records whose keys disagree in type from one record to the next, and keys
# that are no plain column name: empty, with a space, longer than
# PostgreSQL's 63 bytes (two that share their first 63), two that differ
# only by case; "late" is first seen in the second record.
LONG_KEY = "a_key_that_is_much_longer_than_the_sixty_three_bytes_postgres_allows"
IMPORT_MIXED = [
    {"n": 1, "when": "2024-01-01", "v": 1, "j": {"a": 1}, "id": "a",
     "nested": {"deep": {"x": 1}}, "": "empty key", "has space": "s",
     LONG_KEY + "_1": 1, "Name": "upper"},
    {"id": "b", "n": 2.5, "when": "2024-01-01T10:00:00+02:00", "v": "x", "j": "s",
     "late": True, "name": "lower", "nested": None, LONG_KEY + "_1": 2,
     LONG_KEY + "_2": 3},
]


def import_route(handler, parts):
    """Answer the import tests' routes and return True, else False."""
    if parts == ["import", "mixed"]:
        handler.send_body(200, {"items": IMPORT_MIXED})
        return True
    # keys that are ids: more than a table's 1600 columns
    if parts == ["import", "wide"]:
        handler.send_body(200, {"items": [{"k%d" % i: i for i in range(1700)}]})
        return True
    return False


# -- the cookbook and a user's first hour (docs/cookbook.md, sql/cookbook.sql,
# sql/first_hour.sql; issue 14) -------------------------------------------
#
# /cookbook/link?page=N: 3 pages of 2 items, each but the last with a
# Link: <...>; rel="next" header (GitHub's style).
# /cookbook/updated?updated_since=T: the items updated after T (ISO 8601,
# compared as text), oldest first.
# /cookbook/epoch: created as Unix seconds, created_ms as milliseconds.
COOKBOOK_UPDATED = [
    {"id": 1, "name": "alpha", "updated_at": "2024-03-01T10:00:00Z"},
    {"id": 2, "name": "beta", "updated_at": "2024-03-02T11:30:00Z"},
    {"id": 3, "name": "gamma", "updated_at": "2024-03-03T09:15:00Z"},
    {"id": 4, "name": "delta", "updated_at": "2024-03-04T18:45:00Z"},
]
COOKBOOK_EPOCH = [
    {"id": 1, "created": 1709287200, "created_ms": 1709287200123},
    {"id": 2, "created": 1709380800.5, "created_ms": 1709380800000},
    {"id": 3, "created": 0, "created_ms": -1000},
]


def cookbook_route(handler, parts, query):
    """Answer the cookbook's routes and return True, else False."""
    if parts == ["cookbook", "link"]:
        page = int(query.get("page", "1"))
        items = [{"id": (page - 1) * 2 + i, "page": page} for i in (1, 2)] if page <= 3 else []
        headers = {}
        if page < 3:
            headers["Link"] = ('<http://%s/cookbook/link?page=%d>; rel="next", '
                               '<http://%s/cookbook/link?page=3>; rel="last"'
                               % (handler.headers.get("Host"), page + 1, handler.headers.get("Host")))
        handler.send_body(200, items, headers=headers)
        return True
    if parts == ["cookbook", "updated"]:
        since = query.get("updated_since", "")
        handler.send_body(200, {"items": [r for r in COOKBOOK_UPDATED if r["updated_at"] > since]})
        return True
    if parts == ["cookbook", "epoch"]:
        handler.send_body(200, {"items": COOKBOOK_EPOCH})
        return True
    return False


# -- queues: parents, children, grandchildren (sql/queues*.sql) ------------
#
# Five parents p1..p5, created 2024-01-01 .. 2024-01-05, two a page by a
# cursor (?cursor=<last id>), only those created on or after ?since=.
# Parent pN has N children pN-c1.., two a page (?page=, from 1), each with
# the parent's created date; each child has one grandchild.  /q/batch
# answers a record per id of ?ids=a,b,c; /q/fail is a 500.  The Stripe-like
# /q/v1/customers (three, ?limit= a page after ?starting_after=) and
# /q/v1/charges?customer=cus_K (K charges) answer in Stripe's list format.
# /q/ids?page=N&size=S&pages=P: page N of S ids (bench: a big queue).
Q_PARENTS = [{"id": "p%d" % n, "name": "parent %d" % n,
              "created": "2024-01-0%d" % n} for n in range(1, 6)]
Q_CUSTOMERS = ["cus_%d" % n for n in range(1, 4)]


def queue_route(handler, parts, query):
    """Answer the queue tests' routes and return True, else False."""
    if parts[:1] != ["q"]:
        return False
    if parts == ["q", "parents"]:
        rows = [p for p in Q_PARENTS if p["created"] >= query.get("since", "")]
        after = query.get("cursor") or ""
        if after:
            rows = [p for p in rows if p["id"] > after]
        page = rows[:2]
        handler.send_body(200, {"data": page,
                                "next_cursor": page[-1]["id"] if len(rows) > 2 else None})
        return True
    if len(parts) == 4 and parts[1] == "parents" and parts[3] == "children":
        parent = next((p for p in Q_PARENTS if p["id"] == parts[2]), None)
        if parent is None:
            handler.send_body(404, {"error": "no parent %s" % parts[2]})
            return True
        n = int(parent["id"][1:])
        page = int(query.get("page") or 1)
        ids = list(range(1, n + 1))[(page - 1) * 2:page * 2]
        handler.send_body(200, {"items": [{"id": "%s-c%d" % (parent["id"], k),
                                           "parent_id": parent["id"],
                                           "created": parent["created"]} for k in ids],
                                "more": page * 2 < n})
        return True
    if len(parts) == 4 and parts[1] == "children" and parts[3] == "grandchildren":
        handler.send_body(200, {"items": [{"id": parts[2] + "-g", "child_id": parts[2]}]})
        return True
    if parts == ["q", "batch"]:
        ids = [i for i in query.get("ids", "").split(",") if i]
        handler.send_body(200, {"items": [{"id": i, "batch": query.get("ids", "")} for i in ids]})
        return True
    if parts == ["q", "fail"]:
        handler.send_body(500, {"error": "the parents are unavailable"})
        return True
    if parts == ["q", "v1", "customers"]:
        after = query.get("starting_after") or ""
        rest = [c for c in Q_CUSTOMERS if c > after]
        limit = int(query.get("limit") or 10)
        handler.send_body(200, {"object": "list", "url": "/v1/customers",
                                "data": [{"id": c, "object": "customer",
                                          "email": "%s@example.com" % c} for c in rest[:limit]],
                                "has_more": len(rest) > limit})
        return True
    if parts == ["q", "v1", "charges"]:
        cust = query.get("customer", "")
        n = int(cust[4:]) if cust.startswith("cus_") and cust[4:].isdigit() else 0
        handler.send_body(200, {"object": "list", "url": "/v1/charges",
                                "data": [{"id": "ch_%d_%d" % (n, k), "object": "charge",
                                          "customer": cust, "amount": 100 * k}
                                         for k in range(1, n + 1)],
                                "has_more": False})
        return True
    if parts == ["q", "ids"]:
        page, size = int(query.get("page", "0")), int(query.get("size", "1000"))
        pages = int(query.get("pages", "1"))
        ids = range(page * size, (page + 1) * size) if page < pages else []
        handler.send_body(200, {"ids": list(ids), "more": page + 1 < pages})
        return True
    return False


# -- Sling's official specs (sql/official_specs.sql) ------------------------
# /official/<spec>/<any path>, any method: one answer for every path, so
# that each endpoint of test/specs/official/ gets through its pages.  A
# first page holds one record in each shape those specs read (a top-level
# array for github, else an object whose usual list keys each hold it); a
# later page (an offset past 0, a page past 1, a cursor, or the record's
# own time sent back as the next start) holds none, which ends every
# pagination of those specs.  /rate_limit answers as GitHub's does, with a
# quota high enough for github's setup call.  The record carries what the
# request looked like (method, path, query, whether it had an
# Authorization header, its Accept header), never a header's secret value.
OFFICIAL_LIST_KEYS = ("data", "items", "results", "records", "connections", "executions",
                      "response")
OFFICIAL_TIME = "2025-01-02T03:04:05"
OFFICIAL_CURSOR_KEYS = ("cursor", "after", "starting_after", "ending_before", "page_info")


def official_record(handler, rest, query):
    return {
        "id": 1, "name": "official-1", "exec_id": "exec-1", "number": 1,
        "start_time": OFFICIAL_TIME + ".000000Z", "created": 1735787045,
        "created_at": OFFICIAL_TIME + "Z", "updated_at": OFFICIAL_TIME + "Z",
        "request": {"method": handler.command, "path": "/" + "/".join(rest),
                    "query": query,
                    "authorization": bool(handler.headers.get("Authorization")
                                          or handler.headers.get("X-Shopify-Access-Token")),
                    "accept": handler.headers.get("Accept")},
    }


def official_later_page(query, body):
    """Whether the query or a JSON payload (and its GraphQL variables) asks
    for a page after the first."""
    values = dict(query)
    try:
        payload = json.loads(body) if body else {}
    except ValueError:
        payload = {}
    if isinstance(payload, dict):
        values.update(payload)
        if isinstance(payload.get("variables"), dict):
            values.update(payload["variables"])
    for key, value in values.items():
        text = "" if value is None else str(value)
        if key == "offset" and text not in ("", "0"):
            return True
        if key == "page" and text not in ("", "1"):
            return True
        if key in OFFICIAL_CURSOR_KEYS and text != "":
            return True
        if OFFICIAL_TIME in text:
            return True
    return False


# Shopify's REST lists, one key per resource, and its GraphQL connections
# (edges of nodes): what the two shopify specs' records.jmespath read.
SHOPIFY_LEGACY_KEYS = ("products", "product_variants", "images", "custom_collections",
                       "smart_collections", "orders", "transactions", "refunds",
                       "customers", "addresses", "inventory_items", "inventory_levels",
                       "checkouts")


def shopify_graphql_data(record, records):
    """A GraphQL data object holding every connection the spec reads."""
    def conn():
        return {"edges": [{"node": r} for r in records],
                "pageInfo": {"hasNextPage": False, "endCursor": None}}
    item = dict(record, inventoryLevels=conn())
    return {"shop": record, "products": conn(), "productVariants": conn(),
            "product": {"images": conn()}, "collections": conn(), "orders": conn(),
            "order": {"transactions": conn(), "refunds": conn()}, "customers": conn(),
            "customer": {"addresses": conn(), "orders": conn()},
            "nodes": [{"inventoryItem": item} for _ in records],
            "abandonedCheckouts": conn()}


def official_route(handler, parts, query, body):
    """Answer /official/<spec>/... and return True, else False."""
    if parts[:1] != ["official"] or len(parts) < 2:
        return False
    spec, rest = parts[1], parts[2:]
    record = official_record(handler, rest, query)
    records = [] if official_later_page(query, body) else [record]
    if rest == ["rate_limit"]:
        body = {"rate": {"limit": 5000, "remaining": 4999, "request": record["request"]}}
    elif spec == "github" and rest[-2:] == ["actions", "workflows"]:
        body = {"total_count": len(records), "workflows": records}
    elif spec == "github" and rest[-2:] == ["actions", "runs"]:
        body = {"total_count": len(records), "workflow_runs": records}
    elif spec == "github":
        body = records
    elif spec == "shopify_legacy":
        body = {key: records for key in SHOPIFY_LEGACY_KEYS}
        body["shop"] = record
    elif spec == "shopify_graphql":
        body = {"data": shopify_graphql_data(record, records)}
    else:
        body = {key: records for key in OFFICIAL_LIST_KEYS}
        body.update(has_more=False, next=None)
    handler.send_body(200, body)
    return True


# -- authentication that signs requests (sql/auth.sql) ---------------------
#
# /aws/<name> checks an AWS Signature Version 4 (the canonical request,
# string to sign and signing key of the AWS documentation, rebuilt here from
# what arrived) against the keys in AWS_KEYS; a wrong key, signature, scope
# or a stale date is a 403 as AWS answers it.

# access key id -> (secret access key, session token the key needs or None)
AWS_KEYS = {
    "AKIDBACKFILLTEST": ("sigv4/Secret+Key=42", None),
    "ASIATEMPBACKFILL": ("temp-secret-7Qx", "session-token-9Zy"),
}


def _hmac256(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def _aws_quote(s):
    return urllib.parse.quote(s, safe="-_.~")


def sigv4_check(method, raw_path, headers, body):
    """None when the request carries a valid SigV4 signature, else why not."""
    auth = headers.get("Authorization") or ""
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return "no AWS4-HMAC-SHA256 Authorization header"
    fields = dict(p.strip().split("=", 1) for p in auth[17:].split(",") if "=" in p)
    try:
        key_id, day, region, service, term = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        signature = fields["Signature"]
    except (KeyError, ValueError):
        return "malformed Authorization header"
    if key_id not in AWS_KEYS:
        return "unknown access key"
    secret, token = AWS_KEYS[key_id]
    amz_date = headers.get("X-Amz-Date") or ""
    if term != "aws4_request" or not amz_date.startswith(day):
        return "bad credential scope"
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    except ValueError:
        return "bad X-Amz-Date"
    now = datetime.datetime.utcnow()
    if abs((now - when).total_seconds()) > 900:
        return "request time too skewed"
    if "host" not in signed or "x-amz-date" not in signed:
        return "host and x-amz-date must be signed"
    if token is not None and (headers.get("X-Amz-Security-Token") != token or
                              "x-amz-security-token" not in signed):
        return "missing or wrong security token"
    url = urllib.parse.urlsplit(raw_path)
    pairs = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
    query = "&".join("%s=%s" % (_aws_quote(k), _aws_quote(v)) for k, v in sorted(pairs))
    canon_headers = "".join(
        "%s:%s\n" % (h, " ".join((headers.get(h) or "").split())) for h in signed)
    payload = headers.get("X-Amz-Content-Sha256") or hashlib.sha256(body).hexdigest()
    canonical = "\n".join([method, url.path or "/", query, canon_headers,
                           ";".join(signed), payload])
    scope = "/".join([day, region, service, term])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k = _hmac256(("AWS4" + secret).encode(), day)
    for part in (region, service, term):
        k = _hmac256(k, part)
    want = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, signature):
        return "signature does not match"
    return None


# /hmac/<name> checks Sling-style hmac authentication as test/specs/auth.yaml
# writes it: X-Signature is the hex HMAC, under the key X-Key-Id names, of
# "METHOD\npath?query\nX-Timestamp\nsha256(body)"; the timestamp must be
# within 5 minutes and a nonce (X-Nonce, 16 bytes as hex) is used once.
HMAC_KEYS = {
    "k256": (b"hmac-secret-5Tq", hashlib.sha256),
    "k512": (bytes(range(1, 33)), hashlib.sha512),  # written base64 in the spec
}
NONCES = set()


def hmac_check(method, raw_path, headers, body):
    """None when the request's hmac signature is right, else why not."""
    key = HMAC_KEYS.get(headers.get("X-Key-Id") or "")
    if key is None:
        return "unknown key id"
    stamp = headers.get("X-Timestamp") or ""
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > 300:
        return "missing or stale X-Timestamp"
    nonce = headers.get("X-Nonce") or ""
    if len(nonce) != 32 or nonce in NONCES:
        return "missing or reused X-Nonce"
    NONCES.add(nonce)
    to_sign = "\n".join([method, raw_path, stamp, hashlib.sha256(body).hexdigest()])
    want = hmac.new(key[0], to_sign.encode(), key[1]).hexdigest()
    if not hmac.compare_digest(want, headers.get("X-Signature") or ""):
        return "signature does not match"
    return None


# /tls/info starts, on its first call, an HTTPS listener that demands a
# client certificate (mtls), with a throw-away CA, server and client
# certificate made by the openssl command in a temporary directory; it
# answers the listener's port and the PEM text a test puts in its user
# mapping.  The listener answers GET /mtls/<name> with the client's name.
TLS = {}
TLS_LOCK = threading.Lock()


def tls_start():
    """The TLS listener's facts, starting it the first time."""
    with TLS_LOCK:
        if not TLS:
            # the files live only while they are read: a killed mock leaves none
            with tempfile.TemporaryDirectory(prefix="bf_mock_tls_") as d:
                ctx = tls_make(d)
            server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            server.daemon_threads = True
            server.socket = ctx.wrap_socket(server.socket, server_side=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            TLS["url"] = "https://127.0.0.1:%d" % server.server_address[1]
        return TLS


def tls_make(d):
    """Make the CA and certificates in d, fill TLS's PEM text, return the server's context."""
    def ssl_cmd(*args):
        subprocess.run(["openssl"] + list(args), cwd=d, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ssl_cmd("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
            "-out", "ca.pem", "-days", "1", "-subj", "/CN=bf-mock-ca")
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    for name, cn, ext in (("server", "127.0.0.1", ["-extfile", "san.ext"]),
                          ("client", "bf-client", [])):
        ssl_cmd("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key",
                "-out", name + ".csr", "-subj", "/CN=" + cn)
        ssl_cmd("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", name + ".pem", "-days", "1", *ext)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, "server.pem"), os.path.join(d, "server.key"))
    ctx.load_verify_locations(os.path.join(d, "ca.pem"))
    ctx.verify_mode = ssl.CERT_REQUIRED
    for key, name in (("ca_pem", "ca.pem"), ("client_pem", "client.pem"),
                      ("client_key", "client.key")):
        with open(os.path.join(d, name)) as f:
            TLS[key] = f.read()
    return ctx


def auth_route(handler, parts, body):
    """The signed-authentication routes; True when one answered."""
    if parts[:1] == ["aws"] and len(parts) == 2:
        why = sigv4_check(handler.command, handler.path, handler.headers, body)
        if why is not None:
            handler.send_body(403, {"message": why})
        else:
            auth = handler.headers["Authorization"]
            region, service = auth.split("Credential=")[1].split("/")[2:4]
            handler.send_body(200, {"data": [{"name": parts[1], "region": region,
                                              "service": service}]})
        return True
    if parts == ["tls", "info"]:
        handler.send_body(200, {"tls": tls_start()})
        return True
    if parts[:1] == ["mtls"] and len(parts) == 2:
        cert = handler.connection.getpeercert() if hasattr(handler.connection, "getpeercert") else None
        if not cert:
            handler.send_body(403, {"message": "a client certificate is required"})
        else:
            names = dict(x[0] for x in cert.get("subject", ()))
            handler.send_body(200, {"data": [{"name": parts[1], "client": names.get("commonName")}]})
        return True
    if parts[:1] == ["hmac"] and len(parts) == 2:
        why = hmac_check(handler.command, handler.path, handler.headers, body)
        if why is not None:
            handler.send_body(401, {"message": why})
        else:
            handler.send_body(200, {"data": [{"name": parts[1],
                                              "key": handler.headers["X-Key-Id"]}]})
        return True
    return False


# -- oauth2 flows, token lifetimes and sequences (sql/auth_oauth.sql) --------
# POST /oauth2/token takes the client_credentials, password and
# refresh_token grants (RFC 6749 4.4, 4.3, 6) of the clients in
# OAUTH2_CLIENTS, and refuses a wrong secret (401 invalid_client), user or
# password or refresh token (400 invalid_grant).  ?expires_in= sets the
# token's life (default 3600 s, enforced); ?refresh=1 hands out a refresh
# token with it, and every refresh grant then rotates it.  Tokens are
# random, never in a record: /oauth2/data answers with which grant made
# the token and its serial; a token unknown, revoked or expired is a 401,
# counted.  /oauth2/data?deny=1 is a 403 whose body echoes the
# Authorization header, as some APIs do.  /oauth2/stats?client=C: C's token
# requests, the grants in order (a refresh grant as refresh_token:preset
# for the one in OAUTH2_CLIENTS, :issued for one the mock gave, :refused),
# the 401s; /oauth2/revoke?client=C forgets C's access tokens (and with
# ?refresh=1 the refresh tokens it issued).
# /seq/login (POST JSON user, password) answers a session id that
# /seq/data wants as X-Session (with ?single=1 a session serves one request
# only); /seq/stats counts the logins.

OAUTH2_LOCK = threading.Lock()
# client id -> secret (None: a public client), users' passwords, preset refresh token
OAUTH2_CLIENTS = {
    "oa-app-one": {"secret": "oa-Secret-One7", "users": {"ann.lee@example.org": "ann-Passw0rd!"},
                   "refresh": "rt-Preset-4Kq9"},
    "oa-public-two": {"secret": None, "users": {"bob.ray@example.org": "bob-Passw0rd?"},
                      "refresh": "rt-Preset-7Zw2"},
}
OAUTH2_ACCESS = {}   # token -> {client, grant, serial, expires}
OAUTH2_REFRESH = {}  # issued refresh token -> client
OAUTH2_STATS = {}    # client -> {"token_requests", "grants", "refused"}
SEQ_SESSIONS = set()
SEQ_LOGINS = [0]


def oauth2_stats(client):
    return OAUTH2_STATS.setdefault(client, {"token_requests": 0, "grants": [], "refused": 0})


def oauth2_token(handler, query, body):
    """The token URL: (status, JSON body)."""
    form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
    client = form.get("client_id", "")
    grant = form.get("grant_type", "")
    conf = OAUTH2_CLIENTS.get(client)
    with OAUTH2_LOCK:
        st = oauth2_stats(client)
        st["token_requests"] += 1
        if (handler.command != "POST" or not (handler.headers.get("Content-Type") or "").startswith(
                "application/x-www-form-urlencoded")):
            return 400, {"error": "invalid_request"}
        if conf is None or form.get("client_secret") != conf["secret"]:
            st["grants"].append(grant + ":bad-client")
            return 401, {"error": "invalid_client"}
        label = grant
        if grant == "client_credentials" and conf["secret"] is None:
            return 400, {"error": "unauthorized_client"}
        if grant == "password":
            if conf["users"].get(form.get("username")) != form.get("password"):
                st["grants"].append("password:refused")
                return 400, {"error": "invalid_grant"}
        elif grant == "refresh_token":
            rt = form.get("refresh_token")
            if rt == conf["refresh"]:
                label = "refresh_token:preset"
            elif OAUTH2_REFRESH.get(rt) == client:
                label = "refresh_token:issued"
                del OAUTH2_REFRESH[rt]      # rotated: a refresh token serves once
            else:
                st["grants"].append("refresh_token:refused")
                return 400, {"error": "invalid_grant"}
        elif grant != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        st["grants"].append(label)
        life = float(query.get("expires_in", "3600"))
        token = "at." + os.urandom(12).hex()
        OAUTH2_ACCESS[token] = {"client": client, "grant": label, "serial": len(st["grants"]),
                                "expires": time.monotonic() + life, "scope": form.get("scope", "")}
        out = {"access_token": token, "token_type": "bearer", "expires_in": life}
        if query.get("refresh") == "1" or (grant == "refresh_token" and label != "refresh_token:preset"):
            rt = "rt." + os.urandom(12).hex()
            OAUTH2_REFRESH[rt] = client
            out["refresh_token"] = rt
        return 200, out


def oauth2_route(handler, parts, query, body):
    """The oauth2 and sequence routes; True when one answered."""
    if parts == ["oauth2", "token"]:
        status, doc = oauth2_token(handler, query, body)
        handler.send_body(status, doc)
        return True
    if parts == ["oauth2", "data"]:
        auth = handler.headers.get("Authorization") or ""
        if query.get("deny") == "1":
            handler.send_body(403, "denied: %s" % auth, ctype="text/plain")
            return True
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        with OAUTH2_LOCK:
            info = OAUTH2_ACCESS.get(token)
            if info is None or info["expires"] <= time.monotonic():
                if info is not None:
                    oauth2_stats(info["client"])["refused"] += 1
                handler.send_body(401, {"error": "invalid_token"})
                return True
        handler.send_body(200, {"items": [{"grant": info["grant"], "serial": info["serial"],
                                           "scope": info["scope"]}]})
        return True
    if parts == ["oauth2", "stats"]:
        with OAUTH2_LOCK:
            st = oauth2_stats(query.get("client", ""))
            handler.send_body(200, {"items": [{"token_requests": st["token_requests"],
                                               "grants": ",".join(st["grants"]),
                                               "refused": st["refused"]}]})
        return True
    if parts == ["oauth2", "revoke"]:
        client = query.get("client", "")
        with OAUTH2_LOCK:
            gone = [k for k, v in OAUTH2_ACCESS.items() if v["client"] == client]
            for k in gone:
                OAUTH2_ACCESS[k]["expires"] = 0      # kept, so its 401 is counted
            if query.get("refresh") == "1":
                for k in [k for k, v in OAUTH2_REFRESH.items() if v == client]:
                    del OAUTH2_REFRESH[k]
        handler.send_body(200, {"items": [{"revoked": len(gone)}]})
        return True
    if parts == ["seq", "login"]:
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            doc = {}
        conf = OAUTH2_CLIENTS["oa-app-one"]["users"]
        if handler.command != "POST" or conf.get(doc.get("user")) != doc.get("password"):
            handler.send_body(401, {"error": "bad login"})
            return True
        session = "sess." + os.urandom(12).hex()
        with OAUTH2_LOCK:
            SEQ_SESSIONS.add(session)
            SEQ_LOGINS[0] += 1
        handler.send_body(200, {"session": session, "user": doc.get("user")})
        return True
    if parts == ["seq", "data"]:
        with OAUTH2_LOCK:
            session = handler.headers.get("X-Session")
            ok = session in SEQ_SESSIONS
            if ok and query.get("single") == "1":
                SEQ_SESSIONS.discard(session)
        if not ok:
            handler.send_body(401, {"error": "no session"})
        else:
            handler.send_body(200, {"items": [{"id": int(query.get("id", "1")), "ok": True}]})
        return True
    if parts == ["seq", "stats"]:
        with OAUTH2_LOCK:
            handler.send_body(200, {"items": [{"logins": SEQ_LOGINS[0]}]})
        return True
    return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mock_api/1"

    def log_message(self, fmt, *args):  # quiet: the harness reads stdout
        pass

    def setup(self):
        super().setup()
        # headers and body go out in two writes: without this, Nagle's
        # algorithm and the client's delayed ACK add ~40 ms to each answer
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- plumbing ----------------------------------------------------------

    def send_body(self, status, body, ctype="application/json", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def handle_any(self):
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        # /stats?tag=X reads X's counters: counting itself would add a request
        # to the very window it measures
        tag = query.get("tag") if urllib.parse.urlsplit(self.path).path != "/stats" else None
        with STATS_LOCK:
            STATS["requests"] += 1
            STATS["in_flight"] += 1
            STATS["max_in_flight"] = max(STATS["max_in_flight"], STATS["in_flight"])
            STATS["log"].append([time.time(), self.command, self.path])
            del STATS["log"][:-1000]
            if tag:
                ts = tag_stats(tag)
                ts["requests"] += 1
                ts["in_flight"] += 1
                ts["max_in_flight"] = max(ts["max_in_flight"], ts["in_flight"])
                ts["times"].append(time.time())
        log_request(self.path)
        try:
            self.route()
        finally:
            with STATS_LOCK:
                STATS["in_flight"] -= 1
                if tag:
                    TAGS[tag]["in_flight"] -= 1

    def attempt(self, key):
        """Count one more ask for key; returns the count including this one."""
        with STATS_LOCK:
            ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
            return ATTEMPTS[key]

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any

    # -- routes ------------------------------------------------------------

    # -- the fault matrix (sql/faults.sql) ------------------------------------
    # /fault/<kind>/<day>?key=K&n=N: the first N asks of key K (counted
    # across days, in /attempts?key=fault:K) meet the fault, later ones get
    # the day's two records, whose v is K (so a test sees which run wrote
    # them).  Kinds: 429 (Retry-After ?after=, default 0), 500, 503 (with
    # Retry-After: 0), reset (a TCP RST), empty (closed with no answer),
    # timeout (answers after ?s= seconds, default 2), hang (after ?s=,
    # default 20), truncated (the body stops short of its Content-Length),
    # garbage (200, not JSON), string (the records are a string),
    # badvalue (a day that is no date), huge (declares a 300 MB body),
    # redirect (302 to the records).
    def fault(self, kind, day, query):
        n = self.attempt("fault:" + query.get("key", ""))
        if kind == "redirect" and n <= int(query.get("n", "0")):
            target = "/fault/ok/%s?%s" % (day, urllib.parse.urlencode(query))
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if n <= int(query.get("n", "0")):
            if kind in ("429", "500", "503"):
                headers = {"Retry-After": query.get("after", "0")} if kind != "500" else {}
                return self.send_body(int(kind), {"error": "fault %s" % kind}, headers=headers)
            if kind == "reset":
                self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
                self.close_connection = True
                self.request.close()
                return
            if kind == "empty":
                self.close_connection = True
                self.request.shutdown(socket.SHUT_RDWR)
                return
            if kind in ("timeout", "hang"):
                time.sleep(float(query.get("s", "2" if kind == "timeout" else "20")))
            elif kind == "truncated":
                body = json.dumps({"data": [{"id": day + "-1", "day": day, "v": "cut"}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body) + 100))
                self.end_headers()
                self.wfile.write(body[:20])
                self.close_connection = True
                return
            elif kind == "garbage":
                return self.send_body(200, "#!garbage{{ not json", ctype="application/json")
            elif kind == "string":
                return self.send_body(200, {"data": "oops"})
            elif kind == "badvalue":
                return self.send_body(200, {"data": [{"id": day + "-1", "day": "not a date", "v": "bad"}]})
            elif kind == "huge":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(300 * 1024 * 1024))
                self.end_headers()
                self.wfile.write(b'{"data": [')
                self.close_connection = True
                return
        return self.send_body(200, {"data": [{"id": "%s-%d" % (day, i), "day": day,
                                              "v": query.get("key", "")} for i in (1, 2)]})


    def route(self):
        url = urllib.parse.urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        body = self.read_body()

        if parts[:1] == ["fault"] and len(parts) == 3:
            return self.fault(parts[1], parts[2], query)

        if range_route(self, parts, query):
            return None

        if import_route(self, parts):
            return None

        if cookbook_route(self, parts, query):
            return None

        if queue_route(self, parts, query):
            return None

        if official_route(self, parts, query, body):
            return None

        if bench_route(self, parts, query):
            return None

        if auth_route(self, parts, body):
            return None

        if bulk_load_route(self, parts, query):
            return None

        if oauth2_route(self, parts, query, body):
            return None

        if parts[:3] == ["v1", "events", "daily"] and len(parts) == 4:
            try:
                events = daily_events(parts[3])
            except ValueError:
                return self.send_body(400, {"error": "bad date %r" % parts[3]})
            return self.send_body(200, {"data": {"events": events}})

        # the daily events, but the day fail_on answers 409 to its first
        # `fail` asks (counted per key; every ask when fail is absent)
        if parts[:3] == ["v1", "events", "flaky"] and len(parts) == 4:
            if parts[3] == query.get("fail_on"):
                n = self.attempt("ff:" + query.get("key", ""))
                if "fail" not in query or n <= int(query["fail"]):
                    return self.send_body(409, {"error": "no events for %s yet" % parts[3]})
            try:
                events = daily_events(parts[3])
            except ValueError:
                return self.send_body(400, {"error": "bad date %r" % parts[3]})
            return self.send_body(200, {"data": {"events": events}})

        # records whose ids repeat, within a page and across pages 1 and 2
        if parts == ["dups"]:
            page = query.get("page", "1")
            items = {"1": [{"id": 1, "v": "first"}, {"id": 2, "v": "page 1"}, {"id": 1, "v": "second"}],
                     "2": [{"id": 2, "v": "page 2"}, {"id": 3, "v": "page 2"}]}.get(page, [])
            return self.send_body(200, {"items": items})

        if parts == ["types"]:
            return self.send_body(200, {"items": TYPES_RECORDS})

        if parts == ["timestamps"]:
            return self.send_body(200, {"items": [{"text": t, "ts": t} for t in TIMESTAMP_TEXTS]})

        if parts == ["echo"]:
            return self.send_body(200, {"records": [{
                "method": self.command,
                "path": url.path,
                "query": query,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
            }]})

        if parts[:1] == ["status"] and len(parts) == 2:
            return self.send_body(int(parts[1]), "status %s from the mock: something went wrong" % parts[1],
                                  ctype="text/plain")

        if parts == ["notjson"]:
            return self.send_body(200, "<html><body>this is not JSON</body></html>", ctype="text/html")

        if parts == ["gzip"]:
            raw = json.dumps({"items": TYPES_RECORDS}).encode()
            return self.send_body(200, gzip.compress(raw), headers={"Content-Encoding": "gzip"})

        if parts == ["slow"]:
            time.sleep(float(query.get("ms", "100")) / 1000.0)
            return self.send_body(200, {"items": [{"id": query.get("id", "0")}]})

        if parts == ["hang"]:
            time.sleep(float(query.get("s", "60")))
            return self.send_body(200, {"items": []})

        # -- pagination styles: 10 items, ids 1..10 -----------------------
        if parts == ["paged", "cursor"]:
            after = int(query.get("after") or 0)
            limit = int(query.get("limit", "3"))
            ids = list(range(after + 1, min(after + limit, 10) + 1))
            return self.send_body(200, {"data": [{"id": i} for i in ids],
                                        "has_more": bool(ids) and ids[-1] < 10,
                                        "next_cursor": ids[-1] if ids else None})
        if parts == ["paged", "page"]:
            page = int(query.get("page", "1"))
            per = int(query.get("per_page", "4"))
            ids = list(range((page - 1) * per + 1, min(page * per, 10) + 1))
            return self.send_body(200, {"items": [{"id": i, "page": page} for i in ids],
                                        "page": page, "total_pages": (10 + per - 1) // per})
        if parts == ["paged", "offset"]:
            offset = int(query.get("offset", "0"))
            limit = int(query.get("limit", "4"))
            ids = list(range(offset + 1, min(offset + limit, 10) + 1))
            return self.send_body(200, {"results": [{"id": i} for i in ids]})
        if parts == ["paged", "next"]:
            start = int(query.get("start", "1"))
            ids = list(range(start, min(start + 3, 11)))
            nxt = None
            if ids and ids[-1] < 10:
                nxt = "http://%s/paged/next?start=%d" % (self.headers.get("Host"), ids[-1] + 1)
            return self.send_body(200, {"items": [{"id": i} for i in ids], "next": nxt})

        # -- misbehaving APIs ---------------------------------------------
        if parts == ["ratelimited"]:
            n = self.attempt("rl:" + query.get("key", ""))
            if n <= int(query.get("fail", "1")):
                return self.send_body(429, {"error": "slow down"},
                                      headers={"Retry-After": query.get("after", "1")})
            return self.send_body(200, {"items": [{"id": 1, "attempt": n}]})
        if parts == ["flaky"]:
            n = self.attempt("fl:" + query.get("key", ""))
            if n <= int(query.get("fail", "1")):
                return self.send_body(int(query.get("status", "503")), {"error": "try later", "attempt": n})
            return self.send_body(200, {"items": [{"id": 1, "attempt": n}]})
        if parts == ["attempts"]:
            with STATS_LOCK:
                return self.send_body(200, {"attempts": ATTEMPTS.get(query.get("key", ""), 0)})

        # -- oauth2 client credentials (RFC 6749 section 4.4) ----------------
        # a form-posted grant with client_secret "s3cret" gets the token
        # "tok-<client_id>-<n>", n counting that client's grants (also in
        # /attempts?key=oauth:<client_id>), valid for ?expires_in= seconds
        # (default 3600, only reported); /oauth/data wants one as a bearer
        if parts == ["oauth", "token"]:
            form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
            if (self.command != "POST" or form.get("grant_type") != "client_credentials"
                    or not (self.headers.get("Content-Type") or "").startswith(
                        "application/x-www-form-urlencoded")):
                return self.send_body(400, {"error": "unsupported_grant_type"})
            if form.get("client_secret") != "s3cret":
                return self.send_body(401, {"error": "invalid_client"})
            n = self.attempt("oauth:" + form.get("client_id", ""))
            token = "tok-%s-%d" % (form.get("client_id", ""), n)
            with STATS_LOCK:
                TOKENS.add(token)
            return self.send_body(200, {"access_token": token, "token_type": "bearer",
                                        "expires_in": float(query.get("expires_in", "3600")),
                                        "scope": form.get("scope", "")})
        if parts == ["oauth", "data"]:
            auth = self.headers.get("Authorization") or ""
            token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
            with STATS_LOCK:
                known = token in TOKENS
            if not known:
                return self.send_body(401, {"error": "invalid_token"})
            return self.send_body(200, {"items": [{"id": int(query.get("id", "1")), "token": token}]})

        # -- formats ------------------------------------------------------
        if parts == ["csv"]:
            return self.send_body(200, 'id,name,note\n1,John Doe,"says ""hi"", twice"\n2,Jane Smith,\n',
                                  ctype="text/csv")
        if parts == ["jsonl"]:
            return self.send_body(200, '{"id": 1, "v": "a"}\n\n{"id": 2, "v": "b"}\n',
                                  ctype="application/x-ndjson")

        # -- volume, for benchmarks and memory --------------------------------
        if parts == ["bulk"]:
            page = int(query.get("page", "0"))
            size = int(query.get("size", "1000"))
            pages = int(query.get("pages", "1"))
            delay = float(query.get("ms", "0")) / 1000.0
            if delay:
                time.sleep(delay)
            return self.send_body(200, bulk_body(page, size, pages))

        # /bulk's pages, each made once and then served from memory, so that
        # a benchmark measures the client and not the making of JSON in Python
        if parts == ["bulk_cached"]:
            key = (int(query.get("page", "0")), int(query.get("size", "1000")),
                   int(query.get("pages", "1")))
            with STATS_LOCK:
                body = BULK_CACHE.get(key)
            if body is None:
                page, size, pages = key
                items = bulk_items(page, size) if page < pages else []
                body = json.dumps({"items": items, "page": page, "more": page + 1 < pages}).encode()
                with STATS_LOCK:
                    BULK_CACHE[key] = body
            return self.send_body(200, body)

        # a fixed body (FIXED_BODIES), bytes as written
        if parts[:1] == ["fixed"] and len(parts) == 3:
            body = fixed_body(parts[1], parts[2])
            if body is None:
                return self.send_body(404, {"error": "no fixed body %r" % parts[1]})
            return self.send_body(200, body)

        if parts == ["stats"]:
            with STATS_LOCK:
                if "tag" in query:
                    ts = tag_stats(query["tag"])
                    out = {"requests": ts["requests"], "max_in_flight": ts["max_in_flight"],
                           "max_per_second": max_in_window(ts["times"])}
                else:
                    out = {k: STATS[k] for k in ("requests", "in_flight", "max_in_flight")}
            return self.send_body(200, out)

        # the requests made with ?tag=<of>, without counting this one
        if parts == ["count"]:
            with STATS_LOCK:
                n = TAGS[query["of"]]["requests"] if query.get("of") in TAGS else 0
            return self.send_body(200, {"tag": query.get("of"), "requests": n})

        if parts == ["reset"]:
            with STATS_LOCK:
                STATS.update(requests=0, max_in_flight=0, log=[])
            return self.send_body(200, {"ok": True})

        if parts[:1] == ["echo401"] and len(parts) == 2:
            return self.echo_401(parts[1], url, query)

        return self.send_body(404, {"error": "no route %s" % url.path})

    # -- secrets echoed in a 401 (sql/secrets_masked.sql) ------------------
    def echo_401(self, what, url, query):
        """A 401 whose body echoes one part of the request, as some APIs do,
        in one of the forms a secret can take there: /echo401/auth the
        Authorization header (Basic base64(user:password)), /query the raw
        query string, /lower the same with lower-case %xx, /json the query's
        values JSON-escaped (non-ASCII as \\uXXXX, "/" as "\\/"), /latin1
        the X-Secret header as http.server decodes it (Latin-1), JSON-escaped:
        each UTF-8 byte as \\u00XX.  The body's first bytes are what an
        error shows, so each echoes one thing."""
        if what == "auth":
            echoed = self.headers.get("Authorization") or ""
        elif what == "query":
            echoed = url.query
        elif what == "lower":
            echoed = re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), url.query)
        elif what == "json":
            echoed = json.dumps(query).replace("/", "\\/")
        elif what == "latin1":
            echoed = json.dumps(self.headers.get("X-Secret") or "")
        else:
            return self.send_body(404, {"error": "no echo of %s" % what})
        return self.send_body(401, "denied: %s" % echoed, ctype="text/plain")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--lifetime", type=float, default=3600.0,
                    help="exit after this many seconds, whatever happens")
    args = ap.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    timer = threading.Timer(args.lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
