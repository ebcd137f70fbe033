#!/usr/bin/env bash
# Runs convene-bench against one fresh convened node.
#
#   bench/run-convene.sh [BUILD_DIR]        (default: build)
#
# Environment (all optional): ADDR=127.0.1.1 (the node's address), USERS=10000 logins per login run, PAIRS=250, DURATION=10
# (seconds measured per messages run), REPEAT=3 (runs of login and messages), IDLE="1000 10000"
# (idle connection counts), HOLD=3 (seconds idle before RSS is read), RATE="" (also an open-loop messages run at this many msgs/s),
# TLS="" (1: STARTTLS before SASL in the measured runs), MECH=auto (plain|scram-sha-1|scram-sha-256; Convene offers PLAIN only over TLS, so over
# plain TCP auto picks SCRAM-SHA-1), OUT=bench/results/convene-<time>.txt.
#
# The node lives in a temporary directory on 127.0.1.1: it is configured through mmp
# (domain bench.test, listen a, self-signed certificate, users imported from a file of
# user:password lines, plaintext on, enable) while it runs on both cores, then restarted
# pinned to core 0 (taskset -c 0) for each scenario, with the tool on core 1. Every node
# is stopped by its pid; every wait is bounded.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$TOP/build}" && pwd)
USERS=${USERS:-10000}
PAIRS=${PAIRS:-250}
DURATION=${DURATION:-10}
REPEAT=${REPEAT:-3}
IDLE=${IDLE-1000 10000}
RATE=${RATE:-}
MECH=${MECH:-auto}
HOLD=${HOLD:-3}
ADDR=${ADDR:-127.0.1.1}  # another loopback address lets two runs share a machine
PORT=5222
DOMAIN=bench.test
CONVENED=$BUILD/apps/convened
MMP=$BUILD/apps/mmp
BENCH=$BUILD/apps/convene-bench
for b in "$CONVENED" "$MMP" "$BENCH"; do [[ -x $b ]] || { echo "missing $b (build it first)" >&2; exit 2; }; done

ulimit -n "$(ulimit -Hn)"
TMP=$(mktemp -d /tmp/convene-bench.XXXXXX)
# KEEP=DIR keeps the configured node there and reuses it next time (importing 10k users
# derives 20k PBKDF2 keys: minutes on a busy machine).
NODE=${KEEP:-$TMP/node}
mkdir -p "$TOP/bench/results"
OUT=${OUT:-$TOP/bench/results/convene-$(date +%Y%m%d-%H%M%S).txt}
PID=

stop_node() {
  [[ -n $PID ]] || return 0
  kill -TERM "$PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=
}
cleanup() { stop_node; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM

wait_for() {  # wait_for SECONDS what command...
  local t=$1 what=$2; shift 2
  for _ in $(seq $((t * 20))); do "$@" 2>/dev/null && return 0; sleep 0.05; done
  echo "timed out waiting for $what" >&2; tail -20 "$TMP/node.out" >&2; exit 1
}
port_open() { (exec 3<>"/dev/tcp/$ADDR/$PORT") 2>/dev/null; }

start_node() {  # start_node [taskset cpu list]
  mkdir -p "$NODE"
  if [[ -n ${1:-} ]]; then
    taskset -c "$1" "$CONVENED" --dir "$NODE" --iface a=$ADDR --name bench --log-level warn >>"$TMP/node.out" 2>&1 &
  else
    "$CONVENED" --dir "$NODE" --iface a=$ADDR --name bench --log-level warn >>"$TMP/node.out" 2>&1 &
  fi
  PID=$!
  wait_for 60 "the admin socket" test -S "$NODE/mmp.sock"
}
mmp() { timeout 600 "$MMP" --node "$NODE" "$@" >>"$TMP/mmp.out"; }

NEED=$((USERS > 2 * PAIRS ? USERS : 2 * PAIRS))
for n in $IDLE; do ((n > NEED)) && NEED=$n; done
if [[ -n ${KEEP:-} && -f $NODE/files/users.txt && $(wc -l <"$NODE/files/users.txt") -ge $NEED ]]; then
  echo "reusing the node in $NODE" >&2
else
rm -rf "$NODE"
echo "configuring a node in $NODE with $NEED users" >&2
start_node
mmp xmpp domain $DOMAIN
mmp xmpp listen a
mmp pki selfsigned bench CN:$DOMAIN subjectAltName:$DOMAIN,$ADDR
mmp xmpp certs bench.key bench.crt
for ((i = 0; i < NEED; i++)); do echo "user$i:secret"; done >"$NODE/files/users.txt"
mmp xmpp user import users.txt
mmp xmpp plaintext on
mmp xmpp limit max-connections-per-address 1000000
mmp xmpp limit auth-timeout 600
mmp xmpp enable
wait_for 60 "port $PORT" port_open
stop_node
fi

run() {  # run SCENARIO ARGS...: pinned tool against the pinned node
  local line
  line=$(taskset -c 1 "$BENCH" --label convene --host $ADDR --port $PORT --domain $DOMAIN --password secret \
    ${TLS:+--starttls} --mech "$MECH" --scram-cache "$TMP/scram.cache" --server-pid "$PID" --timeout 120 "$@") || true
  echo "$line load1=$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT"
}
fresh() { stop_node; start_node 0; wait_for 60 "port $PORT" port_open; }

{
  echo "# convene-bench $(date -Is) host=$(hostname) commit=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null)"
  echo "# server: taskset -c 0 convened; tool: taskset -c 1 convene-bench; ${TLS:+STARTTLS}${TLS:-plain TCP}; mech=$MECH"
  echo "# load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) (other work on these 2 cores skews every figure)"
} | tee -a "$OUT"
fresh
# Priming pass: the tool derives and caches each user's SCRAM keys (PBKDF2) here, not in the measured runs.
taskset -c 1 "$BENCH" --host $ADDR --domain $DOMAIN --password secret --mech "$MECH" --scram-cache "$TMP/scram.cache" \
  --timeout 300 login --users "$NEED" >/dev/null || true
for ((r = 0; r < REPEAT; r++)); do
  fresh
  run login --users "$USERS"
  fresh
  run messages --pairs "$PAIRS" --duration "$DURATION"
  if [[ -n $RATE ]]; then run messages --pairs "$PAIRS" --duration "$DURATION" --rate "$RATE"; fi
done
for n in $IDLE; do
  fresh
  run idle --users "$n" --hold "$HOLD"
done
stop_node
echo "results in $OUT" >&2
