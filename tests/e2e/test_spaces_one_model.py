"""One model of the meeting spaces for the operator and the clients: a space a
slixmpp client creates shows in `mmp callbridge space list` (with its name and
owner), a space `mmp` adds is listed to clients by disco#items and can be joined
(its occupant then listed by `mmp callbridge space occupants`),
and `mmp callbridge space delete` destroys it for its occupants (XEP-0045's destroy
presence). Bad names and unknown spaces are refused and change nothing."""
import asyncio

from harness import wait_for
from test_callbridge_supervised import connected, set_up, wait_status
from test_spaces_muc import clients, muc, submit
from xmpp_fixtures import DOMAIN, TIMEOUT, configure_xmpp, event, join_room, offline, online, run

COMPONENT = f"cb1.{DOMAIN}"


def space_list(node):
    return node.mmp("callbridge", "space", "list").stdout


def test_spaces_are_one_model_for_mmp_and_clients(node):
    x = configure_xmpp(node)
    set_up(node, x.callbridge_secret)
    node.mmp("callbridge", "enable")
    wait_status(node, connected, "the call bridge to connect")
    made = f"made-by-client@{COMPONENT}"

    async def by_client():
        alice, = clients(x, "alice")
        await online(alice)
        await join_room(alice, made, "Alice")
        await muc(alice).set_room_config(made, submit(alice, **{"muc#roomconfig_roomname": "Client's"}),
                                         timeout=TIMEOUT)
        await offline(alice)
    run(by_client())
    listed = space_list(node)
    assert "made-by-client  name: Client's  owners: alice@tptac9.com" in listed, listed

    # Bad input: refused, nothing changes.
    bad = node.mmp("callbridge", "space", "add", "no space", check=False)
    assert bad.returncode != 0 and "ERROR: invalid space name" in bad.stdout + bad.stderr
    unknown = node.mmp("callbridge", "space", "delete", "nosuch", check=False, input="Y\n")
    assert unknown.returncode != 0 and "no space named 'nosuch'" in unknown.stdout + unknown.stderr
    assert space_list(node) == listed
    nobody = node.mmp("callbridge", "space", "occupants", "nosuch", check=False)
    assert nobody.returncode != 0 and "no space named 'nosuch'" in nobody.stdout + nobody.stderr
    empty = node.mmp("callbridge", "space", "occupants", "made-by-client").stdout
    assert "Occupants: 0" in empty, empty  # alice left

    node.mmp("callbridge", "space", "add", "from-mmp")
    assert "  from-mmp" in space_list(node)
    # The bridge follows the store with no client about, and its status with it.
    wait_status(node, lambda s: s.get("Spaces", "").startswith("2 "), "the status counting the space mmp added")
    again = node.mmp("callbridge", "space", "add", "from-mmp", check=False)
    assert again.returncode != 0 and "exists already" in again.stdout + again.stderr
    room = f"from-mmp@{COMPONENT}"

    async def listed_joined_then_destroyed():
        bob, = clients(x, "bob")
        await online(bob)

        async def items():
            got = await bob.plugin["xep_0030"].get_items(jid=COMPONENT, timeout=TIMEOUT)
            return {str(j) for j, _, _ in got["disco_items"]["items"]}
        for _ in range(50):  # the bridge follows the store every 2 s
            if room in await items():
                break
            await asyncio.sleep(0.2)
        assert room in await items()
        joined = await muc(bob).join_muc_wait(room, "Bob", timeout=TIMEOUT)
        assert 201 not in joined[0]["muc"]["status_codes"]  # not created by the join: mmp made it
        occupants = node.mmp("callbridge", "space", "occupants", "from-mmp").stdout
        assert f"Space: {room}" in occupants and "Occupants: 1" in occupants, occupants
        assert f"  Bob (bob@{DOMAIN}/" in occupants, occupants
        destroyed = asyncio.ensure_future(event(bob, "groupchat_presence", timeout=15,
                                                condition=lambda p: p["type"] == "unavailable"))
        node.mmp("callbridge", "space", "delete", "from-mmp", input="Y\n")
        p = await destroyed
        assert p.xml.find(".//{http://jabber.org/protocol/muc#user}destroy") is not None
        assert room not in await items()
        await offline(bob)
    run(listed_joined_then_destroyed(), timeout=90)
    assert "from-mmp" not in space_list(node)
    wait_for(lambda: "from-mmp" not in wait_status(node, connected, "status")["Spaces"], TIMEOUT,
             "the space gone from callbridge status")
