"""Hardening: each violation ends only the offending stream, with the right
stream error, while other sessions keep working."""
import asyncio
import socket

import pytest

from xmpp_fixtures import (ADDRESS, C2S_PORT, DOMAIN, TIMEOUT, configure_xmpp, event, make_client, offline,
                           online, raw_stream, read_to_close, read_until, run)

HEADER = (f"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
          f"xmlns:stream='http://etherx.jabber.org/streams' to='{DOMAIN}' version='1.0'>")


async def chat_works(alice, bob, body):
    got = asyncio.ensure_future(event(bob, "message", condition=lambda m: m["body"] == body))
    alice.send_message(mto=str(bob.boundjid), mbody=body, mtype="chat")
    await got


def with_bystanders(xnode, violation):
    """alice and bob chat; `violation()` runs (blocking, raw sockets); they still chat."""
    async def go():
        alice = make_client(xnode, "alice")
        bob = make_client(xnode, "bob")
        await online(alice)
        await online(bob)
        await chat_works(alice, bob, "before")
        await asyncio.get_event_loop().run_in_executor(None, violation)
        await chat_works(alice, bob, "after")
        await chat_works(bob, alice, "after, back")
        await offline(alice, bob)
    run(go())


def assert_stream_error(data: bytes, condition: str):
    text = data.decode(errors="replace")
    assert f"<{condition} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" in text, text
    assert text.rstrip().endswith("</stream:stream>"), text


def test_malformed_xml_ends_only_its_stream(node):
    xnode = configure_xmpp(node)

    def violation():
        s = raw_stream(xnode)
        s.sendall(b"<message><body>unclosed</message>")
        assert_stream_error(read_to_close(s), "not-well-formed")
        s.close()
    with_bystanders(xnode, violation)


def test_oversize_stanza_ends_only_its_stream(node):
    xnode = configure_xmpp(node, limits={"max-stanza-bytes": 8192})

    def violation():
        s = raw_stream(xnode)
        try:
            s.sendall(b"<message><body>" + b"a" * 20000 + b"</body></message>")
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert_stream_error(read_to_close(s), "policy-violation")
        s.close()
    with_bystanders(xnode, violation)


def test_doctype_and_entities_are_refused(node):
    xnode = configure_xmpp(node)

    def violation():
        s = socket.create_connection((ADDRESS, C2S_PORT), timeout=TIMEOUT)
        laughs = ("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
                  "<!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>]>")
        s.sendall(laughs.encode() + HEADER[len("<?xml version='1.0'?>"):].encode() + b"<a>&lol2;</a>")
        assert_stream_error(read_to_close(s), "restricted-xml")
        s.close()
    with_bystanders(xnode, violation)


def test_too_deep_nesting_is_refused(node):
    xnode = configure_xmpp(node, limits={"max-depth": 8})
    s = raw_stream(xnode)
    s.sendall(b"<message>" + b"<x>" * 20)
    assert_stream_error(read_to_close(s), "policy-violation")


def test_authentication_timeout(node):
    xnode = configure_xmpp(node, limits={"auth-timeout": 1})
    s = raw_stream(xnode)
    assert_stream_error(read_to_close(s, timeout=5), "connection-timeout")
    # and a client that authenticates in time is not affected
    async def go():
        alice = make_client(xnode, "alice")
        await online(alice)
        await asyncio.sleep(1.5)  # longer than the auth time-out: the session must survive it
        rtt = await alice.plugin["xep_0199"].ping(jid=DOMAIN, timeout=TIMEOUT)
        assert rtt is not None
        await offline(alice)
    run(go())


def test_read_rate_limit(node):
    xnode = configure_xmpp(node, limits={"read-rate": 1024})
    calm = raw_stream(xnode)
    flood = raw_stream(xnode)
    try:
        for _ in range(10):
            flood.sendall(b" " * 1024)  # whitespace keep-alives, far above 1 KiB/s
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert_stream_error(read_to_close(flood), "policy-violation")
    # the calm stream is still served
    calm.sendall(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>!!</auth>")
    assert b"<incorrect-encoding/>" in read_until(calm, b"</failure>")


def test_connections_per_address_capped(node):
    xnode = configure_xmpp(node, limits={"max-connections-per-address": 3})
    kept = [raw_stream(xnode) for _ in range(3)]
    extra = socket.create_connection((ADDRESS, C2S_PORT), timeout=TIMEOUT)
    assert_stream_error(read_to_close(extra), "policy-violation")
    # closing one frees a place
    kept.pop().close()

    def place_free():
        try:
            s = raw_stream(xnode)
            s.close()
            return True
        except AssertionError:
            return False
    from harness import wait_for
    wait_for(place_free, TIMEOUT, "a connection slot to be freed")


def test_starttls_required_without_plaintext(node):
    xnode = configure_xmpp(node, plaintext=False)
    s = socket.create_connection((ADDRESS, C2S_PORT), timeout=TIMEOUT)
    s.sendall(HEADER.encode())
    features = read_until(s, b"</stream:features>").decode()
    assert "<required/>" in features and "<mechanisms" not in features
    s.sendall(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHNlY3JldA==</auth>")
    assert_stream_error(read_to_close(s), "policy-violation")
    # with TLS the same user logs in
    async def go():
        alice = make_client(xnode, "alice")
        await online(alice)
        await offline(alice)
    run(go())


def test_tls_sessions_are_not_resumable(node):
    """Like Prosody and ejabberd, Convene offers no TLS session resumption: no session
    ticket arrives (OpenSSL's server sends two by default, right after the handshake,
    so they are in before the stream's features), and a second connection offering the
    first one's session gets a full handshake. The stream itself works over TLS."""
    import ssl
    xnode = configure_xmpp(node, plaintext=False)
    ctx = ssl.create_default_context(cafile=str(xnode.cert))
    ctx.check_hostname = False

    def starttls(session=None):
        s = raw_stream(xnode)
        s.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        assert b"<proceed" in read_until(s, b"/>")
        t = ctx.wrap_socket(s, session=session)
        t.sendall(HEADER.encode())
        features = read_until(t, b"</stream:features>").decode()
        assert "<mechanism>SCRAM-SHA-1</mechanism>" in features, features
        return t

    first = starttls()
    assert first.version() == "TLSv1.3"
    assert not first.session.has_ticket
    second = starttls(session=first.session)
    assert not second.session_reused
    first.close()
    second.close()


def test_plain_without_tls_when_plaintext_is_on(node):
    """`xmpp plaintext on`: PLAIN is offered and accepted on a plain TCP stream (the
    benchmarks' reference setup), checked against the stored SCRAM keys — twice, so
    the second login goes through the verifier cache; a wrong password is refused
    before and after. (Without plaintext: the test above, TLS first.)"""
    import base64
    configure_xmpp(node, plaintext=True)

    def stream():
        s = socket.create_connection((ADDRESS, C2S_PORT), timeout=TIMEOUT)
        s.sendall(HEADER.encode())
        return s, read_until(s, b"</stream:features>").decode()

    def plain(password):
        s, features = stream()
        assert "<mechanism>PLAIN</mechanism>" in features, features
        payload = base64.b64encode(b"\0alice\0" + password.encode()).decode()
        s.sendall(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{payload}</auth>".encode())
        answer = read_until(s, b"</").decode()  # </success> or <not-authorized/></failure>
        s.close()
        return answer

    assert "<not-authorized/>" in plain("wrong password")
    assert "<success" in plain("secret")
    assert "<success" in plain("secret")
    assert "<not-authorized/>" in plain("wrong password")


def test_disable_sends_system_shutdown(node):
    xnode = configure_xmpp(node)
    s = raw_stream(xnode)
    node.mmp("xmpp", "disable")
    assert_stream_error(read_to_close(s), "system-shutdown")
    with pytest.raises(OSError):
        socket.create_connection((ADDRESS, C2S_PORT), timeout=2).close()
