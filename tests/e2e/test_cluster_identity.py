"""Cluster member identity (cluster/peer_identity.h): a certificate that chains
to the cluster's CA but was issued for another name is not a member. Each test
plays the attacker with a real TLS peer (cluster_peer.py) against real nodes:
claiming a member's id, joining, telling a member it was removed, submitting a
command, a member speaking for another one, forging a database `promote`. Each
is refused with a log line naming the certificate, and the cluster keeps
working."""
import asyncio
import json
from types import SimpleNamespace

import pytest

from cluster_peer import (ERROR, MESSAGES, RAFT, REMOVED_NOTICE, RPC, SUBMIT, JOIN, Refused, connect, node_id,
                          request, router_message)
from db_cluster_fixtures import build_cluster as build_db_cluster, db_nodes, status as db_status  # noqa: F401
from harness import NET, wait_for
from xmpp_cluster_fixtures import ADDR, TIMEOUT, build_cluster, cluster_view, leader_index, peers_of, setup_certs
from xmpp_fixtures import DOMAIN, USERS, make_client, offline, online, run

STRANGER = f"{NET}.9"  # the attacker's own address
XMPP_PORT = 5224


def log_of(node):
    path = node.dir / "logs" / "convened.log"
    return path.read_text(errors="replace") if path.exists() else ""


def two_node_cluster(nodes):
    n1, n2 = nodes(1), nodes(2)
    for n in (n1, n2):
        n.mmp("xmpp", "domain", DOMAIN)
        n.mmp("xmpp", "listen", "a")
    setup_certs(n1, [n2], "ca")  # a lab CA; each node's certificate names its address
    n1.mmp("xmpp", "disable")
    n1.mmp("xmpp", "cluster", "enable")
    n1.mmp("xmpp", "cluster", "initialize")
    n1.mmp("xmpp", "enable")
    n2.mmp("xmpp", "disable")
    n2.mmp("xmpp", "cluster", "enable")
    n2.mmp("xmpp", "enable")
    assert "Joined the XMPP cluster" in n2.mmp("xmpp", "cluster", "join", ADDR[1]).stdout
    for n in (n1, n2):
        wait_for(lambda: cluster_view(n, [ADDR[1], ADDR[2]]), TIMEOUT, f"{n.name} to see two peers")
    return n1, n2


def stranger_cert(n1):
    """Signed by the cluster's own CA, for another name."""
    n1.mmp("pki", "csr", "intruder", "CN:intruder.example", "subjectAltName:intruder.example")
    n1.mmp("pki", "ca", "sign", "intruder.csr", "intruder.crt", "clusterca")
    return n1.files / "intruder.crt", n1.files / "intruder.key"


def cluster_still_works(writer, reader, user):
    writer.mmp("xmpp", "user", "add", user, input="pw-secret-1\npw-secret-1\n")
    wait_for(lambda: f"{user}@{DOMAIN}" in reader.mmp("xmpp", "user", "list").stdout, TIMEOUT, f"{user} replicated")


def test_a_certificate_for_another_name_cannot_claim_a_members_identity(nodes):
    n1, n2 = two_node_cluster(nodes)
    cert, key = stranger_cert(n1)
    for channel in (RPC, RAFT, MESSAGES):
        with pytest.raises(Refused):
            connect(ADDR[1], XMPP_PORT, cert, key, STRANGER, channel, node_id(n2), f"{ADDR[2]}:{XMPP_PORT}")
    wait_for(lambda: f"refused peer connection from {STRANGER}:" in log_of(n1)
             and f"does not name {ADDR[2]}" in log_of(n1), TIMEOUT, "the refusal in node1's log\n" + log_of(n1))
    cluster_still_works(n2, n1, "alice")


def test_a_certificate_for_another_name_cannot_join(nodes):
    n1, n2 = two_node_cluster(nodes)
    cert, key = stranger_cert(n1)
    me = f"{STRANGER}:{XMPP_PORT}"
    sock = connect(ADDR[1], XMPP_PORT, cert, key, STRANGER, RPC, 0x5eed, me)  # its own address: let in, but ...
    code, text = request(sock, JOIN, 0x5eed, me)
    sock.close()
    assert code == ERROR and "may not join" in text, text
    assert "merely chains to the CA" in text, text
    assert "may not join" in log_of(n1)
    assert cluster_view(n1, [ADDR[1], ADDR[2]]), peers_of(n1)[2]
    cluster_still_works(n1, n2, "bob")


def test_only_the_leader_may_tell_a_member_it_was_removed(nodes):
    n1, n2 = two_node_cluster(nodes)
    cert, key = stranger_cert(n1)
    victim = n2 if leader_index({1: n1, 2: n2}) == 1 else n1
    sock = connect(victim.address, XMPP_PORT, cert, key, STRANGER, RPC, 0x5eed, f"{STRANGER}:{XMPP_PORT}")
    code, text = request(sock, REMOVED_NOTICE, node_id(victim))
    sock.close()
    assert code == ERROR and "not the leader" in text, text
    assert "sent a removed notice but is not the leader" in log_of(victim)
    assert peers_of(victim)[0] in ("LEADER", "FOLLOWER"), peers_of(victim)[2]
    cluster_still_works(victim, n1 if victim is n2 else n2, "carol")


def test_a_stranger_cannot_submit_changes(nodes):
    n1, n2 = two_node_cluster(nodes)
    cert, key = stranger_cert(n1)
    sock = connect(ADDR[1], XMPP_PORT, cert, key, STRANGER, RPC, 0x5eed, f"{STRANGER}:{XMPP_PORT}")
    code, text = request(sock, SUBMIT, payload=b'{"n":1,"c":{"op":"user.remove","user":"x"}}')
    sock.close()
    assert code == ERROR and "not a member of this cluster" in text, text
    cluster_still_works(n2, n1, "dave")


def test_a_member_speaks_only_for_itself(three):
    build_cluster(three, "ca")
    leader = leader_index(three)
    impostor, victim = [i for i in (1, 2, 3) if i != leader]
    n = three[impostor]
    # The impostor is a real member (its own certificate and address) claiming a
    # call bridge for another member.
    sock = connect(ADDR[leader], XMPP_PORT, n.files / f"xmppserver{impostor}.crt",
                   n.files / f"xmppserver{impostor}.key", ADDR[impostor], MESSAGES, node_id(n),
                   f"{ADDR[impostor]}:{XMPP_PORT}")
    sock.sendall(router_message(4, node_id(three[victim]), jid="evil.example"))  # component_up
    wait_for(lambda: "may not send a message of type 4" in log_of(three[leader]), TIMEOUT,
             "the refusal in the leader's log\n" + log_of(three[leader]))
    sock.close()
    assert "evil.example" not in three[leader].mmp("xmpp", "status").stdout
    cluster_still_works(three[victim], three[leader], "erin")


def test_a_member_cannot_deliver_a_stanza_from_another_nodes_user(three):
    build_cluster(three)  # the seed's lab: one shared certificate
    target, impostor = 1, 2
    for user, password in USERS.items():
        three[1].mmp("xmpp", "user", "add", user, input=f"{password}\n{password}\n")
    wait_for(lambda: all(f"{u}@{DOMAIN}" in three[target].mmp("xmpp", "user", "list").stdout for u in USERS),
             TIMEOUT, "the users on the target")
    n = three[impostor]
    cert = SimpleNamespace(cert=three[target].files / "abhiall.crt")
    forged = (f"<message from='alice@{DOMAIN}/test' to='bob@{DOMAIN}/test' type='chat'>"
              "<body>forged</body></message>")

    async def scenario():
        alice = await online(make_client(cert, "alice"), address=ADDR[target])
        bob = await online(make_client(cert, "bob"), address=ADDR[target])
        bodies = []
        bob.add_event_handler("message", lambda m: bodies.append(str(m["body"])))
        # A member delivers, as the origin, a stanza "from" a user whose session lives on the target.
        sock = connect(ADDR[target], XMPP_PORT, n.files / "abhiall.crt", n.files / "abhiall.key", ADDR[impostor],
                       MESSAGES, node_id(n), f"{ADDR[impostor]}:{XMPP_PORT}")
        sock.sendall(router_message(7, node_id(n), jid=f"bob@{DOMAIN}/test", stanza=forged,
                                    target_node=node_id(three[target]), incarnation=1, seq=1))  # deliver
        loop = asyncio.get_event_loop()
        deadline = loop.time() + TIMEOUT
        while f"from 'alice@{DOMAIN}/test' is held by this node" not in log_of(three[target]):
            assert loop.time() < deadline, "no refusal in the target's log\n" + log_of(three[target])
            await asyncio.sleep(0.05)
        sock.close()
        alice.send_message(mto=f"bob@{DOMAIN}/test", mbody="real", mtype="chat")
        while "real" not in bodies:
            assert loop.time() < deadline + TIMEOUT, bodies
            await asyncio.sleep(0.02)
        await offline(alice, bob)
        return bodies

    assert run(scenario()) == ["real"]


def test_a_forged_promote_in_the_database_agents_group_is_refused(db_nodes):  # noqa: F811
    n1 = db_nodes(1)
    build_db_cluster([n1])
    wait_for(lambda: "Connected Master" in db_status(n1), 60, "node1 to be master\n" + db_status(n1))
    # Any certificate of the database CA: here the client certificate every node holds.
    sock = connect(ADDR[1], 5433, n1.files / "dbclusterclient.cer", n1.files / "dbclusterclient.key", STRANGER,
                   RPC, 0x5eed, f"{STRANGER}:5433")
    promote = json.dumps({"op": "promote", "master": STRANGER, "from": 1, "at": ""}).encode()
    code, text = request(sock, SUBMIT, payload=promote)
    sock.close()
    assert code == ERROR and "not a member" in text, text
    out = db_status(n1)
    assert "Connected Master" in out and STRANGER not in out, out
