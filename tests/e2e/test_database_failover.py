"""Automatic failover of the database cluster: three convened nodes with
real PostgreSQL 15 on NET.1-3, the agents agreeing on the master through their own
raft group over mutual TLS.

- kill -9 of the master's machine (convened and PostgreSQL) under a continuous
  writer: a standby is promoted (at the first try), every acknowledged row is on it, and the old
  master, restarted, is rewound and follows as an in-sync slave;
- the master cut off from the others (nftables on its PostgreSQL and agent ports):
  it stops accepting writes, the majority promotes a standby, and after the heal
  the old master follows the new one.
"""
import pytest  # noqa: F401

from db_cluster_fixtures import (ADDR, FailoverWriter, build_cluster, db_nodes, is_master, is_slave,  # noqa: F401
                                 kill_node_hard, sql, status_lines)
from harness import wait_for
from partition import Partition

PG_PORT, AGENT_PORT = 5432, 5433


def rows(node, table):
    return {int(x) for x in sql(node, f"SELECT id FROM {table}").stdout.split()}


def new_master(nodes):
    masters = [n for n in nodes if is_master(n)]
    return masters[0] if len(masters) == 1 else None


def test_kill_master_under_writer(db_nodes):
    n1, n2, n3 = (db_nodes(i) for i in (1, 2, 3))
    build_cluster([n1, n2, n3])
    sql(n1, "CREATE TABLE ledger (id int PRIMARY KEY, at timestamptz)")
    writer = FailoverWriter([n1, n2, n3], "ledger")
    try:
        wait_for(lambda: len(writer.acked) >= 50, 30, "rows committed on the first master")
        kill_node_hard(n1)
        wait_for(lambda: new_master([n2, n3]) is not None, 30, "a standby to be promoted")
        survivor = new_master([n2, n3])
        wait_for(lambda: len(writer.acked_since(0, survivor.index)) >= 50, 30, "rows committed on the new master")
    finally:
        writer.stop()
    # The standby was promoted in place: no failed promotion (its PostgreSQL stopped
    # and came back only after crash recovery, seconds without writes).
    log = lambda: (survivor.dir / "logs" / "convened.log").read_text(errors="replace")  # noqa: E731
    wait_for(lambda: "database: promoted to master" in log() or "database: promotion failed" in log(), 30,
             "the new master's agent to log its promotion")
    assert "database: promotion failed" not in log(), \
        [line for line in log().splitlines() if "promot" in line or "started as master" in line]
    acked = {a[0] for a in writer.acked}
    missing = acked - rows(survivor, "ledger")
    assert not missing, f"acknowledged rows lost in the failover: {sorted(missing)[:20]}"
    other = n3 if survivor is n2 else n2
    wait_for(lambda: "  " + ADDR[other.index] + "          : Connected Slave ( In Sync )" in status_lines(survivor), 30,
             "the other standby to follow the new master")
    lines = status_lines(other)
    assert f"Node in use           : {ADDR[survivor.index]}" in lines
    assert any(line.startswith("Failover              : Automatic (agents' group of 3); master since ") and
               line.endswith(f", took over from {ADDR[1]}") for line in lines), lines
    assert f"  {ADDR[1]}          : Unreachable" in lines

    # The old master comes back: rewound onto the new timeline, it follows as a slave.
    n1.start()
    wait_for(lambda: is_slave(n1), 60, "the old master to come back as a slave")
    wait_for(lambda: f"  {ADDR[1]}          : Connected Slave ( In Sync )" in status_lines(survivor), 60,
             "the old master in sync with the new one")
    sql(survivor, "INSERT INTO ledger VALUES (-1, now())")
    wait_for(lambda: -1 in rows(n1, "ledger"), 30, "a new row on the old master")
    assert acked <= rows(n1, "ledger")
    assert f"  {ADDR[1]} (me)     : Connected Slave ( In Sync )" in status_lines(n1)
    assert sql(n1, "INSERT INTO ledger VALUES (-2, now())", check=False).returncode != 0


def test_partitioned_master_stops_accepting_writes(db_nodes):
    n1, n2, n3 = (db_nodes(i) for i in (1, 2, 3))
    build_cluster([n1, n2, n3])
    sql(n1, "CREATE TABLE notes (id int PRIMARY KEY, at timestamptz)")
    sql(n1, "INSERT INTO notes VALUES (1, now())")
    cut = [Partition(ADDR[1], PG_PORT), Partition(ADDR[1], AGENT_PORT)]
    try:
        for p in cut:
            p.cut()
        # The cut-off master fences itself: no session can write there any more.
        wait_for(lambda: sql(n1, "INSERT INTO notes VALUES (2, now())", check=False).returncode != 0 and
                 not is_master(n1), 30, "the cut-off master to stop accepting writes")
        lines = status_lines(n1)
        assert any("Fenced Master" in line for line in lines)
        assert "Failover              : Automatic; this master reaches no majority of the agents: PostgreSQL stopped" \
            in lines
        wait_for(lambda: new_master([n2, n3]) is not None, 30, "the majority to promote a standby")
        survivor = new_master([n2, n3])
        sql(survivor, "INSERT INTO notes VALUES (3, now())")
        assert not is_master(n1)
        assert sum(p.dropped() for p in cut) > 0
    finally:
        for p in cut:
            p.heal()
    wait_for(lambda: is_slave(n1), 60, "the old master to follow the new one after the heal")
    wait_for(lambda: 3 in rows(n1, "notes"), 30, "the new master's row on the old master")
    assert 2 not in rows(survivor, "notes")
    assert [n for n in (n1, n2, n3) if is_master(n)] == [survivor]


def test_master_removed_the_others_elect_a_new_one(db_nodes):
    n1, n2, n3 = (db_nodes(i) for i in (1, 2, 3))
    build_cluster([n1, n2, n3])
    sql(n1, "CREATE TABLE plans (id int PRIMARY KEY)")
    sql(n1, "INSERT INTO plans VALUES (1)")
    out = n1.mmp("database", "cluster", "remove", input="Y\n").stdout
    assert out.rstrip().endswith("Remove started...")
    wait_for(lambda: "Status                : Disabled" in status_lines(n1)[0], 60, "node 1 to leave")
    # The leaving master keeps its data as a standalone database ...
    assert rows(n1, "plans") == {1}
    assert is_master(n1)
    # ... and the two that stay promote one of them; it lists only the two.
    wait_for(lambda: new_master([n2, n3]) is not None, 30, "a new master among the remaining nodes")
    survivor = new_master([n2, n3])
    other = n3 if survivor is n2 else n2
    sql(survivor, "INSERT INTO plans VALUES (2)")
    wait_for(lambda: rows(other, "plans") == {1, 2}, 30, "the row on the other remaining node")
    lines = status_lines(survivor)
    assert f"Node in use           : {ADDR[survivor.index]}" in lines
    assert not any(line.startswith(f"  {ADDR[1]} ") for line in lines)
    assert rows(n1, "plans") == {1}
