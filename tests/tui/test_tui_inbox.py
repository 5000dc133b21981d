"""Inbox+ in the interactive folio against a real foliod: the list of what
needs the firm, most recently bumped first, its count in the title, the jump
to the thread (which marks the item read), and new items arriving live."""

import re

import harness as h
import tuilib

srv = h.server()
firm = h.Firm(srv)
acme = firm.account("Acme Inbox Ltd")
carla = firm.contact(acme["id"], name="Carla Kunde")


def notes(client=None):
    return (client or firm.owner).must("GET", "/api/v1/notifications")["items"]



@h.test
def inbox_lists_opens_and_marks_read():
    th = firm.thread(acme["id"], subject="Payroll questions")
    carla.must("POST", f"/api/v1/threads/{th['id']}/messages", {"body": "Which month do you need?"},
               status=201)
    h.wait_for(lambda: any(n["thread_id"] == th["id"] and not n["read"] for n in notes()), 10,
               "the item on the server")
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    t.wait(re.compile(r"Accounts \(\d+\) \| Inbox\+ 1 new"))
    t.keys("I")
    s = t.wait("Inbox+ (1 new)")
    h.ok("\u25cf Payroll questions" in s, f"an unread item with its dot:\n{s}")
    h.ok("Acme Inbox Ltd \u00b7 Carla Kunde wrote" in s, s)
    t.keys("Enter")
    t.wait("Which month do you need?")
    t.wait("Acme Inbox Ltd | Payroll questions")
    h.wait_for(lambda: all(n["read"] for n in notes() if n["thread_id"] == th["id"]), 10,
               "the item read on the server")
    t.keys("q")
    s = t.wait("Inbox+ (0 new)")
    h.ok("\u25cf" not in s, f"no unread dot left:\n{s}")
    t.keys("q")
    t.wait("Accounts (")
    t.stop()


@h.test
def inbox_follows_new_activity_live():
    tuilib.require_events(firm.owner)
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    t.wait("Acme Inbox Ltd")
    t.keys("I")
    t.wait("Inbox+ (")
    t.wait("[live]")
    firm.thread(acme["id"], subject="Started by the client", body="Here is my question.", as_client=carla)
    s = t.wait("\u25cf Started by the client")
    lines = s.split("\n")
    h.ok("Started by the client" in lines[1], f"the new item on top:\n{s}")
    h.ok("Carla Kunde started a chat" in lines[2], s)
    t.wait("Inbox+ (1 new)")
    t.stop()


@h.test
def a_contacts_pending_items():
    th = firm.thread(acme["id"], subject="For the client")
    u = tuilib.User(srv, carla.user["email"])
    t = u.start(80, 24)
    t.wait("Acme Inbox Ltd")
    t.keys("I")
    s = t.wait("For the client")
    h.ok("wrote" in s or "started a chat" in s, s)
    t.keys("Enter")
    t.wait("Please send your documents.")
    h.wait_for(lambda: all(n["read"] for n in notes(carla) if n["thread_id"] == th["id"]), 10,
               "the contact's item read")
    t.stop()



@h.test
def a_document_item_opens_its_account():
    """An upload outside any chat has no thread: Enter opens the account's threads and says what came."""
    other = firm.account("Beleg Upload GmbH")
    dora = firm.contact(other["id"], name="Dora Datei")
    folder = firm.owner.must("POST", f"/api/v1/accounts/{other['id']}/folders",
                             {"name": "Belege", "access": "client_edit"}, status=201)
    r = dora.post(f"/api/v1/accounts/{other['id']}/documents", raw=b"%PDF-1.4 receipt",
                  query={"name": "beleg.pdf", "folder_id": folder["id"]},
                  headers={"Content-Type": "application/octet-stream"})
    h.eq(r.status, 201, r.raw)
    h.wait_for(lambda: any(n["type"] == "document" and not n["read"] for n in notes()), 10, "the document item")
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    t.wait("Inbox+")
    t.keys("I")
    s = t.wait("Dora Datei")
    lines = s.split("\n")
    h.ok("Beleg Upload GmbH" in lines[1] or "Beleg Upload GmbH" in lines[2],
         f"the newest item, on top, names the account:\n{s}")
    t.keys("Enter")
    t.wait("Dora Datei uploaded a document (not in a chat)")
    t.wait("Beleg Upload GmbH")
    h.wait_for(lambda: all(n["read"] for n in notes() if n["type"] == "document"), 10, "the item read")
    t.stop()


h.main()
