"""Reminders in the interactive folio against a real foliod and SMTP catcher:
the new chat form's reminder fields (defaults, a template's settings), the
thread's action menu (Resend, Archive and Reopen, Reminders), the reminder
ledger in the thread view, and mails that failed shown on their message."""

import re

import harness as h
import mailcheck as mc
import tuilib

srv = h.server()
firm = h.Firm(srv)
acct = firm.account("Reminder GmbH")
carla = firm.contact(acct["id"], name="Carla Kunde")
carla_email = carla.user["email"]
DAY = 86400


def open_thread(t, subject, account="Reminder GmbH"):
    t.wait(account)
    t.keys("/")
    t.text(account[:8])
    t.wait("Filter: " + account[:8])
    t.keys("Enter", "Enter")
    t.wait(subject)
    t.keys("Enter")
    t.wait(re.compile(r"a:actions"))


def thread(subject, reminders=None, as_client=None):
    extra = {"reminders": reminders} if reminders else {}
    return firm.thread(acct["id"], subject=subject, as_client=as_client, **extra)


def get(tid):
    return firm.owner.must("GET", f"/api/v1/threads/{tid}")


def ledger(tid):
    return firm.owner.must("GET", f"/api/v1/threads/{tid}/reminders")


def created(subject):
    items = firm.owner.must("GET", "/api/v1/threads", query={"account_id": str(acct["id"])})["items"]
    return next((x for x in items if x["subject"] == subject), None)


@h.test
def new_chat_form_shows_defaults_and_takes_a_templates_reminders():
    firm.owner.must("POST", "/api/v1/templates", {"name": "Chaser", "subject": "Documents please",
                                                  "body": "Please upload them.",
                                                  "reminders": {"enabled": True, "interval_days": 5,
                                                                "max_count": 3}}, status=201)
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    t.wait("Reminder GmbH")
    t.keys("n")
    t.wait("Reminders    [ ] off  every 3   days, at most 1   mails")
    t.wait("> To")
    t.text("Reminder")
    t.keys("Tab")  # To -> Template
    t.wait("> Template")
    t.text("Cha")
    t.keys("Tab")
    t.wait("Chaser")
    t.wait("Reminders    [x] on   every 5   days, at most 3   mails")
    t.wait("Documents please")  # the template's subject, in the form before the chat exists
    t.keys("C-a", "C-k")
    t.text("Chased chat")
    for _ in range(4):  # Subject, Message, the switch, days
        t.keys("Tab")
    t.wait(re.compile(r"> Reminders .*at most 3"))
    t.keys("BSpace")
    t.text("2")
    t.keys("C-d")
    t.wait("chat created")
    th = h.wait_for(lambda: created("Chased chat"), 10, "the chat on the server")
    h.eq((th["reminders"]["enabled"], th["reminders"]["interval_days"], th["reminders"]["max_count"]),
         (True, 5, 2))
    # The template's switch can be turned off in the form: the chat gets what the form shows.
    t.keys("q")
    t.wait("open threads")
    t.keys("n")
    t.wait("> To")  # the account the user came from, and the focus on it
    t.keys("Tab")
    t.text("Chaser")
    t.keys("Tab")
    t.wait("[x] on")
    t.keys("C-a", "C-k")
    t.text("Unchased chat")
    t.keys("Tab", "Tab")
    t.text("n")  # n switches off
    t.wait("[ ] off")
    t.keys("C-d")
    th = h.wait_for(lambda: created("Unchased chat"), 10, "the second chat")
    h.eq(th["reminders"]["enabled"], False)
    t.stop()


@h.test
def action_menu_resends_archives_and_reopens():
    tid = thread("Menu test", {"enabled": True, "interval_days": 3, "max_count": 1})["id"]
    mc.drained(srv, carla_email)
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    open_thread(t, "Menu test")
    t.keys("a")
    s = t.wait("Thread actions")
    for text in ("s  Resend the reminder now", "a  Archive the thread", "m  Reminders"):
        h.ok(text in s, f"{text!r} in the menu:\n{s}")
    t.keys("s")
    t.wait("the reminder was mailed again")
    h.wait_for(lambda: [i["kind"] for i in ledger(tid)["items"]] == ["resend"], 10, "the resend")
    t.keys("a", "Down", "Enter")  # the menu also works with the arrows
    t.wait("Menu test [archived]")
    h.wait_for(lambda: get(tid)["archived"], 10, "the thread archived on the server")
    t.keys("a")
    t.wait("a  Reopen the thread")
    t.keys("a")
    t.wait("reopened")
    h.wait_for(lambda: not get(tid)["archived"], 10, "the thread reopened on the server")
    t.stop()


@h.test
def resend_when_the_client_wrote_last_says_nothing_to_remind():
    tid = thread("Client last")["id"]
    carla.must("POST", f"/api/v1/threads/{tid}/messages", {"body": "Done, see attached."}, status=201)
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    open_thread(t, "Client last")
    t.keys("a", "s")
    t.wait("nothing to remind: the last message is the client's")
    h.eq(ledger(tid)["items"], [], "no resend")
    t.stop()


@h.test
def reminders_dialog_switches_and_sets_days_and_count():
    tid = thread("Dialog test")["id"]
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    open_thread(t, "Dialog test")
    t.keys("a", "m")
    t.wait("[ ] off (Space switches)")
    t.keys("Space")
    t.wait("[x] on (Space switches)")
    t.keys("Tab", "BSpace")
    t.text("7")
    t.keys("Tab", "BSpace")
    t.text("4")
    t.keys("Enter")
    t.wait("reminders saved")
    r = h.wait_for(lambda: get(tid)["reminders"]["enabled"] and get(tid)["reminders"], 10, "reminders on")
    h.eq((r["interval_days"], r["max_count"]), (7, 4))
    t.wait("reminders every 7 days: 0 of 4 sent, next")
    t.keys("a", "m")
    t.wait("[x] on (Space switches)")
    t.keys("Space", "Enter")
    h.wait_for(lambda: not get(tid)["reminders"]["enabled"], 10, "reminders off")
    t.wait("reminders ended: switched off")
    t.keys("a", "m", "Tab", "BSpace", "BSpace")
    t.text("0")
    t.keys("Enter")
    t.wait("days: a number from 1 to 365")
    t.keys("Escape")
    t.wait("a:actions")
    t.stop()


@h.test
def ledger_in_the_thread_view():
    tid = thread("Ledger test", {"enabled": True, "interval_days": 1, "max_count": 2})["id"]
    mc.drained(srv, carla_email)
    srv.advance(DAY + 3600, firm.owner)
    h.wait_for(lambda: len(ledger(tid)["items"]) == 1, 20, "the first reminder")
    mc.drained(srv, carla_email)
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(100, 30)
    open_thread(t, "Ledger test")
    t.wait("reminders every 1 days: 1 of 2 sent, next")
    t.keys("l")
    s = t.wait(re.compile(r"Reminder 1 .* sent +" + re.escape(carla_email)))
    h.ok("1 remaining" in s, s)
    t.keys("a", "s")
    t.wait(re.compile(r"Resend .* " + re.escape(carla_email)))
    t.keys("l")
    t.wait("Reminder 1", gone=True)
    t.stop()


@h.test
def failed_delivery_shown_on_the_message():
    th = thread("Bounce test")
    mc.drained(srv, carla_email)
    msg = firm.owner.must("GET", f"/api/v1/threads/{th['id']}/messages")["items"][-1]
    srv.db.sql(f"UPDATE mail_outbox SET state = 'failed', last_error = '550 5.1.1 No such user'"
               f" WHERE message_id = {msg['id']}")
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(100, 30)
    open_thread(t, "Bounce test")
    t.wait(f"mail not delivered to {carla_email}: 550 5.1.1 No such user")
    t.stop()


@h.test
def failed_delivery_appears_live_without_a_key():
    th = thread("Live bounce")
    mc.drained(srv, carla_email)
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(100, 30)
    open_thread(t, "Live bounce")
    mc.smtp("fail", "5xx", "rcpt")
    try:
        msg = firm.owner.must("POST", f"/api/v1/threads/{th['id']}/messages", {"body": "This one bounces"},
                              status=201)
        t.wait("This one bounces")
        h.wait_for(lambda: [r for r in mc.outbox(srv, f"message_id = {msg['id']}") if r[2] == "failed"], 20,
                   "the mail to fail for good")
    finally:
        mc.smtp("fail", "off")
    # message.updated brings the failure to the open thread: no key pressed since.
    t.wait(f"mail not delivered to {carla_email}")
    t.stop()


@h.test
def contacts_have_no_thread_menu():
    tid = thread("Contact view")["id"]
    u = tuilib.User(srv, carla_email)
    t = u.start(80, 24)
    t.wait("Reminder GmbH")
    t.keys("Enter")  # a contact sees only its own account
    t.wait("Contact view")
    t.keys("Enter")
    t.wait("Please send your documents.")
    t.keys("a")
    t.wait("only the firm's team manages a thread's reminders")
    h.eq(get(tid)["archived"], False)
    t.stop()


h.main()
