#!/usr/bin/python3
"""Read the maildir written by smtp-catcher.py (tests helper; stdlib only).

    mailbox.py list STATE_DIR          one JSON object per stored mail
    mailbox.py clear STATE_DIR         delete all stored mail
    mailbox.py wait STATE_DIR N [SEC]  wait until >= N mails exist (default 10 s)

As a module: messages(state_dir), clear(state_dir), wait(state_dir, n, timeout).
Each message is a dict: file, envelope_from, envelope_to (list), from, to,
subject (RFC 2047-decoded), message_id, body_text (decoded text/plain part).
"""

import json
import os
import sys
import time
from email import policy
from email.parser import BytesParser


def _files(state_dir):
    maildir = os.path.join(os.path.abspath(state_dir), "mail")
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(maildir, sub)
        try:
            names = os.listdir(d)
        except FileNotFoundError:
            continue
        out += [os.path.join(d, n) for n in names if not n.startswith(".")]
    # Names start with the delivery time, so this is delivery order.
    return sorted(out, key=os.path.basename)


def _text(value):
    return "" if value is None else str(value)


def parse(path):
    with open(path, "rb") as f:
        msg = BytesParser(policy=policy.default).parse(f)
    body = msg.get_body(preferencelist=("plain",))
    try:
        body_text = body.get_content() if body is not None else ""
    except (LookupError, ValueError):
        body_text = body.get_payload(decode=True).decode("utf-8", "replace")
    env_to = _text(msg.get("X-Folio-Envelope-To"))
    return {
        "file": path,
        "envelope_from": _text(msg.get("X-Folio-Envelope-From")),
        "envelope_to": [a.strip() for a in env_to.split(",") if a.strip()],
        "from": _text(msg.get("From")),
        "to": _text(msg.get("To")),
        "subject": _text(msg.get("Subject")),
        "message_id": _text(msg.get("Message-ID")).strip(),
        "body_text": body_text,
    }


def messages(state_dir):
    return [parse(p) for p in _files(state_dir)]


def clear(state_dir):
    maildir = os.path.join(os.path.abspath(state_dir), "mail")
    for sub in ("tmp", "new", "cur"):
        d = os.path.join(maildir, sub)
        try:
            names = os.listdir(d)
        except FileNotFoundError:
            continue
        for n in names:
            try:
                os.unlink(os.path.join(d, n))
            except FileNotFoundError:
                pass


def wait(state_dir, n, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        count = len(_files(state_dir))
        if count >= n or time.monotonic() >= deadline:
            return count
        time.sleep(0.1)


def main(argv):
    usage = "usage: mailbox.py list|clear STATE_DIR | wait STATE_DIR N [SECONDS]"
    if len(argv) < 3:
        print(usage, file=sys.stderr)
        return 2
    cmd, state = argv[1], argv[2]
    if cmd == "list" and len(argv) == 3:
        sys.stdout.reconfigure(encoding="utf-8")
        for m in messages(state):
            print(json.dumps(m, ensure_ascii=False))
        return 0
    if cmd == "clear" and len(argv) == 3:
        clear(state)
        return 0
    if cmd == "wait" and len(argv) in (4, 5):
        want = int(argv[3])
        got = wait(state, want, float(argv[4]) if len(argv) == 5 else 10.0)
        if got < want:
            print("mailbox.py: %d of %d mails after timeout" % (got, want),
                  file=sys.stderr)
            return 1
        return 0
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
