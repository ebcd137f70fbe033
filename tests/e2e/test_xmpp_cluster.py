"""XMPP cluster: three real convened on 127.0.1.1-3, raft over
mutual TLS, driven through mmp in seed 000's order (steps 4-8). Shared state
(users, call bridges) replicated; leader failover after kill -9; reset-and-rejoin
gives one entry. Every wait is a bounded poll of `xmpp cluster status` or
`xmpp user list`, never a sleep."""
import re
import time

from harness import assert_threads_documented, wait_for
from xmpp_cluster_fixtures import ADDR, TIMEOUT, build_cluster, cluster_view, leader_index, peers_of, setup_certs
from xmpp_fixtures import DOMAIN


def test_seed_sequence_builds_a_three_node_cluster_and_replicates_writes(three):
    build_cluster(three)
    # One leader, two followers, every node agrees on who leads; per-peer keep-alive and term shown.
    states = sorted(peers_of(n)[0] for n in three.values())
    assert states == ["FOLLOWER", "FOLLOWER", "LEADER"]
    leader = leader_index(three)
    for n in three.values():
        _, peers, out = peers_of(n)
        assert [p for p in peers if "(Leader)" in p][0].startswith(f"{ADDR[leader]}:5222"), out
        assert re.search(r"^Term: \d+", out, re.M), out
        assert sum("last keep-alive" in p for p in peers) >= 1, out

    # A user added on a follower is visible on every node (forwarded to the leader, committed, applied).
    follower = next(n for i, n in three.items() if i != leader)
    follower.mmp("xmpp", "user", "add", "dave", input="pw-dave\npw-dave\n")
    assert f"dave@{DOMAIN}" in follower.mmp("xmpp", "user", "list").stdout  # read-your-write, no wait
    for n in three.values():
        wait_for(lambda: f"dave@{DOMAIN}" in n.mmp("xmpp", "user", "list").stdout, TIMEOUT, f"dave on {n.name}")
    # Call bridges made on node 1 before the cluster existed are the cluster's.
    for n in three.values():
        assert n.mmp("xmpp", "callbridge", "list").stdout.count("Callbridge") == 3
    # Each node's threads are the ones the architecture's thread table lists.
    for n in three.values():
        assert_threads_documented(n, "raft-loop", "raft-net", "xmpp-io")


def test_cluster_with_a_lab_ca_as_trust_bundle(three):
    build_cluster(three, mode="ca")
    assert sorted(peers_of(n)[0] for n in three.values()) == ["FOLLOWER", "FOLLOWER", "LEADER"]


def test_join_with_a_different_callbridge_secret_is_refused_naming_it(nodes):
    n1, n2 = nodes(1), nodes(2)
    for n in (n1, n2):
        n.mmp("xmpp", "domain", DOMAIN)
        n.mmp("xmpp", "listen", "a")
    setup_certs(n1, [n2], "leaf")
    n1.mmp("xmpp", "callbridge", "add", "cb1")
    n1.mmp("xmpp", "cluster", "enable")
    n1.mmp("xmpp", "cluster", "initialize")
    n2.mmp("xmpp", "callbridge", "add-secret", "cb1", input="NotTheSameSecret123\n")
    n2.mmp("xmpp", "cluster", "enable")
    r = n2.mmp("xmpp", "cluster", "join", ADDR[1], check=False)
    assert r.returncode == 1
    assert "call bridge cb1 has a different secret" in r.stderr, r.stderr
    assert "xmpp callbridge add-secret cb1" in r.stderr, r.stderr
    # Nothing changed on n2; n1's cluster is back to one member.
    assert "NotTheSameSecret123" in n2.mmp("xmpp", "callbridge", "list").stdout
    assert "NOT IN A CLUSTER" in n2.mmp("xmpp", "cluster", "status").stdout
    wait_for(lambda: cluster_view(n1, [ADDR[1]]), TIMEOUT, "n1 alone again\n" + peers_of(n1)[2])


def test_kill_leader_elects_a_new_one_and_old_leader_returns_as_follower(three):
    build_cluster(three)
    old = leader_index(three)
    survivors = {i: n for i, n in three.items() if i != old}
    t0 = time.monotonic()
    three[old].kill()

    def new_leader():
        i = leader_index(survivors)
        return i is not None and all(cluster_view(n, ADDR.values()) and
                                     f"{ADDR[i]}:5222 (Leader)" in peers_of(n)[2] for n in survivors.values())
    wait_for(new_leader, TIMEOUT, "a new leader among the survivors")
    elapsed = time.monotonic() - t0
    print(f"\nfailover: new leader seen by both survivors {elapsed * 1000:.0f} ms after kill -9 (mmp polling)")
    # Writes go on with two of three.
    some = next(iter(survivors.values()))
    some.mmp("xmpp", "user", "add", "erin", input="pw\npw\n")
    # The old leader restarts from its directory, reopens the cluster and follows.
    three[old].start()
    wait_for(lambda: peers_of(three[old])[0] == "FOLLOWER" and cluster_view(three[old], ADDR.values()), TIMEOUT,
             "the old leader back as follower\n" + peers_of(three[old])[2])
    wait_for(lambda: f"erin@{DOMAIN}" in three[old].mmp("xmpp", "user", "list").stdout, TIMEOUT,
             "the write made while it was down")


def test_reset_and_rejoin_gives_exactly_one_entry(three):
    secrets = build_cluster(three)
    n3 = three[3]
    n3.mmp("xmpp", "reset", input="Y\n")
    assert "DISABLED" in n3.mmp("xmpp", "cluster", "status").stdout
    # Configure it again as a new node and join (seed steps 3 and 8).
    n3.mmp("xmpp", "domain", DOMAIN)
    n3.mmp("xmpp", "listen", "a")
    n3.mmp("xmpp", "certs", "abhiall.key", "abhiall.crt")
    n3.mmp("xmpp", "cluster", "trust", "abhiall.crt")
    for cb, secret in secrets.items():
        n3.mmp("xmpp", "callbridge", "add-secret", cb, input=f"{secret}\n")
    n3.mmp("xmpp", "cluster", "enable")
    n3.mmp("xmpp", "enable")
    n3.mmp("xmpp", "cluster", "join", ADDR[2])
    for n in three.values():
        wait_for(lambda: cluster_view(n, ADDR.values()), TIMEOUT, f"{n.name}: three peers\n" + peers_of(n)[2])
        _, peers, out = peers_of(n)
        assert len(peers) == 3, out
        assert sum(p.startswith(f"{ADDR[3]}:5222") for p in peers) == 1, out
    three[1].mmp("xmpp", "user", "add", "frank", input="pw\npw\n")
    wait_for(lambda: f"frank@{DOMAIN}" in n3.mmp("xmpp", "user", "list").stdout, TIMEOUT, "frank on the rejoined node")
