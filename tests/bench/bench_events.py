"""Event stream benchmark (not a test): docs/BENCHMARKS.md, Events.

1. Delivery latency: two foliod instances share a database; N subscribers
   (staff of one firm) listen on instance B; messages are posted through
   instance A at a steady rate, open loop, by --posters processes (each a
   connection into a thread of its own). Latency is from just before the POST is sent
   to the moment each subscriber has read the message.created frame: p50, p99
   and max over every (message, subscriber) delivery.
2. Memory: M idle WebSockets on one foliod; its RSS before and after.

The subscribers are raw asyncio sockets (handshake, frame parsing, pongs), so
the client, which shares the machine, stays cheap. Run it through
tests/bench/run, which starts PostgreSQL and sets FOLIO_TEST_STATE.
"""

import argparse
import asyncio
import base64
import http.client
import json
import multiprocessing
import queue
import re
import os
import resource
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness as h  # noqa: E402


class WsConn:
    """One client WebSocket over asyncio streams."""

    def __init__(self, port, token, on_text=None):
        self.port, self.token, self.on_text = port, token, on_text
        self.reader = self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        key = base64.b64encode(os.urandom(16)).decode()
        self.writer.write((f"GET /api/v1/events?access_token={self.token} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(f"upgrade refused: {head[:80]!r}")

    def _send(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        hdr = bytes([0x80 | opcode])
        hdr += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
        self.writer.write(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    async def run(self):
        """Reads frames until the server closes; answers pings."""
        r = self.reader
        try:
            while True:
                b0, b1 = await r.readexactly(2)
                n = b1 & 0x7F
                if n == 126:
                    n = int.from_bytes(await r.readexactly(2), "big")
                elif n == 127:
                    n = int.from_bytes(await r.readexactly(8), "big")
                payload = await r.readexactly(n)
                op = b0 & 0x0F
                if op == 1 and self.on_text:
                    self.on_text(payload)
                elif op == 9:
                    self._send(10, payload)
                elif op == 8:
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return

    def close(self):
        if self.writer:
            self.writer.close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


async def open_many(port, token, n, on_text=None, parallel=100):
    conns = [WsConn(port, token, on_text) for _ in range(n)]
    sem = asyncio.Semaphore(parallel)

    async def one(c):
        async with sem:
            await c.open()

    await asyncio.gather(*(one(c) for c in conns))
    tasks = [asyncio.ensure_future(c.run()) for c in conns]
    return conns, tasks


def post_share(port, writer, k, posts, posters, start, rate, results):
    """One posting process: its share of the messages, on schedule; puts its times on results."""
    sent, answered = {}, {}
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        token, thread = writer
        hdr = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
        for n in range(k, posts, posters):
            time.sleep(max(0.0, start + n / rate - time.monotonic()))
            body = json.dumps({"body": f"bench {n}"})
            sent[n] = time.monotonic()
            conn.request("POST", f"/api/v1/threads/{thread['id']}/messages", body=body, headers=hdr)
            r = conn.getresponse()
            r.read()
            answered[n] = time.monotonic()
            if r.status != 201:
                raise RuntimeError(f"post: {r.status}")
        results.put({"sent": sent, "answered": answered})
    except Exception as e:  # noqa: BLE001 -- reported to the parent, which raises it
        results.put({"error": f"poster {k}: {e}"})


def bench_latency(a, b, firms, subscribers, posts, rate, posters):
    # Poster k posts as the owner of firm k % len(firms) into a thread of its own, so that
    # sends arriving together can share a batch; subscriber i is the owner of firm
    # i % len(firms) on B, so each message reaches the subscribers of its firm.
    writers = []
    for k in range(posters):
        firm = firms[k % len(firms)]
        account = firm.account()
        firm.contact(account["id"])
        writers.append((firm.owner.token, firm.thread(account["id"], subject=f"bench {k}")))
    sent = {}       # n -> monotonic time just before the POST
    answered = {}   # n -> when the POST's answer came
    got = {}        # n -> [receive times]
    lock = threading.Lock()

    body_re = re.compile(rb'"body" ?: ?"bench (\d+)"')

    def on_text(payload):
        # Payloads built by PostgreSQL write '"key" : value', json-c's '"key":value'.
        if b'"type":"message.created"' not in payload[:60]:
            return
        m = body_re.search(payload)
        if m is None:
            return
        n = int(m.group(1))
        t = time.monotonic()
        with lock:
            got.setdefault(n, []).append(t)

    async def main():
        conns, tasks = [], []
        for j, firm in enumerate(firms):
            c, t = await open_many(b.port, firm.owner.token, len(range(j, subscribers, len(firms))), on_text)
            conns += c
            tasks += t
        await asyncio.sleep(1)  # let the fetches finish: every socket is live

        # Open loop: message n is due at start + n / rate; poster k (a process of its own,
        # so the subscribers' reading does not hold it back) sends the n with
        # n % posters == k, so a slow answer on one connection does not slow the rate.
        # time.monotonic() is CLOCK_MONOTONIC, one clock for every process.
        start = time.monotonic() + 0.5
        ctx = multiprocessing.get_context("fork")
        results = ctx.Queue()
        procs = [ctx.Process(target=post_share, args=(a.port, writers[k], k, posts, posters, start, rate,
                                                      results)) for k in range(posters)]
        for pr in procs:
            pr.start()
        for _ in procs:
            while True:
                try:
                    share = results.get_nowait()
                    break
                except queue.Empty:
                    await asyncio.sleep(0.05)
            if "error" in share:
                raise RuntimeError(share["error"])
            sent.update(share["sent"])
            answered.update(share["answered"])
        for pr in procs:
            pr.join()
        end = time.monotonic() + 30
        while time.monotonic() < end and sum(len(v) for v in got.values()) < expected:
            await asyncio.sleep(0.1)
        for c in conns:
            c.close()
        await asyncio.gather(*tasks, return_exceptions=True)

    # Each message reaches the subscribers of its poster's firm.
    per_firm = [len(range(j, subscribers, len(firms))) for j in range(len(firms))]
    expected = sum(per_firm[(n % posters) % len(firms)] for n in range(posts))
    asyncio.run(main())
    lat = [(t - sent[n]) * 1000 for n, ts in got.items() for t in ts]
    first = [(min(ts) - sent[n]) * 1000 for n, ts in got.items()]
    post = [(answered[n] - sent[n]) * 1000 for n in answered]
    delivered = len(lat)
    span = max(answered.values()) - min(sent.values())
    return {
        "subscribers": subscribers, "firms": len(firms), "messages": posts, "rate_per_s": rate,
        "posters": posters,
        "posted_per_s": round(posts / span, 1) if span > 0 else None,
        "deliveries": delivered, "expected": expected,
        "p50_ms": round(percentile(lat, 50), 1), "p99_ms": round(percentile(lat, 99), 1),
        "max_ms": round(max(lat), 1),
        "first_subscriber_p50_ms": round(percentile(first, 50), 1),
        "post_answer_p50_ms": round(percentile(post, 50), 1),
    }


def bench_idle(srv, firm, sockets):
    base = rss_kib(srv.proc.pid)

    async def main():
        conns, tasks = await open_many(srv.port, firm.owner.token, sockets, parallel=200)
        await asyncio.sleep(3)  # every fetch done, queues empty
        rss = rss_kib(srv.proc.pid)
        alive = sum(1 for t in tasks if not t.done())
        for c in conns:
            c.close()
        await asyncio.gather(*tasks, return_exceptions=True)
        return rss, alive

    rss, alive = asyncio.run(main())
    return {"sockets": sockets, "open_after_settle": alive, "rss_before_mib": round(base / 1024, 1),
            "rss_after_mib": round(rss / 1024, 1),
            "per_socket_kib": round((rss - base) / sockets, 2)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subscribers", type=int, default=1000)
    ap.add_argument("--messages", type=int, default=200)
    ap.add_argument("--rate", type=float, default=20, help="messages posted per second")
    ap.add_argument("--posters", type=int, default=8, help="posting connections (open loop, one thread each)")
    ap.add_argument("--firms", type=int, default=1,
                    help="firms the subscribers and posters are spread over (1: every subscriber gets every message)")
    ap.add_argument("--idle", type=int, default=10000, help="idle WebSockets for the memory figure")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.idle + args.subscribers + 1000
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, need), hard))
    # foliod inherits the limit: it needs a descriptor per socket too.
    a = h.Server(name="bench-a")
    b = h.Server(db=a.db, name="bench-b")
    firms = [h.Firm(a) for _ in range(args.firms)]
    firm = firms[0]
    res = bench_latency(a, b, firms, args.subscribers, args.messages, args.rate, args.posters)
    print("events latency POST on A -> push on B: " + json.dumps(res))
    b.stop()
    res = bench_idle(a, firm, args.idle)
    print("events memory, idle WebSockets on one foliod: " + json.dumps(res))
    a.stop()


if __name__ == "__main__":
    main()
