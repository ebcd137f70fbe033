#!/usr/bin/python3
"""Chaos benchmark: faults on random nodes under XMPP and database load, then a check
of what was lost and how long each service was away.

    bench/chaos.py [--minutes 10] [--seed N] [--faults kill,stop,partition,postmaster,bridge,restart]
                   [--build DIR] [--pairs 3] [--occupants 3] [--log-level warn]

Three real convened on NET.1-3 (CONVENE_TEST_NET, default 127.0.1): the XMPP cluster
(seed 000), the database cluster (seed 004), the call bridge run by node 1 and
finding the nodes through DNS SRV (dnsmasq). Load: --pairs pairs of slixmpp users
with XEP-0198 on different nodes chatting one-to-one (10 messages/s each way),
--occupants users of one space (chaos@cb1) on different nodes (4 group messages/s
each), a writer committing numbered rows (libpq, every node listed,
target_session_attrs=read-write, 20 rows/s). Every 20-40 s (seeded) a fault on a
node (chaos_lib/faults.py), healed, then a bounded wait for the cluster to settle.
After --minutes: 35 s of load without faults, a drain (clients reconnect, acked
stanzas may still arrive, at most 30 s), then the checker:

  acknowledged stanzas lost: acked by the server (<a h=.../>), never delivered to
    the peer (one-to-one) or to anyone in the space (group), and not bounced with an
    error; committed rows lost: acknowledged COMMITs missing on the final master;
  per fault, the longest time without service, from the fault to the next one:
    writes_ms (between two acknowledged commits), xmpp_ms / space_ms (between two
    deliveries on a stream whose two users were on other nodes than the fault's and
    kept their streams), *_all_ms (every stream, reconnections included),
    reconnect_ms (a client's stream lost -> a session again);
  clients stuck: no delivery in the last 30 s of load.

Writes bench/results/chaos-<time>.txt. A benchmark: figures, not pass/fail. Every
process is stopped by its pid, the nftables tables are removed, also on Ctrl-C.
"""
import argparse
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "tests" / "e2e"))
sys.path.insert(0, str(TOP / "bench"))

args = argparse.ArgumentParser()
args.add_argument("--minutes", type=float, default=10)
args.add_argument("--seed", type=int, default=1)
args.add_argument("--faults", default="kill,stop,partition,postmaster,bridge,restart")
args.add_argument("--build", default=os.environ.get("CONVENE_BUILD", str(TOP / "build")))
args.add_argument("--pairs", type=int, default=3)
args.add_argument("--occupants", type=int, default=3)
args.add_argument("--settle", type=float, default=60, help="seconds to wait for the cluster after a fault")
args.add_argument("--log-level", default="warn", help="the nodes' log level (info to follow a fault; with CONVENE_KEEP=1)")
opts = args.parse_args()
FAULT_KINDS = ("kill", "stop", "partition", "postmaster", "bridge", "restart")
wanted = [f for f in opts.faults.split(",") if f]
bad = [f for f in wanted if f not in FAULT_KINDS]
if bad or not wanted:
    sys.exit(f"ERROR: unknown fault(s) {','.join(bad) or '(none given)'}\n"
             f"    choose among {','.join(FAULT_KINDS)}, comma-separated")
os.environ["CONVENE_BUILD"] = str(Path(opts.build).resolve())
try:
    import psycopg2  # noqa: F401  (checked here, used by chaos_lib/load.py)
    import slixmpp  # noqa: F401
except ImportError as e:
    sys.exit(f"ERROR: {e}\n    install the Debian packages python3-psycopg2 and python3-slixmpp "
             "(bench/packages.txt) and run with /usr/bin/python3")

import harness  # noqa: E402
from chaos_lib.faults import Fault  # noqa: E402
from chaos_lib.lab import Lab  # noqa: E402
from chaos_lib.load import Writer, XmppLoad  # noqa: E402
from chaos_lib import report  # noqa: E402
from db_cluster_fixtures import sql  # noqa: E402

for binary in (harness.CONVENED, harness.MMP, harness.BUILD / "apps" / "convene-callbridge"):
    if not binary.exists():
        sys.exit(f"ERROR: {binary} is missing\n    build convened, mmp and convene-callbridge, or give --build DIR")

T0 = time.monotonic()


def log(msg):
    print(f"[{time.monotonic() - T0:7.1f}s] {msg}", flush=True)


def settle(lab, writer, load, since, bound):
    """Waits (bounded) for the cluster to be whole and the load flowing again."""
    deadline = time.monotonic() + bound
    what = "?"
    while time.monotonic() < deadline:
        what = lab.unsettled()
        if not what and not (writer.acked and writer.acked[-1][1] > since):
            what = "no commit since the heal"
        if not what and not all(c.ready for c in load.clients):
            what = "clients reconnecting"
        if not what:
            return time.monotonic() - since, ""
        time.sleep(0.5)
    return None, what


def fault_loop(lab, writer, load, rng, until, faults):
    done = []
    while time.monotonic() < until - 15 and len(done) < 1000:
        kind = rng.choice(faults)
        index = lab.bridge_node if kind == "bridge" else rng.choice(lab.indexes)
        f = Fault(kind, lab, index, down=rng.uniform(5, 12))
        roles = lab.roles(index)
        at = time.monotonic()
        log(f"fault {kind} on node{index} ({roles})")
        current[0] = f
        f.apply()
        f.heal()
        current[0] = None
        healed = time.monotonic()
        took, what = settle(lab, writer, load, healed, opts.settle)
        if took is None:
            log(f"  not settled after {opts.settle:.0f} s ({what}): restarting node{index}")
            lab.nodes[index].stop(timeout=30)
            lab.start_node(index)
            took2, what = settle(lab, writer, load, time.monotonic(), opts.settle)
            f.detail += f"; repaired by a restart ({'settled' if took2 is not None else 'still: ' + what})"
        else:
            log(f"  healed after {healed - at:.1f} s, settled {took:.1f} s later {f.detail}")
        done.append(dict(at=at, t=at - T0, kind=kind, node=index, roles=roles, detail=f.detail,
                         settle_s=took))
        nxt = at + rng.uniform(20, 40)
        while time.monotonic() < min(nxt, until - 15):
            time.sleep(0.2)
    return done


current = [None]  # the fault in force, undone on Ctrl-C


def interrupted(*_):
    raise KeyboardInterrupt()


def main():
    rng = random.Random(opts.seed)
    base = Path(tempfile.mkdtemp(prefix="convene-chaos-", dir="/tmp"))
    os.chmod(base, 0o711)
    lab = Lab(base, log_level=opts.log_level)
    load = writer = None
    lines = []
    signal.signal(signal.SIGTERM, interrupted)
    try:
        log(f"building the lab in {base}")
        lab.build(XmppLoad.users(opts.pairs, opts.occupants))
        load = XmppLoad(lab, opts.pairs, opts.occupants)
        writer = Writer(lab.conninfo())
        writer.start()
        load.start()
        log("load running")
        start = time.monotonic()
        faults = fault_loop(lab, writer, load, rng, start + opts.minutes * 60, wanted)
        log("faults over: 35 s of load without faults")
        time.sleep(35)
        load.stop_sending()
        stop_at = time.monotonic()
        log("draining")
        load.drain(30)
        writer.stop()
        lost = load.undelivered()
        masters = lab.masters()
        acked = {a[0] for a in writer.acked}
        if len(masters) == 1:
            present = {int(x) for x in sql(lab.nodes[masters[0]], "SELECT id FROM chaos_ledger").stdout.split()}
            rows_lost = f"{len(acked - present)} of {len(acked)} acknowledged (master node{masters[0]})"
        else:
            rows_lost = f"cannot know: {len(masters)} masters at the end ({masters}); {len(acked)} acknowledged"
        stuck = [c.user for c in load.clients
                 if not any(stop_at - 30 <= t <= stop_at + 5 for t in c.arrived.values())]
        rows = report.per_fault(faults, load, writer, stop_at)
        load_avg = os.getloadavg()
        chat_sent = sum(len(c.sent) for p in load.pairs for c in p)
        chat_acked = sum(len(c.acked) for p in load.pairs for c in p)
        grp_sent = sum(len(c.sent) for c in load.occupants)
        grp_acked = sum(len(c.acked) for c in load.occupants)
        bounced = sum(len(c.bounced) for c in load.clients)
        dup = sum(c.duplicates for c in load.clients)
        lines += [f"# chaos {time.strftime('%Y-%m-%d %H:%M:%S')}  load {load_avg[0]:.2f} {load_avg[1]:.2f} "
                  f"{load_avg[2]:.2f}  cores {os.cpu_count()}  net {harness.NET}",
                  "command: bench/chaos.py " + " ".join(sys.argv[1:]),
                  f"{len(faults)} faults in {opts.minutes:g} min (seed {opts.seed}); per fault, from it to the next "
                  "(ms: the longest time without service; - = no stream qualified):", ""]
        lines += report.table(rows)
        lines += ["", "summary:",
                  f"  acknowledged one-to-one stanzas lost: {len(lost['chat'])} of {chat_acked} acked "
                  f"({chat_sent} sent)" + (f": {', '.join(sorted(lost['chat'])[:10])}" if lost['chat'] else ""),
                  f"  acknowledged group stanzas lost (reached nobody): {len(lost['group'])} of {grp_acked} acked "
                  f"({grp_sent} sent)" + (f": {', '.join(sorted(lost['group'])[:10])}" if lost['group'] else ""),
                  f"  bounced with an error: {bounced}; delivered twice: {dup}",
                  f"  committed rows lost: {rows_lost}; failed or ambiguous writes: {len(writer.failed)}",
                  f"  clients stuck (no delivery in the last 30 s of load): {len(stuck)}"
                  + (f" ({', '.join(stuck)})" if stuck else ""),
                  f"  faults not settled within {opts.settle:.0f} s: "
                  f"{len([r for r in rows if r['settle_s'] is None])}",
                  "  longest time without service (goals: writes 5000, xmpp 1500, space 2000):"]
        lines += report.summary(rows)
    except KeyboardInterrupt:
        log("interrupted: stopping everything")
    finally:
        if current[0] is not None:
            current[0].cleanup()
        if load is not None:
            load.close()
        if writer is not None and writer.is_alive():
            writer.stop()
        lab.stop()
        if not os.environ.get("CONVENE_KEEP"):  # CONVENE_KEEP=1 keeps the nodes' logs
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"node directories kept in {base}")
    if lines:
        text = "\n".join(lines)
        print(text)
        out = TOP / "bench" / "results" / f"chaos-{time.strftime('%Y%m%d-%H%M%S')}.txt"
        out.write_text(text + "\n")
        print(f"written to {out}")


if __name__ == "__main__":
    main()
