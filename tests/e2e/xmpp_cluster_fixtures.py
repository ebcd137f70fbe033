"""Shared by the XMPP cluster tests (test_xmpp_cluster*.py): seed 000's way of
building a three-node cluster on 127.0.1.1-3, and reading `xmpp cluster status`.
Every wait is a bounded poll, never a sleep."""
import asyncio
import re
import shutil

from harness import NET, wait_for
from xmpp_fixtures import DOMAIN, USERS

ADDR = {i: f"{NET}.{i}" for i in (1, 2, 3)}
TIMEOUT = 20.0


def peers_of(node):
    """(state, [peer lines], whole output) from `xmpp cluster status`."""
    out = node.mmp("xmpp", "cluster", "status", check=False).stdout
    m = re.search(r"^State: (\S+)", out, re.M)
    state = m.group(1) if m else None
    lines = out.split("List of peers\n", 1)[1].splitlines() if "List of peers\n" in out else []
    peers = [l for l in lines if re.match(r"^\d+\.\d+\.\d+\.\d+:\d+", l)]
    return state, peers, out


def cluster_view(node, expected_peers):
    """True when `node` shows exactly `expected_peers` (addresses) and one leader."""
    state, peers, _ = peers_of(node)
    if state not in ("LEADER", "FOLLOWER"):
        return False
    addresses = sorted(p.split()[0] for p in peers)
    leaders = [p for p in peers if "(Leader)" in p]
    return addresses == sorted(f"{a}:5222" for a in expected_peers) and len(leaders) == 1


def leader_index(nodes):
    for i, n in nodes.items():
        if peers_of(n)[0] == "LEADER":
            return i
    return None


def setup_certs(n1, others, mode):
    """Seed step 4: every node gets the XMPP key/cert and the cluster trust bundle.
    mode 'leaf': one shared self-signed certificate (the seed's lab, abhiall.cer);
    mode 'ca': a lab CA signs one certificate per node; the bundle is the CA."""
    all_nodes = [n1, *others]
    sans = ",".join([DOMAIN, *ADDR.values()])
    if mode == "leaf":
        n1.mmp("pki", "selfsigned", "abhiall", f"CN:{DOMAIN}", f"subjectAltName:{sans}")
        for n in others:
            for f in ("abhiall.key", "abhiall.crt"):
                shutil.copy(n1.files / f, n.files / f)
        for n in all_nodes:
            n.mmp("xmpp", "certs", "abhiall.key", "abhiall.crt")
            n.mmp("xmpp", "cluster", "trust", "abhiall.crt")
    else:
        n1.mmp("pki", "ca", "create", "clusterca", "CN:Convene XMPP CA")
        for n in all_nodes:
            base = f"xmppserver{n.index}"
            n1.mmp("pki", "csr", base, f"CN:{base}.{DOMAIN}", f"subjectAltName:{DOMAIN},{n.address}")
            n1.mmp("pki", "ca", "sign", f"{base}.csr", f"{base}.crt", "clusterca")
            if n is not n1:
                for f in (f"{base}.key", f"{base}.crt", "clusterca.crt"):
                    shutil.copy(n1.files / f, n.files / f)
            n.mmp("xmpp", "certs", f"{base}.key", f"{base}.crt", "clusterca.crt")
            n.mmp("xmpp", "cluster", "trust", "clusterca.crt")


def build_cluster(nodes, mode="leaf"):
    """Seed steps 3-8 on three nodes; returns the call bridges' secrets."""
    n1, n2, n3 = nodes[1], nodes[2], nodes[3]
    for n in nodes.values():
        n.mmp("xmpp", "domain", DOMAIN)
        n.mmp("xmpp", "listen", "a")
    setup_certs(n1, [n2, n3], mode)
    secrets = {}
    for cb in ("cb1", "cb2", "cb3"):
        out = n1.mmp("xmpp", "callbridge", "add", cb).stdout
        secrets[cb] = re.search(r"Secret\s*:\s*(\S+)", out).group(1)
    n1.mmp("xmpp", "disable")
    n1.mmp("xmpp", "cluster", "enable")
    out = n1.mmp("xmpp", "cluster", "initialize").stdout
    assert "initialized" in out, out
    n1.mmp("xmpp", "enable")
    for n in (n2, n3):
        for cb, secret in secrets.items():
            n.mmp("xmpp", "callbridge", "add-secret", cb, input=f"{secret}\n")
        n.mmp("xmpp", "disable")
        n.mmp("xmpp", "cluster", "enable")
        n.mmp("xmpp", "enable")
        out = n.mmp("xmpp", "cluster", "join", ADDR[1]).stdout
        assert "Joined the XMPP cluster" in out, out
    for n in nodes.values():
        wait_for(lambda: cluster_view(n, ADDR.values()), TIMEOUT, f"{n.name} to see three peers and one leader\n"
                 + peers_of(n)[2])
    return secrets


def cluster_with_users(nodes, mode="leaf"):
    """Three nodes made into seed 000's cluster (build_cluster), with the test users
    added on node 1 and seen by every node."""
    three = {i: nodes(i) for i in (1, 2, 3)}
    build_cluster(three, mode=mode)
    for user, password in USERS.items():
        three[1].mmp("xmpp", "user", "add", user, input=f"{password}\n{password}\n")
    for n in three.values():
        wait_for(lambda: all(f"{u}@{DOMAIN}" in n.mmp("xmpp", "user", "list").stdout for u in USERS), TIMEOUT,
                 f"the users on {n.name}")
    return three


async def until(condition, what, timeout=TIMEOUT):
    """Inside a test's event loop: polls `condition` (bounded by `timeout`) while the
    clients keep being served."""
    loop = asyncio.get_event_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)
