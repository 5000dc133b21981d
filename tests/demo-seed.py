"""Seeds the demo firm through the real API: owner, two staff, 30 client accounts
with contacts, threads with messages (some internal notes), and templates.

    FOLIO_DATABASE_URL=... demo-seed.py PORT OWNER_EMAIL PASSWORD

The demo should look lived in: the server's clock (the clock table that
folio_now() reads) starts eight days back and moves forward by minutes to hours
between posts, so every chat and message has a time of its own; it is back at
the real time when the seed ends. Each account gets each subject at most once.
"""
import os
import random
import subprocess
import sys

sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__file__), "lib"))
import harness  # noqa: E402

PASSWORD = "demo-password"
CLIENTS = [
    ("Müller Bau GmbH", "Max Müller"), ("Schmidt & Söhne KG", "Sabine Schmidt"),
    ("Bäckerei Weber", "Wolfgang Weber"), ("Fischer Logistik AG", "Frieda Fischer"),
    ("Wagner Zahnarztpraxis", "Dr. Jonas Wagner"), ("Becker IT-Service", "Bernd Becker"),
    ("Hoffmann Immobilien", "Hanna Hoffmann"), ("Schäfer Gartenbau", "Stefan Schäfer"),
    ("Koch Catering", "Klara Koch"), ("Richter Rechtsanwälte", "Ralf Richter"),
    ("Klein Kosmetikstudio", "Katrin Klein"), ("Wolf Elektrotechnik", "Werner Wolf"),
    ("Schröder Design", "Sophie Schröder"), ("Neumann Autohaus", "Norbert Neumann"),
    ("Schwarz Fotografie", "Sina Schwarz"), ("Zimmermann Holzbau", "Ziggy Zimmermann"),
    ("Braun Apotheke", "Berta Braun"), ("Krüger Fahrschule", "Kai Krüger"),
    ("Hofmann Physiotherapie", "Helga Hofmann"), ("Hartmann Verlag", "Hugo Hartmann"),
    ("Lange Landwirtschaft", "Lena Lange"), ("Schmitt Sanitär", "Sven Schmitt"),
    ("Werner Weinhandel", "Wiebke Werner"), ("Krause Kita gGmbH", "Karl Krause"),
    ("Meier Malerbetrieb", "Mia Meier"), ("Lehmann Tierarzt", "Lukas Lehmann"),
    ("Köhler Kfz", "Kevin Köhler"), ("Herrmann Hotel", "Heike Herrmann"),
    ("König Kanzlei", "Konrad König"), ("山田 Trading GmbH", "Yamada Taro"),
]
SUBJECTS = ["Belege Q3", "Jahresabschluss 2025", "Fehlende Kontoauszüge", "Lohnabrechnung November",
            "Umsatzsteuer-Voranmeldung", "Frage zur Reisekostenabrechnung"]
FIRM_LINES = ["Bitte laden Sie die **Kontoauszüge** für Oktober hoch.",
              "Wir benötigen noch:\n\n- Rechnungen\n- Quittungen\n- den Mietvertrag",
              "Danke, alles erhalten! 👍", "Können Sie uns bis Freitag Bescheid geben?"]
CLIENT_LINES = ["Mache ich heute Abend.", "Anbei die Unterlagen, schöne Grüße!",
                "Welche Belege genau fehlen noch?", "Erledigt ✅"]


class Clock:
    """The server's notion of now, as an offset from the real time, moved with psql."""

    def __init__(self, rnd, start_days=8):
        self.rnd = rnd
        self.offset = -start_days * 86400
        self.set(self.offset)

    @staticmethod
    def set(offset):
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", os.environ["FOLIO_DATABASE_URL"],
                        "-c", f"UPDATE clock SET offset_seconds = {int(offset)}"],
                       check=True, stdout=subprocess.DEVNULL)

    def tick(self, lo_min=7, hi_min=150):
        """Some minutes to hours later, never past ten minutes ago."""
        self.offset = min(self.offset + self.rnd.randint(lo_min * 60, hi_min * 60), -600)
        self.set(self.offset)


def main():
    port, owner_email, owner_password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    clock = Clock(random.Random(11))
    try:
        seed(port, owner_email, owner_password, clock)
    finally:
        Clock.set(0)


def seed(port, owner_email, owner_password, clock):
    srv = type("Srv", (), {"port": port})()
    login = lambda e, p: harness.Client(srv, harness.Client(srv).must(  # noqa: E731
        "POST", "/api/v1/sessions", {"email": e, "password": p})["token"])
    owner = login(owner_email, owner_password)
    rnd = random.Random(7)
    staff = []
    for name, email in (("Anna Admin", "anna@demo.folio"), ("Ben Buchhalter", "ben@demo.folio")):
        owner.must("POST", "/api/v1/staff", {"name": name, "email": email, "password": PASSWORD,
                                             "role": "admin" if name.startswith("Anna") else "member"})
        staff.append(login(email, PASSWORD))
    owner.must("POST", "/api/v1/templates", {
        "name": "Belege anfordern", "subject": "Belege für {{account.name}}",
        "body": "Hallo {{contact.first_name}},\n\nbitte laden Sie die Belege des letzten Monats hoch.\n\n"
                "Viele Grüße\n{{firm.name}}",
        "reminders": {"enabled": True, "interval_days": 3, "max_count": 2}})
    owner.must("POST", "/api/v1/templates", {
        "name": "Jahresabschluss", "subject": "Jahresabschluss {{account.name}}",
        "body": "Hallo {{contact.first_name}},\n\nder Jahresabschluss ist fertig. Bitte prüfen."})
    owner.must("POST", "/api/v1/templates", {"name": "Termin", "subject": "Terminvorschlag",
                                             "body": "Passt Ihnen Dienstag, 10 Uhr?"})
    for i, (acct, person) in enumerate(CLIENTS):
        a = owner.must("POST", "/api/v1/accounts", {"name": acct})
        email = f"client{i + 1}@demo.folio"
        owner.must("POST", f"/api/v1/accounts/{a['id']}/contacts", {
            "name": person, "email": email, "password": PASSWORD, "portal_access": True, "notify": True})
        if i % 3 == 0:
            owner.must("POST", f"/api/v1/accounts/{a['id']}/contacts", {
                "name": f"Buchhaltung {acct}", "email": f"office{i + 1}@demo.folio", "portal_access": False,
                "notify": True})
        client = login(email, PASSWORD) if i < 12 else None
        for t, subject in enumerate(rnd.sample(SUBJECTS, rnd.randint(1, 3))):
            author = rnd.choice([owner] + staff)
            clock.tick()
            th = author.must("POST", "/api/v1/threads", {
                "account_id": a["id"], "subject": subject, "body": rnd.choice(FIRM_LINES),
                "tasks": [{"title": "Kontoauszüge hochladen"}, {"title": "Rechnungen prüfen"}] if t == 0 else []})
            for m in range(rnd.randint(0, 4)):
                clock.tick(3, 90)
                if client and m % 2 == 0:
                    client.must("POST", f"/api/v1/threads/{th['id']}/messages", {"body": rnd.choice(CLIENT_LINES)})
                elif m == 3:
                    author.must("POST", f"/api/v1/threads/{th['id']}/messages", {
                        "body": "Intern: bitte Frist im Kalender eintragen.", "internal": True})
                else:
                    author.must("POST", f"/api/v1/threads/{th['id']}/messages", {"body": rnd.choice(FIRM_LINES)})
    print("seeded 30 accounts")


if __name__ == "__main__":
    main()
