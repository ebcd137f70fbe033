#!/usr/bin/python3
"""Database cluster figures: failover time and throughput during a live
certificate rotation.

    bench/db-failover.py [--build build] [--trials 10] [--window 10] [--only failover|fencing|rotation]
                         [--stall | --partition] [--keep-logs DIR]

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
2. Fencing, --trials times (--only fencing, or with the others): two writers with
   README's documented settings (psql, every host with the master first,
   target_session_attrs=read-write, timeouts), one with a fresh connection per
   row, one keeping its session while it works (as the call bridge does), commit
   rows; kill -9 of the master's convened only (its PostgreSQL left to the guard).
   `refused_ms`: from the kill to the postmaster's exit (pidfd); per writer
   `commit_ms`: to its first commit on the new master; `longest_attempt_ms`: its
   longest single attempt (connect + commit) in the trial. With --stall: SIGSTOP
   of the master's convened instead (SIGCONT once both writers committed on the
   new master; it must come back as an in-sync standby). With --partition: the
   master's node cut off by nftables instead (its ports 5224, 5432 and 5433, both
   ways, as bench/chaos.py's partition; one table per port, on NET addresses
   only, deleted once both writers committed on the new master, and in any case
   by a finally); `promoted_ms` adds when a standby first answered
   as a primary (polled every 50 ms over its socket).
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
import threading
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "tests" / "e2e"))

args = argparse.ArgumentParser()
args.add_argument("--build", default=str(TOP / "build"))
args.add_argument("--trials", type=int, default=10)
args.add_argument("--window", type=float, default=10, help="seconds of commits before and during the rotation")
args.add_argument("--stall", action="store_true", help="fencing: SIGSTOP the master's convened instead of kill -9")
args.add_argument("--partition", action="store_true",
                  help="fencing: cut the master's node off with nftables instead of kill -9")
args.add_argument("--only", choices=["failover", "fencing", "rotation"], help="run one part only")
args.add_argument("--keep-logs", metavar="DIR",
                  help="copy every node's logs (convened.log: when the master was found lost, chosen, promoted) to DIR")
opts = args.parse_args()
os.environ["CONVENE_BUILD"] = str(Path(opts.build).resolve())

from harness import Node, wait_for  # noqa: E402  (reads CONVENE_BUILD)
from db_cluster_fixtures import (ADDR, FailoverWriter, _postmaster_pid, build_cluster, is_master,  # noqa: E402
                                 kill_node_hard, make_certs, sql, status_lines, stop_nodes)
from test_database_fencing import DocumentedWriter, SessionWriter, documented_conninfo  # noqa: E402
from partition import Partition  # noqa: E402

PARTITION_PORTS = (5224, 5432, 5433)  # the XMPP cluster's, PostgreSQL's, the agents' group's


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
            t_kill, wall_kill = time.monotonic(), time.time()
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
        kill_at = time.strftime("%H:%M:%S", time.gmtime(wall_kill)) + f".{int(wall_kill * 1000) % 1000:03d}"
        print(f"trial {trial}: master {ADDR[master.index]} killed at {kill_at} UTC; {ADDR[new.index]} took writes "
              f"after {ms:.0f} ms; "
              f"lost {lost} of {len(acked)} acknowledged", flush=True)
        master.start()
        wait_for(lambda: in_sync(new, master), 90, "the old master back as an in-sync slave")
    return results


class PromotionWatch:
    """Polls the standbys (over their own socket, which a partition does not cut)
    every 50 ms until one answers as a primary; `at` is then that moment."""

    def __init__(self, standbys):
        self.standbys, self.at, self.stop_flag = standbys, None, False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        deadline = time.monotonic() + 60
        while not self.stop_flag and self.at is None and time.monotonic() < deadline:
            if any(is_master(n) for n in self.standbys):
                self.at = time.monotonic()
            time.sleep(0.05)

    def stop(self):
        self.stop_flag = True
        self.thread.join(timeout=60)


def fencing_trials(nodes, trials, stall=False, partition=False):
    """kill -9 (or, with `stall`, SIGSTOP until both writers commit on the new
    master; with `partition`, an nftables cut until then) of the master's convened
    only. Two writers with the documented settings at once: a fresh connection per
    row, and one session kept while it works. Returns per trial a dict: refused_ms,
    promoted_ms (or None), and per writer ("fresh", "session") its commit_ms and
    longest attempt_ms."""
    sql(next(n for n in nodes if is_master(n)), "CREATE TABLE fence (id int PRIMARY KEY); "
        "CREATE TABLE fence_s (id int PRIMARY KEY); GRANT INSERT, SELECT, DELETE ON fence, fence_s TO callbridge")
    results, cuts, watch = [], [], None
    for trial in range(1, trials + 1):
        master = next(n for n in nodes if is_master(n))
        sql(master, "TRUNCATE fence, fence_s")
        hosts = [ADDR[master.index]] + [ADDR[n.index] for n in nodes if n is not master]
        other = next(n for n in nodes if n is not master)
        conninfo = documented_conninfo(other, hosts)
        writers = {"fresh": DocumentedWriter(conninfo, "fence"), "session": SessionWriter(conninfo, "fence_s")}
        old = ADDR[master.index]

        def first_new(w):
            return [a for a in w.acked if a[2] > t_kill and a[1] != old]
        try:
            wait_for(lambda: all(len(w.acked) >= 5 for w in writers.values()), 30, "rows on the master")
            pidfd = os.pidfd_open(_postmaster_pid(master))
            watch = PromotionWatch([n for n in nodes if n is not master]) if partition else None
            t_kill = time.monotonic()
            if partition:
                for port in PARTITION_PORTS:
                    cuts.append(Partition(old, port).cut())
            elif stall:
                master.signal(signal.SIGSTOP)
            else:
                master.kill()
            select.select([pidfd], [], [], 30)
            t_refused = time.monotonic()
            os.close(pidfd)
            wait_for(lambda: all(first_new(w) for w in writers.values()), 60, "both writers' commits on the new master")
        finally:
            for cut in cuts:
                cut.heal()
            cuts.clear()
            if stall:
                master.signal(signal.SIGCONT)
            for w in writers.values():
                w.stop()
            if watch:
                watch.stop()
        ms = lambda t: (t - t_kill) * 1000  # noqa: E731
        r = {"refused_ms": ms(t_refused), "promoted_ms": ms(watch.at) if watch and watch.at else None}
        for name, w in writers.items():
            r[name] = (ms(first_new(w)[0][2]), max(w.durations) * 1000)
        results.append(r)
        what = "node cut off" if partition else "convened stopped" if stall else "convened killed"
        print(f"trial {trial}: {old} {what}; PostgreSQL gone after {r['refused_ms']:.0f} ms, "
              + (f"a standby primary after {r['promoted_ms']:.0f} ms, " if r["promoted_ms"] else "")
              + ", ".join(f"{name} writer's first commit on {first_new(writers[name])[0][1]} after {r[name][0]:.0f} ms "
                          f"(longest attempt {r[name][1]:.0f} ms)" for name in writers), flush=True)
        if not stall and not partition:
            master.start()
        new = next(n for n in nodes if n.index != master.index and is_master(n))
        wait_for(lambda: in_sync(new, master), 90, "the old master back as an in-sync slave")
    return results


def fencing_summary(fence, what, conninfo):
    def figure(values):
        return f"median {statistics.median(values):.0f} ms (max {max(values):.0f})"
    promoted = [t["promoted_ms"] for t in fence if t["promoted_ms"] is not None]
    lines = [f"fencing ({what}; writers with the documented settings), {len(fence)} trials: PostgreSQL gone after "
             f"{figure([t['refused_ms'] for t in fence])}"
             + (f"; a standby primary after {figure(promoted)}" if promoted else "")]
    timeouts = [kv for kv in conninfo.split() if "timeout" in kv or kv.startswith("keepalives")]
    lines.append(f"  writer settings: {' '.join(timeouts)}")
    for name, how in (("fresh", "a fresh connection per row"), ("session", "one session kept while it works")):
        lines.append(f"  writer with {how}: first commit on the new master after "
                     f"{figure([t[name][0] for t in fence])}; longest single attempt {figure([t[name][1] for t in fence])}")
    return lines


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
                  + (f" --only {opts.only}" if opts.only else "") + (" --stall" if opts.stall else "")
                  + (" --partition" if opts.partition else "")]
        if opts.only in (None, "failover"):
            trials = failover_trials(nodes, opts.trials)
            times = [t[0] for t in trials]
            lines += [f"failover (kill -9 of the master's convened + PostgreSQL -> first commit on the new master), "
                      f"{len(times)} trials: median {statistics.median(times):.0f} ms, min {min(times):.0f}, "
                      f"max {max(times):.0f}",
                      f"acknowledged rows lost: {sum(t[1] for t in trials)} of {sum(t[2] for t in trials)}"]
        if opts.only in (None, "fencing"):
            fence = fencing_trials(nodes, opts.trials, opts.stall, opts.partition)
            lines += fencing_summary(fence, "nftables cut of the master's node, ports 5224, 5432, 5433" if opts.partition
                                     else "SIGSTOP of the master's convened only" if opts.stall
                                     else "kill -9 of the master's convened only",
                                     documented_conninfo(nodes[0], []))
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
        if opts.keep_logs:
            for n in nodes:
                shutil.copytree(n.dir / "logs", Path(opts.keep_logs) / n.name, dirs_exist_ok=True)
        shutil.rmtree(base, ignore_errors=True)
    print("\n".join(lines))
    out = TOP / "bench" / "results" / f"db-cluster-{time.strftime('%Y%m%d-%H%M%S')}.txt"
    out.write_text("\n".join(lines) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
