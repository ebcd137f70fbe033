#!/usr/bin/env bash
# Configures (once) and builds Convene into build/ (or $CONVENE_BUILD). Ninja only
# rebuilds what changed; both cores are used.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${CONVENE_BUILD:-$top/build}
# ccache (when installed) keeps rebuilds cheap, and lets the Debian package test
# (scripts/package-test.sh --reuse-build) compile the same sources from its copy of
# the tree out of this build's objects: paths are hashed relative to the tree.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$top} CCACHE_NOHASHDIR=1
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
fi
cmake --build "$build" -j "$(nproc)"
