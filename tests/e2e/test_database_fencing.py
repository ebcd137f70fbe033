"""Fencing that does not depend on the agent being alive: each node's PostgreSQL
runs under convene-pgguard on a lease its agent renews (dbcluster/postgres_lease.h).

- kill -9 of the master's convened alone (its PostgreSQL left running, as after a
  crash of the daemon): the guard stops PostgreSQL, and a writer with the
  documented connection settings (every member, the old master first,
  target_session_attrs=read-write, connect_timeout, keepalives, tcp_user_timeout;
  a fresh connection per retry) commits on the new master;
- SIGSTOP of the master's convened: its lease runs out and PostgreSQL stops; after
  SIGCONT the node follows the new master as a standby with every committed row.
"""
import signal
import subprocess
import threading
import time

from db_cluster_fixtures import (ADDR, PSQL, _postmaster_pid, _wait_postmaster_gone, build_cluster,  # noqa: F401
                                 db_nodes, is_master, is_slave, sql, status_lines)
from harness import wait_for


def documented_conninfo(client_node, hosts):
    """README's connection string for writers (the one the call bridge is given)."""
    certs = client_node.dir / "state" / "dbcerts"
    return (f"host={','.join(hosts)} port=5432 user=callbridge dbname=convene sslmode=verify-full "
            f"sslcert={certs / 'client.crt'} sslkey={certs / 'client.key'} sslrootcert={certs / 'ca.crt'} "
            "target_session_attrs=read-write connect_timeout=2 keepalives_idle=5 keepalives_interval=2 "
            "keepalives_count=3 tcp_user_timeout=5000")


class DocumentedWriter:
    """Commits one row per attempt with psql (libpq) on a fresh connection with the
    documented settings, retrying after any failure, as README tells writers to.
    Records (id, server address, attempt's end) per acknowledged row and each
    attempt's duration. Bounded: every attempt has a subprocess time bound."""

    def __init__(self, conninfo, table):
        self.conninfo, self.table = conninfo, table
        self.acked, self.durations = [], []
        self.stop_flag = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        i = 0
        while not self.stop_flag and i < 100000:
            i += 1
            t0 = time.monotonic()
            try:
                r = subprocess.run([PSQL, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", self.conninfo, "-c",
                                    f"INSERT INTO {self.table} VALUES ({i}) RETURNING host(inet_server_addr())"],
                                   capture_output=True, text=True, timeout=120)
                ok = r.returncode == 0
            except subprocess.TimeoutExpired:
                ok = False
            t1 = time.monotonic()
            self.durations.append(t1 - t0)
            if ok:
                self.acked.append((i, r.stdout.split()[0], t1))

    def on(self, address):
        return [a for a in self.acked if a[1] == address]

    def stop(self):
        self.stop_flag = True
        self.thread.join(timeout=150)
        assert not self.thread.is_alive(), "the writer did not stop"


def ids(node, table):
    return {int(x) for x in sql(node, f"SELECT id FROM {table}").stdout.split()}


def new_master(nodes):
    masters = [n for n in nodes if is_master(n)]
    return masters[0] if len(masters) == 1 else None


def start_cluster_with_writer(db_nodes, table):
    n1, n2, n3 = (db_nodes(i) for i in (1, 2, 3))
    build_cluster([n1, n2, n3])
    sql(n1, f"CREATE TABLE {table} (id int PRIMARY KEY)")
    sql(n1, f"GRANT INSERT, SELECT ON {table} TO callbridge")
    writer = DocumentedWriter(documented_conninfo(n2, [ADDR[1], ADDR[2], ADDR[3]]), table)
    wait_for(lambda: len(writer.on(ADDR[1])) >= 5, 60, "rows committed on the first master")
    return n1, n2, n3, writer


def test_kill_9_of_the_masters_convened_stops_its_postgresql(db_nodes):
    n1, n2, n3, writer = start_cluster_with_writer(db_nodes, "fenced_kill")
    try:
        postmaster = _postmaster_pid(n1)
        assert postmaster, "the master runs PostgreSQL"
        n1.kill()  # convened only: its PostgreSQL is left to the guard
        assert _wait_postmaster_gone(n1, 30), "the dead agent's PostgreSQL still runs"
        assert sql(n1, "INSERT INTO fenced_kill VALUES (-1)", check=False).returncode != 0
        wait_for(lambda: new_master([n2, n3]) is not None, 30, "a standby to be promoted")
        survivor = new_master([n2, n3])
        wait_for(lambda: len(writer.on(ADDR[survivor.index])) >= 5, 60,
                 "the documented writer's commits on the new master")
    finally:
        writer.stop()
    acked = {a[0] for a in writer.acked}
    assert acked <= ids(survivor, "fenced_kill"), "acknowledged rows lost"
    # Restarted, the old master finds its PostgreSQL stopped and follows the new master.
    n1.start()
    wait_for(lambda: is_slave(n1), 60, "the old master to come back as a standby")
    wait_for(lambda: acked <= ids(n1, "fenced_kill"), 30, "every acknowledged row on the old master")


def test_sigstop_of_the_masters_convened_stops_its_postgresql(db_nodes):
    n1, n2, n3, writer = start_cluster_with_writer(db_nodes, "fenced_stop")
    stopped = False
    try:
        n1.signal(signal.SIGSTOP)
        stopped = True
        assert _wait_postmaster_gone(n1, 30), "a stalled agent's PostgreSQL still runs"
        wait_for(lambda: new_master([n2, n3]) is not None, 30, "a standby to be promoted")
        survivor = new_master([n2, n3])
        wait_for(lambda: len(writer.on(ADDR[survivor.index])) >= 5, 60,
                 "the documented writer's commits on the new master")
        log = n1.dir / "logs" / "convened.log"
        seen = log.stat().st_size
        n1.signal(signal.SIGCONT)
        stopped = False
        wait_for(lambda: is_slave(n1), 60, "the stalled master to come back as a standby")
        # Back from the stall, its copy of the record still names it master: it must
        # read the record again rather than start PostgreSQL as a second master.
        with open(log, errors="replace") as f:
            f.seek(seen)
            assert "PostgreSQL started as master" not in f.read(), "the stalled master started PostgreSQL again"

        wait_for(lambda: f"  {ADDR[1]}          : Connected Slave ( In Sync )" in status_lines(survivor), 60,
                 "the old master in sync with the new one")
    finally:
        if stopped:
            n1.signal(signal.SIGCONT)
        writer.stop()
    acked = {a[0] for a in writer.acked}
    assert acked <= ids(survivor, "fenced_stop"), "acknowledged rows lost"
    wait_for(lambda: acked <= ids(n1, "fenced_stop"), 30, "every acknowledged row on the old master")
