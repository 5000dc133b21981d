"""Ops: GET /readyz -- 200 only when the database answers, migrations are current and the mail worker
is alive; 503 naming the failed check otherwise. /healthz stays as it was."""
import os
import subprocess

import harness as h

PG = os.path.join(h.ROOT, "tests", "env", "pg.sh")


def pg(cmd):
    subprocess.run([PG, cmd, h.STATE], check=True, capture_output=True)


def readyz(srv, timeout=20):
    return srv.client().get("/readyz", timeout=timeout)


@h.test
def ready_when_all_is_well():
    srv = h.server()
    r = h.wait_for(lambda: (lambda r: r if r.status == 200 else None)(readyz(srv)), 30, "readyz 200")
    h.eq(r.json.get("ready"), True, repr(r))
    h.eq(r.json.get("checks"), {"database": "ok", "migrations": "ok", "mail_worker": "ok"})
    newest = sorted(f for f in os.listdir(os.path.join(h.ROOT, "sql")) if f[:3].isdigit() and f.endswith(".sql"))[-1]
    h.eq(r.json.get("schema"), newest, "the newest migration this binary knows")
    h.eq(r.json.get("schema_expected"), newest)
    h.ok(r.headers.get("content-type", "").startswith("application/json"), "JSON")
    # Public, like /healthz: a load balancer has no token.
    h.eq(srv.client("not-a-token").get("/readyz").status, 200)
    h.eq(srv.client().get("/healthz").json, {"status": "ok"}, "/healthz is unchanged")


@h.test
def not_ready_while_postgresql_is_down_and_ready_again_after():
    srv = h.server()
    h.wait_for(lambda: readyz(srv).status == 200, 30, "readyz 200 before")
    pg("stop")
    try:
        r = readyz(srv)
        h.eq(r.status, 503, f"readyz while the database is down: {r!r}")
        h.eq(r.json.get("ready"), False)
        h.eq(r.json["checks"]["database"], "unreachable")
        h.eq(r.json["checks"]["migrations"], "unknown")
        h.eq(r.json.get("error", {}).get("code"), "not_ready", "API.md's error shape")
        h.ok(r.json["error"].get("message"), "a message")
        h.eq(srv.client().get("/healthz", timeout=20).status, 503, "healthz too")
    finally:
        pg("start")
    # Back as soon as PostgreSQL is: every probe reconnects. A generous bound, no timing assertion.
    h.wait_for(lambda: readyz(srv).status == 200, 30, "readyz 200 after PostgreSQL returned", interval=0.1)
    h.eq(readyz(srv).json["checks"]["database"], "ok")


@h.test
def not_ready_with_a_pending_migration():
    srv = h.Server()
    h.wait_for(lambda: readyz(srv).status == 200, 30, "readyz 200")
    newest = srv.db.sql("SELECT max(name) FROM schema_migrations")
    srv.db.sql(f"DELETE FROM schema_migrations WHERE name = '{newest}'")
    r = readyz(srv)
    h.eq(r.status, 503, repr(r))
    h.eq(r.json["checks"], {"database": "ok", "migrations": "pending", "mail_worker": "ok"})
    h.eq(r.json["error"]["code"], "not_ready")
    srv.db.sql(f"INSERT INTO schema_migrations (name) VALUES ('{newest}')")
    h.eq(readyz(srv).status, 200, "current again")
    # A database migrated by a newer release still serves this one (an upgrade in progress:
    # migrations keep the previous release working), and says so.
    srv.db.sql("INSERT INTO schema_migrations (name) VALUES ('999_from_the_future.sql')")
    r = readyz(srv)
    h.eq(r.status, 200, repr(r))
    h.eq(r.json["checks"]["migrations"], "newer than this release")
    h.eq(r.json["ready"], True)
    srv.db.sql("DELETE FROM schema_migrations WHERE name = '999_from_the_future.sql'")
    h.eq(readyz(srv).status, 200)
    srv.stop()


h.main()
