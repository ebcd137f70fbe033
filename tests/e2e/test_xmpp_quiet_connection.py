"""A plain TCP connection that reads often reads into a buffer of its own and gives
it back (with its other busy buffers) once quiet for two seconds; then it waits for
input without one. The switch both ways must lose nothing: a real client (slixmpp,
no STARTTLS: the benchmarks' setup) chats, goes quiet, and chats again, twice."""
import asyncio
import time

from xmpp_fixtures import ADDRESS, C2S_PORT, DOMAIN, TIMEOUT, configure_xmpp, event, make_client, offline, run

# More reads than a connection makes before it reads into a buffer of its own (16).
LOCKSTEP = 24
# Larger than that buffer (4 KiB): one send fills it and the rest follows.
BURST = 40
FILLER = "x" * 300


async def online_plain(client):
    started = asyncio.ensure_future(event(client, "session_start"))
    client.connect(address=(ADDRESS, C2S_PORT), force_starttls=False, disable_starttls=True)
    await started
    assert client.transport.get_extra_info("ssl_object") is None
    client.send_presence()
    await client.get_roster()


def log_file(xnode):
    # Standard error, written at once (the log file is flushed at info lines only).
    return xnode.node.output()


async def gone_quiet(xnode, peer, since):
    """Until the node logs that `peer`'s connection gave back its buffers after `since`."""
    line = f"{peer}: quiet: busy buffers given back"
    deadline = time.monotonic() + TIMEOUT
    while line not in log_file(xnode)[since:]:
        assert time.monotonic() < deadline, f"{peer} never gave back its buffers"
        await asyncio.sleep(0.05)


def test_a_plain_connection_gone_quiet_reads_what_comes_next(nodes):
    xnode = configure_xmpp(nodes(1, None, True, "--log-level", "debug"))

    async def go():
        alice, bob = make_client(xnode, "alice"), make_client(xnode, "bob")
        await online_plain(alice)
        await online_plain(bob)
        host, port = alice.transport.get_extra_info("sockname")[:2]
        got = []
        bob.add_event_handler("message", lambda m: got.append(m["body"]) if m["body"].startswith("r") else None)
        async def say(bodies):
            all_there = asyncio.ensure_future(event(
                bob, "message", condition=lambda m, last=bodies[-1]: m["body"] == last))
            for body in bodies:
                alice.send_message(mto=f"bob@{DOMAIN}/test", mbody=body, mtype="chat")
            await all_there
            assert got[-len(bodies):] == bodies  # all of them, in order

        for spell in range(3):
            since = len(log_file(xnode))
            # One at a time first: each its own read, enough of them for the busy read
            # buffer; then a burst that overfills it.
            for i in range(LOCKSTEP):
                await say([f"r{spell}-step{i}"])
            await say([f"r{spell}-{i}-{FILLER}" for i in range(BURST)])
            await gone_quiet(xnode, f"{host}:{port}", since)
        await offline(alice, bob)

    run(go())
