#!/usr/bin/env bash
# A Catch2 test of the app's windows (tests/gui/*_test.cpp) on a private Xvfb
# display (no tray, no test bed, no root).
#
#   gui_catch.sh TEST_BINARY ARTIFACTS_DIR [Catch2 arguments]
#
# The test saves its screenshots under ARTIFACTS_DIR
# (MAILPORTER_GUI_ARTIFACTS). Exit 77 (CTest SKIP_RETURN_CODE) without Xvfb.
set -u
BINARY=${1:?usage: gui_catch.sh TEST_BINARY ARTIFACTS_DIR [Catch2 arguments]}
ARTIFACTS=${2:?usage: gui_catch.sh TEST_BINARY ARTIFACTS_DIR [Catch2 arguments]}
shift 2
# shellcheck source=gui_lib.sh
. "$(dirname "$0")/gui_lib.sh"
need_tools
mkdir -p "$ARTIFACTS" || exit 1
start_xvfb
export NO_AT_BRIDGE=1 MAILPORTER_GUI_ARTIFACTS="$ARTIFACTS"
"$BINARY" "$@"
exit $?
