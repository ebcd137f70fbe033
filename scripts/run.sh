#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs a local Convene node on
# loopback (127.0.1.1, directory run/node1) with a self-signed certificate, ready
# for `mmp`. Runs in the foreground; Ctrl-C stops the node it started.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${CONVENE_BUILD:-$top/build}
export CONVENE_BUILD=$build
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh"

dir=$top/run/node1
address=127.0.1.1
mkdir -p "$dir"
"$build/apps/convened" --dir "$dir" --iface a=$address --name node1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT INT TERM

mmp() { "$build/apps/mmp" --node "$dir" "$@"; }
for _ in $(seq 1 100); do  # up to 10 s for the admin socket
  mmp iface list >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { echo "convened exited; see $dir/logs/convened.log" >&2; exit 1; }
  sleep 0.1
done
if [ ! -f "$dir/files/node1.crt" ]; then
  mmp pki selfsigned node1 CN:node1.convene.test subjectAltName:node1.convene.test,$address
fi

cat <<MSG

Convene node 'node1' is running on $address (directory $dir).
Administer it from another terminal:

  $build/apps/mmp --node $dir              # interactive shell (help, tab completion)
  $build/apps/mmp --node $dir pki list     # one command
  $build/apps/mmp --node $dir pki inspect node1.crt

Files for the node (keys, certificates, backups) go in $dir/files.
Press Ctrl-C to stop the node.
MSG
wait $pid
