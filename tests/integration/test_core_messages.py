"""Core: messages (paging, posting, client_msg_id), read markers and unread counts, internal notes,
and Markdown (safe HTML, embeds, mentions)."""
import threading
import uuid

import harness as h
from core_common import err, ts, world, count, NOWHERE, MESSAGE_KEYS


def tag():
    return uuid.uuid4().hex[:8]


def post(client, tid, body, status=201, **extra):
    return client.must("POST", f"/api/v1/threads/{tid}/messages", dict(body=body, **extra), status=status)


def msgs(client, tid, **query):
    return client.must("GET", f"/api/v1/threads/{tid}/messages", query=query or None)


def thread(client, tid):
    return client.must("GET", f"/api/v1/threads/{tid}")


def unread(client, tid):
    return thread(client, tid)["unread_count"]


def account_unread(client, account_id):
    return client.must("GET", f"/api/v1/accounts/{account_id}")["unread_count"]


def read(client, tid, up_to):
    return client.must("POST", f"/api/v1/threads/{tid}/read", {"up_to_message_id": up_to}, status=200)


# --- posting and listing -------------------------------------------------------------------------------

@h.test
def post_answers_201_with_the_message():
    w = world()
    t = w.a.thread(w.acct["id"])
    m = post(w.a.owner, t["id"], "Hallo *Welt* 👋")
    h.ok(MESSAGE_KEYS <= set(m), f"message keys missing {MESSAGE_KEYS - set(m)}")
    h.eq(m["thread_id"], t["id"])
    h.eq(m["body"], "Hallo *Welt* 👋")
    h.eq(m["author"], {"kind": "staff", "id": w.a.owner.id, "name": w.a.owner.user["name"]})
    h.eq(m["internal"], False)
    h.eq(m["documents"], [])
    h.eq(m["embeds"], [])
    h.eq(m["mentions"], [])
    ts(m["created_at"], "created_at")
    h.ok("<em>Welt</em>" in m["body_html"] and "👋" in m["body_html"], f"rendered {m['body_html']!r}")
    th = thread(w.a.owner, t["id"])
    h.eq(th["last_message_id"], m["id"])
    h.eq(th["last_message_at"], m["created_at"])
    c = post(w.c1, t["id"], "Danke!")
    h.eq(c["author"]["kind"], "contact")
    h.eq(c["author"]["id"], w.c1.id)
    listed = msgs(w.c1, t["id"])["items"]
    h.eq([x["id"] for x in listed][-2:], [m["id"], c["id"]], "newest last")


@h.test
def post_checks_fields_and_callers():
    w = world()
    t = w.a.thread(w.acct["id"])
    p = f"/api/v1/threads/{t['id']}/messages"
    o = w.a.owner
    before = count(w.srv, f"SELECT count(*) FROM messages WHERE thread_id = {t['id']}")
    err(o.post(p, {}), 422, field="body")
    err(o.post(p, {"body": ""}), 422, field="body")
    err(o.post(p, {"body": " \n\t "}), 422, field="body")
    err(o.post(p, {"body": None}), 422, field="body")
    err(o.post(p, {"body": 42}), 422, field="body")
    err(o.post(p, {"body": "x", "internal": "true"}), 422, field="internal")
    err(o.post(p, {"body": "x", "client_msg_id": 5}), 422, field="client_msg_id")
    err(o.post(p, {"body": "x", "client_msg_id": ""}), 422, field="client_msg_id")
    err(o.post(p, {"body": "x", "client_msg_id": "c" * 129}), 422, field="client_msg_id")
    err(o.post(p, {"body": "x", "document_ids": {}}), 422, field="document_ids")
    err(o.post(p, {"body": "b" * 100001}), 422, field="body")
    # Contacts write no internal notes.
    err(w.c1.post(p, {"body": "secret?", "internal": True}), 403)
    h.eq(count(w.srv, f"SELECT count(*) FROM messages WHERE thread_id = {t['id']}"), before, "nothing stored")
    # Unknown fields are ignored; internal false is allowed for anyone.
    post(w.c1, t["id"], "ok", internal=False, colour="blue")


@h.test
def messages_of_other_threads_are_404():
    w = world()
    tb = w.a.thread(w.acct2["id"])
    tx = w.b.thread(w.bacct["id"])
    for who, tid in ((w.c1, tb["id"]), (w.c1, tx["id"]), (w.a.owner, tx["id"])):
        for method, body in (("GET", None), ("POST", {"body": "intruder"})):
            r = who.request(method, f"/api/v1/threads/{tid}/messages", body=body)
            missing = who.request(method, f"/api/v1/threads/{NOWHERE}/messages", body=body)
            err(r, 404, what=f"{method} thread {tid}")
            h.eq(r.json, missing.json, "same as a missing thread")
        r = who.post(f"/api/v1/threads/{tid}/read", {"up_to_message_id": 1})
        err(r, 404)
        h.eq(r.json, who.post(f"/api/v1/threads/{NOWHERE}/read", {"up_to_message_id": 1}).json, "same 404")
    h.eq(count(w.srv, "SELECT count(*) FROM messages WHERE body = 'intruder'"), 0, "nothing stored")


@h.test
def paging_backwards_and_forwards():
    w = world()
    t = w.a.thread(w.acct["id"], body="m1")
    all_ids = [t["last_message_id"]]
    for i in range(2, 8):
        all_ids.append(post(w.a.owner if i % 2 else w.c1, t["id"], f"m{i}")["id"])
    page = msgs(w.c1, t["id"])
    h.eq([m["id"] for m in page["items"]], all_ids)
    h.eq(page["next"], None, "one page holds all")
    # Backwards from the end, three at a time.
    p = msgs(w.c1, t["id"], limit=3)
    h.eq([m["id"] for m in p["items"]], all_ids[4:7])
    h.ok(p["next"] is not None, "next")
    p = msgs(w.c1, t["id"], limit=3, before=p["next"])
    h.eq([m["id"] for m in p["items"]], all_ids[1:4])
    p = msgs(w.c1, t["id"], limit=3, before=p["next"])
    h.eq([m["id"] for m in p["items"]], all_ids[0:1])
    h.eq(p["next"], None, "the start reached")
    # Forwards from the first.
    p = msgs(w.c1, t["id"], limit=3, after=all_ids[0])
    h.eq([m["id"] for m in p["items"]], all_ids[1:4])
    p = msgs(w.c1, t["id"], limit=3, after=p["next"])
    h.eq([m["id"] for m in p["items"]], all_ids[4:7])
    rest = msgs(w.c1, t["id"], limit=3, after=p["next"]) if p["next"] else {"items": [], "next": None}
    h.eq(rest["items"], [])
    h.eq(rest["next"], None)
    # The bodies in order, newest last.
    h.eq([m["body"] for m in msgs(w.c1, t["id"], before=all_ids[3])["items"]], ["m1", "m2", "m3"])
    h.eq([m["body"] for m in msgs(w.c1, t["id"], after=all_ids[3])["items"]], ["m5", "m6", "m7"])
    for bad in ({"before": "x"}, {"after": "-3"}, {"limit": "0"}):
        err(w.c1.get(f"/api/v1/threads/{t['id']}/messages", query=bad), 422, field=list(bad)[0])


@h.test
def message_limit_is_capped():
    w = world()
    t = w.a.thread(w.acct["id"])
    w.srv.db.sql(f"INSERT INTO messages (firm_id, thread_id, author_id, author_kind, body, body_html)"
                 f" SELECT {w.a.id}, {t['id']}, {w.a.owner.id}, 'staff', 'bulk ' || g, '<p>bulk</p>'"
                 f" FROM generate_series(1, 240) g")
    p = msgs(w.a.owner, t["id"], limit=10000)
    h.eq(len(p["items"]), 200, "capped at 200")
    h.ok(p["next"] is not None, "more before")
    h.eq(len(msgs(w.a.owner, t["id"])["items"]), 50, "default 50")
    p2 = msgs(w.a.owner, t["id"], limit=500, before=p["next"])
    h.eq(len(p2["items"]), 41, "the rest")


@h.test
def client_msg_id_twice_gives_the_first_message_and_one_row():
    w = world()
    t = w.a.thread(w.acct["id"])
    cmid = f"cm-{tag()}"
    m1 = post(w.c1, t["id"], "einmal", client_msg_id=cmid)
    r = w.c1.post(f"/api/v1/threads/{t['id']}/messages", {"body": "einmal", "client_msg_id": cmid})
    h.eq(r.status, 200, f"replay {r!r}")
    h.eq(r.json["id"], m1["id"])
    h.eq(r.json["body"], "einmal")
    # Even with another body, the first message comes back and nothing is stored.
    r = w.c1.post(f"/api/v1/threads/{t['id']}/messages", {"body": "anders", "client_msg_id": cmid})
    h.eq((r.status, r.json["id"], r.json["body"]), (200, m1["id"], "einmal"))
    h.eq(count(w.srv, f"SELECT count(*) FROM messages WHERE client_msg_id = '{cmid}'"), 1)
    h.eq(count(w.srv, f"SELECT count(*) FROM messages WHERE body = 'anders'"), 0)
    # Another author may use the same id; in another thread it is a conflict.
    post(w.c2, t["id"], "auch", client_msg_id=cmid)
    post(w.a.owner, t["id"], "staff too", client_msg_id=cmid)
    t2 = w.a.thread(w.acct["id"])
    err(w.c1.post(f"/api/v1/threads/{t2['id']}/messages", {"body": "x", "client_msg_id": cmid}), 409)
    h.eq(count(w.srv, f"SELECT count(*) FROM messages WHERE thread_id = {t2['id']}"), 1)


@h.test
def concurrent_posts_with_one_client_msg_id_store_one_message():
    w = world()
    t = w.a.thread(w.acct["id"])
    for round_ in range(6):
        cmid = f"race-{round_}-{tag()}"
        results = []
        barrier = threading.Barrier(3)

        def go():
            barrier.wait()
            results.append(w.c1.post(f"/api/v1/threads/{t['id']}/messages", {"body": cmid, "client_msg_id": cmid}))

        workers = [threading.Thread(target=go) for _ in range(3)]
        for x in workers:
            x.start()
        for x in workers:
            x.join()
        h.eq(sorted(r.status for r in results), [200, 200, 201], f"round {round_}: {results!r}")
        h.eq(len({r.json["id"] for r in results}), 1, "one message id")
        h.eq(count(w.srv, f"SELECT count(*) FROM messages WHERE client_msg_id = '{cmid}'"), 1)


# --- read markers and unread counts --------------------------------------------------------------------

@h.test
def read_marker_answers_and_counts():
    w = world()
    t = w.a.thread(w.acct["id"], body="eins")
    m2 = post(w.a.owner, t["id"], "zwei")
    m3 = post(w.a.owner, t["id"], "drei")
    h.eq(unread(w.c1, t["id"]), 3)
    r = read(w.c1, t["id"], m2["id"])
    h.eq({k: r.get(k) for k in ("thread_id", "up_to_message_id", "unread_count")},
         {"thread_id": t["id"], "up_to_message_id": m2["id"], "unread_count": 1})
    h.eq(unread(w.c1, t["id"]), 1)
    h.eq(unread(w.c2, t["id"]), 3, "markers are per user")
    r = read(w.c1, t["id"], m3["id"])
    h.eq(r["unread_count"], 0)
    h.eq(unread(w.c1, t["id"]), 0)
    err(w.c1.post(f"/api/v1/threads/{t['id']}/read", {}), 422, field="up_to_message_id")
    err(w.c1.post(f"/api/v1/threads/{t['id']}/read", {"up_to_message_id": "5"}), 422, field="up_to_message_id")
    err(w.c1.post(f"/api/v1/threads/{t['id']}/read", {"up_to_message_id": -1}), 422, field="up_to_message_id")


@h.test
def own_messages_are_never_unread_and_posting_moves_the_marker():
    w = world()
    t = w.a.thread(w.acct["id"])
    h.eq(unread(w.a.owner, t["id"]), 0, "the author's own first message")
    post(w.a.owner, t["id"], "noch eine")
    h.eq(unread(w.a.owner, t["id"]), 0, "own messages")
    h.eq(unread(w.c1, t["id"]), 2)
    post(w.c1, t["id"], "Antwort")
    h.eq(unread(w.c1, t["id"]), 0, "posting moved the contact's marker over what it answered")
    h.eq(unread(w.a.owner, t["id"]), 1)
    h.eq(unread(w.c2, t["id"]), 3, "the other contact counts the first contact's message")
    # Reading back to 0 still leaves one's own messages read.
    r = read(w.c1, t["id"], 0)
    h.eq(r["unread_count"], 2, "only the firm's two messages")


@h.test
def internal_notes_are_unread_for_staff_only():
    w = world()
    m = w.a.staff("member")
    t = w.a.thread(w.acct["id"])
    read(w.c1, t["id"], t["last_message_id"])
    read(m, t["id"], t["last_message_id"])
    note = post(w.a.owner, t["id"], "Achtung, Mahnung offen", internal=True)
    h.eq(note["internal"], True)
    h.eq(unread(m, t["id"]), 1, "a colleague has the note unread")
    h.eq(unread(w.c1, t["id"]), 0, "a contact never")
    h.eq(unread(w.a.owner, t["id"]), 0, "the author never")
    r = read(w.c1, t["id"], 0)
    h.eq(r["unread_count"], 1, "the contact counts the first message, never the note")
    h.eq(read(m, t["id"], note["id"])["unread_count"], 0)


@h.test
def account_unread_count_and_filter():
    srv = h.server()
    f = h.Firm(srv)
    a1, a2 = f.account(), f.account()
    c1 = f.contact(a1["id"])
    c2 = f.contact(a2["id"])
    t1 = f.thread(a1["id"])
    t1b = f.thread(a1["id"])
    t2 = f.thread(a2["id"])
    h.eq(account_unread(c1, a1["id"]), 2)
    h.eq(account_unread(f.owner, a1["id"]), 0)
    post(c1, t1["id"], "reply 1")
    post(c1, t1b["id"], "reply 2")
    post(c1, t1b["id"], "reply 3")
    h.eq(account_unread(f.owner, a1["id"]), 3)
    h.eq(account_unread(f.owner, a2["id"]), 0)
    items = f.owner.must("GET", "/api/v1/accounts", query={"unread": "true"})["items"]
    h.eq([a["id"] for a in items], [a1["id"]])
    h.eq(items[0]["unread_count"], 3)
    listed = {a["id"]: a["unread_count"] for a in f.owner.must("GET", "/api/v1/accounts")["items"]}
    h.eq(listed, {a1["id"]: 3, a2["id"]: 0})
    read(f.owner, t1b["id"], thread(f.owner, t1b["id"])["last_message_id"])
    h.eq(account_unread(f.owner, a1["id"]), 1)
    # For the contacts.
    h.eq([a["id"] for a in c2.must("GET", "/api/v1/accounts", query={"unread": "true"})["items"]], [a2["id"]])
    read(c2, t2["id"], t2["last_message_id"])
    h.eq(c2.must("GET", "/api/v1/accounts", query={"unread": "true"})["items"], [])
    # Internal notes count for the firm's other staff only.
    m = f.staff("member")
    base = account_unread(m, a2["id"])
    post(f.owner, t2["id"], "intern", internal=True)
    h.eq(account_unread(m, a2["id"]), base + 1)
    h.eq(account_unread(c2, a2["id"]), 0)
    h.eq(c2.must("GET", "/api/v1/accounts", query={"unread": "true"})["items"], [])


# --- internal notes never reach a contact --------------------------------------------------------------

@h.test
def contact_never_sees_an_internal_note():
    w = world()
    t = w.a.thread(w.acct["id"], body="public one")
    read(w.c1, t["id"], t["last_message_id"])
    before = thread(w.c1, t["id"])
    acct_before = w.c1.must("GET", f"/api/v1/accounts/{w.acct['id']}")
    note = post(w.a.owner, t["id"], "INTERNAL-SECRET", internal=True)
    post(w.a.owner, t["id"], "INTERNAL-SECRET-2", internal=True, client_msg_id=f"n-{tag()}")
    # Staff see it.
    h.ok(note["id"] in [m["id"] for m in msgs(w.a.owner, t["id"])["items"]], "staff see the note")
    h.eq(thread(w.a.owner, t["id"])["last_message_id"], note["id"] + 1)
    for c in (w.c1, w.c2):
        # Not in the message list, in any page direction.
        for q in ({}, {"after": t["last_message_id"]}, {"before": NOWHERE}, {"after": 1, "limit": 200}):
            page = msgs(c, t["id"], **q)
            h.ok(all(not m["internal"] for m in page["items"]), f"no note in {q}")
            h.ok("INTERNAL-SECRET" not in str(page), f"no note text in {q}")
        # Not in the thread: last message, its time, unread, waiting.
        th = thread(c, t["id"])
        h.eq(th["last_message_id"], t["last_message_id"])
        h.eq(th["last_message_at"], before["last_message_at"])
        h.eq(th["waiting_on"], before["waiting_on"])
        h.eq(th["waiting_since"], before["waiting_since"])
        listed = [x for x in c.must("GET", "/api/v1/threads", query={"limit": 200})["items"] if x["id"] == t["id"]][0]
        h.eq(listed["last_message_id"], t["last_message_id"])
        h.eq(listed["last_message_at"], before["last_message_at"])
        h.ok("INTERNAL" not in str(listed), "no note text in the list")
    h.eq(thread(w.c1, t["id"])["unread_count"], 0)
    h.ok(t["id"] not in [x["id"] for x in w.c1.must("GET", "/api/v1/threads", query={"unread": "true"})["items"]],
         "not unread in the list")
    acct = w.c1.must("GET", f"/api/v1/accounts/{w.acct['id']}")
    h.eq(acct["unread_count"], acct_before["unread_count"], "account unread unchanged")
    h.eq(acct.get("last_activity_at"), acct_before.get("last_activity_at"),
         "the account's last activity does not move for a note")
    listed = w.c1.must("GET", "/api/v1/accounts")["items"][0]
    h.eq(listed.get("last_activity_at"), acct_before.get("last_activity_at"), "nor in the account list")
    # The thread order a contact sees is by public messages.
    other = w.a.thread(w.acct["id"], body="newer public")
    post(w.a.owner, t["id"], "INTERNAL-SECRET-3", internal=True)
    order = [x["id"] for x in w.c1.must("GET", "/api/v1/threads", query={"limit": 200})["items"]]
    h.ok(order.index(other["id"]) < order.index(t["id"]), "a note does not move the thread up for a contact")


@h.test
def internal_note_leaves_waiting_and_archive_alone():
    w = world()
    t = w.a.thread(w.acct["id"])
    c = post(w.c1, t["id"], "Frage vom Mandanten")
    th = thread(w.a.owner, t["id"])
    h.eq(th["waiting_on"], "firm")
    h.eq(th["waiting_since"], c["created_at"])
    post(w.a.owner, t["id"], "intern: wer macht das?", internal=True)
    th2 = thread(w.a.owner, t["id"])
    h.eq((th2["waiting_on"], th2["waiting_since"]), ("firm", c["created_at"]), "a note answers nobody")
    s1 = post(w.a.owner, t["id"], "Antwort")
    th3 = thread(w.a.owner, t["id"])
    h.eq((th3["waiting_on"], th3["waiting_since"]), ("client", s1["created_at"]))
    post(w.a.owner, t["id"], "Nachtrag")
    h.eq(thread(w.a.owner, t["id"])["waiting_since"], s1["created_at"], "the first unanswered message counts")
    # A note to an archived thread leaves it archived; a public message reopens it.
    w.a.owner.must("PATCH", f"/api/v1/threads/{t['id']}", {"archived": True}, status=200)
    post(w.a.owner, t["id"], "note", internal=True)
    h.eq(thread(w.a.owner, t["id"])["archived"], True)
    post(w.a.owner, t["id"], "public")
    h.eq(thread(w.a.owner, t["id"])["archived"], False)


# --- Markdown ------------------------------------------------------------------------------------------

@h.test
def markdown_renders_safely():
    w = world()
    t = w.a.thread(w.acct["id"])
    m = post(w.a.owner, t["id"], "**fett** und _kursiv_\n\n- eins\n- zwei\n\n[Kanzlei](https://example.com/a?b=1&c=2)")
    html = m["body_html"]
    for want in ("<strong>fett</strong>", "<em>kursiv</em>", "<ul>", "<li>eins</li>",
                 '<a href="https://example.com/a?b=1&amp;c=2">Kanzlei</a>'):
        h.ok(want in html, f"{want!r} in {html!r}")
    evil = ("<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n"
            "[klick](javascript:alert(3)) [b](JaVaScRiPt:alert(4)) [c](vbscript:msgbox(5))\n\n"
            "<a href=\"javascript:alert(6)\">x</a> <iframe src=https://evil.test></iframe>\n\n"
            "![bild](javascript:alert(7)) <b onmouseover=alert(8)>b</b>")
    m = post(w.a.owner, t["id"], evil)
    html = m["body_html"].lower()
    for bad in ("<script", "<img src=x", "onerror", "javascript:", "vbscript:", "<iframe", "onmouseover", "<b "):
        h.ok(bad not in html, f"{bad!r} not in {m['body_html']!r}")
    h.eq(m["body"], evil, "the body itself is kept as written")
    h.ok("&lt;" in post(w.a.owner, t["id"], "`<script>`")["body_html"], "code is escaped")


@h.test
def links_to_video_and_drive_are_embeds():
    w = world()
    t = w.a.thread(w.acct["id"])
    cases = [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube"),
        ("https://youtu.be/dQw4w9WgXcQ", "youtube"),
        ("https://vimeo.com/76979871", "vimeo"),
        ("https://www.loom.com/share/0123456789abcdef", "loom"),
        ("https://drive.google.com/file/d/1AbC/view?usp=sharing", "drive"),
    ]
    for url, provider in cases:
        m = post(w.a.owner, t["id"], f"Schau mal: {url}")
        h.eq(len(m["embeds"]), 1, f"one embed for {url}: {m['embeds']}")
        e = m["embeds"][0]
        h.eq(e["url"], url)
        h.ok(provider in e["provider"].lower().replace(" ", "_"), f"provider {e['provider']!r} for {url}")
    m = post(w.a.owner, t["id"], "Video: [hier](https://vimeo.com/1234). Und https://youtu.be/abc.")
    h.eq([e["url"] for e in m["embeds"]], ["https://vimeo.com/1234", "https://youtu.be/abc"])
    for url in ("https://example.com/watch?v=1", "https://notyoutube.com/watch?v=1",
                "https://youtube.com.evil.test/watch?v=1", "https://vimeo.com.evil.test/1", "ftp://vimeo.com/1",
                "youtube.com/watch?v=1 without scheme"):
        h.eq(post(w.a.owner, t["id"], f"link {url}")["embeds"], [], f"no embed for {url}")
    # Listed messages carry the embeds too.
    listed = msgs(w.a.owner, t["id"], limit=3)["items"]
    h.ok(all("embeds" in x for x in listed), "embeds in the list")


@h.test
def mentions_by_full_name_and_email_localpart():
    srv = h.server()
    f = h.Firm(srv)
    t0 = tag()
    mia_email = f"mia.maier-{t0}@firm.test"
    mia = f.owner.must("POST", "/api/v1/staff", {"name": f"Mia Maier{t0}", "email": mia_email,
                                                 "password": h.PASSWORD}, status=201)
    bo = f.owner.must("POST", "/api/v1/staff", {"name": f"Bo Brandt{t0}", "email": f"bo{t0}@firm.test",
                                                "password": h.PASSWORD}, status=201)
    a = f.account()
    c = f.contact(a["id"], name=f"Carl Client{t0}")
    t = f.thread(a["id"])
    local = mia_email.split("@")[0]

    def mentions(author, body, internal=False):
        return post(author, t["id"], body, internal=internal)["mentions"]

    h.eq(mentions(f.owner, f"Bitte @Mia Maier{t0} übernehmen"), [mia["id"]])
    h.eq(mentions(f.owner, f"@mia maier{t0}, bitte"), [mia["id"]], "any case")
    h.eq(mentions(f.owner, f"cc @{local}"), [mia["id"]])
    h.eq(mentions(f.owner, f"danke @{local}."), [mia["id"]], "a mention ending a sentence")
    h.eq(mentions(f.owner, f"@{local} und @Bo Brandt{t0}"), sorted([mia["id"], bo["id"]]))
    h.eq(mentions(f.owner, f"@{local} @{local} @Mia Maier{t0}"), [mia["id"]], "once each")
    h.eq(mentions(f.owner, f"schreib an {mia_email}"), [], "an email address is no mention")
    h.eq(mentions(f.owner, f"@{local}x"), [], "a longer word is no mention")
    h.eq(mentions(f.owner, f"@Mia Maier{t0}son"), [], "a longer name is no mention")
    h.eq(mentions(f.owner, f"@Carl Client{t0}"), [], "contacts are not mentioned")
    h.eq(mentions(f.owner, "Mia Maier ohne at"), [])
    h.eq(mentions(c, f"Frage an @Bo Brandt{t0}"), [], "a contact's @name resolves to no staff id")
    h.eq(mentions(f.owner, f"intern @{local}", internal=True), [mia["id"]])
    # Another firm's staff with the same kind of name is not mentioned.
    g = h.Firm(srv)
    g.owner.must("POST", "/api/v1/staff", {"name": f"Zed Zorn{t0}", "email": f"zed{t0}@other.test",
                                           "password": h.PASSWORD}, status=201)
    h.eq(mentions(f.owner, f"@Zed Zorn{t0} @zed{t0}"), [])


h.main()
