#!/usr/bin/env bash
# Configures (once) and builds Convene into build/ (or $CONVENE_BUILD). Ninja only
# rebuilds what changed; both cores are used.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${CONVENE_BUILD:-$top/build}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j "$(nproc)"
