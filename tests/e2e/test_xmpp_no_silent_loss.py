"""No stanza a node acknowledged (XEP-0198 <a h=/>) vanishes: it is delivered, or
its sender gets an error back (RFC 6120 §10). Three-node cluster on
CONVENE_TEST_NET.1-3, slixmpp clients with stream management.

(a) A user on node 2 sends numbered messages to a user on node 1 while node 1's
convened is stopped (SIGSTOP, long enough for the cluster to drop node 1's
sessions as silent, then SIGCONT): each message reaches the user on node 1 or
comes back as an error; none is stored offline for a user who never went
offline, none is dropped.
(b) Group messages to a space while its call bridge is killed (kill -9 of the
bridge process only, its standbys on the other nodes stopped so that the name
stays free until convened restarts the bridge, 250 ms later): the server keeps
them for the name's next holder instead of bouncing them at once; each reaches an
occupant or comes back as an error, and none is bounced by the server with
service-unavailable, the restart being well inside the wait.
(c) Users on both sides of a partition of the XMPP raft leader (nftables cuts its
cluster port, partition.py) send numbered messages to each other across the cut
for 15 s, longer than an absent session used to be awaited (10 s), then the cut
heals: each acknowledged message reaches the other user or comes back as an
error to its sender; none is stored offline for a user who stayed online, none
is lost in a store write the cut-off side could not make.
(d) A user comes online on a node that cannot tell the others yet (its cluster
port cut off), and a message for them is sent on a node whose copy of the
registry therefore has no session of theirs: it is stored offline after their
initial presence read the offline store. Once the cut heals their node applies
the stored message, and it reaches them (once) rather than waiting for their
next login. In the throughput bench the same happened to the first messages to
users who had just logged in on another node (the registry's change on its way
through the leader), with no cut at all.
Waits are bounded polls and events, never sleeps as synchronisation."""
import asyncio
import os
import re
import signal

from harness import wait_for
from partition import Partition
from test_callbridge_supervised import pid_of, status
from test_callbridge_takeover import serve_cb1_on_node1
from test_xmpp_cluster_routing import cluster, on, until  # noqa: F401  (fixture)
from xmpp_cluster_fixtures import ADDR, TIMEOUT, leader_index, peers_of
from xmpp_fixtures import DOMAIN, event, join_room, offline, run


def standby_pids(cluster, name, nodes=(2, 3)):
    """Pids of the standby call bridges `name` that these nodes' convened run."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        line = " ".join(argv)
        if "convene-callbridge" in argv[0] and "--standby" in argv and f"/standby/{name}/" in line \
                and any(str(cluster[i].dir) + "/" in line for i in nodes):
            pids.append(int(entry))
    return pids


def sessions_elsewhere(node):
    """`Sessions on other nodes` of `xmpp status`, or None when absent."""
    out = node.mmp("xmpp", "status").stdout
    m = re.search(r"Sessions on other nodes\s*:\s*(\d+)", out)
    return int(m.group(1)) if m else None


class Ledger:
    """What a sender sent, what its server acknowledged (one ack request per stanza),
    what came back as an error (by id, with the condition), and what arrived."""

    def __init__(self, sender, *receivers):
        self.sent, self.acked, self.bounced, self.arrived = [], set(), {}, set()
        sm = sender.plugin["xep_0198"]
        sm.window = sm.window_counter = 1  # an ack request per stanza: exact accounting
        sender.add_event_handler("stanza_acked", self._acked)
        sender.add_event_handler("message", self._back)
        # slixmpp raises "message" only for messages with a <body/>; a bounce need
        # not repeat the payload (RFC 6120 §8.3.1), so errors come as this event too.
        sender.add_event_handler("message_error", self._back)
        sender.add_event_handler("groupchat_message_error", self._back)  # the MUC plugin's event for those
        for r in receivers:  # a group message counts as delivered when one occupant got it (as in bench/chaos.py)
            r.add_event_handler("message", self._arrived)

    def _acked(self, stanza):
        if stanza.name == "message" and str(stanza["id"]) in self.sent:
            self.acked.add(str(stanza["id"]))

    def _back(self, m):
        if m["type"] == "error":
            self.bounced[str(m["id"])] = m["error"]["condition"]

    def _arrived(self, m):
        if m["type"] != "error" and str(m["body"]) in self.sent:
            self.arrived.add(str(m["body"]))

    def send(self, client, to, body, mtype):
        m = client.make_message(mto=to, mbody=body, mtype=mtype)
        m["id"] = body
        self.sent.append(body)
        m.send()

    def vanished(self):
        return sorted(i for i in self.acked if i not in self.arrived and i not in self.bounced)

    def unaccounted(self):
        return [i for i in self.sent if i not in self.arrived and i not in self.bounced]

    def accounted(self):
        return not self.unaccounted()

    def summary(self):
        return (f"sent {len(self.sent)}, acked {len(self.acked)}, arrived {len(self.arrived)}, "
                f"bounced {self.bounced}, vanished (acked) {self.vanished()}, unaccounted {self.unaccounted()}")


def test_messages_to_a_user_on_a_stopped_node_are_delivered_or_bounced(cluster):  # noqa: F811
    async def go():
        bob = await on(cluster[1], "bob", sm=True)
        alice = await on(cluster[2], "alice", sm=True)
        ledger = Ledger(alice, bob)
        bob_jid = f"bob@{DOMAIN}/test"
        wait_for(lambda: sessions_elsewhere(cluster[2]) == 1, TIMEOUT, "node 2 to see bob's session on node 1")
        ledger.send(alice, bob_jid, "warm-up", "chat")
        await until(lambda: "warm-up" in ledger.arrived, "a message from node 2 to node 1 before the stop")

        loop = asyncio.get_event_loop()
        dropped = asyncio.ensure_future(loop.run_in_executor(None, lambda: wait_for(
            lambda: sessions_elsewhere(cluster[2]) == 0, 30, "node 2 to drop the sessions of stopped node 1")))
        cluster[1].signal(signal.SIGSTOP)
        try:
            k = 0
            after_drop = 0
            # Numbered messages every 100 ms, before and after node 2 dropped bob's
            # session; 2 s more once it did (bounded: 300 messages at most).
            while after_drop < 20 and k < 300:
                ledger.send(alice, bob_jid, f"n{k}", "chat")
                k += 1
                if dropped.done():
                    dropped.result()  # raises if node 2 never dropped them
                    after_drop += 1
                await asyncio.sleep(0.1)  # the sending rate, not a synchronisation
            assert after_drop == 20, "node 2 never dropped the stopped node's sessions"
        finally:
            cluster[1].signal(signal.SIGCONT)
        try:
            await until(ledger.accounted, "every acknowledged message delivered or bounced", 60)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{ledger.summary()}\n"
                                 + "\n".join(n.mmp("xmpp", "status").stdout for n in cluster.values())) from None
        assert len(ledger.acked) > 20, ledger.summary()
        assert not ledger.vanished(), ledger.vanished()
        await offline(alice, bob)
    run(go(), timeout=180)


def test_presence_and_errors_for_a_user_on_a_stopped_node_reach_them_when_it_is_back(cluster):  # noqa: F811
    """What a space sends an occupant the cluster announced gone (its own unavailable
    presence, the error for a group message it sent meanwhile) is a presence or an
    error for a full JID: those wait for the absent session like messages, so the
    client, back, learns it must join again instead of talking to a space it left."""
    async def go():
        bob = await on(cluster[1], "bob", sm=True)
        alice = await on(cluster[2], "alice", sm=True)
        bob_jid = f"bob@{DOMAIN}/test"
        wait_for(lambda: sessions_elsewhere(cluster[2]) == 1, TIMEOUT, "node 2 to see bob's session on node 1")
        presence = asyncio.ensure_future(event(bob, "presence_available", timeout=60,
                                               condition=lambda p: str(p["status"]) == "while you were away"))
        error = asyncio.ensure_future(event(bob, "message_error", timeout=60,
                                            condition=lambda m: str(m["id"]) == "refused-while-away"))
        cluster[1].signal(signal.SIGSTOP)
        try:
            await asyncio.get_event_loop().run_in_executor(None, lambda: wait_for(
                lambda: sessions_elsewhere(cluster[2]) == 0, 30, "node 2 to drop the sessions of stopped node 1"))
            alice.send_presence(pto=bob_jid, pstatus="while you were away")
            m = alice.make_message(mto=bob_jid, mtype="error")
            m["id"] = "refused-while-away"
            m["error"]["condition"] = "not-acceptable"
            m.send()
        finally:
            cluster[1].signal(signal.SIGCONT)
        await asyncio.gather(presence, error)
        await offline(alice, bob)
    run(go(), timeout=120)


def test_group_messages_wait_for_the_next_holder_of_a_killed_call_bridge(cluster):  # noqa: F811
    serve_cb1_on_node1(cluster)
    room = f"room1@cb1.{DOMAIN}"

    async def go():
        alice = await on(cluster[2], "alice", sm=True)
        bob = await on(cluster[3], "bob", sm=True)
        for c in (alice, bob):
            c.register_plugin("xep_0045")
        await join_room(alice, room, "Alice")
        await bob.plugin["xep_0045"].join_muc_wait(room, "Bob", timeout=TIMEOUT)
        ledger = Ledger(alice, alice, bob)
        ledger.send(alice, room, "warm-up", "groupchat")
        await until(lambda: "warm-up" in ledger.arrived, "a group message before the kill")

        bridge = pid_of(status(cluster[1]))
        assert bridge, status(cluster[1])[""]
        # Node 1 serves cb1 now: its own standby for cb1 goes within a follow-up tick.
        wait_for(lambda: not standby_pids(cluster, "cb1", (1,)), TIMEOUT, "node 1 to stop its standby for cb1")
        standbys = standby_pids(cluster, "cb1")
        assert len(standbys) == 2, standbys
        k = 0
        for pid in standbys:
            os.kill(pid, signal.SIGSTOP)
        try:
            os.kill(bridge, signal.SIGKILL)
            # Numbered group messages every 50 ms while the name is free and taken
            # again, until 20 sent after the kill arrived (bounded: 400 messages).
            while k < 400:
                ledger.send(alice, room, f"g{k}", "groupchat")
                k += 1
                if len([b for b in ledger.arrived if b.startswith("g")]) >= 20:
                    break
                await asyncio.sleep(0.05)  # the sending rate, not a synchronisation
        finally:
            for pid in standbys:
                os.kill(pid, signal.SIGCONT)
        try:
            await until(ledger.accounted, "every group message delivered or bounced", 60)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{ledger.summary()}") from None
        assert len(ledger.acked) > 20, ledger.summary()
        assert not ledger.vanished(), ledger.summary()
        by_server = sorted(i for i, cond in ledger.bounced.items() if cond == "service-unavailable")
        assert not by_server, f"bounced by the server instead of waiting for the next holder: {by_server}"
        await offline(alice, bob)
    run(go(), timeout=180)


def test_messages_across_a_partition_of_the_leader_are_delivered_or_bounced(cluster):  # noqa: F811
    leader = leader_index(cluster)
    assert leader, peers_of(cluster[1])[2]
    other = next(i for i in cluster if i != leader)

    async def go():
        bob = await on(cluster[leader], "bob", sm=True)     # on the side that is cut off
        alice = await on(cluster[other], "alice", sm=True)  # with the majority
        to_bob, to_alice = Ledger(alice, bob), Ledger(bob, alice)
        bob_jid, alice_jid = f"bob@{DOMAIN}/test", f"alice@{DOMAIN}/test"
        wait_for(lambda: sessions_elsewhere(cluster[other]) == 1 and sessions_elsewhere(cluster[leader]) == 1,
                 TIMEOUT, "each node to see the other user's session")
        to_bob.send(alice, bob_jid, "a-warm-up", "chat")
        to_alice.send(bob, alice_jid, "b-warm-up", "chat")
        await until(lambda: "a-warm-up" in to_bob.arrived and "b-warm-up" in to_alice.arrived,
                    "a message each way before the cut")

        cut = Partition(ADDR[leader]).cut()
        try:
            # Numbered messages each way every 100 ms for 15 s (150 each): past the
            # 2 s after which each side drops the other's sessions as silent, and
            # past the 10 s an absent session was awaited.
            for k in range(150):
                to_bob.send(alice, bob_jid, f"a{k}", "chat")
                to_alice.send(bob, alice_jid, f"b{k}", "chat")
                await asyncio.sleep(0.1)  # the sending rate, not a synchronisation
            assert cut.dropped() > 0  # the isolation was the rule's doing
            majority = peers_of(cluster[other])
            assert "(Leader)" in majority[2] and ADDR[leader] + ":" not in \
                next((line for line in majority[1] if "(Leader)" in line), ""), majority[2]
        finally:
            cut.heal()
        both = lambda: to_bob.accounted() and to_alice.accounted()  # noqa: E731
        try:
            await until(both, "every acknowledged message delivered or bounced", 60)
        except AssertionError as e:
            raise AssertionError(f"{e}\nalice to bob: {to_bob.summary()}\nbob to alice: {to_alice.summary()}\n"
                                 + "\n".join(n.mmp("xmpp", "status").stdout for n in cluster.values())) from None
        for ledger in (to_bob, to_alice):
            assert len(ledger.acked) > 100, ledger.summary()
            assert not ledger.vanished(), ledger.summary()
        await offline(alice, bob)
    run(go(), timeout=240)


def test_a_message_stored_offline_while_its_user_came_online_elsewhere_reaches_them(cluster):  # noqa: F811
    leader = leader_index(cluster)
    assert leader, peers_of(cluster[1])[2]
    a, b = [i for i in cluster if i != leader]

    async def go():
        alice = await on(cluster[a], "alice", sm=True)
        ledger = Ledger(alice)
        cut = Partition(ADDR[b]).cut()
        try:
            # Bound and available on b (its initial presence found nothing stored),
            # which cannot tell the leader: a's copy of the registry has no bob.
            bob = await on(cluster[b], "bob")
            got = []
            bob.add_event_handler("message", lambda m: got.append(str(m["body"])))
            assert sessions_elsewhere(cluster[a]) == 0
            ledger.send(alice, f"bob@{DOMAIN}", "while-unknown", "chat")
            # Handled (stored offline) once a ping sent after it is answered: stanzas
            # of one stream are handled in order.
            await alice.plugin["xep_0199"].ping(jid=DOMAIN, timeout=TIMEOUT)
            assert cut.dropped() > 0
        finally:
            cut.heal()
        try:
            await until(lambda: "while-unknown" in got, "the stored message to reach bob, online on node b", 30)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{ledger.summary()}\n"
                                 + "\n".join(n.mmp("xmpp", "status").stdout for n in cluster.values())) from None
        # Once: a second delivery would come within the same moment.
        wait_for(lambda: sessions_elsewhere(cluster[a]) == 1, TIMEOUT, "node a to see bob's session on node b")
        ledger.send(alice, f"bob@{DOMAIN}", "after", "chat")
        await until(lambda: "after" in got, "a message after the heal")
        assert got == ["while-unknown", "after"], got
        assert not ledger.bounced, ledger.summary()
        await offline(alice, bob)
    run(go(), timeout=120)
