"""Seed 000 step 9 on the XMPP cluster: the call bridge finds the
three nodes through DNS SRV (a real dnsmasq), slixmpp users on the other two nodes
meet in one of its spaces, and when the node the call bridge is connected to dies
(kill -9) the bridge moves to another node and the users, still connected to the
surviving nodes, go on exchanging group messages in the same space."""
import asyncio
import re

from harness import NET
from test_callbridge import SRV, CallBridge, callbridges, connected, dnsmasq  # noqa: F401  (fixtures)
from test_xmpp_cluster_routing import cluster, collect, on, until  # noqa: F401  (fixture)
from xmpp_fixtures import DOMAIN, TIMEOUT, event, join_room, offline, run


def test_space_keeps_working_when_the_call_bridges_node_dies(cluster, dnsmasq, callbridges):  # noqa: F811
    listing = cluster[1].mmp("xmpp", "callbridge", "list").stdout
    secret = re.search(r"cb1\s.*?Secret\s*:\s*(\S+)", listing, re.S)
    assert secret, listing
    records = []
    for i in cluster:
        records.append(f"srv-host={SRV},node{i}.{DOMAIN},5223,10,50")
        records.append(f"host-record=node{i}.{DOMAIN},{NET}.{i}")
    dns = dnsmasq(records)
    cb = callbridges(secret.group(1), dns=dns.server)
    first = cb.wait(connected, "the call bridge to connect via SRV")["server"]
    victim = int(first[len("node")])
    a_i, b_i = [i for i in cluster if i != victim]
    room = f"room1@cb1.{DOMAIN}"

    async def go():
        alice = await on(cluster[a_i], "alice")
        bob = await on(cluster[b_i], "bob")
        for c in (alice, bob):
            c.register_plugin("xep_0045")
        await join_room(alice, room, "Alice")
        await bob.plugin["xep_0045"].join_muc_wait(room, "Bob", timeout=TIMEOUT)
        got_bob = []
        bob.add_event_handler("groupchat_message", lambda m: got_bob.append(str(m["body"])))
        alice.send_message(mto=room, mbody="before", mtype="groupchat")
        await until(lambda: "before" in got_bob, "a group message before the failover")
        cluster[victim].kill()
        moved = await asyncio.get_event_loop().run_in_executor(
            None, lambda: cb.wait(lambda s: connected(s) and s["server"] != first, "the bridge on another node"))
        assert moved["server"] in {f"node{a_i}.{DOMAIN}:5223", f"node{b_i}.{DOMAIN}:5223"}
        # Alice and Bob never reconnected: they are still in the space and talk on.
        alice.send_message(mto=room, mbody="after", mtype="groupchat")
        await until(lambda: "after" in got_bob, "a group message after the failover", 20)
        got_alice = asyncio.ensure_future(event(alice, "groupchat_message", condition=lambda m: m["body"] == "hi"))
        bob.send_message(mto=room, mbody="hi", mtype="groupchat")
        assert (await got_alice)["from"] == f"{room}/Bob"
        await offline(alice, bob)
    run(go(), timeout=90)


def test_dns_check_names_a_missing_node_and_a_wrong_port(cluster, dnsmasq):  # noqa: F811
    client = f"_xmpp-client._tcp.{DOMAIN}"
    hosts = [f"host-record=node{i}.{DOMAIN},{NET}.{i}" for i in cluster]
    # Seed 000 scenario 1: node 3 was never added to the component record, and node 2's
    # client record has the component port.
    broken = dnsmasq(hosts + [f"srv-host={SRV},node1.{DOMAIN},5223,10,50",
                              f"srv-host={SRV},node2.{DOMAIN},5223,10,50",
                              f"srv-host={client},node1.{DOMAIN},5222,10,50",
                              f"srv-host={client},node2.{DOMAIN},5223,10,50",
                              f"srv-host={client},node3.{DOMAIN},5222,10,50"])
    r = cluster[2].mmp("xmpp", "dns", "check", broken.server, check=False)
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"PROBLEM: node {NET}.3 is missing: no target of {SRV} resolves to it" in r.stdout, r.stdout
    assert f"PROBLEM: node2.{DOMAIN}:5223 (priority 10, weight 50) -> {NET}.2: wrong port" in r.stdout, r.stdout
    assert "DNS check found 2 problem(s)" in r.stderr, r.stderr
    good = dnsmasq(hosts + [f"srv-host={SRV},node{i}.{DOMAIN},5223,10,50" for i in cluster]
                   + [f"srv-host={client},node{i}.{DOMAIN},5222,10,50" for i in cluster])
    r = cluster[1].mmp("xmpp", "dns", "check", good.server)
    assert "DNS check: OK" in r.stdout and "PROBLEM" not in r.stdout, r.stdout


def test_dns_check_without_a_server_asks_the_call_bridges_dns(cluster, dnsmasq):  # noqa: F811
    client = f"_xmpp-client._tcp.{DOMAIN}"
    good = dnsmasq([f"host-record=node{i}.{DOMAIN},{NET}.{i}" for i in cluster]
                   + [f"srv-host={SRV},node{i}.{DOMAIN},5223,10,50" for i in cluster]
                   + [f"srv-host={client},node{i}.{DOMAIN},5222,10,50" for i in cluster])
    cluster[3].mmp("callbridge", "dns", good.server)
    # As the README types it: no argument. The system resolver knows nothing of the
    # lab's domain, so only the call bridge's DNS server can make this pass.
    r = cluster[3].mmp("xmpp", "dns", "check")
    assert f"DNS server: {good.server} (the call bridge's" in r.stdout, r.stdout
    assert "DNS check: OK" in r.stdout and "PROBLEM" not in r.stdout, r.stdout
