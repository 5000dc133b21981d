"""Shared helpers of the operations tests (tests/integration/test_ops_*.py): a seeded firm,
a full listing of what its users see, the event stream's head and a small WebSocket reader.

Not a test file itself: tests/run only runs test_*.py."""

import uuid

import eventsub
import harness as h

BODIES = [
    "Bitte schicken Sie die **Belege** für November.",
    "Anbei die Rechnungen – König & Söhne, Überweisung folgt.",
    "山田 Trading: 領収書を送ります",
    "- Rechnungen\n- Quittungen\n- den Mietvertrag",
    "Siehe https://www.youtube.com/watch?v=dQw4w9WgXcQ für die Anleitung",
]


class Seed:
    """A firm as an accounting firm has it: staff, accounts with contacts, threads with messages
    from both sides, internal notes, tasks, a template and read markers. Talks only the API, so
    it works against any release that has these routes."""

    def __init__(self, srv, accounts=3, threads=2, messages=4):
        self.srv = srv
        self.f = h.Firm(srv)
        self.staff = self.f.staff("admin")
        self.accounts = []
        self.contacts = {}
        self.threads = []
        self.f.owner.must("POST", "/api/v1/templates", {"name": "Belege anfordern", "subject": "Belege",
                                                        "body": "Hallo {{contact.first_name}}, bitte die Belege."},
                          status=201)
        for a in range(accounts):
            acc = self.f.account(f"Mandant {a} {uuid.uuid4().hex[:6]} Müller")
            self.accounts.append(acc)
            self.contacts[acc["id"]] = self.f.contact(acc["id"])
            for t in range(threads):
                th = self.f.thread(acc["id"], body=BODIES[(a + t) % len(BODIES)], subject=f"Jahresabschluss {a}.{t}",
                                   tasks=[{"title": "Kontoauszüge"}, {"title": "Mietvertrag"}])
                self.threads.append(th)
                for m in range(messages):
                    who = (self.f.owner, self.contacts[acc["id"]], self.staff)[m % 3]
                    body = f"{BODIES[m % len(BODIES)]} ({a}.{t}.{m})"
                    if who is self.staff and m % 2:
                        self.post(th["id"], "Interne Notiz: " + body, who, internal=True)
                    else:
                        self.post(th["id"], body, who)
                self.contacts[acc["id"]].must("POST", f"/api/v1/threads/{th['id']}/read",
                                              {"up_to_message_id": th["last_message_id"]})

    def post(self, thread_id, body, who=None, internal=False):
        return (who or self.f.owner).must("POST", f"/api/v1/threads/{thread_id}/messages",
                                          {"body": body, "internal": internal}, status=201)

    def viewers(self):
        """Who to list as: the owner (everything) and every contact (their account's view)."""
        return [("owner", self.f.owner)] + [(f"contact of {a}", c) for a, c in self.contacts.items()]


def messages_of(client, thread_id):
    """Every message of a thread, oldest first, through the API's pages (newest page first)."""
    out, query = [], {"limit": 200}
    while True:
        r = client.must("GET", f"/api/v1/threads/{thread_id}/messages", query=query)
        out = r["items"] + out
        if len(r["items"]) < 200:
            return out
        query = {"limit": 200, "before": r["items"][0]["id"]}


def listing(client):
    """All a user sees: accounts, and per account its threads (archived or not) with every
    message. Per-user counters that reading changes are left out."""
    accounts = client.must("GET", "/api/v1/accounts", query={"limit": 200})["items"]
    out = {}
    for acc in sorted(accounts, key=lambda a: a["id"]):
        threads = []
        for archived in ("false", "true"):
            threads += client.must("GET", "/api/v1/threads",
                                   query={"account_id": acc["id"], "archived": archived, "limit": 200})["items"]
        out[acc["id"]] = {
            "account": {k: v for k, v in acc.items() if k != "unread_count"},
            "threads": [({k: v for k, v in t.items() if k != "unread_count"}, messages_of(client, t["id"]))
                        for t in sorted(threads, key=lambda t: t["id"])],
        }
    return out


def full_listing(seed):
    return {who: listing(c) for who, c in seed.viewers()}


def count_messages(full):
    return sum(len(msgs) for acc in full["owner"].values() for _, msgs in acc["threads"])


def head(client):
    """The current end of the event stream (what a client starts from)."""
    return client.must("GET", "/api/v1/events")["next"]


def Stream(srv, client, since):
    """A WebSocket event subscriber from since."""
    return eventsub.Sub(srv, client, since=since)
