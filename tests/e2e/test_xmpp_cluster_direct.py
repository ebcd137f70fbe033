"""Stanzas between two followers of a three-node XMPP cluster go straight from the
origin node to the node holding the recipient, not through the leader, and a
sender's stanzas keep their order when their path changes.

(a) alice on one follower sends bob, on the other, numbered messages: they arrive
once and in order; the origin counts them as sent straight to their node, the
holding node as delivered for other nodes, and the leader passed none of them on
(`xmpp status`). Through the leader, its count grows by one per message.
(b) The leader gets kill -9 while alice keeps sending: every message sent before,
around and after the kill arrives exactly once, in the order alice sent them,
and straight again after the change.
(c) bob's node is stopped (SIGSTOP) while alice keeps sending: what alice's node
sent straight stays unconfirmed, so it sends through the leader (the leader's
count grows), and straight again a while after bob's node goes on (SIGCONT).
Stanzas sent straight before the switch wait in the stopped node's socket while
later ones come through the leader: every message still arrives exactly once, in
the order alice sent them.
Waits are bounded polls and events, never sleeps as synchronisation."""
import asyncio
import re
import signal
import time

from test_xmpp_cluster_routing import cluster, collect, on, until  # noqa: F401  (fixture)
from xmpp_cluster_fixtures import TIMEOUT, leader_index
from xmpp_fixtures import DOMAIN, offline, run


def counter(node, label):
    """A number of `xmpp status` (the first one after `label :`)."""
    out = node.mmp("xmpp", "status").stdout
    m = re.search(rf"^{re.escape(label)}\s*:\s*(\d+)", out, re.M)
    assert m, f"no '{label}' in xmpp status of {node.name}:\n{out}"
    return int(m.group(1))


def followers(cluster):
    leader = leader_index(cluster)
    assert leader is not None, "no leader"
    a, b = [i for i in cluster if i != leader]
    return leader, a, b


async def sees_session_elsewhere(node):
    """Until `node`'s copy of the registry holds a session of another node."""
    await until(lambda: counter(node, "Sessions on other nodes") >= 1, f"a session of another node on {node.name}")


def test_messages_between_followers_do_not_pass_through_the_leader(cluster):
    leader, a, b = followers(cluster)
    bodies = [f"straight-{k}" for k in range(50)]

    async def go():
        alice = await on(cluster[a], "alice", sm=True)
        bob = await on(cluster[b], "bob", sm=True)
        await sees_session_elsewhere(cluster[a])
        passed_before = counter(cluster[leader], "Stanzas passed on as leader")
        straight_before = counter(cluster[a], "Stanzas sent straight to their node")
        delivered_before = counter(cluster[b], "Stanzas delivered for other nodes")
        got_bob = collect(bob)
        for body in bodies:
            alice.send_message(mto=f"bob@{DOMAIN}/test", mbody=body, mtype="chat")
        await until(lambda: len(got_bob) >= len(bodies), "alice's messages at bob")
        assert got_bob == bodies, f"lost, repeated or reordered: {got_bob}"
        assert counter(cluster[a], "Stanzas sent straight to their node") - straight_before >= len(bodies)
        assert counter(cluster[b], "Stanzas delivered for other nodes") - delivered_before >= len(bodies)
        passed = counter(cluster[leader], "Stanzas passed on as leader") - passed_before
        assert passed == 0, f"the leader passed on {passed} stanza(s) between its followers"
        await offline(alice, bob)
    run(go(), timeout=90)


def test_order_per_sender_is_kept_across_a_leader_kill(cluster):
    leader, a, b = followers(cluster)
    survivors = {i: cluster[i] for i in (a, b)}

    async def go():
        alice = await on(cluster[a], "alice", sm=True)
        bob = await on(cluster[b], "bob", sm=True)
        await sees_session_elsewhere(cluster[a])
        got_bob = collect(bob)
        sent = []

        def send():
            body = f"m-{len(sent)}"
            sent.append(body)
            alice.send_message(mto=f"bob@{DOMAIN}/test", mbody=body, mtype="chat")

        for _ in range(20):
            send()
        await until(lambda: len(got_bob) >= 20, "the messages before the kill")
        cluster[leader].kill()
        # Keep sending, a message per poll of the survivors, until one of them
        # leads: messages leave alice's node before, during and after the change.
        deadline = time.monotonic() + TIMEOUT
        while leader_index(survivors) is None:
            assert time.monotonic() < deadline, "no new leader among the survivors"
            send()
            await asyncio.sleep(0)  # lets alice's client write it
        for _ in range(30):
            send()
            await asyncio.sleep(0)
        await until(lambda: len(got_bob) >= len(sent), f"all {len(sent)} messages at bob", 30)
        assert got_bob == sent, f"lost, repeated or reordered across the leader change: {got_bob}"
        # And straight again (not through anyone) once the change is over.
        more = [f"after-{k}" for k in range(10)]
        before = counter(cluster[a], "Stanzas sent straight to their node")
        for body in more:
            sent.append(body)
            alice.send_message(mto=f"bob@{DOMAIN}/test", mbody=body, mtype="chat")
        await until(lambda: len(got_bob) >= len(sent), "the messages after the leader change")
        assert got_bob == sent
        assert counter(cluster[a], "Stanzas sent straight to their node") - before >= len(more)
        await offline(alice, bob)
    run(go(), timeout=120)


def test_order_per_sender_is_kept_when_the_path_switches_to_the_leader_and_back(cluster):
    leader, a, b = followers(cluster)

    async def go():
        alice = await on(cluster[a], "alice", sm=True)
        bob = await on(cluster[b], "bob", sm=True)
        await sees_session_elsewhere(cluster[a])
        got_bob = collect(bob)
        sent = []

        def send():
            body = f"m-{len(sent)}"
            sent.append(body)
            alice.send_message(mto=f"bob@{DOMAIN}/test", mbody=body, mtype="chat")

        async def keep_sending_until(condition, what, timeout=TIMEOUT):
            deadline = time.monotonic() + timeout
            while not condition():
                assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
                send()
                await asyncio.sleep(0.05)  # the sending rate, not a synchronisation

        for _ in range(10):
            send()
        await until(lambda: len(got_bob) >= 10, "the first messages")
        passed_before = counter(cluster[leader], "Stanzas passed on as leader")
        cluster[b].signal(signal.SIGSTOP)
        try:
            await keep_sending_until(lambda: counter(cluster[leader], "Stanzas passed on as leader") > passed_before,
                                     "alice's node to send through the leader")
            for _ in range(5):
                send()
        finally:
            cluster[b].signal(signal.SIGCONT)
        straight = counter(cluster[a], "Stanzas sent straight to their node")
        await keep_sending_until(lambda: counter(cluster[a], "Stanzas sent straight to their node") > straight,
                                 "alice's node to send straight again", 30)
        for _ in range(5):
            send()
        await until(lambda: len(got_bob) >= len(sent), f"all {len(sent)} messages at bob", 30)
        assert got_bob == sent, f"lost, repeated or reordered across the switch: {got_bob}"
        await offline(alice, bob)
    run(go(), timeout=120)
