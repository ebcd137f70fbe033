"""The cluster port out of file descriptors (cluster/admission.h, peer_network.h):
its accept waits and says so instead of retrying a failing accept at once, and
the cluster works again once descriptors are free."""
import os
import socket
import subprocess

from harness import wait_for
from test_cluster_identity import XMPP_PORT, cluster_still_works, log_of, two_node_cluster
from xmpp_cluster_fixtures import ADDR, TIMEOUT


def test_cluster_accept_waits_when_out_of_descriptors(nodes):
    n1, n2 = two_node_cluster(nodes)
    pid = n1.proc.pid
    soft = subprocess.run(["prlimit", f"--pid={pid}", "--nofile", "-o", "SOFT", "--noheadings"],
                          check=True, capture_output=True, text=True).stdout.strip()
    waiting = []
    try:
        in_use = len(os.listdir(f"/proc/{pid}/fd"))
        subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={in_use + 4}:"], check=True)  # the soft limit
        for _ in range(12):
            waiting.append(socket.create_connection((ADDR[1], XMPP_PORT), timeout=TIMEOUT))
        wait_for(lambda: "cannot accept peer connections on" in log_of(n1), TIMEOUT,
                 "the cluster port to wait on EMFILE\n" + log_of(n1))
    finally:
        for s in waiting:
            s.close()
        subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={soft}:"], check=True)
    cluster_still_works(n2, n1, "frank")
    cluster_still_works(n1, n2, "grace")
