"""Security (issue 13, part 7): two factors. TOTP (RFC 6238) per user with one-time recovery codes:
enrol, confirm, the code at login (401 totp_required / totp_invalid, no session), replay refused,
recovery codes used once, new recovery codes, switching it off; wrong codes count in the login
back-off; the firm's policy (require_totp: staff, clients, all) leaves a user without TOTP a session
that may only enrol; an owner resets a lost phone; other firms are untouched.

The codes are computed from the base32 secret with hmac/sha1 (tests/lib/totpcodes.py), not with liboath."""
import base64
import time
import urllib.parse

import websocket

import harness as h
from core_common import err
from totpcodes import Codes, totp

PROXY = ["--trusted-proxy", "127.0.0.1/32"]


def login(srv, email, password=h.PASSWORD, xff=None, **extra):
    body = {"email": email, "password": password}
    body.update(extra)
    return srv.client().post("/api/v1/sessions", body, headers={"X-Forwarded-For": xff} if xff else None)


def enrol(c):
    """Switches TOTP on for client c; returns (Codes, recovery codes)."""
    b = c.must("POST", "/api/v1/me/totp")
    codes = Codes(b["secret"])
    r = c.must("POST", "/api/v1/me/totp/confirm", {"code": codes.next()})
    h.eq(r["enabled"], True)
    return codes, r["recovery_codes"]


def sessions(srv, user_id):
    return int(srv.db.sql(f"SELECT count(*) FROM sessions WHERE user_id = {user_id}"))


def failures(srv, email):
    return int(srv.db.sql(f"SELECT count(*) FROM login_failures WHERE lower(email) = lower('{email}')"))


@h.test
def the_tests_own_codes_follow_rfc_6238():
    # RFC 6238, appendix B: the SHA-1 key "12345678901234567890" at T = 59 s gives 94287082.
    h.eq(totp(base64.b32encode(b"12345678901234567890").decode(), 59 // 30), "287082")


@h.test
def enrol_log_in_with_a_code_replay_recovery_codes_and_off_again():
    srv = h.server()
    f = h.Firm(srv)
    m = f.staff()
    email = m.user["email"]
    h.eq(m.must("GET", "/api/v1/me/totp")["enabled"], False)
    b = m.must("POST", "/api/v1/me/totp")
    h.ok(len(base64.b32decode(b["secret"] + "=" * (-len(b["secret"]) % 8))) == 20, "a 20-byte secret")
    uri = urllib.parse.urlparse(b["otpauth_uri"])
    q = urllib.parse.parse_qs(uri.query)
    h.eq((uri.scheme, uri.netloc), ("otpauth", "totp"))
    h.eq(q["secret"], [b["secret"]])
    h.eq(q["issuer"], [f"Folio ({f.name})"])
    h.ok(email in urllib.parse.unquote(uri.path), f"the account in the label: {uri.path}")
    # A second begin replaces the pending secret; the first one's codes no longer confirm.
    first = Codes(b["secret"])
    b = m.must("POST", "/api/v1/me/totp")
    codes = Codes(b["secret"])
    err(m.post("/api/v1/me/totp/confirm", {"code": first.wrong()}), 422, "totp_invalid")
    err(m.post("/api/v1/me/totp/confirm", {"code": codes.wrong()}), 422, "totp_invalid")
    err(m.post("/api/v1/me/totp/confirm", {"code": "12 34"}), 422, "totp_invalid")
    err(m.post("/api/v1/me/totp/confirm", {}), 422, field="code")
    h.eq(m.must("GET", "/api/v1/me/totp")["enabled"], False, "wrong codes switch nothing on")
    r = m.must("POST", "/api/v1/me/totp/confirm", {"code": codes.next()})
    h.eq((r["enabled"], r["recovery_codes_left"], len(set(r["recovery_codes"]))), (True, 10, 10))
    rc = r["recovery_codes"]
    err(m.post("/api/v1/me/totp"), 409, "totp_already_enabled")
    err(m.post("/api/v1/me/totp/confirm", {"code": codes.next()}), 409, "totp_already_enabled")
    # The password alone: 401 totp_required, no session, and no failure counted (the client asks).
    n, fails = sessions(srv, m.id), failures(srv, email)
    err(login(srv, email), 401, "totp_required")
    h.eq((sessions(srv, m.id), failures(srv, email)), (n, fails), "no session, no failure")
    # A wrong code: 401 totp_invalid, no session, a failure.
    err(login(srv, email, totp=codes.wrong()), 401, "totp_invalid")
    h.eq((sessions(srv, m.id), failures(srv, email)), (n, fails + 1), "no session, one failure")
    # A wrong password with a right code is a wrong password.
    err(login(srv, email, "wrong password!", totp=codes.next()), 401, "invalid_credentials")
    code = codes.next()
    r = login(srv, email, totp=code)
    h.eq(r.status, 201, f"the password and a code: {r!r}")
    h.eq(sessions(srv, m.id), n + 1)
    err(login(srv, email, totp=code), 401, "totp_invalid", what="the same code again (replay)")
    # A recovery code, once (case, spaces and dashes do not matter).
    used = rc[0].upper().replace("-", " ")
    h.eq(login(srv, email, totp=used).status, 201, "a recovery code")
    err(login(srv, email, totp=rc[0]), 401, "totp_invalid", what="a used recovery code")
    h.eq(m.must("GET", "/api/v1/me/totp")["recovery_codes_left"], 9)
    h.eq(failures(srv, email), fails + 4, "wrong, replayed and used codes all count")
    srv.db.sql(f"DELETE FROM login_failures WHERE lower(email) = lower('{email}')")  # the back-off: below
    # New recovery codes need a code; the old ones end.
    err(m.post("/api/v1/me/totp/recovery-codes", {"code": codes.wrong()}), 422, "totp_invalid")
    err(m.post("/api/v1/me/totp/recovery-codes", {"code": rc[1]}), 422, "totp_invalid",
        what="a recovery code does not make new ones")
    r = m.must("POST", "/api/v1/me/totp/recovery-codes", {"code": codes.next()})
    h.eq((len(r["recovery_codes"]), r["recovery_codes_left"]), (10, 10))
    h.ok(not set(r["recovery_codes"]) & set(rc), "all new")
    err(login(srv, email, totp=rc[2]), 401, "totp_invalid", what="an old recovery code")
    h.eq(login(srv, email, totp=r["recovery_codes"][0]).status, 201, "a new recovery code")
    # Off: the password and a code, or nothing changes.
    err(m.post("/api/v1/me/totp/disable", {"password": h.PASSWORD}), 422, field="code")
    err(m.post("/api/v1/me/totp/disable", {"password": "not my password", "code": codes.next()}), 422,
        "invalid_field", field="password")
    err(m.post("/api/v1/me/totp/disable", {"password": h.PASSWORD, "code": codes.wrong()}), 422,
        "totp_invalid")
    h.eq(m.must("GET", "/api/v1/me/totp")["enabled"], True, "still on")
    r = m.must("POST", "/api/v1/me/totp/disable", {"password": h.PASSWORD, "code": codes.next()})
    h.eq((r["enabled"], r["recovery_codes_left"]), (False, 0))
    h.eq(login(srv, email).status, 201, "the password alone again")
    err(m.post("/api/v1/me/totp/disable", {"password": h.PASSWORD, "code": "123456"}), 409,
        "totp_not_enabled")
    h.eq(srv.db.sql(f"SELECT count(*) FROM user_totp WHERE user_id = {m.id}"), "0", "the secret is gone")
    kinds = [r["kind"] for r in f.owner.must("GET", "/api/v1/audit", query={"actor": m.id, "limit": 200})["items"]
             if r["kind"].startswith("totp_")]
    h.eq(kinds, ["totp_disabled", "totp_recovery_codes_renewed", "totp_enabled"], "the audit log, newest first")


@h.test
def wrong_codes_count_in_the_login_back_off():
    srv = h.Server(args=PROXY)
    f = h.Firm(srv)
    codes, _ = enrol(f.owner)
    a = "198.51.100.44"
    for _ in range(5):
        err(login(srv, f.owner_email, xff=a, totp=codes.wrong()), 401, "totp_invalid")
    err(login(srv, f.owner_email, xff=a, totp=codes.next()), 429, "too_many_attempts",
        what="the right code after five wrong ones from this address")
    h.eq(login(srv, f.owner_email, xff="198.51.100.45", totp=codes.next()).status, 201,
         "another address gets in")
    srv.stop()


@h.test
def the_firm_policy_leaves_a_session_that_may_only_enrol():
    srv = h.server()
    f, other = h.Firm(srv), h.Firm(srv)
    acc = f.account()
    contact = f.contact(acc["id"])
    m = f.staff()
    other_member = other.staff()
    h.eq(f.owner.must("GET", "/api/v1/firm")["require_totp"], "none")
    err(f.owner.patch("/api/v1/firm", {"require_totp": "sometimes"}), 422, field="require_totp")
    err(m.patch("/api/v1/firm", {"require_totp": "none"}), 403, "forbidden")
    h.eq(f.owner.must("PATCH", "/api/v1/firm", {"require_totp": "staff"})["require_totp"], "staff")
    # Staff without TOTP -- the owner too, with the session that set it -- may only enrol.
    for c in (m, f.owner):
        err(c.get("/api/v1/threads"), 403, "totp_enrolment_required")
        h.eq(c.get("/api/v1/me").status, 200)
        h.eq(c.must("GET", "/api/v1/me/totp")["required"], True)
    err(m.patch("/api/v1/firm", {"require_totp": "none"}), 403, "totp_enrolment_required")
    err(m.get("/api/v1/events?wait=0"), 403, "totp_enrolment_required", what="the event stream")
    h.eq(m.must("GET", "/api/v1/me/totp")["enabled"], False)
    r = login(srv, m.user["email"])
    h.eq((r.status, r.json.get("totp_enrolment_required")), (201, True), f"a login that must enrol: {r!r}")
    # Contacts and the other firm are not covered.
    h.eq(contact.get("/api/v1/threads").status, 200, "a contact is not covered by \"staff\"")
    h.eq(other_member.get("/api/v1/threads").status, 200, "another firm is untouched")
    h.eq(other.owner.must("GET", "/api/v1/firm")["require_totp"], "none")
    # Enrolled, the same session may do everything again; switching it off is refused.
    codes, _ = enrol(m)
    h.eq(m.get("/api/v1/threads").status, 200, "enrolled")
    err(m.post("/api/v1/me/totp/disable", {"password": h.PASSWORD, "code": codes.next()}), 409,
        "totp_required_by_firm")
    owner_codes, _ = enrol(f.owner)
    # Clients: the contact must enrol, staff without TOTP may not need to.
    f.owner.must("PATCH", "/api/v1/firm", {"require_totp": "clients"})
    err(contact.get("/api/v1/threads"), 403, "totp_enrolment_required")
    admin = f.staff("admin")
    h.eq(admin.get("/api/v1/threads").status, 200, "staff are not covered by \"clients\"")
    # All: both.
    f.owner.must("PATCH", "/api/v1/firm", {"require_totp": "all"})
    err(admin.get("/api/v1/threads"), 403, "totp_enrolment_required")
    enrol(contact)
    h.eq(contact.get("/api/v1/threads").status, 200, "an enrolled contact")
    h.eq(other_member.get("/api/v1/threads").status, 200, "another firm is still untouched")
    # None again: nobody is held.
    f.owner.must("PATCH", "/api/v1/firm", {"require_totp": "none"})
    h.eq(admin.get("/api/v1/threads").status, 200)
    h.eq(f.owner.must("POST", "/api/v1/me/totp/disable",
                      {"password": h.PASSWORD, "code": owner_codes.next()})["enabled"], False)


@h.test
def a_stream_opened_before_the_policy_ends_with_it():
    """Streams are checked again every --event-ping-seconds: one opened before the owner required
    two factors is closed (4401), as a new one is refused."""
    srv = h.Server(args=["--event-ping-seconds", "1"])
    f = h.Firm(srv)
    m = f.staff()
    ws = websocket.create_connection(f"ws://127.0.0.1:{srv.port}/api/v1/events",
                                     header=["Authorization: Bearer " + m.token], timeout=30)
    ws.ping()
    f.owner.must("PATCH", "/api/v1/firm", {"require_totp": "staff"})
    code = None
    deadline = time.monotonic() + 30
    while code is None and time.monotonic() < deadline:
        try:
            op, frame = ws.recv_data_frame(True)
        except (websocket.WebSocketConnectionClosedException, OSError):
            break
        if op == websocket.ABNF.OPCODE_CLOSE:
            code = int.from_bytes(frame.data[:2], "big")
    h.eq(code, 4401, "the open stream is closed")
    ws.close()


@h.test
def an_owner_resets_a_lost_phone():
    srv = h.server()
    f, other = h.Firm(srv), h.Firm(srv)
    m = f.staff()
    admin = f.staff("admin")
    acc = f.account()
    contact = f.contact(acc["id"])
    enrol(m)
    enrol(contact)
    other_codes, _ = enrol(other.owner)
    err(admin.delete(f"/api/v1/staff/{m.id}/totp"), 403, "forbidden", what="an admin may not reset")
    err(m.delete(f"/api/v1/staff/{admin.id}/totp"), 403, "forbidden")
    err(other.owner.delete(f"/api/v1/staff/{m.id}/totp"), 404, "not_found", what="another firm's owner")
    err(f.owner.delete(f"/api/v1/staff/{contact.id}/totp"), 404, "not_found", what="a contact is no team member")
    err(f.owner.delete(f"/api/v1/staff/{f.owner.id}/totp"), 409, "own_totp")
    h.eq(f.owner.delete(f"/api/v1/staff/{m.id}/totp").status, 204)
    err(m.get("/api/v1/me"), 401, "unauthorized", what="the reset ends the member's sessions")
    h.eq(login(srv, m.user["email"]).status, 201, "the password alone again")
    err(login(srv, contact.user["email"]), 401, "totp_required", what="the contact still has TOTP")
    h.eq(f.owner.delete(f"/api/v1/contacts/{contact.id}/totp").status, 204)
    h.eq(login(srv, contact.user["email"]).status, 201, "the contact's reset")
    # The other firm's owner still has TOTP.
    err(login(srv, other.owner_email), 401, "totp_required")
    h.eq(login(srv, other.owner_email, totp=other_codes.next()).status, 201)
    # The audit log holds each switch-on and each reset, in its own firm only.
    log = f.owner.must("GET", "/api/v1/audit", query={"limit": 200})["items"]
    on = {(r["actor_id"], r["subject_user_id"]) for r in log if r["kind"] == "totp_enabled"}
    h.ok({(m.id, m.id), (contact.id, contact.id)} <= on, f"totp_enabled rows: {on}")
    reset = {(r["actor_id"], r["subject_user_id"]) for r in log if r["kind"] == "totp_reset"}
    h.eq(reset, {(f.owner.id, m.id), (f.owner.id, contact.id)}, "totp_reset rows")
    h.ok(all(r["subject_user_id"] != other.owner.id for r in log), "nothing of the other firm")


h.main()
