"""folio's scripted subcommands against a real foliod: login and logout,
accounts, threads, send and tail, their output and their error exits."""

import json
import os
import select
import stat
import subprocess
import time
import uuid

import harness as h
import tuilib
from tuilib import folio

srv = h.server()
firm = h.Firm(srv)
acme = firm.account("Acme Ltd")
muller = firm.account("Müller GmbH")
carla = firm.contact(acme["id"])
firm.contact(muller["id"])


def one_line_error(r, code=1):
    h.eq(r.returncode, code, f"exit status (stderr {r.stderr!r})")
    err = r.stderr.strip()
    h.ok(err.startswith("folio: "), f"stderr {err!r} starts with folio:")
    h.eq(len(err.splitlines()), 1, f"lines in stderr {err!r}")


@h.test
def login_stores_token_0600():
    u = tuilib.User(srv)
    r = folio(u, "login", "--server", srv.url, "--email", firm.owner_email, input=h.PASSWORD + "\n")
    h.eq(r.returncode, 0, r.stderr)
    path = os.path.join(u.state, "session.json")
    h.eq(stat.S_IMODE(os.stat(path).st_mode), 0o600, "mode of the session file")
    with open(path) as f:
        s = json.load(f)
    h.eq(s["server"], srv.url)
    me = srv.client(s["token"]).get("/api/v1/me")
    h.eq(me.status, 200, "the stored token works")


@h.test
def login_wrong_password_fails_with_reason():
    u = tuilib.User(srv)
    r = folio(u, "login", "--email", firm.owner_email, input="wrong password\n")
    one_line_error(r)
    h.ok(not os.path.exists(os.path.join(u.state, "session.json")), "no session file")


def person_in_two_firms():
    """One address as staff of firm and as a contact of a second firm; returns (email, second firm)."""
    email = f"both-{uuid.uuid4().hex[:8]}@firm.test"
    firm.owner.must("POST", "/api/v1/staff", {"name": "Bea Both", "email": email, "password": h.PASSWORD,
                                              "role": "member"}, status=201)
    other = h.Firm(srv, name=f"Zweite Kanzlei {uuid.uuid4().hex[:4]}")
    acc = other.account("Beas GmbH")
    other.owner.must("POST", f"/api/v1/accounts/{acc['id']}/contacts",
                     {"name": "Bea Both", "email": email, "password": h.PASSWORD, "portal_access": True,
                      "notify": False}, status=201)
    return email, other


def session_me(u):
    with open(os.path.join(u.state, "session.json")) as f:
        token = json.load(f)["token"]
    return srv.client(token).must("GET", "/api/v1/me", status=200)


@h.test
def login_in_several_firms_asks_which():
    email, other = person_in_two_firms()
    # A script that gives no answer learns the firms and the flag, in one line.
    u = tuilib.User(srv)
    r = folio(u, "login", "--email", email, input=h.PASSWORD + "\n")
    one_line_error(r)
    h.ok(str(other.id) in r.stderr and other.name in r.stderr and str(firm.id) in r.stderr,
         f"both firms named: {r.stderr!r}")
    h.ok("--firm" in r.stderr, f"the flag named: {r.stderr!r}")
    h.ok(not os.path.exists(os.path.join(u.state, "session.json")), "no session file")
    one_line_error(folio(u, "login", "--email", email, input=h.PASSWORD + "\n7\n"))
    # --firm picks without asking.
    r = folio(u, "login", "--email", email, "--firm", str(other.id), input=h.PASSWORD + "\n")
    h.eq(r.returncode, 0, r.stderr)
    me = session_me(u)
    h.eq((me["firm_id"], me["kind"]), (other.id, "contact"), "logged in to the chosen firm")
    r = folio(u, "login", "--email", email, "--firm", str(firm.id), input=h.PASSWORD + "\n")
    h.eq(r.returncode, 0, r.stderr)
    h.eq((session_me(u)["firm_id"], session_me(u)["kind"]), (firm.id, "staff"))
    one_line_error(folio(u, "login", "--email", email, "--firm", "abc", input=h.PASSWORD + "\n"), code=2)
    # The answer on the line after the password: a number from the list.
    firms = set()
    for n in ("1", "2"):
        r = folio(u, "login", "--email", email, input=f"{h.PASSWORD}\n{n}\n")
        h.eq(r.returncode, 0, r.stderr)
        firms.add(session_me(u)["firm_id"])
    h.eq(firms, {firm.id, other.id}, "1 and 2 are the two firms")
    # On a terminal the list shows, with each firm's --firm.
    tu = tuilib.User(srv)
    t = tu.start(args=("login", "--email", email))
    t.wait("Password:")
    t.text(h.PASSWORD)
    t.keys("Enter")
    screen = t.wait("Firm (1-2):")
    h.ok(f"--firm {other.id}" in screen and other.name in screen, f"the list:\n{screen}")
    row = [l for l in screen.splitlines() if other.name in l][0]
    t.text(row.split()[0])
    t.keys("Enter")
    h.eq(t.wait_exit(), 0, t.stderr())
    t.stop()
    h.eq(session_me(tu)["firm_id"], other.id, "the firm picked on the terminal")


@h.test
def not_logged_in_and_unreachable_server():
    u = tuilib.User(srv)
    one_line_error(folio(u, "accounts"))
    r = folio(u, "login", "--server", "http://127.0.0.1:1", "--email", "x@y.test", input="pw\n")
    one_line_error(r)


@h.test
def accounts_plain_json_and_unread():
    u = tuilib.User(srv, firm.owner_email)
    r = folio(u, "accounts")
    h.eq(r.returncode, 0, r.stderr)
    rows = [l.split("\t") for l in r.stdout.splitlines()]
    names = {row[2]: row for row in rows}
    h.ok("Acme Ltd" in names and "Müller GmbH" in names, f"names in {r.stdout!r}")
    h.eq(names["Acme Ltd"][0], str(acme["id"]))
    r = folio(u, "accounts", "--json")
    h.eq(r.returncode, 0, r.stderr)
    items = json.loads(r.stdout)
    h.ok(any(a["name"] == "Müller GmbH" and "unread_count" in a for a in items), "JSON items")
    t = firm.thread(acme["id"], subject="Unread test")
    carla.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "from the client"}, status=201)
    r = folio(u, "accounts", "--unread")
    h.eq(r.returncode, 0, r.stderr)
    h.ok("Acme Ltd" in r.stdout and "Müller" not in r.stdout, f"unread accounts {r.stdout!r}")
    one_line_error(folio(u, "accounts", "extra"), 2)


@h.test
def threads_of_an_account():
    u = tuilib.User(srv, firm.owner_email)
    firm.thread(muller["id"], subject="Jahresabschluss 2024")
    r = folio(u, "threads", "--account", "müller gmbh")
    h.eq(r.returncode, 0, r.stderr)
    h.ok("Jahresabschluss 2024" in r.stdout, r.stdout)
    r = folio(u, "threads", "--account", "Müller GmbH", "--json")
    h.ok(any(t["subject"] == "Jahresabschluss 2024" for t in json.loads(r.stdout)), "JSON threads")
    one_line_error(folio(u, "threads", "--account", "Nobody Inc"))
    one_line_error(folio(u, "threads"), 2)


@h.test
def plain_output_never_passes_on_escape_sequences():
    """Names and subjects are data: ESC, BEL, C1 CSI or a tab cannot steer the terminal or split fields."""
    evil = "Evil\x1b]0;pwned\x07 \x9b2J\tGmbH"
    acc = firm.account(evil)
    firm.contact(acc["id"])
    firm.thread(acc["id"], subject="Sub\x1b[2Jject\nline")
    u = tuilib.User(srv, firm.owner_email)
    for args in (("accounts",), ("threads", "--account", evil)):
        r = folio(u, *args)
        h.eq(r.returncode, 0, f"{args}: {r.stderr}")
        for bad in ("\x1b", "\x07", "\x9b"):
            h.ok(bad not in r.stdout, f"{bad!r} in the output of {args}: {r.stdout!r}")
        h.ok("\ufffd" in r.stdout, f"the replacement character in {args}: {r.stdout!r}")
        h.ok(all(len(l.split("\t")) == (3 if args[0] == "accounts" else 5) for l in r.stdout.splitlines()),
             f"fields stay fields: {r.stdout!r}")
    r = folio(u, "threads", "--account", evil, "--json")
    h.ok(any(t["subject"] == "Sub\x1b[2Jject\nline" for t in json.loads(r.stdout)), "JSON keeps the data")


@h.test
def send_with_subject_body_and_reminders():
    u = tuilib.User(srv, firm.owner_email)
    r = folio(u, "send", "--account", "Acme Ltd", "--subject", "Q1 payroll", "--body-file", "-",
              "--remind", "5:2", input="Please upload **Q1** payroll.\n")
    h.eq(r.returncode, 0, r.stderr)
    tid = int(r.stdout.strip())
    t = firm.owner.must("GET", f"/api/v1/threads/{tid}")
    h.eq(t["subject"], "Q1 payroll")
    h.eq(t["reminders"]["enabled"], True)
    h.eq(t["reminders"]["interval_days"], 5)
    h.eq(t["reminders"]["max_count"], 2)
    msgs = firm.owner.must("GET", f"/api/v1/threads/{tid}/messages")["items"]
    h.eq(msgs[-1]["body"].strip(), "Please upload **Q1** payroll.")


@h.test
def send_with_template_and_body_file():
    u = tuilib.User(srv, firm.owner_email)
    firm.owner.must("POST", "/api/v1/templates", {"name": "Welcome", "subject": "Welcome {{account.name}}",
                                                  "body": "Hello from {{firm.name}}"}, status=201)
    r = folio(u, "send", "--account", "Müller GmbH", "--template", "welcome")
    h.eq(r.returncode, 0, r.stderr)
    t = firm.owner.must("GET", f"/api/v1/threads/{int(r.stdout)}")
    h.ok("Müller GmbH" in t["subject"], t["subject"])
    body = os.path.join(tuilib.User(srv).dir, "body.md")
    with open(body, "w") as f:
        f.write("From a file ✓")
    r = folio(u, "send", "--account", "Acme Ltd", "--subject", "File", "--body-file", body)
    h.eq(r.returncode, 0, r.stderr)


@h.test
def send_error_exits():
    u = tuilib.User(srv, firm.owner_email)
    one_line_error(folio(u, "send", "--account", "Acme Ltd"), 2)
    one_line_error(folio(u, "send", "--account", "Acme Ltd", "--subject", "x", "--body-file", "-",
                         "--remind", "soon"), 2)
    one_line_error(folio(u, "send", "--account", "Nobody", "--subject", "x", "--body-file", "-"), 1)
    one_line_error(folio(u, "send", "--account", "Acme Ltd", "--template", "No such"), 1)
    one_line_error(folio(u, "send", "--account", "Acme Ltd", "--subject", "x", "--body-file",
                         "/nonexistent/file"), 1)
    lonely = firm.account("Lonely Ltd")  # no contact with portal access: 409
    one_line_error(folio(u, "send", "--account", lonely["name"], "--subject", "x", "--body-file", "-",
                         input="hi"), 1)
    one_line_error(folio(u, "frobnicate"), 2)


@h.test
def tail_prints_events_or_keeps_retrying():
    u = tuilib.User(srv, firm.owner_email)
    p = subprocess.Popen([tuilib.FOLIO, "tail", "--json"], env=u.env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)  # give the socket time to open: events before it are not replayed
        t = firm.thread(acme["id"], subject="Tail test")
        carla.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "tail me"}, status=201)
        if srv.client(firm.owner.token).get("/api/v1/events", query={"wait": "0"}).status == 404:
            # No event stream on this server yet: tail must keep running and retry quietly.
            time.sleep(1.0)
            h.eq(p.poll(), None, "tail still running")
        else:
            ready, _, _ = select.select([p.stdout], [], [], 30)
            h.ok(ready, "tail printed an event within 30 s")
            line = p.stdout.readline()
            ev = json.loads(line)
            h.ok("id" in ev and "type" in ev, line)
    finally:
        p.terminate()
        h.eq(p.wait(10), 0, "tail exits 0 on SIGTERM")


@h.test
def logout_revokes_and_removes():
    u = tuilib.User(srv, firm.owner_email)
    with open(os.path.join(u.state, "session.json")) as f:
        token = json.load(f)["token"]
    r = folio(u, "logout")
    h.eq(r.returncode, 0, r.stderr)
    h.ok(not os.path.exists(os.path.join(u.state, "session.json")), "session file removed")
    h.eq(srv.client(token).get("/api/v1/me").status, 401, "token revoked")
    one_line_error(folio(u, "logout"))


@h.test
def man_page_names_every_key_action_and_option():
    """man/folio.1 names every action and mode of the key table and every option."""
    import re
    with open(os.path.join(h.ROOT, "man", "folio.1")) as f:
        text = f.read()
    named = set()
    for line in re.findall(r"(?:^\.|\s)(?:Cm|Ic)\s+([^\n]*)", text, re.M):
        named.update(w.strip(",;:") for w in line.split())
    keys = subprocess.run([tuilib.FOLIO, "--list-keys"], capture_output=True, text=True, check=True).stdout
    rows = [line.split("\t") for line in keys.splitlines()]
    h.ok(len(rows) > 50, "the key table")
    missing = sorted({r[2] for r in rows if r[2] not in named} | {r[0] for r in rows if r[0] not in named})
    h.eq(missing, [], "actions and modes missing from man/folio.1")
    opts = subprocess.run([tuilib.FOLIO, "--list-options"], capture_output=True, text=True,
                          check=True).stdout
    names = [line.split("\t")[0] for line in opts.splitlines()]
    h.ok("mouse" in names and "events" in names, names)
    h.eq([n for n in names if n not in named], [], "options missing from man/folio.1")


h.main()
