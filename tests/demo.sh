#!/usr/bin/env bash
# make demo: install what is missing, build, start a private PostgreSQL and an
# SMTP catcher under .state/demo, seed a demo firm once, run foliod and open
# the terminal client logged in as the owner. Everything stops when you quit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

OWNER_EMAIL=owner@demo.folio
OWNER_PASSWORD=demo-password

tests/env/deps.sh
make -j2 all >/dev/null

state=${FOLIO_DEMO_STATE:-$root/.state/demo}
mkdir -p "$state"
if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$state"; then
	# PostgreSQL runs as "postgres" and must reach its folder: use one it can.
	state=/var/tmp/folio-demo-$(printf '%s' "$root" | md5sum | cut -c1-8)
	mkdir -p "$state"
	chmod 755 "$state"
fi
echo "state folder: $state"

pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	tests/env/smtp.sh stop "$state" >/dev/null 2>&1 || true
	tests/env/pg.sh stop "$state" >/dev/null 2>&1 || true
}
trap cleanup EXIT

FOLIO_PG_FAST=0 tests/env/pg.sh start "$state" >/dev/null
smtp_port=$(tests/env/smtp.sh start "$state")
export FOLIO_DATABASE_URL
FOLIO_DATABASE_URL=$(tests/env/pg.sh url "$state")
export FOLIO_SMTP_URL=smtp://127.0.0.1:$smtp_port
export FOLIO_SQL_DIR=$root/sql

port=${FOLIO_DEMO_PORT:-8080}
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
export FOLIO_PUBLIC_URL=http://127.0.0.1:$port
server/foliod serve --listen "127.0.0.1:$port" >"$state/foliod.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
	sleep 0.1
done

if [ ! -f "$state/seeded" ]; then
	echo "$OWNER_PASSWORD" | server/foliod create-firm --name "Kanzlei Demo" \
		--owner-email "$OWNER_EMAIL" --owner-name "Olga Owner" >/dev/null
	/usr/bin/python3 tests/demo-seed.py "$port" "$OWNER_EMAIL" "$OWNER_PASSWORD"
	touch "$state/seeded"
fi

export XDG_STATE_HOME=$state/tui-state XDG_CONFIG_HOME=$state/tui-config
printf '%s\n' "$OWNER_PASSWORD" | tui/folio login --server "http://127.0.0.1:$port" --email "$OWNER_EMAIL" >/dev/null
cat <<INFO

Folio demo is running at http://127.0.0.1:$port (log: $state/foliod.log)
  owner:   $OWNER_EMAIL / $OWNER_PASSWORD
  staff:   anna@demo.folio, ben@demo.folio / demo-password
  clients: client1@demo.folio … client30@demo.folio / demo-password
  mail:    every mail the demo sends lands in $state/mail/new/
INFO
if [ -t 0 ] && [ -t 1 ]; then
	# The TUI takes the screen: the logins and the mail folder stay in its status line (folio(1)).
	FOLIO_NOTICE="demo: owner@, anna@, ben@, client1..30@demo.folio / $OWNER_PASSWORD; mail: $state/mail/new/" \
		tui/folio
else
	tui/folio accounts
fi
