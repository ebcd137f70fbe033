"""The three servers bench/compare runs, each set up the same way: one virtual host
(bench.test), the same users (user0..userN-1, one password) made before the runs,
plain TCP allowed with SASL PLAIN and STARTTLS offered (self-signed certificate),
listen backlog 1024, loopback only, no extra modules (roster, disco, ping, and a MUC
service for the space scenario: Convene's call bridge cb1 with space room1, Prosody's
and ejabberd's mod_muc on rooms.bench.test, no history, rooms made by their first
occupant), logs at warning. Passwords: for the plain TCP + PLAIN runs Prosody and ejabberd
keep them in plain text (internal_plain; auth_password_format: plain — ejabberd's
default), so a PLAIN login costs them no key derivation, as in the issue's reference
figures; Convene stores only SCRAM keys and caches a PLAIN verifier per user after the
first login (bench/compare reports first and repeat logins apart; the repeat ones compare
like with like). For the
STARTTLS + SCRAM runs all three store SCRAM keys (internal_hashed; scram). Each runs as its own account where it insists (Prosody
refuses root; ejabberd is started as `ejabberd` with setpriv so it keeps the open-file
limit, which `ejabberdctl` as root would lose through `su`), pinned with taskset.
Every process is stopped by its pid."""
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from .registrar import register_users

DOMAIN = "bench.test"
PORT = 5222
# XMPP over WebSocket (--websocket): each server's HTTPS listener, same port and path.
WS_PORT = 5443
WS_PATH = "/xmpp-websocket"


def wait_port(host, timeout=60, port=PORT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{host}:{port} did not open within {timeout}s")


def self_signed(directory):
    key, crt = directory / "bench.key", directory / "bench.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(crt),
                    "-days", "30", "-subj", f"/CN={DOMAIN}", "-addext", f"subjectAltName=DNS:{DOMAIN}"],
                   check=True, capture_output=True)
    return key, crt


def chown_tree(path, user):
    pw = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, pw.pw_uid, pw.pw_gid)
        for f in files:
            os.chown(os.path.join(root, f), pw.pw_uid, pw.pw_gid)


def stop_pid(pid, timeout=20):
    if not pid:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


class Convene:
    label = "convene"
    room = f"room1@cb1.{DOMAIN}"  # a space of the call bridge cb1 (convene-callbridge, run by convened)

    def __init__(self, work, build, host, tls=False, name="convene", websocket=False):
        self.dir, self.build, self.host, self.websocket = work / name, Path(build), host, websocket
        self.proc = None

    def mmp(self, *args):
        done = subprocess.run([str(self.build / "apps" / "mmp"), "--node", str(self.dir / "node"), *args],
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"mmp {' '.join(args)} failed ({done.returncode}): {done.stdout}{done.stderr}")

    def _start(self, cpu=None):
        log = open(self.dir / "convened.out", "ab")
        cmd = [str(self.build / "apps" / "convened"), "--dir", str(self.dir / "node"), "--iface", f"a={self.host}",
               "--name", "bench", "--log-level", "warn"]
        self.proc = subprocess.Popen((["taskset", "-c", str(cpu)] if cpu is not None else []) + cmd,
                                     stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not (self.dir / "node" / "mmp.sock").exists():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("convened did not start; see " + str(self.dir / "convened.out"))
            time.sleep(0.05)

    def setup(self, users, password):
        (self.dir / "node").mkdir(parents=True, exist_ok=True)
        self._start()
        self.mmp("xmpp", "domain", DOMAIN)
        self.mmp("xmpp", "listen", "a")
        self.mmp("pki", "selfsigned", "bench", f"CN:{DOMAIN}", f"subjectAltName:{DOMAIN},{self.host}")
        self.mmp("xmpp", "certs", "bench.key", "bench.crt")
        (self.dir / "node" / "files" / "users.txt").write_text(
            "".join(f"user{i}:{password}\n" for i in range(users)))
        self.mmp("xmpp", "user", "import", "users.txt")
        self.mmp("xmpp", "plaintext", "on")
        self.mmp("xmpp", "limit", "max-connections-per-address", "1000000")
        self.mmp("xmpp", "limit", "auth-timeout", "600")
        # The call bridge serving the spaces (bench/compare --space): its secret from the server,
        # supervised by convened (started with it, on its core), space room1 made through mmp.
        out = subprocess.run([str(self.build / "apps" / "mmp"), "--node", str(self.dir / "node"), "xmpp", "callbridge",
                              "add", "cb1"], check=True, capture_output=True, text=True, timeout=600).stdout
        secret = next(l.split(":", 1)[1].strip() for l in out.splitlines() if l.strip().startswith("Secret"))
        self.mmp("xmpp", "enable")
        if self.websocket:  # the web admin's listener serves /xmpp-websocket
            self.mmp("webadmin", "listen", "a", str(WS_PORT))
            self.mmp("webadmin", "certs", "bench.key", "bench.crt")
            self.mmp("webadmin", "enable")
        wait_port(self.host)
        self.mmp("callbridge", "name", "cb1")
        self.mmp("callbridge", "domain", DOMAIN)
        self.mmp("callbridge", "server", self.host)
        subprocess.run([str(self.build / "apps" / "mmp"), "--node", str(self.dir / "node"), "callbridge", "secret"],
                       input=secret + "\n", check=True, capture_output=True, text=True, timeout=60)
        self.mmp("callbridge", "enable")
        self._wait_bridge()
        self.mmp("callbridge", "space", "add", "room1")
        self.stop()

    def _wait_bridge(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = subprocess.run([str(self.build / "apps" / "mmp"), "--node", str(self.dir / "node"), "callbridge",
                                  "status"], capture_output=True, text=True, timeout=60).stdout
            if "connected to" in out:
                return
            time.sleep(0.1)
        raise RuntimeError("the call bridge did not connect; see " + str(self.dir / "convened.out"))

    def bridge_pid(self):
        """The call bridge convened runs (the spaces' process), once it is connected."""
        self._wait_bridge()
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid), "-f", "convene-callbridge"], capture_output=True,
                             text=True).stdout.split()
        return int(out[0]) if out else None

    def start(self, cpu):
        self._start(cpu)
        wait_port(self.host)
        if self.websocket:
            wait_port(self.host, port=WS_PORT)
        return self.proc.pid

    def stop(self):
        if self.proc:
            stop_pid(self.proc.pid)
            self.proc.wait()
            self.proc = None


class Prosody:
    label = "prosody"
    room = f"room1@rooms.{DOMAIN}"  # mod_muc; made by its first occupant (no locking)

    def __init__(self, work, build, host, tls=False, websocket=False):
        self.dir, self.host, self.tls, self.websocket = work / "prosody", host, tls, websocket
        self.proc = None

    def _config(self, registration):
        d = self.dir
        modules = '"roster", "saslauth", "tls", "disco", "ping", "posix"' + (', "register"' if registration else "")
        if self.websocket:
            modules += ', "websocket"'
        websocket = (f'''http_ports = {{ }}
https_ports = {{ {WS_PORT} }}
https_interfaces = {{ "{self.host}" }}
https_ssl = {{ key = "{d}/bench.key"; certificate = "{d}/bench.crt" }}
consider_websocket_secure = true
cross_domain_websocket = true
''' if self.websocket else "")
        (d / "prosody.cfg.lua").write_text(f'''-- bench/compare: Prosody's defaults otherwise (GC included), as users run it
pidfile = "{d}/prosody.pid"
daemonize = false
data_path = "{d}/data"
interfaces = {{ "{self.host}" }}
c2s_ports = {{ {PORT} }}
modules_enabled = {{ {modules} }}
modules_disabled = {{ "s2s" }}
authentication = "{'internal_hashed' if self.tls else 'internal_plain'}"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
allow_registration = {str(registration).lower()}
min_seconds_between_registrations = 0
registration_whitelist = {{ "127.0.0.1", "{self.host}" }}
log = {{ warn = "{d}/prosody.log" }}
network_settings = {{ tcp_backlog = 1024 }}
ssl = {{ key = "{d}/bench.key"; certificate = "{d}/bench.crt" }}
{websocket}VirtualHost "{DOMAIN}"
Component "rooms.{DOMAIN}" "muc"
  muc_room_locking = false
  max_history_messages = 0
''')
        chown_tree(d, "prosody")

    def _start(self, cpu=None):
        log = open(self.dir / "prosody.out", "ab")
        cmd = ["setpriv", "--reuid", "prosody", "--regid", "prosody", "--init-groups", "prosody", "--config",
               str(self.dir / "prosody.cfg.lua")]
        self.proc = subprocess.Popen((["taskset", "-c", str(cpu)] if cpu is not None else []) + cmd,
                                     stdout=log, stderr=subprocess.STDOUT)
        wait_port(self.host)
        if self.websocket:
            wait_port(self.host, port=WS_PORT)
        return self.proc.pid

    def setup(self, users, password):
        (self.dir / "data").mkdir(parents=True, exist_ok=True)
        self_signed(self.dir)
        self._config(registration=True)
        self._start()
        register_users(self.host, DOMAIN, "user", users, password)
        self.stop()
        self._config(registration=False)

    def start(self, cpu):
        return self._start(cpu)

    def bridge_pid(self):
        return None  # the MUC runs in the server's process

    def stop(self):
        if self.proc:
            stop_pid(self.proc.pid)
            self.proc.wait()
            self.proc = None


class Ejabberd:
    label = "ejabberd"
    room = f"room1@rooms.{DOMAIN}"  # mod_muc; made by its first occupant

    def __init__(self, work, build, host, tls=False, websocket=False):
        self.dir, self.host, self.tls, self.websocket = work / "ejabberd", host, tls, websocket
        self.proc = None

    def _env_cmd(self, *args):
        d = self.dir
        return ["setpriv", "--reuid", "ejabberd", "--regid", "ejabberd", "--init-groups", "env", f"HOME={d}",
                "ERL_EPMD_ADDRESS=127.0.0.1", "/usr/sbin/ejabberdctl", "--config-dir", str(d), "--ctl-config",
                str(d / "ctl.cfg"), "--logs", str(d / "logs"), "--spool", str(d / "db"), *args]

    def _config(self, registration):
        d = self.dir
        register = ("  mod_register:\n    access: register\n    ip_access: all\n" if registration else "")
        # The backlog on the WebSocket listener too: ejabberd's default is 5 (ejabberd_listener), so 200
        # logins at once overflowed the accept queue; the dropped SYNs were retried 1, 3, 7 ... 63 s
        # later and the last few logins (or their connect time-out) set the elapsed time.
        websocket = (f'''  -
    port: {WS_PORT}
    ip: "{self.host}"
    module: ejabberd_http
    tls: true
    backlog: 1024
    request_handlers:
      "{WS_PATH}": ejabberd_http_ws
''' if self.websocket else "")
        (d / "ejabberd.yml").write_text(f'''# bench/compare: one vhost, plain TCP allowed, STARTTLS offered, no extra modules
hosts: ["{DOMAIN}"]
loglevel: warning
certfiles: ["{d}/ejabberd.pem"]
registration_timeout: infinity
listen:
  -
    port: {PORT}
    ip: "{self.host}"
    module: ejabberd_c2s
    starttls: true
    starttls_required: false
    shaper: none
    access: c2s
    backlog: 1024
{websocket}access_rules:
  c2s:
    allow: all
  register:
    allow: all
auth_method: internal
auth_password_format: {'scram' if self.tls else 'plain'}
shaper: {{}}
modules:
  mod_roster: {{}}
  mod_disco: {{}}
  mod_ping: {{}}
  mod_muc:
    host: "rooms.{DOMAIN}"
    access_create: all
    max_users: 100000
    max_users_presence: 100000
    history_size: 0
    default_room_options:
      max_users: 100000
      persistent: false
{register}''')
        # The Erlang node's name holds the address, so runs in other address blocks (another
        # engineer's bench/compare) register other names with the machine's one epmd.
        (d / "ctl.cfg").write_text(f'''ERLANG_NODE=ejabberd-bench-{self.host.replace(".", "-")}@localhost
EJABBERD_PID_PATH={d}/ejabberd.pid
INET_DIST_INTERFACE=127.0.0.1
ERL_EPMD_ADDRESS=127.0.0.1
POLL=true
ERL_PROCESSES=1000000
ERL_MAX_PORTS=65536
''')
        chown_tree(d, "ejabberd")

    def _start(self, cpu=None):
        log = open(self.dir / "ejabberd.out", "ab")
        cmd = self._env_cmd("foreground")
        self.proc = subprocess.Popen((["taskset", "-c", str(cpu)] if cpu is not None else []) + cmd,
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_port(self.host, 120)
        if self.websocket:
            wait_port(self.host, 120, port=WS_PORT)
        return self.beam_pid()

    def beam_pid(self):
        out = subprocess.run(["pgrep", "-f", f"beam.smp.*{self.dir}/db"], capture_output=True, text=True).stdout
        return int(out.split()[0]) if out.split() else self.proc.pid

    def setup(self, users, password):
        for sub in ("db", "logs"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        key, crt = self_signed(self.dir)
        (self.dir / "ejabberd.pem").write_text(key.read_text() + crt.read_text())
        shutil.copy("/etc/ejabberd/inetrc", self.dir / "inetrc")
        self._config(registration=True)
        self._start()
        register_users(self.host, DOMAIN, "user", users, password)
        self.stop()
        self._config(registration=False)

    def start(self, cpu):
        return self._start(cpu)

    def bridge_pid(self):
        return None  # the MUC runs in the server's process

    def stop(self):
        if self.proc:
            beam = self.beam_pid()
            subprocess.run(self._env_cmd("stop"), capture_output=True, timeout=60)
            stop_pid(beam)
            stop_pid(self.proc.pid)
            self.proc.wait()
            self.proc = None
        # epmd: started by ejabberd's VM, on loopback (ERL_EPMD_ADDRESS); stopped by its pid with it,
        # unless another Erlang VM (another run's ejabberd) still uses it.
        if subprocess.run(["pgrep", "-x", "beam.smp"], capture_output=True).returncode == 0:
            return
        for pid in subprocess.run(["pgrep", "-x", "epmd"], capture_output=True, text=True).stdout.split():
            stop_pid(int(pid))
