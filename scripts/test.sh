#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the GoogleTest unit tests
# (ctest), the end-to-end tests (pytest, real processes on 127.0.1.x), the Debian
# package test (scripts/package-test.sh: build, install, a node, purge), the same
# package under a booted systemd (scripts/package-systemd-test.sh), and the
# sanitizer lane (scripts/sanitize.sh: unit tests under ASan+UBSan and under TSan,
# the cluster end-to-end tests with ASan daemons, every fuzz target for a bounded
# time). Ends with one line "tests: N passed, N failed" over all of them, and a
# non-zero exit on any failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${CONVENE_BUILD:-$top/build}
export CONVENE_BUILD=$build

"$top/scripts/install-deps.sh" || exit 1
start=$(date +%s)
"$top/scripts/build.sh" || { echo "tests: build failed"; exit 1; }
echo "build: $(( $(date +%s) - start )) s"

log=$(mktemp -d)
san_build=""
trap 'rm -rf "$log"; [ -z "$san_build" ] || kill -- -"$san_build" 2>/dev/null' EXIT

# The sanitizer builds (two more build trees, clang) start now, in the background at
# the lowest priority: they take the CPU the end-to-end tests leave idle while those
# wait on processes and sockets, which is most of their time. In a process group of
# their own, so an interrupted run stops them.
set -m
( nice -n 19 "$top/scripts/sanitize.sh" build asan && nice -n 19 "$top/scripts/sanitize.sh" build tsan ) \
  > "$log/sanitize-build.txt" 2>&1 &
san_build=$!
set +m

echo "== unit tests (ctest)"
(cd "$build" && ctest -j "$(nproc)" --output-on-failure) | tee "$log/ctest.txt"
unit_rc=${PIPESTATUS[0]}
unit_total=$(sed -nE 's/.* tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\2/p' "$log/ctest.txt" | tail -1)
unit_failed=$(sed -nE 's/.* tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\1/p' "$log/ctest.txt" | tail -1)

echo "== end-to-end tests (pytest)"
# Debian's python3-pytest and python3-slixmpp are installed for /usr/bin/python3, not for another python3 on PATH.
# Two workers (python3-pytest-xdist), a file at a time each: the tests mostly wait on
# processes and sockets, so two files at once take little more than one. Each
# worker's nodes have a loopback /24 of their own (tests/e2e/harness.py, worker_net);
# the files that start PostgreSQL clusters run one after another (tests/e2e/conftest.py).
(cd "$top" && /usr/bin/python3 -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup tests/e2e) | tee "$log/pytest.txt"
e2e_rc=${PIPESTATUS[0]}
e2e_passed=$(grep -oE '[0-9]+ passed' "$log/pytest.txt" | tail -1 | cut -d' ' -f1)
e2e_failed=$(grep -oE '[0-9]+ (failed|error)' "$log/pytest.txt" | awk '{s+=$1} END {print s+0}')

echo "== Debian package (scripts/package-test.sh --reuse-build)"
# Builds the .debs from a copy of the tree with this build's flags (ccache answers
# from the objects just built, so about a minute), installs, starts a node from the
# unit, reaches it with mmp, purges. A release build differs only in its compiler
# flags (dpkg-buildflags): `scripts/package-test.sh` without --reuse-build tests that.
"$top/scripts/package-test.sh" --reuse-build | tee "$log/package.txt"
package_rc=${PIPESTATUS[0]}

# The same .debs in a booted Debian 12 container: systemctl start/stop of
# convene@node1, the unit's sandbox, the journal's priorities, purge. The first run
# on a machine makes the container's root (mmdebstrap: downloads and unpacking,
# little CPU), later runs reuse it from /var/cache/convene-systemd-root: so it runs
# in the background beside the sanitizer lane, which is CPU-bound, and its output
# and time are shown after that lane.
systemd_start=$(date +%s)
( "$top/scripts/package-systemd-test.sh" "$top/build-deb" > "$log/package-systemd.txt" 2>&1
  echo $? > "$log/package-systemd.rc"
  echo "package systemd test: $(( $(date +%s) - systemd_start )) s" >> "$log/package-systemd.txt" ) &
systemd_test=$!

echo "== sanitizer lane (scripts/sanitize.sh)"
wait "$san_build"
san_build_rc=$?
san_build=""
cat "$log/sanitize-build.txt"
san_passed=0
san_failed=0
san_rc=1
if [ "$san_build_rc" = 0 ]; then
  for lane in asan tsan; do
    "$top/scripts/sanitize.sh" test "$lane" | tee "$log/sanitize-$lane.txt"
    [ "${PIPESTATUS[0]}" = 0 ] || san_rc=2
    counts=$(sed -nE 's/^sanitizers: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$log/sanitize-$lane.txt" | tail -1)
    [ -n "$counts" ] || counts="0 1"
    san_passed=$((san_passed + ${counts% *})); san_failed=$((san_failed + ${counts#* }))
  done
  [ "$san_rc" = 2 ] || san_rc=0
else
  echo "sanitizer builds failed (above)"
  san_failed=1
fi

echo "== Debian package under systemd (scripts/package-systemd-test.sh, run beside the sanitizer lane)"
wait "$systemd_test"
cat "$log/package-systemd.txt"
package_systemd_rc=$(cat "$log/package-systemd.rc" 2>/dev/null || echo 1)

package_passed=$(( (package_rc == 0 ? 1 : 0) + (package_systemd_rc == 0 ? 1 : 0) ))
passed=$(( ${unit_total:-0} - ${unit_failed:-0} + ${e2e_passed:-0} + package_passed + san_passed ))
failed=$(( ${unit_failed:-0} + ${e2e_failed:-0} + 2 - package_passed + san_failed ))
[ "$unit_rc" = 0 ] || [ "$failed" -gt 0 ] || failed=1
[ "$e2e_rc" = 0 ] || [ "$failed" -gt 0 ] || failed=1
[ "$san_rc" = 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "total time: $(( $(date +%s) - start )) s"
echo "tests: $passed passed, $failed failed"
[ "$unit_rc" = 0 ] && [ "$e2e_rc" = 0 ] && [ "$package_rc" = 0 ] && [ "$package_systemd_rc" = 0 ] && [ "$san_rc" = 0 ]
