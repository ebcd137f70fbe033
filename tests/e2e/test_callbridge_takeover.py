"""A meeting space outlives its call bridge's node: cb1 runs under node 1's
convened; slixmpp occupants on nodes 1, 2 and 3 meet in one of its spaces; node 1 is
killed (kill -9, which takes its call bridge with it). A standby instance on a
surviving node takes the name cb1 over, reads the room back from the XMPP store,
and the occupants on nodes 2 and 3 go on exchanging group messages without
rejoining, and are told that the node-1 occupant is gone (unavailable presence).
When node 1 comes back (its own cb1 takes the name back), they still talk: nobody
gets not-acceptable. Waits are bounded polls and events, never sleeps."""
import asyncio
import os
import re
import signal

from harness import wait_for
from test_callbridge_supervised import pid_of, status
from test_xmpp_cluster_routing import cluster, on, until  # noqa: F401  (fixture)
from xmpp_cluster_fixtures import ADDR, TIMEOUT
from xmpp_fixtures import DOMAIN, event, join_room, offline, run


def serve_cb1_on_node1(cluster):  # noqa: F811
    listing = cluster[1].mmp("xmpp", "callbridge", "list").stdout
    secret = re.search(r"cb1\s.*?Secret\s*:\s*(\S+)", listing, re.S).group(1)
    n1 = cluster[1]
    n1.mmp("callbridge", "name", "cb1")
    n1.mmp("callbridge", "domain", DOMAIN)
    n1.mmp("callbridge", "server", ADDR[1])
    n1.mmp("callbridge", "secret", input=secret + "\n")
    n1.mmp("callbridge", "enable")
    wait_for(lambda: status(n1).get("Connection", "").startswith(f"connected to {ADDR[1]}:5223"), TIMEOUT,
             "node 1's call bridge to connect")
    # cb1 is seen as node 1's everywhere before anyone joins (the standbys are refused).
    for i in (2, 3):
        wait_for(lambda: f"cb1.{DOMAIN}" in cluster[i].mmp("xmpp", "status").stdout, TIMEOUT,
                 f"node {i} to see cb1 on node 1")


def keep_sending(sender, room, word, received):
    """A condition for until(): sends `word N` to the space every 100 ms until one arrives."""
    sent = []
    loop = asyncio.get_event_loop()

    def check():
        if any(b.startswith(word) for b in received):
            return True
        if not sent or loop.time() - sent[-1] >= 0.1:
            sent.append(loop.time())
            sender.send_message(mto=room, mbody=f"{word} {len(sent)}", mtype="groupchat")
        return False
    return check


def test_space_and_its_occupants_survive_the_kill_of_the_call_bridges_node(cluster):  # noqa: F811
    serve_cb1_on_node1(cluster)
    room = f"room1@cb1.{DOMAIN}"

    async def go():
        alice = await on(cluster[2], "alice")
        bob = await on(cluster[3], "bob")
        carol = await on(cluster[1], "carol")
        for c in (alice, bob, carol):
            c.register_plugin("xep_0045")
        await join_room(alice, room, "Alice")
        await bob.plugin["xep_0045"].join_muc_wait(room, "Bob", timeout=TIMEOUT)
        await carol.plugin["xep_0045"].join_muc_wait(room, "Carol", timeout=TIMEOUT)
        got_bob, got_alice, errors = [], [], []
        bob.add_event_handler("groupchat_message", lambda m: got_bob.append(str(m["body"])))
        alice.add_event_handler("groupchat_message", lambda m: got_alice.append(str(m["body"])))
        for c in (alice, bob):
            c.add_event_handler("message_error", lambda m: errors.append(m["error"]["condition"]))
        alice.send_message(mto=room, mbody="before", mtype="groupchat")
        await until(lambda: "before" in got_bob, "a group message before the kill")
        carol_gone = asyncio.ensure_future(event(
            alice, "muc::%s::got_offline" % room, condition=lambda p: p["from"].resource == "Carol", timeout=60))

        cluster[1].kill()  # node 1 and, with it, its call bridge
        # Alice and Bob never rejoin: the space goes on on another node's cb1.
        await until(keep_sending(alice, room, "after", got_bob), "a group message relayed after node 1 died", 60)
        await carol_gone  # the node-1 occupant's unavailable presence
        bob.send_message(mto=room, mbody="bob after", mtype="groupchat")
        await until(lambda: "bob after" in got_alice, "Bob's message to Alice through the taken-over space")

        # Node 1 comes back; its own cb1 takes the name back and finds the room.
        cluster[1].start()
        wait_for(lambda: status(cluster[1]).get("Connection", "").startswith(f"connected to {ADDR[1]}:5223"), 60,
                 "node 1's call bridge to be back")
        await until(keep_sending(bob, room, "back", got_alice), "group messages with node 1 back", 60)
        assert "not-acceptable" not in errors, errors
        await offline(alice, bob)
    run(go(), timeout=240)


def bridges(node):
    """`xmpp callbridge list` as {name: {key: value}}."""
    out = node.mmp("xmpp", "callbridge", "list").stdout
    listed = {}
    for block in out.strip().split("\n\n"):
        fields = dict(re.match(r"^(\S[^:]*?)\s*: (.*)$", l).groups() for l in block.splitlines())
        listed[fields["Callbridge"]] = fields
    return listed


def wait_showing(condition, timeout, what, show):
    """wait_for, failing with what `show()` returns then (the status the test read)."""
    try:
        wait_for(condition, timeout, what)
    except AssertionError as e:
        raise AssertionError(f"{e}\n{show()}") from None


def listing(*nodes):
    return lambda: "\n".join(n.mmp("xmpp", "callbridge", "list").stdout + n.mmp("callbridge", "status").stdout
                             for n in nodes)


def holds_own(node, pid):
    return status(node).get("Name held by", "").startswith(f"this node, its own call bridge (pid {pid}, from ")


def test_status_says_which_instance_holds_the_name_before_during_and_after_a_takeover(cluster):  # noqa: F811
    # cb1's own instance requires TLS; the standbys on nodes 2 and 3 must too.
    cluster[1].mmp("callbridge", "trust", "abhiall.crt")
    serve_cb1_on_node1(cluster)
    n1_pid = pid_of(status(cluster[1]))
    wait_showing(lambda: holds_own(cluster[1], n1_pid), TIMEOUT, "node 1 to say its own call bridge holds cb1",
                 listing(cluster[1]))
    for i in (2, 3):
        # Held by node 1, shown as `xmpp cluster status` shows it; the standby here waits.
        wait_showing(lambda: bridges(cluster[i])["cb1"]["Held by"] == f"{ADDR[1]}:5222 (another node)"
                     and "waiting: the name is held elsewhere (connects with TLS)"
                     in bridges(cluster[i])["cb1"]["Standby here"], TIMEOUT, f"node {i} to see cb1 held by node 1",
                     listing(cluster[i]))
    # Node 1 stops its standby for cb1 once it serves cb1 itself, and says so.
    wait_showing(lambda: bridges(cluster[1])["cb1"]["Standby here"] == "none: this node serves cb1 itself"
                 and status(cluster[1])["Standbys"] == "2 on this node (cb2, cb3)", TIMEOUT,
                 "node 1 to run standbys for cb2 and cb3 only", listing(cluster[1]))

    cluster[1].kill()  # node 1 and its call bridge

    taken = []

    def taken_over():
        seen = {i: bridges(cluster[i])["cb1"] for i in (2, 3)}
        holders = [i for i, b in seen.items() if b["Held by"].startswith("this node, its standby (pid ")]
        if len(holders) != 1:
            return False
        h = holders[0]
        other = 5 - h
        if not seen[h]["Standby here"].endswith("holds the name now, over TLS"):
            return False
        if seen[other]["Held by"] != f"{ADDR[h]}:5222 (another node)":
            return False
        taken[:] = [h, seen]
        return True
    wait_showing(taken_over, 60, "a standby on node 2 or 3 to hold cb1, shown by both", listing(cluster[2], cluster[3]))
    h, seen = taken
    # The pid the holder names is its standby's process, the one `callbridge status` lists.
    pid = re.search(r"its standby \(pid (\d+),", seen[h]["Held by"]).group(1)
    assert f"running (pid {pid}), holds the name now, over TLS" == seen[h]["Standby here"], seen
    shown = status(cluster[h])[""]
    assert re.search(rf"^  cb1 +: running \(pid {pid}\), holds the name now, over TLS$", shown, re.M), shown

    cluster[1].start()
    wait_for(lambda: pid_of(status(cluster[1])) is not None, TIMEOUT, "node 1's call bridge to run again")
    wait_showing(lambda: holds_own(cluster[1], pid_of(status(cluster[1]))), 60,
                 "node 1's own call bridge to hold cb1 again", listing(cluster[1]))
    for i in (2, 3):
        wait_showing(lambda: bridges(cluster[i])["cb1"]["Held by"] == f"{ADDR[1]}:5222 (another node)"
                     and "waiting" in bridges(cluster[i])["cb1"]["Standby here"], 60,
                     f"node {i} to see cb1 back on node 1 and its standby waiting", listing(cluster[i]))


def sessions_elsewhere(node):
    return int(re.search(r"Sessions on other nodes\s*:\s*(\d+)", node.mmp("xmpp", "status").stdout).group(1))


def test_a_silent_bridge_node_gives_up_the_name_before_its_sessions(cluster):  # noqa: F811
    """Node 1 (serving cb1, with carol logged in) is frozen (SIGSTOP). The leader frees
    the name cb1 for a standby after one second of silence, before it drops node 1's
    sessions (two seconds): the space has standbys, the sessions nothing to go to. Once
    node 1 runs again it hears that its call bridge was dropped, registers again, and
    its own cb1 holds the name back (the standby yields)."""
    serve_cb1_on_node1(cluster)
    n1_pid = pid_of(status(cluster[1]))
    domain = f"cb1.{DOMAIN}"

    async def go():
        carol = await on(cluster[1], "carol")
        wait_for(lambda: sessions_elsewhere(cluster[2]) == 1, TIMEOUT,
                 "node 2 to see carol's session on node 1")
        before = {i: len(cluster[i].output()) for i in (2, 3)}
        cluster[1].signal(signal.SIGSTOP)
        try:
            wait_for(lambda: sessions_elsewhere(cluster[2]) == 0, 60,
                     "node 2 to drop carol's session on the frozen node 1")
            wait_showing(lambda: any(bridges(cluster[i])["cb1"]["Held by"].startswith("this node, its standby")
                                     for i in (2, 3)), 60, "a standby to hold cb1", listing(cluster[2], cluster[3]))
        finally:
            cluster[1].signal(signal.SIGCONT)
        logs = {i: cluster[i].output()[before[i]:] for i in (2, 3)}
        leader = [i for i, text in logs.items() if "its sessions are dropped everywhere" in text]
        assert len(leader) == 1, logs
        text = logs[leader[0]]
        freed = text.find(f"its call bridge {domain} is free for a standby")
        assert 0 <= freed < text.find("its sessions are dropped everywhere"), text[-4000:]

        wait_showing(lambda: holds_own(cluster[1], n1_pid), 60, "node 1's own call bridge to hold cb1 again",
                     listing(cluster[1]))
        for i in (2, 3):
            wait_showing(lambda: bridges(cluster[i])["cb1"]["Held by"] == f"{ADDR[1]}:5222 (another node)", 60,
                         f"node {i} to see cb1 back on node 1", listing(cluster[i]))
        await offline(carol)
    run(go(), timeout=240)


def forwarded(node):
    """`Stanzas forwarded` of `xmpp status`: (forwarded, unconfirmed)."""
    m = re.search(r"Stanzas forwarded\s*:\s*(\d+) \(resent \d+, unconfirmed (\d+)\)", node.mmp("xmpp", "status").stdout)
    return int(m.group(1)), int(m.group(2))


def test_a_yielding_standby_hands_other_nodes_stanzas_back_to_their_origin(cluster):  # noqa: F811
    """A standby on node H holds cb1 and has not answered a group message that alice
    (on node O) sent through O (its process is stopped, as a bridge busy elsewhere).
    cb1's own instance then starts on a third node P, and H's standby yields. H may
    not route alice's message to P itself (P would refuse it: a node speaks only for
    its own users); the message was confirmed to O only once answered, so O sends it
    again, to P. Alice gets her message back from the space, and no error."""
    room = f"room9@cb1.{DOMAIN}"
    held = {}

    def standby_holds():
        for i in (1, 2, 3):
            m = re.match(r"this node, its standby \(pid (\d+),", bridges(cluster[i])["cb1"]["Held by"])
            if m:
                held.update(node=i, pid=int(m.group(1)))
                return True
        return False
    wait_showing(standby_holds, 60, "a standby to hold cb1", listing(cluster[1], cluster[2], cluster[3]))
    h = held["node"]
    o, p = [i for i in (1, 2, 3) if i != h]

    async def go():
        alice = await on(cluster[o], "alice")
        alice.register_plugin("xep_0045")
        await join_room(alice, room, "Alice")
        got, errors = [], []
        alice.add_event_handler("groupchat_message", lambda m: got.append(str(m["body"])))
        alice.add_event_handler("message_error", lambda m: errors.append(m["error"]["condition"]))
        alice.send_message(mto=room, mbody="warm", mtype="groupchat")
        await until(lambda: "warm" in got, "alice's first message back from the space")

        os.kill(held["pid"], signal.SIGSTOP)
        try:
            before = forwarded(cluster[o])[0]
            alice.send_message(mto=room, mbody="unanswered", mtype="groupchat")
            await until(lambda: forwarded(cluster[o])[0] > before, "node O to forward the message to node H")
            # cb1's own instance on node P: H's standby yields to its claim.
            n = cluster[p]
            secret = re.search(r"cb1\s.*?Secret\s*:\s*(\S+)", n.mmp("xmpp", "callbridge", "list").stdout, re.S).group(1)
            n.mmp("callbridge", "name", "cb1")
            n.mmp("callbridge", "domain", DOMAIN)
            n.mmp("callbridge", "server", ADDR[p])
            n.mmp("callbridge", "secret", input=secret + "\n")
            n.mmp("callbridge", "enable")
            await until(lambda: bridges(cluster[h])["cb1"]["Held by"] == f"{ADDR[p]}:5222 (another node)",
                        "node H to see cb1 on node P", 60)
            await until(lambda: "unanswered" in got or errors, "the message back from cb1 on node P", 40)
        finally:
            os.kill(held["pid"], signal.SIGCONT)
        assert "unanswered" in got and not errors, (got, errors)
        assert "held by this node" not in cluster[p].output(), cluster[p].output()[-3000:]
        await offline(alice)
    run(go(), timeout=240)
