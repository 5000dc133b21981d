"""The demo data (issue 11, item 16): tests/demo-seed.py run against a real
foliod gives chats and messages times of their own over the past two weeks
over the past week (not all the same minute), no account has the same subject twice, the
server's clock is back at the real time afterwards, and the accounts screen
shows the spread."""

import os
import subprocess
import sys
from datetime import datetime, timezone

import harness as h
import tuilib

OWNER, PASSWORD = "owner@demo.folio", "demo-password"
srv = h.server()


def seed():
    srv.create_firm("Kanzlei Demo", OWNER, PASSWORD, owner_name="Olga Owner")
    env = dict(os.environ, FOLIO_DATABASE_URL=srv.db.url)
    r = subprocess.run([sys.executable, os.path.join(h.ROOT, "tests", "demo-seed.py"), str(srv.port), OWNER,
                        PASSWORD], capture_output=True, text=True, env=env, timeout=600)
    h.ok(r.returncode == 0, f"demo-seed.py: {r.stdout}{r.stderr}")


def when(ts):
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


@h.test
def demo_data_has_times_of_its_own_and_no_duplicated_threads():
    seed()
    owner = srv.login(OWNER, PASSWORD)
    h.eq(srv.db.sql("SELECT offset_seconds FROM clock"), "0")
    now = datetime.now(timezone.utc)
    accounts = owner.must("GET", "/api/v1/accounts", query={"limit": "200"})["items"]
    h.eq(len(accounts), 30)
    stamps = []
    for a in accounts:
        threads = owner.must("GET", "/api/v1/threads", query={"account_id": str(a["id"]), "limit": "200"})["items"]
        subjects = [t["subject"] for t in threads]
        h.ok(len(subjects) == len(set(subjects)), f"{a['name']} has a subject twice: {subjects}")
        for t in threads:
            stamps.append(when(t["last_message_at"]))
            for m in owner.must("GET", f"/api/v1/threads/{t['id']}/messages", query={"limit": "50"})["items"]:
                stamps.append(when(m["created_at"]))
    minutes = {s.strftime("%Y-%m-%d %H:%M") for s in stamps}
    h.ok(len(minutes) > len(stamps) * 0.6, f"{len(minutes)} distinct minutes among {len(stamps)} times")
    h.ok(max(stamps) < now, "every time is in the past")
    h.ok((now - min(stamps)).days >= 3, f"the oldest is {min(stamps)}, days back")
    # The accounts screen shows the spread: more than a handful of different times and dates.
    u = tuilib.User(srv, OWNER, password=PASSWORD)
    t = u.start(100, 40)
    s = t.wait("Accounts (30)")
    times = {" ".join(line.split()[-3:]) for line in s.split("\n")[1:31] if line.strip()}
    h.ok(len(times) >= 5, f"{len(times)} different times on the accounts screen:\n{s}")
    t.stop()


if __name__ == "__main__":
    h.main()
