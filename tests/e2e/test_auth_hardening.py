"""Password guessing and look-alike names, attacked over the wire: a guessing loop
from one address is refused (temporary-auth-failure) while the account's owner
logs in from another; guesses spread over many addresses get slowly answered
failures while the owner still logs in at once; in-band registrations are limited
per address; fullwidth or upper-case look-alikes of an account name are that
account (nodeprep). The unknown-user PBKDF2 path is checked in src/xmpp/sasl_test."""
import base64
import socket

from harness import NET
from xmpp_fixtures import ADDRESS, C2S_PORT, DOMAIN, TIMEOUT, USERS, configure_xmpp, read_any, read_until, wait_port

HEADER = (f"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
          f"xmlns:stream='http://etherx.jabber.org/streams' to='{DOMAIN}' version='1.0'>")
REGISTER = ("<iq type='set' id='{id}'><query xmlns='jabber:iq:register'>"
            "<username>{user}</username><password>{password}</password></query></iq>")


def stream_from(source):
    """A plaintext client stream from the loopback address `source`, header sent."""
    s = socket.create_connection((ADDRESS, C2S_PORT), timeout=TIMEOUT, source_address=(source, 0))
    s.sendall(HEADER.encode())
    features = read_until(s, b"</stream:features>")
    assert b"</stream:features>" in features, features
    return s


def plain_auth(s, user, password):
    """One SASL PLAIN attempt; returns the server's <success/> or <failure/>."""
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
    s.sendall(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{token}</auth>".encode())
    return read_any(s, b"</failure>", b"<success")


def attempt(source, user, password):
    s = stream_from(source)
    try:
        return plain_auth(s, user, password)
    finally:
        s.close()


def test_guessing_loop_from_one_address_is_refused_while_the_owner_logs_in_elsewhere(node):
    x = configure_xmpp(node)
    attacker, owner = f"{NET}.50", f"{NET}.51"
    replies = [attempt(attacker, "alice", f"guess{i}") for i in range(5)]
    assert all(b"<not-authorized/>" in r for r in replies), replies
    # The address is closed now: even the right password is refused, unchecked.
    refused = attempt(attacker, "alice", USERS["alice"])
    assert b"<temporary-auth-failure/>" in refused, refused
    assert b"Too many failed authentication attempts from your address" in refused, refused
    # The owner, from another address, is not locked out.
    assert b"<success" in attempt(owner, "alice", USERS["alice"])
    log = x.log()
    assert "too many failed attempts from this address" in log
    assert USERS["alice"] not in log


def test_guesses_from_many_addresses_are_answered_slowly_and_the_owner_still_logs_in(node):
    x = configure_xmpp(node)
    for i in range(11):
        reply = attempt(f"{NET}.{60 + i}", "bob", f"guess{i}")
        assert b"<not-authorized/>" in reply, reply
    assert "repeated failed authentications for account 'bob'" in x.log()
    assert b"<success" in attempt(f"{NET}.80", "bob", USERS["bob"])


def test_registrations_are_limited_per_address(node):
    x = configure_xmpp(node)
    node.mmp("xmpp", "registration", "on")
    node.mmp("xmpp", "enable")
    wait_port(ADDRESS, C2S_PORT)
    s = stream_from(f"{NET}.90")
    replies = []
    for i in range(4):
        s.sendall(REGISTER.format(id=f"r{i}", user=f"bot{i}", password="pw-of-a-bot").encode())
        replies.append(read_until(s, b"</iq>"))
    s.close()
    assert all(r.startswith(f"<iq type='result' id='r{i}'".encode()) for i, r in enumerate(replies[:3])), replies
    assert b"type='error'" in replies[3] and b"resource-constraint" in replies[3], replies[3]
    assert b"Too many registrations from your address" in replies[3]
    users = node.mmp("xmpp", "user", "list").stdout
    assert "bot2" in users and "bot3" not in users
    # Another address may still register.
    s = stream_from(f"{NET}.91")
    s.sendall(REGISTER.format(id="x", user="person", password="a-person").encode())
    assert read_until(s, b"</iq>").startswith(b"<iq type='result' id='x'")
    s.close()
    assert "in-band registration of 'bot3' refused" in x.log()


def test_look_alike_names_are_the_same_account(node):
    x = configure_xmpp(node)
    node.mmp("xmpp", "registration", "on")
    node.mmp("xmpp", "enable")
    wait_port(ADDRESS, C2S_PORT)
    fullwidth = "\uff41\uff4c\uff49\uff43\uff45"  # ａｌｉｃｅ
    s = stream_from(f"{NET}.92")
    s.sendall(REGISTER.format(id="r", user=fullwidth, password="mallory").encode())
    reply = read_until(s, b"</iq>")
    s.close()
    assert b"conflict" in reply, reply
    # Logging in as "ＡＬＩＣＥ" is logging in as alice.
    s = stream_from(f"{NET}.93")
    assert b"<success" in plain_auth(s, "\uff21\uff2c\uff29\uff23\uff25", USERS["alice"])
    s.close()
    assert f"authenticated as alice@{DOMAIN}" in x.log()
