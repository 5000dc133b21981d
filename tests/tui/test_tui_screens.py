"""The interactive folio in tmux against a real foliod: accounts, filter,
threads, thread view, replies, internal notes, the new chat form, drafts
that survive kill -9, the unsent-text question, help, sizes and widths."""

import json
import os
import re
import signal
import time

import harness as h
import tuilib

srv = h.server()
firm = h.Firm(srv)
muller = firm.account("Müller GmbH")
acme = firm.account("Acme Ltd")
tokyo = firm.account("東京商事")
carla = firm.contact(muller["id"], name="Carla Client")
firm.contact(acme["id"])
firm.contact(tokyo["id"])
thread = firm.thread(muller["id"], subject="Year-end documents",
                     body="Please send the **2024** receipts.\n\n- bank statements\n- invoices")
carla.must("POST", f"/api/v1/threads/{thread['id']}/messages", {"body": "Coming tomorrow 👍"}, status=201)
firm.owner.must("POST", f"/api/v1/threads/{thread['id']}/messages",
                {"body": "Check their VAT number first.", "internal": True}, status=201)



def open_thread(term, account="Müller GmbH", subject="Year-end documents"):
    term.wait(account)
    term.keys("/")
    term.text(account[:3])
    term.wait("Filter: " + account[:3])
    term.keys("Enter", "Enter")
    term.wait(subject)
    term.keys("Enter")
    term.wait(re.compile(r"r:reply|Reply \(the client"))


def messages(tid, user=None):
    return (user or firm.owner).must("GET", f"/api/v1/threads/{tid}/messages")["items"]


@h.test
def filter_and_open_account_and_thread():
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    t.wait("Accounts (3)")
    t.keys("/")
    t.text("mül")
    s = t.wait("Accounts (1)")
    h.ok("Acme" not in s and "Müller GmbH" in s, s)
    t.keys("BSpace", "BSpace", "BSpace")
    t.wait("Accounts (3)")
    t.text("MÜL")  # ASCII folding only: no match for the upper-case umlaut is fine either way
    t.keys("C-w")
    t.text("gmbh")
    t.wait("Accounts (1)")
    t.keys("Enter", "Enter")
    s = t.wait("Year-end documents")
    h.ok("waiting on us" in s, s)
    t.keys("Enter")
    s = t.wait("Check their VAT number first.")
    h.ok("INTERNAL NOTE" in s, "internal note labelled")
    h.ok("• bank statements" in s, "list rendered")
    h.ok("Please send the 2024 receipts." in s, "bold markers removed")
    h.ok("Carla Client (client)" in s, "client author marked")
    t.keys("q")
    t.wait("open threads")
    t.keys("q")
    t.wait("Accounts (1)")
    t.keys("q")
    h.eq(t.wait_exit(), 0, "exit status")
    t.stop()


@h.test
def new_divider_and_reading_moves_marker():
    tid = firm.thread(acme["id"], subject="Divider test", body="first from us")["id"]
    contact = firm.contact(acme["id"])
    contact.must("POST", f"/api/v1/threads/{tid}/messages", {"body": "unread one"}, status=201)
    contact.must("POST", f"/api/v1/threads/{tid}/messages", {"body": "unread two"}, status=201)
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    open_thread(t, "Acme Ltd", "Divider test")
    s = t.wait("unread two")
    lines = s.split("\n")
    div = next(i for i, l in enumerate(lines) if re.match(r"^-- new -+$", l))
    first = next(i for i, l in enumerate(lines) if "unread one" in l)
    h.ok(div < first, f"divider above the first unread message:\n{s}")
    h.wait_for(lambda: firm.owner.must("GET", f"/api/v1/threads/{tid}")["unread_count"] == 0, 10,
               "the read marker to move")
    t.keys("u")
    t.wait("open threads")
    h.wait_for(lambda: firm.owner.must("GET", f"/api/v1/threads/{tid}")["unread_count"] >= 1, 10,
               "u to mark the thread unread")
    t.stop()


@h.test
def reply_with_ctrl_d_and_internal_note():
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    open_thread(t)
    t.keys("r")
    t.wait("Reply (the client sees this)")
    t.text("Thanks, Carla!")
    t.keys("Enter")
    t.text("Second line 😀")
    t.keys("C-d")
    t.wait("sent")
    h.wait_for(lambda: any(m["body"] == "Thanks, Carla!\nSecond line 😀" and not m["internal"]
                           for m in messages(thread["id"])), 10, "the reply on the server")
    t.keys("i")
    t.wait("INTERNAL NOTE (team only)")
    t.text("Only for the team")
    t.keys("C-t")
    t.wait("Reply (the client sees this)")
    t.keys("C-t")
    t.wait("INTERNAL NOTE (team only)")
    t.keys("C-d")
    h.wait_for(lambda: any(m["body"] == "Only for the team" and m["internal"]
                           for m in messages(thread["id"])), 10, "the note on the server")
    h.ok(not any(m["body"] == "Only for the team" for m in messages(thread["id"], carla)),
         "the client does not see the note")
    t.stop()


@h.test
def reply_arrives_without_a_key_press():
    tuilib.require_events(firm.owner)
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    open_thread(t)
    t.wait("[live]")
    carla.must("POST", f"/api/v1/threads/{thread['id']}/messages", {"body": "Here they are 📎"}, status=201)
    t.wait("Here they are 📎")
    t.stop()


@h.test
def new_chat_from_the_form():
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    t.wait("Accounts (3)")
    t.keys("n")
    t.wait("New chat")
    # From the accounts list the form starts on an empty To: the cursor there is no recipient.
    s = t.wait("> To")
    h.ok(re.search(r"> To +\S", s) is None, s)
    t.text("acm")
    t.keys("Tab")
    t.wait("Acme Ltd")
    t.keys("Tab")  # Template: none
    t.text("Bank statements 2024")
    t.keys("Tab")
    t.text("Please upload your statements.")
    t.keys("Enter")
    t.text("Thanks!")
    t.keys("Tab")  # Reminders: off, every 3 days, at most 1 mail until changed
    t.wait("> Reminders    [ ] off  every 3   days, at most 1   mails")
    t.keys("Space")
    t.wait("[x] on")
    t.keys("Tab", "Tab", "BSpace")
    t.text("2x")  # numbers only: the x is not taken
    t.wait("at most 2   mails")
    t.keys("Tab")
    t.text("January")
    t.keys("Enter")
    t.text("February")
    t.keys("C-d")
    t.wait("chat created")
    t.wait("Please upload your statements.")

    def created():
        items = firm.owner.must("GET", "/api/v1/threads", query={"account_id": str(acme["id"])})["items"]
        return next((x for x in items if x["subject"] == "Bank statements 2024"), None)
    th = h.wait_for(created, 10, "the chat on the server")
    h.eq([x["title"] for x in th["tasks"]], ["January", "February"])
    h.eq(th["reminders"]["enabled"], True)
    h.eq(th["reminders"]["interval_days"], 3)
    h.eq(th["reminders"]["max_count"], 2)
    h.eq(messages(th["id"])[0]["body"], "Please upload your statements.\nThanks!")
    h.ok(not os.path.exists(os.path.join(u.state, "drafts", "new.json")), "form draft gone")
    t.stop()


@h.test
def draft_survives_kill_9():
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    open_thread(t)
    t.keys("r")
    t.wait("Reply (the client sees this)")
    t.text("Half-written answer, Grüße 東京")
    path = os.path.join(u.state, "drafts", f"thread-{thread['id']}.json")

    def saved():
        try:
            with open(path) as f:
                return json.load(f).get("body") == "Half-written answer, Grüße 東京"
        except (OSError, ValueError):
            return False
    h.wait_for(saved, 10, "the draft on disk")
    os.kill(t.pid(), signal.SIGKILL)
    t.wait_exit()
    t.tmux("kill-server", check=False)
    t2 = u.start(80, 24)
    open_thread(t2)
    t2.wait("a draft is waiting: r continues it")  # the thread's keys stay the thread's
    t2.keys("r")
    t2.wait("Half-written answer, Grüße 東京")
    t2.wait("Reply (the client sees this)")
    t2.stop()


@h.test
def unsent_text_question():
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    open_thread(t)
    path = os.path.join(u.state, "drafts", f"thread-{thread['id']}.json")
    t.keys("r")
    t.text("Maybe later")
    t.keys("Escape")
    t.wait("Unsent text")
    t.keys("c")  # go on writing
    t.wait("Unsent text", gone=True)
    t.text(" today")
    t.keys("Escape")
    t.wait("Unsent text")
    t.keys("k")  # keep the draft
    t.wait("draft kept")
    h.ok(os.path.exists(path), "draft file kept")
    t.keys("r")
    t.wait("Maybe later today")
    t.keys("Escape")
    t.wait("Unsent text")
    t.keys("d")  # discard
    t.wait("r:reply")
    h.wait_for(lambda: not os.path.exists(path), 10, "the draft to go")
    t.keys("r")
    t.keys("Escape")  # nothing typed: no question
    t.wait("r:reply")
    before = len(messages(thread["id"]))
    t.keys("r")
    t.text("Send from the question")
    t.keys("Escape")
    t.wait("Unsent text")
    t.keys("s")
    h.wait_for(lambda: len(messages(thread["id"])) == before + 1, 10, "the message sent")
    t.stop()


@h.test
def help_screen_lists_the_keymap():
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(100, 50)
    t.wait("Accounts")
    t.keys("?")
    s = t.wait("Keys on this screen (accounts)")
    for text in ("filter", "Filter accounts as you type", "new-chat", "open", "inbox"):
        h.ok(text in s, f"{text!r} in help")
    for _ in range(4):
        t.keys("C-f")
    s = t.wait("Options (name = value")
    h.ok("mouse" in s and "wide" in s and "events" in s, s)
    t.keys("q")
    open_thread(t)
    t.keys("?")
    s = t.wait("Keys on this screen (thread)")
    h.ok("reply" in s and "mark-unread" in s and "edit-reply" in s and "actions" in s, s)
    t.keys("Escape")
    t.keys("r", "F1")
    s = t.wait("Keys on this screen (compose)")
    h.ok("C-d" in s and "send" in s, s)
    t.stop()


@h.test
def config_file_rebinds_keys():
    u = tuilib.User(srv, firm.owner_email)
    os.makedirs(os.path.join(u.dir, "config", "folio"))
    with open(os.path.join(u.dir, "config", "folio", "config"), "w") as f:
        f.write("# my keys\nbind accounts o open\nunbind global ?\nbind global h help\n")
    t = u.start(80, 24)
    t.wait("Accounts")
    t.keys("o")
    t.wait("open threads")
    t.keys("h")
    t.wait("Keys on this screen")
    t.stop()


@h.test
def sizes_80x24_200x60_and_resize():
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(200, 60)
    s = t.wait("Accounts (3)")
    lines = s.split("\n")
    h.ok(lines[0].startswith(" Folio | Accounts"), lines[0])
    h.ok("?:help" in lines[59], f"hints on the last row: {lines[59]!r}")
    t.resize(80, 24)
    s = t.wait(lambda_hint := "?:help")
    lines = s.split("\n")
    h.ok("?:help" in lines[23], f"hints on row 24 after the resize: {lines[23]!r}")
    for line in lines:
        h.ok(tuilib.display_width(line) <= 80, f"line fits 80 columns: {line!r}")
    open_thread(t)
    t.resize(200, 60)
    s = t.wait(re.compile(r"\n[^\n]*r:reply[^\n]*\n?$"))
    h.eq(len(s.rstrip("\n").split("\n")), 60, "rows after the resize")
    t.stop()


@h.test
def emoji_and_cjk_line_up():
    tid = firm.thread(tokyo["id"], subject="幅 width 😀", body="😀😀😀|end\n\n漢字漢|end\n\nabcdef|end")["id"]
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    s = t.wait("東京商事")
    # The time column is right-aligned: the same display column on every row.
    ends = {tuilib.display_width(l.rstrip()) for l in s.split("\n")[1:4]}
    h.eq(len(ends), 1, f"rows end in one column:\n{s}")
    open_thread(t, "東京商事", "幅 width 😀")
    s = t.wait("abcdef|end")
    cols = set()
    for line in s.split("\n"):
        if "|end" in line:
            cols.add(tuilib.row_of(line, "|end")[1])
    h.eq(cols, {6}, f"'|end' in one column:\n{s}")
    h.eq(tid > 0, True)
    t.stop()


@h.test
def paste_is_text_not_commands():
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    open_thread(t)
    t.keys("r")
    t.wait("Reply (the client sees this)")
    t.paste("q\nline two ? n\n")
    t.wait("line two ? n")
    h.ok("Reply (the client sees this)" in t.screen(), "still composing")
    t.keys("Escape")
    t.wait("Unsent text")
    t.keys("d")
    t.stop()


@h.test
def offline_send_is_queued_and_sent_once_on_reconnect():
    own = h.Server()
    f2 = h.Firm(own)
    acct = f2.account("Offline GmbH")
    f2.contact(acct["id"])
    tid = f2.thread(acct["id"], subject="Offline test")["id"]
    u = tuilib.User(own, f2.owner_email)
    t = u.start(80, 24)
    open_thread(t, "Offline GmbH", "Offline test")
    own.stop()
    t.keys("r")
    t.text("Written on the train")
    t.keys("C-d")
    t.wait("queued")
    h.ok(os.listdir(os.path.join(u.state, "outbox")), "the send is on disk")
    own.start()
    h.wait_for(lambda: any(m["body"] == "Written on the train"
                           for m in f2.owner.must("GET", f"/api/v1/threads/{tid}/messages")["items"]),
               30, "the queued message on the server")
    h.wait_for(lambda: not os.listdir(os.path.join(u.state, "outbox")), 10, "the outbox to empty")
    time.sleep(1)
    n = sum(m["body"] == "Written on the train"
            for m in f2.owner.must("GET", f"/api/v1/threads/{tid}/messages")["items"])
    h.eq(n, 1, "sent exactly once")
    t.stop()


h.main()
