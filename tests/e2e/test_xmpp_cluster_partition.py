"""XMPP cluster under a network partition: a follower cut off from the
other two (nftables drops its cluster port's traffic, partition.py) loses its
leader and refuses writes, while the majority keeps a leader and accepts them;
once healed, the three agree again and the cut-off node has the writes it missed.
Every wait is a bounded poll, never a sleep; the nft table is always deleted."""
import pytest

from harness import wait_for
from partition import Partition
from xmpp_cluster_fixtures import ADDR, TIMEOUT, build_cluster, cluster_view, leader_index, peers_of
from xmpp_fixtures import DOMAIN


@pytest.fixture
def partition():
    """cut(address) isolates a node; every partition is healed at the end, even on failure."""
    made = []

    def cut(address):
        p = Partition(address)
        made.append(p)
        return p.cut()

    yield cut
    for p in made:
        p.heal()


def users_on(node):
    return node.mmp("xmpp", "user", "list").stdout


def test_cut_off_follower_refuses_writes_and_catches_up_after_heal(three, partition):
    build_cluster(three)
    leader = leader_index(three)
    cut_off = next(i for i in three if i != leader)
    lonely = three[cut_off]
    majority = {i: n for i, n in three.items() if i != cut_off}

    p = partition(ADDR[cut_off])
    wait_for(lambda: "No leader known" in peers_of(lonely)[2], TIMEOUT,
             "the cut-off node to lose its leader\n" + peers_of(lonely)[2])
    assert p.dropped() > 0  # the isolation is the rule's doing
    assert "cut off from the majority" in peers_of(lonely)[2]

    # The minority refuses writes, with a message saying why.
    r = lonely.mmp("xmpp", "user", "add", "mallory", input="pw\npw\n", check=False)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "no leader" in r.stderr, r.stderr
    assert "cut off from the majority" in r.stderr, r.stderr
    assert f"mallory@{DOMAIN}" not in users_on(lonely)

    # The majority keeps its leader and accepts a write.
    for n in majority.values():
        wait_for(lambda: peers_of(n)[0] in ("LEADER", "FOLLOWER") and "(Leader)" in peers_of(n)[2], TIMEOUT,
                 f"{n.name} to keep a leader\n" + peers_of(n)[2])
    some = next(n for i, n in majority.items() if i != leader)
    some.mmp("xmpp", "user", "add", "nora", input="pw\npw\n")
    assert f"nora@{DOMAIN}" not in users_on(lonely)

    p.heal()
    for n in three.values():
        wait_for(lambda: cluster_view(n, ADDR.values()), TIMEOUT * 3,
                 f"{n.name}: three peers and one leader after the heal\n" + peers_of(n)[2])
    leaders = {[line for line in peers_of(n)[1] if "(Leader)" in line][0].split()[0] for n in three.values()}
    assert len(leaders) == 1, leaders  # all three name the same leader
    wait_for(lambda: f"nora@{DOMAIN}" in users_on(lonely), TIMEOUT, "the write made during the partition")
    for n in three.values():
        assert f"mallory@{DOMAIN}" not in users_on(n)
