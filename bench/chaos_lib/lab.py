"""The chaos benchmark's lab: three convened on NET.1-3 (tests/e2e harness), the XMPP
cluster in seed 000's order, the database cluster in seed 004's order, and the
call bridge run by one node's convened, finding the XMPP nodes through DNS SRV
(a real dnsmasq), its spaces in the database cluster."""
import os
import re
import shutil

from db_cluster_fixtures import build_cluster as build_db, is_master, sql, status as db_status, stop_nodes
from dnsmasq_helper import Dnsmasq
from harness import Node, wait_for
from test_callbridge import srv_records
from xmpp_cluster_fixtures import ADDR, build_cluster as build_xmpp, cluster_view, peers_of
from xmpp_fixtures import DOMAIN

class Lab:
    def __init__(self, base, bridge_node=1, log_level="warn"):
        self.base = base
        self.extra = ("--log-level", log_level)
        self.indexes = [1, 2, 3]
        self.nodes = {i: Node(base, i) for i in self.indexes}
        self.bridge_node = bridge_node
        self.dns = None

    def address(self, i):
        return self.nodes[i].address

    @property
    def cert(self):
        return self.nodes[1].files / "abhiall.crt"

    def start_node(self, i):
        self.nodes[i].start(*self.extra)

    def build(self, users):
        for i in self.indexes:
            self.start_node(i)
        secrets = build_xmpp(self.nodes)
        (self.nodes[1].files / "users.txt").write_text("".join(f"{u}:secret\n" for u in users))
        self.nodes[1].mmp("xmpp", "user", "import", "users.txt")
        for n in self.nodes.values():
            wait_for(lambda: f"{users[-1]}@" in n.mmp("xmpp", "user", "list").stdout, 30, f"users on {n.name}")
        build_db(list(self.nodes.values()))
        master = self.master()
        sql(master, "CREATE TABLE chaos_ledger (id int PRIMARY KEY, at timestamptz); "
                    "GRANT SELECT, INSERT ON chaos_ledger TO callbridge")
        self.dns = Dnsmasq(self.base / "dns", srv_records(self.indexes)).start()
        b = self.nodes[self.bridge_node]
        b.mmp("callbridge", "name", "cb1")
        b.mmp("callbridge", "domain", DOMAIN)
        b.mmp("callbridge", "dns", self.dns.server)
        b.mmp("callbridge", "secret", input=secrets["cb1"] + "\n")
        b.mmp("callbridge", "enable")
        wait_for(lambda: self.bridge_connected(), 60, "the call bridge connected\n" + self.bridge_status())
        # The space exists (configured, unlocked) before its occupants join: a space a
        # client creates by joining stays locked until its owner configures it (XEP-0045).
        b.mmp("callbridge", "space", "add", "chaos")
        wait_for(lambda: re.search(r"^Spaces\s*: [1-9]", self.bridge_status(), re.M), 30,
                 "the call bridge serving space chaos\n" + self.bridge_status())

    def conninfo(self):
        """The writer's: every node, read-write only, the cluster's client certificate,
        README's timeouts."""
        files = self.nodes[1].files
        key = self.base / "writer.key"
        shutil.copy(files / "dbclusterclient.key", key)
        os.chmod(key, 0o600)
        hosts = ",".join(self.address(i) for i in self.indexes)
        return (f"host={hosts} port=5432 user=callbridge dbname=convene sslmode=verify-full "
                f"sslrootcert={files / 'CA.cer'} sslcert={files / 'dbclusterclient.cer'} sslkey={key} "
                "target_session_attrs=read-write connect_timeout=2 keepalives=1 keepalives_idle=1 "
                "keepalives_interval=1 keepalives_count=2 tcp_user_timeout=1000 application_name=chaos-writer")

    def alive(self, i):
        p = self.nodes[i].proc
        return p is not None and p.poll() is None

    def master(self):
        masters = [n for i, n in self.nodes.items() if self.alive(i) and is_master(n)]
        return masters[0] if len(masters) == 1 else None

    def masters(self):
        return [i for i, n in self.nodes.items() if is_master(n)]

    def bridge_status(self):
        if not self.alive(self.bridge_node):
            return ""
        return self.nodes[self.bridge_node].mmp("callbridge", "status", check=False, timeout=10).stdout

    def bridge_connected(self):
        return bool(re.search(r"^Connection\s*: connected to", self.bridge_status(), re.M))

    def bridge_pid(self, i):
        m = re.search(r"^Process\s*: pid (\d+)", self.bridge_status() if i == self.bridge_node else "", re.M)
        return int(m.group(1)) if m else None

    def roles(self, i):
        """What node i is right now, for the fault log."""
        n, out = self.nodes[i], []
        if not self.alive(i):
            return "down"
        state = peers_of(n)[0]
        out.append(f"xmpp {state}")
        out.append("db master" if is_master(n) else "db slave")
        if i == self.bridge_node:
            out.append("bridge")
        return ", ".join(out)

    def unsettled(self):
        """'' when every node is up, the XMPP cluster whole, one database master with
        two in-sync slaves and the call bridge connected; else what is missing."""
        for i in self.indexes:
            if not self.alive(i):
                return f"node{i} down"
        for n in self.nodes.values():
            try:
                if not cluster_view(n, ADDR.values()):
                    return f"{n.name}: xmpp cluster not whole"
            except Exception as e:  # an mmp that timed out
                return f"{n.name}: {e}"
        m = self.master()
        if m is None:
            return "no single database master"
        try:
            st = db_status(m)
        except Exception as e:
            return f"database status: {e}"
        if st.count("Connected Slave ( In Sync )") != 2:
            return "database slaves not in sync"
        if not self.bridge_connected():
            return "call bridge not connected"
        return ""

    def stop(self):
        stop_nodes(list(self.nodes.values()))
        if self.dns:
            self.dns.stop()
