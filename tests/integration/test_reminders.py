"""Automatic reminders and manual resends, exactly as API.md (Reminders) states
them, driven by the shared test clock and checked on the mails the SMTP catcher
received and on the ledger (GET /threads/{id}/reminders)."""

import threading
import uuid
from datetime import datetime, timedelta

import harness as h
import mailcheck as mc

DAY = 86400


def unique(word):
    return f"{word} {uuid.uuid4().hex[:6]}"


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


class Case:
    """A firm, an account with contacts (two with portal+notify, one without notify, one without
    portal access), and a thread with reminders."""

    def __init__(self, reminders=None, srv=None, **thread):
        self.srv = srv or h.server()
        self.f = h.Firm(self.srv)
        self.acc = self.f.account()
        self.a = self.f.contact(self.acc["id"])
        self.b = self.f.contact(self.acc["id"])
        self.no_notify = self.f.contact(self.acc["id"], notify=False)
        self.no_portal = self.f.contact(self.acc["id"], portal_access=False)
        self.subject = unique("Documents")
        if reminders is not False:
            thread["reminders"] = reminders if reminders is not None else {"enabled": True}
        self.t = self.f.thread(self.acc["id"], subject=self.subject, **thread)
        self.id = self.t["id"]
        self.addr = self.a.user["email"]
        mc.drained(self.srv, self.addr)

    def advance(self, days):
        return self.srv.advance(round(days * DAY), self.f.owner)

    def reminders(self, addr=None):
        """Reminder mails (automatic and resent) that reached addr (default: contact a)."""
        mc.drained(self.srv, addr or self.addr)
        return [m for m in mc.to(addr or self.addr) if m["subject"] == f"Erinnerung: {self.subject}"]

    def count(self):
        return len(self.reminders())

    def ledger(self):
        return self.f.owner.must("GET", f"/api/v1/threads/{self.id}/reminders")

    def patch(self, body):
        return self.f.owner.must("PATCH", f"/api/v1/threads/{self.id}", body)

    def post(self, body, who=None, **extra):
        return (who or self.f.owner).must("POST", f"/api/v1/threads/{self.id}/messages",
                                          dict(body=body, **extra), status=201)


def near(got, want, what, slack=120):
    h.ok(abs((ts(got) - want).total_seconds()) < slack, f"{what}: {got} is not about {want.isoformat()}")


@h.test
def off_unless_asked_and_defaults_are_3_days_1_mail():
    off = Case(reminders=False)
    h.eq(off.t["reminders"]["enabled"], False)
    c = Case()
    h.eq((c.t["reminders"]["interval_days"], c.t["reminders"]["max_count"]), (3, 1))
    L = c.ledger()
    h.eq((L["items"], L["remaining"], L["ended_by"]), ([], 1, None))
    near(L["next_due_at"], ts(c.t["created_at"]) + timedelta(days=3), "due 3 days after the message")
    c.advance(2.9)
    h.eq(c.count(), 0, "before day 3")
    c.advance(0.2)
    h.eq(c.count(), 1, "day 3")
    c.advance(30)
    h.eq(c.count(), 1, "one only")
    h.eq(off.count(), 0, "a chat without reminders gets none")
    L = c.ledger()
    h.eq((L["remaining"], L["ended_by"], L["next_due_at"]), (0, "max_count", None))
    h.eq([(i["kind"], sorted(i["recipients"]), i["state"]) for i in L["items"]],
         [("reminder", sorted([c.a.user["email"], c.b.user["email"]]), "sent")])


@h.test
def five_days_three_mails_arrive_at_days_5_10_15_and_no_more():
    c = Case({"enabled": True, "interval_days": 5, "max_count": 3})
    seen = []
    for day in range(1, 21):
        c.advance(1)
        seen.append(c.count())
    want = [0] * 4 + [1] * 5 + [2] * 5 + [3] * 6
    h.eq(seen, want, "reminders after each day")
    c.advance(60)
    h.eq(c.count(), 3, "and no more")
    L = c.ledger()
    h.eq([i["seq"] for i in L["items"]], [1, 2, 3])
    gaps = [(ts(b["sent_at"]) - ts(a["sent_at"])).days for a, b in zip(L["items"], L["items"][1:])]
    h.eq(gaps, [5, 5], "5 days apart")
    h.eq(L["ended_by"], "max_count")


@h.test
def however_far_the_clock_jumps_one_reminder_per_pass():
    c = Case({"enabled": True, "interval_days": 1, "max_count": 5})
    now = ts(c.advance(30)["now"])
    h.eq(c.count(), 1, "one, not thirty")
    L = c.ledger()
    near(L["next_due_at"], now + timedelta(days=1), "the next one interval_days after it")
    h.eq(L["remaining"], 4)
    c.advance(1)
    h.eq(c.count(), 2)


@h.test
def a_client_reply_ends_them():
    c = Case({"enabled": True, "interval_days": 2, "max_count": 3})
    c.advance(2)
    h.eq(c.count(), 1)
    c.post("Here you are.", who=c.a)
    L = c.ledger()
    h.eq((L["ended_by"], L["next_due_at"], L["remaining"]), ("client_replied", None, 0))
    c.advance(20)
    h.eq(c.count(), 1, "none after the reply")
    h.eq(c.f.owner.post(f"/api/v1/threads/{c.id}/resend").error, "nothing_to_remind")


@h.test
def archiving_ends_them_and_reopening_rearms_without_mail():
    c = Case({"enabled": True, "interval_days": 2, "max_count": 2})
    c.advance(2)
    h.eq(c.count(), 1)
    c.advance(1)
    c.patch({"archived": True})
    h.eq((c.ledger()["ended_by"], c.ledger()["next_due_at"]), ("archived", None))
    c.advance(10)
    h.eq(c.count(), 1, "none while archived")
    before = len(mc.to(c.addr))
    items_before = c.a.must("GET", "/api/v1/notifications")["items"]
    r = c.patch({"archived": False})
    h.eq(r["archived"], False)
    mc.settle()
    h.eq(len(mc.to(c.addr)), before, "reopening sends no mail")
    h.eq(c.a.must("GET", "/api/v1/notifications")["items"], items_before, "nor bumps anything")
    L = c.ledger()
    h.eq((L["ended_by"], L["remaining"]), (None, 2), "count reset, as if the message were new")
    near(L["next_due_at"], datetime.fromisoformat(r["reminders"]["next_due_at"].replace("Z", "+00:00")),
         "thread and ledger agree")
    c.advance(1.9)
    h.eq(c.count(), 1, "the timer starts at the reopening")
    c.advance(0.2)
    h.eq(c.count(), 2)
    c.advance(2)
    h.eq(c.count(), 3, "a fresh cycle of max_count")
    c.advance(10)
    h.eq(c.count(), 3)
    h.eq(c.ledger()["ended_by"], "max_count")


@h.test
def switching_off_ends_them_and_on_again_restarts():
    c = Case({"enabled": True, "interval_days": 2, "max_count": 2})
    c.advance(1)
    r = c.patch({"reminders": {"enabled": False}})
    h.eq((r["reminders"]["enabled"], r["reminders"]["ended_by"]), (False, "switched_off"))
    c.advance(10)
    h.eq(c.count(), 0)
    now = ts(c.advance(0)["now"])
    r = c.patch({"reminders": {"enabled": True}})
    h.eq(r["reminders"]["ended_by"], None)
    near(r["reminders"]["next_due_at"], now + timedelta(days=2), "from the switch-on")
    c.advance(2)
    h.eq(c.count(), 1)


@h.test
def settings_are_editable_at_any_time():
    c = Case({"enabled": True, "interval_days": 5, "max_count": 1})
    created = ts(c.t["created_at"])
    r = c.patch({"reminders": {"interval_days": 2}})
    near(r["reminders"]["next_due_at"], created + timedelta(days=2), "a shorter interval counts from the message")
    c.advance(2)
    h.eq(c.count(), 1)
    h.eq(c.ledger()["ended_by"], "max_count")
    r = c.patch({"reminders": {"max_count": 3}})
    h.eq((r["reminders"]["ended_by"], r["reminders"]["sent_count"]), (None, 1), "raising max_count continues")
    c.advance(2)
    h.eq(c.count(), 2)
    h.eq(c.ledger()["remaining"], 1)


@h.test
def a_new_firm_message_restarts_and_retargets_the_cycle():
    c = Case({"enabled": True, "interval_days": 3, "max_count": 2}, body="First question?")
    c.advance(3)
    got = c.reminders()
    h.eq(len(got), 1)
    h.ok("First question?" in got[0]["body_text"], "the reminder quotes the last message")
    c.advance(1)
    due = c.ledger()["next_due_at"]
    c.post("A note for the team", internal=True)
    h.eq(c.ledger()["next_due_at"], due, "an internal note changes nothing")
    c.advance(0.5)
    m2 = c.post("Second question?")
    L = c.ledger()
    h.eq((L["remaining"], L["ended_by"]), (2, None), "count reset")
    near(L["next_due_at"], ts(m2["created_at"]) + timedelta(days=3), "due from the new message")
    c.advance(2.9)
    h.eq(c.count(), 1)
    c.advance(0.2)
    got = c.reminders()
    h.eq(len(got), 2)
    h.ok("Second question?" in got[1]["body_text"] and "First question?" not in got[1]["body_text"],
         "the reminder follows the last message")
    h.eq(c.ledger()["items"][-1]["message_id"], m2["id"])
    h.ok("A note for the team" not in got[1]["body_text"], "never an internal note")


@h.test
def resend_adds_exactly_one_mail_and_bumps_the_item():
    c = Case({"enabled": True, "interval_days": 3, "max_count": 1})
    newer = c.f.thread(c.acc["id"], subject=unique("Newer"))
    mc.drained(c.srv, c.addr)
    h.eq(c.a.must("GET", "/api/v1/notifications")["items"][0]["thread_id"], newer["id"])
    top = c.a.must("GET", "/api/v1/notifications")["items"]
    older = [i for i in top if i["thread_id"] == c.id][0]
    c.a.must("POST", f"/api/v1/notifications/{older['id']}/read")
    before = c.ledger()
    r = c.f.owner.must("POST", f"/api/v1/threads/{c.id}/resend")
    h.eq(r["id"], c.id)
    h.eq(c.count(), 1, "one mail now")
    h.eq(len(c.reminders(c.b.user["email"])), 1, "to every contact with notify")
    h.eq(len(c.reminders(c.no_notify.user["email"])), 0)
    its = c.a.must("GET", "/api/v1/notifications")["items"]
    h.eq((its[0]["thread_id"], its[0]["type"], its[0]["read"]), (c.id, "reminder", False), "moved to the top")
    L = c.ledger()
    h.eq((L["next_due_at"], L["remaining"]), (before["next_due_at"], before["remaining"]),
         "the timer and the count stay")
    h.eq([(i["kind"], i["sent_by"]) for i in L["items"]], [("resend", c.f.owner.id)])
    c.advance(3)
    h.eq(c.count(), 2, "the automatic reminder still comes: a resend does not count")
    c.advance(10)
    h.eq(c.count(), 2)
    h.eq(c.a.post(f"/api/v1/threads/{c.id}/resend").status, 403, "staff only")


@h.test
def resend_needs_a_firm_message_last():
    c = Case(reminders=False)
    c.f.owner.must("POST", f"/api/v1/threads/{c.id}/resend")
    h.eq(c.count(), 1, "resend works with reminders off")
    c.post("Done!", who=c.a)
    r = c.f.owner.post(f"/api/v1/threads/{c.id}/resend")
    h.eq((r.status, r.error), (409, "nothing_to_remind"))
    h.eq(c.count(), 1)
    h.eq(c.f.owner.post("/api/v1/threads/999999/resend").status, 404)


@h.test
def a_message_to_an_archived_thread_reopens_it():
    c = Case({"enabled": True, "interval_days": 2, "max_count": 1})
    c.patch({"archived": True})
    c.advance(1)
    m = c.post("One more thing")
    t = c.f.owner.must("GET", f"/api/v1/threads/{c.id}")
    h.eq((t["archived"], t["reminders"]["ended_by"]), (False, None))
    near(t["reminders"]["next_due_at"], ts(m["created_at"]) + timedelta(days=2), "armed by the message")
    c.advance(2)
    h.eq(c.count(), 1)
    # The client writing to an archived thread reopens it too, and has had the last word.
    c.patch({"archived": True})
    c.post("Thanks", who=c.a)
    t = c.f.owner.must("GET", f"/api/v1/threads/{c.id}")
    h.eq((t["archived"], t["reminders"]["ended_by"], t["reminders"]["next_due_at"]),
         (False, "client_replied", None))


@h.test
def contacts_without_notify_or_portal_access_get_no_reminders():
    c = Case({"enabled": True, "interval_days": 1, "max_count": 1})
    c.advance(1)
    h.eq(c.count(), 1)
    h.eq(len(c.reminders(c.b.user["email"])), 1)
    for who in (c.no_notify.user["email"], c.no_portal["email"]):
        h.eq(mc.to(who), [], who)
    its = c.no_notify.must("GET", "/api/v1/notifications")["items"]
    h.eq([(i["thread_id"], i["type"]) for i in its], [(c.id, "reminder")], "portal access: the item moves")


@h.test
def a_refused_reminder_shows_failed_in_the_ledger():
    c = Case({"enabled": True, "interval_days": 1, "max_count": 1})
    mc.smtp("fail", "5xx", "rcpt")
    try:
        c.advance(1)
        h.wait_for(lambda: c.ledger()["items"] and c.ledger()["items"][0]["state"] == "failed", 20,
                   "the ledger to show the failure")
    finally:
        mc.smtp("fail", "off")
    item = c.ledger()["items"][0]
    h.ok(all(d["state"] == "failed" and "550" in d["error"] for d in item["deliveries"]), repr(item))
    h.eq(c.count(), 0)


@h.test
def two_instances_send_every_reminder_once():
    srv = h.server()
    srv2 = h.Server(db=srv.db)
    cases = [Case({"enabled": True, "interval_days": 1, "max_count": 3}) for _ in range(8)]
    owner2 = srv2.login(cases[0].f.owner_email, h.PASSWORD)
    owner1 = cases[0].f.owner
    for rnd in range(1, 4):
        # Move the shared clock behind both servers' backs, then let both run their passes at once.
        srv.db.sql(f"UPDATE clock SET offset_seconds = offset_seconds + {DAY}")
        ths = [threading.Thread(target=s.advance, args=(0, o)) for s, o in ((srv, owner1), (srv2, owner2))]
        for x in ths:
            x.start()
        for x in ths:
            x.join()
        for c in cases:
            h.eq(c.count(), rnd, f"round {rnd}")
    mc.settle(1.0)
    for c in cases:
        h.eq(c.count(), 3)
        h.eq(len(c.reminders(c.b.user["email"])), 3)
        h.eq([i["seq"] for i in c.ledger()["items"]], [1, 2, 3])
    h.eq(mc.log_errors(srv2), [])
    srv2.stop()



@h.test
def no_errors_in_the_server_log():
    h.eq(mc.log_errors(h.server()), [])


h.main()
