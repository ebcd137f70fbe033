#!/usr/bin/env bash
# The Debian package under a real systemd: boots a Debian 12 container
# (systemd-nspawn -b, systemd as its PID 1), installs the .debs there
# (apt-get install ./convene_*.deb), starts a node with `systemctl start
# convene@NODE`, and checks what only systemd does with the unit: the service is
# active, its EnvironmentFile and %i reach ExecStart (mmp --node shows the
# interface), the start leaves /var/lib/convene as the package made it
# (StateDirectory=), ProtectSystem=strict and NoNewPrivileges hold in the daemon's
# process, the journal has the daemon's lines with their priorities
# (journalctl -u), Restart=on-failure starts it again after a SIGKILL,
# `systemctl stop` ends it cleanly, and apt-get purge leaves
# nothing. Ends with "package systemd test: passed" or
# "package systemd test: FAILED (<what>)" and the matching exit status.
#
#   scripts/package-systemd-test.sh [DEB_DIR]
#
# DEB_DIR holds convene_*.deb and convene-bench_*.deb (default build-deb/, where
# scripts/package-test.sh builds them).
#
# The container's root is made by mmdebstrap (Debian 12, minbase, systemd, and
# every package the .debs depend on or recommend, from this machine's Debian
# mirror) and cached in CONVENE_SYSTEMD_ROOT (default
# /var/cache/convene-systemd-root); it is made again only when that package list
# or the mirror changes. Each run boots an overlay on the cached root, so a run
# changes nothing in the cache. The container has a network of its own
# (--private-network: only its loopback), so its node collides with nothing.
#
# No systemd runs on the machines this is made for (CI, the development
# machines): systemd-nspawn runs without registering with machined
# (--register=no) in the cgroup it was started in (--keep-unit), and the
# commands inside run through nsenter into the namespaces of the container's
# PID 1.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
debs=$(cd "${1:-$top/build-deb}" 2>/dev/null && pwd) || { echo "package systemd test: FAILED (no directory ${1:-$top/build-deb})"; exit 1; }
cache=${CONVENE_SYSTEMD_ROOT:-/var/cache/convene-systemd-root}
suite=bookworm
instance=node1
iface=127.0.9.1   # the container's own loopback: --private-network
node_dir=/var/lib/convene/$instance
run=""
nspawn_pid=""
init_pid=""
mounted=0

fail() {
  echo "package systemd test: FAILED ($1)"
  exit 1
}

# The container stops by its nspawn's pid: SIGTERM asks its systemd to power off
# (nspawn passes it on as SIGRTMIN+3). If it has not within 60 s, SIGKILL to its
# PID 1 ends every process of its PID namespace, and then nspawn.
stop_container() {
  [ -n "$nspawn_pid" ] || return 0
  if kill -0 "$nspawn_pid" 2>/dev/null; then
    kill -TERM "$nspawn_pid"
    for _ in $(seq 600); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$nspawn_pid" 2>/dev/null; then
      echo "(the container did not power off in 60 s: SIGKILL)"
      [ -n "$init_pid" ] && kill -KILL "$init_pid" 2>/dev/null
      kill -KILL "$nspawn_pid" 2>/dev/null
    fi
  fi
  wait "$nspawn_pid" 2>/dev/null
  nspawn_pid=""
}
cleanup() {
  stop_container
  [ "$mounted" = 1 ] && umount "$run/root"
  [ -n "$run" ] && rm -rf "$run"
}
trap cleanup EXIT

for tool in mmdebstrap systemd-nspawn nsenter flock dpkg-deb; do
  command -v "$tool" >/dev/null || fail "$tool is missing: scripts/install-deps.sh installs it (scripts/packages.txt)"
done
shopt -s nullglob
deb_files=("$debs"/convene_*.deb "$debs"/convene-bench_*.deb)
shopt -u nullglob
[ "${#deb_files[@]}" = 2 ] || fail "expected one convene_*.deb and one convene-bench_*.deb in $debs"

# --- the cached root --------------------------------------------------------
# The package names the .debs depend on or recommend: the first of each set of
# alternatives, without versions or architecture qualifiers.
deb_dependencies() {
  for deb in "${deb_files[@]}"; do
    for field in Pre-Depends Depends Recommends; do dpkg-deb -f "$deb" "$field"; done
  done | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/:[a-z0-9]+//; s/[[:space:]]//g' \
    | grep -vxE '|convene|convene-bench' | sort -u
}
# This machine's Debian sources, so the container gets the same versions the
# .debs were built against.
sources=/etc/apt/sources.list.d/debian.sources
[ -f "$sources" ] || sources=/etc/apt/sources.list
[ -s "$sources" ] || fail "no Debian apt sources on this machine ($sources)"
include=$( { echo systemd-sysv; deb_dependencies; } | sort -u | paste -sd, -)
recipe="suite=$suite variant=minbase include=$include
$(grep -vE '^[[:space:]]*(#|$)' "$sources")"

echo "== container root ($cache)"
# Runs may share the cached root (each has its own overlay), but none may make it
# again while another boots it: an exclusive lock to check or make it, then a
# shared one until this run ends.
mkdir -p "$(dirname "$cache")"
exec 9>"$cache.lock"
flock -x 9
if [ -x "$cache/root/sbin/init" ] && [ "$(cat "$cache/recipe.txt" 2>/dev/null)" = "$recipe" ]; then
  echo "cached (same packages and mirror)"
else
  echo "making it with mmdebstrap: $include"
  start=$(date +%s)
  mkdir -p "$cache"
  rm -rf "$cache/root" "$cache/root.new" "$cache/recipe.txt"
  # force-unsafe-io: dpkg without an fsync per file; a root cut short is made again.
  mmdebstrap --variant=minbase --include="$include" --dpkgopt=force-unsafe-io "$suite" "$cache/root.new" "$sources" \
    > "$cache/mmdebstrap.log" 2>&1 || { tail -30 "$cache/mmdebstrap.log"; fail "mmdebstrap, see $cache/mmdebstrap.log"; }
  # Written last: an interrupted run leaves no root that looks complete.
  mv "$cache/root.new" "$cache/root" && printf '%s\n' "$recipe" > "$cache/recipe.txt"
  echo "made in $(( $(date +%s) - start )) s ($(du -sh "$cache/root" | cut -f1))"
fi
flock -s 9

# --- boot ---------------------------------------------------------------------
echo "== boot (systemd-nspawn -b)"
run=$(mktemp -d /var/tmp/convene-systemd-test.XXXXXX)
mkdir "$run/upper" "$run/work" "$run/root"
mount -t overlay overlay -o "lowerdir=$cache/root,upperdir=$run/upper,workdir=$run/work" "$run/root" \
  || fail "overlay mount of $cache/root"
mounted=1
mkdir -p "$run/root/root/debs" && cp "${deb_files[@]}" "$run/root/root/debs/"
start=$(date +%s)
systemd-nspawn --quiet --register=no --keep-unit --private-network --console=pipe \
  --directory="$run/root" --machine=convene-pkgtest --boot </dev/null >"$run/boot.log" 2>&1 &
nspawn_pid=$!

# The container's PID 1: the process under nspawn whose pid in its own namespace is 1.
for _ in $(seq 300); do
  for pid in $(pgrep -P "$nspawn_pid"); do
    [ "$(awk '/^NSpid:/ {print $NF}' "/proc/$pid/status" 2>/dev/null)" = 1 ] && init_pid=$pid
  done
  [ -n "$init_pid" ] && break
  kill -0 "$nspawn_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$init_pid" ] || { cat "$run/boot.log"; fail "systemd-nspawn started no PID 1"; }

# A command inside the container, as root with a clean environment.
inside() {
  nsenter --target "$init_pid" --mount --uts --ipc --net --pid --cgroup --root --wd \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
}
# systemctl reaches the container's systemd on its private socket, which it opens
# early in its start; then it says when the boot is done (running, or degraded:
# a unit the container cannot run, which does not concern this test).
for _ in $(seq 600); do
  inside test -S /run/systemd/private && break
  kill -0 "$nspawn_pid" 2>/dev/null || break
  sleep 0.1
done
state=$(inside systemctl is-system-running --wait 2>&1)
case $state in
  running|degraded) echo "booted in $(( $(date +%s) - start )) s ($state)" ;;
  *) cat "$run/boot.log"; fail "systemd in the container did not boot: $state" ;;
esac
[ "$state" = degraded ] && inside systemctl --failed --no-legend

# --- the package ------------------------------------------------------------
echo "== install (apt-get install ./convene_*.deb)"
inside sh -c 'cd /root/debs && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ./convene_*.deb ./convene-bench_*.deb' \
  > "$run/install.log" 2>&1 || { cat "$run/install.log"; fail "apt-get install in the container"; }
inside getent passwd convene >/dev/null || fail "no system user convene"
inside systemctl cat "convene@$instance" >/dev/null || fail "systemd does not know convene@$instance"

echo "== systemctl start convene@$instance"
# systemd's StateDirectory= gives the directory the unit's owner and mode at each
# start, recursively (every node's files, PostgreSQL's included) whenever the top
# differs: the package must make it as the unit wants it, so that a start
# changes nothing.
state_dir_before=$(inside stat -c '%U:%G %a' /var/lib/convene)
inside sh -c "echo 'CONVENE_IFACES=--iface a=$iface' > /etc/default/convened-$instance"
inside systemctl start "convene@$instance" || { inside journalctl -u "convene@$instance" --no-pager; fail "systemctl start convene@$instance"; }
state=$(inside systemctl is-active "convene@$instance")
[ "$state" = active ] || fail "convene@$instance is $state after start, not active"
main_pid=$(inside systemctl show -P MainPID "convene@$instance")
[ "${main_pid:-0}" != 0 ] || fail "convene@$instance has no main process"
for _ in $(seq 100); do inside test -S "$node_dir/mmp.sock" && break; sleep 0.1; done
inside test -S "$node_dir/mmp.sock" || { inside journalctl -u "convene@$instance" --no-pager; fail "the node did not open $node_dir/mmp.sock"; }
inside mmp --node "$node_dir" iface list | tee "$run/mmp.txt" || fail "mmp --node $node_dir iface list"
grep -q "$iface" "$run/mmp.txt" || fail "mmp did not show the interface of /etc/default/convened-$instance"
state_dir_after=$(inside stat -c '%U:%G %a' /var/lib/convene)
[ "$state_dir_after" = "$state_dir_before" ] \
  || fail "systemctl start changed /var/lib/convene from $state_dir_before (the package's) to $state_dir_after (StateDirectory=)"

echo "== the unit's sandbox, in the daemon's process"
# ProtectSystem=strict: / is read-only in the daemon's mount namespace, and its
# node directories (ReadWritePaths, StateDirectory) are writable.
mounts=$(inside cat "/proc/$main_pid/mountinfo")
# The last mount on a path is the one in force.
awk '$5 == "/" {o = $6} END {print o}' <<<"$mounts" | grep -q '^ro' || fail "ProtectSystem=strict: / is not read-only for convened"
awk '$5 == "/var/lib/convene" {o = $6} END {print o}' <<<"$mounts" | grep -q '^rw' || fail "/var/lib/convene is not writable for convened"
inside grep -qx 'NoNewPrivs:[[:space:]]*1' "/proc/$main_pid/status" || fail "NoNewPrivileges: not set for convened"
# LimitNOFILE=65536 is not checked: a sandbox without CAP_SYS_RESOURCE (CI's)
# caps every process's hard limit below it, the container's systemd included.
echo "/ read-only, /var/lib/convene writable, NoNewPrivs set"

echo "== journal (journalctl -u convene@$instance)"
# A warning on purpose: a user who is neither root nor the daemon's is refused
# at the admin socket, and the daemon logs it at warning priority. The socket is
# root's (mode 0600), so that user needs CAP_DAC_OVERRIDE to reach the daemon's
# own check at all.
inside setpriv --reuid=convene --regid=convene --clear-groups --inh-caps=+dac_override \
  --ambient-caps=+dac_override mmp --node "$node_dir" iface list >"$run/refused.txt" 2>&1 \
  && fail "mmp as the user convene was not refused"
grep -q 'permission denied' "$run/refused.txt" \
  || { cat "$run/refused.txt"; fail "mmp as the user convene did not fail at the daemon's check (above)"; }
inside journalctl -u "convene@$instance" --no-pager -o json --output-fields=PRIORITY,MESSAGE,SYSLOG_IDENTIFIER \
  > "$run/journal.json" || fail "journalctl -u convene@$instance"
inside journalctl -u "convene@$instance" --no-pager -o short-monotonic | tail -20
/usr/bin/python3 - "$run/journal.json" <<'EOF' || fail "the journal does not hold the daemon's lines with their priorities (above)"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
daemon = [l for l in lines if l.get("SYSLOG_IDENTIFIER") == "convened"]
problems = []
if not [l for l in daemon if l.get("PRIORITY") == "6"]:
    problems.append("no line of convened at priority 6 (info)")
if not [l for l in daemon if l.get("PRIORITY") == "4" and "refused uid" in str(l.get("MESSAGE"))]:
    problems.append("the refused admin connection is not at priority 4 (warning)")
# The "<N>" prefix is for the journal to read, and the journal keeps its own time.
raw = [l for l in daemon if str(l.get("MESSAGE", "")).startswith(("<", "[20"))]
if raw:
    problems.append(f"a line kept its priority prefix or timestamp: {raw[0].get('MESSAGE')}")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
EOF
echo "info and warning lines with their priorities"

echo "== Restart=on-failure: convened killed by SIGKILL"
inside systemctl kill --kill-who=main --signal=SIGKILL "convene@$instance" || fail "systemctl kill convene@$instance"
# systemd starts it again RestartSec=2 after; the new daemon takes over the node
# directory its predecessor left (its lock, its socket).
new_pid=0
for _ in $(seq 300); do
  new_pid=$(inside systemctl show -P MainPID "convene@$instance")
  [ "${new_pid:-0}" != 0 ] && [ "$new_pid" != "$main_pid" ] && break
  sleep 0.1
done
[ "${new_pid:-0}" != 0 ] && [ "$new_pid" != "$main_pid" ] || fail "systemd did not start convened again within 30 s of its SIGKILL"
inside systemctl show -P NRestarts "convene@$instance" | grep -qx 1 || fail "convene@$instance: NRestarts is not 1 after one SIGKILL"
main_pid=$new_pid
for _ in $(seq 100); do inside mmp --node "$node_dir" iface list > "$run/mmp.txt" 2>&1 && break; sleep 0.1; done
grep -q "$iface" "$run/mmp.txt" || { cat "$run/mmp.txt"; fail "mmp does not reach the restarted convened"; }
echo "started again as pid $main_pid; mmp reaches it"

echo "== systemctl stop convene@$instance"
inside systemctl stop "convene@$instance" || fail "systemctl stop convene@$instance"
state=$(inside systemctl is-active "convene@$instance")
[ "$state" = inactive ] || fail "convene@$instance is $state after stop, not inactive (a failed stop is not clean)"
inside test -d "/proc/$main_pid" && fail "convened (pid $main_pid) still runs after stop"

echo "== purge"
inside rm -f "/etc/default/convened-$instance"  # made by this test, not by the package
inside env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q convene convene-bench > "$run/purge.log" 2>&1 \
  || { cat "$run/purge.log"; fail "apt-get purge"; }
for path in /usr/bin/convened /usr/bin/mmp /etc/logrotate.d/convene /lib/systemd/system/convene@.service \
  /usr/share/bash-completion/completions/mmp /var/lib/convene /var/log/convene /usr/share/convene; do
  inside test -e "$path" && fail "$path left after purge"
done
inside getent passwd convene >/dev/null && fail "user convene left after purge"
inside getent group convene >/dev/null && fail "group convene left after purge"
inside systemctl cat "convene@$instance" >/dev/null 2>&1 && fail "systemd still knows convene@$instance after purge"

echo "== power off"
stop_container
echo "package systemd test: passed"
