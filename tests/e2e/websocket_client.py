"""A WebSocket client (RFC 6455) on the standard library, for XMPP over WebSocket
(RFC 7395) tests: it can also send what a well-behaved library never would
(binary frames, huge declared lengths, broken XML), which the tests need. Every
read is bounded by a time-out."""
import base64
import os
import socket
import ssl
import struct
import time

FRAMING_NS = "urn:ietf:params:xml:ns:xmpp-framing"


class Refused(Exception):
    def __init__(self, status, head):
        super().__init__(f"upgrade refused: {status}\n{head}")
        self.status = status
        self.head = head


class WebSocket:
    def __init__(self, sock, protocol):
        self.sock = sock
        self.protocol = protocol
        self.buffer = b""
        self.close_code = None  # the server's close status, once its close frame came

    # ---- sending ----
    def send_frame(self, opcode, payload, fin=True, masked=True, declared_length=None):
        self.sock.sendall(self.frame_bytes(opcode, payload, fin, masked, declared_length))

    @staticmethod
    def frame_bytes(opcode, payload, fin=True, masked=True, declared_length=None):
        """One frame as bytes (many can then go in one write)."""
        first = (0x80 if fin else 0) | opcode
        n = len(payload) if declared_length is None else declared_length
        mask_bit = 0x80 if masked else 0
        if n < 126:
            head = struct.pack("!BB", first, mask_bit | n)
        elif n <= 0xFFFF:
            head = struct.pack("!BBH", first, mask_bit | 126, n)
        else:
            head = struct.pack("!BBQ", first, mask_bit | 127, n)
        if masked:
            key = os.urandom(4)
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            head += key
        return head + payload

    def send_text(self, text):
        self.send_frame(0x1, text.encode())

    def send_close(self, code=1000):
        self.send_frame(0x8, struct.pack("!H", code))

    # ---- receiving ----
    def _fill(self, n, deadline):
        while len(self.buffer) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no complete frame in time")
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("connection closed")
            self.buffer += data

    def _take(self, n, deadline):
        self._fill(n, deadline)
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def recv_frame(self, timeout=10.0):
        """(opcode, payload bytes) of the next frame."""
        deadline = time.monotonic() + timeout
        b0, b1 = self._take(2, deadline)
        assert not b1 & 0x80, "the server masked a frame"
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._take(2, deadline))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._take(8, deadline))[0]
        payload = self._take(n, deadline)
        opcode = b0 & 0x0F
        if opcode == 0x8:
            self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
        return opcode, payload

    def recv_text(self, timeout=10.0):
        """The next text message (None once the server sent its close frame)."""
        deadline = time.monotonic() + timeout
        while True:
            opcode, payload = self.recv_frame(max(0.01, deadline - time.monotonic()))
            if opcode == 0x1:
                return payload.decode()
            if opcode == 0x8:
                return None
            if opcode == 0x9:
                self.send_frame(0xA, payload)

    def until(self, predicate, timeout=10.0):
        """Messages until one satisfies `predicate`; returns them all (AssertionError if none did)."""
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                m = self.recv_text(max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
            if m is None:
                raise AssertionError(f"closed before the expected message; got {seen}")
            seen.append(m)
            if predicate(m):
                return seen
        raise AssertionError(f"no expected message in time; got {seen}")

    def rest(self, timeout=10.0):
        """Every text message until the close frame, then the end of the connection:
        (messages, close code). Raises if the server does not close in time."""
        deadline = time.monotonic() + timeout
        messages = []
        while True:
            m = self.recv_text(max(0.01, deadline - time.monotonic()))
            if m is None:
                break
            messages.append(m)
        # After its close frame the server closes the TCP connection.
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                if not self.sock.recv(65536):
                    return messages, self.close_code
            except (ConnectionError, ssl.SSLError, OSError):
                return messages, self.close_code
        raise AssertionError("the server sent its close frame but kept the connection open")

    def drop(self):
        """Loses the connection the way a network fault does: a TCP reset, with no close
        frame, no <close/> and no TLS close_notify before it."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def connect(host, port, cafile, path="/xmpp-websocket", protocols=("xmpp",), origin=None, server_name=None,
            timeout=10.0, host_header=None, receive_buffer=None):
    """An upgraded connection; Refused(status, head) when the server says no.
    `receive_buffer` shrinks the socket's (before connecting, so the window the
    server sees is small too): a client that stops reading then blocks the server's
    writes after a few kilobytes."""
    ctx = ssl.create_default_context(cafile=str(cafile))
    if receive_buffer is None:
        raw = socket.create_connection((host, port), timeout=timeout)
    else:
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        raw.settimeout(timeout)
        raw.connect((host, port))
    sock = ctx.wrap_socket(raw, server_hostname=server_name or host)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", f"Host: {host_header or f'{host}:{port}'}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if protocols:
        lines.append("Sec-WebSocket-Protocol: " + ", ".join(protocols))
    if origin:
        lines.append(f"Origin: {origin}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in head:
        if time.monotonic() > deadline:
            raise TimeoutError("no answer to the upgrade")
        data = sock.recv(4096)
        if not data:
            raise ConnectionError(f"closed during the upgrade: {head!r}")
        head += data
    head, rest = head.split(b"\r\n\r\n", 1)
    text = head.decode(errors="replace")
    status = int(text.split()[1])
    if status != 101:
        sock.close()
        raise Refused(status, text)
    headers = {}
    for line in text.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    import hashlib
    expected = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    assert headers.get("sec-websocket-accept") == expected, text
    ws = WebSocket(sock, headers.get("sec-websocket-protocol"))
    ws.buffer = rest
    return ws


def open_element(domain):
    return f"<open xmlns='{FRAMING_NS}' to='{domain}' version='1.0'/>"


def close_element():
    return f"<close xmlns='{FRAMING_NS}'/>"
