"""Mail assertions for integration tests (test_mail.py, test_reminders.py).

Reads the suite's SMTP catcher through tests/env/mailbox.py and drives it
with tests/env/smtp.sh. Every test file shares one catcher, so tests make
their recipients unique (the harness does) and look only at their own:

    import mailcheck as mc
    mc.drained(srv, addr)              # nothing left to send to addr
    got = mc.to(addr)                  # mails delivered to addr, in order
    mc.wait_count(addr, 2)             # waits until 2 arrived (fails on more)
"""

import importlib.util
import os
import subprocess
import time

import harness as h

_spec = importlib.util.spec_from_file_location(
    "folio_mailbox", os.path.join(h.ROOT, "tests", "env", "mailbox.py"))
mailbox = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mailbox)

SMTP_SH = os.path.join(h.ROOT, "tests", "env", "smtp.sh")


def to(addr):
    """Mails delivered to addr (envelope recipient), in delivery order."""
    addr = addr.lower()
    return [m for m in mailbox.messages(h.STATE) if addr in (a.lower() for a in m["envelope_to"])]


def subjects(addr):
    return [m["subject"] for m in to(addr)]


def outbox(srv, where="true"):
    """Outbox rows as (to_email, kind, state, attempts, last_error) tuples; where is trusted test SQL."""
    out = srv.db.sql(f"SELECT to_email, kind, state, attempts, coalesce(last_error, '') FROM mail_outbox"
                     f" WHERE {where} ORDER BY id")
    return [tuple(line.split("|")) for line in out.splitlines() if line]


def pending(srv, addrs):
    emails = ",".join("'%s'" % a.replace("'", "''") for a in addrs)
    return int(srv.db.sql("SELECT count(*) FROM mail_outbox WHERE state IN ('pending', 'sending')"
                          f" AND lower(to_email) IN ({emails.lower()})"))


def drained(srv, *addrs, timeout=20):
    """Waits until nothing is left to send to addrs (the catcher stores before it answers 250)."""
    h.wait_for(lambda: pending(srv, addrs) == 0, timeout, f"the outbox to drain for {addrs}")


def wait_count(addr, n, timeout=20):
    """Waits until exactly n mails reached addr; fails when more arrive."""
    def enough():
        got = to(addr)
        if len(got) > n:
            raise h.Failure(f"{len(got)} mails to {addr}, want {n}: {[m['subject'] for m in got]}")
        return got if len(got) == n else None
    return h.wait_for(enough, timeout, f"{n} mails to {addr}")


def smtp(cmd, *args):
    """Runs tests/env/smtp.sh cmd STATE args...; returns its output."""
    out = subprocess.run([SMTP_SH, cmd, h.STATE, *map(str, args)], capture_output=True, text=True)
    if out.returncode != 0:
        raise h.Failure(f"smtp.sh {cmd}: {out.stderr.strip()}")
    return out.stdout.strip()


def smtp_restart():
    """Brings the catcher back on the suite's port (after a stop), failure mode off."""
    smtp("fail", "off")
    smtp("start", h.SMTP_PORT)


def settle(seconds=0.5):
    """Gives a mailer a moment to do what it should not (for "no more mail" checks)."""
    time.sleep(seconds)


def log_errors(srv):
    """Error lines in a server's log (a failing statement logs one; SMTP trouble only warns)."""
    with open(srv.log, errors="replace") as f:
        return [line.strip()[:300] for line in f if '"level":"error"' in line]
