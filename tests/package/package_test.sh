#!/usr/bin/env bash
# Builds the packages of a build tree and tests what they install.
#
#   package_test.sh BUILD_DIR WORK_DIR
#
# 1. cpack -G DEB and -G RPM (into WORK_DIR/out; the build must be current);
# 2. the .deb: its control data (Depends from shlibdeps), its file list, and
#    `lintian` — fails on any error (E:);
# 3. dpkg -x into a fresh root (WORK_DIR/root; no dpkg -i into the machine):
#    the layout (binaries, desktop file, icons, metainfo, catalogs, systemd
#    user unit, copyright), desktop-file-validate / appstreamcli when present;
# 4. runs the installed mailporter-cli --version and configures a data
#    directory with it; runs the installed app under Xvfb with
#    --screenshot-after, in German: it must exit 0, leave a real screenshot and
#    have read the German catalog from the root's share/locale (seen by the
#    catalog's access time);
# 5. the .rpm: rpm -qpl lists the same files.
# Exit 77 (skip) when a packaging tool is missing.
set -u
BUILD=${1:?usage: package_test.sh BUILD_DIR WORK_DIR}
WORK=${2:?usage: package_test.sh BUILD_DIR WORK_DIR}
BUILD=$(cd "$BUILD" && pwd)

for tool in cpack dpkg-deb dpkg-shlibdeps fakeroot lintian rpmbuild rpm Xvfb xwininfo identify msgunfmt; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool is not installed (script/bootstrap all)"; exit 77; }
done

FAILURES=0
fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
step() { echo; echo "=== $*"; }

rm -rf "$WORK"
mkdir -p "$WORK/out" "$WORK/root" || exit 1
XVFB_PID= APP_PID=
cleanup() {
    for pid in $APP_PID $XVFB_PID; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. build the packages ----------------------------------------------
step "cpack -G DEB, -G RPM"
for gen in DEB RPM; do
    start=$(date +%s)
    if ! cpack --config "$BUILD/CPackConfig.cmake" -G "$gen" -B "$WORK/out" >"$WORK/cpack-$gen.log" 2>&1; then
        cat "$WORK/cpack-$gen.log"
        echo "FAIL: cpack -G $gen"
        exit 1
    fi
    echo "$gen built in $(( $(date +%s) - start )) s"
done
DEB=$(ls "$WORK"/out/*.deb 2>/dev/null | head -n 1)
RPM=$(ls "$WORK"/out/*.rpm 2>/dev/null | head -n 1)
[ -n "$DEB" ] || { echo "FAIL: no .deb in $WORK/out"; exit 1; }
[ -n "$RPM" ] || { echo "FAIL: no .rpm in $WORK/out"; exit 1; }
ls -l "$DEB" "$RPM" | awk '{print $5, $9}'

# --- 2. the .deb's metadata and lintian -----------------------------------
step "dpkg-deb --info"
dpkg-deb --field "$DEB" Package Version Architecture Installed-Size Depends Recommends Suggests Section
depends=$(dpkg-deb --field "$DEB" Depends)
for lib in libc6 libwxgtk3.2 libssl3 libsqlite3; do
    case "$depends" in *"$lib"*) ;; *) fail "Depends lacks $lib (shlibdeps): $depends" ;; esac
done
case "$depends" in *libsecret*) ;; *) fail "Depends lacks libsecret: $depends" ;; esac

step "lintian"
# As root lintian only warns; --fail-on error: E: tags fail, W:/I: are shown.
lintian --fail-on error --display-info --tag-display-limit 0 "$DEB" >"$WORK/lintian.log" 2>&1
lintian_rc=$?
cat "$WORK/lintian.log"
echo "lintian: $(grep -c '^E:' "$WORK/lintian.log") errors, $(grep -c '^W:' "$WORK/lintian.log") warnings, $(grep -c '^I:' "$WORK/lintian.log") info (exit $lintian_rc)"
[ "$lintian_rc" -eq 0 ] || fail "lintian reports errors"

# --- 3. install into a private root ----------------------------------------
step "dpkg -x into $WORK/root"
dpkg-deb -x "$DEB" "$WORK/root" || { echo "FAIL: dpkg -x"; exit 1; }
ROOT=$WORK/root
expect=(
    usr/bin/mailporter
    usr/bin/mailporter-cli
    usr/share/applications/mailporter.desktop
    usr/share/icons/hicolor/scalable/apps/mailporter.svg
    usr/share/metainfo/org.mailporter.MailPorter.metainfo.xml
    usr/share/locale/de/LC_MESSAGES/mailporter.mo
    usr/share/locale/fr/LC_MESSAGES/mailporter.mo
    usr/lib/systemd/user/mailporter.service
    usr/share/doc/mailporter/copyright
    usr/share/doc/mailporter/changelog.Debian.gz
    usr/share/man/man1/mailporter.1.gz
    usr/share/man/man1/mailporter-cli.1.gz
)
for size in 16 22 24 32 48 64 128 256; do
    expect+=("usr/share/icons/hicolor/${size}x${size}/apps/mailporter.png")
done
for f in "${expect[@]}"; do
    [ -e "$ROOT/$f" ] || fail "not installed: /$f"
done
for size in 16 48 256; do
    got=$(identify -format '%wx%h' "$ROOT/usr/share/icons/hicolor/${size}x${size}/apps/mailporter.png" 2>/dev/null)
    [ "$got" = "${size}x${size}" ] || fail "icon ${size}x${size} is $got"
done
echo "$(find "$ROOT" -type f | wc -l) files installed"
unexpected=$(cd "$ROOT" && find . -type f | grep -v -E '^\./usr/(bin|share|lib/systemd/user)/' )
[ -z "$unexpected" ] || fail "files outside the expected layout: $unexpected"
if file "$ROOT/usr/bin/mailporter" | grep -q 'not stripped'; then fail "mailporter is not stripped"; fi

unit=$ROOT/usr/lib/systemd/user/mailporter.service
grep -q '^ExecStart=/usr/bin/mailporter-cli run$' "$unit" || fail "the unit does not run /usr/bin/mailporter-cli run: $(grep ExecStart "$unit")"
grep -q '^WantedBy=default.target$' "$unit" || fail "the unit is not wanted by default.target"
if command -v systemd-analyze >/dev/null 2>&1; then
    # verify resolves ExecStart on this machine: point it at the root's binary.
    sed "s|^ExecStart=/usr/bin/|ExecStart=$ROOT/usr/bin/|" "$unit" >"$WORK/mailporter.service"
    if out=$(systemd-analyze verify --man=no "$WORK/mailporter.service" 2>&1); then echo "systemd-analyze verify: ok"
    else echo "systemd-analyze verify (not fatal here): $out"; fi
fi
if command -v desktop-file-validate >/dev/null 2>&1; then
    for d in usr/share/applications/mailporter.desktop; do
        out=$(desktop-file-validate "$ROOT/$d" 2>&1) || fail "desktop-file-validate /$d: $out"
    done
    echo "desktop-file-validate: ok"
fi
if command -v appstreamcli >/dev/null 2>&1; then
    out=$(appstreamcli validate --no-net "$ROOT/usr/share/metainfo/org.mailporter.MailPorter.metainfo.xml" 2>&1) ||
        fail "appstreamcli validate: $out"
    echo "appstreamcli validate: $(printf '%s\n' "$out" | tail -n 1)"
fi
for lang in de fr; do
    n=$(msgunfmt "$ROOT/usr/share/locale/$lang/LC_MESSAGES/mailporter.mo" 2>/dev/null | grep -c '^msgid ')
    echo "catalog $lang: $((n - 1)) messages"
    [ "$n" -gt 10 ] || fail "the $lang catalog is nearly empty"
done

# --- 4. run what was installed -------------------------------------------
step "installed mailporter-cli"
export LD_LIBRARY_PATH="$ROOT/usr/lib:$ROOT/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
CLI=$ROOT/usr/bin/mailporter-cli
APP=$ROOT/usr/bin/mailporter
version=$(dpkg-deb --field "$DEB" Version)
out=$("$CLI" --version 2>&1) || fail "mailporter-cli --version failed: $out"
echo "$out"
case "$out" in *"${version%-*}"*) ;; *) fail "mailporter-cli --version does not print ${version%-*}" ;; esac
DATA=$WORK/data
unset MAILPORTER_DATA_DIR MAILPORTER_SECRET_STORE
printf 'secret' | "$CLI" --data-dir "$DATA" --secret-store file account add shop --protocol pop3 \
    --host 127.0.0.1 --port 1 --tls none --user info --password-stdin --deliver-to info@office.example \
    >/dev/null || fail "installed mailporter-cli account add"
"$CLI" --data-dir "$DATA" --secret-store file server set --host 127.0.0.1 --port 2 --tls none >/dev/null ||
    fail "installed mailporter-cli server set"
"$CLI" --data-dir "$DATA" --secret-store file account list || fail "installed mailporter-cli account list"

step "installed mailporter under Xvfb"
start_xvfb() {
    local n
    for n in $(seq 131 170); do
        [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ] && continue
        Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
        XVFB_PID=$!
        for _ in $(seq 1 50); do
            if xwininfo -root -display ":$n" >/dev/null 2>&1; then export DISPLAY=":$n"; return 0; fi
            kill -0 "$XVFB_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill "$XVFB_PID" 2>/dev/null && wait "$XVFB_PID" 2>/dev/null
        XVFB_PID=
    done
    return 1
}
if ! start_xvfb; then
    fail "could not start Xvfb"
else
    echo "display $DISPLAY"
    SHOT=$WORK/installed-app.png
    # Which catalogs does it read? Age their access times first: reading a
    # file whose atime is older than its mtime updates it (relatime).
    OLD=946684800  # 2000-01-01
    for lang in de fr; do touch -a -d "@$OLD" "$ROOT/usr/share/locale/$lang/LC_MESSAGES/mailporter.mo"; done
    # German from the environment, as on a German desktop (no Settings override).
    NO_AT_BRIDGE=1 LANGUAGE=de LANG=C.UTF-8 LC_ALL= \
        "$APP" --data-dir "$DATA" --secret-store file --screenshot-after 2 "$SHOT" >"$WORK/app.log" 2>&1 &
    APP_PID=$!
    rc=
    for _ in $(seq 1 400); do
        if ! kill -0 "$APP_PID" 2>/dev/null; then wait "$APP_PID"; rc=$?; APP_PID=; break; fi
        sleep 0.1
    done
    head -n 20 "$WORK/app.log"
    if [ -z "$rc" ]; then
        fail "the installed mailporter did not quit after its screenshot"
    elif [ "$rc" -ne 0 ]; then
        fail "the installed mailporter exited with $rc"
    fi
    grep -q 'MailPorter .* started on' "$WORK/app.log" || fail "the installed mailporter did not start its engine"
    if [ -s "$SHOT" ]; then
        read -r fmt w h colours < <(identify -format '%m %w %h %k\n' "$SHOT" 2>/dev/null)
        echo "screenshot: $fmt ${w}x${h}, $colours colours"
        [ "$fmt" = PNG ] && [ "${w:-0}" -ge 300 ] && [ "${h:-0}" -ge 200 ] && [ "${colours:-0}" -ge 20 ] ||
            fail "implausible screenshot"
        cp "$SHOT" "$BUILD/package-test-app.png" 2>/dev/null
    else
        fail "the installed mailporter saved no screenshot"
    fi
    read_de=$(stat -c %X "$ROOT/usr/share/locale/de/LC_MESSAGES/mailporter.mo")
    read_fr=$(stat -c %X "$ROOT/usr/share/locale/fr/LC_MESSAGES/mailporter.mo")
    if [ "$read_de" -eq "$OLD" ] && [ "$read_fr" -eq "$OLD" ]; then
        echo "note: access times are not updated here (noatime); catalog loading not observed"
    else
        [ "$read_de" -ne "$OLD" ] && echo "the installed app read $ROOT/usr/share/locale/de/LC_MESSAGES/mailporter.mo" ||
            fail "the installed app did not read its German catalog from the root's share/locale"
        [ "$read_fr" -eq "$OLD" ] || fail "the installed app read the French catalog although LANGUAGE=de"
    fi
fi

# --- 5. the .rpm ----------------------------------------------------------
step "rpm -qpl"
rpm -qp --queryformat '%{NAME} %{VERSION}-%{RELEASE} %{ARCH}\n' "$RPM" 2>/dev/null
rpm -qpl "$RPM" 2>/dev/null >"$WORK/rpm-files.txt"
echo "$(wc -l <"$WORK/rpm-files.txt") entries"
for f in "${expect[@]}"; do
    grep -qx "/$f" "$WORK/rpm-files.txt" || fail "the rpm lacks /$f"
done
if grep -qx -e /usr -e /usr/bin -e /usr/share -e /usr/share/applications -e /usr/lib/systemd/user "$WORK/rpm-files.txt"; then
    fail "the rpm claims a system directory"
fi
echo "requires: $(rpm -qpR "$RPM" 2>/dev/null | grep -c .) ($(rpm -qpR "$RPM" 2>/dev/null | grep -o '^libwx_gtk3u_core[^ ]*' | head -n 1))"

echo
if [ "$FAILURES" -ne 0 ]; then
    echo "package_test: $FAILURES failure(s); packages and logs in $WORK"
    exit 1
fi
echo "package_test: ok ($(basename "$DEB"), $(basename "$RPM"))"
