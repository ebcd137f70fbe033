"""A real DNS server for tests: dnsmasq (Debian's dnsmasq-base) on 127.0.0.1 and a
port of its own, serving the SRV and host records a test gives it. Never the
system resolver. Stopped by its pid."""
import os
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path

DNSMASQ = "/usr/sbin/dnsmasq"
PROBE = "_probe._tcp.convene.test"


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                    t.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise AssertionError("no free port for dnsmasq")


def srv_query(name: str, qid: int = 0x4242) -> bytes:
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00" + struct.pack(">HH", 33, 1)


class Dnsmasq:
    """`Dnsmasq(dir, ["srv-host=...", "host-record=..."]).start()`; `.server` is host:port."""

    def __init__(self, directory: Path, records, port: int | None = None):
        self.dir = Path(directory)
        self.records = list(records)
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0):
        self.dir.mkdir(parents=True, exist_ok=True)
        conf = self.dir / "dnsmasq.conf"
        conf.write_text("no-resolv\nno-hosts\nbind-interfaces\nlisten-address=127.0.0.1\n"
                        f"port={self.port}\nlocal-ttl=30\nno-daemon\npid-file=\nuser=root\n"
                        f"srv-host={PROBE},probe.convene.test,1,0,0\n" + "".join(r + "\n" for r in self.records))
        self.log = open(self.dir / "dnsmasq.out", "ab")
        self.proc = subprocess.Popen([DNSMASQ, "-k", f"--conf-file={conf}", "--log-facility=-"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.1)
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"dnsmasq exited: {(self.dir / 'dnsmasq.out').read_text()}")
                try:
                    s.sendto(srv_query(PROBE), ("127.0.0.1", self.port))
                    if s.recv(512)[:2] == b"\x42\x42":
                        return self
                except OSError:
                    pass  # refused (not bound yet) or no answer within 100 ms: ask again
        self.stop()
        raise AssertionError("dnsmasq did not answer")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def restart(self, records):
        """Same port, new records (dnsmasq does not re-read srv-host lines on SIGHUP)."""
        self.stop()
        self.records = list(records)
        return self.start()
