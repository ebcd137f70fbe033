"""Shared pieces of the database cluster tests: nodes with PostgreSQL, certificates made
at test time by `mmp pki`, a three-node cluster built with the seed's commands.

PostgreSQL runs as `postgres`, and the tests run as root under pytest's
/tmp/pytest-of-root (mode 0700): `db_nodes` lets others traverse (o+x, no listing)
the directories above the node directories; convened itself gives the node
directory and DIR/state group postgres g+x.
"""
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from harness import NET, Node, wait_for

PSQL = "/usr/bin/psql"
ADDR = {i: f"{NET}.{i}" for i in (1, 2, 3)}
CERT_FILES = ("dbclusterserver.key", "dbclusterserver.cer", "dbclusterclient.key", "dbclusterclient.cer", "CA.cer")
# The passphrase the tests seal their backups with; mmp reads it on stdin, one line
# per question (twice at snapshot, once before the rollback's Y).
BACKUP_PASS = "tests-backup-passphrase"


def snapshot_backup(node, name, passphrase=BACKUP_PASS):
    return node.mmp("backup", "snapshot", name, input=f"{passphrase}\n{passphrase}\n")


def rollback_backup(node, name, answer="Y", passphrase=BACKUP_PASS, check=True):
    return node.mmp("backup", "rollback", name, input=f"{passphrase}\n{answer}\n", check=check)


def _postmaster_pid(node):
    pidfile = node.dir / "state" / "db" / "postmaster.pid"
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _wait_postmaster_gone(node, timeout=10):
    """True once no PostgreSQL runs for this node. Its postmaster.pid outlives a
    SIGQUIT or kill -9, so the pid in it is checked, and awaited through a pidfd."""
    pid = _postmaster_pid(node)
    if pid is None:
        return True
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


def stop_nodes(nodes):
    """Stops each convened by its pid; a PostgreSQL left behind by a crashed daemon
    is stopped by its own pid."""
    for node in nodes:
        node.stop(timeout=30)
    for node in nodes:
        pid = _postmaster_pid(node)
        if pid:
            try:
                os.kill(pid, signal.SIGQUIT)
            except ProcessLookupError:
                pass


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
    stop_nodes(started)
    # CONVENE_KEEP=1 keeps the node directories (logs) for a look after a failure.
    if all(_wait_postmaster_gone(n) for n in started) and not os.environ.get("CONVENE_KEEP"):
        shutil.rmtree(base, ignore_errors=True)
    else:
        print(f"node directories kept in {base}")


def sql(node, query, db="convene", check=True):
    r = subprocess.run([PSQL, "-h", str(node.dir / "state" / "dbrun"), "-U", "postgres", "-d", db, "-X", "-At",
                        "-v", "ON_ERROR_STOP=1", "-c", query], capture_output=True, text=True, timeout=30)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def make_certs(ca_node, targets, server="dbclusterserver", client="dbclusterclient", ca="CA", validity=("days:365",),
               server_file=None, client_file=None):
    """Lab CA on `ca_node`; one server and one client certificate (shared by all nodes,
    as in the seed); copied into every target's file area. The server certificate
    names every target's address (subjectAltName): the members verify it against
    the address they connect to (sslmode=verify-full)."""
    if not (ca_node.files / f"{ca}.crt").exists():
        ca_node.mmp("pki", "ca", "create", ca, "CN:Convene DB CA")
        shutil.copy(ca_node.files / f"{ca}.crt", ca_node.files / f"{ca}.cer")
    for base, out in ((server, server_file or f"{server}.cer"), (client, client_file or f"{client}.cer")):
        for old in (f"{base}.key", f"{base}.csr"):
            (ca_node.files / old).unlink(missing_ok=True)
        sans = ",".join(sorted({n.address for n in [ca_node, *targets]}))
        ca_node.mmp("pki", "csr", base, f"CN:{base}", *([f"subjectAltName:{sans}"] if base == server else []))
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
    """Seed 004 on `nodes`: the first initializes (the master), the others join it."""
    names = make_certs(nodes[0], nodes)
    for n in nodes:
        n.mmp("database", "cluster", "localnode", "a")
        assert "Certificates updated" in n.mmp("database", "cluster", "certs", *names).stdout
    out = nodes[0].mmp("database", "cluster", "initialize", input="Y\n").stdout
    assert "Please wait..." in out
    for n in nodes[1:]:
        n.mmp("database", "cluster", "join", nodes[0].address, input="Y\n", timeout=90)
    return names


def wait_disabled(node, timeout=30):
    wait_for(lambda: "Status                : Disabled" in status(node), timeout, f"{node.name} to be Disabled")


def postmaster_and_children(node):
    """The node's PostgreSQL processes: the postmaster and its children."""
    pid = _postmaster_pid(node)
    if not pid:
        return []
    pids = [pid]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                pids.append(int(entry))
    return pids


def descendants(pid):
    """Every process below `pid` (children, their children, ...)."""
    kids, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        for c in map(int, children):
            kids.append(c)
            todo.append(c)
    return kids


def machine_processes(node):
    """Every process of the node's "machine": convened, what it started (the call
    bridge, convene-pgguard) and PostgreSQL. SIGSTOP of them all is a frozen VM."""
    return [node.proc.pid] + descendants(node.proc.pid) + postmaster_and_children(node)


def kill_node_hard(node):
    """The machine dies: kill -9 of convened and of its PostgreSQL, all at once."""
    pg = postmaster_and_children(node)
    node.kill()
    for pid in pg:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def is_master(node):
    r = sql(node, "SELECT pg_is_in_recovery()", db="postgres", check=False)
    return r.returncode == 0 and r.stdout.strip() == "f"


def is_slave(node):
    r = sql(node, "SELECT pg_is_in_recovery()", db="postgres", check=False)
    return r.returncode == 0 and r.stdout.strip() == "t"


class FailoverWriter:
    """A client that commits rows continuously on whichever node is master: one
    session at a time; when it breaks, the client looks for the master again (as a
    libpq client with every host listed and target_session_attrs=read-write would)
    and goes on with the next id. Records every acknowledged row with its node and
    time. Bounded: stops after `limit` rows or when told."""

    def __init__(self, nodes, table, limit=200000):
        self.nodes, self.table, self.limit = nodes, table, limit
        self.acked = []  # (id, monotonic time, node index)
        self.failed_attempts = 0
        self.stop_flag = False
        self.current = None
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def _master(self):
        for n in self.nodes:
            if n.proc is not None and n.proc.poll() is None and is_master(n):
                return n
        return None

    def run(self):
        i = 0
        while not self.stop_flag and i < self.limit:
            node = self._master()
            if node is None:
                time.sleep(0.02)  # polling for a master: nothing to await across processes
                continue
            proc = subprocess.Popen([PSQL, "-h", str(node.dir / "state" / "dbrun"), "-U", "postgres", "-d", "convene",
                                     "-X", "-At", "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
            self.current = proc
            try:
                while not self.stop_flag and i < self.limit:
                    i += 1
                    proc.stdin.write(f"INSERT INTO {self.table} VALUES ({i}, clock_timestamp());\n\\echo ack {i}\n")
                    proc.stdin.flush()
                    if not proc.stdout.readline().startswith("INSERT") or proc.stdout.readline().strip() != f"ack {i}":
                        self.failed_attempts += not self.stop_flag  # stop() kills the session: not a failure
                        break
                    self.acked.append((i, time.monotonic(), node.index))
            except (BrokenPipeError, OSError):
                self.failed_attempts += not self.stop_flag
            finally:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
                proc.kill()
                proc.wait()

    def acked_since(self, t, node_index=None):
        return [a for a in self.acked if a[1] > t and (node_index is None or a[2] == node_index)]

    def stop(self):
        self.stop_flag = True
        if self.current is not None:
            self.current.kill()  # a commit that waits forever must not hold the test
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), "the writer did not stop"
