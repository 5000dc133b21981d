"""Security, issue 13 part 8: foliod serving TLS itself (--tls-cert, --tls-key), TLS 1.2 at least,
HSTS over TLS only, the certificate reloaded on SIGHUP (a broken one keeps the old), and folio
verifying the server's certificate (--ca, FOLIO_CA, the config key "ca"), over https:// and wss://.
A throwaway CA and a second, unrelated one are made with the openssl CLI in the test's directory.
Loopback only."""
import json
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings

import websocket

import harness as h

sys.path.insert(0, os.path.join(h.ROOT, "tests", "tui"))
import tuilib  # noqa: E402  (folio's scripted subcommands with private XDG dirs)
from tuilib import folio  # noqa: E402

TMP = tempfile.mkdtemp(prefix="tls-", dir=h.STATE)
WAIT = 45  # seconds for anything to happen on a loaded two-core machine


def path(name):
    return os.path.join(TMP, name)


def openssl(*args):
    r = subprocess.run(["openssl", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise h.Failure(f"openssl {args[0]}: {r.stderr.strip()}")
    return r.stdout


def make_ca(name):
    """A self-signed CA: {name}.key, {name}.pem."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", path(name + ".key"), "-out", path(name + ".pem"), "-days", "2",
            "-subj", f"/CN=Folio test {name}", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")


def make_cert(ca, name, serial):
    """A server certificate for 127.0.0.1 and localhost signed by ca: {name}.key, {name}.pem."""
    ext = path(name + ".ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", path(name + ".key"), "-out", path(name + ".csr"), "-subj", "/CN=localhost")
    openssl("x509", "-req", "-in", path(name + ".csr"), "-CA", path(ca + ".pem"), "-CAkey", path(ca + ".key"),
            "-set_serial", serial, "-days", "2", "-extfile", ext, "-out", path(name + ".pem"))


make_ca("ca")
make_ca("other-ca")
make_cert("ca", "first", "0x1001")
make_cert("ca", "second", "0x2002")
make_cert("other-ca", "foreign", "0x3003")


def context(ca="ca"):
    """A verifying client context trusting only the CA of that name."""
    ctx = ssl.create_default_context(cafile=path(ca + ".pem"))
    ctx.check_hostname = True
    return ctx


def install(cert, key=None):
    """Puts a pair where the server reads it, each file replaced whole (as certbot does)."""
    for src, dst in ((cert + ".pem", "live.pem"), ((key or cert) + ".key", "live.key")):
        with open(path(src), "rb") as f:
            data = f.read()
        with open(path(dst + ".tmp"), "wb") as f:
            f.write(data)
        os.replace(path(dst + ".tmp"), path(dst))


class TLSServer(h.Server):
    """A foliod serving HTTPS with the live pair; the harness' clients speak TLS to it."""

    def __init__(self, **kw):
        self.ssl_context = context()
        self.metrics_port = h.free_port()
        super().__init__(args=["--tls-cert", path("live.pem"), "--tls-key", path("live.key"),
                               "--metrics-listen", f"127.0.0.1:{self.metrics_port}"], **kw)

    @property
    def url(self):
        return f"https://127.0.0.1:{self.port}"

    def start(self):
        self.env["FOLIO_PUBLIC_URL"] = f"https://127.0.0.1:{self.port}"
        super().start()


install("first")
srv = TLSServer()
plain = h.server()
firm = h.Firm(srv)
acme = firm.account("Acme Ltd")
firm.contact(acme["id"])


def peer_serial(ctx=None):
    """The serial number (hex) of the certificate a new connection is shown."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as raw:
        with (ctx or context()).wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return s.getpeercert()["serialNumber"].lstrip("0")


def handshake(ctx):
    """Connects with ctx; returns the protocol version agreed, or the SSLError."""
    try:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                return s.version()
    except ssl.SSLError as e:
        return e


def log_text(server):
    with open(server.log, errors="replace") as f:
        return f.read()


@h.test
def https_login_works_with_the_ca():
    me = firm.owner.must("GET", "/api/v1/me")
    h.eq(me["email"], firm.owner_email)
    r = firm.owner.get("/healthz")
    h.eq(r.status, 200)
    h.eq(r.headers.get("x-content-type-options"), "nosniff")


@h.test
def hsts_over_tls_only():
    h.eq(srv.client().get("/healthz").headers.get("strict-transport-security"), "max-age=31536000")
    r = srv.client().get("/api/v1/me")  # an error answer has it too
    h.eq(r.status, 401)
    h.eq(r.headers.get("strict-transport-security"), "max-age=31536000")
    h.eq(r.headers.get("www-authenticate"), "Bearer")
    for r in (plain.client().get("/healthz"), plain.client().get("/api/v1/me")):
        h.eq(r.headers.get("strict-transport-security"), None, "no HSTS over plain HTTP")
        h.eq(r.headers.get("x-content-type-options"), "nosniff")


@h.test
def the_websocket_upgrade_over_tls_has_hsts_and_metrics_stay_plain():
    ws = websocket.create_connection(f"wss://127.0.0.1:{srv.port}/api/v1/events",
                                     header=["Authorization: Bearer " + firm.owner.token], timeout=30,
                                     sslopt={"ca_certs": path("ca.pem")}, suppress_origin=True)
    try:
        headers = {k.lower(): v for k, v in ws.getheaders().items()}
        h.eq(headers.get("strict-transport-security"), "max-age=31536000", f"the 101: {headers}")
        h.eq(headers.get("x-content-type-options"), "nosniff")
    finally:
        ws.close()
    # --metrics-listen is its own plain vhost, for the monitoring host only.
    with urllib.request.urlopen(f"http://127.0.0.1:{srv.metrics_port}/metrics", timeout=30) as r:
        h.eq(r.status, 200)
        h.ok(b"folio_" in r.read(), "the metrics page")


@h.test
def input_that_is_not_http_inside_tls_gets_the_json_error_with_hsts():
    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as raw:
        with context().wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except (ssl.SSLError, ConnectionResetError):
                pass
    head, _, body = data.partition(b"\r\n\r\n")
    h.ok(head.startswith(b"HTTP/1.1 400"), f"a 400: {data[:200]!r}")
    h.ok(b"strict-transport-security: max-age=31536000" in head, f"with HSTS: {head!r}")
    h.eq(json.loads(body)["error"]["code"], "bad_request")


@h.test
def tls_1_0_and_1_1_are_refused():
    warnings.simplefilter("ignore", DeprecationWarning)  # naming the old versions is the point
    for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        ctx = context()
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client offer the old protocols at all
        ctx.minimum_version = ctx.maximum_version = version
        got = handshake(ctx)
        h.ok(isinstance(got, ssl.SSLError), f"{version.name} is refused (got {got!r})")
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = context()
        ctx.minimum_version = ctx.maximum_version = version
        h.eq(handshake(ctx), version.name.replace("_", "."), f"{version.name} works")
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-tls1_1",
                        "-cipher", "DEFAULT:@SECLEVEL=0", "-CAfile", path("ca.pem")],
                       input="", capture_output=True, text=True, timeout=60)
    h.ok(r.returncode != 0, f"openssl s_client -tls1_1 fails: {r.stdout[-300:]}")


@h.test
def a_client_trusting_another_ca_refuses_the_server():
    got = handshake(context("other-ca"))
    h.ok(isinstance(got, ssl.SSLCertVerificationError), f"python refuses: {got!r}")


@h.test
def a_plain_request_on_the_tls_port_gets_no_answer_in_the_clear():
    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    h.ok(b"200 OK" not in data and b"/api" not in data, f"no plain answer: {data[:80]!r}")


def tls_user(*args, env=None):
    """A folio user whose server is the TLS foliod, logged in with --ca."""
    u = tuilib.User(srv)
    r = folio(u, "--ca", path("ca.pem"), "login", "--email", firm.owner_email, *args,
              input=h.PASSWORD + "\n", env=env)
    h.eq(r.returncode, 0, f"folio --ca login over https: {r.stderr}")
    return u


@h.test
def folio_verifies_the_server_by_default():
    u = tls_user()
    r = folio(u, "--ca", path("ca.pem"), "accounts")
    h.eq(r.returncode, 0, r.stderr)
    h.ok("Acme Ltd" in r.stdout, f"accounts listed: {r.stdout!r}")
    # Without the CA: the system's list does not know it.
    r = folio(u, "accounts")
    h.eq(r.returncode, 1, f"refused without --ca: {r.stdout!r}")
    h.ok("certificate is not trusted" in r.stderr and "--ca FILE" in r.stderr, r.stderr)
    # With the wrong CA.
    r = folio(u, "--ca", path("other-ca.pem"), "accounts")
    h.eq(r.returncode, 1)
    h.ok("not signed by the CA in" in r.stderr and "other-ca.pem" in r.stderr, r.stderr)
    # In German.
    r = folio(u, "accounts", env={"LANG": "de_DE.UTF-8", "LC_ALL": "de_DE.UTF-8"})
    h.eq(r.returncode, 1)
    h.ok("Zertifikat" in r.stderr and "--ca DATEI" in r.stderr, f"German: {r.stderr!r}")
    # A CA file that is not there.
    r = folio(u, "--ca", path("missing.pem"), "accounts")
    h.eq(r.returncode, 1)
    h.ok("missing.pem" in r.stderr, r.stderr)


@h.test
def folio_takes_the_ca_from_the_environment_and_the_config_file():
    u = tls_user()
    r = folio(u, "accounts", env={"FOLIO_CA": path("ca.pem")})
    h.eq(r.returncode, 0, f"FOLIO_CA: {r.stderr}")
    u.config(f"ca = {path('ca.pem')}\n")
    r = folio(u, "accounts")
    h.eq(r.returncode, 0, f"ca in the config file: {r.stderr}")
    # --ca wins over both.
    r = folio(u, "--ca", path("other-ca.pem"), "accounts", env={"FOLIO_CA": path("ca.pem")})
    h.eq(r.returncode, 1, "--ca wins")


@h.test
def folio_login_is_refused_by_a_client_trusting_another_ca():
    u = tuilib.User(srv)
    r = folio(u, "--ca", path("other-ca.pem"), "login", "--email", firm.owner_email, input=h.PASSWORD + "\n")
    h.eq(r.returncode, 1, "login refused")
    h.ok("not signed by the CA" in r.stderr, r.stderr)
    h.ok(not os.path.exists(os.path.join(u.state, "session.json")), "no session stored")


def read_until(proc, stream, want, timeout=WAIT):
    """Reads lines of a process' stream until one contains want; returns everything read."""
    seen = ""
    end = time.monotonic() + timeout
    while want not in seen:
        left = end - time.monotonic()
        if left <= 0 or proc.poll() is not None:
            print(f"# read_until: {seen!r}")
            raise h.Failure(f"no {want!r} from folio; read {seen!r}")
        r, _, _ = select.select([stream], [], [], left)
        if r:
            line = stream.readline()
            if not line and proc.poll() is not None:
                continue
            seen += line
    return seen


@h.test
def events_over_wss_with_the_ca():
    u = tls_user()
    env = dict(u.env)
    p = subprocess.Popen([tuilib.FOLIO, "--ca", path("ca.pem"), "tail"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    try:
        read_until(p, p.stderr, "connected")
        t = firm.thread(acme["id"], subject="Over wss")
        out = read_until(p, p.stdout, "Over wss")
        h.ok(str(t["id"]) in out, f"the thread's event arrived: {out!r}")
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(30)
    # The same stream with the wrong CA says why instead of hanging silently.
    p = subprocess.Popen([tuilib.FOLIO, "--ca", path("other-ca.pem"), "tail"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    try:
        err = read_until(p, p.stderr, "certificate")
        h.ok("not signed by the CA" in err, f"the reason: {err!r}")
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(30)


@h.test
def the_interactive_client_over_https_and_wss():
    u = tls_user()
    t = u.start(160, 30, args=["--ca", path("ca.pem")])
    t.wait("Acme Ltd")
    t.wait("[live]")
    t.stop()
    t = u.start(220, 30, args=["--ca", path("other-ca.pem")])
    s = t.wait("not signed by the CA")
    h.ok("Acme Ltd" not in s, "nothing fetched from an untrusted server")
    t.stop()


@h.test
def sighup_reloads_the_certificate_and_keeps_it_when_the_new_one_is_broken():
    h.eq(peer_serial(), "1001")
    install("second")
    srv.proc.send_signal(signal.SIGHUP)
    h.wait_for(lambda: peer_serial() == "2002", WAIT, "the new certificate after SIGHUP")
    h.ok("tls: reloaded" in log_text(srv), "the reload is logged")
    # A broken certificate file: the old one stays, the failure is logged.
    with open(path("live.pem"), "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
    srv.proc.send_signal(signal.SIGHUP)
    h.wait_for(lambda: log_text(srv).count("reload failed") >= 1, WAIT, "the failed reload in the log")
    h.eq(peer_serial(), "2002", "still the last good certificate")
    # A certificate with another pair's key: refused the same way.
    install("first", key="second")
    srv.proc.send_signal(signal.SIGHUP)
    h.wait_for(lambda: log_text(srv).count("reload failed") >= 2, WAIT, "the mismatch in the log")
    h.eq(peer_serial(), "2002", "still the last good certificate")
    h.eq(srv.client().get("/healthz").status, 200, "and it serves")
    install("second")


@h.test
def sighup_without_tls_changes_nothing():
    plain.proc.send_signal(signal.SIGHUP)
    h.wait_for(lambda: "nothing to reload" in log_text(plain), WAIT, "the SIGHUP noted")
    h.eq(plain.client().get("/healthz").status, 200, "still serving")


@h.test
def a_bad_pair_stops_the_start():
    env = dict(os.environ)
    env.update({"FOLIO_DATABASE_URL": srv.db.url, "FOLIO_SQL_DIR": os.path.join(h.ROOT, "sql")})
    for args, why in (([], "--tls-cert and --tls-key go together"),
                      (["--tls-key", path("first.key")], "key does not match"),
                      (["--tls-key", path("missing.key")], "missing.key")):
        r = subprocess.run([h.FOLIOD, "serve", "--listen", f"127.0.0.1:{h.free_port()}",
                            "--tls-cert", path("second.pem"), *args], capture_output=True, text=True,
                           env=env, timeout=60)
        h.ok(r.returncode != 0, f"{args}: exits non-zero")
        h.ok(why in r.stderr, f"{args}: says {why!r}: {r.stderr[-400:]!r}")
    # foliod check says the same, and that a good pair loads.
    r = subprocess.run([h.FOLIOD, "check", "--tls-cert", path("second.pem"), "--tls-key", path("first.key")],
                       capture_output=True, text=True, env=env, timeout=60)
    h.ok(r.returncode == 1 and "FAIL tls: key does not match" in r.stdout, f"check: {r.stdout!r}")
    r = subprocess.run([h.FOLIOD, "check", "--tls-cert", path("second.pem"), "--tls-key", path("second.key")],
                       capture_output=True, text=True, env=env, timeout=60)
    h.ok("ok   tls: " in r.stdout, f"check: {r.stdout!r}")
    # The environment names the pair too.
    env.update({"FOLIO_TLS_CERT": path("second.pem"), "FOLIO_TLS_KEY": path("first.key")})
    r = subprocess.run([h.FOLIOD, "serve", "--listen", f"127.0.0.1:{h.free_port()}"], capture_output=True,
                       text=True, env=env, timeout=60)
    h.ok(r.returncode != 0 and "key does not match" in r.stderr, f"FOLIO_TLS_*: {r.stderr[-400:]!r}")


h.main()
