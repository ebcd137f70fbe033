"""Out of file descriptors: the XMPP listener pauses instead of spinning on a
failing accept, the sessions it has keep working, and it takes new connections
again once descriptors are free."""
import asyncio
import os
import socket
import subprocess
import time

from harness import wait_for
from xmpp_fixtures import ADDRESS, C2S_PORT, TIMEOUT, configure_xmpp, event, make_client, offline, online, run


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


async def chat_works(alice, bob, body):
    got = asyncio.ensure_future(event(bob, "message", condition=lambda m: m["body"] == body))
    alice.send_message(mto=str(bob.boundjid), mbody=body, mtype="chat")
    await got


def exhaust_descriptors(xnode, pid, waiting):
    """Leaves convened a few descriptors, connects beyond them, and checks that it
    pauses its listener rather than retrying the failing accept in a loop."""
    in_use = len(os.listdir(f"/proc/{pid}/fd"))
    subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={in_use + 4}:"], check=True)  # the soft limit
    for _ in range(12):
        waiting.append(socket.create_connection((ADDRESS, C2S_PORT), timeout=TIMEOUT))
    wait_for(lambda: "pausing accepts" in xnode.log(), TIMEOUT, "the listener to pause on EMFILE")
    # A failing accept retried at once holds a core; paused, the daemon idles. The
    # bound is far from both: spinning uses about a second of CPU per second. There
    # is no event to await here: the window is what is measured (ten pauses).
    before = cpu_seconds(pid)
    time.sleep(1.0)
    assert cpu_seconds(pid) - before < 0.5, "convened spins on a failing accept"
    # Ten pauses a second, but the log says it once per 10 s, not once per pause.
    log = (xnode.node.dir / "logs" / "convened.log").read_text(errors="replace")
    assert log.count("pausing accepts") == 1, log


def test_accept_pauses_when_out_of_descriptors(node):
    xnode = configure_xmpp(node)
    pid = node.proc.pid
    soft = subprocess.run(["prlimit", f"--pid={pid}", "--nofile", "-o", "SOFT", "--noheadings"],
                          check=True, capture_output=True, text=True).stdout.strip()
    waiting = []

    async def go():
        alice = make_client(xnode, "alice")
        bob = make_client(xnode, "bob")
        await online(alice)
        await online(bob)
        try:
            await asyncio.get_event_loop().run_in_executor(None, exhaust_descriptors, xnode, pid, waiting)
            await chat_works(alice, bob, "while out of descriptors")
        finally:
            for s in waiting:
                s.close()
            subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={soft}:"], check=True)
        carol = make_client(xnode, "carol")
        await online(carol)
        await chat_works(carol, alice, "a new session once descriptors are free")
        await offline(alice, bob, carol)
    run(go())
