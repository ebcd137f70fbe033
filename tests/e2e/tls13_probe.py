"""A TLS 1.3 client for probes: Python's ssl does the handshake (through memory
BIOs, over a socket the test owns), its key log gives the application traffic
secrets, and records are then sealed and opened here, so a test can send what no
TLS library would (KeyUpdates in floods, several in one record). RFC 8446 §5 and
§7: HKDF-Expand-Label, the per-record nonce, the inner content type."""
import hashlib
import hmac
import ssl
import struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

SUITES = {  # name: (hash, key length, AEAD)
    "TLS_AES_128_GCM_SHA256": ("sha256", 16, AESGCM),
    "TLS_AES_256_GCM_SHA384": ("sha384", 32, AESGCM),
    "TLS_CHACHA20_POLY1305_SHA256": ("sha256", 32, ChaCha20Poly1305),
}


def expand_label(secret: bytes, label: bytes, length: int, digest: str) -> bytes:
    info = struct.pack(">HB", length, 6 + len(label)) + b"tls13 " + label + b"\x00"
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(secret, block + info + bytes([i]), digest).digest()
        out += block
        i += 1
    return out[:length]


class _Direction:
    def __init__(self, secret, suite):
        self.digest, self.key_len, self.aead = suite
        self.set(secret)

    def set(self, secret):
        self.secret = secret
        self.cipher = self.aead(expand_label(secret, b"key", self.key_len, self.digest))
        self.iv = expand_label(secret, b"iv", 12, self.digest)
        self.seq = 0

    def update(self):
        self.set(expand_label(self.secret, b"traffic upd", hashlib.new(self.digest).digest_size, self.digest))

    def nonce(self):
        n = bytes(a ^ b for a, b in zip(self.iv, self.seq.to_bytes(12, "big")))
        self.seq += 1
        return n


class Tls13Probe:
    """The client's side of a TLS 1.3 session on `sock` (the handshake done here)."""

    def __init__(self, sock, cafile, hostname, keylog_path):
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.keylog_filename = str(keylog_path)
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = ctx.wrap_bio(incoming, outgoing, server_hostname=hostname)
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                sock.sendall(outgoing.read())
                data = sock.recv(65536)
                assert data, "the server closed during the handshake"
                incoming.write(data)
        sock.sendall(outgoing.read())  # the client's Finished
        assert incoming.pending == 0, "records after the handshake already arrived"
        secrets = {}
        for line in open(keylog_path).read().splitlines():
            words = line.split()
            if len(words) == 3 and words[0] in ("CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"):
                secrets[words[0]] = bytes.fromhex(words[2])
        suite = SUITES[tls.cipher()[0]]
        self.sock = sock
        self.write = _Direction(secrets["CLIENT_TRAFFIC_SECRET_0"], suite)
        self.read = _Direction(secrets["SERVER_TRAFFIC_SECRET_0"], suite)

    def seal(self, content_type: int, data: bytes) -> bytes:
        inner = data + bytes([content_type])
        header = bytes([23, 3, 3]) + struct.pack(">H", len(inner) + 16)
        return header + self.write.cipher.encrypt(self.write.nonce(), inner, header)

    def seal_key_update(self, requested: bool) -> bytes:
        """A record with one KeyUpdate; our key moves on after it."""
        record = self.seal(22, b"\x18\x00\x00\x01" + bytes([1 if requested else 0]))
        self.write.update()
        return record

    def open_all(self, wire: bytes):
        """The server's records in `wire`: [(content type, content)], following its KeyUpdates."""
        out = []
        while len(wire) >= 5:
            length = struct.unpack(">H", wire[3:5])[0]
            header, body, wire = wire[:5], wire[5:5 + length], wire[5 + length:]
            inner = self.read.cipher.decrypt(self.read.nonce(), body, header).rstrip(b"\x00")
            content_type, content = inner[-1], inner[:-1]
            out.append((content_type, content))
            if content_type == 22 and content[:1] == b"\x18":
                self.read.update()
        return out
