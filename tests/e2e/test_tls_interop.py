"""The XMPP c2s TLS (STARTTLS; after a TLS 1.3 handshake the record layer of
src/tls/tls13_records.h runs it) against other TLS stacks as clients: OpenSSL's
s_client and GnuTLS's gnutls-cli log in and go on talking through KeyUpdates both
ways (theirs asks for ours), records fragmented to 512 bytes, several stanzas in one
record and several records in one segment, alerts both ways (a relay flips a bit)
and close_notify. And the attack the record layer's limits are for: KeyUpdates
flooded before login by a client that reads nothing."""
import base64
import os
import select
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest

from harness import NET, wait_for
from xmpp_fixtures import ADDRESS, C2S_PORT, DOMAIN, TIMEOUT, configure_xmpp, read_until, read_to_close
from tls13_probe import Tls13Probe

HEADER = (f"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
          f"xmlns:stream='http://etherx.jabber.org/streams' to='{DOMAIN}' version='1.0'>\n").encode()
STARTTLS = b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\n"
# After a stream restart, without the XML declaration: a tool's line end before it
# is whitespace between documents for the parser, where no declaration may follow.
RESTART = HEADER[HEADER.index(b"<stream:stream"):]
JID = f"alice@{DOMAIN}/interop"


class Tool:
    """A TLS client tool on pipes: what it prints (stdout and stderr) is read as it
    comes, waiting for markers with a time-out."""

    def __init__(self, argv):
        self.argv = argv
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  bufsize=0)
        self.out = b""
        self.pos = 0

    def send(self, data: bytes):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def expect(self, marker: bytes, timeout=TIMEOUT) -> bytes:
        """Everything printed from the last marker up to and including this one."""
        deadline = time.monotonic() + timeout
        while marker not in self.out[self.pos:]:
            ready, _, _ = select.select([self.p.stdout], [], [], max(0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError(f"{self.argv[0]}: no {marker!r} within {timeout}s; after {self.out[self.pos:]!r}")
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError(f"{self.argv[0]} ended before {marker!r}: {self.out[self.pos:]!r}")
            self.out += chunk
        end = self.out.index(marker, self.pos) + len(marker)
        got, self.pos = self.out[self.pos:end], end
        return got

    def ends(self, timeout=TIMEOUT) -> int:
        """Waits for the tool to end by itself; what it printed is in `out`."""
        deadline = time.monotonic() + timeout
        while select.select([self.p.stdout], [], [], max(0, deadline - time.monotonic()))[0]:
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                return self.p.wait(timeout)
            self.out += chunk
        raise AssertionError(f"{self.argv[0]} still runs after {timeout}s: {self.out[self.pos:]!r}")

    def finish(self, timeout=TIMEOUT) -> int:
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        rc = self.p.wait(timeout)
        self.out += self.p.stdout.read()
        return rc

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


@pytest.fixture
def xnode(node):
    # STARTTLS required (no plaintext), PLAIN offered over TLS.
    return configure_xmpp(node, plaintext=False)


@pytest.fixture
def tools():
    started = []

    def make(argv):
        started.append(Tool(argv))
        return started[-1]
    yield make
    for t in started:
        t.kill()


def log_in(tool, restart=False):
    """The stream after STARTTLS: authenticate (PLAIN over TLS), restart, bind."""
    tool.send(RESTART if restart else HEADER)
    assert b"PLAIN" in tool.expect(b"</stream:features>")
    token = base64.b64encode(b"\0alice\0secret").decode()
    tool.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{token}</auth>\n".encode())
    tool.expect(b"<success")
    tool.send(RESTART)
    tool.expect(b"</stream:features>")
    tool.send(b"<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
              b"<resource>interop</resource></bind></iq>\n")
    assert JID.encode() in tool.expect(b"</iq>")


def ping(tool, n):
    tool.send(f"<iq type='get' id='ping{n}' to='{DOMAIN}'><ping xmlns='urn:xmpp:ping'/></iq>\n".encode())
    tool.expect(f"id='ping{n}'".encode())
    assert b"type='result'" in tool.expect(b">")


def talk(tool, key_update, key_update_asking_for_ours, at, done=None):
    """Pings and messages to ourselves go on through KeyUpdates of the client's (one
    asking for ours too), a stanza larger than the client's records, and two stanzas
    sent as one write. `done`: what the tool prints once it ran a command (the next
    input must not join the command's)."""
    ping(tool, at)
    for n, command in enumerate((key_update, key_update_asking_for_ours)):
        tool.send(command)
        if done:
            tool.expect(done)
        ping(tool, at + 1 + n)
    body = "".join(f"line {i} of a message larger than a record; " for i in range(200))
    tool.send(f"<message to='{JID}' id='big'><body>{body}</body></message>\n".encode())
    assert body.encode() in tool.expect(b"</message>")
    tool.send(f"<iq type='get' id='two1' to='{DOMAIN}'><ping xmlns='urn:xmpp:ping'/></iq>"
              f"<iq type='get' id='two2' to='{DOMAIN}'><ping xmlns='urn:xmpp:ping'/></iq>\n".encode())
    tool.expect(b"id='two1'")
    tool.expect(b"id='two2'")


def no_tls_errors(xnode):
    assert "TLS error" not in xnode.log(), xnode.log()


def s_client(xnode, tools, *extra, port=C2S_PORT, host=ADDRESS):
    return tools(["openssl", "s_client", "-connect", f"{host}:{port}", "-starttls", "xmpp", "-xmpphost", DOMAIN,
                  "-CAfile", str(xnode.cert), "-verify_return_error", "-tls1_3", "-no_ign_eof", *extra])


def test_openssl_s_client_key_updates_fragments_and_close_notify(xnode, tools):
    # -max_send_frag 512: every stanza over 512 bytes comes as several records, in one write.
    # -msg: it prints the protocol messages it gets, the server's KeyUpdate among them.
    tool = s_client(xnode, tools, "-max_send_frag", "512", "-msg")
    tool.expect(b"Verify return code: 0 (ok)")
    log_in(tool)
    # s_client's commands, each on a line of its own: k = KeyUpdate, K = KeyUpdate
    # asking for ours (which s_client must then follow to read on).
    talk(tool, b"k\n", b"K\n", 1, done=b"KEYUPDATE\n")
    talk(tool, b"K\n", b"K\n", 10, done=b"KEYUPDATE\n")
    assert tool.out.count(b"<<< TLS 1.3, Handshake [length 0005], KeyUpdate") >= 3, "the server's answers"
    # Q: close_notify; the server closes too, s_client ends cleanly.
    tool.send(b"Q\n")
    assert tool.finish() == 0, tool.out
    no_tls_errors(xnode)


def test_gnutls_cli_rekeys_both_ways_and_closes(xnode, tools):
    # -s: plaintext first (the XMPP STARTTLS exchange through its stdin), TLS on
    # SIGALRM; -d 4: it logs the handshake messages it gets, the server's KeyUpdate among them.
    tool = tools(["gnutls-cli", "-s", "-d", "4", "--inline-commands", "--x509cafile", str(xnode.cert),
                  "--verify-hostname", DOMAIN, "--sni-hostname", DOMAIN, "-p", str(C2S_PORT), ADDRESS])
    tool.expect(b"- Simple Client Mode")
    tool.send(HEADER)
    tool.expect(b"</stream:features>")
    tool.send(STARTTLS)
    tool.expect(b"<proceed")
    tool.p.send_signal(signal.SIGALRM)
    tool.expect(b"- Description: (TLS1.3")
    log_in(tool, restart=True)
    # ^rekey1^: a KeyUpdate of its own; ^rekey^: one asking for ours.
    talk(tool, b"^rekey1^\n", b"^rekey^\n", 1, done=b"- Rekey was completed")
    assert b"received TLS 1.3 key update (0)" in tool.out, "the server's answer to ^rekey^"
    # End of input: gnutls-cli says close_notify and ends cleanly.
    assert tool.finish() == 0, tool.out
    no_tls_errors(xnode)


class Relay:
    """A TCP relay between one client and the c2s port that can flip a bit of the
    next bytes going one way (after TLS started: a record then fails its
    integrity check at the other end)."""

    def __init__(self):
        self.listener = socket.create_server((f"{NET}.9", 0))
        self.port = self.listener.getsockname()[1]
        self.flip = {"up": threading.Event(), "down": threading.Event()}
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        client, _ = self.listener.accept()
        server = socket.create_connection((ADDRESS, C2S_PORT))
        for a, b, way in ((client, server, "up"), (server, client, "down")):
            threading.Thread(target=self._pump, args=(a, b, way), daemon=True).start()

    def _pump(self, src, dst, way):
        try:
            while data := src.recv(65536):
                if self.flip[way].is_set() and len(data) > 5:
                    self.flip[way].clear()
                    data = data[:-1] + bytes([data[-1] ^ 1])  # in the last record's tag
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.mark.parametrize("way, client_says, server_logs", [
    # A record of the server's damaged on the way: s_client sends bad_record_mac,
    # and the server logs the alert it got and closes.
    ("down", b"bad record mac", "the client sent TLS alert 20"),
    # A record of the client's damaged: the server sends bad_record_mac and closes.
    ("up", b"alert bad record mac", "integrity check (bad_record_mac)"),
])
def test_alerts_both_ways(xnode, tools, way, client_says, server_logs):
    relay = Relay()
    tool = s_client(xnode, tools, host=f"{NET}.9", port=relay.port)
    log_in(tool)
    relay.flip[way].set()
    tool.send(f"<iq type='get' id='damaged' to='{DOMAIN}'><ping xmlns='urn:xmpp:ping'/></iq>\n".encode())
    tool.ends()
    assert client_says in tool.out.lower(), tool.out
    wait_for(lambda: server_logs in xnode.log(), TIMEOUT, f"the server to log {server_logs!r}")


def starttls_probe(xnode, tmp_path):
    s = socket.create_connection((ADDRESS, C2S_PORT), timeout=TIMEOUT)
    s.sendall(HEADER)
    read_until(s, b"</stream:features>")
    s.sendall(STARTTLS)
    assert b"<proceed" in read_until(s, b"/>")
    return Tls13Probe(s, str(xnode.cert), DOMAIN, tmp_path / "keylog")


def test_key_update_flood_before_login_is_cut_off(xnode, tmp_path):
    """One KeyUpdate per record, each asking for ours, the client reading nothing:
    the server answers at most once per batch it reads, stops at its budget with
    unexpected_message and a log line that says why."""
    probe = starttls_probe(xnode, tmp_path)
    flood = b"".join(probe.seal_key_update(requested=True) for _ in range(2000))
    probe.sock.sendall(flood)
    wait_for(lambda: "more than 32 TLS KeyUpdates in 60 s" in xnode.log(), TIMEOUT, "the flood to be cut off")
    back = read_to_close(probe.sock)
    assert len(back) < 2000, f"{len(back)} bytes back for a flood nobody reads"
    assert probe.open_all(back)[-1] == (21, b"\x02\x0a"), "the last record is not alert unexpected_message"


def test_key_updates_packed_in_one_record_are_refused(xnode, tmp_path):
    """Thousands of KeyUpdates in one record: the first must end it (RFC 8446 §5.1)."""
    probe = starttls_probe(xnode, tmp_path)
    packed = b"\x18\x00\x00\x01\x01" * 3000
    probe.sock.sendall(probe.seal(22, packed))
    wait_for(lambda: "a KeyUpdate must end its record" in xnode.log(), TIMEOUT, "the record to be refused")
    back = read_to_close(probe.sock)
    assert probe.open_all(back) == [(21, b"\x02\x0a")]


def test_records_without_data_count_against_the_read_rate(node, tmp_path):
    """Empty application-data records cost a decryption each and carry no byte of
    XML: the read-rate limit counts the records' bytes, so a stream of them ends with
    policy-violation like any other flood."""
    xnode = configure_xmpp(node, limits={"read-rate": 1024}, plaintext=False)
    probe = starttls_probe(xnode, tmp_path)
    try:
        probe.sock.sendall(b"".join(probe.seal(23, b"") for _ in range(10000)))
    except (BrokenPipeError, ConnectionResetError):
        pass
    wait_for(lambda: "read rate limit exceeded (1024 bytes/s)" in xnode.log(), TIMEOUT, "the read-rate limit")


def test_a_client_that_does_not_read_is_disconnected(node):
    """Messages to itself from a client that reads nothing fill its output queue:
    past the cap the server disconnects it instead of buffering without end."""
    xnode = configure_xmpp(node, limits={"read-rate": 1 << 30}, plaintext=False)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(TIMEOUT)
    s.connect((ADDRESS, C2S_PORT))
    s.sendall(HEADER)
    read_until(s, b"</stream:features>")
    s.sendall(STARTTLS)
    assert b"<proceed" in read_until(s, b"/>")
    t = ssl.create_default_context(cafile=str(xnode.cert)).wrap_socket(s, server_hostname=DOMAIN)
    t.sendall(HEADER)
    read_until(t, b"</stream:features>")
    token = base64.b64encode(b"\0alice\0secret").decode()
    t.sendall(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{token}</auth>".encode())
    read_until(t, b"<success")
    t.sendall(RESTART)
    read_until(t, b"</stream:features>")
    t.sendall(b"<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
              b"<resource>interop</resource></bind></iq>")
    read_until(t, b"</iq>")
    message = f"<message to='{JID}'><body>{'x' * 100000}</body></message>".encode()
    sent = 0
    try:
        while sent < 64 << 20:  # far beyond the cap and what the sockets hold
            t.sendall(message)
            sent += len(message)
    except OSError:
        pass
    wait_for(lambda: "wait for a client that does not read them: disconnecting" in xnode.log(), TIMEOUT,
             "the server to disconnect the client")
    assert sent < 64 << 20, "the server took 64 MiB for a client that reads nothing"
