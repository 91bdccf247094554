#!/usr/bin/env bash
# The Windows build, tried on Linux: cross-builds MailPorter (engine, the
# headless mailporter-cli.exe, the tray app mailporter.exe) and the unit
# suites with MinGW-w64 (the prefix of script/windows-deps; built first when
# missing), then under Wine:
#   - runs the unit and scripted suites, through CTest;
#   - has mailporter-cli.exe relay boxes of the real test bed (Dovecot POP3S
#     and IMAPS with a verified certificate, Postfix) on loopback, with the
#     file store and with the Credential Manager;
#   - drives the tray app on a private Xvfb (its status window, pause and
#     resume, the account wizard against the bed) and keeps its screenshots
#     in BUILD_DIR/artifacts;
#   - runs the engine as a Windows service;
#   - builds MailPorter-<version>-win64.exe with CPack and NSIS, installs it
#     silently, runs what it installed, upgrades it with the service option
#     and uninstalls it.
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
# The unit suites, and the scripted ones (in-process fake servers that
# misbehave on cue: faults, attacks, the ledger, the engine facade). Not yet
# on Windows: test_store (it forks), test_dns_client (POSIX sockets), and
# test_engine_scripted: it builds and mostly passes, but its "pause survives
# an engine restart" case hung under Wine in two of three CTest runs (its
# watchdog ends it after 60 s) and never in six direct runs; to be found.
units=(test_core_basics test_proto test_imap_parser test_mail test_detect test_oauth test_engine_units test_windows
       test_scripted test_imap_session test_imap_relay test_ledger test_bearer test_oauth_flows)
mkdir -p "$build"
cmake -S "$tree" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$tree/cmake/mingw-w64-x86_64.cmake" -DMAILPORTER_WINDEPS_PREFIX="$prefix" \
  -DMAILPORTER_BUILD_APP=ON -DMAILPORTER_BUILD_TESTS=ON >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; fail "configure"; }
cmake --build "$build" -j"$(nproc)" --target mailporter-cli mailporter mailporter-selftest "${units[@]}"
artifacts=$build/artifacts
rm -rf "$artifacts"
mkdir -p "$artifacts"

wine=/usr/lib/wine/wine64; [ -x "$wine" ] || wine=wine
export WINEPREFIX WINEDEBUG=${WINEDEBUG:--all}
# A crash ends the program at once instead of waiting on Wine's debugger.
export WINEDLLOVERRIDES="winedbg.exe=d${WINEDLLOVERRIDES:+;$WINEDLLOVERRIDES}"
WINEPREFIX=$(mktemp -d)
bed="" xvfb=""
cleanup() {
    [ -z "$bed" ] || "$tree/script/testbed" down --dir "$bed" >/dev/null 2>&1 || true
    wineserver -k 2>/dev/null || true
    [ -z "$xvfb" ] || kill "$xvfb" 2>/dev/null || true
    rm -rf "$WINEPREFIX" ${bed:+"$bed"}
}
trap cleanup EXIT
# A private X display for every Wine process: the first one starts Wine's
# desktop, which keeps the display it saw (none means no windows, ever).
command -v Xvfb >/dev/null || fail "Xvfb is not installed (script/bootstrap installs xvfb)"
for n in $(seq 120 180); do
    [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ] && continue
    Xvfb ":$n" -screen 0 1280x900x24 -nolisten tcp >/dev/null 2>&1 &
    xvfb=$!
    for _ in $(seq 1 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
    if kill -0 "$xvfb" 2>/dev/null && [ -e "/tmp/.X11-unix/X$n" ]; then export DISPLAY=":$n"; break; fi
    xvfb=""
done
[ -n "$xvfb" ] || fail "could not start Xvfb"

echo "== unit and scripted suites, run by CTest through Wine"
# The toolchain file makes Wine CTest's emulator for this build.
# A suite gets a second run after a failure (Wine is not Windows: see
# test_engine_scripted above); a second run that passes is said loudly.
ctest --test-dir "$build" --output-on-failure --repeat until-pass:2 -R "^($(IFS='|'; echo "${units[*]}"))\$" \
    >"$artifacts/suites.log" 2>&1 || { cat "$artifacts/suites.log"; fail "a suite failed under Wine, twice (output above)"; }
cat "$artifacts/suites.log"
if grep -q -E 'Failed|Timeout|Exception' "$artifacts/suites.log"; then
    echo "WARNING: a suite failed once under Wine and passed on its second run (output above)"
fi

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

echo "== the tray app under Wine, on a private Xvfb"
winpath() { printf 'Z:%s' "${1//\//\\}"; }
# app SCENARIO DATA: the self-test of the tray app on DATA (the test build of
# the app, mailporter-selftest.exe; the shipped one has none); its output is kept.
app() {
    local out="$artifacts/app-$1.log"
    if ! timeout 300 "$wine" "$build/tests/mailporter-selftest.exe" --data-dir "$2" --secret-store file --self-test "$1" \
            --artifacts "$(winpath "$artifacts/$1")" >"$out" 2>&1; then
        cat "$out"
        fail "the tray app's $1 self-test (exit code, output above)"
    fi
    grep -q '^selftest: PASS' "$out" || { cat "$out"; fail "the tray app's $1 self-test did not pass"; }
    echo "$1: $(grep -c '^selftest: ok' "$out") checks passed"
}
# A screenshot that shows something: many colours, not an empty window.
shown() {
    local colours
    colours=$(identify -format '%k' "$1" 2>/dev/null || echo 0)
    [ "$colours" -ge 64 ] || fail "$1 looks empty ($colours colours)"
}
# The status window over the boxes relayed above: alice and bob green, the
# self-signed server red; pause, resume and check now.
MAILPORTER_SELFTEST_EXPECT="alice=green,bob=green,selfsigned=red" app states 'C:\mailporter-test'
shown "$artifacts/states/status-window.png"
# The account wizard against the bed's POP3S: Test login, the self-signed
# server's certificate prompt, individual box, saved with its password.
put bob 2
wdata='C:\mailporter-wizard'
"$wine" "$build/cli/mailporter-cli.exe" --data-dir "$wdata" --secret-store file server set --host 127.0.0.1 \
    --port "$SMTP_PORT" --tls none
MAILPORTER_SELFTEST_HOST=localhost MAILPORTER_SELFTEST_PORT="$POP3S_PORT" MAILPORTER_SELFTEST_TLS=tls \
MAILPORTER_SELFTEST_USER=bob MAILPORTER_SELFTEST_PASSWORD="$PASSWORD_BOB" MAILPORTER_SELFTEST_DELIVER_TO=bob@office.test \
MAILPORTER_SELFTEST_SELFSIGNED_PORT="$POP3S_SELFSIGNED_PORT" MAILPORTER_SELFTEST_SELFSIGNED_SHA256="$SELFSIGNED_SHA256" \
    app wizard "$wdata"
for f in "$artifacts"/wizard/*.png; do shown "$f"; done
"$wine" "$build/cli/mailporter-cli.exe" --data-dir "$wdata" --secret-store file account test wizard-box >/dev/null ||
    fail "mailporter-cli.exe cannot log in with the account the wizard saved"
echo "screenshots: $(find "$artifacts" -name '*.png' | wc -l) in $artifacts"

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

echo "== the installer: built with CPack and NSIS, installed silently under Wine"
command -v makensis >/dev/null || fail "makensis is not installed (script/bootstrap installs nsis)"
# CPack packs what `cmake --install` put in a staging folder: its own install
# step would first build every target of this tree, the Windows test suites too.
stage=$build/installer-stage
rm -rf "$stage" "$build"/MailPorter-*-win64.exe
cmake --install "$build" --prefix "$stage" --strip >/dev/null
(cd "$build" && cpack -G NSIS -D CPACK_INSTALL_CMAKE_PROJECTS= -D "CPACK_INSTALLED_DIRECTORIES=$stage;.") \
    >"$artifacts/cpack.log" 2>&1 || { cat "$artifacts/cpack.log"; fail "cpack -G NSIS"; }
installer=$(ls "$build"/MailPorter-*-win64.exe)
echo "installer: $installer ($(du -h "$installer" | cut -f1))"
idir='C:\Program Files\MailPorter'
udir="$WINEPREFIX/drive_c/Program Files/MailPorter"
run_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Run'
run_value() { "$wine" reg query "$run_key" /v MailPorter 2>/dev/null | tr -d '\r' | sed -n 's/.*REG_SZ *//p'; }
service_state() { "$wine" "$udir/bin/mailporter-cli.exe" service status 2>/dev/null | tr -d '\r' || true; }
"$wine" "$installer" /S || fail "the silent install failed"
for f in bin/mailporter.exe bin/mailporter-cli.exe bin/locale/de/LC_MESSAGES/mailporter.mo THIRD-PARTY.txt Uninstall.exe; do
    [ -f "$udir/$f" ] || fail "the installer did not install $f"
done
find "$WINEPREFIX/drive_c" -path '*Start Menu/Programs/MailPorter/MailPorter.lnk' | grep -q . ||
    fail "no Start menu entry"
[ "$(run_value)" = "\"$idir\\bin\\mailporter.exe\" --hidden" ] || fail "start at sign-in: Run value is '$(run_value)'"
case "$(service_state)" in *"not installed"*|"") ;; *) fail "a service was installed without /SERVICE=1";; esac
# What it installed runs: the CLI relays a box of the bed, the app shows it.
put carol 1
before=$(office_count carol)
ic() { "$wine" "$udir/bin/mailporter-cli.exe" --data-dir 'C:\mailporter-installed' --secret-store file "$@"; }
ic --version
ic server set --host 127.0.0.1 --port "$SMTP_PORT" --tls none
printf '%s' "$PASSWORD_CAROL" | ic account add carol --protocol pop3 --host localhost --port "$POP3S_PORT" \
    --tls tls --user carol --password-stdin --deliver-to carol@office.test
ic poll
[ "$(office_count carol)" -eq $((before + 1)) ] || fail "the installed mailporter-cli.exe did not relay carol's message"
timeout 120 "$wine" "$udir/bin/mailporter.exe" --data-dir 'C:\mailporter-installed' --secret-store file \
    --screenshot-after 4 "$(winpath "$artifacts/installed-app.png")" >"$artifacts/installed-app.log" 2>&1 ||
    { cat "$artifacts/installed-app.log"; fail "the installed mailporter.exe"; }
shown "$artifacts/installed-app.png"
# An upgrade in place while the tray app runs (as started at sign-in, on the
# user's own data directory: the first-run wizard open), now with the service
# and without start at sign-in: the installer asks the app to quit first.
"$wine" "$udir/bin/mailporter.exe" --hidden --secret-store file >"$artifacts/running-app.log" 2>&1 &
running_app=$!
for _ in $(seq 1 100); do grep -q 'started on' "$artifacts/running-app.log" && break; sleep 0.2; done
# A second launch reaches it (DDE on Windows) instead of starting another.
second=$("$wine" "$udir/bin/mailporter.exe" --secret-store file 2>&1 | tr -d '\r')
case "$second" in *"brought its window forward"*) ;; *) fail "a second launch did not reach the first: $second";; esac
grep -q 'another launch asked for the status window' "$artifacts/running-app.log" ||
    fail "the running app did not hear the second launch"
"$wine" "$installer" /S /SERVICE=1 /AUTOSTART=0 || fail "the upgrade with /SERVICE=1 failed"
for _ in $(seq 1 50); do kill -0 "$running_app" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$running_app" 2>/dev/null; then kill "$running_app"; fail "the running tray app outlived the upgrade"; fi
grep -q 'asked to quit by another launch' "$artifacts/running-app.log" ||
    { cat "$artifacts/running-app.log"; fail "the installer did not ask the tray app to quit"; }
[ -z "$(run_value)" ] || fail "/AUTOSTART=0 left the Run value: $(run_value)"
case "$(service_state)" in *running*) ;; *) fail "/SERVICE=1: the service is '$(service_state)'";; esac
# ... and one more that keeps those choices without being told.
"$wine" "$installer" /S || fail "the second upgrade failed"
case "$(service_state)" in *running*) ;; *) fail "the upgrade forgot the service: '$(service_state)'";; esac
[ -z "$(run_value)" ] || fail "the upgrade forgot /AUTOSTART=0"
# The uninstaller (it runs from a copy in %TEMP%: wait for the folder to go).
"$wine" "$udir/Uninstall.exe" /S || fail "the silent uninstall failed"
for _ in $(seq 1 100); do [ -e "$udir/bin" ] || break; sleep 0.2; done
[ ! -e "$udir/bin" ] && [ ! -e "$udir/THIRD-PARTY.txt" ] || fail "the uninstaller left files in $udir"
"$wine" reg query 'HKLM\SYSTEM\CurrentControlSet\Services\MailPorter' >/dev/null 2>&1 &&
    fail "the uninstaller left the service"
"$wine" reg query 'HKLM\Software\MailPorter' >/dev/null 2>&1 && fail "the uninstaller left HKLM\\Software\\MailPorter"
[ -z "$(run_value)" ] || fail "the uninstaller left the Run value"
[ -f "$WINEPREFIX/drive_c/mailporter-installed/mailporter.db" ] || fail "the uninstaller removed the user's data"
echo "windows: ok"
