"""The rough edges a new user hit (issue 11, items 8-16 and 18), each one
reproduced in tmux against a real foliod: reminder fields that take only
what they accept, an emoji that survives the pop-ups, a ledger that follows
its mails, drafts that wait for the reply key, statuses that belong to their
screen, help that scrolls to its end and says so, widths that follow the
content, account names in the Unread view, the demo's notice, and the
scripted and documentation edges."""

import os
import re
import subprocess

import harness as h
import mailcheck as mc
import tuilib

srv = h.server()
firm = h.Firm(srv)
acct = firm.account("Rough Edges GmbH")
other = firm.account("Zweite Firma KG")
carla = firm.contact(acct["id"], name="Carla Kunde")
firm.contact(other["id"], name="Otto Kunde")
carla_email = carla.user["email"]


def open_thread(t, subject, account="Rough Edges GmbH"):
    t.wait(account)
    t.keys("/")
    t.text(account.split()[0])
    t.wait("Filter: " + account.split()[0])
    t.keys("Enter", "Enter")
    t.wait(subject)
    t.keys("Enter")
    t.wait(re.compile(r"r:reply"))


@h.test
def reminder_fields_take_only_what_they_accept():
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    t.wait("Rough Edges GmbH")
    t.keys("n")
    t.wait("> To")
    t.keys("Tab", "Tab", "Tab", "Tab")  # Template, Subject, Message, then the Reminders switch
    t.wait(re.compile(r"> Reminders +\[ \] off"))
    t.text("x")
    t.wait("Reminders: Space, y or n switches them on or off")
    t.keys("Tab")  # days
    t.text("a")
    t.wait("days: a number from 1 to 365 (digits only)")
    s = t.wait("every 3   days")
    t.text("7")  # the first digit replaces the default: 7, not 37
    t.wait("every 7   days")
    t.text("0")
    t.wait("every 70  days")
    t.text("0")  # 700 is more than 365: refused, and said so
    t.wait("days: a number from 1 to 365 (digits only)")
    s = t.wait("every 70  days")
    t.keys("Tab")  # mails
    t.text("24")
    t.wait("at most 24  mails")
    t.text("9")
    t.wait("mails: a number from 1 to 100 (digits only)")
    s = t.screen()
    h.ok("at most 24  mails" in s, s)
    t.keys("Escape")  # nothing typed but numbers: leaves without asking
    t.wait("Accounts (")
    t.stop()


@h.test
def emoji_at_the_end_of_a_line_survives_the_pop_ups():
    # Lines ending in a wide character at every column the pop-ups' borders can cut.
    body = "\n".join(f"- {'x' * k}👍" for k in range(2, 60))
    firm.thread(acct["id"], subject="Emoji edge", body=body)
    u = tuilib.User(srv, firm.owner_email)
    for cols, rows in ((80, 24), (100, 30)):
        t = u.start(cols, rows)
        open_thread(t, "Emoji edge")
        before = t.wait("x👍")
        for keys, title in ((("a",), "Thread actions"), (("a", "m"), "Space switches")):
            t.keys(*keys)
            t.wait(title)
            t.keys("Escape")
            t.wait(title, gone=True)
            s = t.wait("a:actions")
            h.eq(s.count("👍"), before.count("👍"), f"emoji on screen after {keys} at {cols}x{rows}:\n{s}")
            h.eq(s, before, f"the screen after {keys} at {cols}x{rows}")
        t.stop()


@h.test
def ledger_follows_its_mails_and_refresh_keeps_the_divider():
    th = firm.thread(acct["id"], subject="Ledger live", body="Bitte die Belege.",
                     reminders={"enabled": True, "interval_days": 3, "max_count": 2})
    carla.must("POST", f"/api/v1/threads/{th['id']}/messages", {"body": "Kommt gleich."}, status=201)
    firm.owner.must("POST", f"/api/v1/threads/{th['id']}/messages", {"body": "Danke, wir warten."},
                    status=201)
    carla.must("POST", f"/api/v1/threads/{th['id']}/messages", {"body": "Neue Nachricht vom Kunden"},
               status=201)
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(100, 30)
    open_thread(t, "Ledger live")
    s = t.wait(" new ")
    h.ok(s.index(" new ") < s.index("Neue Nachricht vom Kunden"), s)
    # R fetches the thread again; what was new when it opened stays marked.
    t.keys("R")
    t.wait("up to date")
    s = t.screen()
    h.ok(" new " in s and "Neue Nachricht vom Kunden" in s, f"the divider after R:\n{s}")
    firm.owner.must("POST", f"/api/v1/threads/{th['id']}/messages", {"body": "Bitte noch die Quittung."},
                    status=201)
    t.wait("Bitte noch die Quittung.")
    mc.drained(srv, carla_email)
    t.keys("l")
    t.wait("No reminder or resend sent yet.")
    t.keys("a", "s")
    # The resend's mail goes out after the answer: the ledger shown follows it without a key.
    h.wait_for(lambda: [i["state"] for i in firm.owner.must(
        "GET", f"/api/v1/threads/{th['id']}/reminders")["items"]] == ["sent"], 20, "the resend mailed")
    t.wait(re.compile(r"Resend +\S.* sent +" + re.escape(carla_email)), timeout=20)
    t.stop()


@h.test
def a_draft_waits_for_the_reply_key_and_lists_mark_it():
    th = firm.thread(acct["id"], subject="Draft edge")
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    open_thread(t, "Draft edge")
    t.keys("r")
    t.wait("Reply (the client sees this)")
    t.text("Halb geschrieben")
    t.keys("Escape")
    t.wait("Unsent text")
    t.keys("k")
    t.wait("draft kept")
    t.keys("q")
    s = t.wait("open threads")
    h.ok(re.search(r"✎ Draft edge", s), f"the list marks the draft:\n{s}")
    t.keys("Enter")
    s = t.wait("a draft is waiting: r continues it")
    h.ok("Draft edge [draft]" in s and "Reply (the client sees this)" not in s, s)
    t.text("q")  # a key of the thread, not a letter in the draft
    s = t.wait("open threads")
    t.keys("Enter")
    t.wait("a draft is waiting")
    t.keys("r")
    t.wait("Halb geschrieben")
    t.wait("Reply (the client sees this)")
    h.ok(not os.path.exists(os.path.join(u.state, "drafts", "x")), "no stray files")
    t.stop()
    h.ok(th["id"] > 0)


@h.test
def statuses_belong_to_their_screen_and_moment():
    a = firm.account("Status AG")
    c = firm.contact(a["id"])
    firm.thread(a["id"], subject="Status zwei")
    first = firm.thread(a["id"], subject="Status eins")
    c.must("POST", f"/api/v1/threads/{first['id']}/messages", {"body": "Antwort eins"}, status=201)
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    open_thread(t, "Status eins", account="Status AG")
    t.keys("u")
    t.wait("marked unread")
    s = t.wait("Status AG | open threads")
    t.keys("j", "Enter")  # the other thread, below
    s = t.wait("Status AG | Status zwei")
    h.ok("marked unread" not in s, f"the status followed into the next thread:\n{s}")
    # "draft kept", then discarding: the old word must not stand.
    t.keys("r")
    t.text("weg damit")
    t.keys("Escape")
    t.wait("Unsent text")
    t.keys("k")
    t.wait("draft kept")
    t.keys("r")
    t.wait("weg damit")
    t.keys("Escape", "d")
    s = t.wait("draft discarded")
    h.ok("draft kept" not in s, s)
    # "refreshing" gives way to the answer, and does not follow into compose.
    t.keys("R")
    t.keys("r")
    s = t.wait("Reply (the client sees this)")
    h.ok("refreshing" not in s, f"refreshing while composing:\n{s}")
    t.keys("Escape")
    t.keys("R")
    t.wait("up to date")
    t.stop()


@h.test
def help_scrolls_to_its_end_and_says_so():
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(100, 30)
    t.wait("Rough Edges GmbH")
    t.keys("?")
    s = t.wait("Keys on this screen (accounts)")
    h.ok(re.search(r"-- \d+ more lines: j, PgDn, G scroll down --", s), f"a hint that it scrolls:\n{s}")
    t.keys("G")
    s = t.wait("-- end: k, PgUp, g scroll up --")
    h.ok("Change keys in ~/.config/folio/config" in s, s)
    # G stops at the end: one line up shows that one line more is below.
    t.keys("k")
    t.wait("-- 1 more lines: j, PgDn, G scroll down --")
    # Option help wraps instead of being cut mid-sentence.
    flat = " ".join(x.strip() for x in s.split("\n"))
    h.ok("with polling when it cannot connect" in flat, f"the events option's help in full:\n{s}")
    t.stop()


@h.test
def widths_follow_the_content():
    long_name = "Hofmann Physiotherapie und Rehabilitation"
    a = firm.account(long_name)
    firm.contact(a["id"])
    th = firm.thread(a["id"], subject="Breite", body="Bitte senden.",
                     reminders={"enabled": True, "interval_days": 3, "max_count": 2},
                     tasks=[{"title": "Kontoauszüge"}, {"title": "Rechnungen"}])
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(200, 60)
    s = t.wait(long_name)
    h.ok(long_name in s, f"the whole name at 200 columns:\n{s}")
    t.stop()
    t = u.start(80, 24)
    t.wait("Hofmann")
    t.keys("/")
    t.text("Hofmann")
    t.wait("Filter: Hofmann")
    t.keys("Enter", "Enter")
    s = t.wait("Breite")
    meta = next(line for line in s.split("\n") if "waiting on" in line).rstrip()
    # Whole parts in brief words where the long ones do not fit: never "next De".
    h.ok(meta.endswith("tasks 0/2") and re.search(r"next (\d\d:\d\d|\w+ \w+ \d+) ·", meta),
         f"the details cut mid-word:\n{meta!r}")
    h.ok(th["id"] > 0)
    t.stop()


@h.test
def unread_view_names_the_accounts():
    a1 = firm.account("Unread Eins AG")
    a2 = firm.account("Unread Zwei AG")
    for a in (a1, a2):
        c = firm.contact(a["id"])
        th = firm.thread(a["id"], subject="Belege Q3")
        c.must("POST", f"/api/v1/threads/{th['id']}/messages", {"body": "Hier sind sie."}, status=201)
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    t.wait("Unread Eins AG")
    t.keys("U")
    s = t.wait("Unread | open threads")
    s = t.wait("Unread Zwei AG")
    h.ok(re.search(r"Unread Eins AG", s) and s.count("Belege Q3") >= 2, s)
    t.stop()


@h.test
def demo_notice_stands_until_the_first_key():
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(120, 24, env={"FOLIO_NOTICE": "Demo: owner@demo.folio / demo-password"})
    t.wait("Demo: owner@demo.folio / demo-password")
    t.keys("j")
    t.wait("Demo: owner@demo.folio", gone=True)
    t.stop()


@h.test
def tail_since_must_be_a_number():
    u = tuilib.User(srv, firm.owner_email)
    r = tuilib.folio(u, "tail", "--since", "abc")
    h.eq(r.returncode, 2, f"exit status ({r.stderr!r})")
    h.ok(r.stderr.startswith("folio: ") and "--since" in r.stderr, r.stderr)


@h.test
def documentation_edges():
    out = subprocess.run(["mandoc", "-Tutf8", os.path.join(h.ROOT, "man", "folio.1")],
                         capture_output=True, text=True).stdout
    out = re.sub(r".\x08", "", out)
    flat = " ".join(out.split())
    h.ok("\u201d\u201d" not in flat and "\u201cwrote\u201d" in flat, "Inbox+ quotes nest properly")
    h.ok("FOLIO_NOTICE" in flat and "FOLIO_LOCALEDIR" in flat, "folio(1) names its variables")
    with open(os.path.join(h.ROOT, "README.md")) as f:
        readme = f.read()
    h.ok("tui/folio" in readme and "folio login" in readme, "README: where folio is, and folio login")


@h.test
def tests_never_skip_and_check_the_event_stream_once():
    d = os.path.dirname(os.path.abspath(__file__))
    for name in sorted(os.listdir(d)):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(d, name)) as f:
            text = f.read()
        h.ok("def has_" + "events" not in text, f"{name} defines its own has_events")
        h.ok("# skip" + "ped" not in text, f"{name} can print that it skipped")


h.main()
