"""Security, issue 13 parts 1-3 and two headers of part 8: strict UTF-8 in bodies and query arguments,
HTTP/1.1 framing (smuggling, oversized headers, non-HTTP input, slow bodies), WebSocket hygiene (1007,
masking, streams per user, Origin), nosniff and WWW-Authenticate. Raw sockets on loopback only."""
import base64
import json
import os
import socket
import time

import harness as h

BAD_TEXT = [
    (b"\xc0\xaf", "overlong C0 AF"),
    (b"\xe0\x80\x80", "overlong E0 80 80"),
    (b"\xed\xa0\x80", "surrogate ED A0 80"),
    (b"\xf4\x90\x80\x80", "past U+10FFFF F4 90 80 80"),
    (b"\xe2\x82", "truncated E2 82"),
    (b"\x00", "raw NUL"),
    (b"\\u0000", "escaped NUL"),
    (b"\\ud800", "lone surrogate escape"),
]

_srv = None


def srv():
    """One server for the file, with a short body-rate window and a small stream cap."""
    global _srv
    if _srv is None:
        _srv = h.Server(args=["--body-min-rate", "2000", "--max-streams-per-user", "3",
                              "--allowed-origin", "https://app.example"])
    return _srv


def raw(data, read_timeout=20, shut=False):
    """Sends bytes on a fresh connection; returns (status, headers dict, body bytes, closed)."""
    s = socket.create_connection(("127.0.0.1", srv().port), timeout=read_timeout)
    try:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        return read_answer(s)
    finally:
        s.close()


def read_answer(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            return None, {}, buf, True
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs.setdefault(k.strip().lower(), v.strip())
    n = int(hdrs.get("content-length", "0"))
    while len(body) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    closed = False
    if hdrs.get("connection", "").lower() == "close":
        s.settimeout(10)
        try:
            closed = s.recv(1) == b""
        except ConnectionError:
            closed = True
    return status, hdrs, body, closed


def json_error(status, hdrs, body, want_status, what):
    h.eq(status, want_status, f"status of {what}: {body[:200]!r}")
    h.ok(hdrs.get("content-type", "").startswith("application/json"), f"JSON, not HTML, for {what}: {hdrs}")
    e = json.loads(body)["error"]
    h.ok(e["code"] and e["message"], f"error shape for {what}")
    h.eq(hdrs.get("x-content-type-options"), "nosniff", f"nosniff on {what}")
    return e["code"]


_w = None


def world():
    global _w
    if _w is None:
        f = h.Firm(srv())
        acct = f.owner.must("POST", "/api/v1/accounts", {"name": "Sicher GmbH"}, status=201)
        f.contact(acct["id"])
        t = f.thread(acct["id"])
        _w = (f, acct, t)
    return _w


def count_messages(f, tid):
    return len(f.owner.must("GET", f"/api/v1/threads/{tid}/messages", query={"limit": 200})["items"])


@h.test
def bad_utf8_in_a_message_is_400_and_nothing_stored():
    f, _, t = world()
    before = count_messages(f, t["id"])
    for bad, what in BAD_TEXT:
        for body in (b'{"body":"ab' + bad + b'cd"}', b'{"body":"x","ab' + bad + b'":1}'):
            r = f.owner.request("POST", f"/api/v1/threads/{t['id']}/messages", raw=body,
                                headers={"Content-Type": "application/json"})
            h.eq(r.status, 400, f"{what}: {r!r}")
            h.eq(r.error, "invalid_utf8", f"{what}: {r!r}")
    h.eq(count_messages(f, t["id"]), before, "messages stored by refused bodies")
    r = f.owner.post(f"/api/v1/threads/{t['id']}/messages", {"body": "Grüße 山田 💥 \\u0000 literal"})
    h.eq(r.status, 201, f"good text still works: {r!r}")
    h.eq(r.json["body"], "Grüße 山田 💥 \\u0000 literal")


@h.test
def bad_utf8_in_a_login_is_400():
    f, _, _ = world()
    for bad, what in BAD_TEXT:
        body = b'{"email":"' + f.owner_email.encode() + b'","password":"pw' + bad + b'"}'
        r = srv().client().request("POST", "/api/v1/sessions", raw=body, headers={"Content-Type": "application/json"})
        h.eq((r.status, r.error), (400, "invalid_utf8"), f"{what}: {r!r}")


@h.test
def bad_utf8_in_a_query_argument_is_400():
    f, _, _ = world()
    for enc, what in (("%C0%AF", "overlong"), ("%E0%80%80", "overlong 3"), ("%ED%A0%80", "surrogate"),
                      ("%F4%90%80%80", "past U+10FFFF"), ("%E2%82", "truncated")):
        r = f.owner.get("/api/v1/accounts?q=a" + enc)
        h.eq((r.status, r.error), (400, "invalid_utf8"), f"{what}: {r!r}")
    h.eq(f.owner.get("/api/v1/accounts?q=%C3%BC").status, 200, "a good argument")


def post_head(path, token, extra):
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\n{extra}\r\n").encode()


@h.test
def content_length_with_transfer_encoding_is_400():
    f, _, t = world()
    before = count_messages(f, t["id"])
    body = b'{"body":"smuggled"}'
    req = post_head(f"/api/v1/threads/{t['id']}/messages", f.owner.token,
                    f"Content-Length: {len(body)}\r\nTransfer-Encoding: chunked\r\n") + body
    code = json_error(*raw(req)[:3], 400, "CL with TE")
    h.eq(code, "bad_framing")
    h.eq(count_messages(f, t["id"]), before, "nothing stored")


@h.test
def two_different_content_lengths_are_400():
    f, _, t = world()
    before = count_messages(f, t["id"])
    body = b'{"body":"smuggled"}'
    req = post_head(f"/api/v1/threads/{t['id']}/messages", f.owner.token,
                    f"Content-Length: {len(body)}\r\nContent-Length: {len(body) + 5}\r\n") + body + b"xxxxx"
    h.eq(json_error(*raw(req)[:3], 400, "two Content-Lengths"), "bad_framing")
    req = post_head(f"/api/v1/threads/{t['id']}/messages", f.owner.token, "Content-Length: 1x\r\n") + body
    h.eq(json_error(*raw(req)[:3], 400, "a Content-Length that is no number"), "bad_framing")
    h.eq(count_messages(f, t["id"]), before, "nothing stored")
    same = post_head(f"/api/v1/threads/{t['id']}/messages", f.owner.token,
                     f"Content-Length: {len(body)}\r\nContent-Length: {len(body)}\r\n") + body
    h.eq(raw(same)[0], 201, "two equal Content-Lengths are one")


@h.test
def an_overlong_request_line_or_header_is_431():
    long_path = "/api/v1/accounts?q=" + "a" * 9000
    st = raw(f"GET {long_path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    h.eq(json_error(*st[:3], 431, "long request line"), "headers_too_large")
    st = raw(f"GET /healthz HTTP/1.1\r\nHost: x\r\nUser-Agent: {'u' * 9000}\r\n\r\n".encode())
    h.eq(json_error(*st[:3], 431, "long header"), "headers_too_large")
    st = raw(f"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {'t' * 9000}\r\n\r\n".encode())
    h.eq(json_error(*st[:3], 431, "long Authorization"), "headers_too_large")


@h.test
def input_that_is_not_http_gets_a_json_error():
    for data, what in ((b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", "junk method"),
                       (bytes.fromhex("160301020001") + os.urandom(200), "TLS ClientHello"),
                       (b"\x00\x01\x02garbage\r\n\r\n", "binary garbage")):
        st = raw(data)
        json_error(*st[:3], 400, what)
        h.ok(st[3], f"connection closed after {what}")


@h.test
def a_413_closes_the_connection():
    f, _, t = world()
    body = b'{"body":"' + b"x" * (1024 * 1024 + 10) + b'"}'
    s = socket.create_connection(("127.0.0.1", srv().port), timeout=30)
    try:
        s.sendall(post_head(f"/api/v1/threads/{t['id']}/messages", f.owner.token,
                            f"Content-Length: {len(body)}\r\n") + body)
        st, hdrs, b, closed = read_answer(s)
    finally:
        s.close()
    h.eq(json_error(st, hdrs, b, 413, "too large"), "too_large")
    h.eq(hdrs.get("connection", "").lower(), "close", "Connection: close after 413")


@h.test
def a_body_that_trickles_is_cut_off_with_408():
    f, _, t = world()
    before = count_messages(f, t["id"])
    body = b'{"body":"' + b"x" * 20000 + b'"}'
    s = socket.create_connection(("127.0.0.1", srv().port), timeout=60)
    try:
        s.sendall(post_head(f"/api/v1/threads/{t['id']}/messages", f.owner.token,
                            f"Content-Length: {len(body)}\r\n"))
        s.settimeout(0.5)
        sent, deadline, answer = 0, time.monotonic() + 60, b""
        while time.monotonic() < deadline and sent < len(body):
            s.sendall(body[sent:sent + 20])  # 40 bytes a second, far under 2000
            sent += 20
            try:
                answer = s.recv(65536)
                break
            except socket.timeout:
                pass
        s.settimeout(30)
        while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
    finally:
        s.close()
    h.ok(answer.startswith(b"HTTP/1.1 408"), f"408 for a trickle: {answer[:200]!r}")
    h.ok(b"request_timeout" in answer and b"connection: close" in answer.lower(), f"JSON, closing: {answer!r}")
    h.eq(count_messages(f, t["id"]), before, "nothing stored")


@h.test
def every_answer_says_nosniff_and_a_401_names_bearer():
    f, _, _ = world()
    c = srv().client()
    for r in (c.get("/healthz"), c.get("/api/v1/me"), c.get("/nowhere"), f.owner.get("/api/v1/me"),
              c.get("/api/v1/events", query={"wait": 0})):
        h.eq(r.headers.get("x-content-type-options"), "nosniff", f"nosniff: {r!r}")
    r = c.get("/api/v1/me")
    h.eq((r.status, r.headers.get("www-authenticate")), (401, "Bearer"), "401 names the scheme")
    r = srv().client("not-a-token").get("/api/v1/events", query={"wait": 0})
    h.eq((r.status, r.headers.get("www-authenticate")), (401, "Bearer"), "events long poll 401")
    h.eq(f.owner.get("/api/v1/me").headers.get("www-authenticate"), None, "only on 401")


class Ws:
    """A minimal raw WebSocket client (masking optional, for the test of unmasked frames)."""

    def __init__(self, token, origin=None):
        self.s = socket.create_connection(("127.0.0.1", srv().port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        extra = f"Origin: {origin}\r\n" if origin else ""
        self.s.sendall((f"GET /api/v1/events?access_token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                        f"Sec-WebSocket-Version: 13\r\n{extra}\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.s.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        self.head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.status = int(self.head.split()[1]) if self.head else None

    def send(self, opcode, payload, masked=True):
        n = len(payload)
        hdr = bytes([0x80 | opcode, (0x80 if masked else 0) | n])
        if masked:
            mask = os.urandom(4)
            payload = mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.s.sendall(hdr + payload)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _frames(self, timeout):
        """Yields (opcode, payload) of each frame for up to timeout seconds, answering pings;
        ends when the socket closes or the time is up."""
        self.s.settimeout(timeout)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                b0, b1 = self._read(2)
                n = b1 & 0x7F
                if n == 126:
                    n = int.from_bytes(self._read(2), "big")
                elif n == 127:
                    n = int.from_bytes(self._read(8), "big")
                payload = self._read(n)
                if b0 & 0x0F == 9:
                    self.send(10, payload)
                yield b0 & 0x0F, payload
        except (ConnectionError, OSError):
            return

    def close_code(self, timeout=30):
        """The code of the close frame that comes (None if the socket just closed or no close came
        within timeout: a stream that stays open answers pings forever)."""
        for op, payload in self._frames(timeout):
            if op == 8:
                return int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
        return None

    def live(self, timeout=30):
        """Waits for the first data frame: the server authenticated the stream and sends events."""
        for op, _ in self._frames(timeout):
            if op == 8:
                return False
            if op in (1, 2):
                return True
        return False

    def alive(self, wait=1.5):
        """True when nothing closes the socket within wait seconds (a ping is sent to prove it)."""
        self.send(9, b"hi")
        self.s.settimeout(wait)
        try:
            b0, b1 = self._read(2)
            self._read(b1 & 0x7F)
            return b0 & 0x0F != 8
        except socket.timeout:
            return True
        except (ConnectionError, OSError):
            return False

    def drop(self):
        self.s.close()


@h.test
def websocket_text_that_is_not_utf8_closes_1007():
    f, _, _ = world()
    for bad, what in BAD_TEXT[:5]:
        ws = Ws(f.owner.token)
        h.eq(ws.status, 101, "upgrade")
        ws.send(1, b"ab" + bad)
        h.eq(ws.close_code(), 1007, what)
        ws.drop()


@h.test
def websocket_unmasked_client_frames_are_what_lws_41_allows():
    """libwebsockets 4.1 reads an unmasked client frame like a masked one and tells the callback
    nothing about the mask, so foliod cannot close with 1002 (see the report on issue 13). This
    pins down today's behaviour: the frame is ignored, the stream and the server go on."""
    f, _, _ = world()
    ws = Ws(f.owner.token)
    h.eq(ws.status, 101, "upgrade")
    ws.send(1, b"hello", masked=False)
    h.ok(ws.alive(), "the stream goes on after an unmasked frame")
    ws.drop()
    h.eq(srv().client().get("/healthz").status, 200, "the server goes on")


@h.test
def websocket_streams_per_user_are_capped():
    f, _, t = world()
    me = srv().login(f.owner_email, h.PASSWORD)
    held = [Ws(me.token) for _ in range(3)]
    h.ok(all(w.status == 101 for w in held), "three streams open")
    # Authenticated and live (not merely upgraded) before the fourth comes: each gets an event.
    f.owner.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "for the streams"}, status=201)
    for w in held:
        h.ok(w.live(), "a stream under the cap is live")
    extra = Ws(me.token)
    h.eq(extra.status, 101, "upgrade of the fourth")
    h.eq(extra.close_code(), 4429, "the fourth stream is refused")
    extra.drop()
    other = srv().login(f.owner_email, h.PASSWORD)  # the same user: still capped
    o = Ws(other.token)
    h.eq(o.close_code(), 4429, "the cap is per user, not per session")
    o.drop()
    held.pop().drop()
    time.sleep(0.5)
    ok = False
    for _ in range(40):  # the server notices the dropped socket soon; wait generously
        again = Ws(me.token)
        f.owner.must("POST", f"/api/v1/threads/{t['id']}/messages", {"body": "again"}, status=201)
        ok = again.live()  # an event, or the 4429 close while the old one still counts
        again.drop()
        if ok:
            break
        time.sleep(0.5)
    h.ok(ok, "after one closes, a new one is allowed")
    for w in held:
        w.drop()


@h.test
def websocket_origin_allow_list():
    f, _, _ = world()
    ws = Ws(f.owner.token, origin="https://evil.example")
    h.eq(ws.status, 403, f"disallowed Origin: {ws.head[:200]!r}")
    h.ok(b"origin_not_allowed" in ws.buf or b"origin_not_allowed" in ws.s.recv(4096), "JSON error")
    h.ok(b"nosniff" in ws.head, "nosniff on the refusal")
    ws.drop()
    for origin in (None, "https://app.example", f"http://127.0.0.1:{srv().port}"):
        ws = Ws(f.owner.token, origin=origin)
        h.eq(ws.status, 101, f"Origin {origin}")
        h.ok(b"nosniff" in ws.head.lower(), f"nosniff on the 101: {ws.head!r}")
        ws.drop()


h.main()
