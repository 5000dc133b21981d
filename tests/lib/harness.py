"""Integration test harness: real PostgreSQL, real foliod, real HTTP.

tests/run starts one private PostgreSQL cluster (and an SMTP catcher) for the
whole suite and exports FOLIO_TEST_STATE, FOLIO_TEST_PGHOST and
FOLIO_TEST_SMTP_PORT. Each test file makes its own database and its own
foliod on a free loopback port, so files cannot disturb one another.

A test file:

    import harness as h

    @h.test
    def login_works():
        srv = h.server()              # shared per file; h.Server() for a private one
        f = h.Firm(srv)               # a firm with an owner, logged in
        r = f.owner.get("/api/v1/me")
        h.eq(r.status, 200)

    h.main()

Output is TAP-like ("ok 1 - name" / "not ok 2 - name"), ending with a count;
tests/run adds up the lines of every file.
"""

import atexit
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import traceback
import urllib.parse
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# tests/run points these at its own build, so runs of two variants never share a binary.
FOLIOD = os.environ.get("FOLIO_TEST_FOLIOD") or os.path.join(ROOT, "server", "foliod")
STATE = os.environ.get("FOLIO_TEST_STATE") or os.path.join(ROOT, ".state", "manual")
PGHOST = os.environ.get("FOLIO_TEST_PGHOST") or os.path.join(STATE, "pg", "run")
SMTP_PORT = int(os.environ.get("FOLIO_TEST_SMTP_PORT") or 0)
PSQL = "psql"

_tests = []
_servers = []


def test(fn):
    """Registers a test function; tests run in the order they are defined."""
    _tests.append(fn)
    return fn


class Failure(AssertionError):
    pass


def eq(got, want, what=""):
    if got != want:
        raise Failure(f"{what}: got {got!r}, want {want!r}" if what else f"got {got!r}, want {want!r}")


def ok(cond, what="condition"):
    if not cond:
        raise Failure(f"{what} is false")


def wait_for(fn, timeout=15.0, what="condition", interval=0.05):
    """Polls fn() until it returns a true value; returns it. Fails after timeout seconds."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            raise Failure(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def psql(dbname, sql):
    """Runs SQL (trusted test text) against a test database; returns stdout."""
    out = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", PGHOST, "-U", "folio",
                          "-d", dbname, "-c", sql], capture_output=True, text=True)
    if out.returncode != 0:
        raise Failure(f"psql: {out.stderr.strip()}")
    return out.stdout.strip()


class Database:
    """A fresh database in the suite's cluster."""

    def __init__(self):
        self.name = "t_" + uuid.uuid4().hex[:12]
        psql("postgres", f'CREATE DATABASE "{self.name}"')
        self.url = f"postgresql:///{self.name}?host={PGHOST}&user=folio"

    def sql(self, text):
        return psql(self.name, text)


class Response:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw
        try:
            self.json = json.loads(raw) if raw else None
        except ValueError:
            self.json = None

    @property
    def error(self):
        return (self.json or {}).get("error", {}).get("code")

    def __repr__(self):
        return f"<{self.status} {self.raw[:300]!r}>"


class Client:
    """HTTP client for one user (token may be None)."""

    def __init__(self, srv, token=None, user=None):
        self.srv = srv
        self.token = token
        self.user = user or {}

    @property
    def id(self):
        return self.user.get("id")

    def request(self, method, path, body=None, raw=None, headers=None, query=None, timeout=30):
        if query:
            path += ("&" if "?" in path else "?") + urllib.parse.urlencode(query)
        h = {}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        data = None
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        ctx = getattr(self.srv, "ssl_context", None)  # a server serving TLS itself
        if ctx is not None:
            conn = http.client.HTTPSConnection("127.0.0.1", self.srv.port, timeout=timeout, context=ctx)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode("utf-8", "replace"))
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body if body is not None else ({} if "raw" not in kw else None), **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def must(self, method, path, body=None, status=None, **kw):
        """A request that must succeed (2xx, or the given status); returns the JSON."""
        r = self.request(method, path, body=body, **kw)
        if (status and r.status != status) or (not status and not 200 <= r.status < 300):
            raise Failure(f"{method} {path}: {r!r}")
        return r.json


class Server:
    """A running foliod on its own port (and, unless given one, its own database)."""

    def __init__(self, db=None, args=(), env=None, name=None):
        self.db = db or Database()
        self.port = free_port()
        self.args = list(args)
        self.env = dict(env or {})
        self.name = name or f"foliod-{self.port}"
        os.makedirs(os.path.join(STATE, "logs"), exist_ok=True)
        self.log = os.path.join(STATE, "logs", f"{self.db.name}-{self.name}.log")
        self.proc = None
        self.start()
        _servers.append(self)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        env = dict(os.environ)
        env.update({"FOLIO_DATABASE_URL": self.db.url, "FOLIO_SQL_DIR": os.path.join(ROOT, "sql"),
                    "FOLIO_PUBLIC_URL": f"http://127.0.0.1:{self.port}"})
        if SMTP_PORT:
            env["FOLIO_SMTP_URL"] = f"smtp://127.0.0.1:{SMTP_PORT}"
        env.update(self.env)
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen([FOLIOD, "serve", "--listen", f"127.0.0.1:{self.port}", "--test-clock",
                                      *self.args], stdout=logf, stderr=logf, env=env)
        logf.close()
        wait_for(self._healthy, 30, f"foliod on port {self.port} to answer")

    def _healthy(self):
        if self.proc.poll() is not None:
            raise Failure(f"foliod exited with {self.proc.returncode}; see {self.log}")
        try:
            return Client(self).get("/healthz", timeout=2).status == 200
        except OSError:
            return False

    def stop(self, check=True):
        """SIGTERM, wait, and (check) demand exit 0 and a log free of sanitizer reports."""
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            rc = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            if check:
                raise Failure("foliod did not stop within 30 s of SIGTERM")
        self.proc = None
        if check:
            if rc != 0:
                raise Failure(f"foliod exited {rc} after SIGTERM; see {self.log}")
            self.check_log()

    def kill(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def restart(self):
        self.stop()
        self.start()

    def check_log(self):
        with open(self.log, errors="replace") as f:
            text = f.read()
        for bad in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if bad in text:
                raise Failure(f"sanitizer report in {self.log}")

    def client(self, token=None, user=None):
        return Client(self, token, user)

    def login(self, email, password):
        r = self.client().post("/api/v1/sessions", {"email": email, "password": password})
        if r.status != 201:
            raise Failure(f"login {email}: {r!r}")
        return Client(self, r.json["token"], r.json["user"])

    def create_firm(self, name, email, password, owner_name=None):
        env = dict(os.environ)
        env.update({"FOLIO_DATABASE_URL": self.db.url, "FOLIO_SQL_DIR": os.path.join(ROOT, "sql")})
        cmd = [FOLIOD, "create-firm", "--name", name, "--owner-email", email]
        if owner_name:
            cmd += ["--owner-name", owner_name]
        out = subprocess.run(cmd, input=password + "\n", capture_output=True, text=True, env=env)
        if out.returncode != 0:
            raise Failure(f"create-firm: {out.stderr.strip()}")
        return int(out.stdout.strip())

    def advance(self, seconds, as_client):
        """Moves the shared test clock forward and runs every due job."""
        return as_client.must("POST", "/api/v1/test/clock", {"advance_seconds": int(seconds)})


_shared = None


def server():
    """The file's shared server (made on first use)."""
    global _shared
    if _shared is None:
        _shared = Server()
    return _shared


PASSWORD = "correct horse battery"


class Firm:
    """A firm with a logged-in owner; helpers add staff, accounts and contacts."""

    def __init__(self, srv, name=None):
        self.srv = srv
        tag = uuid.uuid4().hex[:8]
        self.tag = tag
        self.name = name or f"Firm {tag}"
        self.owner_email = f"owner-{tag}@firm.test"
        self.id = srv.create_firm(self.name, self.owner_email, PASSWORD, owner_name=f"Olga Owner{tag}")
        self.owner = srv.login(self.owner_email, PASSWORD)

    def staff(self, role="member", name=None):
        tag = uuid.uuid4().hex[:8]
        email = f"staff-{tag}@firm.test"
        self.owner.must("POST", "/api/v1/staff", {"name": name or f"Sam Staff{tag}", "email": email,
                                                  "password": PASSWORD, "role": role}, status=201)
        return self.srv.login(email, PASSWORD)

    def account(self, name=None):
        return self.owner.must("POST", "/api/v1/accounts", {"name": name or f"Client {uuid.uuid4().hex[:8]}"},
                               status=201)

    def contact(self, account_id, portal_access=True, notify=True, name=None, login=True):
        """Adds a contact; returns a logged-in Client when it has portal access (else the contact JSON)."""
        tag = uuid.uuid4().hex[:8]
        email = f"contact-{tag}@client.test"
        c = self.owner.must("POST", f"/api/v1/accounts/{account_id}/contacts",
                            {"name": name or f"Carla Client{tag}", "email": email, "password": PASSWORD,
                             "portal_access": portal_access, "notify": notify}, status=201)
        if portal_access and login:
            return self.srv.login(email, PASSWORD)
        return c

    def thread(self, account_id, body="Please send your documents.", as_client=None, **extra):
        payload = {"account_id": account_id, "subject": extra.pop("subject", "Documents"), "body": body}
        payload.update(extra)
        return (as_client or self.owner).must("POST", "/api/v1/threads", payload, status=201)


def main():
    """Runs every registered test; prints TAP-like lines and a count; exits 1 on any failure."""
    only = sys.argv[1:]
    passed = failed = 0
    name = os.path.basename(sys.argv[0])
    for i, fn in enumerate(_tests, 1):
        if only and fn.__name__ not in only:
            continue
        t0 = time.monotonic()
        try:
            fn()
        except Exception as e:  # a test's failure, whatever its kind
            failed += 1
            print(f"not ok {i} - {name}: {fn.__name__}")
            for line in traceback.format_exception(type(e), e, e.__traceback__)[-6:]:
                for l in line.rstrip().splitlines():
                    print(f"#   {l}")
        else:
            passed += 1
            print(f"ok {i} - {name}: {fn.__name__} ({time.monotonic() - t0:.1f}s)")
        sys.stdout.flush()
    for s in list(_servers):
        try:
            s.stop()
        except Failure as e:
            failed += 1
            print(f"not ok {len(_tests) + 1} - {name}: server stops cleanly ({e})")
    print(f"# {name}: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


@atexit.register
def _cleanup():
    for s in _servers:
        s.kill()
