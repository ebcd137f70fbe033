"""convene-callbridge run by convened: set up with `callbridge ...` mmp
commands, started on `callbridge enable`, restarted when it dies, restarted with
new settings, stopped on `callbridge disable` and with convened, and its XMPP link
shown by `callbridge status` (connected to which server since when, or why not).

The XMPP service is the same node's (configure_xmpp), reached on its component
port through `callbridge server`, so no DNS server is needed here; DNS SRV and
fail-over are test_callbridge.py's, which runs the program directly."""
import os
import re
import stat

from dnsmasq_helper import Dnsmasq
from harness import NET, snapshot_tree, wait_for
from xmpp_fixtures import ADDRESS, COMPONENT_PORT, DOMAIN, configure_xmpp

SERVER = f"{ADDRESS}:{COMPONENT_PORT}"
TIMEOUT = 15.0


def status(node):
    """`callbridge status` as {key: value} (first occurrence) plus the raw text under ''."""
    out = node.mmp("callbridge", "status").stdout
    fields = {"": out}
    for line in out.splitlines():
        m = re.match(r"^(\S[^:]*?)\s*: (.*)$", line)
        if m and m.group(1) not in fields:
            fields[m.group(1)] = m.group(2)
    return fields


def pid_of(s):
    m = re.match(r"^pid (\d+)$", s.get("Process", ""))
    return int(m.group(1)) if m else None


def wait_status(node, condition, what, timeout=TIMEOUT):
    last = {}

    def check():
        nonlocal last
        last = status(node)
        return condition(last)
    try:
        wait_for(check, timeout, what)
    except AssertionError as e:
        log = node.dir / "logs" / "callbridge.log"
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no callbridge.log)"
        raise AssertionError(f"{e}\nlast status:\n{last.get('', '')}\ncallbridge.log:\n{tail}")
    return last


def connected(s):
    return s.get("Connection", "").startswith(f"connected to {SERVER}")


def running(pid):
    """True while `pid` exists and is not a zombie (a reaped child has no /proc entry)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().rstrip(b"\0").split(b"\0")


def set_up(node, secret):
    node.mmp("callbridge", "name", "cb1")
    node.mmp("callbridge", "domain", DOMAIN)
    node.mmp("callbridge", "server", ADDRESS)  # the default component port is filled in
    node.mmp("callbridge", "secret", input=secret + "\n")


def test_enable_connects_and_a_killed_call_bridge_is_restarted_then_disable_stops_it(node):
    x = configure_xmpp(node)
    set_up(node, x.callbridge_secret)
    r = node.mmp("callbridge", "enable")
    assert re.search(r"Call bridge enabled \(pid \d+\)", r.stdout), r.stdout
    s = wait_status(node, connected, "the call bridge to connect to the node's XMPP service")
    assert s["Status"] == "Enabled, running"
    assert s["Server"] == SERVER
    assert re.search(r" since \d{4}-\d\d-\d\dT", s["Connection"]), s["Connection"]
    assert s["Restarts"] == "0"
    first = pid_of(s)
    assert first and running(first)
    # What the child was given: the settings, and the secret only as a 0600 file.
    argv = cmdline(first)
    assert argv[0].endswith(b"/convene-callbridge")
    options = dict(zip(argv[1::2], argv[2::2]))
    assert (options[b"--name"], options[b"--domain"], options[b"--server"]) == \
        (b"cb1", DOMAIN.encode(), SERVER.encode())
    assert b"--dns" not in options
    secret_file = node.dir / "state" / "callbridge" / "secret"
    assert options[b"--secret-file"] == str(secret_file).encode()
    assert options[b"--status-file"] == str(node.dir / "state" / "callbridge" / "status.json").encode()
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert x.callbridge_secret.encode() not in b" ".join(argv)
    assert x.callbridge_secret not in s[""]
    # The child holds nothing of convened's: no admin socket, no node lock.
    fds = {os.readlink(f"/proc/{first}/fd/{fd}") for fd in os.listdir(f"/proc/{first}/fd")}
    assert not any("mmp.sock" in f or "convened.lock" in f for f in fds), fds

    os.kill(first, 9)
    s = wait_status(node, lambda s: connected(s) and pid_of(s) not in (None, first),
                    "convened to restart the killed call bridge and it to connect again")
    assert s["Restarts"] == "1"
    assert s["Last exit"] == "killed by signal 9"
    assert not running(first)
    assert "ended unexpectedly: killed by signal 9" in (node.dir / "logs" / "convened.log").read_text()

    second = pid_of(s)
    node.mmp("callbridge", "disable")
    assert not running(second)  # stopped and reaped before the command returned
    s = status(node)
    assert s["Status"] == "Disabled" and "Connection" not in s and "Process" not in s
    for log in ("convened.log", "callbridge.log"):
        assert x.callbridge_secret not in (node.dir / "logs" / log).read_text()


def test_wrong_secret_says_authentication_failure_and_a_new_secret_reconnects(node):
    x = configure_xmpp(node)
    set_up(node, "notTheSecret1234")
    node.mmp("callbridge", "enable")
    s = wait_status(node, lambda s: s.get("Connection", "").startswith("failed"), "an authentication failure")
    assert "authentication failure (secret rejected)" in s["Connection"], s[""]
    assert "was rejected" in s["Cause"]
    assert f"tried {SERVER}" in s[""]
    assert "notTheSecret1234" not in s[""]
    node.mmp("callbridge", "secret", input=x.callbridge_secret + "\n")
    s = wait_status(node, connected, "the call bridge to connect with the right secret")
    assert s["Status"] == "Enabled, running"


def test_enable_without_a_secret_is_refused_and_changes_nothing(node):
    node.mmp("callbridge", "name", "cb1")
    node.mmp("callbridge", "domain", DOMAIN)
    before = snapshot_tree(node.dir)
    r = node.mmp("callbridge", "enable", check=False)
    assert r.returncode == 1
    assert "no call bridge secret" in r.stderr and "callbridge secret" in r.stderr, r.stderr
    after = snapshot_tree(node.dir)
    assert {k: v for k, v in after.items() if not k.startswith("logs/")} == \
           {k: v for k, v in before.items() if not k.startswith("logs/")}
    s = status(node)
    assert s["Status"] == "Disabled" and s["Secret"].startswith("not set")


def test_bad_settings_are_refused_and_change_nothing(node):
    node.mmp("callbridge", "name", "cb1")
    before = snapshot_tree(node.dir)
    cases = [
        (("callbridge", "name", "cb1.tptac9.com"), "must not contain a dot"),
        (("callbridge", "domain", "bad domain!"), "invalid domain"),
        (("callbridge", "server", "node1.tptac9.com"), "invalid XMPP server address"),
        (("callbridge", "server", f"{ADDRESS}:99999"), "invalid XMPP server address"),
        (("callbridge", "dns", "::1"), "invalid DNS server address"),
    ]
    for words, expected in cases:
        r = node.mmp(*words, check=False)
        assert r.returncode == 1, words
        assert expected in r.stderr, (words, r.stderr)
    r = node.mmp("callbridge", "secret", input="two words\n", check=False)
    assert r.returncode == 1 and "spaces or control characters" in r.stderr, r.stderr
    after = snapshot_tree(node.dir)
    assert {k: v for k, v in after.items() if not k.startswith("logs/")} == \
           {k: v for k, v in before.items() if not k.startswith("logs/")}


def test_convened_stops_its_call_bridge_and_starts_it_again_when_it_restarts(node):
    x = configure_xmpp(node)
    set_up(node, x.callbridge_secret)
    node.mmp("callbridge", "enable")
    pid = pid_of(wait_status(node, connected, "the call bridge to connect"))
    assert node.stop() == 0
    assert not running(pid)  # convened stopped it before exiting

    node.start()
    s = wait_status(node, connected, "the call bridge to be started again with convened")
    again = pid_of(s)
    assert again != pid and s["Restarts"] == "0"
    # Even a kill -9 of convened does not leave it behind (it is told by the kernel).
    node.kill()
    wait_for(lambda: not running(again), TIMEOUT, "the call bridge to end with its convened")


def test_dns_failure_names_the_record_then_the_srv_record_connects(node, tmp_path):
    x = configure_xmpp(node)
    srv = f"_xmpp-component._tcp.{DOMAIN}"
    dns = Dnsmasq(tmp_path / "dns", [f"host-record=node1.{DOMAIN},{NET}.1"]).start()  # no SRV record yet
    try:
        set_up(node, x.callbridge_secret)
        node.mmp("callbridge", "server", "none")
        node.mmp("callbridge", "dns", dns.server)
        node.mmp("callbridge", "enable")
        s = wait_status(node, lambda s: s.get("Connection", "").startswith("failed"), "a DNS failure")
        assert "DNS lookup failed" in s["Connection"], s[""]
        assert s["DNS record"] == srv and s["DNS error"], s[""]
        assert s["Server"] == f"none (DNS SRV {srv})"
        dns.restart([f"srv-host={srv},node1.{DOMAIN},{COMPONENT_PORT},10,50", f"host-record=node1.{DOMAIN},{NET}.1"])
        s = wait_status(node, lambda s: s.get("Connection", "").startswith(f"connected to node1.{DOMAIN}:{COMPONENT_PORT}"),
                        "the call bridge to find the server by SRV", timeout=30)
    finally:
        dns.stop()
