"""Notifications and mail: who gets what (API.md, Notifications), Inbox+ and the
contacts' pending items, the outbox against a real SMTP server that goes down,
answers 4xx or 5xx, and two instances sharing one outbox.

Every assertion on mail reads what the SMTP catcher actually stored."""

import json
import threading
import time
import uuid

import eventsub
import harness as h
import mailcheck as mc


def email(c):
    return c.user["email"] if isinstance(c, h.Client) else c["email"]


def setup(srv=None):
    """A firm with an account: contacts with portal+notify (2), portal only, notify only, neither."""
    srv = srv or h.server()
    f = h.Firm(srv)
    acc = f.account()
    people = {
        "a": f.contact(acc["id"]),
        "b": f.contact(acc["id"]),
        "portal_only": f.contact(acc["id"], portal_access=True, notify=False),
        "notify_only": f.contact(acc["id"], portal_access=False, notify=True),
        "neither": f.contact(acc["id"], portal_access=False, notify=False),
    }
    return f, acc, people


def unique(word):
    return f"{word} {uuid.uuid4().hex[:6]}"


def items(client, **query):
    return client.must("GET", "/api/v1/notifications", query=query or None)["items"]


@h.test
def new_chat_and_firm_message_mail_contacts_with_portal_and_notify():
    f, acc, p = setup()
    subj = unique("Annual accounts")
    t = f.thread(acc["id"], body="Please send the bank statements.", subject=subj)
    f.owner.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "And the payroll, please."},
                 status=201)
    everyone = [email(c) for c in p.values()]
    mc.drained(h.server(), *everyone)
    for who in ("a", "b"):
        got = mc.to(email(p[who]))
        h.eq([m["subject"] for m in got], [f"Neuer Chat von {f.name}: {subj}",
                                          f"Neue Nachricht von {f.name}: {subj}"], who)
        h.ok(got[0]["body_text"].find("bank statements") >= 0, "the first mail quotes the message")
        h.ok(f"{h.server().url}/threads/{t['id']}" in got[1]["body_text"], "a link to the thread")
        h.ok(got[0]["message_id"].startswith("<") and got[0]["message_id"] != got[1]["message_id"],
             "each mail has its own Message-ID")
        h.ok(f.name in got[0]["from"], "From names the firm")
    for who in ("portal_only", "notify_only", "neither"):
        h.eq(mc.to(email(p[who])), [], who)
    # The pending list: one item per thread for contacts with portal access (mail or not).
    for who in ("a", "portal_only"):
        its = items(p[who])
        h.eq([(i["thread_id"], i["type"], i["read"]) for i in its], [(t["id"], "message", False)], who)


@h.test
def internal_notes_mail_nobody_outside_the_firm():
    f, acc, p = setup()
    sam = f.staff(name=f"Sam Notes{uuid.uuid4().hex[:4]}")
    subj = unique("Internal")
    t = f.thread(acc["id"], subject=subj)
    mc.drained(h.server(), email(p["a"]))
    before = items(p["a"])
    f.owner.must("POST", f"/api/v1/threads/{t['id']}/messages",
                 {"body": f"@{sam.user['name']} please check this client", "internal": True}, status=201)
    mc.drained(h.server(), email(p["a"]), sam.user["email"])
    h.eq(mc.subjects(email(p["a"])), [f"Neuer Chat von {f.name}: {subj}"], "contact mails")
    h.eq(items(p["a"]), before, "the contact's pending list is untouched")
    # The mentioned team member hears of it, and only they.
    h.eq(mc.subjects(sam.user["email"]), [f"[{acc['name']}] {f.owner.user['name']} hat Sie erwähnt: {subj}"])
    h.eq([i["type"] for i in items(sam)], ["mention"])
    h.eq(mc.to(f.owner.user["email"]), [], "the author gets nothing")


@h.test
def client_activity_goes_to_staff_by_the_assignee_rule():
    srv = h.server()
    f, acc, p = setup()
    s1, s2 = f.staff(), f.staff()
    staff = {"owner": f.owner, "s1": s1, "s2": s2}
    subj = unique("Payroll")
    t = f.thread(acc["id"], subject=subj)
    a = p["a"]
    name = a.user["name"]

    def reply(text):
        a.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": text}, status=201)
        mc.drained(srv, *[c.user["email"] for c in staff.values()])

    def counts():
        return {k: len(mc.to(c.user["email"])) for k, c in staff.items()}

    reply("Here they are.")  # unassigned: everyone
    h.eq(counts(), {"owner": 1, "s1": 1, "s2": 1}, "unassigned")
    h.eq(mc.subjects(s1.user["email"]), [f"[{acc['name']}] {name} hat geantwortet: {subj}"])
    for c in staff.values():
        h.eq([(i["thread_id"], i["type"], i["read"]) for i in items(c)], [(t["id"], "message", False)])

    f.owner.must("PATCH", f"/api/v1/threads/{t['id']}", {"assignee_id": s1.id})
    mc.drained(srv, s1.user["email"])
    h.eq(mc.subjects(s1.user["email"])[-1], f"[{acc['name']}] {f.owner.user['name']} hat Ihnen einen Chat zugewiesen: {subj}")
    h.eq(items(s1)[0]["type"], "assignment")

    reply("One more thing.")  # assigned: the assignee only
    h.eq(counts(), {"owner": 1, "s1": 3, "s2": 1}, "assigned to s1")

    s2.must("PATCH", "/api/v1/notifications/settings", {"all_client_activity": True})
    reply("And another.")  # s2 asked for all client activity
    h.eq(counts(), {"owner": 1, "s1": 4, "s2": 2}, "s2 follows everything")

    r = s1.must("PATCH", "/api/v1/notifications/settings", {"email": False})
    h.eq(r, {"email": False, "all_client_activity": False})
    before = items(s1)[0]
    reply("Last one.")  # s1 switched mail off: the item still moves
    h.eq(counts(), {"owner": 1, "s1": 4, "s2": 3}, "s1 mail off")
    after = items(s1)[0]
    h.eq((after["id"], after["type"], after["read"]), (before["id"], "message", False), "item bumped")
    h.ok(after["bumped_at"] >= before["bumped_at"], "bumped_at moves")


@h.test
def client_chat_and_task_change_notify_staff():
    srv = h.server()
    f, acc, p = setup()
    subj = unique("Question")
    t = f.thread(acc["id"], as_client=p["a"], subject=subj, body="Can you help?")
    mc.drained(srv, f.owner.user["email"], email(p["b"]))
    h.eq(mc.subjects(f.owner.user["email"]), [f"[{acc['name']}] Neuer Chat von {p['a'].user['name']}: {subj}"])
    h.eq([i["type"] for i in items(f.owner)], ["thread"])
    h.eq(mc.to(email(p["b"])), [], "other contacts get no mail for a client's chat")

    subj2 = unique("Checklist")
    t2 = f.thread(acc["id"], subject=subj2, tasks=[{"title": "Sign the form"}])
    task = t2["tasks"][0]["id"]
    p["b"].must("PATCH", f"/api/v1/tasks/{task}", {"done": True})
    mc.drained(srv, f.owner.user["email"])
    h.eq(mc.subjects(f.owner.user["email"])[-1], f"[{acc['name']}] {p['b'].user['name']} hat eine Aufgabe geändert: {subj2}")
    h.ok("die Aufgabe „Sign the form“" in mc.to(f.owner.user["email"])[-1]["body_text"] and
         "als erledigt markiert" in mc.to(f.owner.user["email"])[-1]["body_text"], "the mail names the task")
    its = items(f.owner)
    h.eq([(i["thread_id"], i["type"]) for i in its], [(t2["id"], "task"), (t["id"], "thread")])


@h.test
def inbox_items_are_per_thread_bumped_and_read():
    f, acc, p = setup()
    a = p["a"]
    t1 = f.thread(acc["id"], subject=unique("One"))
    t2 = f.thread(acc["id"], subject=unique("Two"))
    a.must("POST", f"/api/v1/threads/{t1['id']}/messages", {"body": "first"}, status=201)
    a.must("POST", f"/api/v1/threads/{t2['id']}/messages", {"body": "second"}, status=201)
    its = items(f.owner)
    h.eq([i["thread_id"] for i in its], [t2["id"], t1["id"]], "most recently bumped first")
    first = its[1]
    r = f.owner.must("POST", f"/api/v1/notifications/{first['id']}/read")
    h.eq((r["id"], r["read"]), (first["id"], True))
    h.eq([i["thread_id"] for i in items(f.owner, unread="true")], [t2["id"]], "unread filter")
    a.must("POST", f"/api/v1/threads/{t1['id']}/messages", {"body": "again"}, status=201)
    its = items(f.owner)
    h.eq([(i["thread_id"], i["read"]) for i in its], [(t1["id"], False), (t2["id"], False)], "bumped, unread")
    h.eq(its[0]["id"], first["id"], "the same item, not a new one")
    # Reading the thread up to its end reads its item too.
    last = f.owner.must("GET", f"/api/v1/threads/{t1['id']}/messages")["items"][-1]["id"]
    f.owner.must("POST", f"/api/v1/threads/{t1['id']}/read", {"up_to_message_id": last})
    h.eq([(i["thread_id"], i["read"]) for i in items(f.owner)], [(t1["id"], True), (t2["id"], False)])
    # The unread total covers every page, not only the one returned.
    page = f.owner.must("GET", "/api/v1/notifications", query={"limit": "1"})
    h.eq((len(page["items"]), page["unread_count"]), (1, 1), "one item shown, one unread in all")
    h.ok(page["next"] is not None, "a second page")
    # Someone else's item is not there for you.
    h.eq(a.post(f"/api/v1/notifications/{first['id']}/read").status, 404)
    h.eq([i["type"] for i in items(a)], ["thread", "thread"], "a contact's own replies bump nothing")


@h.test
def utf8_names_and_subjects_and_no_header_injection():
    srv = h.server()
    f = h.Firm(srv, name=f"Kanzlei Müller & Söhne {uuid.uuid4().hex[:4]}")
    acc = f.account(name=f"Bäckerei Groß {uuid.uuid4().hex[:4]}")
    c = f.contact(acc["id"], name="Jörg Weiß")
    subj = "Jahresabschluss 2026 – Prüfung der Belege ✓ " + "und noch viel mehr Text " * 6 + uuid.uuid4().hex[:4]
    f.thread(acc["id"], subject=subj, body="Grüße aus Köln")
    got = mc.wait_count(email(c), 1)[0]
    h.eq(got["subject"], f"Neuer Chat von {f.name}: {subj}")
    h.ok("Jörg Weiß" in got["to"], f"To has the decoded name: {got['to']!r}")
    h.ok("Müller & Söhne" in got["from"], f"From has the firm: {got['from']!r}")
    h.ok("Grüße aus Köln" in got["body_text"], "UTF-8 body")
    # A name with CR/LF must not become a header of its own.
    tag = uuid.uuid4().hex[:8]
    spy = f"spy-{tag}@client.test"
    r = f.owner.post(f"/api/v1/accounts/{acc['id']}/contacts",
                     {"name": f"Eve\r\nBcc: {spy}\r\nX-Evil: 1", "email": f"eve-{tag}@client.test",
                      "password": h.PASSWORD, "portal_access": True, "notify": True})
    if r.status == 201:
        f.thread(acc["id"], subject=unique("Injection"))
        mc.drained(srv, f"eve-{tag}@client.test")
        got = mc.to(f"eve-{tag}@client.test")[-1]
        raw = open(got["file"], "rb").read().decode("utf-8", "replace").replace("\r\n", "\n")
        head = raw.split("\n\n", 1)[0]
        h.ok("\nX-Evil:" not in head and "\nBcc:" not in head, "no injected header")
        h.ok("Hallo Eve  Bcc:" in got["body_text"], "the greeting keeps the name on one line")
        h.eq(got["envelope_to"], [f"eve-{tag}@client.test"])
        h.eq(mc.to(spy), [])
    else:
        h.eq(r.status, 422)


@h.test
def smtp_down_then_up_every_mail_arrives_once():
    srv = h.server()
    f, acc, p = setup()
    t = f.thread(acc["id"], subject=unique("Outage"))
    addr = email(p["a"])
    mc.drained(srv, addr)
    mc.smtp("stop")
    try:
        for i in range(3):
            f.owner.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": f"while down {i}"}, status=201)
        # The mailer tried and failed (connection refused), and keeps the mails.
        h.wait_for(lambda: all(int(r[3]) >= 1 and r[2] == "pending"
                               for r in mc.outbox(srv, f"to_email = '{addr}' AND kind = 'message'")),
                   20, "failed first attempts")
        h.eq(len(mc.outbox(srv, f"to_email = '{addr}' AND kind = 'message'")), 3)
    finally:
        mc.smtp_restart()
    # Retries wait with backoff; moving the clock an hour makes them due and runs them now.
    srv.advance(3600, f.owner)
    got = mc.wait_count(addr, 4)
    h.eq(len({m["message_id"] for m in got}), 4, "distinct Message-IDs")
    mc.settle(1.5)
    h.eq(len(mc.to(addr)), 4, "nothing twice")
    h.eq({r[2] for r in mc.outbox(srv, f"to_email = '{addr}'")}, {"sent"})


@h.test
def smtp_down_then_up_real_time_retries():
    # A private server with a 1 s first retry: no clock moves, the backoff alone brings the mail.
    srv = h.Server(env={"FOLIO_MAIL_RETRY_SECONDS": "1"})
    f, acc, p = setup(srv)
    addr = email(p["a"])
    mc.smtp("stop")
    try:
        f.thread(acc["id"], subject=unique("Retry"))
        h.wait_for(lambda: mc.outbox(srv, f"to_email = '{addr}' AND attempts >= 2"), 20, "two attempts")
    finally:
        mc.smtp_restart()
    mc.wait_count(addr, 1, timeout=30)
    mc.settle(2.5)
    h.eq(len(mc.to(addr)), 1, "once")
    h.eq(mc.log_errors(srv), [])
    srv.stop()


@h.test
def smtp_4xx_is_retried_and_sent_once():
    srv = h.server()
    f, acc, p = setup()
    addr = email(p["a"])
    mc.smtp("fail", "4xx")
    try:
        f.thread(acc["id"], subject=unique("Greylisted"))
        row = h.wait_for(lambda: mc.outbox(srv, f"to_email = '{addr}' AND attempts >= 1 AND state = 'pending'"),
                         20, "a refused attempt")
        h.ok("451" in row[0][4], f"the 4xx is recorded: {row[0][4]!r}")
    finally:
        mc.smtp("fail", "off")
    srv.advance(3600, f.owner)
    mc.wait_count(addr, 1)
    mc.settle()
    h.eq(len(mc.to(addr)), 1)


def Sub(srv, client):
    """An event socket with the token in the URL (?access_token=)."""
    return eventsub.Sub(srv, client, header_auth=False)


@h.test
def smtp_5xx_marks_permanent_failure_visible_to_staff():
    srv = h.server()
    f, acc, p = setup()
    addr_a, addr_b = email(p["a"]), email(p["b"])
    t = f.thread(acc["id"], subject=unique("Bounce"))
    mc.drained(srv, addr_a, addr_b)
    staff_sub, contact_sub = Sub(srv, f.owner), Sub(srv, p["a"])
    mc.smtp("fail", "5xx", "rcpt")
    try:
        m = f.owner.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "Will bounce"}, status=201)
        h.wait_for(lambda: {r[2] for r in mc.outbox(srv, f"kind = 'message' AND to_email IN ('{addr_a}', '{addr_b}')")}
                   == {"failed"}, 20, "permanent failures")
    finally:
        mc.smtp("fail", "off")
    # Staff hear of each failure live: message.updated with the message as staff see it.
    def failed_live():
        ups = [e for e in staff_sub.of_type("message.updated") if e["message"]["id"] == m["id"]]
        return ups and ups[-1]["message"]["delivery"]["failed"] == 2 and ups
    ups = h.wait_for(failed_live, 20, "message.updated for staff")
    h.eq((ups[-1]["thread_id"], ups[-1]["account_id"]), (t["id"], acc["id"]))
    h.ok(all(e["message"]["delivery"]["failed"] >= 1 for e in ups), "each update carries a failure")
    h.eq(sorted(x["email"] for x in ups[-1]["message"]["delivery"]["failures"]), sorted([addr_a, addr_b]))
    # Contacts do not: a later message reaches them, the update before it never did.
    later = f.owner.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "After the bounce"},
                         status=201)
    h.wait_for(lambda: any(e["message"]["id"] == later["id"] for e in contact_sub.of_type("message.created")),
               20, "the contact's socket is live")
    h.eq(contact_sub.of_type("message.updated"), [], "no message.updated for contacts")
    staff_sub.close()
    contact_sub.close()
    mc.drained(srv, addr_a, addr_b)
    srv.advance(7 * 86400, f.owner)  # no retry, however long one waits
    mc.settle()
    h.eq(len(mc.to(addr_a)), 2, "the new chat and the later message arrived, the bounced one never")
    msgs = f.owner.must("GET", f"/api/v1/threads/{t['id']}/messages")["items"]
    d = [x for x in msgs if x["id"] == m["id"]][0]["delivery"]
    h.eq((d["sent"], d["pending"], d["failed"]), (0, 0, 2))
    h.eq(sorted(x["email"] for x in d["failures"]), sorted([addr_a, addr_b]))
    h.ok("550" in d["failures"][0]["error"], "the server's answer is shown")
    first = [x for x in msgs if x["id"] != m["id"]][0]["delivery"]
    h.eq((first["sent"], first["failed"]), (2, 0), "the first message went out")
    # Contacts never see delivery details.
    cm = p["a"].must("GET", f"/api/v1/threads/{t['id']}/messages")["items"]
    h.ok(all(x.get("delivery") is None for x in cm), "no delivery field for contacts")


@h.test
def two_instances_share_the_outbox_and_send_each_mail_once():
    srv = h.server()
    srv2 = h.Server(db=srv.db)
    f, acc, p = setup()
    other = srv2.login(f.owner_email, h.PASSWORD)
    t = f.thread(acc["id"], subject=unique("Twins"))
    errors = []

    def post(client, n):
        try:
            for i in range(n):
                client.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": f"msg {i}"}, status=201)
        except Exception as e:  # reported below
            errors.append(e)

    ths = [threading.Thread(target=post, args=(c, 10)) for c in (f.owner, other)]
    for x in ths:
        x.start()
    for x in ths:
        x.join()
    h.eq(errors, [])
    for who in ("a", "b"):
        got = mc.wait_count(email(p[who]), 21)
        h.eq(len({m["message_id"] for m in got}), 21, f"{who}: distinct mails")
    mc.settle(1.5)
    for who in ("a", "b"):
        h.eq(len(mc.to(email(p[who]))), 21, f"{who}: nothing twice")
    h.eq(mc.log_errors(srv2), [])
    srv2.stop()


@h.test
def smtp_login_and_tls_settings_are_honoured():
    # The catcher takes any login and offers no STARTTLS.
    plain = h.Server(env={"FOLIO_SMTP_USER": "folio", "FOLIO_SMTP_PASSWORD": "secret", "FOLIO_SMTP_TLS": "none"})
    f, acc, p = setup(plain)
    f.thread(acc["id"], subject=unique("Login"))
    mc.wait_count(email(p["a"]), 1)
    h.eq(mc.log_errors(plain), [])
    plain.stop()
    # Asked for STARTTLS (or logging in with the default "auto"): nothing goes out in the clear.
    for env in ({"FOLIO_SMTP_TLS": "starttls"}, {"FOLIO_SMTP_USER": "folio", "FOLIO_SMTP_PASSWORD": "x"}):
        strict = h.Server(env=env)
        f, acc, p = setup(strict)
        addr = email(p["a"])
        f.thread(acc["id"], subject=unique("Strict"))
        row = h.wait_for(lambda: mc.outbox(strict, f"to_email = '{addr}' AND attempts >= 1 AND state = 'pending'"),
                         20, "a refused attempt")
        h.ok("TLS" in row[0][4] or "SSL" in row[0][4], f"the reason names TLS: {row[0][4]!r}")
        mc.settle()
        h.eq(mc.to(addr), [], f"nothing sent with {env}")
        strict.stop()


@h.test
def notification_settings_need_staff_and_booleans():
    f, acc, p = setup()
    h.eq(f.owner.must("GET", "/api/v1/notifications/settings"), {"email": True, "all_client_activity": False})
    h.eq(f.owner.patch("/api/v1/notifications/settings", {"email": "yes"}).status, 422)
    h.eq(p["a"].get("/api/v1/notifications/settings").status, 403)
    h.eq(f.owner.get("/api/v1/notifications", query={"limit": "x"}).status, 422)



@h.test
def no_errors_in_the_server_log():
    h.eq(mc.log_errors(h.server()), [])


h.main()
