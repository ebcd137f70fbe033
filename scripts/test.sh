#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the GoogleTest unit tests
# (ctest) and the end-to-end tests (pytest, real processes on 127.0.1.x). Ends with
# one line "tests: N passed, N failed" over both, and a non-zero exit on any failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${CONVENE_BUILD:-$top/build}
export CONVENE_BUILD=$build

"$top/scripts/install-deps.sh" || exit 1
start=$(date +%s)
"$top/scripts/build.sh" || { echo "tests: build failed"; exit 1; }
echo "build: $(( $(date +%s) - start )) s"

log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

echo "== unit tests (ctest)"
(cd "$build" && ctest -j "$(nproc)" --output-on-failure) | tee "$log/ctest.txt"
unit_rc=${PIPESTATUS[0]}
unit_total=$(sed -nE 's/.* tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\2/p' "$log/ctest.txt" | tail -1)
unit_failed=$(sed -nE 's/.* tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\1/p' "$log/ctest.txt" | tail -1)

echo "== end-to-end tests (pytest)"
# Debian's python3-pytest and python3-slixmpp are installed for /usr/bin/python3, not for another python3 on PATH.
(cd "$top" && /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e) | tee "$log/pytest.txt"
e2e_rc=${PIPESTATUS[0]}
e2e_passed=$(grep -oE '[0-9]+ passed' "$log/pytest.txt" | tail -1 | cut -d' ' -f1)
e2e_failed=$(grep -oE '[0-9]+ (failed|error)' "$log/pytest.txt" | awk '{s+=$1} END {print s+0}')

passed=$(( ${unit_total:-0} - ${unit_failed:-0} + ${e2e_passed:-0} ))
failed=$(( ${unit_failed:-0} + ${e2e_failed:-0} ))
[ "$unit_rc" = 0 ] || [ "$failed" -gt 0 ] || failed=1
[ "$e2e_rc" = 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "total time: $(( $(date +%s) - start )) s"
echo "tests: $passed passed, $failed failed"
[ "$unit_rc" = 0 ] && [ "$e2e_rc" = 0 ]
