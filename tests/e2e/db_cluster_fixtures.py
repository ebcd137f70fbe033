"""Shared pieces of the database cluster tests: nodes with PostgreSQL, certificates made
at test time by `mmp pki`, a three-node cluster built with the seed's commands.

PostgreSQL runs as `postgres`, and the tests run as root under pytest's
/tmp/pytest-of-root (mode 0700): `db_nodes` lets others traverse (o+x, no listing)
the directories above the node directories; convened itself gives the node
directory and DIR/state group postgres g+x.
"""
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from harness import NET, Node, wait_for

PSQL = "/usr/bin/psql"
ADDR = {i: f"{NET}.{i}" for i in (1, 2, 3)}
CERT_FILES = ("dbclusterserver.key", "dbclusterserver.cer", "dbclusterclient.key", "dbclusterclient.cer", "CA.cer")


def _postmaster_pid(node):
    pidfile = node.dir / "state" / "db" / "postmaster.pid"
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


@pytest.fixture
def db_nodes():
    # Not under pytest's tmp_path: pytest resets /tmp/pytest-of-root to 0700 at every
    # session start (also other engineers' runs), which would cut PostgreSQL off.
    base = Path(tempfile.mkdtemp(prefix="convene-db-", dir="/tmp"))
    os.chmod(base, 0o711)
    started = []

    def make(index):
        node = Node(base, index)
        started.append(node)
        return node.start()

    yield make
    for node in started:
        node.stop(timeout=30)
    # A PostgreSQL left behind by a crashed daemon is stopped by its own pid.
    for node in started:
        pid = _postmaster_pid(node)
        if pid:
            try:
                os.kill(pid, signal.SIGQUIT)
            except ProcessLookupError:
                pass
    if all(_postmaster_pid(n) is None for n in started):
        shutil.rmtree(base, ignore_errors=True)


def sql(node, query, db="convene", check=True):
    r = subprocess.run([PSQL, "-h", str(node.dir / "state" / "dbrun"), "-U", "postgres", "-d", db, "-X", "-At",
                        "-v", "ON_ERROR_STOP=1", "-c", query], capture_output=True, text=True, timeout=30)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def make_certs(ca_node, targets, server="dbclusterserver", client="dbclusterclient", ca="CA", validity=("days:365",),
               server_file=None, client_file=None):
    """Lab CA on `ca_node`; one server and one client certificate (shared by all nodes,
    as in the seed); copied into every target's file area."""
    if not (ca_node.files / f"{ca}.crt").exists():
        ca_node.mmp("pki", "ca", "create", ca, "CN:Convene DB CA")
        shutil.copy(ca_node.files / f"{ca}.crt", ca_node.files / f"{ca}.cer")
    for base, out in ((server, server_file or f"{server}.cer"), (client, client_file or f"{client}.cer")):
        for old in (f"{base}.key", f"{base}.csr"):
            (ca_node.files / old).unlink(missing_ok=True)
        ca_node.mmp("pki", "csr", base, f"CN:{base}")
        ca_node.mmp("pki", "ca", "sign", f"{base}.csr", out, ca, *validity)
    names = [f"{server}.key", server_file or f"{server}.cer", f"{client}.key", client_file or f"{client}.cer", f"{ca}.cer"]
    for t in targets:
        if t is not ca_node:
            for n in names:
                shutil.copy(ca_node.files / n, t.files / n)
    return names


def status(node):
    return node.mmp("database", "cluster", "status").stdout


def status_lines(node):
    return status(node).splitlines()


def build_cluster(nodes):
    names = make_certs(nodes[0], nodes)
    for n in nodes:
        n.mmp("database", "cluster", "localnode", "a")
        assert "Certificates updated" in n.mmp("database", "cluster", "certs", *names).stdout
    out = nodes[0].mmp("database", "cluster", "initialize", input="Y\n").stdout
    assert "Please wait..." in out
    for n in nodes[1:]:
        n.mmp("database", "cluster", "join", ADDR[1], input="Y\n", timeout=90)
    return names


def wait_disabled(node, timeout=30):
    wait_for(lambda: "Status                : Disabled" in status(node), timeout, f"{node.name} to be Disabled")
