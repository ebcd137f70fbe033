"""A cluster peer written from the wire format alone (cluster/peer_network.h,
cluster/cluster_messages.h, xmpp/cluster_wire.h), to play a stranger or a
compromised member against real nodes: mutual TLS with a certificate of the
test's choosing, the hello naming whatever node it likes, then requests or
router messages."""
import socket
import ssl
import struct

RAFT, RPC, MESSAGES = 1, 2, 3
SUBMIT, JOIN, REMOVE, REMOVED_NOTICE = 1, 2, 3, 4
OK, NOT_LEADER, RETRY, ERROR = 0, 1, 2, 3


class Refused(Exception):
    """The node closed the connection instead of accepting the hello."""


def node_id(node):
    """The member id a node uses in both clusters (DIR/state/node-id, hex)."""
    return int((node.dir / "state" / "node-id").read_text().strip(), 16)


def _bytes(b):
    return struct.pack(">I", len(b)) + b


def _recv_exact(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise ConnectionError("closed by the node")
        out += chunk
    return out


def connect(target, port, cert, key, source, channel, claim_id, claim_address):
    """TLS from `source` to target:port with cert/key, hello claiming (id, address);
    returns the socket once the node accepted the hello, else raises Refused."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(str(cert), str(key))
    raw = socket.create_connection((target, port), timeout=10, source_address=(source, 0))
    sock = ctx.wrap_socket(raw)
    addr = claim_address.encode()
    sock.sendall(b"CVN1" + struct.pack(">BQH", channel, claim_id, len(addr)) + addr)
    try:
        ack = sock.recv(1)
    except (ConnectionError, ssl.SSLError, OSError) as e:
        sock.close()
        raise Refused(str(e))
    if ack != b"\x01":
        sock.close()
        raise Refused(f"answer {ack!r}")
    return sock


def request(sock, type_, id_=0, address="", payload=b""):
    """One member request; returns (code, payload text)."""
    body = struct.pack(">BQ", type_, id_) + _bytes(address.encode()) + _bytes(payload)
    sock.sendall(struct.pack(">I", len(body)) + body)
    n = struct.unpack(">I", _recv_exact(sock, 4))[0]
    resp = _recv_exact(sock, n)
    code = resp[0]
    plen = struct.unpack(">I", resp[1:5])[0]
    return code, resp[5:5 + plen].decode(errors="replace")


def router_message(type_, node, jid="", components=(), stanza="", target_node=0, incarnation=0, seq=0):
    """An XMPP cluster router message (xmpp/cluster_wire.h), framed."""
    body = struct.pack(">BQQQQ", type_, node, incarnation, seq, target_node) + _bytes(jid.encode())
    body += struct.pack(">I", 0)
    body += struct.pack(">I", len(components)) + b"".join(_bytes(c.encode()) for c in components)
    body += _bytes(stanza.encode())
    return struct.pack(">I", len(body)) + body
