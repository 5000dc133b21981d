"""The authorization matrix, generated from the route table (issue 13, part 9).

`foliod --list-routes` gives every route with its `who`. Each route is called
by every kind of caller (anonymous, a revoked token, a contact, a contact of
another account of the firm, member, admin, owner, the owner viewing as the
contact's account, staff of another firm), aimed at an object of firm A and at
one of firm B;
the status must follow from the route's `who` (401 without a valid token, 403
for a role below it) and from visibility (404 for what the caller may not see:
another firm, another account, another user's item). Distinct canary strings
sit in the data each caller may not see -- internal notes, the other account,
the other firm, the templates -- and none may appear in any body a caller gets,
in its event streams (WebSocket and long poll) or in its mails.

A route in the table without a row in ROUTES below fails the test: a new route
gets its row (and with it its place in the matrix) before it ships.
"""

import json
import subprocess
import uuid

import harness as h
import mailcheck as mc
from eventsub import Sub

WAIT = 45
TAG = uuid.uuid4().hex[:6]


def canary(what):
    return f"CANARY{what}{TAG}"


K = {k: canary(k) for k in ("NOTE1", "NOTE2", "ACC1", "ACC2", "TPL", "FIRMB", "PRIV1")}
# What each kind of caller may not see.
FORBIDDEN = {
    "anonymous": set(K),
    "revoked": set(K),
    "contact": {"NOTE1", "NOTE2", "ACC2", "TPL", "FIRMB", "PRIV1"},
    "contact_other_account": {"NOTE1", "NOTE2", "ACC1", "TPL", "FIRMB", "PRIV1"},
    "member": {"FIRMB"},
    "admin": {"FIRMB"},
    "owner": {"FIRMB"},
    "other_firm_staff": {"NOTE1", "NOTE2", "ACC1", "ACC2", "TPL", "PRIV1"},
    "owner_viewing_as_contact": {"NOTE1", "NOTE2", "ACC2", "TPL", "FIRMB", "PRIV1"},
}
RANK = {"member": 1, "admin": 2, "owner": 3}


class Caller:
    """A kind of caller: how to get a client (fresh: a session of its own) and where it belongs."""

    def __init__(self, kind, srv, email=None, firm=None, account=None, role=None, client=None, view_as=None):
        self.kind, self.srv, self.email = kind, srv, email
        self.firm, self.account, self.role = firm, account or view_as, role
        self.query = {"view_as_account": view_as} if view_as else None
        self.client = client or (srv.login(email, h.PASSWORD) if email else srv.client())

    def fresh(self):
        """A client whose token this call may spend (log out, password change)."""
        if self.email and self.kind != "revoked":
            return self.srv.login(self.email, h.PASSWORD)
        return self.client

    @property
    def staff(self):
        """Whether the server treats the caller as staff (viewing as a client is not)."""
        return self.role is not None and self.query is None


class Side:
    """One firm's objects the matrix aims at: a contact's account and thread, a task, a template."""

    def __init__(self, srv, f, acc, contact, thread, task_id, template_id, owner_email):
        self.srv, self.f, self.acc, self.contact, self.t = srv, f, acc, contact, thread
        self.task_id, self.template_id, self.owner_email = task_id, template_id, owner_email

    def notification_id(self):
        items = self.contact.must("GET", "/api/v1/notifications")["items"]
        return items[0]["id"] if items else 10 ** 9

    def owner_session_id(self):
        c = self.srv.login(self.owner_email, h.PASSWORD)
        return c.must("GET", "/api/v1/sessions")["items"][0]["id"]

    def new_member_id(self):
        return self.f.owner.must("POST", "/api/v1/staff", {"name": "Reset Me", "email": new_email(),
                                                            "password": h.PASSWORD, "role": "member"},
                                 status=201)["id"]

    def fresh_template(self):
        return self.f.owner.must("POST", "/api/v1/templates", {"name": f"tmp {uuid.uuid4().hex[:6]}",
                                                                "subject": "s", "body": "b"}, status=201)["id"]


def world():
    srv = h.server()
    a = h.Firm(srv)
    acc1 = a.account(f"Konto {K['ACC1']}")
    acc2 = a.account(f"Konto {K['ACC2']}")
    c1 = a.contact(acc1["id"])
    c2 = a.contact(acc2["id"])
    t1 = a.thread(acc1["id"], subject=f"Belege {K['ACC1']}", body=f"Bitte {K['ACC1']}",
                  reminders={"enabled": True}, tasks=[{"title": f"Task {K['ACC1']}"}])
    t2 = a.thread(acc2["id"], subject=f"Belege {K['ACC2']}", body=f"Bitte {K['ACC2']}",
                  tasks=[{"title": f"Task {K['ACC2']}"}])
    for t, k in ((t1, "NOTE1"), (t2, "NOTE2")):
        a.owner.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": f"intern {K[k]}", "internal": True},
                     status=201)
    tpl = a.owner.must("POST", "/api/v1/templates", {"name": f"Vorlage {K['TPL']}", "subject": K["TPL"],
                                                     "body": f"Text {K['TPL']}"}, status=201)
    b = h.Firm(srv, name=f"Kanzlei {K['FIRMB']}")
    accb = b.account(f"Konto {K['FIRMB']}")
    cb = b.contact(accb["id"])
    tb = b.thread(accb["id"], subject=f"Belege {K['FIRMB']}", body=f"Bitte {K['FIRMB']}",
                  tasks=[{"title": f"Task {K['FIRMB']}"}])
    b.owner.must("POST", f"/api/v1/threads/{tb['id']}/messages", {"body": f"intern {K['FIRMB']}",
                                                                    "internal": True}, status=201)
    tplb = b.owner.must("POST", "/api/v1/templates", {"name": f"Vorlage {K['FIRMB']}", "subject": K["FIRMB"],
                                                      "body": K["FIRMB"]}, status=201)
    T2.update(t2)
    sides = {"A": Side(srv, a, acc1, c1, t1, t1["tasks"][0]["id"], tpl["id"], a.owner_email),
             "B": Side(srv, b, accb, cb, tb, tb["tasks"][0]["id"], tplb["id"], b.owner_email)}
    for side in sides.values():  # a document the side's contact may see (a chat upload)
        side.doc_id = side.f.owner.must("POST", f"/api/v1/accounts/{side.acc['id']}/documents",
                                        raw=b"Beleg", query={"name": "beleg.txt"}, status=201)["items"][0]["id"]
    # A private folder of the first account, with a document: staff only (its name is the canary).
    priv = a.owner.must("POST", f"/api/v1/accounts/{acc1['id']}/folders",
                        {"name": f"Intern {K['PRIV1']}", "access": "private"}, status=201)
    a.owner.must("POST", f"/api/v1/accounts/{acc1['id']}/documents", raw=K["PRIV1"].encode(),
                 query={"name": f"{K['PRIV1']}.txt", "folder_id": priv["id"]}, status=201)
    member_email, admin_email = (staff_email(a, role) for role in ("member", "admin"))
    # The team member PATCH /staff/{id} aims at on each side: one an admin may change.
    for side, f in (("A", a), ("B", b)):
        email = staff_email(f, "member")
        sides[side].member_id = [m["id"] for m in f.owner.must("GET", "/api/v1/staff")["items"]
                                 if m["email"] == email][0]
    revoked = srv.login(a.owner_email, h.PASSWORD)
    revoked.must("DELETE", "/api/v1/sessions/current", status=204)
    callers = [
        Caller("anonymous", srv),
        Caller("revoked", srv, firm="A", client=revoked),
        Caller("contact", srv, c1.user["email"], "A", acc1["id"]),
        Caller("contact_other_account", srv, c2.user["email"], "A", acc2["id"]),
        Caller("member", srv, member_email, "A", role="member"),
        Caller("admin", srv, admin_email, "A", role="admin"),
        Caller("owner", srv, a.owner_email, "A", role="owner"),
        Caller("other_firm_staff", srv, b.owner_email, "B", role="owner"),
        Caller("owner_viewing_as_contact", srv, a.owner_email, "A", role="owner", view_as=acc1["id"]),
    ]
    return srv, sides, callers


def staff_email(f, role):
    email = f"staff-{uuid.uuid4().hex[:8]}@firm.test"
    f.owner.must("POST", "/api/v1/staff", {"name": f"Sam {role}", "email": email, "password": h.PASSWORD,
                                           "role": role}, status=201)
    return email


def new_email():
    return f"new-{uuid.uuid4().hex[:8]}@client.test"


# (method, pattern) -> (scope, path(side), body(side, caller), statuses an allowed caller may get).
# scope: what visibility decides -- "none" (no object), "account" (an account's object: staff
# of its firm and its contacts), "firm" (the firm's staff), "user" (one user's own item).
# "public" rows need no token; "spend" rows may end the caller's session, so each call
# gets a session of its own.
ROUTES = {
    ("GET", "/healthz"): ("public", lambda s: "/healthz", None, {200}),
    ("GET", "/readyz"): ("public", lambda s: "/readyz", None, {200, 503}),
    ("GET", "/metrics"): ("none", lambda s: "/metrics", None, {404}),
    ("POST", "/api/v1/sessions"): ("public", lambda s: "/api/v1/sessions",
                                   lambda s, c: {"email": new_email(), "password": "wrong password!"}, {401}),
    ("GET", "/api/v1/sessions"): ("none", lambda s: "/api/v1/sessions", None, {200}),
    ("DELETE", "/api/v1/sessions/current"): ("spend", lambda s: "/api/v1/sessions/current", None, {204}),
    ("DELETE", "/api/v1/sessions/{id}"): ("user", lambda s: f"/api/v1/sessions/{s.owner_session_id()}", None,
                                          {204}),
    ("GET", "/api/v1/me"): ("none", lambda s: "/api/v1/me", None, {200}),
    ("POST", "/api/v1/me/password"): ("spend", lambda s: "/api/v1/me/password",
                                      lambda s, c: {"current_password": "not the password",
                                                    "new_password": "a much longer new password 77"}, {422}),
    ("GET", "/api/v1/me/totp"): ("none", lambda s: "/api/v1/me/totp", None, {200}),
    ("POST", "/api/v1/me/totp"): ("none", lambda s: "/api/v1/me/totp", None, {200}),
    ("POST", "/api/v1/me/totp/confirm"): ("none", lambda s: "/api/v1/me/totp/confirm",
                                          lambda s, c: {"code": "not a code"}, {409, 422}),
    ("POST", "/api/v1/me/totp/disable"): ("none", lambda s: "/api/v1/me/totp/disable",
                                          lambda s, c: {"password": "not the password", "code": "123456"},
                                          {409}),
    ("POST", "/api/v1/me/totp/recovery-codes"): ("none", lambda s: "/api/v1/me/totp/recovery-codes",
                                                 lambda s, c: {"code": "123456"}, {409}),
    ("DELETE", "/api/v1/staff/{id}/totp"): ("firm", lambda s: f"/api/v1/staff/{s.new_member_id()}/totp", None,
                                            {204}),
    ("DELETE", "/api/v1/contacts/{id}/totp"): ("firm", lambda s: f"/api/v1/contacts/{s.contact.id}/totp",
                                               None, {204}),
    ("GET", "/api/v1/firm"): ("none", lambda s: "/api/v1/firm", None, {200}),
    ("PATCH", "/api/v1/firm"): ("none", lambda s: "/api/v1/firm", lambda s, c: {"language": "de"}, {200}),
    ("GET", "/api/v1/audit"): ("none", lambda s: "/api/v1/audit", None, {200}),
    ("GET", "/api/v1/staff"): ("none", lambda s: "/api/v1/staff", None, {200}),
    ("PATCH", "/api/v1/staff/{id}"): ("firm", lambda s: f"/api/v1/staff/{s.member_id}",
                                      lambda s, c: {"role": "member", "active": True}, {200}),
    ("POST", "/api/v1/staff"): ("none", lambda s: "/api/v1/staff",
                                lambda s, c: {"name": "New Member", "email": new_email(), "password": h.PASSWORD,
                                              "role": "member"}, {201}),
    ("GET", "/api/v1/accounts"): ("none", lambda s: "/api/v1/accounts", None, {200}),
    ("PATCH", "/api/v1/contacts/{id}"): ("firm", lambda s: f"/api/v1/contacts/{s.contact.id}",
                                         lambda s, c: {"notify": True}, {200}),
    ("POST", "/api/v1/accounts"): ("none", lambda s: "/api/v1/accounts",
                                   lambda s, c: {"name": f"New {uuid.uuid4().hex[:6]}"}, {201}),
    ("GET", "/api/v1/accounts/{id}"): ("account", lambda s: f"/api/v1/accounts/{s.acc['id']}", None, {200}),
    ("POST", "/api/v1/accounts/{id}/contacts"): ("account", lambda s: f"/api/v1/accounts/{s.acc['id']}/contacts",
                                                 lambda s, c: {"name": "New Contact", "email": new_email(),
                                                               "portal_access": False, "notify": False}, {201}),
    ("GET", "/api/v1/accounts/{id}/folders"): ("account", lambda s: f"/api/v1/accounts/{s.acc['id']}/folders",
                                               None, {200}),
    ("POST", "/api/v1/accounts/{id}/folders"): ("account", lambda s: f"/api/v1/accounts/{s.acc['id']}/folders",
                                                lambda s, c: {"name": f"F {uuid.uuid4().hex[:6]}",
                                                              "access": "client_view"}, {201}),
    ("GET", "/api/v1/accounts/{id}/documents"): ("account",
                                                 lambda s: f"/api/v1/accounts/{s.acc['id']}/documents", None, {200}),
    # The raw body of an upload is the JSON text the matrix sends: any bytes are a document.
    ("POST", "/api/v1/accounts/{id}/documents"): ("account",
                                                  lambda s: f"/api/v1/accounts/{s.acc['id']}/documents?name=m.txt",
                                                  lambda s, c: {"from": c.kind}, {201}),
    ("GET", "/api/v1/documents/{id}"): ("account", lambda s: f"/api/v1/documents/{s.doc_id}", None, {200}),
    ("GET", "/api/v1/documents/{id}/content"): ("account", lambda s: f"/api/v1/documents/{s.doc_id}/content",
                                                None, {200}),
    ("GET", "/api/v1/templates"): ("none", lambda s: "/api/v1/templates", None, {200}),
    ("POST", "/api/v1/templates"): ("none", lambda s: "/api/v1/templates",
                                    lambda s, c: {"name": f"T {uuid.uuid4().hex[:6]}", "subject": "s",
                                                  "body": "b"}, {201}),
    ("GET", "/api/v1/templates/{id}"): ("firm", lambda s: f"/api/v1/templates/{s.template_id}", None, {200}),
    ("PATCH", "/api/v1/templates/{id}"): ("firm", lambda s: f"/api/v1/templates/{s.template_id}",
                                          lambda s, c: {"subject": K["TPL"] if s is SIDES["A"] else K["FIRMB"]},
                                          {200}),
    ("DELETE", "/api/v1/templates/{id}"): ("firm", lambda s: f"/api/v1/templates/{s.fresh_template()}", None,
                                           {204}),
    ("GET", "/api/v1/threads"): ("none", lambda s: "/api/v1/threads", None, {200}),
    ("POST", "/api/v1/threads"): ("account", lambda s: "/api/v1/threads",
                                  lambda s, c: {"account_id": s.acc["id"], "subject": "neu", "body": "neu"}, {201}),
    ("GET", "/api/v1/threads/{id}"): ("account", lambda s: f"/api/v1/threads/{s.t['id']}", None, {200}),
    ("PATCH", "/api/v1/threads/{id}"): ("account", lambda s: f"/api/v1/threads/{s.t['id']}",
                                        lambda s, c: {"reminders": {"interval_days": 3}}, {200}),
    ("GET", "/api/v1/threads/{id}/messages"): ("account", lambda s: f"/api/v1/threads/{s.t['id']}/messages",
                                               None, {200}),
    ("POST", "/api/v1/threads/{id}/messages"): ("account", lambda s: f"/api/v1/threads/{s.t['id']}/messages",
                                                lambda s, c: {"body": f"from {c.kind}"}, {201}),
    ("POST", "/api/v1/threads/{id}/read"): ("account", lambda s: f"/api/v1/threads/{s.t['id']}/read",
                                            lambda s, c: {"up_to_message_id": s.t["last_message_id"]}, {200}),
    ("PATCH", "/api/v1/tasks/{id}"): ("account", lambda s: f"/api/v1/tasks/{s.task_id}",
                                      lambda s, c: {"done": True}, {200}),
    ("POST", "/api/v1/threads/{id}/resend"): ("account", lambda s: f"/api/v1/threads/{s.t['id']}/resend", None,
                                              {200, 409}),
    ("GET", "/api/v1/threads/{id}/reminders"): ("account", lambda s: f"/api/v1/threads/{s.t['id']}/reminders",
                                                None, {200}),
    ("GET", "/api/v1/notifications"): ("none", lambda s: "/api/v1/notifications", None, {200}),
    ("POST", "/api/v1/notifications/{id}/read"): ("user",
                                                  lambda s: f"/api/v1/notifications/{s.notification_id()}/read",
                                                  None, {200}),
    ("GET", "/api/v1/notifications/settings"): ("none", lambda s: "/api/v1/notifications/settings", None, {200}),
    ("PATCH", "/api/v1/notifications/settings"): ("none", lambda s: "/api/v1/notifications/settings",
                                                  lambda s, c: {"email": True}, {200}),
    ("GET", "/api/v1/events"): ("none", lambda s: "/api/v1/events?wait=0", None, {200}),
    ("POST", "/api/v1/test/clock"): ("none", lambda s: "/api/v1/test/clock",
                                     lambda s, c: {"advance_seconds": 0}, {200}),
}
SIDES = {}
T2 = {}  # the other account's thread


def expected(method, who, pattern, scope, c, side_name, side):
    """The status class for caller c on a route: 401, 403, 404 or None (allowed)."""
    if who == "public":
        return None
    if who == "metrics":
        return "metrics"
    if c.kind in ("anonymous", "revoked"):
        return 401
    if c.query and method != "GET":
        return 403  # view_as_read_only
    if who == "staff" and not c.staff:
        return 403
    if who in ("admin", "owner", "test") and (not c.staff or RANK[c.role] < RANK[who if who != "test" else "owner"]):
        return 403
    if scope in ("account", "firm", "user") and c.firm != side_name:
        return 404
    if scope == "account" and not c.staff and c.account != side.acc["id"]:
        return 404
    if scope == "user" and not owns_item(pattern, c, side_name):
        return 404
    return None


def owns_item(pattern, c, side_name):
    """A "user" route aims at the side's contact's item (notifications) or its owner's session."""
    if pattern.startswith("/api/v1/notifications"):
        return c.kind == "contact" and side_name == "A"
    return (c.kind == "owner" and side_name == "A") or (c.kind == "other_firm_staff" and side_name == "B")


def leaks(text, c, seen=None):
    """The canaries in text that c may not see; notes in seen the ones it may."""
    if seen is not None:
        seen.update(k for k in K if k not in FORBIDDEN[c.kind] and K[k] in text)
    return [k for k in FORBIDDEN[c.kind] if K[k] in text]


def mail_text(m):
    with open(m["file"], "rb") as f:
        raw = f.read().decode("utf-8", "replace")
    return m["subject"] + "\n" + m["body_text"] + "\n" + raw


def routes_table():
    rows = []
    for line in subprocess.run([h.FOLIOD, "--list-routes"], capture_output=True, text=True,
                                 check=True).stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            rows.append((parts[0], parts[1], parts[2]))
    return rows


def head(client):
    return client.must("GET", "/api/v1/events")["next"]


def poll_all(client, since):
    items = []
    while True:
        r = client.must("GET", f"/api/v1/events?since={since}&wait=0&limit=200")
        items += r["items"]
        if not r["items"]:
            h.eq(r["next"], since, "an empty poll keeps the cursor")
            return items
        h.eq(r["next"], r["items"][-1]["id"], "next is the last id given")
        since = r["next"]


@h.test
def every_route_by_every_caller():
    srv, sides, callers = world()
    SIDES.update(sides)
    table = routes_table()
    unknown = [f"{m} {p}" for m, p, _ in table if (m, p) not in ROUTES]
    h.eq(unknown, [], "routes without a row in the matrix (add them to ROUTES)")
    gone = [f"{m} {p}" for (m, p) in ROUTES if (m, p) not in {(m2, p2) for m2, p2, _ in table}]
    h.eq(gone, [], "rows in the matrix for routes the table no longer has")
    h.wait_for(lambda: srv.db.sql("SELECT count(*) FROM event_outbox") == "0", WAIT, "the outbox to drain")
    streams = {}
    for c in callers:
        if c.kind in ("anonymous", "revoked") or c.query:
            continue  # viewing as a client: its stream is test_no_trace's and test_events'
        since = head(c.client)
        streams[c.kind] = (since, Sub(srv, c.client, since=since))
    # A note in the other account's thread while everyone listens.
    sides["A"].f.owner.must("POST", f"/api/v1/threads/{T2['id']}/messages",
                            {"body": f"noch intern {K['NOTE2']}", "internal": True}, status=201)
    failures, calls, seen = [], 0, set()
    for method, pattern, who in table:
        scope, path, body, ok = ROUTES[(method, pattern)]
        for side_name, side in sides.items():
            if scope in ("none", "public", "spend") and side_name != "A":
                continue  # no object to aim at: one round is the whole row
            for c in callers:
                want = expected(method, who, pattern, scope, c, side_name, side)
                client = c.fresh() if scope == "spend" or pattern == "/api/v1/sessions/{id}" else c.client
                p = path(side)
                r = client.request(method, p, body(side, c) if body else None, query=c.query)
                calls += 1
                label = f"{method} {p} ({pattern}, who={who}) as {c.kind} on firm {side_name}"
                if want == "metrics":
                    good = r.status in (403, 404)
                elif want is None:
                    good = r.status in ok
                else:
                    good = r.status == want
                if not good:
                    failures.append(f"{label}: {r.status}, want {want or sorted(ok)}: {r.raw[:160]!r}")
                bad = leaks(r.raw or "", c, seen)
                if bad:
                    failures.append(f"{label}: body shows {bad}")
                if r.status >= 500:
                    failures.append(f"{label}: server error {r.status}")
    h.ok(calls > 300, f"the matrix made {calls} calls")
    # Every stream: the long poll from the same cursor equals the socket, and neither leaks.
    h.wait_for(lambda: srv.db.sql("SELECT count(*) FROM event_outbox") == "0", WAIT, "the outbox to drain")
    for c in callers:
        if c.kind not in streams:
            continue
        since, sub = streams[c.kind]
        polled = poll_all(c.client, since)
        if polled:
            sub.wait_id(polled[-1]["id"])
        sub.close()
        h.eq(sub.ids[:len(polled)], [e["id"] for e in polled], f"{c.kind}: the socket = the long poll")
        for what, evs in (("socket", sub.events), ("long poll", polled)):
            bad = leaks(json.dumps(evs, ensure_ascii=False), c, seen)
            if bad:
                failures.append(f"{c.kind}'s {what} shows {bad}")
        for e in polled:
            if not c.staff and e.get("message", {}).get("internal"):
                failures.append(f"{c.kind}'s long poll carries an internal note: {e['id']}")
    # Mails: what reached each caller's address (and the contacts of the other account and firm).
    for c in callers:
        if not c.email or c.query:
            continue
        mc.drained(srv, c.email)
        text = "\n".join(mail_text(m) for m in mc.to(c.email))
        bad = leaks(text, c)
        if c.kind == "contact" and K["ACC1"] not in text:
            failures.append("the contact's mails do not show its own thread: the mail check sees nothing")
        if bad:
            failures.append(f"mail to {c.kind} shows {bad}")
    # The canaries are where the matrix looks: each was seen by someone allowed to see it.
    h.eq(sorted(seen), sorted(K), "canaries seen by the callers allowed to see them")
    print(f"# matrix: {calls} calls, {len(streams)} streams")
    h.eq(failures, [], f"matrix of {calls} calls")


@h.test
def a_route_without_a_row_fails_the_matrix():
    """The check above is the one a new route meets: prove it bites on a made-up table."""
    rows = routes_table() + [("GET", "/api/v1/new-thing", "any")]
    h.eq([f"{m} {p}" for m, p, _ in rows if (m, p) not in ROUTES], ["GET /api/v1/new-thing"],
         "an unknown route is reported")


h.main()
