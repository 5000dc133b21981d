"""Core: the foliod command line (help, version, routes, migrate, create-firm), configuration
precedence, SIGTERM, and the one JSON log line per request."""
import os
import re
import tempfile
import uuid

import harness as h
from core_common import foliod, routes, log_lines, CORE_ROUTES


def tag():
    return uuid.uuid4().hex[:8]


@h.test
def help_version_and_routes():
    r = foliod(["--help"])
    h.eq(r.returncode, 0, f"--help: {r.stderr}")
    for word in ("usage", "migrate", "serve", "create-firm", "--listen", "--database-url", "FOLIO_DATABASE_URL"):
        h.ok(word in r.stdout, f"--help mentions {word}")
    r = foliod(["--version"])
    h.eq(r.returncode, 0)
    h.ok(re.match(r"^foliod \d+\.\d+\.\d+", r.stdout), f"--version prints a version: {r.stdout!r}")
    r = foliod(["--list-routes"])
    h.eq(r.returncode, 0)
    listed = {(m, p) for m, p, _ in routes()}
    h.eq(CORE_ROUTES - listed, set(), "every core route is listed")
    for m, p, who in routes():
        h.ok(m in ("GET", "POST", "PATCH", "PUT", "DELETE"), f"method {m}")
        h.ok(p.startswith("/api/v1/") or p in ("/healthz", "/readyz", "/metrics"), f"path {p}")
        h.ok(who in ("public", "any", "staff", "admin", "owner", "test", "metrics"), f"who {who}")


@h.test
def usage_errors_exit_non_zero():
    r = foliod(["no-such-command"])
    h.ok(r.returncode != 0, "an unknown command fails")
    h.ok(r.stderr.strip(), "and says why")
    r = foliod(["--db-threads", "lots", "migrate"])
    h.ok(r.returncode != 0, "a bad number fails")


@h.test
def migrate_twice_is_safe():
    db = h.Database()
    r1 = foliod(["migrate"], db)
    h.eq(r1.returncode, 0, f"first migrate: {r1.stderr}")
    files = sorted(f for f in os.listdir(os.path.join(h.ROOT, "sql")) if re.match(r"^\d{3}_.*\.sql$", f))
    applied = db.sql("SELECT string_agg(name, ',' ORDER BY name) FROM schema_migrations")
    h.eq(applied.split(","), files, "every migration recorded once")
    db.sql("INSERT INTO firms (name) VALUES ('kept across migrations')")
    r2 = foliod(["migrate"], db)
    h.eq(r2.returncode, 0, f"second migrate: {r2.stderr}")
    h.eq(db.sql("SELECT count(*) FROM schema_migrations"), str(len(files)), "nothing applied twice")
    h.eq(db.sql("SELECT count(*) FROM firms WHERE name = 'kept across migrations'"), "1", "data kept")
    for table in ("firms", "users", "staff", "accounts", "contacts", "sessions", "threads", "messages",
                  "read_markers", "templates", "tasks"):
        h.eq(db.sql(f"SELECT to_regclass('public.{table}') IS NOT NULL"), "t", f"table {table}")
    # serve migrates too, and still starts on a migrated database.
    srv = h.Server(db=db)
    h.eq(srv.client().get("/healthz").status, 200)
    srv.stop()
    h.eq(db.sql("SELECT count(*) FROM schema_migrations"), str(len(files)))


@h.test
def migrate_without_a_database_fails_quickly():
    r = foliod(["migrate"], env={"FOLIO_DATABASE_URL": "postgresql:///nope?host=/nonexistent-folio&connect_timeout=3"},
               timeout=30)
    h.ok(r.returncode != 0, "migrate fails without a database")


@h.test
def create_firm_prints_the_id():
    db = h.Database()
    t = tag()
    r = foliod(["create-firm", "--name", f"Kanzlei {t}", "--owner-email", f"chef-{t}@kanzlei.test"], db,
               stdin=h.PASSWORD + "\n")
    h.eq(r.returncode, 0, f"create-firm: {r.stderr}")
    h.ok(re.fullmatch(r"\d+\n?", r.stdout), f"prints only the id: {r.stdout!r}")
    firm_id = int(r.stdout)
    h.eq(db.sql(f"SELECT name FROM firms WHERE id = {firm_id}"), f"Kanzlei {t}")
    h.eq(db.sql(f"SELECT s.role FROM staff s JOIN users u ON u.id = s.user_id WHERE u.firm_id = {firm_id}"), "owner")
    # A second firm gets another id; addresses are unique per firm, so the same owner may own another.
    r2 = foliod(["create-firm", "--name", "Zweite", "--owner-email", f"zwei-{t}@kanzlei.test"], db,
                stdin=h.PASSWORD + "\n")
    h.eq(r2.returncode, 0)
    h.ok(int(r2.stdout) != firm_id, "a new id")
    r3 = foliod(["create-firm", "--name", "Dritte", "--owner-email", f"chef-{t}@kanzlei.test"], db,
                stdin="another " + h.PASSWORD + "\n")
    h.eq(r3.returncode, 0, f"the same owner, another firm: {r3.stderr}")
    r4 = foliod(["create-firm", "--name", "Vierte", "--owner-email", f"vier-{t}@kanzlei.test"], db, stdin="short\n")
    h.ok(r4.returncode != 0, "a short password fails")
    r5 = foliod(["create-firm", "--owner-email", f"fuenf-{t}@kanzlei.test"], db, stdin=h.PASSWORD + "\n")
    h.ok(r5.returncode != 0, "a missing name fails")
    h.eq(db.sql("SELECT count(*) FROM firms"), "3", "only the three good firms")
    # The owner logs in over HTTP.
    srv = h.Server(db=db)
    c = srv.login(f"chef-{t}@kanzlei.test", h.PASSWORD)
    h.eq(c.must("GET", "/api/v1/me")["role"], "owner")
    srv.stop()


@h.test
def flags_win_over_environment_and_config_file():
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write("# test config\nmax-body = 1000\nlisten = 127.0.0.1:1\n")
        path = f.name
    try:
        # The harness passes --listen: that flag beats FOLIO_LISTEN and the file's listen.
        srv = h.Server(args=["--config", path], env={"FOLIO_LISTEN": "127.0.0.1:2"})
        firm = h.Firm(srv)
        # max-body from the file applies (nothing else set it).
        r = firm.owner.post("/api/v1/accounts", {"name": "n" * 1100})
        h.eq(r.status, 413, f"max-body from the config file: {r!r}")
        srv.stop()
        # The environment beats the file.
        srv = h.Server(args=["--config", path], env={"FOLIO_MAX_BODY": "5000"})
        firm = h.Firm(srv)
        h.eq(firm.owner.post("/api/v1/accounts", {"name": "n" * 150}).status, 201, "env beats file")
        srv.stop()
    finally:
        os.unlink(path)


@h.test
def sigterm_exits_zero():
    srv = h.Server()
    f = h.Firm(srv)
    h.eq(f.owner.get("/api/v1/me").status, 200)
    srv.stop()  # SIGTERM; fails unless the exit status is 0 and the log is clean
    h.ok(srv.proc is None, "stopped")
    srv.start()
    h.eq(f.owner.get("/api/v1/me").status, 200, "sessions survive a restart")
    srv.stop()


@h.test
def one_json_log_line_per_request():
    srv = h.server()
    f = h.Firm(srv)
    token = f.owner.token
    made = []
    for method, path, body in (("GET", "/api/v1/me", None), ("GET", "/api/v1/threads?limit=5", None),
                               ("POST", "/api/v1/accounts", {"name": f"Log {tag()}"}),
                               ("GET", "/api/v1/nope", None), ("DELETE", "/api/v1/me", None),
                               ("POST", "/api/v1/accounts", None)):
        r = f.owner.request(method, path, body=body)
        rid = r.headers.get("x-request-id")
        h.ok(rid, f"X-Request-Id on {method} {path}")
        made.append((method, path.split("?")[0], r.status, rid))
    r = srv.client().get("/api/v1/me")
    made.append(("GET", "/api/v1/me", 401, r.headers.get("x-request-id")))
    r = srv.client().get("/api/v1/me", query={"access_token": token})
    made.append(("GET", "/api/v1/me", r.status, r.headers.get("x-request-id")))
    h.eq(len({m[3] for m in made}), len(made), "request ids are unique")

    def logged():
        lines = [x for x in log_lines(srv) if x.get("request_id") in {m[3] for m in made}]
        return lines if len(lines) >= len(made) else None

    lines = h.wait_for(logged, 15, "a log line for every request")
    for method, path, status, rid in made:
        mine = [x for x in lines if x["request_id"] == rid]
        h.eq(len(mine), 1, f"exactly one line for {method} {path}")
        x = mine[0]
        h.eq(x.get("method"), method)
        h.eq(x.get("path"), path)
        h.eq(x.get("status"), status)
        h.ok(isinstance(x.get("duration_ms"), (int, float)) and x["duration_ms"] >= 0, f"duration_ms in {x}")
    with open(srv.log, errors="replace") as fh:
        text = fh.read()
    h.ok(token not in text, "the token never reaches the log")
    h.ok(h.PASSWORD not in text, "nor a password")


h.main()
