#!/usr/bin/env bash
# The Windows build, tried on Linux: cross-builds MailPorter's engine, the
# headless mailporter-cli.exe and the unit suites with MinGW-w64 (the prefix
# of script/windows-deps; built first when missing), runs the unit suites
# under Wine, then has the Windows mailporter-cli.exe relay a box of the real
# test bed (Dovecot POP3S and IMAPS with a verified certificate, Postfix) on
# loopback, as a Linux engine would.
#
# Usage: tests/windows/run.sh [BUILD_DIR]   (default: build/windows)
# Needs root for the test bed (as the integration tests); exits 77 (skip)
# without it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "$here/../.." && pwd)
build=${1:-$tree/build/windows}
fail() { echo "FAIL: $*"; exit 1; }

prefix=${MAILPORTER_WINDEPS_PREFIX:-$("$tree/script/windows-deps")}
[ -d "$prefix" ] || fail "no Windows dependency prefix"
units=(test_core_basics test_proto test_imap_parser test_mail test_detect test_oauth test_engine_units test_windows)
cmake -S "$tree" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$tree/cmake/mingw-w64-x86_64.cmake" -DMAILPORTER_WINDEPS_PREFIX="$prefix" \
  -DMAILPORTER_BUILD_APP=OFF -DMAILPORTER_BUILD_TESTS=ON >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; fail "configure"; }
cmake --build "$build" -j"$(nproc)" --target mailporter-cli "${units[@]}"

wine=/usr/lib/wine/wine64; [ -x "$wine" ] || wine=wine
export WINEPREFIX WINEDEBUG=-all
WINEPREFIX=$(mktemp -d)
bed=""
cleanup() {
    [ -z "$bed" ] || "$tree/script/testbed" down --dir "$bed" >/dev/null 2>&1 || true
    wineserver -k 2>/dev/null || true
    rm -rf "$WINEPREFIX" ${bed:+"$bed"}
}
trap cleanup EXIT

echo "== unit suites under Wine"
for t in "${units[@]}"; do
    out=$("$wine" "$build/tests/$t.exe" 2>&1) || { echo "$out" | tail -30; fail "$t.exe"; }
    summary=$(echo "$out" | grep -E '^All tests passed' || true)
    [ -n "$summary" ] || { echo "$out" | tail -30; fail "$t.exe did not say that all tests passed"; }
    echo "$t.exe: $summary"
done

echo "== mailporter-cli.exe relays a box of the Linux test bed"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: the test bed needs root"; exit 77; }
bed=$(mktemp -d /tmp/mailporter-winbed.XXXXXX)
base=$(( 30000 + RANDOM % 20000 ))
"$tree/script/testbed" up --dir "$bed" --base-port "$base" >"$bed.log" 2>&1 || { cat "$bed.log"; fail "test bed"; }
# shellcheck disable=SC1091
. "$bed/bed.env"
# Wine sees the Linux root as drive Z:; OpenSSL on Windows reads SSL_CERT_FILE too.
export SSL_CERT_FILE="Z:${CA_FILE//\//\\}"
put() {  # put USER N: N messages in USER's remote Maildir, as the bed's owner
    local i f
    for i in $(seq 1 "$2"); do
        f="$REMOTE_MAILDIR_ROOT/$1/Maildir/new/$(date +%s%N).win$i.localhost"
        printf 'From: sender@example.com\r\nTo: %s@example.com\r\nSubject: from Windows %s\r\nMessage-ID: <win%s.%s@example.com>\r\nDate: Sat, 05 Dec 2026 05:00:00 +0000\r\n\r\nBody %s\r\n' \
            "$1" "$i" "$i" "$RANDOM" "$i" >"$f"
        chown "$MAIL_UID:$MAIL_GID" "$f"
    done
}
office_count() { find "$OFFICE_MAILDIR_ROOT/$1" -type f -path '*/new/*' 2>/dev/null | wc -l; }
cli() { "$wine" "$build/cli/mailporter-cli.exe" --data-dir 'C:\mailporter-test' --secret-store file "$@"; }
put alice 3
put bob 2
cli server set --host 127.0.0.1 --port "$SMTP_PORT" --tls none
printf '%s' "$PASSWORD_ALICE" | cli account add alice --protocol pop3 --host localhost --port "$POP3S_PORT" --tls tls \
    --user alice --password-stdin --deliver-to alice@office.test
printf '%s' "$PASSWORD_BOB" | cli account add bob --protocol imap --host localhost --port "$IMAPS_PORT" --tls tls \
    --user bob --password-stdin --deliver-to bob@office.test
cli poll
cli status
[ "$(office_count alice)" -eq 3 ] || fail "alice: $(office_count alice) of 3 messages reached the office server"
[ "$(office_count bob)" -eq 2 ] || fail "bob: $(office_count bob) of 2 messages reached the office server"
left=$(find "$REMOTE_MAILDIR_ROOT/alice/Maildir" -type f -path '*/new/*' -o -type f -path '*/cur/*' | wc -l)
[ "$left" -eq 0 ] || fail "alice: $left messages still on the remote server after a 'delete' pass"
cli status | grep -q '^alice: green' || fail "alice is not green"
# An untrusted certificate is refused, not silently accepted.
printf '%s' "$PASSWORD_CAROL" | cli account add selfsigned --protocol pop3 --host localhost \
    --port "$POP3S_SELFSIGNED_PORT" --tls tls --user carol --password-stdin --deliver-to carol@office.test
if cli poll --account selfsigned >/dev/null 2>&1; then fail "a self-signed certificate was accepted"; fi
cli status | grep -q '^selfsigned: red (cert-untrusted)' || { cli status; fail "the self-signed server is not cert-untrusted"; }
# The default store on Windows: the Credential Manager (chosen by "auto").
put carol 1
auto() { "$wine" "$build/cli/mailporter-cli.exe" --data-dir 'C:\mailporter-auto' "$@"; }
auto server set --host 127.0.0.1 --port "$SMTP_PORT" --tls none
added=$(printf '%s' "$PASSWORD_CAROL" | auto account add carol --protocol pop3 --host localhost --port "$POP3S_PORT" \
    --tls tls --user carol --password-stdin --deliver-to carol@office.test)
echo "$added"
case "$added" in *"keyring store"*) ;; *) fail "the password did not go to the Credential Manager";; esac
auto poll
[ "$(office_count carol)" -eq 1 ] || fail "carol: the password from the Credential Manager did not log in"

echo "== mailporter-cli.exe as a Windows service"
# Services live as long as the wine server: let the last one end, then
# start one that stays for this part (the cleanup kills it).
wineserver -w
wineserver -p
svc() { "$wine" "$build/cli/mailporter-cli.exe" "$@"; }
sdata='C:\mailporter-service'
sd() { svc --data-dir "$sdata" --secret-store file "$@"; }
put alice 2
sd server set --host 127.0.0.1 --port "$SMTP_PORT" --tls none
# A service does not see the environment of the prompt that started it (as
# on Windows), so SSL_CERT_FILE does not reach it: the account pins the
# server's certificate instead, as an admin would for a self-signed one.
printf '%s' "$PASSWORD_ALICE" | sd account add alice --protocol pop3 --host localhost --port "$POP3S_PORT" --tls tls \
    --user alice --password-stdin --deliver-to alice@office.test --trust-fingerprint "$SERVER_SHA256"
before=$(office_count alice)
svc --data-dir "$sdata" service install
svc service start
svc service status | grep -q 'running' || fail "the service is not running"
for _ in $(seq 1 60); do [ "$(office_count alice)" -ge $((before + 2)) ] && break; sleep 0.5; done
[ "$(office_count alice)" -eq $((before + 2)) ] || { sd status; sd log --limit 20; fail "the service did not deliver alice's 2 messages"; }
sd status | grep -q 'engine running' || fail "status does not see the service's engine"
svc service stop
sd log --limit 5 | grep -q 'engine stopped' || fail "the service's engine did not stop cleanly"
sd status | grep -q 'no engine running' || fail "the engine lock outlived the stopped service"
svc service uninstall
svc service status && fail "the service is still installed"
echo "windows: ok"
