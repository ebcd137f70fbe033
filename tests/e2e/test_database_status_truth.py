"""`database cluster status` says what each node sees now: a slave's line comes from
its own walreceiver (pg_stat_wal_receiver) and the master's walsender
(pg_stat_replication), so the master and the slave agree on whether the slave is
connected, also when the agents cannot reach each other. And the staged change of
the database cluster's CA (old+new bundle, new certificates, new CA alone) under a
writer: no committed row lost, status true at every step.

Real PostgreSQL over mutual TLS on NET.1-3; the breakage is real (a slave's trust
file replaced behind the agent's back, so PostgreSQL refuses its connection);
waits are bounded polls."""
import os
import shutil
import subprocess
import time

from db_cluster_fixtures import (PSQL, FailoverWriter, build_cluster, db_nodes, is_master, make_certs,  # noqa: F401
                                 sql, status_lines)
from harness import NET, wait_for


def node_line(node, address):
    """The state word of `address`'s line in `node`'s status ("" when no line)."""
    for line in status_lines(node):
        head, _, state = line.partition(": ")
        if head.strip() in (address, f"{address} (me)"):
            return state
    return ""


def all_in_sync(nodes, master):
    """Every node's status shows `master` as Connected Master and every other member
    Connected Slave ( In Sync )."""
    for n in nodes:
        for m in nodes:
            want = "Connected Master" if m is master else "Connected Slave ( In Sync )"
            if node_line(n, m.address) != want:
                return False
    return True


def status_of(nodes):
    return "\n\n".join(f"{n.name}:\n" + "\n".join(status_lines(n)) for n in nodes)


def wait_all_in_sync(nodes, master, timeout=60):
    wait_for(lambda: all_in_sync(nodes, master), timeout, "every node in sync on every status\n" + status_of(nodes))


def replace_file(path, content):
    """Replaces `path` by rename, keeping its owner and mode (postgres reads it)."""
    st = os.stat(path)
    tmp = path.with_name(path.name + ".swap")
    tmp.write_bytes(content)
    os.chown(tmp, st.st_uid, st.st_gid)
    os.chmod(tmp, st.st_mode & 0o777)
    os.rename(tmp, path)


def receiver_streaming(node):
    """The slave's own PostgreSQL: is its walreceiver streaming?"""
    r = sql(node, "SELECT status FROM pg_stat_wal_receiver", db="postgres", check=False)
    return r.returncode == 0 and r.stdout.strip() == "streaming"


def test_master_and_slave_agree_on_a_slave_whose_replication_is_refused(db_nodes):
    n1, n2, n3 = nodes = [db_nodes(i) for i in (1, 2, 3)]
    build_cluster(nodes)
    wait_all_in_sync(nodes, n1)

    # Behind the agent's back, node 2 trusts a stranger CA: its agent can no longer
    # verify any member (its queries to the master fail), while its walreceiver
    # keeps the session it opened with the right CA.
    n1.mmp("pki", "ca", "create", "Stranger", "CN:Stranger CA")
    trust = n2.dir / "state" / "dbcerts" / "ca.crt"
    good = trust.read_bytes()
    replace_file(trust, (n1.files / "Stranger.crt").read_bytes())
    assert receiver_streaming(n2)
    # The issue's disagreement: the slave said "Disconnected Slave (master
    # unreachable)" while the master listed it as connected. Now both say what
    # PostgreSQL sees: the slave still streams.
    wait_for(lambda: node_line(n2, n2.address).startswith("Connected Slave (sync state unknown: master "
                                                          f"{n1.address} unreachable"), 15,
             "node2 to see its own streaming\n" + status_of([n2]))
    assert node_line(n1, n2.address) == "Connected Slave ( In Sync )", status_of([n1])
    assert node_line(n3, n2.address) == "Connected Slave ( In Sync )", status_of([n3])

    # The replication session is cut; PostgreSQL refuses node 2's new one (it does
    # not verify the master's certificate). Every status says node 2 is not connected.
    sql(n1, f"SELECT pg_terminate_backend(pid) FROM pg_stat_replication WHERE application_name = '{n2.address}'",
        db="postgres")

    def disconnected_everywhere():
        return (not receiver_streaming(n2)
                and node_line(n2, n2.address) == "Disconnected Slave (master unreachable)"
                and node_line(n1, n2.address).startswith("Disconnected Slave (")
                and node_line(n3, n2.address).startswith("Disconnected Slave ("))
    wait_for(disconnected_everywhere, 30, "node2 disconnected on every status\n" + status_of(nodes))
    # What was not broken stays connected, seen from the nodes that can see it.
    for n in (n1, n3):
        assert node_line(n, n1.address) == "Connected Master", status_of([n])
        assert node_line(n, n3.address) == "Connected Slave ( In Sync )", status_of([n])
    # Node 2 reaches no member: it says so rather than guess what they see.
    assert node_line(n2, n1.address) == "Unreachable", status_of([n2])
    assert node_line(n2, n3.address).startswith(f"unknown: master {n1.address} unreachable ("), status_of([n2])

    # Repair: the right trust file again; the walreceiver reconnects by itself.
    replace_file(trust, good)
    wait_all_in_sync(nodes, n1)
    assert receiver_streaming(n2)


def tls_probe(node, target, cert, key, root):
    """A client connection to `target`'s PostgreSQL as the agents make it, with the
    given files: the return code of psql and its error."""
    conninfo = (f"host={target.address} port=5432 user=convene_agent dbname=postgres sslmode=verify-full "
                f"sslcert={node.files / cert} sslkey={node.files / key} sslrootcert={node.files / root} "
                "connect_timeout=5")
    r = subprocess.run([PSQL, conninfo, "-X", "-At", "-c", "SELECT 1"], capture_output=True, text=True, timeout=30)
    return r.returncode, r.stderr


def test_staged_ca_change_under_a_writer(db_nodes):
    n1, n2, n3 = nodes = [db_nodes(i) for i in (1, 2, 3)]
    old = build_cluster(nodes)  # dbclusterserver.key/.cer, dbclusterclient.key/.cer, CA.cer
    wait_all_in_sync(nodes, n1)
    # Old files kept aside to show at the end that the old CA no longer opens a door.
    for name in old:
        shutil.copy(n1.files / name, n1.files / f"old-{name}")
    os.chmod(n1.files / "old-dbclusterclient.key", 0o600)
    sql(n1, "CREATE TABLE ca_change (id int PRIMARY KEY, at timestamptz)")
    writer = FailoverWriter(nodes, "ca_change")
    try:
        def certs_everywhere(*names):
            for n in nodes:
                t0, rows0 = time.monotonic(), len(writer.acked)
                out = n.mmp("database", "cluster", "certs", *names).stdout
                assert "Certificates updated" in out and "replication reconnected" in out, out
                wait_all_in_sync(nodes, n1)
                # The status agrees with PostgreSQL: the master streams to both slaves.
                assert sql(n1, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'",
                           db="postgres").stdout.strip() == "2"
                print(f"certs {names[1]} {names[-1]} on {n.name}: back in sync after {time.monotonic() - t0:.2f} s, "
                      f"{len(writer.acked) - rows0} rows committed meanwhile")
                # The writer goes on committing after each node's change.
                count = len(writer.acked)
                wait_for(lambda: len(writer.acked) > count + 10, 30, "the writer to commit")

        # Step 1: every node trusts old and new CA (a bundle), same certificates.
        n1.mmp("pki", "ca", "create", "NewCA", "CN:Convene DB CA 2")
        bundle = (n1.files / "CA.cer").read_bytes() + (n1.files / "NewCA.crt").read_bytes()
        for n in nodes:
            (n.files / "CAbundle.cer").write_bytes(bundle)
        certs_everywhere("dbclusterserver.key", "dbclusterserver.cer", "dbclusterclient.key", "dbclusterclient.cer",
                         "CAbundle.cer")
        # Step 2: certificates of the new CA on every node (the same CN: the members
        # admit their peers by it), still trusting both.
        shutil.copy(n1.files / "NewCA.crt", n1.files / "NewCA.cer")
        make_certs(n1, nodes, ca="NewCA", server_file="newserver.cer", client_file="newclient.cer")
        new = ["dbclusterserver.key", "newserver.cer", "dbclusterclient.key", "newclient.cer"]
        certs_everywhere(*new, "CAbundle.cer")
        # Step 3: the new CA alone.
        certs_everywhere(*new, "NewCA.cer")
    finally:
        writer.stop()

    # Every acknowledged row is on the master and on both slaves.
    acked = {a[0] for a in writer.acked}
    assert len(acked) > 30
    master = next(n for n in nodes if is_master(n))
    assert master is n1
    rows = {int(x) for x in sql(n1, "SELECT id FROM ca_change").stdout.split()}
    assert acked <= rows, sorted(acked - rows)[:10]
    for n in (n2, n3):
        wait_for(lambda n=n: sql(n, "SELECT count(*) FROM ca_change").stdout.strip() == str(len(rows)), 30,
                 f"{n.name} to hold every row")
    assert writer.failed_attempts == 0
    print(f"{len(acked)} rows committed during the CA change, {writer.failed_attempts} failed attempts")

    # The new CA alone is in force: a client of the old CA is refused, the new one admitted.
    os.chmod(n1.files / "dbclusterclient.key", 0o600)
    for target in nodes:
        rc, err = tls_probe(n1, target, "newclient.cer", "dbclusterclient.key", "NewCA.cer")
        assert rc == 0, err
        rc, err = tls_probe(n1, target, "old-dbclusterclient.cer", "old-dbclusterclient.key", "NewCA.cer")
        assert rc != 0 and ("unknown ca" in err or "certificate verify failed" in err), err
        rc, err = tls_probe(n1, target, "newclient.cer", "dbclusterclient.key", "old-CA.cer")
        assert rc != 0 and "certificate verify failed" in err, err
