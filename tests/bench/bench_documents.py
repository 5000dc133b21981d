"""Documents benchmark (not a test): docs/BENCHMARKS.md, "Documents: upload and download".

Uploads a file (100 MiB by default) to foliod and downloads it again, and in the
same run measures what the machine gives for the same bytes without foliod:
`cat FILE > /dev/null` (the page cache: the ceiling of reading the file) and
psql's `\\copy` of the same bytes as 256 KiB bytea rows into a table shaped like
document_chunks and out of it again (PostgreSQL's own figure for this storage).
foliod's VmRSS is sampled during its upload and its download.

Prints one JSON line per figure. Run it through tests/bench/run documents, which
starts PostgreSQL and sets FOLIO_TEST_PGHOST; options after --, e.g.
tests/bench/run documents -- --mib 20.
"""

import argparse
import hashlib
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness as h  # noqa: E402
from rss import Peak  # noqa: E402

MIB = 1024 * 1024
CHUNK = 256 * 1024


def out(name, **kw):
    print(json.dumps({"bench": "documents", "figure": name, **kw}), flush=True)


def upload(srv, token, account, path, size):
    q = urllib.parse.urlencode({"name": os.path.basename(path)})
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=600)
    conn.putrequest("POST", f"/api/v1/accounts/{account}/documents?{q}")
    conn.putheader("Authorization", "Bearer " + token)
    conn.putheader("Content-Length", str(size))
    conn.endheaders()
    with open(path, "rb") as f:
        while True:
            b = f.read(MIB)
            if not b:
                break
            conn.send(b)
    r = conn.getresponse()
    body = json.loads(r.read())
    conn.close()
    if r.status != 201:
        raise SystemExit(f"upload: {r.status} {body}")
    return body["items"][0]


def download(srv, token, doc_id):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=600)
    conn.request("GET", f"/api/v1/documents/{doc_id}/content", headers={"Authorization": "Bearer " + token})
    r = conn.getresponse()
    d = hashlib.sha256()
    while True:
        b = r.read(MIB)
        if not b:
            break
        d.update(b)
    conn.close()
    return d.hexdigest()


def psql(db, *args, stdin=None):
    return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", h.PGHOST, "-U", "folio", db, *args],
                          input=stdin, capture_output=True, check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=100)
    a = ap.parse_args()
    size = a.mib * MIB
    tmp = tempfile.mkdtemp(prefix="folio-bench-doc-", dir=h.STATE)
    path = os.path.join(tmp, "document.bin")
    with open(path, "wb") as f:
        for _ in range(a.mib):
            f.write(os.urandom(MIB))
    want = hashlib.sha256(open(path, "rb").read()).hexdigest()

    t = time.monotonic()
    subprocess.run(f"cat '{path}' > /dev/null", shell=True, check=True)
    out("cat", mib_s=round(a.mib / (time.monotonic() - t), 1))

    # The same bytes as psql \copy would move them: 256 KiB bytea rows (hex text, prepared beforehand).
    srv = h.Server(name="bench-documents")
    csv = os.path.join(tmp, "chunks.txt")
    with open(path, "rb") as f, open(csv, "w") as w:
        n = 0
        while True:
            b = f.read(CHUNK)
            if not b:
                break
            w.write(f"1\t{n}\t\\\\x{b.hex()}\n")
            n += 1
    db = srv.db.name
    psql(db, "-c", "CREATE TABLE bench_chunks (document_id bigint, n integer, data bytea, PRIMARY KEY "
                   "(document_id, n)); ALTER TABLE bench_chunks ALTER COLUMN data SET STORAGE EXTERNAL")
    t = time.monotonic()
    psql(db, "-c", f"\\copy bench_chunks FROM '{csv}'")
    out("psql_copy_in", mib_s=round(a.mib / (time.monotonic() - t), 1), note="hex text, as \\copy sends bytea")
    t = time.monotonic()
    psql(db, "-c", "\\copy (SELECT data FROM bench_chunks ORDER BY n) TO '/dev/null'")
    out("psql_copy_out", mib_s=round(a.mib / (time.monotonic() - t), 1))
    psql(db, "-c", "DROP TABLE bench_chunks")

    f = h.Firm(srv)
    acc = f.account()
    pid = srv.proc.pid
    with Peak(pid) as p:
        t = time.monotonic()
        doc = upload(srv, f.owner.token, acc["id"], path, size)
        dt = time.monotonic() - t
    if doc["sha256"] != want:
        raise SystemExit("upload: the hash differs")
    out("foliod_upload", mib_s=round(a.mib / dt, 1), rss_base_mib=round(p.base / 1024, 1),
        rss_peak_mib=round(p.peak / 1024, 1))
    with Peak(pid) as p:
        t = time.monotonic()
        got = download(srv, f.owner.token, doc["id"])
        dt = time.monotonic() - t
    if got != want:
        raise SystemExit("download: the bytes differ")
    out("foliod_download", mib_s=round(a.mib / dt, 1), rss_base_mib=round(p.base / 1024, 1),
        rss_peak_mib=round(p.peak / 1024, 1))
    srv.stop()
    os.unlink(path)
    os.unlink(csv)


if __name__ == "__main__":
    main()
