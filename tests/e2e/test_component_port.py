"""The component port (XEP-0114) attacked: it listens only on the cluster interface
(and loopback), not on every client interface; a short secret is refused when it is
typed; repeated wrong handshakes from one address close that address for a while
(policy-violation) while a call bridge elsewhere still connects; and a component
that asks for stream features is offered STARTTLS with the XMPP certificate."""
import hashlib
import re
import socket
import ssl
import time

import pytest

from harness import NET
from xmpp_fixtures import (ADDRESS, C2S_PORT, COMPONENT_PORT, DOMAIN, TIMEOUT, configure_xmpp, read_any, read_until,
                           wait_port)

COMPONENT = f"cb1.{DOMAIN}"


def open_component(source, version=False, sock=None):
    """Opens a component stream (from loopback address `source`); returns (socket, stream id, bytes read)."""
    s = sock or socket.create_connection((ADDRESS, COMPONENT_PORT), timeout=TIMEOUT, source_address=(source, 0))
    v = " version='1.0'" if version else ""
    s.sendall(f"<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' "
              f"to='{COMPONENT}'{v}>".encode())
    data = b""
    deadline = time.monotonic() + TIMEOUT
    while not (m := re.search(rb"<stream:stream[^>]*\sid='([^']+)'[^>]*>", data)):
        s.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = s.recv(65536)
        assert chunk, data
        data += chunk
    return s, m.group(1).decode(), data


def handshake(s, stream_id, secret, standby=False):
    digest = hashlib.sha1((stream_id + secret).encode()).hexdigest()
    attributes = " standby='true'" if standby else ""
    s.sendall(f"<handshake{attributes}>{digest}</handshake>".encode())


def try_secret(source, secret):
    s, sid, _ = open_component(source)
    handshake(s, sid, secret)
    try:
        return read_any(s, b"</stream:stream>", b"<handshake/>")
    finally:
        s.close()


def test_a_short_secret_is_refused_and_changes_nothing(node):
    before = node.mmp("xmpp", "callbridge", "list").stdout
    r = node.mmp("xmpp", "callbridge", "add-secret", "cb2", input="x\n", check=False)
    assert r.returncode == 1
    assert "too short" in r.stderr and "at least 16" in r.stderr, r.stderr
    assert node.mmp("xmpp", "callbridge", "list").stdout == before
    r = node.mmp("callbridge", "secret", input="abababababababababab\n", check=False)
    assert r.returncode == 1 and "at least 8" in r.stderr, r.stderr


def test_component_port_is_not_on_other_client_interfaces(nodes):
    node = nodes(1, None, False)
    other = f"{NET}.7"
    node.start("--iface", f"b={other}")
    configure_xmpp(node)
    node.mmp("xmpp", "listen", "a", "b")
    node.mmp("xmpp", "enable")
    wait_port(other, C2S_PORT)
    wait_port(ADDRESS, COMPONENT_PORT)
    # Clients are served on b; call bridges are not.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((other, COMPONENT_PORT), timeout=TIMEOUT)
    status = node.mmp("xmpp", "status").stdout
    assert f"{other}:{C2S_PORT}" in status and f"{other}:{COMPONENT_PORT}" not in status, status


def test_repeated_wrong_handshakes_close_the_address_but_not_others(node):
    x = configure_xmpp(node)
    attacker = f"{NET}.95"
    for i in range(5):
        reply = try_secret(attacker, f"wrong-guess-number-{i}")
        assert b"<not-authorized" in reply, reply
    reply = try_secret(attacker, x.callbridge_secret)  # even the right one waits now
    assert b"<policy-violation" in reply and b"too many failed handshakes" in reply, reply
    assert "component handshake from" in x.log() and "too many failed handshakes" in x.log()
    reply = try_secret(f"{NET}.96", x.callbridge_secret)
    assert b"<handshake/>" in reply, reply


def test_a_call_bridge_is_not_held_to_a_clients_read_rate(node):
    """A space's fan-out is the bridge sending one stanza per occupant: a busy large space
    passes the clients' read-rate limit (1 MiB/s, 2 s of credit) many times over. Once its
    secret is proven the bridge is not charged; before, the stream is (the limit holds)."""
    x = configure_xmpp(node)
    burst = b" " * (4 * 1024 * 1024)  # whitespace between stanzas: twice the limit's credit
    s, sid, _ = open_component(f"{NET}.98")
    handshake(s, sid, x.callbridge_secret)
    assert b"<handshake/>" in read_until(s, b"<handshake/>")
    s.sendall(burst)
    s.sendall(f"<iq type='get' from='{COMPONENT}' to='{DOMAIN}' id='after-burst'>"
              f"<ping xmlns='urn:xmpp:ping'/></iq>".encode())
    reply = read_any(s, b"after-burst", b"</stream:stream>")
    assert b"after-burst" in reply and b"policy-violation" not in reply, reply
    s.close()
    assert "read rate limit exceeded" not in x.log()
    # Before the handshake the limit applies as to anyone (the server ends the stream; its
    # reply may be lost to the reset our unread burst causes, so its log says it).
    s, _, _ = open_component(f"{NET}.98")
    try:
        s.sendall(burst)
        read_any(s, b"</stream:stream>")
    except OSError:
        pass  # reset by the server while we wrote: what the limit does
    finally:
        s.close()
    deadline = time.monotonic() + TIMEOUT
    while "read rate limit exceeded" not in x.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "read rate limit exceeded" in x.log()


def test_a_standby_waits_for_a_held_name_and_is_let_in_when_it_frees(node):
    """A standby's handshake while the name is held is not refused at once: it waits
    (about a second) and is let in as soon as the holder goes, so a takeover does not
    wait for the standby's next try. Still held at the end of the wait: <conflict/>."""
    x = configure_xmpp(node)
    holder, sid, _ = open_component(f"{NET}.97")
    handshake(holder, sid, x.callbridge_secret)
    assert b"<handshake/>" in read_until(holder, b"<handshake/>")

    waiting, sid, _ = open_component(f"{NET}.97")
    handshake(waiting, sid, x.callbridge_secret, standby=True)
    holder.sendall(b"</stream:stream>")  # the holder goes while the standby waits
    holder.close()
    answer = read_any(waiting, b"<handshake/>", b"</stream:stream>")
    assert b"<handshake/>" in answer and b"conflict" not in answer, answer
    assert "(a standby taking the name over)" in x.log()

    # The standby holds the name now: another standby waits, then is told <conflict/>.
    late, sid, _ = open_component(f"{NET}.97")
    handshake(late, sid, x.callbridge_secret, standby=True)
    answer = read_any(late, b"<handshake/>", b"</stream:stream>")
    assert b"conflict" in answer and b"<handshake/>" not in answer, answer
    for s in (waiting, late):
        s.close()


def test_component_port_offers_starttls_with_the_xmpp_certificate(node):
    x = configure_xmpp(node)
    s, _, data = open_component(f"{NET}.97", version=True)
    if b"</stream:features>" not in data:
        data += read_until(s, b"</stream:features>")
    assert b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" in data, data
    s.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    assert b"<proceed" in read_until(s, b"/>")
    ctx = ssl.create_default_context(cafile=str(x.cert))
    t = ctx.wrap_socket(s, server_hostname=DOMAIN)
    t, sid, data = open_component(None, version=True, sock=t)
    if b"</stream:features>" not in data:
        data += read_until(t, b"</stream:features>")
    assert b"starttls" not in data, data  # once only
    handshake(t, sid, x.callbridge_secret)
    assert b"<handshake/>" in read_until(t, b"<handshake/>")
    t.close()
    assert f"call bridge 'cb1' connected as {COMPONENT}" in x.log()


def test_supervised_call_bridge_connects_with_tls_and_refuses_an_untrusted_server(node):
    from test_callbridge_supervised import connected, set_up, wait_status
    x = configure_xmpp(node)
    set_up(node, x.callbridge_secret)
    # A certificate the server does not have: the bridge refuses the server.
    node.mmp("pki", "selfsigned", "stranger", f"CN:{DOMAIN}", f"subjectAltName:{DOMAIN}")
    node.mmp("callbridge", "trust", "stranger.crt")
    node.mmp("callbridge", "enable")
    s = wait_status(node, lambda s: "not trusted" in s[""], "the bridge to refuse an untrusted server")
    assert not connected(s)
    # The XMPP certificate: TLS, verified, then the handshake.
    node.mmp("callbridge", "trust", "abhiall.crt")
    s = wait_status(node, connected, "the call bridge to connect with TLS")
    assert "TLS" in s and s["TLS"].startswith("on, servers verified with abhiall.crt"), s[""]
    r = node.mmp("callbridge", "trust", "missing.crt", check=False)
    assert r.returncode == 1 and "missing.crt" in r.stderr
