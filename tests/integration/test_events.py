"""Live events: GET /api/v1/events as a WebSocket and as long poll (API.md, Events).

Two foliod instances share one database; events posted through one reach
subscribers of the other. A subscriber that resumes with `since` gets exactly
what it missed, across foliod and PostgreSQL restarts. What a subscriber may
see is checked against the log itself (the `events` table), so these tests
prove "every visible event, exactly once, in id order" rather than counting.
"""

import base64
import json
import os
import random
import socket
import subprocess
import threading
import time
import uuid

import websocket

import eventsub
import harness as h

ROOT = h.ROOT
WAIT = 45  # seconds for anything to arrive on a loaded two-core machine


# --- helpers ---------------------------------------------------------------

Sub = eventsub.Sub


class RawWs:
    """A WebSocket done by hand, for peers that misbehave (never read, never pong)."""

    def __init__(self, port, token, since=None, rcvbuf=None):
        self.s = socket.socket()
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        path = "/api/v1/events?access_token=" + token + (f"&since={since}" if since is not None else "")
        self.s.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buf = b""
        self.s.settimeout(30)
        while b"\r\n\r\n" not in self.buf:
            d = self.s.recv(4096)
            if not d:
                raise h.Failure("no handshake answer")
            self.buf += d
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        h.ok(b" 101 " in head.split(b"\r\n")[0], "the upgrade was accepted")

    def read_all(self, timeout=WAIT):
        """Reads frames until the server closes: (texts, close code or None)."""
        texts, code, end = [], None, time.monotonic() + timeout
        self.s.settimeout(2)
        while time.monotonic() < end:
            frame = self._frame()
            if frame is None:
                try:
                    d = self.s.recv(65536)
                except socket.timeout:
                    continue
                except OSError:
                    break
                if not d:
                    break
                self.buf += d
                continue
            op, payload = frame
            if op == 1:
                texts.append(json.loads(payload))
            elif op == 8:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                break
        return texts, code

    def _frame(self):
        b = self.buf
        if len(b) < 2:
            return None
        n, off = b[1] & 0x7F, 2
        if n == 126:
            if len(b) < 4:
                return None
            n, off = int.from_bytes(b[2:4], "big"), 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, off = int.from_bytes(b[2:10], "big"), 10
        if len(b) < off + n:
            return None
        self.buf = b[off + n:]
        return b[0] & 0x0F, b[off:off + n]

    def close(self):
        self.s.close()


def head(client):
    """The current end of the stream for this user: GET /api/v1/events answers {items:[], next}."""
    r = client.must("GET", "/api/v1/events")
    h.eq(r["items"], [], "items of a poll without since")
    return r["next"]


def poll_all(client, since, limit=None):
    """Every event after since through long poll (wait=0), page by page."""
    items = []
    while True:
        q = f"/api/v1/events?since={since}&wait=0" + (f"&limit={limit}" if limit else "")
        r = client.must("GET", q)
        items += r["items"]
        if not r["items"] and r["next"] == since:
            return items
        h.ok(r["next"] >= since, "next never goes back")
        since = r["next"]


def drained(db):
    """Waits until every committed outbox row has been sequenced."""
    h.wait_for(lambda: db.sql("SELECT count(*) FROM event_outbox") == "0", WAIT, "the outbox to drain")


def visible_ids(db, user, since=0, staff=True, account_id=None):
    """The ids of the log this user may see after since, from the log itself."""
    if staff:
        cond = f"(user_id IS NULL OR user_id = {int(user['id'])})"
    else:
        cond = (f"NOT staff_only AND (user_id = {int(user['id'])} OR"
                f" (user_id IS NULL AND account_id = {int(account_id)}))")
    firm = db.sql(f"SELECT firm_id FROM users WHERE id = {int(user['id'])}")
    out = db.sql(f"SELECT id FROM events WHERE firm_id = {int(firm)} AND id > {int(since)} AND {cond}"
                 " ORDER BY id")
    return [int(x) for x in out.split()] if out else []


def post(client, thread_id, body, internal=False, cmid=None, retry=False):
    """Posts a message; with retry, rides out 503s (the database restarting) idempotently."""
    payload = {"body": body, "internal": internal, "client_msg_id": cmid or uuid.uuid4().hex}
    end = time.monotonic() + WAIT
    while True:
        try:
            r = client.post(f"/api/v1/threads/{thread_id}/messages", payload)
            if r.status in (200, 201):
                return r.json
            if not retry or r.status != 503:
                raise h.Failure(f"post: {r!r}")
        except OSError:
            if not retry:
                raise
        if time.monotonic() > end:
            raise h.Failure("post: the server did not recover")
        time.sleep(0.2)


def tid(e):
    """The thread an event is about, whatever its shape."""
    for k in ("thread", "task", "notification"):
        if k in e:
            return e[k].get("id") if k == "thread" else e[k].get("thread_id")
    return e.get("thread_id")


def strictly_increasing(ids, what):
    for a, b in zip(ids, ids[1:]):
        if b <= a:
            raise h.Failure(f"{what}: id {b} after {a}")


class World:
    """Two instances on one database, a firm with two accounts, staff and contacts."""

    def __init__(self):
        self.a = h.Server(name="foliod-a")
        self.b = h.Server(db=self.a.db, name="foliod-b")
        self.db = self.a.db
        self.f = h.Firm(self.a)
        self.staff = self.f.staff()
        self.acc1, self.acc2 = self.f.account(), self.f.account()
        self.c1 = self.f.contact(self.acc1["id"])
        self.c2 = self.f.contact(self.acc2["id"])
        self.t1 = self.f.thread(self.acc1["id"], subject="Year end")
        self.t2 = self.f.thread(self.acc2["id"], subject="Payroll")

    def on(self, srv, client):
        """The same session, talking to another instance."""
        return h.Client(srv, client.token, client.user)


_world = None


def world():
    global _world
    if _world is None:
        _world = World()
    return _world


# --- tests -----------------------------------------------------------------

@h.test
def message_through_a_reaches_subscriber_on_b():
    w = world()
    owner_b = w.on(w.b, w.f.owner)
    s_owner, s_staff = Sub(w.b, owner_b), Sub(w.b, w.on(w.b, w.staff), header_auth=False)
    s_c1, s_c2 = Sub(w.b, w.on(w.b, w.c1)), Sub(w.a, w.c2, subprotocol="folio-events")
    m = post(w.f.owner, w.t1["id"], "Hello from A", cmid="echo-1")
    for s in (s_owner, s_staff, s_c1):
        s.wait(lambda s: any(e["type"] == "message.created" and e["message"]["id"] == m["id"] for e in s.events),
               "the message on B")
    ev = next(e for e in s_owner.of_type("message.created") if e["message"]["id"] == m["id"])
    h.eq(ev["thread_id"], w.t1["id"], "thread_id")
    h.eq(ev["account_id"], w.acc1["id"], "account_id")
    h.eq(ev["message"]["body"], "Hello from A", "body")
    h.eq(ev["message"]["client_msg_id"], "echo-1", "the author's own copy carries client_msg_id")
    other = next(e for e in s_staff.of_type("message.created") if e["message"]["id"] == m["id"])
    h.eq(other["message"].get("client_msg_id"), None, "another user's copy has no client_msg_id")
    # The thread moved as well, for everyone who sees it.
    s_c1.wait(lambda s: any(e["type"] == "thread.updated" and e["thread"]["id"] == w.t1["id"] for e in s.events),
              "thread.updated for the contact")
    upd = next(e for e in s_c1.of_type("thread.updated") if e["thread"]["id"] == w.t1["id"])
    h.eq(upd["thread"]["last_message_id"], m["id"], "the contact's thread shows the new message")
    h.ok("unread_count" not in upd["thread"], "thread events carry no per-user unread count")
    # Markers: a message to each account, posted last, so everything before it has arrived.
    last1 = post(w.f.owner, w.t1["id"], "marker 1")
    last2 = post(w.f.owner, w.t2["id"], "marker 2")
    for s, mid in ((s_owner, last2["id"]), (s_c1, last1["id"]), (s_c2, last2["id"])):
        s.wait(lambda s: any(e["type"] == "message.created" and e["message"]["id"] == mid for e in s.events),
               "the marker")
    h.ok(all(e.get("account_id", w.acc1["id"]) == w.acc1["id"] and
             e.get("thread", {}).get("account_id", w.acc1["id"]) == w.acc1["id"] for e in s_c1.events),
         "contact 1 sees only account 1")
    h.ok(all(e.get("account_id", w.acc2["id"]) == w.acc2["id"] for e in s_c2.events), "contact 2 sees only account 2")
    for s in (s_owner, s_staff, s_c1, s_c2):
        strictly_increasing(s.ids, "ids")
        s.close()


@h.test
def contacts_never_see_internal_notes_or_other_accounts():
    w = world()
    since = head(w.f.owner)
    s_c1, s_c2, s_staff = Sub(w.a, w.c1, since=since), Sub(w.b, w.on(w.b, w.c2), since=since), Sub(w.a, w.staff)
    other = h.Firm(w.a)
    other_acc = other.account()
    other.contact(other_acc["id"])
    s_other = Sub(w.b, w.on(w.b, other.owner))
    note = post(w.staff, w.t1["id"], "Internal: check their VAT number", internal=True)
    pub = post(w.staff, w.t1["id"], "Could you send the VAT number?")
    c2msg = post(w.c2, w.t2["id"], "Payroll file attached", cmid="c2-file")
    w.f.owner.must("PATCH", f"/api/v1/threads/{w.t2['id']}", {"archived": True})
    w.f.owner.must("PATCH", f"/api/v1/threads/{w.t2['id']}", {"archived": False})
    ot = other.thread(other_acc["id"], body="Other firm's news")
    end1 = post(w.f.owner, w.t1["id"], "end 1")
    end2 = post(w.f.owner, w.t2["id"], "end 2")
    s_c1.wait(lambda s: any(e.get("message", {}).get("id") == end1["id"] for e in s.events), "end 1")
    s_c2.wait(lambda s: any(e.get("message", {}).get("id") == end2["id"] for e in s.events), "end 2")
    s_staff.wait(lambda s: any(e.get("message", {}).get("id") == end2["id"] for e in s.events), "end for staff")
    s_other.wait(lambda s: any(e["type"] == "thread.created" and e["thread"]["id"] == ot["id"] for e in s.events),
                 "the other firm's own thread")
    c1_msgs = [e["message"]["id"] for e in s_c1.of_type("message.created")]
    h.ok(note["id"] not in c1_msgs, "the contact did not get the internal note")
    h.ok(pub["id"] in c1_msgs, "the contact got the public message")
    h.ok(not any(e.get("message", {}).get("internal") for e in s_c1.events), "no internal message at all")
    # The note moved the thread for staff only: the contact's thread.updated never shows it.
    for e in s_c1.of_type("thread.updated"):
        h.ok(e["thread"]["last_message_id"] != note["id"], "thread.updated does not reveal the note")
    staff_upd = [e for e in s_staff.of_type("thread.updated") if e["thread"]["last_message_id"] == note["id"]]
    h.eq(len(staff_upd), 1, "staff got the note's thread.updated")
    h.ok(note["id"] in [e["message"]["id"] for e in s_staff.of_type("message.created")], "staff got the note")
    h.ok(all(e.get("account_id", w.acc1["id"]) == w.acc1["id"] for e in s_c1.events), "contact 1: account 1 only")
    h.ok(c2msg["id"] not in c1_msgs, "contact 1 did not get contact 2's message")
    h.ok(not any(tid(e) == w.t2["id"] for e in s_c1.events), "nor anything of account 2's thread")
    h.ok(not any(tid(e) == w.t1["id"] for e in s_c2.events), "nor contact 2 of account 1's thread")
    archived = [e["thread"]["archived"] for e in s_c2.of_type("thread.updated") if e["thread"]["id"] == w.t2["id"]]
    h.ok(True in archived and archived[-1] is False, "contact 2 saw the archive and the reopening")
    h.ok(all(tid(e) == ot["id"] for e in s_other.events), "the other firm sees only its own events")
    # Exactly the log as each may see it, nothing more.
    drained(w.db)
    h.eq(s_c1.ids, visible_ids(w.db, w.c1.user, since, staff=False, account_id=w.acc1["id"])[:len(s_c1.ids)],
         "contact 1's stream is the log as contact 1 sees it")
    h.eq(s_c2.ids, visible_ids(w.db, w.c2.user, since, staff=False, account_id=w.acc2["id"])[:len(s_c2.ids)],
         "contact 2's stream is the log as contact 2 sees it")
    for s in (s_c1, s_c2, s_staff, s_other):
        s.close()


@h.test
def events_carry_the_object_as_each_receiver_sees_it():
    w = world()
    s_author, s_staff, s_c1 = Sub(w.a, w.staff), Sub(w.b, w.on(w.b, w.f.owner)), Sub(w.b, w.on(w.b, w.c1))
    m = post(w.staff, w.t1["id"], "Your **VAT** return", cmid="obj-1")

    def rest(client):
        r = client.must("GET", f"/api/v1/threads/{w.t1['id']}/messages?before={m['id'] + 1}&limit=1")
        return r["items"][0]

    def event(s):
        return s.wait(lambda s: next((e for e in s.of_type("message.created") if e["message"]["id"] == m["id"]),
                                     None), "the message")

    def bare(msg):
        return {k: v for k, v in msg.items() if k != "delivery"}  # mail progress moves on

    h.eq(event(s_c1)["message"], rest(w.c1), "the contact's message is exactly what the contact GETs")
    h.eq(event(s_c1)["message"].get("delivery"), None, "no staff-only delivery status for contacts")
    h.eq(bare(event(s_author)["message"]), bare(rest(w.staff)), "the author's message, client_msg_id included")
    h.eq(event(s_author)["message"]["client_msg_id"], "obj-1", "the author's client_msg_id")
    h.eq(bare(event(s_staff)["message"]), dict(bare(rest(w.f.owner)), client_msg_id=None), "another staff member's")
    h.ok(event(s_staff)["message"].get("delivery") is not None, "staff see the delivery status")
    upd = s_c1.wait(lambda s: next((e for e in s.of_type("thread.updated")
                                    if e["thread"]["last_message_id"] == m["id"]), None), "thread.updated")
    got = w.c1.must("GET", f"/api/v1/threads/{w.t1['id']}")
    got.pop("unread_count")
    h.eq(upd["thread"], got, "the contact's thread is exactly what the contact GETs, but unread_count")
    for s in (s_author, s_staff, s_c1):
        s.close()


@h.test
def read_markers_reach_only_the_same_user():
    w = world()
    a, b = w.f.owner, w.on(w.b, w.a.login(w.f.owner_email, h.PASSWORD))  # two sessions of one user
    s_a, s_b, s_staff, s_c1 = Sub(w.a, a), Sub(w.b, b), Sub(w.a, w.staff), Sub(w.b, w.on(w.b, w.c1))
    m = post(w.c1, w.t1["id"], "Sent the papers")
    s_b.wait(lambda s: any(e.get("message", {}).get("id") == m["id"] for e in s.events), "the client's message")
    r = a.must("POST", f"/api/v1/threads/{w.t1['id']}/read", {"up_to_message_id": m["id"]})
    ev = s_b.wait(lambda s: next((e for e in s.of_type("thread.read") if e["up_to_message_id"] == m["id"]), None),
                  "thread.read on the other session")
    h.eq(ev["thread_id"], w.t1["id"], "thread_id")
    h.eq({k: v for k, v in ev.items() if k not in ("id", "type")}, r, "thread.read is the read answer")
    h.eq(ev["unread_count"], 0, "all read")
    s_a.wait(lambda s: s.of_type("thread.read"), "thread.read on the same session")
    c_read = w.c1.must("POST", f"/api/v1/threads/{w.t1['id']}/read", {"up_to_message_id": m["id"]})
    s_c1.wait(lambda s: s.of_type("thread.read"), "the contact's own thread.read")
    h.eq(s_c1.of_type("thread.read")[-1]["unread_count"], c_read["unread_count"], "the contact's unread count")
    end = post(w.f.owner, w.t1["id"], "end")
    s_staff.wait(lambda s: any(e.get("message", {}).get("id") == end["id"] for e in s.events), "end")
    h.eq(s_staff.of_type("thread.read"), [], "another staff member hears nothing of their markers")
    h.eq(len(s_a.of_type("thread.read")), 1, "the owner's sessions hear only the owner's marker")
    for s in (s_a, s_b, s_staff, s_c1):
        s.close()


@h.test
def task_and_thread_creation_events():
    w = world()
    s_c1, s_staff = Sub(w.a, w.c1), Sub(w.b, w.on(w.b, w.staff))
    t = w.f.thread(w.acc1["id"], subject="Checklist", tasks=[{"title": "Upload bank statements"}],
                   client_msg_id="new-chat-1")
    s_c1.wait(lambda s: any(e["type"] == "message.created" and e["thread_id"] == t["id"] for e in s.events),
              "the new chat's first message")
    kinds = [e["type"] for e in s_c1.events if e.get("thread", {}).get("id") == t["id"] or e.get("thread_id") == t["id"]]
    h.eq(kinds[:2], ["thread.created", "message.created"], "a new chat: thread first, then its message")
    task_id = t["tasks"][0]["id"]
    answer = w.c1.must("PATCH", f"/api/v1/tasks/{task_id}", {"done": True})
    ev = s_staff.wait(lambda s: next((e for e in s.of_type("task.updated") if e["task"]["id"] == task_id), None),
                      "task.updated for staff")
    h.eq(ev["task"], answer, "the task as the PATCH answered it")
    h.eq(ev["task"]["done"], True, "done")
    h.eq(ev["task"]["thread_id"], t["id"], "thread_id")
    s_c1.wait(lambda s: s.of_type("task.updated"), "task.updated for the contact")
    for s in (s_c1, s_staff):
        strictly_increasing(s.ids, "ids")
        s.close()


@h.test
def live_only_without_since():
    w = world()
    before = post(w.f.owner, w.t1["id"], "before the socket")
    drained(w.db)
    h.wait_for(lambda: head(w.f.owner) >= int(w.db.sql("SELECT max(id) FROM events")), WAIT, "the hub to catch up")
    s = Sub(w.a, w.f.owner)
    after = post(w.f.owner, w.t1["id"], "after the socket")
    s.wait(lambda s: any(e.get("message", {}).get("id") == after["id"] for e in s.events), "the new message")
    h.ok(not any(e.get("message", {}).get("id") == before["id"] for e in s.events), "nothing from before")
    s.close()


def resume_check(w, sub_client, srv, since, bodies, tid):
    """Connects with since and checks: the missed messages exactly, in order, and the log as visible."""
    drained(w.db)
    want = visible_ids(w.db, sub_client.user, since)
    s = Sub(srv, sub_client, since=since)
    s.wait_id(want[-1])
    got = [e["message"]["body"] for e in s.of_type("message.created") if e["thread_id"] == tid]
    h.eq(got, bodies, "the missed messages, exactly, in order")
    h.eq(s.ids[:len(want)], want, "every visible event after since, once, in id order")
    h.ok(min(s.ids) > since, "nothing at or before since")
    return s


@h.test
def resume_after_100_missed_messages():
    w = world()
    s = Sub(w.a, w.f.owner)
    m = post(w.f.owner, w.t1["id"], "seen")
    s.wait(lambda s: any(e.get("message", {}).get("id") == m["id"] for e in s.events), "the first message")
    s.close()
    since = s.last
    bodies = [f"missed {i}" for i in range(100)]
    for b in bodies:
        post(w.staff, w.t1["id"], b)
    s2 = resume_check(w, w.f.owner, w.b, since, bodies, w.t1["id"])
    s2.close()
    # The same through long poll, a page of 7 at a time.
    items = poll_all(w.f.owner, since, limit=7)
    h.eq([e["id"] for e in items][:len(s2.ids)], s2.ids, "long poll pages give the same events")


@h.test
def resume_across_foliod_restart():
    w = world()
    a = h.Server(db=w.db, name="foliod-c")
    owner_a = w.on(a, w.f.owner)
    s = Sub(a, owner_a)
    m = post(w.f.owner, w.t2["id"], "before the restart")
    s.wait(lambda s: any(e.get("message", {}).get("id") == m["id"] for e in s.events), "the first message")
    since = s.last
    a.stop()
    h.eq(s.wait_closed(), 1001, "close code on SIGTERM")
    bodies = [f"while down {i}" for i in range(100)]
    for b in bodies:  # through the other instances while this one is down
        post(w.on(w.b, w.staff), w.t2["id"], b)
    a.start()
    s2 = resume_check(w, owner_a, a, since, bodies, w.t2["id"])
    # And live again after the restart.
    m2 = post(w.f.owner, w.t2["id"], "after the restart")
    s2.wait(lambda s: any(e.get("message", {}).get("id") == m2["id"] for e in s.events), "a live message")
    s2.close()
    a.stop()


@h.test
def resume_across_postgresql_restart():
    w = world()
    state = os.environ.get("FOLIO_TEST_STATE") or h.STATE
    live = Sub(w.b, w.on(w.b, w.f.owner))
    gone = Sub(w.a, w.f.owner)
    m = post(w.f.owner, w.t1["id"], "before")
    for s in (live, gone):
        s.wait(lambda s: any(e.get("message", {}).get("id") == m["id"] for e in s.events), "the first message")
    gone.close()
    since = gone.last
    bodies = [f"pg {i}" for i in range(100)]
    for b in bodies[:50]:
        post(w.staff, w.t1["id"], b)
    out = subprocess.run([os.path.join(ROOT, "tests", "env", "pg.sh"), "restart", state], capture_output=True,
                         text=True)
    h.eq(out.returncode, 0, f"pg.sh restart: {out.stderr}")
    for b in bodies[50:]:
        post(w.on(w.b, w.staff), w.t1["id"], b, retry=True)
    # The socket that stayed open gets everything once its instance listens again.
    drained(w.db)
    want = visible_ids(w.db, w.f.owner.user, live.ids[0] - 1)
    live.wait_id(want[-1])
    h.eq(live.ids[:len(want)], want, "the open socket: every event once, in order, across the restart")
    got = [e["message"]["body"] for e in live.of_type("message.created") if e["message"]["body"].startswith("pg ")]
    h.eq(got, bodies, "the open socket: all 100 messages in order")
    s2 = resume_check(w, w.f.owner, w.a, since, bodies, w.t1["id"])
    s2.close()
    live.close()


@h.test
def stalled_subscriber_is_cut_off_others_keep_receiving():
    srv = h.Server(env={"FOLIO_EVENT_QUEUE": "100"}, name="foliod-q100")
    f = h.Firm(srv)
    acc = f.account()
    f.contact(acc["id"])
    t = f.thread(acc["id"])
    drained(srv.db)  # the new chat's own events come before since
    since = head(f.owner)
    stalled = RawWs(srv.port, f.owner.token, since=since, rcvbuf=4096)
    healthy = Sub(srv, f.owner, since=since)
    body = "x" * 16000
    posted = []

    def cut():
        with open(srv.log, errors="replace") as fp:
            return "cut off" in fp.read()

    while not cut():
        if len(posted) >= 1500:
            raise h.Failure("the stalled subscriber was never cut off")
        posted.append(post(f.owner, t["id"], f"{len(posted)} {body}")["id"])
    healthy.wait(lambda s: len(s.of_type("message.created")) == len(posted) or s.closed.is_set(),
                 "every message on the healthy socket")
    h.eq(healthy.close_code, None, "the healthy subscriber's socket is still open")
    h.eq([e["message"]["id"] for e in healthy.of_type("message.created")], posted, "in order, once")
    texts, code = stalled.read_all()
    stalled.close()
    h.eq(code, 4408, "the stalled subscriber's close code")
    h.ok(len([e for e in texts if e["type"] == "message.created"]) < len(posted),
         "the stalled subscriber did not get everything")
    strictly_increasing([e["id"] for e in texts], "stalled ids")
    # It resumes with since and misses nothing.
    resumed = Sub(srv, f.owner, since=texts[-1]["id"] if texts else since)
    resumed.wait(lambda s: len([e for e in texts + s.events if e["type"] == "message.created"]) >= len(posted),
                 "the rest after resuming")
    got = [e["message"]["id"] for e in texts + resumed.events if e["type"] == "message.created"]
    h.eq(got, posted, "stalled + resumed = every message once, in order")
    healthy.close()
    resumed.close()
    srv.stop()


@h.test
def long_poll_equals_the_socket():
    w = world()
    since = head(w.f.owner)
    s_staff, s_c1 = Sub(w.a, w.f.owner, since=since), Sub(w.b, w.on(w.b, w.c1), since=since)
    # A parked long poll is woken by the fan-out, on the other instance.
    woke = {}

    def park():
        t0 = time.monotonic()
        woke["r"] = w.on(w.b, w.c1).must("GET", f"/api/v1/events?since={since}&wait=40", timeout=60)
        woke["s"] = time.monotonic() - t0

    th = threading.Thread(target=park)
    th.start()
    time.sleep(0.3)  # let the poll park first (if it does not, it answers at once: same result)
    m = post(w.f.owner, w.t1["id"], "wake up")
    th.join(60)
    h.ok("r" in woke, "the long poll answered")
    h.ok(woke["s"] < 30, f"it answered on the event, not at the timeout ({woke['s']:.1f}s)")
    h.ok(any(e.get("message", {}).get("id") == m["id"] for e in woke["r"]["items"]), "with the message")
    h.ok(woke["r"]["next"] >= woke["r"]["items"][-1]["id"], "next is at least the last id")
    # Mixed changes, then the socket and the long poll must agree exactly.
    post(w.staff, w.t1["id"], "internal", internal=True)
    post(w.c1, w.t1["id"], "from the client")
    w.f.owner.must("POST", f"/api/v1/threads/{w.t1['id']}/read", {"up_to_message_id": m["id"]})
    w.f.owner.must("PATCH", f"/api/v1/threads/{w.t1['id']}", {"assignee_id": w.staff.id})
    end = post(w.f.owner, w.t2["id"], "end")
    drained(w.db)
    for s, client, kw in ((s_staff, w.f.owner, {}),
                          (s_c1, w.c1, {"staff": False, "account_id": w.acc1["id"]})):
        want = visible_ids(w.db, client.user, since, **kw)
        s.wait_id(want[-1])
        polled = poll_all(client, since, limit=3)
        h.eq([e["id"] for e in polled], want, "long poll = the log as visible")
        h.eq(polled, s.events[:len(polled)], "long poll = the socket, event by event")
        s.close()
    h.ok(any(e.get("message", {}).get("id") == end["id"] for e in s_staff.events), "the end marker")
    # A poll that times out answers no items and the same cursor.
    nxt = head(w.c1)
    r = w.c1.must("GET", f"/api/v1/events?since={nxt}&wait=1")
    h.eq(r, {"items": [], "next": nxt}, "a timed-out poll")


@h.test
def sixteen_writers_and_resuming_subscribers():
    w = world()
    start = head(w.f.owner)
    # Eight chats over the two accounts; writers: staff (some internal notes) and contacts.
    chats = [w.f.thread(acc["id"], subject=f"chat {i}") for i, acc in enumerate([w.acc1, w.acc2] * 4)]
    writers = [(w.f.owner if i % 2 else w.staff, w.a if i % 3 else w.b) for i in range(12)]
    writers += [(w.c1, w.a), (w.c1, w.b), (w.c2, w.a), (w.c2, w.b)]
    per_writer, errors, done = 25, [], threading.Event()

    def write(i, client, srv):
        try:
            c = w.on(srv, client)
            own = [t for t in chats if client.user["kind"] == "staff" or t["account_id"] == client.user["account_id"]]
            for n in range(per_writer):
                t = own[(i + n) % len(own)]
                internal = client.user["kind"] == "staff" and n % 5 == 4
                post(c, t["id"], f"w{i} n{n}", internal=internal)
        except Exception as e:  # reported below
            errors.append(repr(e))

    viewers = [(w.f.owner, w.a, {}), (w.staff, w.b, {}),
               (w.c1, w.b, {"staff": False, "account_id": w.acc1["id"]}),
               (w.c2, w.a, {"staff": False, "account_id": w.acc2["id"]})]
    results, final = {}, {}

    def resume(k, client, srv, kw):
        rnd, got, last, conns = random.Random(k), [], start, 0
        try:
            c = w.on(srv, client)
            while True:
                s = Sub(srv, c, since=last)
                conns += 1
                want = rnd.randint(1, 60)
                end = time.monotonic() + rnd.uniform(0.05, 1.0)
                while time.monotonic() < end and len(s.events) < want:
                    time.sleep(0.01)
                if k in final:  # writers are done: read up to the end
                    s.wait(lambda s: (s.events and s.events[-1]["id"] >= final[k]) or final[k] <= last,
                           "the final event")
                s.close()
                got += s.events
                last = got[-1]["id"] if got else last
                if k in final and last >= final[k] and conns >= 3:
                    break
        except Exception as e:
            errors.append(f"subscriber {k}: {e!r}")
        results[k] = (got, conns)

    subs = [threading.Thread(target=resume, args=(k, *v)) for k, v in enumerate(viewers)]
    for t in subs:
        t.start()
    ws = [threading.Thread(target=write, args=(i, *wr)) for i, wr in enumerate(writers)]
    for t in ws:
        t.start()
    for t in ws:
        t.join(300)
    h.eq(errors, [], "writer errors")
    h.eq(len(writers), 16, "writers")
    drained(w.db)
    for k, (client, srv, kw) in enumerate(viewers):
        ids = visible_ids(w.db, client.user, start, **kw)
        final[k] = ids[-1]
    for t in subs:
        t.join(300)
    h.eq(errors, [], "subscriber errors")
    total = int(w.db.sql(f"SELECT count(*) FROM messages WHERE thread_id IN ({','.join(str(t['id']) for t in chats)})"))
    h.eq(total, 16 * per_writer + len(chats), "messages stored")
    for k, (client, srv, kw) in enumerate(viewers):
        got, conns = results[k]
        ids = [e["id"] for e in got]
        want = visible_ids(w.db, client.user, start, **kw)
        h.ok(conns >= 3, f"subscriber {k} resumed ({conns} connections)")
        strictly_increasing(ids, f"subscriber {k}")
        h.eq(ids[:len(want)], want, f"subscriber {k}: every visible event exactly once, in id order")
        if not kw:
            h.eq(len([e for e in got if e["type"] == "message.created"]), 16 * per_writer + len(chats),
                 f"staff subscriber {k}: every message")
        else:
            h.ok(not any(e.get("message", {}).get("internal") for e in got), f"contact {k}: no internal note")


@h.test
def resync_required_past_the_retention():
    srv = h.Server(env={"FOLIO_EVENT_RETENTION_DAYS": "30"}, name="foliod-retention")
    f = h.Firm(srv)
    acc = f.account()
    f.contact(acc["id"])
    t = f.thread(acc["id"])
    for i in range(5):
        post(f.owner, t["id"], f"old {i}")
    drained(srv.db)
    first = int(srv.db.sql("SELECT min(id) FROM events"))
    srv.advance(31 * 86400, f.owner)  # runs the due passes: retention among them
    h.wait_for(lambda: srv.db.sql("SELECT count(*) FROM events") == "0", WAIT, "retention to delete")
    s = Sub(srv, f.owner, since=first)
    h.eq(s.wait_closed(), 4409, "close code for a since past the retention")
    r = f.owner.get(f"/api/v1/events?since={first}")
    h.eq((r.status, r.error), (409, "resync_required"), "long poll past the retention")
    # Starting again from the end works, and so does an unknown future id -> resync.
    nxt = head(f.owner)
    s2 = Sub(srv, f.owner, since=nxt)
    m = post(f.owner, t["id"], "new")
    s2.wait(lambda s: any(e.get("message", {}).get("id") == m["id"] for e in s.events), "a new event")
    s2.close()
    s3 = Sub(srv, f.owner, since=10 ** 12)
    h.eq(s3.wait_closed(), 4409, "close code for an id the log never issued")
    srv.stop()


@h.test
def bad_requests_are_refused_with_documented_codes():
    w = world()
    s = Sub(w.a, h.Client(w.a, "not-a-token"), header_auth=False)
    h.eq(s.wait_closed(), 4401, "unknown token")
    s = Sub(w.a, w.f.owner, since="abc")
    h.eq(s.wait_closed(), 4400, "since not a number")
    r = h.Client(w.a).get("/api/v1/events?wait=1")
    h.eq(r.status, 401, "long poll without a token")
    r = w.f.owner.get("/api/v1/events?since=-3")
    h.eq(r.status, 422, "negative since")
    try:
        websocket.create_connection(f"ws://127.0.0.1:{w.a.port}/api/v1/threads", timeout=10,
                                    header=["Authorization: Bearer " + w.f.owner.token]).close()
        raise h.Failure("a WebSocket upgrade on another path was accepted")
    except websocket.WebSocketException:
        pass
    # Staff viewing as a client get the client's stream.
    since = head(w.f.owner)
    url = f"ws://127.0.0.1:{w.a.port}/api/v1/events?since={since}&view_as_account={w.acc1['id']}"
    ws = websocket.create_connection(url, header=["Authorization: Bearer " + w.f.owner.token], timeout=30)
    post(w.staff, w.t1["id"], "note", internal=True)
    pub = post(w.staff, w.t1["id"], "public")
    seen = []
    while not any(e.get("message", {}).get("id") == pub["id"] for e in seen):
        seen.append(json.loads(ws.recv()))
    ws.close()
    h.ok(not any(e.get("message", {}).get("internal") for e in seen), "viewing as a client: no internal notes")


@h.test
def heartbeats_keep_the_healthy_and_reap_the_half_open():
    srv = h.Server(env={"FOLIO_EVENT_PING_SECONDS": "1"}, name="foliod-ping")
    f = h.Firm(srv)
    acc = f.account()
    f.contact(acc["id"])
    healthy = Sub(srv, f.owner)
    dead = RawWs(srv.port, f.owner.token)  # handshakes, then never answers a ping
    t0 = time.monotonic()
    texts, code = dead.read_all(timeout=WAIT)
    dead.close()
    h.ok(time.monotonic() - t0 < WAIT, "the half-open connection was hung up")
    healthy.wait(lambda s: s.pings >= 3, "pings on the healthy socket")
    h.ok(not healthy.closed.is_set(), "the healthy socket stays open")
    t = f.thread(acc["id"])
    healthy.wait(lambda s: any(e["type"] == "thread.created" and e["thread"]["id"] == t["id"] for e in s.events),
                 "an event after the pings")
    healthy.close()
    srv.stop()


@h.test
def logout_ends_the_stream():
    srv = h.Server(env={"FOLIO_EVENT_PING_SECONDS": "1"}, name="foliod-logout")
    f = h.Firm(srv)
    acc = f.account()
    f.contact(acc["id"])
    other = srv.login(f.owner_email, h.PASSWORD)
    gone, kept = Sub(srv, f.owner), Sub(srv, other)
    f.owner.must("DELETE", "/api/v1/sessions/current", status=204)
    h.eq(gone.wait_closed(), 4401, "the logged-out session's stream closes")
    t = f.thread(acc["id"], as_client=other)
    kept.wait(lambda s: any(e["type"] == "thread.created" and e["thread"]["id"] == t["id"] for e in s.events),
              "the other session goes on")
    kept.close()
    srv.stop()


@h.test
def sigterm_closes_streams_and_answers_long_polls():
    srv = h.Server(name="foliod-term", env={"FOLIO_LOG_LEVEL": "debug"})
    f = h.Firm(srv)
    s = Sub(srv, f.owner)
    res = {}

    def park():
        res["r"] = f.owner.get("/api/v1/events?wait=50", timeout=60)

    th = threading.Thread(target=park)
    th.start()

    def parked():
        with open(srv.log, errors="replace") as fp:
            return "long poll parked" in fp.read()

    h.wait_for(parked, WAIT, "the long poll to park")
    srv.stop()  # demands exit 0 and a clean log
    h.eq(s.wait_closed(), 1001, "close code on SIGTERM")
    th.join(60)
    h.eq(res["r"].status, 200, "the parked long poll was answered")
    h.eq(res["r"].json["items"], [], "with no items")


h.main()
