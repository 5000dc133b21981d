"""The write path at scale: statement ceilings per request (read from the request log's
`statements`), mentions resolved within the firm only, a grown database on which a send's
statements and plans stay the same, and concurrent sends (one failing alone, idempotency,
event order)."""
import json
import subprocess
import threading
import time
import uuid

import harness as h

# The most statements each request may run (auth included). A change that adds a
# round trip to one of these fails here: see docs/DESIGN.md, "The write path".
CEILING = {
    "send": 2,              # auth, folio_message_post
    "send_mention": 3,      # + the firm's staff, when the body has an '@'
    "new_chat": 2,          # auth, folio_thread_post
    "page": 2,              # auth, the page (visibility included) as one JSON value
}


def statements(srv, r):
    """The `statements` of the request log line of response r."""
    rid = r.headers.get("x-request-id")
    h.ok(rid, f"x-request-id in {r!r}")

    def line():
        with open(srv.log, errors="replace") as f:
            for ln in f:
                if rid in ln and '"msg":"request"' in ln.replace(" ", ""):
                    return json.loads(ln)
        return None
    h.wait_for(lambda: line() is not None, what=f"the log line of request {rid}")
    rec = line()
    h.ok("statements" in rec, f"statements in {rec}")
    return rec["statements"]


def setup(srv=None):
    srv = srv or h.server()
    f = h.Firm(srv)
    acct = f.account()
    c = f.contact(acct["id"], notify=True)
    t = f.thread(acct["id"])
    return srv, f, acct, c, t


def send(client, tid, body, **extra):
    return client.post(f"/api/v1/threads/{tid}/messages", dict(body=body, **extra))


@h.test
def a_send_a_new_chat_and_a_page_stay_within_their_statement_ceilings():
    srv, f, acct, c, t = setup()
    colleague = f.staff()
    for i in range(3):  # the first use on a connection prepares; later ones only execute
        r = send(f.owner, t["id"], f"Bitte die Belege {i}")
        h.eq(r.status, 201, repr(r))
        h.ok(statements(srv, r) <= CEILING["send"], f"send: {statements(srv, r)} statements")
        # A colleague mentions the owner (mentions resolve for staff authors only).
        local = f.owner.user["email"].split("@")[0]
        r = send(colleague, t["id"], f"Frage an @{local} {i}")
        h.eq(r.status, 201, repr(r))
        h.eq(r.json["mentions"], [f.owner.id])
        h.ok(statements(srv, r) <= CEILING["send_mention"], f"send with a mention: {statements(srv, r)}")
        r = f.owner.post("/api/v1/threads", {"account_id": acct["id"], "subject": f"S{i}", "body": "Hallo",
                                             "tasks": [{"title": "Sign"}]})
        h.eq(r.status, 201, repr(r))
        h.ok(statements(srv, r) <= CEILING["new_chat"], f"new chat: {statements(srv, r)} statements")
        r = f.owner.get(f"/api/v1/threads/{t['id']}/messages", query={"limit": 50})
        h.eq(r.status, 200, repr(r))
        h.ok(statements(srv, r) <= CEILING["page"], f"page: {statements(srv, r)} statements")


@h.test
def a_mention_never_reaches_a_same_named_person_of_another_firm():
    srv, f, acct, c, t = setup()
    other = h.Firm(srv)
    tag = uuid.uuid4().hex[:8]
    name = f"Mia Maier{tag}"
    mia = f.staff(name=name)
    twin = other.staff(name=name)
    r = send(f.owner, t["id"], f"Bitte @{name} übernehmen")
    h.eq(r.status, 201, repr(r))
    h.eq(r.json["mentions"], [mia.id], "only the firm's own Mia")
    h.ok(twin.id not in r.json["mentions"])
    # A contact of this firm with the same name is not staff: never mentioned.
    f.contact(acct["id"], name=f"Carl Contact{tag}", login=False)
    h.eq(send(f.owner, t["id"], f"@Carl Contact{tag}").json["mentions"], [])
    # The twin's inbox stays empty.
    h.eq(twin.must("GET", "/api/v1/notifications")["items"], [])


def grow(srv, users):
    """Adds a firm with `users` contacts and `users // 10` staff, all named alike, straight in SQL."""
    srv.db.sql(f"""
        WITH f AS (INSERT INTO firms (name) VALUES ('Grown {uuid.uuid4().hex[:6]}') RETURNING id),
        a AS (INSERT INTO accounts (firm_id, name) SELECT f.id, 'Grown account ' || g
                FROM f, generate_series(1, {users // 20}) g RETURNING id, firm_id),
        u AS (INSERT INTO users (firm_id, kind, name, email)
                SELECT f.id, CASE WHEN g <= {users // 10} THEN 'staff' ELSE 'contact' END,
                       'Mia Maier', 'grown-' || g || '-' || f.id || '@grown.test'
                FROM f, generate_series(1, {users}) g RETURNING id, firm_id, kind),
        s AS (INSERT INTO staff (user_id, firm_id, role)
                SELECT id, firm_id, 'member' FROM u WHERE kind = 'staff' RETURNING user_id)
        INSERT INTO contacts (user_id, firm_id, account_id, portal_access, notify)
        SELECT u.id, u.firm_id, (SELECT id FROM a ORDER BY id OFFSET u.id % {users // 20} LIMIT 1), true, true
          FROM u WHERE u.kind = 'contact';
        ANALYZE;""")


def plan(srv, sql):
    return srv.db.sql("EXPLAIN " + sql)


@h.test
def a_grown_database_changes_neither_statements_nor_plans():
    srv = h.Server()
    srv_, f, acct, c, t = setup(srv)
    staff_sql = (f"SELECT u.id, u.name, split_part(u.email, '@', 1) FROM staff s JOIN users u"
                 f" ON u.id = s.user_id WHERE s.firm_id = {f.id}")
    send(f.owner, t["id"], "warm up")
    before = statements(srv, send(f.owner, t["id"], "@Mia Maier bitte"))
    grow(srv, 4000)
    grow(srv, 4000)
    r = send(f.owner, t["id"], "@Mia Maier bitte")
    h.eq(r.status, 201, repr(r))
    h.eq(r.json["mentions"], [], "8,000 people named Mia Maier elsewhere: none of them")
    h.eq(statements(srv, r), before, "the same statements on a grown database")
    p = plan(srv, staff_sql)
    h.ok("Seq Scan on users" not in p and "Seq Scan on staff" not in p, f"the staff lookup plan:\n{p}")
    h.ok("staff_firm" in p, f"the staff lookup uses staff_firm:\n{p}")
    srv.stop()


@h.test
def concurrent_sends_one_failing_alone_idempotent_and_in_commit_order():
    srv, f, acct, c, t = setup()
    threads = [t] + [f.thread(acct["id"], subject=f"T{i}") for i in range(3)]
    start = f.owner.must("GET", "/api/v1/events")["next"]  # the stream's end now
    results = {}
    cmid = f"dup-{uuid.uuid4().hex[:8]}"

    def go(key, tid, body, **extra):
        results[key] = send(f.owner, tid, body, **extra)

    jobs = []
    for i in range(16):
        jobs.append(threading.Thread(target=go, args=(f"s{i}", threads[i % 4]["id"], f"Nachricht {i}")))
    jobs.append(threading.Thread(target=go, args=("missing", 10 ** 9, "ins Leere")))
    jobs.append(threading.Thread(target=go, args=("dup1", t["id"], "einmal"), kwargs={"client_msg_id": cmid}))
    jobs.append(threading.Thread(target=go, args=("dup2", t["id"], "einmal"), kwargs={"client_msg_id": cmid}))
    for j in jobs:
        j.start()
    for j in jobs:
        j.join()
    for i in range(16):
        h.eq(results[f"s{i}"].status, 201, f"send {i}: {results[f's{i}']!r}")
    h.eq(results["missing"].status, 404, "the send into no thread fails alone")
    codes = sorted([results["dup1"].status, results["dup2"].status])
    h.eq(codes, [200, 201], "the same client_msg_id twice: created once, answered twice")
    h.eq(results["dup1"].json["id"], results["dup2"].json["id"])
    n = int(srv.db.sql(f"SELECT count(*) FROM messages WHERE client_msg_id = '{cmid}'"))
    h.eq(n, 1, "one message for one client_msg_id")
    # Events: every message.created once, and within each thread in message order (commit order).
    want = {results[f"s{i}"].json["id"] for i in range(16)} | {results["dup1"].json["id"]}
    seen = []

    def collect():
        items, since = [], start
        while True:
            r = f.owner.must("GET", f"/api/v1/events?since={since}&wait=0")
            items += r["items"]
            if not r["items"]:
                break
            since = r["next"]
        del seen[:]
        seen.extend(e for e in items if e.get("type") == "message.created")
        return want <= {e["message"]["id"] for e in seen}
    h.wait_for(collect, what="every message.created in the log")
    ids = [e["message"]["id"] for e in seen if e["message"]["id"] in want]
    h.eq(len(ids), len(set(ids)), "each message once")
    by_thread = {}
    for e in seen:
        by_thread.setdefault(e["thread_id"], []).append(e["message"]["id"])
    for tid, mids in by_thread.items():
        h.eq(mids, sorted(mids), f"thread {tid}: events in commit order")


@h.test
def thread_pages_follow_a_keyset_cursor_that_survives_new_activity():
    srv, f, acct, c, t0 = setup()
    ts = [t0] + [f.thread(acct["id"], subject=f"K{i}") for i in range(4)]   # newest last
    ids = lambda page: [x["id"] for x in page["items"]]
    p1 = f.owner.must("GET", "/api/v1/threads", query={"limit": 2, "account_id": acct["id"]})
    h.eq(ids(p1), [ts[4]["id"], ts[3]["id"]])
    h.ok("~" in p1["next"], f"a keyset cursor: {p1['next']}")
    send(f.owner, ts[0]["id"], "moves to the top between two pages")
    p2 = f.owner.must("GET", "/api/v1/threads", query={"limit": 2, "account_id": acct["id"], "cursor": p1["next"]})
    h.eq(ids(p2), [ts[2]["id"], ts[1]["id"]], "no thread twice, none skipped that was there before")
    p3 = f.owner.must("GET", "/api/v1/threads", query={"limit": 2, "account_id": acct["id"], "cursor": p2["next"]})
    h.eq(ids(p3), [], "the moved thread is on page one now")
    # Waiting order, whose key may be null (nobody waits): nulls last, by id.
    c.must("POST", f"/api/v1/threads/{ts[2]['id']}/messages", {"body": "Frage"}, status=201)
    seen, cur = [], None
    while True:
        q = {"limit": 1, "account_id": acct["id"], "sort": "waiting_since"}
        if cur:
            q["cursor"] = cur
        page = f.owner.must("GET", "/api/v1/threads", query=q)
        seen += ids(page)
        cur = page["next"]
        if not cur:
            break
    everything = ids(f.owner.must("GET", "/api/v1/threads", query={"limit": 50, "account_id": acct["id"],
                                                                   "sort": "waiting_since"}))
    h.eq(seen, everything, "one by one equals all at once")
    h.eq(sorted(seen), sorted(x["id"] for x in ts))
    for bad in ("x~1", "2026-01-01T00:00:00Z~x", "2026-13-01~1", "~0", "2026-01-01T00:00:00Z~"):
        r = f.owner.get("/api/v1/threads", query={"cursor": bad})
        h.eq(r.status, 422, f"cursor {bad!r}: {r!r}")



def walk(client, path, query, key="id"):
    """Every item of a list, page by page (limit 1 or more) through its cursors."""
    seen, cur = [], None
    while True:
        q = dict(query)
        if cur:
            q["cursor"] = cur
        page = client.must("GET", path, query=q)
        seen += [x[key] for x in page["items"]]
        cur = page["next"]
        if not cur:
            return seen


@h.test
def accounts_templates_and_notifications_page_by_keyset_cursors():
    srv, f, acct, c, t0 = setup()
    # Accounts: some never active (null activity), names that differ only in case and umlauts.
    names = ["beta GmbH", "Alpha KG", "Äpfel AG", "alpha OHG", "Zeta", "gamma"]
    made = [f.account(n) for n in names]
    for a in made[:2]:
        f.contact(a["id"], login=False)
        f.thread(a["id"], subject="activity")
    for sort in ("name", "last_activity_at"):
        everything = [x["id"] for x in f.owner.must("GET", "/api/v1/accounts",
                                                   query={"limit": 200, "sort": sort})["items"]]
        for limit in (1, 2, 3):
            h.eq(walk(f.owner, "/api/v1/accounts", {"limit": limit, "sort": sort}), everything,
                 f"accounts by {sort}, {limit} a page, equal all at once")
    # A new account between two pages is neither repeated nor makes another one skipped.
    p1 = f.owner.must("GET", "/api/v1/accounts", query={"limit": 2, "sort": "name"})
    h.ok(p1["next"].startswith("k"), f"a keyset cursor: {p1['next']}")
    f.account("AAA first of all")
    p2 = f.owner.must("GET", "/api/v1/accounts", query={"limit": 200, "sort": "name", "cursor": p1["next"]})
    before = [x["id"] for x in p1["items"]]
    h.ok(not set(before) & {x["id"] for x in p2["items"]}, "no account twice")
    h.eq(len(before) + len(p2["items"]), len(made) + 1, "none skipped (the new one sorts before the cursor)")
    # Templates by name.
    for n in ("Belege", "abschluss", "Zahlung", "ärger", "Bescheid"):
        f.owner.must("POST", "/api/v1/templates", {"name": n, "subject": n, "body": n}, status=201)
    everything = [x["id"] for x in f.owner.must("GET", "/api/v1/templates", query={"limit": 200})["items"]]
    h.eq(walk(f.owner, "/api/v1/templates", {"limit": 2}), everything, "templates two a page")
    # Notifications (the contact's pending items): newest bump first; a bump between pages.
    threads = [f.thread(acct["id"], subject=f"N{i}") for i in range(4)]
    items = c.must("GET", "/api/v1/notifications", query={"limit": 200})["items"]
    h.ok(len(items) >= 4, f"items: {items}")
    h.ok(all("bump" not in x for x in items), "the cursor's key stays inside the server")
    everything = [x["id"] for x in items]
    h.eq(walk(c, "/api/v1/notifications", {"limit": 1}), everything, "items one a page")
    p1 = c.must("GET", "/api/v1/notifications", query={"limit": 2})
    send(f.owner, threads[0]["id"], "bumps the oldest item to the top")
    p2 = c.must("GET", "/api/v1/notifications", query={"limit": 200, "cursor": p1["next"]})
    h.eq([x["id"] for x in p1["items"]] + [x["id"] for x in p2["items"]],
         [x for x in everything if x in [y["id"] for y in p1["items"] + p2["items"]]],
         "the pages keep their order")
    h.ok(len({x["id"] for x in p1["items"] + p2["items"]}) == len(p1["items"] + p2["items"]), "no item twice")
    for path in ("/api/v1/accounts", "/api/v1/templates", "/api/v1/notifications"):
        for bad in ("k", "kx", "k" + "e30", "kWzFd", "kWyJ4Il0"):  # '', garbage, {}, [1], ["x"]
            r = f.owner.get(path, query={"cursor": bad})
            h.eq(r.status, 422, f"{path} cursor {bad!r}: {r!r}")
        h.eq(f.owner.get(path, query={"cursor": "0"}).status, 200, f"{path}: an offset still works")

class RowLock:
    """Holds FOR UPDATE on a thread from a psql session of its own until release()."""

    def __init__(self, srv, thread_id):
        self.p = subprocess.Popen([h.PSQL, "-X", "-q", "-A", "-t", "-h", h.PGHOST, "-U", "folio", "-d", srv.db.name],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.p.stdin.write(f"BEGIN; SELECT 'locked' FROM threads WHERE id = {thread_id} FOR UPDATE;\n")
        self.p.stdin.flush()
        h.ok(self.p.stdout.readline().strip() == "locked", "the row lock is held")

    def release(self):
        self.p.stdin.write("COMMIT;\n")
        self.p.stdin.close()
        self.p.wait(timeout=30)


def log_lines(srv, rids):
    """The request log lines of the given request ids."""
    out = {}
    with open(srv.log, errors="replace") as f:
        for ln in f:
            if '"request_id"' in ln:
                rec = json.loads(ln)
                if rec.get("request_id") in rids:
                    out[rec["request_id"]] = rec
    return out


@h.test
def sends_waiting_together_go_in_one_batch_and_fail_alone():
    # Both batch leaders block on row locks; what arrives meanwhile queues and goes as one batch.
    srv = h.Server(args=["--db-threads", "16"])
    srv_, f, acct, c, t = setup(srv)
    blockers = [f.thread(acct["id"], subject=f"B{i}") for i in range(2)]
    targets = [f.thread(acct["id"], subject=f"T{i}") for i in range(4)]
    locks = [RowLock(srv, b["id"]) for b in blockers]
    results = {}
    cmid = f"batch-{uuid.uuid4().hex[:8]}"

    def go(key, tid, body, **extra):
        results[key] = send(f.owner, tid, body, **extra)

    first = [threading.Thread(target=go, args=(f"b{i}", b["id"], "blockiert")) for i, b in enumerate(blockers)]
    for j in first:
        j.start()
    h.wait_for(lambda: srv.db.sql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                  f" AND datname = '{srv.db.name}'") == "2", what="both leaders waiting on a lock")
    rest = [threading.Thread(target=go, args=(f"s{i}", targets[i % 4]["id"], f"Nachricht {i}")) for i in range(8)]
    rest.append(threading.Thread(target=go, args=("missing", 10 ** 9, "ins Leere")))
    rest.append(threading.Thread(target=go, args=("dup1", targets[0]["id"], "einmal"), kwargs={"client_msg_id": cmid}))
    rest.append(threading.Thread(target=go, args=("dup2", targets[0]["id"], "einmal"), kwargs={"client_msg_id": cmid}))
    for j in rest:
        j.start()
    time.sleep(1.0)  # let them queue behind the two leaders (more time only makes the batch larger)
    for lk in locks:
        lk.release()
    for j in first + rest:
        j.join()
    for i in range(8):
        h.eq(results[f"s{i}"].status, 201, f"send {i}: {results[f's{i}']!r}")
    h.eq(results["missing"].status, 404, "the send into no thread fails alone")
    h.eq(sorted([results["dup1"].status, results["dup2"].status]), [200, 201], "created once, answered twice")
    h.eq(results["dup1"].json["id"], results["dup2"].json["id"])
    rids = {r.headers["x-request-id"] for k, r in results.items() if not k.startswith("b")}
    h.wait_for(lambda: len(log_lines(srv, rids)) == len(rids), what="the log lines of the batched sends")
    batches = [rec.get("batch", 0) for rec in log_lines(srv, rids).values()]
    h.ok(max(batches) >= 2, f"sends that waited together went in one statement: batch sizes {batches}")
    # Each thread's messages and events in order, every message once.
    for tgt in targets:
        ids = [m["id"] for m in f.owner.must("GET", f"/api/v1/threads/{tgt['id']}/messages")["items"]]
        h.eq(ids, sorted(ids), f"thread {tgt['id']} in message order")
        th = f.owner.must("GET", f"/api/v1/threads/{tgt['id']}")
        h.eq(th["last_message_id"], ids[-1], "the thread follows its newest message")
    srv.stop()


if __name__ == "__main__":
    h.main()
