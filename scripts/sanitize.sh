#!/usr/bin/env bash
# The sanitizer lane (scripts/test.sh runs it after the normal tests):
#   asan: a clang build with ASan+UBSan and libFuzzer coverage (build-asan) runs
#         every unit test, the end-to-end cluster tests (real daemons under ASan)
#         and every fuzz target for FUZZ_SECONDS each (scripts/fuzz.sh);
#   tsan: a clang build with TSan (build-tsan) runs every unit test.
#
#   scripts/sanitize.sh                 both lanes, built and run
#   scripts/sanitize.sh build asan|tsan only configure and build that lane
#   scripts/sanitize.sh test asan|tsan  only run that (built) lane
# Running ends with "sanitizers: N passed, N failed" (unit tests, end-to-end tests
# and fuzz targets); the exit status is non-zero on any failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
fuzz_seconds=${FUZZ_SECONDS:-20}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
passed=0
failed=0

dir_of() { if [ "$1" = asan ]; then echo "${CONVENE_ASAN_BUILD:-$top/build-asan}"; else echo "${CONVENE_TSAN_BUILD:-$top/build-tsan}"; fi; }

build() {  # LANE: configure once, then build (ninja rebuilds only what changed)
  local dir sanitizers fuzz=OFF
  dir=$(dir_of "$1")
  if [ "$1" = asan ]; then sanitizers=address,undefined; fuzz=ON; else sanitizers=thread; fi
  # ccache as in scripts/build.sh: paths hashed relative to the tree, so a fresh clone
  # of an unchanged tree compiles nothing again (these two trees are most of a run).
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$top} CCACHE_NOHASHDIR=1
  local launcher=()
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S "$top" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DCONVENE_SANITIZE="$sanitizers" -DCONVENE_FUZZ="$fuzz" -DCONVENE_BENCH=OFF "${launcher[@]}" >/dev/null || return 1
  fi
  local start; start=$(date +%s)
  if ! cmake --build "$dir" -j "$(nproc)" > "$log/$1-build.txt" 2>&1; then
    echo "$1 build failed:"; grep -E "error|FAILED" "$log/$1-build.txt" | head -20; return 1
  fi
  echo "$1 build: $(( $(date +%s) - start )) s"
}

count_ctest() {  # LOG: adds its counts
  local total bad
  total=$(sed -nE 's/.* tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\2/p' "$1" | tail -1)
  bad=$(sed -nE 's/.* tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\1/p' "$1" | tail -1)
  [ -n "$total" ] || { failed=$((failed + 1)); return; }
  passed=$((passed + total - bad)); failed=$((failed + bad))
}

unit() {  # LANE
  echo "== sanitizers ($1): unit tests"
  (cd "$(dir_of "$1")" && ctest -j "$(nproc)" --output-on-failure) > "$log/$1-ctest.txt" 2>&1
  tail -3 "$log/$1-ctest.txt"
  grep -E -A3 "\*\*\*Failed|ERROR: .*Sanitizer|runtime error|WARNING: ThreadSanitizer" "$log/$1-ctest.txt" | head -40
  count_ctest "$log/$1-ctest.txt"
}

e2e_under_asan() {
  echo "== sanitizers (asan): end-to-end cluster tests"
  local reports; reports=$(mktemp -d)
  # Daemons write any report to a file of their own (their output may be a log
  # nobody reads); leaks are left to the unit tests: a daemon killed on purpose
  # leaks by design.
  (cd "$top" && CONVENE_BUILD="$(dir_of asan)" ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$reports/asan" \
     UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan" \
     /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e/test_xmpp_cluster.py tests/e2e/test_database_cluster.py) \
     > "$log/asan-e2e.txt" 2>&1
  tail -2 "$log/asan-e2e.txt"
  local ok bad
  ok=$(grep -oE '[0-9]+ passed' "$log/asan-e2e.txt" | tail -1 | cut -d' ' -f1)
  bad=$(grep -oE '[0-9]+ (failed|error)' "$log/asan-e2e.txt" | awk '{s+=$1} END {print s+0}')
  passed=$((passed + ${ok:-0})); failed=$((failed + bad))
  [ -n "$ok" ] || [ "$bad" -gt 0 ] || failed=$((failed + 1))
  if ls "$reports"/* >/dev/null 2>&1; then
    echo "sanitizer reports from daemons:"; head -60 "$reports"/*; failed=$((failed + 1))
  fi
  rm -rf "$reports"
}

fuzz() {
  echo "== sanitizers (asan): fuzz targets, ${fuzz_seconds} s each"
  "$top/scripts/fuzz.sh" "$(dir_of asan)" "$fuzz_seconds" | tee "$log/fuzz.txt"
  passed=$((passed + $(grep -c ', no crash$' "$log/fuzz.txt"))); failed=$((failed + $(grep -c 'FAILED' "$log/fuzz.txt")))
}

test_lane() {  # LANE
  if [ "$1" = asan ]; then unit asan; e2e_under_asan; fuzz; else unit tsan; fi
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Only our code is instrumented; scripts/tsan.supp names races inside libraries we
# do not build (their synchronisation is invisible to TSan), never our own code.
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$top/scripts/tsan.supp}

case "${1:-all}" in
  build) build "${2:?asan or tsan}"; exit $? ;;
  test) test_lane "${2:?asan or tsan}" ;;
  all) for lane in asan tsan; do if build "$lane"; then test_lane "$lane"; else failed=$((failed + 1)); fi; done ;;
  *) echo "usage: scripts/sanitize.sh [build|test asan|tsan]"; exit 2 ;;
esac
echo "sanitizers: $passed passed, $failed failed"
[ "$failed" = 0 ]
