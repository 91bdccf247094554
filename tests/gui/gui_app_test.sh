#!/usr/bin/env bash
# GUI tests of the tray app against the real test bed, under Xvfb + trayer.
#
#   gui_app_test.sh SCENARIO MAILPORTER MAILPORTER_CLI GUI_BED ARTIFACTS_DIR
#
# Prepares a data directory with mailporter-cli (and real passes against
# the bed's Dovecot + Postfix), runs `mailporter --self-test SCENARIO`
# (app/self_test.h: the app drives its own windows and prints one
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
