#!/usr/bin/env bash
# script/bootstrap on machines like a fresh container's, with stub apt-get,
# dpkg-query, dpkg and debconf-set-selections in a scratch root: nothing to
# install, everything to install, an existing policy-rc.d (container images
# ship one) or none, and a package that will not install. Checks the exit
# status (the EXIT trap once turned success into 1), that an existing
# policy-rc.d is left as it was and one we add is gone afterwards, and that
# services were kept from starting during the install.
set -euo pipefail
src=${MAILPORTER_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAILED: $1"; fail=1; fi; }

make_root() {  # $1: root; $2: "installed" (every package there) or "none"; $3: policy or nopolicy
  local r=$1
  rm -rf "$r"; mkdir -p "$r/etc" "$r/usr/sbin" "$r/bin"
  printf 'ID=debian\nVERSION_ID="12"\n' >"$r/etc/os-release"
  : >"$r/installed"
  if [ "$2" = installed ]; then bash "$src/script/bootstrap" --list all >"$r/installed"; fi
  if [ "$3" = policy ]; then
    printf '#!/bin/sh\n# the image'"'"'s own\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
    chmod 755 "$r/usr/sbin/policy-rc.d"
  fi
  cat >"$r/bin/dpkg-query" <<STUB
#!/bin/sh
pkg=\$(eval echo "\\\${\$#}")
grep -qx "\$pkg" "$r/installed" && printf installed || printf not-installed
STUB
  cat >"$r/bin/apt-get" <<STUB
#!/bin/sh
echo "apt-get \$*" >>"$r/apt.log"
[ "\$1" = update ] && exit 0
# What a maintainer script would see: may it start services?
if [ -x "$r/usr/sbin/policy-rc.d" ]; then "$r/usr/sbin/policy-rc.d" >/dev/null 2>&1; echo "policy=\$?" >>"$r/apt.log"; else echo "policy=none" >>"$r/apt.log"; fi
for p in "\$@"; do
  case "\$p" in -*) continue ;; install) continue ;; esac
  [ "\$p" = "\${BROKEN_PKG:-}" ] && continue
  echo "\$p" >>"$r/installed"
done
exit 0
STUB
  printf '#!/bin/sh\nexit 0\n' >"$r/bin/dpkg"
  printf '#!/bin/sh\ncat >/dev/null\n' >"$r/bin/debconf-set-selections"
  chmod +x "$r/bin/"*
}

run() {  # $1: root; rest: bootstrap args
  local r=$1; shift
  set +e
  PATH="$r/bin:$PATH" BOOTSTRAP_ROOT="$r" bash "$src/script/bootstrap" "$@" >"$r/out" 2>&1
  echo $? >"$r/rc"
  set -e
}

r=$scratch/a; make_root "$r" installed policy; run "$r" all
check "nothing to install, a policy-rc.d of the image: exit 0" '[ "$(cat $r/rc)" = 0 ]'
check "nothing to install: apt-get never runs" '[ ! -e $r/apt.log ]'

r=$scratch/b; make_root "$r" none policy; before=$(cat "$r/usr/sbin/policy-rc.d"); run "$r" all
check "everything to install, the image's policy-rc.d: exit 0 (was 1)" '[ "$(cat $r/rc)" = 0 ]'
check "the image's policy-rc.d is left as it was" '[ "$(cat $r/usr/sbin/policy-rc.d)" = "$before" ]'
check "services were kept from starting during the install" 'grep -q "^policy=101" $r/apt.log'

r=$scratch/c; make_root "$r" none nopolicy; run "$r" all
check "everything to install, no policy-rc.d: exit 0" '[ "$(cat $r/rc)" = 0 ]'
check "a policy-rc.d denied service starts during the install" 'grep -q "^policy=101" $r/apt.log'
check "the policy-rc.d we added is gone afterwards" '[ ! -e $r/usr/sbin/policy-rc.d ]'

r=$scratch/d; make_root "$r" none nopolicy; BROKEN_PKG=postfix run "$r" all
check "a package that does not install: exit 1" '[ "$(cat $r/rc)" = 1 ]'
check "... and it is named" 'grep -q "could not install: postfix" $r/out'
check "... and our policy-rc.d is gone all the same" '[ ! -e $r/usr/sbin/policy-rc.d ]'

r=$scratch/e; make_root "$r" none policy; run "$r" build
check "build only: exit 0" '[ "$(cat $r/rc)" = 0 ]'
check "build only: no test-bed server is installed" '! grep -q dovecot $r/apt.log'

if [ "$fail" != 0 ]; then
  for d in "$scratch"/*; do echo "--- $d"; cat "$d/out" 2>/dev/null; cat "$d/apt.log" 2>/dev/null; done
fi
exit "$fail"
