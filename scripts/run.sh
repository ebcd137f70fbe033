#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs a local Convene cluster
# on loopback, ready to use: three nodes (127.0.1.1-3, directories run/node1-3)
# clustered for XMPP as seed 000 does it, with one self-signed certificate they
# share; a database cluster on the same three nodes as seed 004 does it (one
# PostgreSQL 15 each, certificates from a lab CA, automatic failover); a DNS server
# (dnsmasq on 127.0.1.53, never the system resolver) with the _xmpp-client and
# _xmpp-component SRV records of the domain; and a call bridge (cb1) that finds the
# nodes through those records and hosts meeting spaces a new user can join from any
# XMPP client.
#
# The cluster is a lab for faults: the roles are spread (node1 starts as the XMPP
# leader, node2 as the database master, node3 hosts the call bridge), so one kill
# tests one thing; the script outlives any node's death, says so, and prints the
# one command that brings the node back:
#   scripts/run.sh               configure (the first run), start, watch; Ctrl-C stops all
#   scripts/run.sh restart N     start node N's convened again (from another terminal)
# CONVENE_RUN (default run/) and CONVENE_RUN_NET (default 127.0.1) choose where.
#
# Configured once (the first run); later runs start what is configured. Ctrl-C
# stops every process it started, by pid (the nodes' pids are in run/nodeN.pid, so
# a node restarted from another terminal is stopped too).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${CONVENE_BUILD:-$top/build}
export CONVENE_BUILD=$build
net=${CONVENE_RUN_NET:-127.0.1}
run=${CONVENE_RUN:-$top/run}

mmp() { local i=$1; shift; "$build/apps/mmp" --node "$run/node$i" "$@"; }
# Tests of mmp's output read all of it (grep >/dev/null, never grep -q): under
# pipefail, grep -q leaving early fails the pipeline when mmp then gets SIGPIPE.
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
# Node N's pid while it runs: the pid file's, if that process is still a convened
# (a stale file's pid may have been reused).
node_pid() {
  local pid; pid=$(cat "$run/node$1.pid" 2>/dev/null || true)
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = convened ] && echo "$pid"
  return 0
}

# The command that brings node N back, as the operator would type it here.
restart_command() {
  local env=""
  [ -n "${CONVENE_RUN:-}" ] && env+="CONVENE_RUN=$CONVENE_RUN "
  [ -n "${CONVENE_RUN_NET:-}" ] && env+="CONVENE_RUN_NET=$CONVENE_RUN_NET "
  [ "$build" != "$top/build" ] && env+="CONVENE_BUILD=$build "
  echo "${env}$top/scripts/run.sh restart $1"
}

# Starts node N's convened in a session of its own (Ctrl-C in this terminal reaches
# only this script, which stops the nodes in order), records its pid, and waits up
# to 10 s for its admin socket.
start_node() {
  local i=$1
  mkdir -p "$run/node$i"
  setsid "$build/apps/convened" --dir "$run/node$i" --iface a=$net.$i --name node$i \
    >>"$run/node$i.out" 2>&1 </dev/null &
  local pid=$!
  echo $pid >"$run/node$i.pid"
  for _ in $(seq 1 100); do
    mmp "$i" iface list >/dev/null 2>&1 && return 0
    alive $pid || break
    sleep 0.1
  done
  echo "node$i did not start; see $run/node$i.out" >&2
  return 1
}

if [ "${1:-}" = restart ]; then
  i=${2:?usage: scripts/run.sh restart N}
  [[ $i =~ ^[123]$ ]] || { echo "ERROR: no node $i in the local cluster (1, 2 or 3)" >&2; exit 2; }
  if alive "$(node_pid "$i")"; then
    echo "ERROR: node$i is running (pid $(node_pid "$i"))" >&2
    echo "    Stop it first (kill $(node_pid "$i")), or leave it be." >&2
    exit 1
  fi
  start_node "$i"
  echo "node$i is running again (pid $(node_pid "$i")); the script that started the cluster stops it on Ctrl-C."
  exit 0
fi
[ $# -eq 0 ] || { echo "usage: scripts/run.sh [restart N]" >&2; exit 2; }

"$top/scripts/install-deps.sh"
"$top/scripts/build.sh"

domain=convene.test
dns_ip=$net.53
mkdir -p "$run"
# PostgreSQL runs as user postgres: every directory above the nodes' must let it through.
if ! runuser -u postgres -- test -x "$run"; then
  echo "The postgres account cannot reach $run (a parent directory is private)." >&2
  echo "Clone Convene elsewhere, or run with CONVENE_RUN=/var/lib/convene/run (any directory postgres can traverse)." >&2
  exit 1
fi
for i in 1 2 3; do
  if alive "$(node_pid "$i")"; then
    echo "ERROR: node$i is already running (pid $(node_pid "$i")): is another run.sh using $run?" >&2
    exit 1
  fi
done
dns_pid=""
# A postmaster whose convened was killed may outlive it; stop it (fast shutdown) with
# its node, so Ctrl-C leaves nothing behind.
stop_orphan_postgres() {
  local pidfile=$run/node$1/state/db/postmaster.pid pid
  [ -f "$pidfile" ] || return 0
  pid=$(head -1 "$pidfile" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" && kill -INT "$pid" 2>/dev/null || true
}
cleanup() {
  trap - EXIT INT TERM
  local pids=() pid
  for i in 1 2 3; do pid=$(node_pid "$i"); alive "$pid" && pids+=("$pid"); done
  alive "$dns_pid" && pids+=("$dns_pid")
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 300); do  # up to 30 s for an orderly stop, then SIGKILL
    local left=0
    for pid in "${pids[@]}"; do alive "$pid" && left=1; done
    [ $left = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do alive "$pid" && kill -KILL "$pid" 2>/dev/null; done
  for i in 1 2 3; do stop_orphan_postgres "$i"; rm -f "$run/node$i.pid"; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- DNS: the SRV records seed 000 step 9 relies on ---------------------------------
{
  echo "no-resolv"; echo "no-hosts"; echo "bind-interfaces"; echo "listen-address=$dns_ip"
  echo "port=53"; echo "no-daemon"; echo "pid-file="; echo "user=root"; echo "local-ttl=30"
  for i in 1 2 3; do
    echo "host-record=node$i.$domain,$net.$i"
    echo "srv-host=_xmpp-client._tcp.$domain,node$i.$domain,5222,10,50"
    echo "srv-host=_xmpp-component._tcp.$domain,node$i.$domain,5223,10,50"
  done
} >"$run/dnsmasq.conf"
/usr/sbin/dnsmasq -k --conf-file="$run/dnsmasq.conf" --log-facility="$run/dnsmasq.log" &
dns_pid=$!

# --- three nodes -----------------------------------------------------------------------
for i in 1 2 3; do start_node "$i"; done

if ! mmp 1 xmpp cluster status | grep '^State: \(LEADER\|FOLLOWER\)' >/dev/null; then
  echo "Configuring the cluster (seed 000 steps 3-9) ..."
  # Step 4: one certificate for all three nodes (the seed's lab shares abhiall.cer).
  [ -f "$run/node1/files/xmpp.crt" ] ||
    mmp 1 pki selfsigned xmpp CN:$domain subjectAltName:$domain,node1.$domain,node2.$domain,node3.$domain,$net.1,$net.2,$net.3
  for i in 2 3; do cp "$run/node1/files/xmpp.key" "$run/node1/files/xmpp.crt" "$run/node$i/files/"; done
  for i in 1 2 3; do
    mmp $i xmpp domain $domain
    mmp $i xmpp listen a
    mmp $i xmpp certs xmpp.key xmpp.crt
    mmp $i xmpp cluster trust xmpp.crt
    mmp $i xmpp registration on  # a new user can sign up from any XMPP client
  done
  # Steps 5-8 in the seed's order.
  secret=$(mmp 1 xmpp callbridge add cb1 | sed -n 's/.*Secret *: *\([^ ]*\).*/\1/p')
  mmp 1 xmpp disable
  mmp 1 xmpp cluster enable
  mmp 1 xmpp cluster initialize
  mmp 1 xmpp enable
  for i in 2 3; do
    echo "$secret" | mmp $i xmpp callbridge add-secret cb1 >/dev/null
    mmp $i xmpp disable
    mmp $i xmpp cluster enable
    mmp $i xmpp enable
    mmp $i xmpp cluster join $net.1
  done
  printf 'demo\ndemo\n' | mmp 1 xmpp user add demo >/dev/null
  # Step 9: the call bridge, run by node3's convened (node1 leads the XMPP cluster,
  # node2 will be the database master: one kill, one role), finds the nodes through
  # DNS SRV. Every node knows the lab's DNS server, so 'xmpp dns check' typed on any
  # of them asks it.
  for i in 1 2 3; do mmp $i callbridge dns $dns_ip:53 >/dev/null; done
  mmp 3 callbridge name cb1
  mmp 3 callbridge domain $domain
  echo "$secret" | mmp 3 callbridge secret >/dev/null
  mmp 3 callbridge enable
fi

if mmp 1 database cluster status | grep '^Status *: Disabled' >/dev/null; then
  echo "Configuring the database cluster (seed 004) ..."
  if [ ! -f "$run/node1/files/dbca.crt" ]; then
    mmp 1 pki ca create dbca CN:"Convene lab database CA" >/dev/null
    for c in dbserver dbclient; do
      # The server certificate names every node's address: the members check it
      # against the address they connect to (sslmode=verify-full).
      san=""; [ $c = dbserver ] && san="subjectAltName:$net.1,$net.2,$net.3"
      mmp 1 pki csr $c CN:$c $san >/dev/null
      mmp 1 pki ca sign $c.csr $c.crt dbca days:825 >/dev/null
    done
  fi
  for i in 1 2 3; do
    [ "$i" = 1 ] || cp "$run/node1/files/"{dbserver.key,dbserver.crt,dbclient.key,dbclient.crt,dbca.crt} "$run/node$i/files/"
    mmp $i database cluster localnode a
    mmp $i database cluster certs dbserver.key dbserver.crt dbclient.key dbclient.crt dbca.crt
  done
  # node2 is the first master (node1 already leads the XMPP cluster).
  echo Y | mmp 2 database cluster initialize >/dev/null
  for i in 1 3; do echo Y | mmp $i database cluster join $net.2 >/dev/null; done
fi

# The web admin and the CMS API on every node (https://NODE:8443/), each with a
# self-signed certificate for its address, and one lab account (admin / demo-admin-1).
for i in 1 2 3; do
  if ! mmp $i webadmin status | grep '^Status *: Enabled' >/dev/null; then
    [ -f "$run/node$i/files/web.crt" ] || mmp $i pki selfsigned web CN:$net.$i subjectAltName:$net.$i >/dev/null
    mmp $i webadmin listen a 8443 >/dev/null
    mmp $i webadmin certs web.key web.crt >/dev/null
    mmp $i webadmin enable >/dev/null
  fi
  mmp $i user list | grep '^admin ' >/dev/null || printf 'demo-admin-1\ndemo-admin-1\n' | mmp $i user add admin admin >/dev/null
  # A meeting page loaded from one node may move to another when its node dies.
  for j in 1 2 3; do
    [ $j = $i ] || mmp $i webadmin websocket origins add https://$net.$j:8443 >/dev/null
  done
done

# The roles as the nodes report them now (a restarted lab may have moved them).
bridge_host() {
  for i in 1 2 3; do mmp "$i" callbridge status 2>/dev/null | grep '^Status *: Enabled' >/dev/null && { echo "$i"; return; }; done
  echo 1
}
xmpp_leader() { mmp "$1" xmpp cluster status 2>/dev/null | sed -n 's/^\([^ ]*\) .*(Leader).*/\1/p' | head -1; }
database_master() { mmp "$1" database cluster status 2>/dev/null | sed -n 's/^Node in use *: *//p' | head -1; }

cb=$(bridge_host)
for _ in $(seq 1 100); do  # up to 10 s for the call bridge to connect
  mmp "$cb" callbridge status | grep -i 'connected to' >/dev/null && break
  sleep 0.1
done
echo
mmp 1 xmpp cluster status
echo
mmp 1 database cluster status
echo
mmp "$cb" callbridge status || true
echo
mmp 1 xmpp dns check || true

cat <<MSG

Convene is running: XMPP domain $domain on $net.1, $net.2 and $net.3 (port
5222, STARTTLS with the self-signed certificate $run/node1/files/xmpp.crt), a database
cluster of the same three nodes (PostgreSQL 15, port 5432), DNS with the SRV records
on $dns_ip, and call bridge cb1.$domain.

  - Log in as demo / demo on any node (or register a new account in-band), and join
    the meeting space  welcome@cb1.$domain  (multi-user chat) — any space name works,
    a space is made on its first join.
  - Web admin and CMS API on every node: https://$net.1:8443/ (and .2, .3), user
    admin, password demo-admin-1 (self-signed certificate: $run/node1/files/web.crt), e.g.
      curl --cacert $run/node1/files/web.crt -u admin:demo-admin-1 https://$net.1:8443/api/v1/system/status
  - Meetings in a browser on every node: https://$net.1:8443/meet/ (and .2, .3): log
    in as demo@$domain / demo, pick a space, talk; when that node dies the page
    reconnects by itself and joins the space again.
  - Administer a node from another terminal:
      $build/apps/mmp --node $run/node1            # interactive: help, tab completion
      $build/apps/mmp --node $run/node2 xmpp cluster status
      $build/apps/mmp --node $run/node$cb callbridge status
      $build/apps/mmp --node $run/node2 database cluster status
  - Roles now: XMPP leader $(xmpp_leader 1), database master $(database_master 1),
    call bridge cb1 on node$cb. Kill one node to test one thing, e.g.
      kill -9 \$(cat $run/node$cb.pid)      # the bridge moves its link, the space goes on
    This script keeps running, says which node died, and how to bring it back:
      $(restart_command N)

Press Ctrl-C to stop everything.
MSG

# Watch the nodes until Ctrl-C: report a death once, and a node that is back.
declare -A reported=()
while true; do
  for i in 1 2 3; do
    pid=$(node_pid "$i")
    if alive "$pid"; then
      [ -n "${reported[$i]:-}" ] && echo "$(date +%T) node$i is back (pid $pid)"
      reported[$i]=""
    elif [ -z "${reported[$i]:-}" ]; then
      echo "$(date +%T) node$i is gone; the others carry on. Restart it with:"
      echo "    $(restart_command "$i")"
      reported[$i]=1
    fi
  done
  alive "$dns_pid" || { echo "dnsmasq ended; see $run/dnsmasq.log" >&2; exit 1; }
  sleep 1
done
