"""An event stream subscriber for tests: GET /api/v1/events as a WebSocket, with a
thread that reads its frames into .events until the socket closes."""

import json
import threading

import websocket

import harness as h

WAIT = 45  # seconds for anything to arrive on a loaded two-core machine


class Sub:
    """A WebSocket subscriber: a thread reads frames into .events until the socket closes."""

    def __init__(self, srv, client, since=None, header_auth=True, subprotocol=None):
        """header_auth False: the token as ?access_token=, as browsers must."""
        q = []
        if since is not None:
            q.append(f"since={since}")
        headers = []
        if header_auth:
            headers.append("Authorization: Bearer " + client.token)
        else:
            q.append("access_token=" + client.token)
        url = f"ws://127.0.0.1:{srv.port}/api/v1/events" + ("?" + "&".join(q) if q else "")
        kw = {"subprotocols": [subprotocol]} if subprotocol else {}
        self.ws = websocket.create_connection(url, header=headers, timeout=30, **kw)
        self.ws.settimeout(None)
        self.events = []
        self.close_code = None
        self.pings = 0
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while True:
                op, data = self.ws.recv_data(control_frame=True)
                if op == websocket.ABNF.OPCODE_TEXT:
                    self.events.append(json.loads(data))
                elif op == websocket.ABNF.OPCODE_PING:
                    self.pings += 1
                elif op == websocket.ABNF.OPCODE_CLOSE:
                    self.close_code = int.from_bytes(data[:2], "big") if len(data) >= 2 else 1005
                    return
        except Exception:  # the socket went away: .closed tells
            pass
        finally:
            self.closed.set()

    @property
    def ids(self):
        return [e["id"] for e in self.events]

    @property
    def last(self):
        return self.events[-1]["id"] if self.events else None

    def of_type(self, t):
        return [e for e in self.events if e["type"] == t]

    def wait(self, pred, what, timeout=WAIT):
        return h.wait_for(lambda: pred(self), timeout, what)

    def wait_id(self, event_id, timeout=WAIT):
        return self.wait(lambda s: s.events and s.events[-1]["id"] >= event_id, f"event {event_id}", timeout)

    def wait_closed(self, timeout=WAIT):
        h.wait_for(self.closed.is_set, timeout, "the server to close the socket")
        return self.close_code

    def close(self):
        """Closes cleanly: our close frame, the server's answer, then the socket."""
        try:
            self.ws.send_close()
        except Exception:
            pass
        self.closed.wait(10)
        try:
            self.ws.shutdown()
        except Exception:
            pass
        self.thread.join(10)

    def wait_message(self, message_id, timeout=WAIT):
        return self.wait(lambda s: next((e for e in s.events if e.get("type") == "message.created"
                                         and e["message"]["id"] == message_id), None),
                         f"message.created for message {message_id}", timeout)
