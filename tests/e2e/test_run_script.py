"""The README's main job, scripts/run.sh, as a lab for faults: it builds the
three-node cluster with its roles spread (XMPP leader, database master, call-bridge
host on different nodes), outlives a node's kill -9, names the one command that
brings the node back, and that command works; Ctrl-C then stops every process it
started, the restarted node and every PostgreSQL included."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from harness import BUILD, MMP, NET, TOP
from db_cluster_fixtures import _wait_postmaster_gone

STARTUP_TIMEOUT = 300  # install check, a no-op build, and both clusters configured


class Output:
    """run.sh's output, read by a thread so the test can wait for a line."""

    def __init__(self, stream):
        self.lines = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for raw in stream:
            with self.cond:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)  # end of output
            self.cond.notify_all()

    def wait(self, pattern, timeout, start=0):
        """The first line from `start` on that matches, and its index."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(start, len(self.lines)):
                    line = self.lines[i]
                    if line is None:
                        raise AssertionError(f"run.sh ended before '{pattern}':\n" + self.text())
                    if re.search(pattern, line):
                        return i, line
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no '{pattern}' within {timeout}s:\n" + self.text())
                self.cond.wait(left)

    def text(self):
        return "\n".join(line for line in self.lines if line is not None)


class Node:
    """Just enough of a node of run.sh's cluster to check and stop it."""

    def __init__(self, run, i):
        self.dir = run / f"node{i}"
        self.pidfile = run / f"node{i}.pid"

    def pid(self):
        return int(self.pidfile.read_text())

    def mmp(self, *args):
        return subprocess.run([str(MMP), "--node", str(self.dir), *args], capture_output=True, text=True, timeout=60)


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(0.1)


@pytest.fixture
def lab():
    # PostgreSQL (user postgres) must traverse the run directory: not under pytest's 0700 tmp.
    run = Path(tempfile.mkdtemp(prefix="convene-run-", dir="/tmp"))
    os.chmod(run, 0o711)
    env = dict(os.environ, CONVENE_RUN=str(run), CONVENE_RUN_NET=NET, CONVENE_BUILD=str(BUILD))
    # SIGINT at its default, as a terminal's shell starts it: a shell that inherits it
    # ignored (pytest run from a script started with '&' does) cannot trap it, and
    # run.sh would never see the Ctrl-C this test sends.
    proc = subprocess.Popen([str(TOP / "scripts" / "run.sh")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    out = Output(proc.stdout)
    nodes = {i: Node(run, i) for i in (1, 2, 3)}
    yield proc, out, nodes, env
    # Whatever the test did: stop run.sh as Ctrl-C would, then anything left by pid.
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    for n in nodes.values():
        if n.pidfile.exists() and alive(n.pid()):
            os.kill(n.pid(), signal.SIGKILL)
    if all(_wait_postmaster_gone(n) for n in nodes.values()):
        shutil.rmtree(run, ignore_errors=True)


def test_run_sh_spreads_roles_survives_a_node_death_and_restarts_it(lab):
    proc, out, nodes, env = lab
    ready, _ = out.wait(r"^Press Ctrl-C to stop everything", STARTUP_TIMEOUT)
    _, roles = out.wait(r"Roles now: ", 1)
    # One kill, one role: node1 leads XMPP, node2 is the database master, node3 runs cb1.
    assert f"XMPP leader {NET}.1" in roles, roles
    assert f"database master {NET}.2" in roles, roles
    _, host = out.wait(r"call bridge cb1 on node", 1)
    assert "on node3" in host, host
    assert "Enabled" in nodes[3].mmp("callbridge", "status").stdout
    # The README's `xmpp dns check`, without an argument, asks the lab's DNS.
    check = nodes[1].mmp("xmpp", "dns", "check")
    assert check.returncode == 0 and "DNS check: OK" in check.stdout, check.stdout + check.stderr

    victim = nodes[3].pid()
    os.kill(victim, signal.SIGKILL)
    gone, _ = out.wait(r"node3 is gone", 30, ready)
    _, command = out.wait(r"run\.sh restart 3$", 5, gone)
    assert proc.poll() is None, "run.sh died with node3:\n" + out.text()
    # The other nodes carry on: the cluster has a leader, the database a master.
    assert re.search(r"^State: (LEADER|FOLLOWER)", nodes[1].mmp("xmpp", "cluster", "status").stdout, re.M)

    restart = subprocess.run(command.strip(), shell=True, env=env, capture_output=True, text=True, timeout=60)
    assert restart.returncode == 0, restart.stdout + restart.stderr
    assert nodes[3].pid() != victim
    out.wait(r"node3 is back", 30, gone)
    until(lambda: re.search(r"^State: FOLLOWER", nodes[3].mmp("xmpp", "cluster", "status").stdout, re.M), 60,
          "node3 to be back in the XMPP cluster")
    # A second restart of a running node is refused, and changes nothing.
    again = subprocess.run(command.strip(), shell=True, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "node3 is running" in again.stderr, again.stdout + again.stderr

    pids = [n.pid() for n in nodes.values()]
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(90)
    except subprocess.TimeoutExpired:
        tree = subprocess.run(["ps", "-e", "--forest", "-o", "pid,ppid,stat,etime,args"], capture_output=True, text=True)
        raise AssertionError("run.sh still running 90 s after Ctrl-C\n" + out.text() + "\n" + tree.stdout)
    for pid in pids:
        assert not alive(pid), f"convened {pid} outlived Ctrl-C"
    for n in nodes.values():
        assert _wait_postmaster_gone(n), f"PostgreSQL of {n.dir} outlived Ctrl-C"
