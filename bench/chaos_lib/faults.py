"""The faults the chaos benchmark applies to one node, and how each is healed.

kill       kill -9 of convened and its PostgreSQL (the machine dies); restarted with
           the same command line after `down` s
stop       SIGSTOP of convened, its children (the call bridge) and its PostgreSQL for
           5 s, then SIGCONT (a frozen VM)
partition  nftables tables (tests/e2e/partition.py) cutting the node's cluster
           (5224), PostgreSQL (5432) and agent (5433) ports for `down` s
postmaster kill -9 of the node's postmaster alone; healing is the node's own job
bridge     kill -9 of the call bridge process; its supervisor restarts it
restart    SIGTERM of convened, then started again with the same command line
"""
import os
import signal
import time

from db_cluster_fixtures import _postmaster_pid, kill_node_hard, machine_processes
from partition import Partition

KINDS = ("kill", "stop", "partition", "postmaster", "bridge", "restart")
PORTS = (5224, 5432, 5433)


def signal_all(pids, sig):
    for p in pids:
        try:
            os.kill(p, sig)
        except ProcessLookupError:
            pass


class Fault:
    """One fault on one node: apply() then heal(); cleanup() undoes whatever is still
    in force (used on Ctrl-C)."""

    def __init__(self, kind, lab, index, down=8.0, pause=5.0):
        self.kind, self.lab, self.index, self.down, self.pause = kind, lab, index, down, pause
        self.node = lab.nodes[index]
        self.detail = ""
        self.frozen, self.cuts = [], []

    def apply(self):
        n = self.node
        if self.kind == "kill":
            kill_node_hard(n)
        elif self.kind == "stop":
            self.frozen = machine_processes(n)
            signal_all(self.frozen, signal.SIGSTOP)
        elif self.kind == "partition":
            self.cuts = [Partition(n.address, p).cut() for p in PORTS]
        elif self.kind == "postmaster":
            pid = _postmaster_pid(n)
            self.detail = f"pid {pid}" if pid else "no postmaster"
            if pid:
                signal_all([pid], signal.SIGKILL)
        elif self.kind == "bridge":
            pid = self.lab.bridge_pid(self.index)
            self.detail = f"pid {pid}" if pid else "no call bridge process"
            if pid:
                signal_all([pid], signal.SIGKILL)
        elif self.kind == "restart":
            n.stop(timeout=30)
        else:
            raise ValueError(self.kind)

    def heal(self):
        """Blocks for the fault's duration, then undoes it."""
        if self.kind == "kill":
            time.sleep(self.down)
            self.lab.start_node(self.index)
        elif self.kind == "stop":
            time.sleep(self.pause)
            signal_all(self.frozen, signal.SIGCONT)
            self.frozen = []
        elif self.kind == "partition":
            time.sleep(self.down)
            dropped = sum(c.dropped() for c in self.cuts)
            for c in self.cuts:
                c.heal()
            self.cuts = []
            self.detail = f"{dropped} packets dropped"
        elif self.kind == "restart":
            self.lab.start_node(self.index)

    def cleanup(self):
        signal_all(self.frozen, signal.SIGCONT)
        for c in self.cuts:
            c.heal()
        self.frozen, self.cuts = [], []
