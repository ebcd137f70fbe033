"""Test harness: real convened processes, each with its own directory and its own
loopback address (127.0.1.N), driven by one-shot mmp commands.

Every process started here is stopped by its pid when the test ends (rule 5), and
every wait is bounded: a node that does not come up fails the test with its log.
"""
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("CONVENE_BUILD", TOP / "build"))
CONVENED = BUILD / "apps" / "convened"
MMP = BUILD / "apps" / "mmp"

READY_TIMEOUT = 10.0
# The loopback network of the simulated nodes: node N is NET.N. Another value
# (CONVENE_TEST_NET=127.0.2) lets two runs share a machine.
NET = os.environ.get("CONVENE_TEST_NET", "127.0.1")


def worker_net(net: str, worker: str | None) -> str:
    """The /24 of one pytest-xdist worker: gw0 keeps `net`, gwN moves its third
    number up by N (127.0.1 -> 127.0.2), so parallel workers' nodes never share an
    address, a port or a partition's rules. The addresses keep their length: status
    lines pad them to the seeds' columns, and the tests compare those lines whole."""
    if not worker or not worker.startswith("gw"):
        return net
    a, b, c = net.split(".")
    moved = str(int(c) + int(worker[2:]))
    if len(moved) != len(c):
        raise ValueError(f"worker {worker}: CONVENE_TEST_NET {net} leaves no room for it (use 127.0.1)")
    return f"{a}.{b}.{moved}"


# scripts/test.sh runs the files on two workers (pytest -n 2 --dist loadfile); the
# environment carries the worker's network to the scripts a test starts (run.sh).
NET = worker_net(NET, os.environ.get("PYTEST_XDIST_WORKER"))
os.environ["CONVENE_TEST_NET"] = NET


def wait_for(condition, timeout, what):
    """Polls `condition` until true; fails with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Node:
    """One convened: `Node(base, 1)` lives in base/node1 on 127.0.1.1."""

    def __init__(self, base: Path, index: int, name: str | None = None):
        self.index = index
        self.name = name or f"node{index}"
        self.dir = Path(base) / self.name
        self.address = f"{NET}.{index}"
        self.proc: subprocess.Popen | None = None
        self.stdout = None

    @property
    def files(self) -> Path:
        return self.dir / "files"

    @property
    def socket(self) -> Path:
        return self.dir / "mmp.sock"

    def command_line(self, *extra):
        return [str(CONVENED), "--dir", str(self.dir), "--iface", f"a={self.address}", "--name", self.name, *extra]

    def start(self, *extra):
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.stdout = open(self.dir.parent / f"{self.name}.out", "ab")
        self.proc = subprocess.Popen(self.command_line(*extra), stdout=self.stdout, stderr=subprocess.STDOUT)
        wait_for(self._ready, READY_TIMEOUT, f"{self.name} to serve its admin socket\n{self.output()}")
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.output()}")
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(str(self.socket))
            return True
        except OSError:
            return False

    def output(self) -> str:
        path = self.dir.parent / f"{self.name}.out"
        return path.read_text(errors="replace") if path.exists() else ""

    def mmp(self, *words, input: str | None = None, check: bool = True, timeout: float = 60):
        """Runs `mmp --node DIR words...`; with check, a non-zero exit fails the test."""
        result = subprocess.run([str(MMP), "--node", str(self.dir), *words], input=input,
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"mmp {' '.join(words)} exited {result.returncode}:\n"
                                 f"{result.stdout}{result.stderr}")
        return result

    def signal(self, sig):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def kill(self):
        """kill -9, as a crash would."""
        self.signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 10) -> int | None:
        """SIGTERM and wait; SIGKILL if it does not stop in time. Returns the exit code."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.stdout:
            self.stdout.close()
            self.stdout = None
        return self.proc.returncode

    def restart(self, *extra):
        self.stop()
        return self.start(*extra)


def snapshot_tree(path: Path) -> dict:
    """Name → (size, mtime_ns, mode) of every file under `path`: to prove that a
    refused command changed nothing on disk."""
    out = {}
    for p in sorted(Path(path).rglob("*")):
        if p.is_file():
            st = p.stat()
            out[str(p.relative_to(path))] = (st.st_size, st.st_mtime_ns, st.st_mode)
    return out


def thread_names(pid) -> list:
    """The names of a process's threads, as /proc shows them (util/thread_name)."""
    names = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            names.append((task / "comm").read_text().strip())
        except FileNotFoundError:
            pass  # ended while we looked
    return names


def documented_threads() -> set:
    """The thread names docs/architecture.md's thread table lists."""
    import re
    text = (TOP / "docs" / "architecture.md").read_text()
    section = text.split("## Threads", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([\w-]+)` \|", section, re.M))


def assert_threads_documented(node, *expected):
    """Every thread of `node`'s convened is one the thread table lists, and the
    `expected` ones are running: the table cannot silently go stale."""
    # A thread names itself when it starts, a moment after the node answers.
    wait_for(lambda: all(e in thread_names(node.proc.pid) for e in expected), READY_TIMEOUT,
             f"threads {expected} in {thread_names(node.proc.pid)}")
    names = thread_names(node.proc.pid)
    undocumented = sorted(set(names) - documented_threads())
    assert not undocumented, f"threads missing from docs/architecture.md's table: {undocumented} (all: {names})"
    return names
