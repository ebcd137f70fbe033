#!/usr/bin/python3
"""Database cluster figures: failover time and throughput during a live
certificate rotation.

    bench/db-failover.py [--build build] [--trials 10] [--window 10]

Starts three real convened on NET.1-3 (the e2e harness; NET from CONVENE_TEST_NET,
default 127.0.1), each with its own PostgreSQL 15, and builds the cluster with the
seed's commands. Then:

1. Failover, --trials times: a client commits rows one at a time on the master
   (psql over the node's socket; after a broken session it looks for the master
   again, as a libpq client with every host and target_session_attrs=read-write
   would); the master's machine dies (kill -9 of convened and of PostgreSQL).
   `failover_ms`: from the kill to the first row acknowledged by the new master.
   Every acknowledged row must be on the new master (`lost` counts those that are
   not). The dead node is restarted and must be an in-sync slave again before the
   next trial, so the master moves around.
2. Fencing, --trials times (--only fencing, or with the others): a writer with
   README's documented settings (psql, every host with the master first,
   target_session_attrs=read-write, timeouts; a fresh connection per attempt)
   commits rows; kill -9 of the master's convened only (its PostgreSQL left to
   the guard). `refused_ms`: from the kill to the postmaster's exit (pidfd);
   `commit_ms`: to the writer's first commit on the new master; `longest_attempt_ms`:
   the writer's longest single attempt (connect + commit) in the trial. With
   --stall: SIGSTOP of the master's convened instead (SIGCONT after the first
   commit on the new master; it must come back as an in-sync standby).
3. Rotation, three rounds: the same client commits for --window seconds (before),
   then while `database cluster certs` installs new certificates on every node one
   after the other, until 1 s after the last (during: the standbys' reconnects
   included). Commits per second before and during, and the client's failed
   transactions.

A benchmark, not a test: figures, not pass/fail. Prints a summary and writes it to
bench/results/db-cluster-<time>.txt. Every process is stopped by its pid.
"""
import argparse
import os
import select
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "tests" / "e2e"))

args = argparse.ArgumentParser()
args.add_argument("--build", default=str(TOP / "build"))
args.add_argument("--trials", type=int, default=10)
args.add_argument("--window", type=float, default=10, help="seconds of commits before and during the rotation")
args.add_argument("--stall", action="store_true", help="fencing: SIGSTOP the master's convened instead of kill -9")
args.add_argument("--only", choices=["failover", "fencing", "rotation"], help="run one part only")
opts = args.parse_args()
os.environ["CONVENE_BUILD"] = str(Path(opts.build).resolve())

from harness import Node, wait_for  # noqa: E402  (reads CONVENE_BUILD)
from db_cluster_fixtures import (ADDR, FailoverWriter, _postmaster_pid, build_cluster, is_master,  # noqa: E402
                                 kill_node_hard, make_certs, sql, status_lines, stop_nodes)
from test_database_fencing import DocumentedWriter, documented_conninfo  # noqa: E402


def in_sync(master, node):
    return f"  {ADDR[node.index]}          : Connected Slave ( In Sync )" in status_lines(master)


def failover_trials(nodes, trials):
    sql(nodes[0], "CREATE TABLE ledger (id int PRIMARY KEY, at timestamptz)")
    results = []
    for trial in range(1, trials + 1):
        master = next(n for n in nodes if is_master(n))
        sql(master, "TRUNCATE ledger")
        writer = FailoverWriter(nodes, "ledger")
        try:
            wait_for(lambda: len(writer.acked) >= 20, 30, "rows on the master")
            t_kill = time.monotonic()
            kill_node_hard(master)
            # (a row the dying master acknowledged just before the kill may be read after it)
            taken = lambda: [a for a in writer.acked_since(t_kill) if a[2] != master.index]  # noqa: E731
            wait_for(taken, 60, "a row acknowledged by a new master")
        finally:
            writer.stop()
        first = taken()[0]
        new = next(n for n in nodes if n.index == first[2])
        acked = {a[0] for a in writer.acked}
        present = {int(x) for x in sql(new, "SELECT id FROM ledger").stdout.split()}
        lost = len(acked - present)
        ms = (first[1] - t_kill) * 1000
        results.append((ms, lost, len(acked)))
        print(f"trial {trial}: master {ADDR[master.index]} killed; {ADDR[new.index]} took writes after {ms:.0f} ms; "
              f"lost {lost} of {len(acked)} acknowledged", flush=True)
        master.start()
        wait_for(lambda: in_sync(new, master), 90, "the old master back as an in-sync slave")
    return results


def fencing_trials(nodes, trials, stall=False):
    """kill -9 (or, with `stall`, SIGSTOP until the new master commits) of the master's
    convened only; returns per trial (refused_ms, commit_ms, longest_attempt_ms)."""
    sql(next(n for n in nodes if is_master(n)), "CREATE TABLE fence (id int PRIMARY KEY); "
        "GRANT INSERT, SELECT, DELETE ON fence TO callbridge")
    results = []
    for trial in range(1, trials + 1):
        master = next(n for n in nodes if is_master(n))
        sql(master, "TRUNCATE fence")
        hosts = [ADDR[master.index]] + [ADDR[n.index] for n in nodes if n is not master]
        other = next(n for n in nodes if n is not master)
        writer = DocumentedWriter(documented_conninfo(other, hosts), "fence")
        try:
            wait_for(lambda: len(writer.acked) >= 5, 30, "rows on the master")
            pidfd = os.pidfd_open(_postmaster_pid(master))
            t_kill = time.monotonic()
            if stall:
                master.signal(signal.SIGSTOP)
            else:
                master.kill()
            select.select([pidfd], [], [], 30)
            t_refused = time.monotonic()
            os.close(pidfd)
            first_new = lambda: [a for a in writer.acked if a[2] > t_kill and a[1] != ADDR[master.index]]  # noqa: E731
            wait_for(first_new, 60, "a commit on the new master")
        finally:
            if stall:
                master.signal(signal.SIGCONT)
            writer.stop()
        t_commit = first_new()[0][2]
        longest = max(writer.durations) * 1000
        r = ((t_refused - t_kill) * 1000, (t_commit - t_kill) * 1000, longest)
        results.append(r)
        print(f"trial {trial}: convened of {ADDR[master.index]} {'stopped' if stall else 'killed'}; PostgreSQL gone after {r[0]:.0f} ms, "
              f"first commit on {first_new()[0][1]} after {r[1]:.0f} ms, longest attempt {r[2]:.0f} ms", flush=True)
        if not stall:
            master.start()
        new = next(n for n in nodes if n.index != master.index and is_master(n))
        wait_for(lambda: in_sync(new, master), 90, "the old master back as an in-sync slave")
    return results


def rotation(nodes, window, rounds=3):
    """`rounds` times: commits for `window` s, then new certificates on every node one
    after the other (measured from the first command to 1 s after the last, the
    standbys' reconnects included). Returns per-round (before/s, during/s, failed)."""
    master = next(n for n in nodes if is_master(n))
    sql(master, "CREATE TABLE rot (id int PRIMARY KEY, at timestamptz)")
    names = [make_certs(nodes[0], nodes, server=f"rot{r}server", client=f"rot{r}client", ca="CA") for r in range(rounds)]
    writer = FailoverWriter(nodes, "rot")
    spans = []
    try:
        for r in range(rounds):
            t0 = time.monotonic()
            wait_for(lambda: time.monotonic() - t0 >= window, window + 5, "the window before")
            t1 = time.monotonic()
            failed_before = writer.failed_attempts
            for n in nodes:
                n.mmp("database", "cluster", "certs", *names[r])
            t2 = time.monotonic() + 1
            wait_for(lambda: time.monotonic() >= t2, 5, "the reconnects")
            spans.append((t0, t1, t2, writer.failed_attempts - failed_before))
    finally:
        writer.stop()

    def rate(a, b):
        return len([x for x in writer.acked if a < x[1] <= b]) / (b - a)
    return [(rate(t0, t1), rate(t1, t2), failed, t2 - t1) for t0, t1, t2, failed in spans]


def main():
    base = Path(tempfile.mkdtemp(prefix="convene-dbbench-", dir="/tmp"))
    os.chmod(base, 0o711)
    nodes = [Node(base, i, name=f"node{i}") for i in (1, 2, 3)]
    lines = []
    try:
        for n in nodes:
            n.start()
        build_cluster(nodes)
        load = os.getloadavg()
        lines += [f"# db-failover {time.strftime('%Y-%m-%d %H:%M:%S')}  load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
                  f"  cores {os.cpu_count()}",
                  f"command: bench/db-failover.py --trials {opts.trials} --window {opts.window:g}"
                  + (f" --only {opts.only}" if opts.only else "") + (" --stall" if opts.stall else "")]
        if opts.only in (None, "failover"):
            trials = failover_trials(nodes, opts.trials)
            times = [t[0] for t in trials]
            lines += [f"failover (kill -9 of the master's convened + PostgreSQL -> first commit on the new master), "
                      f"{len(times)} trials: median {statistics.median(times):.0f} ms, min {min(times):.0f}, "
                      f"max {max(times):.0f}",
                      f"acknowledged rows lost: {sum(t[1] for t in trials)} of {sum(t[2] for t in trials)}"]
        if opts.only in (None, "fencing"):
            fence = fencing_trials(nodes, opts.trials, opts.stall)
            med = [statistics.median(t[i] for t in fence) for i in range(3)]
            what = "SIGSTOP" if opts.stall else "kill -9"
            lines += [f"fencing ({what} of the master's convened only; writer with the documented settings), "
                      f"{len(fence)} trials: PostgreSQL gone after median {med[0]:.0f} ms (max "
                      f"{max(t[0] for t in fence):.0f}); first commit on the new master after median {med[1]:.0f} ms "
                      f"(max {max(t[1] for t in fence):.0f}); longest single writer attempt median {med[2]:.0f} ms "
                      f"(max {max(t[2] for t in fence):.0f})"]
        if opts.only in (None, "rotation"):
            rounds = rotation(nodes, opts.window)
            for before, during, failed, span in rounds:
                lines.append(f"rotation on all 3 nodes under a writer: {before:.0f} commits/s before, {during:.0f} "
                             f"during the {span:.1f} s of the rotation ({during / before:.2f}x), failed transactions: "
                             f"{failed}")
            lines.append(f"rotation, median of {len(rounds)}: "
                         f"{statistics.median(d / b for b, d, _, _ in rounds):.2f}x the commits/s before, "
                         f"failed transactions: {sum(f for _, _, f, _ in rounds)}")
    finally:
        stop_nodes(nodes)
        shutil.rmtree(base, ignore_errors=True)
    print("\n".join(lines))
    out = TOP / "bench" / "results" / f"db-cluster-{time.strftime('%Y%m%d-%H%M%S')}.txt"
    out.write_text("\n".join(lines) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
