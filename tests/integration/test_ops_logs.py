"""Ops: log level and destination are settable, and no secret is ever logged: a busy server at debug
level, every foliod log of the run so far and the caught mails hold none of the test's passwords and
bearer tokens."""
import glob
import json
import os
import re
import uuid

import websocket

import harness as h
import mailcheck as mc
from core_common import foliod, log_lines

# A bearer token: 43 base64url characters standing alone (auth_new_token).
TOKEN_SHAPE = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")


def levels(srv):
    return {x.get("level") for x in log_lines(srv)}


@h.test
def log_level_is_settable():
    quiet = h.Server(args=["--log-level", "warn"])
    f = h.Firm(quiet)
    h.eq(f.owner.get("/api/v1/me").status, 200)
    quiet.stop()
    lines = log_lines(quiet)
    h.ok(not [x for x in lines if x.get("level") in ("debug", "info")], f"only warn and error at warn: {lines[:3]}")
    h.ok(not [x for x in lines if x.get("msg") == "request"], "no request lines at warn")
    loud = h.Server(env={"FOLIO_LOG_LEVEL": "debug"})
    h.eq(h.Firm(loud).owner.get("/api/v1/me").status, 200)
    h.wait_for(lambda: "debug" in levels(loud), 15, "debug lines at debug")
    h.ok([x for x in log_lines(loud) if x.get("msg") == "request"], "request lines at debug")
    loud.stop()
    for bad in (["--log-level", "loud"], ["--log-to", "syslog"]):
        r = foliod([*bad, "migrate"], env={"FOLIO_DATABASE_URL": "postgresql:///nope"})
        h.eq(r.returncode, 2, f"{bad}: {r.stderr}")
        h.ok(bad[0][2:] in r.stderr, f"the message names the option: {r.stderr!r}")


@h.test
def journald_without_a_journal_falls_back_to_stderr():
    if os.path.exists("/run/systemd/journal/socket"):
        # A real journal: lines go there, so stderr stays free of request lines.
        srv = h.Server(args=["--log-to", "journald"])
        h.eq(srv.client().get("/healthz").status, 200)
        srv.stop()
        h.ok(not [x for x in log_lines(srv) if x.get("msg") == "request"], "request lines went to the journal")
        return
    srv = h.Server(args=["--log-to", "journald"])
    r = srv.client().get("/healthz")
    h.eq(r.status, 200)
    h.wait_for(lambda: [x for x in log_lines(srv) if x.get("request_id") == r.headers["x-request-id"]], 15,
               "request lines on stderr")
    h.ok([x for x in log_lines(srv) if "journal" in x.get("msg", "") and x.get("level") == "warn"],
         "a warning says the journal is missing")
    srv.stop()


@h.test
def no_secret_reaches_the_logs_or_the_mails():
    smtp_secret = "smtp-" + uuid.uuid4().hex
    srv = h.Server(args=["--log-level", "debug"],
                   env={"FOLIO_SMTP_USER": "folio", "FOLIO_SMTP_PASSWORD": smtp_secret, "FOLIO_SMTP_TLS": "none"})
    f = h.Firm(srv)
    secrets = {h.PASSWORD, smtp_secret}
    tokens = {f.owner.token}
    acc = f.account()
    contact = f.contact(acc["id"])
    tokens.add(contact.token)
    staff = f.staff()
    tokens.add(staff.token)
    wrong = "wrong-" + uuid.uuid4().hex
    secrets.add(wrong)
    h.eq(srv.client().post("/api/v1/sessions", {"email": f.owner_email, "password": wrong}).status, 401)
    # A password in a body that is refused, in a query string, and in an unknown route.
    bad = "bad-" + uuid.uuid4().hex
    secrets.add(bad)
    h.eq(srv.client().post("/api/v1/sessions", raw=b'{"email": 1, "password": "' + bad.encode() + b'"',
                           headers={"Content-Type": "application/json"}).status, 400)
    h.eq(srv.client().get("/api/v1/me", query={"password": bad}).status, 401)
    h.eq(f.owner.post("/api/v1/staff", {"name": "Pw Test", "email": f"pw-{uuid.uuid4().hex[:8]}@firm.test",
                                        "password": bad, "role": "member"}).status, 201)
    t = f.thread(acc["id"], body="Hello")
    h.eq(f.owner.get("/api/v1/me", query={"access_token": f.owner.token}).status, 200)
    h.eq(srv.client().get("/api/v1/events", query={"access_token": contact.token, "since": 0, "wait": 0}).status, 200)
    ws = websocket.create_connection(f"ws://127.0.0.1:{srv.port}/api/v1/events?access_token={staff.token}",
                                     timeout=30)
    ws.close()
    h.eq(contact.post(f"/api/v1/threads/{t['id']}/messages", {"body": "Danke"}).status, 201)
    # A token that was revoked, then used.
    gone = srv.login(f.owner_email, h.PASSWORD)
    tokens.add(gone.token)
    h.eq(gone.delete("/api/v1/sessions/current").status, 204)
    h.eq(gone.get("/api/v1/me").status, 401)
    srv.stop()

    def clean(path, text, token_shape):
        for s in secrets | tokens:
            h.ok(s not in text, f"a secret ({s[:6]}...) in {path}")
        if token_shape:
            found = TOKEN_SHAPE.findall(text)
            h.eq(found, [], f"token-shaped strings in {path}")

    with open(srv.log, errors="replace") as fh:
        text = fh.read()
    h.ok("request" in text and "debug" in text, "the log is a real one")
    clean(srv.log, text, True)
    # Every foliod log of this run so far (other test files' passwords are the harness's PASSWORD).
    logs = glob.glob(os.path.join(h.STATE, "logs", "t_*.log"))
    h.ok(srv.log in logs, "our own log is among them")
    for path in logs:
        with open(path, errors="replace") as fh:
            clean(path, fh.read(), True)
    # Mails carry links, never tokens or passwords.
    for path in glob.glob(os.path.join(h.STATE, "mail", "*", "*")):
        with open(path, errors="replace") as fh:
            clean(path, fh.read(), False)


h.main()
