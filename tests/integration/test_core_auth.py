"""Core: health, sessions, the current user, tokens, portal access and login throttling."""
import uuid

import harness as h
from core_common import err, routes, fill, world, NOWHERE


@h.test
def healthz_answers_ok_without_a_token():
    srv = h.server()
    r = srv.client().get("/healthz")
    h.eq(r.status, 200)
    h.eq(r.json, {"status": "ok"})
    h.ok(r.headers.get("content-type", "").startswith("application/json"), "JSON content type")
    h.ok(r.headers.get("x-request-id"), "a request id header")


@h.test
def staff_login_answers_token_and_user():
    w = world()
    r = w.srv.client().post("/api/v1/sessions", {"email": w.a.owner_email, "password": h.PASSWORD})
    h.eq(r.status, 201, f"login {r!r}")
    tok = r.json["token"]
    h.ok(isinstance(tok, str) and len(tok) >= 43, "a token of at least 256 bits")
    u = r.json["user"]
    h.eq(u["kind"], "staff")
    h.eq(u["email"], w.a.owner_email)
    h.ok(isinstance(u["id"], int) and u["id"] > 0, "integer user id")
    h.ok(u["name"], "user name")
    h.ok(u.get("account_id") is None, "staff have no account_id")
    # Two logins give two different tokens that both work.
    h.ok(tok != w.a.owner.token, "a new token per login")
    h.eq(w.srv.client(tok).get("/api/v1/me").status, 200)
    h.eq(w.a.owner.get("/api/v1/me").status, 200)


@h.test
def login_email_is_case_insensitive():
    w = world()
    c = w.srv.login(w.a.owner_email.upper(), h.PASSWORD)
    h.eq(c.user["email"], w.a.owner_email)


@h.test
def contact_login_has_kind_contact_and_account():
    w = world()
    h.eq(w.c1.user["kind"], "contact")
    h.eq(w.c1.user["account_id"], w.acct["id"])
    me = w.c1.must("GET", "/api/v1/me")
    h.eq(me["id"], w.c1.id)
    h.eq(me["kind"], "contact")
    h.eq(me["account_id"], w.acct["id"])


@h.test
def bad_credentials_are_401_and_do_not_tell_which_part_was_wrong():
    w = world()
    anon = w.srv.client()
    wrong = anon.post("/api/v1/sessions", {"email": w.a.owner_email, "password": "not the password"})
    err(wrong, 401, "invalid_credentials")
    unknown = anon.post("/api/v1/sessions", {"email": "nobody-%s@nowhere.test" % uuid.uuid4().hex[:6],
                                             "password": "whatever123"})
    err(unknown, 401, "invalid_credentials")
    h.eq(wrong.json, unknown.json, "same answer for a wrong password and an unknown email")
    h.ok("token" not in (wrong.raw or ""), "no token in a refusal")


@h.test
def login_body_is_checked():
    w = world()
    anon = w.srv.client()
    err(anon.post("/api/v1/sessions", {"password": h.PASSWORD}), 422, field="email")
    err(anon.post("/api/v1/sessions", {"email": w.a.owner_email}), 422, field="password")
    err(anon.post("/api/v1/sessions", {"email": 5, "password": h.PASSWORD}), 422, field="email")
    err(anon.post("/api/v1/sessions", {"email": w.a.owner_email, "password": ["x"]}), 422, field="password")
    err(anon.post("/api/v1/sessions", raw=b'{"email":', headers={"Content-Type": "application/json"}), 400)
    err(anon.post("/api/v1/sessions", raw=b"email=a&password=b",
                  headers={"Content-Type": "application/x-www-form-urlencoded"}), 415)


@h.test
def contact_without_portal_access_cannot_log_in():
    w = world()
    tag = uuid.uuid4().hex[:8]
    email = f"noportal-{tag}@client.test"
    w.a.owner.must("POST", f"/api/v1/accounts/{w.acct['id']}/contacts",
                   {"name": "No Portal", "email": email, "password": h.PASSWORD, "portal_access": False},
                   status=201)
    r = w.srv.client().post("/api/v1/sessions", {"email": email, "password": h.PASSWORD})
    err(r, 401, "invalid_credentials")
    # With portal access but no password there is nothing to log in with either.
    email2 = f"nopass-{tag}@client.test"
    w.a.owner.must("POST", f"/api/v1/accounts/{w.acct['id']}/contacts",
                   {"name": "No Password", "email": email2, "portal_access": True}, status=201)
    err(w.srv.client().post("/api/v1/sessions", {"email": email2, "password": ""}), 422, field="password")
    err(w.srv.client().post("/api/v1/sessions", {"email": email2, "password": "anything-at-all"}), 401)


@h.test
def losing_portal_access_ends_existing_sessions():
    w = world()
    c = w.a.contact(w.acct["id"])
    h.eq(c.get("/api/v1/me").status, 200)
    w.srv.db.sql(f"UPDATE contacts SET portal_access = false WHERE user_id = {c.id}")
    err(c.get("/api/v1/me"), 401, "unauthorized")
    err(c.get("/api/v1/threads"), 401)
    err(w.srv.client().post("/api/v1/sessions", {"email": c.user["email"], "password": h.PASSWORD}), 401)


@h.test
def me_answers_the_current_user():
    w = world()
    me = w.a.owner.must("GET", "/api/v1/me")
    h.eq(me["id"], w.a.owner.id)
    h.eq(me["kind"], "staff")
    h.eq(me["email"], w.a.owner_email)
    h.eq(me.get("role"), "owner")
    member = w.a.staff("member")
    h.eq(member.must("GET", "/api/v1/me")["role"], "member")


@h.test
def missing_garbage_and_wrong_scheme_tokens_are_401():
    w = world()
    srv = w.srv
    err(srv.client().get("/api/v1/me"), 401, "unauthorized")
    err(srv.client("garbage").get("/api/v1/me"), 401, "unauthorized")
    err(srv.client("A" * 43).get("/api/v1/me"), 401, "unauthorized")
    err(srv.client("x" * 5000).get("/api/v1/me"), 401)
    err(srv.client().get("/api/v1/me", headers={"Authorization": "Basic " + w.a.owner.token}), 401)
    err(srv.client().get("/api/v1/me", headers={"Authorization": "Bearer"}), 401)
    err(srv.client().get("/api/v1/me", headers={"Authorization": "Bearer "}), 401)
    # A token of another user with one character changed is no token.
    t = w.a.owner.token
    bad = t[:-1] + ("A" if t[-1] != "A" else "B")
    err(srv.client(bad).get("/api/v1/me"), 401)


@h.test
def every_non_public_route_wants_a_token():
    w = world()
    anon = w.srv.client()
    garbage = w.srv.client("garbage-token")
    checked = 0
    for method, pattern, who in routes():
        # API.md: a token on every call but these two (whatever the table calls the rest), and the
        # operations probes of issue 14: /readyz (public) and /metrics (not on the API port at all).
        if (method, pattern) in (("GET", "/healthz"), ("POST", "/api/v1/sessions"), ("GET", "/readyz"),
                                 ("GET", "/metrics")):
            continue
        path = fill(pattern, 1)
        for c in (anon, garbage):
            r = c.request(method, path, body={} if method in ("POST", "PATCH", "PUT") else None)
            err(r, 401, what=f"{method} {pattern}")
        checked += 1
    h.ok(checked >= 20, f"checked {checked} routes")


@h.test
def logout_revokes_only_that_token():
    w = world()
    one = w.srv.login(w.a.owner_email, h.PASSWORD)
    two = w.srv.login(w.a.owner_email, h.PASSWORD)
    r = one.delete("/api/v1/sessions/current")
    h.eq(r.status, 204, f"logout {r!r}")
    h.eq(r.raw, "", "204 has no body")
    err(one.get("/api/v1/me"), 401, "unauthorized")
    err(one.delete("/api/v1/sessions/current"), 401)
    h.eq(two.get("/api/v1/me").status, 200, "the other session lives on")
    # A contact logs out the same way.
    c = w.srv.login(w.c1.user["email"], h.PASSWORD)
    h.eq(c.delete("/api/v1/sessions/current").status, 204)
    err(c.get("/api/v1/threads"), 401)
    h.eq(w.c1.get("/api/v1/me").status, 200)


@h.test
def expired_token_is_401():
    w = world()
    c = w.srv.login(w.a.owner_email, h.PASSWORD)
    h.eq(c.get("/api/v1/me").status, 200)
    # Exactly this session: the newest one of the owner.
    w.srv.db.sql(f"UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id ="
                 f" (SELECT max(id) FROM sessions WHERE user_id = {c.id})")
    err(c.get("/api/v1/me"), 401, "unauthorized")
    h.eq(w.a.owner.get("/api/v1/me").status, 200, "other sessions unaffected")


@h.test
def tokens_are_stored_only_as_hashes():
    w = world()
    c = w.srv.login(w.a.owner_email, h.PASSWORD)
    dump = w.srv.db.sql(f"SELECT encode(token_hash, 'escape') || encode(token_hash, 'hex') FROM sessions"
                        f" WHERE user_id = {c.id}")
    h.ok(c.token not in dump, "the token itself is not in the database")
    n = w.srv.db.sql(f"SELECT count(*) FROM sessions WHERE user_id = {c.id} AND length(token_hash) = 32")
    h.ok(int(n) >= 1, "a 32-byte hash per session")
    pw = w.srv.db.sql(f"SELECT password_hash FROM users WHERE id = {c.id}")
    h.ok(pw.startswith("$argon2id$"), f"argon2id password hash, not {pw[:12]!r}")


def _failures(srv, email, n, age="0 seconds", address="192.0.2.1"):
    srv.db.sql(f"INSERT INTO login_failures (email, address, at) SELECT '{email}', '{address}',"
               f" now() - interval '{age}' FROM generate_series(1, {n})")


@h.test
def login_is_throttled_after_100_failures_for_one_email():
    w = world()
    c = w.a.contact(w.acct["id"])
    email = c.user["email"]
    # 99 failures in the last hour: the right password still works.
    _failures(w.srv, email, 99)
    w.srv.login(email, h.PASSWORD)
    # The 100th failure, through the API.
    err(w.srv.client().post("/api/v1/sessions", {"email": email, "password": "wrong-password"}), 401)
    r = w.srv.client().post("/api/v1/sessions", {"email": email, "password": h.PASSWORD})
    err(r, 429, what="login after 100 failures")
    ra = r.headers.get("retry-after")
    h.ok(ra is not None and ra.isdigit() and 0 < int(ra) <= 3600, f"Retry-After {ra!r}")
    # The throttle is per email (any case), not for everyone.
    err(w.srv.client().post("/api/v1/sessions", {"email": email.upper(), "password": h.PASSWORD}), 429)
    w.srv.login(w.a.owner_email, h.PASSWORD)
    # An existing session of the throttled user keeps working.
    h.eq(c.get("/api/v1/me").status, 200)


@h.test
def old_failures_do_not_throttle():
    w = world()
    c = w.a.contact(w.acct2["id"])
    _failures(w.srv, c.user["email"], 150, age="61 minutes")
    w.srv.login(c.user["email"], h.PASSWORD)


@h.test
def login_is_throttled_per_address():
    srv = h.Server()
    f = h.Firm(srv)
    err(srv.client().post("/api/v1/sessions", {"email": "x@y.test", "password": "wrong-password"}), 401)
    addr = srv.db.sql("SELECT address FROM login_failures LIMIT 1")
    h.ok(addr, "the failure recorded its address")
    # Many emails from one address: the address is throttled even for a new email.
    srv.db.sql(f"INSERT INTO login_failures (email, address) SELECT 'spray' || g || '@x.test', '{addr}'"
               f" FROM generate_series(1, 1200) g")
    r = srv.client().post("/api/v1/sessions", {"email": f.owner_email, "password": h.PASSWORD})
    err(r, 429)
    h.ok(r.headers.get("retry-after", "").isdigit(), "Retry-After")
    srv.stop()


@h.test
def staff_view_as_is_shown_on_me_and_checked():
    w = world()
    me = w.a.owner.must("GET", "/api/v1/me", query={"view_as_account": w.acct["id"]})
    h.eq(me.get("view_as_account"), w.acct["id"])
    err(w.a.owner.get("/api/v1/me", query={"view_as_account": w.bacct["id"]}), 404)
    err(w.a.owner.get("/api/v1/me", query={"view_as_account": NOWHERE}), 404)
    err(w.a.owner.get("/api/v1/me", query={"view_as_account": "abc"}), 422, field="view_as_account")
    # Contacts cannot view as anyone.
    err(w.c1.get("/api/v1/me", query={"view_as_account": w.acct["id"]}), 403)


h.main()
