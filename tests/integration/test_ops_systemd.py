"""Ops: foliod speaks systemd's notify protocol (Type=notify): READY=1 once the database answers and
migrations are current, STATUS=, WATCHDOG=1 at half of WATCHDOG_USEC, STOPPING=1 on SIGTERM."""
import os
import select
import socket
import tempfile
import time

import harness as h


class NotifySocket:
    """An AF_UNIX datagram socket standing in for systemd's NOTIFY_SOCKET."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="notify.", dir=h.STATE)
        self.path = os.path.join(self.dir, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages = []

    def read(self, timeout):
        """Collects datagrams for up to timeout seconds; returns every field seen so far."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                break
            data = self.sock.recv(4096).decode()
            self.messages.append(data)
            return self.fields()
        return self.fields()

    def fields(self):
        return [line for m in self.messages for line in m.split("\n") if line]

    def wait(self, field, timeout=30):
        def seen():
            self.read(0.5)
            return field in self.fields()
        h.wait_for(seen, timeout, f"{field} on the notify socket (got {self.fields()})", interval=0)

    def close(self):
        self.sock.close()
        os.unlink(self.path)
        os.rmdir(self.dir)


@h.test
def ready_then_stopping():
    ns = NotifySocket()
    try:
        srv = h.Server(env={"NOTIFY_SOCKET": ns.path})
        ns.wait("READY=1")
        h.ok(any(f.startswith("STATUS=serving on") for f in ns.fields()), f"a STATUS line: {ns.fields()}")
        h.ok(f"MAINPID={srv.proc.pid}" in ns.fields(), f"MAINPID: {ns.fields()}")
        # READY came after the migrations: the schema is there and the server answers.
        h.eq(srv.client().get("/healthz").status, 200)
        h.ok(int(srv.db.sql("SELECT count(*) FROM schema_migrations")) > 0, "migrated before READY")
        h.ok("WATCHDOG=1" not in ns.fields(), "no pings unless WATCHDOG_USEC asks")
        srv.stop()  # SIGTERM; demands exit 0
        ns.wait("STOPPING=1", 5)
    finally:
        ns.close()


@h.test
def watchdog_pings_at_half_the_interval():
    ns = NotifySocket()
    try:
        # 2 s: pings every second. Only a count is checked, never the timing: the machine may be loaded.
        srv = h.Server(env={"NOTIFY_SOCKET": ns.path, "WATCHDOG_USEC": "2000000"})
        ns.wait("READY=1")
        h.wait_for(lambda: ns.read(0.5).count("WATCHDOG=1") >= 3, 30, "three watchdog pings", interval=0)
        srv.stop()
        ns.wait("STOPPING=1", 5)
    finally:
        ns.close()


@h.test
def watchdog_for_another_pid_is_not_ours():
    ns = NotifySocket()
    try:
        srv = h.Server(env={"NOTIFY_SOCKET": ns.path, "WATCHDOG_USEC": "500000", "WATCHDOG_PID": "1"})
        ns.wait("READY=1")
        ns.read(2)
        h.ok("WATCHDOG=1" not in ns.fields(), f"WATCHDOG_PID names another process: {ns.fields()}")
        srv.stop()
    finally:
        ns.close()


@h.test
def harmless_without_a_notify_socket():
    env = {"NOTIFY_SOCKET": "", "WATCHDOG_USEC": "1000000"}
    srv = h.Server(env=env)
    h.eq(srv.client().get("/healthz").status, 200)
    srv.stop()
    # A socket path that does not exist: still serves, still stops with 0.
    srv = h.Server(env={"NOTIFY_SOCKET": os.path.join(h.STATE, "no-such-notify.sock")})
    h.eq(srv.client().get("/healthz").status, 200)
    srv.stop()


h.main()
