"""The reverse proxy of docs/OPERATIONS.md: Debian's nginx runs docs/nginx/folio.conf (only its
ports, upstream address and certificate paths changed) in front of a real foliod started with
--trusted-proxy 127.0.0.1/32, with a throwaway self-signed certificate. Through it, over HTTPS:
a login and a message (REST), the event stream as a WebSocket and as long poll, bodies past
foliod's own limit answered by foliod, and foliod's request log naming the client's address
from X-Forwarded-For (and never one the client wrote into that header itself).

Everything on loopback; nginx's pid file, logs and temp folders in the test's own folder."""

import atexit
import http.client
import json
import os
import pwd
import re
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import uuid

import websocket

import harness as h

ROOT = h.ROOT
CONF = os.path.join(ROOT, "docs", "nginx", "folio.conf")
NGINX = "/usr/sbin/nginx"
WAIT = 45
# The client's own loopback address, so that the log can tell it from nginx's (127.0.0.1).
CLIENT_ADDR = "127.0.0.5"
SPOOFED = "203.0.113.9"

os.makedirs(h.STATE, exist_ok=True)
TMP = tempfile.mkdtemp(prefix="nginx-", dir=h.STATE)
os.chmod(TMP, 0o755)


class Proxy:
    """foliod behind nginx."""

    def __init__(self):
        self.https_port = h.free_port()
        # The public URL is the proxy's: mails link to it, and browsers' Origin is it.
        self.srv = h.Server(args=["--trusted-proxy", "127.0.0.1/32"], name="foliod-behind-nginx",
                            env={"FOLIO_PUBLIC_URL": f"https://folio.example.com:{self.https_port}"})
        self.http_port = h.free_port()
        self.cert = os.path.join(TMP, "cert.pem")
        self.key = os.path.join(TMP, "key.pem")
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                            "-nodes", "-days", "2", "-subj", "/CN=folio.example.com",
                            "-addext", "subjectAltName=DNS:folio.example.com,IP:127.0.0.1",
                            "-keyout", self.key, "-out", self.cert], capture_output=True, text=True)
        if r.returncode != 0:
            raise h.Failure(f"openssl: {r.stderr}")
        self.site = os.path.join(TMP, "folio.conf")
        with open(self.site, "w") as f:
            f.write(self.site_text())
        self.conf = os.path.join(TMP, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(self.main_text())
        self.error_log = os.path.join(TMP, "error.log")
        self.proc = None
        self.ctx = ssl.create_default_context(cafile=self.cert)

    def site_text(self):
        """docs/nginx/folio.conf with the test's ports and certificate; each change must apply
        exactly once, so an edit of the file that would leave the test behind fails it."""
        with open(CONF) as f:
            text = f.read()

        def sub(pattern, repl, count=1):
            nonlocal text
            text, n = re.subn(pattern, repl, text, flags=re.M)
            if n != count:
                raise h.Failure(f"docs/nginx/folio.conf: {pattern!r} matched {n} times, want {count}")

        sub(r"^(\s*server) 127\.0\.0\.1:8080;", rf"\1 127.0.0.1:{self.srv.port};")
        sub(r"^(\s*listen) 80;", rf"\1 127.0.0.1:{self.http_port};")
        sub(r"^(\s*listen) 443 ssl http2;", rf"\1 127.0.0.1:{self.https_port} ssl http2;")
        sub(r"^\s*listen \[::\]:\d+.*\n", "", count=2)  # loopback only
        sub(r"^(\s*ssl_certificate)\s+/\S+;", rf"\1 {self.cert};")
        sub(r"^(\s*ssl_certificate_key)\s+/\S+;", rf"\1 {self.key};")
        return text

    def main_text(self):
        """The nginx.conf around it: everything nginx writes stays in TMP."""
        user = ""
        if os.geteuid() == 0:
            # As root the workers drop to an unprivileged user (Debian's www-data), which must
            # be able to write the temp folders.
            name = "www-data"
            try:
                pw = pwd.getpwnam(name)
            except KeyError:
                name, pw = "nobody", pwd.getpwnam("nobody")
            user = f"user {name};"
        for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            p = os.path.join(TMP, d)
            os.makedirs(p, exist_ok=True)
            if os.geteuid() == 0:
                os.chown(p, pw.pw_uid, pw.pw_gid)
        return f"""{user}
worker_processes 1;
daemon off;
pid {TMP}/nginx.pid;
error_log {TMP}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {TMP}/access.log;
    client_body_temp_path {TMP}/body;
    proxy_temp_path {TMP}/proxy;
    fastcgi_temp_path {TMP}/fastcgi;
    uwsgi_temp_path {TMP}/uwsgi;
    scgi_temp_path {TMP}/scgi;
    include {self.site};
}}
"""

    def nginx(self, *args):
        return [NGINX, "-p", TMP + "/", "-e", self.error_log, "-c", self.conf, *args]

    def start(self):
        t = subprocess.run(self.nginx("-t"), capture_output=True, text=True)
        if t.returncode != 0:
            raise h.Failure(f"nginx -t:\n{t.stderr}")
        self.proc = subprocess.Popen(self.nginx(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        h.wait_for(self._up, 30, "nginx to answer")
        return t

    def _up(self):
        if self.proc.poll() is not None:
            raise h.Failure(f"nginx exited with {self.proc.returncode}; see {self.error_log}")
        try:
            socket.create_connection(("127.0.0.1", self.https_port), timeout=2).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # fast shutdown
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def request(self, method, path, body=None, token=None, headers=None, raw=None, source=CLIENT_ADDR):
        """One HTTPS request through nginx from the client's address."""
        hdrs = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if token:
            hdrs["Authorization"] = "Bearer " + token
        conn = http.client.HTTPSConnection("127.0.0.1", self.https_port, context=self.ctx, timeout=90,
                                           source_address=(source, 0))
        try:
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            return h.Response(r.status, {k.lower(): v for k, v in r.getheaders()},
                              r.read().decode("utf-8", "replace"))
        finally:
            conn.close()

    def must(self, method, path, body=None, status=None, **kw):
        r = self.request(method, path, body, **kw)
        if (status and r.status != status) or (not status and not 200 <= r.status < 300):
            raise h.Failure(f"{method} {path} through nginx: {r!r}")
        return r

    def websocket(self, token, since, source=CLIENT_ADDR):
        """wss:// through nginx, from the client's address, trusting only the test's certificate."""
        raw = socket.create_connection(("127.0.0.1", self.https_port), timeout=30, source_address=(source, 0))
        tls = self.ctx.wrap_socket(raw, server_hostname="folio.example.com")
        # The Origin a browser on the public URL sends (websocket-client would say http://).
        return websocket.create_connection(f"wss://folio.example.com:{self.https_port}/api/v1/events?since={since}",
                                           header=["Authorization: Bearer " + token], socket=tls, timeout=30,
                                           origin=f"https://folio.example.com:{self.https_port}")


_proxy = None


def proxy():
    global _proxy
    if _proxy is None:
        _proxy = Proxy()
        _proxy.start()
    return _proxy


@atexit.register
def _stop_nginx():
    if _proxy:
        _proxy.stop()


def log_line(srv, request_id):
    """foliod's request log line with this request id."""
    def find():
        with open(srv.log, errors="replace") as f:
            for line in f:
                if request_id in line:
                    try:
                        o = json.loads(line)
                    except ValueError:
                        continue
                    if o.get("request_id") == request_id:
                        return o
        return None
    return h.wait_for(find, 15, f"log line of request {request_id}")


class World:
    def __init__(self, p):
        self.f = h.Firm(p.srv)
        self.acc = self.f.account()
        self.f.contact(self.acc["id"])
        self.email = self.f.owner_email
        r = p.must("POST", "/api/v1/sessions", {"email": self.email, "password": h.PASSWORD}, status=201,
                   headers={"X-Forwarded-For": SPOOFED})
        self.login = r
        self.token = r.json["token"]
        self.thread = p.must("POST", "/api/v1/threads", {"account_id": self.acc["id"], "subject": "Belege",
                                                         "body": "Bitte die Belege schicken."},
                             token=self.token, status=201).json


_world = None


def world():
    global _world
    if _world is None:
        _world = World(proxy())
    return _world


def head(p, token):
    return p.must("GET", "/api/v1/events", token=token).json["next"]


@h.test
def nginx_accepts_the_documented_configuration():
    p = proxy()
    t = subprocess.run(p.nginx("-t"), capture_output=True, text=True)
    h.eq(t.returncode, 0, f"nginx -t: {t.stderr}")
    h.ok("syntax is ok" in t.stderr and "test is successful" in t.stderr, t.stderr)
    # The long-poll wait is capped at 60 s and idle WebSockets are pinged every 30 s: the
    # event stream's read timeout is longer than both, and every request's longer than 60 s.
    with open(CONF) as f:
        text = f.read()
    events = re.search(r"location = /api/v1/events \{(.*?)\}", text, re.S)
    h.ok(events, "a location for /api/v1/events")
    m = re.search(r"proxy_read_timeout (\d+)s;", events.group(1))
    h.ok(m and int(m.group(1)) > 60, "the event stream's proxy_read_timeout is longer than the long-poll cap")
    m = re.search(r"^    proxy_read_timeout (\d+)s;", text, re.M)
    h.ok(m and int(m.group(1)) > 60, "the server's proxy_read_timeout is longer than statement_timeout")
    h.ok(re.search(r"proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;", text), "X-Forwarded-For")
    h.ok(re.search(r"proxy_set_header X-Forwarded-Proto \$scheme;", text), "X-Forwarded-Proto")


@h.test
def plain_http_redirects_to_https():
    p = proxy()
    conn = http.client.HTTPConnection("127.0.0.1", p.http_port, timeout=30)
    conn.request("GET", "/api/v1/me", headers={"Host": "folio.example.com"})
    r = conn.getresponse()
    r.read()
    conn.close()
    h.eq(r.status, 301, "plain HTTP")
    h.eq(r.getheader("Location"), "https://folio.example.com/api/v1/me", "redirect target")


@h.test
def rest_through_tls_with_the_client_address_from_x_forwarded_for():
    p = proxy()
    w = world()
    h.ok(w.login.headers.get("strict-transport-security", "").startswith("max-age="), "HSTS from nginx")
    # The login's log line: the client as nginx saw it, not what the client claimed.
    line = log_line(p.srv, w.login.headers["x-request-id"])
    h.eq((line["path"], line["status"]), ("/api/v1/sessions", 201), "the login's line")
    h.eq(line["client"], CLIENT_ADDR, f"client address from X-Forwarded-For: {line}")
    h.eq(line["peer"], "127.0.0.1", "the TCP peer is nginx")
    h.ok(SPOOFED not in json.dumps(line), "the address the client wrote itself is not believed")
    # A message and the page that shows it.
    body = "Die Belege für **November**, bitte. " + uuid.uuid4().hex
    m = p.must("POST", f"/api/v1/threads/{w.thread['id']}/messages", {"body": body}, token=w.token, status=201).json
    page = p.must("GET", f"/api/v1/threads/{w.thread['id']}/messages", token=w.token).json
    h.eq([x["id"] for x in page["items"]][-1], m["id"], "the message is the last of its thread")
    h.eq(page["items"][-1]["body"], body, "its body, UTF-8 intact")
    # Errors keep foliod's JSON shape through the proxy.
    r = p.request("GET", "/api/v1/me")
    h.eq((r.status, r.error), (401, "unauthorized"), f"no token: {r!r}")
    # The same request straight to foliod from an address that is no trusted proxy: the header
    # is ignored.
    conn = http.client.HTTPConnection("127.0.0.1", p.srv.port, timeout=30, source_address=("127.0.0.7", 0))
    conn.request("GET", "/healthz", headers={"X-Forwarded-For": SPOOFED})
    r = conn.getresponse()
    r.read()
    rid = r.getheader("X-Request-Id")
    conn.close()
    line = log_line(p.srv, rid)
    h.eq(line["client"], "127.0.0.7", "X-Forwarded-For from an untrusted peer is ignored")
    # Metrics are not served to the internet through the proxy.
    h.eq(p.request("GET", "/metrics").status, 404, "/metrics through the proxy")


@h.test
def websocket_events_through_tls():
    p = proxy()
    w = world()
    since = head(p, w.token)
    ws = p.websocket(w.token, since)
    try:
        body = "live " + uuid.uuid4().hex
        m = p.must("POST", f"/api/v1/threads/{w.thread['id']}/messages", {"body": body}, token=w.token,
                   status=201).json
        got = []

        def read():
            while True:
                e = json.loads(ws.recv())
                got.append(e)
                if e.get("type") == "message.created" and e["message"]["id"] == m["id"]:
                    return

        t = threading.Thread(target=read, daemon=True)
        t.start()
        t.join(WAIT)
        h.ok(not t.is_alive(), f"message.created within {WAIT}s over wss:// (got {got})")
        h.ok(all(e["id"] > since for e in got), "only events after since")
        h.eq(got[-1]["message"]["body"], body, "the message in the event")
    finally:
        ws.close()


@h.test
def long_poll_through_tls():
    p = proxy()
    w = world()
    since = head(p, w.token)
    # Nothing new: a parked poll comes back empty when its wait ends (not a proxy error).
    r = p.must("GET", f"/api/v1/events?since={since}&wait=2", token=w.token)
    h.eq(r.json["items"], [], "an empty wait")
    # A parked poll answered by a message posted meanwhile.
    result = {}

    def poll():
        result["r"] = p.request("GET", f"/api/v1/events?since={since}&wait=50", token=w.token)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    m = p.must("POST", f"/api/v1/threads/{w.thread['id']}/messages", {"body": "poll " + uuid.uuid4().hex},
               token=w.token, status=201).json
    t.join(WAIT + 60)
    h.ok("r" in result, "the long poll answered")
    r = result["r"]
    h.eq(r.status, 200, f"long poll: {r!r}")
    ids = [e.get("message", {}).get("id") for e in r.json["items"]]
    if m["id"] not in ids:  # the poll may have answered with an earlier event of this thread
        r = p.must("GET", f"/api/v1/events?since={r.json['next']}&wait=50", token=w.token)
        ids = [e.get("message", {}).get("id") for e in r.json["items"]]
    h.ok(m["id"] in ids, f"the message came through the long poll: {r.json}")


@h.test
def bodies_past_foliods_limit_are_refused_by_foliod():
    p = proxy()
    w = world()
    big = json.dumps({"body": "x" * (2 * 1024 * 1024)}).encode()  # over --max-body (1 MiB)
    r = p.request("POST", f"/api/v1/threads/{w.thread['id']}/messages", raw=big, token=w.token,
                  headers={"Content-Type": "application/json"})
    h.eq(r.status, 413, f"a 2 MiB JSON body: {r.raw[:200]!r}")
    h.eq(r.error, "too_large", f"foliod's JSON error, not nginx's page: {r.raw[:200]!r}")
    # The longest message body foliod takes (100,000 bytes) reaches it whole.
    body = ("Beleg ä " * 20000)[:87999]  # 98,999 bytes in UTF-8
    m = p.must("POST", f"/api/v1/threads/{w.thread['id']}/messages", {"body": body}, token=w.token, status=201).json
    h.eq(m["body"], body, "a message of almost 100,000 bytes arrives whole")


@h.test
def nginx_stops_cleanly():
    p = proxy()
    p.stop()
    with open(p.error_log, errors="replace") as f:
        errors = [l for l in f if re.search(r"\[(emerg|alert|crit)\]", l)]
    h.eq(errors, [], "nginx's error log")


h.main()
