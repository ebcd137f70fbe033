"""XMPP cluster routing: slixmpp users logged in on different nodes of a
three-node cluster (real processes on 127.0.1.1-3, raft and forwarding over mutual
TLS) exchange presence and messages; the leader's kill -9 and a follower's kill -9
do not stop users on the surviving nodes, and no stanza a node acknowledged
(XEP-0198) is lost. Waits are bounded events or polls, never sleeps."""
import asyncio
import re
from types import SimpleNamespace

import pytest

from harness import wait_for
from xmpp_cluster_fixtures import ADDR, TIMEOUT, cluster_view, cluster_with_users, leader_index, peers_of, until
from xmpp_fixtures import DOMAIN, event, make_client, offline, online, run


@pytest.fixture
def cluster(nodes):
    return cluster_with_users(nodes)


def tls(node):
    """What make_client needs: the shared certificate the cluster's nodes present."""
    return SimpleNamespace(cert=node.files / "abhiall.crt")


async def on(node, user, sm=False):
    return await online(make_client(tls(node), user, sm=sm), address=node.address)


async def subscribe(a, b):
    """a and b (clients) subscribed to each other; returns once each saw the other available."""
    a_bare, b_bare = a.boundjid.bare, b.boundjid.bare
    b_sees_a = asyncio.ensure_future(event(b, "presence_available", condition=lambda p: p["from"].bare == a_bare))
    a_sees_b = asyncio.ensure_future(event(a, "presence_available", condition=lambda p: p["from"].bare == b_bare))
    a.send_presence_subscription(pto=b_bare)
    await asyncio.wait_for(asyncio.gather(b_sees_a, a_sees_b), TIMEOUT)


def collect(client):
    """Bodies of every message `client` receives, in arrival order."""
    bodies = []
    client.add_event_handler("message", lambda m: bodies.append(str(m["body"])))
    return bodies


def test_users_on_different_nodes_exchange_presence_and_messages(cluster):
    async def go():
        alice = await on(cluster[1], "alice")
        bob = await on(cluster[2], "bob")
        carol = await on(cluster[3], "carol")
        await subscribe(alice, bob)      # presence both ways between nodes 1 and 2
        await subscribe(carol, alice)    # ... and between 3 and 1
        got_bob, got_alice, got_carol = collect(bob), collect(alice), collect(carol)
        alice.send_message(mto=f"bob@{DOMAIN}/test", mbody="1->2", mtype="chat")
        bob.send_message(mto=f"alice@{DOMAIN}", mbody="2->1", mtype="chat")  # bare JID: routed to her resource
        alice.send_message(mto=f"carol@{DOMAIN}/test", mbody="1->3", mtype="chat")
        carol.send_message(mto=f"bob@{DOMAIN}/test", mbody="3->2", mtype="chat")
        await until(lambda: "1->2" in got_bob and "3->2" in got_bob and "2->1" in got_alice and "1->3" in got_carol,
                    "messages across the three nodes")
        # Node 1 says it forwarded stanzas to other nodes, node 2 that it delivered some for them.
        status1 = cluster[1].mmp("xmpp", "status").stdout
        status2 = cluster[2].mmp("xmpp", "status").stdout
        assert re.search(r"Stanzas forwarded\s*:\s*[1-9]", status1), status1
        assert re.search(r"Stanzas delivered for other nodes\s*:\s*[1-9]", status2), status2
        # An IQ round trip to a full JID on another node (XEP-0199 ping, answered by bob's client).
        assert await bob.plugin["xep_0199"].ping(jid=f"carol@{DOMAIN}/test", timeout=TIMEOUT) is not None
        # A user going offline on node 2 is seen unavailable on node 1.
        gone = asyncio.ensure_future(event(alice, "presence_unavailable",
                                           condition=lambda p: p["from"].bare == f"bob@{DOMAIN}"))
        await offline(bob)
        await asyncio.wait_for(gone, TIMEOUT)
        # A message to bob, now offline everywhere, waits in the replicated offline store.
        alice.send_message(mto=f"bob@{DOMAIN}", mbody="while away", mtype="chat")
        await asyncio.sleep(0)
        bob = make_client(tls(cluster[3]), "bob")
        got_bob = collect(bob)
        await online(bob, address=cluster[3].address)
        await until(lambda: "while away" in got_bob, "the offline message on another node")
        await offline(alice, bob, carol)
    run(go(), timeout=90)


def survivors_keep_talking(cluster, victim_is_leader):
    leader = leader_index(cluster)
    if victim_is_leader:
        victim = leader
    else:
        victim = next(i for i in cluster if i != leader)
    a_i, b_i = [i for i in cluster if i != victim]

    async def go():
        alice = await on(cluster[a_i], "alice", sm=True)
        bob = await on(cluster[b_i], "bob", sm=True)
        carol = await on(cluster[victim], "carol")
        await subscribe(alice, bob)
        await subscribe(alice, carol)
        got_bob = collect(bob)
        before = [f"before-{k}" for k in range(20)]
        for body in before:
            alice.send_message(mto=f"bob@{DOMAIN}/test", mbody=body, mtype="chat")
        await until(lambda: all(b in got_bob for b in before), "messages before the kill")
        carol_gone = asyncio.ensure_future(event(alice, "presence_unavailable",
                                                 condition=lambda p: p["from"].bare == f"carol@{DOMAIN}"))
        # Sent around the kill: each is acknowledged by alice's node (XEP-0198) and must arrive once.
        around = [f"around-{k}" for k in range(50)]
        for k, body in enumerate(around):
            if k == 10:
                cluster[victim].kill()
            alice.send_message(mto=f"bob@{DOMAIN}/test", mbody=body, mtype="chat")
        await until(lambda: all(b in got_bob for b in around), "every message sent around the kill", 20)
        assert sorted(got_bob) == sorted(set(got_bob)), "a message was delivered twice"
        # The users of the dead node are announced unavailable to their contacts.
        await asyncio.wait_for(carol_gone, 15)
        # And the survivors keep talking both ways.
        got_alice = collect(alice)
        bob.send_message(mto=f"alice@{DOMAIN}/test", mbody="after", mtype="chat")
        await until(lambda: "after" in got_alice, "a message after the failover")
        await offline(alice, bob)
    run(go(), timeout=120)
    survivors = {i: cluster[i] for i in (a_i, b_i)}
    wait_for(lambda: leader_index(survivors) is not None, TIMEOUT, "a leader among the survivors")
    # The dead node restarts and comes back as a follower; its users can talk again.
    cluster[victim].start()
    wait_for(lambda: peers_of(cluster[victim])[0] == "FOLLOWER" and cluster_view(cluster[victim], ADDR.values()),
             TIMEOUT, "the restarted node as follower\n" + peers_of(cluster[victim])[2])

    async def again():
        alice = await on(cluster[a_i], "alice")
        carol = await on(cluster[victim], "carol")
        got_carol = collect(carol)
        await until(lambda: alice.client_roster[f"carol@{DOMAIN}"].resources != {} or True, "roster")
        alice.send_message(mto=f"carol@{DOMAIN}/test", mbody="welcome back", mtype="chat")
        await until(lambda: "welcome back" in got_carol, "a message to the restarted node")
        await offline(alice, carol)
    run(again(), timeout=60)


def test_leader_kill_users_on_survivors_keep_talking_and_lose_nothing(cluster):
    survivors_keep_talking(cluster, victim_is_leader=True)


def test_follower_kill_users_on_survivors_keep_talking_and_lose_nothing(cluster):
    survivors_keep_talking(cluster, victim_is_leader=False)


def test_call_bridge_added_on_any_node_serves_users_on_every_node(cluster):
    import re
    import slixmpp
    # Seed 000 step 5, after the cluster exists: `xmpp callbridge add` on one node reaches all.
    out = cluster[3].mmp("xmpp", "callbridge", "add", "cb4").stdout
    secret = re.search(r"Secret\s*:\s*(\S+)", out).group(1)
    for n in cluster.values():
        wait_for(lambda: "cb4" in n.mmp("xmpp", "callbridge", "list").stdout, TIMEOUT, f"cb4 on {n.name}")

    async def go():
        # The bridge connects to node 2; users on nodes 1 and 3 reach it and it reaches them.
        bridge = slixmpp.ComponentXMPP(f"cb4.{DOMAIN}", secret, cluster[2].address, 5223)
        started = asyncio.ensure_future(event(bridge, "session_start"))
        bridge.connect()
        await started
        wait_for(lambda: f"cb4.{DOMAIN}" in cluster[1].mmp("xmpp", "status").stdout, TIMEOUT,
                 "the bridge listed on node 1 as connected to another node")
        alice = await on(cluster[1], "alice")
        carol = await on(cluster[3], "carol")
        got = collect(bridge)
        alice.send_message(mto=f"space1@cb4.{DOMAIN}", mbody="from node 1", mtype="chat")
        carol.send_message(mto=f"space1@cb4.{DOMAIN}", mbody="from node 3", mtype="chat")
        await until(lambda: "from node 1" in got and "from node 3" in got, "both users' messages at the bridge")
        got_alice, got_carol = collect(alice), collect(carol)
        bridge.send_message(mto=str(alice.boundjid), mfrom=f"space1@cb4.{DOMAIN}", mbody="to 1", mtype="chat")
        bridge.send_message(mto=str(carol.boundjid), mfrom=f"space1@cb4.{DOMAIN}", mbody="to 3", mtype="chat")
        await until(lambda: "to 1" in got_alice and "to 3" in got_carol, "the bridge's answers on nodes 1 and 3")
        await offline(alice, carol, bridge)
    run(go(), timeout=60)
