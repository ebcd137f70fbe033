"""XMPP over WebSocket (RFC 7395) on the web admin's HTTPS listener: real nodes,
real TLS, a WebSocket client on the standard library (websocket_client.py) that
speaks SCRAM itself, slixmpp users over TCP beside it. Bad input is refused the
RFC 7395 way (stream error, <close/>, close frame) while a TCP session and a second
WebSocket session on the same node carry on."""
import base64
import hashlib
import hmac
import os
import re
import shutil
import socket
import subprocess

import pytest

from harness import wait_for
from webadmin_fixtures import PORT, enable_webadmin
from websocket_client import FRAMING_NS, Refused, WebSocket, close_element, connect, open_element
from xmpp_cluster_fixtures import ADDR, cluster_view
from xmpp_fixtures import DOMAIN, TIMEOUT, USERS, configure_xmpp, event, make_client, offline, online, run


# ---- an XMPP client over the WebSocket, by hand ---------------------------------

def scram_sha256(ws, user, password):
    """SASL SCRAM-SHA-256 (RFC 5802/7677) over `ws`; returns the <success/> message."""
    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n={user},r={nonce}"
    ws.send_text(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>"
                 f"{base64.b64encode(('n,,' + first_bare).encode()).decode()}</auth>")
    challenge = ws.recv_text()
    assert "<challenge" in challenge, challenge
    server_first = base64.b64decode(re.search(r">([^<]+)<", challenge).group(1)).decode()
    fields = dict(item.split("=", 1) for item in server_first.split(","))
    assert fields["r"].startswith(nonce)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(fields["s"]), int(fields["i"]))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored = hashlib.sha256(client_key).digest()
    without_proof = f"c=biws,r={fields['r']}"
    auth_message = f"{first_bare},{server_first},{without_proof}".encode()
    signature = hmac.new(stored, auth_message, "sha256").digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature))).decode()
    final = base64.b64encode(f"{without_proof},p={proof}".encode()).decode()
    ws.send_text(f"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{final}</response>")
    return ws.recv_text()


def features(ws):
    opened = ws.recv_text()
    assert opened.startswith("<open ") and f"xmlns='{FRAMING_NS}'" in opened, opened
    feats = ws.recv_text()
    assert feats.startswith("<stream:features xmlns:stream='http://etherx.jabber.org/streams'"), feats
    return opened, feats


def ws_login(node, user, resource="ws", sm=False, **connect_args):
    """A bound session over WebSocket (SCRAM-SHA-256, bind, optionally XEP-0198
    with resumption); returns (ws, full JID, sm id or None)."""
    ws = connect(node.address, PORT, node.files / "web.crt", **connect_args)
    assert ws.protocol == "xmpp"
    ws.send_text(open_element(DOMAIN))
    _, feats = features(ws)
    assert "<mechanism>SCRAM-SHA-256</mechanism>" in feats and "starttls" not in feats, feats
    success = scram_sha256(ws, user, USERS[user])
    assert success.startswith("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'"), success
    ws.send_text(open_element(DOMAIN))
    _, feats = features(ws)
    assert "urn:ietf:params:xml:ns:xmpp-bind" in feats, feats
    ws.send_text(f"<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                 f"<resource>{resource}</resource></bind></iq>")
    bound = ws.recv_text()
    assert bound.startswith("<iq xmlns='jabber:client'") and "type='result'" in bound, bound
    jid = re.search(r"<jid>([^<]+)</jid>", bound).group(1)
    sm_id = None
    if sm:
        ws.send_text("<enable xmlns='urn:xmpp:sm:3' resume='true'/>")
        enabled = ws.recv_text()
        sm_id = re.search(r"id='([^']+)'", enabled).group(1)
    ws.send_text("<presence xmlns='jabber:client'/>")
    return ws, jid, sm_id


def message(to, body):
    return f"<message xmlns='jabber:client' to='{to}' type='chat'><body>{body}</body></message>"


def has_body(body):
    return lambda m: m.startswith("<message") and f"<body>{body}</body>" in m


@pytest.fixture
def site(node):
    """One node: XMPP (TCP needs STARTTLS) and the web admin on the same address."""
    x = configure_xmpp(node, plaintext=False)
    web = enable_webadmin(node)
    return node, x, web


# ---- sessions ----------------------------------------------------------------------

def test_websocket_user_and_tcp_user_exchange_messages(site):
    node, x, _ = site
    ws, jid, _ = ws_login(node, "alice")
    assert jid == f"alice@{DOMAIN}/ws"

    async def go():
        bob = await online(make_client(x, "bob"), address=node.address)
        got = []
        bob.add_event_handler("message", lambda m: got.append(str(m["body"])))
        ws.send_text(message(f"bob@{DOMAIN}/test", "from the browser"))
        await wait_until(lambda: "from the browser" in got)
        bob.send_message(mto=jid, mbody="from tcp", mtype="chat")
        seen = await in_thread(ws.until, has_body("from tcp"))
        assert f"from='bob@{DOMAIN}/test'" in seen[-1]
        await offline(bob)

    run(go())
    # The client's <close/> ends the stream the RFC 7395 way: <close/>, then the close frame.
    ws.send_text(close_element())
    messages, code = ws.rest()
    assert messages[-1] == f"<close xmlns='{FRAMING_NS}'/>", messages
    assert code == 1000


async def in_thread(fn, *args):
    """A blocking WebSocket read, off the event loop that slixmpp's clients need."""
    import asyncio
    return await asyncio.get_event_loop().run_in_executor(None, fn, *args)


async def wait_until(condition, timeout=TIMEOUT):
    import asyncio
    loop = asyncio.get_event_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def test_plain_is_offered_because_https_is_the_tls(site):
    node, _, _ = site
    ws = connect(node.address, PORT, node.files / "web.crt")
    ws.send_text(open_element(DOMAIN))
    _, feats = features(ws)
    assert "<mechanism>PLAIN</mechanism>" in feats, feats
    creds = base64.b64encode(f"\0carol\0{USERS['carol']}".encode()).decode()
    ws.send_text(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{creds}</auth>")
    assert ws.recv_text().startswith("<success"), "PLAIN login over WebSocket"
    ws.close()


def test_wrong_password_is_refused(site):
    node, _, _ = site
    ws = connect(node.address, PORT, node.files / "web.crt")
    ws.send_text(open_element(DOMAIN))
    features(ws)
    creds = base64.b64encode(b"\0carol\0wrong").decode()
    ws.send_text(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{creds}</auth>")
    answer = ws.recv_text()
    assert answer.startswith("<failure") and "not-authorized" in answer, answer
    ws.close()


def stanzas(messages):
    """The XEP-0198 count of `messages`: stanzas only, not <r/>, <a/> or stream elements."""
    return sum(1 for m in messages if m.startswith(("<message", "<presence", "<iq")))


def test_session_resumes_on_a_new_websocket_with_what_it_missed_once(site):
    """The node stays up, the connection drops (a reset, no close frame, no <close/>):
    a message sent meanwhile waits in the detached session; a new WebSocket resumes it
    (<resume previd h>), gets <resumed> with the count of what it had sent, and the
    missed message exactly once, while the one it had acknowledged with h is not sent
    again. The session is the same: bob's later message reaches the same full JID."""
    node, x, _ = site
    ws, jid, sm_id = ws_login(node, "alice", sm=True)
    assert sm_id

    async def go():
        bob = await online(make_client(x, "bob"), address=node.address)
        bob.send_message(mto=jid, mbody="before the drop", mtype="chat")
        before = await in_thread(ws.until, has_body("before the drop"))
        handled = stanzas(before)
        ws.drop()
        await wait_until(lambda: "connection of " + jid + " lost; resumable" in x.log())
        bob.send_message(mto=jid, mbody="while you were away", mtype="chat")

        ws2 = await in_thread(opened_stream, node)
        assert (await in_thread(scram_sha256, ws2, "alice", USERS["alice"])).startswith("<success")
        ws2.send_text(open_element(DOMAIN))
        await in_thread(features, ws2)
        ws2.send_text(f"<resume xmlns='urn:xmpp:sm:3' previd='{sm_id}' h='{handled}'/>")
        answer = await in_thread(ws2.recv_text)
        # alice sent one stanza (her presence) after <enable/>: the server says it handled it.
        assert answer == f"<resumed xmlns='urn:xmpp:sm:3' previd='{sm_id}' h='1'/>", answer
        bob.send_message(mto=jid, mbody="after the resume", mtype="chat")
        after = await in_thread(ws2.until, has_body("after the resume"))
        bodies = [re.search(r"<body>([^<]*)</body>", m).group(1) for m in after if m.startswith("<message")]
        assert bodies == ["while you were away", "after the resume"], after
        assert f"session {jid} resumed" in x.log()
        ws2.send_text(close_element())
        await in_thread(ws2.rest)
        await offline(bob)

    run(go())


# ---- refusals: each ends only its own connection -----------------------------------

def assert_others_untouched(node, x, bystander, bystander_jid, tcp_user, label):
    """The WebSocket bystander and a TCP user still exchange messages both ways."""
    async def go():
        got = []
        tcp_user.add_event_handler("message", lambda m: got.append(str(m["body"])))
        bystander.send_text(message(str(tcp_user.boundjid), f"still here after {label}"))
        await wait_until(lambda: f"still here after {label}" in got)
        tcp_user.send_message(mto=bystander_jid, mbody=f"ack {label}", mtype="chat")
        await in_thread(bystander.until, has_body(f"ack {label}"))

    return go()


@pytest.fixture
def bystanders(site):
    """A WebSocket session (carol) open before the bad input, checked after it."""
    node, x, _ = site
    ws, jid, _ = ws_login(node, "carol", resource="bystander")
    yield ws, jid
    ws.close()


def check_bystanders(site, bystanders, label):
    node, x, _ = site
    ws, jid = bystanders

    async def go():
        bob = await online(make_client(x, "bob"), address=node.address)
        await assert_others_untouched(node, x, ws, jid, bob, label)
        await offline(bob)

    run(go())


def opened_stream(node):
    """A WebSocket with an opened stream (header and features read)."""
    ws = connect(node.address, PORT, node.files / "web.crt")
    ws.send_text(open_element(DOMAIN))
    features(ws)
    return ws


def stream_error_then_close(ws, condition, close_code):
    messages, code = ws.rest()
    assert len(messages) >= 2, messages
    assert messages[-2].startswith("<stream:error xmlns:stream='http://etherx.jabber.org/streams'>"), messages
    assert f"<{condition} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" in messages[-2], messages
    assert messages[-1] == f"<close xmlns='{FRAMING_NS}'/>", messages
    assert code == close_code, code


def server_end(node, ws):
    """What `ss` sees of the server's end of `ws`: (state, bytes queued to send, send
    buffer), or None once the kernel has dropped it."""
    host, port = ws.sock.getsockname()[:2]
    out = subprocess.run(["ss", "-tmnH", "state", "all", "src", f"{node.address}:{PORT}", "dst", f"{host}:{port}"],
                         capture_output=True, text=True, check=True).stdout
    if not out.strip():
        return None
    memory = re.search(r"skmem:\(([^)]*)\)", out)
    assert memory, out
    fields = {re.match(r"[a-z]+", f).group(): int(re.sub(r"^[a-z]+", "", f)) for f in memory.group(1).split(",")}
    return out.split()[0], fields["w"], fields["tb"]


def test_a_peer_that_stops_reading_then_half_closes_leaves_the_node_serving(site, bystanders):
    """Answers nobody reads fill the server's end of the socket until one of its
    writes waits there; then the peer half-closes. The connection ends with
    that write still pending, whose bytes must outlive the rest of the queue, and
    the node carries on serving everyone else."""
    node, _, _ = site
    ws, _, _ = ws_login(node, "alice", receive_buffer=4096)
    fill_with_answers(node, ws)
    ws.sock.shutdown(socket.SHUT_WR)
    # The server reads the end of the stream and closes its end, its last write unsent.
    def closed():
        end = server_end(node, ws)
        return end is None or end[0] not in ("ESTAB", "CLOSE-WAIT")
    wait_for(closed, 10, "the server to close its end")
    ws.close()
    check_bystanders(site, bystanders, "a half-closed peer that did not read")


def fill_with_answers(node, ws):
    """Asks the server's features again and again, reading nothing, until the server's
    end of the socket is full (each answer is a few times its question, and the
    questions stay under the read rate limit)."""
    question = b"".join(WebSocket.frame_bytes(0x1, f"<iq xmlns='jabber:client' type='get' to='{DOMAIN}' id='q{i}'>"
                                                    "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>".encode())
                        for i in range(200))
    for _ in range(100):
        ws.sock.sendall(question)
        state, queued, buffer = server_end(node, ws)
        if queued >= buffer:
            return
    raise AssertionError(f"the server's end never filled: {queued} of {buffer} bytes queued")


def test_pings_nobody_reads_are_answered_by_one_pong_for_the_latest(site, bystanders):
    """A peer that pings without reading gets one pong in flight at a time, answering
    the latest ping once it is written, not a queue that grows with every ping."""
    node, _, _ = site
    ws = connect(node.address, PORT, node.files / "web.crt")
    sent = 20000
    ws.sock.sendall(b"".join(WebSocket.frame_bytes(0x9, f"ping {i}".encode()) for i in range(sent)))
    ws.send_frame(0x9, b"last")
    pongs = []
    while not pongs or pongs[-1] != b"last":
        opcode, payload = ws.recv_frame()
        assert opcode == 0xA, (opcode, payload)
        pongs.append(payload)
    numbers = [int(p.split()[1]) for p in pongs[:-1]]
    assert numbers == sorted(numbers) and len(pongs) < sent // 10, (len(pongs), sent)
    ws.close()
    check_bystanders(site, bystanders, "pings nobody read")


@pytest.mark.parametrize("protocols", [(), ("chat",), ("xmpp-extra", "soap")])
def test_upgrade_without_the_xmpp_subprotocol_is_refused(site, bystanders, protocols):
    node, _, _ = site
    with pytest.raises(Refused) as refused:
        connect(node.address, PORT, node.files / "web.crt", protocols=protocols)
    assert refused.value.status == 400
    check_bystanders(site, bystanders, "subprotocol")


def test_upgrade_from_a_foreign_origin_is_refused_until_allowed(site, bystanders):
    node, _, _ = site
    with pytest.raises(Refused) as refused:
        connect(node.address, PORT, node.files / "web.crt", origin="https://evil.example")
    assert refused.value.status == 403
    # The listener's own origin (the Host the browser used) is allowed.
    connect(node.address, PORT, node.files / "web.crt", origin=f"https://{node.address}:{PORT}").close()
    check_bystanders(site, bystanders, "origin")


def test_operator_allows_and_removes_an_origin(site):
    node, _, web = site
    bad = node.mmp("webadmin", "websocket", "origins", "add", "evil.example", check=False)
    assert bad.returncode != 0 and "ERROR: 'evil.example' is not a web origin" in bad.stdout + bad.stderr
    status = node.mmp("webadmin", "status").stdout
    assert re.search(r"^XMPP WebSocket\s*:\s*on, /xmpp-websocket$", status, re.M), status
    assert re.search(r"^Origins\s*:\s*own only$", status, re.M), status
    node.mmp("webadmin", "websocket", "origins", "add", "HTTPS://Meet.Example:443/")
    assert "https://meet.example" in node.mmp("webadmin", "websocket", "origins", "list").stdout
    ws, _, _ = ws_login(node, "alice", origin="https://meet.example")
    ws.close()
    node.mmp("webadmin", "websocket", "origins", "del", "https://meet.example")
    with pytest.raises(Refused) as refused:
        connect(node.address, PORT, node.files / "web.crt", origin="https://meet.example")
    assert refused.value.status == 403
    missing = node.mmp("webadmin", "websocket", "origins", "del", "https://meet.example", check=False)
    assert missing.returncode != 0 and "is not in the list" in missing.stdout + missing.stderr


def test_endpoint_off_refuses_upgrades_and_leaves_discovery_empty(site):
    node, _, web = site
    status, headers, body = web.request("GET", "/.well-known/host-meta")
    assert status == 200 and headers["access-control-allow-origin"] == "*"
    assert f'href="wss://{node.address}:{PORT}/xmpp-websocket"' in body, body
    status, _, body = web.request("GET", "/.well-known/host-meta.json")
    import json
    links = json.loads(body)["links"]
    assert links == [{"rel": "urn:xmpp:alt-connections:websocket", "href": f"wss://{node.address}:{PORT}/xmpp-websocket"}]
    node.mmp("webadmin", "websocket", "off")
    assert re.search(r"^XMPP WebSocket\s*:\s*off$", node.mmp("webadmin", "status").stdout, re.M)
    with pytest.raises(Refused) as refused:
        connect(node.address, PORT, node.files / "web.crt")
    assert refused.value.status == 404
    assert json.loads(web.request("GET", "/.well-known/host-meta.json")[2])["links"] == []
    node.mmp("webadmin", "websocket", "on")
    connect(node.address, PORT, node.files / "web.crt").close()


def test_oversized_message_is_refused_from_its_header(site, bystanders):
    node, x, _ = site
    ws = opened_stream(node)
    # Declares 2^40 bytes and sends none of them: refused at once, nothing allocated.
    ws.send_frame(0x1, b"", declared_length=1 << 40)
    stream_error_then_close(ws, "policy-violation", 1009)
    check_bystanders(site, bystanders, "oversized")


def test_malformed_xml_ends_the_stream_with_not_well_formed(site, bystanders):
    node, _, _ = site
    ws = opened_stream(node)
    ws.send_text("<message xmlns='jabber:client'><body>x</bod></message>")
    stream_error_then_close(ws, "not-well-formed", 1000)
    check_bystanders(site, bystanders, "malformed")


def test_a_message_ending_inside_an_element_is_not_well_formed(site, bystanders):
    node, _, _ = site
    ws = opened_stream(node)
    ws.send_text("<message xmlns='jabber:client'><body>the rest comes in the next message")
    stream_error_then_close(ws, "not-well-formed", 1000)
    check_bystanders(site, bystanders, "unfinished")


def test_binary_message_ends_the_stream(site, bystanders):
    node, _, _ = site
    ws = opened_stream(node)
    ws.send_frame(0x2, b"<presence/>")
    stream_error_then_close(ws, "unsupported-stanza-type", 1003)
    check_bystanders(site, bystanders, "binary")


def test_open_in_the_wrong_namespace_is_refused(site):
    node, _, _ = site
    ws = connect(node.address, PORT, node.files / "web.crt")
    ws.send_text(f"<open xmlns='jabber:client' to='{DOMAIN}' version='1.0'/>")
    stream_error_then_close(ws, "invalid-namespace", 1000)


# ---- across an XMPP cluster ----------------------------------------------------------

def two_node_cluster(nodes):
    """Two nodes in one XMPP cluster (seed steps 3-8 as build_cluster, with two),
    the test users, and the web admin on the first."""
    from types import SimpleNamespace
    from xmpp_cluster_fixtures import setup_certs
    n1, n2 = nodes(1), nodes(2)
    for n in (n1, n2):
        n.mmp("xmpp", "domain", DOMAIN)
        n.mmp("xmpp", "listen", "a")
    setup_certs(n1, [n2], "leaf")
    n1.mmp("xmpp", "cluster", "enable")
    assert "initialized" in n1.mmp("xmpp", "cluster", "initialize").stdout
    n1.mmp("xmpp", "enable")
    n2.mmp("xmpp", "cluster", "enable")
    n2.mmp("xmpp", "enable")
    out = n2.mmp("xmpp", "cluster", "join", ADDR[1]).stdout
    assert "Joined the XMPP cluster" in out, out
    for n in (n1, n2):
        wait_for(lambda: cluster_view(n, [ADDR[1], ADDR[2]]), TIMEOUT, f"{n.name} to see both members")
    for user, password in USERS.items():
        n1.mmp("xmpp", "user", "add", user, input=f"{password}\n{password}\n")
    wait_for(lambda: all(f"{u}@{DOMAIN}" in n2.mmp("xmpp", "user", "list").stdout for u in USERS), TIMEOUT,
             "the users on node 2")
    enable_webadmin(n1)
    return n1, n2, SimpleNamespace(cert=n1.files / "abhiall.crt")


def test_websocket_user_and_tcp_user_on_another_node_exchange_messages(nodes):
    n1, n2, tls = two_node_cluster(nodes)
    ws, jid, _ = ws_login(n1, "alice")

    async def go():
        bob = await online(make_client(tls, "bob"), address=n2.address)
        # Node 1 learns of bob's session through the cluster router a moment later
        # (a message sent before would go to bob's offline store).
        for n in (n1, n2):  # and node 2 of alice's, the same way
            await wait_until(lambda: re.search(r"^Sessions on other nodes\s*:\s*1$",
                                               n.mmp("xmpp", "status").stdout, re.M))
        got = []
        bob.add_event_handler("message", lambda m: got.append(str(m["body"])))
        ws.send_text(message(f"bob@{DOMAIN}/test", "node 1 over WebSocket"))
        await wait_until(lambda: "node 1 over WebSocket" in got)
        bob.send_message(mto=jid, mbody="node 2 over TCP", mtype="chat")
        seen = await in_thread(ws.until, has_body("node 2 over TCP"))
        assert f"from='bob@{DOMAIN}/test'" in seen[-1]
        await offline(bob)

    run(go())
    ws.close()


def test_the_c2s_limits_apply_auth_time_out(node):
    """The stream's own limits hold over WebSocket: one that never authenticates
    gets <connection-timeout/>, <close/> and the close frame, like a TCP one."""
    configure_xmpp(node, limits={"auth-timeout": 1}, plaintext=False)
    enable_webadmin(node)
    ws = connect(node.address, PORT, node.files / "web.crt")
    ws.send_text(open_element(DOMAIN))
    features(ws)
    stream_error_then_close(ws, "connection-timeout", 1000)


def test_the_c2s_limits_apply_read_rate(node):
    """Message bytes count against the read rate as TCP bytes do."""
    configure_xmpp(node, limits={"read-rate": 1024}, plaintext=False)
    enable_webadmin(node)
    ws = connect(node.address, PORT, node.files / "web.crt")
    ws.send_text(open_element(DOMAIN))
    features(ws)
    # 2,600 bytes at once: more than the two seconds' worth (2,048) the bucket holds.
    ws.send_text("<presence xmlns='jabber:client'><status>" + "x" * 2550 + "</status></presence>")
    messages, code = ws.rest()
    assert "<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" in messages[-2], messages
    assert "read rate" in messages[-2] and messages[-1] == f"<close xmlns='{FRAMING_NS}'/>", messages


def test_host_meta_lists_the_peers_the_operator_gave_after_this_node(site):
    """A browser client whose node dies tries the next URL of host-meta: the other
    nodes' endpoints, as `webadmin websocket peers add` lists them (canonical form,
    this node's own first); a bad URL is refused and changes nothing."""
    import json
    node, _, web = site
    own = f"wss://{node.address}:{PORT}/xmpp-websocket"
    bad = node.mmp("webadmin", "websocket", "peers", "add", "https://127.0.0.9:445/x", check=False)
    assert bad.returncode != 0 and "is not an XMPP WebSocket URL" in bad.stdout + bad.stderr
    assert re.search(r"^Peers\s*:\s*none", node.mmp("webadmin", "status").stdout, re.M)
    node.mmp("webadmin", "websocket", "peers", "add", "WSS://Node2.Example:445")
    node.mmp("webadmin", "websocket", "peers", "add", "wss://node3.example:445/xmpp-websocket")
    hrefs = [link["href"] for link in json.loads(web.request("GET", "/.well-known/host-meta.json")[2])["links"]]
    assert hrefs == [own, "wss://node2.example:445/xmpp-websocket", "wss://node3.example:445/xmpp-websocket"]
    xrd = web.request("GET", "/.well-known/host-meta")[2]
    assert xrd.index(own) < xrd.index("wss://node2.example:445") < xrd.index("wss://node3.example:445"), xrd
    node.mmp("webadmin", "websocket", "peers", "del", "wss://node2.example:445/xmpp-websocket")
    assert "node2.example" not in node.mmp("webadmin", "websocket", "peers", "list").stdout
    missing = node.mmp("webadmin", "websocket", "peers", "del", "wss://node2.example:445", check=False)
    assert missing.returncode != 0 and "is not in the list" in missing.stdout + missing.stderr
