#!/usr/bin/python3
"""test/bench/bulk_loader.py: the loader users write today, as a baseline.

    bulk_loader.py <mock url> <first page> <last page> <concurrency> <table>

Fetches the mock API's /bulk_cached pages (the endpoint of bulk.yaml's
"bulk") with `concurrency` standard-library threads, COPYs the records
into a staging table through psycopg2 (Debian's python3-psycopg2), then
upserts them into <table> with one INSERT ... ON CONFLICT, in one
transaction; the connection comes from the PG* environment.  Prints the
rows upserted.
"""
import concurrent.futures
import io
import json
import sys
import urllib.request

import psycopg2

COLS = ("id", "name", "value", "ts", "flag")


def fetch(url, page):
    with urllib.request.urlopen("%s/bulk_cached?page=%d&size=1000&pages=1000000" % (url, page)) as r:
        return json.loads(r.read())["items"]


def copy_text(items):
    """The records as COPY text (their values hold no tab, newline or backslash)."""
    out = io.StringIO()
    for it in items:
        out.write("\t".join("\\N" if it.get(c) is None else str(it[c]).lower()
                            if isinstance(it[c], bool) else str(it[c]) for c in COLS))
        out.write("\n")
    out.seek(0)
    return out


def main():
    url, first, last, conc, table = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    conn = psycopg2.connect("")
    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE staging (LIKE %s INCLUDING DEFAULTS) ON COMMIT DROP" % table)
    with concurrent.futures.ThreadPoolExecutor(conc) as pool:
        for items in pool.map(lambda p: fetch(url, p), range(first, last + 1)):
            cur.copy_expert("COPY staging (%s) FROM STDIN" % ", ".join(COLS), copy_text(items))
    sets = ", ".join("%s = excluded.%s" % (c, c) for c in COLS[1:])
    cur.execute("INSERT INTO %s SELECT DISTINCT ON (id) * FROM staging ON CONFLICT (id) DO UPDATE SET %s"
                % (table, sets))
    print(cur.rowcount)
    conn.commit()


if __name__ == "__main__":
    main()
