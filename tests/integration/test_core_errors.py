"""Core: the error cases of every route -- malformed JSON, wrong types, oversized bodies, media types,
unknown routes and methods, other tenants' ids, and the test clock."""
import http.client
import json
import socket
import uuid

import harness as h
from core_common import err, world, fill, routes, CORE_ROUTES, NOWHERE

MIB = 1024 * 1024


def tag():
    return uuid.uuid4().hex[:8]


_fx = None


def fx():
    """World plus objects of every kind in both firms: thread (with a task), template."""
    global _fx
    if _fx is None:
        w = world()
        w.t = w.a.thread(w.acct["id"], tasks=[{"title": "A task"}])
        w.t2 = w.a.thread(w.acct2["id"], tasks=[{"title": "Other account's task"}])
        w.tx = w.b.thread(w.bacct["id"], tasks=[{"title": "Other firm's task"}])
        w.tpl = w.a.owner.must("POST", "/api/v1/templates", {"name": f"Mine {tag()}", "body": "b"}, status=201)
        w.tplx = w.b.owner.must("POST", "/api/v1/templates", {"name": f"Theirs {tag()}", "body": "b"}, status=201)
        _fx = w
    return _fx


def good_bodies(w):
    """(method, path, a body that succeeds) for every core route that reads a JSON body."""
    return [
        ("POST", "/api/v1/sessions", {"email": w.a.owner_email, "password": h.PASSWORD}),
        ("POST", "/api/v1/staff", {"name": "S", "email": f"s-{tag()}@firm.test", "password": h.PASSWORD}),
        ("POST", "/api/v1/accounts", {"name": f"Acct {tag()}"}),
        ("POST", f"/api/v1/accounts/{w.acct2['id']}/contacts", {"name": "C", "email": f"c-{tag()}@x.test"}),
        ("POST", "/api/v1/templates", {"name": f"Tpl {tag()}"}),
        ("PATCH", f"/api/v1/templates/{w.tpl['id']}", {"subject": "s"}),
        ("POST", "/api/v1/threads", {"account_id": w.acct["id"], "body": "b"}),
        ("PATCH", f"/api/v1/threads/{w.t['id']}", {"archived": False}),
        ("POST", f"/api/v1/threads/{w.t['id']}/messages", {"body": "b"}),
        ("POST", f"/api/v1/threads/{w.t['id']}/read", {"up_to_message_id": w.t["last_message_id"]}),
        ("PATCH", f"/api/v1/tasks/{w.t['tasks'][0]['id']}", {"done": False}),
        ("POST", "/api/v1/test/clock", {"advance_seconds": 0}),
    ]


@h.test
def body_routes_are_all_covered():
    w = fx()
    covered = set()
    for method, path, _ in good_bodies(w):
        for m, pattern in CORE_ROUTES:
            if m == method and fill(pattern, "X").count("/") == path.count("/") and all(
                    a == b or a == "X" for a, b in zip(fill(pattern, "X").split("/"), path.split("/"))):
                covered.add((m, pattern))
    want = {(m, p) for m, p in CORE_ROUTES if m in ("POST", "PATCH", "PUT")}
    h.eq(want - covered, set(), "core body routes without a test body")
    listed = {(m, p) for m, p, _ in routes()}
    h.eq(CORE_ROUTES - listed, set(), "core routes missing from --list-routes")


@h.test
def good_bodies_succeed():
    w = fx()
    for method, path, body in good_bodies(w):
        r = w.a.owner.request(method, path, body=body)
        h.ok(200 <= r.status < 300, f"{method} {path}: {r!r}")


@h.test
def malformed_json_is_400_everywhere():
    w = fx()
    bad = [b'{"a":', b"{'a': 1}", b'{"a": 1} trailing', b'{"a": 1}{"b": 2}', b'{"a": [1,]}', b'{"a": 01}',
           b'{"a": "\xff\xfe"}', b"", b"   ", b'{"a": "x\x00"}',
           b'{"a": ' + b"[" * 100 + b"]" * 100 + b"}", b'{"a" 1}', b"{,}", b'{"a": tru}']
    for method, path, _ in good_bodies(w):
        for raw in bad:
            r = w.a.owner.request(method, path, raw=raw, headers={"Content-Type": "application/json"})
            err(r, 400, what=f"{method} {path} with {raw[:30]!r}")


@h.test
def non_object_bodies_are_refused():
    w = fx()
    for method, path, _ in good_bodies(w):
        for raw in (b"[]", b'"text"', b"42", b"null", b"true"):
            r = w.a.owner.request(method, path, raw=raw, headers={"Content-Type": "application/json"})
            err(r, 422, "invalid_body", what=f"{method} {path} with {raw!r}")


@h.test
def oversized_strings_are_refused_not_crashing():
    w = fx()
    big = "x" * (300 * 1024)
    for method, path, body in good_bodies(w):
        r = w.a.owner.request(method, path, body=dict(body, huge=big))
        h.ok(r.status in (400, 413, 422), f"{method} {path}: {r!r}")
        err(r, r.status)


@h.test
def no_field_value_makes_a_server_error():
    w = fx()
    weird = [None, True, 0, -1, 1.5, 2 ** 63, -(2 ** 63) - 1, 10 ** 30, "", " ", "x" * 600, "\u0000", "💥" * 50,
             [], [1, "a", None], {}, {"nested": {"deeper": [{}]}}]
    for method, path, body in good_bodies(w):
        if path == "/api/v1/test/clock":
            continue  # moving the shared clock would disturb the other tests
        slow = path in ("/api/v1/sessions", "/api/v1/staff")  # a password hash per success
        for field in list(body) + ([] if slow else ["reminders", "tasks", "document_ids", "internal", "template_id"]):
            for value in weird:
                if isinstance(value, str) and (field == "password" or slow):
                    continue  # a password hash per try: too slow for a sweep, and strings are checked above
                r = w.a.owner.request(method, path, body=dict(body, **{field: value}))
                h.ok(r.status < 500, f"{method} {path} with {field}={value!r:.40}: {r!r}")
                if r.status >= 400:
                    err(r, r.status)
    h.eq(w.a.owner.get("/api/v1/me").status, 200, "still serving")


@h.test
def wrong_media_type_is_415():
    w = fx()
    for method, path, body in good_bodies(w):
        raw = json.dumps(body).encode()
        for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                      "application/jsonx", "text/json", None):
            headers = {"Content-Type": ctype} if ctype else {}
            r = w.a.owner.request(method, path, raw=raw, headers=headers)
            err(r, 415, what=f"{method} {path} as {ctype}")
    # These are JSON.
    for ctype in ("application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"):
        r = w.a.owner.request("POST", "/api/v1/accounts", raw=json.dumps({"name": f"CT {tag()}"}).encode(),
                              headers={"Content-Type": ctype})
        h.eq(r.status, 201, f"{ctype}: {r!r}")


def padded(body, size):
    raw = json.dumps(body).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


@h.test
def bodies_over_1_mib_are_413():
    w = fx()
    before = int(w.srv.db.sql("SELECT count(*) FROM messages"))
    for method, path, body in good_bodies(w):
        r = w.a.owner.request(method, path, raw=padded(body, MIB + 1), headers={"Content-Type": "application/json"})
        err(r, 413, what=f"{method} {path}")
        # Even without a token the body is refused for its size, not read.
        r = w.srv.client().request(method, path, raw=padded(body, 2 * MIB),
                                   headers={"Content-Type": "application/json"})
        err(r, 413, what=f"{method} {path} anonymous")
    h.eq(int(w.srv.db.sql("SELECT count(*) FROM messages")), before, "nothing stored")
    # Exactly 1 MiB is still fine.
    r = w.a.owner.request("POST", f"/api/v1/threads/{w.t['id']}/messages", raw=padded({"body": "at the limit"}, MIB),
                          headers={"Content-Type": "application/json"})
    h.eq(r.status, 201, f"a body of exactly 1 MiB: {r!r}")
    # The server still answers on new connections afterwards.
    h.eq(w.a.owner.get("/api/v1/me").status, 200)


@h.test
def a_huge_declared_body_is_refused_before_it_is_sent():
    w = fx()
    s = socket.create_connection(("127.0.0.1", w.srv.port), timeout=30)
    try:
        s.sendall(f"POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {w.a.owner.token}\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {200 * MIB}\r\n\r\n".encode())
        s.sendall(b'{"name": "')  # a start, and then nothing more
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        h.ok(data.startswith(b"HTTP/1.1 413"), f"413 without waiting for 200 MiB: {data[:100]!r}")
    finally:
        s.close()
    h.eq(w.a.owner.get("/api/v1/me").status, 200, "still serving")


@h.test
def max_body_is_configurable():
    srv = h.Server(env={"FOLIO_MAX_BODY": "1000"})
    f = h.Firm(srv)
    a = f.account()
    f.contact(a["id"], login=False)
    t = f.thread(a["id"])
    path = f"/api/v1/threads/{t['id']}/messages"
    ok = f.owner.request("POST", path, raw=padded({"body": "fits"}, 1000), headers={"Content-Type": "application/json"})
    h.eq(ok.status, 201, f"1000 bytes: {ok!r}")
    r = f.owner.request("POST", path, raw=padded({"body": "too big"}, 1001), headers={"Content-Type": "application/json"})
    err(r, 413)
    err(f.owner.post("/api/v1/accounts", {"name": "n" * 1200}), 413)
    h.eq(len(f.owner.must("GET", path)["items"]), 2, "nothing stored by the refusal")
    srv.stop()


@h.test
def unknown_routes_are_404_and_wrong_methods_405():
    w = fx()
    o = w.a.owner
    for path in ("/", "/api", "/api/v1", "/api/v1/nope", "/api/v2/me", "/api/v1/threads/1/nope",
                 "/api/v1/threads/abc", "/api/v1/threads/0", "/api/v1/threads/-1", "/api/v1/threads/1.5",
                 "/api/v1/accounts/1/contacts/1", "/API/V1/ME"):
        err(o.get(path), 404, what=path)
        err(w.srv.client().get(path), 404, what=f"anonymous {path}")
    for path in ("/api/v1/threads/99999999999999999999", "/api/v1/threads/9223372036854775807/messages",
                 "/api/v1/accounts/18446744073709551617"):
        err(o.get(path), 404, what=path)
    for method, path in (("PUT", "/api/v1/me"), ("DELETE", "/api/v1/threads"), ("POST", "/healthz"),
                         ("PUT", "/api/v1/sessions"), ("PATCH", f"/api/v1/accounts/{w.acct['id']}"),
                         ("GET", f"/api/v1/tasks/{w.t['tasks'][0]['id']}"), ("DELETE", f"/api/v1/threads/{w.t['id']}"),
                         ("PUT", f"/api/v1/threads/{w.t['id']}"), ("GET", f"/api/v1/threads/{w.t['id']}/read"),
                         ("DELETE", "/api/v1/sessions"), ("GET", "/api/v1/sessions/current")):
        err(o.request(method, path), 405, what=f"{method} {path}")
    h.eq(o.must("GET", f"/api/v1/threads/{w.t['id']}")["archived"], False, "DELETE did nothing")


@h.test
def one_connection_serves_many_requests_and_errors():
    w = fx()
    conn = http.client.HTTPConnection("127.0.0.1", w.srv.port, timeout=30)
    hd = {"Authorization": "Bearer " + w.a.owner.token, "Content-Type": "application/json"}
    try:
        for method, path, raw, status in (
                ("GET", "/api/v1/me", None, 200),
                ("POST", "/api/v1/accounts", json.dumps({"name": f"KA {tag()}"}).encode(), 201),
                ("GET", "/api/v1/nope", None, 404),
                ("POST", "/api/v1/accounts", b'{"name":', 400),
                ("POST", "/api/v1/accounts", b'{"name": 5}', 422),
                ("PUT", "/api/v1/me", None, 405),
                ("GET", f"/api/v1/threads/{w.tx['id']}", None, 404),
                ("GET", "/api/v1/accounts", None, 200)):
            conn.request(method, path, body=raw, headers=hd)
            r = conn.getresponse()
            data = r.read()
            h.eq(r.status, status, f"{method} {path} on a kept connection: {data[:200]!r}")
            h.eq(r.getheader("content-type"), "application/json; charset=utf-8", "content type")
            json.loads(data)
    finally:
        conn.close()


def id_routes(w, mine):
    """(method, pattern, id, body) for every core route with an {id}, aimed at the objects in mine."""
    return [
        ("GET", "/api/v1/accounts/{id}", mine["account"], None),
        ("POST", "/api/v1/accounts/{id}/contacts", mine["account"], {"name": "Intruder", "email": None}),
        ("GET", "/api/v1/templates/{id}", mine["template"], None),
        ("PATCH", "/api/v1/templates/{id}", mine["template"], {"name": "Hijacked"}),
        ("DELETE", "/api/v1/templates/{id}", mine["template"], None),
        ("GET", "/api/v1/threads/{id}", mine["thread"], None),
        ("PATCH", "/api/v1/threads/{id}", mine["thread"], {"archived": True}),
        ("GET", "/api/v1/threads/{id}/messages", mine["thread"], None),
        ("POST", "/api/v1/threads/{id}/messages", mine["thread"], {"body": "intruder"}),
        ("POST", "/api/v1/threads/{id}/read", mine["thread"], {"up_to_message_id": NOWHERE}),
        ("PATCH", "/api/v1/tasks/{id}", mine["task"], {"done": True}),
    ]


def check_hidden(w, who, objs, label):
    covered = set()
    for method, pattern, ident, body in id_routes(w, objs):
        covered.add((method, pattern))
        if body and "email" in body:
            body = dict(body, email=f"intruder-{tag()}@x.test")
        r = who.request(method, fill(pattern, ident), body=body)
        missing = who.request(method, fill(pattern, NOWHERE), body=body)
        h.ok(r.status in (403, 404), f"{label}: {method} {pattern}: {r!r}")
        if r.status == 403:
            # A role refusal is the same for every id, so it tells nothing either.
            h.eq(missing.status, 403, f"{label}: {method} {pattern}: 403 whatever the id")
        else:
            err(r, 404, what=f"{label}: {method} {pattern}")
        h.eq((r.status, r.json), (missing.status, missing.json), f"{label}: {method} {pattern} same as missing")
    want = {(m, p) for m, p in CORE_ROUTES if "{id}" in p}
    h.eq(want - covered, set(), "every {id} route is checked")


@h.test
def another_firms_ids_are_404_like_missing_ones():
    w = fx()
    theirs = {"account": w.bacct["id"], "template": w.tplx["id"], "thread": w.tx["id"],
              "task": w.tx["tasks"][0]["id"]}
    check_hidden(w, w.a.owner, theirs, "staff of firm A on firm B")
    check_hidden(w, w.c1, theirs, "contact of firm A on firm B")
    m = w.a.staff("member")
    check_hidden(w, m, theirs, "member of firm A on firm B")
    # Firm B is untouched.
    tx = w.b.owner.must("GET", f"/api/v1/threads/{w.tx['id']}")
    h.eq((tx["archived"], tx["last_message_id"], tx["tasks"][0]["done"]),
         (False, w.tx["last_message_id"], False), "firm B's thread unchanged")
    h.eq(w.b.owner.must("GET", f"/api/v1/templates/{w.tplx['id']}")["name"], w.tplx["name"])
    h.eq(len(w.b.owner.must("GET", f"/api/v1/accounts/{w.bacct['id']}")["contacts"]), 1)


@h.test
def another_accounts_ids_are_404_for_a_contact():
    w = fx()
    other = {"account": w.acct2["id"], "template": w.tpl["id"], "thread": w.t2["id"],
             "task": w.t2["tasks"][0]["id"]}
    check_hidden(w, w.c1, other, "contact on another account")
    t2 = w.a.owner.must("GET", f"/api/v1/threads/{w.t2['id']}")
    h.eq((t2["last_message_id"], t2["tasks"][0]["done"]), (w.t2["last_message_id"], False), "unchanged")


@h.test
def filters_and_query_arguments_are_checked():
    w = fx()
    o = w.a.owner
    for q, field in (({"account_id": "x"}, "account_id"), ({"account_id": "-2"}, "account_id"),
                     ({"archived": "maybe"}, "archived"), ({"unread": "yes"}, "unread"),
                     ({"assigned_to": "everyone"}, "assigned_to"), ({"waiting_on": "godot"}, "waiting_on"),
                     ({"sort": "random"}, "sort"), ({"limit": "many"}, "limit"), ({"cursor": "-5"}, "cursor")):
        err(o.get("/api/v1/threads", query=q), 422, field=field, what=str(q))
    for q, field in (({"unread": "1"}, "unread"), ({"sort": "size"}, "sort"), ({"limit": "0"}, "limit")):
        err(o.get("/api/v1/accounts", query=q), 422, field=field, what=str(q))
    err(o.get("/api/v1/templates", query={"limit": "-1"}), 422, field="limit")
    # Unknown query arguments are ignored.
    h.eq(o.get("/api/v1/threads", query={"colour": "blue"}).status, 200)


@h.test
def test_clock_needs_the_flag():
    srv = h.Server(args=["--test-clock=0"])
    f = h.Firm(srv)
    r = f.owner.post("/api/v1/test/clock", {"advance_seconds": 60})
    err(r, 404)
    h.eq(r.json, f.owner.get("/api/v1/no-such-route").json, "like a route that does not exist")
    h.eq(srv.db.sql("SELECT offset_seconds FROM clock"), "0", "the clock did not move")
    srv.stop()


@h.test
def test_clock_is_for_owners_and_moves_now():
    srv = h.Server()
    f = h.Firm(srv)
    a = f.account()
    c = f.contact(a["id"])
    t = f.thread(a["id"])
    for who in (f.staff("member"), f.staff("admin"), c):
        err(who.post("/api/v1/test/clock", {"advance_seconds": 60}), 403)
    err(f.owner.post("/api/v1/test/clock", {"advance_seconds": "60"}), 422, field="advance_seconds")
    err(f.owner.post("/api/v1/test/clock", {"advance_seconds": -60}), 422, field="advance_seconds")
    err(f.owner.post("/api/v1/test/clock", {}), 422, field="advance_seconds")
    r = srv.advance(40 * 86400, f.owner)
    h.eq(r["offset_seconds"], 40 * 86400)
    m = f.owner.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "later"}, status=201)
    h.ok(m["created_at"][:10] > t["last_message_at"][:10], f"{m['created_at']} is 40 days after {t['last_message_at']}")
    # Sessions live in real time: a clock jump logs nobody out.
    h.eq(c.get("/api/v1/me").status, 200)
    srv.stop()


h.main()
