"""The server without its database: 503 at once, never a hang, and back by itself."""
import os
import subprocess

import harness as h

PG = os.path.join(h.ROOT, "tests", "env", "pg.sh")


def pg(cmd):
    subprocess.run([PG, cmd, h.STATE], check=True, capture_output=True)


@h.test
def database_down_answers_503_then_recovers():
    srv = h.server()
    f = h.Firm(srv)
    h.eq(f.owner.get("/api/v1/me").status, 200)
    pg("stop")
    try:
        r = f.owner.get("/api/v1/me", timeout=20)
        h.eq(r.status, 503, "me while the database is down")
        h.eq(r.error, "database_unavailable")
        h.eq(srv.client().get("/healthz", timeout=20).status, 503, "healthz while down")
        r = f.owner.post("/api/v1/accounts", {"name": "Lost?"}, timeout=20)
        h.eq(r.status, 503, "a write while down")
    finally:
        pg("start")
    h.wait_for(lambda: srv.client().get("/healthz").status == 200, 30, "healthz after restart")
    # The same token still works: sessions live in the database, not in the process.
    h.eq(f.owner.get("/api/v1/me").status, 200)
    names = [a["name"] for a in f.owner.must("GET", "/api/v1/accounts")["items"]]
    h.ok("Lost?" not in names, "the refused write stored nothing")
    h.eq(f.owner.post("/api/v1/accounts", {"name": "Found"}).status, 201)


@h.test
def sigterm_exits_cleanly_with_clients_connected():
    srv = h.Server()
    f = h.Firm(srv)
    import http.client
    idle = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    idle.request("GET", "/healthz")
    idle.getresponse().read()  # a kept-alive connection stays open across the stop
    h.eq(f.owner.get("/api/v1/me").status, 200)
    srv.stop()  # demands exit status 0 and a log free of sanitizer reports
    idle.close()


h.main()
