"""The admin socket under callers that misbehave: a monitoring job that calls it
forever, clients that connect and say nothing, a user who is neither root nor the
daemon's own. Each probe performs the misuse against a real convened."""
import json
import os
import socket
import subprocess
import tempfile

from harness import wait_for

MAX_CONVERSATIONS = 32  # AdminServer::kMaxConversations
REQUEST_TIMEOUT = 10    # AdminServer::kRequestTimeout, seconds


def mappings(pid):
    with open(f"/proc/{pid}/maps") as f:
        return sum(1 for _ in f)


def answer(sock):
    """The daemon's first message on `sock`, or None when it closed without one."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    return json.loads(data.splitlines()[0])


def test_finished_conversations_leave_nothing_behind(node):
    # Each conversation once kept its thread (and its stack's two mappings) until
    # the daemon stopped: a cron job's `mmp status` every minute ran it out of
    # mappings in weeks.
    node.mmp("iface", "list")
    before = mappings(node.proc.pid)
    for _ in range(100):
        node.mmp("iface", "list")
    assert mappings(node.proc.pid) - before < 40


def test_silent_clients_are_capped_and_timed_out(node):
    silent = [socket.socket(socket.AF_UNIX) for _ in range(MAX_CONVERSATIONS)]
    try:
        for s in silent:
            s.connect(str(node.socket))
        # The daemon serves each on a thread: wait until it has taken them all in,
        # which shows as one more conversation being refused.
        def refused():
            with socket.socket(socket.AF_UNIX) as extra:
                extra.connect(str(node.socket))
                extra.sendall(b'{"op":"run","argv":["iface","list"]}\n')
                reply = answer(extra)
                return reply is not None and "too many admin commands running at once" in reply.get("error", "")
        wait_for(refused, 10, "a conversation over the cap to be refused")
        # A client that never sends its request is closed after the request timeout.
        silent[0].settimeout(REQUEST_TIMEOUT + 20)
        assert silent[0].recv(1) == b""
    finally:
        for s in silent:
            s.close()
    # With the silent ones gone, the operator's commands work again.
    wait_for(lambda: node.mmp("iface", "list", check=False).returncode == 0, 10, "mmp to be served again")


def test_other_users_are_refused_even_through_an_open_socket(node):
    # The socket's mode (0600) already keeps others out; should it be loosened
    # (or reached through a hard link), the daemon still checks who connects.
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        link = os.path.join(d, "mmp.sock")
        os.link(node.socket, link)
        os.chmod(link, 0o666)
        # The daemon may refuse and close before the request is sent (EPIPE);
        # its reason is still there to read, as mmp reads it.
        probe = ("import json, socket\ns = socket.socket(socket.AF_UNIX); s.connect(%r)\n"
                 "try:\n    s.sendall(b'{\"op\":\"run\",\"argv\":[\"iface\",\"list\"]}\\n')\n"
                 "except BrokenPipeError:\n    pass\n"
                 "print(s.makefile().readline().strip())" % link)
        result = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                 "/usr/bin/python3", "-c", probe], capture_output=True, text=True, timeout=30)
        os.chmod(node.socket, 0o600)
    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)
    assert reply.get("ok") is False
    assert "permission denied" in reply["error"]
    assert "permission denied" not in node.mmp("iface", "list").stdout
