"""Network partitions for end-to-end tests, made with nftables on loopback.

A partition cuts one node's cluster port off from every other node: the packets of
the connections it dials to the others' cluster port, and of the connections the
others dial to its cluster port, are dropped. Its XMPP client port and the admin
socket keep working, so the test still drives and observes it.

Each partition is its own nft table, named after this process and a counter: a
test never touches any other ruleset, and healing is deleting that one table.
Traffic between 127.0.1.x addresses goes over `lo` and passes the input hook once
per packet whichever way it goes, so one input chain sees both directions. The
nodes bind their outgoing cluster connections to their own address
(cluster/peer_network.cpp), which is what makes `ip saddr` match them.

nft needs root (CAP_NET_ADMIN) and the nftables package: without them a test
fails here with the reason, never skips."""
import itertools
import json
import os
import shutil
import subprocess

CLUSTER_PORT = 5224
_counter = itertools.count(1)


def _nft(*args, input=None):
    nft = shutil.which("nft") or "/usr/sbin/nft"
    if not os.path.exists(nft):
        raise AssertionError("nft is missing: install the Debian package 'nftables' (scripts/packages.txt)")
    result = subprocess.run([nft, *args], input=input, capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise AssertionError(f"nft {' '.join(args)} exited {result.returncode}: {result.stderr.strip()}\n"
                             "partition tests need root (CAP_NET_ADMIN) and a kernel with nf_tables")
    return result.stdout


class Partition:
    """Cuts `address`'s cluster port off from the other nodes until heal()."""

    def __init__(self, address: str, port: int = CLUSTER_PORT):
        self.address = address
        self.port = port
        self.table = f"convene_test_{os.getpid()}_{next(_counter)}"
        self.active = False

    def cut(self):
        a, p = self.address, self.port
        # Counted, so a test can prove the isolation was this rule's doing.
        ruleset = f"""
table inet {self.table} {{
  chain input {{
    type filter hook input priority filter - 10; policy accept;
    ip saddr {a} tcp dport {p} counter drop comment "it dials the others"
    ip daddr {a} tcp sport {p} counter drop comment "the others answer its dials"
    ip daddr {a} tcp dport {p} counter drop comment "the others dial it"
    ip saddr {a} tcp sport {p} counter drop comment "it answers their dials"
  }}
}}
"""
        _nft("-f", "-", input=ruleset)
        self.active = True
        return self

    def dropped(self) -> int:
        """Packets dropped by this partition so far."""
        listing = json.loads(_nft("-j", "list", "table", "inet", self.table))
        total = 0
        for item in listing.get("nftables", []):
            for expr in item.get("rule", {}).get("expr", []):
                if "counter" in expr:
                    total += expr["counter"]["packets"]
        return total

    def heal(self):
        """Deletes the table; safe to call twice."""
        if self.active:
            _nft("delete", "table", "inet", self.table)
            self.active = False

    def __enter__(self):
        return self.cut()

    def __exit__(self, *exc):
        self.heal()
