#!/usr/bin/env bash
# Catch-all SMTP server on 127.0.0.1 for Folio tests and demo.
#
#   smtp.sh start STATE_DIR [PORT]   start in the background, print the port
#   smtp.sh stop STATE_DIR           stop it (no-op if not running)
#   smtp.sh port STATE_DIR           print the port it listens (or listened) on
#   smtp.sh status STATE_DIR         exit 0 if running
#   smtp.sh fail STATE_DIR MODE      MODE: 4xx|5xx [data|rcpt], or "off"
#
# Mail is stored in the maildir STATE_DIR/mail; see smtp-catcher.py and
# mailbox.py. PORT defaults to 0 (a free port); pass the old port to come
# back on the same one after a stop.
set -euo pipefail

SELF=$(basename "$0")
HERE=$(cd "$(dirname "$0")" && pwd -P)
PY=/usr/bin/python3

die() { echo "$SELF: $*" >&2; exit 1; }
usage() { echo "usage: $SELF start|stop|port|status STATE_DIR [PORT] | fail STATE_DIR MODE" >&2; exit 2; }

if [ $# -lt 2 ] || [ -z "$2" ]; then usage; fi
CMD=$1
STATE=$(realpath -m -- "$2")
MAIL=$STATE/mail
PIDFILE=$MAIL/smtp.pid
PORTFILE=$MAIL/port
LOG=$MAIL/smtp.log

# True if the process exists and is not a zombie (our init may reap late).
alive() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    case "${st%% *}" in
        '' | Z | X) return 1 ;;
    esac
}

# Prints the catcher's pid if it is running.
running_pid() {
    local pid
    [ -f "$PIDFILE" ] || return 1
    pid=$(head -n 1 "$PIDFILE" 2>/dev/null || true)
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    alive "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'smtp-catcher' || return 1
    echo "$pid"
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

do_start() {
    local want=${1:-0} pid port i
    [[ "$want" =~ ^[0-9]+$ ]] || die "bad port: $want"
    if pid=$(running_pid); then
        port=$(cat "$PORTFILE")
        if [ "$want" != 0 ] && [ "$want" != "$port" ]; then
            die "already running (pid $pid) on port $port, not $want"
        fi
        echo "$port"
        return 0
    fi
    [ -x "$PY" ] || die "$PY not found"
    "$PY" -c 'import aiosmtpd' 2>/dev/null || die "python3-aiosmtpd is not installed (see tests/env/deps.sh)"
    mkdir -p "$MAIL/tmp" "$MAIL/new" "$MAIL/cur"
    rm -f "$PIDFILE" "$PORTFILE"
    nohup setsid "$PY" "$HERE/smtp-catcher.py" "$STATE" --port "$want" \
        --pidfile "$PIDFILE" </dev/null >>"$LOG" 2>&1 &
    pid=$!
    for ((i = 0; i < 150; i++)); do
        if [ -s "$PORTFILE" ] && [ -s "$PIDFILE" ]; then
            port=$(cat "$PORTFILE")
            if port_open "$port"; then
                echo "$port"
                return 0
            fi
        fi
        alive "$pid" || break
        sleep 0.1
    done
    kill -TERM "$pid" 2>/dev/null || true
    tail -n 20 "$LOG" >&2 || true
    die "SMTP catcher failed to start (log: $LOG)"
}

do_stop() {
    local pid i
    pid=$(running_pid) || { rm -f "$PIDFILE"; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        alive "$pid" || { rm -f "$PIDFILE"; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
    rm -f "$PIDFILE"
}

case "$CMD" in
    start)
        [ $# -le 3 ] || usage
        do_start "${3:-0}"
        ;;
    stop) do_stop ;;
    port)
        [ -s "$PORTFILE" ] || die "no port recorded in $PORTFILE (never started?)"
        cat "$PORTFILE"
        ;;
    status) running_pid >/dev/null ;;
    fail)
        [ $# -ge 3 ] || usage
        mkdir -p "$MAIL"
        case "$3" in
            off) rm -f "$MAIL/fail" ;;
            4xx | 5xx)
                echo "${*:3}" >"$MAIL/fail.tmp"
                mv -f "$MAIL/fail.tmp" "$MAIL/fail"
                ;;
            *) die "bad fail mode: $3 (4xx|5xx [data|rcpt] or off)" ;;
        esac
        ;;
    *) usage ;;
esac
