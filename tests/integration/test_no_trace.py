"""Internal notes leave no trace a contact can see (issue 13, part 9): not in the
thread's reminder state, not in the cursor of its long poll, not in what its
WebSocket sends. Each check compares what a contact sees before and after staff
wrote only things a contact may not see."""

import uuid

import harness as h
from eventsub import Sub

WAIT = 45


def world():
    srv = h.server()
    f = h.Firm(srv)
    acc = f.account()
    contact = f.contact(acc["id"])
    member = f.staff("member")
    t = f.thread(acc["id"], subject=f"Belege {uuid.uuid4().hex[:6]}", reminders={"enabled": True})
    return srv, f, acc, contact, member, t


def drained(srv):
    h.wait_for(lambda: srv.db.sql("SELECT count(*) FROM event_outbox") == "0", WAIT, "the outbox to drain")


def note(staff, thread_id, body="team only"):
    return staff.must("POST", f"/api/v1/threads/{thread_id}/messages", {"body": body, "internal": True},
                      status=201)


def as_contact(contact, thread_id):
    """Everything about the thread a contact can read through REST."""
    return (contact.must("GET", f"/api/v1/threads/{thread_id}"),
            contact.must("GET", "/api/v1/threads?archived=false"),
            contact.must("GET", f"/api/v1/threads/{thread_id}/messages"),
            contact.must("GET", "/api/v1/accounts"),
            contact.must("GET", f"/api/v1/accounts/{contact.user['account_id']}"),
            contact.must("GET", "/api/v1/notifications"),
            contact.must("GET", "/api/v1/me"))


@h.test
def internal_notes_do_not_move_reminders():
    srv, f, acc, contact, member, t = world()
    before = as_contact(contact, t["id"])
    h.ok(before[0]["reminders"]["next_due_at"], "reminders are armed")
    row = "SELECT reminder_next_due_at, reminder_anchor_at, reminder_sent_count, xmin FROM threads WHERE id = %d"
    db_before = srv.db.sql(row % t["id"])
    for who in (member, f.owner, member):
        note(who, t["id"])
    h.eq(as_contact(contact, t["id"]), before, "what the contact reads after three internal notes")
    h.eq(srv.db.sql(row % t["id"]).split("|")[:3], db_before.split("|")[:3], "the reminder state")
    # After a reminder was sent, a note still moves nothing.
    srv.advance(3 * 86400 + 60, f.owner)
    mid = as_contact(contact, t["id"])
    h.eq(mid[0]["reminders"]["sent_count"], 1, "one reminder sent")
    note(member, t["id"])
    h.eq(as_contact(contact, t["id"]), mid, "after the reminder and a note")
    # A firm message does restart the cycle, with anchor and due time from one reading of the clock.
    member.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "public"}, status=201)
    restarted = contact.must("GET", f"/api/v1/threads/{t['id']}")["reminders"]
    note(member, t["id"])
    h.eq(contact.must("GET", f"/api/v1/threads/{t['id']}")["reminders"], restarted, "a note after a restart")


@h.test
def a_contacts_long_poll_cursor_does_not_count_staff_only_events():
    srv, f, acc, contact, member, t = world()
    drained(srv)
    start = contact.must("GET", "/api/v1/events")
    h.eq(start["items"], [], "a poll without since")
    nxt = start["next"]
    same = contact.must("GET", f"/api/v1/events?since={nxt}&wait=0")
    h.eq(same, {"items": [], "next": nxt}, "nothing new")
    # Staff-only activity in the contact's own thread, and another account's chat.
    other = f.account()
    f.contact(other["id"])
    f.thread(other["id"], body="for someone else")
    for _ in range(3):
        last = note(member, t["id"])
    f.owner.must("POST", f"/api/v1/threads/{t['id']}/read", {"up_to_message_id": last["id"]})
    drained(srv)
    h.eq(contact.must("GET", f"/api/v1/events?since={nxt}&wait=0"), {"items": [], "next": nxt},
         "a poll after staff-only events")
    h.eq(contact.must("GET", f"/api/v1/events?since={nxt}&wait=1"), {"items": [], "next": nxt},
         "a poll that waited (the parked path)")
    h.eq(contact.must("GET", "/api/v1/events")["next"], nxt, "a poll without since starts where it did")
    # Staff viewing as the client get a client's cursor too (without the contact's own items).
    h.ok(f.owner.must("GET", f"/api/v1/events?view_as_account={acc['id']}")["next"] <= nxt,
         "viewing as the client: no cursor past the client's events")
    # A public message: next is its last event, which the contact received.
    m = member.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "public"}, status=201)
    drained(srv)
    r = contact.must("GET", f"/api/v1/events?since={nxt}&wait=0")
    h.ok(any(e.get("message", {}).get("id") == m["id"] for e in r["items"]), "the public message arrives")
    h.eq(r["next"], r["items"][-1]["id"], "next is the last id given")
    # A parked poll woken by a note and then a public message answers with the public one only.
    note(member, t["id"])
    drained(srv)
    r2 = contact.must("GET", f"/api/v1/events?since={r['next']}&wait=1")
    h.eq(r2, {"items": [], "next": r["next"]}, "a note after the message")


@h.test
def a_contacts_socket_sees_only_its_own_ids():
    srv, f, acc, contact, member, t = world()
    drained(srv)
    since = contact.must("GET", "/api/v1/events")["next"]
    s = Sub(srv, contact, since=since)
    for _ in range(2):
        note(member, t["id"])
    m = member.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "public"}, status=201)
    s.wait_message(m["id"])
    drained(srv)
    visible = srv.db.sql(f"SELECT id FROM events WHERE id > {since} AND NOT staff_only AND firm_id = {f.id}"
                         f" AND (account_id = {acc['id']} AND user_id IS NULL OR user_id = {contact.id})"
                         " ORDER BY id").split()
    h.wait_for(lambda: len(s.events) >= len(visible), WAIT, "every visible event")
    h.eq(s.ids, [int(x) for x in visible], "the socket sends the contact's events, nothing else")
    h.ok(not any(e.get("message", {}).get("internal") for e in s.events), "no internal note")
    s.close()


h.main()
