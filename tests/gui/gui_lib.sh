# Shared pieces of the GUI test scripts (sourced): a private Xvfb display,
# trayer as the XEmbed tray, the real-server test bed through gui_bed, and
# cleanup of exactly the processes started here (by pid).
#
# Needs: Xvfb trayer xdotool xwininfo (x11-utils) identify/convert (imagemagick).
# Exit 77 (CTest SKIP_RETURN_CODE) when a tool is missing.

XVFB_PID= TRAYER_PID= APP_PID=
FAILURES=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mailporter-gui.XXXXXX") || exit 1

need_tools() {
    local tool
    for tool in Xvfb trayer xdotool xwininfo identify convert; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "SKIP: $tool is not installed (apt-get install xvfb trayer xdotool x11-utils imagemagick)"
            exit 77
        fi
    done
}

gui_cleanup() {
    # Bash unsets BED_PID the moment the coprocess ends: keep a copy, or
    # `set -u` would end this function before the Xvfb below is stopped.
    local bed_pid=${BED_PID:-}
    if [ -n "$bed_pid" ]; then
        echo quit >&"${BED[1]}" 2>/dev/null
        for _ in $(seq 1 100); do kill -0 "$bed_pid" 2>/dev/null || break; sleep 0.1; done
        kill "$bed_pid" 2>/dev/null
    fi
    for pid in $APP_PID ${CLI_PID:-} ${DNS_PID:-} $TRAYER_PID $XVFB_PID; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    rm -rf "$WORK"
}
trap gui_cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "FAIL: $*"
    FAILURES=$((FAILURES + 1))
}

start_xvfb() {
    local n
    for n in $(seq 91 160); do
        [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ] && continue
        Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
        XVFB_PID=$!
        for _ in $(seq 1 50); do
            if xwininfo -root -display ":$n" >/dev/null 2>&1; then
                export DISPLAY=":$n"
                return 0
            fi
            kill -0 "$XVFB_PID" 2>/dev/null || break  # lost a race for :n; try the next
            sleep 0.1
        done
        kill "$XVFB_PID" 2>/dev/null && wait "$XVFB_PID" 2>/dev/null
        XVFB_PID=
    done
    echo "FAIL: could not start Xvfb"
    exit 1
}

# trayer: wxTaskBarIcon::IsAvailable() is false on a bare Xvfb.
PANEL=
start_trayer() {
    trayer --edge top --align right --widthtype pixel --width 120 --height 24 >"$WORK/trayer.log" 2>&1 &
    TRAYER_PID=$!
    for _ in $(seq 1 50); do
        PANEL=$(xwininfo -root -tree 2>/dev/null | awk '/"panel": \("panel" "trayer"\)/ {print $1; exit}')
        [ -n "$PANEL" ] && return 0
        sleep 0.1
    done
    echo "FAIL: trayer's panel did not appear"
    cat "$WORK/trayer.log"
    exit 1
}

# The app's tray icon: the window trayer embedded for it (GTK names it after
# the executable: mailporter, or the self-tests' mailporter-selftest).
tray_icon_window() {
    xwininfo -tree -id "$PANEL" 2>/dev/null | awk '/"mailporter(-selftest)?"/ {print $1; exit}'
}

# start_bed GUI_BED: the bed in the background; loads bed.env into BED_*.
start_bed() {
    coproc BED { "$1" 2>"$WORK/bed.log"; }
    # coproc sets BED_PID (and unsets it when gui_bed ends).
    local line
    if ! read -r -t 240 line <&"${BED[0]}" || [ "${line%% *}" != BED ]; then
        echo "FAIL: the test bed did not start: $line"
        cat "$WORK/bed.log"
        exit 1
    fi
    BED_DIR=${line#BED }
    # shellcheck disable=SC1091
    . "$BED_DIR/bed.env"
    echo "test bed: $BED_DIR (base port $BASE_PORT)"
}

# bed_cmd LINE: one command to gui_bed, prints its answer.
bed_cmd() {
    local answer
    echo "$1" >&"${BED[1]}"
    read -r -t 600 answer <&"${BED[0]}"
    echo "$answer"
}

finish() {
    if [ "$FAILURES" -ne 0 ]; then
        echo "$(basename "$0") $SCENARIO: $FAILURES failure(s); artifacts in $ARTIFACTS"
        exit 1
    fi
    echo "$(basename "$0") $SCENARIO: ok; artifacts in $ARTIFACTS"
    exit 0
}
