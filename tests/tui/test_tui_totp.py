"""folio and two-factor login (issue 13, part 7): `folio login` asks for the code after the password
(or takes --totp), `folio totp enrol` prints the otpauth URI and secret, asks for a code and prints
the recovery codes, `folio totp recovery-codes` and `folio totp disable`; the German texts."""
import os
import re
import subprocess

import harness as h
import tuilib
from tuilib import folio
from totpcodes import Codes

srv = h.server()
firm = h.Firm(srv)


def one_line_error(r, code=1):
    h.eq(r.returncode, code, f"exit status (stdout {r.stdout!r}, stderr {r.stderr!r})")
    err = r.stderr.strip()
    h.ok(err.startswith("folio: "), f"stderr {err!r} starts with folio:")
    h.eq(len(err.splitlines()), 1, f"lines in stderr {err!r}")
    return err


def enrol(u):
    """`folio totp enrol`: reads the secret it prints, answers with a code; returns (Codes, stdout)."""
    p = subprocess.Popen([tuilib.FOLIO, "totp", "enrol"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=u.env)
    lines = []
    while True:
        line = p.stdout.readline()
        if line == "" or len(lines) >= 3:  # the secret is the third line: never wait on a blocked folio
            p.kill()
            raise h.Failure(f"folio totp enrol printed no secret: {''.join(lines + [line])!r}")
        lines.append(line)
        m = re.match(r"^  \S+: ([A-Z2-7]{32})$", line.rstrip("\n"))  # "  Secret: ...", "  Geheimnis: ..."
        if m:
            break
    codes = Codes(m.group(1))
    out, err = p.communicate(codes.next() + "\n", timeout=60)
    h.eq(p.returncode, 0, f"folio totp enrol: {err!r}")
    return codes, "".join(lines) + out


def recovery_codes(out):
    return [w.strip() for w in out.splitlines() if len(w.strip()) == 11 and w.strip()[5] == "-"]


@h.test
def enrol_then_log_in_with_the_code():
    email = firm.staff().user["email"]
    u = tuilib.User(srv, email)
    r = folio(u, "totp")
    h.eq((r.returncode, r.stdout.strip()), (0, "Two-factor login is off."), r.stderr)
    codes, out = enrol(u)
    h.ok("otpauth://totp/" in out and "issuer=Folio" in out, f"the URI: {out!r}")
    rc = recovery_codes(out)
    h.eq(len(rc), 10, f"ten recovery codes: {out!r}")
    h.ok("Two-factor login is on (since " in folio(u, "totp").stdout, "status: on")
    # The password alone, with no code to read: one line saying what is missing; no session.
    v = tuilib.User(srv)
    r = folio(v, "login", "--email", email, input=tuilib_password())
    h.ok("--totp" in one_line_error(r), "the error names --totp")
    h.ok(not os.path.exists(os.path.join(v.state, "session.json")), "no session file")
    # The code on the line after the password (the prompt), then with --totp.
    r = folio(v, "login", "--email", email, input=tuilib_password() + codes.next() + "\n")
    h.eq(r.returncode, 0, r.stderr)
    h.ok(os.path.exists(os.path.join(v.state, "session.json")), "a session file")
    r = folio(v, "login", "--email", email, "--totp", codes.next(), input=tuilib_password())
    h.eq(r.returncode, 0, r.stderr)
    # A wrong code: the server's reason, nothing stored over the session.
    r = folio(v, "login", "--email", email, "--totp", codes.wrong(), input=tuilib_password())
    h.ok("wrong or was used" in one_line_error(r), r.stderr)
    # A recovery code at the prompt, once.
    r = folio(v, "login", "--email", email, input=tuilib_password() + rc[0] + "\n")
    h.eq(r.returncode, 0, r.stderr)
    one_line_error(folio(v, "login", "--email", email, "--totp", rc[0], input=tuilib_password()))
    # New recovery codes, then off (password, then a recovery code as the code).
    r = folio(u, "totp", "recovery-codes", "--code", codes.next())
    new = recovery_codes(r.stdout)
    h.eq((r.returncode, len(new)), (0, 10), r.stderr)
    r = folio(u, "totp", "disable", input=tuilib_password() + new[0] + "\n")
    h.eq((r.returncode, r.stdout.strip()), (0, "Two-factor login is off."), r.stderr)
    h.eq(folio(v, "login", "--email", email, input=tuilib_password()).returncode, 0, "the password alone")


@h.test
def the_firm_policy_says_to_enrol_in_german():
    f = h.Firm(srv)
    email = f.staff().user["email"]
    f.owner.must("PATCH", "/api/v1/firm", {"require_totp": "staff"})
    u = tuilib.User(srv)
    de = {"LANG": "de_DE.UTF-8", "LC_ALL": "de_DE.UTF-8"}
    r = folio(u, "login", "--email", email, input=tuilib_password(), env=de)
    h.eq(r.returncode, 0, r.stderr)
    h.ok("Ihre Kanzlei verlangt die Zwei-Faktor-Anmeldung" in r.stdout, r.stdout)
    r = folio(u, "totp", env=de)
    h.ok("ausgeschaltet" in r.stdout and "Ihre Kanzlei verlangt sie." in r.stdout, r.stdout)
    r = folio(u, "threads", "--account", "x", env=de)
    h.ok("totp" in one_line_error(r).lower(), f"another command names the enrolment: {r.stderr!r}")
    u.env.update(de)
    codes, out = enrol(u)
    h.ok("Wiederherstellungscodes" in out and len(recovery_codes(out)) == 10, out)
    h.eq(folio(u, "accounts").returncode, 0, "enrolled: the same session does everything")


def tuilib_password():
    return h.PASSWORD + "\n"


h.main()
