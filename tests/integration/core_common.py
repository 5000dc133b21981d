"""Shared helpers of the core integration tests (tests/integration/test_core_*.py).

Not a test file itself: tests/run only runs test_*.py. Python puts the
running script's folder on sys.path, so the test files import it directly.
"""

import json
import os
import re
import subprocess

import harness as h

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
NOWHERE = 10 ** 9  # an id no test database reaches

THREAD_KEYS = {"id", "subject", "account_id", "last_message_at", "last_message_id", "unread_count", "archived",
               "reminders", "tasks", "assignee_id", "waiting_on", "waiting_since"}
MESSAGE_KEYS = {"id", "thread_id", "author", "body", "body_html", "internal", "created_at", "documents", "embeds",
                "mentions"}


def err(r, status, code=None, field=None, what=""):
    """Checks an error answer: status, API.md's shape, the code, and that the message names field."""
    label = f"{what} {r!r}" if what else repr(r)
    h.eq(r.status, status, f"status of {label}")
    h.ok(isinstance(r.json, dict) and isinstance(r.json.get("error"), dict), f"error shape of {label}")
    e = r.json["error"]
    h.ok(isinstance(e.get("code"), str) and re.match(r"^[a-z][a-z0-9_]*$", e["code"]),
         f"snake_case code in {label}")
    h.ok(isinstance(e.get("message"), str) and e["message"], f"message in {label}")
    if code:
        h.eq(e["code"], code, f"code of {label}")
    if field:
        h.ok(field in e["message"], f"the message names {field!r} in {label}")
    h.ok(r.headers.get("content-type", "").startswith("application/json"), f"JSON content type of {label}")
    return e


def ts(value, what="time"):
    h.ok(isinstance(value, str) and TS.match(value), f"{what} {value!r} is RFC 3339 UTC")


def routes():
    """The route table as [(method, pattern, who)] from `foliod --list-routes`."""
    out = subprocess.run([h.FOLIOD, "--list-routes"], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            rows.append((parts[0], parts[1], parts[2]))
    return rows


CORE_ROUTES = {
    ("GET", "/healthz"),
    ("POST", "/api/v1/sessions"),
    ("DELETE", "/api/v1/sessions/current"),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/staff"),
    ("POST", "/api/v1/staff"),
    ("GET", "/api/v1/accounts"),
    ("POST", "/api/v1/accounts"),
    ("GET", "/api/v1/accounts/{id}"),
    ("POST", "/api/v1/accounts/{id}/contacts"),
    ("GET", "/api/v1/templates"),
    ("POST", "/api/v1/templates"),
    ("GET", "/api/v1/templates/{id}"),
    ("PATCH", "/api/v1/templates/{id}"),
    ("DELETE", "/api/v1/templates/{id}"),
    ("GET", "/api/v1/threads"),
    ("POST", "/api/v1/threads"),
    ("GET", "/api/v1/threads/{id}"),
    ("PATCH", "/api/v1/threads/{id}"),
    ("GET", "/api/v1/threads/{id}/messages"),
    ("POST", "/api/v1/threads/{id}/messages"),
    ("POST", "/api/v1/threads/{id}/read"),
    ("PATCH", "/api/v1/tasks/{id}"),
    ("POST", "/api/v1/test/clock"),
}


def fill(pattern, ident):
    return pattern.replace("{id}", str(ident))


def count(srv, sql):
    return int(srv.db.sql(sql))


def foliod(args, db=None, stdin=None, env=None, timeout=60):
    """Runs foliod with a database (and sql/); returns the CompletedProcess."""
    e = dict(os.environ)
    e["FOLIO_SQL_DIR"] = os.path.join(h.ROOT, "sql")
    if db is not None:
        e["FOLIO_DATABASE_URL"] = db.url
    e.update(env or {})
    return subprocess.run([h.FOLIOD, *args], input=stdin, capture_output=True, text=True, env=e,
                          timeout=timeout)


def log_lines(srv):
    """The server's JSON log lines (other lines skipped)."""
    out = []
    with open(srv.log, errors="replace") as f:
        for line in f:
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


class World:
    """Two firms: A with two accounts (acct: contacts c1, c2; acct2: contact d1) and B with one (contact e1)."""

    def __init__(self, srv):
        self.srv = srv
        self.a = h.Firm(srv)
        self.acct = self.a.account()
        self.c1 = self.a.contact(self.acct["id"])
        self.c2 = self.a.contact(self.acct["id"])
        self.acct2 = self.a.account()
        self.d1 = self.a.contact(self.acct2["id"])
        self.b = h.Firm(srv)
        self.bacct = self.b.account()
        self.e1 = self.b.contact(self.bacct["id"])


_world = None


def world():
    """The file's shared World on the file's shared server."""
    global _world
    if _world is None:
        _world = World(h.server())
    return _world
