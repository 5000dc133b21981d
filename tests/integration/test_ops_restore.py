"""The restore drill of docs/OPERATIONS.md ("Backups", "Restoring"): a seeded firm is dumped
with pg_dump while foliod runs, more is written, the database is dropped, the dump is restored
into a new database, the event log is restarted with the documented statement, and a foliod
on the restored database shows every message exactly as before the dump, to staff and to the
clients. Event streams: a client holding a position from after the dump is told to resync
(the log no longer has that position, and never will: new events do not reuse its ids); after
the resync it resumes from the end of the stream and receives what happens next."""

import hashlib
import http.client
import os
import subprocess
import tempfile

import harness as h
from ops_common import Seed, Stream, count_messages, full_listing, head

ROOT = h.ROOT
os.makedirs(h.STATE, exist_ok=True)
TMP = tempfile.mkdtemp(prefix="restore-", dir=h.STATE)

# docs/OPERATIONS.md, "After any restore: restart the event log" -- the test runs this text
# and fails when the guide says something else.
RESTART_EVENT_LOG = """BEGIN;
      SELECT setval('events_id_seq', greatest((SELECT last_value FROM events_id_seq), folio_events_head()) + 1000000000);
      UPDATE events_horizon SET deleted_up_to = (SELECT last_value FROM events_id_seq);
      COMMIT;"""

# Tables whose rows a restore must bring back unchanged (the mail outbox and the event log
# move on their own while foliod runs; the event log is checked through the API).
CORE_TABLES = ("firms", "users", "staff", "accounts", "contacts", "sessions", "templates", "threads", "messages",
               "read_markers", "tasks")


def pg(*args, check=True):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if check and r.returncode != 0:
        raise h.Failure(f"{args[0]}: exit {r.returncode}: {r.stderr.strip()[-1500:]}")
    return r


def table_digests(db):
    out = {}
    for t in CORE_TABLES:
        if db.sql(f"SELECT to_regclass('public.{t}') IS NOT NULL") != "t":
            continue
        out[t] = db.sql(f"SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, E'\\n' ORDER BY x::text)), '') "
                        f"FROM {t} x")
    return out


def has_documents(srv):
    out = subprocess.run([h.FOLIOD, "--list-routes"], capture_output=True, text=True).stdout
    return "/api/v1/accounts/{id}/documents" in out


def quiet(db):
    """Waits until the outbox is sequenced, so the dump's point is a clean one to compare."""
    h.wait_for(lambda: db.sql("SELECT count(*) FROM event_outbox") == "0", 30, "the event outbox to drain")


class Restored:
    """A database restored from a custom-format dump."""

    def __init__(self, dump):
        self.name = "r_" + os.path.basename(TMP).replace("-", "_").lower()
        pg("createdb", "-h", h.PGHOST, "-U", "folio", self.name)
        pg("pg_restore", "--exit-on-error", "--no-owner", "--role=folio", "-h", h.PGHOST, "-U", "folio",
           "--dbname", self.name, dump)
        self.url = f"postgresql:///{self.name}?host={h.PGHOST}&user=folio"

    def sql(self, text):
        return h.psql(self.name, text)


@h.test
def the_guide_holds_the_statement_the_drill_runs():
    with open(os.path.join(ROOT, "docs", "OPERATIONS.md")) as f:
        guide = f.read()
    h.ok(RESTART_EVENT_LOG in guide, "docs/OPERATIONS.md restarts the event log with the drill's statement")
    for cmd in ("pg_dump --format=custom", "pg_restore --exit-on-error", "pg_basebackup", "archive_command",
                "restore_command", "recovery_target_time", "recovery.signal"):
        h.ok(cmd in guide, f"the guide shows {cmd}")


@h.test
def dump_drop_restore_keeps_every_message_and_events_resync():
    srv = h.Server(name="foliod-before")
    seed = Seed(srv)
    docs = []
    if has_documents(srv):
        # Documents exist in this release: the drill covers their bytes too.
        for i, acc in enumerate(seed.accounts):
            data = os.urandom(1000 + i * 4096)
            r = seed.f.owner.must("POST", f"/api/v1/accounts/{acc['id']}/documents",
                                  raw=data, query={"name": f"Beleg-{i}.pdf"}, status=201,
                                  headers={"Content-Type": "application/octet-stream"})
            for d in r["items"]:
                docs.append((d["id"], hashlib.sha256(data).hexdigest()))
    quiet(srv.db)
    before = full_listing(seed)
    n = count_messages(before)
    h.ok(n >= 3 * 2 * 5, f"seeded {n} messages")
    digests = table_digests(srv.db)
    at_dump = head(seed.f.owner)

    # The backup, taken while foliod serves (a consistent snapshot).
    dump = os.path.join(TMP, "folio.dump")
    pg("pg_dump", "--format=custom", "--compress=6", "-h", h.PGHOST, "-U", "folio", f"--file={dump}", srv.db.name)
    h.ok(os.path.getsize(dump) > 0, "the dump was written")

    # Life goes on after the backup; all of this is lost by the restore.
    lost = [seed.post(seed.threads[0]["id"], f"nach dem Backup {i}") for i in range(3)]
    quiet(srv.db)
    after_dump = head(seed.f.owner)
    h.ok(after_dump > at_dump, f"events after the dump ({at_dump} -> {after_dump})")

    # The disaster: foliod stops, the database is gone.
    srv.stop()
    pg("dropdb", "-h", h.PGHOST, "-U", "folio", srv.db.name)
    h.eq(h.psql("postgres", f"SELECT count(*) FROM pg_database WHERE datname = '{srv.db.name}'"), "0", "dropped")

    restored = Restored(dump)
    h.eq(table_digests(restored), digests, "every row of the core tables as it was at the dump")
    # Before restarting the event log, a position beyond the restored log is already refused...
    h.eq(restored.sql(f"SELECT folio_events_head() < {after_dump}"), "t", "the restored log ends before it")
    restored.sql(RESTART_EVENT_LOG)

    new = h.Server(db=restored, name="foliod-restored")
    # Sessions are in the database: the same tokens work on the restored one.
    for who, c in seed.viewers():
        c.srv = new
    got = full_listing(seed)
    h.eq(count_messages(got), n, "messages after the restore")
    for who in before:
        h.eq(got[who], before[who], f"everything {who} sees")
    lost_ids = {m["id"] for m in lost}
    h.eq([m["id"] for m in seed.f.owner.must("GET", f"/api/v1/threads/{seed.threads[0]['id']}/messages",
                                               query={"limit": 200})["items"] if m["id"] in lost_ids],
         [], "messages written after the dump are gone (that is what a restore to it means)")
    for doc_id, sha in docs:
        conn = http.client.HTTPConnection("127.0.0.1", new.port, timeout=30)
        conn.request("GET", f"/api/v1/documents/{doc_id}/content",
                     headers={"Authorization": "Bearer " + seed.f.owner.token})
        r = conn.getresponse()
        data = r.read()
        conn.close()
        h.eq((r.status, hashlib.sha256(data).hexdigest()), (200, sha), f"document {doc_id}'s bytes")

    # Event streams. A position from after the dump: the log no longer has it.
    owner = seed.f.owner
    r = owner.get(f"/api/v1/events?since={after_dump}")
    h.eq((r.status, r.error), (409, "resync_required"), "long poll from a position after the dump")
    s = Stream(new, owner, after_dump)
    h.eq(s.wait_closed(), 4409, "WebSocket from a position after the dump")
    # After a restore every client resyncs once, also from a position the dump still had.
    r = owner.get(f"/api/v1/events?since={at_dump}")
    h.eq((r.status, r.error), (409, "resync_required"), "long poll from the dump's own position")
    # The resync: start again from the end of the stream, and new events arrive.
    start = head(owner)
    s = Stream(new, owner, start)
    contact = seed.contacts[seed.accounts[0]["id"]]
    c = Stream(new, contact, head(contact))
    m = seed.post(seed.threads[0]["id"], "wieder da")
    e = s.wait_message(m["id"])
    c.wait_message(m["id"])
    h.ok(e["id"] > after_dump, f"new events take ids past every id the lost timeline issued ({e['id']})")
    s.close()
    c.close()
    # ...and the old position stays refused now that the log has grown past it.
    r = owner.get(f"/api/v1/events?since={after_dump}")
    h.eq((r.status, r.error), (409, "resync_required"), "a position after the dump, once new events exist")
    r = owner.must("GET", f"/api/v1/events?since={start}")
    h.ok(any(x.get("message", {}).get("id") == m["id"] for x in r["items"]), "long poll resumes from the new start")
    new.stop()


h.main()
