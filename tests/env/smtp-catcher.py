#!/usr/bin/python3
"""Catch-all SMTP server for Folio tests and demo (Debian python3-aiosmtpd).

    smtp-catcher.py STATE_DIR [--host 127.0.0.1] [--port 0] [--pidfile FILE]
                    [--fail-file FILE]

Every accepted message is stored atomically in the maildir STATE_DIR/mail
(tmp/ -> new/), prefixed with the headers
    X-Folio-Envelope-From: <MAIL FROM address>
    X-Folio-Envelope-To: <RCPT TO addresses, comma-separated>
The port actually bound (useful with --port 0) is written to STATE_DIR/mail/port.

Failure simulation: the fail file (default STATE_DIR/mail/fail) is read on
every command that can fail. Its first word selects the reply:
    4xx  -> "451 4.3.0 Try again later"
    5xx  -> "550 5.1.1 No such user"
an optional second word selects the stage: "data" (default) or "rcpt".
A missing, empty or unrecognised file means normal operation.

AUTH is not required; if a client authenticates anyway, any credentials are
accepted (over plain text, this is a test server bound to loopback).
"""

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
import time

from aiosmtpd.smtp import SMTP, AuthResult

REPLIES = {
    "4xx": "451 4.3.0 Try again later",
    "5xx": "550 5.1.1 No such user",
}

log = logging.getLogger("smtp-catcher")


def write_atomic(path, data):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(data)
    os.replace(tmp, path)


class Handler:
    def __init__(self, maildir, fail_file):
        self.maildir = maildir
        self.fail_file = fail_file
        self.counter = 0
        self.host = socket.gethostname().replace("/", "_").replace(":", "_")

    def failure(self, stage):
        try:
            with open(self.fail_file) as f:
                words = f.read().split()
        except OSError:
            return None
        if not words or words[0].lower() not in REPLIES:
            return None
        want = words[1].lower() if len(words) > 1 else "data"
        return REPLIES[words[0].lower()] if want == stage else None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.failure("rcpt")
        if reply:
            log.info("RCPT %s rejected (fail mode): %s", address, reply)
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self.failure("data")
        if reply:
            log.info("DATA from %s to %s rejected (fail mode): %s",
                     envelope.mail_from, envelope.rcpt_tos, reply)
            return reply
        content = envelope.original_content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        eol = b"\r\n" if b"\r\n" in content[:4096] else b"\n"
        head = (b"X-Folio-Envelope-From: " + (envelope.mail_from or "").encode()
                + eol + b"X-Folio-Envelope-To: "
                + ",".join(envelope.rcpt_tos).encode() + eol)
        now = time.time()
        self.counter += 1
        name = "%d.M%06dP%dQ%d.%s" % (int(now), int((now % 1) * 1e6),
                                      os.getpid(), self.counter, self.host)
        tmp = os.path.join(self.maildir, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(head + content)
        os.rename(tmp, os.path.join(self.maildir, "new", name))
        log.info("stored %s from %s to %s (%d bytes)", name,
                 envelope.mail_from, ",".join(envelope.rcpt_tos), len(content))
        return "250 OK: queued as " + name


def accept_any_auth(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("state_dir")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--pidfile")
    ap.add_argument("--fail-file")
    args = ap.parse_args()

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    maildir = os.path.join(os.path.abspath(args.state_dir), "mail")
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    fail_file = args.fail_file or os.path.join(maildir, "fail")
    handler = Handler(maildir, fail_file)

    def factory():
        # Explicit hostname: the default calls getfqdn(), slow without DNS.
        return SMTP(handler, hostname="folio-smtp-catcher",
                    data_size_limit=64 * 1024 * 1024, enable_SMTPUTF8=True,
                    authenticator=accept_any_auth, auth_require_tls=False)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        server = loop.run_until_complete(loop.create_server(
            factory, host=args.host, port=args.port, reuse_address=True))
    except OSError as e:
        log.error("cannot listen on %s:%d: %s", args.host, args.port, e)
        return 1
    port = server.sockets[0].getsockname()[1]
    if args.pidfile:
        write_atomic(args.pidfile, "%d\n" % os.getpid())
    write_atomic(os.path.join(maildir, "port"), "%d\n" % port)
    log.info("listening on %s:%d (maildir %s)", args.host, port, maildir)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, loop.stop)
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()
        if args.pidfile:
            try:
                with open(args.pidfile) as f:
                    mine = f.read().strip() == str(os.getpid())
                if mine:
                    os.unlink(args.pidfile)
            except OSError:
                pass
        log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
