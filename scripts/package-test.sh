#!/usr/bin/env bash
# The Debian package test: builds the .debs from a copy of this tree
# (dpkg-buildpackage -us -uc -b), runs lintian, installs them on this machine
# (apt-get install ./convene_*.deb), starts a node from the installed unit
# convene@.service, checks that `mmp --node` reaches it, purges, and checks that
# nothing the install made is left. Ends with "package test: passed" or
# "package test: FAILED (<what>)" and the matching exit status.
#
#   scripts/package-test.sh [--reuse-build]
#
# --reuse-build: compile with the flags of build/ (RelWithDebInfo) so ccache answers
# from its objects (minutes instead of a full compile); without it the package gets
# Debian's release flags, which is what CI tests.
#
# It installs into this machine's /usr, /etc and /var/lib/convene, so it refuses to
# run where a convene package or /var/lib/convene already exists (it would purge
# an operator's nodes). systemd is not PID 1 on the development machines and CI:
# there the unit's ExecStart line is run by hand (as systemd would, with %i
# replaced and its EnvironmentFile read); under systemd, `systemctl start` is used.
# What only systemd does with the unit (systemctl start/stop, its sandbox, the
# journal) is tested by scripts/package-systemd-test.sh on the .debs this builds,
# in a booted container; the test command runs both.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
net=${CONVENE_TEST_NET:-127.0.1}
instance=pkgtest
node_dir=/var/lib/convene/$instance
work=$top/build-deb
reuse=0
[ "${1:-}" = "--reuse-build" ] && reuse=1
daemon_pid=""
installed=0

fail() {
  echo "package test: FAILED ($1)"
  exit 1
}
stop_daemon() {
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid"
    for _ in $(seq 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$daemon_pid" 2>/dev/null && kill -KILL "$daemon_pid"
  fi
  daemon_pid=""
}
# A failed run leaves nothing installed either.
cleanup() {
  stop_daemon
  rm -f "/etc/default/convened-$instance"
  if [ "$installed" = 1 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q convene convene-bench >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

if dpkg-query -W -f='${Status}' convene 2>/dev/null | grep -q installed || [ -e /var/lib/convene ]; then
  echo "ERROR: a convene package or /var/lib/convene is already on this machine"
  echo "  The test installs and purges the package, which would delete /var/lib/convene."
  echo "  Run it on a machine without Convene installed (CI, a fresh container)."
  exit 1
fi
for tool in dpkg-buildpackage dh lintian; do
  command -v "$tool" >/dev/null || fail "$tool is missing: scripts/install-deps.sh installs it"
done

echo "== build (.deb)"
rm -rf "$work" && mkdir -p "$work/convene"
# The tree as committed plus uncommitted changes, without build trees.
(cd "$top" && git ls-files -co --exclude-standard -z | tar --null -cf - -T -) | tar -xf - -C "$work/convene"
# The one npm file the package ships (web/node_modules is ignored by git, made by
# install-deps.sh's npm ci): the build copies it beside the meeting client.
xmpp_js=web/node_modules/@xmpp/client/dist/xmpp.min.js
[ -f "$top/$xmpp_js" ] || fail "$xmpp_js is missing: run scripts/install-deps.sh (npm ci in web/)"
install -D -m 0644 "$top/$xmpp_js" "$work/convene/$xmpp_js"
start=$(date +%s)
(
  cd "$work/convene"
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$top} CCACHE_NOHASHDIR=1
  [ "$reuse" = 1 ] && export CONVENE_DEB_REUSE_BUILD=1
  # noautodbgsym: the debug-symbol packages are not tested and take minutes to compress.
  DEB_BUILD_OPTIONS="parallel=$(nproc) noautodbgsym" dpkg-buildpackage -us -uc -b
) > "$work/build.log" 2>&1 || { tail -40 "$work/build.log"; fail "dpkg-buildpackage, see $work/build.log"; }
echo "built in $(( $(date +%s) - start )) s: $(cd "$work" && ls ./*.deb | tr '\n' ' ')"

echo "== lintian"
# Every tag that remains is explained in debian/README.source; errors fail the test.
lintian --info "$work"/convene_*.changes | tee "$work/lintian.txt"
grep -q '^E: ' "$work/lintian.txt" && fail "lintian errors"

echo "== install"
before_users=$(getent passwd convene || true)
installed=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$work"/convene_*.deb "$work"/convene-bench_*.deb \
  > "$work/install.log" 2>&1 || { cat "$work/install.log"; fail "apt-get install"; }
[ -z "$before_users" ] && { getent passwd convene >/dev/null || fail "no system user convene"; }
for path in /usr/bin/convened /usr/bin/mmp /usr/bin/convene-callbridge /usr/bin/convene-bench \
  /usr/share/man/man1/mmp.1.gz /usr/share/bash-completion/completions/mmp /etc/logrotate.d/convene \
  /lib/systemd/system/convene@.service /var/lib/convene /var/log/convene \
  /usr/share/convene/web/meet/index.html /usr/share/convene/web/meet/xmpp.min.js; do
  [ -e "$path" ] || fail "$path not installed"
done

echo "== a node from the installed unit"
unit=/lib/systemd/system/convene@.service
echo "CONVENE_IFACES=--iface a=$net.1" > "/etc/default/convened-$instance"
if [ "$(ps -p 1 -o comm=)" = systemd ]; then
  systemctl start "convene@$instance" || fail "systemctl start convene@$instance"
else
  echo "(systemd is not PID 1: running the unit's ExecStart by hand)"
  exec_start=$(sed -n 's/^ExecStart=//p' "$unit" | sed "s/%i/$instance/g")
  # As systemd reads an EnvironmentFile: KEY=the rest of the line, then $KEY in
  # ExecStart split at whitespace.
  (
    while IFS= read -r line; do
      case $line in [A-Za-z_]*=*) export "${line%%=*}=${line#*=}" ;; esac
    done < "/etc/default/convened-$instance"
    eval "exec $exec_start"
  ) > "$work/node.log" 2>&1 &
  daemon_pid=$!
fi
for _ in $(seq 100); do [ -S "$node_dir/mmp.sock" ] && break; sleep 0.1; done
[ -S "$node_dir/mmp.sock" ] || { cat "$work/node.log" 2>/dev/null; fail "the node did not open $node_dir/mmp.sock"; }
mmp --node "$node_dir" iface list | tee "$work/mmp.txt" || fail "mmp --node $node_dir iface list"
grep -q "$net.1" "$work/mmp.txt" || fail "mmp did not show the node's interface"
if [ -n "$daemon_pid" ]; then stop_daemon; else systemctl stop "convene@$instance"; fi

echo "== purge"
rm -f "/etc/default/convened-$instance"  # made by this test, not by the package
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q convene convene-bench > "$work/purge.log" 2>&1 \
  || { cat "$work/purge.log"; fail "apt-get purge"; }
for path in /usr/bin/convened /usr/bin/mmp /etc/logrotate.d/convene /lib/systemd/system/convene@.service \
  /usr/share/bash-completion/completions/mmp /var/lib/convene /var/log/convene /usr/share/convene; do
  [ -e "$path" ] && fail "$path left after purge"
done
getent passwd convene >/dev/null && fail "user convene left after purge"
getent group convene >/dev/null && fail "group convene left after purge"
echo "package test: passed"
