"""Fencing that does not depend on the agent being alive: each node's PostgreSQL
runs under convene-pgguard on a lease its agent renews (dbcluster/postgres_lease.h).

- kill -9 of the master's convened alone (its PostgreSQL left running, as after a
  crash of the daemon): the guard stops PostgreSQL, and a writer with the
  documented connection settings (every member, the old master first,
  target_session_attrs=read-write, connect_timeout, keepalives, tcp_user_timeout;
  a fresh connection per retry) commits on the new master;
- SIGSTOP of the master's convened: its lease runs out and PostgreSQL stops; after
  SIGCONT the node follows the new master as a standby with every committed row;
- the master's node cut off by nftables: its agent loses the majority and its
  PostgreSQL stops; writers with the documented settings, also one that keeps its
  session to the silent old master, commit on the new master; healed, the old
  master follows with every acknowledged row.
"""
import os
import signal
import subprocess
import threading
import time

from db_cluster_fixtures import (ADDR, PSQL, _postmaster_pid, _wait_postmaster_gone, build_cluster,  # noqa: F401
                                 db_nodes, is_master, is_slave, sql, status_lines)
from harness import wait_for
from partition import Partition
from test_database_security import single_master


def documented_conninfo(client_node, hosts):
    """README's connection string for writers (the one the call bridge is given)."""
    certs = client_node.dir / "state" / "dbcerts"
    return (f"host={','.join(hosts)} port=5432 user=callbridge dbname=convene sslmode=verify-full "
            f"sslcert={certs / 'client.crt'} sslkey={certs / 'client.key'} sslrootcert={certs / 'ca.crt'} "
            "target_session_attrs=read-write connect_timeout=2 keepalives_idle=1 keepalives_interval=1 "
            "keepalives_count=2 tcp_user_timeout=1000")


class SessionWriter:
    """Like DocumentedWriter, but keeps one libpq session (a psql reading its
    statements from a pipe) for as long as it works, as the call bridge does: its
    session to a master cut off by the network is only ended by the documented
    keepalives and tcp_user_timeout. On any failure psql exits (ON_ERROR_STOP), and a
    new one connects (every host, read-write only). Records (id, server address,
    end) per acknowledged row and each attempt's duration, a new session's connection
    included. Bounded: at most 100000 rows; stop() ends a hung psql by its pid."""

    def __init__(self, conninfo, table):
        self.conninfo, self.table = conninfo, table
        self.acked, self.durations, self.sessions = [], [], 0
        self.stop_flag = False
        self.proc = None
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        i = 0
        while not self.stop_flag and i < 100000:
            if self.proc is None:
                self.sessions += 1
                # -q: only the returned row, no "INSERT 0 1" status line after it
                self.proc = subprocess.Popen([PSQL, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", self.conninfo],
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=subprocess.DEVNULL, text=True, bufsize=1)
            i += 1
            t0 = time.monotonic()
            try:
                self.proc.stdin.write(f"INSERT INTO {self.table} VALUES ({i}) "
                                      "RETURNING id || ' ' || host(inet_server_addr());\n")
                self.proc.stdin.flush()
                line = self.proc.stdout.readline().split()
            except (BrokenPipeError, ValueError, OSError):
                line = []
            t1 = time.monotonic()
            self.durations.append(t1 - t0)
            if len(line) == 2 and line[0] == str(i):
                self.acked.append((i, line[1], t1))
            else:  # the session broke (psql exited): a fresh one next time
                self._end_session()

    def _end_session(self):
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.kill()  # by its pid, which this writer started
        proc.wait(timeout=30)
        for f in (proc.stdin, proc.stdout):
            try:
                f.close()
            except OSError:
                pass

    def on(self, address):
        return [a for a in self.acked if a[1] == address]

    def stop(self):
        self.stop_flag = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # a session hung on a silent server must not hold the stop
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), "the session writer did not stop"
        self._end_session()


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


CUT_PORTS = (5224, 5432, 5433)  # the XMPP cluster's, PostgreSQL's and the agents' group's


def test_partition_of_the_master_fences_it_and_writers_move_on(db_nodes):
    """The master's node cut off by the network (nftables, both ways): its agent
    reaches no majority, so its PostgreSQL stops; writers with the documented
    settings, one with a fresh connection per row and one keeping its session (whose
    server went silent under it: only keepalives and tcp_user_timeout end it), commit
    on the new master while the cut lasts. Healed, the old master follows as a standby
    with every acknowledged row."""
    n1, n2, n3 = (db_nodes(i) for i in (1, 2, 3))
    build_cluster([n1, n2, n3])
    for table in ("cut_fresh", "cut_session"):
        sql(n1, f"CREATE TABLE {table} (id int PRIMARY KEY)")
        sql(n1, f"GRANT INSERT, SELECT ON {table} TO callbridge")
    conninfo = documented_conninfo(n2, [ADDR[1], ADDR[2], ADDR[3]])  # the old master first: the worst order
    fresh, session = DocumentedWriter(conninfo, "cut_fresh"), SessionWriter(conninfo, "cut_session")
    cuts = [Partition(ADDR[1], port) for port in CUT_PORTS]
    try:
        wait_for(lambda: len(fresh.on(ADDR[1])) >= 5 and len(session.on(ADDR[1])) >= 5, 60,
                 "rows committed on the first master")
        assert session.sessions == 1, "the session writer did not keep its session"
        for cut in cuts:
            cut.cut()
        assert _wait_postmaster_gone(n1, 30), "the cut-off master's PostgreSQL still runs"
        assert sql(n1, "INSERT INTO cut_fresh VALUES (-1)", check=False).returncode != 0
        wait_for(lambda: new_master([n2, n3]) is not None, 30, "a standby to be promoted")
        survivor = new_master([n2, n3])
        wait_for(lambda: len(fresh.on(ADDR[survivor.index])) >= 3, 60,
                 "the fresh-connection writer's commits on the new master")
        wait_for(lambda: len(session.on(ADDR[survivor.index])) >= 3, 60,
                 "the session writer's commits on the new master (its session to the cut-off master ended)")
        assert session.sessions > 1
        assert not is_master(n1)
        assert sum(cut.dropped() for cut in cuts) > 0, "the partition dropped nothing"
    finally:
        for cut in cuts:
            cut.heal()
        fresh.stop()
        session.stop()
    wait_for(lambda: is_slave(n1), 60, "the old master to come back as a standby after the heal")
    wait_for(lambda: f"  {ADDR[1]}          : Connected Slave ( In Sync )" in status_lines(survivor), 60,
             "the old master in sync with the new one")
    for writer, table in ((fresh, "cut_fresh"), (session, "cut_session")):
        acked = {a[0] for a in writer.acked}
        assert acked <= ids(survivor, table), f"acknowledged rows lost in {table}"
        wait_for(lambda: acked <= ids(n1, table), 30, f"every acknowledged row of {table} on the old master")
    assert [n for n in (n1, n2, n3) if is_master(n)] == [survivor]


def test_kill_9_of_the_postmaster_is_recovered_in_place(db_nodes):
    """PostgreSQL itself crashes (kill -9 of the postmaster) under a live agent: the
    guard starts it again, crash recovery syncs the data directory in one syncfs()
    (not file by file, which kept writes waiting for seconds), and every committed
    row is there."""
    n1 = db_nodes(1)
    single_master(n1)
    sql(n1, "CREATE TABLE crashed (x int); INSERT INTO crashed VALUES (1), (2)")
    assert sql(n1, "SHOW recovery_init_sync_method", db="postgres").stdout.strip() == "syncfs"
    postmaster = _postmaster_pid(n1)
    assert postmaster
    os.kill(postmaster, signal.SIGKILL)
    wait_for(lambda: (_postmaster_pid(n1) or postmaster) != postmaster
             and sql(n1, "INSERT INTO crashed VALUES (3)", check=False).returncode == 0, 60,
             "writes on the restarted PostgreSQL")
    assert sql(n1, "SELECT x FROM crashed ORDER BY x").stdout.split() == ["1", "2", "3"]
