"""Deployment (docs/OPERATIONS.md): `make install` puts the systemd units, the example
environment file, the operations guide and the nginx configuration in place; the units pass
`systemd-analyze verify` and its offline security review; the installed foliod runs from the
installed tree with the example environment file and talks sd_notify the way the unit expects
(Type=notify: READY=1 once it serves, WATCHDOG=1 within WatchdogSec, STOPPING=1 on SIGTERM).

No systemd runs here (a container): verify checks the unit files, not a running service."""

import os
import re
import signal
import socket
import subprocess
import tempfile
import threading

import harness as h

ROOT = h.ROOT
# Under the suite's state folder: tests/run removes it after a clean run, keeps it after a failure.
os.makedirs(h.STATE, exist_ok=True)
TMP = tempfile.mkdtemp(prefix="deploy-", dir=h.STATE)
DEST = os.path.join(TMP, "dest")
PREFIX = "/usr"
UNITS = ("foliod.service", "foliod@.service")
_installed = []


def install():
    """`make install DESTDIR=… PREFIX=/usr` once per file, of the variant under test."""
    if not _installed:
        args = ["make", "-C", ROOT, "-j2", "--no-print-directory", "install", f"DESTDIR={DEST}", f"PREFIX={PREFIX}"]
        if f"{os.sep}build{os.sep}asan{os.sep}" in h.FOLIOD:
            args.append("SANITIZE=1")
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode != 0:
            raise h.Failure(f"make install failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
        _installed.append(DEST)
    return DEST


def dest(path):
    return os.path.join(install(), path.lstrip("/"))


def unit_lines(path):
    """(key, value) pairs of a unit file, per section, in order (keys may repeat)."""
    out, section = [], None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            k, _, v = line.partition("=")
            out.append((section, k.strip(), v.strip()))
    return out


def values(path, section, key):
    return [v for s, k, v in unit_lines(path) if s == section and k == key]


def env_file(path):
    """The assignments of an EnvironmentFile= (no shell: KEY=VALUE, optional quotes)."""
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            k, _, v = line.partition("=")
            v = v.strip()
            if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
                v = v[1:-1]
            env[k.strip()] = v
    return env


def verify(paths, manpath):
    """systemd-analyze verify; fails on a non-zero exit or on any line it prints (warnings
    such as an unknown key or a value it cannot parse exit 0 but are printed)."""
    env = dict(os.environ, MANPATH=manpath, SYSTEMD_LOG_COLOR="0", SYSTEMD_PAGER="")
    r = subprocess.run(["systemd-analyze", "verify", *paths], capture_output=True, text=True, env=env,
                       cwd=os.path.dirname(paths[0]))
    said = (r.stdout + r.stderr).strip()
    if r.returncode != 0 or said:
        raise h.Failure(f"systemd-analyze verify {' '.join(os.path.basename(p) for p in paths)} "
                        f"(exit {r.returncode}):\n{said}")


def verify_copies(name="verify"):
    """Copies of the installed units whose ExecStart= names the DESTDIR binary (verify
    demands that the command exists and is executable)."""
    vdir = os.path.join(TMP, name)
    os.makedirs(vdir, exist_ok=True)
    sbin = dest(PREFIX + "/sbin")
    for u in UNITS:
        with open(dest(f"{PREFIX}/lib/systemd/system/{u}")) as f:
            text = f.read()
        text = text.replace(f"ExecStart={PREFIX}/sbin/", f"ExecStart={sbin}/")
        with open(os.path.join(vdir, u), "w") as f:
            f.write(text)
    return vdir


def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLIO_") or k.startswith("FOLIO_TEST_")}
    for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID"):
        env.pop(k, None)
    return env


@h.test
def make_install_puts_units_env_file_and_guides_in_place():
    for path in (f"{PREFIX}/sbin/foliod", f"{PREFIX}/bin/folio", f"{PREFIX}/lib/systemd/system/foliod.service",
                 f"{PREFIX}/lib/systemd/system/foliod@.service", f"{PREFIX}/share/folio/foliod.env",
                 f"{PREFIX}/share/doc/folio/OPERATIONS.md", f"{PREFIX}/share/doc/folio/nginx/folio.conf",
                 f"{PREFIX}/share/man/man8/foliod.8"):
        h.ok(os.path.isfile(dest(path)), f"{path} installed")
    h.ok(os.access(dest(f"{PREFIX}/sbin/foliod"), os.X_OK), "foliod executable")
    sql = sorted(f for f in os.listdir(os.path.join(ROOT, "sql")) if f.endswith(".sql"))
    h.eq(sorted(os.listdir(dest(f"{PREFIX}/share/folio/sql"))), sql, "every migration installed")
    for u in UNITS:
        p = dest(f"{PREFIX}/lib/systemd/system/{u}")
        h.eq(oct(os.stat(p).st_mode & 0o777), "0o644", f"{u} mode")
        h.eq(values(p, "Service", "ExecStart"), [f"{PREFIX}/sbin/foliod serve"], f"{u}: ExecStart follows PREFIX")
        docs = values(p, "Unit", "Documentation")
        h.ok(f"file:{PREFIX}/share/doc/folio/OPERATIONS.md" in docs, f"{u}: Documentation follows PREFIX: {docs}")
        with open(p) as f:
            h.ok("/usr/local/" not in f.read(), f"{u}: no /usr/local path left after PREFIX=/usr")
    # The source units name the default PREFIX, so they work as they are after a plain `make install`.
    h.eq(values(os.path.join(ROOT, "server/systemd/foliod.service"), "Service", "ExecStart"),
         ["/usr/local/sbin/foliod serve"], "source unit: the default PREFIX")


@h.test
def units_pass_systemd_analyze_verify():
    vdir = verify_copies()
    man = dest(f"{PREFIX}/share/man")
    verify([os.path.join(vdir, "foliod.service")], man)
    # A template is verified through an instance of it.
    verify([os.path.join(vdir, "foliod@kanzlei-a.service")], man)
    # The check is real: a unit with a misspelt key, a bad value or a missing binary fails it.
    bad = verify_copies("verify-bad")
    for broken, why in (("ProtectSystem=strict\n", "ProtectSystem=sometimes\n"),
                        ("UMask=0077\n", "UMask=0077\nWatchdogSecs=30s\n"),
                        (f"ExecStart={dest(PREFIX + '/sbin')}/foliod", "ExecStart=/nonexistent/foliod")):
        p = os.path.join(bad, "foliod.service")
        with open(os.path.join(vdir, "foliod.service")) as f:
            text = f.read()
        h.ok(broken in text, f"{broken!r} in the unit")
        with open(p, "w") as f:
            f.write(text.replace(broken, why))
        try:
            verify([p], man)
        except h.Failure:
            continue
        raise h.Failure(f"verify passed a unit with {why.strip()!r}")


@h.test
def units_are_hardened():
    for u in UNITS:
        p = dest(f"{PREFIX}/lib/systemd/system/{u}")
        want = {
            "Type": "notify", "NotifyAccess": "main", "Restart": "on-failure", "DynamicUser": "yes",
            "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes",
            "NoNewPrivileges": "yes", "CapabilityBoundingSet": "", "SystemCallArchitectures": "native",
            "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6", "MemoryDenyWriteExecute": "yes",
            "LockPersonality": "yes", "RestrictNamespaces": "yes", "ProtectKernelTunables": "yes",
            "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes", "ProtectControlGroups": "yes",
            "UMask": "0077",
        }
        for k, v in want.items():
            h.ok(v in values(p, "Service", k), f"{u}: {k}={v} (has {values(p, 'Service', k)})")
        h.ok("@system-service" in values(p, "Service", "SystemCallFilter"), f"{u}: SystemCallFilter=@system-service")
        h.ok(values(p, "Service", "WatchdogSec"), f"{u}: WatchdogSec")
        envs = values(p, "Service", "EnvironmentFile")
        h.ok("-/etc/folio/foliod.env" in envs, f"{u}: the shared environment file, optional: {envs}")
        if u == "foliod@.service":
            h.ok("/etc/folio/%i.env" in envs, f"{u}: the instance's own environment file, required: {envs}")
    # systemd's own review of the exposure: "OK" is 2.0 or below (--threshold is in tenths).
    vdir = verify_copies()
    for u in ("foliod.service", "foliod@kanzlei-a.service"):
        r = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--threshold=20", "--no-pager",
                            os.path.join(vdir, u)], capture_output=True, text=True, cwd=vdir,
                           env=dict(os.environ, SYSTEMD_LOG_COLOR="0", MANPATH=dest(f"{PREFIX}/share/man")))
        m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout + r.stderr)
        h.ok(m, f"security review printed a level: {r.stdout[-500:]} {r.stderr[-500:]}")
        h.eq(r.returncode, 0, f"{u}: exposure {m.group(1)} is above 2.0")
        h.ok(float(m.group(1)) <= 2.0, f"{u}: exposure {m.group(1)} <= 2.0")


@h.test
def environment_file_names_only_real_options():
    p = dest(f"{PREFIX}/share/folio/foliod.env")
    helptext = subprocess.run([h.FOLIOD, "--help"], capture_output=True, text=True).stdout
    known = set(re.findall(r"\[(FOLIO_[A-Z_]+)\]", helptext))
    h.ok("FOLIO_DATABASE_URL" in known, "foliod --help names its variables")
    with open(p) as f:
        text = f.read()
    named = set(re.findall(r"^#?(FOLIO_[A-Z_]+)=", text, re.M))
    h.ok({"FOLIO_DATABASE_URL", "FOLIO_LISTEN", "FOLIO_PUBLIC_URL", "FOLIO_SMTP_URL", "FOLIO_MAIL_FROM",
          "FOLIO_TRUSTED_PROXY", "FOLIO_METRICS_LISTEN", "FOLIO_LOG_LEVEL"} <= named,
         f"the example names the settings an operator needs: {sorted(named)}")
    h.eq(sorted(named - known), [], "variables in the example that foliod does not know")
    h.eq(env_file(p).get("FOLIO_LISTEN"), "127.0.0.1:8080", "listens on loopback behind the proxy")


def tail(path, n=15):
    with open(path, errors="replace") as f:
        return "".join(f.readlines()[-n:])


class Port:
    """Enough of a harness Server for h.Client: a port."""

    def __init__(self, port):
        self.port = port


class NotifySocket:
    """What systemd listens on for Type=notify: a datagram socket; collects the messages."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.messages = []
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self.messages.append(data.decode("utf-8", "replace"))

    def saw(self, line):
        return any(line in m.split("\n") for m in self.messages)

    def close(self):
        self.done = True
        self.thread.join(5)
        self.sock.close()


@h.test
def installed_foliod_runs_with_the_example_environment_and_notifies():
    db = h.Database()
    env = clean_env()
    env.update(env_file(dest(f"{PREFIX}/share/folio/foliod.env")))
    port = h.free_port()
    # What an operator changes in the example: the database, the address, the mail server.
    env.update({"FOLIO_DATABASE_URL": db.url, "FOLIO_LISTEN": f"127.0.0.1:{port}",
                "FOLIO_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "FOLIO_SMTP_URL": f"smtp://127.0.0.1:{h.SMTP_PORT}" if h.SMTP_PORT else ""})
    foliod = dest(f"{PREFIX}/sbin/foliod")
    # No FOLIO_SQL_DIR: the installed binary finds its migrations beside itself (../share/folio/sql).
    r = subprocess.run([foliod, "migrate"], capture_output=True, text=True, env=env)
    h.eq(r.returncode, 0, f"installed foliod migrate: {r.stderr[-1000:]}")
    n_sql = len([f for f in os.listdir(os.path.join(ROOT, "sql")) if f.endswith(".sql")])
    h.eq(db.sql("SELECT count(*) FROM schema_migrations"), str(n_sql), "every migration applied")

    ns = NotifySocket(os.path.join(TMP, "notify.sock"))
    # As systemd starts it: NOTIFY_SOCKET, and WATCHDOG_USEC from WatchdogSec= (short here, so
    # that pings are seen soon; the unit's 30 s works the same way).
    env.update({"NOTIFY_SOCKET": ns.path, "WATCHDOG_USEC": "2000000"})
    log = os.path.join(TMP, "foliod-installed.log")
    with open(log, "wb") as logf:
        proc = subprocess.Popen([foliod, "serve"], stdout=logf, stderr=logf, env=env)
    try:
        h.wait_for(lambda: ns.saw("READY=1") or proc.poll() is not None, 60, "READY=1 on NOTIFY_SOCKET")
        h.eq(proc.poll(), None, f"foliod still runs (see {log})")
        try:
            r = h.Client(Port(port)).get("/healthz")
        except OSError as e:
            raise h.Failure(f"/healthz after READY=1: {e!r} (foliod: {proc.poll()}); log:\n{tail(log)}")
        h.eq(r.status, 200, "healthz once READY=1 was sent")
        h.wait_for(lambda: ns.saw("WATCHDOG=1"), 30, "WATCHDOG=1 within WatchdogSec")
        n = len([m for m in ns.messages if "WATCHDOG=1" in m.split("\n")])
        h.wait_for(lambda: len([m for m in ns.messages if "WATCHDOG=1" in m.split("\n")]) > n, 30,
                   "WATCHDOG=1 again (it keeps coming)")
        proc.send_signal(signal.SIGTERM)
        h.eq(proc.wait(60), 0, "exit status after SIGTERM")
        h.ok(ns.saw("STOPPING=1"), f"STOPPING=1 on SIGTERM (got {ns.messages})")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        ns.close()
    with open(log, errors="replace") as f:
        text = f.read()
    for bad in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
        h.ok(bad not in text, f"no sanitizer report in {log}")


h.main()
