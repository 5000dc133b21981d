"""folio in German and in English (issue 11, item 1 for the TUI): the same
screens under LANG=de_DE.UTF-8 and LANG=C.UTF-8, dates in the locale's
words ("Di., 9. Dez.", 24-hour), the message catalog found from the build
tree or FOLIO_LOCALEDIR, and a catalog that holds every string of the
sources, translated."""

import os
import re
import subprocess
import tempfile

import harness as h
import tuilib

srv = h.server()
firm = h.Firm(srv)
acct = firm.account("Sprachtest GmbH")
carla = firm.contact(acct["id"], name="Carla Kunde")
firm.thread(acct["id"], subject="Fristen", body="Bitte bis Freitag.",
            reminders={"enabled": True, "interval_days": 5, "max_count": 2})
th = firm.thread(acct["id"], subject="Belege Q3", body="Bitte die **Belege** hochladen.",
                 tasks=[{"title": "Kontoauszüge"}])
carla.must("POST", f"/api/v1/threads/{th['id']}/messages", {"body": "Kommt morgen 👍"}, status=201)
firm.owner.must("POST", f"/api/v1/threads/{th['id']}/messages",
                {"body": "Bitte USt-ID prüfen.", "internal": True}, status=201)

GERMAN = "de_DE.UTF-8"


def user(lang):
    have = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.lower()
    h.ok("de_de.utf8" in have, "the de_DE.UTF-8 locale exists (tests/env/deps.sh makes it)")
    u = tuilib.User(srv, firm.owner_email)
    u.env["LANG"] = u.env["LC_ALL"] = lang
    return u


def walk(t, words):
    """Accounts, the account's threads, the thread and its reminders dialog: the words on each."""
    w = words
    s = t.wait(w["accounts"])
    h.ok(w["hints"] in s, f"{w['hints']!r}:\n{s}")
    t.keys("/")
    t.text("Sprach")
    t.wait(w["filter"] + "Sprach")
    t.keys("Enter", "Enter")
    t.wait(w["threads"])
    t.wait("Belege Q3")
    s = t.wait(re.compile(w["reminders"]))
    for pattern in (w["meta"], w["reminders"]):
        h.ok(re.search(pattern, s), f"{pattern!r} in the thread list:\n{s}")
    t.keys("Enter")
    s = t.wait("Kommt morgen 👍")
    for text in w["thread"]:
        h.ok(text in s, f"{text!r} in the thread:\n{s}")
    h.ok(re.search(r"\b([01]\d|2[0-3]):[0-5]\d\b", s), f"a 24-hour time:\n{s}")
    t.keys("a")
    s = t.wait(w["menu"])
    t.keys("m")
    s = t.wait(w["dialog"])
    t.keys("Escape")
    t.keys("?")
    s = t.wait(w["help"])
    t.keys("q")
    t.keys("r")
    s = t.wait(w["compose"])
    t.keys("Escape")
    return s


@h.test
def the_same_screens_in_german_and_in_english():
    english = {
        "accounts": "Accounts (1)", "hints": "Enter:open  /:filter  U:unread", "filter": "Filter: ",
        "threads": "Sprachtest GmbH | open threads",
        "meta": r"waiting on us since [0-2]\d:[0-5]\d · tasks 0/1",
        "thread": ("INTERNAL NOTE · ", "Carla Kunde (client)", "r:reply  i:note  e:$EDITOR"),
        "reminders": r"waiting on client( since [0-2]\d:[0-5]\d)? · reminders every 5 days: 0 of 2 sent, "
                     r"next (\w{3} \w{3} \d{1,2}|\d{4}-\d\d-\d\d)",
        "menu": "Thread actions", "dialog": "days without an answer",
        "help": "Keys on this screen (thread)", "compose": "Reply (the client sees this)",
    }
    german = {
        "accounts": "Mandanten (1)", "hints": "Enter:öffnen  /:filtern  U:ungelesen", "filter": "Filter: ",
        "threads": "Sprachtest GmbH | offene Chats",
        "meta": r"wartet auf uns seit [0-2]\d:[0-5]\d · Aufgaben 0/1",
        "thread": ("INTERNE NOTIZ · ", "Carla Kunde (Mandant)", "r:antworten  i:Notiz  e:$EDITOR"),
        "reminders": r"wartet auf Mandant( seit [0-2]\d:[0-5]\d)? · Erinnerungen alle 5 Tage: 0 von 2 "
                     r"gesendet, nächste (\w{2}\., \d{1,2}\. \w{3}\.|\d\d\.\d\d\.\d{4})",
        "menu": "Aktionen des Chats", "dialog": "Tage ohne Antwort",
        "help": "Tasten auf diesem Bildschirm (thread)", "compose": "Antwort (der Mandant sieht sie)",
    }
    for lang, words in (("C.UTF-8", english), (GERMAN, german)):
        t = user(lang).start(100, 30)
        walk(t, words)
        t.stop()



@h.test
def key_hints_are_whole_at_any_width():
    """A hint that does not fit is left out, never cut ("q:zurü")."""
    def hints(cols):
        t = user(GERMAN).start(cols, 24)
        t.wait("Mandanten (1)")
        t.keys("Enter")
        s = t.wait("offene Chats")
        t.stop()
        line = [x for x in s.splitlines() if x.strip()][-1]
        return [p for p in line.strip().split("  ") if p]
    wide = hints(150)
    h.ok("q:zurück" in wide, f"all hints at 150 columns: {wide}")
    for cols in (60, 80):
        narrow = hints(cols)
        h.ok(narrow and all(p in wide for p in narrow), f"{cols} columns: {narrow}, whole ones: {wide}")

@h.test
def german_dates_read_like_german_dates():
    # A reminder due in five days: a day of this year ("Di., 9. Dez.") or of the next.
    t = user(GERMAN).start(100, 30)
    t.wait("Sprachtest GmbH")
    t.keys("Enter")
    t.wait("offene Chats")
    s = t.wait("Fristen")
    h.ok(re.search(r"nächste (?:(?:Mo|Di|Mi|Do|Fr|Sa|So)\., \d{1,2}\. "
                   r"(?:Jan|Feb|Mär|Apr|Mai|Jun|Jul|Aug|Sep|Okt|Nov|Dez)\.|\d\d\.\d\d\.\d{4})", s),
         f"a German date:\n{s}")
    h.ok(not re.search(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun|Jan|Feb|Mar|May|Oct|Dec)\b", s), s)
    t.stop()


@h.test
def the_catalog_comes_from_the_build_tree_or_folio_localedir():
    # No catalog where FOLIO_LOCALEDIR points: English words, German locale all the same.
    empty = tempfile.mkdtemp(prefix="folio-locale-", dir=h.STATE)
    t = user(GERMAN).start(80, 24, env={"FOLIO_LOCALEDIR": empty})
    t.wait("Accounts (1)")
    t.stop()
    # A copy of the built catalog elsewhere, named by FOLIO_LOCALEDIR, is used.
    built = os.path.join(h.ROOT, "build", "locale", "de", "LC_MESSAGES", "folio.mo")
    h.ok(os.path.exists(built), f"the Makefile built {built}")
    d = os.path.join(empty, "de", "LC_MESSAGES")
    os.makedirs(d)
    with open(built, "rb") as src, open(os.path.join(d, "folio.mo"), "wb") as dst:
        dst.write(src.read())
    t = user(GERMAN).start(80, 24, env={"FOLIO_LOCALEDIR": empty})
    t.wait("Mandanten (1)")
    t.stop()


@h.test
def filter_and_sort_as_germans_expect():
    f = h.Firm(srv)
    for name in ("Zander Logistik", "Müller Bau GmbH", "Becker IT-Service", "Bäckerei Weber",
                 "Öztürk Reisen", "Ostmann KG"):
        f.account(name)
    for lang in ("C.UTF-8", GERMAN):
        u = tuilib.User(srv, f.owner_email)
        u.env["LANG"] = u.env["LC_ALL"] = lang
        t = u.start(80, 24)
        t.wait("Zander Logistik")
        for typed in ("mueller", "muller", "MÜLLER", "Müll"):
            t.keys("/")
            t.text(typed)
            s = t.wait(re.compile(r"(Accounts|Mandanten) \(1\)"))
            h.ok("Müller Bau GmbH" in s, f"{typed!r} finds Müller Bau GmbH:\n{s}")
            t.keys("Escape")
            t.wait(re.compile(r"(Accounts|Mandanten) \(6\)"))
        t.keys("s")  # by name: umlauts sort with their letter
        s = t.wait(re.compile(r"sorted by name|nach Name sortiert"))
        rows = [r.strip().split("  ")[0] for r in s.split("\n")[1:7]]
        h.eq(rows, ["Bäckerei Weber", "Becker IT-Service", "Müller Bau GmbH", "Ostmann KG",
                    "Öztürk Reisen", "Zander Logistik"], f"sorted by name in {lang}")
        t.stop()


@h.test
def every_string_is_in_the_catalog_and_translated():
    sources = sorted(os.path.join("tui", f) for f in os.listdir(os.path.join(h.ROOT, "tui"))
                     if f.endswith(".c"))
    out = os.path.join(tempfile.mkdtemp(prefix="folio-pot-", dir=h.STATE), "folio.pot")
    subprocess.run(["xgettext", "--from-code=UTF-8", "--language=C", "--keyword=_", "--keyword=N_",
                    "-o", out, *sources], cwd=h.ROOT, check=True)

    def ids(path):
        text = open(path, encoding="utf-8").read()
        found = set()
        for m in re.finditer(r'^msgid ((?:".*"\n)+)', text, re.M):
            found.add("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))))
        return found - {""}
    fresh = ids(out)
    pot = ids(os.path.join(h.ROOT, "tui", "po", "folio.pot"))
    de = ids(os.path.join(h.ROOT, "tui", "po", "de.po"))
    h.eq(sorted(fresh - pot), [], "strings missing from tui/po/folio.pot (make pot)")
    h.eq(sorted(fresh - de), [], "strings missing from tui/po/de.po")
    r = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null",
                        os.path.join(h.ROOT, "tui", "po", "de.po")], capture_output=True, text=True)
    h.eq(r.returncode, 0, r.stderr)
    h.ok("untranslated" not in r.stderr and "fuzzy" not in r.stderr, r.stderr)


h.main()
