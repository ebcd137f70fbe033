"""What a client never acknowledged (XEP-0198) is not lost when its session ends:
when its node stops gracefully (a restart, an upgrade), the session ends rather
than waiting for a resumption that node will never see, and each message its client
had not acknowledged goes where RFC 6121 sends a message for a full JID that is
gone: another resource of the user, or offline storage (replicated in a cluster),
from where the user gets it at their next login, on any node. The node tells the
cluster of those ends before it leaves.

The receiving client is a raw stream (STARTTLS, PLAIN, bind, stream management with
resumption) that reads its messages and never acknowledges them; senders and the
later logins are slixmpp clients."""
import asyncio
import base64
import socket
import ssl
from types import SimpleNamespace

from harness import wait_for
from test_xmpp_cluster_routing import cluster, on  # noqa: F401  (fixture)
from test_xmpp_no_silent_loss import sessions_elsewhere
from xmpp_cluster_fixtures import leader_index
from xmpp_fixtures import C2S_PORT, DOMAIN, TIMEOUT, USERS, configure_xmpp, event, make_client, offline, online, \
    read_until, run

STREAM = (f"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'"
          f" to='{DOMAIN}' version='1.0'>").encode()


def unacknowledging_session(address, cert, user, resource="raw"):
    """A bound session with stream management (resumable) that will acknowledge
    nothing; returns its socket."""
    s = socket.create_connection((address, C2S_PORT), timeout=TIMEOUT)
    s.sendall(STREAM)
    read_until(s, b"</stream:features>")
    s.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    assert b"<proceed" in read_until(s, b"<proceed")
    s = ssl.create_default_context(cafile=str(cert)).wrap_socket(s, server_hostname=DOMAIN)
    s.sendall(STREAM)
    read_until(s, b"</stream:features>")
    plain = base64.b64encode(f"\0{user}\0{USERS[user]}".encode()).decode()
    s.sendall(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{plain}</auth>".encode())
    assert b"<success" in read_until(s, b"<success")
    s.sendall(STREAM)
    read_until(s, b"</stream:features>")
    s.sendall(f"<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>{resource}</resource>"
              f"</bind></iq>".encode())
    assert b"type='result'" in read_until(s, b"</iq>")
    s.sendall(b"<enable xmlns='urn:xmpp:sm:3' resume='true'/>")
    assert b"<enabled" in read_until(s, b"<enabled")
    s.sendall(b"<presence/>")
    return s


async def send_and_see_it_arrive(sender, raw, to, body):
    sender.send_message(mto=to, mbody=body, mtype="chat")
    data = await asyncio.to_thread(read_until, raw, f"<body>{body}</body>".encode())
    assert f"<body>{body}</body>".encode() in data, data


async def gets(client, body):
    """Waits for a message with this body (offline storage delivers it after the
    initial presence)."""
    await event(client, "message", condition=lambda m: str(m["body"]) == body)


async def log_in_and_get(cert, address, body):
    """bob logs in at `address` and gets a message with this body (the wait starts
    before the login, whose initial presence brings it)."""
    bob = make_client(SimpleNamespace(cert=cert), "bob")
    arrives = asyncio.ensure_future(gets(bob, body))
    await online(bob, address=address)
    await arrives
    await offline(bob)


def test_a_message_the_client_never_acknowledged_survives_a_restart_of_the_node(node):
    xnode = configure_xmpp(node, plaintext=False)
    raw = unacknowledging_session(node.address, xnode.cert, "bob")

    async def send():
        alice = await online(make_client(xnode, "alice"), address=node.address)
        await send_and_see_it_arrive(alice, raw, f"bob@{DOMAIN}/raw", "read but never acknowledged")
        await offline(alice)

    run(send())
    node.restart()
    raw.close()

    run(log_in_and_get(xnode.cert, node.address, "read but never acknowledged"))


def test_a_message_the_client_never_acknowledged_survives_a_restart_of_its_node_in_a_cluster(cluster):  # noqa: F811
    n1, n2, n3 = cluster[1], cluster[2], cluster[3]
    raw = unacknowledging_session(n2.address, n2.files / "abhiall.crt", "bob")

    async def send():
        alice = await on(n1, "alice")
        await send_and_see_it_arrive(alice, raw, f"bob@{DOMAIN}/raw", "crossed nodes, never acknowledged")
        await offline(alice)

    run(send())
    n2.restart()
    raw.close()

    run(log_in_and_get(n3.files / "abhiall.crt", n3.address, "crossed nodes, never acknowledged"))


def test_a_node_that_stops_tells_the_cluster_its_sessions_ended(cluster):  # noqa: F811
    """The sessions of a node that stops gracefully end while it is still in the
    cluster: the others drop them at once (their users come back on another node in
    a moment, and a stale entry would have the cluster refuse what they send), and
    the leader, finding the member silent later, has none of them left to announce."""
    leader = leader_index(cluster)
    stopping = cluster[2 if leader != 2 else 3]
    others = [n for n in cluster.values() if n is not stopping]
    raw = unacknowledging_session(stopping.address, stopping.files / "abhiall.crt", "bob")
    wait_for(lambda: all(sessions_elsewhere(n) == 1 for n in others), TIMEOUT, "the others to see bob's session")
    stopping.stop()
    raw.close()
    silent = "silent: its sessions are dropped everywhere"
    wait_for(lambda: silent in cluster[leader].output(), 30, "the leader to find the stopped member silent")
    assert "session(s) of a gone member announced unavailable" not in cluster[leader].output(), \
        cluster[leader].output()[-3000:]
    assert all(sessions_elsewhere(n) == 0 for n in others)
