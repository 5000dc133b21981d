"""Terminal client benchmark (not a test): docs/BENCHMARKS.md, Terminal client.

Seeds a real foliod with 10,000 client accounts and one thread of 100,000
messages (rows inserted with SQL, for speed), then runs the real tui/folio
on a pseudo-terminal of its own (80x24, TERM=xterm-256color) and measures:

1. start: from exec to the first screen on the terminal, to the first screen
   with accounts, and to every page of the 10,000 accounts loaded;
2. thread: from the Enter key that opens the 100,000-message thread to its
   last page on the terminal, and how many messages the client holds then
   (it pages: 50, not 100,000);
3. memory: VmRSS and VmHWM from /proc after 1 and 2, and after paging back
   through 1,000 older messages;
4. bytes: what folio writes to the terminal for one new incoming message
   (posted through the API by a client contact) with the thread open, and
   with the accounts list showing.

folio reports when a milestone is on the terminal through its
FOLIO_BENCH_MARKS hook (tui/ui.c): lines "name value monotonic-ns", the same
clock as time.monotonic_ns() here. Every byte folio writes is counted by the
reader of the pty's master side.

Run it through tests/bench/run (which starts PostgreSQL):
    tests/bench/run tui [-- --accounts N --messages N --runs N]
"""

import argparse
import fcntl
import json
import os
import pty
import select
import signal
import statistics
import struct
import sys
import termios
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tui"))
import harness as h  # noqa: E402
import tuilib  # noqa: E402

TARGET_MS = 100
TARGET_RSS_KIB = 30 * 1024


def seed(firm, accounts, messages):
    """10,000 accounts, and one account "Big Co" with a thread of 100,000 messages."""
    db = firm.srv.db
    db.sql(f"INSERT INTO accounts (firm_id, name, last_activity_at, last_public_activity_at)"
           f" SELECT {firm.id}, 'Client ' || lpad(i::text, 5, '0') || ' GmbH',"
           f"  now() - i * interval '1 minute', now() - i * interval '1 minute'"
           f" FROM generate_series(1, {accounts - 1}) i")
    big = firm.account("Big Co")
    carla = firm.contact(big["id"], name="Carla Client")
    t = firm.thread(big["id"], subject="Everything since 2001", body="The first message.")
    body = ("Here are the **receipts** for month %s, and the bank statements.\\n\\n"
            "- invoices\\n- payroll\\n\\nPlease check the VAT numbers first.")
    db.sql(f"INSERT INTO messages (firm_id, thread_id, author_id, author_kind, body, body_html, created_at)"
           f" SELECT {firm.id}, {t['id']}, CASE WHEN i % 2 = 0 THEN {firm.owner.id} ELSE {carla.id} END,"
           f"  CASE WHEN i % 2 = 0 THEN 'staff' ELSE 'contact' END,"
           f"  format(E'{body}', i), format('<p>%s</p>', i),"
           f"  now() - ({messages} - i) * interval '1 minute'"
           f" FROM generate_series(1, {messages - 1}) i")
    db.sql(f"UPDATE threads SET (last_message_id, last_message_at, last_public_message_id,"
           f" last_public_message_at) = (SELECT max(id), max(created_at), max(id), max(created_at)"
           f" FROM messages WHERE thread_id = {t['id']}) WHERE id = {t['id']};"
           f" INSERT INTO read_markers (thread_id, user_id, firm_id, up_to_message_id)"
           f" SELECT {t['id']}, {firm.owner.id}, {firm.id}, max(id) FROM messages WHERE thread_id = {t['id']}"
           f" ON CONFLICT (thread_id, user_id) DO UPDATE SET up_to_message_id = EXCLUDED.up_to_message_id;"
           f" ANALYZE")
    # Eight small threads, for the accounts screen: each new message moves its account to the top.
    small = []
    for i in range(8):
        a = firm.account(f"Small Co {i}")
        small.append((firm.contact(a["id"]), firm.thread(a["id"], subject="Small talk", body="Hello")))
    return carla, t, small


class Folio:
    """tui/folio on a pty of its own; counts every byte it writes."""

    def __init__(self, user, cols=80, rows=24):
        self.marks_path = os.path.join(user.dir, f"marks-{time.monotonic_ns()}")
        env = dict(user.env)
        env.update({"TERM": "xterm-256color", "FOLIO_BENCH_MARKS": self.marks_path})
        self.t0 = time.monotonic_ns()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            os.execve(tuilib.FOLIO, [tuilib.FOLIO], env)
        self.out = []          # (monotonic ns, bytes)
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.out.append((time.monotonic_ns(), len(data)))

    def written(self):
        with self.lock:
            return sum(n for _, n in self.out)

    def first_write_after(self, t, timeout=10):
        def find():
            with self.lock:
                return next((at for at, _ in self.out if at > t), None)
        return h.wait_for(find, timeout, "output", 0.001)

    def last_write(self):
        with self.lock:
            return self.out[-1][0] if self.out else 0

    def idle(self, quiet_ms=400, timeout=20, after=0):
        """Waits until folio has written something after the time after, then nothing for quiet_ms."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            last = self.last_write()
            if last > after and (time.monotonic_ns() - last) / 1e6 >= quiet_ms:
                return
            time.sleep(0.02)
        raise h.Failure("folio never went quiet")

    def marks(self):
        try:
            with open(self.marks_path) as f:
                return [line.split() for line in f if line.strip()]
        except OSError:
            return []

    def mark(self, name, after=0, value=None, timeout=60):
        """The time (ns) of the first mark name after the given time; waits for it."""
        def find():
            for n, v, ns in self.marks():
                if n == name and int(ns) > after and (value is None or v == str(value)):
                    return (v, int(ns))
            return None
        try:
            return h.wait_for(find, timeout, f"mark {name}", 0.005)
        except h.Failure:
            raise h.Failure(f"no mark {name} after {after}; marks: {self.marks()}")

    def keys(self, s):
        os.write(self.fd, s.encode())

    def status(self):
        """VmRSS and VmHWM in KiB."""
        out = {}
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    out[k] = int(v.split()[0])
        return out

    def quit(self):
        self.keys("\x03")
        for _ in range(200):
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.05)
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def ms(ns):
    return ns / 1e6


RESULTS = {}


def summary(name, values, unit="ms", target=None):
    med, worst = statistics.median(values), max(values)
    RESULTS[name] = {"median": round(med, 1), "max": round(worst, 1), "unit": unit}
    verdict = "" if target is None else ("  ok" if worst <= target else f"  MISSES {target} {unit}")
    print(f"{name:<44} median {med:8.1f} {unit}  max {worst:8.1f} {unit}{verdict}")
    return worst <= target if target is not None else True


def bench_start(user, runs):
    draw, first, every = [], [], []
    for _ in range(runs):
        f = Folio(user)
        draw.append(ms(f.mark("draw")[1] - f.t0))
        first.append(ms(f.mark("accounts")[1] - f.t0))
        every.append(ms(f.mark("accounts-all")[1] - f.t0))
        f.quit()
    ok = summary("start: first screen drawn", draw, target=TARGET_MS)
    ok &= summary("start: first screen with accounts", first, target=TARGET_MS)
    summary("start: all accounts loaded (paged)", every)
    return ok


def open_account(f, name):
    f.mark("accounts-all")
    f.idle()
    f.keys("/" + name + "\r\r")
    f.mark("threads")
    f.idle()


def bench_thread(user, runs, thread):
    f = Folio(user)
    open_account(f, "Big Co")
    times, held = [], set()
    for _ in range(runs):
        t = time.monotonic_ns()
        f.keys("\r")
        n, at = f.mark("thread", after=t)
        times.append(ms(at - t))
        held.add(int(n))
        f.idle()
        t = time.monotonic_ns()
        f.keys("q")
        f.idle(after=t)
    ok = summary("thread of 100,000: last page shown", times, target=TARGET_MS)
    print(f"{'thread: messages held after opening':<44} {sorted(held)} (it pages)")
    ok &= max(held) <= 200
    t = time.monotonic_ns()
    f.keys("\r")
    f.mark("thread", after=t)
    f.idle()
    mem = f.status()
    RESULTS["memory, thread open"] = {"VmRSS_KiB": mem["VmRSS"], "VmHWM_KiB": mem["VmHWM"]}
    print(f"{'memory: 10,000 accounts and the thread open':<44} VmRSS {mem['VmRSS'] / 1024:6.1f} MiB"
          f"  VmHWM {mem['VmHWM'] / 1024:6.1f} MiB{'  ok' if mem['VmHWM'] <= TARGET_RSS_KIB else '  MISSES'}")
    ok &= mem["VmHWM"] <= TARGET_RSS_KIB
    t = time.monotonic_ns()
    held = 50
    while held < 1050:  # "g" goes to the top; at the top it fetches the next older page
        f.keys("g")
        held = h.wait_for(lambda: max([int(v) for n, v, _ in f.marks() if n == "held"] + [0]) > held and
                          max(int(v) for n, v, _ in f.marks() if n == "held"), 30, "an older page")
    paging = ms(time.monotonic_ns() - t)
    mem = f.status()
    RESULTS["memory, 1,050 messages held"] = {"VmRSS_KiB": mem["VmRSS"], "VmHWM_KiB": mem["VmHWM"]}
    print(f"{'memory: after paging back to 1,050 messages':<44} VmRSS {mem['VmRSS'] / 1024:6.1f} MiB"
          f"  VmHWM {mem['VmHWM'] / 1024:6.1f} MiB  ({paging / 20:.0f} ms a page)")
    f.idle()
    keys = []
    for key in "jjjjjkkkkk":  # one line down or up: key to the first byte on the terminal
        t = time.monotonic_ns()
        f.keys(key)
        keys.append(ms(f.first_write_after(t) - t))
        f.idle(150)
    summary("scroll a line, 1,050 messages held", keys)
    f.quit()
    return ok


def post_and_count(f, post, quiet_ms=500):
    """Bytes folio writes between a post and going quiet again."""
    f.idle(quiet_ms)
    before = f.written()
    post()
    deadline = time.monotonic() + 10
    while f.written() == before and time.monotonic() < deadline:
        time.sleep(0.01)
    f.idle(quiet_ms)
    return f.written() - before


def bench_bytes(user, runs, big_thread, carla, small):
    f = Folio(user)
    open_account(f, "Big Co")
    f.keys("\r")
    f.mark("thread")
    f.idle()
    n = [0]

    def post_big():
        n[0] += 1
        carla.must("POST", f"/api/v1/threads/{big_thread['id']}/messages",
                   {"body": f"Incoming message {n[0]}: the receipts are uploaded."}, status=201)
    sizes = [post_and_count(f, post_big) for _ in range(runs)]
    summary("bytes per incoming message, thread open", sizes, unit="B")
    t = time.monotonic_ns()
    f.keys("qq\x1b")  # back to the accounts, and Esc clears the filter
    f.idle(after=t)

    k = [0]

    def post_small():
        contact, thread = small[k[0] % len(small)]  # the lowest of the eight accounts moves to the top
        k[0] += 1
        contact.must("POST", f"/api/v1/threads/{thread['id']}/messages",
                     {"body": f"Small message {k[0]}"}, status=201)
    sizes = [post_and_count(f, post_small) for _ in range(runs)]
    summary("bytes per incoming message, accounts list", sizes, unit="B")
    f.quit()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=10000)
    ap.add_argument("--messages", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args()
    srv = h.Server()
    firm = h.Firm(srv)
    t = time.monotonic()
    carla, thread, small = seed(firm, a.accounts, a.messages)
    print(f"# seeded {a.accounts} accounts and a thread of {a.messages} messages"
          f" in {time.monotonic() - t:.1f} s; folio on an 80x24 pty, TERM=xterm-256color")
    user = tuilib.User(srv, firm.owner_email)
    ok = bench_start(user, a.runs)
    ok &= bench_thread(user, a.runs, thread)
    bench_bytes(user, a.runs, thread, carla, small)
    srv.stop()
    print("tui: " + json.dumps(RESULTS))
    if not ok:
        print("# a target was missed")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
