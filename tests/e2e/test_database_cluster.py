"""Seed 004 on real PostgreSQL 15: three convened nodes on NET.1-3, each running
its own PostgreSQL (as user postgres, data in DIR/state/db), streaming replication
over mutual TLS with certificates made at test time by `mmp pki`.

PostgreSQL runs as `postgres`, and the tests run as root under pytest's
/tmp/pytest-of-root (mode 0700): the `db_nodes` fixture lets others traverse (o+x,
no listing) the directories above the node directories; convened itself gives the
node directory and DIR/state group postgres g+x.
"""
import shutil
import subprocess
import threading
import time

from db_cluster_fixtures import (ADDR, CERT_FILES, PSQL, build_cluster, db_nodes, make_certs,  # noqa: F401
                                 rollback_backup, snapshot_backup, sql, status, status_lines, wait_disabled)
from harness import NET, assert_threads_documented, snapshot_tree, wait_for


def test_seed_004_as_typed(db_nodes):
    n1, n2, n3 = (db_nodes(i) for i in (1, 2, 3))
    # Before anything: Disabled, no node in use.
    first = status_lines(n3)
    assert first[0] == "Status                : Disabled"
    assert first[1] == "Node in use           : None"

    build_cluster([n1, n2, n3])
    lines = status_lines(n3)
    assert lines[0] == "Status                : Enabled"
    assert f"  {NET}.1          : Connected Master" in lines
    assert f"  {NET}.2          : Connected Slave ( In Sync )" in lines
    assert f"  {NET}.3 (me)     : Connected Slave ( In Sync )" in lines
    assert f"Node in use           : {NET}.1" in lines
    assert "Interface             : a" in lines
    assert f"Last command          : 'database cluster join {NET}.1' (Success)" in lines
    # Each node's threads are the ones the architecture's thread table lists.
    for n in (n1, n2, n3):
        assert_threads_documented(n, "db-agent", "db-lease", "raft-loop", "raft-net")

    # Data written on the master is on both slaves (synchronous replication).
    sql(n1, "CREATE TABLE calls (id int PRIMARY KEY, who text)")
    sql(n1, "INSERT INTO calls SELECT g, 'before' FROM generate_series(1, 100) g")
    for n in (n2, n3):
        wait_for(lambda n=n: sql(n, "SELECT count(*) FROM calls", check=False).stdout.strip() == "100", 10, "rows on slave")
    # A slave refuses writes.
    assert sql(n2, "INSERT INTO calls VALUES (999, 'x')", check=False).returncode != 0

    # Step 1: time passes, the certificates expire (expired certificates of the same
    # names, as the operator finds them); status says "(expired)".
    expired = make_certs(n1, [n1, n2, n3], server="dbclusterserver", client="dbclusterclient",
                         validity=("start:-400", "days:30"))
    assert expired == list(CERT_FILES)
    lines = status_lines(n2)
    assert "  Server Certificate  : dbclusterserver.cer (expired)" in lines
    assert "  Client Certificate  : dbclusterclient.cer (expired)" in lines
    assert "  CA Certificate      : CA.cer" in lines
    assert "  Server Key          : dbclusterserver.key" in lines

    # Step 3: backup snapshot.
    # The passphrase is asked twice (as a secret: not echoed, its prompts end in ": ").
    snap = snapshot_backup(n2, "jaihanuman").stdout
    assert snap.strip() == "Enter backup passphrase: Confirm backup passphrase: jaihanuman.bak ready for download"
    assert (n2.files / "jaihanuman.bak").exists()
    assert "jaihanuman.bak" in n2.mmp("backup", "list").stdout

    # Step 6: remove; a lower-case y does not go on.
    refused = n3.mmp("database", "cluster", "remove", input="y\n", check=False)
    assert refused.returncode == 1
    assert "Status                : Enabled" in status(n3)
    for n in (n3, n2, n1):  # the slaves first, the master last (seed's note)
        out = n.mmp("database", "cluster", "remove", input="Y\n").stdout
        assert "WARNING!!!\nAre you sure you wish to remove this node from the current cluster? (Y/n)" in out
        assert out.rstrip().endswith("Please wait...\nRemove started...")
        wait_disabled(n)
        assert "Last command          : 'database cluster remove' (Success)" in status_lines(n)
    # The removed node keeps its data as a standalone local database.
    assert sql(n3, "SELECT count(*) FROM calls").stdout.strip() == "100"

    # Step 9: new certificate files (new names), then initialize and join again.
    names = make_certs(n1, [n1, n2, n3], server="dbserver2", client="dbclient2", ca="CA", validity=("days:365",))
    for n in (n1, n2, n3):
        assert n.mmp("database", "cluster", "certs", *names).stdout.strip() == "Certificates updated"
    out = n1.mmp("database", "cluster", "initialize", input="Y\n").stdout
    assert ("WARNING!!!\nAre you sure you wish to initialize this node as a new database cluster? (Y/n)\n"
            "The contents of this node's database will become the master version of the database in the new cluster.\n"
            "The callbridge and web administration will restart at the end of this procedure.") in out
    sql(n1, "INSERT INTO calls VALUES (101, 'after')")
    for n in (n2, n3):
        out = n.mmp("database", "cluster", "join", ADDR[1], input="Y\n", timeout=90).stdout
        assert "The contents of this node's database will be destroyed!" in out
        assert "NOTE: This node is already in a cluster." not in out
    lines = status_lines(n3)
    assert f"  {NET}.1          : Connected Master" in lines
    assert f"  {NET}.2          : Connected Slave ( In Sync )" in lines
    assert f"  {NET}.3 (me)     : Connected Slave ( In Sync )" in lines
    assert "  Server Certificate  : dbserver2.cer" in lines
    for n in (n1, n2, n3):
        assert sql(n, "SELECT count(*) FROM calls").stdout.strip() == "101"


class Writer:
    """One client that commits continuously on the master through one session and
    records every acknowledged row."""

    def __init__(self, node, table):
        self.proc = subprocess.Popen([PSQL, "-h", str(node.dir / "state" / "dbrun"), "-U", "postgres", "-d", "convene",
                                      "-X", "-At", "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        self.table, self.acked, self.stop_flag = table, [], False
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        i = 0
        while not self.stop_flag:
            i += 1
            self.proc.stdin.write(f"INSERT INTO {self.table} VALUES ({i}, clock_timestamp());\n\\echo ack {i}\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
            if not line.startswith("INSERT"):
                break
            if self.proc.stdout.readline().strip() != f"ack {i}":
                break
            self.acked.append((i, time.monotonic()))

    def finish(self):
        self.stop_flag = True
        self.thread.join(timeout=30)
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
        return self.proc.stderr.read()


def test_live_rotation_with_a_writer(db_nodes):
    n1, n2, n3 = (db_nodes(i) for i in (1, 2, 3))
    build_cluster([n1, n2, n3])
    sql(n1, "CREATE TABLE w (id int PRIMARY KEY, at timestamptz)")
    writer = Writer(n1, "w")
    time.sleep(3)
    before = len(writer.acked)
    t0 = time.monotonic()
    names = make_certs(n1, [n1, n2, n3], server="rotserver", client="rotclient", ca="CA")
    for n in (n2, n3, n1):
        out = n.mmp("database", "cluster", "certs", *names).stdout
        assert "Certificates updated" in out and "reconnected" in out
    t1 = time.monotonic()
    time.sleep(2)
    errors = writer.finish()
    assert writer.proc.returncode == 0, errors
    acked = [i for i, _ in writer.acked]
    during = [i for i, at in writer.acked if t0 <= at <= t1]
    rate_before = before / 3.0
    rate_during = len(during) / max(t1 - t0, 1e-6)
    print(f"\nFIGURE rotation: {rate_before:.0f} tx/s before, {rate_during:.0f} tx/s during "
          f"({t1 - t0:.2f} s for 3 nodes incl. making certs), {len(acked)} acknowledged, 0 failed")
    # Every acknowledged row is on the master and on both slaves; the slaves use the new certificates.
    for n in (n1, n2, n3):
        wait_for(lambda n=n: sql(n, "SELECT count(*) FROM w", check=False).stdout.strip() == str(len(acked)), 10,
                 f"all rows on {n.name}")
    lines = status_lines(n1)
    assert f"  {NET}.2          : Connected Slave ( In Sync )" in lines, lines
    assert f"  {NET}.3          : Connected Slave ( In Sync )" in lines, lines
    assert "  Client Certificate  : rotclient.cer" in lines
    ssl = sql(n1, "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_replication r USING (pid) "
                  "WHERE s.ssl AND s.client_dn = '/CN=rotclient'", db="postgres").stdout.strip()
    assert ssl == "2"


def test_bad_input_changes_nothing(db_nodes):
    n1, n2 = db_nodes(1), db_nodes(2)
    names = make_certs(n1, [n1, n2])
    n1.mmp("database", "cluster", "localnode", "a")
    assert n1.mmp("database", "cluster", "localnode", "q", check=False).returncode == 1
    # Wrong key for the certificate.
    bad = n1.mmp("database", "cluster", "certs", names[2], names[1], names[2], names[3], names[4], check=False)
    assert bad.returncode == 1 and "does not match server certificate" in bad.stderr, bad.stderr
    # Wrong CA.
    n1.mmp("pki", "ca", "create", "otherca", "CN:Other CA")
    wrong = n1.mmp("database", "cluster", "certs", *names[:4], "otherca.crt", check=False)
    assert wrong.returncode == 1 and "is not usable with CA otherca.crt" in wrong.stderr, wrong.stderr
    # Expired.
    make_certs(n1, [n1], server="old", client="oldc", validity=("start:-400", "days:30"))
    exp = n1.mmp("database", "cluster", "certs", "old.key", "old.cer", "oldc.key", "oldc.cer", "CA.cer", check=False)
    assert exp.returncode == 1 and "ERROR:" in exp.stderr
    # Missing file.
    miss = n1.mmp("database", "cluster", "certs", "nope.key", *names[1:], check=False)
    assert miss.returncode == 1 and "nope.key" in miss.stderr
    assert "  Server Key          : None" in status_lines(n1)

    n1.mmp("database", "cluster", "certs", *names)
    n1.mmp("database", "cluster", "initialize", input="Y\n")
    sql(n1, "CREATE TABLE keep (x int)")
    sql(n1, "INSERT INTO keep VALUES (42)")
    n2.mmp("database", "cluster", "localnode", "a")
    n2.mmp("database", "cluster", "certs", *names)
    n2.mmp("database", "cluster", "join", ADDR[1], input="Y\n", timeout=90)
    # Join to an unreachable address: refused before the question, nothing destroyed.
    before = snapshot_tree(n2.dir / "state" / "db")
    t = time.monotonic()
    r = n2.mmp("database", "cluster", "join", f"{NET}.9", input="Y\n", check=False)
    assert r.returncode == 1 and f"cannot reach a database master at {NET}.9" in r.stderr, r.stderr
    assert "WARNING" not in r.stdout
    assert time.monotonic() - t < 10
    assert sql(n2, "SELECT x FROM keep").stdout.strip() == "42"
    assert f"  {NET}.2 (me)     : Connected Slave ( In Sync )" in status_lines(n2)
    # Join to a slave is refused too.
    r = n1.mmp("database", "cluster", "join", ADDR[2], input="Y\n", check=False)
    assert r.returncode == 1

    # Rollback of a missing and of a corrupt backup: refused, nothing changed.
    r = rollback_backup(n1, "nosuch", check=False)
    assert r.returncode == 1 and "backup 'nosuch.bak' not found" in r.stderr
    snapshot_backup(n1, "good")
    data = bytearray((n1.files / "good.bak").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (n1.files / "bad.bak").write_bytes(bytes(data))
    (n1.files / "foreign.bak").write_bytes(b"PK\x03\x04 not ours")
    files_before = snapshot_tree(n1.files)
    for name in ("bad", "foreign"):
        r = rollback_backup(n1, name, check=False)
        assert r.returncode == 1 and "not a valid Convene backup" in r.stderr, r.stderr
        assert "WARNING" not in r.stdout
    assert snapshot_tree(n1.files) == files_before


def test_backup_rollback_restores_database_and_files(db_nodes):
    n1 = db_nodes(1)
    names = make_certs(n1, [n1])
    n1.mmp("database", "cluster", "localnode", "a")
    n1.mmp("database", "cluster", "certs", *names)
    n1.mmp("database", "cluster", "initialize", input="Y\n")
    sql(n1, "CREATE TABLE t (x int)")
    sql(n1, "INSERT INTO t VALUES (1), (2)")
    (n1.files / "note.txt").write_text("v1")
    assert snapshot_backup(n1, "b1").stdout.strip().endswith(": b1.bak ready for download")
    sql(n1, "INSERT INTO t VALUES (3)")
    sql(n1, "CREATE TABLE later (y int)")
    (n1.files / "note.txt").write_text("v2")
    no = rollback_backup(n1, "b1", answer="n", check=False)
    assert no.returncode == 1
    assert sql(n1, "SELECT count(*) FROM t").stdout.strip() == "3"
    out = rollback_backup(n1, "b1").stdout
    assert "Database restored" in out
    assert sql(n1, "SELECT count(*) FROM t").stdout.strip() == "2"
    assert (n1.files / "note.txt").read_text() == "v1"
    assert "Status                : Enabled" in status(n1)
