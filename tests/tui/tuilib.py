"""Drives the real tui/folio in a private tmux server for terminal tests.

    import harness as h
    import tuilib

    srv = h.server()
    f = h.Firm(srv)
    user = tuilib.User(srv, f.owner_email)     # private XDG dirs, logged in with folio login
    term = user.start(80, 24)                  # folio in tmux
    term.wait("Accounts")
    term.keys("Enter"); term.text("hello")
    term.stop()

Every wait polls capture-pane until the text shows (10 s by default), so the
tests pass on a loaded machine without fixed sleeps.

    user.config("mouse = on\n")               # $XDG_CONFIG_HOME/folio/config
    term = user.start(80, 24, env={"TERM": "tmux-256color", "NO_COLOR": "1"})
    term.click(3, 5)                           # a mouse click at column 3, row 5
    proxy = tuilib.NoUpgradeProxy(srv)         # HTTP to srv, but no WebSocket
"""

import http.client
import http.server
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid

import harness as h

FOLIO = os.environ.get("FOLIO_TEST_FOLIO") or os.path.join(h.ROOT, "tui", "folio")
WAIT = float(os.environ.get("FOLIO_TUI_WAIT", "10"))

_terms = []


def folio(user, *args, input=None, env=None):
    """Runs a scripted folio subcommand; returns the CompletedProcess (text)."""
    e = dict(user.env)
    e.update(env or {})
    return subprocess.run([FOLIO, *args], input=input, capture_output=True, text=True, env=e, timeout=60)


class User:
    """A person at a keyboard: private state and config directories, optionally logged in."""

    def __init__(self, srv, email=None, password=h.PASSWORD, login=True):
        self.dir = tempfile.mkdtemp(prefix="folio-tui-", dir=h.STATE)
        self.srv = srv
        self.env = dict(os.environ)
        self.env.update({"XDG_STATE_HOME": os.path.join(self.dir, "state"),
                         "XDG_CONFIG_HOME": os.path.join(self.dir, "config"),
                         "HOME": self.dir, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                         "FOLIO_SERVER": srv.url, "EDITOR": "true", "VISUAL": ""})
        self.env.pop("NO_COLOR", None)
        if email and login:
            r = folio(self, "login", "--email", email, input=password + "\n")
            if r.returncode != 0:
                raise h.Failure(f"folio login failed: {r.stderr.strip()}")

    @property
    def state(self):
        return os.path.join(self.env["XDG_STATE_HOME"], "folio")

    def config(self, text):
        """Writes the config file (options and key bindings)."""
        d = os.path.join(self.env["XDG_CONFIG_HOME"], "folio")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config"), "w") as f:
            f.write(text)

    def start(self, cols=80, rows=24, args=(), env=None):
        """folio in a new tmux pane; env adds variables (TERM, NO_COLOR) for this one."""
        t = Term(self, cols, rows, args, env)
        _terms.append(t)
        return t


class Term:
    """One folio in one tmux pane."""

    def __init__(self, user, cols, rows, args=(), env=None):
        self.user = user
        self.sock = f"folio-test-{uuid.uuid4().hex[:10]}"
        env_args = []
        for k in ("XDG_STATE_HOME", "XDG_CONFIG_HOME", "HOME", "LANG", "LC_ALL", "FOLIO_SERVER",
                  "EDITOR", "VISUAL", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in user.env:
                env_args += ["-e", f"{k}={user.env[k]}"]
        self.err = os.path.join(user.dir, f"stderr-{self.sock}")
        self.rcfile = os.path.join(user.dir, f"rc-{self.sock}")
        # The pane's TERM comes from tmux, so variables for folio alone go on its command line.
        prefix = " ".join(f"{k}='{v}'" for k, v in (env or {}).items())
        cmd = prefix + (" " if prefix else "") + " ".join([FOLIO, *args]) + \
            f" 2>>{self.err}; echo $? >{self.rcfile}"
        self.tmux("-f", "/dev/null", "new-session", "-d", "-x", str(cols), "-y", str(rows), *env_args, cmd)
        self.tmux("set-option", "-g", "remain-on-exit", "on")
        self.tmux("set-option", "-g", "status", "off")

    def tmux(self, *args, check=True):
        r = subprocess.run(["tmux", "-L", self.sock, *args], capture_output=True, text=True, timeout=30)
        if check and r.returncode != 0:
            raise h.Failure(f"tmux {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout

    def screen(self):
        return self.tmux("capture-pane", "-p")

    def styled(self):
        """The screen with its colours and attributes as escape sequences."""
        return self.tmux("capture-pane", "-p", "-e")

    def click(self, x, y, button=0):
        """A mouse press and release at column x, row y (0-based), as an xterm sends it (X10)."""
        self.text(f"\x1b[M{chr(32 + button)}{chr(33 + x)}{chr(33 + y)}")
        if button < 64:  # the wheel has no release
            self.text(f"\x1b[M{chr(32 + 3)}{chr(33 + x)}{chr(33 + y)}")

    def wheel(self, x, y, down=True):
        self.click(x, y, 65 if down else 64)

    def lines(self):
        return self.screen().split("\n")

    def keys(self, *keys):
        self.tmux("send-keys", *keys)

    def text(self, s):
        self.tmux("send-keys", "-l", s)

    def paste(self, s):
        """Pastes s as a bracketed paste, the way a terminal does."""
        self.tmux("set-buffer", "--", s)
        self.tmux("paste-buffer", "-p")

    def wait(self, pattern, timeout=WAIT, gone=False):
        """Waits until pattern (a string or compiled regex) shows (or, gone=True, vanishes)."""
        def seen():
            s = self.screen()
            hit = pattern.search(s) if isinstance(pattern, re.Pattern) else pattern in s
            return (not hit) if gone else hit
        try:
            h.wait_for(seen, timeout, f"{pattern!r} {'to go' if gone else 'on screen'}", 0.05)
        except h.Failure:
            raise h.Failure(f"timed out waiting for {pattern!r}; the screen was:\n{self.screen()}")
        return self.screen()

    def resize(self, cols, rows):
        self.tmux("resize-window", "-x", str(cols), "-y", str(rows))

    def pid(self):
        """folio's process id (a child of the pane's shell)."""
        shell = self.tmux("display-message", "-p", "#{pane_pid}").strip()
        out = h.wait_for(lambda: subprocess.run(["pgrep", "-P", shell], capture_output=True,
                                                text=True).stdout.split(), WAIT, "folio's pid")
        return int(out[0])

    def _rc(self):
        try:
            with open(self.rcfile) as f:
                return f.read().strip()
        except OSError:
            return ""

    def dead(self):
        return self._rc() != ""

    def wait_exit(self, timeout=WAIT):
        """Waits for folio to exit; returns its exit status (128+N when killed by signal N)."""
        h.wait_for(self.dead, timeout, "folio to exit")
        return int(self._rc())

    def stderr(self):
        try:
            with open(self.err, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        """Quits folio with C-c if it still runs; checks it left no sanitizer report."""
        if not self.dead():
            self.keys("C-c")
            try:
                h.wait_for(self.dead, WAIT, "folio to quit")
            except h.Failure:
                pass
        self.tmux("kill-server", check=False)
        if self in _terms:
            _terms.remove(self)
        for bad in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if bad in self.stderr():
                raise h.Failure(f"sanitizer report from folio:\n{self.stderr()[:3000]}")


class NoUpgradeProxy:
    """HTTP in front of a foliod that refuses WebSocket upgrades (400), like a proxy that
    speaks only plain HTTP: folio must fall back to long polling through it."""

    def __init__(self, srv):
        port = srv.port

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _reply(self, status, headers, body):
                self.send_response(status)
                for k, v in headers:
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _any(self):
                if self.headers.get("Upgrade"):
                    self.close_connection = True
                    self._reply(400, [("Content-Type", "text/plain")], b"no WebSocket here\n")
                    return
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                try:
                    c.request(self.command, self.path, body=body, headers={
                        k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")})
                    r = c.getresponse()
                    self._reply(r.status, r.getheaders(), r.read())
                except OSError:
                    self._reply(502, [], b"")
                finally:
                    c.close()

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def require_events(client):
    """Fails the test unless foliod serves the event stream: a missing feature fails, never skips."""
    status = client.get("/api/v1/events", query={"wait": "0"}).status
    h.ok(status != 404, f"foliod serves the event stream (GET /api/v1/events answered {status})")


def row_of(screen, text):
    """The (row, column) where text first shows, in display columns; None when it does not."""
    for y, line in enumerate(screen.split("\n")):
        i = line.find(text)
        if i >= 0:
            return y, display_width(line[:i])
    return None


def display_width(s):
    import unicodedata
    w = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


def cleanup():
    for t in list(_terms):
        t.tmux("kill-server", check=False)


import atexit  # noqa: E402
atexit.register(cleanup)
