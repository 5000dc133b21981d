"""Ops: GET /metrics in the Prometheus text format, on --metrics-listen only; its counters move with
traffic (requests by route pattern and status with latency histograms, pool waits, WebSockets, events,
mail, reminders)."""
import http.client
import math
import re
import socket

import websocket

import harness as h

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')
DAY = 86400


def parse(text):
    """The exposition format, strictly: {(name, frozenset(labels)): value}; checks HELP/TYPE and histograms."""
    types, samples = {}, {}
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            h.ok(kind in ("counter", "gauge", "histogram"), f"type of {name}")
            h.ok(name not in types, f"{name} declared once")
            types[name] = kind
            continue
        h.ok(not line.startswith("#"), f"comment line {line!r}")
        m = SAMPLE.match(line)
        h.ok(m, f"sample line {line!r}")
        name, labels = m.group(1), {}
        if m.group(3):
            pos = 0
            body = m.group(3)
            while pos < len(body):
                lm = LABEL.match(body, pos)
                h.ok(lm, f"labels of {line!r}")
                labels[lm.group(1)] = lm.group(2)
                pos = lm.end()
        value = float(m.group(4))
        h.ok(not math.isnan(value), f"value of {line!r}")
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        h.ok(name in types or (base in types and types[base] == "histogram"), f"{name} has a TYPE")
        key = (name, frozenset(labels.items()))
        h.ok(key not in samples, f"{line!r} appears once")
        samples[key] = value
    # Histograms: cumulative buckets ending in +Inf == _count.
    for name, kind in types.items():
        if kind != "histogram":
            continue
        series = {}
        for (n, labels), v in samples.items():
            if n == name + "_bucket":
                rest = frozenset(kv for kv in labels if kv[0] != "le")
                le = dict(labels)["le"]
                series.setdefault(rest, []).append((math.inf if le == "+Inf" else float(le), v))
        for rest, buckets in series.items():
            buckets.sort()
            counts = [v for _, v in buckets]
            h.eq(counts, sorted(counts), f"{name} buckets are cumulative")
            h.eq(buckets[-1][0], math.inf, f"{name} ends with +Inf")
            h.eq(samples[(name + "_count", rest)], counts[-1], f"{name}_count is the +Inf bucket")
            h.ok((name + "_sum", rest) in samples, f"{name}_sum")
    return samples


def val(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


class Metrics:
    def __init__(self):
        self.port = h.free_port()
        self.srv = h.Server(args=["--metrics-listen", f"127.0.0.1:{self.port}"])

    def raw(self, path="/metrics", method="GET"):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            c.request(method, path)
            r = c.getresponse()
            return r.status, r.getheader("content-type", ""), r.read().decode()
        finally:
            c.close()

    def get(self):
        status, ctype, body = self.raw()
        h.eq(status, 200, body[:200])
        h.ok(ctype.startswith("text/plain; version=0.0.4"), f"content type {ctype}")
        return parse(body)


_m = None


def metrics():
    global _m
    if _m is None:
        _m = Metrics()
    return _m


@h.test
def not_on_the_api_port():
    m = metrics()
    r = m.srv.client().get("/metrics")
    h.eq(r.status, 404, "GET /metrics on the public port")
    h.eq(r.error, "not_found")
    # Without --metrics-listen nothing else listens: the plain server has no metrics at all.
    srv = h.server()
    h.eq(srv.client().get("/metrics").status, 404)
    status, _, body = m.raw("/other")
    h.eq(status, 404, "only /metrics on the metrics port")
    h.ok('"not_found"' in body, body)
    status, _, _ = m.raw("/metrics", "POST")
    h.eq(status, 405)


@h.test
def requests_are_counted_by_route_pattern_and_status():
    m = metrics()
    f = h.Firm(m.srv)
    before = m.get()
    me = dict(method="GET", route="/api/v1/me", status="200")
    for _ in range(3):
        h.eq(f.owner.get("/api/v1/me").status, 200)
    h.eq(f.owner.get("/api/v1/threads/987654321").status, 404)
    h.eq(m.srv.client().get("/api/v1/me").status, 401)
    h.eq(m.srv.client().get("/no/such/path/4711").status, 404)
    after = m.get()
    h.eq(val(after, "folio_http_requests_total", **me) - val(before, "folio_http_requests_total", **me), 3)
    h.eq(val(after, "folio_http_requests_total", method="GET", route="/api/v1/me", status="401")
         - val(before, "folio_http_requests_total", method="GET", route="/api/v1/me", status="401"), 1)
    h.eq(val(after, "folio_http_requests_total", method="GET", route="/api/v1/threads/{id}", status="404")
         - val(before, "folio_http_requests_total", method="GET", route="/api/v1/threads/{id}", status="404"), 1,
         "a path with an id counts under its pattern")
    h.ok(val(after, "folio_http_requests_total", method="", route="unmatched", status="404") >= 1, "unmatched")
    text = m.raw()[2]
    h.ok("987654321" not in text and "4711" not in text, "raw paths and ids never become labels")
    lat = dict(method="GET", route="/api/v1/me")
    h.eq(val(after, "folio_http_request_duration_seconds_count", **lat)
         - val(before, "folio_http_request_duration_seconds_count", **lat), 4, "latency histogram count")
    h.ok(val(after, "folio_http_request_duration_seconds_sum", **lat)
         > val(before, "folio_http_request_duration_seconds_sum", **lat), "latency sum grows")
    h.ok(val(after, "folio_db_pool_wait_seconds_count") >= val(before, "folio_db_pool_wait_seconds_count") + 5,
         "every pooled request counted a pool wait")
    h.ok(("folio_db_pool_queued", frozenset()) in after, "queued gauge")
    h.ok(val(after, "process_start_time_seconds") > 1.6e9, "start time")


@h.test
def websockets_and_events():
    m = metrics()
    f = h.Firm(m.srv)
    acc = f.account()
    f.contact(acc["id"])
    h.eq(val(m.get(), "folio_websocket_connections"), 0)
    before = m.get()
    ws = websocket.create_connection(f"ws://127.0.0.1:{m.srv.port}/api/v1/events",
                                     header=["Authorization: Bearer " + f.owner.token], timeout=30)
    try:
        h.wait_for(lambda: val(m.get(), "folio_websocket_connections") == 1, 15, "one WebSocket counted")
        f.thread(acc["id"])
        ws.recv()  # the first event reached us
        h.wait_for(lambda: val(m.get(), "folio_events_delivered_total")
                   > val(before, "folio_events_delivered_total"), 15, "events delivered count")
    finally:
        ws.close()
    h.wait_for(lambda: val(m.get(), "folio_websocket_connections") == 0, 15, "the gauge goes back down")
    # The long poll delivers too.
    n = val(m.get(), "folio_events_delivered_total")
    r = f.owner.get("/api/v1/events", query={"since": 0, "wait": 0})
    h.eq(r.status, 200)
    h.ok(len(r.json["items"]) > 0, "the poll found events")
    h.ok(val(m.get(), "folio_events_delivered_total") >= n + len(r.json["items"]), "poll items counted")
    h.ok(("folio_events_dropped_total", frozenset()) in m.get(), "dropped counter present")


@h.test
def mail_and_reminders():
    m = metrics()
    f = h.Firm(m.srv)
    acc = f.account()
    f.contact(acc["id"])
    before = m.get()
    f.thread(acc["id"], reminders={"enabled": True})
    sent = dict(result="sent")
    h.wait_for(lambda: val(m.get(), "folio_mail_attempts_total", **sent)
               > val(before, "folio_mail_attempts_total", **sent), 30, "a sent mail counted")
    h.wait_for(lambda: ("folio_mail_outbox_depth", frozenset()) in m.get(), 30, "the outbox depth gauge")
    h.ok(val(m.get(), "folio_mail_outbox_depth") >= 0, "depth")
    h.ok(("folio_mail_worker_heartbeat_age_seconds", frozenset()) in m.get(), "heartbeat age")
    m.srv.advance(30 * DAY, f.owner)
    h.ok(val(m.get(), "folio_reminders_sent_total") > val(before, "folio_reminders_sent_total"), "reminder counted")


@h.test
def mail_failures_are_counted():
    # An SMTP port where nothing listens: every attempt is a retry.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = s.getsockname()[1]
    s.close()
    port = h.free_port()
    srv = h.Server(args=["--metrics-listen", f"127.0.0.1:{port}"],
                   env={"FOLIO_SMTP_URL": f"smtp://127.0.0.1:{dead}"})
    f = h.Firm(srv)
    acc = f.account()
    f.contact(acc["id"])
    f.thread(acc["id"])

    def scrape():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        c.request("GET", "/metrics")
        return parse(c.getresponse().read().decode())

    h.wait_for(lambda: val(scrape(), "folio_mail_failures_total") >= 1, 30, "a failed attempt counted")
    h.ok(val(scrape(), "folio_mail_attempts_total", result="retry") >= 1, "as a retry")
    h.wait_for(lambda: val(scrape(), "folio_mail_outbox_depth") >= 1, 40, "the mail waits in the outbox")
    srv.stop()


@h.test
def metrics_address_taken_fails_to_start():
    port = metrics().port  # already served by the shared server
    from core_common import foliod
    db = h.Database()
    h.eq(foliod(["migrate"], db).returncode, 0)
    r = foliod(["serve", "--listen", f"127.0.0.1:{h.free_port()}", "--metrics-listen", f"127.0.0.1:{port}"], db,
               timeout=60)
    h.eq(r.returncode, 1, f"serve with a taken metrics port: {r.stderr[-300:]}")


h.main()
