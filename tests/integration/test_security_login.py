"""Security (issue 13, parts 4-6): failed logins back off per (account, address) and never lock an
account; unknown addresses cost the same argon2id verification as known ones; mentions resolve for staff
only; addresses are unique per firm (the login chooses the firm); the password policy; idle sessions end;
my sessions are listed and revoked; a password change ends my other sessions."""
import http.client
import re
import uuid

import harness as h
from core_common import err

PROXY = ["--trusted-proxy", "127.0.0.1/32"]


def login(srv, email, password, xff=None, **extra):
    body = {"email": email, "password": password}
    body.update(extra)
    return srv.client().post("/api/v1/sessions", body, headers={"X-Forwarded-For": xff} if xff else None)


def fail_rows(srv, email, address, n, age_seconds=0):
    srv.db.sql(f"INSERT INTO login_failures (email, address, at) SELECT '{email}', '{address}',"
               f" now() - make_interval(secs => {age_seconds}) FROM generate_series(1, {n})")


def retry_after(r):
    ra = r.headers.get("retry-after", "")
    h.ok(ra.isdigit(), f"Retry-After {ra!r}")
    return int(ra)


@h.test
def no_lockout_the_right_password_from_another_address_gets_in():
    srv = h.Server(args=PROXY)
    f = h.Firm(srv)
    victim = f.owner_email
    attacker, home, cafe = "203.0.113.66", "198.51.100.7", "198.51.100.8"
    # The attacker's failures through the API: the first five are plain 401s (no timing involved).
    for _ in range(5):
        err(login(srv, victim, "wrong password!", attacker), 401, "invalid_credentials")
    h.eq(srv.db.sql(f"SELECT count(*) FROM login_failures WHERE address = '{attacker}'"), "5")
    # ... and 120 more, well over the per-account ceiling of 100 an hour.
    fail_rows(srv, victim, attacker, 120)
    r = login(srv, victim, h.PASSWORD, attacker)
    err(r, 429, "too_many_attempts", what="the right password from the attacker's address")
    h.ok(1 <= retry_after(r) <= 900, "the pair backs off at most 15 minutes")
    # The owner, from another address, gets in at once with the right password.
    r = login(srv, victim, h.PASSWORD, home)
    h.eq(r.status, 201, f"the right password from a new address: {r!r}")
    # Over the ceiling every address slows down: one failure from the cafe, then it waits 15 s ...
    err(login(srv, victim, "typo password", cafe), 401)
    r = login(srv, victim, h.PASSWORD, cafe)
    err(r, 429, "too_many_attempts", what="over the ceiling, after one failure")
    h.ok(1 <= retry_after(r) <= 15, "a 15-second back-off")
    # ... and no longer than Retry-After said: once that much time has passed it gets in.
    srv.db.sql(f"UPDATE login_failures SET at = at - interval '16 seconds' WHERE address = '{cafe}'")
    h.eq(login(srv, victim, h.PASSWORD, cafe).status, 201, "in again after the back-off")
    srv.stop()


@h.test
def the_back_off_doubles_and_retry_after_is_exact():
    srv = h.Server(args=PROXY)
    f = h.Firm(srv)
    email, a = f.owner_email, "192.0.2.50"
    # Four failures: no back-off yet, the right password works.
    fail_rows(srv, email, a, 4)
    h.eq(login(srv, email, h.PASSWORD, a).status, 201)
    # Eight failures just now: 1 s after the fifth, doubling: 8 s.
    fail_rows(srv, email, a, 4)
    r = login(srv, email, h.PASSWORD, a)
    err(r, 429)
    h.ok(1 <= retry_after(r) <= 8, f"Retry-After within the 8-second back-off: {r.headers}")
    # The same failures 9 seconds old: the back-off has passed.
    srv.db.sql(f"UPDATE login_failures SET at = at - interval '9 seconds' WHERE address = '{a}'")
    h.eq(login(srv, email, h.PASSWORD, a).status, 201, "after the back-off")
    # Twenty failures: capped at 15 minutes.
    fail_rows(srv, email, a, 12)
    r = login(srv, email, h.PASSWORD, a)
    err(r, 429)
    h.ok(800 <= retry_after(r) <= 900, f"capped at 900 s: {r.headers.get('retry-after')}")
    # The case of the address does not matter; another account from the same address is not slowed.
    err(login(srv, email.upper(), h.PASSWORD, a), 429)
    m = f.staff()
    h.eq(login(srv, m.user["email"], h.PASSWORD, a).status, 201)
    srv.stop()


@h.test
def a_thousand_failures_behind_a_proxy_lock_out_no_other_client():
    srv = h.Server(args=PROXY)
    f = h.Firm(srv)
    bad = "203.0.113.99"
    err(login(srv, f.owner_email, "wrong password!", bad), 401)
    h.eq(srv.db.sql("SELECT address FROM login_failures ORDER BY id DESC LIMIT 1"), bad,
         "the failure is the forwarded client's, not the proxy's")
    # 1,000 failures from that client, spread over many accounts and the owner's.
    srv.db.sql(f"INSERT INTO login_failures (email, address) SELECT 'spray' || g || '@x.test', '{bad}'"
               f" FROM generate_series(1, 999) g")
    r = login(srv, f"nobody-{uuid.uuid4().hex[:6]}@x.test", "whatever password", bad)
    err(r, 429, what="the spraying client itself")
    h.ok(retry_after(r) <= 3600, "Retry-After within the hour")
    # Every other client behind the same proxy logs in, the owner included.
    for i in range(3):
        r = login(srv, f.owner_email, h.PASSWORD, f"198.51.100.{10 + i}")
        h.eq(r.status, 201, f"another client behind the proxy: {r!r}")
    h.eq(login(srv, f.owner_email, h.PASSWORD).status, 201, "the proxy's own address is not throttled")
    srv.stop()


def password_checks(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    m = re.search(r"^folio_password_checks_total (\S+)$", text, re.M)
    h.ok(m, "folio_password_checks_total is exported")
    return int(float(m.group(1)))


@h.test
def unknown_addresses_cost_the_same_argon2_verification():
    port = h.free_port()
    srv = h.Server(args=["--metrics-listen", f"127.0.0.1:{port}"])
    f = h.Firm(srv)
    acct = f.account()
    no_portal = f.contact(acct["id"], portal_access=False)
    no_password = f.owner.must("POST", f"/api/v1/accounts/{acct['id']}/contacts",
                               {"name": "Nora Nopass", "email": f"nopass-{f.tag}@client.test",
                                "portal_access": True}, status=201)
    cases = [
        ("an unknown address", f"nobody-{f.tag}@firm.test", h.PASSWORD, 401),
        ("a known address, wrong password", f.owner_email, "wrong password!", 401),
        ("a contact without portal access", no_portal["email"], h.PASSWORD, 401),
        ("a contact without a password", no_password["email"], h.PASSWORD, 401),
        ("the right password", f.owner_email, h.PASSWORD, 201),
    ]
    bodies = set()
    for what, email, password, status in cases:
        before = password_checks(port)
        r = login(srv, email, password)
        h.eq(r.status, status, what)
        h.eq(password_checks(port) - before, 1, f"one argon2id verification for {what}")
        if status == 401:
            bodies.add(r.raw)
    h.eq(len(bodies), 1, "every failed login answers the same body")
    srv.stop()


@h.test
def a_contacts_mention_resolves_to_no_staff_id():
    srv = h.server()
    f = h.Firm(srv)
    t = f.tag
    bo = f.staff(name=f"Bo Brandt{t}")
    acct = f.account()
    c = f.contact(acct["id"])
    th = f.thread(acct["id"])
    path = f"/api/v1/threads/{th['id']}/messages"
    m = c.must("POST", path, {"body": f"Frage an @Bo Brandt{t} und @{bo.user['email'].split('@')[0]}"},
               status=201)
    h.eq(m["mentions"], [], "a contact learns no staff ids")
    m = f.owner.must("POST", path, {"body": f"@Bo Brandt{t} bitte"}, status=201)
    h.eq(m["mentions"], [bo.user["id"]], "staff still mention staff")


@h.test
def addresses_are_unique_per_firm_and_the_login_chooses_the_firm():
    srv = h.server()
    a, b = h.Firm(srv), h.Firm(srv)
    x = f"pat-{uuid.uuid4().hex[:8]}@both.test"
    staff = {"name": "Pat Both", "email": x, "password": h.PASSWORD, "role": "member"}
    a.owner.must("POST", "/api/v1/staff", staff, status=201)
    # Another firm may use the address: a 409 would tell it that the address is in use elsewhere.
    bacct = b.account()
    r = b.owner.post(f"/api/v1/accounts/{bacct['id']}/contacts",
                     {"name": "Pat Both", "email": x.upper(), "password": h.PASSWORD, "portal_access": True})
    h.eq(r.status, 201, f"the address of another firm's member: {r!r}")
    # Within one firm it is in use (any case), for staff and contacts alike.
    err(b.owner.post("/api/v1/staff", dict(staff, email=x)), 409, "email_taken")
    err(a.owner.post(f"/api/v1/accounts/{a.account()['id']}/contacts", {"name": "P", "email": x}), 409,
        "email_taken")
    # The same password in both firms: the login asks which firm, and only after the password matched.
    err(login(srv, x, "wrong password!"), 401, "invalid_credentials")
    r = login(srv, x, h.PASSWORD)
    err(r, 409, "choose_firm")
    h.eq(sorted((f["id"], f["name"]) for f in r.json["firms"]), sorted([(a.id, a.name), (b.id, b.name)]))
    r = login(srv, x, h.PASSWORD, firm_id=b.id)
    h.eq(r.status, 201, f"with firm_id: {r!r}")
    h.eq((r.json["user"]["firm_id"], r.json["user"]["kind"]), (b.id, "contact"))
    h.eq(login(srv, x, h.PASSWORD, firm_id=a.id).json["user"]["kind"], "staff")
    err(login(srv, x, h.PASSWORD, firm_id=h.Firm(srv).id), 401, "invalid_credentials",
        what="a firm the address is not in")
    err(login(srv, x, h.PASSWORD, firm_id="one"), 422, field="firm_id")
    # When the password matches in one firm only, the login goes there at once, with the answer of old.
    r = login(srv, x, h.PASSWORD, firm_id=a.id)
    srv.client(r.json["token"]).must("POST", "/api/v1/me/password",
                                     {"current_password": h.PASSWORD, "new_password": "another " + h.PASSWORD},
                                     status=200)
    r = login(srv, x, h.PASSWORD)
    h.eq((r.status, r.json["user"]["firm_id"]), (201, b.id), "the password of firm b")
    r = login(srv, x, "another " + h.PASSWORD)
    h.eq((r.status, r.json["user"]["firm_id"]), (201, a.id), "the password of firm a")


@h.test
def passwords_follow_the_policy():
    srv = h.server()
    f = h.Firm(srv)
    acct = f.account()
    good = {"name": "Paula Policy", "email": f"paula-{f.tag}@firm.test", "role": "member"}
    weak = [("short pw", "12 characters"), ("Administrator1", "dictionary"),
            ("xxxxxxxxxxxxy", "same characters"), ("passwordpassword", "repeated"),
            ("abc123456789x", "sequence")]
    for pw, why in weak:
        e = err(f.owner.post("/api/v1/staff", dict(good, password=pw)), 422, "invalid_field", field="password",
                what=pw)
        h.ok(why in e["message"], f"the reason for {pw!r}: {e['message']!r}")
        err(f.owner.post(f"/api/v1/accounts/{acct['id']}/contacts",
                         {"name": "C", "email": f"c-{f.tag}@client.test", "password": pw}), 422,
            field="password", what=f"contact {pw}")
    f.owner.must("POST", "/api/v1/staff", dict(good, password=h.PASSWORD), status=201)
    h.eq(f.owner.get("/api/v1/staff").status, 200)


def session_id(c):
    items = c.must("GET", "/api/v1/sessions")["items"]
    return [s["id"] for s in items if s["current"]][0]


@h.test
def idle_sessions_end():
    srv = h.Server(args=["--contact-idle-minutes", "120"])
    f = h.Firm(srv)
    c = f.contact(f.account()["id"])
    sid = session_id(f.owner)
    # A use moves last_used_at on (at most once a minute).
    srv.db.sql(f"UPDATE sessions SET last_used_at = now() - interval '5 minutes' WHERE id = {sid}")
    f.owner.must("GET", "/api/v1/me")
    h.eq(srv.db.sql(f"SELECT last_used_at > now() - interval '1 minute' FROM sessions WHERE id = {sid}"), "t")
    # Staff: 30 idle minutes by default.
    srv.db.sql(f"UPDATE sessions SET last_used_at = now() - interval '29 minutes' WHERE id = {sid}")
    h.eq(f.owner.get("/api/v1/me").status, 200)
    srv.db.sql(f"UPDATE sessions SET last_used_at = now() - interval '31 minutes' WHERE id = {sid}")
    err(f.owner.get("/api/v1/me"), 401, "unauthorized", what="staff idle 31 minutes")
    # Contacts: their own setting.
    cid = session_id(c)
    srv.db.sql(f"UPDATE sessions SET last_used_at = now() - interval '100 minutes' WHERE id = {cid}")
    h.eq(c.get("/api/v1/me").status, 200, "a contact idle 100 of 120 minutes")
    srv.db.sql(f"UPDATE sessions SET last_used_at = now() - interval '121 minutes' WHERE id = {cid}")
    err(c.get("/api/v1/me"), 401, what="a contact idle 121 minutes")
    srv.stop()
    # 0 turns the idle limit off; the absolute one stays.
    srv = h.Server(db=srv.db, args=["--session-idle-minutes", "0"])
    o = srv.login(f.owner_email, h.PASSWORD)
    sid = session_id(o)
    srv.db.sql(f"UPDATE sessions SET last_used_at = now() - interval '20 days' WHERE id = {sid}")
    h.eq(o.get("/api/v1/me").status, 200, "no idle limit")
    srv.db.sql(f"UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = {sid}")
    err(o.get("/api/v1/me"), 401, what="expired")
    srv.stop()


@h.test
def i_list_and_revoke_my_sessions():
    srv = h.Server(args=PROXY)
    f = h.Firm(srv)
    r = login(srv, f.owner_email, h.PASSWORD, "198.51.100.31")
    h.eq(r.status, 201)
    other = srv.client(r.json["token"], r.json["user"])
    items = f.owner.must("GET", "/api/v1/sessions")["items"]
    h.eq(len(items), 2, "both of my sessions")
    h.eq(sorted(s["current"] for s in items), [False, True])
    for s in items:
        h.eq(set(s), {"id", "created_at", "last_used_at", "expires_at", "address", "user_agent", "current"})
    mine = [s for s in items if not s["current"]][0]
    h.eq(mine["address"], "198.51.100.31", "the client address that logged in")
    # The client's own word for itself is kept, when it is short and UTF-8.
    for agent, kept in (("folio/1.0 (Linux)", "folio/1.0 (Linux)"), ("x" * 300, None)):
        r = srv.client().post("/api/v1/sessions", {"email": f.owner_email, "password": h.PASSWORD},
                              headers={"User-Agent": agent})
        h.eq(r.status, 201)
        sid = [s for s in srv.client(r.json["token"]).must("GET", "/api/v1/sessions")["items"] if s["current"]][0]
        h.eq(sid["user_agent"], kept, f"user agent {agent[:20]!r}")
        srv.client(r.json["token"]).delete("/api/v1/sessions/current")
    # Someone else's session is not mine to see or end.
    m = f.staff()
    msid = session_id(m)
    err(f.owner.delete(f"/api/v1/sessions/{msid}"), 404, "not_found")
    h.eq(m.get("/api/v1/me").status, 200)
    h.ok(msid not in [s["id"] for s in f.owner.must("GET", "/api/v1/sessions")["items"]], "not listed")
    # Revoke the other session.
    h.eq(f.owner.delete(f"/api/v1/sessions/{mine['id']}").status, 204)
    err(other.get("/api/v1/me"), 401)
    err(f.owner.delete(f"/api/v1/sessions/{mine['id']}"), 404, what="revoked already")
    h.eq([s["current"] for s in f.owner.must("GET", "/api/v1/sessions")["items"]], [True])
    srv.stop()


@h.test
def a_password_change_ends_my_other_sessions():
    srv = h.server()
    f = h.Firm(srv)
    m = f.staff()
    email = m.user["email"]
    second, third = srv.login(email, h.PASSWORD), srv.login(email, h.PASSWORD)
    new = "Neues Passwort fuer Kanzlei"
    err(m.post("/api/v1/me/password", {"current_password": "wrong password!", "new_password": new}), 422,
        "invalid_field", field="current_password")
    err(m.post("/api/v1/me/password", {"current_password": h.PASSWORD, "new_password": "short"}), 422,
        "invalid_field", field="new_password")
    err(m.post("/api/v1/me/password", {"current_password": h.PASSWORD}), 422, field="new_password")
    h.eq(second.get("/api/v1/me").status, 200, "a refused change ends nothing")
    r = m.must("POST", "/api/v1/me/password", {"current_password": h.PASSWORD, "new_password": new}, status=200)
    h.eq((r["id"], r["sessions_revoked"]), (m.user["id"], 2))
    h.eq(m.get("/api/v1/me").status, 200, "this session stays")
    err(second.get("/api/v1/me"), 401)
    err(third.get("/api/v1/me"), 401)
    err(login(srv, email, h.PASSWORD), 401, what="the old password")
    h.eq(login(srv, email, new).status, 201, "the new password")
    # Other users' sessions are untouched.
    h.eq(f.owner.get("/api/v1/me").status, 200)


h.main()
