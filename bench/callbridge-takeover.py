#!/usr/bin/python3
"""Call bridge takeover: how long a meeting space is without its bridge when the
bridge's node dies.

    CONVENE_TEST_NET=127.0.6 bench/callbridge-takeover.py [--build build] [--trials 10]

Starts three real convened on NET.1-3 (the e2e harness, seed 000's sequence; run it
on a CONVENE_TEST_NET of your own). Node 1 runs call bridge cb1 (`callbridge enable`,
server NET.1:5223, TLS verified with `callbridge trust`); nodes 2 and 3 run its
standbys (they do so by themselves). Each trial:

- alice logs in on node 2 and bob on node 3 (slixmpp, STARTTLS + SCRAM) and both
  join room1@cb1; alice sends a group message every 10 ms, bob records each arrival;
- after --settle seconds of traffic (default 1: see below), node 1's convened and its
  convene-callbridge both get kill -9 (convened first, so that it cannot tell the
  cluster that the bridge went);
- `standby_ms`: from the kill to a survivor's `xmpp callbridge list` first saying
  "Held by : this node, its standby" for cb1 (both survivors polled through mmp,
  alternately, a few ms a poll: the figure includes up to one poll);
- `delivered_ms`: from the kill to bob receiving the first group message alice sent
  after the kill (through the standby now holding cb1; neither rejoins);
- then node 1 is started again and the trial waits (bounded) until its own cb1 holds
  the name again, as all three nodes say, before the next.

Why --settle: the bridge answers a join before the XMPP store has recorded the
occupant; killed within a few hundred ms of a join (right after node 1 came back),
the standby may read the room back without that occupant, who then gets nothing.
With --settle 0 that happens: the figures count trials without a delivery.

A benchmark, not a test: figures, not pass/fail. Prints medians and maxima and writes
them to bench/results/callbridge-takeover-<time>.txt. Every process is stopped by its
pid; every wait is bounded.
"""
import argparse
import asyncio
import os
import re
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
args.add_argument("--log-level", default="warn", help="of the nodes")
args.add_argument("--settle", type=float, default=1.0,
                  help="seconds of group traffic before the kill (0: kill once 5 messages went through)")
opts = args.parse_args()
if not 1 <= opts.trials <= 100 or not 0 <= opts.settle <= 60:
    sys.exit("ERROR: --trials must be 1..100 and --settle 0..60 seconds\n"
             "  Give bounded values, e.g. --trials 10 --settle 1.")
os.environ["CONVENE_BUILD"] = str(Path(opts.build).resolve())

import harness  # noqa: E402  (reads CONVENE_BUILD)
from harness import Node, wait_for  # noqa: E402
from xmpp_cluster_fixtures import ADDR, build_cluster, cluster_view  # noqa: E402
from test_xmpp_cluster_routing import tls  # noqa: E402
from xmpp_fixtures import DOMAIN, USERS, join_room, make_client, offline, online, run  # noqa: E402

ROOM = f"room1@cb1.{DOMAIN}"


def fields(text):
    return dict(m.groups() for m in re.finditer(r"^(\S[^:\n]*?)\s*: (.*)$", text, re.M))


def cb1_listing(text):
    """The cb1 block of `xmpp callbridge list` as {key: value}."""
    for block in text.strip().split("\n\n"):
        f = fields(block)
        if f.get("Callbridge") == "cb1":
            return f
    return {}


async def mmp(node, *words):
    p = await asyncio.create_subprocess_exec(str(harness.MMP), "--node", str(node.dir), *words,
                                             stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    out, _ = await p.communicate()
    return out.decode()


def own_holds(nodes):
    """cb1 held by node 1's own call bridge, as all three nodes say."""
    if not fields(nodes[1].mmp("callbridge", "status").stdout).get("Name held by", "").startswith(
            "this node, its own call bridge"):
        return False
    return all(cb1_listing(nodes[i].mmp("xmpp", "callbridge", "list").stdout).get("Held by")
               == f"{ADDR[1]}:5222 (another node)" for i in (2, 3))


def bridge_pid(node):
    m = re.match(r"^pid (\d+)$", fields(node.mmp("callbridge", "status").stdout).get("Process", ""))
    return int(m.group(1)) if m else None


async def trial(nodes, number):
    alice = await online(make_client(tls(nodes[2]), "alice"), address=nodes[2].address)
    bob = await online(make_client(tls(nodes[3]), "bob"), address=nodes[3].address)
    for c in (alice, bob):
        c.register_plugin("xep_0045")
    try:
        await join_room(alice, ROOM, "Alice")
        await bob.plugin["xep_0045"].join_muc_wait(ROOM, "Bob", timeout=10)
    except asyncio.TimeoutError:
        # Counted, not measured: no kill in this trial (node 1 keeps running).
        await offline(alice, bob)
        return None
    sent, arrived = {}, {}
    bob.add_event_handler("groupchat_message", lambda m: arrived.setdefault(str(m["body"]), time.monotonic()))
    errors = []
    alice.add_event_handler("message_error", lambda m: errors.append(m["error"]["condition"]))
    stop = asyncio.Event()

    async def send_loop():
        k = 0
        while not stop.is_set() and k < 100000:
            body = f"trial{number}-m{k}"  # unique: a joiner may be sent earlier trials' messages as history
            sent[body] = time.monotonic()
            alice.send_message(mto=ROOM, mbody=body, mtype="groupchat")
            k += 1
            await asyncio.sleep(0.01)
    sender = asyncio.ensure_future(send_loop())
    deadline = time.monotonic() + 10
    while len(arrived) < 5 and time.monotonic() < deadline:  # the space works before the kill
        await asyncio.sleep(0.01)
    # A join is answered before the XMPP store has recorded it (the bridge does not
    # wait for the record): an occupant who joined just before the kill may not be
    # in the room the standby reads back. --settle gives the records time.
    await asyncio.sleep(opts.settle)
    before = len(arrived)
    pid = bridge_pid(nodes[1])
    t0 = time.monotonic()
    nodes[1].signal(signal.SIGKILL)
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    standby = delivered = None
    holder = None
    while (standby is None or delivered is None) and time.monotonic() - t0 < 30:
        if delivered is None:
            after = [arrived[b] for b, t in sent.items() if t > t0 and b in arrived and arrived[b] > t]
            delivered = min(after) if after else None
        if standby is None:
            for i in (2, 3):
                held = cb1_listing(await mmp(nodes[i], "xmpp", "callbridge", "list")).get("Held by", "")
                if held.startswith("this node, its standby"):
                    standby, holder = time.monotonic(), i
                    break
        await asyncio.sleep(0.002)
    stop.set()
    await sender
    nodes[1].proc.wait(timeout=10)
    await offline(alice, bob)
    ms = lambda t: None if t is None else (t - t0) * 1000  # noqa: E731
    after_kill = sum(1 for b, t in sent.items() if t > t0 and b in arrived)
    return ms(standby), ms(delivered), holder, {"before": before, "after": after_kill, "errors": sorted(set(errors))}


def fmt(values):
    v = [x for x in values if x is not None]
    missing = len(values) - len(v)
    if not v:
        return "none measured"
    text = f"median {statistics.median(v):.0f} ms, min {min(v):.0f}, max {max(v):.0f} (n={len(v)})"
    return text + (f", {missing} trial(s) without it in 30 s" if missing else "")


def main():
    base = Path(tempfile.mkdtemp(prefix="convene-takeover-bench-"))
    nodes = {i: Node(base, i) for i in (1, 2, 3)}
    standby, delivered, lines = [], [], []
    failed_joins = 0
    try:
        for n in nodes.values():
            n.start("--log-level", opts.log_level)
        build_cluster(nodes)
        for user in ("alice", "bob"):
            nodes[1].mmp("xmpp", "user", "add", user, input=f"{USERS[user]}\n{USERS[user]}\n")
        for n in nodes.values():
            wait_for(lambda: "bob@" in n.mmp("xmpp", "user", "list").stdout, 30, f"users on {n.name}")
        secret = re.search(r"cb1\s.*?Secret\s*:\s*(\S+)", nodes[1].mmp("xmpp", "callbridge", "list").stdout,
                           re.S).group(1)
        n1 = nodes[1]
        for words in (("name", "cb1"), ("domain", DOMAIN), ("server", ADDR[1]), ("trust", "abhiall.crt")):
            n1.mmp("callbridge", *words)
        n1.mmp("callbridge", "secret", input=secret + "\n")
        n1.mmp("callbridge", "enable")
        for k in range(opts.trials):
            wait_for(lambda: own_holds(nodes), 60, "node 1's own cb1 to hold the name, as every node says")
            result = run(trial(nodes, k + 1), timeout=90)
            if result is None:
                failed_joins += 1
                print(f"trial {k + 1}: alice or bob could not join {ROOM} within 10 s: no kill", flush=True)
                continue
            s, d, holder, seen = result
            standby.append(s)
            delivered.append(d)
            show = lambda x: "none" if x is None else f"{x:.0f} ms"  # noqa: E731
            print(f"trial {k + 1}: standby on node{holder} holds cb1 after {show(s)}, "
                  f"first group message delivered after {show(d)} (delivered before the kill {seen['before']}, "
                  f"after {seen['after']}; errors to the sender {seen['errors'] or 'none'})", flush=True)
            nodes[1].start("--log-level", opts.log_level)
            wait_for(lambda: all(cluster_view(n, ADDR.values()) for n in nodes.values()), 60,
                     "node 1 back in the cluster")
    finally:
        for n in nodes.values():
            n.stop()
        if not os.environ.get("CONVENE_KEEP"):  # CONVENE_KEEP=1 keeps the nodes' logs
            shutil.rmtree(base, ignore_errors=True)
    lines = [f"call bridge takeover (kill -9 of the bridge's node's convened and its convene-callbridge, "
             f"{len(standby)} trials, 3 nodes, 2 cores, TLS on the component links, {opts.settle:g} s of traffic "
             f"before each kill):",
             f"  a standby holds cb1 (xmpp callbridge list on a survivor): {fmt(standby)}",
             f"  first group message delivered again between occupants on the survivors: {fmt(delivered)}"]
    if failed_joins:
        lines.append(f"  trials where alice or bob could not join the space within 10 s (no kill): {failed_joins}")
    text = "\n".join(lines)
    print(text)
    out = TOP / "bench" / "results" / f"callbridge-takeover-{time.strftime('%Y%m%d-%H%M%S')}.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text + "\n")
    print(f"written to {out}")


main()
