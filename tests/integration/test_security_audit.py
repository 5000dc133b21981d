"""Security (issue 13, part 10): the audit log. Logins, failed logins, logouts, session revocations,
password changes, new team members and contacts and firm settings each leave a row with actor and
address, written in the change's transaction; only owners read GET /api/v1/audit, a page at a time
and filtered; the database refuses to change or remove a row; a firm sees its own rows only."""
import uuid

import harness as h
from core_common import err

PROXY = ["--trusted-proxy", "127.0.0.1/32"]
ADDR = "198.51.100.23"


def xff(addr=ADDR):
    return {"X-Forwarded-For": addr, "User-Agent": "audit-test/1.0"}


def login(srv, email, password=h.PASSWORD, addr=ADDR, **extra):
    body = {"email": email, "password": password}
    body.update(extra)
    return srv.client().post("/api/v1/sessions", body, headers=xff(addr))


def rows(owner, **query):
    """Every row of the owner's firm (page by page), newest first."""
    out, cursor = [], None
    while True:
        q = dict(query)
        if cursor:
            q["cursor"] = cursor
        page = owner.must("GET", "/api/v1/audit", query=q)
        out += page["items"]
        cursor = page["next"]
        if not cursor:
            return out


def one(items, kind, **match):
    found = [r for r in items if r["kind"] == kind and all(r.get(k) == v for k, v in match.items())]
    h.ok(found, f"a {kind} row with {match} in {[(r['kind'], r['subject_user_id']) for r in items]}")
    return found[0]


_ctx = None


def ctx():
    """A firm whose owner, an admin, a member and a contact logged in from ADDR; a second firm."""
    global _ctx
    if _ctx is None:
        srv = h.Server(args=PROXY)
        f = h.Firm(srv)
        owner = h.Client(srv, login(srv, f.owner_email).json["token"])
        owner.user = owner.must("GET", "/api/v1/me")
        tag = uuid.uuid4().hex[:8]
        admin_email, member_email = f"admin-{tag}@firm.test", f"member-{tag}@firm.test"
        owner.must("POST", "/api/v1/staff", {"name": f"Ada Admin{tag}", "email": admin_email,
                                             "password": h.PASSWORD, "role": "admin"}, status=201,
                   headers=xff())
        owner.must("POST", "/api/v1/staff", {"name": f"Max Member{tag}", "email": member_email,
                                             "password": h.PASSWORD, "role": "member"}, status=201,
                   headers=xff())
        acc = owner.must("POST", "/api/v1/accounts", {"name": f"Client {tag}"}, status=201)
        contact_email = f"contact-{tag}@client.test"
        owner.must("POST", f"/api/v1/accounts/{acc['id']}/contacts",
                   {"name": f"Carla Client{tag}", "email": contact_email, "password": h.PASSWORD,
                    "portal_access": True, "notify": False}, status=201, headers=xff())
        clients = {}
        for k, e in (("admin", admin_email), ("member", member_email), ("contact", contact_email)):
            r = login(srv, e)
            h.eq(r.status, 201, f"login of {k}")
            clients[k] = h.Client(srv, r.json["token"], r.json["user"])
        other = h.Firm(srv)
        _ctx = (srv, f, owner, clients, other, acc)
    return _ctx


@h.test
def logins_and_failed_logins_are_recorded_with_actor_and_address():
    srv, f, owner, c, other, _ = ctx()
    err(login(srv, f.owner_email, "wrong password!!"), 401, "invalid_credentials")
    # An unknown address belongs to no firm: the throttle counts it, no firm's log shows it.
    err(login(srv, f"nobody-{uuid.uuid4().hex[:6]}@firm.test", "wrong password!!"), 401)
    items = rows(owner)
    ok_row = one(items, "login", subject_user_id=owner.id, address=ADDR)
    h.eq(ok_row["actor_id"], owner.id, "the one logging in is the actor")
    h.eq(ok_row["actor_kind"], "staff")
    h.eq(ok_row["address"], ADDR, "the client's address (through the trusted proxy)")
    h.eq(ok_row["user_agent"], "audit-test/1.0")
    h.ok(ok_row["subject_session_id"], "the new session")
    h.eq(ok_row["details"], {"firm_chosen": False})
    bad = one(items, "login_failed", subject_user_id=owner.id)
    h.eq((bad["actor_id"], bad["actor_kind"], bad["address"]), (None, "anonymous", ADDR))
    h.eq(bad["details"], {"via": "login"})
    h.eq(bad["subject_name"], owner.user["name"], "the subject's name")
    one(items, "login", subject_user_id=c["contact"].id, actor_kind="contact")
    h.ok(all(r["kind"] != "login_failed" or r["subject_user_id"] for r in items), "failures name a user")
    h.ok(all(r["at"].endswith("Z") for r in items), "times are RFC 3339 UTC")


@h.test
def new_staff_contacts_and_the_firm_language_are_recorded():
    srv, f, owner, c, other, acc = ctx()
    owner.must("PATCH", "/api/v1/firm", {"language": "en"}, headers=xff())
    items = rows(owner)
    r = one(items, "staff_added", subject_user_id=c["admin"].id)
    h.eq((r["actor_id"], r["address"], r["details"]), (owner.id, ADDR, {"role": "admin"}))
    one(items, "staff_added", subject_user_id=c["member"].id, details={"role": "member"})
    r = one(items, "contact_added", subject_user_id=c["contact"].id)
    h.eq(r["details"], {"portal_access": True, "account_id": acc["id"]})
    r = one(items, "firm_updated", actor_id=owner.id)
    h.eq(r["details"], {"language": "en"})
    # A refused change leaves no row: the row is written in the change's transaction.
    n = len(rows(owner, type="staff_added"))
    err(c["admin"].post("/api/v1/staff", {"name": "X", "email": c["member"].user["email"],
                                          "password": h.PASSWORD}), 409, "email_taken")
    h.eq(len(rows(owner, type="staff_added")), n, "no row for a refused member")


@h.test
def logout_revocations_and_password_changes_are_recorded():
    srv, f, owner, c, other, _ = ctx()
    email = c["member"].user["email"]
    first = h.Client(srv, login(srv, email).json["token"])
    second = h.Client(srv, login(srv, email).json["token"])
    third = h.Client(srv, login(srv, email).json["token"])
    login(srv, email)  # a fourth, which the password change ends with the first of ctx()
    sid = [s for s in second.must("GET", "/api/v1/sessions")["items"] if s["current"]][0]["id"]
    h.eq(first.delete(f"/api/v1/sessions/{sid}", headers=xff()).status, 204)
    h.eq(third.delete("/api/v1/sessions/current", headers=xff()).status, 204)
    # A wrong current password is a failed login of this user, by this user.
    err(first.post("/api/v1/me/password", {"current_password": "not it at all",
                                           "new_password": "a much longer new password 77"},
                   headers=xff()), 422, "invalid_field")
    r = first.post("/api/v1/me/password", {"current_password": h.PASSWORD,
                                           "new_password": "a much longer new password 77"}, headers=xff())
    h.eq(r.status, 200, f"password change {r!r}")
    revoked = r.json["sessions_revoked"]
    h.ok(revoked >= 2, "the change ended the member's other sessions")
    mid = c["member"].user["id"]
    items = rows(owner, actor=mid)
    r = one(items, "session_revoked", subject_session_id=sid)
    h.eq((r["actor_id"], r["details"], r["address"]), (mid, {"reason": "revoked"}, ADDR))
    one(items, "logout", subject_user_id=mid)
    one(items, "login_failed", subject_user_id=mid, details={"via": "password_change"})
    one(items, "password_changed", subject_user_id=mid, details={"sessions_revoked": revoked})
    by_pw = [x for x in items if x["kind"] == "session_revoked" and x["details"] == {"reason": "password_changed"}]
    h.eq(len(by_pw), revoked, "a row per session the password change ended")
    h.ok(all(x["subject_session_id"] for x in by_pw), "each names its session")
    c["member"] = h.Client(srv, first.token, c["member"].user)


def new_staff(owner, role):
    email = f"s-{uuid.uuid4().hex[:8]}@firm.test"
    sid = owner.must("POST", "/api/v1/staff", {"name": f"Sven {role}", "email": email, "password": h.PASSWORD,
                                               "role": role}, status=201)["id"]
    return email, sid


@h.test
def role_and_access_changes_of_staff_are_recorded():
    srv, f, owner, c, other, _ = ctx()
    email, sid = new_staff(owner, "member")
    session = h.Client(srv, login(srv, email).json["token"])
    r = c["admin"].patch(f"/api/v1/staff/{sid}", {"role": "admin"}, headers=xff())
    h.eq((r.status, r.json["role"], r.json["active"]), (200, "admin", True), repr(r))
    # Nobody gives a role above their own or changes someone above it; another firm's member is 404.
    err(c["admin"].patch(f"/api/v1/staff/{sid}", {"role": "owner"}), 403, "forbidden")
    err(c["admin"].patch(f"/api/v1/staff/{owner.id}", {"name": "Renamed"}), 403, "forbidden")
    err(c["member"].patch(f"/api/v1/staff/{sid}", {"role": "member"}), 403, "forbidden")
    err(other.owner.patch(f"/api/v1/staff/{sid}", {"role": "member"}), 404, "not_found")
    err(owner.patch(f"/api/v1/staff/{sid}", {"role": "boss"}), 422, "invalid_field", field="role")
    # Switched off: its sessions end, it cannot log in; switched on again it can.
    r = owner.patch(f"/api/v1/staff/{sid}", {"active": False}, headers=xff())
    h.eq((r.status, r.json["active"]), (200, False), repr(r))
    err(session.get("/api/v1/me"), 401, "unauthorized")
    err(login(srv, email), 401, "invalid_credentials")
    h.eq(owner.patch(f"/api/v1/staff/{sid}", {"active": True}).status, 200)
    h.eq(login(srv, email).status, 201, "in again")
    # The firm keeps an active owner.
    err(owner.patch(f"/api/v1/staff/{owner.id}", {"role": "admin"}), 409, "last_owner")
    err(owner.patch(f"/api/v1/staff/{owner.id}", {"active": False}), 409, "last_owner")
    items = rows(owner)
    r = one(items, "staff_role_changed", subject_user_id=sid)
    h.eq((r["actor_id"], r["address"], r["details"]), (c["admin"].id, ADDR, {"from": "member", "to": "admin"}))
    r = one(items, "staff_deactivated", subject_user_id=sid)
    h.eq((r["actor_id"], r["details"]), (owner.id, {"sessions_revoked": 1}))
    one(items, "session_revoked", subject_user_id=sid, details={"reason": "deactivated"})
    one(items, "staff_reactivated", subject_user_id=sid, actor_id=owner.id)
    h.eq(len([x for x in items if x["kind"] == "staff_role_changed" and x["subject_user_id"] == sid]), 1,
         "refused changes leave no row")


@h.test
def contacts_access_changes_are_recorded():
    srv, f, owner, c, other, acc = ctx()
    cid = c["contact"].id
    r = c["admin"].patch(f"/api/v1/contacts/{cid}", {"portal_access": False, "notify": True}, headers=xff())
    h.eq((r.status, r.json["portal_access"]), (200, False), repr(r))
    err(c["contact"].get("/api/v1/me"), 401, "unauthorized")
    err(login(srv, c["contact"].user["email"]), 401, "invalid_credentials")
    err(c["member"].patch(f"/api/v1/contacts/{cid}", {"portal_access": True}), 403, "forbidden")
    err(other.owner.patch(f"/api/v1/contacts/{cid}", {"portal_access": True}), 404, "not_found")
    err(owner.patch(f"/api/v1/contacts/{cid}", {"email": owner.user["email"]}), 409, "email_taken")
    err(owner.patch(f"/api/v1/contacts/{cid}", {"email": "no address"}), 422, "invalid_field", field="email")
    h.eq(owner.patch(f"/api/v1/contacts/{cid}", {"notify": False}).status, 200, "no access change")
    r = owner.patch(f"/api/v1/contacts/{cid}", {"portal_access": True}, headers=xff())
    h.eq((r.status, r.json["portal_access"]), (200, True), repr(r))
    h.eq(c["contact"].get("/api/v1/me").status, 401, "the old session stays ended")
    r = login(srv, c["contact"].user["email"])
    h.eq(r.status, 201, "in again")
    c["contact"] = h.Client(srv, r.json["token"], r.json["user"])
    got = [x for x in rows(owner, type="contact_access_changed") if x["subject_user_id"] == cid]
    h.eq([(x["actor_id"], x["details"]) for x in got],
         [(owner.id, {"portal_access": True}), (c["admin"].id, {"portal_access": False, "sessions_revoked": 1})])
    one(rows(owner), "session_revoked", subject_user_id=cid, details={"reason": "access_removed"})


@h.test
def document_downloads_and_the_totp_policy_are_recorded():
    srv, f, owner, c, other, acc = ctx()
    folder = owner.must("POST", f"/api/v1/accounts/{acc['id']}/folders",
                        {"name": "Steuer", "access": "client_view"}, status=201)
    r = owner.post(f"/api/v1/accounts/{acc['id']}/documents", raw=b"Lohnsteuerbescheinigung 2025",
                   query={"name": "lstb.txt", "folder_id": folder["id"]},
                   headers={"Content-Type": "application/octet-stream"})
    h.eq(r.status, 201, r.raw)
    doc = r.json["items"][0]
    got = c["contact"].request("GET", f"/api/v1/documents/{doc['id']}/content", headers=xff())
    h.eq(got.status, 200, got.raw)
    part = c["contact"].request("GET", f"/api/v1/documents/{doc['id']}/content",
                                headers=dict(xff(), Range="bytes=0-3"))
    h.eq(part.status, 206, part.raw)
    items = rows(owner, type="document_downloaded")
    whole = [i for i in items if i["details"] == {"document_id": doc["id"], "name": "lstb.txt"}]
    h.eq(len(whole), 1, f"one row for the whole download: {items}")
    h.eq((whole[0]["actor_id"], whole[0]["address"]), (c["contact"].id, ADDR))
    one(items, "document_downloaded", details={"document_id": doc["id"], "name": "lstb.txt", "from": 0, "to": 3})
    # A document the caller may not see is 404 and leaves no row.
    n = len(items)
    h.eq(c["contact"].request("GET", f"/api/v1/documents/{doc['id'] + 100000}/content").status, 404)
    h.eq(len(rows(owner, type="document_downloaded")), n, "no row for a 404")
    owner.must("PATCH", "/api/v1/firm", {"require_totp": "none"}, headers=xff())
    r = one(rows(owner, type="firm_updated"), "firm_updated", details={"require_totp": "none"})
    h.eq(r["actor_id"], owner.id)


@h.test
def only_owners_read_the_log():
    srv, f, owner, c, other, _ = ctx()
    h.eq(owner.get("/api/v1/audit").status, 200)
    for k in ("admin", "member", "contact"):
        err(c[k].get("/api/v1/audit"), 403, "forbidden", what=k)
    err(srv.client().get("/api/v1/audit"), 401, "unauthorized")


@h.test
def pages_put_together_are_the_whole_log():
    srv, f, owner, c, other, _ = ctx()
    for _ in range(7):
        login(srv, f.owner_email)
    whole = owner.must("GET", "/api/v1/audit", query={"limit": 200})
    h.eq(whole["next"], None, "one page holds it all")
    paged = rows(owner, limit=3)
    h.eq([r["id"] for r in paged], [r["id"] for r in whole["items"]], "page by page equals all")
    ids = [r["id"] for r in paged]
    h.eq(ids, sorted(ids, reverse=True), "newest first")
    err(owner.get("/api/v1/audit", query={"cursor": "knot-a-cursor"}), 422, "invalid_field")


@h.test
def filters_by_kind_actor_and_time():
    srv, f, owner, c, other, _ = ctx()
    items = rows(owner)
    logins = rows(owner, type="login")
    h.eq([r["id"] for r in logins], [r["id"] for r in items if r["kind"] == "login"], "type")
    mine = rows(owner, actor=owner.id)
    h.eq([r["id"] for r in mine], [r["id"] for r in items if r["actor_id"] == owner.id], "actor")
    # A time range: between two rows' times, bounds as RFC 3339 with an offset or Z.
    times = sorted({r["at"] for r in items})
    lo, hi = times[1], times[-1]
    got = rows(owner, since=lo, until=hi)
    want = [r["id"] for r in items if lo <= r["at"] < hi]
    h.eq([r["id"] for r in got], want, "since (inclusive) and until (exclusive)")
    h.eq(rows(owner, since="2100-01-01T00:00:00+01:00"), [], "nothing in the future")
    h.eq(len(rows(owner, until="2000-01-01")), 0, "nothing before 2000")
    h.eq(len(rows(other.owner, type="document_downloaded")), 0, "a known kind, no rows in the other firm")


@h.test
def bad_filters_are_422_naming_the_field():
    srv, f, owner, c, other, _ = ctx()
    for q, field in (({"type": "drop_tables"}, "type"), ({"actor": "me"}, "actor"), ({"actor": "0"}, "actor"),
                     ({"since": "yesterday"}, "since"), ({"since": "2026-02-30"}, "since"),
                     ({"until": "2026-12-02T25:00:00Z"}, "until"), ({"until": "2026-12-02T10:00:00"}, "until"),
                     ({"since": "2026-12-02T10:00:00Zjunk"}, "since")):
        err(owner.get("/api/v1/audit", query=q), 422, "invalid_field", field=field, what=str(q))


@h.test
def the_database_refuses_to_change_or_remove_a_row():
    srv, f, owner, c, other, _ = ctx()
    n = srv.db.sql("SELECT count(*) FROM audit_log")
    for stmt in ("UPDATE audit_log SET kind = 'login' WHERE id = (SELECT min(id) FROM audit_log)",
                 "UPDATE audit_log SET details = '{}'",
                 "DELETE FROM audit_log",
                 "TRUNCATE audit_log"):
        try:
            srv.db.sql(stmt)
        except h.Failure as e:
            h.ok("append-only" in str(e), f"{stmt}: {e}")
        else:
            raise h.Failure(f"{stmt} was allowed")
    h.eq(srv.db.sql("SELECT count(*) FROM audit_log"), n, "every row still there")
    try:
        srv.db.sql("INSERT INTO audit_log (firm_id, actor_kind, kind) VALUES (1, 'anonymous', 'made_up')")
    except h.Failure:
        pass
    else:
        raise h.Failure("a kind outside the list was stored")


@h.test
def a_firm_sees_only_its_own_rows():
    srv, f, owner, c, other, _ = ctx()
    canary = f"Canary Otherfirm{uuid.uuid4().hex[:6]}"
    other.owner.must("POST", "/api/v1/staff", {"name": canary, "email": f"x-{uuid.uuid4().hex[:6]}@firm.test",
                                               "password": h.PASSWORD, "role": "admin"}, status=201)
    err(login(srv, other.owner_email, "wrong password!!"), 401)
    r = owner.get("/api/v1/audit", query={"limit": 200})
    h.eq(r.status, 200)
    h.ok(canary not in r.raw and other.owner_email not in r.raw, "nothing of the other firm")
    oid = other.owner.must("GET", "/api/v1/me")["id"]
    h.ok(all(x["subject_user_id"] != oid and x["actor_id"] != oid for x in r.json["items"]), "no other ids")
    theirs = rows(other.owner)
    one(theirs, "staff_added", subject_name=canary)
    one(theirs, "login_failed", subject_user_id=oid)
    h.eq(rows(other.owner, actor=owner.id), [], "another firm's actor filter finds nothing")


h.main()
