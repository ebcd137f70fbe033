#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs a local Convene cluster
# on loopback, ready to use: three nodes (127.0.1.1-3, directories run/node1-3)
# clustered for XMPP as seed 000 does it, with one self-signed certificate they
# share; a database cluster on the same three nodes as seed 004 does it (one
# PostgreSQL 15 each, certificates from a lab CA, node1 master, automatic
# failover); a DNS server (dnsmasq on 127.0.1.53, never the system resolver) with
# the _xmpp-client and _xmpp-component SRV records of the domain; and a call bridge
# (cb1, run by node1's convened) that finds the nodes through those records and
# hosts meeting spaces a new user can join from any XMPP client.
#
# Configured once (the first run); later runs start what is configured. Runs in
# the foreground; Ctrl-C stops every process it started, by pid.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${CONVENE_BUILD:-$top/build}
export CONVENE_BUILD=$build
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh"

domain=convene.test
dns_ip=127.0.1.53
run=${CONVENE_RUN:-$top/run}
mkdir -p "$run"
# PostgreSQL runs as user postgres: every directory above the nodes' must let it through.
if ! runuser -u postgres -- test -x "$run"; then
  echo "The postgres account cannot reach $run (a parent directory is private)." >&2
  echo "Clone Convene elsewhere, or run with CONVENE_RUN=/var/lib/convene/run (any directory postgres can traverse)." >&2
  exit 1
fi
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

mmp() { local i=$1; shift; "$build/apps/mmp" --node "$run/node$i" "$@"; }

# --- DNS: the SRV records seed 000 step 9 relies on ---------------------------------
{
  echo "no-resolv"; echo "no-hosts"; echo "bind-interfaces"; echo "listen-address=$dns_ip"
  echo "port=53"; echo "no-daemon"; echo "pid-file="; echo "user=root"; echo "local-ttl=30"
  for i in 1 2 3; do
    echo "host-record=node$i.$domain,127.0.1.$i"
    echo "srv-host=_xmpp-client._tcp.$domain,node$i.$domain,5222,10,50"
    echo "srv-host=_xmpp-component._tcp.$domain,node$i.$domain,5223,10,50"
  done
} >"$run/dnsmasq.conf"
/usr/sbin/dnsmasq -k --conf-file="$run/dnsmasq.conf" --log-facility="$run/dnsmasq.log" &
pids+=($!)

# --- three nodes -----------------------------------------------------------------------
for i in 1 2 3; do
  mkdir -p "$run/node$i"
  "$build/apps/convened" --dir "$run/node$i" --iface a=127.0.1.$i --name node$i >>"$run/node$i.out" 2>&1 &
  pids+=($!)
done
for i in 1 2 3; do
  for _ in $(seq 1 100); do  # up to 10 s for each admin socket
    mmp $i iface list >/dev/null 2>&1 && break
    sleep 0.1
  done
  mmp $i iface list >/dev/null || { echo "node$i did not start; see $run/node$i.out" >&2; exit 1; }
done

if ! mmp 1 xmpp cluster status | grep -q '^State: \(LEADER\|FOLLOWER\)'; then
  echo "Configuring the cluster (seed 000 steps 3-9) ..."
  # Step 4: one certificate for all three nodes (the seed's lab shares abhiall.cer).
  [ -f "$run/node1/files/xmpp.crt" ] ||
    mmp 1 pki selfsigned xmpp CN:$domain subjectAltName:$domain,node1.$domain,node2.$domain,node3.$domain,127.0.1.1,127.0.1.2,127.0.1.3
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
    mmp $i xmpp cluster join 127.0.1.1
  done
  printf 'demo\ndemo\n' | mmp 1 xmpp user add demo >/dev/null
  # Step 9: the call bridge, run by node1's convened, finds the nodes through DNS SRV.
  mmp 1 callbridge name cb1
  mmp 1 callbridge domain $domain
  mmp 1 callbridge dns $dns_ip:53
  echo "$secret" | mmp 1 callbridge secret >/dev/null
  mmp 1 callbridge enable
fi

if mmp 1 database cluster status | grep -q '^Status *: Disabled'; then
  echo "Configuring the database cluster (seed 004) ..."
  if [ ! -f "$run/node1/files/dbca.crt" ]; then
    mmp 1 pki ca create dbca CN:"Convene lab database CA" >/dev/null
    for c in dbserver dbclient; do
      # The server certificate names every node's address: the members check it
      # against the address they connect to (sslmode=verify-full).
      san=""; [ $c = dbserver ] && san="subjectAltName:127.0.1.1,127.0.1.2,127.0.1.3"
      mmp 1 pki csr $c CN:$c $san >/dev/null
      mmp 1 pki ca sign $c.csr $c.crt dbca days:825 >/dev/null
    done
  fi
  for i in 1 2 3; do
    [ "$i" = 1 ] || cp "$run/node1/files/"{dbserver.key,dbserver.crt,dbclient.key,dbclient.crt,dbca.crt} "$run/node$i/files/"
    mmp $i database cluster localnode a
    mmp $i database cluster certs dbserver.key dbserver.crt dbclient.key dbclient.crt dbca.crt
  done
  echo Y | mmp 1 database cluster initialize >/dev/null
  for i in 2 3; do echo Y | mmp $i database cluster join 127.0.1.1 >/dev/null; done
fi

for _ in $(seq 1 100); do  # up to 10 s for the call bridge to connect
  mmp 1 callbridge status | grep -qi 'connected to' && break
  sleep 0.1
done
echo
mmp 1 xmpp cluster status
echo
mmp 1 database cluster status
echo
mmp 1 callbridge status || true
echo
mmp 1 xmpp dns check $dns_ip:53 || true

cat <<MSG

Convene is running: XMPP domain $domain on 127.0.1.1, 127.0.1.2 and 127.0.1.3 (port
5222, STARTTLS with the self-signed certificate $run/node1/files/xmpp.crt), a database
cluster of the same three nodes (PostgreSQL 15, port 5432), DNS with the SRV records
on $dns_ip, and call bridge cb1.$domain.

  - Log in as demo / demo on any node (or register a new account in-band), and join
    the meeting space  welcome@cb1.$domain  (multi-user chat) — any space name works,
    a space is made on its first join.
  - Administer a node from another terminal:
      $build/apps/mmp --node $run/node1            # interactive: help, tab completion
      $build/apps/mmp --node $run/node2 xmpp cluster status
      $build/apps/mmp --node $run/node1 callbridge status
      $build/apps/mmp --node $run/node2 database cluster status
  - Try a failover: kill -9 the node the call bridge is connected to (see its
    status); it moves to another node and the space goes on. Or stop node1's
    convened and its PostgreSQL: within seconds another node is the database master.

Press Ctrl-C to stop everything.
MSG
wait "${pids[1]}"
