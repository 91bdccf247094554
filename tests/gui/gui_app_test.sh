#!/usr/bin/env bash
# GUI tests of the tray app against the real test bed, under Xvfb + trayer.
#
#   gui_app_test.sh SCENARIO MAILPORTER_SELFTEST MAILPORTER_CLI GUI_BED ARTIFACTS_DIR
#
# Prepares a data directory with mailporter-cli (and real passes against
# the bed's Dovecot + Postfix), runs `mailporter-selftest --self-test SCENARIO`
# (tests/gui/self_test/self_test.h: the app drives its own windows and prints one
# "selftest: ok|FAIL ..." line per check), and adds what only an outside
# process can check. Scenarios:
#   states   four accounts, one per state (white, green, yellow, red): each
#            row's envelope; the tray menu acts on the engine (pause shows
#            paused, resume, check now); the tray icon sits in trayer's panel
#            and a real click on it opens the log viewer.
#   wizard   the account wizard end to end (wrong password, self-signed
#            certificate trusted by its fingerprint, validation, each page,
#            Finish); the new account's first check works.
#   windows  log viewer, history, settings, office server dialog and its Test.
#   latency  event-loop latency while the engine moves 2,000 messages.
#   notify   desktop notifications (run under dbus-run-session; a stand-in
#            server records the Notify calls): four accounts red at once give
#            one notification, "Enter the new password" turns the refused one
#            green, and its recovery is told.
#   signin   an OAuth2 account (signed in with mailporter-cli through the
#            browser stand-in) whose grant the provider withdrew: red with
#            "Sign in again"; the app's sign-in (BROWSER=the stand-in) turns
#            it green and the waiting mail is delivered.
# Screenshots and the app's output go to ARTIFACTS_DIR/SCENARIO.
set -u
SCENARIO=${1:?usage: gui_app_test.sh SCENARIO MAILPORTER CLI GUI_BED ARTIFACTS}
MAILPORTER=${2:?} CLI=${3:?} GUI_BED=${4:?}
ARTIFACTS=${5:?}/$SCENARIO
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=gui_lib.sh
. "$here/gui_lib.sh"
need_tools
[ "$(id -u)" -eq 0 ] || { echo "SKIP: the test bed needs root"; exit 77; }
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS" || exit 1

start_bed "$GUI_BED"
start_xvfb
start_trayer
echo "display $DISPLAY"
export NO_AT_BRIDGE=1 SSL_CERT_FILE="$CA_FILE"
unset MAILPORTER_DATA_DIR MAILPORTER_SECRET_STORE
DATA="$WORK/data"

cli() { "$CLI" --data-dir "$DATA" --secret-store file "$@"; }
# add NAME USER PASSWORD DELIVER_TO [more options]: a POP3S box on the bed.
add() {
    local name=$1 user=$2 pw=$3 to=$4
    shift 4
    printf '%s' "$pw" | cli account add "$name" --protocol pop3 --host localhost --port "$POP3S_PORT" --tls tls \
        --user "$user" --password-stdin --deliver-to "$to" "$@" >/dev/null || { echo "FAIL: account add $name"; exit 1; }
}
# firstrun starts from an empty data directory: the assistant sets the office server.
if [ "$SCENARIO" != firstrun ]; then
    cli server set --host 127.0.0.1 --port "$SMTP_PORT" --tls none >/dev/null || { echo "FAIL: server set"; exit 1; }
fi

APP_OUT="$ARTIFACTS/mailporter.log"
run_app() {
    "$MAILPORTER" --data-dir "$DATA" --secret-store file --self-test "$SCENARIO" --artifacts "$ARTIFACTS" \
        >"$APP_OUT" 2>&1 &
    APP_PID=$!
}
# wait_app SECONDS: waits for the app to end; sets APP_RC.
wait_app() {
    APP_RC=
    for _ in $(seq 1 $(($1 * 10))); do
        if ! kill -0 "$APP_PID" 2>/dev/null; then
            wait "$APP_PID"
            APP_RC=$?
            APP_PID=
            return 0
        fi
        sleep 0.1
    done
    fail "mailporter did not finish within $1 s"
}
report() {
    echo "--- mailporter output"
    cat "$APP_OUT"
    echo "---"
    grep -q '^selftest: PASS' "$APP_OUT" || fail "the self-test did not pass (see the FAIL lines above)"
    [ "${APP_RC:-1}" = 0 ] || fail "mailporter exited with ${APP_RC:-?}"
    grep '^selftest: FAIL' "$APP_OUT" | sed 's/^/  /'
    local shots
    shots=$(ls "$ARTIFACTS"/*.png 2>/dev/null | wc -l)
    echo "screenshots: $shots in $ARTIFACTS"
}

case "$SCENARIO" in
states)
    add green-box alice "$PASSWORD_ALICE" alice@office.test
    add yellow-box bob "$PASSWORD_BOB" nobody@office.test        # the office refuses the recipient
    add red-box alice not-the-password alice@office.test         # wrong password
    add white-box catchall "$PASSWORD_CATCHALL" postmaster@office.test  # never checked
    # Trusted once by a certificate and key the self-signed server no longer
    # has: a changed certificate, red, told and not asked about.
    printf '%s' "$PASSWORD_ALICE" | cli account add changed-box --protocol pop3 --host localhost \
        --port "$POP3S_SELFSIGNED_PORT" --tls tls --user alice --password-stdin --deliver-to alice@office.test \
        --trust-fingerprint "$(printf 'ab%.0s' $(seq 32))" --trust-key "$(printf 'cd%.0s' $(seq 32))" >/dev/null ||
        { echo "FAIL: account add changed-box"; exit 1; }
    bed_cmd "put alice 3 green" >/dev/null
    bed_cmd "put bob 2 yellow" >/dev/null
    for a in green-box yellow-box red-box changed-box; do cli poll --account "$a" >/dev/null 2>&1; done
    cli status
    export MAILPORTER_SELFTEST_EXPECT="green-box=green,yellow-box=yellow,red-box=red,white-box=white,changed-box=red/cert-changed"
    export MAILPORTER_SELFTEST_DOUBLE_CLICK=1
    run_app
    # The tray icon in trayer's panel, and a real click on it.
    ICON=
    for _ in $(seq 1 400); do
        [ -z "$ICON" ] && ICON=$(tray_icon_window)
        grep -q '^selftest: ready for double-click' "$APP_OUT" && break
        kill -0 "$APP_PID" 2>/dev/null || break
        sleep 0.25
    done
    [ -n "$ICON" ] && echo "tray icon window: $ICON" || fail "no tray icon inside trayer's panel"
    TITLE=$(LC_ALL=C.UTF-8 xdotool search --name '^MailPorter' getwindowname %@ 2>/dev/null | grep -m1 '^MailPorter')
    [ -n "$TITLE" ] && echo "window: $TITLE" || fail "no window whose title begins with MailPorter"
    if grep -q '^selftest: ready for double-click' "$APP_OUT" && [ -n "$ICON" ]; then
        import -window root "$ARTIFACTS/screen-before-click.png" 2>/dev/null
        xdotool mousemove --window "$ICON" 8 8 click --repeat 2 --delay 100 1
        for _ in $(seq 1 40); do
            LOGWIN=$(LC_ALL=C.UTF-8 xdotool search --onlyvisible --name '^MailPorter.*Log$' 2>/dev/null | head -n 1)
            [ -n "$LOGWIN" ] && break
            sleep 0.25
        done
        [ -n "$LOGWIN" ] && echo "log viewer window after the click: $LOGWIN" \
            || fail "a double-click on the tray icon did not open the log viewer"
        import -window root "$ARTIFACTS/screen-after-click.png" 2>/dev/null
    fi
    wait_app 120
    report
    grep -q '^selftest: log viewer opened by the tray icon' "$APP_OUT" || fail "the app did not see the log viewer open"
    ;;
wizard)
    bed_cmd "put bob 2 wizard" >/dev/null
    export MAILPORTER_SELFTEST_HOST=localhost MAILPORTER_SELFTEST_PORT="$POP3S_PORT" MAILPORTER_SELFTEST_TLS=tls
    export MAILPORTER_SELFTEST_USER=bob MAILPORTER_SELFTEST_PASSWORD="$PASSWORD_BOB"
    export MAILPORTER_SELFTEST_DELIVER_TO=bob@office.test
    export MAILPORTER_SELFTEST_SELFSIGNED_PORT="$POP3S_SELFSIGNED_PORT" MAILPORTER_SELFTEST_SELFSIGNED_SHA256="$SELFSIGNED_SHA256"
    run_app
    wait_app 300
    report
    # The CLI reads what the wizard saved: same data directory, same store.
    cli account list
    cli account list | grep -q '^wizard-box ' || fail "mailporter-cli does not see the account the wizard added"
    cli account test wizard-box >/dev/null || fail "mailporter-cli account test wizard-box fails (password or pin not saved)"
    ;;
windows)
    add green-box alice "$PASSWORD_ALICE" alice@office.test
    bed_cmd "put alice 5 history" >/dev/null
    export MAILPORTER_SELFTEST_SMTP_PORT="$SMTP_PORT"
    run_app
    wait_app 200
    report
    ;;
firstrun)
    # A domain whose SRV record names the bed's IMAPS (RFC 6186), served by a
    # dnsmasq on loopback: autodetect finds it from the address alone.
    DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
    [ -x "$DNSMASQ" ] || fail "dnsmasq is not installed (script/bootstrap installs dnsmasq-base)"
    DNS_PORT=$((BASE_PORT + 53))
    "$DNSMASQ" --keep-in-foreground --no-resolv --no-hosts --conf-file=/dev/null \
        --listen-address=127.0.0.1 --bind-interfaces --port="$DNS_PORT" --user=root \
        --host-record=localhost,127.0.0.1 --srv-host="_imaps._tcp.first.test,localhost,$IMAPS_PORT" \
        --srv-host="_imaps._tcp.selfsigned.test,localhost,$IMAPS_SELFSIGNED_PORT" --log-facility="$WORK/dnsmasq.log" &
    DNS_PID=$!
    sleep 0.5
    kill -0 "$DNS_PID" 2>/dev/null || fail "dnsmasq did not start on 127.0.0.1:$DNS_PORT"
    bed_cmd "put alice 3 firstrun" >/dev/null
    export MAILPORTER_DNS_SERVER="127.0.0.1:$DNS_PORT"
    export MAILPORTER_SELFTEST_SMTP_PORT="$SMTP_PORT" MAILPORTER_SELFTEST_ADDRESS=alice@first.test
    export MAILPORTER_SELFTEST_PASSWORD="$PASSWORD_ALICE" MAILPORTER_SELFTEST_DELIVER_TO=alice@office.test
    export MAILPORTER_SELFTEST_REFUSED_ADDRESS=nobody@office.test MAILPORTER_SELFTEST_EXPECT_DELIVERED=3
    export MAILPORTER_SELFTEST_SELFSIGNED_ADDRESS=alice@selfsigned.test MAILPORTER_SELFTEST_SELFSIGNED_SHA256="$SELFSIGNED_SHA256"
    [ -z "$(ls -A "$DATA" 2>/dev/null)" ] || fail "the data directory is not empty at the start"
    run_app
    wait_app 300
    kill "$DNS_PID" 2>/dev/null
    report
    grep '^selftest: first run:' "$APP_OUT"
    cli status
    cli account list | grep -q '^alice@first.test ' || fail "mailporter-cli does not see the account the assistant added"
    ;;
signin)
    export BROWSER="$here/../bed/browser_standin.py" MAILPORTER_BROWSER_LOG="$ARTIFACTS/browser.log"
    cli account add oauth-box --protocol pop3 --host localhost --port "$POP3S_PORT" --tls tls --user alice \
        --deliver-to alice@office.test --auth oauth2 --provider "$OAUTH_URL" --client-id mailporter-test >/dev/null \
        || fail "account add oauth-box"
    cli account signin oauth-box --browser --timeout 30 || fail "mailporter-cli account signin oauth-box"
    # The provider withdraws the grant; the next check says "sign in again".
    curl -sf -X POST --data user=alice "$OAUTH_URL/admin/revoke" >/dev/null || fail "revoking alice's grant"
    bed_cmd "put alice 2 signin" >/dev/null
    cli poll --account oauth-box >/dev/null 2>&1 && fail "the poll worked although the grant was revoked"
    cli status
    cli status --json | grep -q '"code":"sign-in-needed"' || fail "the revoked account is not sign-in-needed"
    export MAILPORTER_SELFTEST_ACCOUNT=oauth-box MAILPORTER_SELFTEST_EXPECT_DELIVERED=2
    # For the wizard's new OAuth2 account (bob over IMAP) and the office
    # server's OAuth2 login (Postfix's submission port).
    export MAILPORTER_SELFTEST_OAUTH_URL="$OAUTH_URL" MAILPORTER_SELFTEST_IMAPS_PORT="$IMAPS_PORT"
    export MAILPORTER_SELFTEST_SUBMISSION_PORT="$SUBMISSION_PORT"
    bed_cmd "put bob 1 wizard-oauth" >/dev/null
    run_app
    wait_app 300
    report
    echo "browser stand-in:"; cat "$MAILPORTER_BROWSER_LOG" 2>/dev/null
    [ "$(bed_cmd "count alice")" = "count 0" ] || fail "alice's mail is still on the remote server"
    cli status
    cli account list | grep -q '^oauth-new ' || fail "mailporter-cli does not see the account the wizard added"
    cli server show | grep -qi oauth && fail "the cancelled office dialog changed the office server"
    ;;
notify)
    # Desktop notifications through D-Bus (tests.cmake runs this scenario under
    # dbus-run-session): a stand-in server records what libnotify sends.
    NOTIFY_PY=/usr/bin/python3
    "$NOTIFY_PY" -c 'from gi.repository import Gio' 2>/dev/null || { echo "SKIP: python3-gi is not installed"; exit 77; }
    [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || { echo "SKIP: no session bus (run under dbus-run-session)"; exit 77; }
    NOTES="$ARTIFACTS/notifications.jsonl"
    "$NOTIFY_PY" "$here/notification_server.py" "$NOTES" "$WORK/notify.ready" --click-first \
        2>"$ARTIFACTS/notification_server.log" &
    DNS_PID=$!  # stopped by gui_cleanup
    for _ in $(seq 1 50); do [ -e "$WORK/notify.ready" ] && break; sleep 0.1; done
    [ -e "$WORK/notify.ready" ] || fail "the stand-in notification server did not start"
    # alpha worked (mail delivered), then its password changed at the provider.
    add alpha alice "$PASSWORD_ALICE" alice@office.test
    bed_cmd "put alice 2 notify" >/dev/null
    cli poll --account alpha >/dev/null 2>&1 || fail "alpha's first poll"
    printf '%s' not-the-password | cli account edit alpha --password-stdin >/dev/null || fail "account edit alpha"
    # Three boxes that cannot connect (nothing listens on port 1): red at once.
    for a in beta gamma delta; do
        printf '%s' x | cli account add "$a" --protocol pop3 --host 127.0.0.1 --port 1 --tls tls --user x \
            --password-stdin --deliver-to alice@office.test >/dev/null || fail "account add $a"
    done
    export MAILPORTER_SELFTEST_ACCOUNT=alpha MAILPORTER_SELFTEST_PASSWORD="$PASSWORD_ALICE"
    export MAILPORTER_SELFTEST_RED=beta,gamma,delta MAILPORTER_SELFTEST_CLICK=1
    run_app
    wait_app 300
    report
    echo "notifications received over D-Bus:"
    cat "$NOTES" 2>/dev/null
    "$NOTIFY_PY" - "$NOTES" <<'PY' || fail "the notifications over D-Bus are not as expected"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
notes = [n for n in lines if "summary" in n]
assert notes, "no Notify call reached the session bus"
assert any("invoked" in n for n in lines), "the stand-in server did not click the first notification"
first = notes[0]
text = first["summary"] + "\n" + first["body"]
for name in ("beta", "gamma", "delta"):
    assert name in text, "the first notification does not name " + name
assert "not moving mail" in text, "the first notification does not say mail is not moving"
assert first["urgency"] == 2, "a red notification is not critical: %r" % first["urgency"]
red = [n for n in notes if "not moving" in n["summary"] + n["body"]]
assert len(red) <= 2, "%d red notifications for 4 accounts: not grouped" % len(red)
assert any("alpha" in n["summary"] + n["body"] for n in red), "no red notification names alpha"
last = notes[-1]
assert "alpha" in last["summary"] and "again" in last["summary"], "no recovery notification for alpha: %r" % last
assert last["urgency"] != 2, "the recovery notification is critical"
print("ok: %d notifications; grouped red, then alpha's recovery" % len(notes))
PY
    cli status
    # Viewer mode: `mailporter-cli run` drives the data directory, the app
    # watches it (state from the database) and still tells the red rows.
    before=$(grep -c '"summary"' "$NOTES")
    # The binary itself in the background (not the cli function: its subshell
    # would be what is killed, and the engine would outlive the test).
    "$CLI" --data-dir "$DATA" --secret-store file run >"$ARTIFACTS/cli-run.log" 2>&1 &
    CLI_PID=$!
    sleep 2
    "$MAILPORTER" --data-dir "$DATA" --secret-store file --screenshot-after 10 "$ARTIFACTS/notify-viewer.png" \
        >"$ARTIFACTS/mailporter-viewer.log" 2>&1 &
    APP_PID=$!
    wait_app 60
    kill "$CLI_PID" 2>/dev/null && wait "$CLI_PID" 2>/dev/null
    grep -q 'watching the engine of another process' "$ARTIFACTS/mailporter-viewer.log" || fail "the app did not watch the CLI's engine"
    tail -n +"$((before + 1))" "$NOTES" | grep '"summary"' | grep -q 'beta' \
        && echo "ok: the viewer told the red rows over D-Bus" || fail "no notification from the app in viewer mode"
    ;;
latency)
    N=${MAILPORTER_LATENCY_MESSAGES:-2000}
    add bulk-box alice "$PASSWORD_ALICE" alice@office.test
    bed_cmd "put alice $N bulk" >/dev/null
    export MAILPORTER_SELFTEST_MESSAGES="$N"
    run_app
    wait_app 900
    report
    grep '^selftest: latency' "$APP_OUT" || fail "no latency figures"
    ;;
*)
    echo "unknown scenario $SCENARIO"
    exit 2
    ;;
esac
finish
