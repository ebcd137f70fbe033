"""Shared XMPP end-to-end setup: a node configured through mmp as seed 000 steps 3
and 5 say (domain, listen, self-signed certificate, users, a call bridge), and
slixmpp helpers that wait on events with bounded time-outs."""
import asyncio
import re
import socket
import ssl

import pytest

from harness import NET

DOMAIN = "tptac9.com"
ADDRESS = f"{NET}.1"
C2S_PORT = 5222
COMPONENT_PORT = 5223
USERS = {"alice": "secret", "bob": "hunter22", "carol": "pa55word"}
TIMEOUT = 10.0


class XmppNode:
    def __init__(self, node, callbridge_secret):
        self.node = node
        self.callbridge_secret = callbridge_secret
        self.cert = node.files / "abhiall.crt"

    def log(self):
        return (self.node.dir / "logs" / "convened.log").read_text(errors="replace") + self.node.output()


def configure_xmpp(node, limits=None, plaintext=True):
    node.mmp("xmpp", "domain", DOMAIN)
    node.mmp("xmpp", "listen", "a")
    node.mmp("pki", "selfsigned", "abhiall", f"CN:{DOMAIN}", f"subjectAltName:{DOMAIN},{ADDRESS}")
    node.mmp("xmpp", "certs", "abhiall.key", "abhiall.crt")
    for user, password in USERS.items():
        node.mmp("xmpp", "user", "add", user, input=f"{password}\n{password}\n")
    out = node.mmp("xmpp", "callbridge", "add", "cb1").stdout
    m = re.search(r"Secret\s*:\s*(\S+)", out)
    assert m, out
    for name, value in (limits or {}).items():
        node.mmp("xmpp", "limit", name, str(value))
    if plaintext:
        node.mmp("xmpp", "plaintext", "on")
    node.mmp("xmpp", "enable")
    wait_port(ADDRESS, C2S_PORT)
    return XmppNode(node, m.group(1))


def wait_port(host, port, timeout=TIMEOUT):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{host}:{port} does not accept connections")


@pytest.fixture
def xmpp_node(node):
    return configure_xmpp(node)


# ---- slixmpp -------------------------------------------------------------------

def make_client(xnode, user, password=None, resource="test", sm=False):
    import slixmpp
    c = slixmpp.ClientXMPP(f"{user}@{DOMAIN}/{resource}", password or USERS[user])
    c.ssl_context = ssl.create_default_context(cafile=str(xnode.cert))
    c.ssl_context.check_hostname = True
    c.register_plugin("xep_0030")
    c.register_plugin("xep_0199")
    if sm:
        c.register_plugin("xep_0198")
    c.auto_authorize = True
    c.auto_subscribe = True
    return c


async def event(client, name, timeout=TIMEOUT, condition=None):
    """Waits for the next `name` event (matching `condition`) and returns its data."""
    fut = asyncio.get_event_loop().create_future()

    def handler(data=None):
        if not fut.done() and (condition is None or condition(data)):
            fut.set_result(data)

    client.add_event_handler(name, handler)
    try:
        return await asyncio.wait_for(fut, timeout)
    finally:
        client.del_event_handler(name, handler)


async def online(client, timeout=TIMEOUT, presence=True, address=ADDRESS):
    """Connects to address:5222 (127.0.1.1 unless told) explicitly, waits for session_start."""
    started = asyncio.ensure_future(event(client, "session_start", timeout))
    failed = asyncio.ensure_future(event(client, "failed_auth", timeout))
    client.connect(address=(address, C2S_PORT))
    done, _ = await asyncio.wait({started, failed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for f in (started, failed):
        if f not in done:
            f.cancel()
    if failed in done:
        raise AssertionError(f"authentication failed for {client.boundjid}")
    if started not in done:
        raise AssertionError(f"{client.boundjid}: no session within {timeout}s")
    if presence:
        client.send_presence()
        await client.get_roster()
    return client


MUC_OWNER = "http://jabber.org/protocol/muc#owner"


async def instant_room(client, room):
    """What XEP-0045 clients send after creating a room (status 201): an empty
    submitted form, accepting the default configuration (§10.1.2), which unlocks it."""
    from slixmpp.xmlstream import ET
    iq = client.make_iq_set(ito=room)
    iq.append(ET.fromstring(f"<query xmlns='{MUC_OWNER}'><x xmlns='jabber:x:data' type='submit'/></query>"))
    await iq.send(timeout=TIMEOUT)


async def join_room(client, room, nick, **kw):
    """Joins as a XEP-0045 client does: a new room (201) is made an instant room."""
    joined = await client.plugin["xep_0045"].join_muc_wait(room, nick, timeout=TIMEOUT, **kw)
    if 201 in joined[0]["muc"]["status_codes"]:
        await instant_room(client, room)
    return joined


async def offline(*clients):
    for c in clients:
        if c.transport is not None:
            c.disconnect()
            try:
                await asyncio.wait_for(c.disconnected, 5)
            except Exception:
                pass


def run(coro, timeout=60):
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(asyncio.wait_for(coro, timeout))
    finally:
        pending = asyncio.all_tasks(loop)
        for t in pending:
            t.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()


# ---- raw sockets ---------------------------------------------------------------

def raw_stream(xnode, port=C2S_PORT):
    """A plaintext TCP stream with its header sent; returns the socket."""
    s = socket.create_connection((ADDRESS, port), timeout=TIMEOUT)
    s.sendall(f"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
              f"xmlns:stream='http://etherx.jabber.org/streams' to='{DOMAIN}' version='1.0'>".encode())
    data = read_until(s, b"</stream:features>")
    assert b"</stream:features>" in data, data
    return s


def read_until(s, marker, timeout=TIMEOUT):
    """Reads until `marker` appears or the peer closes; returns everything read."""
    import time
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            raise AssertionError(f"no {marker!r} within {timeout}s; got {data!r}")
        if not chunk:
            break
        data += chunk
    return data


def read_to_close(s, timeout=TIMEOUT):
    """Everything until the server closes the connection."""
    import time
    data = b""
    deadline = time.monotonic() + timeout
    while True:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            raise AssertionError(f"connection not closed within {timeout}s; got {data!r}")
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def read_any(s, *markers, timeout=TIMEOUT):
    """Reads until one of `markers` appears or the peer closes; returns everything read."""
    import time
    data = b""
    deadline = time.monotonic() + timeout
    while not any(m in data for m in markers):
        s.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data
