"""/metrics and the web admin on nodes with PostgreSQL: the database role and
replication lag (from the agent's replication_state, the values the text status
renders too), and a slow command (this node's PostgreSQL frozen) that holds its
worker but not the listener."""
import os
import re
import signal
import subprocess
import threading

from db_cluster_fixtures import _postmaster_pid, build_cluster, db_nodes, is_slave, sql, status  # noqa: F401
from harness import wait_for
from webadmin_fixtures import enable_webadmin


def metrics(web):
    status_code, _, body = web.api("GET", "/metrics", account="viewer")
    assert status_code == 200, body
    return dict(re.findall(r"^(convene_\S+) (\S+)$", body, re.M))


def test_metrics_give_each_node_its_database_role_and_the_standby_lag(db_nodes):
    a, b = db_nodes(1), db_nodes(2)
    build_cluster([a, b])
    wait_for(lambda: is_slave(b), 60, "node 2 to become a standby")
    web_a, web_b = enable_webadmin(a), enable_webadmin(b)
    # Some WAL for the standby to replay.
    sql(a, "CREATE TABLE IF NOT EXISTS lag_probe (n int); INSERT INTO lag_probe SELECT generate_series(1, 1000)")

    lag = f'convene_database_replication_lag_bytes{{standby="{b.address}"}}'
    wait_for(lambda: lag in metrics(web_a), 30, "the master to report the standby's lag")
    m = metrics(web_a)
    assert m['convene_database_role{role="master"}'] == "1"
    assert m['convene_database_role{role="standby"}'] == "0"
    assert 0 <= float(m[lag]) < 16 * 1024 * 1024
    # Once the standby has replayed what it was sent, the master says so.
    wait_for(lambda: float(metrics(web_a)[lag]) == 0, 30, "the standby to catch up")

    m = metrics(web_b)
    assert m['convene_database_role{role="standby"}'] == "1"
    assert m['convene_database_role{role="master"}'] == "0"
    assert float(m["convene_database_replay_backlog_bytes"]) >= 0
    assert lag not in m  # a standby has no standbys of its own

    # The text status renders the same values.
    assert re.search(rf"^Replication lag\s+: {re.escape(b.address)} \d+ bytes, ", status(a), re.M), status(a)
    assert re.search(r"^Replication\s+: standby, replay backlog \d+ bytes", status(b), re.M), status(b)


def pending_connections(socket_dir):
    """Connections waiting in the accept queue of the PostgreSQL socket in `socket_dir`."""
    out = subprocess.run(["ss", "-xlnH"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if str(socket_dir) in line and ".s.PGSQL." in line and not line.rstrip().endswith(".lock"):
            return int(line.split()[2])  # Netid State Recv-Q ...: for a listener, Recv-Q is its backlog
    return 0


def test_a_request_waiting_on_a_frozen_database_holds_its_worker_not_the_listener(db_nodes):
    a = db_nodes(1)
    build_cluster([a])
    web = enable_webadmin(a)
    pid = _postmaster_pid(a)
    assert pid
    socket_dir = a.dir / "state" / "dbrun"
    answered = {}

    def slow():
        answered["metrics"] = web.api("GET", "/metrics", account="viewer")[0]

    os.kill(pid, signal.SIGSTOP)
    try:
        t = threading.Thread(target=slow)
        t.start()
        # /metrics is inside its handler once its connection waits on the frozen postmaster.
        wait_for(lambda: pending_connections(socket_dir) > 0, 10, "/metrics to wait on PostgreSQL")
        # Another request is answered while that one still waits.
        assert web.request("GET", "/login")[0] == 200
        assert web.api("GET", "/api/v1/system/status")[0] == 200
        assert t.is_alive() and "metrics" not in answered
    finally:
        os.kill(pid, signal.SIGCONT)
    t.join(30)
    assert answered.get("metrics") == 200
