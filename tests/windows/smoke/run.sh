#!/usr/bin/env bash
# Builds tests/windows/smoke with the MinGW toolchain file against the prefix of
# script/windows-deps and runs it under Wine in a throwaway WINEPREFIX.
# Usage: tests/windows/smoke/run.sh [--gui]   (--gui needs DISPLAY, e.g. xvfb-run)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "$here/../../.." && pwd)
prefix=${MAILPORTER_WINDEPS_PREFIX:-$("$tree/script/windows-deps" --prefix)}
build=${SMOKE_BUILD_DIR:-$(mktemp -d)}
wineprefix=$(mktemp -d)
trap 'rm -rf "$wineprefix"; [ -n "${SMOKE_BUILD_DIR:-}" ] || rm -rf "$build"' EXIT

mkdir -p "$build"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$tree/cmake/mingw-w64-x86_64.cmake" -DMAILPORTER_WINDEPS_PREFIX="$prefix" >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
rm -f "$build/configure.log"
nice -n "${MAILPORTER_WINDEPS_NICE:-19}" cmake --build "$build" -j"${MAILPORTER_WINDEPS_JOBS:-2}"
x86_64-w64-mingw32-objdump -p "$build/smoke.exe" | awk '/DLL Name/ { print "imports:", $3 }' | sort -u
wine=/usr/lib/wine/wine64; [ -x "$wine" ] || wine=wine
# The first run creates the Wine prefix (~10 s); a "syswow64\rundll32.exe"
# complaint then is harmless (no 32-bit Wine installed).
rc=0
WINEPREFIX=$wineprefix WINEDEBUG=-all "$wine" "$build/smoke.exe" "$@" || rc=$?
WINEPREFIX=$wineprefix wineserver -w   # let Wine finish before its prefix goes
exit $rc
