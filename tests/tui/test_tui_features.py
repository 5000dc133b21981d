"""Every server feature on a screen (issue 11, items 3-7), in tmux against a
real foliod: assigning a thread from its actions and filtering by assignee,
the queue of threads waiting on the firm (oldest first, with "since"), an
account seen exactly as its contacts see it (read-only, under a banner), a
template rendered for the chosen account in the new chat form before the
chat exists, and a client contact starting a chat in client wording."""

import re

import harness as h
import tuilib

srv = h.server()
firm = h.Firm(srv)
acct = firm.account("Assign GmbH")
other = firm.account("Warte KG")
carla = firm.contact(acct["id"], name="Carla Kunde")
carla_email = carla.user["email"]
otto = firm.contact(other["id"], name="Otto Kunde")
anna = firm.staff(role="admin", name="Anna Admin")
ANNA = anna.user["id"] if anna.user and "id" in anna.user else anna.must("GET", "/api/v1/me")["id"]
OWNER = firm.owner.must("GET", "/api/v1/me")["id"]


def open_account(t, account):
    t.wait(account)
    t.keys("/")
    t.text(account.split()[0])
    t.wait("Filter: " + account.split()[0])
    t.keys("Enter", "Enter")
    t.wait("open threads")


def open_thread(t, subject, account="Assign GmbH"):
    open_account(t, account)
    t.wait(subject)
    row = tuilib.row_of(t.screen(), subject)[0]
    for _ in range((row - 1) // 2):  # two rows a thread, the first one selected
        t.keys("j")
    t.keys("Enter")
    t.wait(re.compile(r"\| " + re.escape(subject)))


def get(tid):
    return firm.owner.must("GET", f"/api/v1/threads/{tid}")


@h.test
def assign_from_the_thread_actions_and_filter_by_assignee():
    t1 = firm.thread(acct["id"], subject="Assign me")
    t2 = firm.thread(acct["id"], subject="Already mine")
    t3 = firm.thread(acct["id"], subject="Nobody has it")
    firm.owner.must("PATCH", f"/api/v1/threads/{t2['id']}", {"assignee_id": OWNER})
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(100, 30)
    open_thread(t, "Assign me")
    t.keys("a")
    t.wait("Assign to a colleague or to me")
    t.keys("o")
    s = t.wait("Assign to")
    h.ok("nobody (unassigned)" in s and "Anna Admin" in s and "me (" in s, s)
    t.keys("j", "j")  # me, nobody, Anna Admin
    t.keys("Enter")
    t.wait("assigned to Anna Admin")
    h.wait_for(lambda: get(t1["id"])["assignee_id"] == ANNA, 10, "the thread assigned to Anna")
    # The header says who has it; the list under it shows it too.
    s = t.wait("Assign me · assigned to Anna Admin")
    t.keys("q")
    t.wait("\u2192 Anna Admin")
    # f: assigned to me, then unassigned, then all again.
    t.keys("f")
    t.wait("open threads · assigned to me")
    s = t.wait("Already mine")
    h.ok("Assign me" not in s and "Nobody has it" not in s, s)
    t.keys("f")
    t.wait("open threads · unassigned")
    s = t.wait("Nobody has it")
    h.ok("Assign me" not in s and "Already mine" not in s, s)
    # A thread assigned elsewhere meanwhile leaves the unassigned list live.
    firm.owner.must("PATCH", f"/api/v1/threads/{t3['id']}", {"assignee_id": ANNA})
    t.wait("Nobody has it", gone=True)
    t.keys("f")
    t.wait("· unassigned", gone=True)
    t.wait("Already mine")
    t.wait("Assign me")
    # Unassign from the pop-up: the cursor starts on Anna, who has it.
    t.stop()
    t = u.start(100, 30)
    open_thread(t, "Assign me")
    t.keys("a", "o")
    t.wait(re.compile(r"\* +Anna Admin"))
    t.keys("k", "Enter")
    t.wait("unassigned")
    h.wait_for(lambda: get(t1["id"])["assignee_id"] is None, 10, "the thread unassigned")
    t.stop()


@h.test
def waiting_queue_lists_what_waits_on_us_oldest_first():
    a = firm.thread(other["id"], subject="Older question")
    otto.must("POST", f"/api/v1/threads/{a['id']}/messages", {"body": "Wann kommt die Antwort?"}, status=201)
    srv.advance(2 * 86400, firm.owner)
    b = firm.thread(acct["id"], subject="Newer question")
    carla.must("POST", f"/api/v1/threads/{b['id']}/messages", {"body": "Und hier?"}, status=201)
    firm.thread(acct["id"], subject="Ball in their court")  # the firm wrote last
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(100, 30)
    t.wait("Assign GmbH")
    t.keys("W")
    t.wait("Waiting on us (")
    t.wait("oldest first")
    s = t.wait("Newer question")
    h.ok("Ball in their court" not in s, s)
    older, newer = tuilib.row_of(s, "Older question"), tuilib.row_of(s, "Newer question")
    h.ok(older is not None and older[0] < newer[0], s)
    # Each row names its account and says since when it waits.
    lines = s.split("\n")
    h.ok("Warte KG" in lines[older[0] + 1] and "waiting on us since" in lines[older[0] + 1], s)
    h.ok("Assign GmbH" in lines[newer[0] + 1], s)
    # Answering takes it out of the queue as it happens.
    firm.owner.must("POST", f"/api/v1/threads/{a['id']}/messages", {"body": "Morgen."}, status=201)
    t.wait("Older question", gone=True)
    t.keys("q")
    t.wait("Accounts (")
    t.stop()


@h.test
def view_as_client_shows_what_the_contacts_see_and_cannot_write():
    th = firm.thread(acct["id"], subject="Seen by the client", body="Public hello")
    firm.owner.must("POST", f"/api/v1/threads/{th['id']}/messages",
                    {"body": "Secret team note", "internal": True}, status=201)
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(100, 30)
    t.wait("Assign GmbH")
    t.keys("/")
    t.text("Assign")
    t.wait("Filter: Assign")
    t.keys("Enter", "V")
    t.wait("CLIENT VIEW, read-only | Assign GmbH")
    s = t.wait("Seen by the client")
    h.ok("n:new chat" not in s, s)
    h.ok(re.search(r"we answer soon|waiting for your reply", s), s)
    row = tuilib.row_of(s, "Seen by the client")[0]
    for _ in range((row - 1) // 2):
        t.keys("j")
    t.keys("Enter")
    s = t.wait("Public hello")
    h.ok("CLIENT VIEW, read-only" in s, s)
    h.ok("Secret team note" not in s and "INTERNAL NOTE" not in s, s)
    h.ok("r:reply" not in s and "a:actions" not in s, s)
    t.keys("r")
    t.wait("viewing as the client: read-only")
    t.keys("i")
    s = t.wait("viewing as the client: read-only")
    h.ok("Ctrl-D" not in s and "C-d:send" not in s, s)
    # A team note written now does not reach the client's view either.
    firm.owner.must("POST", f"/api/v1/threads/{th['id']}/messages",
                    {"body": "Another secret", "internal": True}, status=201)
    firm.owner.must("POST", f"/api/v1/threads/{th['id']}/messages", {"body": "Public again"}, status=201)
    s = t.wait("Public again")
    h.ok("Another secret" not in s, s)
    t.keys("q", "q")
    s = t.wait("Accounts (")
    h.ok("CLIENT VIEW" not in s, s)
    # Back in the firm's own view, the note is there.
    t.keys("Enter")
    t.wait("open threads")
    t.stop()


@h.test
def new_chat_shows_the_template_rendered_for_the_account_and_starts_on_to():
    firm.owner.must("POST", "/api/v1/templates", {
        "name": "Belege anfordern", "subject": "Belege für {{account.name}}",
        "body": "Hallo {{contact.first_name}},\n\nbitte laden Sie die Belege hoch.\n\n{{firm.name}}"},
        status=201)
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(100, 30)
    t.wait("Assign GmbH")
    t.keys("n")
    s = t.wait("> To")
    h.ok(re.search(r"> To +\S", s) is None, s)  # empty: the list's cursor is no recipient
    t.text("Assign")
    t.keys("Tab")
    t.wait("> Template")
    t.text("Belege")
    t.keys("Tab")
    t.wait("Belege für Assign GmbH")
    t.wait("Hallo Carla,")
    t.wait(firm.name)
    # Another recipient renders it again, since the text was not touched.
    t.keys("BTab", "BTab")
    t.wait("> To")
    t.keys("C-a", "C-k")
    t.text("Warte")
    t.keys("Tab")
    t.wait("Belege für Warte KG")
    t.wait("Hallo Otto,")
    t.keys("C-d")
    t.wait("chat created")
    items = firm.owner.must("GET", "/api/v1/threads", query={"account_id": str(other["id"])})["items"]
    h.ok(any(x["subject"] == "Belege für Warte KG" for x in items), items)
    # From an account's threads the form starts on To, filled with that account.
    t.keys("q")
    t.wait("open threads")
    t.keys("n")
    t.wait(re.compile(r"> To +Warte KG"))
    t.keys("Escape")
    t.stop()


@h.test
def a_contact_starts_a_chat_in_client_wording():
    u = tuilib.User(srv, carla_email)
    t = u.start(80, 24)
    t.wait("Assign GmbH")
    t.keys("n")
    s = t.wait("New chat")
    h.ok("Template" not in s and "Reminders" not in s, s)
    # Its own account is the only recipient a contact has: the form starts on Subject.
    t.wait(re.compile(r"  To +Assign GmbH"))
    t.wait("> Subject")
    t.text("Frage von Carla")
    t.keys("Tab")
    t.text("Ist alles angekommen?")
    t.keys("C-d")
    t.wait("chat created")
    items = firm.owner.must("GET", "/api/v1/threads", query={"account_id": str(acct["id"])})["items"]
    h.ok(any(x["subject"] == "Frage von Carla" for x in items), items)
    s = t.wait("Ist alles angekommen?")
    h.ok("i:note" not in s and "a:actions" not in s, s)
    t.keys("q")
    s = t.wait("we answer soon")
    h.ok("waiting on us" not in s, s)
    t.stop()


if __name__ == "__main__":
    h.main()
