"""XMPP cluster membership: who may join, and taking a member out.

A node whose certificate the cluster does not trust is refused at join, and the
refusing node says so in its log. `xmpp cluster remove` takes a dead member out so
the majority is counted over the members left; the removed node, started again,
stays out and disturbs nobody. Every wait is a bounded poll, never a sleep."""
import re
import shutil

from harness import wait_for
from xmpp_cluster_fixtures import ADDR, TIMEOUT, build_cluster, cluster_view, leader_index, peers_of
from xmpp_fixtures import DOMAIN


def term_of(node):
    return int(re.search(r"^Term: (\d+)", peers_of(node)[2], re.M).group(1))


def test_join_with_an_untrusted_certificate_is_refused_and_logged(three, nodes):
    build_cluster(three)
    # Node 4 trusts the cluster's certificate but presents its own self-signed one,
    # which the cluster's trust bundle (abhiall.crt) does not hold.
    n4 = nodes(4)
    n4.mmp("xmpp", "domain", DOMAIN)
    n4.mmp("xmpp", "listen", "a")
    n4.mmp("pki", "selfsigned", "stranger", f"CN:{DOMAIN}", f"subjectAltName:{DOMAIN},{n4.address}")
    shutil.copy(three[1].files / "abhiall.crt", n4.files / "abhiall.crt")
    n4.mmp("xmpp", "certs", "stranger.key", "stranger.crt")
    n4.mmp("xmpp", "cluster", "trust", "abhiall.crt")
    n4.mmp("xmpp", "cluster", "enable")

    r = n4.mmp("xmpp", "cluster", "join", ADDR[1], check=False)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "cannot join the cluster" in r.stderr, r.stderr
    assert "certificate" in r.stderr, r.stderr  # the hint points at the trust bundles
    # The refusing node names the peer and the reason in its log.
    assert re.search(rf"refused peer connection from {re.escape(n4.address)}:\d+: TLS handshake failed",
                     three[1].output()), three[1].output()[-3000:]
    # The cluster is still its three members; node 4 is in no cluster.
    for n in three.values():
        assert cluster_view(n, ADDR.values()), peers_of(n)[2]
        assert f"{n4.address}:" not in peers_of(n)[2]
    assert "NOT IN A CLUSTER" in n4.mmp("xmpp", "cluster", "status").stdout


def test_remove_refuses_bad_input_and_changes_nothing(three):
    build_cluster(three)
    leader = leader_index(three)
    n = three[leader]

    r = n.mmp("xmpp", "cluster", "remove", ADDR[leader], input="Y\n", check=False)
    assert r.returncode == 1
    assert "is this node" in r.stderr and "xmpp cluster disable" in r.stderr, r.stderr

    r = n.mmp("xmpp", "cluster", "remove", "127.0.1.9", input="Y\n", check=False)
    assert r.returncode == 1
    assert "'127.0.1.9' is not a member" in r.stderr, r.stderr
    assert all(f"{a}:5222" in r.stderr for a in ADDR.values()), r.stderr  # the members are listed

    other = next(i for i in three if i != leader)
    r = n.mmp("xmpp", "cluster", "remove", ADDR[other], input="n\n", check=False)
    assert r.returncode == 1
    assert "cancelled" in r.stderr, r.stderr

    # Nothing was removed: every node still sees the three members.
    for node in three.values():
        assert cluster_view(node, ADDR.values()), peers_of(node)[2]


def test_remove_a_dead_peer_then_it_stays_out_when_restarted(three):
    build_cluster(three)
    leader = leader_index(three)
    dead = next(i for i in three if i != leader)  # a follower
    survivors = {i: n for i, n in three.items() if i != dead}
    left = [ADDR[i] for i in survivors]
    three[dead].kill()

    out = three[leader].mmp("xmpp", "cluster", "remove", f"{ADDR[dead]}:5222", input="Y\n").stdout
    assert f"Removed {ADDR[dead]}:5222" in out, out
    for n in survivors.values():
        wait_for(lambda: cluster_view(n, left), TIMEOUT, f"{n.name}: two peers\n" + peers_of(n)[2])
    # Two members, both up: writes go on (a majority of two is both).
    follower = next(n for i, n in survivors.items() if i != leader)
    follower.mmp("xmpp", "user", "add", "gina", input="pw\npw\n")
    term = term_of(three[leader])

    # The removed node starts again from its directory (its raft data still lists
    # three members). It must not come back by itself, nor unsettle the two.
    back = three[dead]
    back.start()
    # Settled once its election timer fired: it then asked the others for votes.
    wait_for(lambda: "No leader known" in peers_of(back)[2] or "removed" in peers_of(back)[2], TIMEOUT,
             "the removed node to find no leader\n" + peers_of(back)[2])
    r = back.mmp("xmpp", "user", "add", "hugo", input="pw\npw\n", check=False)
    assert r.returncode == 1, r.stdout + r.stderr
    for n in survivors.values():
        assert cluster_view(n, left), peers_of(n)[2]
        assert f"{ADDR[leader]}:5222 (Leader)" in peers_of(n)[2], peers_of(n)[2]
    assert term_of(three[leader]) == term  # no election was forced on them
    follower.mmp("xmpp", "user", "add", "ivan", input="pw\npw\n")
    assert f"hugo@{DOMAIN}" not in three[leader].mmp("xmpp", "user", "list").stdout

    # Bad input once the cluster is two: the members are listed.
    r = three[leader].mmp("xmpp", "cluster", "remove", ADDR[dead], input="Y\n", check=False)
    assert r.returncode == 1
    assert "is not a member" in r.stderr, r.stderr
    assert all(f"{a}:5222" in r.stderr for a in left), r.stderr


def test_remove_without_a_majority_fails_clearly(three):
    build_cluster(three)
    leader = leader_index(three)
    for i, n in three.items():
        if i != leader:
            n.kill()
    lone = three[leader]
    # The leader steps down once it hears from no majority.
    wait_for(lambda: "No leader known" in peers_of(lone)[2], TIMEOUT, "the lone node to lose leadership\n"
             + peers_of(lone)[2])
    victim = next(i for i in three if i != leader)
    r = lone.mmp("xmpp", "cluster", "remove", ADDR[victim], input="Y\n", check=False)
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"could not remove {ADDR[victim]}:5222" in r.stderr, r.stderr
    assert "majority" in r.stderr, r.stderr
    assert f"{ADDR[victim]}:5222" in peers_of(lone)[2]  # still a member


def test_restarted_removed_node_shows_it_was_removed(three):
    build_cluster(three)
    leader = leader_index(three)
    dead = next(i for i in three if i != leader)
    three[dead].kill()
    three[leader].mmp("xmpp", "cluster", "remove", ADDR[dead], input="Y\n")
    three[dead].start()
    wait_for(lambda: "This node was removed from the cluster" in peers_of(three[dead])[2], TIMEOUT,
             "the restarted node to know it was removed\n" + peers_of(three[dead])[2])
