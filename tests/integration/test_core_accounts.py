"""Core: team members, client accounts, contacts and message templates."""
import uuid

import harness as h
from core_common import err, ts, world, NOWHERE


def tag():
    return uuid.uuid4().hex[:8]


# --- staff ---------------------------------------------------------------------------------------------

@h.test
def staff_list_shows_the_firm_only():
    w = world()
    items = w.a.owner.must("GET", "/api/v1/staff")["items"]
    ids = {s["id"] for s in items}
    h.ok(w.a.owner.id in ids, "the owner is listed")
    h.ok(w.b.owner.id not in ids, "another firm's owner is not")
    for s in items:
        h.ok({"id", "name", "email", "role"} <= set(s), f"staff keys {s}")
        h.ok(s["role"] in ("owner", "admin", "member"), "role")
    r = w.a.owner.must("GET", "/api/v1/staff")
    h.ok("next" in r and r["next"] is None, "a list answers next")


@h.test
def member_may_list_but_not_add_staff():
    w = world()
    m = w.a.staff("member")
    h.ok(any(s["id"] == m.id for s in m.must("GET", "/api/v1/staff")["items"]), "member sees the team")
    r = m.post("/api/v1/staff", {"name": "Nope", "email": f"nope-{tag()}@firm.test", "password": h.PASSWORD,
                                 "role": "member"})
    err(r, 403, "forbidden")


@h.test
def admin_adds_members_and_admins_but_not_owners():
    w = world()
    adm = w.a.staff("admin")
    for role in ("member", "admin"):
        email = f"by-admin-{role}-{tag()}@firm.test"
        s = adm.must("POST", "/api/v1/staff", {"name": f"New {role}", "email": email, "password": h.PASSWORD,
                                               "role": role}, status=201)
        h.eq(s["role"], role)
        h.eq(s["email"], email)
        h.ok(isinstance(s["id"], int), "id")
        h.ok("password" not in s and "password_hash" not in s, "no password in the answer")
        h.eq(w.srv.login(email, h.PASSWORD).user["kind"], "staff")
    err(adm.post("/api/v1/staff", {"name": "Boss", "email": f"boss-{tag()}@firm.test", "password": h.PASSWORD,
                                   "role": "owner"}), 403)


@h.test
def owner_adds_any_role_and_member_is_the_default():
    w = world()
    s = w.a.owner.must("POST", "/api/v1/staff", {"name": "Co Owner", "email": f"co-{tag()}@firm.test",
                                                 "password": h.PASSWORD, "role": "owner"}, status=201)
    h.eq(s["role"], "owner")
    s = w.a.owner.must("POST", "/api/v1/staff", {"name": "Default Role", "email": f"def-{tag()}@firm.test",
                                                 "password": h.PASSWORD}, status=201)
    h.eq(s["role"], "member")
    listed = {x["id"]: x for x in w.a.owner.must("GET", "/api/v1/staff")["items"]}
    h.eq(listed[s["id"]]["role"], "member")


@h.test
def contacts_may_not_see_or_add_staff():
    w = world()
    err(w.c1.get("/api/v1/staff"), 403)
    err(w.c1.post("/api/v1/staff", {"name": "X", "email": f"x-{tag()}@firm.test", "password": h.PASSWORD}), 403)


@h.test
def staff_create_checks_its_fields():
    w = world()
    o = w.a.owner
    good = {"name": "Valid", "email": f"v-{tag()}@firm.test", "password": h.PASSWORD, "role": "member"}
    for field, bad in (("name", 5), ("email", ["a"]), ("password", 123), ("role", True)):
        err(o.post("/api/v1/staff", dict(good, **{field: bad})), 422, field=field)
    for field in ("name", "email", "password"):
        body = dict(good)
        del body[field]
        err(o.post("/api/v1/staff", body), 422, field=field)
    err(o.post("/api/v1/staff", dict(good, role="boss")), 422, field="role")
    err(o.post("/api/v1/staff", dict(good, email="not-an-email")), 422, field="email")
    err(o.post("/api/v1/staff", dict(good, password="short")), 422, field="password")
    err(o.post("/api/v1/staff", dict(good, name="")), 422, field="name")
    err(o.post("/api/v1/staff", dict(good, email=w.a.owner_email.upper())), 409)
    # An email used in another firm is not taken: addresses are unique per firm, and a 409 would tell
    # that another firm uses it (its own password here, so the login of b's owner stays unambiguous).
    h.eq(o.post("/api/v1/staff", dict(good, email=w.b.owner_email, password="another " + h.PASSWORD)).status,
         201, "another firm's address")


# --- accounts ------------------------------------------------------------------------------------------

@h.test
def account_create_answers_201_with_the_account():
    w = world()
    name = f"Müller & Söhne GmbH {tag()}"
    a = w.a.owner.must("POST", "/api/v1/accounts", {"name": name, "ignored": {"x": 1}}, status=201)
    h.eq(a["name"], name)
    h.ok(isinstance(a["id"], int) and a["id"] > 0, "id")
    h.eq(a["unread_count"], 0)
    ts(a["created_at"], "created_at")
    got = w.a.owner.must("GET", f"/api/v1/accounts/{a['id']}")
    h.eq(got["name"], name)
    h.eq(got["contacts"], [])


@h.test
def member_creates_accounts_contacts_cannot():
    w = world()
    m = w.a.staff("member")
    m.must("POST", "/api/v1/accounts", {"name": f"By member {tag()}"}, status=201)
    err(w.c1.post("/api/v1/accounts", {"name": f"By contact {tag()}"}), 403)


@h.test
def account_names_are_unique_per_firm_ignoring_case():
    w = world()
    name = f"Unique Co {tag()}"
    w.a.owner.must("POST", "/api/v1/accounts", {"name": name}, status=201)
    err(w.a.owner.post("/api/v1/accounts", {"name": name.upper()}), 409)
    w.b.owner.must("POST", "/api/v1/accounts", {"name": name}, status=201)


@h.test
def account_create_checks_its_fields():
    w = world()
    err(w.a.owner.post("/api/v1/accounts", {}), 422, field="name")
    err(w.a.owner.post("/api/v1/accounts", {"name": 7}), 422, field="name")
    err(w.a.owner.post("/api/v1/accounts", {"name": None}), 422, field="name")
    err(w.a.owner.post("/api/v1/accounts", {"name": ""}), 422, field="name")
    err(w.a.owner.post("/api/v1/accounts", {"name": "x" * 5000}), 422, field="name")


@h.test
def account_search_folds_as_german_is_typed():
    srv = h.server()
    f = h.Firm(srv)
    t = tag()
    mueller, strasse, oe = (f.account(n)["id"] for n in (f"Müller GmbH {t}", f"Straße {t}", f"Öl & Co {t}"))
    f.account(f"Muster {t}")
    for q, want in (("müller", mueller), ("MÜLLER", mueller), ("Mueller", mueller), ("muller", mueller),
                    ("strasse", strasse), ("STRASSE", strasse), ("straße", strasse), ("oel", oe), ("öl &", oe)):
        got = [a["id"] for a in f.owner.must("GET", "/api/v1/accounts", query={"q": q})["items"]]
        h.eq(got, [want], f"q={q!r}")
    h.eq(len(f.owner.must("GET", "/api/v1/accounts", query={"q": f"mus"})["items"]), 1, "plain ASCII")


@h.test
def account_list_filters_by_name_and_pages():
    srv = h.server()
    f = h.Firm(srv)
    t = tag()
    names = [f"Alpha {t}", f"alphabet {t}", f"Beta {t}", f"Gamma {t}", f"Delta {t}"]
    ids = {n: f.account(n)["id"] for n in names}
    items = f.owner.must("GET", "/api/v1/accounts", query={"q": "ALPHA"})["items"]
    h.eq(sorted(a["name"] for a in items), sorted([f"Alpha {t}", f"alphabet {t}"]))
    items = f.owner.must("GET", "/api/v1/accounts", query={"q": f"ta {t}"})["items"]
    h.eq(sorted(a["name"] for a in items), sorted([f"Beta {t}", f"Delta {t}"]))
    h.eq(f.owner.must("GET", "/api/v1/accounts", query={"q": "no such name"})["items"], [])
    # Paging: all five, two at a time, no duplicates, then next is null.
    seen, cursor, pages = [], None, 0
    while True:
        q = {"limit": 2}
        if cursor:
            q["cursor"] = cursor
        page = f.owner.must("GET", "/api/v1/accounts", query=q)
        h.ok(len(page["items"]) <= 2, "limit respected")
        seen += [a["id"] for a in page["items"]]
        cursor = page["next"]
        pages += 1
        if cursor is None:
            break
        h.ok(pages < 10, "paging ends")
    h.eq(sorted(seen), sorted(ids.values()))
    # Sorted by name when asked.
    by_name = f.owner.must("GET", "/api/v1/accounts", query={"sort": "name"})["items"]
    h.eq([a["name"] for a in by_name], sorted(names, key=str.lower))
    for a in by_name:
        h.ok({"id", "name", "unread_count"} <= set(a), f"account keys {a}")


@h.test
def account_get_has_contacts_and_is_404_outside():
    w = world()
    a = w.a.owner.must("GET", f"/api/v1/accounts/{w.acct['id']}")
    h.eq(a["id"], w.acct["id"])
    emails = {c["email"] for c in a["contacts"]}
    h.ok({w.c1.user["email"], w.c2.user["email"]} <= emails, "its contacts")
    h.ok(w.d1.user["email"] not in emails, "not another account's contacts")
    for c in a["contacts"]:
        h.ok({"id", "name", "email", "portal_access", "notify"} <= set(c), f"contact keys {c}")
        h.ok("password_hash" not in c, "no password hash")
    # Another firm's account and a missing one answer the same 404.
    other = w.a.owner.get(f"/api/v1/accounts/{w.bacct['id']}")
    missing = w.a.owner.get(f"/api/v1/accounts/{NOWHERE}")
    err(other, 404)
    h.eq(other.json, missing.json, "no difference between another firm's and a missing account")


@h.test
def contact_sees_only_its_own_account():
    w = world()
    items = w.c1.must("GET", "/api/v1/accounts")["items"]
    h.eq([a["id"] for a in items], [w.acct["id"]])
    h.eq(w.c1.must("GET", f"/api/v1/accounts/{w.acct['id']}")["id"], w.acct["id"])
    other = w.c1.get(f"/api/v1/accounts/{w.acct2['id']}")
    err(other, 404)
    h.eq(other.json, w.c1.get(f"/api/v1/accounts/{NOWHERE}").json, "same as a missing account")
    err(w.c1.get(f"/api/v1/accounts/{w.bacct['id']}"), 404)
    h.eq(w.c1.must("GET", "/api/v1/accounts", query={"q": w.acct2["name"]})["items"], [])


@h.test
def staff_see_every_account_of_the_firm_only():
    w = world()
    m = w.a.staff("member")
    ids = {a["id"] for a in m.must("GET", "/api/v1/accounts", query={"limit": 200})["items"]}
    h.ok({w.acct["id"], w.acct2["id"]} <= ids, "both accounts")
    h.ok(w.bacct["id"] not in ids, "not another firm's")


# --- contacts ------------------------------------------------------------------------------------------

@h.test
def contact_create_answers_201_with_defaults():
    w = world()
    a = w.a.account()
    email = f"Anna.Beispiel-{tag()}@Client.test"
    c = w.a.owner.must("POST", f"/api/v1/accounts/{a['id']}/contacts", {"name": "Anna Beispiel", "email": email},
                       status=201)
    h.eq(c["name"], "Anna Beispiel")
    h.eq(c["email"], email)
    h.eq(c["account_id"], a["id"])
    h.eq(c["portal_access"], False, "portal_access defaults to false")
    h.eq(c["notify"], True, "notify defaults to true")
    h.ok("password_hash" not in c, "no hash")
    c2 = w.a.owner.must("POST", f"/api/v1/accounts/{a['id']}/contacts",
                        {"name": "Bert", "email": f"bert-{tag()}@client.test", "password": h.PASSWORD,
                         "portal_access": True, "notify": False}, status=201)
    h.eq((c2["portal_access"], c2["notify"]), (True, False))
    got = w.a.owner.must("GET", f"/api/v1/accounts/{a['id']}")
    h.eq(sorted(x["id"] for x in got["contacts"]), sorted([c["id"], c2["id"]]))
    # The new contact with portal access logs in and lands in its account.
    h.eq(w.srv.login(c2["email"], h.PASSWORD).user["account_id"], a["id"])


@h.test
def member_adds_contacts_contact_cannot():
    w = world()
    m = w.a.staff("member")
    m.must("POST", f"/api/v1/accounts/{w.acct2['id']}/contacts",
           {"name": "Via Member", "email": f"vm-{tag()}@client.test"}, status=201)
    err(w.c1.post(f"/api/v1/accounts/{w.acct['id']}/contacts",
                  {"name": "Via Contact", "email": f"vc-{tag()}@client.test"}), 403)


@h.test
def contact_create_checks_fields_and_account():
    w = world()
    o = w.a.owner
    path = f"/api/v1/accounts/{w.acct2['id']}/contacts"
    good = {"name": "Checked", "email": f"chk-{tag()}@client.test", "password": h.PASSWORD,
            "portal_access": True, "notify": True}
    for field, bad in (("name", 1), ("email", 2), ("password", 3), ("portal_access", "yes"), ("notify", 1)):
        err(o.post(path, dict(good, **{field: bad})), 422, field=field)
    for field in ("name", "email"):
        body = dict(good)
        del body[field]
        err(o.post(path, body), 422, field=field)
    err(o.post(path, dict(good, email="nope")), 422, field="email")
    err(o.post(path, dict(good, password="short")), 422, field="password")
    err(o.post(path, dict(good, email=w.c1.user["email"])), 409)
    err(o.post(path, dict(good, email=w.a.owner_email)), 409)
    # Another firm's account, a missing one: the same 404, and nothing stored.
    other = o.post(f"/api/v1/accounts/{w.bacct['id']}/contacts", dict(good, email=f"x-{tag()}@client.test"))
    missing = o.post(f"/api/v1/accounts/{NOWHERE}/contacts", dict(good, email=f"y-{tag()}@client.test"))
    err(other, 404)
    h.eq(other.json, missing.json, "same 404")
    n = w.srv.db.sql(f"SELECT count(*) FROM contacts WHERE account_id = {w.bacct['id']}")
    h.eq(int(n), 1, "nothing added to the other firm's account")


# --- templates -----------------------------------------------------------------------------------------

@h.test
def template_crud():
    w = world()
    o = w.a.owner
    name = f"Jahresabschluss {tag()}"
    t = o.must("POST", "/api/v1/templates", {"name": name, "subject": "Unterlagen für {{account.name}}",
                                              "body": "Hallo {{contact.first_name}}, bitte ..."}, status=201)
    h.ok(isinstance(t["id"], int), "id")
    h.eq(t["name"], name)
    h.eq(t["subject"], "Unterlagen für {{account.name}}")
    h.eq(t["body"], "Hallo {{contact.first_name}}, bitte ...")
    h.eq(t["reminders"], {"enabled": False, "interval_days": 3, "max_count": 1})
    h.eq(o.must("GET", f"/api/v1/templates/{t['id']}"), t)
    # PATCH changes only what it names.
    p = o.must("PATCH", f"/api/v1/templates/{t['id']}", {"subject": "Neu"}, status=200)
    h.eq(p["subject"], "Neu")
    h.eq(p["name"], name)
    h.eq(p["body"], t["body"])
    p = o.must("PATCH", f"/api/v1/templates/{t['id']}", {"reminders": {"enabled": True, "interval_days": 7}},
               status=200)
    h.eq(p["reminders"], {"enabled": True, "interval_days": 7, "max_count": 1})
    h.eq(p["subject"], "Neu")
    h.eq(o.must("GET", f"/api/v1/templates/{t['id']}")["reminders"]["interval_days"], 7)
    # DELETE, then it is gone.
    r = o.delete(f"/api/v1/templates/{t['id']}")
    h.eq(r.status, 204, f"delete {r!r}")
    err(o.get(f"/api/v1/templates/{t['id']}"), 404)
    err(o.delete(f"/api/v1/templates/{t['id']}"), 404)
    err(o.patch(f"/api/v1/templates/{t['id']}", {"subject": "x"}), 404)


@h.test
def template_list_is_sorted_by_name_and_pages():
    srv = h.server()
    f = h.Firm(srv)
    for n in ("b template", "A template", "c template"):
        f.owner.must("POST", "/api/v1/templates", {"name": n, "body": "x"}, status=201)
    page = f.owner.must("GET", "/api/v1/templates")
    h.eq([t["name"] for t in page["items"]], ["A template", "b template", "c template"])
    h.eq(page["next"], None)
    p1 = f.owner.must("GET", "/api/v1/templates", query={"limit": 2})
    h.eq(len(p1["items"]), 2)
    h.ok(p1["next"] is not None, "next after a full page")
    p2 = f.owner.must("GET", "/api/v1/templates", query={"limit": 2, "cursor": p1["next"]})
    h.eq([t["name"] for t in p2["items"]], ["c template"])
    h.eq(p2["next"], None)


@h.test
def template_names_are_unique_per_firm():
    w = world()
    name = f"Dup {tag()}"
    t = w.a.owner.must("POST", "/api/v1/templates", {"name": name}, status=201)
    h.eq((t["subject"], t["body"]), ("", ""))
    err(w.a.owner.post("/api/v1/templates", {"name": name.lower()}), 409)
    other = w.a.owner.must("POST", "/api/v1/templates", {"name": f"Other {tag()}"}, status=201)
    err(w.a.owner.patch(f"/api/v1/templates/{other['id']}", {"name": name}), 409)
    w.b.owner.must("POST", "/api/v1/templates", {"name": name}, status=201)


@h.test
def template_fields_are_checked():
    w = world()
    o = w.a.owner
    err(o.post("/api/v1/templates", {"subject": "no name"}), 422, field="name")
    err(o.post("/api/v1/templates", {"name": ""}), 422, field="name")
    for field, bad in (("name", 1), ("subject", 2), ("body", ["x"])):
        err(o.post("/api/v1/templates", {"name": f"T {tag()}", field: bad} if field != "name" else {field: bad}),
            422, field=field)
    base = {"name": f"R {tag()}"}
    err(o.post("/api/v1/templates", dict(base, reminders="on")), 422, field="reminders")
    err(o.post("/api/v1/templates", dict(base, reminders={"enabled": "yes"})), 422, field="enabled")
    err(o.post("/api/v1/templates", dict(base, reminders={"interval_days": "3"})), 422, field="interval_days")
    err(o.post("/api/v1/templates", dict(base, reminders={"interval_days": 0})), 422, field="interval_days")
    err(o.post("/api/v1/templates", dict(base, reminders={"max_count": 1.5})), 422, field="max_count")
    t = o.must("POST", "/api/v1/templates", base, status=201)
    err(o.patch(f"/api/v1/templates/{t['id']}", {"name": ""}), 422, field="name")
    err(o.patch(f"/api/v1/templates/{t['id']}", {"body": 5}), 422, field="body")
    err(o.patch(f"/api/v1/templates/{t['id']}", {"reminders": []}), 422, field="reminders")
    h.eq(o.must("GET", f"/api/v1/templates/{t['id']}")["name"], base["name"], "unchanged after refusals")


@h.test
def templates_are_staff_only_and_firm_private():
    w = world()
    t = w.b.owner.must("POST", "/api/v1/templates", {"name": f"Secret {tag()}", "body": "B only"}, status=201)
    # Contacts: 403 on every template route.
    err(w.c1.get("/api/v1/templates"), 403)
    err(w.c1.post("/api/v1/templates", {"name": "x"}), 403)
    err(w.c1.get(f"/api/v1/templates/{t['id']}"), 403)
    err(w.c1.patch(f"/api/v1/templates/{t['id']}", {"name": "x"}), 403)
    err(w.c1.delete(f"/api/v1/templates/{t['id']}"), 403)
    # Another firm: 404, the same as a missing template, and untouched.
    o = w.a.owner
    h.ok(all(x["id"] != t["id"] for x in o.must("GET", "/api/v1/templates", query={"limit": 200})["items"]),
         "not listed")
    for method, body in (("GET", None), ("PATCH", {"name": "Hijacked"}), ("DELETE", None)):
        other = o.request(method, f"/api/v1/templates/{t['id']}", body=body)
        missing = o.request(method, f"/api/v1/templates/{NOWHERE}", body=body)
        err(other, 404, what=method)
        h.eq(other.json, missing.json, f"{method}: same 404 as a missing template")
    h.eq(w.b.owner.must("GET", f"/api/v1/templates/{t['id']}")["name"], t["name"], "untouched")
    # A member may use templates.
    m = w.a.staff("member")
    m.must("POST", "/api/v1/templates", {"name": f"Member's {tag()}"}, status=201)


h.main()
