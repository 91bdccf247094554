#!/usr/bin/env bash
# GUI smoke test of the tray app under Xvfb + trayer.
#
#   gui_smoke.sh MAILPORTER MAILPORTER_CLI ARTIFACTS_DIR
#
# Sets up a private data directory with mailporter-cli (one POP3 account on a
# closed loopback port, so its check fails: red; an office server), runs
# `mailporter --screenshot-after 6 OUT.png` and asserts:
#   - the app exits 0 and wrote a plausible PNG of the status window;
#   - the screenshot shows the account's red envelope (the check ran and failed);
#   - a window whose title begins with "MailPorter" exists while it runs;
#   - the tray icon was embedded in trayer's panel (and the app said so);
#   - a second launch reaches the first, and `mailporter --quit` ends it.
# Artifacts (screenshot, whole screen, app output) go to ARTIFACTS_DIR.
# Exit 77 (CTest SKIP_RETURN_CODE) when a needed X tool is missing.
set -u

MAILPORTER=${1:?usage: gui_smoke.sh MAILPORTER MAILPORTER_CLI ARTIFACTS_DIR}
CLI=${2:?usage: gui_smoke.sh MAILPORTER MAILPORTER_CLI ARTIFACTS_DIR}
ARTIFACTS=${3:?usage: gui_smoke.sh MAILPORTER MAILPORTER_CLI ARTIFACTS_DIR}
SCREENSHOT_AFTER=6

# A private Xvfb, trayer, cleanup by pid and fail(): the pieces every GUI
# test script shares.
# shellcheck source=gui_lib.sh
. "$(dirname "$0")/gui_lib.sh"
need_tools
command -v import >/dev/null 2>&1 || { echo "SKIP: import is not installed (apt-get install imagemagick)"; exit 77; }
mkdir -p "$ARTIFACTS" || exit 1

start_xvfb
echo "display $DISPLAY"
start_trayer

# --- a data directory with an account that cannot connect ---------------
DATA="$WORK/data"
closed_port() {
    local p
    for p in $(seq 47000 47100); do
        # bash's /dev/tcp: a refused connect means nothing listens there.
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    echo 1
}
PORT=$(closed_port)
export NO_AT_BRIDGE=1
unset MAILPORTER_DATA_DIR MAILPORTER_SECRET_STORE
echo secret | "$CLI" --data-dir "$DATA" --secret-store file account add shop --protocol pop3 \
    --host 127.0.0.1 --port "$PORT" --tls none --user info --password-stdin \
    --deliver-to info@office.example || { echo "FAIL: mailporter-cli account add"; exit 1; }
"$CLI" --data-dir "$DATA" --secret-store file server set --host 127.0.0.1 --port 2525 --tls none \
    || { echo "FAIL: mailporter-cli server set"; exit 1; }

# --- run the app ---------------------------------------------------------
SHOT="$ARTIFACTS/status-window.png"
rm -f "$SHOT" "$ARTIFACTS/screen.png" "$ARTIFACTS/mailporter.log"
"$MAILPORTER" --data-dir "$DATA" --secret-store file --screenshot-after "$SCREENSHOT_AFTER" "$SHOT" \
    >"$ARTIFACTS/mailporter.log" 2>&1 &
APP_PID=$!

# While it runs: the status window's title, and the tray icon in the panel.
TITLE=
TRAY_CHILD=
for _ in $(seq 1 40); do
    if [ -z "$TITLE" ]; then
        # xdotool matches case-insensitively (check the case here) and, in
        # the C locale, cannot read a UTF-8 title: ask it in C.UTF-8, and
        # fall back to xwininfo's listing.
        TITLE=$(LC_ALL=C.UTF-8 xdotool search --name '^MailPorter' getwindowname %@ 2>/dev/null | grep -m1 '^MailPorter')
        [ -n "$TITLE" ] || TITLE=$(LC_ALL=C.UTF-8 xwininfo -root -tree 2>/dev/null |
            sed -n 's/^ *0x[0-9a-f]* "\(MailPorter[^"]*\)": .*/\1/p' | head -n 1)
    fi
    if [ -z "$TRAY_CHILD" ]; then
        TRAY_CHILD=$(xwininfo -tree -id "$PANEL" 2>/dev/null | grep -m1 '"mailporter"')
    fi
    [ -n "$TITLE" ] && [ -n "$TRAY_CHILD" ] && break
    kill -0 "$APP_PID" 2>/dev/null || break
    sleep 0.25
done
# The whole screen, for a human to see the tray icon too.
sleep 2
import -window root "$ARTIFACTS/screen.png" 2>/dev/null

[ -n "$TITLE" ] && echo "window: $TITLE" || fail "no window whose title begins with MailPorter"
[ -n "$TRAY_CHILD" ] && echo "tray: $TRAY_CHILD" || fail "no tray icon inside trayer's panel"

# Wait for the app to take its screenshot and quit.
APP_RC=
for _ in $(seq 1 $(( (SCREENSHOT_AFTER + 30) * 10 ))); do
    if ! kill -0 "$APP_PID" 2>/dev/null; then
        wait "$APP_PID"
        APP_RC=$?
        APP_PID=
        break
    fi
    sleep 0.1
done
if [ -z "$APP_RC" ]; then
    fail "mailporter did not quit after its screenshot"
elif [ "$APP_RC" -ne 0 ]; then
    fail "mailporter exited with $APP_RC"
fi
echo "--- mailporter output"
cat "$ARTIFACTS/mailporter.log"
echo "---"
grep -q "tray icon: available" "$ARTIFACTS/mailporter.log" || fail "the app did not find the system tray"

# --- the screenshot ------------------------------------------------------
if [ ! -s "$SHOT" ]; then
    fail "no screenshot at $SHOT"
else
    read -r FORMAT WIDTH HEIGHT COLOURS < <(identify -format '%m %w %h %k\n' "$SHOT" 2>/dev/null)
    echo "screenshot: ${FORMAT:-?} ${WIDTH:-?}x${HEIGHT:-?}, ${COLOURS:-?} colours"
    [ "${FORMAT:-}" = PNG ] || fail "the screenshot is not a PNG"
    [ "${WIDTH:-0}" -ge 400 ] && [ "${WIDTH:-0}" -le 4000 ] && [ "${HEIGHT:-0}" -ge 300 ] && [ "${HEIGHT:-0}" -le 4000 ] \
        || fail "implausible screenshot size ${WIDTH:-?}x${HEIGHT:-?}"
    [ "${COLOURS:-0}" -ge 50 ] || fail "the screenshot is nearly blank (${COLOURS:-0} colours)"
    # The account's envelope is red (#e0352b, resources/icons/envelope-red.svg):
    # the check ran and its failure reached the window.
    RED=$(convert "$SHOT" -fuzz 4% -fill black +opaque '#e0352b' -fill white -opaque '#e0352b' \
        -format '%[fx:round(mean*w*h)]' info: 2>/dev/null)
    echo "red envelope pixels: ${RED:-?}"
    [ "${RED:-0}" -ge 30 ] || fail "no red envelope in the screenshot: the failed check is not shown"
fi

# --- a second launch brings the first forward; --quit ends it -----------
"$MAILPORTER" --data-dir "$DATA" --secret-store file >"$ARTIFACTS/first.log" 2>&1 &
APP_PID=$!
for _ in $(seq 1 100); do grep -q 'started on' "$ARTIFACTS/first.log" && break; sleep 0.1; done
SECOND=$("$MAILPORTER" --data-dir "$DATA" --secret-store file 2>&1)
echo "second launch: $SECOND"
case "$SECOND" in *"brought its window forward"*) ;; *) fail "a second launch did not reach the first";; esac
QUIT=$("$MAILPORTER" --data-dir "$DATA" --quit 2>&1) || fail "mailporter --quit: $QUIT"
echo "quit: $QUIT"
for _ in $(seq 1 50); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$APP_PID" 2>/dev/null; then fail "the app outlived mailporter --quit"; else wait "$APP_PID"; APP_PID=; fi
grep -q 'another launch asked for the status window' "$ARTIFACTS/first.log" || fail "the first app did not hear the second launch"
grep -q 'asked to quit by another launch' "$ARTIFACTS/first.log" || fail "the first app did not hear --quit"
case "$("$MAILPORTER" --data-dir "$DATA" --quit 2>&1)" in *"not running"*) ;; *) fail "--quit with no app running";; esac

# --- the shipped app carries no self-tests (mailporter-selftest has them) --
NOSELF=$("$MAILPORTER" --data-dir "$DATA" --self-test states 2>&1) && fail "mailporter --self-test ran: $NOSELF"
echo "--self-test: $NOSELF"
case "$NOSELF" in *"has no self-tests"*) ;; *) fail "mailporter --self-test did not say this build has none";; esac

if [ "$FAILURES" -ne 0 ]; then
    echo "gui_smoke: $FAILURES failure(s); artifacts in $ARTIFACTS"
    exit 1
fi
echo "gui_smoke: ok; artifacts in $ARTIFACTS"
