"""folio and the terminal: 256 colours when the terminal has them (and none
with NO_COLOR), the optional mouse, panes side by side on a wide terminal
(one at a time at 80x24), and the event stream by long polling when the
WebSocket cannot connect or the configuration asks for it."""

import re

import harness as h
import tuilib

srv = h.server()
firm = h.Firm(srv)
names = ["Alpha AG", "Beta GmbH", "Gamma KG", "Delta SE", "Epsilon Ltd", "Zeta Co"]
accounts = {n: firm.account(n) for n in names}
carla = firm.contact(accounts["Alpha AG"]["id"], name="Carla Kunde")
thread = firm.thread(accounts["Alpha AG"]["id"], subject="Quarterly figures", body="Send the Q3 figures.")
# A colour other than the terminal's own (39, 49): 30-37, 40-47, or one of 256.
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|4[0-7]|38;5;\d+|48;5;\d+)(?:;[0-9;]*)?m")
# The cursor row: reverse video, or a background of its own (256 colours).
SELECTED = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:7|48;5;\d+)(?:;[0-9;]*)?m")



def open_alpha_thread(t):
    t.wait("Alpha AG")
    t.keys("/")
    t.text("alpha")
    t.wait("Filter: alpha")
    t.keys("Enter", "Enter")
    t.wait("Quarterly figures")
    t.keys("Enter")
    t.wait("Send the Q3 figures.")


@h.test
def colours_256_unless_no_color():
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24, env={"TERM": "tmux-256color"})
    tuilib.require_events(firm.owner)
    t.wait("[live]")
    s = t.styled()
    h.ok(re.search(r"38;5;\d+|48;5;\d+", s), f"256-colour sequences:\n{s!r}")
    t.stop()
    t = u.start(80, 24, env={"TERM": "tmux-256color", "NO_COLOR": "1"})
    t.wait("Alpha AG")
    s = t.styled()
    h.ok(not COLOUR.search(s), f"no colour with NO_COLOR:\n{s!r}")
    h.ok("\x1b[" in s, "attributes (reverse, bold) still mark things")
    t.stop()
    u.config("colours = 8\n")
    t = u.start(80, 24, env={"TERM": "tmux-256color"})
    t.wait("Alpha AG")
    s = t.styled()
    h.ok(COLOUR.search(s) and not re.search(r"38;5;\d+|48;5;\d+", s), f"8 colours:\n{s!r}")
    t.stop()


@h.test
def mouse_is_off_unless_configured():
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(80, 24)
    t.wait("Alpha AG")
    h.eq(t.tmux("display-message", "-p", "#{mouse_any_flag}").strip(), "0", "no mouse reporting")
    t.stop()


@h.test
def mouse_click_selects_then_opens_and_wheel_scrolls():
    u = tuilib.User(srv, firm.owner_email)
    u.config("mouse = on\nwide = 0\n")
    t = u.start(80, 24)
    t.wait("Zeta Co")
    h.wait_for(lambda: t.tmux("display-message", "-p", "#{mouse_any_flag}").strip() == "1", 10,
               "folio to ask for mouse reports")
    t.keys("s")  # by name: Alpha, Beta, Delta, Epsilon, Gamma, Zeta on rows 1 to 6
    t.wait("sorted by name")
    row = tuilib.row_of(t.screen(), "Delta SE")[0]
    t.click(5, row)  # selects the row
    h.wait_for(lambda: SELECTED.search(t.styled().split("\n")[row]), 10, "Delta SE selected")
    t.click(5, row)  # the selected row: opens it
    t.wait("Delta SE | open threads")
    t.keys("q")
    t.wait("Zeta Co")
    t.keys("g")  # top: Alpha
    t.wheel(5, 3)  # three down: Epsilon
    t.keys("Enter")
    t.wait("Epsilon Ltd | open threads")
    t.stop()


@h.test
def wide_terminal_shows_three_panes_and_80x24_one():
    u = tuilib.User(srv, firm.owner_email)
    t = u.start(200, 50)
    open_alpha_thread(t)
    s = t.screen()
    title = s.split("\n")[0]
    h.ok(title.startswith(" Folio | Accounts (1)"), title)
    h.ok("Alpha AG | open threads" in title and "Alpha AG | Quarterly figures" in title, title)
    rows = s.split("\n")
    row = next(i for i, l in enumerate(rows) if "Send the Q3 figures." in l)
    h.ok(rows[row].count("\u2502") == 2, f"two lines between three panes: {rows[row]!r}")
    h.ok("Quarterly figures" in rows[1], f"the thread list beside the thread:\n{s}")
    t.keys("q")  # back to the list: the thread stays on the right
    t.wait("Enter:open  a:archived")
    h.ok("Send the Q3 figures." in t.screen(), "the thread pane keeps the thread")
    t.resize(80, 24)
    s = t.wait(re.compile(r"^ Folio \| Alpha AG \| open threads *$", re.M))
    h.ok("\u2502" not in s and "Send the Q3 figures." not in s, f"one pane at 80x24:\n{s}")
    t.resize(200, 50)
    t.wait("Send the Q3 figures.")
    t.stop()


@h.test
def long_poll_when_the_websocket_is_refused():
    tuilib.require_events(firm.owner)
    proxy = tuilib.NoUpgradeProxy(srv)
    try:
        u = tuilib.User(srv, firm.owner_email)
        u.env["FOLIO_SERVER"] = proxy.url
        t = u.start(80, 24)
        open_alpha_thread(t)
        t.wait("[live, polling]", timeout=30)
        carla.must("POST", f"/api/v1/threads/{thread['id']}/messages", {"body": "Polled reply 📊"},
                   status=201)
        t.wait("Polled reply 📊")
        t.keys("C-c")
        h.eq(t.wait_exit(), 0, "quits at once, also while a poll waits")
        t.stop()
    finally:
        proxy.stop()


@h.test
def events_poll_option():
    tuilib.require_events(firm.owner)
    u = tuilib.User(srv, firm.owner_email)
    u.config("events = poll\n")
    t = u.start(80, 24)
    open_alpha_thread(t)
    t.wait("[live, polling]")
    carla.must("POST", f"/api/v1/threads/{thread['id']}/messages", {"body": "Second polled reply"},
               status=201)
    t.wait("Second polled reply")
    t.stop()


@h.test
def bad_config_line_is_reported():
    u = tuilib.User(srv, firm.owner_email)
    u.config("mouse = sometimes\n")
    t = u.start(100, 24)
    t.wait("mouse: \"sometimes\" is not one of on|off")
    t.stop()


h.main()
