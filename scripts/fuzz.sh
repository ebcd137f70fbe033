#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzzing build for a bounded time each, starting
# from its seed corpus in fuzz/corpus/<name>/ (kept unchanged: what a run finds
# goes to a scratch directory). Prints one line per target with its executions;
# a crash, leak or sanitizer report fails the run and leaves the input that
# caused it in the scratch directory, whose path is printed.
#   scripts/fuzz.sh BUILD_DIR [SECONDS_PER_TARGET]      (default 20; bench: longer)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: scripts/fuzz.sh BUILD_DIR [SECONDS]}" && pwd) || exit 2
seconds=${2:-20}
work=$(mktemp -d /tmp/convene-fuzz.XXXXXX)
failed=0
for corpus in "$top"/fuzz/corpus/*/; do
  name=$(basename "$corpus")
  target="$build/fuzz/fuzz_$name"
  if [ ! -x "$target" ]; then
    echo "fuzz $name: FAILED: $target not built"; failed=1; continue
  fi
  mkdir -p "$work/$name"
  # -timeout: one input may take 10 s at most (a hang is a finding too).
  (cd "$work/$name" && "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 "$work/$name" "$corpus") > "$work/$name.log" 2>&1
  rc=$?
  runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$work/$name.log" | tail -1)
  if [ "$rc" = 0 ]; then
    echo "fuzz $name: ${runs:-?} executions in ${seconds} s, no crash"
  else
    echo "fuzz $name: FAILED (exit $rc) after ${runs:-?} executions; log and input in $work/$name*"
    grep -E "ERROR|SUMMARY|Test unit written" "$work/$name.log" | head -5
    failed=1
  fi
done
[ "$failed" = 0 ] && rm -rf "$work"
exit $failed
