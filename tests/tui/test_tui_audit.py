"""`folio audit`: the firm's audit log for its owner, plain and --json, every page, with filters;
others get the server's 403 in one line; names and user agents from the log never put a control
character (ESC, C1, BEL, a newline) on the terminal."""

import json
import uuid

import harness as h
import tuilib
from tuilib import folio

srv = h.server()
firm = h.Firm(srv)
NASTY = "Eve \x1b]0;owned\x07Evil\x1b[2J \u009b31m\u0085x\ty"


def one_line_error(r, code=1):
    h.eq(r.returncode, code, f"exit status (stderr {r.stderr!r})")
    err = r.stderr.strip()
    h.ok(err.startswith("folio: "), f"stderr {err!r} starts with folio:")
    h.eq(len(err.splitlines()), 1, f"lines in stderr {err!r}")


def clean(text):
    bad = [c for c in text if (ord(c) < 0x20 and c not in "\t\n") or 0x7f <= ord(c) <= 0x9f]
    h.eq(bad, [], "control characters on standard output")


@h.test
def the_owner_reads_every_page_plain_and_json():
    email = f"eve-{uuid.uuid4().hex[:6]}@firm.test"
    firm.owner.must("POST", "/api/v1/staff", {"name": NASTY, "email": email, "password": h.PASSWORD,
                                              "role": "member"}, status=201)
    for _ in range(3):
        srv.client().post("/api/v1/sessions", {"email": email, "password": h.PASSWORD},
                          headers={"User-Agent": "agent \x1b[31m red"})
    srv.client().post("/api/v1/sessions", {"email": email, "password": "wrong password!!"})
    u = tuilib.User(srv, firm.owner_email)
    want = [r["id"] for r in firm.owner.must("GET", "/api/v1/audit", query={"limit": 200})["items"]]
    r = folio(u, "audit")
    h.eq(r.returncode, 0, r.stderr)
    clean(r.stdout)
    rows = [l.split("\t") for l in r.stdout.splitlines()]
    h.ok(all(len(row) == 7 for row in rows), f"seven fields a line: {rows}")
    h.eq([int(row[0]) for row in rows], want, "every row, newest first")
    added = [row for row in rows if row[2] == "staff_added"]
    h.ok(added and added[0][3] != "-" and "Eve \ufffd]0;owned\ufffdEvil\ufffd[2J \ufffd31m\ufffdx\ufffdy" == added[0][5],
         f"the name with its controls replaced: {added}")
    h.ok(any(row[2] == "login_failed" and row[3] == "-" for row in rows), "a failed login has no actor")
    r = folio(u, "audit", "--json")
    h.eq(r.returncode, 0, r.stderr)
    clean(r.stdout)
    items = json.loads(r.stdout)
    h.ok(any(x.get("subject_name") == NASTY for x in items), "JSON keeps the name exactly (escaped)")
    h.ok("\\u009b" in r.stdout and "\\u001b" in r.stdout, "C1 and ESC as JSON escapes")


@h.test
def filters_pass_through_and_bad_ones_fail_in_one_line():
    u = tuilib.User(srv, firm.owner_email)
    r = folio(u, "audit", "--type", "login_failed")
    h.eq(r.returncode, 0, r.stderr)
    kinds = {l.split("\t")[2] for l in r.stdout.splitlines()}
    h.eq(kinds, {"login_failed"}, "only failed logins")
    me = firm.owner.must("GET", "/api/v1/me")["id"]
    r = folio(u, "audit", "--actor", str(me), "--since", "2000-01-01T00:00:00Z", "--json")
    h.eq(r.returncode, 0, r.stderr)
    h.ok(all(x["actor_id"] == me for x in json.loads(r.stdout)), "the owner's rows")
    r = folio(u, "audit", "--until", "2000-01-01")
    h.eq((r.returncode, r.stdout), (0, ""), "nothing before 2000")
    one_line_error(folio(u, "audit", "--since", "yesterday"))
    one_line_error(folio(u, "audit", "--type", "nonsense"))
    one_line_error(folio(u, "audit", "--actor", "me"), 2)
    one_line_error(folio(u, "audit", "extra"), 2)
    u.env["LANG"] = u.env["LC_ALL"] = "de_DE.UTF-8"
    r = folio(u, "audit", "--actor", "me")
    h.ok("Benutzer-ID" in r.stderr, f"German: {r.stderr!r}")


@h.test
def an_admin_gets_the_servers_403():
    email = f"m-{uuid.uuid4().hex[:6]}@firm.test"
    firm.owner.must("POST", "/api/v1/staff", {"name": "Ada Admin", "email": email, "password": h.PASSWORD,
                                              "role": "admin"}, status=201)
    u = tuilib.User(srv, email)
    r = folio(u, "audit")
    one_line_error(r)
    h.ok("forbidden" in r.stderr and "403" in r.stderr, r.stderr)


h.main()
