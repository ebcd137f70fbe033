"""The chaos benchmark's checker (bench/chaos_lib/report.py) on made-up histories:
which streams count as "users on other nodes" for a fault. Not a process test, but
the benchmark's figures are only as true as this classification."""
import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from chaos_lib import report  # noqa: E402


def client(user, home, stints, downs=()):
    """A client as chaos_lib/load.py records it; `node` is where it ended."""
    return SimpleNamespace(user=user, home=home, node=stints[-1][0], stints=[list(s) for s in stints],
                           downs=[list(d) for d in downs], sent=set(), arrived={})


def chat(a, b, times):
    """b receives a message from a at each of `times`."""
    for k, t in enumerate(times):
        body = f"{a.user}#{k}"
        a.sent.add(body)
        b.arrived[body] = t


def fault(node, at):
    return dict(at=at, t=at, kind="partition", node=node, roles="", detail="", settle_s=1)


def rows_for(faults, pairs, end):
    load = SimpleNamespace(pairs=pairs, occupants=[], clients=[c for p in pairs for c in p])
    return report.per_fault(faults, load, SimpleNamespace(acked=[], failed=[]), end)


def test_a_client_that_moved_to_the_faulty_node_is_not_counted_as_elsewhere():
    # u3 (home node 3) lost its stream at 100 s, reconnected to node 1, and came home
    # only after a later fault at 300 s. The fault on node 1 at 200-210 s stops the
    # u2 <-> u3 stream: it crossed node 1, so it is no survivor's stream.
    u2 = client("u2", 2, [(2, 0, None)])
    u3 = client("u3", 3, [(3, 0, 100), (1, 100.5, 300), (3, 300.5, None)], downs=[(100, 100.5, 3), (300, 300.5, 1)])
    quiet = [t / 10 for t in range(0, 4000) if not 2000 <= t < 2100]  # nothing from 200 to 210 s
    chat(u2, u3, quiet)
    chat(u3, u2, quiet)
    row = rows_for([fault(1, 200.0), fault(2, 250.0)], [(u2, u3)], 400.0)[0]
    assert row["xmpp_ms"] is None, row  # no stream of users on other nodes
    assert row["xmpp_all_ms"] >= 10000, row  # the gap itself is still seen among every stream


def test_a_client_away_from_its_home_node_counts_where_it_is():
    # u0's home is node 1, but it has been on node 2 since before the fault on node 1:
    # its stream with u1 on node 3 is a survivors' stream, and its gap counts.
    u0 = client("u0", 1, [(1, 0, 50), (2, 50.5, None)], downs=[(50, 50.5, 1)])
    u1 = client("u1", 3, [(3, 0, None)])
    times = [t / 10 for t in range(0, 4000) if not 2000 <= t < 2030]  # 3 s without delivery
    chat(u0, u1, times)
    chat(u1, u0, times)
    row = rows_for([fault(1, 200.0)], [(u0, u1)], 400.0)[0]
    assert row["xmpp_ms"] is not None and 3000 <= row["xmpp_ms"] < 3200, row


def test_a_stream_that_dropped_during_the_fault_is_not_a_survivor():
    a = client("a", 2, [(2, 0, 205), (2, 206, None)], downs=[(205, 206, 2)])
    b = client("b", 3, [(3, 0, None)])
    times = [t / 10 for t in range(0, 4000) if not 2040 <= t < 2070]
    chat(a, b, times)
    chat(b, a, times)
    row = rows_for([fault(1, 200.0)], [(a, b)], 400.0)[0]
    assert row["xmpp_ms"] is None and row["reconnects"] == 1, row
