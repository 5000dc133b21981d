"""Core: threads -- new chats, the list and its filters, one thread, archive/reopen/assign, tasks,
templates in new chats, the no_portal_access rule and viewing as a client."""
import threading
import uuid

import harness as h
from core_common import err, ts, world, count, NOWHERE, THREAD_KEYS, MESSAGE_KEYS


def tag():
    return uuid.uuid4().hex[:8]


def ids(items):
    return [t["id"] for t in items]


def listing(client, **query):
    query.setdefault("limit", 200)
    return client.must("GET", "/api/v1/threads", query=query)["items"]


# --- new chats -----------------------------------------------------------------------------------------

@h.test
def new_chat_answers_201_with_the_thread():
    w = world()
    t = w.a.owner.must("POST", "/api/v1/threads", {"account_id": w.acct["id"], "subject": "Belege März",
                                                   "body": "Bitte schicken Sie die **Belege**."}, status=201)
    h.ok(THREAD_KEYS <= set(t), f"thread keys missing: {THREAD_KEYS - set(t)}")
    h.ok(isinstance(t["id"], int), "id")
    h.eq(t["subject"], "Belege März")
    h.eq(t["account_id"], w.acct["id"])
    h.eq(t["archived"], False)
    h.eq(t["unread_count"], 0, "the author has read its own chat")
    h.eq(t["tasks"], [])
    h.eq(t["assignee_id"], None)
    h.eq(t["waiting_on"], "client")
    ts(t["last_message_at"], "last_message_at")
    ts(t["waiting_since"], "waiting_since")
    h.eq(t["reminders"]["enabled"], False)
    h.eq(t["reminders"]["interval_days"], 3)
    h.eq(t["reminders"]["max_count"], 1)
    msgs = w.a.owner.must("GET", f"/api/v1/threads/{t['id']}/messages")["items"]
    h.eq(len(msgs), 1)
    h.ok(MESSAGE_KEYS <= set(msgs[0]), "message keys")
    h.eq(msgs[0]["body"], "Bitte schicken Sie die **Belege**.")
    h.eq(msgs[0]["id"], t["last_message_id"])
    h.eq(w.a.owner.must("GET", f"/api/v1/threads/{t['id']}"), t)
    # The contacts see it, unread.
    seen = w.c1.must("GET", f"/api/v1/threads/{t['id']}")
    h.eq(seen["unread_count"], 1)
    h.eq(seen["subject"], "Belege März")


@h.test
def new_chat_takes_reminders_and_tasks():
    w = world()
    t = w.a.owner.must("POST", "/api/v1/threads", {
        "account_id": w.acct["id"], "subject": "Steuer", "body": "Bitte erledigen:",
        "reminders": {"enabled": True, "interval_days": 5, "max_count": 2},
        "tasks": [{"title": "Kontoauszüge hochladen"}, {"title": "Vollmacht unterschreiben"}]}, status=201)
    h.eq(t["reminders"]["enabled"], True)
    h.eq(t["reminders"]["interval_days"], 5)
    h.eq(t["reminders"]["max_count"], 2)
    h.eq([k["title"] for k in t["tasks"]], ["Kontoauszüge hochladen", "Vollmacht unterschreiben"])
    for k in t["tasks"]:
        h.eq(set(k) >= {"id", "title", "done"}, True, "task keys")
        h.eq(k["done"], False)
    # Reminders on with only "enabled" given take the defaults.
    t2 = w.a.owner.must("POST", "/api/v1/threads", {"account_id": w.acct["id"], "body": "x",
                                                    "reminders": {"enabled": True}}, status=201)
    h.eq((t2["reminders"]["enabled"], t2["reminders"]["interval_days"], t2["reminders"]["max_count"]),
         (True, 3, 1))


@h.test
def new_chat_without_subject_takes_the_first_line():
    w = world()
    t = w.a.owner.must("POST", "/api/v1/threads", {"account_id": w.acct["id"],
                                                   "body": "Kurze Frage zur Umsatzsteuer\n\nDetails folgen."},
                       status=201)
    h.eq(t["subject"], "Kurze Frage zur Umsatzsteuer")
    long = "Ä" * 300
    t = w.a.owner.must("POST", "/api/v1/threads", {"account_id": w.acct["id"], "body": long}, status=201)
    h.ok(0 < len(t["subject"]) <= 300 and long.startswith(t["subject"]), "a cut subject, whole characters")


@h.test
def new_chat_checks_its_fields():
    w = world()
    o = w.a.owner
    a = w.acct["id"]
    before = count(w.srv, "SELECT count(*) FROM threads")
    err(o.post("/api/v1/threads", {"body": "no account"}), 422, field="account_id")
    err(o.post("/api/v1/threads", {"account_id": str(a), "body": "x"}), 422, field="account_id")
    err(o.post("/api/v1/threads", {"account_id": 1.5, "body": "x"}), 422, field="account_id")
    err(o.post("/api/v1/threads", {"account_id": a}), 422, field="body")
    err(o.post("/api/v1/threads", {"account_id": a, "body": ""}), 422, field="body")
    err(o.post("/api/v1/threads", {"account_id": a, "body": "\n  \n"}), 422, field="body")
    err(o.post("/api/v1/threads", {"account_id": a, "body": 5}), 422, field="body")
    err(o.post("/api/v1/threads", {"account_id": a, "body": "x", "subject": 5}), 422, field="subject")
    err(o.post("/api/v1/threads", {"account_id": a, "body": "x", "subject": "s" * 501}), 422, field="subject")
    err(o.post("/api/v1/threads", {"account_id": a, "body": "x", "template_id": "1"}), 422, field="template_id")
    err(o.post("/api/v1/threads", {"account_id": a, "body": "x", "client_msg_id": 7}), 422, field="client_msg_id")
    err(o.post("/api/v1/threads", {"account_id": a, "body": "x", "reminders": True}), 422, field="reminders")
    err(o.post("/api/v1/threads", {"account_id": a, "body": "x", "reminders": {"enabled": 1}}), 422,
        field="enabled")
    err(o.post("/api/v1/threads", {"account_id": a, "body": "x", "reminders": {"interval_days": 0}}), 422,
        field="interval_days")
    err(o.post("/api/v1/threads", {"account_id": a, "body": "x", "reminders": {"max_count": "2"}}), 422,
        field="max_count")
    err(o.post("/api/v1/threads", {"account_id": a, "body": "x", "tasks": "do it"}), 422, field="tasks")
    err(o.post("/api/v1/threads", {"account_id": a, "body": "x", "tasks": ["do it"]}), 422, field="tasks")
    err(o.post("/api/v1/threads", {"account_id": a, "body": "x", "tasks": [{"title": 3}]}), 422, field="title")
    err(o.post("/api/v1/threads", {"account_id": a, "body": "x", "tasks": [{}]}), 422, field="title")
    err(o.post("/api/v1/threads", {"account_id": a, "body": "x", "document_ids": "1"}), 422, field="document_ids")
    h.eq(count(w.srv, "SELECT count(*) FROM threads"), before, "nothing stored by a refused chat")


@h.test
def new_chat_for_another_firm_or_missing_account_is_404():
    w = world()
    other = w.a.owner.post("/api/v1/threads", {"account_id": w.bacct["id"], "body": "hi"})
    missing = w.a.owner.post("/api/v1/threads", {"account_id": NOWHERE, "body": "hi"})
    err(other, 404)
    h.eq(other.json, missing.json, "same answer")
    h.eq(count(w.srv, f"SELECT count(*) FROM threads WHERE account_id = {w.bacct['id']}"), 0, "nothing stored")


@h.test
def no_portal_access_rule():
    w = world()
    a = w.a.account()
    r = w.a.owner.post("/api/v1/threads", {"account_id": a["id"], "body": "Hallo?"})
    err(r, 409, "no_portal_access", what="account without contacts")
    w.a.contact(a["id"], portal_access=False)
    err(w.a.owner.post("/api/v1/threads", {"account_id": a["id"], "body": "Hallo?"}), 409, "no_portal_access")
    h.eq(count(w.srv, f"SELECT count(*) FROM threads WHERE account_id = {a['id']}"), 0, "nothing stored")
    w.a.contact(a["id"], portal_access=True, login=False)
    w.a.owner.must("POST", "/api/v1/threads", {"account_id": a["id"], "body": "Hallo!"}, status=201)


@h.test
def contact_opens_a_chat_for_its_own_account():
    w = world()
    t = w.c1.must("POST", "/api/v1/threads", {"subject": "Frage", "body": "Wann ist die Frist?"}, status=201)
    h.eq(t["account_id"], w.acct["id"])
    h.eq(t["waiting_on"], "firm")
    h.eq(t["unread_count"], 0)
    t2 = w.c1.must("POST", "/api/v1/threads", {"account_id": w.acct["id"], "body": "Noch eine"}, status=201)
    h.eq(t2["account_id"], w.acct["id"])
    staff_view = w.a.owner.must("GET", f"/api/v1/threads/{t['id']}")
    h.eq(staff_view["unread_count"], 1)
    h.eq(staff_view["waiting_on"], "firm")
    h.eq(w.c2.must("GET", f"/api/v1/threads/{t['id']}")["unread_count"], 1, "the other contact has it unread")
    # Not for another account of the firm, not for another firm, and no templates or reminders.
    err(w.c1.post("/api/v1/threads", {"account_id": w.acct2["id"], "body": "x"}), 404)
    err(w.c1.post("/api/v1/threads", {"account_id": w.bacct["id"], "body": "x"}), 404)
    err(w.c1.post("/api/v1/threads", {"body": "x", "reminders": {"enabled": True}}), 403)
    tpl = w.a.owner.must("POST", "/api/v1/templates", {"name": f"T {tag()}", "body": "b"}, status=201)
    err(w.c1.post("/api/v1/threads", {"body": "x", "template_id": tpl["id"]}), 403)


@h.test
def new_chat_from_a_template_fills_placeholders():
    srv = h.server()
    f = h.Firm(srv, name=f"Kanzlei Schmidt {tag()}")
    a = f.account(f"Bäckerei Klein {tag()}")
    f.contact(a["id"], name="Maria Klein", login=False)
    tpl = f.owner.must("POST", "/api/v1/templates", {
        "name": "Jahresabschluss", "subject": "Jahresabschluss {{account.name}}",
        "body": "Hallo {{contact.first_name}},\nIhre {{firm.name}}",
        "reminders": {"enabled": True, "interval_days": 4, "max_count": 3}}, status=201)
    t = f.owner.must("POST", "/api/v1/threads", {"account_id": a["id"], "template_id": tpl["id"]}, status=201)
    h.eq(t["subject"], f"Jahresabschluss {a['name']}")
    h.eq((t["reminders"]["enabled"], t["reminders"]["interval_days"], t["reminders"]["max_count"]), (True, 4, 3))
    body = f.owner.must("GET", f"/api/v1/threads/{t['id']}/messages")["items"][0]["body"]
    h.eq(body, f"Hallo Maria,\nIhre {f.name}")
    # What the request gives wins over the template.
    t = f.owner.must("POST", "/api/v1/threads", {"account_id": a["id"], "template_id": tpl["id"],
                                                 "subject": "Eigener Betreff", "body": "Eigener Text",
                                                 "reminders": {"enabled": False}}, status=201)
    h.eq(t["subject"], "Eigener Betreff")
    h.eq(t["reminders"]["enabled"], False)
    h.eq(f.owner.must("GET", f"/api/v1/threads/{t['id']}/messages")["items"][0]["body"], "Eigener Text")
    # A template of another firm is no template, and answers like a missing one.
    g = h.Firm(srv)
    other = g.owner.must("POST", "/api/v1/templates", {"name": "Theirs", "body": "secret"}, status=201)
    r1 = f.owner.post("/api/v1/threads", {"account_id": a["id"], "template_id": other["id"]})
    r2 = f.owner.post("/api/v1/threads", {"account_id": a["id"], "template_id": NOWHERE})
    h.ok(r1.status in (404, 422), f"another firm's template refused: {r1!r}")
    h.eq((r1.status, r1.json), (r2.status, r2.json), "same answer as a missing template")


@h.test
def new_chat_client_msg_id_is_idempotent():
    w = world()
    cmid = f"chat-{tag()}"
    body = {"account_id": w.acct["id"], "subject": "Once", "body": "only once", "client_msg_id": cmid}
    t1 = w.a.owner.must("POST", "/api/v1/threads", body, status=201)
    r = w.a.owner.post("/api/v1/threads", body)
    h.eq(r.status, 200, f"replay {r!r}")
    h.eq(r.json["id"], t1["id"])
    h.eq(count(w.srv, f"SELECT count(*) FROM messages WHERE client_msg_id = '{cmid}'"), 1)
    h.eq(count(w.srv, f"SELECT count(*) FROM threads WHERE subject = 'Once' AND account_id = {w.acct['id']}"), 1)
    # The same id posted as a reply elsewhere is a conflict.
    t2 = w.a.thread(w.acct["id"])
    err(w.a.owner.post(f"/api/v1/threads/{t2['id']}/messages", {"body": "y", "client_msg_id": cmid}), 409)
    # Scoped to its author: another user may use the same id.
    c = w.c1.must("POST", "/api/v1/threads", {"body": "mine", "client_msg_id": cmid}, status=201)
    h.ok(c["id"] != t1["id"], "a new thread for another author")
    # A reply's id reused for a new chat is a conflict too.
    cm2 = f"reply-{tag()}"
    w.a.owner.must("POST", f"/api/v1/threads/{t2['id']}/messages", {"body": "r", "client_msg_id": cm2}, status=201)
    err(w.a.owner.post("/api/v1/threads", {"account_id": w.acct["id"], "body": "z", "client_msg_id": cm2}), 409)


@h.test
def concurrent_new_chats_with_one_client_msg_id_make_one_thread():
    w = world()
    for round_ in range(6):
        cmid = f"race-{round_}-{tag()}"
        body = {"account_id": w.acct2["id"], "subject": cmid, "body": "race", "client_msg_id": cmid}
        results = []
        barrier = threading.Barrier(3)

        def go():
            barrier.wait()
            results.append(w.a.owner.post("/api/v1/threads", body))

        workers = [threading.Thread(target=go) for _ in range(3)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        statuses = sorted(r.status for r in results)
        h.eq(statuses, [200, 200, 201], f"round {round_}: {results!r}")
        h.eq(len({r.json["id"] for r in results}), 1, "one thread id for all")
        h.eq(count(w.srv, f"SELECT count(*) FROM threads WHERE subject = '{cmid}'"), 1)


# --- the list and its filters --------------------------------------------------------------------------

@h.test
def list_shape_and_visibility():
    w = world()
    ta = w.a.thread(w.acct["id"])
    tb = w.a.thread(w.acct2["id"])
    tx = w.b.thread(w.bacct["id"])
    page = w.a.owner.must("GET", "/api/v1/threads", query={"limit": 200})
    h.ok("next" in page, "next")
    got = ids(page["items"])
    h.ok(ta["id"] in got and tb["id"] in got, "staff see all accounts")
    h.ok(tx["id"] not in got, "never another firm's")
    for t in page["items"]:
        h.ok(THREAD_KEYS <= set(t), f"keys of {t['id']}")
    c = ids(listing(w.c1))
    h.ok(ta["id"] in c and tb["id"] not in c and tx["id"] not in c, "a contact sees its account only")
    h.ok(all(t["account_id"] == w.acct["id"] for t in listing(w.c1)), "only its account")
    # Asking for another account is an empty list for a contact, not a leak.
    h.eq(listing(w.c1, account_id=w.acct2["id"]), [])
    h.eq(listing(w.a.owner, account_id=w.bacct["id"]), [])


@h.test
def list_filters_by_account_and_sorts_newest_first():
    srv = h.server()
    f = h.Firm(srv)
    a1, a2 = f.account(), f.account()
    f.contact(a1["id"], login=False)
    f.contact(a2["id"], login=False)
    t1 = f.thread(a1["id"], subject="first")
    t2 = f.thread(a2["id"], subject="second")
    t3 = f.thread(a1["id"], subject="third")
    h.eq(ids(listing(f.owner, account_id=a1["id"])), [t3["id"], t1["id"]])
    h.eq(ids(listing(f.owner)), [t3["id"], t2["id"], t1["id"]])
    # A new message moves its thread to the top.
    f.owner.must("POST", f"/api/v1/threads/{t1['id']}/messages", {"body": "bump"}, status=201)
    h.eq(ids(listing(f.owner)), [t1["id"], t3["id"], t2["id"]])
    h.eq(ids(listing(f.owner, sort="last_message_at")), [t1["id"], t3["id"], t2["id"]])
    # Paging with next.
    p1 = f.owner.must("GET", "/api/v1/threads", query={"limit": 2})
    h.eq(ids(p1["items"]), [t1["id"], t3["id"]])
    h.ok(p1["next"], "next after a full page")
    p2 = f.owner.must("GET", "/api/v1/threads", query={"limit": 2, "cursor": p1["next"]})
    h.eq(ids(p2["items"]), [t2["id"]])
    h.eq(p2["next"], None)
    err(f.owner.get("/api/v1/threads", query={"account_id": "abc"}), 422, field="account_id")
    err(f.owner.get("/api/v1/threads", query={"sort": "subject"}), 422, field="sort")


@h.test
def list_filters_archived():
    w = world()
    t = w.a.thread(w.acct["id"], subject=f"arch-{tag()}")
    live = w.a.thread(w.acct["id"])
    w.a.owner.must("PATCH", f"/api/v1/threads/{t['id']}", {"archived": True}, status=200)
    h.ok(t["id"] not in ids(listing(w.a.owner)), "archived threads are hidden by default")
    h.ok(t["id"] not in ids(listing(w.a.owner, archived="false")), "archived=false")
    arch = listing(w.a.owner, archived="true")
    h.ok(t["id"] in ids(arch), "archived=true lists it")
    h.ok(live["id"] not in ids(arch), "archived=true lists only archived threads")
    h.ok(all(x["archived"] for x in arch), "all archived")
    h.ok(t["id"] in ids(listing(w.c1, archived="true")), "contacts see archived threads too")
    h.ok(t["id"] not in ids(listing(w.c1)), "and not by default")


@h.test
def list_filters_unread():
    w = world()
    t = w.a.thread(w.acct["id"])
    quiet = w.a.thread(w.acct["id"])
    w.c1.must("POST", f"/api/v1/threads/{quiet['id']}/read", {"up_to_message_id": quiet["last_message_id"]})
    got = listing(w.c1, unread="true")
    h.ok(t["id"] in ids(got), "an unread thread")
    h.ok(quiet["id"] not in ids(got), "not a read one")
    h.ok(all(x["unread_count"] > 0 for x in got), "only unread threads")
    h.ok(t["id"] not in ids(listing(w.a.owner, unread="true")), "the author has nothing unread there")
    w.c1.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "Antwort"}, status=201)
    h.ok(t["id"] in ids(listing(w.a.owner, unread="true")), "the firm has the reply unread")


@h.test
def list_filters_assignee():
    w = world()
    m = w.a.staff("member")
    t_me = w.a.thread(w.acct["id"])
    t_m = w.a.thread(w.acct["id"])
    t_none = w.a.thread(w.acct["id"])
    w.a.owner.must("PATCH", f"/api/v1/threads/{t_me['id']}", {"assignee_id": w.a.owner.id}, status=200)
    r = w.a.owner.must("PATCH", f"/api/v1/threads/{t_m['id']}", {"assignee_id": m.id}, status=200)
    h.eq(r["assignee_id"], m.id)
    mine = ids(listing(w.a.owner, assigned_to="me"))
    h.ok(t_me["id"] in mine and t_m["id"] not in mine and t_none["id"] not in mine, "assigned_to=me")
    theirs = ids(listing(w.a.owner, assigned_to=str(m.id)))
    h.eq(theirs, [t_m["id"]])
    h.eq(ids(listing(m, assigned_to="me")), [t_m["id"]])
    none = ids(listing(w.a.owner, assigned_to="none"))
    h.ok(t_none["id"] in none and t_me["id"] not in none and t_m["id"] not in none, "assigned_to=none")
    h.ok(all(x["assignee_id"] is None for x in listing(w.a.owner, assigned_to="none")), "none are unassigned")
    err(w.a.owner.get("/api/v1/threads", query={"assigned_to": "somebody"}), 422, field="assigned_to")
    # Unassign with null.
    r = w.a.owner.must("PATCH", f"/api/v1/threads/{t_m['id']}", {"assignee_id": None}, status=200)
    h.eq(r["assignee_id"], None)
    h.eq(ids(listing(w.a.owner, assigned_to=str(m.id))), [])


@h.test
def list_filters_waiting_on_and_sorts_by_waiting_since():
    srv = h.server()
    f = h.Firm(srv)
    a = f.account()
    c = f.contact(a["id"])
    t_old = f.thread(a["id"], subject="old")      # waiting on the client since t_old
    t_reply = f.thread(a["id"], subject="reply")  # the client answers: waiting on the firm
    t_new = f.thread(a["id"], subject="new")
    c.must("POST", f"/api/v1/threads/{t_reply['id']}/messages", {"body": "Hier"}, status=201)
    t_client = c.must("POST", "/api/v1/threads", {"body": "Client asks"}, status=201)
    h.eq(set(ids(listing(f.owner, waiting_on="client"))), {t_old["id"], t_new["id"]})
    h.eq(set(ids(listing(f.owner, waiting_on="firm"))), {t_reply["id"], t_client["id"]})
    h.eq(set(ids(listing(c, waiting_on="firm"))), {t_reply["id"], t_client["id"]})
    # Oldest wait first.
    got = listing(f.owner, sort="waiting_since")
    h.eq(ids(got), [t_old["id"], t_new["id"], t_reply["id"], t_client["id"]])
    h.eq(ids(listing(f.owner, sort="waiting_since", waiting_on="client")), [t_old["id"], t_new["id"]])
    err(f.owner.get("/api/v1/threads", query={"waiting_on": "nobody"}), 422, field="waiting_on")


def page_next(f):
    return f.owner.must("GET", "/api/v1/threads", query={"limit": 1000})["next"]


@h.test
def limit_is_capped_not_refused():
    srv = h.server()
    f = h.Firm(srv)
    a = f.account()
    f.contact(a["id"], login=False)
    t = f.thread(a["id"])
    # 210 more threads, straight into the database for speed.
    srv.db.sql(f"INSERT INTO threads (firm_id, account_id, subject, created_by)"
               f" SELECT {f.id}, {a['id']}, 'bulk ' || g, {f.owner.id} FROM generate_series(1, 210) g")
    page = f.owner.must("GET", "/api/v1/threads", query={"limit": 1000})
    h.eq(len(page["items"]), 200, "capped at 200")
    h.ok(page["next"] is not None, "and there is more")
    page = f.owner.must("GET", "/api/v1/threads", query={"limit": 10 ** 30})
    h.eq(len(page["items"]), 200, "a huge limit is capped too")
    h.eq(len(f.owner.must("GET", "/api/v1/threads")["items"]), 50, "default 50")
    h.eq(len(f.owner.must("GET", "/api/v1/accounts", query={"limit": 5000})["items"]), 1)
    for bad in ("0", "-1", "ten"):
        err(f.owner.get("/api/v1/threads", query={"limit": bad}), 422, field="limit")
    rest = f.owner.must("GET", "/api/v1/threads", query={"limit": 500, "cursor": page_next(f)})
    h.eq(len(rest["items"]), 11, "the rest after the capped first page")
    h.ok(t["id"] in ids(rest["items"]), "the oldest thread on the last page")


# --- one thread, changes -------------------------------------------------------------------------------

@h.test
def get_thread_is_404_outside():
    w = world()
    tx = w.b.thread(w.bacct["id"])
    tb = w.a.thread(w.acct2["id"])
    for who, tid in ((w.a.owner, tx["id"]), (w.c1, tb["id"]), (w.c1, tx["id"])):
        r = who.get(f"/api/v1/threads/{tid}")
        err(r, 404)
        h.eq(r.json, who.get(f"/api/v1/threads/{NOWHERE}").json, "same as missing")
    err(w.a.owner.get("/api/v1/threads/abc"), 404)
    err(w.a.owner.get("/api/v1/threads/0"), 404)


@h.test
def archive_and_reopen():
    w = world()
    t = w.a.thread(w.acct["id"])
    a = w.a.owner.must("PATCH", f"/api/v1/threads/{t['id']}", {"archived": True}, status=200)
    h.eq(a["archived"], True)
    h.eq(a["id"], t["id"])
    h.eq(w.c1.must("GET", f"/api/v1/threads/{t['id']}")["archived"], True)
    r = w.a.owner.must("PATCH", f"/api/v1/threads/{t['id']}", {"archived": False}, status=200)
    h.eq(r["archived"], False)
    h.ok(t["id"] in ids(listing(w.a.owner)), "back in the default list")
    # A message to an archived thread reopens it.
    w.a.owner.must("PATCH", f"/api/v1/threads/{t['id']}", {"archived": True}, status=200)
    w.c1.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "Noch da?"}, status=201)
    h.eq(w.a.owner.must("GET", f"/api/v1/threads/{t['id']}")["archived"], False)
    # A member may archive; an empty PATCH changes nothing.
    m = w.a.staff("member")
    h.eq(m.must("PATCH", f"/api/v1/threads/{t['id']}", {"archived": True}, status=200)["archived"], True)
    h.eq(m.must("PATCH", f"/api/v1/threads/{t['id']}", {}, status=200)["archived"], True)


@h.test
def thread_patch_checks_fields_and_callers():
    w = world()
    t = w.a.thread(w.acct["id"])
    o = w.a.owner
    p = f"/api/v1/threads/{t['id']}"
    err(o.patch(p, {"archived": "yes"}), 422, field="archived")
    err(o.patch(p, {"assignee_id": "me"}), 422, field="assignee_id")
    err(o.patch(p, {"reminders": 3}), 422, field="reminders")
    err(o.patch(p, {"reminders": {"max_count": 0}}), 422, field="max_count")
    # Only a team member of the firm can be the assignee.
    r = o.patch(p, {"assignee_id": w.c1.id})
    h.ok(r.status in (404, 422), f"a contact as assignee {r!r}")
    r2 = o.patch(p, {"assignee_id": w.b.owner.id})
    h.eq(r2.status, r.status, "another firm's staff is refused like a contact")
    r3 = o.patch(p, {"assignee_id": NOWHERE})
    h.eq((r2.status, r2.json), (r3.status, r3.json), "another firm's staff is like nobody")
    # Contacts may not change a thread.
    err(w.c1.patch(p, {"archived": True}), 403)
    h.eq(o.must("GET", p)["archived"], False)
    h.eq(o.must("GET", p)["assignee_id"], None)
    # Reminder settings change.
    r = o.must("PATCH", p, {"reminders": {"enabled": True, "interval_days": 10, "max_count": 4}}, status=200)
    h.eq((r["reminders"]["enabled"], r["reminders"]["interval_days"], r["reminders"]["max_count"]), (True, 10, 4))
    r = o.must("PATCH", p, {"reminders": {"enabled": False}}, status=200)
    h.eq((r["reminders"]["enabled"], r["reminders"]["interval_days"]), (False, 10))


@h.test
def thread_patch_of_another_firm_is_404_and_changes_nothing():
    w = world()
    tx = w.b.thread(w.bacct["id"])
    other = w.a.owner.patch(f"/api/v1/threads/{tx['id']}", {"archived": True})
    missing = w.a.owner.patch(f"/api/v1/threads/{NOWHERE}", {"archived": True})
    err(other, 404)
    h.eq(other.json, missing.json, "same as missing")
    h.eq(w.b.owner.must("GET", f"/api/v1/threads/{tx['id']}")["archived"], False)


# --- tasks ---------------------------------------------------------------------------------------------

@h.test
def contact_ticks_a_task():
    w = world()
    t = w.a.thread(w.acct["id"], tasks=[{"title": "Belege"}, {"title": "Unterschrift"}])
    k = t["tasks"][0]
    r = w.c1.must("PATCH", f"/api/v1/tasks/{k['id']}", {"done": True}, status=200)
    h.eq((r["id"], r["done"], r["title"]), (k["id"], True, "Belege"))
    th = w.a.owner.must("GET", f"/api/v1/threads/{t['id']}")
    h.eq([x["done"] for x in th["tasks"]], [True, False])
    h.eq(w.c2.must("GET", f"/api/v1/threads/{t['id']}")["tasks"][0]["done"], True)
    h.eq(w.c1.must("PATCH", f"/api/v1/tasks/{k['id']}", {"done": False})["done"], False)
    h.eq(w.a.owner.must("PATCH", f"/api/v1/tasks/{k['id']}", {"done": True})["done"], True, "staff may tick too")
    err(w.c1.patch(f"/api/v1/tasks/{k['id']}", {"done": "yes"}), 422, field="done")
    err(w.c1.patch(f"/api/v1/tasks/{k['id']}", {}), 422, field="done")


@h.test
def tasks_of_other_accounts_and_firms_are_404():
    w = world()
    tb = w.a.thread(w.acct2["id"], tasks=[{"title": "Other account"}])
    tx = w.b.thread(w.bacct["id"], tasks=[{"title": "Other firm"}])
    kb, kx = tb["tasks"][0]["id"], tx["tasks"][0]["id"]
    missing = w.c1.patch(f"/api/v1/tasks/{NOWHERE}", {"done": True})
    err(missing, 404)
    for who, kid in ((w.c1, kb), (w.c1, kx), (w.a.owner, kx)):
        r = who.patch(f"/api/v1/tasks/{kid}", {"done": True})
        err(r, 404)
        h.eq(r.json, missing.json, "same as missing")
    h.eq(w.a.owner.must("GET", f"/api/v1/threads/{tb['id']}")["tasks"][0]["done"], False)
    h.eq(w.b.owner.must("GET", f"/api/v1/threads/{tx['id']}")["tasks"][0]["done"], False)


# --- viewing as a client -------------------------------------------------------------------------------

@h.test
def view_as_account_shows_exactly_the_contact_view():
    w = world()
    o = w.a.owner
    t = w.a.thread(w.acct["id"], body="Öffentlich")
    o.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "Nur intern", "internal": True}, status=201)
    pub = o.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "Mit Kennung", "client_msg_id": f"va-{tag()}"},
                 status=201)
    w.a.thread(w.acct2["id"])
    va = {"view_as_account": w.acct["id"]}
    # Threads: the same set, the same public fields.
    mine = {x["id"]: x for x in listing(w.c1, archived="all")}
    seen = {x["id"]: x for x in listing(o, archived="all", **va)}
    h.eq(set(seen), set(mine), "the same threads")
    for tid, x in mine.items():
        for key in ("subject", "account_id", "last_message_id", "last_message_at", "waiting_on", "waiting_since",
                    "archived", "tasks", "assignee_id"):
            h.eq(seen[tid][key], x[key], f"thread {tid} {key}")
    h.eq(seen[t["id"]]["last_message_id"], pub["id"], "the internal note is not the last message")
    # One thread, its messages: exactly the contact's list.
    g = o.must("GET", f"/api/v1/threads/{t['id']}", query=va)
    h.eq(g["last_message_id"], pub["id"])
    msgs = o.must("GET", f"/api/v1/threads/{t['id']}/messages", query=va)["items"]
    h.eq([m["body"] for m in msgs], ["Öffentlich", "Mit Kennung"])
    h.eq(msgs, w.c1.must("GET", f"/api/v1/threads/{t['id']}/messages")["items"], "the same messages, field for field")
    # Accounts: only that one.
    h.eq([x["id"] for x in o.must("GET", "/api/v1/accounts", query=va)["items"]], [w.acct["id"]])
    err(o.get(f"/api/v1/accounts/{w.acct2['id']}", query=va), 404)
    tb = w.a.thread(w.acct2["id"])
    err(o.get(f"/api/v1/threads/{tb['id']}", query=va), 404)
    # Staff-only lists are not what a contact sees.
    err(o.get("/api/v1/templates", query=va), 403)
    err(o.get("/api/v1/staff", query=va), 403)


@h.test
def any_write_with_view_as_is_403_view_as_read_only():
    w = world()
    o = w.a.owner
    t = w.a.thread(w.acct["id"], tasks=[{"title": "x"}])
    tpl = o.must("POST", "/api/v1/templates", {"name": f"VA {tag()}"}, status=201)
    va = {"view_as_account": w.acct["id"]}
    writes = [
        ("POST", "/api/v1/threads", {"account_id": w.acct["id"], "body": "x"}),
        ("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "x"}),
        ("POST", f"/api/v1/threads/{t['id']}/read", {"up_to_message_id": t["last_message_id"]}),
        ("PATCH", f"/api/v1/threads/{t['id']}", {"archived": True}),
        ("PATCH", f"/api/v1/tasks/{t['tasks'][0]['id']}", {"done": True}),
        ("POST", "/api/v1/accounts", {"name": f"VA {tag()}"}),
        ("POST", f"/api/v1/accounts/{w.acct['id']}/contacts", {"name": "x", "email": f"va-{tag()}@x.test"}),
        ("POST", "/api/v1/templates", {"name": f"VA2 {tag()}"}),
        ("PATCH", f"/api/v1/templates/{tpl['id']}", {"name": "changed"}),
        ("DELETE", f"/api/v1/templates/{tpl['id']}", None),
        ("POST", "/api/v1/staff", {"name": "x", "email": f"va-{tag()}@firm.test", "password": h.PASSWORD}),
        ("DELETE", "/api/v1/sessions/current", None),
    ]
    for method, path, body in writes:
        err(o.request(method, path, body=body, query=va), 403, "view_as_read_only", what=f"{method} {path}")
    after = o.must("GET", f"/api/v1/threads/{t['id']}")
    h.eq((after["archived"], after["last_message_id"], after["tasks"][0]["done"]),
         (False, t["last_message_id"], False), "nothing changed")
    h.eq(o.must("GET", f"/api/v1/templates/{tpl['id']}")["name"], tpl["name"])
    h.eq(o.get("/api/v1/me").status, 200, "still logged in")


h.main()
