#!/usr/bin/python3
"""XMPP cluster figures: leader failover and cross-node throughput.

    bench/xmpp-cluster-failover.py [--build build] [--trials 20] [--pairs 50] [--duration 5]

Starts three real convened on 127.0.1.1-3 (the e2e harness, seed 000's sequence),
then:

1. Failover, --trials times: alice and bob (slixmpp, STARTTLS + SCRAM) log in on the
   two followers; alice sends bob a message every 10 ms; the leader gets kill -9.
   Measured from the kill: `new_leader_ms`, when a survivor's `xmpp cluster status`
   first says LEADER (polled through mmp, ~5 ms a poll), and `routed_ms`, when bob
   receives the first message alice sent after the kill. Every message sent in the
   trial must arrive (lost= counts those that did not). The killed node is restarted
   and must be a follower again before the next trial, so the leader moves around.
2. Call bridge failover, --trials times: convene-callbridge finds the nodes through
   DNS SRV (a real dnsmasq); alice, on a node other than the bridge's, is in one of
   its spaces and sends a group message every 10 ms; the bridge's node gets kill -9.
   `bridge_ms`: from the kill to the first group message alice sent after it coming
   back to her through the bridge (now on another node).
3. Throughput: convene-bench `messages` with every pair on one follower, then with
   each pair split over the two followers (every message crosses nodes), same load,
   delivered/s and latency percentiles, the ratio cross-node/one-node, and the CPU
   each node's process used during each run (seconds of user+system time, from
   /proc/PID/stat: the leader's against the followers').
4. Failover under load, --trials times (at most 5): convene-bench `failover`, --pairs
   pairs split over the two followers sending --rate messages/s in all (open loop),
   kill -9 of the leader after 2 s, 5 s more of traffic. `restored_ms`: from the kill
   to the first message sent after it being delivered; `longest_gap_ms`: the longest
   time without any delivery after the kill; lost: sent but never delivered.

A benchmark, not a test: figures, not pass/fail. Prints a summary and writes it to
bench/results/xmpp-cluster-<time>.txt. Every process is stopped by its pid.
"""
import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "tests" / "e2e"))

args = argparse.ArgumentParser()
args.add_argument("--build", default=str(TOP / "build"))
args.add_argument("--trials", type=int, default=20)
args.add_argument("--pairs", type=int, default=50)
args.add_argument("--duration", type=float, default=5)
args.add_argument("--warmup", type=float, default=1,
                  help="throughput: seconds of messages before measuring (convene-bench messages --warmup)")
args.add_argument("--log-level", default="warn", help="of the nodes (info to see the router's decisions)")
args.add_argument("--rate", type=float, default=2000, help="messages/s in all, failover under load")
args.add_argument("--only", choices=["leader", "bridge", "throughput", "load"], help="run one part only")
opts = args.parse_args()
os.environ["CONVENE_BUILD"] = str(Path(opts.build).resolve())

import harness  # noqa: E402  (reads CONVENE_BUILD)
from harness import Node, wait_for  # noqa: E402
from xmpp_cluster_fixtures import ADDR, build_cluster, cluster_view, leader_index, peers_of  # noqa: E402
from test_xmpp_cluster_routing import tls  # noqa: E402
from xmpp_fixtures import DOMAIN, join_room, make_client, offline, online, run  # noqa: E402


async def mmp_status(node):
    p = await asyncio.create_subprocess_exec(str(harness.MMP), "--node", str(node.dir), "xmpp", "cluster", "status",
                                             stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    out, _ = await p.communicate()
    return out.decode()


class Stream:
    """A message every 10 ms through `send(body)`; `arrived` is filled by the caller's
    event handler (body -> arrival time). Measures around a kill."""

    def __init__(self, send):
        self.send, self.sent, self.arrived = send, {}, {}
        self.stop = asyncio.Event()
        self.task = None

    async def start(self):
        async def loop():
            k = 0
            while not self.stop.is_set():
                self.sent[f"m{k}"] = time.monotonic()
                self.send(f"m{k}")
                k += 1
                await asyncio.sleep(0.01)
        self.task = asyncio.ensure_future(loop())
        while len(self.arrived) < 5:  # traffic flows before the kill
            await asyncio.sleep(0.01)

    async def first_after(self, t0, timeout=15):
        """Arrival time of the first message sent after t0, or None."""
        after = lambda: [self.arrived[b] for b, t in self.sent.items() if t > t0 and b in self.arrived]  # noqa: E731
        while not after() and time.monotonic() - t0 < timeout:
            await asyncio.sleep(0.002)
        return min(after()) if after() else None

    async def finish(self):
        """Stops sending, lets the rest arrive (bounded); returns (lost, sent)."""
        await asyncio.sleep(0.3)
        self.stop.set()
        await self.task
        deadline = time.monotonic() + 10
        while len(self.arrived) < len(self.sent) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return len(set(self.sent) - set(self.arrived)), len(self.sent)


def ms_since(t0, t):
    return None if t is None else (t - t0) * 1000


async def trial(nodes, leader):
    a_i, b_i = [i for i in nodes if i != leader]
    alice = await online(make_client(tls(nodes[a_i]), "alice", password="secret"), address=nodes[a_i].address)
    bob = await online(make_client(tls(nodes[b_i]), "bob", password="secret"), address=nodes[b_i].address)
    stream = Stream(lambda body: alice.send_message(mto=f"bob@{DOMAIN}/test", mbody=body, mtype="chat"))
    bob.add_event_handler("message", lambda m: stream.arrived.setdefault(str(m["body"]), time.monotonic()))
    await stream.start()
    t0 = time.monotonic()
    nodes[leader].signal(9)
    new_leader = None
    while new_leader is None and time.monotonic() - t0 < 10:
        for i in (a_i, b_i):
            if re.search(r"^State: LEADER", await mmp_status(nodes[i]), re.M):
                new_leader = time.monotonic()
                break
    routed = await stream.first_after(t0)
    lost, sent = await stream.finish()
    await offline(alice, bob)
    return ms_since(t0, new_leader), ms_since(t0, routed), lost, sent


async def bridge_trial(nodes, bridge):
    """One call-bridge failover: (ms to the first echo of a post-kill message, lost, sent, victim)."""
    first = bridge.status()["server"]
    victim = int(first[len("node")])
    a_i = next(i for i in nodes if i != victim)
    alice = await online(make_client(tls(nodes[a_i]), "alice", password="secret"), address=nodes[a_i].address)
    alice.register_plugin("xep_0045")
    room = f"room1@cb1.{DOMAIN}"
    await join_room(alice, room, "Alice")
    stream = Stream(lambda body: alice.send_message(mto=room, mbody=body, mtype="groupchat"))
    alice.add_event_handler("groupchat_message",
                            lambda m: stream.arrived.setdefault(str(m["body"]), time.monotonic()))
    await stream.start()
    t0 = time.monotonic()
    nodes[victim].signal(9)
    back = await stream.first_after(t0)
    lost, sent = await stream.finish()
    await offline(alice)
    return ms_since(t0, back), lost, sent, victim


def fmt(values):
    v = [x for x in values if x is not None]
    if not v:
        return "none"
    return f"median {statistics.median(v):.0f} ms, min {min(v):.0f}, max {max(v):.0f} (n={len(v)})"


def bench_messages(host, host2=None, label=""):
    cmd = [str(Path(opts.build) / "apps" / "convene-bench"), "--host", host, "--domain", DOMAIN, "--prefix", "user",
           "--password", "secret", "--mech", "scram-sha-1", "--label", label]
    if host2:
        cmd += ["--host2", host2]
    cmd += ["messages", "--pairs", str(opts.pairs), "--duration", str(opts.duration), "--warmup", str(opts.warmup)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    # Each message missing after the drain, and when it arrived if it did (late:, lost:);
    # each that took a second or more (slow:).
    for line in run.stderr.splitlines():
        if line.startswith(("missing after the drain:", "late:", "lost:", "bounced:", "slow:")):
            print(f"  {label}: {line}", flush=True)
    out = run.stdout
    return next((l for l in out.splitlines() if l.startswith("RESULT")), out.strip())


def cpu_seconds(node):
    """User + system CPU time the node's process has used so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{node.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(nodes, leader, run_bench):
    """run_bench()'s RESULT line and the CPU seconds each node used meanwhile."""
    before = {i: cpu_seconds(n) for i, n in nodes.items()}
    line = run_bench()
    used = {i: cpu_seconds(n) - before[i] for i, n in nodes.items()}
    cpu = ", ".join(f"node{i}{' (leader)' if i == leader else ''} {used[i]:.2f} s" for i in sorted(used))
    return line, f"cpu: {cpu}"


def delivered_per_s(line):
    m = re.search(r"msgs_per_s=([0-9.]+)", line)
    return float(m.group(1)) if m else None


def load_figures(nodes):
    trials = min(opts.trials, 5)
    rows, restored, gaps, lost, sent = [], [], [], 0, 0
    for k in range(trials):
        leader = leader_index(nodes)
        a, b = [nodes[i].address for i in nodes if i != leader]
        cmd = [str(Path(opts.build) / "apps" / "convene-bench"), "--host", a, "--host2", b, "--domain", DOMAIN,
               "--prefix", "user", "--password", "secret", "--mech", "scram-sha-1", "--label", "convene",
               "failover", "--pairs", str(opts.pairs), "--rate", str(opts.rate),
               "--kill-pid", str(nodes[leader].proc.pid), "--kill-after", "2", "--duration", "5"]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
        line = next((l for l in out.splitlines() if l.startswith("RESULT")), out.strip())
        f = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
        print(f"load trial {k + 1}: leader was node{leader}; {line}", flush=True)
        if "restored_ms" in f and float(f["restored_ms"]) >= 0:
            restored.append(float(f["restored_ms"]))
            gaps.append(float(f["longest_gap_ms"]))
        lost += int(f.get("lost", 0))
        sent += int(f.get("sent", 0))
        bring_back(nodes, leader)
    return [f"failover under load (convene-bench failover, {opts.pairs} pairs over the two followers, "
            f"{opts.rate:.0f} msgs/s, kill -9 of the leader, {trials} trials):",
            f"  first message sent after the kill delivered: {fmt(restored)}",
            f"  longest time without a delivery after the kill: {fmt(gaps)}",
            f"  messages lost: {lost} of {sent}"]


def leader_figures(nodes):
    new_leader, routed, lost, sent = [], [], 0, 0
    for k in range(opts.trials):
        leader = leader_index(nodes)
        nl, rt, lo, se = run(trial(nodes, leader), timeout=60)
        new_leader.append(nl)
        routed.append(rt)
        lost += lo
        sent += se
        print(f"trial {k + 1}: leader was node{leader}; new leader {nl:.0f} ms, first routed message "
              f"{rt:.0f} ms, lost {lo} of {se}", flush=True)
        bring_back(nodes, leader)
    return [f"failover (kill -9 of the leader, {opts.trials} trials, 3 nodes, 2 cores):",
            f"  new leader (first survivor saying LEADER): {fmt(new_leader)}",
            f"  first message routed between the survivors: {fmt(routed)}",
            f"  messages lost: {lost} of {sent} sent during the trials"]


def bring_back(nodes, i):
    """Restarts killed node i and waits until all three agree on three peers again."""
    nodes[i].stop()
    nodes[i].start("--log-level", opts.log_level)
    wait_for(lambda: all(cluster_view(n, ADDR.values()) for n in nodes.values()), 30,
             f"node{i} back as follower\n" + peers_of(nodes[i])[2])


def bridge_figures(nodes, base):
    from dnsmasq_helper import Dnsmasq
    from test_callbridge import SRV, CallBridge
    listing = nodes[1].mmp("xmpp", "callbridge", "list").stdout
    secret = re.search(r"cb1\s.*?Secret\s*:\s*(\S+)", listing, re.S).group(1)
    records = []
    for i, n in nodes.items():
        records += [f"srv-host={SRV},node{i}.{DOMAIN},5223,10,50", f"host-record=node{i}.{DOMAIN},{n.address}"]
    dns = Dnsmasq(base / "dns", records).start()
    bridge = CallBridge(base, secret, dns=dns.server).start()
    times, lost, sent = [], 0, 0
    try:
        for k in range(opts.trials):
            bridge.wait(lambda s: s.get("state") == "connected", "the call bridge connected")
            ms, lo, se, victim = run(bridge_trial(nodes, bridge), timeout=60)
            times.append(ms)
            lost += lo
            sent += se
            print(f"bridge trial {k + 1}: bridge was on node{victim}; group messages back after {ms:.0f} ms, "
                  f"lost {lo} of {se}", flush=True)
            bring_back(nodes, victim)
    finally:
        bridge.stop()
        dns.stop()
    return [f"call bridge failover (kill -9 of its XMPP node, {opts.trials} trials, SRV via dnsmasq):",
            f"  first group message echoed through the bridge after the kill: {fmt(times)}",
            f"  group messages lost: {lost} of {sent}"]


def main():
    base = Path(tempfile.mkdtemp(prefix="convene-cluster-bench-"))
    nodes = {i: Node(base, i) for i in (1, 2, 3)}
    lines = []
    try:
        for n in nodes.values():
            n.start("--log-level", opts.log_level)
        build_cluster(nodes)
        users = "".join(f"user{k}:secret\n" for k in range(2 * opts.pairs)) + "alice:secret\nbob:secret\n"
        (nodes[1].files / "users.txt").write_text(users)
        nodes[1].mmp("xmpp", "user", "import", "users.txt")
        for n in nodes.values():
            wait_for(lambda: "bob@" in n.mmp("xmpp", "user", "list").stdout, 30, f"users on {n.name}")
            n.mmp("xmpp", "plaintext", "on")  # convene-bench speaks plain TCP + SCRAM
            n.mmp("xmpp", "disable")
            n.mmp("xmpp", "enable")
        if opts.only in (None, "leader"):
            lines += leader_figures(nodes)
        if opts.only in (None, "bridge"):
            lines += bridge_figures(nodes, base)
        if opts.only in (None, "load"):
            lines += load_figures(nodes)
        if opts.only in (None, "throughput"):
            leader = leader_index(nodes)
            a, b = [nodes[i].address for i in nodes if i != leader]
            lines.append(f"throughput, {opts.pairs} pairs closed loop, {opts.duration:.0f} s (leader node{leader}):")
            one, one_cpu = measured(nodes, leader, lambda: bench_messages(a, label="one-node"))
            cross, cross_cpu = measured(nodes, leader, lambda: bench_messages(a, b, label="cross-node"))
            lines += ["  one node:    " + one, "               " + one_cpu,
                      "  cross-node:  " + cross, "               " + cross_cpu]
            rate_one, rate_cross = delivered_per_s(one), delivered_per_s(cross)
            if rate_one and rate_cross:
                lines.append(f"  cross-node / one node: {rate_cross / rate_one:.2f}x")
    finally:
        for n in nodes.values():
            n.stop()
        if not os.environ.get("CONVENE_KEEP"):  # CONVENE_KEEP=1 keeps the nodes' logs
            shutil.rmtree(base, ignore_errors=True)
    text = "\n".join(lines)
    print(text)
    out = TOP / "bench" / "results" / f"xmpp-cluster-{time.strftime('%Y%m%d-%H%M%S')}.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text + "\n")
    print(f"written to {out}")


main()
