"""Scale benchmark (not a test): docs/BENCHMARKS.md, "Scale: sends and pages at two sizes".

Seeds a small database (1 firm, 100 accounts each with one notified portal contact,
100 threads) and a real-size one (20 firms; one of 5,000 accounts and 20,000
contacts; 1,000,000 messages; 200,000 read markers) with tests/bench/seed.sql,
then at each size measures foliod over HTTP with wrk, and the same shapes in
pgbench on the same cluster, in the same run:

  send     staff messages into one of 100 threads whose account has a notified
           portal contact (an item and a mail row each), N connections
  note     the same as internal notes (no contact item, no mail)
  page     GET /api/v1/threads/{id}/messages?limit=50, N connections
  send1    one send at a time (1 connection): its p50

pgbench: send = insert a ~200-byte message and update its thread in a transaction
(pgbench_send.sql), page = the page's SELECT (pgbench_page.sql), -M prepared, the
same client count. Both commit with synchronous_commit on (set on the database);
the cluster itself is tests/env/pg.sh's (fsync off unless FOLIO_PG_FAST=0).

Prints one JSON line per figure, then foliod/pgbench at each size and real/small.
Run it through tests/bench/run scale, which starts PostgreSQL and sets
FOLIO_TEST_PGHOST; pass options after --, e.g. tests/bench/run scale -- --duration 5.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness as h  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = os.path.join(HERE, "seed.sql")
PASSWORD = "bench scale password"

# psql variables of seed.sql for each size.
SIZES = {
    "small": dict(accounts=100, contacts_per_account=1, threads_per_account=1, staff=0,
                  other_firms=0, messages=5000, markers=200, events=1000),
    "real": dict(accounts=5000, contacts_per_account=4, threads_per_account=2, staff=28,
                 other_firms=19, other_accounts=500, other_contacts_per_account=2,
                 other_threads_per_account=1, other_staff=10,
                 messages=1000000, markers=200000, events=100000),
}
BENCH_THREADS = 100


def pgbench_bin():
    for p in ("/usr/lib/postgresql/15/bin/pgbench", shutil.which("pgbench") or ""):
        if p and os.access(p, os.X_OK):
            return p
    raise SystemExit("bench_scale: pgbench not found (postgresql-15)")


def foliod_cli(db, *args, stdin=None):
    env = dict(os.environ, FOLIO_DATABASE_URL=db.url, FOLIO_SQL_DIR=os.path.join(h.ROOT, "sql"))
    out = subprocess.run([h.FOLIOD, *args], input=stdin, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"bench_scale: foliod {args[0]}: {out.stderr.strip()[-500:]}")
    return out.stdout.strip()


def seed(db, size, timeout):
    """Migrates, makes the bench firm with foliod, grows it with seed.sql. Returns (firm, owner email, seconds)."""
    t0 = time.monotonic()
    foliod_cli(db, "migrate")
    email = f"owner-{uuid.uuid4().hex[:8]}@bench.test"
    firm = int(foliod_cli(db, "create-firm", "--name", "Bench Kanzlei", "--owner-email", email,
                          "--owner-name", "Olga Owner", stdin=PASSWORD + "\n"))
    cmd = [h.PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", h.PGHOST, "-U", "folio", "-d", db.name,
           "-f", SEED, "-v", f"firm={firm}"]
    for k, v in SIZES[size].items():
        cmd += ["-v", f"{k}={v}"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"bench_scale: seeding {size} took more than {timeout} s; giving up")
    if out.returncode != 0:
        raise SystemExit(f"bench_scale: seed.sql: {out.stderr.strip()[-1000:]}")
    return firm, email, time.monotonic() - t0


def settle(db, timeout=120):
    """Waits until no statement of this database is running (queued requests done)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        n = int(db.sql(f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{db.name}'"
                       " AND state <> 'idle' AND pid <> pg_backend_pid()"
                       " AND backend_type = 'client backend' AND query NOT LIKE 'LISTEN%'"))
        if n == 0:
            return
        time.sleep(0.2)


def postmaster_pid():
    try:
        with open(os.path.join(h.STATE, "pg", "data", "postmaster.pid")) as f:
            return int(f.readline())
    except (OSError, ValueError):
        return 0


def cpu_ticks(pids=None):
    """CPU ticks: of foliod (pids), of our cluster's postgres (the postmaster, its
    children, and children that exited meanwhile), and the machine's busy ticks."""
    def stat(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                s = f.read()
        except OSError:
            return None
        return s[s.rindex(")") + 2:].split()  # fields from "state" on

    mine = 0
    for p in pids or []:
        f = stat(p)
        if f:
            mine += int(f[11]) + int(f[12])
    pm = postmaster_pid()
    pg = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        f = stat(d)
        if f is None:
            continue
        if int(d) == pm:  # its own time, and that of the backends it has reaped
            pg += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
        elif int(f[1]) == pm:
            pg += int(f[11]) + int(f[12])
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    busy = sum(cpu) - cpu[3] - cpu[4]
    return mine, pg, busy


def cpu_share(before, after, seconds):
    hz = os.sysconf("SC_CLK_TCK")
    d = [(a - b) / hz / seconds for a, b in zip(after, before)]
    return {"foliod_cores": round(d[0], 2), "postgres_cores": round(d[1], 2), "machine_busy_cores": round(d[2], 2)}


_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    return round(float(m.group(1)) * _UNIT[m.group(2)], 2) if m else None


def run_wrk(srv, script, conns, seconds, env):
    threads = max(1, min(2, conns))
    cmd = ["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{seconds}s", "--timeout", "60s", "--latency",
           "-s", os.path.join(HERE, script), srv.url]
    out = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, **env))
    if out.returncode != 0:
        raise SystemExit(f"bench_scale: wrk: {out.stderr.strip()}")
    text = out.stdout
    res = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", text, re.M)
        res[f"p{pct}_ms"] = _ms(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", text)
    res["requests"] = int(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    res["errors"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", text)
    if m:
        res["socket_errors"] = m.group(1).strip()
    res["rps"] = round(res["rps"], 1)
    return res


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else None


def run_pgbench(db, script, conns, seconds, variables):
    tmp = tempfile.mkdtemp(prefix="pgb-", dir=h.STATE)
    cmd = [pgbench_bin(), "-n", "-M", "prepared", "-c", str(conns), "-j", str(max(1, min(2, conns))),
           "-T", str(seconds), "-f", os.path.join(HERE, script), "-l", "--log-prefix", os.path.join(tmp, "log"),
           "-h", h.PGHOST, "-U", "folio"]
    for k, v in variables.items():
        cmd += ["-D", f"{k}={v}"]
    cmd.append(db.name)
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench_scale: pgbench: {(out.stderr or out.stdout).strip()[-800:]}")
    m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout)
    lat = []
    for name in os.listdir(tmp):
        with open(os.path.join(tmp, name)) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3:
                    lat.append(int(parts[2]) / 1000.0)
    shutil.rmtree(tmp, ignore_errors=True)
    m2 = re.search(r"number of failed transactions: (\d+)", out.stdout)
    return {"rps": round(float(m.group(1)), 1), "p50_ms": round(percentile(lat, 50), 2),
            "p99_ms": round(percentile(lat, 99), 2), "requests": len(lat),
            "errors": int(m2.group(1)) if m2 else 0}


def ratio(a, b, digits):
    return round(a / b, digits) if a is not None and b else None


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def emit(label, obj):
    print(f"{label}: {json.dumps(obj)}")
    sys.stdout.flush()


def bench_size(size, args):
    db = h.Database()
    db.sql(f'ALTER DATABASE "{db.name}" SET synchronous_commit = on')
    firm, owner_email, seed_s = seed(db, size, args.seed_timeout)
    counts = db.sql("SELECT format('%s firms, %s users, %s accounts, %s threads, %s messages, %s read markers',"
                    " (SELECT count(*) FROM firms), (SELECT count(*) FROM users),"
                    " (SELECT count(*) FROM accounts), (SELECT count(*) FROM threads),"
                    " (SELECT count(*) FROM messages), (SELECT count(*) FROM read_markers))")
    size_mb = int(db.sql(f"SELECT pg_database_size('{db.name}') / 1048576"))
    emit(f"scale {size} seed", {"size": size, "seconds": round(seed_s, 1), "rows": counts, "database_mib": size_mb})

    srv = h.Server(db=db, name=f"scale-{size}", args=["--db-threads", str(args.db_threads)],
                   env={"FOLIO_SMTP_URL": "", "FOLIO_LOG_LEVEL": args.log_level})
    try:
        owner = srv.login(owner_email, PASSWORD)
        email = f"sender-{uuid.uuid4().hex[:8]}@bench.test"
        owner.must("POST", "/api/v1/staff", {"name": "Bench Sender", "email": email, "password": PASSWORD,
                                             "role": "member"}, status=201)
        sender = srv.login(email, PASSWORD)
        ids = [int(x) for x in db.sql(f"SELECT id FROM threads WHERE firm_id = {firm}"
                                      f" ORDER BY id LIMIT {BENCH_THREADS}").split()]
        if ids != list(range(ids[0], ids[0] + BENCH_THREADS)):
            raise SystemExit("bench_scale: the bench threads' ids are not consecutive")
        notified = int(db.sql(f"SELECT count(*) FROM threads t JOIN contacts c ON c.account_id = t.account_id"
                              f" WHERE t.id BETWEEN {ids[0]} AND {ids[-1]} AND c.portal_access AND c.notify"))
        if notified != BENCH_THREADS:
            raise SystemExit(f"bench_scale: {notified} of the bench threads have a notified contact")
        env = {"FOLIO_BENCH_TOKEN": sender.token, "FOLIO_BENCH_THREAD_FIRST": str(ids[0]),
               "FOLIO_BENCH_THREAD_COUNT": str(BENCH_THREADS)}
        pgvars = {"firm": firm, "author": sender.id, "user": sender.id, "tfirst": ids[0], "tcount": BENCH_THREADS}
        shapes = [  # figure, wrk script, extra env, connections, pgbench script
            ("send", "wrk_send.lua", {"FOLIO_BENCH_INTERNAL": "0"}, args.connections, "pgbench_send.sql"),
            ("note", "wrk_send.lua", {"FOLIO_BENCH_INTERNAL": "1"}, args.connections, None),
            ("page", "wrk_page.lua", {}, args.connections, "pgbench_page.sql"),
            ("send1", "wrk_send.lua", {"FOLIO_BENCH_INTERNAL": "0"}, 1, "pgbench_send.sql"),
        ]
        results = {}
        for figure, script, extra, conns, pgscript in shapes:
            e = dict(env, **extra)
            if args.warmup > 0:
                run_wrk(srv, script, conns, args.warmup, dict(e, FOLIO_BENCH_TAG=f"w{uuid.uuid4().hex[:8]}"))
                settle(db)
            before = cpu_ticks([srv.proc.pid])
            t0 = db.sql("SELECT folio_now()")
            r = run_wrk(srv, script, conns, args.duration, dict(e, FOLIO_BENCH_TAG=uuid.uuid4().hex[:8]))
            t1 = db.sql("SELECT folio_now()")
            r.update(cpu_share(before, cpu_ticks([srv.proc.pid]), args.duration))
            settle(db)
            if script == "wrk_send.lua":
                # Messages the database stamped inside the window, counted once the requests
                # in flight have committed: when a send takes longer than the window, wrk
                # sees no answer at all.
                n = int(db.sql(f"SELECT count(*) FROM messages WHERE author_id = {sender.id}"
                               f" AND created_at >= '{t0}' AND created_at < '{t1}'"))
                r["inserted_per_s"] = round(n / args.duration, 1)
            if not r["requests"]:
                r["p50_ms"] = r["p99_ms"] = None
            r.update({"size": size, "figure": figure, "tool": "foliod", "connections": conns,
                      "db_threads": args.db_threads, "seconds": args.duration, "loadavg_1m": loadavg()})
            results[(figure, "foliod")] = r
            emit(f"scale {size} {figure} foliod", r)
            if pgscript:
                before = cpu_ticks()
                r = run_pgbench(db, pgscript, conns, args.duration, pgvars)
                r.update(cpu_share(before, cpu_ticks(), args.duration))
                del r["foliod_cores"]
                settle(db)
                r.update({"size": size, "figure": figure, "tool": "pgbench", "connections": conns,
                          "mode": "prepared", "seconds": args.duration, "loadavg_1m": loadavg()})
                results[(figure, "pgbench")] = r
                emit(f"scale {size} {figure} pgbench", r)
        for figure, _, _, _, pgscript in shapes:
            pgfig = figure if pgscript else "send"
            f, p = results[(figure, "foliod")], results[(pgfig, "pgbench")]
            emit(f"scale {size} {figure} foliod/pgbench",
                 {"size": size, "figure": figure, "against": f"pgbench {pgfig}",
                  "rps_ratio": ratio(f["rps"], p["rps"], 4),
                  "inserted_ratio": ratio(f.get("inserted_per_s"), p["rps"], 4),
                  "p50_ratio": ratio(f["p50_ms"], p["p50_ms"], 2)})
        return results
    finally:
        srv.stop(check=False)
        h._servers.remove(srv)
        h.psql("postgres", f'DROP DATABASE IF EXISTS "{db.name}"')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="small,real", help="comma-separated: small, real")
    ap.add_argument("--duration", type=int, default=10, help="seconds measured per figure")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of wrk before each figure, not measured")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--db-threads", type=int, default=16, help="foliod --db-threads")
    ap.add_argument("--seed-timeout", type=int, default=420, help="give up when seeding takes longer")
    ap.add_argument("--log-level", default="info", help="foliod --log-level (info, the default, logs every request)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench_scale: wrk not found (Debian package wrk; tests/bench/run installs it)")
    sizes = [s for s in args.sizes.split(",") if s]
    all_results = {}
    for size in sizes:
        if size not in SIZES:
            raise SystemExit(f"bench_scale: unknown size {size}")
        all_results[size] = bench_size(size, args)
    if "small" in all_results and "real" in all_results:
        for (figure, tool), r in all_results["real"].items():
            s = all_results["small"].get((figure, tool))
            if s:
                emit(f"scale real/small {figure} {tool}",
                     {"figure": figure, "tool": tool, "rps_ratio": ratio(r["rps"], s["rps"], 3),
                      "inserted_ratio": ratio(r.get("inserted_per_s"), s.get("inserted_per_s"), 3),
                      "p50_ratio": ratio(r["p50_ms"], s["p50_ms"], 2)})

if __name__ == "__main__":
    main()
