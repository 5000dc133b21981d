"""Ops: --trusted-proxy. The client address comes from X-Forwarded-For only through a trusted proxy,
and then only its right-most untrusted entry; the request log and the login throttle use it."""
import os
import tempfile
import uuid

import harness as h
from core_common import foliod, log_lines


def logged(srv, rid):
    return h.wait_for(lambda: next((x for x in log_lines(srv) if x.get("request_id") == rid), None), 15,
                      f"the log line of {rid}")


def get(srv, xff=None):
    r = srv.client().get("/healthz", headers={"X-Forwarded-For": xff} if xff else None)
    h.eq(r.status, 200)
    return logged(srv, r.headers["x-request-id"])


@h.test
def untrusted_peer_cannot_choose_its_address():
    srv = h.server()  # no --trusted-proxy
    x = get(srv, "203.0.113.7")
    h.eq(x.get("client"), "127.0.0.1", f"client in {x}")
    h.eq(x.get("peer"), "127.0.0.1", f"peer in {x}")
    x = get(srv)
    h.eq(x.get("client"), "127.0.0.1")


@h.test
def trusted_proxy_gives_the_right_most_untrusted_entry():
    srv = h.Server(args=["--trusted-proxy", "127.0.0.0/8", "--trusted-proxy", "10.0.0.0/8"])
    h.eq(get(srv, "203.0.113.7")["client"], "203.0.113.7", "one hop")
    # A client that writes its own header cannot pick the address: only the right-most untrusted entry counts.
    h.eq(get(srv, "6.6.6.6, 203.0.113.8")["client"], "203.0.113.8", "a spoofed entry on the left")
    h.eq(get(srv, "6.6.6.6, 203.0.113.9, 10.1.2.3")["client"], "203.0.113.9", "a trusted inner proxy")
    h.eq(get(srv, "2001:db8::5")["client"], "2001:db8::5", "IPv6")
    h.eq(get(srv, "garbage")["client"], "127.0.0.1", "garbage stops at the proxy")
    x = get(srv)
    h.eq(x["client"], "127.0.0.1", "no header: the peer")
    h.eq(x["peer"], "127.0.0.1")
    srv.stop()


@h.test
def login_throttle_counts_the_client_address():
    proxied = h.Server(args=["--trusted-proxy", "127.0.0.1/32"])
    f = h.Firm(proxied)
    bad = {"email": f.owner_email, "password": "wrong password"}
    r = proxied.client().post("/api/v1/sessions", bad, headers={"X-Forwarded-For": "198.51.100.23"})
    h.eq(r.status, 401)
    h.eq(proxied.db.sql("SELECT address FROM login_failures ORDER BY at DESC LIMIT 1"), "198.51.100.23",
         "the failure is the client's")
    # The same database behind a server that trusts no proxy: the header is ignored.
    direct = h.Server(db=proxied.db)
    r = direct.client().post("/api/v1/sessions", bad, headers={"X-Forwarded-For": "198.51.100.24"})
    h.eq(r.status, 401)
    h.eq(direct.db.sql("SELECT address FROM login_failures ORDER BY at DESC LIMIT 1"), "127.0.0.1",
         "a direct client's header is not believed")
    direct.stop()
    proxied.stop()


@h.test
def environment_and_config_file_lists():
    srv = h.Server(env={"FOLIO_TRUSTED_PROXY": "10.0.0.0/8, 127.0.0.1"})
    h.eq(get(srv, "203.0.113.10")["client"], "203.0.113.10", "FOLIO_TRUSTED_PROXY, comma-separated")
    srv.stop()
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as fh:
        fh.write("trusted-proxy = 10.0.0.0/8\ntrusted-proxy = ::1, 127.0.0.0/24\n")
        path = fh.name
    try:
        srv = h.Server(args=["--config", path])
        h.eq(get(srv, "203.0.113.11, 10.9.9.9")["client"], "203.0.113.11", "repeated lines in the file")
        srv.stop()
    finally:
        os.unlink(path)


@h.test
def a_bad_network_is_a_usage_error():
    for bad in ("10.0.0.0/33", "example.com", "10.0.0.1:80"):
        r = foliod(["--trusted-proxy", bad, "migrate"], env={"FOLIO_DATABASE_URL": "postgresql:///nope"})
        h.eq(r.returncode, 2, f"--trusted-proxy {bad}: {r.stderr}")
        h.ok("trusted-proxy" in r.stderr, f"the message names the option: {r.stderr!r}")


h.main()
