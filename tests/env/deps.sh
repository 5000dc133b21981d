#!/usr/bin/env bash
# Ensure the Debian packages needed to build, test and demo Folio are installed.
# Prints nothing and exits 0 when everything is already there.
set -euo pipefail

PACKAGES="
build-essential
pkg-config
libwebsockets-dev
libjson-c-dev
libpq-dev
libcurl4-openssl-dev
libssl-dev
libncurses-dev
libsodium-dev
liboath-dev
libpwquality-dev
cracklib-runtime
libcmark-dev
libsystemd-dev
libarchive-dev
libmagic-dev
check
postgresql-15
python3
python3-aiosmtpd
python3-websocket
tmux
mandoc
clang
libclang-rt-14-dev
systemd
nginx
openssl
gettext
locales
"

missing=()
for pkg in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
        missing+=("$pkg")
    fi
done

# folio's German screens are tested in de_DE.UTF-8 (tests/tui/test_tui_i18n.py); a fresh
# Debian 12 has only C.UTF-8. Needs the locales package, so it runs after any install.
deps_locale() {
    locale -a 2>/dev/null | grep -qix 'de_DE.utf-\?8' && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "deps.sh: locale de_DE.UTF-8 missing; run: sudo localedef -i de_DE -c -f UTF-8 de_DE.UTF-8" >&2
        return 1
    fi
    localedef -i de_DE -c -f UTF-8 -A /usr/share/locale/locale.alias de_DE.UTF-8 >/dev/null 2>&1 || true
    locale -a 2>/dev/null | grep -qix 'de_DE.utf-\?8' || { echo "deps.sh: localedef de_DE.UTF-8 failed" >&2; return 1; }
}

[ "${#missing[@]}" -eq 0 ] && { deps_locale; exit $?; }

if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing packages; run:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

log="${TMPDIR:-/tmp}/folio-deps.$$.log"
echo "deps.sh: installing ${missing[*]} (log: $log)" >&2

fail() {
    echo "deps.sh: $1; last lines of $log:" >&2
    tail -n 30 "$log" >&2 || true
    exit 1
}

apt_update() {
    apt-get update -q -o DPkg::Lock::Timeout=300 >>"$log" 2>&1 || fail "apt-get update failed"
}

apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o DPkg::Lock::Timeout=300 \
        "${missing[@]}" >>"$log" 2>&1
}

: >"$log"
# Update the package lists only when there are none yet, or when installing
# from the existing (possibly stale) lists fails.
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    apt_update
    apt_install || fail "apt-get install failed"
elif ! apt_install; then
    apt_update
    apt_install || fail "apt-get install failed"
fi
rm -f "$log"
deps_locale
