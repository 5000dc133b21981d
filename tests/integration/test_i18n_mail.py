"""German first, on the server (issue 11, items 1 and 2): mail in the firm's
language (German by default, English after the owner switches with PATCH
/api/v1/firm or `foliod create-firm --language en`), in both parts of every mail,
with dates in the language's words and the typed lines of a message kept in
HTML; account and template names in German order (ICU), the same when paged.

Every assertion on mail reads what the SMTP catcher stored."""

import os
import re
import subprocess
import uuid
from email import policy
from email.parser import BytesParser

import harness as h
import mailcheck as mc

DE_DATE = re.compile(r"\b(So|Mo|Di|Mi|Do|Fr|Sa)\., \d{1,2}\. (Jan\.|Feb\.|März|Apr\.|Mai|Juni|Juli|Aug\.|Sept\.|"
                     r"Okt\.|Nov\.|Dez\.) \d{4}, \d\d:\d\d\b")
EN_DATE = re.compile(r"\b(Sun|Mon|Tue|Wed|Thu|Fri|Sat), (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                     r"\d{1,2}, \d{4}, \d\d:\d\d\b")
TWO_LINES = "Erste Zeile: die Kontoauszüge\nZweite Zeile: die Belege"


def unique(word):
    return f"{word} {uuid.uuid4().hex[:6]}"


def setup(srv=None):
    """A firm, an account and a contact with portal access and mail."""
    f = h.Firm(srv or h.server())
    acc = f.account()
    c = f.contact(acc["id"])
    return f, acc, c


def with_html(m):
    """The stored mail with its decoded text/html part as body_html."""
    with open(m["file"], "rb") as f:
        part = BytesParser(policy=policy.default).parse(f).get_body(preferencelist=("html",))
    h.ok(part is not None, f"an HTML part in {m['subject']!r}")
    return dict(m, body_html=part.get_content())


def last_mail(srv, addr, n):
    mc.drained(srv, addr)
    return with_html(mc.wait_count(addr, n)[-1])


@h.test
def mail_is_german_by_default_in_subject_text_and_html():
    srv = h.server()
    f, acc, c = setup(srv)
    h.eq(f.owner.must("GET", "/api/v1/firm"), {"id": f.id, "name": f.name, "language": "de", "require_totp": "none"})
    subj = unique("Jahresabschluss")
    f.thread(acc["id"], subject=subj, body=TWO_LINES)
    m = last_mail(srv, c.user["email"], 1)
    h.eq(m["subject"], f"Neuer Chat von {f.name}: {subj}")
    text, html = m["body_text"], m["body_html"]
    name = c.user["name"]
    h.ok(text.startswith(f"Hallo {name},\n"), text)
    h.ok(f"{f.owner.user['name']} von {f.name} hat einen Chat mit Ihnen begonnen: „{subj}“." in text, text)
    h.ok(DE_DATE.search(text), f"a German date in the text part: {text!r}")
    h.ok(TWO_LINES in text, text)
    h.ok("Chat öffnen: " in text and f"{f.name} über Folio" in text, text)
    for english in ("Hello", "Open the chat", "via Folio", "started a chat"):
        h.ok(english not in text and english not in html, f"{english!r} in a German mail")
    h.ok('<html lang="de">' in html, html)
    h.ok(f"Hallo {name}," in html and ">Chat öffnen</a>" in html and "über Folio" in html, html)
    h.ok(DE_DATE.search(html), f"a German date in the HTML part: {html!r}")
    # The two typed lines stay two lines in HTML (they used to run together).
    h.ok("Erste Zeile: die Kontoauszüge<br />\nZweite Zeile: die Belege" in html, html)


@h.test
def the_owner_switches_the_firm_to_english_and_mail_follows():
    srv = h.server()
    f, acc, c = setup(srv)
    admin = f.staff(role="admin")
    h.eq(admin.must("GET", "/api/v1/firm")["language"], "de", "staff may read the setting")
    h.eq(admin.patch("/api/v1/firm", {"language": "en"}).status, 403)
    for bad in ({"language": "fr"}, {"language": 1}, {"language": ""}):
        h.eq(f.owner.patch("/api/v1/firm", bad).status, 422, repr(bad))
    h.eq(f.owner.must("PATCH", "/api/v1/firm", {}), {"id": f.id, "name": f.name, "language": "de", "require_totp": "none"})
    h.eq(f.owner.must("PATCH", "/api/v1/firm", {"language": "en"})["language"], "en")
    h.eq(f.owner.must("GET", "/api/v1/firm")["language"], "en")
    subj = unique("Annual accounts")
    t = f.thread(acc["id"], subject=subj, body=TWO_LINES)
    f.owner.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "One more\nthing"}, status=201)
    mc.drained(srv, c.user["email"])
    first, second = map(with_html, mc.wait_count(c.user["email"], 2))
    h.eq(first["subject"], f"New chat from {f.name}: {subj}")
    h.eq(second["subject"], f"New message from {f.name}: {subj}")
    text, html = second["body_text"], second["body_html"]
    h.ok(text.startswith(f"Hello {c.user['name']},\n"), text)
    h.ok(f"{f.owner.user['name']} of {f.name} wrote in \"{subj}\":" in text, text)
    h.ok(EN_DATE.search(text) and EN_DATE.search(html), f"English dates: {text!r}")
    h.ok("Open the chat: " in text and f"{f.name} via Folio" in text, text)
    h.ok('<html lang="en">' in html and ">Open the chat</a>" in html, html)
    h.ok("One more<br />\nthing" in html, html)
    for german in ("Hallo", "Chat öffnen", "über Folio"):
        h.ok(german not in text and german not in html, f"{german!r} in an English mail")
    # And back: the next mail is German again.
    f.owner.must("PATCH", "/api/v1/firm", {"language": "de"})
    f.owner.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "Noch etwas"}, status=201)
    h.eq(last_mail(srv, c.user["email"], 3)["subject"], f"Neue Nachricht von {f.name}: {subj}")


@h.test
def reminders_and_staff_mail_speak_the_firms_language():
    srv = h.server()
    f, acc, c = setup(srv)
    subj = unique("Belege Q3")
    t = f.thread(acc["id"], subject=subj, body="Bitte die Belege schicken.")
    last_mail(srv, c.user["email"], 1)
    f.owner.must("POST", f"/api/v1/threads/{t['id']}/resend")
    m = last_mail(srv, c.user["email"], 2)
    h.eq(m["subject"], f"Erinnerung: {subj}")
    h.ok(f"{f.name} wartet in „{subj}“ auf Ihre Antwort. Die letzte Nachricht:" in m["body_text"],
         m["body_text"])
    h.ok("Bitte die Belege schicken." in m["body_html"] and DE_DATE.search(m["body_html"]), m["body_html"])
    # The team hears of the client's answer in German, too (the owner gets client activity).
    c.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "Kommen morgen."}, status=201)
    owner = f.owner.user["email"]
    mc.drained(srv, owner)
    h.eq(mc.subjects(owner)[-1], f"[{acc['name']}] {c.user['name']} hat geantwortet: {subj}")
    f.owner.must("PATCH", "/api/v1/firm", {"language": "en"})
    f.owner.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "Danke!"}, status=201)
    last_mail(srv, c.user["email"], 3)
    f.owner.must("POST", f"/api/v1/threads/{t['id']}/resend")
    h.eq(last_mail(srv, c.user["email"], 4)["subject"], f"Reminder: {subj}")


@h.test
def create_firm_takes_a_language():
    srv = h.server()
    env = dict(os.environ, FOLIO_DATABASE_URL=srv.db.url, FOLIO_SQL_DIR=os.path.join(h.ROOT, "sql"))
    tag = uuid.uuid4().hex[:8]

    def create(*args):
        return subprocess.run([h.FOLIOD, "create-firm", "--name", f"Firm {tag}", *args], input=h.PASSWORD + "\n",
                              capture_output=True, text=True, env=env)

    r = create("--owner-email", f"owner-{tag}@firm.test", "--language", "fr")
    h.eq(r.returncode, 2, r.stderr)
    h.ok("--language de|en" in r.stderr, r.stderr)
    r = create("--owner-email", f"owner-{tag}@firm.test", "--language", "en")
    h.eq(r.returncode, 0, r.stderr)
    owner = srv.login(f"owner-{tag}@firm.test", h.PASSWORD)
    h.eq(owner.must("GET", "/api/v1/firm")["language"], "en")
    acc = owner.must("POST", "/api/v1/accounts", {"name": "Client"}, status=201)
    email = f"c-{tag}@client.test"
    owner.must("POST", f"/api/v1/accounts/{acc['id']}/contacts",
               {"name": "Carla", "email": email, "password": h.PASSWORD, "portal_access": True, "notify": True},
               status=201)
    owner.must("POST", "/api/v1/threads", {"account_id": acc["id"], "subject": "Hi", "body": "b"}, status=201)
    h.eq(last_mail(srv, email, 1)["subject"], f"New chat from Firm {tag}: Hi")


NAMES = ["Zahnarzt Dr. Ohm", "bäckerei Weber", "Ärztehaus Mitte", "Apotheke am Markt", "Bauer Holz",
         "Café Krüger", "Becker GmbH", "Özdemir Bau", "Otto KG", "ärzte am See"]
# ICU (de): Ä with A, Ö with O, ä with a, case does not split a letter.
GERMAN = ["Apotheke am Markt", "ärzte am See", "Ärztehaus Mitte", "bäckerei Weber", "Bauer Holz", "Becker GmbH",
          "Café Krüger", "Otto KG", "Özdemir Bau", "Zahnarzt Dr. Ohm"]


def paged(client, path, limit, **query):
    names, cursor = [], None
    for _ in range(20):
        q = dict(query, limit=limit)
        if cursor:
            q["cursor"] = cursor
        r = client.must("GET", path, query=q)
        names += [i["name"] for i in r["items"]]
        if not r.get("next"):
            return names
        cursor = r["next"]
    raise h.Failure(f"{path} did not end")


@h.test
def accounts_sort_by_name_in_german_order_and_page_the_same():
    f = h.Firm(h.server())
    for n in NAMES:
        f.account(name=n)
    whole = [a["name"] for a in f.owner.must("GET", "/api/v1/accounts", query={"sort": "name"})["items"]]
    h.eq(whole, GERMAN)
    for limit in (1, 3):
        h.eq(paged(f.owner, "/api/v1/accounts", limit, sort="name"), GERMAN, f"paged by {limit}")
    # By activity (the default) the names of accounts without a chat come in the same order.
    h.eq(paged(f.owner, "/api/v1/accounts", 4), GERMAN, "by activity, none has any")


@h.test
def templates_sort_by_name_in_german_order_and_page_the_same():
    f = h.Firm(h.server())
    for n in NAMES:
        f.owner.must("POST", "/api/v1/templates", {"name": n, "subject": "s", "body": "b"}, status=201)
    whole = [t["name"] for t in f.owner.must("GET", "/api/v1/templates")["items"]]
    h.eq(whole, GERMAN)
    h.eq(paged(f.owner, "/api/v1/templates", 3), GERMAN, "paged by 3")


@h.test
def no_errors_in_the_server_log():
    h.eq(mc.log_errors(h.server()), [])


h.main()
